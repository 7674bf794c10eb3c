//! `argmin` and `argmax` in a driver: loops written in LLVM IR over a
//! materialized argument (any strides), in C order, keeping the first
//! occurrence of the extreme and letting a NaN win (the first NaN), as
//! NumPy and the reference kernels do. Over the flattened array into a 0-d
//! `int64` (the flat C-order index), or along one axis (the index along
//! it, for every position of the other axes). An empty reduced axis is
//! `BLAZE_ERR_EVAL`, with the reference's message.

use super::{err, Checked, Wrapper, R};
use crate::aot::abi::EVAL;
use crate::llvm::mem_type;
use blaze_datashape::{Scalar, ScalarKind};
use inkwell::values::{BasicValueEnum, IntValue, PointerValue};
use inkwell::{FloatPredicate, IntPredicate};

impl<'ctx> Wrapper<'_, 'ctx> {
    /// Emits nested loops over `lens` (outermost first), calling `body`
    /// with the indices in the innermost.
    pub(super) fn loops(
        &mut self,
        lens: &[IntValue<'ctx>],
        body: &mut dyn FnMut(&mut Self, &[IntValue<'ctx>]) -> R<()>,
    ) -> R<()> {
        let mut index = Vec::with_capacity(lens.len());
        self.nest(lens, &mut index, body)
    }

    fn nest(
        &mut self,
        lens: &[IntValue<'ctx>],
        index: &mut Vec<IntValue<'ctx>>,
        body: &mut dyn FnMut(&mut Self, &[IntValue<'ctx>]) -> R<()>,
    ) -> R<()> {
        let Some((len, rest)) = lens.split_first() else {
            return body(self, index);
        };
        let i64t = self.i64();
        let slot = self.entry_alloca(i64t.into(), "i")?;
        self.b.build_store(slot, self.c64(0)).map_err(err)?;
        let head = self.ctx.append_basic_block(self.func, "loop");
        let inside = self.ctx.append_basic_block(self.func, "body");
        let after = self.ctx.append_basic_block(self.func, "after");
        self.b.build_unconditional_branch(head).map_err(err)?;
        self.b.position_at_end(head);
        let i = self
            .b
            .build_load(i64t, slot, "i")
            .map_err(err)?
            .into_int_value();
        let more = self
            .b
            .build_int_compare(IntPredicate::SLT, i, *len, "more")
            .map_err(err)?;
        self.b
            .build_conditional_branch(more, inside, after)
            .map_err(err)?;
        self.b.position_at_end(inside);
        index.push(i);
        self.nest(rest, index, body)?;
        index.pop();
        let next = self.b.build_int_add(i, self.c64(1), "next").map_err(err)?;
        self.b.build_store(slot, next).map_err(err)?;
        self.b.build_unconditional_branch(head).map_err(err)?;
        self.b.position_at_end(after);
        Ok(())
    }

    /// A stack slot allocated at the start of the function (so that a
    /// loop does not grow the stack), holding zero (NULL) from there.
    pub(super) fn entry_alloca(
        &self,
        ty: inkwell::types::BasicTypeEnum<'ctx>,
        name: &str,
    ) -> R<PointerValue<'ctx>> {
        let entry = self
            .func
            .get_first_basic_block()
            .ok_or_else(|| err("a function without an entry block"))?;
        let b = self.ctx.create_builder();
        match entry.get_first_instruction() {
            Some(i) => b.position_before(&i),
            None => b.position_at_end(entry),
        }
        let slot = b.build_alloca(ty, name).map_err(err)?;
        b.build_store(slot, ty.const_zero()).map_err(err)?;
        Ok(slot)
    }

    /// The address of the element at `index` of a view of `size`-byte
    /// elements (`strides` in elements).
    pub(super) fn element(
        &self,
        first: PointerValue<'ctx>,
        index: &[IntValue<'ctx>],
        strides: &[IntValue<'ctx>],
        size: u64,
    ) -> R<PointerValue<'ctx>> {
        let mut off = self.c64(0);
        for (i, s) in index.iter().zip(strides) {
            let p = self.b.build_int_mul(*i, *s, "o").map_err(err)?;
            off = self.b.build_int_add(off, p, "off").map_err(err)?;
        }
        let bytes = self
            .b
            .build_int_mul(off, self.c64(size), "bytes")
            .map_err(err)?;
        // SAFETY: the index is within the checked view.
        unsafe {
            self.b
                .build_gep(self.ctx.i8_type(), first, &[bytes], "at")
                .map_err(err)
        }
    }

    /// Whether `v` replaces the `best` so far (`seen`: some element was):
    /// none yet, or `best` is no NaN and `v` is one or is more extreme.
    fn better(
        &self,
        s: Scalar,
        max: bool,
        v: BasicValueEnum<'ctx>,
        best: BasicValueEnum<'ctx>,
        seen: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let first = self.b.build_not(seen, "first").map_err(err)?;
        let wins = match s.kind() {
            ScalarKind::Float => {
                let (v, b) = (v.into_float_value(), best.into_float_value());
                let b_nan = self
                    .b
                    .build_float_compare(FloatPredicate::UNO, b, b, "bn")
                    .map_err(err)?;
                let v_nan = self
                    .b
                    .build_float_compare(FloatPredicate::UNO, v, v, "vn")
                    .map_err(err)?;
                let pred = if max {
                    FloatPredicate::OGT
                } else {
                    FloatPredicate::OLT
                };
                let more = self.b.build_float_compare(pred, v, b, "m").map_err(err)?;
                let either = self.b.build_or(v_nan, more, "e").map_err(err)?;
                let b_ok = self.b.build_not(b_nan, "bok").map_err(err)?;
                self.b.build_and(b_ok, either, "w").map_err(err)?
            }
            kind => {
                let signed = kind == ScalarKind::Signed;
                let pred = match (max, signed) {
                    (true, true) => IntPredicate::SGT,
                    (true, false) => IntPredicate::UGT,
                    (false, true) => IntPredicate::SLT,
                    (false, false) => IntPredicate::ULT,
                };
                self.b
                    .build_int_compare(pred, v.into_int_value(), best.into_int_value(), "m")
                    .map_err(err)?
            }
        };
        self.b.build_or(first, wins, "better").map_err(err)
    }

    /// `argmin`/`argmax` (`max`) of view `x` of element type `s` into
    /// `dest` (int64): over every axis (`axis` `None`) or along `axis`.
    pub(super) fn run_arg(
        &mut self,
        s: Scalar,
        max: bool,
        axis: Option<usize>,
        x: &Checked<'ctx>,
        dest: &Checked<'ctx>,
    ) -> R<()> {
        let name = if max { "argmax" } else { "argmin" };
        let rank = x.lens.len();
        let reduced: Vec<usize> = match axis {
            Some(a) if a < rank => vec![a],
            Some(a) => return Err(err(format!("`{name}` along axis {a} of rank {rank}"))),
            None => (0..rank).collect(),
        };
        let mut count = self.c64(1);
        for a in &reduced {
            count = self.b.build_int_mul(count, x.lens[*a], "n").map_err(err)?;
        }
        let some = self
            .b
            .build_int_compare(IntPredicate::NE, count, self.c64(0), "some")
            .map_err(err)?;
        self.check(
            some,
            EVAL,
            &format!("attempt to get {name} of an empty sequence"),
        )?;
        let size = s.size_bytes() as u64;
        let ty = mem_type(self.ctx, s);
        let i64t = self.i64();
        let best = self.b.build_alloca(ty, "best").map_err(err)?;
        let at = self.b.build_alloca(i64t, "at").map_err(err)?;
        let flat = self.b.build_alloca(i64t, "flat").map_err(err)?;
        let kept: Vec<usize> = (0..rank).filter(|d| !reduced.contains(d)).collect();
        let kept_lens: Vec<IntValue<'ctx>> = kept.iter().map(|d| x.lens[*d]).collect();
        let red_lens: Vec<IntValue<'ctx>> = reduced.iter().map(|d| x.lens[*d]).collect();
        // The axes of `dest`: the kept ones in order (a kept axis of
        // length 1 is at index 0).
        let dest_strides: Vec<IntValue<'ctx>> = match axis {
            Some(a) if dest.lens.len() == rank => (0..rank)
                .filter(|d| *d != a)
                .map(|d| dest.strides[d])
                .collect(),
            _ => dest.strides.clone(),
        };
        let mut outer = |w: &mut Self, kept_index: &[IntValue<'ctx>]| -> R<()> {
            w.b.build_store(at, i64t.const_all_ones()).map_err(err)?;
            w.b.build_store(flat, w.c64(0)).map_err(err)?;
            let mut inner = |w: &mut Self, red_index: &[IntValue<'ctx>]| -> R<()> {
                let mut index = vec![w.c64(0); rank];
                for (d, i) in kept.iter().zip(kept_index) {
                    index[*d] = *i;
                }
                for (d, i) in reduced.iter().zip(red_index) {
                    index[*d] = *i;
                }
                let p = w.element(x.first, &index, &x.strides, size)?;
                let v = w.b.build_load(ty, p, "v").map_err(err)?;
                let b = w.b.build_load(ty, best, "b").map_err(err)?;
                let cur =
                    w.b.build_load(i64t, at, "cur")
                        .map_err(err)?
                        .into_int_value();
                let seen =
                    w.b.build_int_compare(IntPredicate::SGE, cur, w.c64(0), "seen")
                        .map_err(err)?;
                let take = w.better(s, max, v, b, seen)?;
                let n =
                    w.b.build_load(i64t, flat, "n")
                        .map_err(err)?
                        .into_int_value();
                let nv = w.b.build_select(take, v, b, "nb").map_err(err)?;
                let ni = w.b.build_select(take, n, cur, "ni").map_err(err)?;
                w.b.build_store(best, nv).map_err(err)?;
                w.b.build_store(at, ni).map_err(err)?;
                let n1 = w.b.build_int_add(n, w.c64(1), "n1").map_err(err)?;
                w.b.build_store(flat, n1).map_err(err)?;
                Ok(())
            };
            w.loops(&red_lens, &mut inner)?;
            let p = w.element(dest.first, kept_index, &dest_strides, 8)?;
            let found = w.b.build_load(i64t, at, "found").map_err(err)?;
            w.b.build_store(p, found).map_err(err)?;
            Ok(())
        };
        self.loops(&kept_lens, &mut outer)
    }
}

//! Reductions in the C function: which axis of `out` each axis of the
//! iteration space maps to, `min` and `max` of no element as an error (as
//! with the JIT), `out` filled with the reduction's identity before the
//! kernel combines every element into it, and `mean`'s division after.

use super::{err, Wrapper, R};
use crate::aot::abi::EVAL;
use crate::error::Unsupported;
use crate::kernel::Const;
use crate::llvm::mem_type;
use blaze_datashape::{Scalar, ScalarKind};
use blaze_ir::ops::ReduceFn;
use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

/// The identity of `rf` over `s`: 0 for `sum`, `mean` and `any`, 1 for
/// `prod` and `all`, the largest value for `min`, the smallest for `max`.
pub(in crate::aot) fn identity_const(rf: ReduceFn, s: Scalar) -> Result<Const, Unsupported> {
    use ReduceFn::*;
    let bits = s.bits();
    let none = || Unsupported(format!("`{}` has no identity over {s}", rf.name()));
    Ok(match (s.kind(), rf) {
        (ScalarKind::Float, Sum | Mean | Any) => Const::Float(0.0),
        (ScalarKind::Float, Prod | All) => Const::Float(1.0),
        (ScalarKind::Float, Min) => Const::Float(f64::INFINITY),
        (ScalarKind::Float, Max) => Const::Float(f64::NEG_INFINITY),
        (ScalarKind::Bool, Sum | Any | Max) => Const::Bool(false),
        (ScalarKind::Bool, Prod | All | Min) => Const::Bool(true),
        (ScalarKind::Signed, Sum | Mean | Any) => Const::Int(0),
        (ScalarKind::Signed, Prod | All) => Const::Int(1),
        (ScalarKind::Signed, Min) => Const::Int((u64::MAX >> (65 - bits)) as i64),
        (ScalarKind::Signed, Max) => Const::Int((1u64 << (bits - 1)) as i64),
        (ScalarKind::Unsigned, Sum | Mean | Any | Max) => Const::UInt(0),
        (ScalarKind::Unsigned, Prod | All) => Const::UInt(1),
        (ScalarKind::Unsigned, Min) => Const::UInt(u64::MAX >> (64 - bits)),
        _ => return Err(none()),
    })
}

impl<'ctx> Wrapper<'_, 'ctx> {
    /// Whether axis `d` of the iteration space is reduced.
    pub(super) fn reduced(&self, d: usize) -> bool {
        self.reduce.is_some() && self.axes.contains(&d)
    }

    /// The axis of `out` that axis `d` of the iteration space maps to:
    /// itself when stored or with keepdims, the kept axes in order
    /// otherwise (a reduced axis maps to none).
    pub(super) fn out_axis(&self, d: usize) -> Option<usize> {
        if self.reduce.is_none() || self.keepdims {
            return Some(d);
        }
        if self.reduced(d) {
            return None;
        }
        Some((0..d).filter(|e| !self.reduced(*e)).count())
    }

    /// Checks that a `min` or `max` has elements to reduce (the product of
    /// the reduced axes' `lens`), then stores the identity of `rf` into
    /// every element of `out`: one store for a 0-d `out`, else the fill
    /// kernel over `out`'s `lens` and `strides`.
    pub(super) fn start_reduction(
        &mut self,
        rf: ReduceFn,
        s: Scalar,
        lens: &[IntValue<'ctx>],
        out: (PointerValue<'ctx>, &[IntValue<'ctx>], &[IntValue<'ctx>]),
    ) -> R<()> {
        if matches!(rf, ReduceFn::Min | ReduceFn::Max) {
            let mut count = self.c64(1);
            for (d, len) in lens.iter().enumerate() {
                if self.reduced(d) {
                    count = self.b.build_int_mul(count, *len, "n").map_err(err)?;
                }
            }
            let some = self
                .b
                .build_int_compare(IntPredicate::NE, count, self.c64(0), "some")
                .map_err(err)?;
            self.check(
                some,
                EVAL,
                &format!(
                    "zero-size array to reduction operation {} which has no identity",
                    rf.name()
                ),
            )?;
        }
        let (first, out_lens, out_strides) = out;
        match self.fill {
            None => {
                let v = self.identity(rf, s)?;
                self.b.build_store(first, v).map_err(err)?;
            }
            Some(fill) => self.call_on_out(fill, &[first], out_lens, out_strides, 1)?,
        }
        Ok(())
    }

    /// Calls kernel `k` over `out` (lengths `lens`, strides `strides`):
    /// its operands are `ptrs` (the ones before the last `out`), each with
    /// `out`'s strides but the broadcast ones (`ptrs` after the first),
    /// then `out`.
    fn call_on_out(
        &mut self,
        k: inkwell::values::FunctionValue<'ctx>,
        ptrs: &[PointerValue<'ctx>],
        lens: &[IntValue<'ctx>],
        strides: &[IntValue<'ctx>],
        n_ops: usize,
    ) -> R<()> {
        let i64t = self.i64();
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let rank = lens.len();
        let p = self
            .b
            .build_array_alloca(ptr, self.c64(n_ops as u64), "fp")
            .map_err(err)?;
        let st = self
            .b
            .build_array_alloca(i64t, self.c64((n_ops * rank).max(1) as u64), "fs")
            .map_err(err)?;
        let sh = self
            .b
            .build_array_alloca(i64t, self.c64(rank.max(1) as u64), "fsh")
            .map_err(err)?;
        let at = |base, ty: inkwell::types::BasicTypeEnum<'ctx>, i: usize| {
            // SAFETY: `i` is within the array just allocated.
            unsafe { self.b.build_gep(ty, base, &[self.c64(i as u64)], "at") }.map_err(err)
        };
        let mut total = self.c64(1);
        for (d, len) in lens.iter().enumerate() {
            self.b
                .build_store(at(sh, i64t.into(), d)?, *len)
                .map_err(err)?;
            total = self.b.build_int_mul(total, *len, "t").map_err(err)?;
        }
        for (i, op) in ptrs.iter().enumerate() {
            self.b
                .build_store(at(p, ptr.into(), i)?, *op)
                .map_err(err)?;
            for (d, stride) in strides.iter().enumerate() {
                // The first operand (and `out`) walk `out`; the others are
                // broadcast scalars.
                let v = if i == 0 { *stride } else { self.c64(0) };
                self.b
                    .build_store(at(st, i64t.into(), i * rank + d)?, v)
                    .map_err(err)?;
            }
        }
        if ptrs.len() < n_ops {
            let last = n_ops - 1;
            self.b
                .build_store(at(p, ptr.into(), last)?, ptrs[0])
                .map_err(err)?;
            for (d, stride) in strides.iter().enumerate() {
                self.b
                    .build_store(at(st, i64t.into(), last * rank + d)?, *stride)
                    .map_err(err)?;
            }
        }
        let args: [BasicMetadataValueEnum; 5] = [
            p.into(),
            st.into(),
            sh.into(),
            self.c64(0).into(),
            total.into(),
        ];
        self.b.build_call(k, &args, "").map_err(err)?;
        Ok(())
    }

    /// Divides every sum in `out` (of float type `s`) by the number of
    /// elements reduced into it, the product of the reduced axes' `lens`:
    /// `mean` (NaN for none, as 0 / 0).
    pub(super) fn finish_mean(
        &mut self,
        s: Scalar,
        lens: &[IntValue<'ctx>],
        out: (PointerValue<'ctx>, &[IntValue<'ctx>], &[IntValue<'ctx>]),
    ) -> R<()> {
        let ty = mem_type(self.ctx, s);
        if !ty.is_float_type() {
            return Err(err(format!("`mean` into {s}, not a float")));
        }
        let ft = ty.into_float_type();
        let mut count = self.c64(1);
        for (d, len) in lens.iter().enumerate() {
            if self.reduced(d) {
                count = self.b.build_int_mul(count, *len, "n").map_err(err)?;
            }
        }
        let n = self
            .b
            .build_unsigned_int_to_float(count, ft, "n")
            .map_err(err)?;
        let (first, out_lens, out_strides) = out;
        match self.divide {
            None => {
                let sum = self.b.build_load(ft, first, "sum").map_err(err)?;
                let mean = self
                    .b
                    .build_float_div(sum.into_float_value(), n, "mean")
                    .map_err(err)?;
                self.b.build_store(first, mean).map_err(err)?;
            }
            Some(divide) => {
                let slot = self.b.build_alloca(ft, "count").map_err(err)?;
                self.b.build_store(slot, n).map_err(err)?;
                self.call_on_out(divide, &[first, slot], out_lens, out_strides, 3)?;
            }
        }
        Ok(())
    }

    /// The identity of `rf` over `s`, as stored in memory.
    fn identity(&self, rf: ReduceFn, s: Scalar) -> R<BasicValueEnum<'ctx>> {
        let ty = mem_type(self.ctx, s);
        Ok(match identity_const(rf, s)? {
            Const::Float(x) => ty.into_float_type().const_float(x).into(),
            Const::Int(i) => ty.into_int_type().const_int(i as u64, true).into(),
            Const::UInt(u) => ty.into_int_type().const_int(u, false).into(),
            Const::Bool(b) => ty.into_int_type().const_int(u64::from(b), false).into(),
        })
    }
}

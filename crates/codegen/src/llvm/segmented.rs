//! Segmented reductions over a `List` column
//! ([`SegmentedKernel`](crate::arrow_kernels::SegmentedKernel)): a loop over
//! the rows `begin..end`, each reducing the child's elements between two
//! `i32` offsets left to right in registers, skipping missing ones, then
//! storing the row's result (and whether it had no values). Also the
//! prologue every column kernel shares (its operands and scalars).

use super::emitter::{is_float, is_signed, llvm_err, Emitter, Val, R};
use crate::arrow_kernels::SegmentedKernel;
use crate::error::Unsupported;
use blaze_datashape::Scalar;
use blaze_ir::ops::ReduceFn;
use inkwell::basic_block::BasicBlock;
use inkwell::module::Linkage;
use inkwell::types::{BasicType, BasicTypeEnum, VectorType};
use inkwell::values::{FunctionValue, IntValue, PointerValue, VectorValue};
use inkwell::{AddressSpace, FloatPredicate, IntPredicate};

/// A column kernel's entry: the function, its pointer operands and `i64`
/// scalars (loaded in the entry block), the row range, and the exit block
/// (which returns).
pub(super) struct Prologue<'ctx> {
    pub(super) f: FunctionValue<'ctx>,
    pub(super) ptrs: Vec<PointerValue<'ctx>>,
    pub(super) args: Vec<IntValue<'ctx>>,
    pub(super) begin: IntValue<'ctx>,
    pub(super) end: IntValue<'ctx>,
    pub(super) exit: BasicBlock<'ctx>,
}

impl<'ctx> Emitter<'ctx, '_> {
    /// The function `name` with the kernel signature, positioned after
    /// loading `n_ptrs` operands and `n_args` scalars.
    pub(super) fn column_prologue(
        &self,
        name: &str,
        n_ptrs: u64,
        n_args: u64,
    ) -> R<Prologue<'ctx>> {
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let i64t = self.i64();
        let fty = self.ctx.void_type().fn_type(
            &[ptr.into(), ptr.into(), ptr.into(), i64t.into(), i64t.into()],
            false,
        );
        let f = self.module.add_function(name, fty, Some(Linkage::External));
        self.host.set_attributes(self.ctx, f);
        let p = |i: u32| {
            f.get_nth_param(i)
                .ok_or_else(|| Unsupported("kernel parameter".into()))
        };
        let (pp, ap) = (p(0)?.into_pointer_value(), p(1)?.into_pointer_value());
        let (begin, end) = (p(3)?.into_int_value(), p(4)?.into_int_value());
        let entry = self.ctx.append_basic_block(f, "entry");
        let exit = self.ctx.append_basic_block(f, "exit");
        let b = &self.b;
        b.position_at_end(exit);
        b.build_return(None).map_err(llvm_err)?;
        b.position_at_end(entry);
        let ptrs = (0..n_ptrs)
            .map(|i| {
                let g = unsafe { b.build_gep(ptr, pp, &[i64t.const_int(i, false)], "pp") }
                    .map_err(llvm_err)?;
                Ok(b.build_load(ptr, g, "base")
                    .map_err(llvm_err)?
                    .into_pointer_value())
            })
            .collect::<R<Vec<_>>>()?;
        let args = (0..n_args)
            .map(|i| {
                let g = unsafe { b.build_gep(i64t, ap, &[i64t.const_int(i, false)], "ap") }
                    .map_err(llvm_err)?;
                Ok(b.build_load(i64t, g, "arg")
                    .map_err(llvm_err)?
                    .into_int_value())
            })
            .collect::<R<Vec<_>>>()?;
        Ok(Prologue {
            f,
            ptrs,
            args,
            begin,
            end,
            exit,
        })
    }

    /// `offsets[i]` (an `i32`) widened to `i64`.
    pub(super) fn offset_at(
        &self,
        offsets: PointerValue<'ctx>,
        i: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let i32t = self.ctx.i32_type();
        let g =
            unsafe { self.b.build_in_bounds_gep(i32t, offsets, &[i], "op") }.map_err(llvm_err)?;
        let o = self
            .b
            .build_load(i32t, g, "off")
            .map_err(llvm_err)?
            .into_int_value();
        self.b
            .build_int_s_extend(o, self.i64(), "off64")
            .map_err(llvm_err)
    }

    /// `v` of scalar `from` converted to the accumulator scalar `to` (a
    /// widening of integers, an integer to a float, a float kept).
    fn widen(&self, from: Scalar, to: Scalar, v: Val<'ctx>) -> R<Val<'ctx>> {
        let b = &self.b;
        if from == to {
            return Ok(v);
        }
        if is_float(to) {
            let ft = self.float_ty(to);
            if is_float(from) {
                return Ok(b
                    .build_float_ext(v.into_float_value(), ft, "w")
                    .map_err(llvm_err)?
                    .into());
            }
            let x = v.into_int_value();
            return Ok(if is_signed(from) {
                b.build_signed_int_to_float(x, ft, "w")
            } else {
                b.build_unsigned_int_to_float(x, ft, "w")
            }
            .map_err(llvm_err)?
            .into());
        }
        let it = self.int_ty(to);
        let x = v.into_int_value();
        Ok(if is_signed(from) {
            b.build_int_s_extend(x, it, "w")
        } else {
            b.build_int_z_extend(x, it, "w")
        }
        .map_err(llvm_err)?
        .into())
    }

    /// The accumulator's starting value.
    fn seg_init(&self, f: ReduceFn, acc: Scalar) -> R<Val<'ctx>> {
        Ok(match f {
            ReduceFn::Any => self.ctx.bool_type().const_zero().into(),
            ReduceFn::All => self.ctx.bool_type().const_int(1, false).into(),
            // -0.0 is the identity of float addition (-0.0 + -0.0 is -0.0),
            // so a row sums as a fold from its first value; an empty row's
            // sum is made 0.0 at the end.
            ReduceFn::Sum | ReduceFn::Mean if is_float(acc) => {
                self.float_ty(acc).const_float(-0.0).into()
            }
            ReduceFn::Sum | ReduceFn::Mean | ReduceFn::Count => self.zero(acc),
            ReduceFn::Prod => {
                if is_float(acc) {
                    self.float_ty(acc).const_float(1.0).into()
                } else {
                    self.int_ty(acc).const_int(1, false).into()
                }
            }
            // Replaced by the first value (`seen`); any value of the type.
            ReduceFn::Min | ReduceFn::Max => self.zero(acc),
            _ => return Err(Unsupported(format!("segmented `{}`", f.name()))),
        })
    }

    fn zero(&self, s: Scalar) -> Val<'ctx> {
        if is_float(s) {
            self.float_ty(s).const_zero().into()
        } else {
            self.int_ty(s).const_zero().into()
        }
    }

    /// `acc` combined with `v` (already of the accumulator's type), for a
    /// row that has seen values before when `seen` is true (`min`/`max`
    /// take the first value as it is). `min`/`max` keep the first of equal
    /// values and the first NaN, as the interpreter.
    fn seg_step(
        &self,
        f: ReduceFn,
        acc_s: Scalar,
        acc: Val<'ctx>,
        v: Val<'ctx>,
        seen: IntValue<'ctx>,
    ) -> R<Val<'ctx>> {
        let b = &self.b;
        match f {
            ReduceFn::Any => Ok(b
                .build_or(acc.into_int_value(), self.truthy(acc_s, v)?, "any")
                .map_err(llvm_err)?
                .into()),
            ReduceFn::All => Ok(b
                .build_and(acc.into_int_value(), self.truthy(acc_s, v)?, "all")
                .map_err(llvm_err)?
                .into()),
            ReduceFn::Sum | ReduceFn::Mean if is_float(acc_s) => Ok(b
                .build_float_add(acc.into_float_value(), v.into_float_value(), "s")
                .map_err(llvm_err)?
                .into()),
            ReduceFn::Prod if is_float(acc_s) => Ok(b
                .build_float_mul(acc.into_float_value(), v.into_float_value(), "p")
                .map_err(llvm_err)?
                .into()),
            ReduceFn::Sum => Ok(b
                .build_int_add(acc.into_int_value(), v.into_int_value(), "s")
                .map_err(llvm_err)?
                .into()),
            ReduceFn::Prod => Ok(b
                .build_int_mul(acc.into_int_value(), v.into_int_value(), "p")
                .map_err(llvm_err)?
                .into()),
            ReduceFn::Min | ReduceFn::Max => {
                let max = f == ReduceFn::Max;
                let better = if is_float(acc_s) {
                    // NaN in `v` wins unless the accumulator is NaN already.
                    let (x, y) = (v.into_float_value(), acc.into_float_value());
                    let p = if max {
                        FloatPredicate::UGT
                    } else {
                        FloatPredicate::ULT
                    };
                    let cmp = b.build_float_compare(p, x, y, "c").map_err(llvm_err)?;
                    let acc_nan = b
                        .build_float_compare(FloatPredicate::UNO, y, y, "an")
                        .map_err(llvm_err)?;
                    let not_nan = b.build_not(acc_nan, "nn").map_err(llvm_err)?;
                    b.build_and(cmp, not_nan, "better").map_err(llvm_err)?
                } else {
                    let signed = is_signed(acc_s);
                    let p = match (max, signed) {
                        (false, true) => IntPredicate::SLT,
                        (false, false) => IntPredicate::ULT,
                        (true, true) => IntPredicate::SGT,
                        (true, false) => IntPredicate::UGT,
                    };
                    b.build_int_compare(p, v.into_int_value(), acc.into_int_value(), "c")
                        .map_err(llvm_err)?
                };
                let not_seen = b.build_not(seen, "ns").map_err(llvm_err)?;
                let take = b.build_or(better, not_seen, "take").map_err(llvm_err)?;
                b.build_select(take, v, acc, "m").map_err(llvm_err)
            }
            _ => Err(Unsupported(format!("segmented `{}`", f.name()))),
        }
    }

    /// Builds the segmented reduction `name` for `k`.
    pub(crate) fn build_segmented(
        &self,
        name: &str,
        k: &SegmentedKernel,
    ) -> R<FunctionValue<'ctx>> {
        let out_s = k.output().map_err(Unsupported)?;
        let f = k.f;
        // The scalar elements are combined in: the result's, but booleans
        // for `any`/`all` combine the element's truth and `count` counts.
        let acc_s = match f {
            ReduceFn::Any | ReduceFn::All => k.element,
            _ => out_s,
        };
        if self.vector_segments(k) {
            return self.build_segmented_vector(name, k, out_s);
        }
        let pro = self.column_prologue(name, 5, 2)?;
        let (values, validity) = (pro.ptrs[1], pro.ptrs[2]);
        let (valid_bit0, value_bit0) = (pro.args[0], pro.args[1]);
        self.segment_rows(&pro, out_s, k.writes_missing(), |sv, e| {
            let b = &self.b;
            let i64t = self.i64();
            let row = b
                .get_insert_block()
                .ok_or_else(|| Unsupported("no block".into()))?;
            let elems = self.ctx.append_basic_block(pro.f, "elems");
            let elem = self.ctx.append_basic_block(pro.f, "elem");
            let done = self.ctx.append_basic_block(pro.f, "done");
            let init = self.seg_init(f, acc_s)?;
            b.build_unconditional_branch(elems).map_err(llvm_err)?;

            // elems: i in s..e, with the accumulator and the count of values.
            b.position_at_end(elems);
            let i = b.build_phi(i64t, "i").map_err(llvm_err)?;
            let acc_ty = match f {
                ReduceFn::Any | ReduceFn::All => self.ctx.bool_type().as_basic_type_enum(),
                _ if acc_s == Scalar::Bool => self.ctx.bool_type().as_basic_type_enum(),
                _ if is_float(acc_s) => self.float_ty(acc_s).as_basic_type_enum(),
                _ => self.int_ty(acc_s).as_basic_type_enum(),
            };
            let acc = b.build_phi(acc_ty, "acc").map_err(llvm_err)?;
            let cnt = b.build_phi(i64t, "cnt").map_err(llvm_err)?;
            i.add_incoming(&[(&sv, row)]);
            acc.add_incoming(&[(&init, row)]);
            cnt.add_incoming(&[(&i64t.const_zero(), row)]);
            let (iv, accv, cntv) = (
                i.as_basic_value().into_int_value(),
                acc.as_basic_value(),
                cnt.as_basic_value().into_int_value(),
            );
            let in_row = b
                .build_int_compare(IntPredicate::SLT, iv, e, "inrow")
                .map_err(llvm_err)?;
            b.build_conditional_branch(in_row, elem, done)
                .map_err(llvm_err)?;

            b.position_at_end(elem);
            let valid = if k.validity {
                let bit = b.build_int_add(valid_bit0, iv, "vb").map_err(llvm_err)?;
                let missing = self.load_missing_bit(validity, bit)?;
                Some(b.build_not(missing, "valid").map_err(llvm_err)?)
            } else {
                None
            };
            let one = i64t.const_int(1, false);
            let (next_acc, next_cnt): (Val, IntValue) = if f == ReduceFn::Count {
                let add = match valid {
                    Some(v) => b.build_int_z_extend(v, i64t, "v64").map_err(llvm_err)?,
                    None => one,
                };
                let c = b.build_int_add(cntv, add, "cnt1").map_err(llvm_err)?;
                (c.into(), c)
            } else {
                let x: Val = if k.element == Scalar::Bool {
                    let bit = b.build_int_add(value_bit0, iv, "xb").map_err(llvm_err)?;
                    let zero = self.load_missing_bit(values, bit)?;
                    b.build_not(zero, "x").map_err(llvm_err)?.into()
                } else {
                    let p = self.gep(k.element, values, iv)?;
                    self.load(k.element, p)?
                };
                let x = match f {
                    ReduceFn::Any | ReduceFn::All => x,
                    _ => self.widen(k.element, acc_s, x)?,
                };
                let seen = b
                    .build_int_compare(IntPredicate::NE, cntv, i64t.const_zero(), "seen")
                    .map_err(llvm_err)?;
                let stepped = self.seg_step(f, acc_s, accv, x, seen)?;
                match valid {
                    Some(v) => {
                        let a = b.build_select(v, stepped, accv, "acc1").map_err(llvm_err)?;
                        let v64 = b.build_int_z_extend(v, i64t, "v64").map_err(llvm_err)?;
                        (a, b.build_int_add(cntv, v64, "cnt1").map_err(llvm_err)?)
                    }
                    None => (
                        stepped,
                        b.build_int_add(cntv, one, "cnt1").map_err(llvm_err)?,
                    ),
                }
            };
            let i1 = b.build_int_add(iv, one, "i1").map_err(llvm_err)?;
            i.add_incoming(&[(&i1, elem)]);
            acc.add_incoming(&[(&next_acc, elem)]);
            cnt.add_incoming(&[(&next_cnt, elem)]);
            b.build_unconditional_branch(elems).map_err(llvm_err)?;

            // done: the row's result.
            b.position_at_end(done);
            let empty = b
                .build_int_compare(IntPredicate::EQ, cntv, i64t.const_zero(), "empty")
                .map_err(llvm_err)?;
            let result: Val = match f {
                ReduceFn::Count => cntv.into(),
                ReduceFn::Mean => {
                    let ft = self.float_ty(out_s);
                    let n = b
                        .build_signed_int_to_float(cntv, ft, "n")
                        .map_err(llvm_err)?;
                    let q = b
                        .build_float_div(accv.into_float_value(), n, "mean")
                        .map_err(llvm_err)?;
                    let nan = ft.const_float(f64::NAN);
                    b.build_select(empty, nan, q, "res").map_err(llvm_err)?
                }
                ReduceFn::Min | ReduceFn::Max => b
                    .build_select(empty, self.zero(out_s), accv, "res")
                    .map_err(llvm_err)?,
                ReduceFn::Sum if is_float(out_s) => b
                    .build_select(empty, self.zero(out_s), accv, "res")
                    .map_err(llvm_err)?,
                _ => accv,
            };
            Ok((result, empty))
        })?;
        Ok(pro.f)
    }

    /// The loop over the rows `begin..end` every segmented kernel shares:
    /// for each row, `row(s, e)` (its values are `s..e`, the builder in
    /// the row's block) emits the row's reduction and returns its result
    /// and whether the row had no values, leaving the builder where they
    /// are known; the result is stored at the row of the output, and the
    /// missing byte when `writes_missing`.
    fn segment_rows(
        &self,
        pro: &Prologue<'ctx>,
        out_s: Scalar,
        writes_missing: bool,
        row: impl FnOnce(IntValue<'ctx>, IntValue<'ctx>) -> R<(Val<'ctx>, IntValue<'ctx>)>,
    ) -> R<()> {
        let b = &self.b;
        let i64t = self.i64();
        let (offsets, out, out_missing) = (pro.ptrs[0], pro.ptrs[3], pro.ptrs[4]);
        let entry = b
            .get_insert_block()
            .ok_or_else(|| Unsupported("no block".into()))?;
        let first = self.offset_at(offsets, pro.begin)?;
        let rows = self.ctx.append_basic_block(pro.f, "rows");
        let body = self.ctx.append_basic_block(pro.f, "row");
        b.build_unconditional_branch(rows).map_err(llvm_err)?;

        // rows: r in begin..end, s = offsets[r] carried from the last row.
        b.position_at_end(rows);
        let r = b.build_phi(i64t, "r").map_err(llvm_err)?;
        let s = b.build_phi(i64t, "s").map_err(llvm_err)?;
        r.add_incoming(&[(&pro.begin, entry)]);
        s.add_incoming(&[(&first, entry)]);
        let (rv, sv) = (
            r.as_basic_value().into_int_value(),
            s.as_basic_value().into_int_value(),
        );
        let more = b
            .build_int_compare(IntPredicate::SLT, rv, pro.end, "more")
            .map_err(llvm_err)?;
        b.build_conditional_branch(more, body, pro.exit)
            .map_err(llvm_err)?;

        b.position_at_end(body);
        let r1 = b
            .build_int_add(rv, i64t.const_int(1, false), "r1")
            .map_err(llvm_err)?;
        let e = self.offset_at(offsets, r1)?;
        let (result, empty) = row(sv, e)?;
        let p = self.gep(out_s, out, rv)?;
        self.store(out_s, p, result)?;
        if writes_missing {
            let m = self.gep(Scalar::Bool, out_missing, rv)?;
            self.store(Scalar::Bool, m, empty.into())?;
        }
        let end_block = b
            .get_insert_block()
            .ok_or_else(|| Unsupported("no block".into()))?;
        r.add_incoming(&[(&r1, end_block)]);
        s.add_incoming(&[(&e, end_block)]);
        b.build_unconditional_branch(rows).map_err(llvm_err)?;
        Ok(())
    }

    /// Whether `k` takes the vector form: a sum, mean or count over a
    /// child without missing values, of a non-bool, non-half element, on a
    /// host whose masked loads are instructions (AVX2, AVX-512).
    fn vector_segments(&self, k: &SegmentedKernel) -> bool {
        let features = &self.host.features;
        let has = |f: &str| features.split(',').any(|x| x == f);
        matches!(k.f, ReduceFn::Sum | ReduceFn::Mean | ReduceFn::Count)
            && !k.validity
            && !matches!(k.element, Scalar::Bool | Scalar::Float16)
            && (has("+avx2") || has("+avx512f"))
    }

    /// The vector form of a segmented sum, mean or count: each row is
    /// read [`SEGMENT_LANES`] elements at a time with masked loads (the
    /// last, partial group loads only the row's elements; nothing outside
    /// the row is touched), added into a vector accumulator and reduced
    /// across lanes at the row's end. Rows are short (often a few
    /// elements) and of varying length, so a loop of one element at a time
    /// spends its time in mispredicted exits; this one takes a row of up
    /// to `SEGMENT_LANES` elements in one step. Float sums are
    /// reassociated (as dense reductions are), and a row's result does not
    /// depend on how the rows are split into chunks. A `count` reads no
    /// values: it is `offsets[r + 1] - offsets[r]`.
    fn build_segmented_vector(
        &self,
        name: &str,
        k: &SegmentedKernel,
        out_s: Scalar,
    ) -> R<FunctionValue<'ctx>> {
        let pro = self.column_prologue(name, 5, 2)?;
        let values = pro.ptrs[1];
        self.segment_rows(&pro, out_s, k.writes_missing(), |sv, e| {
            let b = &self.b;
            let i64t = self.i64();
            let n = b.build_int_sub(e, sv, "n").map_err(llvm_err)?;
            let empty = b
                .build_int_compare(IntPredicate::EQ, n, i64t.const_zero(), "empty")
                .map_err(llvm_err)?;
            let result: Val = if k.f == ReduceFn::Count {
                n.into()
            } else {
                let sum = self.segment_sum(k.element, out_s, values, sv, e, pro.f)?;
                if k.f == ReduceFn::Mean {
                    let ft = self.float_ty(out_s);
                    let nf = b.build_signed_int_to_float(n, ft, "nf").map_err(llvm_err)?;
                    let q = b
                        .build_float_div(sum.into_float_value(), nf, "mean")
                        .map_err(llvm_err)?;
                    b.build_select(empty, ft.const_float(f64::NAN), q, "res")
                        .map_err(llvm_err)?
                } else if is_float(out_s) {
                    b.build_select(empty, self.zero(out_s), sum, "res")
                        .map_err(llvm_err)?
                } else {
                    sum
                }
            };
            Ok((result, empty))
        })?;
        Ok(pro.f)
    }

    /// The sum, in scalar `acc`, of `values[s..e]` (of scalar `element`),
    /// read with masked loads of [`SEGMENT_LANES`] lanes; leaves the
    /// builder in the block after the loop. An empty range sums to `-0.0`
    /// for floats (the caller makes it 0) and 0 for integers.
    fn segment_sum(
        &self,
        element: Scalar,
        acc: Scalar,
        values: PointerValue<'ctx>,
        s: IntValue<'ctx>,
        e: IntValue<'ctx>,
        f: FunctionValue<'ctx>,
    ) -> R<Val<'ctx>> {
        let b = &self.b;
        let i64t = self.i64();
        let lanes = SEGMENT_LANES;
        let vec_of = |t: BasicTypeEnum<'ctx>| -> R<VectorType<'ctx>> {
            match t {
                BasicTypeEnum::FloatType(t) => Ok(t.vec_type(lanes)),
                BasicTypeEnum::IntType(t) => Ok(t.vec_type(lanes)),
                _ => Err(Unsupported("a vector of a non-number".into())),
            }
        };
        let (elem_vt, acc_vt) = (vec_of(self.mem_ty(element))?, vec_of(self.mem_ty(acc))?);
        let init: VectorValue = if is_float(acc) {
            let z = self.float_ty(acc).const_float(-0.0);
            VectorType::const_vector(&vec![z; lanes as usize])
        } else {
            acc_vt.const_zero()
        };
        let passthru: VectorValue = if is_float(element) {
            let z = self.float_ty(element).const_float(-0.0);
            VectorType::const_vector(&vec![z; lanes as usize])
        } else {
            elem_vt.const_zero()
        };
        let lane_index = VectorType::const_vector(
            &(0..lanes as u64)
                .map(|l| i64t.const_int(l, false))
                .collect::<Vec<_>>(),
        );
        let before = b
            .get_insert_block()
            .ok_or_else(|| Unsupported("no block".into()))?;
        let head = self.ctx.append_basic_block(f, "vhead");
        let body = self.ctx.append_basic_block(f, "vbody");
        let after = self.ctx.append_basic_block(f, "vdone");
        b.build_unconditional_branch(head).map_err(llvm_err)?;

        b.position_at_end(head);
        let i = b.build_phi(i64t, "vi").map_err(llvm_err)?;
        let a = b.build_phi(acc_vt, "vacc").map_err(llvm_err)?;
        i.add_incoming(&[(&s, before)]);
        a.add_incoming(&[(&init, before)]);
        let (iv, av) = (
            i.as_basic_value().into_int_value(),
            a.as_basic_value().into_vector_value(),
        );
        let more = b
            .build_int_compare(IntPredicate::SLT, iv, e, "vmore")
            .map_err(llvm_err)?;
        b.build_conditional_branch(more, body, after)
            .map_err(llvm_err)?;

        b.position_at_end(body);
        let left = b.build_int_sub(e, iv, "left").map_err(llvm_err)?;
        let splat = self.splat(left, lanes)?;
        let mask = b
            .build_int_compare(IntPredicate::ULT, lane_index, splat, "mask")
            .map_err(llvm_err)?;
        let p = self.gep(element, values, iv)?;
        let align = self.ctx.i32_type().const_int(1, false);
        let ptr_ty = self.ctx.ptr_type(AddressSpace::default());
        let x = self
            .intrinsic(
                "llvm.masked.load",
                &[elem_vt.into(), ptr_ty.into()],
                &[p.into(), align.into(), mask.into(), passthru.into()],
            )?
            .into_vector_value();
        let x = self.widen_vector(element, acc, x, acc_vt)?;
        let sum = if is_float(acc) {
            let v = b.build_float_add(av, x, "vs").map_err(llvm_err)?;
            self.fmf(v, true);
            v
        } else {
            b.build_int_add(av, x, "vs").map_err(llvm_err)?
        };
        let i1 = b
            .build_int_add(iv, i64t.const_int(lanes as u64, false), "vi1")
            .map_err(llvm_err)?;
        i.add_incoming(&[(&i1, body)]);
        a.add_incoming(&[(&sum, body)]);
        b.build_unconditional_branch(head).map_err(llvm_err)?;

        b.position_at_end(after);
        if is_float(acc) {
            let start = self.float_ty(acc).const_float(-0.0);
            let r = self.intrinsic(
                "llvm.vector.reduce.fadd",
                &[acc_vt.into()],
                &[start.into(), av.into()],
            )?;
            self.fmf(r, true);
            Ok(r)
        } else {
            self.intrinsic("llvm.vector.reduce.add", &[acc_vt.into()], &[av.into()])
        }
    }

    /// `x` splatted over `lanes` lanes.
    fn splat(&self, x: IntValue<'ctx>, lanes: u32) -> R<VectorValue<'ctx>> {
        let b = &self.b;
        let vt = x.get_type().vec_type(lanes);
        let one = b
            .build_insert_element(vt.get_undef(), x, self.i64().const_zero(), "ins")
            .map_err(llvm_err)?;
        let zeros = self.ctx.i32_type().vec_type(lanes).const_zero();
        b.build_shuffle_vector(one, vt.get_undef(), zeros, "splat")
            .map_err(llvm_err)
    }

    /// A vector of scalar `from` converted lane by lane to the vector type
    /// `to` of scalar `acc` (the vector form of [`Self::widen`]).
    fn widen_vector(
        &self,
        from: Scalar,
        acc: Scalar,
        x: VectorValue<'ctx>,
        to: VectorType<'ctx>,
    ) -> R<VectorValue<'ctx>> {
        let b = &self.b;
        if from == acc {
            return Ok(x);
        }
        let v = match (is_float(from), is_float(acc)) {
            (true, true) => b.build_float_ext(x, to, "w").map_err(llvm_err)?,
            (false, true) if is_signed(from) => {
                b.build_signed_int_to_float(x, to, "w").map_err(llvm_err)?
            }
            (false, true) => b
                .build_unsigned_int_to_float(x, to, "w")
                .map_err(llvm_err)?,
            (false, false) if is_signed(from) => {
                b.build_int_s_extend(x, to, "w").map_err(llvm_err)?
            }
            (false, false) => b.build_int_z_extend(x, to, "w").map_err(llvm_err)?,
            (true, false) => {
                return Err(Unsupported(format!(
                    "a segmented sum of {} into {}",
                    from.name(),
                    acc.name()
                )))
            }
        };
        Ok(v)
    }
}

/// The lanes of the vector form's masked loads.
const SEGMENT_LANES: u32 = 8;

//! String kernels over a `Utf8` column
//! ([`StringKernel`](crate::arrow_kernels::StringKernel)): a loop over the
//! rows `begin..end`, each row's bytes (between two `i32` offsets)
//! compared with a literal (or the same row of a second column) byte by
//! byte, or its code points counted; the result stored per row or counted.

use super::emitter::{llvm_err, Emitter, R};
use crate::arrow_kernels::{StringKernel, StringOp};
use crate::error::Unsupported;
use blaze_datashape::Scalar;
use blaze_ir::ops::BinaryFn;
use inkwell::basic_block::BasicBlock;
use inkwell::values::{FunctionValue, IntValue, PointerValue};
use inkwell::IntPredicate;

/// Where a byte scan ([`Emitter::scan_equal`]) leaves: the block that
/// found every byte equal, the block that found a difference, and the two
/// bytes it compared.
struct ScanExits<'ctx> {
    head: BasicBlock<'ctx>,
    body: BasicBlock<'ctx>,
    x: IntValue<'ctx>,
    y: IntValue<'ctx>,
}

impl<'ctx> Emitter<'ctx, '_> {
    fn block_now(&self) -> R<BasicBlock<'ctx>> {
        self.b
            .get_insert_block()
            .ok_or_else(|| Unsupported("no insertion block".into()))
    }

    fn byte_at(&self, base: PointerValue<'ctx>, i: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let i8t = self.ctx.i8_type();
        let p = unsafe { self.b.build_in_bounds_gep(i8t, base, &[i], "bp") }.map_err(llvm_err)?;
        Ok(self
            .b
            .build_load(i8t, p, "byte")
            .map_err(llvm_err)?
            .into_int_value())
    }

    /// Emits `for j in 0..len { if a[j] != bp[j] { goto differ } } goto
    /// equal`, from the current block. Returns the block that branches to
    /// `equal` (the loop's head), the one that branches to `differ` (its
    /// body) and the two bytes compared there.
    #[allow(clippy::too_many_arguments)]
    fn scan_equal(
        &self,
        f: FunctionValue<'ctx>,
        a: PointerValue<'ctx>,
        bp: PointerValue<'ctx>,
        len: IntValue<'ctx>,
        equal: BasicBlock<'ctx>,
        differ: BasicBlock<'ctx>,
    ) -> R<ScanExits<'ctx>> {
        let b = &self.b;
        let i64t = self.i64();
        let pre = self.block_now()?;
        let head = self.ctx.append_basic_block(f, "scan.head");
        let body = self.ctx.append_basic_block(f, "scan.body");
        b.build_unconditional_branch(head).map_err(llvm_err)?;
        b.position_at_end(head);
        let j = b.build_phi(i64t, "j").map_err(llvm_err)?;
        j.add_incoming(&[(&i64t.const_zero(), pre)]);
        let jv = j.as_basic_value().into_int_value();
        let more = b
            .build_int_compare(IntPredicate::SLT, jv, len, "more")
            .map_err(llvm_err)?;
        b.build_conditional_branch(more, body, equal)
            .map_err(llvm_err)?;
        b.position_at_end(body);
        let (x, y) = (self.byte_at(a, jv)?, self.byte_at(bp, jv)?);
        let same = b
            .build_int_compare(IntPredicate::EQ, x, y, "same")
            .map_err(llvm_err)?;
        let j1 = b
            .build_int_add(jv, i64t.const_int(1, false), "j1")
            .map_err(llvm_err)?;
        j.add_incoming(&[(&j1, body)]);
        b.build_conditional_branch(same, head, differ)
            .map_err(llvm_err)?;
        Ok(ScanExits { head, body, x, y })
    }

    /// Whether the `len` bytes at `a` and `b` are equal (an `i1`); leaves
    /// the builder in the block after the loop.
    fn bytes_eq(
        &self,
        f: FunctionValue<'ctx>,
        a: PointerValue<'ctx>,
        bp: PointerValue<'ctx>,
        len: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let out = self.ctx.append_basic_block(f, "eq.out");
        let scan = self.scan_equal(f, a, bp, len, out, out)?;
        self.b.position_at_end(out);
        let bt = self.ctx.bool_type();
        let res = self.b.build_phi(bt, "eq").map_err(llvm_err)?;
        res.add_incoming(&[
            (&bt.const_int(1, false), scan.head),
            (&bt.const_zero(), scan.body),
        ]);
        Ok(res.as_basic_value().into_int_value())
    }

    /// The three-way comparison (−1, 0, 1 as an `i32`) of the `n` bytes at
    /// `a` with the `m` bytes at `bp`, unsigned bytes, shorter first on a
    /// common prefix.
    fn bytes_cmp(
        &self,
        f: FunctionValue<'ctx>,
        a: PointerValue<'ctx>,
        n: IntValue<'ctx>,
        bp: PointerValue<'ctx>,
        m: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let b = &self.b;
        let i32t = self.ctx.i32_type();
        let shorter = b
            .build_int_compare(IntPredicate::SLT, n, m, "shorter")
            .map_err(llvm_err)?;
        let mn = b
            .build_select(shorter, n, m, "mn")
            .map_err(llvm_err)?
            .into_int_value();
        let diff = self.ctx.append_basic_block(f, "cmp.diff");
        let tail = self.ctx.append_basic_block(f, "cmp.tail");
        let out = self.ctx.append_basic_block(f, "cmp.out");
        let ScanExits { x, y, .. } = self.scan_equal(f, a, bp, mn, tail, diff)?;
        let minus = i32t.const_all_ones();
        let (zero, one) = (i32t.const_zero(), i32t.const_int(1, false));
        b.position_at_end(diff);
        let lt = b
            .build_int_compare(IntPredicate::ULT, x, y, "lt")
            .map_err(llvm_err)?;
        let d = b
            .build_select(lt, minus, one, "d")
            .map_err(llvm_err)?
            .into_int_value();
        b.build_unconditional_branch(out).map_err(llvm_err)?;
        b.position_at_end(tail);
        let same_len = b
            .build_int_compare(IntPredicate::EQ, n, m, "samelen")
            .map_err(llvm_err)?;
        let t = b
            .build_select(same_len, zero, one, "t0")
            .map_err(llvm_err)?
            .into_int_value();
        let t = b
            .build_select(shorter, minus, t, "t")
            .map_err(llvm_err)?
            .into_int_value();
        b.build_unconditional_branch(out).map_err(llvm_err)?;
        b.position_at_end(out);
        let res = b.build_phi(i32t, "cmp").map_err(llvm_err)?;
        res.add_incoming(&[(&d, diff), (&t, tail)]);
        Ok(res.as_basic_value().into_int_value())
    }

    /// `cond ? then() : false`, with `then` emitted in its own block.
    fn and_then(
        &self,
        f: FunctionValue<'ctx>,
        cond: IntValue<'ctx>,
        then: impl FnOnce() -> R<IntValue<'ctx>>,
    ) -> R<IntValue<'ctx>> {
        let b = &self.b;
        let pre = self.block_now()?;
        let yes = self.ctx.append_basic_block(f, "and.then");
        let out = self.ctx.append_basic_block(f, "and.out");
        b.build_conditional_branch(cond, yes, out)
            .map_err(llvm_err)?;
        b.position_at_end(yes);
        let v = then()?;
        let last = self.block_now()?;
        b.build_unconditional_branch(out).map_err(llvm_err)?;
        b.position_at_end(out);
        let bt = self.ctx.bool_type();
        let res = b.build_phi(bt, "and").map_err(llvm_err)?;
        res.add_incoming(&[(&bt.const_zero(), pre), (&v, last)]);
        Ok(res.as_basic_value().into_int_value())
    }

    /// Whether the `m` bytes at `lit` occur in the `n` bytes at `a`.
    fn bytes_contain(
        &self,
        f: FunctionValue<'ctx>,
        a: PointerValue<'ctx>,
        n: IntValue<'ctx>,
        lit: PointerValue<'ctx>,
        m: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let b = &self.b;
        let i64t = self.i64();
        let i8t = self.ctx.i8_type();
        let fits = b
            .build_int_compare(IntPredicate::SLE, m, n, "fits")
            .map_err(llvm_err)?;
        self.and_then(f, fits, || {
            let last = b.build_int_sub(n, m, "last").map_err(llvm_err)?;
            let pre = self.block_now()?;
            let head = self.ctx.append_basic_block(f, "in.head");
            let body = self.ctx.append_basic_block(f, "in.body");
            let next = self.ctx.append_basic_block(f, "in.next");
            let out = self.ctx.append_basic_block(f, "in.out");
            b.build_unconditional_branch(head).map_err(llvm_err)?;
            b.position_at_end(head);
            let k = b.build_phi(i64t, "k").map_err(llvm_err)?;
            k.add_incoming(&[(&i64t.const_zero(), pre)]);
            let kv = k.as_basic_value().into_int_value();
            let more = b
                .build_int_compare(IntPredicate::SLE, kv, last, "more")
                .map_err(llvm_err)?;
            b.build_conditional_branch(more, body, out)
                .map_err(llvm_err)?;
            b.position_at_end(body);
            let at = unsafe { b.build_in_bounds_gep(i8t, a, &[kv], "at") }.map_err(llvm_err)?;
            let eq = self.bytes_eq(f, at, lit, m)?;
            let found_in = self.block_now()?;
            b.build_conditional_branch(eq, out, next)
                .map_err(llvm_err)?;
            b.position_at_end(next);
            let k1 = b
                .build_int_add(kv, i64t.const_int(1, false), "k1")
                .map_err(llvm_err)?;
            k.add_incoming(&[(&k1, next)]);
            b.build_unconditional_branch(head).map_err(llvm_err)?;
            b.position_at_end(out);
            let bt = self.ctx.bool_type();
            let res = b.build_phi(bt, "found").map_err(llvm_err)?;
            res.add_incoming(&[
                (&bt.const_zero(), head),
                (&bt.const_int(1, false), found_in),
            ]);
            Ok(res.as_basic_value().into_int_value())
        })
    }

    /// The number of code points of the `n` bytes at `a`: the bytes that
    /// are not UTF-8 continuation bytes (a loop LLVM vectorizes).
    fn code_points(
        &self,
        f: FunctionValue<'ctx>,
        a: PointerValue<'ctx>,
        n: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let b = &self.b;
        let i64t = self.i64();
        let i8t = self.ctx.i8_type();
        let pre = self.block_now()?;
        let head = self.ctx.append_basic_block(f, "cp.head");
        let body = self.ctx.append_basic_block(f, "cp.body");
        let out = self.ctx.append_basic_block(f, "cp.out");
        b.build_unconditional_branch(head).map_err(llvm_err)?;
        b.position_at_end(head);
        let j = b.build_phi(i64t, "j").map_err(llvm_err)?;
        let c = b.build_phi(i64t, "c").map_err(llvm_err)?;
        j.add_incoming(&[(&i64t.const_zero(), pre)]);
        c.add_incoming(&[(&i64t.const_zero(), pre)]);
        let (jv, cv) = (
            j.as_basic_value().into_int_value(),
            c.as_basic_value().into_int_value(),
        );
        let more = b
            .build_int_compare(IntPredicate::SLT, jv, n, "more")
            .map_err(llvm_err)?;
        b.build_conditional_branch(more, body, out)
            .map_err(llvm_err)?;
        b.position_at_end(body);
        let x = self.byte_at(a, jv)?;
        let top = b
            .build_and(x, i8t.const_int(0xC0, false), "top")
            .map_err(llvm_err)?;
        let starts = b
            .build_int_compare(IntPredicate::NE, top, i8t.const_int(0x80, false), "starts")
            .map_err(llvm_err)?;
        let add = b
            .build_int_z_extend(starts, i64t, "add")
            .map_err(llvm_err)?;
        let c1 = b.build_int_add(cv, add, "c1").map_err(llvm_err)?;
        let j1 = b
            .build_int_add(jv, i64t.const_int(1, false), "j1")
            .map_err(llvm_err)?;
        j.add_incoming(&[(&j1, body)]);
        c.add_incoming(&[(&c1, body)]);
        b.build_unconditional_branch(head).map_err(llvm_err)?;
        b.position_at_end(out);
        Ok(cv)
    }

    /// The predicate (or `len`) of one present row: `n` bytes at `a`
    /// against the `m` bytes of the literal.
    #[allow(clippy::too_many_arguments)]
    fn string_row(
        &self,
        f: FunctionValue<'ctx>,
        op: StringOp,
        a: PointerValue<'ctx>,
        n: IntValue<'ctx>,
        lit: PointerValue<'ctx>,
        m: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let b = &self.b;
        let i8t = self.ctx.i8_type();
        let i32t = self.ctx.i32_type();
        match op {
            StringOp::Len => self.code_points(f, a, n),
            StringOp::Compare(c @ (BinaryFn::Eq | BinaryFn::Ne)) => {
                let same_len = b
                    .build_int_compare(IntPredicate::EQ, n, m, "samelen")
                    .map_err(llvm_err)?;
                let eq = self.and_then(f, same_len, || self.bytes_eq(f, a, lit, m))?;
                if c == BinaryFn::Eq {
                    Ok(eq)
                } else {
                    b.build_not(eq, "ne").map_err(llvm_err)
                }
            }
            StringOp::Compare(c) => {
                let three = self.bytes_cmp(f, a, n, lit, m)?;
                let p = match c {
                    BinaryFn::Lt => IntPredicate::SLT,
                    BinaryFn::Le => IntPredicate::SLE,
                    BinaryFn::Gt => IntPredicate::SGT,
                    BinaryFn::Ge => IntPredicate::SGE,
                    other => {
                        return Err(Unsupported(format!(
                            "`{}` is not a string comparison",
                            other.name()
                        )))
                    }
                };
                b.build_int_compare(p, three, i32t.const_zero(), "cmp")
                    .map_err(llvm_err)
            }
            StringOp::StartsWith | StringOp::EndsWith => {
                let fits = b
                    .build_int_compare(IntPredicate::SLE, m, n, "fits")
                    .map_err(llvm_err)?;
                self.and_then(f, fits, || {
                    let at = if op == StringOp::StartsWith {
                        a
                    } else {
                        let k = b.build_int_sub(n, m, "k").map_err(llvm_err)?;
                        unsafe { b.build_in_bounds_gep(i8t, a, &[k], "at") }.map_err(llvm_err)?
                    };
                    self.bytes_eq(f, at, lit, m)
                })
            }
            StringOp::Contains => self.bytes_contain(f, a, n, lit, m),
        }
    }

    /// Builds the string kernel `name` for `k`.
    pub(crate) fn build_strings(&self, name: &str, k: &StringKernel) -> R<FunctionValue<'ctx>> {
        let (n_ptrs, n_args) = if k.pair { (8, 4) } else { (6, 2) };
        let pro = self.column_prologue(name, n_ptrs, n_args)?;
        let b = &self.b;
        let i64t = self.i64();
        let bt = self.ctx.bool_type();
        let (offsets, data, validity, lit, out, out_missing) = (
            pro.ptrs[0],
            pro.ptrs[1],
            pro.ptrs[2],
            pro.ptrs[3],
            pro.ptrs[4],
            pro.ptrs[5],
        );
        let (valid_bit0, m) = (pro.args[0], pro.args[1]);
        let f = pro.f;
        let entry = self.block_now()?;
        let first = self.offset_at(offsets, pro.begin)?;
        let rows = self.ctx.append_basic_block(f, "rows");
        let row = self.ctx.append_basic_block(f, "row");
        let compute = self.ctx.append_basic_block(f, "compute");
        let finish = self.ctx.append_basic_block(f, "finish");
        b.build_unconditional_branch(rows).map_err(llvm_err)?;

        b.position_at_end(rows);
        let r = b.build_phi(i64t, "r").map_err(llvm_err)?;
        let s = b.build_phi(i64t, "s").map_err(llvm_err)?;
        let count = b.build_phi(i64t, "count").map_err(llvm_err)?;
        r.add_incoming(&[(&pro.begin, entry)]);
        s.add_incoming(&[(&first, entry)]);
        count.add_incoming(&[(&i64t.const_zero(), entry)]);
        let (rv, sv, countv) = (
            r.as_basic_value().into_int_value(),
            s.as_basic_value().into_int_value(),
            count.as_basic_value().into_int_value(),
        );
        let more = b
            .build_int_compare(IntPredicate::SLT, rv, pro.end, "more")
            .map_err(llvm_err)?;
        b.build_conditional_branch(more, row, finish)
            .map_err(llvm_err)?;

        b.position_at_end(row);
        let r1 = b
            .build_int_add(rv, i64t.const_int(1, false), "r1")
            .map_err(llvm_err)?;
        let e = self.offset_at(offsets, r1)?;
        let n = b.build_int_sub(e, sv, "n").map_err(llvm_err)?;
        let mut missing = if k.validity {
            let bit = b.build_int_add(valid_bit0, rv, "vb").map_err(llvm_err)?;
            self.load_missing_bit(validity, bit)?
        } else {
            bt.const_zero()
        };
        // The right operand of this row: the literal, or the row `r * step`
        // of the right column (its bytes, its length, whether missing).
        let (lit, m) = if k.pair {
            let (rhs_offsets, rhs_validity) = (pro.ptrs[6], pro.ptrs[7]);
            let (rhs_bit0, step) = (pro.args[2], pro.args[3]);
            let rr = b.build_int_mul(rv, step, "rr").map_err(llvm_err)?;
            let rr1 = b
                .build_int_add(rr, i64t.const_int(1, false), "rr1")
                .map_err(llvm_err)?;
            let (rs, re) = (
                self.offset_at(rhs_offsets, rr)?,
                self.offset_at(rhs_offsets, rr1)?,
            );
            if k.rhs_validity {
                let bit = b.build_int_add(rhs_bit0, rr, "rvb").map_err(llvm_err)?;
                let rm = self.load_missing_bit(rhs_validity, bit)?;
                missing = b.build_or(missing, rm, "miss").map_err(llvm_err)?;
            }
            let at = unsafe { b.build_in_bounds_gep(self.ctx.i8_type(), lit, &[rs], "rhs") }
                .map_err(llvm_err)?;
            (at, b.build_int_sub(re, rs, "m").map_err(llvm_err)?)
        } else {
            (lit, m)
        };
        let merge = self.ctx.append_basic_block(f, "merge");
        b.build_conditional_branch(missing, merge, compute)
            .map_err(llvm_err)?;

        b.position_at_end(compute);
        let a = unsafe { b.build_in_bounds_gep(self.ctx.i8_type(), data, &[sv], "a") }
            .map_err(llvm_err)?;
        let v = self.string_row(f, k.op, a, n, lit, m)?;
        let computed = self.block_now()?;
        b.build_unconditional_branch(merge).map_err(llvm_err)?;

        b.position_at_end(merge);
        let res_ty = if k.op.is_predicate() { bt } else { i64t };
        let res = b.build_phi(res_ty, "res").map_err(llvm_err)?;
        res.add_incoming(&[(&res_ty.const_zero(), row), (&v, computed)]);
        let resv = res.as_basic_value().into_int_value();
        let next_count = if k.count {
            let add = b.build_int_z_extend(resv, i64t, "add").map_err(llvm_err)?;
            b.build_int_add(countv, add, "count1").map_err(llvm_err)?
        } else {
            let out_s = if k.op.is_predicate() {
                Scalar::Bool
            } else {
                Scalar::Int64
            };
            let p = self.gep(out_s, out, rv)?;
            self.store(out_s, p, resv.into())?;
            if k.writes_missing() {
                let mp = self.gep(Scalar::Bool, out_missing, rv)?;
                self.store(Scalar::Bool, mp, missing.into())?;
            }
            countv
        };
        r.add_incoming(&[(&r1, merge)]);
        s.add_incoming(&[(&e, merge)]);
        count.add_incoming(&[(&next_count, merge)]);
        b.build_unconditional_branch(rows).map_err(llvm_err)?;

        b.position_at_end(finish);
        if k.count {
            b.build_store(out, countv).map_err(llvm_err)?;
        }
        b.build_unconditional_branch(pro.exit).map_err(llvm_err)?;
        Ok(f)
    }
}

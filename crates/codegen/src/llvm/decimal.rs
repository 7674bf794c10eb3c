//! Decimal kernels over `Decimal128` values
//! ([`DecimalKernel`](crate::arrow_kernels::DecimalKernel)): a loop over
//! the rows `begin..end` doing exact `i128` arithmetic. Every check is
//! inline integer code (no runtime library call): a rescale by `10^k`
//! compares with `i128::MAX / 10^k` first, sums test the sign bits, a
//! product is built from 64-bit halves, and a result is compared with
//! `10^precision`. Also the loop over rows carrying values that the
//! selection count shares.

use super::emitter::{llvm_err, Emitter, R};
use super::segmented::Prologue;
use crate::arrow_kernels::{DecimalKernel, DecimalOp};
use crate::error::Unsupported;
use blaze_ir::ops::{BinaryFn, ReduceFn};
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicValue, BasicValueEnum, FunctionValue, IntValue, PointerValue};
use inkwell::IntPredicate;

/// `10^k` when it fits an `i128`.
fn pow10(k: u32) -> Option<i128> {
    10i128.checked_pow(k)
}

impl<'ctx> Emitter<'ctx, '_> {
    fn c128(&self, v: i128) -> IntValue<'ctx> {
        let bits = v as u128;
        self.ctx
            .i128_type()
            .const_int_arbitrary_precision(&[bits as u64, (bits >> 64) as u64])
    }

    pub(super) fn icmp(
        &self,
        p: IntPredicate,
        a: IntValue<'ctx>,
        b: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        self.b.build_int_compare(p, a, b, "c").map_err(llvm_err)
    }

    fn or1(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.b.build_or(a, b, "or").map_err(llvm_err)
    }

    pub(super) fn and1(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.b.build_and(a, b, "and").map_err(llvm_err)
    }

    fn pick(&self, c: IntValue<'ctx>, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        Ok(self
            .b
            .build_select(c, a, b, "sel")
            .map_err(llvm_err)?
            .into_int_value())
    }

    /// A pointer to element `i` of `i128`s at `base`.
    fn at128(&self, base: PointerValue<'ctx>, i: IntValue<'ctx>) -> R<PointerValue<'ctx>> {
        unsafe { self.b.build_gep(self.ctx.i128_type(), base, &[i], "dp") }.map_err(llvm_err)
    }

    fn load128(&self, base: PointerValue<'ctx>, i: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let p = self.at128(base, i)?;
        let v = self
            .b
            .build_load(self.ctx.i128_type(), p, "d")
            .map_err(llvm_err)?;
        if let Some(inst) = v.as_instruction_value() {
            inst.set_alignment(8).map_err(llvm_err)?;
        }
        Ok(v.into_int_value())
    }

    fn store128(&self, base: PointerValue<'ctx>, i: IntValue<'ctx>, v: IntValue<'ctx>) -> R<()> {
        let p = self.at128(base, i)?;
        let st = self.b.build_store(p, v).map_err(llvm_err)?;
        st.set_alignment(8).map_err(llvm_err)?;
        Ok(())
    }

    /// Whether row `r` of an operand is present: bit `bit0 + r * step` of
    /// its validity bitmap, or true when it has none.
    fn row_valid(
        &self,
        has: bool,
        bitmap: PointerValue<'ctx>,
        bit0: IntValue<'ctx>,
        idx: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        if !has {
            return Ok(self.ctx.bool_type().const_int(1, false));
        }
        let bit = self.b.build_int_add(bit0, idx, "vb").map_err(llvm_err)?;
        let missing = self.load_missing_bit(bitmap, bit)?;
        self.b.build_not(missing, "valid").map_err(llvm_err)
    }

    /// `x * 10^k` and whether that overflows `i128`.
    fn rescale128(&self, x: IntValue<'ctx>, k: u32) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        let bt = self.ctx.bool_type();
        if k == 0 {
            return Ok((x, bt.const_zero()));
        }
        let zero = self.c128(0);
        let Some(m) = pow10(k) else {
            let over = self.icmp(IntPredicate::NE, x, zero)?;
            return Ok((zero, over));
        };
        let t = i128::MAX / m;
        let hi = self.icmp(IntPredicate::SGT, x, self.c128(t))?;
        let lo = self.icmp(IntPredicate::SLT, x, self.c128(-t))?;
        let v = self
            .b
            .build_int_mul(x, self.c128(m), "rs")
            .map_err(llvm_err)?;
        Ok((v, self.or1(hi, lo)?))
    }

    /// Whether `r` has more than `p` digits (`|r| >= 10^p`).
    fn too_wide(&self, r: IntValue<'ctx>, p: u32) -> R<IntValue<'ctx>> {
        match pow10(p) {
            Some(l) => {
                let hi = self.icmp(IntPredicate::SGE, r, self.c128(l))?;
                let lo = self.icmp(IntPredicate::SLE, r, self.c128(-l))?;
                self.or1(hi, lo)
            }
            None => Ok(self.ctx.bool_type().const_zero()),
        }
    }

    /// `x + y` (or `x - y`) wrapping, and whether it overflowed `i128`.
    fn add128(
        &self,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
        sub: bool,
    ) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        let b = &self.b;
        let r = if sub {
            b.build_int_sub(x, y, "d").map_err(llvm_err)?
        } else {
            b.build_int_add(x, y, "s").map_err(llvm_err)?
        };
        let xr = b.build_xor(x, r, "xr").map_err(llvm_err)?;
        let other = if sub {
            b.build_xor(x, y, "xy").map_err(llvm_err)?
        } else {
            b.build_xor(y, r, "yr").map_err(llvm_err)?
        };
        let both = b.build_and(xr, other, "ov").map_err(llvm_err)?;
        let over = self.icmp(IntPredicate::SLT, both, self.c128(0))?;
        Ok((r, over))
    }

    /// `a * b` and whether `|a * b| >= 10^p` (or overflows): magnitudes
    /// multiplied from their 64-bit halves, the sign applied last.
    fn mul128(
        &self,
        a: IntValue<'ctx>,
        bv: IntValue<'ctx>,
        p: u32,
    ) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        let b = &self.b;
        let (i128t, i64t) = (self.ctx.i128_type(), self.i64());
        let zero = self.c128(0);
        let abs = |x: IntValue<'ctx>| -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
            let neg = self.icmp(IntPredicate::SLT, x, zero)?;
            let n = b.build_int_sub(zero, x, "n").map_err(llvm_err)?;
            Ok((self.pick(neg, n, x)?, neg))
        };
        let ((ua, na), (ub, nb)) = (abs(a)?, abs(bv)?);
        let halves = |u: IntValue<'ctx>| -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
            let sh = b
                .build_right_shift(u, i128t.const_int(64, false), false, "h")
                .map_err(llvm_err)?;
            let hi = b.build_int_truncate(sh, i64t, "hi").map_err(llvm_err)?;
            let lo = b.build_int_truncate(u, i64t, "lo").map_err(llvm_err)?;
            Ok((hi, lo))
        };
        let ((ah, al), (bh, bl)) = (halves(ua)?, halves(ub)?);
        let wide = |x: IntValue<'ctx>| b.build_int_z_extend(x, i128t, "z").map_err(llvm_err);
        let z64 = i64t.const_zero();
        let both_high = self.and1(
            self.icmp(IntPredicate::NE, ah, z64)?,
            self.icmp(IntPredicate::NE, bh, z64)?,
        )?;
        let c1 = b
            .build_int_mul(wide(ah)?, wide(bl)?, "c1")
            .map_err(llvm_err)?;
        let c2 = b
            .build_int_mul(wide(al)?, wide(bh)?, "c2")
            .map_err(llvm_err)?;
        let cross = b.build_int_add(c1, c2, "cross").map_err(llvm_err)?;
        let cross_hi = b
            .build_right_shift(cross, i128t.const_int(64, false), false, "ch")
            .map_err(llvm_err)?;
        let cross_big = self.icmp(IntPredicate::NE, cross_hi, zero)?;
        let low = b
            .build_int_mul(wide(al)?, wide(bl)?, "low")
            .map_err(llvm_err)?;
        let shifted = b
            .build_left_shift(cross, i128t.const_int(64, false), "cs")
            .map_err(llvm_err)?;
        let prod = b.build_int_add(low, shifted, "prod").map_err(llvm_err)?;
        let carry = self.icmp(IntPredicate::ULT, prod, low)?;
        let limit = pow10(p.min(38)).unwrap_or(i128::MAX);
        let big = self.icmp(IntPredicate::UGE, prod, self.c128(limit))?;
        let over = self.or1(self.or1(both_high, cross_big)?, self.or1(carry, big)?)?;
        let neg = b.build_xor(na, nb, "neg").map_err(llvm_err)?;
        let m = b.build_int_sub(zero, prod, "m").map_err(llvm_err)?;
        Ok((self.pick(neg, m, prod)?, over))
    }

    /// The three-way comparison (−1, 0, 1 as an `i32`) of `a` at scale
    /// `sa` with `b` at scale `sb`, exact at the larger scale; a value too
    /// large to rescale is beyond every other, its sign decides.
    fn cmp_dec(
        &self,
        a: IntValue<'ctx>,
        sa: u32,
        bv: IntValue<'ctx>,
        sb: u32,
    ) -> R<IntValue<'ctx>> {
        let s = sa.max(sb);
        let (x, ox) = self.rescale128(a, s - sa)?;
        let (y, oy) = self.rescale128(bv, s - sb)?;
        let i32t = self.ctx.i32_type();
        let (m1, z, p1) = (
            i32t.const_all_ones(),
            i32t.const_zero(),
            i32t.const_int(1, false),
        );
        let three = |lt: IntValue<'ctx>, gt: IntValue<'ctx>| -> R<IntValue<'ctx>> {
            let t = self.pick(gt, p1, z)?;
            self.pick(lt, m1, t)
        };
        let zero = self.c128(0);
        let xy = three(
            self.icmp(IntPredicate::SLT, x, y)?,
            self.icmp(IntPredicate::SGT, x, y)?,
        )?;
        let sign_a = three(
            self.icmp(IntPredicate::SLT, a, zero)?,
            self.icmp(IntPredicate::SGT, a, zero)?,
        )?;
        let sign_b = three(
            self.icmp(IntPredicate::SGT, bv, zero)?,
            self.icmp(IntPredicate::SLT, bv, zero)?,
        )?;
        let t = self.pick(oy, sign_b, xy)?;
        self.pick(ox, sign_a, t)
    }

    /// A loop over the rows `begin..end` carrying `init`: `body(row,
    /// carried)` emits one row (it may add blocks) and gives the next
    /// carried values. Leaves the builder after the loop, the carried
    /// values' final ones returned.
    pub(super) fn row_loop(
        &self,
        pro: &Prologue<'ctx>,
        init: &[BasicValueEnum<'ctx>],
        body: impl FnOnce(IntValue<'ctx>, &[BasicValueEnum<'ctx>]) -> R<Vec<BasicValueEnum<'ctx>>>,
    ) -> R<Vec<BasicValueEnum<'ctx>>> {
        let b = &self.b;
        let i64t = self.i64();
        let entry = b
            .get_insert_block()
            .ok_or_else(|| Unsupported("no block".into()))?;
        let head = self.ctx.append_basic_block(pro.f, "rows");
        let row = self.ctx.append_basic_block(pro.f, "row");
        let done = self.ctx.append_basic_block(pro.f, "done");
        b.build_unconditional_branch(head).map_err(llvm_err)?;
        b.position_at_end(head);
        let r = b.build_phi(i64t, "r").map_err(llvm_err)?;
        r.add_incoming(&[(&pro.begin, entry)]);
        let phis = init
            .iter()
            .map(|v| {
                let ty: BasicTypeEnum = v.get_type();
                let p = b.build_phi(ty, "carry").map_err(llvm_err)?;
                p.add_incoming(&[(v, entry)]);
                Ok(p)
            })
            .collect::<R<Vec<_>>>()?;
        let rv = r.as_basic_value().into_int_value();
        let vals: Vec<BasicValueEnum> = phis.iter().map(|p| p.as_basic_value()).collect();
        let more = self.icmp(IntPredicate::SLT, rv, pro.end)?;
        b.build_conditional_branch(more, row, done)
            .map_err(llvm_err)?;
        b.position_at_end(row);
        let next = body(rv, &vals)?;
        let last = b
            .get_insert_block()
            .ok_or_else(|| Unsupported("no block".into()))?;
        let r1 = b
            .build_int_add(rv, i64t.const_int(1, false), "r1")
            .map_err(llvm_err)?;
        r.add_incoming(&[(&r1, last)]);
        for (p, v) in phis.iter().zip(&next) {
            p.add_incoming(&[(v, last)]);
        }
        b.build_unconditional_branch(head).map_err(llvm_err)?;
        b.position_at_end(done);
        Ok(vals)
    }

    /// Builds the decimal kernel `name` for `k`.
    pub(crate) fn build_decimal(&self, name: &str, k: &DecimalKernel) -> R<FunctionValue<'ctx>> {
        k.check().map_err(Unsupported)?;
        let (n_ptrs, n_args) = match k.op {
            _ if k.binary() => (6, 4),
            DecimalOp::ToInt => (5, 3),
            _ => (3, 1),
        };
        let pro = self.column_prologue(name, n_ptrs, n_args)?;
        match k.op {
            DecimalOp::Arith(_) | DecimalOp::Compare(_) => self.decimal_binary(&pro, k)?,
            DecimalOp::ToFloat64 => self.decimal_to_f64(&pro, k)?,
            DecimalOp::ToInt => self.decimal_to_int(&pro, k)?,
            DecimalOp::Reduce(f) => self.decimal_reduce(&pro, k, f)?,
        }
        self.b
            .build_unconditional_branch(pro.exit)
            .map_err(llvm_err)?;
        Ok(pro.f)
    }

    fn decimal_binary(&self, pro: &Prologue<'ctx>, k: &DecimalKernel) -> R<()> {
        let b = &self.b;
        let (a, av, bp, bvp, out, err) = (
            pro.ptrs[0],
            pro.ptrs[1],
            pro.ptrs[2],
            pro.ptrs[3],
            pro.ptrs[4],
            pro.ptrs[5],
        );
        let (abit, bbit, astep, bstep) = (pro.args[0], pro.args[1], pro.args[2], pro.args[3]);
        let (sa, sb) = k.scales;
        let (p, s) = k.result;
        self.row_loop(pro, &[], |r, _| {
            let ia = b.build_int_mul(r, astep, "ia").map_err(llvm_err)?;
            let ib = b.build_int_mul(r, bstep, "ib").map_err(llvm_err)?;
            let valid = self.and1(
                self.row_valid(k.validity.0, av, abit, ia)?,
                self.row_valid(k.validity.1, bvp, bbit, ib)?,
            )?;
            let (x, y) = (self.load128(a, ia)?, self.load128(bp, ib)?);
            match k.op {
                DecimalOp::Compare(f) => {
                    let ord = self.cmp_dec(x, sa, y, sb)?;
                    let pred = match f {
                        BinaryFn::Eq => IntPredicate::EQ,
                        BinaryFn::Ne => IntPredicate::NE,
                        BinaryFn::Lt => IntPredicate::SLT,
                        BinaryFn::Le => IntPredicate::SLE,
                        BinaryFn::Gt => IntPredicate::SGT,
                        _ => IntPredicate::SGE,
                    };
                    let t = self.icmp(pred, ord, self.ctx.i32_type().const_zero())?;
                    let t = self.and1(t, valid)?;
                    let byte = b
                        .build_int_z_extend(t, self.ctx.i8_type(), "t8")
                        .map_err(llvm_err)?;
                    let ptr = unsafe { b.build_gep(self.ctx.i8_type(), out, &[r], "bp") }
                        .map_err(llvm_err)?;
                    b.build_store(ptr, byte).map_err(llvm_err)?;
                }
                DecimalOp::Arith(f) => {
                    let (v, over) = if f == BinaryFn::Mul {
                        self.mul128(x, y, p)?
                    } else {
                        let (x1, ox) = self.rescale128(x, s.saturating_sub(sa))?;
                        let (y1, oy) = self.rescale128(y, s.saturating_sub(sb))?;
                        let (v, o) = self.add128(x1, y1, f == BinaryFn::Sub)?;
                        let wide = self.too_wide(v, p)?;
                        (v, self.or1(self.or1(ox, oy)?, self.or1(o, wide)?)?)
                    };
                    let bad = self.and1(over, valid)?;
                    let fail = self.ctx.append_basic_block(pro.f, "fail");
                    let ok = self.ctx.append_basic_block(pro.f, "ok");
                    b.build_conditional_branch(bad, fail, ok)
                        .map_err(llvm_err)?;
                    b.position_at_end(fail);
                    b.build_store(err, r).map_err(llvm_err)?;
                    b.build_unconditional_branch(pro.exit).map_err(llvm_err)?;
                    b.position_at_end(ok);
                    let v = self.pick(valid, v, self.c128(0))?;
                    self.store128(out, r, v)?;
                }
                _ => {}
            }
            Ok(Vec::new())
        })?;
        Ok(())
    }

    /// `-lim < x < lim` for an `i128` value.
    fn within(&self, x: IntValue<'ctx>, lim: i128) -> R<IntValue<'ctx>> {
        self.and1(
            self.icmp(IntPredicate::SLT, x, self.c128(lim))?,
            self.icmp(IntPredicate::SGT, x, self.c128(-lim))?,
        )
    }

    fn decimal_to_f64(&self, pro: &Prologue<'ctx>, k: &DecimalKernel) -> R<()> {
        let b = &self.b;
        let (a, av, out) = (pro.ptrs[0], pro.ptrs[1], pro.ptrs[2]);
        let f64t = self.ctx.f64_type();
        let s = k.scales.0;
        self.row_loop(pro, &[], |r, _| {
            let valid = self.row_valid(k.validity.0, av, pro.args[0], r)?;
            let x = self.load128(a, r)?;
            let small = self.within(x, 1i128 << 53)?;
            let exact = if s <= 22 {
                let xf = b
                    .build_signed_int_to_float(x, f64t, "xf")
                    .map_err(llvm_err)?;
                let d = f64t.const_float(format!("1e{s}").parse().unwrap_or(f64::NAN));
                b.build_float_div(xf, d, "q").map_err(llvm_err)?
            } else {
                f64t.const_float(f64::NAN)
            };
            let nan = f64t.const_float(f64::NAN);
            let v = b
                .build_select(small, exact, nan, "v")
                .map_err(llvm_err)?
                .into_float_value();
            let v = b
                .build_select(valid, v, f64t.const_zero(), "v")
                .map_err(llvm_err)?;
            let ptr = unsafe { b.build_gep(f64t, out, &[r], "fp") }.map_err(llvm_err)?;
            b.build_store(ptr, v).map_err(llvm_err)?;
            Ok(Vec::new())
        })?;
        Ok(())
    }

    fn decimal_to_int(&self, pro: &Prologue<'ctx>, k: &DecimalKernel) -> R<()> {
        let b = &self.b;
        let (a, av, out, slow, err) = (
            pro.ptrs[0],
            pro.ptrs[1],
            pro.ptrs[2],
            pro.ptrs[3],
            pro.ptrs[4],
        );
        let (lo, hi) = (pro.args[1], pro.args[2]);
        let (i8t, i64t) = (self.ctx.i8_type(), self.i64());
        let s = k.scales.0;
        self.row_loop(pro, &[], |r, _| {
            let valid = self.row_valid(k.validity.0, av, pro.args[0], r)?;
            let x = self.load128(a, r)?;
            let fits = self.within(x, 1i128 << 63)?;
            let x64 = b.build_int_truncate(x, i64t, "x64").map_err(llvm_err)?;
            // |x| < 2^63 <= 10^19: a scale of 19 or more leaves 0.
            let q = match pow10(s).and_then(|d| i64::try_from(d).ok()) {
                Some(1) => x64,
                Some(d) => b
                    .build_int_signed_div(x64, i64t.const_int(d as u64, true), "q")
                    .map_err(llvm_err)?,
                None => i64t.const_zero(),
            };
            let fast = self.and1(fits, valid)?;
            let nf = b.build_not(fits, "nf").map_err(llvm_err)?;
            let marked = self.and1(nf, valid)?;
            let q = self.pick(fast, q, i64t.const_zero())?;
            let out_lo = self.icmp(IntPredicate::SLT, q, lo)?;
            let out_hi = self.icmp(IntPredicate::SGT, q, hi)?;
            let bad = self.and1(self.or1(out_lo, out_hi)?, fast)?;
            let fail = self.ctx.append_basic_block(pro.f, "fail");
            let ok = self.ctx.append_basic_block(pro.f, "ok");
            b.build_conditional_branch(bad, fail, ok)
                .map_err(llvm_err)?;
            b.position_at_end(fail);
            b.build_store(err, r).map_err(llvm_err)?;
            b.build_unconditional_branch(pro.exit).map_err(llvm_err)?;
            b.position_at_end(ok);
            let qp = unsafe { b.build_gep(i64t, out, &[r], "qp") }.map_err(llvm_err)?;
            b.build_store(qp, q).map_err(llvm_err)?;
            let sp = unsafe { b.build_gep(i8t, slow, &[r], "sp") }.map_err(llvm_err)?;
            let m8 = b.build_int_z_extend(marked, i8t, "m8").map_err(llvm_err)?;
            b.build_store(sp, m8).map_err(llvm_err)?;
            Ok(Vec::new())
        })?;
        Ok(())
    }

    fn decimal_reduce(&self, pro: &Prologue<'ctx>, k: &DecimalKernel, f: ReduceFn) -> R<()> {
        let b = &self.b;
        let (a, av, out) = (pro.ptrs[0], pro.ptrs[1], pro.ptrs[2]);
        let i64t = self.i64();
        let zero = self.c128(0);
        let bt = self.ctx.bool_type();
        let init = [
            zero.into(),
            zero.into(),
            zero.into(),
            i64t.const_zero().into(),
            bt.const_zero().into(),
        ];
        let fin = self.row_loop(pro, &init, |r, c| {
            let (acc, lo, hi, cnt, over) = (
                c[0].into_int_value(),
                c[1].into_int_value(),
                c[2].into_int_value(),
                c[3].into_int_value(),
                c[4].into_int_value(),
            );
            let valid = self.row_valid(k.validity.0, av, pro.args[0], r)?;
            let x = self.load128(a, r)?;
            let v64 = b.build_int_z_extend(valid, i64t, "v").map_err(llvm_err)?;
            let cnt1 = b.build_int_add(cnt, v64, "cnt").map_err(llvm_err)?;
            let (acc1, lo1, hi1, over1) = if f == ReduceFn::Sum {
                let (s, o) = self.add128(acc, x, false)?;
                let acc1 = self.pick(valid, s, acc)?;
                let lo1 = self.pick(self.icmp(IntPredicate::SLT, acc1, lo)?, acc1, lo)?;
                let hi1 = self.pick(self.icmp(IntPredicate::SGT, acc1, hi)?, acc1, hi)?;
                (acc1, lo1, hi1, self.or1(over, self.and1(o, valid)?)?)
            } else {
                let p = if f == ReduceFn::Min {
                    IntPredicate::SLT
                } else {
                    IntPredicate::SGT
                };
                let first = self.icmp(IntPredicate::EQ, cnt, i64t.const_zero())?;
                let better = self.or1(self.icmp(p, x, acc)?, first)?;
                let take = self.and1(better, valid)?;
                (self.pick(take, x, acc)?, lo, hi, over)
            };
            Ok(vec![
                acc1.into(),
                lo1.into(),
                hi1.into(),
                cnt1.into(),
                over1.into(),
            ])
        })?;
        let i128t = self.ctx.i128_type();
        for (slot, v) in fin.iter().enumerate() {
            let v = v.into_int_value();
            let w = if v.get_type().get_bit_width() < 128 {
                b.build_int_z_extend(v, i128t, "w").map_err(llvm_err)?
            } else {
                v
            };
            self.store128(out, i64t.const_int(slot as u64, false), w)?;
        }
        Ok(())
    }
}

//! Binary functions on bool, integers (division and remainder checked for
//! 0 and −1, Python's floor semantics) and floats (NumPy's `divmod`, NaN
//! rules of `minimum`/`maximum`).

use super::emitter::{is_float, is_signed, llvm_err, Emitter, Val, R};
use crate::error::Unsupported;
use blaze_datashape::Scalar;
use blaze_ir::ops::BinaryFn;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{FloatValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};

/// The predicate of a comparison of integers (`signed` or not).
fn int_predicate(f: BinaryFn, signed: bool) -> Option<IntPredicate> {
    use IntPredicate::*;
    Some(match (f, signed) {
        (BinaryFn::Eq, _) => EQ,
        (BinaryFn::Ne, _) => NE,
        (BinaryFn::Lt, true) => SLT,
        (BinaryFn::Lt, false) => ULT,
        (BinaryFn::Le, true) => SLE,
        (BinaryFn::Le, false) => ULE,
        (BinaryFn::Gt, true) => SGT,
        (BinaryFn::Gt, false) => UGT,
        (BinaryFn::Ge, true) => SGE,
        (BinaryFn::Ge, false) => UGE,
        _ => return None,
    })
}

/// The predicate of a comparison of floats: ordered, except `!=` (true
/// when either side is NaN, as NumPy).
fn float_predicate(f: BinaryFn) -> Option<FloatPredicate> {
    use FloatPredicate::*;
    Some(match f {
        BinaryFn::Eq => OEQ,
        BinaryFn::Ne => UNE,
        BinaryFn::Lt => OLT,
        BinaryFn::Le => OLE,
        BinaryFn::Gt => OGT,
        BinaryFn::Ge => OGE,
        _ => return None,
    })
}

impl<'ctx> Emitter<'ctx, '_> {
    pub(super) fn binary(
        &self,
        f: BinaryFn,
        s: Scalar,
        a: Val<'ctx>,
        c: Val<'ctx>,
    ) -> R<Val<'ctx>> {
        use BinaryFn::*;
        let b = &self.b;
        if matches!(f, And | Or) {
            let (x, y) = (self.truthy(s, a)?, self.truthy(s, c)?);
            return Ok(if f == And {
                b.build_and(x, y, "and")
            } else {
                b.build_or(x, y, "or")
            }
            .map_err(llvm_err)?
            .into());
        }
        // Comparisons: bool compares as unsigned.
        if is_float(s) {
            if let Some(p) = float_predicate(f) {
                let (x, y) = (a.into_float_value(), c.into_float_value());
                return Ok(b
                    .build_float_compare(p, x, y, "c")
                    .map_err(llvm_err)?
                    .into());
            }
        } else if let Some(p) = int_predicate(f, is_signed(s)) {
            let (x, y) = (a.into_int_value(), c.into_int_value());
            return Ok(b.build_int_compare(p, x, y, "c").map_err(llvm_err)?.into());
        }
        if s == Scalar::Bool {
            let (x, y) = (a.into_int_value(), c.into_int_value());
            let t = self.ctx.bool_type();
            return Ok(match f {
                Add | Maximum => b.build_or(x, y, "or").map_err(llvm_err)?.into(),
                Mul | FloorDiv | Minimum => b.build_and(x, y, "and").map_err(llvm_err)?.into(),
                Mod => t.const_zero().into(),
                Pow => {
                    let ny = b.build_not(y, "ny").map_err(llvm_err)?;
                    b.build_or(x, ny, "pow").map_err(llvm_err)?.into()
                }
                _ => {
                    return Err(Unsupported(format!(
                        "`{}` on bool reaches codegen",
                        f.name()
                    )))
                }
            });
        }
        if !is_float(s) {
            return self.int_binary(f, s, a.into_int_value(), c.into_int_value());
        }
        let (x, y) = (a.into_float_value(), c.into_float_value());
        let t = x.get_type();
        let ft: BasicTypeEnum = t.into();
        Ok(match f {
            Add => {
                let v = b.build_float_add(x, y, "add").map_err(llvm_err)?;
                self.fmf(v, false);
                v.into()
            }
            Sub => {
                let v = b.build_float_sub(x, y, "sub").map_err(llvm_err)?;
                self.fmf(v, false);
                v.into()
            }
            Mul => {
                let v = b.build_float_mul(x, y, "mul").map_err(llvm_err)?;
                self.fmf(v, false);
                v.into()
            }
            Div => b.build_float_div(x, y, "div").map_err(llvm_err)?.into(),
            FloorDiv => self.float_divmod(x, y)?.0.into(),
            Mod => self.float_divmod(x, y)?.1.into(),
            Pow => self.libm("pow", s, &[x, y])?.into(),
            Arctan2 => self.libm("atan2", s, &[x, y])?.into(),
            Minimum | Maximum => {
                // NaN in `x` wins, then NaN in `y`; ties keep `x` (as the
                // reference kernels and NumPy).
                let xnan = b
                    .build_float_compare(FloatPredicate::UNO, x, x, "xn")
                    .map_err(llvm_err)?;
                let ynan = b
                    .build_float_compare(FloatPredicate::UNO, y, y, "yn")
                    .map_err(llvm_err)?;
                let p = if f == Minimum {
                    FloatPredicate::OLE
                } else {
                    FloatPredicate::OGE
                };
                let keep = b.build_float_compare(p, x, y, "k").map_err(llvm_err)?;
                let ynn = b.build_not(ynan, "ynn").map_err(llvm_err)?;
                let keep = b.build_and(ynn, keep, "k2").map_err(llvm_err)?;
                let keep = b.build_or(xnan, keep, "k3").map_err(llvm_err)?;
                let _ = ft;
                b.build_select(keep, x, y, "mm").map_err(llvm_err)?
            }
            Eq | Ne | Lt | Le | Gt | Ge | And | Or => unreachable!("handled above"),
            StartsWith | EndsWith | Contains => {
                return Err(Unsupported(format!(
                    "`{}` of strings reaches codegen",
                    f.name()
                )))
            }
        })
    }

    /// NumPy's `npy_divmod`, as the reference kernels: the floor quotient
    /// and the remainder with the divisor's sign; by zero `a / b` and NaN.
    fn float_divmod(
        &self,
        a: FloatValue<'ctx>,
        d: FloatValue<'ctx>,
    ) -> R<(FloatValue<'ctx>, FloatValue<'ctx>)> {
        let b = &self.b;
        let t = a.get_type();
        let ft: BasicTypeEnum = t.into();
        let zero = t.const_zero();
        let one = t.const_float(1.0);
        let m = b.build_float_rem(a, d, "fmod").map_err(llvm_err)?;
        let q0 = b.build_float_div(a, d, "q0").map_err(llvm_err)?;
        let dz = b
            .build_float_compare(FloatPredicate::OEQ, d, zero, "dz")
            .map_err(llvm_err)?;
        let am = b.build_float_sub(a, m, "am").map_err(llvm_err)?;
        let div = b.build_float_div(am, d, "div").map_err(llvm_err)?;
        let mnz = b
            .build_float_compare(FloatPredicate::UNE, m, zero, "mnz")
            .map_err(llvm_err)?;
        let dneg = b
            .build_float_compare(FloatPredicate::OLT, d, zero, "dn")
            .map_err(llvm_err)?;
        let mneg = b
            .build_float_compare(FloatPredicate::OLT, m, zero, "mn")
            .map_err(llvm_err)?;
        let diff = b
            .build_int_compare(IntPredicate::NE, dneg, mneg, "diff")
            .map_err(llvm_err)?;
        let fix = b.build_and(mnz, diff, "fix").map_err(llvm_err)?;
        let m_fixed = b.build_float_add(m, d, "mf").map_err(llvm_err)?;
        let div_fixed = b.build_float_sub(div, one, "df").map_err(llvm_err)?;
        let zero_signed = self
            .intrinsic("llvm.copysign", &[ft], &[zero.into(), d.into()])?
            .into_float_value();
        let m1 = b
            .build_select(fix, m_fixed, m, "m1")
            .map_err(llvm_err)?
            .into_float_value();
        let m2 = b
            .build_select(mnz, m1, zero_signed, "m2")
            .map_err(llvm_err)?
            .into_float_value();
        let div1 = b
            .build_select(fix, div_fixed, div, "d1")
            .map_err(llvm_err)?
            .into_float_value();
        let fl = self
            .intrinsic("llvm.floor", &[ft], &[div1.into()])?
            .into_float_value();
        let frac = b.build_float_sub(div1, fl, "frac").map_err(llvm_err)?;
        let up = b
            .build_float_compare(FloatPredicate::OGT, frac, t.const_float(0.5), "up")
            .map_err(llvm_err)?;
        let fl1 = b.build_float_add(fl, one, "fl1").map_err(llvm_err)?;
        let fd = b
            .build_select(up, fl1, fl, "fd")
            .map_err(llvm_err)?
            .into_float_value();
        let dnz = b
            .build_float_compare(FloatPredicate::UNE, div1, zero, "dnz")
            .map_err(llvm_err)?;
        let zq = self
            .intrinsic("llvm.copysign", &[ft], &[zero.into(), q0.into()])?
            .into_float_value();
        let q = b
            .build_select(dnz, fd, zq, "q")
            .map_err(llvm_err)?
            .into_float_value();
        let q = b
            .build_select(dz, q0, q, "qz")
            .map_err(llvm_err)?
            .into_float_value();
        let m = b
            .build_select(dz, m, m2, "mz")
            .map_err(llvm_err)?
            .into_float_value();
        Ok((q, m))
    }

    fn int_binary(
        &self,
        f: BinaryFn,
        s: Scalar,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
    ) -> R<Val<'ctx>> {
        use BinaryFn::*;
        let b = &self.b;
        let t = x.get_type();
        let signed = is_signed(s);
        let zero = t.const_zero();
        Ok(match f {
            Add => b.build_int_add(x, y, "add").map_err(llvm_err)?.into(),
            Sub => b.build_int_sub(x, y, "sub").map_err(llvm_err)?.into(),
            Mul => b.build_int_mul(x, y, "mul").map_err(llvm_err)?.into(),
            FloorDiv | Mod => {
                // A divisor of 0 gives 0; −1 is done without the division
                // (MIN / −1 overflows); otherwise Python's floor semantics.
                let dz = b
                    .build_int_compare(IntPredicate::EQ, y, zero, "dz")
                    .map_err(llvm_err)?;
                let one = t.const_int(1, false);
                let safe = b
                    .build_select(dz, one, y, "safe")
                    .map_err(llvm_err)?
                    .into_int_value();
                let (q, r) = if signed {
                    let m1 = b
                        .build_int_compare(IntPredicate::EQ, safe, t.const_all_ones(), "m1")
                        .map_err(llvm_err)?;
                    let safe2 = b
                        .build_select(m1, one, safe, "safe2")
                        .map_err(llvm_err)?
                        .into_int_value();
                    let q = b.build_int_signed_div(x, safe2, "q").map_err(llvm_err)?;
                    let r = b.build_int_signed_rem(x, safe2, "r").map_err(llvm_err)?;
                    let negx = b.build_int_sub(zero, x, "nx").map_err(llvm_err)?;
                    let q = b
                        .build_select(m1, negx, q, "q1")
                        .map_err(llvm_err)?
                        .into_int_value();
                    let r = b
                        .build_select(m1, zero, r, "r1")
                        .map_err(llvm_err)?
                        .into_int_value();
                    // Floor: adjust when the remainder's sign differs from
                    // the divisor's.
                    let rnz = b
                        .build_int_compare(IntPredicate::NE, r, zero, "rnz")
                        .map_err(llvm_err)?;
                    let rneg = b
                        .build_int_compare(IntPredicate::SLT, r, zero, "rn")
                        .map_err(llvm_err)?;
                    let dneg = b
                        .build_int_compare(IntPredicate::SLT, safe2, zero, "dn")
                        .map_err(llvm_err)?;
                    let diff = b
                        .build_int_compare(IntPredicate::NE, rneg, dneg, "df")
                        .map_err(llvm_err)?;
                    let adj = b.build_and(rnz, diff, "adj").map_err(llvm_err)?;
                    let q_adj = b.build_int_sub(q, one, "qa").map_err(llvm_err)?;
                    let r_adj = b.build_int_add(r, safe2, "ra").map_err(llvm_err)?;
                    let q = b
                        .build_select(adj, q_adj, q, "qf")
                        .map_err(llvm_err)?
                        .into_int_value();
                    let r = b
                        .build_select(adj, r_adj, r, "rf")
                        .map_err(llvm_err)?
                        .into_int_value();
                    (q, r)
                } else {
                    (
                        b.build_int_unsigned_div(x, safe, "q").map_err(llvm_err)?,
                        b.build_int_unsigned_rem(x, safe, "r").map_err(llvm_err)?,
                    )
                };
                let v = if f == FloorDiv { q } else { r };
                b.build_select(dz, zero, v, "dz0").map_err(llvm_err)?
            }
            Pow => self.int_pow(s, x, y)?.into(),
            Minimum => self.int_min_max(false, signed, x, y)?,
            Maximum => self.int_min_max(true, signed, x, y)?,
            Eq | Ne | Lt | Le | Gt | Ge => {
                return Err(Unsupported(format!(
                    "comparison `{}` is built by `binary`",
                    f.name()
                )))
            }
            Div | Arctan2 | And | Or | StartsWith | EndsWith | Contains => {
                return Err(Unsupported(format!(
                    "`{}` on integers reaches codegen",
                    f.name()
                )))
            }
        })
    }
}

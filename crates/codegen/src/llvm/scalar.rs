//! Scalar values: truthiness, casts (saturating float→integer), constants
//! and unary functions, for bool, integers and floats.

use super::emitter::{is_float, is_signed, llvm_err, Emitter, Val, R};
use crate::error::Unsupported;
use crate::kernel::Const;
use blaze_datashape::Scalar;
use blaze_ir::ops::UnaryFn;
use inkwell::types::BasicTypeEnum;
use inkwell::values::IntValue;
use inkwell::{FloatPredicate, IntPredicate};

impl<'ctx> Emitter<'ctx, '_> {
    pub(super) fn truthy(&self, s: Scalar, v: Val<'ctx>) -> R<IntValue<'ctx>> {
        if s == Scalar::Bool {
            return Ok(v.into_int_value());
        }
        if is_float(s) {
            let z = self.float_ty(s).const_zero();
            // NaN is true, as NumPy's bool(nan).
            return self
                .b
                .build_float_compare(FloatPredicate::UNE, v.into_float_value(), z, "t")
                .map_err(llvm_err);
        }
        let z = self.int_ty(s).const_zero();
        self.b
            .build_int_compare(IntPredicate::NE, v.into_int_value(), z, "t")
            .map_err(llvm_err)
    }

    pub(super) fn cast(&self, from: Scalar, to: Scalar, v: Val<'ctx>) -> R<Val<'ctx>> {
        if from == to {
            return Ok(v);
        }
        let b = &self.b;
        if to == Scalar::Bool {
            return Ok(self.truthy(from, v)?.into());
        }
        Ok(match (is_float(from), is_float(to)) {
            (false, false) => {
                let iv = v.into_int_value();
                let tt = self.int_ty(to);
                let fw = iv.get_type().get_bit_width();
                let tw = tt.get_bit_width();
                if tw < fw {
                    b.build_int_truncate(iv, tt, "tr").map_err(llvm_err)?.into()
                } else if tw == fw {
                    iv.into()
                } else if is_signed(from) {
                    b.build_int_s_extend(iv, tt, "sx").map_err(llvm_err)?.into()
                } else {
                    b.build_int_z_extend(iv, tt, "zx").map_err(llvm_err)?.into()
                }
            }
            (false, true) => {
                let ft = self.float_ty(to);
                if is_signed(from) {
                    b.build_signed_int_to_float(v.into_int_value(), ft, "si")
                        .map_err(llvm_err)?
                        .into()
                } else {
                    b.build_unsigned_int_to_float(v.into_int_value(), ft, "ui")
                        .map_err(llvm_err)?
                        .into()
                }
            }
            (true, false) => {
                // Saturating: NaN → 0, out of range → min/max; never poison.
                let name = if is_signed(to) {
                    "llvm.fptosi.sat"
                } else {
                    "llvm.fptoui.sat"
                };
                let tt: BasicTypeEnum = self.int_ty(to).into();
                let ft: BasicTypeEnum = self.float_ty(from).into();
                self.intrinsic(name, &[tt, ft], &[v])?
            }
            (true, true) => {
                let fv = v.into_float_value();
                let tt = self.float_ty(to);
                if to.bits() > from.bits() {
                    b.build_float_ext(fv, tt, "fx").map_err(llvm_err)?.into()
                } else {
                    b.build_float_trunc(fv, tt, "ft").map_err(llvm_err)?.into()
                }
            }
        })
    }

    pub(super) fn constant(&self, s: Scalar, c: &Const) -> Val<'ctx> {
        if is_float(s) {
            let x = match c {
                Const::Bool(b) => *b as u8 as f64,
                Const::Int(i) => *i as f64,
                Const::UInt(u) => *u as f64,
                Const::Float(f) => *f,
            };
            return self.float_ty(s).const_float(x).into();
        }
        let t = self.int_ty(s);
        let bits = match c {
            Const::Bool(b) => *b as u64,
            Const::Int(i) => *i as u64,
            Const::UInt(u) => *u,
            Const::Float(f) => *f as i64 as u64,
        };
        t.const_int(bits, false).into()
    }

    pub(super) fn unary(&self, f: UnaryFn, s: Scalar, r: Scalar, v: Val<'ctx>) -> R<Val<'ctx>> {
        use UnaryFn::*;
        let b = &self.b;
        if matches!(f, Not) {
            let t = self.truthy(s, v)?;
            return Ok(b.build_not(t, "not").map_err(llvm_err)?.into());
        }
        if matches!(f, IsNa) {
            return Ok(self.ctx.bool_type().const_zero().into());
        }
        if matches!(f, IsNan) {
            if is_float(s) {
                let x = v.into_float_value();
                return Ok(b
                    .build_float_compare(FloatPredicate::UNO, x, x, "nan")
                    .map_err(llvm_err)?
                    .into());
            }
            return Ok(self.ctx.bool_type().const_zero().into());
        }
        if s == Scalar::Bool {
            // Pos, abs, sign, floor, ceil, round leave a bool as it is.
            return Ok(v);
        }
        if !is_float(s) {
            let x = v.into_int_value();
            let t = x.get_type();
            return Ok(match f {
                Neg => b
                    .build_int_sub(t.const_zero(), x, "neg")
                    .map_err(llvm_err)?
                    .into(),
                Abs if is_signed(s) => {
                    let neg = b
                        .build_int_sub(t.const_zero(), x, "neg")
                        .map_err(llvm_err)?;
                    let lt = b
                        .build_int_compare(IntPredicate::SLT, x, t.const_zero(), "lt")
                        .map_err(llvm_err)?;
                    b.build_select(lt, neg, x, "abs").map_err(llvm_err)?
                }
                Sign if is_signed(s) => {
                    let gt = b
                        .build_int_compare(IntPredicate::SGT, x, t.const_zero(), "gt")
                        .map_err(llvm_err)?;
                    let lt = b
                        .build_int_compare(IntPredicate::SLT, x, t.const_zero(), "lt")
                        .map_err(llvm_err)?;
                    let g = b.build_int_z_extend(gt, t, "g").map_err(llvm_err)?;
                    let l = b.build_int_z_extend(lt, t, "l").map_err(llvm_err)?;
                    b.build_int_sub(g, l, "sign").map_err(llvm_err)?.into()
                }
                Sign => {
                    let nz = b
                        .build_int_compare(IntPredicate::NE, x, t.const_zero(), "nz")
                        .map_err(llvm_err)?;
                    b.build_int_z_extend(nz, t, "sign")
                        .map_err(llvm_err)?
                        .into()
                }
                Pos | Abs | Floor | Ceil | Round => x.into(),
                _ => {
                    return Err(Unsupported(format!(
                        "`{}` on integers reaches codegen",
                        f.name()
                    )))
                }
            });
        }
        let x = v.into_float_value();
        let ft: BasicTypeEnum = x.get_type().into();
        let _ = r;
        Ok(match f {
            Neg => b.build_float_neg(x, "neg").map_err(llvm_err)?.into(),
            Pos => x.into(),
            Abs => self.intrinsic("llvm.fabs", &[ft], &[x.into()])?,
            Sqrt => self.intrinsic("llvm.sqrt", &[ft], &[x.into()])?,
            Floor => self.intrinsic("llvm.floor", &[ft], &[x.into()])?,
            Ceil => self.intrinsic("llvm.ceil", &[ft], &[x.into()])?,
            Round => self.intrinsic("llvm.roundeven", &[ft], &[x.into()])?,
            Sign => {
                let t = x.get_type();
                let gt = b
                    .build_float_compare(FloatPredicate::OGT, x, t.const_zero(), "gt")
                    .map_err(llvm_err)?;
                let lt = b
                    .build_float_compare(FloatPredicate::OLT, x, t.const_zero(), "lt")
                    .map_err(llvm_err)?;
                let eq = b
                    .build_float_compare(FloatPredicate::OEQ, x, t.const_zero(), "eq")
                    .map_err(llvm_err)?;
                let z = b
                    .build_select(eq, t.const_zero(), x, "z")
                    .map_err(llvm_err)?;
                let m = b
                    .build_select(lt, t.const_float(-1.0), z.into_float_value(), "m")
                    .map_err(llvm_err)?;
                b.build_select(gt, t.const_float(1.0), m.into_float_value(), "sign")
                    .map_err(llvm_err)?
            }
            Exp => self.libm("exp", s, &[x])?.into(),
            Log => self.libm("log", s, &[x])?.into(),
            Log2 => self.libm("log2", s, &[x])?.into(),
            Log10 => self.libm("log10", s, &[x])?.into(),
            Sin => self.libm("sin", s, &[x])?.into(),
            Cos => self.libm("cos", s, &[x])?.into(),
            Tan => self.libm("tan", s, &[x])?.into(),
            Arcsin => self.libm("asin", s, &[x])?.into(),
            Arccos => self.libm("acos", s, &[x])?.into(),
            Arctan => self.libm("atan", s, &[x])?.into(),
            Sinh => self.libm("sinh", s, &[x])?.into(),
            Cosh => self.libm("cosh", s, &[x])?.into(),
            Tanh => self.libm("tanh", s, &[x])?.into(),
            Not | IsNan | IsNa => unreachable!("handled above"),
            Len | Upper | Lower | Year | Month | Day => {
                return Err(Unsupported(format!(
                    "`{}` of strings or dates reaches codegen",
                    f.name()
                )))
            }
        })
    }
}

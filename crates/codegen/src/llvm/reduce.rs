//! Combining an element into a reduction's accumulator.

use super::emitter::{is_float, is_signed, llvm_err, Emitter, Val, R};
use crate::error::Unsupported;
use blaze_datashape::Scalar;
use blaze_ir::ops::ReduceFn;
use inkwell::types::BasicTypeEnum;

impl<'ctx> Emitter<'ctx, '_> {
    pub(super) fn combine(
        &self,
        f: ReduceFn,
        s: Scalar,
        acc: Val<'ctx>,
        v: Val<'ctx>,
    ) -> R<Val<'ctx>> {
        let b = &self.b;
        if matches!(f, ReduceFn::Any | ReduceFn::All) {
            let (x, y) = (acc.into_int_value(), v.into_int_value());
            return Ok(if f == ReduceFn::Any {
                b.build_or(x, y, "any")
            } else {
                b.build_and(x, y, "all")
            }
            .map_err(llvm_err)?
            .into());
        }
        if is_float(s) {
            let (x, y) = (acc.into_float_value(), v.into_float_value());
            let ft: BasicTypeEnum = x.get_type().into();
            return Ok(match f {
                ReduceFn::Sum => {
                    let r = b.build_float_add(x, y, "acc").map_err(llvm_err)?;
                    self.fmf(r, true);
                    r.into()
                }
                ReduceFn::Prod => {
                    let r = b.build_float_mul(x, y, "acc").map_err(llvm_err)?;
                    self.fmf(r, true);
                    r.into()
                }
                ReduceFn::Min => self.intrinsic("llvm.minimum", &[ft], &[acc, v])?,
                ReduceFn::Max => self.intrinsic("llvm.maximum", &[ft], &[acc, v])?,
                _ => return Err(Unsupported(format!("reduction `{}`", f.name()))),
            });
        }
        let (x, y) = (acc.into_int_value(), v.into_int_value());
        let signed = is_signed(s);
        Ok(match f {
            ReduceFn::Sum => b.build_int_add(x, y, "acc").map_err(llvm_err)?.into(),
            ReduceFn::Prod => b.build_int_mul(x, y, "acc").map_err(llvm_err)?.into(),
            ReduceFn::Min => self.int_min_max(false, signed, x, y)?,
            ReduceFn::Max => self.int_min_max(true, signed, x, y)?,
            _ => return Err(Unsupported(format!("reduction `{}`", f.name()))),
        })
    }
}

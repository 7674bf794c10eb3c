//! The start of a reduction over the whole iteration space: `min` and
//! `max` of no element are an error (as with the JIT), and `out` starts
//! at the reduction's identity, which the kernel combines every element
//! into.

use super::{err, Wrapper, R};
use crate::aot::abi::EVAL;
use crate::llvm::mem_type;
use blaze_datashape::{Scalar, ScalarKind};
use blaze_ir::ops::ReduceFn;
use inkwell::values::{BasicValueEnum, IntValue, PointerValue};
use inkwell::IntPredicate;

impl<'ctx> Wrapper<'_, 'ctx> {
    /// Checks that a `min` or `max` has elements (`total` of them), then
    /// stores the identity of `rf` over `s` at `out`.
    pub(super) fn start_reduction(
        &mut self,
        rf: ReduceFn,
        s: Scalar,
        out: PointerValue<'ctx>,
        total: IntValue<'ctx>,
    ) -> R<()> {
        if matches!(rf, ReduceFn::Min | ReduceFn::Max) {
            let some = self
                .b
                .build_int_compare(IntPredicate::NE, total, self.c64(0), "some")
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
        let v = self.identity(rf, s)?;
        self.b.build_store(out, v).map_err(err)?;
        Ok(())
    }

    /// Divides the sum at `out` (of float type `s`) by the number of
    /// elements, `total`: `mean` (NaN for none, as 0 / 0).
    pub(super) fn finish_mean(
        &mut self,
        s: Scalar,
        out: PointerValue<'ctx>,
        total: IntValue<'ctx>,
    ) -> R<()> {
        let ty = mem_type(self.ctx, s);
        if !ty.is_float_type() {
            return Err(err(format!("`mean` into {s}, not a float")));
        }
        let ft = ty.into_float_type();
        let sum = self.b.build_load(ft, out, "sum").map_err(err)?;
        let n = self
            .b
            .build_unsigned_int_to_float(total, ft, "n")
            .map_err(err)?;
        let mean = self
            .b
            .build_float_div(sum.into_float_value(), n, "mean")
            .map_err(err)?;
        self.b.build_store(out, mean).map_err(err)?;
        Ok(())
    }

    /// The identity of `rf` over `s`, as stored in memory: 0 for `sum` and
    /// `any`, 1 for `prod` and `all`, the largest value for `min`, the
    /// smallest for `max`.
    fn identity(&self, rf: ReduceFn, s: Scalar) -> R<BasicValueEnum<'ctx>> {
        let ty = mem_type(self.ctx, s);
        let low = matches!(rf, ReduceFn::Sum | ReduceFn::Mean | ReduceFn::Any);
        let high = matches!(rf, ReduceFn::Prod | ReduceFn::All);
        if ty.is_float_type() {
            let x = match rf {
                _ if low => 0.0,
                _ if high => 1.0,
                ReduceFn::Min => f64::INFINITY,
                ReduceFn::Max => f64::NEG_INFINITY,
                _ => return Err(err(format!("no identity for `{}`", rf.name()))),
            };
            return Ok(ty.into_float_type().const_float(x).into());
        }
        let it = ty.into_int_type();
        let bits = it.get_bit_width();
        let signed = s.kind() == ScalarKind::Signed;
        let v = match rf {
            _ if low => it.const_zero(),
            _ if high => it.const_int(1, false),
            // The largest: all ones (unsigned, bool's true is 1), or all
            // ones but the sign bit.
            ReduceFn::Min if s == Scalar::Bool => it.const_int(1, false),
            ReduceFn::Min if signed => it.const_int(u64::MAX >> (65 - bits), false),
            ReduceFn::Min => it.const_all_ones(),
            // The smallest: the sign bit alone, or 0.
            ReduceFn::Max if signed => it.const_int(1u64 << (bits - 1), false),
            ReduceFn::Max => it.const_zero(),
            _ => return Err(err(format!("no identity for `{}`", rf.name()))),
        };
        Ok(v.into())
    }
}

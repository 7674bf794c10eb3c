//! Whether `out` shares bytes with an input: the span of bytes a checked
//! tensor covers, and whether two spans are disjoint.

use super::{err, Checked, Wrapper, R};
use inkwell::values::IntValue;
use inkwell::IntPredicate;

/// The bytes of a tensor: lowest address, one past the highest, the first
/// element's address, and whether it is empty.
pub(super) type Span<'ctx> = (
    IntValue<'ctx>,
    IntValue<'ctx>,
    IntValue<'ctx>,
    IntValue<'ctx>,
);

impl<'ctx> Wrapper<'_, 'ctx> {
    /// The bytes a checked tensor of `size`-byte elements spans: its
    /// lowest and one-past-highest address, its first element's address,
    /// and whether it is empty.
    pub(super) fn span(&self, c: &Checked<'ctx>, size: u64) -> R<Span<'ctx>> {
        let i64t = self.i64();
        let first = self
            .b
            .build_ptr_to_int(c.first, i64t, "first")
            .map_err(err)?;
        let mut lo = first;
        let mut hi = self
            .b
            .build_int_add(first, self.c64(size), "hi")
            .map_err(err)?;
        let mut empty = self.ctx.bool_type().const_zero();
        let zero = self.c64(0);
        for (len, stride) in c.lens.iter().zip(&c.strides) {
            let none = self.eq(*len, zero)?;
            empty = self.b.build_or(empty, none, "empty").map_err(err)?;
            let last = self
                .b
                .build_int_sub(*len, self.c64(1), "last")
                .map_err(err)?;
            let reach = self.b.build_int_mul(last, *stride, "r").map_err(err)?;
            let reach = self
                .b
                .build_int_mul(reach, self.c64(size), "rb")
                .map_err(err)?;
            let neg = self
                .b
                .build_int_compare(IntPredicate::SLT, reach, zero, "neg")
                .map_err(err)?;
            let down = self
                .b
                .build_select(neg, reach, zero, "down")
                .map_err(err)?
                .into_int_value();
            let up = self
                .b
                .build_select(neg, zero, reach, "up")
                .map_err(err)?
                .into_int_value();
            lo = self.b.build_int_add(lo, down, "lo").map_err(err)?;
            hi = self.b.build_int_add(hi, up, "hi").map_err(err)?;
        }
        Ok((lo, hi, first, empty))
    }

    /// Whether two spans share no byte (an empty one shares none).
    pub(super) fn disjoint(&self, a: Span<'ctx>, b: Span<'ctx>) -> R<IntValue<'ctx>> {
        let before = self
            .b
            .build_int_compare(IntPredicate::ULE, a.1, b.0, "before")
            .map_err(err)?;
        let after = self
            .b
            .build_int_compare(IntPredicate::ULE, b.1, a.0, "after")
            .map_err(err)?;
        let apart = self.b.build_or(before, after, "apart").map_err(err)?;
        let apart = self.b.build_or(apart, a.3, "e").map_err(err)?;
        self.b.build_or(apart, b.3, "e").map_err(err)
    }
}

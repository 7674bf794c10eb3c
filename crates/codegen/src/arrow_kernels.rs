//! Kernels over Arrow buffers, independent of LLVM: what a segmented
//! (ragged) reduction over a `List` column and a string predicate over a
//! `Utf8` column compute, and the operands they take. [`ColumnKernel`] is
//! their specialization key; its text shares the JIT's cache with the
//! fused kernels' [`KernelKey`](crate::KernelKey)s (the texts cannot
//! collide: these start with `column `).
//!
//! Every column kernel has the C signature of every kernel,
//! [`KernelFn`](crate::KernelFn): `(ptrs, args, shape, begin, end)`, where
//! `begin..end` are rows (slots of the Arrow array), `args` are `i64`
//! scalars and `shape` is not read.
//!
//! A **segmented reduction** ([`SegmentedKernel`]) reduces each row of a
//! `List` column. `ptrs` is
//! `[offsets, values, validity, out, out_missing]`: the list's `i32`
//! offsets (slot 0's first), the child's values (element 0 of the child:
//! the offsets index from it; for `bool` the child's value bitmap), the
//! child's validity bitmap (read when the key says it has one), the
//! output (one accumulator element per row, indexed by the row), and for
//! `min`, `max` and `mean` a byte per row set to 1 where the row had no
//! values (0 elsewhere). `args` is `[validity bit offset, value bit
//! offset]` (the bit of child element 0 in each bitmap). Missing elements
//! are skipped; empty rows give `sum` 0, `prod` 1, `count` 0, `any` false,
//! `all` true, and a missing `min`, `max` or `mean`. On hosts with masked
//! vector loads (AVX2, AVX-512), a `sum`, `mean` or `count` over a child
//! without missing values reads each row a vector at a time and reduces
//! across lanes at the row's end, so float sums are reassociated (as dense
//! reductions are); other reductions combine left to right within a row.
//! Either way a row's result does not depend on how rows are chunked.
//!
//! A **string kernel** ([`StringKernel`]) tests each row of a `Utf8`
//! column against a literal (or measures it). `ptrs` is
//! `[offsets, data, validity, literal, out, out_missing]`; `args` is
//! `[validity bit offset, literal length]`. The stored form writes one
//! output per row (a `bool` byte, or an `int64` for `len`; 0 where the row
//! is missing) and, when the column has a validity bitmap, a byte per row
//! that is 1 where the row is missing. The counting form writes one `int64`
//! at `out`: the number of rows of `begin..end` that are present and
//! satisfy the predicate.
//!
//! The **pairwise** form (`pair`) tests each row against the same row of a
//! second `Utf8` column instead of a literal: `ptrs` gains `[rhs offsets,
//! rhs validity]` after the six above (slot 3 is the right column's data),
//! and `args` is `[validity bit offset, unused, rhs validity bit offset,
//! rhs step]` (the step is 1, or 0 for a one-string right operand compared
//! with every row). A row is missing where either operand is.

use blaze_datashape::Scalar;
use blaze_ir::ops::{BinaryFn, ReduceFn};
use std::fmt;

/// A reduction of every row of a `List` column of numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SegmentedKernel {
    /// `sum`, `prod`, `min`, `max`, `mean`, `count`, `any` or `all`.
    pub f: ReduceFn,
    /// The child's element type (any non-complex scalar).
    pub element: Scalar,
    /// Whether the child has a validity bitmap to read.
    pub validity: bool,
}

impl SegmentedKernel {
    /// The reductions a segmented kernel computes.
    pub const REDUCTIONS: [ReduceFn; 8] = [
        ReduceFn::Sum,
        ReduceFn::Prod,
        ReduceFn::Min,
        ReduceFn::Max,
        ReduceFn::Mean,
        ReduceFn::Count,
        ReduceFn::Any,
        ReduceFn::All,
    ];

    /// The element type of the output: the reduction's result type.
    pub fn output(&self) -> Result<Scalar, String> {
        if !Self::REDUCTIONS.contains(&self.f) {
            return Err(format!(
                "`{}` has no segmented kernel (sum, prod, min, max, mean, count, any and all do)",
                self.f.name()
            ));
        }
        if !crate::kernel::supported(self.element) {
            return Err(format!(
                "a segmented `{}` of {}",
                self.f.name(),
                self.element
            ));
        }
        self.f.result(self.element)
    }

    /// Whether the kernel writes a missing byte per row (the reduction of
    /// no values is missing).
    pub fn writes_missing(&self) -> bool {
        matches!(self.f, ReduceFn::Min | ReduceFn::Max | ReduceFn::Mean)
    }
}

/// What a string kernel computes for a row `s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StringOp {
    /// `s OP literal` for `== != < <= > >=` (byte order, which is code-point
    /// order for UTF-8).
    Compare(BinaryFn),
    /// `startswith(s, literal)`.
    StartsWith,
    /// `endswith(s, literal)`.
    EndsWith,
    /// `contains(s, literal)`.
    Contains,
    /// `len(s)`: code points (the bytes that are not `0b10xxxxxx`).
    Len,
}

impl StringOp {
    /// The comparison operators a string kernel compares with.
    pub const COMPARISONS: [BinaryFn; 6] = [
        BinaryFn::Eq,
        BinaryFn::Ne,
        BinaryFn::Lt,
        BinaryFn::Le,
        BinaryFn::Gt,
        BinaryFn::Ge,
    ];

    /// Whether the result is a predicate (`bool`); `len` is not.
    pub fn is_predicate(self) -> bool {
        self != StringOp::Len
    }

    /// The name: the operator or the builtin.
    pub fn name(self) -> &'static str {
        match self {
            StringOp::Compare(f) => f.name(),
            StringOp::StartsWith => "startswith",
            StringOp::EndsWith => "endswith",
            StringOp::Contains => "contains",
            StringOp::Len => "len",
        }
    }
}

/// A string kernel: the operation, whether the column has a validity
/// bitmap, and whether it counts the rows satisfying the predicate
/// instead of storing one result per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StringKernel {
    /// What each row computes.
    pub op: StringOp,
    /// Whether the column has a validity bitmap to read.
    pub validity: bool,
    /// The counting form (predicates only): one `int64` per call.
    pub count: bool,
    /// The pairwise form: the right operand is a second `Utf8` column.
    pub pair: bool,
    /// Whether the right column has a validity bitmap (pairwise form).
    pub rhs_validity: bool,
}

impl StringKernel {
    /// Whether the stored form writes a missing byte per row: where either
    /// column has a validity bitmap.
    pub fn writes_missing(&self) -> bool {
        self.validity || (self.pair && self.rhs_validity)
    }
}

/// What a decimal kernel computes over `Decimal128` values (`i128` units of
/// `10^-scale`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecimalOp {
    /// `a + b`, `a - b` or `a * b`, exact and checked against the result's
    /// precision (a product's scale is the sum of the operands').
    Arith(BinaryFn),
    /// `a OP b` for `== != < <= > >=`, exact at the larger scale.
    Compare(BinaryFn),
    /// `cast float64`: `v / 10^scale` where that is exact to compute (|v| <
    /// 2^53, scale <= 22, one correctly rounded division); NaN marks the
    /// other present rows, which the caller converts itself.
    ToFloat64,
    /// A cast to an integer: `v / 10^scale` truncated toward zero, checked
    /// against the range `args[1]..=args[2]`, for the present rows with
    /// |v| < 2^63; the other present rows are marked for the caller.
    ToInt,
    /// `sum`, `min` or `max` of the rows `begin..end`, missing ones skipped.
    Reduce(ReduceFn),
}

/// A decimal kernel: the operation, the operands' scales, the result's
/// `(precision, scale)` and which operands have a validity bitmap.
///
/// Binary forms (`Arith`, `Compare`): `ptrs` is `[a, a_validity, b,
/// b_validity, out, error]`, `args` is `[a validity bit offset, b validity
/// bit offset, a step, b step]` (a step is 1, or 0 for a one-value operand
/// broadcast to every row). `Arith` writes an `i128` per row (0 where an
/// operand is missing) and, at the first row whose result overflows `i128`
/// or does not fit the precision, stores that row at `error` (an `i64`)
/// and returns. `Compare` writes a `bool` byte per row, false where an
/// operand is missing.
///
/// `ToFloat64`: `ptrs` is `[a, a_validity, out]` (an `f64` per row, 0
/// where missing), `args` is `[a validity bit offset]`.
///
/// `ToInt`: `ptrs` is `[a, a_validity, out, slow, error]` (an `i64` per
/// row, 0 where missing or marked; a `bool` byte per row, 1 where |v| >=
/// 2^63 and the caller converts the row), `args` is `[a validity bit
/// offset, lowest, highest]`; at the first row out of the range it stores
/// the row at `error` and returns.
///
/// `Reduce`: `ptrs` is `[a, a_validity, out]`, `args` as for `ToFloat64`;
/// `out` is five `i128`s: the sum (or minimum, maximum) of the present
/// values, the lowest and highest running sum (starting from 0), the
/// number of present values, and 1 if the sum overflowed `i128`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DecimalKernel {
    /// What it computes.
    pub op: DecimalOp,
    /// The scale of the first operand and of the second (the first's again
    /// for one operand).
    pub scales: (u32, u32),
    /// The result's precision and scale (for comparisons and casts, the
    /// first operand's).
    pub result: (u32, u32),
    /// Whether each operand has a validity bitmap to read.
    pub validity: (bool, bool),
}

impl DecimalKernel {
    /// The arithmetic a decimal kernel computes.
    pub const ARITH: [BinaryFn; 3] = [BinaryFn::Add, BinaryFn::Sub, BinaryFn::Mul];
    /// The reductions a decimal kernel computes.
    pub const REDUCTIONS: [ReduceFn; 3] = [ReduceFn::Sum, ReduceFn::Min, ReduceFn::Max];

    /// Whether the kernel is well formed: a known operation, scales and
    /// precisions of 128-bit decimals (at most 38), a product at the sum
    /// of its operands' scales.
    pub fn check(&self) -> Result<(), String> {
        let (sa, sb) = self.scales;
        let (p, s) = self.result;
        if sa > 38 || sb > 38 || p > 38 || s > p.max(38) || p == 0 {
            return Err(format!(
                "decimal scales {sa}, {sb} and `decimal[{p}, {s}]` are not of 128-bit decimals"
            ));
        }
        match self.op {
            DecimalOp::Arith(f) if !Self::ARITH.contains(&f) => {
                Err(format!("`{}` is not exact decimal arithmetic", f.name()))
            }
            DecimalOp::Arith(BinaryFn::Mul) if sa + sb != s => Err(format!(
                "a decimal product of scales {sa} and {sb} is at scale {}, not {s}",
                sa + sb
            )),
            DecimalOp::Compare(f) if !StringOp::COMPARISONS.contains(&f) => {
                Err(format!("`{}` is not a comparison", f.name()))
            }
            DecimalOp::Reduce(f) if !Self::REDUCTIONS.contains(&f) => Err(format!(
                "`{}` of decimals has no decimal kernel (sum, min and max do)",
                f.name()
            )),
            _ => Ok(()),
        }
    }

    /// Whether the kernel reads a second operand.
    pub fn binary(&self) -> bool {
        matches!(self.op, DecimalOp::Arith(_) | DecimalOp::Compare(_))
    }
}

/// A kernel over Arrow buffers; the key of its compiled code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnKernel {
    /// A segmented reduction over a `List` column.
    Segmented(SegmentedKernel),
    /// A string predicate or `len` over a `Utf8` column.
    Strings(StringKernel),
    /// Arithmetic, comparisons, a cast or a reduction of `Decimal128`
    /// values.
    Decimal(DecimalKernel),
    /// The number of rows `begin..end` of a selection mask that select:
    /// `ptrs` is `[mask, missing, out]` (`bool` bytes; a byte per row, 1
    /// where missing, read when the field is true; one `int64` written at
    /// `out`).
    MaskCount {
        /// Whether the mask has a missing byte per row.
        missing: bool,
    },
}

impl ColumnKernel {
    /// Whether the kernel is well formed: a segmented reduction of one of
    /// [`SegmentedKernel::REDUCTIONS`] over a supported element type, a
    /// comparison among [`StringOp::COMPARISONS`], a counting form of a
    /// predicate.
    pub fn check(&self) -> Result<(), String> {
        match self {
            ColumnKernel::Segmented(k) => k.output().map(|_| ()),
            ColumnKernel::Strings(k) => {
                if let StringOp::Compare(f) = k.op {
                    if !StringOp::COMPARISONS.contains(&f) {
                        return Err(format!("`{}` is not a string comparison", f.name()));
                    }
                }
                if k.count && !k.op.is_predicate() {
                    return Err(format!("`{}` has no counting form", k.op.name()));
                }
                if k.pair && !k.op.is_predicate() {
                    return Err(format!("`{}` has no pairwise form", k.op.name()));
                }
                Ok(())
            }
            ColumnKernel::Decimal(k) => k.check(),
            ColumnKernel::MaskCount { .. } => Ok(()),
        }
    }

    /// The cache key's text.
    pub fn text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ColumnKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let valid = |v: bool| if v { "validity" } else { "dense" };
        match self {
            ColumnKernel::Segmented(k) => write!(
                f,
                "column segmented {} of list<{}> {}",
                k.f.name(),
                k.element,
                valid(k.validity)
            ),
            ColumnKernel::Strings(k) => {
                write!(
                    f,
                    "column {} {} of utf8 {}",
                    if k.count { "count" } else { "store" },
                    k.op.name(),
                    valid(k.validity)
                )?;
                if k.pair {
                    write!(f, " with utf8 {}", valid(k.rhs_validity))?;
                }
                Ok(())
            }
            ColumnKernel::Decimal(k) => {
                let op = match k.op {
                    DecimalOp::Arith(b) | DecimalOp::Compare(b) => b.name(),
                    DecimalOp::ToFloat64 => "cast float64",
                    DecimalOp::ToInt => "cast integer",
                    DecimalOp::Reduce(r) => r.name(),
                };
                let (p, s) = k.result;
                write!(
                    f,
                    "column decimal {op} of scales {} {} to decimal[{p}, {s}] {} {}",
                    k.scales.0,
                    k.scales.1,
                    valid(k.validity.0),
                    valid(k.validity.1)
                )
            }
            ColumnKernel::MaskCount { missing } => write!(
                f,
                "column mask count {}",
                if *missing { "missing" } else { "dense" }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_what_they_compute() {
        let k = ColumnKernel::Segmented(SegmentedKernel {
            f: ReduceFn::Sum,
            element: Scalar::Float64,
            validity: true,
        });
        assert_eq!(k.text(), "column segmented sum of list<float64> validity");
        let s = ColumnKernel::Strings(StringKernel {
            op: StringOp::Compare(BinaryFn::Eq),
            validity: false,
            count: true,
            pair: false,
            rhs_validity: false,
        });
        assert_eq!(s.text(), "column count == of utf8 dense");
        let p = ColumnKernel::Strings(StringKernel {
            op: StringOp::Compare(BinaryFn::Lt),
            validity: false,
            count: false,
            pair: true,
            rhs_validity: true,
        });
        assert_eq!(p.text(), "column store < of utf8 dense with utf8 validity");
    }

    #[test]
    fn malformed_kernels_are_refused() {
        let k = ColumnKernel::Segmented(SegmentedKernel {
            f: ReduceFn::ArgMin,
            element: Scalar::Float64,
            validity: false,
        });
        assert!(k.check().unwrap_err().contains("argmin"));
        let c = ColumnKernel::Segmented(SegmentedKernel {
            f: ReduceFn::Sum,
            element: Scalar::Complex128,
            validity: false,
        });
        assert!(c.check().is_err());
        let s = ColumnKernel::Strings(StringKernel {
            op: StringOp::Compare(BinaryFn::Add),
            validity: false,
            count: false,
            pair: false,
            rhs_validity: false,
        });
        assert!(s.check().is_err());
        let l = ColumnKernel::Strings(StringKernel {
            op: StringOp::Len,
            validity: false,
            count: true,
            pair: false,
            rhs_validity: false,
        });
        assert!(l.check().unwrap_err().contains("len"));
        let lp = ColumnKernel::Strings(StringKernel {
            op: StringOp::Len,
            validity: false,
            count: false,
            pair: true,
            rhs_validity: false,
        });
        assert!(lp.check().unwrap_err().contains("pairwise"));
        let d = |op, scales, result| {
            ColumnKernel::Decimal(DecimalKernel {
                op,
                scales,
                result,
                validity: (false, false),
            })
        };
        assert!(d(DecimalOp::Arith(BinaryFn::Div), (2, 2), (10, 2))
            .check()
            .unwrap_err()
            .contains("exact"));
        assert!(d(DecimalOp::Arith(BinaryFn::Mul), (2, 2), (10, 2))
            .check()
            .is_err());
        assert!(d(DecimalOp::Arith(BinaryFn::Mul), (2, 2), (10, 4))
            .check()
            .is_ok());
        assert!(d(DecimalOp::Reduce(ReduceFn::Mean), (2, 2), (10, 2))
            .check()
            .is_err());
        assert!(d(DecimalOp::Compare(BinaryFn::Lt), (40, 2), (10, 2))
            .check()
            .is_err());
        assert_eq!(
            d(DecimalOp::Arith(BinaryFn::Add), (4, 2), (19, 4)).text(),
            "column decimal + of scales 4 2 to decimal[19, 4] dense dense"
        );
    }
}

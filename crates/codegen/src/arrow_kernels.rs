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
//! `all` true, and a missing `min`, `max` or `mean`. Elements combine left
//! to right within a row (floats without reassociation), so a row's result
//! is the one of a plain loop.
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
}

/// A kernel over Arrow buffers; the key of its compiled code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnKernel {
    /// A segmented reduction over a `List` column.
    Segmented(SegmentedKernel),
    /// A string predicate or `len` over a `Utf8` column.
    Strings(StringKernel),
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
                Ok(())
            }
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
            ColumnKernel::Strings(k) => write!(
                f,
                "column {} {} of utf8 {}",
                if k.count { "count" } else { "store" },
                k.op.name(),
                valid(k.validity)
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
        });
        assert_eq!(s.text(), "column count == of utf8 dense");
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
        });
        assert!(s.check().is_err());
        let l = ColumnKernel::Strings(StringKernel {
            op: StringOp::Len,
            validity: false,
            count: true,
        });
        assert!(l.check().unwrap_err().contains("len"));
    }
}

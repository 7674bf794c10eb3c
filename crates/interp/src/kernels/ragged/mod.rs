//! Ragged values for the reference kernels: a column with a `var` axis
//! after its fixed leading axes (Arrow `List` arrays, `L... * var * T`)
//! taken apart into row offsets and a child of dense elements (or, for a
//! second ragged axis, another ragged value), and put back together in
//! Arrow's layout. The operations over them (reductions, elementwise
//! alignment, indexing, selection) are in `ops`.
//!
//! Offsets read from Arrow are checked (non-negative, non-decreasing,
//! inside the values); a null list slot is an empty row. Fixed axes
//! inside a row (`FixedSizeList`) become trailing axes of the dense child;
//! a fixed axis between two ragged ones is refused.

mod arrow;
mod ops;
#[cfg(test)]
mod tests;

pub use arrow::{dense_from_arrow, dense_to_arrow};
pub use ops::{align, reduce_ragged, take_dense_rows, take_slots, Shaped};

use crate::value::Value;
use crate::EvalError;

/// A value with a ragged axis: `lead` fixed axes, then one row per slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Ragged {
    /// The fixed leading axes (a column's shape); the slots are their C
    /// order.
    pub lead: Vec<usize>,
    /// Row `s` is `child` rows `offsets[s]..offsets[s + 1]`; starts at 0,
    /// one more entry than slots, non-decreasing, ends at the child's
    /// length.
    pub offsets: Vec<usize>,
    /// The rows' elements.
    pub child: Child,
}

/// The elements of the rows of a [`Ragged`].
// Dense children are the common case; boxing them would cost an allocation
// per operation for the rarer nested lists' benefit.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Child {
    /// A dense `Value::Array` of shape `[elements, fixed axes inside…]`.
    Dense(Value),
    /// Another ragged axis: a ragged value whose `lead` is `[elements]`.
    List(Box<Ragged>),
}

impl Ragged {
    /// The number of slots (rows).
    pub fn slots(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// The length of row `s`.
    pub fn row_len(&self, s: usize) -> usize {
        match (self.offsets.get(s), self.offsets.get(s + 1)) {
            (Some(a), Some(b)) => b.saturating_sub(*a),
            _ => 0,
        }
    }

    /// The row lengths, in slot order.
    pub fn row_lens(&self) -> Vec<usize> {
        self.offsets.windows(2).map(|w| w[1] - w[0]).collect()
    }

    /// The number of elements of the child.
    pub fn child_len(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// The number of ragged axes (1 + those of a nested child).
    pub fn depth(&self) -> usize {
        match &self.child {
            Child::Dense(_) => 1,
            Child::List(r) => 1 + r.depth(),
        }
    }

    /// The dense elements at the bottom, of shape `[elements, inner…]`.
    pub fn leaf(&self) -> &Value {
        match &self.child {
            Child::Dense(v) => v,
            Child::List(r) => r.leaf(),
        }
    }

    /// The same structure over another leaf (of the same number of
    /// elements).
    pub fn with_leaf(&self, leaf: Value) -> Ragged {
        let child = match &self.child {
            Child::Dense(_) => Child::Dense(leaf),
            Child::List(r) => Child::List(Box::new(r.with_leaf(leaf))),
        };
        Ragged {
            lead: self.lead.clone(),
            offsets: self.offsets.clone(),
            child,
        }
    }

    /// Checks the invariants: offsets fit the slots and the child.
    pub fn check(&self) -> Result<(), EvalError> {
        let slots = checked_product(&self.lead)?;
        if self.offsets.len() != slots + 1 || self.offsets.first() != Some(&0) {
            return Err(EvalError::Value(format!(
                "a ragged value of {slots} rows has {} offsets",
                self.offsets.len()
            )));
        }
        if self.offsets.windows(2).any(|w| w[1] < w[0]) {
            return Err(EvalError::Value("ragged offsets decrease".into()));
        }
        let n = match &self.child {
            Child::Dense(Value::Array { data, .. }) => data.shape().first().copied().unwrap_or(0),
            Child::Dense(_) => return Err(EvalError::Value("ragged rows of non-arrays".into())),
            Child::List(r) => {
                r.check()?;
                checked_product(&r.lead)?
            }
        };
        if self.child_len() != n {
            return Err(EvalError::Value(format!(
                "ragged offsets end at {} but the rows hold {n} elements",
                self.child_len()
            )));
        }
        Ok(())
    }
}

/// The product of `dims`, or an error when it overflows.
pub(crate) fn checked_product(dims: &[usize]) -> Result<usize, EvalError> {
    dims.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| EvalError::Shape(format!("the shape {dims:?} overflows")))
}

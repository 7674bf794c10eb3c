//! Blocks of rows joined into one array: what a streamed run collects and
//! what a CSV column is made of; and arrays stacked along a new first axis
//! (files stacked by a pattern's levels). Neutral ground, so readers and
//! the streaming executor do not import each other.

use blaze_interp::{with_scalar, Array, Element};
use ndarray::{ArrayD, ArrayViewD, Axis, ShapeError};

/// How the views of the parts become one array.
type Combine<T> = fn(Axis, &[ArrayViewD<'_, T>]) -> Result<ArrayD<T>, ShapeError>;

fn combine<T: Element>(parts: &[Array], how: Combine<T>) -> Result<Array, String> {
    let views: Vec<_> = parts
        .iter()
        .map(|p| {
            T::get(p)
                .map(|a| a.view())
                .ok_or_else(|| "arrays of different element types".to_string())
        })
        .collect::<Result<_, _>>()?;
    how(Axis(0), &views).map(T::wrap).map_err(|e| e.to_string())
}

/// The element type of `parts`, of which there must be at least one.
fn scalar_of(parts: &[Array]) -> Result<blaze_datashape::Scalar, String> {
    parts
        .first()
        .map(Array::scalar)
        .ok_or_else(|| "no blocks to join".to_string())
}

/// Blocks of rows (at least one, of one element type) joined along their
/// first axis.
pub(crate) fn join_rows(parts: &[Array]) -> Result<Array, String> {
    with_scalar!(scalar_of(parts)?, T => combine::<T>(parts, ndarray::concatenate))
}

/// Arrays (at least one, of one element type and shape) stacked along a new
/// first axis.
pub(crate) fn stack_rows(parts: &[Array]) -> Result<Array, String> {
    with_scalar!(scalar_of(parts)?, T => combine::<T>(parts, ndarray::stack))
}

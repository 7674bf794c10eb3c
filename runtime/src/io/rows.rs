//! Blocks of rows joined into one array: what a streamed run collects and
//! what a CSV column is made of. Neutral ground, so readers and the
//! streaming executor do not import each other.

use blaze_interp::{with_scalar, Array, Element};

fn join<T: Element>(parts: &[Array]) -> Result<Array, String> {
    let views: Vec<_> = parts
        .iter()
        .map(|p| {
            T::get(p)
                .map(|a| a.view())
                .ok_or_else(|| "blocks of different types".to_string())
        })
        .collect::<Result<_, _>>()?;
    ndarray::concatenate(ndarray::Axis(0), &views)
        .map(T::wrap)
        .map_err(|e| e.to_string())
}

/// Blocks of rows (at least one, of one element type) joined along their
/// first axis.
pub(crate) fn join_rows(parts: &[Array]) -> Result<Array, String> {
    let scalar = parts
        .first()
        .map(Array::scalar)
        .ok_or_else(|| "no blocks to join".to_string())?;
    with_scalar!(scalar, T => join::<T>(parts))
}

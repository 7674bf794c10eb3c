//! Missing values as kernel operands: an option leaf's missing mask (the
//! interpreter's byte mask, read in place; a caller's Arrow validity bitmap,
//! expanded once into a byte mask; or one `false` byte broadcast when
//! nothing is missing), and the missing mask of a reduction over options
//! from the count of the elements that are not missing.

use crate::error::Error;
use blaze_interp::{Array, EvalError};
use ndarray::{ArrayD, IxDyn};

/// The missing mask of an option operand (true = missing).
pub(super) enum Mask<'s> {
    /// Nothing is missing.
    None,
    /// An interpreter value's mask, read in place.
    Bytes(&'s ArrayD<bool>),
    /// A caller's validity bitmap, expanded.
    Bits(ArrayD<bool>),
}

/// The one byte a mask with nothing missing points at (stride 0 on every
/// axis; kernels only read it).
static NONE_MISSING: u8 = 0;

impl Mask<'_> {
    /// Pointer to element 0 and strides (elements) of the mask broadcast to
    /// `shape`.
    pub(super) fn operand(&self, shape: &[usize]) -> Result<(*mut u8, Vec<i64>), Error> {
        let m = match self {
            Mask::None => {
                return Ok((
                    std::ptr::addr_of!(NONE_MISSING).cast_mut(),
                    vec![0; shape.len()],
                ))
            }
            Mask::Bytes(m) => *m,
            Mask::Bits(m) => m,
        };
        let v = m.broadcast(IxDyn(shape)).ok_or_else(|| {
            EvalError::Shape(format!(
                "cannot broadcast a missing mask of shape {:?} to {:?}",
                m.shape(),
                shape
            ))
        })?;
        Ok((
            v.as_ptr().cast::<u8>().cast_mut(),
            v.strides().iter().map(|&s| s as i64).collect(),
        ))
    }
}

/// The byte mask (true = missing) of a validity bitmap with one bit per
/// element of `shape` in C order (1 = valid).
pub(super) fn expand_validity(
    validity: &blaze_array::NullBuffer,
    shape: &[usize],
) -> Result<ArrayD<bool>, Error> {
    let bits: Vec<bool> = validity.inner().iter().map(|valid| !valid).collect();
    ArrayD::from_shape_vec(IxDyn(shape), bits).map_err(|e| {
        EvalError::Input(format!(
            "a validity bitmap of {} bits for shape {shape:?}: {e}",
            validity.len()
        ))
        .into()
    })
}

/// The missing mask of a reduction's result from the number of elements
/// counted in each group: missing where none was.
pub(super) fn missing_where_none(counts: &Array) -> Result<ArrayD<bool>, Error> {
    match counts {
        Array::Int64(c) => Ok(c.mapv(|n| n == 0)),
        other => Err(EvalError::Value(format!(
            "a count of {} instead of int64",
            other.scalar().name()
        ))
        .into()),
    }
}

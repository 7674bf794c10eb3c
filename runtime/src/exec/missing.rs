//! Missing values as kernel operands: an option leaf's missing mask (the
//! interpreter's byte mask, read in place; a caller's Arrow validity
//! bitmap, read in place by the kernel bit by bit; or one `false` byte
//! broadcast when nothing is missing), the bit offsets that follow the
//! strides of a kernel with bit-addressed operands, and the missing mask
//! of a reduction over options from the count of the elements that are
//! not missing.

use crate::error::Error;
use blaze_array::NullBuffer;
use blaze_interp::{Array, EvalError};
use ndarray::{ArrayD, IxDyn};

/// The missing mask of an option operand.
pub(super) enum Mask<'s> {
    /// Nothing is missing.
    None,
    /// An interpreter value's mask (true = missing), read in place.
    Bytes(&'s ArrayD<bool>),
    /// A caller's validity bitmap (1 = valid, one bit per element of
    /// `shape` in C order), read in place.
    Bits {
        /// The bitmap.
        validity: &'s NullBuffer,
        /// The shape of the view it belongs to.
        shape: &'s [usize],
    },
}

/// A mask as a kernel operand: pointer, strides (elements or bits) per
/// axis of the iteration, and for a bitmap the bit position of element 0.
pub(super) struct MaskOperand {
    pub ptr: *mut u8,
    pub strides: Vec<i64>,
    pub bit_offset: Option<i64>,
}

/// The one byte a mask with nothing missing points at (stride 0 on every
/// axis; kernels only read it).
static NONE_MISSING: u8 = 0;

/// C-order strides of `own` (a shape broadcast to `shape`, aligned on the
/// right): 0 on the axes it lacks or broadcasts.
pub(super) fn c_order_strides(own: &[usize], shape: &[usize]) -> Result<Vec<i64>, Error> {
    let lead = shape.len().checked_sub(own.len());
    let broadcast_error = || -> Error {
        EvalError::Shape(format!(
            "cannot broadcast a validity bitmap of shape {own:?} to {shape:?}"
        ))
        .into()
    };
    let lead = lead.ok_or_else(broadcast_error)?;
    let mut strides = vec![0i64; shape.len()];
    let mut acc = 1i64;
    for (a, &n) in own.iter().enumerate().rev() {
        let d = lead + a;
        if n != shape[d] && n != 1 {
            return Err(broadcast_error());
        }
        strides[d] = if n == 1 { 0 } else { acc };
        acc *= n as i64;
    }
    Ok(strides)
}

impl Mask<'_> {
    /// The mask as an operand of a kernel iterating over `shape`.
    pub(super) fn operand(&self, shape: &[usize]) -> Result<MaskOperand, Error> {
        let m = match self {
            Mask::None => {
                return Ok(MaskOperand {
                    ptr: std::ptr::addr_of!(NONE_MISSING).cast_mut(),
                    strides: vec![0; shape.len()],
                    bit_offset: None,
                })
            }
            Mask::Bytes(m) => *m,
            Mask::Bits {
                validity,
                shape: own,
            } => {
                let n: usize = own.iter().product();
                if validity.len() != n {
                    return Err(EvalError::Input(format!(
                        "a validity bitmap of {} bits for shape {own:?}",
                        validity.len()
                    ))
                    .into());
                }
                return Ok(MaskOperand {
                    ptr: validity.buffer().as_ptr().cast_mut(),
                    strides: c_order_strides(own, shape)?,
                    bit_offset: Some(validity.offset() as i64),
                });
            }
        };
        let v = m.broadcast(IxDyn(shape)).ok_or_else(|| {
            EvalError::Shape(format!(
                "cannot broadcast a missing mask of shape {:?} to {:?}",
                m.shape(),
                shape
            ))
        })?;
        Ok(MaskOperand {
            ptr: v.as_ptr().cast::<u8>().cast_mut(),
            strides: v.strides().iter().map(|&s| s as i64).collect(),
            bit_offset: None,
        })
    }
}

/// The bit-addressed operands of a kernel call: each one's operand index
/// and the bit position of its element 0.
pub(super) type BitOperands = Vec<(usize, i64)>;

/// The strides a kernel is called with: `strides` (per operand, per
/// axis), then the bit position of element 0 of each bit-addressed
/// operand in operand order.
pub(super) fn kernel_strides(strides: &[i64], bits: &[(usize, i64)]) -> Vec<i64> {
    let mut s = strides.to_vec();
    s.extend(bits.iter().map(|&(_, off)| off));
    s
}

/// Sets bits `offset .. offset + n` of the bitmap at `bitmap` to 1 (valid),
/// leaving the others as they are.
///
/// # Safety
/// The bytes holding those bits are writable and nobody else's.
pub(super) unsafe fn set_valid(bitmap: *mut u8, offset: usize, n: usize) {
    let (mut bit, end) = (offset, offset + n);
    while bit < end && bit % 8 != 0 {
        *bitmap.add(bit / 8) |= 1 << (bit % 8);
        bit += 1;
    }
    let whole = (end - bit) / 8;
    std::ptr::write_bytes(bitmap.add(bit / 8), 0xff, whole);
    bit += whole * 8;
    while bit < end {
        *bitmap.add(bit / 8) |= 1 << (bit % 8);
        bit += 1;
    }
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

#[cfg(test)]
mod tests {
    use super::c_order_strides;

    #[test]
    fn bitmap_strides_broadcast_on_the_right() {
        assert_eq!(c_order_strides(&[3, 4], &[3, 4]).unwrap(), vec![4, 1]);
        assert_eq!(c_order_strides(&[4], &[3, 4]).unwrap(), vec![0, 1]);
        assert_eq!(c_order_strides(&[3, 1], &[3, 4]).unwrap(), vec![1, 0]);
        assert_eq!(c_order_strides(&[], &[2]).unwrap(), vec![0]);
        assert!(c_order_strides(&[3], &[4]).is_err());
        assert!(c_order_strides(&[2, 3], &[3]).is_err());
    }
}

//! Layout arithmetic shared by arrays and views: the checked extent of a
//! strided layout, C-order strides, and the byte offsets of elements in C
//! order. All arithmetic is checked; nothing here dereferences memory.

use crate::element::{align_of, size_of};
use crate::error::ArrayError;
use blaze_datashape::Scalar;

/// The number of elements of `shape`, checked.
pub fn element_count(shape: &[usize]) -> Result<usize, ArrayError> {
    shape.iter().try_fold(1usize, |n, &d| {
        n.checked_mul(d).ok_or(ArrayError::Overflow {
            what: "element count",
        })
    })
}

/// C-order (row-major) byte strides of `shape` for elements of `size` bytes.
pub fn c_strides(shape: &[usize], size: usize) -> Result<Vec<isize>, ArrayError> {
    let mut strides = vec![0isize; shape.len()];
    let mut step = size;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = isize::try_from(step).map_err(|_| ArrayError::Overflow { what: "strides" })?;
        step = step
            .checked_mul(d.max(1))
            .ok_or(ArrayError::Overflow { what: "strides" })?;
    }
    Ok(strides)
}

/// Checks that every element reachable from byte `offset` with `strides`
/// over `shape` lies inside `0..buffer_len`, and that the first element's
/// address (`base + offset`) and the strides of axes longer than 1 are
/// multiples of the element alignment.
pub fn check(
    scalar: Scalar,
    shape: &[usize],
    strides: &[isize],
    offset: usize,
    base: usize,
    buffer_len: usize,
) -> Result<(), ArrayError> {
    if shape.len() != strides.len() {
        return Err(ArrayError::Rank {
            shape: shape.len(),
            strides: strides.len(),
        });
    }
    let n = element_count(shape)?;
    let overflow = ArrayError::Overflow {
        what: "extent of the elements",
    };
    let size = size_of(scalar) as i128;
    let mut lo = offset as i128;
    let mut hi = offset as i128;
    if n == 0 {
        if offset > buffer_len {
            return Err(ArrayError::OutOfBounds {
                lowest: lo,
                end: lo,
                buffer_len,
            });
        }
        return Ok(());
    }
    let align = align_of(scalar);
    for (axis, (&d, &s)) in shape.iter().zip(strides).enumerate() {
        let ext = ((d - 1) as i128)
            .checked_mul(s as i128)
            .ok_or(overflow.clone())?;
        if ext < 0 {
            lo = lo.checked_add(ext).ok_or(overflow.clone())?;
        } else {
            hi = hi.checked_add(ext).ok_or(overflow.clone())?;
        }
        if d > 1 && s.rem_euclid(align as isize) != 0 {
            return Err(ArrayError::Misaligned {
                what: format!("byte stride of axis {axis}"),
                value: s as i128,
                align,
            });
        }
    }
    let end = hi.checked_add(size).ok_or(overflow)?;
    if lo < 0 || end > buffer_len as i128 {
        return Err(ArrayError::OutOfBounds {
            lowest: lo,
            end,
            buffer_len,
        });
    }
    let addr = base.wrapping_add(offset);
    if addr % align != 0 {
        return Err(ArrayError::Misaligned {
            what: "address of the first element".into(),
            value: addr as i128,
            align,
        });
    }
    Ok(())
}

/// Whether `strides` are the C-order strides of `shape` (axes of length 1
/// may have any stride; an empty array is contiguous).
pub fn is_c_contiguous(shape: &[usize], strides: &[isize], size: usize) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let mut step = size as i128;
    for (&d, &s) in shape.iter().zip(strides).rev() {
        if d != 1 && s as i128 != step {
            return false;
        }
        step *= d as i128;
    }
    true
}

/// Byte offsets (relative to the first element) of every element in C
/// order. The layout must have passed [`check`], so no offset overflows.
pub fn c_order_offsets<'a>(
    shape: &'a [usize],
    strides: &'a [isize],
) -> impl Iterator<Item = isize> + 'a {
    let n: usize = shape.iter().product();
    let mut index = vec![0usize; shape.len()];
    let mut at = 0isize;
    (0..n).map(move |k| {
        if k > 0 {
            for axis in (0..shape.len()).rev() {
                // Wrapping: an axis of length 1 may have any stride, so the
                // intermediate sum may leave `isize`; the result does not.
                index[axis] += 1;
                at = at.wrapping_add(strides[axis]);
                if index[axis] < shape[axis] {
                    break;
                }
                at = at.wrapping_sub(strides[axis].wrapping_mul(shape[axis] as isize));
                index[axis] = 0;
            }
        }
        at
    })
}

/// Element strides (byte strides divided by the element size); axes of
/// length ≤ 1 give 0. Fails when a stride is not a multiple of the size.
pub fn element_strides(
    shape: &[usize],
    strides: &[isize],
    size: usize,
) -> Result<Vec<i64>, ArrayError> {
    shape
        .iter()
        .zip(strides)
        .enumerate()
        .map(|(axis, (&d, &s))| {
            if d <= 1 {
                Ok(0)
            } else if s % size as isize == 0 {
                Ok((s / size as isize) as i64)
            } else {
                Err(ArrayError::Misaligned {
                    what: format!("byte stride of axis {axis} (in elements)"),
                    value: s as i128,
                    align: size,
                })
            }
        })
        .collect()
}

/// Strides of an array of `shape`/`strides` broadcast to `target`
/// (NumPy's rules: trailing axes aligned, length 1 stretched with stride 0,
/// new leading axes with stride 0).
pub fn broadcast_strides(
    shape: &[usize],
    strides: &[isize],
    target: &[usize],
) -> Result<Vec<isize>, ArrayError> {
    let err = || ArrayError::Broadcast {
        from: shape.to_vec(),
        to: target.to_vec(),
    };
    if target.len() < shape.len() {
        return Err(err());
    }
    let lead = target.len() - shape.len();
    let mut out = vec![0isize; target.len()];
    for (i, (&d, &s)) in shape.iter().zip(strides).enumerate() {
        let t = target[lead + i];
        out[lead + i] = if d == t {
            s
        } else if d == 1 {
            0
        } else {
            return Err(err());
        };
    }
    Ok(out)
}

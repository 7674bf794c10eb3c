//! The runtime's array type at its two neighbours: the reference
//! interpreter's [`Value`] and `ndarray`.
//!
//! - [`to_value`] / [`from_value`] convert between a [`DenseArray`] and the
//!   interpreter's `Value`, mask included. This is the interpreter's
//!   boundary, the one place where converting copies.
//! - `ndarray` arrays and views become blaze arrays **without copying**,
//!   whatever their strides (negative included):
//!   - [`view_of`]: an `ArrayView<'a, …>` becomes a [`DenseView<'a>`], bound
//!     to the view's lifetime: the borrow checker, not a convention, keeps
//!     it from outliving the caller's memory. This is what a call on
//!     borrowed inputs reads. [`view_mut_of`] does the same for an
//!     `ArrayViewMut` (a caller's output), taking its exclusive borrow.
//!   - [`from_shared`] / [`from_owned`]: an `ArcArray` (or an owned array,
//!     made shared without copying) becomes a [`DenseArray`] whose buffer's
//!     keep-alive owner is the array itself, so the result lives on its own
//!     (`'static`). Writes through other handles of a shared array copy on
//!     write, so the elements seen never change.
//!   - [`from_array`]: an interpreter `Array` taken the same way.
//!   - [`from_view_with_owner`] (unsafe): a view plus an owner the caller
//!     vouches for, for memory kept alive by something blaze cannot see.
//! - [`ndarray_view`]: a blaze view as an `ndarray` view, without copying.

use blaze_array::element::size_of;
use blaze_array::{
    Allocation, ArrayError, Buffer, DenseArray, DenseView, DenseViewMut, Element, NullBuffer,
};
use blaze_datashape::Scalar;
use blaze_interp::{with_array, Array, Value};
use ndarray::{
    ArcArray, ArrayD, ArrayView, ArrayViewD, ArrayViewMut, Axis, Dimension, IxDyn, ShapeBuilder,
};
use std::ptr::NonNull;
use std::sync::Arc;

/// Copies the elements of a view into an interpreter value (a validity
/// bitmap becomes the value's missing mask).
pub fn view_to_value(view: &DenseView<'_>) -> Result<Value, ArrayError> {
    fn copy<T: Element>(a: &DenseView<'_>) -> Result<ArrayD<T>, ArrayError> {
        ArrayD::from_shape_vec(IxDyn(a.shape()), a.to_vec::<T>()?).map_err(|e| ArrayError::Index {
            what: format!("elements for the interpreter ({e})"),
            shape: a.shape().to_vec(),
        })
    }
    let data = match view.scalar() {
        Scalar::Bool => Array::Bool(copy(view)?),
        Scalar::Int8 => Array::Int8(copy(view)?),
        Scalar::Int16 => Array::Int16(copy(view)?),
        Scalar::Int32 => Array::Int32(copy(view)?),
        Scalar::Int64 => Array::Int64(copy(view)?),
        Scalar::UInt8 => Array::UInt8(copy(view)?),
        Scalar::UInt16 => Array::UInt16(copy(view)?),
        Scalar::UInt32 => Array::UInt32(copy(view)?),
        Scalar::UInt64 => Array::UInt64(copy(view)?),
        Scalar::Float16 => Array::Float16(copy(view)?),
        Scalar::Float32 => Array::Float32(copy(view)?),
        Scalar::Float64 => Array::Float64(copy(view)?),
        Scalar::Complex64 => Array::Complex64(copy(view)?),
        Scalar::Complex128 => Array::Complex128(copy(view)?),
    };
    let missing = match view.validity() {
        Some(v) => Some(
            ArrayD::from_shape_vec(IxDyn(view.shape()), v.iter().map(|valid| !valid).collect())
                .map_err(|e| ArrayError::Index {
                    what: format!("missing mask for the interpreter ({e})"),
                    shape: view.shape().to_vec(),
                })?,
        ),
        None => None,
    };
    Ok(Value::Array { data, missing })
}

/// Copies a blaze array into an interpreter value; a validity bitmap
/// becomes the value's missing mask.
pub fn to_value(array: &DenseArray) -> Result<Value, ArrayError> {
    view_to_value(&array.view())
}

/// Copies an interpreter array value into a new C-order blaze array; its
/// missing mask becomes the validity bitmap. Records and tuples are refused
/// (they are several arrays).
pub fn from_value(value: &Value) -> Result<DenseArray, ArrayError> {
    fn copy<T: Element>(a: &ArrayD<T>) -> Result<DenseArray, ArrayError> {
        DenseArray::from_vec(a.iter().copied().collect(), a.shape())
    }
    match value {
        Value::Array { data, missing } => {
            let array = with_array!(data, a => copy(a))?;
            let validity = match missing {
                Some(m) if m.shape() != data.shape() => {
                    return Err(ArrayError::ValidityLength {
                        expected: data.len(),
                        found: m.len(),
                    })
                }
                Some(m) => Some(NullBuffer::from(m.iter().map(|&x| !x).collect::<Vec<_>>())),
                None => None,
            };
            array.with_validity(validity)
        }
        Value::Record(_) => Err(ArrayError::Unsupported {
            what: "a record value as one array".into(),
        }),
        Value::Tuple(_) => Err(ArrayError::Unsupported {
            what: "a tuple value as one array".into(),
        }),
        Value::Column(c) => Err(ArrayError::Unsupported {
            what: format!(
                "a column of {} as a dense array (it is held in Arrow's layout)",
                c.array.data_type()
            ),
        }),
    }
}

/// Byte strides of an ndarray layout (element strides times the size).
fn byte_strides<T>(strides: &[isize]) -> Vec<isize> {
    strides
        .iter()
        .map(|&s| s * std::mem::size_of::<T>() as isize)
        .collect()
}

/// A lifetime-bound blaze view of an ndarray view (no copy, any strides).
pub fn view_of<'a, T: Element, D: Dimension>(view: &ArrayView<'a, T, D>) -> DenseView<'a> {
    // SAFETY: an ArrayView<'a, T> guarantees that each of its elements is a
    // valid, aligned T readable and unmodified for 'a.
    unsafe {
        DenseView::from_raw_parts(
            view.as_ptr().cast::<u8>(),
            T::SCALAR,
            view.shape().to_vec(),
            byte_strides::<T>(view.strides()),
            None,
        )
    }
}

/// A lifetime-bound writable blaze view of an ndarray mutable view (no
/// copy, any strides); it takes the view's exclusive borrow.
pub fn view_mut_of<'a, T: Element, D: Dimension>(
    mut view: ArrayViewMut<'a, T, D>,
) -> DenseViewMut<'a> {
    let shape = view.shape().to_vec();
    let strides = byte_strides::<T>(view.strides());
    // SAFETY: an ArrayViewMut<'a, T> is the only access to its elements for
    // 'a, each a valid aligned T; the blaze view consumes it, so nothing
    // else reaches them.
    unsafe {
        DenseViewMut::from_raw_parts(view.as_mut_ptr().cast::<u8>(), T::SCALAR, shape, strides)
    }
}

/// The buffer spanning every element of a strided layout at `ptr`, and the
/// byte offset of the first element in it.
///
/// # Safety
/// `owner` must keep every element reachable from `ptr` valid while it
/// lives, and the memory between the lowest and highest of them readable.
unsafe fn spanning_buffer<T: Element>(
    ptr: *const T,
    shape: &[usize],
    strides: &[isize],
    owner: Arc<dyn Allocation>,
) -> Result<(Buffer, usize), ArrayError> {
    let size = std::mem::size_of::<T>();
    if shape.contains(&0) {
        let base = NonNull::new(ptr.cast::<u8>().cast_mut()).unwrap_or(NonNull::dangling());
        // SAFETY: an empty buffer reads nothing.
        return Ok((unsafe { Buffer::from_custom_allocation(base, 0, owner) }, 0));
    }
    let (mut lo, mut hi) = (0isize, 0isize);
    for (&d, &s) in shape.iter().zip(strides) {
        let ext = (d as isize - 1) * s;
        if ext < 0 {
            lo += ext;
        } else {
            hi += ext;
        }
    }
    let base = ptr.wrapping_offset(lo).cast::<u8>().cast_mut();
    let base = NonNull::new(base).ok_or(ArrayError::Overflow {
        what: "address of the lowest element",
    })?;
    let len = (hi - lo) as usize * size + size;
    // SAFETY: the caller's contract: `owner` keeps `base..base+len` valid.
    Ok((
        unsafe { Buffer::from_custom_allocation(base, len, owner) },
        (-lo) as usize * size,
    ))
}

/// A blaze array over the elements of a shared ndarray array (no copy,
/// any strides); the array itself is the buffer's keep-alive owner.
pub fn from_shared<T: Element, D: Dimension + 'static>(
    array: ArcArray<T, D>,
) -> Result<DenseArray, ArrayError> {
    let shape = array.shape().to_vec();
    let strides = array.strides().to_vec();
    let ptr = array.as_ptr();
    // SAFETY: the ArcArray holds its allocation, which spans every element
    // (and the memory between them), for as long as the buffer holds it;
    // its other handles copy on write, so these elements never change.
    let (buffer, offset) =
        unsafe { spanning_buffer(ptr, &shape, &strides, Arc::new(Owner(array)))? };
    DenseArray::new(
        buffer,
        T::SCALAR,
        &shape,
        &byte_strides::<T>(&strides),
        offset,
    )
}

/// A blaze array taking an owned ndarray array without copying.
pub fn from_owned<T: Element, D: Dimension + 'static>(
    array: ndarray::Array<T, D>,
) -> Result<DenseArray, ArrayError> {
    from_shared(array.into_shared())
}

/// A blaze array taking an interpreter array's elements without copying
/// (the ndarray array becomes the buffer's owner): how values computed by
/// the reference kernels, or decoded from a file, become blaze arrays.
pub fn from_array(array: Array) -> Result<DenseArray, ArrayError> {
    match array {
        Array::Bool(a) => from_owned(a),
        Array::Int8(a) => from_owned(a),
        Array::Int16(a) => from_owned(a),
        Array::Int32(a) => from_owned(a),
        Array::Int64(a) => from_owned(a),
        Array::UInt8(a) => from_owned(a),
        Array::UInt16(a) => from_owned(a),
        Array::UInt32(a) => from_owned(a),
        Array::UInt64(a) => from_owned(a),
        Array::Float16(a) => from_owned(a),
        Array::Float32(a) => from_owned(a),
        Array::Float64(a) => from_owned(a),
        Array::Complex64(a) => from_owned(a),
        Array::Complex128(a) => from_owned(a),
    }
}

/// A blaze array over the elements of `view` (no copy, any strides), kept
/// alive by `owner`.
///
/// # Safety
/// `owner` must keep the memory spanning the view's elements (from the
/// lowest to the highest address) readable and unmodified for as long as it
/// lives.
pub unsafe fn from_view_with_owner<T: Element, D: Dimension>(
    view: &ArrayView<'_, T, D>,
    owner: Arc<dyn Allocation>,
) -> Result<DenseArray, ArrayError> {
    let shape = view.shape().to_vec();
    let strides = view.strides().to_vec();
    // SAFETY: the caller's contract.
    let (buffer, offset) = unsafe { spanning_buffer(view.as_ptr(), &shape, &strides, owner)? };
    DenseArray::new(
        buffer,
        T::SCALAR,
        &shape,
        &byte_strides::<T>(&strides),
        offset,
    )
}

/// Keeps a shared ndarray array alive as a buffer owner (only dropped,
/// never read through).
struct Owner<T, D: Dimension>(#[allow(dead_code)] ArcArray<T, D>);

// SAFETY: the owner is never used but to be dropped, which ArcArray allows
// from any thread for Send + Sync elements.
unsafe impl<T: Send + Sync, D: Dimension> Send for Owner<T, D> {}
// SAFETY: as above; no shared access reads through it.
unsafe impl<T: Send + Sync, D: Dimension> Sync for Owner<T, D> {}
impl<T, D: Dimension> std::panic::RefUnwindSafe for Owner<T, D> {}

/// A blaze view as an ndarray view of `T`, without copying; the validity
/// bitmap, if any, is not part of it (elements under it hold unspecified
/// values). `bool` views need every byte to be 0 or 1 (checked).
pub fn ndarray_view<'a, T: Element>(view: &DenseView<'a>) -> Result<ArrayViewD<'a, T>, ArrayError> {
    if view.scalar() != T::SCALAR {
        return Err(ArrayError::Type {
            expected: T::SCALAR,
            found: view.scalar(),
        });
    }
    let size = size_of(view.scalar()) as isize;
    let mut ptr = view.as_ptr();
    let mut strides = Vec::with_capacity(view.shape().len());
    let mut flipped = Vec::new();
    for (axis, (&d, &s)) in view.shape().iter().zip(view.strides()).enumerate() {
        if d > 1 && s % size != 0 {
            return Err(ArrayError::Misaligned {
                what: format!("byte stride of axis {axis} (in elements)"),
                value: s as i128,
                align: size as usize,
            });
        }
        if s < 0 && d > 0 {
            // ndarray takes non-negative strides: start at the axis's last
            // element and flip the axis afterwards.
            ptr = ptr.wrapping_offset((d as isize - 1) * s);
            flipped.push(axis);
        }
        strides.push(if d > 1 { (s / size).unsigned_abs() } else { 0 });
    }
    if !view.has_canonical_bools() {
        return Err(ArrayError::Unsupported {
            what: "a bool array whose bytes are not all 0 or 1 as an ndarray view".into(),
        });
    }
    if view.is_empty() {
        // ndarray wants an aligned pointer even for no elements.
        ptr = NonNull::<T>::dangling().as_ptr().cast::<u8>();
    }
    let count = view
        .shape()
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |n, &d| n.checked_mul(d));
    if count.is_none_or(|n| n > isize::MAX as usize) {
        return Err(ArrayError::Overflow {
            what: "element count of an ndarray view",
        });
    }
    let shape = IxDyn(view.shape()).strides(IxDyn(&strides));
    // SAFETY: every element is a valid aligned T readable for 'a (the view's
    // contract; bool bytes checked above); strides are non-negative.
    let mut out = unsafe { ArrayViewD::from_shape_ptr(shape, ptr.cast::<T>()) };
    for axis in flipped {
        out.invert_axis(Axis(axis));
    }
    Ok(out)
}

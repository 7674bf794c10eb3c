//! [`DenseArray`]: a strided array over an owned or borrowed buffer, with
//! an optional validity bitmap; and [`ArrayMut`], an array being written.

use crate::element::{size_of, Element};
use crate::error::ArrayError;
use crate::layout;
use crate::view::{DenseView, DenseViewMut};
use arrow_buffer::{BooleanBuffer, Buffer, MutableBuffer, NullBuffer};
use blaze_datashape::Scalar;
use std::ptr::NonNull;
use std::sync::Arc;

/// Alignment of the arrays blaze allocates: 64 bytes, a cache line and an
/// AVX-512 vector.
pub const ALLOC_ALIGN: usize = 64;

/// A dense n-dimensional array: DLPack's view of a buffer (element type,
/// shape, byte strides that may be negative or 0, and a byte offset of the
/// first element), plus Arrow's validity bitmap for option types.
///
/// The buffer is an [`arrow_buffer::Buffer`]: memory blaze allocated, or
/// caller memory kept alive by an owner
/// ([`Buffer::from_custom_allocation`], [`DenseArray::from_vec`]), so a
/// borrowed array stays valid as long as it lives, and arrow-rs arrays
/// share it without copying. Cloning is cheap (the buffer is shared).
///
/// Every constructor checks that every reachable element lies inside the
/// buffer and is aligned for the element type. The validity bitmap, when
/// present, has one bit per element in C order of the logical index
/// (whatever the strides), LSB first, 1 = valid.
#[derive(Clone, Debug)]
pub struct DenseArray {
    buffer: Buffer,
    scalar: Scalar,
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
    validity: Option<NullBuffer>,
}

impl DenseArray {
    /// An array of `scalar` elements over `buffer`: element `[i, j, …]` is at
    /// byte `offset + i*strides[0] + j*strides[1] + …` of the buffer.
    pub fn new(
        buffer: Buffer,
        scalar: Scalar,
        shape: &[usize],
        strides: &[isize],
        offset: usize,
    ) -> Result<DenseArray, ArrayError> {
        layout::check(
            scalar,
            shape,
            strides,
            offset,
            buffer.as_ptr() as usize,
            buffer.len(),
        )?;
        Ok(DenseArray {
            buffer,
            scalar,
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            offset,
            validity: None,
        })
    }

    /// A C-order array of `shape` over `buffer` from byte 0.
    pub fn c_order(
        buffer: Buffer,
        scalar: Scalar,
        shape: &[usize],
    ) -> Result<DenseArray, ArrayError> {
        let strides = layout::c_strides(shape, size_of(scalar))?;
        DenseArray::new(buffer, scalar, shape, &strides, 0)
    }

    /// A C-order array that takes `data` without copying (the vector becomes
    /// the buffer's owner).
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<DenseArray, ArrayError> {
        let n = layout::element_count(shape)?;
        if n != data.len() {
            return Err(ArrayError::Index {
                what: format!("{} elements", data.len()),
                shape: shape.to_vec(),
            });
        }
        DenseArray::c_order(vec_buffer(data), T::SCALAR, shape)
    }

    /// A new owned array of zeros (false, 0, +0.0) in C order, its first
    /// element aligned to [`ALLOC_ALIGN`] bytes.
    pub fn allocate(scalar: Scalar, shape: &[usize]) -> Result<DenseArray, ArrayError> {
        Ok(ArrayMut::allocate(scalar, shape)?.freeze())
    }

    /// The array with `validity` as its bitmap (one bit per element in C
    /// order). `None` removes the bitmap.
    pub fn with_validity(mut self, validity: Option<NullBuffer>) -> Result<DenseArray, ArrayError> {
        if let Some(v) = &validity {
            let n = self.len();
            if v.len() != n {
                return Err(ArrayError::ValidityLength {
                    expected: n,
                    found: v.len(),
                });
            }
        }
        self.validity = validity;
        Ok(self)
    }

    /// The element type.
    pub fn scalar(&self) -> Scalar {
        self.scalar
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The byte strides.
    pub fn strides(&self) -> &[isize] {
        &self.strides
    }

    /// The byte offset of the first element in the buffer.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The buffer (shared).
    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// The validity bitmap, if the array has one.
    pub fn validity(&self) -> Option<&NullBuffer> {
        self.validity.as_ref()
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements (it fits: constructors checked it).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pointer to the first element (index all zeros). Valid for reads of
    /// every element while `self` lives; for an empty array it may point at
    /// the buffer's end.
    pub fn as_ptr(&self) -> *const u8 {
        self.buffer.as_ptr().wrapping_add(self.offset)
    }

    /// Pointer to the element at `index`, or an error if it is outside the
    /// shape.
    pub fn element_ptr(&self, index: &[usize]) -> Result<*const u8, ArrayError> {
        self.view().element_ptr(index)
    }

    /// Strides in elements per axis (0 on axes of length ≤ 1), as the JIT
    /// kernels take them; an error if a byte stride is not a multiple of the
    /// element size.
    pub fn element_strides(&self) -> Result<Vec<i64>, ArrayError> {
        layout::element_strides(&self.shape, &self.strides, size_of(self.scalar))
    }

    /// Whether the elements are in C order without gaps.
    pub fn is_c_contiguous(&self) -> bool {
        layout::is_c_contiguous(&self.shape, &self.strides, size_of(self.scalar))
    }

    /// The number of missing elements (0 without a bitmap).
    pub fn null_count(&self) -> usize {
        self.validity.as_ref().map_or(0, NullBuffer::null_count)
    }

    /// Whether element `i` (in C order) is valid: true without a bitmap,
    /// false for `i` out of range.
    pub fn is_valid(&self, i: usize) -> bool {
        i < self.len() && self.validity.as_ref().is_none_or(|v| v.is_valid(i))
    }

    /// A lifetime-bound view of the array (what the engines read).
    pub fn view(&self) -> DenseView<'_> {
        // SAFETY: the layout was checked against the buffer, which `self`
        // keeps alive for the view's lifetime.
        unsafe {
            DenseView::from_raw_parts(
                self.as_ptr(),
                self.scalar,
                self.shape.clone(),
                self.strides.clone(),
                self.validity.clone(),
            )
        }
    }

    /// The array broadcast to `shape` (NumPy's rules), without copying the
    /// elements: stretched axes get stride 0. A validity bitmap is expanded
    /// to the new shape (a copy of the bits, one per new element).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<DenseArray, ArrayError> {
        let strides = layout::broadcast_strides(&self.shape, &self.strides, shape)?;
        layout::element_count(shape)?;
        let validity = match &self.validity {
            Some(v) if shape != self.shape.as_slice() => {
                // Bit strides of the source bitmap, broadcast like the data.
                let bit_strides = layout::c_strides(&self.shape, 1)?;
                let bits = layout::broadcast_strides(&self.shape, &bit_strides, shape)?;
                let src = v.inner();
                Some(NullBuffer::new(BooleanBuffer::from_iter(
                    layout::c_order_offsets(shape, &bits).map(|k| src.value(k as usize)),
                )))
            }
            other => other.clone(),
        };
        Ok(DenseArray {
            buffer: self.buffer.clone(),
            scalar: self.scalar,
            shape: shape.to_vec(),
            strides,
            offset: self.offset,
            validity,
        })
    }

    /// Rows `r0..r1` of the first axis, sharing the buffer and the bitmap.
    pub fn slice_rows(&self, r0: usize, r1: usize) -> Result<DenseArray, ArrayError> {
        let rows = self.shape.first().copied().ok_or(ArrayError::Layout {
            operation: "slice_rows",
            needs: "at least one axis",
        })?;
        if r0 > r1 || r1 > rows {
            return Err(ArrayError::Index {
                what: format!("rows {r0}..{r1}"),
                shape: self.shape.clone(),
            });
        }
        let mut shape = self.shape.clone();
        shape[0] = r1 - r0;
        let offset = if r0 == r1 {
            self.offset
        } else {
            // Row r0 is reachable, so this lies inside the buffer.
            (self.offset as isize + r0 as isize * self.strides[0]) as usize
        };
        let row_len: usize = self.shape[1..].iter().product();
        let validity = self
            .validity
            .as_ref()
            .map(|v| v.slice(r0 * row_len, (r1 - r0) * row_len));
        Ok(DenseArray {
            buffer: self.buffer.clone(),
            scalar: self.scalar,
            shape,
            strides: self.strides.clone(),
            offset,
            validity,
        })
    }

    /// A C-order copy of `view` into a new owned array (64-byte aligned), with a copy
    /// of the bitmap.
    /// An error if the copy's size overflows (a broadcast view may have more
    /// elements than memory).
    pub fn copy_of(view: &DenseView<'_>) -> Result<DenseArray, ArrayError> {
        let size = size_of(view.scalar());
        let mut out = ArrayMut::allocate(view.scalar(), view.shape())?;
        let dst = out.bytes_mut();
        for (k, off) in layout::c_order_offsets(view.shape(), view.strides()).enumerate() {
            // SAFETY: each reachable element is `size` readable bytes.
            let src =
                unsafe { std::slice::from_raw_parts(view.as_ptr().wrapping_offset(off), size) };
            dst[k * size..(k + 1) * size].copy_from_slice(src);
        }
        let validity = view
            .validity()
            .map(|v| NullBuffer::new(BooleanBuffer::from_iter(v.iter())));
        out.freeze().with_validity(validity)
    }

    /// The elements in C order, as `T` (a copy).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, ArrayError> {
        self.view().to_vec()
    }

    /// A C-order copy in a new allocation (bitmap kept), or the array itself
    /// when it already is C-contiguous.
    pub fn to_contiguous(&self) -> Result<DenseArray, ArrayError> {
        if self.is_c_contiguous() {
            return Ok(self.clone());
        }
        DenseArray::copy_of(&self.view())
    }
}

/// A buffer that owns `data` without copying it.
pub(crate) fn vec_buffer<T: Element>(data: Vec<T>) -> Buffer {
    let len = std::mem::size_of_val(data.as_slice());
    let ptr = NonNull::new(data.as_ptr().cast::<u8>().cast_mut()).unwrap_or(NonNull::dangling());
    // SAFETY: `ptr` is valid for `len` bytes as long as the vector lives,
    // and the Arc keeps it alive (moving a Vec does not move its heap data).
    unsafe { Buffer::from_custom_allocation(ptr, len, Arc::new(data)) }
}

/// An owned C-order array being written (the JIT engine's outputs): a
/// mutable pointer to its elements and, if asked for, to its validity
/// bitmap; [`ArrayMut::freeze`] makes it a [`DenseArray`].
#[derive(Debug)]
pub struct ArrayMut {
    data: MutableBuffer,
    pad: usize,
    scalar: Scalar,
    shape: Vec<usize>,
    strides: Vec<isize>,
    validity: Option<MutableBuffer>,
}

impl ArrayMut {
    /// Zeroed elements of `scalar` in C order, the first aligned to
    /// [`ALLOC_ALIGN`] bytes.
    pub fn allocate(scalar: Scalar, shape: &[usize]) -> Result<ArrayMut, ArrayError> {
        let strides = layout::c_strides(shape, size_of(scalar))?;
        let bytes = layout::element_count(shape)?
            .checked_mul(size_of(scalar))
            .and_then(|b| b.checked_add(ALLOC_ALIGN - 1))
            .filter(|&b| b <= isize::MAX as usize / 2)
            .ok_or(ArrayError::Overflow {
                what: "allocation size",
            })?;
        crate::alloc::check(bytes as u128, &crate::alloc::describe(shape, scalar))?;
        let data = MutableBuffer::from_len_zeroed(bytes);
        let pad = data.as_ptr().align_offset(ALLOC_ALIGN);
        Ok(ArrayMut {
            data,
            pad,
            scalar,
            shape: shape.to_vec(),
            strides,
            validity: None,
        })
    }

    /// Adds a validity bitmap with every element valid.
    pub fn with_validity(mut self) -> ArrayMut {
        let n: usize = self.shape.iter().product();
        let mut bits = MutableBuffer::from_len_zeroed(n.div_ceil(8));
        bits.as_slice_mut().fill(0xff);
        self.validity = Some(bits);
        self
    }

    /// The element type.
    pub fn scalar(&self) -> Scalar {
        self.scalar
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Strides in elements (C order).
    pub fn element_strides(&self) -> Vec<i64> {
        let mut strides = vec![0i64; self.shape.len()];
        let mut step = 1i64;
        for (s, &d) in strides.iter_mut().zip(&self.shape).rev() {
            *s = if d <= 1 { 0 } else { step };
            step = step.saturating_mul(d as i64);
        }
        strides
    }

    /// The elements' bytes in C order.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.shape.iter().product::<usize>() * size_of(self.scalar);
        &mut self.data.as_slice_mut()[self.pad..self.pad + len]
    }

    /// Pointer to the first element, for writing every element.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.bytes_mut().as_mut_ptr()
    }

    /// A writable view of the elements (and of the validity bitmap, at bit
    /// offset 0, when the array has one): the output a kernel writes.
    pub fn view_mut(&mut self) -> DenseViewMut<'_> {
        let ptr = self.as_mut_ptr();
        let (shape, strides) = (self.shape.clone(), self.strides.clone());
        // SAFETY: the elements are this array's, C order, aligned, and the
        // view borrows the array mutably.
        let view = unsafe { DenseViewMut::from_raw_parts(ptr, self.scalar, shape, strides) };
        match self.validity.as_mut() {
            // SAFETY: one bit per element from bit 0, borrowed with the
            // array.
            Some(bits) => unsafe { view.with_validity_bits(bits.as_mut_ptr(), 0) },
            None => view,
        }
    }

    /// The validity bitmap's bytes (bit offset 0, LSB first, 1 = valid),
    /// if the array has one.
    pub fn validity_mut(&mut self) -> Option<&mut [u8]> {
        self.validity.as_mut().map(|v| v.as_slice_mut())
    }

    /// The finished array.
    pub fn freeze(self) -> DenseArray {
        let n: usize = self.shape.iter().product();
        DenseArray {
            buffer: Buffer::from(self.data),
            scalar: self.scalar,
            strides: self.strides,
            offset: self.pad,
            validity: self
                .validity
                .map(|v| NullBuffer::new(BooleanBuffer::new(Buffer::from(v), 0, n))),
            shape: self.shape,
        }
    }
}

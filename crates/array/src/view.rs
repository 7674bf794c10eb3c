//! [`DenseView`]: a lifetime-bound, non-owning view of a strided array —
//! what an engine reads for each operand (element pointer, shape, strides,
//! validity bitmap), whether the memory is a [`DenseArray`]'s or borrowed
//! from elsewhere (an `ndarray` view) for the duration of a call.

use crate::element::{size_of, Element};
use crate::error::ArrayError;
use crate::layout;
use arrow_buffer::NullBuffer;
use blaze_datashape::Scalar;
use std::marker::PhantomData;
use std::ops::Range;

/// A view of elements someone else owns, valid for `'a`. Cloning a view
/// does not copy elements (the bitmap, if any, is shared); safe code
/// cannot make it outlive its memory.
#[derive(Clone, Debug)]
pub struct DenseView<'a> {
    ptr: *const u8,
    scalar: Scalar,
    shape: Vec<usize>,
    strides: Vec<isize>,
    validity: Option<NullBuffer>,
    _memory: PhantomData<&'a [u8]>,
}

// SAFETY: a view only reads memory that is immutably borrowed for 'a.
unsafe impl Send for DenseView<'_> {}
// SAFETY: as above.
unsafe impl Sync for DenseView<'_> {}

impl<'a> DenseView<'a> {
    /// A view of elements at `ptr` (the first element), with byte `strides`.
    ///
    /// # Safety
    /// For `'a`, every element reachable from `ptr` with `strides` over
    /// `shape` must be readable, aligned for `scalar`, and not written by
    /// anyone; the byte offsets must not overflow `isize`. A validity bitmap
    /// must have one bit per element.
    pub unsafe fn from_raw_parts(
        ptr: *const u8,
        scalar: Scalar,
        shape: Vec<usize>,
        strides: Vec<isize>,
        validity: Option<NullBuffer>,
    ) -> DenseView<'a> {
        DenseView {
            ptr,
            scalar,
            shape,
            strides,
            validity,
            _memory: PhantomData,
        }
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

    /// The validity bitmap (one bit per element in C order), if any.
    pub fn validity(&self) -> Option<&NullBuffer> {
        self.validity.as_ref()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the view has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pointer to the first element.
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    /// Strides in elements (0 on axes of length ≤ 1), or an error if a byte
    /// stride is not a multiple of the element size.
    pub fn element_strides(&self) -> Result<Vec<i64>, ArrayError> {
        layout::element_strides(&self.shape, &self.strides, size_of(self.scalar))
    }

    /// Whether the elements are in C order without gaps.
    pub fn is_c_contiguous(&self) -> bool {
        layout::is_c_contiguous(&self.shape, &self.strides, size_of(self.scalar))
    }

    /// Strides in elements of the view broadcast to `shape` (NumPy's rules:
    /// stride 0 on stretched and new leading axes), as the JIT kernels take
    /// them.
    pub fn broadcast_element_strides(&self, shape: &[usize]) -> Result<Vec<i64>, ArrayError> {
        let strides = layout::broadcast_strides(&self.shape, &self.strides, shape)?;
        layout::element_strides(shape, &strides, size_of(self.scalar))
    }

    /// Pointer to the element at `index`.
    pub fn element_ptr(&self, index: &[usize]) -> Result<*const u8, ArrayError> {
        if index.len() != self.shape.len() || index.iter().zip(&self.shape).any(|(i, d)| i >= d) {
            return Err(ArrayError::Index {
                what: format!("index {index:?}"),
                shape: self.shape.to_vec(),
            });
        }
        let off: isize = index
            .iter()
            .zip(&self.strides)
            .map(|(&i, &s)| i as isize * s)
            .sum();
        Ok(self.ptr.wrapping_offset(off))
    }

    /// Whether a `bool` view's bytes are all 0 or 1, so it may be read as
    /// Rust `bool`s in place (always true for other types).
    pub fn has_canonical_bools(&self) -> bool {
        self.scalar != Scalar::Bool
            || layout::c_order_offsets(&self.shape, &self.strides)
                // SAFETY: each reachable element is one readable byte.
                .all(|off| unsafe { self.ptr.wrapping_offset(off).read() } <= 1)
    }

    /// The elements in C order as `T` (a copy).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, ArrayError> {
        if T::SCALAR != self.scalar {
            return Err(ArrayError::Type {
                expected: T::SCALAR,
                found: self.scalar,
            });
        }
        if self.is_empty() {
            return Ok(Vec::new());
        }
        if T::SCALAR != Scalar::Bool && self.is_c_contiguous() {
            // SAFETY: the elements are contiguous, readable and aligned (the
            // constructors' contract); any bit pattern is a valid `T`.
            let all = unsafe { std::slice::from_raw_parts(self.ptr.cast::<T>(), self.len()) };
            return Ok(all.to_vec());
        }
        Ok(layout::c_order_offsets(&self.shape, &self.strides)
            // SAFETY: every reachable element is readable and aligned
            // (the constructors' contract).
            .map(|off| unsafe { T::read(self.ptr.wrapping_offset(off)) })
            .collect())
    }
}

/// The addresses `lo..hi` covering every element reachable from `ptr`
/// (empty for no elements).
fn address_range(ptr: usize, shape: &[usize], strides: &[isize], size: usize) -> Range<usize> {
    if shape.contains(&0) {
        return ptr..ptr;
    }
    let (mut lo, mut hi) = (ptr as isize, ptr as isize);
    for (&d, &s) in shape.iter().zip(strides) {
        let ext = (d as isize - 1).wrapping_mul(s);
        if ext < 0 {
            lo = lo.wrapping_add(ext);
        } else {
            hi = hi.wrapping_add(ext);
        }
    }
    lo as usize..(hi as usize).wrapping_add(size)
}

impl DenseView<'_> {
    /// The addresses covering the view's elements (gaps between strided
    /// elements included): what an overlap test compares.
    pub fn address_range(&self) -> Range<usize> {
        address_range(
            self.ptr as usize,
            &self.shape,
            &self.strides,
            size_of(self.scalar),
        )
    }
}

/// A view of elements someone else owns that may be written, valid for
/// `'a` and exclusive for it: an output in the caller's memory.
#[derive(Debug)]
pub struct DenseViewMut<'a> {
    ptr: *mut u8,
    scalar: Scalar,
    shape: Vec<usize>,
    strides: Vec<isize>,
    validity: Option<(*mut u8, usize)>,
    _memory: PhantomData<&'a mut [u8]>,
}

// SAFETY: the view holds the only access to its memory for 'a.
unsafe impl Send for DenseViewMut<'_> {}

impl<'a> DenseViewMut<'a> {
    /// A writable view of elements at `ptr` (the first element), with byte
    /// `strides`.
    ///
    /// # Safety
    /// For `'a`, every element reachable from `ptr` with `strides` over
    /// `shape` must be readable, writable, aligned for `scalar`, and not
    /// accessed by anyone else; the byte offsets must not overflow `isize`.
    pub unsafe fn from_raw_parts(
        ptr: *mut u8,
        scalar: Scalar,
        shape: Vec<usize>,
        strides: Vec<isize>,
    ) -> DenseViewMut<'a> {
        DenseViewMut {
            ptr,
            scalar,
            shape,
            strides,
            validity: None,
            _memory: PhantomData,
        }
    }

    /// The view with a validity bitmap to write: one bit per element in C
    /// order of the view's shape, LSB first, 1 = valid, element 0 at bit
    /// `offset` of the bytes at `bitmap`. Writers set every element's bit
    /// and leave the bitmap's other bits (before `offset`, after the last
    /// element) as they are.
    ///
    /// # Safety
    /// For `'a`, the bytes holding bits `offset .. offset + len()` must be
    /// readable, writable and not accessed by anyone else.
    pub unsafe fn with_validity_bits(mut self, bitmap: *mut u8, offset: usize) -> DenseViewMut<'a> {
        self.validity = Some((bitmap, offset));
        self
    }

    /// The validity bitmap to write, if any: its bytes and the bit of
    /// element 0 ([`DenseViewMut::with_validity_bits`]).
    pub fn validity_bits(&self) -> Option<(*mut u8, usize)> {
        self.validity
    }

    /// Sets the validity bit of element `i` (C order) to `valid`; `false`
    /// when the view has no bitmap or `i` is out of range.
    pub fn set_valid(&mut self, i: usize, valid: bool) -> bool {
        let Some((bitmap, offset)) = self.validity else {
            return false;
        };
        if i >= self.len() {
            return false;
        }
        let bit = offset + i;
        // SAFETY: bit `offset + i` lies in the bitmap (the contract of
        // `with_validity_bits`).
        unsafe {
            let byte = bitmap.add(bit / 8);
            let mask = 1u8 << (bit % 8);
            *byte = if valid { *byte | mask } else { *byte & !mask };
        }
        true
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

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the view has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pointer to the first element, for writing.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }

    /// Strides in elements (0 on axes of length ≤ 1), or an error if a byte
    /// stride is not a multiple of the element size.
    pub fn element_strides(&self) -> Result<Vec<i64>, ArrayError> {
        layout::element_strides(&self.shape, &self.strides, size_of(self.scalar))
    }

    /// Whether the elements are in C order without gaps.
    pub fn is_c_contiguous(&self) -> bool {
        layout::is_c_contiguous(&self.shape, &self.strides, size_of(self.scalar))
    }

    /// Whether some element of `input` may share memory with this view
    /// (their address ranges intersect): an engine then computes into a
    /// temporary and copies.
    pub fn overlaps(&self, input: &DenseView<'_>) -> bool {
        let out = address_range(
            self.ptr as usize,
            &self.shape,
            &self.strides,
            size_of(self.scalar),
        );
        let inp = input.address_range();
        out.start < inp.end && inp.start < out.end
    }

    /// Writes the elements of `values` (same type and shape) into the view's,
    /// element by element in C order. Memory-safe even when the two
    /// overlap, but then an element may be overwritten before it is read:
    /// test [`DenseViewMut::overlaps`] and copy `values` first.
    pub fn write_from(&mut self, values: &DenseView<'_>) -> Result<(), ArrayError> {
        if values.scalar() != self.scalar {
            return Err(ArrayError::Type {
                expected: self.scalar,
                found: values.scalar(),
            });
        }
        if values.shape() != self.shape.as_slice() {
            return Err(ArrayError::Broadcast {
                from: values.shape().to_vec(),
                to: self.shape.clone(),
            });
        }
        let size = size_of(self.scalar);
        if values.is_c_contiguous() && self.is_c_contiguous() {
            if !self.is_empty() {
                // SAFETY: both views' elements are valid and in C order
                // without gaps (their contracts); `copy` allows overlap.
                unsafe { std::ptr::copy(values.as_ptr(), self.ptr, self.len() * size) };
            }
            return Ok(());
        }
        let src = layout::c_order_offsets(values.shape(), values.strides());
        for (s, d) in src.zip(layout::c_order_offsets(&self.shape, &self.strides)) {
            // SAFETY: both views' elements are valid (their contracts), and
            // `copy` allows them to overlap.
            unsafe {
                std::ptr::copy(
                    values.as_ptr().wrapping_offset(s),
                    self.ptr.wrapping_offset(d),
                    size,
                )
            };
        }
        Ok(())
    }
}

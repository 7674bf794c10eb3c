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

/// A view of elements someone else owns, valid for `'a`. Copying a view
/// does not copy elements; safe code cannot make it outlive its memory.
#[derive(Clone, Copy, Debug)]
pub struct DenseView<'a> {
    ptr: *const u8,
    scalar: Scalar,
    shape: &'a [usize],
    strides: &'a [isize],
    validity: Option<&'a NullBuffer>,
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
        shape: &'a [usize],
        strides: &'a [isize],
        validity: Option<&'a NullBuffer>,
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
    pub fn shape(&self) -> &'a [usize] {
        self.shape
    }

    /// The byte strides.
    pub fn strides(&self) -> &'a [isize] {
        self.strides
    }

    /// The validity bitmap (one bit per element in C order), if any.
    pub fn validity(&self) -> Option<&'a NullBuffer> {
        self.validity
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
        layout::element_strides(self.shape, self.strides, size_of(self.scalar))
    }

    /// Whether the elements are in C order without gaps.
    pub fn is_c_contiguous(&self) -> bool {
        layout::is_c_contiguous(self.shape, self.strides, size_of(self.scalar))
    }

    /// Pointer to the element at `index`.
    pub fn element_ptr(&self, index: &[usize]) -> Result<*const u8, ArrayError> {
        if index.len() != self.shape.len() || index.iter().zip(self.shape).any(|(i, d)| i >= d) {
            return Err(ArrayError::Index {
                what: format!("index {index:?}"),
                shape: self.shape.to_vec(),
            });
        }
        let off: isize = index
            .iter()
            .zip(self.strides)
            .map(|(&i, &s)| i as isize * s)
            .sum();
        Ok(self.ptr.wrapping_offset(off))
    }

    /// The elements in C order as `T` (a copy).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, ArrayError> {
        if T::SCALAR != self.scalar {
            return Err(ArrayError::Type {
                expected: T::SCALAR,
                found: self.scalar,
            });
        }
        Ok(layout::c_order_offsets(self.shape, self.strides)
            // SAFETY: every reachable element is readable and aligned
            // (the constructors' contract).
            .map(|off| unsafe { T::read(self.ptr.wrapping_offset(off)) })
            .collect())
    }
}

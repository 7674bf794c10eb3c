//! [`ArrayError`]: why an array could not be made, viewed or converted.

use blaze_datashape::Scalar;
use std::fmt;

/// Why an array could not be made, viewed or converted. Every variant names
/// the quantity at fault; `Display` is the message users read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArrayError {
    /// The shape and the strides have different lengths.
    Rank {
        /// Axes of the shape.
        shape: usize,
        /// Axes of the strides.
        strides: usize,
    },
    /// A size, offset or stride computation overflowed.
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
    /// Some reachable element lies outside the buffer.
    OutOfBounds {
        /// Lowest reachable byte (may be negative).
        lowest: i128,
        /// One past the highest reachable byte.
        end: i128,
        /// Length of the buffer in bytes.
        buffer_len: usize,
    },
    /// An element pointer or a stride is not a multiple of the element
    /// type's alignment.
    Misaligned {
        /// What is misaligned (`"data pointer"`, `"stride of axis 1"`, …).
        what: String,
        /// The offending address or stride.
        value: i128,
        /// The alignment required, in bytes.
        align: usize,
    },
    /// The validity bitmap does not have one bit per element.
    ValidityLength {
        /// The number of elements.
        expected: usize,
        /// The number of bits of the bitmap.
        found: usize,
    },
    /// An element type was not the one expected.
    Type {
        /// The type asked for.
        expected: Scalar,
        /// The array's type.
        found: Scalar,
    },
    /// An operation needs a layout the array does not have.
    Layout {
        /// The operation.
        operation: &'static str,
        /// What it needs.
        needs: &'static str,
    },
    /// A shape cannot be broadcast to another.
    Broadcast {
        /// The array's shape.
        from: Vec<usize>,
        /// The shape asked for.
        to: Vec<usize>,
    },
    /// A row range or an index lies outside the array.
    Index {
        /// What was asked (`"rows 3..9"`, `"index [2, 5]"`).
        what: String,
        /// The array's shape.
        shape: Vec<usize>,
    },
    /// A type with no counterpart on the other side of a conversion.
    Unsupported {
        /// The conversion and the type.
        what: String,
    },
    /// The memory for an array could not be had (see [`crate::alloc`]).
    Alloc(crate::alloc::AllocError),
}

impl From<crate::alloc::AllocError> for ArrayError {
    fn from(e: crate::alloc::AllocError) -> ArrayError {
        ArrayError::Alloc(e)
    }
}

impl fmt::Display for ArrayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArrayError::Rank { shape, strides } => {
                write!(
                    f,
                    "the shape has {shape} axes but the strides have {strides}"
                )
            }
            ArrayError::Overflow { what } => write!(f, "overflow computing the {what}"),
            ArrayError::OutOfBounds {
                lowest,
                end,
                buffer_len,
            } => write!(
                f,
                "elements reach bytes {lowest}..{end}, outside the buffer of {buffer_len} bytes"
            ),
            ArrayError::Misaligned { what, value, align } => {
                write!(
                    f,
                    "the {what} ({value}) is not a multiple of the element alignment {align}"
                )
            }
            ArrayError::ValidityLength { expected, found } => write!(
                f,
                "the validity bitmap has {found} bits for {expected} elements"
            ),
            ArrayError::Type { expected, found } => {
                write!(f, "expected elements of type {expected:?}, found {found:?}")
            }
            ArrayError::Layout { operation, needs } => write!(f, "{operation} needs {needs}"),
            ArrayError::Broadcast { from, to } => {
                write!(f, "cannot broadcast shape {from:?} to {to:?}")
            }
            ArrayError::Index { what, shape } => {
                write!(f, "{what} out of range for shape {shape:?}")
            }
            ArrayError::Unsupported { what } => write!(f, "unsupported: {what}"),
            ArrayError::Alloc(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ArrayError {}

//! [`Element`]: the Rust types of blaze's scalars, and the size and
//! alignment of each [`Scalar`].

use blaze_datashape::Scalar;
use half::f16;
use num_complex::{Complex32, Complex64};

/// A Rust type that holds one element of a blaze scalar type.
///
/// Sealed: implemented for `bool`, the integers, `f16`, `f32`, `f64`,
/// `Complex32` and `Complex64`. A `bool` element is one byte; any nonzero
/// byte reads as `true` ([`Element::read`]), so foreign bytes are never
/// undefined behaviour.
pub trait Element:
    Copy + Send + Sync + std::panic::RefUnwindSafe + 'static + sealed::Sealed
{
    /// The blaze scalar type.
    const SCALAR: Scalar;

    /// Reads one element at `ptr`.
    ///
    /// # Safety
    /// `ptr` must be valid for reading `size_of::<Self>()` bytes and aligned
    /// for `Self`.
    unsafe fn read(ptr: *const u8) -> Self {
        unsafe { ptr.cast::<Self>().read() }
    }
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! element {
    ($($t:ty => $s:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const SCALAR: Scalar = Scalar::$s;
        }
    )*};
}

element!(i8 => Int8, i16 => Int16, i32 => Int32, i64 => Int64,
    u8 => UInt8, u16 => UInt16, u32 => UInt32, u64 => UInt64,
    f16 => Float16, f32 => Float32, f64 => Float64,
    Complex32 => Complex64, Complex64 => Complex128);

impl sealed::Sealed for bool {}
impl Element for bool {
    const SCALAR: Scalar = Scalar::Bool;
    unsafe fn read(ptr: *const u8) -> bool {
        unsafe { ptr.read() != 0 }
    }
}

/// Size in bytes of one element of `scalar` (a `bool` is one byte).
pub fn size_of(scalar: Scalar) -> usize {
    scalar.size_bytes()
}

/// Alignment in bytes that an element of `scalar` needs (that of its Rust
/// type: complex numbers align as their components).
pub fn align_of(scalar: Scalar) -> usize {
    use std::mem::align_of;
    match scalar {
        Scalar::Bool | Scalar::Int8 | Scalar::UInt8 => 1,
        Scalar::Int16 | Scalar::UInt16 | Scalar::Float16 => align_of::<u16>(),
        Scalar::Int32 | Scalar::UInt32 | Scalar::Float32 => align_of::<u32>(),
        Scalar::Complex64 => align_of::<Complex32>(),
        Scalar::Int64 | Scalar::UInt64 => align_of::<u64>(),
        Scalar::Float64 => align_of::<f64>(),
        Scalar::Complex128 => align_of::<Complex64>(),
    }
}

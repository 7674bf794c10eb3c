//! Conversions between element types (NumPy `astype`, with the rules of
//! the module documentation of [`crate::kernels`] where NumPy is undefined).

use blaze_datashape::Scalar;
use ndarray::ArrayD;

use crate::element::Convert;
use crate::{with_array, Array};

/// Every element of `x` converted to `D` by the rules of [`cast`].
pub(super) fn conv<D: Convert>(x: &Array) -> ArrayD<D> {
    with_array!(x, a => a.mapv(|v| D::from_univ(v.to_univ())))
}

/// The truthiness (`x != 0`) of every element.
pub(super) fn truth(x: &Array) -> ArrayD<bool> {
    with_array!(x, a => a.mapv(Convert::truthy))
}

/// `x` converted to scalar type `to`, with NumPy `astype` semantics.
///
/// Where NumPy is undefined: float → int maps NaN to 0, saturates values
/// out of range to the integer's min/max and truncates finite values toward
/// zero; int → narrower int wraps (two's complement); anything → bool is
/// `x != 0` (complex: either part non-zero; NaN is true); bool → number is
/// 0/1; complex → real takes the real part; conversions to float16 round to
/// nearest even.
pub fn cast(x: &Array, to: Scalar) -> Array {
    if x.scalar() == to {
        return x.clone();
    }
    match to {
        Scalar::Bool => Array::Bool(conv(x)),
        Scalar::Int8 => Array::Int8(conv(x)),
        Scalar::Int16 => Array::Int16(conv(x)),
        Scalar::Int32 => Array::Int32(conv(x)),
        Scalar::Int64 => Array::Int64(conv(x)),
        Scalar::UInt8 => Array::UInt8(conv(x)),
        Scalar::UInt16 => Array::UInt16(conv(x)),
        Scalar::UInt32 => Array::UInt32(conv(x)),
        Scalar::UInt64 => Array::UInt64(conv(x)),
        Scalar::Float16 => Array::Float16(conv(x)),
        Scalar::Float32 => Array::Float32(conv(x)),
        Scalar::Float64 => Array::Float64(conv(x)),
        Scalar::Complex64 => Array::Complex64(conv(x)),
        Scalar::Complex128 => Array::Complex128(conv(x)),
    }
}

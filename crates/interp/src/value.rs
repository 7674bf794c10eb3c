//! Run-time values of the reference interpreter: dense n-dimensional arrays
//! of one scalar type ([`Array`]), with an optional missing-value mask, and
//! records and tuples of them ([`Value`]); everything else in Arrow's
//! columnar layout ([`Column`]).

use crate::{Column, EvalError};
use blaze_datashape::Scalar;
use half::f16;
use ndarray::{ArrayD, IxDyn};
use num_complex::{Complex32, Complex64};

/// A dense n-dimensional array of one scalar type.
#[derive(Clone, Debug, PartialEq)]
pub enum Array {
    /// `bool`
    Bool(ArrayD<bool>),
    /// `int8`
    Int8(ArrayD<i8>),
    /// `int16`
    Int16(ArrayD<i16>),
    /// `int32`
    Int32(ArrayD<i32>),
    /// `int64`
    Int64(ArrayD<i64>),
    /// `uint8`
    UInt8(ArrayD<u8>),
    /// `uint16`
    UInt16(ArrayD<u16>),
    /// `uint32`
    UInt32(ArrayD<u32>),
    /// `uint64`
    UInt64(ArrayD<u64>),
    /// `float16`
    Float16(ArrayD<f16>),
    /// `float32`
    Float32(ArrayD<f32>),
    /// `float64`
    Float64(ArrayD<f64>),
    /// `complex[float32]`
    Complex64(ArrayD<Complex32>),
    /// `complex[float64]`
    Complex128(ArrayD<Complex64>),
}

/// Applies `$body` to the inner `ArrayD` of an [`Array`], whatever its type.
#[macro_export]
macro_rules! with_array {
    ($array:expr, $a:ident => $body:expr) => {
        match $array {
            $crate::Array::Bool($a) => $body,
            $crate::Array::Int8($a) => $body,
            $crate::Array::Int16($a) => $body,
            $crate::Array::Int32($a) => $body,
            $crate::Array::Int64($a) => $body,
            $crate::Array::UInt8($a) => $body,
            $crate::Array::UInt16($a) => $body,
            $crate::Array::UInt32($a) => $body,
            $crate::Array::UInt64($a) => $body,
            $crate::Array::Float16($a) => $body,
            $crate::Array::Float32($a) => $body,
            $crate::Array::Float64($a) => $body,
            $crate::Array::Complex64($a) => $body,
            $crate::Array::Complex128($a) => $body,
        }
    };
}

impl Array {
    /// The scalar type of the elements.
    pub fn scalar(&self) -> Scalar {
        match self {
            Array::Bool(_) => Scalar::Bool,
            Array::Int8(_) => Scalar::Int8,
            Array::Int16(_) => Scalar::Int16,
            Array::Int32(_) => Scalar::Int32,
            Array::Int64(_) => Scalar::Int64,
            Array::UInt8(_) => Scalar::UInt8,
            Array::UInt16(_) => Scalar::UInt16,
            Array::UInt32(_) => Scalar::UInt32,
            Array::UInt64(_) => Scalar::UInt64,
            Array::Float16(_) => Scalar::Float16,
            Array::Float32(_) => Scalar::Float32,
            Array::Float64(_) => Scalar::Float64,
            Array::Complex64(_) => Scalar::Complex64,
            Array::Complex128(_) => Scalar::Complex128,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        with_array!(self, a => a.shape())
    }

    /// The number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An array of zeros (false for bool) of type `scalar` and `shape`,
    /// allocated fallibly: a size that overflows, exceeds the memory limit
    /// in force or what the machine has is an [`EvalError::Memory`] naming
    /// `what` (see [`blaze_array::alloc`]).
    pub fn try_zeros(scalar: Scalar, shape: &[usize], what: &str) -> Result<Array, EvalError> {
        use blaze_array::alloc::{elements, try_zeroed};
        let sh = IxDyn(shape);
        let n = elements(shape, what)?;
        macro_rules! make {
            ($($s:ident),*) => {
                match scalar {
                    $(Scalar::$s => Array::$s(
                        ArrayD::from_shape_vec(sh, try_zeroed(n, what)?)
                            .map_err(|e| EvalError::Shape(e.to_string()))?,
                    ),)*
                }
            };
        }
        Ok(make!(
            Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float16, Float32,
            Float64, Complex64, Complex128
        ))
    }

    /// An array of zeros (false for bool) of type `scalar` and `shape`, for
    /// sizes known to be small (use [`Array::try_zeros`] for sizes from
    /// data or a program).
    pub fn zeros(scalar: Scalar, shape: &[usize]) -> Array {
        let sh = IxDyn(shape);
        match scalar {
            Scalar::Bool => Array::Bool(ArrayD::from_elem(sh, false)),
            Scalar::Int8 => Array::Int8(ArrayD::zeros(sh)),
            Scalar::Int16 => Array::Int16(ArrayD::zeros(sh)),
            Scalar::Int32 => Array::Int32(ArrayD::zeros(sh)),
            Scalar::Int64 => Array::Int64(ArrayD::zeros(sh)),
            Scalar::UInt8 => Array::UInt8(ArrayD::zeros(sh)),
            Scalar::UInt16 => Array::UInt16(ArrayD::zeros(sh)),
            Scalar::UInt32 => Array::UInt32(ArrayD::zeros(sh)),
            Scalar::UInt64 => Array::UInt64(ArrayD::zeros(sh)),
            Scalar::Float16 => Array::Float16(ArrayD::from_elem(sh, f16::ZERO)),
            Scalar::Float32 => Array::Float32(ArrayD::zeros(sh)),
            Scalar::Float64 => Array::Float64(ArrayD::zeros(sh)),
            Scalar::Complex64 => Array::Complex64(ArrayD::zeros(sh)),
            Scalar::Complex128 => Array::Complex128(ArrayD::zeros(sh)),
        }
    }
}

/// A value of the interpreter: an array (with a mask of missing elements
/// when its measure is an option), or a record or tuple of values.
// The array variant is the common one; boxing it would cost an allocation
// per value for the benefit of the rare records and tuples.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An array; `missing[i]` is true where element `i` is `na`. The mask,
    /// when present, has the array's shape.
    Array {
        /// The elements (those under the mask hold an unspecified value).
        data: Array,
        /// Where elements are missing, for option measures.
        missing: Option<ArrayD<bool>>,
    },
    /// A record: named fields of equal leading shape (struct of arrays).
    Record(Vec<(String, Value)>),
    /// A tuple of values.
    Tuple(Vec<Value>),
    /// Values in Arrow's columnar layout: strings, bytes, decimals, dates
    /// and times, and ragged dimensions below the first (see [`Column`]).
    Column(Column),
}

impl From<Column> for Value {
    fn from(c: Column) -> Value {
        Value::Column(c)
    }
}

impl From<Array> for Value {
    fn from(data: Array) -> Value {
        Value::Array {
            data,
            missing: None,
        }
    }
}

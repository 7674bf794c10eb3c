//! Conversions with arrow-rs. A one-dimensional contiguous numeric array
//! (any offset, with or without a validity bitmap) and an Arrow
//! `PrimitiveArray` share their buffers: neither direction copies an
//! element or a bit.
//!
//! `bool` is one byte per element in blaze and one bit in Arrow, so it
//! converts with a copy (packing or unpacking the bits; the validity bitmap
//! is still shared). Complex numbers have no Arrow primitive type and are
//! refused with [`ArrayError::Unsupported`].

use crate::dense::{vec_buffer, DenseArray};
use crate::element::size_of;
use crate::error::ArrayError;
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, BooleanArray, PrimitiveArray};
use arrow_buffer::{BooleanBuffer, ScalarBuffer};
use arrow_schema::DataType;
use blaze_datashape::Scalar;
use std::sync::Arc;

/// The blaze scalar of an Arrow data type, if there is one.
pub fn scalar_of(data_type: &DataType) -> Option<Scalar> {
    Some(match data_type {
        DataType::Boolean => Scalar::Bool,
        DataType::Int8 => Scalar::Int8,
        DataType::Int16 => Scalar::Int16,
        DataType::Int32 => Scalar::Int32,
        DataType::Int64 => Scalar::Int64,
        DataType::UInt8 => Scalar::UInt8,
        DataType::UInt16 => Scalar::UInt16,
        DataType::UInt32 => Scalar::UInt32,
        DataType::UInt64 => Scalar::UInt64,
        DataType::Float16 => Scalar::Float16,
        DataType::Float32 => Scalar::Float32,
        DataType::Float64 => Scalar::Float64,
        _ => return None,
    })
}

/// The Arrow data type of a blaze scalar, if there is one (none for
/// complex numbers).
pub fn data_type_of(scalar: Scalar) -> Option<DataType> {
    Some(match scalar {
        Scalar::Bool => DataType::Boolean,
        Scalar::Int8 => DataType::Int8,
        Scalar::Int16 => DataType::Int16,
        Scalar::Int32 => DataType::Int32,
        Scalar::Int64 => DataType::Int64,
        Scalar::UInt8 => DataType::UInt8,
        Scalar::UInt16 => DataType::UInt16,
        Scalar::UInt32 => DataType::UInt32,
        Scalar::UInt64 => DataType::UInt64,
        Scalar::Float16 => DataType::Float16,
        Scalar::Float32 => DataType::Float32,
        Scalar::Float64 => DataType::Float64,
        Scalar::Complex64 | Scalar::Complex128 => return None,
    })
}

fn unsupported(what: String) -> ArrayError {
    ArrayError::Unsupported { what }
}

impl DenseArray {
    /// Checks that the array is one-dimensional and contiguous.
    fn check_column(&self, operation: &'static str) -> Result<(), ArrayError> {
        let contiguous = self.ndim() == 1
            && (self.len() <= 1 || self.strides()[0] == size_of(self.scalar()) as isize);
        if contiguous {
            Ok(())
        } else {
            Err(ArrayError::Layout {
                operation,
                needs: "a one-dimensional array with contiguous elements",
            })
        }
    }

    /// The array as an Arrow `PrimitiveArray<T>` sharing its buffer and
    /// bitmap (no copy). Needs a 1-D contiguous array whose element type is
    /// `T`'s.
    pub fn to_arrow_primitive<T: ArrowPrimitiveType>(
        &self,
    ) -> Result<PrimitiveArray<T>, ArrayError> {
        if scalar_of(&T::DATA_TYPE) != Some(self.scalar()) || self.scalar() == Scalar::Bool {
            return Err(unsupported(format!(
                "{:?} elements as an Arrow {} array",
                self.scalar(),
                T::DATA_TYPE
            )));
        }
        self.check_column("conversion to Arrow")?;
        let bytes = self.len() * size_of(self.scalar());
        // In bounds: the constructors checked it.
        let aligned = self
            .as_ptr()
            .align_offset(std::mem::align_of::<T::Native>())
            == 0;
        let values = if !aligned {
            // Only an empty array's offset may be unaligned (the constructors
            // check the others); Arrow's pointer must be aligned.
            ScalarBuffer::from(Vec::new())
        } else {
            ScalarBuffer::<T::Native>::from(self.buffer().slice_with_length(self.offset(), bytes))
        };
        PrimitiveArray::try_new(values, self.validity().cloned())
            .map_err(|e| unsupported(format!("conversion to Arrow: {e}")))
    }

    /// A 1-D array sharing the values and the bitmap of `array` (no copy).
    pub fn from_arrow_primitive<T: ArrowPrimitiveType>(
        array: &PrimitiveArray<T>,
    ) -> Result<DenseArray, ArrayError> {
        let scalar = scalar_of(&T::DATA_TYPE)
            .ok_or_else(|| unsupported(format!("Arrow {} arrays", T::DATA_TYPE)))?;
        let values = array.values().inner().clone();
        DenseArray::c_order(values, scalar, &[array.len()])?.with_validity(array.nulls().cloned())
    }

    /// The array as an Arrow array: numeric types share the buffer (see
    /// [`DenseArray::to_arrow_primitive`]); `bool` is packed into bits (a
    /// copy of the values; the bitmap is shared); complex is refused.
    pub fn to_arrow(&self) -> Result<ArrayRef, ArrayError> {
        Ok(match self.scalar() {
            Scalar::Bool => {
                self.check_column("conversion to Arrow")?;
                let values = BooleanBuffer::from_iter(self.to_vec::<bool>()?);
                Arc::new(BooleanArray::new(values, self.validity().cloned()))
            }
            Scalar::Int8 => Arc::new(self.to_arrow_primitive::<Int8Type>()?),
            Scalar::Int16 => Arc::new(self.to_arrow_primitive::<Int16Type>()?),
            Scalar::Int32 => Arc::new(self.to_arrow_primitive::<Int32Type>()?),
            Scalar::Int64 => Arc::new(self.to_arrow_primitive::<Int64Type>()?),
            Scalar::UInt8 => Arc::new(self.to_arrow_primitive::<UInt8Type>()?),
            Scalar::UInt16 => Arc::new(self.to_arrow_primitive::<UInt16Type>()?),
            Scalar::UInt32 => Arc::new(self.to_arrow_primitive::<UInt32Type>()?),
            Scalar::UInt64 => Arc::new(self.to_arrow_primitive::<UInt64Type>()?),
            Scalar::Float16 => Arc::new(self.to_arrow_primitive::<Float16Type>()?),
            Scalar::Float32 => Arc::new(self.to_arrow_primitive::<Float32Type>()?),
            Scalar::Float64 => Arc::new(self.to_arrow_primitive::<Float64Type>()?),
            s @ (Scalar::Complex64 | Scalar::Complex128) => {
                return Err(unsupported(format!(
                    "{s:?} elements in Arrow (no complex type)"
                )))
            }
        })
    }

    /// A 1-D array from an Arrow array of a numeric type (sharing its
    /// buffers) or of booleans (the bits unpacked into bytes: a copy).
    pub fn from_arrow(array: &dyn Array) -> Result<DenseArray, ArrayError> {
        Ok(match array.data_type() {
            DataType::Boolean => {
                let b = array.as_boolean();
                let bytes: Vec<bool> = b.values().iter().collect();
                DenseArray::c_order(vec_buffer(bytes), Scalar::Bool, &[b.len()])?
                    .with_validity(b.nulls().cloned())?
            }
            DataType::Int8 => DenseArray::from_arrow_primitive(array.as_primitive::<Int8Type>())?,
            DataType::Int16 => DenseArray::from_arrow_primitive(array.as_primitive::<Int16Type>())?,
            DataType::Int32 => DenseArray::from_arrow_primitive(array.as_primitive::<Int32Type>())?,
            DataType::Int64 => DenseArray::from_arrow_primitive(array.as_primitive::<Int64Type>())?,
            DataType::UInt8 => DenseArray::from_arrow_primitive(array.as_primitive::<UInt8Type>())?,
            DataType::UInt16 => {
                DenseArray::from_arrow_primitive(array.as_primitive::<UInt16Type>())?
            }
            DataType::UInt32 => {
                DenseArray::from_arrow_primitive(array.as_primitive::<UInt32Type>())?
            }
            DataType::UInt64 => {
                DenseArray::from_arrow_primitive(array.as_primitive::<UInt64Type>())?
            }
            DataType::Float16 => {
                DenseArray::from_arrow_primitive(array.as_primitive::<Float16Type>())?
            }
            DataType::Float32 => {
                DenseArray::from_arrow_primitive(array.as_primitive::<Float32Type>())?
            }
            DataType::Float64 => {
                DenseArray::from_arrow_primitive(array.as_primitive::<Float64Type>())?
            }
            other => return Err(unsupported(format!("Arrow {other} arrays"))),
        })
    }
}

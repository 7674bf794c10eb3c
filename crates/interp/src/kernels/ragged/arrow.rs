//! Between Arrow arrays and the interpreter's dense and ragged values:
//! primitives and `bool` as 1-d arrays (nulls as the missing mask),
//! `FixedSizeList` as trailing fixed axes, `List`/`LargeList` as a ragged
//! axis with checked offsets.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{
    Array as ArrowArray, ArrayRef, ArrowPrimitiveType, BooleanArray, FixedSizeListArray, ListArray,
    PrimitiveArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use ndarray::{ArrayD, IxDyn};

use super::ops::{take_dense_rows, take_slots};
use super::{checked_product, Child, Ragged};
use crate::value::{Array, Value};
use crate::EvalError;

fn prim<T: ArrowPrimitiveType>(
    a: &dyn ArrowArray,
    wrap: fn(ArrayD<T::Native>) -> Array,
) -> Result<Value, EvalError> {
    let p = a.as_primitive::<T>();
    let n = p.len();
    let data = ArrayD::from_shape_vec(IxDyn(&[n]), p.values().to_vec())
        .map_err(|e| EvalError::Shape(e.to_string()))?;
    Ok(Value::Array {
        data: wrap(data),
        missing: mask_of(p.nulls(), n)?,
    })
}

fn mask_of(nulls: Option<&NullBuffer>, n: usize) -> Result<Option<ArrayD<bool>>, EvalError> {
    match nulls {
        Some(nb) if nb.null_count() > 0 => {
            let m: Vec<bool> = nb.iter().map(|valid| !valid).collect();
            ArrayD::from_shape_vec(IxDyn(&[n]), m)
                .map(Some)
                .map_err(|e| EvalError::Shape(e.to_string()))
        }
        _ => Ok(None),
    }
}

/// A dense value of shape `[len, fixed axes…]` from an Arrow array of
/// numbers or bools, or fixed-size lists of them.
pub fn dense_from_arrow(a: &dyn ArrowArray) -> Result<Value, EvalError> {
    Ok(match a.data_type() {
        DataType::Boolean => {
            let b = a.as_boolean();
            let n = b.len();
            let data = ArrayD::from_shape_vec(IxDyn(&[n]), b.values().iter().collect())
                .map_err(|e| EvalError::Shape(e.to_string()))?;
            Value::Array {
                data: Array::Bool(data),
                missing: mask_of(b.nulls(), n)?,
            }
        }
        DataType::Int8 => prim::<Int8Type>(a, Array::Int8)?,
        DataType::Int16 => prim::<Int16Type>(a, Array::Int16)?,
        DataType::Int32 => prim::<Int32Type>(a, Array::Int32)?,
        DataType::Int64 => prim::<Int64Type>(a, Array::Int64)?,
        DataType::UInt8 => prim::<UInt8Type>(a, Array::UInt8)?,
        DataType::UInt16 => prim::<UInt16Type>(a, Array::UInt16)?,
        DataType::UInt32 => prim::<UInt32Type>(a, Array::UInt32)?,
        DataType::UInt64 => prim::<UInt64Type>(a, Array::UInt64)?,
        DataType::Float16 => prim::<Float16Type>(a, Array::Float16)?,
        DataType::Float32 => prim::<Float32Type>(a, Array::Float32)?,
        DataType::Float64 => prim::<Float64Type>(a, Array::Float64)?,
        DataType::FixedSizeList(_, k) => {
            let l = a.as_fixed_size_list();
            if l.null_count() > 0 {
                return Err(EvalError::Value(
                    "a fixed-size list array with missing lists has no dense form".into(),
                ));
            }
            let k = usize::try_from(*k)
                .map_err(|_| EvalError::Value(format!("a fixed-size list of size {k}")))?;
            let n = l.len();
            let total = n
                .checked_mul(k)
                .ok_or_else(|| EvalError::Shape("fixed-size list length overflows".into()))?;
            let values = l.values();
            if values.len() < total {
                return Err(EvalError::Value(format!(
                    "a fixed-size list array of {n} lists of {k} has {} values",
                    values.len()
                )));
            }
            let inner = dense_from_arrow(values.slice(0, total).as_ref())?;
            let Value::Array { data, missing } = inner else {
                return Err(EvalError::Value("fixed-size list of non-arrays".into()));
            };
            let mut shape = vec![n, k];
            shape.extend_from_slice(&data.shape()[1..]);
            let re = |e: ndarray::ShapeError| EvalError::Shape(e.to_string());
            Value::Array {
                data: crate::with_array!(data, x => crate::Element::wrap(
                    x.into_shape_with_order(IxDyn(&shape)).map_err(re)?)),
                missing: missing
                    .map(|m| m.into_shape_with_order(IxDyn(&shape)).map_err(re))
                    .transpose()?,
            }
        }
        other => {
            return Err(EvalError::Value(format!(
                "Arrow type {other} has no dense form in the interpreter"
            )))
        }
    })
}

/// The `(start, end)` of each list of a `List`/`LargeList` array (empty
/// for null lists), checked against its values.
fn list_ranges(a: &dyn ArrowArray) -> Result<(Vec<(usize, usize)>, ArrayRef), EvalError> {
    fn ranges<O: arrow_array::OffsetSizeTrait>(
        l: &arrow_array::GenericListArray<O>,
    ) -> Result<(Vec<(usize, usize)>, ArrayRef), EvalError> {
        let values = l.values().clone();
        let offs = l.value_offsets();
        let mut out = Vec::with_capacity(l.len());
        for s in 0..l.len() {
            let (Some(a), Some(b)) = (offs.get(s), offs.get(s + 1)) else {
                return Err(EvalError::Value(format!("list offsets end before row {s}")));
            };
            let (a, b) = (a.to_usize(), b.to_usize());
            match (a, b) {
                (Some(a), Some(b)) if a <= b && b <= values.len() => {
                    out.push(if l.is_null(s) { (a, a) } else { (a, b) })
                }
                _ => {
                    return Err(EvalError::Value(format!(
                        "list offsets of row {s} are outside the {} values or decrease",
                        values.len()
                    )))
                }
            }
        }
        Ok((out, values))
    }
    match a.data_type() {
        DataType::List(_) => ranges(a.as_list::<i32>()),
        DataType::LargeList(_) => ranges(a.as_list::<i64>()),
        other => Err(EvalError::Value(format!(
            "expected a list array for a ragged axis, found {other}"
        ))),
    }
}

impl Ragged {
    /// A column's elements (`lead` slots of an Arrow `List` array) taken
    /// apart; nested lists become nested ragged values.
    pub fn from_arrow(lead: &[usize], a: &dyn ArrowArray) -> Result<Ragged, EvalError> {
        let slots = checked_product(lead)?;
        if a.len() != slots {
            return Err(EvalError::Value(format!(
                "a column of shape {lead:?} holds {} elements, not {slots}",
                a.len()
            )));
        }
        let (ranges, values) = list_ranges(a)?;
        let child = match values.data_type() {
            DataType::List(_) | DataType::LargeList(_) => Child::List(Box::new(
                Ragged::from_arrow(&[values.len()], values.as_ref())?,
            )),
            _ => Child::Dense(dense_from_arrow(values.as_ref())?),
        };
        let mut offsets = Vec::with_capacity(slots + 1);
        offsets.push(0usize);
        let contiguous = ranges.first().is_none_or(|r| r.0 == 0)
            && ranges.windows(2).all(|w| w[0].1 == w[1].0)
            && ranges
                .last()
                .map_or(values.is_empty(), |r| r.1 == values.len());
        let mut rows = Vec::new();
        for &(a, b) in &ranges {
            let last = offsets.last().copied().unwrap_or(0);
            offsets.push(last + (b - a));
            if !contiguous {
                rows.extend(a..b);
            }
        }
        let child = if contiguous {
            child
        } else {
            match child {
                Child::Dense(v) => Child::Dense(take_dense_rows(&v, &rows)?),
                Child::List(r) => Child::List(Box::new(take_slots(&r, &rows, vec![rows.len()])?)),
            }
        };
        let r = Ragged {
            lead: lead.to_vec(),
            offsets,
            child,
        };
        r.check()?;
        Ok(r)
    }

    /// Back to an Arrow `List` array (i32 offsets, child field `item`,
    /// nullable when `nullable` or when elements are missing).
    pub fn to_arrow(&self, nullable: bool) -> Result<ArrayRef, EvalError> {
        let (child, child_nullable) = match &self.child {
            Child::Dense(v) => {
                let a = dense_to_arrow(v, nullable)?;
                // Fixed axes inside: the nulls are the innermost items'.
                let n = !matches!(a.data_type(), DataType::FixedSizeList(..))
                    && (nullable || a.null_count() > 0);
                (a, n)
            }
            Child::List(r) => (r.to_arrow(nullable)?, false),
        };
        let offs: Vec<i32> = self
            .offsets
            .iter()
            .map(|&o| i32::try_from(o))
            .collect::<Result<_, _>>()
            .map_err(|_| EvalError::Shape("a ragged value too long for i32 offsets".into()))?;
        let field = Arc::new(Field::new(
            "item",
            child.data_type().clone(),
            child_nullable,
        ));
        let l = ListArray::try_new(
            field,
            OffsetBuffer::new(ScalarBuffer::from(offs)),
            child,
            None,
        )
        .map_err(|e| EvalError::Value(e.to_string()))?;
        Ok(Arc::new(l))
    }
}

fn prim_to<T: ArrowPrimitiveType>(x: &ArrayD<T::Native>, nulls: Option<NullBuffer>) -> ArrayRef {
    let v: Vec<T::Native> = x.iter().copied().collect();
    Arc::new(PrimitiveArray::<T>::new(ScalarBuffer::from(v), nulls))
}

/// A dense value of shape `[len, fixed axes…]` as an Arrow array of `len`
/// elements (fixed axes as `FixedSizeList`s; the missing mask as nulls).
pub fn dense_to_arrow(v: &Value, nullable: bool) -> Result<ArrayRef, EvalError> {
    let Value::Array { data, missing } = v else {
        return Err(EvalError::Value("expected an array for Arrow".into()));
    };
    let shape = data.shape().to_vec();
    if shape.is_empty() {
        return Err(EvalError::Value("a 0-d array has no rows for Arrow".into()));
    }
    let nulls = missing
        .as_ref()
        .filter(|m| m.iter().any(|&b| b))
        .map(|m| NullBuffer::from(m.iter().map(|&b| !b).collect::<Vec<bool>>()));
    let has_nulls = nulls.is_some();
    let mut out: ArrayRef = match data {
        Array::Bool(x) => Arc::new(BooleanArray::new(
            x.iter().copied().collect::<Vec<bool>>().into(),
            nulls,
        )),
        Array::Int8(x) => prim_to::<Int8Type>(x, nulls),
        Array::Int16(x) => prim_to::<Int16Type>(x, nulls),
        Array::Int32(x) => prim_to::<Int32Type>(x, nulls),
        Array::Int64(x) => prim_to::<Int64Type>(x, nulls),
        Array::UInt8(x) => prim_to::<UInt8Type>(x, nulls),
        Array::UInt16(x) => prim_to::<UInt16Type>(x, nulls),
        Array::UInt32(x) => prim_to::<UInt32Type>(x, nulls),
        Array::UInt64(x) => prim_to::<UInt64Type>(x, nulls),
        Array::Float16(x) => prim_to::<Float16Type>(x, nulls),
        Array::Float32(x) => prim_to::<Float32Type>(x, nulls),
        Array::Float64(x) => prim_to::<Float64Type>(x, nulls),
        Array::Complex64(_) | Array::Complex128(_) => {
            return Err(EvalError::Value(
                "complex numbers have no Arrow type".into(),
            ))
        }
    };
    for (j, &k) in shape[1..].iter().rev().enumerate() {
        let size = i32::try_from(k)
            .map_err(|_| EvalError::Shape(format!("a fixed axis of {k} is too long for Arrow")))?;
        // Only the innermost items can be missing.
        let field = Arc::new(Field::new(
            "item",
            out.data_type().clone(),
            j == 0 && (nullable || has_nulls),
        ));
        out = Arc::new(
            FixedSizeListArray::try_new(field, size, out, None)
                .map_err(|e| EvalError::Value(e.to_string()))?,
        );
    }
    Ok(out)
}

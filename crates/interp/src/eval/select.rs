//! Selection and gather along axis 0 (`x[mask]`, `x[idx]`, `x[k]`),
//! `flatten` and `len(x, axis=…)` on dense arrays, columns and records. Every
//! selection is reduced to one list of row numbers, checked against the
//! length first, then taken from each array (and mask) of the value.

use ndarray::{ArrayD, Axis, IxDyn};

use super::arrays::{arr, generic_reshape};
use super::inputs::value_shape;
use crate::element::Element;
use crate::value::{Array, Value};
use crate::{with_array, EvalError};

/// The rows where `mask` (a 1-d `bool` array, missing counting as false)
/// is true; its length must be `n`.
pub(super) fn mask_rows(mask: &Value, n: usize) -> Result<Vec<usize>, EvalError> {
    let (m, missing) = arr(mask)?;
    let Array::Bool(m) = m else {
        return Err(EvalError::Value(format!(
            "a selection mask is a bool array, found {}",
            m.scalar()
        )));
    };
    if m.ndim() != 1 || m.len() != n {
        return Err(EvalError::Shape(format!(
            "a selection mask of shape {:?} does not fit an axis of length {n}",
            m.shape()
        )));
    }
    let absent: Vec<bool> = match missing {
        Some(ms) => ms.iter().copied().collect(),
        None => vec![false; n],
    };
    let rows = m
        .iter()
        .zip(&absent)
        .enumerate()
        .filter(|&(_, (&b, &gone))| b && !gone)
        .map(|(i, _)| i)
        .collect();
    Ok(rows)
}

/// The rows named by the integer array `idx` (negative from the end), in
/// its C order, and its shape; the first index outside `-n..n` is an
/// error naming it and where it is.
pub(super) fn index_rows(idx: &Value, n: usize) -> Result<(Vec<usize>, Vec<usize>), EvalError> {
    let (a, missing) = arr(idx)?;
    if missing.is_some_and(|m| m.iter().any(|&b| b)) {
        return Err(EvalError::Value("an index array has missing values".into()));
    }
    let as_i128: Vec<i128> = match a {
        Array::Int8(x) => x.iter().map(|&v| v as i128).collect(),
        Array::Int16(x) => x.iter().map(|&v| v as i128).collect(),
        Array::Int32(x) => x.iter().map(|&v| v as i128).collect(),
        Array::Int64(x) => x.iter().map(|&v| v as i128).collect(),
        Array::UInt8(x) => x.iter().map(|&v| v as i128).collect(),
        Array::UInt16(x) => x.iter().map(|&v| v as i128).collect(),
        Array::UInt32(x) => x.iter().map(|&v| v as i128).collect(),
        Array::UInt64(x) => x.iter().map(|&v| v as i128).collect(),
        other => {
            return Err(EvalError::Value(format!(
                "an index array has integers, found {}",
                other.scalar()
            )))
        }
    };
    let len = n as i128;
    let mut rows = Vec::with_capacity(as_i128.len());
    for (pos, &i) in as_i128.iter().enumerate() {
        let k = if i < 0 { i + len } else { i };
        if k < 0 || k >= len {
            let at = if a.ndim() == 0 {
                String::new()
            } else {
                format!(" at position {pos} of the index array")
            };
            return Err(EvalError::Shape(format!(
                "index {i}{at} is out of bounds for axis 0 with size {n}"
            )));
        }
        rows.push(k as usize);
    }
    Ok((rows, a.shape().to_vec()))
}

/// The length of a value's axis 0 (of a record: its fields').
pub(super) fn leading_len(v: &Value) -> Result<usize, EvalError> {
    value_shape(v)
        .first()
        .copied()
        .ok_or_else(|| EvalError::Shape("selection from a value with no axis".into()))
}

fn take_array<T: Clone>(
    a: &ArrayD<T>,
    rows: &[usize],
    lead: &[usize],
) -> Result<ArrayD<T>, EvalError> {
    let n = a.shape().first().copied().unwrap_or(0);
    if let Some(bad) = rows.iter().find(|&&r| r >= n) {
        return Err(EvalError::Shape(format!(
            "row {bad} is out of bounds for axis 0 with size {n}"
        )));
    }
    let picked = a.select(Axis(0), rows);
    let mut shape = lead.to_vec();
    shape.extend_from_slice(&a.shape()[1..]);
    picked
        .into_shape_with_order(IxDyn(&shape))
        .map_err(|e| EvalError::Shape(e.to_string()))
}

/// Rows `rows` of `v` along axis 0, the result's leading axes being
/// `lead` (whose product is `rows.len()`): arrays with their masks,
/// records field by field.
pub(super) fn take_rows(v: &Value, rows: &[usize], lead: &[usize]) -> Result<Value, EvalError> {
    match v {
        Value::Array { data, missing } => {
            if data.ndim() == 0 {
                return Err(EvalError::Shape("selection from a 0-d array".into()));
            }
            Ok(Value::Array {
                data: with_array!(data, x => Element::wrap(take_array(x, rows, lead)?)),
                missing: missing
                    .as_ref()
                    .map(|m| take_array(m, rows, lead))
                    .transpose()?,
            })
        }
        Value::Record(fields) => Ok(Value::Record(
            fields
                .iter()
                .map(|(n, f)| Ok((n.clone(), take_rows(f, rows, lead)?)))
                .collect::<Result<_, EvalError>>()?,
        )),
        Value::Column(c) => super::ragged::take_column_rows(c, rows, lead),
        Value::Tuple(_) => Err(EvalError::Value("selection from a tuple".into())),
    }
}

/// `x[mask]`.
pub(super) fn select(x: &Value, mask: &Value) -> Result<Value, EvalError> {
    let rows = mask_rows(mask, leading_len(x)?)?;
    take_rows(x, &rows, &[rows.len()])
}

/// `x[idx]`.
pub(super) fn take(x: &Value, idx: &Value) -> Result<Value, EvalError> {
    let (rows, shape) = index_rows(idx, leading_len(x)?)?;
    take_rows(x, &rows, &shape)
}

/// Axes 0 and 1 merged (dense values and records).
pub(super) fn flatten(x: &Value) -> Result<Value, EvalError> {
    let merge = |shape: &[usize]| -> Result<Vec<usize>, EvalError> {
        let [a, b, rest @ ..] = shape else {
            return Err(EvalError::Shape(format!(
                "flatten needs two axes, found shape {shape:?}"
            )));
        };
        let n = a
            .checked_mul(*b)
            .ok_or_else(|| EvalError::Shape("flattened length overflows".into()))?;
        Ok(std::iter::once(n).chain(rest.iter().copied()).collect())
    };
    match x {
        Value::Array { data, missing } => {
            let shape = merge(data.shape())?;
            Ok(Value::Array {
                data: with_array!(data, a => Element::wrap(generic_reshape(a, &shape)?)),
                missing: missing
                    .as_ref()
                    .map(|m| generic_reshape(m, &shape))
                    .transpose()?,
            })
        }
        Value::Record(fields) => Ok(Value::Record(
            fields
                .iter()
                .map(|(n, f)| Ok((n.clone(), flatten(f)?)))
                .collect::<Result<_, EvalError>>()?,
        )),
        Value::Column(c) => super::ragged::flatten_column(c),
        Value::Tuple(_) => Err(EvalError::Value("flatten of a tuple".into())),
    }
}

/// `len(x, axis=a)` of a dense value: its length along `a` at every
/// position of the axes before it.
pub(super) fn dense_length(x: &Value, axis: usize) -> Result<Value, EvalError> {
    let shape = value_shape(x);
    let n = *shape.get(axis).ok_or_else(|| {
        EvalError::Shape(format!("axis {axis} is out of bounds for shape {shape:?}"))
    })?;
    let out = &shape[..axis];
    let n = i64::try_from(n).map_err(|_| EvalError::Shape("length overflows int64".into()))?;
    Ok(Array::Int64(ArrayD::from_elem(IxDyn(out), n)).into())
}

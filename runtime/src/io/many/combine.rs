//! Values of several files put together: [`join`] concatenates along the
//! rows, [`stack`] adds an axis in front (all parts of one shape), and
//! [`to_list`] makes parts of different lengths the rows of a ragged axis
//! (`n * var * …`, an Arrow list). Records go field by field.

use crate::io::rows::{join_rows, stack_rows};
use arrow_array::{Array as _, ArrayRef, FixedSizeListArray, ListArray};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::Field;
use blaze_interp::kernels::ragged::dense_to_arrow;
use blaze_interp::{Column, Value};
use std::sync::Arc;

/// The shape of a value's leading axes (a record: its first field's).
pub(super) fn shape_of(v: &Value) -> Vec<usize> {
    match v {
        Value::Array { data, .. } => data.shape().to_vec(),
        Value::Column(c) => c.shape.clone(),
        Value::Record(fs) => fs.first().map_or(Vec::new(), |(_, f)| shape_of(f)),
        Value::Tuple(_) => Vec::new(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Array { .. } => "an array",
        Value::Column(_) => "a column",
        Value::Record(_) => "a record",
        Value::Tuple(_) => "a tuple",
    }
}

/// The fields of every part, field `k` of each, checked to have the same
/// names in the same order.
fn fields(parts: &[Value]) -> Result<Vec<(String, Vec<Value>)>, String> {
    let Some(Value::Record(first)) = parts.first() else {
        return Err("expected records".into());
    };
    let mut out: Vec<(String, Vec<Value>)> = first
        .iter()
        .map(|(n, _)| (n.clone(), Vec::with_capacity(parts.len())))
        .collect();
    for p in parts {
        let Value::Record(fs) = p else {
            return Err(format!("a record and {}", kind(p)));
        };
        if fs.len() != out.len() || fs.iter().zip(&out).any(|((a, _), (b, _))| a != b) {
            return Err("records with different fields".into());
        }
        for ((_, v), (_, o)) in fs.iter().zip(out.iter_mut()) {
            o.push(v.clone());
        }
    }
    Ok(out)
}

/// Parts (at least one, of one kind) joined along their first axis.
pub(super) fn join(parts: Vec<Value>) -> Result<Value, String> {
    match parts.first() {
        None => Err("nothing to join".into()),
        Some(Value::Record(_)) => Ok(Value::Record(
            fields(&parts)?
                .into_iter()
                .map(|(n, ps)| join(ps).map(|v| (n, v)))
                .collect::<Result<_, _>>()?,
        )),
        Some(Value::Array { .. }) => {
            let mut data = Vec::with_capacity(parts.len());
            let mut masks = Vec::with_capacity(parts.len());
            for p in parts {
                let Value::Array { data: d, missing } = p else {
                    return Err(format!("an array and {}", kind(&p)));
                };
                masks.push(missing);
                data.push(d);
            }
            let missing = if masks.iter().any(Option::is_some) {
                let full: Vec<_> = masks
                    .into_iter()
                    .zip(&data)
                    .map(|(m, d)| {
                        m.unwrap_or_else(|| {
                            ndarray::ArrayD::from_elem(ndarray::IxDyn(d.shape()), false)
                        })
                    })
                    .collect();
                let views: Vec<_> = full.iter().map(|m| m.view()).collect();
                Some(ndarray::concatenate(ndarray::Axis(0), &views).map_err(|e| e.to_string())?)
            } else {
                None
            };
            let data = join_rows(&data)?;
            Ok(Value::Array { data, missing })
        }
        Some(Value::Column(first)) => {
            let rest = first.shape.get(1..).unwrap_or(&[]).to_vec();
            let mut rows = 0usize;
            let mut arrays = Vec::with_capacity(parts.len());
            for p in &parts {
                let Value::Column(c) = p else {
                    return Err(format!("a column and {}", kind(p)));
                };
                if c.shape.get(1..).unwrap_or(&[]) != rest.as_slice() {
                    return Err(format!("shapes {:?} and {:?}", first.shape, c.shape));
                }
                rows = rows
                    .checked_add(c.shape.first().copied().unwrap_or(1))
                    .ok_or("too many rows")?;
                arrays.push(c.array.as_ref());
            }
            let array = arrow_select::concat::concat(&arrays).map_err(|e| e.to_string())?;
            let mut shape = vec![rows];
            shape.extend(rest);
            Column::new(shape, array)
                .map(Value::Column)
                .map_err(|e| e.to_string())
        }
        Some(Value::Tuple(_)) => Err("a tuple has no rows".into()),
    }
}

/// Parts (at least one) of one shape stacked along a new first axis.
pub(super) fn stack(parts: Vec<Value>) -> Result<Value, String> {
    let first = parts.first().ok_or("nothing to stack")?;
    let shape = shape_of(first);
    if let Some(p) = parts.iter().find(|p| shape_of(p) != shape) {
        return Err(format!("shapes {:?} and {:?}", shape, shape_of(p)));
    }
    match first {
        Value::Record(_) => Ok(Value::Record(
            fields(&parts)?
                .into_iter()
                .map(|(n, ps)| stack(ps).map(|v| (n, v)))
                .collect::<Result<_, _>>()?,
        )),
        Value::Array { .. } => {
            let mut datas = Vec::with_capacity(parts.len());
            let mut masks = Vec::with_capacity(parts.len());
            for p in parts {
                let Value::Array { data, missing } = p else {
                    return Err(format!("an array and {}", kind(&p)));
                };
                masks.push(missing);
                datas.push(data);
            }
            let missing = if masks.iter().any(Option::is_some) {
                let full: Vec<_> = masks
                    .into_iter()
                    .zip(&datas)
                    .map(|(m, d)| {
                        m.unwrap_or_else(|| {
                            ndarray::ArrayD::from_elem(ndarray::IxDyn(d.shape()), false)
                        })
                    })
                    .collect();
                let views: Vec<_> = full.iter().map(|m| m.view()).collect();
                Some(ndarray::stack(ndarray::Axis(0), &views).map_err(|e| e.to_string())?)
            } else {
                None
            };
            let data = stack_rows(&datas)?;
            Ok(Value::Array { data, missing })
        }
        Value::Column(_) => {
            let mut arrays = Vec::with_capacity(parts.len());
            for p in &parts {
                let Value::Column(c) = p else {
                    return Err(format!("a column and {}", kind(p)));
                };
                arrays.push(c.array.as_ref());
            }
            let array = arrow_select::concat::concat(&arrays).map_err(|e| e.to_string())?;
            let mut full = vec![parts.len()];
            full.extend(shape);
            Column::new(full, array)
                .map(Value::Column)
                .map_err(|e| e.to_string())
        }
        Value::Tuple(_) => Err("a tuple cannot be stacked".into()),
    }
}

/// One part as an Arrow array of its first axis' elements (the other axes
/// as fixed-size lists).
fn part_to_arrow(p: &Value) -> Result<ArrayRef, String> {
    match p {
        Value::Array { data, .. } if data.shape().is_empty() => {
            Err("a 0-d array has no rows to list".into())
        }
        Value::Array { missing, .. } => {
            dense_to_arrow(p, missing.is_some()).map_err(|e| e.to_string())
        }
        Value::Column(c) => {
            let mut out = c.array.clone();
            for &k in c.shape.iter().skip(1).rev() {
                let size = i32::try_from(k).map_err(|_| format!("an axis of {k} is too long"))?;
                let field = Arc::new(Field::new("item", out.data_type().clone(), true));
                out = Arc::new(
                    FixedSizeListArray::try_new(field, size, out, None)
                        .map_err(|e| e.to_string())?,
                );
            }
            if c.shape.is_empty() {
                return Err("a single value has no rows to list".into());
            }
            Ok(out)
        }
        other => Err(format!("{} cannot be an element of a list", kind(other))),
    }
}

/// Parts whose first axes may differ in length as the rows of a ragged
/// axis: a column of `parts.len()` lists (records field by field).
pub(super) fn to_list(parts: Vec<Value>) -> Result<Value, String> {
    if let Some(Value::Record(_)) = parts.first() {
        return Ok(Value::Record(
            fields(&parts)?
                .into_iter()
                .map(|(n, ps)| to_list(ps).map(|v| (n, v)))
                .collect::<Result<_, _>>()?,
        ));
    }
    let arrays: Vec<ArrayRef> = parts.iter().map(part_to_arrow).collect::<Result<_, _>>()?;
    let mut offsets = Vec::with_capacity(arrays.len() + 1);
    let mut at = 0i32;
    offsets.push(at);
    for a in &arrays {
        let n = i32::try_from(a.len()).map_err(|_| "a list too long for Arrow")?;
        at = at.checked_add(n).ok_or("lists too long for Arrow")?;
        offsets.push(at);
    }
    let refs: Vec<&dyn arrow_array::Array> = arrays.iter().map(|a| a.as_ref()).collect();
    let values = if refs.is_empty() {
        return Err("nothing to list".into());
    } else {
        arrow_select::concat::concat(&refs).map_err(|e| e.to_string())?
    };
    let field = Arc::new(Field::new("item", values.data_type().clone(), true));
    let list = ListArray::try_new(
        field,
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        values,
        None,
    )
    .map_err(|e| e.to_string())?;
    Column::new(vec![parts.len()], Arc::new(list))
        .map(Value::Column)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use blaze_interp::Array;

    fn arr(v: &[f64], shape: &[usize]) -> Value {
        Value::from(Array::Float64(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), v.to_vec()).unwrap(),
        ))
    }

    #[test]
    fn join_stack_and_list_keep_the_order() {
        let a = arr(&[1., 2., 3., 4.], &[2, 2]);
        let b = arr(&[5., 6.], &[1, 2]);
        assert_eq!(shape_of(&join(vec![a.clone(), b.clone()]).unwrap()), [3, 2]);
        assert_eq!(
            shape_of(&stack(vec![a.clone(), a.clone()]).unwrap()),
            [2, 2, 2]
        );
        let e = stack(vec![a.clone(), b.clone()]).unwrap_err();
        assert!(e.contains("[2, 2] and [1, 2]"), "{e}");
        let Value::Column(c) = to_list(vec![a, b]).unwrap() else {
            panic!("a list column")
        };
        assert_eq!(c.shape, [2]);
        let l = c.array.as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(l.value_offsets(), &[0, 2, 3]);
    }
}

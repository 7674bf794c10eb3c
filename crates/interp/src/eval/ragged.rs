//! Evaluation over columns with a ragged axis (`L... * var * T`, Arrow
//! `List` arrays): elementwise operations on the elements with the
//! offsets kept, reductions over and inside the rows, indexing, `flatten`
//! and row lengths, and gathering the slots of any column (strings,
//! decimals, lists) for selections. The column is taken apart into a
//! [`Ragged`] value, computed on, and put back in Arrow's layout.

use arrow_array::cast::AsArray;
use arrow_array::{make_array, Array as _, ArrayRef};
use arrow_data::transform::MutableArrayData;
use arrow_schema::DataType;
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_ir::{slice_bounds, IndexItem, NodeId, Op};
use ndarray::{ArrayD, IxDyn};

use super::arrays::generic_index;
use super::{Env, Evaluator};
use crate::element::Element;
use crate::kernels::ragged::{
    align, dense_from_arrow, reduce_ragged, take_dense_rows, take_slots, Child, Ragged, Shaped,
};
use crate::value::{Array, Value};
use crate::{with_array, Column, EvalError};

/// Whether `v` is a column with a ragged axis.
pub(super) fn is_ragged(v: &Value) -> bool {
    matches!(v, Value::Column(c) if matches!(c.array.data_type(), DataType::List(_) | DataType::LargeList(_)))
}

fn ragged_of(c: &Column) -> Result<Ragged, EvalError> {
    Ragged::from_arrow(&c.shape, c.array.as_ref())
}

fn shaped(v: &Value) -> Result<Shaped, EvalError> {
    match v {
        Value::Column(c) if is_ragged(v) => Ok(Shaped::Ragged(ragged_of(c)?)),
        Value::Column(c) => Err(EvalError::Value(format!(
            "a column of {} cannot be combined with a ragged one",
            c.array.data_type()
        ))),
        Value::Array { .. } => Ok(Shaped::Dense(v.clone())),
        _ => Err(EvalError::Value(
            "a record or tuple cannot be combined with a ragged array".into(),
        )),
    }
}

/// A result as the value of a node typed `ty`: a ragged value whose
/// ragged axis leads is dense (a leading `var` is a length); one whose
/// type has no ragged axis has rows of one length, and is made dense.
pub(super) fn to_value(s: Shaped, ty: &Datashape) -> Result<Value, EvalError> {
    let r = match s {
        Shaped::Dense(v) => return Ok(v),
        Shaped::Ragged(r) => r,
    };
    let nullable = matches!(ty.measure, Measure::Option { .. });
    if r.lead.is_empty() {
        return Ok(match r.child {
            Child::Dense(v) => v,
            Child::List(inner) => {
                Value::Column(Column::new(inner.lead.clone(), inner.to_arrow(nullable)?)?)
            }
        });
    }
    let l = r.lead.len();
    let ragged_type = ty.dims.iter().skip(1).any(|d| matches!(d, Dim::Var(_)));
    if !ragged_type && r.depth() == 1 {
        let lens = r.row_lens();
        let n = lens.first().copied().unwrap_or(match ty.dims.get(l) {
            Some(Dim::Fixed(n)) => *n as usize,
            _ => 0,
        });
        if let Some(s) = lens.iter().position(|&x| x != n) {
            return Err(EvalError::Shape(format!(
                "rows of different lengths ({n} and {} at row {s}) for the fixed axis of `{ty}`",
                lens[s]
            )));
        }
        let Child::Dense(Value::Array { data, missing }) = &r.child else {
            return Err(EvalError::Value("ragged rows of non-arrays".into()));
        };
        let mut shape = r.lead.clone();
        shape.push(n);
        shape.extend_from_slice(&data.shape()[1..]);
        let re = |e: ndarray::ShapeError| EvalError::Shape(e.to_string());
        return Ok(Value::Array {
            data: with_array!(data, x => Element::wrap(x.clone().into_shape_with_order(IxDyn(&shape)).map_err(re)?)),
            missing: missing
                .clone()
                .map(|m| m.into_shape_with_order(IxDyn(&shape)).map_err(re))
                .transpose()?,
        });
    }
    Ok(Value::Column(Column::new(
        r.lead.clone(),
        r.to_arrow(nullable)?,
    )?))
}

/// Slots `slots` of an Arrow array, in order (any type).
fn take_array(a: &ArrayRef, slots: &[usize]) -> Result<ArrayRef, EvalError> {
    if let Some(bad) = slots.iter().find(|&&s| s >= a.len()) {
        return Err(EvalError::Shape(format!(
            "element {bad} is out of bounds for a column of {}",
            a.len()
        )));
    }
    let data = a.to_data();
    let mut m = MutableArrayData::new(vec![&data], false, slots.len());
    let mut k = 0;
    while k < slots.len() {
        let start = slots[k];
        let mut end = start + 1;
        while k + 1 < slots.len() && slots[k + 1] == end {
            end += 1;
            k += 1;
        }
        m.try_extend(0, start, end)
            .map_err(|e| EvalError::Value(e.to_string()))?;
        k += 1;
    }
    Ok(make_array(m.freeze()))
}

/// A column of one list (shape `[]`) is its list's elements: dense, or a
/// column of them.
fn lone_list(c: Column) -> Result<Value, EvalError> {
    if !c.shape.is_empty() || !is_ragged(&Value::Column(c.clone())) {
        return Ok(Value::Column(c));
    }
    let r = ragged_of(&c)?;
    to_value(Shaped::Ragged(r), &Datashape::scalar(Measure::Null))
}

/// Rows `rows` along axis 0 of a column, the result's leading axes being
/// `lead` then the column's after the first.
pub(super) fn take_column_rows(
    c: &Column,
    rows: &[usize],
    lead: &[usize],
) -> Result<Value, EvalError> {
    let Some((&n, rest)) = c.shape.split_first() else {
        return Err(EvalError::Shape("selection from a 0-d column".into()));
    };
    let per: usize = rest.iter().product();
    let mut slots = Vec::with_capacity(rows.len().saturating_mul(per));
    for &r in rows {
        if r >= n {
            return Err(EvalError::Shape(format!(
                "row {r} is out of bounds for axis 0 with size {n}"
            )));
        }
        slots.extend(r * per..(r + 1) * per);
    }
    let mut shape = lead.to_vec();
    shape.extend_from_slice(rest);
    let c = Column::new(shape, take_array(&c.array, &slots)?)?;
    lone_list(c)
}

/// `flatten` of a column: its first two axes merged.
pub(super) fn flatten_column(c: &Column) -> Result<Value, EvalError> {
    if c.shape.len() >= 2 {
        let n = c.shape[0]
            .checked_mul(c.shape[1])
            .ok_or_else(|| EvalError::Shape("flattened length overflows".into()))?;
        let shape = std::iter::once(n)
            .chain(c.shape[2..].iter().copied())
            .collect();
        return Ok(Value::Column(Column::new(shape, c.array.clone())?));
    }
    if c.shape.len() != 1 || !is_ragged(&Value::Column(c.clone())) {
        return Err(EvalError::Shape(format!(
            "flatten needs two axes, found a column of shape {:?} over {}",
            c.shape,
            c.array.data_type()
        )));
    }
    // The rows' elements, null rows being empty.
    let (ranges, values): (Vec<(usize, usize)>, ArrayRef) = match c.array.data_type() {
        DataType::List(_) => {
            let l = c.array.as_list::<i32>();
            let o = l.value_offsets();
            let r = (0..l.len())
                .map(|s| (o[s], o[s + 1], l.is_null(s)))
                .map(|(a, b, null)| {
                    let (a, b) = (usize::try_from(a), usize::try_from(b));
                    match (a, b) {
                        (Ok(a), Ok(b)) if a <= b => Ok(if null { (a, a) } else { (a, b) }),
                        _ => Err(EvalError::Value("bad list offsets".into())),
                    }
                })
                .collect::<Result<_, _>>()?;
            (r, l.values().clone())
        }
        _ => {
            let l = c.array.as_list::<i64>();
            let o = l.value_offsets();
            let r = (0..l.len())
                .map(|s| (o[s], o[s + 1], l.is_null(s)))
                .map(|(a, b, null)| {
                    let (a, b) = (usize::try_from(a), usize::try_from(b));
                    match (a, b) {
                        (Ok(a), Ok(b)) if a <= b => Ok(if null { (a, a) } else { (a, b) }),
                        _ => Err(EvalError::Value("bad list offsets".into())),
                    }
                })
                .collect::<Result<_, _>>()?;
            (r, l.values().clone())
        }
    };
    let slots: Vec<usize> = ranges.iter().flat_map(|&(a, b)| a..b).collect();
    let elems = take_array(&values, &slots)?;
    Ok(match dense_from_arrow(elems.as_ref()) {
        Ok(v) => v,
        Err(_) => Value::Column(Column::vector(elems)),
    })
}

/// `len(x, axis)` of a ragged column.
fn lengths(r: &Ragged, axis: usize) -> Result<Shaped, EvalError> {
    let l = r.lead.len();
    let int64 = |shape: &[usize], v: Vec<i64>| -> Result<Value, EvalError> {
        ArrayD::from_shape_vec(IxDyn(shape), v)
            .map(|a| Array::Int64(a).into())
            .map_err(|e| EvalError::Shape(e.to_string()))
    };
    if axis < l {
        let n = r.lead[axis] as i64;
        let shape = &r.lead[..axis];
        return Ok(Shaped::Dense(int64(
            shape,
            vec![n; shape.iter().product()],
        )?));
    }
    if axis == l {
        let lens = r.row_lens().into_iter().map(|n| n as i64).collect();
        return Ok(Shaped::Dense(int64(&r.lead, lens)?));
    }
    let child = match &r.child {
        Child::List(inner) => match lengths(inner, axis - l)? {
            Shaped::Dense(v) => Child::Dense(v),
            Shaped::Ragged(x) => Child::List(Box::new(x)),
        },
        Child::Dense(Value::Array { data, .. }) => {
            let n = data.shape().get(axis - l).copied().ok_or_else(|| {
                EvalError::Shape(format!("axis {axis} is out of bounds for a ragged value"))
            })? as i64;
            Child::Dense(int64(&[r.child_len()], vec![n; r.child_len()])?)
        }
        Child::Dense(_) => return Err(EvalError::Value("ragged rows of non-arrays".into())),
    };
    Ok(Shaped::Ragged(Ragged {
        lead: r.lead.clone(),
        offsets: r.offsets.clone(),
        child,
    }))
}

/// Every row sliced by `start:stop:step` (Python's rules, per row).
fn slice_rows(
    r: &Ragged,
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
) -> Result<Ragged, EvalError> {
    if step == 0 {
        return Err(EvalError::Value("slice step cannot be zero".into()));
    }
    let mut offsets = Vec::with_capacity(r.offsets.len());
    offsets.push(0usize);
    let mut rows = Vec::new();
    for s in 0..r.slots() {
        let n = i64::try_from(r.row_len(s))
            .map_err(|_| EvalError::Shape("a row too long to slice".into()))?;
        let (first, end) = slice_bounds(n, start, stop, step);
        let mut k = first;
        while (step > 0 && k < end) || (step < 0 && k > end) {
            rows.push(r.offsets[s] + k as usize);
            k += step;
        }
        offsets.push(rows.len());
    }
    let child = match &r.child {
        Child::Dense(v) => Child::Dense(take_dense_rows(v, &rows)?),
        Child::List(inner) => Child::List(Box::new(take_slots(inner, &rows, vec![rows.len()])?)),
    };
    Ok(Ragged {
        lead: r.lead.clone(),
        offsets,
        child,
    })
}

/// Basic indexing of a ragged value: items over its leading axes pick
/// slots, a position in the ragged axis picks an element of every row
/// (missing where the row is too short), items after it index the rows'
/// elements.
fn index(r: &Ragged, items: &[IndexItem]) -> Result<Shaped, EvalError> {
    let l = r.lead.len();
    let full = IndexItem::Range {
        start: None,
        stop: None,
        step: 1,
    };
    if items.len() <= l {
        return Err(EvalError::Value(
            "too few index items for a ragged value".into(),
        ));
    }
    let ids = ArrayD::from_shape_vec(IxDyn(&r.lead), (0..r.slots()).collect::<Vec<usize>>())
        .map_err(|e| EvalError::Shape(e.to_string()))?;
    let picked = generic_index(&ids, &items[..l])?;
    let r = take_slots(
        r,
        &picked.iter().copied().collect::<Vec<_>>(),
        picked.shape().to_vec(),
    )?;
    let rest = &items[l + 1..];
    match &items[l] {
        IndexItem::Range { start, stop, step } => {
            let r = if items[l] == full {
                r
            } else {
                slice_rows(&r, *start, *stop, *step)?
            };
            if rest.iter().all(|i| *i == full) {
                return Ok(Shaped::Ragged(r));
            }
            let child = match &r.child {
                Child::Dense(Value::Array { data, missing }) => {
                    let mut its = vec![full.clone()];
                    its.extend_from_slice(rest);
                    Child::Dense(Value::Array {
                        data: with_array!(data, x => Element::wrap(generic_index(x, &its)?)),
                        missing: missing
                            .as_ref()
                            .map(|m| generic_index(m, &its))
                            .transpose()?,
                    })
                }
                Child::Dense(_) => {
                    return Err(EvalError::Value("ragged rows of non-arrays".into()))
                }
                Child::List(inner) => {
                    let mut its = vec![full.clone()];
                    its.extend_from_slice(rest);
                    match index(inner, &its)? {
                        Shaped::Dense(v) => Child::Dense(v),
                        Shaped::Ragged(x) => Child::List(Box::new(x)),
                    }
                }
            };
            Ok(Shaped::Ragged(Ragged {
                lead: r.lead.clone(),
                offsets: r.offsets.clone(),
                child,
            }))
        }
        IndexItem::At(k) => {
            let Child::Dense(leaf) = &r.child else {
                return Err(EvalError::Value(
                    "a position in a ragged axis with ragged axes after it".into(),
                ));
            };
            let mut rows = Vec::with_capacity(r.slots());
            let mut absent = Vec::with_capacity(r.slots());
            for s in 0..r.slots() {
                let n = r.row_len(s) as i64;
                let j = if *k < 0 { k + n } else { *k };
                if (0..n).contains(&j) {
                    rows.push(r.offsets[s] + j as usize);
                    absent.push(false);
                } else {
                    rows.push(0);
                    absent.push(true);
                }
            }
            let Value::Array { data, .. } = leaf else {
                return Err(EvalError::Value("ragged rows of non-arrays".into()));
            };
            let inner = data.shape()[1..].to_vec();
            let picked = if data.shape()[0] == 0 {
                let mut sh = vec![rows.len()];
                sh.extend(&inner);
                Value::Array {
                    data: Array::zeros(data.scalar(), &sh),
                    missing: None,
                }
            } else {
                take_dense_rows(leaf, &rows)?
            };
            let Value::Array { data, missing } = picked else {
                return Err(EvalError::Value("ragged rows of non-arrays".into()));
            };
            let per: usize = inner.iter().product();
            let mut mask: Vec<bool> = match &missing {
                Some(m) => m.iter().copied().collect(),
                None => vec![false; data.len()],
            };
            for (s, &gone) in absent.iter().enumerate() {
                if gone {
                    mask[s * per..(s + 1) * per]
                        .iter_mut()
                        .for_each(|b| *b = true);
                }
            }
            let mut shape = r.lead.clone();
            shape.extend(&inner);
            let re = |e: ndarray::ShapeError| EvalError::Shape(e.to_string());
            let data = with_array!(data, x => Element::wrap(x.into_shape_with_order(IxDyn(&shape)).map_err(re)?));
            let mask = ArrayD::from_shape_vec(IxDyn(&shape), mask).map_err(re)?;
            let mut its = vec![full.clone(); r.lead.len()];
            its.extend_from_slice(rest);
            Ok(Shaped::Dense(Value::Array {
                data: with_array!(&data, x => Element::wrap(generic_index(x, &its)?)),
                missing: Some(generic_index(&mask, &its)?),
            }))
        }
    }
}

/// Basic indexing of a column without a ragged axis: the items pick
/// slots of its leading axes.
pub(super) fn index_column(c: &Column, items: &[IndexItem]) -> Result<Value, EvalError> {
    if items.len() != c.shape.len() {
        return Err(EvalError::Value(format!(
            "{} index items for a column of shape {:?}",
            items.len(),
            c.shape
        )));
    }
    let ids = ArrayD::from_shape_vec(IxDyn(&c.shape), (0..c.len()).collect::<Vec<usize>>())
        .map_err(|e| EvalError::Shape(e.to_string()))?;
    let picked = generic_index(&ids, items)?;
    let slots: Vec<usize> = picked.iter().copied().collect();
    Ok(Value::Column(Column::new(
        picked.shape().to_vec(),
        take_array(&c.array, &slots)?,
    )?))
}

impl Evaluator<'_> {
    /// Node `id` applied to arguments of which at least one is a ragged
    /// column, for the operations that take them (`None` for others).
    pub(super) fn apply_ragged(
        &mut self,
        id: NodeId,
        args: &[Value],
        env: &Env,
    ) -> Result<Option<Value>, EvalError> {
        let node = self.f.node(id).clone();
        let ty = &node.ty;
        let out = match &node.op {
            Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_) | Op::FillNa => {
                let parts: Vec<Shaped> = args.iter().map(shaped).collect::<Result<_, _>>()?;
                let Some(reference) = parts.iter().find_map(|p| match p {
                    Shaped::Ragged(r) => Some(r.clone()),
                    Shaped::Dense(_) => None,
                }) else {
                    return Ok(None);
                };
                let leaves: Vec<Value> = parts
                    .iter()
                    .map(|p| align(p, &reference))
                    .collect::<Result<_, _>>()?;
                let leaf = self.apply(id, leaves, env)?;
                Shaped::Ragged(reference.with_leaf(leaf))
            }
            Op::Reduce { f, axes, keepdims } => {
                let Value::Column(c) = &args[0] else {
                    return Ok(None);
                };
                let over_options = matches!(
                    self.f.node(node.args[0]).ty.measure,
                    Measure::Option { .. } | Measure::Null
                );
                reduce_ragged(&ragged_of(c)?, *f, axes.as_deref(), *keepdims, over_options)?
            }
            Op::Index(items) => {
                let Value::Column(c) = &args[0] else {
                    return Ok(None);
                };
                index(&ragged_of(c)?, items)?
            }
            Op::Length(axis) => {
                let Value::Column(c) = &args[0] else {
                    return Ok(None);
                };
                lengths(&ragged_of(c)?, *axis)?
            }
            _ => return Ok(None),
        };
        to_value(out, ty).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::types::Int32Type;
    use arrow_array::ListArray;
    use std::sync::Arc;

    fn eval_on(src: &str, ty: &str, x: &Value) -> Result<Value, EvalError> {
        let ty = blaze_datashape::parse(ty).unwrap();
        let f = blaze_ir::compile_expression(src, &[("x".into(), ty)]).unwrap();
        crate::eval(&f, std::slice::from_ref(x))
    }

    fn rows(v: &Value) -> Vec<Vec<i32>> {
        let Value::Column(c) = v else { panic!("{v:?}") };
        let l = c.array.as_list::<i32>();
        (0..l.len())
            .map(|i| l.value(i).as_primitive::<Int32Type>().values().to_vec())
            .collect()
    }

    #[test]
    fn slices_of_a_ragged_axis_slice_every_row() {
        let data = vec![
            Some(vec![Some(1), Some(2), Some(3), Some(4)]),
            Some(vec![]),
            Some(vec![Some(5)]),
        ];
        let x = Value::Column(Column::vector(Arc::new(ListArray::from_iter_primitive::<
            Int32Type,
            _,
            _,
        >(data.clone()))));
        let ty = "N * var * int32";
        for (src, start, stop, step) in [
            ("x[:, 1:]", Some(1), None, 1),
            ("x[:, ::-1]", None, None, -1),
            ("x[:, -2:]", Some(-2), None, 1),
            ("x[:, 3:0:-2]", Some(3), Some(0), -2),
        ] {
            let got = rows(&eval_on(src, ty, &x).unwrap());
            // Python's slicing of each row, by an independent loop.
            let want: Vec<Vec<i32>> = data
                .iter()
                .map(|r| {
                    let r: Vec<i32> = r.iter().flatten().flatten().copied().collect();
                    let (a, b) = slice_bounds(r.len() as i64, start, stop, step);
                    let mut out = Vec::new();
                    let mut k = a;
                    while (step > 0 && k < b) || (step < 0 && k > b) {
                        out.push(r[k as usize]);
                        k += step;
                    }
                    out
                })
                .collect();
            assert_eq!(got, want, "{src}");
        }
        assert_eq!(
            rows(&eval_on("x[:, 1:]", ty, &x).unwrap())[0],
            vec![2, 3, 4]
        );
    }
}

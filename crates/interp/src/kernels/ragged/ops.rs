//! Operations on [`Ragged`] values: taking rows and slots, reductions
//! over and inside ragged axes (segmented over the offsets: each group of
//! rows reduced by the dense kernels), and aligning the operands of an
//! elementwise operation with a ragged value's elements.

use blaze_ir::ops::ReduceFn;
use ndarray::{ArrayD, Axis, IxDyn};

use super::{checked_product, Child, Ragged};
use crate::kernels::{broadcast_to, reduce, reduce_skipna};
use crate::value::{Array, Value};
use crate::{with_array, with_scalar, Element, EvalError};

/// A result that may or may not keep a ragged axis.
#[derive(Clone, Debug, PartialEq)]
pub enum Shaped {
    /// A dense value.
    Dense(Value),
    /// A ragged one.
    Ragged(Ragged),
}

fn dense_parts(v: &Value) -> Result<(&Array, Option<&ArrayD<bool>>), EvalError> {
    match v {
        Value::Array { data, missing } => Ok((data, missing.as_ref())),
        _ => Err(EvalError::Value(
            "expected an array of ragged elements".into(),
        )),
    }
}

fn pick<T: Clone>(a: &ArrayD<T>, rows: &[usize]) -> Result<ArrayD<T>, EvalError> {
    let n = a.shape().first().copied().unwrap_or(0);
    if a.ndim() == 0 || rows.iter().any(|&r| r >= n) {
        return Err(EvalError::Shape(format!(
            "a row is out of bounds for {n} rows"
        )));
    }
    Ok(a.select(Axis(0), rows))
}

/// Rows `rows` (along axis 0) of a dense value, with its mask.
pub fn take_dense_rows(v: &Value, rows: &[usize]) -> Result<Value, EvalError> {
    let (data, missing) = dense_parts(v)?;
    Ok(Value::Array {
        data: with_array!(data, x => Element::wrap(pick(x, rows)?)),
        missing: missing.map(|m| pick(m, rows)).transpose()?,
    })
}

/// Rows `a..b` (along axis 0) of a dense value, with its mask.
fn take_dense_range(v: &Value, a: usize, b: usize) -> Result<Value, EvalError> {
    let (data, missing) = dense_parts(v)?;
    let n = data.shape().first().copied().unwrap_or(0);
    if data.ndim() == 0 || a > b || b > n {
        return Err(EvalError::Shape(format!(
            "rows {a}..{b} are out of bounds for {n} rows"
        )));
    }
    let s = ndarray::Slice::from(a..b);
    Ok(Value::Array {
        data: with_array!(data, x => Element::wrap(x.slice_axis(Axis(0), s).to_owned())),
        missing: missing.map(|m| m.slice_axis(Axis(0), s).to_owned()),
    })
}

/// The slots `slots` of `r` (in that order), as a ragged value with
/// leading axes `lead` (whose product is `slots.len()`).
pub fn take_slots(r: &Ragged, slots: &[usize], lead: Vec<usize>) -> Result<Ragged, EvalError> {
    if checked_product(&lead)? != slots.len() {
        return Err(EvalError::Shape(format!(
            "{} rows cannot have the shape {lead:?}",
            slots.len()
        )));
    }
    let mut offsets = Vec::with_capacity(slots.len() + 1);
    offsets.push(0usize);
    let mut rows = Vec::new();
    for &s in slots {
        if s >= r.slots() {
            return Err(EvalError::Shape(format!(
                "row {s} is out of bounds for {} rows",
                r.slots()
            )));
        }
        let (a, b) = (r.offsets[s], r.offsets[s + 1]);
        rows.extend(a..b);
        let last = offsets.last().copied().unwrap_or(0);
        offsets.push(last + (b - a));
    }
    let child = match &r.child {
        Child::Dense(v) => Child::Dense(take_dense_rows(v, &rows)?),
        Child::List(inner) => Child::List(Box::new(take_slots(inner, &rows, vec![rows.len()])?)),
    };
    Ok(Ragged {
        lead,
        offsets,
        child,
    })
}

/// The leaf elements under child rows `a..b` of `r`, through every
/// ragged level (each level's offsets are contiguous from 0).
fn leaf_range(r: &Ragged, a: usize, b: usize) -> (usize, usize) {
    match &r.child {
        Child::Dense(_) => (a, b),
        Child::List(inner) => leaf_range(inner, inner.offsets[a], inner.offsets[b]),
    }
}

/// Values of shape `inner` stacked over `outer` (C order).
fn stack(
    outer: &[usize],
    parts: Vec<(Array, Option<ArrayD<bool>>)>,
    scalar: blaze_datashape::Scalar,
    inner: &[usize],
) -> Result<Value, EvalError> {
    let mut shape = outer.to_vec();
    shape.extend_from_slice(inner);
    let data = with_scalar!(scalar, T => {
        let mut flat: Vec<T> = Vec::new();
        for (p, _) in &parts {
            let x = T::get(p).ok_or_else(|| EvalError::Value("mixed types in a ragged reduction".into()))?;
            flat.extend(x.iter().cloned());
        }
        T::wrap(ArrayD::from_shape_vec(IxDyn(&shape), flat).map_err(|e| EvalError::Shape(e.to_string()))?)
    });
    let missing = if parts.iter().any(|(_, m)| m.is_some()) {
        let mut flat = Vec::new();
        for (p, m) in &parts {
            match m {
                Some(m) => flat.extend(m.iter().copied()),
                None => flat.extend(std::iter::repeat_n(false, p.len())),
            }
        }
        Some(
            ArrayD::from_shape_vec(IxDyn(&shape), flat)
                .map_err(|e| EvalError::Shape(e.to_string()))?,
        )
    } else {
        None
    };
    Ok(Value::Array { data, missing })
}

/// `f` over `axes` (`None`: all) of a ragged value whose full axes are
/// its leading axes, its ragged axes and its leaf's fixed axes. Over a
/// ragged axis (which needs every later ragged axis reduced too) each
/// group of rows is reduced with missing values skipped and empty groups
/// getting the empty values (`sum` 0, `min` missing, …); inside the rows,
/// the child is reduced and keeps the offsets.
pub fn reduce_ragged(
    r: &Ragged,
    f: ReduceFn,
    axes: Option<&[usize]>,
    keepdims: bool,
    over_options: bool,
) -> Result<Shaped, EvalError> {
    let l = r.lead.len();
    let leaf = r.leaf();
    let (data, _) = dense_parts(leaf)?;
    let inner = &data.shape()[1..];
    let depth = r.depth();
    let rank = l + depth + inner.len();
    let reduced = |a: usize| axes.is_none_or(|x| x.contains(&a));
    if let Some(bad) = axes.and_then(|x| x.iter().find(|&&a| a >= rank)) {
        return Err(EvalError::Value(format!(
            "axis {bad} is out of bounds for a ragged value of {rank} axes"
        )));
    }
    if !reduced(l) {
        if (0..l).any(reduced) {
            return Err(EvalError::Shape(format!(
                "reducing a leading axis of a ragged value needs its ragged axis {l} reduced too"
            )));
        }
        // Inside the rows: the child, with axes counted from its own.
        let child_axes: Option<Vec<usize>> = axes.map(|x| x.iter().map(|&a| a - l).collect());
        let child = match &r.child {
            Child::Dense(v) => {
                let (d, m) = dense_parts(v)?;
                let v = if over_options {
                    let (data, missing) = reduce_skipna(f, d, m, child_axes.as_deref(), keepdims)?;
                    Value::Array { data, missing }
                } else {
                    reduce(f, d, m, child_axes.as_deref(), keepdims)?.into()
                };
                Child::Dense(v)
            }
            Child::List(inner_r) => {
                match reduce_ragged(inner_r, f, child_axes.as_deref(), keepdims, over_options)? {
                    Shaped::Dense(v) => Child::Dense(v),
                    Shaped::Ragged(x) => Child::List(Box::new(x)),
                }
            }
        };
        return Ok(Shaped::Ragged(Ragged {
            lead: r.lead.clone(),
            offsets: r.offsets.clone(),
            child,
        }));
    }
    if (l + 1..l + depth).any(|a| !reduced(a)) {
        return Err(EvalError::Shape(format!(
            "reducing the ragged axis {l} needs the ragged axes after it reduced too"
        )));
    }
    // Over the ragged axis: group the slots by their kept leading axes.
    let kept_lead: Vec<usize> = (0..l).filter(|&a| !reduced(a)).collect();
    let out_lead: Vec<usize> = kept_lead.iter().map(|&a| r.lead[a]).collect();
    let groups = checked_product(&out_lead)?;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups];
    let mut idx = vec![0usize; l];
    for s in 0..r.slots() {
        // The slot's index, then its group's.
        let mut rem = s;
        for a in (0..l).rev() {
            idx[a] = rem % r.lead[a].max(1);
            rem /= r.lead[a].max(1);
        }
        let g = kept_lead
            .iter()
            .fold(0usize, |acc, &a| acc * r.lead[a] + idx[a]);
        members[g].push(s);
    }
    let leaf_axes: Vec<usize> = std::iter::once(0)
        .chain(
            (0..inner.len())
                .filter(|&j| reduced(l + depth + j))
                .map(|j| j + 1),
        )
        .collect();
    let kept_inner: Vec<usize> = (0..inner.len())
        .filter(|&j| !reduced(l + depth + j))
        .map(|j| inner[j])
        .collect();
    let result_scalar = f.result(data.scalar()).map_err(EvalError::Value)?;
    if kept_lead.len() == l && depth == 1 {
        if let Some(v) = padded(r, f, &leaf_axes, &kept_inner, keepdims)? {
            return Ok(Shaped::Dense(v));
        }
    }
    let mut parts = Vec::with_capacity(groups);
    for slots in &members {
        let ranges: Vec<(usize, usize)> = slots
            .iter()
            .map(|&s| leaf_range(r, r.offsets[s], r.offsets[s + 1]))
            .collect();
        // One run of rows (a row, or rows next to each other) is a slice.
        let contiguous = ranges.windows(2).all(|w| w[0].1 == w[1].0);
        let sub = match (contiguous, ranges.first(), ranges.last()) {
            (true, Some(&(a, _)), Some(&(_, b))) => take_dense_range(leaf, a, b)?,
            _ => {
                let rows: Vec<usize> = ranges.iter().flat_map(|&(a, b)| a..b).collect();
                take_dense_rows(leaf, &rows)?
            }
        };
        let (d, m) = dense_parts(&sub)?;
        let (out, om) = reduce_skipna(f, d, m, Some(&leaf_axes), false)?;
        parts.push((out, om));
    }
    let mut v = stack(&out_lead, parts, result_scalar, &kept_inner)?;
    if keepdims {
        let full: Vec<usize> = (0..l)
            .map(|a| if reduced(a) { 1 } else { r.lead[a] })
            .chain((0..depth).map(|_| 1))
            .chain((0..inner.len()).map(|j| if reduced(l + depth + j) { 1 } else { inner[j] }))
            .collect();
        v = reshape_value(v, &full)?;
    }
    Ok(Shaped::Dense(v))
}

/// A reduction over the ragged axis only (every leading axis kept, one
/// ragged level) in one call of the dense kernel: the rows laid out padded
/// to the longest, the padding masked as missing (skipped, as the missing
/// value rules skip). `None` when the padding would take more than about
/// four times the elements.
fn padded(
    r: &Ragged,
    f: ReduceFn,
    leaf_axes: &[usize],
    kept_inner: &[usize],
    keepdims: bool,
) -> Result<Option<Value>, EvalError> {
    let lens = r.row_lens();
    let longest = lens.iter().copied().max().unwrap_or(0);
    let cells = r.slots().checked_mul(longest);
    let total = r.child_len();
    if r.slots() == 0 || total == 0 || cells.is_none_or(|c| c > total.saturating_mul(4) + 1024) {
        return Ok(None);
    }
    let (data, _) = dense_parts(r.leaf())?;
    let mut rows = Vec::with_capacity(r.slots() * longest);
    let mut pad = Vec::with_capacity(r.slots() * longest);
    for (s, &n) in lens.iter().enumerate() {
        let start = r.offsets[s];
        rows.extend(start..start + n);
        pad.extend(std::iter::repeat_n(false, n));
        rows.extend(std::iter::repeat_n(0, longest - n));
        pad.extend(std::iter::repeat_n(true, longest - n));
    }
    let inner = &data.shape()[1..];
    let per: usize = checked_product(inner)?;
    let taken = take_dense_rows(r.leaf(), &rows)?;
    let (d, m) = dense_parts(&taken)?;
    let mut mask: Vec<bool> = match m {
        Some(m) => m.iter().copied().collect(),
        None => vec![false; d.len()],
    };
    for (k, &p) in pad.iter().enumerate() {
        if p {
            mask[k * per..(k + 1) * per]
                .iter_mut()
                .for_each(|b| *b = true);
        }
    }
    let shape: Vec<usize> = [r.slots(), longest]
        .into_iter()
        .chain(inner.iter().copied())
        .collect();
    let re = |e: ndarray::ShapeError| EvalError::Shape(e.to_string());
    let d = with_array!(d, x => Element::wrap(x.clone().into_shape_with_order(IxDyn(&shape)).map_err(re)?));
    let mask = ArrayD::from_shape_vec(IxDyn(&shape), mask).map_err(re)?;
    // The dense axes: 0 the slot, 1 the row, then the fixed inner ones.
    let axes: Vec<usize> = leaf_axes.iter().map(|&a| a + 1).collect();
    let (out, om) = reduce_skipna(f, &d, Some(&mask), Some(&axes), false)?;
    let mut v = Value::Array {
        data: out,
        missing: om,
    };
    let out_shape: Vec<usize> = r.lead.iter().chain(kept_inner).copied().collect();
    v = reshape_value(v, &out_shape)?;
    if keepdims {
        let full: Vec<usize> = r
            .lead
            .iter()
            .copied()
            .chain(std::iter::once(1))
            .chain((0..inner.len()).map(|j| {
                if leaf_axes.contains(&(j + 1)) {
                    1
                } else {
                    inner[j]
                }
            }))
            .collect();
        v = reshape_value(v, &full)?;
    }
    Ok(Some(v))
}

fn reshape_value(v: Value, shape: &[usize]) -> Result<Value, EvalError> {
    let Value::Array { data, missing } = v else {
        return Err(EvalError::Value("reshape of a non-array".into()));
    };
    let re = |e: ndarray::ShapeError| EvalError::Shape(e.to_string());
    Ok(Value::Array {
        data: with_array!(data, x => Element::wrap(
            x.as_standard_layout().into_owned().into_shape_with_order(IxDyn(shape)).map_err(re)?)),
        missing: missing
            .map(|m| {
                m.as_standard_layout()
                    .into_owned()
                    .into_shape_with_order(IxDyn(shape))
                    .map_err(re)
            })
            .transpose()?,
    })
}

/// The index tuple of slot `s` in `lead`, for messages.
fn slot_index(lead: &[usize], s: usize) -> String {
    let mut rem = s;
    let mut idx = vec![0usize; lead.len()];
    for a in (0..lead.len()).rev() {
        idx[a] = rem % lead[a].max(1);
        rem /= lead[a].max(1);
    }
    let v: Vec<String> = idx.iter().map(|i| i.to_string()).collect();
    v.join(", ")
}

/// Checks that `a` and `b` have the same rows at every ragged level; the
/// first row that differs is named.
fn same_rows(a: &Ragged, b: &Ragged) -> Result<(), EvalError> {
    if a.lead != b.lead {
        return Err(EvalError::Shape(format!(
            "ragged operands of shapes {:?} and {:?} before their ragged axis",
            a.lead, b.lead
        )));
    }
    for s in 0..a.slots() {
        let (x, y) = (a.row_len(s), b.row_len(s));
        if x != y {
            return Err(EvalError::Shape(format!(
                "ragged operands differ in length at row [{}]: {x} elements against {y}",
                slot_index(&a.lead, s)
            )));
        }
    }
    match (&a.child, &b.child) {
        (Child::List(x), Child::List(y)) => same_rows(x, y),
        (Child::Dense(_), Child::Dense(_)) => Ok(()),
        _ => Err(EvalError::Shape(
            "ragged operands with different numbers of ragged axes".into(),
        )),
    }
}

/// An operand of an elementwise operation over `reference`, as an array
/// that broadcasts against the reference's leaf elements: another ragged
/// value with the same rows gives its leaf; a dense value that does not
/// reach the ragged axis is used as it is; one that does (one ragged
/// level only) is repeated for the elements of each row (length 1 at the
/// ragged axis) or laid out along the rows (every row as long as its
/// length there).
pub fn align(operand: &Shaped, reference: &Ragged) -> Result<Value, EvalError> {
    let o = match operand {
        Shaped::Ragged(x) => {
            same_rows(reference, x)?;
            return Ok(x.leaf().clone());
        }
        Shaped::Dense(v) => v,
    };
    let (data, missing) = dense_parts(o)?;
    let (leaf_data, _) = dense_parts(reference.leaf())?;
    let inner_rank = leaf_data.ndim().saturating_sub(1);
    let k = data.ndim();
    if k <= inner_rank {
        return Ok(o.clone());
    }
    if reference.depth() != 1 {
        return Err(EvalError::Shape(format!(
            "an array of shape {:?} reaches the ragged axes of a value with {} of them; \
             only scalars and fixed trailing axes broadcast against them",
            data.shape(),
            reference.depth()
        )));
    }
    let l = reference.lead.len();
    // The operand's axis that meets the ragged one.
    let at = k - 1 - inner_rank;
    let dv = data.shape()[at];
    let lead_part = &data.shape()[..at];
    if lead_part.len() > l {
        return Err(EvalError::Shape(format!(
            "an array of shape {:?} has more axes than the ragged value it meets",
            data.shape()
        )));
    }
    let op_inner = data.shape()[at + 1..].to_vec();
    let slots = reference.slots();
    let lens = reference.row_lens();
    let mut full = reference.lead.clone();
    if dv == 1 {
        let squeezed = reshape_value(
            o.clone(),
            &lead_part
                .iter()
                .chain(&op_inner)
                .copied()
                .collect::<Vec<_>>(),
        )?;
        full.extend(&op_inner);
        let (d, m) = dense_parts(&squeezed)?;
        let b = Value::Array {
            data: broadcast_to(d, &full)?,
            missing: m
                .map(|m| crate::kernels::broadcast_mask(m, &full))
                .transpose()?,
        };
        let per_slot = reshape_value(
            b,
            &std::iter::once(slots)
                .chain(op_inner.iter().copied())
                .collect::<Vec<_>>(),
        )?;
        let rows: Vec<usize> = lens
            .iter()
            .enumerate()
            .flat_map(|(s, &n)| std::iter::repeat_n(s, n))
            .collect();
        return take_dense_rows(&per_slot, &rows);
    }
    if let Some(s) = lens.iter().position(|&n| n != dv) {
        return Err(EvalError::Shape(format!(
            "row [{}] has {} elements where the other operand has {dv}",
            slot_index(&reference.lead, s),
            lens[s]
        )));
    }
    full.push(dv);
    full.extend(&op_inner);
    let b = Value::Array {
        data: broadcast_to(data, &full)?,
        missing: missing
            .map(|m| crate::kernels::broadcast_mask(m, &full))
            .transpose()?,
    };
    let total = checked_product(&full[..l + 1])?;
    reshape_value(
        b,
        &std::iter::once(total)
            .chain(op_inner.iter().copied())
            .collect::<Vec<_>>(),
    )
}

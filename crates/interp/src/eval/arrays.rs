//! Array helpers of the evaluator: literals, masks, indexing, transposes,
//! reshapes, joins, the Levi-Civita symbol, and assembling the values of a
//! comprehension into one array. No evaluation order here.

use blaze_datashape::Scalar;
use blaze_ir::{slice_bounds, IndexItem, Literal};
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use num_complex::Complex64;

use crate::element::Element;
use crate::kernels;
use crate::value::{Array, Value};
use crate::{with_scalar, EvalError};

pub(super) fn arr(v: &Value) -> Result<(&Array, Option<&ArrayD<bool>>), EvalError> {
    match v {
        Value::Array { data, missing } => Ok((data, missing.as_ref())),
        Value::Record(_) => Err(EvalError::Value("expected an array, found a record".into())),
        Value::Tuple(_) => Err(EvalError::Value("expected an array, found a tuple".into())),
        Value::Column(c) => Err(EvalError::Value(format!(
            "expected an array of numbers, found a column of {}",
            c.array.data_type()
        ))),
    }
}

/// An array of `shape` filled with the literal, converted to `s`.
pub(super) fn literal_array(s: Scalar, l: &Literal, shape: &[usize]) -> Array {
    let base = match l {
        Literal::Bool(b) => Array::Bool(ArrayD::from_elem(IxDyn(shape), *b)),
        Literal::Int(i) => Array::Int64(ArrayD::from_elem(IxDyn(shape), *i as i64)),
        Literal::Float(x) => Array::Float64(ArrayD::from_elem(IxDyn(shape), *x)),
        Literal::Complex(r, i) => {
            Array::Complex128(ArrayD::from_elem(IxDyn(shape), Complex64::new(*r, *i)))
        }
        // A string literal is a column; the evaluator makes it before here.
        Literal::Str(_) => Array::Bool(ArrayD::from_elem(IxDyn(shape), false)),
    };
    if base.scalar() == s {
        base
    } else {
        kernels::cast(&base, s)
    }
}

/// The union of masks, broadcast to `shape`.
pub(super) fn union_masks(
    shape: &[usize],
    masks: &[Option<&ArrayD<bool>>],
) -> Result<Option<ArrayD<bool>>, EvalError> {
    let mut out: Option<ArrayD<bool>> = None;
    for m in masks.iter().flatten() {
        let b = kernels::broadcast_mask(m, shape)?;
        out = Some(match out {
            None => b,
            Some(o) => ndarray::Zip::from(&o).and(&b).map_collect(|x, y| *x || *y),
        });
    }
    Ok(out)
}

pub(super) fn generic_index<T: Clone>(
    a: &ArrayD<T>,
    items: &[IndexItem],
) -> Result<ArrayD<T>, EvalError> {
    let mut view = a.view();
    for (axis, item) in items.iter().enumerate().rev() {
        let n = view.shape()[axis] as i64;
        match item {
            IndexItem::At(i) => {
                let k = if *i < 0 { i + n } else { *i };
                if k < 0 || k >= n {
                    return Err(EvalError::Shape(format!(
                        "index {i} is out of bounds for axis {axis} with size {n}"
                    )));
                }
                view = view.index_axis_move(Axis(axis), k as usize);
            }
            IndexItem::Range { start, stop, step } => {
                let (first, stop) = slice_bounds(n, *start, *stop, *step);
                let s = if *step > 0 {
                    Slice::new(
                        first as isize,
                        Some(stop.max(first) as isize),
                        *step as isize,
                    )
                } else if first > stop {
                    Slice::new(
                        (stop + 1) as isize,
                        Some((first + 1) as isize),
                        *step as isize,
                    )
                } else {
                    Slice::new(0, Some(0), 1)
                };
                view.slice_axis_inplace(Axis(axis), s);
            }
        }
    }
    Ok(view.to_owned())
}

pub(super) fn generic_transpose<T: Clone>(a: &ArrayD<T>, perm: &[usize]) -> ArrayD<T> {
    a.view()
        .permuted_axes(IxDyn(perm))
        .as_standard_layout()
        .into_owned()
}

pub(super) fn generic_reshape<T: Clone>(
    a: &ArrayD<T>,
    shape: &[usize],
) -> Result<ArrayD<T>, EvalError> {
    a.as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(shape))
        .map_err(|e| {
            EvalError::Shape(format!(
                "cannot reshape {:?} into {shape:?}: {e}",
                a.shape()
            ))
        })
}

pub(super) fn resolve_shape(from: &[usize], shape: &[i64]) -> Result<Vec<usize>, EvalError> {
    let total: usize = from.iter().product();
    let known: usize = shape
        .iter()
        .filter(|&&d| d >= 0)
        .map(|&d| d as usize)
        .product();
    let mut out = Vec::with_capacity(shape.len());
    for &d in shape {
        out.push(if d >= 0 {
            d as usize
        } else if known > 0 && total % known == 0 {
            total / known
        } else {
            return Err(EvalError::Shape(format!(
                "cannot reshape an array of shape {from:?} into {shape:?}"
            )));
        });
    }
    if out.iter().product::<usize>() != total {
        return Err(EvalError::Shape(format!(
            "cannot reshape an array of shape {from:?} ({total} elements) into {shape:?}"
        )));
    }
    Ok(out)
}

pub(super) fn generic_join<T: Element>(
    arrays: &[Array],
    axis: usize,
    stack: bool,
) -> Result<Array, EvalError> {
    let views: Vec<_> = arrays
        .iter()
        .map(|a| {
            T::get(a)
                .map(|x| x.view())
                .ok_or_else(|| EvalError::Value("mixed element types in concat".into()))
        })
        .collect::<Result<_, _>>()?;
    let r = if stack {
        ndarray::stack(Axis(axis), &views)
    } else {
        ndarray::concatenate(Axis(axis), &views)
    };
    r.map(T::wrap).map_err(|e| {
        let shapes: Vec<Vec<usize>> = arrays.iter().map(|a| a.shape().to_vec()).collect();
        EvalError::Shape(format!(
            "cannot {} arrays of shapes {shapes:?} along axis {axis}: {e}",
            if stack { "stack" } else { "concatenate" }
        ))
    })
}

pub(super) fn levi_civita(idx: &[usize]) -> i64 {
    let mut sign = 1;
    for i in 0..idx.len() {
        for j in i + 1..idx.len() {
            if idx[i] == idx[j] {
                return 0;
            }
            if idx[i] > idx[j] {
                sign = -sign;
            }
        }
    }
    sign
}

/// Builds one array of `outer ++ inner` from values of shape `inner`,
/// given in C order over `outer`.
pub(super) fn assemble(
    outer: &[usize],
    values: Vec<Value>,
    scalar: Scalar,
) -> Result<Value, EvalError> {
    let mut parts: Vec<Array> = Vec::with_capacity(values.len());
    let mut masks: Vec<Option<ArrayD<bool>>> = Vec::with_capacity(values.len());
    for v in values {
        let (a, m) = arr(&v)?;
        parts.push(if a.scalar() == scalar {
            a.clone()
        } else {
            kernels::cast(a, scalar)
        });
        masks.push(m.cloned());
    }
    let inner: Vec<usize> = parts.first().map_or(vec![], |p| p.shape().to_vec());
    let mut shape = outer.to_vec();
    shape.extend(&inner);
    let data = with_scalar!(scalar, T => {
        let mut flat: Vec<T> = Vec::with_capacity(shape.iter().product());
        for p in &parts {
            let x = T::get(p).ok_or_else(|| EvalError::Value("mixed types in a comprehension".into()))?;
            if x.shape() != inner.as_slice() {
                return Err(EvalError::Shape(format!("comprehension body values of shapes {:?} and {:?}", inner, x.shape())));
            }
            flat.extend(x.iter().cloned());
        }
        T::wrap(ArrayD::from_shape_vec(IxDyn(&shape), flat).map_err(|e| EvalError::Shape(e.to_string()))?)
    });
    let missing = if masks.iter().any(Option::is_some) {
        let mut flat = Vec::with_capacity(shape.iter().product());
        for (m, p) in masks.iter().zip(&parts) {
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

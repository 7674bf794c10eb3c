//! Reductions over axes with NumPy semantics (`sum`, `prod`, `mean`,
//! `var`, `std`, `min`, `max`, `argmin`, `argmax`, `any`, `all`, `count`),
//! skipping missing elements.

use std::ops::Add;

use blaze_datashape::Scalar;
use blaze_ir::ops::{float_of, ReduceFn};
use ndarray::{ArrayD, IxDyn};
use num_complex::{Complex32, Complex64};
use num_traits::{Float, One, Zero};

use super::broadcast::broadcast_mask;
use super::cast::{cast, truth};
use super::scalar_ops::Ops;
use crate::element::{Element, Inexact, Real};
use crate::{with_array, Array, EvalError};

/// Pairwise summation of `xs` (blocks of at most 8 summed left to right,
/// starting from the first element), 0 when empty.
fn pairwise<T: Copy + Add<Output = T> + Zero>(xs: &[T]) -> T {
    if xs.len() <= 8 {
        match xs.split_first() {
            None => T::zero(),
            Some((&first, rest)) => rest.iter().fold(first, |s, &v| s + v),
        }
    } else {
        let (l, r) = xs.split_at(xs.len() / 2);
        pairwise(l) + pairwise(r)
    }
}

/// The types sums and products accumulate in.
trait Acc: Element {
    /// The sum (0 when empty).
    fn sum(xs: &[Self]) -> Self;
    /// The product (1 when empty).
    fn prod(xs: &[Self]) -> Self;
}

macro_rules! wrapping_acc {
    ($($t:ty),*) => {$(
        impl Acc for $t {
            fn sum(xs: &[Self]) -> Self {
                xs.iter().fold(0, |s, &v| s.wrapping_add(v))
            }
            fn prod(xs: &[Self]) -> Self {
                xs.iter().fold(1, |s, &v| s.wrapping_mul(v))
            }
        }
    )*};
}
wrapping_acc!(i64, u64);

macro_rules! float_acc {
    ($($t:ty),*) => {$(
        impl Acc for $t {
            fn sum(xs: &[Self]) -> Self {
                pairwise(xs)
            }
            fn prod(xs: &[Self]) -> Self {
                match xs.split_first() {
                    None => <$t>::one(),
                    Some((&first, rest)) => rest.iter().fold(first, |s, &v| s * v),
                }
            }
        }
    )*};
}
float_acc!(f32, f64, Complex32, Complex64);

/// How a reduction splits its operand: the reduced axes (sorted), the
/// broadcast mask, and the result's shape.
struct Grouping {
    axes: Vec<usize>,
    mask: Option<ArrayD<bool>>,
    out_shape: Vec<usize>,
}

/// The groups of elements reduced together, in the C order of the result;
/// each holds the (index in the C order of the reduced axes, value) pairs of
/// its elements that are not missing.
fn groups<T: Copy>(a: &ArrayD<T>, plan: &Grouping) -> Vec<Vec<(usize, T)>> {
    let shape = a.shape();
    let kept: Vec<usize> = (0..a.ndim()).filter(|i| !plan.axes.contains(i)).collect();
    let perm: Vec<usize> = kept.iter().chain(plan.axes.iter()).copied().collect();
    let n_red: usize = plan.axes.iter().map(|&i| shape[i]).product();
    let n_groups: usize = kept.iter().map(|&i| shape[i]).product();
    if n_red == 0 {
        return vec![Vec::new(); n_groups];
    }
    let vals: Vec<T> = a
        .view()
        .permuted_axes(IxDyn(&perm))
        .iter()
        .copied()
        .collect();
    let miss: Vec<bool> = match &plan.mask {
        Some(m) => m
            .view()
            .permuted_axes(IxDyn(&perm))
            .iter()
            .copied()
            .collect(),
        None => vec![false; vals.len()],
    };
    vals.chunks(n_red)
        .zip(miss.chunks(n_red))
        .map(|(vs, ms)| {
            vs.iter()
                .zip(ms)
                .enumerate()
                .filter(|(_, (_, &m))| !m)
                .map(|(j, (&v, _))| (j, v))
                .collect()
        })
        .collect()
}

/// `g(group)` for every group, shaped as the result.
fn reduce_groups<T: Copy, R>(
    a: &ArrayD<T>,
    plan: &Grouping,
    g: impl Fn(&[(usize, T)]) -> Result<R, EvalError>,
) -> Result<ArrayD<R>, EvalError> {
    let vals = groups(a, plan)
        .iter()
        .map(|grp| g(grp))
        .collect::<Result<Vec<R>, EvalError>>()?;
    ArrayD::from_shape_vec(IxDyn(&plan.out_shape), vals)
        .map_err(|e| EvalError::Shape(format!("reduction result: {e}")))
}

fn values<T: Copy>(g: &[(usize, T)]) -> Vec<T> {
    g.iter().map(|&(_, v)| v).collect()
}

/// The (index, value) of the minimum (or maximum) of a group: the first
/// occurrence; the first NaN if there is one; `None` when empty.
fn arg_extreme<T: Ops>(g: &[(usize, T)], max: bool) -> Option<(usize, T)> {
    let mut best: Option<(usize, T)> = None;
    for &(i, v) in g {
        match best {
            None => best = Some((i, v)),
            Some((_, b)) => {
                if b.isnan() {
                    break;
                }
                let better = if max { T::lt(b, v) } else { T::lt(v, b) };
                if v.isnan() || better {
                    best = Some((i, v));
                }
            }
        }
    }
    best
}

fn sum_prod<T: Acc>(f: ReduceFn, a: &ArrayD<T>, plan: &Grouping) -> Result<Array, EvalError> {
    let out = reduce_groups(a, plan, |g| {
        let vs = values(g);
        Ok(if f == ReduceFn::Prod {
            T::prod(&vs)
        } else {
            T::sum(&vs)
        })
    })?;
    Ok(T::wrap(out))
}

fn moments<T>(f: ReduceFn, a: &ArrayD<T>, plan: &Grouping) -> Result<Array, EvalError>
where
    T: Acc + Inexact,
    T::Real: Acc,
{
    let mean = |vs: &[T]| T::sum(vs) / <T::Real as Real>::from_usize(vs.len());
    if f == ReduceFn::Mean {
        return Ok(T::wrap(reduce_groups(a, plan, |g| Ok(mean(&values(g))))?));
    }
    let out = reduce_groups(a, plan, |g| {
        let vs = values(g);
        let m = mean(&vs);
        let dev: Vec<T::Real> = vs.iter().map(|&v| (v - m).abs2()).collect();
        let var = T::Real::sum(&dev) / <T::Real as Real>::from_usize(vs.len());
        Ok(if f == ReduceFn::Std { var.sqrt() } else { var })
    })?;
    Ok(T::Real::wrap(out))
}

fn extremes<T: Ops>(f: ReduceFn, a: &ArrayD<T>, plan: &Grouping) -> Result<Array, EvalError> {
    let max = matches!(f, ReduceFn::Max | ReduceFn::ArgMax);
    let arg = matches!(f, ReduceFn::ArgMin | ReduceFn::ArgMax);
    if arg {
        let out = reduce_groups(a, plan, |g| match arg_extreme(g, max) {
            Some((i, _)) => Ok(i as i64),
            None => Err(EvalError::Value(format!(
                "attempt to get {} of an empty sequence",
                f.name()
            ))),
        })?;
        Ok(Array::Int64(out))
    } else {
        let out = reduce_groups(a, plan, |g| match arg_extreme(g, max) {
            Some((_, v)) => Ok(v),
            None => Err(EvalError::Value(format!(
                "zero-size array to reduction operation {} which has no identity",
                f.name()
            ))),
        })?;
        Ok(T::wrap(out))
    }
}

/// A reduction of `x` over `axes` (all axes when `None`), with NumPy
/// semantics; elements where `missing` is true are skipped (like NumPy's
/// `nan*` functions). `missing` is broadcast to `x`'s shape.
///
/// `axes` must be in range and unique (an error otherwise); `keepdims`
/// keeps the reduced axes with length 1. The result has scalar type
/// `f.result(x.scalar())`:
///
/// * `sum`/`prod` accumulate in the result type (wrapping int64/uint64 for
///   integers and bool; float16 in float32); float sums are pairwise;
///   empty sum 0, empty product 1.
/// * `min`/`max` propagate NaN; empty (or all missing) is an error.
/// * `mean` is sum/count in the float type (float16 through float32);
///   empty is NaN.
/// * `var`/`std` are the population variance and standard deviation
///   (ddof 0), computed in two passes (mean first); complex variance is the
///   real `mean(|x - mean|^2)`; empty is NaN.
/// * `any`/`all` use truthiness (empty: false/true).
/// * `argmin`/`argmax` need `axes` `None` (the index in the flattened C
///   order) or exactly one axis; first occurrence wins; a NaN wins (the
///   first NaN); empty is an error.
/// * `count` is the number of elements that are not missing (int64).
pub fn reduce(
    f: ReduceFn,
    x: &Array,
    missing: Option<&ArrayD<bool>>,
    axes: Option<&[usize]>,
    keepdims: bool,
) -> Result<Array, EvalError> {
    use ReduceFn::*;
    let t = x.scalar();
    let r = f.result(t).map_err(EvalError::Value)?;
    let nd = x.ndim();
    let mut ax: Vec<usize> = match axes {
        None => (0..nd).collect(),
        Some(list) => {
            for (k, &a) in list.iter().enumerate() {
                if a >= nd {
                    return Err(EvalError::Value(format!(
                        "axis {a} is out of bounds for array of dimension {nd}"
                    )));
                }
                if list[..k].contains(&a) {
                    return Err(EvalError::Value(format!("duplicate value in axes: {a}")));
                }
            }
            list.to_vec()
        }
    };
    ax.sort_unstable();
    if matches!(f, ArgMin | ArgMax) && axes.is_some_and(|l| l.len() != 1) {
        return Err(EvalError::Value(format!(
            "`{}` reduces over one axis or the whole flattened array",
            f.name()
        )));
    }
    // As NumPy: a reduction without identity over a zero-length axis fails,
    // even when the result itself is empty.
    if matches!(f, Min | Max | ArgMin | ArgMax) && ax.iter().any(|&a| x.shape()[a] == 0) {
        return Err(EvalError::Value(match f {
            ArgMin | ArgMax => format!("attempt to get {} of an empty sequence", f.name()),
            _ => format!(
                "zero-size array to reduction operation {} which has no identity",
                f.name()
            ),
        }));
    }
    let mask = missing.map(|m| broadcast_mask(m, x.shape())).transpose()?;
    let out_shape: Vec<usize> = x
        .shape()
        .iter()
        .enumerate()
        .filter_map(|(i, &d)| match (ax.contains(&i), keepdims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    let plan = Grouping {
        axes: ax,
        mask,
        out_shape,
    };
    let wrong = |y: &Array| {
        Err(EvalError::Value(format!(
            "`{}` cannot accumulate in {}",
            f.name(),
            y.scalar().name()
        )))
    };
    match f {
        Count => Ok(Array::Int64(
            with_array!(x, a => reduce_groups(a, &plan, |g| Ok(g.len() as i64))?),
        )),
        Any | All => {
            let tx = truth(x);
            let out = reduce_groups(&tx, &plan, |g| {
                Ok(if f == Any {
                    g.iter().any(|&(_, v)| v)
                } else {
                    g.iter().all(|&(_, v)| v)
                })
            })?;
            Ok(Array::Bool(out))
        }
        Sum | Prod => {
            let work = if t == Scalar::Float16 {
                Scalar::Float32
            } else {
                r
            };
            let y = cast(x, work);
            let out = match &y {
                Array::Int64(a) => sum_prod(f, a, &plan)?,
                Array::UInt64(a) => sum_prod(f, a, &plan)?,
                Array::Float32(a) => sum_prod(f, a, &plan)?,
                Array::Float64(a) => sum_prod(f, a, &plan)?,
                Array::Complex64(a) => sum_prod(f, a, &plan)?,
                Array::Complex128(a) => sum_prod(f, a, &plan)?,
                other => return wrong(other),
            };
            Ok(cast(&out, r))
        }
        Mean | Var | Std => {
            let work = if t == Scalar::Float16 {
                Scalar::Float32
            } else {
                float_of(t)
            };
            let y = cast(x, work);
            let out = match &y {
                Array::Float32(a) => moments(f, a, &plan)?,
                Array::Float64(a) => moments(f, a, &plan)?,
                Array::Complex64(a) => moments(f, a, &plan)?,
                Array::Complex128(a) => moments(f, a, &plan)?,
                other => return wrong(other),
            };
            Ok(cast(&out, r))
        }
        Min | Max | ArgMin | ArgMax => match x {
            Array::Complex64(_) | Array::Complex128(_) => wrong(x),
            _ => with_array!(x, a => extremes(f, a, &plan)),
        },
    }
}

/// A reduction of an option operand with pandas' semantics: elements where
/// `missing` is true are skipped, and where a group has no value left (all
/// missing, or a reduced axis of length 0) the result is missing for the
/// reductions whose value of no values is missing
/// ([`ReduceFn::can_be_missing`]: `mean`, `var`, `std`, `min`, `max`,
/// `argmin`, `argmax`), and the empty value for the others (`sum` 0,
/// `prod` 1, `count` 0, `any` false, `all` true). Returns the values and,
/// for the reductions that can be missing, the result's missing mask (the
/// values under it are unspecified). Arguments and errors otherwise as
/// [`reduce`].
pub fn reduce_skipna(
    f: ReduceFn,
    x: &Array,
    missing: Option<&ArrayD<bool>>,
    axes: Option<&[usize]>,
    keepdims: bool,
) -> Result<(Array, Option<ArrayD<bool>>), EvalError> {
    if !f.can_be_missing() {
        return Ok((reduce(f, x, missing, axes, keepdims)?, None));
    }
    let r = f.result(x.scalar()).map_err(EvalError::Value)?;
    let nd = x.ndim();
    let reduced = |i: usize| axes.is_none_or(|l| l.contains(&i));
    if (0..nd).any(|i| reduced(i) && x.shape()[i] == 0) {
        // No group has a value: every result element is missing.
        let out_shape: Vec<usize> = (0..nd)
            .filter_map(|i| match (reduced(i), keepdims) {
                (false, _) => Some(x.shape()[i]),
                (true, true) => Some(1),
                (true, false) => None,
            })
            .collect();
        let mask = ArrayD::from_elem(IxDyn(&out_shape), true);
        return Ok((Array::zeros(r, &out_shape), Some(mask)));
    }
    let counts = |keep: bool| -> Result<ArrayD<bool>, EvalError> {
        match reduce(ReduceFn::Count, x, missing, axes, keep)? {
            Array::Int64(c) => Ok(c.mapv(|n| n == 0)),
            other => Err(EvalError::Value(format!(
                "`count` gave {} instead of int64",
                other.scalar().name()
            ))),
        }
    };
    let empty = counts(keepdims)?;
    // In the groups with no value every element is taken (its value is
    // unspecified), so the reduction has something to reduce; those
    // results are then masked.
    let taken = match missing {
        Some(m) => {
            let m = broadcast_mask(m, x.shape())?;
            let empty_here = broadcast_mask(&counts(true)?, x.shape())?;
            ndarray::Zip::from(&m)
                .and(&empty_here)
                .map_collect(|&m, &e| m && !e)
        }
        None => ArrayD::from_elem(IxDyn(x.shape()), false),
    };
    let data = reduce(f, x, Some(&taken), axes, keepdims)?;
    Ok((data, Some(empty)))
}

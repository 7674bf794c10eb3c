//! Operations on strings and decimals, which are [`Column`]s: string
//! literals, decimal literals, `na` of a string or decimal type,
//! elementwise operations (broadcast over the columns' leading shapes,
//! missing values propagated), `where` and `fillna`, casts to and from
//! decimals, `sum`/`min`/`max` of decimals and `min`/`max` of strings. The element rules are in
//! `kernels::strings` and `kernels::decimal`.

use std::sync::Arc;

use arrow_array::{Array as _, ArrayRef, StringArray};
use arrow_schema::DataType;
use blaze_array::schema;
use blaze_datashape::{Datashape, Dim, Measure, Scalar, ScalarKind};
use blaze_ir::ops::{BinaryFn, ReduceFn, UnaryFn};
use blaze_ir::{Function, Literal, NodeId, Op};
use ndarray::{ArrayD, IxDyn};

use crate::kernels::decimal as dec;
use crate::kernels::strings::{self as strs, Mapped};
use crate::kernels::{self, broadcast_shapes};
use crate::value::{Array, Value};
use crate::{Column, EvalError};

/// The elements of one operand, flat in C order over `shape`.
enum Cells<'a> {
    Str(Vec<Option<&'a str>>),
    /// Values, precision, scale.
    Dec(Vec<Option<i128>>, u32, u32),
}

fn is_cells_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::FixedSizeBinary(_)
            | DataType::Decimal128(..)
    )
}

fn cells(c: &Column) -> Result<Cells<'_>, EvalError> {
    match c.array.data_type() {
        DataType::Decimal128(..) => {
            let (v, p, s) = dec::decimals(c.array.as_ref())?;
            Ok(Cells::Dec(v, p, s))
        }
        _ => Ok(Cells::Str(strs::texts(c.array.as_ref())?)),
    }
}

fn column(v: &Value) -> Result<&Column, EvalError> {
    match v {
        Value::Column(c) => Ok(c),
        _ => Err(EvalError::Value(
            "expected a column of strings or decimals".into(),
        )),
    }
}

/// The measure of `ty` without its option, and whether it is one.
pub(super) fn plain(ty: &Datashape) -> (&Measure, bool) {
    match &ty.measure {
        Measure::Option { inner } => (inner, true),
        m => (m, false),
    }
}

fn decimal_type(ty: &Datashape) -> Result<(u32, u32), EvalError> {
    match plain(ty).0 {
        Measure::Decimal { precision, scale } => Ok((*precision, *scale)),
        _ => Err(EvalError::Value(format!("`{ty}` is not a decimal type"))),
    }
}

/// For each element of `to` (C order), the flat index of the element of
/// `from` that broadcasts to it (`from` aligned to the right).
pub(super) fn index_map(from: &[usize], to: &[usize]) -> Vec<usize> {
    let n = to.len();
    let off = n.saturating_sub(from.len());
    let mut strides = vec![0usize; n];
    let mut acc = 1usize;
    for (k, &d) in from.iter().enumerate().rev() {
        if let Some(s) = strides.get_mut(off + k) {
            *s = if d == 1 { 0 } else { acc };
        }
        acc = acc.saturating_mul(d);
    }
    let total: usize = to.iter().product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0usize; n];
    for _ in 0..total {
        out.push(idx.iter().zip(&strides).map(|(i, s)| i * s).sum());
        for k in (0..n).rev() {
            idx[k] += 1;
            if idx[k] < to[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

pub(super) fn bool_value(
    shape: &[usize],
    values: Vec<bool>,
    missing: Option<Vec<bool>>,
) -> Result<Value, EvalError> {
    let arr = |v: Vec<bool>| {
        ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| EvalError::Shape(e.to_string()))
    };
    Ok(Value::Array {
        data: Array::Bool(arr(values)?),
        missing: missing.map(arr).transpose()?,
    })
}

pub(super) fn new_column(shape: &[usize], array: ArrayRef) -> Result<Value, EvalError> {
    Column::new(shape.to_vec(), array).map(Value::Column)
}

/// Node `id` of `f` applied to `args` when it is an operation on strings
/// or decimals; `None` when it is not, for the other rules.
pub(super) fn apply(f: &Function, id: NodeId, args: &[Value]) -> Option<Result<Value, EvalError>> {
    let node = f.node(id);
    let columnar = |v: &Value| matches!(v, Value::Column(c) if is_cells_type(c.array.data_type()));
    let any_column = args.iter().any(columnar);
    let (m, _) = plain(&node.ty);
    Some(match &node.op {
        Op::Literal(Literal::Str(s)) => {
            new_column(&[], Arc::new(StringArray::from(vec![s.as_str()])))
        }
        Op::Literal(Literal::Int(v)) if matches!(m, Measure::Decimal { .. }) => {
            literal_decimal(*v, &node.ty)
        }
        Op::Na if schema::is_columnar_measure(m) => na_column(&node.ty),
        Op::ToDecimal { precision, scale } => to_decimal(&args[0], *precision, *scale),
        Op::Unary(u) if any_column => unary(*u, &args[0], &node.ty),
        Op::Binary(b) if any_column => binary(*b, &args[0], &args[1], &node.ty),
        Op::Where if any_column => where_(&args[0], &args[1], &args[2]),
        Op::FillNa if any_column => fillna(&args[0], &args[1]),
        Op::Cast(t) if any_column => cast(&args[0], *t),
        Op::Reduce { f, axes, keepdims } if any_column => {
            reduce(*f, &args[0], axes.as_deref(), *keepdims, &node.ty)
        }
        _ => return None,
    })
}

fn literal_decimal(v: i128, ty: &Datashape) -> Result<Value, EvalError> {
    let (p, s) = decimal_type(ty)?;
    let d = dec::from_int(v, p, s)?;
    new_column(&[], dec::decimal_array(vec![Some(d)], p, s)?)
}

fn na_column(ty: &Datashape) -> Result<Value, EvalError> {
    let mut shape = Vec::new();
    for d in &ty.dims {
        match d {
            Dim::Fixed(n) => shape.push(
                usize::try_from(*n)
                    .map_err(|_| EvalError::Shape(format!("`{ty}` is too large")))?,
            ),
            _ => {
                return Err(EvalError::Shape(format!(
                    "`na` of `{ty}` needs fixed dimensions"
                )))
            }
        }
    }
    let (t, _) = schema::arrow_type(&[], &ty.measure)
        .map_err(|e| EvalError::Value(format!("`{ty}`: {e}")))?;
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| EvalError::Shape(format!("`{ty}` is too large")))?;
    new_column(&shape, arrow_array::new_null_array(&t, n))
}

fn unary(f: UnaryFn, x: &Value, ty: &Datashape) -> Result<Value, EvalError> {
    let c = column(x)?;
    let shape = &c.shape;
    if f == UnaryFn::IsNa {
        let nulls = (0..c.len()).map(|i| c.array.is_null(i)).collect();
        return bool_value(shape, nulls, None);
    }
    match cells(c)? {
        Cells::Str(v) if f == UnaryFn::Len => {
            let mut lens = Vec::with_capacity(v.len());
            for s in &v {
                lens.push(match s.map(|s| strs::unary(f, s)).transpose()? {
                    Some(Mapped::Len(n)) => n,
                    _ => 0,
                });
            }
            let data = ArrayD::from_shape_vec(IxDyn(shape), lens)
                .map_err(|e| EvalError::Shape(e.to_string()))?;
            let missing = plain(ty)
                .1
                .then(|| v.iter().map(Option::is_none).collect::<Vec<_>>());
            let missing = missing
                .map(|m| ArrayD::from_shape_vec(IxDyn(shape), m))
                .transpose()
                .map_err(|e| EvalError::Shape(e.to_string()))?;
            Ok(Value::Array {
                data: Array::Int64(data),
                missing,
            })
        }
        Cells::Str(v) => {
            let mut out = Vec::with_capacity(v.len());
            for s in v {
                out.push(match s.map(|s| strs::unary(f, s)).transpose()? {
                    Some(Mapped::Text(t)) => Some(t),
                    Some(Mapped::Len(_)) | None => None,
                });
            }
            new_column(shape, strs::string_array(out))
        }
        Cells::Dec(v, p, s) => {
            let out = v
                .into_iter()
                .map(|d| {
                    d.map(|d| {
                        match f {
                            UnaryFn::Neg => d.checked_neg(),
                            UnaryFn::Abs => d.checked_abs(),
                            UnaryFn::Pos => Some(d),
                            _ => None,
                        }
                        .ok_or_else(|| {
                            EvalError::Value(format!(
                                "`{}` of the decimal {} has no decimal result",
                                f.name(),
                                dec::text(d, s)
                            ))
                        })
                    })
                    .transpose()
                })
                .collect::<Result<Vec<_>, _>>()?;
            new_column(shape, dec::decimal_array(out, p, s)?)
        }
    }
}

fn binary(f: BinaryFn, a: &Value, b: &Value, ty: &Datashape) -> Result<Value, EvalError> {
    let (ca, cb) = (column(a)?, column(b)?);
    let shape = broadcast_shapes(&ca.shape, &cb.shape)?;
    let (ia, ib) = (index_map(&ca.shape, &shape), index_map(&cb.shape, &shape));
    let opt = plain(ty).1;
    let pairs = ia.iter().zip(&ib);
    match (cells(ca)?, cells(cb)?) {
        (Cells::Str(x), Cells::Str(y)) => {
            fn get<'a>(v: &[Option<&'a str>], i: usize) -> Option<&'a str> {
                v.get(i).copied().flatten()
            }
            if f == BinaryFn::Add {
                let out = pairs
                    .map(|(&i, &j)| Some(format!("{}{}", get(&x, i)?, get(&y, j)?)))
                    .collect();
                return new_column(&shape, strs::string_array(out));
            }
            let mut vals = Vec::with_capacity(ia.len());
            let mut miss = Vec::with_capacity(ia.len());
            for (&i, &j) in pairs {
                match (get(&x, i), get(&y, j)) {
                    (Some(p), Some(q)) => {
                        vals.push(strs::test(f, p, q)?);
                        miss.push(false);
                    }
                    _ => {
                        vals.push(false);
                        miss.push(true);
                    }
                }
            }
            bool_value(&shape, vals, opt.then_some(miss))
        }
        (Cells::Dec(x, _, sx), Cells::Dec(y, _, sy)) => {
            let get = |v: &[Option<i128>], i: usize| v.get(i).copied().flatten();
            if f.is_comparison() {
                let mut vals = Vec::with_capacity(ia.len());
                let mut miss = Vec::with_capacity(ia.len());
                for (&i, &j) in pairs {
                    match (get(&x, i), get(&y, j)) {
                        (Some(p), Some(q)) => {
                            vals.push(dec::compare(f, (p, sx), (q, sy))?);
                            miss.push(false);
                        }
                        _ => {
                            vals.push(false);
                            miss.push(true);
                        }
                    }
                }
                return bool_value(&shape, vals, opt.then_some(miss));
            }
            let (p, s) = decimal_type(ty)?;
            let mut out = Vec::with_capacity(ia.len());
            for (&i, &j) in pairs {
                out.push(match (get(&x, i), get(&y, j)) {
                    (Some(a), Some(b)) => Some(dec::arith(f, (a, sx), (b, sy), (p, s))?),
                    _ => None,
                });
            }
            new_column(&shape, dec::decimal_array(out, p, s)?)
        }
        _ => Err(EvalError::Value(format!(
            "`{}` of a string and a decimal",
            f.name()
        ))),
    }
}

/// Picks, per element of the broadcast shape, from `x` where `take_x`
/// and from `y` elsewhere (`None`: missing).
fn pick(
    x: &Column,
    y: &Column,
    shape: &[usize],
    choice: &[Option<bool>],
) -> Result<Value, EvalError> {
    let (ix, iy) = (index_map(&x.shape, shape), index_map(&y.shape, shape));
    match (cells(x)?, cells(y)?) {
        (Cells::Str(a), Cells::Str(b)) => {
            let out = choice
                .iter()
                .enumerate()
                .map(|(k, c)| match c {
                    Some(true) => a.get(ix[k]).copied().flatten().map(str::to_string),
                    Some(false) => b.get(iy[k]).copied().flatten().map(str::to_string),
                    None => None,
                })
                .collect();
            new_column(shape, strs::string_array(out))
        }
        (Cells::Dec(_, _, s), Cells::Dec(_, _, t)) if s != t => Err(EvalError::Value(format!(
            "the branches are decimals at scales {s} and {t}; the checker gives them one type"
        ))),
        (Cells::Dec(a, p, s), Cells::Dec(b, _, _)) => {
            let out = choice
                .iter()
                .enumerate()
                .map(|(k, c)| match c {
                    Some(true) => a.get(ix[k]).copied().flatten(),
                    Some(false) => b.get(iy[k]).copied().flatten(),
                    None => None,
                })
                .collect();
            new_column(shape, dec::decimal_array(out, p, s)?)
        }
        _ => Err(EvalError::Value(
            "the branches are a string and a decimal".into(),
        )),
    }
}

fn where_(c: &Value, x: &Value, y: &Value) -> Result<Value, EvalError> {
    let (cx, cy) = (column(x)?, column(y)?);
    let Value::Array { data, missing } = c else {
        return Err(EvalError::Value(
            "the condition of `where` is not an array".into(),
        ));
    };
    let cond = kernels::cast(data, Scalar::Bool);
    let Array::Bool(cond) = cond else {
        return Err(EvalError::Value(
            "the condition of `where` is not bool".into(),
        ));
    };
    let shape = broadcast_shapes(&broadcast_shapes(cond.shape(), &cx.shape)?, &cy.shape)?;
    let ic = index_map(cond.shape(), &shape);
    let flat: Vec<bool> = cond.iter().copied().collect();
    let mask: Option<Vec<bool>> = missing.as_ref().map(|m| m.iter().copied().collect());
    let choice: Vec<Option<bool>> = ic
        .iter()
        .map(|&i| match &mask {
            Some(m) if m.get(i).copied().unwrap_or(false) => None,
            _ => flat.get(i).copied(),
        })
        .collect();
    pick(cx, cy, &shape, &choice)
}

fn fillna(x: &Value, v: &Value) -> Result<Value, EvalError> {
    let (cx, cv) = (column(x)?, column(v)?);
    let shape = broadcast_shapes(&cx.shape, &cv.shape)?;
    let ix = index_map(&cx.shape, &shape);
    let choice: Vec<Option<bool>> = ix.iter().map(|&i| Some(!cx.array.is_null(i))).collect();
    pick(cx, cv, &shape, &choice)
}

/// A decimal column converted to scalar `t`: floats correctly rounded,
/// integers truncated toward zero (out of range is an error).
fn cast(x: &Value, t: Scalar) -> Result<Value, EvalError> {
    let c = column(x)?;
    let Cells::Dec(v, _, s) = cells(c)? else {
        return Err(EvalError::Value(format!(
            "strings cannot be cast to `{}`",
            t.name()
        )));
    };
    let shape = IxDyn(&c.shape);
    let err = |e: ndarray::ShapeError| EvalError::Shape(e.to_string());
    let data = match t.kind() {
        ScalarKind::Float if t == Scalar::Float64 => Array::Float64(
            ArrayD::from_shape_vec(
                shape.clone(),
                v.iter()
                    .map(|d| d.map_or(0.0, |d| dec::to_f64(d, s)))
                    .collect(),
            )
            .map_err(err)?,
        ),
        ScalarKind::Float => kernels::cast(
            &Array::Float32(
                ArrayD::from_shape_vec(
                    shape.clone(),
                    v.iter()
                        .map(|d| d.map_or(0.0, |d| dec::to_f32(d, s)))
                        .collect(),
                )
                .map_err(err)?,
            ),
            t,
        ),
        ScalarKind::Signed | ScalarKind::Unsigned => {
            let ints = v
                .iter()
                .map(|d| d.map_or(Ok(0), |d| dec::to_int(d, s, t)))
                .collect::<Result<Vec<i128>, _>>()?;
            if t == Scalar::UInt64 {
                Array::UInt64(
                    ArrayD::from_shape_vec(shape.clone(), ints.iter().map(|&i| i as u64).collect())
                        .map_err(err)?,
                )
            } else {
                kernels::cast(
                    &Array::Int64(
                        ArrayD::from_shape_vec(
                            shape.clone(),
                            ints.iter().map(|&i| i as i64).collect(),
                        )
                        .map_err(err)?,
                    ),
                    t,
                )
            }
        }
        _ => {
            return Err(EvalError::Value(format!(
                "a decimal cannot be cast to `{}`",
                t.name()
            )))
        }
    };
    let missing = (c.array.null_count() > 0)
        .then(|| ArrayD::from_shape_vec(shape, (0..c.len()).map(|i| c.array.is_null(i)).collect()))
        .transpose()
        .map_err(err)?;
    Ok(Value::Array { data, missing })
}

/// `cast decimal[p, s]` of numbers or of another decimal.
fn to_decimal(x: &Value, p: u32, s: u32) -> Result<Value, EvalError> {
    match x {
        Value::Column(c) => {
            let Cells::Dec(v, _, from) = cells(c)? else {
                return Err(EvalError::Value(
                    "strings cannot be cast to a decimal".into(),
                ));
            };
            let out = v
                .into_iter()
                .map(|d| d.map(|d| dec::from_decimal(d, from, p, s)).transpose())
                .collect::<Result<Vec<_>, _>>()?;
            new_column(&c.shape, dec::decimal_array(out, p, s)?)
        }
        Value::Array { data, missing } => {
            let shape = data.shape().to_vec();
            let flat_missing: Vec<bool> = match missing {
                Some(m) => m.iter().copied().collect(),
                None => vec![false; data.len()],
            };
            let values: Vec<Result<i128, EvalError>> = match data.scalar().kind() {
                ScalarKind::Signed => match kernels::cast(data, Scalar::Int64) {
                    Array::Int64(a) => a
                        .iter()
                        .map(|&i| dec::from_int(i128::from(i), p, s))
                        .collect(),
                    _ => Vec::new(),
                },
                ScalarKind::Unsigned => match kernels::cast(data, Scalar::UInt64) {
                    Array::UInt64(a) => a
                        .iter()
                        .map(|&i| dec::from_int(i128::from(i), p, s))
                        .collect(),
                    _ => Vec::new(),
                },
                ScalarKind::Float => match kernels::cast(data, Scalar::Float64) {
                    Array::Float64(a) => a.iter().map(|&x| dec::from_f64(x, p, s)).collect(),
                    _ => Vec::new(),
                },
                _ => {
                    return Err(EvalError::Value(format!(
                        "`{}` cannot be cast to a decimal",
                        data.scalar().name()
                    )))
                }
            };
            if values.len() != flat_missing.len() {
                return Err(EvalError::Value("a cast to decimal lost elements".into()));
            }
            let out = values
                .into_iter()
                .zip(flat_missing)
                .map(|(v, m)| if m { Ok(None) } else { v.map(Some) })
                .collect::<Result<Vec<_>, _>>()?;
            new_column(&shape, dec::decimal_array(out, p, s)?)
        }
        _ => Err(EvalError::Value(
            "a record or tuple cannot be cast to a decimal".into(),
        )),
    }
}

/// The groups of a reduction over `axes` (all when `None`) of `shape`:
/// the result's shape, the number of groups, and each element's group (C
/// order).
fn groups(
    shape: &[usize],
    axes: Option<&[usize]>,
    keepdims: bool,
) -> Result<(Vec<usize>, usize, Vec<usize>), EvalError> {
    let rank = shape.len();
    let reduced = |k: usize| axes.is_none_or(|a| a.contains(&k));
    if let Some(bad) = axes.and_then(|a| a.iter().find(|&&k| k >= rank)) {
        return Err(EvalError::Value(format!(
            "axis {bad} is out of bounds for rank {rank}"
        )));
    }
    let out_shape: Vec<usize> = (0..rank)
        .filter_map(|k| match (reduced(k), keepdims) {
            (true, true) => Some(1),
            (true, false) => None,
            (false, _) => Some(shape[k]),
        })
        .collect();
    let n: usize = (0..rank)
        .filter(|&k| !reduced(k))
        .map(|k| shape[k])
        .product();
    let total: usize = shape.iter().product();
    let mut of = Vec::with_capacity(total);
    let mut idx = vec![0usize; rank];
    for _ in 0..total {
        let mut g = 0usize;
        for k in (0..rank).filter(|&k| !reduced(k)) {
            g = g * shape[k] + idx[k];
        }
        of.push(g);
        for k in (0..rank).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    Ok((out_shape, n, of))
}

/// `sum`, `min`, `max` of a decimal column and `min`, `max` of a string
/// column over `axes` (all when `None`), skipping missing values: a sum of
/// no values is 0, a `min`/`max` of no values is missing (an error when the
/// result type is not an option).
fn reduce(
    f: ReduceFn,
    x: &Value,
    axes: Option<&[usize]>,
    keepdims: bool,
    ty: &Datashape,
) -> Result<Value, EvalError> {
    let c = column(x)?;
    let (out_shape, n, of) = groups(&c.shape, axes, keepdims)?;
    let name = format!("`{}`", f.name());
    let none_left = |missing: bool| {
        if missing && !plain(ty).1 {
            Err(EvalError::Value(format!("{name} of no values")))
        } else {
            Ok(())
        }
    };
    match cells(c)? {
        Cells::Str(v) => {
            let mut acc: Vec<Option<&str>> = vec![None; n];
            for (d, &g) in v.iter().zip(&of) {
                if let (Some(d), Some(slot)) = (d, acc.get_mut(g)) {
                    *slot = Some(match (*slot, f) {
                        (None, _) => d,
                        (Some(a), ReduceFn::Min) => a.min(d),
                        (Some(a), ReduceFn::Max) => a.max(d),
                        (Some(_), other) => {
                            return Err(EvalError::Value(format!(
                                "`{}` is not defined for strings",
                                other.name()
                            )))
                        }
                    });
                }
            }
            none_left(acc.iter().any(Option::is_none))?;
            let out = acc.into_iter().map(|a| a.map(str::to_string)).collect();
            new_column(&out_shape, strs::string_array(out))
        }
        Cells::Dec(v, _, s) => {
            let (p, rs) = decimal_type(ty)?;
            if rs != s {
                return Err(EvalError::Value(format!(
                    "{name} of a decimal at scale {s} is typed at scale {rs}"
                )));
            }
            let mut acc: Vec<Option<i128>> = vec![None; n];
            for (d, &g) in v.iter().zip(&of) {
                if let (Some(d), Some(slot)) = (d, acc.get_mut(g)) {
                    *slot = Some(match (*slot, f) {
                        (None, _) => *d,
                        (Some(a), ReduceFn::Sum) => a
                            .checked_add(*d)
                            .filter(|r| dec::fits(*r, p))
                            .ok_or_else(|| {
                                EvalError::Value(format!(
                                    "decimal overflow in {name}: the result does not fit \
                                     `decimal[{p}, {rs}]`"
                                ))
                            })?,
                        (Some(a), ReduceFn::Min) => a.min(*d),
                        (Some(a), ReduceFn::Max) => a.max(*d),
                        (Some(_), other) => {
                            return Err(EvalError::Value(format!(
                                "`{}` of decimals is computed in float64",
                                other.name()
                            )))
                        }
                    });
                }
            }
            let out: Vec<Option<i128>> = if f == ReduceFn::Sum {
                acc.into_iter().map(|a| Some(a.unwrap_or(0))).collect()
            } else {
                none_left(acc.iter().any(Option::is_none))?;
                acc
            };
            new_column(&out_shape, dec::decimal_array(out, p, rs)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::index_map;

    #[test]
    fn broadcast_index_maps() {
        assert_eq!(index_map(&[3], &[2, 3]), vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(index_map(&[2, 1], &[2, 3]), vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(index_map(&[], &[2]), vec![0, 0]);
        assert_eq!(index_map(&[2, 2], &[2, 2]), vec![0, 1, 2, 3]);
    }
}

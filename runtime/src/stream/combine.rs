//! Combining what blocks give: blocks of a rows result joined along their
//! rows, partial results merged in block order (decimals exactly, options
//! with their missing values, `argmax`/`argmin` by their values and global
//! row indices), means weighted by their rows, and centred products by
//! their means.

use super::classify::Merge;
use crate::error::{Error, StreamError};
use crate::io::rows::join_rows;
use blaze_datashape::Scalar;
use blaze_interp::{kernels, Array, EvalError, Value};
use blaze_ir::ops::BinaryFn;

/// Blocks of a rows result joined along their rows: arrays (with their
/// missing masks), columns in Arrow's layout (concatenated), records field
/// by field.
pub(super) fn concat_values(parts: Vec<Value>) -> Result<Value, Error> {
    let bad = |what: &str| -> Error {
        StreamError::Program(format!("blocks of the result differ: {what}")).into()
    };
    match parts.first() {
        Some(Value::Array { .. }) => {
            let mut data = Vec::with_capacity(parts.len());
            let mut masks = Vec::with_capacity(parts.len());
            let mut any_mask = false;
            for p in parts {
                let Value::Array { data: d, missing } = p else {
                    return Err(bad("an array and something else"));
                };
                any_mask |= missing.is_some();
                masks.push(missing.unwrap_or_else(|| {
                    ndarray::ArrayD::from_elem(ndarray::IxDyn(d.shape()), false)
                }));
                data.push(d);
            }
            let data = join_rows(&data).map_err(|m| Error::Eval(EvalError::Shape(m)))?;
            let missing = if any_mask {
                let views: Vec<_> = masks.iter().map(|m| m.view()).collect();
                Some(
                    ndarray::concatenate(ndarray::Axis(0), &views)
                        .map_err(|e| Error::Eval(EvalError::Shape(e.to_string())))?,
                )
            } else {
                None
            };
            Ok(Value::Array { data, missing })
        }
        Some(Value::Column(first)) => {
            let rest: Vec<usize> = first.shape.iter().skip(1).copied().collect();
            let mut arrays = Vec::with_capacity(parts.len());
            let mut rows = 0usize;
            for p in &parts {
                let Value::Column(c) = p else {
                    return Err(bad("a column and something else"));
                };
                if c.shape.get(1..) != Some(rest.as_slice()) {
                    return Err(bad("column shapes"));
                }
                rows += c.shape.first().copied().unwrap_or(1);
                arrays.push(c.array.as_ref());
            }
            let array = arrow_select::concat::concat(&arrays)
                .map_err(|e| Error::Eval(EvalError::Value(format!("joining blocks: {e}"))))?;
            let mut shape = vec![rows];
            shape.extend(rest);
            Ok(Value::Column(blaze_interp::Column::new(shape, array)?))
        }
        Some(Value::Record(first)) => {
            let names: Vec<String> = first.iter().map(|(n, _)| n.clone()).collect();
            let mut columns: Vec<Vec<Value>> = vec![Vec::new(); names.len()];
            for p in parts {
                let Value::Record(fields) = p else {
                    return Err(bad("a record and something else"));
                };
                if fields.len() != names.len() {
                    return Err(bad("record fields"));
                }
                for (k, (_, v)) in fields.into_iter().enumerate() {
                    columns[k].push(v);
                }
            }
            let fields = names
                .into_iter()
                .zip(columns)
                .map(|(n, vs)| Ok((n, concat_values(vs)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            Ok(Value::Record(fields))
        }
        Some(Value::Tuple(_)) => Err(bad("a tuple result is not rows")),
        None => Err(bad("no blocks")),
    }
}

/// Two partial decimal results (0-d or equal-shaped `Decimal128` columns)
/// combined exactly: `+` for sums, the smaller or larger for `min` and
/// `max`; a missing partial (a block without values) gives way to the
/// other.
fn combine_decimals(
    c: Merge,
    a: &blaze_interp::Column,
    b: &blaze_interp::Column,
) -> Result<Value, Error> {
    use blaze_interp::kernels::decimal;
    let (xs, pa, sa) = decimal::decimals(a.array.as_ref())?;
    let (ys, pb, sb) = decimal::decimals(b.array.as_ref())?;
    if xs.len() != ys.len() || (pa, sa) != (pb, sb) {
        return Err(StreamError::Program("partial decimal results differ in type".into()).into());
    }
    let out = xs
        .into_iter()
        .zip(ys)
        .map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => Ok(Some(match c {
                Merge::Add => decimal::arith(BinaryFn::Add, (x, sa), (y, sb), (pa, sa))?,
                Merge::Min => x.min(y),
                Merge::Max => x.max(y),
                _ => {
                    return Err(Error::from(StreamError::Program(
                        "decimals combine by sum, min or max only".into(),
                    )))
                }
            })),
            (x, None) => Ok(x),
            (None, y) => Ok(y),
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let array = decimal::decimal_array(out, pa, sa)?;
    Ok(Value::Column(blaze_interp::Column::new(
        a.shape.clone(),
        array,
    )?))
}

fn arr(v: Value) -> Result<Array, Error> {
    match v {
        Value::Array {
            data,
            missing: None,
        } => Ok(data),
        _ => Err(StreamError::Program("partial results must be plain arrays".into()).into()),
    }
}

pub(super) fn combine(c: Merge, a: Value, b: Value) -> Result<Value, Error> {
    if let (Value::Column(x), Value::Column(y)) = (&a, &b) {
        return combine_decimals(c, x, y);
    }
    let (a, ma) = masked(a)?;
    let (b, mb) = masked(b)?;
    let a = match (c, &ma, &mb) {
        (Merge::Add | Merge::Mean, None, None) => match add_in_place(a, &b) {
            Ok(sum) => return Ok(Value::from(sum)),
            Err(a) => a,
        },
        _ => a,
    };
    let f = match c {
        Merge::Add | Merge::Mean => BinaryFn::Add,
        Merge::Mul => BinaryFn::Mul,
        Merge::Min => BinaryFn::Minimum,
        Merge::Max => BinaryFn::Maximum,
        Merge::Or => BinaryFn::Or,
        Merge::And => BinaryFn::And,
        Merge::Arg { .. } | Merge::Centred { .. } => {
            return Err(StreamError::Program(
                "argmax/argmin and centred partials combine with their companions".into(),
            )
            .into())
        }
    };
    let both = kernels::binary(f, &a, &b)?;
    if ma.is_none() && mb.is_none() {
        return Ok(Value::from(both));
    }
    // Partials over options (`min`, `max` of `?T`): a block with no value
    // gives a missing partial, which the other block's value replaces; both
    // missing stays missing.
    let shape = both.shape().to_vec();
    let none = || ndarray::ArrayD::from_elem(ndarray::IxDyn(&shape), false);
    let ma = ma.unwrap_or_else(none);
    let mb = mb.unwrap_or_else(none);
    let from_b = kernels::where_(&Array::Bool(ma.clone()), &b, &both)?;
    let data = kernels::where_(&Array::Bool(mb.clone()), &a, &from_b)?;
    let missing = ndarray::Zip::from(&ma)
        .and(&mb)
        .map_collect(|x, y| *x && *y);
    Ok(Value::Array {
        data,
        missing: Some(missing),
    })
}

/// A partial result's data and missing mask (records and tuples are not
/// partials).
fn masked(v: Value) -> Result<(Array, Option<ndarray::ArrayD<bool>>), Error> {
    match v {
        Value::Array { data, missing } => Ok((data, missing)),
        _ => Err(StreamError::Program("partial results must be arrays".into()).into()),
    }
}

/// `a + b` into `a`'s buffer, for the partials that [`in_place`] says
/// combine so; `a` back otherwise.
fn add_in_place(a: Array, b: &Array) -> Result<Array, Array> {
    match (a, b) {
        (Array::Float64(mut x), Array::Float64(y)) if x.shape() == y.shape() => {
            ndarray::Zip::from(&mut x).and(y).for_each(|x, y| *x += *y);
            Ok(Array::Float64(x))
        }
        (Array::Float32(mut x), Array::Float32(y)) if x.shape() == y.shape() => {
            ndarray::Zip::from(&mut x).and(y).for_each(|x, y| *x += *y);
            Ok(Array::Float32(x))
        }
        (Array::Int64(mut x), Array::Int64(y)) if x.shape() == y.shape() => {
            ndarray::Zip::from(&mut x)
                .and(y)
                .for_each(|x, y| *x = x.wrapping_add(*y));
            Ok(Array::Int64(x))
        }
        (Array::UInt64(mut x), Array::UInt64(y)) if x.shape() == y.shape() => {
            ndarray::Zip::from(&mut x)
                .and(y)
                .for_each(|x, y| *x = x.wrapping_add(*y));
            Ok(Array::UInt64(x))
        }
        (a, _) => Err(a),
    }
}

/// Whether partials of `measure` merged by `c` combine in place (the
/// running result and one block's partial are then all a merge holds).
pub(super) fn in_place(c: Merge, measure: &blaze_datashape::Measure) -> bool {
    matches!(c, Merge::Add | Merge::Mean | Merge::Centred { .. })
        && matches!(
            measure,
            blaze_datashape::Measure::Scalar {
                scalar: Scalar::Float64 | Scalar::Float32 | Scalar::Int64 | Scalar::UInt64
            }
        )
}

pub(super) fn scale(v: Value, w: f64) -> Result<Value, Error> {
    let a = arr(v)?;
    // A float partial is scaled in its own buffer.
    let a = match a {
        Array::Float64(mut x) => {
            x.mapv_inplace(|e| e * w);
            return Ok(Value::from(Array::Float64(x)));
        }
        Array::Float32(mut x) => {
            let w = w as f32;
            x.mapv_inplace(|e| e * w);
            return Ok(Value::from(Array::Float32(x)));
        }
        a => a,
    };
    let s = kernels::cast(&Array::Float64(ndarray::arr0(w).into_dyn()), a.scalar());
    Ok(Value::from(kernels::binary(BinaryFn::Mul, &a, &s)?))
}

pub(super) fn concat_rows(
    parts: &[Array],
    (scalar, shape): (Scalar, Vec<usize>),
) -> Result<Array, Error> {
    if parts.is_empty() {
        return Ok(Array::zeros(scalar, &shape));
    }
    join_rows(parts).map_err(|m| Error::Eval(EvalError::Shape(m)))
}

/// An `argmax`/`argmin` partial of a block merged into what came before:
/// `idx` are the block's indices, `offset` the index of its first element
/// (its first row times the elements of a row), `vals` the values they
/// point at; `acc` the indices so far and their values. The block wins
/// where its value is larger (smaller), or a NaN against a number; ties
/// keep the earlier index (first occurrence, as NumPy).
pub(super) fn combine_arg(
    max: bool,
    acc: Option<(Value, &Value)>,
    idx: Value,
    vals: &Value,
    offset: usize,
) -> Result<Value, Error> {
    let offset = i64::try_from(offset)
        .map_err(|_| StreamError::Rows(format!("row index {offset} overflows int64")))?;
    let shift = Array::Int64(ndarray::arr0(offset).into_dyn());
    let global = kernels::binary(BinaryFn::Add, &arr(idx)?, &shift)?;
    let Some((acc_idx, acc_vals)) = acc else {
        return Ok(Value::from(global));
    };
    let (a, b) = (arr(acc_vals.clone())?, arr(vals.clone())?);
    let better = kernels::binary(if max { BinaryFn::Gt } else { BinaryFn::Lt }, &b, &a)?;
    let b_nan = kernels::binary(BinaryFn::Ne, &b, &b)?;
    let a_number = kernels::binary(BinaryFn::Eq, &a, &a)?;
    let nan_wins = kernels::binary(BinaryFn::And, &b_nan, &a_number)?;
    let take = kernels::binary(BinaryFn::Or, &better, &nan_wins)?;
    Ok(Value::from(kernels::where_(
        &take,
        &global,
        &arr(acc_idx)?,
    )?))
}

/// The elements of a float partial (a mean) divided by `rows`.
pub(super) fn means(v: &Value, rows: usize) -> Result<Vec<f64>, Error> {
    let d = rows.max(1) as f64;
    match v {
        Value::Array {
            data: Array::Float64(x),
            missing: None,
        } => Ok(x.iter().map(|e| e / d).collect()),
        Value::Array {
            data: Array::Float32(x),
            missing: None,
        } => Ok(x.iter().map(|&e| f64::from(e) / d).collect()),
        _ => Err(StreamError::Program("a mean partial is not a float array".into()).into()),
    }
}

/// Two centred products of the same columns combined: `a` over `na` rows
/// centred by their mean `ma`, `b` over `nb` rows centred by theirs, `mb`;
/// the product of all the rows centred by their mean is
/// `a + b + na·nb/(na+nb) · δδᵀ` with `δ = mb − ma` (Chan, Golub and
/// LeVeque), computed in `a`'s buffer.
pub(super) fn combine_centred(
    a: Value,
    b: Value,
    (na, ma): (usize, &[f64]),
    (nb, mb): (usize, &[f64]),
) -> Result<Value, Error> {
    let k = ma.len();
    let bad = || -> Error {
        StreamError::Program("centred partials of different shapes or types".into()).into()
    };
    if mb.len() != k {
        return Err(bad());
    }
    let w = if na == 0 || nb == 0 {
        0.0
    } else {
        (na as f64) * (nb as f64) / (na as f64 + nb as f64)
    };
    // No rows on a side (an empty block): nothing to correct, and its
    // mean (NaN) is not used.
    let delta: Vec<f64> = if w == 0.0 {
        vec![0.0; k]
    } else {
        mb.iter().zip(ma).map(|(b, a)| b - a).collect()
    };
    // Row by row over contiguous memory: `x[i, :] += y[i, :] + w·δᵢ·δ`.
    fn add<T: Copy>(
        x: &mut ndarray::ArrayD<T>,
        y: &ndarray::ArrayD<T>,
        (w, delta): (f64, &[f64]),
        f: impl Fn(T, T, f64) -> T,
    ) -> bool {
        let k = delta.len();
        if x.shape() != [k, k] || y.shape() != [k, k] {
            return false;
        }
        let (Some(x), Some(y)) = (x.as_slice_mut(), y.as_slice()) else {
            return false;
        };
        for (i, (xr, yr)) in x
            .chunks_exact_mut(k.max(1))
            .zip(y.chunks_exact(k.max(1)))
            .enumerate()
        {
            let wi = w * delta[i];
            for ((x, y), d) in xr.iter_mut().zip(yr).zip(delta) {
                *x = f(*x, *y, wi * d);
            }
        }
        true
    }
    match (arr(a)?, arr(b)?) {
        (Array::Float64(mut x), Array::Float64(y)) => {
            add(&mut x, &y, (w, &delta), |x, y, c| x + y + c)
                .then(|| Value::from(Array::Float64(x)))
                .ok_or_else(bad)
        }
        (Array::Float32(mut x), Array::Float32(y)) => add(&mut x, &y, (w, &delta), |x, y, c| {
            (f64::from(x) + f64::from(y) + c) as f32
        })
        .then(|| Value::from(Array::Float32(x)))
        .ok_or_else(bad),
        _ => Err(bad()),
    }
}

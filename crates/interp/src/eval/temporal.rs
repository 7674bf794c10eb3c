//! Operations on dates and times, which are [`Column`](crate::Column)s of
//! Arrow's `Date32`, `Timestamp`, `Duration` and `Time64`: comparisons,
//! differences, a datetime moved by a duration, durations added, and
//! `year`, `month`, `day`. Missing values propagate. The element rules are
//! in `kernels::temporal`.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, DurationMicrosecondType, DurationMillisecondType,
    DurationNanosecondType, DurationSecondType, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array as _, ArrayRef, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit as ArrowUnit};
use blaze_datashape::{Datashape, Measure, TimeUnit};
use blaze_ir::ops::{BinaryFn, UnaryFn};
use blaze_ir::{Function, NodeId, Op};
use ndarray::{ArrayD, IxDyn};

use super::columns::{bool_value, index_map, new_column, plain};
use crate::kernels::broadcast_shapes;
use crate::kernels::temporal as tk;
use crate::value::{Array, Value};
use crate::{Column, EvalError};

/// What the integers of a time column count.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Days since 1970-01-01.
    Days,
    /// Microseconds since the epoch.
    Micros,
    /// A duration in a unit.
    Delta(TimeUnit),
    /// A time of day (compared only).
    TimeOfDay,
}

fn is_time_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date32
            | DataType::Date64
            | DataType::Timestamp(..)
            | DataType::Duration(_)
            | DataType::Time32(_)
            | DataType::Time64(_)
    )
}

/// The values of a time column as integers of its kind.
fn values(a: &dyn arrow_array::Array) -> Result<(Vec<Option<i64>>, Kind), EvalError> {
    fn p<T: arrow_array::ArrowPrimitiveType>(
        a: &dyn arrow_array::Array,
        f: impl Fn(T::Native) -> i64,
    ) -> Vec<Option<i64>> {
        a.as_primitive::<T>().iter().map(|v| v.map(&f)).collect()
    }
    let scaled = |v: Vec<Option<i64>>, mul: i64, div: i64| {
        v.into_iter()
            .map(|x| {
                x.map(|x| x.checked_mul(mul).map(|y| y.div_euclid(div)))
                    .map(|x| {
                        x.ok_or_else(|| {
                            EvalError::Value("a timestamp overflows microseconds".into())
                        })
                    })
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match a.data_type() {
        DataType::Date32 => (p::<Date32Type>(a, i64::from), Kind::Days),
        DataType::Date64 => (
            p::<Date64Type>(a, |ms| ms.div_euclid(86_400_000)),
            Kind::Days,
        ),
        DataType::Timestamp(u, _) => {
            let v = match u {
                ArrowUnit::Second => scaled(p::<TimestampSecondType>(a, |x| x), 1_000_000, 1)?,
                ArrowUnit::Millisecond => {
                    scaled(p::<TimestampMillisecondType>(a, |x| x), 1_000, 1)?
                }
                ArrowUnit::Microsecond => p::<TimestampMicrosecondType>(a, |x| x),
                ArrowUnit::Nanosecond => scaled(p::<TimestampNanosecondType>(a, |x| x), 1, 1_000)?,
            };
            (v, Kind::Micros)
        }
        DataType::Duration(u) => match u {
            ArrowUnit::Second => (
                p::<DurationSecondType>(a, |x| x),
                Kind::Delta(TimeUnit::Seconds),
            ),
            ArrowUnit::Millisecond => (
                p::<DurationMillisecondType>(a, |x| x),
                Kind::Delta(TimeUnit::Millis),
            ),
            ArrowUnit::Microsecond => (
                p::<DurationMicrosecondType>(a, |x| x),
                Kind::Delta(TimeUnit::Micros),
            ),
            ArrowUnit::Nanosecond => (
                p::<DurationNanosecondType>(a, |x| x),
                Kind::Delta(TimeUnit::Nanos),
            ),
        },
        // Times of day compare as nanoseconds since midnight.
        DataType::Time32(ArrowUnit::Second) => (
            p::<Time32SecondType>(a, |x| i64::from(x).saturating_mul(1_000_000_000)),
            Kind::TimeOfDay,
        ),
        DataType::Time32(ArrowUnit::Millisecond) => (
            p::<Time32MillisecondType>(a, |x| i64::from(x).saturating_mul(1_000_000)),
            Kind::TimeOfDay,
        ),
        DataType::Time64(ArrowUnit::Microsecond) => (
            p::<Time64MicrosecondType>(a, |x| x.saturating_mul(1_000)),
            Kind::TimeOfDay,
        ),
        DataType::Time64(ArrowUnit::Nanosecond) => {
            (p::<Time64NanosecondType>(a, |x| x), Kind::TimeOfDay)
        }
        other => {
            return Err(EvalError::Value(format!(
                "expected dates or times, found an Arrow array of `{other}`"
            )))
        }
    })
}

/// A time column of the result type `ty` (a `datetime` or a `timedelta`).
fn time_array(values: Vec<Option<i64>>, ty: &Datashape) -> Result<ArrayRef, EvalError> {
    Ok(match plain(ty).0 {
        Measure::DateTime { tz } => Arc::new(
            PrimitiveArray::<TimestampMicrosecondType>::from(values).with_timezone_opt(tz.clone()),
        ),
        Measure::TimeDelta { unit } => match unit {
            TimeUnit::Seconds => Arc::new(PrimitiveArray::<DurationSecondType>::from(values)),
            TimeUnit::Millis => Arc::new(PrimitiveArray::<DurationMillisecondType>::from(values)),
            TimeUnit::Micros => Arc::new(PrimitiveArray::<DurationMicrosecondType>::from(values)),
            TimeUnit::Nanos => Arc::new(PrimitiveArray::<DurationNanosecondType>::from(values)),
            other => {
                return Err(EvalError::Value(format!(
                    "durations in `{}` have no Arrow type",
                    other.name()
                )))
            }
        },
        _ => {
            return Err(EvalError::Value(format!(
                "`{ty}` is not a datetime or a timedelta"
            )))
        }
    })
}

fn column(v: &Value) -> Result<&Column, EvalError> {
    match v {
        Value::Column(c) if is_time_type(c.array.data_type()) => Ok(c),
        _ => Err(EvalError::Value(
            "expected a column of dates or times".into(),
        )),
    }
}

/// Node `id` of `f` applied to `args` when it is an operation on dates or
/// times; `None` otherwise.
pub(super) fn apply(f: &Function, id: NodeId, args: &[Value]) -> Option<Result<Value, EvalError>> {
    let node = f.node(id);
    let timed = args
        .iter()
        .any(|v| matches!(v, Value::Column(c) if is_time_type(c.array.data_type())));
    if !timed {
        return None;
    }
    Some(match &node.op {
        Op::Unary(u) => unary(*u, &args[0], &node.ty),
        Op::Binary(b) => binary(*b, &args[0], &args[1], &node.ty),
        _ => return None,
    })
}

fn unary(f: UnaryFn, x: &Value, ty: &Datashape) -> Result<Value, EvalError> {
    let c = column(x)?;
    let (v, kind) = values(c.array.as_ref())?;
    if f == UnaryFn::IsNa {
        return bool_value(&c.shape, v.iter().map(Option::is_none).collect(), None);
    }
    let day = |x: i64| match kind {
        Kind::Days => Ok(x),
        Kind::Micros => Ok(tk::day_of_micros(x)),
        _ => Err(EvalError::Value(format!(
            "`{}` of a duration or a time of day",
            f.name()
        ))),
    };
    let mut out = Vec::with_capacity(v.len());
    for x in &v {
        out.push(match x {
            None => 0,
            Some(x) => {
                let (y, m, d) = tk::civil_from_days(day(*x)?);
                match f {
                    UnaryFn::Year => y,
                    UnaryFn::Month => m,
                    UnaryFn::Day => d,
                    other => {
                        return Err(EvalError::Value(format!(
                            "`{}` is not a function of dates",
                            other.name()
                        )))
                    }
                }
            }
        });
    }
    let shape = IxDyn(&c.shape);
    let err = |e: ndarray::ShapeError| EvalError::Shape(e.to_string());
    let missing = plain(ty)
        .1
        .then(|| ArrayD::from_shape_vec(shape.clone(), v.iter().map(Option::is_none).collect()))
        .transpose()
        .map_err(err)?;
    Ok(Value::Array {
        data: Array::Int64(ArrayD::from_shape_vec(shape, out).map_err(err)?),
        missing,
    })
}

fn binary(f: BinaryFn, a: &Value, b: &Value, ty: &Datashape) -> Result<Value, EvalError> {
    let (ca, cb) = (column(a)?, column(b)?);
    let shape = broadcast_shapes(&ca.shape, &cb.shape)?;
    let (ia, ib) = (index_map(&ca.shape, &shape), index_map(&cb.shape, &shape));
    let ((x, kx), (y, ky)) = (values(ca.array.as_ref())?, values(cb.array.as_ref())?);
    let get = |v: &[Option<i64>], i: usize| v.get(i).copied().flatten();
    let pairs = ia.iter().zip(&ib).map(|(&i, &j)| (get(&x, i), get(&y, j)));
    if f.is_comparison() {
        let mut vals = Vec::with_capacity(ia.len());
        let mut miss = Vec::with_capacity(ia.len());
        for (p, q) in pairs {
            let (Some(p), Some(q)) = (p, q) else {
                vals.push(false);
                miss.push(true);
                continue;
            };
            vals.push(match f {
                BinaryFn::Eq => p == q,
                BinaryFn::Ne => p != q,
                BinaryFn::Lt => p < q,
                BinaryFn::Le => p <= q,
                BinaryFn::Gt => p > q,
                _ => p >= q,
            });
            miss.push(false);
        }
        return bool_value(&shape, vals, plain(ty).1.then_some(miss));
    }
    let what = format!("`{}`", f.name());
    let sub = f == BinaryFn::Sub;
    let mut out = Vec::with_capacity(ia.len());
    for (p, q) in pairs {
        let (Some(p), Some(q)) = (p, q) else {
            out.push(None);
            continue;
        };
        out.push(Some(match (kx, ky) {
            (Kind::Days, Kind::Days) => tk::add(p, q, true, &what)?
                .checked_mul(86_400)
                .ok_or_else(|| EvalError::Value(format!("{what} overflows 64-bit time")))?,
            (Kind::Micros, Kind::Micros) => tk::add(p, q, true, &what)?,
            (Kind::Micros, Kind::Delta(u)) | (Kind::Delta(u), Kind::Micros) => {
                let per = tk::micros_per(u).ok_or_else(|| {
                    EvalError::Value(format!(
                        "a datetime moves by s, ms or us, not `{}`",
                        u.name()
                    ))
                })?;
                let (t, d) = if kx == Kind::Micros { (p, q) } else { (q, p) };
                let d = d
                    .checked_mul(per)
                    .ok_or_else(|| EvalError::Value(format!("{what} overflows 64-bit time")))?;
                tk::add(t, d, sub, &what)?
            }
            (Kind::Delta(u), Kind::Delta(v)) if u == v => tk::add(p, q, sub, &what)?,
            _ => {
                return Err(EvalError::Value(format!(
                    "{what} of these dates and times is not defined"
                )))
            }
        }));
    }
    new_column(&shape, time_array(out, ty)?)
}

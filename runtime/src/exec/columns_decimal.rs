//! Decimal nodes run as compiled kernels over `Decimal128` columns
//! ([`blaze_codegen::DecimalKernel`]): `+ - *` of two decimals (equal
//! shapes, or one a single value broadcast to every row), comparisons,
//! `cast float64` and to integers, and `sum`, `min`, `max` over all axes. Rows are cut
//! into chunks of [`ROWS_PER_CHUNK`](super::columns::ROWS_PER_CHUNK) run on
//! rayon. The results are the interpreter's (`blaze_interp::kernels::decimal`):
//! an overflow is the interpreter's error (the kernel stops at the first
//! row that overflows and reports it); a cast whose value is not exactly
//! `v / 10^scale` in one float division (|v| >= 2^53) is converted by the
//! reference conversion for those rows; a sum whose running value may
//! leave the precision is recomputed by the reference kernel, which gives
//! its error or value. Values of another layout run on the reference
//! kernels and are listed as fallbacks.

use super::columns::{addr, call_kernel, chunked, kernel, validity};
use super::{Options, Report};
use crate::error::Error;
use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::{Array as _, ArrayRef, Decimal128Array};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use blaze_codegen::{ColumnKernel, DecimalKernel, DecimalOp};
use blaze_datashape::{Datashape, Measure, Scalar};
use blaze_interp::kernels::decimal as dec;
use blaze_interp::{eval_op, Column, EvalError, Value};
use blaze_ir::ops::ReduceFn;
use blaze_ir::{Function, NodeId, Op};
use ndarray::{ArrayD, IxDyn};
use std::fmt;
use std::sync::Arc;

/// A node that runs as a decimal kernel.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct DecimalPlan {
    /// What it computes.
    pub(super) op: DecimalOp,
    /// The scales of its operands (the first's twice for one operand).
    pub(super) scales: (u32, u32),
    /// The result's precision and scale (the operand's for a comparison or
    /// a cast).
    pub(super) result: (u32, u32),
    /// The integer type of a cast to integers.
    pub(super) cast: Option<Scalar>,
}

/// The range of the integer types a decimal kernel casts to (those whose
/// range an `i64` holds).
fn int_range(t: Scalar) -> Option<(i64, i64)> {
    Some(match t {
        Scalar::Int8 => (i8::MIN.into(), i8::MAX.into()),
        Scalar::Int16 => (i16::MIN.into(), i16::MAX.into()),
        Scalar::Int32 => (i32::MIN.into(), i32::MAX.into()),
        Scalar::Int64 => (i64::MIN, i64::MAX),
        Scalar::UInt8 => (0, u8::MAX.into()),
        Scalar::UInt16 => (0, u16::MAX.into()),
        Scalar::UInt32 => (0, u32::MAX.into()),
        _ => return None,
    })
}

/// `(precision, scale)` of a decimal type, options included.
fn decimal_of(ty: &Datashape) -> Option<(u32, u32)> {
    let m = match &ty.measure {
        Measure::Option { inner } => inner.as_ref(),
        m => m,
    };
    match m {
        Measure::Decimal { precision, scale } => Some((*precision, *scale)),
        _ => None,
    }
}

/// The decimal kernel of node `id`, if it is decimal arithmetic, a
/// comparison of decimals, a cast of decimals to `float64` or a `sum`,
/// `min`, `max` of decimals over all axes.
pub(super) fn decimal_plan(f: &Function, id: NodeId) -> Option<DecimalPlan> {
    let node = f.node(id);
    let arg = |k: usize| node.args.get(k).and_then(|a| decimal_of(&f.node(*a).ty));
    let plan = match &node.op {
        Op::Binary(bf) if node.args.len() == 2 => {
            let ((_, sa), (_, sb)) = (arg(0)?, arg(1)?);
            if DecimalKernel::ARITH.contains(bf) {
                DecimalPlan {
                    op: DecimalOp::Arith(*bf),
                    scales: (sa, sb),
                    result: decimal_of(&node.ty)?,
                    cast: None,
                }
            } else if bf.is_comparison() {
                DecimalPlan {
                    op: DecimalOp::Compare(*bf),
                    scales: (sa, sb),
                    result: arg(0)?,
                    cast: None,
                }
            } else {
                return None;
            }
        }
        Op::Cast(Scalar::Float64) if node.args.len() == 1 => {
            let (p, s) = arg(0)?;
            DecimalPlan {
                op: DecimalOp::ToFloat64,
                scales: (s, s),
                result: (p, s),
                cast: None,
            }
        }
        Op::Cast(t) if node.args.len() == 1 && int_range(*t).is_some() => {
            let (p, s) = arg(0)?;
            DecimalPlan {
                op: DecimalOp::ToInt,
                scales: (s, s),
                result: (p, s),
                cast: Some(*t),
            }
        }
        Op::Reduce {
            f: rf,
            axes,
            keepdims: false,
        } if DecimalKernel::REDUCTIONS.contains(rf) && node.args.len() == 1 => {
            let (_, s) = arg(0)?;
            let rank = node.args.first().map(|a| f.node(*a).ty.dims.len())?;
            let all = axes
                .as_ref()
                .is_none_or(|a| a.len() == rank && a.iter().enumerate().all(|(k, &d)| k == d));
            let result = decimal_of(&node.ty)?;
            if !all || result.1 != s {
                return None;
            }
            DecimalPlan {
                op: DecimalOp::Reduce(*rf),
                scales: (s, s),
                result,
                cast: None,
            }
        }
        _ => return None,
    };
    let key = DecimalKernel {
        op: plan.op,
        scales: plan.scales,
        result: plan.result,
        validity: (false, false),
    };
    key.check().is_ok().then_some(plan)
}

/// A decimal column's values (the address of its row 0) and validity.
struct Operand<'a> {
    col: &'a Column,
    array: &'a Decimal128Array,
    values: usize,
    valid: Option<(usize, i64)>,
}

/// `v` as an operand if it is a `Decimal128` column at `scale`.
fn operand(v: &Value, scale: u32) -> Option<Operand<'_>> {
    let Value::Column(col) = v else { return None };
    let array = col.array.as_primitive_opt::<Decimal128Type>()?;
    if array.scale() < 0 || array.scale() as u32 != scale || array.len() != col.len() {
        return None;
    }
    Some(Operand {
        col,
        array,
        values: addr(array.values().as_ptr()),
        valid: validity(array),
    })
}

fn decimal_column(
    shape: &[usize],
    values: Vec<i128>,
    nulls: Option<NullBuffer>,
    (p, s): (u32, u32),
) -> Result<Value, Error> {
    let (pp, ss) = (u8::try_from(p).ok(), i8::try_from(s).ok());
    let (Some(pp), Some(ss)) = (pp, ss) else {
        return Err(
            EvalError::Value(format!("`decimal[{p}, {s}]` is not a 128-bit decimal")).into(),
        );
    };
    let a = Decimal128Array::try_new(ScalarBuffer::from(values), nulls)
        .and_then(|a| a.with_precision_and_scale(pp, ss))
        .map_err(|e| EvalError::Value(format!("`decimal[{p}, {s}]`: {e}")))?;
    Ok(Value::Column(Column::new(
        shape.to_vec(),
        Arc::new(a) as ArrayRef,
    )?))
}

fn dense<T: blaze_interp::Element>(
    shape: &[usize],
    v: Vec<T>,
    missing: Option<Vec<bool>>,
) -> Result<Value, Error> {
    let err = |e: ndarray::ShapeError| EvalError::Shape(format!("a decimal kernel's result: {e}"));
    let data = T::wrap(ArrayD::from_shape_vec(IxDyn(shape), v).map_err(err)?);
    let missing = missing
        .map(|m| ArrayD::from_shape_vec(IxDyn(shape), m).map_err(err))
        .transpose()?;
    Ok(Value::Array { data, missing })
}

impl DecimalPlan {
    fn key(&self, validity: (bool, bool)) -> ColumnKernel {
        ColumnKernel::Decimal(DecimalKernel {
            op: self.op,
            scales: self.scales,
            result: self.result,
            validity,
        })
    }

    /// Runs node `id` of `f`: the kernel when its operands are
    /// `Decimal128` columns of fitting shapes, else the reference kernels
    /// (listed in the report's fallbacks).
    pub(super) fn run<'a>(
        &self,
        f: &Function,
        id: NodeId,
        value: impl Fn(NodeId) -> Result<&'a Value, Error>,
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Value, Error> {
        let node = f.node(id);
        let args = node
            .args
            .iter()
            .map(|&a| value(a))
            .collect::<Result<Vec<_>, _>>()?;
        let got = match self.op {
            DecimalOp::Arith(_) | DecimalOp::Compare(_) => match (
                args.first().and_then(|v| operand(v, self.scales.0)),
                args.get(1).and_then(|v| operand(v, self.scales.1)),
            ) {
                (Some(a), Some(b)) => self.binary(&node.ty, &a, &b, opts, pool, report)?,
                _ => None,
            },
            DecimalOp::ToFloat64 => match args.first().and_then(|v| operand(v, self.scales.0)) {
                Some(a) => Some(self.to_f64(&a, opts, pool, report)?),
                None => None,
            },
            DecimalOp::ToInt => match (
                args.first().and_then(|v| operand(v, self.scales.0)),
                self.cast,
            ) {
                (Some(a), Some(t)) => Some(self.to_int(t, &a, opts, pool, report)?),
                _ => None,
            },
            DecimalOp::Reduce(rf) => match args.first().and_then(|v| operand(v, self.scales.0)) {
                Some(a) => match self.reduce(rf, &node.ty, &a, opts, pool, report)? {
                    Some(v) => Some(v),
                    // The running sum may leave the precision: the
                    // reference kernel decides (its error or its value).
                    None => Some(eval_op(f, id, args.iter().map(|v| (*v).clone()).collect())?),
                },
                None => None,
            },
        };
        match got {
            Some(v) => Ok(v),
            None => {
                report.fallbacks.push(f.node_text(id));
                Ok(eval_op(f, id, args.iter().map(|v| (*v).clone()).collect())?)
            }
        }
    }

    /// Arithmetic or a comparison; `None` when the shapes neither match
    /// nor broadcast one value.
    fn binary(
        &self,
        ty: &Datashape,
        a: &Operand<'_>,
        b: &Operand<'_>,
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Option<Value>, Error> {
        let one = |o: &Operand<'_>| o.col.shape.is_empty() && o.col.len() == 1;
        let (shape, rows, steps) = if a.col.shape == b.col.shape {
            (a.col.shape.clone(), a.col.len(), (1, 1))
        } else if one(a) {
            (b.col.shape.clone(), b.col.len(), (0, 1))
        } else if one(b) {
            (a.col.shape.clone(), a.col.len(), (1, 0))
        } else {
            return Ok(None);
        };
        let key = self.key((a.valid.is_some(), b.valid.is_some()));
        let c = kernel(&key, opts.dumps, Some(report))?;
        let (av, abit) = a.valid.unwrap_or((0, 0));
        let (bv, bbit) = b.valid.unwrap_or((0, 0));
        let args = [abit, bbit, steps.0, steps.1];
        // The rows' validity: both operands present.
        let nulls_of = |o: &Operand<'_>, step: i64| -> Option<NullBuffer> {
            match (o.array.nulls(), step) {
                (Some(n), 0) if n.is_null(0) => Some(NullBuffer::new_null(rows)),
                (_, 0) => None,
                (n, _) => n.cloned(),
            }
        };
        let nulls = NullBuffer::union(nulls_of(a, steps.0).as_ref(), nulls_of(b, steps.1).as_ref())
            .filter(|n| n.null_count() > 0);
        match self.op {
            DecimalOp::Arith(bf) => {
                let mut out = vec![0i128; rows];
                let out_ptr = addr(out.as_mut_ptr());
                let errors = chunked(rows, pool, |s, e| {
                    let mut err = -1i64;
                    let ptrs = [
                        a.values,
                        av,
                        b.values,
                        bv,
                        out_ptr,
                        addr(&mut err as *mut i64),
                    ];
                    // SAFETY: the operands cover `rows` rows (or one row
                    // with step 0); each chunk writes its own rows of `out`.
                    unsafe { call_kernel(&c, &ptrs, &args, s, e) };
                    err
                })?;
                if errors.iter().any(|&e| e >= 0) {
                    let (p, s) = self.result;
                    return Err(EvalError::Value(format!(
                        "decimal overflow in `{}`: the result does not fit `decimal[{p}, {s}]`",
                        bf.name()
                    ))
                    .into());
                }
                decimal_column(&shape, out, nulls, self.result).map(Some)
            }
            _ => {
                let mut out = vec![false; rows];
                let out_ptr = addr(out.as_mut_ptr());
                chunked(rows, pool, |s, e| {
                    let ptrs = [a.values, av, b.values, bv, out_ptr, 0];
                    // SAFETY: as above; the kernel writes 0 or 1 in each
                    // `bool` byte of its rows.
                    unsafe { call_kernel(&c, &ptrs, &args, s, e) }
                })?;
                let option = matches!(ty.measure, Measure::Option { .. });
                let missing = option.then(|| match &nulls {
                    Some(n) => n.iter().map(|v| !v).collect(),
                    None => vec![false; rows],
                });
                dense(&shape, out, missing).map(Some)
            }
        }
    }

    /// `cast float64`: the kernel's exact quotients, the other present
    /// rows (NaN) converted by the reference conversion.
    fn to_f64(
        &self,
        a: &Operand<'_>,
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Value, Error> {
        let rows = a.col.len();
        let c = kernel(
            &self.key((a.valid.is_some(), false)),
            opts.dumps,
            Some(report),
        )?;
        let (av, abit) = a.valid.unwrap_or((0, 0));
        let mut out = vec![0f64; rows];
        let out_ptr = addr(out.as_mut_ptr());
        chunked(rows, pool, |s, e| {
            let ptrs = [a.values, av, out_ptr];
            // SAFETY: the column has `rows` values; each chunk writes its
            // own rows.
            unsafe { call_kernel(&c, &ptrs, &[abit], s, e) }
        })?;
        let values = a.array.values();
        for (i, slot) in out.iter_mut().enumerate() {
            if slot.is_nan() {
                if let Some(&v) = values.get(i) {
                    *slot = dec::to_f64(v, self.scales.0);
                }
            }
        }
        let missing = (a.array.null_count() > 0)
            .then(|| (0..rows).map(|i| a.array.is_null(i)).collect::<Vec<bool>>());
        dense(&a.col.shape, out, missing)
    }

    /// A cast to the integer type `t`: the kernel's quotients, the rows it
    /// marks (|v| >= 2^63) converted by the reference conversion, the
    /// first row out of range (in row order) the reference error.
    fn to_int(
        &self,
        t: Scalar,
        a: &Operand<'_>,
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Value, Error> {
        let (lo, hi) = int_range(t).ok_or_else(|| {
            EvalError::Value(format!("no decimal kernel casts to `{}`", t.name()))
        })?;
        let rows = a.col.len();
        let c = kernel(
            &self.key((a.valid.is_some(), false)),
            opts.dumps,
            Some(report),
        )?;
        let (av, abit) = a.valid.unwrap_or((0, 0));
        let mut out = vec![0i64; rows];
        let mut slow = vec![false; rows];
        let (out_ptr, slow_ptr) = (addr(out.as_mut_ptr()), addr(slow.as_mut_ptr()));
        let errors = chunked(rows, pool, |b, e| {
            let mut err = -1i64;
            let ptrs = [a.values, av, out_ptr, slow_ptr, addr(&mut err as *mut i64)];
            // SAFETY: the column has `rows` values; each chunk writes its
            // own rows of `out` and `slow` (0 or 1 in each `bool` byte).
            unsafe { call_kernel(&c, &ptrs, &[abit, lo, hi], b, e) };
            err
        })?;
        let first_bad = errors
            .iter()
            .find(|&&e| e >= 0)
            .and_then(|&e| usize::try_from(e).ok());
        let values = a.array.values();
        let s = self.scales.0;
        for (i, slot) in out.iter_mut().enumerate().take(first_bad.unwrap_or(rows)) {
            if slow.get(i).copied().unwrap_or(false) {
                if let Some(&v) = values.get(i) {
                    *slot = i64::try_from(dec::to_int(v, s, t)?).unwrap_or_default();
                }
            }
        }
        if let Some(row) = first_bad {
            let v = values.get(row).copied().unwrap_or_default();
            dec::to_int(v, s, t)?;
            return Err(EvalError::Value(format!(
                "the decimal {} is out of the range of `{}`",
                dec::text(v, s),
                t.name()
            ))
            .into());
        }
        let missing = (a.array.null_count() > 0)
            .then(|| (0..rows).map(|i| a.array.is_null(i)).collect::<Vec<bool>>());
        let shape = &a.col.shape;
        match t {
            Scalar::Int8 => dense(shape, out.iter().map(|&v| v as i8).collect(), missing),
            Scalar::Int16 => dense(shape, out.iter().map(|&v| v as i16).collect(), missing),
            Scalar::Int32 => dense(shape, out.iter().map(|&v| v as i32).collect(), missing),
            Scalar::UInt8 => dense(shape, out.iter().map(|&v| v as u8).collect(), missing),
            Scalar::UInt16 => dense(shape, out.iter().map(|&v| v as u16).collect(), missing),
            Scalar::UInt32 => dense(shape, out.iter().map(|&v| v as u32).collect(), missing),
            _ => dense(shape, out, missing),
        }
    }

    /// `sum`, `min` or `max` over all values; `None` for a sum whose
    /// running value may leave the precision (or `i128`).
    fn reduce(
        &self,
        rf: ReduceFn,
        ty: &Datashape,
        a: &Operand<'_>,
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Option<Value>, Error> {
        let rows = a.col.len();
        let c = kernel(
            &self.key((a.valid.is_some(), false)),
            opts.dumps,
            Some(report),
        )?;
        let (av, abit) = a.valid.unwrap_or((0, 0));
        let parts = chunked(rows, pool, |s, e| {
            let mut out = [0i128; 5];
            let ptrs = [a.values, av, addr(out.as_mut_ptr())];
            // SAFETY: the column has `rows` values; the kernel writes the
            // five slots of `out`.
            unsafe { call_kernel(&c, &ptrs, &[abit], s, e) };
            out
        })?;
        let (p, s) = self.result;
        let result = |v: Option<i128>| -> Result<Option<Value>, Error> {
            let nulls = v.is_none().then(|| NullBuffer::new_null(1));
            decimal_column(&[], vec![v.unwrap_or(0)], nulls, (p, s)).map(Some)
        };
        if rf == ReduceFn::Sum {
            let limit = dec::pow10(p);
            let mut total = 0i128;
            for [sum, lo, hi, _, over] in parts {
                let inside = |x: i128| {
                    total
                        .checked_add(x)
                        .is_some_and(|t| limit.is_none_or(|l| t > -l && t < l))
                };
                if over != 0 || !inside(lo) || !inside(hi) {
                    return Ok(None);
                }
                match total.checked_add(sum) {
                    Some(t) => total = t,
                    None => return Ok(None),
                }
            }
            return result(Some(total));
        }
        let best = parts
            .iter()
            .filter(|part| part[3] > 0)
            .map(|part| part[0])
            .reduce(|x, y| {
                if rf == ReduceFn::Min {
                    x.min(y)
                } else {
                    x.max(y)
                }
            });
        if best.is_none() && !matches!(ty.measure, Measure::Option { .. }) {
            return Err(EvalError::Value(format!("`{}` of no values", rf.name())).into());
        }
        result(best)
    }
}

impl fmt::Display for DecimalPlan {
    /// `decimal kernel | + of scales 4 2 to decimal[19, 4]`, `decimal
    /// kernel | < of scales 4 2`, `decimal kernel | cast float64 of scale
    /// 4`, `decimal kernel | sum over all of scale 2 to decimal[38, 2]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sa, sb) = self.scales;
        let (p, s) = self.result;
        match self.op {
            DecimalOp::Arith(b) => write!(
                f,
                "decimal kernel | {} of scales {sa} {sb} to decimal[{p}, {s}]",
                b.name()
            ),
            DecimalOp::Compare(b) => {
                write!(f, "decimal kernel | {} of scales {sa} {sb}", b.name())
            }
            DecimalOp::ToFloat64 => write!(f, "decimal kernel | cast float64 of scale {sa}"),
            DecimalOp::ToInt => write!(
                f,
                "decimal kernel | cast {} of scale {sa}",
                self.cast.map_or("integer", |t| t.name())
            ),
            DecimalOp::Reduce(r) => write!(
                f,
                "decimal kernel | {} over all of scale {sa} to decimal[{p}, {s}]",
                r.name()
            ),
        }
    }
}

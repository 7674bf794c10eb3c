//! Selection `x[mask]` along axis 0 with a dense `bool` mask (missing
//! counts as false), compiled: a kernel counts the selected rows of each
//! chunk of [`ROWS_PER_CHUNK`] rows
//! ([`ColumnKernel::MaskCount`](blaze_codegen::ColumnKernel)), the counts'
//! running sums place each chunk's rows in the result, and a pass on
//! rayon copies every chunk into its place: dense arrays of any rank with
//! their masks, `Utf8` columns (offsets and bytes), `Decimal128` columns
//! (values and validity), `List` columns of ragged rows (each chunk
//! filtered by Arrow's kernel), and records of these, field by field. Values
//! of another layout run on the reference kernels and are listed as
//! fallbacks.

use super::columns::{addr, call_kernel, chunked, kernel, ROWS_PER_CHUNK};
use super::{Options, Report};
use crate::error::Error;
use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::{Array as _, ArrayRef, BooleanArray, Decimal128Array, StringArray};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use blaze_codegen::ColumnKernel;
use blaze_interp::{eval_op, with_array, Array, Column, Element, EvalError, Value};
use blaze_ir::{Function, NodeId};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
use std::sync::Arc;

/// Where the selected rows go: the mask, its missing bytes, and per chunk
/// the number of rows it selects and the selected rows before it.
struct Selection<'m> {
    mask: &'m [bool],
    missing: Option<&'m [bool]>,
    counts: Vec<usize>,
    total: usize,
}

impl Selection<'_> {
    fn take(&self, r: usize) -> bool {
        self.mask.get(r).copied().unwrap_or(false)
            && !self
                .missing
                .is_some_and(|m| m.get(r).copied().unwrap_or(true))
    }

    fn rows(&self) -> usize {
        self.mask.len()
    }

    /// Runs `work(chunk, rows)` for every chunk in parallel, `rows` its
    /// range of rows.
    fn each_chunk<D: Send>(
        &self,
        pool: Option<&rayon::ThreadPool>,
        parts: Vec<D>,
        work: impl Fn(std::ops::Range<usize>, D) + Sync,
    ) {
        let rows = self.rows();
        let run = || {
            parts.into_par_iter().enumerate().for_each(|(c, d)| {
                let begin = c * ROWS_PER_CHUNK;
                work(begin..(begin + ROWS_PER_CHUNK).min(rows), d)
            })
        };
        match pool {
            Some(p) => p.install(run),
            None => run(),
        }
    }
}

/// Splits `out` into consecutive pieces of `sizes` elements.
fn split<'o, T>(mut out: &'o mut [T], sizes: &[usize]) -> Vec<&'o mut [T]> {
    let mut parts = Vec::with_capacity(sizes.len());
    for &n in sizes {
        let (head, tail) = out.split_at_mut(n.min(out.len()));
        parts.push(head);
        out = tail;
    }
    parts
}

fn too_large() -> Error {
    EvalError::Shape("a selection's result is too large".into()).into()
}

/// The selected rows of `src`, rows of `inner` elements each.
fn gather<T: Copy + Default + Send + Sync>(
    sel: &Selection<'_>,
    src: &[T],
    inner: usize,
    pool: Option<&rayon::ThreadPool>,
) -> Result<Vec<T>, Error> {
    if sel.rows().checked_mul(inner) != Some(src.len()) {
        return Err(EvalError::Shape("a selection's operand does not fit its mask".into()).into());
    }
    let len = sel.total.checked_mul(inner).ok_or_else(too_large)?;
    let mut out = vec![T::default(); len];
    let sizes: Vec<usize> = sel.counts.iter().map(|&c| c * inner).collect();
    sel.each_chunk(pool, split(&mut out, &sizes), |rows, dst| {
        let mut k = 0;
        for r in rows.filter(|&r| sel.take(r)) {
            let from = src.get(r * inner..(r + 1) * inner);
            if let (Some(d), Some(s)) = (dst.get_mut(k..k + inner), from) {
                d.copy_from_slice(s);
            }
            k += inner;
        }
    });
    Ok(out)
}

/// The validity of the selected rows, if the array has nulls.
fn gather_nulls(
    sel: &Selection<'_>,
    nulls: Option<&NullBuffer>,
    pool: Option<&rayon::ThreadPool>,
) -> Result<Option<NullBuffer>, Error> {
    match nulls.filter(|n| n.null_count() > 0) {
        Some(n) => {
            let valid: Vec<bool> = n.iter().collect();
            Ok(Some(NullBuffer::from(gather(sel, &valid, 1, pool)?)))
        }
        None => Ok(None),
    }
}

/// The selected strings: each chunk's bytes counted, then its offsets and
/// bytes copied into place.
fn gather_strings(
    sel: &Selection<'_>,
    s: &StringArray,
    pool: Option<&rayon::ThreadPool>,
) -> Result<ArrayRef, Error> {
    let offsets = s.value_offsets();
    let data = s.value_data();
    let len = |r: usize| -> usize {
        match (offsets.get(r), offsets.get(r + 1)) {
            (Some(&a), Some(&b)) if a >= 0 && b >= a => (b - a) as usize,
            _ => 0,
        }
    };
    let bytes: Vec<usize> = chunked(sel.rows(), pool, |b, e| {
        (b..e).filter(|&r| sel.take(r)).map(len).sum()
    })?;
    let total = bytes
        .iter()
        .try_fold(0usize, |a, &b| a.checked_add(b))
        .filter(|&t| i32::try_from(t).is_ok())
        .ok_or_else(too_large)?;
    let mut out_offs = vec![0i32; sel.total + 1];
    let mut out_bytes = vec![0u8; total];
    let mut starts = Vec::with_capacity(bytes.len());
    let mut acc = 0usize;
    for &b in &bytes {
        starts.push(acc);
        acc += b;
    }
    let parts: Vec<(usize, &mut [i32], &mut [u8])> = split(&mut out_offs[1..], &sel.counts)
        .into_iter()
        .zip(split(&mut out_bytes, &bytes))
        .zip(starts)
        .map(|((o, b), s)| (s, o, b))
        .collect();
    sel.each_chunk(pool, parts, |rows, (start, offs, dst)| {
        let (mut k, mut at) = (0usize, 0usize);
        for r in rows.filter(|&r| sel.take(r)) {
            let n = len(r);
            let from = offsets.get(r).map_or(0, |&o| o.max(0) as usize);
            if let (Some(d), Some(src)) = (dst.get_mut(at..at + n), data.get(from..from + n)) {
                d.copy_from_slice(src);
            }
            at += n;
            if let Some(o) = offs.get_mut(k) {
                *o = (start + at) as i32;
            }
            k += 1;
        }
    });
    let nulls = gather_nulls(sel, s.nulls(), pool)?;
    let offsets = OffsetBuffer::new(ScalarBuffer::from(out_offs));
    StringArray::try_new(offsets, Buffer::from_vec(out_bytes), nulls)
        .map(|a| Arc::new(a) as ArrayRef)
        .map_err(|e| EvalError::Value(format!("a selection of strings: {e}")).into())
}

/// The selected rows of a list column (ragged rows): each chunk of rows
/// filtered by Arrow's kernel on rayon, the chunks concatenated.
fn select_lists(
    sel: &Selection<'_>,
    a: &ArrayRef,
    pool: Option<&rayon::ThreadPool>,
) -> Result<ArrayRef, Error> {
    let rows = sel.rows();
    let chunks = rows.div_ceil(ROWS_PER_CHUNK);
    let work = || -> Vec<Result<ArrayRef, arrow_schema::ArrowError>> {
        (0..chunks)
            .into_par_iter()
            .map(|c| {
                let b = c * ROWS_PER_CHUNK;
                let e = (b + ROWS_PER_CHUNK).min(rows);
                let keep: BooleanArray = (b..e).map(|r| Some(sel.take(r))).collect();
                arrow_select::filter::filter(a.slice(b, e - b).as_ref(), &keep)
            })
            .collect()
    };
    let bad = |e: arrow_schema::ArrowError| -> Error {
        EvalError::Value(format!("a selection of ragged rows: {e}")).into()
    };
    let parts = match pool {
        Some(p) => p.install(work),
        None => work(),
    }
    .into_iter()
    .collect::<Result<Vec<ArrayRef>, _>>()
    .map_err(bad)?;
    if parts.is_empty() {
        return Ok(arrow_array::new_empty_array(a.data_type()));
    }
    let refs: Vec<&dyn arrow_array::Array> = parts.iter().map(|p| p.as_ref()).collect();
    arrow_select::concat::concat(&refs).map_err(bad)
}

/// The selected rows of `v`, `None` when a part of it has a layout the
/// pass does not copy.
fn select_value(
    sel: &Selection<'_>,
    v: &Value,
    pool: Option<&rayon::ThreadPool>,
) -> Result<Option<Value>, Error> {
    Ok(Some(match v {
        Value::Array { data, missing } => {
            let shape = data.shape().to_vec();
            if shape.first() != Some(&sel.rows()) {
                return Ok(None);
            }
            let inner: usize = shape[1..].iter().product();
            let mut out_shape = shape.clone();
            out_shape[0] = sel.total;
            let err = |e: ndarray::ShapeError| EvalError::Shape(format!("a selection: {e}"));
            let data = with_array!(data, a => {
                let a = a.as_standard_layout();
                let src = a.as_slice().ok_or_else(too_large)?;
                let out = gather(sel, src, inner, pool)?;
                Element::wrap(ArrayD::from_shape_vec(IxDyn(&out_shape), out).map_err(err)?)
            });
            let missing = match missing {
                Some(m) => {
                    let m = m.as_standard_layout();
                    let src = m.as_slice().ok_or_else(too_large)?;
                    let out = gather(sel, src, inner, pool)?;
                    Some(ArrayD::from_shape_vec(IxDyn(&out_shape), out).map_err(err)?)
                }
                None => None,
            };
            Value::Array { data, missing }
        }
        Value::Record(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            for (name, f) in fields {
                match select_value(sel, f, pool)? {
                    Some(v) => out.push((name.clone(), v)),
                    None => return Ok(None),
                }
            }
            Value::Record(out)
        }
        Value::Column(c) if c.shape.len() == 1 && c.len() == sel.rows() => {
            let array: ArrayRef = if let Some(s) = c.array.as_string_opt::<i32>() {
                gather_strings(sel, s, pool)?
            } else if let Some(d) = c.array.as_primitive_opt::<Decimal128Type>() {
                let values = gather(sel, d.values(), 1, pool)?;
                let nulls = gather_nulls(sel, d.nulls(), pool)?;
                let a = Decimal128Array::try_new(ScalarBuffer::from(values), nulls)
                    .map(|a| a.with_data_type(d.data_type().clone()))
                    .map_err(|e| EvalError::Value(format!("a selection of decimals: {e}")))?;
                Arc::new(a)
            } else if c.array.as_list_opt::<i32>().is_some() {
                select_lists(sel, &c.array, pool)?
            } else {
                return Ok(None);
            };
            Value::Column(Column::new(vec![sel.total], array)?)
        }
        _ => return Ok(None),
    }))
}

/// Runs the selection node `id` of `f` (`x[mask]`): compiled when the mask
/// is a dense 1-d `bool` array as long as `x`'s axis 0 and `x` has a
/// layout the pass copies, else on the reference kernels (listed in the
/// report's fallbacks).
pub(super) fn run_select<'a>(
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
    if let [x, Value::Array {
        data: Array::Bool(mask),
        missing,
    }] = args.as_slice()
    {
        let mask_c = mask.as_standard_layout();
        let missing_c = missing.as_ref().map(|m| m.as_standard_layout());
        let miss: Option<Option<&[bool]>> = match &missing_c {
            Some(mc) => mc.as_slice().map(Some),
            None => Some(None),
        };
        if let (1, Some(m), Some(miss)) = (mask.ndim(), mask_c.as_slice(), miss) {
            if let Some(v) = select_rows(x, m, miss, opts, pool, report)? {
                return Ok(v);
            }
        }
    }
    report.fallbacks.push(f.node_text(id));
    Ok(eval_op(f, id, args.iter().map(|v| (*v).clone()).collect())?)
}

/// `x[mask]` compiled, `None` when `x` is not as long as the mask along
/// axis 0 or has a layout the pass does not copy.
fn select_rows(
    x: &Value,
    mask: &[bool],
    missing: Option<&[bool]>,
    opts: &Options,
    pool: Option<&rayon::ThreadPool>,
    report: &mut Report,
) -> Result<Option<Value>, Error> {
    if missing.is_some_and(|m| m.len() != mask.len()) {
        return Ok(None);
    }
    let key = ColumnKernel::MaskCount {
        missing: missing.is_some(),
    };
    let c = kernel(&key, opts.dumps, Some(report))?;
    let (mp, xp) = (addr(mask.as_ptr()), missing.map_or(0, |m| addr(m.as_ptr())));
    let counts = chunked(mask.len(), pool, |b, e| {
        let mut n = 0i64;
        let ptrs = [mp, xp, addr(&mut n as *mut i64)];
        // SAFETY: the mask (and its missing bytes) cover the rows, each a
        // `bool` byte; the kernel writes `n`.
        unsafe { call_kernel(&c, &ptrs, &[], b, e) };
        usize::try_from(n).unwrap_or(0)
    })?;
    let total = counts.iter().sum();
    let sel = Selection {
        mask,
        missing,
        counts,
        total,
    };
    select_value(&sel, x, pool)
}

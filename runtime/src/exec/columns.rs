//! Compiled kernels over [`Column`]s, read in place from their Arrow
//! buffers: segmented reductions of the rows of a ragged (`List`) column
//! ([`segmented_reduce`]) and string predicates and `len` over a `Utf8`
//! column against a literal ([`string_map`], and [`string_count`], which
//! counts the rows a predicate holds for without writing a `bool` array).
//!
//! The engine's plan runs nodes with them through `column_plan`.
//!
//! The rows are cut into chunks of a fixed number of rows run on rayon;
//! every output row is computed by one kernel call in one order and the
//! counts of the chunks are added in chunk order, so results do not
//! depend on the thread count. The kernels come from the JIT's cache
//! ([`blaze_codegen::ColumnKernel`]).

use super::launch::pool;
use super::Report;
use crate::error::{Error, JitError};
use arrow_array::cast::AsArray;
use arrow_array::{Array as _, ArrayRef};
pub use blaze_codegen::StringOp;
use blaze_codegen::{jit, ColumnKernel, Compiled, Dumps, SegmentedKernel, StringKernel};
use blaze_datashape::Scalar;
use blaze_interp::{with_scalar, Column, Element, EvalError, Value};
use blaze_ir::ops::ReduceFn;
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
use std::sync::Arc;
use std::time::Instant;

/// Rows per chunk of a column kernel's run.
pub const ROWS_PER_CHUNK: usize = 1 << 14;

pub(super) use blaze_array::arrow::scalar_of;

/// The compiled kernel for `key` and the seconds spent compiling it (0
/// when cached), recorded in `report` when given.
pub(super) fn kernel(
    key: &ColumnKernel,
    dumps: Dumps,
    report: Option<&mut Report>,
) -> Result<Arc<Compiled>, Error> {
    let jit = jit().map_err(|e| JitError {
        kernel: None,
        message: e.0,
    })?;
    let t0 = Instant::now();
    let before = jit.cached();
    let c = jit.column_kernel(key, dumps).map_err(|e| JitError {
        kernel: Some(key.text()),
        message: e.0,
    })?;
    if let Some(r) = report {
        if jit.cached() > before {
            r.compile_seconds += t0.elapsed().as_secs_f64();
        }
        r.kernels.push(c.clone());
    }
    Ok(c)
}

/// A pointer as an address, so that closures run on rayon may carry it.
pub(super) fn addr<T>(p: *const T) -> usize {
    p as usize
}

/// Runs `call(begin, end)` over the rows `0..rows` in chunks of
/// [`ROWS_PER_CHUNK`], in parallel on `pool` (rayon's global pool when
/// `None`), one result per chunk in chunk order.
pub(super) fn chunked<R: Send>(
    rows: usize,
    pool: Option<&rayon::ThreadPool>,
    call: impl Fn(usize, usize) -> R + Sync,
) -> Result<Vec<R>, Error> {
    let chunks = rows.div_ceil(ROWS_PER_CHUNK);
    let run = || -> Vec<R> {
        (0..chunks)
            .into_par_iter()
            .map(|c| {
                let begin = c * ROWS_PER_CHUNK;
                call(begin, (begin + ROWS_PER_CHUNK).min(rows))
            })
            .collect()
    };
    if chunks <= 1 {
        return Ok((0..chunks).map(|_| call(0, rows)).collect());
    }
    Ok(match pool {
        Some(p) => p.install(run),
        None => run(),
    })
}

/// Calls a column kernel on `ptrs` and `args` for the rows `begin..end`.
///
/// # Safety
/// `ptrs` and `args` must be what the kernel's documentation in
/// `blaze_codegen::arrow_kernels` asks for, every buffer covering the rows.
pub(super) unsafe fn call_kernel(
    c: &Compiled,
    ptrs: &[usize],
    args: &[i64],
    begin: usize,
    end: usize,
) {
    let ptrs: Vec<*mut u8> = ptrs.iter().map(|&p| p as *mut u8).collect();
    let shape = [0i64];
    (c.func)(
        ptrs.as_ptr(),
        args.as_ptr(),
        shape.as_ptr(),
        begin as i64,
        end as i64,
    );
}

/// The bitmap (first byte) and bit offset of an array's validity, if it
/// has nulls.
pub(super) fn validity(a: &dyn arrow_array::Array) -> Option<(usize, i64)> {
    let nulls = a.nulls().filter(|n| n.null_count() > 0)?;
    Some((addr(nulls.buffer().as_ptr()), nulls.offset() as i64))
}

/// Checks that `offsets` (a list's or a string array's, one more than its
/// rows) index inside `len` elements.
fn check_offsets(offsets: &[i32], len: usize, what: &str) -> Result<(), Error> {
    let first = offsets.first().copied().unwrap_or(0);
    let last = offsets.last().copied().unwrap_or(0);
    if first < 0 || last < first || last as usize > len {
        return Err(EvalError::Input(format!(
            "the offsets of the {what} ({first}..{last}) do not fit its {len} elements"
        ))
        .into());
    }
    Ok(())
}

/// The value a run gives: `data` shaped as the column, with `missing`.
fn shaped(
    shape: &[usize],
    data: blaze_interp::Array,
    missing: Option<Vec<bool>>,
) -> Result<Value, Error> {
    let missing = match missing {
        Some(m) => Some(
            ArrayD::from_shape_vec(IxDyn(shape), m)
                .map_err(|e| EvalError::Shape(format!("a column kernel's mask: {e}")))?,
        ),
        None => None,
    };
    Ok(Value::Array { data, missing })
}

fn as_array<T: Element>(shape: &[usize], v: Vec<T>) -> Result<blaze_interp::Array, Error> {
    Ok(T::wrap(ArrayD::from_shape_vec(IxDyn(shape), v).map_err(
        |e| EvalError::Shape(format!("a column kernel's result: {e}")),
    )?))
}

/// `f` of each row of a ragged column (`N * var * T`, a `List` of
/// numbers): a dense array of the column's shape, missing elements of the
/// rows skipped. `min`, `max` and `mean` have a mask, true where a row
/// had no values; a missing row (a null of the list) gives a missing
/// result (and a mask for every reduction). Compiled; see
/// [`segmented_reduce_in`] for the run's report.
pub fn segmented_reduce(col: &Column, f: ReduceFn, threads: Option<usize>) -> Result<Value, Error> {
    segmented_reduce_in(col, f, pool(threads)?.as_deref(), Dumps::default(), None)
}

/// [`segmented_reduce`] on a thread pool (rayon's global one when `None`),
/// with the kernel texts to keep and the report the kernel and its
/// compile time go to.
pub fn segmented_reduce_in(
    col: &Column,
    f: ReduceFn,
    pool: Option<&rayon::ThreadPool>,
    dumps: Dumps,
    report: Option<&mut Report>,
) -> Result<Value, Error> {
    let list = col.array.as_list_opt::<i32>().ok_or_else(|| {
        EvalError::Input(format!(
            "a reduction over a `var` axis needs a list column, not {}",
            col.array.data_type()
        ))
    })?;
    let child: &ArrayRef = list.values();
    let element = scalar_of(child.data_type()).ok_or_else(|| {
        EvalError::Input(format!(
            "a compiled reduction over a `var` axis needs numbers, not {}",
            child.data_type()
        ))
    })?;
    let offsets: &[i32] = list.value_offsets();
    check_offsets(offsets, child.len(), "list column")?;
    let child_valid = validity(child.as_ref());
    let key = SegmentedKernel {
        f,
        element,
        validity: child_valid.is_some(),
    };
    let out_s = key.output().map_err(EvalError::Input)?;
    let c = kernel(&ColumnKernel::Segmented(key), dumps, report)?;
    let data = child.to_data();
    let (values, value_bit) = match data.buffers().first() {
        Some(buf) if element == Scalar::Bool => (addr(buf.as_ptr()), data.offset() as i64),
        Some(buf) => {
            let size = blaze_array::element::size_of(element);
            let bytes = data
                .offset()
                .checked_mul(size)
                .filter(|&b| b <= buf.len())
                .ok_or_else(|| EvalError::Input("the list's values are out of range".into()))?;
            (addr(buf.as_ptr()) + bytes, 0)
        }
        None if child.is_empty() => (0, 0),
        None => return Err(EvalError::Input("the list's values have no buffer".into()).into()),
    };
    let (valid_ptr, valid_bit) = child_valid.unwrap_or((0, 0));
    let rows = list.len();
    let offs = addr(offsets.as_ptr());
    let mut missing = key.writes_missing().then(|| vec![false; rows]);
    let miss_ptr = missing.as_mut().map_or(0, |m| addr(m.as_mut_ptr()));
    // A missing row is an empty row, as the interpreter reads it: its
    // slots (which Arrow lets span values) are not reduced.
    let null_rows: Vec<usize> = list
        .nulls()
        .filter(|n| n.null_count() > 0)
        .map(|n| {
            n.iter()
                .enumerate()
                .filter(|(_, v)| !v)
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default();
    let data = with_scalar!(out_s, T => {
        let mut out: Vec<T> = vec![T::default(); rows];
        let out_ptr = addr(out.as_mut_ptr());
        let ptrs = [offs, values, valid_ptr, out_ptr, miss_ptr];
        let args = [valid_bit, value_bit];
        chunked(rows, pool, |b, e| {
            // SAFETY: the offsets were checked against the child's length;
            // each chunk writes its own rows of `out` and `missing`, whose
            // bytes are 0 or 1 where they are `bool`s.
            unsafe { call_kernel(&c, &ptrs, &args, b, e) }
        })?;
        if !null_rows.is_empty() && !key.writes_missing() {
            let empty = empty_reduction::<T>(f, element, out_s)?;
            for &r in &null_rows {
                out[r] = empty;
            }
        }
        as_array(&col.shape, out)?
    });
    if key.writes_missing() && !null_rows.is_empty() {
        let m = missing.get_or_insert_with(|| vec![false; rows]);
        for &r in &null_rows {
            m[r] = true;
        }
    }
    shaped(&col.shape, data, missing)
}

/// What `f` gives for a row of no values of `element`, as the reference
/// kernels define it (`sum` 0, `prod` 1, `count` 0, `any` false, `all`
/// true), in the kernel's output type `out`.
fn empty_reduction<T: Element>(f: ReduceFn, element: Scalar, out: Scalar) -> Result<T, Error> {
    let none = blaze_interp::Array::zeros(element, &[0]);
    let r = blaze_interp::kernels::reduce(f, &none, None, None, false)?;
    let r = blaze_interp::kernels::cast(&r, out);
    T::get(&r)
        .and_then(|a| a.iter().next().copied())
        .ok_or_else(|| EvalError::Value(format!("no empty value for `{}`", f.name())).into())
}

/// A string column's buffers as a kernel reads them: the addresses of its
/// offsets and data, its validity bitmap and bit offset, and its rows.
type StringBuffers = (usize, usize, Option<(usize, i64)>, usize);

/// The buffers of a `Utf8` column, its offsets checked.
fn string_buffers(col: &Column) -> Result<StringBuffers, Error> {
    let s = col.array.as_string_opt::<i32>().ok_or_else(|| {
        EvalError::Input(format!(
            "a compiled string operation needs a utf8 column, not {}",
            col.array.data_type()
        ))
    })?;
    let offsets = s.value_offsets();
    check_offsets(offsets, s.value_data().len(), "string column")?;
    Ok((
        addr(offsets.as_ptr()),
        addr(s.value_data().as_ptr()),
        validity(s),
        s.len(),
    ))
}

/// `op(s, literal)` for every string `s` of a `Utf8` column: a dense
/// `bool` array (`int64` for [`StringOp::Len`], which ignores the
/// literal) of the column's shape, with a mask where the string is
/// missing.
pub fn string_map(
    col: &Column,
    op: StringOp,
    literal: &str,
    threads: Option<usize>,
) -> Result<Value, Error> {
    string_map_in(
        col,
        op,
        literal,
        pool(threads)?.as_deref(),
        Dumps::default(),
        None,
    )
}

/// [`string_map`] on a thread pool, with the kernel texts to keep and the
/// report.
pub fn string_map_in(
    col: &Column,
    op: StringOp,
    literal: &str,
    pool: Option<&rayon::ThreadPool>,
    dumps: Dumps,
    report: Option<&mut Report>,
) -> Result<Value, Error> {
    let (offs, bytes, valid, rows) = string_buffers(col)?;
    let key = StringKernel {
        op,
        validity: valid.is_some(),
        count: false,
    };
    let c = kernel(&ColumnKernel::Strings(key), dumps, report)?;
    let (valid_ptr, valid_bit) = valid.unwrap_or((0, 0));
    let lit = literal.as_bytes();
    let args = [valid_bit, lit.len() as i64];
    let mut missing = valid.map(|_| vec![false; rows]);
    let miss_ptr = missing.as_mut().map_or(0, |m| addr(m.as_mut_ptr()));
    let data = if op.is_predicate() {
        let mut out = vec![false; rows];
        let ptrs = [
            offs,
            bytes,
            valid_ptr,
            addr(lit.as_ptr()),
            addr(out.as_mut_ptr()),
            miss_ptr,
        ];
        // SAFETY: offsets checked against the data; each chunk writes its
        // own rows, with 0 or 1 in every `bool` byte.
        chunked(rows, pool, |b, e| unsafe {
            call_kernel(&c, &ptrs, &args, b, e)
        })?;
        as_array(&col.shape, out)?
    } else {
        let mut out = vec![0i64; rows];
        let ptrs = [
            offs,
            bytes,
            valid_ptr,
            addr(lit.as_ptr()),
            addr(out.as_mut_ptr()),
            miss_ptr,
        ];
        // SAFETY: as above.
        chunked(rows, pool, |b, e| unsafe {
            call_kernel(&c, &ptrs, &args, b, e)
        })?;
        as_array(&col.shape, out)?
    };
    shaped(&col.shape, data, missing)
}

/// The number of strings `s` of a `Utf8` column, missing ones aside, for
/// which the predicate `op(s, literal)` holds: `sum(s == literal)` without
/// a `bool` array, one count per chunk added in order.
pub fn string_count(
    col: &Column,
    op: StringOp,
    literal: &str,
    threads: Option<usize>,
) -> Result<i64, Error> {
    string_count_in(
        col,
        op,
        literal,
        pool(threads)?.as_deref(),
        Dumps::default(),
        None,
    )
}

/// [`string_count`] on a thread pool, with the kernel texts to keep and the
/// report.
pub fn string_count_in(
    col: &Column,
    op: StringOp,
    literal: &str,
    pool: Option<&rayon::ThreadPool>,
    dumps: Dumps,
    report: Option<&mut Report>,
) -> Result<i64, Error> {
    let (offs, bytes, valid, rows) = string_buffers(col)?;
    let key = StringKernel {
        op,
        validity: valid.is_some(),
        count: true,
    };
    let c = kernel(&ColumnKernel::Strings(key), dumps, report)?;
    let (valid_ptr, valid_bit) = valid.unwrap_or((0, 0));
    let lit = literal.as_bytes();
    let args = [valid_bit, lit.len() as i64];
    let counts = chunked(rows, pool, |b, e| {
        let mut n = 0i64;
        let ptrs = [
            offs,
            bytes,
            valid_ptr,
            addr(lit.as_ptr()),
            addr(&mut n as *mut i64),
            0,
        ];
        // SAFETY: offsets checked against the data; the kernel writes `n`.
        unsafe { call_kernel(&c, &ptrs, &args, b, e) };
        n
    })?;
    Ok(counts.iter().fold(0i64, |a, &n| a.wrapping_add(n)))
}

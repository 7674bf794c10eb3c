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

/// The right operand of a string kernel: a literal, or a second `Utf8`
/// column of as many strings as the left one (or of one string, compared
/// with every row).
#[derive(Clone, Copy, Debug)]
pub enum StringRhs<'a> {
    /// A literal (ignored by [`StringOp::Len`]).
    Literal(&'a str),
    /// A column, row by row.
    Column(&'a Column),
}

impl<'a> From<&'a str> for StringRhs<'a> {
    fn from(s: &'a str) -> Self {
        StringRhs::Literal(s)
    }
}

impl<'a> From<&'a Column> for StringRhs<'a> {
    fn from(c: &'a Column) -> Self {
        StringRhs::Column(c)
    }
}

/// A string kernel ready to call on row ranges: the kernel, its operand
/// pointers (output slots 4 and 5 left for the caller) and scalars, and
/// the rows.
struct StringCall {
    kernel: Arc<Compiled>,
    key: StringKernel,
    ptrs: [usize; 8],
    args: [i64; 4],
    rows: usize,
}

/// Compiles the kernel for `op(col, rhs)` (counting or storing) and lays
/// out its operands; a right column must be a `Utf8` column of as many
/// strings as `col`, or of one.
fn string_call(
    col: &Column,
    op: StringOp,
    rhs: StringRhs<'_>,
    count: bool,
    dumps: Dumps,
    report: Option<&mut Report>,
) -> Result<StringCall, Error> {
    let (offs, bytes, valid, rows) = string_buffers(col)?;
    let (valid_ptr, valid_bit) = valid.unwrap_or((0, 0));
    let (pair, ptrs, args, rhs_validity) = match rhs {
        StringRhs::Literal(lit) => (
            false,
            [offs, bytes, valid_ptr, addr(lit.as_ptr()), 0, 0, 0, 0],
            [valid_bit, lit.len() as i64, 0, 0],
            false,
        ),
        StringRhs::Column(r) => {
            let (r_offs, r_bytes, r_valid, r_rows) = string_buffers(r)?;
            let step = match r_rows {
                n if n == rows => 1,
                1 => 0,
                n => {
                    return Err(EvalError::Shape(format!(
                        "a string operation of {rows} strings with {n} strings"
                    ))
                    .into())
                }
            };
            let (r_valid_ptr, r_valid_bit) = r_valid.unwrap_or((0, 0));
            (
                true,
                [offs, bytes, valid_ptr, r_bytes, 0, 0, r_offs, r_valid_ptr],
                [valid_bit, 0, r_valid_bit, step],
                r_valid.is_some(),
            )
        }
    };
    let key = StringKernel {
        op,
        validity: valid.is_some(),
        count,
        pair,
        rhs_validity,
    };
    let kernel = kernel(&ColumnKernel::Strings(key), dumps, report)?;
    Ok(StringCall {
        kernel,
        key,
        ptrs,
        args,
        rows,
    })
}

/// `op(s, literal)` for every string `s` of a `Utf8` column, or `op(s, t)`
/// for the strings of two columns row by row: a dense `bool` array
/// (`int64` for [`StringOp::Len`], which ignores the literal) of the
/// column's shape, with a mask where a string is missing.
pub fn string_map<'a>(
    col: &Column,
    op: StringOp,
    rhs: impl Into<StringRhs<'a>>,
    threads: Option<usize>,
) -> Result<Value, Error> {
    string_map_in(
        col,
        op,
        rhs.into(),
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
    rhs: StringRhs<'_>,
    pool: Option<&rayon::ThreadPool>,
    dumps: Dumps,
    report: Option<&mut Report>,
) -> Result<Value, Error> {
    let call = string_call(col, op, rhs, false, dumps, report)?;
    let rows = call.rows;
    let mut missing = call.key.writes_missing().then(|| vec![false; rows]);
    let mut ptrs = call.ptrs;
    ptrs[5] = missing.as_mut().map_or(0, |m| addr(m.as_mut_ptr()));
    fn run<T: Clone + Default>(
        call: &StringCall,
        mut ptrs: [usize; 8],
        pool: Option<&rayon::ThreadPool>,
    ) -> Result<Vec<T>, Error> {
        let mut out = vec![T::default(); call.rows];
        ptrs[4] = addr(out.as_mut_ptr());
        // SAFETY: offsets checked against the data (a right column's
        // too, its rows `rows` or one with step 0); each chunk writes its
        // own rows, with 0 or 1 in every `bool` byte.
        chunked(call.rows, pool, |b, e| unsafe {
            call_kernel(&call.kernel, &ptrs, &call.args, b, e)
        })?;
        Ok(out)
    }
    let data = if op.is_predicate() {
        as_array(&col.shape, run::<bool>(&call, ptrs, pool)?)?
    } else {
        as_array(&col.shape, run::<i64>(&call, ptrs, pool)?)?
    };
    shaped(&col.shape, data, missing)
}

/// The number of strings `s` of a `Utf8` column, missing ones aside, for
/// which the predicate `op(s, literal)` (or `op(s, t)` with the strings of
/// a second column) holds: `sum(s == literal)` without a `bool` array, one
/// count per chunk added in order.
pub fn string_count<'a>(
    col: &Column,
    op: StringOp,
    rhs: impl Into<StringRhs<'a>>,
    threads: Option<usize>,
) -> Result<i64, Error> {
    string_count_in(
        col,
        op,
        rhs.into(),
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
    rhs: StringRhs<'_>,
    pool: Option<&rayon::ThreadPool>,
    dumps: Dumps,
    report: Option<&mut Report>,
) -> Result<i64, Error> {
    let call = string_call(col, op, rhs, true, dumps, report)?;
    let counts = chunked(call.rows, pool, |b, e| {
        let mut n = 0i64;
        let mut ptrs = call.ptrs;
        ptrs[4] = addr(&mut n as *mut i64);
        // SAFETY: offsets checked against the data; the kernel writes `n`.
        unsafe { call_kernel(&call.kernel, &ptrs, &call.args, b, e) };
        n
    })?;
    Ok(counts.iter().fold(0i64, |a, &n| a.wrapping_add(n)))
}

//! Launching a compiled kernel over an iteration space on rayon.

use blaze_codegen::Compiled;
use rayon::prelude::*;

/// Wraps a closure that captures raw pointers so rayon may share it.
pub(super) struct SendRun<'a, F: Fn(usize)>(pub(super) &'a F);
// SAFETY: the closure only reads shared data and writes disjoint memory per
// index.
unsafe impl<F: Fn(usize)> Sync for SendRun<'_, F> {}
unsafe impl<F: Fn(usize)> Send for SendRun<'_, F> {}

impl<F: Fn(usize)> SendRun<'_, F> {
    pub(super) fn call(&self, i: usize) {
        (self.0)(i)
    }
}

pub(super) fn launch_flat(
    c: &Compiled,
    ptrs: &[*mut u8],
    strides: &[i64],
    shape: &[usize],
    total: usize,
    chunk: usize,
    pool: Option<&rayon::ThreadPool>,
) {
    let sh: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    let func = c.func;
    let call = |begin: usize, end: usize| {
        // SAFETY: every operand covers the iteration space; chunks write
        // disjoint parts of the output.
        unsafe {
            func(
                ptrs.as_ptr(),
                strides.as_ptr(),
                sh.as_ptr(),
                begin as i64,
                end as i64,
            )
        };
    };
    if total <= chunk {
        call(0, total);
        return;
    }
    let n = total.div_ceil(chunk);
    let run = |i: usize| call(i * chunk, ((i + 1) * chunk).min(total));
    let sendable = SendRun(&run);
    let go = || (0..n).into_par_iter().for_each(|i| sendable.call(i));
    match pool {
        Some(p) => p.install(go),
        None => go(),
    }
}

/// Splits the iteration along `axis` (kept by the reduction) into pieces
/// run in parallel; each output element is written by one piece.
#[allow(clippy::too_many_arguments)]
pub(super) fn launch_split(
    c: &Compiled,
    ptrs: &[*mut u8],
    strides: &[i64],
    shape: &[usize],
    axis: Option<usize>,
    sizes: &[usize],
    pool: Option<&rayon::ThreadPool>,
) {
    let rank = shape.len();
    let total: usize = shape.iter().product();
    let func = c.func;
    let n_ops = ptrs.len();
    let Some(a) = axis.filter(|_| total >= (1 << 15)) else {
        let sh: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        // SAFETY: as in `launch_flat`.
        unsafe {
            func(
                ptrs.as_ptr(),
                strides.as_ptr(),
                sh.as_ptr(),
                0,
                total as i64,
            )
        };
        return;
    };
    let threads = pool.map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
    let extent = shape[a];
    // Along an inner axis, few wide pieces keep every row read contiguous.
    let per_thread = if a == 0 { 4 } else { 1 };
    let pieces = (threads * per_thread).min(extent).max(1);
    let step = extent.div_ceil(pieces);
    let run = |i: usize| {
        let start = i * step;
        if start >= extent {
            return;
        }
        let len = step.min(extent - start);
        let mut sh: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        sh[a] = len as i64;
        let p: Vec<*mut u8> = (0..n_ops)
            .map(|k| {
                let elems = strides[k * rank + a] as isize * start as isize;
                ptrs[k].wrapping_offset(elems * sizes[k] as isize)
            })
            .collect();
        let piece_total: i64 = sh.iter().product();
        // SAFETY: the piece lies inside every operand; pieces write disjoint
        // output elements (the split axis is kept by the reduction).
        unsafe { func(p.as_ptr(), strides.as_ptr(), sh.as_ptr(), 0, piece_total) };
    };
    let sendable = SendRun(&run);
    let go = || (0..pieces).into_par_iter().for_each(|i| sendable.call(i));
    match pool {
        Some(p) => p.install(go),
        None => go(),
    }
}

//! Launching a compiled kernel over an iteration space on rayon: flat
//! chunks of the C-order positions (aligned so that no two chunks write
//! one byte of an output bitmap), or pieces along a kept axis of a
//! reduction.

use super::missing::kernel_strides;
use crate::error::Error;
use blaze_codegen::Compiled;
use blaze_interp::EvalError;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

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

/// The chunk boundaries of `0..total` in pieces of about `chunk`
/// positions. With `phase` (the bit offset of position 0 in an output
/// bitmap written one bit per position), every boundary but the ends is a
/// position whose bit is a multiple of 64: no two chunks share a byte (or
/// a word) of the bitmap.
pub(super) fn chunk_bounds(total: usize, chunk: usize, phase: Option<usize>) -> Vec<usize> {
    let mut bounds = vec![0];
    let (chunk, first) = match phase {
        Some(off) => {
            let chunk = chunk.max(1).next_multiple_of(64);
            let first = (64 - off % 64) % 64;
            (chunk, if first == 0 { chunk } else { first + chunk })
        }
        None => (chunk.max(1), chunk.max(1)),
    };
    let mut b = first;
    while b < total {
        bounds.push(b);
        b += chunk;
    }
    bounds.push(total);
    bounds
}

/// Runs the kernel over the flat positions `0..total` of `shape` in
/// chunks of about `chunk` positions, in parallel; `phase` is the bit
/// offset of the output bitmap the kernel writes, if any
/// ([`chunk_bounds`]). `strides` includes the bit offsets that follow the
/// operands' strides.
#[allow(clippy::too_many_arguments)]
pub(super) fn launch_flat(
    c: &Compiled,
    ptrs: &[*mut u8],
    strides: &[i64],
    shape: &[usize],
    total: usize,
    chunk: usize,
    phase: Option<usize>,
    pool: Option<&rayon::ThreadPool>,
) {
    let sh: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    let func = c.func;
    let call = |begin: usize, end: usize| {
        // SAFETY: every operand covers the iteration space; chunks write
        // disjoint parts of the output (and disjoint bytes of its bitmap).
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
    let bounds = chunk_bounds(total, chunk, phase);
    let n = bounds.len() - 1;
    let run = |i: usize| call(bounds[i], bounds[i + 1]);
    let sendable = SendRun(&run);
    let go = || (0..n).into_par_iter().for_each(|i| sendable.call(i));
    match pool {
        Some(p) => p.install(go),
        None => go(),
    }
}

/// Splits the iteration along `axis` (kept by the reduction) into pieces
/// run in parallel; each output element is written by one piece. The
/// operands are pointers, strides (without bit offsets) and the
/// bit-addressed operands with the bit position of their element 0.
pub(super) fn launch_split(
    c: &Compiled,
    (ptrs, strides, bits): (&[*mut u8], &[i64], &[(usize, i64)]),
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
        let strides = kernel_strides(strides, bits);
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
        let step_of = |k: usize| strides[k * rank + a] as isize * start as isize;
        let p: Vec<*mut u8> = (0..n_ops)
            .map(|k| {
                if bits.iter().any(|&(b, _)| b == k) {
                    // A bitmap's piece starts at a later bit, not byte.
                    ptrs[k]
                } else {
                    ptrs[k].wrapping_offset(step_of(k) * sizes[k] as isize)
                }
            })
            .collect();
        let moved: Vec<(usize, i64)> = bits
            .iter()
            .map(|&(k, off)| (k, off + step_of(k) as i64))
            .collect();
        let st = kernel_strides(strides, &moved);
        let piece_total: i64 = sh.iter().product();
        // SAFETY: the piece lies inside every operand; pieces write disjoint
        // output elements (the split axis is kept by the reduction).
        unsafe { func(p.as_ptr(), st.as_ptr(), sh.as_ptr(), 0, piece_total) };
    };
    let sendable = SendRun(&run);
    let go = || (0..pieces).into_par_iter().for_each(|i| sendable.call(i));
    match pool {
        Some(p) => p.install(go),
        None => go(),
    }
}

/// The rayon pool of `threads` workers (one per count, kept for the
/// process), `None` for rayon's global pool. One thread is a pool of the
/// calling thread's own: threads that each run with one (the blocks a
/// streamed pass runs two at a time) then work side by side rather than
/// queue for one shared worker.
pub(super) fn pool(threads: Option<usize>) -> Result<Option<Arc<rayon::ThreadPool>>, Error> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let Some(n) = threads else { return Ok(None) };
    if n == 1 {
        return own_pool().map(Some);
    }
    if n > super::MAX_THREADS {
        return Err(EvalError::Input(format!(
            "{n} worker threads asked for; at most {} are allowed",
            super::MAX_THREADS
        ))
        .into());
    }
    let pools = POOLS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = pools
        .lock()
        .map_err(|_| EvalError::Value("thread pools poisoned".into()))?;
    if let Some(p) = map.get(&n) {
        return Ok(Some(p.clone()));
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| EvalError::Value(format!("cannot start {n} threads: {e}")))?,
    );
    map.insert(n, p.clone());
    Ok(Some(p))
}

/// This thread's pool of one worker, made on first use and ended with the
/// thread.
fn own_pool() -> Result<Arc<rayon::ThreadPool>, Error> {
    thread_local! {
        static OWN: std::cell::RefCell<Option<Arc<rayon::ThreadPool>>> =
            const { std::cell::RefCell::new(None) };
    }
    OWN.with(|own| {
        let mut own = own.borrow_mut();
        if let Some(p) = own.as_ref() {
            return Ok(p.clone());
        }
        let p = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .map_err(|e| EvalError::Value(format!("cannot start a thread: {e}")))?,
        );
        *own = Some(p.clone());
        Ok(p)
    })
}

#[cfg(test)]
mod tests {
    use super::chunk_bounds;

    #[test]
    fn chunks_of_a_bitmap_start_on_word_boundaries() {
        assert_eq!(chunk_bounds(10, 4, None), vec![0, 4, 8, 10]);
        for off in [0usize, 1, 3, 5, 13, 64, 100] {
            let b = chunk_bounds(1000, 100, Some(off));
            assert_eq!((b[0], *b.last().unwrap()), (0, 1000));
            for w in b.windows(2) {
                assert!(w[0] < w[1], "{b:?}");
            }
            for &x in &b[1..b.len() - 1] {
                assert_eq!((x + off) % 64, 0, "offset {off}: {b:?}");
            }
        }
    }
}

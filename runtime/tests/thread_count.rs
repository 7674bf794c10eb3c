//! Results do not depend on the number of threads: the same program on the
//! same `.npy` file, streamed in blocks and in memory, gives the same bits
//! with 1, 2 and 3 worker threads (and as many OpenBLAS threads). Blocks
//! have a size set by the memory limit, never by the thread count; inside
//! a block, a reduction over every axis sums fixed-size chunks and
//! combines them in chunk order, a reduction over the rows gives each
//! output element to one thread, and the partials of blocks are combined
//! in block order.
//!
//! The data spans magnitudes from 1e-3 to 1e6, so that sums associated in
//! another order would differ in their last bits.
//!
//! Products go to OpenBLAS: `syrk` (`A.T @ A`, and the centred covariance,
//! whose operand written twice is computed once) gives each element of
//! the result to one thread, so its bits do not depend on the thread
//! count either. A `gemm` of two different operands may: OpenBLAS splits
//! it by its thread count, and results can differ in the last bits (as
//! NumPy's do with `OPENBLAS_NUM_THREADS`), so no such product is listed.

#[allow(dead_code)]
mod numbers;
mod scratch;

use blaze_interp::{with_array, Array, Value};
use blaze_runtime::io::npy::write_npy;
use blaze_runtime::Session;
use numbers::data;

/// The bits of a result's elements and its missing mask.
fn bits(v: &Value) -> Vec<u64> {
    match v {
        Value::Array { data, missing } => {
            let mut out: Vec<u64> = match data {
                Array::Float64(x) => x.iter().map(|f| f.to_bits()).collect(),
                Array::Float32(x) => x.iter().map(|f| u64::from(f.to_bits())).collect(),
                other => with_array!(other, x => x.iter().map(|e| format!("{e:?}"))
                    .map(|s| s.bytes().fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(u64::from(b))))
                    .collect()),
            };
            out.push(data.shape().len() as u64);
            out.extend(data.shape().iter().map(|&d| d as u64));
            if let Some(m) = missing {
                out.extend(m.iter().map(|&b| u64::from(b)));
            }
            out
        }
        Value::Tuple(items) => items.iter().flat_map(bits).collect(),
        other => panic!("unexpected result {other:?}"),
    }
}

/// Rows × columns of values over nine decades: `d · 10^(k mod 10 − 3)`.
fn spread(rows: usize, cols: usize, seed: u64) -> Array {
    let mut k = 0u32;
    Array::Float64(data(rows, cols, seed).mapv(|v| {
        k = k.wrapping_add(7);
        v * 10f64.powi((k % 10) as i32 - 3)
    }))
}

const PROGRAMS: &[&str] = &[
    "sum(A)",
    "sum(sqrt(A * A + 1), axis=0)",
    "mean(A, axis=0)",
    "var(A, axis=0)",
    "argmax(A, axis=0)",
    "A.T @ A",
    "(A - mean(A, axis=0)).T @ (A - mean(A, axis=0))",
    "sum(A * 3 - 1)",
];

#[test]
fn streamed_and_in_memory_results_have_the_same_bits_at_any_thread_count() {
    let d = scratch::scratch_dir("blaze-threads-");
    // 60,000 × 20 float64: 9.6 MB, in blocks of 4 MiB (four blocks, the
    // last one short); each block is many chunks of a full reduction.
    let a = d.join("a.npy");
    write_npy(&a, &spread(60_000, 20, 11)).unwrap();
    let named = [("A", a.to_str().unwrap())];
    for src in PROGRAMS {
        for streamed in [true, false] {
            let run = |threads: usize| {
                let s = Session::new().threads(threads);
                let s = if streamed {
                    s.memory_limit(64 << 20).block_rows(14_000)
                } else {
                    s
                };
                let out = s
                    .eval(src, &named, None)
                    .unwrap_or_else(|e| panic!("{src} on {threads} threads: {e}"));
                assert_eq!(out.report.streamed, streamed, "{src}");
                bits(&out.value.expect("a value"))
            };
            let one = run(1);
            for threads in [2, 3] {
                assert!(
                    run(threads) == one,
                    "{src} ({}) on {threads} threads differs from 1 thread",
                    if streamed { "streamed" } else { "in memory" }
                );
            }
        }
    }
}

#[test]
fn the_bits_compared_are_the_results_bits() {
    // A sum in another order gives other bits: the comparison above would
    // see a thread-dependent association.
    let x = spread(1, 4_000, 5);
    let Array::Float64(x) = x else { unreachable!() };
    let x: Vec<f64> = x.iter().copied().collect();
    let forward: f64 = x.iter().sum();
    let backward: f64 = x.iter().rev().sum();
    let wrap = |v: f64| Value::from(Array::Float64(ndarray::arr0(v).into_dyn()));
    assert_ne!(bits(&wrap(forward)), bits(&wrap(backward)));
}

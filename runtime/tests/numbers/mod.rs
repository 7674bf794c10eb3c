//! Test data and comparisons shared by the streaming tests: pseudo-random
//! matrices, and the largest relative difference of two results.

use blaze_datashape::Scalar;
use blaze_interp::{kernels, Array, Value};
use ndarray::{ArrayD, IxDyn};

/// Pseudo-random numbers in [-1.5, 2.5) (xorshift from `seed`), shifted so
/// that means are not 0.
pub fn data(rows: usize, cols: usize, seed: u64) -> ArrayD<f64> {
    let mut s = seed;
    ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |_| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 1.5
    })
}

/// The largest difference of two arrays (as float64) relative to the
/// largest magnitude of `b`; NaN against NaN counts as equal.
pub fn max_rel(a: &Value, b: &Value) -> f64 {
    let (Value::Array { data: x, .. }, Value::Array { data: y, .. }) = (a, b) else {
        panic!("not arrays: {a:?} {b:?}")
    };
    assert_eq!(x.shape(), y.shape());
    let (Array::Float64(x), Array::Float64(y)) = (
        kernels::cast(x, Scalar::Float64),
        kernels::cast(y, Scalar::Float64),
    ) else {
        unreachable!("a cast to float64 gives float64")
    };
    let scale = y.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    x.iter().zip(y.iter()).fold(0.0, |m, (p, q)| {
        if p.is_nan() && q.is_nan() {
            m
        } else {
            m.max((p - q).abs() / scale)
        }
    })
}

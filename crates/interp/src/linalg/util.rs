//! Small numeric helpers of the reference linear algebra: exact scaling
//! by powers of two, componentwise division, overflow-safe norms, checked
//! allocation, and the 1-D/2-D right-hand-side conversions.

use ndarray::{Array, Array2, ArrayView, ArrayView2, Dimension, Ix2};

use super::{LinalgError, LinalgResult};
use crate::element::Field;

/// Machine epsilon of the double precision the routines compute in.
pub(crate) const EPS: f64 = f64::EPSILON;

pub(crate) use crate::element::smith_div;

/// `x * 2^e` without intermediate overflow of the power of two.
pub(crate) fn mul_pow2(mut x: f64, mut e: i32) -> f64 {
    let big = 2f64.powi(1000);
    while e > 1000 {
        x *= big;
        e -= 1000;
    }
    while e < -1000 {
        x /= big;
        e += 1000;
    }
    x * 2f64.powi(e)
}

/// `x * 2^e` for a field element.
pub(crate) fn mul_pow2_t<T: Field>(x: T, e: i32) -> T {
    T::from_parts(mul_pow2(x.re(), e), mul_pow2(x.im(), e))
}

/// `x / d` for a real divisor, componentwise (no reciprocal that could
/// overflow).
pub(crate) fn rdiv<T: Field>(x: T, d: f64) -> T {
    T::from_parts(x.re() / d, x.im() / d)
}

/// Exponent `e` such that `amax * 2^-e` lies in `[0.5, 2)`; 0 for zero or
/// non-finite `amax`. Scaling by powers of two is exact.
pub(crate) fn scale_exponent(amax: f64) -> i32 {
    if amax > 0.0 && amax.is_finite() {
        amax.log2().floor() as i32
    } else {
        0
    }
}

pub(crate) fn shape2<T>(a: &ArrayView2<'_, T>) -> Vec<usize> {
    a.shape().to_vec()
}

/// Zero matrix, refusing shapes whose byte size would overflow `isize`
/// (which would make ndarray or the allocator panic).
pub(crate) fn zeros2<T: Field>(rows: usize, cols: usize) -> LinalgResult<Array2<T>> {
    let ok = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(std::mem::size_of::<T>()))
        .is_some_and(|b| b <= isize::MAX as usize);
    if ok {
        Ok(Array2::zeros((rows, cols)))
    } else {
        Err(LinalgError::TooLarge { rows, cols })
    }
}

/// Euclidean norm of a sequence of scalars, scaled to avoid overflow and
/// underflow. NaN if any entry is NaN, infinity if any is infinite.
pub(crate) fn nrm2<'a, T: Field>(it: impl IntoIterator<Item = &'a T> + Clone) -> f64 {
    let mut scale = 0.0f64;
    for x in it.clone() {
        for part in [x.re(), x.im()] {
            if part.is_nan() {
                return f64::NAN;
            }
            scale = scale.max(part.abs());
        }
    }
    if scale == 0.0 || scale.is_infinite() {
        return scale;
    }
    let mut ssq = 0.0;
    for x in it {
        // Divide (rather than multiply by 1/scale, which overflows for a
        // subnormal scale).
        let (r, i) = (x.re() / scale, x.im() / scale);
        ssq += r * r + i * i;
    }
    scale * ssq.sqrt()
}

/// Sum of squared moduli.
pub(crate) fn sumsq<T: Field>(x: &[T]) -> f64 {
    x.iter().map(|v| v.re() * v.re() + v.im() * v.im()).sum()
}

/// `sum conj(x_i) * y_i`.
pub(crate) fn cdot<T: Field>(x: &[T], y: &[T]) -> T {
    x.iter()
        .zip(y)
        .fold(T::zero(), |acc, (&a, &b)| acc + a.conj() * b)
}

/// Converts a 1-D or 2-D right-hand side to an owned 2-D matrix.
pub(crate) fn rhs_to_2d<T: Field, D: Dimension>(
    op: &'static str,
    left: Vec<usize>,
    b: &ArrayView<'_, T, D>,
) -> LinalgResult<Array2<T>> {
    let mismatch = || LinalgError::DimensionMismatch {
        op,
        left: left.clone(),
        right: b.shape().to_vec(),
    };
    match b.ndim() {
        1 => Array2::from_shape_vec((b.len(), 1), b.iter().copied().collect())
            .map_err(|_| mismatch()),
        2 => b
            .view()
            .into_dimensionality::<Ix2>()
            .map(|v| v.to_owned())
            .map_err(|_| mismatch()),
        _ => Err(mismatch()),
    }
}

/// Converts a 2-D solution back to the dimensionality of the right-hand side,
/// with `rows` rows.
pub(crate) fn rhs_from_2d<T: Field, D: Dimension>(
    op: &'static str,
    x: Array2<T>,
    b: &ArrayView<'_, T, D>,
    rows: usize,
) -> LinalgResult<Array<T, D>> {
    let mut dim = b.raw_dim();
    if dim.ndim() == 0 {
        return Err(LinalgError::DimensionMismatch {
            op,
            left: x.shape().to_vec(),
            right: b.shape().to_vec(),
        });
    }
    dim[0] = rows;
    let shape = x.shape().to_vec();
    Array::from_shape_vec(dim, x.iter().copied().collect()).map_err(|_| {
        LinalgError::DimensionMismatch {
            op,
            left: shape,
            right: b.shape().to_vec(),
        }
    })
}

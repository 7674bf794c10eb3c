//! Products, norms and the trace: `matmul`, `matvec`, `dot`, `vecdot`,
//! `norm`, `trace`.

use ndarray::{Array1, Array2, ArrayView, ArrayView1, ArrayView2, Dimension};

use super::util::*;
use super::{LinalgError, LinalgResult};
use crate::element::Field;

/// Matrix product `A B` (`numpy.matmul` for 2-D operands).
///
/// A plain triple loop in `i-k-j` order. NaN and infinity propagate as in
/// IEEE arithmetic. Errors with [`LinalgError::DimensionMismatch`] if
/// `a.ncols() != b.nrows()`.
pub fn matmul<T: Field>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>) -> LinalgResult<Array2<T>> {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    if k != k2 {
        return Err(LinalgError::DimensionMismatch {
            op: "matmul",
            left: shape2(&a),
            right: shape2(&b),
        });
    }
    let mut c = zeros2::<T>(m, n)?;
    for (a_row, mut c_row) in a.outer_iter().zip(c.outer_iter_mut()) {
        for (&aik, b_row) in a_row.iter().zip(b.outer_iter()) {
            for (cij, &bkj) in c_row.iter_mut().zip(b_row.iter()) {
                *cij += aik * bkj;
            }
        }
    }
    Ok(c)
}

/// Matrix–vector product `A x`.
///
/// Errors with [`LinalgError::DimensionMismatch`] if `a.ncols() != x.len()`.
pub fn matvec<T: Field>(a: ArrayView2<'_, T>, x: ArrayView1<'_, T>) -> LinalgResult<Array1<T>> {
    if a.ncols() != x.len() {
        return Err(LinalgError::DimensionMismatch {
            op: "matvec",
            left: shape2(&a),
            right: x.shape().to_vec(),
        });
    }
    Ok(a.outer_iter()
        .map(|row| {
            row.iter()
                .zip(x.iter())
                .fold(T::zero(), |acc, (&r, &v)| acc + r * v)
        })
        .collect())
}

/// Unconjugated dot product `sum x_i y_i` (`numpy.dot` for 1-D operands).
///
/// Errors with [`LinalgError::DimensionMismatch`] on different lengths.
pub fn dot<T: Field>(x: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> LinalgResult<T> {
    if x.len() != y.len() {
        return Err(LinalgError::DimensionMismatch {
            op: "dot",
            left: x.shape().to_vec(),
            right: y.shape().to_vec(),
        });
    }
    Ok(x.iter()
        .zip(y.iter())
        .fold(T::zero(), |acc, (&a, &b)| acc + a * b))
}

/// Vector dot product conjugating the first argument, `sum conj(x_i) y_i`
/// (`numpy.vecdot` / `numpy.vdot`); equal to [`dot`] for real data.
///
/// Errors with [`LinalgError::DimensionMismatch`] on different lengths.
pub fn vecdot<T: Field>(x: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> LinalgResult<T> {
    if x.len() != y.len() {
        return Err(LinalgError::DimensionMismatch {
            op: "vecdot",
            left: x.shape().to_vec(),
            right: y.shape().to_vec(),
        });
    }
    Ok(x.iter()
        .zip(y.iter())
        .fold(T::zero(), |acc, (&a, &b)| acc + a.conj() * b))
}

/// 2-norm of the flattened array: the vector 2-norm for 1-D input and the
/// Frobenius norm for 2-D input (`numpy.linalg.norm` with `ord=None`).
///
/// Computed with scaling, so it neither overflows nor underflows needlessly.
/// NaN input gives NaN and infinite input gives infinity (as NumPy).
pub fn norm<T: Field, D: Dimension>(x: ArrayView<'_, T, D>) -> f64 {
    nrm2(x.iter())
}

/// Sum of the diagonal `a[i, i]`, `i < min(rows, cols)` (`numpy.trace`;
/// non-square input is allowed, as in NumPy).
pub fn trace<T: Field>(a: ArrayView2<'_, T>) -> T {
    a.diag().iter().fold(T::zero(), |acc, &x| acc + x)
}

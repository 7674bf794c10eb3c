//! Cholesky factorisation.

use ndarray::{Array2, ArrayView2};

use super::checks::{check_finite_lower, square};
use super::util::*;
use super::{LinalgError, LinalgResult};
use crate::element::Field;

/// Cholesky factorisation `A = L L^H` with `L` lower triangular and a
/// positive real diagonal (`numpy.linalg.cholesky`).
///
/// Only the lower triangle of `a` is read (the upper triangle is assumed to
/// mirror it, as LAPACK `potrf` with `UPLO='L'`); the imaginary parts of the
/// diagonal are ignored. Errors: [`LinalgError::NotSquare`],
/// [`LinalgError::NonFinite`] (NaN/infinity in the lower triangle),
/// [`LinalgError::NotPositiveDefinite`] with the failing column.
pub fn cholesky<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<Array2<T>> {
    let n = square(&a)?;
    check_finite_lower(&a)?;
    let mut l = Array2::<T>::zeros((n, n));
    for j in 0..n {
        let mut d = a[[j, j]].re();
        for k in 0..j {
            let v = l[[j, k]];
            d -= v.re() * v.re() + v.im() * v.im();
        }
        // NaN (from NaN-free but overflowing input) also fails.
        if d.is_nan() || d <= 0.0 || d.is_infinite() {
            return Err(LinalgError::NotPositiveDefinite { column: j });
        }
        let ljj = d.sqrt();
        l[[j, j]] = T::from_f64(ljj);
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]].conj();
            }
            l[[i, j]] = rdiv(s, ljj);
        }
    }
    Ok(l)
}

//! The Hermitian eigenproblem by cyclic Jacobi.

use ndarray::{Array1, Array2, ArrayView2};

use super::checks::{check_finite_lower, square};
use super::svd::{jacobi_t, JACOBI_MAX_SWEEPS};
use super::util::*;
use super::{LinalgError, LinalgResult};
use crate::element::Field;

/// Eigen-decomposition of a real symmetric or complex Hermitian matrix
/// (`numpy.linalg.eigh` with `UPLO='L'`).
///
/// Only the lower triangle is read; the imaginary parts of the diagonal are
/// ignored. Returns the eigenvalues in ascending order and the orthonormal
/// eigenvectors as the columns of a matrix (column `i` belongs to
/// eigenvalue `i`). Eigenvectors are unique only up to a unit factor.
///
/// Algorithm: cyclic two-sided Jacobi rotations until every off-diagonal
/// element is below `eps * ||A||_F / n`, at most 100 sweeps.
/// Errors: [`LinalgError::NotSquare`], [`LinalgError::NonFinite`] (in the
/// lower triangle), [`LinalgError::NoConvergence`].
pub fn eigh<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<(Array1<f64>, Array2<T>)> {
    let n = square(&a)?;
    check_finite_lower(&a)?;
    // Hermitian copy from the lower triangle, scaled to max entry 1.
    let scale = (0..n)
        .flat_map(|i| (0..=i).map(move |j| (i, j)))
        .fold(0.0f64, |m, (i, j)| m.max(a[[i, j]].abs()));
    let ex = scale_exponent(scale);
    let mut h = Array2::<T>::zeros((n, n));
    for i in 0..n {
        h[[i, i]] = T::from_f64(mul_pow2(a[[i, i]].re(), -ex));
        for j in 0..i {
            let x = mul_pow2_t(a[[i, j]], -ex);
            h[[i, j]] = x;
            h[[j, i]] = x.conj();
        }
    }
    let mut v = Array2::<T>::eye(n);
    let fro = nrm2(h.iter());
    let tol = EPS * fro / (n.max(1) as f64);
    let mut converged = false;
    for _ in 0..JACOBI_MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let apq = h[[p, q]];
                let g = apq.abs();
                if g <= tol {
                    continue;
                }
                let (app, aqq) = (h[[p, p]].re(), h[[q, q]].re());
                let t = jacobi_t((aqq - app) / (2.0 * g));
                if t == 0.0 {
                    continue;
                }
                rotated = true;
                let c = 1.0 / t.hypot(1.0);
                let s = c * t;
                let ph = rdiv(apq, g);
                // J = [[c, s ph], [-s conj(ph), c]] on (p, q); H <- J^H H J.
                let sp = ph.scale(s);
                let spc = sp.conj();
                // Columns: H <- H J.
                for r in 0..n {
                    let (x, y) = (h[[r, p]], h[[r, q]]);
                    h[[r, p]] = x.scale(c) - y * spc;
                    h[[r, q]] = x * sp + y.scale(c);
                }
                // Rows: H <- J^H H.
                for col in 0..n {
                    let (x, y) = (h[[p, col]], h[[q, col]]);
                    h[[p, col]] = x.scale(c) - sp * y;
                    h[[q, col]] = spc * x + y.scale(c);
                }
                h[[p, q]] = T::zero();
                h[[q, p]] = T::zero();
                h[[p, p]] = T::from_f64(h[[p, p]].re());
                h[[q, q]] = T::from_f64(h[[q, q]].re());
                for r in 0..n {
                    let (x, y) = (v[[r, p]], v[[r, q]]);
                    v[[r, p]] = x.scale(c) - y * spc;
                    v[[r, q]] = x * sp + y.scale(c);
                }
            }
        }
        if !rotated {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(LinalgError::NoConvergence {
            routine: "eigh (cyclic Jacobi)",
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| h[[i, i]].re().total_cmp(&h[[j, j]].re()));
    let w: Array1<f64> = order
        .iter()
        .map(|&i| mul_pow2(h[[i, i]].re(), ex))
        .collect();
    let mut vs = Array2::<T>::zeros((n, n));
    for (dst, &src) in order.iter().enumerate() {
        vs.column_mut(dst).assign(&v.column(src));
    }
    Ok((w, vs))
}

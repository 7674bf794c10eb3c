//! LU with partial pivoting and what it gives: `det`, `solve`, `inv`.

use ndarray::{Array, Array2, ArrayView, ArrayView2, Dimension};

use super::checks::{check_finite, check_pivots, max_abs, square};
use super::util::*;
use super::{LinalgError, LinalgResult};
use crate::element::Field;

/// Packed LU factorisation `P A = L U` with unit lower `L`.
struct Lu<T> {
    lu: Array2<T>,
    /// Number of row interchanges is odd.
    odd: bool,
    /// Row `i` of `P A` is row `perm[i]` of `A`.
    perm: Vec<usize>,
    /// Smallest pivot modulus.
    min_pivot: f64,
}

/// LU with partial pivoting (pivot = largest `|re| + |im|`, as LAPACK's
/// `i?amax`). A column with an exactly zero pivot is skipped.
fn lu_factor<T: Field>(a: ArrayView2<'_, T>) -> Lu<T> {
    let n = a.nrows();
    let mut lu = a.to_owned();
    let mut perm: Vec<usize> = (0..n).collect();
    let mut odd = false;
    let mut min_pivot = f64::INFINITY;
    for k in 0..n {
        let mut p = k;
        let mut best = lu[[k, k]].abs1();
        for i in k + 1..n {
            let v = lu[[i, k]].abs1();
            if v > best {
                best = v;
                p = i;
            }
        }
        if p != k {
            for j in 0..n {
                lu.swap([k, j], [p, j]);
            }
            perm.swap(k, p);
            odd = !odd;
        }
        let pivot = lu[[k, k]];
        min_pivot = min_pivot.min(pivot.abs());
        if pivot == T::zero() {
            continue;
        }
        for i in k + 1..n {
            let l = lu[[i, k]].sdiv(pivot);
            lu[[i, k]] = l;
            if l != T::zero() {
                for j in k + 1..n {
                    let ukj = lu[[k, j]];
                    lu[[i, j]] -= l * ukj;
                }
            }
        }
    }
    Lu {
        lu,
        odd,
        perm,
        min_pivot,
    }
}

/// Factorises `a` for solving, applying the singularity rule.
fn lu_for_solve<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<Lu<T>> {
    square(&a)?;
    check_finite(a.iter())?;
    let lu = lu_factor(a);
    check_pivots(lu.lu.diag().iter().copied(), max_abs(a.iter()))?;
    Ok(lu)
}

/// Solves `L U X = P B` in place on the rows of `b` (already permuted).
fn lu_solve_in_place<T: Field>(lu: &Array2<T>, b: &mut Array2<T>) {
    let n = lu.nrows();
    let nrhs = b.ncols();
    // Forward substitution with unit-diagonal L.
    for k in 0..n {
        for i in k + 1..n {
            let l = lu[[i, k]];
            if l != T::zero() {
                for j in 0..nrhs {
                    let bkj = b[[k, j]];
                    b[[i, j]] -= l * bkj;
                }
            }
        }
    }
    // Back substitution with U.
    for k in (0..n).rev() {
        let ukk = lu[[k, k]];
        for j in 0..nrhs {
            b[[k, j]] = b[[k, j]].sdiv(ukk);
        }
        for i in 0..k {
            let u = lu[[i, k]];
            if u != T::zero() {
                for j in 0..nrhs {
                    let bkj = b[[k, j]];
                    b[[i, j]] -= u * bkj;
                }
            }
        }
    }
}

/// Determinant via LU with partial pivoting (`numpy.linalg.det`).
///
/// A singular matrix has determinant 0 (not an error); the determinant of a
/// 0×0 matrix is 1. Errors: [`LinalgError::NotSquare`],
/// [`LinalgError::NonFinite`] for NaN/infinite entries. The product of the
/// pivots may overflow to infinity for large matrices, as in NumPy.
pub fn det<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<T> {
    square(&a)?;
    check_finite(a.iter())?;
    let lu = lu_factor(a);
    if lu.min_pivot == 0.0 {
        return Ok(T::zero());
    }
    let mut d = if lu.odd { -T::one() } else { T::one() };
    for x in lu.lu.diag() {
        d *= *x;
    }
    Ok(d)
}

/// Solves `A x = b` by LU with partial pivoting (`numpy.linalg.solve`).
///
/// `b` is a vector of length `n` (1-D) or an `n×k` matrix (2-D); the result
/// has the shape of `b`.
///
/// Singularity rule: the matrix is reported [`LinalgError::Singular`] if some
/// pivot `u_kk` satisfies `|u_kk| <= n * eps * max|a_ij|` (this includes an
/// exactly zero pivot). Such matrices have a condition number of order
/// `1/eps` or worse, where NumPy would return meaningless numbers.
///
/// Errors: [`LinalgError::NotSquare`], [`LinalgError::DimensionMismatch`]
/// (wrong length, or `b` not 1-D/2-D), [`LinalgError::NonFinite`],
/// [`LinalgError::Singular`].
pub fn solve<T: Field, D: Dimension>(
    a: ArrayView2<'_, T>,
    b: ArrayView<'_, T, D>,
) -> LinalgResult<Array<T, D>> {
    let n = square(&a)?;
    let mut b2 = rhs_to_2d("solve", shape2(&a), &b)?;
    if b2.nrows() != n {
        return Err(LinalgError::DimensionMismatch {
            op: "solve",
            left: shape2(&a),
            right: b.shape().to_vec(),
        });
    }
    check_finite(b2.iter())?;
    let lu = lu_for_solve(a)?;
    let mut pb = Array2::<T>::zeros(b2.dim());
    for (i, &p) in lu.perm.iter().enumerate() {
        pb.row_mut(i).assign(&b2.row(p));
    }
    b2 = pb;
    lu_solve_in_place(&lu.lu, &mut b2);
    rhs_from_2d("solve", b2, &b, n)
}

/// Matrix inverse by LU with partial pivoting (`numpy.linalg.inv`).
///
/// The inverse of a 0×0 matrix is 0×0. Uses the same singularity rule as
/// [`solve`]. Errors: [`LinalgError::NotSquare`], [`LinalgError::NonFinite`],
/// [`LinalgError::Singular`].
pub fn inv<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<Array2<T>> {
    let n = square(&a)?;
    let lu = lu_for_solve(a)?;
    let mut x = Array2::<T>::zeros((n, n));
    for (i, &p) in lu.perm.iter().enumerate() {
        x[[i, p]] = T::one();
    }
    lu_solve_in_place(&lu.lu, &mut x);
    Ok(x)
}

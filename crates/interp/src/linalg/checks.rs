//! The checks every linear-algebra engine makes before and after it
//! factorises: square matrices, finite entries, and the singularity rule
//! on LU pivots. The reference routines here and the runtime's LAPACK path
//! both use these, so a matrix is judged the same way by every engine.

use ndarray::ArrayView2;
use num_traits::Float;

use super::{LinalgError, LinalgResult};
use crate::element::Inexact;
use crate::EvalError;

/// The order `n` of a square matrix; [`LinalgError::NotSquare`] otherwise.
pub fn square<T>(a: &ArrayView2<'_, T>) -> LinalgResult<usize> {
    let (rows, cols) = a.dim();
    if rows == cols {
        Ok(rows)
    } else {
        Err(LinalgError::NotSquare { rows, cols })
    }
}

/// The error of blaze function `op` given a matrix of `shape` that is not
/// square (the message every engine gives).
pub fn not_square(op: &str, shape: &[usize]) -> EvalError {
    EvalError::Linalg(format!(
        "`{op}` needs a square matrix, found shape {shape:?}"
    ))
}

/// The order `n` of a square 2-D array of `shape`; [`not_square`] for
/// blaze function `op` otherwise.
pub fn require_square(op: &str, shape: &[usize]) -> Result<usize, EvalError> {
    match shape {
        [r, c] if r == c => Ok(*r),
        _ => Err(not_square(op, shape)),
    }
}

/// [`LinalgError::NonFinite`] unless every entry is finite.
pub fn check_finite<'a, T: Inexact>(it: impl IntoIterator<Item = &'a T>) -> LinalgResult<()> {
    if it.into_iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(LinalgError::NonFinite)
    }
}

/// [`check_finite`] on the lower triangle (diagonal included) of a square
/// matrix.
pub(crate) fn check_finite_lower<T: Inexact>(a: &ArrayView2<'_, T>) -> LinalgResult<()> {
    for ((i, j), x) in a.indexed_iter() {
        if j <= i && !x.is_finite() {
            return Err(LinalgError::NonFinite);
        }
    }
    Ok(())
}

/// Largest modulus of the entries (0 for empty input).
pub fn max_abs<'a, T: Inexact>(it: impl IntoIterator<Item = &'a T>) -> f64 {
    it.into_iter().fold(0.0, |m: f64, x| m.max(x.abs()))
}

/// The singularity rule on the `n` pivots `u_kk` of an LU factorisation
/// with partial pivoting of a matrix whose largest entry has modulus
/// `max_abs`: [`LinalgError::Singular`] if some `|u_kk| <= n * eps * max_abs`
/// (`eps` of `T`'s precision; this includes an exactly zero pivot). Such
/// matrices have a condition number of order `1/eps` or worse.
pub fn check_pivots<T: Inexact>(
    pivots: impl IntoIterator<Item = T> + Clone,
    max_abs: f64,
) -> LinalgResult<()> {
    let n = pivots.clone().into_iter().count();
    let eps: f64 = <T::Real as Float>::epsilon().into();
    let tol = n as f64 * eps * max_abs;
    if pivots.into_iter().any(|p| p.abs() <= tol) {
        Err(LinalgError::Singular)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pivots_are_judged_in_the_precision_of_the_type() {
        // A pivot of 1e-10 against entries of 1 is fine in double precision and
        // singular in single precision (n * eps(f32) ≈ 2.4e-7).
        assert_eq!(check_pivots([1.0f64, 1e-10], 1.0), Ok(()));
        assert_eq!(
            check_pivots([1.0f32, 1e-10], 1.0),
            Err(LinalgError::Singular)
        );
        assert_eq!(check_pivots([0.0f64], 0.0), Err(LinalgError::Singular));
        assert_eq!(check_pivots(std::iter::empty::<f64>(), 0.0), Ok(()));
        assert_eq!(
            require_square("inv", &[2, 3]),
            Err(crate::EvalError::Linalg(
                "`inv` needs a square matrix, found shape [2, 3]".into()
            ))
        );
        assert_eq!(require_square("inv", &[3, 3]), Ok(3));
        assert!(require_square("inv", &[3]).is_err());
    }
}

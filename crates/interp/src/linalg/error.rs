//! [`LinalgError`]: why a reference linear-algebra routine failed.

use std::fmt;

/// Why a linear-algebra routine failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinalgError {
    /// The routine needs a square matrix.
    NotSquare {
        /// Number of rows of the offending matrix.
        rows: usize,
        /// Number of columns of the offending matrix.
        cols: usize,
    },
    /// The matrix is singular, or numerically singular: LU with partial
    /// pivoting met a pivot `|u_kk| <= n * eps * max|a_ij|`.
    Singular,
    /// Cholesky factorisation failed: the leading minor ending at `column`
    /// (0-based) is not positive.
    NotPositiveDefinite {
        /// 0-based column at which a non-positive (or NaN) pivot appeared.
        column: usize,
    },
    /// The input contains NaN or infinity (or, rarely, the computation
    /// overflowed).
    NonFinite,
    /// The operands' shapes are incompatible.
    DimensionMismatch {
        /// The operation that was attempted.
        op: &'static str,
        /// Shape of the left operand.
        left: Vec<usize>,
        /// Shape of the right operand.
        right: Vec<usize>,
    },
    /// An iterative algorithm hit its iteration cap.
    NoConvergence {
        /// The algorithm that did not converge.
        routine: &'static str,
    },
    /// A dimension does not fit the 32-bit indices of BLAS and LAPACK.
    IndexOverflow {
        /// The length that does not fit.
        len: usize,
    },
    /// The result would have more elements than can be allocated.
    TooLarge {
        /// Rows of the would-be result.
        rows: usize,
        /// Columns of the would-be result.
        cols: usize,
    },
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::NotSquare { rows, cols } => write!(
                f,
                "matrix must be square, but it has {rows} rows and {cols} columns"
            ),
            LinalgError::Singular => write!(
                f,
                "matrix is singular: cannot solve or invert \
                 (a pivot was zero or below n*eps*max|a_ij|)"
            ),
            LinalgError::NotPositiveDefinite { column } => write!(
                f,
                "matrix is not positive definite: cholesky failed at column {column} (0-based)"
            ),
            LinalgError::NonFinite => {
                write!(
                    f,
                    "matrix contains NaN or infinity (or the computation overflowed)"
                )
            }
            LinalgError::DimensionMismatch { op, left, right } => write!(
                f,
                "dimension mismatch in {op}: left operand has shape {left:?}, \
                 right operand has shape {right:?}"
            ),
            LinalgError::NoConvergence { routine } => {
                write!(f, "{routine} did not converge within its iteration limit")
            }
            LinalgError::IndexOverflow { len } => {
                write!(f, "a dimension of {len} is too large for 32-bit indices")
            }
            LinalgError::TooLarge { rows, cols } => {
                write!(
                    f,
                    "result of shape [{rows}, {cols}] is too large to allocate"
                )
            }
        }
    }
}

impl std::error::Error for LinalgError {}

/// Result type of this module.
pub type LinalgResult<T> = Result<T, LinalgError>;

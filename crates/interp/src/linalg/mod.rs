//! Reference dense linear algebra: slow, straightforward, accurate, and never
//! panicking.
//!
//! These routines are the oracle that the BLAS/LAPACK code paths of the
//! engines are tested against, so they favour textbook algorithms with
//! well-understood accuracy over speed:
//!
//! | routine       | algorithm                                                        |
//! |---------------|------------------------------------------------------------------|
//! | [`matmul`]    | triple loop, `i-k-j` order (row-major friendly)                  |
//! | [`inv`], [`solve`], [`det`] | LU with partial pivoting (`getrf`-style)           |
//! | [`cholesky`]  | column-oriented Cholesky–Crout on the lower triangle              |
//! | [`qr`]        | Householder reflections with LAPACK's `larfg` sign convention    |
//! | [`svd`], [`lstsq`] | one-sided (Hestenes) Jacobi SVD                             |
//! | [`eigh`]      | cyclic two-sided Jacobi                                          |
//! | [`eig`] (real)    | Householder Hessenberg reduction + Francis double-shift QR (`gehrd` + EISPACK `hqr2`) |
//! | [`eig`] (complex) | Householder Hessenberg reduction + single-shift complex QR + triangular back-substitution |
//!
//! Everything is generic over the sealed [`Field`] trait (of
//! [`crate::element`]), implemented by
//! `f64` and [`num_complex::Complex64`]; callers upcast `f32`/`complex64` first.
//!
//! Conventions follow NumPy (`numpy.linalg`): reduced QR and SVD, `eigh`
//! reading the lower triangle with ascending eigenvalues, `eig` returning
//! unit-norm eigenvectors as columns, `lstsq` with `rcond = eps * max(m, n)`.
//!
//! Every failure is a [`LinalgError`]: shape errors, NaN/infinity in the
//! input ([`LinalgError::NonFinite`]), singular or indefinite matrices, and
//! iteration caps on the iterative algorithms ([`LinalgError::NoConvergence`]).
//!
//! [`checks`] holds the square, finiteness and singularity checks that the
//! runtime's LAPACK path shares with these routines.

pub mod checks;
mod cholesky;
pub(crate) mod eig;
mod eigh;
mod error;
mod lu;
mod products;
mod qr;
mod svd;
#[cfg(test)]
mod tests;
pub(crate) mod util;

pub use crate::element::Field;
pub use cholesky::cholesky;
pub use eig::{eig, Eig};
pub use eigh::eigh;
pub use error::{LinalgError, LinalgResult};
pub use lu::{det, inv, solve};
pub use products::{dot, matmul, matvec, norm, trace, vecdot};
pub use qr::qr;
pub use svd::{lstsq, svd};

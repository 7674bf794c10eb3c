//! # blaze-runtime
//!
//! The runtime: the JIT engine ([`exec`]: fused kernels over chunks on
//! rayon, reference kernels for the rest) and data descriptors ([`npy`]).
//! Out-of-core streaming arrives later.

#![warn(missing_docs)]

// Link OpenBLAS (BLAS and LAPACK) from the system.
extern crate blas_src;
extern crate lapack_src;

/// CSV files as record arrays, by blocks of rows.
pub mod csv;
/// The JIT engine.
pub mod exec;
/// BLAS and LAPACK: matrix products and linear algebra on OpenBLAS.
pub mod linalg;
mod memory;
/// Reading and writing NumPy `.npy` files ([`npy::read_npy`], [`npy::write_npy`]).
pub mod npy;
/// Matrix products on OpenBLAS.
pub use linalg::blas;
/// Linear algebra on LAPACK.
pub use linalg::lapack;
/// Out-of-core execution by blocks of rows.
pub mod stream;
/// Zarr arrays (formats 2 and 3), by blocks of rows.
pub mod zarr;

//! # blaze-runtime
//!
//! The runtime: the JIT engine ([`exec`]: fused kernels over chunks on
//! rayon, BLAS/LAPACK calls, reference kernels for the rest), data files
//! ([`io`]: `.npy`, Zarr, CSV, read and written by blocks of rows),
//! out-of-core execution ([`stream`]), and the [`Session`] that binds named
//! files to a program, decides whether it runs in memory or streamed, runs
//! it and reports. Errors are [`Error`] values.

#![warn(missing_docs)]

// Link OpenBLAS (BLAS and LAPACK) from the system.
extern crate blas_src;
extern crate lapack_src;

pub mod error;
/// The JIT engine.
pub mod exec;
pub mod io;
pub mod linalg;
mod memory;
pub mod session;
pub mod stream;
pub mod value;

pub use error::Error;
pub use session::Session;

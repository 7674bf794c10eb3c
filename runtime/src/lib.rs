//! # blaze-runtime
//!
//! Data descriptors and, later, chunking, scheduling and BLAS calls.
//! So far: `.npy` files.

#![warn(missing_docs)]

/// Reading and writing NumPy `.npy` files ([`npy::read_npy`], [`npy::write_npy`]).
pub mod npy;

//! # blaze-runtime
//!
//! Data descriptors and, later, chunking, scheduling and BLAS calls.
//! So far: `.npy` files.

#![warn(missing_docs)]

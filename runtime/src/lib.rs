//! # blaze-runtime
//!
//! The runtime: the JIT engine ([`exec`]: fused kernels over chunks on
//! rayon, reference kernels for the rest) and data descriptors ([`npy`]).
//! Out-of-core streaming arrives later.

#![warn(missing_docs)]

/// The JIT engine.
pub mod exec;
mod memory;
/// Reading and writing NumPy `.npy` files ([`npy::read_npy`], [`npy::write_npy`]).
pub mod npy;

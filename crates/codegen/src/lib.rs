//! # blaze-codegen
//!
//! The only crate that imports inkwell. It turns a fused group of array
//! operations ([`KernelSpec`], built from IR by [`fuse`]) specialized on rank and operand layout
//! ([`KernelKey`]) into an LLVM function, optimizes it at `O3` for the host
//! CPU (vector loads and stores; libm calls vectorized through glibc's
//! libmvec), JIT-compiles it and caches it by key.
//!
//! ```text
//! KernelSpec + rank + layouts ──llvm.rs──► LLVM IR ──O3, host CPU──► machine code ──► KernelFn
//!                                                     (jit.rs: cache by key text)
//! ```
//!
//! What a kernel does is fixed by `blaze_ir::ops` and must agree with the
//! reference interpreter; the runtime's differential tests check it.

#![warn(missing_docs)]

pub mod aot;
pub mod fuse;
pub mod jit;
pub mod kernel;
mod llvm;
mod machine;
pub mod target;

pub use fuse::{fuse_group, has_kernel_form, kernel_scalar, FusedGroup, NotFused, SpecBuilder};
pub use jit::{jit, Compiled, Dumps, Jit, KernelFn};
pub use kernel::{supported, Combine, Const, KNode, KOp, KernelKey, KernelSpec, Layout};
pub use llvm::Unsupported;

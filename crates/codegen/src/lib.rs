//! # blaze-codegen
//!
//! The only crate that imports inkwell. It turns a fused group of array
//! operations ([`KernelSpec`], built from IR by [`fuse`]) specialized on
//! rank and operand layout ([`KernelKey`]) into an LLVM function, optimizes
//! it at `O3` for the host CPU (vector loads and stores; libm calls
//! vectorized through glibc's libmvec), and either JIT-compiles and caches
//! it by key ([`mod@jit`]) or writes it into an object file with a C wrapper
//! ([`aot`]).
//!
//! ```text
//! IR nodes ──fuse──► KernelSpec + rank + layouts = KernelKey ──llvm──► LLVM IR
//!     ──machine (host CPU, O3)──► jit: ORC, cached by key text ──► KernelFn
//!                             │        (objects kept on disk: disk_cache)
//!                             └─► aot: object file + C header
//! ```
//!
//! Kernels over Arrow buffers ([`ColumnKernel`]: segmented reductions of
//! ragged rows, string predicates) are lowered by `llvm` too and share the
//! JIT's cache.
//!
//! Modules depend one way: `error`, `kernel` and `arrow_kernels` (what a
//! kernel over Arrow buffers computes; on `kernel`) on nothing else; `fuse` on
//! `kernel`; `target` (the host CPU, libm symbols) on nothing; `llvm`
//! (lowering) on `kernel`, `arrow_kernels` and `target`; `machine` (target machine,
//! optimizer) on `target`; `disk_cache` (the persistent kernel cache) on
//! `target`; `jit` and `aot` on all of these, never on each other.

//! What a kernel does is fixed by `blaze_ir::ops` and must agree with the
//! reference interpreter; the runtime's differential tests check it.

#![warn(missing_docs)]

pub mod aot;
pub mod arrow_kernels;
pub mod disk_cache;
mod error;
pub mod fuse;
pub mod jit;
pub mod kernel;
mod llvm;
mod machine;
pub mod target;

pub use arrow_kernels::{
    ColumnKernel, DecimalKernel, DecimalOp, SegmentedKernel, StringKernel, StringOp,
};
pub use disk_cache::CacheUse;
pub use error::Unsupported;
pub use fuse::{
    fuse_group, has_kernel_form, has_plain_kernel_form, kernel_element, kernel_scalar, FusedGroup,
    NotFused, SpecBuilder,
};
pub use jit::{jit, Compiled, Dumps, Jit, KernelFn};
pub use kernel::{supported, Combine, Const, KNode, KOp, KernelKey, KernelSpec, Layout};

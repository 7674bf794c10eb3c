//! # blaze
//!
//! A JIT-compiling array compiler: NumPy generalized. Data is typed by
//! *datashapes* (shape and element type in one small language); array
//! expressions over them are type-unified (broadcasting and promotion),
//! lowered to specialized LLVM kernels and run on all cores, in memory or
//! out of core.
//!
//! This facade is the Rust API users depend on. Today it offers the
//! datashape layer; the expression DSL, the JIT and the runtime are built on
//! it layer by layer (see `ARCHITECTURE.md`).
//!
//! ```text
//! source text ──► datashape / DSL parser ──► typed IR ──► fused kernels ──► LLVM ──► runtime
//!                 [blaze::datashape]           (next layers)
//! ```
//!
//! ```
//! use blaze::datashape::{parse, unify, TypeEnv};
//! let a = parse("3 * 1 * int32").unwrap();
//! let b = parse("4 * float32").unwrap();
//! assert_eq!(unify(&a, &b, &TypeEnv::new()).unwrap().to_string(), "3 * 4 * float32");
//! ```

#![warn(missing_docs)]

/// The code generator: kernels lowered to LLVM and JIT-compiled.
pub use blaze_codegen as codegen;
/// The datashape type language: parser, printer, definitions, unification.
pub use blaze_datashape as datashape;
/// The reference interpreter and its array values.
pub use blaze_interp as interp;
/// The typed IR: type inference, printer, verifier.
pub use blaze_ir as ir;
/// Data descriptors (`.npy` files).
pub use blaze_runtime as runtime;
/// The DSL parser and syntax tree.
pub use blaze_syntax as syntax;

//! # blaze
//!
//! A JIT-compiling array compiler: NumPy generalized. Data is typed by
//! *datashapes* (shape and element type in one small language); array
//! expressions over them are type-unified (broadcasting and promotion),
//! lowered to specialized LLVM kernels and run on all cores, in memory or
//! out of core.
//!
//! This facade is the Rust API users depend on: [`compile`] a module or
//! [`compile_expr`] an expression, then call the [`Kernel`] on ndarray
//! arrays. The layers are re-exported for finer control (see
//! `ARCHITECTURE.md`).
//!
//! ```text
//! source text ──► syntax ──► ir (typed) ──► runtime::exec ──► codegen (LLVM JIT) ──► result
//!                 datashape                         └─────► interp (reference kernels)
//! ```
//!
//! ```
//! use blaze::datashape::{parse, unify, TypeEnv};
//! let a = parse("3 * 1 * int32").unwrap();
//! let b = parse("4 * float32").unwrap();
//! assert_eq!(unify(&a, &b, &TypeEnv::new()).unwrap().to_string(), "3 * 4 * float32");
//! ```

#![warn(missing_docs)]

mod api;

pub use api::{
    compile, compile_expr, compile_expr_for, input, output, scalar_type, Engine, Error, Kernel,
    Module,
};
pub use blaze_interp::Value;

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

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
//! arrays; or run a program on files with a [`Session`], in memory or
//! streamed out of core within a memory limit. The layers are re-exported
//! for finer control (see `ARCHITECTURE.md`).
//!
//! ```text
//! source text ──► syntax ──► ir (typed) ──► runtime::exec ──► codegen (LLVM JIT) ──► result
//!                 datashape                         └─────► interp (reference kernels)
//! ```
//!
//! A file streamed by blocks of rows within 1 MiB of memory gives what the
//! same program gives in memory:
//!
//! ```
//! use blaze::interp::Array;
//! use blaze::Session;
//! let dir = std::env::temp_dir().join(format!("blaze-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let a = dir.join("a.npy");
//! let data = ndarray::Array2::from_shape_fn((20_000, 8), |(i, j)| ((i + j) % 7) as f64);
//! blaze::runtime::io::npy::write_npy(&a, &Array::Float64(data.into_dyn())).unwrap();
//! let a = a.to_str().unwrap();
//!
//! let streamed = Session::new()
//!     .memory_limit(1 << 20)
//!     .eval("A.T @ A", &[("A", a)], None)
//!     .unwrap();
//! assert!(streamed.report.streamed && streamed.report.blocks > Some(1));
//! let in_memory = Session::new().eval("A.T @ A", &[("A", a)], None).unwrap();
//! assert!(!in_memory.report.streamed);
//! assert_eq!(streamed.value, in_memory.value); // small integers: exact
//!
//! // With an output path, the result is written (here block by block).
//! let g = dir.join("g.npy");
//! Session::new()
//!     .memory_limit(1 << 20)
//!     .eval("2*A + 1", &[("A", a)], Some(g.to_str().unwrap()))
//!     .unwrap();
//! assert_eq!(blaze::runtime::io::npy::read_npy(&g).unwrap().shape(), [20_000, 8]);
//! # std::fs::remove_dir_all(&dir).unwrap();
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
mod expr;

pub use api::{
    compile, compile_expr, compile_expr_for, input, output, output_view, scalar_type, view, Engine,
    Error, Kernel, Module,
};
pub use blaze_interp::Value;
pub use blaze_runtime::exec::Arg;
pub use blaze_runtime::Session;
pub use expr::{
    abs, all, any, arccos, arcsin, arctan, arctan2, argmax, argmin, ceil, cos, cosh, count, dot,
    exp, fillna, floor, isna, isnan, linalg, log, log10, log2, max, maximum, mean, min, minimum,
    pow, prod, round, sign, sin, sinh, sqrt, std, sum, tan, tanh, transpose, var, where_, Axes,
    Expr,
};
/// The `ndarray` blaze is built on, so that arrays passed in and out need
/// no matching version in the caller's own dependencies.
pub use ndarray;
/// Complex numbers as blaze's complex arrays hold them.
pub use num_complex;

/// The runtime's array type: owned or borrowed strided buffers with Arrow
/// validity bitmaps.
pub use blaze_array as array;
/// The code generator: kernels lowered to LLVM and JIT-compiled.
pub use blaze_codegen as codegen;
/// The datashape type language: parser, printer, definitions, unification.
pub use blaze_datashape as datashape;
/// The reference interpreter and its array values.
pub use blaze_interp as interp;
/// The typed IR: type inference, printer, verifier.
pub use blaze_ir as ir;
/// The runtime: the JIT engine, BLAS/LAPACK, data files, streaming and
/// sessions.
pub use blaze_runtime as runtime;
/// The DSL parser and syntax tree.
pub use blaze_syntax as syntax;

/// The README's Rust examples, compiled (and run) as documentation tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

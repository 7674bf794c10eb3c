//! # blaze-ir
//!
//! The typed array IR: programs from the syntax tree after name resolution
//! and type inference, every node carrying its datashape.
//!
//! ```text
//! ast::Module ──check_program──► Program { functions: [Function { nodes: [Node { op, args, ty }] }] }
//!                                   │
//!                                   ├── print (Display): one node a line
//!                                   ├── parse_function / parse_program: the printed form back
//!                                   ├── verify: the invariants every pass keeps
//!                                   └── analysis: uses, index dependencies, liveness, extraction
//! ```
//!
//! ```
//! use blaze_ir::compile_expression;
//! use blaze_datashape::parse;
//! let f = compile_expression("2 + x", &[("x".into(), parse("3 * int32").unwrap())]).unwrap();
//! assert_eq!(f.result_type().to_string(), "3 * int32");
//! ```

#![warn(missing_docs)]

pub mod analysis;
mod check;
mod node;
pub mod ops;
mod parse_ir;
pub mod prelude;
mod print;
pub mod props;
pub mod rewrite;
mod verify;

pub use check::{check_expression, check_program, slice_bounds, slice_len};
pub use node::*;
pub use parse_ir::{
    parse_function, parse_function_with, parse_program, parse_program_with, IrParseError,
};
pub use verify::{debug_verify, verify};

use blaze_datashape::{Datashape, TypeEnv};
use blaze_syntax::Diagnostic;

/// Parses and type-checks a module's source.
pub fn compile_module(src: &str) -> Result<Program, Diagnostic> {
    let module = blaze_syntax::parse_module_source(src)?;
    check_program(&module, src)
}

/// Parses and type-checks an expression against named argument types.
pub fn compile_expression(src: &str, args: &[(String, Datashape)]) -> Result<Function, Diagnostic> {
    let expr = blaze_syntax::parse_expression(src)?;
    check_expression(&expr, args, &TypeEnv::new(), src)
}

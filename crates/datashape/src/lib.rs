//! # blaze-datashape
//!
//! The type language of blaze: a *datashape* describes both the shape and
//! the element type of data (LANGUAGE.md section 1).
//!
//! ```text
//! 3 * var[10] * {name: string, price: ?decimal[18, 4]}
//! ─── ───────   ─────────────────────────────────────
//! dim   dim               measure (element type)
//! ```
//!
//! This crate owns:
//! - the values ([`Datashape`], [`Dim`], [`Measure`], [`Scalar`], …);
//! - the parser for both spellings (`3 * int32` and the seed's `3, int32`),
//!   from `grammar/datashape.pest` ([`parse`], [`parse_with`],
//!   [`parse_module`]), and the wording of syntax errors of pest grammars
//!   ([`pest_error_message`], used by the DSL's parser too);
//! - type definitions with parameters and their expansion ([`TypeEnv`]);
//! - the canonical printer (`Display`), whose output parses back to an equal
//!   value;
//! - unification: broadcasting, promotion, type-variable and ellipsis
//!   binding across a signature ([`unify`], [`Unifier`], [`promote`]);
//! - errors as data with byte spans, and their rendering ([`Error`]);
//! - the bound on nesting every parser of blaze enforces, and the stack
//!   growth every recursive walk runs under ([`check_nesting`], [`grow`]).
//!
//! It does no IO and knows nothing of arrays, LLVM or the DSL. Nothing in it
//! panics on any input.
//!
//! ```
//! use blaze_datashape::{parse, unify, TypeEnv};
//! let a = parse("3, 2, Var(10), int32").unwrap();
//! let b = parse("1, Var(100), float32").unwrap();
//! assert_eq!(unify(&a, &b, &TypeEnv::new()).unwrap().to_string(), "3 * 2 * var[100] * float32");
//!
//! let err = parse("5 * 3").unwrap_err();
//! print!("{}", err.render("5 * 3", "<datashape>"));
//! ```

#![warn(missing_docs)]

mod depth;
mod env;
mod error;
mod parse;
mod print;
mod types;
mod unify;

pub use depth::{
    check_nesting, grow, with_front_end_stack, with_parser_stack, FRONT_END_STACK, MAX_NESTING,
};
pub use env::{TypeDef, TypeEnv};
pub use error::{render, snippet, Error, ErrorKind, Span};
pub use parse::{parse, parse_module, parse_with, pest_error_message, Module, Parsed};
pub use print::name_text;
pub use types::{
    is_plain_ident, Datashape, Dim, Encoding, Measure, Scalar, ScalarKind, TimeUnit, TypeArg,
};
pub use unify::{promote, unify, Location, Site, Unifier, UnifyError};

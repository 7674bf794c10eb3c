//! # blaze-syntax
//!
//! The expression DSL (LANGUAGE.md section 2): the pest grammar
//! `grammar/blaze.pest` (compiled together with `grammar/datashape.pest`),
//! and the abstract syntax tree it is lowered into, every node with a byte
//! span. Types written in programs are parsed by `blaze-datashape`;
//! string literals are decoded by [`strings`].
//!
//! This crate does no IO, knows nothing of evaluation, and never panics on
//! any input: a rejection is a [`Diagnostic`].
//!
//! ```
//! use blaze_syntax::{parse_expression, ast::ExprKind};
//! let e = parse_expression("A.T @ A").unwrap();
//! assert!(matches!(e.kind, ExprKind::Binary(..)));
//! let err = parse_expression("2 +").unwrap_err();
//! assert_eq!(err.code, "syntax");
//! ```

#![warn(missing_docs)]

pub mod ast;
mod parse;
pub mod strings;

pub use parse::{parse_expression, parse_module_source};

use blaze_datashape::Span;
use serde::Serialize;

/// An error found in a program: a stable code (`syntax`, `unknown_name`,
/// `type_mismatch`, …), a message saying what was expected and what was
/// found, and the span of the offending text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable category, snake_case.
    pub code: &'static str,
    /// What was expected and what was found.
    pub message: String,
    /// The offending text.
    pub span: Span,
}

impl Diagnostic {
    /// A new diagnostic.
    pub fn new(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span,
        }
    }

    /// The diagnostic shown against its source with a caret under the span.
    pub fn render(&self, source: &str, origin: &str) -> String {
        blaze_datashape::render(&self.message, self.code, source, origin, self.span)
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Diagnostic {}

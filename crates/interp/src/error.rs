//! Errors at evaluation time.

use std::fmt;

/// Why an evaluation failed. Never a panic: every failure the interpreter
/// can meet on user data is one of these.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// Shapes that do not fit (broadcasting, matmul, concat, reshape, index
    /// out of bounds): the message says which.
    Shape(String),
    /// A value that the operation does not accept (empty `min`, a bad
    /// axis, …).
    Value(String),
    /// A linear-algebra failure (singular, not positive definite, …).
    Linalg(String),
    /// An input that does not match the declared type.
    Input(String),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Shape(m) => write!(f, "shape error: {m}"),
            EvalError::Value(m) => write!(f, "value error: {m}"),
            EvalError::Linalg(m) => write!(f, "linear algebra error: {m}"),
            EvalError::Input(m) => write!(f, "input error: {m}"),
        }
    }
}

impl std::error::Error for EvalError {}

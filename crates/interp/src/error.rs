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
    /// A result too large for the memory limit or the machine: the message
    /// names the operation and the size
    /// (`the result of forall i, j needs 298 GiB; …`).
    Memory(String),
}

impl From<blaze_array::alloc::AllocError> for EvalError {
    fn from(e: blaze_array::alloc::AllocError) -> EvalError {
        EvalError::Memory(e.to_string())
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Shape(m) => write!(f, "shape error: {m}"),
            EvalError::Value(m) => write!(f, "value error: {m}"),
            EvalError::Linalg(m) => write!(f, "linear algebra error: {m}"),
            EvalError::Input(m) => write!(f, "input error: {m}"),
            EvalError::Memory(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for EvalError {}

//! [`RoutineError`]: why a LAPACK call (or the checks before it) failed,
//! as data: the blaze function, the routine, LAPACK's `info`, and the
//! interpreter's [`LinalgError`] kind. It converts into the interpreter's
//! [`EvalError`] with the messages every engine gives.

use std::fmt;

use blaze_datashape::Scalar;
use blaze_interp::linalg::checks::not_square;
use blaze_interp::linalg::LinalgError;
use blaze_interp::EvalError;

/// A failure of the runtime's linear algebra on LAPACK.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutineError {
    /// The blaze function that failed (`"solve"`, `"inv"`, …).
    pub op: &'static str,
    /// The LAPACK routine without its type letter (`"gesv"`, `"getrf"`,
    /// …): the one that failed, or, for a failure found by the checks
    /// before the call, the one that would have run. [`RoutineError::name`]
    /// gives the full name.
    pub routine: &'static str,
    /// The element type the routine ran on (its type letter).
    pub scalar: Scalar,
    /// LAPACK's `info` when the routine itself reported the failure.
    pub info: Option<i32>,
    /// What went wrong.
    pub kind: LinalgError,
}

impl RoutineError {
    /// The routine's full LAPACK name with its type letter (`"dgesv"`).
    pub fn name(&self) -> String {
        let letter = match self.scalar {
            Scalar::Float32 => "s",
            Scalar::Float64 => "d",
            Scalar::Complex64 => "c",
            Scalar::Complex128 => "z",
            _ => "",
        };
        format!("{letter}{}", self.routine)
    }

    /// The error as the interpreter reports it: shape problems as
    /// [`EvalError::Shape`], the rest as [`EvalError::Linalg`].
    fn to_eval(&self) -> EvalError {
        match &self.kind {
            LinalgError::NotSquare { rows, cols } => not_square(self.op, &[*rows, *cols]),
            LinalgError::DimensionMismatch { left, right, .. } => {
                EvalError::Shape(if right.is_empty() || right.len() > 2 {
                    format!(
                        "the right-hand side must be a vector or a matrix, found shape {right:?}"
                    )
                } else {
                    format!(
                        "a matrix with {} rows cannot be solved against a right-hand side of \
                         shape {right:?}",
                        left.first().copied().unwrap_or(0)
                    )
                })
            }
            LinalgError::IndexOverflow { len } => EvalError::Shape(format!(
                "a dimension of {len} is too large for LAPACK (32-bit indices)"
            )),
            kind => EvalError::Linalg(kind.to_string()),
        }
    }
}

impl fmt::Display for RoutineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_eval() {
            EvalError::Shape(m)
            | EvalError::Value(m)
            | EvalError::Linalg(m)
            | EvalError::Input(m)
            | EvalError::Memory(m) => f.write_str(&m),
        }
    }
}

impl std::error::Error for RoutineError {}

impl From<RoutineError> for EvalError {
    fn from(e: RoutineError) -> EvalError {
        e.to_eval()
    }
}

//! # blaze-interp
//!
//! The reference interpreter: evaluates typed programs on ndarray, slowly and
//! obviously correctly. Every faster engine is tested against it.
//!
//! [`element`] is the one family of element-type traits (every engine
//! builds on it); [`kernels`] the elementwise operations and reductions;
//! [`linalg`] holds the reference dense linear algebra (LU, Cholesky, QR,
//! SVD, eigen-decompositions, least squares) that BLAS/LAPACK paths are
//! tested against.

#![warn(missing_docs)]

mod column;
pub mod element;
mod error;
mod eval;
mod format;
mod format_column;
pub mod kernels;
pub mod linalg;
mod value;

pub use column::Column;
pub use element::Element;
pub use error::EvalError;
pub use eval::{check_input_shapes, check_inputs, eval, eval_op, InputShape};
pub use format::format_value;
pub use value::{Array, Value};

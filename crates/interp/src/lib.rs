//! # blaze-interp
//!
//! The reference interpreter: evaluates typed programs on ndarray, slowly and
//! obviously correctly. Every faster engine is tested against it.

#![warn(missing_docs)]

mod error;
mod value;

pub use error::EvalError;
pub use value::{Array, Value};

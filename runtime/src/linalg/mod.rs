//! Linear algebra on OpenBLAS: matrix products ([`blas`]) and LAPACK
//! routines ([`lapack`]) on the float and complex element types, with
//! their FFI entry points per type kept apart (`blas_ffi`, `lapack_ffi`)
//! and their failures as data ([`RoutineError`]); [`cores`] makes sure
//! OpenBLAS runs kernels made for this CPU.
//!
//! Matrices are judged (square, finite, singular) by the interpreter's own
//! checks, so both engines accept and refuse the same inputs.

pub mod blas;
mod blas_ffi;
pub mod cores;
mod error;
pub mod lapack;
mod lapack_ffi;

pub use error::RoutineError;

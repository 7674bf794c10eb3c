//! The error of code generation, shared by every stage (building a spec,
//! lowering, optimizing, loading, writing objects).

/// Why a kernel (or an object) could not be generated; the text says what
/// and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

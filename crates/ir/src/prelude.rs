//! Builtin signatures, written as data in datashape function syntax. The
//! checker unifies arguments against them (`Unifier::unify_call`); element
//! types are then fixed by the rules in [`crate::ops`].
//!
//! Named dimensions are core dimensions (equal lengths required), ellipses
//! are loop dimensions (broadcast), as documented in the datashape crate.

use blaze_datashape::{parse, Measure};
use std::collections::HashMap;
use std::sync::OnceLock;

/// `(name, signature)` for every builtin whose shape rule is a signature.
pub const SIGNATURES: &[(&str, &str)] = &[
    ("elementwise1", "(Dims... * T) -> Dims... * T"),
    ("elementwise2", "(Dims... * T, Dims... * T) -> Dims... * T"),
    (
        "elementwise3",
        "(Dims... * T, Dims... * T, Dims... * T) -> Dims... * T",
    ),
    (
        "matmul",
        "(Dims... * N * K * T, Dims... * K * M * T) -> Dims... * N * M * T",
    ),
    ("matvec", "(Dims... * N * K * T, K * T) -> Dims... * N * T"),
    ("vecmat", "(K * T, Dims... * K * M * T) -> Dims... * M * T"),
    ("vecdot", "(K * T, K * T) -> T"),
    ("inv", "(N * N * T) -> N * N * T"),
    ("solve", "(N * N * T, N * T) -> N * T"),
    ("solve_matrix", "(N * N * T, N * K * T) -> N * K * T"),
    ("det", "(N * N * T) -> T"),
    ("cholesky", "(N * N * T) -> N * N * T"),
    ("qr", "(M * N * T) -> (M * K * T, K * N * T)"),
    ("svd", "(M * N * T) -> (M * K * T, K * T, K * N * T)"),
    ("eig", "(N * N * T) -> (N * T, N * N * T)"),
    ("eigh", "(N * N * T) -> (N * T, N * N * T)"),
    ("lstsq", "(M * N * T, M * T) -> N * T"),
    ("lstsq_matrix", "(M * N * T, M * K * T) -> N * K * T"),
    ("norm", "(Dims... * T) -> T"),
    ("trace", "(N * N * T) -> T"),
    ("sum", "(Dims... * T) -> T"),
    ("fillna", "(Dims... * ?T, Dims... * T) -> Dims... * T"),
];

/// The parsed signature called `name`.
pub fn signature(name: &str) -> Option<&'static Measure> {
    static TABLE: OnceLock<HashMap<&'static str, Measure>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            SIGNATURES
                .iter()
                .filter_map(|(n, s)| parse(s).ok().map(|ds| (*n, ds.measure)))
                .collect()
        })
        .get(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signature_parses_as_a_function_type() {
        for (name, text) in SIGNATURES {
            let ds = parse(text).unwrap_or_else(|e| panic!("{name}: {}", e.message));
            assert!(ds.dims.is_empty(), "{name}");
            assert!(matches!(ds.measure, Measure::Function { .. }), "{name}");
            assert!(signature(name).is_some(), "{name}");
        }
    }
}

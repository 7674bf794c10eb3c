//! Builtin names: the scalar types and their aliases, the prelude types
//! (`RGBA`), reserved words, which names are type variables.

use super::*;

pub(super) const SCALAR_NAMES: &[(&str, Scalar)] = &[
    ("bool", Scalar::Bool),
    ("int8", Scalar::Int8),
    ("int16", Scalar::Int16),
    ("int32", Scalar::Int32),
    ("int64", Scalar::Int64),
    ("uint8", Scalar::UInt8),
    ("uint16", Scalar::UInt16),
    ("uint32", Scalar::UInt32),
    ("uint64", Scalar::UInt64),
    ("float16", Scalar::Float16),
    ("float32", Scalar::Float32),
    ("float64", Scalar::Float64),
    ("complex64", Scalar::Complex64),
    ("complex128", Scalar::Complex128),
    ("int", Scalar::Int32),
    ("real", Scalar::Float64),
    #[cfg(target_pointer_width = "64")]
    ("intptr", Scalar::Int64),
    #[cfg(target_pointer_width = "64")]
    ("uintptr", Scalar::UInt64),
    #[cfg(target_pointer_width = "32")]
    ("intptr", Scalar::Int32),
    #[cfg(target_pointer_width = "32")]
    ("uintptr", Scalar::UInt32),
];

/// Names with builtin meaning that no definition may take.
pub(super) const RESERVED: &[&str] = &[
    "complex",
    "string",
    "bytes",
    "date",
    "time",
    "datetime",
    "timedelta",
    "decimal",
    "void",
    "null",
    "var",
    "Var",
    "Record",
    "Either",
    "na",
    "type",
];

pub(super) fn scalar_named(name: &str) -> Option<Scalar> {
    SCALAR_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, s)| s)
}

/// Prelude types: names every datashape may use without defining them,
/// standing for their measure (an alias, printed expanded). A definition
/// of the same name in scope takes precedence, so modules that define
/// them keep their meaning.
pub(super) const PRELUDE: &[&str] = &["RGBA"];

/// The measure of prelude type `name`: `RGBA` is
/// `{r: uint8, g: uint8, b: uint8, a: uint8}`, a pixel of an image.
pub(super) fn prelude_measure(name: &str) -> Option<Measure> {
    match name {
        "RGBA" => Some(Measure::Record {
            fields: ["r", "g", "b", "a"]
                .iter()
                .map(|f| {
                    (
                        f.to_string(),
                        Datashape::scalar(Measure::scalar(Scalar::UInt8)),
                    )
                })
                .collect(),
        }),
        _ => None,
    }
}

pub(super) fn is_reserved(name: &str) -> bool {
    scalar_named(name).is_some() || RESERVED.contains(&name)
}

pub(super) fn is_type_var_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

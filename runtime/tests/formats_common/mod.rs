//! Helpers shared by the format tests: the fixtures pyarrow made, their
//! expected facts, and accessors of record values.

#![allow(dead_code)]

use arrow_array::cast::AsArray;
use arrow_array::ArrayRef;
use blaze_datashape::Datashape;
use blaze_interp::{Array, Column, Value};
use blaze_runtime::Session;
use std::path::{Path, PathBuf};

/// The fixtures' directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/formats")
}

/// A fixture by name.
pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// The facts pyarrow computed (`expected.json`).
pub fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A temporary directory, removed when dropped.
pub fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("blaze-formats-{name}-"))
        .tempdir()
        .unwrap()
}

/// A datashape from its text.
pub fn ty(text: &str) -> Datashape {
    blaze_datashape::parse(text).unwrap()
}

/// A record's field by name.
pub fn field<'a>(v: &'a Value, name: &str) -> &'a Value {
    let Value::Record(fs) = v else {
        panic!("not a record: {v:?}")
    };
    &fs.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no field {name}"))
        .1
}

/// The value as a column.
pub fn column(v: &Value) -> &Column {
    match v {
        Value::Column(c) => c,
        other => panic!("not a column: {other:?}"),
    }
}

/// The strings of a `Utf8` array.
pub fn strings(a: &ArrayRef) -> Vec<Option<String>> {
    a.as_string::<i32>()
        .iter()
        .map(|s| s.map(str::to_string))
        .collect()
}

/// The elements of a float64 array value.
pub fn f64s(v: &Value) -> Vec<f64> {
    match v {
        Value::Array {
            data: Array::Float64(a),
            ..
        } => a.iter().copied().collect(),
        other => panic!("not float64: {other:?}"),
    }
}

/// A numeric result as float64s.
pub fn numbers(v: &Value) -> Vec<f64> {
    match v {
        Value::Array { data, .. } => {
            match blaze_interp::kernels::cast(data, blaze_datashape::Scalar::Float64) {
                Array::Float64(a) => a.iter().copied().collect(),
                _ => unreachable!(),
            }
        }
        other => panic!("not numbers: {other:?}"),
    }
}

/// Runs `src` on the input `p` (streamed within `limit` by blocks of two
/// rows when given), writing to `out` when given.
pub fn run(src: &str, input: &str, limit: Option<u64>, out: Option<&Path>) -> Option<Value> {
    let mut s = Session::new();
    if let Some(l) = limit {
        s = s.memory_limit(l).block_rows(2);
    }
    s.eval(src, &[("p", input)], out.map(|p| p.to_str().unwrap()))
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .value
}

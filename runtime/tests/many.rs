//! Many files as one array, through `io::open` and the `Session`: globs
//! and directories concatenated in natural order or stacked by the
//! pattern's levels, in memory and streamed file by file, against single
//! files holding the same data (made by NumPy and pandas,
//! `tests/data/many/make_fixtures.py`) and the values pandas computed.

use blaze_interp::{Array, Value};
use blaze_runtime::io;
use blaze_runtime::Session;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/many")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

const ROW: &str = "var * {t: float64, v: ?float64}";

/// The single float64 a run returns.
fn number(v: &Value) -> f64 {
    match v {
        Value::Array {
            data: Array::Float64(a),
            ..
        } if a.len() == 1 => a.iter().copied().next().unwrap(),
        other => panic!("not one float64: {other:?}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Equal values; single numbers within reassociation (blocks and
/// files sum in another order).
fn same(a: &Value, b: &Value, what: &str) {
    match (a, b) {
        (Value::Array { data: x, .. }, Value::Array { data: y, .. })
            if x.shape().is_empty() && y.shape().is_empty() =>
        {
            assert!(close(number(a), number(b)), "{what}: {a:?} {b:?}")
        }
        _ => assert_eq!(a, b, "{what}"),
    }
}

/// `src` on `name=spec` in memory, and streamed in blocks of `rows` rows;
/// both results.
fn both(src: &str, name: &str, spec: &str, rows: usize) -> (Value, Value) {
    let memory = Session::new().eval(src, &[(name, spec)], None).unwrap();
    assert!(!memory.report.streamed, "{src}");
    let streamed = Session::new()
        .memory_limit(64 << 20)
        .block_rows(rows)
        .eval(src, &[(name, spec)], None)
        .unwrap();
    assert!(streamed.report.streamed, "{src}");
    assert!(streamed.report.blocks > Some(1), "{src}: several blocks");
    (memory.value.unwrap(), streamed.value.unwrap())
}

#[test]
fn twelve_csv_files_are_one_table_in_natural_order() {
    let e = &expected()["measurements"];
    let glob = format!("{}:{ROW}", fixture("measurements/measurement*.csv"));
    let dir = format!("{}:{ROW}", fixture("measurements"));
    let one = format!("{}:{ROW}", fixture("concatenated.csv"));
    for spec in [&glob, &dir] {
        // The mean of an option column does not stream (the planner runs
        // it in memory under the limit); its sum does, file by file.
        let m = Session::new()
            .eval("mean(M.v)", &[("M", spec)], None)
            .unwrap();
        let m = number(&m.value.unwrap());
        assert!(close(m, e["mean_v"].as_f64().unwrap()), "{m}");
        let limited = Session::new()
            .memory_limit(1 << 20)
            .block_rows(7)
            .eval("mean(M.v)", &[("M", spec)], None)
            .unwrap();
        assert!(close(number(&limited.value.unwrap()), m));
        let (m, s) = both("sum(M.v)", "M", spec, 7);
        assert!(close(number(&m), e["sum_v"].as_f64().unwrap()), "{m:?}");
        assert!(close(number(&s), number(&m)), "{s:?} {m:?}");
        for src in ["sum(M.v)", "sum(M.t)", "M.t * 2"] {
            let (m, s) = both(src, "M", spec, 7);
            let single = Session::new()
                .eval(src, &[("M", one.as_str())], None)
                .unwrap()
                .value
                .unwrap();
            same(&m, &s, src);
            same(&m, &single, src);
        }
    }
    // Natural order: file 10 follows file 9, not file 1.
    let before: usize = (1..10)
        .map(|i| {
            let f = fixtures().join(format!("measurements/measurement{i}.csv"));
            std::fs::read_to_string(f).unwrap().lines().count() - 1
        })
        .sum();
    let src = format!("M.t[{before}]");
    let v = Session::new()
        .eval(&src, &[("M", glob.as_str())], None)
        .unwrap()
        .value
        .unwrap();
    assert_eq!(number(&v), e["first_t_of_file_10"].as_f64().unwrap());
    let s = io::open(
        Path::new(&fixture("measurements/measurement*.csv")),
        Some(&blaze_datashape::parse(ROW).unwrap()),
    )
    .unwrap();
    assert_eq!(s.datashape().to_string(), ROW);
    let d = s.describe().unwrap();
    assert!(
        d.starts_with("12 files concatenated")
            && d.contains("measurement1.csv …")
            && d.ends_with("measurement12.csv"),
        "{d}"
    );
}

#[test]
fn npy_parts_concatenate_and_stream_file_by_file() {
    let e = &expected()["parts"];
    let all = io::open(Path::new(&fixture("parts_all.npy")), None).unwrap();
    for pattern in ["parts/*.npy", "parts/part?.npy", "parts/**/*.npy", "parts"] {
        let s = io::open(Path::new(&fixture(pattern)), None).unwrap();
        assert_eq!(s.datashape().to_string(), "13 * 3 * float64", "{pattern}");
        assert_eq!(s.read_all().unwrap(), all.read_all().unwrap(), "{pattern}");
        let spec = fixture(pattern);
        let (m, st) = both("sum(A)", "A", &spec, 3);
        assert!(close(number(&m), e["sum"].as_f64().unwrap()));
        assert!(close(number(&st), number(&m)));
        let (m, st) = both("A * 2 + 1", "A", &spec, 3);
        assert_eq!(m, st, "{pattern}");
    }
    // Blocks never span two files: 4, 7 and 2 rows in blocks of up to 5.
    let s = io::open(Path::new(&fixture("parts/*.npy")), None).unwrap();
    let mut r = s.blocks().unwrap();
    let mut sizes = Vec::new();
    while let Some((_, n)) = r.next_block(5).unwrap() {
        sizes.push(n);
    }
    assert_eq!(sizes, [4, 5, 2, 2]);
    assert_eq!(r.finish().unwrap(), 13);
    // Streamed beside a single file of the same rows, in either order: the
    // single file follows the glob's blocks.
    let (glob, one) = (fixture("parts/*.npy"), fixture("parts_all.npy"));
    for inputs in [[("A", &glob), ("B", &one)], [("B", &one), ("A", &glob)]] {
        let inputs = inputs.map(|(n, p)| (n, p.as_str()));
        let memory = Session::new().eval("A - B", &inputs, None).unwrap();
        let streamed = Session::new()
            .memory_limit(64 << 20)
            .block_rows(5)
            .eval("A - B", &inputs, None)
            .unwrap();
        assert_eq!(streamed.report.blocks, Some(4));
        assert_eq!(memory.value, streamed.value);
        let zeros = Value::from(Array::Float64(ndarray::ArrayD::zeros(ndarray::IxDyn(&[
            13, 3,
        ]))));
        assert_eq!(memory.value, Some(zeros));
    }
}

#[test]
fn npy_files_stack_by_the_levels_of_the_pattern() {
    let e = &expected()["stack"];
    let whole = io::open(Path::new(&fixture("stacked.npy")), None)
        .unwrap()
        .read_all()
        .unwrap();
    for ann in ["2 * 3 * 4 * 5 * float64", "N * M * 4 * 5 * float64"] {
        let spec = format!("{}:{ann}", fixture("stack/*/*.npy"));
        let s = io::open(
            Path::new(&fixture("stack/*/*.npy")),
            Some(&blaze_datashape::parse(ann).unwrap()),
        )
        .unwrap();
        assert_eq!(s.datashape().to_string(), "2 * 3 * 4 * 5 * float64");
        assert_eq!(s.read_all().unwrap(), whole, "{ann}");
        let (m, st) = both("sum(I)", "I", &spec, 1);
        assert!(close(number(&m), e["sum"].as_f64().unwrap()));
        assert!(close(number(&st), number(&m)));
        let (m, st) = both("I * 2", "I", &spec, 1);
        assert_eq!(m, st);
    }
    // One level for both wildcards: the six files in a row.
    let s = io::open(
        Path::new(&fixture("stack/*/*.npy")),
        Some(&blaze_datashape::parse("N * 4 * 5 * float64").unwrap()),
    )
    .unwrap();
    assert_eq!(s.datashape().to_string(), "6 * 4 * 5 * float64");
    let e = io::open(
        Path::new(&fixture("stack/*/*.npy")),
        Some(&blaze_datashape::parse("2 * 4 * 4 * 5 * float64").unwrap()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("level 2") && e.contains("3 entries") && e.contains("not 4"),
        "{e}"
    );
    let e = io::open(
        Path::new(&fixture("stack/**/*.npy")),
        Some(&blaze_datashape::parse("N * M * 4 * 5 * float64").unwrap()),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`**`"), "{e}");
}

/// `src` streamed in blocks of one row: its blocks, checked against the
/// run in memory.
fn blocks_of_one(src: &str, spec: &str) -> Option<usize> {
    let memory = Session::new().eval(src, &[("I", spec)], None).unwrap();
    let streamed = Session::new()
        .memory_limit(64 << 20)
        .block_rows(1)
        .eval(src, &[("I", spec)], None)
        .unwrap();
    assert!(streamed.report.streamed, "{src}");
    // Blocks sum in another order: equal within rounding.
    let (Some(Value::Array { data: m, .. }), Some(Value::Array { data: s, .. })) =
        (memory.value, streamed.value)
    else {
        panic!("{src}: arrays")
    };
    let (m, s) = (
        blaze_interp::kernels::cast(&m, blaze_datashape::Scalar::Float64),
        blaze_interp::kernels::cast(&s, blaze_datashape::Scalar::Float64),
    );
    let (blaze_interp::Array::Float64(m), blaze_interp::Array::Float64(s)) = (m, s) else {
        panic!("{src}: float64")
    };
    assert_eq!(m.shape(), s.shape(), "{src}");
    for (a, b) in m.iter().zip(s.iter()) {
        assert!(close(*a, *b), "{src}: {a} vs {b}");
    }
    streamed.report.blocks
}

#[test]
fn levels_reduced_together_stream_file_by_file() {
    let spec = format!("{}:N * M * 4 * 5 * float64", fixture("stack/*/*.npy"));
    // Six files, six blocks: the two levels read as one.
    for src in [
        "mean(I, axis=(0, 1))",
        "sum(sqrt(I * I + 1), axis=(0, 1, 3))",
        "mean(I[..., 1], axis=(0, 1))",
        "max(I)",
    ] {
        assert_eq!(blocks_of_one(src, &spec), Some(6), "{src}");
    }
    // A program that tells the levels apart reads whole groups.
    for src in ["mean(I, axis=0)", "sum(I, axis=(0, 2, 3))"] {
        assert_eq!(blocks_of_one(src, &spec), Some(2), "{src}");
    }
}

#[test]
fn groups_of_different_sizes_are_a_var_level() {
    let e = &expected()["ragged"];
    let pattern = fixture("ragged/*/*.npy");
    let spec = format!("{pattern}:N * var * 4 * 5 * float64");
    let s = io::open(
        Path::new(&pattern),
        Some(&blaze_datashape::parse("N * var * 4 * 5 * float64").unwrap()),
    )
    .unwrap();
    assert_eq!(s.datashape().to_string(), "2 * var * 4 * 5 * float64");
    let Value::Column(c) = s.read_all().unwrap() else {
        panic!("a list column")
    };
    assert_eq!(c.shape, [2]);
    let v = Session::new()
        .eval("sum(I)", &[("I", spec.as_str())], None)
        .unwrap()
        .value
        .unwrap();
    assert!(close(number(&v), e["sum"].as_f64().unwrap()), "{v:?}");
    for ann in ["N * M * 4 * 5 * float64", "2 * 2 * 4 * 5 * float64"] {
        let e = io::open(
            Path::new(&pattern),
            Some(&blaze_datashape::parse(ann).unwrap()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("g1") && e.contains("g2") && e.contains("`var`"),
            "{ann}: {e}"
        );
    }
}

#[test]
fn csv_files_stack_into_ragged_rows() {
    let e = &expected()["measurements"];
    let spec = format!(
        "{}:N * var * {{t: float64, v: ?float64}}",
        fixture("measurements/measurement*.csv")
    );
    let s = io::open(
        Path::new(&fixture("measurements/measurement*.csv")),
        Some(&blaze_datashape::parse("N * var * {t: float64, v: ?float64}").unwrap()),
    )
    .unwrap();
    assert_eq!(
        s.datashape().to_string(),
        "12 * var * {t: float64, v: ?float64}"
    );
    let v = Session::new()
        .eval("sum(M.t)", &[("M", spec.as_str())], None)
        .unwrap()
        .value
        .unwrap();
    assert!(close(number(&v), e["sum_t"].as_f64().unwrap()), "{v:?}");
}

#[test]
fn disagreements_and_empty_patterns_are_named() {
    let e = io::open(Path::new(&fixture("mixed/*.npy")), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("a.npy") && e.contains("b.npy") && e.contains("3 * 5 * float64"),
        "{e}"
    );
    let e = io::open(Path::new(&fixture("nothing/*.npy")), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nothing/*.npy") && e.contains("no file matches"),
        "{e}"
    );
    for ann in ["2 * 3 * 4 * 6 * float64", "2 * 3 * 4 * 5 * float32"] {
        let e = io::open(
            Path::new(&fixture("stack/*/*.npy")),
            Some(&blaze_datashape::parse(ann).unwrap()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("x1.npy") && e.contains("4 * 5 * float64") && e.contains("stacked"),
            "{e}"
        );
    }
    let e = io::open(
        Path::new(&fixture("parts/*.npy")),
        Some(&blaze_datashape::parse("var * 4 * float64").unwrap()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("part1.npy") && e.contains("var * 4 * float64"),
        "{e}"
    );
}

#[test]
fn stacked_csv_files_stream_by_whole_files() {
    let spec = format!(
        "{}:N * var * {{t: float64, v: ?float64}}",
        fixture("measurements/measurement*.csv")
    );
    let (m, s) = both("sum(M.v, axis=1)", "M", &spec, 5);
    assert_eq!(m, s);
    let Value::Array { data, missing } = &m else {
        panic!("one sum a file")
    };
    assert_eq!(data.shape(), [12]);
    assert!(missing.is_none());
}

#[test]
fn parquet_files_below_a_directory_tree_concatenate() {
    let tmp = tempfile::Builder::new()
        .prefix("blaze-many-parquet-")
        .tempdir()
        .unwrap();
    let d = tmp.path();
    let csv = blaze_datashape::parse(ROW).unwrap();
    let mut parts = Vec::new();
    for (i, sub) in ["a", "b/c", "b/c", "d"].iter().enumerate() {
        let src = fixtures().join(format!("measurements/measurement{}.csv", i + 1));
        let v = io::open(&src, Some(&csv)).unwrap().read_all().unwrap();
        std::fs::create_dir_all(d.join(sub)).unwrap();
        io::write_value(&d.join(sub).join(format!("part{}.parquet", i + 1)), &v).unwrap();
        parts.push(v);
    }
    // A file of another format is not matched by the pattern.
    std::fs::write(d.join("b/notes.txt"), "not data").unwrap();
    let s = io::open(&d.join("**/*.parquet"), None).unwrap();
    assert_eq!(s.describe().unwrap().split(' ').next(), Some("4"));
    let all = s.read_all().unwrap();
    let one = io::open(&d.join("b/c"), None).unwrap().read_all().unwrap();
    let Value::Record(fs) = &all else {
        panic!("a record")
    };
    let Value::Record(gs) = &one else {
        panic!("a record")
    };
    let rows = |v: &Value| match v {
        Value::Array { data, .. } => data.shape()[0],
        Value::Column(c) => c.shape[0],
        _ => 0,
    };
    let count = |p: &Value| match p {
        Value::Record(fs) => rows(&fs[0].1),
        _ => 0,
    };
    assert_eq!(rows(&fs[0].1), parts.iter().map(count).sum::<usize>());
    assert_eq!(rows(&gs[0].1), count(&parts[1]) + count(&parts[2]));
    // The directory of mixed files is refused naming both.
    std::fs::write(d.join("d/extra.csv"), "t,v\n1,2\n").unwrap();
    let e = io::open(&d.join("d"), None).unwrap_err().to_string();
    assert!(
        e.contains("part4.parquet") && e.contains("extra.csv"),
        "{e}"
    );
}

#[test]
fn zarr_arrays_match_a_pattern_too() {
    let tmp = tempfile::Builder::new()
        .prefix("blaze-many-zarr-")
        .tempdir()
        .unwrap();
    let d = tmp.path();
    let all = io::open(Path::new(&fixture("parts_all.npy")), None)
        .unwrap()
        .read_all()
        .unwrap();
    for i in 1..=3 {
        let part = io::open(Path::new(&fixture(&format!("parts/part{i}.npy"))), None)
            .unwrap()
            .read_all()
            .unwrap();
        let Value::Array { data, .. } = part else {
            panic!("an array")
        };
        io::write(&d.join(format!("p{i}.zarr")), &data).unwrap();
    }
    let s = io::open(&d.join("p*.zarr"), None).unwrap();
    assert_eq!(s.datashape().to_string(), "13 * 3 * float64");
    assert_eq!(s.read_all().unwrap(), all);
}

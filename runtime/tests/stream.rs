//! Out-of-core runs against in-memory runs: the same programs over `.npy`
//! files streamed in blocks of many sizes give the same results (exactly
//! for elementwise work and integers; within reassociation for float
//! reductions), and refusals name what cannot stream.

mod numbers;
mod scratch;

use blaze_datashape::{Datashape, Dim, Measure};
use blaze_interp::{Array, Value};
use blaze_ir::compile_expression;
use blaze_runtime::io::npy::{write_npy, NpyFile};
use blaze_runtime::stream::{plan, Input, ROWS};
use blaze_runtime::Session;
use numbers::{data, max_rel};
use std::path::Path;

/// A scratch directory, removed when dropped.
fn dir(name: &str) -> scratch::Scratch {
    scratch::scratch_dir(&format!("blaze-stream-{name}-"))
}

/// Runs `src` in memory and streamed (with `block` rows per block), both
/// through a session binding the files by name.
fn both(src: &str, files: &[(&str, &Path)], block: usize, out: Option<&Path>) -> (Value, Value) {
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, p)| (*n, p.to_str().unwrap()))
        .collect();
    let memory = Session::new().eval(src, &named, None).unwrap();
    assert!(!memory.report.streamed, "{src}");
    let streamed = Session::new()
        .memory_limit(1 << 30)
        .block_rows(block)
        .eval(src, &named, out.map(|p| p.to_str().unwrap()))
        .unwrap();
    assert!(streamed.report.streamed, "{src}");
    let value = match streamed.value {
        Some(v) => v,
        None => Value::from(blaze_runtime::io::npy::read_npy(out.unwrap()).unwrap()),
    };
    (memory.value.unwrap(), value)
}

#[test]
fn streamed_results_match_memory_for_every_block_size() {
    let d = dir("blocks");
    let a = d.join("a.npy");
    let b = d.join("b.npy");
    write_npy(&a, &Array::Float64(data(1037, 23, 1))).unwrap();
    write_npy(&b, &Array::Float64(data(1037, 23, 2))).unwrap();
    let out = d.join("out.npy");
    for block in [1, 7, 64, 500, 1037, 5000] {
        // Elementwise, disk to disk and to memory: exact.
        for out in [Some(out.as_path()), None] {
            let (m, s) = both("2*a + 1", &[("a", &a)], block, out);
            assert_eq!(m, s, "2*a + 1, block {block}");
            let (m, s) = both(
                "where(a > b, a * b, sqrt(b * b + 1))",
                &[("a", &a), ("b", &b)],
                block,
                out,
            );
            assert_eq!(m, s, "where, block {block}");
            // Vector math (libmvec) and its scalar remainder loop may differ
            // in the last bits, and where a block boundary falls decides
            // which elements take which: within a few ulp.
            let (m, s) = both(
                "where(a > b, a * b, sin(b))",
                &[("a", &a), ("b", &b)],
                block,
                out,
            );
            let d = max_rel(&m, &s);
            assert!(d < 1e-15, "sin, block {block}: {d:e}");
        }
        // Reductions over the rows and the gram matrix: within reassociation.
        for src in [
            "sum(sqrt(a*a + 1), axis=0)",
            "sum(a)",
            "mean(a, axis=0)",
            "a.T @ a",
            "a.T @ b",
            "(a.T @ a)[0, 0] + sum(b) / 2",
            "max(a, axis=0) - min(b)",
        ] {
            let (m, s) = both(src, &[("a", &a), ("b", &b)], block, None);
            let d = max_rel(&m, &s);
            assert!(d < 1e-12, "{src}, block {block}: {d:e}");
        }
        // Rows kept, other axes reduced; products with small matrices.
        let (m, s) = both("sum(a * b, axis=1)", &[("a", &a), ("b", &b)], block, None);
        assert_eq!(m, s, "sum axis=1, block {block}");
    }
}

#[test]
fn integer_reductions_are_exact() {
    let d = dir("ints");
    let a = d.join("i.npy");
    let x = data(999, 5, 3).mapv(|v| (v * 1000.0) as i64);
    write_npy(&a, &Array::Int64(x)).unwrap();
    for block in [1, 10, 333, 999] {
        for src in [
            "sum(a, axis=0)",
            "prod(a % 3 + 1, axis=0)",
            "max(a)",
            "any(a > 1990)",
        ] {
            let (m, s) = both(src, &[("a", &a)], block, None);
            assert_eq!(m, s, "{src}, block {block}");
        }
    }
}

#[test]
fn what_cannot_stream_is_named() {
    let d = dir("refuse");
    let a = d.join("a.npy");
    write_npy(&a, &Array::Float64(data(100, 4, 5))).unwrap();
    let f = NpyFile::open(&a).unwrap();
    let ty = Datashape::new(
        vec![Dim::TypeVar(ROWS.into()), Dim::Fixed(4)],
        Measure::scalar(f.scalar()),
    );
    let inputs = [Input::Rows(Box::new(f))];
    for (src, needle) in [
        ("a.T", "transposed"),
        ("a @ a.T", "do not follow"),
        ("a[::-1]", "a"),
    ] {
        let func = compile_expression(src, &[("a".into(), ty.clone())]).unwrap();
        let e = plan(&func, &inputs, 1 << 30, None).unwrap_err().to_string();
        assert!(e.contains(needle), "{src}: {e}");
    }
    // A memory limit too small for the accumulators.
    let func = compile_expression("a.T @ a", &[("a".into(), ty)]).unwrap();
    let e = plan(&func, &inputs, 64, None).unwrap_err().to_string();
    assert!(e.contains("memory limit"), "{e}");
}

#[test]
fn the_memory_limit_sizes_the_blocks() {
    let d = dir("limit");
    let a = d.join("a.npy");
    write_npy(&a, &Array::Float64(data(10_000, 100, 9))).unwrap();
    let f = NpyFile::open(&a).unwrap();
    let ty = Datashape::new(
        vec![Dim::TypeVar(ROWS.into()), Dim::Fixed(100)],
        Measure::scalar(f.scalar()),
    );
    let inputs = [Input::Rows(Box::new(f))];
    let func = compile_expression("2*a + 1", &[("a".into(), ty)]).unwrap();
    // 800 bytes a row: three input blocks and two output blocks in flight.
    let p = plan(&func, &inputs, 4_000_000, None).unwrap();
    assert!(
        p.block_rows() * 800 * 5 <= 4_000_000,
        "{} rows",
        p.block_rows()
    );
    assert!(p.blocks().unwrap() > 1);
    let tasks = p.tasks(Some("out.npy"));
    assert!(
        tasks
            .iter()
            .any(|t| t.starts_with("('a', 0): read rows 0..")),
        "{tasks:?}"
    );
    assert!(
        tasks.last().unwrap().contains("rename out.npy"),
        "{tasks:?}"
    );
}

fn csv_type(text: &str) -> Datashape {
    blaze_datashape::parse(text).unwrap()
}

/// Runs `src` over a CSV input read whole and streamed by `block` rows.
fn csv_both(src: &str, path: &Path, ty: &str, block: usize) -> (Value, Value) {
    let spec = format!("{}:{ty}", path.display());
    let memory = Session::new().eval(src, &[("p", &spec)], None).unwrap();
    assert!(!memory.report.streamed);
    let streamed = Session::new()
        .memory_limit(1 << 30)
        .block_rows(block)
        .eval(src, &[("p", &spec)], None)
        .unwrap();
    assert!(streamed.report.streamed);
    (memory.value.unwrap(), streamed.value.unwrap())
}

#[test]
fn csv_records_stream_like_they_read_whole() {
    let d = dir("csv");
    let path = d.join("p.csv");
    let mut text = String::from("a,b,c\n");
    for i in 0..1001 {
        let b = if i % 17 == 0 {
            String::new()
        } else {
            format!("{}", (i as f64) * 0.25 - 7.0)
        };
        let c = if i % 3 == 0 { "\"true\"" } else { "false" };
        text.push_str(&format!("{},{b},{c}\n", i % 11 - 5));
    }
    std::fs::write(&path, text).unwrap();
    let ty = "var * {a: int16, b: ?float64, c: bool}";
    for block in [1, 10, 333, 1001, 4000] {
        for src in [
            "sum(p.a)",
            "sum(p.b) / count(p.b)",
            "max(p.a * 3)",
            "min(p.b)",
            "max(p.b * 2)",
            "any(p.c)",
            "p.a * 2 + 1",
        ] {
            let (m, s) = csv_both(src, &path, ty, block);
            match (&m, &s) {
                (Value::Array { data: x, .. }, Value::Array { data: y, .. })
                    if x.scalar() == blaze_datashape::Scalar::Float64 =>
                {
                    assert!(max_rel(&m, &s) < 1e-12, "{src}, block {block}")
                }
                _ => assert_eq!(m, s, "{src}, block {block}"),
            }
        }
    }
}

#[test]
fn min_and_max_over_options_merge_blocks_without_values() {
    let d = dir("csv-missing");
    let path = d.join("p.csv");
    // Rows 0..4 have no `b`; row 5 has; rows 6..9 have none again.
    let mut text = String::from("a,b\n");
    for i in 0..10 {
        let b = if i == 5 {
            "2.5".to_string()
        } else {
            String::new()
        };
        text.push_str(&format!("{i},{b}\n"));
    }
    std::fs::write(&path, text).unwrap();
    let ty = "var * {a: int16, b: ?float64}";
    for block in [1, 3, 10] {
        for src in ["min(p.b)", "max(p.b)"] {
            let (m, s) = csv_both(src, &path, ty, block);
            assert_eq!(m, s, "{src}, block {block}");
            let Value::Array { data, missing } = s else {
                panic!("not an array")
            };
            assert_eq!(missing.map(|m| m.iter().any(|&x| x)), Some(false));
            assert_eq!(data, Array::Float64(ndarray::arr0(2.5).into_dyn()));
        }
    }
    // No value at all: the result is missing, streamed as in memory.
    let empty = d.join("q.csv");
    std::fs::write(&empty, "a,b\n1,\n2,\n3,\n").unwrap();
    for block in [1, 2, 3] {
        let (m, s) = csv_both("min(p.b)", &empty, ty, block);
        let (Value::Array { missing: mm, .. }, Value::Array { missing: ms, .. }) = (&m, &s) else {
            panic!("not arrays")
        };
        assert_eq!(mm.as_ref().map(|m| m.iter().all(|&x| x)), Some(true));
        assert_eq!(
            ms.as_ref().map(|m| m.iter().all(|&x| x)),
            Some(true),
            "block {block}"
        );
    }
}

#[test]
fn csv_errors_name_the_line_and_field() {
    use blaze_runtime::io::csv::CsvFile;
    let d = dir("csv-errors");
    let ty = csv_type("var * {a: int8, b: float64}");
    for (text, needle) in [
        ("1,2.5\n2,x\n", "p.csv:2: field `b`: `x` is not a float64"),
        (
            "1,2.5\n300,1\n",
            "p.csv:2: field `a`: `300` is not in the range of int8",
        ),
        (
            "1,2.5,3\n",
            "p.csv:1: 3 cells, but the datashape has 2 fields",
        ),
        ("1,\"2.5\n", "not closed"),
        ("a,b\n,1\n", "p.csv:2: field `a`: `` is not an int8"),
    ] {
        let path = d.join("p.csv");
        std::fs::write(&path, text).unwrap();
        let e = CsvFile::open(&path, &ty)
            .unwrap()
            .read_all()
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{text:?}: {e}");
    }
    // A fixed row count is checked.
    let path = d.join("p.csv");
    std::fs::write(&path, "1,2\n3,4\n").unwrap();
    let e = CsvFile::open(&path, &csv_type("3 * {a: int8, b: float64}"))
        .unwrap()
        .read_all()
        .unwrap_err()
        .to_string();
    assert!(e.contains("says 3 rows, the file has 2"), "{e}");
    // Only records of scalars.
    let e = CsvFile::open(&path, &csv_type("var * {a: var * int32}"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("CSV fields are numbers, bools, strings"), "{e}");
}

/// A version 1.0 `.npy` file of `descr` and `shape` with `data` as its bytes.
fn raw_npy(path: &Path, descr: &str, shape: &str, data: &[u8]) {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn files_converted_while_read_stream_like_they_read_whole() {
    let d = dir("convert");
    // Big-endian float64: converted once, while each block is read.
    let x = data(301, 7, 5);
    let be: Vec<u8> = x.iter().flat_map(|v| v.to_be_bytes()).collect();
    let a = d.join("be.npy");
    raw_npy(&a, ">f8", "(301, 7)", &be);
    // Bools stored as any nonzero byte: true, whatever the byte.
    let flags: Vec<u8> = (0..301 * 7).map(|i| [0u8, 1, 7, 255][i % 4]).collect();
    let b = d.join("b.npy");
    raw_npy(&b, "|b1", "(301, 7)", &flags);
    let out = d.join("out.npy");
    for block in [1, 16, 301] {
        for out in [Some(out.as_path()), None] {
            let (m, s) = both("2*a + 1", &[("a", &a)], block, out);
            assert_eq!(m, s, "big-endian, block {block}");
            let (m, s) = both("where(b, a, 0.0)", &[("a", &a), ("b", &b)], block, out);
            assert_eq!(m, s, "bools, block {block}");
        }
        let (m, s) = both("sum(a, axis=0)", &[("a", &a)], block, None);
        assert!(max_rel(&m, &s) < 1e-12, "big-endian sum, block {block}");
        let (m, s) = both("any(b, axis=0)", &[("b", &b)], block, None);
        assert_eq!(m, s, "any over bools, block {block}");
    }
    // And the values are the file's.
    let (m, _) = both("a + 0", &[("a", &a)], 16, None);
    assert_eq!(m, Value::from(Array::Float64(x)));
}

//! Sessions over table files: streamed runs equal in-memory ones for every
//! format, the DSL over pyarrow's files agrees with pyarrow, the Stock
//! example end to end, results written by extension (`.npy` refusing what
//! it cannot hold), and pyarrow reading what blaze wrote.

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use blaze_interp::Value;
use blaze_runtime::io;
use blaze_runtime::Session;
use std::path::{Path, PathBuf};

mod formats_common;
use formats_common::*;

/// `many.parquet` also as an Arrow file, JSON lines and CSV (its scalar
/// columns), all written by blaze, with the datashape each is read with.
fn many_in_every_format(d: &Path) -> Vec<(PathBuf, String)> {
    let all = io::open(&fixture("many.parquet"), None)
        .unwrap()
        .read_all()
        .unwrap();
    let Value::Record(fs) = &all else { panic!() };
    let scalars = Value::Record(fs.iter().filter(|(n, _)| n != "values").cloned().collect());
    let ty = "var * {id: int64, name: string, price: ?decimal[12, 2]}";
    let mut out = vec![(fixture("many.parquet"), ty.to_string())];
    for name in ["many.arrow", "many.jsonl", "many.csv"] {
        let path = d.join(name);
        let v = if name.ends_with(".csv") {
            &scalars
        } else {
            &all
        };
        io::write_value(&path, v).unwrap();
        out.push((path, ty.to_string()));
    }
    out
}

#[test]
fn a_streamed_session_equals_one_in_memory_for_every_format() {
    let tmp = dir("streamed");
    let d = tmp.path();
    for (path, ty) in many_in_every_format(d) {
        // The file's columns are nullable; the datashape says `id` is not.
        let p = &format!("{}:{ty}", path.display());
        for src in ["sum(p.id)", "p.id * 2", "max(p.id) - min(p.id)"] {
            let memory = Session::new().eval(src, &[("p", p)], None).unwrap();
            assert!(!memory.report.streamed);
            let streamed = Session::new()
                .memory_limit(64 << 20)
                .block_rows(700)
                .eval(src, &[("p", p)], None)
                .unwrap();
            assert!(streamed.report.streamed, "{src}");
            assert!(streamed.report.blocks > Some(1), "{src}: several blocks");
            assert_eq!(memory.value, streamed.value, "{} {src}", path.display());
        }
    }
}

#[test]
fn npy_refuses_what_it_cannot_hold_naming_the_formats_that_can() {
    let tmp = dir("npy");
    let d = tmp.path();
    let v = io::open(&fixture("basic.parquet"), None)
        .unwrap()
        .read_all()
        .unwrap();
    for what in [v.clone(), field(&v, "name").clone()] {
        let e = io::write_value(&d.join("x.npy"), &what).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains(".parquet") && m.contains(".arrow") && m.contains(".jsonl"),
            "{m}"
        );
    }
    assert!(!d.join("x.npy").exists());
    // Through a session's `--out`.
    let p = fixture("basic.parquet");
    let e = Session::new()
        .eval(
            "p.name",
            &[("p", p.to_str().unwrap())],
            Some(d.join("y.npy").to_str().unwrap()),
        )
        .unwrap_err();
    assert!(e.to_string().contains(".parquet"), "{e}");
    let out = d.join("names.parquet");
    Session::new()
        .eval(
            "p.name",
            &[("p", p.to_str().unwrap())],
            Some(out.to_str().unwrap()),
        )
        .unwrap();
    let back = io::open(&out, Some(&ty("var * ?string")))
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(back, field(&v, "name").clone());
}

#[test]
fn blaze_writes_what_pyarrow_reads() {
    let tmp = dir("pyarrow");
    let d = tmp.path();
    let v = io::open(&fixture("basic.parquet"), None)
        .unwrap()
        .read_all()
        .unwrap();
    io::write_value(&d.join("basic.parquet"), &v).unwrap();
    io::write_value(&d.join("basic.arrow"), &v).unwrap();
    io::write_value(&d.join("basic.jsonl"), &v).unwrap();
    // The talk's Stock example, its result written by a session.
    let stock = format!(
        "{}:var * {{name: string, open: ?decimal[18, 4], close: ?decimal[18, 4], max: ?decimal[18, 4], min: ?decimal[18, 4]}}",
        fixture("stock.csv").display()
    );
    let mid = d.join("mid.parquet");
    run(
        "{name: p.name, mid: (p.min + p.max) / 2}",
        &stock,
        None,
        Some(&mid),
    );
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-venv/bin/python");
    let has_pyarrow = python.exists()
        && std::process::Command::new(&python)
            .args(["-c", "import pyarrow"])
            .status()
            .is_ok_and(|s| s.success());
    if !has_pyarrow {
        println!(
            "note: no pyarrow at {}; blaze's files were not checked by pyarrow",
            python.display()
        );
        return;
    }
    let out = std::process::Command::new(&python)
        .arg(fixture("make_fixtures.py"))
        .arg("--check")
        .arg(d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_dsl_over_a_pyarrow_parquet_file_agrees_with_pyarrow() {
    let facts = &expected()["basic"];
    let path = fixture("basic.parquet");
    let p = path.to_str().unwrap();
    let floats = |k: &str| -> Vec<f64> {
        facts[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    for limit in [None, Some(64 << 20)] {
        let sums = run("sum(p.values, axis=1)", p, limit, None).unwrap();
        assert_eq!(numbers(&sums), floats("values_sum"), "{limit:?}");
        let counts = run("count(p.values, axis=1)", p, limit, None).unwrap();
        assert_eq!(numbers(&counts), floats("values_count"), "{limit:?}");
        let goog = run("sum(p.name == \"GOOG\")", p, limit, None).unwrap();
        assert_eq!(numbers(&goog), vec![1.0], "{limit:?}");
    }
    let lens = run("len(p.name)", p, None, None).unwrap();
    assert_eq!(numbers(&lens), floats("name_len"));
    let price = run("sum(p.price)", p, None, None).unwrap();
    let c = column(&price);
    assert!(c.shape.is_empty());
    let cents = c.array.as_primitive::<Decimal128Type>().value(0);
    let (digits, scale) = match c.array.data_type() {
        arrow_schema::DataType::Decimal128(_, s) => (cents, *s as u32),
        other => panic!("{other}"),
    };
    let text = format!(
        "{}.{:0w$}",
        digits / 10i128.pow(scale),
        (digits % 10i128.pow(scale)).abs(),
        w = scale as usize
    );
    assert_eq!(text, facts["price_sum"].as_str().unwrap());
}

#[test]
fn the_stock_example_end_to_end() {
    let stock = format!(
        "{}:var * {{name: string, open: ?decimal[18, 4], close: ?decimal[18, 4], max: ?decimal[18, 4], min: ?decimal[18, 4]}}",
        fixture("stock.csv").display()
    );
    let close = run("p.close[p.name == \"GOOG\"]", &stock, None, None).unwrap();
    let c = column(&close);
    let closes: Vec<Option<i128>> = c.array.as_primitive::<Decimal128Type>().iter().collect();
    assert_eq!(closes, vec![Some(22_500), Some(27_500)]);
    let tmp = dir("stock-mid");
    let out = tmp.path().join("mid.parquet");
    assert!(run(
        "{name: p.name, mid: (p.min + p.max) / 2}",
        &stock,
        None,
        Some(&out)
    )
    .is_none());
    let back = io::open(&out, None).unwrap().read_all().unwrap();
    assert_eq!(
        strings(&column(field(&back, "name")).array),
        ["GOOG", "AAPL", "MSFT", "GOOG", "IBM"].map(|s| Some(s.to_string()))
    );
    let Value::Array {
        data,
        missing: Some(m),
    } = field(&back, "mid")
    else {
        panic!("mid: {:?}", field(&back, "mid"))
    };
    assert_eq!(
        m.iter().copied().collect::<Vec<_>>(),
        vec![false, false, false, true, false]
    );
    let mid = numbers(&Value::from(data.clone()));
    assert_eq!((mid[0], mid[1], mid[2], mid[4]), (2.0, 10.25, 20.0, 5.75));
}

#[test]
fn a_streamed_result_is_written_block_by_block_to_every_table_format() {
    let p = format!("{}:var * {{id: int64}}", fixture("many.parquet").display());
    let tmp = dir("streamed-out");
    let want: Vec<f64> = (0..5000).map(|i| (2 * i) as f64).collect();
    for name in ["o.parquet", "o.arrow", "o.jsonl", "o.csv"] {
        let out = tmp.path().join(name);
        let outcome = Session::new()
            .memory_limit(64 << 20)
            .block_rows(700)
            .eval("p.id * 2", &[("p", &p)], Some(out.to_str().unwrap()))
            .unwrap();
        assert!(outcome.report.streamed && outcome.value.is_none(), "{name}");
        assert!(outcome.report.blocks > Some(1), "{name}");
        // A table of one column `value`; CSV reads records only.
        let back = if name.ends_with(".csv") {
            let t = ty("var * {value: int64}");
            field(
                &io::open(&out, Some(&t)).unwrap().read_all().unwrap(),
                "value",
            )
            .clone()
        } else {
            io::open(&out, Some(&ty("var * int64")))
                .unwrap()
                .read_all()
                .unwrap()
        };
        assert_eq!(numbers(&back), want, "{name}");
    }
}

#[test]
fn ragged_string_and_decimal_programs_stream_as_they_run_in_memory() {
    // Per-row results with missing values, a record result, ragged
    // reductions and exact decimal partial sums combined across blocks.
    let path = fixture("many.parquet");
    let p = path.to_str().unwrap();
    for src in [
        "sum(p.price)",
        "max(p.price)",
        "len(p.name)",
        "sum(p.values, axis=1)",
        "count(p.values, axis=1)",
        "sum(p.name == \"GOOG\")",
        "{n: p.name, k: len(p.name)}",
    ] {
        let memory = Session::new().eval(src, &[("p", p)], None).unwrap();
        assert!(!memory.report.streamed);
        let streamed = Session::new()
            .memory_limit(64 << 20)
            .block_rows(700)
            .eval(src, &[("p", p)], None)
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(streamed.report.streamed, "{src}");
        assert!(streamed.report.blocks > Some(1), "{src}: several blocks");
        assert_eq!(memory.value, streamed.value, "{src}");
    }
}

#[test]
fn streamed_results_of_strings_decimals_and_records_are_written_as_tables() {
    // Each block's value goes to the table as a record batch; the file
    // reads back equal to the in-memory result, and `.npy` is refused
    // before anything is written.
    let path = fixture("many.parquet");
    let p = path.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (src, ext) in [
        ("p.name", "parquet"),
        ("{n: p.name, k: len(p.name), v: p.values}", "parquet"),
        ("p.price * 2", "arrow"),
        ("{n: upper(p.name), price: p.price}", "csv"),
        ("{n: p.name, x: sum(p.values, axis=1)}", "jsonl"),
    ] {
        let memory = Session::new().eval(src, &[("p", p)], None).unwrap().value;
        let out = dir.path().join(format!("r.{ext}"));
        let streamed = Session::new()
            .memory_limit(64 << 20)
            .block_rows(700)
            .eval(src, &[("p", p)], Some(out.to_str().unwrap()))
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(streamed.report.streamed, "{src}");
        assert!(streamed.report.blocks > Some(1), "{src}: several blocks");
        assert!(streamed.value.is_none(), "{src}: written, not returned");
        // Read back with the result's datashape (CSV and JSON need it).
        let ty = blaze_datashape::parse(&match ext {
            "csv" => "var * {n: ?string, price: ?decimal[10, 2]}".to_string(),
            "jsonl" => "var * {n: ?string, x: float64}".to_string(),
            _ => String::new(),
        })
        .ok();
        let back = io::open(&out, ty.as_ref())
            .and_then(|s| s.read_all())
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        let want = memory.expect("an in-memory result");
        // A result that is not a record is the file's one column.
        let back = match back {
            Value::Record(fields) if !matches!(want, Value::Record(_)) => fields
                .into_iter()
                .next()
                .map(|(_, v)| v)
                .expect("one column"),
            v => v,
        };
        assert_eq!(
            blaze_interp::format_value(&back),
            blaze_interp::format_value(&want),
            "{src} as .{ext}"
        );
    }
    let npy = dir.path().join("r.npy");
    let e = Session::new()
        .memory_limit(64 << 20)
        .block_rows(700)
        .eval("p.name", &[("p", p)], Some(npy.to_str().unwrap()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("Parquet (.parquet)"), "{e}");
    assert!(!npy.exists());
}

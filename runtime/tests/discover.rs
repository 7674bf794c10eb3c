//! Discovery, CSV views and stream sources: `io::discover` on every
//! format, CSV files read without a datashape, a CSV file's columns filling
//! the leaves of another row datashape (in memory and by blocks), and named
//! pipes read once, by blocks, through `io::open` and the `Session`.

mod scratch;

use blaze_interp::{Array, Value};
use blaze_runtime::io::{self, IoErrorKind};
use blaze_runtime::Session;
use ndarray::{ArrayD, IxDyn};
use std::io::Write;
use std::path::{Path, PathBuf};

fn data(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(dir)
        .join(name)
}

fn ty(text: &str) -> blaze_datashape::Datashape {
    blaze_datashape::parse(text).unwrap()
}

/// A 0-d integer or float result as a number.
fn number(v: Option<Value>) -> f64 {
    match v {
        Some(Value::Array {
            data: Array::Int64(a),
            ..
        }) if a.len() == 1 => a.iter().map(|&x| x as f64).sum(),
        Some(Value::Array {
            data: Array::Float64(a),
            ..
        }) if a.len() == 1 => a.iter().sum(),
        other => panic!("not a number: {other:?}"),
    }
}

fn discovered(path: &Path, sample: usize) -> String {
    io::discover(path, sample).unwrap().to_string()
}

#[test]
fn discover_reads_every_format() {
    let d = |name| data("discover", name);
    assert_eq!(
        discovered(&d("people.csv"), 1000),
        "var * {id: int64, name: ?string, height: ?float64, member: bool, born: ?date, seen: datetime}"
    );
    assert_eq!(
        discovered(&d("noheader.csv"), 1000),
        "var * {f0: int64, f1: ?float64, f2: string}"
    );
    assert_eq!(
        discovered(&d("events.jsonl"), 1000),
        "var * {at: int64, kind: string, weights: var * float64, note: ?string}"
    );
    // A key null in every sampled line is `?float64`, an absent key an
    // option.
    let dir = scratch::scratch_dir("blaze-discover-");
    let nulls = dir.join("n.jsonl");
    std::fs::write(&nulls, "{\"a\": 1, \"b\": null}\n{\"a\": 2}\n").unwrap();
    assert_eq!(discovered(&nulls, 10), "var * {a: int64, b: ?float64}");
    // The sample decides: 2 rows see integers only.
    assert_eq!(discovered(&d("late_float.csv"), 2), "var * {n: int64}");
    assert_eq!(discovered(&d("late_float.csv"), 1000), "var * {n: float64}");
    // Self-describing formats by their headers.
    assert_eq!(discovered(&data("npy", "f8_c.npy"), 1), "2 * 3 * float64");
    let zarr = discovered(&data("zarr", "v2_default.zarr"), 1);
    let npy = discovered(&data("zarr", "v2_default.npy"), 1);
    assert_eq!(zarr, npy);
    let parquet = discovered(&data("formats", "basic.parquet"), 1);
    assert!(parquet.starts_with("5 * {name: ?string"), "{parquet}");
    // A pattern is its structure: one dimension per wildcard level, then
    // the files' datashape (one for all CSV files, `var` where files
    // differ).
    let many = data("many", "measurements").join("measurement*.csv");
    assert_eq!(
        discovered(&many, 1000),
        "12 * var * {t: float64, v: ?float64}"
    );
    assert_eq!(
        discovered(&data("many", "measurements"), 1000),
        "12 * var * {t: float64, v: ?float64}"
    );
    let stack = data("many", "stack");
    assert_eq!(
        discovered(&stack.join("*/*.npy"), 1),
        "2 * 3 * 4 * 5 * float64"
    );
    assert_eq!(
        discovered(&stack.join("**/*.npy"), 1),
        "6 * 4 * 5 * float64"
    );
    assert_eq!(
        discovered(&data("many", "ragged").join("*/*.npy"), 1),
        "2 * var * 4 * 5 * float64"
    );
    let images = data("png", "images").join("*/*.png");
    assert_eq!(
        discovered(&images, 1),
        "2 * 3 * 600 * 800 * {r: uint8, g: uint8, b: uint8, a: uint8}"
    );
    // Images stack without a datashape too; other files concatenate.
    let s = io::open(&images, None).unwrap();
    assert_eq!(s.datashape().to_string(), discovered(&images, 1));
    let s = io::open(&many, None).unwrap();
    assert_eq!(s.datashape().to_string(), "var * {t: float64, v: ?float64}");
    let e = io::discover(&data("discover", "absent.csv"), 10).unwrap_err();
    assert!(e.to_string().contains("absent.csv"), "{e}");
}

#[test]
fn csv_without_a_datashape_reads_as_discovered() {
    let s = io::open(&data("discover", "people.csv"), None).unwrap();
    let v = s.read_all().unwrap();
    let Value::Record(fields) = &v else {
        panic!("{v:?}")
    };
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["id", "name", "height", "member", "born", "seen"]);
    let Value::Array {
        data: Array::Float64(h),
        missing: Some(m),
    } = &fields[2].1
    else {
        panic!("{:?}", fields[2].1)
    };
    assert_eq!(h.len(), 4);
    assert_eq!(
        m.iter().copied().collect::<Vec<_>>(),
        [false, true, false, false]
    );
    // Without a header: the first line is a row.
    let s = io::open(&data("discover", "noheader.csv"), None).unwrap();
    let out = Session::new()
        .eval(
            "sum(p.f0)",
            &[("p", data("discover", "noheader.csv").to_str().unwrap())],
            None,
        )
        .unwrap();
    assert_eq!(s.rows(), None);
    assert_eq!(number(out.value), 6.0);
}

/// The 4 × 6 values of `vectors.csv` (the first cell missing in row 4).
fn vectors() -> Vec<f64> {
    (1..=24).map(f64::from).collect()
}

#[test]
fn csv_views_fill_the_leaves_in_order() {
    let path = data("discover", "vectors.csv");
    // Rows of 2 × 3 arrays.
    let s = io::open(&path, Some(&ty("var * 2 * 3 * ?float64"))).unwrap();
    let v = s.read_all().unwrap();
    let Value::Array {
        data: Array::Float64(a),
        missing: Some(m),
    } = &v
    else {
        panic!("{v:?}")
    };
    assert_eq!(a.shape(), [4, 2, 3]);
    let mut want = vectors();
    want[18] = 0.0;
    assert_eq!(a.iter().copied().collect::<Vec<_>>(), want);
    assert_eq!(m.iter().filter(|x| **x).count(), 1);
    assert!(m[[3, 0, 0]]);
    // The same rows by blocks of 3 and 1.
    let mut r = s.blocks().unwrap();
    let mut rows = Vec::new();
    while let Some((b, n)) = r.next_block(3).unwrap() {
        let Value::Array {
            data: Array::Float64(b),
            ..
        } = b.to_value().unwrap()
        else {
            panic!()
        };
        assert_eq!(b.shape(), [n, 2, 3]);
        rows.extend(b.iter().copied());
    }
    assert_eq!(rows, want);
    let e = r.empty_block().unwrap().to_value().unwrap();
    assert!(
        matches!(&e, Value::Array { data, .. } if data.shape() == [0, 2, 3]),
        "{e:?}"
    );
    // Records of 3-vectors.
    let s = io::open(&path, Some(&ty("var * {A: 3 * ?float64, B: 3 * float64}"))).unwrap();
    let Value::Record(fs) = s.read_all().unwrap() else {
        panic!()
    };
    let Value::Array {
        data: Array::Float64(b),
        missing: None,
    } = &fs[1].1
    else {
        panic!("{:?}", fs[1].1)
    };
    assert_eq!(fs[1].0, "B");
    assert_eq!(
        b,
        &ArrayD::from_shape_fn(IxDyn(&[4, 3]), |ix| (ix[0] * 6 + 4 + ix[1]) as f64)
    );
    // Sizes that disagree are named.
    let e = io::open(&path, Some(&ty("var * 2 * 4 * float64"))).unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::BadValue);
    let m = e.to_string();
    assert!(m.contains("6 cells") && m.contains("8 (2 * 4)"), "{m}");
    let e = io::open(&path, Some(&ty("var * {A: 2 * float64, B: 3 * float64}"))).unwrap_err();
    assert!(e.to_string().contains("5 (2 + 3)"), "{e}");
    let e = io::open(&path, Some(&ty("var * {A: 3 * string, B: 3 * float64}"))).unwrap_err();
    assert!(e.to_string().contains("numbers or bools"), "{e}");
    // A missing cell where the view has no option is an error at its line.
    let e = io::open(&path, Some(&ty("var * 6 * float64")))
        .unwrap()
        .read_all()
        .unwrap_err();
    assert!(e.to_string().contains("vectors.csv:5"), "{e}");
}

#[test]
fn views_run_in_memory_and_streamed_alike() {
    let dir = scratch::scratch_dir("blaze-views-");
    let path = dir.join("v.csv");
    let mut text = String::from("Ax,Ay,Az,Bx,By,Bz\n");
    for i in 0..3000 {
        let r: Vec<String> = (0..6).map(|k| ((i * 6 + k) % 17).to_string()).collect();
        text.push_str(&r.join(","));
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    let input = format!("{}:var * 2 * 3 * float64", path.display());
    let mem = Session::new()
        .eval("sum(p, axis=0)", &[("p", &input)], None)
        .unwrap();
    assert!(!mem.report.streamed);
    let streamed = Session::new()
        .memory_limit(1 << 20)
        .block_rows(700)
        .eval("sum(p, axis=0)", &[("p", &input)], None)
        .unwrap();
    assert!(streamed.report.streamed);
    assert!(streamed.report.blocks.unwrap() > 1);
    assert_eq!(mem.value, streamed.value);
    let records = format!(
        "{}:var * {{A: 3 * float64, B: 3 * float64}}",
        path.display()
    );
    let b = Session::new()
        .memory_limit(1 << 20)
        .block_rows(700)
        .eval("sum(p.B, axis=0)", &[("p", &records)], None)
        .unwrap();
    let Some(Value::Array {
        data: Array::Float64(all),
        ..
    }) = &mem.value
    else {
        panic!()
    };
    let Some(Value::Array {
        data: Array::Float64(bs),
        ..
    }) = &b.value
    else {
        panic!()
    };
    let row1: Vec<f64> = all.iter().skip(3).copied().collect();
    assert_eq!(bs.iter().copied().collect::<Vec<_>>(), row1);
}

/// A named pipe in `dir`, and a thread writing `text` into it.
fn pipe(dir: &Path, name: &str, text: String) -> (PathBuf, std::thread::JoinHandle<()>) {
    let path = dir.join(name);
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let p = path.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        // The reader may stop early (an error); a closed pipe is fine.
        let _ = f.write_all(text.as_bytes());
    });
    (path, writer)
}

fn measurements(rows: usize) -> String {
    let mut text = String::from("t,v\n");
    for i in 0..rows {
        if i % 7 == 3 {
            text.push_str(&format!("{i},\n"));
        } else {
            text.push_str(&format!("{i},{}\n", (i % 13) as f64 / 4.0));
        }
    }
    text
}

#[test]
fn named_pipes_are_read_once_by_blocks() {
    let dir = scratch::scratch_dir("blaze-pipes-");
    let text = measurements(5000);
    let file = dir.join("m.csv");
    std::fs::write(&file, &text).unwrap();
    let (fifo, w) = pipe(&dir, "p.csv", text.clone());
    assert!(io::stream::is_stream(&fifo));
    assert!(!io::stream::is_stream(&file));
    let s = io::open(&fifo, Some(&ty("var * {t: float64, v: ?float64}"))).unwrap();
    assert!(s.is_stream());
    assert_eq!(s.bytes(), 0);
    let mut rows = 0;
    {
        let mut r = s.blocks().unwrap();
        while let Some((_, n)) = r.next_block(512).unwrap() {
            rows += n;
        }
        assert_eq!(r.finish().unwrap(), 5000);
    }
    assert_eq!(rows, 5000);
    let e = s.blocks().err().unwrap();
    assert!(e.to_string().contains("stream"), "{e}");
    assert!(s.read_all().unwrap_err().to_string().contains("read once"));
    w.join().unwrap();

    // Through a session, streamed, and discovered: the file's sum.
    let want = Session::new()
        .eval("sum(p.v)", &[("p", file.to_str().unwrap())], None)
        .unwrap()
        .value;
    let (fifo, w) = pipe(&dir, "q", text.clone());
    let got = Session::new()
        .memory_limit(1 << 20)
        .block_rows(300)
        .eval("sum(p.v)", &[("p", fifo.to_str().unwrap())], None)
        .unwrap();
    w.join().unwrap();
    assert!(got.report.streamed);
    assert_eq!(got.value, want);

    // JSON lines, found by their first byte.
    let mut json = String::new();
    for i in 0..100 {
        json.push_str(&format!("{{\"x\": {i}, \"s\": \"r{i}\"}}\n"));
    }
    let (fifo, w) = pipe(&dir, "j", json);
    let got = Session::new()
        .eval("sum(p.x)", &[("p", fifo.to_str().unwrap())], None)
        .unwrap();
    w.join().unwrap();
    assert_eq!(number(got.value), 4950.0);
}

#[test]
fn streams_refuse_what_needs_them_whole_or_twice() {
    let dir = scratch::scratch_dir("blaze-refuse-");
    // Within a limit, a program that cannot stream is refused before the
    // rows are read (the writer has more to give).
    let (fifo, w) = pipe(&dir, "p.csv", measurements(20_000));
    let e = Session::new()
        .memory_limit(1 << 20)
        .eval("p.v - mean(p.v)", &[("p", fifo.to_str().unwrap())], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("stream of unknown size"), "{e}");
    w.join().unwrap();
    // A streamed run does not repeat over a stream.
    let (fifo, w) = pipe(&dir, "q.csv", measurements(100));
    let e = Session::new()
        .memory_limit(1 << 20)
        .repeat(2)
        .eval("sum(p.v)", &[("p", fifo.to_str().unwrap())], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot repeat"), "{e}");
    w.join().unwrap();
    // Without a limit it is read once, whole, and repeats are fine.
    let (fifo, w) = pipe(&dir, "r.csv", measurements(100));
    let got = Session::new()
        .repeat(2)
        .eval("sum(p.t)", &[("p", fifo.to_str().unwrap())], None)
        .unwrap();
    w.join().unwrap();
    assert_eq!(number(got.value), 4950.0);
}

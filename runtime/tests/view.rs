//! Views of array files: a `.npy` file or a Zarr array read under another
//! datashape of the same elements (`N * 6 * float64` as
//! `N * 2 * 3 * float64` or as records of two 3-vectors), in memory and
//! streamed by blocks, against the same values computed on the file as it
//! is; incompatible views are errors naming the sizes.

mod scratch;

use blaze_interp::{Array, Value};
use blaze_runtime::io::npy::write_npy;
use blaze_runtime::io::zarr::write_zarr;
use blaze_runtime::io::{self, RowBlock};
use blaze_runtime::Session;
use ndarray::{ArrayD, IxDyn};
use std::path::Path;

fn table(rows: usize) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(&[rows, 6]), |i| (i[0] * 10 + i[1]) as f64 * 0.5)
}

fn floats(v: &Value) -> ArrayD<f64> {
    match v {
        Value::Array {
            data: Array::Float64(a),
            missing: None,
        } => a.clone(),
        other => panic!("not float64: {other:?}"),
    }
}

/// `src` on the input, in memory or (when the program streams) by blocks.
fn run(src: &str, input: &str, block: Option<usize>) -> (Value, bool) {
    let mut s = Session::new();
    if let Some(b) = block {
        s = s.memory_limit(1 << 30).block_rows(b);
    }
    let out = s.eval(src, &[("A", input)], None).unwrap();
    (out.value.unwrap(), out.report.streamed)
}

fn eval(src: &str, input: &str, block: Option<usize>) -> Value {
    run(src, input, block).0
}

fn files(dir: &Path, rows: usize) -> Vec<String> {
    let a = Array::Float64(table(rows));
    let npy = dir.join("a.npy");
    let zarr = dir.join("a.zarr");
    write_npy(&npy, &a).unwrap();
    write_zarr(&zarr, &a).unwrap();
    vec![
        npy.to_str().unwrap().to_string(),
        zarr.to_str().unwrap().to_string(),
    ]
}

#[test]
fn rows_of_six_are_read_as_two_by_three_in_memory_and_streamed() {
    let dir = scratch::scratch_dir("blaze-view-");
    let t = table(11);
    for f in files(&dir, 11) {
        for ann in [
            "N * 2 * 3 * float64",
            "11 * 2 * 3 * float64",
            "var * N * 3 * float64",
        ] {
            let input = format!("{f}:{ann}");
            let whole = floats(&eval("A", &input, None));
            assert_eq!(whole.shape(), &[11, 2, 3], "{input}");
            assert_eq!(whole.as_slice().unwrap(), t.as_slice().unwrap(), "{input}");
            for block in [Some(1), Some(4), Some(64)] {
                let (got, streamed) = run("sum(A * 2, axis=0)", &input, block);
                assert!(streamed, "{input}");
                let want = floats(&eval("sum(A * 2, axis=0)", &f, None));
                assert_eq!(floats(&got).as_slice().unwrap(), want.as_slice().unwrap());
            }
            // `A[:, 1, :]` are the last three columns, block by block.
            let want = floats(&eval("sum(A[:, 3:], axis=0)", &f, None));
            for block in [None, Some(1), Some(4), Some(64)] {
                let got = floats(&eval("sum(A[:, 1, :], axis=0)", &input, block));
                assert_eq!(got, want, "{input} {block:?}");
                let rows = floats(&eval("A[:, 1, 0] + A[:, 0, 2]", &input, block));
                let plain = floats(&eval("A[:, 3] + A[:, 2]", &f, None));
                assert_eq!(rows, plain, "{input} {block:?}");
            }
        }
    }
}

#[test]
fn rows_of_six_are_read_as_records_of_two_vectors() {
    let dir = scratch::scratch_dir("blaze-view-");
    for f in files(&dir, 9) {
        let input = format!("{f}:N * {{A: 3 * float64, B: 3 * float64}}");
        for block in [None, Some(2), Some(100)] {
            let (b, streamed) = run("sum(A.B - A.A, axis=0)", &input, block);
            assert_eq!(streamed, block.is_some(), "{input}");
            let b = floats(&b);
            assert_eq!(
                b.as_slice().unwrap(),
                &[13.5, 13.5, 13.5],
                "{input} {block:?}"
            );
            let a = floats(&eval("A.A[:, 2] * 2", &input, block));
            let plain = floats(&eval("A[:, 2] * 2", &f, None));
            assert_eq!(a, plain, "{input} {block:?}");
        }
        // A scalar field and a record per half row.
        let input = format!("{f}:N * 2 * {{x: float64, yz: 2 * float64}}");
        let y = floats(&eval("A.yz[:, 1, 0]", &input, None));
        let plain = floats(&eval("A[:, 4]", &f, None));
        assert_eq!(y, plain);
    }
}

#[test]
fn a_plain_view_reads_blocks_in_the_same_buffer() {
    let dir = scratch::scratch_dir("blaze-view-");
    let f = &files(&dir, 8)[0];
    let ty = blaze_datashape::parse("N * 3 * 2 * float64").unwrap();
    let src = io::open(Path::new(f), Some(&ty)).unwrap();
    assert_eq!(src.datashape().to_string(), "8 * 3 * 2 * float64");
    assert_eq!(src.rows(), Some(8));
    let mut r = src.blocks().unwrap();
    let mut seen = Vec::new();
    while let Some((RowBlock::Array(a), n)) = r.next_block(3).unwrap() {
        assert_eq!(a.shape(), &[n, 3, 2]);
        seen.push(a.buffer().as_ptr() as usize);
    }
    assert_eq!(seen.len(), 3);
    // Dropped blocks give their buffer back: the reshaped block is the
    // reader's buffer, not a copy.
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
}

#[test]
fn incompatible_views_name_the_sizes() {
    let dir = scratch::scratch_dir("blaze-view-");
    for f in files(&dir, 5) {
        let err = |ann: &str| {
            let ty = blaze_datashape::parse(ann).unwrap();
            io::open(Path::new(&f), Some(&ty)).unwrap_err().to_string()
        };
        let e = err("N * 2 * 4 * float64");
        assert!(
            e.contains("a row of 6 float64 cannot be viewed as 2 * 4 * float64 (8)"),
            "{e}"
        );
        assert!(e.contains("a."), "{e}");
        let e = err("N * 2 * 3 * int32");
        assert!(e.contains("not a cast") && e.contains("int32"), "{e}");
        let e = err("4 * 6 * float64");
        assert!(e.contains("5 rows"), "{e}");
        let e = err("N * {A: 3 * float64, B: 2 * float64}");
        assert!(
            e.contains("cannot be viewed as {A: 3 * float64, B: 2 * float64} (5)"),
            "{e}"
        );
        let e = err("N * M * 4 * float64");
        assert!(e.contains("(4)"), "{e}");
        let e = err("N * var * float64");
        assert!(e.contains("fixed lengths"), "{e}");
        let e = err("float64");
        assert!(e.contains("no dimension"), "{e}");
        let e = err("N * 6 * ?float64");
        assert!(e.contains("not a cast"), "{e}");
    }
}

#[test]
fn view_in_the_language_equals_a_view_of_the_file() {
    use blaze_runtime::session::Engine;
    let dir = scratch::scratch_dir("blaze-view-");
    let f = &files(&dir, 7)[0];
    for (expr, ann) in [
        ("view(A, 'N * 2 * 3 * float64')", "N * 2 * 3 * float64"),
        ("view(A, '7 * M * 2 * float64') * 2", "N * 3 * 2 * float64"),
        (
            "view(A, 'N * {A: 3 * float64, B: 3 * float64}').B",
            "N * {A: 3 * float64, B: 3 * float64}",
        ),
        (
            "view(A, 'N * 2 * {x: float64, yz: 2 * float64}').yz",
            "N * 2 * {x: float64, yz: 2 * float64}",
        ),
    ] {
        let on_file = match expr.rsplit_once(").") {
            Some((_, field)) => format!("A.{field}"),
            None if expr.ends_with("* 2") => "A * 2".to_string(),
            None => "A".to_string(),
        };
        let want = floats(&eval(&on_file, &format!("{f}:{ann}"), None));
        for engine in [Engine::Interp, Engine::Jit] {
            let got = Session::new()
                .engine(engine)
                .eval(expr, &[("A", f)], None)
                .unwrap()
                .value
                .unwrap();
            assert_eq!(floats(&got), want, "{expr} {engine:?}");
        }
        let got = floats(&eval(expr, f, Some(3)));
        assert_eq!(got, want, "{expr} by blocks");
    }
}

//! The format-neutral I/O layer: `io::open`/`io::create` choose the format
//! from the path, sources read the same rows by blocks as whole, sinks put
//! complete results in place or leave nothing, and errors say which file,
//! where in it, and what kind of problem.

mod scratch;

use blaze_datashape::Scalar;
use blaze_interp::{Array, Value};
use blaze_runtime::io::npy::write_npy;
use blaze_runtime::io::{self, IoErrorKind, Location, RowBlock, RowSource};
use blaze_runtime::value::view_of;
use ndarray::{ArrayD, IxDyn};
use std::path::Path;

/// A scratch directory, removed when dropped.
fn dir(name: &str) -> scratch::Scratch {
    scratch::scratch_dir(&format!("blaze-io-{name}-"))
}

fn matrix(rows: usize, cols: usize) -> Array {
    Array::Float64(ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |ix| {
        (ix[0] * cols + ix[1]) as f64 / 4.0
    }))
}

/// Every block of `source`, `block` rows at a time, as values.
fn by_blocks(source: &dyn RowSource, block: usize) -> Vec<Value> {
    let mut r = source.blocks().unwrap();
    let mut out = Vec::new();
    while let Some((b, n)) = r.next_block(block).unwrap() {
        assert!(n <= block && n > 0);
        out.push(b.to_value().unwrap());
    }
    out
}

/// Float64 blocks of rows joined along the first axis.
fn joined(blocks: &[Value]) -> Value {
    let parts: Vec<_> = blocks
        .iter()
        .map(|v| match v {
            Value::Array {
                data: Array::Float64(a),
                missing: None,
            } => a.view(),
            other => panic!("not a float64 block: {other:?}"),
        })
        .collect();
    Value::from(Array::Float64(
        ndarray::concatenate(ndarray::Axis(0), &parts).unwrap(),
    ))
}

fn names_in(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn formats_are_chosen_by_path_and_read_alike() {
    let d = dir("formats");
    let a = matrix(37, 3);
    let npy = d.join("a.npy");
    let zarr = d.join("a.zarr");
    io::write(&npy, &a).unwrap();
    io::write(&zarr, &a).unwrap();
    for path in [&npy, &zarr] {
        let s = io::open(path, None).unwrap();
        assert_eq!(s.datashape().to_string(), "37 * 3 * float64", "{path:?}");
        assert_eq!(s.row_datashape().to_string(), "3 * float64");
        assert_eq!(
            (s.rows(), s.row_bytes(), s.bytes()),
            (Some(37), 24, 37 * 24)
        );
        assert_eq!(s.cannot_stream(), None);
        assert_eq!(s.read_all().unwrap(), Value::from(a.clone()));
        for block in [1, 5, 37, 100] {
            let blocks = by_blocks(s.as_ref(), block);
            assert_eq!(blocks.len(), 37usize.div_ceil(block), "{path:?} by {block}");
            assert_eq!(
                joined(&blocks),
                Value::from(a.clone()),
                "{path:?} by {block}"
            );
        }
        let mut r = s.blocks().unwrap();
        assert_eq!(
            r.empty_block().unwrap().to_value().unwrap(),
            Value::from(Array::zeros(Scalar::Float64, &[0, 3]))
        );
    }
    // CSV: the datashape of its rows, given or discovered; rows known
    // only at the end.
    let csv = d.join("p.csv");
    std::fs::write(&csv, "a,b\n1,2.5\n2,\n3,4\n").unwrap();
    let found = io::open(&csv, None).unwrap();
    assert_eq!(
        found.datashape().to_string(),
        "var * {a: int64, b: ?float64}"
    );
    assert_eq!(by_blocks(found.as_ref(), 2).len(), 2);
    let ty = blaze_datashape::parse("var * {a: int32, b: ?float64}").unwrap();
    let s = io::open(&csv, Some(&ty)).unwrap();
    assert_eq!(s.rows(), None);
    assert_eq!(s.row_datashape().to_string(), "{a: int32, b: ?float64}");
    assert_eq!(by_blocks(s.as_ref(), 2).len(), 2);
    // Nothing writes CSV.
    let e = io::write(&d.join("out.csv"), &a).unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::Request);
}

#[test]
fn sinks_finish_whole_or_leave_nothing() {
    let d = dir("sinks");
    let a = matrix(10, 2);
    let Array::Float64(x) = &a else {
        unreachable!()
    };
    for name in ["r.npy", "r.zarr"] {
        let path = d.join(name);
        // Rows known at the start, and rows known only at the end.
        for rows in [Some(10), None] {
            let mut sink = io::create(&path, Scalar::Float64, &[2], rows, 4).unwrap();
            for r0 in (0..10).step_by(4) {
                let block = x.slice(ndarray::s![r0..(r0 + 4).min(10), ..]);
                if r0 == 4 {
                    // Any layout: a Fortran-order copy of the same rows.
                    let f = block.t().to_owned();
                    sink.write_rows(r0, &view_of(&f.t())).unwrap();
                } else {
                    sink.write_rows(r0, &view_of(&block)).unwrap();
                }
            }
            if rows.is_some() {
                assert!(!path.exists(), "{name}: visible before finish");
            }
            sink.finish(10).unwrap();
            let back = io::open(&path, None).unwrap().read_all().unwrap();
            assert_eq!(back, Value::from(a.clone()), "{name} {rows:?}");
        }
        // Dropped unfinished: the temporary goes, the old result stays.
        let mut sink = io::create(&path, Scalar::Float64, &[2], Some(10), 4).unwrap();
        sink.write_rows(0, &view_of(&x.slice(ndarray::s![0..4, ..])))
            .unwrap();
        let staged = names_in(&d).iter().filter(|n| n.ends_with(".tmp")).count();
        assert_eq!(staged, 1, "{:?}", names_in(&d));
        drop(sink);
        let back = io::open(&path, None).unwrap().read_all().unwrap();
        assert_eq!(back, Value::from(a.clone()), "{name}");
        // A block of another type is refused, naming the file.
        let mut sink = io::create(&path, Scalar::Float64, &[2], Some(10), 4).unwrap();
        let ints = ArrayD::<i32>::zeros(IxDyn(&[4, 2]));
        let e = sink.write_rows(0, &view_of(&ints.view())).unwrap_err();
        assert_eq!(e.kind(), IoErrorKind::Request);
        assert!(e.to_string().contains(name), "{e}");
    }
    let left: Vec<String> = names_in(&d);
    assert_eq!(left, ["r.npy", "r.zarr"], "temporaries left: {left:?}");
}

#[test]
fn errors_say_where_and_what() {
    let d = dir("errors");
    // An OS error keeps its source.
    let e = io::open(&d.join("missing.npy"), None).unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::Io);
    assert!(std::error::Error::source(&e).is_some());
    assert!(e.to_string().contains("missing.npy"), "{e}");
    // A CSV cell: the line and the field.
    let csv = d.join("p.csv");
    std::fs::write(&csv, "1,2\n3,x\n").unwrap();
    let ty = blaze_datashape::parse("var * {a: int32, b: float64}").unwrap();
    let e = io::open(&csv, Some(&ty)).unwrap().read_all().unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::BadValue);
    assert_eq!(
        e.location(),
        Location::Line {
            line: 2,
            field: Some("b".into())
        }
    );
    assert!(
        e.to_string().starts_with(&format!("{}:2: ", csv.display())),
        "{e}"
    );
    // A Zarr chunk: its key.
    let z = d.join("z.zarr");
    io::write(&z, &matrix(8, 2)).unwrap();
    std::fs::write(z.join("c/0/0"), b"garbage").unwrap();
    let e = io::open(&z, None).unwrap().read_all().unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::Corrupt);
    assert_eq!(e.location(), Location::Chunk("c/0/0".into()));
    assert!(e.to_string().contains("c/0/0: corrupt chunk"), "{e}");
    // A Fortran-order file cannot stream, and says so.
    let f = d.join("f.npy");
    let mut header = "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 4), }".to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(std::iter::repeat_n(0u8, 3 * 4 * 8));
    std::fs::write(&f, bytes).unwrap();
    let s = io::open(&f, None).unwrap();
    let why = s.cannot_stream().expect("refused");
    assert!(why.contains("f.npy") && why.contains("Fortran"), "{why}");
    let zero_d = d.join("s.npy");
    write_npy(&zero_d, &Array::zeros(Scalar::Float64, &[])).unwrap();
    let s = io::open(&zero_d, None).unwrap();
    assert!(s.cannot_stream().unwrap().contains("0-d"));
}

#[test]
fn array_file_blocks_are_blaze_arrays_in_reused_buffers() {
    let d = dir("pool");
    let a = matrix(40, 3);
    let npy = d.join("a.npy");
    io::write(&npy, &a).unwrap();
    let s = io::open(&npy, None).unwrap();
    let mut r = s.blocks().unwrap();
    let address = |b: &RowBlock| match b {
        RowBlock::Array(x) => x.as_ptr() as usize,
        RowBlock::Value(v) => panic!("a .npy block as a value: {v:?}"),
    };
    // A block held while later ones are read keeps its rows.
    let (first, _) = r.next_block(10).unwrap().unwrap();
    let (second, _) = r.next_block(10).unwrap().unwrap();
    assert_ne!(address(&first), address(&second));
    let first_address = address(&first);
    assert_eq!(first_address % 64, 0, "blocks are 64-byte aligned");
    let rows = |b: &RowBlock, r0: usize| {
        let Value::Array {
            data: Array::Float64(x),
            ..
        } = b.to_value().unwrap()
        else {
            panic!("not float64")
        };
        let Array::Float64(all) = &a else {
            unreachable!()
        };
        assert_eq!(x, all.slice(ndarray::s![r0..r0 + 10, ..]).into_dyn());
    };
    rows(&first, 0);
    rows(&second, 10);
    // Once dropped, a block's buffer takes the next rows.
    drop(first);
    let (third, _) = r.next_block(10).unwrap().unwrap();
    assert_eq!(address(&third), first_address);
    rows(&third, 20);
    rows(&second, 10);
}

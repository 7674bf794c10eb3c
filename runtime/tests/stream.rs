//! Out-of-core runs against in-memory runs: the same programs over `.npy`
//! files streamed in blocks of many sizes give the same results (exactly
//! for elementwise work and integers; within reassociation for float
//! reductions), and refusals name what cannot stream.

use blaze_datashape::{Datashape, Dim, Measure};
use blaze_interp::{Array, Value};
use blaze_ir::compile_expression;
use blaze_runtime::exec::{prepare, Options};
use blaze_runtime::npy::{write_npy, NpyFile};
use blaze_runtime::stream::{plan, Input, ROWS};
use ndarray::{ArrayD, IxDyn};
use std::path::{Path, PathBuf};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("blaze-stream-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn data(rows: usize, cols: usize, seed: u64) -> ArrayD<f64> {
    let mut s = seed;
    ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |_| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    })
}

fn max_rel(a: &Value, b: &Value) -> f64 {
    let (Value::Array { data: x, .. }, Value::Array { data: y, .. }) = (a, b) else {
        panic!("not arrays")
    };
    assert_eq!(x.shape(), y.shape());
    let (Array::Float64(x), Array::Float64(y)) = (
        blaze_interp::kernels::cast(x, blaze_datashape::Scalar::Float64),
        blaze_interp::kernels::cast(y, blaze_datashape::Scalar::Float64),
    ) else {
        unreachable!()
    };
    let scale = y.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    x.iter()
        .zip(y.iter())
        .fold(0.0, |m, (p, q)| m.max((p - q).abs() / scale))
}

/// Runs `src` in memory and streamed (with `block` rows per block).
fn both(src: &str, files: &[(&str, &Path)], block: usize, out: Option<&Path>) -> (Value, Value) {
    let mut streamed_types = Vec::new();
    let mut full_types = Vec::new();
    let mut inputs = Vec::new();
    let mut values = Vec::new();
    for (name, path) in files {
        let f = NpyFile::open(path).unwrap();
        let mut dims: Vec<Dim> = f.shape().iter().map(|&n| Dim::Fixed(n as u64)).collect();
        full_types.push((
            name.to_string(),
            Datashape::new(dims.clone(), Measure::scalar(f.scalar())),
        ));
        dims[0] = Dim::TypeVar(ROWS.into());
        streamed_types.push((
            name.to_string(),
            Datashape::new(dims, Measure::scalar(f.scalar())),
        ));
        values.push(Value::from(f.read_all().unwrap()));
        inputs.push(Input::Npy(f));
    }
    let fs = compile_expression(src, &streamed_types).unwrap();
    let ff = compile_expression(src, &full_types).unwrap();
    let memory = prepare(&ff).run(&values, &Options::default()).unwrap().0;
    let p = plan(&fs, &inputs, 1 << 30, Some(block)).unwrap();
    let streamed = match p.run(&inputs, out, None, &|_, _| {}).unwrap() {
        Some(v) => v,
        None => Value::from(blaze_runtime::npy::read_npy(out.unwrap()).unwrap()),
    };
    (memory, streamed)
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
                "where(a > b, a * b, sin(b))",
                &[("a", &a), ("b", &b)],
                block,
                out,
            );
            assert_eq!(m, s, "where, block {block}");
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
    let inputs = [Input::Npy(f)];
    for (src, needle) in [
        ("a - mean(a, axis=0)", "after a reduction"),
        ("a.T", "transposed"),
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
    let inputs = [Input::Npy(f)];
    let func = compile_expression("2*a + 1", &[("a".into(), ty)]).unwrap();
    // 800 bytes a row: three input blocks and two output blocks in flight.
    let p = plan(&func, &inputs, 4_000_000, None).unwrap();
    assert!(
        p.block_rows() * 800 * 5 <= 4_000_000,
        "{} rows",
        p.block_rows()
    );
    assert!(p.blocks() > 1);
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

//! Missing values through `blaze eval`: `fillna` and the narrowing `where`
//! give plain results that `--out` writes as `.npy`, on the default JIT
//! engine (which compiles them into its kernels: `--timings` lists no
//! fallback) and on the interpreter, with the same values.

mod common;

use std::process::{Command, Output};

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory, removed when dropped.
fn scratch(name: &str) -> common::Scratch {
    common::scratch_dir(&format!("blaze-cli-na-{name}-"))
}

const X: [f64; 6] = [0.25, 0.75, 0.5, 1.5, -3.0, 0.9];

/// Runs `expr` on `X` with `engine` (none: the default) writing `y.npy`,
/// and returns its float64 values.
fn eval_to_npy(expr: &str, engine: Option<&str>) -> Vec<f64> {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = scratch(&format!("run{run}"));
    let x = dir.join("x.npy");
    let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 3]), X.to_vec()).unwrap();
    blaze::runtime::io::npy::write_npy(&x, &blaze::interp::Array::Float64(a)).unwrap();
    let y = dir.join("y.npy");
    let (xs, ys) = (format!("x={}", x.display()), y.display().to_string());
    let mut args = vec!["eval", "-e", expr, "--in", &xs, "--out", &ys];
    if let Some(e) = engine {
        args.extend(["--engine", e]);
    }
    let o = blaze(&args);
    assert_eq!(o.status.code(), Some(0), "{expr}: {}", stderr(&o));
    match blaze::runtime::io::npy::read_npy(&y).expect("y.npy written") {
        blaze::interp::Array::Float64(a) => {
            assert_eq!(a.shape(), &[2, 3], "{expr}");
            a.iter().copied().collect()
        }
        other => panic!("{expr}: y.npy holds {}, not float64", other.scalar().name()),
    }
}

#[test]
fn fillna_writes_a_float64_npy_on_both_engines() {
    let want: Vec<f64> = X.iter().map(|&x| if x > 0.5 { x } else { 0.0 }).collect();
    for engine in [None, Some("jit"), Some("interp")] {
        let got = eval_to_npy("fillna(where(x > 0.5, x, na), 0.0)", engine);
        assert_eq!(got, want, "{engine:?}");
    }
}

#[test]
fn narrowing_where_writes_a_float64_npy_on_both_engines() {
    let want: Vec<f64> = X.iter().map(|&x| if x > 0.5 { x } else { -1.0 }).collect();
    for engine in [None, Some("interp")] {
        for expr in [
            "let a = where(x > 0.5, x, na) in where(isna(a), -1, a)",
            "let a = where(x > 0.5, x, na) in where(not isna(a), a, -1.0)",
        ] {
            assert_eq!(eval_to_npy(expr, engine), want, "{expr} {engine:?}");
        }
    }
}

#[test]
fn an_option_result_still_cannot_be_written() {
    let dir = scratch("option");
    let x = dir.join("x.npy");
    let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 3]), X.to_vec()).unwrap();
    blaze::runtime::io::npy::write_npy(&x, &blaze::interp::Array::Float64(a)).unwrap();
    let (xs, ys) = (
        format!("x={}", x.display()),
        dir.join("y.npy").display().to_string(),
    );
    let o = blaze(&[
        "eval",
        "-e",
        "where(x > 0.5, x, na)",
        "--in",
        &xs,
        "--out",
        &ys,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("missing values"), "{}", stderr(&o));
}

/// The `"fallbacks"` of the `--timings` JSON (the last line of stderr) of
/// `blaze eval -e expr` on `X`, and what it wrote to `y.npy` when `out` is
/// given.
type Written = Option<blaze::interp::Array>;
fn fallbacks(expr: &str, out: bool) -> (Vec<serde_json::Value>, Written, String) {
    let dir = scratch(&format!("timings-{}", expr.len()));
    let x = dir.join("x.npy");
    let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 3]), X.to_vec()).unwrap();
    blaze::runtime::io::npy::write_npy(&x, &blaze::interp::Array::Float64(a)).unwrap();
    let y = dir.join("y.npy");
    let (xs, ys) = (format!("x={}", x.display()), y.display().to_string());
    let mut args = vec!["eval", "-e", expr, "--in", &xs, "--timings"];
    if out {
        args.extend(["--out", &ys]);
    }
    let o = blaze(&args);
    assert_eq!(o.status.code(), Some(0), "{expr}: {}", stderr(&o));
    let text = stderr(&o);
    let timings: serde_json::Value =
        serde_json::from_str(text.trim().lines().last().unwrap_or("")).expect("timings JSON");
    let list = timings["fallbacks"]
        .as_array()
        .unwrap_or_else(|| panic!("{expr}: no fallbacks list in {timings}"))
        .clone();
    let written = out.then(|| blaze::runtime::io::npy::read_npy(&y).expect("y.npy written"));
    (
        list,
        written,
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn missing_values_compile_into_kernels() {
    let (list, _, printed) = fallbacks("sum(where(x > 0.5, x, na) * 2 + 1)", false);
    assert!(list.is_empty(), "{list:?}");
    // pandas: the values above 0.5 (0.75, 1.5, 0.9), doubled plus one.
    let sum: f64 = printed.trim().parse().expect("a number printed");
    assert!((sum - 9.3).abs() < 1e-12, "{printed}");
    let (list, y, _) = fallbacks("fillna(where(x > 0.5, x, na), 0.0)", true);
    assert!(list.is_empty(), "{list:?}");
    match y.expect("y.npy written") {
        blaze::interp::Array::Float64(a) => {
            let want: Vec<f64> = X.iter().map(|&x| if x > 0.5 { x } else { 0.0 }).collect();
            assert_eq!(a.iter().copied().collect::<Vec<_>>(), want);
        }
        other => panic!("y.npy holds {}, not float64", other.scalar().name()),
    }
}

//! No aborts on allocation: results too large for the memory limit or the
//! machine end with exit status 1 and a one-line reason naming the
//! operation and the size, within seconds, leaving no output behind; a
//! memory limit below one row is an error naming both sizes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("run blaze")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("blaze-cli-alloc-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A `.npy` file of float64 ones of `shape`.
fn npy(path: &Path, shape: &[usize]) {
    let dims: String = shape.iter().map(|d| format!("{d},")).collect();
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({dims}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    let n: usize = shape.iter().product();
    for _ in 0..n {
        bytes.extend(1.0f64.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// Exit status 1, no signal, one line on stderr; returns that line.
fn fails(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn an_outer_product_too_large_fails_cleanly() {
    let d = scratch("outer");
    let v = d.join("v.npy");
    npy(&v, &[200_000]);
    let a = format!("a={}", v.display());
    let b = format!("b={}", v.display());
    let out = d.join("o.npy");
    let o = out.to_str().unwrap();
    let expr = "forall i, j: a[i] * b[j]";
    let t = Instant::now();
    let r = blaze(&[
        "eval",
        "-e",
        expr,
        "--in",
        &a,
        "--in",
        &b,
        "--out",
        o,
        "--memory-limit",
        "64MiB",
    ]);
    let err = fails(&r);
    assert!(
        err.contains("the result of forall i, j needs 298 GiB; the memory limit is 64 MiB"),
        "{err}"
    );
    assert!(!out.exists());
    // Without a limit: what the machine has.
    let r = blaze(&["eval", "-e", expr, "--in", &a, "--in", &b, "--out", o]);
    let err = fails(&r);
    assert!(
        err.contains("the result of forall i, j needs 298 GiB"),
        "{err}"
    );
    assert!(!out.exists());
    // The reference interpreter too.
    let r = blaze(&[
        "eval", "-e", expr, "--in", &a, "--in", &b, "--out", o, "--engine", "interp",
    ]);
    let err = fails(&r);
    assert!(err.contains("the result of forall i, j needs"), "{err}");
    assert!(!out.exists());
    assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
    // Nothing else was left in the directory.
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_memory_limit_below_one_row_is_an_error() {
    let d = scratch("row");
    let m = d.join("m.npy");
    npy(&m, &[1000, 200]);
    let a = format!("a={}", m.display());
    let out = d.join("o.npy");
    let r = blaze(&[
        "eval",
        "-e",
        "a * 2.0",
        "--in",
        &a,
        "--out",
        out.to_str().unwrap(),
        "--memory-limit",
        "1KiB",
    ]);
    let err = fails(&r);
    assert!(err.contains("memory limit of 1024 bytes"), "{err}");
    assert!(err.contains("one row takes"), "{err}");
    assert!(!out.exists());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_streamed_result_held_whole_above_the_limit_is_refused_before_starting() {
    let d = scratch("whole");
    let m = d.join("m.npy");
    npy(&m, &[100_000, 4]);
    let a = format!("a={}", m.display());
    // No output file: the result would be printed, so held whole.
    let r = blaze(&[
        "eval",
        "-e",
        "a * 2.0",
        "--in",
        &a,
        "--memory-limit",
        "1MiB",
    ]);
    let err = fails(&r);
    assert!(
        err.contains("the result (an array of 100000 × 4 float64) needs 3.1 MiB and is held whole"),
        "{err}"
    );
    assert!(r.stdout.is_empty(), "nothing printed");
    std::fs::remove_dir_all(&d).unwrap();
}

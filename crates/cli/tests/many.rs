//! Many files as one array through `blaze eval` and `blaze graph`: the
//! twelve CSV files of `tests/data/many/measurements` read by a glob give
//! pandas' mean and sum over their concatenation in natural order, in
//! memory and under a memory limit (streamed file by file); the task graph
//! names the files; a pattern that matches nothing and files that
//! disagree are errors naming them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/many")
}

fn expected(key: &str) -> f64 {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["measurements"][key].as_f64().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn number(o: &Output) -> f64 {
    stdout(o).trim().parse().unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

fn spec(pattern: &str) -> String {
    format!(
        "M={}:var * {{t: float64, v: ?float64}}",
        fixtures().join(pattern).display()
    )
}

#[test]
fn the_mean_over_a_glob_of_twelve_csv_files_is_pandas_mean() {
    let m = spec("measurements/measurement*.csv");
    let mean = number(&blaze(&["eval", "-e", "mean(M.v)", "--in", &m]));
    assert!(close(mean, expected("mean_v")), "{mean}");
    let limited = blaze(&[
        "eval",
        "-e",
        "mean(M.v)",
        "--in",
        &m,
        "--memory-limit",
        "1MiB",
    ]);
    assert!(close(number(&limited), mean));
    // A sum streams, one block a file at least.
    let o = blaze(&[
        "eval",
        "-e",
        "sum(M.v)",
        "--in",
        &m,
        "--memory-limit",
        "1MiB",
        "--timings",
    ]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let timings: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(timings["streamed"], true, "{err}");
    assert!(timings["blocks"].as_u64().unwrap() >= 12, "{err}");
    let sum = number(&o);
    assert!(close(sum, expected("sum_v")), "{sum}");
    // The directory itself is the same table.
    let d = spec("measurements");
    let mean_dir = number(&blaze(&["eval", "-e", "mean(M.v)", "--in", &d]));
    assert!(close(mean_dir, mean));
}

#[test]
fn the_task_graph_names_the_files() {
    let a = format!("A={}", fixtures().join("parts/*.npy").display());
    let out = stdout(&blaze(&[
        "graph",
        "-e",
        "sum(A)",
        "--in",
        &a,
        "--memory-limit",
        "1MiB",
    ]));
    assert!(out.contains("# A: 3 files concatenated"), "{out}");
    assert!(out.contains("read rows 0..4 (part1.npy)"), "{out}");
    assert!(out.contains("read rows 4..11 (part2.npy)"), "{out}");
    assert!(out.contains("read rows 11..13 (part3.npy)"), "{out}");
    let m = spec("measurements/measurement*.csv");
    let out = stdout(&blaze(&[
        "graph",
        "-e",
        "sum(M.v)",
        "--in",
        &m,
        "--memory-limit",
        "1MiB",
    ]));
    assert!(
        out.contains("# M: 12 files concatenated")
            && out.contains("measurement1.csv …")
            && out.contains("measurement12.csv"),
        "{out}"
    );
}

#[test]
fn empty_patterns_and_disagreeing_files_are_named() {
    let m = spec("measurements/nothing*.csv");
    let o = blaze(&["eval", "-e", "sum(M.v)", "--in", &m]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("nothing*.csv") && err.contains("no file matches"),
        "{err}"
    );
    let a = format!("A={}", fixtures().join("mixed").display());
    let o = blaze(&["eval", "-e", "sum(A)", "--in", &a]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("a.npy") && err.contains("b.npy") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn npy_files_stack_into_one_array() {
    let i = format!(
        "I={}:N * M * 4 * 5 * float64",
        fixtures().join("stack/*/*.npy").display()
    );
    let whole = format!("I={}", fixtures().join("stacked.npy").display());
    for src in ["sum(I)", "I[1, 2, 3, 4]"] {
        let a = number(&blaze(&["eval", "-e", src, "--in", &i]));
        let b = number(&blaze(&["eval", "-e", src, "--in", &whole]));
        let c = number(&blaze(&[
            "eval",
            "-e",
            src,
            "--in",
            &i,
            "--memory-limit",
            "1MiB",
        ]));
        assert!(close(a, b) && close(c, b), "{src}: {a} {b} {c}");
    }
}

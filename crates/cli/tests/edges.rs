//! The command line at its edges: a reader that goes away, expressions and
//! values that start with `-`, scalar values bound with `--arg`, the help
//! texts, and CSV files with a byte-order mark or bytes that are not
//! UTF-8.

use std::fs;
use std::process::{Command, Output, Stdio};

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(name: &str) -> String {
    format!("{}/../../tests/data/npy/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs blaze with its standard output closed before it writes (the
/// reader of `blaze … | head -0`), and returns its status and stderr.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the blaze binary runs");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    (o.status.code(), stderr(&o))
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let x = format!("x={}", fixture("f8_c.npy"));
    for args in [
        vec![
            "graph",
            "-e",
            "x + 1",
            "--in",
            &x,
            "--memory-limit",
            "64KiB",
        ],
        vec!["eval", "-e", "x + 1", "--in", &x],
        vec!["explain", "-e", "x + 1", "--in", &x],
        vec!["check", "-e", "1 + 2"],
        vec!["datashape", "3 * int32"],
        vec!["unify", "3 * int32", "int64"],
        vec!["config", "--libs"],
    ] {
        let (code, err) = with_closed_stdout(&args);
        // Exited (not killed by a signal), status 0, nothing on stderr.
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}");
    }
}

#[test]
fn expressions_and_values_may_start_with_a_minus() {
    let o = blaze(&["eval", "-e", "-9"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "-9\n");
    let o = blaze(&["check", "-e", "-x", "--arg", "x=3 * int32"]);
    assert_eq!(stdout(&o), "3 * int32\n", "{}", stderr(&o));
    let o = blaze(&["eval", "-e", "x * 2", "--arg", "x=-3"]);
    assert_eq!(stdout(&o), "-6\n", "{}", stderr(&o));
}

#[test]
fn arg_binds_a_scalar_of_an_expression() {
    let a = format!("a={}", fixture("f8_c.npy"));
    let o = blaze(&["eval", "-e", "a * 0 + s", "--in", &a, "--arg", "s=2.5"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("2.5"), "{}", stdout(&o));
    let o = blaze(&["eval", "-e", "s + \"!\"", "--arg", "s=\"hi\""]);
    assert_eq!(stdout(&o), "'hi!'\n", "{}", stderr(&o));
    let o = blaze(&["explain", "-e", "x + y", "--arg", "x=1", "--arg", "y=2.0"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Not a scalar, given twice, or also an input: one-line usage errors.
    for (args, what) in [
        (vec!["--arg", "x=[1, 2]"], "is not a scalar value"),
        (vec!["--arg", "x=1", "--arg", "x=2"], "given twice"),
        (vec!["--arg", "x"], "expected NAME=VALUE"),
        (vec!["--arg", "x=1", "--in", &a.replace("a=", "x=")], "both"),
    ] {
        let mut all = vec!["eval", "-e", "x + 1"];
        all.extend(args);
        let o = blaze(&all);
        assert_eq!(o.status.code(), Some(1), "{all:?}");
        assert!(stderr(&o).starts_with("error[usage]:"), "{}", stderr(&o));
        assert!(stderr(&o).contains(what), "{}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    }
}

#[test]
fn arg_binds_a_scalar_parameter_of_a_definition() {
    let t = tempfile::tempdir().expect("temp dir");
    let m = t.path().join("m.blz");
    fs::write(
        &m,
        "def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y\n\
         def mix(a: float64, b: int32) = a + b\n",
    )
    .unwrap();
    let m = m.to_str().unwrap();
    let x = format!("x={}", fixture("f8_1d.npy"));
    let y = format!("y={}", fixture("f8_1d.npy"));
    let plain = blaze(&["eval", "-e", "3.0 * x", "--in", &x]);
    let o = blaze(&[
        "eval", m, "--def", "axpy", "--arg", "a=2", "--in", &x, "--in", &y,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&plain));
    // A number takes its parameter's type: float64 + int32 is float64.
    let o = blaze(&["eval", m, "--def", "mix", "--arg", "a=2", "--arg", "b=3"]);
    assert_eq!(stdout(&o), "5.\n", "{}", stderr(&o));
    let o = blaze(&["eval", m, "--def", "mix", "--arg", "c=1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("has no parameter `c`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn help_names_every_format_and_the_argument_forms() {
    for cmd in ["eval", "graph", "explain"] {
        let o = blaze(&[cmd, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        let h = stdout(&o);
        for word in [
            "NAME=PATH[:DATASHAPE]",
            ".npy",
            "Zarr",
            ".parquet",
            ".arrow",
            ".jsonl",
            ".csv",
            "NAME=VALUE",
        ] {
            assert!(h.contains(word), "`{cmd} --help` lacks {word}:\n{h}");
        }
        assert!(!h.contains("NAME=DS"), "{h}");
    }
}

#[test]
fn csv_byte_order_mark_and_invalid_utf8() {
    let t = tempfile::tempdir().expect("temp dir");
    let p = t.path().join("p.csv");
    let input = |ty: &str| format!("p={}:var * {ty}", p.display());
    // A header after a byte-order mark is a header.
    fs::write(&p, b"\xef\xbb\xbfa,b\n1,2\n3,4\n").unwrap();
    let o = blaze(&["eval", "-e", "p.a", "--in", &input("{a: int32, b: int32}")]);
    assert_eq!(stdout(&o), "[1 3]\n", "{}", stderr(&o));
    // And a first data line after one is data.
    fs::write(&p, b"\xef\xbb\xbf5,2\n3,4\n").unwrap();
    let o = blaze(&["eval", "-e", "p.a", "--in", &input("{a: int32, b: int32}")]);
    assert_eq!(stdout(&o), "[5 3]\n", "{}", stderr(&o));
    // Bytes that are not UTF-8 are reported on their line.
    for (bytes, line) in [
        (&b"\xffa,b\n1,2\n"[..], 1),
        (&b"1,2\n\xff,3\n"[..], 2),
        (&b"a,b\n1,2\n3,\xfe\n"[..], 3),
    ] {
        fs::write(&p, bytes).unwrap();
        let o = blaze(&[
            "eval",
            "-e",
            "p.b",
            "--in",
            &input("{a: string, b: string}"),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("p.csv:{line}: the line is not valid UTF-8")),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn json_lines_byte_order_mark_and_line_numbers() {
    let t = tempfile::tempdir().expect("temp dir");
    let p = t.path().join("p.jsonl");
    let input = format!("p={}:var * {{a: int32}}", p.display());
    fs::write(&p, b"\xef\xbb\xbf{\"a\": 1}\n{\"a\": 5}\n").unwrap();
    let o = blaze(&["eval", "-e", "p.a", "--in", &input]);
    assert_eq!(stdout(&o), "[1 5]\n", "{}", stderr(&o));
    for (bytes, line, what) in [
        (&b"{\"a\": 1}\n{\"a\": 2}\n\xff\n"[..], 3, "not valid UTF-8"),
        (
            &b"{\"a\": 1}\n\n{\"a\": 2}\n{\"a\": \"x\"}\n"[..],
            4,
            "Int32",
        ),
        (&b"{\"a\": 1}\n{\"a\":\n"[..], 2, "not closed"),
    ] {
        fs::write(&p, bytes).unwrap();
        let o = blaze(&["eval", "-e", "p.a", "--in", &input]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(&format!("p.jsonl:{line}: ")), "{err}");
        assert!(err.contains(what), "{err}");
    }
}

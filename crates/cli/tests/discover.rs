//! `blaze discover`: the datashape of what is at a path, as text or JSON,
//! with the sample size as an option, from standard input, and errors
//! naming the path.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn blaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(args)
        .output()
        .expect("the blaze binary runs")
}

fn data(path: &str) -> String {
    format!("{}/../../tests/data/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn discover_prints_datashapes() {
    let cases = [
        (
            "discover/people.csv",
            "var * {id: int64, name: ?string, height: ?float64, member: bool, born: ?date, seen: datetime}",
        ),
        ("discover/noheader.csv", "var * {f0: int64, f1: ?float64, f2: string}"),
        (
            "discover/vectors.csv",
            "var * {Ax: ?int64, Ay: int64, Az: int64, Bx: int64, By: int64, Bz: int64}",
        ),
        ("npy/f8_c.npy", "2 * 3 * float64"),
        (
            "many/measurements/measurement*.csv",
            "12 * var * {t: float64, v: ?float64}",
        ),
        (
            "png/images/*/*.png",
            "2 * 3 * 600 * 800 * {r: uint8, g: uint8, b: uint8, a: uint8}",
        ),
    ];
    for (path, want) in cases {
        let o = blaze(&["discover", &data(path)]);
        assert_eq!(o.status.code(), Some(0), "{path}: {}", stderr(&o));
        assert_eq!(stdout(&o).trim(), want, "{path}");
    }
    let o = blaze(&[
        "discover",
        "--sample",
        "2",
        &data("discover/late_float.csv"),
    ]);
    assert_eq!(stdout(&o).trim(), "var * {n: int64}");
    let o = blaze(&["discover", "--json", &data("discover/late_float.csv")]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["datashape"], "var * {n: float64}");
    assert!(v["path"].as_str().unwrap().ends_with("late_float.csv"));
    // What discover prints is what `--in` without a datashape reads.
    let o = blaze(&[
        "eval",
        "-e",
        "sum(p.n)",
        "--in",
        &format!("p={}", data("discover/late_float.csv")),
    ]);
    assert_eq!(stdout(&o).trim(), "10.5", "{}", stderr(&o));
}

#[test]
fn discover_reads_standard_input_and_names_bad_paths() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(["discover", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a,b\n1,x\n2,\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        stdout(&o).trim(),
        "var * {a: int64, b: ?string}",
        "{}",
        stderr(&o)
    );
    let o = blaze(&["discover", "no/such/file.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no/such/file.csv"), "{}", stderr(&o));
    let o = blaze(&["discover", "--help"]);
    assert!(stdout(&o).contains("--sample"), "{}", stdout(&o));
}

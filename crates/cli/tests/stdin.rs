//! Stream-like inputs: CSV and JSON lines piped into `blaze eval` as
//! `--in p=-:…` (or `p=-`, discovered), read once by blocks: the same
//! results as the files, in memory and streamed; what needs the data
//! whole within a limit, or twice, is refused before running.

mod common;

use common::process::{piped, stderr, stdout};
use std::process::Command;

fn data(path: &str) -> String {
    format!("{}/../../tests/data/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// `measurement1.csv … measurement12.csv` concatenated in natural order,
/// the header lines of all but the first dropped (as `cat` and `tail`
/// would give them).
fn measurements() -> Vec<u8> {
    let mut out = Vec::new();
    for k in 1..=12 {
        let text = std::fs::read_to_string(data(&format!("many/measurements/measurement{k}.csv")))
            .unwrap();
        let body = if k == 1 {
            text.as_str()
        } else {
            text.split_once('\n').map_or("", |(_, rest)| rest)
        };
        out.extend_from_slice(body.as_bytes());
    }
    out
}

#[test]
fn piped_csv_sums_like_the_files() {
    let glob = format!(
        "M={}:var * {{t: float64, v: ?float64}}",
        data("many/measurements/measurement*.csv")
    );
    let o = Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(["eval", "-e", "sum(M.v)", "--in", &glob])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = stdout(&o);
    let input = measurements();
    let spec = "p=-:var * {t: float64, v: ?float64}";
    let o = piped(&["eval", "-e", "sum(p.v)", "--in", spec], &input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), want);
    // Streamed by blocks: the same sum (block order is file order).
    let o = piped(
        &[
            "eval",
            "-e",
            "sum(p.v)",
            "--in",
            spec,
            "--memory-limit",
            "1MiB",
            "--timings",
        ],
        &input,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got: f64 = stdout(&o).trim().parse().unwrap();
    let want: f64 = want.trim().parse().unwrap();
    assert!((got - want).abs() <= 1e-9 * want.abs(), "{got} {want}");
    assert!(stderr(&o).contains("\"streamed\":true"), "{}", stderr(&o));
    // Without a datashape: discovered from the first rows.
    let o = piped(&["eval", "-e", "sum(p.v)", "--in", "p=-"], &input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got: f64 = stdout(&o).trim().parse().unwrap();
    assert!((got - want).abs() <= 1e-9 * want.abs(), "{got} {want}");
}

#[test]
fn piped_json_lines_and_views() {
    let mut json = String::new();
    for i in 0..50 {
        json.push_str(&format!("{{\"x\": {i}, \"w\": [{i}.5]}}\n"));
    }
    let o = piped(&["eval", "-e", "sum(p.x)", "--in", "p=-"], json.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "1225");
    let o = piped(
        &[
            "eval",
            "-e",
            "sum(p.x)",
            "--in",
            "p=-:var * {x: int32}",
            "--memory-limit",
            "1MiB",
        ],
        json.as_bytes(),
    );
    assert_eq!(stdout(&o).trim(), "1225", "{}", stderr(&o));
    // A CSV view of standard input.
    let csv = std::fs::read(data("discover/vectors.csv")).unwrap();
    let o = piped(
        &[
            "eval",
            "-e",
            "sum(p.B, axis=0)",
            "--in",
            "p=-:var * {A: 3 * ?float64, B: 3 * float64}",
            "--memory-limit",
            "1MiB",
        ],
        &csv,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "[52. 56. 60.]");
}

#[test]
fn piped_inputs_refuse_a_second_pass() {
    let input = measurements();
    let spec = "p=-:var * {t: float64, v: ?float64}";
    let o = piped(
        &[
            "eval",
            "-e",
            "p.v - mean(p.v)",
            "--in",
            spec,
            "--memory-limit",
            "1MiB",
        ],
        &input,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("stream of unknown size"),
        "{}",
        stderr(&o)
    );
    let o = piped(
        &[
            "eval",
            "-e",
            "sum(p.v)",
            "--in",
            spec,
            "--memory-limit",
            "1MiB",
            "--repeat",
            "2",
        ],
        &input,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot repeat"), "{}", stderr(&o));
    let o = piped(
        &[
            "eval",
            "-e",
            "sum(p.v) + sum(q.v)",
            "--in",
            spec,
            "--in",
            "q=-",
        ],
        &input,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("read once"), "{}", stderr(&o));
}

//! The `blaze` binary as a user runs it: output, exit status, rendered errors.

use std::process::{Command, Output};

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

#[test]
fn datashape_prints_canonical_form() {
    let o = blaze(&["datashape", "3, 2, Var(10), int32"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "3 * 2 * var[10] * int32\n");
}

#[test]
fn unify_prints_the_seed_example() {
    let o = blaze(&["unify", "3, 2, Var(10), int32", "1, Var(100), float32"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "3 * 2 * var[100] * float32\n");
}

#[test]
fn several_datashapes_one_line_each() {
    let o = blaze(&["datashape", "int", "Var, float64", "?complex64"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "int32\nvar * float64\n?complex[float32]\n");
}

#[test]
fn definitions_stay_in_scope_for_later_arguments() {
    let o = blaze(&[
        "datashape",
        "type Quaternion = 4 * float64",
        "10 * 10 * Quaternion",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "type Quaternion = 4 * float64\n10 * 10 * Quaternion\n"
    );
    let o = blaze(&[
        "datashape",
        "--expand",
        "type Quaternion = 4 * float64; 10 * 10 * Quaternion",
    ]);
    assert_eq!(
        stdout(&o),
        "type Quaternion = 4 * float64\n10 * 10 * 4 * float64\n"
    );
}

#[test]
fn invalid_datashape_exits_1_with_caret_under_the_offence() {
    let o = blaze(&["datashape", "3 * 01 * int32"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.contains("error[bad_number]"), "{err}");
    assert!(err.contains("1 | 3 * 01 * int32\n"), "{err}");
    assert!(err.contains("  |     ^^\n"), "{err}");
}

#[test]
fn syntax_error_says_expected_and_found() {
    let o = blaze(&["datashape", "3 * {a: int32"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[syntax]: expected"), "{err}");
    assert!(err.contains("found end of input"), "{err}");
    assert!(err.contains("  |              ^\n"), "{err}");
}

#[test]
fn one_bad_argument_fails_the_run_but_the_good_ones_print() {
    let o = blaze(&["datashape", "int8", "??int8", "bool"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "int8\nbool\n");
    assert!(stderr(&o).contains("<datashape 2>:1:1"), "{}", stderr(&o));
}

#[test]
fn unify_error_points_at_both_dimensions() {
    let o = blaze(&["unify", "3 * 4 * int32", "5 * int32"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.contains("error[dim_mismatch]: cannot broadcast dimension 4 (axis 1 of the left datashape) with dimension 5 (axis 0 of the right datashape)"), "{err}");
    assert!(err.contains("--> <left>:1:5\n"), "{err}");
    assert!(err.contains("--> <right>:1:1\n"), "{err}");
}

#[test]
fn unify_error_on_measures() {
    let o = blaze(&["unify", "3 * string", "3 * int32"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[type_mismatch]"), "{err}");
    assert!(err.contains("  |     ^^^^^^\n"), "{err}");
}

#[test]
fn unify_parse_error_names_the_operand() {
    let o = blaze(&["unify", "3 * int32", "3 * int33"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("--> <right>:1:5"), "{err}");
    assert!(err.contains("unknown type `int33`"), "{err}");
}

#[test]
fn json_output() {
    let o = blaze(&["datashape", "--json", "3 * var[10] * ?int32"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("valid JSON");
    assert_eq!(v["ok"], true);
    assert_eq!(v["canonical"], "3 * var[10] * ?int32");
    assert_eq!(v["datashape"]["dims"][0]["kind"], "fixed");
    assert_eq!(v["datashape"]["dims"][0]["value"], 3);
    assert_eq!(v["datashape"]["dims"][1]["kind"], "var");
    assert_eq!(v["datashape"]["measure"]["kind"], "option");

    let o = blaze(&["datashape", "--json", "3 * 4"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("valid JSON");
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["kind"], "misplaced");
    assert_eq!(v["error"]["span"], serde_json::json!([4, 5]));

    let o = blaze(&["unify", "--json", "3 * int8", "uint8"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("valid JSON");
    assert_eq!(v["canonical"], "3 * int16");
}

#[test]
fn demo_runs() {
    let o = blaze(&["demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("= 3 * 2 * var[100] * float32"), "{out}");
    assert!(out.contains("=> 10 * 10 * 4 * float64"), "{out}");
}

#[test]
fn help_for_every_subcommand() {
    for sub in ["datashape", "unify", "demo"] {
        let o = blaze(&[sub, "--help"]);
        assert_eq!(o.status.code(), Some(0), "{sub} --help");
        assert!(stdout(&o).contains("Usage: blaze"), "{sub}");
    }
}

#[test]
fn usage_errors_exit_nonzero_without_panicking() {
    let o = blaze(&["unify", "int32"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!stderr(&o).contains("panicked"));
    let o = blaze(&["datashape"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn empty_input_is_an_error() {
    for args in [
        &["datashape", ""][..],
        &["datashape", "  # nothing\n"],
        &["unify", "", "int8"],
    ] {
        let o = blaze(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&o).contains("expected a datashape"),
            "{}",
            stderr(&o)
        );
    }
}

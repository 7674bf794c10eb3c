//! The `blaze` binary as a user runs it: output, exit status, rendered errors.

mod common;

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
    let o = blaze(&["demo", "--datashapes"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("= 3 * 2 * var[100] * float32"), "{out}");
    assert!(out.contains("=> 10 * 10 * 4 * float64"), "{out}");
    // The out-of-core demo on a small array: made on first use, reused.
    let dir = scratch("demo");
    let path = dir.join("A.npy");
    let args = [
        "demo",
        "--size",
        "4MB",
        "--cols",
        "50",
        "--memory-limit",
        "256KiB",
        "--path",
        path.to_str().unwrap(),
    ];
    let o = blaze(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("creating") && out.contains("(A.T @ A)[:4, :4] ="),
        "{out}"
    );
    // 10,000 rows of uniform [0, 1): diagonal entries near 10000/3.
    let a = blaze::runtime::io::npy::read_npy(&path).unwrap();
    let blaze::interp::Array::Float64(a) = a else {
        panic!("float64")
    };
    let a = a.into_dimensionality::<ndarray::Ix2>().unwrap();
    let g00: f64 = a.column(0).iter().map(|x| x * x).sum();
    let printed = format!("{:.0}", g00.floor());
    assert!(out.contains(&printed[..3]), "{out} vs {g00}");
    let o = blaze(&args);
    assert!(stdout(&o).contains("using"), "{}", stdout(&o));
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

/// A scratch directory for one test, removed when the test ends.
fn scratch(name: &str) -> common::Scratch {
    common::scratch_dir(&format!("blaze-cli-{name}-"))
}

fn npy_fixture(name: &str) -> String {
    format!("{}/../../tests/data/npy/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_acceptance_examples() {
    let o = blaze(&["check", "-e", "2 + x", "--arg", "x=3 * int32"]);
    assert_eq!(stdout(&o), "3 * int32\n", "{}", stderr(&o));
    let o = blaze(&["check", "-e", "A.T @ A", "--arg", "A=N * M * float64"]);
    assert_eq!(stdout(&o), "M * M * float64\n", "{}", stderr(&o));
    let o = blaze(&["check", "-e", "eig(A)", "--arg", "A=N * N * float64"]);
    assert_eq!(
        stdout(&o),
        "(N * complex[float64], N * N * complex[float64])\n"
    );
}

#[test]
fn check_module_and_json() {
    let dir = scratch("module");
    let file = dir.join("k.blz");
    std::fs::write(
        &file,
        "def cross(a: 3 * float64, b: 3 * float64) = forall i: sum(j, k: eps[i, j, k] * a[j] * b[k])\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let o = blaze(&["check", path]);
    assert_eq!(
        stdout(&o),
        "cross(a: 3 * float64, b: 3 * float64) -> 3 * float64\n",
        "{}",
        stderr(&o)
    );
    let o = blaze(&["check", "--json", path]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    assert_eq!(v["definitions"][0]["name"], "cross");
    assert_eq!(v["definitions"][0]["type"], "3 * float64");
}

#[test]
fn type_error_points_at_the_sub_expression() {
    let o = blaze(&[
        "check",
        "-e",
        "sum(x, axis=2) + 1",
        "--arg",
        "x=3 * 4 * float32",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("error[axis_error]: axis 2 is out of bounds"),
        "{err}"
    );
    assert!(err.contains("1 | sum(x, axis=2) + 1\n"), "{err}");
    assert!(err.contains("  |             ^\n"), "{err}");
}

#[test]
fn eval_prints_like_numpy_and_writes_npy() {
    let input = npy_fixture("f8_c.npy");
    if !std::path::Path::new(&input).exists() {
        panic!("fixture {input} is missing");
    }
    let o = blaze(&["eval", "-e", "x * 2", "--in", &format!("x={input}")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("[["), "{}", stdout(&o));
    let dir = scratch("out");
    let out = dir.join("y.npy");
    let o = blaze(&[
        "eval",
        "-e",
        "sum(x, axis=0)",
        "--in",
        &format!("x={input}"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let bytes = std::fs::read(&out).expect("output written");
    assert!(bytes.starts_with(b"\x93NUMPY"));
}

#[test]
fn eval_bad_input_files() {
    let dir = scratch("bad");
    let truncated = dir.join("t.npy");
    let good = std::fs::read(npy_fixture("f8_c.npy")).unwrap();
    std::fs::write(&truncated, &good[..good.len() - 3]).unwrap();
    let o = blaze(&[
        "eval",
        "-e",
        "x + 1",
        "--in",
        &format!("x={}", truncated.display()),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("t.npy") && err.contains("truncated"), "{err}");

    let o = blaze(&["eval", "-e", "x + 1", "--in", "x=/nonexistent/x.npy"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent/x.npy"), "{}", stderr(&o));

    let not_npy = dir.join("n.npy");
    std::fs::write(&not_npy, b"hello").unwrap();
    let o = blaze(&[
        "eval",
        "-e",
        "x",
        "--in",
        &format!("x={}", not_npy.display()),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("n.npy"), "{}", stderr(&o));

    let o = blaze(&["eval", "-e", "x + 1", "--in", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("NAME=PATH"), "{}", stderr(&o));
}

#[test]
fn eval_usage_errors() {
    let input = npy_fixture("f8_c.npy");
    let o = blaze(&["eval", "-e", "x + y", "--in", &format!("x={input}")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("unknown name `y`"), "{}", stderr(&o));

    let o = blaze(&[
        "eval",
        "-e",
        "x",
        "--in",
        &format!("x={input}"),
        "--engine",
        "gpu",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown engine `gpu`"),
        "{}",
        stderr(&o)
    );

    let dir = scratch("tuple");
    let o = blaze(&[
        "eval",
        "-e",
        "(x, x)",
        "--in",
        &format!("x={input}"),
        "--out",
        dir.join("t.npy").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!dir.join("t.npy").exists());
}

#[test]
fn eval_module_definition_and_shape_check() {
    let dir = scratch("def");
    let file = dir.join("k.blz");
    std::fs::write(
        &file,
        "def f(x: 3 * float64) = x + 1\ndef g(x: N * float64) = x * 2\n",
    )
    .unwrap();
    let input = npy_fixture("f8_c.npy");
    let o = blaze(&[
        "eval",
        file.to_str().unwrap(),
        "--in",
        &format!("x={input}"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--def"), "{}", stderr(&o));
    let o = blaze(&[
        "eval",
        file.to_str().unwrap(),
        "--def",
        "f",
        "--in",
        &format!("x={input}"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("input `x`"), "{}", stderr(&o));
    let o = blaze(&[
        "eval",
        file.to_str().unwrap(),
        "--def",
        "h",
        "--in",
        &format!("x={input}"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no definition `h`"), "{}", stderr(&o));
}

#[test]
fn eval_engines_agree_and_report_timings() {
    let input = npy_fixture("f8_c.npy");
    let run = |engine: &str| {
        blaze(&[
            "eval",
            "-e",
            "sum(2 * x + sin(x), axis=1)",
            "--in",
            &format!("x={input}"),
            "--engine",
            engine,
            "--timings",
            "--repeat",
            "3",
        ])
    };
    let (jit, interp) = (run("jit"), run("interp"));
    assert_eq!(jit.status.code(), Some(0), "{}", stderr(&jit));
    assert_eq!(interp.status.code(), Some(0), "{}", stderr(&interp));
    assert_eq!(stdout(&jit), stdout(&interp));
    let timings: serde_json::Value =
        serde_json::from_str(stderr(&jit).trim()).expect("timings JSON on stderr");
    for key in ["parse", "check", "compile", "execute"] {
        assert!(
            timings[key].as_f64().is_some_and(|t| t >= 0.0),
            "{key}: {timings}"
        );
    }
}

#[test]
fn eval_emits_llvm_ir_and_asm() {
    let input = npy_fixture("f8_c.npy");
    let o = blaze(&[
        "eval",
        "-e",
        "x * 3 + 1",
        "--in",
        &format!("x={input}"),
        "--emit",
        "llvm-ir",
        "--emit",
        "asm",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("define void @blaze_kernel_"), "{err}");
    assert!(err.contains(".text"), "{err}");
}

#[test]
fn blaze_dump_in_the_environment() {
    let input = npy_fixture("f8_c.npy");
    let o = Command::new(env!("CARGO_BIN_EXE_blaze"))
        .args(["eval", "-e", "x * 5 - 1", "--in", &format!("x={input}")])
        .env("BLAZE_DUMP", "ir,opt-ir")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("def main(x: 2 * 3 * float64)"), "{err}");
    assert!(err.contains("define void @blaze_kernel_"), "{err}");
    assert_eq!(err.matches("def main(").count(), 1, "{err}");
}

fn save(dir: &std::path::Path, name: &str, a: ndarray::ArrayD<f64>) -> String {
    let path = dir.join(name);
    blaze::runtime::io::npy::write_npy(&path, &blaze::interp::Array::Float64(a)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn singular_solve_exits_1_saying_so() {
    let dir = scratch("singular");
    let a = save(
        &dir,
        "a.npy",
        ndarray::array![[1.0, 2.0], [2.0, 4.0]].into_dyn(),
    );
    let b = save(&dir, "b.npy", ndarray::array![1.0, 1.0].into_dyn());
    let o = blaze(&[
        "eval",
        "-e",
        "solve(A, b)",
        "--in",
        &format!("A={a}"),
        "--in",
        &format!("b={b}"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("singular"), "{}", stderr(&o));
    // A regular one solves.
    let a = save(
        &dir,
        "r.npy",
        ndarray::array![[2.0, 0.0], [0.0, 4.0]].into_dyn(),
    );
    let o = blaze(&[
        "eval",
        "-e",
        "solve(A, b)",
        "--in",
        &format!("A={a}"),
        "--in",
        &format!("b={b}"),
    ]);
    assert_eq!(stdout(&o), "[0.5  0.25]\n", "{}", stderr(&o));
}

#[test]
fn gram_matrix_dumps_syrk_and_check_shows_properties() {
    let dir = scratch("syrk");
    let a = save(
        &dir,
        "a.npy",
        ndarray::array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]].into_dyn(),
    );
    let o = blaze(&[
        "eval",
        "-e",
        "A.T @ A",
        "--in",
        &format!("A={a}"),
        "--dump-ir",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("call syrk T") && err.contains("; call %2: dsyrk T"),
        "{err}"
    );
    assert_eq!(stdout(&o), "[[35. 44.]\n [44. 56.]]\n");
    let o = blaze(&[
        "check",
        "--json",
        "-e",
        "A.T @ A",
        "--arg",
        "A=N * M * float64",
    ]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    assert_eq!(
        v["properties"],
        serde_json::json!(["symmetric", "positive_semidefinite"])
    );
    let o = blaze(&[
        "check",
        "--json",
        "-e",
        "cholesky(A)",
        "--arg",
        "A=N * N * float64",
    ]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON");
    assert_eq!(v["properties"], serde_json::json!(["lower_triangular"]));
    let o = blaze(&[
        "check",
        "-e",
        "eig(A.T @ A)",
        "--arg",
        "A=N * N * float64",
        "--dump-ir",
    ]);
    assert!(stderr(&o).contains("call syevd"), "{}", stderr(&o));
}

#[test]
fn out_of_core_eval_matches_memory_and_graph_lists_tasks() {
    let dir = scratch("ooc");
    let a =
        ndarray::Array2::from_shape_fn((3001, 7), |(i, j)| ((i * 7 + j) % 97) as f64 / 7.0 - 3.0);
    let pa = save(&dir, "a.npy", a.into_dyn());
    let input = format!("A={pa}");
    for expr in [
        "2*A + 1",
        "sum(sqrt(A*A + 1), axis=0)",
        "A.T @ A",
        "mean(A)",
    ] {
        let mem = dir.join("mem.npy");
        let ooc = dir.join("ooc.npy");
        let o = blaze(&[
            "eval",
            "-e",
            expr,
            "--in",
            &input,
            "--out",
            mem.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let o = blaze(&[
            "eval",
            "-e",
            expr,
            "--in",
            &input,
            "--out",
            ooc.to_str().unwrap(),
            "--memory-limit",
            "64KiB",
            "--timings",
        ]);
        assert_eq!(o.status.code(), Some(0), "{expr}: {}", stderr(&o));
        let t: serde_json::Value =
            serde_json::from_str(stderr(&o).trim().lines().last().unwrap()).expect("timings");
        assert!(
            t["streamed"] == true && t["blocks"].as_u64().unwrap() > 1,
            "{t}"
        );
        // The time the kernels waited for blocks is part of the run.
        let waited = t["read_wait"].as_f64().expect("read_wait");
        assert!(
            (0.0..=t["execute"].as_f64().unwrap()).contains(&waited),
            "{t}"
        );
        let m = blaze::runtime::io::npy::read_npy(&mem).unwrap();
        let s = blaze::runtime::io::npy::read_npy(&ooc).unwrap();
        let (blaze::interp::Array::Float64(m), blaze::interp::Array::Float64(s)) = (m, s) else {
            panic!("float64 results")
        };
        let scale = m.iter().fold(1.0f64, |x, v| x.max(v.abs()));
        let d = m
            .iter()
            .zip(s.iter())
            .fold(0.0f64, |x, (p, q)| x.max((p - q).abs()));
        assert!(d <= 1e-12 * scale, "{expr}: {d}");
    }
    let o = blaze(&[
        "graph",
        "-e",
        "A.T @ A",
        "--in",
        &input,
        "--memory-limit",
        "64KiB",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("('A', 0): read rows 0..") && out.contains("('result',): tail"),
        "{out}"
    );
    // A program that cannot stream cannot keep the limit: exit 1, named.
    let o = blaze(&[
        "eval",
        "-e",
        "A @ A.T",
        "--in",
        &input,
        "--memory-limit",
        "64KiB",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("do not follow"), "{}", stderr(&o));
    // No output file is left behind by a failed run.
    let bad = dir.join("t.npy");
    let good = std::fs::read(&pa).unwrap();
    std::fs::write(&bad, &good[..good.len() - 8]).unwrap();
    let out = dir.join("never.npy");
    let o = blaze(&[
        "eval",
        "-e",
        "2*A",
        "--in",
        &format!("A={}", bad.display()),
        "--memory-limit",
        "64KiB",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("t.npy") && stderr(&o).contains("truncated"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn memory_limits_parse_with_units() {
    let o = blaze(&["eval", "-e", "1", "--memory-limit", "lots"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a size"), "{}", stderr(&o));
}

#[test]
fn csv_inputs_as_record_arrays_in_memory_and_streamed() {
    let dir = scratch("csv");
    let path = dir.join("p.csv");
    let mut text = String::from("max,min\n");
    for i in 0..2000 {
        text.push_str(&format!("{},{}\n", 100 + i % 7, 90 - i % 5));
    }
    std::fs::write(&path, text).unwrap();
    let input = format!("p={}:var * {{max: int64, min: int64}}", path.display());
    let expr = "sum((p.max + p.min) / 2)";
    let o = blaze(&["eval", "-e", expr, "--in", &input]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = stdout(&o);
    let o = blaze(&[
        "eval",
        "-e",
        expr,
        "--in",
        &input,
        "--memory-limit",
        "32KiB",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), want);
    let sum: f64 = (0..2000)
        .map(|i| (100 + i % 7 + 90 - i % 5) as f64 / 2.0)
        .sum();
    assert_eq!(want.trim().parse::<f64>().unwrap(), sum);
    // Without the datashape of its rows, it is discovered: the same sum.
    let o = blaze(&["eval", "-e", expr, "--in", &format!("p={}", path.display())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), want);
}

#[test]
fn zarr_in_and_out_streamed() {
    let dir = scratch("zarr");
    let fixtures = format!("{}/../../tests/data/zarr", env!("CARGO_MANIFEST_DIR"));
    let out = dir.join("out.zarr");
    let o = blaze(&[
        "eval",
        "-e",
        "2*A + 1",
        "--in",
        &format!("A={fixtures}/v3_default.zarr"),
        "--memory-limit",
        "4KiB",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = blaze::runtime::io::zarr::ZarrArray::open(&out)
        .unwrap()
        .read_all()
        .unwrap();
    let want = blaze::runtime::io::npy::read_npy(std::path::Path::new(&format!(
        "{fixtures}/v3_default.npy"
    )))
    .unwrap();
    let (blaze::interp::Array::Float64(g), blaze::interp::Array::Float64(w)) = (got, want) else {
        panic!("float64")
    };
    assert_eq!(g, w.mapv(|x| 2.0 * x + 1.0));
    // In memory, printed like the .npy twin.
    let a = blaze(&[
        "eval",
        "-e",
        "sum(A, axis=0)",
        "--in",
        &format!("A={fixtures}/v2_default.zarr"),
    ]);
    let b = blaze(&[
        "eval",
        "-e",
        "sum(A, axis=0)",
        "--in",
        &format!("A={fixtures}/v2_default.npy"),
    ]);
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&b));
    // A corrupt chunk names the chunk and exits 1.
    let bad = dir.join("bad.zarr");
    std::fs::create_dir_all(bad.join("c/0")).unwrap();
    std::fs::copy(
        format!("{fixtures}/v3_default.zarr/zarr.json"),
        bad.join("zarr.json"),
    )
    .unwrap();
    std::fs::write(bad.join("c/0/0"), b"garbage").unwrap();
    let o = blaze(&[
        "eval",
        "-e",
        "sum(A)",
        "--in",
        &format!("A={}", bad.display()),
        "--memory-limit",
        "4KiB",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("c/0/0") && stderr(&o).contains("corrupt chunk"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn small_inputs_stay_in_memory_beside_streamed_ones() {
    let dir = scratch("mixed");
    let a =
        ndarray::Array2::from_shape_fn((2000, 6), |(i, j)| ((i * 31 + j * 7) % 101) as f64 / 10.0);
    let m = ndarray::Array1::from_shape_fn(6, |j| j as f64 / 3.0);
    let w = ndarray::Array2::from_shape_fn((6, 2), |(i, j)| (i + 2 * j) as f64);
    let pa = save(&dir, "a.npy", a.clone().into_dyn());
    let pm = save(&dir, "m.npy", m.clone().into_dyn());
    let pw = save(&dir, "w.npy", w.clone().into_dyn());
    let out = dir.join("o.npy");
    let o = blaze(&[
        "eval",
        "-e",
        "sum((A - m) * (A - m), axis=0) + sum(A @ W)",
        "--in",
        &format!("A={pa}"),
        "--in",
        &format!("m={pm}"),
        "--in",
        &format!("W={pw}"),
        "--memory-limit",
        "32KiB",
        "--timings",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("\"streamed\":true"), "{}", stderr(&o));
    let blaze::interp::Array::Float64(got) = blaze::runtime::io::npy::read_npy(&out).unwrap()
    else {
        panic!("float64")
    };
    let d = &a - &m;
    let want = (&d * &d).sum_axis(ndarray::Axis(0)) + a.dot(&w).sum();
    for (g, w) in got.iter().zip(want.iter()) {
        assert!((g - w).abs() <= 1e-9 * w.abs(), "{g} vs {w}");
    }
}

#[test]
fn explain_prints_the_plan_without_running() {
    let dir = scratch("explain");
    let a = ndarray::Array2::from_shape_fn((3001, 7), |(i, j)| (i * 7 + j) as f64);
    let pa = save(&dir, "a.npy", a.into_dyn());
    let o = blaze(&[
        "explain",
        "-e",
        "A.T @ A",
        "--in",
        &format!("A={pa}"),
        "--memory-limit",
        "64MiB",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("call syrk T"), "{out}");
    assert!(out.contains("('A', 0): read rows 0..3001"), "{out}");
    assert!(out.contains("('result',): tail"), "{out}");
    assert!(out.contains("combined across blocks"), "{out}");
    // The block function's physical plan: the BLAS call.
    assert!(out.contains("blas dsyrk T <- %0"), "{out}");
    // In memory: the IR as the JIT would run it.
    let o = blaze(&["explain", "-e", "2*A + 1", "--in", &format!("A={pa}")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("# in memory"), "{}", stdout(&o));
    assert!(stdout(&o).contains("binary + "), "{}", stdout(&o));
    assert!(stdout(&o).contains("kernel rank 2 | "), "{}", stdout(&o));
    // The same refusals as a run.
    let o = blaze(&[
        "explain",
        "-e",
        "A @ A.T",
        "--in",
        &format!("A={pa}"),
        "--memory-limit",
        "64KiB",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[memory]"), "{}", stderr(&o));
}

/// The `--timings` JSON of a run (the last line of stderr).
fn timings_of(o: &Output) -> serde_json::Value {
    let err = stderr(o);
    serde_json::from_str(err.trim().lines().last().unwrap_or("")).expect("timings JSON")
}

#[test]
fn timings_list_the_operations_run_on_reference_kernels() {
    let dir = scratch("fallbacks");
    let a = ndarray::Array2::from_shape_fn((300, 7), |(i, j)| (i * 7 + j) as f64 / 100.0);
    let pa = save(&dir, "a.npy", a.clone().into_dyn());
    let pb = save(&dir, "b.npy", (a * 2.0).into_dyn());
    let ins = [format!("a={pa}"), format!("b={pb}")];
    let run = |expr: &str, limit: Option<&str>| {
        let mut args = vec!["eval", "-e", expr, "--in", &ins[0], "--in", &ins[1]];
        args.extend(["--timings", "--out"]);
        let out = dir.join("o.npy");
        let out = out.to_str().unwrap().to_string();
        args.push(&out);
        if let Some(l) = limit {
            args.extend(["--memory-limit", l]);
        }
        let o = blaze(&args);
        assert_eq!(o.status.code(), Some(0), "{expr}: {}", stderr(&o));
        timings_of(&o)
    };
    for limit in [None, Some("64KiB")] {
        let t = run("2*a + sin(b)", limit);
        assert_eq!(t["fallbacks"], serde_json::json!([]), "{t}");
        assert_eq!(t["streamed"] == true, limit.is_some(), "{t}");
    }
    // Reversing rows and concatenating run on the reference kernels.
    for expr in ["a[::-1] + 1", "concat(a, b)"] {
        let t = run(expr, None);
        let f = t["fallbacks"].as_array().expect("a list");
        assert!(!f.is_empty(), "{expr}: {t}");
    }
}

#[test]
fn streamed_runs_dump_ir_emit_kernels_and_repeat() {
    let dir = scratch("streamed-dumps");
    let a = ndarray::Array2::from_shape_fn((3001, 7), |(i, j)| ((i + j) % 13) as f64);
    let pa = save(&dir, "a.npy", a.into_dyn());
    let o = blaze(&[
        "eval",
        "-e",
        "sum(A, axis=0) + 1",
        "--in",
        &format!("A={pa}"),
        "--memory-limit",
        "64KiB",
        "--dump-ir",
        "--emit",
        "llvm-ir",
        "--repeat",
        "3",
        "--timings",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("; block function\ndef main(A: ROWS * 7 * float64)"),
        "{err}"
    );
    assert!(
        err.contains("; tail\ndef main(partial0: 7 * float64)"),
        "{err}"
    );
    assert!(err.contains("define void @blaze_kernel_"), "{err}");
    let t = timings_of(&o);
    assert!(
        t["streamed"] == true && t["blocks"].as_u64().unwrap() > 1,
        "{t}"
    );
    assert_eq!(t["repeat"], 3, "{t}");
    assert!(t["execute"].as_f64().unwrap() > 0.0, "{t}");
    assert_eq!(stdout(&o).matches('[').count(), 1, "{}", stdout(&o));
}

#[test]
fn a_thread_count_beyond_the_cap_is_refused() {
    let o = blaze(&["eval", "-e", "2 + 3", "--threads", "100000"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`--threads 100000` is more than the 1024 worker threads allowed"),
        "{}",
        stderr(&o)
    );
    let o = blaze(&["eval", "-e", "2 + 3", "--threads", "1024"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

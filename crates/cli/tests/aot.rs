//! `blaze build` and `blaze config --libs`: ahead-of-time objects linked
//! into a C program with nothing of blaze but the object (no library, no
//! JIT), run on a million doubles and on bad arguments.

mod common;

use common::cbuild::{blaze, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `blaze build SRC -o OBJ --header HEADER`.
fn build(src: &Path, obj: &Path, header: &Path) -> Output {
    blaze(&[
        "build",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
        "--header",
        header.to_str().unwrap(),
    ])
}

/// The C compiler: `$CC`, else `cc`.
fn cc() -> Command {
    Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("aot");
    std::fs::create_dir_all(&d).expect("create the test directory");
    d.join(name)
}

#[test]
fn built_object_runs_without_blaze() {
    let obj = tmp("aot_kernels.o");
    let header = tmp("aot_kernels.h");
    let src = repo().join("tests/c/aot_kernels.blz");
    let o = build(&src, &obj, &header);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let h = std::fs::read_to_string(&header).expect("the header was written");
    assert!(
        h.contains("int32_t axpy(double a, const DLTensor *x, const DLTensor *y, DLTensor *out);"),
        "{h}"
    );
    assert!(
        h.contains("int32_t clip(const DLTensor *x, int32_t lo, DLTensor *out);"),
        "{h}"
    );

    let libs = blaze(&["config", "--libs"]);
    assert_eq!(libs.status.code(), Some(0), "{}", text(&libs.stderr));
    let libs = text(&libs.stdout);
    assert!(libs.contains("-lm"), "{libs}");

    let exe = tmp("test_aot");
    let cc = cc()
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1"])
        .arg("-I")
        .arg(header.parent().unwrap())
        .arg(repo().join("tests/c/test_aot.c"))
        .arg(&obj)
        .args(libs.split_whitespace())
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc (a C compiler is required)");
    assert!(cc.status.success(), "cc: {}", text(&cc.stderr));

    let run = Command::new(&exe)
        .arg("1000000")
        .output()
        .expect("run test_aot");
    let out = text(&run.stdout);
    assert!(run.status.success(), "{out}\n{}", text(&run.stderr));
    assert!(out.contains("aot axpy on 1000000 doubles: ok"), "{out}");
    assert!(out.contains("test_aot: all passed"), "{out}");
    let bad: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("aot bad calls rejected: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(bad >= 10, "{out}");
}

#[test]
fn build_refuses_definitions_that_are_not_one_kernel() {
    let src = tmp("gram.blz");
    std::fs::write(
        &src,
        "def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y\n\
         def shifted(x: N * var * float64) = x - 1.0\n",
    )
    .unwrap();
    let obj = tmp("gram.o");
    let header = tmp("gram.h");
    let _ = std::fs::remove_file(&obj);
    let _ = std::fs::remove_file(&header);
    let args = |defs: &[&str]| {
        let mut a = vec![
            "build".to_string(),
            src.display().to_string(),
            "-o".into(),
            obj.display().to_string(),
            "--header".into(),
            header.display().to_string(),
        ];
        for d in defs {
            a.push("--def".into());
            a.push(d.to_string());
        }
        a
    };
    let all = args(&[]);
    let o = blaze(&all.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("`shifted`: parameter `x` has type `N * var * float64`"),
        "{err}"
    );
    assert!(err.contains("--def NAME"), "{err}");
    assert!(
        !obj.exists() && !header.exists(),
        "files written on failure"
    );

    let one = args(&["axpy"]);
    let o = blaze(&one.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(obj.exists() && header.exists());

    let missing = args(&["nope"]);
    let o = blaze(&missing.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no definition `nope`"));
}

#[test]
fn build_never_writes_over_its_source_or_its_other_output() {
    let src = tmp("self.blz");
    let text_src = "def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y\n";
    std::fs::write(&src, text_src).unwrap();
    let obj = tmp("self.o");
    let header = tmp("self.h");
    let _ = std::fs::remove_file(&obj);
    let _ = std::fs::remove_file(&header);
    let s = src.display().to_string();
    let (o_path, h_path) = (obj.display().to_string(), header.display().to_string());
    // The source as the object, as the header (also through `./` and a
    // relative path), and the object as the header.
    let dir = src.parent().unwrap().display().to_string();
    let dotted = format!("{dir}/./self.blz");
    for (out, head, needle) in [
        (s.as_str(), h_path.as_str(), "`-o "),
        (dotted.as_str(), h_path.as_str(), "is the source file"),
        (o_path.as_str(), s.as_str(), "`--header "),
        (o_path.as_str(), o_path.as_str(), "is the object file"),
    ] {
        let o = blaze(&["build", &s, "-o", out, "--header", head]);
        assert_eq!(o.status.code(), Some(1), "{out} {head}");
        let err = text(&o.stderr);
        assert!(
            err.contains(needle) && err.contains("never writes over it"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&src).unwrap(), text_src);
        assert!(
            !obj.exists() && !header.exists(),
            "files written on failure"
        );
    }
    let o = blaze(&["build", &s, "-o", &o_path, "--header", &h_path]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(obj.exists() && header.exists());
}

#[test]
fn build_refuses_definitions_named_like_c_keywords_and_types() {
    let t = tempfile::tempdir().expect("temp dir");
    for name in [
        "int", "float", "double", "char", "void", "signed", "size_t", "int64_t", "main",
    ] {
        let src = t.path().join("kw.blz");
        std::fs::write(&src, format!("def {name}(x: N * float64) = x * 2.0\n")).unwrap();
        let (obj, h) = (t.path().join("kw.o"), t.path().join("kw.h"));
        let o = build(&src, &obj, &h);
        let err = text(&o.stderr);
        // Either the parser refuses the name, or the build does, clearly.
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!obj.exists() && !h.exists(), "{name}: files written");
        if err.contains("error[build]") {
            assert!(err.contains(&format!("`{name}`")), "{err}");
            assert!(err.contains("rename the definition"), "{err}");
        }
    }
    // A parameter so named is declared with a trailing `_`, and the header
    // compiles.
    let src = t.path().join("params.blz");
    std::fs::write(
        &src,
        "def scale(size_t: N * float64, int64_t: float64) = size_t * int64_t\n",
    )
    .unwrap();
    let (obj, h) = (t.path().join("params.o"), t.path().join("params.h"));
    let o = build(&src, &obj, &h);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let header = std::fs::read_to_string(&h).unwrap();
    assert!(
        header.contains("int32_t scale(const DLTensor *size_t_, double int64_t_, DLTensor *out);"),
        "{header}"
    );
    let c = t.path().join("use.c");
    std::fs::write(&c, "#include \"params.h\"\nint main(void) {\n  int32_t (*f)(const DLTensor *, double, DLTensor *) = scale;\n  (void)f;\n  return 0;\n}\n").unwrap();
    let cc = cc()
        .args(["-std=c11", "-Wall", "-Werror", "-fsyntax-only", "-I"])
        .arg(t.path())
        .arg(&c)
        .output()
        .expect("run cc");
    assert!(cc.status.success(), "cc: {}", text(&cc.stderr));
}

/// A C program calling `axpy` with a float32 `x` (the message names the
/// dtype given), an output overlapping an input in part (refused), and an
/// output that is exactly an input (allowed).
const OVERLAP_C: &str = r#"
#include <stdio.h>
#include <string.h>
#include "ov.h"

static DLTensor tensor(void *data, int64_t *shape, uint8_t code, uint8_t bits) {
    DLTensor t;
    memset(&t, 0, sizeof t);
    t.data = data;
    t.device.device_type = kDLCPU;
    t.ndim = 1;
    t.dtype.code = code;
    t.dtype.bits = bits;
    t.dtype.lanes = 1;
    t.shape = shape;
    return t;
}

int main(void) {
    double buf[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[4] = {1, 1, 1, 1};
    float xf[4] = {0};
    int64_t n[1] = {4};
    DLTensor tx = tensor(buf, n, kDLFloat, 64), ty = tensor(y, n, kDLFloat, 64);
    DLTensor tf = tensor(xf, n, kDLFloat, 32);
    int32_t s = axpy(2.0, &tf, &ty, &ty);
    printf("dtype %d %s\n", s, s ? blaze_aot_last_error() : "");
    /* out = buf[2..6] overlaps x = buf[0..4] in part. */
    DLTensor to = tensor(buf + 2, n, kDLFloat, 64);
    s = axpy(2.0, &tx, &ty, &to);
    printf("partial %d %s\n", s, s ? blaze_aot_last_error() : "");
    /* Reversed: out = buf[3..7] backwards over x = buf[0..4]. */
    int64_t back[1] = {-1};
    to = tensor(buf + 6, n, kDLFloat, 64);
    to.strides = back;
    s = axpy(2.0, &tx, &ty, &to);
    printf("reversed %d\n", s);
    /* out is x itself: allowed, computed in place. */
    s = axpy(2.0, &tx, &ty, &tx);
    printf("exact %d %g %g\n", s, buf[0], buf[3]);
    /* Disjoint halves of one buffer: allowed. */
    to = tensor(buf + 4, n, kDLFloat, 64);
    s = axpy(1.0, &tx, &ty, &to);
    printf("disjoint %d %g\n", s, buf[4]);
    return 0;
}
"#;

#[test]
fn aot_reports_the_dtype_given_and_partial_overlaps() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = t.path().join("ov.blz");
    std::fs::write(
        &src,
        "def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y\n",
    )
    .unwrap();
    let (obj, h) = (t.path().join("ov.o"), t.path().join("ov.h"));
    let o = build(&src, &obj, &h);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let c = t.path().join("ov.c");
    std::fs::write(&c, OVERLAP_C).unwrap();
    let exe = t.path().join("ov");
    let libs = text(&blaze(&["config", "--libs"]).stdout);
    let cc = cc()
        .args(["-std=c11", "-Wall", "-Werror", "-I"])
        .arg(t.path())
        .arg(&c)
        .arg(&obj)
        .args(libs.split_whitespace())
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc");
    assert!(cc.status.success(), "cc: {}", text(&cc.stderr));
    let run = Command::new(&exe).output().expect("run the program");
    let out = text(&run.stdout);
    assert!(run.status.success(), "{out}");
    let line = |p: &str| {
        out.lines()
            .find(|l| l.starts_with(p))
            .unwrap_or("")
            .to_string()
    };
    let dtype = line("dtype ");
    assert!(dtype.starts_with("dtype 7 "), "{out}");
    assert!(dtype.contains("`x` is not float64"), "{dtype}");
    assert!(
        dtype.contains("it has dtype code 2, bits 32, lanes 1"),
        "{dtype}"
    );
    let partial = line("partial ");
    assert!(partial.starts_with("partial 8 "), "{out}");
    assert!(partial.contains("`out` overlaps `x`"), "{partial}");
    assert_eq!(line("reversed "), "reversed 8", "{out}");
    assert_eq!(line("exact "), "exact 0 3 9", "{out}");
    assert_eq!(line("disjoint "), "disjoint 0 4", "{out}");
}

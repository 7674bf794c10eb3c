//! `blaze build` of reductions over every axis: `sum(x * x)` and friends
//! called from C through a 0-d `out` tensor give the JIT's results
//! (`blaze eval` on the same data), `max` of nothing is an error, and the
//! reductions it does not compile are refused with the reason.

mod common;

use common::cbuild::{blaze, build, compile_c, config, jit, npy, text, valgrind};
use std::path::Path;
use std::process::Command;

const SOURCE: &str = "\
def total(x: N * float64) = sum(x * x)
def lowest(m: N * M * int32) = min(m + 1)
def highest(x: N * float64) = max(sin(x) * 2.0)
def anyneg(x: N * float64) = any(x < -3.0)
def allpos(m: N * M * int32) = all(m > -1000)
def count(m: N * M * int32) = sum(m)
def scaled(a: float64, x: N * float64) = prod(a + x * 0.0)
def average(m: N * M * int32) = mean(m * 2)
def rowsum(m: N * M * int32) = sum(m, axis=1)
def colmean(m: N * M * int32) = mean(m, axis=0, keepdims=true)
def colmin(x: N * 3 * float64) = min(x * x - 1.0, axis=0)
";

/// `N` and `M`: more elements than one chunk of the JIT's reductions.
const N: usize = 40_001;
const M: usize = 3;

fn xs() -> Vec<f64> {
    (0..N).map(|i| (i % 13) as f64 * 0.75 - 4.0).collect()
}

fn ms() -> Vec<i32> {
    (0..N * M).map(|i| (i % 1999) as i32 - 999).collect()
}

/// The JIT's result of definition `def` of `r.blz` in `dir`.
fn jit_r(dir: &Path, def: &str, args: &[&str]) -> Vec<u8> {
    jit(dir, &dir.join("r.blz"), def, args)
}

/// Calls each definition on the data of `x.bin` and `m.bin` and prints
/// `name status value` (the reductions over some axes write their values
/// into the fifth argument's file); then `max` of no element.
const REDUCE_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "r.h"

static DLTensor tensor(void *data, int ndim, int64_t *shape, uint8_t code, uint8_t bits) {
    DLTensor t;
    memset(&t, 0, sizeof t);
    t.data = data;
    t.device.device_type = kDLCPU;
    t.ndim = ndim;
    t.dtype.code = code;
    t.dtype.bits = bits;
    t.dtype.lanes = 1;
    t.shape = shape;
    return t;
}

static void *slurp(const char *path, size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    FILE *f = fopen(path, "rb");
    if (!p || !f || fread(p, 1, bytes, f) != bytes) { fprintf(stderr, "cannot read %s\n", path); exit(1); }
    fclose(f);
    return p;
}

int main(int argc, char **argv) {
    if (argc != 6) return 2;
    int64_t n = atoll(argv[3]), m = atoll(argv[4]);
    double *x = slurp(argv[1], (size_t)n * sizeof(double));
    int32_t *mm = slurp(argv[2], (size_t)(n * m) * sizeof(int32_t));
    int64_t xs[1] = {n}, ms[2] = {n, m};
    DLTensor tx = tensor(x, 1, xs, kDLFloat, 64), tm = tensor(mm, 2, ms, kDLInt, 32);
    double d = 0;
    int32_t i32 = 0;
    int64_t i64 = 0;
    uint8_t b = 0;
    DLTensor od = tensor(&d, 0, NULL, kDLFloat, 64), oi = tensor(&i32, 0, NULL, kDLInt, 32);
    DLTensor ol = tensor(&i64, 0, NULL, kDLInt, 64), ob = tensor(&b, 0, NULL, kDLBool, 8);
    int s = total(&tx, &od);
    printf("total %d %.17g\n", s, d);
    s = lowest(&tm, &oi);
    printf("lowest %d %d\n", s, i32);
    s = highest(&tx, &od);
    printf("highest %d %.17g\n", s, d);
    s = anyneg(&tx, &ob);
    printf("anyneg %d %d\n", s, b);
    s = allpos(&tm, &ob);
    printf("allpos %d %d\n", s, b);
    s = count(&tm, &ol);
    printf("count %d %lld\n", s, (long long)i64);
    s = scaled(1.0009765625, &tx, &od);
    printf("scaled %d %.17g\n", s, d);
    s = average(&tm, &od);
    printf("average %d %.17g\n", s, d);
    /* Over some axes: into 1-d and keepdims outputs, written to files. */
    int64_t *rs = calloc((size_t)n, sizeof *rs);
    double cm[3], cn[3];
    int64_t one_m[2] = {1, m}, three[1] = {3}, x3[2] = {n / 3, 3};
    DLTensor trs = tensor(rs, 1, xs, kDLInt, 64), tcm = tensor(cm, 2, one_m, kDLFloat, 64);
    DLTensor tx3 = tensor(x, 2, x3, kDLFloat, 64), tcn = tensor(cn, 1, three, kDLFloat, 64);
    printf("rowsum %d\n", rowsum(&tm, &trs));
    printf("colmean %d\n", m == 3 ? colmean(&tm, &tcm) : -1);
    printf("colmin %d\n", colmin(&tx3, &tcn));
    FILE *o = fopen(argv[5], "wb");
    if (!o) return 1;
    fwrite(rs, sizeof *rs, (size_t)n, o);
    fwrite(cm, sizeof *cm, 3, o);
    fwrite(cn, sizeof *cn, 3, o);
    fclose(o);
    free(rs);
    /* Nothing to take the max of. */
    int64_t none[1] = {0};
    DLTensor te = tensor(x, 1, none, kDLFloat, 64);
    s = highest(&te, &od);
    printf("empty %d %s\n", s, s ? blaze_aot_last_error() : "");
    /* `out` must be 0-d, and not an input. */
    s = total(&tx, &tx);
    printf("rank %d\n", s);
    DLTensor alias = tensor(x, 0, NULL, kDLFloat, 64);
    s = total(&tx, &alias);
    printf("alias %d %s\n", s, s ? blaze_aot_last_error() : "");
    free(x);
    free(mm);
    return 0;
}
"#;

#[test]
fn reductions_built_ahead_of_time_give_the_jit_results() {
    let t = tempfile::tempdir().expect("temp dir");
    let dir = t.path();
    let src = dir.join("r.blz");
    std::fs::write(&src, SOURCE).unwrap();
    let (obj, h) = build(dir, &src, "r", &[]);
    let header = std::fs::read_to_string(&h).unwrap();
    assert!(
        header.contains("/* total(x: N * float64) -> float64 */\nint32_t total(const DLTensor *x, DLTensor *out);"),
        "{header}"
    );

    let x: Vec<u8> = xs().iter().flat_map(|v| v.to_le_bytes()).collect();
    let m: Vec<u8> = ms().iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(dir.join("x.bin"), &x).unwrap();
    std::fs::write(dir.join("m.bin"), &m).unwrap();
    let (xn, mn) = (dir.join("x.npy"), dir.join("m.npy"));
    npy(&xn, "<f8", &[N], &x);
    npy(&mn, "<i4", &[N, M], &m);

    let exe = compile_c(dir, REDUCE_C, &obj, "r", &config("--libs"));
    let args = [
        dir.join("x.bin").display().to_string(),
        dir.join("m.bin").display().to_string(),
        N.to_string(),
        M.to_string(),
        dir.join("axes.bin").display().to_string(),
    ];
    let run = Command::new(&exe).args(&args).output().expect("run");
    let out = text(&run.stdout);
    assert!(run.status.success(), "{out}{}", text(&run.stderr));
    let axes = std::fs::read(dir.join("axes.bin")).unwrap();
    assert_eq!(axes.len(), 8 * (N + 6));
    // Under valgrind (its CPU has no AVX-512, so another variant may run):
    // no error, the same statuses.
    if let Some(vg) = valgrind() {
        let o = Command::new(vg)
            .args(["--error-exitcode=99", "-q"])
            .arg(&exe)
            .args(&args)
            .output()
            .expect("run valgrind");
        let under = text(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{under}{}", text(&o.stderr));
        let statuses = |s: &str| -> Vec<String> {
            s.lines()
                .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
                .collect()
        };
        assert_eq!(statuses(&under), statuses(&out));
    }
    let value = |name: &str| -> String {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no `{name}` in {out}"));
        let rest = line[name.len() + 1..].to_string();
        let (status, v) = rest.split_once(' ').unwrap_or((&rest, ""));
        assert_eq!(status, "0", "{line}");
        v.to_string()
    };
    let f64_of = |b: Vec<u8>| f64::from_le_bytes(b[..8].try_into().unwrap());
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
    let xa = format!("x={}", xn.display());
    let ma = format!("m={}", mn.display());

    let total: f64 = value("total").parse().unwrap();
    let want = f64_of(jit_r(dir, "total", &["--in", &xa]));
    assert!(close(total, want), "total {total} vs the JIT's {want}");
    let exact: f64 = xs().iter().map(|v| v * v).sum();
    assert!(close(total, exact), "total {total} vs {exact}");

    let lowest: i32 = value("lowest").parse().unwrap();
    let want = jit_r(dir, "lowest", &["--in", &ma]);
    assert_eq!(lowest, i32::from_le_bytes(want[..4].try_into().unwrap()));
    assert_eq!(lowest, -998);

    let highest: f64 = value("highest").parse().unwrap();
    let want = f64_of(jit_r(dir, "highest", &["--in", &xa]));
    assert!(close(highest, want), "highest {highest} vs {want}");

    for (name, input) in [("anyneg", &xa), ("allpos", &ma)] {
        let got: u8 = value(name).parse().unwrap();
        assert_eq!(got, jit_r(dir, name, &["--in", input])[0], "{name}");
    }
    assert_eq!(value("anyneg"), "1");
    assert_eq!(value("allpos"), "1");

    let count: i64 = value("count").parse().unwrap();
    let want = jit_r(dir, "count", &["--in", &ma]);
    assert_eq!(count, i64::from_le_bytes(want[..8].try_into().unwrap()));
    assert_eq!(count, ms().iter().map(|&v| i64::from(v)).sum::<i64>());

    let scaled: f64 = value("scaled").parse().unwrap();
    let want = f64_of(jit_r(
        dir,
        "scaled",
        &["--in", &xa, "--arg", "a=1.0009765625"],
    ));
    // 40,001 roundings in another order: a looser bound.
    assert!(
        (scaled - want).abs() <= 1e-9 * want.abs(),
        "scaled {scaled} vs {want}"
    );

    // Over some axes: the same bytes as the JIT's (integer sums), or close.
    for name in ["rowsum", "colmean", "colmin"] {
        assert_eq!(value(name), "", "{name}");
    }
    assert_eq!(axes[..8 * N], jit_r(dir, "rowsum", &["--in", &ma])[..]);
    let floats = |b: &[u8]| -> Vec<f64> {
        b.chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };
    let colmean = floats(&axes[8 * N..8 * (N + 3)]);
    let want = floats(&jit_r(dir, "colmean", &["--in", &ma]));
    assert_eq!(want.len(), 3);
    for (a, b) in colmean.iter().zip(&want) {
        assert!(close(*a, *b), "colmean {colmean:?} vs {want:?}");
    }
    let x3 = dir.join("x3.npy");
    npy(&x3, "<f8", &[N / 3, 3], &x[..8 * 3 * (N / 3)]);
    let colmin = floats(&axes[8 * (N + 3)..]);
    let want = floats(&jit_r(
        dir,
        "colmin",
        &["--in", &format!("x={}", x3.display())],
    ));
    assert_eq!(colmin, want);
    assert_eq!(colmin, [-0.9375; 3]);

    let average: f64 = value("average").parse().unwrap();
    let want = f64_of(jit_r(dir, "average", &["--in", &ma]));
    assert!(close(average, want), "average {average} vs {want}");

    assert!(
        out.contains(
            "empty 12 highest: zero-size array to reduction operation max which has no identity"
        ),
        "{out}"
    );
    assert!(out.contains("rank 8\n"), "{out}");
    assert!(out.contains("alias 8 total: `out` overlaps `x`"), "{out}");
}

#[test]
fn reductions_blaze_build_does_not_compile_are_refused_with_the_reason() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = t.path().join("bad.blz");
    std::fs::write(
        &src,
        "def mu(x: N * complex128) = var(x)\n\
         def plus(x: N * var * float64) = sum(x, axis=1)\n",
    )
    .unwrap();
    let (obj, h) = (t.path().join("b.o"), t.path().join("b.h"));
    for (def, needle) in [
        (
            "mu",
            "`mu`: parameter `x` has type `N * complex[float64]`; `blaze build` compiles arrays of bool, integers and floats",
        ),
        (
            "plus",
            "`plus`: parameter `x` has type `N * var * float64`, whose dimension `var` `blaze build` does not compile",
        ),
    ] {
        let o = blaze(&[
            "build",
            src.to_str().unwrap(),
            "--def",
            def,
            "-o",
            obj.to_str().unwrap(),
            "--header",
            h.to_str().unwrap(),
        ]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{def}: {err}");
        assert!(err.contains(needle), "{def}: {err}");
        assert!(!obj.exists() && !h.exists(), "{def}: files written");
    }
}

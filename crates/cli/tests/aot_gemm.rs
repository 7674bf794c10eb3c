//! `blaze build` of matrix products: `def gram(A: N * M * float64) =
//! A.T @ A` and `A @ B.T` called from C (one BLAS call each) give the
//! JIT's results (`blaze eval` on the same data), with `A` row-major or
//! column-major, under valgrind too; layouts BLAS cannot read and other
//! products are refused with the reason.

mod common;

use common::cbuild::{blaze, build, close, compile_c, config, f64s, jit, npy, text, valgrind};
use std::process::Command;

const SOURCE: &str = "\
def gram(A: N * M * float64) = A.T @ A
def abt(A: N * M * float64, B: K * M * float64) = A @ B.T
";

const N: usize = 301;
const M: usize = 17;
const K: usize = 5;

fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % 2001) as f64 / 1000.0 - 1.0
        })
        .collect()
}

/// The bytes of float64s.
fn bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Reads A (N × M, row-major) and B (K × M) from files, calls `gram` on A
/// and on a column-major copy of it, and `abt`, writing the three results
/// into the output file; then calls with layouts BLAS cannot read.
const GEMM_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "g.h"

static DLTensor tensor(void *data, int64_t *shape, int64_t *strides) {
    DLTensor t;
    memset(&t, 0, sizeof t);
    t.data = data;
    t.device.device_type = kDLCPU;
    t.ndim = 2;
    t.dtype.code = kDLFloat;
    t.dtype.bits = 64;
    t.dtype.lanes = 1;
    t.shape = shape;
    t.strides = strides;
    return t;
}

static double *slurp(const char *path, size_t n) {
    double *p = malloc(n * sizeof *p);
    FILE *f = fopen(path, "rb");
    if (!p || !f || fread(p, sizeof *p, n, f) != n) { fprintf(stderr, "cannot read %s\n", path); exit(1); }
    fclose(f);
    return p;
}

int main(int argc, char **argv) {
    if (argc != 7) return 2;
    int64_t n = atoll(argv[3]), m = atoll(argv[4]), k = atoll(argv[5]);
    double *a = slurp(argv[1], (size_t)(n * m)), *b = slurp(argv[2], (size_t)(k * m));
    double *ac = malloc((size_t)(n * m) * sizeof *ac);
    double *g = malloc((size_t)(m * m) * sizeof *g), *gc = malloc((size_t)(m * m) * sizeof *gc);
    double *r = malloc((size_t)(n * k) * sizeof *r);
    if (!ac || !g || !gc || !r) return 1;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < m; j++) ac[j * n + i] = a[i * m + j];
    int64_t sa[2] = {n, m}, sb[2] = {k, m}, sg[2] = {m, m}, sr[2] = {n, k};
    int64_t col[2] = {1, n};
    DLTensor ta = tensor(a, sa, NULL), tac = tensor(ac, sa, col), tb = tensor(b, sb, NULL);
    DLTensor tg = tensor(g, sg, NULL), tgc = tensor(gc, sg, NULL), tr = tensor(r, sr, NULL);
    printf("gram %d\n", gram(&ta, &tg));
    printf("gram-col %d\n", gram(&tac, &tgc));
    printf("abt %d\n", abt(&ta, &tb, &tr));
    FILE *o = fopen(argv[6], "wb");
    if (!o) return 1;
    fwrite(g, sizeof *g, (size_t)(m * m), o);
    fwrite(gc, sizeof *gc, (size_t)(m * m), o);
    fwrite(r, sizeof *r, (size_t)(n * k), o);
    fclose(o);
    /* Every other column: no unit stride. */
    int64_t half[2] = {n, m / 2}, skip[2] = {m, 2}, sh[2] = {m / 2, m / 2};
    DLTensor th = tensor(a, half, skip), tgh = tensor(g, sh, NULL);
    int s = gram(&th, &tgh);
    printf("strided %d %s\n", s, s ? blaze_aot_last_error() : "");
    /* `out` column-major. */
    int64_t ocol[2] = {1, m};
    DLTensor tgo = tensor(g, sg, ocol);
    s = gram(&ta, &tgo);
    printf("out-col %d %s\n", s, s ? blaze_aot_last_error() : "");
    /* `out` inside A. */
    DLTensor tin = tensor(a, sg, NULL);
    s = gram(&ta, &tin);
    printf("overlap %d %s\n", s, s ? blaze_aot_last_error() : "");
    /* Inner lengths that differ. */
    int64_t sb2[2] = {k, m - 1};
    DLTensor tb2 = tensor(b, sb2, NULL);
    s = abt(&ta, &tb2, &tr);
    printf("inner %d %s\n", s, s ? blaze_aot_last_error() : "");
    free(a); free(b); free(ac); free(g); free(gc); free(r);
    return 0;
}
"#;

#[test]
fn matrix_products_built_ahead_of_time_give_the_jit_results() {
    let t = tempfile::tempdir().expect("temp dir");
    let dir = t.path();
    let src = dir.join("g.blz");
    std::fs::write(&src, SOURCE).unwrap();
    let (obj, h) = build(dir, &src, "g", &[]);
    let header = std::fs::read_to_string(&h).unwrap();
    assert!(
        header.contains("int32_t gram(const DLTensor *A, DLTensor *out);"),
        "{header}"
    );
    assert!(header.contains("Link with: -lopenblas"), "{header}");

    let (a, b) = (values(N * M, 1), values(K * M, 2));
    let raw = |name: &str, v: &[f64]| {
        std::fs::write(dir.join(name), bytes(v)).unwrap();
        dir.join(name).display().to_string()
    };
    let args = [
        raw("a.bin", &a),
        raw("b.bin", &b),
        N.to_string(),
        M.to_string(),
        K.to_string(),
        dir.join("out.bin").display().to_string(),
    ];
    npy(&dir.join("a.npy"), "<f8", &[N, M], &bytes(&a));
    npy(&dir.join("b.npy"), "<f8", &[K, M], &bytes(&b));

    let libs = config("--libs");
    assert!(libs.contains(&"-lopenblas".to_string()), "{libs:?}");
    let exe = compile_c(dir, GEMM_C, &obj, "g", &libs);
    let run = Command::new(&exe).args(&args).output().expect("run");
    let out = text(&run.stdout);
    assert!(run.status.success(), "{out}{}", text(&run.stderr));
    for line in ["gram 0", "gram-col 0", "abt 0"] {
        assert!(out.lines().any(|l| l == line), "{line}: {out}");
    }
    let got = f64s(&std::fs::read(dir.join("out.bin")).unwrap());
    assert_eq!(got.len(), 2 * M * M + N * K);
    let a_in = format!("A={}", dir.join("a.npy").display());
    let b_in = format!("B={}", dir.join("b.npy").display());
    let same = |x: &[f64], y: &[f64], what: &str| {
        assert!(close(x, y, 1e-12), "{what}: {x:?} vs the JIT's {y:?}");
    };
    let gram = f64s(&jit(dir, &src, "gram", &["--in", &a_in]));
    same(&got[..M * M], &gram, "gram");
    same(&got[M * M..2 * M * M], &gram, "gram of column-major A");
    let abt = f64s(&jit(dir, &src, "abt", &["--in", &a_in, "--in", &b_in]));
    same(&got[2 * M * M..], &abt, "abt");
    // A plain check of one element: (A.T @ A)[0][1].
    let want: f64 = (0..N).map(|i| a[i * M] * a[i * M + 1]).sum();
    assert!((got[1] - want).abs() <= 1e-12 * want.abs().max(1.0));

    let line = |p: &str| out.lines().find(|l| l.starts_with(p)).unwrap_or("");
    assert!(
        line("strided ").starts_with("strided 8 gram: `A` has no unit stride"),
        "{out}"
    );
    assert!(
        line("out-col ").starts_with("out-col 8 gram: `out` must be row-major"),
        "{out}"
    );
    assert!(
        line("overlap ").starts_with("overlap 8 gram: `out` overlaps `A`"),
        "{out}"
    );
    assert!(line("inner ").starts_with("inner 8 abt: "), "{out}");

    if let Some(vg) = valgrind() {
        let o = Command::new(vg)
            .args(["--error-exitcode=99", "-q"])
            .arg(&exe)
            .args(&args)
            .output()
            .expect("run valgrind");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout), out);
    }
}

#[test]
fn products_blas_does_not_compute_here_are_refused() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = t.path().join("bad.blz");
    std::fs::write(
        &src,
        "def ints(A: N * M * int64) = A.T @ A\n\
         def halves(A: N * M * float16) = A.T @ A\n",
    )
    .unwrap();
    let (obj, h) = (t.path().join("b.o"), t.path().join("b.h"));
    for (def, needle) in [
        (
            "ints",
            "`ints`: node %2 is a `@` of type `M * M * int64`; `blaze build` compiles products of float64 or float32",
        ),
        (
            "halves",
            "`halves`: node %2 is a `@` of type `M * M * float16`",
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

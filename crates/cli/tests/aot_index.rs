//! `blaze build` of index notation — a matrix-vector product, a trace,
//! an outer product with a scalar, a fixed column, a column maximum, a
//! loop inside a larger expression — called from C: the JIT's results
//! (`blaze eval` on the same data); a fixed index out of bounds is an
//! error; nothing is leaked under valgrind.

mod common;

use common::cbuild::{
    blaze, build, bytes_f64, bytes_i32, c_result, close, compile_c, config, f64s, jit_over, run_c,
    text, under_valgrind, write_inputs, C_HELPERS,
};

const SOURCE: &str = "\
def mv(A: N * M * float64, x: M * float64) = forall i: sum(j: A[i, j] * x[j])
def trace2(S: N * N * float64) = sum(i: S[i, i] * 2.0)
def outer(x: M * float64, y: M * float64, a: float64) = forall i, j: x[i] * y[j] + a
def col2(A: N * M * float64) = (forall i: A[i, 2] - 1.0) * mean(A)
def colmax(I: N * M * int32) = forall j: max(i: I[i, j])
def norms(A: N * M * float64) = sqrt(forall i: sum(j: A[i, j] * A[i, j]))
";

const N: usize = 301;
const M: usize = 4;

const INDEX_C: &str = r#"
int main(int argc, char **argv) {
    if (argc != 4) return 2;
    const char *dir = argv[1];
    int64_t n = atoll(argv[2]), m = atoll(argv[3]);
    size_t nn = (size_t)n, nm = (size_t)(n * m), mm = (size_t)m;
    double *A = slurp(dir, "A.bin", nm * 8), *x = slurp(dir, "x.bin", mm * 8);
    double *y = slurp(dir, "y.bin", mm * 8), *S = slurp(dir, "S.bin", nn * nn * 8);
    int32_t *I = slurp(dir, "I.bin", nm * 4);
    int64_t sn[1] = {n}, snm[2] = {n, m}, sm[1] = {m}, smm[2] = {m, m}, snn[2] = {n, n};
    DLTensor tA = tensor(A, 2, snm, kDLFloat, 64), tx = tensor(x, 1, sm, kDLFloat, 64);
    DLTensor ty = tensor(y, 1, sm, kDLFloat, 64), tS = tensor(S, 2, snn, kDLFloat, 64);
    DLTensor tI = tensor(I, 2, snm, kDLInt, 32);
    double *vn = malloc(nn * 8), *vmm = malloc(mm * mm * 8), d = 0;
    int32_t *im = malloc(mm * 4);
    DLTensor on = tensor(vn, 1, sn, kDLFloat, 64), omm = tensor(vmm, 2, smm, kDLFloat, 64);
    DLTensor od = tensor(&d, 0, NULL, kDLFloat, 64), oim = tensor(im, 1, sm, kDLInt, 32);
    put(dir, "mv", mv(&tA, &tx, &on), vn, nn * 8);
    put(dir, "trace2", trace2(&tS, &od), &d, 8);
    put(dir, "outer", outer(&tx, &ty, 0.25, &omm), vmm, mm * mm * 8);
    put(dir, "col2", col2(&tA, &on), vn, nn * 8);
    put(dir, "colmax", colmax(&tI, &oim), im, mm * 4);
    put(dir, "norms", norms(&tA, &on), vn, nn * 8);
    /* Two columns: A[i, 2] is out of bounds. */
    int64_t s2[2] = {n, 2};
    DLTensor narrow = tensor(A, 2, s2, kDLFloat, 64);
    put(dir, "bounds", col2(&narrow, &on), vn, 0);
    free(A); free(x); free(y); free(S); free(I); free(vn); free(vmm); free(im);
    return 0;
}
"#;

#[test]
fn index_notation_gives_the_jit_results() {
    let t = tempfile::tempdir().expect("temp dir");
    let dir = t.path();
    let src = dir.join("i.blz");
    std::fs::write(&src, SOURCE).unwrap();
    let (obj, _) = build(dir, &src, "i", &["--target-cpu", "x86-64-v3"]);

    let a: Vec<f64> = (0..N * M)
        .map(|i| ((i * 17) % 29) as f64 * 0.25 - 3.0)
        .collect();
    let x: Vec<f64> = (0..M).map(|i| i as f64 - 1.5).collect();
    let y: Vec<f64> = (0..M).map(|i| (i * i) as f64 * 0.5).collect();
    let s: Vec<f64> = (0..N * N).map(|i| ((i * 7) % 13) as f64 - 6.0).collect();
    let ints: Vec<i32> = (0..N * M).map(|i| ((i * 37) % 1001) as i32 - 500).collect();
    let inputs: [(&str, &str, Vec<usize>, Vec<u8>); 5] = [
        ("A", "<f8", vec![N, M], bytes_f64(&a)),
        ("x", "<f8", vec![M], bytes_f64(&x)),
        ("y", "<f8", vec![M], bytes_f64(&y)),
        ("S", "<f8", vec![N, N], bytes_f64(&s)),
        ("I", "<i4", vec![N, M], bytes_i32(&ints)),
    ];
    let arg = write_inputs(dir, &inputs);
    let source = format!("#include \"i.h\"\n{C_HELPERS}{INDEX_C}");
    let exe = compile_c(dir, &source, &obj, "i", &config("--libs"));
    let args = [dir.display().to_string(), N.to_string(), M.to_string()];
    let out = run_c(&exe, &args);
    let result = |name: &str| c_result(dir, &out, name);
    let want = |def: &str, ins: &[&str], extra: &[&str]| jit_over(dir, &src, def, &arg, ins, extra);
    for (def, ins, extra) in [
        ("mv", &["A", "x"][..], &[][..]),
        ("trace2", &["S"], &[]),
        ("outer", &["x", "y"], &["--arg", "a=0.25"]),
        ("col2", &["A"], &[]),
        ("norms", &["A"], &[]),
    ] {
        let (got, jit) = (f64s(&result(def)), f64s(&want(def, ins, extra)));
        assert!(
            close(&got, &jit, 1e-12),
            "{def}: {got:?} vs the JIT's {jit:?}"
        );
    }
    assert_eq!(result("colmax"), want("colmax", &["I"], &[]));
    assert!(
        out.contains("bounds 8 col2: index 2 is out of bounds for axis 1"),
        "{out}"
    );

    if let Some(under) = under_valgrind(&exe, &args) {
        assert_eq!(under, out);
    }
}

#[test]
fn loops_an_object_cannot_compute_are_refused_with_the_reason() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = t.path().join("bad.blz");
    std::fs::write(
        &src,
        "def ident(x: N * float64) = forall i, j: delta[i, j] * x[j]\n",
    )
    .unwrap();
    let (obj, h) = (t.path().join("b.o"), t.path().join("b.h"));
    let o = blaze(&[
        "build",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
        "--header",
        h.to_str().unwrap(),
    ]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`ident`: index notation at node %")
            && err.contains("is not compiled ahead of time"),
        "{err}"
    );
    assert!(!obj.exists() && !h.exists(), "files written");
}

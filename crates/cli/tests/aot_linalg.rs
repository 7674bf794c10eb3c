//! `blaze build` of definitions that call LAPACK — `solve` (a vector or a
//! matrix right-hand side, a transposed matrix), `inv`, `det` inside
//! expressions — called from C: the JIT's results (`blaze eval` on the
//! same data); a singular matrix and NaN entries are errors with the
//! JIT's message, not crashes, and leak nothing under valgrind.

mod common;

use common::cbuild::{
    build, bytes_f32, bytes_f64, c_result, close, compile_c, config, f32s, f64s, jit_over, run_c,
    under_valgrind, write_inputs, C_HELPERS,
};

const SOURCE: &str = "\
def solved(A: N * N * float64, b: N * float64) = solve(A, b)
def inverse(A: N * N * float64) = inv(A) * 2.0
def logdet(A: N * N * float64) = log(abs(det(A / 4.0)))
def many(F: N * N * float32, G: N * K * float32) = solve(F.T, G) + 1.0
";

const N: usize = 40;
const K: usize = 3;

const LINALG_C: &str = r#"
int main(int argc, char **argv) {
    if (argc != 4) return 2;
    const char *dir = argv[1];
    int64_t n = atoll(argv[2]), k = atoll(argv[3]);
    size_t nn = (size_t)(n * n), nk = (size_t)(n * k);
    double *A = slurp(dir, "A.bin", nn * 8), *b = slurp(dir, "b.bin", (size_t)n * 8);
    float *F = slurp(dir, "F.bin", nn * 4), *G = slurp(dir, "G.bin", nk * 4);
    int64_t sn[1] = {n}, snn[2] = {n, n}, snk[2] = {n, k};
    DLTensor tA = tensor(A, 2, snn, kDLFloat, 64), tb = tensor(b, 1, sn, kDLFloat, 64);
    DLTensor tF = tensor(F, 2, snn, kDLFloat, 32), tG = tensor(G, 2, snk, kDLFloat, 32);
    double *x = malloc((size_t)n * 8), *I = malloc(nn * 8), d = 0;
    float *X = malloc(nk * 4);
    DLTensor ox = tensor(x, 1, sn, kDLFloat, 64), oI = tensor(I, 2, snn, kDLFloat, 64);
    DLTensor od = tensor(&d, 0, NULL, kDLFloat, 64), oX = tensor(X, 2, snk, kDLFloat, 32);
    put(dir, "solved", solved(&tA, &tb, &ox), x, (size_t)n * 8);
    put(dir, "inverse", inverse(&tA, &oI), I, nn * 8);
    put(dir, "logdet", logdet(&tA, &od), &d, 8);
    put(dir, "many", many(&tF, &tG, &oX), X, nk * 4);
    /* A singular matrix (two equal rows), then a NaN entry. */
    memcpy(A + n, A, (size_t)n * 8);
    put(dir, "singular_solve", solved(&tA, &tb, &ox), x, 0);
    put(dir, "singular_inv", inverse(&tA, &oI), I, 0);
    put(dir, "singular_det", logdet(&tA, &od), &d, 8);
    A[0] = 0.0 / 0.0;
    put(dir, "nan", solved(&tA, &tb, &ox), x, 0);
    int64_t s3[2] = {n, n - 1};
    DLTensor tr = tensor(A, 2, s3, kDLFloat, 64);
    put(dir, "rect", inverse(&tr, &oI), I, 0);
    free(A); free(b); free(F); free(G); free(x); free(I); free(X);
    return 0;
}
"#;

#[test]
fn lapack_definitions_give_the_jit_results_and_errors() {
    let t = tempfile::tempdir().expect("temp dir");
    let dir = t.path();
    let src = dir.join("l.blz");
    std::fs::write(&src, SOURCE).unwrap();
    let (obj, h) = build(dir, &src, "l", &["--target-cpu", "x86-64-v3"]);
    let header = std::fs::read_to_string(&h).unwrap();
    assert!(header.contains("Link with: -lopenblas"), "{header}");

    // Diagonally dominant: well conditioned.
    let a: Vec<f64> = (0..N * N)
        .map(|i| {
            let (r, c) = (i / N, i % N);
            if r == c {
                N as f64 + 1.0
            } else {
                ((r * 7 + c * 3) % 11) as f64 / 11.0 - 0.5
            }
        })
        .collect();
    let b: Vec<f64> = (0..N).map(|i| (i % 5) as f64 - 2.0).collect();
    let f: Vec<f32> = a.iter().map(|v| *v as f32).collect();
    let g: Vec<f32> = (0..N * K).map(|i| ((i * 3) % 7) as f32 - 3.0).collect();
    let inputs: [(&str, &str, Vec<usize>, Vec<u8>); 4] = [
        ("A", "<f8", vec![N, N], bytes_f64(&a)),
        ("b", "<f8", vec![N], bytes_f64(&b)),
        ("F", "<f4", vec![N, N], bytes_f32(&f)),
        ("G", "<f4", vec![N, K], bytes_f32(&g)),
    ];
    let arg = write_inputs(dir, &inputs);
    let source = format!("#include \"l.h\"\n{C_HELPERS}{LINALG_C}");
    let exe = compile_c(dir, &source, &obj, "l", &config("--libs"));
    let args = [dir.display().to_string(), N.to_string(), K.to_string()];
    let out = run_c(&exe, &args);
    let result = |name: &str| c_result(dir, &out, name);
    let want = |def: &str, ins: &[&str]| jit_over(dir, &src, def, &arg, ins, &[]);
    for (def, ins) in [
        ("solved", &["A", "b"][..]),
        ("inverse", &["A"]),
        ("logdet", &["A"]),
    ] {
        let (got, jit) = (f64s(&result(def)), f64s(&want(def, ins)));
        assert!(
            close(&got, &jit, 1e-10),
            "{def}: {got:?} vs the JIT's {jit:?}"
        );
    }
    let (got, jit) = (f32s(&result("many")), f32s(&want("many", &["F", "G"])));
    assert!(close(&got, &jit, 1e-4), "many: {got:?} vs {jit:?}");

    let singular =
        "matrix is singular: cannot solve or invert (a pivot was zero or below n*eps*max|a_ij|)";
    assert!(
        out.contains(&format!("singular_solve 12 solved: `solve`: {singular}")),
        "{out}"
    );
    assert!(
        out.contains(&format!("singular_inv 12 inverse: `inv`: {singular}")),
        "{out}"
    );
    // det of a singular matrix is 0 (or nearly), its log -inf or very
    // negative, as with the JIT.
    assert!(f64s(&result("singular_det"))[0] < -20.0, "{out}");
    assert!(
        out.contains("nan 12 solved: `solve`: matrix contains NaN or infinity"),
        "{out}"
    );
    assert!(
        out.contains("rect 8 inverse: `A`: its length on axis 1 is not the `N`"),
        "{out}"
    );

    if let Some(under) = under_valgrind(&exe, &args) {
        let statuses = |s: &str| -> Vec<String> {
            s.lines()
                .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
                .collect()
        };
        assert_eq!(statuses(&under), statuses(&out));
    }
}

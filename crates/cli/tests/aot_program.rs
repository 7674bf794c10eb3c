//! `blaze build` of definitions of several steps — fused groups whose
//! results other groups use (`x - mean(x)`), matrix products inside
//! expressions (`sum(exp(A @ w))`, `(A - mean(A, axis=0)).T @ (…)`), a
//! transposed result copied into `out` — called
//! from C give the JIT's results (`blaze eval` on the same data), on an
//! `x86-64-v3` object under valgrind with no error and no leak, errors
//! after temporaries included; linked with exactly `blaze config --libs`
//! (the header's link line) and `--static`.

mod common;

use common::cbuild::{
    archive_installed, blaze, build, bytes_f32, bytes_f64, bytes_i32, c_result, close, compile_c,
    config, f32s, f64s, jit, jit_over, run_c, text, under_valgrind, write_inputs, C_HELPERS,
};
use std::process::Command;

const SOURCE: &str = "\
def centered(x: N * float64) = x - mean(x)
def affine(a: float64, x: N * float64) = a * x - mean(x)
def expsum(A: N * M * float64, w: M * float64) = sum(exp(A @ w))
def cov(A: N * M * float64) = (A - mean(A, axis=0)).T @ (A - mean(A, axis=0))
def rowdev(m: N * M * int32) = m - max(m, axis=1, keepdims=true)
def counts(m: N * M * int32) = count(m, axis=1)
def shifted(x: N * float64) = sum(x) + 1.0
def vecmat(xf: N * float32, Af: N * M * float32) = (xf @ Af) * 2.0
def dot(x: N * float64, y: N * float64) = x @ y
def lowdev(x: N * float64) = x - min(x)
def flipped(A: N * M * float64) = (A - mean(A)).T
";

const N: usize = 1001;
const M: usize = 3;

/// Calls every definition on the inputs in `argv[1]` and writes each
/// result to a file there; then the errors: `min` of nothing after a
/// temporary, a `w` of the wrong length, `out` aliasing an input.
const PROGRAM_C: &str = r#"
int main(int argc, char **argv) {
    if (argc != 4) return 2;
    const char *dir = argv[1];
    int64_t n = atoll(argv[2]), m = atoll(argv[3]);
    size_t nn = (size_t)n, nm = (size_t)(n * m);
    double *x = slurp(dir, "x.bin", nn * 8), *y = slurp(dir, "y.bin", nn * 8);
    double *A = slurp(dir, "A.bin", nm * 8), *w = slurp(dir, "w.bin", (size_t)m * 8);
    int32_t *mi = slurp(dir, "m.bin", nm * 4);
    float *xf = slurp(dir, "xf.bin", nn * 4), *Af = slurp(dir, "Af.bin", nm * 4);
    int64_t sn[1] = {n}, snm[2] = {n, m}, sm[1] = {m}, smm[2] = {m, m};
    DLTensor tx = tensor(x, 1, sn, kDLFloat, 64), ty = tensor(y, 1, sn, kDLFloat, 64);
    DLTensor tA = tensor(A, 2, snm, kDLFloat, 64), tw = tensor(w, 1, sm, kDLFloat, 64);
    DLTensor tm = tensor(mi, 2, snm, kDLInt, 32);
    DLTensor txf = tensor(xf, 1, sn, kDLFloat, 32), tAf = tensor(Af, 2, snm, kDLFloat, 32);
    double *vn = malloc(nn * 8), *cv = malloc((size_t)(m * m) * 8), d = 0;
    int32_t *im = malloc(nm * 4);
    int64_t *cn = malloc(nn * 8);
    float *fm = malloc((size_t)m * 4);
    DLTensor on = tensor(vn, 1, sn, kDLFloat, 64), o0 = tensor(&d, 0, NULL, kDLFloat, 64);
    DLTensor omm = tensor(cv, 2, smm, kDLFloat, 64), onm = tensor(im, 2, snm, kDLInt, 32);
    DLTensor ocn = tensor(cn, 1, sn, kDLInt, 64), ofm = tensor(fm, 1, sm, kDLFloat, 32);
    put(dir, "centered", centered(&tx, &on), vn, nn * 8);
    put(dir, "affine", affine(1.5, &tx, &on), vn, nn * 8);
    put(dir, "expsum", expsum(&tA, &tw, &o0), &d, 8);
    put(dir, "cov", cov(&tA, &omm), cv, (size_t)(m * m) * 8);
    put(dir, "rowdev", rowdev(&tm, &onm), im, nm * 4);
    put(dir, "counts", counts(&tm, &ocn), cn, nn * 8);
    put(dir, "shifted", shifted(&tx, &o0), &d, 8);
    put(dir, "vecmat", vecmat(&txf, &tAf, &ofm), fm, (size_t)m * 4);
    put(dir, "dot", dot(&tx, &ty, &o0), &d, 8);
    put(dir, "lowdev", lowdev(&tx, &on), vn, nn * 8);
    int64_t smn[2] = {m, n};
    double *vmn = malloc(nm * 8);
    DLTensor omn = tensor(vmn, 2, smn, kDLFloat, 64);
    put(dir, "flipped", flipped(&tA, &omn), vmn, nm * 8);
    free(vmn);
    /* Errors, after temporaries are allocated or before. */
    int64_t none[1] = {0};
    DLTensor te = tensor(x, 1, none, kDLFloat, 64), oe = tensor(vn, 1, none, kDLFloat, 64);
    put(dir, "empty", lowdev(&te, &oe), vn, 0);
    int64_t two[1] = {2};
    DLTensor tw2 = tensor(w, 1, two, kDLFloat, 64);
    put(dir, "short", expsum(&tA, &tw2, &o0), &d, 0);
    put(dir, "alias", centered(&tx, &tx), x, 0);
    free(x); free(y); free(A); free(w); free(mi); free(xf); free(Af);
    free(vn); free(cv); free(im); free(cn); free(fm);
    return 0;
}
"#;

#[test]
fn definitions_of_several_steps_give_the_jit_results() {
    let t = tempfile::tempdir().expect("temp dir");
    let dir = t.path();
    let src = dir.join("p.blz");
    std::fs::write(&src, SOURCE).unwrap();
    let (obj, h) = build(dir, &src, "p", &["--target-cpu", "x86-64-v3"]);
    let header = std::fs::read_to_string(&h).unwrap();
    assert!(header.contains("Link with: -lopenblas"), "{header}");

    let x: Vec<f64> = (0..N).map(|i| ((i * 7) % 23) as f64 * 0.25 - 2.0).collect();
    let y: Vec<f64> = (0..N).map(|i| ((i * 5) % 11) as f64 * 0.5 - 1.0).collect();
    let a: Vec<f64> = (0..N * M)
        .map(|i| ((i * 13) % 17) as f64 / 17.0 - 0.5)
        .collect();
    let w = [0.25, -0.5, 0.75];
    let m: Vec<i32> = (0..N * M).map(|i| ((i * 31) % 97) as i32 - 40).collect();
    let xf: Vec<f32> = x.iter().map(|v| *v as f32).collect();
    let af: Vec<f32> = a.iter().map(|v| *v as f32).collect();
    let m_bytes = bytes_i32(&m);
    let inputs: [(&str, &str, Vec<usize>, Vec<u8>); 7] = [
        ("x", "<f8", vec![N], bytes_f64(&x)),
        ("y", "<f8", vec![N], bytes_f64(&y)),
        ("A", "<f8", vec![N, M], bytes_f64(&a)),
        ("w", "<f8", vec![M], bytes_f64(&w)),
        ("m", "<i4", vec![N, M], m_bytes),
        ("xf", "<f4", vec![N], bytes_f32(&xf)),
        ("Af", "<f4", vec![N, M], bytes_f32(&af)),
    ];
    let arg = write_inputs(dir, &inputs);

    let source = format!("#include \"p.h\"\n{C_HELPERS}{PROGRAM_C}");
    let exe = compile_c(dir, &source, &obj, "p", &config("--libs"));
    let args = [dir.display().to_string(), N.to_string(), M.to_string()];
    let out = run_c(&exe, &args);
    let result = |name: &str| c_result(dir, &out, name);
    let want = |def: &str, ins: &[&str]| jit_over(dir, &src, def, &arg, ins, &[]);
    for (def, ins) in [
        ("centered", &["x"][..]),
        ("expsum", &["A", "w"]),
        ("cov", &["A"]),
        ("shifted", &["x"]),
        ("dot", &["x", "y"]),
        ("lowdev", &["x"]),
        ("flipped", &["A"]),
    ] {
        let (got, jit) = (f64s(&result(def)), f64s(&want(def, ins)));
        assert!(
            close(&got, &jit, 1e-12),
            "{def}: {got:?} vs the JIT's {jit:?}"
        );
    }
    let jit_affine = jit(dir, &src, "affine", &["--in", &arg["x"], "--arg", "a=1.5"]);
    assert!(close(&f64s(&result("affine")), &f64s(&jit_affine), 1e-12));
    // Exactly the JIT's bytes for integers.
    assert_eq!(result("rowdev"), want("rowdev", &["m"]));
    assert_eq!(result("counts"), want("counts", &["m"]));
    assert!(f64s(&result("centered")).iter().sum::<f64>().abs() < 1e-9);
    let (got, jit) = (
        f32s(&result("vecmat")),
        f32s(&want("vecmat", &["xf", "Af"])),
    );
    assert!(close(&got, &jit, 1e-5), "vecmat: {got:?} vs {jit:?}");

    assert!(
        out.contains(
            "empty 12 lowdev: zero-size array to reduction operation min which has no identity"
        ),
        "{out}"
    );
    assert!(out.contains("short 8 expsum: `w`"), "{out}");
    assert!(
        out.contains("alias 8 centered: `out` overlaps `x`"),
        "{out}"
    );

    // The header's link line is `blaze config --libs` (the object calls
    // BLAS and vector math); with `--static` OpenBLAS is linked in.
    let line = header
        .lines()
        .find_map(|l| l.split_once("Link with: "))
        .map(|(_, f)| f.trim_end_matches('.').to_string());
    assert_eq!(line, Some(config("--libs").join(" ")), "{header}");
    if archive_installed("libopenblas.a") {
        let archive = config("--static");
        let exe = compile_c(dir, &source, &obj, "p_static", &archive);
        let run = Command::new(&exe).args(&args).output().expect("run");
        assert_eq!(text(&run.stdout), out, "{}", text(&run.stderr));
        let ldd = Command::new("ldd").arg(&exe).output().expect("run ldd");
        assert!(
            !text(&ldd.stdout).contains("openblas"),
            "{}",
            text(&ldd.stdout)
        );
    } else {
        eprintln!("skipped --static: libopenblas.a is not installed");
    }

    // Under valgrind: no error, no leak (temporaries freed on every path,
    // errors included), the same statuses.
    if let Some(under) = under_valgrind(&exe, &args) {
        assert_eq!(under, out);
    }
}

#[test]
fn definitions_still_not_compiled_are_refused_with_the_reason() {
    let t = tempfile::tempdir().expect("temp dir");
    let src = t.path().join("bad.blz");
    std::fs::write(
        &src,
        "def ints(A: N * M * int64, x: M * int64) = sum(A @ x) + 1\n\
         def words(s: N * string) = s\n",
    )
    .unwrap();
    let (obj, h) = (t.path().join("b.o"), t.path().join("b.h"));
    for (def, needle) in [
        ("ints", "`ints`: node %2 is a `@` of type `N * int64`"),
        ("words", "`words`: parameter `s` has type `N * string`"),
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

#[test]
fn config_prints_the_flags_in_one_form() {
    assert_eq!(config("--libs").join(" "), "-lopenblas -lmvec -lm");
    assert!(config("--static").contains(&"-lopenblas".to_string()));
    for args in [&["config"][..], &["config", "--libs", "--static"]] {
        let o = blaze(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(text(&o.stderr).contains("--static"), "{}", text(&o.stderr));
    }
}

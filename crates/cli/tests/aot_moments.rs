//! `blaze build` of `var`, `std`, `count`, `argmin` and `argmax`, over
//! every axis into a 0-d `out` and along an axis, called from C: the
//! JIT's results (`blaze eval` on the same data), a NaN winning `argmax`
//! as in NumPy, and `argmin` of nothing an error.

mod common;

use common::cbuild::{
    build, bytes_f32, bytes_f64, bytes_i32, c_result, close, compile_c, config, f32s, f64s, jit,
    run_c, under_valgrind, write_inputs, C_HELPERS,
};

const SOURCE: &str = "\
def variance(x: N * float64) = var(x)
def spread(x: N * float64) = std(x * 2.0 + 1.0)
def colstd(m: N * M * int32) = std(m, axis=0)
def rowvar(f: N * M * float32) = var(f, axis=1, keepdims=true)
def total(m: N * M * int32) = count(m)
def rowcount(m: N * M * int32) = count(m + 1, axis=1)
def lowest(x: N * float64) = argmin(x)
def highest(m: N * M * int32) = argmax(m, axis=0)
def peaks(m: N * M * int32) = argmax(m * 2, axis=1)
def flat(f: N * M * float32) = argmin(f)
def nanmax(y: N * float64) = argmax(y)
def centered_arg(x: N * float64) = argmax(x - mean(x))
";

const N: usize = 2001;
const M: usize = 3;

const MOMENTS_C: &str = r#"
int main(int argc, char **argv) {
    if (argc != 4) return 2;
    const char *dir = argv[1];
    int64_t n = atoll(argv[2]), m = atoll(argv[3]);
    size_t nn = (size_t)n, nm = (size_t)(n * m), mm = (size_t)m;
    double *x = slurp(dir, "x.bin", nn * 8), *y = slurp(dir, "y.bin", nn * 8);
    int32_t *mi = slurp(dir, "m.bin", nm * 4);
    float *f = slurp(dir, "f.bin", nm * 4);
    int64_t sn[1] = {n}, snm[2] = {n, m}, sm[1] = {m}, sn1[2] = {n, 1};
    DLTensor tx = tensor(x, 1, sn, kDLFloat, 64), ty = tensor(y, 1, sn, kDLFloat, 64);
    DLTensor tm = tensor(mi, 2, snm, kDLInt, 32), tf = tensor(f, 2, snm, kDLFloat, 32);
    double d = 0, *dm = malloc(mm * 8);
    float *fn = malloc(nn * 4);
    int64_t i = 0, *in = malloc(nn * 8), *im = malloc(mm * 8);
    DLTensor od = tensor(&d, 0, NULL, kDLFloat, 64), odm = tensor(dm, 1, sm, kDLFloat, 64);
    DLTensor ofn = tensor(fn, 2, sn1, kDLFloat, 32), oi = tensor(&i, 0, NULL, kDLInt, 64);
    DLTensor oin = tensor(in, 1, sn, kDLInt, 64), oim = tensor(im, 1, sm, kDLInt, 64);
    put(dir, "variance", variance(&tx, &od), &d, 8);
    put(dir, "spread", spread(&tx, &od), &d, 8);
    put(dir, "colstd", colstd(&tm, &odm), dm, mm * 8);
    put(dir, "rowvar", rowvar(&tf, &ofn), fn, nn * 4);
    put(dir, "total", total(&tm, &oi), &i, 8);
    put(dir, "rowcount", rowcount(&tm, &oin), in, nn * 8);
    put(dir, "lowest", lowest(&tx, &oi), &i, 8);
    put(dir, "highest", highest(&tm, &oim), im, mm * 8);
    put(dir, "peaks", peaks(&tm, &oin), in, nn * 8);
    put(dir, "flat", flat(&tf, &oi), &i, 8);
    put(dir, "nanmax", nanmax(&ty, &oi), &i, 8);
    put(dir, "centered_arg", centered_arg(&tx, &oi), &i, 8);
    int64_t none[1] = {0};
    DLTensor te = tensor(x, 1, none, kDLFloat, 64);
    put(dir, "empty", lowest(&te, &oi), &i, 0);
    free(x); free(y); free(mi); free(f); free(dm); free(fn); free(in); free(im);
    return 0;
}
"#;

#[test]
fn moments_counts_and_arg_extremes_give_the_jit_results() {
    let t = tempfile::tempdir().expect("temp dir");
    let dir = t.path();
    let src = dir.join("r.blz");
    std::fs::write(&src, SOURCE).unwrap();
    let (obj, _) = build(dir, &src, "r", &["--target-cpu", "x86-64-v3"]);

    let x: Vec<f64> = (0..N)
        .map(|i| ((i * 37) % 101) as f64 * 0.125 - 6.0)
        .collect();
    // A NaN after the largest value: argmax is the NaN's index.
    let mut y = x.clone();
    y[1500] = f64::NAN;
    let m: Vec<i32> = (0..N * M).map(|i| ((i * 53) % 211) as i32 - 100).collect();
    let f: Vec<f32> = (0..N * M)
        .map(|i| ((i * 29) % 83) as f32 * 0.5 - 20.0)
        .collect();
    let inputs: [(&str, &str, Vec<usize>, Vec<u8>); 4] = [
        ("x", "<f8", vec![N], bytes_f64(&x)),
        ("y", "<f8", vec![N], bytes_f64(&y)),
        ("m", "<i4", vec![N, M], bytes_i32(&m)),
        ("f", "<f4", vec![N, M], bytes_f32(&f)),
    ];
    let arg = write_inputs(dir, &inputs);
    let source = format!("#include \"r.h\"\n{C_HELPERS}{MOMENTS_C}");
    let exe = compile_c(dir, &source, &obj, "r", &config("--libs"));
    let args = [dir.display().to_string(), N.to_string(), M.to_string()];
    let out = run_c(&exe, &args);
    let result = |name: &str| c_result(dir, &out, name);
    let want = |def: &str, input: &str| jit(dir, &src, def, &["--in", &arg[input]]);
    for (def, input) in [("variance", "x"), ("spread", "x"), ("colstd", "m")] {
        let (got, jit) = (f64s(&result(def)), f64s(&want(def, input)));
        assert!(
            close(&got, &jit, 1e-12),
            "{def}: {got:?} vs the JIT's {jit:?}"
        );
    }
    let (got, jit) = (f32s(&result("rowvar")), f32s(&want("rowvar", "f")));
    assert!(close(&got, &jit, 1e-5), "rowvar: {got:?} vs {jit:?}");
    // Integers: exactly the JIT's bytes.
    for (def, input) in [
        ("total", "m"),
        ("rowcount", "m"),
        ("lowest", "x"),
        ("highest", "m"),
        ("peaks", "m"),
        ("flat", "f"),
        ("nanmax", "y"),
        ("centered_arg", "x"),
    ] {
        assert_eq!(result(def), want(def, input), "{def}");
    }
    assert_eq!(result("nanmax"), 1500i64.to_le_bytes());
    assert_eq!(result("total"), ((N * M) as i64).to_le_bytes());
    assert!(
        out.contains("empty 12 lowest: attempt to get argmin of an empty sequence"),
        "{out}"
    );

    if let Some(under) = under_valgrind(&exe, &args) {
        assert_eq!(under, out);
    }
}

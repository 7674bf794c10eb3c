//! Matrix products and linear algebra on BLAS/LAPACK, through the public
//! API: every rewrite pattern against the reference interpreter over
//! element types, shapes (0, 1, odd) and layouts (C, Fortran, strided,
//! reversed); every LAPACK function by identities (Q·R = A, U·S·Vh = A,
//! A·x = b, …) and with an error case.

#![allow(clippy::cloned_ref_to_slice_refs)]

use blaze::interp::{Array, Value};
use blaze::{compile_expr, compile_expr_for, output, Arg, Engine};
use ndarray::{Array1, Array2, ArrayBase, ArrayD, Axis, Data, Dimension, IxDyn};
use num_complex::{Complex32, Complex64};

/// A value holding a copy of `a` (the cases keep their inputs as values).
fn input<S: Data<Elem = T>, D: Dimension, T: blaze::interp::Element>(a: &ArrayBase<S, D>) -> Value {
    Value::from(T::wrap(a.to_owned().into_dyn()))
}

/// Values as call arguments.
fn as_args(values: &[Value]) -> Vec<Arg<'_>> {
    values.iter().map(Arg::Value).collect()
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

#[derive(Clone, Copy, Debug)]
enum Ty {
    F32,
    F64,
    C64,
    C128,
}

/// An owned array of `shape` in one of four layouts, as a `Value`.
fn array(rng: &mut Rng, ty: Ty, shape: &[usize], layout: u64) -> Value {
    // A bigger C-order array, then sliced/transposed into the layout.
    let big: Vec<usize> = shape.iter().map(|&n| 2 * n + 1).collect();
    let total: usize = big.iter().product();
    let re: Vec<f64> = (0..total).map(|_| rng.unit()).collect();
    let im: Vec<f64> = (0..total).map(|_| rng.unit()).collect();
    fn shaped<T: Clone>(v: Vec<T>, big: &[usize], shape: &[usize], layout: u64) -> ArrayD<T> {
        let a = ArrayD::from_shape_vec(IxDyn(big), v).unwrap();
        let mut a = a;
        match layout {
            // C order
            0 => a
                .slice_each_axis(|ax| ndarray::Slice::from(0..shape[ax.axis.index()]))
                .as_standard_layout()
                .into_owned(),
            // Fortran order
            1 => {
                let c = a
                    .slice_each_axis(|ax| ndarray::Slice::from(0..shape[ax.axis.index()]))
                    .to_owned();
                let f = c.t().as_standard_layout().into_owned();
                f.reversed_axes()
            }
            // every other element
            2 => {
                a.slice_each_axis_inplace(|ax| {
                    ndarray::Slice::from(0..2 * shape[ax.axis.index()]).step_by(2)
                });
                a
            }
            // reversed along the first axis
            _ => {
                a.slice_each_axis_inplace(|ax| ndarray::Slice::from(0..shape[ax.axis.index()]));
                a.invert_axis(Axis(0));
                a
            }
        }
    }
    let data = match ty {
        Ty::F32 => Array::Float32(shaped(
            re.iter().map(|&x| x as f32).collect(),
            &big,
            shape,
            layout,
        )),
        Ty::F64 => Array::Float64(shaped(re, &big, shape, layout)),
        Ty::C64 => Array::Complex64(shaped(
            re.iter()
                .zip(&im)
                .map(|(&a, &b)| Complex32::new(a as f32, b as f32))
                .collect(),
            &big,
            shape,
            layout,
        )),
        Ty::C128 => Array::Complex128(shaped(
            re.iter()
                .zip(&im)
                .map(|(&a, &b)| Complex64::new(a, b))
                .collect(),
            &big,
            shape,
            layout,
        )),
    };
    assert_eq!(data.shape(), shape);
    Value::from(data)
}

fn as_c128(v: &Value) -> ArrayD<Complex64> {
    match v {
        Value::Array { data, .. } => {
            match blaze::interp::kernels::cast(data, blaze::datashape::Scalar::Complex128) {
                Array::Complex128(x) => x,
                _ => unreachable!(),
            }
        }
        other => panic!("not an array: {other:?}"),
    }
}

/// Largest difference relative to the reference's largest magnitude (and
/// the operands' scale, for cancellation).
fn rel_diff(a: &Value, b: &Value, scale: f64) -> f64 {
    let (x, y) = (as_c128(a), as_c128(b));
    assert_eq!(x.shape(), y.shape(), "shapes differ");
    let big = y.iter().fold(scale, |m, v| m.max(v.norm()));
    x.iter()
        .zip(y.iter())
        .fold(0.0, |m, (p, q)| m.max((p - q).norm() / big))
}

const PATTERNS: &[(&str, &[&str], &str)] = &[
    // (expression, operand shapes in terms of m, k, n, the routine it must call)
    ("A @ B", &["m k", "k n"], "gemm NN"),
    ("A.T @ B", &["k m", "k n"], "gemm TN"),
    ("A @ B.T", &["m k", "n k"], "gemm NT"),
    ("A.T @ B.T", &["k m", "n k"], "gemm TT"),
    ("A.T @ A", &["k m"], "syrk T"),
    ("A @ A.T", &["m k"], "syrk N"),
    ("A @ x", &["m k", "k"], "gemv N"),
    ("A.T @ x", &["k m", "k"], "gemv T"),
    ("x @ A", &["k", "k n"], "gemv T"),
    ("x @ y", &["k", "k"], "dot"),
    (
        "A @ B * a + C * b",
        &["m k", "k n", "", "m n", ""],
        "gemm NN",
    ),
    ("A.T @ B + C", &["k m", "k n", "m n"], "gemm TN"),
    ("2 * (A.T @ A)", &["k m"], "syrk T"),
    ("A @ B", &["2 m k", "k n"], "gemm (batched"),
    ("A @ B", &["3 1 m k", "2 k n"], "gemm (batched"),
    ("x @ A", &["k", "3 k n"], "gemm (batched"),
];

fn dims(spec: &str, m: usize, k: usize, n: usize) -> Vec<usize> {
    spec.split_whitespace()
        .map(|d| match d {
            "m" => m,
            "k" => k,
            "n" => n,
            other => other.parse().unwrap(),
        })
        .collect()
}

#[test]
fn blas_calls_agree_with_the_interpreter() {
    let mut rng = Rng(0x5eed_b1a5);
    let sizes = [0usize, 1, 2, 3, 7, 17, 64];
    let mut cases = 0;
    for round in 0..40 {
        for (src, shapes, routine) in PATTERNS {
            let ty = [Ty::F32, Ty::F64, Ty::C64, Ty::C128][rng.below(4) as usize];
            let (m, k, n) = (
                sizes[rng.below(7) as usize],
                sizes[rng.below(7) as usize],
                sizes[rng.below(7) as usize],
            );
            let names = ["A", "B", "a", "C", "b"];
            let names: Vec<&str> = if src.contains('x') && src.contains('y') {
                vec!["x", "y"]
            } else if src.starts_with('x') {
                vec!["x", "A"]
            } else if src.contains('x') {
                vec!["A", "x"]
            } else if shapes.len() == 3 {
                vec!["A", "B", "C"]
            } else {
                names[..shapes.len()].to_vec()
            };
            let inputs: Vec<Value> = shapes
                .iter()
                .map(|sh| {
                    let d = dims(sh, m, k, n);
                    let layout = if d.is_empty() { 0 } else { rng.below(4) };
                    array(&mut rng, ty, &d, layout)
                })
                .collect();
            let kernel =
                compile_expr_for(src, &names, &inputs).unwrap_or_else(|e| panic!("{src}: {e}"));
            let (jit, report) = kernel.run_with_report(&as_args(&inputs)).unwrap();
            let reference = kernel
                .clone()
                .with_engine(Engine::Interp)
                .call(&as_args(&inputs))
                .unwrap();
            let tol = match ty {
                Ty::F32 | Ty::C64 => 2e-5,
                _ => 1e-12,
            } * (k.max(1) as f64);
            let d = rel_diff(&jit, &reference, k.max(1) as f64 * 1e-3);
            assert!(
                d <= tol,
                "round {round}: `{src}` {ty:?} m={m} k={k} n={n}: relative difference {d:e}"
            );
            assert!(
                report.calls.iter().any(|c| c.contains(routine)),
                "`{src}` called {:?}, expected {routine}",
                report.calls
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 40 * PATTERNS.len());
}

fn f64_matrix(rng: &mut Rng, r: usize, c: usize) -> Array2<f64> {
    Array2::from_shape_fn((r, c), |_| rng.unit())
}

fn call(src: &str, args: &[(&str, &str)], inputs: &[Value]) -> Value {
    compile_expr(src, args)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .call(&as_args(inputs))
        .unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn call_err(src: &str, args: &[(&str, &str)], inputs: &[Value]) -> String {
    match compile_expr(src, args) {
        Err(e) => e.to_string(),
        Ok(k) => k.call(&as_args(inputs)).expect_err(src).to_string(),
    }
}

fn arr(v: Value) -> ArrayD<f64> {
    output::<f64>(v).unwrap()
}

fn close(a: &ArrayD<f64>, b: &ArrayD<f64>, tol: f64) {
    assert_eq!(a.shape(), b.shape());
    let d = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(d <= tol, "differ by {d:e}\n{a}\n{b}");
}

const SQ: &[(&str, &str)] = &[("A", "N * N * float64")];
const SQB: &[(&str, &str)] = &[("A", "N * N * float64"), ("b", "N * float64")];
const RECT: &[(&str, &str)] = &[("A", "M * N * float64")];

#[test]
fn lapack_functions_satisfy_their_identities() {
    let mut rng = Rng(42);
    let n = 9;
    let a = f64_matrix(&mut rng, n, n);
    let tall = f64_matrix(&mut rng, 13, 6);
    let b = ndarray::Array1::from_shape_fn(n, |_| rng.unit());
    let (ia, it, ib) = (input(&a), input(&tall), input(&b));
    let spd = a.t().dot(&a) + Array2::<f64>::eye(n);
    let ispd = input(&spd);

    // solve: A x = b
    let x = arr(call("solve(A, b)", SQB, &[ia.clone(), ib.clone()]));
    let x1: Array1<f64> = x.into_dimensionality().unwrap();
    close(&a.dot(&x1).into_dyn(), &b.clone().into_dyn(), 1e-10);
    // inv: A inv(A) = I
    let inv = arr(call("A @ inv(A)", SQ, &[ia.clone()]));
    close(&inv, &Array2::<f64>::eye(n).into_dyn(), 1e-10);
    // det against the interpreter
    let det = compile_expr("det(A)", SQ).unwrap();
    let d1 = arr(det.call(&as_args(&[ia.clone()])).unwrap());
    let d2 = arr(det
        .clone()
        .with_engine(Engine::Interp)
        .call(&as_args(&[ia.clone()]))
        .unwrap());
    close(&d1, &d2, 1e-12 * d2.iter().next().unwrap().abs().max(1.0));
    // cholesky: L L^T = S, L lower
    let l = arr(call("cholesky(A)", SQ, &[ispd.clone()]));
    let l2: Array2<f64> = l.clone().into_dimensionality().unwrap();
    close(&l2.dot(&l2.t()).into_dyn(), &spd.clone().into_dyn(), 1e-10);
    assert!((0..n).all(|i| (i + 1..n).all(|j| l2[[i, j]] == 0.0)));
    // qr: Q R = A, Q^T Q = I
    let qr = arr(call("let t = qr(A) in t[0] @ t[1]", RECT, &[it.clone()]));
    close(&qr, &tall.clone().into_dyn(), 1e-12);
    let qtq = arr(call("let q = qr(A)[0] in q.T @ q", RECT, &[it.clone()]));
    close(&qtq, &Array2::<f64>::eye(6).into_dyn(), 1e-12);
    // svd: U diag(S) Vh = A
    let usv = arr(call(
        "let t = svd(A) in (t[0] * t[1]) @ t[2]",
        RECT,
        &[it.clone()],
    ));
    close(&usv, &tall.clone().into_dyn(), 1e-12);
    // eigh: A V = V diag(w)
    let r = arr(call(
        "let t = eigh(A) in A @ t[1] - t[1] * t[0]",
        SQ,
        &[ispd.clone()],
    ));
    close(&r, &ArrayD::zeros(IxDyn(&[n, n])), 1e-9);
    // lstsq: against the interpreter (full column rank: unique)
    let ls = compile_expr(
        "lstsq(A, b)",
        &[("A", "M * N * float64"), ("b", "M * float64")],
    )
    .unwrap();
    let bt = ndarray::Array1::from_shape_fn(13, |_| rng.unit());
    let lstsq_inputs = [it.clone(), input(&bt)];
    close(
        &arr(ls.call(&as_args(&lstsq_inputs)).unwrap()),
        &arr(ls
            .clone()
            .with_engine(Engine::Interp)
            .call(&as_args(&lstsq_inputs))
            .unwrap()),
        1e-10,
    );
    // norm and trace against the interpreter
    for src in ["norm(A)", "trace(A)"] {
        let k = compile_expr(src, SQ).unwrap();
        close(
            &arr(k.call(&as_args(&[ia.clone()])).unwrap()),
            &arr(k
                .clone()
                .with_engine(Engine::Interp)
                .call(&as_args(&[ia.clone()]))
                .unwrap()),
            1e-12,
        );
    }
}

#[test]
fn eig_of_a_real_matrix_has_complex_pairs() {
    // A rotation-like matrix with eigenvalues 1 ± 2i and 3.
    let a = ndarray::array![[1.0, -2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 3.0]];
    let k = compile_expr("eig(A)", SQ).unwrap();
    let Value::Tuple(parts) = k.call(&as_args(&[input(&a)])).unwrap() else {
        panic!("eig gives a tuple");
    };
    let w = output::<Complex64>(parts[0].clone()).unwrap();
    let v = output::<Complex64>(parts[1].clone()).unwrap();
    let mut got: Vec<(f64, f64)> = w.iter().map(|z| (z.re, z.im)).collect();
    got.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let want = [(1.0, -2.0), (1.0, 2.0), (3.0, 0.0)];
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.0 - w.0).abs() < 1e-12 && (g.1 - w.1).abs() < 1e-12,
            "{got:?}"
        );
    }
    // A v = λ v, unit vectors.
    let ac = a.mapv(|x| Complex64::new(x, 0.0));
    let v2: ndarray::Array2<Complex64> = v.into_dimensionality().unwrap();
    for j in 0..3 {
        let col = v2.column(j);
        let av = ac.dot(&col);
        for i in 0..3 {
            assert!((av[i] - w[j] * col[i]).norm() < 1e-12);
        }
        let norm: f64 = col.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-12);
    }
}

#[test]
fn properties_pick_routines() {
    let mut rng = Rng(7);
    let a = f64_matrix(&mut rng, 6, 6);
    let b = ndarray::Array1::from_shape_fn(6, |_| rng.unit());
    let cases: &[(&str, &str)] = &[
        ("eig(A.T @ A)", "dsyevd"),
        ("inv(qr(A)[0])", ""),
        ("solve(cholesky(A.T @ A), b)", "dtrsm L"),
        ("solve(cholesky(A.T @ A).T, b)", "dtrsm U"),
    ];
    for (src, routine) in cases {
        let k = compile_expr(src, SQB).unwrap();
        let inputs = [input(&a), input(&b)];
        let (jit, report) = k.run_with_report(&as_args(&inputs)).unwrap();
        let reference = k
            .clone()
            .with_engine(Engine::Interp)
            .call(&as_args(&inputs))
            .unwrap();
        if !routine.is_empty() {
            assert!(
                report.calls.iter().any(|c| c.contains(routine)),
                "{src}: {:?}",
                report.calls
            );
        }
        match (&jit, &reference) {
            (Value::Tuple(x), Value::Tuple(y)) => {
                // Eigenvalues of a symmetric matrix: compare sorted.
                let mut p: Vec<f64> = as_c128(&x[0]).iter().map(|z| z.re).collect();
                let mut q: Vec<f64> = as_c128(&y[0]).iter().map(|z| z.re).collect();
                p.sort_by(f64::total_cmp);
                q.sort_by(f64::total_cmp);
                for (u, v) in p.iter().zip(&q) {
                    assert!(
                        (u - v).abs() < 1e-9 * v.abs().max(1.0),
                        "{src}: {p:?} {q:?}"
                    );
                }
            }
            _ => assert!(rel_diff(&jit, &reference, 1.0) < 1e-9, "{src}"),
        }
    }
    // The inverse of an orthogonal matrix is its transpose: no LAPACK call.
    let k = compile_expr("inv(qr(A)[0])", SQ).unwrap();
    let (_, report) = k.run_with_report(&as_args(&[input(&a)])).unwrap();
    assert!(
        report.calls.iter().all(|c| !c.contains("getri")),
        "{:?}",
        report.calls
    );
}

#[test]
fn every_lapack_function_has_an_error_case() {
    let singular = ndarray::array![[1.0, 2.0], [2.0, 4.0]];
    let b = ndarray::array![1.0, 1.0];
    let nan = ndarray::array![[1.0, f64::NAN], [0.0, 1.0]];
    let not_pd = ndarray::array![[1.0, 2.0], [2.0, 1.0]];
    let rect = Array2::<f64>::zeros((2, 3));
    let (s, bb, nn) = (input(&singular), input(&b), input(&nan));
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Vec<Value>, &'a str);
    let cases: Vec<Case> = vec![
        ("solve(A, b)", SQB, vec![s.clone(), bb.clone()], "singular"),
        ("inv(A)", SQ, vec![s.clone()], "singular"),
        ("det(A)", RECT, vec![input(&rect)], "square"),
        ("cholesky(A)", SQ, vec![input(&not_pd)], "positive definite"),
        ("qr(A)", SQ, vec![nn.clone()], "NaN"),
        ("svd(A)", SQ, vec![nn.clone()], "NaN"),
        ("eig(A)", SQ, vec![nn.clone()], "NaN"),
        ("eigh(A)", RECT, vec![input(&rect)], "square"),
        (
            "lstsq(A, b)",
            &[("A", "M * N * float64"), ("b", "K * float64")],
            vec![input(&rect), input(&ndarray::array![1.0, 2.0, 3.0])],
            "right-hand side",
        ),
        ("norm(A)", &[("A", "2 * 2 * 2 * float64")], vec![], "norm"),
        ("trace(A)", RECT, vec![input(&rect)], "square"),
        (
            "A @ B",
            &[("A", "M * K * float64"), ("B", "L * N * float64")],
            vec![input(&rect), input(&rect)],
            "align",
        ),
    ];
    for (src, args, inputs, needle) in cases {
        let e = call_err(src, args, &inputs);
        assert!(
            e.to_lowercase().contains(&needle.to_lowercase()),
            "`{src}`: {e}"
        );
    }
}

#[test]
fn float32_and_complex_use_their_own_routines() {
    let mut rng = Rng(3);
    for (ty, prefix) in [
        (Ty::F32, "s"),
        (Ty::F64, "d"),
        (Ty::C64, "c"),
        (Ty::C128, "z"),
    ] {
        let a = array(&mut rng, ty, &[5, 5], 0);
        let k = compile_expr_for("inv(A) @ A", &["A"], &[a.clone()]).unwrap();
        let (v, report) = k.run_with_report(&as_args(&[a])).unwrap();
        assert!(
            report
                .calls
                .iter()
                .any(|c| c.contains(&format!("{prefix}getri")))
                && report
                    .calls
                    .iter()
                    .any(|c| c.contains(&format!("{prefix}gemm"))),
            "{ty:?}: {:?}",
            report.calls
        );
        let eye = Value::from(Array::Complex128(Array2::<Complex64>::eye(5).into_dyn()));
        let tol = if matches!(ty, Ty::F32 | Ty::C64) {
            1e-4
        } else {
            1e-12
        };
        assert!(rel_diff(&v, &eye, 1.0) < tol, "{ty:?}");
    }
}

#[test]
fn integer_products_compile_to_one_kernel_and_wrap_like_numpy() {
    let mut rng = Rng(11);
    let patterns: &[(&str, &[&str])] = &[
        ("A @ B", &["m k", "k n"]),
        ("A.T @ A", &["k m"]),
        ("A @ x", &["m k", "k"]),
        ("x @ A", &["k", "k n"]),
        ("x @ y", &["k", "k"]),
    ];
    let sizes = [0usize, 1, 3, 8, 33];
    for round in 0..12 {
        for (src, shapes) in patterns {
            let (m, k, n) = (
                sizes[rng.below(5) as usize],
                sizes[rng.below(5) as usize],
                sizes[rng.below(5) as usize],
            );
            let names: Vec<&str> = match *src {
                "x @ y" => vec!["x", "y"],
                "x @ A" => vec!["x", "A"],
                "A @ x" => vec!["A", "x"],
                "A @ B" => vec!["A", "B"],
                _ => vec!["A"],
            };
            let which = rng.below(4);
            let inputs: Vec<Value> = shapes
                .iter()
                .map(|sh| {
                    let d = dims(sh, m, k, n);
                    let v: Vec<i64> = (0..d.iter().product::<usize>())
                        .map(|_| rng.next() as i64 % 300)
                        .collect();
                    let a = ArrayD::from_shape_vec(IxDyn(&d), v).unwrap();
                    let a = if d.len() == 2 && rng.below(2) == 0 {
                        a.t().as_standard_layout().into_owned().reversed_axes()
                    } else {
                        a
                    };
                    Value::from(match which {
                        0 => Array::Int8(a.mapv(|x| x as i8)),
                        1 => Array::UInt16(a.mapv(|x| x as u16)),
                        2 => Array::Int32(a.mapv(|x| (x * 10_000_000) as i32)),
                        _ => Array::Int64(a.mapv(|x| x.wrapping_mul(0x0123_4567_89ab))),
                    })
                })
                .collect();
            let kernel = compile_expr_for(src, &names, &inputs).unwrap();
            let (jit, report) = kernel.run_with_report(&as_args(&inputs)).unwrap();
            let reference = kernel
                .clone()
                .with_engine(Engine::Interp)
                .call(&as_args(&inputs))
                .unwrap();
            assert_eq!(jit, reference, "round {round}: {src} m={m} k={k} n={n}");
            assert!(
                !report.kernels.is_empty()
                    && report.fallbacks.iter().all(|f| !f.contains("interpreter")),
                "{src}: {:?}",
                report.fallbacks
            );
        }
    }
}

#[test]
fn lapack_failures_are_typed_and_keep_their_messages() {
    use blaze::interp::linalg::LinalgError;
    use blaze::interp::EvalError;
    use blaze::runtime::linalg::lapack;

    let singular = ndarray::array![[1.0, 2.0], [2.0, 4.0]];
    let b = ndarray::array![1.0, 1.0].into_dyn();
    let e = lapack::solve_t(singular.view(), &b).unwrap_err();
    assert_eq!(e.kind, LinalgError::Singular);
    assert_eq!(
        (e.op, e.routine, e.name().as_str()),
        ("solve", "gesv", "dgesv")
    );
    assert_eq!(e.info, Some(2), "the second pivot is exactly zero");
    assert_eq!(
        EvalError::from(e.clone()),
        EvalError::Linalg(LinalgError::Singular.to_string())
    );
    assert_eq!(e.to_string(), LinalgError::Singular.to_string());

    let rect = Array2::<f32>::zeros((2, 3));
    let e = lapack::det_t(rect.view()).unwrap_err();
    assert_eq!(e.kind, LinalgError::NotSquare { rows: 2, cols: 3 });
    assert_eq!((e.info, e.name().as_str()), (None, "sgetrf"));
    assert_eq!(
        EvalError::from(e).to_string(),
        "linear algebra error: `det` needs a square matrix, found shape [2, 3]"
    );

    let not_pd = ndarray::array![
        [Complex64::new(1.0, 0.0), Complex64::new(2.0, 0.0)],
        [Complex64::new(2.0, 0.0), Complex64::new(1.0, 0.0)]
    ];
    let e = lapack::cholesky_t(not_pd.view()).unwrap_err();
    assert_eq!(e.kind, LinalgError::NotPositiveDefinite { column: 1 });
    assert_eq!((e.info, e.name().as_str()), (Some(2), "zpotrf"));

    let eye = Array2::<f64>::eye(2);
    let e = lapack::solve_t(eye.view(), &ndarray::array![1.0, 2.0, 3.0].into_dyn()).unwrap_err();
    assert_eq!(
        EvalError::from(e),
        EvalError::Shape(
            "a matrix with 2 rows cannot be solved against a right-hand side of shape [3]".into()
        )
    );
    let nan = ndarray::array![[1.0, f64::NAN], [0.0, 1.0]];
    let e = lapack::inv_t(nan.view()).unwrap_err();
    assert_eq!((e.kind, e.info), (LinalgError::NonFinite, None));
}

//! The expression builder (`blaze::Expr`): nodes typed as they are made,
//! results equal to the DSL's on the same program, shared nodes bound
//! once, errors at the node that causes them.

use blaze::ndarray::{array, Array2, ArrayD};
use blaze::{linalg, Axes, Expr, Value};

fn f64s(v: Value) -> ArrayD<f64> {
    blaze::output::<f64>(v).expect("a float64 array")
}

#[test]
fn the_talks_example_gives_numpys_eigenvalues() {
    let a = Expr::array("a", array![[1.0, 2.0], [3.0, 4.0]]);
    let b = Expr::array("b", Array2::<f64>::eye(2));
    let x = &a + &b;
    let e = linalg::eig(&x);
    let Value::Tuple(parts) = e.eval().unwrap() else {
        panic!("eig gives a tuple")
    };
    let values = blaze::output::<blaze::num_complex::Complex64>(parts[0].clone()).unwrap();
    let vectors = blaze::output::<blaze::num_complex::Complex64>(parts[1].clone()).unwrap();
    // x = [[2, 2], [3, 5]]: trace 7, determinant 4, eigenvalues (7 ± √33) / 2.
    let mut re: Vec<f64> = values.iter().map(|v| v.re).collect();
    re.sort_by(f64::total_cmp);
    let r = 33f64.sqrt();
    assert!((re[0] - (7.0 - r) / 2.0).abs() < 1e-12, "{re:?}");
    assert!((re[1] - (7.0 + r) / 2.0).abs() < 1e-12, "{re:?}");
    assert!(values.iter().all(|v| v.im == 0.0));
    // Each column is an eigenvector: x v = λ v.
    let xm = [[2.0, 2.0], [3.0, 5.0]];
    for k in 0..2 {
        let l = values[[k]].re;
        for i in 0..2 {
            let xv: f64 = (0..2).map(|j| xm[i][j] * vectors[[j, k]].re).sum();
            assert!((xv - l * vectors[[i, k]].re).abs() < 1e-12);
        }
    }
}

#[test]
fn results_equal_the_dsls_on_the_same_program() {
    let a = array![[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]];
    let b = array![0.5, 0.25, 2.0];
    let ea = Expr::array("a", a.clone());
    let eb = Expr::array("b", b.clone());
    let cases: Vec<(Expr, &str)> = vec![
        (&ea * 2.0 + &eb, "a * 2.0 + b"),
        (blaze::sin(&ea) - blaze::sqrt(&eb), "sin(a) - sqrt(b)"),
        (blaze::sum(&ea, 0), "sum(a, axis=0)"),
        (blaze::mean(&ea, [0, 1]), "mean(a, axis=(0, 1))"),
        (blaze::max(&ea, Axes::All), "max(a)"),
        (ea.t().matmul(&ea), "a.T @ a"),
        (blaze::where_(ea.gt(0.0), &ea, -&ea), "where(a > 0, a, -a)"),
        (1.0 / (&ea - (-8.0)), "1 / (a + 8)"),
        (ea.pow(2), "a ** 2"),
        (ea.index("::-1, 1:"), "a[::-1, 1:]"),
        (blaze::std(&ea, 1), "std(a, axis=1)"),
    ];
    for (e, src) in cases {
        let k =
            blaze::compile_expr(src, &[("a", "2 * 3 * float64"), ("b", "3 * float64")]).unwrap();
        let want = f64s(k.call(&[blaze::input(&a), blaze::input(&b)]).unwrap());
        assert_eq!(
            e.dshape().unwrap().to_string(),
            k.result_type().to_string(),
            "{src}"
        );
        let got = f64s(e.eval().unwrap());
        assert_eq!(got.shape(), want.shape(), "{src}");
        for (g, w) in got.iter().zip(want.iter()) {
            assert!(
                (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                "{src}: {g} vs {w}"
            );
        }
    }
}

#[test]
fn a_type_error_is_the_node_that_causes_it_and_everything_built_on_it() {
    let b = Expr::array("b", array![1.0, 2.0]);
    let c = Expr::array("c", array![1.0, 2.0, 3.0]);
    let bad = &b + &c;
    let e = bad.dshape().unwrap_err().to_string();
    assert!(
        e.contains("cannot broadcast") && e.contains("(b + c)"),
        "{e}"
    );
    let later = blaze::sum(&bad * 2.0, 0);
    assert_eq!(later.dshape().unwrap_err().to_string(), e);
    assert_eq!(later.eval().unwrap_err().to_string(), e);
    assert!(later.compile().is_err());
    // The operands stay good.
    assert_eq!(b.dshape().unwrap().to_string(), "2 * float64");
    let e = b.field("x").dshape().unwrap_err().to_string();
    assert!(e.contains("x"), "{e}");
    let e = Expr::param("p", "N * flot64")
        .dshape()
        .unwrap_err()
        .to_string();
    assert!(e.contains("flot64"), "{e}");
    let e = Expr::array("2x", array![1.0])
        .dshape()
        .unwrap_err()
        .to_string();
    assert!(e.contains("`2x`"), "{e}");
}

#[test]
fn shared_nodes_are_bound_once() {
    let a = Expr::array("a", array![1.0, 2.0]);
    let mut x = &a * 1.0;
    for _ in 0..30 {
        x = &x + &x;
    }
    let src = x.source();
    assert!(src.len() < 2000, "{} bytes", src.len());
    assert!(src.starts_with("let _e0 = "), "{src}");
    let v = f64s(x.eval().unwrap());
    assert_eq!(v, array![1073741824.0, 2147483648.0].into_dyn());
}

#[test]
fn parameters_take_their_values_at_evaluation() {
    let x = Expr::param("x", "N * float64");
    let w = Expr::array("w", array![2.0, 3.0]);
    let y = blaze::sum(&x * &w, Axes::All);
    assert_eq!(y.inputs(), ["x", "w"]);
    let e = y.eval().unwrap_err().to_string();
    assert!(e.contains("`x` has no value"), "{e}");
    let data = array![1.0, 1.0];
    let v = y.eval_with(&[("x", blaze::input(&data))]).unwrap();
    assert_eq!(f64s(v), ArrayD::from_elem(vec![], 5.0));
    let e = y
        .eval_with(&[("x", blaze::input(&data)), ("z", blaze::input(&data))])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`z` is not an input"), "{e}");
    // Compiled once, called on other arrays.
    let k = (&x * 2.0).compile().unwrap();
    for n in [1, 5, 100] {
        let d = ndarray::Array1::from_elem(n, 1.5);
        let out = k.call_array::<f64>(&[blaze::input(&d)]).unwrap();
        assert_eq!(out, ndarray::Array1::from_elem(n, 3.0).into_dyn());
    }
    // Two different inputs of one name.
    let other = Expr::param("x", "N * int32");
    let e = (&x + &other).dshape().unwrap_err().to_string();
    assert!(e.contains("two different inputs are named `x`"), "{e}");
}

#[test]
fn explain_shows_the_blas_call() {
    let a = Expr::param("A", "N * M * float64");
    let text = a.t().matmul(&a).explain().unwrap();
    assert!(text.contains("syrk"), "{text}");
}

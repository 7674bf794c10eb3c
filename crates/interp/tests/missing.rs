//! Missing values in the reference interpreter, through its public entry
//! point `eval`: `fillna`, the narrowing `where`, and reductions over
//! options with pandas' semantics (all-missing, none-missing and partly
//! missing inputs, whole and per axis). Expected values are written by hand
//! (what pandas gives with `skipna=True`).

use blaze_datashape::{parse, Measure};
use blaze_interp::{eval, Array, Value};
use blaze_ir::compile_expression;
use ndarray::{ArrayD, IxDyn};

/// A float64 option array: `None` is missing.
fn opt(shape: &[usize], xs: &[Option<f64>]) -> Value {
    Value::Array {
        data: Array::Float64(
            ArrayD::from_shape_vec(IxDyn(shape), xs.iter().map(|x| x.unwrap_or(7.0)).collect())
                .unwrap(),
        ),
        missing: Some(
            ArrayD::from_shape_vec(IxDyn(shape), xs.iter().map(|x| x.is_none()).collect()).unwrap(),
        ),
    }
}

/// Evaluates `src` with `a` bound to `value` of datashape `ty`, and checks
/// the result's printed type.
fn run(src: &str, ty: &str, value: Value, result_ty: &str) -> Value {
    let f = compile_expression(src, &[("a".to_string(), parse(ty).unwrap())])
        .unwrap_or_else(|e| panic!("{src}: {}", e.message));
    assert_eq!(f.node(f.root).ty.to_string(), result_ty, "{src}");
    eval(&f, &[value]).unwrap_or_else(|e| panic!("{src}: {e}"))
}

/// The elements of a float64 or int64 result as `Option<f64>` (`None`
/// where missing), in C order.
fn elems(v: &Value) -> Vec<Option<f64>> {
    let Value::Array { data, missing } = v else {
        panic!("not an array: {v:?}")
    };
    let vals: Vec<f64> = match data {
        Array::Float64(a) => a.iter().copied().collect(),
        Array::Int64(a) => a.iter().map(|&x| x as f64).collect(),
        Array::Bool(a) => a.iter().map(|&x| x as u8 as f64).collect(),
        other => panic!("unexpected element type {}", other.scalar().name()),
    };
    match missing {
        Some(m) => vals
            .iter()
            .zip(m.iter())
            .map(|(&x, &m)| (!m).then_some(x))
            .collect(),
        None => vals.into_iter().map(Some).collect(),
    }
}

fn no_mask(v: &Value) -> bool {
    matches!(v, Value::Array { missing: None, .. })
}

const SOME: [Option<f64>; 4] = [Some(1.0), None, Some(4.0), None];
const NONE_MISSING: [Option<f64>; 4] = [Some(2.0), Some(-1.0), Some(5.0), Some(0.0)];
const ALL_MISSING: [Option<f64>; 4] = [None, None, None, None];

#[test]
fn fillna_replaces_missing_elements_and_is_plain() {
    let t = "4 * ?float64";
    let v = run("fillna(a, 0.5)", t, opt(&[4], &SOME), "4 * float64");
    assert!(no_mask(&v));
    assert_eq!(elems(&v), [Some(1.0), Some(0.5), Some(4.0), Some(0.5)]);
    let v = run(
        "fillna(a, [10.0, 20.0, 30.0, 40.0])",
        t,
        opt(&[4], &SOME),
        "4 * float64",
    );
    assert_eq!(elems(&v), [Some(1.0), Some(20.0), Some(4.0), Some(40.0)]);
    let v = run("fillna(a, 3)", t, opt(&[4], &ALL_MISSING), "4 * float64");
    assert_eq!(elems(&v), [Some(3.0); 4]);
    let v = run("fillna(a, 3)", t, opt(&[4], &NONE_MISSING), "4 * float64");
    assert_eq!(elems(&v), NONE_MISSING);
    // A fill value of a wider shape broadcasts.
    let v = run(
        "fillna(a, [[0.0], [100.0]])",
        t,
        opt(&[4], &SOME),
        "2 * 4 * float64",
    );
    assert_eq!(
        elems(&v),
        [1.0, 0.0, 4.0, 0.0, 1.0, 100.0, 4.0, 100.0].map(Some)
    );
    // The dense program the issue names.
    let v = run(
        "fillna(where(a > 0.5, a, na), 0.0)",
        "4 * float64",
        Value::from(Array::Float64(
            ArrayD::from_shape_vec(IxDyn(&[4]), vec![0.25, 0.75, 1.0, -2.0]).unwrap(),
        )),
        "4 * float64",
    );
    assert_eq!(elems(&v), [0.0, 0.75, 1.0, 0.0].map(Some));
}

#[test]
fn narrowing_where_is_plain_with_the_same_values() {
    let t = "4 * ?float64";
    for src in ["where(isna(a), 0, a)", "where(not isna(a), a, 0)"] {
        let v = run(src, t, opt(&[4], &SOME), "4 * float64");
        assert!(no_mask(&v), "{src}");
        assert_eq!(elems(&v), [1.0, 0.0, 4.0, 0.0].map(Some), "{src}");
        let v = run(src, t, opt(&[4], &ALL_MISSING), "4 * float64");
        assert_eq!(elems(&v), [Some(0.0); 4], "{src}");
    }
    // With a missing other branch the result stays an option.
    let v = run("where(isna(a), na, a)", t, opt(&[4], &SOME), "4 * ?float64");
    assert_eq!(elems(&v), SOME);
    assert!(
        run("isna(na)", t, opt(&[4], &SOME), "bool")
            == Value::from(Array::Bool(ArrayD::from_elem(IxDyn(&[]), true)))
    );
}

/// `(expression, type, some, none missing, all missing)` for whole-array
/// reductions of `SOME`, `NONE_MISSING` and `ALL_MISSING`.
#[allow(clippy::type_complexity)]
const WHOLE: &[(&str, &str, Option<f64>, Option<f64>, Option<f64>)] = &[
    ("sum(a)", "float64", Some(5.0), Some(6.0), Some(0.0)),
    ("prod(a)", "float64", Some(4.0), Some(0.0), Some(1.0)),
    ("count(a)", "int64", Some(2.0), Some(4.0), Some(0.0)),
    ("any(a)", "bool", Some(1.0), Some(1.0), Some(0.0)),
    ("all(a)", "bool", Some(1.0), Some(0.0), Some(1.0)),
    ("mean(a)", "?float64", Some(2.5), Some(1.5), None),
    ("var(a)", "?float64", Some(2.25), Some(5.25), None),
    (
        "std(a)",
        "?float64",
        Some(1.5),
        Some(2.29128784747792),
        None,
    ),
    ("min(a)", "?float64", Some(1.0), Some(-1.0), None),
    ("max(a)", "?float64", Some(4.0), Some(5.0), None),
    ("argmin(a)", "?int64", Some(0.0), Some(1.0), None),
    ("argmax(a)", "?int64", Some(2.0), Some(2.0), None),
];

#[test]
fn whole_reductions_follow_pandas() {
    for &(src, ty, some, none, all) in WHOLE {
        for (input, want) in [(SOME, some), (NONE_MISSING, none), (ALL_MISSING, all)] {
            let v = run(src, "4 * ?float64", opt(&[4], &input), ty);
            let got = elems(&v);
            assert_eq!(got.len(), 1, "{src}");
            match (got[0], want) {
                (Some(g), Some(w)) => {
                    assert!((g - w).abs() < 1e-12, "{src} of {input:?}: {g} != {w}")
                }
                (g, w) => assert_eq!(g, w, "{src} of {input:?}"),
            }
            if !ty.starts_with('?') {
                assert!(no_mask(&v), "{src}: a plain result has no mask");
            }
        }
    }
}

#[test]
fn reductions_along_an_axis_are_missing_per_output_element() {
    // Rows: partly missing, all missing, none missing.
    let m = opt(
        &[3, 2],
        &[Some(3.0), None, None, None, Some(1.0), Some(2.0)],
    );
    let t = "3 * 2 * ?float64";
    let cases: &[(&str, &str, Vec<Option<f64>>)] = &[
        (
            "mean(a, axis=1)",
            "3 * ?float64",
            vec![Some(3.0), None, Some(1.5)],
        ),
        (
            "min(a, axis=1)",
            "3 * ?float64",
            vec![Some(3.0), None, Some(1.0)],
        ),
        (
            "argmax(a, axis=1)",
            "3 * ?int64",
            vec![Some(0.0), None, Some(1.0)],
        ),
        (
            "std(a, axis=1)",
            "3 * ?float64",
            vec![Some(0.0), None, Some(0.5)],
        ),
        (
            "sum(a, axis=1)",
            "3 * float64",
            vec![Some(3.0), Some(0.0), Some(3.0)],
        ),
        (
            "count(a, axis=1)",
            "3 * int64",
            vec![Some(1.0), Some(0.0), Some(2.0)],
        ),
        ("max(a, axis=0)", "2 * ?float64", vec![Some(3.0), Some(2.0)]),
        (
            "max(a, axis=1, keepdims=true)",
            "3 * 1 * ?float64",
            vec![Some(3.0), None, Some(2.0)],
        ),
    ];
    for (src, ty, want) in cases {
        let v = run(src, t, m.clone(), ty);
        assert_eq!(&elems(&v), want, "{src}");
    }
    // Index notation follows the same rules.
    let v = run("forall i: min(j: a[i, j])", t, m.clone(), "3 * ?float64");
    assert_eq!(elems(&v), [Some(3.0), None, Some(1.0)]);
    let v = run("forall i: sum(j: a[i, j])", t, m.clone(), "3 * float64");
    assert_eq!(elems(&v), [Some(3.0), Some(0.0), Some(3.0)]);
    // A zero-length axis: no group has a value.
    let empty = opt(&[2, 0], &[]);
    let v = run(
        "min(a, axis=1)",
        "2 * 0 * ?float64",
        empty.clone(),
        "2 * ?float64",
    );
    assert_eq!(elems(&v), [None, None]);
    let v = run("sum(a, axis=1)", "2 * 0 * ?float64", empty, "2 * float64");
    assert_eq!(elems(&v), [Some(0.0), Some(0.0)]);
}

#[test]
fn option_results_have_option_types() {
    let v = run(
        "mean(a)",
        "4 * ?float64",
        opt(&[4], &ALL_MISSING),
        "?float64",
    );
    let Value::Array { missing, .. } = &v else {
        panic!()
    };
    assert!(missing.as_ref().is_some_and(|m| m.iter().all(|&b| b)));
    let f = compile_expression("fillna(a, 0)", &[("a".into(), parse("?int32").unwrap())]).unwrap();
    assert!(matches!(f.node(f.root).ty.measure, Measure::Scalar { .. }));
}

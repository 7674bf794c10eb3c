use super::{prepare, Options};
use blaze_datashape::parse;
use blaze_interp::{Array, Value};
use blaze_ir::compile_expression;
use ndarray::{ArrayD, IxDyn};

fn compiled(src: &str, args: &[(&str, &str)]) -> super::Prepared {
    let args: Vec<(String, blaze_datashape::Datashape)> = args
        .iter()
        .map(|(n, t)| (n.to_string(), parse(t).unwrap()))
        .collect();
    prepare(&compile_expression(src, &args).unwrap())
}

fn vector(n: usize) -> Value {
    Value::from(Array::Float64(ArrayD::from_shape_fn(IxDyn(&[n]), |i| {
        i[0] as f64 * 0.25
    })))
}

#[test]
fn plan_text_names_kernels_calls_and_reference_ops() {
    let p = compiled("A.T @ A", &[("A", "100 * 4 * float64")]);
    let text = p.to_string();
    assert!(text.contains("blas dsyrk T <- %0"), "{text}");
    assert!(text.contains("%0 param A : 100 * 4 * float64"), "{text}");

    let p = compiled(
        "2*a + sin(b)",
        &[("a", "8 * float64"), ("b", "8 * float64")],
    );
    let text = p.to_string();
    assert!(
        text.contains("kernel rank 1 | (float64, float64)"),
        "{text}"
    );
    assert!(text.contains("sin"), "{text}");
    assert!(!text.contains("reference"), "{text}");

    let p = compiled("reshape(a, (2, 4)) * 2", &[("a", "8 * float64")]);
    let text = p.to_string();
    assert!(text.contains("reference %1 = reshape"), "{text}");
}

#[test]
fn fallbacks_list_the_ops_on_reference_kernels() {
    let p = compiled(
        "2*a + sin(b)",
        &[("a", "8 * float64"), ("b", "8 * float64")],
    );
    let (_, report) = p.run(&[vector(8), vector(8)], &Options::default()).unwrap();
    assert!(report.fallbacks.is_empty(), "{:?}", report.fallbacks);
    assert_eq!(report.kernels.len(), 1);

    let p = compiled("reshape(a, (2, 4)) * 2", &[("a", "8 * float64")]);
    let (v, report) = p.run(&[vector(8)], &Options::default()).unwrap();
    assert_eq!(report.fallbacks.len(), 1, "{:?}", report.fallbacks);
    assert!(
        report.fallbacks[0].starts_with("%1 = reshape"),
        "{:?}",
        report.fallbacks
    );
    let Value::Array { data, .. } = v else {
        panic!("not an array")
    };
    assert_eq!(data.shape(), &[2, 4]);
}

#[test]
fn lapack_failures_keep_the_routine_and_its_info() {
    let p = compiled(
        "solve(A, b)",
        &[("A", "2 * 2 * float64"), ("b", "2 * float64")],
    );
    let singular = Value::from(Array::Float64(
        ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, 2.0, 2.0, 4.0]).unwrap(),
    ));
    let err = p
        .run(&[singular, vector(2)], &Options::default())
        .unwrap_err();
    let crate::Error::Linalg(e) = &err else {
        panic!("not a LAPACK error: {err:?}")
    };
    assert_eq!(e.name(), "dgesv");
    assert_eq!(e.kind, blaze_interp::linalg::LinalgError::Singular);
    assert!(
        err.to_string()
            .starts_with("linear algebra error: matrix is singular"),
        "{err}"
    );
}

//! Ragged axes, selection, gather and records through the public
//! interface: programs compiled by `blaze::compile_expr`, run on the JIT
//! engine (which runs these operations on the reference kernels) and by
//! the interpreter (`blaze_interp::eval`), against values computed here by
//! plain loops.

use blaze::interp::{Array, Value};
use blaze::{compile_expr, Arg};
use ndarray::{ArrayD, IxDyn};

fn f64s(shape: &[usize], v: Vec<f64>) -> Value {
    Array::Float64(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()).into()
}

fn i64s(shape: &[usize], v: Vec<i64>) -> Value {
    Array::Int64(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()).into()
}

fn bools(v: Vec<bool>, missing: Option<Vec<bool>>) -> Value {
    let n = v.len();
    Value::Array {
        data: Array::Bool(ArrayD::from_shape_vec(IxDyn(&[n]), v).unwrap()),
        missing: missing.map(|m| ArrayD::from_shape_vec(IxDyn(&[n]), m).unwrap()),
    }
}

/// Runs `src` on both engines and checks they agree; returns the value.
fn run(src: &str, args: &[(&str, &str)], inputs: &[Value]) -> Result<Value, String> {
    let k = compile_expr(src, args).map_err(|e| e.to_string())?;
    let refs: Vec<Arg<'_>> = inputs.iter().map(Arg::Value).collect();
    let jit = k.call(&refs).map_err(|e| e.to_string());
    let interp = blaze::interp::eval(k.function(), inputs).map_err(|e| e.to_string());
    match (&jit, &interp) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "`{src}`: the engines disagree"),
        (Err(_), Err(_)) => {}
        _ => panic!("`{src}`: JIT {jit:?}, interpreter {interp:?}"),
    }
    interp
}

fn data_f64(v: &Value) -> (Vec<f64>, Vec<usize>) {
    match v {
        Value::Array {
            data: Array::Float64(a),
            ..
        } => (a.iter().copied().collect(), a.shape().to_vec()),
        other => panic!("not a float64 array: {other:?}"),
    }
}

#[test]
fn boolean_masks_select_rows_of_dense_arrays() {
    let x: Vec<f64> = (0..10).map(|i| (i as f64 * 0.37).sin()).collect();
    let xv = f64s(&[10], x.clone());
    let r = run(
        "x[x > 0.5]",
        &[("x", "N * float64")],
        std::slice::from_ref(&xv),
    )
    .unwrap();
    let want: Vec<f64> = x.iter().copied().filter(|&v| v > 0.5).collect();
    assert_eq!(data_f64(&r), (want.clone(), vec![want.len()]));

    // Rows of a matrix, by a mask computed from one column.
    let a: Vec<f64> = (0..12).map(|i| i as f64 - 5.0).collect();
    let av = f64s(&[4, 3], a.clone());
    let r = run("A[A[:, 0] > 0]", &[("A", "N * 3 * float64")], &[av]).unwrap();
    let mut want = Vec::new();
    for row in a.chunks(3) {
        if row[0] > 0.0 {
            want.extend_from_slice(row);
        }
    }
    assert_eq!(data_f64(&r), (want.clone(), vec![want.len() / 3, 3]));

    // A `?bool` mask: missing counts as false.
    let m = bools(
        vec![true, true, false, true],
        Some(vec![false, true, false, false]),
    );
    let y = f64s(&[4], vec![1.0, 2.0, 3.0, 4.0]);
    let r = run(
        "y[m]",
        &[("y", "N * float64"), ("m", "N * ?bool")],
        &[y.clone(), m],
    )
    .unwrap();
    assert_eq!(data_f64(&r), (vec![1.0, 4.0], vec![2]));

    // A mask of another length is a shape error.
    let short = bools(vec![true, false], None);
    let e = run(
        "y[m]",
        &[("y", "N * float64"), ("m", "M * bool")],
        &[y, short],
    )
    .unwrap_err();
    assert!(
        e.contains("mask of shape [2]") && e.contains("length 4"),
        "{e}"
    );
}

#[test]
fn integer_arrays_and_scalars_gather_rows() {
    let x = f64s(&[5], vec![10.0, 11.0, 12.0, 13.0, 14.0]);
    let idx = i64s(&[4], vec![4, 0, -1, 2]);
    let r = run(
        "x[i]",
        &[("x", "N * float64"), ("i", "M * int64")],
        &[x.clone(), idx],
    )
    .unwrap();
    assert_eq!(data_f64(&r), (vec![14.0, 10.0, 14.0, 12.0], vec![4]));

    let i2 = i64s(&[2, 2], vec![1, 1, 3, -5]);
    let r = run(
        "x[i]",
        &[("x", "N * float64"), ("i", "2 * 2 * int64")],
        &[x.clone(), i2],
    )
    .unwrap();
    assert_eq!(data_f64(&r), (vec![11.0, 11.0, 13.0, 10.0], vec![2, 2]));

    let k = i64s(&[], vec![-2]);
    let r = run(
        "x[k] * 2",
        &[("x", "N * float64"), ("k", "int64")],
        &[x.clone(), k],
    )
    .unwrap();
    assert_eq!(data_f64(&r), (vec![26.0], vec![]));

    // The first bad index is named with its position.
    let bad = i64s(&[4], vec![0, 5, -6, 1]);
    let e = run(
        "x[i]",
        &[("x", "N * float64"), ("i", "M * int64")],
        &[x.clone(), bad],
    )
    .unwrap_err();
    assert!(
        e.contains("index 5 at position 1") && e.contains("size 5"),
        "{e}"
    );
    let k = i64s(&[], vec![-6]);
    let e = run("x[k]", &[("x", "N * float64"), ("k", "int64")], &[x, k]).unwrap_err();
    assert!(e.contains("index -6 is out of bounds"), "{e}");
}

#[test]
fn records_select_every_field_and_build_from_selected_fields() {
    let ty = "N * {low: float64, high: float64}";
    let low = vec![1.0, -2.0, 3.0, 0.5];
    let high = vec![2.0, 5.0, 4.0, 0.75];
    let p = Value::Record(vec![
        ("low".into(), f64s(&[4], low.clone())),
        ("high".into(), f64s(&[4], high.clone())),
    ]);
    let r = run(
        "let q = p[p.low > 0] in {low: q.low, mid: (q.low + q.high) / 2}",
        &[("p", ty)],
        std::slice::from_ref(&p),
    )
    .unwrap();
    let Value::Record(fields) = r else {
        panic!("not a record")
    };
    let keep: Vec<usize> = (0..4).filter(|&i| low[i] > 0.0).collect();
    let want_low: Vec<f64> = keep.iter().map(|&i| low[i]).collect();
    let want_mid: Vec<f64> = keep.iter().map(|&i| (low[i] + high[i]) / 2.0).collect();
    assert_eq!(fields[0].0, "low");
    assert_eq!(data_f64(&fields[0].1).0, want_low);
    assert_eq!(fields[1].0, "mid");
    assert_eq!(data_f64(&fields[1].1).0, want_mid);

    let idx = i64s(&[2], vec![3, 1]);
    let r = run("p[i].high", &[("p", ty), ("i", "M * int64")], &[p, idx]).unwrap();
    assert_eq!(data_f64(&r).0, vec![0.75, 5.0]);
}

#[test]
fn flatten_and_lengths_of_dense_arrays() {
    let a = f64s(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let r = run(
        "flatten(A)",
        &[("A", "N * 3 * float64")],
        std::slice::from_ref(&a),
    )
    .unwrap();
    assert_eq!(data_f64(&r), (vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], vec![6]));
    let r = run("len(A, axis=1)", &[("A", "N * 3 * float64")], &[a]).unwrap();
    assert_eq!(r, i64s(&[2], vec![3, 3]));
}

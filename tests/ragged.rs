//! Ragged axes, selection, gather and records through the public
//! interface: programs compiled by `blaze::compile_expr`, run on the JIT
//! engine (column kernels where it has them, the reference kernels
//! otherwise) and by the interpreter (`blaze_interp::eval`), against values computed here by
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

/// `v` with its elements under the missing mask set to zero: what lies
/// there is unspecified, so engines may differ in it.
fn canonical(v: Value) -> Value {
    match v {
        Value::Array {
            mut data,
            missing: Some(m),
        } => {
            blaze::interp::with_array!(&mut data, a => {
                for (x, &gone) in a.iter_mut().zip(m.iter()) {
                    if gone {
                        *x = Default::default();
                    }
                }
            });
            Value::Array {
                data,
                missing: Some(m),
            }
        }
        Value::Record(fields) => {
            Value::Record(fields.into_iter().map(|(n, f)| (n, canonical(f))).collect())
        }
        v => v,
    }
}

/// Runs `src` on both engines and checks they agree; returns the value.
fn run(src: &str, args: &[(&str, &str)], inputs: &[Value]) -> Result<Value, String> {
    let k = compile_expr(src, args).map_err(|e| e.to_string())?;
    let refs: Vec<Arg<'_>> = inputs.iter().map(Arg::Value).collect();
    let jit = k.call(&refs).map_err(|e| e.to_string());
    let interp = blaze::interp::eval(k.function(), inputs).map_err(|e| e.to_string());
    match (&jit, &interp) {
        (Ok(a), Ok(b)) => assert_eq!(
            canonical(a.clone()),
            canonical(b.clone()),
            "`{src}`: the engines disagree"
        ),
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

// ---- ragged columns (Arrow List arrays)

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array as _, ArrayRef, ListArray, StringArray};
use blaze::interp::Column;
use std::sync::Arc;

type Rows = Vec<Option<Vec<Option<f64>>>>;

fn rows_f64(rows: &Rows) -> Value {
    let a = ListArray::from_iter_primitive::<Float64Type, _, _>(rows.clone());
    Value::Column(Column::vector(Arc::new(a)))
}

/// The rows of a `List<Float64>` column (null rows as empty).
fn list_rows(v: &Value) -> Vec<Vec<Option<f64>>> {
    let Value::Column(c) = v else {
        panic!("not a column: {v:?}")
    };
    let l = c.array.as_list::<i32>();
    (0..l.len())
        .map(|i| {
            let row = l.value(i);
            let p = row.as_primitive::<Float64Type>();
            (0..p.len())
                .map(|j| p.is_valid(j).then(|| p.value(j)))
                .collect()
        })
        .collect()
}

fn sample() -> Rows {
    vec![
        Some(vec![Some(1.5), Some(-2.0), Some(4.0)]),
        Some(vec![]),
        Some(vec![Some(3.0)]),
        None,
        Some(vec![Some(0.25), Some(8.0)]),
    ]
}

fn sample_missing() -> Rows {
    vec![
        Some(vec![Some(1.5), None, Some(4.0)]),
        Some(vec![None, None]),
        Some(vec![]),
        Some(vec![Some(-3.0)]),
    ]
}

/// Present values of each row (null rows are empty).
fn present(rows: &Rows) -> Vec<Vec<f64>> {
    rows.iter()
        .map(|r| r.iter().flatten().flatten().copied().collect())
        .collect()
}

fn values_and_mask(v: &Value) -> (Vec<f64>, Vec<bool>) {
    match v {
        Value::Array {
            data: Array::Float64(a),
            missing,
        } => (
            a.iter().copied().collect(),
            missing
                .as_ref()
                .map_or(vec![false; a.len()], |m| m.iter().copied().collect()),
        ),
        other => panic!("not float64: {other:?}"),
    }
}

#[test]
fn reductions_over_the_ragged_axis_follow_the_missing_value_rules() {
    for (rows, ty) in [
        (sample(), "N * var * float64"),
        (sample_missing(), "N * var * ?float64"),
    ] {
        let x = rows_f64(&rows);
        let vals = present(&rows);
        let args = [("x", ty)];
        let one = |src: &str| run(src, &args, std::slice::from_ref(&x)).unwrap();

        let sums: Vec<f64> = vals.iter().map(|r| r.iter().sum()).collect();
        assert_eq!(values_and_mask(&one("sum(x, axis=1)")).0, sums);
        assert_eq!(values_and_mask(&one("sum(x, axis=-1)")).0, sums);
        let prods: Vec<f64> = vals.iter().map(|r| r.iter().product()).collect();
        assert_eq!(values_and_mask(&one("prod(x, axis=1)")).0, prods);
        let counts: Vec<i64> = vals.iter().map(|r| r.len() as i64).collect();
        assert_eq!(one("count(x, axis=1)"), i64s(&[vals.len()], counts));

        for (src, f) in [
            (
                "min(x, axis=1)",
                (|r: &[f64]| r.iter().copied().reduce(f64::min)) as fn(&[f64]) -> Option<f64>,
            ),
            ("max(x, axis=1)", |r: &[f64]| {
                r.iter().copied().reduce(f64::max)
            }),
            ("mean(x, axis=1)", |r: &[f64]| {
                (!r.is_empty()).then(|| r.iter().sum::<f64>() / r.len() as f64)
            }),
        ] {
            let (v, m) = values_and_mask(&one(src));
            for (i, r) in vals.iter().enumerate() {
                match f(r) {
                    Some(want) => {
                        assert!(!m[i], "{src} row {i}");
                        assert!(
                            (v[i] - want).abs() < 1e-12,
                            "{src} row {i}: {} vs {want}",
                            v[i]
                        );
                    }
                    None => assert!(m[i], "{src} row {i} should be missing"),
                }
            }
        }
        let all: Vec<f64> = vals.iter().flatten().copied().collect();
        let (v, _) = values_and_mask(&one("sum(x)"));
        assert!((v[0] - all.iter().sum::<f64>()).abs() < 1e-12);
        let (v, m) = values_and_mask(&one("max(x)"));
        assert_eq!(
            (v[0], m[0]),
            (all.iter().copied().fold(f64::MIN, f64::max), false)
        );

        let pos = one("any(x > 2, axis=1)");
        let want: Vec<bool> = vals.iter().map(|r| r.iter().any(|&v| v > 2.0)).collect();
        let Value::Array {
            data: Array::Bool(b),
            ..
        } = &pos
        else {
            panic!("{pos:?}")
        };
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), want);

        // Row lengths count missing elements too; `count` does not.
        let lens: Vec<i64> = rows
            .iter()
            .map(|r| r.as_ref().map_or(0, |r| r.len() as i64))
            .collect();
        assert_eq!(one("len(x, axis=1)"), i64s(&[rows.len()], lens));
    }
}

#[test]
fn empty_rows_and_an_empty_column() {
    let x = rows_f64(&vec![]);
    let r = run(
        "sum(x, axis=1)",
        &[("x", "N * var * float64")],
        std::slice::from_ref(&x),
    )
    .unwrap();
    assert_eq!(values_and_mask(&r).0, Vec::<f64>::new());
    let r = run("max(x)", &[("x", "N * var * float64")], &[x]).unwrap();
    assert_eq!(values_and_mask(&r).1, vec![true]);
    let x = rows_f64(&vec![Some(vec![]), Some(vec![])]);
    let r = run("min(x, axis=1)", &[("x", "N * var * float64")], &[x]).unwrap();
    assert_eq!(values_and_mask(&r).1, vec![true, true]);
}

#[test]
fn nested_ragged_axes_reduce_from_the_inside() {
    // [[[1, 2], []], [], [[3], [4, 5, 6]]]
    let inner = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(1), Some(2)]),
        Some(vec![]),
        Some(vec![Some(3)]),
        Some(vec![Some(4), Some(5), Some(6)]),
    ]);
    let field = Arc::new(arrow_schema::Field::new(
        "item",
        inner.data_type().clone(),
        false,
    ));
    let outer = ListArray::new(
        field,
        arrow_buffer::OffsetBuffer::new(vec![0, 2, 2, 4].into()),
        Arc::new(inner),
        None,
    );
    let d = Value::Column(Column::vector(Arc::new(outer)));
    let args = [("d", "N * var * var * int32")];
    let r = run("sum(d, axis=2)", &args, std::slice::from_ref(&d)).unwrap();
    let Value::Column(c) = &r else {
        panic!("{r:?}")
    };
    let l = c.array.as_list::<i32>();
    let got: Vec<Vec<i64>> = (0..l.len())
        .map(|i| l.value(i).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    assert_eq!(got, vec![vec![3, 0], vec![], vec![3, 15]]);
    let r = run("sum(d, axis=(1, 2))", &args, std::slice::from_ref(&d)).unwrap();
    assert_eq!(r, i64s(&[3], vec![3, 0, 18]));
    let r = run("len(d, axis=1)", &args, std::slice::from_ref(&d)).unwrap();
    assert_eq!(r, i64s(&[3], vec![2, 0, 2]));
    let r = run("sum(flatten(d), axis=1)", &args, std::slice::from_ref(&d)).unwrap();
    assert_eq!(r, i64s(&[4], vec![3, 0, 3, 15]));
}

#[test]
fn elementwise_operations_keep_the_offsets() {
    let rows = sample_missing();
    let x = rows_f64(&rows);
    let args = [("x", "N * var * ?float64")];
    let r = run("x * 2 + 1", &args, std::slice::from_ref(&x)).unwrap();
    let want: Vec<Vec<Option<f64>>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .flatten()
                .map(|v| v.map(|v| v * 2.0 + 1.0))
                .collect()
        })
        .collect();
    assert_eq!(list_rows(&r), want);

    let plain = rows_f64(&sample());
    let r = run(
        "sqrt(abs(x)) - x",
        &[("x", "N * var * float64")],
        std::slice::from_ref(&plain),
    )
    .unwrap();
    let want: Vec<Vec<Option<f64>>> = present(&sample())
        .iter()
        .map(|r| r.iter().map(|v| Some(v.abs().sqrt() - v)).collect())
        .collect();
    assert_eq!(list_rows(&r), want);

    // Two ragged operands with equal row lengths; then a different row.
    let y_rows: Rows = vec![
        Some(vec![Some(10.0), Some(20.0), Some(30.0)]),
        Some(vec![]),
        Some(vec![Some(1.0)]),
        Some(vec![]),
        Some(vec![Some(2.0), Some(3.0)]),
    ];
    let y = rows_f64(&y_rows);
    let two = [("x", "N * var * float64"), ("y", "N * var * float64")];
    let r = run("x + y", &two, &[plain.clone(), y]).unwrap();
    let want: Vec<Vec<Option<f64>>> = present(&sample())
        .iter()
        .zip(present(&y_rows))
        .map(|(a, b)| a.iter().zip(&b).map(|(p, q)| Some(p + q)).collect())
        .collect();
    assert_eq!(list_rows(&r), want);
    let mut bad_rows = y_rows.clone();
    bad_rows[2] = Some(vec![Some(1.0), Some(2.0)]);
    let e = run("x + y", &two, &[plain.clone(), rows_f64(&bad_rows)]).unwrap_err();
    assert!(
        e.contains("row [2]") && e.contains("1 elements against 2"),
        "{e}"
    );

    // A comparison gives a ragged bool column that a reduction counts.
    let r = run(
        "sum(x > 1, axis=1)",
        &[("x", "N * var * float64")],
        std::slice::from_ref(&plain),
    )
    .unwrap();
    let want: Vec<i64> = present(&sample())
        .iter()
        .map(|r| r.iter().filter(|&&v| v > 1.0).count() as i64)
        .collect();
    assert_eq!(r, i64s(&[5], want));
}

#[test]
fn fixed_axes_inside_rows_broadcast_and_reduce() {
    use arrow_array::FixedSizeListArray;
    // Three rows of 3-vectors: lengths 2, 0, 1.
    let flat = arrow_array::Float64Array::from((0..9).map(|i| i as f64).collect::<Vec<_>>());
    let item = Arc::new(arrow_schema::Field::new(
        "item",
        arrow_schema::DataType::Float64,
        false,
    ));
    let fsl = FixedSizeListArray::new(item, 3, Arc::new(flat), None);
    let field = Arc::new(arrow_schema::Field::new(
        "item",
        fsl.data_type().clone(),
        false,
    ));
    let list = ListArray::new(
        field,
        arrow_buffer::OffsetBuffer::new(vec![0, 2, 2, 3].into()),
        Arc::new(fsl),
        None,
    );
    let v = Value::Column(Column::vector(Arc::new(list)));
    let w = f64s(&[3], vec![100.0, 200.0, 300.0]);
    let args = [("v", "N * var * 3 * float64"), ("w", "3 * float64")];
    let r = run("sum(v + w, axis=1)", &args, &[v.clone(), w.clone()]).unwrap();
    let want = vec![
        0.0 + 3.0 + 200.0,
        1.0 + 4.0 + 400.0,
        2.0 + 5.0 + 600.0,
        0.0,
        0.0,
        0.0,
        6.0 + 100.0,
        7.0 + 200.0,
        8.0 + 300.0,
    ];
    assert_eq!(data_f64(&r), (want, vec![3, 3]));
    let r = run(
        "sum(sum(v, axis=2), axis=1)",
        &args,
        &[v.clone(), w.clone()],
    )
    .unwrap();
    assert_eq!(data_f64(&r), (vec![15.0, 0.0, 21.0], vec![3]));
    let r = run("v[:, 0, 1]", &args, &[v, w]).unwrap();
    let (vals, mask) = values_and_mask(&r);
    assert_eq!(mask, vec![false, true, false]);
    assert_eq!((vals[0], vals[2]), (1.0, 7.0));
}

#[test]
fn positions_rows_and_flatten() {
    let rows = sample();
    let x = rows_f64(&rows);
    let args = [("x", "N * var * float64")];
    let vals = present(&rows);
    let (v, m) = values_and_mask(&run("x[:, 0]", &args, std::slice::from_ref(&x)).unwrap());
    for (i, r) in vals.iter().enumerate() {
        assert_eq!(m[i], r.is_empty(), "row {i}");
        if let Some(first) = r.first() {
            assert_eq!(v[i], *first);
        }
    }
    let (v, m) = values_and_mask(&run("x[:, -1]", &args, std::slice::from_ref(&x)).unwrap());
    assert_eq!((v[0], m[0], m[1], v[4]), (4.0, false, true, 8.0));
    let r = run("x[4]", &args, std::slice::from_ref(&x)).unwrap();
    assert_eq!(data_f64(&r), (vec![0.25, 8.0], vec![2]));
    let r = run("x[0, 2]", &args, std::slice::from_ref(&x)).unwrap();
    assert_eq!(values_and_mask(&r), (vec![4.0], vec![false]));
    let r = run("flatten(x)", &args, std::slice::from_ref(&x)).unwrap();
    let all: Vec<f64> = vals.iter().flatten().copied().collect();
    assert_eq!(data_f64(&r), (all.clone(), vec![all.len()]));
}

#[test]
fn selection_and_gather_of_columns_and_records() {
    let rows = sample();
    let x = rows_f64(&rows);
    let mask = bools(vec![true, false, false, true, true], None);
    let r = run(
        "sum(x[m], axis=1)",
        &[("x", "N * var * float64"), ("m", "N * bool")],
        &[x.clone(), mask],
    )
    .unwrap();
    assert_eq!(data_f64(&r).0, vec![3.5, 0.0, 8.25]);
    let idx = i64s(&[3], vec![4, -5, 2]);
    let r = run(
        "x[i]",
        &[("x", "N * var * float64"), ("i", "M * int64")],
        &[x, idx],
    )
    .unwrap();
    let want = vec![
        present(&rows)[4].clone(),
        present(&rows)[0].clone(),
        present(&rows)[2].clone(),
    ];
    let got: Vec<Vec<f64>> = list_rows(&r)
        .into_iter()
        .map(|r| r.into_iter().flatten().collect())
        .collect();
    assert_eq!(got, want);

    // A record with a string field: each field selected by the mask.
    let names: ArrayRef = Arc::new(StringArray::from(vec!["GOOG", "AAPL", "GOOG", "MSFT"]));
    let close = f64s(&[4], vec![10.0, 20.0, 30.0, 40.0]);
    let p = Value::Record(vec![
        ("name".into(), Value::Column(Column::vector(names))),
        ("close".into(), close),
    ]);
    let m = bools(vec![true, false, true, false], None);
    let ty = [
        ("p", "N * {name: string, close: float64}"),
        ("m", "N * bool"),
    ];
    let r = run("p.close[m]", &ty, &[p.clone(), m.clone()]).unwrap();
    assert_eq!(data_f64(&r).0, vec![10.0, 30.0]);
    let r = run(
        "p.close[p.name == \"GOOG\"]",
        &ty[..1],
        std::slice::from_ref(&p),
    )
    .unwrap();
    assert_eq!(data_f64(&r).0, vec![10.0, 30.0]);
    let r = run("p[m].name", &ty, &[p.clone(), m.clone()]).unwrap();
    let Value::Column(c) = &r else {
        panic!("{r:?}")
    };
    let s = c.array.as_string::<i32>();
    assert_eq!((s.len(), s.value(0), s.value(1)), (2, "GOOG", "GOOG"));
    let r = run(
        "let q = p[m] in {name: q.name, mid: (q.close + q.close) / 4}",
        &ty,
        &[p.clone(), m],
    )
    .unwrap();
    let Value::Record(fields) = &r else {
        panic!("{r:?}")
    };
    assert_eq!(data_f64(&fields[1].1).0, vec![5.0, 15.0]);
    let k = i64s(&[], vec![3]);
    let r = run("p[k].name", &[("p", ty[0].1), ("k", "int64")], &[p, k]).unwrap();
    let Value::Column(c) = &r else {
        panic!("{r:?}")
    };
    assert_eq!(
        (c.shape.len(), c.array.as_string::<i32>().value(0)),
        (0, "MSFT")
    );
}

#[test]
fn bad_offsets_are_errors_not_panics() {
    // Offsets past the values, built without validation.
    let values = arrow_array::Float64Array::from(vec![1.0, 2.0]);
    let data = arrow_data::ArrayData::builder(arrow_schema::DataType::List(Arc::new(
        arrow_schema::Field::new("item", arrow_schema::DataType::Float64, false),
    )))
    .len(2)
    .add_buffer(arrow_buffer::Buffer::from_slice_ref([0i32, 1, 5]))
    .add_child_data(values.into_data());
    let bad = unsafe { data.build_unchecked() };
    let x = Value::Column(Column::vector(arrow_array::make_array(bad)));
    let e = blaze::interp::eval(
        compile_expr("sum(x, axis=1)", &[("x", "N * var * float64")])
            .unwrap()
            .function(),
        &[x],
    )
    .unwrap_err();
    assert!(e.to_string().contains("offsets"), "{e}");
}

#[test]
fn dense_operands_reaching_the_ragged_axis() {
    let rows = sample();
    let x = rows_f64(&rows);
    let vals = present(&rows);
    // Length 1 at the ragged axis: one value per row, repeated along it.
    let m = f64s(&[5, 1], vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    let r = run(
        "x - m",
        &[("x", "N * var * float64"), ("m", "N * 1 * float64")],
        &[x.clone(), m],
    )
    .unwrap();
    let want: Vec<Vec<Option<f64>>> = vals
        .iter()
        .enumerate()
        .map(|(i, r)| r.iter().map(|v| Some(v - (i + 1) as f64)).collect())
        .collect();
    assert_eq!(list_rows(&r), want);
    // Row means subtracted, through `keepdims`.
    let r = run(
        "fillna(x - mean(x, axis=1, keepdims=true), 0.0)",
        &[("x", "N * var * float64")],
        std::slice::from_ref(&x),
    )
    .unwrap();
    let got = list_rows(&r);
    for (g, r) in got.iter().zip(&vals) {
        let mu = r.iter().sum::<f64>() / r.len().max(1) as f64;
        let want: Vec<Option<f64>> = r.iter().map(|v| Some(v - mu)).collect();
        assert_eq!(g, &want);
    }
    // A fixed length at the ragged axis: every row must have it.
    let two: Rows = vec![
        Some(vec![Some(1.0), Some(2.0)]),
        Some(vec![Some(3.0), Some(4.0)]),
    ];
    let w = f64s(&[2], vec![10.0, 20.0]);
    let args = [("x", "N * var * float64"), ("w", "2 * float64")];
    let r = run("x + w", &args, &[rows_f64(&two), w.clone()]).unwrap();
    assert_eq!(data_f64(&r), (vec![11.0, 22.0, 13.0, 24.0], vec![2, 2]));
    let e = run("x + w", &args, &[x, w]).unwrap_err();
    assert!(
        e.contains("row [0] has 3 elements where the other operand has 2"),
        "{e}"
    );
}

#[test]
fn ragged_elementwise_falls_back_and_the_ragged_sum_compiles() {
    let x = rows_f64(&sample());
    let k = compile_expr("sum(x * 2, axis=1)", &[("x", "N * var * float64")]).unwrap();
    let (v, report) = k.run_with_report(&[Arg::Value(&x)]).unwrap();
    assert_eq!(data_f64(&v).0, vec![7.0, 0.0, 6.0, 0.0, 16.5]);
    assert_eq!(report.kernels.len(), 1, "the segmented sum is a kernel");
    assert_eq!(report.fallbacks.len(), 1, "{:?}", report.fallbacks);
    assert!(
        report.fallbacks[0].contains("binary *"),
        "{:?}",
        report.fallbacks
    );
}

#[test]
fn where_isna_and_casts_over_ragged_rows() {
    let rows = sample_missing();
    let x = rows_f64(&rows);
    let args = [("x", "N * var * ?float64")];
    let r = run("where(isna(x), -1.0, x)", &args, std::slice::from_ref(&x)).unwrap();
    let want: Vec<Vec<Option<f64>>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .flatten()
                .map(|v| Some(v.unwrap_or(-1.0)))
                .collect()
        })
        .collect();
    assert_eq!(list_rows(&r), want);
    let r = run("sum(isna(x), axis=1)", &args, std::slice::from_ref(&x)).unwrap();
    let want: Vec<i64> = rows
        .iter()
        .map(|r| r.iter().flatten().filter(|v| v.is_none()).count() as i64)
        .collect();
    assert_eq!(r, i64s(&[rows.len()], want));
    let r = run(
        "max(cast(x, int32), axis=1)",
        &args,
        std::slice::from_ref(&x),
    )
    .unwrap();
    let Value::Array {
        data: Array::Int32(a),
        missing: Some(m),
    } = &r
    else {
        panic!("{r:?}")
    };
    assert_eq!((a[[0]], a[[3]]), (4, -3));
    assert_eq!(
        m.iter().copied().collect::<Vec<_>>(),
        vec![false, true, true, false]
    );
}

#[test]
fn positions_and_slices_of_string_columns() {
    let names: ArrayRef = Arc::new(StringArray::from(vec!["a", "bb", "ccc", "dddd"]));
    let p = Value::Column(Column::vector(names));
    let args = [("s", "N * string")];
    let r = run("s[1:3]", &args, std::slice::from_ref(&p)).unwrap();
    let Value::Column(c) = &r else {
        panic!("{r:?}")
    };
    let got = c.array.as_string::<i32>();
    assert_eq!(
        (c.shape.clone(), got.value(0), got.value(1)),
        (vec![2], "bb", "ccc")
    );
    let r = run("s[-1]", &args, std::slice::from_ref(&p)).unwrap();
    let Value::Column(c) = &r else {
        panic!("{r:?}")
    };
    assert_eq!(
        (c.shape.len(), c.array.as_string::<i32>().value(0)),
        (0, "dddd")
    );
    let r = run("s[::-2]", &args, std::slice::from_ref(&p)).unwrap();
    let Value::Column(c) = &r else {
        panic!("{r:?}")
    };
    let got = c.array.as_string::<i32>();
    assert_eq!((got.value(0), got.value(1)), ("dddd", "bb"));
    let e = run("s[4]", &[("s", "N * string")], std::slice::from_ref(&p)).unwrap_err();
    assert!(e.contains("out of bounds"), "{e}");
}

#[test]
fn a_scalar_index_of_a_ragged_column_is_a_dense_row() {
    let x = rows_f64(&sample());
    let args = [("x", "N * var * float64"), ("k", "int64")];
    let r = run("x[k]", &args, &[x.clone(), i64s(&[], vec![-1])]).unwrap();
    assert_eq!(data_f64(&r), (vec![0.25, 8.0], vec![2]));
    let r = run("sum(x[k])", &args, &[x.clone(), i64s(&[], vec![0])]).unwrap();
    assert_eq!(data_f64(&r).0, vec![3.5]);
    // Two leading axes: a column of shape [2, 2] over four lists.
    let Value::Column(c) = rows_f64(&sample()[..4].to_vec()) else {
        unreachable!()
    };
    let grid = Value::Column(Column::new(vec![2, 2], c.array).unwrap());
    let g = [("g", "2 * 2 * var * float64")];
    let r = run("sum(g, axis=2)", &g, std::slice::from_ref(&grid)).unwrap();
    assert_eq!(data_f64(&r), (vec![3.5, 0.0, 3.0, 0.0], vec![2, 2]));
    let r = run("count(g, axis=(0, 2))", &g, std::slice::from_ref(&grid)).unwrap();
    assert_eq!(r, i64s(&[2], vec![4, 0]));
    let r = run("len(g[1], axis=1)", &g, std::slice::from_ref(&grid)).unwrap();
    assert_eq!(r, i64s(&[2], vec![1, 0]));
}

//! Values in Arrow's columnar layout (`Value::Column`: strings, decimals,
//! ragged lists) through the public interface: inputs checked against
//! their types, carried through records and projections, printed, on both
//! engines.

use arrow_array::builder::{Float64Builder, ListBuilder};
use arrow_array::{ArrayRef, Decimal128Array, StringArray};
use blaze::interp::{format_value, Array, Column};
use blaze::{compile_expr, compile_expr_for, Arg, Engine, Value};
use ndarray::arr1;
use std::sync::Arc;

fn names() -> Value {
    Value::Column(Column::vector(Arc::new(StringArray::from(vec![
        "GOOG", "AAPL", "GOOG",
    ]))))
}

fn stocks() -> Value {
    Value::Record(vec![
        ("name".into(), names()),
        (
            "close".into(),
            Value::from(Array::Float64(arr1(&[1.5, 2.0, 4.0]).into_dyn())),
        ),
    ])
}

fn ragged() -> Value {
    let mut b = ListBuilder::new(Float64Builder::new());
    b.values().append_value(1.0);
    b.values().append_value(2.5);
    b.append(true);
    b.append(true);
    b.values().append_value(-3.0);
    b.append(true);
    Value::Column(Column::vector(Arc::new(b.finish()) as ArrayRef))
}

const STOCK: &str = "N * {name: string, close: float64}";

#[test]
fn a_string_field_is_projected_on_both_engines() {
    for engine in [Engine::Interp, Engine::Jit] {
        let k = compile_expr("p.name", &[("p", STOCK)])
            .unwrap()
            .with_engine(engine);
        assert_eq!(k.result_type().to_string(), "N * string");
        let v = k.call(&[Arg::Value(&stocks())]).unwrap();
        assert_eq!(v, names(), "{engine:?}");
        assert_eq!(format_value(&v), "['GOOG', 'AAPL', 'GOOG']");
    }
}

#[test]
fn numbers_beside_strings_still_compile() {
    let k = compile_expr("sum(p.close * 2)", &[("p", STOCK)]).unwrap();
    let (v, report) = k.run_with_report(&[Arg::Value(&stocks())]).unwrap();
    assert_eq!(
        v,
        Value::from(Array::Float64(
            arr1(&[15.0]).into_shape_with_order(vec![]).unwrap()
        ))
    );
    assert!(
        report.fallbacks.iter().all(|f| !f.contains("mul")),
        "{:?}",
        report.fallbacks
    );
}

#[test]
fn a_ragged_column_passes_through_and_prints() {
    let k = compile_expr_for("x", &["x"], &[ragged()]).unwrap();
    assert_eq!(k.result_type().to_string(), "3 * var * float64");
    let v = k.call(&[Arg::Value(&ragged())]).unwrap();
    assert_eq!(format_value(&v), "[[1.0, 2.5], [], [-3.0]]");
}

#[test]
fn inputs_are_checked_against_column_types() {
    let k = compile_expr("p.name", &[("p", STOCK)]).unwrap();
    // A dense array where strings are declared.
    let dense = Value::Record(vec![
        (
            "name".into(),
            Value::from(Array::Int32(arr1(&[1, 2, 3]).into_dyn())),
        ),
        (
            "close".into(),
            Value::from(Array::Float64(arr1(&[1.5, 2.0, 4.0]).into_dyn())),
        ),
    ]);
    let err = k.call(&[Arg::Value(&dense)]).unwrap_err().to_string();
    assert!(err.contains("Arrow's columnar layout"), "{err}");
    // A column of the wrong Arrow type.
    let k = compile_expr("x", &[("x", "N * string")]).unwrap();
    let err = k.call(&[Arg::Value(&ragged())]).unwrap_err().to_string();
    assert!(
        err.contains("input `x`") && err.contains("var * float64"),
        "{err}"
    );
    // Missing elements where the type has none.
    let with_null = Value::Column(Column::vector(Arc::new(StringArray::from(vec![
        Some("a"),
        None,
    ]))));
    let err = k.call(&[Arg::Value(&with_null)]).unwrap_err().to_string();
    assert!(err.contains("missing"), "{err}");
    let k = compile_expr("x", &[("x", "N * ?string")]).unwrap();
    assert_eq!(k.call(&[Arg::Value(&with_null)]).unwrap(), with_null);
}

#[test]
fn decimals_keep_their_scale_when_printed() {
    let d = Decimal128Array::from(vec![Some(1_234_500), None])
        .with_precision_and_scale(18, 4)
        .unwrap();
    let v = Value::Column(Column::vector(Arc::new(d)));
    let k = compile_expr_for("x", &["x"], std::slice::from_ref(&v)).unwrap();
    assert_eq!(k.result_type().to_string(), "2 * ?decimal[18, 4]");
    assert_eq!(
        format_value(&k.call(&[Arg::Value(&v)]).unwrap()),
        "[123.4500, --]"
    );
}

//! Strings and decimals through the public interface: programs over
//! `Value::Column` inputs built with arrow-rs, on the reference interpreter
//! and on the JIT engine (which runs these operations on the reference
//! kernels), with the same results.

use arrow_array::{ArrayRef, Decimal128Array, StringArray};
use blaze::interp::{format_value, Array, Column};
use blaze::{compile_expr, Arg, Engine, Value};
use ndarray::{arr1, ArrayD, IxDyn};
use std::sync::Arc;

fn strings(v: &[Option<&str>]) -> Value {
    Value::Column(Column::vector(Arc::new(StringArray::from(v.to_vec()))))
}

fn strings_2d(shape: [usize; 2], v: &[&str]) -> Value {
    Value::Column(Column::new(shape.to_vec(), Arc::new(StringArray::from(v.to_vec()))).unwrap())
}

fn decimals(v: &[Option<i128>], p: u8, s: i8) -> Value {
    let a = Decimal128Array::from(v.to_vec())
        .with_precision_and_scale(p, s)
        .unwrap();
    Value::Column(Column::vector(Arc::new(a) as ArrayRef))
}

/// Runs `src` on both engines with the same result; returns it.
fn run(src: &str, args: &[(&str, &str)], inputs: &[Value]) -> Result<Value, String> {
    let mut results = Vec::new();
    for engine in [Engine::Interp, Engine::Jit] {
        let k = compile_expr(src, args)
            .map_err(|e| e.to_string())?
            .with_engine(engine);
        let inputs: Vec<Arg<'_>> = inputs.iter().map(Arg::Value).collect();
        results.push(k.call(&inputs).map_err(|e| e.to_string()));
    }
    let jit = results.pop().unwrap_or(Err("no result".into()));
    let interp = results.pop().unwrap_or(Err("no result".into()));
    assert_eq!(interp, jit, "`{src}`: the engines differ");
    interp
}

/// The printed result of `src` on both engines.
fn printed(src: &str, args: &[(&str, &str)], inputs: &[Value]) -> String {
    match run(src, args, inputs) {
        Ok(v) => format_value(&v),
        Err(e) => panic!("`{src}`: {e}"),
    }
}

fn error(src: &str, args: &[(&str, &str)], inputs: &[Value]) -> String {
    match run(src, args, inputs) {
        Ok(v) => panic!("`{src}` gave {} instead of an error", format_value(&v)),
        Err(e) => e,
    }
}

const S: &[(&str, &str)] = &[("s", "N * string")];
const O: &[(&str, &str)] = &[("o", "N * ?string")];

fn names() -> Value {
    strings(&[
        Some("GOOG"),
        Some("AAPL"),
        Some("GOOG"),
        Some("Zürich"),
        Some(""),
    ])
}

fn maybe() -> Value {
    strings(&[Some("GOOG"), None, Some("ab"), Some("straße")])
}

#[test]
fn comparisons_with_a_literal_count() {
    let s = [names()];
    assert_eq!(
        printed("s == \"GOOG\"", S, &s),
        "[ True False  True False False]"
    );
    assert_eq!(
        printed("'GOOG' != s", S, &s),
        "[False  True False  True  True]"
    );
    assert_eq!(printed("s < 'B'", S, &s), "[False  True False False  True]");
    assert_eq!(
        printed("s >= 'Z'", S, &s),
        "[False False False  True False]"
    );
    let k = compile_expr("sum(s == \"GOOG\")", S).unwrap();
    for engine in [Engine::Interp, Engine::Jit] {
        let v = k
            .clone()
            .with_engine(engine)
            .call(&[Arg::Value(&s[0])])
            .unwrap();
        let want = Value::from(Array::Int64(ArrayD::from_elem(IxDyn(&[]), 2)));
        assert_eq!(v, want, "{engine:?}");
    }
}

#[test]
fn code_point_order_between_columns_with_broadcasting() {
    let args = &[("m", "2 * 3 * string"), ("t", "3 * string")];
    let m = strings_2d([2, 3], &["a", "é", "Z", "b", "😀", "\u{ffff}"]);
    let t = strings(&[Some("b"), Some("z"), Some("a")]);
    assert_eq!(
        printed("m < t", args, &[m.clone(), t.clone()]),
        "[[ True False  True]\n [False False False]]"
    );
    assert_eq!(
        printed("m == t", args, &[m.clone(), t.clone()]),
        "[[False False False]\n [ True False False]]"
    );
    assert_eq!(
        printed("m + t", args, &[m, t]),
        "[['ab', 'éz', 'Za'], ['bb', '😀z', '\u{ffff}a']]"
    );
}

#[test]
fn functions_of_strings() {
    let s = [names()];
    assert_eq!(printed("len(s)", S, &s), "[4 4 4 6 0]");
    assert_eq!(
        printed("upper(s)", S, &s),
        "['GOOG', 'AAPL', 'GOOG', 'ZÜRICH', '']"
    );
    assert_eq!(
        printed("s.lower()", S, &s),
        "['goog', 'aapl', 'goog', 'zürich', '']"
    );
    assert_eq!(
        printed("startswith(s, 'GO')", S, &s),
        "[ True False  True False False]"
    );
    assert_eq!(
        printed("endswith(s, 'ch')", S, &s),
        "[False False False  True False]"
    );
    assert_eq!(
        printed("contains(s, 'A')", S, &s),
        "[False  True False False False]"
    );
    assert_eq!(
        printed("contains(s, '')", S, &s),
        "[True True True True True]"
    );
    assert_eq!(printed("s + '/' + s", S, &s).lines().count(), 1);
    assert_eq!(
        printed("s + \"-\\u00e9\"", S, &s),
        "['GOOG-é', 'AAPL-é', 'GOOG-é', 'Zürich-é', '-é']"
    );
    assert_eq!(printed("sum(len(s))", S, &s), "18");
    assert_eq!(printed("len('😀x')", &[], &[]), "2");
    assert_eq!(printed("upper('straße')", &[], &[]), "'STRASSE'");
}

#[test]
fn missing_strings_propagate() {
    let o = [maybe()];
    assert_eq!(printed("o == 'GOOG'", O, &o), "[ True    -- False False]");
    assert_eq!(printed("len(o)", O, &o), "[ 4 --  2  6]");
    assert_eq!(printed("upper(o)", O, &o), "['GOOG', --, 'AB', 'STRASSE']");
    assert_eq!(printed("o + 'x'", O, &o), "['GOOGx', --, 'abx', 'straßex']");
    assert_eq!(printed("isna(o)", O, &o), "[False  True False False]");
    assert_eq!(
        printed("fillna(o, '?')", O, &o),
        "['GOOG', '?', 'ab', 'straße']"
    );
    assert_eq!(
        printed("where(isna(o), 'none', o)", O, &o),
        "['GOOG', 'none', 'ab', 'straße']"
    );
    assert_eq!(
        printed("where(o == 'ab', na, o)", O, &o),
        "['GOOG', --, --, 'straße']"
    );
    assert_eq!(printed("sum(o == 'GOOG')", O, &o), "1");
    assert_eq!(printed("count(o)", O, &o), "3");
    assert_eq!(printed("min(o)", O, &o), "'GOOG'");
    assert_eq!(printed("max(o)", O, &o), "'straße'");
    let none = [strings(&[None, None])];
    assert_eq!(printed("max(o)", O, &none), "--");
    assert_eq!(printed("count(o)", O, &none), "0");
    let m = strings_2d([2, 2], &["b", "a", "é", "z"]);
    let args = &[("m", "2 * 2 * string")];
    assert_eq!(
        printed("min(m, axis=1)", args, std::slice::from_ref(&m)),
        "['a', 'z']"
    );
    assert_eq!(printed("max(m, axis=0)", args, &[m]), "['é', 'z']");
    let e = error("min(s)", S, &[strings(&[])]);
    assert!(e.contains("`min` of no values"), "{e}");
    assert_eq!(printed("count(len(o))", O, &o), "3");
    let k = compile_expr("where(isna(o), 'none', o)", O).unwrap();
    assert_eq!(k.result_type().to_string(), "N * string");
}

#[test]
fn string_errors_name_both_types() {
    let e = compile_expr("s == 1", S).unwrap_err().to_string();
    assert!(e.contains("`N * string` and `int64`"), "{e}");
    let e = compile_expr("s - s", S).unwrap_err().to_string();
    assert!(e.contains("not defined for strings"), "{e}");
    // A column of the wrong Arrow type is refused before running.
    let d = decimals(&[Some(1)], 5, 0);
    let e = error("len(s)", S, &[d]);
    assert!(e.contains("input `s`"), "{e}");
}

const D: &[(&str, &str)] = &[("a", "N * decimal[18, 4]"), ("b", "N * decimal[10, 2]")];

fn dec_inputs() -> [Value; 2] {
    [
        // 1.2345, -0.5, 100, 0.0001
        decimals(&[Some(12345), Some(-5000), Some(1_000_000), Some(1)], 18, 4),
        // 2.50, 0.01, -3.00, 99999999.99
        decimals(
            &[Some(250), Some(1), Some(-300), Some(9_999_999_999)],
            10,
            2,
        ),
    ]
}

#[test]
fn decimal_arithmetic_is_exact() {
    let i = dec_inputs();
    assert_eq!(
        printed("a + b", D, &i),
        "[3.7345, -0.4900, 97.0000, 99999999.9901]"
    );
    assert_eq!(
        printed("a - b", D, &i),
        "[-1.2655, -0.5100, 103.0000, -99999999.9899]"
    );
    assert_eq!(
        printed("a * b", D, &i),
        "[3.086250, -0.005000, -300.000000, 9999.999999]"
    );
    assert_eq!(
        printed("b * 100 + 1", D, &i),
        "[251.00, 2.00, -299.00, 10000000000.00]"
    );
    assert_eq!(printed("-b", D, &i), "[-2.50, -0.01, 3.00, -99999999.99]");
    let k = compile_expr("b * 100 + 1", D).unwrap();
    assert_eq!(k.result_type().to_string(), "N * decimal[15, 2]");
    assert_eq!(
        printed("a / b", D, &i),
        "[ 4.93800000e-01 -5.00000000e+01 -3.33333333e+01  1.00000000e-12]"
    );
    let mid = run("(a + b) / 2", D, &i).unwrap();
    let want = [1.86725, -0.245, 48.5, 49999999.99505];
    assert_eq!(mid, Value::from(Array::Float64(arr1(&want).into_dyn())));
    assert_eq!(
        printed("a * 0.5", D, &i),
        "[ 6.1725e-01 -2.5000e-01  5.0000e+01  5.0000e-05]"
    );
}

#[test]
fn decimal_comparisons_are_exact() {
    let i = dec_inputs();
    assert_eq!(printed("a < b", D, &i), "[ True  True False  True]");
    assert_eq!(printed("b == 2.5", D, &i), "[ True False False False]");
    let args = &[("a", "N * decimal[18, 4]"), ("c", "N * decimal[5, 1]")];
    let c = decimals(&[Some(12), Some(-5), Some(1000), Some(0)], 5, 1);
    assert_eq!(
        printed("a == c", args, &[i[0].clone(), c.clone()]),
        "[False  True  True False]"
    );
    assert_eq!(
        printed("a >= c", args, &[i[0].clone(), c]),
        "[True True True True]"
    );
    assert_eq!(printed("sum(a > 0)", D, &i), "3");
}

#[test]
fn decimal_reductions() {
    let i = dec_inputs();
    assert_eq!(printed("sum(a)", D, &i), "100.7346");
    assert_eq!(printed("min(b)", D, &i), "-3.00");
    assert_eq!(printed("max(a)", D, &i), "100.0000");
    assert_eq!(printed("mean(b)", D, &i), "24999999.875");
    let k = compile_expr("sum(a)", D).unwrap();
    assert_eq!(k.result_type().to_string(), "decimal[38, 4]");
    let o = [decimals(&[Some(150), None, Some(-25)], 9, 2)];
    let args = &[("o", "N * ?decimal[9, 2]")];
    assert_eq!(printed("sum(o)", args, &o), "1.25");
    assert_eq!(printed("max(o)", args, &o), "1.50");
    assert_eq!(printed("mean(o)", args, &o), "0.625");
    assert_eq!(printed("count(o)", args, &o), "2");
    assert_eq!(printed("o + 1", args, &o), "[2.50, --, 0.75]");
    assert_eq!(printed("fillna(o, 0)", args, &o), "[1.50, 0.00, -0.25]");
    let none = [decimals(&[None, None], 9, 2)];
    assert_eq!(printed("sum(o)", args, &none), "0.00");
    assert_eq!(printed("min(o)", args, &none), "--");
    let m = Value::Column(
        Column::new(
            vec![2, 2],
            Arc::new(
                Decimal128Array::from(vec![1, 2, 3, 4])
                    .with_precision_and_scale(5, 1)
                    .unwrap(),
            ),
        )
        .unwrap(),
    );
    let args = &[("m", "2 * 2 * decimal[5, 1]")];
    assert_eq!(
        printed("sum(m, axis=0)", args, std::slice::from_ref(&m)),
        "[0.4, 0.6]"
    );
    assert_eq!(printed("max(m, axis=1)", args, &[m]), "[0.2, 0.4]");
}

#[test]
fn decimal_casts() {
    let i = dec_inputs();
    assert_eq!(
        printed("cast(a, float64)", D, &i),
        "[ 1.2345e+00 -5.0000e-01  1.0000e+02  1.0000e-04]"
    );
    assert_eq!(
        printed("b.astype(int32)", D, &i),
        "[       2        0       -3 99999999]"
    );
    let e = error("b.astype(int8)", D, &i);
    assert!(e.contains("99999999.99") && e.contains("int8"), "{e}");
    let x = [Value::from(Array::Float64(
        arr1(&[0.125, -0.125, 2.675, 1e6]).into_dyn(),
    ))];
    let args = &[("x", "N * float64")];
    assert_eq!(
        printed("cast(x, decimal[9, 2])", args, &x),
        "[0.13, -0.13, 2.67, 1000000.00]"
    );
    let e = error("cast(x, decimal[5, 2])", args, &x);
    assert!(e.contains("does not fit `decimal[5, 2]`"), "{e}");
    let n = [Value::from(Array::Int64(arr1(&[7, -1_000_000]).into_dyn()))];
    let args = &[("n", "N * int64")];
    assert_eq!(
        printed("cast(n, decimal[10, 3])", args, &n),
        "[7.000, -1000000.000]"
    );
    assert!(error("cast(n, decimal[8, 3])", args, &n).contains("does not fit"));
    assert_eq!(
        printed("cast(a, decimal[6, 1])", D, &i),
        "[1.2, -0.5, 100.0, 0.0]"
    );
}

#[test]
fn decimal_overflow_is_an_error() {
    let big = 10i128.pow(37);
    let w = [decimals(&[Some(9 * big), Some(9 * big)], 38, 0)];
    let args = &[("w", "N * decimal[38, 0]")];
    let e = error("sum(w)", args, &w);
    assert!(e.contains("decimal overflow in `sum`"), "{e}");
    // 9e36 + 9e36 fits the 38 digits of `decimal[37, 0] + decimal[37, 0]`;
    // 9e37 + 9e37 does not.
    let args2 = &[("w", "N * decimal[37, 0]")];
    let w2 = [decimals(&[Some(big - 1), Some(big - 1)], 37, 0)];
    assert_eq!(
        printed("w + w", args2, &w2),
        format!("[{0}, {0}]", 2 * (big - 1))
    );
    let e = compile_expr("w + w", args).unwrap_err().to_string();
    assert!(
        e.contains("`decimal[39, 0]`, above the largest precision 38"),
        "{e}"
    );
    let e = compile_expr("w * w", args).unwrap_err().to_string();
    assert!(e.contains("above the largest precision 38"), "{e}");
}

#[test]
fn the_stock_example() {
    let args = &[(
        "p",
        "N * {name: string, open: decimal[18, 4], close: decimal[18, 4], max: ?decimal[18, 4], min: ?decimal[18, 4]}",
    )];
    let d = |v: &[Option<i128>]| decimals(v, 18, 4);
    let p = Value::Record(vec![
        (
            "name".into(),
            strings(&[Some("GOOG"), Some("AAPL"), Some("GOOG")]),
        ),
        (
            "open".into(),
            d(&[Some(1_000_000), Some(20_000), Some(1_010_000)]),
        ),
        (
            "close".into(),
            d(&[Some(1_005_000), Some(21_000), Some(1_020_500)]),
        ),
        ("max".into(), d(&[Some(1_010_000), None, Some(1_030_000)])),
        (
            "min".into(),
            d(&[Some(990_000), Some(19_000), Some(1_000_001)]),
        ),
    ]);
    let k = compile_expr("{name: p.name, mid: (p.min + p.max) / 2}", args).unwrap();
    assert_eq!(
        k.result_type().to_string(),
        "N * {name: string, mid: ?float64}"
    );
    assert_eq!(
        printed("(p.min + p.max) / 2", args, std::slice::from_ref(&p)),
        "[100.             -- 101.50005]"
    );
    assert_eq!(
        printed("sum(p.name == 'GOOG')", args, std::slice::from_ref(&p)),
        "2"
    );
    assert_eq!(printed("sum(p.close - p.open)", args, &[p]), "1.6500");
}

#[test]
fn dates_and_datetimes() {
    use arrow_array::types::{DurationSecondType, TimestampMicrosecondType};
    use arrow_array::{Date32Array, PrimitiveArray};
    let col = |a: ArrayRef| Value::Column(Column::vector(a));
    // 2000-02-29, 1969-12-31, missing, 2024-01-01
    let d = col(Arc::new(Date32Array::from(vec![
        Some(11_016),
        Some(-1),
        None,
        Some(19_723),
    ])));
    let e = col(Arc::new(Date32Array::from(vec![
        Some(11_000),
        Some(0),
        Some(5),
        None,
    ])));
    let args = &[("d", "N * ?date"), ("e", "N * ?date")];
    let de = [d.clone(), e];
    assert_eq!(printed("year(d)", args, &de), "[2000 1969   -- 2024]");
    assert_eq!(printed("month(d)", args, &de), "[ 2 12 --  1]");
    assert_eq!(printed("day(d)", args, &de), "[29 31 --  1]");
    assert_eq!(printed("d < e", args, &de), "[False  True    --    --]");
    let diff = run("d - e", args, &de).unwrap();
    let want: ArrayRef = Arc::new(PrimitiveArray::<DurationSecondType>::from(vec![
        Some(16 * 86_400),
        Some(-86_400),
        None,
        None,
    ]));
    assert_eq!(diff, col(want));
    let us = 1_000_000i64;
    let t = col(Arc::new(PrimitiveArray::<TimestampMicrosecondType>::from(
        vec![0, 86_400 * us - 1, -1],
    )));
    let s = col(Arc::new(PrimitiveArray::<DurationSecondType>::from(vec![
        1, 1, 86_400,
    ])));
    let args = &[("t", "N * datetime"), ("s", "N * timedelta[unit='s']")];
    let ts = [t, s];
    let moved = run("t + s", args, &ts).unwrap();
    let want: ArrayRef = Arc::new(PrimitiveArray::<TimestampMicrosecondType>::from(vec![
        us,
        86_400 * us + us - 1,
        86_400 * us - 1,
    ]));
    assert_eq!(moved, col(want));
    assert_eq!(printed("day(t)", args, &ts), "[ 1  1 31]");
    assert_eq!(printed("day(t + s)", args, &ts), "[1 2 1]");
    assert_eq!(
        printed("(t + s) - t > t - t", args, &ts),
        "[True True True]"
    );
    assert_eq!(printed("sum(t < t + s)", args, &ts), "3");
    let big = col(Arc::new(PrimitiveArray::<DurationSecondType>::from(vec![
        i64::MAX,
        0,
        0,
    ])));
    let e = error("t + s", args, &[ts[0].clone(), big]);
    assert!(e.contains("overflows"), "{e}");
}

#[test]
fn selections_by_string_comparisons() {
    let args = &[(
        "p",
        "N * {name: string, close: ?decimal[9, 2], open: float64}",
    )];
    let p = Value::Record(vec![
        (
            "name".into(),
            strings(&[Some("GOOG"), Some("AAPL"), Some("GOOG")]),
        ),
        (
            "close".into(),
            decimals(&[Some(150), Some(275), None], 9, 2),
        ),
        (
            "open".into(),
            Value::from(Array::Float64(arr1(&[1.0, 2.0, 3.0]).into_dyn())),
        ),
    ]);
    let p = std::slice::from_ref(&p);
    assert_eq!(printed("p.open[p.name == \"GOOG\"]", args, p), "[1. 3.]");
    assert_eq!(printed("p.close[p.name == 'GOOG']", args, p), "[1.50, --]");
    assert_eq!(printed("p.name[p.open > 1.5]", args, p), "['AAPL', 'GOOG']");
    assert_eq!(printed("sum(p.close[p.name != 'GOOG'])", args, p), "2.75");
}

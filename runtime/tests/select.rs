//! Selection `x[mask]` run by the JIT engine (a compiled count of the mask
//! per chunk, then the chunks copied into place in parallel) against the
//! reference interpreter: dense arrays of rank 1 and 2 with and without
//! missing values, strings, decimals and records of them, masks with
//! missing values, empty and full selections, sliced Arrow arrays, over
//! several chunks and thread counts, with no reference-kernel fallback.

use arrow_array::{ArrayRef, Decimal128Array, StringArray};
use blaze_datashape::{parse, Datashape};
use blaze_interp::{eval, Array, Column, Value};
use blaze_ir::compile_expression;
use blaze_runtime::exec::columns::ROWS_PER_CHUNK;
use blaze_runtime::exec::{prepare, Options};
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True about one time in `k` (never when `k` is 0).
    fn one_in(&mut self, k: u64) -> bool {
        k > 0 && self.below(k) == 0
    }
}

/// How often the mask selects a row.
#[derive(Clone, Copy, Debug)]
enum Density {
    None,
    Some,
    All,
}

fn mask(rng: &mut Rng, n: usize, d: Density, missing: u64) -> Value {
    let m: Vec<bool> = (0..n)
        .map(|_| match d {
            Density::None => false,
            Density::All => true,
            Density::Some => rng.below(3) == 0,
        })
        .collect();
    let gone: Vec<bool> = (0..n).map(|_| rng.one_in(missing)).collect();
    Value::Array {
        data: Array::Bool(ArrayD::from_shape_vec(IxDyn(&[n]), m).expect("a mask")),
        missing: (missing > 0).then(|| ArrayD::from_shape_vec(IxDyn(&[n]), gone).expect("a mask")),
    }
}

fn strings(rng: &mut Rng, n: usize, missing: u64) -> Value {
    let words = ["", "GOOG", "AAPL", "é€", "a longer string of text", "x"];
    let skip = rng.below(3) as usize;
    let v: Vec<Option<String>> = (0..n + skip)
        .map(|_| {
            let w = words[rng.below(words.len() as u64) as usize];
            (!rng.one_in(missing)).then(|| format!("{w}{}", rng.below(100)))
        })
        .collect();
    let a = StringArray::from(v).slice(skip, n);
    Value::Column(Column::new(vec![n], Arc::new(a) as ArrayRef).expect("a column"))
}

fn decimals(rng: &mut Rng, n: usize, missing: u64) -> Value {
    let skip = rng.below(3) as usize;
    let v: Vec<Option<i128>> = (0..n + skip)
        .map(|_| (!rng.one_in(missing)).then(|| rng.below(1 << 40) as i128 - (1 << 39)))
        .collect();
    let a = Decimal128Array::from(v)
        .with_precision_and_scale(18, 4)
        .expect("a decimal type")
        .slice(skip, n);
    Value::Column(Column::new(vec![n], Arc::new(a) as ArrayRef).expect("a column"))
}

fn floats(rng: &mut Rng, shape: &[usize], missing: u64) -> Value {
    let len: usize = shape.iter().product();
    let v: Vec<f64> = (0..len).map(|_| rng.below(1000) as f64 / 8.0).collect();
    let m: Vec<bool> = (0..len).map(|_| rng.one_in(missing)).collect();
    Value::Array {
        data: Array::Float64(ArrayD::from_shape_vec(IxDyn(shape), v).expect("floats")),
        missing: (missing > 0).then(|| ArrayD::from_shape_vec(IxDyn(shape), m).expect("a mask")),
    }
}

fn ints(rng: &mut Rng, n: usize) -> Value {
    let v: Vec<i32> = (0..n)
        .map(|_| rng.below(1 << 20) as i32 - (1 << 19))
        .collect();
    Array::Int32(ArrayD::from_shape_vec(IxDyn(&[n]), v).expect("ints")).into()
}

/// `src` run by both engines at 1 and 3 threads: the same value, no
/// fallback.
fn same(src: &str, params: &[(&str, String)], inputs: &[Value]) {
    let types: Vec<(String, Datashape)> = params
        .iter()
        .map(|(n, t)| (n.to_string(), parse(t).expect("a datashape")))
        .collect();
    let f = compile_expression(src, &types).expect("compiles");
    let reference = eval(&f, inputs).expect("the interpreter runs it");
    let prepared = prepare(&f);
    for threads in [Some(1), Some(3)] {
        let opts = Options {
            threads,
            ..Options::default()
        };
        let (v, report) = prepared.run(inputs, &opts).expect("the engine runs it");
        assert_eq!(v, reference, "{src} at {threads:?} threads");
        assert!(report.fallbacks.is_empty(), "{src}: {:?}", report.fallbacks);
        assert!(
            report
                .kernels
                .iter()
                .any(|k| k.key.contains("column mask count")),
            "{src}: no mask count ran"
        );
    }
}

const ROWS: [usize; 4] = [0, 1, 100, 2 * ROWS_PER_CHUNK + 77];

#[test]
fn dense_values_select_rows() {
    let mut rng = Rng(0x5E1E);
    for n in ROWS {
        for d in [Density::None, Density::Some, Density::All] {
            for missing in [0, 4] {
                let m = mask(&mut rng, n, d, missing);
                let mt = if missing > 0 { "?bool" } else { "bool" };
                let x = floats(&mut rng, &[n], missing);
                let y = floats(&mut rng, &[n, 3], 0);
                let k = ints(&mut rng, n);
                let params = [
                    ("m", format!("{n} * {mt}")),
                    (
                        "x",
                        format!("{n} * {}float64", if missing > 0 { "?" } else { "" }),
                    ),
                    ("y", format!("{n} * 3 * float64")),
                    ("k", format!("{n} * int32")),
                ];
                let inputs = [m, x, y, k];
                for src in ["x[m]", "y[m]", "k[m]"] {
                    same(src, &params, &inputs);
                }
            }
        }
    }
}

#[test]
fn columns_and_records_select_rows() {
    let mut rng = Rng(0xC01);
    for n in ROWS {
        for d in [Density::None, Density::Some, Density::All] {
            for missing in [0, 3] {
                let m = mask(&mut rng, n, d, missing);
                let mt = if missing > 0 { "?bool" } else { "bool" };
                let s = strings(&mut rng, n, missing);
                let c = decimals(&mut rng, n, missing);
                let x = floats(&mut rng, &[n], 0);
                let rec = Value::Record(vec![
                    ("name".into(), s.clone()),
                    ("close".into(), c.clone()),
                    ("x".into(), x),
                ]);
                let params = [
                    ("m", format!("{n} * {mt}")),
                    ("s", format!("{n} * ?string")),
                    ("c", format!("{n} * ?decimal[18, 4]")),
                    (
                        "p",
                        format!("{n} * {{name: ?string, close: ?decimal[18, 4], x: float64}}"),
                    ),
                ];
                let inputs = [m, s, c, rec];
                for src in ["s[m]", "c[m]", "p[m]", "p.close[m]"] {
                    same(src, &params, &inputs);
                }
            }
        }
    }
}

#[test]
fn a_string_predicate_selects_a_decimal_field() {
    let mut rng = Rng(0x600C);
    let n = ROWS_PER_CHUNK + 999;
    let rec = Value::Record(vec![
        ("name".into(), strings(&mut rng, n, 9)),
        ("close".into(), decimals(&mut rng, n, 9)),
    ]);
    let params = [(
        "p",
        format!("{n} * {{name: ?string, close: ?decimal[18, 4]}}"),
    )];
    same(
        "p.close[startswith(p.name, \"GOOG\")]",
        &params,
        std::slice::from_ref(&rec),
    );
    same("p[p.name == \"x1\"]", &params, &[rec]);
}

/// `n` ragged rows of up to 4 float64 values, a fifth of them missing
/// rows, the list sliced so its offsets start past 0.
fn ragged_rows(rng: &mut Rng, n: usize) -> Value {
    use arrow_array::types::Float64Type;
    let rows: Vec<Option<Vec<Option<f64>>>> = (0..n + 2)
        .map(|_| {
            (!rng.one_in(5)).then(|| {
                (0..rng.below(5))
                    .map(|_| (!rng.one_in(6)).then(|| rng.below(100) as f64 / 4.0))
                    .collect()
            })
        })
        .collect();
    let a = arrow_array::ListArray::from_iter_primitive::<Float64Type, _, _>(rows).slice(2, n);
    Value::Column(Column::new(vec![n], Arc::new(a) as ArrayRef).expect("a column"))
}

#[test]
fn ragged_rows_and_records_of_them_select_rows() {
    let mut rng = Rng(0x5E1F);
    for n in ROWS {
        for missing in [0, 4] {
            let m = mask(&mut rng, n, Density::Some, missing);
            let mt = if missing > 0 { "?bool" } else { "bool" };
            let x = ragged_rows(&mut rng, n);
            let params = [
                ("x", format!("{n} * var * ?float64")),
                ("m", format!("{n} * {mt}")),
            ];
            same("x[m]", &params, &[x.clone(), m.clone()]);
            same("sum(x[m], axis=1)", &params, &[x.clone(), m.clone()]);
            let p = Value::Record(vec![
                ("name".into(), strings(&mut rng, n, 0)),
                ("xs".into(), x),
            ]);
            let params = [
                ("p", format!("{n} * {{name: string, xs: var * ?float64}}")),
                ("m", format!("{n} * {mt}")),
            ];
            same("p[m]", &params, &[p.clone(), m.clone()]);
            same("p.xs[p.name == \"GOOG1\"]", &params, &[p, m]);
        }
    }
}

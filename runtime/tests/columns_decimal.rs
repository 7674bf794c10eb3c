//! Decimal kernels (`+ - *`, comparisons, `cast float64`, `sum`, `min`,
//! `max` over `Decimal128` columns) run by the JIT engine against the
//! reference interpreter on random data with missing values, several
//! chunks and thread counts, one-value operands broadcast, empty and
//! all-missing columns, and overflows (the same error, no result). Every
//! program must run without a reference-kernel fallback.

use arrow_array::{ArrayRef, Decimal128Array};
use blaze_datashape::{parse, Datashape};
use blaze_interp::{eval, Column, Value};
use blaze_ir::compile_expression;
use blaze_runtime::exec::columns::ROWS_PER_CHUNK;
use blaze_runtime::exec::{prepare, Options};
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
    /// A value of at most `digits` digits (up to 38), either sign.
    fn digits(&mut self, digits: u32) -> i128 {
        let wide = ((self.next() as u128) << 64 | self.next() as u128) as i128;
        let v = wide.rem_euclid(10i128.pow(digits));
        if self.below(2) == 0 {
            -v
        } else {
            v
        }
    }
}

/// A `decimal[p, s]` column of `n` rows of at most `digits` digits, about
/// one in `missing` missing (none when 0), its array sliced by `skip`.
fn column(rng: &mut Rng, n: usize, (p, s): (u8, i8), digits: u32, missing: u64) -> Value {
    let skip = rng.below(3) as usize;
    let values: Vec<Option<i128>> = (0..n + skip)
        .map(|_| {
            if missing > 0 && rng.below(missing) == 0 {
                None
            } else {
                Some(rng.digits(digits))
            }
        })
        .collect();
    let a = Decimal128Array::from(values)
        .with_precision_and_scale(p, s)
        .expect("a decimal type")
        .slice(skip, n);
    Value::Column(Column::new(vec![n], Arc::new(a) as ArrayRef).expect("a column"))
}

/// One decimal value (a 0-d column).
fn scalar(v: Option<i128>, (p, s): (u8, i8)) -> Value {
    let a = Decimal128Array::from(vec![v])
        .with_precision_and_scale(p, s)
        .expect("a decimal type");
    Value::Column(Column::scalar(Arc::new(a) as ArrayRef).expect("a column"))
}

/// `v` with masks that mark nothing missing dropped: a dense result with
/// no missing element is the same with or without its mask.
fn plain(v: Value) -> Value {
    match v {
        Value::Array { data, missing } => Value::Array {
            data,
            missing: missing.filter(|m| m.iter().any(|&b| b)),
        },
        Value::Record(fields) => {
            Value::Record(fields.into_iter().map(|(n, f)| (n, plain(f))).collect())
        }
        v => v,
    }
}

/// `src` over `params` run by both engines at 1 and 3 threads: the same
/// value (or the same error) and no fallback.
fn same(src: &str, params: &[(&str, &str)], inputs: &[Value]) -> Result<Value, String> {
    let types: Vec<(String, Datashape)> = params
        .iter()
        .map(|(n, t)| (n.to_string(), parse(t).expect("a datashape")))
        .collect();
    let f = compile_expression(src, &types).expect("compiles");
    let reference = eval(&f, inputs).map_err(|e| e.to_string());
    let prepared = prepare(&f);
    for threads in [Some(1), Some(3)] {
        let opts = Options {
            threads,
            ..Options::default()
        };
        match (prepared.run(inputs, &opts), &reference) {
            (Ok((v, report)), Ok(r)) => {
                assert_eq!(plain(v), plain(r.clone()), "{src} at {threads:?} threads");
                assert!(report.fallbacks.is_empty(), "{src}: {:?}", report.fallbacks);
                assert!(!report.kernels.is_empty(), "{src}: no kernel ran");
            }
            (Err(e), Err(r)) => assert!(
                e.to_string().contains(r.as_str()),
                "{src}: the engine says `{e}`, the interpreter `{r}`"
            ),
            (got, r) => panic!("{src}: the engine gives {got:?}, the interpreter {r:?}"),
        }
    }
    reference
}

const ROWS: [usize; 4] = [0, 1, 37, 2 * ROWS_PER_CHUNK + 123];

#[test]
fn arithmetic_and_comparisons_match_the_interpreter() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for n in ROWS {
        for missing in [0, 5, 1] {
            let a = column(&mut rng, n, (18, 4), 14, missing);
            let b = column(&mut rng, n, (12, 2), 10, missing);
            let params = [
                ("a", format!("{n} * ?decimal[18, 4]")),
                ("b", format!("{n} * ?decimal[12, 2]")),
            ];
            let params: Vec<(&str, &str)> = params.iter().map(|(x, t)| (*x, t.as_str())).collect();
            let inputs = [a, b];
            for src in [
                "a + b", "a - b", "b - a", "a * b", "a == b", "a != b", "a < b", "a <= b", "b > a",
                "a >= b", "a + a", "a < a",
            ] {
                same(src, &params, &inputs).expect("no error");
            }
        }
    }
}

#[test]
fn one_value_broadcasts() {
    let mut rng = Rng(7);
    let n = ROWS_PER_CHUNK + 5;
    for k in [Some(12_345), None] {
        let a = column(&mut rng, n, (18, 4), 12, 7);
        let c = scalar(k, (10, 3));
        let params = [
            ("a", format!("{n} * ?decimal[18, 4]")),
            ("c", "?decimal[10, 3]".to_string()),
        ];
        let params: Vec<(&str, &str)> = params.iter().map(|(x, t)| (*x, t.as_str())).collect();
        let inputs = [a, c];
        for src in ["a + c", "c - a", "a * c", "a < c", "c == a"] {
            same(src, &params, &inputs).expect("no error");
        }
    }
}

#[test]
fn overflow_is_the_interpreters_error() {
    let mut rng = Rng(11);
    let n = 3 * ROWS_PER_CHUNK;
    let a = column(&mut rng, n, (38, 0), 37, 9);
    let big = Decimal128Array::from(vec![Some(10i128.pow(37) * 9); n])
        .with_precision_and_scale(38, 0)
        .expect("a decimal type");
    let b = Value::Column(Column::new(vec![n], Arc::new(big) as ArrayRef).expect("a column"));
    let t = format!("{n} * ?decimal[38, 0]");
    let params = [("a", t.as_str()), ("b", t.as_str())];
    let inputs = [a, b];
    for src in ["b + b", "b * b", "a * b", "0 - b - b"] {
        let types: Vec<(String, Datashape)> = params
            .iter()
            .map(|(x, t)| (x.to_string(), parse(t).expect("a datashape")))
            .collect();
        if compile_expression(src, &types).is_err() {
            continue;
        }
        let err = same(src, &params, &inputs).expect_err("an overflow");
        assert!(err.contains("decimal overflow"), "{src}: {err}");
    }
    // The sum of values that do not fit: the interpreter's error.
    let err = same("sum(b)", &params, &inputs).expect_err("an overflow");
    assert!(
        err.contains("overflow") || err.contains("does not fit"),
        "{err}"
    );
    // A sum that leaves the precision and comes back is the interpreter's
    // value or error too.
    let mut vals = vec![Some(10i128.pow(37) * 6); ROWS_PER_CHUNK + 1];
    vals.extend(vec![Some(-(10i128.pow(37) * 6)); ROWS_PER_CHUNK + 1]);
    let m = vals.len();
    let arr = Decimal128Array::from(vals)
        .with_precision_and_scale(38, 0)
        .expect("a decimal type");
    let v = Value::Column(Column::new(vec![m], Arc::new(arr) as ArrayRef).expect("a column"));
    let t = format!("{m} * ?decimal[38, 0]");
    assert!(same("sum(v)", &[("v", t.as_str())], &[v]).is_err());
}

#[test]
fn casts_to_float64_are_correctly_rounded() {
    let mut rng = Rng(0xDEC);
    for n in ROWS {
        for (ty, digits) in [((18, 4), 18), ((38, 10), 38), ((30, 25), 30), ((9, 0), 9)] {
            let a = column(&mut rng, n, ty, digits, 4);
            let t = format!("{n} * ?decimal[{}, {}]", ty.0, ty.1);
            same(
                "cast(a, float64)",
                &[("a", t.as_str())],
                std::slice::from_ref(&a),
            )
            .expect("no error");
            same("cast(a, float64) / 2.0", &[("a", t.as_str())], &[a]).expect("no error");
        }
    }
}

#[test]
fn casts_to_integers_truncate_and_check_the_range() {
    let mut rng = Rng(0x1A7);
    for n in ROWS {
        for (ty, digits) in [((18, 4), 12), ((38, 25), 30), ((38, 2), 21), ((9, 0), 9)] {
            for missing in [0, 3] {
                let a = column(&mut rng, n, ty, digits, missing);
                let t = format!("{n} * ?decimal[{}, {}]", ty.0, ty.1);
                for to in ["int64", "int32", "int16", "int8", "uint32", "uint8"] {
                    // Out of range is the interpreter's error, in range its
                    // values: `same` checks both.
                    let _ = same(
                        &format!("cast(a, {to})"),
                        &[("a", t.as_str())],
                        std::slice::from_ref(&a),
                    );
                }
            }
        }
    }
    // Small values convert without an error, large ones give the error.
    let a = column(&mut Rng(3), 1000, (10, 3), 5, 4);
    let t = "1000 * ?decimal[10, 3]";
    assert!(same("cast(a, int8)", &[("a", t)], std::slice::from_ref(&a)).is_ok());
    let b = column(&mut Rng(4), 1000, (10, 0), 10, 4);
    let t = "1000 * ?decimal[10, 0]";
    let err = same("cast(b, int16)", &[("b", t)], &[b]).expect_err("out of range");
    assert!(err.contains("out of the range of `int16`"), "{err}");
}

#[test]
fn sum_min_max_match_the_interpreter() {
    let mut rng = Rng(0x5EED);
    for n in ROWS {
        for missing in [0, 3, 1] {
            let a = column(&mut rng, n, (18, 4), 18, missing);
            let t = format!("{n} * ?decimal[18, 4]");
            for src in ["sum(a)", "min(a)", "max(a)"] {
                same(src, &[("a", t.as_str())], std::slice::from_ref(&a)).expect("no error");
            }
        }
        let a = column(&mut rng, n, (18, 2), 10, 0);
        let t = format!("{n} * decimal[18, 2]");
        same("sum(a)", &[("a", t.as_str())], std::slice::from_ref(&a)).expect("no error");
        let r = same("min(a)", &[("a", t.as_str())], &[a]);
        assert_eq!(r.is_err(), n == 0, "{r:?}");
    }
}

/// The programs of the stock example run from their files in a session:
/// no fallback on the JIT, the interpreter's values.
#[test]
fn file_programs_run_without_fallbacks() {
    use blaze_runtime::session::Engine;
    use blaze_runtime::Session;
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/formats");
    let stock = format!(
        "{}:var * {{name: string, open: ?decimal[18, 4], close: ?decimal[18, 4], \
         max: ?decimal[18, 4], min: ?decimal[18, 4]}}",
        data.join("stock.csv").display()
    );
    let basic = data.join("basic.parquet").display().to_string();
    let cases = [
        ("(p.min + p.max) / 2", &stock),
        ("p.close[p.name == \"GOOG\"]", &stock),
        ("p[p.name == \"GOOG\"]", &stock),
        ("p.min < p.max", &stock),
        ("max(p.close) - min(p.open)", &stock),
        ("sum(p.price)", &basic),
    ];
    for (src, input) in cases {
        let jit = Session::new()
            .eval(src, &[("p", input.as_str())], None)
            .expect("the JIT runs it");
        assert!(
            jit.report.fallbacks.is_empty(),
            "{src}: {:?}",
            jit.report.fallbacks
        );
        let interp = Session::new()
            .engine(Engine::Interp)
            .eval(src, &[("p", input.as_str())], None)
            .expect("the interpreter runs it");
        assert_eq!(jit.value.map(plain), interp.value.map(plain), "{src}");
    }
}

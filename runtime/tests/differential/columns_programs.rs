//! The cases of the column differential tests: for each family (strings,
//! decimals, ragged rows, records) random inputs with their datashapes and
//! random programs over them, drawn from the forms the language accepts
//! (docs/LANGUAGE.md 2.8–2.12). Each program says whether the JIT engine
//! promises to run it without a reference-kernel fallback: string
//! predicates and comparisons with a literal, `len` and counts of strings,
//! segmented reductions over a ragged axis, decimal arithmetic,
//! comparisons, casts and `sum min max`, and selection of dense, string
//! and decimal values — what `exec/column_plan.rs`,
//! `exec/columns_decimal.rs` and `exec/columns_select.rs` compile.

use super::columns_inputs::{
    decimal_type, decimals, index, ints, mask, ragged, row_lengths, strings, word, Elem, Ragged,
};
use super::common::Rng;
use blaze_interp::Value;

/// A program and whether it must run without fallbacks.
pub struct Program {
    /// The expression.
    pub src: String,
    /// Every node runs as a compiled kernel.
    pub compiled: bool,
}

/// Inputs with their names and datashapes, and programs over them.
pub struct Case {
    /// The family's name.
    pub family: &'static str,
    /// `(name, datashape)` of each parameter.
    pub params: Vec<(String, String)>,
    /// The values, one per parameter.
    pub inputs: Vec<Value>,
    /// The programs to run on them.
    pub programs: Vec<Program>,
    /// Whether a float32 value is involved (its float bound applies).
    pub float32: bool,
}

/// A program that must run compiled.
fn compiled(src: String) -> Program {
    Program {
        src,
        compiled: true,
    }
}

/// A program that may use reference kernels.
fn any(src: String) -> Program {
    Program {
        src,
        compiled: false,
    }
}

/// A string literal (the words hold no quotes or backslashes).
fn literal(rng: &mut Rng) -> String {
    format!("\"{}\"", word(rng))
}

/// The number of rows: mostly a few, sometimes hundreds, one case in
/// twelve more than one chunk of rows (chunk boundaries inside the data).
pub fn rows(rng: &mut Rng, chunk: usize) -> usize {
    match rng.below(12) {
        0 => chunk + rng.below(chunk / 8),
        1 | 2 => 40 + rng.below(600),
        _ => rng.below(40),
    }
}

/// `?T` when `option`, else `T`.
fn opt(option: bool, t: &str) -> String {
    if option {
        format!("?{t}")
    } else {
        t.to_string()
    }
}

/// Strings `s` (missing rows or not), `t`, a mask `m` and an index `idx`.
pub fn strings_case(rng: &mut Rng, n: usize, programs: usize) -> Case {
    let nulls = rng.chance(0.5);
    let masked = rng.chance(0.3);
    let k = rng.below(12);
    let params = vec![
        ("s".into(), format!("{n} * {}", opt(nulls, "string"))),
        ("t".into(), format!("{n} * string")),
        ("m".into(), format!("{n} * {}", opt(masked, "bool"))),
        ("idx".into(), format!("{k} * int64")),
    ];
    let inputs = vec![
        strings(rng, n, nulls),
        strings(rng, n, false),
        mask(rng, n, masked),
        index(rng, k, n, true),
    ];
    let programs = (0..programs).map(|_| string_program(rng)).collect();
    Case {
        family: "strings",
        params,
        inputs,
        programs,
        float32: false,
    }
}

fn string_program(rng: &mut Rng) -> Program {
    let l = literal(rng);
    let cmp = *rng.pick(&["==", "!=", "<", "<=", ">", ">="]);
    let pred = *rng.pick(&["startswith", "endswith", "contains"]);
    let col = *rng.pick(&["s", "t"]);
    match rng.below(29) {
        0 | 1 => compiled(format!("{col} {cmp} {l}")),
        2 => compiled(format!("{l} {cmp} {col}")),
        3 => compiled(format!("len({col})")),
        4 | 5 => compiled(format!("{pred}({col}, {l})")),
        6 => compiled(format!("sum({col} {cmp} {l})")),
        7 => compiled(format!("sum({pred}({col}, {l}))")),
        8 => compiled(format!("sum(len({col}))")),
        9 => compiled(format!("t[s {cmp} {l}]")),
        10 => compiled(format!("s[{pred}(t, {l})]")),
        11 => compiled(format!("{col}[m]")),
        12 => any(format!("s {cmp} t")),
        13 => any(format!("{}({col})", rng.pick(&["upper", "lower"]))),
        14 => any(format!("len({}({col}))", rng.pick(&["upper", "lower"]))),
        15 => any(rng.pick(&["s + t", "t + s"]).to_string()),
        16 => any(format!("{col} + {l}")),
        17 => any(format!("{}({col})", rng.pick(&["min", "max", "count"]))),
        18 => any(format!("where(s {cmp} {l}, s, {l})")),
        19 => any(format!("fillna(s, {l})")),
        20 => any(format!("{col}[idx]")),
        21 => any(format!("sum(upper({col}) == upper({l}))")),
        // Kernels over the results of other steps.
        22 => compiled(format!("sum(s {cmp} {l}) + sum(len(t))")),
        23 => compiled(format!("len({col}[m])")),
        24 => compiled(format!("{col}[m] {cmp} {l}")),
        25 => any(format!("{pred}({col}[idx], {l})")),
        26 => any(format!("len(s + {l})")),
        27 => any(format!(
            "{}({col}) {cmp} {l}",
            rng.pick(&["upper", "lower"])
        )),
        _ => any(format!("{pred}({col}, t)")),
    }
}

/// Decimals `d` (missing rows or not) and `e` of random types, a mask.
pub fn decimals_case(rng: &mut Rng, n: usize, programs: usize) -> Case {
    let nulls = rng.chance(0.5);
    let masked = rng.chance(0.3);
    let (p1, s1) = decimal_type(rng);
    let (p2, s2) = decimal_type(rng);
    let params = vec![
        (
            "d".into(),
            format!("{n} * {}", opt(nulls, &format!("decimal[{p1}, {s1}]"))),
        ),
        ("e".into(), format!("{n} * decimal[{p2}, {s2}]")),
        ("m".into(), format!("{n} * {}", opt(masked, "bool"))),
    ];
    let inputs = vec![
        decimals(rng, n, (p1, s1), nulls),
        decimals(rng, n, (p2, s2), false),
        mask(rng, n, masked),
    ];
    let (p1, s1, p2, s2) = (i32::from(p1), i32::from(s1), i32::from(p2), i32::from(s2));
    // The result types of `+ -` and `*` must fit 38 digits.
    let add_fits = (p1 - s1).max(p2 - s2) + s1.max(s2) < 38;
    let mul_fits = p1 + p2 < 38;
    // A literal below 100 is `decimal[2, 0]`.
    let literal_fits = p1.max(p2) <= 35;
    let programs = (0..programs)
        .map(|_| decimal_program(rng, add_fits, mul_fits, literal_fits))
        .collect();
    Case {
        family: "decimals",
        params,
        inputs,
        programs,
        float32: false,
    }
}

fn decimal_program(rng: &mut Rng, add_fits: bool, mul_fits: bool, literal_fits: bool) -> Program {
    let col = *rng.pick(&["d", "e"]);
    let cmp = *rng.pick(&["==", "!=", "<", "<=", ">", ">="]);
    let arith = if add_fits { *rng.pick(&["+", "-"]) } else { "" };
    match rng.below(22) {
        0 | 1 if !arith.is_empty() => compiled(format!("d {arith} e")),
        2 if mul_fits => compiled("d * e".to_string()),
        3 => compiled(format!("d {cmp} e")),
        4 => compiled(format!("{}({col})", rng.pick(&["sum", "min", "max"]))),
        5 => compiled(format!("cast({col}, float64)")),
        6 => compiled(format!(
            "cast({col}, {})",
            rng.pick(&["int64", "int32", "int8"])
        )),
        7 if !arith.is_empty() => compiled(format!("sum(d {arith} e)")),
        8 => compiled(format!("{col}[m]")),
        9 => compiled(format!("e[d {cmp} e]")),
        10 => any(format!("mean({col})")),
        11 => any(format!("{col} * 1.5")),
        12 => any(format!(
            "cast({col}, decimal[{}, {}])",
            rng.pick(&[6, 12, 38]),
            rng.pick(&[0, 2, 5])
        )),
        13 => any(format!("fillna(d, {})", rng.below(100))),
        14 if literal_fits => any(format!(
            "{col} {} {}",
            rng.pick(&["+", "*", "-"]),
            rng.below(100)
        )),
        15 => any(format!("abs(-{col})")),
        16 => compiled(format!("sum({col}[m])")),
        17 => compiled(format!("sum(e[d {cmp} e])")),
        18 if !arith.is_empty() => compiled(format!("max(d {arith} e)")),
        19 => compiled(format!("cast({col}[m], float64)")),
        20 => any(format!("cast({col}, float64) * 2.0 + 1.0")),
        _ => any(format!("where(d {cmp} e, {col}, {col})")),
    }
}

/// Ragged `x` and `y` of one element type, with the same row lengths (in
/// other physical layouts) or, one case in six, other lengths; a mask and
/// an index.
pub fn ragged_case(rng: &mut Rng, n: usize, programs: usize) -> Case {
    let t = Elem::random(rng);
    let (hx, hy) = (Ragged::random(rng, true), Ragged::random(rng, true));
    let lengths = row_lengths(rng, n, hx.null_rows);
    let other = rng.chance(1.0 / 6.0);
    let y_lengths = if other {
        row_lengths(rng, n, hy.null_rows)
    } else {
        lengths.clone()
    };
    let masked = rng.chance(0.3);
    let k = rng.below(12);
    let ty = |null: bool| format!("{n} * var * {}", opt(null, t.name()));
    let params = vec![
        ("x".into(), ty(hx.null_elements)),
        ("y".into(), ty(hy.null_elements)),
        ("m".into(), format!("{n} * {}", opt(masked, "bool"))),
        ("idx".into(), format!("{k} * int64")),
    ];
    let inputs = vec![
        ragged(rng, t, &lengths, hx),
        ragged(rng, t, &y_lengths, hy),
        mask(rng, n, masked),
        index(rng, k, n, true),
    ];
    let programs = (0..programs).map(|_| ragged_program(rng, t, n)).collect();
    Case {
        family: "ragged",
        params,
        inputs,
        programs,
        float32: t == Elem::Float32,
    }
}

/// A program over the ragged inputs of `n` rows (`keepdims`, slow on the
/// interpreter in debug builds, only up to a thousand rows).
fn ragged_program(rng: &mut Rng, t: Elem, n: usize) -> Program {
    let reduce = *rng.pick(&["sum", "prod", "min", "max", "mean", "count", "any", "all"]);
    let col = *rng.pick(&["x", "y"]);
    let axis = *rng.pick(&["1", "-1"]);
    // An elementwise expression of the type's operations.
    let elementwise = |rng: &mut Rng| -> String {
        match t {
            Elem::Bool => rng
                .pick(&["not x", "x and y", "x == y", "x or y"])
                .to_string(),
            _ => rng
                .pick(&[
                    "x * 2 + 1",
                    "x + y",
                    "x * y",
                    "x - 3",
                    "-x",
                    "abs(x)",
                    "x > 1",
                    "x == y",
                ])
                .to_string(),
        }
    };
    match rng.below(22) {
        0..=4 => compiled(format!("{reduce}({col}, axis={axis})")),
        5 => any(format!("{reduce}({col})")),
        6 | 7 => any(elementwise(rng)),
        8 => any(format!("sum({}, axis=1)", elementwise(rng))),
        9 => any(format!("{col}[:, {}]", rng.pick(&["0", "-1", "1"]))),
        10 => any(format!("flatten({col})")),
        11 => any(format!("len({col}, axis=1)")),
        12 => compiled(format!("{col}[m]")),
        13 => any(format!("{col}[idx]")),
        14 if n <= 1000 => any(format!("{reduce}({col}, axis=1, keepdims=true)")),
        15 => any(format!("{col}[:, 1:]")),
        // Segmented kernels over lists made by other steps.
        16 => compiled(format!("{reduce}({col}[m], axis=1)")),
        17 => any(format!("{reduce}({col}[idx], axis=1)")),
        18 => any(format!("{reduce}({col}[:, 1:], axis=1)")),
        19 => compiled(format!("sum({col}, axis=1) + count(y, axis=1)")),
        20 => any(format!("sum(flatten({col}))")),
        _ => any(format!("{reduce}(x, axis=1) == {reduce}(y, axis=1)")),
    }
}

/// Records `p: N * {name: string, price: ?decimal[10, 2], xs: var *
/// float64, k: int64}` and a mask.
pub fn records_case(rng: &mut Rng, n: usize, programs: usize) -> Case {
    let how = Ragged::random(rng, false);
    let lengths = row_lengths(rng, n, how.null_rows);
    let masked = rng.chance(0.3);
    let p = Value::Record(vec![
        ("name".into(), strings(rng, n, false)),
        ("price".into(), decimals(rng, n, (10, 2), true)),
        ("xs".into(), ragged(rng, Elem::Float64, &lengths, how)),
        ("k".into(), ints(rng, n)),
    ]);
    let params = vec![
        (
            "p".into(),
            format!("{n} * {{name: string, price: ?decimal[10, 2], xs: var * float64, k: int64}}"),
        ),
        ("m".into(), format!("{n} * {}", opt(masked, "bool"))),
    ];
    let programs = (0..programs).map(|_| record_program(rng)).collect();
    Case {
        family: "records",
        params,
        inputs: vec![p, mask(rng, n, masked)],
        programs,
        float32: false,
    }
}

fn record_program(rng: &mut Rng) -> Program {
    let l = literal(rng);
    let cmp = *rng.pick(&["==", "!=", "<", ">="]);
    let reduce = *rng.pick(&["sum", "max", "mean", "count", "min"]);
    match rng.below(19) {
        0 => compiled(format!("sum(p.name {cmp} {l})")),
        1 => compiled(format!("p.k[p.name {cmp} {l}]")),
        2 => compiled(format!("p.price[p.name {cmp} {l}]")),
        3 => compiled(format!("p.name[p.k > {}]", rng.below(10))),
        4 => compiled(format!("{reduce}(p.xs, axis=1)")),
        5 => compiled("sum(p.price)".to_string()),
        6 => compiled("{a: p.k + 1, n: len(p.name)}".to_string()),
        7 => compiled(format!(
            "{{name: p.name, s: {reduce}(p.xs, axis=1), big: p.price > p.price}}"
        )),
        8 => compiled("p.name[m]".to_string()),
        9 => compiled(rng.pick(&["p[p.k > 0]", "p[m].name"]).to_string()),
        10 => any("{name: p.name, mid: (p.price + p.price) / 2}".to_string()),
        11 => compiled(format!("p.xs[p.name {cmp} {l}]")),
        12 => any("{u: upper(p.name), x: p.xs * 2, k: -p.k}".to_string()),
        13 => any("{n: len(p.xs, axis=1), f: p.xs[:, 0]}".to_string()),
        14 => compiled("sum(p.price[p.k > 0])".to_string()),
        15 => compiled(format!("sum(p.name[p.k > 0] {cmp} {l})")),
        16 => compiled(format!("{reduce}(p.xs[m], axis=1)")),
        17 => compiled(format!("{{name: p.name[m], s: {reduce}(p.xs[m], axis=1)}}")),
        _ => compiled("len(p[m].name)".to_string()),
    }
}

//! Random inputs of the column differential tests, in Arrow's layout with
//! varied physical layouts: string columns (ASCII and multi-byte UTF-8,
//! empty strings, missing rows, sliced so offsets start past 0), decimal
//! columns (several precisions and scales, values at the precision's
//! limit, missing rows, sliced), ragged `N * var * T` list columns
//! (empty rows, missing elements and rows, offsets not starting at 0,
//! sliced lists and children) and records of such fields, beside the dense
//! masks, floats and indices the programs combine them with.

use super::common::Rng;
use arrow_array::{
    Array as _, ArrayRef, BooleanArray, Decimal128Array, Float32Array, Float64Array, Int32Array,
    Int64Array, ListArray, StringArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use blaze_interp::{Array, Column, Value};
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;

/// The words strings are made of (and literals drawn from): ASCII,
/// multi-byte UTF-8 of two, three and four bytes, case-mapped letters
/// whose upper case is longer (`ß`), and the empty string.
pub const WORDS: &[&str] = &[
    "",
    "GOOG",
    "AAPL",
    "goog",
    "G",
    "é",
    "ß",
    "straße",
    "€uro",
    "😀",
    "x😀y",
    "ǅ",
    "MSFT",
    "OO",
    "Ünïcödé",
    "a b",
];

/// A word of [`WORDS`], sometimes two glued together.
pub fn word(rng: &mut Rng) -> String {
    let w = rng.pick(WORDS).to_string();
    if rng.chance(0.2) {
        w + *rng.pick(WORDS)
    } else {
        w
    }
}

/// A 1-d column over `array`.
fn column(array: ArrayRef) -> Value {
    Value::Column(Column::vector(array))
}

/// How many leading slots a sliced array drops (0 for none).
fn skip(rng: &mut Rng) -> usize {
    if rng.chance(0.5) {
        1 + rng.below(3)
    } else {
        0
    }
}

/// `n` random strings, a fifth missing when `nulls`, built with extra
/// leading strings and sliced past them (offsets not starting at 0).
pub fn strings(rng: &mut Rng, n: usize, nulls: bool) -> Value {
    let lead = skip(rng);
    let v: Vec<Option<String>> = (0..n + lead)
        .map(|_| (!(nulls && rng.chance(0.2))).then(|| word(rng)))
        .collect();
    let a = StringArray::from(v).slice(lead, n);
    column(Arc::new(a))
}

/// A decimal type for an input: `(precision, scale)`.
pub fn decimal_type(rng: &mut Rng) -> (u8, i8) {
    *rng.pick(&[
        (10, 2),
        (18, 4),
        (5, 0),
        (9, 9),
        (12, 3),
        (37, 0),
        (38, 10),
        (20, 6),
    ])
}

/// `n` random `decimal[p, s]` values: small ones, and some at the limit
/// of the precision (±(10^p − 1)); a fifth missing when `nulls`; sliced.
pub fn decimals(rng: &mut Rng, n: usize, (p, s): (u8, i8), nulls: bool) -> Value {
    let lead = skip(rng);
    let limit = 10i128.pow(u32::from(p)) - 1;
    let v: Vec<Option<i128>> = (0..n + lead)
        .map(|_| {
            if nulls && rng.chance(0.2) {
                return None;
            }
            Some(match rng.below(12) {
                0 => limit,
                1 => -limit,
                2 => 0,
                3 => limit - rng.below(1000) as i128,
                _ => (rng.below(200_001) as i128 - 100_000).clamp(-limit, limit),
            })
        })
        .collect();
    let a = Decimal128Array::from(v)
        .with_precision_and_scale(p, s)
        .expect("a valid decimal type")
        .slice(lead, n);
    column(Arc::new(a))
}

/// The element type of a ragged input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Elem {
    Float64,
    Float32,
    Int32,
    Int64,
    Bool,
}

impl Elem {
    /// The blaze name of the type.
    pub fn name(self) -> &'static str {
        match self {
            Elem::Float64 => "float64",
            Elem::Float32 => "float32",
            Elem::Int32 => "int32",
            Elem::Int64 => "int64",
            Elem::Bool => "bool",
        }
    }
    /// One of the five, float64 most often.
    pub fn random(rng: &mut Rng) -> Elem {
        *rng.pick(&[
            Elem::Float64,
            Elem::Float64,
            Elem::Float32,
            Elem::Int32,
            Elem::Int64,
            Elem::Bool,
        ])
    }
}

/// How a ragged input is laid out and what it may miss.
#[derive(Clone, Copy, Debug)]
pub struct Ragged {
    /// Missing elements (the type is then `var * ?T`).
    pub null_elements: bool,
    /// Missing rows (empty rows to the language).
    pub null_rows: bool,
    /// Child elements before the first row: offsets start there.
    pub lead: usize,
    /// The list is a slice of a longer one (one row dropped at each end).
    pub slice_list: bool,
    /// The child is a slice of a longer one (offsets shifted by one).
    pub slice_child: bool,
}

impl Ragged {
    /// A random layout; missing elements only when `nullable`.
    pub fn random(rng: &mut Rng, nullable: bool) -> Ragged {
        Ragged {
            null_elements: nullable && rng.chance(0.5),
            null_rows: rng.chance(0.4),
            lead: if rng.chance(0.5) { 2 + rng.below(4) } else { 0 },
            slice_list: rng.chance(0.4),
            slice_child: rng.chance(0.4),
        }
    }
}

/// Row lengths of a ragged input: mostly 0 to 6, one row in five up to 25
/// (longer than a vector kernel's lanes), with `None` for a missing row.
/// Over a thousand rows, mostly 0 to 2 and one in fifty up to 25 (the
/// interpreter's kernels are slow in debug builds).
pub fn row_lengths(rng: &mut Rng, n: usize, null_rows: bool) -> Vec<Option<usize>> {
    let (long, short) = if n > 1000 { (0.02, 3) } else { (0.2, 7) };
    (0..n)
        .map(|_| {
            if null_rows && rng.chance(0.1) {
                None
            } else if rng.chance(long) {
                Some(rng.below(26))
            } else {
                Some(rng.below(short))
            }
        })
        .collect()
}

/// A child array of `n` random elements of `t`, the `missing` ones null.
fn child(rng: &mut Rng, t: Elem, missing: &[bool]) -> ArrayRef {
    let present = |i: usize| !missing[i];
    let n = missing.len();
    let float = |rng: &mut Rng| match rng.below(80) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => -0.0,
        _ => (rng.float(-4.0, 4.0) * 64.0).round() / 64.0,
    };
    match t {
        Elem::Float64 => Arc::new(Float64Array::from(
            (0..n)
                .map(|i| {
                    let v = float(rng);
                    present(i).then_some(v)
                })
                .collect::<Vec<_>>(),
        )),
        Elem::Float32 => Arc::new(Float32Array::from(
            (0..n)
                .map(|i| {
                    let v = float(rng) as f32;
                    present(i).then_some(v)
                })
                .collect::<Vec<_>>(),
        )),
        Elem::Int32 => Arc::new(Int32Array::from(
            (0..n)
                .map(|i| {
                    let v = rng.below(41) as i32 - 20;
                    present(i).then_some(v)
                })
                .collect::<Vec<_>>(),
        )),
        Elem::Int64 => Arc::new(Int64Array::from(
            (0..n)
                .map(|i| {
                    let v = if rng.chance(0.02) {
                        i64::MAX
                    } else {
                        rng.below(41) as i64 - 20
                    };
                    present(i).then_some(v)
                })
                .collect::<Vec<_>>(),
        )),
        Elem::Bool => Arc::new(BooleanArray::from(
            (0..n)
                .map(|i| {
                    let v = rng.chance(0.5);
                    present(i).then_some(v)
                })
                .collect::<Vec<_>>(),
        )),
    }
}

/// A ragged `List<T>` column with the given row lengths in layout `how`.
pub fn ragged(rng: &mut Rng, t: Elem, lengths: &[Option<usize>], how: Ragged) -> Value {
    // One extra row at each end when the list is sliced.
    let mut rows: Vec<Option<usize>> = Vec::with_capacity(lengths.len() + 2);
    if how.slice_list {
        rows.push(Some(2));
    }
    rows.extend_from_slice(lengths);
    if how.slice_list {
        rows.push(Some(1));
    }
    let lead = how.lead + usize::from(how.slice_child);
    let mut offsets = vec![lead as i32];
    let mut total = lead;
    for r in &rows {
        total += r.unwrap_or(0);
        offsets.push(total as i32);
    }
    let tail = 2;
    let missing: Vec<bool> = (0..total + tail)
        .map(|_| how.null_elements && rng.chance(0.2))
        .collect();
    let mut values = child(rng, t, &missing);
    if how.slice_child {
        values = values.slice(1, values.len() - 1);
        for o in &mut offsets {
            *o -= 1;
        }
    }
    let nulls = how
        .null_rows
        .then(|| NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<bool>>()));
    let field = Arc::new(Field::new("item", values.data_type().clone(), true));
    let list = ListArray::try_new(
        field,
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        values,
        nulls,
    )
    .expect("a valid list");
    let list = if how.slice_list {
        list.slice(1, lengths.len())
    } else {
        list
    };
    column(Arc::new(list))
}

/// A dense `N * bool` mask (a third true), with missing elements when
/// `nulls` (`?bool`).
pub fn mask(rng: &mut Rng, n: usize, nulls: bool) -> Value {
    let m: Vec<bool> = (0..n).map(|_| rng.chance(0.35)).collect();
    let gone: Vec<bool> = (0..n).map(|_| rng.chance(0.15)).collect();
    Value::Array {
        data: Array::Bool(ArrayD::from_shape_vec(IxDyn(&[n]), m).expect("a mask")),
        missing: nulls.then(|| ArrayD::from_shape_vec(IxDyn(&[n]), gone).expect("a mask")),
    }
}

/// A dense `N * int64` of small values.
pub fn ints(rng: &mut Rng, n: usize) -> Value {
    let v: Vec<i64> = (0..n).map(|_| rng.below(21) as i64 - 10).collect();
    Array::Int64(ArrayD::from_shape_vec(IxDyn(&[n]), v).expect("ints")).into()
}

/// A `M * int64` gather index into `n` rows, negative ones too; one in
/// ten out of range (when `n` > 0) when `bad`.
pub fn index(rng: &mut Rng, m: usize, n: usize, bad: bool) -> Value {
    let v: Vec<i64> = (0..m)
        .map(|_| {
            let n = n as i64;
            if n == 0 || (bad && rng.chance(0.1)) {
                n + rng.below(3) as i64
            } else {
                rng.below(2 * n as usize) as i64 - n
            }
        })
        .collect();
    Array::Int64(ArrayD::from_shape_vec(IxDyn(&[m]), v).expect("an index")).into()
}

/// The first rows of a value, its type and layout, for failure messages.
pub fn describe(v: &Value) -> String {
    const ROWS: usize = 12;
    match v {
        Value::Column(c) => {
            let a = &c.array;
            let shown = a.slice(0, a.len().min(ROWS));
            let layout = match a.data_type() {
                DataType::List(_) => {
                    let l = a.as_any().downcast_ref::<ListArray>().expect("a list");
                    format!(
                        "offsets from {} (child offset {}, child nulls {})",
                        l.value_offsets().first().copied().unwrap_or(0),
                        l.values().offset(),
                        l.values().null_count()
                    )
                }
                _ => format!("array offset {}", a.offset()),
            };
            format!(
                "{} rows of {}, {layout}, {} null: {shown:?}{}",
                a.len(),
                a.data_type(),
                a.null_count(),
                if a.len() > ROWS { " …" } else { "" }
            )
        }
        Value::Record(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|(n, f)| format!("\n        .{n}: {}", describe(f)))
                .collect();
            format!("record{}", parts.concat())
        }
        other => super::common::values_text(other),
    }
}

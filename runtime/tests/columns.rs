//! The compiled kernels over Arrow columns (`exec::columns`) against plain
//! Rust loops on random data: ragged reductions of every numeric type
//! (empty rows, missing elements, offsets not starting at 0, sliced lists
//! and children, missing rows) and string predicates, `len` and counts
//! (multi-byte characters, missing strings, sliced arrays), at several
//! thread counts.

use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array as _, ArrayRef, BooleanArray, ListArray, PrimitiveArray, StringArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field};
use blaze_interp::{with_array, Column, Value};
use blaze_ir::ops::{BinaryFn, ReduceFn};
use blaze_runtime::exec::columns::{
    segmented_reduce, string_count, string_map, StringOp, ROWS_PER_CHUNK,
};
use half::f16;
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
}

/// What a reduction's reference computes a row from: its present values.
trait Num: Copy + std::fmt::Debug {
    fn sum(xs: &[Self]) -> String;
    fn prod(xs: &[Self]) -> String;
    fn less(a: Self, b: Self) -> bool;
    fn is_nan(self) -> bool;
    fn truthy(self) -> bool;
    fn mean(xs: &[Self]) -> String;
}

macro_rules! int_num {
    ($t:ty, $acc:ty) => {
        impl Num for $t {
            fn sum(xs: &[Self]) -> String {
                format!(
                    "{:?}",
                    xs.iter().fold(0 as $acc, |s, &x| s.wrapping_add(x as $acc))
                )
            }
            fn prod(xs: &[Self]) -> String {
                format!(
                    "{:?}",
                    xs.iter().fold(1 as $acc, |s, &x| s.wrapping_mul(x as $acc))
                )
            }
            fn less(a: Self, b: Self) -> bool {
                a < b
            }
            fn is_nan(self) -> bool {
                false
            }
            fn truthy(self) -> bool {
                self != 0
            }
            fn mean(xs: &[Self]) -> String {
                let s = xs.iter().fold(0.0f64, |s, &x| s + x as f64);
                format!("{:?}", s / xs.len() as f64)
            }
        }
    };
}
int_num!(i8, i64);
int_num!(i16, i64);
int_num!(i32, i64);
int_num!(i64, i64);
int_num!(u8, u64);
int_num!(u16, u64);
int_num!(u32, u64);
int_num!(u64, u64);

macro_rules! float_num {
    ($t:ty, $zero:expr, $one:expr, $n:expr) => {
        impl Num for $t {
            fn sum(xs: &[Self]) -> String {
                // From the first value, as the interpreter (-0.0 stays).
                let s = match xs.split_first() {
                    Some((&first, rest)) => rest.iter().fold(first, |s, &x| s + x),
                    None => $zero,
                };
                format!("{s:?}")
            }
            fn prod(xs: &[Self]) -> String {
                format!("{:?}", xs.iter().fold($one, |s, &x| s * x))
            }
            fn less(a: Self, b: Self) -> bool {
                a < b
            }
            fn is_nan(self) -> bool {
                self.is_nan()
            }
            fn truthy(self) -> bool {
                self != $zero
            }
            fn mean(xs: &[Self]) -> String {
                let s = match xs.split_first() {
                    Some((&first, rest)) => rest.iter().fold(first, |s, &x| s + x),
                    None => $zero,
                };
                format!("{:?}", s / $n(xs.len()))
            }
        }
    };
}
float_num!(f64, 0.0f64, 1.0f64, |n: usize| n as f64);
float_num!(f32, 0.0f32, 1.0f32, |n: usize| n as f32);
float_num!(f16, f16::ZERO, f16::ONE, |n: usize| f16::from_f64(n as f64));

impl Num for bool {
    fn sum(xs: &[Self]) -> String {
        format!("{:?}", xs.iter().filter(|&&x| x).count() as i64)
    }
    fn prod(xs: &[Self]) -> String {
        format!("{:?}", i64::from(xs.iter().all(|&x| x)))
    }
    fn less(a: Self, b: Self) -> bool {
        !a & b
    }
    fn is_nan(self) -> bool {
        false
    }
    fn truthy(self) -> bool {
        self
    }
    fn mean(xs: &[Self]) -> String {
        let s = xs.iter().fold(0.0f64, |s, &x| s + f64::from(u8::from(x)));
        format!("{:?}", s / xs.len() as f64)
    }
}

/// The interpreter's `min`/`max`: the first of equal values, the first NaN.
fn extreme<T: Num>(xs: &[T], max: bool) -> Option<T> {
    let mut best: Option<T> = None;
    for &v in xs {
        match best {
            None => best = Some(v),
            Some(b) if b.is_nan() => break,
            Some(b) => {
                let better = if max { T::less(b, v) } else { T::less(v, b) };
                if v.is_nan() || better {
                    best = Some(v);
                }
            }
        }
    }
    best
}

/// The reference result of `f` over one row (`None`: a missing result).
fn reference<T: Num>(f: ReduceFn, row: Option<&[Option<T>]>) -> Option<String> {
    // A missing row is an empty row.
    let row = row.unwrap_or(&[]);
    let xs: Vec<T> = row.iter().flatten().copied().collect();
    match f {
        ReduceFn::Sum => Some(T::sum(&xs)),
        ReduceFn::Prod => Some(T::prod(&xs)),
        ReduceFn::Count => Some(format!("{:?}", xs.len() as i64)),
        ReduceFn::Any => Some(format!("{:?}", xs.iter().any(|x| x.truthy()))),
        ReduceFn::All => Some(format!("{:?}", xs.iter().all(|x| x.truthy()))),
        ReduceFn::Mean => (!xs.is_empty()).then(|| T::mean(&xs)),
        ReduceFn::Min => extreme(&xs, false).map(|v| format!("{v:?}")),
        ReduceFn::Max => extreme(&xs, true).map(|v| format!("{v:?}")),
        _ => None,
    }
}

/// A result value as text per element (`None` where missing).
fn texts(v: &Value) -> Vec<Option<String>> {
    let Value::Array { data, missing } = v else {
        panic!("not a dense array: {v:?}");
    };
    let vals: Vec<String> = with_array!(data, a => a.iter().map(|x| format!("{x:?}")).collect());
    match missing {
        Some(m) => vals
            .into_iter()
            .zip(m.iter())
            .map(|(v, &m)| (!m).then_some(v))
            .collect(),
        None => vals.into_iter().map(Some).collect(),
    }
}

/// Random ragged rows: lengths mostly 0..7, one in four up to 25 (longer
/// than a vector kernel's group of lanes), some elements missing (when `nulls`),
/// some rows missing (when `null_rows`).
fn ragged<T: Copy>(
    rng: &mut Rng,
    rows: usize,
    nulls: bool,
    null_rows: bool,
    gen: &mut dyn FnMut(&mut Rng) -> T,
) -> Vec<Option<Vec<Option<T>>>> {
    (0..rows)
        .map(|_| {
            if null_rows && rng.below(10) == 0 {
                return None;
            }
            let n = if rng.below(4) == 0 {
                rng.below(26)
            } else {
                rng.below(7)
            } as usize;
            Some(
                (0..n)
                    .map(|_| (!(nulls && rng.below(4) == 0)).then(|| gen(rng)))
                    .collect(),
            )
        })
        .collect()
}

/// A `List` column of `rows`, built over a child with `skip` leading
/// elements (so the offsets start at `skip`, and the child is a slice when
/// `slice_child`), then sliced by one row at each end when `slice_list`.
fn list_column(
    rows: &[Option<Vec<Option<ArrayRefItem>>>],
    child_of: &dyn Fn(Vec<Option<ArrayRefItem>>) -> ArrayRef,
    slice_child: bool,
    slice_list: bool,
) -> (Column, Vec<Option<Vec<Option<ArrayRefItem>>>>) {
    let skip = 3;
    let mut flat: Vec<Option<ArrayRefItem>> = vec![Some(ArrayRefItem(7)); skip];
    let mut offsets = vec![skip as i32];
    for row in rows {
        if let Some(r) = row {
            flat.extend(r.iter().copied());
        }
        offsets.push(flat.len() as i32);
    }
    flat.extend([Some(ArrayRefItem(5)), None]);
    let mut child = child_of(flat);
    if slice_child {
        // The child starts one element later; the offsets shift with it.
        child = child.slice(1, child.len() - 1);
        for o in &mut offsets {
            *o -= 1;
        }
    }
    let nulls = rows
        .iter()
        .any(|r| r.is_none())
        .then(|| NullBuffer::from(rows.iter().map(|r| r.is_some()).collect::<Vec<bool>>()));
    let field = Arc::new(Field::new("item", child.data_type().clone(), true));
    let list = ListArray::try_new(field, OffsetBuffer::new(offsets.into()), child, nulls)
        .expect("a valid list");
    let (array, kept): (ArrayRef, Vec<_>) = if slice_list && rows.len() > 2 {
        (
            Arc::new(list.slice(1, rows.len() - 2)),
            rows[1..rows.len() - 1].to_vec(),
        )
    } else {
        (Arc::new(list), rows.to_vec())
    };
    (Column::vector(array), kept)
}

/// An element before its conversion to the child's type: a random `u64`.
#[derive(Clone, Copy, Debug)]
struct ArrayRefItem(u64);

fn check_type<T: Num>(
    name: &str,
    to: fn(u64) -> T,
    child_of: fn(Vec<Option<T>>) -> ArrayRef,
    reductions: &[ReduceFn],
) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
    for (case, (nulls, null_rows, slice_child, slice_list)) in [
        (false, false, false, false),
        (true, false, false, false),
        (true, true, true, true),
        (false, false, true, true),
    ]
    .into_iter()
    .enumerate()
    {
        let rows_n = if case == 1 {
            ROWS_PER_CHUNK * 2 + 77
        } else {
            500
        };
        let raw = ragged(&mut rng, rows_n, nulls, null_rows, &mut |r| {
            ArrayRefItem(r.next())
        });
        let (col, kept) = list_column(
            &raw,
            &|flat| child_of(flat.into_iter().map(|x| x.map(|v| to(v.0))).collect()),
            slice_child,
            slice_list,
        );
        for &f in reductions {
            let want: Vec<Option<String>> = kept
                .iter()
                .map(|row| {
                    let row: Option<Vec<Option<T>>> = row
                        .as_ref()
                        .map(|r| r.iter().map(|x| x.map(|v| to(v.0))).collect());
                    reference(f, row.as_deref())
                })
                .collect();
            for threads in [Some(1), Some(3), None] {
                let got = segmented_reduce(&col, f, threads)
                    .unwrap_or_else(|e| panic!("{name} {}: {e}", f.name()));
                let got = texts(&got);
                assert_eq!(got.len(), want.len());
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(
                        g,
                        w,
                        "{name} {} case {case} row {i} threads {threads:?}: {:?}",
                        f.name(),
                        kept[i]
                            .as_ref()
                            .map(|r| r.iter().map(|x| x.map(|v| to(v.0))).collect::<Vec<_>>())
                    );
                }
            }
        }
    }
}

const ALL: [ReduceFn; 8] = [
    ReduceFn::Sum,
    ReduceFn::Prod,
    ReduceFn::Min,
    ReduceFn::Max,
    ReduceFn::Mean,
    ReduceFn::Count,
    ReduceFn::Any,
    ReduceFn::All,
];

fn prim<P: arrow_array::ArrowPrimitiveType>(xs: Vec<Option<P::Native>>) -> ArrayRef {
    Arc::new(xs.into_iter().collect::<PrimitiveArray<P>>())
}

/// A float from random bits: mostly small values, some NaN, ±0 and ±inf.
fn float(v: u64) -> f64 {
    match v % 23 {
        0 => f64::NAN,
        1 => -0.0,
        2 => 0.0,
        3 => f64::INFINITY,
        4 => f64::NEG_INFINITY,
        _ => ((v >> 8) % 2001) as f64 / 8.0 - 125.0,
    }
}

#[test]
fn segmented_reductions_of_floats_match_a_loop() {
    check_type::<f64>("float64", float, prim::<Float64Type>, &ALL);
    check_type::<f32>("float32", |v| float(v) as f32, prim::<Float32Type>, &ALL);
    check_type::<f16>(
        "float16",
        |v| f16::from_f64(float(v) / 16.0),
        prim::<Float16Type>,
        &ALL,
    );
}

#[test]
fn segmented_reductions_of_integers_match_a_loop() {
    check_type::<i8>("int8", |v| v as i8, prim::<Int8Type>, &ALL);
    check_type::<i16>("int16", |v| (v % 7) as i16 - 3, prim::<Int16Type>, &ALL);
    check_type::<i32>("int32", |v| v as i32, prim::<Int32Type>, &ALL);
    check_type::<i64>("int64", |v| v as i64, prim::<Int64Type>, &ALL);
    check_type::<u8>("uint8", |v| (v % 3) as u8, prim::<UInt8Type>, &ALL);
    check_type::<u16>("uint16", |v| v as u16, prim::<UInt16Type>, &ALL);
    check_type::<u32>("uint32", |v| v as u32, prim::<UInt32Type>, &ALL);
    check_type::<u64>("uint64", |v| v, prim::<UInt64Type>, &ALL);
}

#[test]
fn segmented_reductions_of_bools_match_a_loop() {
    check_type::<bool>(
        "bool",
        |v| v % 3 != 0,
        |xs| Arc::new(BooleanArray::from(xs)),
        &ALL,
    );
}

#[test]
fn segmented_reductions_refuse_what_they_cannot_reduce() {
    let strings = Column::vector(Arc::new(StringArray::from(vec!["a"])));
    let e = segmented_reduce(&strings, ReduceFn::Sum, None).unwrap_err();
    assert!(e.to_string().contains("list column"), "{e}");
    let child: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
    let field = Arc::new(Field::new("item", DataType::Utf8, true));
    let list = ListArray::try_new(field, OffsetBuffer::new(vec![0, 2].into()), child, None)
        .expect("a list");
    let e = segmented_reduce(&Column::vector(Arc::new(list)), ReduceFn::Sum, None).unwrap_err();
    assert!(e.to_string().contains("numbers"), "{e}");
    let nums: ArrayRef = Arc::new(PrimitiveArray::<Float64Type>::from(vec![1.0]));
    let field = Arc::new(Field::new("item", DataType::Float64, true));
    let list = ListArray::try_new(field, OffsetBuffer::new(vec![0, 1].into()), nums, None)
        .expect("a list");
    let e = segmented_reduce(&Column::vector(Arc::new(list)), ReduceFn::ArgMax, None).unwrap_err();
    assert!(e.to_string().contains("argmax"), "{e}");
}

#[test]
fn a_column_of_two_dimensions_keeps_its_shape() {
    let child: ArrayRef = Arc::new(PrimitiveArray::<Float64Type>::from(vec![
        1.0, 2.0, 3.0, 4.0, 5.0, 6.0,
    ]));
    let field = Arc::new(Field::new("item", DataType::Float64, true));
    let offsets = OffsetBuffer::new(vec![0, 1, 1, 3, 4, 6, 6].into());
    let list = ListArray::try_new(field, offsets, child, None).expect("a list");
    let col = Column::new(vec![2, 3], Arc::new(list)).expect("a column");
    let got = segmented_reduce(&col, ReduceFn::Sum, Some(2)).expect("runs");
    let Value::Array { data, missing } = got else {
        panic!("not dense")
    };
    assert!(missing.is_none());
    assert_eq!(data.shape(), &[2, 3]);
    assert_eq!(
        texts(&Value::Array {
            data,
            missing: None
        }),
        ["1.0", "0.0", "5.0", "4.0", "11.0", "0.0"]
            .map(|s| Some(s.to_string()))
            .to_vec()
    );
}

// ------------------------------------------------------------- strings

const PIECES: [&str; 8] = ["a", "b", "G", "GOOG", "é", "€", "𝄞", "ab"];
const LITERALS: [&str; 9] = ["", "a", "ab", "b", "GOOG", "é", "b€", "€𝄞", "GOOGa"];

fn random_string(rng: &mut Rng) -> String {
    let n = rng.below(4);
    (0..n).map(|_| PIECES[rng.below(8) as usize]).collect()
}

fn string_column(
    rng: &mut Rng,
    rows: usize,
    nulls: bool,
    slice: bool,
) -> (Column, Vec<Option<String>>) {
    let vals: Vec<Option<String>> = (0..rows)
        .map(|_| (!(nulls && rng.below(5) == 0)).then(|| random_string(rng)))
        .collect();
    let arr = StringArray::from(vals.clone());
    if slice && rows > 4 {
        let a: ArrayRef = Arc::new(arr.slice(3, rows - 4));
        (Column::vector(a), vals[3..rows - 1].to_vec())
    } else {
        (Column::vector(Arc::new(arr)), vals)
    }
}

fn string_ref(op: StringOp, s: &str, lit: &str) -> String {
    match op {
        StringOp::Compare(BinaryFn::Eq) => format!("{:?}", s == lit),
        StringOp::Compare(BinaryFn::Ne) => format!("{:?}", s != lit),
        StringOp::Compare(BinaryFn::Lt) => format!("{:?}", s < lit),
        StringOp::Compare(BinaryFn::Le) => format!("{:?}", s <= lit),
        StringOp::Compare(BinaryFn::Gt) => format!("{:?}", s > lit),
        StringOp::Compare(BinaryFn::Ge) => format!("{:?}", s >= lit),
        StringOp::StartsWith => format!("{:?}", s.starts_with(lit)),
        StringOp::EndsWith => format!("{:?}", s.ends_with(lit)),
        StringOp::Contains => format!("{:?}", s.contains(lit)),
        StringOp::Len => format!("{:?}", s.chars().count() as i64),
        StringOp::Compare(_) => unreachable!("not a comparison"),
    }
}

fn string_ops() -> Vec<StringOp> {
    let mut ops: Vec<StringOp> = StringOp::COMPARISONS
        .iter()
        .map(|&f| StringOp::Compare(f))
        .collect();
    ops.extend([
        StringOp::StartsWith,
        StringOp::EndsWith,
        StringOp::Contains,
        StringOp::Len,
    ]);
    ops
}

#[test]
fn string_predicates_match_rust() {
    let mut rng = Rng(42);
    for (nulls, slice, rows) in [
        (false, false, 300),
        (true, false, ROWS_PER_CHUNK + 999),
        (true, true, 300),
        (false, true, 301),
    ] {
        let (col, vals) = string_column(&mut rng, rows, nulls, slice);
        for op in string_ops() {
            for lit in LITERALS {
                let want: Vec<Option<String>> = vals
                    .iter()
                    .map(|v| v.as_ref().map(|s| string_ref(op, s, lit)))
                    .collect();
                for threads in [Some(1), Some(2)] {
                    let got = string_map(&col, op, lit, threads).expect("runs");
                    let got = texts(&got);
                    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                        assert_eq!(g, w, "{} {lit:?} row {i}: {:?}", op.name(), vals[i]);
                    }
                    assert_eq!(got.len(), want.len());
                    if op.is_predicate() {
                        let n = want.iter().filter(|w| w.as_deref() == Some("true")).count();
                        let count = string_count(&col, op, lit, threads).expect("counts");
                        assert_eq!(count, n as i64, "count {} {lit:?}", op.name());
                    }
                }
            }
        }
    }
}

#[test]
fn string_predicates_between_two_columns_match_rust() {
    let mut rng = Rng(7);
    for (nulls, slice, rows) in [
        (false, false, 300),
        (true, true, ROWS_PER_CHUNK + 999),
        (true, false, 301),
    ] {
        let (a, va) = string_column(&mut rng, rows, nulls, slice);
        let (b, vb) = string_column(&mut rng, rows, !nulls, !slice);
        let n = va.len().min(vb.len());
        let (a, b) = (
            Column::vector(a.array.slice(0, n)),
            Column::vector(b.array.slice(0, n)),
        );
        // One string compared with every row (a broadcast right operand).
        let one = Column::vector(Arc::new(StringArray::from(vec![Some("ab")])));
        for op in string_ops().into_iter().filter(|op| op.is_predicate()) {
            for (rhs, rv) in [(&b, &vb[..n]), (&one, &[Some("ab".to_string())][..])] {
                let want: Vec<Option<String>> = (0..n)
                    .map(|i| {
                        let r = if rv.len() == 1 { &rv[0] } else { &rv[i] };
                        match (&va[i], r) {
                            (Some(x), Some(y)) => Some(string_ref(op, x, y)),
                            _ => None,
                        }
                    })
                    .collect();
                for threads in [Some(1), Some(2)] {
                    let got = texts(&string_map(&a, op, rhs, threads).expect("runs"));
                    assert_eq!(got, want, "{} of two columns", op.name());
                    let count = string_count(&a, op, rhs, threads).expect("counts");
                    let n_true = want.iter().filter(|w| w.as_deref() == Some("true")).count();
                    assert_eq!(count, n_true as i64, "count {}", op.name());
                }
            }
        }
        // Columns of different lengths are refused.
        let short = Column::vector(b.array.slice(0, n - 1));
        let e = string_map(&a, StringOp::Compare(BinaryFn::Eq), &short, None).unwrap_err();
        assert!(e.to_string().contains("strings"), "{e}");
    }
}

#[test]
fn string_kernels_refuse_other_columns_and_len_has_no_count() {
    let nums = Column::vector(Arc::new(PrimitiveArray::<Float64Type>::from(vec![1.0])));
    let e = string_map(&nums, StringOp::Contains, "x", None).unwrap_err();
    assert!(e.to_string().contains("utf8"), "{e}");
    let s = Column::vector(Arc::new(StringArray::from(vec!["x"])));
    let e = string_count(&s, StringOp::Len, "", None).unwrap_err();
    assert!(e.to_string().contains("len"), "{e}");
    assert!(string_map(&s, StringOp::Compare(BinaryFn::Add), "x", None).is_err());
    // An empty column.
    let empty = Column::vector(Arc::new(StringArray::from(Vec::<&str>::new())));
    assert_eq!(
        string_count(&empty, StringOp::Contains, "x", None).expect("runs"),
        0
    );
}

// ------------------------------------------------------------- the plan

use blaze_ir::compile_expression;
use blaze_runtime::exec::{prepare, Options};

/// Runs `src` on the engine with `args` (name, datashape, value): the
/// result, the fallbacks and the plan's text.
fn engine(src: &str, args: &[(&str, &str, Value)]) -> (Value, Vec<String>, String, usize) {
    let types: Vec<(String, blaze_datashape::Datashape)> = args
        .iter()
        .map(|(n, t, _)| {
            (
                n.to_string(),
                blaze_datashape::parse(t).expect("a datashape"),
            )
        })
        .collect();
    let f = compile_expression(src, &types).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    let p = prepare(&f);
    let values: Vec<Value> = args.iter().map(|(_, _, v)| v.clone()).collect();
    let (v, report) = p
        .run(&values, &Options::default())
        .unwrap_or_else(|e| panic!("{src}: {e}"));
    (v, report.fallbacks, p.to_string(), report.kernels.len())
}

fn float_list(rows: &[Vec<Option<f64>>]) -> Column {
    let mut offsets = vec![0i32];
    let mut flat = Vec::new();
    for r in rows {
        flat.extend(r.iter().copied());
        offsets.push(flat.len() as i32);
    }
    let child: ArrayRef = Arc::new(PrimitiveArray::<Float64Type>::from(flat));
    let field = Arc::new(Field::new("item", DataType::Float64, true));
    let list =
        ListArray::try_new(field, OffsetBuffer::new(offsets.into()), child, None).expect("a list");
    Column::vector(Arc::new(list))
}

#[test]
fn the_plan_runs_ragged_reductions_as_kernels() {
    let rows = vec![
        vec![Some(1.0), Some(2.5)],
        vec![],
        vec![Some(-4.0), Some(8.0), Some(0.5)],
    ];
    let x = Value::Column(float_list(&rows));
    let (v, fallbacks, plan, kernels) =
        engine("sum(x, axis=1)", &[("x", "3 * var * float64", x.clone())]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    assert_eq!(kernels, 1);
    assert!(
        plan.contains("column kernel | segmented sum of list rows <- %0"),
        "{plan}"
    );
    assert_eq!(
        texts(&v),
        ["3.5", "0.0", "4.5"].map(|s| Some(s.to_string())).to_vec()
    );
    let (v, fallbacks, _, _) = engine("max(x, axis=1)", &[("x", "3 * var * ?float64", x.clone())]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    assert_eq!(
        texts(&v),
        vec![Some("2.5".to_string()), None, Some("8.0".to_string())]
    );
    // Of a plain type, a reduction of no values has no result.
    let ty = compile_expression(
        "max(x, axis=1)",
        &[(
            "x".into(),
            blaze_datashape::parse("3 * var * float64").expect("ds"),
        )],
    )
    .expect("checks")
    .nodes
    .last()
    .map(|n| n.ty.to_string());
    if ty.as_deref() == Some("3 * float64") {
        let types = [(
            "x".to_string(),
            blaze_datashape::parse("3 * var * float64").expect("ds"),
        )];
        let f = compile_expression("max(x, axis=1)", &types).expect("checks");
        let e = prepare(&f).run(&[x], &Options::default()).unwrap_err();
        assert!(e.to_string().contains("element 1 has no values"), "{e}");
    }
}

#[test]
fn the_plan_counts_string_matches_without_fallbacks() {
    let names = StringArray::from(vec![
        Some("GOOG"),
        Some("AAPL"),
        None,
        Some("GOOG"),
        Some("GOOGL"),
    ]);
    let prices = Value::from(blaze_interp::Array::Float64(ndarray::ArrayD::from_elem(
        ndarray::IxDyn(&[5]),
        1.0,
    )));
    let p = Value::Record(vec![
        (
            "name".to_string(),
            Value::Column(Column::vector(Arc::new(names.clone()))),
        ),
        ("price".to_string(), prices),
    ]);
    let ty = "5 * {name: ?string, price: float64}";
    let (v, fallbacks, plan, kernels) = engine("sum(p.name == \"GOOG\")", &[("p", ty, p.clone())]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    assert_eq!(kernels, 1);
    assert!(
        plan.contains("column kernel | count == of utf8 <- %0.name %2 (fuses %1 %3)"),
        "{plan}"
    );
    assert_eq!(texts(&v), vec![Some("2".to_string())]);
    // The literal first, the comparison turned around.
    let (v, fallbacks, _, _) = engine("sum(\"GOOG\" < p.name)", &[("p", ty, p.clone())]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    assert_eq!(texts(&v), vec![Some("1".to_string())]);
    // A stored predicate and `len`, with the missing string.
    let s = Value::Column(Column::vector(Arc::new(names)));
    let (v, fallbacks, _, _) = engine("startswith(s, \"GO\")", &[("s", "5 * ?string", s.clone())]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    let want = [
        Some("true"),
        Some("false"),
        None,
        Some("true"),
        Some("true"),
    ];
    assert_eq!(texts(&v), want.map(|w| w.map(String::from)).to_vec());
    let (v, fallbacks, _, _) = engine("len(s)", &[("s", "5 * ?string", s)]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    let want = [Some("4"), Some("4"), None, Some("4"), Some("5")];
    assert_eq!(texts(&v), want.map(|w| w.map(String::from)).to_vec());
}

/// Runs `src` on the engine and on the interpreter; both results as texts
/// and the engine's fallbacks.
fn both(
    src: &str,
    name: &str,
    ty: &str,
    v: &Value,
) -> (Vec<Option<String>>, Vec<Option<String>>, Vec<String>) {
    let types = [(
        name.to_string(),
        blaze_datashape::parse(ty).expect("a datashape"),
    )];
    let f = compile_expression(src, &types).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    let (got, report) = prepare(&f)
        .run(std::slice::from_ref(v), &Options::default())
        .unwrap_or_else(|e| panic!("{src} on the engine: {e}"));
    let want = blaze_interp::eval(&f, std::slice::from_ref(v))
        .unwrap_or_else(|e| panic!("{src} on the interpreter: {e}"));
    (texts(&got), texts(&want), report.fallbacks)
}

#[test]
fn ragged_reductions_agree_with_the_interpreter() {
    let mut rng = Rng(7);
    let raw = ragged(&mut rng, 3000, true, false, &mut |r| ArrayRefItem(r.next()));
    let floats = list_column(
        &raw,
        &|flat| prim::<Float64Type>(flat.into_iter().map(|x| x.map(|v| float(v.0))).collect()),
        true,
        true,
    )
    .0;
    let ints = list_column(
        &raw,
        &|flat| {
            prim::<Int32Type>(
                flat.into_iter()
                    .map(|x| x.map(|v| (v.0 % 200) as i32 - 100))
                    .collect(),
            )
        },
        false,
        false,
    )
    .0;
    let cases = [
        (
            Value::Column(floats.clone()),
            format!("{} * var * ?float64", floats.len()),
        ),
        (
            Value::Column(ints.clone()),
            format!("{} * var * ?int32", ints.len()),
        ),
    ];
    for (v, ty) in &cases {
        for f in ALL {
            let src = format!("{}(x, axis=1)", f.name());
            let (got, want, fallbacks) = both(&src, "x", ty, v);
            assert!(fallbacks.is_empty(), "{src}: {fallbacks:?}");
            assert_eq!(got.len(), want.len(), "{src} over {ty}");
            if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
                panic!(
                    "{src} over {ty}, row {i}: {:?}, the interpreter {:?}",
                    got[i], want[i]
                );
            }
        }
    }
}

#[test]
fn string_kernels_agree_with_the_interpreter() {
    let mut rng = Rng(11);
    let (col, _) = string_column(&mut rng, 2000, true, true);
    let ty = format!("{} * ?string", col.len());
    let s = Value::Column(col);
    for src in [
        "s == \"GOOG\"",
        "\"ab\" <= s",
        "s > \"b\"",
        "startswith(s, \"a\")",
        "endswith(s, \"€\")",
        "contains(s, \"bé\")",
        "len(s)",
        "sum(s == \"GOOG\")",
        "sum(contains(s, \"G\"))",
    ] {
        let (got, want, fallbacks) = both(src, "s", &ty, &s);
        assert!(fallbacks.is_empty(), "{src}: {fallbacks:?}");
        assert_eq!(got, want, "{src}");
    }
}

#[test]
fn the_plan_compares_two_string_columns_without_fallbacks() {
    let a = StringArray::from(vec![Some("GOOG"), Some("AAPL"), None, Some("b"), Some("é")]);
    let b = StringArray::from(vec![
        Some("GOOG"),
        Some("AAPLX"),
        Some("x"),
        None,
        Some("e"),
    ]);
    let p = Value::Record(vec![
        ("a".to_string(), Value::Column(Column::vector(Arc::new(a)))),
        ("b".to_string(), Value::Column(Column::vector(Arc::new(b)))),
    ]);
    let ty = "5 * {a: ?string, b: ?string}";
    let (v, fallbacks, plan, _) = engine("p.a < p.b", &[("p", ty, p.clone())]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    assert!(
        plan.contains("column kernel | < of utf8 <- %0.a %2"),
        "{plan}"
    );
    let t = |s: &str| Some(s.to_string());
    assert_eq!(
        texts(&v),
        vec![t("false"), t("true"), None, None, t("false")]
    );
    // Counted, and a predicate with a column argument.
    let (v, fallbacks, _, _) = engine("sum(p.a != p.b)", &[("p", ty, p.clone())]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    assert_eq!(texts(&v), vec![t("2")]);
    let (v, fallbacks, _, _) = engine("sum(startswith(p.b, p.a))", &[("p", ty, p.clone())]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    assert_eq!(texts(&v), vec![t("2")]);
    // A one-string parameter against every row.
    let s = Value::Column(
        Column::scalar(Arc::new(StringArray::from(vec!["AAPL"]))).expect("one string"),
    );
    let (v, fallbacks, _, _) = engine("p.a == s", &[("p", ty, p.clone()), ("s", "string", s)]);
    assert!(fallbacks.is_empty(), "{fallbacks:?}");
    assert_eq!(
        texts(&v),
        vec![t("false"), t("true"), None, t("false"), t("false")]
    );
}

//! Differential tests of heterogeneous data: random programs over string,
//! decimal, ragged and record inputs in Arrow's layout, run by the JIT
//! engine (at 1 and 3 threads) against the reference interpreter.
//!
//! Inputs (`differential/columns_inputs.rs`) vary their physical layout:
//! sliced arrays whose offsets do not start at 0, sliced list children,
//! missing rows and elements, multi-byte UTF-8 and empty strings, decimals
//! at their precision's limit; one case in ten has more rows than a chunk
//! of the column kernels ([`ROWS_PER_CHUNK`]), so chunk boundaries fall
//! inside the data. Programs (`differential/columns_programs.rs`) are
//! drawn from the forms the language accepts over them.
//!
//! Results must agree exactly for strings, decimals, integers, bools and
//! missing positions, and floats within the bound of
//! `differential/common.rs` (segmented sums and means are reassociated by
//! the vector kernels). A program one engine rejects at run time (decimal
//! overflow, rows of different lengths in an elementwise operation, an
//! index out of range) must be rejected by the other with an error, never
//! a panic. Programs of the operations the engine compiles (string
//! predicates and comparisons with a literal, ragged reductions,
//! selections, decimal arithmetic) must run without reference-kernel
//! fallbacks.
//!
//! `BLAZE_COLUMN_CASES` (default 100) sets the number of input sets per
//! family (each runs several programs) and `BLAZE_COLUMN_SEED` the seed; a
//! failure prints the seed, the case, the program and the inputs.

#[path = "differential/columns_inputs.rs"]
mod columns_inputs;
#[path = "differential/columns_programs.rs"]
mod columns_programs;
#[allow(dead_code)]
#[path = "differential/common.rs"]
mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float32Type, Float64Type};
use arrow_array::{Array as _, ArrayRef};
use arrow_schema::DataType;
use blaze_datashape::{parse, Datashape, Scalar};
use blaze_interp::{eval, kernels, Array, Value};
use blaze_ir::compile_expression;
use blaze_runtime::exec::columns::ROWS_PER_CHUNK;
use blaze_runtime::exec::{prepare, Options};
use columns_inputs as inputs;
use columns_programs as programs;
use common::{close, compare, tolerance, Rng};
use ndarray::{ArrayD, IxDyn};
use programs::Case;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Input sets per family when `BLAZE_COLUMN_CASES` is not set.
const DEFAULT_CASES: u64 = 100;
/// Programs run on each input set.
const PROGRAMS: usize = 4;
/// The largest magnitude of a finite float input.
const MAGNITUDE: f64 = 4.0;

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The float bound of the case: float32's when a float32 value is
/// involved, else float64's.
fn floor(case: &Case) -> f64 {
    if case.float32 {
        tolerance(Scalar::Float32)
    } else {
        tolerance(Scalar::Float64)
    }
}

/// `None` when the float arrays `a` and `b` hold the same values within
/// the bound (`scale` is M · n), else the first difference.
fn floats_close(a: &ArrayRef, b: &ArrayRef, tol: f64, scale: f64) -> Option<String> {
    let value = |x: &ArrayRef, i: usize| match x.as_primitive_opt::<Float64Type>() {
        Some(p) => p.value(i),
        None => f64::from(x.as_primitive::<Float32Type>().value(i)),
    };
    (0..a.len())
        .filter(|&i| a.is_valid(i))
        .find(|&i| !close(value(a, i), value(b, i), tol, tol * scale))
        .map(|i| {
            format!(
                "element {i}: jit {:e}, reference {:e}",
                value(a, i),
                value(b, i)
            )
        })
}

/// `None` when Arrow arrays `a` (the JIT's) and `b` agree: the same type,
/// length and missing slots, floats within the bound and all else exactly
/// (lists row by row, structs field by field), else the first difference.
fn arrays_agree(a: &ArrayRef, b: &ArrayRef, tol: f64, scale: f64) -> Option<String> {
    if a.data_type() != b.data_type() || a.len() != b.len() {
        return Some(format!(
            "{} of {} vs {} of {}",
            a.data_type(),
            a.len(),
            b.data_type(),
            b.len()
        ));
    }
    if let Some(i) = (0..a.len()).find(|&i| a.is_null(i) != b.is_null(i)) {
        return Some(format!(
            "slot {i} missing in {}",
            if a.is_null(i) { "jit" } else { "reference" }
        ));
    }
    if a.as_ref() == b.as_ref() {
        return None;
    }
    match a.data_type() {
        DataType::Float64 | DataType::Float32 => floats_close(a, b, tol, scale),
        DataType::List(_) => {
            let (x, y) = (a.as_list::<i32>(), b.as_list::<i32>());
            (0..a.len()).filter(|&i| a.is_valid(i)).find_map(|i| {
                arrays_agree(&x.value(i), &y.value(i), tol, scale).map(|e| format!("row {i}: {e}"))
            })
        }
        DataType::Struct(fields) => {
            let (x, y) = (a.as_struct(), b.as_struct());
            fields.iter().enumerate().find_map(|(k, f)| {
                arrays_agree(x.column(k), y.column(k), tol, scale)
                    .map(|e| format!("field {}: {e}", f.name()))
            })
        }
        _ => (0..a.len())
            .find(|&i| a.slice(i, 1).as_ref() != b.slice(i, 1).as_ref())
            .map(|i| {
                format!(
                    "slot {i}: jit {:?}, reference {:?}",
                    a.slice(i, 1),
                    b.slice(i, 1)
                )
            }),
    }
}

/// `v` with 0 under its mask (an unspecified value there), and without
/// the mask when no element is missing: the engines agree on missing
/// positions, not on whether an option result with none carries a mask.
fn unmasked(v: &Value) -> Value {
    match v {
        Value::Array {
            data,
            missing: Some(m),
        } => {
            let zero = kernels::cast(
                &Array::Bool(ArrayD::from_elem(IxDyn(&[]), false)),
                data.scalar(),
            );
            let data = kernels::fillna(data, Some(m), &zero).unwrap_or_else(|_| data.clone());
            let missing = m.iter().any(|&x| x).then(|| m.clone());
            Value::Array { data, missing }
        }
        v => v.clone(),
    }
}

/// `None` when the JIT's value agrees with the interpreter's, else how
/// they differ.
fn agree(jit: &Value, reference: &Value, tol: f64, scale: f64) -> Option<String> {
    match (jit, reference) {
        (Value::Array { .. }, Value::Array { .. }) => {
            compare(&unmasked(jit), &unmasked(reference), scale, tol)
        }
        (Value::Column(a), Value::Column(b)) => {
            if a.shape != b.shape {
                return Some(format!("shapes {:?} vs {:?}", a.shape, b.shape));
            }
            arrays_agree(&a.array, &b.array, tol, scale)
        }
        (Value::Record(a), Value::Record(b)) => {
            let names =
                |r: &[(String, Value)]| r.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
            if names(a) != names(b) {
                return Some(format!("fields {:?} vs {:?}", names(a), names(b)));
            }
            a.iter().zip(b).find_map(|((n, x), (_, y))| {
                agree(x, y, tol, scale).map(|e| format!("field {n}: {e}"))
            })
        }
        _ => (jit != reference).then(|| format!("jit {jit:?}, reference {reference:?}")),
    }
}

/// What one run gave: a value, an error, or a panic (as text).
type Outcome = Result<Value, String>;

/// Runs `f` catching a panic, which is reported as a failure.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let text = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("{what} panicked: {text}")
    })
}

/// Whether `BLAZE_COLUMN_VERBOSE` asks for both results of a failure.
fn verbose() -> bool {
    std::env::var("BLAZE_COLUMN_VERBOSE").is_ok()
}

/// Tallies for the summary printed at the end of a family.
#[derive(Default)]
struct Tally {
    programs: usize,
    compiled: usize,
    errors: usize,
    fallbacks: std::collections::BTreeMap<String, usize>,
}

/// Runs every program of `case` on both engines; `Err` with the failure
/// message at the first disagreement.
fn run_case(case: &Case, seed: u64, k: u64, tally: &mut Tally) -> Result<(), String> {
    let types: Vec<(String, Datashape)> = case
        .params
        .iter()
        .map(|(n, t)| (n.clone(), parse(t).expect("a datashape")))
        .collect();
    let context = |src: &str| {
        let mut text = format!(
            "{} case {k} of BLAZE_COLUMN_SEED={seed}: `{src}`\n",
            case.family
        );
        for ((name, ty), v) in case.params.iter().zip(&case.inputs) {
            text += &format!("    {name}: {ty} = {}\n", inputs::describe(v));
        }
        text
    };
    let tol = floor(case);
    let elements = case.inputs.iter().map(elements).max().unwrap_or(1).max(1);
    let scale = case
        .inputs
        .iter()
        .fold(MAGNITUDE, |m, v| m.max(magnitude(v)))
        * elements as f64;
    for program in &case.programs {
        let src = &program.src;
        let f = compile_expression(src, &types)
            .map_err(|e| format!("{}    does not type-check: {e}", context(src)))?;
        tally.programs += 1;
        tally.compiled += usize::from(program.compiled);
        let reference: Outcome = guarded("the interpreter", || {
            eval(&f, &case.inputs).map_err(|e| e.to_string())
        })
        .map_err(|e| format!("{}    {e}", context(src)))?;
        let prepared = prepare(&f);
        for threads in [1, 3] {
            let opts = Options {
                threads: Some(threads),
                ..Options::default()
            };
            let jit = guarded("the JIT engine", || {
                prepared.run(&case.inputs, &opts).map_err(|e| e.to_string())
            })
            .map_err(|e| format!("{}    {e}", context(src)))?;
            let problem = match (&jit, &reference) {
                (Ok((j, report)), Ok(r)) => {
                    if program.compiled && !report.fallbacks.is_empty() {
                        Some(format!("fell back on {:?}", report.fallbacks))
                    } else {
                        if threads == 1 {
                            for fb in &report.fallbacks {
                                let op = fb.split_whitespace().nth(2).unwrap_or(fb);
                                *tally.fallbacks.entry(op.to_string()).or_default() += 1;
                            }
                        }
                        agree(j, r, tol, scale)
                    }
                }
                (Err(_), Err(_)) => {
                    tally.errors += usize::from(threads == 1);
                    None
                }
                (Ok(_), Err(e)) => Some(format!("the JIT succeeded, the interpreter failed: {e}")),
                (Err(e), Ok(_)) => Some(format!("the JIT failed: {e}")),
            };
            if let (Some(_), Ok((j, _)), Ok(r), true) = (&problem, &jit, &reference, verbose()) {
                eprintln!("{src}\njit: {j:?}\nreference: {r:?}");
            }
            if let Some(p) = problem {
                return Err(format!("{}    at {threads} threads: {p}", context(src)));
            }
        }
    }
    Ok(())
}

/// The largest magnitude of a decimal in `v` (0 for other values; float
/// inputs are within [`MAGNITUDE`]).
fn magnitude(v: &Value) -> f64 {
    match v {
        Value::Column(c) => match c.array.as_primitive_opt::<Decimal128Type>() {
            Some(d) => {
                let unit = 10f64.powi(i32::from(d.scale()));
                d.iter()
                    .flatten()
                    .fold(0.0, |m, x| m.max((x as f64).abs() / unit))
            }
            None => 0.0,
        },
        Value::Record(fields) => fields.iter().fold(0.0, |m, (_, f)| m.max(magnitude(f))),
        _ => 0.0,
    }
}

/// The number of elements of a value (child elements of a list).
fn elements(v: &Value) -> usize {
    match v {
        Value::Array { data, .. } => data.len(),
        Value::Column(c) => match c.array.as_list_opt::<i32>() {
            Some(l) => l.values().len(),
            None => c.array.len(),
        },
        Value::Record(fields) => fields.iter().map(|(_, f)| elements(f)).max().unwrap_or(0),
        Value::Tuple(items) => items.iter().map(elements).max().unwrap_or(0),
    }
}

/// Runs `cases` random input sets of one family; panics with every
/// failure's message.
fn family(name: &str, salt: u64, make: fn(&mut Rng, usize, usize) -> Case) {
    let cases = env_number("BLAZE_COLUMN_CASES").unwrap_or(DEFAULT_CASES);
    let seed = env_number("BLAZE_COLUMN_SEED").unwrap_or(0x000c_01ab_1a2e);
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    let only = env_number("BLAZE_COLUMN_CASE");
    for k in 0..cases {
        if only.is_some_and(|o| o != k) {
            continue;
        }
        // Each case has its own generator: a failure reruns alone.
        let mut rng = Rng::new(seed ^ salt.wrapping_mul(0x9e37_79b9) ^ k.wrapping_mul(0x2545_f491));
        let n = programs::rows(&mut rng, ROWS_PER_CHUNK);
        let case = make(&mut rng, n, PROGRAMS);
        if let Err(e) = run_case(&case, seed, k, &mut tally) {
            failures.push(e);
            if failures.len() >= 5 {
                break;
            }
        }
    }
    eprintln!(
        "{name}: {} programs, {} promised compiled, {} rejected by both engines; fallbacks by operation: {:?}",
        tally.programs, tally.compiled, tally.errors, tally.fallbacks
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        tally.compiled > 0 && tally.programs > tally.compiled,
        "{name}: the programs cover both kinds"
    );
}

#[test]
fn strings_agree() {
    family("strings", 1, programs::strings_case);
}

#[test]
fn decimals_agree() {
    family("decimals", 2, programs::decimals_case);
}

#[test]
fn ragged_rows_agree() {
    family("ragged", 3, programs::ragged_case);
}

#[test]
fn records_agree() {
    family("records", 4, programs::records_case);
}

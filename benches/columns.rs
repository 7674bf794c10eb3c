//! Kernels over Arrow columns through the facade: the ragged reduction
//! `sum(x, axis=1)` over a `N * var * float64` list column and the string
//! count `sum(p.name == "GOOG")` over a record whose `name` is a `string`
//! column, both read in place from their Arrow buffers. The data comes
//! from `.npy` files written by `benches/columns.py` (list offsets and
//! values, string offsets and bytes), so blaze and the peers it is
//! compared with (awkward-array, pyarrow.compute) see the same values.
//! Times only the calls (best of `--repeat`), after one warm-up call that
//! compiles the kernels; prints one JSON line with the times, the results
//! (to be checked against the peers'), the kernels run and the fallbacks.
//!
//! ```text
//! cargo bench --bench columns -- --data DIR [--repeat 5] [--threads 2]
//! ```

mod common;

use arrow_array::{ArrayRef, Float64Array, ListArray, StringArray};
use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use blaze::interp::{Array, Column, Value};
use blaze::runtime::io::npy::read_npy;
use blaze::Arg;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

struct Args {
    data: String,
    repeat: usize,
    threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let flags = common::Flags::parse(&["--data", "--repeat", "--threads"])?;
    Ok(Args {
        data: flags.text("--data", "DIR")?,
        repeat: flags.count("--repeat", 5)?,
        threads: flags.count("--threads", 2)?,
    })
}

/// The elements of a 1-d `.npy` file of the given element type.
fn load<T: Clone>(
    dir: &str,
    name: &str,
    take: fn(Array) -> Option<Vec<T>>,
) -> Result<Vec<T>, String> {
    let path = Path::new(dir).join(name);
    let a = read_npy(&path).map_err(|e| e.to_string())?;
    take(a).ok_or_else(|| format!("{}: not of the expected element type", path.display()))
}

fn offsets(v: Vec<i32>) -> Result<OffsetBuffer<i32>, String> {
    if v.is_empty() || v[0] < 0 || v.windows(2).any(|w| w[0] > w[1]) {
        return Err("offsets must be non-negative and ascending".into());
    }
    Ok(OffsetBuffer::new(ScalarBuffer::from(v)))
}

fn columns(dir: &str) -> Result<(Value, Value), String> {
    let i32s = |a: Array| match a {
        Array::Int32(a) => Some(a.into_iter().collect()),
        _ => None,
    };
    let rag_offsets = offsets(load(dir, "rag_offsets.npy", i32s)?)?;
    let values = load(dir, "rag_values.npy", |a| match a {
        Array::Float64(a) => Some(a.into_iter().collect::<Vec<f64>>()),
        _ => None,
    })?;
    let child: ArrayRef = Arc::new(Float64Array::from(values));
    let field = Arc::new(Field::new("item", DataType::Float64, true));
    let list = ListArray::try_new(field, rag_offsets, child, None).map_err(|e| e.to_string())?;
    let x = Value::Column(Column::vector(Arc::new(list)));
    let str_offsets = offsets(load(dir, "str_offsets.npy", i32s)?)?;
    let bytes = load(dir, "str_data.npy", |a| match a {
        Array::UInt8(a) => Some(a.into_iter().collect::<Vec<u8>>()),
        _ => None,
    })?;
    let names = StringArray::try_new(str_offsets, Buffer::from_vec(bytes), None)
        .map_err(|e| e.to_string())?;
    let p = Value::Record(vec![(
        "name".to_string(),
        Value::Column(Column::vector(Arc::new(names))),
    )]);
    Ok((x, p))
}

/// The best of `repeat` timed calls, the last result and the report's
/// kernels and fallbacks.
fn time(
    kernel: &blaze::Kernel,
    input: &Value,
    repeat: usize,
) -> Result<(f64, Value, Vec<String>, Vec<String>), String> {
    let args = [Arg::Value(input)];
    // Warm-up: compiles the kernels.
    let (_, report) = kernel.run_with_report(&args).map_err(|e| e.to_string())?;
    let kernels = report.kernels.iter().map(|k| k.key.clone()).collect();
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let v = kernel.call(&args).map_err(|e| e.to_string())?;
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(v);
    }
    let last = last.ok_or("no run")?;
    Ok((best, last, kernels, report.fallbacks))
}

fn run() -> Result<String, String> {
    let args = parse_args()?;
    let (x, p) = columns(&args.data)?;
    let rows = match &x {
        Value::Column(c) => c.len(),
        _ => 0,
    };
    let strings = match &p {
        Value::Record(f) => match f.first() {
            Some((_, Value::Column(c))) => c.len(),
            _ => 0,
        },
        _ => 0,
    };
    let ragged = blaze::compile_expr(
        "sum(x, axis=1)",
        &[("x", &format!("{rows} * var * float64"))],
    )
    .map_err(|e| e.to_string())?
    .with_threads(args.threads);
    let count = blaze::compile_expr(
        "sum(p.name == \"GOOG\")",
        &[("p", &format!("{strings} * {{name: string}}"))],
    )
    .map_err(|e| e.to_string())?
    .with_threads(args.threads);
    let (t_ragged, sums, k_ragged, f_ragged) = time(&ragged, &x, args.repeat)?;
    let (t_count, n, k_count, f_count) = time(&count, &p, args.repeat)?;
    let checksum = match &sums {
        Value::Array {
            data: Array::Float64(a),
            ..
        } => a.iter().sum::<f64>(),
        _ => return Err("sum(x, axis=1) did not give float64".into()),
    };
    let n = match &n {
        Value::Array {
            data: Array::Int64(a),
            ..
        } => a.iter().copied().next().unwrap_or(0),
        _ => return Err("the count did not give int64".into()),
    };
    let list = |v: &[String]| {
        let items: Vec<String> = v.iter().map(|s| format!("{s:?}")).collect();
        format!("[{}]", items.join(", "))
    };
    Ok(format!(
        "{{\"ragged_sum\": {t_ragged}, \"string_count\": {t_count}, \"ragged_checksum\": {checksum}, \
         \"count\": {n}, \"ragged_kernels\": {}, \"count_kernels\": {}, \"fallbacks\": {}}}",
        list(&k_ragged),
        list(&k_count),
        list(&[f_ragged, f_count].concat())
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("columns: {e}");
            ExitCode::FAILURE
        }
    }
}

//! The cost of calling a compiled kernel from Rust through the facade:
//! `a*x + y` (a scalar `a`, arrays `x` and `y` read from `.npy` files, read
//! in place through `blaze::input`) run with `Kernel::call` (a new array,
//! moved out as an `ndarray`) and with `Kernel::call_into` (into an output
//! the caller has already touched), timing only the call. Prints one JSON
//! line of best-of-N seconds on stdout; `benches/boundaries.sh` runs it
//! beside `blaze eval`, the C ABI, a plain C loop, NumPy and numexpr.
//!
//! ```text
//! cargo bench --bench call -- --x X.npy --y Y.npy --a 2.5 [--repeat 7] [--threads 2]
//! ```

mod common;

use blaze::interp::{Array, Value};
use blaze::runtime::io::npy::read_npy;
use blaze::Arg;
use ndarray::{ArrayD, IxDyn};
use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// What the command line asks for.
struct Args {
    x: String,
    y: String,
    a: f64,
    repeat: usize,
    threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let flags = common::Flags::parse(&["--x", "--y", "--a", "--repeat", "--threads"])?;
    Ok(Args {
        x: flags.text("--x", "PATH.npy")?,
        y: flags.text("--y", "PATH.npy")?,
        a: flags.number("--a", 2.5)?,
        repeat: flags.count("--repeat", 7)?,
        threads: flags.count("--threads", 2)?,
    })
}

/// A float64 array read from a `.npy` file.
fn load(path: &str) -> Result<ArrayD<f64>, String> {
    match read_npy(Path::new(path)).map_err(|e| e.to_string())? {
        Array::Float64(a) => Ok(a),
        other => Err(format!("{path}: holds {}, not float64", other.scalar())),
    }
}

/// The best wall time of `repeat` runs of `f`, in seconds, and the last
/// result.
fn best<R>(repeat: usize, mut f: impl FnMut() -> Result<R, String>) -> Result<(f64, R), String> {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let r = black_box(f()?);
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    last.map(|r| (best, r)).ok_or_else(|| "no run".to_string())
}

fn run(args: &Args) -> Result<String, String> {
    let x = load(&args.x)?;
    let y = load(&args.y)?;
    if x.shape() != y.shape() || x.ndim() != 1 {
        return Err(format!(
            "x ({:?}) and y ({:?}) must be vectors of one length",
            x.shape(),
            y.shape()
        ));
    }
    let kernel = blaze::compile_expr(
        "a*x + y",
        &[("a", "float64"), ("x", "N * float64"), ("y", "N * float64")],
    )
    .map_err(|e| e.to_string())?
    .with_threads(args.threads);

    let a = Value::from(Array::Float64(ArrayD::from_elem(IxDyn(&[]), args.a)));
    let inputs = [Arg::Value(&a), blaze::input(&x), blaze::input(&y)];

    // The first call compiles; the timed ones find the kernel cached.
    let t = Instant::now();
    kernel.call(&inputs).map_err(|e| e.to_string())?;
    let t_first = t.elapsed().as_secs_f64();
    // A new array each call, moved out as an ndarray.
    let (t_call, fresh) = best(args.repeat, || {
        kernel
            .call(&inputs)
            .and_then(blaze::output::<f64>)
            .map_err(|e| e.to_string())
    })?;
    // Into the caller's output, touched before the timed calls.
    let mut out = ArrayD::<f64>::from_elem(x.raw_dim(), -1.0);
    let (t_call_into, _) = best(args.repeat, || {
        kernel
            .call_into(&inputs, blaze::output_view(&mut out))
            .map_err(|e| e.to_string())
    })?;
    if fresh != out {
        return Err("call and call_into differ".into());
    }

    // The result checked against a loop, and summed for the comparison
    // with the other paths.
    let n = x.len();
    let wrong = (0..n)
        .find(|&i| {
            let want = args.a * x[[i]] + y[[i]];
            (out[[i]] - want).abs() > 1e-12 * want.abs().max(1.0)
        })
        .map(|i| {
            format!(
                "element {i}: {} instead of {}",
                out[[i]],
                args.a * x[[i]] + y[[i]]
            )
        });
    if let Some(w) = wrong {
        return Err(format!("wrong result, {w}"));
    }
    let checksum: f64 = out.iter().sum();
    Ok(format!(
        "{{\"n\": {n}, \"threads\": {}, \"repeat\": {}, \
         \"first_call\": {t_first:.9}, \"call\": {t_call:.9}, \
         \"call_into\": {t_call_into:.9}, \"checksum\": {checksum:.17e}}}",
        args.threads, args.repeat
    ))
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("call bench: {e}");
            ExitCode::FAILURE
        }
    }
}

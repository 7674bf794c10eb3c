//! `blaze eval`: evaluate an expression or a definition on `.npy` inputs.

use crate::check::{compile, parse_args, Source};
use crate::Failure;
use blaze::codegen::Dumps;
use blaze::datashape::{Datashape, Dim, Measure};
use blaze::interp::{eval, format_value, Value};
use blaze::runtime::exec::{prepare, Options};
use std::path::Path;
use std::time::Instant;

/// Options of `blaze eval`.
pub(crate) struct EvalOptions {
    pub source: Source,
    pub def: Option<String>,
    pub inputs: Vec<String>,
    pub args: Vec<String>,
    pub out: Option<String>,
    pub engine: String,
    pub dump_ir: bool,
    pub emit: Vec<String>,
    pub timings: bool,
    pub repeat: usize,
    pub threads: Option<usize>,
    pub memory_limit: Option<u64>,
}

pub(crate) fn run(opts: EvalOptions) -> Result<(), Failure> {
    let jit = match opts.engine.as_str() {
        "interp" => false,
        "jit" => true,
        other => {
            eprintln!("error[usage]: unknown engine `{other}`: expected `jit` or `interp`");
            return Err(Failure);
        }
    };
    // `BLAZE_DUMP` asks for the same texts as the flags; printed here once.
    let mut dumps = Dumps::from_env();
    let dump_ir = opts.dump_ir
        || std::env::var("BLAZE_DUMP").is_ok_and(|v| v.split(',').any(|x| x.trim() == "ir"));
    for e in &opts.emit {
        match e.as_str() {
            "llvm-ir" => dumps.ir = true,
            "opt-ir" => dumps.opt_ir = true,
            "asm" => dumps.asm = true,
            other => {
                eprintln!(
                    "error[usage]: unknown `--emit {other}`: expected llvm-ir, opt-ir or asm"
                );
                return Err(Failure);
            }
        }
    }
    if opts.repeat == 0 {
        eprintln!("error[usage]: `--repeat` must be at least 1");
        return Err(Failure);
    }
    if opts.threads == Some(0) {
        eprintln!("error[usage]: `--threads` must be at least 1");
        return Err(Failure);
    }
    let t_start = Instant::now();
    // Out of core: with a memory limit, or when the inputs are larger than
    // the default one (half of the machine's memory).
    if jit {
        let want = opts.memory_limit.is_some()
            || crate::stream::inputs_exceed(&opts.inputs, crate::stream::default_limit());
        if want {
            let limit = opts
                .memory_limit
                .unwrap_or_else(crate::stream::default_limit);
            match crate::stream::prepare_streamed(&opts.source, &opts.inputs, &opts.args, limit)? {
                Ok(s) => {
                    return crate::stream::run_streamed(
                        s,
                        opts.out.as_deref(),
                        opts.threads,
                        opts.timings,
                        limit,
                        t_start,
                    )
                }
                // In memory only when the inputs take a small part of the
                // limit.
                Err(why) if crate::stream::inputs_exceed(&opts.inputs, limit / 4) => {
                    eprintln!(
                        "error[memory]: cannot run within the memory limit of {}: {why}",
                        blaze::runtime::stream::human(limit)
                    );
                    return Err(Failure);
                }
                Err(_) => {}
            }
        }
    }
    // Inputs: NAME=PATH, read whole.
    let mut named: Vec<(String, Value)> = Vec::new();
    let mut csv_types: Vec<(String, Datashape)> = Vec::new();
    for spec in &opts.inputs {
        let Some((name, path)) = spec.split_once('=') else {
            eprintln!("error[usage]: `--in {spec}`: expected NAME=PATH, as in `--in x=x.npy`");
            return Err(Failure);
        };
        if named.iter().any(|(n, _)| n == name) {
            eprintln!("error[usage]: input `{name}` is given twice");
            return Err(Failure);
        }
        if let Some((file, ty)) = crate::stream::csv_spec(path)? {
            let read =
                blaze::runtime::csv::CsvFile::open(Path::new(file), &ty).and_then(|c| c.read_all());
            match read {
                Ok(v) => {
                    let rows = match &v {
                        Value::Record(fs) => fs.first().map_or(0, |(_, f)| match f {
                            Value::Array { data, .. } => data.shape()[0],
                            _ => 0,
                        }),
                        _ => 0,
                    };
                    csv_types.push((
                        name.to_string(),
                        Datashape::new(vec![Dim::Fixed(rows as u64)], ty.measure.clone()),
                    ));
                    named.push((name.to_string(), v));
                }
                Err(e) => {
                    eprintln!("error[input]: {e}");
                    return Err(Failure);
                }
            }
            continue;
        }
        match crate::stream::read_whole(path) {
            Ok(a) => named.push((name.to_string(), Value::from(a))),
            Err(e) => {
                eprintln!("error[input]: {e}");
                return Err(Failure);
            }
        }
    }
    let mut arg_types = parse_args(&opts.args)?;
    let is_expr = matches!(opts.source, Source::Expr(_));
    if is_expr {
        // The types of inputs come from the data.
        for (name, v) in &named {
            if arg_types.iter().any(|(n, _)| n == name) {
                eprintln!("error[usage]: `{name}` has both `--in` and `--arg`; the input file gives its type");
                return Err(Failure);
            }
            if let Some((_, t)) = csv_types.iter().find(|(n, _)| n == name) {
                arg_types.push((name.clone(), t.clone()));
            } else if let Value::Array { data, .. } = v {
                let dims = data.shape().iter().map(|&n| Dim::Fixed(n as u64)).collect();
                arg_types.push((
                    name.clone(),
                    Datashape::new(dims, Measure::scalar(data.scalar())),
                ));
            }
        }
    }
    let t_parse = Instant::now();
    let checked = compile(&opts.source, if is_expr { &arg_types } else { &[] })?;
    let check_seconds = t_parse.elapsed().as_secs_f64();
    let function = match (&opts.def, is_expr) {
        (_, true) => checked.functions.first(),
        (Some(name), false) => checked.functions.iter().find(|f| &f.name == name),
        (None, false) if checked.functions.len() == 1 => checked.functions.first(),
        (None, false) => {
            let names: Vec<&str> = checked.functions.iter().map(|f| f.name.as_str()).collect();
            eprintln!(
                "error[usage]: the module defines {}; choose one with `--def NAME`",
                names.join(", ")
            );
            return Err(Failure);
        }
    };
    let Some(function) = function else {
        let names: Vec<&str> = checked.functions.iter().map(|f| f.name.as_str()).collect();
        eprintln!(
            "error[usage]: no definition `{}` in {}; it defines {}",
            opts.def.as_deref().unwrap_or(""),
            checked.origin,
            names.join(", ")
        );
        return Err(Failure);
    };
    // Inputs in parameter order.
    let mut values = Vec::new();
    for (name, _) in &function.params {
        match named.iter().find(|(n, _)| n == name) {
            Some((_, v)) => values.push(v.clone()),
            None => {
                eprintln!(
                    "error[input]: no input for `{name}`: give it with `--in {name}=PATH.npy`"
                );
                return Err(Failure);
            }
        }
    }
    for (name, _) in &named {
        if !function.params.iter().any(|(n, _)| n == name) {
            eprintln!(
                "error[usage]: input `{name}` is not used by `{}`",
                function.name
            );
            return Err(Failure);
        }
    }
    let mut execute = f64::INFINITY;
    let mut compile_seconds = 0.0;
    let mut result = None;
    let prepared = prepare(function);
    if dump_ir {
        // The JIT engine runs the function as rewritten for BLAS/LAPACK.
        if jit {
            eprintln!("{}", prepared.function());
        } else {
            eprintln!("{function}");
        }
    }
    let mut calls_printed = !dump_ir;
    let run_opts = Options {
        threads: opts.threads,
        dumps,
        print_dumps: false,
        ..Options::default()
    };
    for _ in 0..opts.repeat {
        let t = Instant::now();
        let r = if jit {
            prepared.run(&values, &run_opts).map(|(v, report)| {
                compile_seconds += report.compile_seconds;
                if !calls_printed {
                    for c in &report.calls {
                        eprintln!("; call {c}");
                    }
                    calls_printed = true;
                }
                if dumps.any() {
                    for k in &report.kernels {
                        for (want, text) in [
                            (dumps.ir, &k.ir),
                            (dumps.opt_ir, &k.opt_ir),
                            (dumps.asm, &k.asm),
                        ] {
                            if let (true, Some(text)) = (want, text) {
                                eprintln!("; kernel {} — {}\n{text}", k.name, k.key);
                            }
                        }
                    }
                }
                v
            })
        } else {
            eval(function, &values)
        };
        let seconds = t.elapsed().as_secs_f64();
        match r {
            Ok(v) => {
                execute = execute.min(seconds);
                result = Some(v);
            }
            Err(e) => {
                eprintln!("error[eval]: {e}");
                return Err(Failure);
            }
        }
        dumps = Dumps::default();
    }
    let Some(result) = result else {
        return Err(Failure);
    };
    if opts.timings {
        // The first run's compile time is not part of `execute` only when
        // repeated; `execute` is the best run.
        let total = t_start.elapsed().as_secs_f64();
        eprintln!(
            "{}",
            serde_json::json!({
                "engine": opts.engine,
                "parse": t_parse.duration_since(t_start).as_secs_f64(),
                "check": check_seconds,
                "compile": compile_seconds,
                "execute": execute,
                "repeat": opts.repeat,
                "total": total,
            })
        );
    }
    match opts.out {
        Some(path) => match result {
            Value::Array {
                data,
                missing: None,
            } => crate::stream::write_array(&path, &data),
            Value::Array {
                missing: Some(_), ..
            } => {
                eprintln!("error[output]: the result has missing values, which `.npy` cannot hold; fill them first, e.g. `where(isna(x), 0, x)`");
                Err(Failure)
            }
            _ => {
                eprintln!("error[output]: only an array result can be written to a `.npy` file; this result is a record or tuple (select one element, e.g. `qr(A)[0]`)");
                Err(Failure)
            }
        },
        None => {
            println!("{}", format_value(&result));
            Ok(())
        }
    }
}

//! `blaze eval`: evaluate an expression or a definition on `.npy` inputs.

use crate::check::{compile, parse_args, Source};
use crate::Failure;
use blaze::datashape::{Datashape, Dim, Measure};
use blaze::interp::{eval, format_value, Value};
use blaze::runtime::npy::{read_npy, write_npy};
use std::path::Path;

/// Options of `blaze eval`.
pub(crate) struct EvalOptions {
    pub source: Source,
    pub def: Option<String>,
    pub inputs: Vec<String>,
    pub args: Vec<String>,
    pub out: Option<String>,
    pub engine: String,
    pub dump_ir: bool,
}

pub(crate) fn run(opts: EvalOptions) -> Result<(), Failure> {
    match opts.engine.as_str() {
        "interp" => {}
        "jit" => {
            eprintln!("error[engine]: the JIT engine is not part of this build yet; use `--engine interp` (the reference interpreter)");
            return Err(Failure);
        }
        other => {
            eprintln!("error[usage]: unknown engine `{other}`: expected `interp` or `jit`");
            return Err(Failure);
        }
    }
    // Inputs: NAME=PATH, read whole.
    let mut named: Vec<(String, Value)> = Vec::new();
    for spec in &opts.inputs {
        let Some((name, path)) = spec.split_once('=') else {
            eprintln!("error[usage]: `--in {spec}`: expected NAME=PATH, as in `--in x=x.npy`");
            return Err(Failure);
        };
        if named.iter().any(|(n, _)| n == name) {
            eprintln!("error[usage]: input `{name}` is given twice");
            return Err(Failure);
        }
        match read_npy(Path::new(path)) {
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
            if let Value::Array { data, .. } = v {
                let dims = data.shape().iter().map(|&n| Dim::Fixed(n as u64)).collect();
                arg_types.push((
                    name.clone(),
                    Datashape::new(dims, Measure::scalar(data.scalar())),
                ));
            }
        }
    }
    let checked = compile(&opts.source, if is_expr { &arg_types } else { &[] })?;
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
    if opts.dump_ir {
        eprintln!("{function}");
    }
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
    let result = match eval(function, &values) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error[eval]: {e}");
            return Err(Failure);
        }
    };
    match opts.out {
        Some(path) => match result {
            Value::Array {
                data,
                missing: None,
            } => write_npy(Path::new(&path), &data).map_err(|e| {
                eprintln!("error[output]: {e}");
                Failure
            }),
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

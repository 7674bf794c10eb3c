//! `blaze check`: the inferred type of each definition, or of an expression.

use crate::Failure;
use blaze::datashape::{parse_module, Datashape, TypeEnv};
use blaze::ir::props::matrix_properties;
use blaze::ir::rewrite::rewrite;
use blaze::ir::{check_expression, check_program, Function};
use blaze::syntax::{parse_expression, parse_module_source, Diagnostic};
use serde_json::json;

/// Where the program comes from.
pub(crate) enum Source {
    File(String),
    Expr(String),
}

/// Parses `NAME=DATASHAPE` arguments.
pub(crate) fn parse_args(args: &[String]) -> Result<Vec<(String, Datashape)>, Failure> {
    let mut out: Vec<(String, Datashape)> = Vec::new();
    let mut env = TypeEnv::new();
    for a in args {
        let Some((name, ds)) = a.split_once('=') else {
            eprintln!(
                "error[usage]: `--arg {a}`: expected NAME=DATASHAPE, as in `--arg 'x=3 * int32'`"
            );
            return Err(Failure);
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            eprintln!("error[usage]: `--arg {a}`: `{name}` is not a valid name");
            return Err(Failure);
        }
        if out.iter().any(|(n, _)| n == name) {
            eprintln!("error[usage]: `--arg {name}` is given twice");
            return Err(Failure);
        }
        match parse_module(ds, &mut env) {
            Ok(m) => match m.datashape {
                Some(p) => out.push((name.to_string(), env.expand(&p.datashape))),
                None => {
                    eprintln!("error[usage]: `--arg {a}`: expected a datashape after `=`");
                    return Err(Failure);
                }
            },
            Err(e) => {
                eprint!("{}", e.render(ds, &format!("--arg {name}")));
                return Err(Failure);
            }
        }
    }
    Ok(out)
}

pub(crate) fn read_source(src: &Source) -> Result<(String, String), Failure> {
    match src {
        Source::Expr(e) => Ok((e.clone(), "<expression>".to_string())),
        Source::File(path) => match std::fs::read_to_string(path) {
            Ok(text) => Ok((text, path.clone())),
            Err(e) => {
                eprintln!("error[io]: cannot read `{path}`: {e}");
                Err(Failure)
            }
        },
    }
}

/// A checked program: the functions and the source they came from.
pub(crate) struct Checked {
    pub functions: Vec<Function>,
    pub text: String,
    pub origin: String,
}

pub(crate) fn compile(src: &Source, args: &[(String, Datashape)]) -> Result<Checked, Failure> {
    let (text, origin) = read_source(src)?;
    let report = |d: Diagnostic| {
        eprint!("{}", d.render(&text, &origin));
        Failure
    };
    let functions = match src {
        Source::Expr(_) => {
            let e = parse_expression(&text).map_err(report)?;
            vec![check_expression(&e, args, &TypeEnv::new(), &text).map_err(report)?]
        }
        Source::File(_) => {
            if !args.is_empty() {
                eprintln!("error[usage]: `--arg` gives the types of an expression's names; a module's definitions declare their own");
                return Err(Failure);
            }
            let m = parse_module_source(&text).map_err(report)?;
            check_program(&m, &text).map_err(report)?.functions
        }
    };
    Ok(Checked {
        functions,
        text,
        origin,
    })
}

pub(crate) fn run(
    src: Source,
    args: &[String],
    as_json: bool,
    dump_ir: bool,
) -> Result<(), Failure> {
    let args = parse_args(args)?;
    let is_expr = matches!(src, Source::Expr(_));
    let checked = compile(&src, &args)?;
    if dump_ir {
        for f in &checked.functions {
            eprintln!("{f}");
            let r = rewrite(f);
            if r != *f {
                eprintln!("; rewritten for BLAS/LAPACK (what the JIT engine runs):\n{r}");
            }
        }
    }
    if as_json {
        let items: Vec<serde_json::Value> = checked
            .functions
            .iter()
            .map(|f| {
                let props = matrix_properties(f);
                let nodes: Vec<serde_json::Value> = props
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !p.names().is_empty())
                    .map(|(i, p)| json!({"node": format!("%{i}"), "properties": p.names()}))
                    .collect();
                json!({
                    "name": f.name,
                    "params": f.params.iter().map(|(n, t)| json!({"name": n, "type": t.to_string()})).collect::<Vec<_>>(),
                    "type": f.result_type().to_string(),
                    "datashape": f.result_type(),
                    "properties": props[f.root.index()].names(),
                    "node_properties": nodes,
                })
            })
            .collect();
        if is_expr {
            println!("{}", items.first().cloned().unwrap_or_default());
        } else {
            println!("{}", json!({ "definitions": items }));
        }
    } else if is_expr {
        for f in &checked.functions {
            println!("{}", f.result_type());
        }
    } else {
        for f in &checked.functions {
            let ps: Vec<String> = f.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            println!("{}({}) -> {}", f.name, ps.join(", "), f.result_type());
        }
    }
    let _ = (&checked.text, &checked.origin);
    Ok(())
}

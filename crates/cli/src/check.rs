//! `blaze check`: the inferred type of each definition, or of an
//! expression; and the command-line pieces every command that takes a
//! program shares: reading it, parsing `--arg` types.

use crate::error::CliError;
use blaze::datashape::{parse_module, Datashape, TypeEnv};
use blaze::ir::props::matrix_properties;
use blaze::ir::rewrite::rewrite;
use blaze::runtime::session::{check, Program};
use serde_json::json;

/// The program of a command: the expression of `-e`, or the module in
/// `FILE.blz` (read now) with the definition of `--def`.
pub(crate) fn program(
    file: Option<String>,
    expr: Option<String>,
    def: Option<String>,
) -> Result<Program, CliError> {
    match (file, expr) {
        (_, Some(e)) => Ok(Program::Expr(e)),
        (Some(path), None) => match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Program::Module {
                text,
                origin: path,
                def,
            }),
            Err(error) => Err(CliError::Read { path, error }),
        },
        (None, None) => Ok(Program::Expr(String::new())),
    }
}

/// Parses `NAME=DATASHAPE` arguments.
pub(crate) fn parse_args(args: &[String]) -> Result<Vec<(String, Datashape)>, CliError> {
    let mut out: Vec<(String, Datashape)> = Vec::new();
    let mut env = TypeEnv::new();
    for a in args {
        let Some((name, ds)) = a.split_once('=') else {
            return Err(CliError::Usage(format!(
                "`--arg {a}`: expected NAME=DATASHAPE, as in `--arg 'x=3 * int32'`"
            )));
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(CliError::Usage(format!(
                "`--arg {a}`: `{name}` is not a valid name"
            )));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(CliError::Usage(format!("`--arg {name}` is given twice")));
        }
        match parse_module(ds, &mut env) {
            Ok(m) => match m.datashape {
                Some(p) => out.push((name.to_string(), env.expand(&p.datashape))),
                None => {
                    return Err(CliError::Usage(format!(
                        "`--arg {a}`: expected a datashape after `=`"
                    )))
                }
            },
            Err(e) => return Err(CliError::Rendered(e.render(ds, &format!("--arg {name}")))),
        }
    }
    Ok(out)
}

pub(crate) fn run(
    program: Program,
    args: &[String],
    as_json: bool,
    dump_ir: bool,
) -> Result<(), CliError> {
    let args = parse_args(args)?;
    let is_expr = program.is_expr();
    let functions = check(&program, &args)?;
    if dump_ir {
        for f in &functions {
            errln!("{f}");
            let r = rewrite(f);
            if r != *f {
                errln!("; rewritten for BLAS/LAPACK (what the JIT engine runs):\n{r}");
            }
        }
    }
    if as_json {
        let items: Vec<serde_json::Value> = functions
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
            outln!("{}", items.first().cloned().unwrap_or_default());
        } else {
            outln!("{}", json!({ "definitions": items }));
        }
    } else if is_expr {
        for f in &functions {
            outln!("{}", f.result_type());
        }
    } else {
        for f in &functions {
            let ps: Vec<String> = f.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            outln!("{}({}) -> {}", f.name, ps.join(", "), f.result_type());
        }
    }
    Ok(())
}

//! `--arg NAME=VALUE` of `eval`, `explain` and `graph`: a scalar literal
//! (a number, `true`/`false`, a quoted string, `na`) bound to a parameter
//! of the program, so that only arrays come from files.
//!
//! An expression's free names are its parameters: the value is bound with
//! `let NAME = VALUE in (EXPR)`. A definition of a module becomes a new
//! definition, `__blaze_args`, whose parameters are the definition's
//! others (same names, same types) and whose body is the definition's with
//! the values bound by `let` (a number cast to its parameter's type).

use crate::error::CliError;
use blaze::runtime::session::Program;
use blaze::syntax::ast::{ExprKind, UnaryOp};
use blaze::syntax::{parse_expression, parse_module_source};

/// The definition that calls the chosen one with the bound values.
const ENTRY: &str = "__blaze_args";

/// One `--arg NAME=VALUE`: the name and the literal's text.
fn parse_one(arg: &str) -> Result<(String, String), CliError> {
    let Some((name, value)) = arg.split_once('=') else {
        return Err(CliError::Usage(format!(
            "`--arg {arg}`: expected NAME=VALUE, as in `--arg alpha=2.5`"
        )));
    };
    let name = name.trim();
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(CliError::Usage(format!(
            "`--arg {arg}`: `{name}` is not a valid name"
        )));
    }
    let literal = parse_expression(value).ok().is_some_and(|e| match &e.kind {
        ExprKind::Unary(UnaryOp::Neg | UnaryOp::Pos, inner) => matches!(
            inner.kind,
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Imag(_)
        ),
        k => matches!(
            k,
            ExprKind::Int(_)
                | ExprKind::Float(_)
                | ExprKind::Imag(_)
                | ExprKind::Bool(_)
                | ExprKind::Str(_)
                | ExprKind::Na
        ),
    });
    if !literal {
        return Err(CliError::Usage(format!(
            "`--arg {arg}`: `{value}` is not a scalar value (a number, true, false, a quoted string or na); give arrays with `--in {name}=PATH`"
        )));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// Whether `value` (a checked literal) is a number or a boolean, which
/// take the type of the parameter they are bound to.
fn is_number(value: &str) -> bool {
    parse_expression(value)
        .ok()
        .is_some_and(|e| !matches!(e.kind, ExprKind::Str(_) | ExprKind::Na))
}

/// `program` with the values of `args` bound; `inputs` are the names given
/// with `--in`, which may not be bound twice.
pub(crate) fn bind_values(
    program: &Program,
    args: &[String],
    inputs: &[String],
) -> Result<Program, CliError> {
    let mut values: Vec<(String, String)> = Vec::new();
    for a in args {
        let (name, value) = parse_one(a)?;
        if values.iter().any(|(n, _)| *n == name) {
            return Err(CliError::Usage(format!("`--arg {name}` is given twice")));
        }
        if inputs
            .iter()
            .any(|i| i.split_once('=').is_some_and(|(n, _)| n.trim() == name))
        {
            return Err(CliError::Usage(format!(
                "`{name}` is given both with `--in` and with `--arg`"
            )));
        }
        values.push((name, value));
    }
    if values.is_empty() {
        return Ok(program.clone());
    }
    match program {
        Program::Expr(e) => {
            // Errors of the expression itself are shown in its own text.
            if let Err(d) = parse_expression(e) {
                return Err(CliError::Rendered(d.render(e, "<expression>")));
            }
            let mut text = String::new();
            for (name, value) in &values {
                text.push_str(&format!("let {name} = {value} in "));
            }
            text.push_str(&format!("({e}\n)"));
            Ok(Program::Expr(text))
        }
        Program::Module { text, origin, def } => {
            let module = parse_module_source(text)
                .map_err(|d| CliError::Rendered(d.render(text, origin)))?;
            let names = || {
                module
                    .defs
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let chosen = match def {
                Some(n) => module.defs.iter().find(|d| &d.name == n),
                None if module.defs.len() == 1 => module.defs.first(),
                None => {
                    return Err(CliError::Usage(format!(
                        "{origin} defines {}; choose one with `--def NAME`",
                        names()
                    )))
                }
            };
            let Some(f) = chosen else {
                return Err(CliError::Usage(format!(
                    "no definition `{}` in {origin}; it defines {}",
                    def.as_deref().unwrap_or(""),
                    names()
                )));
            };
            for (name, _) in &values {
                if !f.params.iter().any(|p| &p.name == name) {
                    let ps: Vec<&str> = f.params.iter().map(|p| p.name.as_str()).collect();
                    return Err(CliError::Usage(format!(
                        "`--arg {name}`: `{}` has no parameter `{name}`; its parameters are {}",
                        f.name,
                        ps.join(", ")
                    )));
                }
            }
            let span = |sp: blaze::datashape::Span| text.get(sp.start..sp.end);
            let mut params = Vec::new();
            let mut lets = String::new();
            for p in &f.params {
                let ty = span(p.ty_span)
                    .map(str::to_string)
                    .unwrap_or_else(|| p.ty.to_string());
                match values.iter().find(|(n, _)| *n == p.name) {
                    // A number takes the parameter's type, as a value passed
                    // for it would.
                    Some((_, v)) if is_number(v) => {
                        lets.push_str(&format!("let {} = cast({v}, {ty}) in ", p.name))
                    }
                    Some((_, v)) => lets.push_str(&format!("let {} = {v} in ", p.name)),
                    None => params.push(format!("{}: {ty}", p.name)),
                }
            }
            let ret = f
                .ret
                .as_ref()
                .and_then(|(_, sp)| span(*sp))
                .map(|r| format!(" -> {r}"))
                .unwrap_or_default();
            let body = span(f.body.span).unwrap_or_default();
            let wrapped = format!(
                "{text}\ndef {ENTRY}({}){ret} =\n    {lets}(\n{body}\n)\n",
                params.join(", "),
            );
            Ok(Program::Module {
                text: wrapped,
                origin: origin.clone(),
                def: Some(ENTRY.to_string()),
            })
        }
    }
}

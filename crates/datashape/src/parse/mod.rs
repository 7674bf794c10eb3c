//! Parsing: pest grammar (`grammar/datashape.pest`) → lowering into
//! [`Datashape`] values with every check that needs context: which terms are
//! dimensions, which names are builtin, defined or type variables, constructor
//! arguments, definitions and their arity, recursion, duplicate fields,
//! separators.
//!
//! Nothing here panics on any input; every rejection is an [`Error`] with a
//! span.
//!
//! This module has the entry points; `syntax_error` words pest's errors,
//! `names` knows the builtin names, `defs` holds a module's definitions
//! before lowering, `lower` lowers datashapes and dimensions, `measure`
//! the measures, `ctor` constructor arguments, `pairs` reads small parts
//! of the parse tree.

use crate::env::{TypeDef, TypeEnv};
use crate::error::{Error, ErrorKind, Span};
use crate::types::{Datashape, Dim, Encoding, Measure, Scalar, TimeUnit, TypeArg};
use pest::iterators::Pair;
use pest::Parser as _;
use std::collections::HashMap;

mod ctor;
mod defs;
mod lower;
mod measure;
mod names;
mod pairs;
mod syntax_error;

use defs::*;
use lower::*;
use names::*;
use pairs::*;
use syntax_error::*;

pub use syntax_error::pest_error_message;

#[derive(pest_derive::Parser)]
#[grammar = "../../../grammar/datashape.pest"]
struct DsParser;

/// A parsed datashape with the spans of its parts, for error reporting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The datashape.
    pub datashape: Datashape,
    /// The span of each dimension, in order.
    pub dim_spans: Vec<Span>,
    /// The span of the measure.
    pub measure_span: Span,
    /// The span of the whole datashape.
    pub span: Span,
}

/// The result of [`parse_module`]: the definitions it added and the
/// datashape that ended it, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// Names defined by the module, in source order.
    pub defined: Vec<String>,
    /// The trailing datashape.
    pub datashape: Option<Parsed>,
}

/// Parses one datashape with no type definitions in scope.
///
/// ```
/// let ds = blaze_datashape::parse("3, 2, Var(10), int32").unwrap();
/// assert_eq!(ds.to_string(), "3 * 2 * var[10] * int32");
/// assert!(blaze_datashape::parse("5 * 3").is_err());
/// ```
pub fn parse(src: &str) -> Result<Datashape, Error> {
    parse_with(src, &TypeEnv::new()).map(|p| p.datashape)
}

/// Parses one datashape whose names may refer to the definitions in `env`.
pub fn parse_with(src: &str, env: &TypeEnv) -> Result<Parsed, Error> {
    crate::check_nesting(src, crate::MAX_NESTING)?;
    crate::with_parser_stack(|| parse_with_checked(src, env))
}

fn parse_with_checked(src: &str, env: &TypeEnv) -> Result<Parsed, Error> {
    let mut pairs =
        DsParser::parse(Rule::datashape_input, src).map_err(|e| syntax_error(e, src))?;
    let top = first_inner(pairs.next(), src)?;
    let mut lower = Lower::new(env);
    lower.datashape(top)
}

/// Parses a module: type definitions followed by at most one datashape.
/// Definitions may refer to each other in any order. On success they are
/// added to `env`; on error `env` is left as it was.
///
/// ```
/// use blaze_datashape::{parse_module, TypeEnv};
/// let mut env = TypeEnv::new();
/// parse_module("type RGBA = {r: uint8, g: uint8, b: uint8, a: uint8}", &mut env).unwrap();
/// let m = parse_module("800 * 600 * RGBA", &mut env).unwrap();
/// assert_eq!(m.datashape.unwrap().datashape.to_string(), "800 * 600 * RGBA");
/// assert!(parse_module("type T = 3 * T", &mut env).is_err());
/// ```
pub fn parse_module(src: &str, env: &mut TypeEnv) -> Result<Module, Error> {
    crate::check_nesting(src, crate::MAX_NESTING)?;
    crate::with_parser_stack(|| parse_module_checked(src, env))
}

fn parse_module_checked(src: &str, env: &mut TypeEnv) -> Result<Module, Error> {
    let mut pairs = DsParser::parse(Rule::module_input, src).map_err(|e| {
        let module_err = syntax_error(e, src);
        // Text without definitions is better explained by the datashape
        // grammar alone, when that gets at least as far.
        match DsParser::parse(Rule::datashape_input, src) {
            Err(e) => {
                let ds_err = syntax_error(e, src);
                if ds_err.span.start >= module_err.span.start {
                    ds_err
                } else {
                    module_err
                }
            }
            Ok(_) => module_err,
        }
    })?;
    let module = pairs
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Syntax, "empty input", Span::new(0, 0)))?;

    let mut pending: Vec<Pending> = Vec::new();
    let mut top: Option<Pair<Rule>> = None;
    for item in module.into_inner() {
        match item.as_rule() {
            Rule::typedef => pending.push(Pending::read(item)?),
            Rule::datashape_top => top = Some(item),
            _ => {}
        }
    }

    // Names must be new: not builtin, not already defined, not twice here.
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, p) in pending.iter().enumerate() {
        if is_reserved(&p.name) {
            return Err(Error::new(
                ErrorKind::Redefinition,
                format!("`{}` is a builtin name and cannot be redefined", p.name),
                p.name_span,
            ));
        }
        if env.get(&p.name).is_some() || index.contains_key(&p.name) {
            return Err(Error::new(
                ErrorKind::Redefinition,
                format!("`{}` is already defined", p.name),
                p.name_span,
            ));
        }
        index.insert(p.name.clone(), i);
    }

    let mut scratch = env.clone();
    {
        let mut lower = Lower::new(env);
        lower.states = vec![State::NotStarted; pending.len()];
        lower.module = Some(ModuleDefs {
            pending: &pending,
            index: &index,
        });
        for i in 0..pending.len() {
            lower.define(i)?;
        }
        for p in &pending {
            if let Some(def) = lower.local.remove(&p.name) {
                scratch.insert(def);
            }
        }
    }
    let datashape = match top {
        Some(top) => Some(Lower::new(&scratch).datashape(top)?),
        None => None,
    };
    *env = scratch;
    Ok(Module {
        defined: pending.iter().map(|p| p.name.clone()).collect(),
        datashape,
    })
}

//! Parsing: pest grammar (`grammar/datashape.pest`) → lowering into
//! [`Datashape`] values with every check that needs context: which terms are
//! dimensions, which names are builtin, defined or type variables, constructor
//! arguments, definitions and their arity, recursion, duplicate fields,
//! separators.
//!
//! Nothing here panics on any input; every rejection is an [`Error`] with a
//! span.

use crate::env::{TypeDef, TypeEnv};
use crate::error::{Error, ErrorKind, Span};
use crate::types::{Datashape, Dim, Encoding, Measure, Scalar, TimeUnit, TypeArg};
use pest::iterators::Pair;
use pest::Parser as _;
use std::collections::HashMap;

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

// ------------------------------------------------------------------ syntax errors

fn syntax_error(e: pest::error::Error<Rule>, src: &str) -> Error {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let (found, span) = token_at(src, pos);
    let message = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut wanted: Vec<&str> = Vec::new();
            for d in positives.iter().filter_map(|r| describe(*r)) {
                if !wanted.contains(&d) {
                    wanted.push(d);
                }
            }
            match wanted.len() {
                0 => format!("unexpected {found}"),
                1 => format!("expected {}, found {found}", wanted[0]),
                n => format!(
                    "expected {} or {}, found {found}",
                    wanted[..n - 1].join(", "),
                    wanted[n - 1]
                ),
            }
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    Error::new(ErrorKind::Syntax, message, span)
}

fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of input",
        Rule::star => "`*`",
        Rule::comma | Rule::trailing_comma => "`,`",
        Rule::arrow => "`->`",
        Rule::rbrace => "`}`",
        Rule::rparen => "`)`",
        Rule::rbracket => "`]`",
        Rule::colon => "`:`",
        Rule::equals => "`=`",
        Rule::field | Rule::field_name => "a record field",
        Rule::quoted | Rule::sq_chars | Rule::dq_chars => "a quoted string",
        Rule::kwarg_name | Rule::ctor_arg => "an argument",
        Rule::typedef | Rule::kw_type | Rule::def_name => "a type definition",
        Rule::def_param => "a parameter name",
        Rule::integer => "an integer",
        // Optional continuations that are rarely what was meant.
        Rule::ctor_brackets
        | Rule::ctor_parens
        | Rule::type_arg
        | Rule::arg_name
        | Rule::arg_option
        | Rule::arg_paren => return None,
        _ => "a dimension or measure",
    })
}

/// The token at `pos` for "found …" and its span.
fn token_at(src: &str, pos: usize) -> (String, Span) {
    let pos = pos.min(src.len());
    let rest = src.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return ("end of input".to_string(), Span::new(pos, pos));
    };
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    let tok = &rest[..len];
    let shown = if tok == "\n" {
        "end of line".to_string()
    } else if tok.chars().any(char::is_control) {
        format!("`{}`", tok.escape_debug())
    } else {
        format!("`{tok}`")
    };
    (shown, Span::new(pos, pos + len))
}

fn first_inner<'i>(pair: Option<Pair<'i, Rule>>, _src: &str) -> Result<Pair<'i, Rule>, Error> {
    pair.and_then(|p| p.into_inner().next())
        .ok_or_else(|| Error::new(ErrorKind::Syntax, "empty input", Span::new(0, 0)))
}

// ------------------------------------------------------------------ names

const SCALAR_NAMES: &[(&str, Scalar)] = &[
    ("bool", Scalar::Bool),
    ("int8", Scalar::Int8),
    ("int16", Scalar::Int16),
    ("int32", Scalar::Int32),
    ("int64", Scalar::Int64),
    ("uint8", Scalar::UInt8),
    ("uint16", Scalar::UInt16),
    ("uint32", Scalar::UInt32),
    ("uint64", Scalar::UInt64),
    ("float16", Scalar::Float16),
    ("float32", Scalar::Float32),
    ("float64", Scalar::Float64),
    ("complex64", Scalar::Complex64),
    ("complex128", Scalar::Complex128),
    ("int", Scalar::Int32),
    ("real", Scalar::Float64),
    #[cfg(target_pointer_width = "64")]
    ("intptr", Scalar::Int64),
    #[cfg(target_pointer_width = "64")]
    ("uintptr", Scalar::UInt64),
    #[cfg(target_pointer_width = "32")]
    ("intptr", Scalar::Int32),
    #[cfg(target_pointer_width = "32")]
    ("uintptr", Scalar::UInt32),
];

/// Names with builtin meaning that no definition may take.
const RESERVED: &[&str] = &[
    "complex",
    "string",
    "bytes",
    "date",
    "time",
    "datetime",
    "timedelta",
    "decimal",
    "void",
    "null",
    "var",
    "Var",
    "Record",
    "Either",
    "na",
    "type",
];

fn scalar_named(name: &str) -> Option<Scalar> {
    SCALAR_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, s)| s)
}

fn is_reserved(name: &str) -> bool {
    scalar_named(name).is_some() || RESERVED.contains(&name)
}

fn is_type_var_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

// ------------------------------------------------------------------ definitions

/// A definition read from the source, not yet lowered.
struct Pending<'i> {
    name: String,
    name_span: Span,
    params: Vec<String>,
    body: Pair<'i, Rule>,
}

impl<'i> Pending<'i> {
    fn read(def: Pair<'i, Rule>) -> Result<Self, Error> {
        let mut name = None;
        let mut params: Vec<String> = Vec::new();
        let mut body = None;
        for part in def.into_inner() {
            match part.as_rule() {
                Rule::def_name => {
                    name = Some((part.as_str().to_string(), Span::of(part.as_span())))
                }
                Rule::def_param => {
                    let p = part.as_str().to_string();
                    if params.contains(&p) {
                        return Err(Error::new(
                            ErrorKind::Redefinition,
                            format!("parameter `{p}` appears twice"),
                            Span::of(part.as_span()),
                        ));
                    }
                    if is_reserved(&p) {
                        return Err(Error::new(
                            ErrorKind::Redefinition,
                            format!("`{p}` is a builtin name and cannot be a parameter"),
                            Span::of(part.as_span()),
                        ));
                    }
                    params.push(p);
                }
                Rule::datashape_top => body = Some(part),
                _ => {}
            }
        }
        match (name, body) {
            (Some((name, name_span)), Some(body)) => Ok(Pending {
                name,
                name_span,
                params,
                body,
            }),
            _ => Err(Error::new(
                ErrorKind::Syntax,
                "incomplete type definition",
                Span::new(0, 0),
            )),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    InProgress,
    Done,
}

struct ModuleDefs<'a, 'i> {
    pending: &'a [Pending<'i>],
    index: &'a HashMap<String, usize>,
}

// ------------------------------------------------------------------ lowering

/// Which separator a top-level datashape uses between its dimensions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spelling {
    Star,
    Comma,
}

struct Lower<'a, 'i> {
    env: &'a TypeEnv,
    /// Definitions of the module being parsed (forward references allowed).
    module: Option<ModuleDefs<'a, 'i>>,
    /// Definitions of this module lowered so far.
    local: HashMap<String, TypeDef>,
    /// Parameters of the definition whose body is being lowered.
    params: Vec<String>,
    /// For definitions referred to before they are lowered.
    states: Vec<State>,
}

/// One argument inside `[...]` or `(...)` of a constructor.
struct CtorArg<'i> {
    key: Option<(String, Span)>,
    value: CtorValue<'i>,
    span: Span,
}

enum CtorValue<'i> {
    Quoted(String),
    Ds(Pair<'i, Rule>),
}

impl<'a, 'i> Lower<'a, 'i> {
    fn new(env: &'a TypeEnv) -> Self {
        Lower {
            env,
            module: None,
            local: HashMap::new(),
            params: Vec::new(),
            states: Vec::new(),
        }
    }

    fn lookup(&self, name: &str) -> Option<&TypeDef> {
        self.local.get(name).or_else(|| self.env.get(name))
    }

    /// Lowers definition `i` of the module; definitions its body refers to
    /// are lowered first (so forward references work and cycles are found).
    fn define(&mut self, i: usize) -> Result<(), Error> {
        if self.states[i] != State::NotStarted {
            return Ok(());
        }
        self.states[i] = State::InProgress;
        let Some(m) = self.module.as_ref() else {
            return Ok(());
        };
        let p = &m.pending[i];
        let (name, params, body) = (p.name.clone(), p.params.clone(), p.body.clone());
        let saved = std::mem::replace(&mut self.params, params.clone());
        let lowered = self.datashape(body);
        self.params = saved;
        let lowered = lowered?;
        let mut view = self.env.clone();
        for d in self.local.values() {
            view.insert(d.clone());
        }
        let def = TypeDef::new(name.clone(), params, lowered.datashape, &view);
        self.local.insert(name, def);
        self.states[i] = State::Done;
        Ok(())
    }

    /// Makes sure the module definition `name` is lowered; errors on cycles.
    fn require_local(&mut self, name: &str, at: Span) -> Result<(), Error> {
        let Some(&i) = self.module.as_ref().and_then(|m| m.index.get(name)) else {
            return Ok(());
        };
        match self.states[i] {
            State::Done => Ok(()),
            State::InProgress => Err(Error::new(
                ErrorKind::Recursive,
                format!("recursive type definition: `{name}` refers back to itself"),
                at,
            )),
            State::NotStarted => self.define(i),
        }
    }

    fn is_module_name(&self, name: &str) -> bool {
        self.module
            .as_ref()
            .is_some_and(|m| m.index.contains_key(name))
    }

    // -------------------------------------------------------------- datashapes

    fn datashape(&mut self, pair: Pair<'i, Rule>) -> Result<Parsed, Error> {
        let span = Span::of(pair.as_span());
        let mut terms: Vec<Pair<'i, Rule>> = Vec::new();
        let mut spelling: Option<(Spelling, Span)> = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::term => terms.push(part),
                Rule::star | Rule::comma => {
                    let this = if part.as_rule() == Rule::star {
                        Spelling::Star
                    } else {
                        Spelling::Comma
                    };
                    let at = Span::of(part.as_span());
                    match spelling {
                        None => spelling = Some((this, at)),
                        Some((first, _)) if first != this => {
                            let (used, here) = match first {
                                Spelling::Star => ("`*`", "`,`"),
                                Spelling::Comma => ("`,`", "`*`"),
                            };
                            return Err(Error::new(
                                ErrorKind::MixedSeparators,
                                format!(
                                    "this datashape separates dimensions with {used}; {here} here mixes the two spellings"
                                ),
                                at,
                            ));
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        let spelling = spelling.map_or(Spelling::Star, |(s, _)| s);
        let Some(last) = terms.pop() else {
            return Err(Error::new(ErrorKind::Syntax, "empty datashape", span));
        };
        let mut dims = Vec::with_capacity(terms.len());
        let mut dim_spans = Vec::with_capacity(terms.len());
        let mut ellipsis: Option<Span> = None;
        for term in terms {
            let at = Span::of(term.as_span());
            let dim = self.dim(term, spelling)?;
            if matches!(dim, Dim::Ellipsis(_)) {
                if ellipsis.is_some() {
                    return Err(Error::new(
                        ErrorKind::MultipleEllipses,
                        "a datashape may have at most one ellipsis; found a second one",
                        at,
                    ));
                }
                ellipsis = Some(at);
            }
            dims.push(dim);
            dim_spans.push(at);
        }
        let measure_span = Span::of(last.as_span());
        let had_dims = !dims.is_empty();
        let measure = self.measure_term(last, had_dims)?;
        if let (Some(_), Measure::Named { name, .. }) = (ellipsis, &measure) {
            if self.lookup(name).is_some_and(|d| d.has_ellipsis) {
                return Err(Error::new(
                    ErrorKind::MultipleEllipses,
                    format!(
                        "`{name}` has an ellipsis of its own; a datashape may have at most one"
                    ),
                    measure_span,
                ));
            }
        }
        Ok(Parsed {
            datashape: Datashape::new(dims, measure),
            dim_spans,
            measure_span,
            span,
        })
    }

    fn dim(&mut self, term: Pair<'i, Rule>, spelling: Spelling) -> Result<Dim, Error> {
        let at = Span::of(term.as_span());
        let inner = only_child(term)?;
        match inner.as_rule() {
            Rule::integer => Ok(Dim::Fixed(integer(&inner)?)),
            Rule::ellipsis => {
                let name = inner.into_inner().next().map(|p| p.as_str().to_string());
                match name {
                    Some(n) if !is_type_var_name(&n) => Err(Error::new(
                        ErrorKind::UnknownName,
                        format!("a named ellipsis is a type variable and starts with a capital letter, as in `Dims...`; found `{n}...`"),
                        at,
                    )),
                    name => Ok(Dim::Ellipsis(name)),
                }
            }
            Rule::named => {
                let (ident, ctor, args) = split_named(inner);
                let name = ident.as_str();
                let name_span = Span::of(ident.as_span());
                if let Some(first) = args.first() {
                    return Err(Error::new(
                        ErrorKind::Misplaced,
                        format!(
                            "expected a dimension, found `{}` applied to arguments; only the last term of a datashape is its measure",
                            name
                        ),
                        name_span.to(Span::of(first.as_span())),
                    ));
                }
                match (name, spelling) {
                    ("var", _) => self.var_dim(name, ctor, Rule::ctor_brackets, at),
                    ("Var", Spelling::Comma) => self.var_dim(name, ctor, Rule::ctor_parens, at),
                    ("Var", Spelling::Star) if ctor.is_some() => Err(Error::new(
                        ErrorKind::MixedSeparators,
                        "`Var(n)` is the comma spelling of a ragged dimension; with `*` write `var[n]`",
                        at,
                    )),
                    _ => {
                        if let Some(c) = ctor {
                            return Err(Error::new(
                                ErrorKind::Misplaced,
                                format!("expected a dimension, found `{name}` with arguments; only the last term of a datashape is its measure"),
                                name_span.to(Span::of(c.as_span())),
                            ));
                        }
                        if self.params.iter().any(|p| p == name) || is_type_var_name(name) && !self.is_defined(name) {
                            Ok(Dim::TypeVar(name.to_string()))
                        } else if scalar_named(name).is_some() || is_reserved(name) || self.is_defined(name) {
                            Err(Error::new(
                                ErrorKind::Misplaced,
                                format!("expected a dimension, found the measure `{name}`; only the last term of a datashape is its measure"),
                                at,
                            ))
                        } else {
                            Err(Error::new(
                                ErrorKind::UnknownName,
                                format!("unknown dimension `{name}`: a dimension is an integer, `var`, a capitalised type variable or an ellipsis"),
                                at,
                            ))
                        }
                    }
                }
            }
            _ => Err(Error::new(
                ErrorKind::Misplaced,
                format!(
                    "expected a dimension, found the measure `{}`; only the last term of a datashape is its measure",
                    inner.as_str()
                ),
                at,
            )),
        }
    }

    fn is_defined(&self, name: &str) -> bool {
        self.lookup(name).is_some() || self.is_module_name(name)
    }

    fn var_dim(
        &mut self,
        name: &str,
        ctor: Option<Pair<'i, Rule>>,
        want: Rule,
        at: Span,
    ) -> Result<Dim, Error> {
        let Some(ctor) = ctor else {
            return Ok(Dim::Var(None));
        };
        let (open, close) = if want == Rule::ctor_brackets {
            ("[", "]")
        } else {
            ("(", ")")
        };
        if ctor.as_rule() != want {
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("`{name}` takes its bound in `{open}…{close}`"),
                Span::of(ctor.as_span()),
            ));
        }
        let args = self.ctor_args(ctor.clone())?;
        match args.as_slice() {
            [CtorArg {
                key: None,
                value: CtorValue::Ds(ds),
                ..
            }] => match as_integer(ds)? {
                Some(n) => Ok(Dim::Var(Some(n))),
                None => Err(self.bound_error(name, open, close, at)),
            },
            _ => Err(self.bound_error(name, open, close, at)),
        }
    }

    fn bound_error(&self, name: &str, open: &str, close: &str, at: Span) -> Error {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("`{name}` takes one integer bound, as in `{name}{open}25{close}`"),
            at,
        )
    }

    /// Lowers the measure term of a datashape.
    fn measure_term(&mut self, term: Pair<'i, Rule>, after_dims: bool) -> Result<Measure, Error> {
        let at = Span::of(term.as_span());
        let inner = only_child(term)?;
        match inner.as_rule() {
            Rule::integer | Rule::ellipsis => {
                let what = if after_dims {
                    format!(
                        "a datashape ends with a measure (element type); `{}` is a dimension",
                        inner.as_str()
                    )
                } else {
                    format!(
                        "expected a measure (element type), found the dimension `{}`",
                        inner.as_str()
                    )
                };
                Err(Error::new(ErrorKind::Misplaced, what, at))
            }
            _ => self.measure(inner),
        }
    }

    /// Lowers a measure: `option`, `record`, `paren`, `named` or their
    /// type-argument forms.
    fn measure(&mut self, pair: Pair<'i, Rule>) -> Result<Measure, Error> {
        let at = Span::of(pair.as_span());
        match pair.as_rule() {
            Rule::term => {
                let inner = only_child(pair)?;
                self.measure_term_inner(inner, at)
            }
            Rule::option | Rule::arg_option => {
                let inner = only_child(pair)?;
                let inner_at = Span::of(inner.as_span());
                let m = match inner.as_rule() {
                    Rule::term => {
                        let i = only_child(inner)?;
                        self.measure_term_inner(i, inner_at)?
                    }
                    _ => self.measure(inner)?,
                };
                match &m {
                    Measure::Option { .. } => Err(Error::new(
                        ErrorKind::NestedOption,
                        "an option of an option (`??T`) is not a type; write `?T`",
                        at,
                    )),
                    Measure::Named { name, .. }
                        if self.lookup(name).is_some_and(|d| d.has_dims) =>
                    {
                        Err(Error::new(
                            ErrorKind::Misplaced,
                            format!("`?` applies to a measure, but `{name}` has dimensions"),
                            inner_at,
                        ))
                    }
                    _ => Ok(Measure::option(m)),
                }
            }
            Rule::record => {
                let mut fields: Vec<(String, Datashape)> = Vec::new();
                for field in pair.into_inner().filter(|p| p.as_rule() == Rule::field) {
                    let mut parts = field
                        .into_inner()
                        .filter(|p| matches!(p.as_rule(), Rule::field_name | Rule::datashape));
                    let (Some(name), Some(ds)) = (parts.next(), parts.next()) else {
                        continue;
                    };
                    let name_span = Span::of(name.as_span());
                    let name = field_name(name)?;
                    if fields.iter().any(|(n, _)| *n == name) {
                        return Err(Error::new(
                            ErrorKind::DuplicateField,
                            format!("duplicate field `{name}` in record"),
                            name_span,
                        ));
                    }
                    let ds = self.datashape(ds)?.datashape;
                    fields.push((name, ds));
                }
                Ok(Measure::Record { fields })
            }
            Rule::paren | Rule::arg_paren => {
                let mut elems = Vec::new();
                let mut ret = None;
                let mut saw_arrow = false;
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::datashape if saw_arrow => ret = Some(self.datashape(part)?.datashape),
                        Rule::datashape => elems.push(self.datashape(part)?.datashape),
                        Rule::arrow => saw_arrow = true,
                        _ => {}
                    }
                }
                match ret {
                    Some(ret) => Ok(Measure::Function {
                        params: elems,
                        ret: Box::new(ret),
                    }),
                    None => Ok(Measure::Tuple { elems }),
                }
            }
            Rule::named | Rule::arg_name => {
                let (ident, ctor, args) = split_named(pair);
                self.named(ident, ctor, args)
            }
            Rule::integer | Rule::ellipsis => Err(Error::new(
                ErrorKind::Misplaced,
                format!(
                    "expected a measure (element type), found the dimension `{}`",
                    pair.as_str()
                ),
                at,
            )),
            _ => Err(Error::new(
                ErrorKind::Syntax,
                format!("expected a measure, found `{}`", pair.as_str()),
                at,
            )),
        }
    }

    fn measure_term_inner(&mut self, inner: Pair<'i, Rule>, at: Span) -> Result<Measure, Error> {
        match inner.as_rule() {
            Rule::integer | Rule::ellipsis => Err(Error::new(
                ErrorKind::Misplaced,
                format!(
                    "expected a measure (element type), found the dimension `{}`",
                    inner.as_str()
                ),
                at,
            )),
            _ => self.measure(inner),
        }
    }

    /// A name in measure position, with its constructor arguments and
    /// type-definition arguments.
    fn named(
        &mut self,
        ident: Pair<'i, Rule>,
        ctor: Option<Pair<'i, Rule>>,
        args: Vec<Pair<'i, Rule>>,
    ) -> Result<Measure, Error> {
        let name = ident.as_str();
        let name_span = Span::of(ident.as_span());
        let whole = match (&ctor, args.last()) {
            (_, Some(a)) => name_span.to(Span::of(a.as_span())),
            (Some(c), None) => name_span.to(Span::of(c.as_span())),
            _ => name_span,
        };

        // A parameter of the definition being lowered.
        if self.params.iter().any(|p| p == name) {
            self.no_ctor_or_args(name, &ctor, &args, "a parameter")?;
            return Ok(Measure::var(name));
        }
        if let Some(scalar) = scalar_named(name) {
            self.no_ctor_or_args(name, &ctor, &args, "a builtin measure")?;
            return Ok(Measure::scalar(scalar));
        }
        let simple = |m: Measure| Ok(m);
        match name {
            "bytes" | "date" | "void" | "null" => {
                self.no_ctor_or_args(name, &ctor, &args, "a builtin measure")?;
                return simple(match name {
                    "bytes" => Measure::Bytes,
                    "date" => Measure::Date,
                    "void" => Measure::Void,
                    _ => Measure::Null,
                });
            }
            "complex" | "string" | "time" | "datetime" | "timedelta" | "decimal" => {
                self.no_args(name, &args)?;
                let cargs = match ctor {
                    None => Vec::new(),
                    Some(c) if c.as_rule() == Rule::ctor_brackets => self.ctor_args(c)?,
                    Some(c) => {
                        return Err(Error::new(
                            ErrorKind::Syntax,
                            format!("`{name}` takes its arguments in `[…]`"),
                            Span::of(c.as_span()),
                        ))
                    }
                };
                return self.builtin_ctor(name, cargs, whole);
            }
            "Record" | "Either" => {
                self.no_args(name, &args)?;
                let cargs = match ctor {
                    Some(c) if c.as_rule() == Rule::ctor_parens => self.ctor_args(c)?,
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Syntax,
                            format!("`{name}` takes its arguments in `(…)`, as in `{}`",
                                if name == "Record" { "Record(x=int32, y=float64)" } else { "Either(int32, na)" }),
                            whole,
                        ))
                    }
                };
                return if name == "Record" {
                    self.seed_record(cargs)
                } else {
                    self.seed_either(cargs, whole)
                };
            }
            "var" | "Var" if ctor.is_some() || name == "var" => {
                return Err(Error::new(
                    ErrorKind::Misplaced,
                    format!("expected a measure (element type), found the ragged dimension `{}`", &whole_text(&ident, &ctor)),
                    whole,
                ))
            }
            "na" => {
                return Err(Error::new(
                    ErrorKind::Misplaced,
                    "`na` is the missing value, not a type; write `?T` for a measure that may be missing",
                    whole,
                ))
            }
            "type" => {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    "expected a measure, found the keyword `type`; a definition reads `type Name = datashape`",
                    whole,
                ))
            }
            _ => {}
        }

        if self.is_module_name(name) {
            self.require_local(name, name_span)?;
        }
        if let Some(def) = self.lookup(name).cloned() {
            if let Some(c) = &ctor {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!("`{name}` is a type definition; write its arguments after it, separated by spaces"),
                    Span::of(c.as_span()),
                ));
            }
            if args.len() != def.params.len() {
                let at = if args.is_empty() { name_span } else { whole };
                return Err(Error::new(
                    ErrorKind::Arity,
                    format!(
                        "`{name}` takes {} argument{}, found {}",
                        def.params.len(),
                        if def.params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                    at,
                ));
            }
            let mut lowered = Vec::with_capacity(args.len());
            for (k, arg) in args.into_iter().enumerate() {
                lowered.push(self.type_arg(&def, k, arg)?);
            }
            return Ok(Measure::Named {
                name: name.to_string(),
                args: lowered,
            });
        }
        if is_type_var_name(name) {
            if ctor.is_some() || !args.is_empty() {
                return Err(Error::new(
                    ErrorKind::UnknownName,
                    format!("unknown type `{name}`"),
                    name_span,
                ));
            }
            return Ok(Measure::var(name));
        }
        Err(Error::new(
            ErrorKind::UnknownName,
            format!("unknown type `{name}`: not a builtin measure, a definition, or a type variable (those are capitalised)"),
            name_span,
        ))
    }

    fn no_args(&self, name: &str, args: &[Pair<'i, Rule>]) -> Result<(), Error> {
        match (args.first(), args.last()) {
            (Some(first), Some(last)) => Err(Error::new(
                ErrorKind::Arity,
                format!(
                    "`{name}` is not a type definition and takes no arguments after it; found `{}`",
                    first.as_str()
                ),
                Span::of(first.as_span()).to(Span::of(last.as_span())),
            )),
            _ => Ok(()),
        }
    }

    fn no_ctor_or_args(
        &self,
        name: &str,
        ctor: &Option<Pair<'i, Rule>>,
        args: &[Pair<'i, Rule>],
        what: &str,
    ) -> Result<(), Error> {
        if let Some(c) = ctor {
            return Err(Error::new(
                ErrorKind::Arity,
                format!(
                    "`{name}` is {what} and takes no arguments; found `{}`",
                    c.as_str()
                ),
                Span::of(c.as_span()),
            ));
        }
        self.no_args(name, args)
    }

    /// Argument `k` of an application of `def`.
    fn type_arg(&mut self, def: &TypeDef, k: usize, arg: Pair<'i, Rule>) -> Result<TypeArg, Error> {
        let at = Span::of(arg.as_span());
        let inner = only_child(arg)?;
        let usage = def.uses[k];
        let param = &def.params[k];
        // What the argument can be read as.
        let as_dim: Option<Dim> = match inner.as_rule() {
            Rule::integer => Some(Dim::Fixed(integer(&inner)?)),
            Rule::arg_name => {
                let (ident, ctor, _) = split_named(inner.clone());
                let n = ident.as_str();
                match n {
                    "var" => Some(self.var_dim(n, ctor, Rule::ctor_brackets, at)?),
                    _ if ctor.is_none()
                        && (self.params.iter().any(|p| p == n)
                            || is_type_var_name(n) && !self.is_defined(n)) =>
                    {
                        Some(Dim::TypeVar(n.to_string()))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let is_var = matches!(as_dim, Some(Dim::TypeVar(_)));
        if usage.dim && usage.measure {
            return match as_dim {
                Some(d @ Dim::TypeVar(_)) => Ok(TypeArg::Dim(d)),
                _ => Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("parameter `{param}` of `{}` stands for both a dimension and a measure; only a type variable fits, found `{}`", def.name, inner.as_str()),
                    at,
                )),
            };
        }
        if usage.dim || (!usage.measure && as_dim.is_some() && !is_var) {
            return match as_dim {
                Some(d) => Ok(TypeArg::Dim(d)),
                None => Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("parameter `{param}` of `{}` stands for a dimension; found the measure `{}`", def.name, inner.as_str()),
                    at,
                )),
            };
        }
        if matches!(as_dim, Some(Dim::Fixed(_) | Dim::Var(_))) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "parameter `{param}` of `{}` stands for a measure; found the dimension `{}`",
                    def.name,
                    inner.as_str()
                ),
                at,
            ));
        }
        let m = self.measure(inner)?;
        if usage.under_option {
            if let Measure::Named { name, .. } = &m {
                if self.lookup(name).is_some_and(|d| d.has_dims) {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!("parameter `{param}` of `{}` stands under `?`, but `{name}` has dimensions", def.name),
                        at,
                    ));
                }
            }
            if matches!(m, Measure::Option { .. }) {
                return Err(Error::new(
                    ErrorKind::NestedOption,
                    format!("parameter `{param}` of `{}` stands under `?`; an option of an option is not a type", def.name),
                    at,
                ));
            }
        }
        Ok(TypeArg::Measure(m))
    }

    // -------------------------------------------------------------- constructors

    fn ctor_args(&mut self, ctor: Pair<'i, Rule>) -> Result<Vec<CtorArg<'i>>, Error> {
        let mut out = Vec::new();
        for arg in ctor.into_inner() {
            let span = Span::of(arg.as_span());
            let mut key = None;
            let mut value = None;
            for part in arg.into_inner() {
                match part.as_rule() {
                    Rule::kwarg_name => {
                        let s = Span::of(part.as_span());
                        key = Some((field_name(part)?, s));
                    }
                    Rule::quoted => value = Some(CtorValue::Quoted(unquote(&part)?)),
                    Rule::datashape => value = Some(CtorValue::Ds(part)),
                    _ => {}
                }
            }
            if let Some(value) = value {
                out.push(CtorArg { key, value, span });
            }
        }
        Ok(out)
    }

    fn builtin_ctor(
        &mut self,
        name: &str,
        args: Vec<CtorArg<'i>>,
        at: Span,
    ) -> Result<Measure, Error> {
        let bad = |msg: String, span: Span| Err(Error::new(ErrorKind::InvalidArgument, msg, span));
        match name {
            "complex" => match args.as_slice() {
                [] => Ok(Measure::scalar(Scalar::Complex128)),
                [CtorArg { key: None, value: CtorValue::Ds(ds), span }] => {
                    match self.datashape(ds.clone())?.datashape {
                        Datashape { dims, measure: Measure::Scalar { scalar: Scalar::Float32 } } if dims.is_empty() => Ok(Measure::scalar(Scalar::Complex64)),
                        Datashape { dims, measure: Measure::Scalar { scalar: Scalar::Float64 } } if dims.is_empty() => Ok(Measure::scalar(Scalar::Complex128)),
                        other => bad(format!("`complex` takes `float32` or `float64`, found `{other}`"), *span),
                    }
                }
                _ => bad("`complex` takes one argument, `float32` or `float64`, as in `complex[float32]`".into(), at),
            },
            "string" => {
                let mut len = None;
                let mut encoding = Encoding::Utf8;
                for (i, a) in args.iter().enumerate() {
                    match (&a.key, &a.value, i) {
                        (None, CtorValue::Ds(ds), 0) => match as_integer(ds)? {
                            Some(n) => len = Some(n),
                            None => return bad(format!("`string` takes a length and an encoding, as in `string[10, 'utf8']`; found `{}`", ds.as_str()), a.span),
                        },
                        (None, CtorValue::Quoted(e), 0 | 1) => encoding = self.encoding(e, a.span)?,
                        (Some((k, _)), CtorValue::Quoted(e), _) if k == "encoding" => encoding = self.encoding(e, a.span)?,
                        _ => return bad("`string` takes a length and an encoding, as in `string[10, 'utf8']`".into(), a.span),
                    }
                }
                if args.len() > 2 {
                    return bad("`string` takes at most two arguments: a length and an encoding".into(), at);
                }
                Ok(Measure::String { len, encoding })
            }
            "time" | "datetime" => {
                let mut tz = None;
                for a in &args {
                    match (&a.key, &a.value) {
                        (None, CtorValue::Quoted(t)) if tz.is_none() => tz = Some(t.clone()),
                        (Some((k, _)), CtorValue::Quoted(t)) if k == "tz" && tz.is_none() => tz = Some(t.clone()),
                        _ => return bad(format!("`{name}` takes one argument, a time zone, as in `{name}[tz='UTC']`"), a.span),
                    }
                }
                Ok(if name == "time" { Measure::Time { tz } } else { Measure::DateTime { tz } })
            }
            "timedelta" => {
                let mut unit = TimeUnit::Micros;
                for (i, a) in args.iter().enumerate() {
                    match (&a.key, &a.value) {
                        (None, CtorValue::Quoted(u)) if i == 0 => unit = self.unit(u, a.span)?,
                        (Some((k, _)), CtorValue::Quoted(u)) if k == "unit" && i == 0 => unit = self.unit(u, a.span)?,
                        _ => return bad("`timedelta` takes one argument, a unit, as in `timedelta[unit='ns']`".into(), a.span),
                    }
                }
                Ok(Measure::TimeDelta { unit })
            }
            "decimal" => {
                let mut nums = Vec::new();
                for a in &args {
                    let n = match (&a.key, &a.value) {
                        (None, CtorValue::Ds(ds)) => as_integer(ds)?,
                        (Some((k, _)), CtorValue::Ds(ds)) if (k == "precision" && nums.is_empty()) || (k == "scale" && nums.len() == 1) => as_integer(ds)?,
                        _ => None,
                    };
                    match n.and_then(|n| u32::try_from(n).ok()) {
                        Some(n) => nums.push((n, a.span)),
                        None => return bad("`decimal` takes a precision and a scale, as in `decimal[18, 4]`".into(), a.span),
                    }
                }
                match nums.as_slice() {
                    [(p, ps)] | [(p, ps), _] if *p == 0 => bad("the precision of a decimal must be at least 1".into(), *ps),
                    [(p, _)] => Ok(Measure::Decimal { precision: *p, scale: 0 }),
                    [(p, _), (s, ss)] if s > p => bad(format!("the scale of a decimal ({s}) cannot exceed its precision ({p})"), *ss),
                    [(p, _), (s, _)] => Ok(Measure::Decimal { precision: *p, scale: *s }),
                    _ => bad("`decimal` takes a precision and a scale, as in `decimal[18, 4]`".into(), at),
                }
            }
            _ => bad(format!("unknown constructor `{name}`"), at),
        }
    }

    fn encoding(&self, e: &str, span: Span) -> Result<Encoding, Error> {
        Encoding::from_name(e).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "unknown string encoding '{e}': expected 'ascii', 'utf8', 'utf16' or 'utf32'"
                ),
                span,
            )
        })
    }

    fn unit(&self, u: &str, span: Span) -> Result<TimeUnit, Error> {
        TimeUnit::from_name(u).ok_or_else(|| {
            let all: Vec<String> = TimeUnit::ALL
                .iter()
                .map(|u| format!("'{}'", u.name()))
                .collect();
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "unknown time unit '{u}': expected one of {}",
                    all.join(", ")
                ),
                span,
            )
        })
    }

    /// `Record(name=T, other=U)`.
    fn seed_record(&mut self, args: Vec<CtorArg<'i>>) -> Result<Measure, Error> {
        let mut fields: Vec<(String, Datashape)> = Vec::new();
        for a in args {
            let (Some((name, name_span)), CtorValue::Ds(ds)) = (a.key, a.value) else {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "each `Record` field is written `name=type`",
                    a.span,
                ));
            };
            if fields.iter().any(|(n, _)| *n == name) {
                return Err(Error::new(
                    ErrorKind::DuplicateField,
                    format!("duplicate field `{name}` in record"),
                    name_span,
                ));
            }
            let ds = self.datashape(ds)?.datashape;
            fields.push((name, ds));
        }
        Ok(Measure::Record { fields })
    }

    /// `Either(T, na)`, the seed spelling of `?T`.
    fn seed_either(&mut self, args: Vec<CtorArg<'i>>, at: Span) -> Result<Measure, Error> {
        let usage = "`Either` is supported as `Either(T, na)`, a measure that may be missing";
        match args.as_slice() {
            [CtorArg {
                key: None,
                value: CtorValue::Ds(t),
                span: t_span,
            }, CtorArg {
                key: None,
                value: CtorValue::Ds(na),
                span: na_span,
            }] => {
                if na.as_str().trim() != "na" {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!("{usage}; found `{}` where `na` belongs", na.as_str()),
                        *na_span,
                    ));
                }
                let t = self.datashape(t.clone())?;
                if !t.datashape.dims.is_empty() {
                    return Err(Error::new(
                        ErrorKind::Misplaced,
                        "`Either` applies to a measure, not to a datashape with dimensions",
                        *t_span,
                    ));
                }
                match t.datashape.measure {
                    Measure::Option { .. } => Err(Error::new(
                        ErrorKind::NestedOption,
                        "an option of an option is not a type",
                        *t_span,
                    )),
                    m => Ok(Measure::option(m)),
                }
            }
            _ => Err(Error::new(ErrorKind::InvalidArgument, usage, at)),
        }
    }
}

// ------------------------------------------------------------------ helpers

fn only_child(pair: Pair<'_, Rule>) -> Result<Pair<'_, Rule>, Error> {
    let span = Span::of(pair.as_span());
    pair.into_inner()
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Syntax, "expected a term", span))
}

/// The parts of a `named` or `arg_name`: identifier, constructor brackets,
/// type arguments.
fn split_named(
    pair: Pair<'_, Rule>,
) -> (Pair<'_, Rule>, Option<Pair<'_, Rule>>, Vec<Pair<'_, Rule>>) {
    let span = pair.clone();
    let mut ident = None;
    let mut ctor = None;
    let mut args = Vec::new();
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::ident => ident = Some(part),
            Rule::ctor_brackets | Rule::ctor_parens => ctor = Some(part),
            Rule::type_arg => args.push(part),
            _ => {}
        }
    }
    (ident.unwrap_or(span), ctor, args)
}

fn whole_text(ident: &Pair<'_, Rule>, ctor: &Option<Pair<'_, Rule>>) -> String {
    match ctor {
        Some(c) => format!("{}{}", ident.as_str(), c.as_str()),
        None => ident.as_str().to_string(),
    }
}

fn integer(pair: &Pair<'_, Rule>) -> Result<u64, Error> {
    let text = pair.as_str();
    let span = Span::of(pair.as_span());
    if text.len() > 1 && text.starts_with('0') {
        return Err(Error::new(
            ErrorKind::BadNumber,
            format!(
                "dimension `{text}` has a leading zero; write `{}`",
                text.trim_start_matches('0').to_string()
                    + if text.trim_start_matches('0').is_empty() {
                        "0"
                    } else {
                        ""
                    }
            ),
            span,
        ));
    }
    text.parse::<u64>().map_err(|_| {
        Error::new(
            ErrorKind::BadNumber,
            format!(
                "`{text}` is too large: dimensions and bounds go up to {}",
                u64::MAX
            ),
            span,
        )
    })
}

/// The integer a constructor-argument datashape consists of, if it is one.
fn as_integer(ds: &Pair<'_, Rule>) -> Result<Option<u64>, Error> {
    let mut terms = ds
        .clone()
        .into_inner()
        .filter(|p| p.as_rule() == Rule::term);
    let (Some(term), None) = (terms.next(), terms.next()) else {
        return Ok(None);
    };
    match term.into_inner().next() {
        Some(p) if p.as_rule() == Rule::integer => integer(&p).map(Some),
        _ => Ok(None),
    }
}

fn field_name(pair: Pair<'_, Rule>) -> Result<String, Error> {
    match pair.clone().into_inner().next() {
        Some(q) if q.as_rule() == Rule::quoted => unquote(&q),
        _ => Ok(pair.as_str().to_string()),
    }
}

/// The text of a quoted string, escapes resolved: `\\ \' \" \n \r \t \0
/// \u{hex}`.
fn unquote(pair: &Pair<'_, Rule>) -> Result<String, Error> {
    let raw = pair.as_str();
    let base = pair.as_span().start();
    let body = &raw[1..raw.len().saturating_sub(1).max(1)];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let at = |len: usize| Span::new(base + 1 + i, base + 1 + i + len);
        match chars.next() {
            Some((_, '\\')) => out.push('\\'),
            Some((_, '\'')) => out.push('\''),
            Some((_, '"')) => out.push('"'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 't')) => out.push('\t'),
            Some((_, '0')) => out.push('\0'),
            Some((_, 'u')) => {
                let rest = &body[i + 2..];
                let close = rest.find('}');
                let code = match (rest.strip_prefix('{'), close) {
                    (Some(_), Some(end)) => u32::from_str_radix(&rest[1..end], 16)
                        .ok()
                        .and_then(char::from_u32)
                        .map(|c| (c, end)),
                    _ => None,
                };
                match code {
                    Some((c, end)) => {
                        out.push(c);
                        for _ in 0..=end {
                            chars.next();
                        }
                    }
                    None => {
                        return Err(Error::new(
                            ErrorKind::Syntax,
                            "invalid unicode escape: write `\\u{hex}` with a valid code point",
                            at(2),
                        ))
                    }
                }
            }
            Some((_, other)) => {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!("unknown escape `\\{}` in string", other.escape_debug()),
                    at(1 + other.len_utf8()),
                ))
            }
            None => out.push('\\'),
        }
    }
    Ok(out)
}

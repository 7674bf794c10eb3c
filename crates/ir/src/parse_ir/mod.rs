//! The parser of the IR's printed form (`print.rs`): `parse(print(f)) == f`,
//! spans and float bits included, for every [`Function`] whose types the
//! datashape crate prints and parses back (every checked function).
//!
//! ```text
//! def main(x: 3 * int32) {
//!   %0 = param 0 : 3 * int32
//!   %1 = literal 2 : int32 weak @0..1
//!   %2 = binary + %1 %0 : 3 * int32 @0..5
//!   return %2
//! }
//! ```
//!
//! The grammar, line by line (blank lines are ignored, tokens may be
//! separated by any amount of spaces or tabs, `\r\n` line ends are read):
//!
//! ```text
//! program  := {TYPEDEF | function}                    -- blank lines between
//! TYPEDEF  := "type" Name {Param} "=" TYPE            -- the datashape crate's
//! function := "def" NAME "(" [NAME ":" TYPE {"," NAME ":" TYPE}] ")" "{"
//!             {"index" NAME "#" k "in" "0.." DIM}     -- k = 0, 1, 2, …
//!             {"%" n "=" OP {"%" m} ":" TYPE ["weak"] ["@" start ".." end]}
//!             "return" "%" n
//!             "}"
//! NAME     := identifier | '…' (single-quoted, datashape escapes)
//! VAR      := NAME "#" k | "?" k                      -- an index variable
//! ```
//!
//! `n` counts the nodes from 0. A missing span reads as `0..0`. The parser
//! is syntactic: it does not check that arguments exist or fit the
//! operation ([`crate::verify`] does), only that index variables written
//! `name#k` are declared with that name.
//!
//! Parameter types keep the names they were declared with (`p: N * Stock`).
//! A printed [`Program`] starts with its type definitions, so it reads back
//! exactly; a function printed alone needs them from elsewhere
//! ([`parse_function_with`]): without them `Stock` reads as a type
//! variable.
//!
//! This module reads lines (headers, index declarations, nodes, types);
//! `cursor` reads the tokens within a line.

use crate::node::*;
use crate::ops::{BinaryFn, LinalgFn, Routine, UnaryFn};
use blaze_datashape::{Datashape, Measure, Scalar, Span, TypeEnv};
use std::fmt::{self, Display, Formatter};

mod cursor;

use cursor::Cursor;

/// A syntax error in the printed form of the IR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrParseError {
    /// The line, counting from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Display for IrParseError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for IrParseError {}

type Result<T> = std::result::Result<T, IrParseError>;

/// Parses one function in the printed form (blank lines around it allowed).
/// Type definitions its header refers to (`def f(p: N * Stock)`) may be
/// given on `type …` lines before it, as a printed [`Program`] has them;
/// see [`parse_function_with`] otherwise.
///
/// ```
/// use blaze_ir::{compile_expression, parse_function};
/// use blaze_datashape::parse;
/// let f = compile_expression("2 * x + 1", &[("x".into(), parse("3 * int32").unwrap())]).unwrap();
/// assert_eq!(parse_function(&f.to_string()), Ok(f));
/// ```
pub fn parse_function(text: &str) -> Result<Function> {
    parse_function_with(text, &TypeEnv::new())
}

/// [`parse_function`] with the type definitions of `types` in scope (a
/// checked function's parameters keep the names they were declared with).
pub fn parse_function_with(text: &str, types: &TypeEnv) -> Result<Function> {
    let mut p = Lines::new(text, types);
    p.type_defs()?;
    let f = p.function()?;
    p.skip_blank();
    if let Some((line, _)) = p.peek() {
        return Err(error(
            line,
            "text after the end of the function; use `parse_program` for several",
        ));
    }
    Ok(f)
}

/// Parses a sequence of functions as a [`Program`] prints them: its type
/// definitions (`type Name = …`, one a line), then the functions, separated
/// by blank lines. `type` lines may also stand between functions.
pub fn parse_program(text: &str) -> Result<Vec<Function>> {
    parse_program_with(text, &TypeEnv::new())
}

/// [`parse_program`] with the type definitions of `types` in scope.
pub fn parse_program_with(text: &str, types: &TypeEnv) -> Result<Vec<Function>> {
    let mut p = Lines::new(text, types);
    let mut out = Vec::new();
    loop {
        p.type_defs()?;
        if p.peek().is_none() {
            return Ok(out);
        }
        out.push(p.function()?);
    }
}

fn error(line: usize, message: impl Into<String>) -> IrParseError {
    IrParseError {
        line,
        message: message.into(),
    }
}

// ------------------------------------------------------------------ lines

struct Lines<'a> {
    lines: Vec<&'a str>,
    at: usize,
    types: TypeEnv,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str, types: &TypeEnv) -> Self {
        let lines = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        Lines {
            lines,
            at: 0,
            types: types.clone(),
        }
    }

    /// Skips blank lines and reads `type Name P = body` lines into the
    /// environment.
    fn type_defs(&mut self) -> Result<()> {
        loop {
            self.skip_blank();
            let Some((line, text)) = self.peek() else {
                return Ok(());
            };
            if !Cursor::new(line, text).keyword("type") {
                return Ok(());
            }
            let m = blaze_datashape::parse_module(text, &mut self.types)
                .map_err(|e| error(line, format!("bad type definition: {}", e.message)))?;
            if m.datashape.is_some() {
                return Err(error(line, "expected only a type definition"));
            }
            self.at += 1;
        }
    }

    /// The next line (1-based number, trimmed text).
    fn peek(&self) -> Option<(usize, &'a str)> {
        self.lines.get(self.at).map(|l| (self.at + 1, l.trim()))
    }

    fn skip_blank(&mut self) {
        while matches!(self.peek(), Some((_, l)) if l.is_empty()) {
            self.at += 1;
        }
    }

    /// The next non-blank line, or an error at the end of the text.
    fn next_line(&mut self, what: &str) -> Result<(usize, &'a str)> {
        self.skip_blank();
        match self.peek() {
            Some(l) => {
                self.at += 1;
                Ok(l)
            }
            None => Err(error(
                self.lines.len().max(1),
                format!("unexpected end of text: expected {what}"),
            )),
        }
    }

    fn function(&mut self) -> Result<Function> {
        let (line, text) = self.next_line("`def`")?;
        let types = &self.types.clone();
        let (name, params) = header(line, text, types)?;
        let mut f = Function {
            name,
            params,
            nodes: Vec::new(),
            root: NodeId(0),
            index_vars: Vec::new(),
        };
        loop {
            let (line, text) = self.next_line("`return %n`")?;
            let mut c = Cursor::new(line, text);
            if c.keyword("index") {
                if !f.nodes.is_empty() {
                    return Err(error(line, "index variables are declared before the nodes"));
                }
                let info = index_decl(&mut c, f.index_vars.len(), types)?;
                f.index_vars.push(info);
            } else if c.keyword("return") {
                c.expect("%")?;
                f.root = NodeId(c.uint()?);
                c.end()?;
                break;
            } else if c.peek() == Some('%') {
                let node = node_line(&mut c, &f, types)?;
                f.nodes.push(node);
            } else {
                return Err(error(
                    line,
                    format!(
                        "expected `%{} = …`, `index …` or `return %n`, found `{text}`",
                        f.nodes.len()
                    ),
                ));
            }
        }
        let (line, text) = self.next_line("`}`")?;
        if text != "}" {
            return Err(error(
                line,
                format!("expected `}}` after `return`, found `{text}`"),
            ));
        }
        Ok(f)
    }
}

/// `def name(a: T, b: U) {`
fn header(line: usize, text: &str, types: &TypeEnv) -> Result<(String, Vec<(String, Datashape)>)> {
    let mut c = Cursor::new(line, text);
    if !c.keyword("def") {
        return Err(error(
            line,
            format!("expected `def name(…) {{`, found `{text}`"),
        ));
    }
    let name = c.name()?;
    c.expect("(")?;
    let rest = c.rest().trim_end();
    let inner = rest
        .strip_suffix('{')
        .map(str::trim_end)
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| error(line, "the header ends with `) {`"))?;
    let mut params = Vec::new();
    if !inner.trim().is_empty() {
        for piece in split_top_level(inner) {
            let mut c = Cursor::new(line, piece);
            let pname = c.name()?;
            c.expect(":")?;
            let ty = datashape(line, c.rest(), types)?;
            params.push((pname, ty));
        }
    }
    Ok((name, params))
}

/// Splits at the commas outside brackets and quotes.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut start = 0;
    for (i, ch) in s.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == q {
                quote = None;
            }
            continue;
        }
        match ch {
            '\'' | '"' => quote = Some(ch),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn datashape(line: usize, text: &str, types: &TypeEnv) -> Result<Datashape> {
    let text = text.trim();
    if text.is_empty() {
        return Err(error(line, "expected a datashape"));
    }
    blaze_datashape::parse_with(text, types)
        .map(|p| p.datashape)
        .map_err(|e| error(line, format!("bad datashape `{text}`: {}", e.message)))
}

/// `index name#k in 0..extent`, after `index`.
fn index_decl(c: &mut Cursor<'_>, k: usize, types: &TypeEnv) -> Result<IndexInfo> {
    let name = c.name()?;
    c.expect("#")?;
    let at: usize = c.uint()?;
    if at != k {
        return Err(c.err(format!("expected index variable #{k}, found #{at}")));
    }
    if !c.keyword("in") {
        return Err(c.err("expected `in 0..extent`"));
    }
    c.expect("0..")?;
    let text = c.rest().trim();
    // A dimension alone is not a datashape; give it a measure.
    let ds = blaze_datashape::parse_with(&format!("{text} * int8"), types)
        .map(|p| p.datashape)
        .map_err(|e| c.err(format!("bad extent `{text}`: {}", e.message)))?;
    match (ds.dims.as_slice(), &ds.measure) {
        (
            [dim],
            Measure::Scalar {
                scalar: Scalar::Int8,
            },
        ) => Ok(IndexInfo {
            name,
            extent: dim.clone(),
        }),
        _ => Err(c.err(format!("bad extent `{text}`: expected one dimension"))),
    }
}

/// `%n = op operands args : type [weak] [@start..end]`
fn node_line(c: &mut Cursor<'_>, f: &Function, types: &TypeEnv) -> Result<Node> {
    c.expect("%")?;
    let n: usize = c.uint()?;
    if n != f.nodes.len() {
        return Err(c.err(format!(
            "expected node %{}, found %{n} (nodes are numbered in order)",
            f.nodes.len()
        )));
    }
    c.expect("=")?;
    let op = op(c, f)?;
    let mut args = Vec::new();
    while c.eat("%") {
        args.push(NodeId(c.uint()?));
    }
    c.expect(":")?;
    let (ty_text, weak, span) = type_tail(c.rest());
    let ty = datashape(c.line, ty_text, types)?;
    Ok(Node {
        op,
        args,
        ty,
        weak,
        span,
    })
}

/// Splits `type [weak] [@start..end]`. A datashape never ends in a bare
/// `weak` (lowercase names are not type variables) nor contains `@` outside
/// quotes, so the split is unambiguous.
fn type_tail(text: &str) -> (&str, bool, Span) {
    let mut text = text.trim_end();
    let mut span = Span::default();
    if let Some(at) = text.rfind('@') {
        let before = &text[..at];
        if let Some((s, e)) = text[at + 1..].split_once("..") {
            let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
            if digits(s) && digits(e) && before.ends_with([' ', '\t']) {
                if let (Ok(s), Ok(e)) = (s.parse(), e.parse()) {
                    span = Span::new(s, e);
                    text = before.trim_end();
                }
            }
        }
    }
    let mut weak = false;
    if let Some(before) = text.strip_suffix("weak") {
        if before.ends_with([' ', '\t']) {
            weak = true;
            text = before.trim_end();
        }
    }
    (text, weak, span)
}

fn op(c: &mut Cursor<'_>, f: &Function) -> Result<Op> {
    let word = c.word();
    Ok(match word {
        "param" => Op::Param(c.uint()?),
        "literal" => Op::Literal(c.literal()?),
        "array" => {
            let shape = c.list(|c| c.uint())?;
            let values = c.list(|c| c.literal())?;
            Op::ArrayLiteral { shape, values }
        }
        "na" => Op::Na,
        "binary" => {
            let name = c.token();
            Op::Binary(
                BinaryFn::ALL
                    .into_iter()
                    .find(|b| b.name() == name)
                    .ok_or_else(|| c.err(format!("unknown binary function `{name}`")))?,
            )
        }
        "where" => Op::Where,
        "fillna" => Op::FillNa,
        "cast" if c.keyword("decimal") => {
            c.expect("[")?;
            let precision = c.uint()?;
            c.expect(",")?;
            let scale = c.uint()?;
            c.expect("]")?;
            Op::ToDecimal { precision, scale }
        }
        "cast" => {
            let name = c.token();
            Op::Cast(
                Scalar::ALL
                    .into_iter()
                    .find(|s| s.name() == name)
                    .ok_or_else(|| c.err(format!("unknown scalar type `{name}`")))?,
            )
        }
        "reduce" => {
            let f = c.reduce_fn()?;
            c.expect("axes=")?;
            let axes = if c.keyword("all") {
                None
            } else {
                Some(c.list(|c| c.uint())?)
            };
            let keepdims = c.keyword("keepdims");
            Op::Reduce { f, axes, keepdims }
        }
        "index" => Op::Index(c.list(|c| c.index_item())?),
        "transpose" => Op::Transpose(c.list(|c| c.uint())?),
        "reshape" => Op::Reshape(c.list(|c| c.int())?),
        "concat" => {
            c.expect("axis=")?;
            Op::Concat(c.uint()?)
        }
        "stack" => {
            c.expect("axis=")?;
            Op::Stack(c.uint()?)
        }
        "matmul" => Op::MatMul,
        "linalg" => {
            let name = c.word();
            Op::Linalg(
                LinalgFn::from_name(name)
                    .ok_or_else(|| c.err(format!("unknown linear-algebra function `{name}`")))?,
            )
        }
        "call" => {
            let name = c.word();
            let flags = c.word();
            Op::Call(
                Routine::from_text(name, flags)
                    .ok_or_else(|| c.err(format!("unknown routine `{name} {flags}`")))?,
            )
        }
        "select" => Op::Select,
        "take" => Op::Take,
        "flatten" => Op::Flatten,
        "length" => {
            c.expect("axis=")?;
            Op::Length(c.uint()?)
        }
        "field" => Op::Field(c.name()?),
        "record" => Op::MakeRecord(c.list(|c| c.name())?),
        "tuple" => Op::MakeTuple,
        "get" => Op::TupleGet(c.uint()?),
        "forall" => Op::Forall(c.list(|c| c.var(f))?),
        "index_reduce" => {
            let r = c.reduce_fn()?;
            Op::IndexReduce(r, c.list(|c| c.var(f))?)
        }
        "gather" => Op::Gather(c.list(|c| {
            if matches!(c.peek(), Some('-' | '0'..='9')) {
                Ok(GatherItem::At(c.int()?))
            } else {
                Ok(GatherItem::Var(c.var(f)?))
            }
        })?),
        "index_value" => Op::IndexValue(c.var(f)?),
        "eps" => Op::Eps(c.list(|c| c.var(f))?),
        "delta" => Op::Delta(c.list(|c| c.var(f))?),
        "" => return Err(c.err("expected an operation")),
        other => match UnaryFn::ALL.into_iter().find(|u| u.name() == other) {
            Some(u) => Op::Unary(u),
            None => return Err(c.err(format!("unknown operation `{other}`"))),
        },
    })
}

#[cfg(test)]
mod tests;

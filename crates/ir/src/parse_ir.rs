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

use crate::node::*;
use crate::ops::{BinaryFn, LinalgFn, ReduceFn, Routine, UnaryFn};
use blaze_datashape::{Datashape, Measure, Scalar, Span, TypeEnv};
use std::fmt::{self, Display, Formatter};
use std::str::FromStr;

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

// ----------------------------------------------------------------- tokens

/// A position in one line.
struct Cursor<'a> {
    line: usize,
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(line: usize, s: &'a str) -> Self {
        Cursor { line, s, pos: 0 }
    }

    fn err(&self, message: impl Into<String>) -> IrParseError {
        error(self.line, message)
    }

    fn skip_ws(&mut self) {
        let rest = &self.s[self.pos..];
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    /// The rest of the line, unparsed; the cursor moves to its end.
    fn rest(&mut self) -> &'a str {
        let r = &self.s[self.pos..];
        self.pos = self.s.len();
        r
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.s[self.pos..].chars().next()
    }

    /// What follows, for error messages.
    fn found(&mut self) -> String {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        if rest.is_empty() {
            "the end of the line".into()
        } else {
            let short: String = rest.chars().take(20).collect();
            format!("`{short}`")
        }
    }

    fn eat(&mut self, p: &str) -> bool {
        self.skip_ws();
        if self.s[self.pos..].starts_with(p) {
            self.pos += p.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<()> {
        if self.eat(p) {
            Ok(())
        } else {
            let found = self.found();
            Err(self.err(format!("expected `{p}`, found {found}")))
        }
    }

    fn end(&mut self) -> Result<()> {
        self.skip_ws();
        if self.pos == self.s.len() {
            Ok(())
        } else {
            let found = self.found();
            Err(self.err(format!("expected the end of the line, found {found}")))
        }
    }

    /// A run of identifier characters (possibly empty).
    fn word(&mut self) -> &'a str {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let len = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
                .len();
        self.pos += len;
        &rest[..len]
    }

    /// A run of characters up to whitespace.
    fn token(&mut self) -> &'a str {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let len = rest.len()
            - rest
                .trim_start_matches(|c: char| c != ' ' && c != '\t')
                .len();
        self.pos += len;
        &rest[..len]
    }

    /// Consumes the word `kw` if it comes next.
    fn keyword(&mut self, kw: &str) -> bool {
        let save = self.pos;
        if self.word() == kw {
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// An unsigned decimal number.
    fn uint<T: FromStr>(&mut self) -> Result<T> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let len = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if len == 0 {
            let found = self.found();
            return Err(self.err(format!("expected a number, found {found}")));
        }
        let digits = &rest[..len];
        self.pos += len;
        digits
            .parse()
            .map_err(|_| self.err(format!("number `{digits}` out of range")))
    }

    /// A decimal number, maybe negative.
    fn int<T: FromStr>(&mut self) -> Result<T> {
        self.skip_ws();
        let start = self.pos;
        self.eat("-");
        let _: u128 = self.uint()?;
        let text = &self.s[start..self.pos];
        text.parse()
            .map_err(|_| self.err(format!("number `{text}` out of range")))
    }

    fn maybe_int(&mut self) -> Result<Option<i64>> {
        Ok(match self.peek() {
            Some('-' | '0'..='9') => Some(self.int()?),
            _ => None,
        })
    }

    /// `[item, item, …]`
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        self.expect("[")?;
        let mut out = Vec::new();
        if self.eat("]") {
            return Ok(out);
        }
        loop {
            out.push(item(self)?);
            if self.eat("]") {
                return Ok(out);
            }
            self.expect(",")?;
        }
    }

    /// A plain identifier or a single-quoted name.
    fn name(&mut self) -> Result<String> {
        if self.peek() == Some('\'') {
            return self.quoted();
        }
        let w = self.word();
        if crate::print::is_plain_ident(w) {
            Ok(w.to_string())
        } else {
            self.pos -= w.len();
            let found = self.found();
            Err(self.err(format!("expected a name, found {found}")))
        }
    }

    /// `'…'` with the datashape crate's escapes.
    fn quoted(&mut self) -> Result<String> {
        self.expect("'")?;
        let mut out = String::new();
        let s: &'a str = self.s;
        let mut chars = s[self.pos..].char_indices();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '\'' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let e = match chars.next() {
                        Some((_, e)) => e,
                        None => break,
                    };
                    match e {
                        '\\' | '\'' | '"' => out.push(e),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        '0' => out.push('\0'),
                        'u' => {
                            let rest = chars.as_str();
                            let code = rest
                                .strip_prefix('{')
                                .and_then(|r| r.split_once('}'))
                                .and_then(|(hex, _)| u32::from_str_radix(hex, 16).ok())
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("bad `\\u{hex}` escape in a name"))?;
                            out.push(code);
                            let skip = rest.find('}').map_or(0, |k| k + 1);
                            for _ in rest[..skip].chars() {
                                chars.next();
                            }
                        }
                        other => {
                            return Err(self.err(format!(
                                "unknown escape `\\{}` in a name",
                                other.escape_debug()
                            )))
                        }
                    }
                }
                c => out.push(c),
            }
        }
        Err(self.err("unterminated quoted name"))
    }

    fn reduce_fn(&mut self) -> Result<ReduceFn> {
        let name = self.word();
        ReduceFn::from_name(name).ok_or_else(|| self.err(format!("unknown reduction `{name}`")))
    }

    /// `name#k` (checked against the declarations) or `?k`.
    fn var(&mut self, f: &Function) -> Result<IndexVar> {
        if self.eat("?") {
            return Ok(IndexVar(self.uint()?));
        }
        let name = self.name()?;
        self.expect("#")?;
        let k: u32 = self.uint()?;
        match f.index_vars.get(k as usize) {
            Some(info) if info.name == name => Ok(IndexVar(k)),
            Some(info) => Err(self.err(format!(
                "index variable #{k} is `{}`, not `{name}`",
                info.name
            ))),
            None => Err(self.err(format!("index variable `{name}#{k}` is not declared"))),
        }
    }

    /// `k` or `start:stop:step` with optional start and stop.
    fn index_item(&mut self) -> Result<IndexItem> {
        let start = self.maybe_int()?;
        if !self.eat(":") {
            return match start {
                Some(k) => Ok(IndexItem::At(k)),
                None => {
                    let found = self.found();
                    Err(self.err(format!("expected an index or a slice, found {found}")))
                }
            };
        }
        let stop = self.maybe_int()?;
        self.expect(":")?;
        let step = self.int()?;
        Ok(IndexItem::Range { start, stop, step })
    }

    /// `true`, `false`, an integer, a float or a complex `(re±imj)`.
    fn literal(&mut self) -> Result<Literal> {
        if self.eat("(") {
            let re = self.float_text();
            let re = parse_float(re).ok_or_else(|| self.err(format!("bad float `{re}`")))?;
            if !matches!(self.s[self.pos..].chars().next(), Some('+' | '-')) {
                let found = self.found();
                return Err(self.err(format!(
                    "expected the signed imaginary part of a complex literal, found {found}"
                )));
            }
            let im_text = self.float_text();
            let im_text = im_text.strip_suffix('j').unwrap_or(im_text);
            let im =
                parse_float(im_text).ok_or_else(|| self.err(format!("bad float `{im_text}`")))?;
            self.eat("j");
            self.expect(")")?;
            return Ok(Literal::Complex(re, im));
        }
        let text = self.float_text();
        match text {
            "" => {
                let found = self.found();
                Err(self.err(format!("expected a literal, found {found}")))
            }
            "true" => Ok(Literal::Bool(true)),
            "false" => Ok(Literal::Bool(false)),
            _ => {
                let digits = text.strip_prefix('-').unwrap_or(text);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    text.parse()
                        .map(Literal::Int)
                        .map_err(|_| self.err(format!("integer `{text}` out of range")))
                } else {
                    parse_float(text)
                        .map(Literal::Float)
                        .ok_or_else(|| self.err(format!("bad literal `{text}`")))
                }
            }
        }
    }

    /// The text of a number: a leading sign, then letters, digits, `.`, `_`
    /// and exponent signs, then a `(0x…)` after `NaN`. Possibly empty.
    fn float_text(&mut self) -> &'a str {
        self.skip_ws();
        let start = self.pos;
        let bytes = self.s.as_bytes();
        let mut i = self.pos;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        while let Some(&b) = bytes.get(i) {
            let exp_sign = matches!(b, b'+' | b'-')
                && matches!(bytes.get(i.wrapping_sub(1)), Some(b'e' | b'E'));
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exp_sign {
                i += 1;
            } else {
                break;
            }
        }
        if self.s[start..i].ends_with("NaN") && bytes.get(i) == Some(&b'(') {
            if let Some(close) = self.s[i..].find(')') {
                i += close + 1;
            }
        }
        self.pos = i;
        &self.s[start..i]
    }
}

/// A float as `float_text` in `print.rs` writes it (and anything
/// `f64::from_str` accepts).
fn parse_float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if let Some(bits) = unsigned
        .strip_prefix("NaN(0x")
        .and_then(|r| r.strip_suffix(')'))
    {
        return u64::from_str_radix(bits, 16)
            .ok()
            .map(f64::from_bits)
            .filter(|x| x.is_nan());
    }
    if unsigned == "NaN" {
        return Some(f64::NAN);
    }
    // Rust reads `1e999` as infinity; the printer writes `inf`.
    text.parse()
        .ok()
        .filter(|x: &f64| x.is_finite() || unsigned.ends_with("inf"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{compile_expression, compile_module, verify};
    use blaze_datashape::{parse, Dim};
    use proptest::prelude::*;

    /// `f` replaced by a function whose float literals are their bits, so
    /// that `==` compares floats (NaN included) bit for bit.
    fn bitwise(f: &Function) -> Function {
        let key = |l: &Literal| match *l {
            Literal::Float(x) => Literal::Complex(f64::from_bits(0), x.to_bits() as f64),
            Literal::Complex(r, i) => {
                Literal::Int(((r.to_bits() as i128) << 64) | i.to_bits() as i128)
            }
            other => other,
        };
        let mut g = f.clone();
        for n in &mut g.nodes {
            match &mut n.op {
                Op::Literal(l) => *l = key(l),
                Op::ArrayLiteral { values, .. } => values.iter_mut().for_each(|l| *l = key(l)),
                _ => {}
            }
        }
        g
    }

    /// Print, parse back, compare exactly, print again.
    fn round_trip(f: &Function) {
        let text = f.to_string();
        let g = match parse_function(&text) {
            Ok(g) => g,
            Err(e) => panic!("{e}\n{text}"),
        };
        assert_eq!(bitwise(&g), bitwise(f), "\n{text}");
        assert_eq!(g.to_string(), text);
    }

    fn args(list: &[(&str, &str)]) -> Vec<(String, Datashape)> {
        list.iter()
            .map(|(n, t)| (n.to_string(), parse(t).unwrap()))
            .collect()
    }

    /// Every checked function round-trips exactly and still verifies.
    fn checked(f: &Function) {
        round_trip(f);
        let g = parse_function(&f.to_string()).unwrap();
        assert_eq!(g, *f);
        verify(&g).unwrap_or_else(|e| panic!("{e}\n{g}"));
    }

    const ARGS: &[(&str, &str)] = &[
        ("x", "3 * int32"),
        ("y", "3 * float32"),
        ("s", "float64"),
        ("i8", "int8"),
        ("u", "7 * uint16"),
        ("z", "3 * complex128"),
        ("o", "3 * ?int32"),
        ("p", "3 * bool"),
        ("A", "N * N * float64"),
        ("B", "N * K * float64"),
        ("Z", "N * N * complex128"),
        ("R", "M * N * float64"),
        ("m", "M * float64"),
        ("b", "N * float64"),
        ("v", "10 * int32"),
        ("X", "2 * 3 * 4 * float64"),
        ("S", "N * N * float32"),
        ("r", "{x: float32, y: float32}"),
        ("q", "4 * {pos: 3 * float64, 'the mass': float32}"),
        ("t", "(int8, 3 * float64)"),
        ("a2", "3 * 4 * float64"),
        ("c2", "4 * 1 * float64"),
        ("d2", "3 * 2 * float64"),
    ];

    const EXPRESSIONS: &[&str] = &[
        // literals
        "1",
        "-7",
        "9223372036854775807",
        "-9223372036854775807",
        "1.5",
        "1e-3",
        "1e300 * 1e300",
        "0.1 + 0.2",
        "2j",
        "(1.5 + 2.5j) * z",
        "1e-310j + 3",
        "true",
        "false",
        "na",
        "1 + na",
        "na + na",
        "[1, 2, 3]",
        "[1.5, -2, 3e100]",
        "[[1, 2], [3, 4], [5, 6]]",
        "[true, false]",
        "[1j, 2, 3.5]",
        "x + na",
        "where(x > 0, x, na)",
        // elementwise
        "2 + x",
        "x - x",
        "x * 2.5",
        "x / x",
        "x // x",
        "x % x",
        "x ** 2",
        "-x",
        "+x",
        "not p",
        "p and x > 0",
        "p or p",
        "x == x",
        "x != x",
        "x < x",
        "x <= x",
        "x > x",
        "x >= x",
        "minimum(x, y)",
        "maximum(x, 1.5)",
        "arctan2(y, y)",
        "pow(x, 2)",
        "abs(z)",
        "sqrt(x)",
        "exp(y) + log(y) + log2(y) + log10(y)",
        "sin(y) + cos(y) + tan(y) + arcsin(y) + arccos(y) + arctan(y)",
        "sinh(y) + cosh(y) + tanh(y)",
        "floor(y) + ceil(y) + round(y) + sign(y)",
        "isnan(y)",
        "isna(o)",
        "where(x > 0, x, 0)",
        "cast(x, float32)",
        "cast(x, complex[float32])",
        "cast(1, float32)",
        "cast(o, float64)",
        "i8 + 1000",
        "u + 1",
        "1j * y",
        // reductions
        "sum(x)",
        "sum(X, axis=0)",
        "sum(X, axis=(-1, 0))",
        "sum(X, axis=1, keepdims=true)",
        "sum(X, keepdims=true)",
        "X.max(axis=(0, 1), keepdims=true)",
        "prod(X, axis=0) + min(X, axis=0) + max(X, axis=0)",
        "mean(X) + var(X) + std(X)",
        "any(X > 0) or all(X > 0, axis=(0, 1, 2))",
        "argmin(X) + argmax(X, axis=-1)",
        "count(o) + count(X, axis=0)",
        "mean(z)",
        // indexing
        "v[0]",
        "v[-1]",
        "v[2:7]",
        "v[::-1]",
        "v[7:2:-1]",
        "v[::-3]",
        "v[1::3]",
        "v[:-3]",
        "v[:]",
        "v[-100:100]",
        "X[..., 0]",
        "X[1, ..., 2]",
        "X[1:, ::2, 0]",
        "X[0, 0, 0]",
        "X[...]",
        // shape
        "X.T",
        "transpose(X, (1, 0, 2))",
        "transpose(X, (-1, 0, 1))",
        "reshape(X, (4, -1))",
        "reshape(v, (2, 1, 5))",
        "reshape(X, (24,))",
        "concat((a2, a2))",
        "concat((a2, d2), axis=-1)",
        "stack((v, v))",
        "stack((a2, a2), axis=2)",
        "A @ B",
        "A @ b",
        "b @ b",
        "dot(A, B)",
        "matmul(A, B)",
        // linear algebra
        "inv(A)",
        "solve(A, B)",
        "solve(A, b)",
        "det(A)",
        "det(Z)",
        "cholesky(A)",
        "qr(A)",
        "qr(A)[0]",
        "qr(A)[1]",
        "svd(A)",
        "svd(A)[1]",
        "svd(Z)",
        "eig(A)",
        "eig(A)[1]",
        "eigh(A)",
        "eigh(Z)[0]",
        "lstsq(R, m)",
        "lstsq(R, R)",
        "norm(A) + norm(b) + norm(Z)",
        "trace(A)",
        // records and tuples
        "r.x * r.y",
        "q.pos",
        "{a: x, b: y}",
        "{a: x, b: 1}.b",
        "{'a b': x, 'it\\'s': y, '': s, 'line\\nbreak': 1}",
        "{s: sum(x), m: mean(y)}",
        "(x, y)",
        "(x,)",
        "(x, (y, s))",
        "(x, y)[1]",
        "t",
        // index notation
        "forall i, j: sum(k: A[i, k] * B[k, j])",
        "forall i: sum(j, k: eps[i, j, k] * x[j] * y[k])",
        "forall i, j, k: eps[i, j, k]",
        "forall i, j: S[i, j] + delta[i, j]",
        "sum(i, j: delta[i, j] * S[i, j])",
        "forall i: A[i, 0]",
        "forall i: A[i, -1] + A[0, i]",
        "forall i: A[i]",
        "forall j, i: A[i, j]",
        "forall i: v[i] + i",
        "sum(i: v[i])",
        "prod(i: v[i])",
        "max(i: v[i]) + min(i: v[i])",
        "sum(i: S[i, i])",
        "forall i: sum(j: A[i, j] * b[i])",
        "forall 'my i': v['my i']",
        // let
        "let y = x * 2 in y + 1",
        "let mu = mean(X, axis=0) in X - mu",
        "let a = 1 in let b = 2.5 in a + b",
        "let s = sum(x) in x + s + s",
    ];

    #[test]
    fn expressions_round_trip() {
        let env = args(ARGS);
        let mut ok = 0;
        for src in EXPRESSIONS {
            match compile_expression(src, &env) {
                Ok(f) => {
                    checked(&f);
                    ok += 1;
                }
                Err(e) => {
                    // Names the DSL cannot express are covered by hand below.
                    assert!(src.contains("'my i'"), "`{src}` does not check: {e:?}");
                }
            }
        }
        assert!(ok >= EXPRESSIONS.len() - 1, "{ok} of {}", EXPRESSIONS.len());
    }

    #[test]
    fn every_op_kind_is_covered() {
        let env = args(ARGS);
        let mut seen = std::collections::BTreeSet::new();
        for src in EXPRESSIONS {
            if let Ok(f) = compile_expression(src, &env) {
                for n in &f.nodes {
                    let op = format!("{:?}", n.op);
                    let kind = op.split(['(', ' ']).next().unwrap_or("").to_string();
                    seen.insert(kind);
                }
            }
        }
        for kind in [
            "Param",
            "Literal",
            "ArrayLiteral",
            "Na",
            "Unary",
            "Binary",
            "Where",
            "Cast",
            "Reduce",
            "Index",
            "Transpose",
            "Reshape",
            "Concat",
            "Stack",
            "MatMul",
            "Linalg",
            "Field",
            "MakeRecord",
            "MakeTuple",
            "TupleGet",
            "Forall",
            "IndexReduce",
            "Gather",
            "IndexValue",
            "Eps",
            "Delta",
        ] {
            assert!(
                seen.contains(kind),
                "no expression produces {kind}: {seen:?}"
            );
        }
    }

    const MODULE: &str = "
        def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y
        def gram(A: N * M * float64) -> M * M * float64 = A.T @ A
        def norms(X: N * 3 * float64) = sqrt(sum(X * X, axis=1))
        def center(X: N * M * float64) =
            let mu = mean(X, axis=0) in
            X - mu
        def cross(a: 3 * float64, b: 3 * float64) = forall i: sum(j, k: eps[i, j, k] * a[j] * b[k])
        def mm(A: N * K * float64, B: K * M * float64) = forall i, j: sum(k: A[i, k] * B[k, j])
        def spectrum(X: N * N * float64) = eig(X + X.T)
        type Stock = {name: string, open: decimal[18, 4], close: decimal[18, 4], max: int64, min: int64}
        def prices(p: N * Stock) -> N * float64 = (p.max + p.min) / 2
        def stats(x: N * float64) = (mean(x), std(x))
        def weird(r: {'a b': int32, c: (int8, float32)}, t: (int8,), u: ()) = r
        def nothing() = 1.5
    ";

    #[test]
    fn modules_round_trip() {
        let p = compile_module(MODULE).unwrap();
        assert_eq!(p.functions.len(), 11);
        for f in &p.functions {
            let text = f.to_string();
            let g = parse_function_with(&text, &p.types).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(g, *f, "\n{text}");
            verify(&g).unwrap();
            if f.name == "prices" {
                // The header names `Stock`, which needs its definition:
                // without it, `Stock` reads as a type variable.
                let g = parse_function(&text).unwrap();
                assert_eq!(g.params[0].1, parse("N * Stock").unwrap());
                assert_ne!(g, *f);
                let def = p.types.defs().next().unwrap().to_string();
                assert_eq!(parse_function(&format!("{def}\n\n{text}")).as_ref(), Ok(f));
            } else {
                checked(f);
            }
        }
        let text = p.to_string();
        assert!(text.starts_with("type Stock = {"), "{text}");
        assert_eq!(parse_program(&text), Ok(p.functions.clone()));
        // Extra blank lines anywhere between functions.
        let spaced = format!("\n{}\n\n", text.replace("\n\n", "\n\n\n  \n"));
        assert_eq!(parse_program(&spaced), Ok(p.functions.clone()));
        assert_eq!(parse_program(""), Ok(vec![]));
        assert_eq!(parse_program("\n \n"), Ok(vec![]));
        assert!(parse_function(&text).is_err());
    }

    #[test]
    fn printed_form_example() {
        let p = compile_module("def gram(A: N * M * float64) = A.T @ A").unwrap();
        let f = &p.functions[0];
        let text = "\
def gram(A: N * M * float64) {
  %0 = param 0 : N * M * float64 @9..10
  %1 = transpose [1, 0] %0 : M * N * float64 @31..34
  %2 = matmul %1 %0 : M * M * float64 @31..38
  return %2
}";
        assert_eq!(f.to_string(), text);
        assert_eq!(parse_function(text).as_ref(), Ok(f));
        // Extra spaces and a CRLF file read the same.
        let loose = "def  gram ( A : N * M * float64 )  {\r\n\t%0 =param 0:N * M * float64 @9..10\r\n  %1 = transpose[1,0]%0 : M * N * float64   @31..34\r\n  %2 = matmul %1 %0 : M * M * float64 @31..38\r\n  return %2\r\n}\r\n";
        assert_eq!(parse_function(loose).as_ref(), Ok(f));
    }

    fn node(op: Op, args: Vec<u32>, ty: &str) -> Node {
        Node {
            op,
            args: args.into_iter().map(NodeId).collect(),
            ty: parse(ty).unwrap(),
            weak: false,
            span: Span::default(),
        }
    }

    fn function(nodes: Vec<Node>) -> Function {
        Function {
            name: "f".into(),
            params: vec![],
            root: NodeId(nodes.len().saturating_sub(1) as u32),
            nodes,
            index_vars: vec![],
        }
    }

    #[test]
    fn float_literals_are_exact() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            1.0 / 3.0,
            1e-7,
            1e16,
            1e17,
            -2.5e-300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            f64::EPSILON,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
            f64::from_bits(0xfff8_0000_dead_beef),
        ];
        let mut nodes = Vec::new();
        for &x in &values {
            nodes.push(node(Op::Literal(Literal::Float(x)), vec![], "float64"));
            for &y in &[0.0, -0.0, 2.0, -1e-9, f64::INFINITY, f64::NAN, -f64::NAN] {
                nodes.push(node(
                    Op::Literal(Literal::Complex(x, y)),
                    vec![],
                    "complex[float64]",
                ));
                nodes.push(node(
                    Op::Literal(Literal::Complex(y, x)),
                    vec![],
                    "complex[float64]",
                ));
            }
        }
        let values: Vec<Literal> = values.iter().map(|&x| Literal::Float(x)).collect();
        nodes.push(node(
            Op::ArrayLiteral {
                shape: vec![values.len()],
                values,
            },
            vec![],
            "21 * float64",
        ));
        round_trip(&function(nodes));
        assert_eq!(Literal::Float(f64::NAN).to_string(), "NaN");
        assert_eq!(
            Literal::Float(-f64::NAN).to_string(),
            "NaN(0xfff8000000000000)"
        );
        assert_eq!(Literal::Complex(f64::NAN, -0.0).to_string(), "(NaN-0.0j)");
        assert_eq!(
            Literal::Complex(f64::NEG_INFINITY, f64::NAN).to_string(),
            "(-inf+NaNj)"
        );
    }

    #[test]
    fn int_and_bool_literals_are_exact() {
        let mut nodes = Vec::new();
        for i in [
            0,
            1,
            -1,
            i64::MIN as i128,
            u64::MAX as i128,
            i128::MAX,
            i128::MIN,
        ] {
            nodes.push(node(Op::Literal(Literal::Int(i)), vec![], "int64"));
        }
        nodes.push(node(Op::Literal(Literal::Bool(true)), vec![], "bool"));
        nodes.push(node(
            Op::ArrayLiteral {
                shape: vec![2, 2],
                values: vec![
                    Literal::Bool(false),
                    Literal::Int(i128::MIN),
                    Literal::Float(2.0),
                    Literal::Complex(1.0, -1.0),
                ],
            },
            vec![],
            "2 * 2 * complex[float64]",
        ));
        nodes.push(node(
            Op::ArrayLiteral {
                shape: vec![0, 3],
                values: vec![],
            },
            vec![],
            "0 * 3 * int64",
        ));
        round_trip(&function(nodes));
    }

    #[test]
    fn odd_names_are_quoted() {
        let names = [
            "",
            "a b",
            "it's",
            "back\\slash",
            "new\nline",
            "tab\tand\rcr",
            "bell\u{7}",
            "é",
            "1st",
            "%0",
            "#",
            "x#1",
            "?0",
            "def",
            "index",
            "weak",
            "all",
            "@0..1",
            "'",
            ") {",
        ];
        for name in names {
            let q = parse(&format!("{{{}: int32}}", crate::print::name_text(name))).unwrap();
            let f = Function {
                name: name.into(),
                params: vec![(name.into(), q.clone())],
                nodes: vec![
                    node(Op::Param(0), vec![], &q.to_string()),
                    node(Op::Field(name.into()), vec![0], "int32"),
                    node(
                        Op::MakeRecord(vec![name.into(), "b".into()]),
                        vec![1, 1],
                        "int32",
                    ),
                    node(Op::IndexValue(IndexVar(0)), vec![], "int64"),
                    node(
                        Op::Gather(vec![GatherItem::Var(IndexVar(0)), GatherItem::At(-2)]),
                        vec![0],
                        "int32",
                    ),
                ],
                root: NodeId(1),
                index_vars: vec![IndexInfo {
                    name: name.into(),
                    extent: Dim::Fixed(3),
                }],
            };
            round_trip(&f);
        }
    }

    #[test]
    fn every_op_shape_by_hand() {
        let nodes = vec![
            node(Op::Param(0), vec![], "3 * 4 * float64"),
            node(Op::Na, vec![], "null"),
            node(
                Op::Reduce {
                    f: ReduceFn::Count,
                    axes: Some(vec![]),
                    keepdims: true,
                },
                vec![0],
                "3 * 4 * int64",
            ),
            node(
                Op::Reduce {
                    f: ReduceFn::All,
                    axes: None,
                    keepdims: false,
                },
                vec![0],
                "bool",
            ),
            node(Op::Index(vec![]), vec![1], "null"),
            node(
                Op::Index(vec![
                    IndexItem::Range {
                        start: None,
                        stop: Some(-1),
                        step: -2,
                    },
                    IndexItem::Range {
                        start: Some(i64::MIN),
                        stop: Some(i64::MAX),
                        step: 1,
                    },
                    IndexItem::At(-7),
                ]),
                vec![0],
                "var * 4 * float64",
            ),
            node(Op::Transpose(vec![]), vec![1], "null"),
            node(Op::Reshape(vec![-1, 0, i64::MIN]), vec![0], "12 * float64"),
            node(Op::Concat(0), vec![], "int8"),
            node(Op::Stack(7), vec![0, 0, 0], "3 * 3 * 4 * float64"),
            node(Op::MakeTuple, vec![], "()"),
            node(Op::MakeTuple, vec![0], "(3 * 4 * float64,)"),
            node(Op::TupleGet(0), vec![11], "3 * 4 * float64"),
            node(Op::MakeRecord(vec![]), vec![], "{}"),
            node(Op::Forall(vec![]), vec![0], "int8"),
            node(
                Op::IndexReduce(ReduceFn::Prod, vec![IndexVar(1), IndexVar(0)]),
                vec![0],
                "int8",
            ),
            node(Op::Eps(vec![]), vec![], "int64"),
            node(Op::Delta(vec![IndexVar(2), IndexVar(9)]), vec![], "int64"),
            node(
                Op::Gather(vec![GatherItem::Var(IndexVar(5))]),
                vec![0],
                "int8",
            ),
            node(Op::IndexValue(IndexVar(u32::MAX)), vec![99], "int64"),
            node(Op::Cast(Scalar::Complex64), vec![0], "complex[float32]"),
            node(Op::Where, vec![3, 0, 0], "3 * 4 * float64"),
            node(Op::Linalg(LinalgFn::Lstsq), vec![0, 0], "4 * 4 * float64"),
            node(
                Op::Call(Routine::Gemm {
                    trans_a: true,
                    trans_b: false,
                }),
                vec![0, 0, 2, 2, 0],
                "4 * 4 * float64",
            ),
            node(
                Op::Call(Routine::Gemv { trans: false }),
                vec![0, 0, 2],
                "4 * float64",
            ),
            node(Op::Call(Routine::Dot), vec![0, 0], "float64"),
            node(
                Op::Call(Routine::Syrk { trans: true }),
                vec![0, 2],
                "4 * 4 * float64",
            ),
            node(
                Op::Call(Routine::Trsm { lower: false }),
                vec![0, 0],
                "4 * 4 * float64",
            ),
            node(
                Op::Call(Routine::SymEig),
                vec![0],
                "(4 * complex, 4 * 4 * complex)",
            ),
            node(Op::Unary(UnaryFn::IsNa), vec![1], "bool"),
            node(
                Op::Binary(BinaryFn::FloorDiv),
                vec![0, 0],
                "3 * 4 * float64",
            ),
            node(Op::Param(12), vec![], "Dims... * T"),
            node(
                Op::Literal(Literal::Int(1)),
                vec![],
                "datetime[tz='Europe/Paris']",
            ),
            node(
                Op::Literal(Literal::Int(1)),
                vec![],
                "var[10] * ?string['ascii']",
            ),
            node(
                Op::Literal(Literal::Int(1)),
                vec![],
                "... * (int8, float64) -> bool",
            ),
        ];
        let mut f = function(nodes);
        f.params = vec![("x".into(), parse("3 * 4 * float64").unwrap())];
        f.root = NodeId(1000);
        f.index_vars = vec![
            IndexInfo {
                name: "i".into(),
                extent: Dim::Var(None),
            },
            IndexInfo {
                name: "j".into(),
                extent: Dim::TypeVar("N".into()),
            },
            IndexInfo {
                name: "k".into(),
                extent: Dim::Var(Some(7)),
            },
        ];
        for (k, n) in f.nodes.iter_mut().enumerate() {
            n.weak = k % 3 == 0;
            n.span = match k % 4 {
                0 => Span::default(),
                1 => Span::new(0, 5),
                2 => Span::new(7, 7),
                _ => Span::new(usize::MAX, 1),
            };
        }
        round_trip(&f);
        let text = f.to_string();
        assert!(
            text.contains("%9 = stack axis=7 %0 %0 %0 : 3 * 3 * 4 * float64 weak @0..5"),
            "{text}"
        );
        assert!(text.contains("delta [k#2, ?9]"), "{text}");
        assert!(
            text.contains("index [:-1:-2, -9223372036854775808:9223372036854775807:1, -7]"),
            "{text}"
        );
        assert!(text.contains("reduce all axes=all %0"), "{text}");
        assert!(text.contains("reduce count axes=[] keepdims %0"), "{text}");
    }

    /// A malformed text and the line its error is on.
    const ERRORS: &[(&str, usize)] = &[
        ("", 1),
        ("\n\n", 3),
        ("def f() {", 1),
        ("def f() {\n  return %0", 2),
        ("def f() {\n  return %0\n}\n}", 4),
        ("fn f() {\n  return %0\n}", 1),
        ("def f(x: 3 *) {\n  return %0\n}", 1),
        ("def f(x int32) {\n  return %0\n}", 1),
        ("def f(x: int32 {\n  return %0\n}", 1),
        ("def f(x: int32)\n  return %0\n}", 1),
        ("def 'f() {\n  return %0\n}", 1),
        ("def f() {\n  %1 = na : null\n  return %0\n}", 2),
        ("def f() {\n  %0 = na : null\n  %0 = na : null\n  return %0\n}", 3),
        ("def f() {\n  %0 = na\n  return %0\n}", 2),
        ("def f() {\n  %0 = na :\n  return %0\n}", 2),
        ("def f() {\n  %0 = na : nullx\n  return %0\n}", 2),
        ("def f() {\n  %0 = frob : null\n  return %0\n}", 2),
        ("def f() {\n  %0 = : null\n  return %0\n}", 2),
        ("def f() {\n  %0 = literal : int64\n  return %0\n}", 2),
        ("def f() {\n  %0 = literal 1.2.3 : float64\n  return %0\n}", 2),
        ("def f() {\n  %0 = literal 1e999999999999999999999 : float64\n  return %0\n}", 2),
        ("def f() {\n  %0 = literal 999999999999999999999999999999999999999999 : int64\n  return %0\n}", 2),
        ("def f() {\n  %0 = literal (1.0 2.0j) : complex[float64]\n  return %0\n}", 2),
        ("def f() {\n  %0 = literal (1.0+2.0j : complex[float64]\n  return %0\n}", 2),
        ("def f() {\n  %0 = literal NaN(0x1) : float64\n  return %0\n}", 2),
        ("def f() {\n  %0 = literal NaN(0xzz) : float64\n  return %0\n}", 2),
        ("def f() {\n  %0 = param -1 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = param 99999999999999999999999 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = binary +- %0 %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = cast int : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = reduce sum %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = reduce total axes=all %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = reduce sum axes=[0, %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = index [1:2] %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = index [x] %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = concat 0 %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = linalg frob %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = field 'a\\q' %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = field 'a\\u{110000}' %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = field 'a %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  %0 = record [a b] : {}\n  return %0\n}", 2),
        ("def f() {\n  %0 = forall [i#0] %0 : int8\n  return %0\n}", 2),
        ("def f() {\n  index i#0 in 0..3\n  %0 = forall [j#0] %0 : int8\n  return %0\n}", 3),
        ("def f() {\n  index i#1 in 0..3\n  return %0\n}", 2),
        ("def f() {\n  index i#0 in 1..3\n  return %0\n}", 2),
        ("def f() {\n  index i#0 in 0..3 * 4\n  return %0\n}", 2),
        ("def f() {\n  index i#0 in 0..int8\n  return %0\n}", 2),
        ("def f() {\n  index i#0 of 0..3\n  return %0\n}", 2),
        ("def f() {\n  %0 = na : null\n  index i#0 in 0..3\n  return %0\n}", 3),
        ("def f() {\n  return 0\n}", 2),
        ("def f() {\n  return %0 %1\n}", 2),
        ("def f() {\n  return %0\n  %0 = na : null\n}", 3),
        ("def f() {\n  %0 = na junk : null\n  return %0\n}", 2),
        ("def f() {\n  %0 = na : null weak weak\n  return %0\n}", 2),
        ("def f() {\n  %0 = na : null @1..\n  return %0\n}", 2),
        ("def f() {\n  %0 = na : null @99999999999999999999999..1\n  return %0\n}", 2),
    ];

    #[test]
    fn errors_have_line_numbers() {
        for (text, line) in ERRORS {
            match parse_function(text) {
                Ok(f) => panic!("`{text}` parsed as\n{f}"),
                Err(e) => {
                    assert_eq!(e.line, *line, "`{text}`: {e}");
                    assert!(!e.message.is_empty());
                    assert!(e.to_string().starts_with(&format!("line {line}: ")));
                }
            }
        }
        let two = "def f() {\n  %0 = na : null\n  return %0\n}\n\ndef g() {\n  %0 = na : bad\n  return %0\n}\n";
        assert_eq!(parse_program(two).unwrap_err().line, 7);
        assert_eq!(parse_function(two).unwrap_err().line, 6);
    }

    /// Printed forms of a few checked functions, to corrupt.
    fn samples() -> Vec<String> {
        let env = args(ARGS);
        [
            "forall i: sum(j, k: eps[i, j, k] * x[j] * y[k])",
            "{'a b': x, c: (1.5 + 2.5j) * z}.c",
            "X[1:, ::-2, 0].sum(axis=(0, 1), keepdims=true) + svd(A)[1][0]",
            "(reshape(v, (2, -1)), [[1, 2], [3, 4]], na, cast(x, float32))",
        ]
        .iter()
        .map(|s| compile_expression(s, &env).unwrap().to_string())
        .collect()
    }

    proptest! {
        #[test]
        fn random_text_never_panics(text in "\\PC*") {
            let _ = parse_function(&text);
            let _ = parse_program(&text);
        }

        #[test]
        fn random_lines_never_panic(lines in prop::collection::vec(
            "(def|index|return|%[0-9]|  |\\}|[%=:#@\\[\\]()'.,0-9a-z +\\-*?\\\\{}]){0,12}", 0..8)) {
            let text = format!("def f(x: int8) {{\n{}\n  return %0\n}}", lines.join("\n"));
            let _ = parse_function(&text);
            let _ = parse_program(&text);
        }

        #[test]
        fn corrupted_printed_forms_never_panic(
            which in 0usize..4,
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..4),
        ) {
            let mut text: Vec<char> = samples()[which].chars().collect();
            for (at, kind, c) in edits {
                let i = at.index(text.len() + 1);
                match kind {
                    0 if i < text.len() => { text.remove(i); }
                    1 => text.insert(i, c),
                    _ if i < text.len() => text[i] = c,
                    _ => {}
                }
            }
            let text: String = text.into_iter().collect();
            let _ = parse_function(&text);
            let _ = parse_program(&text);
        }

        #[test]
        fn arbitrary_literals_and_names_round_trip(
            bits in any::<u64>(),
            re in any::<f64>(),
            int in any::<i128>(),
            name in "\\PC*",
            any_name in any::<String>(),
            start in any::<usize>(),
            end in any::<usize>(),
            steps in prop::collection::vec((any::<Option<i64>>(), any::<Option<i64>>(), any::<i64>()), 0..4),
        ) {
            let x = f64::from_bits(bits);
            let mut nodes = vec![
                node(Op::Literal(Literal::Float(x)), vec![], "float64"),
                node(Op::Literal(Literal::Complex(re, x)), vec![], "complex[float64]"),
                node(Op::Literal(Literal::Int(int)), vec![], "int64"),
                node(Op::ArrayLiteral { shape: vec![3], values: vec![Literal::Float(re), Literal::Int(int), Literal::Complex(x, re)] }, vec![], "3 * complex[float64]"),
                node(Op::Field(name.clone()), vec![0], "int8"),
                node(Op::MakeRecord(vec![any_name.clone(), name.clone()]), vec![0, 1], "int8"),
                node(Op::Forall(vec![IndexVar(0), IndexVar(1)]), vec![2], "int8"),
                node(Op::Index(steps.iter().map(|&(a, b, s)| IndexItem::Range { start: a, stop: b, step: s }).collect()), vec![0], "int8"),
            ];
            nodes[3].span = Span::new(start, end);
            let f = Function {
                name: any_name.clone(),
                params: vec![(name.clone(), parse("int8").unwrap())],
                nodes,
                root: NodeId(0),
                index_vars: vec![
                    IndexInfo { name: name.clone(), extent: Dim::Fixed(bits) },
                    IndexInfo { name: any_name.clone(), extent: Dim::Var(None) },
                ],
            };
            let text = f.to_string();
            let g = parse_function(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(bitwise(&g), bitwise(&f));
        }
    }
}

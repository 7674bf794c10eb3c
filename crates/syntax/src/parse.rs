//! pest parse of `grammar/blaze.pest` (with `grammar/datashape.pest`) and
//! lowering of the parse tree into the [`ast`](crate::ast). Types written in
//! the program are re-parsed by the datashape crate, which owns their
//! meaning; its error spans are shifted to the program's text.

use crate::ast::*;
use crate::Diagnostic;
use blaze_datashape::{
    parse_module, parse_with, pest_error_message, with_parser_stack, Datashape, Span, TypeEnv,
    MAX_NESTING,
};
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../../../grammar/datashape.pest"]
#[grammar = "../../../grammar/blaze.pest"]
struct DslParser;

/// Parses a module: type definitions and `def`s.
///
/// ```
/// let m = blaze_syntax::parse_module_source(
///     "def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y",
/// ).unwrap();
/// assert_eq!(m.defs[0].name, "axpy");
/// assert_eq!(m.defs[0].params[1].ty.to_string(), "N * float64");
/// ```
pub fn parse_module_source(src: &str) -> Result<Module, Diagnostic> {
    check_nesting(src)?;
    with_parser_stack(|| parse_module_checked(src))
}

fn parse_module_checked(src: &str) -> Result<Module, Diagnostic> {
    let mut pairs = DslParser::parse(Rule::program, src).map_err(|e| syntax_error(e, src))?;
    let program = pairs.next().ok_or_else(|| empty(src))?;
    let items: Vec<Pair<Rule>> = program.into_inner().collect();

    // All type definitions first, as one datashape module, so they may refer
    // to each other in any order; spans map back through `segments`.
    let mut joined = String::new();
    let mut segments: Vec<(usize, usize, usize)> = Vec::new(); // (joined start, source start, len)
    for item in items.iter().filter(|p| p.as_rule() == Rule::type_item) {
        let text = item.as_str();
        segments.push((joined.len(), item.as_span().start(), text.len()));
        joined.push_str(text);
        joined.push('\n');
    }
    let mut types = TypeEnv::new();
    if !joined.is_empty() {
        parse_module(&joined, &mut types).map_err(|e| {
            let shift = |pos: usize| {
                segments
                    .iter()
                    .rev()
                    .find(|(j, _, _)| *j <= pos)
                    .map_or(pos, |(j, s, len)| s + (pos - j).min(*len))
            };
            Diagnostic::new(
                e.kind.name(),
                e.message,
                Span::new(shift(e.span.start), shift(e.span.end)),
            )
        })?;
    }

    let mut lower = Lower { types: &types };
    let mut defs = Vec::new();
    for item in items {
        if item.as_rule() == Rule::def_item {
            let def = lower.def(item)?;
            if let Some(prev) = defs.iter().find(|d: &&Def| d.name == def.name) {
                let _ = prev;
                return Err(Diagnostic::new(
                    "redefinition",
                    format!("`{}` is defined twice", def.name),
                    def.name_span,
                ));
            }
            defs.push(def);
        }
    }
    Ok(Module { types, defs })
}

/// Parses a bare expression.
///
/// ```
/// let e = blaze_syntax::parse_expression("2*a + sin(b)").unwrap();
/// assert_eq!(e.span.end, 12);
/// ```
pub fn parse_expression(src: &str) -> Result<Expr, Diagnostic> {
    check_nesting(src)?;
    with_parser_stack(|| parse_expression_checked(src))
}

/// Refuses text nested deeper than [`MAX_NESTING`] before pest descends it.
fn check_nesting(src: &str) -> Result<(), Diagnostic> {
    blaze_datashape::check_nesting(src, MAX_NESTING)
        .map_err(|e| Diagnostic::new(e.kind.name(), e.message, e.span))
}

fn parse_expression_checked(src: &str) -> Result<Expr, Diagnostic> {
    let mut pairs = DslParser::parse(Rule::expression, src).map_err(|e| syntax_error(e, src))?;
    let top = pairs.next().ok_or_else(|| empty(src))?;
    let expr = top
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .ok_or_else(|| empty(src))?;
    let types = TypeEnv::new();
    Lower { types: &types }.expr(expr)
}

fn empty(src: &str) -> Diagnostic {
    Diagnostic::new(
        "syntax",
        "expected an expression, found end of input",
        Span::new(src.len(), src.len()),
    )
}

fn syntax_error(e: pest::error::Error<Rule>, src: &str) -> Diagnostic {
    // A string literal left open makes pest fail somewhere after it; the
    // literal is the error.
    if let Some(at) = crate::strings::unterminated(src) {
        return Diagnostic::new(
            "syntax",
            "unterminated string literal: it needs its closing quote on the same line",
            at,
        );
    }
    let (message, span) = pest_error_message(&e, src, describe);
    Diagnostic::new("syntax", message, span)
}

fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of input",
        Rule::comma | Rule::comma_tuple | Rule::trailing_comma => "`,`",
        Rule::rparen => "`)`",
        Rule::rbracket => "`]`",
        Rule::rbrace => "`}`",
        Rule::colon => "`:`",
        Rule::equals => "`=`",
        Rule::arrow => "`->`",
        Rule::star => "`*`",
        Rule::kw_in => "`in`",
        Rule::kw_def | Rule::def_item => "`def`",
        Rule::type_item | Rule::kw_type => "`type`",
        Rule::name | Rule::binders => "a name",
        Rule::param => "a parameter `name: type`",
        Rule::param_type | Rule::ret_type | Rule::datashape | Rule::datashape_top | Rule::term => {
            "a datashape"
        }
        Rule::cmp_op => "a comparison",
        Rule::op_or | Rule::op_and => "`and` or `or`",
        Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::op_floordiv
        | Rule::op_mod
        | Rule::op_matmul
        | Rule::op_pow => "an operator",
        Rule::call | Rule::subscript | Rule::attribute => return None,
        Rule::ctor_brackets | Rule::ctor_parens | Rule::type_arg | Rule::arg_name => return None,
        Rule::kwarg | Rule::binder_arg | Rule::arg => "an argument",
        Rule::sub | Rule::slice | Rule::slice_part | Rule::ellipsis_sub => "an index",
        Rule::string_lit | Rule::str_sq | Rule::str_dq => "a string literal",
        _ => "an expression",
    })
}

struct Lower<'a> {
    types: &'a TypeEnv,
}

fn span(p: &Pair<'_, Rule>) -> Span {
    Span::new(p.as_span().start(), p.as_span().end())
}

fn ident(p: &Pair<'_, Rule>) -> Ident {
    Ident {
        name: p.as_str().to_string(),
        span: span(p),
    }
}

fn bug(at: Span, what: &str) -> Diagnostic {
    Diagnostic::new("syntax", format!("malformed {what}"), at)
}

impl Lower<'_> {
    fn datashape(&self, p: &Pair<'_, Rule>) -> Result<Datashape, Diagnostic> {
        let base = p.as_span().start();
        parse_with(p.as_str(), self.types)
            .map(|parsed| parsed.datashape)
            .map_err(|e| {
                Diagnostic::new(
                    e.kind.name(),
                    e.message,
                    Span::new(base + e.span.start, base + e.span.end),
                )
            })
    }

    fn def(&mut self, item: Pair<'_, Rule>) -> Result<Def, Diagnostic> {
        let whole = span(&item);
        let mut name = None;
        let mut params: Vec<Param> = Vec::new();
        let mut ret = None;
        let mut body = None;
        for part in item.into_inner() {
            match part.as_rule() {
                Rule::name => name = Some(ident(&part)),
                Rule::param => {
                    let mut it = part.into_inner();
                    let (Some(n), Some(t)) = (
                        it.find(|p| p.as_rule() == Rule::name),
                        it.find(|p| p.as_rule() == Rule::param_type),
                    ) else {
                        return Err(bug(whole, "parameter"));
                    };
                    let n = ident(&n);
                    if params.iter().any(|p| p.name == n.name) {
                        return Err(Diagnostic::new(
                            "redefinition",
                            format!("parameter `{}` appears twice", n.name),
                            n.span,
                        ));
                    }
                    let ty = self.datashape(&t)?;
                    params.push(Param {
                        name: n.name,
                        span: n.span,
                        ty,
                        ty_span: span(&t),
                    });
                }
                Rule::ret_type => ret = Some((self.datashape(&part)?, span(&part))),
                Rule::expr => body = Some(self.expr(part)?),
                _ => {}
            }
        }
        let (Some(name), Some(body)) = (name, body) else {
            return Err(bug(whole, "definition"));
        };
        Ok(Def {
            name: name.name,
            name_span: name.span,
            params,
            ret,
            body,
            span: whole,
        })
    }

    fn expr(&self, p: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        blaze_datashape::grow(|| self.expr_step(p))
    }

    fn expr_step(&self, p: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        let at = span(&p);
        let rule = p.as_rule();
        let text = p.as_str();
        let mut inner: Vec<Pair<Rule>> = p.into_inner().collect();
        let mk = |kind| Ok(Expr { kind, span: at });
        match rule {
            Rule::expr | Rule::slice_part | Rule::atom => {
                let child = inner.pop().ok_or_else(|| bug(at, "expression"))?;
                self.expr(child)
            }
            Rule::let_expr => {
                let mut it = inner
                    .into_iter()
                    .filter(|p| matches!(p.as_rule(), Rule::name | Rule::expr));
                let (Some(n), Some(v), Some(b)) = (it.next(), it.next(), it.next()) else {
                    return Err(bug(at, "let"));
                };
                mk(ExprKind::Let(
                    ident(&n),
                    Box::new(self.expr(v)?),
                    Box::new(self.expr(b)?),
                ))
            }
            Rule::forall_expr => {
                let mut binders = Vec::new();
                let mut body = None;
                for part in inner {
                    match part.as_rule() {
                        Rule::binders => binders = self.binders(part)?,
                        Rule::expr => body = Some(self.expr(part)?),
                        _ => {}
                    }
                }
                let body = body.ok_or_else(|| bug(at, "forall"))?;
                mk(ExprKind::Forall(binders, Box::new(body)))
            }
            Rule::or_expr | Rule::and_expr | Rule::arith | Rule::mul_expr => {
                self.left_assoc(inner, at)
            }
            Rule::not_expr | Rule::factor => {
                if inner.len() == 1 {
                    return self.expr(inner.pop().ok_or_else(|| bug(at, "expression"))?);
                }
                let operand = inner.pop().ok_or_else(|| bug(at, "expression"))?;
                let op = match inner.first().map(|p| p.as_rule()) {
                    Some(Rule::op_not) => UnaryOp::Not,
                    Some(Rule::op_neg) => UnaryOp::Neg,
                    _ => UnaryOp::Pos,
                };
                let e = self.expr(operand)?;
                // Fold `-` into numeric literals so that `-128` is one literal.
                if op == UnaryOp::Neg {
                    if let ExprKind::Float(x) = e.kind {
                        return mk(ExprKind::Float(-x));
                    }
                }
                mk(ExprKind::Unary(op, Box::new(e)))
            }
            Rule::comparison | Rule::power => {
                if rule == Rule::comparison && inner.len() > 3 {
                    let second = &inner[3];
                    return Err(Diagnostic::new(
                        "syntax",
                        "comparisons do not chain on arrays: write `(a < b) and (b < c)`",
                        span(second),
                    ));
                }
                if inner.len() == 1 {
                    return self.expr(inner.pop().ok_or_else(|| bug(at, "expression"))?);
                }
                let rhs = inner.pop().ok_or_else(|| bug(at, "expression"))?;
                let op = inner.pop().ok_or_else(|| bug(at, "operator"))?;
                let lhs = inner.pop().ok_or_else(|| bug(at, "expression"))?;
                let op = binop(&op).ok_or_else(|| bug(at, "operator"))?;
                mk(ExprKind::Binary(
                    op,
                    Box::new(self.expr(lhs)?),
                    Box::new(self.expr(rhs)?),
                ))
            }
            Rule::postfix => {
                let mut it = inner.into_iter();
                let first = it.next().ok_or_else(|| bug(at, "expression"))?;
                let mut e = self.expr(first)?;
                for post in it {
                    let end = span(&post).end;
                    let whole = Span::new(e.span.start, end);
                    let kind = match post.as_rule() {
                        Rule::call => ExprKind::Call(Box::new(e), self.args(post)?),
                        Rule::subscript => ExprKind::Index(Box::new(e), self.subs(post)?),
                        Rule::attribute => {
                            let n = post
                                .into_inner()
                                .find(|p| p.as_rule() == Rule::name)
                                .ok_or_else(|| bug(whole, "attribute"))?;
                            ExprKind::Attr(Box::new(e), ident(&n))
                        }
                        _ => return Err(bug(whole, "postfix")),
                    };
                    e = Expr { kind, span: whole };
                }
                Ok(e)
            }
            Rule::number => {
                let child = inner.pop().ok_or_else(|| bug(at, "number"))?;
                number(&child)
            }
            Rule::string_lit => {
                let raw = inner.pop().ok_or_else(|| bug(at, "string literal"))?;
                let text = crate::strings::unescape(raw.as_str(), raw.as_span().start())?;
                mk(ExprKind::Str(text))
            }
            Rule::kw_true => mk(ExprKind::Bool(true)),
            Rule::kw_false => mk(ExprKind::Bool(false)),
            Rule::kw_na => mk(ExprKind::Na),
            Rule::name => mk(ExprKind::Name(text.to_string())),
            Rule::list => {
                let items = inner
                    .into_iter()
                    .filter(|p| p.as_rule() == Rule::expr)
                    .map(|p| self.expr(p))
                    .collect::<Result<Vec<_>, _>>()?;
                mk(ExprKind::List(items))
            }
            Rule::record_lit => {
                let mut fields: Vec<(Ident, Expr)> = Vec::new();
                for f in inner
                    .into_iter()
                    .filter(|p| p.as_rule() == Rule::field_init)
                {
                    let mut it = f
                        .into_inner()
                        .filter(|p| matches!(p.as_rule(), Rule::field_name | Rule::expr));
                    let (Some(n), Some(v)) = (it.next(), it.next()) else {
                        return Err(bug(at, "record field"));
                    };
                    let name = field_name(&n)?;
                    if fields.iter().any(|(f, _)| f.name == name.name) {
                        return Err(Diagnostic::new(
                            "duplicate_field",
                            format!("duplicate field `{}` in record", name.name),
                            name.span,
                        ));
                    }
                    fields.push((name, self.expr(v)?));
                }
                mk(ExprKind::Record(fields))
            }
            Rule::paren_expr => {
                let is_tuple = inner.iter().any(|p| p.as_rule() == Rule::comma_tuple);
                let mut items = inner
                    .into_iter()
                    .filter(|p| p.as_rule() == Rule::expr)
                    .map(|p| self.expr(p))
                    .collect::<Result<Vec<_>, _>>()?;
                if !is_tuple && items.len() == 1 {
                    let mut e = items.pop().ok_or_else(|| bug(at, "expression"))?;
                    // Parentheses belong to the expression's span.
                    e.span = at;
                    return Ok(e);
                }
                mk(ExprKind::Tuple(items))
            }
            _ => Err(bug(at, "expression")),
        }
    }

    fn left_assoc(&self, inner: Vec<Pair<'_, Rule>>, at: Span) -> Result<Expr, Diagnostic> {
        let mut it = inner.into_iter();
        let first = it.next().ok_or_else(|| bug(at, "expression"))?;
        let mut e = self.expr(first)?;
        while let (Some(op), Some(rhs)) = (it.next(), it.next()) {
            let op = binop(&op).ok_or_else(|| bug(at, "operator"))?;
            let r = self.expr(rhs)?;
            let whole = Span::new(e.span.start, r.span.end);
            e = Expr {
                kind: ExprKind::Binary(op, Box::new(e), Box::new(r)),
                span: whole,
            };
        }
        Ok(e)
    }

    fn binders(&self, p: Pair<'_, Rule>) -> Result<Vec<Ident>, Diagnostic> {
        let mut out: Vec<Ident> = Vec::new();
        for n in p.into_inner().filter(|p| p.as_rule() == Rule::name) {
            let id = ident(&n);
            if out.iter().any(|o| o.name == id.name) {
                return Err(Diagnostic::new(
                    "redefinition",
                    format!("index `{}` is bound twice", id.name),
                    id.span,
                ));
            }
            out.push(id);
        }
        Ok(out)
    }

    fn args(&self, p: Pair<'_, Rule>) -> Result<Vec<Arg>, Diagnostic> {
        let mut out = Vec::new();
        for a in p.into_inner().filter(|p| p.as_rule() == Rule::arg) {
            let at = span(&a);
            let inner = a.into_inner().next().ok_or_else(|| bug(at, "argument"))?;
            out.push(match inner.as_rule() {
                Rule::binder_arg => {
                    let mut binders = Vec::new();
                    let mut body = None;
                    for part in inner.into_inner() {
                        match part.as_rule() {
                            Rule::binders => binders = self.binders(part)?,
                            Rule::expr => body = Some(self.expr(part)?),
                            _ => {}
                        }
                    }
                    Arg::Binder(binders, body.ok_or_else(|| bug(at, "argument"))?)
                }
                Rule::kwarg => {
                    let mut it = inner
                        .into_inner()
                        .filter(|p| matches!(p.as_rule(), Rule::name | Rule::expr));
                    let (Some(n), Some(v)) = (it.next(), it.next()) else {
                        return Err(bug(at, "keyword argument"));
                    };
                    Arg::Kw(ident(&n), self.expr(v)?)
                }
                _ => Arg::Pos(self.expr(inner)?),
            });
        }
        Ok(out)
    }

    fn subs(&self, p: Pair<'_, Rule>) -> Result<Vec<Subscript>, Diagnostic> {
        let mut out = Vec::new();
        for s in p.into_inner().filter(|p| p.as_rule() == Rule::sub) {
            let at = span(&s);
            let inner = s.into_inner().next().ok_or_else(|| bug(at, "index"))?;
            out.push(match inner.as_rule() {
                Rule::ellipsis_sub => Subscript::Ellipsis(at),
                Rule::slice => {
                    // Parts in order, with the colons telling which is which.
                    let mut slots: [Option<Expr>; 3] = [None, None, None];
                    let mut k = 0;
                    for part in inner.into_inner() {
                        match part.as_rule() {
                            Rule::colon => k += 1,
                            Rule::slice_part if k < 3 => slots[k] = Some(self.expr(part)?),
                            _ => {}
                        }
                    }
                    match (k, slots) {
                        // No colon: an index.
                        (0, [Some(e), None, None]) => Subscript::Expr(e),
                        (_, [start, stop, step]) => Subscript::Slice {
                            start,
                            stop,
                            step,
                            span: at,
                        },
                    }
                }
                _ => return Err(bug(at, "index")),
            });
        }
        Ok(out)
    }
}

fn binop(p: &Pair<'_, Rule>) -> Option<BinaryOp> {
    use BinaryOp::*;
    Some(match p.as_rule() {
        Rule::op_or => Or,
        Rule::op_and => And,
        Rule::op_add => Add,
        Rule::op_sub => Sub,
        Rule::op_mul => Mul,
        Rule::op_div => Div,
        Rule::op_floordiv => FloorDiv,
        Rule::op_mod => Mod,
        Rule::op_matmul => MatMul,
        Rule::op_pow => Pow,
        Rule::cmp_op => match p.as_str() {
            "==" => Eq,
            "!=" => Ne,
            "<" => Lt,
            "<=" => Le,
            ">" => Gt,
            ">=" => Ge,
            _ => return None,
        },
        _ => return None,
    })
}

fn field_name(p: &Pair<'_, Rule>) -> Result<Ident, Diagnostic> {
    let at = span(p);
    let text = p.as_str();
    let name = if text.starts_with('\'') || text.starts_with('"') {
        // Quoted field names: reuse the datashape crate's unescaping by
        // parsing `{NAME: int8}`.
        let probe = format!("{{{text}: int8}}");
        match blaze_datashape::parse(&probe) {
            Ok(Datashape {
                measure: blaze_datashape::Measure::Record { fields },
                ..
            }) if fields.len() == 1 => fields[0].0.clone(),
            _ => return Err(Diagnostic::new("syntax", "invalid quoted field name", at)),
        }
    } else {
        text.to_string()
    };
    Ok(Ident { name, span: at })
}

fn number(p: &Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
    let at = span(p);
    let text = p.as_str();
    let kind = match p.as_rule() {
        Rule::int_lit => match text.parse::<u128>() {
            Ok(v) => ExprKind::Int(v),
            Err(_) => {
                return Err(Diagnostic::new(
                    "bad_number",
                    format!("integer literal `{text}` is too large"),
                    at,
                ))
            }
        },
        _ => {
            let (body, imag) = match text.strip_suffix(['j', 'J']) {
                Some(b) => (b, true),
                None => (text, false),
            };
            match body.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    if imag {
                        ExprKind::Imag(v)
                    } else {
                        ExprKind::Float(v)
                    }
                }
                _ => {
                    return Err(Diagnostic::new(
                        "bad_number",
                        format!("number literal `{text}` is out of range"),
                        at,
                    ))
                }
            }
        }
    };
    Ok(Expr { kind, span: at })
}

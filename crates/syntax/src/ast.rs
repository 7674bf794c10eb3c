//! The abstract syntax tree of the DSL. Every node has a byte span into the
//! source; types written in the program are already parsed datashapes.

use blaze_datashape::{Datashape, Span, TypeEnv};

/// A parsed module: its type definitions (as an environment) and its kernel
/// definitions, in source order.
#[derive(Clone, Debug)]
pub struct Module {
    /// Type definitions in scope for the whole module.
    pub types: TypeEnv,
    /// Kernel definitions.
    pub defs: Vec<Def>,
}

/// `def name(params) -> ret = body`
#[derive(Clone, Debug, PartialEq)]
pub struct Def {
    /// The kernel's name.
    pub name: String,
    /// Span of the name.
    pub name_span: Span,
    /// Typed parameters.
    pub params: Vec<Param>,
    /// The declared result type, if written.
    pub ret: Option<(Datashape, Span)>,
    /// The body.
    pub body: Expr,
    /// Span of the whole definition.
    pub span: Span,
}

/// A parameter `name: datashape`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Span of the name.
    pub span: Span,
    /// Its type.
    pub ty: Datashape,
    /// Span of the type.
    pub ty_span: Span,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// A name with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal (weakly typed).
    Int(u128),
    /// A float literal (weakly typed).
    Float(f64),
    /// An imaginary literal `2j` (weakly typed complex).
    Imag(f64),
    /// `true` / `false`.
    Bool(bool),
    /// A string literal `"GOOG"` / `'GOOG'`, escapes decoded.
    Str(String),
    /// `na`, the missing value.
    Na,
    /// A name: parameter, `let` binding, index variable, or builtin.
    Name(String),
    /// `[a, b, c]`
    List(Vec<Expr>),
    /// `(a, b)`, `(a,)`, `()`
    Tuple(Vec<Expr>),
    /// `{a: x, b: y}`
    Record(Vec<(Ident, Expr)>),
    /// `-x`, `+x`, `not x`
    Unary(UnaryOp, Box<Expr>),
    /// `a + b`, `a and b`, `a @ b`, …
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `f(args)`, `x.method(args)`
    Call(Box<Expr>, Vec<Arg>),
    /// `x[subs]`
    Index(Box<Expr>, Vec<Subscript>),
    /// `x.name` (`x.T`, a record field)
    Attr(Box<Expr>, Ident),
    /// `let name = value in body`
    Let(Ident, Box<Expr>, Box<Expr>),
    /// `forall i, j: body`
    Forall(Vec<Ident>, Box<Expr>),
}

/// A call argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// A positional argument.
    Pos(Expr),
    /// `name=value`
    Kw(Ident, Expr),
    /// `k, l: body` in `sum(k, l: body)`: index notation.
    Binder(Vec<Ident>, Expr),
}

/// One entry of `x[...]`.
#[derive(Clone, Debug, PartialEq)]
pub enum Subscript {
    /// An index expression (an integer, or an index variable).
    Expr(Expr),
    /// `start:stop:step`, each part optional.
    Slice {
        /// The start.
        start: Option<Expr>,
        /// The stop.
        stop: Option<Expr>,
        /// The step.
        step: Option<Expr>,
        /// Where it is.
        span: Span,
    },
    /// `...`
    Ellipsis(Span),
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-`
    Neg,
    /// `+`
    Pos,
    /// `not`
    Not,
}

/// Binary operators, comparisons and logic included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
    /// `@`
    MatMul,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`
    And,
    /// `or`
    Or,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            FloorDiv => "//",
            Mod => "%",
            Pow => "**",
            MatMul => "@",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "and",
            Or => "or",
        }
    }
}

/// A fully parenthesized form, for tests and debugging: every operator
/// application in parentheses, calls and indexing as written.
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn list(f: &mut std::fmt::Formatter<'_>, items: &[Expr]) -> std::fmt::Result {
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{e}")?;
            }
            Ok(())
        }
        fn names(f: &mut std::fmt::Formatter<'_>, ids: &[Ident]) -> std::fmt::Result {
            let v: Vec<&str> = ids.iter().map(|i| i.name.as_str()).collect();
            f.write_str(&v.join(", "))
        }
        // Deep trees (long operator chains) print on fresh stack segments.
        blaze_datashape::grow(|| match &self.kind {
            ExprKind::Int(v) => write!(f, "{v}"),
            ExprKind::Float(v) => write!(f, "{v:?}"),
            ExprKind::Imag(v) => write!(f, "{v:?}j"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Str(s) => f.write_str(&crate::strings::quote(s, '"')),
            ExprKind::Na => f.write_str("na"),
            ExprKind::Name(n) => f.write_str(n),
            ExprKind::List(items) => {
                f.write_str("[")?;
                list(f, items)?;
                f.write_str("]")
            }
            ExprKind::Tuple(items) => {
                f.write_str("(")?;
                list(f, items)?;
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            ExprKind::Record(fields) => {
                f.write_str("{")?;
                for (i, (n, e)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {e}", blaze_datashape::name_text(&n.name))?;
                }
                f.write_str("}")
            }
            ExprKind::Unary(op, e) => {
                let s = match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Pos => "+",
                    UnaryOp::Not => "not ",
                };
                write!(f, "({s}{e})")
            }
            ExprKind::Binary(op, a, b) => write!(f, "({a} {} {b})", op.symbol()),
            ExprKind::Call(func, args) => {
                write!(f, "{func}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match a {
                        Arg::Pos(e) => write!(f, "{e}")?,
                        Arg::Kw(n, e) => write!(f, "{}={e}", n.name)?,
                        Arg::Binder(ids, e) => {
                            names(f, ids)?;
                            write!(f, ": {e}")?;
                        }
                    }
                }
                f.write_str(")")
            }
            ExprKind::Index(base, subs) => {
                write!(f, "{base}[")?;
                for (i, s) in subs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match s {
                        Subscript::Expr(e) => write!(f, "{e}")?,
                        Subscript::Ellipsis(_) => f.write_str("...")?,
                        Subscript::Slice {
                            start, stop, step, ..
                        } => {
                            if let Some(e) = start {
                                write!(f, "{e}")?;
                            }
                            f.write_str(":")?;
                            if let Some(e) = stop {
                                write!(f, "{e}")?;
                            }
                            if let Some(e) = step {
                                write!(f, ":{e}")?;
                            }
                        }
                    }
                }
                f.write_str("]")
            }
            // `3 .e` printed as `3.e` would read back as the number `3.`
            // followed by `e`: a number before a field is parenthesized.
            ExprKind::Attr(base, n) => match base.kind {
                ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Imag(_) => {
                    write!(f, "({base}).{}", n.name)
                }
                _ => write!(f, "{base}.{}", n.name),
            },
            ExprKind::Let(n, v, b) => write!(f, "(let {} = {v} in {b})", n.name),
            ExprKind::Forall(ids, body) => {
                f.write_str("(forall ")?;
                names(f, ids)?;
                write!(f, ": {body})")
            }
        })
    }
}

/// Dropping is iterative: the tree of a 100,000-term chain is 100,000 deep,
/// and the drop glue of nested boxes would recurse once per level.
impl Drop for Expr {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        take_children(&mut self.kind, &mut pending);
        while let Some(mut e) = pending.pop() {
            take_children(&mut e.kind, &mut pending);
            // `e` now has no children: dropping it does not recurse.
        }
    }
}

/// Moves the sub-expressions of `kind` to `out`, leaving `kind` a leaf.
fn take_children(kind: &mut ExprKind, out: &mut Vec<Expr>) {
    let has_children = !matches!(
        kind,
        ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Imag(_)
            | ExprKind::Bool(_)
            | ExprKind::Str(_)
            | ExprKind::Na
            | ExprKind::Name(_)
    );
    if !has_children {
        return;
    }
    match std::mem::replace(kind, ExprKind::Na) {
        ExprKind::List(items) | ExprKind::Tuple(items) => out.extend(items),
        ExprKind::Record(fields) => out.extend(fields.into_iter().map(|(_, e)| e)),
        ExprKind::Unary(_, a) | ExprKind::Attr(a, _) | ExprKind::Forall(_, a) => out.push(*a),
        ExprKind::Binary(_, a, b) | ExprKind::Let(_, a, b) => {
            out.push(*a);
            out.push(*b);
        }
        ExprKind::Call(func, args) => {
            out.push(*func);
            for a in args {
                match a {
                    Arg::Pos(e) | Arg::Kw(_, e) | Arg::Binder(_, e) => out.push(e),
                }
            }
        }
        ExprKind::Index(base, subs) => {
            out.push(*base);
            for sub in subs {
                match sub {
                    Subscript::Expr(e) => out.push(e),
                    Subscript::Slice {
                        start, stop, step, ..
                    } => out.extend([start, stop, step].into_iter().flatten()),
                    Subscript::Ellipsis(_) => {}
                }
            }
        }
        leaf => *kind = leaf,
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_expression;

    #[test]
    fn printed_expressions_parse_back() {
        for src in [
            "{'a b': 1, c: 'x'}",
            "-x ** 2 + f(a=1, k: y[k])",
            "x[1:2, ...]",
            // Found by fuzzing: a field of a number literal.
            "\n3#\n.e#=#",
            "3 .e",
            "2.5 .x + 1e3 .y",
        ] {
            let printed = parse_expression(src).unwrap().to_string();
            let again = parse_expression(&printed).unwrap().to_string();
            assert_eq!(again, printed, "{src}");
        }
    }

    /// Found by fuzzing: an index was parsed as a slice and then again as
    /// an expression, so nested indexes took 2^depth steps (18 levels took
    /// half a minute). Each is parsed once now; 200 levels, closed or not,
    /// are immediate.
    #[test]
    fn nested_indexes_are_parsed_once() {
        let closed = format!("{}0{}", "x[".repeat(200), "]".repeat(200));
        let e = parse_expression(&closed).expect("nested indexes parse");
        assert!(e.to_string().starts_with("x[x[x["));
        let open = "0[".repeat(200);
        let err = parse_expression(&open).expect_err("unclosed");
        assert!(err.message.contains("expected"), "{}", err.message);
        let slices = parse_expression("x[1:2, ::3, 4, ..., :]")
            .unwrap()
            .to_string();
        assert_eq!(slices, "x[1:2, ::3, 4, ..., :]");
    }

    #[test]
    fn a_20000_deep_tree_prints_and_drops_on_a_small_stack() {
        let src = vec!["x[0]"; 20_000].join(" - ");
        let n = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let e = parse_expression(&src).expect("a chain parses");
                e.to_string().len()
            })
            .unwrap()
            .join()
            .expect("no overflow");
        assert!(n > 120_000);
    }
}

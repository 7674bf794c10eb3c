//! The printed form of the IR: one node a line,
//! `%n = op operands args : type [weak] [@start..end]`.
//!
//! ```text
//! def gram(A: N * M * float64) {
//!   %0 = param 0 : N * M * float64 @9..10
//!   %1 = transpose [1, 0] %0 : M * N * float64 @31..34
//!   %2 = matmul %1 %0 : M * M * float64 @31..38
//!   return %2
//! }
//! ```
//!
//! The form is exact: [`crate::parse_function`] reads it back to an equal
//! [`Function`] (spans included; parameter types that name type definitions
//! need those, which a printed [`Program`] lists first). To keep it so:
//!
//! - names (the function, parameters, index variables, record fields) are
//!   written bare when they are plain identifiers and otherwise single-quoted
//!   with the datashape crate's escapes (`'a b'`, `'it\'s'`);
//! - floats are written with Rust's shortest round-trip spelling (`1.0`,
//!   `1e-7`, `inf`, `-inf`); NaN is `NaN` when it has the bits of
//!   `f64::NAN` and `NaN(0x…)` with its bits otherwise;
//! - a node's span is written `@start..end` at the end of its line, except
//!   the empty span `0..0`, which is what a missing `@` reads back as.

use crate::node::*;
use blaze_datashape::Span;
use std::fmt::{self, Display, Formatter, Write};

/// A float, exactly: Rust's shortest round-trip spelling, NaN with its bits
/// unless they are those of `f64::NAN`. `signed` writes `+` before a
/// non-negative value (the imaginary part of a complex literal).
pub(crate) fn float_text(x: f64, signed: bool) -> String {
    if x.is_nan() {
        let sign = if signed { "+" } else { "" };
        if x.to_bits() == f64::NAN.to_bits() {
            format!("{sign}NaN")
        } else {
            format!("{sign}NaN(0x{:016x})", x.to_bits())
        }
    } else if signed {
        format!("{x:+?}")
    } else {
        format!("{x:?}")
    }
}

/// Names are written as the datashape crate writes record field names.
pub(crate) use blaze_datashape::{is_plain_ident, name_text};

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => f.write_str(&float_text(*x, false)),
            Literal::Complex(r, i) => {
                write!(f, "({}{}j)", float_text(*r, false), float_text(*i, true))
            }
            Literal::Str(s) => f.write_str(&blaze_syntax::strings::quote(s, '\'')),
        }
    }
}

fn list<T: Display>(items: &[T]) -> String {
    let v: Vec<String> = items.iter().map(|x| x.to_string()).collect();
    format!("[{}]", v.join(", "))
}

impl Function {
    /// One node as the printed IR shows it, without its span:
    /// `%3 = binary add %1 %2 : 10 * float64`.
    pub fn node_text(&self, id: NodeId) -> String {
        let Some(n) = self.nodes.get(id.index()) else {
            return format!("%{}", id.0);
        };
        let mut line = format!("%{} = {}", id.0, self.op_text(&n.op));
        for a in &n.args {
            let _ = write!(line, " %{}", a.0);
        }
        let _ = write!(line, " : {}", n.ty);
        line
    }

    fn var_name(&self, v: IndexVar) -> String {
        self.index_vars.get(v.0 as usize).map_or_else(
            || format!("?{}", v.0),
            |i| format!("{}#{}", name_text(&i.name), v.0),
        )
    }

    fn vars(&self, vs: &[IndexVar]) -> String {
        let v: Vec<String> = vs.iter().map(|v| self.var_name(*v)).collect();
        format!("[{}]", v.join(", "))
    }

    fn op_text(&self, op: &Op) -> String {
        match op {
            Op::Param(i) => format!("param {i}"),
            Op::Literal(l) => format!("literal {l}"),
            Op::ArrayLiteral { shape, values } => format!("array {} {}", list(shape), list(values)),
            Op::Na => "na".into(),
            Op::Unary(u) => u.name().into(),
            Op::Binary(b) => format!("binary {}", b.name()),
            Op::Where => "where".into(),
            Op::FillNa => "fillna".into(),
            Op::Cast(s) => format!("cast {s}"),
            Op::ToDecimal { precision, scale } => format!("cast decimal[{precision}, {scale}]"),
            Op::Reduce { f, axes, keepdims } => {
                let axes = axes.as_ref().map_or("all".to_string(), |a| list(a));
                format!(
                    "reduce {} axes={axes}{}",
                    f.name(),
                    if *keepdims { " keepdims" } else { "" }
                )
            }
            Op::Index(items) => {
                let v: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        IndexItem::At(k) => k.to_string(),
                        IndexItem::Range { start, stop, step } => {
                            let o = |x: &Option<i64>| x.map_or(String::new(), |v| v.to_string());
                            format!("{}:{}:{step}", o(start), o(stop))
                        }
                    })
                    .collect();
                format!("index [{}]", v.join(", "))
            }
            Op::Transpose(p) => format!("transpose {}", list(p)),
            Op::Reshape(s) => format!("reshape {}", list(s)),
            Op::Concat(a) => format!("concat axis={a}"),
            Op::Stack(a) => format!("stack axis={a}"),
            Op::MatMul => "matmul".into(),
            Op::Linalg(l) => format!("linalg {}", l.name()),
            Op::Call(r) => format!("call {}", r.text()),
            Op::Select => "select".into(),
            Op::Take => "take".into(),
            Op::Flatten => "flatten".into(),
            Op::Length(a) => format!("length axis={a}"),
            Op::Field(n) => format!("field {}", name_text(n)),
            Op::MakeRecord(ns) => {
                let v: Vec<String> = ns.iter().map(|n| name_text(n)).collect();
                format!("record [{}]", v.join(", "))
            }
            Op::MakeTuple => "tuple".into(),
            Op::TupleGet(i) => format!("get {i}"),
            Op::Forall(vs) => format!("forall {}", self.vars(vs)),
            Op::IndexReduce(f, vs) => format!("index_reduce {} {}", f.name(), self.vars(vs)),
            Op::Gather(items) => {
                let v: Vec<String> = items
                    .iter()
                    .map(|g| match g {
                        GatherItem::Var(v) => self.var_name(*v),
                        GatherItem::At(i) => i.to_string(),
                    })
                    .collect();
                format!("gather [{}]", v.join(", "))
            }
            Op::IndexValue(v) => format!("index_value {}", self.var_name(*v)),
            Op::Eps(vs) => format!("eps {}", self.vars(vs)),
            Op::Delta(vs) => format!("delta {}", self.vars(vs)),
        }
    }
}

impl Display for Function {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(n, t)| format!("{}: {t}", name_text(n)))
            .collect();
        writeln!(f, "def {}({}) {{", name_text(&self.name), params.join(", "))?;
        for (k, v) in self.index_vars.iter().enumerate() {
            writeln!(f, "  index {}#{k} in 0..{}", name_text(&v.name), v.extent)?;
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let mut line = format!("  {}", self.node_text(NodeId(i as u32)));
            if n.weak {
                line.push_str(" weak");
            }
            if n.span != Span::default() {
                let _ = write!(line, " @{}..{}", n.span.start, n.span.end);
            }
            writeln!(f, "{line}")?;
        }
        writeln!(f, "  return %{}", self.root.0)?;
        f.write_str("}")
    }
}

impl Display for Program {
    /// The type definitions (one a line, then a blank line), then the
    /// functions separated by blank lines: what [`crate::parse_program`]
    /// reads.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for def in self.types.defs() {
            writeln!(f, "{def}")?;
        }
        if !self.types.is_empty() && !self.functions.is_empty() {
            writeln!(f)?;
        }
        for (i, func) in self.functions.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{func}")?;
        }
        Ok(())
    }
}

//! The printed form of the IR: one node a line, `%n = op args : type`.
//!
//! ```text
//! def gram(A: N * M * float64) {
//!   %0 = param 0 : N * M * float64
//!   %1 = transpose [1, 0] %0 : M * N * float64
//!   %2 = matmul %0 %1 : M * M * float64
//!   return %2
//! }
//! ```

use crate::node::*;
use std::fmt::{self, Display, Formatter, Write};

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::Complex(r, i) => write!(f, "({r:?}{i:+?}j)"),
        }
    }
}

fn list<T: Display>(items: &[T]) -> String {
    let v: Vec<String> = items.iter().map(|x| x.to_string()).collect();
    format!("[{}]", v.join(", "))
}

impl Function {
    fn var_name(&self, v: IndexVar) -> String {
        self.index_vars
            .get(v.0 as usize)
            .map_or_else(|| format!("?{}", v.0), |i| format!("{}#{}", i.name, v.0))
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
            Op::Cast(s) => format!("cast {s}"),
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
            Op::Field(n) => format!("field {n}"),
            Op::MakeRecord(ns) => format!("record {}", list(ns)),
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
            .map(|(n, t)| format!("{n}: {t}"))
            .collect();
        writeln!(f, "def {}({}) {{", self.name, params.join(", "))?;
        for (k, v) in self.index_vars.iter().enumerate() {
            writeln!(f, "  index {}#{k} in 0..{}", v.name, v.extent)?;
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let mut line = format!("  %{i} = {}", self.op_text(&n.op));
            for a in &n.args {
                let _ = write!(line, " %{}", a.0);
            }
            let _ = write!(line, " : {}", n.ty);
            if n.weak {
                line.push_str(" weak");
            }
            writeln!(f, "{line}")?;
        }
        writeln!(f, "  return %{}", self.root.0)?;
        f.write_str("}")
    }
}

impl Display for Program {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, func) in self.functions.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{func}")?;
        }
        Ok(())
    }
}

//! Name resolution and type inference: the syntax tree becomes the typed IR.
//!
//! Shapes are inferred by unification against the signatures of the prelude
//! (`prelude.rs`); element types by the promotion lattice with weak literals
//! (`2 * x` keeps `x`'s type) and the rules of `ops.rs`. Operands are made
//! explicit: where an operand's element type differs from the one an
//! operation computes in, a `Cast` node is inserted (a weak literal is
//! retyped instead), so every engine sees operands of one type.
//!
//! Every rejection is a [`Diagnostic`] pointing at the offending
//! sub-expression and saying what was expected and what was found.

use crate::node::*;
use crate::ops::{complex_of, float_of, real_of, BinaryFn, LinalgFn, ReduceFn, UnaryFn};
use crate::prelude::signature;
use blaze_datashape::{
    parse, promote, Datashape, Dim, Measure, Scalar, ScalarKind, Span, TypeEnv, Unifier,
};
use blaze_syntax::ast::{Arg, BinaryOp, Def, Expr, ExprKind, Ident, Module, Subscript, UnaryOp};
use blaze_syntax::Diagnostic;
use std::collections::HashSet;

/// Type-checks a module: every definition becomes a [`Function`].
pub fn check_program(module: &Module, src: &str) -> Result<Program, Diagnostic> {
    let mut functions = Vec::new();
    for def in &module.defs {
        functions.push(check_def(def, &module.types, src)?);
    }
    Ok(Program {
        types: module.types.clone(),
        functions,
    })
}

/// Type-checks a bare expression against named arguments; the function is
/// called `main`.
pub fn check_expression(
    expr: &Expr,
    args: &[(String, Datashape)],
    types: &TypeEnv,
    src: &str,
) -> Result<Function, Diagnostic> {
    let mut c = Checker::new(types, src, args.iter().map(|(_, t)| t));
    for (i, (name, ty)) in args.iter().enumerate() {
        let ty = types.expand(ty);
        let id = c.push(Op::Param(i), vec![], ty, false, Span::new(0, 0));
        c.scope.push((name.clone(), Binding::Node(id)));
    }
    let root = c.expr(expr)?;
    c.finish("main".to_string(), args.to_vec(), root)
}

fn check_def(def: &Def, types: &TypeEnv, src: &str) -> Result<Function, Diagnostic> {
    let mut c = Checker::new(types, src, def.params.iter().map(|p| &p.ty));
    for (i, p) in def.params.iter().enumerate() {
        let ty = types.expand(&p.ty);
        let id = c.push(Op::Param(i), vec![], ty, false, p.span);
        c.scope.push((p.name.clone(), Binding::Node(id)));
    }
    let root = c.expr(&def.body)?;
    if let Some((declared, at)) = &def.ret {
        let mut param_vars = HashSet::new();
        for p in &def.params {
            collect_names(&types.expand(&p.ty), &mut param_vars);
        }
        c.check_declared(root, declared, &param_vars, *at)?;
    }
    let params = def
        .params
        .iter()
        .map(|p| (p.name.clone(), p.ty.clone()))
        .collect();
    c.finish(def.name.clone(), params, root)
}

#[derive(Clone)]
enum Binding {
    Node(NodeId),
    Index(IndexVar),
}

struct Checker<'a> {
    types: &'a TypeEnv,
    src: &'a str,
    nodes: Vec<Node>,
    scope: Vec<(String, Binding)>,
    index_vars: Vec<IndexInfo>,
    /// Where each index variable was first given its extent.
    index_spans: Vec<Option<Span>>,
    /// Pairs of index variables that must have equal extents (`delta`).
    same_extent: Vec<(IndexVar, IndexVar, Span)>,
    /// Type-variable names in use, for fresh names.
    used_names: HashSet<String>,
    /// Where a shared node (a parameter, a `let`) was last referred to, so
    /// that errors point at the use rather than the declaration.
    uses: std::collections::HashMap<NodeId, Span>,
}

fn err(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::new(code, message, span)
}

fn collect_names(ds: &Datashape, out: &mut HashSet<String>) {
    for d in &ds.dims {
        match d {
            Dim::TypeVar(n) | Dim::Ellipsis(Some(n)) => {
                out.insert(n.clone());
            }
            _ => {}
        }
    }
    match &ds.measure {
        Measure::TypeVar { name } => {
            out.insert(name.clone());
        }
        Measure::Record { fields } => fields.iter().for_each(|(_, f)| collect_names(f, out)),
        Measure::Tuple { elems } => elems.iter().for_each(|e| collect_names(e, out)),
        _ => {}
    }
}

/// The scalar of a measure that may be an option: `(scalar, is_option)`.
fn scalar_of(m: &Measure) -> Option<(Scalar, bool)> {
    match m {
        Measure::Scalar { scalar } => Some((*scalar, false)),
        Measure::Option { inner } => match inner.as_ref() {
            Measure::Scalar { scalar } => Some((*scalar, true)),
            _ => None,
        },
        _ => None,
    }
}

fn with_option(s: Scalar, opt: bool) -> Measure {
    if opt {
        Measure::option(Measure::scalar(s))
    } else {
        Measure::scalar(s)
    }
}

impl<'a> Checker<'a> {
    fn new<'t>(types: &'a TypeEnv, src: &'a str, tys: impl Iterator<Item = &'t Datashape>) -> Self {
        let mut used_names = HashSet::new();
        for t in tys {
            collect_names(&types.expand(t), &mut used_names);
        }
        Checker {
            types,
            src,
            nodes: Vec::new(),
            scope: Vec::new(),
            index_vars: Vec::new(),
            index_spans: Vec::new(),
            same_extent: Vec::new(),
            used_names,
            uses: std::collections::HashMap::new(),
        }
    }

    fn finish(
        self,
        name: String,
        params: Vec<(String, Datashape)>,
        root: NodeId,
    ) -> Result<Function, Diagnostic> {
        let f = Function {
            name,
            params,
            nodes: self.nodes,
            root,
            index_vars: self.index_vars,
        };
        crate::verify::verify(&f).map_err(|m| {
            err(
                "internal",
                format!("the type checker produced an invalid IR: {m}"),
                f.node(root).span,
            )
        })?;
        Ok(f)
    }

    fn push(&mut self, op: Op, args: Vec<NodeId>, ty: Datashape, weak: bool, span: Span) -> NodeId {
        self.nodes.push(Node {
            op,
            args,
            ty,
            weak,
            span,
        });
        NodeId((self.nodes.len() - 1) as u32)
    }

    fn ty(&self, id: NodeId) -> &Datashape {
        &self.nodes[id.index()].ty
    }

    fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The span to point at for node `id`: its latest use by name, else
    /// where it was made.
    fn span_of(&self, id: NodeId) -> Span {
        self.uses
            .get(&id)
            .copied()
            .unwrap_or(self.nodes[id.index()].span)
    }

    fn fresh(&mut self, base: &str) -> Dim {
        let base = if base.starts_with(|c: char| c.is_ascii_uppercase()) {
            base.to_string()
        } else {
            "D".to_string()
        };
        for k in 1.. {
            let name = format!("{base}{k}");
            if !self.used_names.contains(&name) {
                self.used_names.insert(name.clone());
                return Dim::TypeVar(name);
            }
        }
        Dim::Var(None)
    }

    fn lookup(&self, name: &str) -> Option<Binding> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
    }

    fn text(&self, span: Span) -> &str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, e: &Expr) -> Result<NodeId, Diagnostic> {
        let at = e.span;
        match &e.kind {
            ExprKind::Int(v) => {
                let v = i128::try_from(*v)
                    .ok()
                    .filter(|v| *v <= i64::MAX as i128)
                    .ok_or_else(|| {
                        err(
                            "bad_number",
                            format!("integer literal {v} does not fit in int64"),
                            at,
                        )
                    })?;
                Ok(self.push(
                    Op::Literal(Literal::Int(v)),
                    vec![],
                    Datashape::scalar(Scalar::Int64.into()),
                    true,
                    at,
                ))
            }
            ExprKind::Float(v) => Ok(self.push(
                Op::Literal(Literal::Float(*v)),
                vec![],
                Datashape::scalar(Scalar::Float64.into()),
                true,
                at,
            )),
            ExprKind::Imag(v) => Ok(self.push(
                Op::Literal(Literal::Complex(0.0, *v)),
                vec![],
                Datashape::scalar(Scalar::Complex128.into()),
                true,
                at,
            )),
            ExprKind::Bool(b) => Ok(self.push(
                Op::Literal(Literal::Bool(*b)),
                vec![],
                Datashape::scalar(Scalar::Bool.into()),
                false,
                at,
            )),
            ExprKind::Na => {
                Ok(self.push(Op::Na, vec![], Datashape::scalar(Measure::Null), true, at))
            }
            ExprKind::Name(name) => match self.lookup(name) {
                Some(Binding::Node(id)) => {
                    self.uses.insert(id, at);
                    Ok(id)
                }
                Some(Binding::Index(v)) => Ok(self.push(
                    Op::IndexValue(v),
                    vec![],
                    Datashape::scalar(Scalar::Int64.into()),
                    false,
                    at,
                )),
                None => Err(self.unknown_name(name, at)),
            },
            ExprKind::List(items) => self.list(items, at),
            ExprKind::Tuple(items) => {
                let mut args = Vec::new();
                let mut elems = Vec::new();
                for it in items {
                    let id = self.expr(it)?;
                    elems.push(self.ty(id).clone());
                    args.push(id);
                }
                Ok(self.push(
                    Op::MakeTuple,
                    args,
                    Datashape::scalar(Measure::Tuple { elems }),
                    false,
                    at,
                ))
            }
            ExprKind::Record(fields) => self.record(fields, at),
            ExprKind::Unary(op, x) => {
                // `-2` is one literal: it stays weak and folds.
                if *op == UnaryOp::Neg {
                    if let ExprKind::Int(v) = x.kind {
                        let v = -(v as i128);
                        if v < i64::MIN as i128 {
                            return Err(err(
                                "bad_number",
                                format!("integer literal {v} does not fit in int64"),
                                at,
                            ));
                        }
                        return Ok(self.push(
                            Op::Literal(Literal::Int(v)),
                            vec![],
                            Datashape::scalar(Scalar::Int64.into()),
                            true,
                            at,
                        ));
                    }
                }
                let f = match op {
                    UnaryOp::Neg => UnaryFn::Neg,
                    UnaryOp::Pos => UnaryFn::Pos,
                    UnaryOp::Not => UnaryFn::Not,
                };
                let a = self.expr(x)?;
                self.unary(f, a, at)
            }
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (self.expr(a)?, self.expr(b)?);
                if *op == BinaryOp::MatMul {
                    return self.matmul(x, y, at);
                }
                let f = match op {
                    BinaryOp::Add => BinaryFn::Add,
                    BinaryOp::Sub => BinaryFn::Sub,
                    BinaryOp::Mul => BinaryFn::Mul,
                    BinaryOp::Div => BinaryFn::Div,
                    BinaryOp::FloorDiv => BinaryFn::FloorDiv,
                    BinaryOp::Mod => BinaryFn::Mod,
                    BinaryOp::Pow => BinaryFn::Pow,
                    BinaryOp::Eq => BinaryFn::Eq,
                    BinaryOp::Ne => BinaryFn::Ne,
                    BinaryOp::Lt => BinaryFn::Lt,
                    BinaryOp::Le => BinaryFn::Le,
                    BinaryOp::Gt => BinaryFn::Gt,
                    BinaryOp::Ge => BinaryFn::Ge,
                    BinaryOp::And => BinaryFn::And,
                    BinaryOp::Or => BinaryFn::Or,
                    BinaryOp::MatMul => BinaryFn::Mul,
                };
                self.binary(f, x, y, at)
            }
            ExprKind::Call(func, args) => self.call(func, args, at),
            ExprKind::Index(base, subs) => self.index(base, subs, at),
            ExprKind::Attr(base, name) => {
                let b = self.expr(base)?;
                self.attr(b, name, at)
            }
            ExprKind::Let(name, value, body) => {
                let v = self.expr(value)?;
                self.scope.push((name.name.clone(), Binding::Node(v)));
                let r = self.expr(body);
                self.scope.pop();
                r
            }
            ExprKind::Forall(ids, body) => self.forall(ids, body, at),
        }
    }

    fn unknown_name(&self, name: &str, at: Span) -> Diagnostic {
        if is_builtin(name) {
            return err(
                "type_error",
                format!("`{name}` is a function: call it, as in `{name}(x)`"),
                at,
            );
        }
        let mut known: Vec<&str> = self.scope.iter().map(|(n, _)| n.as_str()).collect();
        known.sort();
        known.dedup();
        let hint = if known.is_empty() {
            String::new()
        } else {
            format!("; names in scope: {}", known.join(", "))
        };
        err("unknown_name", format!("unknown name `{name}`{hint}"), at)
    }

    fn list(&mut self, items: &[Expr], at: Span) -> Result<NodeId, Diagnostic> {
        fn leaf(e: &Expr) -> Option<Literal> {
            match &e.kind {
                ExprKind::Int(v) => i128::try_from(*v).ok().map(Literal::Int),
                ExprKind::Float(v) => Some(Literal::Float(*v)),
                ExprKind::Imag(v) => Some(Literal::Complex(0.0, *v)),
                ExprKind::Bool(b) => Some(Literal::Bool(*b)),
                ExprKind::Unary(UnaryOp::Neg, x) => match leaf(x)? {
                    Literal::Int(v) => Some(Literal::Int(-v)),
                    Literal::Float(v) => Some(Literal::Float(-v)),
                    Literal::Complex(r, i) => Some(Literal::Complex(-r, -i)),
                    Literal::Bool(_) => None,
                },
                _ => None,
            }
        }
        fn walk(
            e: &[Expr],
            depth: usize,
            shape: &mut Vec<usize>,
            out: &mut Vec<Literal>,
            at: Span,
        ) -> Result<(), Diagnostic> {
            if shape.len() == depth {
                shape.push(e.len());
            } else if shape[depth] != e.len() {
                return Err(err(
                    "shape_error",
                    format!(
                        "ragged list: a row of {} elements where {} were expected",
                        e.len(),
                        shape[depth]
                    ),
                    at,
                ));
            }
            for x in e {
                match &x.kind {
                    ExprKind::List(inner) => {
                        if shape.len() > depth + 1
                            && out.len() % shape[depth + 1..].iter().product::<usize>().max(1) != 0
                        {
                            return Err(err("shape_error", "ragged list", x.span));
                        }
                        walk(inner, depth + 1, shape, out, x.span)?
                    }
                    _ => {
                        if shape.len() > depth + 1 {
                            return Err(err(
                                "shape_error",
                                "ragged list: a number where a list was expected",
                                x.span,
                            ));
                        }
                        match leaf(x) {
                            Some(l) => out.push(l),
                            None => return Err(err("type_error", "list elements must be number or bool literals; to build an array from arrays use `stack(...)`", x.span)),
                        }
                    }
                }
            }
            Ok(())
        }
        let mut shape = Vec::new();
        let mut values = Vec::new();
        walk(items, 0, &mut shape, &mut values, at)?;
        if values.len() != shape.iter().product::<usize>() {
            return Err(err(
                "shape_error",
                "ragged list: rows of different lengths",
                at,
            ));
        }
        let mut s = Scalar::Bool;
        let mut any = false;
        for v in &values {
            let t = match v {
                Literal::Bool(_) => Scalar::Bool,
                Literal::Int(i) if *i > i64::MAX as i128 || *i < i64::MIN as i128 => {
                    return Err(err(
                        "bad_number",
                        format!("integer literal {i} does not fit in int64"),
                        at,
                    ))
                }
                Literal::Int(_) => Scalar::Int64,
                Literal::Float(_) => Scalar::Float64,
                Literal::Complex(..) => Scalar::Complex128,
            };
            s = if any { promote(s, t) } else { t };
            any = true;
        }
        if !any {
            s = Scalar::Float64;
        }
        let dims = shape.iter().map(|&n| Dim::Fixed(n as u64)).collect();
        let weak = s != Scalar::Bool;
        Ok(self.push(
            Op::ArrayLiteral { shape, values },
            vec![],
            Datashape::new(dims, s.into()),
            weak,
            at,
        ))
    }

    fn record(&mut self, fields: &[(Ident, Expr)], at: Span) -> Result<NodeId, Diagnostic> {
        let mut args = Vec::new();
        for (_, e) in fields {
            args.push(self.expr(e)?);
        }
        // The fields share the broadcast dims (the interpreter broadcasts
        // each value to them); each field holds its measure.
        let dims = self.broadcast(&args, at)?;
        let rec: Vec<(String, Datashape)> = fields
            .iter()
            .zip(&args)
            .map(|((name, _), id)| {
                (
                    name.name.clone(),
                    Datashape::scalar(self.ty(*id).measure.clone()),
                )
            })
            .collect();
        let names = fields.iter().map(|(n, _)| n.name.clone()).collect();
        Ok(self.push(
            Op::MakeRecord(names),
            args,
            Datashape::new(dims, Measure::Record { fields: rec }),
            false,
            at,
        ))
    }

    // ------------------------------------------------------------ elementwise

    /// Broadcast dims of all `args`, or an error naming the two that clash.
    fn broadcast(&mut self, args: &[NodeId], at: Span) -> Result<Vec<Dim>, Diagnostic> {
        let mut acc: Option<(Datashape, NodeId)> = None;
        for &id in args {
            let shape = Datashape::new(self.ty(id).dims.clone(), Scalar::Bool.into());
            acc = Some(match acc {
                None => (shape, id),
                Some((a, first)) => {
                    let mut u = Unifier::new(self.types);
                    match u.unify(&a, &shape) {
                        Ok(r) => (Datashape::new(r.dims, Scalar::Bool.into()), id),
                        Err(e) => {
                            let message = format!(
                                "cannot broadcast `{}` with `{}`: {}",
                                self.ty(first),
                                self.ty(id),
                                e.message
                                    .replace("the left datashape", "the left operand")
                                    .replace("the right datashape", "the right operand")
                            );
                            return Err(err("shape_error", message, at));
                        }
                    }
                }
            });
        }
        Ok(acc.map(|(d, _)| d.dims).unwrap_or_default())
    }

    /// The common scalar of `args` under promotion with weak literals, and
    /// whether any is an option; errors name the argument that is not a
    /// number.
    fn common_scalar(
        &self,
        args: &[NodeId],
        what: &str,
    ) -> Result<(Scalar, bool, bool), Diagnostic> {
        let mut strong: Option<Scalar> = None;
        let mut weak: Vec<Scalar> = Vec::new();
        let mut opt = false;
        for &id in args {
            let n = self.node(id);
            match &n.ty.measure {
                Measure::Null => {
                    opt = true;
                    continue;
                }
                m => match scalar_of(m) {
                    Some((s, o)) => {
                        opt |= o;
                        if n.weak {
                            weak.push(s);
                        } else {
                            strong = Some(strong.map_or(s, |t| promote(t, s)));
                        }
                    }
                    None => {
                        return Err(err(
                            "type_error",
                            format!("{what} needs numbers or bools, found `{}`", n.ty),
                            self.span_of(id),
                        ))
                    }
                },
            }
        }
        let all_weak = strong.is_none();
        let mut t = match strong {
            Some(s) => s,
            None => weak.iter().copied().reduce(promote).unwrap_or(Scalar::Bool),
        };
        if !all_weak {
            // Signed and unsigned integers are one level for weak literals:
            // `2 * x` keeps `uint8`.
            let level = |k: ScalarKind| match k {
                ScalarKind::Bool => 0,
                ScalarKind::Unsigned | ScalarKind::Signed => 1,
                ScalarKind::Float => 2,
                ScalarKind::Complex => 3,
            };
            for w in weak {
                if level(w.kind()) > level(t.kind()) {
                    t = match w.kind() {
                        ScalarKind::Complex => complex_of(t),
                        ScalarKind::Float => Scalar::Float64,
                        _ => promote(t, Scalar::Int64),
                    };
                }
            }
        }
        Ok((t, opt, all_weak && !args.is_empty()))
    }

    /// `id` converted to scalar `t` (keeping dims and option): weak
    /// literals are retyped, others get a `Cast` node.
    fn coerce(&mut self, id: NodeId, t: Scalar) -> NodeId {
        let n = self.node(id).clone();
        let Some((s, opt)) = scalar_of(&n.ty.measure) else {
            return id;
        };
        if s == t {
            return id;
        }
        let ty = Datashape::new(n.ty.dims.clone(), with_option(t, opt));
        if n.weak && matches!(n.op, Op::Literal(_) | Op::ArrayLiteral { .. }) {
            self.nodes[id.index()].ty = ty;
            return id;
        }
        self.push(Op::Cast(t), vec![id], ty, n.weak, n.span)
    }

    fn unary(&mut self, f: UnaryFn, a: NodeId, at: Span) -> Result<NodeId, Diagnostic> {
        let what = match f {
            UnaryFn::Neg => "`-`".to_string(),
            UnaryFn::Pos => "`+`".to_string(),
            other => format!("`{}`", other.name()),
        };
        if let Some(id) = self.all_na(&[a], at) {
            return Ok(id);
        }
        let (t, opt, weak) = self.common_scalar(&[a], &what)?;
        let r = f.result(t).map_err(|m| err("type_error", m, at))?;
        // Float functions compute in the float type of their operand.
        let operand = match f {
            UnaryFn::Abs
            | UnaryFn::Neg
            | UnaryFn::Pos
            | UnaryFn::Not
            | UnaryFn::IsNan
            | UnaryFn::IsNa
            | UnaryFn::Sign
            | UnaryFn::Floor
            | UnaryFn::Ceil
            | UnaryFn::Round => t,
            _ => r,
        };
        let a = self.coerce(a, operand);
        let dims = self.ty(a).dims.clone();
        let r_opt = opt && f != UnaryFn::IsNa;
        Ok(self.push(
            Op::Unary(f),
            vec![a],
            Datashape::new(dims, with_option(r, r_opt)),
            weak,
            at,
        ))
    }

    /// `na` op `na` is `na`: a `null` result with the broadcast dims.
    fn all_na(&mut self, args: &[NodeId], at: Span) -> Option<NodeId> {
        if !args.iter().all(|a| self.ty(*a).measure == Measure::Null) {
            return None;
        }
        let dims = self.broadcast(args, at).ok()?;
        Some(self.push(
            Op::Na,
            vec![],
            Datashape::new(dims, Measure::Null),
            true,
            at,
        ))
    }

    fn binary(
        &mut self,
        f: BinaryFn,
        a: NodeId,
        b: NodeId,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        if let Some(id) = self.all_na(&[a, b], at) {
            return Ok(id);
        }
        let what = format!("`{}`", f.name());
        let dims = self.broadcast(&[a, b], at)?;
        let (t, opt, weak) = self.common_scalar(&[a, b], &what)?;
        let r = f.result(t).map_err(|m| {
            err(
                "type_error",
                format!("{m} (operands are `{}` and `{}`)", self.ty(a), self.ty(b)),
                at,
            )
        })?;
        // Division and arctan2 compute in the float type.
        let operand = if matches!(f, BinaryFn::Div | BinaryFn::Arctan2) {
            r
        } else {
            t
        };
        let (a, b) = (self.coerce(a, operand), self.coerce(b, operand));
        Ok(self.push(
            Op::Binary(f),
            vec![a, b],
            Datashape::new(dims, with_option(r, opt)),
            weak,
            at,
        ))
    }

    fn where_(&mut self, c: NodeId, x: NodeId, y: NodeId, at: Span) -> Result<NodeId, Diagnostic> {
        let dims = self.broadcast(&[c, x, y], at)?;
        let (cs, copt, _) = self.common_scalar(&[c], "the condition of `where`")?;
        let c = self.coerce(c, if cs == Scalar::Bool { cs } else { Scalar::Bool });
        let (t, opt, weak) = self.common_scalar(&[x, y], "`where`")?;
        let (x, y) = (self.coerce(x, t), self.coerce(y, t));
        Ok(self.push(
            Op::Where,
            vec![c, x, y],
            Datashape::new(dims, with_option(t, opt || copt)),
            weak,
            at,
        ))
    }

    // ------------------------------------------------------------ calls

    fn call(&mut self, func: &Expr, args: &[Arg], at: Span) -> Result<NodeId, Diagnostic> {
        // Methods: `x.astype(T)`, `x.sum(axis=0)`, `x.reshape(...)`, … are
        // the function with `x` first.
        let (name, name_span, mut positional, kwargs, binders) = {
            let mut pos: Vec<&Expr> = Vec::new();
            let mut kw: Vec<(&Ident, &Expr)> = Vec::new();
            let mut bind: Option<(&[Ident], &Expr)> = None;
            for a in args {
                match a {
                    Arg::Pos(e) => {
                        if !kw.is_empty() {
                            return Err(err(
                                "syntax",
                                "positional argument after keyword arguments",
                                e.span,
                            ));
                        }
                        pos.push(e)
                    }
                    Arg::Kw(n, e) => {
                        if kw.iter().any(|(k, _)| k.name == n.name) {
                            return Err(err(
                                "syntax",
                                format!("keyword argument `{}` given twice", n.name),
                                n.span,
                            ));
                        }
                        kw.push((n, e))
                    }
                    Arg::Binder(ids, e) => bind = Some((ids.as_slice(), e)),
                }
            }
            match &func.kind {
                ExprKind::Name(n) if self.lookup(n).is_none() => {
                    (n.clone(), func.span, pos, kw, bind)
                }
                ExprKind::Attr(base, m) => {
                    pos.insert(0, base.as_ref());
                    (m.name.clone(), m.span, pos, kw, bind)
                }
                _ => {
                    return Err(err(
                        "type_error",
                        format!("`{}` is not a function", self.text(func.span)),
                        func.span,
                    ))
                }
            }
        };
        let method = matches!(func.kind, ExprKind::Attr(..));
        if name == "astype" && method {
            if positional.len() != 2 || !kwargs.is_empty() {
                return Err(err(
                    "arity",
                    "`astype` takes one argument, the element type: `x.astype(float32)`",
                    at,
                ));
            }
            let x = self.expr(positional[0])?;
            return self.cast(x, positional[1], at);
        }
        if let Some((ids, body)) = binders {
            if !positional.is_empty() || !kwargs.is_empty() {
                return Err(err(
                    "syntax",
                    format!("`{name}(k: …)` takes only the index expression"),
                    at,
                ));
            }
            let f = ReduceFn::from_name(&name).filter(|f| {
                matches!(
                    f,
                    ReduceFn::Sum | ReduceFn::Prod | ReduceFn::Min | ReduceFn::Max
                )
            });
            let Some(f) = f else {
                return Err(err("unknown_name", format!("`{name}` cannot reduce over indices; index notation has sum, prod, min and max"), name_span));
            };
            return self.index_reduce(f, ids, body, at);
        }
        let allowed = |kws: &[&str]| -> Result<(), Diagnostic> {
            for (k, _) in &kwargs {
                if !kws.contains(&k.name.as_str()) {
                    let hint = if kws.is_empty() {
                        format!("`{name}` takes no keyword arguments")
                    } else {
                        format!(
                            "`{name}` takes {}",
                            kws.iter()
                                .map(|k| format!("`{k}=`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    return Err(err(
                        "arity",
                        format!("unexpected keyword argument `{}`: {hint}", k.name),
                        k.span,
                    ));
                }
            }
            Ok(())
        };
        let nargs = |n: usize, positional: &[&Expr]| -> Result<(), Diagnostic> {
            if positional.len() != n {
                return Err(err(
                    "arity",
                    format!(
                        "`{name}` takes {n} argument{}, found {}",
                        if n == 1 { "" } else { "s" },
                        positional.len()
                    ),
                    at,
                ));
            }
            Ok(())
        };
        if let Some(f) = UnaryFn::from_name(&name) {
            allowed(&[])?;
            nargs(1, &positional)?;
            let x = self.expr(positional[0])?;
            return self.unary(f, x, at);
        }
        let bin = match name.as_str() {
            "minimum" => Some(BinaryFn::Minimum),
            "maximum" => Some(BinaryFn::Maximum),
            "arctan2" => Some(BinaryFn::Arctan2),
            "pow" => Some(BinaryFn::Pow),
            _ => None,
        };
        if let Some(f) = bin {
            allowed(&[])?;
            nargs(2, &positional)?;
            let (x, y) = (self.expr(positional[0])?, self.expr(positional[1])?);
            return self.binary(f, x, y, at);
        }
        if let Some(f) = ReduceFn::from_name(&name) {
            allowed(&["axis", "keepdims"])?;
            nargs(1, &positional)?;
            let x = self.expr(positional[0])?;
            let axis = kwargs
                .iter()
                .find(|(k, _)| k.name == "axis")
                .map(|(_, e)| *e);
            let keep = kwargs
                .iter()
                .find(|(k, _)| k.name == "keepdims")
                .map(|(_, e)| *e);
            return self.reduce(f, x, axis, keep, at);
        }
        if let Some(f) = LinalgFn::from_name(&name) {
            allowed(&[])?;
            let n = if matches!(f, LinalgFn::Solve | LinalgFn::Lstsq) {
                2
            } else {
                1
            };
            nargs(n, &positional)?;
            let mut ids = Vec::new();
            for p in &positional {
                ids.push(self.expr(p)?);
            }
            return self.linalg(f, &ids, at);
        }
        match name.as_str() {
            "where" => {
                allowed(&[])?;
                nargs(3, &positional)?;
                let (c, x, y) = (
                    self.expr(positional[0])?,
                    self.expr(positional[1])?,
                    self.expr(positional[2])?,
                );
                self.where_(c, x, y, at)
            }
            "cast" => {
                allowed(&[])?;
                nargs(2, &positional)?;
                let x = self.expr(positional[0])?;
                self.cast(x, positional[1], at)
            }
            "dot" | "matmul" => {
                allowed(&[])?;
                nargs(2, &positional)?;
                let (x, y) = (self.expr(positional[0])?, self.expr(positional[1])?);
                self.matmul(x, y, at)
            }
            "transpose" => {
                allowed(&["axes"])?;
                let perm_expr = match (positional.len(), kwargs.first()) {
                    (1, Some((_, e))) => Some(*e),
                    (1, None) => None,
                    (2, None) => Some(positional[1]),
                    _ => return Err(err("arity", "`transpose` takes an array and optionally a permutation: `transpose(x, (1, 0, 2))`", at)),
                };
                let x = self.expr(positional[0])?;
                let perm = match perm_expr {
                    Some(e) => Some(self.int_list(e, "the axes of `transpose`")?),
                    None => None,
                };
                self.transpose(x, perm, perm_expr.map_or(at, |e| e.span), at)
            }
            "reshape" => {
                allowed(&[])?;
                if positional.len() < 2 {
                    return Err(err(
                        "arity",
                        "`reshape` takes an array and a shape: `reshape(x, (2, 3))`",
                        at,
                    ));
                }
                let x = self.expr(positional[0])?;
                let mut shape = Vec::new();
                for e in &positional[1..] {
                    shape.extend(self.int_list(e, "a shape")?);
                }
                self.reshape(x, shape, at)
            }
            "concat" | "concatenate" | "stack" => {
                allowed(&["axis"])?;
                if positional.len() == 1 {
                    if let ExprKind::Tuple(items) = &positional[0].kind {
                        positional = items.iter().collect();
                    }
                }
                if positional.is_empty() {
                    return Err(err(
                        "arity",
                        format!("`{name}` needs at least one array"),
                        at,
                    ));
                }
                let (axis, axis_at) = match kwargs.first() {
                    Some((_, e)) => (self.int_literal(e, "the axis")?, e.span),
                    None => (0, at),
                };
                let mut ids = Vec::new();
                for p in &positional {
                    ids.push(self.expr(p)?);
                }
                self.concat(&ids, (axis, axis_at), name == "stack", at)
            }
            _ => Err(err(
                "unknown_name",
                format!("unknown function `{name}`"),
                name_span,
            )),
        }
    }

    fn int_literal(&self, e: &Expr, what: &str) -> Result<i64, Diagnostic> {
        match &e.kind {
            ExprKind::Int(v) => i64::try_from(*v)
                .map_err(|_| err("bad_number", format!("{what} is too large"), e.span)),
            ExprKind::Unary(UnaryOp::Neg, x) => match x.kind {
                ExprKind::Int(v) => i64::try_from(v)
                    .map(|v| -v)
                    .map_err(|_| err("bad_number", format!("{what} is too large"), e.span)),
                _ => Err(err(
                    "type_error",
                    format!(
                        "{what} must be an integer literal, found `{}`",
                        self.text(e.span)
                    ),
                    e.span,
                )),
            },
            _ => Err(err(
                "type_error",
                format!(
                    "{what} must be an integer literal, found `{}`",
                    self.text(e.span)
                ),
                e.span,
            )),
        }
    }

    fn int_list(&self, e: &Expr, what: &str) -> Result<Vec<i64>, Diagnostic> {
        match &e.kind {
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                items.iter().map(|x| self.int_literal(x, what)).collect()
            }
            _ => Ok(vec![self.int_literal(e, what)?]),
        }
    }

    fn cast(&mut self, x: NodeId, ty: &Expr, at: Span) -> Result<NodeId, Diagnostic> {
        let text = self.text(ty.span).trim();
        let target = parse(text).ok().and_then(|d| {
            if d.dims.is_empty() {
                d.measure.as_scalar()
            } else {
                None
            }
        });
        let Some(t) = target else {
            return Err(err("type_error", format!("expected an element type such as `float32` or `complex[float64]`, found `{text}`"), ty.span));
        };
        let n = self.node(x).clone();
        let Some((_, opt)) = scalar_of(&n.ty.measure) else {
            return Err(err(
                "type_error",
                format!("only numbers and bools can be cast, found `{}`", n.ty),
                self.span_of(x),
            ));
        };
        Ok(self.push(
            Op::Cast(t),
            vec![x],
            Datashape::new(n.ty.dims.clone(), with_option(t, opt)),
            false,
            at,
        ))
    }

    // ------------------------------------------------------------ reductions

    fn rank_of(&self, id: NodeId, what: &str, at: Span) -> Result<usize, Diagnostic> {
        let t = self.ty(id);
        if t.dims.iter().any(|d| matches!(d, Dim::Ellipsis(_))) {
            return Err(err(
                "type_error",
                format!("{what} needs a known number of dimensions, found `{t}`"),
                at,
            ));
        }
        Ok(t.dims.len())
    }

    fn normalize_axis(
        &self,
        axis: i64,
        rank: usize,
        ty: &Datashape,
        at: Span,
    ) -> Result<usize, Diagnostic> {
        let r = rank as i64;
        if axis < -r || axis >= r {
            return Err(err(
                "axis_error",
                format!(
                    "axis {axis} is out of bounds for `{ty}`, which has {rank} dimension{}",
                    if rank == 1 { "" } else { "s" }
                ),
                at,
            ));
        }
        Ok(if axis < 0 {
            (axis + r) as usize
        } else {
            axis as usize
        })
    }

    fn reduce(
        &mut self,
        f: ReduceFn,
        x: NodeId,
        axis: Option<&Expr>,
        keep: Option<&Expr>,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let what = format!("`{}`", f.name());
        let (t, _, _) = self.common_scalar(&[x], &what)?;
        let r = f.result(t).map_err(|m| err("type_error", m, at))?;
        let keepdims = match keep.map(|e| &e.kind) {
            None | Some(ExprKind::Bool(false)) => false,
            Some(ExprKind::Bool(true)) => true,
            Some(_) => {
                let e = keep.map_or(at, |e| e.span);
                return Err(err("type_error", "`keepdims` must be `true` or `false`", e));
            }
        };
        let ty = self.ty(x).clone();
        let axes = match axis {
            None => None,
            Some(e) => {
                let rank = self.rank_of(x, &what, at)?;
                let list = self.int_list(e, "an axis")?;
                let mut axes = Vec::new();
                for a in list {
                    let n = self.normalize_axis(a, rank, &ty, e.span)?;
                    if axes.contains(&n) {
                        return Err(err("axis_error", format!("axis {a} is repeated"), e.span));
                    }
                    axes.push(n);
                }
                axes.sort_unstable();
                if matches!(f, ReduceFn::ArgMin | ReduceFn::ArgMax) && axes.len() != 1 {
                    return Err(err(
                        "axis_error",
                        format!("`{}` takes one axis", f.name()),
                        e.span,
                    ));
                }
                Some(axes)
            }
        };
        if keepdims && axes.is_none() {
            self.rank_of(x, &what, at)?;
        }
        let dims: Vec<Dim> = match &axes {
            None if keepdims => ty.dims.iter().map(|_| Dim::Fixed(1)).collect(),
            None => vec![],
            Some(axes) => ty
                .dims
                .iter()
                .enumerate()
                .filter_map(|(i, d)| {
                    if axes.contains(&i) {
                        keepdims.then_some(Dim::Fixed(1))
                    } else {
                        Some(d.clone())
                    }
                })
                .collect(),
        };
        // Mean, var and std compute in the float type.
        let operand = match f {
            ReduceFn::Mean | ReduceFn::Var | ReduceFn::Std => float_of(t),
            _ => t,
        };
        let x = self.coerce(x, operand);
        Ok(self.push(
            Op::Reduce { f, axes, keepdims },
            vec![x],
            Datashape::new(dims, r.into()),
            false,
            at,
        ))
    }

    // ------------------------------------------------------------ linear algebra

    /// Unifies `args` against the prelude signature `sig` for their shapes;
    /// returns the result datashape (measures from the signature, to be
    /// replaced by the caller).
    fn shapes(
        &mut self,
        sig: &str,
        args: &[NodeId],
        at: Span,
        what: &str,
    ) -> Result<Datashape, Diagnostic> {
        let Some(sig) = signature(sig) else {
            return Err(err("internal", format!("no signature `{sig}`"), at));
        };
        let shapes: Vec<Datashape> = args
            .iter()
            .map(|id| Datashape::new(self.ty(*id).dims.clone(), Scalar::Float64.into()))
            .collect();
        let mut u = Unifier::new(self.types);
        u.unify_call(sig, &shapes).map_err(|e| {
            let found: Vec<String> = args
                .iter()
                .map(|id| format!("`{}`", self.ty(*id)))
                .collect();
            err(
                "shape_error",
                format!("{what}: {} (arguments: {})", e.message, found.join(", ")),
                at,
            )
        })
    }

    fn matmul(&mut self, a: NodeId, b: NodeId, at: Span) -> Result<NodeId, Diagnostic> {
        let (t, opt, _) = self.common_scalar(&[a, b], "`@`")?;
        if opt {
            return Err(err("type_error", "`@` does not accept missing values", at));
        }
        let (ra, rb) = (self.rank_of(a, "`@`", at)?, self.rank_of(b, "`@`", at)?);
        let sig = match (ra, rb) {
            (0, _) | (_, 0) => return Err(err("type_error", format!("`@` needs arrays of at least one dimension, found `{}` and `{}`; use `*` for scalars", self.ty(a), self.ty(b)), at)),
            (1, 1) => "vecdot",
            (1, _) => "vecmat",
            (_, 1) => "matvec",
            _ => "matmul",
        };
        let shape = self.shapes(sig, &[a, b], at, "matrix product")?;
        let (a, b) = (self.coerce(a, t), self.coerce(b, t));
        Ok(self.push(
            Op::MatMul,
            vec![a, b],
            Datashape::new(shape.dims, t.into()),
            false,
            at,
        ))
    }

    fn linalg(&mut self, f: LinalgFn, args: &[NodeId], at: Span) -> Result<NodeId, Diagnostic> {
        let what = format!("`{}`", f.name());
        let (t0, opt, _) = self.common_scalar(args, &what)?;
        if opt {
            return Err(err(
                "type_error",
                format!("{what} does not accept missing values"),
                at,
            ));
        }
        let t = float_of(t0);
        let ranks: Vec<usize> = args
            .iter()
            .map(|a| self.rank_of(*a, &what, at))
            .collect::<Result<_, _>>()?;
        let sig = match f {
            LinalgFn::Inv => "inv",
            LinalgFn::Det => "det",
            LinalgFn::Cholesky => "cholesky",
            LinalgFn::Qr | LinalgFn::Svd => "qr",
            LinalgFn::Eig => "eig",
            LinalgFn::Eigh => "eigh",
            LinalgFn::Norm => "norm",
            LinalgFn::Trace => "trace",
            LinalgFn::Solve => {
                if ranks.get(1) == Some(&1) {
                    "solve"
                } else {
                    "solve_matrix"
                }
            }
            LinalgFn::Lstsq => {
                if ranks.get(1) == Some(&1) {
                    "lstsq"
                } else {
                    "lstsq_matrix"
                }
            }
        };
        if matches!(f, LinalgFn::Norm) && !(1..=2).contains(&ranks[0]) {
            return Err(err(
                "type_error",
                format!(
                    "`norm` takes a vector or a matrix, found `{}`",
                    self.ty(args[0])
                ),
                at,
            ));
        }
        let shape = self.shapes(sig, args, at, &what)?;
        let args: Vec<NodeId> = args.iter().map(|a| self.coerce(*a, t)).collect();
        let dims_of = |d: &Datashape| d.dims.clone();
        let ty = match f {
            LinalgFn::Qr | LinalgFn::Svd => {
                let Measure::Tuple { elems } = &shape.measure else {
                    return Err(err("internal", "qr signature", at));
                };
                // K = min(M, N).
                let (m, n) = (elems[0].dims[0].clone(), elems[1].dims[1].clone());
                let k = match (&m, &n) {
                    (Dim::Fixed(x), Dim::Fixed(y)) => Dim::Fixed(*x.min(y)),
                    _ if m == n => m.clone(),
                    _ => self.fresh("K"),
                };
                let mat = |r: Dim, c: Dim, s: Scalar| Datashape::new(vec![r, c], s.into());
                let elems = if f == LinalgFn::Qr {
                    vec![mat(m.clone(), k.clone(), t), mat(k, n, t)]
                } else {
                    vec![
                        mat(m, k.clone(), t),
                        Datashape::new(vec![k.clone()], real_of(t).into()),
                        mat(k, n, t),
                    ]
                };
                Datashape::scalar(Measure::Tuple { elems })
            }
            LinalgFn::Eig | LinalgFn::Eigh => {
                let Measure::Tuple { elems } = &shape.measure else {
                    return Err(err("internal", "eig signature", at));
                };
                let (vals, vecs) = if f == LinalgFn::Eig {
                    (complex_of(t), complex_of(t))
                } else {
                    (real_of(t), t)
                };
                Datashape::scalar(Measure::Tuple {
                    elems: vec![
                        Datashape::new(dims_of(&elems[0]), vals.into()),
                        Datashape::new(dims_of(&elems[1]), vecs.into()),
                    ],
                })
            }
            LinalgFn::Norm => Datashape::scalar(real_of(t).into()),
            _ => Datashape::new(shape.dims, t.into()),
        };
        Ok(self.push(Op::Linalg(f), args, ty, false, at))
    }

    // ------------------------------------------------------------ shapes

    fn transpose(
        &mut self,
        x: NodeId,
        perm: Option<Vec<i64>>,
        perm_at: Span,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let rank = self.rank_of(x, "`transpose`", at)?;
        let ty = self.ty(x).clone();
        let perm: Vec<usize> = match perm {
            None => (0..rank).rev().collect(),
            Some(p) => {
                if p.len() != rank {
                    return Err(err(
                        "axis_error",
                        format!("the permutation has {} axes but `{ty}` has {rank}", p.len()),
                        perm_at,
                    ));
                }
                let mut out = Vec::new();
                for a in p {
                    let n = self.normalize_axis(a, rank, &ty, perm_at)?;
                    if out.contains(&n) {
                        return Err(err(
                            "axis_error",
                            format!("axis {a} is repeated in the permutation"),
                            perm_at,
                        ));
                    }
                    out.push(n);
                }
                out
            }
        };
        let dims = perm.iter().map(|&i| ty.dims[i].clone()).collect();
        Ok(self.push(
            Op::Transpose(perm),
            vec![x],
            Datashape::new(dims, ty.measure.clone()),
            false,
            at,
        ))
    }

    fn reshape(&mut self, x: NodeId, shape: Vec<i64>, at: Span) -> Result<NodeId, Diagnostic> {
        let ty = self.ty(x).clone();
        self.rank_of(x, "`reshape`", at)?;
        if shape.iter().filter(|&&d| d == -1).count() > 1 || shape.iter().any(|&d| d < -1) {
            return Err(err(
                "shape_error",
                "a shape has non-negative lengths and at most one -1",
                at,
            ));
        }
        let known: Option<u64> = ty
            .dims
            .iter()
            .map(|d| {
                if let Dim::Fixed(n) = d {
                    Some(*n)
                } else {
                    None
                }
            })
            .try_fold(1u64, |acc, d| d.and_then(|d| acc.checked_mul(d)));
        let given: u64 = shape
            .iter()
            .filter(|&&d| d >= 0)
            .map(|&d| d as u64)
            .product();
        let mut dims = Vec::new();
        for &d in &shape {
            dims.push(if d >= 0 {
                Dim::Fixed(d as u64)
            } else {
                match known {
                    Some(total) if given > 0 && total % given == 0 => Dim::Fixed(total / given),
                    Some(total) => {
                        return Err(err(
                            "shape_error",
                            format!("cannot reshape `{ty}` ({total} elements) into {shape:?}"),
                            at,
                        ))
                    }
                    None => self.fresh("R"),
                }
            });
        }
        if let (Some(total), false) = (known, shape.contains(&-1)) {
            if total != given {
                return Err(err("shape_error", format!("cannot reshape `{ty}` ({total} elements) into {shape:?} ({given} elements)"), at));
            }
        }
        Ok(self.push(
            Op::Reshape(shape),
            vec![x],
            Datashape::new(dims, ty.measure.clone()),
            false,
            at,
        ))
    }

    fn concat(
        &mut self,
        ids: &[NodeId],
        (axis, axis_at): (i64, Span),
        stack: bool,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let what = if stack { "`stack`" } else { "`concat`" };
        let (t, opt, _) = self.common_scalar(ids, what)?;
        let rank = self.rank_of(ids[0], what, at)?;
        let first = self.ty(ids[0]).clone();
        for id in ids {
            let r = self.rank_of(*id, what, at)?;
            if r != rank {
                return Err(err(
                    "shape_error",
                    format!(
                        "{what} needs arrays of equal rank, found `{first}` and `{}`",
                        self.ty(*id)
                    ),
                    self.span_of(*id),
                ));
            }
        }
        let out_rank = if stack { rank + 1 } else { rank };
        let r = out_rank.max(1) as i64;
        if axis < -r || axis >= r {
            let subject = if stack {
                format!(
                    "the result of `stack`, which has {r} dimension{}",
                    if r == 1 { "" } else { "s" }
                )
            } else {
                format!(
                    "`{first}`, which has {r} dimension{}",
                    if r == 1 { "" } else { "s" }
                )
            };
            return Err(err(
                "axis_error",
                format!("axis {axis} is out of bounds for {subject}"),
                axis_at,
            ));
        }
        let ax = if axis < 0 {
            (axis + r) as usize
        } else {
            axis as usize
        };
        if !stack && rank == 0 {
            return Err(err(
                "shape_error",
                "`concat` needs arrays of at least one dimension",
                at,
            ));
        }
        let mut dims: Vec<Dim> = Vec::new();
        for i in 0..rank {
            if !stack && i == ax {
                let mut total = Some(0u64);
                for id in ids {
                    total = match (&self.ty(*id).dims[i], total) {
                        (Dim::Fixed(n), Some(t)) => t.checked_add(*n),
                        _ => None,
                    };
                }
                dims.push(match total {
                    Some(n) => Dim::Fixed(n),
                    None => self.fresh("C"),
                });
                continue;
            }
            let mut d = first.dims[i].clone();
            for id in &ids[1..] {
                let other = &self.ty(*id).dims[i];
                d = match (&d, other) {
                    (Dim::Fixed(x), Dim::Fixed(y)) if x != y => {
                        return Err(err(
                            "shape_error",
                            format!(
                                "{what}: dimension {i} differs: {x} and {y} (`{first}` and `{}`)",
                                self.ty(*id)
                            ),
                            at,
                        ))
                    }
                    (Dim::Fixed(_), _) => d.clone(),
                    _ => other.clone(),
                };
            }
            dims.push(d);
        }
        if stack {
            dims.insert(ax, Dim::Fixed(ids.len() as u64));
        }
        let args: Vec<NodeId> = ids.iter().map(|id| self.coerce(*id, t)).collect();
        let op = if stack { Op::Stack(ax) } else { Op::Concat(ax) };
        Ok(self.push(
            op,
            args,
            Datashape::new(dims, with_option(t, opt)),
            false,
            at,
        ))
    }

    fn attr(&mut self, b: NodeId, name: &Ident, at: Span) -> Result<NodeId, Diagnostic> {
        let ty = self.ty(b).clone();
        if let Measure::Record { fields } = &ty.measure {
            if let Some((_, f)) = fields.iter().find(|(n, _)| *n == name.name) {
                let mut dims = ty.dims.clone();
                dims.extend(f.dims.iter().cloned());
                return Ok(self.push(
                    Op::Field(name.name.clone()),
                    vec![b],
                    Datashape::new(dims, f.measure.clone()),
                    false,
                    at,
                ));
            }
            let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
            return Err(err(
                "type_error",
                format!(
                    "no field `{}` in `{}`; fields: {}",
                    name.name,
                    ty.measure,
                    names.join(", ")
                ),
                name.span,
            ));
        }
        if name.name == "T" {
            return self.transpose(b, None, at, at);
        }
        Err(err(
            "type_error",
            format!("`{}` has no attribute `{}`", ty, name.name),
            name.span,
        ))
    }

    // ------------------------------------------------------------ indexing

    fn index(&mut self, base: &Expr, subs: &[Subscript], at: Span) -> Result<NodeId, Diagnostic> {
        // eps[i, j, k] and delta[i, j], unless the names are bound.
        if let ExprKind::Name(n) = &base.kind {
            if (n == "eps" || n == "delta") && self.lookup(n).is_none() {
                return self.symbol(n == "eps", subs, at);
            }
        }
        let uses_index_var = subs.iter().any(|s| matches!(s, Subscript::Expr(Expr { kind: ExprKind::Name(n), .. }) if matches!(self.lookup(n), Some(Binding::Index(_)))));
        let b = self.expr(base)?;
        let ty = self.ty(b).clone();
        if let Measure::Tuple { elems } = &ty.measure {
            if ty.dims.is_empty() {
                let [Subscript::Expr(e)] = subs else {
                    return Err(err(
                        "type_error",
                        "a tuple is indexed by one integer, as in `t[0]`",
                        at,
                    ));
                };
                let i = self.int_literal(e, "a tuple index")?;
                let n = elems.len() as i64;
                if i < -n || i >= n {
                    return Err(err(
                        "index_error",
                        format!("tuple index {i} is out of range for a tuple of {n}"),
                        e.span,
                    ));
                }
                let i = if i < 0 { i + n } else { i } as usize;
                return Ok(self.push(Op::TupleGet(i), vec![b], elems[i].clone(), false, at));
            }
        }
        if uses_index_var {
            return self.gather(b, subs, at);
        }
        let rank = self.rank_of(b, "indexing", at)?;
        // Expand `...` and fill missing trailing axes with `:`.
        let ellipses = subs
            .iter()
            .filter(|s| matches!(s, Subscript::Ellipsis(_)))
            .count();
        if ellipses > 1 {
            return Err(err(
                "index_error",
                "an index can only have a single ellipsis (`...`)",
                at,
            ));
        }
        let written = subs.len() - ellipses;
        if written > rank {
            return Err(err(
                "index_error",
                format!(
                    "too many indices: {written} for `{ty}`, which has {rank} dimension{}",
                    if rank == 1 { "" } else { "s" }
                ),
                at,
            ));
        }
        let mut items: Vec<IndexItem> = Vec::new();
        let mut dims: Vec<Dim> = Vec::new();
        let full = IndexItem::Range {
            start: None,
            stop: None,
            step: 1,
        };
        for s in subs {
            match s {
                Subscript::Ellipsis(_) => {
                    for _ in 0..rank - written {
                        items.push(full.clone());
                    }
                }
                Subscript::Expr(e) => {
                    if let ExprKind::Name(n) = &e.kind {
                        if self.lookup(n).is_none() {
                            return Err(self.unknown_name(n, e.span));
                        }
                    }
                    items.push(IndexItem::At(self.int_literal(e, "an index")?))
                }
                Subscript::Slice {
                    start,
                    stop,
                    step,
                    span,
                } => {
                    let lit = |x: &Option<Expr>| -> Result<Option<i64>, Diagnostic> {
                        x.as_ref()
                            .map(|e| self.int_literal(e, "a slice bound"))
                            .transpose()
                    };
                    let step_v = lit(step)?.unwrap_or(1);
                    if step_v == 0 {
                        return Err(err("index_error", "slice step cannot be zero", *span));
                    }
                    items.push(IndexItem::Range {
                        start: lit(start)?,
                        stop: lit(stop)?,
                        step: step_v,
                    });
                }
            }
        }
        while items.len() < rank {
            items.push(full.clone());
        }
        for (axis, (item, d)) in items.iter().zip(&ty.dims).enumerate() {
            match item {
                IndexItem::At(i) => {
                    if let Dim::Fixed(n) = d {
                        let n = *n as i64;
                        if *i < -n || *i >= n {
                            let sp = subs
                                .iter()
                                .filter(|s| !matches!(s, Subscript::Ellipsis(_)))
                                .nth(axis.min(written.saturating_sub(1)))
                                .map_or(at, sub_span);
                            return Err(err(
                                "index_error",
                                format!("index {i} is out of bounds for axis {axis} with size {n}"),
                                sp,
                            ));
                        }
                    }
                }
                IndexItem::Range { start, stop, step } => dims.push(match d {
                    Dim::Fixed(n) => Dim::Fixed(slice_len(*n as i64, *start, *stop, *step) as u64),
                    _ if start.is_none() && stop.is_none() && step.abs() == 1 => d.clone(),
                    Dim::TypeVar(base) => {
                        let base = base.clone();
                        self.fresh(&base)
                    }
                    _ => self.fresh("S"),
                }),
            }
        }
        Ok(self.push(
            Op::Index(items),
            vec![b],
            Datashape::new(dims, ty.measure.clone()),
            false,
            at,
        ))
    }

    // ------------------------------------------------------------ index notation

    fn new_index(&mut self, id: &Ident) -> IndexVar {
        self.index_vars.push(IndexInfo {
            name: id.name.clone(),
            extent: Dim::Var(None),
        });
        self.index_spans.push(None);
        IndexVar((self.index_vars.len() - 1) as u32)
    }

    /// Records that index `v` ranges over dimension `d`; conflicting fixed
    /// lengths are an error.
    fn use_index(&mut self, v: IndexVar, d: &Dim, at: Span) -> Result<(), Diagnostic> {
        let i = v.0 as usize;
        let name = self.index_vars[i].name.clone();
        match (self.index_spans[i], &self.index_vars[i].extent, d) {
            (None, _, _) => {
                self.index_vars[i].extent = d.clone();
                self.index_spans[i] = Some(at);
            }
            (Some(_), Dim::Fixed(x), Dim::Fixed(y)) if x != y => {
                return Err(err("index_error", format!("conflicting ranges for index `{name}`: it runs over {x} elsewhere and over {y} here"), at));
            }
            (Some(_), Dim::Fixed(_), _) => {}
            (Some(_), _, Dim::Fixed(_)) => self.index_vars[i].extent = d.clone(),
            _ => {}
        }
        Ok(())
    }

    fn bind_indices(&mut self, ids: &[Ident]) -> Vec<IndexVar> {
        let vars: Vec<IndexVar> = ids.iter().map(|id| self.new_index(id)).collect();
        for (id, v) in ids.iter().zip(&vars) {
            self.scope.push((id.name.clone(), Binding::Index(*v)));
        }
        vars
    }

    fn settle(&mut self, vars: &[IndexVar], ids: &[Ident]) -> Result<(), Diagnostic> {
        // `delta[i, j]` ties extents together.
        for _ in 0..self.same_extent.len() {
            for k in 0..self.same_extent.len() {
                let (a, b, at) = self.same_extent[k];
                let (ea, eb) = (
                    self.index_spans[a.0 as usize],
                    self.index_spans[b.0 as usize],
                );
                match (ea, eb) {
                    (Some(_), _) => {
                        let d = self.index_vars[a.0 as usize].extent.clone();
                        self.use_index(b, &d, at)?;
                    }
                    (None, Some(_)) => {
                        let d = self.index_vars[b.0 as usize].extent.clone();
                        self.use_index(a, &d, at)?;
                    }
                    _ => {}
                }
            }
        }
        for (v, id) in vars.iter().zip(ids) {
            if self.index_spans[v.0 as usize].is_none() {
                return Err(err(
                    "index_error",
                    format!(
                        "cannot infer the range of index `{}`: use it to index an array",
                        id.name
                    ),
                    id.span,
                ));
            }
        }
        Ok(())
    }

    fn forall(&mut self, ids: &[Ident], body: &Expr, at: Span) -> Result<NodeId, Diagnostic> {
        let vars = self.bind_indices(ids);
        let b = self.expr(body);
        for _ in ids {
            self.scope.pop();
        }
        let b = b?;
        self.settle(&vars, ids)?;
        let mut dims: Vec<Dim> = vars
            .iter()
            .map(|v| self.index_vars[v.0 as usize].extent.clone())
            .collect();
        let bt = self.ty(b).clone();
        dims.extend(bt.dims.iter().cloned());
        Ok(self.push(
            Op::Forall(vars),
            vec![b],
            Datashape::new(dims, bt.measure.clone()),
            false,
            at,
        ))
    }

    fn index_reduce(
        &mut self,
        f: ReduceFn,
        ids: &[Ident],
        body: &Expr,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let vars = self.bind_indices(ids);
        let b = self.expr(body);
        for _ in ids {
            self.scope.pop();
        }
        let b = b?;
        self.settle(&vars, ids)?;
        let what = format!("`{}`", f.name());
        let (t, _, _) = self.common_scalar(&[b], &what)?;
        let r = f.result(t).map_err(|m| err("type_error", m, at))?;
        let b = self.coerce(b, t);
        let dims = self.ty(b).dims.clone();
        Ok(self.push(
            Op::IndexReduce(f, vars),
            vec![b],
            Datashape::new(dims, r.into()),
            false,
            at,
        ))
    }

    fn gather(&mut self, b: NodeId, subs: &[Subscript], at: Span) -> Result<NodeId, Diagnostic> {
        let ty = self.ty(b).clone();
        let rank = self.rank_of(b, "indexing", at)?;
        if subs.len() > rank {
            return Err(err(
                "index_error",
                format!("too many indices: {} for `{ty}`", subs.len()),
                at,
            ));
        }
        let mut items = Vec::new();
        for (axis, s) in subs.iter().enumerate() {
            match s {
                Subscript::Expr(e @ Expr { kind: ExprKind::Name(n), .. }) => match self.lookup(n) {
                    Some(Binding::Index(v)) => {
                        self.use_index(v, &ty.dims[axis], e.span)?;
                        items.push(GatherItem::Var(v));
                    }
                    _ => return Err(err("index_error", format!("`{n}` is not an index variable; in index notation every index is an index variable or an integer"), e.span)),
                },
                Subscript::Expr(e) => {
                    let i = self.int_literal(e, "an index")?;
                    items.push(GatherItem::At(i));
                }
                other => return Err(err("index_error", "slices and `...` cannot be mixed with index variables", sub_span(other))),
            }
        }
        let dims = ty.dims[subs.len()..].to_vec();
        Ok(self.push(
            Op::Gather(items),
            vec![b],
            Datashape::new(dims, ty.measure.clone()),
            false,
            at,
        ))
    }

    fn symbol(&mut self, eps: bool, subs: &[Subscript], at: Span) -> Result<NodeId, Diagnostic> {
        let what = if eps { "eps" } else { "delta" };
        let mut vars = Vec::new();
        for s in subs {
            match s {
                Subscript::Expr(Expr {
                    kind: ExprKind::Name(n),
                    span,
                }) => match self.lookup(n) {
                    Some(Binding::Index(v)) => vars.push((v, *span)),
                    _ => {
                        return Err(err(
                            "index_error",
                            format!("`{what}` is indexed by index variables; `{n}` is not one"),
                            *span,
                        ))
                    }
                },
                other => {
                    return Err(err(
                        "index_error",
                        format!("`{what}` is indexed by index variables"),
                        sub_span(other),
                    ))
                }
            }
        }
        if eps {
            if vars.len() < 2 {
                return Err(err("index_error", "`eps` needs at least two indices", at));
            }
            let n = Dim::Fixed(vars.len() as u64);
            for (v, sp) in &vars {
                self.use_index(*v, &n, *sp)?;
            }
        } else {
            if vars.len() != 2 {
                return Err(err(
                    "index_error",
                    format!("`delta` takes two indices, found {}", vars.len()),
                    at,
                ));
            }
            self.same_extent.push((vars[0].0, vars[1].0, at));
        }
        let vs: Vec<IndexVar> = vars.iter().map(|(v, _)| *v).collect();
        let op = if eps { Op::Eps(vs) } else { Op::Delta(vs) };
        Ok(self.push(
            op,
            vec![],
            Datashape::scalar(Scalar::Int64.into()),
            true,
            at,
        ))
    }

    // ------------------------------------------------------------ result

    /// The declared result type must describe the body: equal element
    /// types, and dimensions that match one by one. A declared type variable
    /// that names a parameter's dimension must be that same dimension; other
    /// declared variables stand for whatever the body has, consistently.
    fn check_declared(
        &mut self,
        root: NodeId,
        declared: &Datashape,
        params: &HashSet<String>,
        at: Span,
    ) -> Result<(), Diagnostic> {
        let inferred = self.ty(root).clone();
        let declared = self.types.expand(declared);
        let mismatch = |why: String| {
            err(
                "type_mismatch",
                format!("the body has type `{inferred}`, but the declared result type is `{declared}`{why}"),
                at,
            )
        };
        if inferred.measure != declared.measure {
            return Err(mismatch(String::new()));
        }
        if inferred.dims.len() != declared.dims.len() {
            return Err(mismatch(
                ": they have different numbers of dimensions".into(),
            ));
        }
        let mut bound: std::collections::HashMap<&str, &Dim> = std::collections::HashMap::new();
        for (k, (d, i)) in declared.dims.iter().zip(&inferred.dims).enumerate() {
            let ok = match (d, i) {
                (Dim::TypeVar(v), _) if params.contains(v) => d == i,
                (Dim::TypeVar(v), _) => match bound.get(v.as_str()) {
                    Some(prev) => *prev == i,
                    None => {
                        bound.insert(v, i);
                        true
                    }
                },
                (Dim::Fixed(a), Dim::Fixed(b)) => a == b,
                (Dim::Var(_), Dim::Var(_)) => true,
                (Dim::Ellipsis(a), Dim::Ellipsis(b)) => a == b,
                _ => false,
            };
            if !ok {
                return Err(mismatch(format!(
                    ": dimension {k} is `{i}` in the body, `{d}` as declared"
                )));
            }
        }
        Ok(())
    }
}

fn sub_span(s: &Subscript) -> Span {
    match s {
        Subscript::Expr(e) => e.span,
        Subscript::Slice { span, .. } => *span,
        Subscript::Ellipsis(span) => *span,
    }
}

/// Length of `start:stop:step` over `n` elements (Python semantics).
pub fn slice_len(n: i64, start: Option<i64>, stop: Option<i64>, step: i64) -> i64 {
    let (lo, hi) = slice_bounds(n, start, stop, step);
    if step > 0 {
        if hi > lo {
            (hi - lo + step - 1) / step
        } else {
            0
        }
    } else if lo > hi {
        (lo - hi + (-step) - 1) / (-step)
    } else {
        0
    }
}

/// Resolved `(first, stop)` of a slice over `n` elements, as Python's
/// `slice.indices`.
pub fn slice_bounds(n: i64, start: Option<i64>, stop: Option<i64>, step: i64) -> (i64, i64) {
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let norm = |v: i64| if v < 0 { v + n } else { v };
    if step > 0 {
        let s = start.map_or(0, |v| clamp(norm(v), 0, n));
        let e = stop.map_or(n, |v| clamp(norm(v), 0, n));
        (s, e)
    } else {
        let s = start.map_or(n - 1, |v| clamp(norm(v), -1, n - 1));
        let e = stop.map_or(-1, |v| clamp(norm(v), -1, n - 1));
        (s, e)
    }
}

fn is_builtin(name: &str) -> bool {
    UnaryFn::from_name(name).is_some()
        || ReduceFn::from_name(name).is_some()
        || LinalgFn::from_name(name).is_some()
        || matches!(
            name,
            "minimum"
                | "maximum"
                | "arctan2"
                | "pow"
                | "where"
                | "cast"
                | "dot"
                | "matmul"
                | "transpose"
                | "reshape"
                | "concat"
                | "concatenate"
                | "stack"
                | "eps"
                | "delta"
        )
}

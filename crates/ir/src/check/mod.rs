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
//!
//! This module holds the entry points and the `Checker` state (scopes,
//! the arena being built, fresh dimension names, the declared result
//! check); each kind of expression is checked in its own submodule:
//! `expr` (the walk, literals, lists, records), `elementwise`
//! (broadcasting, promotion, casts), `call` (builtin signatures),
//! `reduce`, `linalg`, `shape` (transpose, reshape, concat, attributes),
//! `view` (a value under another datashape of its elements),
//! `index` (basic indexing and slices) and `notation` (index notation).

use crate::node::*;
use crate::ops::{complex_of, float_of, real_of, BinaryFn, LinalgFn, ReduceFn, UnaryFn};
use crate::prelude::signature;
use blaze_datashape::{
    parse, promote, Datashape, Dim, Measure, Scalar, ScalarKind, Span, TypeEnv, Unifier,
};
use blaze_syntax::ast::{Arg, Def, Expr, ExprKind, Ident, Module, Subscript, UnaryOp};
use blaze_syntax::Diagnostic;
use std::collections::HashSet;

mod call;
mod decimal;
mod elementwise;
mod expr;
mod index;
mod linalg;
mod notation;
mod reduce;
mod shape;
mod strings;
mod temporal;
mod view;

pub use index::{slice_bounds, slice_len};

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

    /// A 0-d literal of type `s`.
    fn literal(&mut self, l: Literal, s: Scalar, weak: bool, at: Span) -> NodeId {
        self.push(
            Op::Literal(l),
            vec![],
            Datashape::scalar(s.into()),
            weak,
            at,
        )
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
                | "startswith"
                | "endswith"
                | "contains"
                | "year"
                | "month"
                | "day"
                | "where"
                | "fillna"
                | "cast"
                | "dot"
                | "matmul"
                | "transpose"
                | "reshape"
                | "view"
                | "concat"
                | "concatenate"
                | "stack"
                | "flatten"
                | "len"
                | "eps"
                | "delta"
        )
}

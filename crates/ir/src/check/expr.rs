//! The walk over expressions: literals, names, operators, `let`, lists
//! (array literals) and records; calls, indexing and index notation are
//! dispatched to their modules.

use super::*;

impl Checker<'_> {
    /// Checks one expression. Every recursion of the checker passes through
    /// here, so each level may move to a fresh stack segment: trees of any
    /// depth (long operator chains) check without overflowing the stack.
    pub(super) fn expr(&mut self, e: &Expr) -> Result<NodeId, Diagnostic> {
        blaze_datashape::grow(|| self.expr_step(e))
    }

    fn expr_step(&mut self, e: &Expr) -> Result<NodeId, Diagnostic> {
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
                Ok(self.literal(Literal::Int(v), Scalar::Int64, true, at))
            }
            ExprKind::Float(v) => Ok(self.literal(Literal::Float(*v), Scalar::Float64, true, at)),
            ExprKind::Imag(v) => {
                Ok(self.literal(Literal::Complex(0.0, *v), Scalar::Complex128, true, at))
            }
            ExprKind::Bool(b) => Ok(self.literal(Literal::Bool(*b), Scalar::Bool, false, at)),
            ExprKind::Str(s) => Ok(self.push(
                Op::Literal(Literal::Str(s.clone())),
                vec![],
                Datashape::scalar(string_measure()),
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
                        return Ok(self.literal(Literal::Int(v), Scalar::Int64, true, at));
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
                let Some(f) = BinaryFn::of_operator(*op) else {
                    return self.matmul(x, y, at);
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

    pub(super) fn unknown_name(&self, name: &str, at: Span) -> Diagnostic {
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

    pub(super) fn list(&mut self, items: &[Expr], at: Span) -> Result<NodeId, Diagnostic> {
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
                    Literal::Bool(_) | Literal::Str(_) => None,
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
                Literal::Str(_) => {
                    return Err(err(
                        "type_error",
                        "list elements must be number or bool literals",
                        at,
                    ))
                }
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

    pub(super) fn record(
        &mut self,
        fields: &[(Ident, Expr)],
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let mut args = Vec::new();
        for (_, e) in fields {
            args.push(self.expr(e)?);
        }
        // The fields share the broadcast of their outer dims (the
        // interpreter broadcasts each value to them); each field holds its
        // measure, and its ragged part: the dims from a `var` below its
        // first axis on (`N * var * float64` is a field `var * float64` of
        // `N` records, as a list column holds it).
        let split = |ty: &Datashape| {
            ty.dims
                .iter()
                .enumerate()
                .skip(1)
                .find(|(_, d)| matches!(d, blaze_datashape::Dim::Var(_)))
                .map_or(ty.dims.len(), |(i, _)| i)
        };
        let outer: Vec<(Vec<blaze_datashape::Dim>, NodeId)> = args
            .iter()
            .map(|&id| {
                let ty = self.ty(id);
                (ty.dims[..split(ty)].to_vec(), id)
            })
            .collect();
        let dims = self.broadcast_dims(&outer, at)?;
        let rec: Vec<(String, Datashape)> = fields
            .iter()
            .zip(&args)
            .map(|((name, _), id)| {
                let ty = self.ty(*id);
                (
                    name.name.clone(),
                    Datashape::new(ty.dims[split(ty)..].to_vec(), ty.measure.clone()),
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
}

/// `string`: variable-length UTF-8, the type of a string literal.
pub(super) fn string_measure() -> Measure {
    Measure::String {
        len: None,
        encoding: blaze_datashape::Encoding::Utf8,
    }
}

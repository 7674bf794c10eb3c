//! Elementwise operations: broadcasting of shapes, the common element type
//! of operands (promotion with weak literals), casts inserted where an
//! operand's type differs, unary and binary operators, `where` (and its
//! narrowing of options), `fillna`, explicit casts.

use super::*;

impl Checker<'_> {
    /// Broadcast dims of all `args`, or an error naming the two that clash.
    pub(super) fn broadcast(&mut self, args: &[NodeId], at: Span) -> Result<Vec<Dim>, Diagnostic> {
        let dims: Vec<(Vec<Dim>, NodeId)> = args
            .iter()
            .map(|&id| (self.ty(id).dims.clone(), id))
            .collect();
        self.broadcast_dims(&dims, at)
    }

    /// The broadcast of the dims given with the nodes they belong to (an
    /// error names the nodes' types).
    pub(super) fn broadcast_dims(
        &mut self,
        args: &[(Vec<Dim>, NodeId)],
        at: Span,
    ) -> Result<Vec<Dim>, Diagnostic> {
        let mut acc: Option<(Datashape, NodeId)> = None;
        for (dims, id) in args {
            let id = *id;
            let shape = Datashape::new(dims.clone(), Scalar::Bool.into());
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
    pub(super) fn common_scalar(
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
    pub(super) fn coerce(&mut self, id: NodeId, t: Scalar) -> NodeId {
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

    pub(super) fn unary(&mut self, f: UnaryFn, a: NodeId, at: Span) -> Result<NodeId, Diagnostic> {
        let what = match f {
            UnaryFn::Neg => "`-`".to_string(),
            UnaryFn::Pos => "`+`".to_string(),
            other => format!("`{}`", other.name()),
        };
        // `isna(na)` is `true`, not `na`.
        if f != UnaryFn::IsNa {
            if let Some(id) = self.all_na(&[a], at) {
                return Ok(id);
            }
        }
        if let Some(id) = self.unary_string(f, a, at)? {
            return Ok(id);
        }
        if let Some(id) = self.unary_decimal(f, a, at)? {
            return Ok(id);
        }
        if let Some(id) = self.unary_temporal(f, a, at)? {
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
    pub(super) fn all_na(&mut self, args: &[NodeId], at: Span) -> Option<NodeId> {
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

    pub(super) fn binary(
        &mut self,
        f: BinaryFn,
        a: NodeId,
        b: NodeId,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        if let Some(id) = self.all_na(&[a, b], at) {
            return Ok(id);
        }
        if let Some(id) = self.binary_string(f, a, b, at)? {
            return Ok(id);
        }
        if let Some(id) = self.binary_decimal(f, a, b, at)? {
            return Ok(id);
        }
        if let Some(id) = self.binary_temporal(f, a, b, at)? {
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

    pub(super) fn where_(
        &mut self,
        c: NodeId,
        x: NodeId,
        y: NodeId,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let dims = self.broadcast(&[c, x, y], at)?;
        let (cs, copt, _) = self.common_scalar(&[c], "the condition of `where`")?;
        let narrowed = self.narrowed_branch(c, x, y);
        let c = self.coerce(c, if cs == Scalar::Bool { cs } else { Scalar::Bool });
        if let Some(id) = self.where_string(c, (x, y), narrowed, at)? {
            return Ok(id);
        }
        if let Some(id) = self.where_decimal(c, (x, y), narrowed, at)? {
            return Ok(id);
        }
        let (t, mut opt, weak) = self.common_scalar(&[x, y], "`where`")?;
        if let Some(other) = narrowed {
            // The tested branch is never taken where it is missing: only
            // the other branch can make the result missing.
            opt = self.common_scalar(&[other], "`where`")?.1;
        }
        let (x, y) = (self.coerce(x, t), self.coerce(y, t));
        Ok(self.push(
            Op::Where,
            vec![c, x, y],
            Datashape::new(dims, with_option(t, opt || copt)),
            weak,
            at,
        ))
    }

    /// The narrowing patterns of `where`: `where(isna(a), v, a)` and
    /// `where(not isna(a), a, v)`, where `a` is the very node tested (a
    /// parameter or a `let` name, not a repeated expression). Returns the
    /// branch that is not `a` (`v`), whose type alone decides whether the
    /// result is an option.
    fn narrowed_branch(&self, c: NodeId, x: NodeId, y: NodeId) -> Option<NodeId> {
        let tested = |id: NodeId| match (&self.node(id).op, self.node(id).args.as_slice()) {
            (Op::Unary(UnaryFn::IsNa), [a]) => Some(*a),
            _ => None,
        };
        if tested(c) == Some(y) {
            return Some(x);
        }
        match (&self.node(c).op, self.node(c).args.as_slice()) {
            (Op::Unary(UnaryFn::Not), [inner]) if tested(*inner) == Some(x) => Some(y),
            _ => None,
        }
    }

    /// `fillna(x, v)`: `x` with its missing elements replaced by `v`
    /// (broadcast against `x`); the element type is the common type of
    /// both and the result is never an option. A fill value that may be
    /// missing is an error. `fillna` of a plain `x` whose shape already is
    /// the broadcast shape is `x` itself (converted to the common type).
    pub(super) fn fillna(&mut self, x: NodeId, v: NodeId, at: Span) -> Result<NodeId, Diagnostic> {
        let vt = &self.ty(v).measure;
        if matches!(vt, Measure::Null | Measure::Option { .. }) {
            return Err(err(
                "type_error",
                format!(
                    "the fill value of `fillna` cannot be missing, found `{}`",
                    self.ty(v)
                ),
                self.span_of(v),
            ));
        }
        if let Some(id) = self.fillna_string(x, v, at)? {
            return Ok(id);
        }
        if let Some(id) = self.fillna_decimal(x, v, at)? {
            return Ok(id);
        }
        let dims = self.broadcast(&[x, v], at)?;
        let (t, _, weak) = self.common_scalar(&[x, v], "`fillna`")?;
        let x_opt = matches!(self.ty(x).measure, Measure::Null | Measure::Option { .. });
        if !x_opt && self.ty(x).dims == dims {
            return Ok(self.coerce(x, t));
        }
        let (x, v) = (self.coerce(x, t), self.coerce(v, t));
        Ok(self.push(
            Op::FillNa,
            vec![x, v],
            Datashape::new(dims, Measure::scalar(t)),
            weak,
            at,
        ))
    }

    pub(super) fn cast(&mut self, x: NodeId, ty: &Expr, at: Span) -> Result<NodeId, Diagnostic> {
        let text = self.text(ty.span).trim().to_string();
        if let Ok(d) = parse(&text) {
            if d.dims.is_empty() {
                if let Some(id) = self.cast_decimal(x, &d.measure, at)? {
                    return Ok(id);
                }
            }
        }
        let target = parse(&text).ok().and_then(|d| {
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
}

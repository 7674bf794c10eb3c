//! Indexing: basic indexing and slicing (`...` expanded, missing trailing
//! items filled, lengths of slices of fixed dimensions computed; a
//! position in a ragged axis gives an option), boolean selection
//! (`x[mask]`) and integer gather (`x[idx]`, `x[k]`) along axis 0.

use super::*;

impl Checker<'_> {
    pub(super) fn index(
        &mut self,
        base: &Expr,
        subs: &[Subscript],
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
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
        if let Some(e) = subs.iter().find_map(|s| match s {
            Subscript::Expr(e) if !is_int_literal(e) => Some(e),
            _ => None,
        }) {
            if subs.len() != 1 {
                return Err(err(
                    "index_error",
                    "an array or a parameter used as an index must be the only index, as in `x[mask]` or `x[k]`",
                    e.span,
                ));
            }
            return self.select(b, e, at);
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
        let mut measure = ty.measure.clone();
        for (axis, (item, d)) in items.iter().zip(&ty.dims).enumerate() {
            let ragged = axis >= 1 && matches!(d, Dim::Var(_));
            let sp = subs
                .iter()
                .filter(|s| !matches!(s, Subscript::Ellipsis(_)))
                .nth(axis.min(written.saturating_sub(1)))
                .map_or(at, sub_span);
            match item {
                // A position in a ragged axis is missing where a row is
                // too short.
                IndexItem::At(_) if ragged => {
                    if let Some(k) = (axis + 1..rank).find(|&k| matches!(ty.dims[k], Dim::Var(_))) {
                        return Err(err(
                            "index_error",
                            format!(
                                "a position in the ragged axis {axis} of `{ty}` picks rows of the ragged axis {k}, which cannot be missing as a whole"
                            ),
                            sp,
                        ));
                    }
                    if !matches!(measure, Measure::Option { .. }) {
                        measure = Measure::option(measure);
                    }
                }
                // Every row sliced: still ragged, within the same bound.
                IndexItem::Range { .. } if ragged => dims.push(d.clone()),
                IndexItem::At(i) => {
                    if let Dim::Fixed(n) = d {
                        let n = *n as i64;
                        if *i < -n || *i >= n {
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
            Datashape::new(dims, measure),
            false,
            at,
        ))
    }

    /// `x[e]` with `e` an expression: a 1-d `bool` mask selects along axis
    /// 0 (the axis becomes `var`), integers (an array or a scalar) gather
    /// along axis 0.
    fn select(&mut self, x: NodeId, e: &Expr, at: Span) -> Result<NodeId, Diagnostic> {
        let ty = self.ty(x).clone();
        let i = self.expr(e)?;
        let ity = self.ty(i).clone();
        if ty.dims.is_empty() || matches!(ty.dims.first(), Some(Dim::Ellipsis(_))) {
            return Err(err(
                "index_error",
                format!("`{ty}` has no first axis to select from"),
                at,
            ));
        }
        if ity.dims.iter().any(|d| matches!(d, Dim::Ellipsis(_))) {
            return Err(err(
                "index_error",
                format!("an index array needs a known number of dimensions, found `{ity}`"),
                e.span,
            ));
        }
        let rest = ty.dims[1..].to_vec();
        let kind = scalar_of(&ity.measure).map(|(s, opt)| (s.kind(), opt));
        match kind {
            Some((ScalarKind::Bool, _)) => {
                if ity.dims.len() != 1 {
                    return Err(err(
                        "index_error",
                        format!("a selection mask is 1-d, found `{ity}`"),
                        e.span,
                    ));
                }
                if let (Dim::Fixed(m), Dim::Fixed(n)) = (&ity.dims[0], &ty.dims[0]) {
                    if m != n {
                        return Err(err(
                            "shape_error",
                            format!("a mask of length {m} cannot select from axis 0 of `{ty}`, of length {n}"),
                            e.span,
                        ));
                    }
                }
                let mut dims = vec![Dim::Var(None)];
                dims.extend(rest);
                Ok(self.push(
                    Op::Select,
                    vec![x, i],
                    Datashape::new(dims, ty.measure.clone()),
                    false,
                    at,
                ))
            }
            Some((ScalarKind::Signed | ScalarKind::Unsigned, false)) => {
                let mut dims = ity.dims.clone();
                dims.extend(rest);
                Ok(self.push(
                    Op::Take,
                    vec![x, i],
                    Datashape::new(dims, ty.measure.clone()),
                    false,
                    at,
                ))
            }
            _ => Err(err(
                "index_error",
                format!("an index is an integer, a slice, an array of integers or a bool mask; found `{ity}`"),
                e.span,
            )),
        }
    }
}

/// An integer literal, possibly negated: a position of basic indexing.
fn is_int_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_) => true,
        ExprKind::Unary(UnaryOp::Neg, x) => matches!(x.kind, ExprKind::Int(_)),
        _ => false,
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

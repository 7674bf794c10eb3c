//! Basic indexing and slicing: `...` expanded, missing trailing items
//! filled, lengths of slices of fixed dimensions computed.

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

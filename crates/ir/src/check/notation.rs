//! Index notation: `forall`, `sum(k: …)` and friends, `A[i, k]` gathers,
//! `eps`/`delta`; index variables get their ranges from the axes they
//! index, and must agree.

use super::*;

impl Checker<'_> {
    pub(super) fn new_index(&mut self, id: &Ident) -> IndexVar {
        self.index_vars.push(IndexInfo {
            name: id.name.clone(),
            extent: Dim::Var(None),
        });
        self.index_spans.push(None);
        IndexVar((self.index_vars.len() - 1) as u32)
    }

    /// Records that index `v` ranges over dimension `d`; conflicting fixed
    /// lengths are an error.
    pub(super) fn use_index(&mut self, v: IndexVar, d: &Dim, at: Span) -> Result<(), Diagnostic> {
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

    pub(super) fn bind_indices(&mut self, ids: &[Ident]) -> Vec<IndexVar> {
        let vars: Vec<IndexVar> = ids.iter().map(|id| self.new_index(id)).collect();
        for (id, v) in ids.iter().zip(&vars) {
            self.scope.push((id.name.clone(), Binding::Index(*v)));
        }
        vars
    }

    pub(super) fn settle(&mut self, vars: &[IndexVar], ids: &[Ident]) -> Result<(), Diagnostic> {
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

    /// Checks `body` with the index variables `ids` in scope; their
    /// ranges settled from how the body uses them.
    fn indexed_body(
        &mut self,
        ids: &[Ident],
        body: &Expr,
    ) -> Result<(Vec<IndexVar>, NodeId), Diagnostic> {
        let vars = self.bind_indices(ids);
        let b = self.expr(body);
        for _ in ids {
            self.scope.pop();
        }
        let b = b?;
        self.settle(&vars, ids)?;
        Ok((vars, b))
    }

    pub(super) fn forall(
        &mut self,
        ids: &[Ident],
        body: &Expr,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let (vars, b) = self.indexed_body(ids, body)?;
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

    pub(super) fn index_reduce(
        &mut self,
        f: ReduceFn,
        ids: &[Ident],
        body: &Expr,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let (vars, b) = self.indexed_body(ids, body)?;
        let what = format!("`{}`", f.name());
        let (t, opt, _) = self.common_scalar(&[b], &what)?;
        let r = f.result(t).map_err(|m| err("type_error", m, at))?;
        let b = self.coerce(b, t);
        let dims = self.ty(b).dims.clone();
        Ok(self.push(
            Op::IndexReduce(f, vars),
            vec![b],
            Datashape::new(dims, with_option(r, opt && f.can_be_missing())),
            false,
            at,
        ))
    }

    pub(super) fn gather(
        &mut self,
        b: NodeId,
        subs: &[Subscript],
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
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

    pub(super) fn symbol(
        &mut self,
        eps: bool,
        subs: &[Subscript],
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
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
}

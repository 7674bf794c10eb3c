//! Shape operations: transpose, reshape, concatenation and stacking,
//! `flatten` and row lengths (`len(x, axis=k)`), attributes (`.T`, record
//! fields, tuple elements).

use super::*;

impl Checker<'_> {
    /// `flatten(x)`: axes 0 and 1 merged; the result's first axis is fixed
    /// when both were, else `var`.
    pub(super) fn flatten(&mut self, x: NodeId, at: Span) -> Result<NodeId, Diagnostic> {
        let rank = self.rank_of(x, "`flatten`", at)?;
        let ty = self.ty(x).clone();
        if rank < 2 {
            return Err(err(
                "axis_error",
                format!("`flatten` merges the first two axes, but `{ty}` has {rank}"),
                at,
            ));
        }
        let first = match (&ty.dims[0], &ty.dims[1]) {
            (Dim::Fixed(a), Dim::Fixed(b)) => a.checked_mul(*b).map_or(Dim::Var(None), Dim::Fixed),
            _ => Dim::Var(None),
        };
        let mut dims = vec![first];
        dims.extend_from_slice(&ty.dims[2..]);
        Ok(self.push(
            Op::Flatten,
            vec![x],
            Datashape::new(dims, ty.measure.clone()),
            false,
            at,
        ))
    }

    /// `len(x, axis=k)`: the length of axis `k` at every position of the
    /// axes before it (`int64`, of shape `x`'s first `k` axes).
    pub(super) fn row_lengths(
        &mut self,
        x: NodeId,
        axis: Option<&Expr>,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let rank = self.rank_of(x, "`len`", at)?;
        let ty = self.ty(x).clone();
        let Some(e) = axis else {
            return Err(err("arity", "`len` of an array takes `axis=`", at));
        };
        let a = self.int_literal(e, "the axis of `len`")?;
        let a = self.normalize_axis(a, rank, &ty, e.span)?;
        Ok(self.push(
            Op::Length(a),
            vec![x],
            Datashape::new(ty.dims[..a].to_vec(), Measure::scalar(Scalar::Int64)),
            false,
            at,
        ))
    }

    pub(super) fn transpose(
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

    pub(super) fn reshape(
        &mut self,
        x: NodeId,
        shape: Vec<i64>,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
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

    pub(super) fn concat(
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

    pub(super) fn attr(&mut self, b: NodeId, name: &Ident, at: Span) -> Result<NodeId, Diagnostic> {
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
}

//! Reductions over axes: axis arguments normalized against the rank,
//! result types by `ReduceFn::result`; over an option operand the result
//! is an option exactly where the reduction of no values is missing
//! (`ReduceFn::can_be_missing`), and so is a reduction over a ragged axis
//! (a `var` after the first), whose rows may be empty. A reduced axis needs
//! every ragged axis after it reduced too: rows of different lengths do not
//! combine elementwise.

use super::*;

impl Checker<'_> {
    pub(super) fn rank_of(&self, id: NodeId, what: &str, at: Span) -> Result<usize, Diagnostic> {
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

    pub(super) fn normalize_axis(
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

    pub(super) fn reduce(
        &mut self,
        f: ReduceFn,
        x: NodeId,
        axis: Option<&Expr>,
        keep: Option<&Expr>,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let what = format!("`{}`", f.name());
        let (t, opt, _) = self.common_scalar(&[x], &what)?;
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
        let ragged = ragged_reduced(&ty, axes.as_deref(), &what, at)?;
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
            Datashape::new(dims, with_option(r, (opt || ragged) && f.can_be_missing())),
            false,
            at,
        ))
    }
}

/// Whether `axes` (`None`: all) of `ty` include a ragged axis, i.e. a `var`
/// after the first; an error when a reduced axis has a ragged axis after it
/// that is kept.
fn ragged_reduced(
    ty: &Datashape,
    axes: Option<&[usize]>,
    what: &str,
    at: Span,
) -> Result<bool, Diagnostic> {
    let reduced = |i: usize| axes.is_none_or(|a| a.contains(&i));
    let ragged = |i: usize| i >= 1 && matches!(ty.dims.get(i), Some(Dim::Var(_)));
    for a in (0..ty.dims.len()).filter(|&a| reduced(a)) {
        if let Some(b) = (a + 1..ty.dims.len()).find(|&b| ragged(b) && !reduced(b)) {
            return Err(err(
                "axis_error",
                format!(
                    "{what} over axis {a} of `{ty}` would combine rows of different \
                     lengths: axis {b} is ragged (`var`) and kept; reduce axis {b} too"
                ),
                at,
            ));
        }
    }
    Ok((1..ty.dims.len()).any(|i| ragged(i) && reduced(i)))
}

//! `view(x, 'N * 2 * 3 * float64')`: a value under another datashape of
//! the same elements, checked here and lowered to the operations that
//! compute it (no new IR operation).
//!
//! The rules are those of a view of a file: the first dimension is `x`'s
//! rows (a fixed length must equal it; a symbol or `var` takes it); the
//! other dimensions are fixed, one symbol at most, which takes what the
//! row's elements leave; the measure is `x`'s element type (a view is not
//! a cast), or a record whose fields are fixed dimensions over it, filled
//! in order from each row's elements in C order. `x`'s row lengths must
//! be known when checking. A plain view is a `reshape` (no copy of a
//! C-contiguous array); a record view slices each field out of the rows
//! (`x[:, a:b]`, reshaped when the field has several dimensions) and makes
//! the record of them.

use super::*;

impl Checker<'_> {
    pub(super) fn view(
        &mut self,
        x: NodeId,
        target: &Expr,
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let ExprKind::Str(text) = &target.kind else {
            return Err(err(
                "type_error",
                format!(
                    "the second argument of `view` is a datashape in quotes, as in `view(x, 'N * 2 * 3 * float64')`, found `{}`",
                    self.text(target.span)
                ),
                target.span,
            ));
        };
        let want = parse(text).map_err(|e| {
            err(
                "type_error",
                format!("`{text}` is not a datashape: {}", e.message),
                target.span,
            )
        })?;
        let ty = self.ty(x).clone();
        let Some(scalar) = ty.measure.as_scalar() else {
            return Err(err(
                "type_error",
                format!("`view` takes an array of numbers, found `{ty}`"),
                self.span_of(x),
            ));
        };
        let Some((rows, row)) = ty.dims.split_first() else {
            return Err(err(
                "shape_error",
                format!("`view` needs an array with rows, found the 0-d `{ty}`"),
                self.span_of(x),
            ));
        };
        let mut row_elems = 1u64;
        for d in row {
            match d {
                Dim::Fixed(n) => {
                    row_elems = row_elems.checked_mul(*n).ok_or_else(|| {
                        err(
                            "shape_error",
                            format!("the rows of `{ty}` are too large"),
                            at,
                        )
                    })?
                }
                _ => {
                    return Err(err(
                        "shape_error",
                        format!("`view` needs the lengths of a row of `{ty}` to be known"),
                        self.span_of(x),
                    ))
                }
            }
        }
        let Some((first, rest)) = want.dims.split_first() else {
            return Err(err(
                "shape_error",
                format!("the view `{want}` has no dimension for the rows of `{ty}`"),
                target.span,
            ));
        };
        match (first, rows) {
            (Dim::Fixed(n), Dim::Fixed(m)) if n != m => {
                return Err(err(
                    "shape_error",
                    format!("`{ty}` has {m} rows; the view `{want}` asks for {n}"),
                    target.span,
                ))
            }
            (Dim::Fixed(_) | Dim::TypeVar(_) | Dim::Var(None), _) => {}
            (Dim::Var(Some(b)), Dim::Fixed(m)) if b >= m => {}
            (other, _) => {
                return Err(err(
                    "shape_error",
                    format!("the rows of `{ty}` cannot be viewed as `{other}`"),
                    target.span,
                ))
            }
        }
        let fixed = |dims: &[Dim],
                     open_ok: bool|
         -> Result<(Vec<u64>, Option<usize>), Diagnostic> {
            let mut out = Vec::new();
            let mut open = None;
            for d in dims {
                match d {
                    Dim::Fixed(n) => out.push(*n),
                    Dim::TypeVar(_) if open_ok && open.is_none() => {
                        open = Some(out.len());
                        out.push(1);
                    }
                    other => {
                        return Err(err(
                            "shape_error",
                            format!("the dimensions of a view's row are fixed lengths (one symbol at most), not `{other}` in `{want}`"),
                            target.span,
                        ))
                    }
                }
            }
            Ok((out, open))
        };
        let not_a_cast = |m: &Measure| {
            err(
                "type_error",
                format!(
                    "a view is not a cast: `{ty}` holds {scalar}, the view `{want}` asks for {m}"
                ),
                target.span,
            )
        };
        let (mut outer, open) = fixed(rest, true)?;
        let mut fields: Option<Vec<(String, Vec<u64>, u64)>> = None;
        let per = match &want.measure {
            Measure::Scalar { scalar: s } if *s == scalar => 1u64,
            Measure::Record { fields: fs } => {
                let mut laid = Vec::new();
                let mut at_elem = 0u64;
                for (name, fty) in fs {
                    if fty.measure.as_scalar() != Some(scalar) {
                        return Err(not_a_cast(&fty.measure));
                    }
                    let (dims, _) = fixed(&fty.dims, false)?;
                    let n = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
                    let n =
                        n.ok_or_else(|| err("shape_error", "the view's record is too large", at))?;
                    laid.push((name.clone(), dims, at_elem));
                    at_elem = at_elem
                        .checked_add(n)
                        .ok_or_else(|| err("shape_error", "the view's record is too large", at))?;
                }
                fields = Some(laid);
                at_elem
            }
            m => return Err(not_a_cast(m)),
        };
        let total = outer
            .iter()
            .try_fold(per, |a, &d| a.checked_mul(d))
            .ok_or_else(|| err("shape_error", "the view's row is too large", at))?;
        let row_text = Datashape::new(rest.to_vec(), want.measure.clone());
        let mismatch = |n: u64| {
            err(
                "shape_error",
                format!("a row of {row_elems} {scalar} cannot be viewed as {row_text} ({n})"),
                target.span,
            )
        };
        match open {
            Some(k) if total > 0 && row_elems % total == 0 => outer[k] = row_elems / total,
            Some(_) => return Err(mismatch(total)),
            None if total != row_elems => return Err(mismatch(total)),
            None => {}
        }
        let lead = match rows {
            Dim::Fixed(n) => *n as i64,
            _ => -1,
        };
        let dims_of = |inner: &[u64]| -> Vec<Dim> {
            let mut d = vec![rows.clone()];
            d.extend(inner.iter().map(|&n| Dim::Fixed(n)));
            d
        };
        let shape_of = |inner: &[u64]| -> Vec<i64> {
            let mut s = vec![lead];
            s.extend(inner.iter().map(|&n| n as i64));
            s
        };
        let reshape = |c: &mut Self, x: NodeId, inner: &[u64]| -> NodeId {
            c.push(
                Op::Reshape(shape_of(inner)),
                vec![x],
                Datashape::new(dims_of(inner), Measure::scalar(scalar)),
                false,
                at,
            )
        };
        let Some(fields) = fields else {
            if row.iter().zip(&outer).all(|(d, n)| *d == Dim::Fixed(*n)) && row.len() == outer.len()
            {
                return Ok(x);
            }
            return Ok(reshape(self, x, &outer));
        };
        // Rows of records: `x` as `[rows, outer…, per]`, each field a slice
        // of the last axis.
        let mut flat = outer.clone();
        flat.push(per);
        let base = reshape(self, x, &flat);
        let mut args = Vec::with_capacity(fields.len());
        let mut rec = Vec::with_capacity(fields.len());
        for (name, fdims, from) in &fields {
            let n: u64 = fdims.iter().product();
            let mut items = vec![
                IndexItem::Range {
                    start: None,
                    stop: None,
                    step: 1
                };
                flat.len()
            ];
            let field_ty = Datashape::new(
                fdims.iter().map(|&d| Dim::Fixed(d)).collect(),
                Measure::scalar(scalar),
            );
            let id = if fdims.is_empty() {
                items.push(IndexItem::At(*from as i64));
                self.push(
                    Op::Index(items),
                    vec![base],
                    Datashape::new(dims_of(&outer), Measure::scalar(scalar)),
                    false,
                    at,
                )
            } else {
                items.push(IndexItem::Range {
                    start: Some(*from as i64),
                    stop: Some((from + n) as i64),
                    step: 1,
                });
                let mut sliced = outer.clone();
                sliced.push(n);
                let s = self.push(
                    Op::Index(items),
                    vec![base],
                    Datashape::new(dims_of(&sliced), Measure::scalar(scalar)),
                    false,
                    at,
                );
                if fdims.len() == 1 {
                    s
                } else {
                    let mut whole = outer.clone();
                    whole.extend(fdims);
                    reshape(self, s, &whole)
                }
            };
            args.push(id);
            rec.push((name.clone(), field_ty));
        }
        Ok(self.push(
            Op::MakeRecord(fields.into_iter().map(|(n, _, _)| n).collect()),
            args,
            Datashape::new(dims_of(&outer), Measure::Record { fields: rec }),
            false,
            at,
        ))
    }
}

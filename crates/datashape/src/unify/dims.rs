//! Unification of dimensions: ranks aligned from the right with
//! broadcasting, ellipses absorbing runs of dimensions, type variables
//! bound with the operand and axis they came from, rank errors.

use super::*;

impl Unifier<'_> {
    pub(super) fn datashape(
        &mut self,
        a: &Datashape,
        b: &Datashape,
        dm: DimMode,
        mm: MeasureMode,
        ops: Ops<'_>,
    ) -> Result<Datashape, UnifyError> {
        let dims = self.dims(&a.dims, &b.dims, dm, ops)?;
        let measure = self.measure(&a.measure, &b.measure, mm, ops)?;
        Ok(Datashape::new(dims, measure))
    }

    pub(super) fn dims(
        &mut self,
        a: &[Dim],
        b: &[Dim],
        mode: DimMode,
        ops: Ops<'_>,
    ) -> Result<Vec<Dim>, UnifyError> {
        let ea = a.iter().position(is_ellipsis);
        let eb = b.iter().position(is_ellipsis);
        let ta = a.len() - ea.map_or(0, |i| i + 1);
        let tb = b.len() - eb.map_or(0, |i| i + 1);
        let n = ta.min(tb);
        let mut tail = Vec::with_capacity(n);
        for k in 0..n {
            let (ia, ib) = (a.len() - n + k, b.len() - n + k);
            tail.push(self.dim(&a[ia], &b[ib], mode, (ia, ib), ops)?);
        }
        let (ra, rb) = (&a[..a.len() - n], &b[..b.len() - n]);
        let mut head = match (ea, eb) {
            (None, None) => {
                if mode == DimMode::Strict && ra.len() != rb.len() {
                    return Err(self.rank_error(a, b, ops));
                }
                if ra.is_empty() {
                    rb.to_vec()
                } else {
                    ra.to_vec()
                }
            }
            (Some(i), None) => self.absorb(ra, i, rb, mode, ops, false, a, b)?,
            (None, Some(j)) => self.absorb(rb, j, ra, mode, ops, true, a, b)?,
            (Some(i), Some(j)) => {
                // One side's remainder ends with its ellipsis; the other's
                // ellipsis may have dimensions after it.
                let (a_pre, a_left) = (&ra[..i], &ra[i + 1..]);
                let (b_pre, b_left) = (&rb[..j], &rb[j + 1..]);
                self.nested += 1;
                let pre = self.dims(a_pre, b_pre, DimMode::Broadcast, ops);
                self.nested -= 1;
                let mut head = pre?;
                let merged = if a_left.is_empty() && b_left.is_empty() {
                    // Only the two ellipses are left: keep the named one; of
                    // two names, bind the later to the earlier, so that the
                    // result does not depend on the order of the operands.
                    let (ea, eb) = (&ra[i], &rb[j]);
                    match (ea, eb) {
                        (Dim::Ellipsis(Some(x)), Dim::Ellipsis(Some(y))) if x != y => {
                            let (from, to) = if x > y { (ea, eb) } else { (eb, ea) };
                            self.bind_ellipsis(from, vec![to.clone()], ops, None)?
                        }
                        (Dim::Ellipsis(None), _) => vec![eb.clone()],
                        _ => vec![ea.clone()],
                    }
                } else if a_left.is_empty() {
                    let mut rest = vec![rb[j].clone()];
                    rest.extend_from_slice(b_left);
                    self.bind_ellipsis(&ra[i], rest, ops, None)?
                } else {
                    let mut rest = vec![ra[i].clone()];
                    rest.extend_from_slice(a_left);
                    self.bind_ellipsis(&rb[j], rest, ops, None)?
                };
                head.extend(merged);
                head
            }
        };
        head.extend(tail);
        Ok(head)
    }

    /// `xr` has an ellipsis at `i`; `yr` has none. `swapped` says `x` is the
    /// right operand.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn absorb(
        &mut self,
        xr: &[Dim],
        i: usize,
        yr: &[Dim],
        mode: DimMode,
        ops: Ops<'_>,
        swapped: bool,
        a: &[Dim],
        b: &[Dim],
    ) -> Result<Vec<Dim>, UnifyError> {
        let (pre, e, post) = (&xr[..i], &xr[i], &xr[i + 1..]);
        // Strictly (nested types, patterns) the side with the ellipsis
        // needs at least its written dims, whichever operand it is, so that
        // the result does not depend on the order of the operands.
        let pattern_short = mode == DimMode::Strict;
        // Broadcasting against a side with no dimensions left for the
        // ellipsis: it stays, unknown (`Dims... * T ⊔ T = Dims... * T`).
        let ran_out = yr.len() < pre.len() || (mode == DimMode::Broadcast && yr.len() == pre.len());
        if !post.is_empty() || ran_out {
            if pattern_short && (!post.is_empty() || yr.len() < pre.len()) {
                return Err(self.rank_error(a, b, ops));
            }
            if !post.is_empty() {
                return Ok(xr.to_vec());
            }
            self.nested += 1;
            let head = self.dims(pre, yr, DimMode::Broadcast, ops);
            self.nested -= 1;
            let mut head = head?;
            if mode == DimMode::Broadcast {
                head.push(e.clone());
            } else {
                head.extend(self.bind_ellipsis(e, Vec::new(), ops, None)?);
            }
            return Ok(head);
        }
        let mut head = Vec::with_capacity(yr.len());
        for (k, (xd, yd)) in pre.iter().zip(yr).enumerate() {
            let d = if swapped {
                self.dim(yd, xd, mode, (k, k), ops)?
            } else {
                self.dim(xd, yd, mode, (k, k), ops)?
            };
            head.push(d);
        }
        let start = (!swapped).then_some(pre.len());
        head.extend(self.bind_ellipsis(e, yr[pre.len()..].to_vec(), ops, start)?);
        Ok(head)
    }

    /// Binds ellipsis `e` to `dims`, which start at axis `start` of operand
    /// `ops.b` when known. A second binding broadcasts with the first.
    pub(super) fn bind_ellipsis(
        &mut self,
        e: &Dim,
        dims: Vec<Dim>,
        ops: Ops<'_>,
        start: Option<usize>,
    ) -> Result<Vec<Dim>, UnifyError> {
        let Dim::Ellipsis(Some(name)) = e else {
            return Ok(dims);
        };
        if dims.len() == 1 && dims[0] == *e {
            return Ok(dims);
        }
        let key = format!("e:{name}");
        let merged = match self.ellipses.get(name).cloned() {
            Some(old) => match (self.origins.get(&key).copied(), start) {
                // Both places known: report positions in the two operands.
                (Some((op, Some(old_start))), Some(new_start)) if self.nested == 0 => {
                    let label = format!("argument {}", op + 1);
                    let merge = Ops {
                        a: op,
                        b: ops.b,
                        a_label: &label,
                        b_label: ops.b_label,
                        a_off: old_start,
                        b_off: new_start + ops.b_off,
                    };
                    self.dims(&old, &dims, DimMode::Broadcast, merge)?
                }
                _ => {
                    self.nested += 1;
                    let r = self.dims(&old, &dims, DimMode::Broadcast, ops);
                    self.nested -= 1;
                    r?
                }
            },
            None => {
                if ops.b != usize::MAX && self.nested == 0 {
                    self.origins
                        .insert(key, (ops.b, start.map(|s| s + ops.b_off)));
                }
                dims
            }
        };
        if !merged.contains(e) {
            self.ellipses.insert(name.clone(), merged.clone());
        }
        Ok(merged)
    }

    pub(super) fn dim(
        &mut self,
        a: &Dim,
        b: &Dim,
        mode: DimMode,
        at: (usize, usize),
        ops: Ops<'_>,
    ) -> Result<Dim, UnifyError> {
        let (ra, va) = self.resolve_dim(a);
        let (rb, vb) = self.resolve_dim(b);
        if mode == DimMode::Broadcast {
            // A 1 yields to anything, and never binds a variable.
            if ra == Dim::Fixed(1) {
                return Ok(rb);
            }
            if rb == Dim::Fixed(1) {
                return Ok(ra);
            }
        }
        let here_a = (self.nested == 0).then_some(at.0 + ops.a_off);
        let here_b = (self.nested == 0).then_some(at.1 + ops.b_off);
        match (&ra, &rb) {
            (Dim::TypeVar(x), Dim::TypeVar(y)) if x == y => return Ok(ra),
            (Dim::TypeVar(x), Dim::TypeVar(y)) => {
                // Bind signature variables first, then the later name, so
                // the result does not depend on the order of the operands.
                let x_first = (is_sig(x), x.as_str()) > (is_sig(y), y.as_str());
                return Ok(if x_first {
                    self.bind_dim(x, rb.clone(), ops.b, here_b);
                    rb
                } else {
                    self.bind_dim(y, ra.clone(), ops.a, here_a);
                    ra
                });
            }
            (Dim::TypeVar(x), _) => {
                self.bind_dim(x, rb.clone(), ops.b, here_b);
                return Ok(rb);
            }
            (_, Dim::TypeVar(y)) => {
                self.bind_dim(y, ra.clone(), ops.a, here_a);
                return Ok(ra);
            }
            _ => {}
        }
        let r = match (&ra, &rb) {
            (Dim::Fixed(x), Dim::Fixed(y)) if x == y => ra.clone(),
            // Two ragged dims: the larger bound; a bound wins over none.
            (Dim::Var(p), Dim::Var(q)) => Dim::Var(match (p, q) {
                (Some(p), Some(q)) => Some(*p.max(q)),
                (Some(p), None) | (None, Some(p)) => Some(*p),
                (None, None) => None,
            }),
            // A bounded ragged dim holds a fixed one up to its bound.
            (Dim::Var(Some(n)), Dim::Fixed(m)) if m <= n => ra.clone(),
            (Dim::Fixed(m), Dim::Var(Some(n))) if m <= n => rb.clone(),
            (Dim::Var(None), Dim::Fixed(_)) => rb.clone(),
            (Dim::Fixed(_), Dim::Var(None)) => ra.clone(),
            _ => {
                let side_a = self.side(&va, "d", ops.a, ops.a_label, here_a);
                let side_b = self.side(&vb, "d", ops.b, ops.b_label, here_b);
                let var = [&va, &vb]
                    .into_iter()
                    .flatten()
                    .find(|v| is_sig(v))
                    .map(|v| format!(" for `{}`", unrename_name(v)))
                    .unwrap_or_default();
                let verb = if mode == DimMode::Broadcast {
                    format!("cannot broadcast{var}")
                } else {
                    format!("mismatched dimensions{var}:")
                };
                let why = match (&ra, &rb) {
                    (Dim::Var(Some(n)), Dim::Fixed(m)) | (Dim::Fixed(m), Dim::Var(Some(n))) => {
                        format!(": {m} exceeds the bound {n}")
                    }
                    _ => String::new(),
                };
                return Err(UnifyError {
                    kind: ErrorKind::DimMismatch,
                    message: format!(
                        "{verb} dimension {ra}{} with dimension {rb}{}{why}",
                        side_a.phrase, side_b.phrase
                    ),
                    locations: [side_a.location, side_b.location]
                        .into_iter()
                        .flatten()
                        .collect(),
                });
            }
        };
        // A variable bound to a concrete dimension takes the combined one.
        for v in [va, vb].into_iter().flatten() {
            self.dims.insert(v, r.clone());
        }
        Ok(r)
    }

    pub(super) fn bind_dim(&mut self, var: &str, to: Dim, operand: usize, axis: Option<usize>) {
        if is_sig(var) && operand != usize::MAX {
            self.origins.insert(format!("d:{var}"), (operand, axis));
        }
        self.dims.insert(var.to_string(), to);
    }

    /// How to name one side of a conflict: the argument a signature
    /// variable took its value from, or the operand itself.
    pub(super) fn side(
        &self,
        var: &Option<String>,
        space: &str,
        operand: usize,
        label: &str,
        axis: Option<usize>,
    ) -> Side {
        let origin = var
            .as_ref()
            .filter(|v| is_sig(v))
            .and_then(|v| self.origins.get(&format!("{space}:{v}")).copied());
        let (operand, label, axis) = match origin {
            Some((op, ax)) => (op, format!("argument {}", op + 1), ax),
            None => (operand, label.to_string(), axis),
        };
        let phrase = match (axis, space) {
            (Some(ax), "d") => format!(" (axis {ax} of {label})"),
            _ => format!(" of {label}"),
        };
        let location = (operand != usize::MAX).then_some(Location {
            operand,
            site: match (axis, space) {
                (Some(ax), "d") => Site::Dim(ax),
                _ => Site::Measure,
            },
        });
        Side {
            label,
            phrase,
            location,
        }
    }

    pub(super) fn rank_error(&self, a: &[Dim], b: &[Dim], ops: Ops<'_>) -> UnifyError {
        let show = |d: &[Dim]| -> String {
            if d.is_empty() {
                "no dimensions".to_string()
            } else {
                let dims: Vec<String> = d
                    .iter()
                    .map(|x| match x {
                        Dim::TypeVar(n) => unrename_name(n).to_string(),
                        Dim::Ellipsis(Some(n)) => format!("{}...", unrename_name(n)),
                        other => other.to_string(),
                    })
                    .collect();
                format!("dimensions `{}` ({})", dims.join(" * "), d.len())
            }
        };
        UnifyError {
            kind: ErrorKind::RankMismatch,
            message: format!(
                "{} has {}, {} has {}; they need the same number",
                ops.a_label,
                show(a),
                ops.b_label,
                show(b),
            ),
            locations: self.measure_locations(ops),
        }
    }

    /// Follows variable bindings; returns the final dimension and the last
    /// variable on the way (the one to rebind).
    pub(super) fn resolve_dim(&self, d: &Dim) -> (Dim, Option<String>) {
        resolve(d, &self.dims, |d| match d {
            Dim::TypeVar(name) => Some(name),
            _ => None,
        })
    }

    pub(super) fn resolve_measure(&self, m: &Measure) -> (Measure, Option<String>) {
        resolve(m, &self.measures, |m| match m {
            Measure::TypeVar { name } => Some(name),
            _ => None,
        })
    }
}

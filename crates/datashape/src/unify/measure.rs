//! Unification of measures: promotion of scalars, options, records,
//! tuples and functions, measure variables (with the occurs check), and
//! mismatch errors naming where each side came from.

use super::*;

impl Unifier<'_> {
    pub(super) fn measure(
        &mut self,
        a: &Measure,
        b: &Measure,
        mode: MeasureMode,
        ops: Ops<'_>,
    ) -> Result<Measure, UnifyError> {
        crate::grow(|| {
            let (ra, va) = self.resolve_measure(a);
            let (rb, vb) = self.resolve_measure(b);
            match (&ra, &rb) {
                (Measure::TypeVar { name: x }, Measure::TypeVar { name: y }) if x == y => {
                    return Ok(ra)
                }
                (Measure::TypeVar { name: x }, Measure::TypeVar { name: y }) => {
                    // As for dimensions: the result must not depend on the order.
                    return if (is_sig(x), x.as_str()) > (is_sig(y), y.as_str()) {
                        self.bind_measure(x, rb, ops, ops.b)
                    } else {
                        self.bind_measure(y, ra, ops, ops.a)
                    };
                }
                (Measure::TypeVar { name: x }, _) => return self.bind_measure(x, rb, ops, ops.b),
                (_, Measure::TypeVar { name: y }) => return self.bind_measure(y, ra, ops, ops.a),
                _ => {}
            }
            let side_a = self.side(&va, "m", ops.a, ops.a_label, None);
            let named = Ops {
                a: side_a.location.map_or(ops.a, |l| l.operand),
                a_label: &side_a.label,
                ..ops
            };
            let r = self.combine(&ra, &rb, mode, named)?;
            for v in [va, vb].into_iter().flatten() {
                self.measures.insert(v, r.clone());
            }
            Ok(r)
        })
    }

    pub(super) fn bind_measure(
        &mut self,
        name: &str,
        m: Measure,
        ops: Ops<'_>,
        from: usize,
    ) -> Result<Measure, UnifyError> {
        let applied = self.apply_measure(&m);
        if occurs(name, &applied) {
            return Err(UnifyError {
                kind: ErrorKind::TypeMismatch,
                message: format!(
                    "type variable `{}` cannot stand for `{applied}`, which contains it",
                    unrename_name(name)
                ),
                locations: self.measure_locations(ops),
            });
        }
        if is_sig(name) && from != usize::MAX && self.nested == 0 {
            self.origins.insert(format!("m:{name}"), (from, None));
        }
        self.measures.insert(name.to_string(), m.clone());
        Ok(m)
    }

    pub(super) fn measure_locations(&self, ops: Ops<'_>) -> Vec<Location> {
        let mut out = Vec::new();
        if ops.a != usize::MAX {
            out.push(Location {
                operand: ops.a,
                site: Site::Measure,
            });
        }
        out.push(Location {
            operand: ops.b,
            site: Site::Measure,
        });
        out
    }

    pub(super) fn mismatch(&self, a: &Measure, b: &Measure, why: &str, ops: Ops<'_>) -> UnifyError {
        UnifyError {
            kind: ErrorKind::TypeMismatch,
            message: format!(
                "cannot unify the measure `{}` of {} with `{}` of {}{why}",
                unrename_measure(a),
                ops.a_label,
                unrename_measure(b),
                ops.b_label
            ),
            locations: self.measure_locations(ops),
        }
    }

    pub(super) fn combine(
        &mut self,
        a: &Measure,
        b: &Measure,
        mode: MeasureMode,
        ops: Ops<'_>,
    ) -> Result<Measure, UnifyError> {
        if a == b {
            return Ok(a.clone());
        }
        let exact = mode == MeasureMode::Exact;
        match (a, b) {
            (Measure::Scalar { scalar: x }, Measure::Scalar { scalar: y }) if !exact => {
                Ok(Measure::scalar(promote(*x, *y)))
            }
            (Measure::Option { inner: x }, Measure::Option { inner: y }) => {
                Ok(Measure::option(self.measure(x, y, mode, ops)?))
            }
            (Measure::Option { inner }, Measure::Null)
            | (Measure::Null, Measure::Option { inner })
                if !exact =>
            {
                Ok(Measure::Option {
                    inner: inner.clone(),
                })
            }
            (Measure::Null, other) | (other, Measure::Null) if !exact => {
                Ok(Measure::option(other.clone()))
            }
            (Measure::Option { inner }, other) if !exact => {
                Ok(Measure::option(self.measure(inner, other, mode, ops)?))
            }
            (other, Measure::Option { inner }) if !exact => {
                Ok(Measure::option(self.measure(other, inner, mode, ops)?))
            }
            (Measure::Record { fields: fa }, Measure::Record { fields: fb }) => {
                let names_a: Vec<&String> = fa.iter().map(|(n, _)| n).collect();
                let names_b: Vec<&String> = fb.iter().map(|(n, _)| n).collect();
                if names_a != names_b {
                    return Err(self.mismatch(a, b, ": records unify only when their fields have the same names in the same order", ops));
                }
                let mut fields = Vec::with_capacity(fa.len());
                self.nested += 1;
                for ((n, x), (_, y)) in fa.iter().zip(fb) {
                    let r = self.datashape(x, y, DimMode::Strict, MeasureMode::Exact, ops);
                    match r {
                        Ok(r) => fields.push((n.clone(), r)),
                        Err(_) => {
                            self.nested -= 1;
                            return Err(self.mismatch(a, b, &format!(": field `{n}` differs, and records unify only with an equal type"), ops));
                        }
                    }
                }
                self.nested -= 1;
                Ok(Measure::Record { fields })
            }
            (Measure::Tuple { elems: ea }, Measure::Tuple { elems: eb }) => {
                if ea.len() != eb.len() {
                    return Err(self.mismatch(a, b, ": tuples of different lengths", ops));
                }
                self.nested += 1;
                let r: Result<Vec<_>, _> = ea
                    .iter()
                    .zip(eb)
                    .map(|(x, y)| self.datashape(x, y, DimMode::Strict, MeasureMode::Exact, ops))
                    .collect();
                self.nested -= 1;
                r.map(|elems| Measure::Tuple { elems })
                    .map_err(|_| self.mismatch(a, b, ": tuples unify only with an equal type", ops))
            }
            (
                Measure::Function {
                    params: pa,
                    ret: xa,
                },
                Measure::Function {
                    params: pb,
                    ret: xb,
                },
            ) => {
                if pa.len() != pb.len() {
                    return Err(self.mismatch(
                        a,
                        b,
                        ": functions with different numbers of parameters",
                        ops,
                    ));
                }
                self.nested += 1;
                let r: Result<Vec<_>, _> = pa
                    .iter()
                    .zip(pb)
                    .map(|(x, y)| self.datashape(x, y, DimMode::Strict, MeasureMode::Exact, ops))
                    .collect();
                let ret = self.datashape(xa, xb, DimMode::Strict, MeasureMode::Exact, ops);
                self.nested -= 1;
                match (r, ret) {
                    (Ok(params), Ok(ret)) => Ok(Measure::Function {
                        params,
                        ret: Box::new(ret),
                    }),
                    _ => Err(self.mismatch(
                        a,
                        b,
                        ": function types unify only with an equal type",
                        ops,
                    )),
                }
            }
            _ => {
                let why = if exact {
                    ": inside records, tuples and functions types must be equal"
                } else {
                    match (a, b) {
                        (Measure::Scalar { .. }, Measure::Scalar { .. }) => "",
                        (Measure::Scalar { .. }, _) | (_, Measure::Scalar { .. }) => ": a number unifies only with numbers",
                        _ => ": records, strings, dates and other non-numeric measures unify only with an equal type",
                    }
                };
                Err(self.mismatch(a, b, why, ops))
            }
        }
    }
}

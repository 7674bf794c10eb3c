//! Matrix products and linear algebra: operand shapes and element types,
//! result types of `LinalgFn`.

use super::*;

impl Checker<'_> {
    /// Unifies `args` against the prelude signature `sig` for their shapes;
    /// returns the result datashape (measures from the signature, to be
    /// replaced by the caller).
    pub(super) fn shapes(
        &mut self,
        sig: &str,
        args: &[NodeId],
        at: Span,
        what: &str,
    ) -> Result<Datashape, Diagnostic> {
        let Some(sig) = signature(sig) else {
            return Err(err("internal", format!("no signature `{sig}`"), at));
        };
        let shapes: Vec<Datashape> = args
            .iter()
            .map(|id| Datashape::new(self.ty(*id).dims.clone(), Scalar::Float64.into()))
            .collect();
        let mut u = Unifier::new(self.types);
        u.unify_call(sig, &shapes).map_err(|e| {
            let found: Vec<String> = args
                .iter()
                .map(|id| format!("`{}`", self.ty(*id)))
                .collect();
            err(
                "shape_error",
                format!("{what}: {} (arguments: {})", e.message, found.join(", ")),
                at,
            )
        })
    }

    pub(super) fn matmul(&mut self, a: NodeId, b: NodeId, at: Span) -> Result<NodeId, Diagnostic> {
        let (t, opt, _) = self.common_scalar(&[a, b], "`@`")?;
        if opt {
            return Err(err("type_error", "`@` does not accept missing values", at));
        }
        let (ra, rb) = (self.rank_of(a, "`@`", at)?, self.rank_of(b, "`@`", at)?);
        let sig = match (ra, rb) {
            (0, _) | (_, 0) => return Err(err("type_error", format!("`@` needs arrays of at least one dimension, found `{}` and `{}`; use `*` for scalars", self.ty(a), self.ty(b)), at)),
            (1, 1) => "vecdot",
            (1, _) => "vecmat",
            (_, 1) => "matvec",
            _ => "matmul",
        };
        let shape = self.shapes(sig, &[a, b], at, "matrix product")?;
        let (a, b) = (self.coerce(a, t), self.coerce(b, t));
        Ok(self.push(
            Op::MatMul,
            vec![a, b],
            Datashape::new(shape.dims, t.into()),
            false,
            at,
        ))
    }

    pub(super) fn linalg(
        &mut self,
        f: LinalgFn,
        args: &[NodeId],
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        let what = format!("`{}`", f.name());
        let (t0, opt, _) = self.common_scalar(args, &what)?;
        if opt {
            return Err(err(
                "type_error",
                format!("{what} does not accept missing values"),
                at,
            ));
        }
        let t = float_of(t0);
        let ranks: Vec<usize> = args
            .iter()
            .map(|a| self.rank_of(*a, &what, at))
            .collect::<Result<_, _>>()?;
        let sig = match f {
            LinalgFn::Inv => "inv",
            LinalgFn::Det => "det",
            LinalgFn::Cholesky => "cholesky",
            LinalgFn::Qr | LinalgFn::Svd => "qr",
            LinalgFn::Eig => "eig",
            LinalgFn::Eigh => "eigh",
            LinalgFn::Norm => "norm",
            LinalgFn::Trace => "trace",
            LinalgFn::Solve => {
                if ranks.get(1) == Some(&1) {
                    "solve"
                } else {
                    "solve_matrix"
                }
            }
            LinalgFn::Lstsq => {
                if ranks.get(1) == Some(&1) {
                    "lstsq"
                } else {
                    "lstsq_matrix"
                }
            }
        };
        if matches!(f, LinalgFn::Norm) && !(1..=2).contains(&ranks[0]) {
            return Err(err(
                "type_error",
                format!(
                    "`norm` takes a vector or a matrix, found `{}`",
                    self.ty(args[0])
                ),
                at,
            ));
        }
        let shape = self.shapes(sig, args, at, &what)?;
        let args: Vec<NodeId> = args.iter().map(|a| self.coerce(*a, t)).collect();
        let dims_of = |d: &Datashape| d.dims.clone();
        let ty = match f {
            LinalgFn::Qr | LinalgFn::Svd => {
                let Measure::Tuple { elems } = &shape.measure else {
                    return Err(err("internal", "qr signature", at));
                };
                // K = min(M, N).
                let (m, n) = (elems[0].dims[0].clone(), elems[1].dims[1].clone());
                let k = match (&m, &n) {
                    (Dim::Fixed(x), Dim::Fixed(y)) => Dim::Fixed(*x.min(y)),
                    _ if m == n => m.clone(),
                    _ => self.fresh("K"),
                };
                let mat = |r: Dim, c: Dim, s: Scalar| Datashape::new(vec![r, c], s.into());
                let elems = if f == LinalgFn::Qr {
                    vec![mat(m.clone(), k.clone(), t), mat(k, n, t)]
                } else {
                    vec![
                        mat(m, k.clone(), t),
                        Datashape::new(vec![k.clone()], real_of(t).into()),
                        mat(k, n, t),
                    ]
                };
                Datashape::scalar(Measure::Tuple { elems })
            }
            LinalgFn::Eig | LinalgFn::Eigh => {
                let Measure::Tuple { elems } = &shape.measure else {
                    return Err(err("internal", "eig signature", at));
                };
                let (vals, vecs) = if f == LinalgFn::Eig {
                    (complex_of(t), complex_of(t))
                } else {
                    (real_of(t), t)
                };
                Datashape::scalar(Measure::Tuple {
                    elems: vec![
                        Datashape::new(dims_of(&elems[0]), vals.into()),
                        Datashape::new(dims_of(&elems[1]), vecs.into()),
                    ],
                })
            }
            LinalgFn::Norm => Datashape::scalar(real_of(t).into()),
            _ => Datashape::new(shape.dims, t.into()),
        };
        Ok(self.push(Op::Linalg(f), args, ty, false, at))
    }
}

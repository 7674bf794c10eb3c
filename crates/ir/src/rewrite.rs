//! Algebraic rewrites that hand matrix work to BLAS and LAPACK:
//!
//! - `A @ B` → `gemm`, `A @ x` and `x @ A` → `gemv`, `x @ y` → `dot`, for
//!   float32, float64 and complex matrices (other element types keep
//!   `matmul`);
//! - transposes of operands are folded into the routines' transpose flags
//!   (the transposed copy is never made);
//! - `A.T @ A` and `A @ A.T` → `syrk` (half the work; the other triangle is
//!   mirrored), also when the operand is an expression written twice
//!   (`(A - m).T @ (A - m)`, [`crate::analysis::same_value`]: the second
//!   copy is never computed);
//! - `alpha * (A @ B) + beta * C` (and the forms without `alpha` or `beta`)
//!   → one `gemm` with its `alpha`, `beta` and `C`;
//! - integer matrix products → index notation
//!   (`forall i, j: sum(k: A[i, k] * B[k, j])`, cast back to the element
//!   type: wrapping, as NumPy), which the JIT compiles into one kernel;
//! - from the matrix properties ([`crate::props`]): `eig` of a real
//!   symmetric matrix → the symmetric solver (`syevd`), `inv` of a real
//!   orthogonal matrix → a transpose, `solve` with a triangular matrix →
//!   `trsm`.
//!
//! The result is a new, verified function; nodes that became dead (a
//! folded transpose, say) are dropped ([`crate::analysis::prune`]). Every [`Routine`] has a meaning in
//! terms of the original operations, so the reference interpreter runs
//! rewritten functions too and tests compare both forms.

use crate::analysis::{prune, same_value, uses};
use crate::node::{Function, GatherItem, IndexInfo, IndexVar, Literal, Node, NodeId, Op};
use crate::ops::{BinaryFn, LinalgFn, ReduceFn, Routine};
use crate::props::{is_inexact, matrix_properties, plain_scalar, transpose_of, Props};
use crate::verify::debug_verify;
use blaze_datashape::{Datashape, Dim, Measure, ScalarKind};

struct Builder<'f> {
    f: &'f Function,
    props: Vec<Props>,
    uses: Vec<usize>,
    out: Vec<Node>,
    /// Old id → new id.
    map: Vec<NodeId>,
    /// New ids of the `1` literals made for a routine's `alpha`/`beta`.
    ones: Vec<NodeId>,
    /// Index variables: the function's, then those of rewritten products.
    index_vars: Vec<IndexInfo>,
}

impl Builder<'_> {
    fn push(&mut self, node: Node) -> NodeId {
        self.out.push(node);
        NodeId(self.out.len() as u32 - 1)
    }

    fn one(&mut self, like: &Node) -> Option<NodeId> {
        let s = plain_scalar(&like.ty)?;
        let id = self.push(Node {
            op: Op::Literal(Literal::Int(1)),
            args: vec![],
            ty: Datashape::scalar(s.into()),
            weak: false,
            span: like.span,
        });
        self.ones.push(id);
        Some(id)
    }

    fn call(&mut self, r: Routine, args: Vec<NodeId>, like: &Node) -> NodeId {
        self.push(Node {
            op: Op::Call(r),
            args,
            ty: like.ty.clone(),
            weak: false,
            span: like.span,
        })
    }

    /// The operand without a folded transpose, and whether it had one.
    fn strip(&self, id: NodeId) -> (NodeId, bool) {
        match transpose_of(self.f, id) {
            Some(a) if self.f.node(a).ty.dims.len() == 2 => (a, true),
            _ => (id, false),
        }
    }

    fn inexact(&self, id: NodeId) -> bool {
        plain_scalar(&self.f.node(id).ty).is_some_and(is_inexact)
    }

    fn real(&self, id: NodeId) -> bool {
        plain_scalar(&self.f.node(id).ty).is_some_and(|s| s.kind() == ScalarKind::Float)
    }

    fn rank(&self, id: NodeId) -> usize {
        self.f.node(id).ty.dims.len()
    }

    /// An integer matrix product as index notation: `forall i, j: sum(k:
    /// A[i, k] * B[k, j])` (vectors drop `i` or `j`), cast to the product's
    /// element type.
    fn integer_matmul(&mut self, n: &Node) -> Option<NodeId> {
        let f = self.f;
        let (x, y) = (n.args[0], n.args[1]);
        let t = plain_scalar(&n.ty)?;
        let int = |id: NodeId| {
            plain_scalar(&f.node(id).ty).is_some_and(|s| {
                s == t && matches!(s.kind(), ScalarKind::Signed | ScalarKind::Unsigned)
            })
        };
        if !(int(x) && int(y)) {
            return None;
        }
        let (dx, dy) = (&f.node(x).ty.dims, &f.node(y).ty.dims);
        let known = |d: &Dim| matches!(d, Dim::Fixed(_) | Dim::TypeVar(_));
        if !(1..=2).contains(&dx.len()) || !(1..=2).contains(&dy.len()) {
            return None;
        }
        if !dx.iter().chain(dy.iter()).all(known) {
            return None;
        }
        let mut var = |name: &str, extent: &Dim| self_push_var(&mut self.index_vars, name, extent);
        let k = var("k", &dx[dx.len() - 1]);
        let i = (dx.len() == 2).then(|| var("i", &dx[0]));
        let j = (dy.len() == 2).then(|| var("j", &dy[1]));
        let scalar = Datashape::new(vec![], Measure::scalar(t));
        let gather = |b: &mut Builder, arr: NodeId, items: Vec<GatherItem>| {
            b.push(Node {
                op: Op::Gather(items),
                args: vec![b.map[arr.index()]],
                ty: scalar.clone(),
                weak: false,
                span: n.span,
            })
        };
        let gi: Vec<GatherItem> = i.into_iter().chain([k]).map(GatherItem::Var).collect();
        let gj: Vec<GatherItem> = [k].into_iter().chain(j).map(GatherItem::Var).collect();
        let a = gather(self, x, gi);
        let b = gather(self, y, gj);
        let prod = self.push(Node {
            op: Op::Binary(BinaryFn::Mul),
            args: vec![a, b],
            ty: scalar.clone(),
            weak: false,
            span: n.span,
        });
        let acc = ReduceFn::Sum.result(t).ok()?;
        let sum = self.push(Node {
            op: Op::IndexReduce(ReduceFn::Sum, vec![k]),
            args: vec![prod],
            ty: Datashape::new(vec![], Measure::scalar(acc)),
            weak: false,
            span: n.span,
        });
        let outer: Vec<IndexVar> = i.into_iter().chain(j).collect();
        let top = if outer.is_empty() {
            sum
        } else {
            self.push(Node {
                op: Op::Forall(outer),
                args: vec![sum],
                ty: Datashape::new(n.ty.dims.clone(), Measure::scalar(acc)),
                weak: false,
                span: n.span,
            })
        };
        Some(if acc == t {
            top
        } else {
            self.push(Node {
                op: Op::Cast(t),
                args: vec![top],
                ty: n.ty.clone(),
                weak: false,
                span: n.span,
            })
        })
    }

    /// A rewritten form of old node `i`, if a rule applies.
    fn rule(&mut self, i: usize) -> Option<NodeId> {
        let f = self.f;
        let n = &f.nodes[i];
        let m = |b: &Builder, id: NodeId| b.map[id.index()];
        match &n.op {
            Op::MatMul => {
                let (x, y) = (n.args[0], n.args[1]);
                if !(self.inexact(x) && self.inexact(y) && plain_scalar(&n.ty).is_some()) {
                    return self.integer_matmul(n);
                }
                match (self.rank(x), self.rank(y)) {
                    (2, 2) => {
                        let ((a, ta), (b, tb)) = (self.strip(x), self.strip(y));
                        let one = self.one(n)?;
                        Some(if ta != tb && same_value(f, a, b) {
                            self.call(Routine::Syrk { trans: ta }, vec![m(self, a), one], n)
                        } else {
                            let args = vec![m(self, a), m(self, b), one];
                            self.call(
                                Routine::Gemm {
                                    trans_a: ta,
                                    trans_b: tb,
                                },
                                args,
                                n,
                            )
                        })
                    }
                    (2, 1) => {
                        let (a, ta) = self.strip(x);
                        let one = self.one(n)?;
                        let args = vec![m(self, a), m(self, y), one];
                        Some(self.call(Routine::Gemv { trans: ta }, args, n))
                    }
                    (1, 2) => {
                        // x @ B = B.T @ x
                        let (b, tb) = self.strip(y);
                        let one = self.one(n)?;
                        let args = vec![m(self, b), m(self, x), one];
                        Some(self.call(Routine::Gemv { trans: !tb }, args, n))
                    }
                    (1, 1) => Some(self.call(Routine::Dot, vec![m(self, x), m(self, y)], n)),
                    _ => None,
                }
            }
            Op::Binary(BinaryFn::Mul) => {
                // alpha * (routine with alpha = 1)
                for (s, r) in [(0, 1), (1, 0)] {
                    let (s, r) = (n.args[s], n.args[r]);
                    if !f.node(s).ty.dims.is_empty() || self.uses[r.index()] != 1 {
                        continue;
                    }
                    if f.node(r).ty != n.ty {
                        continue;
                    }
                    let new_r = m(self, r);
                    let node = &self.out[new_r.index()];
                    let slot = match node.op {
                        Op::Call(Routine::Gemm { .. } | Routine::Gemv { .. }) => 2,
                        Op::Call(Routine::Syrk { .. }) => 1,
                        _ => continue,
                    };
                    if !self.ones.contains(&node.args[slot]) {
                        continue;
                    }
                    let (op, mut args) = (node.op.clone(), node.args.clone());
                    args[slot] = m(self, s);
                    let Op::Call(routine) = op else { continue };
                    return Some(self.call(routine, args, n));
                }
                None
            }
            Op::Binary(BinaryFn::Add) => {
                // (alpha * A @ B) + beta * C
                for (g, c) in [(0, 1), (1, 0)] {
                    let (g, c) = (n.args[g], n.args[c]);
                    if self.uses[g.index()] != 1
                        || f.node(g).ty != n.ty
                        || f.node(c).ty != n.ty
                        || n.ty.dims.len() != 2
                    {
                        continue;
                    }
                    let new_g = m(self, g);
                    let node = &self.out[new_g.index()];
                    let Op::Call(routine @ Routine::Gemm { .. }) = node.op else {
                        continue;
                    };
                    if node.args.len() != 3 {
                        continue;
                    }
                    let mut args = node.args.clone();
                    let cn = f.node(c);
                    let scaled = match cn.op {
                        Op::Binary(BinaryFn::Mul) if self.uses[c.index()] == 1 => [(0, 1), (1, 0)]
                            .into_iter()
                            .map(|(b, x)| (cn.args[b], cn.args[x]))
                            .find(|(b, x)| f.node(*b).ty.dims.is_empty() && f.node(*x).ty == n.ty),
                        _ => None,
                    };
                    match scaled {
                        Some((beta, c0)) => {
                            args.push(m(self, beta));
                            args.push(m(self, c0));
                        }
                        None => {
                            let one = self.one(n)?;
                            args.push(one);
                            args.push(m(self, c));
                        }
                    }
                    return Some(self.call(routine, args, n));
                }
                None
            }
            Op::Linalg(LinalgFn::Eig) => {
                let a = n.args[0];
                (self.real(a) && self.props[a.index()].symmetric)
                    .then(|| self.call(Routine::SymEig, vec![m(self, a)], n))
            }
            Op::Linalg(LinalgFn::Inv) => {
                let a = n.args[0];
                (self.real(a) && self.props[a.index()].orthogonal).then(|| {
                    self.push(Node {
                        op: Op::Transpose(vec![1, 0]),
                        args: vec![m(self, a)],
                        ty: n.ty.clone(),
                        weak: false,
                        span: n.span,
                    })
                })
            }
            Op::Linalg(LinalgFn::Solve) => {
                let (a, b) = (n.args[0], n.args[1]);
                let p = self.props[a.index()];
                let same = plain_scalar(&f.node(a).ty) == plain_scalar(&f.node(b).ty);
                (self.inexact(a) && same && (p.lower || p.upper)).then(|| {
                    let args = vec![m(self, a), m(self, b)];
                    self.call(Routine::Trsm { lower: p.lower }, args, n)
                })
            }
            _ => None,
        }
    }
}

fn self_push_var(vars: &mut Vec<IndexInfo>, name: &str, extent: &Dim) -> IndexVar {
    vars.push(IndexInfo {
        name: name.to_string(),
        extent: extent.clone(),
    });
    IndexVar(vars.len() as u32 - 1)
}

/// Rewrites `f` for BLAS/LAPACK (see the module documentation).
pub fn rewrite(f: &Function) -> Function {
    let mut b = Builder {
        f,
        props: matrix_properties(f),
        uses: uses(f),
        out: Vec::with_capacity(f.nodes.len()),
        map: Vec::with_capacity(f.nodes.len()),
        ones: Vec::new(),
        index_vars: f.index_vars.clone(),
    };
    for i in 0..f.nodes.len() {
        let new = match b.rule(i) {
            Some(id) => id,
            None => {
                let n = &f.nodes[i];
                let args = n.args.iter().map(|a| b.map[a.index()]).collect();
                b.push(Node { args, ..n.clone() })
            }
        };
        b.map.push(new);
    }
    let root = b.map[f.root.index()];
    let out = Function {
        name: f.name.clone(),
        params: f.params.clone(),
        nodes: b.out,
        root,
        index_vars: b.index_vars,
    };
    debug_verify("rewrite", &out);
    prune(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{compile_expression, verify};

    fn rewritten(src: &str, args: &[(&str, &str)]) -> String {
        let args: Vec<(String, Datashape)> = args
            .iter()
            .map(|(n, t)| (n.to_string(), blaze_datashape::parse(t).unwrap()))
            .collect();
        let f = compile_expression(src, &args).unwrap();
        let g = rewrite(&f);
        verify(&g).unwrap();
        g.nodes
            .iter()
            .filter_map(|n| match &n.op {
                Op::Call(r) => Some(r.text()),
                Op::Transpose(_) => Some("transpose".into()),
                Op::MatMul => Some("matmul".into()),
                Op::Linalg(l) => Some(l.name().into()),
                Op::IndexReduce(..) => Some("sum".into()),
                Op::Forall(_) => Some("forall".into()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    const M: &str = "N * M * float64";

    #[test]
    fn an_operand_written_twice_is_one_syrk_computed_once() {
        let f = |src: &str| {
            let args = [("A".to_string(), blaze_datashape::parse(M).unwrap())];
            let g = rewrite(&compile_expression(src, &args).unwrap());
            verify(&g).unwrap();
            let count = |p: &dyn Fn(&Op) -> bool| g.nodes.iter().filter(|n| p(&n.op)).count();
            (
                count(&|o| matches!(o, Op::Call(Routine::Syrk { .. }))),
                count(&|o| matches!(o, Op::Call(Routine::Gemm { .. }))),
                count(&|o| matches!(o, Op::Reduce { .. })),
                count(&|o| matches!(o, Op::Binary(BinaryFn::Sub))),
            )
        };
        // syrk, gemm, reductions, subtractions
        assert_eq!(
            f("(A - mean(A, axis=0)).T @ (A - mean(A, axis=0))"),
            (1, 0, 1, 1)
        );
        assert_eq!(f("(A * 2).T @ (A * 2)"), (1, 0, 0, 0));
        assert_eq!(f("(A - 1) @ (A - 1).T"), (1, 0, 0, 1));
        // Different expressions stay a gemm of both.
        assert_eq!(f("(A - 1).T @ (A - 2)"), (0, 1, 0, 2));
        assert_eq!(
            f("(A - mean(A, axis=0)).T @ (A - mean(A, axis=1, keepdims=true))"),
            (0, 1, 2, 2)
        );
    }

    #[test]
    fn products_become_blas_calls() {
        assert_eq!(rewritten("A.T @ A", &[("A", M)]), "syrk T");
        assert_eq!(rewritten("A @ A.T", &[("A", M)]), "syrk N");
        assert_eq!(rewritten("A.T @ B", &[("A", M), ("B", M)]), "gemm TN");
        assert_eq!(rewritten("A @ B.T", &[("A", M), ("B", M)]), "gemm NT");
        assert_eq!(
            rewritten("A @ x", &[("A", M), ("x", "M * float64")]),
            "gemv N"
        );
        assert_eq!(
            rewritten("x @ A", &[("A", M), ("x", "N * float64")]),
            "gemv T"
        );
        assert_eq!(
            rewritten("x @ A.T", &[("A", M), ("x", "M * float64")]),
            "gemv N"
        );
        assert_eq!(
            rewritten("x @ y", &[("x", "N * float32"), ("y", "N * float32")]),
            "dot"
        );
        // Integer products become index notation.
        assert_eq!(
            rewritten("A.T @ A", &[("A", "N * M * int32")]),
            "transpose; sum; forall"
        );
        assert_eq!(
            rewritten("A @ x", &[("A", "N * M * int64"), ("x", "M * int64")]),
            "sum; forall"
        );
        assert_eq!(rewritten("x @ x", &[("x", "M * uint8")]), "sum");
        // Batched products stay matmul.
        assert_eq!(
            rewritten("A @ A", &[("A", "2 * 3 * 3 * float64")]),
            "matmul"
        );
    }

    #[test]
    fn scaling_and_accumulation_fold_into_gemm() {
        let s = [
            ("A", "N * N * float64"),
            ("B", "N * N * float64"),
            ("C", "N * N * float64"),
            ("a", "float64"),
        ];
        for src in [
            "a * (A @ B) + 2 * C",
            "(A @ B) * a + C",
            "C + a * (A.T @ B)",
            "3 * (A @ B)",
        ] {
            let r = rewritten(src, &s);
            assert!(r.starts_with("gemm") && !r.contains(';'), "{src}: {r}");
        }
        // Shared products are not folded.
        assert_eq!(
            rewritten("let P = A @ B in P + 2 * P", &s)
                .matches("gemm")
                .count(),
            1
        );
        // `A @ B + c` with a broadcast `c` keeps the add.
        let r = rewritten("A @ B + a", &s);
        assert_eq!(r, "gemm NN");
    }

    #[test]
    fn properties_choose_routines() {
        let a = [("A", "N * N * float64"), ("b", "N * float64")];
        assert_eq!(rewritten("eig(A.T @ A)", &a), "syrk T; syevd");
        assert_eq!(rewritten("eig(A + A.T)", &a), "transpose; syevd");
        assert_eq!(rewritten("eig(A)", &a), "eig");
        assert_eq!(rewritten("inv(qr(A)[0])", &a), "qr; transpose");
        assert_eq!(rewritten("solve(cholesky(A), b)", &a), "cholesky; trsm L");
        assert_eq!(
            rewritten("solve(cholesky(A).T, b)", &a),
            "cholesky; transpose; trsm U"
        );
        assert_eq!(rewritten("solve(A, b)", &a), "solve");
    }
}

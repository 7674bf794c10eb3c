//! Matrix properties that follow from how a value was computed: `A.T @ A`
//! is symmetric positive semidefinite, the `Q` of a square `qr` is
//! orthogonal, `cholesky` is lower triangular, and so on through
//! transposes, sums, scalings, products and inverses. The rewrites
//! ([`crate::rewrite`]) use them to choose routines; `blaze check --json`
//! shows them.
//!
//! The analysis is conservative: a property is claimed only when it holds
//! exactly in exact arithmetic for every input. Nothing here inspects data.

use crate::node::{Function, Literal, NodeId, Op};
use crate::ops::{BinaryFn, LinalgFn, Routine};
use blaze_datashape::{Datashape, Dim, Scalar};

/// What is known about a node's value as a matrix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Props {
    /// `A == A.T`.
    pub symmetric: bool,
    /// Symmetric and `xᵀ A x ≥ 0` for every `x`.
    pub psd: bool,
    /// `A.T @ A == I` and square (unitary for complex: `A^H A == I`).
    pub orthogonal: bool,
    /// Zero above the diagonal.
    pub lower: bool,
    /// Zero below the diagonal.
    pub upper: bool,
}

impl Props {
    /// The names of the properties that hold, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.symmetric {
            v.push("symmetric");
        }
        if self.psd {
            v.push("positive_semidefinite");
        }
        if self.orthogonal {
            v.push("orthogonal");
        }
        if self.lower {
            v.push("lower_triangular");
        }
        if self.upper {
            v.push("upper_triangular");
        }
        v
    }

    fn transposed(self) -> Props {
        Props {
            lower: self.upper,
            upper: self.lower,
            ..self
        }
    }

    fn intersect(self, o: Props) -> Props {
        Props {
            symmetric: self.symmetric && o.symmetric,
            psd: self.psd && o.psd,
            orthogonal: self.orthogonal && o.orthogonal,
            lower: self.lower && o.lower,
            upper: self.upper && o.upper,
        }
    }
}

const SYMMETRIC_PSD: Props = Props {
    symmetric: true,
    psd: true,
    orthogonal: false,
    lower: false,
    upper: false,
};

/// Whether `t` is a square matrix type (equal fixed or equal symbolic dims).
pub fn is_square(t: &Datashape) -> bool {
    match t.dims.as_slice() {
        [a, b] => match (a, b) {
            (Dim::Fixed(x), Dim::Fixed(y)) => x == y,
            (Dim::TypeVar(x), Dim::TypeVar(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

/// The element type of a plain (non-option) array type.
pub fn plain_scalar(t: &Datashape) -> Option<Scalar> {
    t.measure.as_scalar()
}

/// Whether `t` is a real (float32/float64) or complex element type.
pub fn is_inexact(s: Scalar) -> bool {
    matches!(
        s,
        Scalar::Float32 | Scalar::Float64 | Scalar::Complex64 | Scalar::Complex128
    )
}

/// The transpose `[1, 0]` of a 2-D node: its argument.
pub fn transpose_of(f: &Function, id: NodeId) -> Option<NodeId> {
    let n = f.node(id);
    match &n.op {
        Op::Transpose(p) if p.as_slice() == [1, 0] => n.args.first().copied(),
        _ => None,
    }
}

/// A 0-d literal, through casts, if it is real and not negative.
fn nonnegative_constant(f: &Function, id: NodeId) -> bool {
    let n = f.node(id);
    if !n.ty.dims.is_empty() {
        return false;
    }
    match &n.op {
        Op::Literal(Literal::Int(i)) => *i >= 0,
        Op::Literal(Literal::Float(x)) => *x >= 0.0,
        Op::Literal(Literal::Bool(_)) => true,
        Op::Cast(_) => n.args.first().is_some_and(|a| nonnegative_constant(f, *a)),
        _ => false,
    }
}

/// The properties of every node of `f`, indexed like its arena.
pub fn matrix_properties(f: &Function) -> Vec<Props> {
    let mut props: Vec<Props> = Vec::with_capacity(f.nodes.len());
    for n in &f.nodes {
        let arg = |k: usize| n.args.get(k).map(|a| props[a.index()]).unwrap_or_default();
        let arg_ty = |k: usize| n.args.get(k).map(|a| &f.node(*a).ty);
        let square = is_square(&n.ty);
        let real =
            plain_scalar(&n.ty).is_some_and(|s| s.kind() == blaze_datashape::ScalarKind::Float);
        let mut p = match &n.op {
            Op::Transpose(perm) if perm.as_slice() == [1, 0] => arg(0).transposed(),
            Op::Cast(s) if is_inexact(*s) => arg(0),
            Op::MatMul if square => {
                let (a, b) = (n.args[0], n.args[1]);
                let gram = (transpose_of(f, a) == Some(b) || transpose_of(f, b) == Some(a))
                    && n.args.len() == 2;
                if gram && real {
                    SYMMETRIC_PSD
                } else {
                    let (pa, pb) = (arg(0), arg(1));
                    Props {
                        orthogonal: pa.orthogonal && pb.orthogonal,
                        lower: pa.lower && pb.lower,
                        upper: pa.upper && pb.upper,
                        ..Props::default()
                    }
                }
            }
            Op::Call(Routine::Syrk { .. }) if real => SYMMETRIC_PSD,
            Op::Binary(BinaryFn::Add) if square && arg_ty(0) == arg_ty(1) => {
                let (a, b) = (n.args[0], n.args[1]);
                let s = arg(0).intersect(arg(1));
                Props {
                    orthogonal: false,
                    // X + X.T
                    symmetric: s.symmetric
                        || transpose_of(f, a) == Some(b)
                        || transpose_of(f, b) == Some(a),
                    ..s
                }
            }
            Op::Binary(BinaryFn::Sub) if square && arg_ty(0) == arg_ty(1) => {
                let s = arg(0).intersect(arg(1));
                Props {
                    symmetric: s.symmetric,
                    lower: s.lower,
                    upper: s.upper,
                    ..Props::default()
                }
            }
            Op::Binary(BinaryFn::Mul | BinaryFn::Div) if square => {
                // Scaling by a 0-d value keeps symmetry and triangularity;
                // a nonnegative constant also keeps semidefiniteness.
                let scalar_at = |k: usize| arg_ty(k).is_some_and(|t| t.dims.is_empty());
                let m = if scalar_at(0) && !scalar_at(1) {
                    Some((1, 0))
                } else if scalar_at(1) && !scalar_at(0) {
                    Some((0, 1))
                } else {
                    None
                };
                match m {
                    Some((mat, sc)) if !(n.op == Op::Binary(BinaryFn::Div) && mat == 1) => {
                        let pm = arg(mat);
                        Props {
                            symmetric: pm.symmetric,
                            psd: pm.psd && real && nonnegative_constant(f, n.args[sc]),
                            orthogonal: false,
                            lower: pm.lower,
                            upper: pm.upper,
                        }
                    }
                    _ => Props::default(),
                }
            }
            Op::Linalg(LinalgFn::Inv) => {
                let a = arg(0);
                Props {
                    symmetric: a.symmetric,
                    psd: a.psd,
                    orthogonal: a.orthogonal,
                    lower: a.lower,
                    upper: a.upper,
                }
            }
            Op::Linalg(LinalgFn::Cholesky) => Props {
                lower: true,
                ..Props::default()
            },
            Op::TupleGet(k) => {
                let t = n.args[0];
                match &f.node(t).op {
                    Op::Linalg(LinalgFn::Qr) if *k == 0 && square => Props {
                        orthogonal: true,
                        ..Props::default()
                    },
                    Op::Linalg(LinalgFn::Qr) if *k == 1 => Props {
                        upper: true,
                        ..Props::default()
                    },
                    Op::Linalg(LinalgFn::Svd) if (*k == 0 || *k == 2) && square => Props {
                        orthogonal: true,
                        ..Props::default()
                    },
                    Op::Linalg(LinalgFn::Eigh) if *k == 1 => Props {
                        orthogonal: true,
                        ..Props::default()
                    },
                    _ => Props::default(),
                }
            }
            _ => Props::default(),
        };
        if !square {
            // Triangular shapes only mean something for square matrices
            // here; none of the others hold for non-square ones.
            p = Props::default();
        }
        if p.psd {
            p.symmetric = true;
        }
        props.push(p);
    }
    props
}

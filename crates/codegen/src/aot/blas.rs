//! Definitions an object computes with one BLAS call: a matrix product of
//! two parameters, either transposed (`A.T @ A`, `A @ B`, `A @ B.T`), in
//! float64 or float32, through `cblas_dgemm`/`cblas_sgemm` (OpenBLAS, so
//! the object links with `-lopenblas`).

use crate::error::Unsupported;
use blaze_datashape::{Measure, Scalar};
use blaze_ir::{Function, NodeId, Op};

/// `out = op(A) @ op(B)`: each operand a parameter, maybe transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Gemm {
    /// The left operand's parameter and whether it is transposed.
    pub(crate) a: (usize, bool),
    /// The right operand's.
    pub(crate) b: (usize, bool),
    /// float64 or float32.
    pub(crate) scalar: Scalar,
}

/// The matrix product `f` computes, if its body is one (`None` when its
/// root is not a `@`); an error when it is a `@` BLAS does not compute here.
pub(crate) fn gemm_of(f: &Function) -> Option<Result<Gemm, Unsupported>> {
    let root = f.node(f.root);
    if root.op != Op::MatMul {
        return None;
    }
    let def = &f.name;
    let refuse = |why: &str| {
        Some(Err(Unsupported(format!(
            "`{def}`: {why}; `blaze build` compiles a matrix product of two 2-d float64 or float32 parameters, either transposed (`A.T @ A`), as one BLAS call"
        ))))
    };
    let scalar = match &root.ty.measure {
        Measure::Scalar { scalar } if matches!(scalar, Scalar::Float64 | Scalar::Float32) => {
            *scalar
        }
        _ => return refuse(&format!("the product has type `{}`", root.ty)),
    };
    let operand = |id: NodeId| -> Option<(usize, bool)> {
        let n = f.node(id);
        match &n.op {
            Op::Param(p) => Some((*p, false)),
            Op::Transpose(perm) if perm == &[1, 0] => match f.node(*n.args.first()?).op {
                Op::Param(p) => Some((p, true)),
                _ => None,
            },
            _ => None,
        }
    };
    let (Some(a), Some(b)) = (
        root.args.first().and_then(|x| operand(*x)),
        root.args.get(1).and_then(|x| operand(*x)),
    ) else {
        return refuse("an operand of `@` is computed");
    };
    // Nothing else computed: every node is a parameter, a transpose of
    // one, or the product.
    let extra = f.nodes.iter().enumerate().any(|(i, n)| {
        let id = NodeId(i as u32);
        !(matches!(n.op, Op::Param(_)) || id == f.root || root.args.contains(&id))
    });
    if extra {
        return refuse("the body computes more than the product");
    }
    for (p, _) in [a, b] {
        let Some((name, t)) = f.params.get(p) else {
            return refuse("an operand is no parameter");
        };
        let same = matches!(&t.measure, Measure::Scalar { scalar: s } if *s == scalar);
        if t.dims.len() != 2 || !same {
            return refuse(&format!("parameter `{name}` has type `{t}`"));
        }
    }
    if (0..f.params.len()).any(|p| p != a.0 && p != b.0) {
        return refuse("a parameter is not an operand of the product");
    }
    if root.ty.dims.len() != 2 {
        return refuse(&format!("the product has type `{}`", root.ty));
    }
    Some(Ok(Gemm { a, b, scalar }))
}

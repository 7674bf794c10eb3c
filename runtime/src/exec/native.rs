//! Matrix products and linear algebra on BLAS/LAPACK.

use crate::linalg::blas::BlasArg;
use crate::linalg::{blas, lapack};
use crate::Error;
use blaze_array::DenseView;
use blaze_datashape::{Measure, Scalar};
use blaze_interp::{eval_op, Array, EvalError, Value};
use blaze_ir::ops::{LinalgFn, Routine};
use blaze_ir::{Function, NodeId, Op};

/// Whether node `id` runs on BLAS/LAPACK: routine calls, and matrix
/// products and linear algebra on float or complex arrays.
pub(super) fn native(f: &Function, id: NodeId) -> bool {
    let n = f.node(id);
    let inexact = |a: &NodeId| {
        matches!(
            f.node(*a).ty.measure,
            Measure::Scalar {
                scalar: Scalar::Float32 | Scalar::Float64 | Scalar::Complex64 | Scalar::Complex128
            }
        )
    };
    match n.op {
        Op::Call(_) => true,
        Op::MatMul | Op::Linalg(_) => {
            let first = n
                .args
                .first()
                .and_then(|a| f.node(*a).ty.measure.as_scalar());
            n.args.iter().all(inexact)
                && n.args
                    .iter()
                    .all(|a| f.node(*a).ty.measure.as_scalar() == first)
        }
        _ => false,
    }
}

/// The BLAS/LAPACK name of what node `id` calls, with its type prefix.
pub(super) fn routine_name(f: &Function, id: NodeId) -> String {
    let n = f.node(id);
    let s = n
        .args
        .first()
        .and_then(|a| f.node(*a).ty.measure.as_scalar());
    let p = match s {
        Some(Scalar::Float32) => "s",
        Some(Scalar::Complex64) => "c",
        Some(Scalar::Complex128) => "z",
        _ => "d",
    };
    let complex = matches!(p, "c" | "z");
    let name = match &n.op {
        Op::Call(r) => {
            let t = r.text();
            let mut words = t.split(' ');
            let base = words.next().unwrap_or("");
            let flags = words.next().map(|f| format!(" {f}")).unwrap_or_default();
            let base = match base {
                "dot" if complex => "dotu",
                "syevd" if complex => "heevd",
                other => other,
            };
            format!("{p}{base}{flags}")
        }
        Op::MatMul => format!("{p}gemm (batched matmul)"),
        Op::Linalg(l) => {
            let q = if complex { "un" } else { "or" };
            match l {
                LinalgFn::Inv => format!("{p}getrf+{p}getri"),
                LinalgFn::Solve => format!("{p}gesv"),
                LinalgFn::Det => format!("{p}getrf"),
                LinalgFn::Cholesky => format!("{p}potrf"),
                LinalgFn::Qr => format!("{p}geqrf+{p}{q}gqr"),
                LinalgFn::Svd => format!("{p}gesdd"),
                LinalgFn::Eig => format!("{p}geev"),
                LinalgFn::Eigh => format!("{p}{}evd", if complex { "he" } else { "sy" }),
                LinalgFn::Lstsq => format!("{p}gelsd"),
                LinalgFn::Norm => format!("{p}nrm2"),
                LinalgFn::Trace => "trace".into(),
            }
        }
        other => format!("{other:?}"),
    };
    format!("%{}: {name}", id.0)
}

/// An argument of a [`Step::Native`] node: a value, or the caller's
/// memory (a memory-mapped block, a NumPy buffer), which BLAS reads in
/// place instead of a copy.
pub(super) enum NativeArg<'a> {
    Value(&'a Value),
    View(&'a DenseView<'a>),
}

impl NativeArg<'_> {
    /// Whether BLAS/LAPACK can take it: an array without missing values.
    pub(super) fn plain(&self) -> bool {
        match self {
            NativeArg::Value(v) => matches!(v, Value::Array { missing: None, .. }),
            NativeArg::View(v) => v.validity().is_none(),
        }
    }

    /// The argument as an interpreter value (a view is copied).
    pub(super) fn to_value(&self) -> Result<Value, Error> {
        match self {
            NativeArg::Value(v) => Ok((*v).clone()),
            NativeArg::View(v) => materialize(v),
        }
    }
}

/// Runs a [`Step::Native`] node on BLAS/LAPACK. Views reach BLAS in place;
/// LAPACK, which works on copies anyway, gets them as arrays.
pub(super) fn run_native(f: &Function, id: NodeId, args: &[NativeArg<'_>]) -> Result<Value, Error> {
    let n = f.node(id);
    let mut operands = Vec::with_capacity(args.len());
    for arg in args {
        match arg {
            NativeArg::Value(Value::Array {
                data,
                missing: None,
            }) => operands.push(BlasArg::Array(data)),
            NativeArg::View(v) if v.validity().is_none() => operands.push(BlasArg::View(v)),
            _ => {
                // Masked or structured values: the reference kernels.
                let values = args.iter().map(NativeArg::to_value);
                return Ok(eval_op(f, id, values.collect::<Result<_, _>>()?)?);
            }
        }
    }
    let out = match &n.ty.measure {
        Measure::Tuple { elems } => elems.first().and_then(|e| e.measure.as_scalar()),
        m => m.as_scalar(),
    }
    .unwrap_or(Scalar::Float64);
    let a = operands.as_slice();
    let value: Value = match &n.op {
        Op::Call(r) => match *r {
            Routine::Gemm { trans_a, trans_b } => blas::gemm(a, trans_a, trans_b)?.into(),
            Routine::Gemv { trans } => blas::gemv(a, trans)?.into(),
            Routine::Dot => blas::dot(a)?.into(),
            Routine::Syrk { trans } => blas::syrk(a, trans)?.into(),
            Routine::Trsm { lower } => blas::trsm(a, lower)?.into(),
            Routine::SymEig => lapack::sym_eig(&arrays(a)?[0], out)?,
        },
        Op::MatMul => blas::matmul(a[0], a[1])?.into(),
        Op::Linalg(l) => {
            let owned = arrays(a)?;
            lapack::linalg(*l, &owned.iter().collect::<Vec<_>>(), out)?
        }
        _ => {
            let values = args.iter().map(NativeArg::to_value);
            return Ok(eval_op(f, id, values.collect::<Result<_, _>>()?)?);
        }
    };
    Ok(value)
}

/// A copy of the caller's view as an interpreter value (the interpreter's
/// boundary).
pub(super) fn materialize(view: &DenseView<'_>) -> Result<Value, Error> {
    crate::value::view_to_value(view).map_err(|e| EvalError::Input(e.to_string()).into())
}

/// The operands as interpreter arrays (views copied), for LAPACK.
fn arrays(operands: &[BlasArg<'_>]) -> Result<Vec<Array>, Error> {
    operands
        .iter()
        .map(|o| match o {
            BlasArg::Array(a) => Ok((*a).clone()),
            BlasArg::View(v) => match materialize(v)? {
                Value::Array { data, .. } => Ok(data),
                _ => Err(EvalError::Value("a view became a non-array value".into()).into()),
            },
        })
        .collect()
}

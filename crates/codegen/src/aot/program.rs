//! The plan of a definition that is more than one kernel: its nodes cut
//! into fused groups (stored, or reduced into a temporary), matrix
//! products (one BLAS call each) and transposes (views, never copied),
//! run in order by a generated driver (`wrapper::driver`).
//!
//! The cut is the JIT's (`blaze-runtime`'s planner): an elementwise node
//! folds into its consumer when that is its only use and the consumer is
//! elementwise or a reduction, a scalar literal always folds; every other
//! elementwise node or reduction roots a group, computed by
//! [`fuse_group`]. So the object runs the kernels the JIT runs, in the
//! same order, over the same temporaries; only the temporaries' memory
//! differs (`malloc`ed by the driver, freed on every path).
//!
//! Planned on the definition as written: matrix products are `@` nodes
//! whose transposed operands are views (BLAS's transpose flags), not the
//! JIT's rewritten routines, which compute the same products.

use super::index::{index_plan, IndexPlan};
use super::types::plain;
use crate::error::Unsupported;
use crate::fuse::{fuse_group, has_plain_kernel_form, op_name};
use crate::kernel::KernelSpec;
use blaze_datashape::{Datashape, Dim, Scalar};
use blaze_ir::analysis;
use blaze_ir::ops::{LinalgFn, ReduceFn};
use blaze_ir::{Function, NodeId, Op};

/// How one node of the definition is computed.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// A parameter: the caller's tensor or scalar.
    Param(usize),
    /// Computed inside the group of its consumer; never materialized.
    Fused,
    /// The root of a fused group: one kernel.
    Group(Box<Group>),
    /// A transpose by a permutation of the axes: a view of its argument
    /// (copied into `out` when it is the result).
    Transpose(Vec<usize>),
    /// A matrix product of float64 or float32 matrices or vectors: one
    /// `cblas_?gemm` call.
    MatMul(Scalar),
    /// Index notation: one kernel over the index variables.
    Index(Box<IndexPlan>),
    /// `solve`, `inv` or `det` of float64 or float32 matrices: LAPACK.
    Linalg(LinalgFn, Scalar),
    /// `argmin` or `argmax` (`max`) of a materialized argument of element
    /// type `scalar`, over every axis or along `axis`.
    Arg {
        /// The argument's element type.
        scalar: Scalar,
        /// `argmax` rather than `argmin`.
        max: bool,
        /// The axis, or `None` for the flattened array.
        axis: Option<usize>,
    },
}

/// A fused group: its kernel, the nodes whose values are its operands, and
/// how its value is written.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    /// The kernel (a `mean` is a sum, a `count` a sum of ones).
    pub(crate) spec: KernelSpec,
    /// The nodes whose values are the kernel's operands, in order.
    pub(crate) leaves: Vec<NodeId>,
    /// The type the kernel iterates over: the node's, or the reduced
    /// argument's.
    pub(crate) space: Datashape,
    /// The reduction as written, if any.
    pub(crate) reduce: Option<ReduceFn>,
    /// The axes of the space it reduces.
    pub(crate) axes: Vec<usize>,
    /// Whether the value keeps them with length 1.
    pub(crate) keepdims: bool,
}

/// The plan of a definition: one step per node, in node order (arguments
/// before their users).
#[derive(Clone, Debug)]
pub(crate) struct Program {
    /// The steps.
    pub(crate) steps: Vec<Step>,
}

impl Program {
    /// The groups, with their nodes, in order.
    pub(crate) fn groups(&self) -> impl Iterator<Item = (usize, &Group)> {
        self.steps.iter().enumerate().filter_map(|(i, s)| match s {
            Step::Group(g) => Some((i, g.as_ref())),
            _ => None,
        })
    }

    /// The index kernels, with their nodes, in order.
    pub(crate) fn index_plans(&self) -> impl Iterator<Item = (usize, &IndexPlan)> {
        self.steps.iter().enumerate().filter_map(|(i, s)| match s {
            Step::Index(p) => Some((i, p.as_ref())),
            _ => None,
        })
    }

    /// Whether some step calls BLAS or LAPACK (OpenBLAS).
    pub(crate) fn uses_blas(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::MatMul(_) | Step::Linalg(..)))
    }
}

/// The reductions a group computes: those of the JIT's groups.
fn reducible(f: &Function, id: NodeId) -> bool {
    let n = f.node(id);
    let Op::Reduce { f: rf, .. } = &n.op else {
        return false;
    };
    use ReduceFn::*;
    let arg_plain = n.args.first().is_some_and(|a| {
        let t = &f.node(*a).ty;
        t.measure
            .as_scalar()
            .is_some_and(|s| crate::kernel::supported(s) && s != Scalar::Float16)
    });
    matches!(rf, Sum | Prod | Min | Max | Mean | Any | All | Count) && arg_plain
}

/// The plan of `f`, or why `blaze build` does not compile it.
pub(crate) fn program(f: &Function) -> Result<Program, Unsupported> {
    let def = &f.name;
    for (name, t) in &f.params {
        plain(t, &format!("parameter `{name}`"), def)?;
    }
    plain(f.result_type(), "the result", def)?;
    let n = f.nodes.len();
    let uses = analysis::uses(f);
    let deps = analysis::index_deps(f);
    let consumer = analysis::consumer(f);
    let is_elem: Vec<bool> = (0..n)
        .map(|i| has_plain_kernel_form(f, NodeId(i as u32)))
        .collect();
    let reduce: Vec<bool> = (0..n).map(|i| reducible(f, NodeId(i as u32))).collect();
    // A consumer inside a loop reads its operands as index operands.
    let groupable =
        |c: NodeId| (is_elem[c.index()] || reduce[c.index()]) && deps[c.index()].is_empty();
    let folds = |id: NodeId| -> bool {
        let i = id.index();
        if !is_elem[i] || id == f.root {
            return false;
        }
        let node = &f.nodes[i];
        if matches!(node.op, Op::Literal(_)) && node.ty.dims.is_empty() {
            return consumer[i].is_some_and(groupable);
        }
        uses[i] == 1 && consumer[i].is_some_and(groupable)
    };
    let mut steps = Vec::with_capacity(n);
    for (i, node) in f.nodes.iter().enumerate() {
        let id = NodeId(i as u32);
        let what = format!("node %{i} ({})", op_name(&node.op));
        let ty = plain(&node.ty, &what, def)?;
        known_lengths(f, &node.ty, &what)?;
        let step = match &node.op {
            Op::Param(p) => Step::Param(*p),
            // Inside a loop: computed by the loop's kernel.
            _ if !deps[i].is_empty() => Step::Fused,
            Op::Forall(_) | Op::IndexReduce(..) => {
                Step::Index(Box::new(index_plan(f, id, &deps)?))
            }
            _ if folds(id) => Step::Fused,
            Op::Transpose(perm) => Step::Transpose(perm.clone()),
            Op::MatMul => matmul(f, id, ty)?,
            Op::Linalg(lf @ (LinalgFn::Solve | LinalgFn::Inv | LinalgFn::Det)) => {
                linalg(f, id, *lf, ty)?
            }
            _ if is_elem[i] || reduce[i] => Step::Group(Box::new(group(f, id, &folds)?)),
            Op::Reduce {
                f: rf @ (ReduceFn::ArgMin | ReduceFn::ArgMax),
                axes,
                ..
            } => arg_step(f, id, *rf, axes.as_deref())?,
            Op::Reduce { f: rf, .. } => {
                return Err(Unsupported(format!(
                    "`{def}`: `{}` is not compiled ahead of time (`sum`, `prod`, `min`, `max`, `mean`, `var`, `std`, `any`, `all`, `count`, `argmin` and `argmax` of bool, integers and floats are)",
                    rf.name()
                )))
            }
            op => {
                return Err(Unsupported(format!(
                    "`{def}`: {what}: `{}` is not compiled ahead of time",
                    op_name(op)
                )))
            }
        };
        steps.push(step);
    }
    if matches!(steps.get(f.root.index()), Some(Step::Param(_))) {
        return Err(Unsupported(format!(
            "`{def}`: the result is a parameter; nothing to compute"
        )));
    }
    Ok(Program { steps })
}

/// Every length of `ty` is a number or a length of a parameter, so the
/// driver knows it before it runs anything.
fn known_lengths(f: &Function, ty: &Datashape, what: &str) -> Result<(), Unsupported> {
    for d in &ty.dims {
        match d {
            Dim::Fixed(_) => {}
            Dim::TypeVar(v)
                if f.params
                    .iter()
                    .any(|(_, t)| t.dims.iter().any(|e| e == &Dim::TypeVar(v.clone()))) => {}
            _ => {
                return Err(Unsupported(format!(
                    "`{}`: {what} has type `{ty}`, whose length `{d}` is no length of a parameter",
                    f.name
                )))
            }
        }
    }
    Ok(())
}

/// The step of a `@`: float64 or float32 operands of rank 1 or 2.
fn matmul(f: &Function, id: NodeId, ty: Scalar) -> Result<Step, Unsupported> {
    let node = f.node(id);
    let ok = matches!(ty, Scalar::Float64 | Scalar::Float32)
        && node.args.len() == 2
        && node.args.iter().all(|a| {
            let t = &f.node(*a).ty;
            t.measure.as_scalar() == Some(ty) && matches!(t.dims.len(), 1 | 2)
        });
    if !ok {
        return Err(Unsupported(format!(
            "`{}`: node %{} is a `@` of type `{}`; `blaze build` compiles products of float64 or float32 matrices and vectors",
            f.name,
            id.index(),
            node.ty
        )));
    }
    Ok(Step::MatMul(ty))
}

/// The step of `solve(A, b)`, `inv(A)` or `det(A)`: float64 or float32,
/// `A` a matrix, `b` a vector or a matrix.
fn linalg(f: &Function, id: NodeId, lf: LinalgFn, ty: Scalar) -> Result<Step, Unsupported> {
    let node = f.node(id);
    let ranks: Vec<usize> = node.args.iter().map(|a| f.node(*a).ty.dims.len()).collect();
    let same = node
        .args
        .iter()
        .all(|a| f.node(*a).ty.measure.as_scalar() == Some(ty));
    let shapes = match lf {
        LinalgFn::Solve => matches!(ranks.as_slice(), [2, 1 | 2]),
        _ => ranks == [2],
    };
    if !(matches!(ty, Scalar::Float64 | Scalar::Float32) && same && shapes) {
        return Err(Unsupported(format!(
            "`{}`: node %{} is a `{}` of `{}`; `blaze build` calls LAPACK for `solve`, `inv` and `det` of float64 or float32 matrices",
            f.name,
            id.index(),
            op_name(&node.op),
            node.ty
        )));
    }
    Ok(Step::Linalg(lf, ty))
}

/// The step of an `argmin` or `argmax` over every axis or one.
fn arg_step(
    f: &Function,
    id: NodeId,
    rf: ReduceFn,
    axes: Option<&[usize]>,
) -> Result<Step, Unsupported> {
    let arg = f
        .node(id)
        .args
        .first()
        .ok_or_else(|| Unsupported(format!("`{}`: `{}` of nothing", f.name, rf.name())))?;
    let t = &f.node(*arg).ty;
    let scalar = plain(t, &format!("the argument of `{}`", rf.name()), &f.name)?;
    let axis = match axes {
        None => None,
        Some([a]) if *a < t.dims.len() => Some(*a),
        Some(a) => {
            return Err(Unsupported(format!(
                "`{}`: `{}` over axes {a:?} of `{t}`; one axis or all",
                f.name,
                rf.name()
            )))
        }
    };
    Ok(Step::Arg {
        scalar,
        max: rf == ReduceFn::ArgMax,
        axis,
    })
}

/// The group rooted at `id`.
fn group(f: &Function, id: NodeId, folds: &dyn Fn(NodeId) -> bool) -> Result<Group, Unsupported> {
    let node = f.node(id);
    let (reduce, axes, keepdims, space) = match &node.op {
        Op::Reduce {
            f: rf,
            axes,
            keepdims,
        } => {
            let arg = node
                .args
                .first()
                .ok_or_else(|| Unsupported(format!("`{}`: a reduction of nothing", f.name)))?;
            let space = f.node(*arg).ty.clone();
            let rank = space.dims.len();
            let axes = axes.clone().unwrap_or_else(|| (0..rank).collect());
            if axes.iter().any(|a| *a >= rank) {
                return Err(Unsupported(format!(
                    "`{}`: reduction axes {axes:?} of a rank-{rank} array",
                    f.name
                )));
            }
            (Some(*rf), axes, *keepdims, space)
        }
        _ => (None, Vec::new(), false, node.ty.clone()),
    };
    let g = fuse_group(f, id, reduce, folds).ok_or_else(|| {
        Unsupported(format!(
            "`{}`: node %{} ({}) has no kernel form",
            f.name,
            id.index(),
            op_name(&node.op)
        ))
    })?;
    Ok(Group {
        spec: g.spec,
        leaves: g.leaves,
        space,
        reduce,
        axes,
        keepdims,
    })
}

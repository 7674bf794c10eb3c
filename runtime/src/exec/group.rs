//! Fused groups: trees of elementwise operations ending in a store or a
//! reduction, built into one kernel each.

use blaze_codegen::{fuse_group, kernel_scalar, KernelSpec};
use blaze_datashape::Scalar;
use blaze_ir::ops::ReduceFn;
use blaze_ir::{Function, NodeId, Op};

/// A fused group: one kernel over the values of its leaves, storing or
/// reducing.
#[derive(Clone, Debug)]
pub(super) struct GroupPlan {
    pub(super) kernel: KernelSpec,
    /// Nodes whose values are the kernel's inputs, in input order.
    pub(super) leaves: Vec<NodeId>,
    pub(super) reduce: Option<ReducePlan>,
}

/// How a group reduces.
#[derive(Clone, Debug)]
pub(super) struct ReducePlan {
    pub(super) f: ReduceFn,
    pub(super) axes: Option<Vec<usize>>,
    pub(super) keepdims: bool,
    /// `mean`: divide the sum by the count afterwards.
    pub(super) mean: bool,
}

pub(super) fn reducible(f: &Function, id: NodeId) -> Option<ReducePlan> {
    let n = f.node(id);
    let Op::Reduce {
        f: rf,
        axes,
        keepdims,
    } = &n.op
    else {
        return None;
    };
    let out = kernel_scalar(&n.ty.measure)?;
    let input = kernel_scalar(&f.node(*n.args.first()?).ty.measure)?;
    // float16 accumulates in float32 in the reference; not compiled yet.
    if out == Scalar::Float16 || input == Scalar::Float16 {
        return None;
    }
    let (kf, mean) = match rf {
        ReduceFn::Sum
        | ReduceFn::Prod
        | ReduceFn::Min
        | ReduceFn::Max
        | ReduceFn::Any
        | ReduceFn::All => (*rf, false),
        ReduceFn::Mean => (ReduceFn::Sum, true),
        _ => return None,
    };
    Some(ReducePlan {
        f: kf,
        axes: axes.clone(),
        keepdims: *keepdims,
        mean,
    })
}

/// The fused group rooted at `root`: the expression of the root (for a
/// reduction, of its argument) with every folded node below it, as a kernel
/// over the group's leaves.
pub(super) fn build_group(
    f: &Function,
    root: NodeId,
    reduce: Option<ReducePlan>,
    folds: &dyn Fn(usize) -> bool,
) -> Option<GroupPlan> {
    let g = fuse_group(f, root, reduce.as_ref().map(|r| r.f), &|id: NodeId| {
        folds(id.index())
    })?;
    Some(GroupPlan {
        kernel: g.spec,
        leaves: g.leaves,
        reduce,
    })
}

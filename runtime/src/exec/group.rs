//! Fused groups: trees of elementwise operations ending in a store or a
//! reduction, built into one kernel each (options included: an option leaf
//! is its values and its missing mask; a reduction over options skips the
//! missing elements and, for `mean`, `min` and `max`, counts the others
//! with a second kernel).

use blaze_codegen::{fuse_group, kernel_element, KernelSpec};
use blaze_datashape::{Measure, Scalar};
use blaze_ir::ops::ReduceFn;
use blaze_ir::{Function, NodeId, Op};

/// A fused group: one kernel over the values of its leaves, storing or
/// reducing.
#[derive(Clone, Debug)]
pub(super) struct GroupPlan {
    pub(super) kernel: KernelSpec,
    /// Nodes whose values are the kernel's inputs, in input order.
    pub(super) leaves: Vec<NodeId>,
    /// Whether each leaf is followed by its missing mask operand.
    pub(super) masked: Vec<bool>,
    pub(super) reduce: Option<ReducePlan>,
    /// The kernel counting the reduced elements that are not missing
    /// (`mean`, `min`, `max` over options), over the same operands.
    pub(super) count: Option<KernelSpec>,
}

/// How a group reduces.
#[derive(Clone, Debug)]
pub(super) struct ReducePlan {
    /// How the kernel combines (and partial results are combined).
    pub(super) f: ReduceFn,
    /// The IR's reduction (`mean` and `count` are sums in the kernel).
    pub(super) ir: ReduceFn,
    pub(super) axes: Option<Vec<usize>>,
    pub(super) keepdims: bool,
    /// `mean`: divide the sum by the count afterwards.
    pub(super) mean: bool,
    /// The result is an option: missing where no element was counted.
    pub(super) missing: bool,
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
    let out = kernel_element(&n.ty.measure)?;
    let arg = &f.node(*n.args.first()?).ty.measure;
    let input = kernel_element(arg)?;
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
        ReduceFn::Count => (ReduceFn::Sum, false),
        _ => return None,
    };
    let over_options = matches!(arg, Measure::Option { .. });
    Some(ReducePlan {
        f: kf,
        ir: *rf,
        axes: axes.clone(),
        keepdims: *keepdims,
        mean,
        missing: over_options && rf.can_be_missing(),
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
    let g = fuse_group(f, root, reduce.as_ref().map(|r| r.ir), &|id: NodeId| {
        folds(id.index())
    })?;
    if reduce.as_ref().is_some_and(|r| r.missing) && g.count.is_none() {
        return None;
    }
    Some(GroupPlan {
        kernel: g.spec,
        leaves: g.leaves,
        masked: g.masked,
        reduce,
        count: g.count,
    })
}

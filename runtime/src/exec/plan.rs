//! Planning: which nodes fold into fused groups, which run as kernels,
//! on BLAS/LAPACK, or on the reference kernels.

use super::index::{index_plan, IndexPlan};
use super::native::native;
use super::Prepared;
use blaze_codegen::{Combine, Const, KNode, KOp, Kernel};
use blaze_datashape::{Measure, Scalar};
use blaze_ir::ops::ReduceFn;
use blaze_ir::{Function, GatherItem, IndexVar, Literal, NodeId, Op};
use std::collections::HashMap;

/// How each node of a prepared function runs.
#[derive(Clone, Debug)]
pub(super) enum Step {
    /// A parameter: its input value.
    Param(usize),
    /// Computed inside a group that owns it; never materialized.
    Fused,
    /// The root of a group: runs a kernel.
    Group(Box<GroupPlan>),
    /// Runs on the reference kernels.
    Fallback,
    /// A lone scalar constant (a BLAS `alpha`, say): made without a kernel.
    Const,
    /// A matrix product or linear algebra on BLAS/LAPACK.
    Native,
    /// Index notation compiled as one kernel.
    Index(Box<IndexPlan>),
}

/// A fused group: one kernel over the values of its leaves, storing or
/// reducing.
#[derive(Clone, Debug)]
pub(super) struct GroupPlan {
    pub(super) kernel: Kernel,
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

/// The element type of a plain measure the code generator supports.
pub(super) fn plain_scalar(m: &Measure) -> Option<Scalar> {
    match m {
        Measure::Scalar { scalar } if blaze_codegen::supported(*scalar) => Some(*scalar),
        _ => None,
    }
}

pub(super) fn elementwise(f: &Function, id: NodeId) -> bool {
    let n = f.node(id);
    let ok_op = match &n.op {
        Op::Unary(u) => *u != blaze_ir::ops::UnaryFn::IsNa,
        Op::Binary(_) | Op::Where | Op::Cast(_) => true,
        Op::Literal(l) => !matches!(l, Literal::Complex(..)),
        _ => false,
    };
    ok_op
        && n.ty
            .dims
            .iter()
            .all(|d| !matches!(d, blaze_datashape::Dim::Ellipsis(_)))
        && plain_scalar(&n.ty.measure).is_some()
        && n.args
            .iter()
            .all(|a| plain_scalar(&f.node(*a).ty.measure).is_some())
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
    let out = plain_scalar(&n.ty.measure)?;
    let input = plain_scalar(&f.node(*n.args.first()?).ty.measure)?;
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

pub(super) fn constant(s: Scalar, l: &Literal) -> Const {
    match (l, s.kind()) {
        (Literal::Bool(b), _) => Const::Bool(*b),
        (Literal::Int(i), blaze_datashape::ScalarKind::Unsigned) => Const::UInt(*i as u64),
        (Literal::Int(i), _) => Const::Int(*i as i64),
        (Literal::Float(x), _) => Const::Float(*x),
        (Literal::Complex(re, _), _) => Const::Float(*re),
    }
}

/// Prepares `f` for the JIT engine: rewrites it for BLAS/LAPACK
/// ([`blaze_ir::rewrite`]), then plans fused groups.
pub fn prepare(f: &Function) -> Prepared {
    let rewritten = blaze_ir::rewrite::rewrite(f);
    let f = &rewritten;
    let n = f.nodes.len();
    let deps = index_deps(f);
    let mut uses = vec![0usize; n];
    for node in &f.nodes {
        for a in &node.args {
            uses[a.index()] += 1;
        }
    }
    uses[f.root.index()] += 1;
    // The single consumer of each node (when it has exactly one).
    let mut consumer: Vec<Option<NodeId>> = vec![None; n];
    for (i, node) in f.nodes.iter().enumerate() {
        for a in &node.args {
            consumer[a.index()] = Some(NodeId(i as u32));
        }
    }
    let is_elem: Vec<bool> = (0..n).map(|i| elementwise(f, NodeId(i as u32))).collect();
    let reduce: Vec<Option<ReducePlan>> = (0..n).map(|i| reducible(f, NodeId(i as u32))).collect();
    // A fusible node is folded into its consumer when that is its only use
    // and the consumer is a fusible group member; literals always fold.
    let folds = |i: usize| -> bool {
        if !is_elem[i] || NodeId(i as u32) == f.root {
            return false;
        }
        if matches!(f.nodes[i].op, Op::Literal(_)) && f.nodes[i].ty.dims.is_empty() {
            return consumer[i].is_some_and(|c| is_elem[c.index()] || reduce[c.index()].is_some());
        }
        uses[i] == 1
            && consumer[i].is_some_and(|c| is_elem[c.index()] || reduce[c.index()].is_some())
    };
    let mut steps = Vec::with_capacity(n);
    for i in 0..n {
        let id = NodeId(i as u32);
        let node = &f.nodes[i];
        let step = if let Op::Param(p) = node.op {
            Step::Param(p)
        } else if !deps[i].is_empty() {
            // Inside a loop: compiled with the loop, or the whole function is
            // interpreted.
            Step::Fused
        } else if matches!(node.op, Op::Forall(_) | Op::IndexReduce(..)) {
            match index_plan(f, id, &deps) {
                Some(p) => Step::Index(Box::new(p)),
                None => {
                    return Prepared {
                        f: f.clone(),
                        steps: Vec::new(),
                        interpret: true,
                    }
                }
            }
        } else if native(f, id) {
            Step::Native
        } else if matches!(node.op, Op::Literal(_)) && node.ty.dims.is_empty() && !folds(i) {
            // A lone scalar constant (a BLAS `alpha`, say): no kernel.
            Step::Const
        } else if folds(i) {
            Step::Fused
        } else if is_elem[i] || reduce[i].is_some() {
            match build_group(f, id, reduce[i].clone(), &folds) {
                Some(g) => Step::Group(Box::new(g)),
                None => Step::Fallback,
            }
        } else {
            Step::Fallback
        };
        steps.push(step);
    }
    Prepared {
        f: f.clone(),
        steps,
        interpret: false,
    }
}

/// For every node, the index variables its value depends on (free ones:
/// a loop binds its own).
pub(super) fn index_deps(f: &Function) -> Vec<Vec<IndexVar>> {
    let mut deps: Vec<Vec<IndexVar>> = Vec::with_capacity(f.nodes.len());
    for n in &f.nodes {
        let mut d: Vec<IndexVar> = Vec::new();
        for a in &n.args {
            for v in &deps[a.index()] {
                if !d.contains(v) {
                    d.push(*v);
                }
            }
        }
        match &n.op {
            Op::IndexValue(v) => d.push(*v),
            Op::Eps(vs) | Op::Delta(vs) => d.extend(vs.iter().copied()),
            Op::Gather(items) => d.extend(items.iter().filter_map(|g| match g {
                GatherItem::Var(v) => Some(*v),
                GatherItem::At(_) => None,
            })),
            Op::Forall(vs) | Op::IndexReduce(_, vs) => d.retain(|v| !vs.contains(v)),
            _ => {}
        }
        d.sort();
        d.dedup();
        deps.push(d);
    }
    deps
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
    // The expression: the root (for a reduction, its argument) and every
    // folded node below it.
    let top = match &reduce {
        Some(_) => *f.node(root).args.first()?,
        None => root,
    };
    let mut order: Vec<NodeId> = Vec::new();
    let mut leaves: Vec<NodeId> = Vec::new();
    fn visit(
        f: &Function,
        id: NodeId,
        top: bool,
        folds: &dyn Fn(usize) -> bool,
        order: &mut Vec<NodeId>,
        leaves: &mut Vec<NodeId>,
        elem_top: bool,
    ) {
        let inside = (top && elem_top) || folds(id.index());
        if !inside {
            if !leaves.contains(&id) {
                leaves.push(id);
            }
            return;
        }
        if order.contains(&id) {
            return;
        }
        for a in &f.node(id).args {
            visit(f, *a, false, folds, order, leaves, elem_top);
        }
        order.push(id);
    }
    let elem_top = elementwise(f, top);
    visit(
        f,
        top,
        true,
        folds,
        &mut order,
        &mut leaves,
        elem_top || reduce.is_none(),
    );
    let mut index: HashMap<NodeId, usize> = HashMap::new();
    let mut nodes: Vec<KNode> = Vec::new();
    let inputs: Vec<Scalar> = leaves
        .iter()
        .map(|l| plain_scalar(&f.node(*l).ty.measure))
        .collect::<Option<_>>()?;
    // Inputs first, as nodes.
    for (k, l) in leaves.iter().enumerate() {
        index.insert(*l, nodes.len());
        nodes.push(KNode {
            op: KOp::Input(k),
            args: vec![],
            ty: inputs[k],
        });
    }
    for id in &order {
        let n = f.node(*id);
        let ty = plain_scalar(&n.ty.measure)?;
        let op = match &n.op {
            Op::Unary(u) => KOp::Unary(*u),
            Op::Binary(b) => KOp::Binary(*b),
            Op::Where => KOp::Where,
            Op::Cast(_) => KOp::Cast,
            Op::Literal(l) => KOp::Const(constant(ty, l)),
            _ => return None,
        };
        let args = n
            .args
            .iter()
            .map(|a| index.get(a).copied())
            .collect::<Option<Vec<_>>>()?;
        index.insert(*id, nodes.len());
        nodes.push(KNode { op, args, ty });
    }
    let root_k = *index.get(&top)?;
    let (combine, output) = match &reduce {
        Some(r) => (
            Combine::Reduce(r.f),
            plain_scalar(&f.node(root).ty.measure)?,
        ),
        None => (Combine::Store, plain_scalar(&f.node(root).ty.measure)?),
    };
    Some(GroupPlan {
        kernel: Kernel {
            inputs,
            nodes,
            root: root_k,
            combine,
            output,
        },
        leaves,
        reduce,
    })
}

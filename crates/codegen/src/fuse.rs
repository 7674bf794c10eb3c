//! From IR to kernel specs: the one translation of IR nodes of a
//! [`Function`] into a [`KernelSpec`], used by the JIT engine's fused
//! groups and by ahead-of-time objects.
//!
//! [`KOp::from_ir`] says which IR operations have a kernel form,
//! [`Const::from_literal`] turns literals into constants,
//! [`has_kernel_form`] says whether a node can be computed inside a
//! kernel (its operation and every type involved), [`SpecBuilder`] adds
//! nodes one by one, and [`fuse_group`] builds the kernel of a fused group
//! (a root, the elementwise nodes folded into it, the leaves that become
//! its operands). Which nodes fold is the planner's decision, not this
//! module's; nothing here touches LLVM.

use crate::kernel::{supported, Combine, Const, KNode, KOp, KernelSpec};
use blaze_datashape::{Datashape, Measure, Scalar, ScalarKind};
use blaze_ir::ops::{ReduceFn, UnaryFn};
use blaze_ir::{Function, Literal, NodeId, Op};
use std::collections::HashMap;
use std::fmt;

impl Const {
    /// The constant of literal `l` in a node of scalar type `s`; `None` for
    /// a complex literal (kernels do not compute on complex numbers).
    pub fn from_literal(s: Scalar, l: &Literal) -> Option<Const> {
        Some(match (l, s.kind()) {
            (Literal::Bool(b), _) => Const::Bool(*b),
            (Literal::Int(i), ScalarKind::Unsigned) => Const::UInt(*i as u64),
            (Literal::Int(i), _) => Const::Int(*i as i64),
            (Literal::Float(x), _) => Const::Float(*x),
            (Literal::Complex(..), _) => return None,
        })
    }
}

impl KOp {
    /// The kernel operation of IR operation `op` in a node of scalar type
    /// `ty`; `None` when it has no kernel form. Parameters and other
    /// operands have none: they become [`KOp::Input`]s of the kernel that
    /// reads them ([`SpecBuilder::input`]).
    pub fn from_ir(op: &Op, ty: Scalar) -> Option<KOp> {
        Some(match op {
            Op::Unary(UnaryFn::IsNa) => return None,
            Op::Unary(u) => KOp::Unary(*u),
            Op::Binary(b) => KOp::Binary(*b),
            Op::Where => KOp::Where,
            Op::Cast(_) => KOp::Cast,
            Op::Literal(l) => KOp::Const(Const::from_literal(ty, l)?),
            _ => return None,
        })
    }
}

/// The element type of a measure when kernels compute on it: a plain
/// scalar of a [`supported`] type.
pub fn kernel_scalar(m: &Measure) -> Option<Scalar> {
    match m {
        Measure::Scalar { scalar } if supported(*scalar) => Some(*scalar),
        _ => None,
    }
}

/// Whether node `id` of `f` can be computed inside a kernel: the IR's one
/// elementwise classification ([`blaze_ir::analysis::is_elementwise`])
/// over the element types kernels compute on ([`supported`]). Every such
/// node has a [`KOp::from_ir`] form.
pub fn has_kernel_form(f: &Function, id: NodeId) -> bool {
    blaze_ir::analysis::is_elementwise(f, id, supported)
}

/// Why a node cannot be part of a kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotFused {
    /// The node.
    pub node: NodeId,
    /// What it is, as a phrase: "a complex literal", "a `gather`
    /// operation", …
    pub what: String,
}

impl fmt::Display for NotFused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node %{} is {}", self.node.index(), self.what)
    }
}

/// The name of an operation in messages: `gather`, `reduce`, `literal`, …
pub(crate) fn op_name(op: &Op) -> String {
    let debug = format!("{op:?}");
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or("")
        .to_lowercase()
}

/// Builds a [`KernelSpec`] from nodes of one function: first the nodes
/// whose values are operands ([`input`](SpecBuilder::input)), then the
/// computed ones in evaluation order ([`compute`](SpecBuilder::compute)),
/// then [`finish`](SpecBuilder::finish) with the node whose value is
/// stored or reduced.
pub struct SpecBuilder<'f> {
    f: &'f Function,
    inputs: Vec<Scalar>,
    nodes: Vec<KNode>,
    index: HashMap<NodeId, usize>,
}

impl<'f> SpecBuilder<'f> {
    /// A builder for a kernel of `f` whose operands have the element types
    /// `inputs`.
    pub fn new(f: &'f Function, inputs: Vec<Scalar>) -> SpecBuilder<'f> {
        SpecBuilder {
            f,
            inputs,
            nodes: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn scalar(&self, id: NodeId) -> Result<Scalar, NotFused> {
        let ty: &Datashape = &self.f.node(id).ty;
        kernel_scalar(&ty.measure).ok_or_else(|| NotFused {
            node: id,
            what: format!("of type `{ty}`, which kernels do not compute on"),
        })
    }

    /// The value of node `id` is operand `k` of the kernel.
    pub fn input(&mut self, id: NodeId, k: usize) -> Result<(), NotFused> {
        let ty = self.scalar(id)?;
        if k >= self.inputs.len() {
            return Err(NotFused {
                node: id,
                what: format!("operand {k} of a kernel of {}", self.inputs.len()),
            });
        }
        self.index.insert(id, self.nodes.len());
        self.nodes.push(KNode {
            op: KOp::Input(k),
            args: vec![],
            ty,
        });
        Ok(())
    }

    /// Node `id` is computed in the kernel; its arguments are operands or
    /// nodes computed before.
    pub fn compute(&mut self, id: NodeId) -> Result<(), NotFused> {
        let n = self.f.node(id);
        let ty = self.scalar(id)?;
        let op = KOp::from_ir(&n.op, ty).ok_or_else(|| NotFused {
            node: id,
            what: match &n.op {
                Op::Literal(Literal::Complex(..)) => "a complex literal".to_string(),
                op => format!("a `{}` operation", op_name(op)),
            },
        })?;
        let args = n
            .args
            .iter()
            .map(|a| {
                self.index.get(a).copied().ok_or_else(|| NotFused {
                    node: id,
                    what: format!("computed from %{}, which is not in the kernel", a.index()),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.index.insert(id, self.nodes.len());
        self.nodes.push(KNode { op, args, ty });
        Ok(())
    }

    /// The kernel whose value is node `top`'s, stored or reduced
    /// (`combine`) into an output of type `output`.
    pub fn finish(
        self,
        top: NodeId,
        combine: Combine,
        output: Scalar,
    ) -> Result<KernelSpec, NotFused> {
        let root = *self.index.get(&top).ok_or_else(|| NotFused {
            node: top,
            what: "not in the kernel".to_string(),
        })?;
        Ok(KernelSpec {
            inputs: self.inputs,
            nodes: self.nodes,
            root,
            combine,
            output,
        })
    }
}

/// A fused group as a kernel: its spec and the nodes whose values are its
/// operands, in operand order.
#[derive(Clone, Debug, PartialEq)]
pub struct FusedGroup {
    /// What the kernel computes.
    pub spec: KernelSpec,
    /// Operand `k` is the value of `leaves[k]`.
    pub leaves: Vec<NodeId>,
}

/// The kernel of the fused group ending in `root`: stored, or reduced with
/// `reduce` (`sum prod min max any all`; the root is then the reduction and
/// the kernel computes its argument). A node below is computed in the
/// kernel when `folds` says so; every other node reached becomes an
/// operand, in the order first reached. `None` when a node or type has no
/// kernel form.
pub fn fuse_group(
    f: &Function,
    root: NodeId,
    reduce: Option<ReduceFn>,
    folds: &dyn Fn(NodeId) -> bool,
) -> Option<FusedGroup> {
    let top = match reduce {
        Some(_) => *f.node(root).args.first()?,
        None => root,
    };
    // A stored root is always computed in the kernel; the argument of a
    // reduction only when it has a kernel form.
    let top_inside = reduce.is_none() || has_kernel_form(f, top);
    let mut order: Vec<NodeId> = Vec::new();
    let mut leaves: Vec<NodeId> = Vec::new();
    /// Arguments before the node; nodes outside the group become leaves.
    fn visit(
        f: &Function,
        id: NodeId,
        inside: bool,
        folds: &dyn Fn(NodeId) -> bool,
        order: &mut Vec<NodeId>,
        leaves: &mut Vec<NodeId>,
    ) {
        if !(inside || folds(id)) {
            if !leaves.contains(&id) {
                leaves.push(id);
            }
            return;
        }
        if order.contains(&id) {
            return;
        }
        for a in &f.node(id).args {
            visit(f, *a, false, folds, order, leaves);
        }
        order.push(id);
    }
    visit(f, top, top_inside, folds, &mut order, &mut leaves);
    let inputs = leaves
        .iter()
        .map(|l| kernel_scalar(&f.node(*l).ty.measure))
        .collect::<Option<Vec<_>>>()?;
    let mut b = SpecBuilder::new(f, inputs);
    for (k, l) in leaves.iter().enumerate() {
        b.input(*l, k).ok()?;
    }
    for id in &order {
        b.compute(*id).ok()?;
    }
    let output = kernel_scalar(&f.node(root).ty.measure)?;
    let combine = match reduce {
        Some(r) => Combine::Reduce(r),
        None => Combine::Store,
    };
    let spec = b.finish(top, combine, output).ok()?;
    Some(FusedGroup { spec, leaves })
}

#[cfg(test)]
mod tests;

//! Index notation (`forall i: sum(k: …)`) compiled as one kernel over the
//! iteration space of its index variables: planning (running is in
//! `run`).

use blaze_codegen::{has_plain_kernel_form, kernel_scalar, Combine, Const, KNode, KOp, KernelSpec};
use blaze_datashape::Scalar;
use blaze_ir::ops::ReduceFn;
use blaze_ir::{Function, GatherItem, IndexVar, NodeId, Op};
use std::collections::HashMap;

/// A `forall`/`sum(k: …)` compiled as one kernel over the iteration space
/// of its index variables: output axes (the `forall` variables), then the
/// reduced ones. Every `A[i, k]` becomes an operand whose strides sit on
/// the axes of its variables, as `einsum` does.
#[derive(Clone, Debug)]
pub(super) struct IndexPlan {
    pub(super) kernel: KernelSpec,
    pub(super) operands: Vec<IndexOperand>,
    pub(super) outer: Vec<IndexVar>,
    pub(super) inner: Vec<IndexVar>,
    pub(super) reduce: Option<ReduceFn>,
}

/// Where an operand of an index kernel comes from.
#[derive(Clone, Debug)]
pub(super) enum IndexOperand {
    /// `X[i, 2, k]`: the value of node `array` indexed by variables and
    /// fixed positions.
    Gather {
        array: NodeId,
        items: Vec<GatherItem>,
    },
    /// `eps[i, j, k]`, as a constant array.
    Eps(Vec<IndexVar>),
    /// `delta[i, j]`, as an identity matrix.
    Delta(Vec<IndexVar>),
    /// The value of an index variable, as `0..n`.
    Arange(IndexVar),
    /// A scalar computed outside the loop.
    Scalar(NodeId),
}

/// The plan of a loop at `root` (no free index variables), if its body is
/// elementwise arithmetic over indexed arrays, with at most one reduction
/// directly under the `forall`.
pub(super) fn index_plan(f: &Function, root: NodeId, deps: &[Vec<IndexVar>]) -> Option<IndexPlan> {
    let n = f.node(root);
    let (outer, inner, reduce, top) = match &n.op {
        Op::Forall(vs) => {
            let body = *n.args.first()?;
            match &f.node(body).op {
                Op::IndexReduce(rf, rvs) => (
                    vs.clone(),
                    rvs.clone(),
                    Some(*rf),
                    *f.node(body).args.first()?,
                ),
                _ => (vs.clone(), vec![], None, body),
            }
        }
        Op::IndexReduce(rf, vs) => (vec![], vs.clone(), Some(*rf), *n.args.first()?),
        _ => return None,
    };
    if let Some(rf) = reduce {
        if !matches!(
            rf,
            ReduceFn::Sum | ReduceFn::Prod | ReduceFn::Min | ReduceFn::Max
        ) {
            return None;
        }
    }
    let output = kernel_scalar(&n.ty.measure)?;
    if !f.node(top).ty.dims.is_empty() {
        return None;
    }
    let mut operands: Vec<IndexOperand> = Vec::new();
    let mut nodes: Vec<KNode> = Vec::new();
    let mut index: HashMap<NodeId, usize> = HashMap::new();
    fn walk(
        f: &Function,
        id: NodeId,
        deps: &[Vec<IndexVar>],
        operands: &mut Vec<IndexOperand>,
        nodes: &mut Vec<KNode>,
        index: &mut HashMap<NodeId, usize>,
    ) -> Option<usize> {
        if let Some(&k) = index.get(&id) {
            return Some(k);
        }
        let n = f.node(id);
        let ty = kernel_scalar(&n.ty.measure)?;
        let operand =
            |operands: &mut Vec<IndexOperand>, nodes: &mut Vec<KNode>, o: IndexOperand| {
                operands.push(o);
                nodes.push(KNode {
                    op: KOp::Input(operands.len() - 1),
                    args: vec![],
                    ty,
                });
                nodes.len() - 1
            };
        let k = match &n.op {
            Op::Gather(items) => {
                let array = *n.args.first()?;
                let a = f.node(array);
                if !deps[array.index()].is_empty()
                    || items.len() != a.ty.dims.len()
                    || !n.ty.dims.is_empty()
                {
                    return None;
                }
                operand(
                    operands,
                    nodes,
                    IndexOperand::Gather {
                        array,
                        items: items.clone(),
                    },
                )
            }
            Op::Eps(vs) => operand(operands, nodes, IndexOperand::Eps(vs.clone())),
            Op::Delta(vs) => operand(operands, nodes, IndexOperand::Delta(vs.clone())),
            Op::IndexValue(v) => operand(operands, nodes, IndexOperand::Arange(*v)),
            Op::Literal(l) => {
                nodes.push(KNode {
                    op: KOp::Const(Const::from_literal(ty, l)?),
                    args: vec![],
                    ty,
                });
                nodes.len() - 1
            }
            Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_)
                if has_plain_kernel_form(f, id) =>
            {
                let args = n
                    .args
                    .iter()
                    .map(|a| walk(f, *a, deps, operands, nodes, index))
                    .collect::<Option<Vec<_>>>()?;
                let op = KOp::from_ir(&n.op, ty)?;
                nodes.push(KNode { op, args, ty });
                nodes.len() - 1
            }
            // A scalar from outside the loop.
            _ if deps[id.index()].is_empty() && n.ty.dims.is_empty() => {
                operand(operands, nodes, IndexOperand::Scalar(id))
            }
            _ => return None,
        };
        index.insert(id, k);
        Some(k)
    }
    let root_k = walk(f, top, deps, &mut operands, &mut nodes, &mut index)?;
    // Inputs are the operand nodes, in operand order.
    let inputs: Vec<Scalar> = nodes
        .iter()
        .filter(|k| matches!(k.op, KOp::Input(_)))
        .map(|k| k.ty)
        .collect();
    let combine = match reduce {
        Some(rf) => Combine::Reduce(rf),
        None => Combine::Store,
    };
    // The float16 reference accumulates in float32; not compiled.
    if reduce.is_some() && (output == Scalar::Float16 || inputs.contains(&Scalar::Float16)) {
        return None;
    }
    Some(IndexPlan {
        kernel: KernelSpec {
            inputs,
            nodes,
            root: root_k,
            combine,
            output,
            missing: None,
        },
        operands,
        outer,
        inner,
        reduce,
    })
}

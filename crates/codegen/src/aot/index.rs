//! Index notation in an object (`forall i: sum(j: A[i, j] * x[j])`): the
//! JIT's index kernels — one kernel over the iteration space of the index
//! variables, the `forall` ones then the reduced ones, every `A[i, k]` an
//! operand whose strides sit on the axes of its variables, as `einsum`
//! does — planned as the runtime plans them, for the operands an object
//! has: indexed arrays (variables and fixed positions) and scalars
//! computed outside the loop. `eps`, `delta` and the value of an index
//! variable are refused with the reason.

use crate::error::Unsupported;
use crate::fuse::{has_plain_kernel_form, kernel_scalar};
use crate::kernel::{Combine, Const, KNode, KOp, KernelSpec};
use blaze_datashape::Scalar;
use blaze_ir::ops::ReduceFn;
use blaze_ir::{Function, GatherItem, IndexVar, NodeId, Op};
use std::collections::HashMap;

/// An index kernel: what it computes, over which variables, from what.
#[derive(Clone, Debug)]
pub(crate) struct IndexPlan {
    /// The kernel (operands in operand order).
    pub(crate) spec: KernelSpec,
    /// Where each operand comes from.
    pub(crate) operands: Vec<IndexOperand>,
    /// The `forall` variables: the result's axes.
    pub(crate) outer: Vec<IndexVar>,
    /// The reduced variables.
    pub(crate) inner: Vec<IndexVar>,
    /// The reduction over `inner`, if any.
    pub(crate) reduce: Option<ReduceFn>,
}

/// Where an operand of an index kernel comes from.
#[derive(Clone, Debug)]
pub(crate) enum IndexOperand {
    /// `X[i, 2, k]`: node `array` indexed by variables and positions.
    Gather {
        /// The indexed array.
        array: NodeId,
        /// Its index items, one per axis.
        items: Vec<GatherItem>,
    },
    /// A 0-d value computed outside the loop.
    Scalar(NodeId),
}

/// The plan of the loop rooted at `root`, or why there is none.
pub(crate) fn index_plan(
    f: &Function,
    root: NodeId,
    deps: &[Vec<IndexVar>],
) -> Result<IndexPlan, Unsupported> {
    let refuse = |why: String| {
        Unsupported(format!(
            "`{}`: index notation at node %{}: {why}",
            f.name,
            root.index()
        ))
    };
    let n = f.node(root);
    let first = |id: NodeId| {
        f.node(id)
            .args
            .first()
            .copied()
            .ok_or_else(|| refuse("a loop without a body".into()))
    };
    let (outer, inner, reduce, top) = match &n.op {
        Op::Forall(vs) => {
            let body = first(root)?;
            match &f.node(body).op {
                Op::IndexReduce(rf, rvs) => (vs.clone(), rvs.clone(), Some(*rf), first(body)?),
                _ => (vs.clone(), vec![], None, body),
            }
        }
        Op::IndexReduce(rf, vs) => (vec![], vs.clone(), Some(*rf), first(root)?),
        _ => return Err(refuse("not a loop".into())),
    };
    if let Some(rf) = reduce {
        if !matches!(
            rf,
            ReduceFn::Sum | ReduceFn::Prod | ReduceFn::Min | ReduceFn::Max
        ) {
            return Err(refuse(format!(
                "`{}` over index variables is not compiled (`sum`, `prod`, `min` and `max` are)",
                rf.name()
            )));
        }
    }
    let output = kernel_scalar(&n.ty.measure)
        .ok_or_else(|| refuse(format!("its type `{}` has no kernel form", n.ty)))?;
    if !f.node(top).ty.dims.is_empty() {
        return Err(refuse("its body is not a scalar".into()));
    }
    let mut walk = Walk {
        f,
        deps,
        operands: Vec::new(),
        nodes: Vec::new(),
        index: HashMap::new(),
    };
    let root_k = walk.node(top).map_err(refuse)?;
    let inputs: Vec<Scalar> = walk
        .nodes
        .iter()
        .filter(|k| matches!(k.op, KOp::Input(_)))
        .map(|k| k.ty)
        .collect();
    if reduce.is_some() && (output == Scalar::Float16 || inputs.contains(&Scalar::Float16)) {
        return Err(refuse("a float16 reduction is not compiled".into()));
    }
    Ok(IndexPlan {
        spec: KernelSpec {
            inputs,
            nodes: walk.nodes,
            root: root_k,
            combine: match reduce {
                Some(rf) => Combine::Reduce(rf),
                None => Combine::Store,
            },
            output,
            missing: None,
        },
        operands: walk.operands,
        outer,
        inner,
        reduce,
    })
}

/// The body of a loop, walked into kernel nodes and operands.
struct Walk<'f> {
    f: &'f Function,
    deps: &'f [Vec<IndexVar>],
    operands: Vec<IndexOperand>,
    nodes: Vec<KNode>,
    index: HashMap<NodeId, usize>,
}

impl Walk<'_> {
    fn operand(&mut self, o: IndexOperand, ty: Scalar) -> usize {
        self.operands.push(o);
        self.nodes.push(KNode {
            op: KOp::Input(self.operands.len() - 1),
            args: vec![],
            ty,
        });
        self.nodes.len() - 1
    }

    /// The kernel node of `id`, or why it has none.
    fn node(&mut self, id: NodeId) -> Result<usize, String> {
        if let Some(&k) = self.index.get(&id) {
            return Ok(k);
        }
        let f = self.f;
        let n = f.node(id);
        let ty = kernel_scalar(&n.ty.measure)
            .ok_or_else(|| format!("node %{} has type `{}`", id.index(), n.ty))?;
        let k = match &n.op {
            Op::Gather(items) => {
                let array = *n.args.first().ok_or("an index of nothing")?;
                let a = f.node(array);
                if !self.deps[array.index()].is_empty()
                    || items.len() != a.ty.dims.len()
                    || !n.ty.dims.is_empty()
                {
                    return Err(format!(
                        "node %{} indexes an array computed in the loop, or not on every axis",
                        id.index()
                    ));
                }
                self.operand(
                    IndexOperand::Gather {
                        array,
                        items: items.clone(),
                    },
                    ty,
                )
            }
            Op::Literal(l) => {
                let c = Const::from_literal(ty, l)
                    .ok_or_else(|| format!("node %{} is a literal of no kernel form", id.index()))?;
                self.nodes.push(KNode {
                    op: KOp::Const(c),
                    args: vec![],
                    ty,
                });
                self.nodes.len() - 1
            }
            Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_)
                if has_plain_kernel_form(f, id) =>
            {
                let args = n
                    .args
                    .iter()
                    .map(|a| self.node(*a))
                    .collect::<Result<Vec<_>, _>>()?;
                let op = KOp::from_ir(&n.op, ty)
                    .ok_or_else(|| format!("node %{} has no kernel form", id.index()))?;
                self.nodes.push(KNode { op, args, ty });
                self.nodes.len() - 1
            }
            // A scalar from outside the loop.
            _ if self.deps[id.index()].is_empty() && n.ty.dims.is_empty() => {
                self.operand(IndexOperand::Scalar(id), ty)
            }
            op => {
                return Err(format!(
                    "`{}` in a loop is not compiled ahead of time (indexed arrays, scalars and elementwise arithmetic are)",
                    crate::fuse::op_name(op)
                ))
            }
        };
        self.index.insert(id, k);
        Ok(k)
    }
}

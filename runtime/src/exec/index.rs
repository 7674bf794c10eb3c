//! Index notation (`forall i: sum(k: …)`) compiled as one kernel over the
//! iteration space of its index variables.

use super::plan::{constant, elementwise, plain_scalar, GroupPlan, ReducePlan};
use super::run::{operand, Slot};
use super::{Options, Prepared, Report};
use blaze_codegen::{Combine, KNode, KOp, Kernel};
use blaze_datashape::Scalar;
use blaze_interp::{kernels, Array, EvalError, Value};
use blaze_ir::ops::ReduceFn;
use blaze_ir::{Function, GatherItem, IndexVar, NodeId, Op};
use ndarray::{ArrayD, Dimension, IxDyn};
use std::collections::HashMap;

/// A `forall`/`sum(k: …)` compiled as one kernel over the iteration space
/// of its index variables: output axes (the `forall` variables), then the
/// reduced ones. Every `A[i, k]` becomes an operand whose strides sit on
/// the axes of its variables, as `einsum` does.
#[derive(Clone, Debug)]
pub(super) struct IndexPlan {
    pub(super) kernel: Kernel,
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
    let output = plain_scalar(&n.ty.measure)?;
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
        let ty = plain_scalar(&n.ty.measure)?;
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
                    op: KOp::Const(constant(ty, l)),
                    args: vec![],
                    ty,
                });
                nodes.len() - 1
            }
            Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Cast(_) if elementwise(f, id) => {
                let args = n
                    .args
                    .iter()
                    .map(|a| walk(f, *a, deps, operands, nodes, index))
                    .collect::<Option<Vec<_>>>()?;
                let op = match &n.op {
                    Op::Unary(u) => KOp::Unary(*u),
                    Op::Binary(b) => KOp::Binary(*b),
                    Op::Where => KOp::Where,
                    _ => KOp::Cast,
                };
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
        kernel: Kernel {
            inputs,
            nodes,
            root: root_k,
            combine,
            output,
        },
        operands,
        outer,
        inner,
        reduce,
    })
}

impl Prepared {
    pub(super) fn run_index(
        &self,
        p: &IndexPlan,
        slots: &[Slot],
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Value, EvalError> {
        let array_of = |id: NodeId| -> Result<&Array, EvalError> {
            match slots[id.index()].get() {
                Some(Value::Array {
                    data,
                    missing: None,
                }) => Ok(data),
                Some(_) => Err(EvalError::Value(format!("%{} is not a plain array", id.0))),
                None => Err(EvalError::Value(format!("value of %{} missing", id.0))),
            }
        };
        // Extents: fixed by the type, else the length of an axis indexed.
        let vars: Vec<IndexVar> = p.outer.iter().chain(&p.inner).copied().collect();
        let mut extent: HashMap<IndexVar, usize> = HashMap::new();
        for v in &vars {
            if let blaze_datashape::Dim::Fixed(n) = self.f.index_vars[v.0 as usize].extent {
                extent.insert(*v, n as usize);
            }
        }
        for o in &p.operands {
            match o {
                IndexOperand::Gather { array, items } => {
                    let a = array_of(*array)?;
                    for (axis, g) in items.iter().enumerate() {
                        if let GatherItem::Var(v) = g {
                            extent.entry(*v).or_insert(a.shape()[axis]);
                        }
                    }
                }
                IndexOperand::Eps(vs) => {
                    for v in vs {
                        extent.entry(*v).or_insert(vs.len());
                    }
                }
                _ => {}
            }
        }
        for o in &p.operands {
            if let IndexOperand::Delta(vs) = o {
                let known = vs.iter().find_map(|v| extent.get(v).copied());
                for v in vs {
                    if let Some(n) = known {
                        extent.entry(*v).or_insert(n);
                    }
                }
            }
        }
        let shape: Vec<usize> = vars
            .iter()
            .map(|v| {
                extent.get(v).copied().ok_or_else(|| {
                    EvalError::Shape(format!(
                        "cannot determine the range of index `{}`",
                        self.f.index_vars[v.0 as usize].name
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        let rank = shape.len();
        let empty = shape.contains(&0);
        let pos = |v: &IndexVar| vars.iter().position(|x| x == v);
        // Constant operands live until the kernel has run.
        let mut owned: Vec<Array> = Vec::new();
        let mut ptrs: Vec<*mut u8> = Vec::new();
        let mut strides: Vec<i64> = Vec::new();
        for o in &p.operands {
            let mut st = vec![0i64; rank];
            let ptr = match o {
                IndexOperand::Gather { array, items } => {
                    let a = array_of(*array)?;
                    let (base, astr) = operand(a, a.shape())?;
                    let mut offset = 0i64;
                    for (axis, g) in items.iter().enumerate() {
                        let n = a.shape()[axis];
                        match g {
                            GatherItem::Var(v) => {
                                let k = pos(v).ok_or_else(|| {
                                    EvalError::Value("index variable outside its loop".into())
                                })?;
                                if shape[k] > n && !empty {
                                    return Err(EvalError::Shape(format!(
                                        "index {} is out of bounds for axis {axis} with size {n}",
                                        n
                                    )));
                                }
                                st[k] += astr[axis];
                            }
                            GatherItem::At(i) => {
                                let j = if *i < 0 { *i + n as i64 } else { *i };
                                // An empty loop reads nothing (as the interpreter).
                                if empty {
                                    continue;
                                }
                                if j < 0 || j >= n as i64 {
                                    return Err(EvalError::Shape(format!(
                                        "index {i} is out of bounds for axis {axis} with size {n}"
                                    )));
                                }
                                offset += j * astr[axis];
                            }
                        }
                    }
                    base.wrapping_offset((offset * a.scalar().size_bytes() as i64) as isize)
                }
                IndexOperand::Eps(vs) => {
                    let n = vs.len();
                    let dims = vec![n; n];
                    let eps = ArrayD::from_shape_fn(IxDyn(&dims), |ix| {
                        let idx = ix.slice();
                        let mut sign = 1i64;
                        for a in 0..n {
                            for b in a + 1..n {
                                if idx[a] == idx[b] {
                                    return 0;
                                }
                                if idx[a] > idx[b] {
                                    sign = -sign;
                                }
                            }
                        }
                        sign
                    });
                    let arr = kernels::cast(&Array::Int64(eps), p.kernel.inputs[ptrs.len()]);
                    let (base, astr) = operand(&arr, arr.shape())?;
                    for (axis, v) in vs.iter().enumerate() {
                        if let Some(k) = pos(v) {
                            st[k] += astr[axis];
                        }
                    }
                    owned.push(arr);
                    base
                }
                IndexOperand::Delta(vs) => {
                    let k0 = vs.first().and_then(pos);
                    let n = k0.map_or(0, |k| shape[k]);
                    let eye = ArrayD::from_shape_fn(IxDyn(&[n, n]), |ix| (ix[0] == ix[1]) as i64);
                    let arr = kernels::cast(&Array::Int64(eye), p.kernel.inputs[ptrs.len()]);
                    let (base, astr) = operand(&arr, arr.shape())?;
                    for (axis, v) in vs.iter().take(2).enumerate() {
                        if let Some(k) = pos(v) {
                            st[k] += astr[axis];
                        }
                    }
                    owned.push(arr);
                    base
                }
                IndexOperand::Arange(v) => {
                    let k = pos(v).ok_or_else(|| {
                        EvalError::Value("index variable outside its loop".into())
                    })?;
                    let arr =
                        Array::Int64(ArrayD::from_shape_fn(IxDyn(&[shape[k]]), |ix| ix[0] as i64));
                    let arr = kernels::cast(&arr, p.kernel.inputs[ptrs.len()]);
                    let (base, astr) = operand(&arr, arr.shape())?;
                    st[k] += astr[0];
                    owned.push(arr);
                    base
                }
                IndexOperand::Scalar(id) => {
                    let a = array_of(*id)?;
                    let (base, _) = operand(a, &[])?;
                    base
                }
            };
            ptrs.push(ptr);
            strides.extend(st);
        }
        let g = GroupPlan {
            kernel: p.kernel.clone(),
            leaves: Vec::new(),
            reduce: p.reduce.map(|f| ReducePlan {
                f,
                axes: Some((p.outer.len()..rank).collect()),
                keepdims: false,
                mean: false,
            }),
        };
        let v = self.launch_group(&g, ptrs, strides, &shape, opts, pool, report);
        drop(owned);
        v
    }
}

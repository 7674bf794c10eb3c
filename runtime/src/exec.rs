//! The JIT engine: a typed function is split into fused groups — trees of
//! elementwise operations, each ending in a store or a reduction — that run
//! as compiled kernels over chunks on rayon; index-notation loops whose body
//! is arithmetic over indexed arrays run as one kernel over their index
//! space; the other operations (matrix products, linear algebra, indexing,
//! reshaping, records, …) run on the reference kernels, and a function with
//! a loop of another shape runs on the interpreter as a whole.
//!
//! ```text
//! Function ──plan (once)──► [Group | Fallback] in node order
//!                              │
//!            inputs ──run──► per group: shapes → layouts → KernelKey → jit() cache
//!                              └─► chunks on rayon: kernel(ptrs, strides, shape, begin, end)
//! ```
//!
//! Determinism: a map's result does not depend on chunking. A reduction
//! over all axes combines one partial result per fixed-size chunk, in chunk
//! order (so a fixed `chunk` gives the same bits at any thread count); a
//! reduction that keeps an axis splits the work along a kept axis, so every
//! output element is accumulated by one kernel call in one order.

use crate::{blas, lapack};
use blaze_codegen::{
    jit, Combine, Compiled, Const, Dumps, KNode, KOp, KernelKey, KernelSpec, Layout,
};
use blaze_datashape::{Measure, Scalar};
use blaze_interp::{check_inputs, eval, eval_op, kernels, with_array, Array, EvalError, Value};
use blaze_ir::ops::{LinalgFn, ReduceFn, Routine};
use blaze_ir::{Function, GatherItem, IndexVar, Literal, NodeId, Op};
use ndarray::{ArrayD, Dimension, IxDyn};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (`None`: rayon's default, one per core).
    pub threads: Option<usize>,
    /// Texts of the compiled kernels to keep (IR, optimized IR, assembly).
    pub dumps: Dumps,
    /// Elements per chunk of a full reduction; the result of a float
    /// reduction depends on it (reassociation), not on the thread count.
    pub chunk: usize,
    /// Print the typed IR and the requested kernel texts on stderr at every
    /// run (the default when `BLAZE_DUMP` is set: `ir` is the typed IR,
    /// `llvm-ir`, `opt-ir` and `asm` the kernels').
    pub print_dumps: bool,
}

fn env_dump(item: &str) -> bool {
    std::env::var("BLAZE_DUMP").is_ok_and(|v| v.split(',').any(|x| x.trim() == item))
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: None,
            dumps: Dumps::from_env(),
            chunk: 1 << 16,
            print_dumps: std::env::var("BLAZE_DUMP").is_ok_and(|v| !v.trim().is_empty()),
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Seconds spent compiling kernels (0 when all were cached).
    pub compile_seconds: f64,
    /// The kernels run, in order.
    pub kernels: Vec<Arc<Compiled>>,
    /// Operations that ran on the reference kernels.
    pub fallbacks: Vec<String>,
    /// BLAS/LAPACK routines called, as `%node: routine` (e.g. `%3: dsyrk`).
    pub calls: Vec<String>,
}

/// Which fused group a node belongs to, or how it runs.
#[derive(Clone, Debug)]
enum Step {
    /// A parameter: its input value.
    Param(usize),
    /// Computed inside a group that owns it; never materialized.
    Fused,
    /// The root of a group: runs a kernel.
    Group(Box<GroupPlan>),
    /// Runs on the reference kernels.
    Fallback,
    /// A matrix product or linear algebra on BLAS/LAPACK.
    Native,
    /// Index notation compiled as one kernel.
    Index(Box<IndexPlan>),
}

/// A `forall`/`sum(k: …)` compiled as one kernel over the iteration space
/// of its index variables: output axes (the `forall` variables), then the
/// reduced ones. Every `A[i, k]` becomes an operand whose strides sit on
/// the axes of its variables, as `einsum` does.
#[derive(Clone, Debug)]
struct IndexPlan {
    kernel: KernelSpec,
    operands: Vec<IndexOperand>,
    outer: Vec<IndexVar>,
    inner: Vec<IndexVar>,
    reduce: Option<ReduceFn>,
}

#[derive(Clone, Debug)]
enum IndexOperand {
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

#[derive(Clone, Debug)]
struct GroupPlan {
    kernel: KernelSpec,
    /// Nodes whose values are the kernel's inputs, in input order.
    leaves: Vec<NodeId>,
    reduce: Option<ReducePlan>,
}

#[derive(Clone, Debug)]
struct ReducePlan {
    f: ReduceFn,
    axes: Option<Vec<usize>>,
    keepdims: bool,
    /// `mean`: divide the sum by the count afterwards.
    mean: bool,
}

/// A function with its execution plan, ready to run many times.
#[derive(Clone, Debug)]
pub struct Prepared {
    f: Function,
    steps: Vec<Step>,
    /// Index notation runs on the interpreter for now.
    interpret: bool,
}

fn plain_scalar(m: &Measure) -> Option<Scalar> {
    match m {
        Measure::Scalar { scalar } if blaze_codegen::supported(*scalar) => Some(*scalar),
        _ => None,
    }
}

fn elementwise(f: &Function, id: NodeId) -> bool {
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

fn reducible(f: &Function, id: NodeId) -> Option<ReducePlan> {
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

fn constant(s: Scalar, l: &Literal) -> Const {
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
            Step::Fallback
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

/// The element type of a plain (non-option) measure, any scalar type.
fn any_scalar(m: &Measure) -> Option<Scalar> {
    match m {
        Measure::Scalar { scalar } => Some(*scalar),
        _ => None,
    }
}

/// Whether node `id` runs on BLAS/LAPACK: routine calls, and matrix
/// products and linear algebra on float or complex arrays.
fn native(f: &Function, id: NodeId) -> bool {
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
                .and_then(|a| any_scalar(&f.node(*a).ty.measure));
            n.args.iter().all(inexact)
                && n.args
                    .iter()
                    .all(|a| any_scalar(&f.node(*a).ty.measure) == first)
        }
        _ => false,
    }
}

/// The BLAS/LAPACK name of what node `id` calls, with its type prefix.
fn routine_name(f: &Function, id: NodeId) -> String {
    let n = f.node(id);
    let s = n
        .args
        .first()
        .and_then(|a| any_scalar(&f.node(*a).ty.measure));
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

/// Runs a [`Step::Native`] node on BLAS/LAPACK.
fn run_native(f: &Function, id: NodeId, args: &[&Value]) -> Result<Value, EvalError> {
    let n = f.node(id);
    let mut arrays = Vec::with_capacity(args.len());
    for v in args {
        match v {
            Value::Array {
                data,
                missing: None,
            } => arrays.push(data),
            _ => {
                // Masked or structured values: the reference kernels.
                return eval_op(f, id, args.iter().map(|v| (*v).clone()).collect());
            }
        }
    }
    let out = match &n.ty.measure {
        Measure::Tuple { elems } => elems.first().and_then(|e| any_scalar(&e.measure)),
        m => any_scalar(m),
    }
    .unwrap_or(Scalar::Float64);
    let a = arrays.as_slice();
    let value: Value = match &n.op {
        Op::Call(r) => match *r {
            Routine::Gemm { trans_a, trans_b } => blas::gemm(a, trans_a, trans_b)?.into(),
            Routine::Gemv { trans } => blas::gemv(a, trans)?.into(),
            Routine::Dot => blas::dot(a)?.into(),
            Routine::Syrk { trans } => blas::syrk(a, trans)?.into(),
            Routine::Trsm { lower } => blas::trsm(a, lower)?.into(),
            Routine::SymEig => lapack::sym_eig(a[0], out)?,
        },
        Op::MatMul => blas::matmul(a[0], a[1])?.into(),
        Op::Linalg(l) => lapack::linalg(*l, a, out)?,
        _ => return eval_op(f, id, args.iter().map(|v| (*v).clone()).collect()),
    };
    Ok(value)
}

/// For every node, the index variables its value depends on (free ones:
/// a loop binds its own).
fn index_deps(f: &Function) -> Vec<Vec<IndexVar>> {
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

/// The plan of a loop at `root` (no free index variables), if its body is
/// elementwise arithmetic over indexed arrays, with at most one reduction
/// directly under the `forall`.
fn index_plan(f: &Function, root: NodeId, deps: &[Vec<IndexVar>]) -> Option<IndexPlan> {
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
        kernel: KernelSpec {
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

fn build_group(
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
        kernel: KernelSpec {
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

/// A value computed by a step, or borrowed from the inputs.
// One per node and short-lived; boxing values would cost an allocation each.
#[allow(clippy::large_enum_variant)]
enum Slot<'a> {
    Empty,
    Borrowed(&'a Value),
    Owned(Value),
}

impl Slot<'_> {
    fn get(&self) -> Option<&Value> {
        match self {
            Slot::Empty => None,
            Slot::Borrowed(v) => Some(v),
            Slot::Owned(v) => Some(v),
        }
    }
}

fn pool(threads: Option<usize>) -> Result<Option<Arc<rayon::ThreadPool>>, EvalError> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let Some(n) = threads else { return Ok(None) };
    let pools = POOLS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = pools
        .lock()
        .map_err(|_| EvalError::Value("thread pools poisoned".into()))?;
    if let Some(p) = map.get(&n) {
        return Ok(Some(p.clone()));
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(|e| EvalError::Value(format!("cannot start {n} threads: {e}")))?,
    );
    map.insert(n, p.clone());
    Ok(Some(p))
}

fn identity(f: ReduceFn, s: Scalar) -> Array {
    let one = |lit: Literal| {
        let base = match lit {
            Literal::Bool(b) => Array::Bool(ArrayD::from_elem(IxDyn(&[]), b)),
            Literal::Int(i) => Array::Int64(ArrayD::from_elem(IxDyn(&[]), i as i64)),
            Literal::Float(x) => Array::Float64(ArrayD::from_elem(IxDyn(&[]), x)),
            Literal::Complex(..) => Array::Float64(ArrayD::from_elem(IxDyn(&[]), 0.0)),
        };
        kernels::cast(&base, s)
    };
    let float = matches!(s, Scalar::Float16 | Scalar::Float32 | Scalar::Float64);
    let (min, max): (Array, Array) = match s {
        Scalar::UInt64 => (
            Array::UInt64(ArrayD::from_elem(IxDyn(&[]), u64::MAX)),
            Array::UInt64(ArrayD::from_elem(IxDyn(&[]), 0)),
        ),
        _ if float => (
            one(Literal::Float(f64::INFINITY)),
            one(Literal::Float(f64::NEG_INFINITY)),
        ),
        _ => {
            let bits = s.bits();
            let signed = s.kind() == blaze_datashape::ScalarKind::Signed;
            let (lo, hi): (i128, i128) = if signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            };
            (one(Literal::Int(hi)), one(Literal::Int(lo)))
        }
    };
    match f {
        ReduceFn::Sum | ReduceFn::Any => one(Literal::Int(0)),
        ReduceFn::Prod | ReduceFn::All => one(Literal::Int(1)),
        ReduceFn::Min => min,
        _ => max,
    }
}

fn fill(a: &mut Array, v: &Array) {
    macro_rules! go {
        ($($variant:ident),*) => {
            match (a, v) {
                $((Array::$variant(x), Array::$variant(y)) => {
                    if let Some(val) = y.iter().next() {
                        x.fill(val.clone());
                    }
                })*
                _ => {}
            }
        };
    }
    go!(
        Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float16, Float32, Float64,
        Complex64, Complex128
    );
}

/// A zeroed output array. Large ones ask the kernel for transparent huge
/// pages before the first touch (as NumPy does): the kernels then fault in
/// 2 MiB pages instead of 4 KiB ones, which costs far less than the
/// computation instead of more.
fn output_array(s: Scalar, shape: &[usize]) -> Array {
    let mut a = Array::zeros(s, shape);
    let bytes = a.len() * s.size_bytes();
    crate::memory::advise_huge_pages(mut_ptr(&mut a), bytes);
    a
}

fn mut_ptr(a: &mut Array) -> *mut u8 {
    with_array!(a, x => x.as_mut_ptr().cast::<u8>())
}

/// Pointer to element 0 and strides (elements) of `a` broadcast to `shape`.
fn operand(a: &Array, shape: &[usize]) -> Result<(*mut u8, Vec<i64>), EvalError> {
    with_array!(a, x => {
        let v = x.broadcast(IxDyn(shape)).ok_or_else(|| {
            EvalError::Shape(format!("cannot broadcast shape {:?} to {:?}", x.shape(), shape))
        })?;
        Ok((v.as_ptr().cast::<u8>().cast_mut(), v.strides().iter().map(|&s| s as i64).collect()))
    })
}

impl Prepared {
    /// The function.
    pub fn function(&self) -> &Function {
        &self.f
    }

    /// Runs on `inputs` (one per parameter, checked against the types).
    pub fn run(&self, inputs: &[Value], opts: &Options) -> Result<(Value, Report), EvalError> {
        let result = self.run_quiet(inputs, opts);
        if opts.print_dumps {
            if env_dump("ir") {
                eprintln!("{}", self.f);
            }
            if let Ok((_, report)) = &result {
                for k in &report.kernels {
                    for text in [&k.ir, &k.opt_ir, &k.asm].into_iter().flatten() {
                        eprintln!("; kernel {} — {}\n{text}", k.name, k.key);
                    }
                }
            }
        }
        result
    }

    fn run_quiet(&self, inputs: &[Value], opts: &Options) -> Result<(Value, Report), EvalError> {
        let mut report = Report::default();
        if self.interpret {
            report.fallbacks.push("index notation (interpreter)".into());
            return Ok((eval(&self.f, inputs)?, report));
        }
        check_inputs(&self.f, inputs)?;
        let pool = pool(opts.threads)?;
        let mut slots: Vec<Slot> = (0..self.f.nodes.len()).map(|_| Slot::Empty).collect();
        for (i, step) in self.steps.iter().enumerate() {
            let id = NodeId(i as u32);
            let value = match step {
                Step::Param(p) => {
                    slots[i] = Slot::Borrowed(&inputs[*p]);
                    continue;
                }
                Step::Fused => continue,
                Step::Group(g) => self.run_group(g, &slots, opts, pool.as_deref(), &mut report)?,
                Step::Index(p) => self.run_index(p, &slots, opts, pool.as_deref(), &mut report)?,
                Step::Native => {
                    let args = self
                        .f
                        .node(id)
                        .args
                        .iter()
                        .map(|a| {
                            slots[a.index()].get().ok_or_else(|| {
                                EvalError::Value(format!("value of %{} missing", a.0))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    crate::blas::set_threads(opts.threads.unwrap_or(0));
                    report.calls.push(routine_name(&self.f, id));
                    run_native(&self.f, id, &args)?
                }
                Step::Fallback => {
                    let args = self
                        .f
                        .node(id)
                        .args
                        .iter()
                        .map(|a| {
                            slots[a.index()].get().cloned().ok_or_else(|| {
                                EvalError::Value(format!("value of %{} missing", a.0))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    report.fallbacks.push(format!("%{i}"));
                    eval_op(&self.f, id, args)?
                }
            };
            slots[i] = Slot::Owned(value);
        }
        let root = self.f.root.index();
        match std::mem::replace(&mut slots[root], Slot::Empty) {
            Slot::Owned(v) => Ok((v, report)),
            Slot::Borrowed(v) => Ok((v.clone(), report)),
            Slot::Empty => Err(EvalError::Value("the result was not computed".into())),
        }
    }

    fn run_group(
        &self,
        g: &GroupPlan,
        slots: &[Slot],
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Value, EvalError> {
        let mut leaves: Vec<&Array> = Vec::with_capacity(g.leaves.len());
        for l in &g.leaves {
            match slots[l.index()].get() {
                Some(Value::Array {
                    data,
                    missing: None,
                }) => leaves.push(data),
                Some(_) => {
                    return Err(EvalError::Value(format!(
                        "input %{} of a kernel is not a plain array",
                        l.0
                    )))
                }
                None => return Err(EvalError::Value(format!("value of %{} missing", l.0))),
            }
        }
        let mut shape: Vec<usize> = vec![];
        for a in &leaves {
            shape = kernels::broadcast_shapes(&shape, a.shape())?;
        }
        let rank = shape.len();
        let mut ptrs: Vec<*mut u8> = Vec::with_capacity(leaves.len() + 1);
        let mut strides: Vec<i64> = Vec::with_capacity((leaves.len() + 1) * rank);
        for a in &leaves {
            let (p, s) = operand(a, &shape)?;
            ptrs.push(p);
            strides.extend(s);
        }
        self.launch_group(g, ptrs, strides, &shape, opts, pool, report)
    }

    fn run_index(
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

    /// Runs the kernel of `g` over `shape`, given each input's pointer and
    /// strides (elements, per axis); allocates the output.
    #[allow(clippy::too_many_arguments)]
    fn launch_group(
        &self,
        g: &GroupPlan,
        mut ptrs: Vec<*mut u8>,
        mut strides: Vec<i64>,
        shape: &[usize],
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Value, EvalError> {
        let shape = shape.to_vec();
        let rank = shape.len();
        let k = &g.kernel;
        let total: usize = shape.iter().product();
        match &g.reduce {
            None => {
                let mut out = output_array(k.output, &shape);
                let mut out_strides = vec![0i64; rank];
                let mut acc = 1i64;
                for d in (0..rank).rev() {
                    out_strides[d] = acc;
                    acc *= shape[d] as i64;
                }
                ptrs.push(mut_ptr(&mut out));
                strides.extend(&out_strides);
                let compiled = self.compile(k, rank, &strides, opts, report)?;
                let threads =
                    pool.map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
                launch_flat(
                    &compiled,
                    &ptrs,
                    &strides,
                    &shape,
                    total,
                    // Many more chunks than threads: a core that another
                    // process slows down takes fewer of them.
                    (total / (threads * 16)).max(1 << 14),
                    pool,
                );
                Ok(out.into())
            }
            Some(r) => {
                let axes: Vec<usize> = r.axes.clone().unwrap_or_else(|| (0..rank).collect());
                if axes.iter().any(|&a| a >= rank) {
                    return Err(EvalError::Shape(format!(
                        "reduction axes {axes:?} for rank {rank}"
                    )));
                }
                let reduced: usize = axes.iter().map(|&a| shape[a]).product();
                if reduced == 0 && matches!(r.f, ReduceFn::Min | ReduceFn::Max) {
                    return Err(EvalError::Value(format!(
                        "zero-size array to reduction operation {} which has no identity",
                        r.f.name()
                    )));
                }
                let out_shape: Vec<usize> = (0..rank)
                    .filter(|d| !axes.contains(d))
                    .map(|d| shape[d])
                    .collect();
                let id = identity(r.f, k.output);
                let value = if out_shape.is_empty() {
                    self.full_reduce(g, r, &id, ptrs, strides, &shape, total, opts, pool, report)?
                } else {
                    let mut out = output_array(k.output, &out_shape);
                    fill(&mut out, &id);
                    // Output strides along the iteration: 0 on reduced axes.
                    let mut ostr = vec![0i64; rank];
                    let mut acc = 1i64;
                    for d in (0..rank).rev() {
                        if !axes.contains(&d) {
                            ostr[d] = acc;
                            acc *= shape[d] as i64;
                        }
                    }
                    ptrs.push(mut_ptr(&mut out));
                    strides.extend(&ostr);
                    let compiled = self.compile(k, rank, &strides, opts, report)?;
                    let split = (0..rank).find(|d| !axes.contains(d) && shape[*d] > 1);
                    let sizes: Vec<usize> = k
                        .inputs
                        .iter()
                        .chain([&k.output])
                        .map(|s| s.size_bytes())
                        .collect();
                    launch_split(&compiled, &ptrs, &strides, &shape, split, &sizes, pool);
                    out
                };
                let mut value = value;
                if r.mean {
                    let n = Array::Float64(ArrayD::from_elem(IxDyn(&[]), reduced as f64));
                    let n = kernels::cast(&n, value.scalar());
                    value = kernels::binary(blaze_ir::ops::BinaryFn::Div, &value, &n)?;
                }
                if r.keepdims {
                    let kept: Vec<usize> = (0..rank)
                        .map(|d| if axes.contains(&d) { 1 } else { shape[d] })
                        .collect();
                    value = with_array!(&value, x => {
                        let y = x.clone().into_shape_with_order(IxDyn(&kept)).map_err(|e| EvalError::Shape(e.to_string()))?;
                        blaze_interp::Element::wrap(y)
                    });
                }
                Ok(value.into())
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn full_reduce(
        &self,
        g: &GroupPlan,
        r: &ReducePlan,
        id: &Array,
        mut ptrs: Vec<*mut u8>,
        mut strides: Vec<i64>,
        shape: &[usize],
        total: usize,
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Array, EvalError> {
        let k = &g.kernel;
        let rank = shape.len();
        let chunk = opts.chunk.max(1);
        let nchunks = total.div_ceil(chunk);
        let mut partials = Array::zeros(k.output, &[nchunks]);
        fill(&mut partials, id);
        let base = mut_ptr(&mut partials);
        let size = k.output.size_bytes();
        ptrs.push(base);
        strides.extend(std::iter::repeat_n(0, rank));
        let compiled = self.compile(k, rank, &strides, opts, report)?;
        let run = |c: usize| {
            let mut p = ptrs.clone();
            // SAFETY: `c < nchunks`, inside the partials array.
            p[ptrs.len() - 1] = unsafe { base.add(c * size) };
            let begin = (c * chunk) as i64;
            let end = ((c + 1) * chunk).min(total) as i64;
            let sh: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
            // SAFETY: operands are valid for the iteration space; this chunk
            // writes only its own partial.
            unsafe { (compiled.func)(p.as_ptr(), strides.as_ptr(), sh.as_ptr(), begin, end) };
        };
        if nchunks <= 1 || total < (1 << 15) {
            (0..nchunks).for_each(run);
        } else {
            let sendable = SendRun(&run);
            let go = || (0..nchunks).into_par_iter().for_each(|c| sendable.call(c));
            match pool {
                Some(p) => p.install(go),
                None => go(),
            }
        }
        let combined = kernels::reduce(r.f, &partials, None, None, false)?;
        Ok(combined)
    }

    fn compile(
        &self,
        k: &KernelSpec,
        rank: usize,
        strides: &[i64],
        opts: &Options,
        report: &mut Report,
    ) -> Result<Arc<Compiled>, EvalError> {
        let n_ops = k.inputs.len() + 1;
        let layouts: Vec<Layout> = (0..n_ops)
            .map(|i| {
                if rank == 0 {
                    Layout::Broadcast
                } else {
                    Layout::of_stride(strides[i * rank + rank - 1])
                }
            })
            .collect();
        let key = KernelKey {
            spec: k.clone(),
            rank,
            layouts,
        };
        let jit = jit().map_err(|e| EvalError::Value(format!("JIT unavailable: {}", e.0)))?;
        let t0 = Instant::now();
        let before = jit.cached();
        let c = jit
            .kernel(&key, opts.dumps)
            .map_err(|e| EvalError::Value(format!("kernel compilation failed: {}", e.0)))?;
        if jit.cached() > before || opts.dumps.any() {
            report.compile_seconds += t0.elapsed().as_secs_f64();
        }
        report.kernels.push(c.clone());
        Ok(c)
    }
}

/// Wraps a closure that captures raw pointers so rayon may share it.
struct SendRun<'a, F: Fn(usize)>(&'a F);
// SAFETY: the closure only reads shared data and writes disjoint memory per
// index.
unsafe impl<F: Fn(usize)> Sync for SendRun<'_, F> {}
unsafe impl<F: Fn(usize)> Send for SendRun<'_, F> {}

impl<F: Fn(usize)> SendRun<'_, F> {
    fn call(&self, i: usize) {
        (self.0)(i)
    }
}

fn launch_flat(
    c: &Compiled,
    ptrs: &[*mut u8],
    strides: &[i64],
    shape: &[usize],
    total: usize,
    chunk: usize,
    pool: Option<&rayon::ThreadPool>,
) {
    let sh: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    let func = c.func;
    let call = |begin: usize, end: usize| {
        // SAFETY: every operand covers the iteration space; chunks write
        // disjoint parts of the output.
        unsafe {
            func(
                ptrs.as_ptr(),
                strides.as_ptr(),
                sh.as_ptr(),
                begin as i64,
                end as i64,
            )
        };
    };
    if total <= chunk {
        call(0, total);
        return;
    }
    let n = total.div_ceil(chunk);
    let run = |i: usize| call(i * chunk, ((i + 1) * chunk).min(total));
    let sendable = SendRun(&run);
    let go = || (0..n).into_par_iter().for_each(|i| sendable.call(i));
    match pool {
        Some(p) => p.install(go),
        None => go(),
    }
}

/// Splits the iteration along `axis` (kept by the reduction) into pieces
/// run in parallel; each output element is written by one piece.
#[allow(clippy::too_many_arguments)]
fn launch_split(
    c: &Compiled,
    ptrs: &[*mut u8],
    strides: &[i64],
    shape: &[usize],
    axis: Option<usize>,
    sizes: &[usize],
    pool: Option<&rayon::ThreadPool>,
) {
    let rank = shape.len();
    let total: usize = shape.iter().product();
    let func = c.func;
    let n_ops = ptrs.len();
    let Some(a) = axis.filter(|_| total >= (1 << 15)) else {
        let sh: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        // SAFETY: as in `launch_flat`.
        unsafe {
            func(
                ptrs.as_ptr(),
                strides.as_ptr(),
                sh.as_ptr(),
                0,
                total as i64,
            )
        };
        return;
    };
    let threads = pool.map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
    let extent = shape[a];
    // Along an inner axis, few wide pieces keep every row read contiguous.
    let per_thread = if a == 0 { 4 } else { 1 };
    let pieces = (threads * per_thread).min(extent).max(1);
    let step = extent.div_ceil(pieces);
    let run = |i: usize| {
        let start = i * step;
        if start >= extent {
            return;
        }
        let len = step.min(extent - start);
        let mut sh: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        sh[a] = len as i64;
        let p: Vec<*mut u8> = (0..n_ops)
            .map(|k| {
                let elems = strides[k * rank + a] as isize * start as isize;
                ptrs[k].wrapping_offset(elems * sizes[k] as isize)
            })
            .collect();
        let piece_total: i64 = sh.iter().product();
        // SAFETY: the piece lies inside every operand; pieces write disjoint
        // output elements (the split axis is kept by the reduction).
        unsafe { func(p.as_ptr(), strides.as_ptr(), sh.as_ptr(), 0, piece_total) };
    };
    let sendable = SendRun(&run);
    let go = || (0..pieces).into_par_iter().for_each(|i| sendable.call(i));
    match pool {
        Some(p) => p.install(go),
        None => go(),
    }
}

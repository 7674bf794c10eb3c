//! Analyses of a [`Function`]'s node graph that the engines and passes
//! share: use counts and consumers, the free index variables of each node,
//! liveness and pruning, extracting part of a function as a function of
//! its own, which nodes are elementwise, and merging a parameter's leading
//! axes where no result can tell (`leading`).
//!
//! Everything here reads the IR and returns new values; nothing looks at
//! data, and nothing decides how an engine runs a node (that stays with
//! the engines).

mod leading;

pub use leading::merge_leading_axes;

use crate::node::{Function, GatherItem, IndexVar, Literal, Node, NodeId, Op};
use crate::ops::UnaryFn;
use blaze_datashape::{Datashape, Dim, Measure, Scalar};

/// How many times each node is used, indexed like the arena: once per
/// argument slot that names it (`x * x` uses `x` twice), plus one for the
/// root, which the caller of the function uses.
pub fn uses(f: &Function) -> Vec<usize> {
    let mut uses = vec![0usize; f.nodes.len()];
    for n in &f.nodes {
        for a in &n.args {
            uses[a.index()] += 1;
        }
    }
    if let Some(u) = uses.get_mut(f.root.index()) {
        *u += 1;
    }
    uses
}

/// For each node, the last node (in arena order) that takes it as an
/// argument, or `None` when no node does. When a node's [`uses`] count is
/// 1 and it is not the root, this is its single consumer.
pub fn consumer(f: &Function) -> Vec<Option<NodeId>> {
    let mut consumer = vec![None; f.nodes.len()];
    for (i, n) in f.nodes.iter().enumerate() {
        for a in &n.args {
            consumer[a.index()] = Some(NodeId(i as u32));
        }
    }
    consumer
}

/// For every node, the index variables its value depends on, ascending
/// and without repeats. These are the free variables: `IndexValue`, `Eps`,
/// `Delta` and the variables of a `Gather` add theirs, every node inherits
/// its arguments', and a `Forall` or `IndexReduce` removes the variables it
/// binds. A node with none is computed once; the others once per index
/// tuple of their enclosing loops.
pub fn index_deps(f: &Function) -> Vec<Vec<IndexVar>> {
    let mut deps: Vec<Vec<IndexVar>> = Vec::with_capacity(f.nodes.len());
    for n in &f.nodes {
        let mut d: Vec<IndexVar> = n
            .args
            .iter()
            .flat_map(|a| deps[a.index()].iter().copied())
            .collect();
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
        d.sort_unstable();
        d.dedup();
        deps.push(d);
    }
    deps
}

/// Which nodes are live: the root, every parameter node (a function keeps
/// its signature), and everything they depend on.
pub fn live(f: &Function) -> Vec<bool> {
    let mut live = vec![false; f.nodes.len()];
    if let Some(l) = live.get_mut(f.root.index()) {
        *l = true;
    }
    for i in (0..f.nodes.len()).rev() {
        if live[i] || matches!(f.nodes[i].op, Op::Param(_)) {
            live[i] = true;
            for a in &f.nodes[i].args {
                live[a.index()] = true;
            }
        }
    }
    live
}

/// Whether nodes `a` and `b` compute the same value: the same node, or the
/// same operation on operands that compute the same values (an expression
/// written twice, `(A - m).T @ (A - m)`). Every operation is a pure
/// function of its operands; graphs deeper than a few dozen nodes are
/// compared only by identity.
pub fn same_value(f: &Function, a: NodeId, b: NodeId) -> bool {
    fn go(f: &Function, a: NodeId, b: NodeId, depth: usize) -> bool {
        if a == b {
            return true;
        }
        let (x, y) = (f.node(a), f.node(b));
        depth < 48
            && x.op == y.op
            && x.ty == y.ty
            && x.weak == y.weak
            && x.args.len() == y.args.len()
            && !matches!(x.op, Op::Param(_))
            && x.args
                .iter()
                .zip(&y.args)
                .all(|(&p, &q)| go(f, p, q, depth + 1))
    }
    go(f, a, b, 0)
}

/// `f` without the nodes that are not [`live`]; the others keep their
/// order, their arguments renumbered. Index variables and parameters are
/// kept as they are.
pub fn prune(f: Function) -> Function {
    let live = live(&f);
    let mut map = vec![NodeId(0); f.nodes.len()];
    let mut nodes = Vec::with_capacity(f.nodes.len());
    for (i, n) in f.nodes.into_iter().enumerate() {
        if live[i] {
            map[i] = NodeId(nodes.len() as u32);
            let args = n.args.iter().map(|a| map[a.index()]).collect();
            nodes.push(Node { args, ..n });
        }
    }
    let out = Function {
        root: map.get(f.root.index()).copied().unwrap_or(f.root),
        nodes,
        ..f
    };
    crate::verify::debug_verify("prune", &out);
    out
}

/// Where a parameter of an [`extract`]ed function comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamSource {
    /// Parameter `i` of the original function.
    Param(usize),
    /// Entry `k` of the `cut` nodes.
    Cut(usize),
}

/// A new function computing `roots` of `f`, in which the nodes of `cut`
/// become parameters (the block of work between a cut and the roots, as
/// a function of its own).
///
/// Its parameters are, in this order: the parameters `p` of `f` with
/// `keep_param(p)` (with their names, in their order, whether used or
/// not), then each cut node that the roots need, named
/// `{cut_name}{k}` for entry `k` of `cut` (a cut node that is a kept
/// parameter stays that parameter). The second result says where
/// each parameter comes from. Its nodes are the ones the roots need
/// through the cut (arena order kept); its root is the root node when
/// there is one, else a tuple of the roots in their order. Parameter nodes
/// of the new function have no span.
///
/// An error names a parameter of `f` that the roots need but
/// `keep_param` drops, or a root or cut node that does not exist.
pub fn extract(
    f: &Function,
    roots: &[NodeId],
    cut: &[NodeId],
    keep_param: &dyn Fn(usize) -> bool,
    cut_name: &str,
) -> Result<(Function, Vec<ParamSource>), String> {
    let len = f.nodes.len();
    if let Some(bad) = roots.iter().chain(cut).find(|id| id.index() >= len) {
        return Err(format!("`{}` has no node %{}", f.name, bad.0));
    }
    let mut need = vec![false; len];
    for r in roots {
        need[r.index()] = true;
    }
    for i in (0..len).rev() {
        if need[i] && !cut.contains(&NodeId(i as u32)) {
            for a in &f.nodes[i].args {
                need[a.index()] = true;
            }
        }
    }
    let mut map: Vec<Option<NodeId>> = vec![None; len];
    let mut nodes: Vec<Node> = Vec::new();
    let mut params: Vec<(String, Datashape)> = Vec::new();
    let mut sources = Vec::new();
    let mut param_node = |params: &mut Vec<(String, Datashape)>, name: String, ty: &Datashape| {
        params.push((name, ty.clone()));
        nodes.push(Node {
            op: Op::Param(params.len() - 1),
            args: vec![],
            ty: ty.clone(),
            weak: false,
            span: Default::default(),
        });
        NodeId(nodes.len() as u32 - 1)
    };
    for (p, (name, ty)) in f.params.iter().enumerate() {
        if keep_param(p) {
            sources.push(ParamSource::Param(p));
            let id = param_node(&mut params, name.clone(), ty);
            if let Some(i) = f.nodes.iter().position(|n| n.op == Op::Param(p)) {
                map[i] = Some(id);
            }
        }
    }
    for (k, c) in cut.iter().enumerate() {
        if need[c.index()] && map[c.index()].is_none() {
            sources.push(ParamSource::Cut(k));
            map[c.index()] = Some(param_node(
                &mut params,
                format!("{cut_name}{k}"),
                &f.node(*c).ty,
            ));
        }
    }
    for (i, n) in f.nodes.iter().enumerate() {
        if !need[i] || map[i].is_some() {
            continue;
        }
        if let Op::Param(p) = n.op {
            let name = f.params.get(p).map_or("?", |(name, _)| name.as_str());
            return Err(format!(
                "`{}`: parameter `{name}` (%{i}) is needed but not kept",
                f.name
            ));
        }
        let args = n.args.iter().map(|a| map[a.index()]).collect::<Option<_>>();
        let args =
            args.ok_or_else(|| format!("`{}`: %{i} uses a node that is not kept", f.name))?;
        nodes.push(Node { args, ..n.clone() });
        map[i] = Some(NodeId(nodes.len() as u32 - 1));
    }
    let mapped = |r: &NodeId| map[r.index()].ok_or_else(|| format!("%{} is not kept", r.0));
    let root = if let [r] = roots {
        mapped(r)?
    } else {
        let elems = roots.iter().map(|r| f.node(*r).ty.clone()).collect();
        nodes.push(Node {
            op: Op::MakeTuple,
            args: roots.iter().map(mapped).collect::<Result<_, _>>()?,
            ty: Datashape::new(vec![], Measure::Tuple { elems }),
            weak: false,
            span: Default::default(),
        });
        NodeId(nodes.len() as u32 - 1)
    };
    let out = Function {
        name: f.name.clone(),
        params,
        nodes,
        root,
        index_vars: f.index_vars.clone(),
    };
    crate::verify::debug_verify("extract", &out);
    Ok((out, sources))
}

/// Whether `op` is positionwise: each element of the result is computed
/// from the elements at the same (broadcast) position of the operands
/// alone. These are `Unary` (including `is_na`), `Binary`, `Where`,
/// `FillNa`, `Cast`, `ToDecimal` and `Field` (a record field of each element). Types are not looked at;
/// see [`is_elementwise`] for what a fused kernel computes.
pub fn is_positionwise(op: &Op) -> bool {
    matches!(
        op,
        Op::Unary(_)
            | Op::Binary(_)
            | Op::Where
            | Op::FillNa
            | Op::Cast(_)
            | Op::ToDecimal { .. }
            | Op::Field(_)
    )
}

/// Whether node `id` is elementwise arithmetic that a fused kernel
/// computes: its operation is
///
/// - `Unary` other than `is_na` (which, like `FillNa`, needs the missing
///   mask), `Binary`, `Where` or `Cast`, or
/// - a scalar `Literal` that is not complex,
///
/// its type has no ellipsis dimension, and its element type and those of
/// all its arguments are plain scalars (no option, record or tuple) that
/// `compiles` accepts (the kernel generator's list, e.g.
/// `blaze_codegen::supported`). Parameters, reductions and everything else
/// are not elementwise.
pub fn is_elementwise(f: &Function, id: NodeId, compiles: impl Fn(Scalar) -> bool) -> bool {
    let n = f.node(id);
    let op = match &n.op {
        Op::Unary(u) => *u != UnaryFn::IsNa,
        Op::FillNa => false,
        Op::Literal(l) => !matches!(l, Literal::Complex(..)) && n.ty.dims.is_empty(),
        Op::Field(_) => false,
        op => is_positionwise(op),
    };
    let plain = |t: &Datashape| t.measure.as_scalar().is_some_and(&compiles);
    op && !n.ty.dims.iter().any(|d| matches!(d, Dim::Ellipsis(_)))
        && plain(&n.ty)
        && n.args.iter().all(|a| plain(&f.node(*a).ty))
}

/// Whether node `id` is elementwise arithmetic over values that may be
/// missing, which a fused kernel computes with a missing flag beside each
/// value: what [`is_elementwise`] admits, and also over options (`?T` of a
/// scalar `compiles` accepts) and `null` (the type of `na`), plus the
/// operations that read or make missing values: `is_na`, `FillNa` and a
/// scalar `Na`. Parameters, reductions and everything else are not.
pub fn is_elementwise_over_options(
    f: &Function,
    id: NodeId,
    compiles: impl Fn(Scalar) -> bool,
) -> bool {
    let n = f.node(id);
    let op = match &n.op {
        Op::Literal(l) => !matches!(l, Literal::Complex(..)) && n.ty.dims.is_empty(),
        Op::Na => n.ty.dims.is_empty(),
        Op::Field(_) => false,
        op => is_positionwise(op),
    };
    let scalar = |t: &Datashape| match &t.measure {
        Measure::Null => true,
        m => m.element_scalar().is_some_and(&compiles),
    };
    op && !n.ty.dims.iter().any(|d| matches!(d, Dim::Ellipsis(_)))
        && scalar(&n.ty)
        && n.args.iter().all(|a| scalar(&f.node(*a).ty))
}

#[cfg(test)]
mod tests;

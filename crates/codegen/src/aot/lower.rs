//! Reductions an object computes in several steps, rewritten into the
//! ones it computes in one: `var(x)` is `mean((x - m) * (x - m))` with
//! `m = mean(x, keepdims=true)` over the same axes — two passes, as the
//! reference kernels compute it — and `std(x)` its square root; integer
//! and bool `x` are cast to float64 first, as the reference does. The
//! program planner then cuts the result into fused groups like any other
//! definition.

use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_ir::ops::{float_of, BinaryFn, ReduceFn, UnaryFn};
use blaze_ir::{Function, Node, NodeId, Op};

/// `f` with every `var` and `std` of a real or integer array expanded
/// (see the module docs); `f` itself when it has none.
pub(crate) fn lower_moments(f: &Function) -> Function {
    let mut out: Vec<Node> = Vec::with_capacity(f.nodes.len());
    let mut map: Vec<NodeId> = Vec::with_capacity(f.nodes.len());
    for node in &f.nodes {
        let args: Vec<NodeId> = node.args.iter().map(|a| map[a.index()]).collect();
        let id = match moments(f, node) {
            Some((rf, axes, keepdims, work)) => {
                let x = args[0];
                expand(&mut out, node, x, rf, axes, keepdims, work)
            }
            None => push(
                &mut out,
                Node {
                    args,
                    ..node.clone()
                },
            ),
        };
        map.push(id);
    }
    Function {
        name: f.name.clone(),
        params: f.params.clone(),
        nodes: out,
        root: map[f.root.index()],
        index_vars: f.index_vars.clone(),
    }
}

type Moments = (ReduceFn, Option<Vec<usize>>, bool, Scalar);

/// The reduction, axes, keepdims and float type of a `var` or `std` node
/// over a plain real or integer array.
fn moments(f: &Function, node: &Node) -> Option<Moments> {
    let Op::Reduce {
        f: rf @ (ReduceFn::Var | ReduceFn::Std),
        axes,
        keepdims,
    } = &node.op
    else {
        return None;
    };
    let arg = f.node(*node.args.first()?);
    let s = arg.ty.measure.as_scalar()?;
    let work = float_of(s);
    matches!(work, Scalar::Float32 | Scalar::Float64).then(|| (*rf, axes.clone(), *keepdims, work))
}

fn push(out: &mut Vec<Node>, node: Node) -> NodeId {
    out.push(node);
    NodeId(out.len() as u32 - 1)
}

/// Pushes the nodes of `rf` (`var` or `std`) of `x` for `node`; the id of
/// the last.
fn expand(
    out: &mut Vec<Node>,
    node: &Node,
    x: NodeId,
    rf: ReduceFn,
    axes: Option<Vec<usize>>,
    keepdims: bool,
    work: Scalar,
) -> NodeId {
    let x_ty = out[x.index()].ty.clone();
    let measure = Measure::Scalar { scalar: work };
    let make = |op: Op, args: Vec<NodeId>, ty: Datashape| Node {
        op,
        args,
        ty,
        weak: false,
        span: node.span,
    };
    let full = Datashape::new(x_ty.dims.clone(), measure.clone());
    let x = if x_ty.measure == measure {
        x
    } else {
        push(out, make(Op::Cast(work), vec![x], full.clone()))
    };
    let rank = x_ty.dims.len();
    let reduced = axes.clone().unwrap_or_else(|| (0..rank).collect());
    let kept = Datashape::new(
        x_ty.dims
            .iter()
            .enumerate()
            .map(|(d, dim)| {
                if reduced.contains(&d) {
                    Dim::Fixed(1)
                } else {
                    dim.clone()
                }
            })
            .collect(),
        measure.clone(),
    );
    let mean = |axes: Option<Vec<usize>>, keepdims| Op::Reduce {
        f: ReduceFn::Mean,
        axes,
        keepdims,
    };
    let m = push(out, make(mean(axes.clone(), true), vec![x], kept));
    let d1 = push(
        out,
        make(Op::Binary(BinaryFn::Sub), vec![x, m], full.clone()),
    );
    let d2 = push(
        out,
        make(Op::Binary(BinaryFn::Sub), vec![x, m], full.clone()),
    );
    let sq = push(out, make(Op::Binary(BinaryFn::Mul), vec![d1, d2], full));
    let var_ty = Datashape::new(node.ty.dims.clone(), measure);
    let var = push(out, make(mean(axes, keepdims), vec![sq], var_ty.clone()));
    match rf {
        ReduceFn::Std => push(out, make(Op::Unary(UnaryFn::Sqrt), vec![var], var_ty)),
        _ => var,
    }
}

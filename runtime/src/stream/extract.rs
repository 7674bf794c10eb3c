//! Cutting a function in two: the *block function* (what runs on every
//! block) and the *tail* (what runs once on the combined partials) are each
//! extracted from the planned function as functions of their own.

use blaze_datashape::{Datashape, Measure};
use blaze_ir::{Function, Node, NodeId, Op};
use std::collections::HashMap;

/// Where a parameter of an extracted function comes from.
#[derive(Clone, Copy, Debug)]
pub(super) enum Origin {
    /// Parameter `i` of the original function.
    Param(usize),
    /// Frontier entry `i` (a combined partial result).
    Frontier(usize),
}

/// A new function computing `roots` of `f`, in which the nodes of `cut`
/// become parameters; `keep_param` says which of `f`'s parameters stay.
/// Returns the function and where each of its parameters comes from.
pub(super) fn extract(
    f: &Function,
    roots: &[NodeId],
    cut: &[NodeId],
    keep_param: &dyn Fn(usize) -> bool,
) -> (Function, Vec<Origin>) {
    let mut need = vec![false; f.nodes.len()];
    for r in roots {
        need[r.index()] = true;
    }
    for i in (0..f.nodes.len()).rev() {
        if need[i] && !cut.contains(&NodeId(i as u32)) {
            for a in &f.nodes[i].args {
                need[a.index()] = true;
            }
        }
    }
    let mut map: HashMap<usize, NodeId> = HashMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut params: Vec<(String, Datashape)> = Vec::new();
    let mut sources = Vec::new();
    // Kept parameters first, in their order, so every function's inputs
    // are easy to line up.
    for (p, (name, ty)) in f.params.iter().enumerate() {
        if keep_param(p) {
            let node = f.nodes.iter().position(|n| n.op == Op::Param(p));
            params.push((name.clone(), ty.clone()));
            sources.push(Origin::Param(p));
            nodes.push(Node {
                op: Op::Param(params.len() - 1),
                args: vec![],
                ty: ty.clone(),
                weak: false,
                span: Default::default(),
            });
            if let Some(i) = node {
                map.insert(i, NodeId(nodes.len() as u32 - 1));
            }
        }
    }
    for (k, c) in cut.iter().enumerate() {
        if need[c.index()] {
            let ty = f.node(*c).ty.clone();
            params.push((format!("partial{k}"), ty.clone()));
            sources.push(Origin::Frontier(k));
            nodes.push(Node {
                op: Op::Param(params.len() - 1),
                args: vec![],
                ty,
                weak: false,
                span: Default::default(),
            });
            map.insert(c.index(), NodeId(nodes.len() as u32 - 1));
        }
    }
    for (i, n) in f.nodes.iter().enumerate() {
        if !need[i] || map.contains_key(&i) || matches!(n.op, Op::Param(_)) {
            continue;
        }
        let args = n.args.iter().map(|a| map[&a.index()]).collect();
        nodes.push(Node { args, ..n.clone() });
        map.insert(i, NodeId(nodes.len() as u32 - 1));
    }
    let root = if roots.len() == 1 {
        map[&roots[0].index()]
    } else {
        let elems = roots.iter().map(|r| f.node(*r).ty.clone()).collect();
        nodes.push(Node {
            op: Op::MakeTuple,
            args: roots.iter().map(|r| map[&r.index()]).collect(),
            ty: Datashape::new(vec![], Measure::Tuple { elems }),
            weak: false,
            span: Default::default(),
        });
        NodeId(nodes.len() as u32 - 1)
    };
    (
        Function {
            name: f.name.clone(),
            params,
            nodes,
            root,
            index_vars: f.index_vars.clone(),
        },
        sources,
    )
}

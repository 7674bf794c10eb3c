//! What the planner rewrites before it classifies a streamed function:
//!
//! - `var`/`std` over the rows become `mean(d * d)` of `d = x - mean(x)`
//!   (with the mean's axes kept; `|d| * |d|` for complex numbers), NumPy's two passes, which the planner
//!   splits into two passes over the rows (`std` adds a `sqrt`);
//! - a `mean` over the rows of values that may be missing becomes
//!   `where(count(x) == 0, na, sum(x) / count(x))`: two partials that add
//!   up block by block, and a tail;
//! - `argmax`/`argmin` over the rows get a companion `max`/`min` of the
//!   same operand, the value each block's index points at, so that block
//!   indices combine (first occurrence wins);
//! - a row slice of a streamed input (`x[a:b]`, `x[::k]`, `x[a:b:k]`, with
//!   the same slice at every use of every streamed input) moves into the
//!   reading: the input reads only those rows, and the slice's rows become
//!   the streamed rows;
//! - the same operation on the same operands is one node (the two sides of
//!   a centred covariance are one, which BLAS computes as `syrk`).

use super::ROWS;
use crate::error::StreamError;
use blaze_datashape::{Datashape, Dim, Measure, ScalarKind};
use blaze_ir::ops::{BinaryFn, ReduceFn, UnaryFn};
use blaze_ir::{Function, IndexItem, Literal, Node, NodeId, Op};

/// A row slice `start:stop:step` (NumPy's defaults for missing bounds,
/// `step` ≥ 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RowSlice {
    pub(super) start: Option<i64>,
    pub(super) stop: Option<i64>,
    pub(super) step: i64,
}

/// A function rewritten for streaming.
pub(super) struct Lowered {
    pub(super) f: Function,
    /// Each `argmax`/`argmin` over the rows with its companion `max`/`min`.
    pub(super) companions: Vec<(NodeId, NodeId)>,
    /// The row slice every streamed input is read through, if any.
    pub(super) slice: Option<RowSlice>,
}

fn rows_first(t: &Datashape) -> bool {
    matches!(t.dims.first(), Some(Dim::TypeVar(s)) if s == ROWS)
}

fn full(item: &IndexItem) -> bool {
    matches!(
        item,
        IndexItem::Range {
            start: None,
            stop: None,
            step: 1
        }
    )
}

/// The element type of an option of plain numbers (`?float64`).
fn option_scalar(t: &Datashape) -> Option<blaze_datashape::Scalar> {
    match &t.measure {
        Measure::Option { inner } => match inner.as_ref() {
            Measure::Scalar { scalar } => Some(*scalar),
            _ => None,
        },
        _ => None,
    }
}

fn over_rows(axes: &Option<Vec<usize>>) -> bool {
    axes.as_ref().is_none_or(|a| a.contains(&0))
}

/// Rewrites `f` for streaming over the parameters marked in `streamed`.
pub(super) fn lower(f: &Function, streamed: &[bool]) -> Result<Lowered, StreamError> {
    let (f, slice) = slice_rows(f, streamed)?;
    let mut nodes: Vec<Node> = Vec::with_capacity(f.nodes.len());
    let mut map: Vec<NodeId> = Vec::with_capacity(f.nodes.len());
    let mut companions = Vec::new();
    // Loops of index notation evaluate their bodies per index: nothing is
    // shared there.
    let share = f.index_vars.is_empty();
    let push = |nodes: &mut Vec<Node>, op: Op, args: Vec<NodeId>, ty: Datashape, at: &Node| {
        nodes.push(Node {
            op,
            args,
            ty,
            weak: false,
            span: at.span,
        });
        NodeId(nodes.len() as u32 - 1)
    };
    for n in &f.nodes {
        let args: Vec<NodeId> = n.args.iter().map(|a| map[a.index()]).collect();
        let operand = n.args.first().map(|a| &f.node(*a).ty);
        let plain = |t: &Datashape| match &t.measure {
            Measure::Scalar { scalar } => Some(*scalar),
            _ => None,
        };
        let id = match (&n.op, operand) {
            (
                Op::Reduce {
                    f: rf @ (ReduceFn::Var | ReduceFn::Std),
                    axes,
                    keepdims,
                },
                Some(t),
            ) if rows_first(t) && over_rows(axes) => match plain(t) {
                Some(s) => {
                    let ft = ReduceFn::Mean
                        .result(s)
                        .map_err(|e| StreamError::Program(e.to_string()))?;
                    let float_ty = Datashape::new(t.dims.clone(), Measure::scalar(ft));
                    let mut x = args[0];
                    if ft != s {
                        x = push(&mut nodes, Op::Cast(ft), vec![x], float_ty.clone(), n);
                    }
                    let kept: Vec<Dim> = t
                        .dims
                        .iter()
                        .enumerate()
                        .map(|(k, d)| match axes {
                            Some(a) if !a.contains(&k) => d.clone(),
                            _ => Dim::Fixed(1),
                        })
                        .collect();
                    let mean = push(
                        &mut nodes,
                        Op::Reduce {
                            f: ReduceFn::Mean,
                            axes: axes.clone(),
                            keepdims: true,
                        },
                        vec![x],
                        Datashape::new(kept, Measure::scalar(ft)),
                        n,
                    );
                    let d = push(
                        &mut nodes,
                        Op::Binary(BinaryFn::Sub),
                        vec![x, mean],
                        float_ty.clone(),
                        n,
                    );
                    // Complex deviations count by their magnitude (NumPy's
                    // `var` of complex numbers is real).
                    let (d, sq_ty) = if s.kind() == ScalarKind::Complex {
                        let rt = ReduceFn::Var
                            .result(s)
                            .map_err(|e| StreamError::Program(e.to_string()))?;
                        let real_ty = Datashape::new(t.dims.clone(), Measure::scalar(rt));
                        let a = push(
                            &mut nodes,
                            Op::Unary(UnaryFn::Abs),
                            vec![d],
                            real_ty.clone(),
                            n,
                        );
                        (a, real_ty)
                    } else {
                        (d, float_ty)
                    };
                    let sq = push(&mut nodes, Op::Binary(BinaryFn::Mul), vec![d, d], sq_ty, n);
                    let var = push(
                        &mut nodes,
                        Op::Reduce {
                            f: ReduceFn::Mean,
                            axes: axes.clone(),
                            keepdims: *keepdims,
                        },
                        vec![sq],
                        n.ty.clone(),
                        n,
                    );
                    if *rf == ReduceFn::Std {
                        push(
                            &mut nodes,
                            Op::Unary(UnaryFn::Sqrt),
                            vec![var],
                            n.ty.clone(),
                            n,
                        )
                    } else {
                        var
                    }
                }
                _ => push(&mut nodes, n.op.clone(), args, n.ty.clone(), n),
            },
            // A mean of values that may be missing skips them: the sum of
            // those present over their count, missing where none is.
            (
                Op::Reduce {
                    f: ReduceFn::Mean,
                    axes,
                    keepdims,
                },
                Some(t),
            ) if rows_first(t) && over_rows(axes) && option_scalar(t).is_some() => {
                let Some(s) = option_scalar(t) else {
                    return Err(StreamError::Program(format!("`{t}` is not an option")));
                };
                let ft = ReduceFn::Mean
                    .result(s)
                    .map_err(|e| StreamError::Program(e.to_string()))?;
                let dims = n.ty.dims.clone();
                let shaped = |m: Measure| Datashape::new(dims.clone(), m);
                let reduce = |f| Op::Reduce {
                    f,
                    axes: axes.clone(),
                    keepdims: *keepdims,
                };
                let mut x = args[0];
                if ft != s {
                    let float_opt =
                        Datashape::new(t.dims.clone(), Measure::option(Measure::scalar(ft)));
                    x = push(&mut nodes, Op::Cast(ft), vec![x], float_opt, n);
                }
                let sum = push(
                    &mut nodes,
                    reduce(ReduceFn::Sum),
                    vec![x],
                    shaped(Measure::scalar(ft)),
                    n,
                );
                let count = push(
                    &mut nodes,
                    reduce(ReduceFn::Count),
                    vec![args[0]],
                    shaped(Measure::scalar(blaze_datashape::Scalar::Int64)),
                    n,
                );
                let zero = push(
                    &mut nodes,
                    Op::Literal(Literal::Int(0)),
                    vec![],
                    Datashape::scalar(Measure::scalar(blaze_datashape::Scalar::Int64)),
                    n,
                );
                let none = push(
                    &mut nodes,
                    Op::Binary(BinaryFn::Eq),
                    vec![count, zero],
                    shaped(Measure::scalar(blaze_datashape::Scalar::Bool)),
                    n,
                );
                let na = push(
                    &mut nodes,
                    Op::Na,
                    vec![],
                    Datashape::scalar(Measure::Null),
                    n,
                );
                let fcount = push(
                    &mut nodes,
                    Op::Cast(ft),
                    vec![count],
                    shaped(Measure::scalar(ft)),
                    n,
                );
                let mean = push(
                    &mut nodes,
                    Op::Binary(BinaryFn::Div),
                    vec![sum, fcount],
                    shaped(Measure::scalar(ft)),
                    n,
                );
                push(&mut nodes, Op::Where, vec![none, na, mean], n.ty.clone(), n)
            }
            (
                Op::Reduce {
                    f: rf @ (ReduceFn::ArgMax | ReduceFn::ArgMin),
                    axes,
                    keepdims,
                },
                Some(t),
            ) if rows_first(t) && over_rows(axes) && plain(t).is_some() => {
                let id = push(&mut nodes, n.op.clone(), args.clone(), n.ty.clone(), n);
                let values = Datashape::new(n.ty.dims.clone(), t.measure.clone());
                let by = if *rf == ReduceFn::ArgMax {
                    ReduceFn::Max
                } else {
                    ReduceFn::Min
                };
                let companion = push(
                    &mut nodes,
                    Op::Reduce {
                        f: by,
                        axes: axes.clone(),
                        keepdims: *keepdims,
                    },
                    args,
                    values,
                    n,
                );
                companions.push((id, companion));
                id
            }
            // An index of every row and column (what a row slice leaves)
            // is its operand.
            (Op::Index(items), Some(t))
                if items.iter().all(full) && t.dims.len() == items.len() && t == &n.ty =>
            {
                args[0]
            }
            // The same operation on the same operands is computed once (so
            // `(A - m).T @ (A - m)` is one product of a node with itself).
            _ => match nodes.iter().position(|m| {
                share
                    && m.op == n.op
                    && m.args == args
                    && m.ty == n.ty
                    && !matches!(m.op, Op::Param(_))
            }) {
                Some(k) => NodeId(k as u32),
                None => push(&mut nodes, n.op.clone(), args, n.ty.clone(), n),
            },
        };
        map.push(id);
    }
    let lowered = Function {
        name: f.name.clone(),
        params: f.params.clone(),
        root: map[f.root.index()],
        nodes,
        index_vars: f.index_vars.clone(),
    };
    blaze_ir::debug_verify("stream lowering", &lowered);
    Ok(Lowered {
        f: lowered,
        companions,
        slice,
    })
}

/// Moves a row slice of the streamed inputs into their reading: when every
/// use of every streamed input (or of its fields) is an index whose first
/// item is the same row slice, that item becomes `:` and the slice's rows (a new symbolic
/// dimension) become [`ROWS`].
fn slice_rows(
    f: &Function,
    streamed: &[bool],
) -> Result<(Function, Option<RowSlice>), StreamError> {
    let param_of = |id: NodeId| match f.node(id).op {
        Op::Param(p) if streamed.get(p).copied().unwrap_or(false) => Some(p),
        _ => None,
    };
    // The streamed inputs and their fields (`M.v` of a record input).
    let mut input = vec![false; f.nodes.len()];
    for (i, n) in f.nodes.iter().enumerate() {
        input[i] = param_of(NodeId(i as u32)).is_some()
            || (matches!(n.op, Op::Field(_)) && n.args.first().is_some_and(|a| input[a.index()]));
    }
    // Every use of them (other than taking a field): Some(slice) for an
    // index slicing the rows, None for anything else.
    let mut uses: Vec<(NodeId, Option<IndexItem>)> = Vec::new();
    for (i, n) in f.nodes.iter().enumerate() {
        if input[i] && matches!(n.op, Op::Field(_)) {
            continue;
        }
        for (k, a) in n.args.iter().enumerate() {
            if !input[a.index()] {
                continue;
            }
            let item = match (&n.op, k) {
                (Op::Index(items), 0) => items.first().filter(|it| !full(it)).cloned(),
                _ => None,
            };
            uses.push((NodeId(i as u32), item));
        }
    }
    let Some(first) = uses.iter().find_map(|(_, s)| s.clone()) else {
        return Ok((f.clone(), None));
    };
    let refuse = |why: &str| {
        let (id, _) = uses
            .iter()
            .find(|(_, s)| s.is_some())
            .cloned()
            .unwrap_or((f.root, None));
        Err(StreamError::Node {
            node: f.node_text(id),
            reason: why.into(),
        })
    };
    if uses.iter().any(|(_, s)| s.as_ref() != Some(&first)) {
        return refuse(
            "a row slice of a streamed input streams when it is the only use of every streamed input",
        );
    }
    let IndexItem::Range { start, stop, step } = first else {
        return refuse("a single row of a streamed input is read in memory, not streamed");
    };
    if step < 1 {
        return refuse(
            "a row slice with a negative step reads the rows backwards, which cannot stream",
        );
    }
    let mut g = f.clone();
    let mut renamed: Vec<String> = Vec::new();
    for (id, _) in &uses {
        let n = &mut g.nodes[id.index()];
        if let Op::Index(items) = &mut n.op {
            items[0] = IndexItem::Range {
                start: None,
                stop: None,
                step: 1,
            };
        }
        if let Some(Dim::TypeVar(s)) = n.ty.dims.first() {
            if s != ROWS && !renamed.contains(s) {
                renamed.push(s.clone());
            }
        }
    }
    for n in &mut g.nodes {
        for d in &mut n.ty.dims {
            if matches!(d, Dim::TypeVar(s) if renamed.contains(s)) {
                *d = Dim::TypeVar(ROWS.into());
            }
        }
    }
    Ok((g, Some(RowSlice { start, stop, step })))
}

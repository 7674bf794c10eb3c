//! The planner's classification of nodes: *small*, *rows*, *partial* (with
//! how partials combine) or *tail*, each with the pass over the rows that
//! computes it, and the refusal, naming the node, of anything that cannot
//! run block by block. See the module documentation of [`stream`](super).
//!
//! Passes: streamed inputs are rows of pass 1; a reduction over the rows
//! of a node of pass `k` is a partial of pass `k`; small work on partials
//! (a tail node) is ready after the last pass it uses; a rows node using
//! a partial or tail node ready after pass `k` is computed in pass `k + 1`
//! (the input streamed again, the partial a small in-memory input).

use super::ROWS;
use crate::error::StreamError;
use blaze_datashape::Scalar;
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_ir::analysis::is_positionwise;
use blaze_ir::ops::{BinaryFn, ReduceFn};
use blaze_ir::{Function, IndexItem, Node, NodeId, Op};

/// How a partial result merges with the next block's (the kernels' own
/// reductions are `blaze_codegen::Combine`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Merge {
    Add,
    Mul,
    Min,
    Max,
    Or,
    And,
    /// Weighted by block rows over all rows.
    Mean,
    /// `argmax`/`argmin` (`max`): block indices offset by the block's
    /// first row times `stride` (elements a row: 1 along axis 0, the row's
    /// size for a flattened index), kept where the block's value (frontier
    /// entry `values`, the block's `max`/`min`) beats the value so far
    /// (first occurrence wins; a NaN beats any number, as NumPy).
    Arg {
        /// `argmax` (else `argmin`).
        max: bool,
        /// The frontier entry of the companion `max`/`min`.
        values: usize,
        /// Elements a row of the reduced operand.
        stride: usize,
    },
    /// A centred product `D.T @ D`, `D = X - mean(X, axis=0)`, in one pass:
    /// each block is centred by its own mean (frontier entry `mean`, a
    /// `Mean` partial), and blocks combine by Chan, Golub and LeVeque's
    /// update, `S = S₁ + S₂ + n₁n₂/(n₁+n₂) · δδᵀ` with `δ` the difference
    /// of the two means, which is as exact as centring by the mean of all
    /// rows and needs no second pass.
    Centred {
        /// The frontier entry of the mean.
        mean: usize,
    },
}

impl Merge {
    pub(super) fn name(self) -> &'static str {
        match self {
            Merge::Add => "+=",
            Merge::Mul => "*=",
            Merge::Min => "min=",
            Merge::Max => "max=",
            Merge::Or => "or=",
            Merge::And => "and=",
            Merge::Mean => "mean+=",
            Merge::Arg { max: true, .. } => "argmax=",
            Merge::Arg { max: false, .. } => "argmin=",
            Merge::Centred { .. } => "centred+=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Class {
    Small,
    Rows,
    /// The transpose of a 2-D rows node (only as the left side of `@`).
    RowsT,
    Partial(Merge),
    Tail,
}

pub(super) fn rows_axis(t: &Datashape) -> Option<usize> {
    t.dims
        .iter()
        .position(|d| matches!(d, Dim::TypeVar(s) if s == ROWS))
}

pub(super) fn row_bytes(t: &Datashape) -> usize {
    let s = match &t.measure {
        Measure::Scalar { scalar } => scalar.size_bytes(),
        _ => 8,
    };
    t.dims
        .iter()
        .skip(1)
        .map(|d| match d {
            Dim::Fixed(n) => *n as usize,
            _ => 1,
        })
        .fold(s, usize::saturating_mul)
}

/// Elements of one row of `t` (its dimensions after the first; a symbolic
/// one counts 1).
pub(super) fn row_elems(t: &Datashape) -> usize {
    t.dims
        .iter()
        .skip(1)
        .map(|d| match d {
            Dim::Fixed(n) => *n as usize,
            _ => 1,
        })
        .fold(1, usize::saturating_mul)
}

/// The class of every node and the pass (1, 2, …) that computes it (0 for
/// small nodes).
pub(super) fn classify(
    f: &Function,
    streamed: &[bool],
) -> Result<(Vec<Class>, Vec<u32>), StreamError> {
    let mut class: Vec<Class> = Vec::with_capacity(f.nodes.len());
    let mut level: Vec<u32> = Vec::with_capacity(f.nodes.len());
    let uses = blaze_ir::analysis::uses(f);
    for (i, n) in f.nodes.iter().enumerate() {
        let id = NodeId(i as u32);
        let args: Vec<Class> = n.args.iter().map(|a| class[a.index()]).collect();
        let unsupported = |why: &str| StreamError::Node {
            node: f.node_text(id),
            reason: why.to_string(),
        };
        let levels = |rows: bool| {
            n.args
                .iter()
                .zip(&args)
                .filter(|(_, c)| matches!(c, Class::Rows | Class::RowsT) == rows)
                .map(|(a, _)| level[a.index()])
                .max()
                .unwrap_or(0)
        };
        // A node over rows computed in the pass after the partials it uses.
        let (rows_level, done_level) = (levels(true), levels(false));
        let pass = if done_level > 0 {
            rows_level.max(done_level + 1)
        } else {
            rows_level
        };
        // Partials and tail nodes are small inputs of a later pass.
        let small = |c: &Class| matches!(c, Class::Small | Class::Partial(_) | Class::Tail);
        let (c, l) = if let Op::Param(p) = n.op {
            if streamed.get(p).copied().unwrap_or(false) {
                if rows_axis(&n.ty) != Some(0) {
                    return Err(unsupported(
                        "a streamed input needs a symbolic first dimension",
                    ));
                }
                (Class::Rows, 1)
            } else {
                (Class::Small, 0)
            }
        } else if args.iter().all(|c| *c == Class::Small) {
            (Class::Small, 0)
        } else if args.iter().all(small) {
            if rows_axis(&n.ty).is_some() {
                return Err(unsupported(
                    "it has the streamed rows after a reduction over them",
                ));
            }
            (Class::Tail, done_level)
        } else {
            match rows_axis(&n.ty) {
                Some(0) => {
                    let rank = n.ty.dims.len();
                    let aligned = n.args.iter().zip(&args).all(|(a, c)| {
                        let t = &f.node(*a).ty;
                        match c {
                            Class::Rows => rows_axis(t) == Some(0) && t.dims.len() == rank,
                            c if small(c) => {
                                t.dims.len() < rank || matches!(t.dims.first(), Some(Dim::Fixed(1)))
                            }
                            _ => false,
                        }
                    });
                    let rows_first = |k: usize| {
                        args.get(k) == Some(&Class::Rows)
                            && rows_axis(&f.node(n.args[k]).ty) == Some(0)
                    };
                    let local = match &n.op {
                        // A record's fields, row lengths of a ragged axis
                        // and records built of row-aligned fields keep
                        // their rows, whatever dimensions follow them.
                        Op::Field(_) | Op::Length(_) => rows_first(0),
                        Op::MakeRecord(_) => (0..n.args.len()).all(rows_first),
                        // Indexing that takes every row.
                        Op::Index(items) => {
                            rows_first(0)
                                && items.first()
                                    == Some(&IndexItem::Range {
                                        start: None,
                                        stop: None,
                                        step: 1,
                                    })
                        }
                        op if is_positionwise(op) => aligned,
                        Op::Reduce {
                            axes: Some(axes), ..
                        } => !axes.contains(&0) && args.first() == Some(&Class::Rows),
                        Op::MatMul => {
                            args.first() == Some(&Class::Rows)
                                && args.get(1).is_some_and(small)
                                && f.node(n.args[0]).ty.dims.len() == 2
                        }
                        _ => false,
                    };
                    if !local {
                        return Err(unsupported(
                            "its rows do not follow from the same rows of its operands",
                        ));
                    }
                    (Class::Rows, pass)
                }
                Some(1)
                    if matches!(&n.op, Op::Transpose(p) if p.as_slice() == [1, 0])
                        && args.first() == Some(&Class::Rows) =>
                {
                    (Class::RowsT, pass)
                }
                Some(_) => {
                    return Err(unsupported("the streamed rows move to another axis"));
                }
                None => {
                    let partial = match &n.op {
                        Op::Reduce { f: rf, axes, .. }
                            if args.first() == Some(&Class::Rows)
                                && axes.as_ref().is_none_or(|a| a.contains(&0)) =>
                        {
                            let operand = &f.node(n.args[0]).ty;
                            let option = matches!(operand.measure, Measure::Option { .. });
                            match rf {
                                ReduceFn::Sum => Some(Merge::Add),
                                ReduceFn::Prod => Some(Merge::Mul),
                                ReduceFn::Min => Some(Merge::Min),
                                ReduceFn::Max => Some(Merge::Max),
                                ReduceFn::Any => Some(Merge::Or),
                                ReduceFn::All => Some(Merge::And),
                                ReduceFn::Count => Some(Merge::Add),
                                ReduceFn::Mean if option => {
                                    return Err(unsupported(
                                        "a mean over the streamed rows of values that may be missing streams only as the planner rewrites it (a sum over a count); write sum(x) / count(x)",
                                    ))
                                }
                                ReduceFn::Mean => Some(Merge::Mean),
                                // The companion `max`/`min` is found by
                                // the planner (`lower`).
                                ReduceFn::ArgMax | ReduceFn::ArgMin if !option => {
                                    Some(Merge::Arg {
                                        max: *rf == ReduceFn::ArgMax,
                                        values: usize::MAX,
                                        stride: match axes {
                                            None => row_elems(operand),
                                            Some(_) => 1,
                                        },
                                    })
                                }
                                _ => None,
                            }
                        }
                        Op::MatMul
                            if args.first() == Some(&Class::RowsT)
                                && args.get(1) == Some(&Class::Rows) =>
                        {
                            match centred_product(f, n, &uses) {
                                Some(m) => Some(Merge::Centred { mean: m.index() }),
                                None => Some(Merge::Add),
                            }
                        }
                        _ => None,
                    };
                    match partial {
                        // In the pass of its mean, not the one after.
                        Some(Merge::Centred { mean }) => {
                            (Class::Partial(Merge::Centred { mean }), level[mean])
                        }
                        Some(c) => (Class::Partial(c), pass),
                        None => {
                            return Err(unsupported("it needs all of the streamed rows at once"))
                        }
                    }
                }
            }
        };
        class.push(c);
        level.push(l);
    }
    Ok((class, level))
}

/// The mean `M` when `n` is `D.T @ D` with `D = X - M`, `M = mean(X,
/// axis=0)` of float64 or float32 rows `X` of two dimensions, and `D` and
/// its transpose serve nothing else (they are then computed block by block
/// from each block's own mean: [`Merge::Centred`]).
fn centred_product(f: &Function, n: &Node, uses: &[usize]) -> Option<NodeId> {
    let &[t, d] = n.args.as_slice() else {
        return None;
    };
    let tn = f.node(t);
    if !matches!(&tn.op, Op::Transpose(p) if p.as_slice() == [1, 0]) || tn.args != [d] {
        return None;
    }
    let dn = f.node(d);
    let (Op::Binary(BinaryFn::Sub), &[x, m]) = (&dn.op, dn.args.as_slice()) else {
        return None;
    };
    let mn = f.node(m);
    let Op::Reduce {
        f: ReduceFn::Mean,
        axes: Some(axes),
        ..
    } = &mn.op
    else {
        return None;
    };
    let float = |t: &Datashape| {
        matches!(
            t.measure,
            Measure::Scalar {
                scalar: Scalar::Float64 | Scalar::Float32
            }
        )
    };
    let xt = &f.node(x).ty;
    let plain = axes.as_slice() == [0]
        && mn.args == [x]
        && xt.dims.len() == 2
        && float(xt)
        && float(&dn.ty)
        && float(&n.ty);
    (plain && uses[d.index()] == 2 && uses[t.index()] == 1).then_some(m)
}

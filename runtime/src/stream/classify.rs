//! The planner's classification of nodes: *small*, *rows*, *partial* (with
//! how partials combine) or *tail*, and the refusal, naming the node, of
//! anything that cannot run block by block. See the module documentation
//! of [`stream`](super).

use super::ROWS;
use crate::error::StreamError;
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_ir::analysis::is_positionwise;
use blaze_ir::ops::ReduceFn;
use blaze_ir::{Function, IndexItem, NodeId, Op};

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

pub(super) fn classify(f: &Function, streamed: &[bool]) -> Result<Vec<Class>, StreamError> {
    let mut class: Vec<Class> = Vec::with_capacity(f.nodes.len());
    for (i, n) in f.nodes.iter().enumerate() {
        let id = NodeId(i as u32);
        let args: Vec<Class> = n.args.iter().map(|a| class[a.index()]).collect();
        let unsupported = |why: &str| StreamError::Node {
            node: f.node_text(id),
            reason: why.to_string(),
        };
        let c = if let Op::Param(p) = n.op {
            if streamed.get(p).copied().unwrap_or(false) {
                if rows_axis(&n.ty) != Some(0) {
                    return Err(unsupported(
                        "a streamed input needs a symbolic first dimension",
                    ));
                }
                Class::Rows
            } else {
                Class::Small
            }
        } else if args.iter().all(|c| *c == Class::Small) {
            Class::Small
        } else if args
            .iter()
            .all(|c| matches!(c, Class::Small | Class::Partial(_) | Class::Tail))
        {
            if rows_axis(&n.ty).is_some() {
                return Err(unsupported(
                    "it has the streamed rows after a reduction over them",
                ));
            }
            Class::Tail
        } else {
            if args
                .iter()
                .any(|c| matches!(c, Class::Partial(_) | Class::Tail))
            {
                return Err(unsupported(
                    "it uses the streamed rows after a reduction over them (that needs two passes)",
                ));
            }
            match rows_axis(&n.ty) {
                Some(0) => {
                    let rank = n.ty.dims.len();
                    let aligned = n.args.iter().zip(&args).all(|(a, c)| {
                        let t = &f.node(*a).ty;
                        match c {
                            Class::Rows => rows_axis(t) == Some(0) && t.dims.len() == rank,
                            Class::Small => {
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
                                && args.get(1) == Some(&Class::Small)
                                && f.node(n.args[0]).ty.dims.len() == 2
                        }
                        _ => false,
                    };
                    if !local {
                        return Err(unsupported(
                            "its rows do not follow from the same rows of its operands",
                        ));
                    }
                    Class::Rows
                }
                Some(1)
                    if matches!(&n.op, Op::Transpose(p) if p.as_slice() == [1, 0])
                        && args.first() == Some(&Class::Rows) =>
                {
                    Class::RowsT
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
                            match rf {
                                ReduceFn::Sum => Some(Merge::Add),
                                ReduceFn::Prod => Some(Merge::Mul),
                                ReduceFn::Min => Some(Merge::Min),
                                ReduceFn::Max => Some(Merge::Max),
                                ReduceFn::Any => Some(Merge::Or),
                                ReduceFn::All => Some(Merge::And),
                                ReduceFn::Count => Some(Merge::Add),
                                ReduceFn::Mean
                                    if matches!(
                                        f.node(n.args[0]).ty.measure,
                                        Measure::Option { .. }
                                    ) =>
                                {
                                    return Err(unsupported(
                                        "a mean over the streamed rows of values that may be missing cannot stream yet; write sum(x) / count(x)",
                                    ))
                                }
                                ReduceFn::Mean => Some(Merge::Mean),
                                _ => None,
                            }
                        }
                        Op::MatMul
                            if args.first() == Some(&Class::RowsT)
                                && args.get(1) == Some(&Class::Rows) =>
                        {
                            Some(Merge::Add)
                        }
                        _ => None,
                    };
                    match partial {
                        Some(c) => Class::Partial(c),
                        None => {
                            return Err(unsupported("it needs all of the streamed rows at once"))
                        }
                    }
                }
            }
        };
        class.push(c);
    }
    Ok(class)
}

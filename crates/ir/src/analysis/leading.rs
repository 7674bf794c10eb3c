//! Merging the leading axes of one parameter into one axis, when no result
//! can tell: the rewrite that lets a folder of folders of images
//! (`N * M * 600 * 800 * RGBA`) stream image by image.
//!
//! A node is *merged* when its first `k` axes are the parameter's first `k`
//! axes, position by position. Merging is sound when every merged value
//! is either
//!
//! - used position by position (elementwise arithmetic, casts, fields,
//!   records of merged fields, indexing that takes all of the first `k`
//!   axes), with any other operand broadcast over the axes after the first
//!   `k` only, or
//! - reduced over all of the first `k` axes together (or over none of them),
//!   without `keepdims`,
//!
//! and the result is not merged (its shape is the same either way). Then the
//! rewritten function, whose parameter has the `k` axes as one (in C order),
//! computes exactly what the original does: a reduction over the `k` axes
//! visits the same elements as one over their merge, and a positionwise
//! operation does not care how positions are numbered.

use super::is_positionwise;
use crate::node::{Function, IndexItem, Op};
use blaze_datashape::{Datashape, Dim};

/// `f` with the first `k` (at least 2) axes of parameter `param` merged
/// into one axis `first`, or `None` when some node depends on those axes
/// separately (see the module documentation).
pub fn merge_leading_axes(f: &Function, param: usize, k: usize, first: Dim) -> Option<Function> {
    if k < 2 || f.params.get(param)?.1.dims.len() < k {
        return None;
    }
    let merge = |t: &Datashape| -> Option<Datashape> {
        let rest = t.dims.get(k..)?;
        let mut dims = Vec::with_capacity(rest.len() + 1);
        dims.push(first.clone());
        dims.extend(rest.iter().cloned());
        Some(Datashape::new(dims, t.measure.clone()))
    };
    let mut out = f.clone();
    let mut merged = vec![false; f.nodes.len()];
    for (i, n) in f.nodes.iter().enumerate() {
        let rank = n.ty.dims.len();
        let args_merged: Vec<bool> = n.args.iter().map(|a| merged[a.index()]).collect();
        if let Op::Param(p) = n.op {
            if p == param {
                merged[i] = true;
                out.nodes[i].ty = merge(&n.ty)?;
            }
            continue;
        }
        if !args_merged.iter().any(|m| *m) {
            continue;
        }
        let arg_rank = |j: usize| f.node(n.args[j]).ty.dims.len();
        match &n.op {
            op if is_positionwise(op) || matches!(op, Op::MakeRecord(_)) => {
                let aligned = (0..n.args.len()).all(|j| {
                    if args_merged[j] {
                        arg_rank(j) == rank
                    } else {
                        // Broadcast over the axes after the merged ones.
                        arg_rank(j) + k <= rank && !matches!(op, Op::MakeRecord(_))
                    }
                });
                if !aligned {
                    return None;
                }
                merged[i] = true;
                out.nodes[i].ty = merge(&n.ty)?;
            }
            Op::Reduce {
                f: rf,
                axes,
                keepdims,
            } => {
                if *keepdims || args_merged.iter().skip(1).any(|m| *m) || !args_merged[0] {
                    return None;
                }
                let axes = match axes {
                    // Every axis: the same elements in the same order.
                    None => None,
                    Some(axes) => {
                        let lead = axes.iter().filter(|a| **a < k).count();
                        let shifted = axes.iter().filter(|a| **a >= k).map(|a| a - (k - 1));
                        if lead == k {
                            Some(std::iter::once(0).chain(shifted).collect())
                        } else if lead == 0 {
                            merged[i] = true;
                            out.nodes[i].ty = merge(&n.ty)?;
                            Some(shifted.collect())
                        } else {
                            return None;
                        }
                    }
                };
                out.nodes[i].op = Op::Reduce {
                    f: *rf,
                    axes,
                    keepdims: false,
                };
            }
            // Indexing that takes all of each merged axis.
            Op::Index(items) if args_merged == [true] => {
                let whole = |i: &IndexItem| {
                    *i == IndexItem::Range {
                        start: None,
                        stop: None,
                        step: 1,
                    }
                };
                if items.len() < k || !items[..k].iter().all(whole) {
                    return None;
                }
                merged[i] = true;
                out.nodes[i].ty = merge(&n.ty)?;
                out.nodes[i].op = Op::Index(items[k - 1..].to_vec());
            }
            _ => return None,
        }
    }
    if merged[f.root.index()] {
        return None;
    }
    out.params[param].1 = merge(&f.params[param].1)?;
    Some(out)
}

//! Planning: which nodes fold into fused groups, which run as kernels,
//! on BLAS/LAPACK, or on the reference kernels.

use super::column_plan::{column_plans, ColumnPlan};
use super::columns_decimal::{decimal_plan, DecimalPlan};
use super::group::GroupPlan;
use super::group::{build_group, reducible, ReducePlan};
use super::index::{index_plan, IndexPlan};
use super::native::native;
use super::Prepared;
use blaze_codegen::has_kernel_form;
use blaze_datashape::Dim;
use blaze_ir::analysis;
use blaze_ir::{Function, NodeId, Op};

/// How each node of a prepared function runs.
#[derive(Clone, Debug)]
pub(super) enum Step {
    /// A parameter: its input value.
    Param(usize),
    /// Computed inside a group that owns it; never materialized.
    Fused,
    /// The root of a group: runs a kernel.
    Group(Box<GroupPlan>),
    /// Runs on the reference kernels.
    Fallback,
    /// A lone scalar constant (a BLAS `alpha`, say): made without a kernel.
    Const,
    /// Record and tuple plumbing (`p.name`, `{a: x, b: y}`, tuple items):
    /// values moved or shared, nothing computed, so not a fallback.
    Structure,
    /// A matrix product or linear algebra on BLAS/LAPACK.
    Native,
    /// Index notation compiled as one kernel.
    Index(Box<IndexPlan>),
    /// A kernel over a column's Arrow buffers (strings, ragged rows).
    Column(Box<ColumnPlan>),
    /// A decimal kernel over `Decimal128` columns.
    Decimal(Box<DecimalPlan>),
    /// A selection `x[mask]`: a compiled count of the mask per chunk, then
    /// the chunks copied into place in parallel.
    Select,
}

/// Prepares `f` for the JIT engine: rewrites it for BLAS/LAPACK
/// ([`blaze_ir::rewrite`]), then plans fused groups.
pub fn prepare(f: &Function) -> Prepared {
    let rewritten = blaze_ir::rewrite::rewrite(f);
    let f = &rewritten;
    let n = f.nodes.len();
    let deps = analysis::index_deps(f);
    let uses = analysis::uses(f);
    let consumer = analysis::consumer(f);
    let decimals: Vec<Option<DecimalPlan>> =
        (0..n).map(|i| decimal_plan(f, NodeId(i as u32))).collect();
    let is_elem: Vec<bool> = (0..n)
        .map(|i| {
            let id = NodeId(i as u32);
            has_kernel_form(f, id) && !ragged(f, id) && decimals[i].is_none()
        })
        .collect();
    let reduce: Vec<Option<ReducePlan>> = (0..n)
        .map(|i| {
            let id = NodeId(i as u32);
            if ragged(f, id) || decimals[i].is_some() {
                None
            } else {
                reducible(f, id)
            }
        })
        .collect();
    let (columns, in_column) = column_plans(f);
    // A fusible node is folded into its consumer when that is its only use
    // and the consumer is a fusible group member; literals always fold.
    let folds = |i: usize| -> bool {
        if !is_elem[i] || NodeId(i as u32) == f.root {
            return false;
        }
        if matches!(f.nodes[i].op, Op::Literal(_) | Op::Na) && f.nodes[i].ty.dims.is_empty() {
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
        } else if in_column[i] {
            Step::Fused
        } else if let Some(c) = &columns[i] {
            Step::Column(Box::new(c.clone()))
        } else if let Some(d) = &decimals[i] {
            Step::Decimal(Box::new(d.clone()))
        } else if matches!(node.op, Op::Select) {
            Step::Select
        } else if matches!(
            node.op,
            Op::Field(_) | Op::MakeRecord(_) | Op::MakeTuple | Op::TupleGet(_)
        ) {
            Step::Structure
        } else if native(f, id) {
            Step::Native
        } else if matches!(node.op, Op::Literal(_)) && node.ty.dims.is_empty() && !folds(i) {
            // A lone scalar constant (a BLAS `alpha`, say): no kernel.
            Step::Const
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

/// Whether node `id` or one of its operands has a ragged axis (a `var`
/// after the first, held as an Arrow list): such nodes run on the
/// reference kernels.
fn ragged(f: &Function, id: NodeId) -> bool {
    let node = f.node(id);
    std::iter::once(&node.ty)
        .chain(node.args.iter().map(|a| &f.node(*a).ty))
        .any(|t| t.dims.iter().skip(1).any(|d| matches!(d, Dim::Var(_))))
}

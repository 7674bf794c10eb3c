//! Which nodes of a function run as kernels over a column's Arrow buffers
//! ([`super::columns`]): a string predicate with a literal (`s == "GOOG"`,
//! `startswith(s, "G")`, …) or between two string columns (`p.a < p.b`),
//! `len` of strings, `sum` of a string predicate
//! (counted without a `bool` array) and a reduction over the last axis of
//! a ragged value, a `var` axis below the first. A record field that only
//! feeds one of them is read in place (`p.name`), not computed, and so is
//! the cast to `float64` under a `mean` of integers. When the
//! operand's value is not a column of the kernel's layout, the nodes run
//! on the reference kernels and are listed as fallbacks.

use super::columns::{scalar_of, segmented_reduce_in, string_count_in, string_map_in, StringRhs};
use super::{Options, Report};
use crate::error::Error;
use arrow_array::cast::AsArray;
use blaze_codegen::{SegmentedKernel, StringOp};
use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_interp::{eval_op, Array, EvalError, Value};
use blaze_ir::ops::{float_of, BinaryFn, ReduceFn, UnaryFn};
use blaze_ir::{analysis, Function, Literal, NodeId, Op};
use ndarray::{ArrayD, IxDyn};
use std::fmt;

/// The right operand of a string kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Rhs {
    /// None (`len`).
    None,
    /// The string literal of a node.
    Literal(NodeId),
    /// The strings of a node's value, row by row.
    Column(NodeId),
}

/// What a column kernel computes for its node.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum ColumnKind {
    /// A string predicate against a literal or a second string column
    /// (`len` against nothing), one result per string.
    Strings {
        /// The predicate, its operands ordered as `strings OP rhs`.
        op: StringOp,
        /// The right operand.
        rhs: Rhs,
    },
    /// `sum` over all axes of a string predicate (node `pred`, folded in):
    /// the number of strings it holds for.
    Count {
        /// The predicate.
        op: StringOp,
        /// The right operand (a literal or a column).
        rhs: Rhs,
        /// The predicate's node.
        pred: NodeId,
    },
    /// A reduction over the last axis of a ragged value.
    Segmented(ReduceFn),
}

/// A node that runs as a column kernel (a step of the plan).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ColumnPlan {
    /// What it computes.
    pub(super) kind: ColumnKind,
    /// The node whose value the kernel reads: the strings or ragged rows,
    /// or the record holding them as `field`.
    pub(super) operand: NodeId,
    /// The folded field node and the field's name, when the kernel reads a
    /// field of `operand` in place.
    pub(super) field: Option<(NodeId, String)>,
    /// The folded cast of integers or booleans to `float64` under a
    /// `mean` (the kernel widens each value as it reads it).
    pub(super) cast: Option<NodeId>,
}

/// The text of node `id` if it is a string literal.
fn str_literal(f: &Function, id: NodeId) -> Option<&str> {
    match &f.node(id).op {
        Op::Literal(Literal::Str(s)) if f.node(id).ty.dims.is_empty() => Some(s),
        _ => None,
    }
}

/// Whether values of `ds` are variable-length strings, options included.
fn is_string(ds: &Datashape) -> bool {
    let m = match &ds.measure {
        Measure::Option { inner } => inner.as_ref(),
        m => m,
    };
    matches!(m, Measure::String { len: None, .. })
}

/// The comparison with its operands swapped (`a < b` is `b > a`).
fn swapped(f: BinaryFn) -> BinaryFn {
    match f {
        BinaryFn::Lt => BinaryFn::Gt,
        BinaryFn::Le => BinaryFn::Ge,
        BinaryFn::Gt => BinaryFn::Lt,
        BinaryFn::Ge => BinaryFn::Le,
        other => other,
    }
}

fn plan(kind: ColumnKind, operand: NodeId) -> Option<ColumnPlan> {
    Some(ColumnPlan {
        kind,
        operand,
        field: None,
        cast: None,
    })
}

/// The string kernel of node `id`, if it is a string predicate with a
/// literal or between two strings, or `len` of strings.
fn string_plan(f: &Function, id: NodeId) -> Option<ColumnPlan> {
    let node = f.node(id);
    match (&node.op, node.args.as_slice()) {
        (Op::Unary(UnaryFn::Len), &[s]) if is_string(&f.node(s).ty) => plan(
            ColumnKind::Strings {
                op: StringOp::Len,
                rhs: Rhs::None,
            },
            s,
        ),
        (Op::Binary(bf), &[a, b]) => {
            let op = match bf {
                BinaryFn::StartsWith => StringOp::StartsWith,
                BinaryFn::EndsWith => StringOp::EndsWith,
                BinaryFn::Contains => StringOp::Contains,
                c if StringOp::COMPARISONS.contains(c) => StringOp::Compare(*c),
                _ => return None,
            };
            let (lit_a, lit_b) = (str_literal(f, a).is_some(), str_literal(f, b).is_some());
            let (str_a, str_b) = (is_string(&f.node(a).ty), is_string(&f.node(b).ty));
            if lit_b && str_a {
                let rhs = Rhs::Literal(b);
                return plan(ColumnKind::Strings { op, rhs }, a);
            }
            match op {
                StringOp::Compare(c) if lit_a && str_b => {
                    let op = StringOp::Compare(swapped(c));
                    let rhs = Rhs::Literal(a);
                    plan(ColumnKind::Strings { op, rhs }, b)
                }
                _ if str_a && str_b && !lit_a && !lit_b => {
                    let rhs = Rhs::Column(b);
                    plan(ColumnKind::Strings { op, rhs }, a)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The segmented reduction of node `id`, if it reduces the last axis of a
/// ragged value of numbers (a `var` axis below the first, the only one
/// there).
fn segmented_plan(f: &Function, id: NodeId) -> Option<ColumnPlan> {
    let node = f.node(id);
    let Op::Reduce {
        f: rf,
        axes: Some(axes),
        keepdims: false,
    } = &node.op
    else {
        return None;
    };
    let &x = node.args.first()?;
    let dims = &f.node(x).ty.dims;
    let k = dims.len().checked_sub(1)?;
    let ragged = k >= 1
        && matches!(dims[k], Dim::Var(_))
        && !dims[1..k].iter().any(|d| matches!(d, Dim::Var(_)));
    let numeric = match &f.node(x).ty.measure {
        Measure::Option { inner } => matches!(inner.as_ref(), Measure::Scalar { .. }),
        m => matches!(m, Measure::Scalar { .. }),
    };
    (ragged && numeric && axes.as_slice() == [k] && SegmentedKernel::REDUCTIONS.contains(rf))
        .then(|| plan(ColumnKind::Segmented(*rf), x))
        .flatten()
}

/// The column kernel of every node that runs as one, and which nodes are
/// folded into one (the predicate of a count, a field read in place).
pub(super) fn column_plans(f: &Function) -> (Vec<Option<ColumnPlan>>, Vec<bool>) {
    let uses = analysis::uses(f);
    let n = f.nodes.len();
    let mut plans: Vec<Option<ColumnPlan>> = (0..n)
        .map(|i| {
            let id = NodeId(i as u32);
            string_plan(f, id).or_else(|| segmented_plan(f, id))
        })
        .collect();
    let mut folded = vec![false; n];
    // `sum` over all axes of a predicate used once: a count.
    for i in 0..n {
        let node = &f.nodes[i];
        let Op::Reduce {
            f: ReduceFn::Sum,
            axes,
            keepdims: false,
        } = &node.op
        else {
            continue;
        };
        let Some(&x) = node.args.first() else {
            continue;
        };
        let rank = f.node(x).ty.dims.len();
        let all = axes
            .as_ref()
            .is_none_or(|a| a.len() == rank && a.iter().enumerate().all(|(k, &d)| k == d));
        let Some(ColumnPlan {
            kind: ColumnKind::Strings { op, rhs },
            operand,
            ..
        }) = plans[x.index()].clone()
        else {
            continue;
        };
        if all && op.is_predicate() && rhs != Rhs::None && uses[x.index()] == 1 {
            let kind = ColumnKind::Count { op, rhs, pred: x };
            plans[i] = plan(kind, operand);
            plans[x.index()] = None;
            folded[x.index()] = true;
        }
    }
    // `mean` of integers: the cast to float64 the checker puts under it
    // is done by the kernel as it reads each value.
    for p in plans.iter_mut().flatten() {
        let cast = f.node(p.operand);
        let Op::Cast(Scalar::Float64) = cast.op else {
            continue;
        };
        let (Some(&src), ColumnKind::Segmented(ReduceFn::Mean)) = (cast.args.first(), &p.kind)
        else {
            continue;
        };
        let from = match &f.node(src).ty.measure {
            Measure::Option { inner } => inner.as_ref().clone(),
            m => m.clone(),
        };
        let widens =
            matches!(from, Measure::Scalar { scalar } if float_of(scalar) == Scalar::Float64);
        if widens && uses[p.operand.index()] == 1 && f.node(src).ty.dims == cast.ty.dims {
            folded[p.operand.index()] = true;
            p.cast = Some(p.operand);
            p.operand = src;
        }
    }
    // A field used only by its kernel is read in place.
    for p in plans.iter_mut().flatten() {
        let field = f.node(p.operand);
        if let (Op::Field(name), &[record]) = (&field.op, field.args.as_slice()) {
            if uses[p.operand.index()] == 1 && !folded[p.operand.index()] {
                folded[p.operand.index()] = true;
                p.field = Some((p.operand, name.clone()));
                p.operand = record;
            }
        }
    }
    (plans, folded)
}

impl ColumnPlan {
    /// The column the kernel reads, if `x` (the operand's value) holds one
    /// of the kernel's layout.
    fn column<'v>(&self, x: &'v Value) -> Option<&'v blaze_interp::Column> {
        let x = match (&self.field, x) {
            (None, x) => x,
            (Some((_, name)), Value::Record(fields)) => &fields.iter().find(|(n, _)| n == name)?.1,
            (Some(_), _) => return None,
        };
        let Value::Column(c) = x else { return None };
        let fits = match self.kind {
            ColumnKind::Segmented(_) => c
                .array
                .as_list_opt::<i32>()
                .is_some_and(|l| scalar_of(l.values().data_type()).is_some()),
            _ => c.array.as_string_opt::<i32>().is_some(),
        };
        fits.then_some(c)
    }

    /// Runs node `id` of `f`: the kernel over the operand's Arrow buffers
    /// when it is a column of the kernel's layout, else the reference
    /// kernels (listed in the report's fallbacks). `value` gives the
    /// value of a node computed before.
    pub(super) fn run<'a>(
        &self,
        f: &Function,
        id: NodeId,
        value: impl Fn(NodeId) -> Result<&'a Value, Error>,
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Value, Error> {
        let x = value(self.operand)?;
        let lit = |n: NodeId| str_literal(f, n).unwrap_or_default();
        if let Some(c) = self.column(x) {
            let dumps = opts.dumps;
            // The right operand of a string kernel, if it is one the
            // kernel reads (else the reference kernels run).
            let rhs = match &self.kind {
                ColumnKind::Strings { rhs, .. } | ColumnKind::Count { rhs, .. } => match *rhs {
                    Rhs::None => Some(StringRhs::Literal("")),
                    Rhs::Literal(n) => Some(StringRhs::Literal(lit(n))),
                    Rhs::Column(n) => rhs_column(value(n)?, c),
                },
                ColumnKind::Segmented(_) => None,
            };
            match (&self.kind, rhs) {
                (ColumnKind::Strings { op, .. }, Some(rhs)) => {
                    return string_map_in(c, *op, rhs, pool, dumps, Some(report));
                }
                (ColumnKind::Count { op, .. }, Some(rhs)) => {
                    let n = string_count_in(c, *op, rhs, pool, dumps, Some(report))?;
                    return Ok(Value::Array {
                        data: Array::Int64(ArrayD::from_elem(IxDyn(&[]), n)),
                        missing: None,
                    });
                }
                (ColumnKind::Segmented(rf), _) => {
                    let v = segmented_reduce_in(c, *rf, pool, dumps, Some(report))?;
                    return plain_unless_option(v, &f.node(id).ty, *rf, &f.node_text(id));
                }
                _ => {}
            }
        }
        // Another layout: the folded nodes and this one on the reference
        // kernels, in order.
        let mut chain: Vec<NodeId> = self.field.iter().map(|(n, _)| *n).collect();
        chain.extend(self.cast);
        if let ColumnKind::Count { pred, .. } = self.kind {
            chain.push(pred);
        }
        chain.push(id);
        let mut done: Vec<(NodeId, Value)> = Vec::new();
        for &n in &chain {
            let args = f
                .node(n)
                .args
                .iter()
                .map(
                    |&a| match (done.iter().find(|(d, _)| *d == a), &f.node(a).op) {
                        (Some((_, v)), _) => Ok(v.clone()),
                        (None, Op::Literal(_)) => Ok(eval_op(f, a, Vec::new())?),
                        (None, _) => Ok(value(a)?.clone()),
                    },
                )
                .collect::<Result<Vec<Value>, Error>>()?;
            report.fallbacks.push(f.node_text(n));
            done.push((n, eval_op(f, n, args)?));
        }
        done.pop()
            .map(|(_, v)| v)
            .ok_or_else(|| EvalError::Value("a column step computed nothing".into()).into())
    }
}

/// The value `v` as the right column of a string kernel whose left column
/// is `lhs`: a `Utf8` column of `lhs`'s shape, or of one string (of no
/// more axes) compared with every row.
fn rhs_column<'v>(v: &'v Value, lhs: &blaze_interp::Column) -> Option<StringRhs<'v>> {
    let Value::Column(r) = v else { return None };
    r.array.as_string_opt::<i32>()?;
    let fits = r.shape == lhs.shape || (r.len() == 1 && r.shape.len() <= lhs.shape.len());
    fits.then_some(StringRhs::Column(r))
}

/// A segmented result for a node of type `ty`: without a mask when `ty`
/// is not an option (an error if a row had no values for `min`, `max` or
/// `mean`, or was missing).
fn plain_unless_option(v: Value, ty: &Datashape, f: ReduceFn, node: &str) -> Result<Value, Error> {
    if matches!(ty.measure, Measure::Option { .. }) {
        return Ok(v);
    }
    match v {
        Value::Array {
            data,
            missing: Some(m),
        } => match m.iter().position(|&x| x) {
            Some(row) => Err(EvalError::Value(format!(
                "`{node}`: element {row} has no values to take the {} of",
                f.name()
            ))
            .into()),
            None => Ok(Value::Array {
                data,
                missing: None,
            }),
        },
        v => Ok(v),
    }
}

impl fmt::Display for ColumnPlan {
    /// `column kernel | count == of utf8 <- %0.name %2 (fuses %1 %3)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.field {
            Some((_, name)) => format!("%{}.{name}", self.operand.0),
            None => format!("%{}", self.operand.0),
        };
        let mut fuses: Vec<NodeId> = self.field.iter().map(|(n, _)| *n).collect();
        fuses.extend(self.cast);
        match &self.kind {
            ColumnKind::Strings { op, rhs } => {
                write!(f, "column kernel | {} of utf8 <- {source}", op.name())?;
                if let Rhs::Literal(n) | Rhs::Column(n) = rhs {
                    write!(f, " %{}", n.0)?;
                }
            }
            ColumnKind::Count { op, rhs, pred } => {
                write!(f, "column kernel | count {} of utf8 <- {source}", op.name())?;
                if let Rhs::Literal(n) | Rhs::Column(n) = rhs {
                    write!(f, " %{}", n.0)?;
                }
                fuses.push(*pred);
            }
            ColumnKind::Segmented(rf) => write!(
                f,
                "column kernel | segmented {} of list rows <- {source}",
                rf.name()
            )?,
        }
        if !fuses.is_empty() {
            let list: String = fuses.iter().map(|n| format!(" %{}", n.0)).collect();
            write!(f, " (fuses{list})")?;
        }
        Ok(())
    }
}

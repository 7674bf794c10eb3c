//! From IR to kernel specs: the one translation of IR nodes of a
//! [`Function`] into a [`KernelSpec`], used by the JIT engine's fused
//! groups and by ahead-of-time objects.
//!
//! [`KOp::from_ir`] says which IR operations have a kernel form,
//! [`Const::from_literal`] turns literals into constants,
//! [`has_kernel_form`] says whether a node can be computed inside a
//! kernel (its operation and every type involved), [`SpecBuilder`] adds
//! nodes one by one, and [`fuse_group`] builds the kernel of a fused group
//! (a root, the elementwise nodes folded into it, the leaves that become
//! its operands). Which nodes fold is the planner's decision, not this
//! module's; nothing here touches LLVM.

use crate::kernel::{supported, Combine, Const, KNode, KOp, KernelSpec};
use blaze_datashape::{Datashape, Measure, Scalar, ScalarKind};
use blaze_ir::ops::{BinaryFn, ReduceFn, UnaryFn};
use blaze_ir::{Function, Literal, NodeId, Op};
use std::collections::{HashMap, HashSet};
use std::fmt;

impl Const {
    /// The constant of literal `l` in a node of scalar type `s`; `None` for
    /// a complex or string literal (kernels compute on neither).
    pub fn from_literal(s: Scalar, l: &Literal) -> Option<Const> {
        Some(match (l, s.kind()) {
            (Literal::Bool(b), _) => Const::Bool(*b),
            (Literal::Int(i), ScalarKind::Unsigned) => Const::UInt(*i as u64),
            (Literal::Int(i), _) => Const::Int(*i as i64),
            (Literal::Float(x), _) => Const::Float(*x),
            (Literal::Complex(..) | Literal::Str(_), _) => return None,
        })
    }
}

impl KOp {
    /// The kernel operation of IR operation `op` in a node of scalar type
    /// `ty`; `None` when it has no kernel form. Parameters and other
    /// operands have none: they become [`KOp::Input`]s of the kernel that
    /// reads them ([`SpecBuilder::input`]).
    pub fn from_ir(op: &Op, ty: Scalar) -> Option<KOp> {
        Some(match op {
            Op::Unary(UnaryFn::IsNa) => return None,
            Op::Unary(u) => KOp::Unary(*u),
            Op::Binary(b) => KOp::Binary(*b),
            Op::Where => KOp::Where,
            Op::Cast(_) => KOp::Cast,
            Op::Literal(l) => KOp::Const(Const::from_literal(ty, l)?),
            _ => return None,
        })
    }
}

/// The element type of a measure when kernels compute on it: a plain
/// scalar of a [`supported`] type.
pub fn kernel_scalar(m: &Measure) -> Option<Scalar> {
    match m {
        Measure::Scalar { scalar } if supported(*scalar) => Some(*scalar),
        _ => None,
    }
}

/// The element type of a measure when kernels compute on it with missing
/// values: a [`kernel_scalar`], or an option of one (`?float64` →
/// `float64`).
pub fn kernel_element(m: &Measure) -> Option<Scalar> {
    match m {
        Measure::Option { inner } => kernel_scalar(inner),
        m => kernel_scalar(m),
    }
}

/// Whether node `id` of `f` can be computed inside a kernel: the IR's
/// elementwise classification over options
/// ([`blaze_ir::analysis::is_elementwise_over_options`]) over the element
/// types kernels compute on ([`supported`]). Every such node is computed by
/// [`SpecBuilder::compute`].
pub fn has_kernel_form(f: &Function, id: NodeId) -> bool {
    blaze_ir::analysis::is_elementwise_over_options(f, id, supported)
}

/// Whether node `id` of `f` can be computed inside a kernel without
/// missing values: the IR's plain elementwise classification
/// ([`blaze_ir::analysis::is_elementwise`]). Every such node has a
/// [`KOp::from_ir`] form.
pub fn has_plain_kernel_form(f: &Function, id: NodeId) -> bool {
    blaze_ir::analysis::is_elementwise(f, id, supported)
}

/// Why a node cannot be part of a kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotFused {
    /// The node.
    pub node: NodeId,
    /// What it is, as a phrase: "a complex literal", "a `gather`
    /// operation", …
    pub what: String,
}

impl fmt::Display for NotFused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node %{} is {}", self.node.index(), self.what)
    }
}

/// The name of an operation in messages: `gather`, `reduce`, `literal`, …
pub(crate) fn op_name(op: &Op) -> String {
    let debug = format!("{op:?}");
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or("")
        .to_lowercase()
}

/// An IR node inside a kernel: the kernel node of its value (`None` for
/// `na` of type `null`, whose value takes the type its consumer needs) and
/// the kernel node of its missing flag (`None`: never missing).
#[derive(Clone, Copy, Debug)]
struct Entry {
    value: Option<usize>,
    missing: Option<usize>,
}

/// The identity of reduction `f` over scalar `s`, which a missing element
/// contributes: 0 for `sum` and `any`, 1 for `prod` and `all`, the
/// largest value for `min`, the smallest for `max`.
fn skip_value(f: ReduceFn, s: Scalar) -> Option<Const> {
    let float = matches!(s, Scalar::Float16 | Scalar::Float32 | Scalar::Float64);
    let bits = s.bits();
    Some(match (f, s.kind()) {
        (ReduceFn::Sum | ReduceFn::Any, _) => Const::Int(0),
        (ReduceFn::Prod | ReduceFn::All, _) => Const::Int(1),
        (ReduceFn::Min, _) if float => Const::Float(f64::INFINITY),
        (ReduceFn::Max, _) if float => Const::Float(f64::NEG_INFINITY),
        (ReduceFn::Min, ScalarKind::Bool) => Const::Bool(true),
        (ReduceFn::Max, ScalarKind::Bool) => Const::Bool(false),
        (ReduceFn::Min, ScalarKind::Signed) => Const::Int(((1u64 << (bits - 1)) - 1) as i64),
        (ReduceFn::Max, ScalarKind::Signed) => Const::Int(-(1i64 << (bits - 2)) * 2),
        (ReduceFn::Min, ScalarKind::Unsigned) => Const::UInt(u64::MAX >> (64 - bits)),
        (ReduceFn::Max, ScalarKind::Unsigned) => Const::UInt(0),
        _ => return None,
    })
}

/// Builds a [`KernelSpec`] from nodes of one function: first the nodes
/// whose values are operands ([`input`](SpecBuilder::input), with a mask
/// operand for an option: [`input_option`](SpecBuilder::input_option)),
/// then the computed ones in evaluation order
/// ([`compute`](SpecBuilder::compute)), then
/// [`finish`](SpecBuilder::finish) with the node whose value is stored or
/// reduced.
pub struct SpecBuilder<'f> {
    f: &'f Function,
    inputs: Vec<Scalar>,
    nodes: Vec<KNode>,
    index: HashMap<NodeId, Entry>,
}

impl<'f> SpecBuilder<'f> {
    /// A builder for a kernel of `f` whose operands have the element types
    /// `inputs` (a mask operand is `bool`).
    pub fn new(f: &'f Function, inputs: Vec<Scalar>) -> SpecBuilder<'f> {
        SpecBuilder {
            f,
            inputs,
            nodes: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The element type of node `id` (an option's inner scalar); `None`
    /// for `null`.
    fn scalar(&self, id: NodeId) -> Result<Option<Scalar>, NotFused> {
        let ty: &Datashape = &self.f.node(id).ty;
        if ty.measure == Measure::Null {
            return Ok(None);
        }
        kernel_element(&ty.measure)
            .map(Some)
            .ok_or_else(|| NotFused {
                node: id,
                what: format!("of type `{ty}`, which kernels do not compute on"),
            })
    }

    fn is_option(&self, id: NodeId) -> bool {
        matches!(
            self.f.node(id).ty.measure,
            Measure::Option { .. } | Measure::Null
        )
    }

    fn push(&mut self, op: KOp, args: Vec<usize>, ty: Scalar) -> usize {
        self.nodes.push(KNode { op, args, ty });
        self.nodes.len() - 1
    }

    fn operand(&self, id: NodeId, k: usize) -> Result<(), NotFused> {
        if k >= self.inputs.len() {
            return Err(NotFused {
                node: id,
                what: format!("operand {k} of a kernel of {}", self.inputs.len()),
            });
        }
        Ok(())
    }

    /// The value of node `id` is operand `k` of the kernel (never
    /// missing).
    pub fn input(&mut self, id: NodeId, k: usize) -> Result<(), NotFused> {
        self.input_with(id, k, None)
    }

    /// The value of node `id`, an option, is operand `k` of the kernel and
    /// its missing mask (`bool`, true = missing) operand `mask`.
    pub fn input_option(&mut self, id: NodeId, k: usize, mask: usize) -> Result<(), NotFused> {
        self.input_with(id, k, Some(mask))
    }

    fn input_with(&mut self, id: NodeId, k: usize, mask: Option<usize>) -> Result<(), NotFused> {
        let ty = self.scalar(id)?.ok_or_else(|| NotFused {
            node: id,
            what: "`na` as an operand".to_string(),
        })?;
        self.operand(id, k)?;
        let value = Some(self.push(KOp::Input(k), vec![], ty));
        let missing = match mask {
            Some(m) => {
                self.operand(id, m)?;
                if self.inputs[m] != Scalar::Bool {
                    return Err(NotFused {
                        node: id,
                        what: format!("masked by operand {m}, which is not bool"),
                    });
                }
                Some(self.push(KOp::Input(m), vec![], Scalar::Bool))
            }
            None => None,
        };
        self.index.insert(id, Entry { value, missing });
        Ok(())
    }

    fn entry(&self, id: NodeId, arg: NodeId) -> Result<Entry, NotFused> {
        self.index.get(&arg).copied().ok_or_else(|| NotFused {
            node: id,
            what: format!("computed from %{}, which is not in the kernel", arg.index()),
        })
    }

    /// The value of an entry as scalar `s`: `na` of type `null` becomes a
    /// zero of that type (its value is never read).
    fn value_as(&mut self, e: Entry, s: Scalar) -> usize {
        match e.value {
            Some(v) => v,
            None => self.push(KOp::Const(Const::Int(0)), vec![], s),
        }
    }

    /// The flag "missing in `a` or in `b`".
    fn or(&mut self, a: Option<usize>, b: Option<usize>) -> Option<usize> {
        match (a, b) {
            (Some(x), Some(y)) => {
                Some(self.push(KOp::Binary(BinaryFn::Or), vec![x, y], Scalar::Bool))
            }
            (x, y) => x.or(y),
        }
    }

    fn flag(&mut self, m: Option<usize>) -> usize {
        match m {
            Some(m) => m,
            None => self.push(KOp::Const(Const::Bool(false)), vec![], Scalar::Bool),
        }
    }

    /// Node `id` is computed in the kernel; its arguments are operands or
    /// nodes computed before. Over options it computes the value and the
    /// missing flag: elementwise functions are missing where an argument
    /// is, `where` where its condition is or the chosen branch is (as the
    /// interpreter), `fillna` never.
    pub fn compute(&mut self, id: NodeId) -> Result<(), NotFused> {
        let n = self.f.node(id);
        let ty = self.scalar(id)?;
        let args: Vec<Entry> = n
            .args
            .iter()
            .map(|a| self.entry(id, *a))
            .collect::<Result<_, _>>()?;
        let arg_ty = |i: usize| -> Option<Scalar> {
            let a = n.args.get(i)?;
            kernel_element(&self.f.node(*a).ty.measure)
        };
        let always =
            |b: &mut Self| Some(b.push(KOp::Const(Const::Bool(true)), vec![], Scalar::Bool));
        let entry = match (&n.op, ty) {
            // Everything of type `null` is missing.
            (_, None) => Entry {
                value: None,
                missing: always(self),
            },
            (Op::Na, Some(s)) => Entry {
                value: Some(self.push(KOp::Const(Const::Int(0)), vec![], s)),
                missing: always(self),
            },
            (Op::Unary(UnaryFn::IsNa), Some(_)) => {
                let m = self.flag(args[0].missing);
                Entry {
                    value: Some(m),
                    missing: None,
                }
            }
            (Op::FillNa, Some(s)) => {
                let v = self.value_as(args[1], s);
                let x = self.value_as(args[0], s);
                let value = match args[0].missing {
                    Some(m) => self.push(KOp::Where, vec![m, v, x], s),
                    None => x,
                };
                Entry {
                    value: Some(value),
                    missing: None,
                }
            }
            (Op::Where, Some(s)) => {
                let c = self.value_as(args[0], Scalar::Bool);
                // Both branches have the node's type (`na`'s is made so).
                let x = self.value_as(args[1], s);
                let y = self.value_as(args[2], s);
                let value = self.push(KOp::Where, vec![c, x, y], s);
                let branch = match (args[1].missing, args[2].missing) {
                    (None, None) => None,
                    (mx, my) => {
                        let (fx, fy) = (self.flag(mx), self.flag(my));
                        Some(self.push(KOp::Where, vec![c, fx, fy], Scalar::Bool))
                    }
                };
                let missing = self.or(args[0].missing, branch);
                Entry {
                    value: Some(value),
                    // A narrowed `where` (`where(isna(a), v, a)`) is plain.
                    missing: if self.is_option(id) { missing } else { None },
                }
            }
            (op, Some(s)) => {
                let kop = KOp::from_ir(op, s).ok_or_else(|| NotFused {
                    node: id,
                    what: match op {
                        Op::Literal(Literal::Complex(..)) => "a complex literal".to_string(),
                        op => format!("a `{}` operation", op_name(op)),
                    },
                })?;
                // An `na` argument takes the type of the other argument.
                let tys: Vec<Scalar> = (0..args.len())
                    .map(|i| arg_ty(i).or_else(|| arg_ty(1 - i.min(1))).unwrap_or(s))
                    .collect();
                let vals: Vec<usize> = args
                    .iter()
                    .zip(&tys)
                    .map(|(e, t)| self.value_as(*e, *t))
                    .collect();
                let value = self.push(kop, vals, s);
                let mut missing = None;
                for e in &args {
                    missing = self.or(missing, e.missing);
                }
                Entry {
                    value: Some(value),
                    missing,
                }
            }
        };
        self.index.insert(id, entry);
        Ok(())
    }

    /// The kernel whose value is node `top`'s, stored or reduced
    /// (`combine`) into an output of type `output`. A stored option
    /// result stores its missing flags too ([`KernelSpec::missing`]); a
    /// reduction over an option skips missing elements (they contribute
    /// the reduction's identity).
    pub fn finish(
        mut self,
        top: NodeId,
        combine: Combine,
        output: Scalar,
    ) -> Result<KernelSpec, NotFused> {
        let e = self.entry(top, top)?;
        let s = self.scalar(top)?.unwrap_or(output);
        let mut root = self.value_as(e, s);
        let mut missing = None;
        match (combine, e.missing) {
            (Combine::Store, m) if self.is_option(top) => missing = Some(self.flag(m)),
            (Combine::Reduce(r), Some(m)) => {
                let c = skip_value(r, s).ok_or_else(|| NotFused {
                    node: top,
                    what: format!("reduced by `{}` over missing values", r.name()),
                })?;
                let c = self.push(KOp::Const(c), vec![], s);
                root = self.push(KOp::Where, vec![m, c, root], s);
            }
            _ => {}
        }
        Ok(KernelSpec {
            inputs: self.inputs,
            nodes: self.nodes,
            root,
            combine,
            output,
            missing,
        })
    }

    /// The kernel counting the elements of node `top` that are not missing
    /// (an `int64` sum); `None` when it is never missing.
    pub fn count(&self, top: NodeId) -> Result<Option<KernelSpec>, NotFused> {
        let e = self.entry(top, top)?;
        let Some(m) = e.missing else { return Ok(None) };
        let mut b = SpecBuilder {
            f: self.f,
            inputs: self.inputs.clone(),
            nodes: self.nodes.clone(),
            index: HashMap::new(),
        };
        let zero = b.push(KOp::Const(Const::Int(0)), vec![], Scalar::Int64);
        let one = b.push(KOp::Const(Const::Int(1)), vec![], Scalar::Int64);
        let root = b.push(KOp::Where, vec![m, zero, one], Scalar::Int64);
        Ok(Some(KernelSpec {
            inputs: b.inputs,
            nodes: b.nodes,
            root,
            combine: Combine::Reduce(ReduceFn::Sum),
            output: Scalar::Int64,
            missing: None,
        }))
    }
}

/// A fused group as a kernel: its spec and the nodes whose values are its
/// operands, in operand order.
#[derive(Clone, Debug, PartialEq)]
pub struct FusedGroup {
    /// What the kernel computes.
    pub spec: KernelSpec,
    /// The nodes whose values are the kernel's operands, in order; an
    /// option leaf (`masked`) is two operands, its values then its missing
    /// mask (`bool`, true = missing).
    pub leaves: Vec<NodeId>,
    /// Whether each leaf is followed by its missing mask operand.
    pub masked: Vec<bool>,
    /// For `mean`, `min` and `max` over options: the kernel counting the
    /// reduced elements that are not missing, over the same operands (the
    /// result is missing where the count is 0; `mean` divides by it).
    pub count: Option<KernelSpec>,
}

/// The nodes of the group below `top`, arguments before the node, and the
/// nodes outside it they use (leaves), each once, in the order first
/// reached. Iterative, with sets: a chain of 100,000 operators is 100,000
/// deep.
fn group_order(
    f: &Function,
    top: NodeId,
    top_inside: bool,
    folds: &dyn Fn(NodeId) -> bool,
) -> (Vec<NodeId>, Vec<NodeId>) {
    enum Step {
        Enter(NodeId, bool),
        Exit(NodeId),
    }
    let mut order: Vec<NodeId> = Vec::new();
    let mut leaves: Vec<NodeId> = Vec::new();
    let mut in_order: HashSet<NodeId> = HashSet::new();
    let mut in_leaves: HashSet<NodeId> = HashSet::new();
    let mut steps = vec![Step::Enter(top, top_inside)];
    while let Some(step) = steps.pop() {
        match step {
            Step::Enter(id, inside) => {
                if !(inside || folds(id)) {
                    if in_leaves.insert(id) {
                        leaves.push(id);
                    }
                } else if !in_order.contains(&id) {
                    steps.push(Step::Exit(id));
                    let args = &f.node(id).args;
                    steps.extend(args.iter().rev().map(|a| Step::Enter(*a, false)));
                }
            }
            Step::Exit(id) => {
                if in_order.insert(id) {
                    order.push(id);
                }
            }
        }
    }
    (order, leaves)
}

/// The kernel of the fused group ending in `root`: stored, or reduced with
/// `reduce` (`sum prod min max any all`, `mean` as a sum, `count` as a sum
/// of ones; the root is then the reduction and the kernel computes its
/// argument). A node below is computed in the kernel when `folds` says so;
/// every other node reached becomes an operand, in the order first
/// reached, with a missing mask operand when its type is an option. `None`
/// when a node or type has no kernel form.
pub fn fuse_group(
    f: &Function,
    root: NodeId,
    reduce: Option<ReduceFn>,
    folds: &dyn Fn(NodeId) -> bool,
) -> Option<FusedGroup> {
    let top = match reduce {
        Some(_) => *f.node(root).args.first()?,
        None => root,
    };
    // A stored root is always computed in the kernel; the argument of a
    // reduction only when it has a kernel form.
    let top_inside = reduce.is_none() || has_kernel_form(f, top);
    let (order, leaves) = group_order(f, top, top_inside, folds);
    let masked: Vec<bool> = leaves
        .iter()
        .map(|l| matches!(f.node(*l).ty.measure, Measure::Option { .. }))
        .collect();
    let mut inputs = Vec::new();
    for (l, m) in leaves.iter().zip(&masked) {
        inputs.push(kernel_element(&f.node(*l).ty.measure)?);
        if *m {
            inputs.push(Scalar::Bool);
        }
    }
    let mut b = SpecBuilder::new(f, inputs);
    let mut k = 0;
    for (l, m) in leaves.iter().zip(&masked) {
        if *m {
            b.input_option(*l, k, k + 1).ok()?;
            k += 2;
        } else {
            b.input(*l, k).ok()?;
            k += 1;
        }
    }
    for id in &order {
        b.compute(*id).ok()?;
    }
    let output = kernel_element(&f.node(root).ty.measure)?;
    let (combine, count) = match reduce {
        None => (Combine::Store, None),
        Some(ReduceFn::Count) => {
            // A sum of ones where the argument is not missing.
            let spec = match b.count(top).ok()? {
                Some(c) => c,
                None => {
                    let one = b.push(KOp::Const(Const::Int(1)), vec![], Scalar::Int64);
                    KernelSpec {
                        inputs: b.inputs,
                        nodes: b.nodes,
                        root: one,
                        combine: Combine::Reduce(ReduceFn::Sum),
                        output: Scalar::Int64,
                        missing: None,
                    }
                }
            };
            return Some(FusedGroup {
                spec,
                leaves,
                masked,
                count: None,
            });
        }
        Some(ReduceFn::Mean) => (Combine::Reduce(ReduceFn::Sum), b.count(top).ok()?),
        Some(r @ (ReduceFn::Min | ReduceFn::Max)) => (Combine::Reduce(r), b.count(top).ok()?),
        Some(r) => (Combine::Reduce(r), None),
    };
    let spec = b.finish(top, combine, output).ok()?;
    Some(FusedGroup {
        spec,
        leaves,
        masked,
        count,
    })
}

#[cfg(test)]
mod tests;

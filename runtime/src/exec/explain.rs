//! The physical plan as text: what each node of the rewritten function runs
//! on — a fused kernel (with its key, less the per-call layouts), an
//! index-notation kernel, a BLAS/LAPACK routine, or the reference kernels.

use super::native::routine_name;
use super::plan::Step;
use super::Prepared;
use blaze_ir::{analysis, NodeId, Op};
use std::fmt;

impl fmt::Display for Prepared {
    /// One line per node that does work, in execution order:
    ///
    /// ```text
    /// %0 param A
    /// %3 kernel rank 1 | (float64, float64) v0=in0; …; store v3 as float64 <- %0 %1 (fuses %2)
    /// %4 blas dsyrk T <- %0
    /// %5 reference %5 = reshape [6] %4 : 6 * float64
    /// ```
    ///
    /// A kernel's key is its computation and rank; the layout letters of the
    /// key are chosen at each call from the operands' strides. An option
    /// operand is written `%0?`: its values and then its missing mask. A
    /// reduction over options that needs the number of values (`mean`,
    /// `min`, `max`) says `, counting values` (a second kernel).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let func = &self.f;
        writeln!(f, "plan of `{}`:", func.name)?;
        if self.interpret {
            writeln!(
                f,
                "  the interpreter runs the whole function: a loop of a shape not compiled"
            )?;
            return write!(f, "  return %{}", func.root.0);
        }
        // The nodes folded into each group, for the `fuses` list.
        let consumer = analysis::consumer(func);
        let mut fused_into: Vec<Vec<NodeId>> = vec![Vec::new(); func.nodes.len()];
        for (i, step) in self.steps.iter().enumerate() {
            if matches!(step, Step::Fused) {
                let mut at = NodeId(i as u32);
                // Follow consumers up to the group that owns the node.
                while let Some(c) = consumer[at.index()] {
                    if !matches!(self.steps[c.index()], Step::Fused) {
                        fused_into[c.index()].push(NodeId(i as u32));
                        break;
                    }
                    at = c;
                }
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            let id = NodeId(i as u32);
            let node = func.node(id);
            match step {
                Step::Param(p) => {
                    let name = func.params.get(*p).map_or("?", |(n, _)| n.as_str());
                    writeln!(f, "  %{i} param {name} : {}", node.ty)?;
                }
                Step::Fused => {}
                Step::Group(g) => {
                    let rank = group_rank(func, id, g.reduce.is_some());
                    write!(f, "  %{i} kernel rank {rank} | {}", g.kernel)?;
                    let leaves: String = g
                        .leaves
                        .iter()
                        .zip(&g.masked)
                        .map(|(a, m)| format!(" %{}{}", a.0, if *m { "?" } else { "" }))
                        .collect();
                    write!(f, " <-{leaves}")?;
                    if let Some(r) = &g.reduce {
                        match &r.axes {
                            Some(a) => write!(f, " over axes {a:?}")?,
                            None => write!(f, " over all axes")?,
                        }
                        if r.mean {
                            write!(f, ", divided by the count")?;
                        }
                        if g.count.is_some() && r.missing {
                            write!(f, ", counting values")?;
                        }
                        if r.keepdims {
                            write!(f, ", keepdims")?;
                        }
                    }
                    if !fused_into[i].is_empty() {
                        write!(f, " (fuses{})", ids(&fused_into[i]))?;
                    }
                    writeln!(f)?;
                }
                Step::Index(p) => {
                    let rank = p.outer.len() + p.inner.len();
                    writeln!(
                        f,
                        "  %{i} index kernel rank {rank} | {} ({} operands)",
                        p.kernel,
                        p.operands.len()
                    )?;
                }
                Step::Native => {
                    let call = routine_name(func, id);
                    let routine = call.split_once(": ").map_or(call.as_str(), |(_, r)| r);
                    writeln!(f, "  %{i} blas {routine} <-{}", ids(&node.args))?;
                }
                Step::Column(c) => writeln!(f, "  %{i} {c} : {}", node.ty)?,
                Step::Decimal(d) => writeln!(f, "  %{i} {d} <-{} : {}", ids(&node.args), node.ty)?,
                Step::Select => writeln!(
                    f,
                    "  %{i} select kernel | count mask, copy rows <-{} : {}",
                    ids(&node.args),
                    node.ty
                )?,
                Step::Const => writeln!(f, "  %{i} constant : {}", node.ty)?,
                Step::Fallback => writeln!(f, "  %{i} reference {}", func.node_text(id))?,
                Step::Structure => writeln!(f, "  %{i} structure {}", func.node_text(id))?,
            }
        }
        write!(f, "  return %{}", func.root.0)
    }
}

fn ids(list: &[NodeId]) -> String {
    list.iter().map(|a| format!(" %{}", a.0)).collect()
}

/// The rank of a group's iteration space: its output's, or for a
/// reduction its argument's.
fn group_rank(f: &blaze_ir::Function, root: NodeId, reduces: bool) -> usize {
    let n = f.node(root);
    match (reduces, n.args.first(), &n.op) {
        (true, Some(a), Op::Reduce { .. }) => f.node(*a).ty.dims.len(),
        _ => n.ty.dims.len(),
    }
}

//! The value of a kernel's expression DAG for one element: each node in
//! order from the operands' loaded values.

use super::emitter::{llvm_err, Emitter, Val, R};
use crate::error::Unsupported;
use crate::kernel::{KOp, KernelSpec};

impl<'ctx> Emitter<'ctx, '_> {
    /// The value of every kernel node for the current element, in node
    /// order.
    pub(super) fn eval_kernel(
        &self,
        k: &KernelSpec,
        loads: &[Option<Val<'ctx>>],
    ) -> R<Vec<Val<'ctx>>> {
        let mut vals: Vec<Val<'ctx>> = Vec::with_capacity(k.nodes.len());
        for n in &k.nodes {
            let arg_ty = |i: usize| k.nodes[n.args[i]].ty;
            let v = match &n.op {
                KOp::Input(i) => loads
                    .get(*i)
                    .copied()
                    .flatten()
                    .ok_or_else(|| Unsupported(format!("input {i} missing")))?,
                KOp::Const(c) => self.constant(n.ty, c),
                KOp::Unary(f) => self.unary(*f, arg_ty(0), n.ty, vals[n.args[0]])?,
                KOp::Binary(f) => self.binary(*f, arg_ty(0), vals[n.args[0]], vals[n.args[1]])?,
                KOp::Where => {
                    let c = self.truthy(arg_ty(0), vals[n.args[0]])?;
                    self.b
                        .build_select(c, vals[n.args[1]], vals[n.args[2]], "w")
                        .map_err(llvm_err)?
                }
                KOp::Cast => self.cast(arg_ty(0), n.ty, vals[n.args[0]])?,
            };
            vals.push(v);
        }
        if k.root >= vals.len() || k.missing.is_some_and(|m| m >= vals.len()) {
            return Err(Unsupported("kernel root out of range".into()));
        }
        Ok(vals)
    }
}

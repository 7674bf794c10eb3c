//! The count of a selection mask
//! ([`ColumnKernel::MaskCount`](crate::arrow_kernels::ColumnKernel)): the
//! rows of `begin..end` whose `bool` byte is set and that are not missing,
//! one `int64` per call; the runtime places each chunk's selected rows
//! after the counts of the chunks before it.

use super::emitter::{llvm_err, Emitter, R};
use inkwell::values::{FunctionValue, IntValue, PointerValue};
use inkwell::IntPredicate;

impl<'ctx> Emitter<'ctx, '_> {
    /// Builds the selection mask count `name`: the rows of `begin..end`
    /// whose mask byte is set and, when `missing`, whose missing byte is
    /// not.
    pub(crate) fn build_mask_count(&self, name: &str, missing: bool) -> R<FunctionValue<'ctx>> {
        let pro = self.column_prologue(name, 3, 0)?;
        let b = &self.b;
        let (mask, miss, out) = (pro.ptrs[0], pro.ptrs[1], pro.ptrs[2]);
        let (i8t, i64t) = (self.ctx.i8_type(), self.i64());
        let fin = self.row_loop(&pro, &[i64t.const_zero().into()], |r, c| {
            let byte = |base: PointerValue<'ctx>| -> R<IntValue<'ctx>> {
                let p = unsafe { b.build_gep(i8t, base, &[r], "mp") }.map_err(llvm_err)?;
                let v = b
                    .build_load(i8t, p, "m")
                    .map_err(llvm_err)?
                    .into_int_value();
                self.icmp(IntPredicate::NE, v, i8t.const_zero())
            };
            let mut take = byte(mask)?;
            if missing {
                let gone = byte(miss)?;
                let here = b.build_not(gone, "here").map_err(llvm_err)?;
                take = self.and1(take, here)?;
            }
            let add = b.build_int_z_extend(take, i64t, "t").map_err(llvm_err)?;
            let n = b
                .build_int_add(c[0].into_int_value(), add, "n")
                .map_err(llvm_err)?;
            Ok(vec![n.into()])
        })?;
        b.build_store(out, fin[0]).map_err(llvm_err)?;
        b.build_unconditional_branch(pro.exit).map_err(llvm_err)?;
        Ok(pro.f)
    }
}

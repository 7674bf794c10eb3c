//! The kernel function: its one C signature, the loop over the rows of
//! the flat range `begin..end`, and the `alwaysinline` row function whose
//! loop loads, computes and stores (or accumulates) each element with the
//! code of each operand's layout.

use super::emitter::{llvm_err, Emitter, Val, R};
use crate::error::Unsupported;
use crate::kernel::{supported, Combine, KernelKey, Layout};
use blaze_datashape::Scalar;
use blaze_ir::ops::ReduceFn;
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::module::Linkage;
use inkwell::values::{BasicMetadataValueEnum, FunctionValue, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

/// Kernels with more operations than this are compiled without
/// optimization (see `without_optimization`).
const LARGE_KERNEL: usize = 2_000;

impl<'ctx> Emitter<'ctx, '_> {
    /// Builds the kernel function `name` for `key`.
    pub(crate) fn build(&self, name: &str, key: &KernelKey) -> R<FunctionValue<'ctx>> {
        let f = self.build_kernel(name, key)?;
        if key.spec.nodes.len() > LARGE_KERNEL {
            self.without_optimization();
        }
        self.keep_vector_variants();
        Ok(f)
    }

    /// Marks every function defined in the module `optnone`: LLVM's
    /// instruction scheduling is quadratic in the uses of one value within a
    /// block, so a kernel of 100,000 operations on one operand would take
    /// minutes to compile optimized. Unoptimized, it compiles in time
    /// linear in its size.
    fn without_optimization(&self) {
        let always = Attribute::get_named_enum_kind_id("alwaysinline");
        let mut next = self.module.get_first_function();
        while let Some(f) = next {
            next = f.get_next_function();
            if f.count_basic_blocks() == 0 {
                continue;
            }
            f.remove_enum_attribute(AttributeLoc::Function, always);
            f.add_attribute(AttributeLoc::Function, self.enum_attr("noinline", 0));
            f.add_attribute(AttributeLoc::Function, self.enum_attr("optnone", 0));
        }
    }

    /// Lists the declared libmvec functions in `llvm.compiler.used`, or the
    /// optimizer deletes the unused declarations before the vectorizer
    /// looks for them.
    pub(super) fn keep_vector_variants(&self) {
        let mut fs = Vec::new();
        let mut next = self.module.get_first_function();
        while let Some(f) = next {
            if f.get_name().to_bytes().starts_with(b"_ZGV") {
                fs.push(f.as_global_value().as_pointer_value());
            }
            next = f.get_next_function();
        }
        if fs.is_empty() {
            return;
        }
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let init = ptr.const_array(&fs);
        let g = self
            .module
            .add_global(ptr.array_type(fs.len() as u32), None, "llvm.compiler.used");
        g.set_linkage(Linkage::Appending);
        g.set_section(Some("llvm.metadata"));
        g.set_initializer(&init);
    }

    pub(super) fn build_kernel(&self, name: &str, key: &KernelKey) -> R<FunctionValue<'ctx>> {
        let k = &key.spec;
        for s in k
            .inputs
            .iter()
            .chain(k.nodes.iter().map(|n| &n.ty))
            .chain([&k.output])
        {
            if !supported(*s) {
                return Err(Unsupported(format!("{s} is not compiled yet")));
            }
        }
        let n_ops = k.operands();
        if key.layouts.len() != n_ops {
            return Err(Unsupported("layouts do not match the operands".into()));
        }
        let scalars: Vec<Scalar> = k
            .inputs
            .iter()
            .copied()
            .chain([k.output])
            .chain(k.missing.map(|_| Scalar::Bool))
            .collect();
        let ascending = key.bits.windows(2).all(|w| w[0] < w[1]);
        if !ascending
            || key
                .bits
                .iter()
                .any(|&i| scalars.get(i) != Some(&Scalar::Bool))
        {
            return Err(Unsupported(
                "bit-addressed operands must be bool masks, in ascending order".into(),
            ));
        }
        let inner = self.build_inner(&format!("{name}.row"), key)?;
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let i64t = self.i64();
        let fty = self.ctx.void_type().fn_type(
            &[ptr.into(), ptr.into(), ptr.into(), i64t.into(), i64t.into()],
            false,
        );
        let f = self.module.add_function(name, fty, Some(Linkage::External));
        self.host.set_attributes(self.ctx, f);
        let p = |i: u32| {
            f.get_nth_param(i)
                .ok_or_else(|| Unsupported("param".into()))
        };
        let (ptrs, strides, shape) = (
            p(0)?.into_pointer_value(),
            p(1)?.into_pointer_value(),
            p(2)?.into_pointer_value(),
        );
        let (begin, end) = (p(3)?.into_int_value(), p(4)?.into_int_value());
        let b = &self.b;
        let entry = self.ctx.append_basic_block(f, "entry");
        let exit = self.ctx.append_basic_block(f, "exit");
        b.position_at_end(entry);
        let rank = key.rank;
        let load_i64 = |base: PointerValue<'ctx>, i: u64| -> R<IntValue<'ctx>> {
            let g = unsafe { b.build_gep(i64t, base, &[i64t.const_int(i, false)], "g") }
                .map_err(llvm_err)?;
            Ok(b.build_load(i64t, g, "v")
                .map_err(llvm_err)?
                .into_int_value())
        };
        let bases: Vec<PointerValue> = (0..n_ops)
            .map(|i| {
                let g = unsafe { b.build_gep(ptr, ptrs, &[i64t.const_int(i as u64, false)], "pp") }
                    .map_err(llvm_err)?;
                Ok(b.build_load(ptr, g, "base")
                    .map_err(llvm_err)?
                    .into_pointer_value())
            })
            .collect::<R<_>>()?;
        // The bit position of element 0 of each bit-addressed operand,
        // after the strides.
        let bit_offsets: Vec<IntValue> = (0..key.bits.len())
            .map(|i| load_i64(strides, (n_ops * rank + i) as u64))
            .collect::<R<_>>()?;
        if rank == 0 {
            // One element when begin < end.
            let body = self.ctx.append_basic_block(f, "one");
            let c = b
                .build_int_compare(IntPredicate::SLT, begin, end, "c")
                .map_err(llvm_err)?;
            b.build_conditional_branch(c, body, exit)
                .map_err(llvm_err)?;
            b.position_at_end(body);
            let mut args: Vec<BasicMetadataValueEnum> = bases.iter().map(|p| (*p).into()).collect();
            args.extend((0..n_ops).map(|_| BasicMetadataValueEnum::from(i64t.const_zero())));
            args.push(i64t.const_zero().into());
            args.push(i64t.const_int(1, false).into());
            args.extend(bit_offsets.iter().map(|o| BasicMetadataValueEnum::from(*o)));
            b.build_call(inner, &args, "").map_err(llvm_err)?;
            b.build_unconditional_branch(exit).map_err(llvm_err)?;
            b.position_at_end(exit);
            b.build_return(None).map_err(llvm_err)?;
            return Ok(f);
        }
        let last = load_i64(shape, (rank - 1) as u64)?;
        let nonempty = b
            .build_int_compare(IntPredicate::SGT, last, i64t.const_zero(), "ne")
            .map_err(llvm_err)?;
        let start = self.ctx.append_basic_block(f, "start");
        b.build_conditional_branch(nonempty, start, exit)
            .map_err(llvm_err)?;
        b.position_at_end(start);
        let r0 = b
            .build_int_signed_div(begin, last, "r0")
            .map_err(llvm_err)?;
        let rl = b.build_int_mul(r0, last, "rl").map_err(llvm_err)?;
        let j0 = b.build_int_sub(begin, rl, "j0").map_err(llvm_err)?;
        // Inner strides of every operand.
        let inner_strides: Vec<IntValue> = (0..n_ops)
            .map(|k| load_i64(strides, (k * rank + rank - 1) as u64))
            .collect::<R<_>>()?;
        let header = self.ctx.append_basic_block(f, "row");
        b.build_unconditional_branch(header).map_err(llvm_err)?;
        b.position_at_end(header);
        let r = b.build_phi(i64t, "r").map_err(llvm_err)?;
        let js = b.build_phi(i64t, "js").map_err(llvm_err)?;
        r.add_incoming(&[(&r0, start)]);
        js.add_incoming(&[(&j0, start)]);
        let (rv, jsv) = (
            r.as_basic_value().into_int_value(),
            js.as_basic_value().into_int_value(),
        );
        let row_start = b.build_int_mul(rv, last, "rs").map_err(llvm_err)?;
        let more = b
            .build_int_compare(IntPredicate::SLT, row_start, end, "more")
            .map_err(llvm_err)?;
        let body = self.ctx.append_basic_block(f, "rowbody");
        b.build_conditional_branch(more, body, exit)
            .map_err(llvm_err)?;
        b.position_at_end(body);
        // Multi-index of the row over the outer axes, and each operand's
        // offset.
        let mut offsets: Vec<IntValue> = vec![i64t.const_zero(); n_ops];
        let mut rem = rv;
        for d in (0..rank - 1).rev() {
            let n = load_i64(shape, d as u64)?;
            let idx = b.build_int_signed_rem(rem, n, "idx").map_err(llvm_err)?;
            rem = b.build_int_signed_div(rem, n, "rem").map_err(llvm_err)?;
            for (k, off) in offsets.iter_mut().enumerate() {
                let s = load_i64(strides, (k * rank + d) as u64)?;
                let m = b.build_int_mul(idx, s, "m").map_err(llvm_err)?;
                *off = b.build_int_add(*off, m, "off").map_err(llvm_err)?;
            }
        }
        let left = b.build_int_sub(end, row_start, "left").map_err(llvm_err)?;
        let lt = b
            .build_int_compare(IntPredicate::SLT, left, last, "lt")
            .map_err(llvm_err)?;
        let je = b
            .build_select(lt, left, last, "je")
            .map_err(llvm_err)?
            .into_int_value();
        let mut args: Vec<BasicMetadataValueEnum> = Vec::new();
        for (k, base) in bases.iter().enumerate() {
            if key.bits.contains(&k) {
                // Bit operands pass the bitmap; the row's bit follows.
                args.push((*base).into());
            } else {
                args.push(self.gep(scalars[k], *base, offsets[k])?.into());
            }
        }
        args.extend(
            inner_strides
                .iter()
                .map(|s| BasicMetadataValueEnum::from(*s)),
        );
        args.push(jsv.into());
        args.push(je.into());
        for (&k, off) in key.bits.iter().zip(&bit_offsets) {
            let row_bit = b
                .build_int_add(*off, offsets[k], "rowbit")
                .map_err(llvm_err)?;
            args.push(row_bit.into());
        }
        b.build_call(inner, &args, "").map_err(llvm_err)?;
        let rn = b
            .build_int_add(rv, i64t.const_int(1, false), "rn")
            .map_err(llvm_err)?;
        let body_end = b
            .get_insert_block()
            .ok_or_else(|| Unsupported("no block".into()))?;
        r.add_incoming(&[(&rn, body_end)]);
        js.add_incoming(&[(&i64t.const_zero(), body_end)]);
        b.build_unconditional_branch(header).map_err(llvm_err)?;
        b.position_at_end(exit);
        b.build_return(None).map_err(llvm_err)?;
        Ok(f)
    }

    /// `row(p_0 … p_out, s_0 … s_out, j0, j1, b_0 …)`: elements `j0..j1`
    /// of one row; `b_i` is the bit position of the row's element 0 in
    /// the `i`-th bit-addressed operand (whose pointer is its bitmap's).
    /// Pointers are `noalias`: the output never overlaps an input.
    pub(super) fn build_inner(&self, name: &str, key: &KernelKey) -> R<FunctionValue<'ctx>> {
        let k = &key.spec;
        let n_in = k.inputs.len();
        let n_ops = k.operands();
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let i64t = self.i64();
        let mut params: Vec<_> = (0..n_ops).map(|_| ptr.into()).collect();
        params.extend((0..n_ops).map(|_| inkwell::types::BasicMetadataTypeEnum::from(i64t)));
        params.push(i64t.into());
        params.push(i64t.into());
        params.extend(
            key.bits
                .iter()
                .map(|_| inkwell::types::BasicMetadataTypeEnum::from(i64t)),
        );
        let fty = self.ctx.void_type().fn_type(&params, false);
        let f = self.module.add_function(name, fty, Some(Linkage::Internal));
        self.host.set_attributes(self.ctx, f);
        f.add_attribute(AttributeLoc::Function, self.enum_attr("alwaysinline", 0));
        for i in 0..n_ops as u32 {
            f.add_attribute(AttributeLoc::Param(i), self.enum_attr("noalias", 0));
        }
        let p = |i: usize| {
            f.get_nth_param(i as u32)
                .ok_or_else(|| Unsupported("param".into()))
        };
        let ptrs: Vec<PointerValue> = (0..n_ops)
            .map(|i| Ok(p(i)?.into_pointer_value()))
            .collect::<R<_>>()?;
        let strides: Vec<IntValue> = (0..n_ops)
            .map(|i| Ok(p(n_ops + i)?.into_int_value()))
            .collect::<R<_>>()?;
        let (j0, j1) = (
            p(2 * n_ops)?.into_int_value(),
            p(2 * n_ops + 1)?.into_int_value(),
        );
        // Per operand, the row's bit position when it is bit-addressed.
        let mut row_bits: Vec<Option<IntValue>> = vec![None; n_ops];
        for (i, &k) in key.bits.iter().enumerate() {
            row_bits[k] = Some(p(2 * n_ops + 2 + i)?.into_int_value());
        }
        let saved = self.b.get_insert_block();
        let b = &self.b;
        let entry = self.ctx.append_basic_block(f, "entry");
        let pre = self.ctx.append_basic_block(f, "pre");
        let lp = self.ctx.append_basic_block(f, "loop");
        let post = self.ctx.append_basic_block(f, "post");
        let exit = self.ctx.append_basic_block(f, "exit");
        b.position_at_end(entry);
        let any = b
            .build_int_compare(IntPredicate::SLT, j0, j1, "any")
            .map_err(llvm_err)?;
        b.build_conditional_branch(any, pre, exit)
            .map_err(llvm_err)?;
        b.position_at_end(pre);
        // Broadcast operands load once.
        let mut hoisted: Vec<Option<Val>> = vec![None; n_in];
        for i in 0..n_in {
            if key.layouts[i] == Layout::Broadcast {
                hoisted[i] = Some(match row_bits[i] {
                    Some(bit) => self.load_missing_bit(ptrs[i], bit)?.into(),
                    None => self.load(k.inputs[i], ptrs[i])?,
                });
            }
        }
        let out_layout = key.layouts[n_in];
        let reduce = match k.combine {
            Combine::Reduce(f) => Some(f),
            Combine::Store => None,
        };
        let acc0 = match (reduce, out_layout) {
            (Some(_), Layout::Broadcast) => Some(self.load(k.output, ptrs[n_in])?),
            _ => None,
        };
        b.build_unconditional_branch(lp).map_err(llvm_err)?;
        b.position_at_end(lp);
        let j = b.build_phi(i64t, "j").map_err(llvm_err)?;
        j.add_incoming(&[(&j0, pre)]);
        let jv = j.as_basic_value().into_int_value();
        let acc = match acc0 {
            Some(a) => {
                let phi = b.build_phi(a.get_type(), "acc").map_err(llvm_err)?;
                phi.add_incoming(&[(&a, pre)]);
                Some(phi)
            }
            None => None,
        };
        let elem_ptr = |i: usize, s: Scalar| -> R<PointerValue<'ctx>> {
            match key.layouts[i] {
                Layout::Contiguous => self.gep(s, ptrs[i], jv),
                Layout::Broadcast => Ok(ptrs[i]),
                Layout::Strided => {
                    let off = b.build_int_mul(jv, strides[i], "so").map_err(llvm_err)?;
                    self.gep(s, ptrs[i], off)
                }
            }
        };
        // The bit position of the current element in bit operand `i`.
        let elem_bit = |i: usize, row: IntValue<'ctx>| -> R<IntValue<'ctx>> {
            let step = match key.layouts[i] {
                Layout::Contiguous => jv,
                Layout::Broadcast => return Ok(row),
                Layout::Strided => b.build_int_mul(jv, strides[i], "bs").map_err(llvm_err)?,
            };
            b.build_int_add(row, step, "bit").map_err(llvm_err)
        };
        let mut loads: Vec<Option<Val>> = Vec::with_capacity(n_in);
        for (i, h) in hoisted.iter().enumerate() {
            loads.push(match (h, row_bits[i]) {
                (Some(v), _) => Some(*v),
                (None, Some(row)) => {
                    Some(self.load_missing_bit(ptrs[i], elem_bit(i, row)?)?.into())
                }
                (None, None) => Some(self.load(k.inputs[i], elem_ptr(i, k.inputs[i])?)?),
            });
        }
        let vals = self.eval_kernel(k, &loads)?;
        let v = vals[k.root];
        let root_ty = k.nodes[k.root].ty;
        let next_acc = match reduce {
            None => {
                let v = self.cast(root_ty, k.output, v)?;
                self.store(k.output, elem_ptr(n_in, k.output)?, v)?;
                if let Some(m) = k.missing {
                    let flag = self.truthy(k.nodes[m].ty, vals[m])?;
                    match row_bits[n_in + 1] {
                        Some(row) => {
                            self.store_valid_bit(ptrs[n_in + 1], elem_bit(n_in + 1, row)?, flag)?
                        }
                        None => self.store(
                            Scalar::Bool,
                            elem_ptr(n_in + 1, Scalar::Bool)?,
                            flag.into(),
                        )?,
                    }
                }
                None
            }
            Some(rf) => {
                let v = if matches!(rf, ReduceFn::Any | ReduceFn::All) {
                    self.truthy(root_ty, v)?.into()
                } else {
                    self.cast(root_ty, k.output, v)?
                };
                match &acc {
                    Some(phi) => Some(self.combine(rf, k.output, phi.as_basic_value(), v)?),
                    None => {
                        let op = elem_ptr(n_in, k.output)?;
                        let old = self.load(k.output, op)?;
                        let nv = self.combine(rf, k.output, old, v)?;
                        self.store(k.output, op, nv)?;
                        None
                    }
                }
            }
        };
        let jn = b
            .build_int_add(jv, i64t.const_int(1, false), "jn")
            .map_err(llvm_err)?;
        let cont = b
            .build_int_compare(IntPredicate::SLT, jn, j1, "cont")
            .map_err(llvm_err)?;
        let lp_end = b
            .get_insert_block()
            .ok_or_else(|| Unsupported("no block".into()))?;
        j.add_incoming(&[(&jn, lp_end)]);
        if let (Some(phi), Some(nv)) = (&acc, next_acc) {
            phi.add_incoming(&[(&nv, lp_end)]);
        }
        b.build_conditional_branch(cont, lp, post)
            .map_err(llvm_err)?;
        b.position_at_end(post);
        if let (Some(_), Some(nv)) = (&acc, next_acc) {
            let phi = b.build_phi(nv.get_type(), "final").map_err(llvm_err)?;
            phi.add_incoming(&[(&nv, lp_end)]);
            self.store(k.output, ptrs[n_in], phi.as_basic_value())?;
        }
        b.build_unconditional_branch(exit).map_err(llvm_err)?;
        b.position_at_end(exit);
        b.build_return(None).map_err(llvm_err)?;
        if let Some(bb) = saved {
            self.b.position_at_end(bb);
        }
        Ok(f)
    }
}

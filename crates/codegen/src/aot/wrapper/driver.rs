//! The C function of a definition planned as a [`Program`]: a generated
//! driver that checks the DLPack tensors as for one kernel (every length
//! is then known: each is a number or a parameter's), then runs the steps
//! in order — each fused group's kernel over its operands (parameters,
//! temporaries, views), each matrix product as one `cblas_?gemm` call,
//! each transpose as a view — the last step writing `out`.
//!
//! Temporaries are dense row-major buffers from `malloc`, one per
//! materialized node, their sizes checked against overflow; their pointers
//! live in slots that start NULL, and every return — success, a failed
//! check, `min` of nothing, an allocation that fails — frees them all
//! (`free(NULL)` does nothing). So a call never leaks, whatever it
//! returns, and returns the codes the single-kernel functions return.

use super::{err, Checked, Wrapper, R};
use crate::aot::abi::{EVAL, SHAPE};
use crate::aot::kernels::Kernels;
use crate::aot::program::{Group, Program, Step};
use crate::aot::types::plain;
use crate::llvm::mem_type;
use blaze_datashape::{Datashape, Dim, Scalar};
use blaze_ir::ops::ReduceFn;
use blaze_ir::NodeId;
use inkwell::module::{Linkage, Module};
use inkwell::values::{BasicMetadataValueEnum, FunctionValue, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};
use std::collections::HashMap;

/// The temporaries of a driver: libc's `free` and the slots of their
/// pointers (NULL until allocated).
#[derive(Default)]
pub(super) struct Temps<'ctx> {
    free: Option<FunctionValue<'ctx>>,
    slots: Vec<PointerValue<'ctx>>,
}

type Syms<'ctx> = HashMap<String, PointerValue<'ctx>>;

/// libc function `name` of type `ty`, declared once.
fn libc<'ctx>(
    module: &Module<'ctx>,
    name: &str,
    ty: inkwell::types::FunctionType<'ctx>,
) -> FunctionValue<'ctx> {
    module
        .get_function(name)
        .unwrap_or_else(|| module.add_function(name, ty, Some(Linkage::External)))
}

impl<'ctx> Wrapper<'_, 'ctx> {
    /// Frees every temporary: emitted before each return.
    pub(super) fn release(&mut self) -> R<()> {
        let Some(free) = self.temps.free else {
            return Ok(());
        };
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        for slot in self.temps.slots.clone() {
            let p = self.b.build_load(ptr, slot, "tmp").map_err(err)?;
            self.b.build_call(free, &[p.into()], "").map_err(err)?;
        }
        Ok(())
    }

    /// Calls a kernel's contiguous form when `contiguous` holds at run
    /// time, else its strided form, over `total` elements with the launch
    /// arguments (operand pointers, their strides, the shape); the builder
    /// ends after both.
    pub(super) fn call_by_layout(
        &self,
        contiguous: IntValue<'ctx>,
        (fast, general): (FunctionValue<'ctx>, FunctionValue<'ctx>),
        ptrs: PointerValue<'ctx>,
        strides: PointerValue<'ctx>,
        shape: PointerValue<'ctx>,
        total: IntValue<'ctx>,
    ) -> R<()> {
        let call_fast = self.ctx.append_basic_block(self.func, "contiguous");
        let call_general = self.ctx.append_basic_block(self.func, "strided");
        let done = self.ctx.append_basic_block(self.func, "launched");
        self.b
            .build_conditional_branch(contiguous, call_fast, call_general)
            .map_err(err)?;
        let args: [BasicMetadataValueEnum; 5] = [
            ptrs.into(),
            strides.into(),
            shape.into(),
            self.c64(0).into(),
            total.into(),
        ];
        for (block, kernel) in [(call_fast, fast), (call_general, general)] {
            self.b.position_at_end(block);
            self.b.build_call(kernel, &args, "").map_err(err)?;
            self.b.build_unconditional_branch(done).map_err(err)?;
        }
        self.b.position_at_end(done);
        Ok(())
    }

    /// A scalar parameter in a stack slot of its memory type (a `bool`
    /// normalised to 0 or 1), so kernels read it as a 0-d operand.
    pub(super) fn scalar_slot(
        &self,
        arg: inkwell::values::BasicValueEnum<'ctx>,
        s: Scalar,
        name: &str,
    ) -> R<inkwell::values::PointerValue<'ctx>> {
        let slot = self
            .b
            .build_alloca(mem_type(self.ctx, s), name)
            .map_err(err)?;
        let v = if s == Scalar::Bool {
            let nz = self
                .b
                .build_int_compare(
                    IntPredicate::NE,
                    arg.into_int_value(),
                    self.ctx.i8_type().const_zero(),
                    "nz",
                )
                .map_err(err)?;
            self.b
                .build_int_z_extend(nz, self.ctx.i8_type(), "b")
                .map_err(err)?
                .into()
        } else {
            arg
        };
        self.b.build_store(slot, v).map_err(err)?;
        Ok(slot)
    }

    /// One slot per symbolic length of the parameters, -1 until bound.
    fn symbol_slots(&mut self) -> R<Syms<'ctx>> {
        let i64t = self.i64();
        let mut syms = Syms::new();
        for (_, t) in &self.f.params {
            for d in &t.dims {
                if let Dim::TypeVar(v) = d {
                    if !syms.contains_key(v) {
                        let slot = self.b.build_alloca(i64t, v).map_err(err)?;
                        self.b
                            .build_store(slot, i64t.const_all_ones())
                            .map_err(err)?;
                        syms.insert(v.clone(), slot);
                    }
                }
            }
        }
        Ok(syms)
    }

    /// The lengths of `ty` once the parameters are checked.
    fn lengths(&self, ty: &Datashape, syms: &Syms<'ctx>) -> R<Vec<IntValue<'ctx>>> {
        ty.dims
            .iter()
            .map(|d| match d {
                Dim::Fixed(m) => Ok(self.c64(*m)),
                Dim::TypeVar(v) => {
                    let slot = syms.get(v).ok_or_else(|| {
                        err(format!(
                            "`{}`: the length `{v}` is no length of a parameter",
                            self.f.name
                        ))
                    })?;
                    Ok(self
                        .b
                        .build_load(self.i64(), *slot, "len")
                        .map_err(err)?
                        .into_int_value())
                }
                _ => Err(err(format!("dimension `{d}`"))),
            })
            .collect()
    }

    /// `a * b`, and whether it stays below 2^63 (`a * b <= MAX` as
    /// `a == 0 || b <= MAX / a`).
    fn checked_mul(
        &self,
        a: IntValue<'ctx>,
        b: IntValue<'ctx>,
    ) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        let zero = self.eq(a, self.c64(0))?;
        let divisor = self
            .b
            .build_select(zero, self.c64(1), a, "d")
            .map_err(err)?
            .into_int_value();
        let max = self
            .b
            .build_int_unsigned_div(self.c64(i64::MAX as u64), divisor, "max")
            .map_err(err)?;
        let fits = self
            .b
            .build_int_compare(IntPredicate::ULE, b, max, "fits")
            .map_err(err)?;
        let ok = self.b.build_or(zero, fits, "ok").map_err(err)?;
        Ok((self.b.build_int_mul(a, b, "p").map_err(err)?, ok))
    }

    /// A new row-major temporary of node `id`'s type, its pointer kept in
    /// `slot` for [`release`](Self::release).
    fn temporary(
        &mut self,
        module: &Module<'ctx>,
        id: NodeId,
        slot: PointerValue<'ctx>,
        syms: &Syms<'ctx>,
    ) -> R<Checked<'ctx>> {
        let ty = &self.f.node(id).ty;
        let s = plain(ty, &format!("node %{}", id.index()), &self.f.name)?;
        let lens = self.lengths(ty, syms)?;
        let mut strides = vec![self.c64(1); lens.len()];
        let mut count = self.c64(1);
        let mut ok = self.ctx.bool_type().const_int(1, false);
        for (j, len) in lens.iter().enumerate().rev() {
            strides[j] = count;
            let (c, fits) = self.checked_mul(count, *len)?;
            count = c;
            ok = self.and(ok, fits)?;
        }
        let what = format!("the temporary of node %{} (type `{ty}`)", id.index());
        self.check(ok, EVAL, &format!("{what} would exceed the address space"))?;
        let p = self.allocate(module, count, s.size_bytes() as u64, slot, &what)?;
        Ok(Checked {
            first: p,
            lens,
            strides,
        })
    }

    /// `malloc` of `count` elements of `size` bytes (at least one byte),
    /// its pointer kept in `slot` for [`release`](Self::release);
    /// `BLAZE_ERR_EVAL` naming `what` when the size overflows or memory
    /// runs out.
    pub(super) fn allocate(
        &mut self,
        module: &Module<'ctx>,
        count: IntValue<'ctx>,
        size: u64,
        slot: PointerValue<'ctx>,
        what: &str,
    ) -> R<PointerValue<'ctx>> {
        let (bytes, fits) = self.checked_mul(count, self.c64(size))?;
        self.check(
            fits,
            EVAL,
            &format!("{what} would exceed the address space"),
        )?;
        // malloc(0) may return NULL: at least one byte.
        let none = self.eq(bytes, self.c64(0))?;
        let bytes = self
            .b
            .build_select(none, self.c64(1), bytes, "bytes")
            .map_err(err)?
            .into_int_value();
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let malloc = libc(module, "malloc", ptr.fn_type(&[self.i64().into()], false));
        let p = self
            .b
            .build_call(malloc, &[bytes.into()], "tmp")
            .map_err(err)?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| err("malloc returns nothing"))?
            .into_pointer_value();
        self.b.build_store(slot, p).map_err(err)?;
        let got = self.b.build_is_not_null(p, "got").map_err(err)?;
        self.check(got, EVAL, &format!("out of memory for {what}"))?;
        Ok(p)
    }

    /// A scratch buffer of `count` elements of `size` bytes, freed on
    /// every return like the temporaries (its slot is NULL from the
    /// function's start).
    pub(super) fn scratch(
        &mut self,
        module: &Module<'ctx>,
        count: IntValue<'ctx>,
        size: u64,
        what: &str,
    ) -> R<PointerValue<'ctx>> {
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let slot = self.entry_alloca(ptr.into(), "scratch")?;
        if self.temps.free.is_none() {
            let void = self.ctx.void_type();
            self.temps.free = Some(libc(module, "free", void.fn_type(&[ptr.into()], false)));
        }
        self.temps.slots.push(slot);
        self.allocate(module, count, size, slot, what)
    }

    /// Writes the body of the C function of `prog`, whose groups run
    /// `kernels` (by node).
    pub(in crate::aot) fn build_program(
        mut self,
        module: &Module<'ctx>,
        prog: &Program,
        kernels: &HashMap<usize, Kernels<'ctx>>,
    ) -> R<FunctionValue<'ctx>> {
        let f = self.f;
        let i64t = self.i64();
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let entry = self.ctx.append_basic_block(self.func, "entry");
        self.b.position_at_end(entry);
        let syms = self.symbol_slots()?;
        let root = f.root.index();
        let mut slots = HashMap::new();
        for (i, s) in prog.steps.iter().enumerate() {
            let computed = matches!(
                s,
                Step::Group(_)
                    | Step::MatMul(_)
                    | Step::Arg { .. }
                    | Step::Linalg(..)
                    | Step::Index(_)
            );
            if i != root && computed {
                let slot = self.b.build_alloca(ptr, "slot").map_err(err)?;
                self.b.build_store(slot, ptr.const_null()).map_err(err)?;
                slots.insert(i, slot);
                self.temps.slots.push(slot);
            }
        }
        if !slots.is_empty() {
            let void = self.ctx.void_type();
            self.temps.free = Some(libc(module, "free", void.fn_type(&[ptr.into()], false)));
        }
        // The parameters: 0-d ones are C scalars, stored in a slot.
        let mut params = Vec::new();
        let mut spans = Vec::new();
        for (i, (n, t)) in f.params.iter().enumerate() {
            let s = plain(t, &format!("parameter `{n}`"), &f.name)?;
            let arg = self
                .func
                .get_nth_param(i as u32)
                .ok_or_else(|| err("param"))?;
            if t.dims.is_empty() {
                let slot = self.scalar_slot(arg, s, n)?;
                params.push(Checked {
                    first: slot,
                    lens: Vec::new(),
                    strides: Vec::new(),
                });
            } else {
                let what = format!("`{n}`");
                let c = self.tensor_checks(arg.into_pointer_value(), &what, t, t, s, &syms)?;
                spans.push((n.clone(), self.span(&c, s.size_bytes() as u64)?));
                params.push(c);
            }
        }
        // The output, of the result's lengths, apart from every input.
        let result = f.result_type().clone();
        let out_s = plain(&result, "the result", &f.name)?;
        let expect = self.lengths(&result, &syms)?;
        let out_ty = Datashape::new(
            (0..expect.len())
                .map(|k| Dim::TypeVar(format!("__out{k}")))
                .collect(),
            result.measure.clone(),
        );
        let mut out_syms = syms.clone();
        for (k, len) in expect.iter().enumerate() {
            let slot = self.b.build_alloca(i64t, "outlen").map_err(err)?;
            self.b.build_store(slot, *len).map_err(err)?;
            out_syms.insert(format!("__out{k}"), slot);
        }
        let out_arg = self
            .func
            .get_nth_param(f.params.len() as u32)
            .ok_or_else(|| err("out"))?
            .into_pointer_value();
        let oc = self.tensor_checks(out_arg, "`out`", &out_ty, &result, out_s, &out_syms)?;
        let out_span = self.span(&oc, out_s.size_bytes() as u64)?;
        for (n, span) in spans {
            let apart = self.disjoint(span, out_span)?;
            self.check(
                apart,
                SHAPE,
                &format!("`out` overlaps `{n}`; `out` of a definition computed in several steps is a separate buffer"),
            )?;
        }
        // The steps, in order.
        let mut views: Vec<Option<Checked<'ctx>>> = vec![None; prog.steps.len()];
        for (i, step) in prog.steps.iter().enumerate() {
            let id = NodeId(i as u32);
            let dest = |w: &mut Self| match slots.get(&i) {
                Some(slot) => w.temporary(module, id, *slot, &syms),
                None => Ok(oc.clone()),
            };
            views[i] = match step {
                Step::Param(p) => Some(params.get(*p).ok_or_else(|| err("parameter"))?.clone()),
                Step::Fused => None,
                Step::Transpose(perm) => {
                    let a = self.view(&views, id, 0)?;
                    let pick = |v: &[IntValue<'ctx>]| -> R<Vec<IntValue<'ctx>>> {
                        perm.iter()
                            .map(|k| v.get(*k).copied().ok_or_else(|| err("transpose axis")))
                            .collect()
                    };
                    Some(Checked {
                        first: a.first,
                        lens: pick(&a.lens)?,
                        strides: pick(&a.strides)?,
                    })
                }
                Step::Group(g) => {
                    let d = dest(&mut self)?;
                    let k = kernels
                        .get(&i)
                        .ok_or_else(|| err(format!("no kernel for node %{i}")))?;
                    self.run_group(g, k, &d, &views, &syms)?;
                    Some(d)
                }
                Step::MatMul(s) => {
                    let d = dest(&mut self)?;
                    self.run_matmul(module, *s, id, &d, &views)?;
                    Some(d)
                }
                Step::Index(p) => {
                    let d = dest(&mut self)?;
                    let k = kernels
                        .get(&i)
                        .ok_or_else(|| err(format!("no kernel for node %{i}")))?;
                    self.run_index(p, k, &d, &views, &syms)?;
                    Some(d)
                }
                Step::Linalg(lf, s) => {
                    let a = self.view(&views, id, 0)?;
                    let b = match f.node(id).args.len() {
                        2 => Some(self.view(&views, id, 1)?),
                        _ => None,
                    };
                    let d = dest(&mut self)?;
                    self.run_linalg(module, *lf, *s, &a, b.as_ref(), &d)?;
                    Some(d)
                }
                Step::Arg { scalar, max, axis } => {
                    let x = self.view(&views, id, 0)?;
                    let d = dest(&mut self)?;
                    self.run_arg(*scalar, *max, *axis, &x, &d)?;
                    Some(d)
                }
            };
        }
        // A result that is a view (a transpose) is copied into `out`.
        if let (Some(Step::Transpose(_)), Some(Some(v))) = (prog.steps.get(root), views.get(root)) {
            self.copy_view(v, &oc, out_s)?;
        }
        self.release()?;
        self.b
            .build_return(Some(&self.ctx.i32_type().const_zero()))
            .map_err(err)?;
        Ok(self.func)
    }

    /// Copies view `from` into `to` (same lengths), element by element.
    fn copy_view(&mut self, from: &Checked<'ctx>, to: &Checked<'ctx>, s: Scalar) -> R<()> {
        let ty = mem_type(self.ctx, s);
        let size = s.size_bytes() as u64;
        let lens = from.lens.clone();
        self.loops(&lens, &mut |w: &mut Self, index: &[IntValue<'ctx>]| {
            let p = w.element(from.first, index, &from.strides, size)?;
            let v = w.b.build_load(ty, p, "v").map_err(err)?;
            let q = w.element(to.first, index, &to.strides, size)?;
            w.b.build_store(q, v).map_err(err)?;
            Ok(())
        })
    }

    /// The value of argument `k` of node `id`.
    fn view(&self, views: &[Option<Checked<'ctx>>], id: NodeId, k: usize) -> R<Checked<'ctx>> {
        let a = self
            .f
            .node(id)
            .args
            .get(k)
            .ok_or_else(|| err(format!("node %{} has no argument {k}", id.index())))?;
        views
            .get(a.index())
            .cloned()
            .flatten()
            .ok_or_else(|| err(format!("node %{} is not materialized", a.index())))
    }

    /// Runs group `g` with kernels `k` into `dest`: the identity first and
    /// `mean`'s division after for a reduction.
    fn run_group(
        &mut self,
        g: &Group,
        k: &Kernels<'ctx>,
        dest: &Checked<'ctx>,
        views: &[Option<Checked<'ctx>>],
        syms: &Syms<'ctx>,
    ) -> R<()> {
        self.reduce = g.reduce;
        self.axes = g.axes.clone();
        self.keepdims = g.keepdims;
        let lens = self.lengths(&g.space, syms)?;
        let rank = lens.len();
        // Operands broadcast to the space (stride 0 where of length 1).
        let mut operands = Vec::with_capacity(g.leaves.len());
        for leaf in &g.leaves {
            let v = views
                .get(leaf.index())
                .cloned()
                .flatten()
                .ok_or_else(|| err(format!("node %{} is not materialized", leaf.index())))?;
            let r = v.lens.len();
            if r > rank {
                return Err(err(format!(
                    "node %{} has more axes than its group",
                    leaf.index()
                )));
            }
            let mut strides = Vec::with_capacity(rank);
            for (d, &len) in lens.iter().enumerate() {
                strides.push(if d + r < rank {
                    self.c64(0)
                } else {
                    let a = d + r - rank;
                    let same = self.eq(v.lens[a], len)?;
                    let one = self.eq(v.lens[a], self.c64(1))?;
                    let ok = self.b.build_or(same, one, "o").map_err(err)?;
                    self.check(
                        ok,
                        SHAPE,
                        &format!(
                            "node %{} does not broadcast to `{}` on its axis {a}",
                            leaf.index(),
                            g.space
                        ),
                    )?;
                    self.b
                        .build_select(same, v.strides[a], self.c64(0), "bs")
                        .map_err(err)?
                        .into_int_value()
                });
            }
            operands.push((v.first, strides, r > 0));
        }
        // `dest` moves with its own axes and stays on the reduced ones.
        let mut out_strides = Vec::with_capacity(rank);
        for d in 0..rank {
            out_strides.push(match self.out_axis(d) {
                Some(a) if !self.reduced(d) => *dest
                    .strides
                    .get(a)
                    .ok_or_else(|| err("an axis of the result"))?,
                _ => self.c64(0),
            });
        }
        self.launch(k, g.spec.output, &lens, &operands, dest, &out_strides)
    }

    /// Runs kernels `k` (output element type `s`) over a space of `lens`:
    /// `operands` are each a first element, its strides along the space
    /// and whether it is a tensor (not a 0-d scalar); `dest` moves by
    /// `out_strides`. The contiguous kernel when every tensor's inner
    /// stride is 1. A reduction (`self.reduce`, `self.axes`) starts with
    /// the identity and, for `mean`, ends with the division.
    pub(super) fn launch(
        &mut self,
        k: &Kernels<'ctx>,
        s: Scalar,
        lens: &[IntValue<'ctx>],
        operands: &[(PointerValue<'ctx>, Vec<IntValue<'ctx>>, bool)],
        dest: &Checked<'ctx>,
        out_strides: &[IntValue<'ctx>],
    ) -> R<()> {
        self.fill = k.fill;
        self.divide = k.divide;
        let i64t = self.i64();
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let rank = lens.len();
        let n_ops = operands.len() + 1;
        let ptrs = self
            .b
            .build_array_alloca(ptr, self.c64(n_ops as u64), "ptrs")
            .map_err(err)?;
        let strides = self
            .b
            .build_array_alloca(i64t, self.c64((n_ops * rank).max(1) as u64), "strides")
            .map_err(err)?;
        let shape = self
            .b
            .build_array_alloca(i64t, self.c64(rank.max(1) as u64), "shape")
            .map_err(err)?;
        let at = |w: &Self, base, ty: inkwell::types::BasicTypeEnum<'ctx>, i: usize| {
            // SAFETY: `i` is within the array allocated above.
            unsafe { w.b.build_gep(ty, base, &[w.c64(i as u64)], "at") }.map_err(err)
        };
        let mut total = self.c64(1);
        for (d, len) in lens.iter().enumerate() {
            self.b
                .build_store(at(self, shape, i64t.into(), d)?, *len)
                .map_err(err)?;
            total = self.b.build_int_mul(total, *len, "total").map_err(err)?;
        }
        let mut contiguous = self.ctx.bool_type().const_int(1, false);
        let out_tensor = rank > 0 && !self.reduced(rank - 1);
        let all = operands
            .iter()
            .map(|(p, st, t)| (*p, st.as_slice(), *t))
            .chain([(dest.first, out_strides, out_tensor)]);
        for (j, (first, st, tensor)) in all.enumerate() {
            self.b
                .build_store(at(self, ptrs, ptr.into(), j)?, first)
                .map_err(err)?;
            if st.len() != rank {
                return Err(err("an operand's strides do not match its space"));
            }
            for (d, stride) in st.iter().enumerate() {
                self.b
                    .build_store(at(self, strides, i64t.into(), j * rank + d)?, *stride)
                    .map_err(err)?;
            }
            if let (true, Some(inner)) = (tensor, st.last()) {
                let unit = self.eq(*inner, self.c64(1))?;
                contiguous = self.and(contiguous, unit)?;
            }
        }
        let out = (dest.first, dest.lens.as_slice(), dest.strides.as_slice());
        if let Some(rf) = self.reduce {
            // `count` is a sum of ones.
            let start = if rf == ReduceFn::Count {
                ReduceFn::Sum
            } else {
                rf
            };
            self.start_reduction(start, s, lens, out)?;
        }
        self.call_by_layout(contiguous, (k.fast, k.general), ptrs, strides, shape, total)?;
        if self.reduce == Some(ReduceFn::Mean) {
            self.finish_mean(s, lens, out)?;
        }
        Ok(())
    }

    /// `a @ b` of node `id` into `dest` through `cblas_?gemm`: a vector is
    /// a matrix of one row on the left, of one column on the right.
    fn run_matmul(
        &mut self,
        module: &Module<'ctx>,
        s: Scalar,
        id: NodeId,
        dest: &Checked<'ctx>,
        views: &[Option<Checked<'ctx>>],
    ) -> R<()> {
        let a = self.view(views, id, 0)?;
        let b = self.view(views, id, 1)?;
        let one = self.c64(1);
        // A vector as a 1 × K (left) or K × 1 (right) matrix; the unit
        // axis gets a stride BLAS accepts as a leading dimension.
        let left = match a.lens.as_slice() {
            [k] => Checked {
                first: a.first,
                lens: vec![one, *k],
                strides: vec![*k, a.strides[0]],
            },
            _ => a.clone(),
        };
        let right = match b.lens.as_slice() {
            [k] => Checked {
                first: b.first,
                lens: vec![*k, one],
                strides: vec![b.strides[0], one],
            },
            _ => b.clone(),
        };
        if left.lens.len() != 2 || right.lens.len() != 2 {
            return Err(err(format!(
                "node %{}: `@` of ranks other than 1 and 2",
                id.index()
            )));
        }
        let (m, k) = (left.lens[0], left.lens[1]);
        let (kb, n) = (right.lens[0], right.lens[1]);
        let inner = self.eq(k, kb)?;
        let (an, bn) = (self.name_of(id, 0), self.name_of(id, 1));
        self.check(
            inner,
            SHAPE,
            &format!("the columns of {an} and the rows of {bn} differ"),
        )?;
        // The product as an m × n row-major matrix.
        let c = match dest.lens.len() {
            2 => dest.clone(),
            _ => Checked {
                first: dest.first,
                lens: vec![m, n],
                strides: match (a.lens.len(), b.lens.len()) {
                    (2, _) => vec![dest.strides.first().copied().unwrap_or(one), one],
                    (_, 2) => vec![n, dest.strides.first().copied().unwrap_or(one)],
                    _ => vec![one, one],
                },
            },
        };
        self.call_gemm(
            module,
            s,
            (&left, false, &an),
            (&right, false, &bn),
            &c,
            (m, n, k),
        )
    }

    /// How messages name argument `k` of node `id`: a parameter by its
    /// name, a computed value by its node.
    fn name_of(&self, id: NodeId, k: usize) -> String {
        let Some(a) = self.f.node(id).args.get(k) else {
            return format!("node %{}", id.index());
        };
        match &self.f.node(*a).op {
            blaze_ir::Op::Param(p) => self
                .f
                .params
                .get(*p)
                .map_or_else(|| format!("node %{}", a.index()), |(n, _)| format!("`{n}`")),
            _ => format!("node %{}", a.index()),
        }
    }
}

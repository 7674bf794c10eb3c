//! The C function of a definition, written in LLVM IR: checks every
//! DLPack tensor (NULL, device, dtype, rank, lengths and symbolic dims,
//! alignment, broadcasting, overlapping output), returns a blaze status
//! code with a static message for `blaze_aot_last_error()`, then calls the
//! contiguous or the strided kernel over the whole iteration space.

use super::abi::{dl_dtype, ALIGNMENT, DEVICE, DTYPE, NULL_POINTER, SHAPE};
use super::types::plain;
use super::Plan;
use crate::error::Unsupported;
use crate::llvm::mem_type;
use crate::target::Host;
use blaze_datashape::{Datashape, Dim, Scalar};
use blaze_ir::ops::ReduceFn;
use blaze_ir::Function;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::types::{BasicTypeEnum, StructType};
use inkwell::values::{BasicMetadataValueEnum, FunctionValue, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};
use std::collections::HashMap;

mod argreduce;
mod driver;
mod gemm;
mod index;
mod lapack;
mod overlap;
mod reduce;

pub(super) use reduce::identity_const;

type R<T> = Result<T, Unsupported>;

fn err(e: impl std::fmt::Display) -> Unsupported {
    Unsupported(e.to_string())
}

/// Builds the C function of one definition.
pub(super) struct Wrapper<'a, 'ctx> {
    ctx: &'ctx Context,
    b: Builder<'ctx>,
    last_error: inkwell::values::GlobalValue<'ctx>,
    f: &'a Function,
    func: FunctionValue<'ctx>,
    tensor: StructType<'ctx>,
    messages: HashMap<String, PointerValue<'ctx>>,
    /// The thread's buffer for messages made at run time.
    buffer: PointerValue<'ctx>,
    /// libc's `snprintf`.
    snprintf: FunctionValue<'ctx>,
    /// The type of the iteration space: the result's, or the reduced
    /// argument's.
    space: Datashape,
    /// The reduction into `out`, if any.
    reduce: Option<ReduceFn>,
    /// The axes of the space it reduces.
    axes: Vec<usize>,
    /// Whether `out` keeps them with length 1.
    keepdims: bool,
    /// The kernel filling an `out` of rank > 0 with the identity.
    fill: Option<FunctionValue<'ctx>>,
    /// `mean`'s kernel dividing every element of such an `out`.
    divide: Option<FunctionValue<'ctx>>,
    /// Slots of the temporaries' pointers, freed on every return.
    temps: driver::Temps<'ctx>,
}

/// Bytes of the thread-local buffer of messages made at run time.
const BUFFER: u32 = 256;

/// A checked tensor: its first element, lengths and strides (elements).
#[derive(Clone)]
struct Checked<'ctx> {
    first: PointerValue<'ctx>,
    lens: Vec<IntValue<'ctx>>,
    strides: Vec<IntValue<'ctx>>,
}

impl<'a, 'ctx> Wrapper<'a, 'ctx> {
    pub(super) fn new(
        ctx: &'ctx Context,
        module: &'a Module<'ctx>,
        host: &'a Host,
        last_error: inkwell::values::GlobalValue<'ctx>,
        f: &'a Function,
        symbol: &str,
        linkage: Linkage,
    ) -> R<Self> {
        let ptr = ctx.ptr_type(AddressSpace::default());
        let i8t = ctx.i8_type();
        let i16t = ctx.i16_type();
        let i32t = ctx.i32_type();
        let i64t = ctx.i64_type();
        let device = ctx.struct_type(&[i32t.into(), i32t.into()], false);
        let dtype = ctx.struct_type(&[i8t.into(), i8t.into(), i16t.into()], false);
        let tensor = ctx.struct_type(
            &[
                ptr.into(),
                device.into(),
                i32t.into(),
                dtype.into(),
                ptr.into(),
                ptr.into(),
                i64t.into(),
            ],
            false,
        );
        let mut params: Vec<inkwell::types::BasicMetadataTypeEnum> = Vec::new();
        for (n, t) in &f.params {
            let s = plain(t, &format!("parameter `{n}`"), &f.name)?;
            params.push(if t.dims.is_empty() {
                mem_type(ctx, s).into()
            } else {
                ptr.into()
            });
        }
        params.push(ptr.into());
        let func = module.add_function(symbol, i32t.fn_type(&params, false), Some(linkage));
        host.set_attributes(ctx, func);
        let buffer = match module.get_global("blaze_aot_last_error_buffer") {
            Some(g) => g,
            None => {
                let ty = i8t.array_type(BUFFER);
                let g = module.add_global(ty, None, "blaze_aot_last_error_buffer");
                g.set_thread_local(true);
                g.set_linkage(Linkage::WeakODR);
                g.set_initializer(&ty.const_zero());
                g
            }
        }
        .as_pointer_value();
        let snprintf = module.get_function("snprintf").unwrap_or_else(|| {
            module.add_function(
                "snprintf",
                i32t.fn_type(&[ptr.into(), i64t.into(), ptr.into()], true),
                Some(Linkage::External),
            )
        });
        Ok(Wrapper {
            ctx,
            b: ctx.create_builder(),
            last_error,
            f,
            func,
            tensor,
            messages: HashMap::new(),
            buffer,
            snprintf,
            space: f.result_type().clone(),
            reduce: None,
            axes: Vec::new(),
            keepdims: false,
            fill: None,
            divide: None,
            temps: driver::Temps::default(),
        })
    }

    /// Runs `plan`: its iteration space and reduction, with the kernels
    /// that `fill` an `out` of rank > 0 with the identity and `divide` it
    /// for `mean`.
    pub(super) fn plan(
        mut self,
        plan: &Plan,
        fill: Option<FunctionValue<'ctx>>,
        divide: Option<FunctionValue<'ctx>>,
    ) -> Self {
        self.space = plan.space.clone();
        self.reduce = plan.reduce;
        self.axes = plan.axes.clone();
        self.keepdims = plan.keepdims;
        self.fill = fill;
        self.divide = divide;
        self
    }

    fn i64(&self) -> inkwell::types::IntType<'ctx> {
        self.ctx.i64_type()
    }

    fn c64(&self, v: u64) -> IntValue<'ctx> {
        self.i64().const_int(v, false)
    }

    /// Continues when `ok`; otherwise returns `code`, leaving `message`.
    fn check(&mut self, ok: IntValue<'ctx>, code: u64, message: &str) -> R<()> {
        let text = format!("{}: {message}", self.f.name);
        let msg = match self.messages.get(&text) {
            Some(p) => *p,
            None => {
                let g = self
                    .b
                    .build_global_string_ptr(&text, "msg")
                    .map_err(err)?
                    .as_pointer_value();
                self.messages.insert(text, g);
                g
            }
        };
        let fail = self.ctx.append_basic_block(self.func, "fail");
        let next = self.ctx.append_basic_block(self.func, "ok");
        self.b
            .build_conditional_branch(ok, next, fail)
            .map_err(err)?;
        self.b.position_at_end(fail);
        self.release()?;
        self.b
            .build_store(self.last_error.as_pointer_value(), msg)
            .map_err(err)?;
        self.b
            .build_return(Some(&self.ctx.i32_type().const_int(code, false)))
            .map_err(err)?;
        self.b.position_at_end(next);
        Ok(())
    }

    /// Continues when `ok`; otherwise writes `format` (a `printf` format
    /// whose `%u` take `values`, zero-extended) into this thread's buffer,
    /// leaves it as the message and returns `code`.
    fn check_formatted(
        &mut self,
        ok: IntValue<'ctx>,
        code: u64,
        format: &str,
        values: &[IntValue<'ctx>],
    ) -> R<()> {
        let fail = self.ctx.append_basic_block(self.func, "fail");
        let next = self.ctx.append_basic_block(self.func, "ok");
        self.b
            .build_conditional_branch(ok, next, fail)
            .map_err(err)?;
        self.b.position_at_end(fail);
        self.release()?;
        let fmt = self
            .b
            .build_global_string_ptr(format, "fmt")
            .map_err(err)?
            .as_pointer_value();
        let mut args: Vec<BasicMetadataValueEnum<'ctx>> = vec![
            self.buffer.into(),
            self.c64(u64::from(BUFFER)).into(),
            fmt.into(),
        ];
        for v in values {
            let wide = self
                .b
                .build_int_z_extend(*v, self.ctx.i32_type(), "u")
                .map_err(err)?;
            args.push(wide.into());
        }
        self.b.build_call(self.snprintf, &args, "n").map_err(err)?;
        self.b
            .build_store(self.last_error.as_pointer_value(), self.buffer)
            .map_err(err)?;
        self.b
            .build_return(Some(&self.ctx.i32_type().const_int(code, false)))
            .map_err(err)?;
        self.b.position_at_end(next);
        Ok(())
    }

    fn field(
        &self,
        t: PointerValue<'ctx>,
        idx: u32,
        ty: BasicTypeEnum<'ctx>,
    ) -> R<inkwell::values::BasicValueEnum<'ctx>> {
        let p = self
            .b
            .build_struct_gep(self.tensor, t, idx, "f")
            .map_err(err)?;
        self.b.build_load(ty, p, "v").map_err(err)
    }

    fn sub_field(
        &self,
        t: PointerValue<'ctx>,
        idx: u32,
        sub: u32,
        ty: BasicTypeEnum<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let p = self
            .b
            .build_struct_gep(self.tensor, t, idx, "f")
            .map_err(err)?;
        let inner = self
            .tensor
            .get_field_type_at_index(idx)
            .ok_or_else(|| err("field"))?
            .into_struct_type();
        let q = self.b.build_struct_gep(inner, p, sub, "g").map_err(err)?;
        Ok(self.b.build_load(ty, q, "v").map_err(err)?.into_int_value())
    }

    fn eq(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.b
            .build_int_compare(IntPredicate::EQ, a, b, "eq")
            .map_err(err)
    }

    /// Checks tensor `t` named `what` of element type `s` and rank `rank`,
    /// binding or comparing the symbolic lengths in `syms`.
    fn tensor_checks(
        &mut self,
        t: PointerValue<'ctx>,
        what: &str,
        ty: &Datashape,
        shown: &Datashape,
        s: Scalar,
        syms: &HashMap<String, PointerValue<'ctx>>,
    ) -> R<Checked<'ctx>> {
        let i8t = self.ctx.i8_type();
        let i16t = self.ctx.i16_type();
        let i32t = self.ctx.i32_type();
        let i64t = self.i64();
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let rank = ty.dims.len();
        let is_null = self.b.build_is_null(t, "null").map_err(err)?;
        let not_null = self.b.build_not(is_null, "nn").map_err(err)?;
        self.check(not_null, NULL_POINTER, &format!("{what} is NULL"))?;
        let dev = self.sub_field(t, 1, 0, i32t.into())?;
        let ok = self.eq(dev, i32t.const_int(1, false))?;
        self.check(
            ok,
            DEVICE,
            &format!("{what} is not in host memory (kDLCPU)"),
        )?;
        let (code, bits) = dl_dtype(s);
        let c = self.sub_field(t, 3, 0, i8t.into())?;
        let bt = self.sub_field(t, 3, 1, i8t.into())?;
        let l = self.sub_field(t, 3, 2, i16t.into())?;
        let ok1 = self.eq(c, i8t.const_int(code, false))?;
        let ok2 = self.eq(bt, i8t.const_int(bits, false))?;
        let ok3 = self.eq(l, i16t.const_int(1, false))?;
        let ok = self.b.build_and(ok1, ok2, "a").map_err(err)?;
        let ok = self.b.build_and(ok, ok3, "a").map_err(err)?;
        let text = format!(
            "{}: {what} is not {s}: it has dtype code %u, bits %u, lanes %u; its type `{shown}` needs dtype code {code}, bits {bits}, lanes 1",
            self.f.name
        );
        self.check_formatted(ok, DTYPE, &text, &[c, bt, l])?;
        let ndim = self.field(t, 2, i32t.into())?.into_int_value();
        let ok = self.eq(ndim, i32t.const_int(rank as u64, false))?;
        self.check(
            ok,
            SHAPE,
            &format!("{what} must have ndim {rank} (type `{shown}`)"),
        )?;
        let shape = self.field(t, 4, ptr.into())?.into_pointer_value();
        if rank > 0 {
            let n = self.b.build_is_not_null(shape, "sn").map_err(err)?;
            self.check(n, NULL_POINTER, &format!("{what}: shape is NULL"))?;
        }
        let mut lens = Vec::with_capacity(rank);
        for (j, d) in ty.dims.iter().enumerate() {
            let g = unsafe { self.b.build_gep(i64t, shape, &[self.c64(j as u64)], "sp") }
                .map_err(err)?;
            let len = self
                .b
                .build_load(i64t, g, "len")
                .map_err(err)?
                .into_int_value();
            let ok = self
                .b
                .build_int_compare(IntPredicate::SGE, len, self.c64(0), "ge")
                .map_err(err)?;
            self.check(ok, SHAPE, &format!("{what} has a negative length"))?;
            match d {
                Dim::Fixed(m) => {
                    let ok = self.eq(len, self.c64(*m))?;
                    self.check(
                        ok,
                        SHAPE,
                        &format!("{what} must have length {m} on axis {j} (type `{shown}`)"),
                    )?;
                }
                Dim::TypeVar(v) => {
                    let slot = *syms.get(v).ok_or_else(|| err("symbol slot"))?;
                    let cur = self
                        .b
                        .build_load(i64t, slot, "sym")
                        .map_err(err)?
                        .into_int_value();
                    let unbound = self.eq(cur, i64t.const_all_ones())?;
                    let same = self.eq(cur, len)?;
                    let ok = self.b.build_or(unbound, same, "o").map_err(err)?;
                    let msg = if v.starts_with("__out") {
                        format!("{what} does not have the result's length on axis {j} (result type `{shown}`)")
                    } else {
                        format!("{what}: its length on axis {j} is not the `{v}` of the tensors before it (type `{shown}`)")
                    };
                    self.check(ok, SHAPE, &msg)?;
                    self.b.build_store(slot, len).map_err(err)?;
                }
                _ => return Err(err(format!("dimension `{d}`"))),
            }
            lens.push(len);
        }
        // Compact row-major strides, used when `strides` is NULL.
        let compact = self
            .b
            .build_array_alloca(i64t, self.c64(rank.max(1) as u64), "compact")
            .map_err(err)?;
        let mut acc = self.c64(1);
        let mut count = self.c64(1);
        for j in (0..rank).rev() {
            let g = unsafe { self.b.build_gep(i64t, compact, &[self.c64(j as u64)], "cp") }
                .map_err(err)?;
            self.b.build_store(g, acc).map_err(err)?;
            acc = self.b.build_int_mul(acc, lens[j], "acc").map_err(err)?;
            count = self.b.build_int_mul(count, lens[j], "count").map_err(err)?;
        }
        let given = self.field(t, 5, ptr.into())?.into_pointer_value();
        let none = self.b.build_is_null(given, "ns").map_err(err)?;
        let sp = self
            .b
            .build_select(none, compact, given, "strides")
            .map_err(err)?
            .into_pointer_value();
        let mut strides = Vec::with_capacity(rank);
        for j in 0..rank {
            let g =
                unsafe { self.b.build_gep(i64t, sp, &[self.c64(j as u64)], "st") }.map_err(err)?;
            strides.push(
                self.b
                    .build_load(i64t, g, "stride")
                    .map_err(err)?
                    .into_int_value(),
            );
        }
        let data = self.field(t, 0, ptr.into())?.into_pointer_value();
        let off = self.field(t, 6, i64t.into())?.into_int_value();
        let empty = self.eq(count, self.c64(0))?;
        let has = self.b.build_is_not_null(data, "dn").map_err(err)?;
        let ok = self.b.build_or(empty, has, "o").map_err(err)?;
        self.check(ok, NULL_POINTER, &format!("{what}: data is NULL"))?;
        let addr = self.b.build_ptr_to_int(data, i64t, "addr").map_err(err)?;
        let addr = self.b.build_int_add(addr, off, "first").map_err(err)?;
        let align = match s {
            Scalar::Bool => 1,
            _ => (s.size_bytes() as u64).min(8),
        };
        let low = self
            .b
            .build_and(addr, self.c64(align - 1), "low")
            .map_err(err)?;
        let ok = self.eq(low, self.c64(0))?;
        let ok = self.b.build_or(ok, empty, "o").map_err(err)?;
        self.check(
            ok,
            ALIGNMENT,
            &format!("{what}: data + byte_offset is not aligned to {align} bytes"),
        )?;
        let first = unsafe { self.b.build_gep(i8t, data, &[off], "first") }.map_err(err)?;
        Ok(Checked {
            first,
            lens,
            strides,
        })
    }

    fn and(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.b.build_and(a, b, "and").map_err(err)
    }

    /// Writes the function's body, calling `fast` (the contiguous kernel)
    /// or `general` (the strided one); returns the function.
    pub(super) fn build(
        mut self,
        fast: FunctionValue<'ctx>,
        general: FunctionValue<'ctx>,
    ) -> R<FunctionValue<'ctx>> {
        let f = self.f;
        let i64t = self.i64();
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let entry = self.ctx.append_basic_block(self.func, "entry");
        self.b.position_at_end(entry);
        // One slot per symbolic length, -1 until bound.
        let mut syms: HashMap<String, PointerValue<'ctx>> = HashMap::new();
        for (_, t) in &f.params {
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
        let result = f.result_type().clone();
        let space = self.space.clone();
        let rank = space.dims.len();
        for d in &space.dims {
            if let Dim::TypeVar(v) = d {
                if !syms.contains_key(v) {
                    return Err(err(format!(
                        "`{}`: the result's length `{v}` is not a length of any parameter, so the caller cannot size the output",
                        f.name
                    )));
                }
            }
        }
        let n_ops = f.params.len() + 1;
        let ptrs = self
            .b
            .build_array_alloca(ptr, self.c64(n_ops as u64), "ptrs")
            .map_err(err)?;
        let strides = self
            .b
            .build_array_alloca(i64t, self.c64((n_ops * rank.max(1)) as u64), "strides")
            .map_err(err)?;
        let store_i64 =
            |w: &Self, base: PointerValue<'ctx>, i: usize, v: IntValue<'ctx>| -> R<()> {
                let g =
                    unsafe { w.b.build_gep(i64t, base, &[w.c64(i as u64)], "s") }.map_err(err)?;
                w.b.build_store(g, v).map_err(err)?;
                Ok(())
            };
        let store_ptr = |w: &Self, i: usize, v: PointerValue<'ctx>| -> R<()> {
            let g = unsafe { w.b.build_gep(ptr, ptrs, &[w.c64(i as u64)], "p") }.map_err(err)?;
            w.b.build_store(g, v).map_err(err)?;
            Ok(())
        };
        // Inputs: checked first, broadcast against the result below.
        let mut checked: Vec<Option<Checked<'ctx>>> = Vec::new();
        for (i, (n, t)) in f.params.iter().enumerate() {
            let s = plain(t, &format!("parameter `{n}`"), &f.name)?;
            let arg = self
                .func
                .get_nth_param(i as u32)
                .ok_or_else(|| err("param"))?;
            if t.dims.is_empty() {
                let slot = self.scalar_slot(arg, s, n)?;
                store_ptr(&self, i, slot)?;
                for k in 0..rank {
                    store_i64(&self, strides, i * rank + k, self.c64(0))?;
                }
                checked.push(None);
            } else {
                let c = self.tensor_checks(
                    arg.into_pointer_value(),
                    &format!("`{n}`"),
                    t,
                    t,
                    s,
                    &syms,
                )?;
                store_ptr(&self, i, c.first)?;
                checked.push(Some(c));
            }
        }
        // The result's lengths.
        let shape = self
            .b
            .build_array_alloca(i64t, self.c64(rank.max(1) as u64), "shape")
            .map_err(err)?;
        let mut out_lens = Vec::with_capacity(rank);
        for (k, d) in space.dims.iter().enumerate() {
            let len = match d {
                Dim::Fixed(m) => self.c64(*m),
                Dim::TypeVar(v) => self
                    .b
                    .build_load(i64t, syms[v], "len")
                    .map_err(err)?
                    .into_int_value(),
                _ => return Err(err(format!("dimension `{d}`"))),
            };
            store_i64(&self, shape, k, len)?;
            out_lens.push(len);
        }
        // Broadcasting: an input axis of the result's length keeps its
        // stride, one of length 1 gets stride 0.
        for (i, c) in checked.iter().enumerate() {
            let Some(c) = c else { continue };
            let r = c.lens.len();
            let (n, t) = &f.params[i];
            for (k, &out_len) in out_lens.iter().enumerate() {
                let stride = if k + r < rank {
                    self.c64(0)
                } else {
                    let j = k + r - rank;
                    let same = self.eq(c.lens[j], out_len)?;
                    let one = self.eq(c.lens[j], self.c64(1))?;
                    let ok = self.b.build_or(same, one, "o").map_err(err)?;
                    self.check(
                        ok,
                        SHAPE,
                        &format!(
                            "`{n}` (type `{t}`) does not broadcast to `{space}` on its axis {j}"
                        ),
                    )?;
                    self.b
                        .build_select(same, c.strides[j], self.c64(0), "bs")
                        .map_err(err)?
                        .into_int_value()
                };
                store_i64(&self, strides, i * rank + k, stride)?;
            }
        }
        // The output.
        let out_s = plain(&result, "the result", &f.name)?;
        let out_arg = self
            .func
            .get_nth_param(f.params.len() as u32)
            .ok_or_else(|| err("out"))?
            .into_pointer_value();
        // Lengths of the output are compared with the expected ones, not
        // bound: the space's, without the reduced axes (or 1 there with
        // keepdims).
        let mut expect = Vec::new();
        for (d, len) in out_lens.iter().enumerate() {
            if self.out_axis(d).is_some() {
                expect.push(if self.reduced(d) { self.c64(1) } else { *len });
            }
        }
        let out_rank = expect.len();
        let out_ty = Datashape::new(
            (0..out_rank)
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
        let oc = self.tensor_checks(out_arg, "`out`", &out_ty, &result, out_s, &out_syms)?;
        store_ptr(&self, f.params.len(), oc.first)?;
        let mut total = self.c64(1);
        for l in &out_lens {
            total = self.b.build_int_mul(total, *l, "total").map_err(err)?;
        }
        let mut out_total = self.c64(1);
        for l in &expect {
            out_total = self.b.build_int_mul(out_total, *l, "ot").map_err(err)?;
        }
        let nonempty = self
            .b
            .build_int_compare(IntPredicate::NE, out_total, self.c64(0), "ne")
            .map_err(err)?;
        for (k, &out_len) in expect.iter().enumerate() {
            let long = self
                .b
                .build_int_compare(IntPredicate::UGT, out_len, self.c64(1), "long")
                .map_err(err)?;
            let zero = self.eq(oc.strides[k], self.c64(0))?;
            let bad = self.b.build_and(long, zero, "b").map_err(err)?;
            let bad = self.b.build_and(bad, nonempty, "b").map_err(err)?;
            let ok = self.b.build_not(bad, "ok").map_err(err)?;
            self.check(
                ok,
                SHAPE,
                &format!("`out` has stride 0 on axis {k}: its elements overlap"),
            )?;
        }
        // Along the space, `out` moves with its own axes, and stays on
        // the reduced ones, which combine into one element.
        for d in 0..rank {
            let stride = match self.out_axis(d) {
                Some(k) if !self.reduced(d) => oc.strides[k],
                _ => self.c64(0),
            };
            store_i64(&self, strides, f.params.len() * rank + d, stride)?;
        }
        // `out` may be an input exactly (same first element, element size,
        // lengths and strides: each element is read before it is written),
        // but must not otherwise share bytes with one.
        let out_span = self.span(&oc, out_s.size_bytes() as u64)?;
        for (i, c) in checked.iter().enumerate() {
            let Some(c) = c else { continue };
            let (n, t) = &f.params[i];
            let s = plain(t, &format!("parameter `{n}`"), &f.name)?;
            let in_span = self.span(c, s.size_bytes() as u64)?;
            let disjoint = self.disjoint(in_span, out_span)?;
            // A reduction reads every input while `out` accumulates.
            let exact = self.reduce.is_none() && c.lens.len() == rank;
            let mut same = self.ctx.bool_type().const_int(
                u64::from(exact && s.size_bytes() == out_s.size_bytes()),
                false,
            );
            if exact {
                same = self.and(same, self.eq(in_span.2, out_span.2)?)?;
                for k in 0..rank {
                    let lens = self.eq(c.lens[k], oc.lens[k])?;
                    let strides = self.eq(c.strides[k], oc.strides[k])?;
                    let short = self
                        .b
                        .build_int_compare(IntPredicate::ULE, c.lens[k], self.c64(1), "short")
                        .map_err(err)?;
                    let axis = self.b.build_or(strides, short, "ax").map_err(err)?;
                    same = self.and(same, lens)?;
                    same = self.and(same, axis)?;
                }
            }
            let ok = self.b.build_or(disjoint, same, "ok").map_err(err)?;
            let msg = match self.reduce {
                Some(_) => format!("`out` overlaps `{n}`; a reduction's `out` is a separate buffer"),
                None => format!("`out` overlaps `{n}` without being the same elements in the same layout; pass `{n}` itself as `out`, or a separate buffer"),
            };
            self.check(ok, SHAPE, &msg)?;
        }
        // Contiguous when every tensor's inner stride is 1.
        let mut contiguous = self.ctx.bool_type().const_int(1, false);
        if rank > 0 {
            for i in 0..n_ops {
                // `out` with stride 0 along a reduced inner axis is
                // broadcast in both specializations.
                let is_tensor = match checked.get(i) {
                    Some(c) => c.is_some(),
                    None => !self.reduced(rank - 1),
                };
                if !is_tensor {
                    continue;
                }
                let g = unsafe {
                    self.b.build_gep(
                        i64t,
                        strides,
                        &[self.c64((i * rank + rank - 1) as u64)],
                        "in",
                    )
                }
                .map_err(err)?;
                let s = self
                    .b
                    .build_load(i64t, g, "inner")
                    .map_err(err)?
                    .into_int_value();
                let one = self.eq(s, self.c64(1))?;
                contiguous = self.b.build_and(contiguous, one, "c").map_err(err)?;
            }
        }
        if let Some(rf) = self.reduce {
            self.start_reduction(rf, out_s, &out_lens, (oc.first, &oc.lens, &oc.strides))?;
        }
        self.call_by_layout(contiguous, (fast, general), ptrs, strides, shape, total)?;
        if self.reduce == Some(ReduceFn::Mean) {
            self.finish_mean(out_s, &out_lens, (oc.first, &oc.lens, &oc.strides))?;
        }
        self.b
            .build_return(Some(&self.ctx.i32_type().const_zero()))
            .map_err(err)?;
        Ok(self.func)
    }
}

//! Lowering of a [`KernelKey`] to LLVM IR: the [`Emitter`] and what all
//! its parts share (LLVM types of scalars, loads and stores, attributes).
//!
//! Every kernel has one signature (the C ABI the runtime calls):
//!
//! ```c
//! void kernel(char **ptrs, const int64_t *strides, const int64_t *shape,
//!             int64_t begin, int64_t end);
//! ```
//!
//! `ptrs` holds one pointer per input and then the output, each pointing at
//! the element with index 0 on every axis; `strides` holds, per operand, one
//! stride in elements per axis (0 broadcasts, negative walks backwards);
//! `shape` is the iteration space. The kernel handles the flat C-order
//! positions `begin..end` of that space, so the runtime can split any shape
//! into chunks. The rows of the innermost axis are a separate loop whose
//! operands are `noalias` pointers with the layout of the key: contiguous
//! operands load and store vectors.
//!
//! User data never reaches undefined behaviour: integer division and
//! remainder check for 0 and −1, float→integer casts use the saturating
//! intrinsics, and nothing else in the instruction set used can trap.
//!
//! One concept a module: `loops` (the kernel's signature and its loops over
//! the iteration space), `scalar` (casts, truthiness, constants, unary
//! functions), `binary` (binary functions), `reduce` (combining into an
//! accumulator), `calls` (intrinsics, libm under blaze's names, integer
//! power). Which IR nodes become kernel nodes is `fuse`'s business, which
//! host and optimizer `target`'s and `machine`'s.

use crate::kernel::{KOp, KernelKey, KernelSpec};
use crate::target::Host;
use blaze_datashape::{Scalar, ScalarKind};
use inkwell::attributes::Attribute;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::types::{BasicTypeEnum, FloatType, IntType};
use inkwell::values::{BasicValue, BasicValueEnum, FunctionValue, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

mod binary;
mod calls;
mod loops;
mod reduce;
mod scalar;

/// Why a kernel could not be generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

type R<T> = Result<T, Unsupported>;

fn llvm_err(e: impl std::fmt::Display) -> Unsupported {
    Unsupported(format!("LLVM builder error: {e}"))
}

fn is_float(s: Scalar) -> bool {
    matches!(s, Scalar::Float16 | Scalar::Float32 | Scalar::Float64)
}

fn is_signed(s: Scalar) -> bool {
    s.kind() == ScalarKind::Signed
}

/// The in-memory LLVM type of a scalar (bool is a byte).
pub(crate) fn mem_type(ctx: &Context, s: Scalar) -> BasicTypeEnum<'_> {
    match s {
        Scalar::Bool | Scalar::Int8 | Scalar::UInt8 => ctx.i8_type().into(),
        Scalar::Int16 | Scalar::UInt16 => ctx.i16_type().into(),
        Scalar::Int32 | Scalar::UInt32 => ctx.i32_type().into(),
        Scalar::Int64 | Scalar::UInt64 => ctx.i64_type().into(),
        Scalar::Float16 => ctx.f16_type().into(),
        Scalar::Float32 => ctx.f32_type().into(),
        Scalar::Float64 | Scalar::Complex64 | Scalar::Complex128 => ctx.f64_type().into(),
    }
}

/// Builds kernels into one module.
pub(crate) struct Emitter<'ctx, 'h> {
    ctx: &'ctx Context,
    module: &'h Module<'ctx>,
    b: Builder<'ctx>,
    host: &'h Host,
}

/// A value in registers: bool is `i1`, integers `iN`, floats their type.
type Val<'ctx> = BasicValueEnum<'ctx>;

impl<'ctx, 'h> Emitter<'ctx, 'h> {
    pub(crate) fn new(ctx: &'ctx Context, module: &'h Module<'ctx>, host: &'h Host) -> Self {
        Emitter {
            ctx,
            module,
            b: ctx.create_builder(),
            host,
        }
    }

    pub(super) fn i64(&self) -> IntType<'ctx> {
        self.ctx.i64_type()
    }

    /// The in-memory type of a scalar (bool is a byte).
    pub(super) fn mem_ty(&self, s: Scalar) -> BasicTypeEnum<'ctx> {
        mem_type(self.ctx, s)
    }

    pub(super) fn int_ty(&self, s: Scalar) -> IntType<'ctx> {
        match s {
            Scalar::Bool => self.ctx.bool_type(),
            _ => self.mem_ty(s).into_int_type(),
        }
    }

    pub(super) fn float_ty(&self, s: Scalar) -> FloatType<'ctx> {
        self.mem_ty(s).into_float_type()
    }

    pub(super) fn fmf(&self, v: impl BasicValue<'ctx>, reassoc: bool) {
        use inkwell::values::FastMathFlags as F;
        if let Some(inst) = v.as_instruction_value() {
            let flags = if reassoc {
                F::AllowContract | F::AllowReassoc
            } else {
                F::AllowContract
            };
            let _ = inst.set_fast_math_flags(flags);
        }
    }

    pub(super) fn enum_attr(&self, name: &str, val: u64) -> Attribute {
        self.ctx
            .create_enum_attribute(Attribute::get_named_enum_kind_id(name), val)
    }

    // ------------------------------------------------------------ memory

    pub(super) fn load(&self, s: Scalar, ptr: PointerValue<'ctx>) -> R<Val<'ctx>> {
        let v = self
            .b
            .build_load(self.mem_ty(s), ptr, "ld")
            .map_err(llvm_err)?;
        if s == Scalar::Bool {
            let z = self.ctx.i8_type().const_zero();
            return Ok(self
                .b
                .build_int_compare(IntPredicate::NE, v.into_int_value(), z, "b")
                .map_err(llvm_err)?
                .into());
        }
        Ok(v)
    }

    pub(super) fn store(&self, s: Scalar, ptr: PointerValue<'ctx>, v: Val<'ctx>) -> R<()> {
        let v: Val = if s == Scalar::Bool {
            self.b
                .build_int_z_extend(v.into_int_value(), self.ctx.i8_type(), "zb")
                .map_err(llvm_err)?
                .into()
        } else {
            v
        };
        self.b.build_store(ptr, v).map_err(llvm_err)?;
        Ok(())
    }

    pub(super) fn gep(
        &self,
        s: Scalar,
        base: PointerValue<'ctx>,
        idx: IntValue<'ctx>,
    ) -> R<PointerValue<'ctx>> {
        // Offsets may be negative (negative strides); no inbounds claim.
        unsafe { self.b.build_gep(self.mem_ty(s), base, &[idx], "p") }.map_err(llvm_err)
    }

    // ------------------------------------------------------------ kernels

    /// Builds the kernel function `name` for `key`.
    pub(crate) fn build(&self, name: &str, key: &KernelKey) -> R<FunctionValue<'ctx>> {
        let f = self.build_kernel(name, key)?;
        self.keep_vector_variants();
        Ok(f)
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

    /// The value of every kernel node for the current element.
    pub(super) fn eval_kernel(&self, k: &KernelSpec, loads: &[Option<Val<'ctx>>]) -> R<Val<'ctx>> {
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
        vals.get(k.root)
            .copied()
            .ok_or_else(|| Unsupported("kernel root out of range".into()))
    }
}

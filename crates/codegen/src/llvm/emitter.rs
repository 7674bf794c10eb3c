//! The emitter and what every part of the lowering shares: LLVM types of
//! scalars, fast-math flags, attributes, and loads and stores of elements
//! (bool is a byte in memory, `i1` in registers).

use crate::error::Unsupported;
use crate::target::Host;
use blaze_datashape::{Scalar, ScalarKind};
use inkwell::attributes::Attribute;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::types::{BasicTypeEnum, FloatType, IntType};
use inkwell::values::{BasicValue, BasicValueEnum, IntValue, PointerValue};
use inkwell::IntPredicate;

pub(super) type R<T> = Result<T, Unsupported>;

/// An error of inkwell's builder.
pub(super) fn llvm_err(e: impl std::fmt::Display) -> Unsupported {
    Unsupported(format!("LLVM builder error: {e}"))
}

/// Whether `s` is a float type.
pub(super) fn is_float(s: Scalar) -> bool {
    matches!(s, Scalar::Float16 | Scalar::Float32 | Scalar::Float64)
}

/// Whether `s` is a signed integer type.
pub(super) fn is_signed(s: Scalar) -> bool {
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
    pub(super) ctx: &'ctx Context,
    pub(super) module: &'h Module<'ctx>,
    pub(super) b: Builder<'ctx>,
    pub(super) host: &'h Host,
}

/// A value in registers: bool is `i1`, integers `iN`, floats their type.
pub(super) type Val<'ctx> = BasicValueEnum<'ctx>;

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

    /// The byte of bitmap `base` holding bit `bit` (≥ 0), and the bit's
    /// place in it as an `i8` shift.
    fn bit_byte(
        &self,
        base: PointerValue<'ctx>,
        bit: IntValue<'ctx>,
    ) -> R<(PointerValue<'ctx>, IntValue<'ctx>)> {
        let b = &self.b;
        let i64t = self.i64();
        let i8t = self.ctx.i8_type();
        let byte = b
            .build_right_shift(bit, i64t.const_int(3, false), false, "byte")
            .map_err(llvm_err)?;
        let ptr = unsafe { b.build_in_bounds_gep(i8t, base, &[byte], "bp") }.map_err(llvm_err)?;
        let place = b
            .build_and(bit, i64t.const_int(7, false), "place")
            .map_err(llvm_err)?;
        let shift = b
            .build_int_truncate(place, i8t, "shift")
            .map_err(llvm_err)?;
        Ok((ptr, shift))
    }

    /// Whether element `bit` of validity bitmap `base` (LSB first, 1 =
    /// valid) is missing, as an `i1`.
    pub(super) fn load_missing_bit(
        &self,
        base: PointerValue<'ctx>,
        bit: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let b = &self.b;
        let i8t = self.ctx.i8_type();
        let (ptr, shift) = self.bit_byte(base, bit)?;
        let byte = b
            .build_load(i8t, ptr, "bits")
            .map_err(llvm_err)?
            .into_int_value();
        let moved = b
            .build_right_shift(byte, shift, false, "moved")
            .map_err(llvm_err)?;
        let valid = b
            .build_and(moved, i8t.const_int(1, false), "valid")
            .map_err(llvm_err)?;
        b.build_int_compare(IntPredicate::EQ, valid, i8t.const_zero(), "missing")
            .map_err(llvm_err)
    }

    /// Sets element `bit` of validity bitmap `base` to the opposite of
    /// `missing` (an `i1`), leaving the byte's other bits as they are.
    pub(super) fn store_valid_bit(
        &self,
        base: PointerValue<'ctx>,
        bit: IntValue<'ctx>,
        missing: IntValue<'ctx>,
    ) -> R<()> {
        let b = &self.b;
        let i8t = self.ctx.i8_type();
        let (ptr, shift) = self.bit_byte(base, bit)?;
        let old = b
            .build_load(i8t, ptr, "old")
            .map_err(llvm_err)?
            .into_int_value();
        let one = b
            .build_left_shift(i8t.const_int(1, false), shift, "one")
            .map_err(llvm_err)?;
        let keep = b.build_not(one, "keep").map_err(llvm_err)?;
        let cleared = b.build_and(old, keep, "cleared").map_err(llvm_err)?;
        let valid = b.build_not(missing, "valid").map_err(llvm_err)?;
        let valid = b
            .build_int_z_extend(valid, i8t, "valid8")
            .map_err(llvm_err)?;
        let set = b.build_left_shift(valid, shift, "set").map_err(llvm_err)?;
        let new = b.build_or(cleared, set, "new").map_err(llvm_err)?;
        b.build_store(ptr, new).map_err(llvm_err)?;
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
}

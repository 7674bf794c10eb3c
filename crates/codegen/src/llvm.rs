//! Lowering of a [`KernelKey`] to LLVM IR.
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

use crate::kernel::{supported, Combine, Const, KOp, KernelKey, KernelSpec, Layout};
use crate::target::Host;
use blaze_datashape::{Scalar, ScalarKind};
use blaze_ir::ops::{BinaryFn, ReduceFn, UnaryFn};
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::{Linkage, Module};
use inkwell::types::{BasicTypeEnum, FloatType, IntType};
use inkwell::values::{
    BasicMetadataValueEnum, BasicValue, BasicValueEnum, FloatValue, FunctionValue, IntValue,
    PointerValue,
};
use inkwell::{AddressSpace, FloatPredicate, IntPredicate};

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

    fn i64(&self) -> IntType<'ctx> {
        self.ctx.i64_type()
    }

    /// The in-memory type of a scalar (bool is a byte).
    fn mem_ty(&self, s: Scalar) -> BasicTypeEnum<'ctx> {
        match s {
            Scalar::Bool | Scalar::Int8 | Scalar::UInt8 => self.ctx.i8_type().into(),
            Scalar::Int16 | Scalar::UInt16 => self.ctx.i16_type().into(),
            Scalar::Int32 | Scalar::UInt32 => self.ctx.i32_type().into(),
            Scalar::Int64 | Scalar::UInt64 => self.ctx.i64_type().into(),
            Scalar::Float16 => self.ctx.f16_type().into(),
            Scalar::Float32 => self.ctx.f32_type().into(),
            Scalar::Float64 | Scalar::Complex64 | Scalar::Complex128 => self.ctx.f64_type().into(),
        }
    }

    fn int_ty(&self, s: Scalar) -> IntType<'ctx> {
        match s {
            Scalar::Bool => self.ctx.bool_type(),
            _ => self.mem_ty(s).into_int_type(),
        }
    }

    fn float_ty(&self, s: Scalar) -> FloatType<'ctx> {
        self.mem_ty(s).into_float_type()
    }

    fn fmf(&self, v: impl BasicValue<'ctx>, reassoc: bool) {
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

    // ------------------------------------------------------------ memory

    fn load(&self, s: Scalar, ptr: PointerValue<'ctx>) -> R<Val<'ctx>> {
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

    fn store(&self, s: Scalar, ptr: PointerValue<'ctx>, v: Val<'ctx>) -> R<()> {
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

    fn gep(
        &self,
        s: Scalar,
        base: PointerValue<'ctx>,
        idx: IntValue<'ctx>,
    ) -> R<PointerValue<'ctx>> {
        // Offsets may be negative (negative strides); no inbounds claim.
        unsafe { self.b.build_gep(self.mem_ty(s), base, &[idx], "p") }.map_err(llvm_err)
    }

    // ------------------------------------------------------------ scalars

    fn intrinsic(
        &self,
        name: &str,
        tys: &[BasicTypeEnum<'ctx>],
        args: &[Val<'ctx>],
    ) -> R<Val<'ctx>> {
        let intr =
            Intrinsic::find(name).ok_or_else(|| Unsupported(format!("no intrinsic {name}")))?;
        let decl = intr
            .get_declaration(self.module, tys)
            .ok_or_else(|| Unsupported(format!("cannot declare {name}")))?;
        let args: Vec<BasicMetadataValueEnum> = args.iter().map(|a| (*a).into()).collect();
        let call = self.b.build_call(decl, &args, "i").map_err(llvm_err)?;
        call.try_as_basic_value()
            .basic()
            .ok_or_else(|| Unsupported(format!("{name} returns nothing")))
    }

    /// A libm function of one or two float arguments, with the host's
    /// vector variants attached so that loops vectorize through libmvec.
    fn libm(&self, name: &str, s: Scalar, args: &[FloatValue<'ctx>]) -> R<FloatValue<'ctx>> {
        // float16 computes through float32.
        if s == Scalar::Float16 {
            let f32t = self.ctx.f32_type();
            let wide: Vec<FloatValue> = args
                .iter()
                .map(|a| self.b.build_float_ext(*a, f32t, "h2f").map_err(llvm_err))
                .collect::<R<_>>()?;
            let r = self.libm(name, Scalar::Float32, &wide)?;
            return self
                .b
                .build_float_trunc(r, self.ctx.f16_type(), "f2h")
                .map_err(llvm_err);
        }
        let ft = self.float_ty(s);
        let sym = if s == Scalar::Float32 {
            format!("{name}f")
        } else {
            name.to_string()
        };
        let scalar = crate::target::scalar_symbol(&sym);
        let fun = match self.module.get_function(&scalar) {
            Some(f) => f,
            None => {
                let params: Vec<_> = args.iter().map(|_| ft.into()).collect();
                let f = self.module.add_function(
                    &scalar,
                    ft.fn_type(&params, false),
                    Some(Linkage::External),
                );
                for attr in ["nounwind", "willreturn", "nosync", "nofree"] {
                    f.add_attribute(AttributeLoc::Function, self.enum_attr(attr, 0));
                }
                // memory(none): libm without errno, as -fno-math-errno.
                f.add_attribute(AttributeLoc::Function, self.enum_attr("memory", 0));
                f
            }
        };
        let call_args: Vec<BasicMetadataValueEnum> = args.iter().map(|a| (*a).into()).collect();
        let call = self.b.build_call(fun, &call_args, "m").map_err(llvm_err)?;
        if let Some(variants) =
            self.host
                .vector_variants(&sym, &scalar, args.len(), self.ctx, self.module)
        {
            call.add_attribute(
                AttributeLoc::Function,
                self.ctx
                    .create_string_attribute("vector-function-abi-variant", &variants),
            );
        }
        call.try_as_basic_value()
            .basic()
            .map(|v| v.into_float_value())
            .ok_or_else(|| Unsupported(format!("{sym} returns nothing")))
    }

    fn enum_attr(&self, name: &str, val: u64) -> Attribute {
        self.ctx
            .create_enum_attribute(Attribute::get_named_enum_kind_id(name), val)
    }

    fn truthy(&self, s: Scalar, v: Val<'ctx>) -> R<IntValue<'ctx>> {
        if s == Scalar::Bool {
            return Ok(v.into_int_value());
        }
        if is_float(s) {
            let z = self.float_ty(s).const_zero();
            // NaN is true, as NumPy's bool(nan).
            return self
                .b
                .build_float_compare(FloatPredicate::UNE, v.into_float_value(), z, "t")
                .map_err(llvm_err);
        }
        let z = self.int_ty(s).const_zero();
        self.b
            .build_int_compare(IntPredicate::NE, v.into_int_value(), z, "t")
            .map_err(llvm_err)
    }

    fn cast(&self, from: Scalar, to: Scalar, v: Val<'ctx>) -> R<Val<'ctx>> {
        if from == to {
            return Ok(v);
        }
        let b = &self.b;
        if to == Scalar::Bool {
            return Ok(self.truthy(from, v)?.into());
        }
        Ok(match (is_float(from), is_float(to)) {
            (false, false) => {
                let iv = v.into_int_value();
                let tt = self.int_ty(to);
                let fw = iv.get_type().get_bit_width();
                let tw = tt.get_bit_width();
                if tw < fw {
                    b.build_int_truncate(iv, tt, "tr").map_err(llvm_err)?.into()
                } else if tw == fw {
                    iv.into()
                } else if is_signed(from) {
                    b.build_int_s_extend(iv, tt, "sx").map_err(llvm_err)?.into()
                } else {
                    b.build_int_z_extend(iv, tt, "zx").map_err(llvm_err)?.into()
                }
            }
            (false, true) => {
                let ft = self.float_ty(to);
                if is_signed(from) {
                    b.build_signed_int_to_float(v.into_int_value(), ft, "si")
                        .map_err(llvm_err)?
                        .into()
                } else {
                    b.build_unsigned_int_to_float(v.into_int_value(), ft, "ui")
                        .map_err(llvm_err)?
                        .into()
                }
            }
            (true, false) => {
                // Saturating: NaN → 0, out of range → min/max; never poison.
                let name = if is_signed(to) {
                    "llvm.fptosi.sat"
                } else {
                    "llvm.fptoui.sat"
                };
                let tt: BasicTypeEnum = self.int_ty(to).into();
                let ft: BasicTypeEnum = self.float_ty(from).into();
                self.intrinsic(name, &[tt, ft], &[v])?
            }
            (true, true) => {
                let fv = v.into_float_value();
                let tt = self.float_ty(to);
                if to.bits() > from.bits() {
                    b.build_float_ext(fv, tt, "fx").map_err(llvm_err)?.into()
                } else {
                    b.build_float_trunc(fv, tt, "ft").map_err(llvm_err)?.into()
                }
            }
        })
    }

    fn constant(&self, s: Scalar, c: &Const) -> Val<'ctx> {
        if is_float(s) {
            let x = match c {
                Const::Bool(b) => *b as u8 as f64,
                Const::Int(i) => *i as f64,
                Const::UInt(u) => *u as f64,
                Const::Float(f) => *f,
            };
            return self.float_ty(s).const_float(x).into();
        }
        let t = self.int_ty(s);
        let bits = match c {
            Const::Bool(b) => *b as u64,
            Const::Int(i) => *i as u64,
            Const::UInt(u) => *u,
            Const::Float(f) => *f as i64 as u64,
        };
        t.const_int(bits, false).into()
    }

    fn unary(&self, f: UnaryFn, s: Scalar, r: Scalar, v: Val<'ctx>) -> R<Val<'ctx>> {
        use UnaryFn::*;
        let b = &self.b;
        if matches!(f, Not) {
            let t = self.truthy(s, v)?;
            return Ok(b.build_not(t, "not").map_err(llvm_err)?.into());
        }
        if matches!(f, IsNa) {
            return Ok(self.ctx.bool_type().const_zero().into());
        }
        if matches!(f, IsNan) {
            if is_float(s) {
                let x = v.into_float_value();
                return Ok(b
                    .build_float_compare(FloatPredicate::UNO, x, x, "nan")
                    .map_err(llvm_err)?
                    .into());
            }
            return Ok(self.ctx.bool_type().const_zero().into());
        }
        if s == Scalar::Bool {
            // Pos, abs, sign, floor, ceil, round leave a bool as it is.
            return Ok(v);
        }
        if !is_float(s) {
            let x = v.into_int_value();
            let t = x.get_type();
            return Ok(match f {
                Neg => b
                    .build_int_sub(t.const_zero(), x, "neg")
                    .map_err(llvm_err)?
                    .into(),
                Abs if is_signed(s) => {
                    let neg = b
                        .build_int_sub(t.const_zero(), x, "neg")
                        .map_err(llvm_err)?;
                    let lt = b
                        .build_int_compare(IntPredicate::SLT, x, t.const_zero(), "lt")
                        .map_err(llvm_err)?;
                    b.build_select(lt, neg, x, "abs").map_err(llvm_err)?
                }
                Sign if is_signed(s) => {
                    let gt = b
                        .build_int_compare(IntPredicate::SGT, x, t.const_zero(), "gt")
                        .map_err(llvm_err)?;
                    let lt = b
                        .build_int_compare(IntPredicate::SLT, x, t.const_zero(), "lt")
                        .map_err(llvm_err)?;
                    let g = b.build_int_z_extend(gt, t, "g").map_err(llvm_err)?;
                    let l = b.build_int_z_extend(lt, t, "l").map_err(llvm_err)?;
                    b.build_int_sub(g, l, "sign").map_err(llvm_err)?.into()
                }
                Sign => {
                    let nz = b
                        .build_int_compare(IntPredicate::NE, x, t.const_zero(), "nz")
                        .map_err(llvm_err)?;
                    b.build_int_z_extend(nz, t, "sign")
                        .map_err(llvm_err)?
                        .into()
                }
                Pos | Abs | Floor | Ceil | Round => x.into(),
                _ => {
                    return Err(Unsupported(format!(
                        "`{}` on integers reaches codegen",
                        f.name()
                    )))
                }
            });
        }
        let x = v.into_float_value();
        let ft: BasicTypeEnum = x.get_type().into();
        let _ = r;
        Ok(match f {
            Neg => b.build_float_neg(x, "neg").map_err(llvm_err)?.into(),
            Pos => x.into(),
            Abs => self.intrinsic("llvm.fabs", &[ft], &[x.into()])?,
            Sqrt => self.intrinsic("llvm.sqrt", &[ft], &[x.into()])?,
            Floor => self.intrinsic("llvm.floor", &[ft], &[x.into()])?,
            Ceil => self.intrinsic("llvm.ceil", &[ft], &[x.into()])?,
            Round => self.intrinsic("llvm.roundeven", &[ft], &[x.into()])?,
            Sign => {
                let t = x.get_type();
                let gt = b
                    .build_float_compare(FloatPredicate::OGT, x, t.const_zero(), "gt")
                    .map_err(llvm_err)?;
                let lt = b
                    .build_float_compare(FloatPredicate::OLT, x, t.const_zero(), "lt")
                    .map_err(llvm_err)?;
                let eq = b
                    .build_float_compare(FloatPredicate::OEQ, x, t.const_zero(), "eq")
                    .map_err(llvm_err)?;
                let z = b
                    .build_select(eq, t.const_zero(), x, "z")
                    .map_err(llvm_err)?;
                let m = b
                    .build_select(lt, t.const_float(-1.0), z.into_float_value(), "m")
                    .map_err(llvm_err)?;
                b.build_select(gt, t.const_float(1.0), m.into_float_value(), "sign")
                    .map_err(llvm_err)?
            }
            Exp => self.libm("exp", s, &[x])?.into(),
            Log => self.libm("log", s, &[x])?.into(),
            Log2 => self.libm("log2", s, &[x])?.into(),
            Log10 => self.libm("log10", s, &[x])?.into(),
            Sin => self.libm("sin", s, &[x])?.into(),
            Cos => self.libm("cos", s, &[x])?.into(),
            Tan => self.libm("tan", s, &[x])?.into(),
            Arcsin => self.libm("asin", s, &[x])?.into(),
            Arccos => self.libm("acos", s, &[x])?.into(),
            Arctan => self.libm("atan", s, &[x])?.into(),
            Sinh => self.libm("sinh", s, &[x])?.into(),
            Cosh => self.libm("cosh", s, &[x])?.into(),
            Tanh => self.libm("tanh", s, &[x])?.into(),
            Not | IsNan | IsNa => unreachable!("handled above"),
        })
    }

    fn binary(&self, f: BinaryFn, s: Scalar, a: Val<'ctx>, c: Val<'ctx>) -> R<Val<'ctx>> {
        use BinaryFn::*;
        let b = &self.b;
        if matches!(f, And | Or) {
            let (x, y) = (self.truthy(s, a)?, self.truthy(s, c)?);
            return Ok(if f == And {
                b.build_and(x, y, "and")
            } else {
                b.build_or(x, y, "or")
            }
            .map_err(llvm_err)?
            .into());
        }
        if s == Scalar::Bool {
            let (x, y) = (a.into_int_value(), c.into_int_value());
            let t = self.ctx.bool_type();
            return Ok(match f {
                Add | Maximum => b.build_or(x, y, "or").map_err(llvm_err)?.into(),
                Mul | FloorDiv | Minimum => b.build_and(x, y, "and").map_err(llvm_err)?.into(),
                Mod => t.const_zero().into(),
                Pow => {
                    let ny = b.build_not(y, "ny").map_err(llvm_err)?;
                    b.build_or(x, ny, "pow").map_err(llvm_err)?.into()
                }
                Eq => b
                    .build_int_compare(IntPredicate::EQ, x, y, "c")
                    .map_err(llvm_err)?
                    .into(),
                Ne => b
                    .build_int_compare(IntPredicate::NE, x, y, "c")
                    .map_err(llvm_err)?
                    .into(),
                Lt => b
                    .build_int_compare(IntPredicate::ULT, x, y, "c")
                    .map_err(llvm_err)?
                    .into(),
                Le => b
                    .build_int_compare(IntPredicate::ULE, x, y, "c")
                    .map_err(llvm_err)?
                    .into(),
                Gt => b
                    .build_int_compare(IntPredicate::UGT, x, y, "c")
                    .map_err(llvm_err)?
                    .into(),
                Ge => b
                    .build_int_compare(IntPredicate::UGE, x, y, "c")
                    .map_err(llvm_err)?
                    .into(),
                _ => {
                    return Err(Unsupported(format!(
                        "`{}` on bool reaches codegen",
                        f.name()
                    )))
                }
            });
        }
        if !is_float(s) {
            return self.int_binary(f, s, a.into_int_value(), c.into_int_value());
        }
        let (x, y) = (a.into_float_value(), c.into_float_value());
        let t = x.get_type();
        let ft: BasicTypeEnum = t.into();
        let cmp = |p: FloatPredicate| -> R<Val<'ctx>> {
            Ok(b.build_float_compare(p, x, y, "c")
                .map_err(llvm_err)?
                .into())
        };
        Ok(match f {
            Add => {
                let v = b.build_float_add(x, y, "add").map_err(llvm_err)?;
                self.fmf(v, false);
                v.into()
            }
            Sub => {
                let v = b.build_float_sub(x, y, "sub").map_err(llvm_err)?;
                self.fmf(v, false);
                v.into()
            }
            Mul => {
                let v = b.build_float_mul(x, y, "mul").map_err(llvm_err)?;
                self.fmf(v, false);
                v.into()
            }
            Div => b.build_float_div(x, y, "div").map_err(llvm_err)?.into(),
            FloorDiv => self.float_divmod(x, y)?.0.into(),
            Mod => self.float_divmod(x, y)?.1.into(),
            Pow => self.libm("pow", s, &[x, y])?.into(),
            Arctan2 => self.libm("atan2", s, &[x, y])?.into(),
            Minimum | Maximum => {
                // NaN in `x` wins, then NaN in `y`; ties keep `x` (as the
                // reference kernels and NumPy).
                let xnan = b
                    .build_float_compare(FloatPredicate::UNO, x, x, "xn")
                    .map_err(llvm_err)?;
                let ynan = b
                    .build_float_compare(FloatPredicate::UNO, y, y, "yn")
                    .map_err(llvm_err)?;
                let p = if f == Minimum {
                    FloatPredicate::OLE
                } else {
                    FloatPredicate::OGE
                };
                let keep = b.build_float_compare(p, x, y, "k").map_err(llvm_err)?;
                let ynn = b.build_not(ynan, "ynn").map_err(llvm_err)?;
                let keep = b.build_and(ynn, keep, "k2").map_err(llvm_err)?;
                let keep = b.build_or(xnan, keep, "k3").map_err(llvm_err)?;
                let _ = ft;
                b.build_select(keep, x, y, "mm").map_err(llvm_err)?
            }
            Eq => cmp(FloatPredicate::OEQ)?,
            Ne => cmp(FloatPredicate::UNE)?,
            Lt => cmp(FloatPredicate::OLT)?,
            Le => cmp(FloatPredicate::OLE)?,
            Gt => cmp(FloatPredicate::OGT)?,
            Ge => cmp(FloatPredicate::OGE)?,
            And | Or => unreachable!("handled above"),
        })
    }

    /// NumPy's `npy_divmod`, as the reference kernels: the floor quotient
    /// and the remainder with the divisor's sign; by zero `a / b` and NaN.
    fn float_divmod(
        &self,
        a: FloatValue<'ctx>,
        d: FloatValue<'ctx>,
    ) -> R<(FloatValue<'ctx>, FloatValue<'ctx>)> {
        let b = &self.b;
        let t = a.get_type();
        let ft: BasicTypeEnum = t.into();
        let zero = t.const_zero();
        let one = t.const_float(1.0);
        let m = b.build_float_rem(a, d, "fmod").map_err(llvm_err)?;
        let q0 = b.build_float_div(a, d, "q0").map_err(llvm_err)?;
        let dz = b
            .build_float_compare(FloatPredicate::OEQ, d, zero, "dz")
            .map_err(llvm_err)?;
        let am = b.build_float_sub(a, m, "am").map_err(llvm_err)?;
        let div = b.build_float_div(am, d, "div").map_err(llvm_err)?;
        let mnz = b
            .build_float_compare(FloatPredicate::UNE, m, zero, "mnz")
            .map_err(llvm_err)?;
        let dneg = b
            .build_float_compare(FloatPredicate::OLT, d, zero, "dn")
            .map_err(llvm_err)?;
        let mneg = b
            .build_float_compare(FloatPredicate::OLT, m, zero, "mn")
            .map_err(llvm_err)?;
        let diff = b
            .build_int_compare(IntPredicate::NE, dneg, mneg, "diff")
            .map_err(llvm_err)?;
        let fix = b.build_and(mnz, diff, "fix").map_err(llvm_err)?;
        let m_fixed = b.build_float_add(m, d, "mf").map_err(llvm_err)?;
        let div_fixed = b.build_float_sub(div, one, "df").map_err(llvm_err)?;
        let zero_signed = self
            .intrinsic("llvm.copysign", &[ft], &[zero.into(), d.into()])?
            .into_float_value();
        let m1 = b
            .build_select(fix, m_fixed, m, "m1")
            .map_err(llvm_err)?
            .into_float_value();
        let m2 = b
            .build_select(mnz, m1, zero_signed, "m2")
            .map_err(llvm_err)?
            .into_float_value();
        let div1 = b
            .build_select(fix, div_fixed, div, "d1")
            .map_err(llvm_err)?
            .into_float_value();
        let fl = self
            .intrinsic("llvm.floor", &[ft], &[div1.into()])?
            .into_float_value();
        let frac = b.build_float_sub(div1, fl, "frac").map_err(llvm_err)?;
        let up = b
            .build_float_compare(FloatPredicate::OGT, frac, t.const_float(0.5), "up")
            .map_err(llvm_err)?;
        let fl1 = b.build_float_add(fl, one, "fl1").map_err(llvm_err)?;
        let fd = b
            .build_select(up, fl1, fl, "fd")
            .map_err(llvm_err)?
            .into_float_value();
        let dnz = b
            .build_float_compare(FloatPredicate::UNE, div1, zero, "dnz")
            .map_err(llvm_err)?;
        let zq = self
            .intrinsic("llvm.copysign", &[ft], &[zero.into(), q0.into()])?
            .into_float_value();
        let q = b
            .build_select(dnz, fd, zq, "q")
            .map_err(llvm_err)?
            .into_float_value();
        let q = b
            .build_select(dz, q0, q, "qz")
            .map_err(llvm_err)?
            .into_float_value();
        let m = b
            .build_select(dz, m, m2, "mz")
            .map_err(llvm_err)?
            .into_float_value();
        Ok((q, m))
    }

    fn int_binary(
        &self,
        f: BinaryFn,
        s: Scalar,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
    ) -> R<Val<'ctx>> {
        use BinaryFn::*;
        let b = &self.b;
        let t = x.get_type();
        let signed = is_signed(s);
        let zero = t.const_zero();
        let cmp = |p: IntPredicate| -> R<Val<'ctx>> {
            Ok(b.build_int_compare(p, x, y, "c").map_err(llvm_err)?.into())
        };
        Ok(match f {
            Add => b.build_int_add(x, y, "add").map_err(llvm_err)?.into(),
            Sub => b.build_int_sub(x, y, "sub").map_err(llvm_err)?.into(),
            Mul => b.build_int_mul(x, y, "mul").map_err(llvm_err)?.into(),
            FloorDiv | Mod => {
                // A divisor of 0 gives 0; −1 is done without the division
                // (MIN / −1 overflows); otherwise Python's floor semantics.
                let dz = b
                    .build_int_compare(IntPredicate::EQ, y, zero, "dz")
                    .map_err(llvm_err)?;
                let one = t.const_int(1, false);
                let safe = b
                    .build_select(dz, one, y, "safe")
                    .map_err(llvm_err)?
                    .into_int_value();
                let (q, r) = if signed {
                    let m1 = b
                        .build_int_compare(IntPredicate::EQ, safe, t.const_all_ones(), "m1")
                        .map_err(llvm_err)?;
                    let safe2 = b
                        .build_select(m1, one, safe, "safe2")
                        .map_err(llvm_err)?
                        .into_int_value();
                    let q = b.build_int_signed_div(x, safe2, "q").map_err(llvm_err)?;
                    let r = b.build_int_signed_rem(x, safe2, "r").map_err(llvm_err)?;
                    let negx = b.build_int_sub(zero, x, "nx").map_err(llvm_err)?;
                    let q = b
                        .build_select(m1, negx, q, "q1")
                        .map_err(llvm_err)?
                        .into_int_value();
                    let r = b
                        .build_select(m1, zero, r, "r1")
                        .map_err(llvm_err)?
                        .into_int_value();
                    // Floor: adjust when the remainder's sign differs from
                    // the divisor's.
                    let rnz = b
                        .build_int_compare(IntPredicate::NE, r, zero, "rnz")
                        .map_err(llvm_err)?;
                    let rneg = b
                        .build_int_compare(IntPredicate::SLT, r, zero, "rn")
                        .map_err(llvm_err)?;
                    let dneg = b
                        .build_int_compare(IntPredicate::SLT, safe2, zero, "dn")
                        .map_err(llvm_err)?;
                    let diff = b
                        .build_int_compare(IntPredicate::NE, rneg, dneg, "df")
                        .map_err(llvm_err)?;
                    let adj = b.build_and(rnz, diff, "adj").map_err(llvm_err)?;
                    let q_adj = b.build_int_sub(q, one, "qa").map_err(llvm_err)?;
                    let r_adj = b.build_int_add(r, safe2, "ra").map_err(llvm_err)?;
                    let q = b
                        .build_select(adj, q_adj, q, "qf")
                        .map_err(llvm_err)?
                        .into_int_value();
                    let r = b
                        .build_select(adj, r_adj, r, "rf")
                        .map_err(llvm_err)?
                        .into_int_value();
                    (q, r)
                } else {
                    (
                        b.build_int_unsigned_div(x, safe, "q").map_err(llvm_err)?,
                        b.build_int_unsigned_rem(x, safe, "r").map_err(llvm_err)?,
                    )
                };
                let v = if f == FloorDiv { q } else { r };
                b.build_select(dz, zero, v, "dz0").map_err(llvm_err)?
            }
            Pow => self.int_pow(s, x, y)?.into(),
            Minimum => self.intrinsic(
                if signed { "llvm.smin" } else { "llvm.umin" },
                &[t.into()],
                &[x.into(), y.into()],
            )?,
            Maximum => self.intrinsic(
                if signed { "llvm.smax" } else { "llvm.umax" },
                &[t.into()],
                &[x.into(), y.into()],
            )?,
            Eq => cmp(IntPredicate::EQ)?,
            Ne => cmp(IntPredicate::NE)?,
            Lt => cmp(if signed {
                IntPredicate::SLT
            } else {
                IntPredicate::ULT
            })?,
            Le => cmp(if signed {
                IntPredicate::SLE
            } else {
                IntPredicate::ULE
            })?,
            Gt => cmp(if signed {
                IntPredicate::SGT
            } else {
                IntPredicate::UGT
            })?,
            Ge => cmp(if signed {
                IntPredicate::SGE
            } else {
                IntPredicate::UGE
            })?,
            Div | Arctan2 | And | Or => {
                return Err(Unsupported(format!(
                    "`{}` on integers reaches codegen",
                    f.name()
                )))
            }
        })
    }

    /// Integer power by squaring with wrapping; a negative exponent gives
    /// 1 for base 1, ±1 for base −1, else 0 (the documented rule).
    fn int_pow(&self, s: Scalar, x: IntValue<'ctx>, y: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let t = x.get_type();
        let name = format!("blaze.ipow.{}", s.name());
        let fun = match self.module.get_function(&name) {
            Some(f) => f,
            None => self.build_ipow(&name, s, t)?,
        };
        let call = self
            .b
            .build_call(fun, &[x.into(), y.into()], "pow")
            .map_err(llvm_err)?;
        call.try_as_basic_value()
            .basic()
            .map(|v| v.into_int_value())
            .ok_or_else(|| Unsupported("ipow returns nothing".into()))
    }

    fn build_ipow(&self, name: &str, s: Scalar, t: IntType<'ctx>) -> R<FunctionValue<'ctx>> {
        let f = self.module.add_function(
            name,
            t.fn_type(&[t.into(), t.into()], false),
            Some(Linkage::Internal),
        );
        let saved = self.b.get_insert_block();
        let b = self.ctx.create_builder();
        let entry = self.ctx.append_basic_block(f, "entry");
        let neg = self.ctx.append_basic_block(f, "neg");
        let lp = self.ctx.append_basic_block(f, "loop");
        let done = self.ctx.append_basic_block(f, "done");
        let (x, y) = (
            f.get_nth_param(0)
                .ok_or_else(|| Unsupported("param".into()))?
                .into_int_value(),
            f.get_nth_param(1)
                .ok_or_else(|| Unsupported("param".into()))?
                .into_int_value(),
        );
        let zero = t.const_zero();
        let one = t.const_int(1, false);
        b.position_at_end(entry);
        let is_neg = if is_signed(s) {
            b.build_int_compare(IntPredicate::SLT, y, zero, "yn")
                .map_err(llvm_err)?
        } else {
            self.ctx.bool_type().const_zero()
        };
        b.build_conditional_branch(is_neg, neg, lp)
            .map_err(llvm_err)?;
        // Negative exponent.
        b.position_at_end(neg);
        let x1 = b
            .build_int_compare(IntPredicate::EQ, x, one, "x1")
            .map_err(llvm_err)?;
        let xm1 = b
            .build_int_compare(IntPredicate::EQ, x, t.const_all_ones(), "xm1")
            .map_err(llvm_err)?;
        let odd = b.build_and(y, one, "odd").map_err(llvm_err)?;
        let odd = b
            .build_int_compare(IntPredicate::NE, odd, zero, "oddb")
            .map_err(llvm_err)?;
        let m1 = b
            .build_select(odd, t.const_all_ones(), one, "m1")
            .map_err(llvm_err)?
            .into_int_value();
        let r = b
            .build_select(xm1, m1, zero, "r")
            .map_err(llvm_err)?
            .into_int_value();
        let r = b.build_select(x1, one, r, "r1").map_err(llvm_err)?;
        b.build_return(Some(&r)).map_err(llvm_err)?;
        // Square and multiply.
        b.position_at_end(lp);
        let acc = b.build_phi(t, "acc").map_err(llvm_err)?;
        let base = b.build_phi(t, "base").map_err(llvm_err)?;
        let e = b.build_phi(t, "e").map_err(llvm_err)?;
        acc.add_incoming(&[(&one, entry)]);
        base.add_incoming(&[(&x, entry)]);
        e.add_incoming(&[(&y, entry)]);
        let (accv, basev, ev) = (
            acc.as_basic_value().into_int_value(),
            base.as_basic_value().into_int_value(),
            e.as_basic_value().into_int_value(),
        );
        let ez = b
            .build_int_compare(IntPredicate::EQ, ev, zero, "ez")
            .map_err(llvm_err)?;
        let body = self.ctx.append_basic_block(f, "body");
        b.build_conditional_branch(ez, done, body)
            .map_err(llvm_err)?;
        b.position_at_end(body);
        let bit = b.build_and(ev, one, "bit").map_err(llvm_err)?;
        let bit = b
            .build_int_compare(IntPredicate::NE, bit, zero, "bitb")
            .map_err(llvm_err)?;
        let mul = b.build_int_mul(accv, basev, "mul").map_err(llvm_err)?;
        let acc2 = b
            .build_select(bit, mul, accv, "acc2")
            .map_err(llvm_err)?
            .into_int_value();
        let base2 = b.build_int_mul(basev, basev, "sq").map_err(llvm_err)?;
        let e2 = b
            .build_right_shift(ev, one, false, "e2")
            .map_err(llvm_err)?;
        acc.add_incoming(&[(&acc2, body)]);
        base.add_incoming(&[(&base2, body)]);
        e.add_incoming(&[(&e2, body)]);
        b.build_unconditional_branch(lp).map_err(llvm_err)?;
        b.position_at_end(done);
        b.build_return(Some(&accv)).map_err(llvm_err)?;
        if let Some(bb) = saved {
            self.b.position_at_end(bb);
        }
        Ok(f)
    }

    /// The value of every kernel node for the current element.
    fn eval_kernel(&self, k: &KernelSpec, loads: &[Option<Val<'ctx>>]) -> R<Val<'ctx>> {
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

    fn combine(&self, f: ReduceFn, s: Scalar, acc: Val<'ctx>, v: Val<'ctx>) -> R<Val<'ctx>> {
        let b = &self.b;
        if matches!(f, ReduceFn::Any | ReduceFn::All) {
            let (x, y) = (acc.into_int_value(), v.into_int_value());
            return Ok(if f == ReduceFn::Any {
                b.build_or(x, y, "any")
            } else {
                b.build_and(x, y, "all")
            }
            .map_err(llvm_err)?
            .into());
        }
        if is_float(s) {
            let (x, y) = (acc.into_float_value(), v.into_float_value());
            let ft: BasicTypeEnum = x.get_type().into();
            return Ok(match f {
                ReduceFn::Sum => {
                    let r = b.build_float_add(x, y, "acc").map_err(llvm_err)?;
                    self.fmf(r, true);
                    r.into()
                }
                ReduceFn::Prod => {
                    let r = b.build_float_mul(x, y, "acc").map_err(llvm_err)?;
                    self.fmf(r, true);
                    r.into()
                }
                ReduceFn::Min => self.intrinsic("llvm.minimum", &[ft], &[acc, v])?,
                ReduceFn::Max => self.intrinsic("llvm.maximum", &[ft], &[acc, v])?,
                _ => return Err(Unsupported(format!("reduction `{}`", f.name()))),
            });
        }
        let (x, y) = (acc.into_int_value(), v.into_int_value());
        let t: BasicTypeEnum = x.get_type().into();
        let signed = is_signed(s);
        Ok(match f {
            ReduceFn::Sum => b.build_int_add(x, y, "acc").map_err(llvm_err)?.into(),
            ReduceFn::Prod => b.build_int_mul(x, y, "acc").map_err(llvm_err)?.into(),
            ReduceFn::Min => self.intrinsic(
                if signed { "llvm.smin" } else { "llvm.umin" },
                &[t],
                &[acc, v],
            )?,
            ReduceFn::Max => self.intrinsic(
                if signed { "llvm.smax" } else { "llvm.umax" },
                &[t],
                &[acc, v],
            )?,
            _ => return Err(Unsupported(format!("reduction `{}`", f.name()))),
        })
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
    fn keep_vector_variants(&self) {
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

    fn build_kernel(&self, name: &str, key: &KernelKey) -> R<FunctionValue<'ctx>> {
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
        let n_ops = k.inputs.len() + 1;
        if key.layouts.len() != n_ops {
            return Err(Unsupported("layouts do not match the operands".into()));
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
        let scalars: Vec<Scalar> = k.inputs.iter().copied().chain([k.output]).collect();
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
            args.push(self.gep(scalars[k], *base, offsets[k])?.into());
        }
        args.extend(
            inner_strides
                .iter()
                .map(|s| BasicMetadataValueEnum::from(*s)),
        );
        args.push(jsv.into());
        args.push(je.into());
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

    /// `row(p_0 … p_out, s_0 … s_out, j0, j1)`: elements `j0..j1` of one
    /// row. Pointers are `noalias`: the output never overlaps an input.
    fn build_inner(&self, name: &str, key: &KernelKey) -> R<FunctionValue<'ctx>> {
        let k = &key.spec;
        let n_in = k.inputs.len();
        let n_ops = n_in + 1;
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let i64t = self.i64();
        let mut params: Vec<_> = (0..n_ops).map(|_| ptr.into()).collect();
        params.extend((0..n_ops).map(|_| inkwell::types::BasicMetadataTypeEnum::from(i64t)));
        params.push(i64t.into());
        params.push(i64t.into());
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
                hoisted[i] = Some(self.load(k.inputs[i], ptrs[i])?);
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
        let mut loads: Vec<Option<Val>> = Vec::with_capacity(n_in);
        for (i, h) in hoisted.iter().enumerate() {
            loads.push(match h {
                Some(v) => Some(*v),
                None => Some(self.load(k.inputs[i], elem_ptr(i, k.inputs[i])?)?),
            });
        }
        let v = self.eval_kernel(k, &loads)?;
        let root_ty = k.nodes[k.root].ty;
        let next_acc = match reduce {
            None => {
                let v = self.cast(root_ty, k.output, v)?;
                self.store(k.output, elem_ptr(n_in, k.output)?, v)?;
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

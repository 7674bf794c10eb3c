//! Functions a kernel calls: LLVM intrinsics, libm under blaze's names
//! with the host's vector variants attached, and blaze's integer power.

use super::emitter::{is_signed, llvm_err, Emitter, Val, R};
use crate::error::Unsupported;
use blaze_datashape::Scalar;
use inkwell::attributes::AttributeLoc;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::Linkage;
use inkwell::types::{BasicTypeEnum, IntType};
use inkwell::values::{BasicMetadataValueEnum, FloatValue, FunctionValue, IntValue};
use inkwell::IntPredicate;

impl<'ctx> Emitter<'ctx, '_> {
    /// The smaller (or, `max`, the larger) of two integers of one type,
    /// `signed` or not.
    pub(super) fn int_min_max(
        &self,
        max: bool,
        signed: bool,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
    ) -> R<Val<'ctx>> {
        let name = match (max, signed) {
            (false, true) => "llvm.smin",
            (false, false) => "llvm.umin",
            (true, true) => "llvm.smax",
            (true, false) => "llvm.umax",
        };
        self.intrinsic(name, &[x.get_type().into()], &[x.into(), y.into()])
    }

    pub(super) fn intrinsic(
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
    pub(super) fn libm(
        &self,
        name: &str,
        s: Scalar,
        args: &[FloatValue<'ctx>],
    ) -> R<FloatValue<'ctx>> {
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

    /// Integer power by squaring with wrapping; a negative exponent gives
    /// 1 for base 1, ±1 for base −1, else 0 (the documented rule).
    pub(super) fn int_pow(
        &self,
        s: Scalar,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
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

    pub(super) fn build_ipow(
        &self,
        name: &str,
        s: Scalar,
        t: IntType<'ctx>,
    ) -> R<FunctionValue<'ctx>> {
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
}

//! `solve`, `inv` and `det` in a driver through LAPACK (OpenBLAS's
//! Fortran interface: `?gesv_`, `?getrf_`, `?getri_`), as the JIT computes
//! them: the matrix (and right-hand side) copied column-major into
//! scratch buffers from `malloc`, checked for NaN and infinity first, the
//! LU pivots checked against `n·ε·max|a_ij|` (`solve`, `inv`: a singular
//! matrix is `BLAZE_ERR_EVAL` with the JIT's message, never a crash),
//! `det` 0 for an exactly singular matrix. The workspace and pivots are
//! scratch buffers too, freed on every return.

use super::{err, Checked, Wrapper, R};
use crate::aot::abi::{EVAL, SHAPE};
use crate::llvm::mem_type;
use blaze_datashape::Scalar;
use blaze_ir::ops::LinalgFn;
use inkwell::module::{Linkage, Module};
use inkwell::types::FloatType;
use inkwell::values::{BasicMetadataValueEnum, FloatValue, IntValue, PointerValue};
use inkwell::{AddressSpace, FloatPredicate, IntPredicate};

/// The JIT's message for a singular matrix.
const SINGULAR: &str =
    "matrix is singular: cannot solve or invert (a pivot was zero or below n*eps*max|a_ij|)";
/// The JIT's message for NaN or infinity.
const NON_FINITE: &str = "matrix contains NaN or infinity (or the computation overflowed)";

impl<'ctx> Wrapper<'_, 'ctx> {
    /// LAPACK routine `name` (Fortran: every argument by pointer), its
    /// `info` last.
    fn routine(
        &self,
        module: &Module<'ctx>,
        name: &str,
        args: usize,
    ) -> inkwell::values::FunctionValue<'ctx> {
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        module.get_function(name).unwrap_or_else(|| {
            let params = vec![ptr.into(); args];
            module.add_function(
                name,
                self.ctx.void_type().fn_type(&params, false),
                Some(Linkage::External),
            )
        })
    }

    /// A stack `int` holding `v` (truncated: checked to fit before).
    fn int_arg(&self, v: IntValue<'ctx>) -> R<PointerValue<'ctx>> {
        let i32t = self.ctx.i32_type();
        let slot = self.entry_alloca(i32t.into(), "arg")?;
        let t = self.b.build_int_truncate(v, i32t, "t").map_err(err)?;
        self.b.build_store(slot, t).map_err(err)?;
        Ok(slot)
    }

    /// Copies view `v` (rank 1 or 2, `rows` rows) column-major into `to`
    /// (leading dimension `rows`); returns whether every element is
    /// finite and the largest modulus.
    fn copy_to_fortran(
        &mut self,
        module: &Module<'ctx>,
        v: &Checked<'ctx>,
        ft: FloatType<'ctx>,
        size: u64,
        to: PointerValue<'ctx>,
        rows: IntValue<'ctx>,
    ) -> R<(IntValue<'ctx>, FloatValue<'ctx>)> {
        let bool_t = self.ctx.bool_type();
        let ok = self.entry_alloca(bool_t.into(), "finite")?;
        self.b
            .build_store(ok, bool_t.const_int(1, false))
            .map_err(err)?;
        let big = self.entry_alloca(ft.into(), "big")?;
        self.b.build_store(big, ft.const_zero()).map_err(err)?;
        let inf = ft.const_float(f64::INFINITY);
        let fabs = self.fabs(module, ft)?;
        let lens = v.lens.clone();
        self.loops(&lens, &mut |w: &mut Self, index: &[IntValue<'ctx>]| {
            let p = w.element(v.first, index, &v.strides, size)?;
            let x = w.b.build_load(ft, p, "x").map_err(err)?.into_float_value();
            let col = index.get(1).copied().unwrap_or(w.c64(0));
            let at = w.b.build_int_mul(col, rows, "c").map_err(err)?;
            let at = w.b.build_int_add(at, index[0], "at").map_err(err)?;
            let q = w.element(to, &[at], &[w.c64(1)], size)?;
            w.b.build_store(q, x).map_err(err)?;
            let a =
                w.b.build_call(fabs, &[x.into()], "a")
                    .map_err(err)?
                    .try_as_basic_value()
                    .basic()
                    .ok_or_else(|| err("fabs returns nothing"))?
                    .into_float_value();
            let fin =
                w.b.build_float_compare(FloatPredicate::OLT, a, inf, "fin")
                    .map_err(err)?;
            let so_far =
                w.b.build_load(bool_t, ok, "ok")
                    .map_err(err)?
                    .into_int_value();
            let both = w.b.build_and(so_far, fin, "ok").map_err(err)?;
            w.b.build_store(ok, both).map_err(err)?;
            let b =
                w.b.build_load(ft, big, "b")
                    .map_err(err)?
                    .into_float_value();
            let more =
                w.b.build_float_compare(FloatPredicate::OGT, a, b, "more")
                    .map_err(err)?;
            let nb = w.b.build_select(more, a, b, "nb").map_err(err)?;
            w.b.build_store(big, nb).map_err(err)?;
            Ok(())
        })?;
        let finite = self
            .b
            .build_load(bool_t, ok, "finite")
            .map_err(err)?
            .into_int_value();
        let big = self
            .b
            .build_load(ft, big, "big")
            .map_err(err)?
            .into_float_value();
        Ok((finite, big))
    }

    /// Copies the column-major `n`-row buffer `from` into view `v`.
    fn copy_from_fortran(
        &mut self,
        from: PointerValue<'ctx>,
        ft: FloatType<'ctx>,
        size: u64,
        rows: IntValue<'ctx>,
        v: &Checked<'ctx>,
    ) -> R<()> {
        let lens = v.lens.clone();
        self.loops(&lens, &mut |w: &mut Self, index: &[IntValue<'ctx>]| {
            let col = index.get(1).copied().unwrap_or(w.c64(0));
            let at = w.b.build_int_mul(col, rows, "c").map_err(err)?;
            let at = w.b.build_int_add(at, index[0], "at").map_err(err)?;
            let q = w.element(from, &[at], &[w.c64(1)], size)?;
            let x = w.b.build_load(ft, q, "x").map_err(err)?;
            let p = w.element(v.first, index, &v.strides, size)?;
            w.b.build_store(p, x).map_err(err)?;
            Ok(())
        })
    }

    fn fabs(
        &self,
        module: &Module<'ctx>,
        ft: FloatType<'ctx>,
    ) -> R<inkwell::values::FunctionValue<'ctx>> {
        let intr =
            inkwell::intrinsics::Intrinsic::find("llvm.fabs").ok_or_else(|| err("no llvm.fabs"))?;
        intr.get_declaration(module, &[ft.into()])
            .ok_or_else(|| err("cannot declare llvm.fabs"))
    }

    /// Continues when no pivot `|lu[k, k]|` of the `n × n` column-major
    /// LU factors is at most `n·ε·big` (`ε` of `s`), as the JIT checks.
    #[allow(clippy::too_many_arguments)]
    fn check_pivots(
        &mut self,
        module: &Module<'ctx>,
        op: &str,
        lu: PointerValue<'ctx>,
        ft: FloatType<'ctx>,
        s: Scalar,
        n: IntValue<'ctx>,
        big: FloatValue<'ctx>,
    ) -> R<()> {
        let f64t = self.ctx.f64_type();
        let eps = if s == Scalar::Float32 {
            f64::from(f32::EPSILON)
        } else {
            f64::EPSILON
        };
        let nf = self
            .b
            .build_unsigned_int_to_float(n, f64t, "n")
            .map_err(err)?;
        let big = self.b.build_float_ext(big, f64t, "big").map_err(err)?;
        let tol = self
            .b
            .build_float_mul(nf, f64t.const_float(eps), "t")
            .map_err(err)?;
        let tol = self.b.build_float_mul(tol, big, "tol").map_err(err)?;
        let bool_t = self.ctx.bool_type();
        let ok = self.entry_alloca(bool_t.into(), "pivots")?;
        self.b
            .build_store(ok, bool_t.const_int(1, false))
            .map_err(err)?;
        let fabs = self.fabs(module, ft)?;
        let size = mem_size(s);
        self.loops(&[n], &mut |w: &mut Self, index: &[IntValue<'ctx>]| {
            let k = index[0];
            let kk = w.b.build_int_mul(k, n, "kn").map_err(err)?;
            let kk = w.b.build_int_add(kk, k, "kk").map_err(err)?;
            let q = w.element(lu, &[kk], &[w.c64(1)], size)?;
            let u = w.b.build_load(ft, q, "u").map_err(err)?;
            let a =
                w.b.build_call(fabs, &[u.into()], "a")
                    .map_err(err)?
                    .try_as_basic_value()
                    .basic()
                    .ok_or_else(|| err("fabs returns nothing"))?
                    .into_float_value();
            let a = w.b.build_float_ext(a, f64t, "a").map_err(err)?;
            // NaN pivots are not above the tolerance either.
            let above =
                w.b.build_float_compare(FloatPredicate::OGT, a, tol, "above")
                    .map_err(err)?;
            let so_far =
                w.b.build_load(bool_t, ok, "ok")
                    .map_err(err)?
                    .into_int_value();
            let both = w.b.build_and(so_far, above, "ok").map_err(err)?;
            w.b.build_store(ok, both).map_err(err)?;
            Ok(())
        })?;
        let ok = self
            .b
            .build_load(bool_t, ok, "ok")
            .map_err(err)?
            .into_int_value();
        self.check(ok, EVAL, &format!("`{op}`: {SINGULAR}"))
    }

    /// `solve(A, b)`, `inv(A)` or `det(A)` of `s` (float64 or float32)
    /// into `dest`; `a` and `b` the arguments' views.
    pub(super) fn run_linalg(
        &mut self,
        module: &Module<'ctx>,
        lf: LinalgFn,
        s: Scalar,
        a: &Checked<'ctx>,
        b: Option<&Checked<'ctx>>,
        dest: &Checked<'ctx>,
    ) -> R<()> {
        let op = match lf {
            LinalgFn::Solve => "solve",
            LinalgFn::Inv => "inv",
            _ => "det",
        };
        let letter = if s == Scalar::Float32 { "s" } else { "d" };
        let ft = mem_type(self.ctx, s).into_float_type();
        let size = mem_size(s);
        if a.lens.len() != 2 {
            return Err(err(format!("`{op}` of a rank-{} array", a.lens.len())));
        }
        let n = a.lens[0];
        let square = self.eq(a.lens[1], n)?;
        self.check(square, SHAPE, &format!("`{op}` needs a square matrix"))?;
        let one = self.c64(1);
        let big_n = self
            .b
            .build_int_compare(IntPredicate::UGT, n, one, "bn")
            .map_err(err)?;
        let ld = self.select(big_n, n, one)?;
        self.fits_int(&[n])?;
        let nn = self.b.build_int_mul(n, n, "nn").map_err(err)?;
        let lu = self.scratch(module, nn, size, &format!("`{op}`'s copy of the matrix"))?;
        let (finite, big) = self.copy_to_fortran(module, a, ft, size, lu, n)?;
        self.check(finite, EVAL, &format!("`{op}`: {NON_FINITE}"))?;
        let ipiv = self.scratch(module, ld, 4, &format!("`{op}`'s pivots"))?;
        let info = self.entry_alloca(self.ctx.i32_type().into(), "info")?;
        let (n_arg, ld_arg) = (self.int_arg(n)?, self.int_arg(ld)?);
        let info_of = |w: &Self| -> R<IntValue<'ctx>> {
            Ok(w.b
                .build_load(w.ctx.i32_type(), info, "info")
                .map_err(err)?
                .into_int_value())
        };
        let zero32 = self.ctx.i32_type().const_zero();
        match lf {
            LinalgFn::Solve => {
                let b = b.ok_or_else(|| err("`solve` without a right-hand side"))?;
                let rows = self.eq(b.lens[0], n)?;
                self.check(
                    rows,
                    SHAPE,
                    "`solve`: the right-hand side does not have the matrix's rows",
                )?;
                let k = b.lens.get(1).copied().unwrap_or(one);
                self.fits_int(&[k])?;
                let nk = self.b.build_int_mul(ld, k, "nk").map_err(err)?;
                let x = self.scratch(module, nk, size, "`solve`'s right-hand side")?;
                let (finite, _) = self.copy_to_fortran(module, b, ft, size, x, n)?;
                self.check(finite, EVAL, &format!("`solve`: {NON_FINITE}"))?;
                let k_arg = self.int_arg(k)?;
                let gesv = self.routine(module, &format!("{letter}gesv_"), 8);
                let args: Vec<BasicMetadataValueEnum> = vec![
                    n_arg.into(),
                    k_arg.into(),
                    lu.into(),
                    ld_arg.into(),
                    ipiv.into(),
                    x.into(),
                    ld_arg.into(),
                    info.into(),
                ];
                self.b.build_call(gesv, &args, "").map_err(err)?;
                let ok = self.eq(info_of(self)?, zero32)?;
                self.check(ok, EVAL, &format!("`solve`: {SINGULAR}"))?;
                self.check_pivots(module, op, lu, ft, s, n, big)?;
                self.copy_from_fortran(x, ft, size, n, dest)
            }
            LinalgFn::Inv => {
                self.getrf(module, letter, [n_arg, ld_arg], lu, ipiv, info)?;
                let ok = self.eq(info_of(self)?, zero32)?;
                self.check(ok, EVAL, &format!("`inv`: {SINGULAR}"))?;
                self.check_pivots(module, op, lu, ft, s, n, big)?;
                let work = self.scratch(module, ld, size, "`inv`'s workspace")?;
                let getri = self.routine(module, &format!("{letter}getri_"), 7);
                let args: Vec<BasicMetadataValueEnum> = vec![
                    n_arg.into(),
                    lu.into(),
                    ld_arg.into(),
                    ipiv.into(),
                    work.into(),
                    ld_arg.into(),
                    info.into(),
                ];
                self.b.build_call(getri, &args, "").map_err(err)?;
                let ok = self.eq(info_of(self)?, zero32)?;
                self.check(ok, EVAL, &format!("`inv`: {SINGULAR}"))?;
                let whole = Checked {
                    first: lu,
                    lens: vec![n, n],
                    strides: vec![one, n],
                };
                let (finite, _) = self.copy_to_fortran(module, &whole, ft, size, lu, n)?;
                self.check(finite, EVAL, &format!("`inv`: {NON_FINITE}"))?;
                self.copy_from_fortran(lu, ft, size, n, dest)
            }
            _ => {
                self.getrf(module, letter, [n_arg, ld_arg], lu, ipiv, info)?;
                self.det_from_lu(lu, ipiv, ft, size, n, info_of(self)?, dest)
            }
        }
    }

    fn getrf(
        &mut self,
        module: &Module<'ctx>,
        letter: &str,
        [n_arg, ld_arg]: [PointerValue<'ctx>; 2],
        lu: PointerValue<'ctx>,
        ipiv: PointerValue<'ctx>,
        info: PointerValue<'ctx>,
    ) -> R<()> {
        let getrf = self.routine(module, &format!("{letter}getrf_"), 6);
        let args: Vec<BasicMetadataValueEnum> = vec![
            n_arg.into(),
            n_arg.into(),
            lu.into(),
            ld_arg.into(),
            ipiv.into(),
            info.into(),
        ];
        self.b.build_call(getrf, &args, "").map_err(err)?;
        Ok(())
    }

    /// `det` from the LU factors: the product of the pivots, negated for
    /// each row swap; 0 when `getrf` found an exactly zero pivot.
    #[allow(clippy::too_many_arguments)]
    fn det_from_lu(
        &mut self,
        lu: PointerValue<'ctx>,
        ipiv: PointerValue<'ctx>,
        ft: FloatType<'ctx>,
        size: u64,
        n: IntValue<'ctx>,
        info: IntValue<'ctx>,
        dest: &Checked<'ctx>,
    ) -> R<()> {
        let d = self.entry_alloca(ft.into(), "det")?;
        self.b.build_store(d, ft.const_float(1.0)).map_err(err)?;
        let i32t = self.ctx.i32_type();
        self.loops(&[n], &mut |w: &mut Self, index: &[IntValue<'ctx>]| {
            let k = index[0];
            let kk = w.b.build_int_mul(k, n, "kn").map_err(err)?;
            let kk = w.b.build_int_add(kk, k, "kk").map_err(err)?;
            let q = w.element(lu, &[kk], &[w.c64(1)], size)?;
            let u = w.b.build_load(ft, q, "u").map_err(err)?.into_float_value();
            let cur = w.b.build_load(ft, d, "d").map_err(err)?.into_float_value();
            let prod = w.b.build_float_mul(cur, u, "p").map_err(err)?;
            let pq = w.element(ipiv, &[k], &[w.c64(1)], 4)?;
            let piv =
                w.b.build_load(i32t, pq, "piv")
                    .map_err(err)?
                    .into_int_value();
            let k1 = w.b.build_int_add(k, w.c64(1), "k1").map_err(err)?;
            let k1 = w.b.build_int_truncate(k1, i32t, "k1").map_err(err)?;
            let swapped =
                w.b.build_int_compare(IntPredicate::NE, piv, k1, "sw")
                    .map_err(err)?;
            let neg = w.b.build_float_neg(prod, "neg").map_err(err)?;
            let next = w.b.build_select(swapped, neg, prod, "next").map_err(err)?;
            w.b.build_store(d, next).map_err(err)?;
            Ok(())
        })?;
        let singular = self
            .b
            .build_int_compare(IntPredicate::SGT, info, i32t.const_zero(), "sing")
            .map_err(err)?;
        let v = self.b.build_load(ft, d, "d").map_err(err)?;
        let v = self
            .b
            .build_select(singular, ft.const_zero().into(), v, "det")
            .map_err(err)?;
        self.b.build_store(dest.first, v).map_err(err)?;
        Ok(())
    }
}

/// Bytes of an element of `s`.
fn mem_size(s: Scalar) -> u64 {
    s.size_bytes() as u64
}

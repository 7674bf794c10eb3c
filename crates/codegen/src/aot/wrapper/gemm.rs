//! The C function of a matrix product: checks the tensors as for a
//! kernel, then calls `cblas_dgemm` (or `cblas_sgemm`) in row-major
//! order. An operand with unit stride along its rows is passed as is, one
//! with unit stride along its columns as the transpose of a row-major
//! matrix; `out` must be row-major with unit inner stride and share no
//! byte with an operand. Sizes beyond BLAS's 32-bit integers are refused.

use super::{err, Checked, Wrapper, R};
use crate::aot::abi::SHAPE;
use crate::aot::blas::Gemm;
use crate::aot::types::plain;
use blaze_datashape::{Datashape, Dim, Scalar};
use inkwell::module::{Linkage, Module};
use inkwell::values::{BasicMetadataValueEnum, FunctionValue, IntValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};
use std::collections::HashMap;

/// CBLAS's `CblasRowMajor`, `CblasNoTrans`, `CblasTrans`.
const ROW_MAJOR: u64 = 101;
const NO_TRANS: u64 = 111;
const TRANS: u64 = 112;

impl<'ctx> Wrapper<'_, 'ctx> {
    fn sle(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.b
            .build_int_compare(IntPredicate::SLE, a, b, "le")
            .map_err(err)
    }

    fn or(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.b.build_or(a, b, "or").map_err(err)
    }

    pub(super) fn select(
        &self,
        c: IntValue<'ctx>,
        a: IntValue<'ctx>,
        b: IntValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        Ok(self
            .b
            .build_select(c, a, b, "sel")
            .map_err(err)?
            .into_int_value())
    }

    /// How BLAS reads checked 2-d tensor `c`: (row-major as given, its
    /// leading dimension, whether some layout works). Row-major when its
    /// columns are adjacent (stride 1, or one column) and its rows do not
    /// overlap; else column-major (the transpose of a row-major matrix)
    /// when its rows are adjacent.
    fn blas_layout(
        &self,
        c: &Checked<'ctx>,
    ) -> R<(IntValue<'ctx>, IntValue<'ctx>, IntValue<'ctx>)> {
        let one = self.c64(1);
        let (l0, l1) = (c.lens[0], c.lens[1]);
        let (s0, s1) = (c.strides[0], c.strides[1]);
        let row_cols = self.or(self.sle(l1, one)?, self.eq(s1, one)?)?;
        let row_rows = self.or(self.sle(l0, one)?, self.sle(l1, s0)?)?;
        let row = self.and(row_cols, row_rows)?;
        let col_rows = self.or(self.sle(l0, one)?, self.eq(s0, one)?)?;
        let col_cols = self.or(self.sle(l1, one)?, self.sle(l0, s1)?)?;
        let col = self.and(col_rows, col_cols)?;
        // The leading dimension: the other axis's stride, at least the
        // length BLAS checks (max(1, columns)) when that axis is short.
        let ld_row = self.select(self.sle(l0, one)?, l1, s0)?;
        let ld_col = self.select(self.sle(l1, one)?, l0, s1)?;
        let ld = self.select(row, ld_row, ld_col)?;
        let ld = self.select(self.sle(ld, one)?, one, ld)?;
        Ok((row, ld, self.or(row, col)?))
    }

    /// Continues when every value fits BLAS's `int`.
    pub(super) fn fits_int(&mut self, values: &[IntValue<'ctx>]) -> R<()> {
        let max = self.c64(i32::MAX as u64);
        let mut ok = self.ctx.bool_type().const_int(1, false);
        for v in values {
            ok = self.and(ok, self.sle(*v, max)?)?;
        }
        self.check(
            ok,
            SHAPE,
            "a length or stride exceeds BLAS's 32-bit integers",
        )
    }

    /// Calls `cblas_dgemm` (or `cblas_sgemm` for `scalar`): `c = op(a) @
    /// op(b)` for checked 2-d tensors, each operand with whether the
    /// operation transposes it and its name in messages, `c` of `m` rows
    /// and `n` columns, `k` the inner length. Each operand is read row- or
    /// column-major (whichever its strides allow), `c` must be row-major;
    /// nothing is called when `c` is empty.
    pub(super) fn call_gemm(
        &mut self,
        module: &Module<'ctx>,
        scalar: Scalar,
        a: (&Checked<'ctx>, bool, &str),
        b: (&Checked<'ctx>, bool, &str),
        oc: &Checked<'ctx>,
        (m, n, k): (IntValue<'ctx>, IntValue<'ctx>, IntValue<'ctx>),
    ) -> R<()> {
        let i32t = self.ctx.i32_type();
        let (ca, ta_op, an) = a;
        let (cb, tb_op, bn) = b;
        let (a_row, lda, a_ok) = self.blas_layout(ca)?;
        self.check(
            a_ok,
            SHAPE,
            &format!("{an} has no unit stride along its rows or its columns, as BLAS needs"),
        )?;
        let (b_row, ldb, b_ok) = self.blas_layout(cb)?;
        self.check(
            b_ok,
            SHAPE,
            &format!("{bn} has no unit stride along its rows or its columns, as BLAS needs"),
        )?;
        let (c_row, ldc, _) = self.blas_layout(oc)?;
        self.check(
            c_row,
            SHAPE,
            "`out` must be row-major with unit stride along its rows for BLAS",
        )?;
        self.fits_int(&[m, n, k, lda, ldb, ldc])?;
        // Transposed for BLAS when the operation transposes it, or when it
        // is read column-major: one or the other.
        let trans = |w: &Self, row: IntValue<'ctx>, t: bool| -> R<IntValue<'ctx>> {
            let flip = if t {
                row
            } else {
                w.b.build_not(row, "col").map_err(err)?
            };
            let v = w.select(flip, w.c64(TRANS), w.c64(NO_TRANS))?;
            w.b.build_int_truncate(v, i32t, "t").map_err(err)
        };
        let ta = trans(self, a_row, ta_op)?;
        let tb = trans(self, b_row, tb_op)?;
        let int = |w: &Self, v: IntValue<'ctx>| w.b.build_int_truncate(v, i32t, "i").map_err(err);
        let ft = crate::llvm::mem_type(self.ctx, scalar).into_float_type();
        let ptr = self.ctx.ptr_type(AddressSpace::default());
        let name = if scalar == Scalar::Float32 {
            "cblas_sgemm"
        } else {
            "cblas_dgemm"
        };
        let gemm = module.get_function(name).unwrap_or_else(|| {
            let i = i32t.into();
            let fl = ft.into();
            let p = ptr.into();
            module.add_function(
                name,
                self.ctx
                    .void_type()
                    .fn_type(&[i, i, i, i, i, i, fl, p, i, p, i, fl, p, i], false),
                Some(Linkage::External),
            )
        });
        let args: Vec<BasicMetadataValueEnum> = vec![
            i32t.const_int(ROW_MAJOR, false).into(),
            ta.into(),
            tb.into(),
            int(self, m)?.into(),
            int(self, n)?.into(),
            int(self, k)?.into(),
            ft.const_float(1.0).into(),
            ca.first.into(),
            int(self, lda)?.into(),
            cb.first.into(),
            int(self, ldb)?.into(),
            ft.const_float(0.0).into(),
            oc.first.into(),
            int(self, ldc)?.into(),
        ];
        // Nothing to compute when `out` is empty (BLAS would still check
        // the leading dimensions).
        let mn = self.b.build_int_mul(m, n, "mn").map_err(err)?;
        let empty = self.eq(mn, self.c64(0))?;
        let call = self.ctx.append_basic_block(self.func, "gemm");
        let done = self.ctx.append_basic_block(self.func, "gemm_done");
        self.b
            .build_conditional_branch(empty, done, call)
            .map_err(err)?;
        self.b.position_at_end(call);
        self.b.build_call(gemm, &args, "").map_err(err)?;
        self.b.build_unconditional_branch(done).map_err(err)?;
        self.b.position_at_end(done);
        Ok(())
    }

    /// Writes the body of the C function of the product `g`.
    pub(in crate::aot) fn build_gemm(
        mut self,
        module: &Module<'ctx>,
        g: Gemm,
    ) -> R<FunctionValue<'ctx>> {
        let f = self.f;
        let i64t = self.i64();
        let i32t = self.ctx.i32_type();
        let entry = self.ctx.append_basic_block(self.func, "entry");
        self.b.position_at_end(entry);
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
        let mut checked = Vec::new();
        for (i, (n, t)) in f.params.iter().enumerate() {
            let s = plain(t, &format!("parameter `{n}`"), &f.name)?;
            let arg = self
                .func
                .get_nth_param(i as u32)
                .ok_or_else(|| err("param"))?
                .into_pointer_value();
            checked.push(self.tensor_checks(arg, &format!("`{n}`"), t, t, s, &syms)?);
        }
        // The operands' shapes as multiplied.
        let dims = |c: &Checked<'ctx>, t: bool| {
            if t {
                (c.lens[1], c.lens[0])
            } else {
                (c.lens[0], c.lens[1])
            }
        };
        let (ca, cb) = (&checked[g.a.0], &checked[g.b.0]);
        let (m, k) = dims(ca, g.a.1);
        let (kb, n) = dims(cb, g.b.1);
        let inner = self.eq(k, kb)?;
        let (an, bn) = (&f.params[g.a.0].0, &f.params[g.b.0].0);
        self.check(
            inner,
            SHAPE,
            &format!("the columns of `{an}` and the rows of `{bn}` differ"),
        )?;
        let result = f.result_type().clone();
        let out_ty = Datashape::new(
            vec![Dim::TypeVar("__out0".into()), Dim::TypeVar("__out1".into())],
            result.measure.clone(),
        );
        let mut out_syms = syms.clone();
        for (k, len) in [m, n].iter().enumerate() {
            let slot = self.b.build_alloca(i64t, "outlen").map_err(err)?;
            self.b.build_store(slot, *len).map_err(err)?;
            out_syms.insert(format!("__out{k}"), slot);
        }
        let out_arg = self
            .func
            .get_nth_param(f.params.len() as u32)
            .ok_or_else(|| err("out"))?
            .into_pointer_value();
        let oc = self.tensor_checks(out_arg, "`out`", &out_ty, &result, g.scalar, &out_syms)?;
        let size = g.scalar.size_bytes() as u64;
        let out_span = self.span(&oc, size)?;
        for (i, c) in checked.iter().enumerate() {
            let name = &f.params[i].0;
            let apart = self.disjoint(self.span(c, size)?, out_span)?;
            self.check(
                apart,
                SHAPE,
                &format!("`out` overlaps `{name}`; a matrix product's `out` is a separate buffer"),
            )?;
        }
        let (an, bn) = (format!("`{an}`"), format!("`{bn}`"));
        self.call_gemm(
            module,
            g.scalar,
            (ca, g.a.1, &an),
            (cb, g.b.1, &bn),
            &oc,
            (m, n, k),
        )?;
        self.b.build_return(Some(&i32t.const_zero())).map_err(err)?;
        Ok(self.func)
    }
}

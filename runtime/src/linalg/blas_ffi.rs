//! The BLAS entry points per element type: [`BlasScalar`] and its
//! implementations for `s`/`d`/`c`/`z` through cblas. Only FFI calls live
//! here; shapes, layouts and copies are in [`super::blas`].
//!
//! One macro serves the real and the complex types: they differ only in
//! how scalars are passed (by value for real types, by pointer for complex
//! ones) and in `dot` (complex `dotu_sub` returns through a pointer).

use blaze_interp::element::Inexact;
use cblas_sys as ffi;
use num_complex::{Complex32, Complex64};
use num_traits::{One, Zero};
use std::os::raw::c_int;

/// An element type with BLAS routines.
pub trait BlasScalar: Inexact {
    /// `C = alpha op(A) op(B) + beta C`, row-major.
    ///
    /// # Safety
    /// The pointers and leading dimensions describe valid matrices of the
    /// given sizes; `c` is not aliased.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        ta: bool,
        tb: bool,
        dims: [c_int; 3],
        alpha: Self,
        a: (*const Self, c_int),
        b: (*const Self, c_int),
        beta: Self,
        c: (*mut Self, c_int),
    );
    /// `y = alpha op(A) x`, row-major `A` of `m × n`.
    ///
    /// # Safety
    /// As for [`BlasScalar::gemm`]; `x` has `incx` spacing.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemv(
        ta: bool,
        m: c_int,
        n: c_int,
        alpha: Self,
        a: (*const Self, c_int),
        x: (*const Self, c_int),
        y: *mut Self,
    );
    /// `x · y` without conjugation.
    ///
    /// # Safety
    /// `x` and `y` hold `n` elements at their spacing.
    unsafe fn dot(n: c_int, x: (*const Self, c_int), y: (*const Self, c_int)) -> Self;
    /// Upper triangle of `C = alpha op(A) op(A)ᵀ`, row-major (`trans`:
    /// `Aᵀ A` for a `k × n` `A`).
    ///
    /// # Safety
    /// As for [`BlasScalar::gemm`].
    unsafe fn syrk(
        trans: bool,
        n: c_int,
        k: c_int,
        alpha: Self,
        a: (*const Self, c_int),
        c: (*mut Self, c_int),
    );
    /// `B = op(A)⁻¹ B` for a triangular `A` (`lower` describes `A` as
    /// stored), row-major.
    ///
    /// # Safety
    /// As for [`BlasScalar::gemm`].
    unsafe fn trsm(
        lower: bool,
        trans: bool,
        m: c_int,
        n: c_int,
        a: (*const Self, c_int),
        b: (*mut Self, c_int),
    );
}

fn tr(t: bool) -> ffi::CBLAS_TRANSPOSE {
    if t {
        ffi::CblasTrans
    } else {
        ffi::CblasNoTrans
    }
}

fn uplo(lower: bool) -> ffi::CBLAS_UPLO {
    if lower {
        ffi::CblasLower
    } else {
        ffi::CblasUpper
    }
}

/// A scalar argument as cblas takes it: by value for real types (`val`),
/// by pointer for complex ones (`ptr`).
macro_rules! scalar_arg {
    (val, $x:expr) => {
        $x
    };
    (ptr, $x:expr) => {
        (&$x as *const Self).cast()
    };
}

/// `x · y` without conjugation: returned by value (`val`) or through a
/// pointer (`ptr`, cblas's `dotu_sub`).
macro_rules! dot_call {
    (val, $dot:ident, $n:expr, $x:expr, $y:expr) => {
        ffi::$dot($n, $x.0.cast(), $x.1, $y.0.cast(), $y.1)
    };
    (ptr, $dot:ident, $n:expr, $x:expr, $y:expr) => {{
        let mut out = Self::zero();
        ffi::$dot(
            $n,
            $x.0.cast(),
            $x.1,
            $y.0.cast(),
            $y.1,
            (&mut out as *mut Self).cast(),
        );
        out
    }};
}

macro_rules! blas_scalar {
    ($by:ident $t:ty, $gemm:ident, $gemv:ident, $dot:ident, $syrk:ident, $trsm:ident) => {
        impl BlasScalar for $t {
            unsafe fn gemm(
                ta: bool,
                tb: bool,
                [m, n, k]: [c_int; 3],
                alpha: Self,
                a: (*const Self, c_int),
                b: (*const Self, c_int),
                beta: Self,
                c: (*mut Self, c_int),
            ) {
                ffi::$gemm(
                    ffi::CblasRowMajor,
                    tr(ta),
                    tr(tb),
                    m,
                    n,
                    k,
                    scalar_arg!($by, alpha),
                    a.0.cast(),
                    a.1,
                    b.0.cast(),
                    b.1,
                    scalar_arg!($by, beta),
                    c.0.cast(),
                    c.1,
                )
            }
            unsafe fn gemv(
                ta: bool,
                m: c_int,
                n: c_int,
                alpha: Self,
                a: (*const Self, c_int),
                x: (*const Self, c_int),
                y: *mut Self,
            ) {
                let zero = Self::zero();
                ffi::$gemv(
                    ffi::CblasRowMajor,
                    tr(ta),
                    m,
                    n,
                    scalar_arg!($by, alpha),
                    a.0.cast(),
                    a.1,
                    x.0.cast(),
                    x.1,
                    scalar_arg!($by, zero),
                    y.cast(),
                    1,
                )
            }
            unsafe fn dot(n: c_int, x: (*const Self, c_int), y: (*const Self, c_int)) -> Self {
                dot_call!($by, $dot, n, x, y)
            }
            unsafe fn syrk(
                trans: bool,
                n: c_int,
                k: c_int,
                alpha: Self,
                a: (*const Self, c_int),
                c: (*mut Self, c_int),
            ) {
                let zero = Self::zero();
                ffi::$syrk(
                    ffi::CblasRowMajor,
                    ffi::CblasUpper,
                    tr(trans),
                    n,
                    k,
                    scalar_arg!($by, alpha),
                    a.0.cast(),
                    a.1,
                    scalar_arg!($by, zero),
                    c.0.cast(),
                    c.1,
                )
            }
            unsafe fn trsm(
                lower: bool,
                trans: bool,
                m: c_int,
                n: c_int,
                a: (*const Self, c_int),
                b: (*mut Self, c_int),
            ) {
                let one = Self::one();
                ffi::$trsm(
                    ffi::CblasRowMajor,
                    ffi::CblasLeft,
                    uplo(lower),
                    tr(trans),
                    ffi::CblasNonUnit,
                    m,
                    n,
                    scalar_arg!($by, one),
                    a.0.cast(),
                    a.1,
                    b.0.cast(),
                    b.1,
                )
            }
        }
    };
}

blas_scalar!(val f32, cblas_sgemm, cblas_sgemv, cblas_sdot, cblas_ssyrk, cblas_strsm);
blas_scalar!(val f64, cblas_dgemm, cblas_dgemv, cblas_ddot, cblas_dsyrk, cblas_dtrsm);
blas_scalar!(ptr Complex32, cblas_cgemm, cblas_cgemv, cblas_cdotu_sub, cblas_csyrk, cblas_ctrsm);
blas_scalar!(ptr Complex64, cblas_zgemm, cblas_zgemv, cblas_zdotu_sub, cblas_zsyrk, cblas_ztrsm);

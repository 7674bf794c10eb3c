//! The LAPACK entry points per element type: [`LapackScalar`] and its
//! implementations for `s`/`d`/`c`/`z`. Only FFI calls and their workspace
//! queries live here; checks and results are in [`super::lapack`].
//!
//! One macro serves every type. Where the real and complex signatures
//! differ only by the real workspace of the complex routines (`gesdd`,
//! `syevd`/`heevd`, `gelsd`), one body passes it for complex types only
//! (`with_rwork!`); `geev`, which returns eigenvalues and vectors
//! differently for real and complex types, has one body per kind.

use blaze_interp::element::Inexact;
use num_complex::{Complex32, Complex64};
use num_traits::Zero;

use super::blas_ffi::BlasScalar;

/// An element type with LAPACK routines. Matrices are column-major with
/// leading dimension `max(1, rows)`; every method returns LAPACK's `info`.
#[allow(clippy::missing_safety_doc)]
pub trait LapackScalar: BlasScalar {
    /// LU with partial pivoting of an `n × n` matrix, and the solution of
    /// `A X = B` for `nrhs` columns.
    unsafe fn gesv(n: i32, nrhs: i32, a: &mut [Self], ipiv: &mut [i32], b: &mut [Self]) -> i32;
    /// LU with partial pivoting.
    unsafe fn getrf(n: i32, a: &mut [Self], ipiv: &mut [i32]) -> i32;
    /// Inverse from the LU factors.
    unsafe fn getri(n: i32, a: &mut [Self], ipiv: &[i32]) -> i32;
    /// Lower Cholesky factor.
    unsafe fn potrf(n: i32, a: &mut [Self]) -> i32;
    /// Householder QR of `m × n`, then the first `k` columns of `Q` in place.
    unsafe fn qr(m: i32, n: i32, a: &mut [Self], tau: &mut [Self]) -> i32;
    /// `Q` (`m × k`) from [`LapackScalar::qr`]'s output.
    unsafe fn orgqr(m: i32, k: i32, a: &mut [Self], tau: &[Self]) -> i32;
    /// Reduced SVD by divide and conquer.
    unsafe fn gesdd(
        m: i32,
        n: i32,
        a: &mut [Self],
        s: &mut [Self::Real],
        u: &mut [Self],
        vt: &mut [Self],
    ) -> i32;
    /// Eigenvalues and right eigenvectors (columns, unit norm), as complex.
    unsafe fn geev(n: i32, a: &mut [Self], w: &mut [Complex64], v: &mut [Complex64]) -> i32;
    /// Eigenvalues (ascending) and eigenvectors of a symmetric/Hermitian
    /// matrix from its lower triangle.
    unsafe fn syevd(n: i32, a: &mut [Self], w: &mut [Self::Real]) -> i32;
    /// Minimum-norm least squares; `b` is `max(m, n) × nrhs`.
    unsafe fn gelsd(
        m: i32,
        n: i32,
        nrhs: i32,
        a: &mut [Self],
        b: &mut [Self],
        rank: &mut i32,
    ) -> i32;
    /// Euclidean norm of `n` contiguous elements.
    unsafe fn nrm2(n: i32, x: &[Self]) -> f64;
}

/// The workspace length LAPACK asked for in a query (at least 1).
fn lwork_of(x: f64) -> i32 {
    (x.max(1.0) as i32).max(1)
}

/// A workspace of the length a query returned in `q`.
fn work_for<T: Inexact>(q: T) -> (Vec<T>, i32) {
    let lw = lwork_of(q.re());
    (vec![T::zero(); lw as usize], lw)
}

/// The routines whose signatures are the same for real and complex types.
macro_rules! common_lapack {
    ($gesv:ident, $getrf:ident, $getri:ident, $potrf:ident, $geqrf:ident, $orgqr:ident,
     $nrm2:ident) => {
        unsafe fn gesv(n: i32, nrhs: i32, a: &mut [Self], ipiv: &mut [i32], b: &mut [Self]) -> i32 {
            let mut info = 0;
            lapack::$gesv(n, nrhs, a, n.max(1), ipiv, b, n.max(1), &mut info);
            info
        }
        unsafe fn getrf(n: i32, a: &mut [Self], ipiv: &mut [i32]) -> i32 {
            let mut info = 0;
            lapack::$getrf(n, n, a, n.max(1), ipiv, &mut info);
            info
        }
        unsafe fn getri(n: i32, a: &mut [Self], ipiv: &[i32]) -> i32 {
            let mut info = 0;
            let mut q = [Self::zero()];
            lapack::$getri(n, a, n.max(1), ipiv, &mut q, -1, &mut info);
            let (mut work, lw) = work_for(q[0]);
            lapack::$getri(n, a, n.max(1), ipiv, &mut work, lw, &mut info);
            info
        }
        unsafe fn potrf(n: i32, a: &mut [Self]) -> i32 {
            let mut info = 0;
            lapack::$potrf(b'L', n, a, n.max(1), &mut info);
            info
        }
        unsafe fn qr(m: i32, n: i32, a: &mut [Self], tau: &mut [Self]) -> i32 {
            let mut info = 0;
            let mut q = [Self::zero()];
            lapack::$geqrf(m, n, a, m.max(1), tau, &mut q, -1, &mut info);
            let (mut work, lw) = work_for(q[0]);
            lapack::$geqrf(m, n, a, m.max(1), tau, &mut work, lw, &mut info);
            info
        }
        unsafe fn orgqr(m: i32, k: i32, a: &mut [Self], tau: &[Self]) -> i32 {
            let mut info = 0;
            let mut q = [Self::zero()];
            lapack::$orgqr(m, k, k, a, m.max(1), tau, &mut q, -1, &mut info);
            let (mut work, lw) = work_for(q[0]);
            lapack::$orgqr(m, k, k, a, m.max(1), tau, &mut work, lw, &mut info);
            info
        }
        unsafe fn nrm2(n: i32, x: &[Self]) -> f64 {
            cblas_sys::$nrm2(n, x.as_ptr().cast(), 1) as f64
        }
    };
}

/// Calls LAPACK routine `$f` with the arguments before the first `;`, then
/// — for complex types only — the real-workspace arguments between the
/// `;`s, then the rest.
macro_rules! with_rwork {
    (real, $f:ident($($pre:expr),*; $($extra:expr),*; $($post:expr),*)) => {{
        let _ = ($($extra,)*);
        lapack::$f($($pre),*, $($post),*)
    }};
    (complex, $f:ident($($pre:expr),*; $($extra:expr),*; $($post:expr),*)) => {
        lapack::$f($($pre),*, $($extra),*, $($post),*)
    };
}

/// `$len` for complex types, 0 for real ones (which need no real
/// workspace).
macro_rules! complex_only {
    (real, $len:expr) => {
        0
    };
    (complex, $len:expr) => {
        $len
    };
}

/// `geev` for a real type (eigenvalues as real and imaginary parts,
/// complex pairs of eigenvectors in two real columns) or a complex one.
macro_rules! geev {
    (real, $t:ty, $r:ty, $geev:ident) => {
        unsafe fn geev(n: i32, a: &mut [Self], w: &mut [Complex64], v: &mut [Complex64]) -> i32 {
            let mut info = 0;
            let nu = n as usize;
            let (mut wr, mut wi) = (vec![0.0; nu], vec![0.0; nu]);
            let mut vr = vec![0.0; nu * nu];
            let mut vl = [0.0; 1];
            let mut call = |work: &mut [Self], lw: i32, info: &mut i32| {
                lapack::$geev(
                    b'N',
                    b'V',
                    n,
                    a,
                    n.max(1),
                    &mut wr,
                    &mut wi,
                    &mut vl,
                    1,
                    &mut vr,
                    n.max(1),
                    work,
                    lw,
                    info,
                )
            };
            let mut q = [0.0];
            call(&mut q, -1, &mut info);
            let (mut work, lw) = work_for(q[0]);
            call(&mut work, lw, &mut info);
            if info != 0 {
                return info;
            }
            // Complex pairs: columns j, j+1 hold re and im of v_j;
            // v_{j+1} is its conjugate.
            let mut j = 0;
            while j < nu {
                w[j] = Complex64::new(wr[j] as f64, wi[j] as f64);
                if wi[j] != 0.0 && j + 1 < nu {
                    w[j + 1] = Complex64::new(wr[j + 1] as f64, wi[j + 1] as f64);
                    for i in 0..nu {
                        let (re, im) = (vr[j * nu + i] as f64, vr[(j + 1) * nu + i] as f64);
                        v[j * nu + i] = Complex64::new(re, im);
                        v[(j + 1) * nu + i] = Complex64::new(re, -im);
                    }
                    j += 2;
                } else {
                    for i in 0..nu {
                        v[j * nu + i] = Complex64::new(vr[j * nu + i] as f64, 0.0);
                    }
                    j += 1;
                }
            }
            0
        }
    };
    (complex, $t:ty, $r:ty, $geev:ident) => {
        unsafe fn geev(n: i32, a: &mut [Self], w: &mut [Complex64], v: &mut [Complex64]) -> i32 {
            let mut info = 0;
            let nu = n as usize;
            let mut ww = vec![Self::zero(); nu];
            let mut vr = vec![Self::zero(); nu * nu];
            let mut vl = [Self::zero(); 1];
            let mut rwork = vec![0.0 as $r; 2 * nu.max(1)];
            let mut call = |work: &mut [Self], lw: i32, info: &mut i32| {
                lapack::$geev(
                    b'N',
                    b'V',
                    n,
                    a,
                    n.max(1),
                    &mut ww,
                    &mut vl,
                    1,
                    &mut vr,
                    n.max(1),
                    work,
                    lw,
                    &mut rwork,
                    info,
                )
            };
            let mut q = [Self::zero()];
            call(&mut q, -1, &mut info);
            let (mut work, lw) = work_for(q[0]);
            call(&mut work, lw, &mut info);
            for (o, x) in w.iter_mut().zip(&ww) {
                *o = x.to_c128();
            }
            for (o, x) in v.iter_mut().zip(&vr) {
                *o = x.to_c128();
            }
            info
        }
    };
}

/// `LapackScalar` for a `real` or `complex` type `$t` with components of
/// type `$r`.
macro_rules! lapack_scalar {
    ($kind:ident $t:ty, $r:ty, $gesv:ident, $getrf:ident, $getri:ident, $potrf:ident,
     $geqrf:ident, $orgqr:ident, $gesdd:ident, $geev:ident, $syevd:ident, $gelsd:ident,
     $nrm2:ident) => {
        impl LapackScalar for $t {
            common_lapack!($gesv, $getrf, $getri, $potrf, $geqrf, $orgqr, $nrm2);
            geev!($kind, $t, $r, $geev);
            unsafe fn gesdd(
                m: i32,
                n: i32,
                a: &mut [Self],
                s: &mut [$r],
                u: &mut [Self],
                vt: &mut [Self],
            ) -> i32 {
                let mut info = 0;
                let k = m.min(n).max(1) as usize;
                let mut iwork = vec![0i32; 8 * k];
                let mut rwork = vec![0.0 as $r; complex_only!($kind, {
                    let mx = m.max(n).max(1) as usize;
                    (5 * k * k + 5 * k).max(2 * mx * k + 2 * k * k + k)
                })];
                let kk = m.min(n).max(1);
                let mut call = |work: &mut [Self], lw: i32, info: &mut i32| {
                    with_rwork!($kind, $gesdd(
                        b'S', m, n, a, m.max(1), s, u, m.max(1), vt, kk, work, lw;
                        &mut rwork;
                        &mut iwork, info
                    ))
                };
                let mut q = [Self::zero()];
                call(&mut q, -1, &mut info);
                let (mut work, lw) = work_for(q[0]);
                call(&mut work, lw, &mut info);
                info
            }
            unsafe fn syevd(n: i32, a: &mut [Self], w: &mut [$r]) -> i32 {
                let mut info = 0;
                let (mut q, mut rq, mut iq) = ([Self::zero()], [0.0 as $r], [0i32]);
                with_rwork!($kind, $syevd(
                    b'V', b'L', n, a, n.max(1), w, &mut q, -1;
                    &mut rq, -1;
                    &mut iq, -1, &mut info
                ));
                let (mut work, lw) = work_for(q[0]);
                let lrw = lwork_of(rq[0] as f64);
                let liw = iq[0].max(1);
                let mut rwork = vec![0.0 as $r; complex_only!($kind, lrw as usize)];
                let mut iwork = vec![0i32; liw as usize];
                with_rwork!($kind, $syevd(
                    b'V', b'L', n, a, n.max(1), w, &mut work, lw;
                    &mut rwork, lrw;
                    &mut iwork, liw, &mut info
                ));
                info
            }
            unsafe fn gelsd(
                m: i32,
                n: i32,
                nrhs: i32,
                a: &mut [Self],
                b: &mut [Self],
                rank: &mut i32,
            ) -> i32 {
                let mut info = 0;
                let mut s = vec![0.0 as $r; m.min(n).max(1) as usize];
                let rcond = <$r>::EPSILON * m.max(n) as $r;
                let (mut q, mut rq, mut iq) = ([Self::zero()], [0.0 as $r], [0i32]);
                let ldb = m.max(n).max(1);
                with_rwork!($kind, $gelsd(
                    m, n, nrhs, a, m.max(1), b, ldb, &mut s, rcond, rank, &mut q, -1;
                    &mut rq;
                    &mut iq, &mut info
                ));
                let (mut work, lw) = work_for(q[0]);
                let mut rwork = vec![0.0 as $r; complex_only!($kind, lwork_of(rq[0] as f64) as usize)];
                let mut iwork = vec![0i32; iq[0].max(1) as usize];
                with_rwork!($kind, $gelsd(
                    m, n, nrhs, a, m.max(1), b, ldb, &mut s, rcond, rank, &mut work, lw;
                    &mut rwork;
                    &mut iwork, &mut info
                ));
                info
            }
        }
    };
}

lapack_scalar!(real f32, f32, sgesv, sgetrf, sgetri, spotrf, sgeqrf, sorgqr, sgesdd, sgeev,
    ssyevd, sgelsd, cblas_snrm2);
lapack_scalar!(real f64, f64, dgesv, dgetrf, dgetri, dpotrf, dgeqrf, dorgqr, dgesdd, dgeev,
    dsyevd, dgelsd, cblas_dnrm2);
lapack_scalar!(complex Complex32, f32, cgesv, cgetrf, cgetri, cpotrf, cgeqrf, cungqr, cgesdd,
    cgeev, cheevd, cgelsd, cblas_scnrm2);
lapack_scalar!(complex Complex64, f64, zgesv, zgetrf, zgetri, zpotrf, zgeqrf, zungqr, zgesdd,
    zgeev, zheevd, zgelsd, cblas_dznrm2);

//! Linear algebra on LAPACK (OpenBLAS's): `solve` (gesv), `inv` (getrf +
//! getri), `det` (getrf), `cholesky` (potrf), `qr` (geqrf + orgqr/ungqr),
//! `svd` (gesdd), `eig` (geev), `eigh` and `eig` of symmetric matrices
//! (syevd/heevd), `lstsq` (gelsd), `norm` (nrm2), `trace`, for float32,
//! float64, complex64 and complex128.
//!
//! Inputs are checked before LAPACK sees them: non-square matrices,
//! mismatched right-hand sides and NaN or infinite entries are errors, as
//! are singular matrices (the same test as the reference interpreter: an LU
//! pivot `|u_kk| ≤ n·ε·max|a_ij|`), matrices that are not positive definite
//! (`cholesky`), and iterations that do not converge. No routine returns
//! silent NaNs.

use crate::blas::{view2, BlasScalar};
use blaze_datashape::Scalar;
use blaze_interp::linalg::LinalgError;
use blaze_interp::{kernels, Array, Element, EvalError, Value};
use blaze_ir::ops::LinalgFn;
use ndarray::{Array1, Array2, ArrayD, ArrayView2, ShapeBuilder};
use num_complex::{Complex32, Complex64};

/// An element type with LAPACK routines. Matrices are column-major with
/// leading dimension `max(1, rows)`; every method returns LAPACK's `info`.
#[allow(clippy::missing_safety_doc)]
pub trait LapackScalar: BlasScalar + PartialEq + std::ops::Neg<Output = Self> {
    /// The real type of the components.
    type Real: Copy + Default + Into<f64> + Element + num_traits::Float;
    /// `|x|` in float64.
    fn modulus(self) -> f64;
    /// Whether every component is finite.
    fn finite(self) -> bool;
    /// As complex128.
    fn to_c128(self) -> Complex64;
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

fn lwork_of(x: f64) -> i32 {
    (x.max(1.0) as i32).max(1)
}

macro_rules! real_lapack {
    ($t:ty, $gesv:ident, $getrf:ident, $getri:ident, $potrf:ident, $geqrf:ident, $orgqr:ident,
     $gesdd:ident, $geev:ident, $syevd:ident, $gelsd:ident, $nrm2:ident) => {
        impl LapackScalar for $t {
            type Real = $t;
            fn modulus(self) -> f64 {
                (self as f64).abs()
            }
            fn finite(self) -> bool {
                self.is_finite()
            }
            fn to_c128(self) -> Complex64 {
                Complex64::new(self as f64, 0.0)
            }
            unsafe fn gesv(
                n: i32,
                nrhs: i32,
                a: &mut [Self],
                ipiv: &mut [i32],
                b: &mut [Self],
            ) -> i32 {
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
                let mut q = [0.0 as $t];
                lapack::$getri(n, a, n.max(1), ipiv, &mut q, -1, &mut info);
                let lw = lwork_of(q[0] as f64);
                let mut work = vec![0.0 as $t; lw as usize];
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
                let mut q = [0.0 as $t];
                lapack::$geqrf(m, n, a, m.max(1), tau, &mut q, -1, &mut info);
                let lw = lwork_of(q[0] as f64);
                let mut work = vec![0.0 as $t; lw as usize];
                lapack::$geqrf(m, n, a, m.max(1), tau, &mut work, lw, &mut info);
                info
            }
            unsafe fn orgqr(m: i32, k: i32, a: &mut [Self], tau: &[Self]) -> i32 {
                let mut info = 0;
                let mut q = [0.0 as $t];
                lapack::$orgqr(m, k, k, a, m.max(1), tau, &mut q, -1, &mut info);
                let lw = lwork_of(q[0] as f64);
                let mut work = vec![0.0 as $t; lw as usize];
                lapack::$orgqr(m, k, k, a, m.max(1), tau, &mut work, lw, &mut info);
                info
            }
            unsafe fn gesdd(
                m: i32,
                n: i32,
                a: &mut [Self],
                s: &mut [Self],
                u: &mut [Self],
                vt: &mut [Self],
            ) -> i32 {
                let mut info = 0;
                let k = m.min(n);
                let mut iwork = vec![0i32; 8 * k.max(1) as usize];
                let mut q = [0.0 as $t];
                lapack::$gesdd(
                    b'S',
                    m,
                    n,
                    a,
                    m.max(1),
                    s,
                    u,
                    m.max(1),
                    vt,
                    k.max(1),
                    &mut q,
                    -1,
                    &mut iwork,
                    &mut info,
                );
                let lw = lwork_of(q[0] as f64);
                let mut work = vec![0.0 as $t; lw as usize];
                lapack::$gesdd(
                    b'S',
                    m,
                    n,
                    a,
                    m.max(1),
                    s,
                    u,
                    m.max(1),
                    vt,
                    k.max(1),
                    &mut work,
                    lw,
                    &mut iwork,
                    &mut info,
                );
                info
            }
            unsafe fn geev(
                n: i32,
                a: &mut [Self],
                w: &mut [Complex64],
                v: &mut [Complex64],
            ) -> i32 {
                let mut info = 0;
                let nu = n as usize;
                let (mut wr, mut wi) = (vec![0.0 as $t; nu], vec![0.0 as $t; nu]);
                let mut vr = vec![0.0 as $t; nu * nu];
                let mut vl = [0.0 as $t; 1];
                let mut q = [0.0 as $t];
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
                    &mut q,
                    -1,
                    &mut info,
                );
                let lw = lwork_of(q[0] as f64);
                let mut work = vec![0.0 as $t; lw as usize];
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
                    &mut work,
                    lw,
                    &mut info,
                );
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
            unsafe fn syevd(n: i32, a: &mut [Self], w: &mut [Self]) -> i32 {
                let mut info = 0;
                let (mut q, mut iq) = ([0.0 as $t], [0i32]);
                lapack::$syevd(
                    b'V',
                    b'L',
                    n,
                    a,
                    n.max(1),
                    w,
                    &mut q,
                    -1,
                    &mut iq,
                    -1,
                    &mut info,
                );
                let (lw, liw) = (lwork_of(q[0] as f64), iq[0].max(1));
                let mut work = vec![0.0 as $t; lw as usize];
                let mut iwork = vec![0i32; liw as usize];
                lapack::$syevd(
                    b'V',
                    b'L',
                    n,
                    a,
                    n.max(1),
                    w,
                    &mut work,
                    lw,
                    &mut iwork,
                    liw,
                    &mut info,
                );
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
                let mut s = vec![0.0 as $t; m.min(n).max(1) as usize];
                let rcond = <$t>::EPSILON * m.max(n) as $t;
                let (mut q, mut iq) = ([0.0 as $t], [0i32]);
                let ldb = m.max(n).max(1);
                lapack::$gelsd(
                    m,
                    n,
                    nrhs,
                    a,
                    m.max(1),
                    b,
                    ldb,
                    &mut s,
                    rcond,
                    rank,
                    &mut q,
                    -1,
                    &mut iq,
                    &mut info,
                );
                let lw = lwork_of(q[0] as f64);
                let mut work = vec![0.0 as $t; lw as usize];
                let mut iwork = vec![0i32; iq[0].max(1) as usize];
                lapack::$gelsd(
                    m,
                    n,
                    nrhs,
                    a,
                    m.max(1),
                    b,
                    ldb,
                    &mut s,
                    rcond,
                    rank,
                    &mut work,
                    lw,
                    &mut iwork,
                    &mut info,
                );
                info
            }
            unsafe fn nrm2(n: i32, x: &[Self]) -> f64 {
                cblas_sys::$nrm2(n, x.as_ptr(), 1) as f64
            }
        }
    };
}

real_lapack!(
    f32,
    sgesv,
    sgetrf,
    sgetri,
    spotrf,
    sgeqrf,
    sorgqr,
    sgesdd,
    sgeev,
    ssyevd,
    sgelsd,
    cblas_snrm2
);
real_lapack!(
    f64,
    dgesv,
    dgetrf,
    dgetri,
    dpotrf,
    dgeqrf,
    dorgqr,
    dgesdd,
    dgeev,
    dsyevd,
    dgelsd,
    cblas_dnrm2
);

macro_rules! complex_lapack {
    ($t:ty, $r:ty, $gesv:ident, $getrf:ident, $getri:ident, $potrf:ident, $geqrf:ident, $orgqr:ident,
     $gesdd:ident, $geev:ident, $syevd:ident, $gelsd:ident, $nrm2:ident) => {
        impl LapackScalar for $t {
            type Real = $r;
            fn modulus(self) -> f64 {
                (self.norm()) as f64
            }
            fn finite(self) -> bool {
                self.re.is_finite() && self.im.is_finite()
            }
            fn to_c128(self) -> Complex64 {
                Complex64::new(self.re as f64, self.im as f64)
            }
            unsafe fn gesv(
                n: i32,
                nrhs: i32,
                a: &mut [Self],
                ipiv: &mut [i32],
                b: &mut [Self],
            ) -> i32 {
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
                let mut q = [<$t>::new(0.0, 0.0)];
                lapack::$getri(n, a, n.max(1), ipiv, &mut q, -1, &mut info);
                let lw = lwork_of(q[0].re as f64);
                let mut work = vec![<$t>::new(0.0, 0.0); lw as usize];
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
                let mut q = [<$t>::new(0.0, 0.0)];
                lapack::$geqrf(m, n, a, m.max(1), tau, &mut q, -1, &mut info);
                let lw = lwork_of(q[0].re as f64);
                let mut work = vec![<$t>::new(0.0, 0.0); lw as usize];
                lapack::$geqrf(m, n, a, m.max(1), tau, &mut work, lw, &mut info);
                info
            }
            unsafe fn orgqr(m: i32, k: i32, a: &mut [Self], tau: &[Self]) -> i32 {
                let mut info = 0;
                let mut q = [<$t>::new(0.0, 0.0)];
                lapack::$orgqr(m, k, k, a, m.max(1), tau, &mut q, -1, &mut info);
                let lw = lwork_of(q[0].re as f64);
                let mut work = vec![<$t>::new(0.0, 0.0); lw as usize];
                lapack::$orgqr(m, k, k, a, m.max(1), tau, &mut work, lw, &mut info);
                info
            }
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
                let mx = m.max(n).max(1) as usize;
                let mut iwork = vec![0i32; 8 * k];
                let mut rwork =
                    vec![0.0 as $r; (5 * k * k + 5 * k).max(2 * mx * k + 2 * k * k + k)];
                let mut q = [<$t>::new(0.0, 0.0)];
                let kk = m.min(n).max(1);
                lapack::$gesdd(
                    b'S',
                    m,
                    n,
                    a,
                    m.max(1),
                    s,
                    u,
                    m.max(1),
                    vt,
                    kk,
                    &mut q,
                    -1,
                    &mut rwork,
                    &mut iwork,
                    &mut info,
                );
                let lw = lwork_of(q[0].re as f64);
                let mut work = vec![<$t>::new(0.0, 0.0); lw as usize];
                lapack::$gesdd(
                    b'S',
                    m,
                    n,
                    a,
                    m.max(1),
                    s,
                    u,
                    m.max(1),
                    vt,
                    kk,
                    &mut work,
                    lw,
                    &mut rwork,
                    &mut iwork,
                    &mut info,
                );
                info
            }
            unsafe fn geev(
                n: i32,
                a: &mut [Self],
                w: &mut [Complex64],
                v: &mut [Complex64],
            ) -> i32 {
                let mut info = 0;
                let nu = n as usize;
                let mut ww = vec![<$t>::new(0.0, 0.0); nu];
                let mut vr = vec![<$t>::new(0.0, 0.0); nu * nu];
                let mut vl = [<$t>::new(0.0, 0.0); 1];
                let mut rwork = vec![0.0 as $r; 2 * nu.max(1)];
                let mut q = [<$t>::new(0.0, 0.0)];
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
                    &mut q,
                    -1,
                    &mut rwork,
                    &mut info,
                );
                let lw = lwork_of(q[0].re as f64);
                let mut work = vec![<$t>::new(0.0, 0.0); lw as usize];
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
                    &mut work,
                    lw,
                    &mut rwork,
                    &mut info,
                );
                for (o, x) in w.iter_mut().zip(&ww) {
                    *o = x.to_c128();
                }
                for (o, x) in v.iter_mut().zip(&vr) {
                    *o = x.to_c128();
                }
                info
            }
            unsafe fn syevd(n: i32, a: &mut [Self], w: &mut [$r]) -> i32 {
                let mut info = 0;
                let (mut q, mut rq, mut iq) = ([<$t>::new(0.0, 0.0)], [0.0 as $r], [0i32]);
                lapack::$syevd(
                    b'V',
                    b'L',
                    n,
                    a,
                    n.max(1),
                    w,
                    &mut q,
                    -1,
                    &mut rq,
                    -1,
                    &mut iq,
                    -1,
                    &mut info,
                );
                let (lw, lrw, liw) = (
                    lwork_of(q[0].re as f64),
                    lwork_of(rq[0] as f64),
                    iq[0].max(1),
                );
                let mut work = vec![<$t>::new(0.0, 0.0); lw as usize];
                let mut rwork = vec![0.0 as $r; lrw as usize];
                let mut iwork = vec![0i32; liw as usize];
                lapack::$syevd(
                    b'V',
                    b'L',
                    n,
                    a,
                    n.max(1),
                    w,
                    &mut work,
                    lw,
                    &mut rwork,
                    lrw,
                    &mut iwork,
                    liw,
                    &mut info,
                );
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
                let (mut q, mut rq, mut iq) = ([<$t>::new(0.0, 0.0)], [0.0 as $r], [0i32]);
                let ldb = m.max(n).max(1);
                lapack::$gelsd(
                    m,
                    n,
                    nrhs,
                    a,
                    m.max(1),
                    b,
                    ldb,
                    &mut s,
                    rcond,
                    rank,
                    &mut q,
                    -1,
                    &mut rq,
                    &mut iq,
                    &mut info,
                );
                let lw = lwork_of(q[0].re as f64);
                let mut work = vec![<$t>::new(0.0, 0.0); lw as usize];
                let mut rwork = vec![0.0 as $r; lwork_of(rq[0] as f64) as usize];
                let mut iwork = vec![0i32; iq[0].max(1) as usize];
                lapack::$gelsd(
                    m,
                    n,
                    nrhs,
                    a,
                    m.max(1),
                    b,
                    ldb,
                    &mut s,
                    rcond,
                    rank,
                    &mut work,
                    lw,
                    &mut rwork,
                    &mut iwork,
                    &mut info,
                );
                info
            }
            unsafe fn nrm2(n: i32, x: &[Self]) -> f64 {
                cblas_sys::$nrm2(n, x.as_ptr().cast(), 1) as f64
            }
        }
    };
}

complex_lapack!(
    Complex32,
    f32,
    cgesv,
    cgetrf,
    cgetri,
    cpotrf,
    cgeqrf,
    cungqr,
    cgesdd,
    cgeev,
    cheevd,
    cgelsd,
    cblas_scnrm2
);
complex_lapack!(
    Complex64,
    f64,
    zgesv,
    zgetrf,
    zgetri,
    zpotrf,
    zgeqrf,
    zungqr,
    zgesdd,
    zgeev,
    zheevd,
    zgelsd,
    cblas_dznrm2
);

fn err(e: LinalgError) -> EvalError {
    EvalError::Linalg(e.to_string())
}

fn lapack_int(n: usize) -> Result<i32, EvalError> {
    i32::try_from(n).map_err(|_| {
        EvalError::Shape(format!(
            "a dimension of {n} is too large for LAPACK (32-bit indices)"
        ))
    })
}

/// Column-major copy of a matrix, checked for NaN and infinity.
fn fortran<T: LapackScalar>(a: ArrayView2<'_, T>) -> Result<Vec<T>, EvalError> {
    let v: Vec<T> = a.t().iter().copied().collect();
    if v.iter().any(|x| !x.finite()) {
        return Err(err(LinalgError::NonFinite));
    }
    Ok(v)
}

fn from_fortran<T: Clone>(r: usize, c: usize, v: Vec<T>) -> Result<Array2<T>, EvalError> {
    Array2::from_shape_vec((r, c).f(), v).map_err(|e| EvalError::Shape(e.to_string()))
}

fn square<T>(f: LinalgFn, a: &ArrayView2<'_, T>) -> Result<usize, EvalError> {
    let (r, c) = a.dim();
    if r != c {
        return Err(EvalError::Linalg(format!(
            "`{}` needs a square matrix, found shape {:?}",
            f.name(),
            [r, c]
        )));
    }
    Ok(r)
}

/// The interpreter's singularity test on LU factors: a pivot at most
/// `n·ε·max|a_ij|` (ε of the element type).
fn singular<T: LapackScalar>(n: usize, lu: &[T], max_abs: f64) -> bool {
    let eps = <T::Real as num_traits::Float>::epsilon().into();
    let tol = n as f64 * eps * max_abs;
    (0..n).any(|k| lu[k * n + k].modulus() <= tol)
}

fn max_abs<T: LapackScalar>(v: &[T]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.modulus()))
}

/// Right-hand side as `n × k` column-major (a vector is one column).
fn rhs<T: LapackScalar>(
    b: &ArrayD<T>,
    rows: usize,
    ld: usize,
) -> Result<(Vec<T>, usize), EvalError> {
    let k = match b.ndim() {
        1 => 1,
        2 => b.shape()[1],
        _ => {
            return Err(EvalError::Shape(format!(
                "the right-hand side must be a vector or a matrix, found shape {:?}",
                b.shape()
            )))
        }
    };
    if b.shape()[0] != rows {
        return Err(EvalError::Shape(format!(
            "a matrix with {rows} rows cannot be solved against a right-hand side of shape {:?}",
            b.shape()
        )));
    }
    let mut v = vec![T::zero(); ld * k];
    for (idx, x) in b.indexed_iter() {
        let (i, j) = (idx[0], if b.ndim() == 2 { idx[1] } else { 0 });
        if !x.finite() {
            return Err(err(LinalgError::NonFinite));
        }
        v[j * ld + i] = *x;
    }
    Ok((v, k))
}

fn solution<T: LapackScalar>(v: &[T], ld: usize, rows: usize, k: usize, vector: bool) -> ArrayD<T> {
    if vector {
        Array1::from_iter((0..rows).map(|i| v[i])).into_dyn()
    } else {
        Array2::from_shape_fn((rows, k), |(i, j)| v[j * ld + i]).into_dyn()
    }
}

fn no_convergence(routine: &'static str) -> EvalError {
    err(LinalgError::NoConvergence { routine })
}

/// `solve(A, b)` through gesv.
pub fn solve_t<T: LapackScalar>(
    a: ArrayView2<'_, T>,
    b: &ArrayD<T>,
) -> Result<ArrayD<T>, EvalError> {
    let n = square(LinalgFn::Solve, &a)?;
    let mut lu = fortran(a)?;
    let big = max_abs(&lu);
    let (mut x, k) = rhs(b, n, n.max(1))?;
    let mut ipiv = vec![0i32; n.max(1)];
    // SAFETY: buffers sized n × n and n × k, column-major.
    let info = unsafe { T::gesv(lapack_int(n)?, lapack_int(k)?, &mut lu, &mut ipiv, &mut x) };
    if info > 0 || singular(n, &lu, big) {
        return Err(err(LinalgError::Singular));
    }
    Ok(solution(&x, n.max(1), n, k, b.ndim() == 1))
}

/// `inv(A)` through getrf + getri.
pub fn inv_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> Result<Array2<T>, EvalError> {
    let n = square(LinalgFn::Inv, &a)?;
    let mut lu = fortran(a)?;
    let big = max_abs(&lu);
    let mut ipiv = vec![0i32; n.max(1)];
    let ni = lapack_int(n)?;
    // SAFETY: n × n column-major buffer and n pivots.
    let info = unsafe { T::getrf(ni, &mut lu, &mut ipiv) };
    if info > 0 || singular(n, &lu, big) {
        return Err(err(LinalgError::Singular));
    }
    // SAFETY: as above.
    if unsafe { T::getri(ni, &mut lu, &ipiv) } != 0 {
        return Err(err(LinalgError::Singular));
    }
    if lu.iter().any(|x| !x.finite()) {
        return Err(err(LinalgError::NonFinite));
    }
    from_fortran(n, n, lu)
}

/// `det(A)` from the LU factors (0 for an exactly singular matrix).
pub fn det_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> Result<T, EvalError> {
    let n = square(LinalgFn::Det, &a)?;
    let mut lu = fortran(a)?;
    let mut ipiv = vec![0i32; n.max(1)];
    // SAFETY: n × n column-major buffer and n pivots.
    let info = unsafe { T::getrf(lapack_int(n)?, &mut lu, &mut ipiv) };
    if info > 0 {
        return Ok(T::zero());
    }
    let mut d = T::one();
    for k in 0..n {
        d = d * lu[k * n + k];
        if ipiv[k] != (k + 1) as i32 {
            d = -d;
        }
    }
    Ok(d)
}

/// `cholesky(A)`: the lower factor through potrf.
pub fn cholesky_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> Result<Array2<T>, EvalError> {
    let n = square(LinalgFn::Cholesky, &a)?;
    let mut l = fortran(a)?;
    // SAFETY: n × n column-major buffer.
    let info = unsafe { T::potrf(lapack_int(n)?, &mut l) };
    if info > 0 {
        return Err(err(LinalgError::NotPositiveDefinite {
            column: info as usize - 1,
        }));
    }
    for j in 0..n {
        for i in 0..j {
            l[j * n + i] = T::zero();
        }
    }
    from_fortran(n, n, l)
}

/// Reduced `qr(A)`: geqrf, then orgqr/ungqr for `Q`.
pub fn qr_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> Result<(Array2<T>, Array2<T>), EvalError> {
    let (m, n) = a.dim();
    let k = m.min(n);
    let mut f = fortran(a)?;
    let mut tau = vec![T::zero(); k.max(1)];
    let (mi, ni, ki) = (lapack_int(m)?, lapack_int(n)?, lapack_int(k)?);
    let ld = m.max(1);
    // SAFETY: m × n column-major buffer, k reflectors.
    if m > 0 && n > 0 && unsafe { T::qr(mi, ni, &mut f, &mut tau) } != 0 {
        return Err(no_convergence("geqrf"));
    }
    let r = Array2::from_shape_fn(
        (k, n),
        |(i, j)| if i <= j { f[j * ld + i] } else { T::zero() },
    );
    let mut q: Vec<T> = f[..ld * k].to_vec();
    // SAFETY: the first k columns of the factored matrix, m × k.
    if m > 0 && k > 0 && unsafe { T::orgqr(mi, ki, &mut q, &tau) } != 0 {
        return Err(no_convergence("orgqr"));
    }
    q.resize(m * k, T::zero());
    Ok((from_fortran(m, k, q)?, r))
}

/// Reduced `svd(A)` through gesdd: `(U, S, Vh)`.
#[allow(clippy::type_complexity)]
pub fn svd_t<T: LapackScalar>(
    a: ArrayView2<'_, T>,
) -> Result<(Array2<T>, Array1<T::Real>, Array2<T>), EvalError> {
    let (m, n) = a.dim();
    let k = m.min(n);
    let mut f = fortran(a)?;
    let mut s = vec![T::Real::default(); k.max(1)];
    let mut u = vec![T::zero(); m.max(1) * k.max(1)];
    let mut vt = vec![T::zero(); k.max(1) * n.max(1)];
    if k > 0 {
        // SAFETY: buffers sized as gesdd's jobz='S' needs.
        let info = unsafe {
            T::gesdd(
                lapack_int(m)?,
                lapack_int(n)?,
                &mut f,
                &mut s,
                &mut u,
                &mut vt,
            )
        };
        if info != 0 {
            return Err(no_convergence("gesdd"));
        }
    }
    let kk = k.max(1);
    let u = Array2::from_shape_fn((m, k), |(i, j)| u[j * m.max(1) + i]);
    let vt = Array2::from_shape_fn((k, n), |(i, j)| vt[j * kk + i]);
    s.truncate(k);
    Ok((u, Array1::from(s), vt))
}

/// `eig(A)` through geev: complex eigenvalues and unit eigenvectors.
pub fn eig_t<T: LapackScalar>(
    a: ArrayView2<'_, T>,
) -> Result<(Array1<Complex64>, Array2<Complex64>), EvalError> {
    let n = square(LinalgFn::Eig, &a)?;
    let mut f = fortran(a)?;
    let mut w = vec![Complex64::new(0.0, 0.0); n];
    let mut v = vec![Complex64::new(0.0, 0.0); n * n];
    // SAFETY: n × n input, n values, n × n vectors.
    if n > 0 && unsafe { T::geev(lapack_int(n)?, &mut f, &mut w, &mut v) } != 0 {
        return Err(no_convergence("geev"));
    }
    Ok((Array1::from(w), from_fortran(n, n, v)?))
}

/// `eigh(A)` through syevd/heevd: ascending real eigenvalues and
/// orthonormal eigenvectors, from the lower triangle.
pub fn eigh_t<T: LapackScalar>(
    a: ArrayView2<'_, T>,
) -> Result<(Array1<T::Real>, Array2<T>), EvalError> {
    let n = square(LinalgFn::Eigh, &a)?;
    let mut f = fortran(a)?;
    let mut w = vec![T::Real::default(); n];
    // SAFETY: n × n input and n values.
    if n > 0 && unsafe { T::syevd(lapack_int(n)?, &mut f, &mut w) } != 0 {
        return Err(no_convergence("syevd"));
    }
    Ok((Array1::from(w), from_fortran(n, n, f)?))
}

/// `lstsq(A, b)` through gelsd: the minimum-norm least-squares solution.
pub fn lstsq_t<T: LapackScalar>(
    a: ArrayView2<'_, T>,
    b: &ArrayD<T>,
) -> Result<ArrayD<T>, EvalError> {
    let (m, n) = a.dim();
    let mut f = fortran(a)?;
    let ld = m.max(n).max(1);
    let (mut x, k) = rhs(b, m, ld)?;
    let mut rank = 0;
    if m > 0 && n > 0 && k > 0 {
        // SAFETY: m × n input, ld × k right-hand sides.
        let info = unsafe {
            T::gelsd(
                lapack_int(m)?,
                lapack_int(n)?,
                lapack_int(k)?,
                &mut f,
                &mut x,
                &mut rank,
            )
        };
        if info != 0 {
            return Err(no_convergence("gelsd"));
        }
    } else {
        x.iter_mut().for_each(|v| *v = T::zero());
    }
    Ok(solution(&x, ld, n, k, b.ndim() == 1))
}

/// `norm(x)`: 2-norm of a vector, Frobenius norm of a matrix, by nrm2.
pub fn norm_t<T: LapackScalar>(x: &ArrayD<T>) -> Result<f64, EvalError> {
    let c = x.as_standard_layout();
    let s = c.as_slice().unwrap_or(&[]);
    if s.is_empty() {
        return Ok(0.0);
    }
    // SAFETY: `s` holds the contiguous elements.
    Ok(unsafe { T::nrm2(lapack_int(s.len())?, s) })
}

/// `trace(A)`.
pub fn trace_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> Result<T, EvalError> {
    square(LinalgFn::Trace, &a)?;
    Ok(a.diag().iter().fold(T::zero(), |s, x| s + *x))
}

fn cast(a: Array, to: Scalar) -> Array {
    if a.scalar() == to {
        a
    } else {
        kernels::cast(&a, to)
    }
}

/// Runs linear-algebra function `f` on LAPACK. `out` is the element type of
/// the result (of its first element for tuples), as the type checker gave.
pub fn linalg(f: LinalgFn, args: &[&Array], out: Scalar) -> Result<Value, EvalError> {
    crate::blas::on_inexact!(args[0], T => linalg_t::<T>(f, args, out))
}

/// `eig` of a real symmetric matrix on the symmetric solver, typed as
/// `eig` (complex).
pub fn sym_eig(a: &Array, out: Scalar) -> Result<Value, EvalError> {
    crate::blas::on_inexact!(a, T => {
        let (w, v) = eigh_t(view2(crate::blas::get::<T>(a, "eig")?)?)?;
        Ok(Value::Tuple(vec![
            cast(<<T as LapackScalar>::Real as Element>::wrap(w.into_dyn()), out).into(),
            cast(T::wrap(v.into_dyn()), out).into(),
        ]))
    })
}

fn linalg_t<T: LapackScalar>(
    f: LinalgFn,
    args: &[&Array],
    out: Scalar,
) -> Result<Value, EvalError> {
    let name = f.name();
    let x = crate::blas::get::<T>(args[0], name)?;
    let m = || view2(x);
    let real = <T::Real as Element>::SCALAR;
    let wrap = |a: ArrayD<T>| Value::from(T::wrap(a));
    Ok(match f {
        LinalgFn::Inv => wrap(inv_t(m()?)?.into_dyn()),
        LinalgFn::Det => wrap(ndarray::arr0(det_t(m()?)?).into_dyn()),
        LinalgFn::Cholesky => wrap(cholesky_t(m()?)?.into_dyn()),
        LinalgFn::Trace => wrap(ndarray::arr0(trace_t(m()?)?).into_dyn()),
        LinalgFn::Norm => cast(Array::Float64(ndarray::arr0(norm_t(x)?).into_dyn()), real).into(),
        LinalgFn::Solve | LinalgFn::Lstsq => {
            let b = crate::blas::get::<T>(args[1], name)?;
            if f == LinalgFn::Solve {
                wrap(solve_t(m()?, b)?)
            } else {
                wrap(lstsq_t(m()?, b)?)
            }
        }
        LinalgFn::Qr => {
            let (q, r) = qr_t(m()?)?;
            Value::Tuple(vec![wrap(q.into_dyn()), wrap(r.into_dyn())])
        }
        LinalgFn::Svd => {
            let (u, s, vt) = svd_t(m()?)?;
            Value::Tuple(vec![
                wrap(u.into_dyn()),
                Value::from(<<T as LapackScalar>::Real as Element>::wrap(s.into_dyn())),
                wrap(vt.into_dyn()),
            ])
        }
        LinalgFn::Eig => {
            let (w, v) = eig_t(m()?)?;
            Value::Tuple(vec![
                cast(Array::Complex128(w.into_dyn()), out).into(),
                cast(Array::Complex128(v.into_dyn()), out).into(),
            ])
        }
        LinalgFn::Eigh => {
            let (w, v) = eigh_t(m()?)?;
            Value::Tuple(vec![
                Value::from(<<T as LapackScalar>::Real as Element>::wrap(w.into_dyn())),
                wrap(v.into_dyn()),
            ])
        }
    })
}

//! Linear algebra on LAPACK (OpenBLAS's): `solve` (gesv), `inv` (getrf +
//! getri), `det` (getrf), `cholesky` (potrf), `qr` (geqrf + orgqr/ungqr),
//! `svd` (gesdd), `eig` (geev), `eigh` and `eig` of symmetric matrices
//! (syevd/heevd), `lstsq` (gelsd), `norm` (nrm2), `trace`, for float32,
//! float64, complex64 and complex128.
//!
//! Inputs are checked before LAPACK sees them, by the interpreter's own
//! checks ([`blaze_interp::linalg::checks`]): non-square matrices,
//! mismatched right-hand sides and NaN or infinite entries are errors, as
//! are singular matrices (an LU pivot `|u_kk| ≤ n·ε·max|a_ij|`), matrices
//! that are not positive definite (`cholesky`), and iterations that do not
//! converge. No routine returns silent NaNs. The typed functions return a
//! [`RoutineError`]; the dispatch on interpreter arrays returns the
//! runtime's [`Error`], which keeps it as [`Error::Linalg`].

use crate::Error;
use blaze_datashape::Scalar;
use blaze_interp::element::Inexact;
use blaze_interp::linalg::checks::{check_finite, check_pivots, max_abs, square};
use blaze_interp::linalg::LinalgError;
use blaze_interp::{kernels, Array, Element, Value};
use blaze_ir::ops::LinalgFn;
use ndarray::{Array1, Array2, ArrayD, ArrayView2};
use num_complex::Complex64;

use super::blas::{get, on_inexact, view2};
pub use super::error::RoutineError;
pub use super::lapack_ffi::LapackScalar;

/// The result of a typed LAPACK function.
pub type RoutineResult<T> = Result<T, RoutineError>;

/// Blaze function `op` running LAPACK routine `routine` on element type
/// `T`: makes its errors.
struct Call<T> {
    op: &'static str,
    routine: &'static str,
    _t: std::marker::PhantomData<T>,
}

impl<T: Element> Call<T> {
    fn new(op: &'static str, routine: &'static str) -> Self {
        Call {
            op,
            routine,
            _t: std::marker::PhantomData,
        }
    }

    /// The error `kind`, with LAPACK's `info` if the routine reported it.
    fn fail(&self, info: Option<i32>, kind: LinalgError) -> RoutineError {
        RoutineError {
            op: self.op,
            routine: self.routine,
            scalar: T::SCALAR,
            info,
            kind,
        }
    }

    /// A failure found before the call.
    fn check<R>(&self, r: Result<R, LinalgError>) -> RoutineResult<R> {
        r.map_err(|kind| self.fail(None, kind))
    }

    /// A non-zero `info` of the routine, as no convergence.
    fn converged(&self, info: i32) -> RoutineResult<()> {
        if info == 0 {
            Ok(())
        } else {
            Err(self.fail(
                Some(info),
                LinalgError::NoConvergence {
                    routine: self.routine,
                },
            ))
        }
    }
}

fn lapack_int(n: usize) -> Result<i32, LinalgError> {
    i32::try_from(n).map_err(|_| LinalgError::IndexOverflow { len: n })
}

/// Column-major copy of a matrix, checked for NaN and infinity.
fn fortran<T: LapackScalar>(a: ArrayView2<'_, T>) -> Result<Vec<T>, LinalgError> {
    let v: Vec<T> = a.t().iter().copied().collect();
    check_finite(&v)?;
    Ok(v)
}

fn from_fortran<T: Copy>(r: usize, c: usize, v: &[T]) -> Array2<T> {
    Array2::from_shape_fn((r, c), |(i, j)| v[j * r + i])
}

/// The diagonal of an `n × n` column-major matrix.
fn diagonal<T: Copy>(n: usize, v: &[T]) -> impl Iterator<Item = T> + Clone + '_ {
    (0..n).map(move |k| v[k * n + k])
}

/// Right-hand side as `n × k` column-major (a vector is one column).
fn rhs<T: LapackScalar>(
    op: &'static str,
    left: [usize; 2],
    b: &ArrayD<T>,
    ld: usize,
) -> Result<(Vec<T>, usize), LinalgError> {
    let mismatch = || LinalgError::DimensionMismatch {
        op,
        left: left.to_vec(),
        right: b.shape().to_vec(),
    };
    let k = match b.ndim() {
        1 => 1,
        2 => b.shape()[1],
        _ => return Err(mismatch()),
    };
    if b.shape()[0] != left[0] {
        return Err(mismatch());
    }
    let mut v = vec![T::zero(); ld * k];
    for (idx, x) in b.indexed_iter() {
        let (i, j) = (idx[0], if b.ndim() == 2 { idx[1] } else { 0 });
        if !x.is_finite() {
            return Err(LinalgError::NonFinite);
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

/// `solve(A, b)` through gesv.
pub fn solve_t<T: LapackScalar>(a: ArrayView2<'_, T>, b: &ArrayD<T>) -> RoutineResult<ArrayD<T>> {
    let call = Call::<T>::new("solve", "gesv");
    let n = call.check(square(&a))?;
    let mut lu = call.check(fortran(a))?;
    let big = max_abs(&lu);
    let (mut x, k) = call.check(rhs("solve", [n, n], b, n.max(1)))?;
    let (ni, ki) = (call.check(lapack_int(n))?, call.check(lapack_int(k))?);
    let mut ipiv = vec![0i32; n.max(1)];
    // SAFETY: buffers sized n × n and n × k, column-major.
    let info = unsafe { T::gesv(ni, ki, &mut lu, &mut ipiv, &mut x) };
    if info > 0 {
        return Err(call.fail(Some(info), LinalgError::Singular));
    }
    call.check(check_pivots(diagonal(n, &lu), big))?;
    Ok(solution(&x, n.max(1), n, k, b.ndim() == 1))
}

/// `inv(A)` through getrf + getri.
pub fn inv_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> RoutineResult<Array2<T>> {
    let call = Call::<T>::new("inv", "getrf");
    let n = call.check(square(&a))?;
    let mut lu = call.check(fortran(a))?;
    let big = max_abs(&lu);
    let mut ipiv = vec![0i32; n.max(1)];
    let ni = call.check(lapack_int(n))?;
    // SAFETY: n × n column-major buffer and n pivots.
    let info = unsafe { T::getrf(ni, &mut lu, &mut ipiv) };
    if info > 0 {
        return Err(call.fail(Some(info), LinalgError::Singular));
    }
    call.check(check_pivots(diagonal(n, &lu), big))?;
    let call = Call::<T>::new("inv", "getri");
    // SAFETY: as above.
    let info = unsafe { T::getri(ni, &mut lu, &ipiv) };
    if info != 0 {
        return Err(call.fail(Some(info), LinalgError::Singular));
    }
    call.check(check_finite(&lu))?;
    Ok(from_fortran(n, n, &lu))
}

/// `det(A)` from the LU factors (0 for an exactly singular matrix).
pub fn det_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> RoutineResult<T> {
    let call = Call::<T>::new("det", "getrf");
    let n = call.check(square(&a))?;
    let mut lu = call.check(fortran(a))?;
    let mut ipiv = vec![0i32; n.max(1)];
    let ni = call.check(lapack_int(n))?;
    // SAFETY: n × n column-major buffer and n pivots.
    let info = unsafe { T::getrf(ni, &mut lu, &mut ipiv) };
    if info > 0 {
        return Ok(T::zero());
    }
    let mut d = T::one();
    for (k, u) in diagonal(n, &lu).enumerate() {
        d = d * u;
        if ipiv[k] != (k + 1) as i32 {
            d = -d;
        }
    }
    Ok(d)
}

/// `cholesky(A)`: the lower factor through potrf.
pub fn cholesky_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> RoutineResult<Array2<T>> {
    let call = Call::<T>::new("cholesky", "potrf");
    let n = call.check(square(&a))?;
    let mut l = call.check(fortran(a))?;
    let ni = call.check(lapack_int(n))?;
    // SAFETY: n × n column-major buffer.
    let info = unsafe { T::potrf(ni, &mut l) };
    if info > 0 {
        let column = info as usize - 1;
        return Err(call.fail(Some(info), LinalgError::NotPositiveDefinite { column }));
    }
    for j in 0..n {
        for i in 0..j {
            l[j * n + i] = T::zero();
        }
    }
    Ok(from_fortran(n, n, &l))
}

/// Reduced `qr(A)`: geqrf, then orgqr/ungqr for `Q`.
pub fn qr_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> RoutineResult<(Array2<T>, Array2<T>)> {
    let call = Call::<T>::new("qr", "geqrf");
    let (m, n) = a.dim();
    let k = m.min(n);
    let mut f = call.check(fortran(a))?;
    let mut tau = vec![T::zero(); k.max(1)];
    let (mi, ni) = (call.check(lapack_int(m))?, call.check(lapack_int(n))?);
    let ki = call.check(lapack_int(k))?;
    let ld = m.max(1);
    if m > 0 && n > 0 {
        // SAFETY: m × n column-major buffer, k reflectors.
        call.converged(unsafe { T::qr(mi, ni, &mut f, &mut tau) })?;
    }
    let r = Array2::from_shape_fn(
        (k, n),
        |(i, j)| if i <= j { f[j * ld + i] } else { T::zero() },
    );
    let mut q: Vec<T> = f[..ld * k].to_vec();
    if m > 0 && k > 0 {
        let call = Call::<T>::new("qr", "orgqr");
        // SAFETY: the first k columns of the factored matrix, m × k.
        call.converged(unsafe { T::orgqr(mi, ki, &mut q, &tau) })?;
    }
    q.resize(m * k, T::zero());
    Ok((from_fortran(m, k, &q), r))
}

/// Reduced `svd(A)` through gesdd: `(U, S, Vh)`.
#[allow(clippy::type_complexity)]
pub fn svd_t<T: LapackScalar>(
    a: ArrayView2<'_, T>,
) -> RoutineResult<(Array2<T>, Array1<T::Real>, Array2<T>)> {
    let call = Call::<T>::new("svd", "gesdd");
    let (m, n) = a.dim();
    let k = m.min(n);
    let mut f = call.check(fortran(a))?;
    let mut s = vec![T::Real::default(); k.max(1)];
    let mut u = vec![T::zero(); m.max(1) * k.max(1)];
    let mut vt = vec![T::zero(); k.max(1) * n.max(1)];
    if k > 0 {
        let (mi, ni) = (call.check(lapack_int(m))?, call.check(lapack_int(n))?);
        // SAFETY: buffers sized as gesdd's jobz='S' needs.
        call.converged(unsafe { T::gesdd(mi, ni, &mut f, &mut s, &mut u, &mut vt) })?;
    }
    let kk = k.max(1);
    let u = Array2::from_shape_fn((m, k), |(i, j)| u[j * m.max(1) + i]);
    let vt = Array2::from_shape_fn((k, n), |(i, j)| vt[j * kk + i]);
    s.truncate(k);
    Ok((u, Array1::from(s), vt))
}

/// `eig(A)` through geev: complex eigenvalues and unit eigenvectors.
#[allow(clippy::type_complexity)]
pub fn eig_t<T: LapackScalar>(
    a: ArrayView2<'_, T>,
) -> RoutineResult<(Array1<Complex64>, Array2<Complex64>)> {
    let call = Call::<T>::new("eig", "geev");
    let n = call.check(square(&a))?;
    let mut f = call.check(fortran(a))?;
    let mut w = vec![Complex64::new(0.0, 0.0); n];
    let mut v = vec![Complex64::new(0.0, 0.0); n * n];
    if n > 0 {
        let ni = call.check(lapack_int(n))?;
        // SAFETY: n × n input, n values, n × n vectors.
        call.converged(unsafe { T::geev(ni, &mut f, &mut w, &mut v) })?;
    }
    Ok((Array1::from(w), from_fortran(n, n, &v)))
}

/// `eigh(A)` through syevd/heevd: ascending real eigenvalues and
/// orthonormal eigenvectors, from the lower triangle.
#[allow(clippy::type_complexity)]
pub fn eigh_t<T: LapackScalar>(
    a: ArrayView2<'_, T>,
) -> RoutineResult<(Array1<T::Real>, Array2<T>)> {
    let call = Call::<T>::new("eigh", "syevd");
    let n = call.check(square(&a))?;
    let mut f = call.check(fortran(a))?;
    let mut w = vec![T::Real::default(); n];
    if n > 0 {
        let ni = call.check(lapack_int(n))?;
        // SAFETY: n × n input and n values.
        call.converged(unsafe { T::syevd(ni, &mut f, &mut w) })?;
    }
    Ok((Array1::from(w), from_fortran(n, n, &f)))
}

/// `lstsq(A, b)` through gelsd: the minimum-norm least-squares solution.
pub fn lstsq_t<T: LapackScalar>(a: ArrayView2<'_, T>, b: &ArrayD<T>) -> RoutineResult<ArrayD<T>> {
    let call = Call::<T>::new("lstsq", "gelsd");
    let (m, n) = a.dim();
    let mut f = call.check(fortran(a))?;
    let ld = m.max(n).max(1);
    let (mut x, k) = call.check(rhs("lstsq", [m, n], b, ld))?;
    let mut rank = 0;
    if m > 0 && n > 0 && k > 0 {
        let (mi, ni) = (call.check(lapack_int(m))?, call.check(lapack_int(n))?);
        let ki = call.check(lapack_int(k))?;
        // SAFETY: m × n input, ld × k right-hand sides.
        call.converged(unsafe { T::gelsd(mi, ni, ki, &mut f, &mut x, &mut rank) })?;
    } else {
        x.iter_mut().for_each(|v| *v = T::zero());
    }
    Ok(solution(&x, ld, n, k, b.ndim() == 1))
}

/// `norm(x)`: 2-norm of a vector, Frobenius norm of a matrix, by nrm2.
pub fn norm_t<T: LapackScalar>(x: &ArrayD<T>) -> RoutineResult<f64> {
    let call = Call::<T>::new("norm", "nrm2");
    let c = x.as_standard_layout();
    let s = c.as_slice().unwrap_or(&[]);
    if s.is_empty() {
        return Ok(0.0);
    }
    let len = call.check(lapack_int(s.len()))?;
    // SAFETY: `s` holds the contiguous elements.
    Ok(unsafe { T::nrm2(len, s) })
}

/// `trace(A)`.
pub fn trace_t<T: LapackScalar>(a: ArrayView2<'_, T>) -> RoutineResult<T> {
    Call::<T>::new("trace", "trace").check(square(&a))?;
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
pub fn linalg(f: LinalgFn, args: &[&Array], out: Scalar) -> Result<Value, Error> {
    on_inexact!(args[0].scalar(), T => linalg_t::<T>(f, args, out))
}

/// `eig` of a real symmetric matrix on the symmetric solver, typed as
/// `eig` (complex).
pub fn sym_eig(a: &Array, out: Scalar) -> Result<Value, Error> {
    on_inexact!(a.scalar(), T => {
        let (w, v) = eigh_t(view2(get::<T>(a, "eig")?.view())?)?;
        Ok(Value::Tuple(vec![
            cast(<<T as Inexact>::Real as Element>::wrap(w.into_dyn()), out).into(),
            cast(T::wrap(v.into_dyn()), out).into(),
        ]))
    })
}

fn linalg_t<T: LapackScalar>(f: LinalgFn, args: &[&Array], out: Scalar) -> Result<Value, Error> {
    let name = f.name();
    let x = get::<T>(args[0], name)?;
    let m = || view2(x.view());
    let real = <T::Real as blaze_array::Element>::SCALAR;
    let wrap = |a: ArrayD<T>| Value::from(T::wrap(a));
    let wrap_real = |a: ArrayD<T::Real>| Value::from(<T::Real as Element>::wrap(a));
    Ok(match f {
        LinalgFn::Inv => wrap(inv_t(m()?)?.into_dyn()),
        LinalgFn::Det => wrap(ndarray::arr0(det_t(m()?)?).into_dyn()),
        LinalgFn::Cholesky => wrap(cholesky_t(m()?)?.into_dyn()),
        LinalgFn::Trace => wrap(ndarray::arr0(trace_t(m()?)?).into_dyn()),
        LinalgFn::Norm => cast(Array::Float64(ndarray::arr0(norm_t(x)?).into_dyn()), real).into(),
        LinalgFn::Solve | LinalgFn::Lstsq => {
            let b = get::<T>(args[1], name)?;
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
                wrap_real(s.into_dyn()),
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
            Value::Tuple(vec![wrap_real(w.into_dyn()), wrap(v.into_dyn())])
        }
    })
}

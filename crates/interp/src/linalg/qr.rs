//! Householder reflections (LAPACK's `larfg` convention), the Hessenberg
//! reduction that `eig` starts from, and the reduced QR decomposition.

use ndarray::{Array2, ArrayView2};

use super::checks::check_finite;
use super::util::*;
use super::LinalgResult;
use crate::element::Field;

/// LAPACK `?larfg`: given `x = [alpha, x1...]`, computes `H = I - tau v v^H`
/// with `v[0] = 1` such that `H^H x = [beta, 0...]`, `beta` real with
/// `beta = -sign(re(alpha)) * ||x||`. On return `x[0] = beta` and `x[1..]`
/// holds `v[1..]`. Returns `tau` (0 when no reflection is needed).
pub(super) fn larfg<T: Field>(x: &mut [T]) -> T {
    let Some((&alpha0, rest)) = x.split_first() else {
        return T::zero();
    };
    let mut alpha = alpha0;
    let mut xnorm = nrm2(rest.iter());
    if xnorm == 0.0 && alpha.im() == 0.0 {
        return T::zero();
    }
    let mut beta = -nrm2([alpha.re(), alpha.im(), xnorm].iter()).copysign(alpha.re());
    // As LAPACK: if beta is tiny, rescale so that 1/(alpha - beta) cannot
    // overflow (at most 20 times; beta may be subnormal).
    let safmin = f64::MIN_POSITIVE / EPS;
    let mut knt = 0;
    if beta.abs() < safmin {
        loop {
            knt += 1;
            for v in x.iter_mut().skip(1) {
                *v = v.scale(1.0 / safmin);
            }
            beta /= safmin;
            alpha = alpha.scale(1.0 / safmin);
            if beta.abs() >= safmin || knt >= 20 {
                break;
            }
        }
        xnorm = nrm2(x[1..].iter());
        beta = -nrm2([alpha.re(), alpha.im(), xnorm].iter()).copysign(alpha.re());
    }
    let tau = T::from_parts((beta - alpha.re()) / beta, -alpha.im() / beta);
    let scal = T::one().sdiv(alpha - T::from_f64(beta));
    for v in x.iter_mut().skip(1) {
        *v *= scal;
    }
    for _ in 0..knt {
        beta *= safmin;
    }
    x[0] = T::from_f64(beta);
    tau
}

/// Householder reduction to upper Hessenberg form `A = Q H Q^H` (LAPACK
/// `gehrd` + `orghr`, unblocked). Returns `(H, Q)`; `H` is exactly zero below
/// the subdiagonal.
pub(super) fn hessenberg<T: Field>(mut h: Array2<T>) -> (Array2<T>, Array2<T>) {
    let n = h.nrows();
    let mut q = Array2::<T>::eye(n);
    for k in 0..n.saturating_sub(2) {
        let mut col: Vec<T> = (k + 1..n).map(|i| h[[i, k]]).collect();
        let tau = larfg(&mut col);
        h[[k + 1, k]] = col[0];
        for i in k + 2..n {
            h[[i, k]] = T::zero();
        }
        col[0] = T::one();
        apply_reflector_left(&mut h, &col, tau, true, k + 1, k + 1..n);
        apply_reflector_right(&mut h, &col, tau, k + 1, 0..n);
        apply_reflector_right(&mut q, &col, tau, k + 1, 0..n);
    }
    (h, q)
}

/// Applies `H = I - tau v v^H` (or `H^H` if `adjoint`) from the left to the
/// rows `r0..r0+len(v)` and columns `cols` of `m`.
pub(super) fn apply_reflector_left<T: Field>(
    m: &mut Array2<T>,
    v: &[T],
    tau: T,
    adjoint: bool,
    r0: usize,
    cols: std::ops::Range<usize>,
) {
    if tau == T::zero() {
        return;
    }
    let t = if adjoint { tau.conj() } else { tau };
    for c in cols {
        let mut w = T::zero();
        for (i, &vi) in v.iter().enumerate() {
            w += vi.conj() * m[[r0 + i, c]];
        }
        let tw = t * w;
        for (i, &vi) in v.iter().enumerate() {
            m[[r0 + i, c]] -= vi * tw;
        }
    }
}

/// Applies `H = I - tau v v^H` from the right to the columns
/// `c0..c0+len(v)` and rows `rows` of `m`.
pub(super) fn apply_reflector_right<T: Field>(
    m: &mut Array2<T>,
    v: &[T],
    tau: T,
    c0: usize,
    rows: std::ops::Range<usize>,
) {
    if tau == T::zero() {
        return;
    }
    for r in rows {
        let mut w = T::zero();
        for (j, &vj) in v.iter().enumerate() {
            w += m[[r, c0 + j]] * vj;
        }
        let tw = tau * w;
        for (j, &vj) in v.iter().enumerate() {
            m[[r, c0 + j]] -= tw * vj.conj();
        }
    }
}

/// Reduced QR decomposition `A = Q R` (`numpy.linalg.qr`, `mode='reduced'`).
///
/// For `A` of shape `m×n` and `k = min(m, n)`, returns `Q` (`m×k`, orthonormal
/// columns) and `R` (`k×n`, upper triangular). Computed with Householder
/// reflections using LAPACK's `geqrf`/`orgqr` conventions (`beta =
/// -sign(re(alpha)) * norm`), so the signs match NumPy's results. The
/// diagonal of `R` is real.
///
/// Errors: [`super::LinalgError::NonFinite`].
pub fn qr<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<(Array2<T>, Array2<T>)> {
    check_finite(a.iter())?;
    let (m, n) = a.dim();
    let k = m.min(n);
    let mut r = a.to_owned();
    let mut reflectors: Vec<(Vec<T>, T)> = Vec::with_capacity(k);
    for j in 0..k {
        let mut col: Vec<T> = (j..m).map(|i| r[[i, j]]).collect();
        let tau = larfg(&mut col);
        r[[j, j]] = col[0];
        for i in j + 1..m {
            r[[i, j]] = T::zero();
        }
        col[0] = T::one();
        apply_reflector_left(&mut r, &col, tau, true, j, j + 1..n);
        reflectors.push((col, tau));
    }
    let mut q = Array2::<T>::zeros((m, k));
    for i in 0..k {
        q[[i, i]] = T::one();
    }
    for (j, (v, tau)) in reflectors.iter().enumerate().rev() {
        apply_reflector_left(&mut q, v, *tau, false, j, j..k);
    }
    let r = r.slice(ndarray::s![..k, ..]).to_owned();
    Ok((q, r))
}

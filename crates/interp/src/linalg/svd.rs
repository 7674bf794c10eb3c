//! The singular value decomposition by one-sided Jacobi, and least squares
//! through it.

use ndarray::{Array, Array1, Array2, ArrayView, ArrayView2, Dimension};

use super::checks::{check_finite, max_abs};
use super::util::*;
use super::{LinalgError, LinalgResult};
use crate::element::Field;

pub(super) const JACOBI_MAX_SWEEPS: usize = 100;

/// Rotation `[a_p, a_q] <- [a_p, a_q] [[c, s e^{i phi}], [-s e^{-i phi}, c]]`
/// where `ph = e^{i phi}`.
fn rotate_cols<T: Field>(xp: &mut [T], xq: &mut [T], c: f64, s: f64, ph: T) {
    let sp = ph.scale(s);
    let spc = sp.conj();
    for (p, q) in xp.iter_mut().zip(xq.iter_mut()) {
        let (a, b) = (*p, *q);
        *p = a.scale(c) - spc * b;
        *q = sp * a + b.scale(c);
    }
}

/// Jacobi rotation angle: `t = tan(theta)` for `zeta = cot(2 theta)`.
pub(super) fn jacobi_t(zeta: f64) -> f64 {
    if zeta.is_infinite() {
        return 0.0;
    }
    let t = 1.0 / (zeta.abs() + zeta.hypot(1.0));
    if zeta < 0.0 {
        -t
    } else {
        t
    }
}

/// Mutable references to two distinct elements of a slice.
fn two_mut<X>(v: &mut [X], p: usize, q: usize) -> (&mut X, &mut X) {
    debug_assert!(p < q);
    let (lo, hi) = v.split_at_mut(q);
    (&mut lo[p], &mut hi[0])
}

/// Completes `cols` (some orthonormal, the ones with `valid[j] == false`
/// to be filled) to an orthonormal set of vectors of length `m`.
fn complete_orthonormal<T: Field>(cols: &mut [Vec<T>], valid: &mut [bool], m: usize) {
    for j in 0..cols.len() {
        if valid[j] {
            continue;
        }
        let mut best: Option<(f64, Vec<T>)> = None;
        for e in 0..m {
            let mut v = vec![T::zero(); m];
            v[e] = T::one();
            for _ in 0..2 {
                for (u, &ok) in cols.iter().zip(valid.iter()) {
                    if ok {
                        let h = cdot(u, &v);
                        for (vi, &ui) in v.iter_mut().zip(u) {
                            *vi -= ui * h;
                        }
                    }
                }
            }
            let nv = sumsq(&v).sqrt();
            if best.as_ref().is_none_or(|(b, _)| nv > *b) {
                best = Some((nv, v));
            }
            if nv > 0.5 {
                break;
            }
        }
        if let Some((nv, v)) = best {
            if nv > 0.0 {
                cols[j] = v.into_iter().map(|x| rdiv(x, nv)).collect();
                valid[j] = true;
            }
        }
    }
}

/// One-sided Jacobi SVD of a tall (`m >= n`) matrix given as columns.
/// Returns `(U columns, s, V columns)`, unsorted.
#[allow(clippy::type_complexity)]
fn jacobi_svd_tall<T: Field>(
    mut cols: Vec<Vec<T>>,
    m: usize,
) -> LinalgResult<(Vec<Vec<T>>, Vec<f64>, Vec<Vec<T>>)> {
    let n = cols.len();
    let scale = cols.iter().map(|c| max_abs(c.iter())).fold(0.0, f64::max);
    let ex = scale_exponent(scale);
    for c in cols.iter_mut() {
        for x in c.iter_mut() {
            *x = mul_pow2_t(*x, -ex);
        }
    }
    let mut v: Vec<Vec<T>> = (0..n)
        .map(|j| {
            let mut e = vec![T::zero(); n];
            e[j] = T::one();
            e
        })
        .collect();
    let mut converged = n < 2;
    for _ in 0..JACOBI_MAX_SWEEPS {
        if converged {
            break;
        }
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let alpha = sumsq(&cols[p]);
                let beta = sumsq(&cols[q]);
                let gamma = cdot(&cols[p], &cols[q]);
                let g = gamma.abs();
                if g == 0.0 || g <= EPS * alpha.sqrt() * beta.sqrt() {
                    continue;
                }
                let t = jacobi_t((beta - alpha) / (2.0 * g));
                if t == 0.0 {
                    continue;
                }
                rotated = true;
                let c = 1.0 / t.hypot(1.0);
                let s = c * t;
                let ph = rdiv(gamma, g);
                let (xp, xq) = two_mut(&mut cols, p, q);
                rotate_cols(xp, xq, c, s, ph);
                let (vp, vq) = two_mut(&mut v, p, q);
                rotate_cols(vp, vq, c, s, ph);
            }
        }
        converged = !rotated;
    }
    if !converged {
        return Err(LinalgError::NoConvergence {
            routine: "svd (one-sided Jacobi)",
        });
    }
    let mut s = Vec::with_capacity(n);
    let mut valid = vec![true; n];
    for (j, c) in cols.iter_mut().enumerate() {
        let sj = nrm2(c.iter());
        if sj > f64::MIN_POSITIVE {
            for x in c.iter_mut() {
                *x = rdiv(*x, sj);
            }
        } else {
            valid[j] = false;
        }
        s.push(if sj > f64::MIN_POSITIVE {
            mul_pow2(sj, ex)
        } else {
            0.0
        });
    }
    complete_orthonormal(&mut cols, &mut valid, m);
    if valid.iter().any(|&ok| !ok) {
        return Err(LinalgError::NoConvergence {
            routine: "svd (orthonormal completion)",
        });
    }
    Ok((cols, s, v))
}

/// Reduced singular value decomposition `A = U diag(s) Vh`
/// (`numpy.linalg.svd` with `full_matrices=False`).
///
/// For `A` of shape `m×n` and `k = min(m, n)`: `U` is `m×k` with orthonormal
/// columns, `s` has `k` non-negative values in descending order, `Vh` is
/// `k×n` with orthonormal rows. Singular vectors of repeated or zero singular
/// values are not unique; columns of `U` belonging to zero singular values
/// are completed to an orthonormal set.
///
/// Algorithm: one-sided (Hestenes) Jacobi on the columns of `A` (or of `A^H`
/// when `m < n`), after scaling by the largest entry; singular values have
/// high relative accuracy. Errors: [`LinalgError::NonFinite`],
/// [`LinalgError::NoConvergence`] (after 100 sweeps; not expected in practice).
#[allow(clippy::type_complexity)]
pub fn svd<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<(Array2<T>, Array1<f64>, Array2<T>)> {
    check_finite(a.iter())?;
    let (m, n) = a.dim();
    let k = m.min(n);
    let tall = m >= n;
    // Work on the tall one of A (columns) and A^H (columns = conj rows of A).
    let (rows, cols): (usize, Vec<Vec<T>>) = if tall {
        (m, a.columns().into_iter().map(|c| c.to_vec()).collect())
    } else {
        (
            n,
            a.rows()
                .into_iter()
                .map(|r| r.iter().map(|x| x.conj()).collect())
                .collect(),
        )
    };
    let (uc, s, vc) = jacobi_svd_tall(cols, rows)?;
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&i, &j| s[j].total_cmp(&s[i]));
    let s_sorted: Array1<f64> = order.iter().map(|&i| s[i]).collect();
    let mut u = Array2::<T>::zeros((m, k));
    let mut vh = Array2::<T>::zeros((k, n));
    for (dst, &src) in order.iter().enumerate() {
        if tall {
            // A = Uc S Vc^H.
            for i in 0..m {
                u[[i, dst]] = uc[src][i];
            }
            for j in 0..n {
                vh[[dst, j]] = vc[src][j].conj();
            }
        } else {
            // A^H = Uc S Vc^H  =>  A = Vc S Uc^H.
            for i in 0..m {
                u[[i, dst]] = vc[src][i];
            }
            for j in 0..n {
                vh[[dst, j]] = uc[src][j].conj();
            }
        }
    }
    Ok((u, s_sorted, vh))
}

/// Minimum-norm least-squares solution of `A x = b`
/// (`numpy.linalg.lstsq(a, b, rcond=None)[0]`).
///
/// `b` has `m` rows and is 1-D or 2-D; the result has `n` rows and the
/// dimensionality of `b`. Computed from the [`svd`] of `A`, discarding
/// singular values `s_i <= eps * max(m, n) * s_max` (NumPy's default
/// `rcond`), which gives the minimum-norm solution for rank-deficient and
/// under-determined systems.
///
/// Errors: [`LinalgError::DimensionMismatch`], [`LinalgError::NonFinite`],
/// [`LinalgError::NoConvergence`].
pub fn lstsq<T: Field, D: Dimension>(
    a: ArrayView2<'_, T>,
    b: ArrayView<'_, T, D>,
) -> LinalgResult<Array<T, D>> {
    let (m, n) = a.dim();
    let b2 = rhs_to_2d("lstsq", shape2(&a), &b)?;
    if b2.nrows() != m {
        return Err(LinalgError::DimensionMismatch {
            op: "lstsq",
            left: shape2(&a),
            right: b.shape().to_vec(),
        });
    }
    check_finite(a.iter())?;
    check_finite(b2.iter())?;
    let nrhs = b2.ncols();
    let mut x = zeros2::<T>(n, nrhs)?;
    let (u, s, vh) = svd(a)?;
    let smax = s.iter().copied().fold(0.0, f64::max);
    let cutoff = EPS * m.max(n) as f64 * smax;
    for (i, &si) in s.iter().enumerate() {
        if si.is_nan() || si <= cutoff || si <= 0.0 {
            continue;
        }
        for c in 0..nrhs {
            // coef = (u_i^H b_c) / s_i
            let mut coef = T::zero();
            for r in 0..m {
                coef += u[[r, i]].conj() * b2[[r, c]];
            }
            let coef = rdiv(coef, si);
            // x_c += v_i * coef, where v_i = conj(vh[i, :]).
            for j in 0..n {
                x[[j, c]] += vh[[i, j]].conj() * coef;
            }
        }
    }
    rhs_from_2d("lstsq", x, &b, n)
}

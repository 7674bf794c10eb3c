//! The general eigenproblem: Hessenberg reduction, then Francis
//! double-shift QR (real) or single-shift complex QR, and eigenvectors by
//! back-substitution.

use ndarray::{Array1, Array2, ArrayView2};
use num_complex::Complex64;
use num_traits::{One, Zero};

use super::checks::{check_finite, max_abs, square};
use super::qr::hessenberg;
use super::util::*;
use super::{LinalgError, LinalgResult};
use crate::element::Field;

/// Eigenvalues and right eigenvectors of a general square matrix
/// (`numpy.linalg.eig`).
///
/// Returns the eigenvalues `w` (complex; for real input, complex eigenvalues
/// come in exact conjugate pairs with the positive imaginary part first and
/// real eigenvalues have imaginary part exactly 0) and a matrix whose column
/// `i` is a unit 2-norm eigenvector for `w[i]`, scaled so that its largest
/// component is real (as LAPACK `geev`); a real eigenvector of a real matrix
/// is real. The order of the eigenvalues is that of the diagonal of the
/// computed Schur form, which usually but not always matches LAPACK's.
///
/// Algorithms: real input — Householder reduction to Hessenberg form and
/// Francis double-shift QR (Householder `gehrd` + EISPACK `hqr2`), eigenvectors by
/// back-substitution on the quasi-triangular Schur form; complex input —
/// Householder Hessenberg reduction, implicit single-shift complex QR with
/// Wilkinson shifts, eigenvectors by back-substitution on the triangular
/// Schur form. No balancing is performed.
///
/// Errors: [`LinalgError::NotSquare`], [`LinalgError::NonFinite`],
/// [`LinalgError::NoConvergence`].
#[allow(clippy::type_complexity)]
pub fn eig<T: Eig>(a: ArrayView2<'_, T>) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)> {
    square(&a)?;
    check_finite(a.iter())?;
    let (w, v) = T::eig_impl(a)?;
    if w.iter().chain(v.iter()).all(|x| x.is_finite()) {
        Ok((w, v))
    } else {
        Err(LinalgError::NonFinite)
    }
}

/// The [`Field`] types [`eig`] solves for, each with its own algorithm.
pub trait Eig: Field {
    /// Eigenvalues and eigenvectors of a square, finite matrix.
    #[allow(clippy::type_complexity)]
    fn eig_impl(a: ArrayView2<'_, Self>) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)>;
}

impl Eig for f64 {
    fn eig_impl(a: ArrayView2<'_, Self>) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)> {
        eig_real(a)
    }
}

impl Eig for Complex64 {
    fn eig_impl(a: ArrayView2<'_, Self>) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)> {
        eig_complex(a)
    }
}

/// Normalises column `j` of `v` to unit 2-norm and, if it is complex,
/// multiplies it by a unit factor that makes its largest component real:
/// positive (as `zgeev`) or, with `keep_sign`, with the sign of that
/// component's real part (as `dgeev`, via `dlartg`).
fn normalize_eigvec(v: &mut Array2<Complex64>, j: usize, keep_sign: bool) {
    let nv = nrm2(v.column(j).iter());
    if nv.is_nan() || nv <= 0.0 || nv.is_infinite() {
        return;
    }
    let mut col = v.column_mut(j);
    col.mapv_inplace(|x| x / nv);
    // Largest component made real (complex vectors only).
    if col.iter().any(|x| x.im != 0.0) {
        let mut best = 0;
        let mut bm = -1.0;
        for (i, x) in col.iter().enumerate() {
            let m = x.norm_sqr();
            if m > bm {
                bm = m;
                best = i;
            }
        }
        let big = col[best];
        let r = big.norm();
        if r > 0.0 {
            let sign = if keep_sign && big.re < 0.0 { -1.0 } else { 1.0 };
            let ph = big.conj() / r * sign;
            col.mapv_inplace(|x| x * ph);
            col[best] = Complex64::new(col[best].re, 0.0);
        }
    }
}

/// Dense row-major square matrix indexed by signed pairs, for the EISPACK
/// port.
struct Sq {
    n: usize,
    d: Vec<f64>,
}

impl std::ops::Index<(isize, isize)> for Sq {
    type Output = f64;
    fn index(&self, (i, j): (isize, isize)) -> &f64 {
        &self.d[i as usize * self.n + j as usize]
    }
}

impl std::ops::IndexMut<(isize, isize)> for Sq {
    fn index_mut(&mut self, (i, j): (isize, isize)) -> &mut f64 {
        &mut self.d[i as usize * self.n + j as usize]
    }
}

/// Complex division `(xr + i xi) / (yr + i yi)`.
fn cdiv(xr: f64, xi: f64, yr: f64, yi: f64) -> (f64, f64) {
    let q = smith_div(Complex64::new(xr, xi), Complex64::new(yr, yi));
    (q.re, q.im)
}

/// Real general eigenproblem: Householder Hessenberg reduction + EISPACK
/// `hqr2` (after the JAMA port).
pub(crate) fn eig_real(
    a: ArrayView2<'_, f64>,
) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)> {
    let nn = a.nrows();
    if nn == 0 {
        return Ok((Array1::zeros(0), Array2::zeros((0, 0))));
    }
    // Exact power-of-two scaling to max entry ~1 keeps the shifts and
    // deflation tests clear of underflow and overflow.
    let e = scale_exponent(max_abs(a.iter()));
    let (h, q) = hessenberg(a.mapv(|x| mul_pow2(x, -e)));
    let mut h = Sq {
        n: nn,
        d: h.iter().copied().collect(),
    };
    let mut v = Sq {
        n: nn,
        d: q.iter().copied().collect(),
    };
    let n_i = nn as isize;
    let mut d = vec![0.0; nn];
    let mut im = vec![0.0; nn];
    hqr2(&mut h, &mut v, &mut d, &mut im, n_i)?;

    let w: Array1<Complex64> = d
        .iter()
        .zip(&im)
        .map(|(&re, &im)| Complex64::new(mul_pow2(re, e), mul_pow2(im, e)))
        .collect();
    let mut vecs = Array2::<Complex64>::zeros((nn, nn));
    let mut j = 0;
    while j < nn {
        if im[j] == 0.0 {
            for i in 0..nn {
                vecs[[i, j]] = Complex64::new(v[(i as isize, j as isize)], 0.0);
            }
            normalize_eigvec(&mut vecs, j, true);
            j += 1;
        } else if j + 1 < nn {
            // Pair (d + i e, d - i e) with e > 0: eigenvector v_j + i v_{j+1}.
            for i in 0..nn {
                let (x, y) = (v[(i as isize, j as isize)], v[(i as isize, j as isize + 1)]);
                vecs[[i, j]] = Complex64::new(x, y);
            }
            normalize_eigvec(&mut vecs, j, true);
            for i in 0..nn {
                vecs[[i, j + 1]] = vecs[[i, j]].conj();
            }
            j += 2;
        } else {
            return Err(LinalgError::NoConvergence {
                routine: "eig (unpaired complex eigenvalue)",
            });
        }
    }
    Ok((w, vecs))
}

/// Francis double-shift QR on a Hessenberg matrix to real Schur form,
/// accumulating into `v`, then eigenvectors by back-substitution
/// (EISPACK `hqr2`, after the JAMA port). Eigenvalues go to `d + i e`;
/// eigenvectors to the columns of `v` (a complex pair `j, j+1` stores the
/// real and imaginary parts of the eigenvector of `d[j] + i e[j]`).
#[allow(clippy::many_single_char_names)]
fn hqr2(h: &mut Sq, v: &mut Sq, d: &mut [f64], e: &mut [f64], nn: isize) -> LinalgResult<()> {
    let mut n = nn - 1;
    let low = 0isize;
    let high = nn - 1;
    let eps = EPS;
    let mut exshift = 0.0;
    let (mut p, mut q, mut r, mut s, mut z) = (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut t, mut w, mut x, mut y);

    let mut norm = 0.0;
    for i in 0..nn {
        for j in (i - 1).max(0)..nn {
            norm += h[(i, j)].abs();
        }
    }

    // LAPACK's `dlahqr` threshold: subdiagonals below this are negligible.
    let smlnum = f64::MIN_POSITIVE * (nn as f64 / eps);
    let max_total_iter = 30 * nn.max(10) as usize * nn as usize;
    let mut total_iter = 0usize;
    let mut iter = 0usize;
    while n >= low {
        // Look for a single small sub-diagonal element.
        let mut l = n;
        while l > low {
            s = h[(l - 1, l - 1)].abs() + h[(l, l)].abs();
            if s == 0.0 {
                s = norm;
            }
            if h[(l, l - 1)].abs() <= smlnum || h[(l, l - 1)].abs() <= eps * s {
                break;
            }
            l -= 1;
        }
        if l == n {
            // One root found.
            h[(n, n)] += exshift;
            d[n as usize] = h[(n, n)];
            e[n as usize] = 0.0;
            n -= 1;
            iter = 0;
        } else if l == n - 1 {
            // Two roots found.
            w = h[(n, n - 1)] * h[(n - 1, n)];
            p = (h[(n - 1, n - 1)] - h[(n, n)]) / 2.0;
            q = p * p + w;
            z = q.abs().sqrt();
            h[(n, n)] += exshift;
            h[(n - 1, n - 1)] += exshift;
            x = h[(n, n)];
            if q >= 0.0 {
                // Real pair.
                z = if p >= 0.0 { p + z } else { p - z };
                d[n as usize - 1] = x + z;
                d[n as usize] = d[n as usize - 1];
                if z != 0.0 {
                    d[n as usize] = x - w / z;
                }
                e[n as usize - 1] = 0.0;
                e[n as usize] = 0.0;
                x = h[(n, n - 1)];
                s = x.abs() + z.abs();
                p = x / s;
                q = z / s;
                r = (p * p + q * q).sqrt();
                p /= r;
                q /= r;
                for j in n - 1..nn {
                    z = h[(n - 1, j)];
                    h[(n - 1, j)] = q * z + p * h[(n, j)];
                    h[(n, j)] = q * h[(n, j)] - p * z;
                }
                for i in 0..=n {
                    z = h[(i, n - 1)];
                    h[(i, n - 1)] = q * z + p * h[(i, n)];
                    h[(i, n)] = q * h[(i, n)] - p * z;
                }
                for i in low..=high {
                    z = v[(i, n - 1)];
                    v[(i, n - 1)] = q * z + p * v[(i, n)];
                    v[(i, n)] = q * v[(i, n)] - p * z;
                }
            } else {
                // Complex pair.
                d[n as usize - 1] = x + p;
                d[n as usize] = x + p;
                e[n as usize - 1] = z;
                e[n as usize] = -z;
            }
            n -= 2;
            iter = 0;
        } else {
            // No convergence yet: form shift.
            total_iter += 1;
            if total_iter > max_total_iter {
                return Err(LinalgError::NoConvergence {
                    routine: "eig (Francis double-shift QR)",
                });
            }
            x = h[(n, n)];
            y = h[(n - 1, n - 1)];
            w = h[(n, n - 1)] * h[(n - 1, n)];
            // Wilkinson's original ad hoc shift.
            if iter == 10 {
                exshift += x;
                for i in low..=n {
                    h[(i, i)] -= x;
                }
                s = h[(n, n - 1)].abs() + h[(n - 1, n - 2)].abs();
                x = 0.75 * s;
                y = x;
                w = -0.4375 * s * s;
            }
            // MATLAB's ad hoc shift.
            if iter == 30 {
                s = (y - x) / 2.0;
                s = s * s + w;
                if s > 0.0 {
                    s = s.sqrt();
                    if y < x {
                        s = -s;
                    }
                    s = x - w / ((y - x) / 2.0 + s);
                    for i in low..=n {
                        h[(i, i)] -= s;
                    }
                    exshift += s;
                    x = 0.964;
                    y = x;
                    w = x;
                }
            }
            iter += 1;

            // Look for two consecutive small sub-diagonal elements.
            let mut m = n - 2;
            while m >= l {
                z = h[(m, m)];
                r = x - z;
                s = y - z;
                p = (r * s - w) / h[(m + 1, m)] + h[(m, m + 1)];
                q = h[(m + 1, m + 1)] - z - r - s;
                r = h[(m + 2, m + 1)];
                s = p.abs() + q.abs() + r.abs();
                p /= s;
                q /= s;
                r /= s;
                if m == l {
                    break;
                }
                if h[(m, m - 1)].abs() * (q.abs() + r.abs())
                    < eps
                        * (p.abs() * (h[(m - 1, m - 1)].abs() + z.abs() + h[(m + 1, m + 1)].abs()))
                {
                    break;
                }
                m -= 1;
            }
            for i in m + 2..=n {
                h[(i, i - 2)] = 0.0;
                if i > m + 2 {
                    h[(i, i - 3)] = 0.0;
                }
            }

            // Double QR step involving rows l..=n and columns m..=n.
            let mut k = m;
            while k < n {
                let notlast = k != n - 1;
                if k != m {
                    p = h[(k, k - 1)];
                    q = h[(k + 1, k - 1)];
                    r = if notlast { h[(k + 2, k - 1)] } else { 0.0 };
                    x = p.abs() + q.abs() + r.abs();
                    if x == 0.0 {
                        k += 1;
                        continue;
                    }
                    p /= x;
                    q /= x;
                    r /= x;
                }
                s = (p * p + q * q + r * r).sqrt();
                if p < 0.0 {
                    s = -s;
                }
                if s != 0.0 {
                    if k != m {
                        h[(k, k - 1)] = -s * x;
                    } else if l != m {
                        h[(k, k - 1)] = -h[(k, k - 1)];
                    }
                    p += s;
                    x = p / s;
                    y = q / s;
                    z = r / s;
                    q /= p;
                    r /= p;
                    // Row modification.
                    for j in k..nn {
                        p = h[(k, j)] + q * h[(k + 1, j)];
                        if notlast {
                            p += r * h[(k + 2, j)];
                            h[(k + 2, j)] -= p * z;
                        }
                        h[(k, j)] -= p * x;
                        h[(k + 1, j)] -= p * y;
                    }
                    // Column modification.
                    for i in 0..=n.min(k + 3) {
                        p = x * h[(i, k)] + y * h[(i, k + 1)];
                        if notlast {
                            p += z * h[(i, k + 2)];
                            h[(i, k + 2)] -= p * r;
                        }
                        h[(i, k)] -= p;
                        h[(i, k + 1)] -= p * q;
                    }
                    // Accumulate transformations.
                    for i in low..=high {
                        p = x * v[(i, k)] + y * v[(i, k + 1)];
                        if notlast {
                            p += z * v[(i, k + 2)];
                            v[(i, k + 2)] -= p * r;
                        }
                        v[(i, k)] -= p;
                        v[(i, k + 1)] -= p * q;
                    }
                }
                k += 1;
            }
        }
    }

    // Back-substitute to find the vectors of the upper triangular form.
    if norm == 0.0 {
        return Ok(());
    }
    let mut n = nn - 1;
    while n >= 0 {
        p = d[n as usize];
        q = e[n as usize];
        if q == 0.0 {
            // Real vector.
            let mut l = n;
            h[(n, n)] = 1.0;
            let mut i = n - 1;
            while i >= 0 {
                w = h[(i, i)] - p;
                r = 0.0;
                for j in l..=n {
                    r += h[(i, j)] * h[(j, n)];
                }
                if e[i as usize] < 0.0 {
                    z = w;
                    s = r;
                } else {
                    l = i;
                    if e[i as usize] == 0.0 {
                        // Perturb a tiny divisor as LAPACK `dtrevc` does.
                        let smin = (eps * p.abs()).max(smlnum);
                        let w = if w.abs() < smin { smin } else { w };
                        if r.abs() > w.abs() * 1e300 {
                            // Rescale the column first so -r/w cannot overflow.
                            let f = r.abs();
                            for j in i + 1..=n {
                                h[(j, n)] /= f;
                            }
                            r /= f;
                        }
                        h[(i, n)] = -r / w;
                    } else {
                        // Solve real equations.
                        x = h[(i, i + 1)];
                        y = h[(i + 1, i)];
                        q = (d[i as usize] - p) * (d[i as usize] - p)
                            + e[i as usize] * e[i as usize];
                        t = (x * s - z * r) / q;
                        h[(i, n)] = t;
                        h[(i + 1, n)] = if x.abs() > z.abs() {
                            (-r - w * t) / x
                        } else {
                            (-s - y * t) / z
                        };
                    }
                    // Overflow control.
                    t = h[(i, n)].abs();
                    if (eps * t) * t > 1.0 {
                        for j in i..=n {
                            h[(j, n)] /= t;
                        }
                    }
                }
                i -= 1;
            }
        } else if q < 0.0 {
            // Complex vector; the last vector component is imaginary.
            let mut l = n - 1;
            if h[(n, n - 1)].abs() > h[(n - 1, n)].abs() {
                h[(n - 1, n - 1)] = q / h[(n, n - 1)];
                h[(n - 1, n)] = -(h[(n, n)] - p) / h[(n, n - 1)];
            } else {
                let (cr, ci) = cdiv(0.0, -h[(n - 1, n)], h[(n - 1, n - 1)] - p, q);
                h[(n - 1, n - 1)] = cr;
                h[(n - 1, n)] = ci;
            }
            h[(n, n - 1)] = 0.0;
            h[(n, n)] = 1.0;
            let mut i = n - 2;
            while i >= 0 {
                let mut ra = 0.0;
                let mut sa = 0.0;
                for j in l..=n {
                    ra += h[(i, j)] * h[(j, n - 1)];
                    sa += h[(i, j)] * h[(j, n)];
                }
                w = h[(i, i)] - p;
                if e[i as usize] < 0.0 {
                    z = w;
                    r = ra;
                    s = sa;
                } else {
                    l = i;
                    if e[i as usize] == 0.0 {
                        let (cr, ci) = cdiv(-ra, -sa, w, q);
                        h[(i, n - 1)] = cr;
                        h[(i, n)] = ci;
                    } else {
                        // Solve complex equations.
                        x = h[(i, i + 1)];
                        y = h[(i + 1, i)];
                        let di = d[i as usize] - p;
                        let mut vr = di * di + e[i as usize] * e[i as usize] - q * q;
                        let vi = di * 2.0 * q;
                        if vr == 0.0 && vi == 0.0 {
                            vr = eps * norm * (w.abs() + q.abs() + x.abs() + y.abs() + z.abs());
                        }
                        let (cr, ci) =
                            cdiv(x * r - z * ra + q * sa, x * s - z * sa - q * ra, vr, vi);
                        h[(i, n - 1)] = cr;
                        h[(i, n)] = ci;
                        if x.abs() > z.abs() + q.abs() {
                            h[(i + 1, n - 1)] = (-ra - w * h[(i, n - 1)] + q * h[(i, n)]) / x;
                            h[(i + 1, n)] = (-sa - w * h[(i, n)] - q * h[(i, n - 1)]) / x;
                        } else {
                            let (cr, ci) = cdiv(-r - y * h[(i, n - 1)], -s - y * h[(i, n)], z, q);
                            h[(i + 1, n - 1)] = cr;
                            h[(i + 1, n)] = ci;
                        }
                    }
                    // Overflow control.
                    t = h[(i, n - 1)].abs().max(h[(i, n)].abs());
                    if (eps * t) * t > 1.0 {
                        for j in i..=n {
                            h[(j, n - 1)] /= t;
                            h[(j, n)] /= t;
                        }
                    }
                }
                i -= 1;
            }
        }
        n -= 1;
    }

    // Back transformation to the eigenvectors of the original matrix.
    let mut j = nn - 1;
    while j >= low {
        for i in low..=high {
            z = 0.0;
            for k in low..=j.min(high) {
                z += v[(i, k)] * h[(k, j)];
            }
            v[(i, j)] = z;
        }
        j -= 1;
    }
    Ok(())
}

/// Complex Givens rotation: returns `(c, s, r)` with `c` real such that
/// `[[c, s], [-conj(s), c]] [f; g] = [r; 0]`.
fn zgivens(f: Complex64, g: Complex64) -> (f64, Complex64, Complex64) {
    if g == Complex64::zero() {
        return (1.0, Complex64::zero(), f);
    }
    let fa = f.norm();
    let ga = g.norm();
    if fa == 0.0 {
        return (0.0, g.conj() / ga, Complex64::new(ga, 0.0));
    }
    let nrm = fa.hypot(ga);
    let fph = f / fa;
    (fa / nrm, fph * g.conj() / nrm, fph * nrm)
}

/// Complex general eigenproblem: Hessenberg reduction, single-shift QR to
/// triangular Schur form `A = Z T Z^H`, eigenvectors of `T` by
/// back-substitution, transformed by `Z`.
pub(crate) fn eig_complex(
    a: ArrayView2<'_, Complex64>,
) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)> {
    let n = a.nrows();
    if n == 0 {
        return Ok((Array1::zeros(0), Array2::zeros((0, 0))));
    }
    let e = scale_exponent(max_abs(a.iter()));
    let (mut h, mut z) = hessenberg(a.mapv(|x| mul_pow2_t(x, -e)));
    let norm_h = nrm2(h.iter());

    // Shifted QR iteration on the active block lo..=hi.
    let max_iter = 30 * n.max(10);
    // LAPACK's `zlahqr` threshold: subdiagonals below this are negligible.
    let smlnum = f64::MIN_POSITIVE * (n as f64 / EPS);
    let mut hi = n - 1;
    let mut iter = 0usize;
    while hi > 0 {
        let mut lo = hi;
        while lo > 0 {
            let mut s = h[[lo - 1, lo - 1]].abs1() + h[[lo, lo]].abs1();
            if s == 0.0 {
                s = norm_h;
            }
            if h[[lo, lo - 1]].abs1() <= smlnum || h[[lo, lo - 1]].abs1() <= EPS * s {
                h[[lo, lo - 1]] = Complex64::zero();
                break;
            }
            lo -= 1;
        }
        if lo == hi {
            hi -= 1;
            iter = 0;
            continue;
        }
        iter += 1;
        if iter > max_iter {
            return Err(LinalgError::NoConvergence {
                routine: "eig (complex shifted QR)",
            });
        }
        let mu = if iter % 10 == 0 {
            // Exceptional shift.
            let sub = if iter % 20 == 0 {
                h[[hi, hi - 1]]
            } else {
                h[[lo + 1, lo]]
            };
            let base = if iter % 20 == 0 {
                h[[hi, hi]]
            } else {
                h[[lo, lo]]
            };
            base + Complex64::new(0.75 * sub.abs1(), 0.0)
        } else {
            // Wilkinson shift: the eigenvalue of the trailing 2x2 closer to
            // h[hi, hi], computed with scaling as LAPACK `zlahqr` does.
            let t = h[[hi, hi]];
            let u = h[[hi - 1, hi]].sqrt() * h[[hi, hi - 1]].sqrt();
            let su = u.abs1();
            if su == 0.0 {
                t
            } else {
                let x = (h[[hi - 1, hi - 1]] - t) * 0.5;
                let sx = x.abs1();
                let sc = su.max(sx);
                let (xs, us) = (x / sc, u / sc);
                let mut y = (xs * xs + us * us).sqrt() * sc;
                if sx > 0.0 {
                    let xn = x / sx;
                    if xn.re * y.re + xn.im * y.im < 0.0 {
                        y = -y;
                    }
                }
                t - u * u.sdiv(x + y)
            }
        };
        // Implicit single-shift bulge chase.
        let mut x = h[[lo, lo]] - mu;
        let mut y = h[[lo + 1, lo]];
        for k in lo..hi {
            if k > lo {
                x = h[[k, k - 1]];
                y = h[[k + 1, k - 1]];
            }
            let (c, s, r) = zgivens(x, y);
            if k > lo {
                h[[k, k - 1]] = r;
                h[[k + 1, k - 1]] = Complex64::zero();
            }
            // Rows k, k+1 <- G [rows].
            for j in k..n {
                let (p, q) = (h[[k, j]], h[[k + 1, j]]);
                h[[k, j]] = p * c + s * q;
                h[[k + 1, j]] = -s.conj() * p + q * c;
            }
            // Columns k, k+1 <- [cols] G^H.
            let last_row = (k + 2).min(hi);
            for i in 0..=last_row {
                let (p, q) = (h[[i, k]], h[[i, k + 1]]);
                h[[i, k]] = p * c + q * s.conj();
                h[[i, k + 1]] = -p * s + q * c;
            }
            for i in 0..n {
                let (p, q) = (z[[i, k]], z[[i, k + 1]]);
                z[[i, k]] = p * c + q * s.conj();
                z[[i, k + 1]] = -p * s + q * c;
            }
        }
    }

    // Eigenvectors of the upper triangular T = h by back-substitution.
    let w: Array1<Complex64> = (0..n).map(|i| h[[i, i]]).collect();
    let w_unscaled: Array1<Complex64> = w
        .iter()
        .map(|x| Complex64::new(mul_pow2(x.re, e), mul_pow2(x.im, e)))
        .collect();
    let mut vecs = Array2::<Complex64>::zeros((n, n));
    let mut x = vec![Complex64::zero(); n];
    for k in 0..n {
        let lambda = w[k];
        // Perturb tiny divisors as LAPACK `ztrevc` does.
        let smin = (EPS * lambda.abs1()).max(smlnum);
        x.iter_mut().for_each(|v| *v = Complex64::zero());
        x[k] = Complex64::one();
        for j in (0..k).rev() {
            let mut s = Complex64::zero();
            for i in j + 1..=k {
                s += h[[j, i]] * x[i];
            }
            let mut den = h[[j, j]] - lambda;
            if den.abs1() < smin {
                den = Complex64::new(smin, 0.0);
            }
            let sa = s.abs1();
            if sa > den.abs1() * 1e300 {
                // Rescale first so that s/den cannot overflow.
                for v in x.iter_mut().take(k + 1) {
                    *v /= sa;
                }
                s /= sa;
            }
            x[j] = (-s).sdiv(den);
            // Overflow control.
            let big = x[j].abs1();
            if big > 1e100 {
                for v in x.iter_mut().take(k + 1) {
                    *v /= big;
                }
            }
        }
        for i in 0..n {
            let mut s = Complex64::zero();
            for (l, xl) in x.iter().enumerate().take(k + 1) {
                s += z[[i, l]] * xl;
            }
            vecs[[i, k]] = s;
        }
        normalize_eigvec(&mut vecs, k, false);
    }
    Ok((w_unscaled, vecs))
}

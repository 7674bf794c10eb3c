use super::util::*;
use super::*;
use crate::element::Inexact;
use ndarray::{arr1, arr2, Array, Array1, Array2, Array3, ArrayView2, Dimension};
use num_complex::Complex64;

type C = Complex64;

fn c(re: f64, im: f64) -> C {
    C::new(re, im)
}

/// Tiny deterministic LCG (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Uniform in [-1, 1).
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

trait Rand: Field {
    fn rand(g: &mut Lcg) -> Self;
}
impl Rand for f64 {
    fn rand(g: &mut Lcg) -> Self {
        g.next_f64()
    }
}
impl Rand for C {
    fn rand(g: &mut Lcg) -> Self {
        c(g.next_f64(), g.next_f64())
    }
}

fn rand_mat<T: Rand>(m: usize, n: usize, seed: u64) -> Array2<T> {
    let mut g = Lcg(seed);
    Array2::from_shape_fn((m, n), |_| T::rand(&mut g))
}

fn rand_vec<T: Rand>(n: usize, seed: u64) -> Array1<T> {
    let mut g = Lcg(seed);
    Array1::from_shape_fn(n, |_| T::rand(&mut g))
}

fn adjoint<T: Field>(a: &Array2<T>) -> Array2<T> {
    a.t().mapv(|x| x.conj())
}

fn mm<T: Field>(a: &Array2<T>, b: &Array2<T>) -> Array2<T> {
    matmul(a.view(), b.view()).unwrap()
}

/// Max |a - b| over entries.
fn max_diff<T: Field, D: Dimension>(a: &Array<T, D>, b: &Array<T, D>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b.iter())
        .fold(0.0, |m: f64, (&x, &y)| m.max((x - y).abs()))
}

fn eye<T: Field>(n: usize) -> Array2<T> {
    Array2::eye(n)
}

fn assert_orthonormal_cols<T: Field>(q: &Array2<T>, tol: f64) {
    let g = mm(&adjoint(q), q);
    let e = max_diff(&g, &eye(q.ncols()));
    assert!(e <= tol, "columns not orthonormal: {e:e}");
}

fn to_c(a: &Array2<f64>) -> Array2<C> {
    a.mapv(|x| c(x, 0.0))
}

const SIZES: [(usize, usize); 9] = [
    (1, 1),
    (2, 2),
    (3, 3),
    (5, 5),
    (8, 8),
    (7, 3),
    (3, 7),
    (12, 5),
    (1, 4),
];

// ---- products, norm, trace -------------------------------------------

#[test]
fn matmul_known_and_errors() {
    let a = arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let b = arr2(&[[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]]);
    assert_eq!(mm(&a, &b), arr2(&[[58.0, 64.0], [139.0, 154.0]]));
    // Non-contiguous (transposed) views.
    let at = a.t().to_owned();
    assert_eq!(
        matmul(at.t(), b.view()).unwrap(),
        arr2(&[[58.0, 64.0], [139.0, 154.0]])
    );
    let err = matmul(a.view(), a.view()).unwrap_err();
    assert_eq!(
        err,
        LinalgError::DimensionMismatch {
            op: "matmul",
            left: vec![2, 3],
            right: vec![2, 3]
        }
    );
    assert!(err.to_string().contains("dimension mismatch in matmul"));
    // Empty inner dimension gives zeros.
    let z = matmul(
        Array2::<f64>::zeros((2, 0)).view(),
        Array2::zeros((0, 3)).view(),
    );
    assert_eq!(z.unwrap(), Array2::<f64>::zeros((2, 3)));
    // Absurd result shape is an error, not a panic.
    let big = 1usize << 40;
    let e = matmul(
        ArrayView2::<f64>::from_shape((big, 0), &[]).unwrap(),
        ArrayView2::<f64>::from_shape((0, big), &[]).unwrap(),
    );
    assert!(matches!(e, Err(LinalgError::TooLarge { .. })));
}

#[test]
fn matvec_dot_vecdot() {
    let a = arr2(&[[1.0, 2.0], [3.0, 4.0]]);
    let x = arr1(&[1.0, -1.0]);
    assert_eq!(matvec(a.view(), x.view()).unwrap(), arr1(&[-1.0, -1.0]));
    assert!(matvec(a.view(), arr1(&[1.0]).view()).is_err());
    let u = arr1(&[c(1.0, 1.0), c(0.0, 2.0)]);
    let v = arr1(&[c(2.0, 0.0), c(1.0, 1.0)]);
    // dot: (1+i)2 + 2i(1+i) = 2+2i + 2i-2 = 4i
    assert_eq!(dot(u.view(), v.view()).unwrap(), c(0.0, 4.0));
    // vecdot: (1-i)2 + (-2i)(1+i) = 2-2i -2i+2 = 4-4i
    assert_eq!(vecdot(u.view(), v.view()).unwrap(), c(4.0, -4.0));
    assert!(dot(u.view(), arr1(&[c(1.0, 0.0)]).view()).is_err());
    assert!(vecdot(x.view(), arr1(&[1.0]).view()).is_err());
}

#[test]
fn norm_and_trace() {
    assert_eq!(norm(arr1(&[3.0, 4.0]).view()), 5.0);
    assert_eq!(norm(arr1(&[3e300, 4e300]).view()), 5e300);
    assert!((norm(arr1(&[3e-300, 4e-300]).view()) - 5e-300).abs() < 1e-314);
    assert_eq!(norm(arr2(&[[1.0, 2.0], [2.0, 4.0]]).view()), 5.0);
    assert_eq!(norm(arr1(&[c(3.0, 4.0)]).view()), 5.0);
    assert_eq!(norm(Array1::<f64>::zeros(0).view()), 0.0);
    assert!(norm(arr1(&[1.0, f64::NAN]).view()).is_nan());
    assert_eq!(norm(arr1(&[1.0, f64::NEG_INFINITY]).view()), f64::INFINITY);
    assert_eq!(trace(arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).view()), 6.0);
    assert_eq!(trace(Array2::<f64>::zeros((0, 0)).view()), 0.0);
}

// ---- LU: inv, solve, det ----------------------------------------------

fn check_inv<T: Rand>(seed: u64) {
    for n in [1, 2, 3, 4, 6, 10, 20] {
        let a = rand_mat::<T>(n, n, seed + n as u64);
        let ai = inv(a.view()).unwrap();
        let e1 = max_diff(&mm(&a, &ai), &eye(n));
        let e2 = max_diff(&mm(&ai, &a), &eye(n));
        let scale = norm(a.view()) * norm(ai.view());
        assert!(
            e1 <= 50.0 * EPS * scale && e2 <= 50.0 * EPS * scale,
            "{n}: {e1:e} {e2:e}"
        );
    }
}

#[test]
fn inv_identities() {
    check_inv::<f64>(1);
    check_inv::<C>(2);
    assert_eq!(
        inv(Array2::<f64>::zeros((0, 0)).view()).unwrap().dim(),
        (0, 0)
    );
    // Permutation matrix: inverse is the transpose, exactly.
    let p = arr2(&[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
    assert_eq!(inv(p.view()).unwrap(), p.t().to_owned());
}

#[test]
fn inv_matches_numpy() {
    let a = arr2(&[[2.0, -1.0, 0.5], [1.0, 3.0, -2.0], [0.25, 4.0, 1.0]]);
    let want = arr2(&[
        [
            0.43781094527363185,
            0.11940298507462688,
            0.019900497512437818,
        ],
        [
            -0.05970149253731343,
            0.0746268656716418,
            0.17910447761194032,
        ],
        [
            0.12935323383084577,
            -0.3283582089552239,
            0.27860696517412936,
        ],
    ]);
    assert!(max_diff(&inv(a.view()).unwrap(), &want) <= 1e-15);
}

#[test]
fn inv_errors() {
    let sing = arr2(&[[1.0, 2.0], [2.0, 4.0]]);
    assert_eq!(inv(sing.view()), Err(LinalgError::Singular));
    // Exactly singular in exact arithmetic, rounding leaves a tiny pivot.
    let sing3 = arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]);
    assert_eq!(inv(sing3.view()), Err(LinalgError::Singular));
    assert_eq!(
        inv(Array2::<f64>::zeros((3, 3)).view()),
        Err(LinalgError::Singular)
    );
    assert_eq!(
        inv(Array2::<f64>::zeros((2, 3)).view()),
        Err(LinalgError::NotSquare { rows: 2, cols: 3 })
    );
    let nan = arr2(&[[1.0, f64::NAN], [0.0, 1.0]]);
    assert_eq!(inv(nan.view()), Err(LinalgError::NonFinite));
    let inf = arr2(&[[c(1.0, f64::INFINITY)]]);
    assert_eq!(inv(inf.view()), Err(LinalgError::NonFinite));
    // Badly scaled but well-conditioned is fine.
    let tiny = arr2(&[[1e-300, 0.0], [0.0, 2e-300]]);
    assert!(inv(tiny.view()).is_ok());
    assert!(LinalgError::Singular.to_string().contains("singular"));
}

fn check_solve<T: Rand>(seed: u64) {
    for n in [1, 2, 3, 5, 9, 16] {
        let a = rand_mat::<T>(n, n, seed + 10 * n as u64);
        let b = rand_vec::<T>(n, seed + 1);
        let x = solve(a.view(), b.view()).unwrap();
        let r = matvec(a.view(), x.view()).unwrap();
        let scale = norm(a.view()) * norm(x.view()) + norm(b.view());
        assert!(max_diff(&r, &b) <= 20.0 * EPS * scale, "vec n={n}");
        let bm = rand_mat::<T>(n, 3, seed + 2);
        let xm = solve(a.view(), bm.view()).unwrap();
        assert_eq!(xm.dim(), (n, 3));
        let scale = norm(a.view()) * norm(xm.view()) + norm(bm.view());
        assert!(
            max_diff(&mm(&a, &xm), &bm) <= 20.0 * EPS * scale,
            "mat n={n}"
        );
    }
}

#[test]
fn solve_identities() {
    check_solve::<f64>(3);
    check_solve::<C>(4);
    // Pivoting is needed here.
    let a = arr2(&[[0.0, 1.0], [1.0, 0.0]]);
    assert_eq!(
        solve(a.view(), arr1(&[2.0, 3.0]).view()).unwrap(),
        arr1(&[3.0, 2.0])
    );
    let x = solve(Array2::<f64>::zeros((0, 0)).view(), Array1::zeros(0).view()).unwrap();
    assert_eq!(x.len(), 0);
    // Dynamic-dimensional right-hand side.
    let bd = arr1(&[2.0, 3.0]).into_dyn();
    assert_eq!(solve(a.view(), bd.view()).unwrap().shape(), &[2]);
}

#[test]
fn solve_errors() {
    let a = arr2(&[[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(
        solve(a.view(), arr1(&[1.0, 2.0, 3.0]).view()),
        Err(LinalgError::DimensionMismatch {
            op: "solve",
            left: vec![2, 2],
            right: vec![3]
        })
    );
    assert!(matches!(
        solve(a.view(), Array3::<f64>::zeros((2, 1, 1)).view()),
        Err(LinalgError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        solve(a.view(), ndarray::arr0(1.0).view()),
        Err(LinalgError::DimensionMismatch { .. })
    ));
    assert_eq!(
        solve(a.view(), arr1(&[1.0, f64::NAN]).view()),
        Err(LinalgError::NonFinite)
    );
    let s = arr2(&[[1.0, 2.0], [2.0, 4.0]]);
    assert_eq!(
        solve(s.view(), arr1(&[1.0, 2.0]).view()),
        Err(LinalgError::Singular)
    );
    assert!(matches!(
        solve(Array2::<f64>::zeros((1, 2)).view(), arr1(&[1.0]).view()),
        Err(LinalgError::NotSquare { rows: 1, cols: 2 })
    ));
}

#[test]
fn det_known() {
    let tri = arr2(&[[2.0, 5.0, -1.0], [0.0, 3.0, 7.0], [0.0, 0.0, -4.0]]);
    assert_eq!(det(tri.view()).unwrap(), -24.0);
    assert!((det(tri.t()).unwrap() + 24.0).abs() <= 1e-14);
    let p = arr2(&[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
    assert_eq!(det(p.view()).unwrap(), 1.0);
    let swap = arr2(&[[0.0, 1.0], [1.0, 0.0]]);
    assert_eq!(det(swap.view()).unwrap(), -1.0);
    assert_eq!(det(arr2(&[[1.0, 2.0], [2.0, 4.0]]).view()).unwrap(), 0.0);
    assert_eq!(det(Array2::<f64>::zeros((0, 0)).view()).unwrap(), 1.0);
    assert_eq!(det(Array2::<f64>::zeros((3, 3)).view()).unwrap(), 0.0);
    // NumPy: det([[2,-1,.5],[1,3,-2],[.25,4,1]]) = 25.124999999999993
    let a = arr2(&[[2.0, -1.0, 0.5], [1.0, 3.0, -2.0], [0.25, 4.0, 1.0]]);
    assert!((det(a.view()).unwrap() - 25.125).abs() <= 1e-13);
    // Complex, NumPy: (6.661338147750939e-16-6j).
    let ce = arr2(&[
        [c(1.0, 2.0), c(0.5, 0.0), c(0.0, -1.0)],
        [c(2.0, 0.0), c(3.0, -1.0), c(1.0, 0.0)],
        [c(0.0, 0.0), c(0.0, 1.0), c(-1.0, 0.0)],
    ]);
    assert!((det(ce.view()).unwrap() - c(0.0, -6.0)).norm() <= 1e-14);
    // det(AB) = det(A) det(B) on random matrices.
    let x = rand_mat::<f64>(6, 6, 5);
    let y = rand_mat::<f64>(6, 6, 6);
    let lhs = det(mm(&x, &y).view()).unwrap();
    let rhs = det(x.view()).unwrap() * det(y.view()).unwrap();
    assert!((lhs - rhs).abs() <= 1e-13 * rhs.abs().max(1.0));
    assert_eq!(
        det(Array2::<f64>::zeros((3, 2)).view()),
        Err(LinalgError::NotSquare { rows: 3, cols: 2 })
    );
    assert_eq!(det(arr2(&[[f64::NAN]]).view()), Err(LinalgError::NonFinite));
}

// ---- Cholesky -----------------------------------------------------------

fn check_cholesky<T: Rand>(seed: u64) {
    for n in [1, 2, 3, 6, 12] {
        let b = rand_mat::<T>(n, n, seed + n as u64);
        let a = mm(&b, &adjoint(&b)) + eye::<T>(n).mapv(|x| x.scale(n as f64));
        let l = cholesky(a.view()).unwrap();
        for i in 0..n {
            assert!(l[[i, i]].im() == 0.0 && l[[i, i]].re() > 0.0);
            for j in i + 1..n {
                assert_eq!(l[[i, j]], T::zero());
            }
        }
        let e = max_diff(&mm(&l, &adjoint(&l)), &a);
        assert!(e <= 20.0 * EPS * norm(a.view()), "n={n}: {e:e}");
    }
}

#[test]
fn cholesky_identities() {
    check_cholesky::<f64>(7);
    check_cholesky::<C>(8);
    assert_eq!(
        cholesky(Array2::<f64>::zeros((0, 0)).view()).unwrap().dim(),
        (0, 0)
    );
}

#[test]
fn cholesky_matches_numpy_and_reads_lower() {
    let p = arr2(&[
        [c(4.0, 0.0), c(2.0, 1.0), c(0.5, 0.0)],
        [c(2.0, -1.0), c(5.0, 0.0), c(0.0, 1.0)],
        [c(0.5, 0.0), c(0.0, -1.0), c(3.0, 0.0)],
    ]);
    let want = arr2(&[
        [c(2.0, 0.0), c(0.0, 0.0), c(0.0, 0.0)],
        [c(1.0, -0.5), c(1.9364916731037085, 0.0), c(0.0, 0.0)],
        [
            c(0.25, 0.0),
            c(-0.12909944487358055, -0.5809475019311124),
            c(1.6072751268321592, 0.0),
        ],
    ]);
    let l = cholesky(p.view()).unwrap();
    assert!(max_diff(&l, &want) <= 1e-15);
    // The strict upper triangle is never read, NaN included.
    let mut q = p.clone();
    q[[0, 2]] = c(f64::NAN, 0.0);
    assert_eq!(cholesky(q.view()).unwrap(), l);
}

#[test]
fn cholesky_errors() {
    let a = arr2(&[[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
    let err = cholesky(a.view()).unwrap_err();
    assert_eq!(err, LinalgError::NotPositiveDefinite { column: 1 });
    assert!(err.to_string().contains("not positive definite"));
    assert!(err.to_string().contains("column 1"));
    assert_eq!(
        cholesky(arr2(&[[-1.0]]).view()),
        Err(LinalgError::NotPositiveDefinite { column: 0 })
    );
    assert_eq!(
        cholesky(arr2(&[[1.0, 0.0], [f64::NAN, 1.0]]).view()),
        Err(LinalgError::NonFinite)
    );
    assert!(matches!(
        cholesky(Array2::<f64>::zeros((2, 1)).view()),
        Err(LinalgError::NotSquare { .. })
    ));
}

// ---- QR -------------------------------------------------------------------

fn check_qr<T: Rand>(seed: u64) {
    for (i, &(m, n)) in SIZES.iter().enumerate() {
        let a = rand_mat::<T>(m, n, seed + i as u64);
        let (q, r) = qr(a.view()).unwrap();
        let k = m.min(n);
        assert_eq!(q.dim(), (m, k));
        assert_eq!(r.dim(), (k, n));
        assert_orthonormal_cols(&q, 20.0 * EPS);
        for ii in 0..k {
            assert_eq!(r[[ii, ii]].im(), 0.0);
            for jj in 0..ii.min(n) {
                assert_eq!(r[[ii, jj]], T::zero());
            }
        }
        let e = max_diff(&mm(&q, &r), &a);
        assert!(e <= 20.0 * EPS * norm(a.view()), "{m}x{n}: {e:e}");
    }
}

#[test]
fn qr_identities() {
    check_qr::<f64>(11);
    check_qr::<C>(12);
    // Rank-deficient input (zero and repeated columns).
    let a = arr2(&[
        [1.0, 0.0, 1.0],
        [2.0, 0.0, 2.0],
        [3.0, 0.0, 3.0],
        [4.0, 0.0, 4.0],
    ]);
    let (q, r) = qr(a.view()).unwrap();
    assert_orthonormal_cols(&q, 20.0 * EPS);
    assert!(max_diff(&mm(&q, &r), &a) <= 1e-14);
    let (q, r) = qr(Array2::<f64>::zeros((0, 3)).view()).unwrap();
    assert_eq!((q.dim(), r.dim()), ((0, 0), (0, 3)));
    assert_eq!(
        qr(arr2(&[[f64::INFINITY]]).view()),
        Err(LinalgError::NonFinite)
    );
}

#[test]
fn qr_matches_numpy() {
    let a = arr2(&[[2.0, -1.0, 0.5], [1.0, 3.0, -2.0], [0.25, 4.0, 1.0]]);
    let (q, r) = qr(a.view()).unwrap();
    let q_np = arr2(&[
        [-0.8888888888888888, 0.35653126815013075, 0.2876838508521744],
        [
            -0.4444444444444444,
            -0.5188144660667421,
            -0.7302743906247505,
        ],
        [-0.1111111111111111, -0.7769922809340779, 0.6196267556816064],
    ]);
    let r_np = arr2(&[
        [-2.25, -0.8888888888888887, 0.3333333333333333],
        [0.0, -5.020943790086668, 0.4389022852744717],
        [0.0, 0.0, 2.2240174623571947],
    ]);
    assert!(max_diff(&q, &q_np) <= 1e-15);
    assert!(max_diff(&r, &r_np) <= 1e-14);

    let ca = arr2(&[
        [c(1.0, 1.0), c(2.0, 0.0)],
        [c(3.0, 0.0), c(4.0, -1.0)],
        [c(0.0, 0.5), c(1.0, 0.0)],
    ]);
    let (q, r) = qr(ca.view()).unwrap();
    let q_np = arr2(&[
        [
            c(-0.29814239699997214, -0.29814239699997197),
            c(-0.19402850002906694, 0.5497474167490214),
        ],
        [
            c(-0.894427190999916, 2.7755575615628914e-17),
            c(-0.19402850002906613, -0.33954987505086615),
        ],
        [
            c(0.0, -0.14907119849998599),
            c(-0.5497474167490213, 0.4527331667344881),
        ],
    ]);
    let r_np = arr2(&[
        [
            c(-3.3541019662496843, 0.0),
            c(-4.173993557999609, 1.6397831834998458),
        ],
        [c(0.0, 0.0), c(-1.3743685418725535, 0.0)],
    ]);
    assert!(max_diff(&q, &q_np) <= 1e-15);
    assert!(max_diff(&r, &r_np) <= 1e-14);
}

// ---- SVD ---------------------------------------------------------------------

fn check_svd<T: Rand>(a: &Array2<T>) {
    let (m, n) = a.dim();
    let k = m.min(n);
    let (u, s, vh) = svd(a.view()).unwrap();
    assert_eq!((u.dim(), s.len(), vh.dim()), ((m, k), k, (k, n)));
    assert_orthonormal_cols(&u, 50.0 * EPS);
    assert_orthonormal_cols(&adjoint(&vh), 50.0 * EPS);
    for w in s.windows(2) {
        assert!(w[0] >= w[1]);
    }
    assert!(s.iter().all(|&x| x >= 0.0));
    let us = Array2::from_shape_fn((m, k), |(i, j)| u[[i, j]].scale(s[j]));
    let e = max_diff(&mm(&us, &vh), a);
    assert!(
        e <= 50.0 * EPS * norm(a.view()).max(f64::MIN_POSITIVE),
        "{m}x{n}: {e:e}"
    );
}

#[test]
fn svd_identities() {
    for (i, &(m, n)) in SIZES.iter().enumerate() {
        check_svd(&rand_mat::<f64>(m, n, 21 + i as u64));
        check_svd(&rand_mat::<C>(m, n, 41 + i as u64));
    }
    // Rank-deficient: rank-1 outer product, zero matrix, zero column.
    let x = rand_vec::<f64>(6, 1);
    let y = rand_vec::<f64>(4, 2);
    let outer = Array2::from_shape_fn((6, 4), |(i, j)| x[i] * y[j]);
    check_svd(&outer);
    check_svd(&outer.t().to_owned());
    let (_, s, _) = svd(outer.view()).unwrap();
    assert!((s[0] - norm(x.view()) * norm(y.view())).abs() <= 1e-14);
    assert!(s[1] <= 1e-15);
    check_svd(&Array2::<f64>::zeros((3, 2)));
    check_svd(&Array2::<C>::zeros((2, 3)));
    check_svd(&arr2(&[[1.0, 0.0, 2.0], [3.0, 0.0, 4.0]]));
    // Badly scaled entries neither overflow nor underflow.
    check_svd(&rand_mat::<f64>(4, 3, 9).mapv(|v| v * 1e300));
    check_svd(&rand_mat::<f64>(4, 3, 9).mapv(|v| v * 1e-300));
    let (u, s, vh) = svd(Array2::<f64>::zeros((0, 4)).view()).unwrap();
    assert_eq!((u.dim(), s.len(), vh.dim()), ((0, 0), 0, (0, 4)));
    assert_eq!(
        svd(arr2(&[[f64::NAN, 1.0]]).view()),
        Err(LinalgError::NonFinite)
    );
}

#[test]
fn svd_matches_numpy() {
    let a = arr2(&[
        [1.0, 2.0, 3.0],
        [4.0, 5.0, 6.0],
        [7.0, 8.0, 10.0],
        [1.0, 0.0, 1.0],
    ]);
    let want = arr1(&[17.45089558463664, 0.9869391657365876, 0.7015656613921288]);
    for (got, want) in [
        (svd(a.view()).unwrap().1, &want),
        (svd(a.t()).unwrap().1, &want),
        (svd(to_c(&a).view()).unwrap().1, &want),
    ] {
        for (g, w) in got.iter().zip(want.iter()) {
            assert!((g - w).abs() <= 1e-14 * w, "{g} vs {w}");
        }
    }
    // Singular values of a diagonal matrix, sorted.
    let d = arr2(&[[1.0, 0.0, 0.0], [0.0, -3.0, 0.0], [0.0, 0.0, 2.0]]);
    assert_eq!(svd(d.view()).unwrap().1, arr1(&[3.0, 2.0, 1.0]));
}

// ---- eig ----------------------------------------------------------------------

/// Residual max_i ||A v_i - w_i v_i|| relative to ||A||, plus unit-norm check.
fn eig_residual(a: &Array2<C>, w: &Array1<C>, v: &Array2<C>) -> f64 {
    let n = a.nrows();
    let av = mm(a, v);
    let mut worst = 0.0f64;
    for j in 0..n {
        let nv = norm(v.column(j));
        assert!((nv - 1.0).abs() <= 1e-14, "eigenvector {j} has norm {nv}");
        let r: Array1<C> = (0..n).map(|i| av[[i, j]] - w[j] * v[[i, j]]).collect();
        worst = worst.max(norm(r.view()));
    }
    worst / norm(a.view()).max(f64::MIN_POSITIVE)
}

fn check_eig_real(a: &Array2<f64>, tol: f64) -> (Array1<C>, Array2<C>) {
    let (w, v) = eig(a.view()).unwrap();
    let res = eig_residual(&to_c(a), &w, &v);
    assert!(res <= tol, "residual {res:e} for {a:?}");
    // Conjugate-pair structure: exact pairs, positive imaginary part first.
    let n = w.len();
    let mut j = 0;
    while j < n {
        if w[j].im == 0.0 {
            assert!(v.column(j).iter().all(|x| x.im == 0.0));
            j += 1;
        } else {
            assert!(w[j].im > 0.0 && j + 1 < n);
            assert_eq!(w[j + 1], w[j].conj());
            for i in 0..n {
                assert_eq!(v[[i, j + 1]], v[[i, j]].conj());
            }
            j += 2;
        }
    }
    // Sum and product of eigenvalues.
    let tr = w.iter().sum::<C>();
    assert!((tr.re - trace(a.view())).abs() <= 1e-12 * norm(a.view()).max(1.0));
    assert!(tr.im.abs() <= 1e-12 * norm(a.view()).max(1.0));
    (w, v)
}

#[test]
fn eig_rotation_and_companion() {
    let th: f64 = 0.7;
    let rot = arr2(&[[th.cos(), -th.sin()], [th.sin(), th.cos()]]);
    let (w, _) = check_eig_real(&rot, 1e-15);
    assert!((w[0] - c(th.cos(), th.sin())).norm() <= 1e-15);
    // 90-degree rotation in 3-D.
    let r3 = arr2(&[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]);
    let (w, _) = check_eig_real(&r3, 1e-15);
    let mut got: Vec<C> = w.to_vec();
    got.sort_by(|a, b| a.re.total_cmp(&b.re).then(a.im.total_cmp(&b.im)));
    assert!(
        max_diff(
            &Array1::from(got),
            &arr1(&[c(0.0, -1.0), c(0.0, 1.0), c(2.0, 0.0)])
        ) <= 1e-15
    );
    // Companion matrix of (x-1)(x-2)(x^2+1) = x^4 - 3x^3 + 3x^2 - 3x + 2.
    let comp = arr2(&[
        [3.0, -3.0, 3.0, -2.0],
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0, 0.0],
    ]);
    let (w, _) = check_eig_real(&comp, 1e-14);
    for want in [c(1.0, 0.0), c(2.0, 0.0), c(0.0, 1.0), c(0.0, -1.0)] {
        assert!(
            w.iter().any(|&x| (x - want).norm() <= 1e-13),
            "{want} not in {w:?}"
        );
    }
}

#[test]
fn eig_random_real() {
    for n in [1, 2, 3, 4, 5, 8, 13, 20, 30] {
        let a = rand_mat::<f64>(n, n, 100 + n as u64);
        check_eig_real(&a, 1e-14);
    }
    // Symmetric: all real.
    let b = rand_mat::<f64>(6, 6, 7);
    let s = &b + &b.t();
    let (w, _) = check_eig_real(&s, 1e-14);
    assert!(w.iter().all(|x| x.im == 0.0));
    // Triangular, diagonal, zero, identity, defective, tiny and huge.
    check_eig_real(
        &arr2(&[[1.0, 2.0, 3.0], [0.0, 4.0, 5.0], [0.0, 0.0, 6.0]]),
        1e-15,
    );
    check_eig_real(&Array2::zeros((4, 4)), 0.0);
    check_eig_real(&eye(5), 1e-15);
    let (w, _) = eig(arr2(&[[1.0, 1.0], [0.0, 1.0]]).view()).unwrap();
    assert_eq!(w, arr1(&[c(1.0, 0.0), c(1.0, 0.0)]));
    check_eig_real(&rand_mat::<f64>(5, 5, 3).mapv(|x| x * 1e-200), 1e-14);
    check_eig_real(&rand_mat::<f64>(5, 5, 3).mapv(|x| x * 1e200), 1e-14);
    let (w, v) = eig(Array2::<f64>::zeros((0, 0)).view()).unwrap();
    assert_eq!((w.len(), v.dim()), (0, (0, 0)));
}

#[test]
fn eig_matches_numpy() {
    let a = arr2(&[[1.0, 2.0, 0.0], [-3.0, 1.0, 1.0], [0.5, 0.0, 2.0]]);
    let (w, v) = check_eig_real(&a, 1e-15);
    let w_np = [
        c(0.931441440164984, 2.4801649033985598),
        c(0.931441440164984, -2.4801649033985598),
        c(2.137117119670032, 0.0),
    ];
    let v_np = arr2(&[
        [
            c(0.017225567102534204, 0.6231497142246254),
            c(0.017225567102534204, -0.6231497142246254),
            c(0.26152976030521236, 0.0),
        ],
        [
            c(-0.7733475054278245, 0.0),
            c(-0.7733475054278245, -0.0),
            c(0.14869498387312863, 0.0),
        ],
        [
            c(0.10469629253173668, -0.04858019841904162),
            c(0.10469629253173668, 0.04858019841904162),
            c(0.9536728926868312, 0.0),
        ],
    ]);
    assert_eigen_match(&w, &v, &w_np, &v_np, 1e-13);
}

/// Matches eigenpairs by eigenvalue; eigenvectors agree up to a unit
/// factor (compared after aligning phases).
fn assert_eigen_match(w: &Array1<C>, v: &Array2<C>, w_np: &[C], v_np: &Array2<C>, tol: f64) {
    for (jn, &wn) in w_np.iter().enumerate() {
        let j = (0..w.len())
            .min_by(|&a, &b| (w[a] - wn).norm().total_cmp(&(w[b] - wn).norm()))
            .unwrap();
        assert!(
            (w[j] - wn).norm() <= tol * wn.norm().max(1.0),
            "{} vs {wn}",
            w[j]
        );
        let ours = v.column(j);
        let theirs = v_np.column(jn);
        let ph = vecdot(ours, theirs).unwrap();
        assert!((ph.norm() - 1.0).abs() <= tol);
        let aligned: Array1<C> = ours.mapv(|x| x * ph);
        assert!(max_diff(&aligned, &theirs.to_owned()) <= tol);
    }
}

#[test]
fn eig_complex_input() {
    let ce = arr2(&[
        [c(1.0, 2.0), c(0.5, 0.0), c(0.0, -1.0)],
        [c(2.0, 0.0), c(3.0, -1.0), c(1.0, 0.0)],
        [c(0.0, 0.0), c(0.0, 1.0), c(-1.0, 0.0)],
    ]);
    let (w, v) = eig(ce.view()).unwrap();
    assert!(eig_residual(&ce, &w, &v) <= 1e-15);
    let w_np = [
        c(3.265549308009848, -0.4360204476532934),
        c(0.5871700024211253, 1.839286265521493),
        c(-0.8527193104309727, -0.40326581786820137),
    ];
    let v_np = arr2(&[
        [
            c(0.1377228514320999, 0.15805381495265075),
            c(0.8659970007614688, 0.0),
            c(0.2798481660165676, 0.14254562909072177),
        ],
        [
            c(0.9522249403046442, 0.0),
            c(-0.33634516603198533, -0.31732167390398797),
            c(-0.35181012657467364, -0.12848804868509645),
        ],
        [
            c(-0.022583028896583153, 0.22092776566108163),
            c(-0.019483224912432824, -0.18933695671167722),
            c(0.8724025468720861, 0.0),
        ],
    ]);
    assert_eigen_match(&w, &v, &w_np, &v_np, 1e-13);
    // Largest component real and positive (as zgeev), so exact match.
    for j in 0..3 {
        let jn = (0..3)
            .min_by(|&a, &b| (w_np[a] - w[j]).norm().total_cmp(&(w_np[b] - w[j]).norm()))
            .unwrap();
        assert!(max_diff(&v.column(j).to_owned(), &v_np.column(jn).to_owned()) <= 1e-13);
    }
    for n in [1, 2, 3, 5, 10, 25] {
        let a = rand_mat::<C>(n, n, 300 + n as u64);
        let (w, v) = eig(a.view()).unwrap();
        assert!(eig_residual(&a, &w, &v) <= 1e-14, "n={n}");
    }
    // A real matrix through the complex path agrees with the real path.
    let r = rand_mat::<f64>(7, 7, 77);
    let (wc, vc) = eig(to_c(&r).view()).unwrap();
    assert!(eig_residual(&to_c(&r), &wc, &vc) <= 1e-14);
    let (wr, _) = eig(r.view()).unwrap();
    for x in wr.iter() {
        assert!(wc.iter().any(|y| (x - y).norm() <= 1e-12));
    }
    let z = Array2::<C>::zeros((3, 3));
    let (w, v) = eig(z.view()).unwrap();
    assert_eq!(w, Array1::zeros(3));
    assert_orthonormal_cols(&v, 1e-15);
}

#[test]
fn eig_errors() {
    assert_eq!(
        eig(Array2::<f64>::zeros((2, 3)).view()),
        Err(LinalgError::NotSquare { rows: 2, cols: 3 })
    );
    assert_eq!(
        eig(arr2(&[[1.0, f64::NAN], [0.0, 1.0]]).view()),
        Err(LinalgError::NonFinite)
    );
    assert_eq!(
        eig(arr2(&[[c(f64::INFINITY, 0.0)]]).view()),
        Err(LinalgError::NonFinite)
    );
    let e = LinalgError::NoConvergence { routine: "eig" };
    assert!(e.to_string().contains("did not converge"));
}

// ---- eigh ---------------------------------------------------------------------

fn check_eigh<T: Rand>(seed: u64) {
    for n in [1, 2, 3, 4, 7, 12, 25] {
        let b = rand_mat::<T>(n, n, seed + n as u64);
        let a = &b + &adjoint(&b);
        let (w, v) = eigh(a.view()).unwrap();
        assert_orthonormal_cols(&v, 50.0 * EPS);
        for p in w.windows(2) {
            assert!(p[0] <= p[1]);
        }
        let wv = Array2::from_shape_fn((n, n), |(i, j)| v[[i, j]].scale(w[j]));
        let e = max_diff(&mm(&a, &v), &wv);
        assert!(e <= 50.0 * EPS * norm(a.view()), "n={n}: {e:e}");
        let tr: f64 = w.sum();
        assert!((tr - trace(a.view()).re()).abs() <= 1e-13 * norm(a.view()));
    }
}

#[test]
fn eigh_identities() {
    check_eigh::<f64>(500);
    check_eigh::<C>(600);
    let (w, v) = eigh(Array2::<f64>::zeros((3, 3)).view()).unwrap();
    assert_eq!(w, Array1::<f64>::zeros(3));
    assert_eq!(v, eye(3));
    let (w, _) = eigh(arr2(&[[3.0, 0.0], [0.0, -1.0]]).view()).unwrap();
    assert_eq!(w, arr1(&[-1.0, 3.0]));
    let (w, v) = eigh(Array2::<C>::zeros((0, 0)).view()).unwrap();
    assert_eq!((w.len(), v.dim()), (0, (0, 0)));
    // Pauli Y: eigenvalues -1, 1.
    let y = arr2(&[[c(0.0, 0.0), c(0.0, -1.0)], [c(0.0, 1.0), c(0.0, 0.0)]]);
    let (w, _) = eigh(y.view()).unwrap();
    assert!(max_diff(&w, &arr1(&[-1.0, 1.0])) <= 1e-15);
}

#[test]
fn eigh_matches_numpy_and_reads_lower() {
    let h = arr2(&[[4.0, 1.0, -2.0], [1.0, 2.0, 0.0], [-2.0, 0.0, 3.0]]);
    let (w, v) = eigh(h.view()).unwrap();
    let w_np = arr1(&[1.0, 2.267949192431123, 5.732050807568877]);
    let v_np: Array2<f64> = arr2(&[
        [-0.5773502691896255, 0.21132486540518702, -0.788675134594813],
        [0.5773502691896257, 0.7886751345948128, -0.21132486540518713],
        [-0.5773502691896257, 0.5773502691896258, 0.5773502691896257],
    ]);
    assert!(max_diff(&w, &w_np) <= 1e-14);
    for j in 0..3 {
        let sign = v[[0, j]].signum() * v_np[[0, j]].signum();
        let ours = v.column(j).mapv(|x| x * sign);
        assert!(max_diff(&ours, &v_np.column(j).to_owned()) <= 1e-14);
    }
    // Upper triangle ignored (even NaN).
    let mut g = h.clone();
    g[[0, 1]] = f64::NAN;
    g[[0, 2]] = 100.0;
    assert_eq!(eigh(g.view()).unwrap().0, w);
}

#[test]
fn eigh_errors() {
    assert_eq!(
        eigh(Array2::<f64>::zeros((3, 1)).view()),
        Err(LinalgError::NotSquare { rows: 3, cols: 1 })
    );
    assert_eq!(
        eigh(arr2(&[[1.0, 0.0], [f64::NAN, 1.0]]).view()),
        Err(LinalgError::NonFinite)
    );
}

// ---- lstsq ----------------------------------------------------------------------

#[test]
fn lstsq_overdetermined() {
    let a = arr2(&[[1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.5]]);
    let b = arr1(&[1.0, 2.5, 2.9, 4.2]);
    let x = lstsq(a.view(), b.view()).unwrap();
    let want = arr1(&[0.38317757009345904, 0.8635514018691594]);
    assert!(max_diff(&x, &want) <= 1e-14);
    for (i, &(m, n)) in [(6, 3), (10, 4), (5, 5), (30, 7)].iter().enumerate() {
        for_both(m, n, 700 + i as u64);
    }
}

fn for_both(m: usize, n: usize, seed: u64) {
    fn go<T: Rand>(m: usize, n: usize, seed: u64) {
        let a = rand_mat::<T>(m, n, seed);
        let b = rand_mat::<T>(m, 2, seed + 1);
        let x = lstsq(a.view(), b.view()).unwrap();
        assert_eq!(x.dim(), (n, 2));
        // Normal equations: A^H (A x - b) = 0.
        let r = mm(&a, &x) - &b;
        let g = mm(&adjoint(&a), &r);
        let scale = norm(a.view()) * (norm(a.view()) * norm(x.view()) + norm(b.view()));
        assert!(norm(g.view()) <= 50.0 * EPS * scale, "{m}x{n}");
    }
    go::<f64>(m, n, seed);
    go::<C>(m, n, seed);
}

#[test]
fn lstsq_underdetermined_min_norm() {
    // NumPy: [0.19999999999999857, 0.3999999999999997, 6.405813776387051e-16]
    let a = arr2(&[[1.0, 2.0, 3.0], [2.0, 4.0, 6.5]]);
    let b = arr1(&[1.0, 2.0]);
    let x = lstsq(a.view(), b.view()).unwrap();
    assert!(max_diff(&x, &arr1(&[0.2, 0.4, 0.0])) <= 1e-14);
    fn go<T: Rand>(seed: u64) {
        let (m, n) = (3, 7);
        let a = rand_mat::<T>(m, n, seed);
        let b = rand_vec::<T>(m, seed + 1);
        let x = lstsq(a.view(), b.view()).unwrap();
        // Exact solution...
        let r = matvec(a.view(), x.view()).unwrap();
        assert!(max_diff(&r, &b) <= 1e-14);
        // ...of minimum norm: x lies in the row space, x = A^H y.
        let y = lstsq(adjoint(&a).view(), x.view()).unwrap();
        let back = matvec(adjoint(&a).view(), y.view()).unwrap();
        assert!(max_diff(&back, &x) <= 1e-14);
    }
    go::<f64>(800);
    go::<C>(801);
    // Rank-deficient square: minimum-norm solution ignores the null space.
    let s = arr2(&[[1.0, 1.0], [1.0, 1.0]]);
    let x = lstsq(s.view(), arr1(&[2.0, 2.0]).view()).unwrap();
    assert!(max_diff(&x, &arr1(&[1.0, 1.0])) <= 1e-15);
    let x = lstsq(Array2::<f64>::zeros((0, 3)).view(), Array1::zeros(0).view()).unwrap();
    assert_eq!(x, Array1::<f64>::zeros(3));
    let x = lstsq(
        Array2::<f64>::zeros((2, 2)).view(),
        arr1(&[1.0, 1.0]).view(),
    )
    .unwrap();
    assert_eq!(x, Array1::<f64>::zeros(2));
}

#[test]
fn lstsq_errors() {
    let a = Array2::<f64>::zeros((3, 2));
    assert_eq!(
        lstsq(a.view(), Array1::zeros(2).view()),
        Err(LinalgError::DimensionMismatch {
            op: "lstsq",
            left: vec![3, 2],
            right: vec![2]
        })
    );
    assert_eq!(
        lstsq(a.view(), arr1(&[1.0, f64::NAN, 0.0]).view()),
        Err(LinalgError::NonFinite)
    );
    let big = 1usize << 40;
    let e = lstsq(
        ArrayView2::<f64>::from_shape((0, big), &[]).unwrap(),
        ArrayView2::<f64>::from_shape((0, big), &[]).unwrap(),
    );
    assert!(matches!(e, Err(LinalgError::TooLarge { .. })));
}

#[test]
fn error_messages() {
    assert_eq!(
        LinalgError::NotSquare { rows: 2, cols: 3 }.to_string(),
        "matrix must be square, but it has 2 rows and 3 columns"
    );
    assert!(LinalgError::NonFinite.to_string().contains("NaN"));
    let e: Box<dyn std::error::Error> = Box::new(LinalgError::Singular);
    assert!(e.to_string().starts_with("matrix is singular"));
}

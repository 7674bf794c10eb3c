//! Reference dense linear algebra: slow, straightforward, accurate, and never
//! panicking.
//!
//! These routines are the oracle that the BLAS/LAPACK code paths of the
//! engines are tested against, so they favour textbook algorithms with
//! well-understood accuracy over speed:
//!
//! | routine       | algorithm                                                        |
//! |---------------|------------------------------------------------------------------|
//! | [`matmul`]    | triple loop, `i-k-j` order (row-major friendly)                  |
//! | [`inv`], [`solve`], [`det`] | LU with partial pivoting (`getrf`-style)           |
//! | [`cholesky`]  | column-oriented Cholesky–Crout on the lower triangle              |
//! | [`qr`]        | Householder reflections with LAPACK's `larfg` sign convention    |
//! | [`svd`], [`lstsq`] | one-sided (Hestenes) Jacobi SVD                             |
//! | [`eigh`]      | cyclic two-sided Jacobi                                          |
//! | [`eig`] (real)    | Householder Hessenberg reduction + Francis double-shift QR (`gehrd` + EISPACK `hqr2`) |
//! | [`eig`] (complex) | Householder Hessenberg reduction + single-shift complex QR + triangular back-substitution |
//!
//! Everything is generic over the sealed [`Field`] trait, implemented by
//! `f64` and [`Complex64`]; callers upcast `f32`/`complex64` first.
//!
//! Conventions follow NumPy (`numpy.linalg`): reduced QR and SVD, `eigh`
//! reading the lower triangle with ascending eigenvalues, `eig` returning
//! unit-norm eigenvectors as columns, `lstsq` with `rcond = eps * max(m, n)`.
//!
//! Every failure is a [`LinalgError`]: shape errors, NaN/infinity in the
//! input ([`LinalgError::NonFinite`]), singular or indefinite matrices, and
//! iteration caps on the iterative algorithms ([`LinalgError::NoConvergence`]).

use std::fmt::{self, Debug};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use ndarray::{Array, Array1, Array2, ArrayView, ArrayView1, ArrayView2, Dimension, Ix2};
use num_complex::Complex64;
use num_traits::{One, Zero};

const EPS: f64 = f64::EPSILON;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a linear-algebra routine failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinalgError {
    /// The routine needs a square matrix.
    NotSquare {
        /// Number of rows of the offending matrix.
        rows: usize,
        /// Number of columns of the offending matrix.
        cols: usize,
    },
    /// The matrix is singular, or numerically singular: LU with partial
    /// pivoting met a pivot `|u_kk| <= n * eps * max|a_ij|`.
    Singular,
    /// Cholesky factorisation failed: the leading minor ending at `column`
    /// (0-based) is not positive.
    NotPositiveDefinite {
        /// 0-based column at which a non-positive (or NaN) pivot appeared.
        column: usize,
    },
    /// The input contains NaN or infinity (or, rarely, the computation
    /// overflowed).
    NonFinite,
    /// The operands' shapes are incompatible.
    DimensionMismatch {
        /// The operation that was attempted.
        op: &'static str,
        /// Shape of the left operand.
        left: Vec<usize>,
        /// Shape of the right operand.
        right: Vec<usize>,
    },
    /// An iterative algorithm hit its iteration cap.
    NoConvergence {
        /// The algorithm that did not converge.
        routine: &'static str,
    },
    /// The result would have more elements than can be allocated.
    TooLarge {
        /// Rows of the would-be result.
        rows: usize,
        /// Columns of the would-be result.
        cols: usize,
    },
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::NotSquare { rows, cols } => write!(
                f,
                "matrix must be square, but it has {rows} rows and {cols} columns"
            ),
            LinalgError::Singular => write!(
                f,
                "matrix is singular: cannot solve or invert \
                 (a pivot was zero or below n*eps*max|a_ij|)"
            ),
            LinalgError::NotPositiveDefinite { column } => write!(
                f,
                "matrix is not positive definite: cholesky failed at column {column} (0-based)"
            ),
            LinalgError::NonFinite => {
                write!(
                    f,
                    "matrix contains NaN or infinity (or the computation overflowed)"
                )
            }
            LinalgError::DimensionMismatch { op, left, right } => write!(
                f,
                "dimension mismatch in {op}: left operand has shape {left:?}, \
                 right operand has shape {right:?}"
            ),
            LinalgError::NoConvergence { routine } => {
                write!(f, "{routine} did not converge within its iteration limit")
            }
            LinalgError::TooLarge { rows, cols } => {
                write!(
                    f,
                    "result of shape [{rows}, {cols}] is too large to allocate"
                )
            }
        }
    }
}

impl std::error::Error for LinalgError {}

/// Result type of this module.
pub type LinalgResult<T> = Result<T, LinalgError>;

// ---------------------------------------------------------------------------
// The scalar trait
// ---------------------------------------------------------------------------

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for num_complex::Complex64 {}
}

/// A scalar field the routines work over: `f64` or [`Complex64`].
///
/// The trait is sealed; convert `f32` / `Complex32` data up before calling.
pub trait Field:
    sealed::Sealed
    + Copy
    + Debug
    + PartialEq
    + Zero
    + One
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Send
    + Sync
    + 'static
{
    /// Whether the type is complex.
    const IS_COMPLEX: bool;
    /// Embeds a real number.
    fn from_f64(x: f64) -> Self;
    /// Builds `re + i*im`; real types ignore `im`.
    fn from_parts(re: f64, im: f64) -> Self;
    /// Real part.
    fn re(self) -> f64;
    /// Imaginary part (0 for real types).
    fn im(self) -> f64;
    /// Complex conjugate (identity for real types).
    fn conj(self) -> Self;
    /// Modulus `|x|`, computed without undue overflow.
    fn abs(self) -> f64;
    /// `|re| + |im|`, the cheap norm LAPACK uses for pivoting.
    fn abs1(self) -> f64;
    /// Multiplies by a real number.
    fn scale(self, s: f64) -> Self;
    /// Whether both parts are finite.
    fn is_finite(self) -> bool;
    /// Converts to [`Complex64`].
    fn to_c64(self) -> Complex64;
    /// Division `self / d` that neither overflows nor underflows needlessly
    /// (Smith's algorithm for complex numbers; plain division for reals).
    fn sdiv(self, d: Self) -> Self;
    /// Implementation of [`eig`] for this scalar type.
    #[doc(hidden)]
    fn eig_impl(a: ArrayView2<'_, Self>) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)>;
}

impl Field for f64 {
    const IS_COMPLEX: bool = false;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn from_parts(re: f64, _im: f64) -> Self {
        re
    }
    fn re(self) -> f64 {
        self
    }
    fn im(self) -> f64 {
        0.0
    }
    fn conj(self) -> Self {
        self
    }
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    fn abs1(self) -> f64 {
        f64::abs(self)
    }
    fn scale(self, s: f64) -> Self {
        self * s
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn to_c64(self) -> Complex64 {
        Complex64::new(self, 0.0)
    }
    fn sdiv(self, d: Self) -> Self {
        self / d
    }
    fn eig_impl(a: ArrayView2<'_, Self>) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)> {
        eig_real(a)
    }
}

impl Field for Complex64 {
    const IS_COMPLEX: bool = true;
    fn from_f64(x: f64) -> Self {
        Complex64::new(x, 0.0)
    }
    fn from_parts(re: f64, im: f64) -> Self {
        Complex64::new(re, im)
    }
    fn re(self) -> f64 {
        self.re
    }
    fn im(self) -> f64 {
        self.im
    }
    fn conj(self) -> Self {
        Complex64::conj(&self)
    }
    fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
    fn abs1(self) -> f64 {
        self.re.abs() + self.im.abs()
    }
    fn scale(self, s: f64) -> Self {
        Complex64::new(self.re * s, self.im * s)
    }
    fn is_finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }
    fn to_c64(self) -> Complex64 {
        self
    }
    fn sdiv(self, d: Self) -> Self {
        smith_div(self, d)
    }
    fn eig_impl(a: ArrayView2<'_, Self>) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)> {
        eig_complex(a)
    }
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// Complex division by Smith's algorithm (no overflow/underflow of `|d|^2`).
fn smith_div(a: Complex64, d: Complex64) -> Complex64 {
    if d.im.abs() <= d.re.abs() {
        if d.re == 0.0 {
            // d == 0: IEEE semantics of the naive formula.
            return Complex64::new(a.re / d.re, a.im / d.re);
        }
        let r = d.im / d.re;
        let den = d.re + d.im * r;
        Complex64::new((a.re + a.im * r) / den, (a.im - a.re * r) / den)
    } else {
        let r = d.re / d.im;
        let den = d.im + d.re * r;
        Complex64::new((a.re * r + a.im) / den, (a.im * r - a.re) / den)
    }
}

/// `x * 2^e` without intermediate overflow of the power of two.
fn mul_pow2(mut x: f64, mut e: i32) -> f64 {
    let big = 2f64.powi(1000);
    while e > 1000 {
        x *= big;
        e -= 1000;
    }
    while e < -1000 {
        x /= big;
        e += 1000;
    }
    x * 2f64.powi(e)
}

/// `x * 2^e` for a field element.
fn mul_pow2_t<T: Field>(x: T, e: i32) -> T {
    T::from_parts(mul_pow2(x.re(), e), mul_pow2(x.im(), e))
}

/// `x / d` for a real divisor, componentwise (no reciprocal that could
/// overflow).
fn rdiv<T: Field>(x: T, d: f64) -> T {
    T::from_parts(x.re() / d, x.im() / d)
}

/// Exponent `e` such that `amax * 2^-e` lies in `[0.5, 2)`; 0 for zero or
/// non-finite `amax`. Scaling by powers of two is exact.
fn scale_exponent(amax: f64) -> i32 {
    if amax > 0.0 && amax.is_finite() {
        amax.log2().floor() as i32
    } else {
        0
    }
}

fn shape2<T>(a: &ArrayView2<'_, T>) -> Vec<usize> {
    a.shape().to_vec()
}

fn square<T>(a: &ArrayView2<'_, T>) -> LinalgResult<usize> {
    let (rows, cols) = a.dim();
    if rows == cols {
        Ok(rows)
    } else {
        Err(LinalgError::NotSquare { rows, cols })
    }
}

fn check_finite<'a, T: Field>(it: impl IntoIterator<Item = &'a T>) -> LinalgResult<()> {
    if it.into_iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(LinalgError::NonFinite)
    }
}

/// Checks the lower triangle (diagonal included) of a square matrix.
fn check_finite_lower<T: Field>(a: &ArrayView2<'_, T>) -> LinalgResult<()> {
    for ((i, j), x) in a.indexed_iter() {
        if j <= i && !x.is_finite() {
            return Err(LinalgError::NonFinite);
        }
    }
    Ok(())
}

/// Zero matrix, refusing shapes whose byte size would overflow `isize`
/// (which would make ndarray or the allocator panic).
fn zeros2<T: Field>(rows: usize, cols: usize) -> LinalgResult<Array2<T>> {
    let ok = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(std::mem::size_of::<T>()))
        .is_some_and(|b| b <= isize::MAX as usize);
    if ok {
        Ok(Array2::zeros((rows, cols)))
    } else {
        Err(LinalgError::TooLarge { rows, cols })
    }
}

/// Largest modulus of the entries (0 for empty input).
fn max_abs<'a, T: Field>(it: impl IntoIterator<Item = &'a T>) -> f64 {
    it.into_iter().fold(0.0, |m: f64, x| m.max(x.abs()))
}

/// Euclidean norm of a sequence of scalars, scaled to avoid overflow and
/// underflow. NaN if any entry is NaN, infinity if any is infinite.
fn nrm2<'a, T: Field>(it: impl IntoIterator<Item = &'a T> + Clone) -> f64 {
    let mut scale = 0.0f64;
    for x in it.clone() {
        for part in [x.re(), x.im()] {
            if part.is_nan() {
                return f64::NAN;
            }
            scale = scale.max(part.abs());
        }
    }
    if scale == 0.0 || scale.is_infinite() {
        return scale;
    }
    let mut ssq = 0.0;
    for x in it {
        // Divide (rather than multiply by 1/scale, which overflows for a
        // subnormal scale).
        let (r, i) = (x.re() / scale, x.im() / scale);
        ssq += r * r + i * i;
    }
    scale * ssq.sqrt()
}

/// Sum of squared moduli.
fn sumsq<T: Field>(x: &[T]) -> f64 {
    x.iter().map(|v| v.re() * v.re() + v.im() * v.im()).sum()
}

/// `sum conj(x_i) * y_i`.
fn cdot<T: Field>(x: &[T], y: &[T]) -> T {
    x.iter()
        .zip(y)
        .fold(T::zero(), |acc, (&a, &b)| acc + a.conj() * b)
}

/// Converts a 1-D or 2-D right-hand side to an owned 2-D matrix.
fn rhs_to_2d<T: Field, D: Dimension>(
    op: &'static str,
    left: Vec<usize>,
    b: &ArrayView<'_, T, D>,
) -> LinalgResult<Array2<T>> {
    let mismatch = || LinalgError::DimensionMismatch {
        op,
        left: left.clone(),
        right: b.shape().to_vec(),
    };
    match b.ndim() {
        1 => Array2::from_shape_vec((b.len(), 1), b.iter().copied().collect())
            .map_err(|_| mismatch()),
        2 => b
            .view()
            .into_dimensionality::<Ix2>()
            .map(|v| v.to_owned())
            .map_err(|_| mismatch()),
        _ => Err(mismatch()),
    }
}

/// Converts a 2-D solution back to the dimensionality of the right-hand side,
/// with `rows` rows.
fn rhs_from_2d<T: Field, D: Dimension>(
    op: &'static str,
    x: Array2<T>,
    b: &ArrayView<'_, T, D>,
    rows: usize,
) -> LinalgResult<Array<T, D>> {
    let mut dim = b.raw_dim();
    if dim.ndim() == 0 {
        return Err(LinalgError::DimensionMismatch {
            op,
            left: x.shape().to_vec(),
            right: b.shape().to_vec(),
        });
    }
    dim[0] = rows;
    let shape = x.shape().to_vec();
    Array::from_shape_vec(dim, x.iter().copied().collect()).map_err(|_| {
        LinalgError::DimensionMismatch {
            op,
            left: shape,
            right: b.shape().to_vec(),
        }
    })
}

// ---------------------------------------------------------------------------
// Products, norms, trace
// ---------------------------------------------------------------------------

/// Matrix product `A B` (`numpy.matmul` for 2-D operands).
///
/// A plain triple loop in `i-k-j` order. NaN and infinity propagate as in
/// IEEE arithmetic. Errors with [`LinalgError::DimensionMismatch`] if
/// `a.ncols() != b.nrows()`.
pub fn matmul<T: Field>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>) -> LinalgResult<Array2<T>> {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    if k != k2 {
        return Err(LinalgError::DimensionMismatch {
            op: "matmul",
            left: shape2(&a),
            right: shape2(&b),
        });
    }
    let mut c = zeros2::<T>(m, n)?;
    for (a_row, mut c_row) in a.outer_iter().zip(c.outer_iter_mut()) {
        for (&aik, b_row) in a_row.iter().zip(b.outer_iter()) {
            for (cij, &bkj) in c_row.iter_mut().zip(b_row.iter()) {
                *cij += aik * bkj;
            }
        }
    }
    Ok(c)
}

/// Matrix–vector product `A x`.
///
/// Errors with [`LinalgError::DimensionMismatch`] if `a.ncols() != x.len()`.
pub fn matvec<T: Field>(a: ArrayView2<'_, T>, x: ArrayView1<'_, T>) -> LinalgResult<Array1<T>> {
    if a.ncols() != x.len() {
        return Err(LinalgError::DimensionMismatch {
            op: "matvec",
            left: shape2(&a),
            right: x.shape().to_vec(),
        });
    }
    Ok(a.outer_iter()
        .map(|row| {
            row.iter()
                .zip(x.iter())
                .fold(T::zero(), |acc, (&r, &v)| acc + r * v)
        })
        .collect())
}

/// Unconjugated dot product `sum x_i y_i` (`numpy.dot` for 1-D operands).
///
/// Errors with [`LinalgError::DimensionMismatch`] on different lengths.
pub fn dot<T: Field>(x: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> LinalgResult<T> {
    if x.len() != y.len() {
        return Err(LinalgError::DimensionMismatch {
            op: "dot",
            left: x.shape().to_vec(),
            right: y.shape().to_vec(),
        });
    }
    Ok(x.iter()
        .zip(y.iter())
        .fold(T::zero(), |acc, (&a, &b)| acc + a * b))
}

/// Vector dot product conjugating the first argument, `sum conj(x_i) y_i`
/// (`numpy.vecdot` / `numpy.vdot`); equal to [`dot`] for real data.
///
/// Errors with [`LinalgError::DimensionMismatch`] on different lengths.
pub fn vecdot<T: Field>(x: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> LinalgResult<T> {
    if x.len() != y.len() {
        return Err(LinalgError::DimensionMismatch {
            op: "vecdot",
            left: x.shape().to_vec(),
            right: y.shape().to_vec(),
        });
    }
    Ok(x.iter()
        .zip(y.iter())
        .fold(T::zero(), |acc, (&a, &b)| acc + a.conj() * b))
}

/// 2-norm of the flattened array: the vector 2-norm for 1-D input and the
/// Frobenius norm for 2-D input (`numpy.linalg.norm` with `ord=None`).
///
/// Computed with scaling, so it neither overflows nor underflows needlessly.
/// NaN input gives NaN and infinite input gives infinity (as NumPy).
pub fn norm<T: Field, D: Dimension>(x: ArrayView<'_, T, D>) -> f64 {
    nrm2(x.iter())
}

/// Sum of the diagonal `a[i, i]`, `i < min(rows, cols)` (`numpy.trace`;
/// non-square input is allowed, as in NumPy).
pub fn trace<T: Field>(a: ArrayView2<'_, T>) -> T {
    a.diag().iter().fold(T::zero(), |acc, &x| acc + x)
}

// ---------------------------------------------------------------------------
// LU: det, solve, inv
// ---------------------------------------------------------------------------

/// Packed LU factorisation `P A = L U` with unit lower `L`.
struct Lu<T> {
    lu: Array2<T>,
    /// Number of row interchanges is odd.
    odd: bool,
    /// Row `i` of `P A` is row `perm[i]` of `A`.
    perm: Vec<usize>,
    /// Smallest pivot modulus.
    min_pivot: f64,
}

/// LU with partial pivoting (pivot = largest `|re| + |im|`, as LAPACK's
/// `i?amax`). A column with an exactly zero pivot is skipped.
fn lu_factor<T: Field>(a: ArrayView2<'_, T>) -> Lu<T> {
    let n = a.nrows();
    let mut lu = a.to_owned();
    let mut perm: Vec<usize> = (0..n).collect();
    let mut odd = false;
    let mut min_pivot = f64::INFINITY;
    for k in 0..n {
        let mut p = k;
        let mut best = lu[[k, k]].abs1();
        for i in k + 1..n {
            let v = lu[[i, k]].abs1();
            if v > best {
                best = v;
                p = i;
            }
        }
        if p != k {
            for j in 0..n {
                lu.swap([k, j], [p, j]);
            }
            perm.swap(k, p);
            odd = !odd;
        }
        let pivot = lu[[k, k]];
        min_pivot = min_pivot.min(pivot.abs());
        if pivot == T::zero() {
            continue;
        }
        for i in k + 1..n {
            let l = lu[[i, k]].sdiv(pivot);
            lu[[i, k]] = l;
            if l != T::zero() {
                for j in k + 1..n {
                    let ukj = lu[[k, j]];
                    lu[[i, j]] -= l * ukj;
                }
            }
        }
    }
    Lu {
        lu,
        odd,
        perm,
        min_pivot,
    }
}

/// Factorises `a` for solving, applying the singularity rule.
fn lu_for_solve<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<Lu<T>> {
    let n = square(&a)?;
    check_finite(a.iter())?;
    let lu = lu_factor(a);
    let tol = n as f64 * EPS * max_abs(a.iter());
    if n > 0 && lu.min_pivot <= tol {
        return Err(LinalgError::Singular);
    }
    Ok(lu)
}

/// Solves `L U X = P B` in place on the rows of `b` (already permuted).
fn lu_solve_in_place<T: Field>(lu: &Array2<T>, b: &mut Array2<T>) {
    let n = lu.nrows();
    let nrhs = b.ncols();
    // Forward substitution with unit-diagonal L.
    for k in 0..n {
        for i in k + 1..n {
            let l = lu[[i, k]];
            if l != T::zero() {
                for j in 0..nrhs {
                    let bkj = b[[k, j]];
                    b[[i, j]] -= l * bkj;
                }
            }
        }
    }
    // Back substitution with U.
    for k in (0..n).rev() {
        let ukk = lu[[k, k]];
        for j in 0..nrhs {
            b[[k, j]] = b[[k, j]].sdiv(ukk);
        }
        for i in 0..k {
            let u = lu[[i, k]];
            if u != T::zero() {
                for j in 0..nrhs {
                    let bkj = b[[k, j]];
                    b[[i, j]] -= u * bkj;
                }
            }
        }
    }
}

/// Determinant via LU with partial pivoting (`numpy.linalg.det`).
///
/// A singular matrix has determinant 0 (not an error); the determinant of a
/// 0×0 matrix is 1. Errors: [`LinalgError::NotSquare`],
/// [`LinalgError::NonFinite`] for NaN/infinite entries. The product of the
/// pivots may overflow to infinity for large matrices, as in NumPy.
pub fn det<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<T> {
    square(&a)?;
    check_finite(a.iter())?;
    let lu = lu_factor(a);
    if lu.min_pivot == 0.0 {
        return Ok(T::zero());
    }
    let mut d = if lu.odd { -T::one() } else { T::one() };
    for x in lu.lu.diag() {
        d *= *x;
    }
    Ok(d)
}

/// Solves `A x = b` by LU with partial pivoting (`numpy.linalg.solve`).
///
/// `b` is a vector of length `n` (1-D) or an `n×k` matrix (2-D); the result
/// has the shape of `b`.
///
/// Singularity rule: the matrix is reported [`LinalgError::Singular`] if some
/// pivot `u_kk` satisfies `|u_kk| <= n * eps * max|a_ij|` (this includes an
/// exactly zero pivot). Such matrices have a condition number of order
/// `1/eps` or worse, where NumPy would return meaningless numbers.
///
/// Errors: [`LinalgError::NotSquare`], [`LinalgError::DimensionMismatch`]
/// (wrong length, or `b` not 1-D/2-D), [`LinalgError::NonFinite`],
/// [`LinalgError::Singular`].
pub fn solve<T: Field, D: Dimension>(
    a: ArrayView2<'_, T>,
    b: ArrayView<'_, T, D>,
) -> LinalgResult<Array<T, D>> {
    let n = square(&a)?;
    let mut b2 = rhs_to_2d("solve", shape2(&a), &b)?;
    if b2.nrows() != n {
        return Err(LinalgError::DimensionMismatch {
            op: "solve",
            left: shape2(&a),
            right: b.shape().to_vec(),
        });
    }
    check_finite(b2.iter())?;
    let lu = lu_for_solve(a)?;
    let mut pb = Array2::<T>::zeros(b2.dim());
    for (i, &p) in lu.perm.iter().enumerate() {
        pb.row_mut(i).assign(&b2.row(p));
    }
    b2 = pb;
    lu_solve_in_place(&lu.lu, &mut b2);
    rhs_from_2d("solve", b2, &b, n)
}

/// Matrix inverse by LU with partial pivoting (`numpy.linalg.inv`).
///
/// The inverse of a 0×0 matrix is 0×0. Uses the same singularity rule as
/// [`solve`]. Errors: [`LinalgError::NotSquare`], [`LinalgError::NonFinite`],
/// [`LinalgError::Singular`].
pub fn inv<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<Array2<T>> {
    let n = square(&a)?;
    let lu = lu_for_solve(a)?;
    let mut x = Array2::<T>::zeros((n, n));
    for (i, &p) in lu.perm.iter().enumerate() {
        x[[i, p]] = T::one();
    }
    lu_solve_in_place(&lu.lu, &mut x);
    Ok(x)
}

// ---------------------------------------------------------------------------
// Cholesky
// ---------------------------------------------------------------------------

/// Cholesky factorisation `A = L L^H` with `L` lower triangular and a
/// positive real diagonal (`numpy.linalg.cholesky`).
///
/// Only the lower triangle of `a` is read (the upper triangle is assumed to
/// mirror it, as LAPACK `potrf` with `UPLO='L'`); the imaginary parts of the
/// diagonal are ignored. Errors: [`LinalgError::NotSquare`],
/// [`LinalgError::NonFinite`] (NaN/infinity in the lower triangle),
/// [`LinalgError::NotPositiveDefinite`] with the failing column.
pub fn cholesky<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<Array2<T>> {
    let n = square(&a)?;
    check_finite_lower(&a)?;
    let mut l = Array2::<T>::zeros((n, n));
    for j in 0..n {
        let mut d = a[[j, j]].re();
        for k in 0..j {
            let v = l[[j, k]];
            d -= v.re() * v.re() + v.im() * v.im();
        }
        // NaN (from NaN-free but overflowing input) also fails.
        if d.is_nan() || d <= 0.0 || d.is_infinite() {
            return Err(LinalgError::NotPositiveDefinite { column: j });
        }
        let ljj = d.sqrt();
        l[[j, j]] = T::from_f64(ljj);
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]].conj();
            }
            l[[i, j]] = rdiv(s, ljj);
        }
    }
    Ok(l)
}

// ---------------------------------------------------------------------------
// Householder reflections and QR
// ---------------------------------------------------------------------------

/// LAPACK `?larfg`: given `x = [alpha, x1...]`, computes `H = I - tau v v^H`
/// with `v[0] = 1` such that `H^H x = [beta, 0...]`, `beta` real with
/// `beta = -sign(re(alpha)) * ||x||`. On return `x[0] = beta` and `x[1..]`
/// holds `v[1..]`. Returns `tau` (0 when no reflection is needed).
fn larfg<T: Field>(x: &mut [T]) -> T {
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
fn hessenberg<T: Field>(mut h: Array2<T>) -> (Array2<T>, Array2<T>) {
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
fn apply_reflector_left<T: Field>(
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
fn apply_reflector_right<T: Field>(
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
/// Errors: [`LinalgError::NonFinite`].
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

// ---------------------------------------------------------------------------
// SVD (one-sided Jacobi) and least squares
// ---------------------------------------------------------------------------

const JACOBI_MAX_SWEEPS: usize = 100;

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
fn jacobi_t(zeta: f64) -> f64 {
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

// ---------------------------------------------------------------------------
// Hermitian eigenproblem (cyclic Jacobi)
// ---------------------------------------------------------------------------

/// Eigen-decomposition of a real symmetric or complex Hermitian matrix
/// (`numpy.linalg.eigh` with `UPLO='L'`).
///
/// Only the lower triangle is read; the imaginary parts of the diagonal are
/// ignored. Returns the eigenvalues in ascending order and the orthonormal
/// eigenvectors as the columns of a matrix (column `i` belongs to
/// eigenvalue `i`). Eigenvectors are unique only up to a unit factor.
///
/// Algorithm: cyclic two-sided Jacobi rotations until every off-diagonal
/// element is below `eps * ||A||_F / n`, at most 100 sweeps.
/// Errors: [`LinalgError::NotSquare`], [`LinalgError::NonFinite`] (in the
/// lower triangle), [`LinalgError::NoConvergence`].
pub fn eigh<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<(Array1<f64>, Array2<T>)> {
    let n = square(&a)?;
    check_finite_lower(&a)?;
    // Hermitian copy from the lower triangle, scaled to max entry 1.
    let scale = (0..n)
        .flat_map(|i| (0..=i).map(move |j| (i, j)))
        .fold(0.0f64, |m, (i, j)| m.max(a[[i, j]].abs()));
    let ex = scale_exponent(scale);
    let mut h = Array2::<T>::zeros((n, n));
    for i in 0..n {
        h[[i, i]] = T::from_f64(mul_pow2(a[[i, i]].re(), -ex));
        for j in 0..i {
            let x = mul_pow2_t(a[[i, j]], -ex);
            h[[i, j]] = x;
            h[[j, i]] = x.conj();
        }
    }
    let mut v = Array2::<T>::eye(n);
    let fro = nrm2(h.iter());
    let tol = EPS * fro / (n.max(1) as f64);
    let mut converged = false;
    for _ in 0..JACOBI_MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let apq = h[[p, q]];
                let g = apq.abs();
                if g <= tol {
                    continue;
                }
                let (app, aqq) = (h[[p, p]].re(), h[[q, q]].re());
                let t = jacobi_t((aqq - app) / (2.0 * g));
                if t == 0.0 {
                    continue;
                }
                rotated = true;
                let c = 1.0 / t.hypot(1.0);
                let s = c * t;
                let ph = rdiv(apq, g);
                // J = [[c, s ph], [-s conj(ph), c]] on (p, q); H <- J^H H J.
                let sp = ph.scale(s);
                let spc = sp.conj();
                // Columns: H <- H J.
                for r in 0..n {
                    let (x, y) = (h[[r, p]], h[[r, q]]);
                    h[[r, p]] = x.scale(c) - y * spc;
                    h[[r, q]] = x * sp + y.scale(c);
                }
                // Rows: H <- J^H H.
                for col in 0..n {
                    let (x, y) = (h[[p, col]], h[[q, col]]);
                    h[[p, col]] = x.scale(c) - sp * y;
                    h[[q, col]] = spc * x + y.scale(c);
                }
                h[[p, q]] = T::zero();
                h[[q, p]] = T::zero();
                h[[p, p]] = T::from_f64(h[[p, p]].re());
                h[[q, q]] = T::from_f64(h[[q, q]].re());
                for r in 0..n {
                    let (x, y) = (v[[r, p]], v[[r, q]]);
                    v[[r, p]] = x.scale(c) - y * spc;
                    v[[r, q]] = x * sp + y.scale(c);
                }
            }
        }
        if !rotated {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(LinalgError::NoConvergence {
            routine: "eigh (cyclic Jacobi)",
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| h[[i, i]].re().total_cmp(&h[[j, j]].re()));
    let w: Array1<f64> = order
        .iter()
        .map(|&i| mul_pow2(h[[i, i]].re(), ex))
        .collect();
    let mut vs = Array2::<T>::zeros((n, n));
    for (dst, &src) in order.iter().enumerate() {
        vs.column_mut(dst).assign(&v.column(src));
    }
    Ok((w, vs))
}

// ---------------------------------------------------------------------------
// General eigenproblem
// ---------------------------------------------------------------------------

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
pub fn eig<T: Field>(a: ArrayView2<'_, T>) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)> {
    square(&a)?;
    check_finite(a.iter())?;
    let (w, v) = T::eig_impl(a)?;
    if w.iter().chain(v.iter()).all(|x| x.is_finite()) {
        Ok((w, v))
    } else {
        Err(LinalgError::NonFinite)
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
fn eig_real(a: ArrayView2<'_, f64>) -> LinalgResult<(Array1<Complex64>, Array2<Complex64>)> {
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
fn eig_complex(
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

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, arr2, Array3};

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
}

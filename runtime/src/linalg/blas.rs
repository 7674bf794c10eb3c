//! Matrix products on OpenBLAS: `gemm`, `gemv`, `dot`, `syrk`, `trsm` for
//! float32, float64, complex64 and complex128 (the `s`/`d`/`c`/`z`
//! routines), on arrays of any layout.
//!
//! Operands are passed without copies whenever BLAS can take their
//! strides: a row-major or column-major matrix with a positive leading
//! dimension (a column-major operand is passed as the transpose of a
//! row-major one, with the transpose flag flipped). Anything else — negative
//! or two non-unit strides — is copied once to C order first.
//!
//! BLAS is called from the thread that runs the program, never from inside
//! a rayon worker, so OpenBLAS's own threads and rayon's never run at the
//! same time; [`set_threads`] gives OpenBLAS the same thread count as the
//! engine.

use blaze_array::DenseView;
use blaze_datashape::Scalar;
use blaze_interp::linalg::checks::require_square;
use blaze_interp::{Array, Element, EvalError};
use ndarray::{
    Array1, Array2, ArrayD, ArrayView1, ArrayView2, ArrayViewD, CowArray, Ix1, Ix2, IxDyn,
};
use std::os::raw::c_int;

pub use super::blas_ffi::BlasScalar;

extern "C" {
    fn openblas_set_num_threads(n: c_int);
    fn openblas_get_num_threads() -> c_int;
}

/// Makes OpenBLAS use `n` threads (0: one per core, its default).
pub fn set_threads(n: usize) {
    let n = if n == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        n
    };
    // SAFETY: plain setters of OpenBLAS's global thread count.
    unsafe {
        if openblas_get_num_threads() != n as c_int {
            openblas_set_num_threads(n.min(c_int::MAX as usize) as c_int);
        }
    }
}

/// The number of threads OpenBLAS uses now.
pub fn threads() -> usize {
    // SAFETY: a plain getter.
    unsafe { openblas_get_num_threads().max(1) as usize }
}

/// A BLAS dimension: errors when it does not fit BLAS's 32-bit integers.
fn dim(n: usize, what: &str) -> Result<c_int, EvalError> {
    c_int::try_from(n).map_err(|_| {
        EvalError::Shape(format!(
            "{what}: a dimension of {n} is too large for BLAS (32-bit indices)"
        ))
    })
}

/// A matrix operand as BLAS takes it: a row-major pointer with its leading
/// dimension and whether it stands for the transpose of the original.
struct Operand<'a, T> {
    ptr: *const T,
    ld: c_int,
    /// The pointer describes `xᵀ` in row-major order.
    flipped: bool,
    /// A C-order copy, when the strides did not fit.
    _copy: Option<Array2<T>>,
    _life: std::marker::PhantomData<&'a T>,
}

fn operand<'a, T: Copy>(x: ArrayView2<'a, T>, what: &str) -> Result<Operand<'a, T>, EvalError> {
    let (r, c) = x.dim();
    let (s0, s1) = (x.strides()[0], x.strides()[1]);
    let fits = |inner: isize, outer: isize, n_inner: usize, n_outer: usize| {
        (inner == 1 || n_inner <= 1) && (n_outer <= 1 || outer >= n_inner.max(1) as isize)
    };
    if fits(s1, s0, c, r) {
        let ld = if r <= 1 { c.max(1) } else { s0 as usize };
        return Ok(Operand {
            ptr: x.as_ptr(),
            ld: dim(ld, what)?,
            flipped: false,
            _copy: None,
            _life: std::marker::PhantomData,
        });
    }
    if fits(s0, s1, r, c) {
        let ld = if c <= 1 { r.max(1) } else { s1 as usize };
        return Ok(Operand {
            ptr: x.as_ptr(),
            ld: dim(ld, what)?,
            flipped: true,
            _copy: None,
            _life: std::marker::PhantomData,
        });
    }
    let copy = x.as_standard_layout().into_owned();
    Ok(Operand {
        ptr: copy.as_ptr(),
        ld: dim(c.max(1), what)?,
        flipped: false,
        _copy: Some(copy),
        _life: std::marker::PhantomData,
    })
}

/// A vector as BLAS takes it: pointer and positive increment, copying
/// when the stride is not positive.
fn vector<T: Copy>(x: ArrayView1<'_, T>) -> (Vec<T>, *const T, c_int) {
    let s = x.strides()[0];
    if x.len() <= 1 || (s > 0 && s <= c_int::MAX as isize) {
        (Vec::new(), x.as_ptr(), s.max(1) as c_int)
    } else {
        let v: Vec<T> = x.iter().copied().collect();
        let p = v.as_ptr();
        (v, p, 1)
    }
}

fn shape_error(what: &str, a: &[usize], b: &[usize]) -> EvalError {
    EvalError::Shape(format!(
        "{what}: shapes {a:?} and {b:?} do not align for a matrix product"
    ))
}

/// A 2-D view of a matrix, or an error naming the shape found.
pub(crate) fn view2<'a, T>(x: ArrayViewD<'a, T>) -> Result<ArrayView2<'a, T>, EvalError> {
    let shape = x.shape().to_vec();
    x.into_dimensionality::<Ix2>()
        .map_err(|_| EvalError::Shape(format!("expected a matrix, found shape {shape:?}")))
}

fn view1<'a, T>(x: ArrayViewD<'a, T>) -> Result<ArrayView1<'a, T>, EvalError> {
    let shape = x.shape().to_vec();
    x.into_dimensionality::<Ix1>()
        .map_err(|_| EvalError::Shape(format!("expected a vector, found shape {shape:?}")))
}

fn scalar0<T: Copy>(x: &ArrayViewD<'_, T>) -> Result<T, EvalError> {
    x.first()
        .copied()
        .filter(|_| x.ndim() == 0)
        .ok_or_else(|| EvalError::Shape(format!("expected a scalar, found shape {:?}", x.shape())))
}

/// A zeroed C-order matrix (zeroed pages come straight from the kernel).
fn zeros<T: BlasScalar>(r: usize, c: usize) -> Array2<T> {
    let mut z = Array2::<T>::zeros((r, c));
    crate::memory::advise_huge_pages(z.as_mut_ptr().cast(), r * c * std::mem::size_of::<T>());
    z
}

/// `alpha · op(A) @ op(B) (+ beta · C)` on one type.
pub fn gemm_t<T: BlasScalar>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    ta: bool,
    tb: bool,
    alpha: T,
    acc: Option<(T, ArrayView2<'_, T>)>,
) -> Result<Array2<T>, EvalError> {
    let (am, ak) = if ta { (a.ncols(), a.nrows()) } else { a.dim() };
    let (bk, bn) = if tb { (b.ncols(), b.nrows()) } else { b.dim() };
    let shape = |x: &ArrayView2<T>, t: bool| {
        let (r, c) = x.dim();
        if t {
            vec![c, r]
        } else {
            vec![r, c]
        }
    };
    if ak != bk {
        return Err(shape_error("matmul", &shape(&a, ta), &shape(&b, tb)));
    }
    let (beta, mut out) = match acc {
        Some((beta, c)) => {
            if c.dim() != (am, bn) {
                return Err(EvalError::Shape(format!(
                    "gemm: the added matrix has shape {:?}, the product {:?}",
                    c.shape(),
                    [am, bn]
                )));
            }
            (beta, c.as_standard_layout().into_owned())
        }
        None => (T::zero(), zeros::<T>(am, bn)),
    };
    if am == 0 || bn == 0 {
        return Ok(out);
    }
    let dims = [dim(am, "gemm")?, dim(bn, "gemm")?, dim(ak, "gemm")?];
    let (pa, pb) = (operand(a, "gemm")?, operand(b, "gemm")?);
    let ldc = dim(bn.max(1), "gemm")?;
    // SAFETY: operands describe the views' memory (or their copies); `out`
    // is a fresh C-order am × bn matrix.
    unsafe {
        T::gemm(
            ta ^ pa.flipped,
            tb ^ pb.flipped,
            dims,
            alpha,
            (pa.ptr, pa.ld),
            (pb.ptr, pb.ld),
            beta,
            (out.as_mut_ptr(), ldc),
        );
    }
    Ok(out)
}

/// `alpha · op(A) @ x`.
pub fn gemv_t<T: BlasScalar>(
    a: ArrayView2<'_, T>,
    x: ArrayView1<'_, T>,
    ta: bool,
    alpha: T,
) -> Result<Array1<T>, EvalError> {
    let (m, n) = a.dim();
    let (rows, inner) = if ta { (n, m) } else { (m, n) };
    if inner != x.len() {
        let s = if ta { vec![n, m] } else { vec![m, n] };
        return Err(shape_error("matmul", &s, &[x.len()]));
    }
    let mut y = Array1::<T>::zeros(rows);
    if rows == 0 {
        return Ok(y);
    }
    if inner == 0 {
        return Ok(y);
    }
    let pa = operand(a, "gemv")?;
    let (_keep, px, incx) = vector(x);
    // Row-major call on the operand as stored.
    let (sm, sn) = if pa.flipped { (n, m) } else { (m, n) };
    // SAFETY: as in `gemm_t`; `y` holds `rows` elements.
    unsafe {
        T::gemv(
            ta ^ pa.flipped,
            dim(sm, "gemv")?,
            dim(sn, "gemv")?,
            alpha,
            (pa.ptr, pa.ld),
            (px, incx),
            y.as_mut_ptr(),
        );
    }
    Ok(y)
}

/// `x · y` without conjugation.
pub fn dot_t<T: BlasScalar>(x: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> Result<T, EvalError> {
    if x.len() != y.len() {
        return Err(shape_error("matmul", &[x.len()], &[y.len()]));
    }
    if x.is_empty() {
        return Ok(T::zero());
    }
    let (_kx, px, ix) = vector(x);
    let (_ky, py, iy) = vector(y);
    // SAFETY: both hold `len` elements at their increments.
    Ok(unsafe { T::dot(dim(x.len(), "dot")?, (px, ix), (py, iy)) })
}

/// `alpha · Aᵀ A` (`trans`) or `alpha · A Aᵀ`, both triangles filled.
pub fn syrk_t<T: BlasScalar>(
    a: ArrayView2<'_, T>,
    trans: bool,
    alpha: T,
) -> Result<Array2<T>, EvalError> {
    let (r, c) = a.dim();
    let (n, k) = if trans { (c, r) } else { (r, c) };
    let mut out = zeros::<T>(n, n);
    if n == 0 || k == 0 {
        return Ok(out);
    }
    let pa = operand(a, "syrk")?;
    let ldc = dim(n, "syrk")?;
    // SAFETY: as in `gemm_t`; `out` is a fresh n × n C-order matrix.
    unsafe {
        T::syrk(
            trans ^ pa.flipped,
            dim(n, "syrk")?,
            dim(k, "syrk")?,
            alpha,
            (pa.ptr, pa.ld),
            (out.as_mut_ptr(), ldc),
        );
    }
    // Mirror the upper triangle into the lower one.
    for i in 1..n {
        for j in 0..i {
            out[[i, j]] = out[[j, i]];
        }
    }
    Ok(out)
}

/// `T⁻¹ b` for a triangular `T` (`b` a vector or a matrix). A zero or
/// non-finite diagonal entry is an error (the matrix is singular).
pub fn trsm_t<T: BlasScalar>(
    t: ArrayView2<'_, T>,
    b: ArrayViewD<'_, T>,
    lower: bool,
) -> Result<ArrayD<T>, EvalError> {
    let n = require_square("solve", t.shape())?;
    if b.ndim() == 0 || b.ndim() > 2 || b.shape()[0] != n {
        return Err(EvalError::Shape(format!(
            "solve: a {n} × {n} matrix cannot solve for a right-hand side of shape {:?}",
            b.shape()
        )));
    }
    if (0..n).any(|i| t[[i, i]] == T::zero()) {
        return Err(EvalError::Linalg(
            "`solve`: the matrix is singular (a zero on the diagonal of a triangular matrix)"
                .into(),
        ));
    }
    let cols = if b.ndim() == 1 { 1 } else { b.shape()[1] };
    let mut x = b
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order((n, cols))
        .map_err(|e| EvalError::Shape(e.to_string()))?;
    if n > 0 && cols > 0 {
        let pt = operand(t, "trsm")?;
        let ldb = dim(cols, "trsm")?;
        // A flipped operand stores Tᵀ: solve with it transposed, and its
        // triangle is the other one.
        // SAFETY: as in `gemm_t`; `x` is a fresh n × cols C-order matrix.
        unsafe {
            T::trsm(
                lower ^ pt.flipped,
                pt.flipped,
                dim(n, "trsm")?,
                dim(cols, "trsm")?,
                (pt.ptr, pt.ld),
                (x.as_mut_ptr(), ldb),
            );
        }
    }
    x.into_shape_with_order(IxDyn(b.shape()))
        .map_err(|e| EvalError::Shape(e.to_string()))
}

/// The same matrix product as NumPy's `matmul` for float and complex
/// arrays of any rank: vectors promoted, batch axes broadcast, one `gemm`
/// (or `gemv`/`dot`) per pair of matrices.
pub fn matmul_t<T: BlasScalar>(
    a: ArrayViewD<'_, T>,
    b: ArrayViewD<'_, T>,
) -> Result<ArrayD<T>, EvalError> {
    match (a.ndim(), b.ndim()) {
        (0, _) | (_, 0) => Err(EvalError::Shape("matmul of a scalar".into())),
        (1, 1) => Ok(ndarray::arr0(dot_t(view1(a)?, view1(b)?)?).into_dyn()),
        (2, 1) => Ok(gemv_t(view2(a)?, view1(b)?, false, T::one())?.into_dyn()),
        (1, 2) => Ok(gemv_t(view2(b)?, view1(a)?, true, T::one())?.into_dyn()),
        (2, 2) => Ok(gemm_t(view2(a)?, view2(b)?, false, false, T::one(), None)?.into_dyn()),
        (ra, rb) => {
            // Promote vectors, broadcast the batch axes.
            let a2 = if ra == 1 {
                a.view().insert_axis(ndarray::Axis(0))
            } else {
                a.view()
            };
            let b2 = if rb == 1 {
                b.view().insert_axis(ndarray::Axis(1))
            } else {
                b.view()
            };
            let (sa, sb) = (a2.shape(), b2.shape());
            let (ba, bb) = (&sa[..sa.len() - 2], &sb[..sb.len() - 2]);
            let batch = blaze_interp::kernels::broadcast_shapes(ba, bb)?;
            let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
            let (k2, n) = (sb[sb.len() - 2], sb[sb.len() - 1]);
            if k != k2 {
                return Err(shape_error("matmul", a.shape(), b.shape()));
            }
            let mut full_a = batch.clone();
            full_a.extend([m, k]);
            let mut full_b = batch.clone();
            full_b.extend([k, n]);
            let av = a2
                .broadcast(IxDyn(&full_a))
                .ok_or_else(|| shape_error("matmul", a.shape(), b.shape()))?;
            let bv = b2
                .broadcast(IxDyn(&full_b))
                .ok_or_else(|| shape_error("matmul", a.shape(), b.shape()))?;
            let count: usize = batch.iter().product();
            let mut out_shape = batch.clone();
            out_shape.extend([m, n]);
            let mut out = ArrayD::<T>::zeros(IxDyn(&out_shape));
            for i in 0..count {
                let idx = unravel(i, &batch);
                let (mut x, mut y) = (av.view(), bv.view());
                for &j in &idx {
                    x = x.index_axis_move(ndarray::Axis(0), j);
                    y = y.index_axis_move(ndarray::Axis(0), j);
                }
                let r = gemm_t(view2v(x)?, view2v(y)?, false, false, T::one(), None)?;
                assign_batch(&mut out, &idx, r);
            }
            let mut shape = out_shape;
            if rb == 1 {
                shape.remove(shape.len() - 1);
            }
            if ra == 1 {
                shape.remove(shape.len() - if rb == 1 { 1 } else { 2 });
            }
            out.into_shape_with_order(IxDyn(&shape))
                .map_err(|e| EvalError::Shape(e.to_string()))
        }
    }
}

fn view2v<T>(x: ndarray::ArrayViewD<'_, T>) -> Result<ArrayView2<'_, T>, EvalError> {
    x.into_dimensionality::<Ix2>()
        .map_err(|e| EvalError::Shape(e.to_string()))
}

fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (d, &n) in shape.iter().enumerate().rev() {
        idx[d] = i % n.max(1);
        i /= n.max(1);
    }
    idx
}

fn assign_batch<T: Copy>(out: &mut ArrayD<T>, idx: &[usize], r: Array2<T>) {
    let mut v = out.view_mut();
    for &j in idx {
        v = v.index_axis_move(ndarray::Axis(0), j);
    }
    v.assign(&r.into_dyn());
}

/// Dispatches on an element type (a [`Scalar`]): the body runs with `$T`
/// the Rust type of a float or complex scalar; other types are an error.
macro_rules! on_inexact {
    ($s:expr, $T:ident => $body:expr) => {
        match $s {
            blaze_datashape::Scalar::Float32 => {
                type $T = f32;
                $body
            }
            blaze_datashape::Scalar::Float64 => {
                type $T = f64;
                $body
            }
            blaze_datashape::Scalar::Complex64 => {
                type $T = num_complex::Complex32;
                $body
            }
            blaze_datashape::Scalar::Complex128 => {
                type $T = num_complex::Complex64;
                $body
            }
            other => Err(blaze_interp::EvalError::Value(format!(
                "BLAS routines take float or complex arrays, found {other}"
            ))
            .into()),
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_inexact;

/// The array as element type `T`, or a type error.
pub(crate) fn get<'a, T: Element>(a: &'a Array, what: &str) -> Result<&'a ArrayD<T>, EvalError> {
    T::get(a).ok_or_else(|| mixed(what, a.scalar(), T::SCALAR))
}

fn mixed(what: &str, found: Scalar, expected: Scalar) -> EvalError {
    EvalError::Value(format!(
        "{what}: operands must share one element type ({found} found, {expected} expected)"
    ))
}

/// An operand of the BLAS routines below: an interpreter array, or a view
/// of memory someone else owns (a memory-mapped block of a file, a NumPy
/// buffer), which BLAS reads in place.
#[derive(Clone, Copy, Debug)]
pub enum BlasArg<'a> {
    /// An interpreter array.
    Array(&'a Array),
    /// A dense view without missing values.
    View(&'a DenseView<'a>),
}

impl<'a> BlasArg<'a> {
    /// The element type.
    pub fn scalar(&self) -> Scalar {
        match self {
            BlasArg::Array(a) => a.scalar(),
            BlasArg::View(v) => v.scalar(),
        }
    }

    /// The elements as `T`: a view of them, or, for a view that `ndarray`
    /// cannot describe, a copy.
    fn typed<T: Element>(&self, what: &str) -> Result<CowArray<'a, T, IxDyn>, EvalError> {
        match *self {
            BlasArg::Array(a) => Ok(get::<T>(a, what)?.view().into()),
            BlasArg::View(v) => {
                if v.scalar() != T::SCALAR {
                    return Err(mixed(what, v.scalar(), T::SCALAR));
                }
                if v.validity().is_some() {
                    return Err(EvalError::Value(format!(
                        "{what}: BLAS routines take arrays without missing values"
                    )));
                }
                match crate::value::ndarray_view::<T>(v) {
                    Ok(x) => Ok(x.into()),
                    Err(_) => {
                        let data = v
                            .to_vec::<T>()
                            .map_err(|e| EvalError::Input(e.to_string()))?;
                        ArrayD::from_shape_vec(IxDyn(v.shape()), data)
                            .map(Into::into)
                            .map_err(|e| EvalError::Shape(e.to_string()))
                    }
                }
            }
        }
    }
}

/// `gemm` on interpreter arrays or views: `args` are `[A, B, alpha]` or
/// `[A, B, alpha, beta, C]`.
pub fn gemm(args: &[BlasArg<'_>], ta: bool, tb: bool) -> Result<Array, EvalError> {
    on_inexact!(args[0].scalar(), T => {
        let (a, b) = (args[0].typed::<T>("gemm")?, args[1].typed::<T>("gemm")?);
        let alpha = scalar0(&args[2].typed::<T>("gemm")?.view())?;
        let acc = if args.len() == 5 {
            Some((args[3].typed::<T>("gemm")?, args[4].typed::<T>("gemm")?))
        } else {
            None
        };
        let acc = match &acc {
            Some((beta, c)) => Some((scalar0(&beta.view())?, view2(c.view())?)),
            None => None,
        };
        Ok(T::wrap(gemm_t(view2(a.view())?, view2(b.view())?, ta, tb, alpha, acc)?.into_dyn()))
    })
}

/// `gemv` on interpreter arrays or views: `[A, x, alpha]`.
pub fn gemv(args: &[BlasArg<'_>], ta: bool) -> Result<Array, EvalError> {
    on_inexact!(args[0].scalar(), T => {
        let (a, x) = (args[0].typed::<T>("gemv")?, args[1].typed::<T>("gemv")?);
        let alpha = scalar0(&args[2].typed::<T>("gemv")?.view())?;
        Ok(T::wrap(gemv_t(view2(a.view())?, view1(x.view())?, ta, alpha)?.into_dyn()))
    })
}

/// `dot` on interpreter arrays or views.
pub fn dot(args: &[BlasArg<'_>]) -> Result<Array, EvalError> {
    on_inexact!(args[0].scalar(), T => {
        let (x, y) = (args[0].typed::<T>("dot")?, args[1].typed::<T>("dot")?);
        Ok(T::wrap(ndarray::arr0(dot_t(view1(x.view())?, view1(y.view())?)?).into_dyn()))
    })
}

/// `syrk` on interpreter arrays or views: `[A, alpha]`.
pub fn syrk(args: &[BlasArg<'_>], trans: bool) -> Result<Array, EvalError> {
    on_inexact!(args[0].scalar(), T => {
        let a = args[0].typed::<T>("syrk")?;
        let alpha = scalar0(&args[1].typed::<T>("syrk")?.view())?;
        Ok(T::wrap(syrk_t(view2(a.view())?, trans, alpha)?.into_dyn()))
    })
}

/// `trsm` on interpreter arrays or views: `[T, b]`.
pub fn trsm(args: &[BlasArg<'_>], lower: bool) -> Result<Array, EvalError> {
    on_inexact!(args[0].scalar(), T => {
        let (t, b) = (args[0].typed::<T>("solve")?, args[1].typed::<T>("solve")?);
        Ok(T::wrap(trsm_t(view2(t.view())?, b.view(), lower)?))
    })
}

/// NumPy's `matmul` on float or complex interpreter arrays or views.
pub fn matmul(a: BlasArg<'_>, b: BlasArg<'_>) -> Result<Array, EvalError> {
    on_inexact!(a.scalar(), T => {
        let (x, y) = (a.typed::<T>("matmul")?, b.typed::<T>("matmul")?);
        Ok(T::wrap(matmul_t(x.view(), y.view())?))
    })
}

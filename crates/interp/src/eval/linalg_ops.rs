//! The linear-algebra functions of the language on [`Array`]s: each runs
//! the reference routine of [`crate::linalg`] in double precision (float64
//! or complex128) and converts the results back to the element type the
//! type checker gave.

use blaze_datashape::Scalar;
use blaze_ir::ops::LinalgFn;
use num_complex::Complex64;

use crate::kernels;
use crate::linalg::{self, LinalgError};
use crate::value::{Array, Value};
use crate::EvalError;

fn linalg_err(e: LinalgError) -> EvalError {
    EvalError::Linalg(e.to_string())
}

/// Runs a 2-D linear-algebra routine on a float or complex array in the
/// routine's f64/complex128 precision, and converts results back.
pub(super) fn to_f64_2d(a: &Array) -> Result<ndarray::Array2<f64>, EvalError> {
    match kernels::cast(a, Scalar::Float64) {
        Array::Float64(x) => x
            .into_dimensionality()
            .map_err(|e| EvalError::Shape(e.to_string())),
        _ => Err(EvalError::Value("expected a float matrix".into())),
    }
}

pub(super) fn to_c128_2d(a: &Array) -> Result<ndarray::Array2<Complex64>, EvalError> {
    match kernels::cast(a, Scalar::Complex128) {
        Array::Complex128(x) => x
            .into_dimensionality()
            .map_err(|e| EvalError::Shape(e.to_string())),
        _ => Err(EvalError::Value("expected a complex matrix".into())),
    }
}

pub(super) fn back<D: ndarray::Dimension>(x: ndarray::Array<f64, D>, s: Scalar) -> Array {
    kernels::cast(&Array::Float64(x.into_dyn()), s)
}

pub(super) fn back_c<D: ndarray::Dimension>(x: ndarray::Array<Complex64, D>, s: Scalar) -> Array {
    kernels::cast(&Array::Complex128(x.into_dyn()), s)
}

pub(super) fn is_complex(s: Scalar) -> bool {
    matches!(s, Scalar::Complex64 | Scalar::Complex128)
}

pub(super) fn real_scalar(s: Scalar) -> Scalar {
    blaze_ir::ops::real_of(s)
}

pub(super) fn linalg_call(f: LinalgFn, args: &[&Array], out: Scalar) -> Result<Value, EvalError> {
    let s = args[0].scalar();
    let square = |a: &Array| linalg::checks::require_square(f.name(), a.shape()).map(drop);
    macro_rules! both {
        ($x:ident => $real:expr, $cplx:expr) => {
            if is_complex(s) {
                let $x = to_c128_2d(args[0])?;
                $cplx
            } else {
                let $x = to_f64_2d(args[0])?;
                $real
            }
        };
    }
    let v = |a: Array| Value::from(a);
    Ok(match f {
        LinalgFn::Inv => {
            square(args[0])?;
            both!(a => v(back(linalg::inv(a.view()).map_err(linalg_err)?, s)), v(back_c(linalg::inv(a.view()).map_err(linalg_err)?, s)))
        }
        LinalgFn::Det => {
            square(args[0])?;
            both!(a => v(back(ndarray::arr0(linalg::det(a.view()).map_err(linalg_err)?), s)), v(back_c(ndarray::arr0(linalg::det(a.view()).map_err(linalg_err)?), s)))
        }
        LinalgFn::Cholesky => {
            square(args[0])?;
            both!(a => v(back(linalg::cholesky(a.view()).map_err(linalg_err)?, s)), v(back_c(linalg::cholesky(a.view()).map_err(linalg_err)?, s)))
        }
        LinalgFn::Trace => {
            square(args[0])?;
            both!(a => v(back(ndarray::arr0(linalg::trace(a.view())), s)), v(back_c(ndarray::arr0(linalg::trace(a.view())), s)))
        }
        LinalgFn::Norm => {
            let r = real_scalar(s);
            let n = if is_complex(s) {
                match kernels::cast(args[0], Scalar::Complex128) {
                    Array::Complex128(x) => linalg::norm(x.view()),
                    _ => 0.0,
                }
            } else {
                match kernels::cast(args[0], Scalar::Float64) {
                    Array::Float64(x) => linalg::norm(x.view()),
                    _ => 0.0,
                }
            };
            v(back(ndarray::arr0(n), r))
        }
        LinalgFn::Qr => both!(a => {
            let (q, r) = linalg::qr(a.view()).map_err(linalg_err)?;
            Value::Tuple(vec![v(back(q, s)), v(back(r, s))])
        }, {
            let (q, r) = linalg::qr(a.view()).map_err(linalg_err)?;
            Value::Tuple(vec![v(back_c(q, s)), v(back_c(r, s))])
        }),
        LinalgFn::Svd => both!(a => {
            let (u, sv, vh) = linalg::svd(a.view()).map_err(linalg_err)?;
            Value::Tuple(vec![v(back(u, s)), v(back(sv, real_scalar(s))), v(back(vh, s))])
        }, {
            let (u, sv, vh) = linalg::svd(a.view()).map_err(linalg_err)?;
            Value::Tuple(vec![v(back_c(u, s)), v(back(sv, real_scalar(s))), v(back_c(vh, s))])
        }),
        LinalgFn::Eig => {
            square(args[0])?;
            both!(a => {
                let (w, vecs) = linalg::eig(a.view()).map_err(linalg_err)?;
                Value::Tuple(vec![v(back_c(w, out)), v(back_c(vecs, out))])
            }, {
                let (w, vecs) = linalg::eig(a.view()).map_err(linalg_err)?;
                Value::Tuple(vec![v(back_c(w, out)), v(back_c(vecs, out))])
            })
        }
        LinalgFn::Eigh => {
            square(args[0])?;
            both!(a => {
                let (w, vecs) = linalg::eigh(a.view()).map_err(linalg_err)?;
                Value::Tuple(vec![v(back(w, real_scalar(s))), v(back(vecs, s))])
            }, {
                let (w, vecs) = linalg::eigh(a.view()).map_err(linalg_err)?;
                Value::Tuple(vec![v(back(w, real_scalar(s))), v(back_c(vecs, s))])
            })
        }
        LinalgFn::Solve | LinalgFn::Lstsq => {
            let b = args[1];
            if f == LinalgFn::Solve {
                square(args[0])?;
            }
            if is_complex(s) {
                let a = to_c128_2d(args[0])?;
                let bb = match kernels::cast(b, Scalar::Complex128) {
                    Array::Complex128(x) => x,
                    _ => {
                        return Err(EvalError::Value(
                            "expected a complex right-hand side".into(),
                        ))
                    }
                };
                let r = if f == LinalgFn::Solve {
                    linalg::solve(a.view(), bb.view())
                } else {
                    linalg::lstsq(a.view(), bb.view())
                };
                v(back_c(r.map_err(linalg_err)?, s))
            } else {
                let a = to_f64_2d(args[0])?;
                let bb = match kernels::cast(b, Scalar::Float64) {
                    Array::Float64(x) => x,
                    _ => return Err(EvalError::Value("expected a float right-hand side".into())),
                };
                let r = if f == LinalgFn::Solve {
                    linalg::solve(a.view(), bb.view())
                } else {
                    linalg::lstsq(a.view(), bb.view())
                };
                v(back(r.map_err(linalg_err)?, s))
            }
        }
    })
}

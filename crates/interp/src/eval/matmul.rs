//! NumPy's `matmul` on every element type, by the arithmetic of
//! [`Ring`] (the reference for the BLAS products).

use ndarray::{ArrayD, Axis, IxDyn};

use crate::element::{Element, Ring};
use crate::kernels;
use crate::value::Array;
use crate::{with_scalar, EvalError};

/// NumPy's `matmul`: 1-D operands are promoted to matrices and the added
/// axis removed afterwards; leading axes broadcast.
pub(super) fn generic_matmul<T: Ring>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
) -> Result<ArrayD<T>, EvalError> {
    let (a_vec, b_vec) = (a.ndim() == 1, b.ndim() == 1);
    let a2 = if a_vec {
        a.view().insert_axis(Axis(0))
    } else {
        a.view()
    };
    let b2 = if b_vec {
        b.view().insert_axis(Axis(1))
    } else {
        b.view()
    };
    let (ra, rb) = (a2.ndim(), b2.ndim());
    let (n, k) = (a2.shape()[ra - 2], a2.shape()[ra - 1]);
    let (k2, m) = (b2.shape()[rb - 2], b2.shape()[rb - 1]);
    if k != k2 {
        return Err(EvalError::Shape(format!(
            "matmul: shapes {:?} and {:?} do not align ({k} ≠ {k2})",
            a.shape(),
            b.shape()
        )));
    }
    let batch = kernels::broadcast_shapes(&a2.shape()[..ra - 2], &b2.shape()[..rb - 2])?;
    let mut full_a = batch.clone();
    full_a.extend([n, k]);
    let mut full_b = batch.clone();
    full_b.extend([k, m]);
    let av = a2
        .broadcast(IxDyn(&full_a))
        .ok_or_else(|| EvalError::Shape("matmul: cannot broadcast".into()))?;
    let bv = b2
        .broadcast(IxDyn(&full_b))
        .ok_or_else(|| EvalError::Shape("matmul: cannot broadcast".into()))?;
    let mut out_shape = batch.clone();
    out_shape.extend([n, m]);
    let len = blaze_array::alloc::elements(&out_shape, "the result of a matrix product")?;
    let data = blaze_array::alloc::try_filled(len, T::zero(), "the result of a matrix product")?;
    let mut out = ArrayD::from_shape_vec(IxDyn(&out_shape), data)
        .map_err(|e| EvalError::Shape(e.to_string()))?;
    let batches: usize = batch.iter().product();
    let av = av
        .to_shape((batches, n, k))
        .map_err(|e| EvalError::Shape(e.to_string()))?;
    let bv = bv
        .to_shape((batches, k, m))
        .map_err(|e| EvalError::Shape(e.to_string()))?;
    {
        let mut ov = out
            .view_mut()
            .into_shape_with_order((batches, n, m))
            .map_err(|e| EvalError::Shape(e.to_string()))?;
        for p in 0..batches {
            for i in 0..n {
                for kk in 0..k {
                    let x = av[[p, i, kk]];
                    for j in 0..m {
                        ov[[p, i, j]] = T::mul_add(ov[[p, i, j]], x, bv[[p, kk, j]]);
                    }
                }
            }
        }
    }
    let mut out = out;
    if b_vec {
        let last = out.ndim() - 1;
        out = out.index_axis_move(Axis(last), 0);
    }
    if a_vec {
        let row = out.ndim() - if b_vec { 1 } else { 2 };
        out = out.index_axis_move(Axis(row), 0);
    }
    Ok(out)
}

pub(super) fn matmul(a: &Array, b: &Array) -> Result<Array, EvalError> {
    with_scalar!(a.scalar(), T => {
        let (Some(x), Some(y)) = (T::get(a), T::get(b)) else {
            return Err(EvalError::Value("matmul operands of different types".into()));
        };
        generic_matmul::<T>(x, y).map(T::wrap)
    })
}

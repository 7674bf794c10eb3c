//! Shapes and broadcasting by NumPy's rules: the shape operands broadcast
//! to, broadcast copies, and the elementwise zip of two broadcast operands.
//! Every shape is checked before ndarray sees it (no panics on sizes).

use ndarray::{ArrayD, ArrayViewD, IxDyn, Zip};

use crate::element::Element;
use crate::{with_array, Array, EvalError};

/// A shape written as NumPy writes it: `(3, 1)`, `(4,)`, `()`.
fn fmt_shape(s: &[usize]) -> String {
    match s {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        _ => {
            let parts: Vec<String> = s.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// Checks that an array of `shape` can exist: the product of its non-zero
/// lengths fits in `isize` (ndarray's own limit).
fn check_size(shape: &[usize]) -> Result<(), EvalError> {
    let mut p: usize = 1;
    for &d in shape.iter().filter(|&&d| d != 0) {
        p = p
            .checked_mul(d)
            .filter(|&p| p <= isize::MAX as usize)
            .ok_or_else(|| EvalError::Shape(format!("shape {} is too large", fmt_shape(shape))))?;
    }
    Ok(())
}

/// The shape two operands of shapes `a` and `b` broadcast to, by NumPy's
/// rules: shapes are aligned on their last axes, missing leading axes count
/// as length 1, and each pair of lengths must be equal or contain a 1.
///
/// The error names both shapes.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>, EvalError> {
    let n = a.len().max(b.len());
    let pad = |s: &[usize], i: usize| -> usize {
        let off = n - s.len();
        if i < off {
            1
        } else {
            s.get(i - off).copied().unwrap_or(1)
        }
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (da, db) = (pad(a, i), pad(b, i));
        let d = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(EvalError::Shape(format!(
                "operands could not be broadcast together with shapes {} and {}",
                fmt_shape(a),
                fmt_shape(b)
            )));
        };
        out.push(d);
    }
    check_size(&out)?;
    Ok(out)
}

/// A read-only view of `a` broadcast to `shape`.
pub(super) fn view_as<'a, T>(
    a: &'a ArrayD<T>,
    shape: &[usize],
) -> Result<ArrayViewD<'a, T>, EvalError> {
    a.broadcast(IxDyn(shape)).ok_or_else(|| {
        EvalError::Shape(format!(
            "cannot broadcast an array of shape {} to shape {}",
            fmt_shape(a.shape()),
            fmt_shape(shape)
        ))
    })
}

/// `a` broadcast to `shape`, as an owned array.
fn broadcast_owned<T: Clone>(a: &ArrayD<T>, shape: &[usize]) -> Result<ArrayD<T>, EvalError> {
    check_size(shape)?;
    let what = format!("an array broadcast to shape {}", fmt_shape(shape));
    blaze_array::alloc::shape_bytes(shape, std::mem::size_of::<T>(), &what)?;
    Ok(view_as(a, shape)?.to_owned())
}

/// `x` broadcast to `shape` (NumPy `broadcast_to`, copied): the shape must
/// be one `x`'s shape broadcasts to without changing `shape`.
pub fn broadcast_to(x: &Array, shape: &[usize]) -> Result<Array, EvalError> {
    with_array!(x, a => Ok(Element::wrap(broadcast_owned(a, shape)?)))
}

/// A missing-value mask broadcast to `shape` (as [`broadcast_to`]).
pub fn broadcast_mask(m: &ArrayD<bool>, shape: &[usize]) -> Result<ArrayD<bool>, EvalError> {
    broadcast_owned(m, shape)
}

/// `f` applied elementwise to `a` and `b` broadcast together.
pub(super) fn zip2<A: Copy, B: Copy, R>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    f: impl Fn(A, B) -> R,
) -> Result<ArrayD<R>, EvalError> {
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    if shape != a.shape() || shape != b.shape() {
        // A result larger than either operand: checked before it is made.
        let what = format!(
            "the result of broadcasting shapes {} and {}",
            fmt_shape(a.shape()),
            fmt_shape(b.shape())
        );
        blaze_array::alloc::shape_bytes(&shape, std::mem::size_of::<R>(), &what)?;
    }
    let av = view_as(a, &shape)?;
    let bv = view_as(b, &shape)?;
    Ok(Zip::from(av).and(bv).map_collect(|x, y| f(*x, *y)))
}

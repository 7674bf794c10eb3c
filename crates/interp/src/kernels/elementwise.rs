//! The elementwise entry points: unary and binary functions and `where`,
//! on [`Array`]s of any element type, broadcast together.

use blaze_ir::ops::{BinaryFn, UnaryFn};
use ndarray::{ArrayD, IxDyn, Zip};

use super::broadcast::{broadcast_shapes, view_as, zip2};
use super::cast::{cast, truth};
use super::scalar_ops::{type_mismatch, FloatFn, Ops};
use crate::element::{Convert, Element};
use crate::{with_array, Array, EvalError};

/// Matches two arrays of the same variant, binding their inner arrays.
macro_rules! same_type {
    ($a:expr, $b:expr, ($x:ident, $y:ident) => $body:expr, else => $err:expr) => {
        match ($a, $b) {
            (Array::Bool($x), Array::Bool($y)) => $body,
            (Array::Int8($x), Array::Int8($y)) => $body,
            (Array::Int16($x), Array::Int16($y)) => $body,
            (Array::Int32($x), Array::Int32($y)) => $body,
            (Array::Int64($x), Array::Int64($y)) => $body,
            (Array::UInt8($x), Array::UInt8($y)) => $body,
            (Array::UInt16($x), Array::UInt16($y)) => $body,
            (Array::UInt32($x), Array::UInt32($y)) => $body,
            (Array::UInt64($x), Array::UInt64($y)) => $body,
            (Array::Float16($x), Array::Float16($y)) => $body,
            (Array::Float32($x), Array::Float32($y)) => $body,
            (Array::Float64($x), Array::Float64($y)) => $body,
            (Array::Complex64($x), Array::Complex64($y)) => $body,
            (Array::Complex128($x), Array::Complex128($y)) => $body,
            _ => $err,
        }
    };
}

/// A unary elementwise function, with NumPy semantics.
///
/// The result has scalar type `f.result(x.scalar())` (an error if that is
/// not defined) and is computed in that type: `sqrt` of `int32` converts
/// to float64 first. `-` and `abs` of integers wrap (`abs(-128i8) == -128`);
/// `abs` of complex is the modulus; `round` is half to even; `sign` is
/// −1/0/1 (NaN for NaN, `z/|z|` for complex); `isnan` is false for
/// non-floats; `isna` is all false (masks are the caller's business); `not`
/// is `x == 0`. Float16 is computed through float32.
pub fn unary(f: UnaryFn, x: &Array) -> Result<Array, EvalError> {
    use UnaryFn::*;
    let r = f.result(x.scalar()).map_err(EvalError::Value)?;
    Ok(match f {
        Pos => x.clone(),
        Not => Array::Bool(truth(x).mapv(|v| !v)),
        IsNan => Array::Bool(with_array!(x, a => a.mapv(Convert::isnan))),
        IsNa => Array::Bool(ArrayD::from_elem(IxDyn(x.shape()), false)),
        Neg | Abs | Floor | Ceil | Round | Sign => match x {
            Array::Complex64(a) if f == Abs => Array::Float32(a.mapv(|z| z.norm())),
            Array::Complex128(a) if f == Abs => Array::Float64(a.mapv(|z| z.norm())),
            _ => with_array!(x, a => Element::wrap(a.mapv(|v| Ops::map1(f, v)))),
        },
        _ => match cast(x, r) {
            Array::Float16(a) => Array::Float16(a.mapv(|v| FloatFn::apply(f, v))),
            Array::Float32(a) => Array::Float32(a.mapv(|v| FloatFn::apply(f, v))),
            Array::Float64(a) => Array::Float64(a.mapv(|v| FloatFn::apply(f, v))),
            Array::Complex64(a) => Array::Complex64(a.mapv(|v| FloatFn::apply(f, v))),
            Array::Complex128(a) => Array::Complex128(a.mapv(|v| FloatFn::apply(f, v))),
            other => {
                return Err(EvalError::Value(format!(
                    "`{}` computes in a float type, not {}",
                    f.name(),
                    other.scalar().name()
                )))
            }
        },
    })
}

/// A binary elementwise function of `a` and `b` broadcast together
/// (NumPy rules), with NumPy semantics.
///
/// `a` and `b` must have the same scalar type `T` (the caller promotes them
/// with [`cast`]); the result has type `f.result(T)`. Integer `+ - *` wrap;
/// `/` is true division (integers via float64); integer `//` and `%`
/// follow Python (floor; remainder with the divisor's sign), by zero give 0
/// and `MIN // -1` wraps; float `//` and `%` are NumPy's `floor_divide` and
/// `remainder` (`x // 0` is ±inf or NaN, `x % 0` is NaN); integer `**` with
/// a negative exponent is `1/base^n` truncated (±1 for base ±1, else 0);
/// `minimum`/`maximum` propagate NaN; comparisons are false for NaN except
/// `!=`; complex `==`/`!=` compare both parts; `and`/`or` are logical on
/// truthiness. On bool, `+` is `or` and `*` is `and` (see the module
/// documentation for the other bool rules).
pub fn binary(f: BinaryFn, a: &Array, b: &Array) -> Result<Array, EvalError> {
    use BinaryFn::*;
    let t = a.scalar();
    if b.scalar() != t {
        return Err(type_mismatch(
            &format!("binary `{}`", f.name()),
            t,
            b.scalar(),
        ));
    }
    let r = f.result(t).map_err(EvalError::Value)?;
    let mismatch = || Err(type_mismatch("binary", a.scalar(), b.scalar()));
    match f {
        Eq | Ne | Lt | Le | Gt | Ge => same_type!(a, b, (x, y) =>
            Ok(Array::Bool(zip2(x, y, |p, q| Ops::compare(f, p, q))?)),
            else => mismatch()),
        And | Or => {
            let (ta, tb) = (truth(a), truth(b));
            Ok(Array::Bool(zip2(&ta, &tb, |p, q| {
                if f == And {
                    p && q
                } else {
                    p || q
                }
            })?))
        }
        Div | Arctan2 => {
            let (fa, fb) = (cast(a, r), cast(b, r));
            same_type!(&fa, &fb, (x, y) =>
                Ok(Element::wrap(zip2(x, y, |p, q| Ops::arith(f, p, q))?)),
                else => mismatch())
        }
        Add | Sub | Mul | FloorDiv | Mod | Pow | Minimum | Maximum => same_type!(a, b, (x, y) =>
            Ok(Element::wrap(zip2(x, y, |p, q| Ops::arith(f, p, q))?)),
            else => mismatch()),
        // Functions of strings (`kernels::strings`); `result` refuses numbers.
        StartsWith | EndsWith | Contains => mismatch(),
    }
}

/// Elementwise `cond ? x : y` (NumPy `where`) with `cond`, `x` and `y`
/// broadcast together. `cond` may have any scalar type (its truthiness is
/// used); `x` and `y` must have the same scalar type, which the result has.
pub fn where_(cond: &Array, x: &Array, y: &Array) -> Result<Array, EvalError> {
    if x.scalar() != y.scalar() {
        return Err(type_mismatch("`where`", x.scalar(), y.scalar()));
    }
    let c = truth(cond);
    let shape = broadcast_shapes(&broadcast_shapes(c.shape(), x.shape())?, y.shape())?;
    let cv = view_as(&c, &shape)?;
    same_type!(x, y, (a, b) => {
        let av = view_as(a, &shape)?;
        let bv = view_as(b, &shape)?;
        Ok(Element::wrap(
            Zip::from(cv).and(av).and(bv).map_collect(|&c, &p, &q| if c { p } else { q }),
        ))
    }, else => Err(type_mismatch("`where`", x.scalar(), y.scalar())))
}

/// `fillna(x, v)`: `x` where it is not missing, `v` (broadcast) where
/// `missing` is true; the shape is the broadcast shape of `x`, `missing`
/// and `v`. `x` and `v` must have one element type.
pub fn fillna(x: &Array, missing: Option<&ArrayD<bool>>, v: &Array) -> Result<Array, EvalError> {
    if x.scalar() != v.scalar() {
        return Err(type_mismatch("`fillna`", x.scalar(), v.scalar()));
    }
    let cond = match missing {
        Some(m) => Array::Bool(m.clone()),
        None => Array::Bool(ArrayD::from_elem(IxDyn(&[]), false)),
    };
    where_(&cond, v, x)
}

//! Decimal kernels on Arrow's 128-bit decimals: a value is an `i128` of
//! units of `10^-scale`. Every operation is exact and checked: a result
//! that overflows `i128` or does not fit its precision is an error naming
//! the operation, never a wrap or a rounding. Conversions from floats round
//! half away from zero (on the float's exact binary value); to integers
//! they truncate toward zero.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::{Array, ArrayRef, Decimal128Array};
use arrow_schema::DataType;
use blaze_datashape::{Scalar, ScalarKind};
use blaze_ir::ops::BinaryFn;

use crate::EvalError;

/// `10^k`, when it fits an `i128` (`k <= 38`).
pub fn pow10(k: u32) -> Option<i128> {
    10i128.checked_pow(k)
}

/// Whether `v` has at most `precision` digits.
pub fn fits(v: i128, precision: u32) -> bool {
    pow10(precision).is_none_or(|limit| v.unsigned_abs() < limit.unsigned_abs())
}

fn overflow(what: &str, precision: u32, scale: u32) -> EvalError {
    EvalError::Value(format!(
        "decimal overflow in {what}: the result does not fit `decimal[{precision}, {scale}]`"
    ))
}

/// The values of a `Decimal128` array (`None` where missing) with its
/// precision and scale.
pub fn decimals(a: &dyn Array) -> Result<(Vec<Option<i128>>, u32, u32), EvalError> {
    match a.data_type() {
        DataType::Decimal128(p, s) if *s >= 0 => {
            let d = a.as_primitive::<Decimal128Type>();
            Ok((d.iter().collect(), u32::from(*p), *s as u32))
        }
        other => Err(EvalError::Value(format!(
            "expected decimals, found an Arrow array of `{other}`"
        ))),
    }
}

/// A `Decimal128(precision, scale)` array of `values`, each checked
/// against the precision.
pub fn decimal_array(
    values: Vec<Option<i128>>,
    precision: u32,
    scale: u32,
) -> Result<ArrayRef, EvalError> {
    if let Some(v) = values.iter().flatten().find(|v| !fits(**v, precision)) {
        return Err(EvalError::Value(format!(
            "the decimal {} does not fit `decimal[{precision}, {scale}]`",
            text(*v, scale)
        )));
    }
    let (p, s) = (u8::try_from(precision).ok(), i8::try_from(scale).ok());
    let (Some(p), Some(s)) = (p, s) else {
        return Err(EvalError::Value(format!(
            "`decimal[{precision}, {scale}]` is not a 128-bit decimal"
        )));
    };
    Decimal128Array::from(values)
        .with_precision_and_scale(p, s)
        .map(|a| Arc::new(a) as ArrayRef)
        .map_err(|e| EvalError::Value(format!("`decimal[{precision}, {scale}]`: {e}")))
}

/// `v` units of `10^-scale` as decimal text (`-12.3400`).
pub fn text(v: i128, scale: u32) -> String {
    let digits = v.unsigned_abs().to_string();
    let sign = if v < 0 { "-" } else { "" };
    let s = scale as usize;
    if s == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = s + 1);
    let (int, frac) = padded.split_at(padded.len() - s);
    format!("{sign}{int}.{frac}")
}

/// `v` at scale `from` expressed at scale `to >= from`; `None` on overflow.
pub fn rescale(v: i128, from: u32, to: u32) -> Option<i128> {
    v.checked_mul(pow10(to.checked_sub(from)?)?)
}

/// `a op b` for `+ - *` of decimals at scales `sa`, `sb`, giving a result
/// of `decimal[precision, scale]` (the type the checker gave it).
pub fn arith(
    f: BinaryFn,
    (a, sa): (i128, u32),
    (b, sb): (i128, u32),
    (precision, scale): (u32, u32),
) -> Result<i128, EvalError> {
    let name = format!("`{}`", f.name());
    let over = || overflow(&name, precision, scale);
    let r = match f {
        BinaryFn::Add | BinaryFn::Sub => {
            let x = rescale(a, sa, scale).ok_or_else(over)?;
            let y = rescale(b, sb, scale).ok_or_else(over)?;
            if f == BinaryFn::Add {
                x.checked_add(y)
            } else {
                x.checked_sub(y)
            }
        }
        BinaryFn::Mul if sa + sb == scale => a.checked_mul(b),
        other => {
            return Err(EvalError::Value(format!(
                "`{}` is not exact decimal arithmetic",
                other.name()
            )))
        }
    }
    .ok_or_else(over)?;
    if fits(r, precision) {
        Ok(r)
    } else {
        Err(over())
    }
}

/// `a op b` for a comparison of decimals at scales `sa`, `sb`: exact, at
/// the larger scale.
pub fn compare(f: BinaryFn, (a, sa): (i128, u32), (b, sb): (i128, u32)) -> Result<bool, EvalError> {
    let s = sa.max(sb);
    // A value that overflows when rescaled is larger in magnitude than any
    // value of at most 38 digits: its sign decides.
    let ord = match (rescale(a, sa, s), rescale(b, sb, s)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (None, _) => a.signum().cmp(&0),
        (_, None) => 0.cmp(&b.signum()),
    };
    Ok(match f {
        BinaryFn::Eq => ord.is_eq(),
        BinaryFn::Ne => ord.is_ne(),
        BinaryFn::Lt => ord.is_lt(),
        BinaryFn::Le => ord.is_le(),
        BinaryFn::Gt => ord.is_gt(),
        BinaryFn::Ge => ord.is_ge(),
        other => {
            return Err(EvalError::Value(format!(
                "`{}` is not a comparison",
                other.name()
            )))
        }
    })
}

/// `v` at `scale` as the nearest `f64` (correctly rounded).
pub fn to_f64(v: i128, scale: u32) -> f64 {
    format!("{v}e-{scale}").parse().unwrap_or(f64::NAN)
}

/// `v` at `scale` as the nearest `f32` (correctly rounded).
pub fn to_f32(v: i128, scale: u32) -> f32 {
    format!("{v}e-{scale}").parse().unwrap_or(f32::NAN)
}

/// `v` at `scale` truncated toward zero, checked against the range of the
/// integer type `to`.
pub fn to_int(v: i128, scale: u32, to: Scalar) -> Result<i128, EvalError> {
    let int = match pow10(scale) {
        Some(d) => v / d,
        None => 0,
    };
    let (lo, hi): (i128, i128) = match to.kind() {
        ScalarKind::Signed => {
            let bits = to.bits();
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        }
        ScalarKind::Unsigned => (0, (1i128 << to.bits()) - 1),
        _ => {
            return Err(EvalError::Value(format!(
                "a decimal converts to integers here, not to `{}`",
                to.name()
            )))
        }
    };
    if int < lo || int > hi {
        return Err(EvalError::Value(format!(
            "the decimal {} is out of the range of `{}`",
            text(v, scale),
            to.name()
        )));
    }
    Ok(int)
}

/// The integer `v` as `decimal[precision, scale]`.
pub fn from_int(v: i128, precision: u32, scale: u32) -> Result<i128, EvalError> {
    let r = rescale(v, 0, scale).filter(|r| fits(*r, precision));
    r.ok_or_else(|| {
        EvalError::Value(format!(
            "the integer {v} does not fit `decimal[{precision}, {scale}]`"
        ))
    })
}

/// A decimal at scale `from` as `decimal[precision, scale]`: more digits
/// after the point are exact; fewer round half away from zero.
pub fn from_decimal(v: i128, from: u32, precision: u32, scale: u32) -> Result<i128, EvalError> {
    let r = if scale >= from {
        rescale(v, from, scale)
    } else {
        match pow10(from - scale) {
            Some(d) => {
                let (q, rem) = (v / d, v % d);
                // |rem| >= d / 2, with d even: the half rounds away.
                if rem.unsigned_abs() >= (d / 2).unsigned_abs() {
                    q.checked_add(v.signum())
                } else {
                    Some(q)
                }
            }
            None => Some(0),
        }
    };
    r.filter(|r| fits(*r, precision)).ok_or_else(|| {
        EvalError::Value(format!(
            "the decimal {} does not fit `decimal[{precision}, {scale}]`",
            text(v, from)
        ))
    })
}

/// The float `x` as `decimal[precision, scale]`, rounded half away from
/// zero on its exact binary value; NaN, infinities and values too large
/// are errors.
pub fn from_f64(x: f64, precision: u32, scale: u32) -> Result<i128, EvalError> {
    let bad = || {
        EvalError::Value(format!(
            "the float {x} does not fit `decimal[{precision}, {scale}]`"
        ))
    };
    if !x.is_finite() {
        return Err(bad());
    }
    // Every f64 has a finite decimal expansion of at most 1074 digits
    // after the point: this text is exact.
    let exact = format!("{:.1100}", x.abs());
    let (int, frac) = exact.split_once('.').ok_or_else(bad)?;
    let s = scale as usize;
    let digits = format!("{int}{}", frac.get(..s).ok_or_else(bad)?);
    let digits = digits.trim_start_matches('0');
    if digits.len() > 38 {
        return Err(bad());
    }
    let mut v: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| bad())?
    };
    if frac.as_bytes().get(s).is_some_and(|d| *d >= b'5') {
        v = v.checked_add(1).ok_or_else(bad)?;
    }
    if x < 0.0 {
        v = -v;
    }
    if fits(v, precision) {
        Ok(v)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_exact_and_checked() {
        // 1.25 (s 2) + 0.125 (s 3) = 1.375 at scale 3
        assert_eq!(
            arith(BinaryFn::Add, (125, 2), (125, 3), (5, 3)).unwrap(),
            1375
        );
        assert_eq!(
            arith(BinaryFn::Sub, (125, 2), (125, 3), (5, 3)).unwrap(),
            1125
        );
        assert_eq!(
            arith(BinaryFn::Mul, (125, 2), (-2, 0), (6, 2)).unwrap(),
            -250
        );
        let err = arith(BinaryFn::Add, (99, 0), (1, 0), (2, 0)).unwrap_err();
        assert!(err.to_string().contains("decimal overflow in `+`"), "{err}");
        assert!(arith(BinaryFn::Mul, (i128::MAX, 0), (2, 0), (38, 0)).is_err());
        assert!(arith(BinaryFn::Div, (1, 0), (1, 0), (38, 0)).is_err());
    }

    #[test]
    fn comparisons_rescale() {
        assert!(compare(BinaryFn::Eq, (150, 2), (15, 1)).unwrap());
        assert!(compare(BinaryFn::Lt, (149, 2), (15, 1)).unwrap());
        // 10^37 at scale 0 against 1 at scale 10: the rescale overflows.
        let big = 10i128.pow(37);
        assert!(compare(BinaryFn::Gt, (big, 0), (1, 10)).unwrap());
        assert!(compare(BinaryFn::Lt, (-big, 0), (1, 10)).unwrap());
        assert!(compare(BinaryFn::Lt, (1, 10), (big, 0)).unwrap());
    }

    #[test]
    fn conversions() {
        assert_eq!(to_f64(-12345, 2), -123.45);
        assert_eq!(to_int(-12999, 3, Scalar::Int8).unwrap(), -12);
        assert!(to_int(128_000, 3, Scalar::Int8).is_err());
        assert!(to_int(-1, 0, Scalar::UInt8).is_err());
        assert_eq!(to_int(-999, 3, Scalar::UInt8).unwrap(), 0);
        assert_eq!(from_int(-7, 3, 2).unwrap(), -700);
        assert!(from_int(10, 3, 2).is_err());
        assert_eq!(from_f64(0.125, 5, 2).unwrap(), 13);
        assert_eq!(from_f64(-0.125, 5, 2).unwrap(), -13);
        // 0.145 is 0.14499999999999999 in binary: it rounds down.
        assert_eq!(from_f64(0.145, 5, 2).unwrap(), 14);
        assert_eq!(from_f64(1e20, 38, 0).unwrap(), 100_000_000_000_000_000_000);
        assert!(from_f64(f64::NAN, 5, 2).is_err());
        assert!(from_f64(1e40, 38, 0).is_err());
        assert!(from_f64(1000.0, 5, 2).is_err());
        assert_eq!(from_decimal(12345, 3, 5, 1).unwrap(), 123);
        assert_eq!(from_decimal(-12350, 3, 5, 1).unwrap(), -124);
        assert_eq!(from_decimal(5, 1, 5, 3).unwrap(), 500);
        assert!(from_decimal(12345, 0, 4, 0).is_err());
        assert_eq!(text(-5, 3), "-0.005");
        assert_eq!(text(12345, 2), "123.45");
        assert_eq!(text(7, 0), "7");
    }

    #[test]
    fn arrays_check_the_precision() {
        let a = decimal_array(vec![Some(999), None], 3, 1).unwrap();
        let (v, p, s) = decimals(a.as_ref()).unwrap();
        assert_eq!((v, p, s), (vec![Some(999), None], 3, 1));
        let err = decimal_array(vec![Some(1000)], 3, 1).unwrap_err();
        assert!(err.to_string().contains("100.0"), "{err}");
        assert!(decimal_array(vec![Some(1)], 39, 0).is_err());
    }
}

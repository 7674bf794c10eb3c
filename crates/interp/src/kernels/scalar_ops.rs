//! What each elementwise operation does to one element of each type:
//! integer, bool, float, float16 and complex arithmetic, comparisons, and
//! the float functions, with the rules of [`crate::kernels`].

use blaze_datashape::Scalar;
use blaze_ir::ops::{BinaryFn, UnaryFn};
use half::f16;
use num_complex::{Complex, Complex32, Complex64};
use num_traits::{Float, FloatConst, One, WrappingMul, Zero};

use crate::element::Convert;
use crate::EvalError;

/// Operations that keep the element type.
pub(super) trait Ops: Convert {
    /// A binary function whose result has the operands' type (`+`, `//`,
    /// `minimum`, …; `/` and `arctan2` for float types).
    fn arith(f: BinaryFn, a: Self, b: Self) -> Self;
    /// A unary function whose result has the operand's type (`-`, `abs`
    /// of non-complex, `floor`, `round`, `sign`, …).
    fn map1(f: UnaryFn, x: Self) -> Self;
    /// `a < b` (false when unordered; false for complex).
    fn lt(a: Self, b: Self) -> bool;
    /// A comparison; NaN compares false except for `!=`.
    fn compare(f: BinaryFn, a: Self, b: Self) -> bool {
        use BinaryFn::*;
        match f {
            Eq => a == b,
            Ne => a != b,
            Lt => Self::lt(a, b),
            Le => Self::lt(a, b) || a == b,
            Gt => Self::lt(b, a),
            Ge => Self::lt(b, a) || a == b,
            _ => false,
        }
    }
}

/// `base^e` by squaring, wrapping on overflow (integer `**`).
fn wrapping_pow<T: Copy + One + WrappingMul>(mut base: T, mut e: u64) -> T {
    let mut acc = T::one();
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.wrapping_mul(&base);
        }
        base = base.wrapping_mul(&base);
        e >>= 1;
    }
    acc
}

macro_rules! signed_ops {
    ($($t:ty),*) => {$(
        impl Ops for $t {
            fn arith(f: BinaryFn, a: Self, b: Self) -> Self {
                use BinaryFn::*;
                match f {
                    Add => a.wrapping_add(b),
                    Sub => a.wrapping_sub(b),
                    Mul => a.wrapping_mul(b),
                    // Python floor division; by zero → 0; MIN // -1 wraps.
                    FloorDiv | Div => {
                        if b == 0 {
                            0
                        } else {
                            let q = a.wrapping_div(b);
                            if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
                                q.wrapping_sub(1)
                            } else {
                                q
                            }
                        }
                    }
                    // Python remainder: the sign of the divisor; by zero → 0.
                    Mod => {
                        if b == 0 {
                            0
                        } else {
                            let r = a.wrapping_rem(b);
                            if r != 0 && ((r < 0) != (b < 0)) {
                                r.wrapping_add(b)
                            } else {
                                r
                            }
                        }
                    }
                    Pow => {
                        if b < 0 {
                            match a {
                                1 => 1,
                                -1 => if b & 1 == 0 { 1 } else { -1 },
                                _ => 0,
                            }
                        } else {
                            wrapping_pow(a, b as u64)
                        }
                    }
                    Minimum => a.min(b),
                    Maximum => a.max(b),
                    _ => 0,
                }
            }
            fn map1(f: UnaryFn, x: Self) -> Self {
                use UnaryFn::*;
                match f {
                    Neg => x.wrapping_neg(),
                    Abs => x.wrapping_abs(),
                    Sign => x.signum(),
                    _ => x,
                }
            }
            fn lt(a: Self, b: Self) -> bool {
                a < b
            }
        }
    )*};
}
signed_ops!(i8, i16, i32, i64);

macro_rules! unsigned_ops {
    ($($t:ty),*) => {$(
        impl Ops for $t {
            fn arith(f: BinaryFn, a: Self, b: Self) -> Self {
                use BinaryFn::*;
                match f {
                    Add => a.wrapping_add(b),
                    Sub => a.wrapping_sub(b),
                    Mul => a.wrapping_mul(b),
                    FloorDiv | Div => a.checked_div(b).unwrap_or(0),
                    Mod => a.checked_rem(b).unwrap_or(0),
                    Pow => {
                        wrapping_pow(a, b as u64)
                    }
                    Minimum => a.min(b),
                    Maximum => a.max(b),
                    _ => 0,
                }
            }
            fn map1(f: UnaryFn, x: Self) -> Self {
                use UnaryFn::*;
                match f {
                    Neg => x.wrapping_neg(),
                    Sign => x.min(1),
                    _ => x,
                }
            }
            fn lt(a: Self, b: Self) -> bool {
                a < b
            }
        }
    )*};
}
unsigned_ops!(u8, u16, u32, u64);

impl Ops for bool {
    fn arith(f: BinaryFn, a: Self, b: Self) -> Self {
        use BinaryFn::*;
        // As 0/1 integers, the result made bool again.
        match f {
            Add | Maximum | Or => a || b,
            Mul | Minimum | FloorDiv | Div | And => a && b,
            Sub | Ne => a != b,
            Mod | Arctan2 => false,
            Pow => a || !b,
            Eq => a == b,
            Lt | Le | Gt | Ge => Self::compare(f, a, b),
            // Functions of strings; `binary` refuses bools before this.
            StartsWith | EndsWith | Contains => false,
        }
    }
    fn map1(_f: UnaryFn, x: Self) -> Self {
        x
    }
    fn lt(a: Self, b: Self) -> bool {
        !a & b
    }
}

/// NumPy's `npy_divmod`: the floor quotient and the remainder with the sign
/// of the divisor; by zero the quotient is `a / b` and the remainder NaN.
fn float_divmod<F: Float>(a: F, b: F) -> (F, F) {
    let zero = F::zero();
    let m = a % b; // fmod
    if b == zero {
        return (a / b, m);
    }
    let mut div = (a - m) / b;
    let mut m = m;
    if m != zero {
        if (b < zero) != (m < zero) {
            m = m + b;
            div = div - F::one();
        }
    } else {
        m = zero.copysign(b);
    }
    let half = F::one() / (F::one() + F::one());
    let fd = if div != zero {
        let mut fd = div.floor();
        if div - fd > half {
            fd = fd + F::one();
        }
        fd
    } else {
        zero.copysign(a / b)
    };
    (fd, m)
}

/// Rounds half to even (NumPy's `round`).
fn round_half_even<F: Float>(x: F) -> F {
    let two = F::one() + F::one();
    let r = x.round();
    if (r - x).abs() == F::one() / two {
        (x / two).round() * two
    } else {
        r
    }
}

fn real_arith<F: Float>(f: BinaryFn, a: F, b: F) -> F {
    use BinaryFn::*;
    match f {
        Add => a + b,
        Sub => a - b,
        Mul => a * b,
        Div => a / b,
        FloorDiv => float_divmod(a, b).0,
        Mod => {
            if b == F::zero() {
                a % b
            } else {
                float_divmod(a, b).1
            }
        }
        Pow => a.powf(b),
        Minimum => {
            if a.is_nan() || (!b.is_nan() && a <= b) {
                a
            } else {
                b
            }
        }
        Maximum => {
            if a.is_nan() || (!b.is_nan() && a >= b) {
                a
            } else {
                b
            }
        }
        Arctan2 => a.atan2(b),
        _ => F::nan(),
    }
}

fn real_map1<F: Float>(f: UnaryFn, x: F) -> F {
    use UnaryFn::*;
    match f {
        Neg => -x,
        Abs => x.abs(),
        Floor => x.floor(),
        Ceil => x.ceil(),
        Round => round_half_even(x),
        Sign => {
            if x > F::zero() {
                F::one()
            } else if x < F::zero() {
                -F::one()
            } else if x == F::zero() {
                F::zero()
            } else {
                x
            }
        }
        _ => x,
    }
}

macro_rules! real_ops {
    ($($t:ty),*) => {$(
        impl Ops for $t {
            fn arith(f: BinaryFn, a: Self, b: Self) -> Self {
                real_arith(f, a, b)
            }
            fn map1(f: UnaryFn, x: Self) -> Self {
                real_map1(f, x)
            }
            fn lt(a: Self, b: Self) -> bool {
                a < b
            }
        }
    )*};
}
real_ops!(f32, f64);

impl Ops for f16 {
    fn arith(f: BinaryFn, a: Self, b: Self) -> Self {
        f16::from_f32(real_arith(f, a.to_f32(), b.to_f32()))
    }
    fn map1(f: UnaryFn, x: Self) -> Self {
        f16::from_f32(real_map1(f, x.to_f32()))
    }
    fn lt(a: Self, b: Self) -> bool {
        a < b
    }
}

/// Complex division by Smith's method, as NumPy (no spurious overflow;
/// by zero: complex inf or NaN).
fn complex_div<F: Float>(a: Complex<F>, b: Complex<F>) -> Complex<F> {
    let (ar, ai, br, bi) = (a.re, a.im, b.re, b.im);
    let (abr, abi) = (br.abs(), bi.abs());
    if abr >= abi {
        if abr == F::zero() && abi == F::zero() {
            Complex::new(ar / abr, ai / abr)
        } else {
            let rat = bi / br;
            let scl = F::one() / (br + bi * rat);
            Complex::new((ar + ai * rat) * scl, (ai - ar * rat) * scl)
        }
    } else {
        let rat = br / bi;
        let scl = F::one() / (bi + br * rat);
        Complex::new((ar * rat + ai) * scl, (ai * rat - ar) * scl)
    }
}

/// Complex power as NumPy's `npy_cpow`: `z**0 == 1`; `0**w` is 0 for real
/// positive `w` and NaN otherwise; small integer exponents by repeated
/// multiplication; otherwise `exp(w ln z)`.
fn complex_pow<F: Float>(a: Complex<F>, b: Complex<F>) -> Complex<F> {
    let zero = F::zero();
    if b.re == zero && b.im == zero {
        return Complex::one();
    }
    if a.re == zero && a.im == zero {
        return if b.re > zero && b.im == zero {
            Complex::zero()
        } else {
            Complex::new(F::nan(), F::nan())
        };
    }
    if b.im == zero && b.re == b.re.trunc() && b.re.abs() < F::from(100.0).unwrap_or(zero) {
        let n = b.re.to_i64().unwrap_or(0);
        let mut e = n.unsigned_abs();
        let (mut base, mut acc) = (a, Complex::<F>::one());
        while e > 0 {
            if e & 1 == 1 {
                acc = acc * base;
            }
            base = base * base;
            e >>= 1;
        }
        return if n < 0 {
            complex_div(Complex::one(), acc)
        } else {
            acc
        };
    }
    a.powc(b)
}

/// `z/|z|`, 0 for 0 (see the module documentation for NaN and infinity).
fn complex_sign<F: Float>(z: Complex<F>) -> Complex<F> {
    let nan = Complex::new(F::nan(), F::nan());
    if z.re.is_nan() || z.im.is_nan() {
        return nan;
    }
    let unit = |x: F| {
        if x.is_infinite() {
            x.signum()
        } else {
            F::zero()
        }
    };
    match (z.re.is_infinite(), z.im.is_infinite()) {
        (true, true) => nan,
        (true, false) | (false, true) => Complex::new(unit(z.re), unit(z.im)),
        (false, false) => {
            let r = z.norm();
            if r == F::zero() {
                Complex::zero()
            } else {
                Complex::new(z.re / r, z.im / r)
            }
        }
    }
}

macro_rules! complex_ops {
    ($($t:ty),*) => {$(
        impl Ops for $t {
            fn arith(f: BinaryFn, a: Self, b: Self) -> Self {
                use BinaryFn::*;
                match f {
                    Add => a + b,
                    Sub => a - b,
                    Mul => a * b,
                    Div => complex_div(a, b),
                    Pow => complex_pow(a, b),
                    _ => Complex::new(Float::nan(), Float::nan()),
                }
            }
            fn map1(f: UnaryFn, x: Self) -> Self {
                use UnaryFn::*;
                match f {
                    Neg => -x,
                    Sign => complex_sign(x),
                    Abs => Complex::new(x.norm(), 0.0),
                    Floor | Ceil | Round => {
                        Complex::new(real_map1(f, x.re), real_map1(f, x.im))
                    }
                    _ => x,
                }
            }
            fn lt(_a: Self, _b: Self) -> bool {
                false
            }
        }
    )*};
}
complex_ops!(Complex32, Complex64);

/// The float functions (`sqrt`, `exp`, …) on a float or complex type.
pub(super) trait FloatFn: Convert {
    /// `f` of `x`.
    fn apply(f: UnaryFn, x: Self) -> Self;
}

fn real_fn<F: Float>(f: UnaryFn, x: F) -> F {
    use UnaryFn::*;
    match f {
        Sqrt => x.sqrt(),
        Exp => x.exp(),
        Log => x.ln(),
        Log2 => x.log2(),
        Log10 => x.log10(),
        Sin => x.sin(),
        Cos => x.cos(),
        Tan => x.tan(),
        Arcsin => x.asin(),
        Arccos => x.acos(),
        Arctan => x.atan(),
        Sinh => x.sinh(),
        Cosh => x.cosh(),
        Tanh => x.tanh(),
        _ => x,
    }
}

fn complex_fn<F: Float + FloatConst>(f: UnaryFn, z: Complex<F>) -> Complex<F> {
    use UnaryFn::*;
    match f {
        Sqrt => z.sqrt(),
        Exp => z.exp(),
        Log => z.ln(),
        Log2 => z.ln() / F::LN_2(),
        Log10 => z.ln() / F::LN_10(),
        Sin => z.sin(),
        Cos => z.cos(),
        Tan => z.tan(),
        Arcsin => z.asin(),
        Arccos => z.acos(),
        Arctan => z.atan(),
        Sinh => z.sinh(),
        Cosh => z.cosh(),
        Tanh => z.tanh(),
        _ => z,
    }
}

impl FloatFn for f16 {
    fn apply(f: UnaryFn, x: Self) -> Self {
        f16::from_f32(real_fn(f, x.to_f32()))
    }
}
impl FloatFn for f32 {
    fn apply(f: UnaryFn, x: Self) -> Self {
        real_fn(f, x)
    }
}
impl FloatFn for f64 {
    fn apply(f: UnaryFn, x: Self) -> Self {
        real_fn(f, x)
    }
}
impl FloatFn for Complex32 {
    fn apply(f: UnaryFn, x: Self) -> Self {
        complex_fn(f, x)
    }
}
impl FloatFn for Complex64 {
    fn apply(f: UnaryFn, x: Self) -> Self {
        complex_fn(f, x)
    }
}

pub(super) fn type_mismatch(what: &str, a: Scalar, b: Scalar) -> EvalError {
    EvalError::Value(format!(
        "{what} operands must have the same scalar type, got {} and {}",
        a.name(),
        b.name()
    ))
}

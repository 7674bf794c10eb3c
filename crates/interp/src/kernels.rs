//! Elementwise and reduction kernels of the reference interpreter.
//!
//! Everything here follows NumPy semantics and is written to be obviously
//! correct rather than fast. No function in this module panics on any data:
//! integer arithmetic wraps, integer division by zero gives 0, float-to-int
//! conversions saturate, and every shape is checked before it is used.
//!
//! Where NumPy is undefined, warns, or raises, the rules are:
//!
//! * **float → int casts**: NaN → 0; values out of range saturate to the
//!   integer's min/max (Rust `as`); finite values truncate toward zero.
//! * **int → narrower int casts** wrap (two's complement), as NumPy.
//! * **anything → bool** is `x != 0` (NaN is true; complex: either part
//!   non-zero); **bool → number** is 0/1; **complex → real** drops the
//!   imaginary part (NumPy's `ComplexWarning` behaviour).
//! * **integer `//` and `%` by zero** give 0 (NumPy gives 0 with a warning);
//!   `MIN // -1` wraps to `MIN`, `MIN % -1` is 0.
//! * **integer `**` with a negative exponent** (NumPy raises): `1/base^n`
//!   truncated toward zero: 1 for base 1, ±1 for base −1, 0 otherwise
//!   (including base 0).
//! * **bool arithmetic** (NumPy gives errors or int8 for some of these) is
//!   computed on 0/1 integers and the result made bool again: `+` is `or`,
//!   `*` is `and`, `//` is `and` (`x // 0 == 0`), `%` is always false,
//!   `**` is `a or not b`, `minimum`/`maximum` are `and`/`or`; `sign`, `abs`,
//!   `floor`, `ceil`, `round` are the identity.
//! * **complex `sign`** is `z/|z|`, 0 for 0; NaN in either part gives
//!   NaN+NaNj; an infinite modulus gives the unit vector of the infinite
//!   part(s) (`sign(inf+1j) == 1`, `sign(-inf+inf j) == NaN+NaNj`).
//! * **complex `round`, `floor`, `ceil`** act on both parts.
//! * **float16** is computed through float32 and rounded back, one rounding
//!   per operation; its sums, products, means and variances accumulate in
//!   float32.
//! * **float sums** use pairwise summation (blocks of 8 summed left to
//!   right, then halves); this is as accurate as NumPy's but not bitwise
//!   identical to it on every input.
//! * **reductions with a missing mask** skip masked elements, like NumPy's
//!   `nan*` functions; a reduction whose every element is missing behaves as
//!   an empty one.

use std::ops::{Add, Div, Sub};

use blaze_datashape::Scalar;
use blaze_ir::ops::{float_of, BinaryFn, ReduceFn, UnaryFn};
use half::f16;
use ndarray::{ArrayD, ArrayViewD, IxDyn, Zip};
use num_complex::{Complex, Complex32, Complex64};
use num_traits::{Float, FloatConst, One, Zero};

use crate::{with_array, Array, EvalError};

// ---------------------------------------------------------------------------
// Shapes and broadcasting
// ---------------------------------------------------------------------------

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
fn view_as<'a, T>(a: &'a ArrayD<T>, shape: &[usize]) -> Result<ArrayViewD<'a, T>, EvalError> {
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
    Ok(view_as(a, shape)?.to_owned())
}

/// `x` broadcast to `shape` (NumPy `broadcast_to`, copied): the shape must
/// be one `x`'s shape broadcasts to without changing `shape`.
pub fn broadcast_to(x: &Array, shape: &[usize]) -> Result<Array, EvalError> {
    with_array!(x, a => Ok(Elem::wrap(broadcast_owned(a, shape)?)))
}

/// A missing-value mask broadcast to `shape` (as [`broadcast_to`]).
pub fn broadcast_mask(m: &ArrayD<bool>, shape: &[usize]) -> Result<ArrayD<bool>, EvalError> {
    broadcast_owned(m, shape)
}

/// `f` applied elementwise to `a` and `b` broadcast together.
fn zip2<A: Copy, B: Copy, R>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    f: impl Fn(A, B) -> R,
) -> Result<ArrayD<R>, EvalError> {
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    let av = view_as(a, &shape)?;
    let bv = view_as(b, &shape)?;
    Ok(Zip::from(av).and(bv).map_collect(|x, y| f(*x, *y)))
}

// ---------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------

/// A scalar value in a form every element type converts to and from
/// without loss: integers (and bool) as `i128`, reals as `f64`, complex
/// numbers as two `f64`.
#[derive(Clone, Copy, Debug)]
enum Univ {
    I(i128),
    F(f64),
    C(f64, f64),
}

/// What every element type of an [`Array`] can do.
trait Elem: Copy + PartialEq + std::fmt::Debug + 'static {
    /// The array of this element type as an [`Array`].
    fn wrap(a: ArrayD<Self>) -> Array;
    /// The value, losslessly.
    fn to_univ(self) -> Univ;
    /// The value converted by the cast rules of [`cast`].
    fn from_univ(u: Univ) -> Self;
    /// `x != 0` (complex: either part).
    fn truthy(self) -> bool;
    /// Whether the value is NaN (complex: either part); false for integers.
    fn isnan(self) -> bool;
}

macro_rules! int_elem {
    ($($t:ty => $v:ident),*) => {$(
        impl Elem for $t {
            fn wrap(a: ArrayD<Self>) -> Array {
                Array::$v(a)
            }
            fn to_univ(self) -> Univ {
                Univ::I(self as i128)
            }
            fn from_univ(u: Univ) -> Self {
                match u {
                    // `as` from i128 keeps the low bits: two's-complement wrap.
                    Univ::I(i) => i as $t,
                    // `as` from float saturates, NaN → 0, truncates toward 0.
                    Univ::F(f) => f as $t,
                    Univ::C(re, _) => re as $t,
                }
            }
            fn truthy(self) -> bool {
                self != 0
            }
            fn isnan(self) -> bool {
                false
            }
        }
    )*};
}
int_elem!(i8 => Int8, i16 => Int16, i32 => Int32, i64 => Int64,
          u8 => UInt8, u16 => UInt16, u32 => UInt32, u64 => UInt64);

impl Elem for bool {
    fn wrap(a: ArrayD<Self>) -> Array {
        Array::Bool(a)
    }
    fn to_univ(self) -> Univ {
        Univ::I(self as i128)
    }
    fn from_univ(u: Univ) -> Self {
        match u {
            Univ::I(i) => i != 0,
            Univ::F(f) => f != 0.0,
            Univ::C(re, im) => re != 0.0 || im != 0.0,
        }
    }
    fn truthy(self) -> bool {
        self
    }
    fn isnan(self) -> bool {
        false
    }
}

macro_rules! float_elem {
    ($($t:ty => $v:ident),*) => {$(
        impl Elem for $t {
            fn wrap(a: ArrayD<Self>) -> Array {
                Array::$v(a)
            }
            fn to_univ(self) -> Univ {
                Univ::F(self as f64)
            }
            fn from_univ(u: Univ) -> Self {
                match u {
                    // Correctly rounded (i128 → float and f64 → f32 in Rust).
                    Univ::I(i) => i as $t,
                    Univ::F(f) => f as $t,
                    Univ::C(re, _) => re as $t,
                }
            }
            fn truthy(self) -> bool {
                self != 0.0
            }
            fn isnan(self) -> bool {
                self.is_nan()
            }
        }
    )*};
}
float_elem!(f32 => Float32, f64 => Float64);

impl Elem for f16 {
    fn wrap(a: ArrayD<Self>) -> Array {
        Array::Float16(a)
    }
    fn to_univ(self) -> Univ {
        Univ::F(self.to_f64())
    }
    fn from_univ(u: Univ) -> Self {
        match u {
            // Exact below 2^53; anything larger overflows float16 anyway.
            Univ::I(i) => f16::from_f64(i as f64),
            Univ::F(f) => f16::from_f64(f),
            Univ::C(re, _) => f16::from_f64(re),
        }
    }
    fn truthy(self) -> bool {
        self.to_f32() != 0.0
    }
    fn isnan(self) -> bool {
        self.is_nan()
    }
}

macro_rules! complex_elem {
    ($($t:ty => $v:ident, $f:ty),*) => {$(
        impl Elem for $t {
            fn wrap(a: ArrayD<Self>) -> Array {
                Array::$v(a)
            }
            fn to_univ(self) -> Univ {
                Univ::C(self.re as f64, self.im as f64)
            }
            fn from_univ(u: Univ) -> Self {
                match u {
                    Univ::I(i) => Complex::new(i as $f, 0.0),
                    Univ::F(f) => Complex::new(f as $f, 0.0),
                    Univ::C(re, im) => Complex::new(re as $f, im as $f),
                }
            }
            fn truthy(self) -> bool {
                self.re != 0.0 || self.im != 0.0
            }
            fn isnan(self) -> bool {
                self.re.is_nan() || self.im.is_nan()
            }
        }
    )*};
}
complex_elem!(Complex32 => Complex64, f32, Complex64 => Complex128, f64);

/// Every element of `x` converted to `D` by the rules of [`cast`].
fn conv<D: Elem>(x: &Array) -> ArrayD<D> {
    with_array!(x, a => a.mapv(|v| D::from_univ(v.to_univ())))
}

/// The truthiness (`x != 0`) of every element.
fn truth(x: &Array) -> ArrayD<bool> {
    with_array!(x, a => a.mapv(Elem::truthy))
}

/// `x` converted to scalar type `to`, with NumPy `astype` semantics.
///
/// Where NumPy is undefined: float → int maps NaN to 0, saturates values
/// out of range to the integer's min/max and truncates finite values toward
/// zero; int → narrower int wraps (two's complement); anything → bool is
/// `x != 0` (complex: either part non-zero; NaN is true); bool → number is
/// 0/1; complex → real takes the real part; conversions to float16 round to
/// nearest even.
pub fn cast(x: &Array, to: Scalar) -> Array {
    if x.scalar() == to {
        return x.clone();
    }
    match to {
        Scalar::Bool => Array::Bool(conv(x)),
        Scalar::Int8 => Array::Int8(conv(x)),
        Scalar::Int16 => Array::Int16(conv(x)),
        Scalar::Int32 => Array::Int32(conv(x)),
        Scalar::Int64 => Array::Int64(conv(x)),
        Scalar::UInt8 => Array::UInt8(conv(x)),
        Scalar::UInt16 => Array::UInt16(conv(x)),
        Scalar::UInt32 => Array::UInt32(conv(x)),
        Scalar::UInt64 => Array::UInt64(conv(x)),
        Scalar::Float16 => Array::Float16(conv(x)),
        Scalar::Float32 => Array::Float32(conv(x)),
        Scalar::Float64 => Array::Float64(conv(x)),
        Scalar::Complex64 => Array::Complex64(conv(x)),
        Scalar::Complex128 => Array::Complex128(conv(x)),
    }
}

// ---------------------------------------------------------------------------
// Elementwise operations per element type
// ---------------------------------------------------------------------------

/// Operations that keep the element type.
trait Ops: Elem {
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
                            let (mut base, mut e, mut acc) = (a, b as u64, 1 as $t);
                            while e > 0 {
                                if e & 1 == 1 {
                                    acc = acc.wrapping_mul(base);
                                }
                                base = base.wrapping_mul(base);
                                e >>= 1;
                            }
                            acc
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
                        let (mut base, mut e, mut acc) = (a, b as u64, 1 as $t);
                        while e > 0 {
                            if e & 1 == 1 {
                                acc = acc.wrapping_mul(base);
                            }
                            base = base.wrapping_mul(base);
                            e >>= 1;
                        }
                        acc
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
trait FloatFn: Elem {
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

fn type_mismatch(what: &str, a: Scalar, b: Scalar) -> EvalError {
    EvalError::Value(format!(
        "{what} operands must have the same scalar type, got {} and {}",
        a.name(),
        b.name()
    ))
}

// ---------------------------------------------------------------------------
// Elementwise entry points
// ---------------------------------------------------------------------------

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
        IsNan => Array::Bool(with_array!(x, a => a.mapv(Elem::isnan))),
        IsNa => Array::Bool(ArrayD::from_elem(IxDyn(x.shape()), false)),
        Neg | Abs | Floor | Ceil | Round | Sign => match x {
            Array::Complex64(a) if f == Abs => Array::Float32(a.mapv(|z| z.norm())),
            Array::Complex128(a) if f == Abs => Array::Float64(a.mapv(|z| z.norm())),
            _ => with_array!(x, a => Elem::wrap(a.mapv(|v| Ops::map1(f, v)))),
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
                Ok(Elem::wrap(zip2(x, y, |p, q| Ops::arith(f, p, q))?)),
                else => mismatch())
        }
        Add | Sub | Mul | FloorDiv | Mod | Pow | Minimum | Maximum => same_type!(a, b, (x, y) =>
            Ok(Elem::wrap(zip2(x, y, |p, q| Ops::arith(f, p, q))?)),
            else => mismatch()),
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
        Ok(Elem::wrap(
            Zip::from(cv).and(av).and(bv).map_collect(|&c, &p, &q| if c { p } else { q }),
        ))
    }, else => Err(type_mismatch("`where`", x.scalar(), y.scalar())))
}

// ---------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------

/// Pairwise summation of `xs` (blocks of at most 8 summed left to right,
/// starting from the first element), 0 when empty.
fn pairwise<T: Copy + Add<Output = T> + Zero>(xs: &[T]) -> T {
    if xs.len() <= 8 {
        match xs.split_first() {
            None => T::zero(),
            Some((&first, rest)) => rest.iter().fold(first, |s, &v| s + v),
        }
    } else {
        let (l, r) = xs.split_at(xs.len() / 2);
        pairwise(l) + pairwise(r)
    }
}

/// The types sums and products accumulate in.
trait Acc: Elem {
    fn sum(xs: &[Self]) -> Self;
    fn prod(xs: &[Self]) -> Self;
}

macro_rules! wrapping_acc {
    ($($t:ty),*) => {$(
        impl Acc for $t {
            fn sum(xs: &[Self]) -> Self {
                xs.iter().fold(0, |s, &v| s.wrapping_add(v))
            }
            fn prod(xs: &[Self]) -> Self {
                xs.iter().fold(1, |s, &v| s.wrapping_mul(v))
            }
        }
    )*};
}
wrapping_acc!(i64, u64);

macro_rules! float_acc {
    ($($t:ty),*) => {$(
        impl Acc for $t {
            fn sum(xs: &[Self]) -> Self {
                pairwise(xs)
            }
            fn prod(xs: &[Self]) -> Self {
                match xs.split_first() {
                    None => <$t>::one(),
                    Some((&first, rest)) => rest.iter().fold(first, |s, &v| s * v),
                }
            }
        }
    )*};
}
float_acc!(f32, f64, Complex32, Complex64);

/// The types means and variances are computed in.
trait Field: Acc + Sub<Output = Self> + Div<Self::Real, Output = Self> {
    /// The type of the components.
    type Real: Acc + Float;
    /// `|x|^2`.
    fn abs2(self) -> Self::Real;
    /// `n` as a real.
    fn count(n: usize) -> Self::Real;
}

macro_rules! real_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            type Real = $t;
            fn abs2(self) -> $t {
                self * self
            }
            fn count(n: usize) -> $t {
                n as $t
            }
        }
    )*};
}
real_field!(f32, f64);

macro_rules! complex_field {
    ($($t:ty => $f:ty),*) => {$(
        impl Field for $t {
            type Real = $f;
            fn abs2(self) -> $f {
                self.norm_sqr()
            }
            fn count(n: usize) -> $f {
                n as $f
            }
        }
    )*};
}
complex_field!(Complex32 => f32, Complex64 => f64);

/// How a reduction splits its operand: the reduced axes (sorted), the
/// broadcast mask, and the result's shape.
struct Plan {
    axes: Vec<usize>,
    mask: Option<ArrayD<bool>>,
    out_shape: Vec<usize>,
}

/// The groups of elements reduced together, in the C order of the result;
/// each holds the (index in the C order of the reduced axes, value) pairs of
/// its elements that are not missing.
fn groups<T: Copy>(a: &ArrayD<T>, plan: &Plan) -> Vec<Vec<(usize, T)>> {
    let shape = a.shape();
    let kept: Vec<usize> = (0..a.ndim()).filter(|i| !plan.axes.contains(i)).collect();
    let perm: Vec<usize> = kept.iter().chain(plan.axes.iter()).copied().collect();
    let n_red: usize = plan.axes.iter().map(|&i| shape[i]).product();
    let n_groups: usize = kept.iter().map(|&i| shape[i]).product();
    if n_red == 0 {
        return vec![Vec::new(); n_groups];
    }
    let vals: Vec<T> = a
        .view()
        .permuted_axes(IxDyn(&perm))
        .iter()
        .copied()
        .collect();
    let miss: Vec<bool> = match &plan.mask {
        Some(m) => m
            .view()
            .permuted_axes(IxDyn(&perm))
            .iter()
            .copied()
            .collect(),
        None => vec![false; vals.len()],
    };
    vals.chunks(n_red)
        .zip(miss.chunks(n_red))
        .map(|(vs, ms)| {
            vs.iter()
                .zip(ms)
                .enumerate()
                .filter(|(_, (_, &m))| !m)
                .map(|(j, (&v, _))| (j, v))
                .collect()
        })
        .collect()
}

/// `g(group)` for every group, shaped as the result.
fn reduce_groups<T: Copy, R>(
    a: &ArrayD<T>,
    plan: &Plan,
    g: impl Fn(&[(usize, T)]) -> Result<R, EvalError>,
) -> Result<ArrayD<R>, EvalError> {
    let vals = groups(a, plan)
        .iter()
        .map(|grp| g(grp))
        .collect::<Result<Vec<R>, EvalError>>()?;
    ArrayD::from_shape_vec(IxDyn(&plan.out_shape), vals)
        .map_err(|e| EvalError::Shape(format!("reduction result: {e}")))
}

fn values<T: Copy>(g: &[(usize, T)]) -> Vec<T> {
    g.iter().map(|&(_, v)| v).collect()
}

/// The (index, value) of the minimum (or maximum) of a group: the first
/// occurrence; the first NaN if there is one; `None` when empty.
fn arg_extreme<T: Ops>(g: &[(usize, T)], max: bool) -> Option<(usize, T)> {
    let mut best: Option<(usize, T)> = None;
    for &(i, v) in g {
        match best {
            None => best = Some((i, v)),
            Some((_, b)) => {
                if b.isnan() {
                    break;
                }
                let better = if max { T::lt(b, v) } else { T::lt(v, b) };
                if v.isnan() || better {
                    best = Some((i, v));
                }
            }
        }
    }
    best
}

fn sum_prod<T: Acc>(f: ReduceFn, a: &ArrayD<T>, plan: &Plan) -> Result<Array, EvalError> {
    let out = reduce_groups(a, plan, |g| {
        let vs = values(g);
        Ok(if f == ReduceFn::Prod {
            T::prod(&vs)
        } else {
            T::sum(&vs)
        })
    })?;
    Ok(T::wrap(out))
}

fn moments<T: Field>(f: ReduceFn, a: &ArrayD<T>, plan: &Plan) -> Result<Array, EvalError> {
    let mean = |vs: &[T]| T::sum(vs) / T::count(vs.len());
    if f == ReduceFn::Mean {
        return Ok(T::wrap(reduce_groups(a, plan, |g| Ok(mean(&values(g))))?));
    }
    let out = reduce_groups(a, plan, |g| {
        let vs = values(g);
        let m = mean(&vs);
        let dev: Vec<T::Real> = vs.iter().map(|&v| (v - m).abs2()).collect();
        let var = T::Real::sum(&dev) / T::count(vs.len());
        Ok(if f == ReduceFn::Std { var.sqrt() } else { var })
    })?;
    Ok(T::Real::wrap(out))
}

fn extremes<T: Ops>(f: ReduceFn, a: &ArrayD<T>, plan: &Plan) -> Result<Array, EvalError> {
    let max = matches!(f, ReduceFn::Max | ReduceFn::ArgMax);
    let arg = matches!(f, ReduceFn::ArgMin | ReduceFn::ArgMax);
    if arg {
        let out = reduce_groups(a, plan, |g| match arg_extreme(g, max) {
            Some((i, _)) => Ok(i as i64),
            None => Err(EvalError::Value(format!(
                "attempt to get {} of an empty sequence",
                f.name()
            ))),
        })?;
        Ok(Array::Int64(out))
    } else {
        let out = reduce_groups(a, plan, |g| match arg_extreme(g, max) {
            Some((_, v)) => Ok(v),
            None => Err(EvalError::Value(format!(
                "zero-size array to reduction operation {} which has no identity",
                f.name()
            ))),
        })?;
        Ok(T::wrap(out))
    }
}

/// A reduction of `x` over `axes` (all axes when `None`), with NumPy
/// semantics; elements where `missing` is true are skipped (like NumPy's
/// `nan*` functions). `missing` is broadcast to `x`'s shape.
///
/// `axes` must be in range and unique (an error otherwise); `keepdims`
/// keeps the reduced axes with length 1. The result has scalar type
/// `f.result(x.scalar())`:
///
/// * `sum`/`prod` accumulate in the result type (wrapping int64/uint64 for
///   integers and bool; float16 in float32); float sums are pairwise;
///   empty sum 0, empty product 1.
/// * `min`/`max` propagate NaN; empty (or all missing) is an error.
/// * `mean` is sum/count in the float type (float16 through float32);
///   empty is NaN.
/// * `var`/`std` are the population variance and standard deviation
///   (ddof 0), computed in two passes (mean first); complex variance is the
///   real `mean(|x - mean|^2)`; empty is NaN.
/// * `any`/`all` use truthiness (empty: false/true).
/// * `argmin`/`argmax` need `axes` `None` (the index in the flattened C
///   order) or exactly one axis; first occurrence wins; a NaN wins (the
///   first NaN); empty is an error.
/// * `count` is the number of elements that are not missing (int64).
pub fn reduce(
    f: ReduceFn,
    x: &Array,
    missing: Option<&ArrayD<bool>>,
    axes: Option<&[usize]>,
    keepdims: bool,
) -> Result<Array, EvalError> {
    use ReduceFn::*;
    let t = x.scalar();
    let r = f.result(t).map_err(EvalError::Value)?;
    let nd = x.ndim();
    let mut ax: Vec<usize> = match axes {
        None => (0..nd).collect(),
        Some(list) => {
            for (k, &a) in list.iter().enumerate() {
                if a >= nd {
                    return Err(EvalError::Value(format!(
                        "axis {a} is out of bounds for array of dimension {nd}"
                    )));
                }
                if list[..k].contains(&a) {
                    return Err(EvalError::Value(format!("duplicate value in axes: {a}")));
                }
            }
            list.to_vec()
        }
    };
    ax.sort_unstable();
    if matches!(f, ArgMin | ArgMax) && axes.is_some_and(|l| l.len() != 1) {
        return Err(EvalError::Value(format!(
            "`{}` reduces over one axis or the whole flattened array",
            f.name()
        )));
    }
    // As NumPy: a reduction without identity over a zero-length axis fails,
    // even when the result itself is empty.
    if matches!(f, Min | Max | ArgMin | ArgMax) && ax.iter().any(|&a| x.shape()[a] == 0) {
        return Err(EvalError::Value(match f {
            ArgMin | ArgMax => format!("attempt to get {} of an empty sequence", f.name()),
            _ => format!(
                "zero-size array to reduction operation {} which has no identity",
                f.name()
            ),
        }));
    }
    let mask = missing.map(|m| broadcast_mask(m, x.shape())).transpose()?;
    let out_shape: Vec<usize> = x
        .shape()
        .iter()
        .enumerate()
        .filter_map(|(i, &d)| match (ax.contains(&i), keepdims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    let plan = Plan {
        axes: ax,
        mask,
        out_shape,
    };
    let wrong = |y: &Array| {
        Err(EvalError::Value(format!(
            "`{}` cannot accumulate in {}",
            f.name(),
            y.scalar().name()
        )))
    };
    match f {
        Count => Ok(Array::Int64(
            with_array!(x, a => reduce_groups(a, &plan, |g| Ok(g.len() as i64))?),
        )),
        Any | All => {
            let tx = truth(x);
            let out = reduce_groups(&tx, &plan, |g| {
                Ok(if f == Any {
                    g.iter().any(|&(_, v)| v)
                } else {
                    g.iter().all(|&(_, v)| v)
                })
            })?;
            Ok(Array::Bool(out))
        }
        Sum | Prod => {
            let work = if t == Scalar::Float16 {
                Scalar::Float32
            } else {
                r
            };
            let y = cast(x, work);
            let out = match &y {
                Array::Int64(a) => sum_prod(f, a, &plan)?,
                Array::UInt64(a) => sum_prod(f, a, &plan)?,
                Array::Float32(a) => sum_prod(f, a, &plan)?,
                Array::Float64(a) => sum_prod(f, a, &plan)?,
                Array::Complex64(a) => sum_prod(f, a, &plan)?,
                Array::Complex128(a) => sum_prod(f, a, &plan)?,
                other => return wrong(other),
            };
            Ok(cast(&out, r))
        }
        Mean | Var | Std => {
            let work = if t == Scalar::Float16 {
                Scalar::Float32
            } else {
                float_of(t)
            };
            let y = cast(x, work);
            let out = match &y {
                Array::Float32(a) => moments(f, a, &plan)?,
                Array::Float64(a) => moments(f, a, &plan)?,
                Array::Complex64(a) => moments(f, a, &plan)?,
                Array::Complex128(a) => moments(f, a, &plan)?,
                other => return wrong(other),
            };
            Ok(cast(&out, r))
        }
        Min | Max | ArgMin | ArgMax => match x {
            Array::Complex64(_) | Array::Complex128(_) => wrong(x),
            _ => with_array!(x, a => extremes(f, a, &plan)),
        },
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arr<T: Elem>(shape: &[usize], v: Vec<T>) -> Array {
        T::wrap(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
    }
    fn v1<T: Elem>(v: Vec<T>) -> Array {
        let n = v.len();
        arr(&[n], v)
    }
    fn f64s(a: &Array) -> Vec<f64> {
        conv::<f64>(a).iter().copied().collect()
    }
    fn i64s(a: &Array) -> Vec<i64> {
        conv::<i64>(a).iter().copied().collect()
    }
    fn bools(a: &Array) -> Vec<bool> {
        conv::<bool>(a).iter().copied().collect()
    }
    /// Equal as f64, NaN equal to NaN and the sign of zero significant.
    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                (x.is_nan() && y.is_nan())
                    || (x == y && x.is_sign_negative() == y.is_sign_negative())
            })
    }
    fn bin(f: BinaryFn, a: &Array, b: &Array) -> Array {
        binary(f, a, b).unwrap()
    }
    fn red(f: ReduceFn, x: &Array, axes: Option<&[usize]>, keepdims: bool) -> Array {
        reduce(f, x, None, axes, keepdims).unwrap()
    }
    const NAN: f64 = f64::NAN;
    const INF: f64 = f64::INFINITY;

    // --- shapes ---

    #[test]
    fn broadcast_shapes_numpy_rules() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap(), vec![3, 4]);
        assert_eq!(broadcast_shapes(&[], &[2, 3]).unwrap(), vec![2, 3]);
        assert_eq!(broadcast_shapes(&[0, 1], &[1, 5]).unwrap(), vec![0, 5]);
        assert_eq!(
            broadcast_shapes(&[2, 1, 3], &[4, 1]).unwrap(),
            vec![2, 4, 3]
        );
        let e = broadcast_shapes(&[3, 2], &[3]).unwrap_err();
        match e {
            EvalError::Shape(m) => assert!(m.contains("(3, 2)") && m.contains("(3,)"), "{m}"),
            other => panic!("{other:?}"),
        }
        // Zero-size results may have huge lengths, but the product of the
        // non-zero lengths must fit in isize (ndarray's limit).
        assert!(broadcast_shapes(&[1 << 40, 1, 0], &[1, 1 << 20, 0]).is_ok());
        assert!(broadcast_shapes(&[1 << 40, 1, 0], &[1, 1 << 40, 0]).is_err());
    }

    #[test]
    fn broadcast_3x1_with_4() {
        let a = arr(&[3, 1], vec![0i32, 10, 20]);
        let b = v1(vec![1i32, 2, 3, 4]);
        let c = bin(BinaryFn::Add, &a, &b);
        assert_eq!(c.shape(), &[3, 4]);
        assert_eq!(i64s(&c), vec![1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
        let e = binary(BinaryFn::Add, &v1(vec![1i32, 2, 3]), &b).unwrap_err();
        assert!(matches!(e, EvalError::Shape(_)));
    }

    #[test]
    fn broadcast_to_and_mask() {
        let x = v1(vec![1u8, 2]);
        let y = broadcast_to(&x, &[3, 2]).unwrap();
        assert_eq!(y.shape(), &[3, 2]);
        assert_eq!(i64s(&y), vec![1, 2, 1, 2, 1, 2]);
        assert!(broadcast_to(&x, &[3]).is_err());
        assert!(broadcast_to(&x, &[]).is_err());
        let m = ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![true, false]).unwrap();
        let mb = broadcast_mask(&m, &[2, 3]).unwrap();
        assert_eq!(
            mb.iter().copied().collect::<Vec<_>>(),
            vec![true, true, true, false, false, false]
        );
        assert!(broadcast_mask(&m, &[3, 3]).is_err());
    }

    // --- cast ---

    #[test]
    fn cast_float_to_int() {
        let x = v1(vec![
            NAN, INF, -INF, 1e300, -1e300, 2.9, -2.9, 127.5, -128.7, -0.0,
        ]);
        assert_eq!(
            i64s(&cast(&x, Scalar::Int8)),
            vec![0, 127, -128, 127, -128, 2, -2, 127, -128, 0]
        );
        assert_eq!(
            i64s(&cast(&x, Scalar::Int64)),
            vec![
                0,
                i64::MAX,
                i64::MIN,
                i64::MAX,
                i64::MIN,
                2,
                -2,
                127,
                -128,
                0
            ]
        );
        let u = cast(&x, Scalar::UInt8);
        assert_eq!(i64s(&u), vec![0, 255, 0, 255, 0, 2, 0, 127, 0, 0]);
        match cast(&x, Scalar::UInt64) {
            Array::UInt64(a) => assert_eq!(a[[1]], u64::MAX),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cast_int_wraps_and_bool() {
        let x = v1(vec![300i32, -1, 128, -129]);
        assert_eq!(i64s(&cast(&x, Scalar::Int8)), vec![44, -1, -128, 127]);
        assert_eq!(i64s(&cast(&x, Scalar::UInt8)), vec![44, 255, 128, 127]);
        let u = v1(vec![u64::MAX]);
        assert_eq!(i64s(&cast(&u, Scalar::Int64)), vec![-1]);
        let f = v1(vec![0.0, -0.0, NAN, 0.1]);
        assert_eq!(
            bools(&cast(&f, Scalar::Bool)),
            vec![false, false, true, true]
        );
        let c = v1(vec![Complex64::new(0.0, 0.0), Complex64::new(0.0, 2.0)]);
        assert_eq!(bools(&cast(&c, Scalar::Bool)), vec![false, true]);
        let b = v1(vec![true, false]);
        assert!(same(&f64s(&cast(&b, Scalar::Float16)), &[1.0, 0.0]));
        assert_eq!(i64s(&cast(&b, Scalar::Int32)), vec![1, 0]);
    }

    #[test]
    fn cast_complex_and_float16() {
        let c = v1(vec![Complex64::new(2.5, -7.0)]);
        assert!(same(&f64s(&cast(&c, Scalar::Float32)), &[2.5]));
        assert_eq!(i64s(&cast(&c, Scalar::Int16)), vec![2]);
        let f = v1(vec![1.0f64, 65504.0, 65520.0, 1e-8, 0.1]);
        match cast(&f, Scalar::Float16) {
            Array::Float16(a) => {
                assert_eq!(a[[0]], f16::ONE);
                assert_eq!(a[[1]], f16::MAX);
                assert!(a[[2]].is_infinite());
                assert_eq!(a[[3]], f16::ZERO);
                assert_eq!(a[[4]], f16::from_f64(0.1));
            }
            other => panic!("{other:?}"),
        }
        let i = v1(vec![i64::MAX, 2049]);
        assert!(same(&f64s(&cast(&i, Scalar::Float16)), &[INF, 2048.0]));
        let r = cast(&v1(vec![3i8]), Scalar::Complex64);
        assert_eq!(r, v1(vec![Complex32::new(3.0, 0.0)]));
        // i64 → f32 rounds once, correctly.
        let big = v1(vec![(1i64 << 53) + 1]);
        assert!(same(
            &f64s(&cast(&big, Scalar::Float32)),
            &[9007199254740992.0]
        ));
    }

    // --- unary ---

    #[test]
    fn unary_wrapping_and_abs() {
        let x = v1(vec![i8::MIN, -1, 0, 127]);
        assert_eq!(
            i64s(&unary(UnaryFn::Neg, &x).unwrap()),
            vec![-128, 1, 0, -127]
        );
        assert_eq!(
            i64s(&unary(UnaryFn::Abs, &x).unwrap()),
            vec![-128, 1, 0, 127]
        );
        assert_eq!(i64s(&unary(UnaryFn::Sign, &x).unwrap()), vec![-1, -1, 0, 1]);
        let u = v1(vec![1u8, 0]);
        assert_eq!(i64s(&unary(UnaryFn::Neg, &u).unwrap()), vec![255, 0]);
        assert!(unary(UnaryFn::Neg, &v1(vec![true])).is_err());
        let c = v1(vec![Complex64::new(3.0, 4.0)]);
        let a = unary(UnaryFn::Abs, &c).unwrap();
        assert_eq!(a.scalar(), Scalar::Float64);
        assert!(same(&f64s(&a), &[5.0]));
    }

    #[test]
    fn unary_round_half_even() {
        let x = v1(vec![
            0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.4, 2.6, NAN, INF, 1e300,
        ]);
        let r = unary(UnaryFn::Round, &x).unwrap();
        assert!(same(
            &f64s(&r),
            &[0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 0.0, 3.0, NAN, INF, 1e300]
        ));
        let h = v1(vec![f16::from_f32(2.5), f16::from_f32(3.5)]);
        assert!(same(
            &f64s(&unary(UnaryFn::Round, &h).unwrap()),
            &[2.0, 4.0]
        ));
        let i = v1(vec![7i32]);
        assert_eq!(unary(UnaryFn::Round, &i).unwrap(), i);
        assert!(same(
            &f64s(&unary(UnaryFn::Floor, &v1(vec![-1.5])).unwrap()),
            &[-2.0]
        ));
        assert!(same(
            &f64s(&unary(UnaryFn::Ceil, &v1(vec![-1.5])).unwrap()),
            &[-1.0]
        ));
        assert!(unary(UnaryFn::Floor, &v1(vec![Complex32::new(1.0, 1.0)])).is_err());
    }

    #[test]
    fn unary_float_functions() {
        let x = v1(vec![4i32, 0, -1]);
        let s = unary(UnaryFn::Sqrt, &x).unwrap();
        assert_eq!(s.scalar(), Scalar::Float64);
        assert!(same(&f64s(&s), &[2.0, 0.0, NAN]));
        let l = unary(UnaryFn::Log, &x).unwrap();
        assert!(same(&f64s(&l), &[4f64.ln(), -INF, NAN]));
        let f = v1(vec![8.0f32]);
        let l2 = unary(UnaryFn::Log2, &f).unwrap();
        assert_eq!(l2, v1(vec![3.0f32]));
        let c = v1(vec![Complex64::new(-4.0, 0.0)]);
        match unary(UnaryFn::Sqrt, &c).unwrap() {
            Array::Complex128(a) => {
                assert!(a[[0]].re.abs() < 1e-15 && (a[[0]].im - 2.0).abs() < 1e-15)
            }
            other => panic!("{other:?}"),
        }
        match unary(UnaryFn::Log10, &v1(vec![Complex64::new(100.0, 0.0)])).unwrap() {
            Array::Complex128(a) => assert!((a[[0]].re - 2.0).abs() < 1e-15 && a[[0]].im == 0.0),
            other => panic!("{other:?}"),
        }
        let h = v1(vec![f16::from_f32(2.0)]);
        match unary(UnaryFn::Exp, &h).unwrap() {
            Array::Float16(a) => assert_eq!(a[[0]], f16::from_f32(2f32.exp())),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unary_sign_isnan_not_isna() {
        let x = v1(vec![-2.0, 0.0, -0.0, 3.0, NAN, -INF]);
        assert!(same(
            &f64s(&unary(UnaryFn::Sign, &x).unwrap()),
            &[-1.0, 0.0, 0.0, 1.0, NAN, -1.0]
        ));
        assert_eq!(
            bools(&unary(UnaryFn::IsNan, &x).unwrap()),
            vec![false, false, false, false, true, false]
        );
        assert_eq!(
            bools(&unary(UnaryFn::Not, &x).unwrap()),
            vec![false, true, true, false, false, false]
        );
        assert_eq!(bools(&unary(UnaryFn::IsNa, &x).unwrap()), vec![false; 6]);
        assert_eq!(
            bools(&unary(UnaryFn::IsNan, &v1(vec![1i32])).unwrap()),
            vec![false]
        );
        let c = v1(vec![
            Complex64::new(3.0, 4.0),
            Complex64::new(0.0, 0.0),
            Complex64::new(NAN, 0.0),
            Complex64::new(INF, 1.0),
        ]);
        match unary(UnaryFn::Sign, &c).unwrap() {
            Array::Complex128(a) => {
                assert_eq!(a[[0]], Complex64::new(0.6, 0.8));
                assert_eq!(a[[1]], Complex64::new(0.0, 0.0));
                assert!(a[[2]].re.is_nan() && a[[2]].im.is_nan());
                assert_eq!(a[[3]], Complex64::new(1.0, 0.0));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            bools(&unary(UnaryFn::IsNan, &c).unwrap()),
            vec![false, false, true, false]
        );
    }

    // --- binary ---

    #[test]
    fn binary_wrapping() {
        let a = v1(vec![127i8, -128, 100]);
        let b = v1(vec![1i8, 1, 3]);
        assert_eq!(i64s(&bin(BinaryFn::Add, &a, &b)), vec![-128, -127, 103]);
        assert_eq!(i64s(&bin(BinaryFn::Sub, &a, &b)), vec![126, 127, 97]);
        assert_eq!(i64s(&bin(BinaryFn::Mul, &a, &b)), vec![127, -128, 44]);
        let m = v1(vec![i64::MIN]);
        let n1 = v1(vec![-1i64]);
        assert_eq!(i64s(&bin(BinaryFn::FloorDiv, &m, &n1)), vec![i64::MIN]);
        assert_eq!(i64s(&bin(BinaryFn::Mod, &m, &n1)), vec![0]);
        let u = v1(vec![0u8]);
        assert_eq!(i64s(&bin(BinaryFn::Sub, &u, &v1(vec![1u8]))), vec![255]);
    }

    #[test]
    fn binary_int_floor_mod() {
        let a = v1(vec![7i32, -7, 7, -7, 5, -5, 0]);
        let b = v1(vec![2i32, 2, -2, -2, 0, 0, 0]);
        assert_eq!(
            i64s(&bin(BinaryFn::FloorDiv, &a, &b)),
            vec![3, -4, -4, 3, 0, 0, 0]
        );
        assert_eq!(
            i64s(&bin(BinaryFn::Mod, &a, &b)),
            vec![1, 1, -1, -1, 0, 0, 0]
        );
        let d = bin(BinaryFn::Div, &a, &b);
        assert_eq!(d.scalar(), Scalar::Float64);
        assert!(same(&f64s(&d), &[3.5, -3.5, -3.5, 3.5, INF, -INF, NAN]));
        let ua = v1(vec![7u16, 7]);
        let ub = v1(vec![2u16, 0]);
        assert_eq!(i64s(&bin(BinaryFn::FloorDiv, &ua, &ub)), vec![3, 0]);
        assert_eq!(i64s(&bin(BinaryFn::Mod, &ua, &ub)), vec![1, 0]);
    }

    #[test]
    fn binary_float_floor_mod() {
        let a = v1(vec![
            7.0, -7.0, 7.0, -7.0, 1.0, -1.0, 0.0, 1.0, -1.0, INF, 1.0,
        ]);
        let b = v1(vec![
            2.0, 2.0, -2.0, -2.0, 0.0, 0.0, 0.0, INF, INF, 2.0, NAN,
        ]);
        assert!(same(
            &f64s(&bin(BinaryFn::FloorDiv, &a, &b)),
            &[3.0, -4.0, -4.0, 3.0, INF, -INF, NAN, 0.0, -1.0, NAN, NAN]
        ));
        assert!(same(
            &f64s(&bin(BinaryFn::Mod, &a, &b)),
            &[1.0, 1.0, -1.0, -1.0, NAN, NAN, NAN, 1.0, INF, NAN, NAN]
        ));
        // Zero results take the sign of the divisor.
        let z = bin(BinaryFn::Mod, &v1(vec![4.0, -4.0]), &v1(vec![-2.0, 2.0]));
        assert!(same(&f64s(&z), &[-0.0, 0.0]));
        // Python: 1.0 // 0.1 == 9.0 (not 10), 1.0 % 0.1 == 0.09999999999999995.
        let q = bin(BinaryFn::FloorDiv, &v1(vec![1.0]), &v1(vec![0.1]));
        assert!(same(&f64s(&q), &[9.0]));
        let r = bin(BinaryFn::Mod, &v1(vec![1.0]), &v1(vec![0.1]));
        assert!(same(&f64s(&r), &[0.09999999999999995]));
    }

    #[test]
    fn binary_pow() {
        let a = v1(vec![2i32, 1, -1, -1, 0, 5, 3, 0, 2]);
        let b = v1(vec![-1i32, -5, -3, -2, -1, 0, 4, 0, 31]);
        assert_eq!(
            i64s(&bin(BinaryFn::Pow, &a, &b)),
            vec![0, 1, -1, 1, 0, 1, 81, 1, i32::MIN as i64]
        );
        // Overflow wraps: 3^40 mod 2^64, and a huge exponent does not hang.
        let big = bin(
            BinaryFn::Pow,
            &v1(vec![3i64, -1, 2]),
            &v1(vec![40i64, i64::MAX, i64::MAX]),
        );
        assert_eq!(i64s(&big), vec![3i64.wrapping_pow(40), -1, 0]);
        let u = bin(BinaryFn::Pow, &v1(vec![2u8]), &v1(vec![9u8]));
        assert_eq!(i64s(&u), vec![0]);
        let f = bin(
            BinaryFn::Pow,
            &v1(vec![2.0, -8.0, 0.0]),
            &v1(vec![0.5, 1.0 / 3.0, -1.0]),
        );
        assert!(same(&f64s(&f), &[2f64.sqrt(), NAN, INF]));
        let c = bin(
            BinaryFn::Pow,
            &v1(vec![
                Complex64::new(0.0, 1.0),
                Complex64::new(0.0, 0.0),
                Complex64::new(2.0, 0.0),
            ]),
            &v1(vec![
                Complex64::new(2.0, 0.0),
                Complex64::new(0.0, 0.0),
                Complex64::new(-1.0, 0.0),
            ]),
        );
        assert_eq!(
            c,
            v1(vec![
                Complex64::new(-1.0, 0.0),
                Complex64::new(1.0, 0.0),
                Complex64::new(0.5, 0.0)
            ])
        );
    }

    #[test]
    fn binary_minimum_maximum_nan() {
        let a = v1(vec![1.0, NAN, 3.0, -0.0]);
        let b = v1(vec![2.0, 1.0, NAN, 5.0]);
        assert!(same(
            &f64s(&bin(BinaryFn::Minimum, &a, &b)),
            &[1.0, NAN, NAN, -0.0]
        ));
        assert!(same(
            &f64s(&bin(BinaryFn::Maximum, &a, &b)),
            &[2.0, NAN, NAN, 5.0]
        ));
        let i = bin(BinaryFn::Maximum, &v1(vec![-3i16, 4]), &v1(vec![2i16, 1]));
        assert_eq!(i64s(&i), vec![2, 4]);
        assert!(binary(
            BinaryFn::Minimum,
            &v1(vec![Complex32::new(1.0, 0.0)]),
            &v1(vec![Complex32::new(1.0, 0.0)])
        )
        .is_err());
    }

    #[test]
    fn binary_comparisons_logic() {
        let a = v1(vec![1.0, NAN, 2.0]);
        let b = v1(vec![1.0, NAN, 3.0]);
        assert_eq!(bools(&bin(BinaryFn::Eq, &a, &b)), vec![true, false, false]);
        assert_eq!(bools(&bin(BinaryFn::Ne, &a, &b)), vec![false, true, true]);
        assert_eq!(bools(&bin(BinaryFn::Lt, &a, &b)), vec![false, false, true]);
        assert_eq!(bools(&bin(BinaryFn::Ge, &a, &b)), vec![true, false, false]);
        let c = v1(vec![Complex64::new(1.0, 2.0), Complex64::new(1.0, 2.0)]);
        let d = v1(vec![Complex64::new(1.0, 2.0), Complex64::new(1.0, -2.0)]);
        assert_eq!(bools(&bin(BinaryFn::Eq, &c, &d)), vec![true, false]);
        assert!(binary(BinaryFn::Lt, &c, &d).is_err());
        let x = v1(vec![0i8, 3, 0, -1]);
        let y = v1(vec![0i8, 0, 5, 2]);
        assert_eq!(
            bools(&bin(BinaryFn::And, &x, &y)),
            vec![false, false, false, true]
        );
        assert_eq!(
            bools(&bin(BinaryFn::Or, &x, &y)),
            vec![false, true, true, true]
        );
        let bt = v1(vec![false, true, true, false]);
        let bf = v1(vec![false, false, true, true]);
        assert_eq!(
            bools(&bin(BinaryFn::Lt, &bt, &bf)),
            vec![false, false, false, true]
        );
    }

    #[test]
    fn binary_bool_arithmetic() {
        let a = v1(vec![false, false, true, true]);
        let b = v1(vec![false, true, false, true]);
        assert_eq!(
            bools(&bin(BinaryFn::Add, &a, &b)),
            vec![false, true, true, true]
        );
        assert_eq!(
            bools(&bin(BinaryFn::Mul, &a, &b)),
            vec![false, false, false, true]
        );
        assert_eq!(
            bools(&bin(BinaryFn::Pow, &a, &b)),
            vec![true, false, true, true]
        );
        assert_eq!(
            bools(&bin(BinaryFn::FloorDiv, &a, &b)),
            vec![false, false, false, true]
        );
        assert_eq!(bools(&bin(BinaryFn::Mod, &a, &b)), vec![false; 4]);
        assert!(binary(BinaryFn::Sub, &a, &b).is_err());
        let d = bin(BinaryFn::Div, &a, &b);
        assert!(same(&f64s(&d), &[NAN, 0.0, INF, 1.0]));
    }

    #[test]
    fn binary_type_mismatch_and_arctan2_and_complex_div() {
        assert!(matches!(
            binary(BinaryFn::Add, &v1(vec![1i32]), &v1(vec![1i64])),
            Err(EvalError::Value(_))
        ));
        let t = bin(BinaryFn::Arctan2, &v1(vec![1i32, 0]), &v1(vec![1i32, -1]));
        assert_eq!(t.scalar(), Scalar::Float64);
        assert!(same(
            &f64s(&t),
            &[std::f64::consts::FRAC_PI_4, std::f64::consts::PI]
        ));
        let q = bin(
            BinaryFn::Div,
            &v1(vec![Complex64::new(1e300, 1e300), Complex64::new(1.0, 0.0)]),
            &v1(vec![Complex64::new(1e300, 1e300), Complex64::new(0.0, 0.0)]),
        );
        match q {
            Array::Complex128(a) => {
                assert_eq!(a[[0]], Complex64::new(1.0, 0.0));
                assert!(a[[1]].re.is_infinite() && a[[1]].im.is_nan());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn float16_arithmetic() {
        let h = |v: &[f32]| v1(v.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>());
        let a = h(&[1.0, 65504.0, 0.1, 7.0]);
        let b = h(&[2.0, 65504.0, 0.2, -2.0]);
        let s = bin(BinaryFn::Add, &a, &b);
        assert_eq!(s.scalar(), Scalar::Float16);
        let sv = f64s(&s);
        assert_eq!(sv[0], 3.0);
        assert!(sv[1].is_infinite());
        assert_eq!(
            sv[2],
            f16::from_f32(f16::from_f32(0.1).to_f32() + f16::from_f32(0.2).to_f32()).to_f64()
        );
        assert!(same(
            &f64s(&bin(BinaryFn::FloorDiv, &a, &b)),
            &[0.0, 1.0, 0.0, -4.0]
        ));
        assert!(same(
            &f64s(&bin(BinaryFn::Mod, &a, &b)),
            &[1.0, 0.0, f16::from_f32(0.1).to_f64(), -1.0]
        ));
        let d = bin(BinaryFn::Div, &a, &b);
        assert_eq!(d.scalar(), Scalar::Float16);
        assert!(same(&f64s(&d)[..2], &[0.5, 1.0]));
        // Sums of float16 accumulate in float32: 2048 + 1 + 1 + … stays exact.
        let many = v1(vec![f16::ONE; 3000]);
        let s = red(ReduceFn::Sum, &many, None, false);
        assert_eq!(s.scalar(), Scalar::Float16);
        assert_eq!(f64s(&s), vec![3000.0]);
        let m = red(ReduceFn::Mean, &many, None, false);
        assert_eq!(f64s(&m), vec![1.0]);
    }

    #[test]
    fn where_broadcasts() {
        let c = arr(&[2, 1], vec![1i32, 0]);
        let x = v1(vec![1.0, 2.0, 3.0]);
        let y = arr(&[], vec![-1.0]);
        let w = where_(&c, &x, &y).unwrap();
        assert_eq!(w.shape(), &[2, 3]);
        assert!(same(&f64s(&w), &[1.0, 2.0, 3.0, -1.0, -1.0, -1.0]));
        assert!(where_(&c, &x, &v1(vec![1i32])).is_err());
        assert!(where_(&v1(vec![true, false]), &x, &y).is_err());
        let nanc = v1(vec![NAN, 0.0, 0.0]);
        assert!(same(
            &f64s(&where_(&nanc, &x, &y).unwrap()),
            &[1.0, -1.0, -1.0]
        ));
    }

    // --- reductions ---

    #[test]
    fn reduce_axes_keepdims() {
        let x = arr(&[2, 3], vec![1i32, 2, 3, 4, 5, 6]);
        let s0 = red(ReduceFn::Sum, &x, Some(&[0]), false);
        assert_eq!(s0.scalar(), Scalar::Int64);
        assert_eq!(s0.shape(), &[3]);
        assert_eq!(i64s(&s0), vec![5, 7, 9]);
        let s1 = red(ReduceFn::Sum, &x, Some(&[1]), true);
        assert_eq!(s1.shape(), &[2, 1]);
        assert_eq!(i64s(&s1), vec![6, 15]);
        let s01 = red(ReduceFn::Prod, &x, None, true);
        assert_eq!(s01.shape(), &[1, 1]);
        assert_eq!(i64s(&s01), vec![720]);
        let all = red(ReduceFn::Max, &x, Some(&[1, 0]), false);
        assert_eq!(all.shape(), &[] as &[usize]);
        assert_eq!(all, arr(&[], vec![6i32]));
        let none = red(ReduceFn::Sum, &x, Some(&[]), false);
        assert_eq!(none, cast(&x, Scalar::Int64));
        let m = red(ReduceFn::Mean, &x, Some(&[0]), true);
        assert_eq!(m.shape(), &[1, 3]);
        assert!(same(&f64s(&m), &[2.5, 3.5, 4.5]));
        let mn = red(ReduceFn::Min, &x, Some(&[1]), false);
        assert_eq!(mn, v1(vec![1i32, 4]));
        let x3 = arr(&[2, 2, 2], (0..8).map(|v| v as f64).collect());
        let r = red(ReduceFn::Sum, &x3, Some(&[0, 2]), false);
        assert!(same(
            &f64s(&r),
            &[0.0 + 1.0 + 4.0 + 5.0, 2.0 + 3.0 + 6.0 + 7.0]
        ));
        assert!(reduce(ReduceFn::Sum, &x, None, Some(&[2]), false).is_err());
        assert!(reduce(ReduceFn::Sum, &x, None, Some(&[0, 0]), false).is_err());
    }

    #[test]
    fn reduce_sum_types_and_wrap() {
        let x = v1(vec![i64::MAX, 1]);
        assert_eq!(i64s(&red(ReduceFn::Sum, &x, None, false)), vec![i64::MIN]);
        let b = v1(vec![true, true, false]);
        let s = red(ReduceFn::Sum, &b, None, false);
        assert_eq!(s, arr(&[], vec![2i64]));
        let u = v1(vec![200u8, 100]);
        assert_eq!(red(ReduceFn::Sum, &u, None, false), arr(&[], vec![300u64]));
        let i8s = v1(vec![-100i8, -100]);
        assert_eq!(
            red(ReduceFn::Sum, &i8s, None, false),
            arr(&[], vec![-200i64])
        );
        let c = v1(vec![Complex32::new(1.0, 2.0), Complex32::new(3.0, -1.0)]);
        assert_eq!(
            red(ReduceFn::Sum, &c, None, false),
            arr(&[], vec![Complex32::new(4.0, 1.0)])
        );
        assert_eq!(
            red(ReduceFn::Prod, &c, None, false),
            arr(&[], vec![Complex32::new(5.0, 5.0)])
        );
        // Pairwise float summation: 1 + 1e6 × 1e-10 … stays accurate.
        let mut v = vec![1.0f32];
        v.extend(std::iter::repeat_n(1e-8f32, 100_000));
        let s = f64s(&red(ReduceFn::Sum, &v1(v), None, false))[0];
        assert!((s - 1.001).abs() < 1e-6, "{s}");
    }

    #[test]
    fn reduce_empty() {
        let e = arr(&[0, 3], Vec::<f64>::new());
        assert!(same(&f64s(&red(ReduceFn::Sum, &e, None, false)), &[0.0]));
        assert!(same(&f64s(&red(ReduceFn::Prod, &e, None, false)), &[1.0]));
        assert!(same(&f64s(&red(ReduceFn::Mean, &e, None, false)), &[NAN]));
        assert!(same(&f64s(&red(ReduceFn::Var, &e, None, false)), &[NAN]));
        let s0 = red(ReduceFn::Sum, &e, Some(&[0]), false);
        assert_eq!(s0.shape(), &[3]);
        assert!(same(&f64s(&s0), &[0.0, 0.0, 0.0]));
        let s1 = red(ReduceFn::Sum, &e, Some(&[1]), true);
        assert_eq!(s1.shape(), &[0, 1]);
        match reduce(ReduceFn::Min, &e, None, None, false) {
            Err(EvalError::Value(m)) => assert_eq!(
                m,
                "zero-size array to reduction operation min which has no identity"
            ),
            other => panic!("{other:?}"),
        }
        assert!(reduce(ReduceFn::Max, &e, None, Some(&[0]), false).is_err());
        // Over axis 1 there are no groups, so no error.
        assert_eq!(red(ReduceFn::Max, &e, Some(&[1]), false).shape(), &[0]);
        assert!(reduce(ReduceFn::ArgMax, &e, None, None, false).is_err());
        assert_eq!(bools(&red(ReduceFn::Any, &e, None, false)), vec![false]);
        assert_eq!(bools(&red(ReduceFn::All, &e, None, false)), vec![true]);
        assert_eq!(i64s(&red(ReduceFn::Count, &e, None, false)), vec![0]);
        let ei = arr(&[0], Vec::<i32>::new());
        assert_eq!(red(ReduceFn::Prod, &ei, None, false), arr(&[], vec![1i64]));
    }

    #[test]
    fn reduce_nan_min_max_argmax() {
        let x = v1(vec![1.0, 5.0, NAN, 5.0, NAN, -3.0]);
        assert!(same(&f64s(&red(ReduceFn::Max, &x, None, false)), &[NAN]));
        assert!(same(&f64s(&red(ReduceFn::Min, &x, None, false)), &[NAN]));
        assert_eq!(i64s(&red(ReduceFn::ArgMax, &x, None, false)), vec![2]);
        assert_eq!(i64s(&red(ReduceFn::ArgMin, &x, None, false)), vec![2]);
        let y = v1(vec![1, 5, 2, 5, -3, -3]);
        assert_eq!(i64s(&red(ReduceFn::ArgMax, &y, None, false)), vec![1]);
        assert_eq!(i64s(&red(ReduceFn::ArgMin, &y, None, false)), vec![4]);
        let z = arr(&[2, 3], vec![3.0, 1.0, 3.0, 0.0, 7.0, 7.0]);
        assert_eq!(i64s(&red(ReduceFn::ArgMax, &z, None, false)), vec![4]);
        let a0 = red(ReduceFn::ArgMax, &z, Some(&[0]), false);
        assert_eq!(a0.scalar(), Scalar::Int64);
        assert_eq!(i64s(&a0), vec![0, 1, 1]);
        let a1 = red(ReduceFn::ArgMin, &z, Some(&[1]), true);
        assert_eq!(a1.shape(), &[2, 1]);
        assert_eq!(i64s(&a1), vec![1, 0]);
        assert!(reduce(ReduceFn::ArgMax, &z, None, Some(&[0, 1]), false).is_err());
        let first_nan = v1(vec![NAN, 1.0]);
        assert_eq!(
            i64s(&red(ReduceFn::ArgMin, &first_nan, None, false)),
            vec![0]
        );
        let h = v1(vec![f16::from_f32(1.0), f16::NAN]);
        assert!(same(&f64s(&red(ReduceFn::Max, &h, None, false)), &[NAN]));
        let b = v1(vec![false, true, true]);
        assert_eq!(i64s(&red(ReduceFn::ArgMax, &b, None, false)), vec![1]);
        assert_eq!(bools(&red(ReduceFn::Min, &b, None, false)), vec![false]);
        assert!(reduce(
            ReduceFn::Max,
            &v1(vec![Complex32::new(1.0, 0.0)]),
            None,
            None,
            false
        )
        .is_err());
    }

    #[test]
    fn reduce_masked() {
        let x = arr(&[2, 3], vec![1.0, NAN, 3.0, 100.0, 5.0, 6.0]);
        let m =
            ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![false, true, false, true, false, false])
                .unwrap();
        let r = |f: ReduceFn, axes: Option<&[usize]>| reduce(f, &x, Some(&m), axes, false).unwrap();
        assert!(same(&f64s(&r(ReduceFn::Sum, None)), &[15.0]));
        assert!(same(&f64s(&r(ReduceFn::Max, None)), &[6.0]));
        assert!(same(&f64s(&r(ReduceFn::Min, Some(&[0]))), &[1.0, 5.0, 3.0]));
        assert!(same(&f64s(&r(ReduceFn::Mean, Some(&[1]))), &[2.0, 5.5]));
        assert!(same(&f64s(&r(ReduceFn::Var, Some(&[1]))), &[1.0, 0.25]));
        assert_eq!(i64s(&r(ReduceFn::Count, Some(&[1]))), vec![2, 2]);
        assert_eq!(i64s(&r(ReduceFn::ArgMax, None)), vec![5]);
        assert_eq!(i64s(&r(ReduceFn::ArgMax, Some(&[0]))), vec![0, 1, 1]);
        assert_eq!(bools(&r(ReduceFn::All, None)), vec![true]);
        // A column that is entirely missing has no min.
        let m2 = ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![true, true]).unwrap();
        assert!(reduce(ReduceFn::Min, &x, Some(&m2), Some(&[0]), false).is_err());
        assert_eq!(
            i64s(&reduce(ReduceFn::Count, &x, Some(&m2), None, false).unwrap()),
            vec![0]
        );
        let bad = ArrayD::from_elem(IxDyn(&[2]), false);
        assert!(reduce(ReduceFn::Sum, &x, Some(&bad), None, false).is_err());
    }

    #[test]
    fn reduce_var_std_accuracy() {
        let base = 1e9;
        let data: Vec<f64> = [4.0, 7.0, 13.0, 16.0].iter().map(|d| base + d).collect();
        let x = v1(data);
        // Population variance of 4, 7, 13, 16 is 22.5.
        let v = f64s(&red(ReduceFn::Var, &x, None, false))[0];
        assert!((v - 22.5).abs() < 1e-6, "{v}");
        let s = f64s(&red(ReduceFn::Std, &x, None, false))[0];
        assert!((s - 22.5f64.sqrt()).abs() < 1e-7, "{s}");
        let m = f64s(&red(ReduceFn::Mean, &x, None, false))[0];
        assert_eq!(m, base + 10.0);
        let xi = v1(vec![
            1_000_000_004i64,
            1_000_000_007,
            1_000_000_013,
            1_000_000_016,
        ]);
        let vi = red(ReduceFn::Var, &xi, None, false);
        assert_eq!(vi.scalar(), Scalar::Float64);
        assert_eq!(f64s(&vi), vec![22.5]);
        let c = v1(vec![Complex64::new(1.0, 1.0), Complex64::new(-1.0, -1.0)]);
        let vc = red(ReduceFn::Var, &c, None, false);
        assert_eq!(vc, arr(&[], vec![2.0f64]));
        let f32s = v1(vec![1.0f32, 2.0, 3.0, 4.0]);
        let v32 = red(ReduceFn::Std, &f32s, None, false);
        assert_eq!(v32, arr(&[], vec![1.25f32.sqrt()]));
        let cm = red(ReduceFn::Mean, &c, None, false);
        assert_eq!(cm, arr(&[], vec![Complex64::new(0.0, 0.0)]));
    }

    #[test]
    fn reduce_any_all_count() {
        let x = arr(&[2, 2], vec![0.0, NAN, 0.0, 0.0]);
        assert_eq!(
            bools(&red(ReduceFn::Any, &x, Some(&[1]), false)),
            vec![true, false]
        );
        assert_eq!(
            bools(&red(ReduceFn::All, &x, Some(&[0]), false)),
            vec![false, false]
        );
        assert_eq!(
            i64s(&red(ReduceFn::Count, &x, Some(&[0]), true)),
            vec![2, 2]
        );
        let z = arr(&[], vec![5i32]);
        assert_eq!(i64s(&red(ReduceFn::ArgMax, &z, None, false)), vec![0]);
        assert!(reduce(ReduceFn::Sum, &z, None, Some(&[0]), false).is_err());
    }

    // --- property tests: no panics ---

    fn special_i() -> Vec<i128> {
        vec![
            0,
            1,
            -1,
            2,
            127,
            128,
            -128,
            255,
            32767,
            -32768,
            65535,
            i32::MAX as i128,
            i32::MIN as i128,
            u32::MAX as i128,
            i64::MAX as i128,
            i64::MIN as i128,
            u64::MAX as i128,
        ]
    }
    fn special_f() -> Vec<f64> {
        vec![
            0.0,
            -0.0,
            0.5,
            -2.5,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            65504.0,
            1e-8,
        ]
    }

    fn univ() -> impl Strategy<Value = Univ> {
        prop_oneof![
            prop::sample::select(special_i()).prop_map(Univ::I),
            any::<i64>().prop_map(|i| Univ::I(i as i128)),
            any::<u64>().prop_map(|i| Univ::I(i as i128)),
            prop::sample::select(special_f()).prop_map(Univ::F),
            any::<f64>().prop_map(Univ::F),
            (
                prop::sample::select(special_f()),
                prop::sample::select(special_f())
            )
                .prop_map(|(a, b)| Univ::C(a, b)),
            (any::<f64>(), -10.0..10.0f64).prop_map(|(a, b)| Univ::C(a, b)),
        ]
    }

    fn build(s: Scalar, shape: &[usize], vals: &[Univ]) -> Array {
        let n: usize = shape.iter().product();
        let vals: Vec<Univ> = (0..n).map(|i| vals[i % vals.len()]).collect();
        fn mk<T: Elem>(shape: &[usize], vals: &[Univ]) -> Array {
            arr(
                shape,
                vals.iter().map(|&u| T::from_univ(u)).collect::<Vec<T>>(),
            )
        }
        match s {
            Scalar::Bool => mk::<bool>(shape, &vals),
            Scalar::Int8 => mk::<i8>(shape, &vals),
            Scalar::Int16 => mk::<i16>(shape, &vals),
            Scalar::Int32 => mk::<i32>(shape, &vals),
            Scalar::Int64 => mk::<i64>(shape, &vals),
            Scalar::UInt8 => mk::<u8>(shape, &vals),
            Scalar::UInt16 => mk::<u16>(shape, &vals),
            Scalar::UInt32 => mk::<u32>(shape, &vals),
            Scalar::UInt64 => mk::<u64>(shape, &vals),
            Scalar::Float16 => mk::<f16>(shape, &vals),
            Scalar::Float32 => mk::<f32>(shape, &vals),
            Scalar::Float64 => mk::<f64>(shape, &vals),
            Scalar::Complex64 => mk::<Complex32>(shape, &vals),
            Scalar::Complex128 => mk::<Complex64>(shape, &vals),
        }
    }

    fn shape() -> impl Strategy<Value = Vec<usize>> {
        prop::collection::vec(0usize..4, 0..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics(
            si in 0usize..14,
            sa in shape(),
            sb in shape(),
            va in prop::collection::vec(univ(), 1..20),
            vb in prop::collection::vec(univ(), 1..20),
            mask in prop::collection::vec(any::<bool>(), 1..20),
            keepdims in any::<bool>(),
        ) {
            let s = Scalar::ALL[si];
            let a = build(s, &sa, &va);
            let b = build(s, &sb, &vb);
            for f in UnaryFn::ALL {
                if let Ok(r) = unary(f, &a) {
                    prop_assert_eq!(r.shape(), a.shape());
                    prop_assert_eq!(Ok(r.scalar()), f.result(s));
                }
            }
            for f in BinaryFn::ALL {
                if let Ok(r) = binary(f, &a, &b) {
                    prop_assert_eq!(Ok(r.scalar()), f.result(s));
                }
                let _ = binary(f, &a, &a);
            }
            for to in Scalar::ALL {
                prop_assert_eq!(cast(&a, to).scalar(), to);
            }
            let _ = where_(&b, &a, &a);
            let _ = where_(&a, &a, &b);
            let m = build(Scalar::Bool, &sa, &mask.iter().map(|&x| Univ::I(x as i128)).collect::<Vec<_>>());
            let m = match m { Array::Bool(m) => m, _ => unreachable!() };
            let mut axes_list: Vec<Option<Vec<usize>>> = vec![None, Some(vec![])];
            for i in 0..a.ndim() {
                axes_list.push(Some(vec![i]));
            }
            axes_list.push(Some((0..a.ndim()).rev().collect()));
            axes_list.push(Some(vec![a.ndim()]));
            for f in ReduceFn::ALL {
                for axes in &axes_list {
                    for mk in [None, Some(&m)] {
                        if let Ok(r) = reduce(f, &a, mk, axes.as_deref(), keepdims) {
                            prop_assert_eq!(Ok(r.scalar()), f.result(s));
                            if keepdims {
                                prop_assert_eq!(r.ndim(), a.ndim());
                            }
                        }
                    }
                }
            }
            let _ = broadcast_to(&a, &sb);
        }
    }
}

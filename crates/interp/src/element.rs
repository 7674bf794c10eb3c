//! The element types of [`Array`] and what each kind of them can do: one
//! family of traits, each defined once.
//!
//! * [`Element`] — every one of the 14 scalar types: moves an `ArrayD` in
//!   and out of an [`Array`].
//! * [`Ring`] — every element type, with the `+`/`*` of matrix products
//!   (bool: or of ands; integers wrap; float16 through float32).
//! * [`Inexact`] — the float and complex types the numeric algorithms
//!   compute in (`float32`, `float64`, `complex64`, `complex128`): parts,
//!   modulus, finiteness; [`Real`] is its real half.
//! * [`Field`] — the double-precision [`Inexact`] types (`float64` and
//!   `complex128`) the reference linear algebra works over.
//!
//! The engines build on these (the runtime's BLAS and LAPACK element traits
//! add only their FFI entry points). What operations mean lives with the
//! operations (`kernels`, `linalg`), not here.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use half::f16;
use ndarray::ArrayD;
use num_complex::{Complex, Complex32, Complex64};
use num_traits::{Float, One, Zero};

use crate::Array;

// ---------------------------------------------------------------------------
// Element: every scalar type
// ---------------------------------------------------------------------------

/// An element type of [`Array`]: lets generic code take the `ArrayD` out of
/// an `Array` of the right type and put it back. It refines the runtime
/// array's [`blaze_array::Element`] (the Rust type of a blaze scalar and its
/// `SCALAR`), so there is one element trait family from storage up.
pub trait Element: blaze_array::Element + Default + PartialEq + Debug {
    /// The inner array, if `a` holds this element type.
    fn get(a: &Array) -> Option<&ArrayD<Self>>;
    /// Wraps an array of this element type.
    fn wrap(a: ArrayD<Self>) -> Array;
    /// The inner array of `a`, moved out without copying; `a` back when it
    /// holds another element type.
    fn take(a: Array) -> Result<ArrayD<Self>, Array>;
}

macro_rules! element {
    ($t:ty, $variant:ident) => {
        impl Element for $t {
            fn get(a: &Array) -> Option<&ArrayD<Self>> {
                match a {
                    Array::$variant(x) => Some(x),
                    _ => None,
                }
            }
            fn wrap(a: ArrayD<Self>) -> Array {
                Array::$variant(a)
            }
            fn take(a: Array) -> Result<ArrayD<Self>, Array> {
                match a {
                    Array::$variant(x) => Ok(x),
                    other => Err(other),
                }
            }
        }
    };
}

element!(bool, Bool);
element!(i8, Int8);
element!(i16, Int16);
element!(i32, Int32);
element!(i64, Int64);
element!(u8, UInt8);
element!(u16, UInt16);
element!(u32, UInt32);
element!(u64, UInt64);
element!(f16, Float16);
element!(f32, Float32);
element!(f64, Float64);
element!(Complex32, Complex64);
element!(Complex64, Complex128);

// ---------------------------------------------------------------------------
// Conversions (the cast rules)
// ---------------------------------------------------------------------------

/// A scalar value in a form every element type converts to and from
/// without loss: integers (and bool) as `i128`, reals as `f64`, complex
/// numbers as two `f64`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Univ {
    /// An integer or bool.
    I(i128),
    /// A real number.
    F(f64),
    /// A complex number.
    C(f64, f64),
}

/// Conversions of every element type by the cast rules of
/// [`crate::kernels::cast`], and the two predicates every type answers.
pub(crate) trait Convert: Element {
    /// The value, losslessly.
    fn to_univ(self) -> Univ;
    /// The value converted by the cast rules of [`crate::kernels::cast`].
    fn from_univ(u: Univ) -> Self;
    /// `x != 0` (complex: either part).
    fn truthy(self) -> bool;
    /// Whether the value is NaN (complex: either part); false for integers.
    fn isnan(self) -> bool;
}

macro_rules! int_convert {
    ($($t:ty),*) => {$(
        impl Convert for $t {
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
int_convert!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Convert for bool {
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

macro_rules! float_convert {
    ($($t:ty),*) => {$(
        impl Convert for $t {
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
float_convert!(f32, f64);

impl Convert for f16 {
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

macro_rules! complex_convert {
    ($($t:ty => $f:ty),*) => {$(
        impl Convert for $t {
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
complex_convert!(Complex32 => f32, Complex64 => f64);

// ---------------------------------------------------------------------------
// Ring: the arithmetic of matrix products
// ---------------------------------------------------------------------------

/// Every element type with the addition and multiplication of matrix
/// products: bool is or-of-ands, integers wrap, float16 rounds through
/// float32 once per step.
pub trait Ring: Element {
    /// The additive identity.
    fn zero() -> Self;
    /// `acc + a * b`.
    fn mul_add(acc: Self, a: Self, b: Self) -> Self;
}

macro_rules! ring_int {
    ($($t:ty),*) => {$(
        impl Ring for $t {
            fn zero() -> Self { 0 }
            fn mul_add(acc: Self, a: Self, b: Self) -> Self { acc.wrapping_add(a.wrapping_mul(b)) }
        }
    )*};
}
ring_int!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! ring_float {
    ($($t:ty),*) => {$(
        impl Ring for $t {
            fn zero() -> Self { <$t>::default() }
            fn mul_add(acc: Self, a: Self, b: Self) -> Self { acc + a * b }
        }
    )*};
}
ring_float!(f32, f64, Complex32, Complex64);

impl Ring for bool {
    fn zero() -> Self {
        false
    }
    fn mul_add(acc: Self, a: Self, b: Self) -> Self {
        acc || (a && b)
    }
}

impl Ring for f16 {
    fn zero() -> Self {
        f16::ZERO
    }
    fn mul_add(acc: Self, a: Self, b: Self) -> Self {
        f16::from_f32(acc.to_f32() + a.to_f32() * b.to_f32())
    }
}

// ---------------------------------------------------------------------------
// Inexact and Real: float and complex types
// ---------------------------------------------------------------------------

/// A float or complex element type numeric algorithms compute in:
/// `f32`, `f64`, [`Complex32`], [`Complex64`].
pub trait Inexact:
    Element
    + Zero
    + One
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Div<<Self as Inexact>::Real, Output = Self>
{
    /// The type of the components (`f32` or `f64`).
    type Real: Real;
    /// Real part, in float64.
    fn re(self) -> f64;
    /// Imaginary part, in float64 (0 for real types).
    fn im(self) -> f64;
    /// Complex conjugate (identity for real types).
    fn conj(self) -> Self;
    /// Modulus `|x|` in float64, computed without undue overflow.
    fn abs(self) -> f64;
    /// `|x|^2` in the real type.
    fn abs2(self) -> Self::Real;
    /// Whether every component is finite.
    fn is_finite(self) -> bool;
    /// As complex128.
    fn to_c128(self) -> Complex64;
}

/// The real [`Inexact`] types, `f32` and `f64`.
pub trait Real: Inexact<Real = Self> + Float + Into<f64> {
    /// `n` in this type (one rounding).
    fn from_usize(n: usize) -> Self;
}

macro_rules! real_inexact {
    ($($t:ty),*) => {$(
        impl Inexact for $t {
            type Real = $t;
            fn re(self) -> f64 {
                self as f64
            }
            fn im(self) -> f64 {
                0.0
            }
            fn conj(self) -> Self {
                self
            }
            fn abs(self) -> f64 {
                (self as f64).abs()
            }
            fn abs2(self) -> $t {
                self * self
            }
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            fn to_c128(self) -> Complex64 {
                Complex64::new(self as f64, 0.0)
            }
        }
        impl Real for $t {
            fn from_usize(n: usize) -> Self {
                n as $t
            }
        }
    )*};
}
real_inexact!(f32, f64);

macro_rules! complex_inexact {
    ($($t:ty => $f:ty),*) => {$(
        impl Inexact for $t {
            type Real = $f;
            fn re(self) -> f64 {
                self.re as f64
            }
            fn im(self) -> f64 {
                self.im as f64
            }
            fn conj(self) -> Self {
                Complex::conj(&self)
            }
            fn abs(self) -> f64 {
                self.norm() as f64
            }
            fn abs2(self) -> $f {
                self.norm_sqr()
            }
            fn is_finite(self) -> bool {
                self.re.is_finite() && self.im.is_finite()
            }
            fn to_c128(self) -> Complex64 {
                Complex64::new(self.re as f64, self.im as f64)
            }
        }
    )*};
}
complex_inexact!(Complex32 => f32, Complex64 => f64);

// ---------------------------------------------------------------------------
// Field: the double-precision types of the reference linear algebra
// ---------------------------------------------------------------------------

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for num_complex::Complex64 {}
}

/// The double-precision [`Inexact`] types the reference linear algebra
/// works over: `f64` and [`Complex64`].
///
/// The trait is sealed; convert `f32` / `Complex32` data up before calling.
pub trait Field:
    sealed::Sealed + Inexact<Real = f64> + AddAssign + SubAssign + MulAssign + DivAssign
{
    /// Embeds a real number.
    fn from_f64(x: f64) -> Self;
    /// Builds `re + i*im`; real types ignore `im`.
    fn from_parts(re: f64, im: f64) -> Self;
    /// `|re| + |im|`, the cheap norm LAPACK uses for pivoting.
    fn abs1(self) -> f64;
    /// Multiplies by a real number.
    fn scale(self, s: f64) -> Self;
    /// Division `self / d` that neither overflows nor underflows needlessly
    /// (Smith's algorithm for complex numbers; plain division for reals).
    fn sdiv(self, d: Self) -> Self;
}

impl Field for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn from_parts(re: f64, _im: f64) -> Self {
        re
    }
    fn abs1(self) -> f64 {
        f64::abs(self)
    }
    fn scale(self, s: f64) -> Self {
        self * s
    }
    fn sdiv(self, d: Self) -> Self {
        self / d
    }
}

impl Field for Complex64 {
    fn from_f64(x: f64) -> Self {
        Complex64::new(x, 0.0)
    }
    fn from_parts(re: f64, im: f64) -> Self {
        Complex64::new(re, im)
    }
    fn abs1(self) -> f64 {
        self.re.abs() + self.im.abs()
    }
    fn scale(self, s: f64) -> Self {
        Complex64::new(self.re * s, self.im * s)
    }
    fn sdiv(self, d: Self) -> Self {
        smith_div(self, d)
    }
}

/// Complex division by Smith's algorithm (no overflow/underflow of `|d|^2`).
pub(crate) fn smith_div(a: Complex64, d: Complex64) -> Complex64 {
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

/// Runs `$body` with the type alias `$t` set to the element type of scalar
/// `$scalar`.
#[macro_export]
macro_rules! with_scalar {
    ($scalar:expr, $t:ident => $body:expr) => {
        match $scalar {
            blaze_datashape::Scalar::Bool => {
                type $t = bool;
                $body
            }
            blaze_datashape::Scalar::Int8 => {
                type $t = i8;
                $body
            }
            blaze_datashape::Scalar::Int16 => {
                type $t = i16;
                $body
            }
            blaze_datashape::Scalar::Int32 => {
                type $t = i32;
                $body
            }
            blaze_datashape::Scalar::Int64 => {
                type $t = i64;
                $body
            }
            blaze_datashape::Scalar::UInt8 => {
                type $t = u8;
                $body
            }
            blaze_datashape::Scalar::UInt16 => {
                type $t = u16;
                $body
            }
            blaze_datashape::Scalar::UInt32 => {
                type $t = u32;
                $body
            }
            blaze_datashape::Scalar::UInt64 => {
                type $t = u64;
                $body
            }
            blaze_datashape::Scalar::Float16 => {
                type $t = half::f16;
                $body
            }
            blaze_datashape::Scalar::Float32 => {
                type $t = f32;
                $body
            }
            blaze_datashape::Scalar::Float64 => {
                type $t = f64;
                $body
            }
            blaze_datashape::Scalar::Complex64 => {
                type $t = num_complex::Complex32;
                $body
            }
            blaze_datashape::Scalar::Complex128 => {
                type $t = num_complex::Complex64;
                $body
            }
        }
    };
}

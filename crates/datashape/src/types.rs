//! The datashape values themselves: dimensions, measures and the datashape
//! that joins them.
//!
//! These types carry no source spans: two datashapes are equal when they mean
//! the same thing, whichever spelling they were parsed from. Spans live in
//! [`crate::Parsed`] and in errors.

use serde::Serialize;

/// A datashape: zero or more dimensions followed by one measure.
///
/// ```
/// use blaze_datashape::{parse, Dim};
/// let ds = parse("3 * var[10] * int32").unwrap();
/// assert_eq!(ds.dims, vec![Dim::Fixed(3), Dim::Var(Some(10))]);
/// assert_eq!(ds.to_string(), "3 * var[10] * int32");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Datashape {
    /// The dimensions, outermost first.
    pub dims: Vec<Dim>,
    /// The element type.
    pub measure: Measure,
}

impl Datashape {
    /// A datashape with dimensions `dims` over `measure`.
    pub fn new(dims: Vec<Dim>, measure: Measure) -> Self {
        Datashape { dims, measure }
    }

    /// A datashape without dimensions (a scalar of `measure`).
    pub fn scalar(measure: Measure) -> Self {
        Datashape {
            dims: Vec::new(),
            measure,
        }
    }

    /// The number of dimensions written (an ellipsis counts as one).
    pub fn rank(&self) -> usize {
        self.dims.len()
    }
}

/// One dimension of a datashape.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Dim {
    /// A fixed length, `0` included.
    Fixed(u64),
    /// A ragged dimension: `var` (no bound) or `var[n]` (at most `n` long).
    Var(Option<u64>),
    /// A symbolic length such as `N`; equal names mean equal lengths within
    /// one signature.
    TypeVar(String),
    /// `...` (anonymous) or `Dims...` (named): any number of dimensions.
    Ellipsis(Option<String>),
}

/// The fixed-size numeric and boolean element types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scalar {
    /// `bool`
    Bool,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32` (also `int`)
    Int32,
    /// `int64`
    Int64,
    /// `uint8`
    UInt8,
    /// `uint16`
    UInt16,
    /// `uint32`
    UInt32,
    /// `uint64`
    UInt64,
    /// `float16`
    Float16,
    /// `float32`
    Float32,
    /// `float64` (also `real`)
    Float64,
    /// `complex[float32]` (also `complex64`)
    Complex64,
    /// `complex[float64]` (also `complex128`, `complex`)
    Complex128,
}

/// The kind of a [`Scalar`], in the order of the promotion lattice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScalarKind {
    /// `bool`
    Bool,
    /// `uint8` … `uint64`
    Unsigned,
    /// `int8` … `int64`
    Signed,
    /// `float16` … `float64`
    Float,
    /// `complex[float32]`, `complex[float64]`
    Complex,
}

impl Scalar {
    /// Every scalar, in declaration order.
    pub const ALL: [Scalar; 14] = [
        Scalar::Bool,
        Scalar::Int8,
        Scalar::Int16,
        Scalar::Int32,
        Scalar::Int64,
        Scalar::UInt8,
        Scalar::UInt16,
        Scalar::UInt32,
        Scalar::UInt64,
        Scalar::Float16,
        Scalar::Float32,
        Scalar::Float64,
        Scalar::Complex64,
        Scalar::Complex128,
    ];

    /// The kind (bool, unsigned, signed, float, complex).
    pub fn kind(self) -> ScalarKind {
        use Scalar::*;
        match self {
            Bool => ScalarKind::Bool,
            UInt8 | UInt16 | UInt32 | UInt64 => ScalarKind::Unsigned,
            Int8 | Int16 | Int32 | Int64 => ScalarKind::Signed,
            Float16 | Float32 | Float64 => ScalarKind::Float,
            Complex64 | Complex128 => ScalarKind::Complex,
        }
    }

    /// Width in bits of the value (of each component for complex numbers;
    /// 1 for bool).
    pub fn bits(self) -> u32 {
        use Scalar::*;
        match self {
            Bool => 1,
            Int8 | UInt8 => 8,
            Int16 | UInt16 | Float16 => 16,
            Int32 | UInt32 | Float32 | Complex64 => 32,
            Int64 | UInt64 | Float64 | Complex128 => 64,
        }
    }

    /// Size in bytes of one element.
    pub fn size_bytes(self) -> usize {
        match self {
            Scalar::Bool => 1,
            Scalar::Complex64 => 8,
            Scalar::Complex128 => 16,
            s => s.bits() as usize / 8,
        }
    }

    /// The scalar of `kind` with `bits` bits, if there is one.
    pub fn from_kind(kind: ScalarKind, bits: u32) -> Option<Scalar> {
        use Scalar::*;
        Some(match (kind, bits) {
            (ScalarKind::Bool, _) => Bool,
            (ScalarKind::Signed, 8) => Int8,
            (ScalarKind::Signed, 16) => Int16,
            (ScalarKind::Signed, 32) => Int32,
            (ScalarKind::Signed, 64) => Int64,
            (ScalarKind::Unsigned, 8) => UInt8,
            (ScalarKind::Unsigned, 16) => UInt16,
            (ScalarKind::Unsigned, 32) => UInt32,
            (ScalarKind::Unsigned, 64) => UInt64,
            (ScalarKind::Float, 16) => Float16,
            (ScalarKind::Float, 32) => Float32,
            (ScalarKind::Float, 64) => Float64,
            (ScalarKind::Complex, 32) => Complex64,
            (ScalarKind::Complex, 64) => Complex128,
            _ => return None,
        })
    }

    /// The canonical spelling (`int32`, `complex[float64]`, …).
    pub fn name(self) -> &'static str {
        use Scalar::*;
        match self {
            Bool => "bool",
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            UInt8 => "uint8",
            UInt16 => "uint16",
            UInt32 => "uint32",
            UInt64 => "uint64",
            Float16 => "float16",
            Float32 => "float32",
            Float64 => "float64",
            Complex64 => "complex[float32]",
            Complex128 => "complex[float64]",
        }
    }
}

/// The encoding of a `string` measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// `'ascii'`: one byte per character, 7-bit.
    Ascii,
    /// `'utf8'` (the default).
    Utf8,
    /// `'utf16'`
    Utf16,
    /// `'utf32'`
    Utf32,
}

impl Encoding {
    /// The spelling used inside `string[...]`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Ascii => "ascii",
            Encoding::Utf8 => "utf8",
            Encoding::Utf16 => "utf16",
            Encoding::Utf32 => "utf32",
        }
    }

    /// Parses an encoding name as written in `string[N, '...']`.
    pub fn from_name(name: &str) -> Option<Encoding> {
        Some(match name {
            "ascii" => Encoding::Ascii,
            "utf8" => Encoding::Utf8,
            "utf16" => Encoding::Utf16,
            "utf32" => Encoding::Utf32,
            _ => return None,
        })
    }
}

/// The unit of a `timedelta` measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TimeUnit {
    /// weeks, `'W'`
    Weeks,
    /// days, `'D'`
    Days,
    /// hours, `'h'`
    Hours,
    /// minutes, `'m'`
    Minutes,
    /// seconds, `'s'`
    Seconds,
    /// milliseconds, `'ms'`
    Millis,
    /// microseconds, `'us'` (the default)
    Micros,
    /// nanoseconds, `'ns'`
    Nanos,
}

impl TimeUnit {
    /// Every unit, longest first.
    pub const ALL: [TimeUnit; 8] = [
        TimeUnit::Weeks,
        TimeUnit::Days,
        TimeUnit::Hours,
        TimeUnit::Minutes,
        TimeUnit::Seconds,
        TimeUnit::Millis,
        TimeUnit::Micros,
        TimeUnit::Nanos,
    ];

    /// The spelling used in `timedelta[unit='...']`.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Weeks => "W",
            TimeUnit::Days => "D",
            TimeUnit::Hours => "h",
            TimeUnit::Minutes => "m",
            TimeUnit::Seconds => "s",
            TimeUnit::Millis => "ms",
            TimeUnit::Micros => "us",
            TimeUnit::Nanos => "ns",
        }
    }

    /// Parses a unit name.
    pub fn from_name(name: &str) -> Option<TimeUnit> {
        TimeUnit::ALL.into_iter().find(|u| u.name() == name)
    }
}

/// An argument of a parametric type definition, as applied in
/// `SquareMatrix float32` or `Portfolio 10`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum TypeArg {
    /// An argument standing in dimension position (`10`, `var`, `N`).
    Dim(Dim),
    /// An argument standing in measure position (`float32`, `{a: int8}`).
    Measure(Measure),
}

/// The element type of a datashape.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// bool, integers, floats and complex numbers.
    Scalar {
        /// Which one.
        scalar: Scalar,
    },
    /// `string` (variable length) or `string[N]` (fixed, N code units),
    /// optionally with an encoding.
    String {
        /// Fixed length in code units, `None` for variable length.
        len: Option<u64>,
        /// The encoding (utf8 unless written).
        encoding: Encoding,
    },
    /// `bytes`: variable-length binary data.
    Bytes,
    /// `date`
    Date,
    /// `time`, optionally `time[tz='…']`
    Time {
        /// Time zone, if written.
        tz: Option<String>,
    },
    /// `datetime`, optionally `datetime[tz='…']`
    DateTime {
        /// Time zone, if written.
        tz: Option<String>,
    },
    /// `timedelta[unit='…']` (`timedelta` alone is microseconds).
    TimeDelta {
        /// The unit.
        unit: TimeUnit,
    },
    /// `decimal[precision, scale]`
    Decimal {
        /// Total number of decimal digits.
        precision: u32,
        /// Digits after the decimal point.
        scale: u32,
    },
    /// `void`: no value.
    Void,
    /// `null`: the type of the missing value `na`.
    Null,
    /// `?T`: `T` or missing.
    Option {
        /// The measure that may be missing. Never itself an option.
        inner: Box<Measure>,
    },
    /// `{name: T, other: U}`
    Record {
        /// Fields in order; names are unique.
        fields: Vec<(String, Datashape)>,
    },
    /// `(T, U)`
    Tuple {
        /// The elements.
        elems: Vec<Datashape>,
    },
    /// `(T, U) -> R`
    Function {
        /// Parameter types.
        params: Vec<Datashape>,
        /// Result type.
        ret: Box<Datashape>,
    },
    /// A type variable in measure position (`T`, `A`).
    TypeVar {
        /// Its name.
        name: String,
    },
    /// A user type definition applied to its arguments (`RGBA`,
    /// `SquareMatrix float32`). Prints by name; [`crate::TypeEnv::expand`]
    /// substitutes it.
    Named {
        /// The definition's name.
        name: String,
        /// Its arguments, one per parameter.
        args: Vec<TypeArg>,
    },
}

impl Measure {
    /// A scalar measure.
    pub fn scalar(scalar: Scalar) -> Measure {
        Measure::Scalar { scalar }
    }

    /// `?inner`.
    pub fn option(inner: Measure) -> Measure {
        Measure::Option {
            inner: Box::new(inner),
        }
    }

    /// A measure type variable.
    pub fn var(name: &str) -> Measure {
        Measure::TypeVar {
            name: name.to_string(),
        }
    }

    /// The scalar, if this is one.
    pub fn as_scalar(&self) -> Option<Scalar> {
        match self {
            Measure::Scalar { scalar } => Some(*scalar),
            _ => None,
        }
    }

    /// The scalar of a scalar or of an option of one (`?int32` → `int32`).
    pub fn element_scalar(&self) -> Option<Scalar> {
        match self {
            Measure::Option { inner } => inner.as_scalar(),
            m => m.as_scalar(),
        }
    }
}

impl From<Scalar> for Measure {
    fn from(scalar: Scalar) -> Measure {
        Measure::Scalar { scalar }
    }
}

/// Whether `name` may be printed without quotes as a record field name: an
/// ASCII letter or `_`, then ASCII letters, digits or `_`.
pub fn is_plain_ident(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

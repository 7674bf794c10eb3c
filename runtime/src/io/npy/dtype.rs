//! `.npy` dtypes: which element types blaze reads and writes, their
//! descr strings, and decoding raw bytes into arrays.

use super::literal::Descr;
use blaze_datashape::Scalar;
use blaze_interp::Array;
use half::f16;
use ndarray::{ArrayD, IxDyn, ShapeBuilder, ShapeError};
use num_complex::{Complex32, Complex64};

/// The element types we read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
    C64,
    C128,
}

/// A parsed numeric descr.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dtype {
    pub(super) kind: Kind,
    pub(super) size: usize,
    pub(super) big_endian: bool,
}

impl Dtype {
    /// Parses a descr string such as `<f8`; the error message names it.
    pub(super) fn parse(descr: &Descr) -> Result<Dtype, String> {
        let s = match descr {
            Descr::Str(s) => s.as_str(),
            Descr::Other(repr) => {
                return Err(format!(
                    "unsupported dtype {repr}: structured dtypes are not supported"
                ))
            }
        };
        let unsupported = |why: &str| format!("unsupported dtype '{s}': {why}");
        let (order, rest) = match s.chars().next() {
            Some(c @ ('<' | '>' | '=' | '|')) => (Some(c), &s[1..]),
            _ => (None, s),
        };
        let kind = match rest {
            "b1" | "?" => Kind::Bool,
            "i1" | "b" => Kind::I8,
            "i2" => Kind::I16,
            "i4" => Kind::I32,
            "i8" => Kind::I64,
            "u1" | "B" => Kind::U8,
            "u2" => Kind::U16,
            "u4" => Kind::U32,
            "u8" => Kind::U64,
            "f2" | "e" => Kind::F16,
            "f4" => Kind::F32,
            "f8" => Kind::F64,
            "c8" => Kind::C64,
            "c16" => Kind::C128,
            _ => {
                let why = match rest.chars().next() {
                    Some('O') => "object arrays are not supported",
                    Some('U' | 'S' | 'a') => "string arrays are not supported",
                    Some('V') => "void (raw or structured) arrays are not supported",
                    Some('M' | 'm') => "datetime and timedelta arrays are not supported",
                    Some('f' | 'c') => {
                        "only 16-, 32- and 64-bit floats (and complex of them) are supported"
                    }
                    Some('i' | 'u') => "only 8-, 16-, 32- and 64-bit integers are supported",
                    _ => "not a supported numeric dtype",
                };
                return Err(unsupported(why));
            }
        };
        let size = match kind {
            Kind::Bool | Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 | Kind::F16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            Kind::I64 | Kind::U64 | Kind::F64 | Kind::C64 => 8,
            Kind::C128 => 16,
        };
        let native_big = cfg!(target_endian = "big");
        let big_endian = match order {
            Some('<') => false,
            Some('>') => true,
            // '=' is native; '|' (no byte order) on a multi-byte type is read
            // as native, like NumPy; no prefix at all is native too.
            _ => native_big,
        };
        Ok(Dtype {
            kind,
            size,
            big_endian,
        })
    }
}

/// Converts fixed-size chunks of `data` with `f` (given the chunk bytes in
/// little-endian order).
pub(super) fn chunks<T, const N: usize>(
    data: &[u8],
    big: bool,
    f: impl Fn([u8; N]) -> T,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(data.len() / N);
    crate::memory::advise_huge_pages(
        out.as_mut_ptr().cast(),
        out.capacity() * std::mem::size_of::<T>(),
    );
    out.extend(data.chunks_exact(N).map(|c| {
        let mut b = [0u8; N];
        b.copy_from_slice(c);
        if big {
            b.reverse();
        }
        f(b)
    }));
    out
}

/// Converts chunks of `2 * N` bytes holding (re, im) pairs.
pub(super) fn complex_chunks<T, const N: usize>(
    data: &[u8],
    big: bool,
    f: impl Fn([u8; N], [u8; N]) -> T,
) -> Vec<T> {
    data.chunks_exact(2 * N)
        .map(|c| {
            let mut re = [0u8; N];
            let mut im = [0u8; N];
            re.copy_from_slice(&c[..N]);
            im.copy_from_slice(&c[N..]);
            if big {
                re.reverse();
                im.reverse();
            }
            f(re, im)
        })
        .collect()
}

/// Builds a standard-layout array of `shape` from elements in C or Fortran
/// order. The sizes were checked by the caller.
pub(super) fn build<T: Clone>(
    elems: Vec<T>,
    shape: &[usize],
    fortran: bool,
) -> Result<ArrayD<T>, ShapeError> {
    let a = if fortran {
        ArrayD::from_shape_vec(IxDyn(shape).f(), elems)
    } else {
        ArrayD::from_shape_vec(IxDyn(shape), elems)
    };
    // The element count matches the shape (checked when reading the data),
    // so an error here is a size ndarray cannot represent.
    let a = a?;
    Ok(if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    })
}

pub(super) fn decode(
    data: &[u8],
    dtype: Dtype,
    shape: &[usize],
    fortran: bool,
) -> Result<Array, ShapeError> {
    let be = dtype.big_endian;
    macro_rules! num {
        ($variant:ident, $t:ty, $n:literal) => {
            Array::$variant(build(
                chunks::<$t, $n>(data, be, <$t>::from_le_bytes),
                shape,
                fortran,
            )?)
        };
    }
    Ok(match dtype.kind {
        Kind::Bool => Array::Bool(build(
            data.iter().map(|&b| b != 0).collect(),
            shape,
            fortran,
        )?),
        Kind::I8 => num!(Int8, i8, 1),
        Kind::I16 => num!(Int16, i16, 2),
        Kind::I32 => num!(Int32, i32, 4),
        Kind::I64 => num!(Int64, i64, 8),
        Kind::U8 => num!(UInt8, u8, 1),
        Kind::U16 => num!(UInt16, u16, 2),
        Kind::U32 => num!(UInt32, u32, 4),
        Kind::U64 => num!(UInt64, u64, 8),
        Kind::F16 => num!(Float16, f16, 2),
        Kind::F32 => num!(Float32, f32, 4),
        Kind::F64 => num!(Float64, f64, 8),
        Kind::C64 => Array::Complex64(build(
            complex_chunks::<Complex32, 4>(data, be, |re, im| {
                Complex32::new(f32::from_le_bytes(re), f32::from_le_bytes(im))
            }),
            shape,
            fortran,
        )?),
        Kind::C128 => Array::Complex128(build(
            complex_chunks::<Complex64, 8>(data, be, |re, im| {
                Complex64::new(f64::from_le_bytes(re), f64::from_le_bytes(im))
            }),
            shape,
            fortran,
        )?),
    })
}

/// The descr NumPy writes for the array's type (little-endian).
pub(super) fn descr_of(array: &Array) -> &'static str {
    match array {
        Array::Bool(_) => "|b1",
        Array::Int8(_) => "|i1",
        Array::Int16(_) => "<i2",
        Array::Int32(_) => "<i4",
        Array::Int64(_) => "<i8",
        Array::UInt8(_) => "|u1",
        Array::UInt16(_) => "<u2",
        Array::UInt32(_) => "<u4",
        Array::UInt64(_) => "<u8",
        Array::Float16(_) => "<f2",
        Array::Float32(_) => "<f4",
        Array::Float64(_) => "<f8",
        Array::Complex64(_) => "<c8",
        Array::Complex128(_) => "<c16",
    }
}

/// The element type of a `.npy` dtype.
pub(super) fn scalar_of(kind: Kind) -> Scalar {
    match kind {
        Kind::Bool => Scalar::Bool,
        Kind::I8 => Scalar::Int8,
        Kind::I16 => Scalar::Int16,
        Kind::I32 => Scalar::Int32,
        Kind::I64 => Scalar::Int64,
        Kind::U8 => Scalar::UInt8,
        Kind::U16 => Scalar::UInt16,
        Kind::U32 => Scalar::UInt32,
        Kind::U64 => Scalar::UInt64,
        Kind::F16 => Scalar::Float16,
        Kind::F32 => Scalar::Float32,
        Kind::F64 => Scalar::Float64,
        Kind::C64 => Scalar::Complex64,
        Kind::C128 => Scalar::Complex128,
    }
}

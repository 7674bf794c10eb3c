//! Reading and writing NumPy `.npy` files.
//!
//! The format is NumPy's
//! [`.npy` format](https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html),
//! versions 1.0, 2.0 and 3.0: the magic string `\x93NUMPY`, a two-byte
//! version, a little-endian header length (2 bytes in 1.0, 4 bytes in 2.0 and
//! 3.0), a header that is a Python dict literal with the keys `'descr'`,
//! `'fortran_order'` and `'shape'`, padded with spaces and a final newline,
//! then the raw element bytes.
//!
//! # Reading
//!
//! [`read_npy`](crate::npy::read_npy) and
//! [`read_npy_from`](crate::npy::read_npy_from) accept:
//!
//! * every numeric dtype: `b1`, `i1 i2 i4 i8`, `u1 u2 u4 u8`, `f2 f4 f8`,
//!   `c8 c16`, in little-endian (`<`), big-endian (`>`) or native (`=`) byte
//!   order, or `|` (no byte order, what NumPy writes for one-byte types; on
//!   multi-byte types NumPy reads it as native, and so do we);
//! * C order and Fortran order (`'fortran_order': True`); the array returned
//!   always has the right logical layout and is in standard (C) layout in
//!   memory;
//! * 0-d arrays (shape `()`) and zero-length dimensions;
//! * any header padding (NumPy aligns to 64 bytes, older versions to 16).
//!
//! The header is parsed by a small parser for the subset of Python literals
//! that can appear in it (strings in single or double quotes, integers with
//! an optional Python 2 `L` suffix, `True`, `False`, `None`, tuples, lists and
//! dicts, trailing commas, any whitespace). It never panics. As in NumPy, the
//! dict must have exactly the three keys, in any order.
//!
//! Decisions:
//!
//! * **Trailing data is rejected.** NumPy never writes bytes after the array
//!   data, so extra bytes mean the header's shape or dtype does not describe
//!   the file (or the file was corrupted or concatenated).
//!   [`read_npy_from`](crate::npy::read_npy_from) therefore reads its reader
//!   to the end; to read several arrays from one stream, give it a reader
//!   limited to one array (e.g. with [`Read::take`](std::io::Read::take)).
//! * A bool byte other than 0 is read as `true` (NumPy's view of such bytes).
//! * Unsupported dtypes (objects `|O`, strings `<U10`/`|S3`, datetimes
//!   `<M8[ns]`, structured dtypes, `<f16` long doubles, ...) are an error
//!   naming the dtype.
//!
//! # Writing
//!
//! [`write_npy`](crate::npy::write_npy) and
//! [`write_npy_to`](crate::npy::write_npy_to) write what `np.save` writes for
//! the same array, byte for byte: C order, little-endian (`|` for one-byte
//! types), version 1.0 unless the header is too long for it (then 2.0), the
//! header padded so the data starts at a multiple of 64 bytes (including
//! NumPy's spare space for growing the first axis).
//! [`write_npy`](crate::npy::write_npy) writes atomically: to a temporary file
//! in the destination's directory, then `fsync`, then
//! rename over the destination. On any error the temporary file is removed
//! and an existing destination is left untouched.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use blaze_datashape::Scalar;
use blaze_interp::Array;
use half::f16;
use ndarray::{ArrayD, IxDyn, ShapeBuilder, ShapeError};
use num_complex::{Complex32, Complex64};

/// The magic string that starts every `.npy` file.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The alignment NumPy pads the header to (the data starts at a multiple of
/// this many bytes).
const ARRAY_ALIGN: usize = 64;

/// NumPy's spare header space for growing the first axis in place
/// (`numpy.lib.format.GROWTH_AXIS_MAX_DIGITS`).
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// Nesting limit of the header parser (guards the stack against `((((...`).
const MAX_DEPTH: usize = 32;

/// What went wrong while reading or writing a `.npy` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NpyErrorKind {
    /// The input does not start with the magic string `\x93NUMPY`.
    BadMagic,
    /// The format version is not 1.0, 2.0 or 3.0.
    UnsupportedVersion,
    /// The input ends inside the version, header length or header.
    TruncatedHeader,
    /// The header is not a valid dict literal with the required keys.
    MalformedHeader,
    /// The header's dtype is valid NumPy but not a numeric type we support.
    UnsupportedDtype,
    /// The shape's element or byte count does not fit in memory sizes.
    ShapeOverflow,
    /// The input ends before all the elements the shape requires.
    TruncatedData,
    /// The input has bytes after the array data.
    TrailingData,
    /// An operating-system I/O error (the message carries the OS message).
    Io,
}

/// An error reading or writing a `.npy` file: the file's path (or the name
/// given for a reader), the kind of error and a message saying what is wrong.
///
/// It displays as `path: message`.
#[derive(Debug)]
pub struct NpyError {
    path: PathBuf,
    kind: NpyErrorKind,
    message: String,
    source: Option<io::Error>,
}

impl NpyError {
    fn new(path: &Path, kind: NpyErrorKind, message: impl Into<String>) -> NpyError {
        NpyError {
            path: path.to_path_buf(),
            kind,
            message: message.into(),
            source: None,
        }
    }

    fn io(path: &Path, what: &str, err: io::Error) -> NpyError {
        NpyError {
            path: path.to_path_buf(),
            kind: NpyErrorKind::Io,
            message: format!("{what}: {err}"),
            source: Some(err),
        }
    }

    /// The file the error is about (or the name given to [`read_npy_from`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The kind of error.
    pub fn kind(&self) -> NpyErrorKind {
        self.kind
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for NpyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Reads the `.npy` file at `path`.
///
/// Errors name the file; see [`NpyErrorKind`] for what can go wrong and the
/// [module documentation](self) for what is accepted.
pub fn read_npy(path: &Path) -> Result<Array, NpyError> {
    let file = File::open(path).map_err(|e| NpyError::io(path, "cannot open", e))?;
    read_npy_from(BufReader::new(file), path)
}

/// What the header of a `.npy` file says, checked: the element type, the
/// shape, the order, where the data starts and how many bytes it takes.
struct Layout {
    header: Header,
    dtype: Dtype,
    /// Bytes before the data.
    offset: u64,
    /// Bytes of data.
    nbytes: usize,
}

/// Reads and checks the magic, version and header from `reader`.
fn read_header<R: Read>(reader: &mut R, path: &Path) -> Result<Layout, NpyError> {
    let mut reader = reader;
    let err = |kind, msg: String| NpyError::new(path, kind, msg);
    let read_err = |e: io::Error| NpyError::io(path, "read error", e);

    // Magic and version.
    let prefix = read_up_to(&mut reader, 8).map_err(read_err)?;
    let magic_len = prefix.len().min(MAGIC.len());
    if prefix[..magic_len] != MAGIC[..magic_len] || prefix.len() < MAGIC.len() {
        let msg = if prefix.is_empty() {
            "not a .npy file: the file is empty".to_string()
        } else if prefix[..magic_len] == MAGIC[..magic_len] {
            format!(
                "not a .npy file: only {} bytes, too short for the magic string \\x93NUMPY",
                prefix.len()
            )
        } else {
            format!(
                "not a .npy file: bad magic {}, expected \\x93NUMPY",
                escape_bytes(&prefix[..magic_len])
            )
        };
        return Err(err(NpyErrorKind::BadMagic, msg));
    }
    if prefix.len() < 8 {
        return Err(err(
            NpyErrorKind::TruncatedHeader,
            "truncated header: the file ends inside the format version".into(),
        ));
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(err(
                NpyErrorKind::UnsupportedVersion,
                format!(
                    "unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)"
                ),
            ))
        }
    };

    // Header length and header.
    let raw_len = read_up_to(&mut reader, len_bytes).map_err(read_err)?;
    if raw_len.len() < len_bytes {
        return Err(err(
            NpyErrorKind::TruncatedHeader,
            "truncated header: the file ends inside the header length".into(),
        ));
    }
    let header_len = raw_len
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let header_bytes = read_up_to_u64(&mut reader, header_len).map_err(read_err)?;
    if (header_bytes.len() as u64) < header_len {
        return Err(err(
            NpyErrorKind::TruncatedHeader,
            format!(
                "truncated header: expected {header_len} bytes of header, found {}",
                header_bytes.len()
            ),
        ));
    }
    let header_text = if major == 3 {
        String::from_utf8(header_bytes).map_err(|_| {
            err(
                NpyErrorKind::MalformedHeader,
                "malformed header: not valid UTF-8 (required by version 3.0)".into(),
            )
        })?
    } else {
        // Versions 1.0 and 2.0 are latin-1.
        header_bytes.iter().map(|&b| char::from(b)).collect()
    };
    let header = parse_header(&header_text).map_err(|m| {
        err(
            NpyErrorKind::MalformedHeader,
            format!("malformed header: {m}"),
        )
    })?;
    let dtype = Dtype::parse(&header.descr).map_err(|m| err(NpyErrorKind::UnsupportedDtype, m))?;

    // Sizes.
    let overflow = || {
        err(
            NpyErrorKind::ShapeOverflow,
            format!(
                "shape overflow: shape {} of {} elements is too large",
                shape_repr(&header.shape),
                header.descr_repr
            ),
        )
    };
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(overflow)?;
    // ndarray requires the product of the non-zero axis lengths to fit in
    // isize, even when some axis is zero.
    let nonzero = header
        .shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(overflow)?;
    let nbytes = count.checked_mul(dtype.size).ok_or_else(overflow)?;
    let nonzero_bytes = nonzero.checked_mul(dtype.size).ok_or_else(overflow)?;
    if nonzero_bytes > isize::MAX as usize || nbytes > isize::MAX as usize {
        return Err(overflow());
    }
    let offset = 8 + len_bytes as u64 + header_len;
    Ok(Layout {
        header,
        dtype,
        offset,
        nbytes,
    })
}

/// Reads one `.npy` array from `reader`, to its end; errors name `name`.
///
/// Bytes after the array data are an error ([`NpyErrorKind::TrailingData`]).
pub fn read_npy_from<R: Read>(mut reader: R, name: impl AsRef<Path>) -> Result<Array, NpyError> {
    let path = name.as_ref();
    let err = |kind, msg: String| NpyError::new(path, kind, msg);
    let read_err = |e: io::Error| NpyError::io(path, "read error", e);
    let Layout {
        header,
        dtype,
        nbytes,
        ..
    } = read_header(&mut reader, path)?;

    // Data.
    let data = read_up_to_u64(&mut reader, nbytes as u64).map_err(read_err)?;
    if data.len() < nbytes {
        return Err(err(
            NpyErrorKind::TruncatedData,
            format!(
                "truncated: expected {nbytes} bytes of data, found {} (shape {}, dtype {})",
                data.len(),
                shape_repr(&header.shape),
                header.descr_repr
            ),
        ));
    }
    let extra = io::copy(&mut reader, &mut io::sink()).map_err(read_err)?;
    if extra > 0 {
        return Err(err(
            NpyErrorKind::TrailingData,
            format!(
                "trailing data: {extra} bytes after the {nbytes} bytes of data of shape {}, dtype {}",
                shape_repr(&header.shape),
                header.descr_repr
            ),
        ));
    }

    decode(&data, dtype, &header.shape, header.fortran_order).map_err(|e| {
        err(
            NpyErrorKind::ShapeOverflow,
            format!(
                "shape overflow: shape {} of {} elements: {e}",
                shape_repr(&header.shape),
                header.descr_repr
            ),
        )
    })
}

/// Reads up to `n` bytes (fewer only at end of input).
fn read_up_to<R: Read>(reader: &mut R, n: usize) -> io::Result<Vec<u8>> {
    read_up_to_u64(reader, n as u64)
}

/// Reads up to `n` bytes (fewer only at end of input), without trusting `n`
/// for the allocation: a header claiming a huge size on a small file must not
/// exhaust memory.
fn read_up_to_u64<R: Read>(reader: &mut R, n: u64) -> io::Result<Vec<u8>> {
    let cap = n.min(1 << 20) as usize;
    let mut buf = Vec::with_capacity(cap);
    reader.by_ref().take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

fn escape_bytes(bytes: &[u8]) -> String {
    let mut s = String::from("b'");
    for &b in bytes {
        if b.is_ascii_graphic() && b != b'\'' && b != b'\\' || b == b' ' {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s.push('\'');
    s
}

fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".into(),
        [d] => format!("({d},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The element types we read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
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
struct Dtype {
    kind: Kind,
    size: usize,
    big_endian: bool,
}

impl Dtype {
    /// Parses a descr string such as `<f8`; the error message names it.
    fn parse(descr: &Descr) -> Result<Dtype, String> {
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
fn chunks<T, const N: usize>(data: &[u8], big: bool, f: impl Fn([u8; N]) -> T) -> Vec<T> {
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
fn complex_chunks<T, const N: usize>(
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
fn build<T: Clone>(elems: Vec<T>, shape: &[usize], fortran: bool) -> Result<ArrayD<T>, ShapeError> {
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

fn decode(data: &[u8], dtype: Dtype, shape: &[usize], fortran: bool) -> Result<Array, ShapeError> {
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

// ---------------------------------------------------------------------------
// Header parsing
// ---------------------------------------------------------------------------

/// A Python literal of the header.
#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Str(String),
    /// An integer, `None` when it does not fit in an i128.
    Int(Option<i128>),
    Bool(bool),
    None,
    Tuple(Vec<Lit>),
    List(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
}

impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(f: &mut fmt::Formatter<'_>, items: &[Lit]) -> fmt::Result {
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{x}")?;
            }
            Ok(())
        }
        match self {
            Lit::Str(s) => write!(f, "{s:?}"),
            Lit::Int(Some(i)) => write!(f, "{i}"),
            Lit::Int(None) => f.write_str("<huge integer>"),
            Lit::Bool(true) => f.write_str("True"),
            Lit::Bool(false) => f.write_str("False"),
            Lit::None => f.write_str("None"),
            Lit::Tuple(items) => {
                f.write_str("(")?;
                seq(f, items)?;
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            Lit::List(items) => {
                f.write_str("[")?;
                seq(f, items)?;
                f.write_str("]")
            }
            Lit::Dict(items) => {
                f.write_str("{")?;
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// The descr: a dtype string, or something else (a list for structured
/// dtypes), kept as text for the error message.
#[derive(Clone, Debug)]
enum Descr {
    Str(String),
    Other(String),
}

/// The parsed header.
#[derive(Clone, Debug)]
struct Header {
    descr: Descr,
    descr_repr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Truncates a text for an error message.
fn clip(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let t: String = s.chars().take(MAX).collect();
        format!("{t}...")
    }
}

fn parse_header(text: &str) -> Result<Header, String> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
    };
    p.skip_ws();
    if p.at_end() {
        return Err("the header is empty".into());
    }
    let lit = p.value(0)?;
    p.skip_ws();
    if !p.at_end() {
        let rest: String = p.chars[p.pos..].iter().collect();
        return Err(format!(
            "unexpected text after the dict at offset {}: {:?}",
            p.pos,
            clip(&rest)
        ));
    }
    let Lit::Dict(items) = lit else {
        return Err(format!("expected a dict, found {}", clip(&lit.to_string())));
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (k, v) in items {
        let Lit::Str(key) = k else {
            return Err(format!("dict key {} is not a string", clip(&k.to_string())));
        };
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran,
            "shape" => &mut shape,
            _ => {
                return Err(format!(
                    "unexpected key {:?} (expected 'descr', 'fortran_order' and 'shape')",
                    clip(&key)
                ))
            }
        };
        if slot.is_some() {
            return Err(format!("duplicate key '{key}'"));
        }
        *slot = Some(v);
    }
    let missing = |k: &str| format!("missing key '{k}'");
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let fortran = fortran.ok_or_else(|| missing("fortran_order"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;

    let descr_repr = clip(&descr.to_string());
    let descr = match descr {
        Lit::Str(s) => Descr::Str(s),
        l @ (Lit::List(_) | Lit::Tuple(_) | Lit::Dict(_)) => Descr::Other(clip(&l.to_string())),
        other => {
            return Err(format!(
                "'descr' must be a string or a list, found {}",
                clip(&other.to_string())
            ))
        }
    };
    let fortran_order = match fortran {
        Lit::Bool(b) => b,
        other => {
            return Err(format!(
                "'fortran_order' must be True or False, found {}",
                clip(&other.to_string())
            ))
        }
    };
    let Lit::Tuple(dims) = shape else {
        return Err(format!(
            "'shape' must be a tuple of integers such as (3,) or (2, 3), found {}",
            clip(&shape.to_string())
        ));
    };
    let mut out = Vec::with_capacity(dims.len());
    for d in &dims {
        match d {
            Lit::Int(Some(i)) if *i < 0 => {
                return Err(format!("negative dimension {i} in 'shape'"));
            }
            Lit::Int(Some(i)) => match usize::try_from(*i) {
                Ok(u) => out.push(u),
                Err(_) => return Err(format!("dimension {i} in 'shape' is too large")),
            },
            Lit::Int(None) => return Err("a dimension in 'shape' is too large".into()),
            other => {
                return Err(format!(
                    "'shape' must hold integers, found {}",
                    clip(&other.to_string())
                ))
            }
        }
    }
    Ok(Header {
        descr,
        descr_repr,
        fortran_order,
        shape: out,
    })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r' | '\x0c')) {
            self.pos += 1;
        }
    }

    fn describe_here(&self) -> String {
        match self.peek() {
            None => "the end of the header".into(),
            Some(c) => format!("{c:?} at offset {}", self.pos),
        }
    }

    fn expect_err(&self, what: &str) -> String {
        format!("expected {what}, found {}", self.describe_here())
    }

    fn value(&mut self, depth: usize) -> Result<Lit, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        self.skip_ws();
        match self.peek() {
            Some('\'' | '"') => self.string().map(Lit::Str),
            Some('{') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some('}') {
                        self.pos += 1;
                        return Ok(Lit::Dict(items));
                    }
                    let k = self.value(depth + 1)?;
                    self.skip_ws();
                    if self.peek() != Some(':') {
                        return Err(self.expect_err("':' after a dict key"));
                    }
                    self.pos += 1;
                    let v = self.value(depth + 1)?;
                    items.push((k, v));
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some('}') => {}
                        _ => return Err(self.expect_err("',' or '}' in the dict")),
                    }
                }
            }
            Some(open @ ('(' | '[')) => {
                let close = if open == '(' { ')' } else { ']' };
                self.pos += 1;
                let mut items = Vec::new();
                let mut trailing_comma = false;
                loop {
                    self.skip_ws();
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => {
                            self.pos += 1;
                            trailing_comma = true;
                        }
                        Some(c) if c == close => trailing_comma = false,
                        _ => return Err(self.expect_err(&format!("',' or '{close}'"))),
                    }
                }
                if open == '[' {
                    Ok(Lit::List(items))
                } else if items.len() == 1 && !trailing_comma {
                    // Python: `(3)` is the integer 3, not a tuple.
                    Ok(items.pop().unwrap_or(Lit::None))
                } else {
                    Ok(Lit::Tuple(items))
                }
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.int(),
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                while matches!(self.peek(), Some(c) if c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "True" => Ok(Lit::Bool(true)),
                    "False" => Ok(Lit::Bool(false)),
                    "None" => Ok(Lit::None),
                    // Python 2 unicode / Python 3 bytes prefixes.
                    "u" | "b" if matches!(self.peek(), Some('\'' | '"')) => {
                        self.string().map(Lit::Str)
                    }
                    _ => Err(format!(
                        "unexpected name {:?} at offset {start}",
                        clip(&word)
                    )),
                }
            }
            _ => Err(self.expect_err("a value")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let start = self.pos;
        let quote = self.peek().unwrap_or('\'');
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None | Some('\n') => {
                    return Err(format!("unterminated string starting at offset {start}"))
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(s);
                }
                Some('\\') => {
                    self.pos += 1;
                    let c = self
                        .peek()
                        .ok_or_else(|| format!("unterminated string starting at offset {start}"))?;
                    self.pos += 1;
                    s.push(match c {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        other => other,
                    });
                }
                Some(c) => {
                    self.pos += 1;
                    s.push(c);
                }
            }
        }
    }

    fn int(&mut self) -> Result<Lit, String> {
        let start = self.pos;
        let negative = match self.peek() {
            Some('-') => {
                self.pos += 1;
                true
            }
            Some('+') => {
                self.pos += 1;
                false
            }
            _ => false,
        };
        self.skip_ws();
        let digits_start = self.pos;
        let mut value: Option<i128> = Some(0);
        while let Some(c) = self.peek() {
            if let Some(d) = c.to_digit(10).filter(|_| c.is_ascii_digit()) {
                value = value
                    .and_then(|v| v.checked_mul(10))
                    .and_then(|v| v.checked_add(i128::from(d)));
                self.pos += 1;
            } else if c == '_' && self.pos > digits_start {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == digits_start {
            return Err(format!("expected digits at offset {start}"));
        }
        // Python 2 long suffix, as in shapes written by old NumPy: `(3L,)`.
        if matches!(self.peek(), Some('L' | 'l')) {
            self.pos += 1;
        }
        if matches!(self.peek(), Some(c) if c.is_alphanumeric() || c == '.') {
            return Err(format!("malformed number at offset {start}"));
        }
        Ok(Lit::Int(if negative { value.map(|v| -v) } else { value }))
    }
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// The descr NumPy writes for the array's type (little-endian).
fn descr_of(array: &Array) -> &'static str {
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

/// The header NumPy's `np.save` writes for a C-order array of `descr` and
/// `shape`: magic, version, length and the padded dict.
fn header_bytes(descr: &str, shape: &[usize]) -> io::Result<Vec<u8>> {
    let mut dict = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}",
        shape_repr(shape)
    );
    // NumPy's spare space for growing the first axis in place.
    if let Some(first) = shape.first() {
        let digits = first.to_string().len();
        dict.extend(std::iter::repeat_n(
            ' ',
            GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
        ));
    }
    // Padded with spaces and a final newline so that the data starts at a
    // multiple of ARRAY_ALIGN (like NumPy, a full ARRAY_ALIGN of padding when
    // already aligned). Version 1.0 has a 2-byte length, 2.0 a 4-byte one.
    let hlen = dict.len() + 1;
    let padded =
        |len_bytes: usize| hlen + ARRAY_ALIGN - (MAGIC.len() + 2 + len_bytes + hlen) % ARRAY_ALIGN;
    let mut out = Vec::with_capacity(hlen + ARRAY_ALIGN + 12);
    out.extend_from_slice(MAGIC);
    let total = padded(2);
    if let Ok(total16) = u16::try_from(total) {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&total16.to_le_bytes());
    } else {
        let total = padded(4);
        let total32 = u32::try_from(total).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "the .npy header is too long")
        })?;
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&total32.to_le_bytes());
    }
    let data_start = out.len() + padded(out.len() - MAGIC.len() - 2);
    out.extend_from_slice(dict.as_bytes());
    out.resize(data_start - 1, b' ');
    out.push(b'\n');
    Ok(out)
}

/// Writes `array` in `.npy` format to `writer`: version 1.0 (2.0 if the
/// header needs it), C order, little-endian, byte for byte what NumPy's
/// `np.save` writes for the same array.
///
/// The writer is not flushed beyond what writing requires; wrap unbuffered
/// writers in a [`BufWriter`].
pub fn write_npy_to<W: Write>(mut writer: W, array: &Array) -> io::Result<()> {
    writer.write_all(&header_bytes(descr_of(array), array.shape())?)?;
    encode_into(writer, array)
}

/// Writes the elements of `array` in C order, little-endian.
fn encode_into<W: Write>(mut writer: W, array: &Array) -> io::Result<()> {
    // Elements are written in logical (C) order whatever the memory layout,
    // through a buffer of a few KiB.
    let mut buf: Vec<u8> = Vec::with_capacity(BUF_SIZE + 16);
    macro_rules! put {
        ($a:expr, $x:ident => $($bytes:expr),+) => {{
            for $x in $a.iter() {
                $(buf.extend_from_slice(&$bytes);)+
                if buf.len() >= BUF_SIZE {
                    writer.write_all(&buf)?;
                    buf.clear();
                }
            }
        }};
    }
    match array {
        Array::Bool(a) => put!(a, x => [u8::from(*x)]),
        Array::Int8(a) => put!(a, x => x.to_le_bytes()),
        Array::Int16(a) => put!(a, x => x.to_le_bytes()),
        Array::Int32(a) => put!(a, x => x.to_le_bytes()),
        Array::Int64(a) => put!(a, x => x.to_le_bytes()),
        Array::UInt8(a) => put!(a, x => x.to_le_bytes()),
        Array::UInt16(a) => put!(a, x => x.to_le_bytes()),
        Array::UInt32(a) => put!(a, x => x.to_le_bytes()),
        Array::UInt64(a) => put!(a, x => x.to_le_bytes()),
        Array::Float16(a) => put!(a, x => x.to_le_bytes()),
        Array::Float32(a) => put!(a, x => x.to_le_bytes()),
        Array::Float64(a) => put!(a, x => x.to_le_bytes()),
        Array::Complex64(a) => put!(a, x => x.re.to_le_bytes(), x.im.to_le_bytes()),
        Array::Complex128(a) => put!(a, x => x.re.to_le_bytes(), x.im.to_le_bytes()),
    }
    writer.write_all(&buf)
}

/// Size of the data buffer of [`write_npy_to`].
const BUF_SIZE: usize = 8192;

/// Counter making temporary names unique within the process.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new, unique temporary file next to `path` (so a rename stays on one
/// file system).
fn temporary_next_to(path: &Path) -> Result<(PathBuf, File), NpyError> {
    let file_name = path.file_name().ok_or_else(|| {
        NpyError::new(
            path,
            NpyErrorKind::Io,
            "cannot write: the path does not name a file",
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut attempt = 0;
    loop {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let stem: String = file_name.to_string_lossy().chars().take(64).collect();
        let tmp = dir.join(format!(".{stem}.{}.{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(NpyError::io(path, "cannot create a temporary file", e)),
        }
    }
}

/// The element type of a `.npy` dtype.
fn scalar_of(kind: Kind) -> Scalar {
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

/// A `.npy` file opened for reading by blocks of rows (its first axis),
/// without loading it: the header is checked when it is opened, and so is
/// the file's length against it (a truncated file is an error before any
/// work starts).
#[derive(Debug)]
pub struct NpyFile {
    file: File,
    path: PathBuf,
    dtype: Dtype,
    shape: Vec<usize>,
    fortran: bool,
    offset: u64,
}

impl NpyFile {
    /// Opens and checks `path`.
    pub fn open(path: &Path) -> Result<NpyFile, NpyError> {
        let file = File::open(path).map_err(|e| NpyError::io(path, "cannot open", e))?;
        let mut r = BufReader::new(&file);
        let layout = read_header(&mut r, path)?;
        drop(r);
        let len = file
            .metadata()
            .map_err(|e| NpyError::io(path, "cannot stat", e))?
            .len();
        let want = layout.offset + layout.nbytes as u64;
        let shape = layout.header.shape.clone();
        let descr = layout.header.descr_repr.clone();
        if len < want {
            return Err(NpyError::new(
                path,
                NpyErrorKind::TruncatedData,
                format!(
                    "truncated: expected {} bytes of data, found {} (shape {}, dtype {descr})",
                    layout.nbytes,
                    len.saturating_sub(layout.offset),
                    shape_repr(&shape),
                ),
            ));
        }
        if len > want {
            return Err(NpyError::new(
                path,
                NpyErrorKind::TrailingData,
                format!(
                    "trailing data: {} bytes after the {} bytes of data of shape {}, dtype {descr}",
                    len - want,
                    layout.nbytes,
                    shape_repr(&shape),
                ),
            ));
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: an advisory call on an open descriptor.
            unsafe {
                libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_SEQUENTIAL);
            }
        }
        Ok(NpyFile {
            file,
            path: path.to_path_buf(),
            dtype: layout.dtype,
            shape,
            fortran: layout.header.fortran_order,
            offset: layout.offset,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The element type.
    pub fn scalar(&self) -> Scalar {
        scalar_of(self.dtype.kind)
    }

    /// Whether the data is in Fortran order (then it cannot be read by rows).
    pub fn fortran_order(&self) -> bool {
        self.fortran && self.shape.len() > 1
    }

    /// Bytes of one row (one index of the first axis).
    pub fn row_bytes(&self) -> usize {
        self.shape.iter().skip(1).product::<usize>() * self.dtype.size
    }

    /// Bytes of data.
    pub fn data_bytes(&self) -> u64 {
        self.shape.iter().product::<usize>() as u64 * self.dtype.size as u64
    }

    /// Rows `start..end` of a C-order file, as an array of shape
    /// `[end - start, rest...]`.
    pub fn read_rows(&self, start: usize, end: usize) -> Result<Array, NpyError> {
        self.read_rows_reusing(start, end, None)
    }

    /// As [`NpyFile::read_rows`], reading into the buffer of `reuse` when it
    /// is an array of the same element type (a streamed run recycles its
    /// blocks, so large reads do not fault in fresh pages every time).
    pub fn read_rows_reusing(
        &self,
        start: usize,
        end: usize,
        reuse: Option<Array>,
    ) -> Result<Array, NpyError> {
        let rows = self.shape.first().copied().unwrap_or(1);
        if self.fortran_order() || start > end || end > rows {
            return Err(NpyError::new(
                &self.path,
                NpyErrorKind::Io,
                format!(
                    "cannot read rows {start}..{end} of shape {}{}",
                    shape_repr(&self.shape),
                    if self.fortran_order() {
                        " in Fortran order"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let rb = self.row_bytes();
        let at = self.offset + (start * rb) as u64;
        // Ask the kernel to read the next block of the same size into the
        // page cache meanwhile: the disk works while this block is
        // computed, and page cache is not this process's memory.
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::io::AsRawFd;
            let len = ((end - start) * rb) as libc::off_t;
            // SAFETY: advisory calls on an open descriptor.
            unsafe {
                libc::posix_fadvise(
                    self.file.as_raw_fd(),
                    (at + len as u64) as libc::off_t,
                    len,
                    libc::POSIX_FADV_WILLNEED,
                );
            }
        }
        let io_err = |e| NpyError::io(&self.path, &format!("read error at rows {start}..{end}"), e);
        let mut shape = self.shape.clone();
        if shape.is_empty() {
            shape.push(1);
        }
        shape[0] = end - start;
        let count: usize = shape.iter().product();
        let shape_err =
            |e: ShapeError| NpyError::new(&self.path, NpyErrorKind::ShapeOverflow, e.to_string());
        // Native-endian numbers are read straight into the array's buffer.
        macro_rules! direct {
            ($variant:ident, $t:ty) => {{
                let mut v: Vec<$t> = match reuse {
                    Some(Array::$variant(a)) => {
                        let (mut v, _) = a.into_raw_vec_and_offset();
                        v.clear();
                        v
                    }
                    _ => Vec::new(),
                };
                if v.capacity() < count {
                    v = Vec::with_capacity(count);
                    crate::memory::advise_huge_pages(
                        v.as_mut_ptr().cast(),
                        count * std::mem::size_of::<$t>(),
                    );
                }
                v.resize(count, <$t>::default());
                // SAFETY: a plain number type without padding or invalid bit
                // patterns, viewed as its bytes for the read.
                let bytes = unsafe {
                    std::slice::from_raw_parts_mut(
                        v.as_mut_ptr().cast::<u8>(),
                        count * std::mem::size_of::<$t>(),
                    )
                };
                read_exact_at(&self.file, bytes, at).map_err(io_err)?;
                return Ok(Array::$variant(
                    ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(shape_err)?,
                ));
            }};
        }
        if self.dtype.big_endian == cfg!(target_endian = "big") {
            match self.dtype.kind {
                Kind::F64 => direct!(Float64, f64),
                Kind::F32 => direct!(Float32, f32),
                Kind::I64 => direct!(Int64, i64),
                Kind::I32 => direct!(Int32, i32),
                Kind::I16 => direct!(Int16, i16),
                Kind::I8 => direct!(Int8, i8),
                Kind::U64 => direct!(UInt64, u64),
                Kind::U32 => direct!(UInt32, u32),
                Kind::U16 => direct!(UInt16, u16),
                Kind::U8 => direct!(UInt8, u8),
                _ => {}
            }
        }
        let mut buf = vec![0u8; (end - start) * rb];
        read_exact_at(&self.file, &mut buf, at).map_err(io_err)?;
        decode(&buf, self.dtype, &shape, false).map_err(shape_err)
    }

    /// The whole array.
    pub fn read_all(&self) -> Result<Array, NpyError> {
        read_npy(&self.path)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

/// A `.npy` file written by blocks of rows, in any order, from any thread:
/// the data goes to a temporary file next to the destination, which
/// [`NpyWriter::finish`] syncs and renames into place. Dropped unfinished
/// (an error, a panic), it removes the temporary file: the destination is
/// never left half-written.
#[derive(Debug)]
pub struct NpyWriter {
    file: File,
    tmp: PathBuf,
    path: PathBuf,
    shape: Vec<usize>,
    scalar: Scalar,
    offset: u64,
    row_bytes: usize,
    done: bool,
}

impl NpyWriter {
    /// Starts writing an array of `scalar` elements and `shape` to `path`.
    pub fn create(path: &Path, scalar: Scalar, shape: &[usize]) -> Result<NpyWriter, NpyError> {
        let (tmp, file) = temporary_next_to(path)?;
        let descr = descr_of(&Array::zeros(scalar, &[0]));
        let header =
            header_bytes(descr, shape).map_err(|e| NpyError::io(path, "write error", e))?;
        let mut w = NpyWriter {
            file,
            tmp,
            path: path.to_path_buf(),
            shape: shape.to_vec(),
            scalar,
            offset: header.len() as u64,
            row_bytes: shape.iter().skip(1).product::<usize>() * scalar.size_bytes(),
            done: false,
        };
        let total = w.offset + (shape.iter().product::<usize>() * scalar.size_bytes()) as u64;
        write_all_at(&w.file, &header, 0).map_err(|e| NpyError::io(path, "write error", e))?;
        w.file
            .set_len(total)
            .map_err(|e| NpyError::io(path, "cannot size the file", e))?;
        w.done = false;
        Ok(w)
    }

    /// Starts writing an array whose number of rows is known only at the
    /// end ([`NpyWriter::finish_rows`]); `rest` is the shape of one row.
    pub fn create_growable(
        path: &Path,
        scalar: Scalar,
        rest: &[usize],
    ) -> Result<NpyWriter, NpyError> {
        let mut shape = vec![usize::MAX / 2];
        shape.extend_from_slice(rest);
        let (tmp, file) = temporary_next_to(path)?;
        let descr = descr_of(&Array::zeros(scalar, &[0]));
        // The header NumPy writes leaves room for any first dimension, so
        // the final one fits in the same bytes.
        let header =
            header_bytes(descr, &shape).map_err(|e| NpyError::io(path, "write error", e))?;
        write_all_at(&file, &header, 0).map_err(|e| NpyError::io(path, "write error", e))?;
        Ok(NpyWriter {
            file,
            tmp,
            path: path.to_path_buf(),
            shape,
            scalar,
            offset: header.len() as u64,
            row_bytes: rest.iter().product::<usize>() * scalar.size_bytes(),
            done: false,
        })
    }

    /// Finishes a file of `rows` rows (the header of a growable writer is
    /// rewritten with them), syncs it and renames it into place.
    pub fn finish_rows(mut self, rows: usize) -> Result<(), NpyError> {
        let mut shape = self.shape.clone();
        if shape.is_empty() {
            return self.finish();
        }
        if shape[0] != rows {
            shape[0] = rows;
            let descr = descr_of(&Array::zeros(self.scalar, &[0]));
            let header = header_bytes(descr, &shape)
                .map_err(|e| NpyError::io(&self.path, "write error", e))?;
            if header.len() as u64 != self.offset {
                return Err(NpyError::new(
                    &self.path,
                    NpyErrorKind::Io,
                    "the final header does not fit the space reserved for it",
                ));
            }
            write_all_at(&self.file, &header, 0)
                .map_err(|e| NpyError::io(&self.path, "write error", e))?;
            self.file
                .set_len(self.offset + (rows * self.row_bytes) as u64)
                .map_err(|e| NpyError::io(&self.path, "cannot size the file", e))?;
            self.shape = shape;
        }
        self.finish()
    }

    /// Writes `block` (shape `[n, rest...]`) as rows `start..start + n`.
    pub fn write_rows(&self, start: usize, block: &Array) -> Result<(), NpyError> {
        let bs = block.shape();
        let fits = block.scalar() == self.scalar
            && bs.len() == self.shape.len().max(1)
            && bs[1..] == self.shape.get(1..).unwrap_or(&[])[..]
            && start + bs[0] <= self.shape.first().copied().unwrap_or(1);
        if !fits {
            return Err(NpyError::new(
                &self.path,
                NpyErrorKind::Io,
                format!(
                    "a block of shape {} ({}) does not fit rows from {start} of shape {} ({})",
                    shape_repr(bs),
                    block.scalar(),
                    shape_repr(&self.shape),
                    self.scalar
                ),
            ));
        }
        let mut buf = Vec::with_capacity(bs[0] * self.row_bytes);
        encode_into(&mut buf, block).map_err(|e| NpyError::io(&self.path, "write error", e))?;
        let at = self.offset + (start * self.row_bytes) as u64;
        write_all_at(&self.file, &buf, at)
            .map_err(|e| NpyError::io(&self.path, "write error", e))?;
        // Start writing the block back to disk now, so that `finish`'s sync
        // waits for the last blocks only and the disk works while the next
        // blocks are computed.
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: an advisory call on an open descriptor and a range
            // inside the file.
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    at as libc::off64_t,
                    buf.len() as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        Ok(())
    }

    /// Syncs the data and renames the file into place.
    pub fn finish(mut self) -> Result<(), NpyError> {
        self.file
            .sync_all()
            .map_err(|e| NpyError::io(&self.path, "cannot sync to disk", e))?;
        fs::rename(&self.tmp, &self.path)
            .map_err(|e| NpyError::io(&self.path, "cannot rename", e))?;
        self.done = true;
        #[cfg(unix)]
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Drop for NpyWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `array` to the `.npy` file `path`, atomically.
///
/// The array is written (as by [`write_npy_to`]) to a new temporary file in
/// the same directory, synced to disk, then renamed to `path`, replacing any
/// existing file. On error the temporary file is removed and an existing
/// file at `path` is left as it was. Errors name `path` and carry the OS
/// message.
pub fn write_npy(path: &Path, array: &Array) -> Result<(), NpyError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let (tmp_path, file) = temporary_next_to(path)?;
    let result = (|| -> Result<(), NpyError> {
        let mut w = BufWriter::new(file);
        write_npy_to(&mut w, array).map_err(|e| NpyError::io(path, "write error", e))?;
        let file = w
            .into_inner()
            .map_err(|e| NpyError::io(path, "write error", e.into_error()))?;
        file.sync_all()
            .map_err(|e| NpyError::io(path, "cannot sync to disk", e))?;
        drop(file);
        fs::rename(&tmp_path, path).map_err(|e| NpyError::io(path, "cannot rename", e))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
        return result;
    }
    // Make the rename durable (best effort: not every platform can sync a
    // directory).
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

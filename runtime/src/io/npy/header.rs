//! The header of a `.npy` file: the magic, the version, the header length
//! and the dict, read and checked ([`read_header`]) or written
//! ([`header_bytes`]).

use super::dtype::Dtype;
use super::literal::{parse_header, Header};
use super::MAGIC;
use crate::io::{IoError, IoErrorKind};
use std::io::{self, Read};
use std::path::Path;

/// The alignment NumPy pads the header to (the data starts at a multiple of
/// this many bytes).
pub(super) const ARRAY_ALIGN: usize = 64;

/// The most dimensions an array file may declare (NumPy's own limit).
pub(crate) const MAX_RANK: usize = 64;

/// NumPy's spare header space for growing the first axis in place
/// (`numpy.lib.format.GROWTH_AXIS_MAX_DIGITS`).
pub(super) const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// What the header of a `.npy` file says, checked: the element type, the
/// shape, the order, where the data starts and how many bytes it takes.
pub(super) struct Layout {
    pub(super) header: Header,
    pub(super) dtype: Dtype,
    /// Bytes before the data.
    pub(super) offset: u64,
    /// Bytes of data.
    pub(super) nbytes: usize,
}

/// Reads and checks the magic, version and header from `reader`.
pub(super) fn read_header<R: Read>(reader: &mut R, path: &Path) -> Result<Layout, IoError> {
    let mut reader = reader;
    let err = |kind, msg: String| IoError::format(path, kind, msg);
    let read_err = |e: io::Error| IoError::os(path, "read error", e);

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
        return Err(err(IoErrorKind::BadMagic, msg));
    }
    if prefix.len() < 8 {
        return Err(err(
            IoErrorKind::TruncatedHeader,
            "truncated header: the file ends inside the format version".into(),
        ));
    }
    let (major, minor) = (prefix[6], prefix[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(err(
                IoErrorKind::UnsupportedVersion,
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
            IoErrorKind::TruncatedHeader,
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
            IoErrorKind::TruncatedHeader,
            format!(
                "truncated header: expected {header_len} bytes of header, found {}",
                header_bytes.len()
            ),
        ));
    }
    let header_text = if major == 3 {
        String::from_utf8(header_bytes).map_err(|_| {
            err(
                IoErrorKind::MalformedHeader,
                "malformed header: not valid UTF-8 (required by version 3.0)".into(),
            )
        })?
    } else {
        // Versions 1.0 and 2.0 are latin-1.
        header_bytes.iter().map(|&b| char::from(b)).collect()
    };
    let header = parse_header(&header_text).map_err(|m| {
        err(
            IoErrorKind::MalformedHeader,
            format!("malformed header: {m}"),
        )
    })?;
    if header.shape.len() > MAX_RANK {
        return Err(err(
            IoErrorKind::MalformedHeader,
            format!(
                "the header has {} dimensions; at most {MAX_RANK} are supported (NumPy's limit)",
                header.shape.len()
            ),
        ));
    }
    let dtype = Dtype::parse(&header.descr).map_err(|m| err(IoErrorKind::UnsupportedDtype, m))?;

    // Sizes.
    let overflow = || {
        err(
            IoErrorKind::ShapeOverflow,
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

/// Reads up to `n` bytes (fewer only at end of input).
pub(super) fn read_up_to<R: Read>(reader: &mut R, n: usize) -> io::Result<Vec<u8>> {
    read_up_to_u64(reader, n as u64)
}

/// Reads up to `n` bytes (fewer only at end of input), without trusting `n`
/// for the allocation: a header claiming a huge size on a small file must not
/// exhaust memory.
pub(super) fn read_up_to_u64<R: Read>(reader: &mut R, n: u64) -> io::Result<Vec<u8>> {
    let cap = n.min(1 << 20) as usize;
    let mut buf = Vec::with_capacity(cap);
    reader.by_ref().take(n).read_to_end(&mut buf)?;
    Ok(buf)
}

pub(super) fn escape_bytes(bytes: &[u8]) -> String {
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

pub(super) fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".into(),
        [d] => format!("({d},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// The header NumPy's `np.save` writes for a C-order array of `descr` and
/// `shape`: magic, version, length and the padded dict.
pub(super) fn header_bytes(descr: &str, shape: &[usize]) -> io::Result<Vec<u8>> {
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

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
//! [`read_npy`] and
//! [`read_npy_from`] accept:
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
//!   [`read_npy_from`] therefore reads its reader
//!   to the end; to read several arrays from one stream, give it a reader
//!   limited to one array (e.g. with [`Read::take`](std::io::Read::take)).
//! * A bool byte other than 0 is read as `true` (NumPy's view of such bytes).
//! * Unsupported dtypes (objects `|O`, strings `<U10`/`|S3`, datetimes
//!   `<M8[ns]`, structured dtypes, `<f16` long doubles, ...) are an error
//!   naming the dtype.
//!
//! # Writing
//!
//! [`write_npy`] and
//! [`write_npy_to`] write what `np.save` writes for
//! the same array, byte for byte: C order, little-endian (`|` for one-byte
//! types), version 1.0 unless the header is too long for it (then 2.0), the
//! header padded so the data starts at a multiple of 64 bytes (including
//! NumPy's spare space for growing the first axis).
//! [`write_npy`] writes atomically: to a temporary file
//! in the destination's directory, then `fsync`, then
//! rename over the destination. On any error the temporary file is removed
//!
//! The submodules own one concept each: `header` (the magic, version and
//! header of a file, read and written), `literal` (the Python literal
//! parser of the header dict), `dtype` (dtypes, element decoding),
//! `read` ([`read_npy`], [`NpyFile`]), `append` ([`NpyAppender`]: rows
//! added to an existing file, the header rewritten in place), `write` ([`write_npy`],
//! [`NpyWriter`]) and `direct` ([`NpyStream`]: a streamed result of known
//! shape written in order by direct writes). Nothing here decides what streams: that is the
//! session's and the streaming executor's business.

mod append;
mod direct;
mod dtype;
mod header;
mod literal;
mod read;
mod write;

pub use append::NpyAppender;
pub use direct::{NpyStream, RowsBuffer};
pub(crate) use header::MAX_RANK;
pub use read::{read_npy, read_npy_from, NpyFile, MAP_MIN_BYTES};
pub use write::{write_npy, write_npy_to, NpyWriter};

/// The magic string that starts every `.npy` file.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

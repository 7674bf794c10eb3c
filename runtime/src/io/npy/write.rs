//! Writing `.npy` files: whole ([`write_npy`], [`write_npy_to`]) or by
//! blocks of rows ([`NpyWriter`]), always staged and renamed into place.

use super::dtype::descr_of;
use super::header::{header_bytes, shape_repr};
use crate::io::atomic::Staged;
use crate::io::{IoError, IoErrorKind};
use blaze_array::DenseView;
use blaze_datashape::Scalar;
use blaze_interp::{with_array, Array};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

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
pub(super) fn encode_into<W: Write>(mut writer: W, array: &Array) -> io::Result<()> {
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

#[cfg(unix)]
/// Writes the first `len` bytes of `block`'s elements, in C order and
/// little-endian, at `offset` of `file`: straight from the block's memory
/// when it is C-contiguous (on a little-endian machine), else through a
/// copy. Returns the bytes written.
pub(super) fn write_block_at(
    file: &File,
    path: &Path,
    scalar: Scalar,
    block: &DenseView<'_>,
    len: usize,
    offset: u64,
) -> Result<usize, IoError> {
    let direct = block.is_c_contiguous()
        && (cfg!(target_endian = "little") || scalar.size_bytes() == 1)
        && block.has_canonical_bools();
    let copy;
    let bytes: &[u8] = if direct && len > 0 {
        // SAFETY: a C-contiguous view's `len` bytes from its first
        // element are its elements, readable while it lives.
        unsafe { std::slice::from_raw_parts(block.as_ptr(), len) }
    } else {
        let value = crate::value::view_to_value(block)
            .map_err(|e| IoError::format(path, IoErrorKind::Request, e.to_string()))?;
        let blaze_interp::Value::Array { data, .. } = value else {
            return Err(IoError::format(
                path,
                IoErrorKind::Request,
                "a block that is not one array",
            ));
        };
        let mut buf = Vec::with_capacity(len);
        encode_into(&mut buf, &data).map_err(|e| IoError::os(path, "write error", e))?;
        copy = buf;
        &copy
    };
    write_all_at(file, bytes, offset).map_err(|e| IoError::os(path, "write error", e))?;
    Ok(bytes.len())
}

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
    stage: Staged,
    shape: Vec<usize>,
    scalar: Scalar,
    offset: u64,
    row_bytes: usize,
}

impl NpyWriter {
    /// Starts writing an array of `scalar` elements and `shape` to `path`.
    pub fn create(path: &Path, scalar: Scalar, shape: &[usize]) -> Result<NpyWriter, IoError> {
        let (stage, file) = Staged::file(path)?;
        let descr = descr_of(&Array::zeros(scalar, &[0]));
        let header = header_bytes(descr, shape).map_err(|e| IoError::os(path, "write error", e))?;
        let w = NpyWriter {
            file,
            stage,
            shape: shape.to_vec(),
            scalar,
            offset: header.len() as u64,
            row_bytes: shape.iter().skip(1).product::<usize>() * scalar.size_bytes(),
        };
        let total = w.offset + (shape.iter().product::<usize>() * scalar.size_bytes()) as u64;
        write_all_at(&w.file, &header, 0).map_err(|e| IoError::os(path, "write error", e))?;
        w.file
            .set_len(total)
            .map_err(|e| IoError::os(path, "cannot size the file", e))?;
        Ok(w)
    }

    /// Starts writing an array whose number of rows is known only at the
    /// end ([`NpyWriter::finish_rows`]); `rest` is the shape of one row.
    pub fn create_growable(
        path: &Path,
        scalar: Scalar,
        rest: &[usize],
    ) -> Result<NpyWriter, IoError> {
        let mut shape = vec![usize::MAX / 2];
        shape.extend_from_slice(rest);
        let (stage, file) = Staged::file(path)?;
        let descr = descr_of(&Array::zeros(scalar, &[0]));
        // The header NumPy writes leaves room for any first dimension, so
        // the final one fits in the same bytes.
        let header =
            header_bytes(descr, &shape).map_err(|e| IoError::os(path, "write error", e))?;
        write_all_at(&file, &header, 0).map_err(|e| IoError::os(path, "write error", e))?;
        Ok(NpyWriter {
            file,
            stage,
            shape,
            scalar,
            offset: header.len() as u64,
            row_bytes: rest.iter().product::<usize>() * scalar.size_bytes(),
        })
    }

    fn path(&self) -> &Path {
        self.stage.target()
    }

    /// Finishes a file of `rows` rows (the header of a growable writer is
    /// rewritten with them), syncs it and renames it into place.
    pub fn finish_rows(mut self, rows: usize) -> Result<(), IoError> {
        let mut shape = self.shape.clone();
        if shape.is_empty() {
            return self.finish();
        }
        if shape[0] != rows {
            shape[0] = rows;
            let descr = descr_of(&Array::zeros(self.scalar, &[0]));
            let header = header_bytes(descr, &shape)
                .map_err(|e| IoError::os(self.path(), "write error", e))?;
            if header.len() as u64 != self.offset {
                return Err(IoError::format(
                    self.path(),
                    IoErrorKind::Request,
                    "the final header does not fit the space reserved for it",
                ));
            }
            write_all_at(&self.file, &header, 0)
                .map_err(|e| IoError::os(self.path(), "write error", e))?;
            self.file
                .set_len(self.offset + (rows * self.row_bytes) as u64)
                .map_err(|e| IoError::os(self.path(), "cannot size the file", e))?;
            self.shape = shape;
        }
        self.finish()
    }

    /// Writes `block` (shape `[n, rest...]`) as rows `start..start + n`.
    pub fn write_rows(&self, start: usize, block: &Array) -> Result<(), IoError> {
        self.write_view(
            start,
            &with_array!(block, a => crate::value::view_of(&a.view())),
        )
    }

    /// As [`NpyWriter::write_rows`], from a blaze view: a C-contiguous
    /// view is written straight from its memory (on a little-endian
    /// machine), any other layout through a copy in C order.
    pub fn write_view(&self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        let bs = block.shape();
        let fits = block.scalar() == self.scalar
            && block.validity().is_none()
            && bs.len() == self.shape.len().max(1)
            && bs[1..] == self.shape.get(1..).unwrap_or(&[])[..]
            && start + bs[0] <= self.shape.first().copied().unwrap_or(1);
        if !fits {
            return Err(IoError::format(
                self.path(),
                IoErrorKind::Request,
                format!(
                    "a block of shape {} ({}{}) does not fit rows from {start} of shape {} ({})",
                    shape_repr(bs),
                    block.scalar(),
                    if block.validity().is_some() {
                        ", with missing values"
                    } else {
                        ""
                    },
                    shape_repr(&self.shape),
                    self.scalar
                ),
            ));
        }
        let at = self.offset + (start * self.row_bytes) as u64;
        let len = bs[0] * self.row_bytes;
        let bytes = write_block_at(&self.file, self.path(), self.scalar, block, len, at)?;
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
                    bytes as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        Ok(())
    }

    /// Syncs the data and renames the file into place.
    pub fn finish(self) -> Result<(), IoError> {
        self.file
            .sync_all()
            .map_err(|e| IoError::os(self.path(), "cannot sync to disk", e))?;
        self.stage.commit()
    }
}

/// Writes `array` to the `.npy` file `path`, atomically.
///
/// The array is written (as by [`write_npy_to`]) to a new temporary file in
/// the same directory, synced to disk, then renamed to `path`, replacing any
/// existing file. On error the temporary file is removed and an existing
/// file at `path` is left as it was. Errors name `path` and carry the OS
/// message.
pub fn write_npy(path: &Path, array: &Array) -> Result<(), IoError> {
    let (stage, file) = Staged::file(path)?;
    let mut w = BufWriter::new(file);
    write_npy_to(&mut w, array).map_err(|e| IoError::os(path, "write error", e))?;
    let file = w
        .into_inner()
        .map_err(|e| IoError::os(path, "write error", e.into_error()))?;
    file.sync_all()
        .map_err(|e| IoError::os(path, "cannot sync to disk", e))?;
    drop(file);
    stage.commit()
}

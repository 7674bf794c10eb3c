//! Reading `.npy` files: whole ([`read_npy`], [`read_npy_from`]) or by
//! blocks of rows ([`NpyFile`]).

use super::dtype::{decode, scalar_of, Dtype, Kind};
use super::header::{read_header, read_up_to_u64, shape_repr, Layout};
use crate::io::block::BlockPool;
use crate::io::{IoError, IoErrorKind};
use blaze_array::DenseArray;
use blaze_datashape::Scalar;
use blaze_interp::Array;
use ndarray::ShapeError;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// Reads the `.npy` file at `path`.
///
/// Errors name the file; see [`IoErrorKind`] for what can go wrong and the
/// [module documentation](super) for what is accepted.
pub fn read_npy(path: &Path) -> Result<Array, IoError> {
    let file = File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
    read_npy_from(BufReader::new(file), path)
}

/// Reads one `.npy` array from `reader`, to its end; errors name `name`.
///
/// Bytes after the array data are an error ([`IoErrorKind::TrailingData`]).
pub fn read_npy_from<R: Read>(mut reader: R, name: impl AsRef<Path>) -> Result<Array, IoError> {
    let path = name.as_ref();
    let err = |kind, msg: String| IoError::format(path, kind, msg);
    let read_err = |e: io::Error| IoError::os(path, "read error", e);
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
            IoErrorKind::TruncatedData,
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
            IoErrorKind::TrailingData,
            format!(
                "trailing data: {extra} bytes after the {nbytes} bytes of data of shape {}, dtype {}",
                shape_repr(&header.shape),
                header.descr_repr
            ),
        ));
    }

    decode(&data, dtype, &header.shape, header.fortran_order).map_err(|e| {
        err(
            IoErrorKind::ShapeOverflow,
            format!(
                "shape overflow: shape {} of {} elements: {e}",
                shape_repr(&header.shape),
                header.descr_repr
            ),
        )
    })
}

/// The smallest block [`NpyFile::block`] maps rather than reads (1 MiB).
pub const MAP_MIN_BYTES: usize = 1 << 20;

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
    /// An `O_DIRECT` descriptor for blocks not in the page cache.
    direct: crate::io::cold::DirectFile,
}

impl NpyFile {
    /// Opens and checks `path`.
    pub fn open(path: &Path) -> Result<NpyFile, IoError> {
        let file = File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
        let mut r = BufReader::new(&file);
        let layout = read_header(&mut r, path)?;
        drop(r);
        let len = file
            .metadata()
            .map_err(|e| IoError::os(path, "cannot stat", e))?
            .len();
        let want = layout.offset + layout.nbytes as u64;
        let shape = layout.header.shape.clone();
        let descr = layout.header.descr_repr.clone();
        if len < want {
            return Err(IoError::format(
                path,
                IoErrorKind::TruncatedData,
                format!(
                    "truncated: expected {} bytes of data, found {} (shape {}, dtype {descr})",
                    layout.nbytes,
                    len.saturating_sub(layout.offset),
                    shape_repr(&shape),
                ),
            ));
        }
        if len > want {
            return Err(IoError::format(
                path,
                IoErrorKind::TrailingData,
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
            direct: Default::default(),
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

    /// Rows `start..end` of a C-order file, as an array of shape
    /// `[end - start, rest...]`.
    pub fn read_rows(&self, start: usize, end: usize) -> Result<Array, IoError> {
        let (at, shape) = self.locate(start, end)?;
        let mut buf = vec![0u8; (end - start) * self.row_bytes()];
        read_exact_at(&self.file, &mut buf, at).map_err(|e| self.read_error(start, end, e))?;
        decode(&buf, self.dtype, &shape, false).map_err(|e| self.shape_error(e))
    }

    /// Rows `start..end` of a C-order file as a blaze array of shape
    /// `[end - start, rest...]`, in a buffer of `pool` (a streamed run
    /// reuses its blocks' buffers, so large reads do not fault in fresh
    /// pages every time). Native-endian numbers are read straight into the
    /// buffer; other files (the other byte order) are converted while
    /// read, once; `bool` bytes are made 0 or 1 in place.
    pub fn read_rows_into(
        &self,
        start: usize,
        end: usize,
        pool: &mut BlockPool,
    ) -> Result<DenseArray, IoError> {
        let (at, shape) = self.locate(start, end)?;
        self.read_next_ahead(at, &shape);
        let scalar = self.scalar();
        let native = self.dtype.big_endian == cfg!(target_endian = "big")
            || self.dtype.size == 1
            || self.dtype.kind == Kind::Bool;
        if native && self.dtype.size == scalar.size_bytes() {
            let bool_kind = self.dtype.kind == Kind::Bool;
            return pool.fill(&self.path, scalar, &shape, |bytes| {
                read_exact_at(&self.file, bytes, at).map_err(|e| self.read_error(start, end, e))?;
                if bool_kind {
                    for b in bytes.iter_mut() {
                        *b = u8::from(*b != 0);
                    }
                }
                Ok(())
            });
        }
        let converted = self.read_rows(start, end)?;
        crate::value::from_array(converted).map_err(|e| {
            IoError::format(
                &self.path,
                IoErrorKind::ShapeOverflow,
                format!("rows {start}..{end}: {e}"),
            )
        })
    }

    /// Rows `start..end` of a C-order file as a blaze array over a read-only
    /// memory map of them (no copy: kernels read the page cache), or
    /// `None` when they cannot be mapped as they are (the other byte order,
    /// `bool`, a range the system refuses): then
    /// [`NpyFile::read_rows_into`] reads them. The file's length is checked
    /// first: a file truncated since it was opened is an error, not a
    /// fault.
    pub fn map_rows(&self, start: usize, end: usize) -> Result<Option<DenseArray>, IoError> {
        let (at, shape) = self.locate(start, end)?;
        if !self.as_stored() {
            return Ok(None);
        }
        self.read_next_ahead(at, &shape);
        let scalar = self.scalar();
        crate::io::mapped::map_block(
            &self.file,
            &self.path,
            at,
            scalar,
            &shape,
            &format!("rows {start}..{end}"),
        )
    }

    /// Rows `start..end` by the process's [`read_path`](crate::io::read_path):
    /// read with `O_DIRECT` when they are cold ([`NpyFile::rows_cold`],
    /// [`NpyFile::read_rows_direct`]) and `pool` asks for it
    /// ([`BlockPool::set_direct`]), else mapped when they can be
    /// ([`NpyFile::map_rows`]); either only when they take at least
    /// [`MAP_MIN_BYTES`] (below it, a map, its page faults and its unmap
    /// cost more than the copy), else read into a buffer of `pool`
    /// ([`NpyFile::read_rows_into`]).
    pub fn block(
        &self,
        start: usize,
        end: usize,
        pool: &mut BlockPool,
    ) -> Result<DenseArray, IoError> {
        use crate::io::ReadPath;
        let bytes = end.saturating_sub(start).saturating_mul(self.row_bytes());
        let path = crate::io::read_path();
        if bytes >= MAP_MIN_BYTES
            && path == ReadPath::Auto
            && pool.direct()
            && self.rows_cold(start, end)?
        {
            if let Some(a) = self.read_rows_direct(start, end, pool)? {
                return Ok(a);
            }
        }
        if bytes >= MAP_MIN_BYTES && path != ReadPath::Read {
            if let Some(a) = self.map_rows(start, end)? {
                return Ok(a);
            }
        }
        self.read_rows_into(start, end, pool)
    }

    /// Whether most of rows `start..end` would have to come from the disk
    /// (few of their pages are in the page cache): [`NpyFile::block`] then
    /// reads them with `O_DIRECT` instead of mapping them.
    pub fn rows_cold(&self, start: usize, end: usize) -> Result<bool, IoError> {
        let (at, shape) = self.locate(start, end)?;
        let len = shape.iter().product::<usize>() as u64 * self.scalar().size_bytes() as u64;
        Ok(crate::io::cold::is_cold(&self.file, at, len))
    }

    /// Rows `start..end` read with `O_DIRECT` into a buffer of `pool`,
    /// whatever the page cache holds, or `None` where that is not possible
    /// (a file system that refuses `O_DIRECT`, a byte order or type that
    /// must be converted): then [`NpyFile::read_rows_into`] reads them. A
    /// file shorter than the rows is an error naming it.
    pub fn read_rows_direct(
        &self,
        start: usize,
        end: usize,
        pool: &mut BlockPool,
    ) -> Result<Option<DenseArray>, IoError> {
        let (at, shape) = self.locate(start, end)?;
        if !self.as_stored() {
            return Ok(None);
        }
        let what = format!("rows {start}..{end}");
        self.direct
            .read(&self.path, at, self.scalar(), &shape, pool, &what)
    }

    /// Whether the file's bytes are the elements as blaze holds them
    /// (native byte order, not `bool`), so a block can be used as stored.
    fn as_stored(&self) -> bool {
        let native = self.dtype.big_endian == cfg!(target_endian = "big") || self.dtype.size == 1;
        native && self.dtype.kind != Kind::Bool && self.dtype.size == self.scalar().size_bytes()
    }

    /// Asks the kernel to read the block after the one at byte `at` of
    /// `shape` into the page cache meanwhile: the disk works while this
    /// block is computed, and page cache is not this process's memory.
    fn read_next_ahead(&self, at: u64, shape: &[usize]) {
        let len = shape.iter().product::<usize>() as u64 * self.scalar().size_bytes() as u64;
        crate::io::mapped::will_need(&self.file, at.saturating_add(len), len);
    }

    /// Checks rows `start..end` and returns the byte offset of the first
    /// row and the block's shape.
    fn locate(&self, start: usize, end: usize) -> Result<(u64, Vec<usize>), IoError> {
        let rows = self.shape.first().copied().unwrap_or(1);
        if self.fortran_order() || start > end || end > rows {
            return Err(IoError::format(
                &self.path,
                IoErrorKind::Request,
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
        let mut shape = self.shape.clone();
        if shape.is_empty() {
            shape.push(1);
        }
        shape[0] = end - start;
        Ok((at, shape))
    }

    fn read_error(&self, start: usize, end: usize, e: io::Error) -> IoError {
        IoError::os(&self.path, format!("read error at rows {start}..{end}"), e)
    }

    fn shape_error(&self, e: ShapeError) -> IoError {
        IoError::format(&self.path, IoErrorKind::ShapeOverflow, e.to_string())
    }

    /// The whole array.
    pub fn read_all(&self) -> Result<Array, IoError> {
        read_npy(&self.path)
    }
}

#[cfg(unix)]
pub(super) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

//! Appending rows to an existing `.npy` file ([`NpyAppender`]).
//!
//! The new rows are written after the file's data and synced; then the
//! header's shape is rewritten in place when the padded header has room for
//! the new first dimension (NumPy and blaze leave room for any), and synced:
//! that write is the commit point. When the header has no room, the whole
//! file is rewritten through a temporary file renamed over it. Until the
//! commit, readers see the old header and the old rows; dropped unfinished
//! (an error, a panic), the appender cuts the file back to its old length.
//! A process killed before the commit leaves the new bytes after the old
//! data: NumPy reads the old array; blaze's reader refuses the trailing
//! bytes, and the next append cuts them off (they belong to no committed
//! append).

use super::dtype::{descr_of, scalar_of, Kind};
use super::header::{header_bytes, read_header, shape_repr};
use super::write::write_block_at;
use super::MAGIC;
use crate::io::atomic::Staged;
use crate::io::{IoError, IoErrorKind};
use blaze_array::DenseView;
use blaze_datashape::Scalar;
use blaze_interp::Array;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Rows being appended to an existing `.npy` file; see the [module
/// documentation](self).
#[derive(Debug)]
pub struct NpyAppender {
    file: File,
    path: PathBuf,
    scalar: Scalar,
    /// The file's shape before the append.
    shape: Vec<usize>,
    offset: u64,
    row_bytes: usize,
    /// Bytes of the length field of the header (2 in version 1.0, else 4).
    len_bytes: usize,
    /// Rows written so far (the largest end of a block).
    rows: usize,
    done: bool,
}

fn os<'a>(path: &'a Path, what: &str) -> impl Fn(io::Error) -> IoError + 'a {
    let what = what.to_string();
    move |e| IoError::os(path, what.clone(), e)
}

impl NpyAppender {
    /// Opens `path` to append rows of `row` elements of `scalar`: the
    /// file's element type and row shape must be these, and the file a
    /// C-order, little-endian array with rows; else nothing is written and
    /// the error says what differs.
    pub fn open(path: &Path, scalar: Scalar, row: &[usize]) -> Result<NpyAppender, IoError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(os(path, "cannot open to append"))?;
        let mut r = BufReader::new(&file);
        let layout = read_header(&mut r, path)?;
        drop(r);
        let mut prefix = [0u8; 8];
        super::read::read_exact_at(&file, &mut prefix, 0).map_err(os(path, "read error"))?;
        let len_bytes = if prefix[6] == 1 { 2 } else { 4 };
        let shape = layout.header.shape.clone();
        let have = scalar_of(layout.dtype.kind);
        let refuse = |why: String| {
            IoError::format(
                path,
                IoErrorKind::Request,
                format!("cannot append: {why}; nothing was written"),
            )
        };
        if shape.is_empty() {
            return Err(refuse(
                "the file holds a 0-d array, which has no rows".into(),
            ));
        }
        if layout.header.fortran_order && shape.len() > 1 {
            return Err(refuse("the file is in Fortran order".into()));
        }
        if layout.dtype.big_endian && layout.dtype.size > 1 && layout.dtype.kind != Kind::Bool {
            return Err(refuse(format!(
                "the file is big-endian ({})",
                layout.header.descr_repr
            )));
        }
        if have != scalar || shape[1..] != *row {
            return Err(refuse(format!(
                "the file's rows are {} of {have}, the result's rows {} of {scalar}",
                shape_repr(&shape[1..]),
                shape_repr(row)
            )));
        }
        let want = layout.offset + layout.nbytes as u64;
        let len = file.metadata().map_err(os(path, "cannot stat"))?.len();
        if len < want {
            return Err(IoError::format(
                path,
                IoErrorKind::TruncatedData,
                format!(
                    "truncated: expected {} bytes of data, found {}",
                    layout.nbytes,
                    len.saturating_sub(layout.offset)
                ),
            ));
        }
        if len > want {
            // Bytes of an append that never committed.
            file.set_len(want)
                .map_err(os(path, "cannot cut an unfinished append"))?;
        }
        Ok(NpyAppender {
            file,
            path: path.to_path_buf(),
            scalar,
            row_bytes: row.iter().product::<usize>() * scalar.size_bytes(),
            shape,
            offset: layout.offset,
            len_bytes,
            rows: 0,
            done: false,
        })
    }

    /// Rows the file had before the append.
    pub fn old_rows(&self) -> usize {
        self.shape[0]
    }

    fn data_end(&self, rows: usize) -> Result<u64, IoError> {
        self.shape[0]
            .checked_add(rows)
            .and_then(|r| r.checked_mul(self.row_bytes))
            .and_then(|b| self.offset.checked_add(b as u64))
            .ok_or_else(|| {
                IoError::format(
                    &self.path,
                    IoErrorKind::ShapeOverflow,
                    "the file grows too large",
                )
            })
    }

    /// Writes `block` (shape `[n, row…]`) as new rows `start..start + n`.
    pub fn write_view(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        let bs = block.shape();
        if block.scalar() != self.scalar
            || block.validity().is_some()
            || bs.is_empty()
            || bs[1..] != self.shape[1..]
        {
            return Err(IoError::format(
                &self.path,
                IoErrorKind::Request,
                format!(
                    "cannot append a block of shape {} ({}) to rows of {} ({})",
                    shape_repr(bs),
                    block.scalar(),
                    shape_repr(&self.shape[1..]),
                    self.scalar
                ),
            ));
        }
        let n = bs[0];
        let at = self.data_end(start)?;
        let len = n * self.row_bytes;
        write_block_at(&self.file, &self.path, self.scalar, block, len, at)?;
        self.rows = self.rows.max(start + n);
        Ok(())
    }

    /// Appends a whole array of rows.
    pub fn write_array(&mut self, start: usize, array: &Array) -> Result<(), IoError> {
        self.write_view(
            start,
            &blaze_interp::with_array!(array, a => crate::value::view_of(&a.view())),
        )
    }

    /// The header for `shape` in exactly the file's header bytes, when the
    /// padded header has room for it.
    fn header_in_place(&self, shape: &[usize]) -> Option<Vec<u8>> {
        let descr = descr_of(&Array::zeros(self.scalar, &[0]));
        let dict = format!(
            "{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}",
            shape_repr(shape)
        );
        let total = usize::try_from(self.offset).ok()?;
        let fixed = MAGIC.len() + 2 + self.len_bytes;
        let hlen = total.checked_sub(fixed)?;
        if dict.len() + 1 > hlen {
            return None;
        }
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(MAGIC);
        if self.len_bytes == 2 {
            out.extend_from_slice(&[1, 0]);
            out.extend_from_slice(&u16::try_from(hlen).ok()?.to_le_bytes());
        } else {
            out.extend_from_slice(&[2, 0]);
            out.extend_from_slice(&u32::try_from(hlen).ok()?.to_le_bytes());
        }
        out.extend_from_slice(dict.as_bytes());
        out.resize(total - 1, b' ');
        out.push(b'\n');
        Some(out)
    }

    /// Commits `rows` new rows: the data synced, then the header rewritten
    /// in place and synced (or the file rewritten and renamed when the
    /// header has no room).
    pub fn finish(mut self, rows: usize) -> Result<(), IoError> {
        let rows = rows.max(self.rows);
        let end = self.data_end(rows)?;
        self.file
            .set_len(end)
            .map_err(os(&self.path, "cannot size the file"))?;
        self.file
            .sync_all()
            .map_err(os(&self.path, "cannot sync to disk"))?;
        #[cfg(test)]
        if FAIL_BEFORE_COMMIT.with(|f| f.get()) {
            return Err(IoError::format(
                &self.path,
                IoErrorKind::Request,
                "a failure injected before the commit",
            ));
        }
        let mut shape = self.shape.clone();
        shape[0] += rows;
        match self.header_in_place(&shape) {
            Some(header) => {
                std::os::unix::fs::FileExt::write_all_at(&self.file, &header, 0)
                    .map_err(os(&self.path, "write error"))?;
                self.done = true;
                self.file
                    .sync_all()
                    .map_err(os(&self.path, "cannot sync to disk"))
            }
            None => {
                self.rewrite(&shape, end)?;
                self.done = true;
                Ok(())
            }
        }
    }

    /// The whole file rewritten with a new header, renamed over the old.
    fn rewrite(&mut self, shape: &[usize], end: u64) -> Result<(), IoError> {
        let descr = descr_of(&Array::zeros(self.scalar, &[0]));
        let header = header_bytes(descr, shape).map_err(os(&self.path, "write error"))?;
        let (stage, out) = Staged::file(&self.path)?;
        let mut w = io::BufWriter::new(out);
        w.write_all(&header)
            .map_err(os(&self.path, "write error"))?;
        self.file
            .seek(SeekFrom::Start(self.offset))
            .map_err(os(&self.path, "read error"))?;
        let copied = io::copy(&mut (&self.file).take(end - self.offset), &mut w)
            .map_err(os(&self.path, "write error"))?;
        if copied != end - self.offset {
            return Err(IoError::format(
                &self.path,
                IoErrorKind::TruncatedData,
                "the file ended while it was rewritten",
            ));
        }
        let out = w
            .into_inner()
            .map_err(|e| IoError::os(&self.path, "write error", e.into_error()))?;
        out.sync_all()
            .map_err(os(&self.path, "cannot sync to disk"))?;
        drop(out);
        stage.commit()
    }
}

impl Drop for NpyAppender {
    fn drop(&mut self) {
        if !self.done {
            // The old length: what the old header describes.
            let old = self.offset + (self.shape[0] * self.row_bytes) as u64;
            let _ = self.file.set_len(old);
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Makes [`NpyAppender::finish`] fail after the data is synced and
    /// before the header is written (tests of interrupted appends).
    pub(crate) static FAIL_BEFORE_COMMIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::npy::{read_npy, write_npy};
    use ndarray::{ArrayD, IxDyn};

    fn rows(n: usize, from: usize) -> Array {
        Array::Float64(ArrayD::from_shape_fn(IxDyn(&[n, 3]), |i| {
            ((from + i[0]) * 3 + i[1]) as f64
        }))
    }

    #[test]
    fn an_append_failing_before_its_commit_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        write_npy(&p, &rows(4, 0)).unwrap();
        let before = std::fs::read(&p).unwrap();
        let mut a = NpyAppender::open(&p, Scalar::Float64, &[3]).unwrap();
        a.write_array(0, &rows(5, 4)).unwrap();
        FAIL_BEFORE_COMMIT.with(|f| f.set(true));
        let e = a.finish(5).unwrap_err().to_string();
        FAIL_BEFORE_COMMIT.with(|f| f.set(false));
        assert!(e.contains("injected"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), before);
        assert_eq!(read_npy(&p).unwrap(), rows(4, 0));
    }

    #[test]
    fn bytes_of_an_unfinished_append_are_cut_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        write_npy(&p, &rows(2, 0)).unwrap();
        let mut a = NpyAppender::open(&p, Scalar::Float64, &[3]).unwrap();
        a.write_array(0, &rows(3, 2)).unwrap();
        // A process killed here: the new rows stay, the header is old.
        std::mem::forget(a);
        assert!(read_npy(&p).unwrap_err().to_string().contains("trailing"));
        let mut a = NpyAppender::open(&p, Scalar::Float64, &[3]).unwrap();
        a.write_array(0, &rows(1, 2)).unwrap();
        a.finish(1).unwrap();
        assert_eq!(read_npy(&p).unwrap(), rows(3, 0));
    }

    #[test]
    fn a_header_without_room_is_rewritten_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        // A version 1.0 header with no spare space.
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(dict.len() as u16 + 1).to_le_bytes());
        bytes.extend_from_slice(dict.as_bytes());
        bytes.push(b'\n');
        let Array::Float64(a) = rows(2, 0) else {
            unreachable!()
        };
        for x in a.iter() {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(read_npy(&p).unwrap(), rows(2, 0));
        let mut ap = NpyAppender::open(&p, Scalar::Float64, &[3]).unwrap();
        assert!(ap.header_in_place(&[1000, 3]).is_none());
        ap.write_array(0, &rows(1000, 2)).unwrap();
        ap.finish(1000).unwrap();
        assert_eq!(read_npy(&p).unwrap(), rows(1002, 0));
    }
}

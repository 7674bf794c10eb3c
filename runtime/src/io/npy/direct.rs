//! [`NpyStream`]: a `.npy` file of known shape written by blocks of rows in
//! order, at the disk's speed: the header and the rows go through the
//! page-aligned buffers of a [`DirectStream`] (direct writes on a writer
//! thread, the header in the first buffer), a block's rows written there by
//! the caller ([`NpyStream::rows_buffer`]: a kernel writes its result
//! straight into the bytes that go to the disk) or copied from a view.
//! Staged like every write: a temporary file, synced, renamed into place;
//! dropped unfinished, nothing is left.

use super::dtype::descr_of;
use super::header::{header_bytes, shape_repr};
use crate::io::atomic::Staged;
use crate::io::direct::{DirectStream, Slot};
use crate::io::{IoError, IoErrorKind};
use blaze_array::{DenseView, DenseViewMut};
use blaze_datashape::Scalar;
use blaze_interp::Array;
use std::path::Path;

/// A `.npy` file of known shape written by blocks of rows, in order,
/// through direct writes.
#[derive(Debug)]
pub struct NpyStream {
    stream: DirectStream,
    stage: Staged,
    shape: Vec<usize>,
    scalar: Scalar,
    row_bytes: usize,
    /// Rows written so far.
    next: usize,
}

/// Rows of an [`NpyStream`] being filled: their bytes are already where
/// they go to the disk from.
pub struct RowsBuffer {
    slot: Slot,
    start: usize,
    shape: Vec<usize>,
    scalar: Scalar,
}

impl std::fmt::Debug for RowsBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowsBuffer")
            .field("start", &self.start)
            .field("shape", &self.shape)
            .finish()
    }
}

impl RowsBuffer {
    /// The rows as a writable C-order view (every element must be
    /// written).
    pub fn view_mut(&mut self) -> DenseViewMut<'_> {
        let size = self.scalar.size_bytes() as isize;
        let mut strides = vec![0isize; self.shape.len()];
        let mut step = size;
        for (s, &d) in strides.iter_mut().zip(&self.shape).rev() {
            *s = step;
            step = step.saturating_mul(d as isize);
        }
        let bytes = self.slot.data_mut();
        // SAFETY: `bytes` holds every element of `shape` in C order (its
        // length was computed with checked arithmetic from the shape), is
        // aligned for the element type (the header is a multiple of 64
        // bytes and rows are whole elements, so the in-page offset is a
        // multiple of the element size) and is borrowed exclusively for
        // the view's life.
        unsafe {
            DenseViewMut::from_raw_parts(
                bytes.as_mut_ptr(),
                self.scalar,
                self.shape.clone(),
                strides,
            )
        }
    }
}

impl NpyStream {
    /// Starts writing an array of `scalar` elements and `shape` to `path`.
    pub fn create(path: &Path, scalar: Scalar, shape: &[usize]) -> Result<NpyStream, IoError> {
        let (stage, file) = Staged::file(path)?;
        let descr = descr_of(&Array::zeros(scalar, &[0]));
        let header = header_bytes(descr, shape).map_err(|e| IoError::os(path, "write error", e))?;
        let row_bytes = shape
            .iter()
            .skip(1)
            .try_fold(scalar.size_bytes(), |n, &d| n.checked_mul(d))
            .ok_or_else(|| {
                IoError::format(
                    path,
                    IoErrorKind::ShapeOverflow,
                    format!("a row of shape {} overflows", shape_repr(shape)),
                )
            })?;
        let stream = DirectStream::new(stage.tmp(), file, &header)?;
        Ok(NpyStream {
            stream,
            stage,
            shape: shape.to_vec(),
            scalar,
            row_bytes,
            next: 0,
        })
    }

    fn path(&self) -> &Path {
        self.stage.target()
    }

    /// Checks that rows `start..start + n` come next and fit.
    fn check(&self, start: usize, n: usize) -> Result<usize, IoError> {
        let rows = self.shape.first().copied().unwrap_or(1);
        let end = start.checked_add(n).filter(|&e| e <= rows);
        if start != self.next || end.is_none() {
            return Err(IoError::format(
                self.path(),
                IoErrorKind::Request,
                format!(
                    "rows {start}..{} cannot be written next (rows from {} of shape {} are)",
                    start.saturating_add(n),
                    self.next,
                    shape_repr(&self.shape)
                ),
            ));
        }
        n.checked_mul(self.row_bytes).ok_or_else(|| {
            IoError::format(
                self.path(),
                IoErrorKind::ShapeOverflow,
                format!("{n} rows overflow"),
            )
        })
    }

    /// A buffer for rows `start..start + n` (the next ones), to fill and
    /// hand back with [`NpyStream::write_buffer`].
    pub fn rows_buffer(&mut self, start: usize, n: usize) -> Result<RowsBuffer, IoError> {
        let len = self.check(start, n)?;
        let slot = self.stream.slot(len)?;
        let mut shape = self.shape.clone();
        if shape.is_empty() {
            shape.push(1);
        }
        shape[0] = n;
        Ok(RowsBuffer {
            slot,
            start,
            shape,
            scalar: self.scalar,
        })
    }

    /// Writes a filled buffer.
    pub fn write_buffer(&mut self, buf: RowsBuffer) -> Result<(), IoError> {
        let n = buf.shape.first().copied().unwrap_or(1);
        self.check(buf.start, n)?;
        self.stream.submit(buf.slot)?;
        self.next += n;
        Ok(())
    }

    /// Writes `block` (shape `[n, row…]`) as rows `start..start + n`, the
    /// next ones: copied into a buffer in C order.
    pub fn write_view(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        let bs = block.shape();
        let fits = block.scalar() == self.scalar
            && block.validity().is_none()
            && bs.len() == self.shape.len().max(1)
            && bs[1..] == self.shape.get(1..).unwrap_or(&[])[..];
        if !fits {
            return Err(IoError::format(
                self.path(),
                IoErrorKind::Request,
                format!(
                    "a block of shape {} ({}) does not fit rows of shape {} ({})",
                    shape_repr(bs),
                    block.scalar(),
                    shape_repr(&self.shape),
                    self.scalar
                ),
            ));
        }
        let mut buf = self.rows_buffer(start, bs[0])?;
        buf.view_mut()
            .write_from(block)
            .map_err(|e| IoError::format(self.path(), IoErrorKind::Request, e.to_string()))?;
        self.write_buffer(buf)
    }

    /// Finishes a file of `rows` rows (the shape it was created with),
    /// syncs it and renames it into place.
    pub fn finish_rows(self, rows: usize) -> Result<(), IoError> {
        let want = self.shape.first().copied().unwrap_or(1);
        if rows != want || self.next != want {
            return Err(IoError::format(
                self.path(),
                IoErrorKind::Request,
                format!(
                    "{} rows written of the {want} of shape {}",
                    self.next.min(rows),
                    shape_repr(&self.shape)
                ),
            ));
        }
        let (file, _direct) = self.stream.finish()?;
        drop(file);
        self.stage.commit()
    }
}

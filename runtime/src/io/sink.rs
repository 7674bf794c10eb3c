//! [`RowSink`]: a result written by blocks of rows (blaze views, written
//! from their memory, or buffers the sink lends and the caller fills) into
//! a staged destination that [`RowSink::finish`] puts in place atomically;
//! dropped unfinished, a sink removes what it wrote. Implemented for `.npy`
//! ([`NpyWriter`], and [`NpyStream`] for a shape known at the start) and
//! Zarr ([`ZarrWriter`]).

use super::npy::{NpyStream, NpyWriter, RowsBuffer};
use super::zarr::ZarrWriter;
use super::{IoError, IoErrorKind};
use blaze_array::DenseView;

/// A destination written by blocks of rows.
pub trait RowSink: Send {
    /// Writes `block` (shape `[n, row…]`, any strides, no missing values)
    /// as rows `start..start + n`. Blocks come in order; each but the last
    /// has the block size the sink was created with.
    fn write_rows(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError>;

    /// A buffer for rows `start..start + n` (the next ones) that the caller
    /// fills (every element, e.g. a kernel's result written in place) and
    /// hands back with [`RowSink::write_buffer`]; `None` when the sink
    /// writes from views only.
    fn rows_buffer(&mut self, start: usize, n: usize) -> Result<Option<RowsBuffer>, IoError> {
        let _ = (start, n);
        Ok(None)
    }

    /// Writes a buffer from [`RowSink::rows_buffer`], filled.
    fn write_buffer(&mut self, buf: RowsBuffer) -> Result<(), IoError> {
        Err(IoError::format(
            std::path::Path::new(""),
            IoErrorKind::Request,
            format!("this destination lends no buffers ({buf:?})"),
        ))
    }

    /// Completes a result of `rows` rows, syncs it and renames it into
    /// place.
    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError>;
}

impl RowSink for NpyWriter {
    fn write_rows(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        NpyWriter::write_view(self, start, block)
    }

    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError> {
        self.finish_rows(rows)
    }
}

impl RowSink for NpyStream {
    fn write_rows(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        NpyStream::write_view(self, start, block)
    }

    fn rows_buffer(&mut self, start: usize, n: usize) -> Result<Option<RowsBuffer>, IoError> {
        NpyStream::rows_buffer(self, start, n).map(Some)
    }

    fn write_buffer(&mut self, buf: RowsBuffer) -> Result<(), IoError> {
        NpyStream::write_buffer(self, buf)
    }

    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError> {
        self.finish_rows(rows)
    }
}

impl RowSink for ZarrWriter {
    fn write_rows(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        ZarrWriter::write_view(self, start, block)
    }

    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError> {
        ZarrWriter::finish(*self, rows)
    }
}

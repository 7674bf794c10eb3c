//! [`RowSink`]: a result written by blocks of rows (blaze views, written
//! from their memory) into a staged
//! destination that [`RowSink::finish`] puts in place atomically; dropped
//! unfinished, a sink removes what it wrote. Implemented for `.npy`
//! ([`NpyWriter`]) and Zarr ([`ZarrWriter`]).

use super::npy::NpyWriter;
use super::zarr::ZarrWriter;
use super::IoError;
use blaze_array::DenseView;

/// A destination written by blocks of rows.
pub trait RowSink: Send {
    /// Writes `block` (shape `[n, row…]`, any strides, no missing values)
    /// as rows `start..start + n`. Blocks come in order; each but the last
    /// has the block size the sink was created with.
    fn write_rows(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError>;

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

impl RowSink for ZarrWriter {
    fn write_rows(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        ZarrWriter::write_view(self, start, block)
    }

    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError> {
        ZarrWriter::finish(*self, rows)
    }
}

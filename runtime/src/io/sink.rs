//! [`RowSink`]: a result written by blocks of rows into a staged
//! destination that [`RowSink::finish`] puts in place atomically; dropped
//! unfinished, a sink removes what it wrote. Implemented for `.npy`
//! ([`NpyWriter`]) and Zarr ([`ZarrWriter`]).

use super::npy::NpyWriter;
use super::zarr::ZarrWriter;
use super::IoError;
use blaze_interp::Array;

/// A destination written by blocks of rows.
pub trait RowSink: Send {
    /// Writes `block` (shape `[n, row…]`) as rows `start..start + n`.
    /// Blocks come in order; each but the last has the block size the sink
    /// was created with.
    fn write_rows(&mut self, start: usize, block: &Array) -> Result<(), IoError>;

    /// Completes a result of `rows` rows, syncs it and renames it into
    /// place.
    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError>;
}

impl RowSink for NpyWriter {
    fn write_rows(&mut self, start: usize, block: &Array) -> Result<(), IoError> {
        NpyWriter::write_rows(self, start, block)
    }

    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError> {
        self.finish_rows(rows)
    }
}

impl RowSink for ZarrWriter {
    fn write_rows(&mut self, start: usize, block: &Array) -> Result<(), IoError> {
        ZarrWriter::write_rows(self, start, block)
    }

    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError> {
        ZarrWriter::finish(*self, rows)
    }
}

//! Data files: `.npy`, Zarr arrays and CSV files, read whole or by blocks
//! of rows ([`RowSource`]) and written whole or by blocks of rows
//! ([`RowSink`]), always staged and renamed into place. Every error is an
//! [`IoError`] naming the file.
//!
//! [`open`] and [`create`] choose the format from the path: a Zarr array is
//! a directory or a path ending in `.zarr`; a CSV file ends in `.csv` and
//! needs the datashape of its rows; anything else is `.npy`. A new format
//! plugs in by implementing [`RowSource`] and [`RowSink`] and adding its
//! rule here; nothing else changes.
//!
//! This module reads and writes bytes; it does not decide what streams
//! (that is [`Session`](crate::Session)'s) nor compute anything.

mod atomic;
mod block;
pub mod csv;
mod error;
pub mod npy;
pub(crate) mod rows;
mod sink;
mod source;
pub mod zarr;

pub use block::{BlockPool, RowBlock};
pub use error::{IoError, IoErrorKind, Location};
pub use sink::RowSink;
pub use source::{RowReader, RowSource};

use blaze_datashape::{Datashape, Scalar};
use blaze_interp::Array;
use std::path::Path;

/// The formats blaze reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// NumPy's `.npy`.
    Npy,
    /// A Zarr array (format 2 or 3) in a directory.
    Zarr,
    /// A CSV file of records.
    Csv,
}

impl Format {
    /// The format of `path`: Zarr for a directory or `….zarr`, CSV for
    /// `….csv`, else `.npy`.
    pub fn of(path: &Path) -> Format {
        if path.is_dir() || has_ext(path, "zarr") {
            Format::Zarr
        } else if has_ext(path, "csv") {
            Format::Csv
        } else {
            Format::Npy
        }
    }

    /// The format a result written to `path` gets, by its name only: Zarr
    /// for `….zarr`, CSV for `….csv`, else `.npy`.
    pub fn by_name(path: &Path) -> Format {
        match Format::of(path) {
            Format::Zarr if !has_ext(path, "zarr") => Format::Npy,
            f => f,
        }
    }
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Opens `path` for reading, by its header only (no data is read). A CSV
/// file needs `datashape`, the datashape of its rows
/// (`var * {a: int32, b: float64}`); the other formats describe
/// themselves and ignore it.
pub fn open(path: &Path, datashape: Option<&Datashape>) -> Result<Box<dyn RowSource>, IoError> {
    Ok(match Format::of(path) {
        Format::Zarr => Box::new(zarr::ZarrArray::open(path)?),
        Format::Csv => match datashape {
            Some(ty) => Box::new(csv::CsvFile::open(path, ty)?),
            None => {
                return Err(IoError::format(
                    path,
                    IoErrorKind::Request,
                    "a CSV input needs the datashape of its rows, as in `p.csv:var * {a: int32, b: float64}`",
                ))
            }
        },
        Format::Npy => Box::new(npy::NpyFile::open(path)?),
    })
}

/// Starts writing a result of `scalar` elements and rows of shape `row` to
/// `path` by blocks of `block_rows` rows; `rows` is the total when known
/// now (else it is given to [`RowSink::finish`]). CSV is not written.
pub fn create(
    path: &Path,
    scalar: Scalar,
    row: &[usize],
    rows: Option<usize>,
    block_rows: usize,
) -> Result<Box<dyn RowSink>, IoError> {
    Ok(match Format::by_name(path) {
        Format::Zarr => Box::new(zarr::ZarrWriter::create(path, scalar, row, block_rows)?),
        Format::Csv => return Err(not_csv(path)),
        Format::Npy => Box::new(match rows {
            Some(n) => {
                let mut shape = vec![n];
                shape.extend_from_slice(row);
                npy::NpyWriter::create(path, scalar, &shape)?
            }
            None => npy::NpyWriter::create_growable(path, scalar, row)?,
        }),
    })
}

/// Writes a whole array to `path` (`.npy`, or Zarr for `….zarr`),
/// atomically.
pub fn write(path: &Path, array: &Array) -> Result<(), IoError> {
    match Format::by_name(path) {
        Format::Zarr => zarr::write_zarr(path, array),
        Format::Csv => Err(not_csv(path)),
        Format::Npy => npy::write_npy(path, array),
    }
}

fn not_csv(path: &Path) -> IoError {
    IoError::format(
        path,
        IoErrorKind::Request,
        "blaze does not write CSV files; write a `.npy` file or a Zarr array",
    )
}

//! Data files: `.npy`, Zarr arrays, CSV, Parquet, Arrow IPC, JSON lines and
//! PNG images,
//! read whole or by blocks of rows ([`RowSource`]) and written whole or by
//! blocks of rows ([`RowSink`]), always staged and renamed into place.
//! Every error is an [`IoError`] naming the file.
//!
//! [`open`] and [`create`] choose the format from the path ([`Format::of`]):
//! a Zarr array is a directory or a path ending in `.zarr`; `.parquet`/`.pq`
//! is Parquet, `.arrow`/`.feather`/`.ipc` an Arrow IPC file,
//! `.jsonl`/`.ndjson`/`.json` JSON lines, `.csv` CSV (CSV and JSON take
//! the datashape of their rows, or have it discovered from their first
//! rows: [`discover`]), `.png` a PNG image ([`png`]: `H * W * RGBA`);
//! anything else is `.npy`. The path `-` (standard
//! input) and named pipes are streams ([`stream`]): CSV or JSON lines read
//! once, in one pass. Table formats hold
//! strings, decimals, dates, ragged lists and records in Arrow's layout
//! ([`batch`]); `.npy` and Zarr hold dense numbers only. A new format
//! plugs in by implementing [`RowSource`] and [`RowSink`] and adding its
//! rule here; nothing else changes.
//!
//! This module reads and writes bytes; it does not decide what streams
//! (that is [`Session`](crate::Session)'s) nor compute anything.

pub mod append;
mod atomic;
pub mod batch;
mod block;
mod cold;
pub mod csv;
mod dest;
mod direct;
pub mod discover;
mod error;
pub mod glob;
pub mod ipc;
pub mod json;
pub mod many;
mod mapped;
pub mod npy;
pub mod parquet;
pub mod png;
pub(crate) mod rows;
pub mod schema;
mod sink;
mod source;
pub mod stream;
pub mod table;
pub mod text;
pub mod view;
pub mod zarr;

pub use block::{BlockPool, RowBlock};
pub use discover::discover;
pub use error::{IoError, IoErrorKind, Location};
pub use mapped::{read_path, ReadPath};
pub use npy::RowsBuffer;
pub use sink::RowSink;
pub use source::{RowReader, RowSource};
pub use table::{TableFile, TableFormat, TableSink, ValueSink};

use blaze_datashape::{Datashape, Dim, Scalar};
use blaze_interp::{Array, Value};
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
    /// A Parquet file.
    Parquet,
    /// An Arrow IPC file (Feather v2).
    Ipc,
    /// Newline-delimited JSON.
    Json,
    /// A PNG image.
    Png,
}

impl Format {
    /// The format of `path`: Zarr for a directory or `….zarr`, CSV for
    /// `….csv`, Parquet for `….parquet`/`….pq`, Arrow IPC for
    /// `….arrow`/`….feather`/`….ipc`, JSON lines for
    /// `….jsonl`/`….ndjson`/`….json`, PNG for `….png`, else `.npy`.
    pub fn of(path: &Path) -> Format {
        let ext = |names: &[&str]| names.iter().any(|e| has_ext(path, e));
        if path.is_dir() || ext(&["zarr"]) {
            Format::Zarr
        } else if ext(&["csv"]) {
            Format::Csv
        } else if ext(&["parquet", "pq"]) {
            Format::Parquet
        } else if ext(&["arrow", "feather", "ipc"]) {
            Format::Ipc
        } else if ext(&["jsonl", "ndjson", "json"]) {
            Format::Json
        } else if ext(&["png"]) {
            Format::Png
        } else {
            Format::Npy
        }
    }

    /// The table format, for the formats that hold records.
    pub fn table(self) -> Option<TableFormat> {
        match self {
            Format::Parquet => Some(TableFormat::Parquet),
            Format::Ipc => Some(TableFormat::Ipc),
            Format::Json => Some(TableFormat::Json),
            Format::Csv => Some(TableFormat::Csv),
            Format::Npy | Format::Zarr | Format::Png => None,
        }
    }

    /// The format a result written to `path` gets, by its name only: Zarr
    /// for `….zarr`, the table formats by their extensions, else `.npy`.
    pub fn by_name(path: &Path) -> Format {
        match Format::of(path) {
            Format::Zarr if !has_ext(path, "zarr") => Format::Npy,
            f => f,
        }
    }
}

/// The batch writer of a table format.
fn writer_of(format: TableFormat) -> table::WriterFn {
    match format {
        TableFormat::Parquet => parquet::writer,
        TableFormat::Ipc => ipc::writer,
        TableFormat::Json => json::writer,
        TableFormat::Csv => csv::writer,
    }
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Opens `path` for reading, by its header only (no data is read; a text
/// file without a datashape has its first rows sampled, a stream its first
/// line read). A CSV or JSON file takes `datashape`, the datashape of its
/// rows (`var * {a: int32, b: float64}`, or a view of a CSV file's columns:
/// `var * 2 * 3 * float64`), or has it discovered; Parquet and Arrow files describe
/// themselves and take it as the columns and types the user expects (up to
/// options; see [`schema::check_annotation`]); `.npy` and Zarr are read
/// under it as a view of the same bytes ([`view::view`]); a PNG image takes
/// it as the view of its pixels (`H * W * RGBA` by default,
/// `H * W * 4 * uint8`, …; see [`png`]).
/// A pattern with wildcards or a directory that is not a Zarr array is
/// many files read as one ([`many`]).
pub fn open(path: &Path, datashape: Option<&Datashape>) -> Result<Box<dyn RowSource>, IoError> {
    if stream::is_stream(path) {
        return Ok(Box::new(stream::StreamSource::open(
            path,
            datashape,
            stream::SAMPLE_ROWS,
        )?));
    }
    if many::is_many(path) {
        // CSV files without a datashape: one discovered for them all.
        let found = match datashape {
            None => discover::csv_files_datashape(path, discover::DEFAULT_SAMPLE)?,
            Some(_) => None,
        };
        let datashape = datashape.or(found.as_ref());
        return Ok(Box::new(many::ManyFiles::open(path, datashape)?));
    }
    if let (Format::Npy | Format::Zarr, Some(ty)) = (Format::of(path), datashape) {
        let file: Box<dyn RowSource> = match Format::of(path) {
            Format::Zarr => Box::new(zarr::ZarrArray::open(path)?),
            _ => Box::new(npy::NpyFile::open(path)?),
        };
        return view::view(file, ty);
    }
    Ok(match Format::of(path) {
        Format::Parquet => Box::new(parquet::open(path, datashape)?),
        Format::Ipc => Box::new(ipc::open(path, datashape)?),
        Format::Json => Box::new(json::open(path, datashape)?),
        Format::Zarr => Box::new(zarr::ZarrArray::open(path)?),
        Format::Csv => match datashape {
            Some(ty) => Box::new(csv::CsvFile::open(path, ty)?),
            None => Box::new(csv::CsvFile::open_discovered(
                path,
                discover::DEFAULT_SAMPLE,
            )?),
        },
        Format::Png => Box::new(png::PngFile::open(path, datashape)?),
        Format::Npy => Box::new(npy::NpyFile::open(path)?),
    })
}

/// Starts writing a result of `scalar` elements and rows of shape `row` to
/// `path` by blocks of `block_rows` rows; `rows` is the total when known
/// now (else it is given to [`RowSink::finish`]). A table format gets one
/// column named `value` (fixed-size lists for the axes of a row).
pub fn create(
    path: &Path,
    scalar: Scalar,
    row: &[usize],
    rows: Option<usize>,
    block_rows: usize,
) -> Result<Box<dyn RowSink>, IoError> {
    Ok(match Format::by_name(path) {
        Format::Zarr => Box::new(zarr::ZarrWriter::create(path, scalar, row, block_rows)?),
        Format::Png => Box::new(png::PngSink::create(path, scalar, row, rows)?),
        Format::Csv | Format::Parquet | Format::Ipc | Format::Json => {
            let Some(table) = Format::by_name(path).table() else {
                return Err(IoError::format(
                    path,
                    IoErrorKind::Request,
                    "not a table format",
                ));
            };
            let row_ty = Datashape::new(
                row.iter().map(|&n| Dim::Fixed(n as u64)).collect(),
                blaze_datashape::Measure::scalar(scalar),
            );
            let schema = batch::schema_of(&[(batch::VALUE_COLUMN.to_string(), row_ty)])
                .map_err(|m| IoError::format(path, IoErrorKind::Request, m))?;
            Box::new(TableSink::create(path, table, schema, writer_of(table))?)
        }
        Format::Npy => match rows {
            Some(n) => {
                let mut shape = vec![n];
                shape.extend_from_slice(row);
                Box::new(npy::NpyStream::create(path, scalar, &shape)?)
            }
            None => Box::new(npy::NpyWriter::create_growable(path, scalar, row)?),
        },
    })
}

/// Starts writing a streamed result of datashape `ty` (its first dimension
/// the rows) whose elements are not plain numbers — strings, decimals,
/// options, ragged lists, records — to `path`, a table format by its
/// extension (Parquet, Arrow, CSV or JSON lines), block by block.
pub fn create_values(path: &Path, ty: &Datashape) -> Result<ValueSink, IoError> {
    match Format::by_name(path).table() {
        Some(table) => ValueSink::create(path, table, writer_of(table), ty),
        None if Format::by_name(path) == Format::Png => Err(IoError::format(
            path,
            IoErrorKind::Request,
            format!(
                "a streamed result of `{}` cannot be written to a PNG image block by block; run it in memory, or stream rows of `uint8` samples (`H * W * 4 * uint8`, `H * W * uint8`)",
                ty.measure
            ),
        )),
        None => Err(IoError::format(
            path,
            IoErrorKind::Request,
            format!(
                "`.npy` and Zarr hold arrays of plain numbers; a result of `{}` is written to Parquet (.parquet), Arrow (.arrow, .feather), CSV (.csv) or JSON lines (.jsonl)",
                ty.measure
            ),
        )),
    }
}

/// Checks, before any work, that a result written to `path` may replace
/// what is there: a regular file for a file result, a Zarr array for a
/// Zarr result (`….zarr`), or nothing (then the directory must exist). A
/// symlink is written through to what it points to, under the same rules.
/// Anything else — another directory, a Zarr group, a device, a FIFO, a
/// socket, a symlink to nothing — is an error naming the path and what it
/// is. Every write checks again before it starts and before it renames.
pub fn check_output(path: &Path) -> Result<(), IoError> {
    let output = match Format::by_name(path) {
        Format::Zarr => dest::Output::Zarr,
        _ => dest::Output::File,
    };
    dest::destination(path, output).map(|_| ())
}

/// Checks, before any work, that a file (an object, a header, any result
/// that is one file) may be written to `path`: as [`check_output`] for a
/// file result, whatever the extension.
pub fn check_output_file(path: &Path) -> Result<(), IoError> {
    dest::destination(path, dest::Output::File).map(|_| ())
}

/// For a file another library writes (an object file, a C header): checks
/// `path` as [`check_output_file`] does, removes the temporaries that dead
/// processes left next to it, and returns the path to rename the finished
/// file to (what a symlink points to, or `path`) and a fresh temporary
/// name next to it, `.{name}.{pid}.{n}.tmp`, to write first. Nothing is
/// created.
pub fn staged_file_name(path: &Path) -> Result<(std::path::PathBuf, std::path::PathBuf), IoError> {
    atomic::temp_for(path)
}

/// Writes a whole array to `path` (`.npy`, Zarr for `….zarr`, a PNG image
/// for `….png`, or a table format by its extension), atomically.
pub fn write(path: &Path, array: &Array) -> Result<(), IoError> {
    match Format::by_name(path) {
        Format::Zarr => zarr::write_zarr(path, array),
        Format::Npy => npy::write_npy(path, array),
        Format::Png => png::write_array(path, array),
        _ => write_value(path, &Value::from(array.clone())),
    }
}

/// Writes a whole value to `path`, atomically, in the format its extension
/// names: any value to the table formats (a record's fields as columns,
/// anything else as one column `value`; CSV only for scalar fields); an
/// array of numbers without missing values to `.npy` or Zarr, which refuse
/// the rest naming the formats that hold it; an image (`H * W * RGBA`, or
/// an array of `uint8` or `uint16` samples) to `.png`.
pub fn write_value(path: &Path, value: &Value) -> Result<(), IoError> {
    let format = Format::by_name(path);
    if let Some(table) = format.table() {
        return table::write_value(path, table, writer_of(table), value);
    }
    if format == Format::Png {
        return png::write_value(path, value);
    }
    let what = match value {
        Value::Array {
            data,
            missing: None,
        } => return write(path, data),
        Value::Array { .. } => "an array with missing values",
        Value::Column(_) => "strings, decimals, dates or ragged lists",
        Value::Record(_) => "records",
        Value::Tuple(_) => "a tuple",
    };
    let ext = if format == Format::Zarr {
        "a Zarr array"
    } else {
        "`.npy`"
    };
    Err(IoError::format(
        path,
        IoErrorKind::Request,
        format!(
            "{ext} holds arrays of numbers only, not {what}; write `.parquet`, `.arrow` or `.jsonl` (or `.csv` for records of scalars)"
        ),
    ))
}

//! [`discover`]: the datashape of the data at a path, read from what is
//! there, as the original datashape library's `discover` did — the header
//! of a `.npy` file, Zarr metadata, a Parquet or Arrow file's schema, and
//! for text formats a sample of rows: CSV sniffing (header, column names
//! and types, which columns have missing cells; see the CSV reader's
//! `sniff` rules) and JSON lines inference. Standard input (`-`) and named
//! pipes are sampled the same way (and consumed). Every other path is
//! what [`open`](super::open) makes of it without a datashape.

use super::stream::{is_stream, StreamSource};
use super::{csv, json, Format, IoError, RowSource};
use blaze_datashape::Datashape;
use std::io::BufReader;
use std::path::Path;

/// Rows sampled by default to discover the types of a text file's columns.
pub const DEFAULT_SAMPLE: usize = 1000;

/// The datashape of the data at `path`, its text formats typed from their
/// first `sample` rows (at least 1).
pub fn discover(path: &Path, sample: usize) -> Result<Datashape, IoError> {
    let sample = sample.max(1);
    if is_stream(path) {
        return StreamSource::open(path, None, sample).map(|s| s.datashape());
    }
    if path.is_file() {
        match Format::of(path) {
            Format::Csv => return csv::discover(path, sample).map(|s| s.ty),
            Format::Json => {
                let file =
                    std::fs::File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
                let text = csv::sniff::read_sample(&mut BufReader::new(file), sample)
                    .map_err(|e| IoError::os(path, "read error", e))?;
                return json::discover(path, &text);
            }
            _ => {}
        }
    }
    super::open(path, None).map(|s| s.datashape())
}

//! Newline-delimited JSON (`.jsonl`, `.ndjson`, `.json`): one record a
//! line, typed by the datashape given for the file
//! (`p.jsonl:var * {name: string, values: var * float64, s: {x: float64}}`),
//! read with `arrow-json` against that datashape's Arrow schema. Nested
//! objects are records, arrays are `var` dimensions, `null` or an absent key
//! is missing (for `?T` fields); decimals may be numbers or strings.

use super::table::{BatchWriter, Batches, TableFile, TableFormat};
use super::IoError;
use arrow_array::RecordBatch;
use arrow_json::{LineDelimitedWriter, ReaderBuilder};
use arrow_schema::SchemaRef;
use blaze_datashape::Datashape;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// Opens a JSON lines file with the datashape of its rows.
pub fn open(path: &Path, user: Option<&Datashape>) -> Result<TableFile, IoError> {
    File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
    TableFile::new(path, TableFormat::Json, None, None, user, batches)
}

/// The file's records in batches of `batch_rows`, typed by `schema`.
fn batches(path: &Path, schema: &SchemaRef, batch_rows: usize) -> Result<Batches, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let reader = ReaderBuilder::new(schema.clone())
        .with_batch_size(batch_rows.max(1))
        .with_strict_mode(false)
        .build(BufReader::new(file))
        .map_err(|e| e.to_string())?;
    Ok(Box::new(reader.map(|b| b.map_err(|e| e.to_string()))))
}

struct Writer(LineDelimitedWriter<File>);

impl BatchWriter for Writer {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        self.0.write(batch).map_err(|e| e.to_string())
    }

    fn close(mut self: Box<Self>) -> Result<File, String> {
        self.0.finish().map_err(|e| e.to_string())?;
        Ok(self.0.into_inner())
    }
}

/// A writer of records, one JSON object a line, into `file`.
pub(crate) fn writer(file: File, _schema: SchemaRef) -> Result<Box<dyn BatchWriter>, String> {
    Ok(Box::new(Writer(LineDelimitedWriter::new(file))))
}

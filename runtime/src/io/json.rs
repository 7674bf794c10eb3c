//! Newline-delimited JSON (`.jsonl`, `.ndjson`, `.json`): one record a
//! line, typed by the datashape given for the file
//! (`p.jsonl:var * {name: string, values: var * float64, s: {x: float64}}`),
//! read with `arrow-json` against that datashape's Arrow schema. Nested
//! objects are records, arrays are `var` dimensions, `null` or an absent key
//! is missing (for `?T` fields); decimals may be numbers or strings.

use super::table::{BatchError, BatchWriter, Batches, TableFile, TableFormat};
use super::IoError;
use arrow_array::RecordBatch;
use arrow_json::reader::Decoder;
use arrow_json::{LineDelimitedWriter, ReaderBuilder};
use arrow_schema::SchemaRef;
use blaze_datashape::Datashape;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Opens a JSON lines file with the datashape of its rows.
pub fn open(path: &Path, user: Option<&Datashape>) -> Result<TableFile, IoError> {
    File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
    TableFile::new(path, TableFormat::Json, None, None, user, batches)
}

/// The file's records in batches of `batch_rows`, typed by `schema`.
fn batches(path: &Path, schema: &SchemaRef, batch_rows: usize) -> Result<Batches, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let rows = batch_rows.max(1);
    Ok(Box::new(Lines {
        lines: BufReader::new(file),
        decoder: decoder(schema, rows)?,
        schema: schema.clone(),
        rows,
        line: 0,
        pending: Vec::new(),
        done: false,
    }))
}

fn decoder(schema: &SchemaRef, rows: usize) -> Result<Decoder, String> {
    ReaderBuilder::new(schema.clone())
        .with_batch_size(rows.saturating_add(1))
        .with_strict_mode(false)
        .build_decoder()
        .map_err(|e| e.to_string())
}

/// Records read a line at a time, so an error names its line: a line that
/// does not parse at once, a value of the wrong type by decoding the
/// batch's lines one by one.
struct Lines {
    lines: BufReader<File>,
    decoder: Decoder,
    schema: SchemaRef,
    rows: usize,
    line: usize,
    pending: Vec<(usize, String)>,
    done: bool,
}

impl Lines {
    fn at(line: usize, message: impl std::fmt::Display) -> BatchError {
        BatchError {
            line: Some(line),
            message: message.to_string(),
        }
    }

    /// The first of the pending lines that does not decode alone.
    fn culprit(&self, whole: String) -> BatchError {
        for (line, text) in &self.pending {
            let alone = decoder(&self.schema, 1).and_then(|mut d| {
                d.decode(text.as_bytes()).map_err(|e| e.to_string())?;
                d.flush().map_err(|e| e.to_string())
            });
            if let Err(e) = alone {
                return Lines::at(*line, e);
            }
        }
        whole.into()
    }

    fn step(&mut self) -> Result<Option<RecordBatch>, BatchError> {
        while !self.done && self.pending.len() < self.rows {
            let mut text = String::new();
            let got = self
                .lines
                .read_line(&mut text)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::InvalidData => {
                        Lines::at(self.line + 1, "the line is not valid UTF-8")
                    }
                    _ => Lines::at(self.line + 1, format!("read error: {e}")),
                })?;
            if got == 0 {
                self.done = true;
                break;
            }
            self.line += 1;
            // A byte-order mark is not part of the first record.
            if self.line == 1 && text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            if text.trim().is_empty() {
                continue;
            }
            let used = self
                .decoder
                .decode(text.as_bytes())
                .map_err(|e| Lines::at(self.line, e))?;
            if used != text.len() {
                return Err(Lines::at(self.line, "more than one record on the line"));
            }
            self.pending.push((self.line, text));
        }
        if self.pending.is_empty() {
            return Ok(None);
        }
        if self.decoder.has_partial_record() {
            let line = self.pending.last().map_or(self.line, |(l, _)| *l);
            return Err(Lines::at(line, "a record is not closed on its line"));
        }
        match self.decoder.flush() {
            Ok(b) => {
                self.pending.clear();
                Ok(b)
            }
            Err(e) => Err(self.culprit(e.to_string())),
        }
    }
}

impl Iterator for Lines {
    type Item = Result<RecordBatch, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(b) => b.map(Ok),
            Err(e) => {
                self.done = true;
                self.pending.clear();
                Some(Err(e))
            }
        }
    }
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

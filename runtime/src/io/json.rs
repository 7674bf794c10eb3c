//! Newline-delimited JSON (`.jsonl`, `.ndjson`, `.json`): one record a
//! line, typed by the datashape given for the file
//! (`p.jsonl:var * {name: string, values: var * float64, s: {x: float64}}`),
//! read with `arrow-json` against that datashape's Arrow schema. Nested
//! objects are records, arrays are `var` dimensions, `null` or an absent key
//! is missing (for `?T` fields); decimals may be numbers or strings.
//!
//! Without a datashape, the rows' types are discovered from the first
//! lines ([`discover`]): arrow-json's inference (`int64`, `float64`,
//! `bool`, `string`, lists as `var`, objects as records), with options
//! exactly where the sampled lines have `null`s or absent keys.

use super::batch;
use super::table::{BatchError, BatchWriter, Batches, TableFile, TableFormat};
use super::{IoError, IoErrorKind, Location, RowBlock, RowReader};
use arrow_array::RecordBatch;
use arrow_json::reader::Decoder;
use arrow_json::{LineDelimitedWriter, ReaderBuilder};
use arrow_schema::SchemaRef;
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_interp::Value;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Opens a JSON lines file with the datashape of its rows, or with the
/// one discovered from its first 1,000 lines when none is given.
pub fn open(path: &Path, user: Option<&Datashape>) -> Result<TableFile, IoError> {
    let file = File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
    let found;
    let user = match user {
        Some(u) => Some(u),
        None => {
            let text = super::csv::sniff::read_sample(&mut BufReader::new(file), 1000)
                .map_err(|e| IoError::os(path, "read error", e))?;
            found = discover(path, &text)?;
            Some(&found)
        }
    };
    TableFile::new(path, TableFormat::Json, None, None, user, batches)
}

/// The datashape of rows of JSON lines from `text`, the first lines of
/// the file at `path`: `var * {…}`, each key a field (in alphabetical
/// order: JSON objects are unordered), an option where a sampled line has
/// `null` or no such key.
pub fn discover(path: &Path, text: &[u8]) -> Result<Datashape, IoError> {
    let bad = |m: String| IoError::format(path, IoErrorKind::MalformedHeader, m);
    let (schema, _) = arrow_json::reader::infer_json_schema(std::io::Cursor::new(text), None)
        .map_err(|e| bad(format!("cannot discover the rows' types: {e}")))?;
    if schema.fields().is_empty() {
        return Err(bad(
            "no record in the first lines: there is no datashape to discover".into(),
        ));
    }
    // A key that is `null` in every sampled line: `?float64`, as a CSV
    // column of only missing cells.
    let fields: Vec<arrow_schema::Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            arrow_schema::DataType::Null => {
                arrow_schema::Field::new(f.name(), arrow_schema::DataType::Float64, true)
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
    let mut d = ReaderBuilder::new(schema.clone())
        .with_batch_size(memchr::memchr_iter(b'\n', text).count() + 2)
        .with_strict_mode(false)
        .build_decoder()
        .map_err(|e| bad(e.to_string()))?;
    let mut at = 0;
    while at < text.len() {
        let used = d.decode(&text[at..]).map_err(|e| bad(e.to_string()))?;
        if used == 0 {
            break;
        }
        at += used;
    }
    let sample = d
        .flush()
        .map_err(|e| bad(e.to_string()))?
        .unwrap_or_else(|| RecordBatch::new_empty(schema.clone()));
    let fields = schema
        .fields()
        .iter()
        .zip(sample.columns())
        .map(|(f, c)| {
            blaze_array::schema::datashape_of_data(c.as_ref())
                .map(|t| (f.name().clone(), t))
                .map_err(|e| bad(format!("field `{}`: {e}", f.name())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Datashape::new(
        vec![Dim::Var(None)],
        Measure::Record { fields },
    ))
}

/// The file's records in batches of `batch_rows`, typed by `schema`.
fn batches(path: &Path, schema: &SchemaRef, batch_rows: usize) -> Result<Batches, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let rows = batch_rows.max(1);
    Ok(Box::new(Lines {
        lines: Box::new(BufReader::new(file)),
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
    lines: Box<dyn BufRead + Send>,
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

/// Rows of JSON lines read once from a stream (standard input, a pipe).
pub(crate) struct StreamReader {
    path: std::path::PathBuf,
    lines: Lines,
    fields: Vec<(String, Datashape)>,
    read: usize,
}

impl StreamReader {
    /// A reader of rows of `ty` (`var * {…}`) from `input`, named `path`
    /// in messages.
    pub(crate) fn new(
        path: &Path,
        ty: &Datashape,
        input: Box<dyn BufRead + Send>,
    ) -> Result<StreamReader, IoError> {
        let bad = |m: String| IoError::format(path, IoErrorKind::UnsupportedDtype, m);
        let fields = super::schema::row_fields(ty)
            .ok_or_else(|| {
                bad(format!(
                    "JSON lines are rows of records, as in `var * {{a: string}}`; `{ty}` is not"
                ))
            })?
            .to_vec();
        let schema = batch::schema_of(&fields).map_err(bad)?;
        Ok(StreamReader {
            path: path.to_path_buf(),
            lines: Lines {
                lines: input,
                decoder: decoder(&schema, 1).map_err(bad)?,
                schema,
                rows: 1,
                line: 0,
                pending: Vec::new(),
                done: false,
            },
            fields,
            read: 0,
        })
    }

    fn err(&self, at: Location, m: String) -> IoError {
        IoError::at(&self.path, at, IoErrorKind::BadValue, m)
    }

    /// The next up to `max` rows and their count; `None` at the end.
    pub(crate) fn next_rows(&mut self, max: usize) -> Result<Option<(Value, usize)>, IoError> {
        let max = max.clamp(1, 1 << 20);
        if max != self.lines.rows {
            self.lines.rows = max;
            self.lines.decoder =
                decoder(&self.lines.schema, max).map_err(|m| self.err(Location::File, m))?;
        }
        let Some(b) = self.lines.next() else {
            return Ok(None);
        };
        let b = b.map_err(|e| match e.line {
            Some(line) => self.err(Location::Line { line, field: None }, e.message),
            None => self.err(Location::File, e.message),
        })?;
        let at = self.read;
        let b = batch::conform_batch(&b, &self.fields, &self.lines.schema)
            .and_then(|b| batch::batch_value(&b, &self.fields, false))
            .map_err(|m| self.err(Location::File, format!("rows from {at} on: {m}")))?;
        let n = match &b {
            Value::Record(fs) => fs.first().map_or(0, |(_, v)| rows_of(v)),
            _ => 0,
        };
        self.read += n;
        Ok(Some((b, n)))
    }

    /// The rest of the rows, as one value.
    pub(crate) fn read_rest(&mut self) -> Result<Value, IoError> {
        let rows = 1 << 16;
        if self.lines.rows != rows {
            self.lines.rows = rows;
            self.lines.decoder =
                decoder(&self.lines.schema, rows).map_err(|m| self.err(Location::File, m))?;
        }
        let mut parts = Vec::new();
        while let Some(b) = self.lines.next() {
            let b = b.map_err(|e| match e.line {
                Some(line) => self.err(Location::Line { line, field: None }, e.message),
                None => self.err(Location::File, e.message),
            })?;
            parts.push(
                batch::conform_batch(&b, &self.fields, &self.lines.schema)
                    .map_err(|m| self.err(Location::File, m))?,
            );
        }
        let all = arrow_select::concat::concat_batches(&self.lines.schema, &parts)
            .map_err(|e| self.err(Location::File, e.to_string()))?;
        batch::batch_value(&all, &self.fields, false).map_err(|m| self.err(Location::File, m))
    }
}

/// Rows of a column value of a block.
fn rows_of(v: &Value) -> usize {
    match v {
        Value::Array { data, .. } => data.shape().first().copied().unwrap_or(0),
        Value::Column(c) => c.shape.first().copied().unwrap_or(0),
        Value::Record(fs) => fs.first().map_or(0, |(_, v)| rows_of(v)),
        Value::Tuple(_) => 0,
    }
}

impl RowReader for StreamReader {
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError> {
        Ok(self.next_rows(max)?.map(|(v, n)| (RowBlock::Value(v), n)))
    }

    fn empty_block(&mut self) -> Result<RowBlock, IoError> {
        batch::empty_value(&self.fields, false)
            .map(RowBlock::Value)
            .map_err(|m| self.err(Location::File, m))
    }

    fn finish(&mut self) -> Result<usize, IoError> {
        Ok(self.read)
    }
}

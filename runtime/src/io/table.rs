//! Table files — Parquet, Arrow IPC, newline-delimited JSON — read as
//! record batches ([`TableFile`], one [`RowSource`](super::RowSource) for
//! all of them) and written as record batches ([`TableSink`], one
//! [`RowSink`](super::RowSink)). Each format supplies only its batch
//! iterator and its batch writer; the datashape, the blocks of rows and
//! the staging are here.

use super::atomic::Staged;
use super::batch::{self, VALUE_COLUMN};
use super::schema::{check_annotation, row_fields, schema_datashape};
use super::{IoError, IoErrorKind, Location, RowBlock};
use arrow_array::RecordBatch;
use arrow_schema::{Schema, SchemaRef};
use blaze_array::DenseView;
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_interp::Value;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The table formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// Apache Parquet.
    Parquet,
    /// The Arrow IPC file format (Feather v2).
    Ipc,
    /// Newline-delimited JSON, one record a line.
    Json,
    /// CSV of records of scalars (written here; read by the CSV reader).
    Csv,
}

impl TableFormat {
    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            TableFormat::Parquet => "Parquet",
            TableFormat::Ipc => "Arrow IPC",
            TableFormat::Json => "JSON lines",
            TableFormat::Csv => "CSV",
        }
    }
}

/// Why a batch could not be read, and the line of a text file at fault
/// when the format knows it.
#[derive(Debug)]
pub(crate) struct BatchError {
    pub(crate) line: Option<usize>,
    pub(crate) message: String,
}

impl From<String> for BatchError {
    fn from(message: String) -> BatchError {
        BatchError {
            line: None,
            message,
        }
    }
}

/// Record batches read in order.
pub(crate) type Batches = Box<dyn Iterator<Item = Result<RecordBatch, BatchError>> + Send>;

/// How a format reads a file's batches: the path, the schema the rows are
/// read as, and the rows a batch should have (a hint some formats follow).
pub(crate) type BatchesFn = fn(&Path, &SchemaRef, usize) -> Result<Batches, String>;

/// How a format starts writing batches of a schema into a file.
pub(crate) type WriterFn = fn(File, SchemaRef) -> Result<Box<dyn BatchWriter>, String>;

/// A table file opened by its schema (or by the datashape the user gave,
/// for JSON): rows of records, read whole or by blocks of rows.
#[derive(Debug)]
pub struct TableFile {
    path: PathBuf,
    format: TableFormat,
    ty: Datashape,
    fields: Vec<(String, Datashape)>,
    schema: SchemaRef,
    plain: bool,
    rows: Option<usize>,
    bytes: u64,
    read: BatchesFn,
}

impl TableFile {
    /// A table at `path` whose file schema is `file_schema` (none for JSON)
    /// with `rows` rows when known; `user` is the datashape given for it:
    /// its columns must be the file's (up to options; see
    /// [`check_annotation`]); a datashape that is not a record (`var *
    /// string`) reads a file of one column as that column. `read` reads
    /// the batches.
    pub(crate) fn new(
        path: &Path,
        format: TableFormat,
        file_schema: Option<&Schema>,
        rows: Option<usize>,
        user: Option<&Datashape>,
        read: BatchesFn,
    ) -> Result<TableFile, IoError> {
        let bad = |m: String| IoError::format(path, IoErrorKind::UnsupportedDtype, m);
        // With a datashape of records, only the columns it names need one
        // (a file may hold columns blaze has no type for).
        let named = user.and_then(row_fields);
        if let (Some(fields), Some(s)) = (named, file_schema) {
            if let Some((name, _)) = fields.iter().find(|(n, _)| s.field_with_name(n).is_err()) {
                let all: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(bad(format!(
                    "the file has no column `{name}` (its columns: {})",
                    all.join(", ")
                )));
            }
        }
        let from_file = file_schema
            .map(|s| match named {
                Some(fields) => {
                    let kept: Vec<_> = s
                        .fields()
                        .iter()
                        .filter(|f| fields.iter().any(|(n, _)| n == f.name()))
                        .cloned()
                        .collect();
                    schema_datashape(&Schema::new(kept), rows)
                }
                None => schema_datashape(s, rows),
            })
            .transpose()
            .map_err(bad)?;
        let plain = user.is_some_and(|u| row_fields(u).is_none());
        let (ty, fields) = match (user, &from_file) {
            (Some(u), _) if plain => {
                let Some(first) = u.dims.first() else {
                    return Err(bad(format!(
                        "a {} file holds rows; `{u}` has none",
                        format.name()
                    )));
                };
                // The file's one column, read as the value itself.
                let name = match file_schema.map(|s| s.fields().iter().collect::<Vec<_>>()) {
                    None => VALUE_COLUMN.to_string(),
                    Some(fs) if fs.len() == 1 => fs[0].name().clone(),
                    Some(fs) => {
                        return Err(bad(format!(
                            "the file has {} columns; `{u}` reads a file of one column",
                            fs.len()
                        )))
                    }
                };
                let row = Datashape::new(u.dims[1..].to_vec(), u.measure.clone());
                let fields = vec![(name, row)];
                if let Some(f) = &from_file {
                    let wrapped = Datashape::new(
                        vec![first.clone()],
                        Measure::Record {
                            fields: fields.clone(),
                        },
                    );
                    check_annotation(f, &wrapped).map_err(bad)?;
                }
                (u.clone(), fields)
            }
            (user, file) => {
                let ty = match (user, file) {
                    (Some(u), Some(f)) => {
                        check_annotation(f, u).map_err(bad)?;
                        u.clone()
                    }
                    (Some(u), None) => u.clone(),
                    (None, Some(f)) => f.clone(),
                    (None, None) => {
                        return Err(IoError::format(
                            path,
                            IoErrorKind::Request,
                            format!(
                                "a {} input needs the datashape of its rows, as in `p.jsonl:var * {{a: string, b: ?float64}}`",
                                format.name()
                            ),
                        ))
                    }
                };
                let fields = row_fields(&ty)
                    .ok_or_else(|| {
                        bad(format!(
                            "a {} file holds rows of records, as in `var * {{a: string}}`; `{ty}` is not",
                            format.name()
                        ))
                    })?
                    .to_vec();
                (ty, fields)
            }
        };
        let schema = batch::schema_of(&fields).map_err(bad)?;
        let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
        Ok(TableFile {
            path: path.to_path_buf(),
            format,
            ty,
            fields,
            schema,
            plain,
            rows,
            bytes,
            read,
        })
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The format.
    pub fn format(&self) -> TableFormat {
        self.format
    }

    /// The datashape read (the user's when given, else the file's).
    pub fn datashape(&self) -> &Datashape {
        &self.ty
    }

    /// The row count, when the file's header says it.
    pub fn rows(&self) -> Option<usize> {
        self.rows
    }

    /// Bytes of the file.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Bytes one row takes in memory, estimated from its fields (8 bytes
    /// a number, 32 a string, list or decimal, plus the batch it is read
    /// in).
    pub fn row_bytes(&self) -> usize {
        2 * self
            .fields
            .iter()
            .map(|(_, t)| estimate(t))
            .sum::<usize>()
            .max(1)
    }

    /// Reads the batches from the first row, `batch_rows` at a time.
    fn batches(&self, batch_rows: usize) -> Result<Batches, IoError> {
        (self.read)(&self.path, &self.schema, batch_rows)
            .map_err(|m| IoError::format(&self.path, IoErrorKind::MalformedHeader, m))
    }

    /// A reader of blocks of rows.
    pub fn reader(&self) -> Result<TableReader<'_>, IoError> {
        Ok(TableReader {
            file: self,
            batches: None,
            pending: Vec::new(),
            pending_rows: 0,
            read: 0,
            done: false,
        })
    }

    /// The whole table as one value.
    pub fn read_all(&self) -> Result<Value, IoError> {
        let mut r = self.reader()?;
        let mut parts = Vec::new();
        while r.fill(usize::MAX)? {}
        parts.append(&mut r.pending);
        let all = arrow_select::concat::concat_batches(&self.schema, &parts)
            .map_err(|e| self.err(Location::File, e.to_string()))?;
        batch::batch_value(&all, &self.fields, self.plain).map_err(|m| self.err(Location::File, m))
    }

    fn err(&self, at: Location, m: String) -> IoError {
        IoError::at(&self.path, at, IoErrorKind::BadValue, m)
    }
}

fn estimate(t: &Datashape) -> usize {
    let inner: usize = t
        .dims
        .iter()
        .map(|d| match d {
            Dim::Fixed(n) => *n as usize,
            _ => 4,
        })
        .product();
    let m = match &t.measure {
        Measure::Option { inner } => inner.as_ref(),
        m => m,
    };
    inner.max(1)
        * match m {
            Measure::Scalar { scalar } => scalar.size_bytes() + 1,
            Measure::Record { fields } => fields.iter().map(|(_, f)| estimate(f)).sum(),
            _ => 32,
        }
}

/// Reads a table's rows in blocks.
pub struct TableReader<'a> {
    file: &'a TableFile,
    batches: Option<Batches>,
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    read: usize,
    done: bool,
}

impl TableReader<'_> {
    /// Reads batches until `want` rows are pending or the file ends;
    /// false at the end.
    fn fill(&mut self, want: usize) -> Result<bool, IoError> {
        if self.batches.is_none() {
            // Batches of at most the block size, so a block holds no more
            // than it needs (64Ki rows at most).
            self.batches = Some(self.file.batches(want.clamp(1, 1 << 16))?);
        }
        while !self.done && self.pending_rows < want {
            let Some(batches) = self.batches.as_mut() else {
                break;
            };
            match batches.next() {
                None => self.done = true,
                Some(b) => {
                    let at = self.read + self.pending_rows;
                    let place = |m: String| {
                        self.file
                            .err(Location::File, format!("in the rows from row {at} on: {m}"))
                    };
                    let b = b.map_err(|e| match e.line {
                        Some(line) => self
                            .file
                            .err(Location::Line { line, field: None }, e.message),
                        None => place(e.message),
                    })?;
                    let b = batch::conform_batch(&b, &self.file.fields, &self.file.schema)
                        .map_err(place)?;
                    self.pending_rows += b.num_rows();
                    self.pending.push(b);
                }
            }
        }
        Ok(!self.done)
    }

    /// The next up to `max` rows and their count; `None` at the end. Rows
    /// within one batch are sliced, not copied; a block over several
    /// batches copies those rows once.
    pub fn next_block(&mut self, max: usize) -> Result<Option<(Value, usize)>, IoError> {
        let max = max.max(1);
        self.fill(max)?;
        let n = max.min(self.pending_rows);
        if n == 0 {
            return Ok(None);
        }
        // The batches that hold the first `n` rows; the last one split.
        let mut taken = Vec::new();
        let mut got = 0;
        while got < n {
            let Some(b) = self.pending.first().cloned() else {
                break;
            };
            let k = b.num_rows().min(n - got);
            taken.push(b.slice(0, k));
            if k == b.num_rows() {
                self.pending.remove(0);
            } else {
                self.pending[0] = b.slice(k, b.num_rows() - k);
            }
            got += k;
        }
        self.pending_rows -= got;
        let block = match taken.as_slice() {
            [one] => one.clone(),
            _ => arrow_select::concat::concat_batches(&self.file.schema, &taken)
                .map_err(|e| self.file.err(Location::File, e.to_string()))?,
        };
        let at = self.read;
        self.read += got;
        let v = batch::batch_value(&block, &self.file.fields, self.file.plain).map_err(|m| {
            self.file
                .err(Location::File, format!("rows {at}..{}: {m}", at + got))
        })?;
        Ok(Some((v, got)))
    }
}

impl super::RowReader for TableReader<'_> {
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError> {
        Ok(TableReader::next_block(self, max)?.map(|(v, n)| (RowBlock::Value(v), n)))
    }

    fn empty_block(&mut self) -> Result<RowBlock, IoError> {
        batch::empty_value(&self.file.fields, self.file.plain)
            .map(RowBlock::Value)
            .map_err(|m| self.file.err(Location::File, m))
    }

    fn finish(&mut self) -> Result<usize, IoError> {
        match self.file.rows {
            Some(r) if self.done && r != self.read => Err(IoError::format(
                &self.file.path,
                IoErrorKind::TruncatedData,
                format!("the file says {r} rows, {} were read", self.read),
            )),
            _ => Ok(self.read),
        }
    }
}

impl super::RowSource for TableFile {
    fn path(&self) -> &Path {
        &self.path
    }

    fn datashape(&self) -> Datashape {
        self.ty.clone()
    }

    fn rows(&self) -> Option<usize> {
        self.rows
    }

    fn row_bytes(&self) -> usize {
        TableFile::row_bytes(self)
    }

    fn bytes(&self) -> u64 {
        self.bytes
    }

    fn blocks(&self) -> Result<Box<dyn super::RowReader + '_>, IoError> {
        Ok(Box::new(self.reader()?))
    }

    fn read_all(&self) -> Result<Value, IoError> {
        TableFile::read_all(self)
    }
}

/// Writes record batches of one schema into a file.
pub(crate) trait BatchWriter: Send {
    /// Writes one batch.
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String>;
    /// Ends the file (footer, flush) and hands it back to be synced.
    fn close(self: Box<Self>) -> Result<File, String>;
}

/// A table written by batches into a staged file, renamed into place by
/// [`TableSink::finish`].
pub struct TableSink {
    stage: Staged,
    writer: Option<Box<dyn BatchWriter>>,
    format: TableFormat,
}

impl TableSink {
    /// Starts writing a table of `schema` to `path` in `format`, whose
    /// batches `make` writes.
    pub(crate) fn create(
        path: &Path,
        format: TableFormat,
        schema: SchemaRef,
        make: WriterFn,
    ) -> Result<TableSink, IoError> {
        let (stage, file) = Staged::file(path)?;
        let writer =
            make(file, schema).map_err(|m| IoError::format(path, IoErrorKind::Request, m))?;
        Ok(TableSink {
            stage,
            writer: Some(writer),
            format,
        })
    }

    fn fail(&self, m: String) -> IoError {
        IoError::format(
            self.stage.target(),
            IoErrorKind::Request,
            format!("writing {}: {m}", self.format.name()),
        )
    }

    /// Writes one batch of rows.
    pub fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), IoError> {
        let r = match self.writer.as_mut() {
            Some(w) => w.write(batch),
            None => Err("the file is closed".into()),
        };
        r.map_err(|m| self.fail(m))
    }

    /// Completes the file, syncs it and renames it into place.
    pub fn finish_table(mut self) -> Result<(), IoError> {
        let w = self
            .writer
            .take()
            .ok_or_else(|| self.fail("the file is closed".into()))?;
        let file = w.close().map_err(|m| self.fail(m))?;
        file.sync_all()
            .map_err(|e| IoError::os(self.stage.tmp(), "cannot sync", e))?;
        drop(file);
        self.stage.commit()
    }
}

impl super::RowSink for TableSink {
    fn write_rows(&mut self, _start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        let v = crate::value::view_to_value(block).map_err(|e| self.fail(e.to_string()))?;
        let b = batch::batch_of(&v, None).map_err(|m| self.fail(m))?;
        self.write_batch(&b)
    }

    fn finish(self: Box<Self>, _rows: usize) -> Result<(), IoError> {
        self.finish_table()
    }
}

/// Writes a whole value to `path` as a table in `format`, atomically,
/// with the batch writer `make`.
pub(crate) fn write_value(
    path: &Path,
    format: TableFormat,
    make: WriterFn,
    value: &Value,
) -> Result<(), IoError> {
    let b =
        batch::batch_of(value, None).map_err(|m| IoError::format(path, IoErrorKind::Request, m))?;
    let mut sink = TableSink::create(path, format, b.schema(), make)?;
    sink.write_batch(&b)?;
    sink.finish_table()
}

/// A table written from blocks of a streamed result of any datashape
/// (strings, decimals, options, ragged lists, records): each block's
/// value becomes a record batch of the result's canonical schema.
pub struct ValueSink {
    sink: TableSink,
    /// The result's datashape (its first dimension the rows).
    ty: Datashape,
    /// The columns' names and row datashapes.
    fields: Vec<(String, Datashape)>,
    schema: SchemaRef,
}

impl ValueSink {
    /// Starts writing rows of a result of datashape `ty` (its first
    /// dimension the rows) to `path` in `format`.
    pub(crate) fn create(
        path: &Path,
        format: TableFormat,
        make: WriterFn,
        ty: &Datashape,
    ) -> Result<ValueSink, IoError> {
        let request = |m: String| IoError::format(path, IoErrorKind::Request, m);
        let row = Datashape::new(
            ty.dims.iter().skip(1).cloned().collect(),
            ty.measure.clone(),
        );
        let fields = match (&row.measure, row.dims.is_empty()) {
            (Measure::Record { fields }, true) => fields.clone(),
            _ => vec![(batch::VALUE_COLUMN.to_string(), row)],
        };
        let schema = batch::schema_of(&fields).map_err(request)?;
        let sink = TableSink::create(path, format, schema.clone(), make)?;
        Ok(ValueSink {
            sink,
            ty: ty.clone(),
            fields,
            schema,
        })
    }

    /// Writes one block of the result's rows.
    pub fn write_value(&mut self, block: &Value) -> Result<(), IoError> {
        let b = batch::batch_of(block, Some(&self.ty))
            .and_then(|b| batch::conform_batch(&b, &self.fields, &self.schema))
            .map_err(|m| self.sink.fail(m))?;
        self.sink.write_batch(&b)
    }

    /// Completes the file, syncs it and renames it into place.
    pub fn finish(self) -> Result<(), IoError> {
        self.sink.finish_table()
    }
}

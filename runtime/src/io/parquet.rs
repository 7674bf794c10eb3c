//! Apache Parquet files through the `parquet` crate's Arrow reader and
//! writer: the datashape comes from the file's Arrow schema (the one a
//! writer such as pyarrow stores, else the one derived from the Parquet
//! schema); rows are read by record batches, so a streamed run holds a
//! block at a time. Snappy, zstd, gzip and lz4 pages are read; blaze
//! writes snappy.

use super::table::{BatchWriter, Batches, TableFile, TableFormat};
use super::{IoError, IoErrorKind};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use blaze_datashape::{Datashape, Measure};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::path::Path;

/// Opens a Parquet file by its footer; `user` is the datashape given for
/// it, if any. A column the user types without `?` whose statistics count
/// missing values is refused here (others when a missing value is read).
pub fn open(path: &Path, user: Option<&Datashape>) -> Result<TableFile, IoError> {
    let file = File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
        IoError::format(
            path,
            IoErrorKind::MalformedHeader,
            format!("not a readable Parquet file: {e}"),
        )
    })?;
    let meta = builder.metadata();
    let rows = usize::try_from(meta.file_metadata().num_rows())
        .map_err(|_| IoError::format(path, IoErrorKind::MalformedHeader, "a negative row count"))?;
    if let Some(fields) = user.and_then(super::schema::row_fields) {
        let descr = meta.file_metadata().schema_descr();
        for (name, ty) in fields {
            if !ty.dims.is_empty() || matches!(ty.measure, Measure::Option { .. }) {
                continue;
            }
            let Some(col) = (0..descr.num_columns())
                .find(|&i| descr.column(i).path().parts() == [name.clone()])
            else {
                continue;
            };
            let nulls: u64 = meta
                .row_groups()
                .iter()
                .filter_map(|g| g.columns().get(col)?.statistics()?.null_count_opt())
                .sum();
            if nulls > 0 {
                return Err(IoError::format(
                    path,
                    IoErrorKind::BadValue,
                    format!(
                        "column `{name}` has {nulls} missing values (by the file's statistics); its datashape `{ty}` has no `?`"
                    ),
                ));
            }
        }
    }
    let schema = builder.schema().clone();
    TableFile::new(
        path,
        TableFormat::Parquet,
        Some(&schema),
        Some(rows),
        user,
        batches,
    )
}

/// The file's record batches of `batch_rows` rows, of the columns
/// `schema` names only (the others are not decoded).
fn batches(path: &Path, schema: &SchemaRef, batch_rows: usize) -> Result<Batches, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| {
            let roots: Vec<usize> = b
                .schema()
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| schema.field_with_name(f.name()).is_ok())
                .map(|(i, _)| i)
                .collect();
            let mask = ProjectionMask::roots(b.parquet_schema(), roots);
            b.with_projection(mask)
                .with_batch_size(batch_rows.max(1))
                .build()
        })
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    Ok(Box::new(
        reader.map(|b| b.map_err(|e| e.to_string().into())),
    ))
}

struct Writer(ArrowWriter<File>);

impl BatchWriter for Writer {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        self.0.write(batch).map_err(|e| e.to_string())
    }

    fn close(self: Box<Self>) -> Result<File, String> {
        self.0.into_inner().map_err(|e| e.to_string())
    }
}

/// A writer of record batches of `schema` into `file`, snappy-compressed.
pub(crate) fn writer(file: File, schema: SchemaRef) -> Result<Box<dyn BatchWriter>, String> {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    ArrowWriter::try_new(file, schema, Some(props))
        .map(|w| Box::new(Writer(w)) as Box<dyn BatchWriter>)
        .map_err(|e| e.to_string())
}

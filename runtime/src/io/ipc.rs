//! Arrow IPC files (Feather v2: `.arrow`, `.feather`, `.ipc`) through
//! `arrow-ipc`: the datashape comes from the file's schema; its record
//! batches are read in order (lz4 and zstd buffers included). blaze writes
//! uncompressed IPC files.

use super::table::{BatchWriter, Batches, TableFile, TableFormat};
use super::{IoError, IoErrorKind};
use arrow_array::RecordBatch;
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::FileWriter;
use arrow_schema::SchemaRef;
use blaze_datashape::Datashape;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

fn reader(
    path: &Path,
    columns: Option<Vec<usize>>,
) -> Result<FileReader<BufReader<File>>, IoError> {
    let file = File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
    FileReader::try_new(BufReader::new(file), columns).map_err(|e| {
        IoError::format(
            path,
            IoErrorKind::MalformedHeader,
            format!("not a readable Arrow IPC file: {e}"),
        )
    })
}

/// Opens an Arrow IPC file by its schema; `user` is the datashape given
/// for it, if any.
pub fn open(path: &Path, user: Option<&Datashape>) -> Result<TableFile, IoError> {
    let r = reader(path, None)?;
    TableFile::new(
        path,
        TableFormat::Ipc,
        Some(&r.schema()),
        None,
        user,
        batches,
    )
}

/// The file's record batches, as written, of the columns `schema` names
/// only.
fn batches(path: &Path, schema: &SchemaRef, _rows: usize) -> Result<Batches, String> {
    let r = reader(path, None).map_err(|e| e.message())?;
    let columns: Vec<usize> = r
        .schema()
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| schema.field_with_name(f.name()).is_ok())
        .map(|(i, _)| i)
        .collect();
    let r = reader(path, Some(columns)).map_err(|e| e.message())?;
    Ok(Box::new(r.map(|b| b.map_err(|e| e.to_string().into()))))
}

struct Writer(FileWriter<File>);

impl BatchWriter for Writer {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        self.0.write(batch).map_err(|e| e.to_string())
    }

    fn close(mut self: Box<Self>) -> Result<File, String> {
        self.0.finish().map_err(|e| e.to_string())?;
        self.0.into_inner().map_err(|e| e.to_string())
    }
}

/// A writer of record batches of `schema` into `file`.
pub(crate) fn writer(file: File, schema: SchemaRef) -> Result<Box<dyn BatchWriter>, String> {
    FileWriter::try_new(file, &schema)
        .map(|w| Box::new(Writer(w)) as Box<dyn BatchWriter>)
        .map_err(|e| e.to_string())
}

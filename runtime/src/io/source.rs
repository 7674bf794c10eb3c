//! [`RowSource`] and [`RowReader`]: data read by blocks of rows (its first
//! axis), whatever the format, and their implementations for `.npy`, Zarr
//! and CSV. A new format plugs in by implementing these traits (and
//! [`RowSink`](super::RowSink) to be written).

use super::csv::{CsvFile, CsvReader};
use super::npy::NpyFile;
use super::zarr::ZarrArray;
use super::{BlockPool, IoError, IoErrorKind, RowBlock};
use blaze_array::DenseArray;
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_interp::{Array, Value};
use std::fmt;
use std::path::Path;

/// Data that can be read whole or by blocks of rows.
pub trait RowSource: fmt::Debug + Send + Sync {
    /// Where it is.
    fn path(&self) -> &Path;

    /// The datashape of the whole data; the first dimension is `var` when
    /// the number of rows is known only at the end (a CSV file).
    fn datashape(&self) -> Datashape;

    /// The number of rows, when known before reading them.
    fn rows(&self) -> Option<usize> {
        match self.datashape().dims.first() {
            Some(Dim::Fixed(n)) => Some(*n as usize),
            _ => None,
        }
    }

    /// The datashape of one row.
    fn row_datashape(&self) -> Datashape {
        let t = self.datashape();
        Datashape::new(t.dims.iter().skip(1).cloned().collect(), t.measure)
    }

    /// Bytes one row takes in memory while it is read (parsing buffers
    /// included).
    fn row_bytes(&self) -> usize;

    /// Bytes of the data (in memory, or of the file when that is all that
    /// is known before reading it).
    fn bytes(&self) -> u64;

    /// Why the data cannot be read by rows (a Fortran-order file, a 0-d
    /// array), or `None` when it can (the default).
    fn cannot_stream(&self) -> Option<String> {
        None
    }

    /// Whether the data is a stream (standard input, a named pipe): read
    /// once, in one sequential pass, so [`blocks`](RowSource::blocks) and
    /// [`read_all`](RowSource::read_all) may be called once in all, and
    /// its size is not known before it is read.
    fn is_stream(&self) -> bool {
        false
    }

    /// What the data is when that is more than its path (the files of a
    /// glob), for the task graph; `None` by default.
    fn describe(&self) -> Option<String> {
        None
    }

    /// The files a block never spans, with their rows, in order, when the
    /// data is several files whose rows are all known; `None` by default.
    fn pieces(&self) -> Option<Vec<(std::path::PathBuf, usize)>> {
        None
    }

    /// How many leading dimensions are levels of stacked files
    /// (`images/*/*.png` as `N * M * …`); 0 by default.
    fn stacked_levels(&self) -> usize {
        0
    }

    /// The files of an input stacked by two levels or more, read as rows,
    /// one file a row: the datashape has the levels merged into one
    /// dimension (the number of files) in C order. `None` by default.
    fn files_as_rows(&self) -> Option<Box<dyn RowSource>> {
        None
    }

    /// The data with only the record fields `fields` (names of the
    /// measure's fields, in its order), the others not kept as rows are
    /// read; `None` when the measure is not a record or the format cannot
    /// leave fields out (the default).
    fn project(&self, fields: &[String]) -> Option<Box<dyn RowSource>> {
        let _ = fields;
        None
    }

    /// A reader of blocks from the first row.
    fn blocks(&self) -> Result<Box<dyn RowReader + '_>, IoError>;

    /// A reader of blocks from row `r0` (a row slice): array files start
    /// there without reading the rows before it; by default they are read
    /// and dropped.
    fn blocks_from(&self, r0: usize) -> Result<Box<dyn RowReader + '_>, IoError> {
        let mut reader = self.blocks()?;
        let mut left = r0;
        while left > 0 {
            match reader.next_block(left.min(4096))? {
                Some((_, n)) if n > 0 => left -= n.min(left),
                _ => break,
            }
        }
        Ok(reader)
    }

    /// All of the data.
    fn read_all(&self) -> Result<Value, IoError>;
}

/// Blocks of rows, in order.
pub trait RowReader: Send {
    /// The next up to `max` rows and their count, or `None` at the end.
    /// An array file's blocks are blaze arrays in buffers the reader
    /// reuses once every block over them is dropped.
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError>;

    /// A block of no rows (reductions over empty data see it).
    fn empty_block(&mut self) -> Result<RowBlock, IoError>;

    /// Checks what can be checked only at the end (a row count the
    /// datashape fixes) and returns the rows read.
    fn finish(&mut self) -> Result<usize, IoError> {
        Ok(0)
    }

    /// Asks for blocks not in the page cache to be read with `O_DIRECT`
    /// where the format can ([`BlockPool::set_direct`]); by default
    /// nothing changes.
    fn prefer_direct(&mut self, _on: bool) {}
}

/// Rows read by position from an array file of known shape, into the
/// buffers of a pool.
struct Positional<'a, F: ?Sized> {
    file: &'a F,
    pool: BlockPool,
    rows: usize,
    at: usize,
}

impl<F: ArrayFile + ?Sized> RowReader for Positional<'_, F> {
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError> {
        if self.at >= self.rows {
            return Ok(None);
        }
        let (r0, r1) = (self.at, (self.at + max.max(1)).min(self.rows));
        let a = self.file.read_block(r0, r1, &mut self.pool)?;
        self.at = r1;
        Ok(Some((RowBlock::Array(a), r1 - r0)))
    }

    fn empty_block(&mut self) -> Result<RowBlock, IoError> {
        self.file
            .read_block(0, 0, &mut self.pool)
            .map(RowBlock::Array)
    }

    fn finish(&mut self) -> Result<usize, IoError> {
        Ok(self.at)
    }

    fn prefer_direct(&mut self, on: bool) {
        self.pool.set_direct(on);
    }
}

/// An array file of known shape read by row positions (`.npy`, Zarr): one
/// implementation of [`RowSource`] serves them all.
trait ArrayFile: fmt::Debug + Send + Sync {
    fn file_path(&self) -> &Path;
    fn file_shape(&self) -> &[usize];
    fn file_scalar(&self) -> blaze_datashape::Scalar;
    /// Why rows cannot be read, beyond a 0-d shape.
    fn layout_problem(&self) -> Option<String> {
        None
    }
    /// Rows `r0..r1`, in a buffer of `pool` when the format can.
    fn read_block(&self, r0: usize, r1: usize, pool: &mut BlockPool)
        -> Result<DenseArray, IoError>;
    fn whole(&self) -> Result<Array, IoError>;
}

impl ArrayFile for NpyFile {
    fn file_path(&self) -> &Path {
        self.path()
    }
    fn file_shape(&self) -> &[usize] {
        self.shape()
    }
    fn file_scalar(&self) -> blaze_datashape::Scalar {
        self.scalar()
    }
    fn layout_problem(&self) -> Option<String> {
        self.fortran_order().then(|| {
            format!(
                "{}: a Fortran-order file cannot be streamed by rows; save it in C order",
                self.path().display()
            )
        })
    }
    fn read_block(
        &self,
        r0: usize,
        r1: usize,
        pool: &mut BlockPool,
    ) -> Result<DenseArray, IoError> {
        self.block(r0, r1, pool)
    }
    fn whole(&self) -> Result<Array, IoError> {
        self.read_all()
    }
}

impl ArrayFile for ZarrArray {
    fn file_path(&self) -> &Path {
        self.path()
    }
    fn file_shape(&self) -> &[usize] {
        self.shape()
    }
    fn file_scalar(&self) -> blaze_datashape::Scalar {
        self.scalar()
    }
    fn read_block(
        &self,
        r0: usize,
        r1: usize,
        _pool: &mut BlockPool,
    ) -> Result<DenseArray, IoError> {
        // Chunks are decompressed and decoded into a new array, which the
        // block takes without copying.
        crate::value::from_array(self.read_rows(r0, r1)?).map_err(|e| {
            IoError::format(
                self.path(),
                IoErrorKind::ShapeOverflow,
                format!("rows {r0}..{r1}: {e}"),
            )
        })
    }
    fn whole(&self) -> Result<Array, IoError> {
        self.read_all()
    }
}

impl<F: ArrayFile> RowSource for F {
    fn path(&self) -> &Path {
        self.file_path()
    }

    fn datashape(&self) -> Datashape {
        Datashape::new(
            self.file_shape()
                .iter()
                .map(|&n| Dim::Fixed(n as u64))
                .collect(),
            Measure::scalar(self.file_scalar()),
        )
    }

    fn row_bytes(&self) -> usize {
        self.file_shape().iter().skip(1).product::<usize>() * self.file_scalar().size_bytes()
    }

    fn bytes(&self) -> u64 {
        self.file_shape().iter().product::<usize>() as u64 * self.file_scalar().size_bytes() as u64
    }

    fn cannot_stream(&self) -> Option<String> {
        if self.file_shape().is_empty() {
            Some(format!(
                "{}: a 0-d array has no rows",
                self.path().display()
            ))
        } else {
            self.layout_problem()
        }
    }

    fn blocks(&self) -> Result<Box<dyn RowReader + '_>, IoError> {
        Ok(Box::new(Positional {
            file: self,
            pool: BlockPool::new(),
            rows: self.file_shape().first().copied().unwrap_or(1),
            at: 0,
        }))
    }

    fn blocks_from(&self, r0: usize) -> Result<Box<dyn RowReader + '_>, IoError> {
        let rows = self.file_shape().first().copied().unwrap_or(1);
        Ok(Box::new(Positional {
            file: self,
            pool: BlockPool::new(),
            rows,
            at: r0.min(rows),
        }))
    }

    fn read_all(&self) -> Result<Value, IoError> {
        self.whole().map(Value::from)
    }
}

impl RowSource for CsvFile {
    fn path(&self) -> &Path {
        CsvFile::path(self)
    }

    fn datashape(&self) -> Datashape {
        CsvFile::datashape(self).clone()
    }

    fn rows(&self) -> Option<usize> {
        CsvFile::rows(self)
    }

    fn row_bytes(&self) -> usize {
        // Parsing holds a row as float64 and int columns with masks.
        3 * CsvFile::row_bytes(self) + 32
    }

    fn bytes(&self) -> u64 {
        std::fs::metadata(self.path()).map_or(0, |m| m.len())
    }

    fn blocks(&self) -> Result<Box<dyn RowReader + '_>, IoError> {
        Ok(Box::new(self.reader()?))
    }

    fn read_all(&self) -> Result<Value, IoError> {
        CsvFile::read_all(self)
    }
}

impl RowReader for CsvReader {
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError> {
        Ok(CsvReader::next_rows(self, max)?.map(|(v, n)| (RowBlock::Value(v), n)))
    }

    fn empty_block(&mut self) -> Result<RowBlock, IoError> {
        CsvReader::empty_block(self).map(RowBlock::Value)
    }

    fn finish(&mut self) -> Result<usize, IoError> {
        CsvReader::finish(self)
    }
}

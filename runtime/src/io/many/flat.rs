//! The files of a stacked input read as rows, one file a row: what a
//! program that reduces the pattern's levels together streams (a mean
//! image over `images/*/*.png` reads image by image, not folder by
//! folder). The session chooses it only when the program cannot tell the
//! difference (`blaze_ir::analysis::merge_leading_axes`).

use super::{put_together, ManyFiles};
use crate::io::{IoError, IoErrorKind, RowBlock, RowReader, RowSource};
use blaze_datashape::{Datashape, Dim};
use blaze_interp::Value;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files of one datashape as the rows of one array (`F * file`).
#[derive(Debug)]
pub(super) struct FileRows {
    pattern: PathBuf,
    files: Arc<[Box<dyn RowSource>]>,
    datashape: Datashape,
}

impl FileRows {
    /// The `files` (each of datashape `file`) of `pattern` as rows.
    pub(super) fn new(pattern: PathBuf, files: Arc<[Box<dyn RowSource>]>, file: Datashape) -> Self {
        let mut dims = Vec::with_capacity(file.dims.len() + 1);
        dims.push(Dim::Fixed(files.len() as u64));
        dims.extend(file.dims);
        FileRows {
            pattern,
            datashape: Datashape::new(dims, file.measure),
            files,
        }
    }

    /// Files `r0..r1`, decoded in parallel and put together along a new
    /// first axis.
    fn read(&self, r0: usize, r1: usize) -> Result<Value, IoError> {
        let files = self.files.get(r0..r1).ok_or_else(|| {
            IoError::format(
                &self.pattern,
                IoErrorKind::Request,
                format!("files {r0}..{r1} of {}", self.files.len()),
            )
        })?;
        let parts: Vec<Value> = files
            .par_iter()
            .map(|f| f.read_all())
            .collect::<Result<_, _>>()?;
        put_together(&self.datashape, &self.pattern, parts, 0)
    }
}

impl RowSource for FileRows {
    fn path(&self) -> &Path {
        &self.pattern
    }

    fn datashape(&self) -> Datashape {
        self.datashape.clone()
    }

    fn row_bytes(&self) -> usize {
        // A row is a file decoded, then copied into the block.
        self.files
            .iter()
            .map(|f| ManyFiles::estimate(f.as_ref()))
            .max()
            .unwrap_or(0)
            .saturating_mul(2)
            .max(1)
    }

    fn bytes(&self) -> u64 {
        self.files
            .iter()
            .map(|f| f.bytes())
            .fold(0, u64::saturating_add)
    }

    fn describe(&self) -> Option<String> {
        let n = self.files.len();
        let first = self.files.first().map(|f| f.path().display().to_string());
        let last = self.files.last().map(|f| f.path().display().to_string());
        let list = match (first, last) {
            (Some(a), Some(z)) if n > 1 => format!("{a} … {z}"),
            (Some(a), _) => a,
            _ => String::new(),
        };
        Some(format!(
            "{n} files stacked, read one file a row ({}): {list}",
            self.pattern.display()
        ))
    }

    fn project(&self, fields: &[String]) -> Option<Box<dyn RowSource>> {
        let files: Vec<Box<dyn RowSource>> = self
            .files
            .iter()
            .map(|f| f.project(fields))
            .collect::<Option<_>>()?;
        let file = files.first()?.datashape();
        Some(Box::new(FileRows::new(
            self.pattern.clone(),
            files.into(),
            file,
        )))
    }

    fn blocks(&self) -> Result<Box<dyn RowReader + '_>, IoError> {
        Ok(Box::new(FileBlocks { rows: self, at: 0 }))
    }

    fn read_all(&self) -> Result<Value, IoError> {
        self.read(0, self.files.len())
    }
}

/// Blocks of whole files, in order.
struct FileBlocks<'a> {
    rows: &'a FileRows,
    at: usize,
}

impl RowReader for FileBlocks<'_> {
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError> {
        let n = self.rows.files.len();
        if self.at >= n {
            return Ok(None);
        }
        let end = self.at.saturating_add(max.max(1)).min(n);
        let v = self.rows.read(self.at, end)?;
        let rows = end - self.at;
        self.at = end;
        Ok(Some((RowBlock::Value(v), rows)))
    }

    fn empty_block(&mut self) -> Result<RowBlock, IoError> {
        // A glob matches at least one file, so there are rows.
        Err(IoError::format(
            &self.rows.pattern,
            IoErrorKind::Request,
            "stacked files have no empty block",
        ))
    }

    fn finish(&mut self) -> Result<usize, IoError> {
        Ok(self.at)
    }
}

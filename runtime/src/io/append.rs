//! Appends: a result's rows added to what is at the output path
//! (`blaze eval … --out r.npy --append`).
//!
//! [`target`] says what an append to a path does: rows added to an
//! existing `.npy` file ([`NpyAppender`]) or Zarr array
//! ([`ZarrAppender`]), a new file `part-NNNNN.parquet` in a directory of
//! Parquet files (an existing directory that is not a Zarr array, or a path
//! ending in `/`; the part is written atomically like any table), or, when
//! nothing is there, the result written as without an append.
//! [`Target::check`] compares the result's datashape with what is there
//! before anything runs: the element type and the dimensions after the
//! rows must be the file's, else nothing is written and the error says
//! what differs. How each format commits (so that an interrupted append
//! leaves the old data readable) is the appenders' documentation.

use super::npy::NpyAppender;
use super::zarr::ZarrAppender;
use super::{IoError, IoErrorKind, RowSink};
use blaze_array::DenseView;
use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_interp::{with_array, Value};
use std::fs;
use std::path::{Path, PathBuf};

/// What an append to a path does; see the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Nothing is there: the result is written as without an append.
    Create(PathBuf),
    /// Rows added to an existing `.npy` file.
    Npy(PathBuf),
    /// Rows added to an existing Zarr array.
    Zarr(PathBuf),
    /// A new Parquet file `part` in the directory `dir` (created when
    /// missing).
    Part {
        /// The dataset's directory.
        dir: PathBuf,
        /// The new file in it.
        part: PathBuf,
    },
}

fn refuse(path: &Path, why: impl Into<String>) -> IoError {
    IoError::format(path, IoErrorKind::Request, why)
}

/// What an append to `path` does, from what is there (nothing is
/// written).
pub fn target(path: &Path) -> Result<Target, IoError> {
    let text = path.to_string_lossy();
    let slash = text.ends_with('/');
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            if path.join("zarr.json").exists() || path.join(".zarray").exists() {
                let array = super::zarr::ZarrArray::open(path);
                return match array {
                    Ok(_) => Ok(Target::Zarr(path.to_path_buf())),
                    Err(e) => Err(refuse(
                        path,
                        format!("cannot append: the directory is not a Zarr array ({e})"),
                    )),
                };
            }
            if path.join(".zgroup").exists() {
                return Err(refuse(path, "cannot append to a Zarr group"));
            }
            Ok(Target::Part {
                dir: path.to_path_buf(),
                part: path.join(next_part(path)?),
            })
        }
        Ok(m) if m.is_file() => match super::Format::by_name(path) {
            super::Format::Npy => Ok(Target::Npy(path.to_path_buf())),
            super::Format::Zarr => Err(refuse(path, "cannot append: not a Zarr array (a file)")),
            _ => Err(refuse(
                path,
                "cannot append to a single table file; append to a directory of Parquet files (`results/`), which gets a new file per append",
            )),
        },
        Ok(_) => Err(refuse(
            path,
            "cannot append: not a regular file, a Zarr array or a directory",
        )),
        Err(_) if slash => Ok(Target::Part {
            dir: path.to_path_buf(),
            part: path.join("part-00000.parquet"),
        }),
        Err(_) => Ok(Target::Create(path.to_path_buf())),
    }
}

/// The name of the next part in a directory of Parquet files: one more
/// than the largest `part-N.parquet` there.
fn next_part(dir: &Path) -> Result<String, IoError> {
    let mut next = 0u64;
    for e in fs::read_dir(dir).map_err(|e| IoError::os(dir, "cannot list", e))? {
        let e = e.map_err(|e| IoError::os(dir, "cannot list", e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix("part-")
            .and_then(|r| r.strip_suffix(".parquet"))
            .and_then(|n| n.parse::<u64>().ok())
        {
            next = next.max(n.saturating_add(1));
        }
    }
    Ok(format!("part-{next:05}.parquet"))
}

/// The Parquet files of a dataset directory, in name order.
fn parts(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && super::Format::of(p) == super::Format::Parquet)
        .collect();
    v.sort();
    v
}

/// The measure with options removed (Parquet files flag columns nullable
/// whether or not values are missing).
fn plain(m: &Measure) -> Measure {
    match m {
        Measure::Option { inner } => plain(inner),
        Measure::Record { fields } => Measure::Record {
            fields: fields
                .iter()
                .map(|(n, t)| (n.clone(), Datashape::new(t.dims.clone(), plain(&t.measure))))
                .collect(),
        },
        m => m.clone(),
    }
}

/// The element type and fixed row shape of a result `ty` appended as rows.
fn rows_of(path: &Path, ty: &Datashape) -> Result<(Scalar, Vec<usize>), IoError> {
    let Some(scalar) = ty.measure.as_scalar() else {
        return Err(refuse(
            path,
            format!("cannot append a result of `{ty}`: `.npy` and Zarr hold numbers without missing values; nothing was written"),
        ));
    };
    if ty.dims.is_empty() {
        return Err(refuse(
            path,
            format!(
                "cannot append a result of `{ty}`: a 0-d result has no rows; nothing was written"
            ),
        ));
    }
    let row = ty.dims[1..]
        .iter()
        .map(|d| match d {
            Dim::Fixed(n) => usize::try_from(*n).ok(),
            _ => None,
        })
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| {
            refuse(
                path,
                format!("cannot append a result of `{ty}`: its rows have no fixed shape; nothing was written"),
            )
        })?;
    Ok((scalar, row))
}

impl Target {
    /// Where the result is written: the file or array appended to, or the
    /// new part.
    pub fn path(&self) -> &Path {
        match self {
            Target::Create(p) | Target::Npy(p) | Target::Zarr(p) => p,
            Target::Part { part, .. } => part,
        }
    }

    /// Whether rows are added to an existing array (`.npy`, Zarr), rather
    /// than a file written whole.
    pub fn appends_rows(&self) -> bool {
        matches!(self, Target::Npy(_) | Target::Zarr(_))
    }

    /// Checks that a result of datashape `ty` (its first dimension the
    /// rows) can be appended: the same element type and row shape as the
    /// file, array or dataset there. Nothing is written.
    pub fn check(&self, ty: &Datashape) -> Result<(), IoError> {
        match self {
            Target::Create(_) => Ok(()),
            Target::Npy(p) => {
                let (scalar, row) = rows_of(p, ty)?;
                NpyAppender::open(p, scalar, &row).map(drop)
            }
            Target::Zarr(p) => {
                let (scalar, row) = rows_of(p, ty)?;
                ZarrAppender::open(p, scalar, &row).map(drop)
            }
            Target::Part { dir, .. } => {
                let Some(first) = parts(dir).into_iter().next() else {
                    return Ok(());
                };
                if ty.dims.is_empty() {
                    return Err(refuse(
                        dir,
                        format!("cannot append a result of `{ty}`: a 0-d result has no rows; nothing was written"),
                    ));
                }
                let have = super::open(&first, None)?.datashape();
                let row = Datashape::new(ty.dims[1..].to_vec(), ty.measure.clone());
                let want = match &ty.measure {
                    Measure::Record { .. } if ty.dims.len() == 1 => ty.measure.clone(),
                    _ => Measure::Record {
                        fields: vec![(super::batch::VALUE_COLUMN.to_string(), row)],
                    },
                };
                if plain(&have.measure) != plain(&want) {
                    return Err(refuse(
                        dir,
                        format!(
                            "cannot append: the dataset's rows are `{}` ({}), the result's `{want}`; nothing was written",
                            have.measure,
                            first.display()
                        ),
                    ));
                }
                Ok(())
            }
        }
    }

    /// Makes what the write needs: the directory of a new dataset.
    pub fn prepare(&self) -> Result<(), IoError> {
        if let Target::Part { dir, .. } = self {
            fs::create_dir_all(dir).map_err(|e| IoError::os(dir, "cannot create", e))?;
        }
        Ok(())
    }
}

/// A sink adding rows of `row` elements of `scalar` to the `.npy` file or
/// Zarr array at `path`, block by block; finished, it commits the new
/// shape; dropped unfinished, the old data stays as it was.
pub fn rows_sink(path: &Path, scalar: Scalar, row: &[usize]) -> Result<Box<dyn RowSink>, IoError> {
    if path.is_dir() {
        Ok(Box::new(ZarrAppender::open(path, scalar, row)?))
    } else {
        Ok(Box::new(NpyAppender::open(path, scalar, row)?))
    }
}

/// Appends the rows of a whole value (an array of numbers without missing
/// values, at least 1-d) to the `.npy` file or Zarr array at `path`.
pub fn append_value(path: &Path, value: &Value) -> Result<(), IoError> {
    let Value::Array {
        data,
        missing: None,
    } = value
    else {
        return Err(refuse(
            path,
            "cannot append: `.npy` and Zarr hold arrays of numbers without missing values; nothing was written",
        ));
    };
    let shape = data.shape();
    let Some((&rows, row)) = shape.split_first() else {
        return Err(refuse(
            path,
            "cannot append a 0-d result: it has no rows; nothing was written",
        ));
    };
    let mut sink = rows_sink(path, data.scalar(), row)?;
    with_array!(data, a => sink.write_rows(0, &crate::value::view_of(&a.view())))?;
    sink.finish(rows)
}

impl RowSink for NpyAppender {
    fn write_rows(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        self.write_view(start, block)
    }

    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError> {
        NpyAppender::finish(*self, rows)
    }
}

impl RowSink for ZarrAppender {
    fn write_rows(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        self.write_view(start, block)
    }

    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError> {
        ZarrAppender::finish(*self, rows)
    }
}

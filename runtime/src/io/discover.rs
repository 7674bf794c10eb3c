//! [`discover`]: the datashape of the data at a path, read from what is
//! there, as the original datashape library's `discover` did — the header
//! of a `.npy` file, Zarr metadata, a Parquet or Arrow file's schema, and
//! for text formats a sample of rows: CSV sniffing (header, column names
//! and types, which columns have missing cells; see the CSV reader's
//! `sniff` rules) and JSON lines inference. Standard input (`-`) and named
//! pipes are sampled the same way (and consumed). A pattern or directory
//! is its structure, one dimension per wildcard level, then the files'
//! datashape ([`structure`](super::many::structure): `12 * var * {…}`,
//! `2 * 3 * 600 * 800 * RGBA`); CSV files have each file sampled and the
//! column types widened to hold them all ([`csv_files_datashape`]). Every
//! other path is what [`open`](super::open) makes of it without a
//! datashape.

use super::stream::{is_stream, StreamSource};
use super::{csv, json, Format, IoError, IoErrorKind, RowSource};
use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use std::io::BufReader;
use std::path::{Path, PathBuf};

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
    if super::many::is_many(path) {
        let file = csv_files_datashape(path, sample)?;
        return super::many::structure(path, file);
    }
    super::open(path, None).map(|s| s.datashape())
}

/// The CSV files `path` names when it names many (a pattern, or a
/// directory of data files) and they all are CSV; `None` otherwise.
fn csv_files(path: &Path) -> Result<Option<Vec<PathBuf>>, IoError> {
    if !super::many::is_many(path) {
        return Ok(None);
    }
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut fs: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| IoError::os(path, "cannot list", e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        fs.sort_by(|a, b| super::glob::natural(&a.to_string_lossy(), &b.to_string_lossy()));
        fs
    } else {
        let Some(text) = path.to_str() else {
            return Ok(None);
        };
        super::glob::expand(text)?
            .into_iter()
            .map(|m| m.path)
            .collect()
    };
    let csv = !files.is_empty() && files.iter().all(|f| Format::of(f) == Format::Csv);
    Ok(csv.then_some(files))
}

/// The type holding values of both field types (`int64` and `float64`
/// give `float64`, `T` and `?T` give `?T`, `date` and `datetime` give
/// `datetime`, anything else `string`).
fn widen(a: &Datashape, b: &Datashape) -> Datashape {
    let split = |t: &Datashape| match &t.measure {
        Measure::Option { inner } => (inner.as_ref().clone(), true),
        m => (m.clone(), false),
    };
    let ((ma, oa), (mb, ob)) = (split(a), split(b));
    let int = Measure::scalar(Scalar::Int64);
    let float = Measure::scalar(Scalar::Float64);
    let m = if ma == mb {
        ma
    } else if (ma == int && mb == float) || (ma == float && mb == int) {
        float
    } else if matches!(
        (&ma, &mb),
        (Measure::Date, Measure::DateTime { .. }) | (Measure::DateTime { .. }, Measure::Date)
    ) {
        Measure::DateTime { tz: None }
    } else {
        Measure::String {
            len: None,
            encoding: blaze_datashape::Encoding::Utf8,
        }
    };
    Datashape::scalar(if oa || ob { Measure::option(m) } else { m })
}

/// For a pattern or directory of CSV files: the datashape of their rows
/// discovered from each file's first `sample` rows and widened to hold
/// them all (a column missing somewhere is an option everywhere), so the
/// files read as one table; `None` when `path` is not that. Files whose
/// columns have other names are an error naming the first two.
pub fn csv_files_datashape(path: &Path, sample: usize) -> Result<Option<Datashape>, IoError> {
    let Some(files) = csv_files(path)? else {
        return Ok(None);
    };
    let mut joined: Option<(PathBuf, Vec<(String, Datashape)>)> = None;
    for f in files {
        let found = csv::discover(&f, sample)?;
        let Measure::Record { fields } = found.ty.measure else {
            return Ok(None);
        };
        joined = Some(match joined {
            None => (f, fields),
            Some((first, have)) => {
                let names = |fs: &[(String, Datashape)]| -> Vec<String> {
                    fs.iter().map(|(n, _)| n.clone()).collect()
                };
                if names(&have) != names(&fields) {
                    return Err(IoError::format(
                        path,
                        IoErrorKind::BadValue,
                        format!(
                            "the files' columns differ: `{}` has {}, `{}` has {}",
                            first.display(),
                            names(&have).join(", "),
                            f.display(),
                            names(&fields).join(", ")
                        ),
                    ));
                }
                let wide = have
                    .iter()
                    .zip(&fields)
                    .map(|((n, a), (_, b))| (n.clone(), widen(a, b)))
                    .collect();
                (first, wide)
            }
        });
    }
    Ok(joined.map(|(_, fields)| Datashape::new(vec![Dim::Var(None)], Measure::Record { fields })))
}

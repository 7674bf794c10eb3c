//! Named inputs: `NAME=PATH[:DATASHAPE]` specs parsed in one place, for the
//! command line and the Rust API alike.
//!
//! PATH ends at the first `:`; paths with a `:` in them are not
//! supported. PATH is a file, a directory (a Zarr array, or a directory of
//! data files read as one array), a pattern with wildcards (`*`, `?`,
//! `[...]`, `**`: many files as one array) or `-` (standard input).

use crate::error::{BindError, Error};
use blaze_datashape::{Datashape, Measure};
use std::path::PathBuf;

/// The most dimensions an input's datashape may have (NumPy's limit).
pub const MAX_DIMS: usize = 64;

/// A named input: `A=a.npy`, `Z=z.zarr`,
/// `p=p.csv:var * {a: int32, b: float64}`, `M=dir/m*.csv:var * {t: float64}`.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    /// The name the program uses.
    pub name: String,
    /// The file, directory, pattern or `-`.
    pub path: PathBuf,
    /// The datashape the user gives it: the rows of formats that do not
    /// describe themselves (CSV, JSON), the columns expected of a table
    /// file, the shape of a glob's files stacked, or a view.
    pub datashape: Option<Datashape>,
}

impl InputSpec {
    /// Parses `NAME=PATH` or `NAME=PATH:DATASHAPE`. A datashape that does
    /// not parse is an error with a caret under the fault; one of more
    /// than [`MAX_DIMS`] dimensions is an error naming the input. Whether
    /// a path needs a datashape (a CSV file does) is decided when it is
    /// opened.
    pub fn parse(spec: &str) -> Result<InputSpec, Error> {
        let Some((name, path)) = spec.split_once('=') else {
            return Err(BindError::Spec(spec.to_string()).into());
        };
        if name.is_empty() || path.is_empty() {
            return Err(BindError::Spec(spec.to_string()).into());
        }
        let Some((file, text)) = path.split_once(':') else {
            return Ok(InputSpec {
                name: name.to_string(),
                path: PathBuf::from(path),
                datashape: None,
            });
        };
        let datashape = blaze_datashape::parse(text).map_err(|error| BindError::Datashape {
            text: text.to_string(),
            path: file.to_string(),
            error,
        })?;
        let dims = rank(&datashape);
        if dims > MAX_DIMS {
            return Err(BindError::TooManyDims {
                name: name.to_string(),
                dims,
            }
            .into());
        }
        Ok(InputSpec {
            name: name.to_string(),
            path: PathBuf::from(file),
            datashape: Some(datashape),
        })
    }
}

/// The dimensions of `ds` with those of its deepest record field.
fn rank(ds: &Datashape) -> usize {
    let inner = match &ds.measure {
        Measure::Record { fields } => fields.iter().map(|(_, f)| rank(f)).max().unwrap_or(0),
        _ => 0,
    };
    ds.dims.len().saturating_add(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_or_name_the_problem() {
        let s = InputSpec::parse("A=dir/a.npy").unwrap();
        assert_eq!((s.name.as_str(), s.path.to_str()), ("A", Some("dir/a.npy")));
        assert_eq!(s.datashape, None);
        let s = InputSpec::parse("p=p.CSV:var * {a: int32}").unwrap();
        assert_eq!(s.path.to_str(), Some("p.CSV"));
        assert_eq!(s.datashape.unwrap().to_string(), "var * {a: int32}");
        let e = InputSpec::parse("a.npy").unwrap_err().to_string();
        assert!(e.contains("expected NAME=PATH"), "{e}");
        // A CSV file without its datashape has it discovered when it is
        // opened; `-` is standard input.
        let s = InputSpec::parse("p=p.csv").unwrap();
        assert_eq!((s.path.to_str(), s.datashape), (Some("p.csv"), None));
        let s = InputSpec::parse("p=-:var * {a: int32}").unwrap();
        assert_eq!(s.path.to_str(), Some("-"));
        assert_eq!(s.datashape.unwrap().to_string(), "var * {a: int32}");
        let e = InputSpec::parse("p=p.csv:var * {a: int33}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("p.csv") && e.contains('^'), "{e}");
    }

    #[test]
    fn a_datashape_may_follow_any_path() {
        for (spec, path, ty) in [
            (
                "A=a.npy:N * 2 * 3 * float64",
                "a.npy",
                "N * 2 * 3 * float64",
            ),
            ("Z=z.zarr:10 * float32", "z.zarr", "10 * float32"),
            (
                "M=d/m*.csv:var * {t: float64, v: ?float64}",
                "d/m*.csv",
                "var * {t: float64, v: ?float64}",
            ),
            (
                "I=i/*/*.png:N * M * 2 * 3 * RGBA",
                "i/*/*.png",
                "N * M * 2 * 3 * {r: uint8, g: uint8, b: uint8, a: uint8}",
            ),
            ("p=-:var * {v: float64}", "-", "var * {v: float64}"),
            ("P=runs/**/*.parquet", "runs/**/*.parquet", ""),
        ] {
            let s = InputSpec::parse(spec).unwrap();
            assert_eq!(s.path.to_str(), Some(path), "{spec}");
            let got = s.datashape.map(|d| d.to_string()).unwrap_or_default();
            assert_eq!(got, ty, "{spec}");
        }
        assert!(InputSpec::parse("=a.npy").is_err() && InputSpec::parse("a=").is_err());
    }

    #[test]
    fn more_than_64_dimensions_name_the_input() {
        let ok = format!("A=a.npy:{}float64", "2 * ".repeat(64));
        assert!(InputSpec::parse(&ok).is_ok());
        let bad = format!("A=a.npy:{}float64", "2 * ".repeat(65));
        let e = InputSpec::parse(&bad).unwrap_err().to_string();
        assert!(
            e.contains("input `A`") && e.contains("65 dimensions"),
            "{e}"
        );
    }
}

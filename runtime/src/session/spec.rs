//! Named inputs: `NAME=PATH[:DATASHAPE]` specs parsed in one place, for the
//! command line and the Rust API alike.

use crate::error::{BindError, Error};
use blaze_datashape::Datashape;
use std::path::PathBuf;

/// A named input file: `A=a.npy`, `Z=z.zarr`,
/// `p=p.csv:var * {a: int32, b: float64}`.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    /// The name the program uses.
    pub name: String,
    /// The file or directory.
    pub path: PathBuf,
    /// The datashape of its rows, for formats that do not describe
    /// themselves (CSV).
    pub datashape: Option<Datashape>,
}

impl InputSpec {
    /// Parses `NAME=PATH`, or `NAME=PATH.csv:DATASHAPE` for a CSV file (the
    /// datashape of its rows; without it, it is discovered), `NAME=-` or
    /// `NAME=-:DATASHAPE` for standard input, or
    /// `NAME=PATH:DATASHAPE` for a Parquet, Arrow or JSON lines file.
    pub fn parse(spec: &str) -> Result<InputSpec, Error> {
        let Some((name, path)) = spec.split_once('=') else {
            return Err(BindError::Spec(spec.to_string()).into());
        };
        // Standard input: `-`, or `-:DATASHAPE`.
        if let Some(text) = path.strip_prefix("-:") {
            let datashape = blaze_datashape::parse(text).map_err(|error| BindError::Datashape {
                text: text.to_string(),
                path: "-".to_string(),
                error,
            })?;
            return Ok(InputSpec {
                name: name.to_string(),
                path: PathBuf::from("-"),
                datashape: Some(datashape),
            });
        }
        let lower = path.to_ascii_lowercase();
        // Table files may carry the datashape of their rows too (JSON
        // needs it; Parquet and Arrow files take it as the columns and
        // types expected).
        let table = [
            ".parquet:",
            ".pq:",
            ".arrow:",
            ".feather:",
            ".ipc:",
            ".jsonl:",
            ".ndjson:",
            ".json:",
        ]
        .iter()
        .filter_map(|e| lower.find(e).map(|i| i + e.len() - 1))
        .min();
        let Some(end) = table.or_else(|| lower.find(".csv").map(|i| i + 4)) else {
            return Ok(InputSpec {
                name: name.to_string(),
                path: PathBuf::from(path),
                datashape: None,
            });
        };
        let (file, rest) = path.split_at(end);
        let Some(text) = rest.strip_prefix(':') else {
            // A CSV file without a datashape has it discovered.
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
        Ok(InputSpec {
            name: name.to_string(),
            path: PathBuf::from(file),
            datashape: Some(datashape),
        })
    }
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
}

//! The datashape of a CSV file found from its first lines, as the
//! original datashape library's `discover` did: whether the first line is
//! a header, the column names (its cells, or `f0`, `f1`, … without one),
//! and each column's type from a sample of rows.
//!
//! A column's type is the narrowest that holds every sampled cell:
//! `bool` (`true`/`false` in any of the reader's spellings), `int64`,
//! `float64` (numbers with a fraction or exponent, `nan`, `inf`, and
//! integers beyond 64 bits: fixed-point numbers are `float64` too, as
//! NumPy and pandas read them), `date` (`YYYY-MM-DD`), `datetime` (ISO
//! 8601; dates and datetimes mixed are datetimes), else `string`. A column
//! with empty cells (or `NA`, for the types that are not strings) is an
//! option, `?T`; a column of only missing cells is `?float64`, as pandas
//! says. The first line is a header when one of its cells is text that
//! does not fit the type of its column found from the other rows (a name
//! over a column of numbers), or when every column holds strings.

use super::cells;
use crate::io::text::{parse_date, parse_datetime};
use crate::io::{IoError, IoErrorKind, Location};
use blaze_datashape::{Datashape, Dim, Encoding, Measure, Scalar};
use std::io::BufRead;
use std::path::Path;

/// What the start of a CSV file says about it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sniffed {
    /// `var * {name: T, …}`.
    pub(crate) ty: Datashape,
    /// Whether the first line is a header.
    pub(crate) header: bool,
}

/// The type of the cells of a column seen so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guess {
    /// No cell but missing ones.
    Missing,
    Bool,
    Int,
    Float,
    Date,
    DateTime,
    Str,
}

impl Guess {
    /// The narrowest type holding both.
    fn join(self, other: Guess) -> Guess {
        use Guess::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Missing, x) | (x, Missing) => x,
            (Int, Float) | (Float, Int) => Float,
            (Date, DateTime) | (DateTime, Date) => DateTime,
            _ => Str,
        }
    }

    fn measure(self) -> Measure {
        match self {
            Guess::Missing | Guess::Float => Measure::scalar(Scalar::Float64),
            Guess::Bool => Measure::scalar(Scalar::Bool),
            Guess::Int => Measure::scalar(Scalar::Int64),
            Guess::Date => Measure::Date,
            Guess::DateTime => Measure::DateTime { tz: None },
            Guess::Str => Measure::String {
                len: None,
                encoding: Encoding::Utf8,
            },
        }
    }
}

/// The type of one trimmed cell that is not empty.
fn guess(c: &str) -> Guess {
    if matches!(c, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        Guess::Bool
    } else if c.parse::<i64>().is_ok() {
        Guess::Int
    } else if c.parse::<f64>().is_ok() {
        Guess::Float
    } else if parse_date(c).is_ok() {
        Guess::Date
    } else if c.len() > 10 && parse_datetime(c).is_ok() {
        Guess::DateTime
    } else {
        Guess::Str
    }
}

/// What a column's cells say.
#[derive(Clone, Copy, Debug)]
struct ColumnGuess {
    guess: Guess,
    /// An empty cell was seen.
    empty: bool,
    /// An `NA` cell was seen.
    na: bool,
}

impl ColumnGuess {
    fn new() -> ColumnGuess {
        ColumnGuess {
            guess: Guess::Missing,
            empty: false,
            na: false,
        }
    }

    fn see(&mut self, cell: &str) {
        match cell.trim() {
            "" => self.empty = true,
            "NA" => self.na = true,
            c => self.guess = self.guess.join(guess(c)),
        }
    }

    /// Whether a cell fits the type found for the column.
    fn fits(&self, cell: &str) -> bool {
        match cell.trim() {
            "" | "NA" => true,
            c => self.guess.join(guess(c)) == self.guess,
        }
    }

    fn datashape(&self) -> Datashape {
        // `NA` is a string among strings; elsewhere it is missing.
        let (guess, option) = match self.guess {
            Guess::Str => (Guess::Str, self.empty),
            g => (g, self.empty || self.na || g == Guess::Missing),
        };
        let m = guess.measure();
        Datashape::scalar(if option { Measure::option(m) } else { m })
    }
}

/// Reads the first line and up to `sample` more lines that hold a row
/// (blank lines are kept but not counted) from `r`.
pub(crate) fn read_sample(r: &mut impl BufRead, sample: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut rows = 0usize;
    while rows <= sample {
        let at = out.len();
        if r.read_until(b'\n', &mut out)? == 0 {
            break;
        }
        if !out[at..].iter().all(u8::is_ascii_whitespace) {
            rows += 1;
        }
    }
    Ok(out)
}

/// The datashape of the CSV file at `path` from `text`, its first lines.
pub(crate) fn sniff(path: &Path, text: &[u8]) -> Result<Sniffed, IoError> {
    let at = |line: usize, m: String| {
        IoError::at(
            path,
            Location::Line { line, field: None },
            IoErrorKind::BadValue,
            m,
        )
    };
    let text = text.strip_prefix(super::read::BOM).unwrap_or(text);
    let mut lines: Vec<(usize, Vec<String>)> = Vec::new();
    for (k, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = std::str::from_utf8(raw)
            .map_err(|_| at(k + 1, "the line is not valid UTF-8".into()))?;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        lines.push((k + 1, cells(line).map_err(|m| at(k + 1, m))?));
    }
    let Some(((_, first), rest)) = lines.split_first() else {
        return Err(IoError::format(
            path,
            IoErrorKind::BadValue,
            "the file has no lines: there is no datashape to discover",
        ));
    };
    let width = first.len();
    let mut cols = vec![ColumnGuess::new(); width];
    for (line, cs) in rest {
        if cs.len() != width {
            return Err(at(
                *line,
                format!("{} cells, but the first line has {width}", cs.len()),
            ));
        }
        for (c, g) in cs.iter().zip(&mut cols) {
            g.see(c);
        }
    }
    let header = if rest.is_empty() {
        // One line: a header when none of its cells is a number.
        first
            .iter()
            .all(|c| matches!(guess(c.trim()), Guess::Str | Guess::Date | Guess::DateTime))
    } else {
        cols.iter().all(|g| g.guess == Guess::Str)
            || first
                .iter()
                .zip(&cols)
                .any(|(c, g)| !g.fits(c) && guess(c.trim()) == Guess::Str)
    };
    let names: Vec<String> = if header {
        let mut names: Vec<String> = Vec::with_capacity(width);
        for (k, c) in first.iter().enumerate() {
            let c = c.trim();
            let mut name = if c.is_empty() {
                format!("f{k}")
            } else {
                c.to_string()
            };
            if names.contains(&name) {
                name = format!("{name}_{k}");
            }
            names.push(name);
        }
        names
    } else {
        for (c, g) in first.iter().zip(&mut cols) {
            g.see(c);
        }
        (0..width).map(|k| format!("f{k}")).collect()
    };
    let fields = names
        .into_iter()
        .zip(&cols)
        .map(|(n, g)| (n, g.datashape()))
        .collect();
    Ok(Sniffed {
        ty: Datashape::new(vec![Dim::Var(None)], Measure::Record { fields }),
        header,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> (String, bool) {
        let s = sniff(Path::new("t.csv"), text.as_bytes()).unwrap();
        (s.ty.to_string(), s.header)
    }

    #[test]
    fn types_headers_and_missing_cells() {
        assert_eq!(
            ty("t,v,ok,name\n1,2.5,true,a\n2,,false,b\n3,NA,True,\n"),
            (
                "var * {t: int64, v: ?float64, ok: bool, name: ?string}".into(),
                true
            )
        );
        assert_eq!(
            ty("1,2.5\n2,3\n"),
            ("var * {f0: int64, f1: float64}".into(), false)
        );
        assert_eq!(
            ty("d,when\n2024-01-02,2024-01-02T03:04:05\n2024-01-03,2024-01-03\n"),
            ("var * {d: date, when: datetime}".into(), true)
        );
        // Strings only: the first line is taken for names.
        assert_eq!(
            ty("a,b\nx,y\n"),
            ("var * {a: string, b: string}".into(), true)
        );
        // All missing, duplicated and empty names.
        assert_eq!(
            ty("a,a,\n1,,x\n"),
            ("var * {a: int64, a_1: ?float64, f2: string}".into(), true)
        );
        // One line of names and no rows.
        assert_eq!(
            ty("x,y\n"),
            ("var * {x: ?float64, y: ?float64}".into(), true)
        );
        let e = sniff(Path::new("t.csv"), b"a,b\n1\n").unwrap_err();
        assert!(e.to_string().contains("t.csv:2"), "{e}");
        assert!(sniff(Path::new("t.csv"), b"\n\n").is_err());
    }

    #[test]
    fn samples_count_rows() {
        let mut r = std::io::Cursor::new(b"h\n1\n\n2\n3\n".to_vec());
        assert_eq!(read_sample(&mut r, 2).unwrap(), b"h\n1\n\n2\n");
    }
}

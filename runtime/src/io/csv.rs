//! CSV files as record arrays, read by blocks of rows.
//!
//! A CSV file is given a datashape: `var * {a: int32, b: ?float64}` (or a
//! fixed row count, `1000 * {…}`), one field per column in order. Fields
//! are numbers or bools (`true`/`false`/`1`/`0`); an option field (`?T`)
//! reads an empty cell (or `NA`, `nan` for floats stays NaN) as missing. A
//! first line equal to the field names is a header and skipped. Cells may
//! be double-quoted (`""` is a quote inside). Every error names the file,
//! the line and the field.

use blaze_datashape::{Datashape, Dim, Measure, Scalar, ScalarKind};
use blaze_interp::{kernels, Array, Value};
use ndarray::{ArrayD, IxDyn};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::rows::join_rows;
use super::{IoError, IoErrorKind, Location};

/// A CSV file with the datashape of its rows.
#[derive(Clone, Debug)]
pub struct CsvFile {
    path: PathBuf,
    fields: Vec<(String, Scalar, bool)>,
    rows: Option<usize>,
    header: bool,
    ty: Datashape,
}

/// Splits one CSV line into cells (double quotes, `""` escapes).
fn cells(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cur.push(c),
            (false, '"') if cur.trim().is_empty() && !was_quoted => {
                cur.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                out.push(std::mem::take(&mut cur));
                was_quoted = false;
            }
            (false, c) => cur.push(c),
        }
    }
    if quoted {
        return Err("a quoted cell is not closed on its line".into());
    }
    out.push(cur);
    Ok(out)
}

impl CsvFile {
    /// Opens `path` with the datashape `ty` of its rows.
    pub fn open(path: &Path, ty: &Datashape) -> Result<CsvFile, IoError> {
        let bad_type = |m: String| IoError::format(path, IoErrorKind::UnsupportedDtype, m);
        let rows = match ty.dims.as_slice() {
            [Dim::Var(_)] => None,
            [Dim::Fixed(n)] => Some(*n as usize),
            _ => {
                return Err(bad_type(format!(
                    "a CSV file is one dimension of records, as in `var * {{a: int32, b: float64}}`; `{ty}` is not"
                )))
            }
        };
        let Measure::Record { fields } = &ty.measure else {
            return Err(bad_type(format!(
                "the rows of a CSV file are records, as in `var * {{a: int32, b: float64}}`; `{}` is not",
                ty.measure
            )));
        };
        let mut out = Vec::new();
        for (fname, fty) in fields {
            let (scalar, option) = match &fty.measure {
                Measure::Scalar { scalar } => (*scalar, false),
                Measure::Option { inner } => match inner.as_ref() {
                    Measure::Scalar { scalar } => (*scalar, true),
                    other => {
                        return Err(bad_type(format!(
                            "field `{fname}` has type `{other}`; CSV fields are numbers or bools"
                        )))
                    }
                },
                other => {
                    return Err(bad_type(format!(
                        "field `{fname}` has type `{other}`; CSV fields are numbers or bools"
                    )))
                }
            };
            if !fty.dims.is_empty() || scalar == Scalar::Float16 {
                return Err(bad_type(format!(
                    "field `{fname}` has type `{fty}`; CSV fields are numbers or bools"
                )));
            }
            out.push((fname.clone(), scalar, option));
        }
        let file = File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
        let mut first = String::new();
        BufReader::new(file)
            .read_line(&mut first)
            .map_err(|e| IoError::os(path, "read error", e))?;
        let header = cells(first.trim_end_matches(['\n', '\r']))
            .map(|c| c.len() == out.len() && c.iter().zip(&out).all(|(c, (f, _, _))| c.trim() == f))
            .unwrap_or(false);
        Ok(CsvFile {
            path: path.to_path_buf(),
            fields: out,
            rows,
            header,
            ty: ty.clone(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The datashape it was opened with (`var * {…}` or `N * {…}`).
    pub fn datashape(&self) -> &Datashape {
        &self.ty
    }

    /// The row count the datashape fixes, if it does.
    pub fn rows(&self) -> Option<usize> {
        self.rows
    }

    /// Bytes of one row in memory.
    pub fn row_bytes(&self) -> usize {
        self.fields
            .iter()
            .map(|(_, s, o)| s.size_bytes() + usize::from(*o))
            .sum()
    }

    /// A reader from the first data line.
    pub fn reader(&self) -> Result<CsvReader, IoError> {
        let file = File::open(&self.path).map_err(|e| IoError::os(&self.path, "cannot open", e))?;
        let mut r = CsvReader {
            file: self.clone(),
            lines: BufReader::with_capacity(1 << 20, file),
            line: 0,
            read: 0,
        };
        if self.header {
            let mut s = String::new();
            r.lines.read_line(&mut s).map_err(|e| r.os(e))?;
            r.line = 1;
        }
        Ok(r)
    }

    /// The whole file as one record array.
    pub fn read_all(&self) -> Result<Value, IoError> {
        let mut r = self.reader()?;
        let mut parts = Vec::new();
        while let Some(b) = r.next_block(1 << 16)? {
            parts.push(b);
        }
        r.finish()?;
        concat_records(&self.path, &self.fields, parts)
    }
}

/// Reads a CSV file's rows in order.
#[derive(Debug)]
pub struct CsvReader {
    file: CsvFile,
    lines: BufReader<File>,
    line: usize,
    read: usize,
}

impl CsvReader {
    fn err(&self, msg: &str) -> IoError {
        self.err_in(None, msg)
    }

    fn err_in(&self, field: Option<&str>, msg: &str) -> IoError {
        IoError::at(
            &self.file.path,
            Location::Line {
                line: self.line,
                field: field.map(str::to_string),
            },
            IoErrorKind::BadValue,
            msg,
        )
    }

    fn os(&self, e: std::io::Error) -> IoError {
        IoError::os(
            &self.file.path,
            format!("read error at line {}", self.line + 1),
            e,
        )
    }

    /// The next up to `max` rows as a record of arrays; `None` at the end.
    pub fn next_block(&mut self, max: usize) -> Result<Option<Value>, IoError> {
        let f = &self.file.fields;
        let mut cols: Vec<Vec<f64>> = vec![Vec::new(); f.len()];
        let mut ints: Vec<Vec<i128>> = vec![Vec::new(); f.len()];
        let mut missing: Vec<Vec<bool>> = vec![Vec::new(); f.len()];
        let mut n = 0;
        let mut s = String::new();
        while n < max {
            s.clear();
            let got = self.lines.read_line(&mut s).map_err(|e| self.os(e))?;
            if got == 0 {
                break;
            }
            self.line += 1;
            let text = s.trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                continue;
            }
            let row = cells(text).map_err(|m| self.err(&m))?;
            if row.len() != f.len() {
                return Err(self.err(&format!(
                    "{} cells, but the datashape has {} fields",
                    row.len(),
                    f.len()
                )));
            }
            for (k, ((name, scalar, option), cell)) in f.iter().zip(&row).enumerate() {
                let c = cell.trim();
                let na = c.is_empty() || c == "NA";
                if na && *option {
                    missing[k].push(true);
                    cols[k].push(0.0);
                    ints[k].push(0);
                    continue;
                }
                missing[k].push(false);
                let bad = |what: &str| {
                    self.err_in(Some(name), &format!("field `{name}`: `{c}` is not {what}"))
                };
                match scalar.kind() {
                    ScalarKind::Bool => {
                        let v = match c {
                            "true" | "True" | "TRUE" | "1" => 1,
                            "false" | "False" | "FALSE" | "0" => 0,
                            _ => return Err(bad("a bool")),
                        };
                        ints[k].push(v);
                        cols[k].push(0.0);
                    }
                    ScalarKind::Signed | ScalarKind::Unsigned => {
                        let v: i128 = c.parse().map_err(|_| bad(&format!("an {scalar}")))?;
                        let fits = match scalar {
                            Scalar::Int8 => i8::try_from(v).is_ok(),
                            Scalar::Int16 => i16::try_from(v).is_ok(),
                            Scalar::Int32 => i32::try_from(v).is_ok(),
                            Scalar::Int64 => i64::try_from(v).is_ok(),
                            Scalar::UInt8 => u8::try_from(v).is_ok(),
                            Scalar::UInt16 => u16::try_from(v).is_ok(),
                            Scalar::UInt32 => u32::try_from(v).is_ok(),
                            _ => u64::try_from(v).is_ok(),
                        };
                        if !fits {
                            return Err(bad(&format!("in the range of {scalar}")));
                        }
                        ints[k].push(v);
                        cols[k].push(0.0);
                    }
                    _ => {
                        let v: f64 = c.parse().map_err(|_| bad(&format!("a {scalar}")))?;
                        cols[k].push(v);
                        ints[k].push(0);
                    }
                }
            }
            n += 1;
        }
        if n == 0 {
            return Ok(None);
        }
        self.read += n;
        let mut fields = Vec::new();
        for (k, (name, scalar, option)) in f.iter().enumerate() {
            let data = match scalar.kind() {
                ScalarKind::Bool | ScalarKind::Signed | ScalarKind::Unsigned => {
                    let a = ArrayD::from_shape_vec(
                        IxDyn(&[n]),
                        ints[k].iter().map(|&v| v as i64).collect(),
                    )
                    .map_err(|e| self.err(&e.to_string()))?;
                    let a = Array::Int64(a);
                    if *scalar == Scalar::UInt64 {
                        let u = ArrayD::from_shape_vec(
                            IxDyn(&[n]),
                            ints[k].iter().map(|&v| v as u64).collect(),
                        )
                        .map_err(|e| self.err(&e.to_string()))?;
                        Array::UInt64(u)
                    } else {
                        kernels::cast(&a, *scalar)
                    }
                }
                _ => kernels::cast(
                    &Array::Float64(
                        ArrayD::from_shape_vec(IxDyn(&[n]), std::mem::take(&mut cols[k]))
                            .map_err(|e| self.err(&e.to_string()))?,
                    ),
                    *scalar,
                ),
            };
            let mask = if *option {
                Some(
                    ArrayD::from_shape_vec(IxDyn(&[n]), std::mem::take(&mut missing[k]))
                        .map_err(|e| self.err(&e.to_string()))?,
                )
            } else {
                None
            };
            fields.push((
                name.clone(),
                Value::Array {
                    data,
                    missing: mask,
                },
            ));
        }
        Ok(Some(Value::Record(fields)))
    }

    /// A block of no rows.
    pub fn empty_block(&self) -> Value {
        Value::Record(
            self.file
                .fields
                .iter()
                .map(|(name, scalar, option)| {
                    (
                        name.clone(),
                        Value::Array {
                            data: Array::zeros(*scalar, &[0]),
                            missing: option.then(|| ArrayD::from_elem(IxDyn(&[0]), false)),
                        },
                    )
                })
                .collect(),
        )
    }

    /// Checks the row count against a fixed one in the datashape.
    pub fn finish(&self) -> Result<usize, IoError> {
        match self.file.rows {
            Some(r) if r != self.read => Err(IoError::format(
                &self.file.path,
                IoErrorKind::TruncatedData,
                format!("the datashape says {r} rows, the file has {}", self.read),
            )),
            _ => Ok(self.read),
        }
    }
}

/// Joins record blocks of `file` along their rows.
fn concat_records(
    file: &Path,
    fields: &[(String, Scalar, bool)],
    parts: Vec<Value>,
) -> Result<Value, IoError> {
    let bad = |m: String| IoError::format(file, IoErrorKind::Request, m);
    let mut out = Vec::new();
    for (k, (name, scalar, option)) in fields.iter().enumerate() {
        let mut datas = Vec::new();
        let mut masks = Vec::new();
        for p in &parts {
            let Value::Record(fs) = p else {
                return Err(bad("a block is not a record".into()));
            };
            if let Value::Array { data, missing } = &fs[k].1 {
                datas.push(data.clone());
                masks.push(missing.clone());
            }
        }
        let data = if datas.is_empty() {
            Array::zeros(*scalar, &[0])
        } else {
            join_rows(&datas).map_err(bad)?
        };
        let missing = if *option {
            let all: Vec<bool> = masks
                .iter()
                .flat_map(|m| m.iter().flat_map(|a| a.iter().copied()))
                .collect();
            let n = all.len();
            Some(ArrayD::from_shape_vec(IxDyn(&[n]), all).map_err(|e| bad(e.to_string()))?)
        } else {
            None
        };
        out.push((name.clone(), Value::Array { data, missing }));
    }
    Ok(Value::Record(out))
}

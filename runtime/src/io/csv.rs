//! CSV files as record arrays (or views), read by blocks of rows.
//!
//! A CSV file is given a datashape: `var * {a: int32, b: ?float64}` (or a
//! fixed row count, `1000 * {…}`), one field per column in order — or
//! any row datashape whose leaves the columns fill in order
//! (`var * 2 * 3 * float64`, `var * {A: 3 * float64, B: 3 * float64}`;
//! see `csv/view.rs`) — or has it discovered from a sample of its rows
//! ([`CsvFile::open_discovered`]; the rules are `csv/sniff.rs`'s). Fields
//! are numbers, bools (`true`/`false`/`1`/`0`), `string`, `decimal[p, s]`
//! (parsed exactly), `date` (`YYYY-MM-DD`) or `datetime` (ISO 8601); an
//! option field (`?T`) reads an empty cell (or `NA` for the types that are
//! not strings; `nan` for floats stays NaN) as missing. Numbers become
//! arrays with missing masks; the other types become columns in Arrow's
//! layout. A first line equal to the field names is a header and skipped
//! (for a view: a first line with text in a number column). Cells may be
//! double-quoted (`""` is a quote inside). Every error names the file,
//! the line and the field. The reader takes a file or a stream
//! ([`super::stream`]).

use blaze_datashape::{Datashape, Dim};
use blaze_interp::{Array, Value};
use ndarray::{ArrayD, IxDyn};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

mod read;
pub(crate) mod sniff;
mod view;
pub use read::CsvReader;
pub(crate) use read::BOM;
use view::{Layout, Leaf};

use super::rows::join_rows;
use super::text::CellKind;
use super::{IoError, IoErrorKind, Location};
use arrow_array::{
    Array as _, ArrayRef, Date32Array, Decimal128Array, StringArray, TimestampMicrosecondArray,
};
use blaze_interp::Column;
use std::sync::Arc;

/// A CSV file with the datashape of its rows.
#[derive(Clone, Debug)]
pub struct CsvFile {
    path: PathBuf,
    /// The columns, in order (the leaves of the row datashape).
    fields: Vec<Leaf>,
    layout: Layout,
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
    /// Opens `path` with the datashape `ty` of its rows (`var * {…}`, or a
    /// view: `var * 2 * 3 * float64`, `var * {A: 3 * float64}`); its first
    /// line says whether there is a header.
    pub fn open(path: &Path, ty: &Datashape) -> Result<CsvFile, IoError> {
        CsvFile::open_with(path, ty, None)
    }

    /// Opens `path` with the datashape of its rows discovered from its
    /// first `sample` rows (see [`io::discover`](fn@crate::io::discover)).
    pub fn open_discovered(path: &Path, sample: usize) -> Result<CsvFile, IoError> {
        let found = discover(path, sample)?;
        CsvFile::open_with(path, &found.ty, Some(found.header))
    }

    fn open_with(path: &Path, ty: &Datashape, header: Option<bool>) -> Result<CsvFile, IoError> {
        let file = File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
        let mut raw = Vec::new();
        BufReader::new(file)
            .read_until(b'\n', &mut raw)
            .map_err(|e| IoError::os(path, "read error at line 1", e))?;
        CsvFile::with_first_line(path, ty, &raw, header)
    }

    /// A CSV source at `path` (a file, or a stream whose first line was
    /// read already) of datashape `ty` whose first line is `first`;
    /// `header` says whether it is a header, or `None` to decide from it:
    /// a header is a line of the field names (a record of one column a
    /// field), or, for a view, a line whose cells are not all numbers.
    pub(crate) fn with_first_line(
        path: &Path,
        ty: &Datashape,
        first: &[u8],
        header: Option<bool>,
    ) -> Result<CsvFile, IoError> {
        let bad_type = |m: String| IoError::format(path, IoErrorKind::UnsupportedDtype, m);
        let rows = match ty.dims.first() {
            Some(Dim::Var(_)) => None,
            Some(Dim::Fixed(n)) => Some(*n as usize),
            _ => {
                return Err(bad_type(format!(
                    "a CSV file is one dimension of rows, as in `var * {{a: int32, b: float64}}`; `{ty}` is not"
                )))
            }
        };
        let row = Datashape::new(ty.dims[1..].to_vec(), ty.measure.clone());
        let (fields, layout) = view::plan(&row).map_err(bad_type)?;
        let first = std::str::from_utf8(first).map_err(|_| {
            IoError::at(
                path,
                Location::Line {
                    line: 1,
                    field: None,
                },
                IoErrorKind::BadValue,
                "the line is not valid UTF-8",
            )
        })?;
        let first = first.strip_prefix('\u{feff}').unwrap_or(first);
        let first = first.trim_end_matches(['\n', '\r']);
        let cells = cells(first).ok();
        if let Some(c) = cells.as_ref().filter(|_| !layout.is_flat()) {
            if !first.trim().is_empty() && c.len() != fields.len() {
                return Err(IoError::at(
                    path,
                    Location::Line {
                        line: 1,
                        field: None,
                    },
                    IoErrorKind::BadValue,
                    format!(
                        "the line has {} cells; a row of `{row}` takes {}",
                        c.len(),
                        layout.describe(fields.len())
                    ),
                ));
            }
        }
        let header = header.unwrap_or_else(|| match &cells {
            Some(c) if layout.is_flat() => {
                c.len() == fields.len() && c.iter().zip(&fields).all(|(c, (f, _, _))| c.trim() == f)
            }
            Some(c) => c.iter().zip(&fields).any(|(c, (_, kind, _))| {
                let c = c.trim();
                matches!(kind, CellKind::Number(_))
                    && !c.is_empty()
                    && c != "NA"
                    && c.parse::<f64>().is_err()
                    && !matches!(c, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
            }),
            None => false,
        });
        Ok(CsvFile {
            path: path.to_path_buf(),
            fields,
            layout,
            rows,
            header,
            ty: ty.clone(),
        })
    }

    /// Whether the first line is a header (skipped).
    pub fn has_header(&self) -> bool {
        self.header
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
            .map(|(_, k, o)| {
                usize::from(*o)
                    + match k {
                        CellKind::Number(s) => s.size_bytes(),
                        CellKind::String => 32,
                        _ => 16,
                    }
            })
            .sum()
    }

    /// A reader from the first data line.
    pub fn reader(&self) -> Result<CsvReader, IoError> {
        CsvReader::new(self.clone())
    }

    /// The whole file as one value (a record array, or the view asked
    /// for).
    pub fn read_all(&self) -> Result<Value, IoError> {
        self.read_rest(self.reader()?)
    }

    /// Everything `r` has still to read, as one value.
    pub(crate) fn read_rest(&self, mut r: CsvReader) -> Result<Value, IoError> {
        let mut parts = Vec::new();
        let mut rows = 0usize;
        while let Some((b, n)) = r.next_leaves(1 << 20)? {
            parts.push(b);
            rows += n;
        }
        r.finish()?;
        let leaves = match parts.len() {
            0 => r.empty_leaves()?,
            1 => parts.pop().ok_or_else(|| {
                IoError::format(&self.path, IoErrorKind::Request, "no block".to_string())
            })?,
            _ => concat_records(&self.path, &self.fields, parts)?,
        };
        self.layout
            .assemble(leaves, rows)
            .map_err(|m| IoError::format(&self.path, IoErrorKind::BadValue, m))
    }
}

/// The datashape of the CSV file at `path` (`var * {…}`) and whether its
/// first line is a header, from its first `sample` rows (see
/// [`sniff`](self::sniff) for the rules).
pub(crate) fn discover(path: &Path, sample: usize) -> Result<sniff::Sniffed, IoError> {
    let file = File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
    let text = sniff::read_sample(&mut BufReader::new(file), sample)
        .map_err(|e| IoError::os(path, "read error", e))?;
    sniff::sniff(path, &text)
}

/// The Arrow array of a block of cells of a type kept in Arrow's layout:
/// `texts` for strings, `wide` for the others (`None` where missing).
fn text_array(
    kind: &CellKind,
    texts: Vec<Option<String>>,
    wide: Vec<Option<i128>>,
) -> Result<ArrayRef, String> {
    let narrow = |v: Option<i128>| {
        v.map(|x| i64::try_from(x).map_err(|_| "a datetime out of range".to_string()))
            .transpose()
    };
    Ok(match kind {
        CellKind::String => Arc::new(StringArray::from(texts)),
        CellKind::Decimal(p, s) => Arc::new(
            Decimal128Array::from(wide)
                .with_precision_and_scale(*p, *s)
                .map_err(|e| e.to_string())?,
        ),
        CellKind::Date => Arc::new(Date32Array::from(
            wide.into_iter()
                .map(|v| {
                    v.map(|x| i32::try_from(x).map_err(|_| "a date out of range".to_string()))
                        .transpose()
                })
                .collect::<Result<Vec<_>, _>>()?,
        )),
        CellKind::DateTime(tz) => Arc::new(
            TimestampMicrosecondArray::from(
                wide.into_iter()
                    .map(narrow)
                    .collect::<Result<Vec<_>, _>>()?,
            )
            .with_timezone_opt(tz.clone()),
        ),
        CellKind::Number(s) => return Err(format!("{s} is not kept in Arrow's layout")),
    })
}

/// A field of no rows.
fn empty_field(kind: &CellKind, option: bool) -> Result<Value, String> {
    Ok(match kind {
        CellKind::Number(scalar) => Value::Array {
            data: Array::zeros(*scalar, &[0]),
            missing: option.then(|| ArrayD::from_elem(IxDyn(&[0]), false)),
        },
        other => {
            let array = text_array(other, Vec::new(), Vec::new())?;
            Value::Column(Column::new(vec![0], array).map_err(|e| e.to_string())?)
        }
    })
}

/// Joins record blocks of `file` along their rows.
fn concat_records(file: &Path, fields: &[Leaf], parts: Vec<Value>) -> Result<Value, IoError> {
    let bad = |m: String| IoError::format(file, IoErrorKind::Request, m);
    let mut out = Vec::new();
    for (k, (name, kind, option)) in fields.iter().enumerate() {
        let CellKind::Number(scalar) = kind else {
            let mut arrays: Vec<ArrayRef> = Vec::new();
            for p in &parts {
                if let Value::Record(fs) = p {
                    if let Some((_, Value::Column(c))) = fs.get(k) {
                        arrays.push(c.array.clone());
                    }
                }
            }
            let v = if arrays.is_empty() {
                empty_field(kind, *option).map_err(bad)?
            } else {
                let refs: Vec<&dyn arrow_array::Array> =
                    arrays.iter().map(|a| a.as_ref()).collect();
                let all = arrow_select::concat::concat(&refs).map_err(|e| bad(e.to_string()))?;
                Value::Column(Column::new(vec![all.len()], all).map_err(|e| bad(e.to_string()))?)
            };
            out.push((name.clone(), v));
            continue;
        };
        let mut datas = Vec::new();
        let mut masks = Vec::new();
        for p in &parts {
            let Value::Record(fs) = p else {
                return Err(bad("a block is not a record".into()));
            };
            if let Some((_, Value::Array { data, missing })) = fs.get(k) {
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

/// Writes records of scalars as CSV: a header of the field names, then one
/// line a row; missing values are empty cells, strings are quoted when
/// they hold a comma, a quote or a line break, decimals are written exactly.
struct CsvWriter {
    out: std::io::BufWriter<File>,
    header: Option<Vec<String>>,
}

/// A CSV writer for records of `schema`; a field that is not a scalar (a
/// list, a record) is refused by name.
pub(crate) fn writer(
    file: File,
    schema: arrow_schema::SchemaRef,
) -> Result<Box<dyn super::table::BatchWriter>, String> {
    for f in schema.fields() {
        if f.data_type().is_nested() {
            return Err(format!(
                "field `{}` is {}; CSV holds records of scalars (write `.parquet`, `.arrow` or `.jsonl`)",
                f.name(),
                f.data_type()
            ));
        }
    }
    Ok(Box::new(CsvWriter {
        out: std::io::BufWriter::new(file),
        header: Some(schema.fields().iter().map(|f| f.name().clone()).collect()),
    }))
}

/// `text` as a CSV cell.
fn quoted(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) || text != text.trim() {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

impl super::table::BatchWriter for CsvWriter {
    fn write(&mut self, batch: &arrow_array::RecordBatch) -> Result<(), String> {
        use std::io::Write;
        let io = |e: std::io::Error| e.to_string();
        if let Some(h) = self.header.take() {
            let line: Vec<_> = h.iter().map(|n| quoted(n).into_owned()).collect();
            writeln!(self.out, "{}", line.join(",")).map_err(io)?;
        }
        let options = arrow_cast::display::FormatOptions::default().with_null("");
        let formatters = batch
            .columns()
            .iter()
            .map(|c| arrow_cast::display::ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let mut cell = String::new();
        for row in 0..batch.num_rows() {
            for (k, f) in formatters.iter().enumerate() {
                if k > 0 {
                    self.out.write_all(b",").map_err(io)?;
                }
                cell.clear();
                std::fmt::Write::write_fmt(&mut cell, format_args!("{}", f.value(row)))
                    .map_err(|e| e.to_string())?;
                self.out.write_all(quoted(&cell).as_bytes()).map_err(io)?;
            }
            self.out.write_all(b"\n").map_err(io)?;
        }
        Ok(())
    }

    fn close(self: Box<Self>) -> Result<File, String> {
        let mut me = *self;
        if let Some(h) = me.header.take() {
            use std::io::Write;
            let line: Vec<_> = h.iter().map(|n| quoted(n).into_owned()).collect();
            writeln!(me.out, "{}", line.join(",")).map_err(|e| e.to_string())?;
        }
        me.out.into_inner().map_err(|e| e.to_string())
    }
}

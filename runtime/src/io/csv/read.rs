//! Reading a CSV file's rows: the file is read in large byte chunks, a
//! block's lines are split at line boundaries into as many parts as the
//! thread pool has threads, and each part is checked as UTF-8 at once and
//! parsed straight from its bytes into typed column buffers (numbers,
//! string bytes and offsets, 128-bit decimals and times); the parts are
//! then joined in order. Errors name the line (counted in the file, blank
//! lines and the header included) and the field; the first error in the
//! file's order is the one reported.

use super::{CellKind, CsvFile};
use crate::io::text::{parse_date, parse_datetime, parse_decimal};
use crate::io::{IoError, IoErrorKind, Location};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, StringArray, TimestampMicrosecondArray,
};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use blaze_datashape::{Scalar, ScalarKind};
use blaze_interp::{kernels, Array, Column, Value};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
use std::fs::File;
use std::io::Read;
use std::sync::Arc;

/// Bytes read from the file at a time.
const CHUNK: usize = 4 << 20;

/// A block smaller than this is parsed on the calling thread.
const PARALLEL_BYTES: usize = 256 << 10;

/// The UTF-8 byte-order mark some programs put at the start of a file.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a CSV file's rows in order (from a file, or once from a stream).
pub struct CsvReader {
    file: CsvFile,
    source: Box<dyn Read + Send>,
    /// Bytes read and not yet parsed, from `start`.
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    /// Lines consumed so far (the header and blank lines included).
    line: usize,
    /// Rows read so far.
    read: usize,
}

/// One field's values in a part of a block.
#[derive(Default)]
struct ColumnBuf {
    floats: Vec<f64>,
    ints: Vec<i64>,
    uints: Vec<u64>,
    wide: Vec<i128>,
    bytes: Vec<u8>,
    /// The end of each string in `bytes`.
    ends: Vec<usize>,
    /// Per row, for option fields and strings: whether present.
    valid: Vec<bool>,
}

/// A parse error: the line (in the file), the field, the message.
struct CellError {
    line: usize,
    field: Option<String>,
    message: String,
}

impl std::fmt::Debug for CsvReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvReader")
            .field("file", &self.file)
            .field("line", &self.line)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

impl CsvReader {
    pub(super) fn new(file: CsvFile) -> Result<CsvReader, IoError> {
        let source =
            File::open(&file.path).map_err(|e| IoError::os(&file.path, "cannot open", e))?;
        CsvReader::over(file, Vec::new(), Box::new(source))
    }

    /// A reader of `file`'s rows from a stream, `prefix` being the bytes
    /// already read from it (the first line at least, for the header).
    pub(crate) fn over(
        file: CsvFile,
        prefix: Vec<u8>,
        source: Box<dyn Read + Send>,
    ) -> Result<CsvReader, IoError> {
        let mut r = CsvReader {
            file,
            source,
            buf: prefix,
            start: 0,
            eof: false,
            line: 0,
            read: 0,
        };
        // A byte-order mark is not part of the first cell.
        r.fill()?;
        if r.buf.starts_with(BOM) {
            r.start = BOM.len();
        }
        if r.file.header {
            let (_, end, _) = r.take_lines(1)?;
            r.start = end;
            r.line = 1;
        }
        Ok(r)
    }

    fn err(&self, line: usize, field: Option<&str>, msg: &str) -> IoError {
        IoError::at(
            &self.file.path,
            Location::Line {
                line,
                field: field.map(str::to_string),
            },
            IoErrorKind::BadValue,
            msg,
        )
    }

    /// Reads the next chunk of the file into the buffer; false at the end.
    fn fill(&mut self) -> Result<bool, IoError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let have = self.buf.len();
        self.buf.resize(have + CHUNK, 0);
        let mut got = 0;
        while got < CHUNK {
            match self.source.read(&mut self.buf[have + got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(have);
                    return Err(IoError::os(
                        &self.file.path,
                        format!("read error at line {}", self.line + 1),
                        e,
                    ));
                }
            }
        }
        self.buf.truncate(have + got);
        if got == 0 {
            self.eof = true;
        }
        Ok(got > 0)
    }

    /// Finds the next `n` lines that hold a row (blank lines are skipped
    /// but counted), reading more of the file as needed: the range of the
    /// buffer they span, where it ends, and the rows found (fewer than `n`
    /// only at the end of the file).
    fn take_lines(&mut self, n: usize) -> Result<(usize, usize, usize), IoError> {
        let mut rows = 0;
        let mut at = self.start;
        loop {
            while rows < n {
                let Some(nl) = memchr::memchr(b'\n', &self.buf[at..]) else {
                    break;
                };
                if !is_blank(&self.buf[at..at + nl]) {
                    rows += 1;
                }
                at += nl + 1;
            }
            if rows == n {
                return Ok((self.start, at, rows));
            }
            let offset = at - self.start;
            let more = self.fill()?;
            at = self.start + offset;
            if !more {
                // The last line may have no line break.
                if at < self.buf.len() {
                    if !is_blank(&self.buf[at..]) {
                        rows += 1;
                    }
                    at = self.buf.len();
                }
                return Ok((self.start, at, rows));
            }
        }
    }

    /// The next up to `max` rows as a record of arrays (or the view the
    /// datashape asks for); `None` at the end.
    pub fn next_block(&mut self, max: usize) -> Result<Option<Value>, IoError> {
        Ok(self.next_rows(max)?.map(|(v, _)| v))
    }

    /// The next up to `max` rows, as [`next_block`](Self::next_block)
    /// gives them, and their count; `None` at the end.
    pub fn next_rows(&mut self, max: usize) -> Result<Option<(Value, usize)>, IoError> {
        let Some((leaves, rows)) = self.next_leaves(max)? else {
            return Ok(None);
        };
        let v = self
            .file
            .layout
            .assemble(leaves, rows)
            .map_err(|m| self.err(self.line, None, &m))?;
        Ok(Some((v, rows)))
    }

    /// The next up to `max` rows as a record of one value per column, and
    /// their count; `None` at the end.
    pub(super) fn next_leaves(&mut self, max: usize) -> Result<Option<(Value, usize)>, IoError> {
        let (from, to, rows) = self.take_lines(max.max(1))?;
        if rows == 0 {
            self.start = to;
            return Ok(None);
        }
        let first_line = self.line + 1;
        let text = &self.buf[from..to];
        let parts = split_lines(text, first_line);
        let fields = &self.file.fields;
        let width = if self.file.layout.is_flat() {
            format!("the datashape has {} fields", fields.len())
        } else {
            format!("a row takes {}", self.file.layout.describe(fields.len()))
        };
        let width = width.as_str();
        let parsed: Vec<Result<Vec<ColumnBuf>, CellError>> = if parts.len() > 1 {
            parts
                .par_iter()
                .map(|&(a, b, line)| parse_part(&text[a..b], line, fields, width))
                .collect()
        } else {
            parts
                .iter()
                .map(|&(a, b, line)| parse_part(&text[a..b], line, fields, width))
                .collect()
        };
        let mut done = Vec::with_capacity(parsed.len());
        for p in parsed {
            match p {
                Ok(cols) => done.push(cols),
                Err(e) => return Err(self.err(e.line, e.field.as_deref(), &e.message)),
            }
        }
        self.line += memchr::memchr_iter(b'\n', text).count();
        self.start = to;
        if to == self.buf.len() && self.eof {
            self.buf.clear();
            self.start = 0;
        }
        self.read += rows;
        let value = join_parts(fields, done, rows).map_err(|m| self.err(first_line, None, &m))?;
        Ok(Some((value, rows)))
    }

    /// A block of no rows.
    pub fn empty_block(&self) -> Result<Value, IoError> {
        let leaves = self.empty_leaves()?;
        self.file
            .layout
            .assemble(leaves, 0)
            .map_err(|m| self.err(self.line, None, &m))
    }

    /// A record of no rows, one value per column.
    pub(super) fn empty_leaves(&self) -> Result<Value, IoError> {
        self.file
            .fields
            .iter()
            .map(|(name, kind, option)| {
                super::empty_field(kind, *option)
                    .map(|v| (name.clone(), v))
                    .map_err(|m| self.err(self.line, None, &m))
            })
            .collect::<Result<_, _>>()
            .map(Value::Record)
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

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// `text` (whole lines) split into up to one part per thread at line
/// boundaries: `(start, end, first line number)`.
fn split_lines(text: &[u8], first_line: usize) -> Vec<(usize, usize, usize)> {
    let threads = rayon::current_num_threads().max(1);
    if text.len() < PARALLEL_BYTES || threads == 1 {
        return vec![(0, text.len(), first_line)];
    }
    let mut parts = Vec::with_capacity(threads);
    let (mut a, mut line) = (0, first_line);
    for k in 1..=threads {
        let target = text.len() * k / threads;
        let b = if k == threads || target <= a {
            text.len()
        } else {
            match memchr::memchr(b'\n', &text[target..]) {
                Some(nl) => target + nl + 1,
                None => text.len(),
            }
        };
        if b > a {
            parts.push((a, b, line));
            line += memchr::memchr_iter(b'\n', &text[a..b]).count();
        }
        a = b;
        if a == text.len() {
            break;
        }
    }
    parts
}

/// The cells of one line (without its line break): double quotes around a
/// cell (after optional blanks) make commas inside it text, `""` is a
/// quote; text after a closing quote belongs to the cell.
fn split_cells<'a>(
    line: &'a [u8],
    cells: &mut Vec<std::borrow::Cow<'a, [u8]>>,
) -> Result<(), String> {
    use std::borrow::Cow;
    cells.clear();
    let mut at = 0;
    loop {
        let rest = &line[at..];
        let lead = rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t'))
            .unwrap_or(rest.len());
        if rest.get(lead) == Some(&b'"') {
            let mut cell = Vec::new();
            let mut i = at + lead + 1;
            loop {
                match memchr::memchr(b'"', &line[i..]) {
                    None => return Err("a quoted cell is not closed on its line".into()),
                    Some(q) => {
                        cell.extend_from_slice(&line[i..i + q]);
                        i += q + 1;
                        if line.get(i) == Some(&b'"') {
                            cell.push(b'"');
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            // Text after the closing quote, up to the next comma.
            let end = memchr::memchr(b',', &line[i..]).map_or(line.len(), |c| i + c);
            cell.extend_from_slice(&line[i..end]);
            cells.push(Cow::Owned(cell));
            if end == line.len() {
                return Ok(());
            }
            at = end + 1;
        } else {
            match memchr::memchr(b',', rest) {
                Some(c) => {
                    cells.push(Cow::Borrowed(&rest[..c]));
                    at += c + 1;
                }
                None => {
                    cells.push(Cow::Borrowed(rest));
                    return Ok(());
                }
            }
        }
    }
}

/// `s` without leading and trailing blanks.
fn trim(s: &[u8]) -> &[u8] {
    let a = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let b = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(a, |p| p + 1);
    &s[a..b]
}

/// An integer from its digits (an optional sign first); `None` when it is
/// not one or does not fit in 64 bits (the caller parses it again to say
/// which).
fn parse_i64(c: &[u8]) -> Option<i64> {
    let (neg, digits) = match c.first()? {
        b'-' => (true, &c[1..]),
        b'+' => (false, &c[1..]),
        _ => (false, c),
    };
    if digits.is_empty() || digits.len() > 18 {
        return std::str::from_utf8(c).ok()?.parse().ok();
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Some(if neg { -v } else { v })
}

/// Checks and parses the lines of `text` (whole lines), the first being
/// line `first_line` of the file, into one buffer per field.
fn parse_part(
    text: &[u8],
    first_line: usize,
    fields: &[(String, CellKind, bool)],
    width: &str,
) -> Result<Vec<ColumnBuf>, CellError> {
    if let Err(e) = std::str::from_utf8(text) {
        let bad = e.valid_up_to();
        return Err(CellError {
            line: first_line + memchr::memchr_iter(b'\n', &text[..bad]).count(),
            field: None,
            message: "the line is not valid UTF-8".into(),
        });
    }
    let mut cols: Vec<ColumnBuf> = fields.iter().map(|_| ColumnBuf::default()).collect();
    let mut cells = Vec::with_capacity(fields.len());
    for (this, raw) in (first_line..).zip(text.split(|&b| b == b'\n')) {
        let l = raw.strip_suffix(b"\r").unwrap_or(raw);
        if is_blank(l) {
            continue;
        }
        let at = |field: Option<&str>, message: String| CellError {
            line: this,
            field: field.map(str::to_string),
            message,
        };
        split_cells(l, &mut cells).map_err(|m| at(None, m))?;
        if cells.len() != fields.len() {
            return Err(at(None, format!("{} cells, but {width}", cells.len())));
        }
        for ((cell, (name, kind, option)), col) in cells.iter().zip(fields).zip(&mut cols) {
            let c = trim(cell);
            // The block was checked as UTF-8 and cells are cut at ASCII
            // bytes, so each is UTF-8 too.
            let text_of = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let bad = |what: String| {
                at(
                    Some(name),
                    format!("field `{name}`: `{}` is not {what}", text_of(c)),
                )
            };
            let na = c.is_empty() || c == b"NA";
            match kind {
                CellKind::String => {
                    let present = !(*option && c.is_empty());
                    if present {
                        col.bytes.extend_from_slice(cell);
                    }
                    col.ends.push(col.bytes.len());
                    col.valid.push(present);
                }
                CellKind::Number(scalar) => {
                    if *option {
                        col.valid.push(!na);
                    }
                    if na && *option {
                        match scalar.kind() {
                            ScalarKind::Float => col.floats.push(0.0),
                            _ if *scalar == Scalar::UInt64 => col.uints.push(0),
                            _ => col.ints.push(0),
                        }
                        continue;
                    }
                    match scalar.kind() {
                        ScalarKind::Bool => {
                            let v = match c {
                                b"true" | b"True" | b"TRUE" | b"1" => 1,
                                b"false" | b"False" | b"FALSE" | b"0" => 0,
                                _ => return Err(bad("a bool".into())),
                            };
                            col.ints.push(v);
                        }
                        ScalarKind::Signed | ScalarKind::Unsigned => {
                            let v: i128 = match parse_i64(c) {
                                Some(v) => i128::from(v),
                                None => std::str::from_utf8(c)
                                    .ok()
                                    .and_then(|s| s.parse().ok())
                                    .ok_or_else(|| bad(format!("an {scalar}")))?,
                            };
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
                                return Err(bad(format!("in the range of {scalar}")));
                            }
                            if *scalar == Scalar::UInt64 {
                                col.uints.push(v as u64);
                            } else {
                                col.ints.push(v as i64);
                            }
                        }
                        _ => {
                            let v: f64 = std::str::from_utf8(c)
                                .ok()
                                .and_then(|s| s.parse().ok())
                                .ok_or_else(|| bad(format!("a {scalar}")))?;
                            col.floats.push(v);
                        }
                    }
                }
                other => {
                    if *option && na {
                        col.valid.push(false);
                        col.wide.push(0);
                        continue;
                    }
                    let s = std::str::from_utf8(c).map_err(|_| bad("UTF-8".into()))?;
                    let v = match other {
                        CellKind::Decimal(p, sc) => parse_decimal(s, *p, *sc),
                        CellKind::Date => parse_date(s).map(i128::from),
                        _ => parse_datetime(s).map(i128::from),
                    }
                    .map_err(|m| at(Some(name), format!("field `{name}`: {m}")))?;
                    col.valid.push(true);
                    col.wide.push(v);
                }
            }
        }
    }
    Ok(cols)
}

/// The parts of a block joined, field by field, into a record of `rows`
/// rows.
fn join_parts(
    fields: &[(String, CellKind, bool)],
    mut parts: Vec<Vec<ColumnBuf>>,
    rows: usize,
) -> Result<Value, String> {
    let mut out = Vec::with_capacity(fields.len());
    for (k, (name, kind, option)) in fields.iter().enumerate() {
        let mut taken = parts
            .iter_mut()
            .map(|part| part.get_mut(k).map(std::mem::take));
        // The first part's buffers are kept and the others appended.
        let mut all = taken.next().flatten().unwrap_or_default();
        for p in taken {
            let p = p.ok_or("a part of the block lost a field")?;
            let shift = all.bytes.len();
            all.bytes.extend_from_slice(&p.bytes);
            all.ends.extend(p.ends.iter().map(|e| e + shift));
            all.floats.extend_from_slice(&p.floats);
            all.ints.extend_from_slice(&p.ints);
            all.uints.extend_from_slice(&p.uints);
            all.wide.extend_from_slice(&p.wide);
            all.valid.extend_from_slice(&p.valid);
        }
        out.push((name.clone(), field_value(kind, *option, all, rows)?));
    }
    Ok(Value::Record(out))
}

/// One field's buffers as a value of `rows` rows.
fn field_value(kind: &CellKind, option: bool, c: ColumnBuf, rows: usize) -> Result<Value, String> {
    let shape = IxDyn(&[rows]);
    let nulls = |valid: &[bool]| {
        let n = NullBuffer::from(BooleanArray::from(valid.to_vec()).values().clone());
        (n.null_count() > 0).then_some(n)
    };
    let array: ArrayRef = match kind {
        CellKind::Number(scalar) => {
            let e = |e: ndarray::ShapeError| e.to_string();
            let data = match scalar.kind() {
                ScalarKind::Float => {
                    let a =
                        Array::Float64(ArrayD::from_shape_vec(shape.clone(), c.floats).map_err(e)?);
                    if *scalar == Scalar::Float64 {
                        a
                    } else {
                        kernels::cast(&a, *scalar)
                    }
                }
                _ if *scalar == Scalar::UInt64 => {
                    Array::UInt64(ArrayD::from_shape_vec(shape.clone(), c.uints).map_err(e)?)
                }
                _ => {
                    let a = Array::Int64(ArrayD::from_shape_vec(shape.clone(), c.ints).map_err(e)?);
                    if *scalar == Scalar::Int64 {
                        a
                    } else {
                        kernels::cast(&a, *scalar)
                    }
                }
            };
            let missing = if option {
                let m: Vec<bool> = c.valid.iter().map(|v| !v).collect();
                Some(ArrayD::from_shape_vec(shape, m).map_err(e)?)
            } else {
                None
            };
            return Ok(Value::Array { data, missing });
        }
        CellKind::String => {
            let mut offsets = Vec::with_capacity(c.ends.len() + 1);
            offsets.push(0i32);
            for &e in &c.ends {
                offsets.push(i32::try_from(e).map_err(|_| {
                    "a block of strings over 2 GiB (Arrow's 32-bit offsets)".to_string()
                })?);
            }
            let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
            Arc::new(
                StringArray::try_new(offsets, Buffer::from_vec(c.bytes), nulls(&c.valid))
                    .map_err(|e| e.to_string())?,
            )
        }
        CellKind::Decimal(p, s) => Arc::new(
            Decimal128Array::try_new(ScalarBuffer::from(c.wide), nulls(&c.valid))
                .and_then(|a| a.with_precision_and_scale(*p, *s))
                .map_err(|e| e.to_string())?,
        ),
        CellKind::Date => {
            let days = c
                .wide
                .iter()
                .map(|&x| i32::try_from(x).map_err(|_| "a date out of range".to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            Arc::new(
                Date32Array::try_new(ScalarBuffer::from(days), nulls(&c.valid))
                    .map_err(|e| e.to_string())?,
            )
        }
        CellKind::DateTime(tz) => {
            let us = c
                .wide
                .iter()
                .map(|&x| i64::try_from(x).map_err(|_| "a datetime out of range".to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            Arc::new(
                TimestampMicrosecondArray::try_new(ScalarBuffer::from(us), nulls(&c.valid))
                    .map_err(|e| e.to_string())?
                    .with_timezone_opt(tz.clone()),
            )
        }
    };
    Ok(Value::Column(
        Column::new(vec![rows], array).map_err(|e| e.to_string())?,
    ))
}

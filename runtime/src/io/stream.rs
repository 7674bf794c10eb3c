//! Stream-like sources: standard input (the path `-`) and named pipes
//! (FIFOs), read once, in one sequential pass, by blocks of rows — never
//! mapped or read by position.
//!
//! The format is CSV or JSON lines: a pipe's extension says which
//! (`.csv`; `.jsonl`, `.ndjson`, `.json`); otherwise the first non-blank
//! byte does: `{` is JSON lines, anything else CSV. Opening reads the
//! first line (a CSV header is found there) — or, without a datashape,
//! the first 1,000 rows, from which the datashape is discovered as for a
//! file — and keeps those bytes for the reader. [`RowSource::blocks`] or
//! [`RowSource::read_all`] may then be called once; a second call is an
//! error saying the source is a stream.

use super::csv::{sniff, CsvFile, CsvReader};
use super::{IoError, IoErrorKind, RowReader, RowSource};
use blaze_datashape::Datashape;
use blaze_interp::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Rows sampled to discover a stream's datashape when none is given.
pub const SAMPLE_ROWS: usize = 1000;

/// The path that names standard input.
pub const STDIN: &str = "-";

/// Whether `path` is read as a stream: `-` (standard input) or a named
/// pipe.
pub fn is_stream(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    path.as_os_str() == STDIN || std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// What the stream holds.
#[derive(Debug)]
enum Kind {
    Csv(Box<CsvFile>),
    Json,
}

/// The bytes read already and the rest of the stream, until a reader
/// takes them.
struct Pending {
    prefix: Vec<u8>,
    rest: Box<dyn Read + Send>,
}

/// A stream of CSV or JSON lines rows; see the [module documentation](self).
pub struct StreamSource {
    path: PathBuf,
    ty: Datashape,
    kind: Kind,
    pending: Mutex<Option<Pending>>,
}

impl std::fmt::Debug for StreamSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamSource")
            .field("path", &self.path)
            .field("ty", &self.ty)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The name of `path` in messages: `<stdin>` for `-`.
fn shown(path: &Path) -> PathBuf {
    if path.as_os_str() == STDIN {
        PathBuf::from("<stdin>")
    } else {
        path.to_path_buf()
    }
}

/// Whether the rows are JSON lines: by the extension, else by the first
/// non-blank byte.
fn is_json(path: &Path, prefix: &[u8]) -> bool {
    let ext = |e: &str| path.extension().is_some_and(|x| x.eq_ignore_ascii_case(e));
    if ext("csv") {
        return false;
    }
    if ext("jsonl") || ext("ndjson") || ext("json") {
        return true;
    }
    let body = prefix.strip_prefix(super::csv::BOM).unwrap_or(prefix);
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

impl StreamSource {
    /// Opens the stream at `path` (`-` for standard input) with the
    /// datashape of its rows, or discovers it from the first `sample` rows.
    pub fn open(
        path: &Path,
        datashape: Option<&Datashape>,
        sample: usize,
    ) -> Result<StreamSource, IoError> {
        let name = shown(path);
        let input: Box<dyn Read + Send> = if path.as_os_str() == STDIN {
            Box::new(std::io::stdin())
        } else {
            Box::new(std::fs::File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?)
        };
        let mut r = BufReader::with_capacity(1 << 16, input);
        let want = if datashape.is_some() { 0 } else { sample };
        let mut prefix =
            sniff::read_sample(&mut r, want).map_err(|e| IoError::os(&name, "read error", e))?;
        let sampled = prefix.len();
        prefix.extend_from_slice(r.buffer());
        let rest = r.into_inner();
        let sample_text = &prefix[..sampled];
        let (ty, kind) = if is_json(path, sample_text) {
            let ty = match datashape {
                Some(t) => t.clone(),
                None => super::json::discover(&name, sample_text)?,
            };
            (ty, Kind::Json)
        } else {
            let (ty, header) = match datashape {
                Some(t) => (t.clone(), None),
                None => {
                    let s = sniff::sniff(&name, sample_text)?;
                    (s.ty, Some(s.header))
                }
            };
            let first = prefix
                .iter()
                .position(|&b| b == b'\n')
                .map_or(&prefix[..], |nl| &prefix[..=nl]);
            let file = CsvFile::with_first_line(&name, &ty, first, header)?;
            (ty, Kind::Csv(Box::new(file)))
        };
        if let Kind::Json = kind {
            // Checked now, so a bad datashape is refused before a run.
            super::json::StreamReader::new(&name, &ty, Box::new(std::io::empty()))?;
        }
        Ok(StreamSource {
            path: name,
            ty,
            kind,
            pending: Mutex::new(Some(Pending { prefix, rest })),
        })
    }

    /// The stream's bytes, once.
    fn take(&self) -> Result<Pending, IoError> {
        let taken = match self.pending.lock() {
            Ok(mut p) => p.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        taken.ok_or_else(|| {
            IoError::format(
                &self.path,
                IoErrorKind::Request,
                "the source is a stream: it is read once, in one pass, and was read already",
            )
        })
    }

    fn json_reader(&self, p: Pending) -> Result<super::json::StreamReader, IoError> {
        let input: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(
            1 << 20,
            std::io::Cursor::new(p.prefix).chain(p.rest),
        ));
        super::json::StreamReader::new(&self.path, &self.ty, input)
    }
}

impl RowSource for StreamSource {
    fn path(&self) -> &Path {
        &self.path
    }

    fn datashape(&self) -> Datashape {
        self.ty.clone()
    }

    fn row_bytes(&self) -> usize {
        match &self.kind {
            Kind::Csv(f) => 3 * f.row_bytes() + 32,
            // A number, string or list a field, and the batch it is
            // decoded in.
            Kind::Json => super::schema::row_fields(&self.ty)
                .map_or(1, |f| f.len())
                .saturating_mul(64)
                .saturating_add(64),
        }
    }

    fn bytes(&self) -> u64 {
        // Not known before the stream is read.
        0
    }

    fn is_stream(&self) -> bool {
        true
    }

    fn blocks(&self) -> Result<Box<dyn RowReader + '_>, IoError> {
        let p = self.take()?;
        Ok(match &self.kind {
            Kind::Csv(f) => Box::new(CsvReader::over(f.as_ref().clone(), p.prefix, p.rest)?),
            Kind::Json => Box::new(self.json_reader(p)?),
        })
    }

    fn read_all(&self) -> Result<Value, IoError> {
        let p = self.take()?;
        match &self.kind {
            Kind::Csv(f) => f.read_rest(CsvReader::over(f.as_ref().clone(), p.prefix, p.rest)?),
            Kind::Json => self.json_reader(p)?.read_rest(),
        }
    }
}

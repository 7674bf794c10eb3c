//! Many files as one array: a glob (`measurements/*.csv`, `runs/**/*.parquet`)
//! or a directory that is not a Zarr array (its data files, all of one
//! format), read as one [`RowSource`].
//!
//! Files come in natural order ([`glob`](super::glob)). Each is opened
//! with [`open`](super::open), so every format blaze reads works here.
//!
//! - **Concatenated** (the default): the rows of every file in order. The
//!   datashape is the first file's with the first dimension the sum of
//!   the rows (`var` when a file knows its rows only at the end, as CSV).
//!   Every file must have the same row datashape. A block never spans two
//!   files.
//! - **Stacked**: when the annotation has more dimensions than one file's
//!   datashape (`d/*/*.npy:N * M * 4 * 5 * float64`), its leading
//!   dimensions are the pattern's wildcard levels (the last of them takes
//!   every file below the ones before); each is a fixed size, a symbol
//!   (bound to the count) or `var` where the groups of a level differ in
//!   size. Every file must have the same datashape. A block is some whole
//!   groups of the first level, its files decoded in parallel; when a
//!   program reduces the levels together (a mean image), the session reads
//!   the files as rows instead, one file a row ([`RowSource::files_as_rows`]).
//!
//! An annotation that starts with `var` never stacks: it is the
//! datashape of each file's rows, which concatenate. Without an
//! annotation, images stack by the pattern's levels (one level over every
//! file under `**`) and other files concatenate. [`structure`] is the
//! datashape that shows the levels, whatever the format.

mod combine;
mod flat;

use super::glob::{self, Match};
use super::{Format, IoError, IoErrorKind, RowBlock, RowReader, RowSource};
use blaze_datashape::{Datashape, Dim, Measure};
use blaze_interp::Value;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Whether `path` names many files: a directory without Zarr metadata (and
/// not named `….zarr`), or a pattern with wildcards that is not itself an
/// existing path.
pub fn is_many(path: &Path) -> bool {
    if path.is_dir() {
        let zarr = path.join("zarr.json").exists()
            || path.join(".zarray").exists()
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zarr"));
        return !zarr;
    }
    !path.exists() && path.to_str().is_some_and(glob::is_pattern)
}

/// The extensions of the data files a directory contributes.
const DATA_EXTENSIONS: &[&str] = &[
    "npy", "csv", "parquet", "pq", "arrow", "feather", "ipc", "jsonl", "ndjson", "json", "png",
];

/// A group of files: one file, or a directory level of a stacked glob.
#[derive(Debug)]
enum Node {
    File(usize),
    Dir(PathBuf, Vec<Node>),
}

impl Node {
    /// The files below, in order.
    fn files(&self, out: &mut Vec<usize>) {
        match self {
            Node::File(i) => out.push(*i),
            Node::Dir(_, c) => c.iter().for_each(|n| n.files(out)),
        }
    }
}

/// Several files read as one array (see the module doc).
#[derive(Debug)]
pub struct ManyFiles {
    pattern: PathBuf,
    files: Arc<[Box<dyn RowSource>]>,
    datashape: Datashape,
    /// The rows of a stacked input (groups of the first level); `None`
    /// for concatenated files.
    stacked: Option<Vec<Node>>,
    /// How many leading dimensions are the pattern's levels (0: the files
    /// concatenate).
    levels: usize,
}

impl ManyFiles {
    /// Opens every file `path` names (a pattern or a directory), by their
    /// headers; `datashape` is the annotation of the whole (see the module
    /// doc for how it applies to each file).
    pub fn open(path: &Path, datashape: Option<&Datashape>) -> Result<ManyFiles, IoError> {
        let err = |m: String| IoError::format(path, IoErrorKind::Request, m);
        let (matches, levels) = listing(path)?;
        let first = matches
            .first()
            .ok_or_else(|| err("no file matches".into()))?;
        let format = Format::of(&first.path);
        if let Some(m) = matches.iter().find(|m| Format::of(&m.path) != format) {
            return Err(err(format!(
                "files of different formats: `{}` ({format:?}) and `{}` ({:?})",
                first.path.display(),
                m.path.display(),
                Format::of(&m.path)
            )));
        }
        let k = stacked_levels(path, &first.path, datashape, levels, format)?;
        let per_file = match (datashape, k) {
            (None, _) => None,
            (Some(a), 0) => {
                let mut a = a.clone();
                if let Some(d) = a.dims.first_mut() {
                    *d = Dim::Var(None);
                }
                Some(a)
            }
            (Some(a), k) => Some(Datashape::new(a.dims[k..].to_vec(), a.measure.clone())),
        };
        let files: Vec<Box<dyn RowSource>> = matches
            .par_iter()
            // Array files are checked against the annotation below (a
            // view of their bytes applies to one file, not to a glob).
            .map(|m| {
                let array = matches!(format, Format::Npy | Format::Zarr);
                super::open(&m.path, per_file.as_ref().filter(|_| !array))
            })
            .collect::<Result<_, _>>()?;
        let one = files[0].as_ref();
        if let Some(a) = &per_file {
            check_annotation(one, a, k == 0)?;
        }
        let (datashape, stacked) = if k == 0 {
            (concatenated(path, &files)?, None)
        } else {
            same_datashapes(path, &files)?;
            let rows = build(&matches, 0, k);
            let dims = level_dims(path, &rows, datashape, k)?;
            let file = one.datashape();
            let mut all = dims;
            all.extend(file.dims);
            (Datashape::new(all, file.measure), Some(rows))
        };
        if datashape.dims.len() > 64 {
            return Err(err(format!("`{datashape}` has more than 64 dimensions")));
        }
        Ok(ManyFiles {
            pattern: path.to_path_buf(),
            files: files.into(),
            datashape,
            stacked,
            levels: k,
        })
    }

    /// The files, in the order they are read.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path())
    }

    /// Whether the files are stacked (rather than concatenated).
    pub fn is_stacked(&self) -> bool {
        self.stacked.is_some()
    }

    /// The files of `rows` read in parallel and put together along a new
    /// first axis.
    fn read_rows(&self, rows: &[Node]) -> Result<Value, IoError> {
        let mut order = Vec::new();
        rows.iter().for_each(|n| n.files(&mut order));
        let values: Vec<Value> = order
            .par_iter()
            .map(|&i| self.files[i].read_all())
            .collect::<Result<_, _>>()?;
        let mut values = values.into_iter();
        let parts = rows
            .iter()
            .map(|n| self.assemble(n, 1, &mut values))
            .collect::<Result<Vec<_>, _>>()?;
        self.combine(&self.pattern, parts, 0)
    }

    /// The value of `node`, at `depth` below the top, from the values of
    /// its files in order.
    fn assemble(
        &self,
        node: &Node,
        depth: usize,
        values: &mut impl Iterator<Item = Value>,
    ) -> Result<Value, IoError> {
        match node {
            Node::File(i) => values.next().ok_or_else(|| {
                IoError::format(
                    self.files[*i].path(),
                    IoErrorKind::Request,
                    "a file was not read",
                )
            }),
            Node::Dir(dir, children) => {
                let parts = children
                    .iter()
                    .map(|c| self.assemble(c, depth + 1, values))
                    .collect::<Result<Vec<_>, _>>()?;
                self.combine(dir, parts, depth)
            }
        }
    }

    /// `parts` along the axis of dimension `depth`: a list column when the
    /// parts' own first dimension is `var`, else stacked.
    fn combine(&self, at: &Path, parts: Vec<Value>, depth: usize) -> Result<Value, IoError> {
        put_together(&self.datashape, at, parts, depth)
    }

    fn estimate(f: &dyn RowSource) -> usize {
        match f.rows() {
            Some(r) => r.saturating_mul(f.row_bytes()),
            None => usize::try_from(f.bytes())
                .unwrap_or(usize::MAX)
                .saturating_mul(3),
        }
    }
}

/// `parts` along the axis of dimension `depth` of `datashape`: a list
/// column when the parts' own first dimension is `var`, else stacked.
fn put_together(
    datashape: &Datashape,
    at: &Path,
    parts: Vec<Value>,
    depth: usize,
) -> Result<Value, IoError> {
    let ragged = matches!(datashape.dims.get(depth + 1), Some(Dim::Var(_)));
    let r = if ragged {
        combine::to_list(parts)
    } else {
        combine::stack(parts)
    };
    r.map_err(|m| {
        IoError::format(
            at,
            IoErrorKind::Request,
            format!("putting the files together: {m}"),
        )
    })
}

/// The files `path` names (a pattern or a directory) and the number of
/// its wildcard levels (a directory has one; `None` for `**`).
fn listing(path: &Path) -> Result<(Vec<Match>, Option<usize>), IoError> {
    if path.is_dir() {
        return Ok((data_files(path)?, Some(1)));
    }
    let text = path
        .to_str()
        .ok_or_else(|| IoError::format(path, IoErrorKind::Request, "a pattern must be UTF-8"))?;
    Ok((glob::expand(text)?, glob::levels(text)))
}

/// The structure of the files `path` names, what `blaze discover` prints
/// for a pattern: one dimension for each wildcard level (one for a
/// directory, and one over every file under `**`), each the count of its
/// groups or `var` where they differ in size, then the files' datashape
/// with `var` where files differ. `file` is the files' datashape when the
/// caller knows it better (CSV columns typed across every file); else
/// each file is opened by its header.
pub fn structure(path: &Path, file: Option<Datashape>) -> Result<Datashape, IoError> {
    let (matches, levels) = listing(path)?;
    let k = levels.unwrap_or(1).max(1);
    let rows = build(&matches, 0, k);
    let mut dims = level_dims(path, &rows, None, k)?;
    let file = match file {
        Some(f) => f,
        None => {
            let files: Vec<Box<dyn RowSource>> = matches
                .par_iter()
                .map(|m| super::open(&m.path, None))
                .collect::<Result<_, _>>()?;
            common_datashape(path, &files)?
        }
    };
    dims.extend(file.dims);
    Ok(Datashape::new(dims, file.measure))
}

/// The datashape of every file, `var` where their dimensions differ; files
/// of another rank or element type are an error naming the first two.
fn common_datashape(path: &Path, files: &[Box<dyn RowSource>]) -> Result<Datashape, IoError> {
    let first = files
        .first()
        .ok_or_else(|| IoError::format(path, IoErrorKind::Request, "no file matches"))?;
    let mut ds = first.datashape();
    for f in &files[1..] {
        let t = f.datashape();
        if t.dims.len() != ds.dims.len() || t.measure != ds.measure {
            return Err(IoError::format(
                path,
                IoErrorKind::Request,
                format!(
                    "the files differ: `{}` is `{ds}` but `{}` is `{t}`",
                    first.path().display(),
                    f.path().display()
                ),
            ));
        }
        for (d, e) in ds.dims.iter_mut().zip(&t.dims) {
            if d != e {
                *d = Dim::Var(None);
            }
        }
    }
    Ok(ds)
}

/// The data files of directory `dir` (not hidden, with a data file's
/// extension), in natural order.
fn data_files(dir: &Path) -> Result<Vec<Match>, IoError> {
    let read = std::fs::read_dir(dir).map_err(|e| IoError::os(dir, "listing the directory", e))?;
    let mut names = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| IoError::os(dir, "listing the directory", e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let path = dir.join(&name);
        let data = Path::new(&name)
            .extension()
            .is_some_and(|e| DATA_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)));
        if !name.starts_with('.') && data && path.is_file() {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(IoError::format(
            dir,
            IoErrorKind::Request,
            "neither a Zarr array (no zarr.json or .zarray) nor a directory of data files",
        ));
    }
    names.sort_by(|a, b| glob::natural(a, b));
    Ok(names
        .into_iter()
        .map(|n| Match {
            path: dir.join(&n),
            levels: vec![dir.join(&n)],
        })
        .collect())
}

/// How many leading dimensions of the annotation are the pattern's levels
/// (0: the files concatenate). Without an annotation, images stack by
/// every level (their rows are not records to join) and other files
/// concatenate.
fn stacked_levels(
    path: &Path,
    first: &Path,
    annotation: Option<&Datashape>,
    levels: Option<usize>,
    format: Format,
) -> Result<usize, IoError> {
    let Some(a) = annotation else {
        return Ok(match format {
            Format::Png => levels.unwrap_or(1).max(1),
            _ => 0,
        });
    };
    if a.dims.len() < 2 || matches!(a.dims.first(), Some(Dim::Var(_))) {
        return Ok(0);
    }
    // The rank of one file as it describes itself; a table file that needs
    // an annotation has rows of records, one dimension.
    let rank = super::open(first, None).map_or(1, |s| s.datashape().dims.len());
    let extra = a.dims.len().saturating_sub(rank);
    if extra == 0 {
        return Ok(0);
    }
    match levels {
        Some(l) if l > 0 => Ok(extra.min(l)),
        _ => Err(IoError::format(
            path,
            IoErrorKind::Request,
            format!(
                "`{a}` stacks the files by the pattern's levels, which `**` does not fix; name each level with `*`"
            ),
        )),
    }
}

/// The first file against the annotation each file was opened with
/// (formats that take their own shape ignore it): the same rank, fixed
/// sizes and number type (the first dimension aside when the files
/// concatenate).
fn check_annotation(file: &dyn RowSource, a: &Datashape, concat: bool) -> Result<(), IoError> {
    let ds = file.datashape();
    let skip = usize::from(concat);
    let dims_differ = ds.dims.len() != a.dims.len()
        || ds.dims.iter().zip(&a.dims).skip(skip).any(|d| match d {
            (Dim::Fixed(x), Dim::Fixed(y)) => x != y,
            _ => false,
        });
    let measures_differ = match (&ds.measure, &a.measure) {
        (Measure::Scalar { scalar: x }, Measure::Scalar { scalar: y }) => x != y,
        _ => false,
    };
    if dims_differ || measures_differ {
        return Err(IoError::format(
            file.path(),
            IoErrorKind::Request,
            format!(
                "the file is `{ds}`, which does not fit `{a}`{}",
                if concat {
                    ""
                } else {
                    ", what each stacked file must be"
                }
            ),
        ));
    }
    Ok(())
}

/// The datashape of concatenated files, their row datashapes checked.
fn concatenated(path: &Path, files: &[Box<dyn RowSource>]) -> Result<Datashape, IoError> {
    let first = files[0].as_ref();
    let mut ds = first.datashape();
    if ds.dims.is_empty() {
        return Err(IoError::format(
            first.path(),
            IoErrorKind::Request,
            format!("a single value (`{ds}`) has no rows to concatenate"),
        ));
    }
    let row = first.row_datashape();
    let mut total = Some(0usize);
    for f in files {
        let r = f.row_datashape();
        if r != row || f.datashape().dims.is_empty() {
            return Err(IoError::format(
                path,
                IoErrorKind::Request,
                format!(
                    "the files' rows differ: `{}` has rows of `{row}` but `{}` has `{}`",
                    first.path().display(),
                    f.path().display(),
                    f.datashape()
                ),
            ));
        }
        total = total.zip(f.rows()).and_then(|(t, n)| t.checked_add(n));
    }
    ds.dims[0] = match total {
        Some(n) => Dim::Fixed(n as u64),
        None => Dim::Var(None),
    };
    Ok(ds)
}

/// Every stacked file has the first one's datashape.
fn same_datashapes(path: &Path, files: &[Box<dyn RowSource>]) -> Result<(), IoError> {
    let first = files[0].as_ref();
    let ds = first.datashape();
    match files.iter().find(|f| f.datashape() != ds) {
        Some(f) => Err(IoError::format(
            path,
            IoErrorKind::Request,
            format!(
                "stacked files must have one datashape: `{}` has `{ds}` but `{}` has `{}`",
                first.path().display(),
                f.path().display(),
                f.datashape()
            ),
        )),
        None => Ok(()),
    }
}

/// The groups of `items` from level `depth` on, `k` levels in all (the
/// last takes every file below).
fn build(items: &[Match], depth: usize, k: usize) -> Vec<Node> {
    build_from(items, 0, depth, k)
}

fn build_from(items: &[Match], offset: usize, depth: usize, k: usize) -> Vec<Node> {
    if depth + 1 >= k {
        return (offset..offset + items.len()).map(Node::File).collect();
    }
    let mut out = Vec::new();
    let mut start = 0;
    while start < items.len() {
        let key = items[start].levels.get(depth);
        let len = items[start..]
            .iter()
            .take_while(|m| m.levels.get(depth) == key)
            .count()
            .max(1);
        let dir = key.cloned().unwrap_or_default();
        let children = build_from(&items[start..start + len], offset + start, depth + 1, k);
        out.push(Node::Dir(dir, children));
        start += len;
    }
    out
}

/// The first `k` dimensions of a stacked input: each level's count, as
/// the annotation says it (a fixed size checked, a symbol bound, `var`
/// where groups differ).
fn level_dims(
    path: &Path,
    rows: &[Node],
    annotation: Option<&Datashape>,
    k: usize,
) -> Result<Vec<Dim>, IoError> {
    let err = |m: String| IoError::format(path, IoErrorKind::Request, m);
    let mut level: Vec<(PathBuf, &[Node])> = vec![(path.to_path_buf(), rows)];
    let mut dims = Vec::with_capacity(k);
    let mut bound: Vec<(String, usize)> = Vec::new();
    for j in 0..k {
        let said = annotation.and_then(|a| a.dims.get(j)).cloned();
        let (first, n) = (&level[0].0, level[0].1.len());
        let differs = level.iter().find(|(_, c)| c.len() != n);
        let dim = match (said, differs) {
            (Some(Dim::Var(_)), _) if j > 0 => Dim::Var(None),
            (Some(Dim::Var(_)), None) | (None, None) => Dim::Fixed(n as u64),
            (Some(d), Some((g, c))) => {
                return Err(err(format!(
                    "level {} of the files is `{d}`, but `{}` has {} entries and `{}` has {}; a level whose groups differ in size is `var`",
                    j + 1,
                    first.display(),
                    n,
                    g.display(),
                    c.len()
                )))
            }
            (None, Some(_)) => Dim::Var(None),
            (Some(Dim::Fixed(m)), None) if m == n as u64 => Dim::Fixed(m),
            (Some(Dim::Fixed(m)), None) => {
                return Err(err(format!(
                    "level {} of the files has {n} entries (under `{}`), not {m} as the datashape says",
                    j + 1,
                    first.display()
                )))
            }
            (Some(Dim::TypeVar(s)), None) => {
                if let Some((_, m)) = bound.iter().find(|(b, _)| *b == s) {
                    if *m != n {
                        return Err(err(format!(
                            "`{s}` is {m} at one level of the files and {n} at level {}",
                            j + 1
                        )));
                    }
                }
                bound.push((s, n));
                Dim::Fixed(n as u64)
            }
            (Some(d), None) => {
                return Err(err(format!(
                    "`{d}` cannot stand for a level of the files"
                )))
            }
        };
        dims.push(dim);
        level = level
            .iter()
            .flat_map(|(_, nodes)| nodes.iter())
            .filter_map(|n| match n {
                Node::Dir(d, c) => Some((d.clone(), c.as_slice())),
                Node::File(_) => None,
            })
            .collect();
        if level.is_empty() {
            break;
        }
    }
    Ok(dims)
}

impl RowSource for ManyFiles {
    fn path(&self) -> &Path {
        &self.pattern
    }

    fn datashape(&self) -> Datashape {
        self.datashape.clone()
    }

    fn row_bytes(&self) -> usize {
        match &self.stacked {
            None => self.files.iter().map(|f| f.row_bytes()).max().unwrap_or(0),
            // A row is a group: its files decoded, then put together.
            Some(rows) => rows
                .iter()
                .map(|n| {
                    let mut fs = Vec::new();
                    n.files(&mut fs);
                    fs.iter()
                        .map(|&i| ManyFiles::estimate(self.files[i].as_ref()))
                        .fold(0usize, usize::saturating_add)
                        .saturating_mul(2)
                })
                .max()
                .unwrap_or(0)
                .max(1),
        }
    }

    fn bytes(&self) -> u64 {
        self.files
            .iter()
            .map(|f| f.bytes())
            .fold(0, u64::saturating_add)
    }

    fn cannot_stream(&self) -> Option<String> {
        match self.stacked {
            Some(_) => None,
            None => self.files.iter().find_map(|f| f.cannot_stream()),
        }
    }

    fn describe(&self) -> Option<String> {
        let names: Vec<String> = self.files().map(|p| p.display().to_string()).collect();
        let how = if self.is_stacked() {
            "stacked"
        } else {
            "concatenated"
        };
        let list = match names.as_slice() {
            [] => String::new(),
            few if few.len() <= 4 => few.join(", "),
            [a, .., z] => format!("{a} … {z}"),
            [a] => a.clone(),
        };
        Some(format!(
            "{} files {how} ({}): {list}",
            names.len(),
            self.pattern.display()
        ))
    }

    fn stacked_levels(&self) -> usize {
        self.levels
    }

    fn files_as_rows(&self) -> Option<Box<dyn RowSource>> {
        if self.levels < 2 {
            return None;
        }
        let file = self.files.first()?.datashape();
        Some(Box::new(flat::FileRows::new(
            self.pattern.clone(),
            Arc::clone(&self.files),
            file,
        )))
    }

    fn pieces(&self) -> Option<Vec<(PathBuf, usize)>> {
        if self.is_stacked() {
            return None;
        }
        self.files
            .iter()
            .map(|f| f.rows().map(|r| (f.path().to_path_buf(), r)))
            .collect()
    }

    fn blocks(&self) -> Result<Box<dyn RowReader + '_>, IoError> {
        Ok(match &self.stacked {
            None => Box::new(Concat {
                files: &self.files[..],
                next: 0,
                current: None,
                rows: 0,
                direct: false,
            }),
            Some(rows) => Box::new(Stacked {
                many: self,
                rows,
                at: 0,
            }),
        })
    }

    fn read_all(&self) -> Result<Value, IoError> {
        match &self.stacked {
            Some(rows) => self.read_rows(rows),
            None => {
                let parts: Vec<Value> = self
                    .files
                    .par_iter()
                    .map(|f| f.read_all())
                    .collect::<Result<_, _>>()?;
                combine::join(parts).map_err(|m| {
                    IoError::format(
                        &self.pattern,
                        IoErrorKind::Request,
                        format!("joining the files: {m}"),
                    )
                })
            }
        }
    }
}

/// Blocks of concatenated files, one file after another (a block never
/// spans two).
struct Concat<'a> {
    files: &'a [Box<dyn RowSource>],
    next: usize,
    current: Option<Box<dyn RowReader + 'a>>,
    rows: usize,
    /// Passed on to each file's reader ([`RowReader::prefer_direct`]).
    direct: bool,
}

impl RowReader for Concat<'_> {
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError> {
        loop {
            let reader = match &mut self.current {
                Some(r) => r,
                None => {
                    let Some(f) = self.files.get(self.next) else {
                        return Ok(None);
                    };
                    self.next += 1;
                    let mut r = f.blocks()?;
                    r.prefer_direct(self.direct);
                    self.current.insert(r)
                }
            };
            match reader.next_block(max)? {
                Some((block, n)) if n > 0 => {
                    self.rows = self.rows.saturating_add(n);
                    return Ok(Some((block, n)));
                }
                _ => {
                    reader.finish()?;
                    self.current = None;
                }
            }
        }
    }

    fn empty_block(&mut self) -> Result<RowBlock, IoError> {
        match self.files.first() {
            Some(f) => f.blocks()?.empty_block(),
            None => Err(IoError::format(
                Path::new(""),
                IoErrorKind::Request,
                "no files",
            )),
        }
    }

    fn finish(&mut self) -> Result<usize, IoError> {
        Ok(self.rows)
    }

    fn prefer_direct(&mut self, on: bool) {
        self.direct = on;
        if let Some(r) = &mut self.current {
            r.prefer_direct(on);
        }
    }
}

/// Blocks of a stacked input: whole groups of the first level, their files
/// decoded in parallel.
struct Stacked<'a> {
    many: &'a ManyFiles,
    rows: &'a [Node],
    at: usize,
}

impl RowReader for Stacked<'_> {
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError> {
        if self.at >= self.rows.len() {
            return Ok(None);
        }
        let end = self.at.saturating_add(max.max(1)).min(self.rows.len());
        let v = self.many.read_rows(&self.rows[self.at..end])?;
        let n = end - self.at;
        self.at = end;
        Ok(Some((RowBlock::Value(v), n)))
    }

    fn empty_block(&mut self) -> Result<RowBlock, IoError> {
        // A glob matches at least one file, so a stacked input has rows.
        Err(IoError::format(
            &self.many.pattern,
            IoErrorKind::Request,
            "a stacked input has no empty block",
        ))
    }

    fn finish(&mut self) -> Result<usize, IoError> {
        Ok(self.at)
    }
}

//! Zarr arrays (format 2 and 3) on the file system, read by blocks of rows
//! and written by blocks of rows.
//!
//! Reading covers what zarr-python writes by default and the common
//! variants: regular chunk grids; format 3 with the `bytes` codec (either
//! endianness) and optionally `zstd` or `gzip`, default or `v2` chunk keys;
//! format 2 with no compressor, `zstd`, `zlib` or `gzip`, C or Fortran
//! chunk order, `.` or `/` separators; every numeric dtype. An absent
//! chunk reads as the fill value (Zarr's rule); a chunk that is present but
//! does not decode is an error naming the chunk file. Writing produces
//! format 3 with `bytes` + `zstd`, one chunk per block of rows, into a
//! temporary directory renamed into place by [`ZarrWriter::finish`].
//! [`ZarrAppender`] grows an existing array by rows (`zarr/append.rs`).

use blaze_array::DenseView;
use blaze_datashape::Scalar;
use blaze_interp::{with_array, with_scalar, Array, Element};
use ndarray::{ArrayD, IxDyn};
use num_complex::{Complex32, Complex64};
use serde_json::{json, Value as Json};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

mod append;
pub use append::ZarrAppender;

use super::atomic::Staged;
use super::{IoError, IoErrorKind, Location};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Compression {
    None,
    Zstd,
    Gzip,
    Zlib,
}

/// A Zarr array opened from its directory.
#[derive(Clone, Debug)]
pub struct ZarrArray {
    path: PathBuf,
    shape: Vec<usize>,
    chunks: Vec<usize>,
    scalar: Scalar,
    big_endian: bool,
    fortran: bool,
    compression: Compression,
    /// Chunk key: prefix (`c` for format 3 default keys) and separator.
    prefix: Option<String>,
    separator: String,
    fill: f64,
}

const V3_NAMES: [(Scalar, &str); 14] = [
    (Scalar::Bool, "bool"),
    (Scalar::Int8, "int8"),
    (Scalar::Int16, "int16"),
    (Scalar::Int32, "int32"),
    (Scalar::Int64, "int64"),
    (Scalar::UInt8, "uint8"),
    (Scalar::UInt16, "uint16"),
    (Scalar::UInt32, "uint32"),
    (Scalar::UInt64, "uint64"),
    (Scalar::Float16, "float16"),
    (Scalar::Float32, "float32"),
    (Scalar::Float64, "float64"),
    (Scalar::Complex64, "complex64"),
    (Scalar::Complex128, "complex128"),
];

fn scalar_from_v3(name: &str) -> Option<Scalar> {
    V3_NAMES.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
}

fn v3_name(s: Scalar) -> &'static str {
    V3_NAMES
        .iter()
        .find(|(x, _)| *x == s)
        .map_or("float64", |(_, n)| n)
}

fn scalar_from_v2(dtype: &str) -> Option<(Scalar, bool)> {
    let (order, rest) = match dtype.chars().next()? {
        c @ ('<' | '>' | '|' | '=') => (c, &dtype[1..]),
        _ => ('|', dtype),
    };
    let s = match rest {
        "b1" => Scalar::Bool,
        "i1" => Scalar::Int8,
        "i2" => Scalar::Int16,
        "i4" => Scalar::Int32,
        "i8" => Scalar::Int64,
        "u1" => Scalar::UInt8,
        "u2" => Scalar::UInt16,
        "u4" => Scalar::UInt32,
        "u8" => Scalar::UInt64,
        "f2" => Scalar::Float16,
        "f4" => Scalar::Float32,
        "f8" => Scalar::Float64,
        "c8" => Scalar::Complex64,
        "c16" => Scalar::Complex128,
        _ => return None,
    };
    Some((s, order == '>'))
}

fn usizes(v: &Json) -> Option<Vec<usize>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_u64().map(|n| n as usize))
        .collect()
}

fn fill_of(v: &Json) -> f64 {
    match v {
        Json::Number(n) => n.as_f64().unwrap_or(0.0),
        Json::Bool(b) => f64::from(u8::from(*b)),
        Json::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            _ => 0.0,
        },
        _ => 0.0,
    }
}

impl ZarrArray {
    /// Opens the Zarr array in directory `path` (`zarr.json` for format 3,
    /// `.zarray` for format 2).
    pub fn open(path: &Path) -> Result<ZarrArray, IoError> {
        let err = |m: String| IoError::format(path, IoErrorKind::MalformedHeader, m);
        let bad_dtype = |what: &str, dt: &str| {
            IoError::format(
                path,
                IoErrorKind::UnsupportedDtype,
                format!("{what} `{dt}` is not a numeric type blaze has"),
            )
        };
        let v3 = path.join("zarr.json");
        let v2 = path.join(".zarray");
        let read = |p: &Path| -> Result<Json, IoError> {
            let text = fs::read_to_string(p)
                .map_err(|e| IoError::os(path, format!("cannot read {}", p.display()), e))?;
            serde_json::from_str(&text)
                .map_err(|e| err(format!("{} is not valid JSON: {e}", p.display())))
        };
        if v3.exists() {
            let m = read(&v3)?;
            if m["node_type"] != "array" {
                return Err(err("zarr.json does not describe an array".into()));
            }
            let shape = usizes(&m["shape"]).ok_or_else(|| err("bad `shape`".into()))?;
            if m["chunk_grid"]["name"] != "regular" {
                return Err(err("only regular chunk grids are supported".into()));
            }
            let chunks = usizes(&m["chunk_grid"]["configuration"]["chunk_shape"])
                .ok_or_else(|| err("bad `chunk_shape`".into()))?;
            let dt = m["data_type"].as_str().unwrap_or("");
            let scalar = scalar_from_v3(dt).ok_or_else(|| bad_dtype("data type", dt))?;
            let mut big_endian = false;
            let mut compression = Compression::None;
            let codecs = m["codecs"].as_array().cloned().unwrap_or_default();
            for c in &codecs {
                match c["name"].as_str().unwrap_or("") {
                    "bytes" => big_endian = c["configuration"]["endian"] == "big",
                    "zstd" => compression = Compression::Zstd,
                    "gzip" => compression = Compression::Gzip,
                    other => {
                        return Err(err(format!(
                            "codec `{other}` is not supported (supported: bytes, zstd, gzip)"
                        )))
                    }
                }
            }
            let enc = &m["chunk_key_encoding"];
            let separator = enc["configuration"]["separator"]
                .as_str()
                .unwrap_or(if enc["name"] == "v2" { "." } else { "/" })
                .to_string();
            let prefix = (enc["name"] != "v2").then(|| "c".to_string());
            return ZarrArray::checked(ZarrArray {
                path: path.to_path_buf(),
                shape,
                chunks,
                scalar,
                big_endian,
                fortran: false,
                compression,
                prefix,
                separator,
                fill: fill_of(&m["fill_value"]),
            });
        }
        if v2.exists() {
            let m = read(&v2)?;
            let shape = usizes(&m["shape"]).ok_or_else(|| err("bad `shape`".into()))?;
            let chunks = usizes(&m["chunks"]).ok_or_else(|| err("bad `chunks`".into()))?;
            let dt = m["dtype"].as_str().unwrap_or("");
            let (scalar, big_endian) = scalar_from_v2(dt).ok_or_else(|| bad_dtype("dtype", dt))?;
            if !m["filters"].is_null() && m["filters"].as_array().is_none_or(|f| !f.is_empty()) {
                return Err(err("filters are not supported".into()));
            }
            let compression = match m["compressor"]["id"].as_str() {
                None if m["compressor"].is_null() => Compression::None,
                Some("zstd") => Compression::Zstd,
                Some("gzip") => Compression::Gzip,
                Some("zlib") => Compression::Zlib,
                other => {
                    return Err(err(format!(
                        "compressor `{}` is not supported (supported: none, zstd, gzip, zlib)",
                        other.unwrap_or("?")
                    )))
                }
            };
            return ZarrArray::checked(ZarrArray {
                path: path.to_path_buf(),
                shape,
                chunks,
                scalar,
                big_endian,
                fortran: m["order"] == "F",
                compression,
                prefix: None,
                separator: m["dimension_separator"].as_str().unwrap_or(".").to_string(),
                fill: fill_of(&m["fill_value"]),
            });
        }
        Err(IoError::format(
            path,
            IoErrorKind::TruncatedHeader,
            "not a Zarr array: no zarr.json or .zarray",
        ))
    }

    /// The metadata checked before any work: at most 64 dimensions, a
    /// chunk shape of the array's rank without zeros, and a size in bytes,
    /// a chunk size and a number of chunks that fit the address space
    /// (checked arithmetic: `[9223372036854775807, 10]` is refused here).
    fn checked(a: ZarrArray) -> Result<ZarrArray, IoError> {
        let bad = |m: String| Err(IoError::format(&a.path, IoErrorKind::MalformedHeader, m));
        let max = crate::io::npy::MAX_RANK;
        if a.shape.len() > max {
            return bad(format!(
                "the array has {} dimensions; at most {max} are supported (NumPy's limit)",
                a.shape.len()
            ));
        }
        if a.chunks.len() == a.shape.len() && !a.chunks.contains(&0) {
            let size = a.scalar.size_bytes() as u128;
            let bytes = a
                .shape
                .iter()
                .try_fold(size, |n, &d| n.checked_mul(d as u128))
                .filter(|&n| n <= isize::MAX as u128);
            let chunk_bytes = a
                .chunks
                .iter()
                .try_fold(size, |n, &d| n.checked_mul(d as u128))
                .filter(|&n| n <= isize::MAX as u128);
            let chunk_count = a
                .shape
                .iter()
                .zip(&a.chunks)
                .try_fold(1u128, |n, (&s, &c)| n.checked_mul(s.div_ceil(c) as u128))
                .filter(|&n| n <= isize::MAX as u128);
            if bytes.is_none() {
                return bad(format!(
                    "shape {:?} of {} is too large for the address space",
                    a.shape, a.scalar
                ));
            }
            if chunk_bytes.is_none() || chunk_count.is_none() {
                return bad(format!(
                    "chunk shape {:?} over shape {:?} is too large for the address space",
                    a.chunks, a.shape
                ));
            }
        }
        if a.chunks.len() != a.shape.len() || a.chunks.contains(&0) {
            return Err(IoError::format(
                &a.path,
                IoErrorKind::MalformedHeader,
                format!(
                    "chunk shape {:?} does not fit shape {:?}",
                    a.chunks, a.shape
                ),
            ));
        }
        Ok(a)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The element type.
    pub fn scalar(&self) -> Scalar {
        self.scalar
    }

    /// The key of chunk `idx`, relative to the array's directory.
    fn key(&self, idx: &[usize]) -> String {
        let parts: Vec<String> = idx.iter().map(|i| i.to_string()).collect();
        let mut key = match &self.prefix {
            Some(p) => {
                let mut k = p.clone();
                for x in &parts {
                    k.push_str(&self.separator);
                    k.push_str(x);
                }
                k
            }
            None => parts.join(&self.separator),
        };
        if key.is_empty() {
            key = "0".into();
        }
        key
    }

    /// The decoded elements of chunk `idx` (C order of the chunk shape), or
    /// `None` when the chunk is absent.
    fn chunk<T: Element + Copy + FromBytes>(
        &self,
        idx: &[usize],
    ) -> Result<Option<Vec<T>>, IoError> {
        let key = self.key(idx);
        let file = self.path.join(&key);
        let bytes = match fs::read(&file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(IoError::os(&file, "cannot read chunk", e)),
        };
        let bad = |m: String| {
            IoError::at(
                &self.path,
                Location::Chunk(key.clone()),
                IoErrorKind::Corrupt,
                format!("corrupt chunk: {m}"),
            )
        };
        let count: usize = self.chunks.iter().product();
        let size = self.scalar.size_bytes();
        let expected = count * size;
        // A decoder reads at most one byte past the chunk's size: a chunk
        // that decompresses to more is an error, not a flood of memory.
        let bounded = |r: &mut dyn Read| -> Result<Vec<u8>, IoError> {
            let mut out = Vec::new();
            r.take(expected as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| bad(e.to_string()))?;
            Ok(out)
        };
        let raw = match self.compression {
            Compression::None => bytes,
            Compression::Zstd => bounded(
                &mut zstd::stream::read::Decoder::new(&bytes[..])
                    .map_err(|e| bad(e.to_string()))?,
            )?,
            Compression::Gzip => bounded(&mut flate2::read::GzDecoder::new(&bytes[..]))?,
            Compression::Zlib => bounded(&mut flate2::read::ZlibDecoder::new(&bytes[..]))?,
        };
        if raw.len() != expected {
            return Err(bad(format!(
                "{} bytes, expected {} ({} elements of {})",
                raw.len(),
                expected,
                count,
                self.scalar
            )));
        }
        let mut v: Vec<T> = raw
            .chunks_exact(size)
            .map(|b| T::from_bytes(b, self.big_endian))
            .collect();
        if self.fortran && self.chunks.len() > 1 {
            let f = ArrayD::from_shape_vec(IxDyn(&self.chunks).f(), v)
                .map_err(|e| bad(e.to_string()))?;
            v = f.as_standard_layout().iter().copied().collect();
        }
        Ok(Some(v))
    }

    /// Rows `start..end` (of the first axis) as an array of shape
    /// `[end - start, rest...]`.
    pub fn read_rows(&self, start: usize, end: usize) -> Result<Array, IoError> {
        with_scalar!(self.scalar, T => self.read_rows_t::<T>(start, end))
    }

    fn read_rows_t<T: Element + Copy + FromBytes>(
        &self,
        start: usize,
        end: usize,
    ) -> Result<Array, IoError> {
        let shape_err = |e: ndarray::ShapeError| {
            IoError::format(&self.path, IoErrorKind::ShapeOverflow, e.to_string())
        };
        let rank = self.shape.len();
        if rank == 0 {
            let v = self
                .chunk::<T>(&[])?
                .unwrap_or_else(|| vec![T::from_f64(self.fill)]);
            return Ok(T::wrap(
                ArrayD::from_shape_vec(IxDyn(&[]), v).map_err(shape_err)?,
            ));
        }
        if start > end || end > self.shape[0] {
            return Err(IoError::format(
                &self.path,
                IoErrorKind::Request,
                format!("cannot read rows {start}..{end} of shape {:?}", self.shape),
            ));
        }
        let mut out_shape = self.shape.clone();
        out_shape[0] = end - start;
        let what = format!("rows {start}..{end} of {}", self.path.display());
        let n = blaze_array::alloc::elements(&out_shape, &what)
            .map_err(|e| IoError::format(&self.path, IoErrorKind::ShapeOverflow, e.to_string()))?;
        let data = blaze_array::alloc::try_filled(n, T::from_f64(self.fill), &what)
            .map_err(|e| IoError::format(&self.path, IoErrorKind::ShapeOverflow, e.to_string()))?;
        let mut out = ArrayD::from_shape_vec(IxDyn(&out_shape), data).map_err(shape_err)?;
        if end == start {
            return Ok(T::wrap(out));
        }
        // Chunk indices: rows covering start..end, every chunk of the
        // other axes.
        let grid: Vec<usize> = self
            .shape
            .iter()
            .zip(&self.chunks)
            .map(|(n, c)| n.div_ceil(*c))
            .collect();
        let first = start / self.chunks[0];
        let last = (end - 1) / self.chunks[0];
        let mut idx = vec![0usize; rank];
        idx[0] = first;
        loop {
            if let Some(data) = self.chunk::<T>(&idx)? {
                let chunk = ArrayD::from_shape_vec(IxDyn(&self.chunks), data).map_err(shape_err)?;
                // The part of this chunk inside the array and the rows.
                let lo: Vec<usize> = idx.iter().zip(&self.chunks).map(|(i, c)| i * c).collect();
                let r0 = start.max(lo[0]);
                let r1 = end.min(lo[0] + self.chunks[0]);
                let src = chunk.slice_each_axis(|ax| {
                    let a = ax.axis.index();
                    if a == 0 {
                        ndarray::Slice::from(r0 - lo[0]..r1 - lo[0])
                    } else {
                        ndarray::Slice::from(0..(self.shape[a] - lo[a]).min(self.chunks[a]))
                    }
                });
                let mut dst = out.slice_each_axis_mut(|ax| {
                    let a = ax.axis.index();
                    if a == 0 {
                        ndarray::Slice::from(r0 - start..r1 - start)
                    } else {
                        ndarray::Slice::from(lo[a]..(lo[a] + self.chunks[a]).min(self.shape[a]))
                    }
                });
                dst.assign(&src);
            }
            // Next chunk index (last axis fastest).
            let mut a = rank;
            loop {
                if a == 0 {
                    return Ok(T::wrap(out));
                }
                a -= 1;
                idx[a] += 1;
                let limit = if a == 0 { last + 1 } else { grid[a] };
                if idx[a] < limit {
                    break;
                }
                idx[a] = if a == 0 { first } else { 0 };
                if a == 0 {
                    return Ok(T::wrap(out));
                }
            }
        }
    }

    /// The whole array.
    pub fn read_all(&self) -> Result<Array, IoError> {
        self.read_rows(0, self.shape.first().copied().unwrap_or(0))
    }
}

use ndarray::ShapeBuilder;

/// Element conversion from stored bytes and from a fill value.
pub trait FromBytes: Sized {
    /// From `bytes` (of the element's size) in the given byte order.
    fn from_bytes(bytes: &[u8], big: bool) -> Self;
    /// From a fill value.
    fn from_f64(x: f64) -> Self;
    /// To little-endian bytes.
    fn put(&self, out: &mut Vec<u8>);
}

macro_rules! from_bytes {
    ($($t:ty),*) => {$(
        impl FromBytes for $t {
            fn from_bytes(b: &[u8], big: bool) -> Self {
                let a = b.try_into().unwrap_or([0; std::mem::size_of::<$t>()]);
                if big { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) }
            }
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
from_bytes!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl FromBytes for bool {
    fn from_bytes(b: &[u8], _: bool) -> Self {
        b.first().is_some_and(|&x| x != 0)
    }
    fn from_f64(x: f64) -> Self {
        x != 0.0
    }
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl FromBytes for half::f16 {
    fn from_bytes(b: &[u8], big: bool) -> Self {
        let a = b.try_into().unwrap_or([0; 2]);
        if big {
            half::f16::from_be_bytes(a)
        } else {
            half::f16::from_le_bytes(a)
        }
    }
    fn from_f64(x: f64) -> Self {
        half::f16::from_f64(x)
    }
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

macro_rules! complex_bytes {
    ($t:ty, $f:ty, $n:expr) => {
        impl FromBytes for $t {
            fn from_bytes(b: &[u8], big: bool) -> Self {
                <$t>::new(
                    <$f>::from_bytes(&b[..$n], big),
                    <$f>::from_bytes(&b[$n..], big),
                )
            }
            fn from_f64(x: f64) -> Self {
                <$t>::new(x as $f, 0.0)
            }
            fn put(&self, out: &mut Vec<u8>) {
                self.re.put(out);
                self.im.put(out);
            }
        }
    };
}
complex_bytes!(Complex32, f32, 4);
complex_bytes!(Complex64, f64, 8);

/// Writes a Zarr format 3 array (`bytes` + `zstd`) by blocks of rows, one
/// chunk per block, into a temporary directory that [`ZarrWriter::finish`]
/// renames into place; dropped unfinished, it removes the directory.
#[derive(Debug)]
pub struct ZarrWriter {
    stage: Staged,
    scalar: Scalar,
    rest: Vec<usize>,
    chunk_rows: usize,
    rows: usize,
}

impl ZarrWriter {
    /// Starts an array of `scalar` elements, rows of shape `rest`, in
    /// chunks of `chunk_rows` rows.
    pub fn create(
        path: &Path,
        scalar: Scalar,
        rest: &[usize],
        chunk_rows: usize,
    ) -> Result<ZarrWriter, IoError> {
        Ok(ZarrWriter {
            stage: Staged::dir(path)?,
            scalar,
            rest: rest.to_vec(),
            chunk_rows: chunk_rows.max(1),
            rows: 0,
        })
    }

    /// Writes `block` as rows `start..`; `start` must be a multiple of the
    /// chunk rows and the block at most one chunk.
    pub fn write_rows(&mut self, start: usize, block: &Array) -> Result<(), IoError> {
        self.write_view(
            start,
            &with_array!(block, a => crate::value::view_of(&a.view())),
        )
    }

    /// As [`ZarrWriter::write_rows`], from a blaze view (any strides).
    pub fn write_view(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        let n = block.shape().first().copied().unwrap_or(1);
        if block.scalar() != self.scalar
            || block.shape().get(1..) != Some(&self.rest[..])
            || start % self.chunk_rows != 0
            || n > self.chunk_rows
            || block.validity().is_some()
        {
            return Err(IoError::format(
                self.stage.target(),
                IoErrorKind::Request,
                format!(
                    "a block of shape {:?} ({}{}) does not fit chunks of {} rows of {} from row {start}",
                    block.shape(),
                    block.scalar(),
                    if block.validity().is_some() { ", with missing values" } else { "" },
                    self.chunk_rows,
                    self.scalar,
                ),
            ));
        }
        // A full chunk, padded with zeros past the end.
        let mut bytes =
            Vec::with_capacity(self.chunk_rows * self.rest.iter().product::<usize>() * 16);
        with_scalar!(self.scalar, T => {
            let a = crate::value::ndarray_view::<T>(block).map_err(|e| {
                IoError::format(self.stage.target(), IoErrorKind::Request, e.to_string())
            })?;
            for x in a.iter() {
                FromBytes::put(x, &mut bytes);
            }
        });
        let per_row = self.rest.iter().product::<usize>() * self.scalar.size_bytes();
        bytes.resize(self.chunk_rows * per_row, 0);
        let data = zstd::bulk::compress(&bytes, 3)
            .map_err(|e| IoError::os(self.stage.target(), "cannot compress a chunk", e))?;
        let mut key = self
            .stage
            .tmp()
            .join("c")
            .join((start / self.chunk_rows).to_string());
        for _ in &self.rest {
            key = key.join("0");
        }
        if let Some(p) = key.parent() {
            fs::create_dir_all(p).map_err(|e| IoError::os(p, "cannot create", e))?;
        }
        fs::write(&key, data).map_err(|e| IoError::os(&key, "write error", e))?;
        self.rows = self.rows.max(start + n);
        Ok(())
    }

    /// Writes the metadata for `rows` rows and renames the array into place.
    pub fn finish(self, rows: usize) -> Result<(), IoError> {
        let mut shape = vec![rows.max(self.rows)];
        shape.extend(&self.rest);
        let mut chunks = vec![self.chunk_rows];
        chunks.extend(self.rest.iter().map(|&n| n.max(1)));
        let meta = json!({
            "zarr_format": 3,
            "node_type": "array",
            "shape": shape,
            "data_type": v3_name(self.scalar),
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": match self.scalar.kind() {
                blaze_datashape::ScalarKind::Bool => json!(false),
                blaze_datashape::ScalarKind::Complex => json!([0.0, 0.0]),
                blaze_datashape::ScalarKind::Float => json!(0.0),
                _ => json!(0),
            },
            "codecs": [
                {"name": "bytes", "configuration": {"endian": "little"}},
                {"name": "zstd", "configuration": {"level": 3, "checksum": false}}
            ],
            "attributes": {},
            "storage_transformers": []
        });
        let text = serde_json::to_string_pretty(&meta).unwrap_or_default();
        let meta_path = self.stage.tmp().join("zarr.json");
        fs::write(&meta_path, text).map_err(|e| IoError::os(&meta_path, "write error", e))?;
        self.stage.commit()
    }
}

/// Writes a whole array as a Zarr array at `path`.
pub fn write_zarr(path: &Path, a: &Array) -> Result<(), IoError> {
    let shape = a.shape().to_vec();
    let rows = shape.first().copied().unwrap_or(1);
    if shape.is_empty() {
        return Err(IoError::format(
            path,
            IoErrorKind::Request,
            "a 0-d result cannot be written as Zarr here; write it as .npy",
        ));
    }
    let mut w = ZarrWriter::create(path, a.scalar(), &shape[1..], rows.max(1))?;
    w.write_rows(0, a)?;
    w.finish(rows)
}

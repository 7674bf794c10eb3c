//! Writing PNG images: a whole value ([`write_value`], [`write_array`]) or
//! rows in blocks ([`PngSink`]), staged and renamed into place.

use super::CHANNELS;
use crate::io::atomic::Staged;
use crate::io::{IoError, IoErrorKind, RowSink};
use blaze_array::DenseView;
use blaze_datashape::Scalar;
use blaze_interp::{Array, Value};
use ndarray::{ArrayD, ArrayViewD};
use png::{BitDepth, ColorType};
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// What a PNG image holds, for the errors of values it cannot hold.
const HOLDS: &str = "a PNG image holds `H * W * RGBA` (a record of `uint8` fields r, g, b, a), `H * W * 4 * uint8` (RGBA; `H * W * 3 * uint8` is RGB) or `H * W * uint8` (grey), or the same with `uint16` samples";

fn refuse(path: &Path, what: &str) -> IoError {
    IoError::format(path, IoErrorKind::Request, format!("{HOLDS}; not {what}"))
}

/// A PNG image being written row by row into a staged file; dropped
/// unfinished, it removes the file.
pub struct PngSink {
    stream: Option<png::StreamWriter<'static, File>>,
    file: File,
    stage: Staged,
    height: usize,
    width: usize,
    channels: usize,
    scalar: Scalar,
    written: usize,
}

impl std::fmt::Debug for PngSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PngSink")
            .field("path", &self.stage.target())
            .field("height", &self.height)
            .field("width", &self.width)
            .field("channels", &self.channels)
            .field("written", &self.written)
            .finish()
    }
}

impl PngSink {
    /// Starts writing an image of `rows` rows of shape `row` — `[W]` for
    /// grey, `[W, 4]` for RGBA, `[W, 3]` for RGB, `[W, 2]` for grey with
    /// alpha — of `uint8` or `uint16` samples to `path`.
    pub fn create(
        path: &Path,
        scalar: Scalar,
        row: &[usize],
        rows: Option<usize>,
    ) -> Result<PngSink, IoError> {
        let (width, channels) = match row {
            [w] => (*w, 1),
            [w, c @ 1..=4] => (*w, *c),
            _ => return Err(refuse(path, &format!("rows of shape {row:?}"))),
        };
        let depth = match scalar {
            Scalar::UInt8 => BitDepth::Eight,
            Scalar::UInt16 => BitDepth::Sixteen,
            s => return Err(refuse(path, &format!("samples of `{s}`"))),
        };
        let Some(height) = rows else {
            return Err(IoError::format(
                path,
                IoErrorKind::Request,
                "a PNG image's height is written first; this result's row count is known only at its end",
            ));
        };
        let side = |n: usize| {
            u32::try_from(n)
                .ok()
                .filter(|&n| (1..=i32::MAX as u32).contains(&n))
        };
        let (Some(w32), Some(h32)) = (side(width), side(height)) else {
            return Err(IoError::format(
                path,
                IoErrorKind::Request,
                format!(
                    "a PNG image has 1 to 2147483647 rows and columns; this one is {height} × {width}"
                ),
            ));
        };
        let color = match channels {
            1 => ColorType::Grayscale,
            2 => ColorType::GrayscaleAlpha,
            3 => ColorType::Rgb,
            _ => ColorType::Rgba,
        };
        let (stage, file) = Staged::file(path)?;
        let out = file
            .try_clone()
            .map_err(|e| IoError::os(path, "cannot open", e))?;
        let mut encoder = png::Encoder::new(out, w32, h32);
        encoder.set_color(color);
        encoder.set_depth(depth);
        let encode_err = |e: png::EncodingError| match e {
            png::EncodingError::IoError(e) => IoError::os(path, "write error", e),
            e => IoError::format(path, IoErrorKind::Request, e.to_string()),
        };
        let stream = encoder
            .write_header()
            .and_then(|w| w.into_stream_writer())
            .map_err(encode_err)?;
        Ok(PngSink {
            stream: Some(stream),
            file,
            stage,
            height,
            width,
            channels,
            scalar,
            written: 0,
        })
    }

    fn path(&self) -> &Path {
        self.stage.target()
    }

    /// Writes rows of samples given in C order (`n × W × channels`).
    fn write_samples(&mut self, samples: Samples<'_>) -> Result<(), IoError> {
        let per_row = self.width * self.channels;
        let n = samples.len() / per_row.max(1);
        if samples.len() != n * per_row || self.written + n > self.height {
            return Err(IoError::format(
                self.path(),
                IoErrorKind::Request,
                format!(
                    "{} samples do not make rows {}.. of a {} × {} image",
                    samples.len(),
                    self.written,
                    self.height,
                    self.width
                ),
            ));
        }
        let bytes: Vec<u8> = match samples {
            Samples::U8(s) => s.to_vec(),
            Samples::U16(s) => s.iter().flat_map(|v| v.to_be_bytes()).collect(),
        };
        let path = self.stage.target().to_path_buf();
        let stream = self.stream.as_mut().ok_or_else(|| {
            IoError::format(&path, IoErrorKind::Request, "the image is already finished")
        })?;
        stream
            .write_all(&bytes)
            .map_err(|e| IoError::os(&path, "write error", e))?;
        self.written += n;
        Ok(())
    }

    /// Completes the image (all its rows written), syncs it and renames it
    /// into place.
    pub fn finish_image(mut self) -> Result<(), IoError> {
        let path = self.path().to_path_buf();
        if self.written != self.height {
            return Err(IoError::format(
                &path,
                IoErrorKind::Request,
                format!(
                    "{} of the image's {} rows were written",
                    self.written, self.height
                ),
            ));
        }
        if let Some(stream) = self.stream.take() {
            stream.finish().map_err(|e| match e {
                png::EncodingError::IoError(e) => IoError::os(&path, "write error", e),
                e => IoError::format(&path, IoErrorKind::Request, e.to_string()),
            })?;
        }
        self.file
            .sync_all()
            .map_err(|e| IoError::os(&path, "cannot sync to disk", e))?;
        self.stage.commit()
    }
}

/// Samples in C order.
enum Samples<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
}

impl Samples<'_> {
    fn len(&self) -> usize {
        match self {
            Samples::U8(s) => s.len(),
            Samples::U16(s) => s.len(),
        }
    }
}

impl RowSink for PngSink {
    fn write_rows(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        let path = self.path().to_path_buf();
        if start != self.written || block.scalar() != self.scalar {
            return Err(IoError::format(
                &path,
                IoErrorKind::Request,
                format!(
                    "a block of `{}` at row {start} does not continue the image at row {}",
                    block.scalar(),
                    self.written
                ),
            ));
        }
        let bad = |e: blaze_array::ArrayError| {
            IoError::format(
                &path,
                IoErrorKind::Request,
                format!("rows from {start}: {e}"),
            )
        };
        match self.scalar {
            Scalar::UInt16 => {
                let v = block.to_vec::<u16>().map_err(bad)?;
                self.write_samples(Samples::U16(&v))
            }
            _ => {
                let v = block.to_vec::<u8>().map_err(bad)?;
                self.write_samples(Samples::U8(&v))
            }
        }
    }

    fn finish(self: Box<Self>, rows: usize) -> Result<(), IoError> {
        if rows != self.height {
            return Err(IoError::format(
                self.path(),
                IoErrorKind::Request,
                format!(
                    "the result has {rows} rows; the image was started with {}",
                    self.height
                ),
            ));
        }
        self.finish_image()
    }
}

/// Writes an image from an array: `H × W` (grey), `H × W × 4` (RGBA),
/// `H × W × 3` (RGB) or `H × W × 2` (grey with alpha) of `uint8` or
/// `uint16`, atomically.
pub fn write_array(path: &Path, array: &Array) -> Result<(), IoError> {
    let shape = array.shape().to_vec();
    let what = || blaze_array::alloc::describe(&shape, array.scalar());
    let row = match shape.as_slice() {
        [_, w] => vec![*w],
        [_, w, c @ 2..=4] => vec![*w, *c],
        _ => return Err(refuse(path, &what())),
    };
    let rows = shape.first().copied();
    match array {
        Array::UInt8(a) => {
            let mut sink = PngSink::create(path, Scalar::UInt8, &row, rows)?;
            sink.write_samples(Samples::U8(&standard(a.view())))?;
            sink.finish_image()
        }
        Array::UInt16(a) => {
            let mut sink = PngSink::create(path, Scalar::UInt16, &row, rows)?;
            sink.write_samples(Samples::U16(&standard(a.view())))?;
            sink.finish_image()
        }
        _ => Err(refuse(path, &what())),
    }
}

/// The elements of `a` in C order.
fn standard<T: Clone>(a: ArrayViewD<'_, T>) -> Vec<T> {
    a.iter().cloned().collect()
}

/// Interleaves four `H × W` planes into `H × W × 4` samples.
fn interleave<T: Clone>(planes: &[&ArrayD<T>]) -> Vec<T> {
    let iters: Vec<_> = planes.iter().map(|p| p.iter()).collect();
    let mut out = Vec::with_capacity(planes.first().map_or(0, |p| p.len() * planes.len()));
    let mut iters = iters;
    'outer: loop {
        for it in iters.iter_mut() {
            match it.next() {
                Some(v) => out.push(v.clone()),
                None => break 'outer,
            }
        }
    }
    out
}

/// Writes a value as an image, atomically: an `H * W * RGBA` record (of
/// `uint8` or `uint16` fields), or an array as [`write_array`] takes.
/// Anything else is an error naming what a PNG image holds.
pub fn write_value(path: &Path, value: &Value) -> Result<(), IoError> {
    match value {
        Value::Array {
            data,
            missing: None,
        } => write_array(path, data),
        Value::Array { .. } => Err(refuse(path, "an array with missing values")),
        Value::Record(fields) => {
            let mut planes: Vec<&Array> = Vec::with_capacity(4);
            for c in CHANNELS {
                match fields.iter().find(|(n, _)| n == c) {
                    Some((
                        _,
                        Value::Array {
                            data,
                            missing: None,
                        },
                    )) => planes.push(data),
                    _ => {
                        return Err(refuse(
                            path,
                            &format!(
                                "a record with fields {}",
                                fields
                                    .iter()
                                    .map(|(n, _)| n.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ))
                    }
                }
            }
            let shape = planes[0].shape().to_vec();
            if fields.len() != 4 || planes.iter().any(|p| p.shape() != shape.as_slice()) {
                return Err(refuse(
                    path,
                    "a record whose fields are not four planes of one shape",
                ));
            }
            let [_, w] = shape.as_slice() else {
                return Err(refuse(
                    path,
                    &format!(
                        "a record of {}",
                        blaze_array::alloc::describe(&shape, planes[0].scalar())
                    ),
                ));
            };
            let rows = shape.first().copied();
            let u8s: Vec<&ArrayD<u8>> = planes
                .iter()
                .filter_map(|p| match p {
                    Array::UInt8(a) => Some(a),
                    _ => None,
                })
                .collect();
            let u16s: Vec<&ArrayD<u16>> = planes
                .iter()
                .filter_map(|p| match p {
                    Array::UInt16(a) => Some(a),
                    _ => None,
                })
                .collect();
            if u8s.len() == 4 {
                let mut sink = PngSink::create(path, Scalar::UInt8, &[*w, 4], rows)?;
                sink.write_samples(Samples::U8(&interleave(&u8s)))?;
                sink.finish_image()
            } else if u16s.len() == 4 {
                let mut sink = PngSink::create(path, Scalar::UInt16, &[*w, 4], rows)?;
                sink.write_samples(Samples::U16(&interleave(&u16s)))?;
                sink.finish_image()
            } else {
                let types: Vec<String> = planes.iter().map(|p| p.scalar().to_string()).collect();
                Err(refuse(
                    path,
                    &format!("a record of fields of `{}`", types.join("`, `")),
                ))
            }
        }
        Value::Column(_) => Err(refuse(path, "strings, decimals, dates or ragged lists")),
        Value::Tuple(_) => Err(refuse(path, "a tuple")),
    }
}

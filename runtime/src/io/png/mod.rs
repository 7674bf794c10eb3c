//! PNG images as arrays of pixels, read with the `png` crate (image-rs's
//! decoder) and written with its encoder.
//!
//! An image of `H` rows and `W` columns reads, by default, as
//! `H * W * RGBA` — `RGBA` is the prelude record
//! `{r: uint8, g: uint8, b: uint8, a: uint8}` — a [`Value::Record`] of four
//! `H × W` `uint8` arrays. Every PNG colour type and bit depth is read:
//! the decoder expands palettes (with their `tRNS` transparency) and bit
//! depths below 8; grey `g` becomes `r = g = b = g`; a missing alpha
//! channel is opaque (255); 16-bit samples are taken by their high byte
//! (what Pillow does for 16-bit colour images); interlaced (Adam7) images
//! are deinterlaced by the decoder.
//!
//! An annotation picks another view of the same pixels:
//!
//! - `H * W * 4 * uint8`: a dense array, the channels `r g b a` on the last
//!   axis;
//! - `H * W * 4 * uint16` or `H * W * {r: uint16, g: uint16, b: uint16,
//!   a: uint16}`: 16 bits a sample (8-bit samples scaled by 257, so 255 is
//!   65535);
//! - `H * W * uint8` (or `uint16`) for a grey image: its one channel.
//!
//! `H` and `W` may be numbers (checked against the header) or symbols.
//! [`PngFile::open`] reads the header only; every read opens the file
//! anew, so one `PngFile` may be read from several threads at once (a
//! stack of images is decoded in parallel). The rows of the image are the
//! rows of a [`RowSource`](super::RowSource): a block of rows is decoded
//! row by row as the decoder produces them (an interlaced image is
//! decoded whole at the first block, since its rows come last in pass 7).
//!
//! Writing ([`write_value`], [`PngSink`]): an `H * W * RGBA` record, an
//! `H * W * 4` array (`H * W * 3` for RGB) or an `H * W` array (grey) of
//! `uint8` or `uint16`; anything else is an error naming what a PNG holds.
//! Files are staged and renamed into place as every output.

mod write;

pub use write::{write_array, write_value, PngSink};

use super::block::BlockPool;
use super::{IoError, IoErrorKind, RowBlock, RowReader};
use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_interp::{Array, Value};
use ndarray::{ArrayD, IxDyn};
use png::{BitDepth, ColorType, Transformations};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The 8 bytes every PNG file starts with.
pub const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// The names of the channels of the `RGBA` record, in order.
pub const CHANNELS: [&str; 4] = ["r", "g", "b", "a"];

/// How the pixels of an image are handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PngView {
    /// `H * W * RGBA`: a record of four `H × W` arrays.
    Record,
    /// `H * W * 4 * T`: one array, the channels on the last axis.
    Channels,
    /// `H * W * T` of a grey image: its one channel.
    Grey,
}

/// A PNG image opened for reading: its header and the view asked for.
#[derive(Clone, Debug)]
pub struct PngFile {
    path: PathBuf,
    height: usize,
    width: usize,
    color: ColorType,
    depth: BitDepth,
    interlaced: bool,
    view: PngView,
    scalar: Scalar,
    /// Which of the `RGBA` record's channels are read (all unless the file
    /// was [projected](PngFile::project)).
    keep: [bool; 4],
}

/// The `RGBA` record with fields of `scalar`.
pub fn pixel_measure(scalar: Scalar) -> Measure {
    Measure::Record {
        fields: CHANNELS
            .iter()
            .map(|c| (c.to_string(), Datashape::scalar(Measure::scalar(scalar))))
            .collect(),
    }
}

/// An error from the decoder, worded for `path`: `kind` for format errors.
fn decode_error(path: &Path, e: png::DecodingError, kind: IoErrorKind) -> IoError {
    match e {
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            let kind = if kind == IoErrorKind::MalformedHeader {
                IoErrorKind::TruncatedHeader
            } else {
                IoErrorKind::TruncatedData
            };
            IoError::format(path, kind, "the PNG file ends early (truncated)")
        }
        png::DecodingError::IoError(e) => IoError::os(path, "read error", e),
        png::DecodingError::LimitsExceeded => IoError::format(
            path,
            IoErrorKind::ShapeOverflow,
            "the image's size exceeds the decoder's limits",
        ),
        e => IoError::format(path, kind, format!("not a valid PNG image: {e}")),
    }
}

impl PngFile {
    /// Opens `path` by its header (nothing is decoded) under `annotation`,
    /// the datashape asked for (`None`: `H * W * RGBA`).
    pub fn open(path: &Path, annotation: Option<&Datashape>) -> Result<PngFile, IoError> {
        let mut file = File::open(path).map_err(|e| IoError::os(path, "cannot open", e))?;
        let mut magic = [0u8; 8];
        let mut got = 0;
        while got < magic.len() {
            match file.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(IoError::os(path, "read error", e)),
            }
        }
        if got < magic.len() || magic != SIGNATURE {
            return Err(IoError::format(
                path,
                IoErrorKind::BadMagic,
                "not a PNG file: it does not start with the PNG signature",
            ));
        }
        file.seek(SeekFrom::Start(0))
            .map_err(|e| IoError::os(path, "cannot seek", e))?;
        let mut decoder = png::Decoder::new(BufReader::new(file));
        let info = decoder
            .read_header_info()
            .map_err(|e| decode_error(path, e, IoErrorKind::MalformedHeader))?;
        let (height, width) = (info.height as usize, info.width as usize);
        let mut png = PngFile {
            path: path.to_path_buf(),
            height,
            width,
            color: info.color_type,
            depth: info.bit_depth,
            interlaced: info.interlaced,
            view: PngView::Record,
            scalar: Scalar::UInt8,
            keep: [true; 4],
        };
        if let Some(ty) = annotation {
            png.apply(ty)?;
        }
        // Every view's size in bytes fits in memory sizes.
        png.block_bytes(height)?;
        Ok(png)
    }

    /// Takes the view `ty` asks for, checking its dimensions against the
    /// header.
    fn apply(&mut self, ty: &Datashape) -> Result<(), IoError> {
        let refuse = |why: String| {
            IoError::format(
                &self.path,
                IoErrorKind::Request,
                format!(
                    "{why}; a PNG image reads as `H * W * RGBA`, `H * W * 4 * uint8`, `H * W * 4 * uint16`, a record of four `uint16` fields, or `H * W * uint8` for a grey image"
                ),
            )
        };
        let scalar_of = |m: &Measure| match m {
            Measure::Scalar { scalar } if matches!(scalar, Scalar::UInt8 | Scalar::UInt16) => {
                Some(*scalar)
            }
            _ => None,
        };
        let (view, scalar, dims) = match (&ty.measure, ty.dims.as_slice()) {
            (Measure::Record { .. }, [h, w]) => {
                match [Scalar::UInt8, Scalar::UInt16]
                    .into_iter()
                    .find(|&s| ty.measure == pixel_measure(s))
                {
                    Some(s) => (PngView::Record, s, [h, w]),
                    None => return Err(refuse(format!("`{ty}` is not a record of pixels"))),
                }
            }
            (m, [h, w, Dim::Fixed(4)]) => match scalar_of(m) {
                Some(s) => (PngView::Channels, s, [h, w]),
                None => return Err(refuse(format!("`{ty}` has samples of `{m}`"))),
            },
            (m, [h, w]) if scalar_of(m).is_some() => {
                if !matches!(self.color, ColorType::Grayscale) {
                    return Err(refuse(format!(
                        "`{ty}` is one grey channel, but the image is {}",
                        color_name(self.color)
                    )));
                }
                (PngView::Grey, scalar_of(m).unwrap_or(Scalar::UInt8), [h, w])
            }
            _ => return Err(refuse(format!("`{ty}` is not an image"))),
        };
        for (d, (n, what)) in dims.into_iter().zip([
            (self.height, "rows (height)"),
            (self.width, "columns (width)"),
        ]) {
            match d {
                Dim::Fixed(k) if *k as usize == n => {}
                Dim::TypeVar(_) => {}
                Dim::Fixed(k) => {
                    return Err(IoError::format(
                        &self.path,
                        IoErrorKind::Request,
                        format!("the annotation `{ty}` says {k} {what}, the image has {n}"),
                    ))
                }
                d => return Err(refuse(format!("`{ty}` has the dimension `{d}`"))),
            }
        }
        self.view = view;
        self.scalar = scalar;
        Ok(())
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The image's height (rows) and width (columns).
    pub fn size(&self) -> (usize, usize) {
        (self.height, self.width)
    }

    /// The view the pixels are read as.
    pub fn view(&self) -> PngView {
        self.view
    }

    /// The colour type of the file, in words (`grey`, `grey with alpha`,
    /// `RGB`, `RGBA`, `a palette image`).
    pub fn color(&self) -> &'static str {
        color_name(self.color)
    }

    /// Bits a sample (a palette index for palette images) in the file: 1,
    /// 2, 4, 8 or 16.
    pub fn bit_depth(&self) -> u8 {
        self.depth as u8
    }

    /// Whether the image is interlaced (Adam7).
    pub fn interlaced(&self) -> bool {
        self.interlaced
    }

    /// The element type of the samples read (`uint8` or `uint16`).
    pub fn scalar(&self) -> Scalar {
        self.scalar
    }

    /// The datashape of the image under its view.
    pub fn datashape(&self) -> Datashape {
        let (h, w) = (
            Dim::Fixed(self.height as u64),
            Dim::Fixed(self.width as u64),
        );
        match self.view {
            PngView::Record => {
                let fields = self
                    .kept()
                    .map(|c| {
                        let t = Datashape::scalar(Measure::scalar(self.scalar));
                        (CHANNELS[c].to_string(), t)
                    })
                    .collect();
                Datashape::new(vec![h, w], Measure::Record { fields })
            }
            PngView::Channels => {
                Datashape::new(vec![h, w, Dim::Fixed(4)], Measure::scalar(self.scalar))
            }
            PngView::Grey => Datashape::new(vec![h, w], Measure::scalar(self.scalar)),
        }
    }

    /// The channels of the `RGBA` record that are read, in order.
    fn kept(&self) -> impl Iterator<Item = usize> + '_ {
        (0..4).filter(|&c| self.keep[c])
    }

    /// The image with only the `RGBA` record's fields `fields` (in the
    /// record's order), the others left out as rows are decoded; `None`
    /// for another view, a name that is not a channel, or no field.
    pub fn project(&self, fields: &[String]) -> Option<PngFile> {
        if self.view != PngView::Record || fields.is_empty() {
            return None;
        }
        let mut keep = [false; 4];
        for f in fields {
            keep[CHANNELS.iter().position(|c| c == f)?] = true;
        }
        Some(PngFile {
            keep,
            ..self.clone()
        })
    }

    /// Bytes of one row of the value handed out (the channels kept).
    fn value_row_bytes(&self) -> usize {
        match self.view {
            PngView::Record => self.row_bytes() / 4 * self.kept().count(),
            _ => self.row_bytes(),
        }
    }

    /// Samples of one pixel under the view (as decoded).
    fn channels(&self) -> usize {
        match self.view {
            PngView::Grey => 1,
            _ => 4,
        }
    }

    /// Bytes of one row under the view.
    pub fn row_bytes(&self) -> usize {
        self.width
            .saturating_mul(self.channels())
            .saturating_mul(self.scalar.size_bytes())
    }

    /// Bytes of `rows` rows, checked against overflow.
    fn block_bytes(&self, rows: usize) -> Result<usize, IoError> {
        [self.width, self.channels(), self.scalar.size_bytes()]
            .iter()
            .try_fold(rows, |n, &d| n.checked_mul(d))
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(|| {
                IoError::format(
                    &self.path,
                    IoErrorKind::ShapeOverflow,
                    format!(
                        "an image of {} × {} pixels does not fit in memory sizes",
                        self.height, self.width
                    ),
                )
            })
    }

    /// A decoder from the first row.
    pub fn reader(&self) -> Result<PngReader<'_>, IoError> {
        let file = File::open(&self.path).map_err(|e| IoError::os(&self.path, "cannot open", e))?;
        let mut decoder = png::Decoder::new(BufReader::new(file));
        let mut t = Transformations::EXPAND;
        if self.scalar == Scalar::UInt8 {
            t |= Transformations::STRIP_16;
        }
        decoder.set_transformations(t);
        let reader = decoder
            .read_info()
            .map_err(|e| decode_error(&self.path, e, IoErrorKind::Corrupt))?;
        let (color, depth) = reader.output_color_type();
        let info = reader.info();
        if (info.width as usize, info.height as usize) != (self.width, self.height) {
            return Err(IoError::format(
                &self.path,
                IoErrorKind::Corrupt,
                "the image's header changed since it was opened",
            ));
        }
        Ok(PngReader {
            png: self,
            reader,
            convert: Convert {
                samples: color.samples(),
                wide: depth == BitDepth::Sixteen,
                channels: self.channels(),
                out_wide: self.scalar == Scalar::UInt16,
            },
            whole: None,
            at: 0,
            pool: BlockPool::new(),
        })
    }

    /// The whole image.
    pub fn read_all(&self) -> Result<Value, IoError> {
        let mut r = self.reader()?;
        r.next_value(self.height.max(1))
            .map(|v| v.map(|(v, _)| v))?
            .map_or_else(|| r.empty_value(), Ok)
    }
}

/// The words for a colour type in messages.
fn color_name(c: ColorType) -> &'static str {
    match c {
        ColorType::Grayscale => "grey",
        ColorType::GrayscaleAlpha => "grey with alpha",
        ColorType::Rgb => "RGB",
        ColorType::Rgba => "RGBA",
        ColorType::Indexed => "a palette image",
    }
}

/// One decoded row (after the decoder's expansion) to the view's samples.
#[derive(Clone, Copy, Debug)]
struct Convert {
    /// Samples per pixel the decoder gives (1 grey, 2 grey + alpha, 3 RGB,
    /// 4 RGBA).
    samples: usize,
    /// Whether the decoder gives 16-bit (big-endian) samples.
    wide: bool,
    /// Samples per pixel of the view (1 or 4).
    channels: usize,
    /// Whether the view's samples are `uint16` (native byte order).
    out_wide: bool,
}

impl Convert {
    /// Writes `src`'s pixels into `out` (one row of the view, native
    /// bytes); both lengths were checked by the caller.
    fn row(&self, src: &[u8], out: &mut [u8]) {
        let in_size = if self.wide { 2 } else { 1 };
        let out_size = if self.out_wide { 2 } else { 1 };
        let sample = |px: &[u8], k: usize| -> u16 {
            if self.wide {
                u16::from_be_bytes([px[2 * k], px[2 * k + 1]])
            } else {
                u16::from(px[k])
            }
        };
        let full: u16 = if self.wide || self.out_wide {
            u16::MAX
        } else {
            u16::from(u8::MAX)
        };
        let pixels_in = src.chunks_exact(self.samples * in_size);
        let pixels_out = out.chunks_exact_mut(self.channels * out_size);
        for (px, o) in pixels_in.zip(pixels_out) {
            let mut v = [0u16; 4];
            match (self.samples, self.channels) {
                (_, 1) => v[0] = sample(px, 0),
                (1, _) => v = [sample(px, 0), sample(px, 0), sample(px, 0), full],
                (2, _) => {
                    let g = sample(px, 0);
                    v = [g, g, g, sample(px, 1)];
                }
                (3, _) => v = [sample(px, 0), sample(px, 1), sample(px, 2), full],
                _ => v = [sample(px, 0), sample(px, 1), sample(px, 2), sample(px, 3)],
            }
            for (k, x) in v.iter().take(self.channels).enumerate() {
                if self.out_wide {
                    // An 8-bit sample widens by 257 (255 → 65535); the
                    // opaque `full` is already 16 bits.
                    let x = if self.wide || (self.samples % 2 == 1 && k == 3) {
                        *x
                    } else {
                        x.saturating_mul(257)
                    };
                    o[2 * k..2 * k + 2].copy_from_slice(&x.to_ne_bytes());
                } else {
                    o[k] = *x as u8;
                }
            }
        }
    }
}

/// Rows of a PNG image decoded in order (a [`RowReader`]).
pub struct PngReader<'a> {
    png: &'a PngFile,
    reader: png::Reader<BufReader<File>>,
    convert: Convert,
    /// An interlaced image, decoded whole at the first block: its bytes
    /// and the length of one of its rows.
    whole: Option<(Vec<u8>, usize)>,
    at: usize,
    pool: BlockPool,
}

impl PngReader<'_> {
    /// Decodes the next `n` rows into `out` (`n` rows of the view).
    fn decode_into(&mut self, n: usize, out: &mut [u8]) -> Result<(), IoError> {
        let path = &self.png.path;
        let row_bytes = self.png.row_bytes();
        if self.png.interlaced && self.whole.is_none() {
            let size = self.reader.output_buffer_size().ok_or_else(|| {
                IoError::format(path, IoErrorKind::ShapeOverflow, "the image is too large")
            })?;
            let what = format!("the decoded image {}", path.display());
            let mut buf = blaze_array::alloc::try_zeroed::<u8>(size, &what)
                .map_err(|e| IoError::format(path, IoErrorKind::ShapeOverflow, e.to_string()))?;
            let info = self
                .reader
                .next_frame(&mut buf)
                .map_err(|e| decode_error(path, e, IoErrorKind::Corrupt))?;
            self.whole = Some((buf, info.line_size));
        }
        for (k, o) in out.chunks_exact_mut(row_bytes.max(1)).take(n).enumerate() {
            let row = self.at + k;
            match &self.whole {
                Some((buf, line)) => {
                    let src = buf.get(row * line..(row + 1) * line).ok_or_else(|| {
                        IoError::format(
                            path,
                            IoErrorKind::Corrupt,
                            format!("row {row} is not in the decoded image"),
                        )
                    })?;
                    self.convert.row(src, o);
                }
                None => {
                    let src = self
                        .reader
                        .next_row()
                        .map_err(|e| decode_error(path, e, IoErrorKind::Corrupt))?
                        .ok_or_else(|| {
                            IoError::format(
                                path,
                                IoErrorKind::TruncatedData,
                                format!("the image data ends before row {row}"),
                            )
                        })?;
                    let need =
                        self.png.width * self.convert.samples * (1 + self.convert.wide as usize);
                    if src.data().len() < need {
                        return Err(IoError::format(
                            path,
                            IoErrorKind::Corrupt,
                            format!(
                                "row {row} decodes to {} bytes, not {need}",
                                src.data().len()
                            ),
                        ));
                    }
                    self.convert.row(src.data(), o);
                }
            }
        }
        Ok(())
    }

    /// The next up to `max` rows as an interpreter value.
    fn next_value(&mut self, max: usize) -> Result<Option<(Value, usize)>, IoError> {
        let Some(n) = self.take(max) else {
            return Ok(None);
        };
        let v = match self.png.scalar {
            Scalar::UInt16 => self.planes::<u16>(n)?,
            _ => self.planes::<u8>(n)?,
        };
        Ok(Some((v, n)))
    }

    /// The number of rows of the next block of at most `max`, or `None` at
    /// the end.
    fn take(&self, max: usize) -> Option<usize> {
        (self.at < self.png.height).then(|| max.max(1).min(self.png.height - self.at))
    }

    /// Decodes `n` rows, row by row, straight into the arrays of the view:
    /// the four planes of a record, or one array.
    fn planes<T: Sample>(&mut self, n: usize) -> Result<Value, IoError> {
        let path = &self.png.path;
        let (w, c) = (self.png.width, self.png.channels());
        // The plane of each decoded channel (a record's channels left out
        // have none).
        let mut slot = [Some(0); 4];
        let mut k = 1;
        if self.png.view == PngView::Record {
            k = 0;
            for (ch, s) in slot.iter_mut().enumerate() {
                *s = self.png.keep[ch].then_some(k);
                k += usize::from(self.png.keep[ch]);
            }
        }
        let stride = if self.png.view == PngView::Record {
            4
        } else {
            1
        };
        let per_row = w * c / stride;
        let what = format!("rows of the image {}", path.display());
        let alloc_err = |e: blaze_array::alloc::AllocError| {
            IoError::format(path, IoErrorKind::ShapeOverflow, e.to_string())
        };
        self.png.block_bytes(n)?;
        let len = n * per_row;
        let mut planes: Vec<Vec<T>> = (0..k)
            .map(|_| blaze_array::alloc::try_zeroed::<T>(len, &what).map_err(alloc_err))
            .collect::<Result<_, _>>()?;
        let mut row = vec![0u8; self.png.row_bytes()];
        for i in 0..n {
            self.decode_into(1, &mut row)?;
            self.at += 1;
            let base = i * per_row;
            for (s, b) in row.chunks_exact(T::SIZE).enumerate() {
                if let Some(p) = slot[s % stride] {
                    planes[p][base + s / stride] = T::from_ne(b);
                }
            }
        }
        let shape_err = |e: ndarray::ShapeError| {
            IoError::format(path, IoErrorKind::ShapeOverflow, e.to_string())
        };
        let mut shape = vec![n, w];
        if self.png.view == PngView::Channels {
            shape.push(4);
        }
        let mut arrays = Vec::with_capacity(k);
        for p in planes {
            arrays.push(T::array(
                ArrayD::from_shape_vec(IxDyn(&shape), p).map_err(shape_err)?,
            ));
        }
        Ok(match self.png.view {
            PngView::Record => Value::Record(
                self.png
                    .kept()
                    .map(|c| CHANNELS[c])
                    .zip(arrays)
                    .map(|(name, a)| (name.to_string(), Value::from(a)))
                    .collect(),
            ),
            _ => match arrays.pop() {
                Some(a) => Value::from(a),
                None => {
                    return Err(shape_err(ndarray::ShapeError::from_kind(
                        ndarray::ErrorKind::IncompatibleShape,
                    )))
                }
            },
        })
    }

    /// A value of no rows.
    fn empty_value(&mut self) -> Result<Value, IoError> {
        match self.png.scalar {
            Scalar::UInt16 => self.planes::<u16>(0),
            _ => self.planes::<u8>(0),
        }
    }
}

/// A sample type of a view.
trait Sample: blaze_array::alloc::Zeroed {
    /// Bytes of one sample.
    const SIZE: usize;
    /// A sample from its native bytes (`SIZE` of them).
    fn from_ne(b: &[u8]) -> Self;
    /// The interpreter's array of these samples.
    fn array(a: ArrayD<Self>) -> Array;
}

impl Sample for u8 {
    const SIZE: usize = 1;
    fn from_ne(b: &[u8]) -> u8 {
        b[0]
    }
    fn array(a: ArrayD<u8>) -> Array {
        Array::UInt8(a)
    }
}

impl Sample for u16 {
    const SIZE: usize = 2;
    fn from_ne(b: &[u8]) -> u16 {
        u16::from_ne_bytes([b[0], b[1]])
    }
    fn array(a: ArrayD<u16>) -> Array {
        Array::UInt16(a)
    }
}

impl RowReader for PngReader<'_> {
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError> {
        if self.png.view == PngView::Record {
            return Ok(self.next_value(max)?.map(|(v, n)| (RowBlock::Value(v), n)));
        }
        let Some(n) = self.take(max) else {
            return Ok(None);
        };
        self.png.block_bytes(n)?;
        let mut shape = vec![n, self.png.width];
        if self.png.view == PngView::Channels {
            shape.push(4);
        }
        let png = self.png;
        let mut pool = std::mem::take(&mut self.pool);
        let block = pool.fill(&png.path, png.scalar, &shape, |bytes| {
            self.decode_into(n, bytes)
        });
        self.pool = pool;
        let block = block?;
        self.at += n;
        Ok(Some((RowBlock::Array(block), n)))
    }

    fn empty_block(&mut self) -> Result<RowBlock, IoError> {
        match self.png.view {
            PngView::Record => self.empty_value().map(RowBlock::Value),
            _ => {
                let v = self.empty_value()?;
                match v {
                    Value::Array { data, .. } => crate::value::from_array(data)
                        .map(RowBlock::Array)
                        .map_err(|e| {
                            IoError::format(
                                &self.png.path,
                                IoErrorKind::ShapeOverflow,
                                e.to_string(),
                            )
                        }),
                    v => Ok(RowBlock::Value(v)),
                }
            }
        }
    }

    fn finish(&mut self) -> Result<usize, IoError> {
        Ok(self.at)
    }
}

impl super::RowSource for PngFile {
    fn path(&self) -> &Path {
        &self.path
    }

    fn datashape(&self) -> Datashape {
        PngFile::datashape(self)
    }

    fn row_bytes(&self) -> usize {
        // Rows are decoded one at a time straight into their arrays.
        self.value_row_bytes()
    }

    fn bytes(&self) -> u64 {
        (self.height as u64).saturating_mul(self.value_row_bytes() as u64)
    }

    fn project(&self, fields: &[String]) -> Option<Box<dyn super::RowSource>> {
        Some(Box::new(PngFile::project(self, fields)?))
    }

    fn blocks(&self) -> Result<Box<dyn RowReader + '_>, IoError> {
        Ok(Box::new(self.reader()?))
    }

    fn read_all(&self) -> Result<Value, IoError> {
        PngFile::read_all(self)
    }
}

//! Appending rows to an existing Zarr array ([`ZarrAppender`]): the shape
//! grows along the first axis, in the array's own chunk grid, codecs, byte
//! order and chunk order.
//!
//! New rows are gathered until a row of chunks is full. Chunks past the old
//! shape are written first, in place (readers of the old shape never look
//! at them; dropped unfinished, the appender removes them). The row of
//! chunks that held the old last rows is rewritten whole through a
//! temporary file renamed over each chunk: its old rows are unchanged, so a
//! reader of the old shape sees the same values before and after. The
//! metadata (`zarr.json` or `.zarray`) is replaced last, atomically, with
//! the new first dimension: that is the commit point.

use super::{Compression, FromBytes, ZarrArray};
use crate::io::atomic::Staged;
use crate::io::{IoError, IoErrorKind};
use blaze_array::DenseView;
use blaze_datashape::{Scalar, ScalarKind};
use blaze_interp::with_scalar;
use serde_json::Value as Json;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rows being appended to an existing Zarr array; see the [module
/// documentation](self).
#[derive(Debug)]
pub struct ZarrAppender {
    array: ZarrArray,
    meta_path: PathBuf,
    meta: Json,
    /// Elements of one row.
    row_elems: usize,
    /// Rows not yet in chunks, little-endian C order, from row `base` (a
    /// multiple of the chunk rows).
    pending: Vec<u8>,
    base: usize,
    /// New rows received.
    added: usize,
    /// One element of the fill value, little-endian.
    fill: Vec<u8>,
    new_chunks: Vec<PathBuf>,
    done: bool,
}

impl ZarrAppender {
    /// Opens the array at `path` to append rows of `row` elements of
    /// `scalar`; its element type and row shape must be these, else nothing
    /// is written and the error says what differs.
    pub fn open(path: &Path, scalar: Scalar, row: &[usize]) -> Result<ZarrAppender, IoError> {
        let array = ZarrArray::open(path)?;
        let refuse = |why: String| {
            IoError::format(
                path,
                IoErrorKind::Request,
                format!("cannot append: {why}; nothing was written"),
            )
        };
        if array.shape.is_empty() {
            return Err(refuse("the array is 0-d, it has no rows".into()));
        }
        if array.scalar != scalar || array.shape[1..] != *row {
            return Err(refuse(format!(
                "the array's rows are {:?} of {}, the result's rows {row:?} of {scalar}",
                &array.shape[1..],
                array.scalar
            )));
        }
        let meta_path = if path.join("zarr.json").exists() {
            path.join("zarr.json")
        } else {
            path.join(".zarray")
        };
        let text = fs::read_to_string(&meta_path)
            .map_err(|e| IoError::os(path, format!("cannot read {}", meta_path.display()), e))?;
        let meta: Json = serde_json::from_str(&text).map_err(|e| {
            IoError::format(
                path,
                IoErrorKind::MalformedHeader,
                format!("{} is not valid JSON: {e}", meta_path.display()),
            )
        })?;
        let row_elems = row
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| refuse("rows too large".into()))?;
        let old = array.shape[0];
        let base = old - old % array.chunks[0];
        // The old rows of the last, partly filled row of chunks.
        let mut pending = Vec::new();
        if base < old {
            let part = array.read_rows(base, old)?;
            with_scalar!(scalar, T => {
                if let Some(a) = <T as blaze_interp::Element>::get(&part) {
                    for x in a.iter() {
                        FromBytes::put(x, &mut pending);
                    }
                }
            });
        }
        let mut fill = Vec::new();
        with_scalar!(scalar, T => FromBytes::put(&<T as FromBytes>::from_f64(array.fill), &mut fill));
        Ok(ZarrAppender {
            array,
            meta_path,
            meta,
            row_elems,
            pending,
            base,
            added: 0,
            fill,
            new_chunks: Vec::new(),
            done: false,
        })
    }

    fn path(&self) -> &Path {
        &self.array.path
    }

    fn row_bytes(&self) -> usize {
        self.row_elems * self.array.scalar.size_bytes()
    }

    /// Appends `block` (shape `[n, row…]`) as new rows `start..start + n`;
    /// blocks come in order.
    pub fn write_view(&mut self, start: usize, block: &DenseView<'_>) -> Result<(), IoError> {
        let scalar = self.array.scalar;
        if block.scalar() != scalar
            || block.validity().is_some()
            || block.shape().get(1..) != Some(&self.array.shape[1..])
            || start != self.added
        {
            return Err(IoError::format(
                self.path(),
                IoErrorKind::Request,
                format!(
                    "cannot append a block of shape {:?} ({}) at new row {start} to rows of {:?} ({scalar}) after {} new rows",
                    block.shape(),
                    block.scalar(),
                    &self.array.shape[1..],
                    self.added
                ),
            ));
        }
        with_scalar!(scalar, T => {
            let a = crate::value::ndarray_view::<T>(block).map_err(|e| {
                IoError::format(self.path(), IoErrorKind::Request, e.to_string())
            })?;
            for x in a.iter() {
                FromBytes::put(x, &mut self.pending);
            }
        });
        self.added += block.shape()[0];
        let cr = self.array.chunks[0];
        while self.pending.len() >= cr * self.row_bytes() {
            let rest = self.pending.split_off(cr * self.row_bytes());
            let full = std::mem::replace(&mut self.pending, rest);
            self.write_chunk_row(&full, cr)?;
            self.base += cr;
        }
        Ok(())
    }

    /// Writes the chunks of the row of chunks at `self.base`, `rows` rows
    /// of `data` (the rest of the chunks' rows get the fill value).
    fn write_chunk_row(&mut self, data: &[u8], rows: usize) -> Result<(), IoError> {
        let a = &self.array;
        let rank = a.shape.len();
        let size = a.scalar.size_bytes();
        let count: usize = a.chunks.iter().product();
        let grid: Vec<usize> = (1..rank)
            .map(|k| a.shape[k].div_ceil(a.chunks[k]).max(1))
            .collect();
        let rewrite = self.base < a.shape[0];
        // Chunk positions in storage order (C: last axis fastest; F: first).
        let order: Vec<usize> = if a.fortran && rank > 1 {
            (0..rank).collect()
        } else {
            (0..rank).rev().collect()
        };
        let mut idx = vec![0usize; rank];
        idx[0] = self.base / a.chunks[0];
        loop {
            let mut raw = Vec::with_capacity(count * size);
            let mut pos = vec![0usize; rank];
            for _ in 0..count {
                let inside =
                    pos[0] < rows && (1..rank).all(|k| idx[k] * a.chunks[k] + pos[k] < a.shape[k]);
                if inside {
                    let mut flat = 0usize;
                    for k in 1..rank {
                        flat = flat * a.shape[k] + idx[k] * a.chunks[k] + pos[k];
                    }
                    let at = (pos[0] * self.row_elems + flat) * size;
                    raw.extend_from_slice(&data[at..at + size]);
                } else {
                    raw.extend_from_slice(&self.fill);
                }
                for &k in &order {
                    pos[k] += 1;
                    if pos[k] < a.chunks[k] {
                        break;
                    }
                    pos[k] = 0;
                }
            }
            if a.big_endian && size > 1 {
                let part = if a.scalar.kind() == ScalarKind::Complex {
                    size / 2
                } else {
                    size
                };
                for e in raw.chunks_exact_mut(part) {
                    e.reverse();
                }
            }
            let bytes = encode(a.compression, &raw)
                .map_err(|e| IoError::os(self.path(), "cannot compress a chunk", e))?;
            let file = a.path.join(a.key(&idx));
            if let Some(p) = file.parent() {
                fs::create_dir_all(p).map_err(|e| IoError::os(p, "cannot create", e))?;
            }
            if rewrite {
                let (stage, mut f) = Staged::file(&file)?;
                f.write_all(&bytes)
                    .and_then(|_| f.sync_all())
                    .map_err(|e| IoError::os(&file, "write error", e))?;
                stage.commit()?;
            } else {
                fs::write(&file, &bytes).map_err(|e| IoError::os(&file, "write error", e))?;
                self.new_chunks.push(file);
            }
            // The next chunk of the other axes.
            let mut k = rank;
            loop {
                if k <= 1 {
                    return Ok(());
                }
                k -= 1;
                idx[k] += 1;
                if idx[k] < grid[k - 1] {
                    break;
                }
                idx[k] = 0;
            }
        }
    }

    /// Writes the last chunks and commits the new shape (the metadata
    /// replaced atomically).
    pub fn finish(mut self, rows: usize) -> Result<(), IoError> {
        if rows != self.added {
            return Err(IoError::format(
                self.path(),
                IoErrorKind::Request,
                format!("{rows} rows to append, {} written", self.added),
            ));
        }
        let old = self.array.shape[0];
        let left = self.pending.len() / self.row_bytes().max(1);
        if self.base + left > old {
            let data = std::mem::take(&mut self.pending);
            self.write_chunk_row(&data, left)?;
        }
        let mut shape: Vec<Json> = self.array.shape.iter().map(|&n| Json::from(n)).collect();
        shape[0] = Json::from(old + self.added);
        self.meta["shape"] = Json::Array(shape);
        let text = serde_json::to_string_pretty(&self.meta).map_err(|e| {
            IoError::format(self.path(), IoErrorKind::MalformedHeader, e.to_string())
        })?;
        let (stage, mut f) = Staged::file(&self.meta_path)?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| IoError::os(&self.meta_path, "write error", e))?;
        stage.commit()?;
        self.done = true;
        Ok(())
    }
}

impl Drop for ZarrAppender {
    fn drop(&mut self) {
        if !self.done {
            for f in &self.new_chunks {
                let _ = fs::remove_file(f);
            }
        }
    }
}

/// A chunk's bytes under the array's compression.
fn encode(c: Compression, raw: &[u8]) -> std::io::Result<Vec<u8>> {
    Ok(match c {
        Compression::None => raw.to_vec(),
        Compression::Zstd => zstd::bulk::compress(raw, 3)?,
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(raw)?;
            e.finish()?
        }
        Compression::Zlib => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(raw)?;
            e.finish()?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use blaze_interp::Array;
    use ndarray::{ArrayD, IxDyn};

    fn rows(n: usize, from: usize) -> Array {
        Array::Int32(ArrayD::from_shape_fn(IxDyn(&[n, 2]), |i| {
            ((from + i[0]) * 2 + i[1]) as i32
        }))
    }

    fn files(dir: &Path) -> usize {
        let mut n = 0;
        for e in fs::read_dir(dir).unwrap().flatten() {
            n += if e.path().is_dir() {
                files(&e.path())
            } else {
                1
            };
        }
        n
    }

    #[test]
    fn an_append_dropped_before_its_commit_leaves_the_old_array() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("z.zarr");
        // Chunks of 4 rows: the last row of chunks holds 2 of its 4 rows.
        let mut w = crate::io::zarr::ZarrWriter::create(&z, Scalar::Int32, &[2], 4).unwrap();
        w.write_rows(0, &rows(4, 0)).unwrap();
        w.write_rows(4, &rows(2, 4)).unwrap();
        w.finish(6).unwrap();
        let count = files(&z);
        let mut a = ZarrAppender::open(&z, Scalar::Int32, &[2]).unwrap();
        let more = rows(9, 6);
        let Array::Int32(m) = &more else {
            unreachable!()
        };
        a.write_view(0, &crate::value::view_of(&m.view())).unwrap();
        // The partly filled chunk was rewritten and a new full one written
        // (the last 3 rows wait for `finish`); the metadata says 6 rows.
        assert_eq!(files(&z), count + 1);
        assert_eq!(ZarrArray::open(&z).unwrap().read_all().unwrap(), rows(6, 0));
        drop(a);
        assert_eq!(files(&z), count);
        assert_eq!(ZarrArray::open(&z).unwrap().shape(), &[6, 2]);
        // Appended for real, the rows all read back.
        let mut a = ZarrAppender::open(&z, Scalar::Int32, &[2]).unwrap();
        a.write_view(0, &crate::value::view_of(&m.view())).unwrap();
        a.finish(9).unwrap();
        assert_eq!(
            ZarrArray::open(&z).unwrap().read_all().unwrap(),
            rows(15, 0)
        );
    }
}

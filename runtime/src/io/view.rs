//! Views of array files: the bytes of a `.npy` file or a Zarr array read
//! under another datashape of the same elements, as in
//! `--in 'A=a.npy:N * 2 * 3 * float64'` for a file of shape `N * 6`.
//!
//! The rules ([`view`]):
//!
//! - the first dimension is the file's rows: a fixed length must equal
//!   them; a symbol (`N`), `var` or `var[n]` (with `n` at least the rows)
//!   takes them;
//! - the other dimensions are fixed, except at most one symbol, which takes
//!   what the row's elements leave for it;
//! - the measure is the file's element type (a view is not a cast:
//!   `int32` over `float64` bytes is an error), or a record whose fields are
//!   fixed dimensions over that element type
//!   (`N * {A: 3 * float64, B: 3 * float64}`): the leaves of the row
//!   datashape, in order, take the row's elements in C order;
//! - the row of the view holds as many elements as the file's row, else
//!   the error names both (`a row of 6 float64 cannot be viewed as
//!   2 * 4 * float64 (8)`).
//!
//! A view of dimensions only reshapes each block: the block read into a
//! pool buffer is the same buffer with another shape (no copy, block by
//! block or whole). A record view's fields are strided views of the block;
//! since the interpreter's records hold owned arrays, each block's fields
//! are copied once into them (the file is still read block by block).

use super::{IoError, IoErrorKind, RowBlock, RowReader, RowSource};
use blaze_array::DenseArray;
use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_interp::{with_array, Array, Value};
use std::path::Path;

/// How a view lays out one row of the file.
#[derive(Clone, Debug)]
enum RowLayout {
    /// The row's elements under another fixed shape.
    Plain(Vec<usize>),
    /// Fixed outer dimensions of records; each field its name, its own
    /// fixed dimensions and the position of its first element in a record.
    Record {
        outer: Vec<usize>,
        fields: Vec<(String, Vec<usize>, usize)>,
        record: usize,
    },
}

/// An array file read under the datashape of a view; see the [module
/// documentation](self).
#[derive(Debug)]
pub struct ViewSource {
    inner: Box<dyn RowSource>,
    ty: Datashape,
    layout: RowLayout,
    scalar: Scalar,
}

fn refuse(path: &Path, message: String) -> IoError {
    IoError::format(path, IoErrorKind::Request, message)
}

/// Fixed dimensions, one symbol at most left open (its index).
fn fixed_dims(
    path: &Path,
    dims: &[Dim],
    what: &str,
) -> Result<(Vec<usize>, Option<usize>), IoError> {
    let mut out = Vec::with_capacity(dims.len());
    let mut open = None;
    for d in dims {
        match d {
            Dim::Fixed(n) => out.push(usize::try_from(*n).map_err(|_| {
                refuse(path, format!("{what}: the length {n} is too large"))
            })?),
            Dim::TypeVar(name) if open.is_none() => {
                open = Some(out.len());
                let _ = name;
                out.push(1);
            }
            other => {
                return Err(refuse(
                    path,
                    format!(
                        "{what}: the dimensions of a view's row are fixed lengths (one symbol at most), not `{other}`"
                    ),
                ))
            }
        }
    }
    Ok((out, open))
}

fn product(path: &Path, dims: &[usize]) -> Result<usize, IoError> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| refuse(path, format!("the view's row {dims:?} is too large")))
}

/// Reads `inner` under the datashape `ann` (its first dimension the rows);
/// the same source when `ann` is its own datashape up to the rows'
/// symbol. Errors name the file and the sizes that disagree.
pub fn view(inner: Box<dyn RowSource>, ann: &Datashape) -> Result<Box<dyn RowSource>, IoError> {
    let path = inner.path().to_path_buf();
    let path = path.as_path();
    let file = inner.datashape();
    if file == *ann {
        return Ok(inner);
    }
    let Some(scalar) = file.measure.as_scalar() else {
        return Err(refuse(
            path,
            format!("only arrays of numbers can be viewed, not `{file}`"),
        ));
    };
    let Some(rows) = inner.rows().filter(|_| !file.dims.is_empty()) else {
        return Err(refuse(path, "a 0-d array has no rows to view".into()));
    };
    let file_row: Vec<usize> = file
        .dims
        .iter()
        .skip(1)
        .map(|d| match d {
            Dim::Fixed(n) => *n as usize,
            _ => 0,
        })
        .collect();
    let row_elems = product(path, &file_row)?;
    let Some((first, rest)) = ann.dims.split_first() else {
        return Err(refuse(
            path,
            format!("the view `{ann}` has no dimension for the file's {rows} rows"),
        ));
    };
    match first {
        Dim::Fixed(n) if *n == rows as u64 => {}
        Dim::TypeVar(_) | Dim::Var(None) => {}
        Dim::Var(Some(b)) if *b >= rows as u64 => {}
        other => {
            return Err(refuse(
                path,
                format!("the file has {rows} rows; the view `{ann}` asks for `{other}`"),
            ))
        }
    }
    let row_text = Datashape::new(rest.to_vec(), ann.measure.clone());
    let not_a_cast = |found: &Measure| {
        refuse(
            path,
            format!(
                "a view is not a cast: the file holds {scalar}, the view `{ann}` asks for {found}"
            ),
        )
    };
    let (outer, open) = fixed_dims(path, rest, "the view")?;
    // Elements of one outer position: 1 for a plain view, a record's leaves.
    let (per, fields) = match &ann.measure {
        Measure::Scalar { scalar: s } if *s == scalar => (1usize, None),
        Measure::Record { fields } => {
            let mut laid = Vec::with_capacity(fields.len());
            let mut at = 0usize;
            for (name, fty) in fields {
                match fty.measure.as_scalar() {
                    Some(s) if s == scalar => {}
                    _ => return Err(not_a_cast(&fty.measure)),
                }
                let (dims, sym) = fixed_dims(path, &fty.dims, &format!("field `{name}`"))?;
                if sym.is_some() {
                    return Err(refuse(
                        path,
                        format!("field `{name}` of the view `{ann}` needs fixed lengths"),
                    ));
                }
                let n = product(path, &dims)?;
                laid.push((name.clone(), dims, at));
                at = at
                    .checked_add(n)
                    .ok_or_else(|| refuse(path, "the view's record is too large".into()))?;
            }
            (at, Some(laid))
        }
        m => return Err(not_a_cast(m)),
    };
    let mut outer = outer;
    let fixed = product(path, &outer)?
        .checked_mul(per)
        .ok_or_else(|| refuse(path, "the view's row is too large".into()))?;
    let mismatch = |fixed: usize| {
        refuse(
            path,
            format!("a row of {row_elems} {scalar} cannot be viewed as {row_text} ({fixed})",),
        )
    };
    if let Some(k) = open {
        if fixed == 0 || row_elems % fixed != 0 {
            return Err(mismatch(fixed));
        }
        outer[k] = row_elems / fixed;
    } else if fixed != row_elems {
        return Err(mismatch(fixed));
    }
    let layout = match fields {
        None if outer == file_row => return Ok(inner),
        None => RowLayout::Plain(outer.clone()),
        Some(fields) => RowLayout::Record {
            outer: outer.clone(),
            fields,
            record: per,
        },
    };
    let mut dims = vec![Dim::Fixed(rows as u64)];
    dims.extend(outer.iter().map(|&n| Dim::Fixed(n as u64)));
    let measure = match &layout {
        RowLayout::Plain(_) => Measure::scalar(scalar),
        RowLayout::Record { fields, .. } => Measure::Record {
            fields: fields
                .iter()
                .map(|(n, d, _)| {
                    (
                        n.clone(),
                        Datashape::new(
                            d.iter().map(|&x| Dim::Fixed(x as u64)).collect(),
                            Measure::scalar(scalar),
                        ),
                    )
                })
                .collect(),
        },
    };
    Ok(Box::new(ViewSource {
        inner,
        ty: Datashape::new(dims, measure),
        layout,
        scalar,
    }))
}

/// C-order byte strides of `shape`, elements of `size` bytes.
fn c_strides(shape: &[usize], size: usize) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut step = size as isize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = step;
        step = step.saturating_mul(d as isize);
    }
    strides
}

impl ViewSource {
    fn error(&self, e: impl std::fmt::Display) -> IoError {
        IoError::format(
            self.inner.path(),
            IoErrorKind::ShapeOverflow,
            format!("a view as `{}`: {e}", self.ty),
        )
    }

    /// A block of the file (C order, `[n, file row…]`) under the view.
    fn block(&self, a: DenseArray) -> Result<RowBlock, IoError> {
        let n = a.shape().first().copied().unwrap_or(0);
        let a = if a.is_c_contiguous() {
            a
        } else {
            a.to_contiguous().map_err(|e| self.error(e))?
        };
        let size = self.scalar.size_bytes();
        match &self.layout {
            RowLayout::Plain(row) => {
                let mut shape = vec![n];
                shape.extend_from_slice(row);
                let strides = c_strides(&shape, size);
                // The same buffer under another shape: no copy.
                DenseArray::new(
                    a.buffer().clone(),
                    self.scalar,
                    &shape,
                    &strides,
                    a.offset(),
                )
                .map(RowBlock::Array)
                .map_err(|e| self.error(e))
            }
            RowLayout::Record {
                outer,
                fields,
                record,
            } => {
                let mut fs = Vec::with_capacity(fields.len());
                for (name, dims, at) in fields {
                    let mut shape = vec![n];
                    shape.extend_from_slice(outer);
                    shape.extend_from_slice(dims);
                    let mut lead = vec![n];
                    lead.extend_from_slice(outer);
                    let mut strides = c_strides(&lead, record * size);
                    strides.extend(c_strides(dims, size));
                    let offset = a.offset() + at * size;
                    let field = if n == 0 {
                        DenseArray::allocate(self.scalar, &shape)
                    } else {
                        DenseArray::new(a.buffer().clone(), self.scalar, &shape, &strides, offset)
                    }
                    .map_err(|e| self.error(e))?;
                    // The interpreter's records own their arrays: one copy.
                    let v = crate::value::to_value(&field).map_err(|e| self.error(e))?;
                    fs.push((name.clone(), v));
                }
                Ok(RowBlock::Value(Value::Record(fs)))
            }
        }
    }
}

/// Blocks of a view: the file's blocks, each under the view.
struct ViewReader<'a> {
    source: &'a ViewSource,
    inner: Box<dyn RowReader + 'a>,
}

impl ViewReader<'_> {
    fn map(&self, b: RowBlock) -> Result<RowBlock, IoError> {
        match b {
            RowBlock::Array(a) => self.source.block(a),
            RowBlock::Value(_) => Err(self.source.error("the file's blocks are not arrays")),
        }
    }
}

impl RowReader for ViewReader<'_> {
    fn next_block(&mut self, max: usize) -> Result<Option<(RowBlock, usize)>, IoError> {
        match self.inner.next_block(max)? {
            Some((b, n)) => Ok(Some((self.map(b)?, n))),
            None => Ok(None),
        }
    }

    fn empty_block(&mut self) -> Result<RowBlock, IoError> {
        let b = self.inner.empty_block()?;
        self.map(b)
    }

    fn finish(&mut self) -> Result<usize, IoError> {
        self.inner.finish()
    }

    fn prefer_direct(&mut self, on: bool) {
        self.inner.prefer_direct(on);
    }
}

impl RowSource for ViewSource {
    fn path(&self) -> &Path {
        self.inner.path()
    }

    fn datashape(&self) -> Datashape {
        self.ty.clone()
    }

    fn row_bytes(&self) -> usize {
        match self.layout {
            // Record fields are copied once per block.
            RowLayout::Record { .. } => 2 * self.inner.row_bytes(),
            RowLayout::Plain(_) => self.inner.row_bytes(),
        }
    }

    fn bytes(&self) -> u64 {
        self.inner.bytes()
    }

    fn cannot_stream(&self) -> Option<String> {
        self.inner.cannot_stream()
    }

    fn blocks(&self) -> Result<Box<dyn RowReader + '_>, IoError> {
        Ok(Box::new(ViewReader {
            source: self,
            inner: self.inner.blocks()?,
        }))
    }

    fn read_all(&self) -> Result<Value, IoError> {
        let v = self.inner.read_all()?;
        let Value::Array {
            data,
            missing: None,
        } = v
        else {
            return Err(self.error("the file is not one array of numbers"));
        };
        let n = data.shape().first().copied().unwrap_or(0);
        match &self.layout {
            RowLayout::Plain(row) => {
                let mut shape = vec![n];
                shape.extend_from_slice(row);
                // An owned C-order array takes its new shape without a copy.
                let data = with_array!(data, a => reshape(a, &shape).map_err(|e| self.error(e))?);
                Ok(Value::from(data))
            }
            RowLayout::Record { .. } => {
                let a = crate::value::from_array(data).map_err(|e| self.error(e))?;
                match self.block(a)? {
                    RowBlock::Value(v) => Ok(v),
                    RowBlock::Array(a) => crate::value::to_value(&a).map_err(|e| self.error(e)),
                }
            }
        }
    }
}

fn reshape<T: blaze_interp::Element>(
    a: ndarray::ArrayD<T>,
    shape: &[usize],
) -> Result<Array, ndarray::ShapeError> {
    let a = if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    };
    a.into_shape_with_order(ndarray::IxDyn(shape)).map(T::wrap)
}

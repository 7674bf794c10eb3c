//! What a [`RowReader`](super::RowReader) hands out: [`RowBlock`], a block
//! of rows as blaze's own array type (array files) or as an interpreter
//! value (CSV records); and [`BlockPool`], the reused, 64-byte-aligned
//! buffers array files are read into (and a streamed rows result is
//! written into).
//!
//! A pool buffer is shared, through an `Arc`, between the pool and the
//! [`DenseArray`] over it. The pool writes into a buffer only when it holds
//! the only reference (`Arc::get_mut`): every array over it has been
//! dropped, so no reader of the old block can see the new bytes.

use super::{IoError, IoErrorKind};
use blaze_array::{ArrayError, Buffer, DenseArray, DenseViewMut, ALLOC_ALIGN};
use blaze_datashape::Scalar;
use blaze_interp::Value;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Arc;

/// A block of rows from a reader.
#[derive(Clone, Debug)]
pub enum RowBlock {
    /// Rows of an array file, in blaze's array type (kernels read them in
    /// place).
    Array(DenseArray),
    /// Rows as an interpreter value (a CSV file's record of columns with
    /// missing masks).
    Value(Value),
}

impl RowBlock {
    /// The block as an interpreter value (a copy for an array block): for
    /// callers that want the reference interpreter's type.
    pub fn to_value(&self) -> Result<Value, ArrayError> {
        match self {
            RowBlock::Array(a) => crate::value::to_value(a),
            RowBlock::Value(v) => Ok(v.clone()),
        }
    }
}

/// One cache line of bytes, the unit of a pool buffer (so buffers are
/// 64-byte aligned).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; ALLOC_ALIGN]);

/// A pool buffer: aligned bytes.
struct Aligned(Vec<Line>);

impl Aligned {
    fn bytes(&self) -> usize {
        self.0.len() * ALLOC_ALIGN
    }

    /// Bytes from the start to the first address that is a multiple of
    /// `align` (a power of two).
    fn skip_to(&self, align: usize) -> usize {
        let p = self.0.as_ptr() as usize;
        p.next_multiple_of(align) - p
    }

    fn as_mut_bytes(&mut self, len: usize) -> &mut [u8] {
        // SAFETY: `Line` is plain bytes without padding; `len` is at most
        // the capacity in bytes (checked by the caller).
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<u8>(), len) }
    }
}

/// The bytes of a C-order block of `scalar` and `shape`.
fn block_bytes(path: &Path, scalar: Scalar, shape: &[usize]) -> Result<usize, IoError> {
    shape
        .iter()
        .try_fold(scalar.size_bytes(), |n, &d| n.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize / 2)
        .ok_or(ArrayError::Overflow { what: "block size" })
        .map_err(|e| block_error(path, shape, e))
}

fn block_error(path: &Path, shape: &[usize], e: ArrayError) -> IoError {
    IoError::format(
        path,
        IoErrorKind::ShapeOverflow,
        format!("a block of shape {shape:?}: {e}"),
    )
}

/// Reused, 64-byte-aligned buffers for blocks of one reader: a buffer goes
/// back to work once every block over it is dropped, so a streamed run
/// holds as many as blocks are in flight (at most three) and faults their
/// pages in once.
#[derive(Default)]
pub struct BlockPool {
    buffers: Vec<Arc<Aligned>>,
    /// Blocks not in the page cache are read with `O_DIRECT`.
    direct: bool,
}

impl std::fmt::Debug for BlockPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockPool")
            .field("buffers", &self.buffers.len())
            .finish()
    }
}

impl BlockPool {
    /// An empty pool.
    pub fn new() -> BlockPool {
        BlockPool::default()
    }

    /// Has the blocks of array files that are not in the page cache read
    /// with `O_DIRECT` into the pool's buffers (off by default: such reads
    /// leave the file uncached for the next run). A reader whose blocks
    /// feed BLAS turns it on: the disk then writes the blocks without the
    /// processor's help, which the BLAS routines want whole.
    pub fn set_direct(&mut self, on: bool) {
        self.direct = on;
    }

    /// Whether cold blocks are read with `O_DIRECT` ([`BlockPool::set_direct`]).
    pub fn direct(&self) -> bool {
        self.direct
    }

    /// Buffers the pool holds (free or in use).
    pub fn len(&self) -> usize {
        self.buffers.len()
    }

    /// Whether the pool holds no buffer.
    pub fn is_empty(&self) -> bool {
        self.buffers.is_empty()
    }

    /// A C-order array of `scalar` and `shape` whose bytes `fill` writes
    /// (all of them, in C order, native byte order), in a free buffer of
    /// the pool (a new one when none is free or large enough); errors name
    /// `path`, the file read.
    pub fn fill<E: From<IoError>>(
        &mut self,
        path: &Path,
        scalar: Scalar,
        shape: &[usize],
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<DenseArray, E> {
        let len = block_bytes(path, scalar, shape)?;
        self.fill_aligned(path, scalar, shape, ALLOC_ALIGN, len, 0, fill)
    }

    /// As [`BlockPool::fill`] into `span` bytes starting at an address that
    /// is a multiple of `align` (a power of two): `fill` writes all of
    /// them, and the array's elements start `delta` bytes in (a direct
    /// read of whole pages around a block).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fill_aligned<E: From<IoError>>(
        &mut self,
        path: &Path,
        scalar: Scalar,
        shape: &[usize],
        align: usize,
        span: usize,
        delta: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<DenseArray, E> {
        let len = block_bytes(path, scalar, shape)?;
        let align = align.max(ALLOC_ALIGN);
        if delta.checked_add(len).is_none_or(|end| end > span) {
            return Err(E::from(IoError::format(
                path,
                IoErrorKind::ShapeOverflow,
                format!("a block of {len} bytes does not fit {span} bytes from byte {delta}"),
            )));
        }
        // Room for `span` bytes from the first `align` boundary.
        let need = span + (align - ALLOC_ALIGN);
        // A free buffer large enough, else a new one, which replaces a free
        // one that is too small. (Which buffers are free is decided once:
        // a buffer freed while the new one is made is not replaced, it
        // serves the next block.)
        let mut small = None;
        let mut free = None;
        for (k, b) in self.buffers.iter_mut().enumerate() {
            if let Some(b) = Arc::get_mut(b) {
                if b.bytes() >= need {
                    free = Some(k);
                    break;
                }
                small = Some(k);
            }
        }
        let k = match free {
            Some(k) => k,
            None => {
                // Room for any block of `len` bytes at any offset from a
                // page boundary, so that the next ones reuse the buffer.
                let room = if align > ALLOC_ALIGN {
                    need.max(len + 3 * align)
                } else {
                    need
                };
                let lines = room.div_ceil(ALLOC_ALIGN).max(1);
                let mut v = vec![Line([0; ALLOC_ALIGN]); lines];
                crate::memory::advise_huge_pages(v.as_mut_ptr().cast(), lines * ALLOC_ALIGN);
                let fresh = Arc::new(Aligned(v));
                match small {
                    Some(k) => {
                        self.buffers[k] = fresh;
                        k
                    }
                    None => {
                        self.buffers.push(fresh);
                        self.buffers.len() - 1
                    }
                }
            }
        };
        let buf = Arc::get_mut(&mut self.buffers[k]).expect("a free buffer is unshared");
        let skip = buf.skip_to(align);
        fill(&mut buf.as_mut_bytes(skip + span)[skip..])?;
        let owner = Arc::clone(&self.buffers[k]);
        // SAFETY: `skip + delta + len <= skip + span <= bytes()`: inside
        // the buffer.
        let data = unsafe { owner.0.as_ptr().cast::<u8>().add(skip + delta) };
        let ptr = NonNull::new(data.cast_mut()).expect("a vector's pointer is not null");
        // SAFETY: the owner keeps `len` bytes at `ptr` allocated as long as
        // the buffer lives; the pool writes them only when it holds the
        // only reference (`Arc::get_mut`), so they never change under an
        // array.
        let buffer = unsafe { Buffer::from_custom_allocation(ptr, len, owner) };
        DenseArray::c_order(buffer, scalar, shape)
            .map_err(|e| block_error(path, shape, e))
            .map_err(E::from)
    }

    /// As [`BlockPool::fill`], the elements written through a C-order
    /// [`DenseViewMut`] (where a kernel can write a block's result).
    pub fn write<E: From<IoError>>(
        &mut self,
        path: &Path,
        scalar: Scalar,
        shape: &[usize],
        write: impl FnOnce(DenseViewMut<'_>) -> Result<(), E>,
    ) -> Result<DenseArray, E> {
        let size = scalar.size_bytes() as isize;
        let mut strides = vec![0isize; shape.len()];
        let mut step = size;
        for (s, &d) in strides.iter_mut().zip(shape).rev() {
            *s = step;
            step = step.saturating_mul(d as isize);
        }
        self.fill(path, scalar, shape, |bytes| {
            // SAFETY: `bytes` holds every element of `shape` in C order,
            // aligned (the pool's buffers are 64-byte aligned), and is
            // borrowed exclusively while the view lives (it does not
            // outlive this closure); the size was checked against overflow.
            let view = unsafe {
                DenseViewMut::from_raw_parts(bytes.as_mut_ptr(), scalar, shape.to_vec(), strides)
            };
            write(view)
        })
    }
}

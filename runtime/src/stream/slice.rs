//! Reading through a row slice: the rows `start..stop` every `step` of
//! the streamed inputs, read from `start` (array files seek there) and no
//! further than `stop`, each block of rows read narrowed to the rows of the
//! slice (a strided view of an array block, read in place; the rows of an
//! interpreter value taken).

use super::lower::RowSlice;
use crate::error::StreamError;
use crate::io::RowBlock;
use blaze_array::DenseArray;
use blaze_interp::Value;
use blaze_ir::{Function, Node, NodeId, Op};

/// A row slice in rows of the input: from `start`, before `stop` (the end
/// of the input when `None`), every `step` rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ReadSlice {
    pub(super) start: usize,
    pub(super) stop: Option<usize>,
    pub(super) step: usize,
}

impl ReadSlice {
    /// The slice over `rows` input rows (when known); negative bounds need
    /// them.
    pub(super) fn new(s: RowSlice, rows: Option<usize>) -> Result<ReadSlice, StreamError> {
        let step = usize::try_from(s.step)
            .ok()
            .filter(|k| *k >= 1)
            .ok_or_else(|| StreamError::Program("a row slice needs a positive step".into()))?;
        match rows {
            Some(n) => {
                let n = i64::try_from(n)
                    .map_err(|_| StreamError::Rows(format!("{n} rows are too many to slice")))?;
                let (lo, hi) = blaze_ir::slice_bounds(n, s.start, s.stop, s.step);
                let lo = usize::try_from(lo.max(0)).unwrap_or(0);
                let hi = usize::try_from(hi.max(0)).unwrap_or(0).max(lo);
                Ok(ReadSlice {
                    start: lo,
                    stop: Some(hi),
                    step,
                })
            }
            None => {
                let bound = |v: Option<i64>| match v {
                    Some(x) if x < 0 => Err(StreamError::Program(format!(
                        "the row slice bound {x} counts from the end, and the number of rows \
                         is known only at the end of the input"
                    ))),
                    Some(x) => Ok(Some(usize::try_from(x).unwrap_or(usize::MAX))),
                    None => Ok(None),
                };
                Ok(ReadSlice {
                    start: bound(s.start)?.unwrap_or(0),
                    stop: bound(s.stop)?,
                    step,
                })
            }
        }
    }

    /// Input rows from `start` to `stop`, when `stop` is known.
    pub(super) fn span(&self) -> Option<usize> {
        self.stop.map(|e| e.saturating_sub(self.start))
    }

    /// Rows of the slice, when `stop` is known.
    pub(super) fn rows(&self) -> Option<usize> {
        self.span().map(|r| r.div_ceil(self.step))
    }

    /// Input rows read for a block of `block` rows: a multiple of the step
    /// (at least one step).
    pub(super) fn chunk(&self, block: usize) -> usize {
        (block.max(self.step) / self.step) * self.step
    }

    /// Input rows to read next from row `at` (at most `max`, a multiple of
    /// the step, no further than `stop`).
    pub(super) fn request(&self, at: usize, max: usize) -> usize {
        let max = self.chunk(max);
        match self.stop {
            Some(e) => max.min(e.saturating_sub(at)),
            None => max,
        }
    }

    /// The rows of the slice among input rows `at..at + n`: the offset of
    /// the first and their count.
    pub(super) fn within(&self, at: usize, n: usize) -> (usize, usize) {
        let first = if at <= self.start {
            self.start
        } else {
            let k = (at - self.start).div_ceil(self.step);
            self.start.saturating_add(k.saturating_mul(self.step))
        };
        let end = at.saturating_add(n).min(self.stop.unwrap_or(usize::MAX));
        if first >= end {
            return (0, 0);
        }
        (first - at, (end - 1 - first) / self.step + 1)
    }

    /// Block `b` (input rows `at..at + n`) narrowed to the slice's rows.
    pub(super) fn narrow(
        &self,
        b: RowBlock,
        at: usize,
        n: usize,
    ) -> Result<(RowBlock, usize), StreamError> {
        let (o0, m) = self.within(at, n);
        if o0 == 0 && m == n {
            return Ok((b, m));
        }
        let bad = |e: String| StreamError::Program(format!("rows of the row slice: {e}"));
        match b {
            RowBlock::Array(a) if self.step == 1 || a.validity().is_none() => {
                let rows = a.slice_rows(o0, o0 + m).map_err(|e| bad(e.to_string()))?;
                if self.step == 1 || m <= 1 {
                    return Ok((RowBlock::Array(rows), m));
                }
                let mut strides = rows.strides().to_vec();
                let mut shape = rows.shape().to_vec();
                if let (Some(s), Some(r)) = (strides.first_mut(), shape.first_mut()) {
                    *s = s
                        .checked_mul(self.step as isize)
                        .ok_or_else(|| bad("a stride overflows".into()))?;
                    *r = m;
                }
                let view = DenseArray::new(
                    rows.buffer().clone(),
                    rows.scalar(),
                    &shape,
                    &strides,
                    rows.offset(),
                )
                .map_err(|e| bad(e.to_string()))?;
                Ok((RowBlock::Array(view), m))
            }
            other => {
                let v = other.to_value().map_err(|e| bad(e.to_string()))?;
                let rows: Vec<i64> = (0..m).map(|k| (o0 + k * self.step) as i64).collect();
                Ok((RowBlock::Value(take_rows(v, rows)?), m))
            }
        }
    }
}

/// The rows `rows` of a value (arrays, columns, records), by the reference
/// interpreter's gather.
fn take_rows(v: Value, rows: Vec<i64>) -> Result<Value, StreamError> {
    let ty = blaze_datashape::Datashape::new(
        vec![blaze_datashape::Dim::Var(None)],
        blaze_datashape::Measure::scalar(blaze_datashape::Scalar::Int64),
    );
    let node = |op: Op, args: Vec<NodeId>| Node {
        op,
        args,
        ty: ty.clone(),
        weak: false,
        span: Default::default(),
    };
    let f = Function {
        name: "rows".into(),
        params: vec![("x".into(), ty.clone()), ("i".into(), ty.clone())],
        nodes: vec![
            node(Op::Param(0), vec![]),
            node(Op::Param(1), vec![]),
            node(Op::Take, vec![NodeId(0), NodeId(1)]),
        ],
        root: NodeId(2),
        index_vars: vec![],
    };
    let idx = Value::from(blaze_interp::Array::Int64(
        ndarray::Array1::from(rows).into_dyn(),
    ));
    blaze_interp::eval_op(&f, NodeId(2), vec![v, idx])
        .map_err(|e| StreamError::Program(format!("rows of the row slice: {e}")))
}

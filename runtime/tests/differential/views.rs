//! Inputs passed as a caller passes them: views of memory blaze does not
//! own, in every layout the JIT engine must read in place.
//!
//! A [`Source`] says how one input reaches a call: as an interpreter
//! value, as a lifetime-bound view of an ndarray array (`view_of`), as a
//! shared ndarray array turned into a `DenseArray` without copying
//! (`from_shared`), as an ndarray view with a keep-alive owner
//! (`from_view_with_owner`), or as a `DenseArray` over a caller's buffer
//! with a keep-alive owner in a chosen [`Layout`] — C or Fortran order,
//! every-other-element strides, reversed axes, a byte offset into a larger
//! buffer, any stride on axes of length 1. Every byte of a caller's buffer
//! that is not an element of the view (padding before and after, the gaps
//! between strided elements) holds a sentinel ([`sentinel`]: NaN, or
//! large integers) that would change a result if a kernel read it.

use super::common::Rng;
use blaze_array::{Allocation, DenseArray, DenseView};
use blaze_datashape::Scalar;
use blaze_interp::{with_array, Value};
use blaze_runtime::exec::Arg;
use blaze_runtime::value::{from_shared, from_value, from_view_with_owner, view_of};
use half::f16;
use ndarray::{Dimension, IxDyn};
use std::sync::Arc;

/// The stride given to axes of length 1 (any stride is valid there).
#[derive(Clone, Copy, Debug)]
pub enum UnitStride {
    /// The stride the axis would have in the order of the other axes.
    Natural,
    /// Stride 0.
    Zero,
    /// This stride in elements (may be negative or point far outside the
    /// buffer: it is never multiplied by more than 0).
    Any(isize),
}

/// A layout of a caller's memory for an array of a given rank.
#[derive(Clone, Debug)]
pub struct Layout {
    /// What the layout is, for messages.
    pub name: &'static str,
    /// The axes from the outermost to the innermost in memory.
    order: Vec<usize>,
    /// Per axis, the distance between neighbours in units of the axis's
    /// contiguous stride (2: every other element).
    step: Vec<usize>,
    /// Per axis, whether it runs backwards in memory (negative stride).
    reversed: Vec<bool>,
    unit: UnitStride,
    /// Sentinel elements before the lowest and after the highest element.
    pad: (usize, usize),
}

/// The names [`Layout::named`] knows.
pub const LAYOUTS: &[&str] = &[
    "c",
    "fortran",
    "stepped",
    "reversed",
    "offset",
    "unit-zero",
    "unit-any",
    "mixed",
];

impl Layout {
    /// The layout called `name` (one of [`LAYOUTS`]) for `rank` axes;
    /// `rng` chooses what the name leaves open (padding, the arbitrary
    /// stride, the mixture).
    pub fn named(name: &'static str, rank: usize, rng: &mut Rng) -> Layout {
        let mut l = Layout {
            name,
            order: (0..rank).collect(),
            step: vec![1; rank],
            reversed: vec![false; rank],
            unit: UnitStride::Natural,
            pad: (0, 0),
        };
        match name {
            "fortran" => l.order.reverse(),
            "stepped" => l.step = vec![2; rank],
            "reversed" => l.reversed = vec![true; rank],
            "offset" => l.pad = (1 + rng.below(9), rng.below(4)),
            "unit-zero" => l.unit = UnitStride::Zero,
            "unit-any" => l.unit = UnitStride::Any(any_stride(rng)),
            "mixed" => {
                for i in (1..rank).rev() {
                    l.order.swap(i, rng.below(i + 1));
                }
                l.step = (0..rank).map(|_| 1 + rng.below(3)).collect();
                l.reversed = (0..rank).map(|_| rng.chance(0.4)).collect();
                l.unit = match rng.below(3) {
                    0 => UnitStride::Natural,
                    1 => UnitStride::Zero,
                    _ => UnitStride::Any(any_stride(rng)),
                };
                l.pad = (rng.below(5), rng.below(5));
            }
            _ => {}
        }
        l
    }

    /// A random one of [`LAYOUTS`].
    pub fn random(rng: &mut Rng, rank: usize) -> Layout {
        let name = *rng.pick(LAYOUTS);
        Layout::named(name, rank, rng)
    }

    /// The layout with at least `before` and `after` sentinel elements
    /// around the view.
    pub fn padded(mut self, before: usize, after: usize) -> Layout {
        self.pad = (self.pad.0.max(before), self.pad.1.max(after));
        self
    }
}

fn any_stride(rng: &mut Rng) -> isize {
    let s = 1 + rng.below(100_000) as isize;
    if rng.chance(0.5) {
        -s
    } else {
        s
    }
}

/// One element of `scalar` that no generated input holds and that changes
/// a sum, a product or a maximum it enters: NaN for floats, bytes 0x7b for
/// integers (123 as `int8`, large for wider types), true for `bool`.
pub fn sentinel(scalar: Scalar) -> Vec<u8> {
    match scalar {
        Scalar::Float64 => f64::NAN.to_ne_bytes().to_vec(),
        Scalar::Float32 => f32::NAN.to_ne_bytes().to_vec(),
        Scalar::Float16 => f16::NAN.to_ne_bytes().to_vec(),
        Scalar::Complex64 => [f32::NAN.to_ne_bytes(), f32::NAN.to_ne_bytes()].concat(),
        Scalar::Complex128 => [f64::NAN.to_ne_bytes(), f64::NAN.to_ne_bytes()].concat(),
        Scalar::Bool => vec![1],
        s => vec![0x7b; s.size_bytes()],
    }
}

/// The elements of `value` copied into a caller's buffer in `layout`, the
/// rest of the buffer sentinels, as a `DenseArray` over that buffer (the
/// caller's memory, kept alive by the buffer's owner) — what a caller
/// hands blaze. An error names what the array crate refused.
pub fn caller_array(value: &Value, layout: &Layout) -> Result<DenseArray, String> {
    let dense = from_value(value).map_err(|e| format!("from_value: {e}"))?;
    let scalar = dense.scalar();
    let size = scalar.size_bytes();
    let shape = dense.shape().to_vec();
    let n = dense.len();
    let start = dense.offset();
    let elements = &dense.buffer().as_slice()[start..start + n * size];
    let rank = shape.len();
    // Strides in elements: contiguous in `order`, stepped, then signs and
    // the strides of length-1 axes.
    let mut strides = vec![0isize; rank];
    let mut next = 1isize;
    for &axis in layout.order.iter().rev() {
        strides[axis] = next * layout.step[axis] as isize;
        next = strides[axis] * shape[axis].max(1) as isize;
    }
    for axis in 0..rank {
        if shape[axis] == 1 {
            match layout.unit {
                UnitStride::Natural => {}
                UnitStride::Zero => strides[axis] = 0,
                UnitStride::Any(s) => strides[axis] = s,
            }
        } else if layout.reversed[axis] {
            strides[axis] = -strides[axis];
        }
    }
    let (mut lo, mut hi) = (0isize, 0isize);
    if n > 0 {
        for (&d, &s) in shape.iter().zip(&strides) {
            let extent = (d as isize - 1) * s;
            if extent < 0 {
                lo += extent;
            } else {
                hi += extent;
            }
        }
    }
    let span = if n == 0 { 0 } else { (hi - lo + 1) as usize };
    let first = layout.pad.0 + lo.unsigned_abs();
    let total = layout.pad.0 + span + layout.pad.1;
    let mut bytes = sentinel(scalar).repeat(total);
    for (k, index) in ndarray::indices(IxDyn(&shape)).into_iter().enumerate() {
        let at: isize = first as isize
            + index
                .slice()
                .iter()
                .zip(&strides)
                .map(|(&i, &s)| i as isize * s)
                .sum::<isize>();
        let at = at as usize * size;
        bytes[at..at + size].copy_from_slice(&elements[k * size..(k + 1) * size]);
    }
    // The caller's memory: 8-byte words (aligned for every element type),
    // owned by the buffer from here on.
    let words: Vec<u64> = bytes
        .chunks(8)
        .map(|c| {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            u64::from_ne_bytes(w)
        })
        .collect();
    let count = words.len();
    let memory = DenseArray::from_vec(words, &[count]).map_err(|e| format!("memory: {e}"))?;
    let buffer = memory.buffer().slice_with_length(0, total * size);
    let byte_strides: Vec<isize> = strides.iter().map(|s| s * size as isize).collect();
    DenseArray::new(buffer, scalar, &shape, &byte_strides, first * size)
        .map_err(|e| format!("DenseArray::new: {e}"))
}

/// A caller's array, for messages: its layout's name, byte strides,
/// offset and buffer length.
pub fn caller_text(layout: &str, a: &DenseArray) -> String {
    format!(
        "{layout} view, byte strides {:?}, offset {} of {} bytes",
        a.strides(),
        a.offset(),
        a.buffer().len()
    )
}

/// How one input reaches a call.
#[derive(Clone, Debug)]
pub enum Source {
    /// The interpreter value itself (`Arg::Value`).
    Value,
    /// A lifetime-bound view of the value's ndarray array, whatever its
    /// strides (`view_of`).
    NdView,
    /// The value's ndarray array, shared, as a `DenseArray` that keeps it
    /// alive (`from_shared`).
    Shared,
    /// A view of a copy of the value's ndarray array (same strides) with
    /// that copy as the buffer's keep-alive owner (`from_view_with_owner`):
    /// memory kept alive by something blaze cannot see.
    Owner,
    /// A caller's buffer in a layout ([`caller_array`]).
    Caller(Layout),
}

impl Source {
    /// What the source is, for the summary.
    pub fn label(&self) -> &'static str {
        match self {
            Source::Value => "value",
            Source::NdView => "ndarray view",
            Source::Shared => "shared",
            Source::Owner => "owner-kept",
            Source::Caller(l) => l.name,
        }
    }

    /// A random source for an input of `rank` axes; `Value` only if
    /// `value_allowed`.
    pub fn random(rng: &mut Rng, rank: usize, value_allowed: bool) -> Source {
        if value_allowed && rng.chance(0.3) {
            return Source::Value;
        }
        match rng.below(12) {
            0..=1 => Source::NdView,
            2 => Source::Shared,
            3 => Source::Owner,
            _ => Source::Caller(Layout::random(rng, rank)),
        }
    }

    /// Random sources for inputs of these ranks, at least one a view.
    pub fn random_mix(rng: &mut Rng, ranks: &[usize]) -> Vec<Source> {
        let mut sources: Vec<Source> = ranks
            .iter()
            .map(|&r| Source::random(rng, r, true))
            .collect();
        if sources.iter().all(|s| matches!(s, Source::Value)) && !ranks.is_empty() {
            let k = rng.below(ranks.len());
            sources[k] = Source::random(rng, ranks[k], false);
        }
        sources
    }
}

/// The memory of a call's view inputs, alive for the call: one entry per
/// input, `None` where the input is read from its value.
pub struct Held {
    arrays: Vec<Option<DenseArray>>,
}

impl Held {
    /// The arrays for `sources` (one per input).
    pub fn new(inputs: &[Value], sources: &[Source]) -> Result<Held, String> {
        let arrays = inputs
            .iter()
            .zip(sources)
            .map(|(v, s)| match s {
                Source::Value | Source::NdView => Ok(None),
                Source::Shared => shared_array(v).map(Some),
                Source::Owner => owned_view(v).map(Some),
                Source::Caller(l) => caller_array(v, l).map(Some),
            })
            .collect::<Result<_, _>>()?;
        Ok(Held { arrays })
    }

    /// The call's arguments: values, or views of the held arrays or of the
    /// values' own memory.
    pub fn args<'a>(&'a self, inputs: &'a [Value], sources: &[Source]) -> Vec<Arg<'a>> {
        inputs
            .iter()
            .zip(sources)
            .zip(&self.arrays)
            .map(|((v, s), held)| match (s, held) {
                (_, Some(a)) => Arg::View(a.view()),
                (Source::NdView, None) => nd_view(v).map_or(Arg::Value(v), Arg::View),
                _ => Arg::Value(v),
            })
            .collect()
    }

    /// Input `i`'s source, strides, offset and buffer, for messages.
    pub fn describe(&self, i: usize, source: &Source, value: &Value) -> String {
        let strides = |v: &DenseView<'_>| format!("byte strides {:?}", v.strides());
        match (source, &self.arrays[i]) {
            (Source::Caller(l), Some(a)) => caller_text(&format!("caller {}", l.name), a),
            (_, Some(a)) => caller_text(source.label(), a),
            (Source::NdView, None) => match nd_view(value) {
                Some(v) => format!("ndarray view, {}", strides(&v)),
                None => "value".into(),
            },
            _ => "value".into(),
        }
    }
}

/// A view of the memory of a value's array (no copy), or `None` for
/// values with missing values, records and tuples.
pub fn nd_view(value: &Value) -> Option<DenseView<'_>> {
    match value {
        Value::Array {
            data,
            missing: None,
        } => Some(with_array!(data, x => view_of(&x.view()))),
        _ => None,
    }
}

/// A value's ndarray array made shared (same strides) and taken by a
/// `DenseArray` without copying.
fn shared_array(value: &Value) -> Result<DenseArray, String> {
    match value {
        Value::Array {
            data,
            missing: None,
        } => with_array!(data, x => from_shared(x.clone().into_shared()))
            .map_err(|e| format!("from_shared: {e}")),
        _ => Err("not a plain array".into()),
    }
}

/// A view of a value's ndarray array (a copy with the same strides) taken
/// with that copy as the keep-alive owner of the memory.
fn owned_view(value: &Value) -> Result<DenseArray, String> {
    match value {
        Value::Array {
            data,
            missing: None,
        } => with_array!(data, x => {
            let owner = Arc::new(x.clone());
            let view = owner.view();
            // SAFETY: the owner is the array the view looks into, so it
            // keeps all the memory between its elements alive, and nothing
            // writes to it.
            unsafe { from_view_with_owner(&view, owner.clone() as Arc<dyn Allocation>) }
        })
        .map_err(|e| format!("from_view_with_owner: {e}")),
        _ => Err("not a plain array".into()),
    }
}

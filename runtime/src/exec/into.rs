//! Running into a caller's output: [`Prepared::run_into`]. A function that
//! ends in a fused group without a reduction has its last kernel write
//! straight into the caller's memory (its pointer and strides, negative
//! included); any other result — a reduction, BLAS/LAPACK, the reference
//! kernels, the interpreter — is computed as by [`Prepared::run_args`] and
//! copied into the output once. An output that shares memory with an input
//! view is never written by a kernel: the result goes through a temporary,
//! so every input is read before the output is written (NumPy's `out=`).

use super::{Arg, Options, Prepared, Report};
use crate::error::Error;
use blaze_array::{DenseView, DenseViewMut};
use blaze_datashape::{Datashape, Dim};
use blaze_interp::{with_array, EvalError, Value};

/// Where a kernel writes instead of allocating: the caller's output, its
/// element 0, shape and strides in elements (any sign; no two indices
/// reach one element).
pub(super) struct Dest {
    /// Element 0.
    pub ptr: *mut u8,
    /// The shape, which must be the kernel's iteration space.
    pub shape: Vec<usize>,
    /// Strides in elements, per axis.
    pub strides: Vec<i64>,
    /// The output's validity bitmap, when it has one: its bytes and the
    /// bit of element 0 (C order, 1 = valid). An option result's kernel
    /// then writes its bits there.
    pub validity: Option<(*mut u8, usize)>,
}

impl Prepared {
    /// Runs on `inputs` (as [`Prepared::run_args`]) and writes the result
    /// into `out`, which must have the result's element type and shape.
    /// When the last step is a fused elementwise kernel and `out` shares no
    /// memory with an input view, the kernel writes into `out` directly;
    /// otherwise the result is computed first and copied into `out` once.
    /// When `out` has a validity bitmap ([`DenseViewMut::with_validity_bits`])
    /// an option result goes there too: an elementwise kernel writes the
    /// bits itself (chunks never share a byte of the bitmap); other results
    /// are copied with their missing mask. Without one, a result with
    /// missing values is an error. On an error nothing has been written.
    pub fn run_into(
        &self,
        inputs: &[Arg<'_>],
        mut out: DenseViewMut<'_>,
        opts: &Options,
    ) -> Result<Report, Error> {
        let strides = check_output(self.f.result_type(), &out)?;
        let overlaps = inputs
            .iter()
            .any(|a| matches!(a, Arg::View(v) if !v.is_empty() && (out.overlaps(v) || bitmap_overlaps(&out, v))));
        let mut dest = (!overlaps && !out.is_empty()).then(|| Dest {
            ptr: out.as_mut_ptr(),
            shape: out.shape().to_vec(),
            strides,
            validity: out.validity_bits(),
        });
        let offered = dest.is_some();
        let (value, report) = self.run_to(inputs, opts, &mut dest, &mut Default::default())?;
        if offered && dest.is_none() {
            // The kernel wrote the result into `out`.
            return Ok(report);
        }
        write_value(&value, &mut out)?;
        Ok(report)
    }

    /// Writes `value`, a result of this function computed elsewhere (by
    /// the interpreter), into `out`, checked as by [`Prepared::run_into`].
    pub fn write_result(&self, value: &Value, mut out: DenseViewMut<'_>) -> Result<(), Error> {
        check_output(self.f.result_type(), &out)?;
        write_value(value, &mut out)
    }
}

/// Whether the output's validity bitmap may share a byte with the input's
/// values or bitmap (the kernel would then overwrite bits it still reads).
fn bitmap_overlaps(out: &DenseViewMut<'_>, input: &DenseView<'_>) -> bool {
    let Some((bits, off)) = out.validity_bits() else {
        return false;
    };
    let bytes = |p: *const u8, off: usize, len: usize| {
        p as usize + off / 8..p as usize + (off + len).div_ceil(8)
    };
    let o = bytes(bits, off, out.len());
    let mut ranges = vec![input.address_range()];
    if let Some(n) = input.validity() {
        ranges.push(bytes(n.buffer().as_ptr(), n.offset(), n.len()));
    }
    ranges.iter().any(|r| o.start < r.end && r.start < o.end)
}

fn output_error(message: String) -> Error {
    EvalError::Input(message).into()
}

/// Checks the output's element type, the dimensions the result type fixes
/// (its rank, fixed lengths; symbolic lengths are compared with the result
/// once it is known) and that no two of its indices reach one element;
/// returns its strides in elements.
fn check_output(ty: &Datashape, out: &DenseViewMut<'_>) -> Result<Vec<i64>, Error> {
    check_output_type(ty, out)?;
    let strides = out
        .element_strides()
        .map_err(|e| output_error(format!("the output: {e}")))?;
    if let Some(axis) = self_overlap(out.shape(), &strides) {
        return Err(output_error(format!(
            "the output's elements overlap (axis {axis}: shape {:?}, byte strides {:?}); \
             each element must have its own memory",
            out.shape(),
            out.strides()
        )));
    }
    Ok(strides)
}

fn check_output_type(ty: &Datashape, out: &DenseViewMut<'_>) -> Result<(), Error> {
    let Some(scalar) = ty.measure.element_scalar() else {
        return Err(output_error(format!(
            "the result type `{ty}` is not an array of numbers, so it cannot be written into an output array"
        )));
    };
    if scalar != out.scalar() {
        return Err(output_error(format!(
            "the output holds {}, but the result type is `{ty}`",
            out.scalar()
        )));
    }
    let shape = out.shape();
    if ty.dims.iter().any(|d| matches!(d, Dim::Ellipsis(_))) {
        return Ok(());
    }
    if ty.dims.len() != shape.len() {
        return Err(output_error(format!(
            "the output has {} dimensions (shape {shape:?}), but the result type `{ty}` has {}",
            shape.len(),
            ty.dims.len()
        )));
    }
    for (axis, (d, &n)) in ty.dims.iter().zip(shape).enumerate() {
        if let Dim::Fixed(m) = d {
            if *m as usize != n {
                return Err(output_error(format!(
                    "the output has length {n} on axis {axis}, but the result type `{ty}` says {m}"
                )));
            }
        }
    }
    Ok(())
}

/// An axis along which two indices reach one element, if the layout has
/// one: with the axes sorted by stride, each stride must step past all the
/// elements the smaller ones reach.
fn self_overlap(shape: &[usize], strides: &[i64]) -> Option<usize> {
    let mut axes: Vec<usize> = (0..shape.len()).filter(|&a| shape[a] > 1).collect();
    axes.sort_by_key(|&a| strides[a].unsigned_abs());
    let mut reach: u128 = 0;
    for a in axes {
        let s = strides[a].unsigned_abs() as u128;
        if s <= reach {
            return Some(a);
        }
        reach += s * (shape[a] as u128 - 1);
    }
    None
}

/// Copies a computed result into the output: the shapes must agree, and a
/// value with missing values cannot go into an output without a validity
/// bitmap; an output with one gets every element's bit.
fn write_value(value: &Value, out: &mut DenseViewMut<'_>) -> Result<(), Error> {
    let Value::Array { data, missing } = value else {
        return Err(output_error(
            "the result is a record or a tuple, which cannot be written into one output array"
                .into(),
        ));
    };
    if data.shape() != out.shape() {
        return Err(output_error(format!(
            "the output has shape {:?}, but the result has shape {:?}",
            out.shape(),
            data.shape()
        )));
    }
    if out.validity_bits().is_some() {
        // Every element's bit: missing where the mask says so.
        let n = out.len();
        match missing {
            Some(m) => m
                .iter()
                .enumerate()
                .for_each(|(i, &x)| _ = out.set_valid(i, !x)),
            None => (0..n).for_each(|i| _ = out.set_valid(i, true)),
        }
    } else if let Some(m) = missing {
        let count = m.iter().filter(|&&x| x).count();
        if let Some((first, _)) = m.indexed_iter().find(|(_, &x)| x) {
            use ndarray::Dimension;
            return Err(EvalError::Value(format!(
                "the result has {count} missing value{} (the first at index {:?}), which an \
                 output without a validity bitmap cannot hold; fill them first, e.g. `fillna(x, 0)`",
                if count == 1 { "" } else { "s" },
                first.as_array_view().to_vec()
            ))
            .into());
        }
    }
    if data.scalar() != out.scalar() {
        return Err(output_error(format!(
            "the output holds {}, but the result holds {}",
            out.scalar(),
            data.scalar()
        )));
    }
    let view: DenseView<'_> = with_array!(data, a => crate::value::view_of(&a.view()));
    out.write_from(&view)
        .map_err(|e| output_error(format!("writing the output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::self_overlap;

    #[test]
    fn self_overlap_finds_axes_that_reach_one_element() {
        assert_eq!(self_overlap(&[3, 4], &[4, 1]), None);
        assert_eq!(self_overlap(&[3, 4], &[-4, -1]), None);
        assert_eq!(self_overlap(&[3, 4], &[1, 3]), None);
        assert_eq!(self_overlap(&[3, 4], &[0, 1]), Some(0));
        assert_eq!(self_overlap(&[2, 2], &[1, 1]), Some(1));
        assert_eq!(self_overlap(&[3, 4], &[2, 1]), Some(0));
        assert_eq!(self_overlap(&[1, 4], &[0, 1]), None);
    }
}

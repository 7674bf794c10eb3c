//! Arrays one run of a function leaves to the next run of it.

use blaze_datashape::Scalar;
use blaze_interp::{Array, Value};
use ndarray::IxDyn;

/// Arrays smaller than this are not kept: the allocator serves them from
/// memory it already has.
const KEPT_FROM: usize = 1 << 20;

/// The arrays one run of a function left behind for the next run to reuse:
/// the results of fused elementwise groups that no longer serve once the
/// run ends (a block's centred rows, once BLAS has read them).
///
/// A streamed pass runs the same function on block after block. Without
/// reuse every block's intermediate arrays are fresh memory, whose pages
/// the operating system zeroes on first touch (as much work as the
/// kernel's own writes) and which is cold in the cache; with it, the kernel
/// writes over the last block's array. Only what one run left is kept, and
/// only until the next run: a `Spare` holds no more memory than the run
/// itself did, and dropping it frees it.
#[derive(Debug, Default)]
pub struct Spare {
    arrays: Vec<Array>,
}

impl Spare {
    /// An array of `shape` and `scalar` to be written whole (its elements
    /// are the last run's, not zeros), if one is kept.
    pub(super) fn take(&mut self, scalar: Scalar, shape: &[usize]) -> Option<Array> {
        let len: usize = shape.iter().product();
        let i = self
            .arrays
            .iter()
            .position(|a| a.scalar() == scalar && a.len() == len)?;
        let a = self.arrays.swap_remove(i);
        reshape(a, shape)
    }

    /// Keeps the large plain arrays of `values` (the intermediate values
    /// of a run that has ended), dropping what the last run left.
    pub(super) fn keep(&mut self, values: impl IntoIterator<Item = Value>) {
        self.arrays.clear();
        for v in values {
            if let Value::Array {
                data,
                missing: None,
            } = v
            {
                if data.len() * data.scalar().size_bytes() >= KEPT_FROM {
                    self.arrays.push(data);
                }
            }
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.arrays
            .iter()
            .map(|a| a.len() * a.scalar().size_bytes())
            .sum()
    }
}

/// `a`'s elements as an array of `shape`, when it holds them in C order
/// (as the kernels' results are).
fn reshape(a: Array, shape: &[usize]) -> Option<Array> {
    macro_rules! each {
        ($($v:ident),*) => {
            match a {
                $(Array::$v(x) if x.is_standard_layout() => {
                    x.into_shape_with_order(IxDyn(shape)).ok().map(Array::$v)
                })*
                _ => None,
            }
        };
    }
    each!(
        Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float16, Float32, Float64,
        Complex64, Complex128
    )
}

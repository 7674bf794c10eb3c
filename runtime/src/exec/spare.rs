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
    /// When none fits a request for a large array, the run's blocks have
    /// changed shape (the last, short block of a stream): what is kept is
    /// dropped then, so that it does not sit beside the new arrays.
    pub(super) fn take(&mut self, scalar: Scalar, shape: &[usize]) -> Option<Array> {
        let len: usize = shape.iter().product();
        let Some(i) = self
            .arrays
            .iter()
            .position(|a| a.scalar() == scalar && a.len() == len)
        else {
            if len.saturating_mul(scalar.size_bytes()) >= KEPT_FROM {
                self.arrays.clear();
            }
            return None;
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(n: usize) -> Value {
        Value::from(Array::Float64(ndarray::ArrayD::zeros(IxDyn(&[n]))))
    }

    #[test]
    fn large_arrays_are_kept_and_taken_once_by_shape() {
        let mut s = Spare::default();
        // Small arrays and the ones with missing values are not kept.
        s.keep([floats(1 << 18), floats(1 << 17), floats(10)]);
        assert_eq!(s.bytes(), (1 << 21) + (1 << 20));
        let a = s.take(Scalar::Float64, &[512, 512]).expect("2 MiB kept");
        assert_eq!(a.shape(), &[512, 512]);
        assert_eq!(s.bytes(), 1 << 20);
        let b = s.take(Scalar::Float64, &[256, 512]).expect("1 MiB kept");
        assert_eq!(b.shape(), &[256, 512]);
        assert!(s.take(Scalar::Float64, &[256, 512]).is_none());
        // Arrays that fit no request (the blocks changed shape) are
        // dropped, not held beside the new ones.
        s.keep([floats(1 << 18), floats(1 << 17)]);
        assert!(s.take(Scalar::Float64, &[100]).is_none());
        assert_eq!(
            s.bytes(),
            (1 << 21) + (1 << 20),
            "a small request drops nothing"
        );
        assert!(s.take(Scalar::Float32, &[1 << 18]).is_none());
        assert_eq!(s.bytes(), 0);
    }
}

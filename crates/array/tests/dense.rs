//! DenseArray through its public interface: checked construction, views,
//! broadcasting, row slices, allocation, validity and keep-alive owners.

use blaze_array::{ArrayError, ArrayMut, Buffer, DenseArray, NullBuffer, ALLOC_ALIGN};
use blaze_datashape::Scalar;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn f64_buffer(values: &[f64]) -> Buffer {
    Buffer::from_vec(values.to_vec())
}

#[test]
fn strided_and_negative_strides_read_the_right_elements() {
    let data: Vec<f64> = (0..12).map(f64::from).collect();
    // A 3x4 C-order matrix seen transposed (4x3), then with rows reversed.
    let t = DenseArray::new(f64_buffer(&data), Scalar::Float64, &[4, 3], &[8, 32], 0).unwrap();
    assert_eq!(
        t.to_vec::<f64>().unwrap(),
        vec![0., 4., 8., 1., 5., 9., 2., 6., 10., 3., 7., 11.]
    );
    assert!(!t.is_c_contiguous());
    assert_eq!(t.element_strides().unwrap(), vec![1, 4]);
    let rev = DenseArray::new(f64_buffer(&data), Scalar::Float64, &[3, 4], &[-32, 8], 64).unwrap();
    assert_eq!(rev.to_vec::<f64>().unwrap()[..4], [8., 9., 10., 11.]);
    assert_eq!(rev.element_strides().unwrap(), vec![-4, 1]);
    let p = rev.element_ptr(&[2, 1]).unwrap();
    assert_eq!(unsafe { p.cast::<f64>().read() }, 1.0);
    assert!(matches!(
        rev.element_ptr(&[3, 0]),
        Err(ArrayError::Index { .. })
    ));
    let c = rev.to_contiguous().unwrap();
    assert!(c.is_c_contiguous());
    assert_eq!(c.to_vec::<f64>().unwrap(), rev.to_vec::<f64>().unwrap());
    assert!(matches!(
        rev.to_vec::<f32>(),
        Err(ArrayError::Type {
            expected: Scalar::Float32,
            found: Scalar::Float64
        })
    ));
}

#[test]
fn constructors_refuse_bad_layouts_with_the_reason() {
    let buf = f64_buffer(&[0.0; 6]);
    let new = |shape: &[usize], strides: &[isize], offset| {
        DenseArray::new(buf.clone(), Scalar::Float64, shape, strides, offset)
    };
    assert!(matches!(
        new(&[7], &[8], 0),
        Err(ArrayError::OutOfBounds {
            end: 56,
            buffer_len: 48,
            ..
        })
    ));
    assert!(matches!(
        new(&[2], &[-8], 0),
        Err(ArrayError::OutOfBounds { lowest: -8, .. })
    ));
    assert!(matches!(
        new(&[2], &[8], 4),
        Err(ArrayError::Misaligned { .. })
    ));
    assert!(matches!(
        new(&[2], &[12], 0),
        Err(ArrayError::Misaligned { .. })
    ));
    assert!(matches!(
        new(&[2, 2], &[8], 0),
        Err(ArrayError::Rank {
            shape: 2,
            strides: 1
        })
    ));
    assert!(matches!(
        new(&[usize::MAX, usize::MAX], &[8, 8], 0),
        Err(ArrayError::Overflow { .. })
    ));
    assert!(matches!(
        new(&[usize::MAX], &[isize::MAX - 7], 0),
        Err(ArrayError::OutOfBounds { .. })
    ));
    assert!(matches!(
        new(&[0], &[8], 49),
        Err(ArrayError::OutOfBounds { .. })
    ));
    // Empty arrays and broadcast (stride 0) arrays are fine.
    assert!(new(&[0, 5], &[8, 8], 48).unwrap().is_empty());
    let b = new(&[1000], &[0], 40).unwrap();
    assert_eq!(b.len(), 1000);
    let err = new(&[7], &[8], 0).unwrap_err().to_string();
    assert!(err.contains("outside the buffer of 48 bytes"), "{err}");
}

#[test]
fn allocate_is_zeroed_aligned_and_c_ordered() {
    for scalar in Scalar::ALL {
        let a = DenseArray::allocate(scalar, &[3, 5, 7]).unwrap();
        assert_eq!(a.as_ptr() as usize % ALLOC_ALIGN, 0);
        assert!(a.is_c_contiguous());
        assert_eq!(a.element_strides().unwrap(), vec![35, 7, 1]);
        assert!(
            a.buffer().as_slice()[a.offset()..][..105 * scalar.size_bytes()]
                .iter()
                .all(|&b| b == 0)
        );
    }
    assert!(matches!(
        DenseArray::allocate(Scalar::Float64, &[usize::MAX / 4, 3]),
        Err(ArrayError::Overflow { .. })
    ));
    let empty = DenseArray::allocate(Scalar::Int32, &[0, 3]).unwrap();
    assert_eq!(empty.to_vec::<i32>().unwrap(), Vec::<i32>::new());
}

#[test]
fn array_mut_writes_elements_and_validity() {
    let mut m = ArrayMut::allocate(Scalar::Int32, &[2, 3])
        .unwrap()
        .with_validity();
    assert_eq!(m.element_strides(), vec![3, 1]);
    for (i, b) in m.bytes_mut().chunks_exact_mut(4).enumerate() {
        b.copy_from_slice(&(i as i32 * 10).to_ne_bytes());
    }
    m.validity_mut().unwrap()[0] &= !(1 << 4);
    let a = m.freeze();
    assert_eq!(a.to_vec::<i32>().unwrap(), vec![0, 10, 20, 30, 40, 50]);
    assert_eq!(a.null_count(), 1);
    assert!(!a.is_valid(4) && a.is_valid(5) && !a.is_valid(6));
}

#[test]
fn broadcast_uses_stride_zero_and_expands_validity() {
    let a = DenseArray::from_vec(vec![1i64, 2, 3], &[3, 1]).unwrap();
    let b = a.broadcast_to(&[2, 3, 4]).unwrap();
    assert_eq!(b.strides(), &[0, 8, 0]);
    assert_eq!(b.as_ptr(), a.as_ptr());
    assert_eq!(b.to_vec::<i64>().unwrap()[..8], [1, 1, 1, 1, 2, 2, 2, 2]);
    assert!(matches!(
        a.broadcast_to(&[2, 4]),
        Err(ArrayError::Broadcast { .. })
    ));
    assert!(matches!(
        a.broadcast_to(&[1]),
        Err(ArrayError::Broadcast { .. })
    ));
    let v = a
        .with_validity(Some(NullBuffer::from(vec![true, false, true])))
        .unwrap()
        .broadcast_to(&[3, 2])
        .unwrap();
    assert_eq!(v.null_count(), 2);
    assert_eq!(
        (0..6).map(|i| v.is_valid(i)).collect::<Vec<_>>(),
        [true, true, false, false, true, true]
    );
}

#[test]
fn slice_rows_shares_the_buffer_and_the_bitmap() {
    let a = DenseArray::from_vec((0..20).collect::<Vec<u16>>(), &[5, 4])
        .unwrap()
        .with_validity(Some(NullBuffer::from(
            (0..20).map(|i| i % 3 != 0).collect::<Vec<_>>(),
        )))
        .unwrap();
    let s = a.slice_rows(1, 4).unwrap();
    assert_eq!(s.shape(), &[3, 4]);
    assert_eq!(s.as_ptr(), a.element_ptr(&[1, 0]).unwrap());
    assert!(s.buffer().ptr_eq(a.buffer()));
    assert_eq!(s.to_vec::<u16>().unwrap(), (4..16).collect::<Vec<u16>>());
    assert_eq!(
        (0..12).map(|i| s.is_valid(i)).collect::<Vec<_>>(),
        (4..16).map(|i| i % 3 != 0).collect::<Vec<_>>()
    );
    assert!(s
        .validity()
        .unwrap()
        .inner()
        .inner()
        .ptr_eq(a.validity().unwrap().inner().inner()));
    assert!(a.slice_rows(5, 5).unwrap().is_empty());
    assert!(matches!(a.slice_rows(3, 6), Err(ArrayError::Index { .. })));
    assert!(matches!(a.slice_rows(3, 2), Err(ArrayError::Index { .. })));
    let scalar = DenseArray::from_vec(vec![1u8], &[]).unwrap();
    assert!(matches!(
        scalar.slice_rows(0, 0),
        Err(ArrayError::Layout { .. })
    ));
}

#[test]
fn validity_must_have_one_bit_per_element() {
    let a = DenseArray::from_vec(vec![1.0f32; 6], &[2, 3]).unwrap();
    assert!(matches!(
        a.clone().with_validity(Some(NullBuffer::new_null(5))),
        Err(ArrayError::ValidityLength {
            expected: 6,
            found: 5
        })
    ));
    let a = a.with_validity(Some(NullBuffer::new_null(6))).unwrap();
    assert_eq!(a.null_count(), 6);
}

/// An owner that records when it is dropped.
struct Owner {
    _data: Vec<u64>,
    dropped: Arc<AtomicBool>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[test]
fn borrowed_memory_lives_as_long_as_the_array() {
    let dropped = Arc::new(AtomicBool::new(false));
    let data: Vec<u64> = (0..8).collect();
    let ptr = NonNull::new(data.as_ptr() as *mut u8).unwrap();
    let owner = Arc::new(Owner {
        _data: data,
        dropped: dropped.clone(),
    });
    // SAFETY: the owner holds the 64 bytes at `ptr`.
    let buffer = unsafe { Buffer::from_custom_allocation(ptr, 64, owner) };
    let a = DenseArray::new(buffer, Scalar::UInt64, &[4], &[-16], 48).unwrap();
    let b = a.slice_rows(1, 3).unwrap();
    drop(a);
    assert!(!dropped.load(Ordering::SeqCst));
    assert_eq!(b.to_vec::<u64>().unwrap(), vec![4, 2]);
    assert_eq!(b.as_ptr(), ptr.as_ptr().wrapping_add(32) as *const u8);
    drop(b);
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn bool_elements_read_any_nonzero_byte_as_true() {
    let a =
        DenseArray::c_order(Buffer::from_vec(vec![0u8, 1, 7, 255]), Scalar::Bool, &[4]).unwrap();
    assert_eq!(a.to_vec::<bool>().unwrap(), vec![false, true, true, true]);
}

#[test]
fn length_one_axes_may_have_any_stride() {
    let a = DenseArray::new(
        Buffer::from_vec(vec![1i64, 2, 3]),
        Scalar::Int64,
        &[3, 1, 1],
        &[8, isize::MAX, isize::MIN + 1],
        0,
    )
    .unwrap();
    assert_eq!(a.to_vec::<i64>().unwrap(), vec![1, 2, 3]);
    assert_eq!(a.element_strides().unwrap(), vec![1, 0, 0]);
    assert!(a.is_c_contiguous());
}

#[test]
fn views_broadcast_to_element_strides() {
    let a = DenseArray::from_vec((0..6).map(|i| i as f64).collect::<Vec<_>>(), &[3, 2]).unwrap();
    let v = a.view();
    // A new leading axis and the existing ones: stride 0, then 2 and 1.
    assert_eq!(v.broadcast_element_strides(&[4, 3, 2]).unwrap(), [0, 2, 1]);
    let col = a.slice_rows(0, 1).unwrap();
    // One row stretched over five.
    assert_eq!(
        col.view().broadcast_element_strides(&[5, 2]).unwrap(),
        [0, 1]
    );
    assert!(matches!(
        v.broadcast_element_strides(&[3, 4]),
        Err(ArrayError::Broadcast { .. })
    ));
    assert!(matches!(
        v.broadcast_element_strides(&[2]),
        Err(ArrayError::Broadcast { .. })
    ));
}

//! Conversions with arrow-rs: numeric columns share buffers both ways
//! (checked by pointer), with bitmaps at bit offsets not a multiple of 8.

use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType, BooleanArray, PrimitiveArray};
use blaze_array::{ArrayError, DenseArray, NullBuffer};
use blaze_datashape::Scalar;
use half::f16;
use num_complex::Complex64;

/// Values 0..n as `T::Native`, a validity pattern, sliced at `offset`.
fn column<T: ArrowPrimitiveType>(
    n: usize,
    offset: usize,
    make: impl Fn(usize) -> T::Native,
) -> PrimitiveArray<T> {
    let values: Vec<T::Native> = (0..n).map(make).collect();
    let nulls = NullBuffer::from((0..n).map(|i| (i * 7 + 3) % 5 != 0).collect::<Vec<_>>());
    PrimitiveArray::<T>::new(values.into(), Some(nulls)).slice(offset, n - offset)
}

fn round_trip<T: ArrowPrimitiveType>(make: impl Fn(usize) -> T::Native + Copy, scalar: Scalar) {
    for (n, offset) in [(0, 0), (1, 0), (1, 1), (13, 3), (100, 11)] {
        let a = column::<T>(n, offset, make);
        let d = DenseArray::from_arrow_primitive(&a).unwrap();
        assert_eq!(d.scalar(), scalar);
        assert_eq!(d.shape(), &[n - offset]);
        assert_eq!(d.as_ptr(), a.values().as_ptr().cast::<u8>(), "no copy in");
        assert_eq!(d.null_count(), a.null_count());
        for i in 0..a.len() {
            assert_eq!(d.is_valid(i), a.is_valid(i));
        }
        let back = d.to_arrow_primitive::<T>().unwrap();
        assert_eq!(back.values().as_ptr(), a.values().as_ptr(), "no copy out");
        assert_eq!(back, a);
        let dynamic = d.to_arrow().unwrap();
        assert_eq!(dynamic.as_ref(), &a as &dyn Array);
        let again = DenseArray::from_arrow(dynamic.as_ref()).unwrap();
        assert_eq!(again.as_ptr(), d.as_ptr());
    }
}

#[test]
fn numeric_columns_convert_without_copying() {
    round_trip::<Int8Type>(|i| i as i8, Scalar::Int8);
    round_trip::<Int16Type>(|i| -(i as i16), Scalar::Int16);
    round_trip::<Int32Type>(|i| i as i32 * 3, Scalar::Int32);
    round_trip::<Int64Type>(|i| i as i64 - 50, Scalar::Int64);
    round_trip::<UInt8Type>(|i| i as u8, Scalar::UInt8);
    round_trip::<UInt16Type>(|i| i as u16, Scalar::UInt16);
    round_trip::<UInt32Type>(|i| i as u32, Scalar::UInt32);
    round_trip::<UInt64Type>(|i| i as u64, Scalar::UInt64);
    round_trip::<Float16Type>(|i| f16::from_f32(i as f32 * 0.5), Scalar::Float16);
    round_trip::<Float32Type>(|i| i as f32 / 3.0, Scalar::Float32);
    round_trip::<Float64Type>(|i| i as f64 / 7.0, Scalar::Float64);
}

#[test]
fn a_row_slice_of_a_blaze_array_is_an_arrow_slice() {
    let d = DenseArray::from_vec((0..50).map(f64::from).collect(), &[50])
        .unwrap()
        .with_validity(Some(NullBuffer::from(
            (0..50).map(|i| i % 4 != 1).collect::<Vec<_>>(),
        )))
        .unwrap()
        .slice_rows(9, 30)
        .unwrap();
    let a = d.to_arrow_primitive::<Float64Type>().unwrap();
    assert_eq!(a.values().as_ptr().cast::<u8>(), d.as_ptr());
    assert_eq!(a.len(), 21);
    assert_eq!(a.value(0), 9.0);
    assert_eq!(a.null_count(), d.null_count());
    assert!(a.is_null(0) && a.is_valid(1) && !d.is_valid(0));
}

#[test]
fn bool_converts_by_copy_and_complex_and_strided_are_refused() {
    let b = BooleanArray::from(vec![Some(true), None, Some(false), Some(true)]).slice(1, 3);
    let d = DenseArray::from_arrow(&b).unwrap();
    assert_eq!(d.scalar(), Scalar::Bool);
    assert_eq!(d.to_vec::<bool>().unwrap(), vec![false, false, true]);
    assert_eq!(d.null_count(), 1);
    let back = d.to_arrow().unwrap();
    assert_eq!(back.as_ref(), &b as &dyn Array);

    let c = DenseArray::from_vec(vec![Complex64::new(1.0, 2.0)], &[1]).unwrap();
    assert!(matches!(c.to_arrow(), Err(ArrayError::Unsupported { .. })));
    let m = DenseArray::from_vec(vec![1.0f64; 4], &[2, 2]).unwrap();
    assert!(matches!(m.to_arrow(), Err(ArrayError::Layout { .. })));
    let strided = m.broadcast_to(&[2, 2]).unwrap().slice_rows(0, 2).unwrap();
    assert!(matches!(
        strided.to_arrow_primitive::<Float32Type>(),
        Err(ArrayError::Unsupported { .. })
    ));
    let s = arrow_array::StringArray::from(vec!["x"]);
    assert!(matches!(
        DenseArray::from_arrow(&s),
        Err(ArrayError::Unsupported { .. })
    ));
}

#[test]
fn an_empty_array_at_an_unaligned_offset_converts() {
    let d = DenseArray::new(
        arrow_buffer::Buffer::from_vec(vec![0u8; 9]),
        Scalar::Float64,
        &[0],
        &[8],
        3,
    )
    .unwrap();
    let a = d.to_arrow_primitive::<Float64Type>().unwrap();
    assert_eq!(a.len(), 0);
}

//! blaze arrays at the runtime's boundaries: interpreter values (copied,
//! masks as validity bitmaps at any bit offset) and ndarray arrays and views
//! (never copied: checked by pointer), over every element type, shapes with
//! 0, 1 and odd lengths, negative strides and offsets.

use blaze_array::{BooleanBuffer, Buffer, DenseArray, Element, NullBuffer};
use blaze_datashape::Scalar;
use blaze_interp::{Array, Value};
use blaze_runtime::value::{
    from_owned, from_shared, from_value, from_view_with_owner, ndarray_view, to_value, view_mut_of,
    view_of,
};
use half::f16;
use ndarray::{s, ArrayD, IxDyn};
use num_complex::{Complex32, Complex64};
use std::sync::Arc;

/// splitmix64: a small seeded generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Random elements of each type (finite, so arrays compare equal).
trait Random: Element + PartialEq + std::fmt::Debug {
    fn random(rng: &mut Rng) -> Self;
}

macro_rules! random_int {
    ($($t:ty),*) => {$(impl Random for $t {
        fn random(rng: &mut Rng) -> Self { rng.next() as $t }
    })*};
}
random_int!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Random for bool {
    fn random(rng: &mut Rng) -> Self {
        rng.next() % 2 == 0
    }
}
impl Random for f16 {
    fn random(rng: &mut Rng) -> Self {
        f16::from_f32((rng.next() % 2001) as f32 / 8.0 - 125.0)
    }
}
impl Random for f32 {
    fn random(rng: &mut Rng) -> Self {
        (rng.next() % 100_001) as f32 / 64.0 - 700.0
    }
}
impl Random for f64 {
    fn random(rng: &mut Rng) -> Self {
        (rng.next() % 1_000_001) as f64 / 1024.0 - 400.0
    }
}
impl Random for Complex32 {
    fn random(rng: &mut Rng) -> Self {
        Complex32::new(f32::random(rng), f32::random(rng))
    }
}
impl Random for Complex64 {
    fn random(rng: &mut Rng) -> Self {
        Complex64::new(f64::random(rng), f64::random(rng))
    }
}

const SHAPES: &[&[usize]] = &[
    &[],
    &[0],
    &[1],
    &[7],
    &[3, 5],
    &[2, 0, 3],
    &[3, 1, 5],
    &[5, 3],
];

fn random_array<T: Random>(rng: &mut Rng, shape: &[usize]) -> ArrayD<T> {
    let n = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|_| T::random(rng)).collect()).unwrap()
}

/// A bitmap of `n` random bits starting at bit `offset` of its buffer.
fn random_validity(rng: &mut Rng, n: usize, offset: usize) -> NullBuffer {
    let bytes: Vec<u8> = (0..(n + offset).div_ceil(8) + 1)
        .map(|_| rng.next() as u8)
        .collect();
    NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(bytes), offset, n))
}

fn interp_values_round_trip<T: Random>(wrap: fn(ArrayD<T>) -> Array, seed: u64) {
    let mut rng = Rng(seed);
    for shape in SHAPES {
        let data = random_array::<T>(&mut rng, shape);
        // Without a mask, and with random masks at bit offsets 0, 3 and 13.
        let plain = Value::from(wrap(data.clone()));
        let a = from_value(&plain).unwrap();
        assert_eq!(a.scalar(), T::SCALAR);
        assert!(a.validity().is_none());
        assert_eq!(to_value(&a).unwrap(), plain);
        for offset in [0, 3, 13] {
            let n = data.len();
            let validity = random_validity(&mut rng, n, offset);
            let b = DenseArray::from_vec(data.iter().copied().collect(), shape)
                .unwrap()
                .with_validity(Some(validity.clone()))
                .unwrap();
            let value = to_value(&b).unwrap();
            let Value::Array {
                missing: Some(mask),
                ..
            } = &value
            else {
                panic!("an option value has a mask")
            };
            assert_eq!(
                mask.iter().map(|&m| !m).collect::<Vec<_>>(),
                validity.iter().collect::<Vec<_>>()
            );
            let back = from_value(&value).unwrap();
            assert_eq!(back.null_count(), validity.null_count());
            assert_eq!(to_value(&back).unwrap(), value);
        }
    }
}

#[test]
fn interpreter_values_round_trip_over_every_type_with_masks_at_any_bit_offset() {
    interp_values_round_trip::<bool>(Array::Bool, 1);
    interp_values_round_trip::<i8>(Array::Int8, 2);
    interp_values_round_trip::<i16>(Array::Int16, 3);
    interp_values_round_trip::<i32>(Array::Int32, 4);
    interp_values_round_trip::<i64>(Array::Int64, 5);
    interp_values_round_trip::<u8>(Array::UInt8, 6);
    interp_values_round_trip::<u16>(Array::UInt16, 7);
    interp_values_round_trip::<u32>(Array::UInt32, 8);
    interp_values_round_trip::<u64>(Array::UInt64, 9);
    interp_values_round_trip::<f16>(Array::Float16, 10);
    interp_values_round_trip::<f32>(Array::Float32, 11);
    interp_values_round_trip::<f64>(Array::Float64, 12);
    interp_values_round_trip::<Complex32>(Array::Complex64, 13);
    interp_values_round_trip::<Complex64>(Array::Complex128, 14);
}

fn ndarray_views_without_copy<T: Random>(seed: u64) {
    let mut rng = Rng(seed);
    for shape in SHAPES {
        let a = random_array::<T>(&mut rng, shape);
        // The array itself, and (for rank ≥ 1) reversed, strided and offset
        // views of its first axis.
        let mut views = vec![a.view()];
        if !shape.is_empty() {
            views.push(a.slice_axis(ndarray::Axis(0), ndarray::Slice::new(0, None, -1)));
            let start = shape[0].min(1) as isize;
            views.push(a.slice_axis(ndarray::Axis(0), ndarray::Slice::new(start, None, 2)));
        }
        if shape.len() == 2 {
            views.push(a.slice(s![..;-2, 1..;3]).into_dyn());
            views.push(a.t().into_dyn());
        }
        for v in views {
            let d = view_of(&v);
            assert_eq!(d.scalar(), T::SCALAR);
            assert_eq!(d.shape(), v.shape());
            if !v.is_empty() {
                assert_eq!(d.as_ptr(), v.as_ptr().cast::<u8>(), "no copy");
            }
            assert_eq!(
                d.to_vec::<T>().unwrap(),
                v.iter().copied().collect::<Vec<_>>()
            );
            let back = ndarray_view::<T>(&d).unwrap();
            assert_eq!(back, v);
            if !v.is_empty() {
                assert_eq!(back.as_ptr(), v.as_ptr(), "no copy back");
            }
            // An owned array of the same elements, by a copy of the view.
            let owned = DenseArray::copy_of(&d).unwrap();
            assert!(owned.is_c_contiguous());
            assert_eq!(ndarray_view::<T>(&owned.view()).unwrap(), v);
        }
    }
}

#[test]
fn ndarray_views_of_any_strides_are_read_in_place() {
    ndarray_views_without_copy::<bool>(21);
    ndarray_views_without_copy::<i8>(22);
    ndarray_views_without_copy::<i16>(23);
    ndarray_views_without_copy::<i32>(24);
    ndarray_views_without_copy::<i64>(25);
    ndarray_views_without_copy::<u8>(26);
    ndarray_views_without_copy::<u16>(27);
    ndarray_views_without_copy::<u32>(28);
    ndarray_views_without_copy::<u64>(29);
    ndarray_views_without_copy::<f16>(30);
    ndarray_views_without_copy::<f32>(31);
    ndarray_views_without_copy::<f64>(32);
    ndarray_views_without_copy::<Complex32>(33);
    ndarray_views_without_copy::<Complex64>(34);
}

#[test]
fn shared_and_owned_ndarrays_become_arrays_that_keep_them_alive() {
    let mut rng = Rng(40);
    let a = random_array::<f64>(&mut rng, &[6, 5]).into_shared();
    let mut flipped = a.clone();
    flipped.invert_axis(ndarray::Axis(0));
    flipped.slice_collapse(s![1.., ..;2]);
    let expected: Vec<f64> = flipped.iter().copied().collect();
    let ptr = flipped.as_ptr();
    let d = from_shared(flipped).unwrap();
    assert_eq!(d.as_ptr(), ptr.cast::<u8>(), "no copy");
    assert_eq!(d.strides(), &[-40, 16]);
    drop(a);
    assert_eq!(d.to_vec::<f64>().unwrap(), expected);

    let owned = random_array::<i32>(&mut rng, &[4, 3]);
    let (ptr, expected) = (owned.as_ptr(), owned.clone());
    let d = from_owned(owned).unwrap();
    assert_eq!(d.as_ptr(), ptr.cast::<u8>(), "no copy");
    assert_eq!(ndarray_view::<i32>(&d.view()).unwrap(), expected.view());
    let rows = d.slice_rows(1, 3).unwrap();
    drop(d);
    assert_eq!(
        rows.to_vec::<i32>().unwrap(),
        expected
            .slice(s![1..3, ..])
            .iter()
            .copied()
            .collect::<Vec<_>>()
    );

    let empty = from_owned(ArrayD::<u8>::zeros(IxDyn(&[3, 0]))).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn a_view_with_an_owner_lives_on_its_own() {
    let data = Arc::new(ndarray::Array2::from_shape_fn((4, 4), |(i, j)| {
        (i * 4 + j) as u16
    }));
    let view = data.slice(s![..;-1, 1..3]);
    // SAFETY: `data` holds the view's memory and nobody writes it.
    let d = unsafe { from_view_with_owner(&view, data.clone()) }.unwrap();
    assert_eq!(d.as_ptr(), view.as_ptr().cast::<u8>());
    assert_eq!(d.to_vec::<u16>().unwrap(), vec![13, 14, 9, 10, 5, 6, 1, 2]);
}

#[test]
fn caller_outputs_are_written_in_place_and_overlap_is_detected() {
    let src = DenseArray::from_vec((0..6i16).map(f32::from).collect(), &[2, 3])
        .unwrap()
        .broadcast_to(&[2, 3])
        .unwrap();
    let mut out = ndarray::Array2::<f32>::zeros((3, 2));
    {
        let mut target = view_mut_of(out.view_mut().reversed_axes());
        assert_eq!(target.strides(), &[4, 8]);
        assert_eq!(target.element_strides().unwrap(), vec![1, 2]);
        assert!(!target.overlaps(&src.view()));
        target.write_from(&src.view()).unwrap();
        let wrong = DenseArray::from_vec(vec![1i32; 6], &[2, 3]).unwrap();
        assert!(target.write_from(&wrong.view()).is_err());
    }
    assert_eq!(out, ndarray::arr2(&[[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]));

    let mut buf = ndarray::Array1::<f64>::zeros(10);
    let input_view = buf.slice(s![..5]).to_owned();
    let (lo, hi) = buf.view_mut().split_at(ndarray::Axis(0), 5);
    let lo_ptr = lo.as_ptr();
    let target = view_mut_of(hi);
    assert!(!target.overlaps(&view_of(&input_view.view())));
    // A view of the same memory overlaps.
    let same = unsafe {
        blaze_array::DenseView::from_raw_parts(
            lo_ptr.wrapping_add(4).cast(),
            Scalar::Float64,
            vec![2],
            vec![8],
            None,
        )
    };
    assert!(target.overlaps(&same));
    let _ = lo;
}

#[test]
fn refusals_name_the_problem() {
    let record = Value::Record(vec![(
        "x".into(),
        Value::from(Array::Int8(ArrayD::zeros(IxDyn(&[2])))),
    )]);
    assert!(from_value(&record)
        .unwrap_err()
        .to_string()
        .contains("record"));
    let tuple = Value::Tuple(vec![]);
    assert!(from_value(&tuple)
        .unwrap_err()
        .to_string()
        .contains("tuple"));
    let bad_mask = Value::Array {
        data: Array::Int8(ArrayD::zeros(IxDyn(&[3]))),
        missing: Some(ArrayD::from_elem(IxDyn(&[2]), false)),
    };
    assert!(from_value(&bad_mask).is_err());
    let bools = DenseArray::c_order(Buffer::from_vec(vec![0u8, 2, 1]), Scalar::Bool, &[3]).unwrap();
    assert!(ndarray_view::<bool>(&bools.view()).is_err());
    assert_eq!(
        to_value(&bools).unwrap(),
        Value::from(Array::Bool(ndarray::arr1(&[false, true, true]).into_dyn()))
    );
    let ints = DenseArray::from_vec(vec![1i64, 2], &[2]).unwrap();
    assert!(ndarray_view::<f64>(&ints.view()).is_err());
}

#[test]
fn an_empty_array_at_an_unaligned_offset_is_an_empty_ndarray_view() {
    let d = DenseArray::new(
        Buffer::from_vec(vec![0u8; 9]),
        Scalar::Float64,
        &[0, 4],
        &[32, 8],
        5,
    )
    .unwrap();
    let v = ndarray_view::<f64>(&d.view()).unwrap();
    assert_eq!(v.shape(), &[0, 4]);
}

use super::cast::conv;
use super::*;
use crate::element::{Convert, Univ};
use crate::{Array, EvalError};
use blaze_datashape::Scalar;
use blaze_ir::ops::{BinaryFn, ReduceFn, UnaryFn};
use half::f16;
use ndarray::{ArrayD, IxDyn};
use num_complex::{Complex32, Complex64};
use proptest::prelude::*;

fn arr<T: Convert>(shape: &[usize], v: Vec<T>) -> Array {
    T::wrap(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}
fn v1<T: Convert>(v: Vec<T>) -> Array {
    let n = v.len();
    arr(&[n], v)
}
fn f64s(a: &Array) -> Vec<f64> {
    conv::<f64>(a).iter().copied().collect()
}
fn i64s(a: &Array) -> Vec<i64> {
    conv::<i64>(a).iter().copied().collect()
}
fn bools(a: &Array) -> Vec<bool> {
    conv::<bool>(a).iter().copied().collect()
}
/// Equal as f64, NaN equal to NaN and the sign of zero significant.
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (x.is_nan() && y.is_nan()) || (x == y && x.is_sign_negative() == y.is_sign_negative())
        })
}
fn bin(f: BinaryFn, a: &Array, b: &Array) -> Array {
    binary(f, a, b).unwrap()
}
fn red(f: ReduceFn, x: &Array, axes: Option<&[usize]>, keepdims: bool) -> Array {
    reduce(f, x, None, axes, keepdims).unwrap()
}
const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;

// --- shapes ---

#[test]
fn broadcast_shapes_numpy_rules() {
    assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap(), vec![3, 4]);
    assert_eq!(broadcast_shapes(&[], &[2, 3]).unwrap(), vec![2, 3]);
    assert_eq!(broadcast_shapes(&[0, 1], &[1, 5]).unwrap(), vec![0, 5]);
    assert_eq!(
        broadcast_shapes(&[2, 1, 3], &[4, 1]).unwrap(),
        vec![2, 4, 3]
    );
    let e = broadcast_shapes(&[3, 2], &[3]).unwrap_err();
    match e {
        EvalError::Shape(m) => assert!(m.contains("(3, 2)") && m.contains("(3,)"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Zero-size results may have huge lengths, but the product of the
    // non-zero lengths must fit in isize (ndarray's limit).
    assert!(broadcast_shapes(&[1 << 40, 1, 0], &[1, 1 << 20, 0]).is_ok());
    assert!(broadcast_shapes(&[1 << 40, 1, 0], &[1, 1 << 40, 0]).is_err());
}

#[test]
fn broadcast_3x1_with_4() {
    let a = arr(&[3, 1], vec![0i32, 10, 20]);
    let b = v1(vec![1i32, 2, 3, 4]);
    let c = bin(BinaryFn::Add, &a, &b);
    assert_eq!(c.shape(), &[3, 4]);
    assert_eq!(i64s(&c), vec![1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
    let e = binary(BinaryFn::Add, &v1(vec![1i32, 2, 3]), &b).unwrap_err();
    assert!(matches!(e, EvalError::Shape(_)));
}

#[test]
fn broadcast_to_and_mask() {
    let x = v1(vec![1u8, 2]);
    let y = broadcast_to(&x, &[3, 2]).unwrap();
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(i64s(&y), vec![1, 2, 1, 2, 1, 2]);
    assert!(broadcast_to(&x, &[3]).is_err());
    assert!(broadcast_to(&x, &[]).is_err());
    let m = ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![true, false]).unwrap();
    let mb = broadcast_mask(&m, &[2, 3]).unwrap();
    assert_eq!(
        mb.iter().copied().collect::<Vec<_>>(),
        vec![true, true, true, false, false, false]
    );
    assert!(broadcast_mask(&m, &[3, 3]).is_err());
}

// --- cast ---

#[test]
fn cast_float_to_int() {
    let x = v1(vec![
        NAN, INF, -INF, 1e300, -1e300, 2.9, -2.9, 127.5, -128.7, -0.0,
    ]);
    assert_eq!(
        i64s(&cast(&x, Scalar::Int8)),
        vec![0, 127, -128, 127, -128, 2, -2, 127, -128, 0]
    );
    assert_eq!(
        i64s(&cast(&x, Scalar::Int64)),
        vec![
            0,
            i64::MAX,
            i64::MIN,
            i64::MAX,
            i64::MIN,
            2,
            -2,
            127,
            -128,
            0
        ]
    );
    let u = cast(&x, Scalar::UInt8);
    assert_eq!(i64s(&u), vec![0, 255, 0, 255, 0, 2, 0, 127, 0, 0]);
    match cast(&x, Scalar::UInt64) {
        Array::UInt64(a) => assert_eq!(a[[1]], u64::MAX),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cast_int_wraps_and_bool() {
    let x = v1(vec![300i32, -1, 128, -129]);
    assert_eq!(i64s(&cast(&x, Scalar::Int8)), vec![44, -1, -128, 127]);
    assert_eq!(i64s(&cast(&x, Scalar::UInt8)), vec![44, 255, 128, 127]);
    let u = v1(vec![u64::MAX]);
    assert_eq!(i64s(&cast(&u, Scalar::Int64)), vec![-1]);
    let f = v1(vec![0.0, -0.0, NAN, 0.1]);
    assert_eq!(
        bools(&cast(&f, Scalar::Bool)),
        vec![false, false, true, true]
    );
    let c = v1(vec![Complex64::new(0.0, 0.0), Complex64::new(0.0, 2.0)]);
    assert_eq!(bools(&cast(&c, Scalar::Bool)), vec![false, true]);
    let b = v1(vec![true, false]);
    assert!(same(&f64s(&cast(&b, Scalar::Float16)), &[1.0, 0.0]));
    assert_eq!(i64s(&cast(&b, Scalar::Int32)), vec![1, 0]);
}

#[test]
fn cast_complex_and_float16() {
    let c = v1(vec![Complex64::new(2.5, -7.0)]);
    assert!(same(&f64s(&cast(&c, Scalar::Float32)), &[2.5]));
    assert_eq!(i64s(&cast(&c, Scalar::Int16)), vec![2]);
    let f = v1(vec![1.0f64, 65504.0, 65520.0, 1e-8, 0.1]);
    match cast(&f, Scalar::Float16) {
        Array::Float16(a) => {
            assert_eq!(a[[0]], f16::ONE);
            assert_eq!(a[[1]], f16::MAX);
            assert!(a[[2]].is_infinite());
            assert_eq!(a[[3]], f16::ZERO);
            assert_eq!(a[[4]], f16::from_f64(0.1));
        }
        other => panic!("{other:?}"),
    }
    let i = v1(vec![i64::MAX, 2049]);
    assert!(same(&f64s(&cast(&i, Scalar::Float16)), &[INF, 2048.0]));
    let r = cast(&v1(vec![3i8]), Scalar::Complex64);
    assert_eq!(r, v1(vec![Complex32::new(3.0, 0.0)]));
    // i64 → f32 rounds once, correctly.
    let big = v1(vec![(1i64 << 53) + 1]);
    assert!(same(
        &f64s(&cast(&big, Scalar::Float32)),
        &[9007199254740992.0]
    ));
}

// --- unary ---

#[test]
fn unary_wrapping_and_abs() {
    let x = v1(vec![i8::MIN, -1, 0, 127]);
    assert_eq!(
        i64s(&unary(UnaryFn::Neg, &x).unwrap()),
        vec![-128, 1, 0, -127]
    );
    assert_eq!(
        i64s(&unary(UnaryFn::Abs, &x).unwrap()),
        vec![-128, 1, 0, 127]
    );
    assert_eq!(i64s(&unary(UnaryFn::Sign, &x).unwrap()), vec![-1, -1, 0, 1]);
    let u = v1(vec![1u8, 0]);
    assert_eq!(i64s(&unary(UnaryFn::Neg, &u).unwrap()), vec![255, 0]);
    assert!(unary(UnaryFn::Neg, &v1(vec![true])).is_err());
    let c = v1(vec![Complex64::new(3.0, 4.0)]);
    let a = unary(UnaryFn::Abs, &c).unwrap();
    assert_eq!(a.scalar(), Scalar::Float64);
    assert!(same(&f64s(&a), &[5.0]));
}

#[test]
fn unary_round_half_even() {
    let x = v1(vec![
        0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.4, 2.6, NAN, INF, 1e300,
    ]);
    let r = unary(UnaryFn::Round, &x).unwrap();
    assert!(same(
        &f64s(&r),
        &[0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 0.0, 3.0, NAN, INF, 1e300]
    ));
    let h = v1(vec![f16::from_f32(2.5), f16::from_f32(3.5)]);
    assert!(same(
        &f64s(&unary(UnaryFn::Round, &h).unwrap()),
        &[2.0, 4.0]
    ));
    let i = v1(vec![7i32]);
    assert_eq!(unary(UnaryFn::Round, &i).unwrap(), i);
    assert!(same(
        &f64s(&unary(UnaryFn::Floor, &v1(vec![-1.5])).unwrap()),
        &[-2.0]
    ));
    assert!(same(
        &f64s(&unary(UnaryFn::Ceil, &v1(vec![-1.5])).unwrap()),
        &[-1.0]
    ));
    assert!(unary(UnaryFn::Floor, &v1(vec![Complex32::new(1.0, 1.0)])).is_err());
}

#[test]
fn unary_float_functions() {
    let x = v1(vec![4i32, 0, -1]);
    let s = unary(UnaryFn::Sqrt, &x).unwrap();
    assert_eq!(s.scalar(), Scalar::Float64);
    assert!(same(&f64s(&s), &[2.0, 0.0, NAN]));
    let l = unary(UnaryFn::Log, &x).unwrap();
    assert!(same(&f64s(&l), &[4f64.ln(), -INF, NAN]));
    let f = v1(vec![8.0f32]);
    let l2 = unary(UnaryFn::Log2, &f).unwrap();
    assert_eq!(l2, v1(vec![3.0f32]));
    let c = v1(vec![Complex64::new(-4.0, 0.0)]);
    match unary(UnaryFn::Sqrt, &c).unwrap() {
        Array::Complex128(a) => {
            assert!(a[[0]].re.abs() < 1e-15 && (a[[0]].im - 2.0).abs() < 1e-15)
        }
        other => panic!("{other:?}"),
    }
    match unary(UnaryFn::Log10, &v1(vec![Complex64::new(100.0, 0.0)])).unwrap() {
        Array::Complex128(a) => assert!((a[[0]].re - 2.0).abs() < 1e-15 && a[[0]].im == 0.0),
        other => panic!("{other:?}"),
    }
    let h = v1(vec![f16::from_f32(2.0)]);
    match unary(UnaryFn::Exp, &h).unwrap() {
        Array::Float16(a) => assert_eq!(a[[0]], f16::from_f32(2f32.exp())),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unary_sign_isnan_not_isna() {
    let x = v1(vec![-2.0, 0.0, -0.0, 3.0, NAN, -INF]);
    assert!(same(
        &f64s(&unary(UnaryFn::Sign, &x).unwrap()),
        &[-1.0, 0.0, 0.0, 1.0, NAN, -1.0]
    ));
    assert_eq!(
        bools(&unary(UnaryFn::IsNan, &x).unwrap()),
        vec![false, false, false, false, true, false]
    );
    assert_eq!(
        bools(&unary(UnaryFn::Not, &x).unwrap()),
        vec![false, true, true, false, false, false]
    );
    assert_eq!(bools(&unary(UnaryFn::IsNa, &x).unwrap()), vec![false; 6]);
    assert_eq!(
        bools(&unary(UnaryFn::IsNan, &v1(vec![1i32])).unwrap()),
        vec![false]
    );
    let c = v1(vec![
        Complex64::new(3.0, 4.0),
        Complex64::new(0.0, 0.0),
        Complex64::new(NAN, 0.0),
        Complex64::new(INF, 1.0),
    ]);
    match unary(UnaryFn::Sign, &c).unwrap() {
        Array::Complex128(a) => {
            assert_eq!(a[[0]], Complex64::new(0.6, 0.8));
            assert_eq!(a[[1]], Complex64::new(0.0, 0.0));
            assert!(a[[2]].re.is_nan() && a[[2]].im.is_nan());
            assert_eq!(a[[3]], Complex64::new(1.0, 0.0));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        bools(&unary(UnaryFn::IsNan, &c).unwrap()),
        vec![false, false, true, false]
    );
}

// --- binary ---

#[test]
fn binary_wrapping() {
    let a = v1(vec![127i8, -128, 100]);
    let b = v1(vec![1i8, 1, 3]);
    assert_eq!(i64s(&bin(BinaryFn::Add, &a, &b)), vec![-128, -127, 103]);
    assert_eq!(i64s(&bin(BinaryFn::Sub, &a, &b)), vec![126, 127, 97]);
    assert_eq!(i64s(&bin(BinaryFn::Mul, &a, &b)), vec![127, -128, 44]);
    let m = v1(vec![i64::MIN]);
    let n1 = v1(vec![-1i64]);
    assert_eq!(i64s(&bin(BinaryFn::FloorDiv, &m, &n1)), vec![i64::MIN]);
    assert_eq!(i64s(&bin(BinaryFn::Mod, &m, &n1)), vec![0]);
    let u = v1(vec![0u8]);
    assert_eq!(i64s(&bin(BinaryFn::Sub, &u, &v1(vec![1u8]))), vec![255]);
}

#[test]
fn binary_int_floor_mod() {
    let a = v1(vec![7i32, -7, 7, -7, 5, -5, 0]);
    let b = v1(vec![2i32, 2, -2, -2, 0, 0, 0]);
    assert_eq!(
        i64s(&bin(BinaryFn::FloorDiv, &a, &b)),
        vec![3, -4, -4, 3, 0, 0, 0]
    );
    assert_eq!(
        i64s(&bin(BinaryFn::Mod, &a, &b)),
        vec![1, 1, -1, -1, 0, 0, 0]
    );
    let d = bin(BinaryFn::Div, &a, &b);
    assert_eq!(d.scalar(), Scalar::Float64);
    assert!(same(&f64s(&d), &[3.5, -3.5, -3.5, 3.5, INF, -INF, NAN]));
    let ua = v1(vec![7u16, 7]);
    let ub = v1(vec![2u16, 0]);
    assert_eq!(i64s(&bin(BinaryFn::FloorDiv, &ua, &ub)), vec![3, 0]);
    assert_eq!(i64s(&bin(BinaryFn::Mod, &ua, &ub)), vec![1, 0]);
}

#[test]
fn binary_float_floor_mod() {
    let a = v1(vec![
        7.0, -7.0, 7.0, -7.0, 1.0, -1.0, 0.0, 1.0, -1.0, INF, 1.0,
    ]);
    let b = v1(vec![
        2.0, 2.0, -2.0, -2.0, 0.0, 0.0, 0.0, INF, INF, 2.0, NAN,
    ]);
    assert!(same(
        &f64s(&bin(BinaryFn::FloorDiv, &a, &b)),
        &[3.0, -4.0, -4.0, 3.0, INF, -INF, NAN, 0.0, -1.0, NAN, NAN]
    ));
    assert!(same(
        &f64s(&bin(BinaryFn::Mod, &a, &b)),
        &[1.0, 1.0, -1.0, -1.0, NAN, NAN, NAN, 1.0, INF, NAN, NAN]
    ));
    // Zero results take the sign of the divisor.
    let z = bin(BinaryFn::Mod, &v1(vec![4.0, -4.0]), &v1(vec![-2.0, 2.0]));
    assert!(same(&f64s(&z), &[-0.0, 0.0]));
    // Python: 1.0 // 0.1 == 9.0 (not 10), 1.0 % 0.1 == 0.09999999999999995.
    let q = bin(BinaryFn::FloorDiv, &v1(vec![1.0]), &v1(vec![0.1]));
    assert!(same(&f64s(&q), &[9.0]));
    let r = bin(BinaryFn::Mod, &v1(vec![1.0]), &v1(vec![0.1]));
    assert!(same(&f64s(&r), &[0.09999999999999995]));
}

#[test]
fn binary_pow() {
    let a = v1(vec![2i32, 1, -1, -1, 0, 5, 3, 0, 2]);
    let b = v1(vec![-1i32, -5, -3, -2, -1, 0, 4, 0, 31]);
    assert_eq!(
        i64s(&bin(BinaryFn::Pow, &a, &b)),
        vec![0, 1, -1, 1, 0, 1, 81, 1, i32::MIN as i64]
    );
    // Overflow wraps: 3^40 mod 2^64, and a huge exponent does not hang.
    let big = bin(
        BinaryFn::Pow,
        &v1(vec![3i64, -1, 2]),
        &v1(vec![40i64, i64::MAX, i64::MAX]),
    );
    assert_eq!(i64s(&big), vec![3i64.wrapping_pow(40), -1, 0]);
    let u = bin(BinaryFn::Pow, &v1(vec![2u8]), &v1(vec![9u8]));
    assert_eq!(i64s(&u), vec![0]);
    let f = bin(
        BinaryFn::Pow,
        &v1(vec![2.0, -8.0, 0.0]),
        &v1(vec![0.5, 1.0 / 3.0, -1.0]),
    );
    assert!(same(&f64s(&f), &[2f64.sqrt(), NAN, INF]));
    let c = bin(
        BinaryFn::Pow,
        &v1(vec![
            Complex64::new(0.0, 1.0),
            Complex64::new(0.0, 0.0),
            Complex64::new(2.0, 0.0),
        ]),
        &v1(vec![
            Complex64::new(2.0, 0.0),
            Complex64::new(0.0, 0.0),
            Complex64::new(-1.0, 0.0),
        ]),
    );
    assert_eq!(
        c,
        v1(vec![
            Complex64::new(-1.0, 0.0),
            Complex64::new(1.0, 0.0),
            Complex64::new(0.5, 0.0)
        ])
    );
}

#[test]
fn binary_minimum_maximum_nan() {
    let a = v1(vec![1.0, NAN, 3.0, -0.0]);
    let b = v1(vec![2.0, 1.0, NAN, 5.0]);
    assert!(same(
        &f64s(&bin(BinaryFn::Minimum, &a, &b)),
        &[1.0, NAN, NAN, -0.0]
    ));
    assert!(same(
        &f64s(&bin(BinaryFn::Maximum, &a, &b)),
        &[2.0, NAN, NAN, 5.0]
    ));
    let i = bin(BinaryFn::Maximum, &v1(vec![-3i16, 4]), &v1(vec![2i16, 1]));
    assert_eq!(i64s(&i), vec![2, 4]);
    assert!(binary(
        BinaryFn::Minimum,
        &v1(vec![Complex32::new(1.0, 0.0)]),
        &v1(vec![Complex32::new(1.0, 0.0)])
    )
    .is_err());
}

#[test]
fn binary_comparisons_logic() {
    let a = v1(vec![1.0, NAN, 2.0]);
    let b = v1(vec![1.0, NAN, 3.0]);
    assert_eq!(bools(&bin(BinaryFn::Eq, &a, &b)), vec![true, false, false]);
    assert_eq!(bools(&bin(BinaryFn::Ne, &a, &b)), vec![false, true, true]);
    assert_eq!(bools(&bin(BinaryFn::Lt, &a, &b)), vec![false, false, true]);
    assert_eq!(bools(&bin(BinaryFn::Ge, &a, &b)), vec![true, false, false]);
    let c = v1(vec![Complex64::new(1.0, 2.0), Complex64::new(1.0, 2.0)]);
    let d = v1(vec![Complex64::new(1.0, 2.0), Complex64::new(1.0, -2.0)]);
    assert_eq!(bools(&bin(BinaryFn::Eq, &c, &d)), vec![true, false]);
    assert!(binary(BinaryFn::Lt, &c, &d).is_err());
    let x = v1(vec![0i8, 3, 0, -1]);
    let y = v1(vec![0i8, 0, 5, 2]);
    assert_eq!(
        bools(&bin(BinaryFn::And, &x, &y)),
        vec![false, false, false, true]
    );
    assert_eq!(
        bools(&bin(BinaryFn::Or, &x, &y)),
        vec![false, true, true, true]
    );
    let bt = v1(vec![false, true, true, false]);
    let bf = v1(vec![false, false, true, true]);
    assert_eq!(
        bools(&bin(BinaryFn::Lt, &bt, &bf)),
        vec![false, false, false, true]
    );
}

#[test]
fn binary_bool_arithmetic() {
    let a = v1(vec![false, false, true, true]);
    let b = v1(vec![false, true, false, true]);
    assert_eq!(
        bools(&bin(BinaryFn::Add, &a, &b)),
        vec![false, true, true, true]
    );
    assert_eq!(
        bools(&bin(BinaryFn::Mul, &a, &b)),
        vec![false, false, false, true]
    );
    assert_eq!(
        bools(&bin(BinaryFn::Pow, &a, &b)),
        vec![true, false, true, true]
    );
    assert_eq!(
        bools(&bin(BinaryFn::FloorDiv, &a, &b)),
        vec![false, false, false, true]
    );
    assert_eq!(bools(&bin(BinaryFn::Mod, &a, &b)), vec![false; 4]);
    assert!(binary(BinaryFn::Sub, &a, &b).is_err());
    let d = bin(BinaryFn::Div, &a, &b);
    assert!(same(&f64s(&d), &[NAN, 0.0, INF, 1.0]));
}

#[test]
fn binary_type_mismatch_and_arctan2_and_complex_div() {
    assert!(matches!(
        binary(BinaryFn::Add, &v1(vec![1i32]), &v1(vec![1i64])),
        Err(EvalError::Value(_))
    ));
    let t = bin(BinaryFn::Arctan2, &v1(vec![1i32, 0]), &v1(vec![1i32, -1]));
    assert_eq!(t.scalar(), Scalar::Float64);
    assert!(same(
        &f64s(&t),
        &[std::f64::consts::FRAC_PI_4, std::f64::consts::PI]
    ));
    let q = bin(
        BinaryFn::Div,
        &v1(vec![Complex64::new(1e300, 1e300), Complex64::new(1.0, 0.0)]),
        &v1(vec![Complex64::new(1e300, 1e300), Complex64::new(0.0, 0.0)]),
    );
    match q {
        Array::Complex128(a) => {
            assert_eq!(a[[0]], Complex64::new(1.0, 0.0));
            assert!(a[[1]].re.is_infinite() && a[[1]].im.is_nan());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn float16_arithmetic() {
    let h = |v: &[f32]| v1(v.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>());
    let a = h(&[1.0, 65504.0, 0.1, 7.0]);
    let b = h(&[2.0, 65504.0, 0.2, -2.0]);
    let s = bin(BinaryFn::Add, &a, &b);
    assert_eq!(s.scalar(), Scalar::Float16);
    let sv = f64s(&s);
    assert_eq!(sv[0], 3.0);
    assert!(sv[1].is_infinite());
    assert_eq!(
        sv[2],
        f16::from_f32(f16::from_f32(0.1).to_f32() + f16::from_f32(0.2).to_f32()).to_f64()
    );
    assert!(same(
        &f64s(&bin(BinaryFn::FloorDiv, &a, &b)),
        &[0.0, 1.0, 0.0, -4.0]
    ));
    assert!(same(
        &f64s(&bin(BinaryFn::Mod, &a, &b)),
        &[1.0, 0.0, f16::from_f32(0.1).to_f64(), -1.0]
    ));
    let d = bin(BinaryFn::Div, &a, &b);
    assert_eq!(d.scalar(), Scalar::Float16);
    assert!(same(&f64s(&d)[..2], &[0.5, 1.0]));
    // Sums of float16 accumulate in float32: 2048 + 1 + 1 + … stays exact.
    let many = v1(vec![f16::ONE; 3000]);
    let s = red(ReduceFn::Sum, &many, None, false);
    assert_eq!(s.scalar(), Scalar::Float16);
    assert_eq!(f64s(&s), vec![3000.0]);
    let m = red(ReduceFn::Mean, &many, None, false);
    assert_eq!(f64s(&m), vec![1.0]);
}

#[test]
fn where_broadcasts() {
    let c = arr(&[2, 1], vec![1i32, 0]);
    let x = v1(vec![1.0, 2.0, 3.0]);
    let y = arr(&[], vec![-1.0]);
    let w = where_(&c, &x, &y).unwrap();
    assert_eq!(w.shape(), &[2, 3]);
    assert!(same(&f64s(&w), &[1.0, 2.0, 3.0, -1.0, -1.0, -1.0]));
    assert!(where_(&c, &x, &v1(vec![1i32])).is_err());
    assert!(where_(&v1(vec![true, false]), &x, &y).is_err());
    let nanc = v1(vec![NAN, 0.0, 0.0]);
    assert!(same(
        &f64s(&where_(&nanc, &x, &y).unwrap()),
        &[1.0, -1.0, -1.0]
    ));
}

// --- reductions ---

#[test]
fn reduce_axes_keepdims() {
    let x = arr(&[2, 3], vec![1i32, 2, 3, 4, 5, 6]);
    let s0 = red(ReduceFn::Sum, &x, Some(&[0]), false);
    assert_eq!(s0.scalar(), Scalar::Int64);
    assert_eq!(s0.shape(), &[3]);
    assert_eq!(i64s(&s0), vec![5, 7, 9]);
    let s1 = red(ReduceFn::Sum, &x, Some(&[1]), true);
    assert_eq!(s1.shape(), &[2, 1]);
    assert_eq!(i64s(&s1), vec![6, 15]);
    let s01 = red(ReduceFn::Prod, &x, None, true);
    assert_eq!(s01.shape(), &[1, 1]);
    assert_eq!(i64s(&s01), vec![720]);
    let all = red(ReduceFn::Max, &x, Some(&[1, 0]), false);
    assert_eq!(all.shape(), &[] as &[usize]);
    assert_eq!(all, arr(&[], vec![6i32]));
    let none = red(ReduceFn::Sum, &x, Some(&[]), false);
    assert_eq!(none, cast(&x, Scalar::Int64));
    let m = red(ReduceFn::Mean, &x, Some(&[0]), true);
    assert_eq!(m.shape(), &[1, 3]);
    assert!(same(&f64s(&m), &[2.5, 3.5, 4.5]));
    let mn = red(ReduceFn::Min, &x, Some(&[1]), false);
    assert_eq!(mn, v1(vec![1i32, 4]));
    let x3 = arr(&[2, 2, 2], (0..8).map(|v| v as f64).collect());
    let r = red(ReduceFn::Sum, &x3, Some(&[0, 2]), false);
    assert!(same(
        &f64s(&r),
        &[0.0 + 1.0 + 4.0 + 5.0, 2.0 + 3.0 + 6.0 + 7.0]
    ));
    assert!(reduce(ReduceFn::Sum, &x, None, Some(&[2]), false).is_err());
    assert!(reduce(ReduceFn::Sum, &x, None, Some(&[0, 0]), false).is_err());
}

#[test]
fn reduce_sum_types_and_wrap() {
    let x = v1(vec![i64::MAX, 1]);
    assert_eq!(i64s(&red(ReduceFn::Sum, &x, None, false)), vec![i64::MIN]);
    let b = v1(vec![true, true, false]);
    let s = red(ReduceFn::Sum, &b, None, false);
    assert_eq!(s, arr(&[], vec![2i64]));
    let u = v1(vec![200u8, 100]);
    assert_eq!(red(ReduceFn::Sum, &u, None, false), arr(&[], vec![300u64]));
    let i8s = v1(vec![-100i8, -100]);
    assert_eq!(
        red(ReduceFn::Sum, &i8s, None, false),
        arr(&[], vec![-200i64])
    );
    let c = v1(vec![Complex32::new(1.0, 2.0), Complex32::new(3.0, -1.0)]);
    assert_eq!(
        red(ReduceFn::Sum, &c, None, false),
        arr(&[], vec![Complex32::new(4.0, 1.0)])
    );
    assert_eq!(
        red(ReduceFn::Prod, &c, None, false),
        arr(&[], vec![Complex32::new(5.0, 5.0)])
    );
    // Pairwise float summation: 1 + 1e6 × 1e-10 … stays accurate.
    let mut v = vec![1.0f32];
    v.extend(std::iter::repeat_n(1e-8f32, 100_000));
    let s = f64s(&red(ReduceFn::Sum, &v1(v), None, false))[0];
    assert!((s - 1.001).abs() < 1e-6, "{s}");
}

#[test]
fn reduce_empty() {
    let e = arr(&[0, 3], Vec::<f64>::new());
    assert!(same(&f64s(&red(ReduceFn::Sum, &e, None, false)), &[0.0]));
    assert!(same(&f64s(&red(ReduceFn::Prod, &e, None, false)), &[1.0]));
    assert!(same(&f64s(&red(ReduceFn::Mean, &e, None, false)), &[NAN]));
    assert!(same(&f64s(&red(ReduceFn::Var, &e, None, false)), &[NAN]));
    let s0 = red(ReduceFn::Sum, &e, Some(&[0]), false);
    assert_eq!(s0.shape(), &[3]);
    assert!(same(&f64s(&s0), &[0.0, 0.0, 0.0]));
    let s1 = red(ReduceFn::Sum, &e, Some(&[1]), true);
    assert_eq!(s1.shape(), &[0, 1]);
    match reduce(ReduceFn::Min, &e, None, None, false) {
        Err(EvalError::Value(m)) => assert_eq!(
            m,
            "zero-size array to reduction operation min which has no identity"
        ),
        other => panic!("{other:?}"),
    }
    assert!(reduce(ReduceFn::Max, &e, None, Some(&[0]), false).is_err());
    // Over axis 1 there are no groups, so no error.
    assert_eq!(red(ReduceFn::Max, &e, Some(&[1]), false).shape(), &[0]);
    assert!(reduce(ReduceFn::ArgMax, &e, None, None, false).is_err());
    assert_eq!(bools(&red(ReduceFn::Any, &e, None, false)), vec![false]);
    assert_eq!(bools(&red(ReduceFn::All, &e, None, false)), vec![true]);
    assert_eq!(i64s(&red(ReduceFn::Count, &e, None, false)), vec![0]);
    let ei = arr(&[0], Vec::<i32>::new());
    assert_eq!(red(ReduceFn::Prod, &ei, None, false), arr(&[], vec![1i64]));
}

#[test]
fn reduce_nan_min_max_argmax() {
    let x = v1(vec![1.0, 5.0, NAN, 5.0, NAN, -3.0]);
    assert!(same(&f64s(&red(ReduceFn::Max, &x, None, false)), &[NAN]));
    assert!(same(&f64s(&red(ReduceFn::Min, &x, None, false)), &[NAN]));
    assert_eq!(i64s(&red(ReduceFn::ArgMax, &x, None, false)), vec![2]);
    assert_eq!(i64s(&red(ReduceFn::ArgMin, &x, None, false)), vec![2]);
    let y = v1(vec![1, 5, 2, 5, -3, -3]);
    assert_eq!(i64s(&red(ReduceFn::ArgMax, &y, None, false)), vec![1]);
    assert_eq!(i64s(&red(ReduceFn::ArgMin, &y, None, false)), vec![4]);
    let z = arr(&[2, 3], vec![3.0, 1.0, 3.0, 0.0, 7.0, 7.0]);
    assert_eq!(i64s(&red(ReduceFn::ArgMax, &z, None, false)), vec![4]);
    let a0 = red(ReduceFn::ArgMax, &z, Some(&[0]), false);
    assert_eq!(a0.scalar(), Scalar::Int64);
    assert_eq!(i64s(&a0), vec![0, 1, 1]);
    let a1 = red(ReduceFn::ArgMin, &z, Some(&[1]), true);
    assert_eq!(a1.shape(), &[2, 1]);
    assert_eq!(i64s(&a1), vec![1, 0]);
    assert!(reduce(ReduceFn::ArgMax, &z, None, Some(&[0, 1]), false).is_err());
    let first_nan = v1(vec![NAN, 1.0]);
    assert_eq!(
        i64s(&red(ReduceFn::ArgMin, &first_nan, None, false)),
        vec![0]
    );
    let h = v1(vec![f16::from_f32(1.0), f16::NAN]);
    assert!(same(&f64s(&red(ReduceFn::Max, &h, None, false)), &[NAN]));
    let b = v1(vec![false, true, true]);
    assert_eq!(i64s(&red(ReduceFn::ArgMax, &b, None, false)), vec![1]);
    assert_eq!(bools(&red(ReduceFn::Min, &b, None, false)), vec![false]);
    assert!(reduce(
        ReduceFn::Max,
        &v1(vec![Complex32::new(1.0, 0.0)]),
        None,
        None,
        false
    )
    .is_err());
}

#[test]
fn reduce_masked() {
    let x = arr(&[2, 3], vec![1.0, NAN, 3.0, 100.0, 5.0, 6.0]);
    let m = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![false, true, false, true, false, false])
        .unwrap();
    let r = |f: ReduceFn, axes: Option<&[usize]>| reduce(f, &x, Some(&m), axes, false).unwrap();
    assert!(same(&f64s(&r(ReduceFn::Sum, None)), &[15.0]));
    assert!(same(&f64s(&r(ReduceFn::Max, None)), &[6.0]));
    assert!(same(&f64s(&r(ReduceFn::Min, Some(&[0]))), &[1.0, 5.0, 3.0]));
    assert!(same(&f64s(&r(ReduceFn::Mean, Some(&[1]))), &[2.0, 5.5]));
    assert!(same(&f64s(&r(ReduceFn::Var, Some(&[1]))), &[1.0, 0.25]));
    assert_eq!(i64s(&r(ReduceFn::Count, Some(&[1]))), vec![2, 2]);
    assert_eq!(i64s(&r(ReduceFn::ArgMax, None)), vec![5]);
    assert_eq!(i64s(&r(ReduceFn::ArgMax, Some(&[0]))), vec![0, 1, 1]);
    assert_eq!(bools(&r(ReduceFn::All, None)), vec![true]);
    // A column that is entirely missing has no min.
    let m2 = ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![true, true]).unwrap();
    assert!(reduce(ReduceFn::Min, &x, Some(&m2), Some(&[0]), false).is_err());
    assert_eq!(
        i64s(&reduce(ReduceFn::Count, &x, Some(&m2), None, false).unwrap()),
        vec![0]
    );
    let bad = ArrayD::from_elem(IxDyn(&[2]), false);
    assert!(reduce(ReduceFn::Sum, &x, Some(&bad), None, false).is_err());
}

#[test]
fn reduce_var_std_accuracy() {
    let base = 1e9;
    let data: Vec<f64> = [4.0, 7.0, 13.0, 16.0].iter().map(|d| base + d).collect();
    let x = v1(data);
    // Population variance of 4, 7, 13, 16 is 22.5.
    let v = f64s(&red(ReduceFn::Var, &x, None, false))[0];
    assert!((v - 22.5).abs() < 1e-6, "{v}");
    let s = f64s(&red(ReduceFn::Std, &x, None, false))[0];
    assert!((s - 22.5f64.sqrt()).abs() < 1e-7, "{s}");
    let m = f64s(&red(ReduceFn::Mean, &x, None, false))[0];
    assert_eq!(m, base + 10.0);
    let xi = v1(vec![
        1_000_000_004i64,
        1_000_000_007,
        1_000_000_013,
        1_000_000_016,
    ]);
    let vi = red(ReduceFn::Var, &xi, None, false);
    assert_eq!(vi.scalar(), Scalar::Float64);
    assert_eq!(f64s(&vi), vec![22.5]);
    let c = v1(vec![Complex64::new(1.0, 1.0), Complex64::new(-1.0, -1.0)]);
    let vc = red(ReduceFn::Var, &c, None, false);
    assert_eq!(vc, arr(&[], vec![2.0f64]));
    let f32s = v1(vec![1.0f32, 2.0, 3.0, 4.0]);
    let v32 = red(ReduceFn::Std, &f32s, None, false);
    assert_eq!(v32, arr(&[], vec![1.25f32.sqrt()]));
    let cm = red(ReduceFn::Mean, &c, None, false);
    assert_eq!(cm, arr(&[], vec![Complex64::new(0.0, 0.0)]));
}

#[test]
fn reduce_any_all_count() {
    let x = arr(&[2, 2], vec![0.0, NAN, 0.0, 0.0]);
    assert_eq!(
        bools(&red(ReduceFn::Any, &x, Some(&[1]), false)),
        vec![true, false]
    );
    assert_eq!(
        bools(&red(ReduceFn::All, &x, Some(&[0]), false)),
        vec![false, false]
    );
    assert_eq!(
        i64s(&red(ReduceFn::Count, &x, Some(&[0]), true)),
        vec![2, 2]
    );
    let z = arr(&[], vec![5i32]);
    assert_eq!(i64s(&red(ReduceFn::ArgMax, &z, None, false)), vec![0]);
    assert!(reduce(ReduceFn::Sum, &z, None, Some(&[0]), false).is_err());
}

// --- property tests: no panics ---

fn special_i() -> Vec<i128> {
    vec![
        0,
        1,
        -1,
        2,
        127,
        128,
        -128,
        255,
        32767,
        -32768,
        65535,
        i32::MAX as i128,
        i32::MIN as i128,
        u32::MAX as i128,
        i64::MAX as i128,
        i64::MIN as i128,
        u64::MAX as i128,
    ]
}
fn special_f() -> Vec<f64> {
    vec![
        0.0,
        -0.0,
        0.5,
        -2.5,
        1e300,
        -1e300,
        f64::MIN_POSITIVE,
        5e-324,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        65504.0,
        1e-8,
    ]
}

fn univ() -> impl Strategy<Value = Univ> {
    prop_oneof![
        prop::sample::select(special_i()).prop_map(Univ::I),
        any::<i64>().prop_map(|i| Univ::I(i as i128)),
        any::<u64>().prop_map(|i| Univ::I(i as i128)),
        prop::sample::select(special_f()).prop_map(Univ::F),
        any::<f64>().prop_map(Univ::F),
        (
            prop::sample::select(special_f()),
            prop::sample::select(special_f())
        )
            .prop_map(|(a, b)| Univ::C(a, b)),
        (any::<f64>(), -10.0..10.0f64).prop_map(|(a, b)| Univ::C(a, b)),
    ]
}

fn build(s: Scalar, shape: &[usize], vals: &[Univ]) -> Array {
    let n: usize = shape.iter().product();
    let vals: Vec<Univ> = (0..n).map(|i| vals[i % vals.len()]).collect();
    fn mk<T: Convert>(shape: &[usize], vals: &[Univ]) -> Array {
        arr(
            shape,
            vals.iter().map(|&u| T::from_univ(u)).collect::<Vec<T>>(),
        )
    }
    match s {
        Scalar::Bool => mk::<bool>(shape, &vals),
        Scalar::Int8 => mk::<i8>(shape, &vals),
        Scalar::Int16 => mk::<i16>(shape, &vals),
        Scalar::Int32 => mk::<i32>(shape, &vals),
        Scalar::Int64 => mk::<i64>(shape, &vals),
        Scalar::UInt8 => mk::<u8>(shape, &vals),
        Scalar::UInt16 => mk::<u16>(shape, &vals),
        Scalar::UInt32 => mk::<u32>(shape, &vals),
        Scalar::UInt64 => mk::<u64>(shape, &vals),
        Scalar::Float16 => mk::<f16>(shape, &vals),
        Scalar::Float32 => mk::<f32>(shape, &vals),
        Scalar::Float64 => mk::<f64>(shape, &vals),
        Scalar::Complex64 => mk::<Complex32>(shape, &vals),
        Scalar::Complex128 => mk::<Complex64>(shape, &vals),
    }
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..4, 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics(
        si in 0usize..14,
        sa in shape(),
        sb in shape(),
        va in prop::collection::vec(univ(), 1..20),
        vb in prop::collection::vec(univ(), 1..20),
        mask in prop::collection::vec(any::<bool>(), 1..20),
        keepdims in any::<bool>(),
    ) {
        let s = Scalar::ALL[si];
        let a = build(s, &sa, &va);
        let b = build(s, &sb, &vb);
        for f in UnaryFn::ALL {
            if let Ok(r) = unary(f, &a) {
                prop_assert_eq!(r.shape(), a.shape());
                prop_assert_eq!(Ok(r.scalar()), f.result(s));
            }
        }
        for f in BinaryFn::ALL {
            if let Ok(r) = binary(f, &a, &b) {
                prop_assert_eq!(Ok(r.scalar()), f.result(s));
            }
            let _ = binary(f, &a, &a);
        }
        for to in Scalar::ALL {
            prop_assert_eq!(cast(&a, to).scalar(), to);
        }
        let _ = where_(&b, &a, &a);
        let _ = where_(&a, &a, &b);
        let m = build(Scalar::Bool, &sa, &mask.iter().map(|&x| Univ::I(x as i128)).collect::<Vec<_>>());
        let m = match m { Array::Bool(m) => m, _ => unreachable!() };
        let mut axes_list: Vec<Option<Vec<usize>>> = vec![None, Some(vec![])];
        for i in 0..a.ndim() {
            axes_list.push(Some(vec![i]));
        }
        axes_list.push(Some((0..a.ndim()).rev().collect()));
        axes_list.push(Some(vec![a.ndim()]));
        for f in ReduceFn::ALL {
            for axes in &axes_list {
                for mk in [None, Some(&m)] {
                    if let Ok(r) = reduce(f, &a, mk, axes.as_deref(), keepdims) {
                        prop_assert_eq!(Ok(r.scalar()), f.result(s));
                        if keepdims {
                            prop_assert_eq!(r.ndim(), a.ndim());
                        }
                    }
                }
            }
        }
        let _ = broadcast_to(&a, &sb);
    }
}

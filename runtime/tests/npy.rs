//! Tests of `.npy` reading and writing: round trips, fixtures written by real
//! NumPy (`tests/data/npy/`, made by `make_fixtures.py`), NumPy's exact bytes,
//! Fortran order, big-endian, every error case and atomic writes.

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use blaze_interp::Array;
use blaze_runtime::io::npy::{read_npy, read_npy_from, write_npy, write_npy_to};
use blaze_runtime::io::{IoError, IoErrorKind};
use half::f16;
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use num_complex::{Complex32, Complex64};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/npy")
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const DTYPES: [&str; 14] = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
];

/// NumPy's name of the array's type.
fn dtype_name(a: &Array) -> &'static str {
    match a {
        Array::Bool(_) => "bool",
        Array::Int8(_) => "int8",
        Array::Int16(_) => "int16",
        Array::Int32(_) => "int32",
        Array::Int64(_) => "int64",
        Array::UInt8(_) => "uint8",
        Array::UInt16(_) => "uint16",
        Array::UInt32(_) => "uint32",
        Array::UInt64(_) => "uint64",
        Array::Float16(_) => "float16",
        Array::Float32(_) => "float32",
        Array::Float64(_) => "float64",
        Array::Complex64(_) => "complex64",
        Array::Complex128(_) => "complex128",
    }
}

/// A deterministic array of `dtype` and `shape`, with extremes (no NaN, so
/// `==` compares).
fn sample(dtype: &str, shape: &[usize]) -> Array {
    let n: usize = shape.iter().product();
    let sh = IxDyn(shape);
    let k = |i: usize| (i as i64) * 7919 - 31;
    macro_rules! ints {
        ($variant:ident, $t:ty) => {
            Array::$variant(
                ArrayD::from_shape_vec(
                    sh,
                    (0..n)
                        .map(|i| match i {
                            0 => <$t>::MIN,
                            1 => <$t>::MAX,
                            _ => k(i) as $t,
                        })
                        .collect(),
                )
                .unwrap(),
            )
        };
    }
    let fl = |i: usize| -> f64 {
        match i {
            0 => f64::INFINITY,
            1 => -0.0,
            2 => f64::NEG_INFINITY,
            _ => (k(i) as f64) / 8.0,
        }
    };
    match dtype {
        "bool" => {
            Array::Bool(ArrayD::from_shape_vec(sh, (0..n).map(|i| i % 3 == 1).collect()).unwrap())
        }
        "int8" => ints!(Int8, i8),
        "int16" => ints!(Int16, i16),
        "int32" => ints!(Int32, i32),
        "int64" => ints!(Int64, i64),
        "uint8" => ints!(UInt8, u8),
        "uint16" => ints!(UInt16, u16),
        "uint32" => ints!(UInt32, u32),
        "uint64" => ints!(UInt64, u64),
        "float16" => Array::Float16(
            ArrayD::from_shape_vec(sh, (0..n).map(|i| f16::from_f64(fl(i))).collect()).unwrap(),
        ),
        "float32" => Array::Float32(
            ArrayD::from_shape_vec(sh, (0..n).map(|i| fl(i) as f32).collect()).unwrap(),
        ),
        "float64" => Array::Float64(ArrayD::from_shape_vec(sh, (0..n).map(fl).collect()).unwrap()),
        "complex64" => Array::Complex64(
            ArrayD::from_shape_vec(
                sh,
                (0..n)
                    .map(|i| Complex32::new(fl(i) as f32, fl(i + 3) as f32))
                    .collect(),
            )
            .unwrap(),
        ),
        "complex128" => Array::Complex128(
            ArrayD::from_shape_vec(
                sh,
                (0..n).map(|i| Complex64::new(fl(i), -fl(i + 5))).collect(),
            )
            .unwrap(),
        ),
        _ => panic!("unknown dtype {dtype}"),
    }
}

fn to_bytes(a: &Array) -> Vec<u8> {
    let mut out = Vec::new();
    write_npy_to(&mut out, a).unwrap();
    out
}

fn read_bytes(bytes: &[u8]) -> Result<Array, IoError> {
    read_npy_from(Cursor::new(bytes), "mem.npy")
}

/// A `.npy` file (version 1.0) with the given header dict text and data,
/// padded to 64 bytes like NumPy.
fn npy_file(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn dict(descr: &str, fortran: bool, shape: &str) -> String {
    let f = if fortran { "True" } else { "False" };
    format!("{{'descr': '{descr}', 'fortran_order': {f}, 'shape': {shape}, }}")
}

/// Writes `bytes` to a file called `name` in `dir` and reads it, expecting
/// an error of `kind` whose message names the file and contains each of
/// `needles`.
fn expect_error(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    kind: IoErrorKind,
    needles: &[&str],
) -> IoError {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    let err = match read_npy(&path) {
        Ok(a) => panic!("{name}: expected an error, read {a:?}"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert_eq!(err.kind(), kind, "{name}: wrong kind for {msg}");
    assert_eq!(err.path(), path);
    assert!(
        msg.contains(name),
        "{name}: message does not name the file: {msg}"
    );
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    for needle in needles {
        assert!(
            msg.contains(needle),
            "{name}: message lacks {needle:?}: {msg}"
        );
    }
    err
}

// ---------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------

const SHAPES: [&[usize]; 8] = [
    &[],
    &[1],
    &[7],
    &[2, 3],
    &[3, 1, 4],
    &[0],
    &[2, 0, 3],
    &[4, 0],
];

#[test]
fn round_trip_every_dtype_and_shape_through_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = 0;
    for dtype in DTYPES {
        for (i, shape) in SHAPES.iter().enumerate() {
            let a = sample(dtype, shape);
            let path = dir.path().join(format!("{dtype}_{i}.npy"));
            write_npy(&path, &a).unwrap();
            let b = read_npy(&path).unwrap();
            assert_eq!(a, b, "{dtype} {shape:?}");
            assert_eq!(dtype_name(&b), dtype);
            assert_eq!(b.shape(), *shape);
            // The file is exactly what write_npy_to produces, and its data
            // starts at a multiple of 64.
            let bytes = fs::read(&path).unwrap();
            assert_eq!(bytes, to_bytes(&a));
            let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            assert_eq!((10 + hlen) % 64, 0);
            assert_eq!(bytes[10 + hlen - 1], b'\n');
            cases += 1;
        }
    }
    assert_eq!(cases, DTYPES.len() * SHAPES.len());
    // Only the written files are left: no temporaries.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), cases);
}

#[test]
fn round_trip_every_dtype_and_shape_in_memory() {
    for dtype in DTYPES {
        for shape in SHAPES {
            let a = sample(dtype, shape);
            assert_eq!(read_bytes(&to_bytes(&a)).unwrap(), a, "{dtype} {shape:?}");
        }
    }
}

#[test]
fn round_trip_nan_payloads_bit_exact() {
    let vals64 = [
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        1.0,
    ];
    let a = Array::Float64(ArrayD::from_shape_vec(IxDyn(&[4]), vals64.to_vec()).unwrap());
    let Array::Float64(b) = read_bytes(&to_bytes(&a)).unwrap() else {
        panic!()
    };
    let bits: Vec<u64> = b.iter().map(|x| x.to_bits()).collect();
    assert_eq!(bits, vals64.iter().map(|x| x.to_bits()).collect::<Vec<_>>());

    let vals16 = [f16::NAN, f16::from_bits(0xfe01), f16::INFINITY];
    let a = Array::Float16(ArrayD::from_shape_vec(IxDyn(&[3]), vals16.to_vec()).unwrap());
    let Array::Float16(b) = read_bytes(&to_bytes(&a)).unwrap() else {
        panic!()
    };
    let bits: Vec<u16> = b.iter().map(|x| x.to_bits()).collect();
    assert_eq!(bits, vec![0x7e00, 0xfe01, 0x7c00]);

    let c = Complex32::new(f32::NAN, f32::NEG_INFINITY);
    let a = Array::Complex64(ArrayD::from_elem(IxDyn(&[]), c));
    let Array::Complex64(b) = read_bytes(&to_bytes(&a)).unwrap() else {
        panic!()
    };
    let x = b[IxDyn(&[])];
    assert!(x.re.is_nan() && x.im == f32::NEG_INFINITY);
}

#[test]
fn writes_non_standard_layouts_in_logical_c_order() {
    let base = ArrayD::from_shape_vec(IxDyn(&[2, 3]), (0..6i32).collect()).unwrap();
    // Transposed: a Fortran-layout view of shape (3, 2).
    let t = base.clone().reversed_axes();
    let expected = ArrayD::from_shape_vec(IxDyn(&[3, 2]), vec![0, 3, 1, 4, 2, 5]).unwrap();
    let back = read_bytes(&to_bytes(&Array::Int32(t))).unwrap();
    assert_eq!(back, Array::Int32(expected.clone()));
    // And the bytes equal those of the C-order copy.
    assert_eq!(to_bytes(&Array::Int32(expected.clone())), to_bytes(&back));
    // A strided slice.
    let s = base.slice(ndarray::s![.., ..;2]).to_owned().into_dyn();
    let s_view = base.slice_move(ndarray::s![.., ..;2]).into_dyn();
    assert_eq!(
        read_bytes(&to_bytes(&Array::Int32(s_view))).unwrap(),
        Array::Int32(s)
    );
}

#[test]
fn large_headers_use_version_2() {
    // 25000 axes of length 1: the header no longer fits in version 1.0.
    let a = Array::UInt8(ArrayD::from_elem(IxDyn(&vec![1; 25_000]), 7u8));
    let bytes = to_bytes(&a);
    assert_eq!(&bytes[..8], b"\x93NUMPY\x02\x00");
    let hlen = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    assert!(hlen > 65_535);
    assert_eq!((12 + hlen) % 64, 0);
    assert_eq!(bytes.len(), 12 + hlen + 1);
    // Reading refuses more than 64 axes (NumPy's limit) before any work.
    let e = read_bytes(&bytes).unwrap_err().to_string();
    assert!(e.contains("25000 dimensions; at most 64"), "{e}");
}

// ---------------------------------------------------------------------------
// Fixtures written by NumPy
// ---------------------------------------------------------------------------

struct Entry {
    file: String,
    dtype: String,
    descr: String,
    fortran: bool,
    shape: Vec<usize>,
    values: Vec<String>,
}

fn manifest() -> Vec<Entry> {
    let text = fs::read_to_string(fixtures().join("manifest.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "bad manifest line {l:?}");
            Entry {
                file: f[0].into(),
                dtype: f[1].into(),
                descr: f[2].into(),
                fortran: f[3] == "True",
                shape: if f[4].is_empty() {
                    vec![]
                } else {
                    f[4].split(',').map(|d| d.parse().unwrap()).collect()
                },
                values: f[5]
                    .split(' ')
                    .filter(|v| !v.is_empty())
                    .map(String::from)
                    .collect(),
            }
        })
        .collect()
}

/// Exact comparison of floats given as NumPy's shortest decimal (or `nan`).
fn same_f64(text: &str, x: f64) -> bool {
    if text == "nan" {
        x.is_nan()
    } else {
        let v: f64 = text.parse().unwrap();
        v.to_bits() == x.to_bits()
    }
}

fn same_f32(text: &str, x: f32) -> bool {
    if text == "nan" {
        x.is_nan()
    } else {
        let v: f32 = text.parse().unwrap();
        v.to_bits() == x.to_bits()
    }
}

/// The elements of `a` in C order, formatted like the manifest, checking
/// each against `expected`.
fn check_values(e: &Entry, a: &Array) {
    let n = a.len();
    assert_eq!(e.values.len(), n, "{}: value count", e.file);
    let ok: Vec<bool> = match a {
        Array::Bool(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| (if *v { "1" } else { "0" }) == t)
            .collect(),
        Array::Int8(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| v.to_string() == *t)
            .collect(),
        Array::Int16(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| v.to_string() == *t)
            .collect(),
        Array::Int32(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| v.to_string() == *t)
            .collect(),
        Array::Int64(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| v.to_string() == *t)
            .collect(),
        Array::UInt8(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| v.to_string() == *t)
            .collect(),
        Array::UInt16(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| v.to_string() == *t)
            .collect(),
        Array::UInt32(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| v.to_string() == *t)
            .collect(),
        Array::UInt64(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| v.to_string() == *t)
            .collect(),
        Array::Float16(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| format!("0x{:04x}", v.to_bits()) == *t)
            .collect(),
        Array::Float32(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| same_f32(t, *v))
            .collect(),
        Array::Float64(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| same_f64(t, *v))
            .collect(),
        Array::Complex64(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| {
                let (re, im) = t.split_once(',').unwrap();
                same_f32(re, v.re) && same_f32(im, v.im)
            })
            .collect(),
        Array::Complex128(x) => x
            .iter()
            .zip(&e.values)
            .map(|(v, t)| {
                let (re, im) = t.split_once(',').unwrap();
                same_f64(re, v.re) && same_f64(im, v.im)
            })
            .collect(),
    };
    for (i, good) in ok.iter().enumerate() {
        assert!(
            good,
            "{}: element {i} is {:?}, expected {}",
            e.file, a, e.values[i]
        );
    }
}

#[test]
fn numpy_fixtures_match_the_manifest() {
    let entries = manifest();
    assert!(entries.len() >= 90, "only {} fixtures", entries.len());
    let mut seen = std::collections::HashSet::new();
    for e in &entries {
        let a = read_npy(&fixtures().join(&e.file)).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(dtype_name(&a), e.dtype, "{}", e.file);
        assert_eq!(a.shape(), &e.shape[..], "{}", e.file);
        check_values(e, &a);
        seen.insert((
            e.dtype.clone(),
            e.fortran,
            e.descr.starts_with('>'),
            e.shape.len(),
        ));
    }
    // Every dtype in C order, Fortran order, and (multi-byte) big-endian.
    for dtype in DTYPES {
        assert!(
            seen.contains(&(dtype.to_string(), false, false, 2)),
            "{dtype} C"
        );
        assert!(
            seen.contains(&(dtype.to_string(), true, false, 3)),
            "{dtype} F"
        );
        assert!(
            seen.contains(&(dtype.to_string(), false, false, 0)),
            "{dtype} 0-d"
        );
        if !matches!(dtype, "bool" | "int8" | "uint8") {
            assert!(
                seen.contains(&(dtype.to_string(), false, true, 2)),
                "{dtype} BE"
            );
            assert!(
                seen.contains(&(dtype.to_string(), true, true, 2)),
                "{dtype} BE F"
            );
        }
    }
    // Every fixture file is in the manifest.
    let on_disk = fs::read_dir(fixtures())
        .unwrap()
        .filter(|f| {
            f.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "npy")
        })
        .count();
    assert_eq!(on_disk, entries.len());
}

#[test]
fn numpy_fixtures_of_other_versions_are_read() {
    let v2 = fs::read(fixtures().join("i2_v2.npy")).unwrap();
    assert_eq!(&v2[6..8], &[2, 0]);
    let v3 = fs::read(fixtures().join("f4_v3.npy")).unwrap();
    assert_eq!(&v3[6..8], &[3, 0]);
    // (their values are checked against the manifest above)
    assert_eq!(
        read_npy(&fixtures().join("i2_v2.npy")).unwrap().shape(),
        &[3, 2]
    );
}

/// Our writer produces NumPy's exact bytes (header and data) for every
/// little-endian C-order version-1.0 fixture, including the `exact_*` files
/// written by `np.save`.
#[test]
fn writer_matches_numpy_bytes() {
    let mut compared = 0;
    for e in manifest() {
        let path = fixtures().join(&e.file);
        let bytes = fs::read(&path).unwrap();
        if e.fortran || e.descr.starts_with('>') || bytes[6] != 1 {
            continue;
        }
        let a = read_npy(&path).unwrap();
        assert_eq!(to_bytes(&a), bytes, "{}", e.file);
        compared += 1;
    }
    assert!(compared >= 60, "compared {compared}");

    // The np.save files, from arrays built here rather than read.
    let exact: [(&str, Array); 4] = [
        (
            "exact_i4_2x3.npy",
            Array::Int32(ArrayD::from_shape_vec(IxDyn(&[2, 3]), (0..6).collect()).unwrap()),
        ),
        (
            "exact_f8_scalar.npy",
            Array::Float64(ArrayD::from_elem(IxDyn(&[]), 1.5)),
        ),
        (
            "exact_b1_5.npy",
            Array::Bool(
                ArrayD::from_shape_vec(IxDyn(&[5]), vec![true, false, true, true, false]).unwrap(),
            ),
        ),
        (
            "exact_c16_0x2.npy",
            Array::zeros(blaze_datashape::Scalar::Complex128, &[0, 2]),
        ),
    ];
    for (name, a) in exact {
        let expected = fs::read(fixtures().join(name)).unwrap();
        assert_eq!(to_bytes(&a), expected, "{name}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        write_npy(&p, &a).unwrap();
        assert_eq!(fs::read(&p).unwrap(), expected, "{name} via write_npy");
    }
    // The header of exact_i4_2x3.npy, spelled out.
    let bytes = fs::read(fixtures().join("exact_i4_2x3.npy")).unwrap();
    let header = std::str::from_utf8(&bytes[10..128]).unwrap();
    assert!(header.starts_with("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }"));
    assert!(header.ends_with(" \n"));
}

// ---------------------------------------------------------------------------
// Fortran order, byte orders, header variants
// ---------------------------------------------------------------------------

#[test]
fn fortran_order_is_read_into_the_logical_layout() {
    let data: Vec<u8> = (0..6i32).flat_map(|x| x.to_le_bytes()).collect();
    let a = read_bytes(&npy_file(&dict("<i4", true, "(2, 3)"), &data)).unwrap();
    let expected = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![0, 2, 4, 1, 3, 5]).unwrap();
    assert_eq!(a, Array::Int32(expected));
    let Array::Int32(inner) = &a else { panic!() };
    assert!(inner.is_standard_layout());

    // 3-d: element (i, j, k) is at i + 2j + 6k in Fortran order.
    let data: Vec<u8> = (0..24u16).flat_map(|x| x.to_le_bytes()).collect();
    let a = read_bytes(&npy_file(&dict("<u2", true, "(2, 3, 4)"), &data)).unwrap();
    let Array::UInt16(a) = a else { panic!() };
    for i in 0..2 {
        for j in 0..3 {
            for k in 0..4 {
                assert_eq!(a[[i, j, k]] as usize, i + 2 * j + 6 * k);
            }
        }
    }
    let f = ArrayD::from_shape_vec(IxDyn(&[2, 3, 4]).f(), (0..24u16).collect()).unwrap();
    assert_eq!(a, f);

    // Fortran order with a zero-length axis, a 1-d and a 0-d array.
    let a = read_bytes(&npy_file(&dict("<f8", true, "(2, 0, 3)"), &[])).unwrap();
    assert_eq!(a.shape(), &[2, 0, 3]);
    // Empty, with a huge (but representable) other axis.
    for fortran in [false, true] {
        let a = read_bytes(&npy_file(&dict("<c16", fortran, "(1099511627776, 0)"), &[])).unwrap();
        assert_eq!(a.shape(), &[1 << 40, 0]);
        assert!(a.is_empty());
    }
    let a = read_bytes(&npy_file(&dict("|u1", true, "(3,)"), &[1, 2, 3])).unwrap();
    assert_eq!(
        a,
        Array::UInt8(ArrayD::from_shape_vec(IxDyn(&[3]), vec![1, 2, 3]).unwrap())
    );
    let a = read_bytes(&npy_file(&dict("|i1", true, "()"), &[0xff])).unwrap();
    assert_eq!(a, Array::Int8(ArrayD::from_elem(IxDyn(&[]), -1)));
}

#[test]
fn big_endian_and_native_byte_orders() {
    let be: Vec<u8> = [1i32, -2, 300]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect();
    let a = read_bytes(&npy_file(&dict(">i4", false, "(3,)"), &be)).unwrap();
    assert_eq!(
        a,
        Array::Int32(ArrayD::from_shape_vec(IxDyn(&[3]), vec![1, -2, 300]).unwrap())
    );

    let mut c = Vec::new();
    for (re, im) in [(1.5f32, -2.0f32), (f32::INFINITY, 0.25)] {
        c.extend_from_slice(&re.to_be_bytes());
        c.extend_from_slice(&im.to_be_bytes());
    }
    let a = read_bytes(&npy_file(&dict(">c8", false, "(2,)"), &c)).unwrap();
    let expected = vec![
        Complex32::new(1.5, -2.0),
        Complex32::new(f32::INFINITY, 0.25),
    ];
    assert_eq!(
        a,
        Array::Complex64(ArrayD::from_shape_vec(IxDyn(&[2]), expected).unwrap())
    );

    let h: Vec<u8> = [1.0f32, -0.5]
        .iter()
        .flat_map(|x| f16::from_f32(*x).to_be_bytes())
        .collect();
    let a = read_bytes(&npy_file(&dict(">f2", false, "(2,)"), &h)).unwrap();
    let expected = vec![f16::from_f32(1.0), f16::from_f32(-0.5)];
    assert_eq!(
        a,
        Array::Float16(ArrayD::from_shape_vec(IxDyn(&[2]), expected).unwrap())
    );

    // Native '=' and '|' (no byte order; NumPy reads it as native).
    let ne: Vec<u8> = [7u64, u64::MAX]
        .iter()
        .flat_map(|x| x.to_ne_bytes())
        .collect();
    for descr in ["=u8", "|u8", "u8"] {
        let a = read_bytes(&npy_file(&dict(descr, false, "(2,)"), &ne)).unwrap();
        assert_eq!(
            a,
            Array::UInt64(ArrayD::from_shape_vec(IxDyn(&[2]), vec![7, u64::MAX]).unwrap())
        );
    }
    for descr in ["|b1", "=b1", "<b1", ">b1"] {
        let a = read_bytes(&npy_file(&dict(descr, false, "(3,)"), &[1, 0, 2])).unwrap();
        assert_eq!(
            a,
            Array::Bool(ArrayD::from_shape_vec(IxDyn(&[3]), vec![true, false, true]).unwrap())
        );
    }
}

#[test]
fn header_variants_are_accepted() {
    let data: Vec<u8> = (1..=3i16).flat_map(|x| x.to_le_bytes()).collect();
    let expected = Array::Int16(ArrayD::from_shape_vec(IxDyn(&[3]), vec![1, 2, 3]).unwrap());
    let headers = [
        "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }",
        "{'shape': (3,), 'descr': '<i2', 'fortran_order': False}",
        "{\"fortran_order\": False, \"shape\": (3,), \"descr\": \"<i2\"}",
        "{  'descr'  :  '<i2' ,\n 'fortran_order':False,'shape':( 3 , ) , }",
        "{'descr': '<i2', 'fortran_order': False, 'shape': (3L,)}",
        "{u'descr': u'<i2', 'fortran_order': False, 'shape': (3,)}",
        "\t{'descr': '<i2', 'fortran_order': False, 'shape': (3,)}\r\n\n",
    ];
    for h in headers {
        assert_eq!(read_bytes(&npy_file(h, &data)).unwrap(), expected, "{h:?}");
    }
    // Old 16-byte alignment, and no padding or newline at all.
    for pad_to in [16usize, 1] {
        let mut header = "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }".to_string();
        while (10 + header.len()) % pad_to != 0 {
            header.push(' ');
        }
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&data);
        assert_eq!(read_bytes(&bytes).unwrap(), expected);
    }
    // Version 2.0 and 3.0 framing (4-byte header length).
    for major in [2u8, 3] {
        let header = "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }\n";
        let mut bytes = vec![0x93, b'N', b'U', b'M', b'P', b'Y', major, 0];
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&data);
        assert_eq!(read_bytes(&bytes).unwrap(), expected);
    }
    // Zero-length and 0-d shapes.
    let a = read_bytes(&npy_file(&dict("<c16", false, "(0,)"), &[])).unwrap();
    assert_eq!(a.shape(), &[0usize]);
    let a = read_bytes(&npy_file(&dict("<i8", false, "()"), &42i64.to_le_bytes())).unwrap();
    assert_eq!(a, Array::Int64(ArrayD::from_elem(IxDyn(&[]), 42)));
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[test]
fn error_bad_magic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    expect_error(
        d,
        "text.npy",
        b"hello, world\n",
        IoErrorKind::BadMagic,
        &["not a .npy file", "bad magic"],
    );
    expect_error(
        d,
        "empty.npy",
        b"",
        IoErrorKind::BadMagic,
        &["not a .npy file", "empty"],
    );
    expect_error(
        d,
        "short.npy",
        b"\x93NUM",
        IoErrorKind::BadMagic,
        &["not a .npy file", "too short"],
    );
    expect_error(
        d,
        "case.npy",
        b"\x93numpy\x01\x00",
        IoErrorKind::BadMagic,
        &["bad magic"],
    );
}

#[test]
fn error_unsupported_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = npy_file(&dict("<i4", false, "(0,)"), &[]);
    bytes[6] = 4;
    expect_error(
        dir.path(),
        "v4.npy",
        &bytes,
        IoErrorKind::UnsupportedVersion,
        &["unsupported", "version 4.0"],
    );
    bytes[6] = 1;
    bytes[7] = 1;
    expect_error(
        dir.path(),
        "v11.npy",
        &bytes,
        IoErrorKind::UnsupportedVersion,
        &["version 1.1"],
    );
}

#[test]
fn error_truncated_header() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let full = npy_file(&dict("<i4", false, "(2,)"), &[0; 8]);
    expect_error(
        d,
        "noversion.npy",
        &full[..7],
        IoErrorKind::TruncatedHeader,
        &["truncated header", "version"],
    );
    expect_error(
        d,
        "nolen.npy",
        &full[..9],
        IoErrorKind::TruncatedHeader,
        &["truncated header", "header length"],
    );
    expect_error(
        d,
        "half.npy",
        &full[..40],
        IoErrorKind::TruncatedHeader,
        &["truncated header", "expected 118 bytes of header, found 30"],
    );
    // A version 2.0 header claiming 4 GiB.
    let mut big = b"\x93NUMPY\x02\x00\xff\xff\xff\xff".to_vec();
    big.extend_from_slice(b"{'descr': '<i4'");
    expect_error(
        d,
        "huge.npy",
        &big,
        IoErrorKind::TruncatedHeader,
        &["expected 4294967295 bytes of header, found 15"],
    );
}

#[test]
fn error_malformed_header() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&str, &str, &str)] = &[
        ("notdict", "['descr', '<i4']", "expected a dict"),
        ("empty", "", "the header is empty"),
        ("nokey", "{'descr': '<i4', 'fortran_order': False}", "missing key 'shape'"),
        ("nodescr", "{'fortran_order': False, 'shape': (2,)}", "missing key 'descr'"),
        ("extrakey", "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected key \"x\""),
        ("dupkey", "{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (2,)}", "duplicate key 'descr'"),
        ("shapeint", "{'descr': '<i4', 'fortran_order': False, 'shape': 2}", "'shape' must be a tuple"),
        ("shapeparen", "{'descr': '<i4', 'fortran_order': False, 'shape': (2)}", "'shape' must be a tuple"),
        ("shapelist", "{'descr': '<i4', 'fortran_order': False, 'shape': [2]}", "'shape' must be a tuple"),
        ("shapestr", "{'descr': '<i4', 'fortran_order': False, 'shape': ('2',)}", "'shape' must hold integers"),
        ("negative", "{'descr': '<i4', 'fortran_order': False, 'shape': (-2,)}", "negative dimension -2"),
        ("fortran", "{'descr': '<i4', 'fortran_order': 0, 'shape': (2,)}", "'fortran_order' must be True or False"),
        ("descrint", "{'descr': 4, 'fortran_order': False, 'shape': (2,)}", "'descr' must be a string"),
        ("unterminated", "{'descr': '<i4, 'fortran_order': False, 'shape': (2,)}", "expected ',' or '}' in the dict, found 'f'"),
        ("openstr", "{'descr': '<i4", "unterminated string"),
        ("garbage", "{'descr': '<i4', 'fortran_order': False, 'shape': (2,)} xyz", "unexpected text after the dict"),
        ("unclosed", "{'descr': '<i4', 'fortran_order': False, 'shape': (2,)", "expected ',' or '}'"),
        ("name", "{'descr': '<i4', 'fortran_order': false, 'shape': (2,)}", "unexpected name \"false\""),
        ("float", "{'descr': '<i4', 'fortran_order': False, 'shape': (2.0,)}", "malformed number"),
        ("deep", &format!("{}{}", "(".repeat(10_000), ")".repeat(10_000)), "nesting deeper than"),
        ("huge", "{'descr': '<i4', 'fortran_order': False, 'shape': (1000000000000000000000000000000000000000000,)}", "too large"),
    ];
    for (name, header, needle) in cases {
        let file = format!("{name}.npy");
        expect_error(
            d,
            &file,
            &npy_file(header, &[]),
            IoErrorKind::MalformedHeader,
            &["malformed header", needle],
        );
    }
    // Version 3.0 headers must be UTF-8.
    let mut bytes = b"\x93NUMPY\x03\x00\x04\x00\x00\x00{'\xff}".to_vec();
    bytes.push(b'\n');
    expect_error(
        d,
        "utf8.npy",
        &bytes,
        IoErrorKind::MalformedHeader,
        &["UTF-8"],
    );
}

#[test]
fn error_unsupported_dtype_names_the_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, descr, needle) in [
        ("object", "|O", "object"),
        ("unicode", "<U10", "string"),
        ("bytes", "|S3", "string"),
        ("datetime", "<M8[ns]", "datetime"),
        ("timedelta", "<m8[s]", "datetime"),
        ("longdouble", "<f16", "floats"),
        ("int3", "<i3", "integers"),
        ("void", "|V8", "void"),
        ("nonsense", "hello", "not a supported numeric dtype"),
    ] {
        let file = format!("{name}.npy");
        let quoted = format!("'{descr}'");
        expect_error(
            d,
            &file,
            &npy_file(&dict(descr, false, "(1,)"), &[0; 16]),
            IoErrorKind::UnsupportedDtype,
            &["unsupported dtype", &quoted, needle],
        );
    }
    let structured =
        "{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (1,), }";
    expect_error(
        d,
        "structured.npy",
        &npy_file(structured, &[0; 12]),
        IoErrorKind::UnsupportedDtype,
        &["unsupported dtype", "structured", "<i4"],
    );
}

#[test]
fn error_truncated_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    expect_error(
        d,
        "short.npy",
        &npy_file(&dict("<f8", false, "(2, 3)"), &[0; 40]),
        IoErrorKind::TruncatedData,
        &[
            "truncated: expected 48 bytes of data, found 40",
            "(2, 3)",
            "<f8",
        ],
    );
    expect_error(
        d,
        "none.npy",
        &npy_file(&dict("<c16", false, "()"), &[]),
        IoErrorKind::TruncatedData,
        &["truncated: expected 16 bytes of data, found 0"],
    );
    // A huge shape on a tiny file fails cleanly, without allocating it.
    expect_error(
        d,
        "bigshape.npy",
        &npy_file(&dict("|u1", false, "(1000000000000,)"), &[1, 2, 3]),
        IoErrorKind::TruncatedData,
        &["expected 1000000000000 bytes of data, found 3"],
    );
}

#[test]
fn error_shape_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = u64::MAX / 2;
    for (name, shape) in [
        ("product", format!("({big}, 4)")),
        ("bytes", format!("({},)", u64::MAX / 4)),
        ("isize", format!("({},)", u64::MAX / 2 + 1)),
        ("zeroaxis", format!("(0, {big}, {big})")),
        // No elements, but the non-zero axes' bytes exceed isize::MAX.
        ("zerobytes", format!("(0, {})", 1u64 << 61)),
        ("zerobytes_f", format!("(3, 0, {})", 1u64 << 60)),
        ("toobig", "(99999999999999999999999,)".to_string()),
    ] {
        let file = format!("{name}.npy");
        let kind = if name == "toobig" {
            IoErrorKind::MalformedHeader
        } else {
            IoErrorKind::ShapeOverflow
        };
        let needle = if name == "toobig" {
            "too large"
        } else {
            "shape overflow"
        };
        expect_error(
            d,
            &file,
            &npy_file(&dict("<i8", false, &shape), &[]),
            kind,
            &[needle],
        );
    }
}

#[test]
fn error_trailing_data_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let err = expect_error(
        dir.path(),
        "extra.npy",
        &npy_file(&dict("<i2", false, "(2,)"), &[0; 7]),
        IoErrorKind::TrailingData,
        &["trailing data: 3 bytes after the 4 bytes of data"],
    );
    assert!(err.message().starts_with("trailing data"));
    // Two arrays back to back in one stream: read_npy_from reads to the end.
    let one = to_bytes(&sample("int8", &[3]));
    let mut two = one.clone();
    two.extend_from_slice(&one);
    let err = read_bytes(&two).unwrap_err();
    assert_eq!(err.kind(), IoErrorKind::TrailingData);
    // ...but a reader limited to one array works.
    use std::io::Read;
    let mut cursor = Cursor::new(&two);
    let first = read_npy_from((&mut cursor).take(one.len() as u64), "first").unwrap();
    let second = read_npy_from(&mut cursor, "second").unwrap();
    assert_eq!(first, second);
}

#[test]
fn error_io_carries_the_os_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.npy");
    let err = read_npy(&path).unwrap_err();
    assert_eq!(err.kind(), IoErrorKind::Io);
    let msg = err.to_string();
    assert!(msg.contains("missing.npy"), "{msg}");
    let os = std::io::Error::from(std::io::ErrorKind::NotFound).to_string();
    let os_msg = fs::File::open(&path).unwrap_err().to_string();
    assert!(msg.contains(&os_msg) || msg.contains(&os), "{msg}");
    assert!(std::error::Error::source(&err).is_some());

    // Reading a directory.
    let err = read_npy(dir.path()).unwrap_err();
    assert_eq!(err.kind(), IoErrorKind::Io, "{err}");
}

#[test]
fn error_names_the_reader() {
    let err = read_npy_from(Cursor::new(b"PK\x03\x04"), "archive.npz/x.npy").unwrap_err();
    assert_eq!(err.path(), Path::new("archive.npz/x.npy"));
    assert!(
        err.to_string()
            .starts_with("archive.npz/x.npy: not a .npy file"),
        "{err}"
    );
}

/// Every truncation and many corruptions of valid files give an error or an
/// array, never a panic.
#[test]
fn never_panics_on_corrupt_input() {
    let mut seeds: Vec<Vec<u8>> = DTYPES
        .iter()
        .map(|d| to_bytes(&sample(d, &[2, 3])))
        .collect();
    seeds.push(npy_file(&dict("<i4", true, "(2, 2)"), &[0; 16]));
    seeds.push(fs::read(fixtures().join("i2_v2.npy")).unwrap());
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut errors = 0;
    for seed in &seeds {
        for cut in 0..seed.len() {
            if read_bytes(&seed[..cut]).is_err() {
                errors += 1;
            }
        }
        for _ in 0..300 {
            let mut b = seed.clone();
            for _ in 0..1 + rand() % 4 {
                let i = (rand() as usize) % b.len();
                b[i] = match rand() % 4 {
                    0 => rand() as u8,
                    1 => b"(),:'\"{}[]0123456789 LTFN<>|=-"[(rand() % 30) as usize],
                    2 => b[i] ^ 1,
                    _ => 0,
                };
            }
            let _ = read_bytes(&b);
        }
    }
    assert!(errors > 0);
}

// ---------------------------------------------------------------------------
// Atomic writes
// ---------------------------------------------------------------------------

#[test]
fn write_into_missing_directory_fails_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/a.npy");
    let err = write_npy(&path, &sample("float64", &[3])).unwrap_err();
    assert_eq!(err.kind(), IoErrorKind::Io);
    assert_eq!(err.path(), path);
    assert!(err.to_string().contains("a.npy"), "{err}");
    assert!(!dir.path().join("no").exists());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn failed_write_does_not_clobber_the_destination() {
    let dir = tempfile::tempdir().unwrap();
    // The destination is a non-empty directory: the final rename fails; the
    // directory is intact and the temporary file is gone.
    let target = dir.path().join("taken.npy");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep"), b"keep").unwrap();
    let err = write_npy(&target, &sample("int32", &[4])).unwrap_err();
    assert_eq!(err.kind(), IoErrorKind::Io);
    assert!(err.to_string().contains("taken.npy"), "{err}");
    assert_eq!(fs::read(target.join("keep")).unwrap(), b"keep");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("taken.npy")]);
}

#[cfg(unix)]
#[test]
fn failed_write_in_read_only_directory_keeps_the_old_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("ro");
    fs::create_dir(&sub).unwrap();
    let path = sub.join("old.npy");
    let old = sample("uint16", &[2, 2]);
    write_npy(&path, &old).unwrap();
    let old_bytes = fs::read(&path).unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o555)).unwrap();
    // Privileged users can write anyway: then there is no failure to test.
    let probe = sub.join("probe");
    let can_write = fs::write(&probe, b"").is_ok();
    let _ = fs::remove_file(&probe);
    if !can_write {
        let err = write_npy(&path, &sample("float32", &[5])).unwrap_err();
        assert_eq!(err.kind(), IoErrorKind::Io);
        assert!(err.to_string().contains("old.npy"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), old_bytes);
        assert_eq!(fs::read_dir(&sub).unwrap().count(), 1);
    }
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A replaced file keeps its permission bits (a private 0600 file does
/// not become 0644), and a new file gets the usual ones.
#[cfg(unix)]
#[test]
fn write_keeps_the_permissions_of_the_file_it_replaces() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.npy");
    write_npy(&path, &sample("int32", &[3])).unwrap();
    let fresh = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_ne!(fresh, 0o600, "a new file should not be private by itself");
    for mode in [0o600, 0o640, 0o444] {
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        let a = sample("float64", &[2, 3]);
        write_npy(&path, &a).unwrap();
        assert_eq!(read_npy(&path).unwrap(), a);
        let now = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(now, mode, "{now:o} after replacing a {mode:o} file");
    }
}

#[test]
fn write_replaces_an_existing_file_and_leaves_no_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.npy");
    fs::write(&path, b"old contents").unwrap();
    let a = sample("complex128", &[2, 2]);
    write_npy(&path, &a).unwrap();
    assert_eq!(read_npy(&path).unwrap(), a);
    // A long file name (the temporary name stays within limits).
    let long = dir.path().join(format!("{}.npy", "x".repeat(240)));
    write_npy(&long, &a).unwrap();
    assert_eq!(read_npy(&long).unwrap(), a);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    // A relative path with no directory part.
    let err = write_npy(Path::new(".."), &a).unwrap_err();
    assert!(err.to_string().contains("does not name a file"), "{err}");
}

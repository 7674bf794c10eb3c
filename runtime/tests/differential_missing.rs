//! Differential tests of missing values: random programs over option
//! inputs — `where(c, x, na)`, `isna`, `fillna`, elementwise operations and
//! the reductions `sum prod min max mean count any all`, over all axes and
//! per axis — run by the JIT engine against the reference interpreter.
//!
//! Inputs have random, all-missing or no missing elements, and are given
//! either as interpreter values with masks or as views of blaze arrays
//! whose validity bitmaps start at a bit offset that is not a multiple of
//! 8, laid out contiguously, strided, reversed or broadcast (stride 0).
//! The result must have the interpreter's missing elements exactly, and
//! its values agree where they are not missing: integers and bools
//! exactly, floats within the bound `differential.rs` states
//! (`|jit − ref| ≤ tol · (1 + |ref|) + tol · M · n`, tol = 1e-9 for
//! float64 and 1e-3 for float32). Every
//! program must run without a reference-kernel fallback.
//!
//! Kernels read those bitmaps in place (their kernel keys name the
//! bit-addressed operands) and write an option result's bits straight into
//! an output bitmap at any bit offset, bit for bit the interpreter's mask,
//! with several threads over many chunks.
//!
//! `BLAZE_MISSING_CASES` (default 300) sets the number of cases and
//! `BLAZE_MISSING_SEED` the seed; a failure prints the seed, the program
//! and the inputs.

use blaze_array::DenseViewMut;
use blaze_array::{BooleanBuffer, Buffer, DenseArray, NullBuffer};
use blaze_datashape::{parse, Datashape};
use blaze_interp::{eval, Array, Value};
use blaze_ir::compile_expression;
use blaze_runtime::exec::{prepare, Arg, Options};
use blaze_runtime::value::view_to_value;
use ndarray::{ArrayD, IxDyn};

// The generator and the float bound of the differential tests.
#[allow(dead_code)]
#[path = "differential/common.rs"]
mod common;
use common::{close, tolerance, Rng};

/// How many elements of an input are missing.
#[derive(Clone, Copy, Debug)]
enum Missing {
    Random,
    All,
    None,
}

/// How an input view lays out its elements.
#[derive(Clone, Copy, Debug)]
enum Layout {
    Contiguous,
    /// Every other element of a wider buffer along the last axis.
    Strided,
    /// The first axis reversed (negative stride).
    Reversed,
    /// One row repeated: stride 0 along the first axis.
    Broadcast,
}

/// A float64 expression over options of the inputs `x: R * C * ?float64`,
/// `y: C * ?float64`, `n: R * C * ?int32` and `z: R * C * float64`;
/// discontinuous functions (comparisons) take inputs only.
fn option_expr(rng: &mut Rng, depth: usize) -> String {
    let leaves = [
        "x",
        "y",
        "where(z > 0.0, x, na)",
        "where(x > 0.5, x, na)",
        "where(n > 0, na, z)",
        "where(y < 0.0, z, y)",
        "x + na",
        "n.astype(float64)",
        "where(isna(x), y, x)",
        "fillna(x, z)",
        "z",
    ];
    if depth == 0 || rng.chance(0.3) {
        return rng.pick(&leaves).to_string();
    }
    let a = option_expr(rng, depth - 1);
    match rng.below(7) {
        0 => format!("({a} + {})", option_expr(rng, depth - 1)),
        1 => format!("({a} * {})", option_expr(rng, depth - 1)),
        2 => format!("({a} - 1.5)"),
        3 => format!("(-{a})"),
        4 => format!("abs({a})"),
        5 => format!("where(n > 1, {a}, {})", option_expr(rng, depth - 1)),
        _ => format!("({a} * 2.0 + 1.0)"),
    }
}

/// An int32 expression over options.
fn int_expr(rng: &mut Rng) -> String {
    rng.pick(&[
        "n",
        "n + 1",
        "n * n",
        "n // (n - 1)",
        "where(z > 0.0, n, na)",
        "where(isna(n), 7, n)",
        "-n",
    ])
    .to_string()
}

/// A `?bool`, `?float32` or `?uint8` expression, reduced by what its type
/// allows.
fn other_program(rng: &mut Rng) -> String {
    let (e, fs): (&str, &[&str]) = *rng.pick(&[
        ("(n > 0)", &["sum", "min", "max", "any", "all", "count"][..]),
        (
            "where(x > 0.0, n > 1, na)",
            &["sum", "max", "any", "all"][..],
        ),
        (
            "(x.astype(float32) * 2.0)",
            &["sum", "min", "max", "mean", "count"][..],
        ),
        ("abs(n).astype(uint8)", &["sum", "min", "max", "prod"][..]),
    ]);
    let f = rng.pick(fs);
    match rng.below(4) {
        0 => e.to_string(),
        1 => format!("{f}({e})"),
        2 => format!("{f}({e}, axis=0)"),
        _ => format!("{f}({e}, axis=1, keepdims=true)"),
    }
}

/// A program: a stored option or plain result, or a reduction.
fn program(rng: &mut Rng) -> String {
    if rng.chance(0.15) {
        return other_program(rng);
    }
    let e = if rng.chance(0.75) {
        option_expr(rng, 3)
    } else {
        int_expr(rng)
    };
    match rng.below(10) {
        0 => e,
        1 => format!("fillna({e}, 0.5)"),
        2 => format!("isna({e})"),
        3 => format!("where(isna({e}), 1, 2) + 0"),
        _ => {
            let f = rng.pick(&["sum", "prod", "min", "max", "mean", "count", "any", "all"]);
            let arg = if *f == "prod" {
                // Keeps products of many terms finite and comparable.
                format!("where(abs({e}) > 2.0, 1.0, {e})")
            } else {
                e
            };
            match rng.below(4) {
                0 => format!("{f}({arg})"),
                1 => format!("{f}({arg}, axis=0)"),
                2 => format!("{f}({arg}, axis=1)"),
                _ => format!("{f}({arg}, axis=1, keepdims=true)"),
            }
        }
    }
}

/// Random validity (true = valid) for `n` elements.
fn validity(rng: &mut Rng, n: usize, m: Missing) -> Vec<bool> {
    (0..n)
        .map(|_| match m {
            Missing::Random => !rng.chance(0.3),
            Missing::All => false,
            Missing::None => true,
        })
        .collect()
}

/// A bitmap holding `bits` from bit `offset` of its buffer, the bits
/// before it random.
fn bitmap(rng: &mut Rng, bits: &[bool], offset: usize) -> NullBuffer {
    let mut bytes: Vec<u8> = (0..(bits.len() + offset).div_ceil(8) + 1)
        .map(|_| rng.next() as u8)
        .collect();
    for (i, &b) in bits.iter().enumerate() {
        let k = i + offset;
        if b {
            bytes[k / 8] |= 1 << (k % 8);
        } else {
            bytes[k / 8] &= !(1 << (k % 8));
        }
    }
    NullBuffer::new(BooleanBuffer::new(
        Buffer::from_vec(bytes),
        offset,
        bits.len(),
    ))
}

/// An input array of `shape` laid out by `layout`, of random values
/// (`ints`: small integers as int32), with a bitmap when `missing` is
/// given.
fn input(
    rng: &mut Rng,
    shape: &[usize],
    ints: bool,
    layout: Layout,
    missing: Option<Missing>,
) -> DenseArray {
    let n: usize = shape.iter().product();
    let rows = shape.first().copied().unwrap_or(1).max(1);
    let cols = n / rows.max(1);
    let size = if ints { 4 } else { 8 };
    // Elements of the buffer and the layout over it.
    let (count, strides, offset): (usize, Vec<isize>, usize) = match (layout, shape.len()) {
        (Layout::Strided, 2) => (
            rows * cols * 2 + 1,
            vec![(cols * 2 * size) as isize, (2 * size) as isize],
            size,
        ),
        (Layout::Reversed, 2) if rows > 0 => (
            n,
            vec![-((cols * size) as isize), size as isize],
            (rows - 1) * cols * size,
        ),
        (Layout::Broadcast, 2) => (cols, vec![0, size as isize], 0),
        _ => {
            let mut st = vec![size as isize; shape.len()];
            for d in (0..shape.len().saturating_sub(1)).rev() {
                st[d] = st[d + 1] * shape[d + 1] as isize;
            }
            (n, st, 0)
        }
    };
    let buffer = if ints {
        let v: Vec<i32> = (0..count).map(|_| rng.below(9) as i32 - 4).collect();
        Buffer::from_vec(v)
    } else {
        let v: Vec<f64> = (0..count)
            .map(|_| (rng.below(4001) as f64 - 2000.0) / 1000.0)
            .collect();
        Buffer::from_vec(v)
    };
    let scalar = if ints {
        blaze_datashape::Scalar::Int32
    } else {
        blaze_datashape::Scalar::Float64
    };
    let a = DenseArray::new(buffer, scalar, shape, &strides, offset).expect("a valid layout");
    match missing {
        Some(m) => {
            let bits = validity(rng, n, m);
            let off = *rng.pick(&[1usize, 3, 5, 13, 0]);
            a.with_validity(Some(bitmap(rng, &bits, off)))
                .expect("one bit per element")
        }
        None => a,
    }
}

fn mask(v: &Value) -> (Array, ArrayD<bool>) {
    match v {
        Value::Array { data, missing } => (
            data.clone(),
            missing
                .clone()
                .unwrap_or_else(|| ArrayD::from_elem(IxDyn(data.shape()), false)),
        ),
        other => panic!("not an array: {other:?}"),
    }
}

fn as_f64(a: &Array) -> Vec<f64> {
    match blaze_interp::kernels::cast(a, blaze_datashape::Scalar::Float64) {
        Array::Float64(x) => x.iter().copied().collect(),
        other => panic!("a cast to float64 gave {}", other.scalar()),
    }
}

/// Whether the JIT's result agrees with the interpreter's; `scale` is the
/// largest input magnitude times the number of terms of a reduction.
fn agree(jit: &Value, reference: &Value, scale: f64) -> Result<(), String> {
    let (jd, jm) = mask(jit);
    let (rd, rm) = mask(reference);
    if jd.scalar() != rd.scalar() {
        return Err(format!("types {} vs {}", jd.scalar(), rd.scalar()));
    }
    if jd.shape() != rd.shape() || jm.shape() != rm.shape() {
        return Err(format!("shapes {:?} vs {:?}", jd.shape(), rd.shape()));
    }
    if jm != rm {
        return Err(format!("missing masks differ: {jm} vs {rm}"));
    }
    // float32 and float64 within the bound; everything else exact.
    let tol = match rd.scalar() {
        blaze_datashape::Scalar::Float32 | blaze_datashape::Scalar::Float64 => {
            tolerance(rd.scalar())
        }
        _ => 0.0,
    };
    for ((j, r), m) in as_f64(&jd).iter().zip(as_f64(&rd)).zip(rm.iter()) {
        if *m {
            continue;
        }
        let ok = *j == r || (tol > 0.0 && close(*j, r, tol, tol * scale));
        if !ok {
            return Err(format!("values differ: {jd:?} vs {rd:?}"));
        }
    }
    Ok(())
}

#[test]
fn option_programs_compile_and_agree_with_the_interpreter() {
    let cases: usize = std::env::var("BLAZE_MISSING_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("BLAZE_MISSING_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x06d1_55e5);
    let mut rng = Rng::new(seed);
    for case in 0..cases {
        let rows = *rng.pick(&[0usize, 1, 3, 7, 40]);
        let cols = *rng.pick(&[1usize, 2, 5, 9]);
        let types: Vec<(String, Datashape)> = [
            ("x", format!("{rows} * {cols} * ?float64")),
            ("y", format!("{cols} * ?float64")),
            ("n", format!("{rows} * {cols} * ?int32")),
            ("z", format!("{rows} * {cols} * float64")),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), parse(t).expect("datashape")))
        .collect();
        // A program over `y` alone has one axis: another one then.
        let (expr, f) = loop {
            let expr = program(&mut rng);
            match compile_expression(&expr, &types) {
                Ok(f) => break (expr, f),
                Err(e) if e.code == "axis_error" => continue,
                Err(e) => panic!("`{expr}` does not compile: {e:?}"),
            }
        };
        let miss = |rng: &mut Rng| {
            *rng.pick(&[
                Missing::Random,
                Missing::Random,
                Missing::All,
                Missing::None,
            ])
        };
        let layouts = [
            Layout::Contiguous,
            Layout::Strided,
            Layout::Reversed,
            Layout::Broadcast,
        ];
        let (mx, my, mn) = (miss(&mut rng), miss(&mut rng), miss(&mut rng));
        let (lx, ln, lz) = (
            *rng.pick(&layouts),
            *rng.pick(&layouts),
            *rng.pick(&layouts),
        );
        let arrays = [
            input(&mut rng, &[rows, cols], false, lx, Some(mx)),
            input(&mut rng, &[cols], false, Layout::Contiguous, Some(my)),
            input(&mut rng, &[rows, cols], true, ln, Some(mn)),
            input(&mut rng, &[rows, cols], false, lz, None),
        ];
        let values: Vec<Value> = arrays
            .iter()
            .map(|a| view_to_value(&a.view()).expect("a value"))
            .collect();
        let reference = eval(&f, &values);
        let prepared = prepare(&f);
        let reduced = rows.max(1) * cols;
        let scale = 4.0 * 8.0 * reduced as f64;
        let context = || {
            format!(
                "case {case} (seed {seed}): `{expr}` with x {mx:?} {lx:?}, y {my:?}, n {mn:?} {ln:?}, z {lz:?}\ninputs: {values:?}"
            )
        };
        // As interpreter values with masks, and as views read in place.
        let by_value: Vec<Arg> = values.iter().map(Arg::Value).collect();
        let by_view: Vec<Arg> = arrays.iter().map(|a| Arg::View(a.view())).collect();
        for (how, args) in [("values", &by_value), ("views", &by_view)] {
            let opts = Options {
                chunk: *rng.pick(&[3usize, 64, 1 << 16]),
                ..Options::default()
            };
            let got = prepared.run_args(args, &opts);
            match (&reference, got) {
                (Ok(r), Ok((j, report))) => {
                    assert!(
                        report.fallbacks.is_empty(),
                        "{}: fell back on {:?}",
                        context(),
                        report.fallbacks
                    );
                    if let Err(e) = agree(&j, r, scale) {
                        panic!("{} ({how}): {e}", context());
                    }
                }
                (Err(_), Err(_)) => {}
                (r, j) => panic!(
                    "{} ({how}): interpreter {:?}, JIT {:?}",
                    context(),
                    r.as_ref().map(|_| "a value"),
                    j.map(|_| "a value")
                ),
            }
        }
    }
}

/// Bit `i` of `bytes` (LSB first).
fn bit(bytes: &[u8], i: usize) -> bool {
    bytes[i / 8] >> (i % 8) & 1 == 1
}

#[test]
fn kernels_read_validity_bitmaps_in_place() {
    let mut rng = Rng::new(0x0b17_5eed);
    let types: Vec<(String, Datashape)> = [("x", "40 * 9 * ?float64"), ("y", "9 * ?float64")]
        .iter()
        .map(|(n, t)| (n.to_string(), parse(t).expect("datashape")))
        .collect();
    for expr in [
        "x * 2.0 + 1.0 + y",
        "sum(x * 2.0 + 1.0)",
        "sum(x + y, axis=1)",
    ] {
        let f = compile_expression(expr, &types).expect("compiles");
        let prepared = prepare(&f);
        for layout in [
            Layout::Contiguous,
            Layout::Strided,
            Layout::Reversed,
            Layout::Broadcast,
        ] {
            let x = input(&mut rng, &[40, 9], false, layout, Some(Missing::Random));
            let y = input(
                &mut rng,
                &[9],
                false,
                Layout::Contiguous,
                Some(Missing::Random),
            );
            let values: Vec<Value> = [&x, &y]
                .iter()
                .map(|a| view_to_value(&a.view()).expect("a value"))
                .collect();
            let reference = eval(&f, &values).expect("the interpreter runs it");
            let args = [Arg::View(x.view()), Arg::View(y.view())];
            let (got, report) = prepared
                .run_args(&args, &Options::default())
                .expect("the JIT runs it");
            agree(&got, &reference, 4.0 * 8.0 * 360.0)
                .unwrap_or_else(|e| panic!("`{expr}` over {layout:?}: {e}"));
            // Both bitmaps are kernel operands addressed by bit: nothing
            // expanded them into byte masks first.
            assert!(!report.kernels.is_empty(), "`{expr}`: no kernel ran");
            for k in &report.kernels {
                assert!(
                    k.key.contains(" bits "),
                    "`{expr}` over {layout:?}: kernel `{}` reads no bitmap",
                    k.key
                );
            }
        }
    }
}

#[test]
fn kernels_write_validity_bitmaps_bit_for_bit() {
    let mut rng = Rng::new(0x0b17_77aa);
    for (shape, offset, threads) in [
        (vec![300_007usize], 3usize, 4usize),
        (vec![317, 331], 13, 3),
        (vec![100_001], 1, 2),
        (vec![100_000], 0, 4),
        (vec![5], 5, 1),
    ] {
        let n: usize = shape.iter().product();
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let dims = dims.join(" * ");
        let types: Vec<(String, Datashape)> = [
            ("x", format!("{dims} * ?float64")),
            ("z", format!("{dims} * float64")),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), parse(t).expect("datashape")))
        .collect();
        let f = compile_expression("where(z > 0.5, x * 2.0 + 1.0, na)", &types).expect("compiles");
        let x = input(
            &mut rng,
            &shape,
            false,
            Layout::Contiguous,
            Some(Missing::Random),
        );
        let z = input(&mut rng, &shape, false, Layout::Contiguous, None);
        let values: Vec<Value> = [&x, &z]
            .iter()
            .map(|a| view_to_value(&a.view()).expect("a value"))
            .collect();
        let (rd, rm) = mask(&eval(&f, &values).expect("the interpreter runs it"));
        // The output: values, and a bitmap of random bytes whose bits
        // outside the result must stay as they are.
        let mut out = vec![f64::NAN; n];
        let before: Vec<u8> = (0..(n + offset).div_ceil(8) + 1)
            .map(|_| rng.next() as u8)
            .collect();
        let mut bitmap = before.clone();
        let strides: Vec<isize> = if shape.len() == 2 {
            vec![8 * shape[1] as isize, 8]
        } else {
            vec![8]
        };
        // SAFETY: `out` holds the elements and `bitmap` the bits, both
        // alive and not otherwise used during the call.
        let view = unsafe {
            DenseViewMut::from_raw_parts(
                out.as_mut_ptr().cast(),
                blaze_datashape::Scalar::Float64,
                shape.clone(),
                strides,
            )
            .with_validity_bits(bitmap.as_mut_ptr(), offset)
        };
        let opts = Options {
            threads: Some(threads),
            ..Options::default()
        };
        let args = [Arg::View(x.view()), Arg::View(z.view())];
        let report = prepare(&f)
            .run_into(&args, view, &opts)
            .expect("runs into the output");
        // One kernel wrote the values and the bits (its output mask is a
        // bit-addressed operand), no copy afterwards.
        assert_eq!(report.kernels.len(), 1, "{shape:?}");
        let key = &report.kernels[0].key;
        let layouts = key.split(' ').nth(3).expect("a layout in the key");
        let bits = key.split(" bits ").nth(1).and_then(|b| b.split(' ').next());
        let last = bits.and_then(|b| b.split(',').next_back());
        assert_eq!(
            last,
            Some((layouts.len() - 1).to_string().as_str()),
            "{shape:?}: the output mask is not a bitmap in `{key}`"
        );
        let rv = as_f64(&rd);
        for (i, &missing) in rm.iter().enumerate() {
            assert_eq!(
                bit(&bitmap, offset + i),
                !missing,
                "{shape:?} at bit offset {offset}: element {i}"
            );
            if !missing {
                assert_eq!(out[i], rv[i], "{shape:?}: value {i}");
            }
        }
        for i in (0..offset).chain(offset + n..bitmap.len() * 8) {
            assert_eq!(
                bit(&bitmap, i),
                bit(&before, i),
                "{shape:?}: bit {i} outside the result changed"
            );
        }
    }
}

#[test]
fn an_output_bitmap_over_an_input_bitmap_gets_the_result_of_reading_first() {
    let (rows, cols) = (64usize, 40usize);
    let types: Vec<(String, Datashape)> = [
        ("x", format!("{rows} * {cols} * ?float64")),
        ("y", format!("{cols} * ?float64")),
    ]
    .iter()
    .map(|(n, t)| (n.to_string(), parse(t).expect("datashape")))
    .collect();
    let f = compile_expression("x + y", &types).expect("compiles");
    let mut rng = Rng::new(0x0b17_ca5e);
    let x = input(
        &mut rng,
        &[rows, cols],
        false,
        Layout::Contiguous,
        Some(Missing::Random),
    );
    // One buffer holds `y`'s bitmap (its first bits) and the output's:
    // row 0 of the output overwrites bits of `y` that the other rows
    // still read (broadcast).
    let mut shared: Vec<u8> = vec![0; (rows * cols).div_ceil(8)];
    for (i, v) in validity(&mut rng, cols, Missing::Random)
        .into_iter()
        .enumerate()
    {
        shared[i / 8] |= u8::from(v) << (i % 8);
    }
    let ptr = shared.as_mut_ptr();
    // SAFETY: `shared` outlives every use of the buffer, which keeps
    // nothing alive itself.
    let over = unsafe {
        Buffer::from_custom_allocation(
            std::ptr::NonNull::new(ptr).expect("a pointer"),
            shared.len(),
            std::sync::Arc::new(()),
        )
    };
    let y = DenseArray::from_vec((0..cols).map(|i| i as f64).collect::<Vec<f64>>(), &[cols])
        .and_then(|a| a.with_validity(Some(NullBuffer::new(BooleanBuffer::new(over, 0, cols)))))
        .expect("an array with a bitmap");
    let values: Vec<Value> = [&x, &y]
        .iter()
        .map(|a| view_to_value(&a.view()).expect("a value"))
        .collect();
    let (rd, rm) = mask(&eval(&f, &values).expect("the interpreter runs it"));
    let mut out = vec![0.0f64; rows * cols];
    // SAFETY: `out` and `shared` live through the call.
    let view = unsafe {
        DenseViewMut::from_raw_parts(
            out.as_mut_ptr().cast(),
            blaze_datashape::Scalar::Float64,
            vec![rows, cols],
            vec![8 * cols as isize, 8],
        )
        .with_validity_bits(ptr, 0)
    };
    let args = [Arg::View(x.view()), Arg::View(y.view())];
    prepare(&f)
        .run_into(&args, view, &Options::default())
        .expect("runs into the output");
    drop(args);
    drop(y);
    let rv = as_f64(&rd);
    for (i, &missing) in rm.iter().enumerate() {
        assert_eq!(bit(&shared, i), !missing, "element {i}");
        if !missing {
            assert_eq!(out[i], rv[i], "value {i}");
        }
    }
}

#[test]
fn a_plain_result_in_an_output_with_a_bitmap_is_all_valid() {
    let n = 70_001usize;
    let types: Vec<(String, Datashape)> = vec![(
        "x".to_string(),
        parse(&format!("{n} * ?float64")).expect("datashape"),
    )];
    let f = compile_expression("fillna(x, 0.0) * 2.0", &types).expect("compiles");
    let mut rng = Rng::new(0x0b17_a11f);
    let x = input(
        &mut rng,
        &[n],
        false,
        Layout::Contiguous,
        Some(Missing::Random),
    );
    let offset = 5;
    let before: Vec<u8> = (0..(n + offset).div_ceil(8) + 1)
        .map(|_| rng.next() as u8)
        .collect();
    let mut bitmap = before.clone();
    let mut out = vec![0.0f64; n];
    // SAFETY: `out` and `bitmap` live through the call.
    let view = unsafe {
        DenseViewMut::from_raw_parts(
            out.as_mut_ptr().cast(),
            blaze_datashape::Scalar::Float64,
            vec![n],
            vec![8],
        )
        .with_validity_bits(bitmap.as_mut_ptr(), offset)
    };
    let args = [Arg::View(x.view())];
    prepare(&f)
        .run_into(&args, view, &Options::default())
        .expect("runs into the output");
    for i in 0..bitmap.len() * 8 {
        let inside = (offset..offset + n).contains(&i);
        let want = if inside { true } else { bit(&before, i) };
        assert_eq!(bit(&bitmap, i), want, "bit {i}");
    }
}

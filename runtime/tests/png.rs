//! PNG images: every colour type and bit depth decodes to the pixels Pillow
//! decodes (`tests/data/png/expected.json`, made by `make_fixtures.py`),
//! under every view (`H * W * RGBA`, `H * W * 4 * uint8`, 16 bits, grey),
//! whole and by blocks, from several threads at once; broken files are
//! errors naming the file; images written by blaze read back; a stack of
//! images computes what NumPy computes; sessions over images, streamed and
//! in memory.

use blaze_datashape::Datashape;
use blaze_interp::{Array, Value};
use blaze_runtime::io::{self, IoErrorKind, RowBlock, RowSource};
use blaze_runtime::session::{InputSpec, Program, Session};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/png")
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

fn json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn ty(text: &str) -> Datashape {
    blaze_datashape::parse(text).unwrap()
}

fn dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("blaze-png-{name}-"))
        .tempdir()
        .unwrap()
}

/// The cases of `expected.json`: name, height, width, the case.
fn cases() -> Vec<(String, usize, usize, serde_json::Value)> {
    let all = json("expected.json");
    let mut out: Vec<_> = all
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, c)| {
            (
                name.clone(),
                c["height"].as_u64().unwrap() as usize,
                c["width"].as_u64().unwrap() as usize,
                c.clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 25, "{} cases", out.len());
    out
}

fn numbers(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

/// The samples of an array, in C order, widened.
fn samples(a: &Array) -> Vec<u64> {
    match a {
        Array::UInt8(a) => a.iter().map(|&v| u64::from(v)).collect(),
        Array::UInt16(a) => a.iter().map(|&v| u64::from(v)).collect(),
        Array::UInt64(a) => a.iter().copied().collect(),
        other => panic!("samples of {other:?}"),
    }
}

/// A value of any view as interleaved samples (`H × W × channels`) and
/// the shape of its planes.
fn interleaved(v: &Value) -> (Vec<u64>, Vec<usize>) {
    match v {
        Value::Array { data, missing } => {
            assert!(missing.is_none());
            (samples(data), data.shape().to_vec())
        }
        Value::Record(fields) => {
            let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["r", "g", "b", "a"]);
            let planes: Vec<(Vec<u64>, Vec<usize>)> =
                fields.iter().map(|(_, f)| interleaved(f)).collect();
            let n = planes[0].0.len();
            let mut out = Vec::with_capacity(4 * n);
            for i in 0..n {
                for p in &planes {
                    out.push(p.0[i]);
                }
            }
            (out, planes[0].1.clone())
        }
        other => panic!("not an image: {other:?}"),
    }
}

/// Reads `src` by blocks of `rows`, joined as interleaved samples.
fn by_blocks(src: &dyn RowSource, rows: usize) -> Vec<u64> {
    let mut r = src.blocks().unwrap();
    let mut out = Vec::new();
    let mut total = 0;
    while let Some((block, n)) = r.next_block(rows).unwrap() {
        assert!(n <= rows.max(1));
        total += n;
        let v = match &block {
            RowBlock::Array(_) => block.to_value().unwrap(),
            RowBlock::Value(v) => v.clone(),
        };
        let (s, shape) = interleaved(&v);
        assert_eq!(shape[0], n);
        out.extend(s);
    }
    assert_eq!(r.finish().unwrap(), total);
    let empty = r.empty_block().unwrap().to_value().unwrap();
    assert_eq!(interleaved(&empty).1[0], 0);
    out
}

#[test]
fn every_colour_type_and_depth_reads_as_pillow_decodes_it() {
    for (name, h, w, case) in cases() {
        let path = fixture(&format!("{name}.png"));
        let rgba8 = numbers(&case["rgba8"]);
        let rgba16 = numbers(&case["rgba16"]);
        assert_eq!(rgba8.len(), h * w * 4);
        // The default view: `H * W * RGBA`, from the header only.
        let src = io::open(&path, None).unwrap();
        assert_eq!(
            src.datashape().to_string(),
            format!("{h} * {w} * {{r: uint8, g: uint8, b: uint8, a: uint8}}"),
            "{name}"
        );
        assert_eq!(src.datashape(), ty(&format!("{h} * {w} * RGBA")));
        assert_eq!(src.rows(), Some(h));
        let (got, shape) = interleaved(&src.read_all().unwrap());
        assert_eq!(shape, [h, w], "{name}");
        assert_eq!(got, rgba8, "{name}: RGBA record");
        for rows in [1, 3, h + 1] {
            assert_eq!(by_blocks(&*src, rows), rgba8, "{name}: blocks of {rows}");
        }
        // The dense views, 8 and 16 bits, and the 16-bit record.
        for (view, want) in [
            (format!("{h} * {w} * 4 * uint8"), &rgba8),
            ("H * W * 4 * uint16".to_string(), &rgba16),
            (
                format!("{h} * W * {{r: uint16, g: uint16, b: uint16, a: uint16}}"),
                &rgba16,
            ),
        ] {
            let src = io::open(&path, Some(&ty(&view))).unwrap();
            let (got, _) = interleaved(&src.read_all().unwrap());
            assert_eq!(&got, want, "{name} as {view}");
            assert_eq!(&by_blocks(&*src, 2), want, "{name} as {view}, blocks of 2");
        }
        // Grey images have a grey view; the others refuse it.
        let grey = io::open(&path, Some(&ty("H * W * uint16")));
        match case.get("grey16") {
            Some(g) => {
                let g = numbers(g);
                let (got, _) = interleaved(&grey.unwrap().read_all().unwrap());
                assert_eq!(got, g, "{name} as grey");
                let src = io::open(&path, Some(&ty("H * W * uint8"))).unwrap();
                assert_eq!(src.datashape(), ty(&format!("{h} * {w} * uint8")));
                let g8: Vec<u64> = g.iter().map(|v| v >> 8).collect();
                assert_eq!(by_blocks(&*src, 4), g8, "{name} as grey, 8 bits");
            }
            None if !name.starts_with("grey8_trns") && !name.starts_with("pillow_grey") => {
                let m = grey.unwrap_err().to_string();
                assert!(m.contains("one grey channel"), "{name}: {m}");
            }
            None => {}
        }
    }
}

#[test]
fn annotations_that_do_not_fit_the_image_are_errors_naming_both() {
    let path = fixture("rgba8.png");
    for (view, says) in [
        ("8 * 5 * RGBA", "says 8 rows (height), the image has 7"),
        (
            "7 * 4 * 4 * uint8",
            "says 4 columns (width), the image has 5",
        ),
        ("H * W * float64", "is not an image"),
        ("H * W * 3 * uint8", "is not an image"),
        ("H * W * 4 * int8", "has samples of `int8`"),
        ("H * W * {r: uint8, g: uint8}", "is not a record of pixels"),
        ("var * W * RGBA", "has the dimension `var`"),
        ("H * W * uint8", "the image is RGBA"),
    ] {
        let e = io::open(&path, Some(&ty(view))).unwrap_err();
        let m = e.to_string();
        assert!(m.contains(says), "{view}: {m}");
        assert!(m.contains("rgba8.png"), "{m}");
        assert_eq!(e.kind(), IoErrorKind::Request);
    }
}

#[test]
fn broken_files_are_errors_naming_the_file_never_panics() {
    let bad = fixtures().join("bad");
    let e = io::open(&bad.join("not_png.png"), None).unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::BadMagic);
    assert!(e.to_string().contains("not_png.png: not a PNG file"), "{e}");
    let e = io::open(&bad.join("header_only.png"), None).unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::TruncatedHeader, "{e}");
    assert!(e.to_string().contains("header_only.png"), "{e}");
    for name in ["truncated.png", "corrupt.png"] {
        let path = bad.join(name);
        // The header is whole: opening works, decoding fails.
        let src = io::open(&path, None).unwrap();
        let e = src.read_all().unwrap_err();
        assert!(e.to_string().contains(name), "{e}");
        assert!(
            matches!(e.kind(), IoErrorKind::TruncatedData | IoErrorKind::Corrupt),
            "{name}: {e} ({:?})",
            e.kind()
        );
        let mut r = src.blocks().unwrap();
        let mut failed = false;
        for _ in 0..100 {
            match r.next_block(2) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    assert!(e.to_string().contains(name), "{e}");
                    failed = true;
                    break;
                }
            }
        }
        assert!(failed, "{name}: reading by blocks fails");
    }
    // Every prefix of a good file, and every byte flipped in its header.
    let good = std::fs::read(fixture("rgba8_interlaced.png")).unwrap();
    let tmp = dir("prefixes");
    let p = tmp.path().join("x.png");
    for k in (0..good.len()).step_by(7) {
        std::fs::write(&p, &good[..k]).unwrap();
        if let Ok(src) = io::open(&p, None) {
            assert!(src.read_all().is_err(), "a prefix of {k} bytes");
        }
        let mut flipped = good.clone();
        flipped[k] ^= 0xFF;
        std::fs::write(&p, &flipped).unwrap();
        if let Ok(src) = io::open(&p, None) {
            let _ = src.read_all();
        }
    }
}

/// PNG's CRC-32 of `bytes`.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A PNG chunk: length, type, data, CRC.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

fn ihdr(w: u32, h: u32, depth: u8, color: u8) -> Vec<u8> {
    let mut d = w.to_be_bytes().to_vec();
    d.extend_from_slice(&h.to_be_bytes());
    d.extend_from_slice(&[depth, color, 0, 0, 0]);
    chunk(b"IHDR", &d)
}

#[test]
fn headers_that_lie_are_errors_before_any_allocation() {
    let tmp = dir("headers");
    let p = tmp.path().join("h.png");
    let sig = io::png::SIGNATURE.to_vec();
    let iend = chunk(b"IEND", &[]);
    for (bytes, kind, says) in [
        ([sig.clone(), iend.clone()].concat(), None, "before IHDR"),
        (
            [sig.clone(), ihdr(0, 5, 8, 6), iend.clone()].concat(),
            None,
            "not a valid PNG image",
        ),
        (
            [
                sig.clone(),
                ihdr(u32::MAX / 2, u32::MAX / 2, 16, 6),
                iend.clone(),
            ]
            .concat(),
            Some(IoErrorKind::ShapeOverflow),
            "does not fit in memory sizes",
        ),
        (
            [sig.clone(), ihdr(3, 5, 8, 7), iend.clone()].concat(),
            None,
            "not a valid PNG image",
        ),
    ] {
        std::fs::write(&p, bytes).unwrap();
        let e = io::open(&p, None).unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
        if let Some(k) = kind {
            assert_eq!(e.kind(), k);
        }
    }
    // A header without image data opens (by its header) and fails to read.
    std::fs::write(&p, [sig.clone(), ihdr(3, 5, 8, 6), iend.clone()].concat()).unwrap();
    let src = io::open(&p, None).unwrap();
    assert_eq!(src.datashape(), ty("5 * 3 * RGBA"));
    let e = src.read_all().unwrap_err();
    assert!(e.to_string().contains("IDAT"), "{e}");
    // An image of 40 GB: opened, refused when read whole, not allocated.
    let idat = chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    std::fs::write(&p, [sig, ihdr(100_000, 100_000, 8, 6), idat, iend].concat()).unwrap();
    let src = io::open(&p, Some(&ty("H * W * 4 * uint8"))).unwrap();
    assert_eq!(src.bytes(), 40_000_000_000);
    let _limit = blaze_array::alloc::limit_scope(Some(1 << 30));
    let e = src.read_all().unwrap_err();
    assert!(e.to_string().contains("memory limit"), "{e}");
}

#[test]
fn one_file_is_read_from_several_threads_at_once() {
    let path = fixtures().join("images/a/img2.png");
    let src = io::open(&path, None).unwrap();
    let want = src.read_all().unwrap();
    let got: Vec<Value> = (0..8)
        .into_par_iter()
        .map(|k| {
            if k % 2 == 0 {
                src.read_all().unwrap()
            } else {
                let mut r = src.blocks().unwrap();
                let mut parts = Vec::new();
                while let Some((b, _)) = r.next_block(97).unwrap() {
                    parts.push(interleaved(&b.to_value().unwrap()).0);
                }
                let (all, _) = interleaved(&want);
                assert_eq!(parts.concat(), all);
                want.clone()
            }
        })
        .collect();
    for v in got {
        assert_eq!(v, want);
    }
}

#[test]
fn a_decode_larger_than_the_memory_limit_is_refused() {
    let path = fixtures().join("images/a/img1.png");
    let src = io::open(&path, None).unwrap();
    let _limit = blaze_array::alloc::limit_scope(Some(256 << 10));
    let e = src.read_all().unwrap_err();
    let m = e.to_string();
    assert!(m.contains("img1.png") && m.contains("memory limit"), "{m}");
}

/// The acceptance's folders, stacked by hand: `2 * 3 * 600 * 800 * RGBA`,
/// each file decoded on its own thread.
fn stacked(view: Option<&str>) -> Vec<Vec<u64>> {
    let files: Vec<PathBuf> = ["a", "b"]
        .iter()
        .flat_map(|d| (1..=3).map(move |k| fixtures().join(format!("images/{d}/img{k}.png"))))
        .collect();
    files
        .par_iter()
        .map(|p| {
            let src = io::open(p, view.map(ty).as_ref()).unwrap();
            interleaved(&src.read_all().unwrap()).0
        })
        .collect()
}

#[test]
fn a_stack_of_images_sums_and_averages_as_numpy() {
    let facts = json("images.json");
    let (h, w) = (600, 800);
    for view in [None, Some("600 * 800 * 4 * uint8")] {
        let images = stacked(view);
        assert_eq!(images.len(), 6);
        for (c, name) in ["r", "g", "b", "a"].iter().enumerate() {
            let sum: u64 = images
                .iter()
                .map(|im| im.iter().skip(c).step_by(4).sum::<u64>())
                .sum();
            assert_eq!(sum, facts["sum"][name].as_u64().unwrap(), "sum of {name}");
            let mean_sum: f64 = (0..h * w)
                .map(|i| images.iter().map(|im| im[4 * i + c] as f64).sum::<f64>() / 6.0)
                .sum();
            let want = facts["mean_image_sum"][name].as_f64().unwrap();
            assert!((mean_sum - want).abs() <= 1e-9 * want.abs(), "{name}");
        }
        for p in facts["mean_image_points"].as_array().unwrap() {
            let (i, j) = (
                p["row"].as_u64().unwrap() as usize,
                p["col"].as_u64().unwrap() as usize,
            );
            for c in 0..4 {
                let mean = images
                    .iter()
                    .map(|im| im[4 * (i * w + j) + c] as f64)
                    .sum::<f64>()
                    / 6.0;
                let want = p["rgba"][c].as_f64().unwrap();
                assert!(
                    (mean - want).abs() <= 1e-12 * want,
                    "({i}, {j}) channel {c}"
                );
            }
        }
    }
}

#[test]
fn a_glob_of_image_folders_is_one_stacked_array() {
    let facts = json("images.json");
    let glob = fixtures().join("images/*/*.png");
    let src = io::open(&glob, Some(&ty("N * M * 600 * 800 * RGBA"))).unwrap();
    assert_eq!(src.datashape(), ty("2 * 3 * 600 * 800 * RGBA"));
    let src = io::open(&glob, Some(&ty("N * M * 600 * 800 * 4 * uint8"))).unwrap();
    assert_eq!(src.datashape(), ty("2 * 3 * 600 * 800 * 4 * uint8"));
    let program = Program::expr("sum(I.r)");
    let inputs = [spec("I", &glob, Some("N * M * H * W * RGBA"))];
    let want = Value::from(Array::UInt64(
        ndarray::arr0(facts["sum"]["r"].as_u64().unwrap()).into_dyn(),
    ));
    let memory = Session::new().run(&program, &inputs, None).unwrap();
    assert_eq!(memory.value, Some(want.clone()));
    let streamed = Session::new()
        .memory_limit(64 << 20)
        .run(&program, &inputs, None)
        .unwrap();
    assert!(streamed.report.streamed);
    assert_eq!(streamed.value, Some(want));
}

fn spec(name: &str, path: &Path, view: Option<&str>) -> InputSpec {
    InputSpec {
        name: name.to_string(),
        path: path.to_path_buf(),
        datashape: view.map(ty),
    }
}

#[test]
fn sessions_over_an_image_agree_streamed_and_in_memory() {
    let path = fixtures().join("images/b/img3.png");
    let image = interleaved(&io::open(&path, None).unwrap().read_all().unwrap()).0;
    let want_r: u64 = image.iter().step_by(4).sum();
    for (view, src) in [
        (None, "sum(I.r)"),
        (Some("H * W * 4 * uint8"), "sum(I, axis=(0, 1))"),
    ] {
        let program = Program::expr(src);
        let inputs = [spec("I", &path, view)];
        let memory = Session::new().run(&program, &inputs, None).unwrap();
        assert!(!memory.report.streamed);
        let streamed = Session::new()
            .memory_limit(16 << 20)
            .block_rows(64)
            .run(&program, &inputs, None)
            .unwrap();
        assert!(streamed.report.streamed, "{src}");
        assert!(streamed.report.blocks > Some(1), "{src}");
        assert_eq!(memory.value, streamed.value, "{src}");
        let Some(Value::Array { data, .. }) = memory.value else {
            panic!("{src}")
        };
        assert_eq!(samples(&data)[0], want_r, "{src}");
    }
    // The mean of the channels, a rows result.
    let program = Program::expr("(I.r + I.g + I.b) / 3.0");
    let inputs = [spec("I", &path, None)];
    let memory = Session::new().run(&program, &inputs, None).unwrap();
    let streamed = Session::new()
        .memory_limit(16 << 20)
        .block_rows(100)
        .run(&program, &inputs, None)
        .unwrap();
    assert!(streamed.report.streamed);
    assert_eq!(memory.value, streamed.value);
}

#[test]
fn images_written_read_back_and_values_png_cannot_hold_are_refused() {
    let tmp = dir("write");
    let d = tmp.path();
    for name in ["rgba8", "palette4_trns", "rgb16", "grey4", "pillow_rgba"] {
        let src = fixture(&format!("{name}.png"));
        for view in [None, Some("H * W * 4 * uint8"), Some("H * W * 4 * uint16")] {
            let v = io::open(&src, view.map(ty).as_ref())
                .unwrap()
                .read_all()
                .unwrap();
            let out = d.join("out.png");
            io::write_value(&out, &v).unwrap();
            let back = io::open(&out, view.map(ty).as_ref())
                .unwrap()
                .read_all()
                .unwrap();
            assert_eq!(back, v, "{name} {view:?}");
        }
    }
    // Grey and RGB arrays.
    let grey = io::open(&fixture("grey16.png"), Some(&ty("H * W * uint16")))
        .unwrap()
        .read_all()
        .unwrap();
    let Value::Array { data, .. } = &grey else {
        panic!()
    };
    io::write(&d.join("grey.png"), data).unwrap();
    let back = io::open(&d.join("grey.png"), Some(&ty("H * W * uint16"))).unwrap();
    assert_eq!(back.read_all().unwrap(), grey);
    let rgb = Array::UInt8(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2, 3, 3]), (0..18).collect()).unwrap(),
    );
    io::write(&d.join("rgb.png"), &rgb).unwrap();
    let (got, _) = interleaved(
        &io::open(&d.join("rgb.png"), Some(&ty("2 * 3 * 4 * uint8")))
            .unwrap()
            .read_all()
            .unwrap(),
    );
    let want: Vec<u64> = (0..6u64)
        .flat_map(|p| [3 * p, 3 * p + 1, 3 * p + 2, 255])
        .collect();
    assert_eq!(got, want);
    // What PNG cannot hold: named, nothing written, no temporaries left.
    let floats = Array::Float64(ndarray::ArrayD::zeros(ndarray::IxDyn(&[2, 2])));
    let five = Array::UInt8(ndarray::ArrayD::zeros(ndarray::IxDyn(&[2, 2, 5])));
    let flat = Array::UInt8(ndarray::ArrayD::zeros(ndarray::IxDyn(&[4])));
    let empty = Array::UInt8(ndarray::ArrayD::zeros(ndarray::IxDyn(&[0, 4])));
    let rec = Value::Record(vec![
        ("r".into(), Value::from(floats.clone())),
        ("g".into(), Value::from(floats.clone())),
    ]);
    for (v, says) in [
        (Value::from(floats.clone()), "not an array of 2 × 2 float64"),
        (Value::from(five), "not an array of 2 × 2 × 5 uint8"),
        (Value::from(flat), "not an array of 4 uint8"),
        (Value::Tuple(vec![]), "not a tuple"),
        (rec, "not a record with fields r, g"),
        (Value::from(empty), "1 to 2147483647 rows"),
    ] {
        let p = d.join("bad.png");
        let e = io::write_value(&p, &v).unwrap_err();
        let m = e.to_string();
        assert!(m.contains(says), "{m}");
        assert!(m.contains("bad.png"), "{m}");
        assert!(!p.exists());
    }
    let left: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_session_writes_images_in_memory_and_streamed() {
    let tmp = dir("session-out");
    let d = tmp.path();
    let path = fixture("pillow_rgba.png");
    let v = io::open(&path, None).unwrap().read_all().unwrap();
    // A record result (in memory).
    let out = d.join("copy.png");
    Session::new()
        .run(
            &Program::expr("{r: I.b, g: I.g, b: I.r, a: I.a}"),
            &[spec("I", &path, None)],
            Some(&out),
        )
        .unwrap();
    let back = io::open(&out, None).unwrap().read_all().unwrap();
    let (Value::Record(a), Value::Record(b)) = (&v, &back) else {
        panic!()
    };
    assert_eq!(a[0].1, b[2].1);
    assert_eq!(a[2].1, b[0].1);
    // Results streamed into the image block by block: grey rows (a field
    // of the record), RGBA rows (the array view).
    let out = d.join("grey.png");
    let r = Session::new()
        .memory_limit(16 << 20)
        .block_rows(4)
        .run(&Program::expr("I.g"), &[spec("I", &path, None)], Some(&out))
        .unwrap();
    assert!(r.report.streamed);
    assert!(r.report.blocks > Some(1));
    let grey = io::open(&out, Some(&ty("H * W * uint8")))
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(grey, b[1].1);
    let out = d.join("inverse.png");
    let r = Session::new()
        .memory_limit(16 << 20)
        .block_rows(5)
        .run(
            &Program::expr("255 - I"),
            &[spec("I", &path, Some("H * W * 4 * uint8"))],
            Some(&out),
        )
        .unwrap();
    assert!(r.report.streamed);
    let (inverse, _) = interleaved(&io::open(&out, None).unwrap().read_all().unwrap());
    let (image, _) = interleaved(&v);
    assert_eq!(inverse, image.iter().map(|x| 255 - x).collect::<Vec<_>>());
    // A result PNG cannot hold, through `--out`.
    let e = Session::new()
        .run(
            &Program::expr("I.r * 1.5"),
            &[spec("I", &path, None)],
            Some(&d.join("f.png")),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("a PNG image holds"), "{e}");
    assert!(!d.join("f.png").exists());
}

//! Zarr arrays written by zarr-python (formats 2 and 3, the default codecs
//! and variants: missing chunks, big-endian, gzip, zlib, Fortran-order
//! chunks) read exactly as NumPy saved the same values, by blocks of any
//! size; corrupt chunks are errors naming the chunk; what blaze writes
//! reads back.

mod scratch;

use blaze_interp::Array;
use blaze_runtime::io::npy::read_npy;
use blaze_runtime::io::zarr::{write_zarr, ZarrArray, ZarrWriter};
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/zarr")
}

const FIXTURES: &[&str] = &[
    "v3_default",
    "v3_missing",
    "v3_raw_big",
    "v3_gzip",
    "v2_default",
    "v2_zlib_f",
    "v2_bool",
];

fn concat(parts: Vec<Array>) -> Array {
    let first = parts[0].scalar();
    blaze_interp::with_scalar!(first, T => {
        let views: Vec<_> = parts
            .iter()
            .map(|p| <T as blaze_interp::Element>::get(p).unwrap().view())
            .collect();
        <T as blaze_interp::Element>::wrap(ndarray::concatenate(ndarray::Axis(0), &views).unwrap())
    })
}

#[test]
fn zarr_python_arrays_read_like_numpy() {
    for name in FIXTURES {
        let z = ZarrArray::open(&data().join(format!("{name}.zarr"))).unwrap();
        let want = read_npy(&data().join(format!("{name}.npy"))).unwrap();
        let got = z.read_all().unwrap();
        assert_eq!(got, want, "{name}");
        assert_eq!(z.shape(), want.shape());
        // By blocks of rows of several sizes.
        let rows = z.shape()[0];
        for block in [1, 2, 3, 7, rows] {
            let parts: Vec<Array> = (0..rows)
                .step_by(block)
                .map(|r| z.read_rows(r, (r + block).min(rows)).unwrap())
                .collect();
            assert_eq!(concat(parts), want, "{name}, block {block}");
        }
    }
}

/// A scratch directory, removed when dropped.
fn scratch(name: &str) -> scratch::Scratch {
    scratch::scratch_dir(&format!("blaze-zarr-{name}-"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn corrupt_chunks_and_bad_metadata_are_named() {
    let d = scratch("corrupt");
    let z = d.join("a.zarr");
    copy_dir(&data().join("v3_default.zarr"), &z);
    std::fs::write(z.join("c/1/0"), b"not zstd at all").unwrap();
    let a = ZarrArray::open(&z).unwrap();
    // Rows 0..8 are chunk row 0: fine.
    a.read_rows(0, 8).unwrap();
    let e = a.read_rows(0, 16).unwrap_err().to_string();
    assert!(e.contains("c/1/0") && e.contains("corrupt chunk"), "{e}");
    // A truncated but valid-looking chunk: wrong size.
    let v2 = d.join("b.zarr");
    copy_dir(&data().join("v2_zlib_f.zarr"), &v2);
    let raw = std::fs::read(v2.join("0.0")).unwrap();
    std::fs::write(v2.join("0.0"), &raw[..raw.len() / 2]).unwrap();
    let e = ZarrArray::open(&v2)
        .unwrap()
        .read_all()
        .unwrap_err()
        .to_string();
    assert!(e.contains("0.0") && e.contains("corrupt chunk"), "{e}");
    // Not an array; unsupported codec.
    let e = ZarrArray::open(&d).unwrap_err().to_string();
    assert!(e.contains("not a Zarr array"), "{e}");
    let c = d.join("c.zarr");
    copy_dir(&data().join("v3_default.zarr"), &c);
    let meta = std::fs::read_to_string(c.join("zarr.json")).unwrap();
    std::fs::write(c.join("zarr.json"), meta.replace("\"zstd\"", "\"blosc\"")).unwrap();
    let e = ZarrArray::open(&c).unwrap_err().to_string();
    assert!(e.contains("codec `blosc` is not supported"), "{e}");
}

#[test]
fn written_arrays_read_back() {
    let d = scratch("write");
    for name in FIXTURES {
        let want = read_npy(&data().join(format!("{name}.npy"))).unwrap();
        let out = d.join(format!("{name}.zarr"));
        write_zarr(&out, &want).unwrap();
        assert_eq!(
            ZarrArray::open(&out).unwrap().read_all().unwrap(),
            want,
            "{name}"
        );
    }
    // By blocks, chunk by chunk; an unfinished writer leaves nothing.
    let want = read_npy(&data().join("v3_default.npy")).unwrap();
    let out = d.join("blocks.zarr");
    let mut w = ZarrWriter::create(&out, want.scalar(), &want.shape()[1..], 10).unwrap();
    let z = ZarrArray::open(&data().join("v3_default.zarr")).unwrap();
    for r in (0..37).step_by(10) {
        w.write_rows(r, &z.read_rows(r, (r + 10).min(37)).unwrap())
            .unwrap();
    }
    w.finish(37).unwrap();
    assert_eq!(ZarrArray::open(&out).unwrap().read_all().unwrap(), want);
    let dropped = d.join("dropped.zarr");
    let w = ZarrWriter::create(&dropped, want.scalar(), &want.shape()[1..], 10).unwrap();
    drop(w);
    assert!(!dropped.exists());
    let leftovers = std::fs::read_dir(&d)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn streamed_zarr_inputs_give_what_npy_inputs_give() {
    use blaze_datashape::{Datashape, Dim, Measure};
    use blaze_ir::compile_expression;
    use blaze_runtime::exec::Options;
    use blaze_runtime::io::npy::NpyFile;
    use blaze_runtime::stream::{plan, Input, ROWS};
    for name in ["v3_default", "v2_zlib_f"] {
        let z = ZarrArray::open(&data().join(format!("{name}.zarr"))).unwrap();
        let ty = Datashape::new(
            vec![Dim::TypeVar(ROWS.into()), Dim::Fixed(z.shape()[1] as u64)],
            Measure::scalar(z.scalar()),
        );
        for src in ["sum(a, axis=0)", "2*a + 1", "a.T @ a", "max(a)"] {
            let f = compile_expression(src, &[("a".into(), ty.clone())]).unwrap();
            for block in [1, 4, 100] {
                let run = |input: Input| {
                    let inputs = [input];
                    let p = plan(&f, &inputs, 1 << 30, Some(block)).unwrap();
                    p.run(&inputs, None, &Options::default(), &|_, _| {})
                        .unwrap()
                        .value
                        .unwrap()
                };
                let from_zarr = run(Input::Rows(Box::new(z.clone())));
                let from_npy = run(Input::Rows(Box::new(
                    NpyFile::open(&data().join(format!("{name}.npy"))).unwrap(),
                )));
                assert_eq!(from_zarr, from_npy, "{name}: {src}, block {block}");
            }
        }
    }
}

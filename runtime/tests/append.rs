//! Appends through the session: a result's rows added to an existing
//! `.npy` file and to Zarr arrays (blaze's and zarr-python's: formats 2
//! and 3, zstd, gzip, zlib, big-endian, Fortran-order chunks, absent
//! chunks), in memory and streamed block by block, read back with every
//! row; a directory of Parquet files gets a new file per append; results
//! of another element type or row shape write nothing.

mod scratch;

use blaze_interp::{Array, Value};
use blaze_runtime::io::npy::{read_npy, write_npy};
use blaze_runtime::io::zarr::{write_zarr, ZarrArray};
use blaze_runtime::io::{self, append};
use blaze_runtime::Session;
use ndarray::{ArrayD, IxDyn};
use std::fs;
use std::path::Path;

fn rows(n: usize, from: usize) -> Array {
    Array::Float64(ArrayD::from_shape_fn(IxDyn(&[n, 3]), |i| {
        ((from + i[0]) * 3 + i[1]) as f64
    }))
}

fn concat(parts: &[&Array]) -> Array {
    blaze_interp::with_scalar!(parts[0].scalar(), T => {
        let views: Vec<_> = parts
            .iter()
            .map(|p| <T as blaze_interp::Element>::get(p).unwrap().view())
            .collect();
        <T as blaze_interp::Element>::wrap(ndarray::concatenate(ndarray::Axis(0), &views).unwrap())
    })
}

/// `A` (or `src`) of `input` appended to `out`, in memory or streamed in
/// blocks of `block` rows.
fn append_run(src: &str, input: &Path, out: &Path, block: Option<usize>) -> Result<(), String> {
    let mut s = Session::new().append(true);
    if let Some(b) = block {
        s = s.memory_limit(1 << 30).block_rows(b);
    }
    let o = s
        .eval(src, &[("A", input.to_str().unwrap())], out.to_str())
        .map_err(|e| e.to_string())?;
    // Programs that do not stream (records built from columns) run in
    // memory.
    assert!(o.report.streamed == block.is_some() || src.starts_with('{'));
    assert!(o.value.is_none());
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            fs::copy(e.path(), t).unwrap();
        }
    }
}

#[test]
fn npy_files_grow_by_rows_in_memory_and_streamed() {
    let dir = scratch::scratch_dir("blaze-append-");
    let (a, b, out) = (dir.join("a.npy"), dir.join("b.npy"), dir.join("r.npy"));
    write_npy(&a, &rows(5, 0)).unwrap();
    write_npy(&b, &rows(7, 5)).unwrap();
    // A missing destination is created.
    append_run("A", &a, &out, None).unwrap();
    assert_eq!(read_npy(&out).unwrap(), rows(5, 0));
    append_run("A", &b, &out, None).unwrap();
    append_run("A", &b, &out, Some(3)).unwrap();
    append_run("A * 1", &a, &out, Some(2)).unwrap();
    let want = concat(&[&rows(5, 0), &rows(7, 5), &rows(7, 5), &rows(5, 0)]);
    assert_eq!(read_npy(&out).unwrap(), want);
    // The header grew in place: the data still starts at 128 bytes.
    assert_eq!(fs::metadata(&out).unwrap().len(), 128 + 24 * 8 * 3);
    // Nothing is left next to it.
    let names: Vec<_> = fs::read_dir(&*dir).unwrap().flatten().collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn appends_of_another_type_or_row_write_nothing() {
    let dir = scratch::scratch_dir("blaze-append-");
    let (a, out) = (dir.join("a.npy"), dir.join("r.npy"));
    write_npy(&a, &rows(4, 0)).unwrap();
    write_npy(&out, &rows(2, 0)).unwrap();
    let before = fs::read(&out).unwrap();
    for (src, want) in [
        (
            "A[:, :2]",
            "rows are (3,) of float64, the result's rows (2,)",
        ),
        ("A.astype(int32)", "the result's rows (3,) of int32"),
        ("sum(A)", "0-d"),
        ("A > 1", "of bool"),
    ] {
        for block in [None, Some(2)] {
            let e = append_run(src, &a, &out, block).unwrap_err();
            assert!(e.contains(want) && e.contains("r.npy"), "{src}: {e}");
            assert_eq!(fs::read(&out).unwrap(), before, "{src}");
        }
    }
    let z = dir.join("z.zarr");
    write_zarr(&z, &rows(2, 0)).unwrap();
    let e = append_run("A[:, 1:]", &a, &z, None).unwrap_err();
    assert!(e.contains("the result's rows [2]"), "{e}");
    assert_eq!(ZarrArray::open(&z).unwrap().shape(), &[2, 3]);
    // A single table file is not a dataset.
    let p = dir.join("t.parquet");
    io::write(&p, &rows(2, 0)).unwrap();
    let e = append_run("A", &a, &p, None).unwrap_err();
    assert!(e.contains("directory of Parquet files"), "{e}");
}

#[test]
fn zarr_arrays_of_every_kind_grow_by_rows() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/zarr");
    let dir = scratch::scratch_dir("blaze-append-");
    for name in [
        "v3_default",
        "v3_missing",
        "v3_raw_big",
        "v3_gzip",
        "v2_default",
        "v2_zlib_f",
        "v2_bool",
    ] {
        let z = dir.join(format!("{name}.zarr"));
        copy_dir(&data.join(format!("{name}.zarr")), &z);
        let npy = data.join(format!("{name}.npy"));
        let a = read_npy(&npy).unwrap();
        append_run("A", &npy, &z, None).unwrap();
        append_run("A", &npy, &z, Some(3)).unwrap();
        let back = ZarrArray::open(&z).unwrap().read_all().unwrap();
        assert_eq!(back, concat(&[&a, &a, &a]), "{name}");
        // The blocks of a streamed read agree.
        let got = Session::new()
            .memory_limit(1 << 30)
            .block_rows(4)
            .eval("A", &[("A", z.to_str().unwrap())], None)
            .unwrap()
            .value
            .unwrap();
        assert_eq!(got, Value::from(concat(&[&a, &a, &a])), "{name}");
    }
    // blaze's own arrays, one chunk per block.
    let z = dir.join("mine.zarr");
    let a = dir.join("a.npy");
    write_npy(&a, &rows(10, 0)).unwrap();
    append_run("A", &a, &z, Some(4)).unwrap();
    append_run("A", &a, &z, Some(3)).unwrap();
    append_run("A", &a, &z, None).unwrap();
    let back = ZarrArray::open(&z).unwrap().read_all().unwrap();
    assert_eq!(back, concat(&[&rows(10, 0), &rows(10, 0), &rows(10, 0)]));
}

#[test]
fn a_parquet_directory_gets_a_new_file_per_append() {
    let dir = scratch::scratch_dir("blaze-append-");
    let a = dir.join("a.npy");
    write_npy(&a, &rows(4, 0)).unwrap();
    let ds = dir.join("results");
    let slash = format!("{}/", ds.display());
    for (k, block) in [None, Some(3), None].into_iter().enumerate() {
        append_run("{x: A[:, 0], y: A[:, 1] * 2}", &a, Path::new(&slash), block).unwrap();
        let part = ds.join(format!("part-{k:05}.parquet"));
        let v = io::open(&part, None).unwrap();
        assert_eq!(v.rows(), Some(4), "{}", part.display());
        assert_eq!(
            v.datashape().to_string(),
            "4 * {x: float64, y: float64}",
            "{}",
            part.display()
        );
    }
    assert_eq!(fs::read_dir(&ds).unwrap().count(), 3);
    let e = append_run("{x: A[:, 0]}", &a, &ds, None).unwrap_err();
    assert!(
        e.contains("dataset's rows") && e.contains("part-00000"),
        "{e}"
    );
    assert_eq!(fs::read_dir(&ds).unwrap().count(), 3);
    assert_eq!(
        append::target(&ds).unwrap().path(),
        ds.join("part-00003.parquet")
    );
}

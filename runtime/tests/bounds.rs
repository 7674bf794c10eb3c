//! Bounds at every entry: tiny metadata never starts unbounded work. A
//! `.npy` header or Zarr metadata with more than 64 dimensions is refused,
//! a Zarr shape too large for the address space is refused at open, a
//! truncated `.npy` file is an error, and a session's result too large for
//! its memory limit is an error naming the operation and the size.

use blaze_runtime::io::npy::read_npy;
use blaze_runtime::io::zarr::ZarrArray;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("blaze-bounds-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A `.npy` file of float64 with `shape` in its header and `data` bytes.
fn npy(path: &Path, shape: &[usize], data: usize) {
    let dims: String = shape.iter().map(|d| format!("{d},")).collect();
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({dims}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(vec![0u8; data]);
    std::fs::write(path, bytes).unwrap();
}

/// A Zarr format 3 array directory with `shape` and `chunks`.
fn zarr(dir: &Path, shape: &[usize], chunks: &[usize]) {
    std::fs::create_dir_all(dir).unwrap();
    let list = |v: &[usize]| {
        let parts: Vec<String> = v.iter().map(usize::to_string).collect();
        parts.join(", ")
    };
    let meta = format!(
        r#"{{"zarr_format": 3, "node_type": "array", "shape": [{}], "data_type": "float64",
  "chunk_grid": {{"name": "regular", "configuration": {{"chunk_shape": [{}]}}}},
  "chunk_key_encoding": {{"name": "default", "configuration": {{"separator": "/"}}}},
  "fill_value": 0.0, "codecs": [{{"name": "bytes", "configuration": {{"endian": "little"}}}}],
  "attributes": {{}}}}"#,
        list(shape),
        list(chunks)
    );
    std::fs::write(dir.join("zarr.json"), meta).unwrap();
}

#[test]
fn npy_headers_with_more_than_64_dimensions_are_refused() {
    let d = scratch("npy-rank");
    let p = d.join("r.npy");
    npy(&p, &vec![1; 65], 8);
    let t = Instant::now();
    let e = read_npy(&p).unwrap_err().to_string();
    assert!(e.contains("65 dimensions; at most 64"), "{e}");
    npy(&p, &vec![1; 10_000], 8);
    let e = read_npy(&p).unwrap_err().to_string();
    assert!(e.contains("10000 dimensions; at most 64"), "{e}");
    assert!(t.elapsed().as_secs() < 5);
    // 64 dimensions are fine.
    npy(&p, &vec![1; 64], 8);
    assert_eq!(read_npy(&p).unwrap().shape().len(), 64);
    // A header promising more than the file holds.
    npy(&p, &[1000], 80);
    let e = read_npy(&p).unwrap_err().to_string();
    assert!(e.contains("truncated"), "{e}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn zarr_shapes_beyond_the_address_space_are_refused_at_open() {
    let d = scratch("zarr");
    let z = d.join("huge.zarr");
    zarr(&z, &[9223372036854775807, 10], &[1000, 10]);
    let t = Instant::now();
    let e = ZarrArray::open(&z).unwrap_err().to_string();
    assert!(e.contains("too large for the address space"), "{e}");
    assert!(t.elapsed().as_secs() < 5);
    // A chunk grid too large.
    zarr(&z, &[1 << 40, 1 << 20], &[1, 1]);
    let e = ZarrArray::open(&z).unwrap_err().to_string();
    assert!(e.contains("too large for the address space"), "{e}");
    // More than 64 dimensions.
    zarr(&z, &[1; 65], &[1; 65]);
    let e = ZarrArray::open(&z).unwrap_err().to_string();
    assert!(e.contains("65 dimensions; at most 64"), "{e}");
    // A sane array next to it opens, and reads as its fill value.
    zarr(&z, &[3, 2], &[2, 2]);
    let a = ZarrArray::open(&z).unwrap();
    assert_eq!(a.read_all().unwrap().shape(), &[3, 2]);
    // Nothing was written beside the metadata.
    let entries: Vec<_> = std::fs::read_dir(&z).unwrap().collect();
    assert_eq!(entries.len(), 1);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_result_above_the_memory_limit_is_an_error_naming_it() {
    use blaze_runtime::session::{InputSpec, Program, Session};
    let d = scratch("limit");
    let v = d.join("v.npy");
    npy(&v, &[200_000], 200_000 * 8);
    let out = d.join("o.npy");
    let specs = [
        InputSpec::parse(&format!("a={}", v.display())).unwrap(),
        InputSpec::parse(&format!("b={}", v.display())).unwrap(),
    ];
    let t = Instant::now();
    let e = Session::new()
        .memory_limit(64 << 20)
        .run(
            &Program::expr("forall i, j: a[i] * b[j]"),
            &specs,
            Some(&out),
        )
        .map(|_| ())
        .expect_err("an error")
        .to_string();
    assert_eq!(
        e,
        "the result of forall i, j needs 298 GiB; the memory limit is 64 MiB"
    );
    assert!(t.elapsed().as_secs() < 10);
    assert!(!out.exists());
    // One row above the limit: an error naming both, not one-row blocks.
    let m = d.join("m.npy");
    npy(&m, &[1000, 200], 1000 * 200 * 8);
    let specs = [InputSpec::parse(&format!("a={}", m.display())).unwrap()];
    let e = Session::new()
        .memory_limit(1024)
        .run(&Program::expr("a * 2.0"), &specs, Some(&out))
        .map(|_| ())
        .expect_err("an error")
        .to_string();
    assert!(e.contains("one row takes"), "{e}");
    assert!(e.contains("memory limit of 1024 bytes"), "{e}");
    assert!(!out.exists());
    std::fs::remove_dir_all(&d).unwrap();
}

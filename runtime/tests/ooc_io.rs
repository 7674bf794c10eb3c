//! The out-of-core data path at the machine's speed: `.npy` results written
//! by direct writes are the bytes the buffered writer writes (odd sizes, a
//! last partial page, an empty result), also on tmpfs (which refuses
//! direct writes before Linux 6.6), and leave nothing when unfinished; mapped blocks are
//! the blocks `pread` gives, and a file truncated after it was opened is an
//! error, not a fault. Blocks not in the page cache are told apart from
//! cached ones, are read with `O_DIRECT` into pool buffers (the rows `pread`
//! gives, a truncated file an error), and a streamed run over a cold file
//! gives the result of a run over the same file cached. A file cut while a
//! pass runs its blocks on two threads is an error, not a hang.

mod scratch;

use blaze_array::DenseArray;
use blaze_datashape::Scalar;
use blaze_interp::{Array, Value};
use blaze_runtime::io::npy::{read_npy, write_npy, NpyFile, NpyStream, MAP_MIN_BYTES};
use blaze_runtime::io::{self, BlockPool, IoErrorKind, RowSink};
use blaze_runtime::Session;
use ndarray::{ArrayD, IxDyn};
use std::path::Path;

fn dir(name: &str) -> scratch::Scratch {
    scratch::scratch_dir(&format!("blaze-oocio-{name}-"))
}

fn data(rows: usize, cols: usize, seed: u64) -> ArrayD<f64> {
    let mut s = seed.max(1);
    ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |_| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    })
}

/// `a` written by an [`NpyStream`] in blocks of `block` rows, alternately
/// through lent buffers and from views.
fn stream_write(path: &Path, a: &ArrayD<f64>, block: usize) {
    let rows = a.shape()[0];
    let mut w: Box<dyn RowSink> =
        io::create(path, Scalar::Float64, &a.shape()[1..], Some(rows), block).unwrap();
    let mut r0 = 0;
    let mut k = 0;
    while r0 < rows {
        let r1 = (r0 + block).min(rows);
        let part = a.slice(ndarray::s![r0..r1, ..]).to_owned().into_dyn();
        let dense = blaze_runtime::value::from_array(Array::Float64(part)).unwrap();
        match w.rows_buffer(r0, r1 - r0).unwrap() {
            Some(mut buf) if k % 2 == 0 => {
                buf.view_mut().write_from(&dense.view()).unwrap();
                w.write_buffer(buf).unwrap();
            }
            _ => w.write_rows(r0, &dense.view()).unwrap(),
        }
        r0 = r1;
        k += 1;
    }
    w.finish(rows).unwrap();
}

/// Files in `d` (temporaries included).
fn entries(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn direct_writes_give_the_buffered_bytes() {
    let d = dir("direct");
    // Odd sizes: rows of 7 and 1003 elements (no row ends on a page), a
    // last partial block, a single row, no rows.
    for (rows, cols, block) in [
        (1037, 7, 100),
        (5000, 1003, 333),
        (1, 3, 8),
        (0, 5, 10),
        (4096, 1, 4096),
    ] {
        let a = data(rows, cols, rows as u64);
        let want = d.join("want.npy");
        write_npy(&want, &Array::Float64(a.clone())).unwrap();
        let got = d.join("got.npy");
        stream_write(&got, &a, block);
        assert_eq!(
            std::fs::read(&got).unwrap(),
            std::fs::read(&want).unwrap(),
            "{rows} x {cols} by {block}"
        );
        assert_eq!(entries(&d), ["got.npy", "want.npy"], "no temporaries left");
    }
}

/// A scratch directory on tmpfs, where the system has one.
fn shm_dir() -> Option<tempfile::TempDir> {
    let shm = Path::new("/dev/shm");
    shm.is_dir().then(|| {
        tempfile::Builder::new()
            .prefix("blaze-oocio-shm-")
            .tempdir_in(shm)
            .unwrap()
    })
}

#[test]
fn results_on_tmpfs_are_written_too() {
    let Some(d) = shm_dir() else { return };
    let a = data(777, 129, 5);
    let got = d.path().join("got.npy");
    stream_write(&got, &a, 50);
    assert_eq!(read_npy(&got).unwrap(), Array::Float64(a));
    assert_eq!(entries(d.path()), ["got.npy"]);
}

#[test]
fn an_unfinished_direct_write_leaves_nothing() {
    let d = dir("unfinished");
    let target = d.join("r.npy");
    std::fs::write(&target, b"old").unwrap();
    let mut w = NpyStream::create(&target, Scalar::Float64, &[100, 4]).unwrap();
    let a = data(50, 4, 9);
    let dense = blaze_runtime::value::from_array(Array::Float64(a)).unwrap();
    w.write_view(0, &dense.view()).unwrap();
    // Out of order, then too few rows: errors naming the file.
    let e = w.write_view(70, &dense.view()).unwrap_err();
    assert!(e.to_string().contains("r.npy"), "{e}");
    let e = w.finish_rows(100).unwrap_err();
    assert!(e.to_string().contains("50 rows written"), "{e}");
    // The old file stays, no temporary is left.
    assert_eq!(entries(&d), ["r.npy"]);
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    // Dropped midway.
    let mut w = NpyStream::create(&target, Scalar::Float64, &[100, 4]).unwrap();
    w.write_view(0, &dense.view()).unwrap();
    drop(w);
    assert_eq!(entries(&d), ["r.npy"]);
}

fn same(a: &DenseArray, b: &DenseArray) -> bool {
    a.shape() == b.shape() && a.view().to_vec::<f64>().unwrap() == b.view().to_vec::<f64>().unwrap()
}

#[test]
fn mapped_blocks_are_the_read_blocks() {
    let d = dir("map");
    let path = d.join("a.npy");
    // Rows of 1003 f64: no block starts on a page.
    let a = data(3001, 1003, 3);
    write_npy(&path, &Array::Float64(a)).unwrap();
    let f = NpyFile::open(&path).unwrap();
    let mut pool = BlockPool::new();
    for (r0, r1) in [(0, 1), (0, 1000), (1, 1002), (1500, 3001), (3000, 3001)] {
        let mapped = f.map_rows(r0, r1).unwrap().expect("a native f64 file maps");
        let read = f.read_rows_into(r0, r1, &mut pool).unwrap();
        assert!(same(&mapped, &read), "rows {r0}..{r1}");
        // The block the stream takes is one of them.
        let block = f.block(r0, r1, &mut pool).unwrap();
        assert!(same(&block, &read), "rows {r0}..{r1}");
    }
    const { assert!(1000 * 1003 * 8 >= MAP_MIN_BYTES) };
    // A block held after the file is closed keeps its rows.
    let held = f.map_rows(10, 20).unwrap().unwrap();
    let copy = f.read_rows_into(10, 20, &mut pool).unwrap();
    drop(f);
    assert!(same(&held, &copy));
}

/// A scratch directory on the project's disk (the system's temporary
/// directory may be a tmpfs, which has no page cache to drop).
fn disk_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("blaze-oocio-{name}-"))
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

/// Writes `path` to the disk and drops its pages from the page cache
/// (again, while read-ahead still in flight brings some back).
fn make_cold(path: &Path) {
    use std::os::unix::io::AsRawFd;
    let f = std::fs::File::open(path).unwrap();
    f.sync_all().unwrap();
    let npy = NpyFile::open(path).unwrap();
    let rows = npy.shape()[0];
    for _ in 0..100 {
        // SAFETY: advice on an open descriptor.
        let r = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(r, 0);
        if (0..rows)
            .step_by(100)
            .all(|r0| npy.rows_cold(r0, (r0 + 100).min(rows)).unwrap())
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the pages of {} stay in the page cache", path.display());
}

#[test]
fn cold_blocks_are_read_direct_and_are_the_read_blocks() {
    let d = disk_dir("cold");
    let path = d.path().join("a.npy");
    // Rows of 1003 f64: no block starts on a page.
    write_npy(&path, &Array::Float64(data(3001, 1003, 3))).unwrap();
    make_cold(&path);
    let f = NpyFile::open(&path).unwrap();
    assert!(f.rows_cold(0, 3001).unwrap(), "dropped pages are cold");
    let mut pool = BlockPool::new();
    pool.set_direct(true);
    let mut reference = BlockPool::new();
    for (r0, r1) in [(0, 1), (0, 1000), (1, 1002), (1500, 3001), (3000, 3001)] {
        let direct = f
            .read_rows_direct(r0, r1, &mut pool)
            .unwrap()
            .expect("a native f64 file on a disk reads with O_DIRECT");
        let read = f.read_rows_into(r0, r1, &mut reference).unwrap();
        assert!(same(&direct, &read), "rows {r0}..{r1}");
    }
    // The blocks of a stream, cold: read direct, and the page cache is
    // left as it was.
    // Held, the pool's buffers are never written again.
    let want: Vec<DenseArray> = (0..3)
        .map(|k| {
            f.read_rows_into(k * 1000, (k + 1) * 1000, &mut reference)
                .unwrap()
        })
        .collect();
    make_cold(&path);
    let mut held = Vec::new();
    for (k, want) in want.iter().enumerate() {
        let (r0, r1) = (k * 1000, (k + 1) * 1000);
        assert!(f.rows_cold(r0, r1).unwrap());
        let block = f.block(r0, r1, &mut pool).unwrap();
        assert!(
            f.rows_cold(r0, r1).unwrap(),
            "a direct read leaves no pages"
        );
        assert!(same(&block, want), "rows {r0}..{r1}");
        held.push(block);
        if held.len() > 1 {
            held.remove(0);
        }
    }
    // One block held while the next is read: two buffers serve them all.
    assert!(pool.len() <= 2, "{} pool buffers", pool.len());
    // A pool that does not ask for direct reads maps cold blocks.
    drop(held);
    make_cold(&path);
    let block = f.block(0, 1000, &mut BlockPool::new()).unwrap();
    assert!(same(&block, &want[0]));
    assert!(!f.rows_cold(0, 1000).unwrap(), "a mapped block is cached");
}

/// Cuts the file at `path` to half its length (as another process might
/// while it is read).
fn truncate_to_half(path: &Path) {
    let whole = std::fs::metadata(path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(whole / 2)
        .unwrap();
}

#[test]
fn a_cold_file_truncated_while_streamed_is_an_error() {
    let d = disk_dir("cold-truncated");
    let path = d.path().join("a.npy");
    write_npy(&path, &Array::Float64(data(2000, 300, 4))).unwrap();
    make_cold(&path);
    let f = NpyFile::open(&path).unwrap();
    truncate_to_half(&path);
    let mut pool = BlockPool::new();
    assert!(f.read_rows_direct(0, 100, &mut pool).unwrap().is_some());
    let e = f.read_rows_direct(1000, 2000, &mut pool).unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::TruncatedData, "{e}");
    assert!(e.to_string().contains("a.npy"), "{e}");
    assert!(f.block(1000, 2000, &mut pool).is_err());
}

#[test]
fn a_streamed_run_over_a_cold_file_gives_the_warm_result() {
    let d = disk_dir("cold-session");
    let path = d.path().join("a.npy");
    write_npy(&path, &Array::Float64(data(9000, 250, 8))).unwrap();
    let p = path.to_str().unwrap();
    let streamed = |src: &str| {
        let run = Session::new()
            .memory_limit(64 << 20)
            .block_rows(2000)
            .eval(src, &[("A", p)], None)
            .unwrap();
        assert!(run.report.streamed);
        run.value
    };
    let f = NpyFile::open(&path).unwrap();
    for (src, blas) in [
        ("sum(A * 2, axis=0)", false),
        ("A.T @ A", true),
        ("A - mean(A, axis=0)", false),
    ] {
        // Warm (the blocks mapped), then cold: the same bits.
        std::fs::read(&path).unwrap();
        let warm = streamed(src);
        make_cold(&path);
        assert_eq!(streamed(src), warm, "{src}");
        // A pass on BLAS read its cold blocks with O_DIRECT, which leaves
        // the file uncached; the others mapped them, which caches it.
        assert_eq!(f.rows_cold(0, 9000).unwrap(), blas, "{src}");
    }
}

#[test]
fn blocks_on_tmpfs_are_read_whichever_way_it_allows() {
    let Some(d) = shm_dir() else { return };
    let path = d.path().join("a.npy");
    write_npy(&path, &Array::Float64(data(1200, 301, 6))).unwrap();
    let f = NpyFile::open(&path).unwrap();
    let mut pool = BlockPool::new();
    let read = f.read_rows_into(100, 1100, &mut pool).unwrap();
    // O_DIRECT is refused by tmpfs before Linux 6.6 (`None`), allowed
    // after; the rows are the same either way.
    if let Some(direct) = f.read_rows_direct(100, 1100, &mut pool).unwrap() {
        assert!(same(&direct, &read));
    }
    assert!(same(&f.block(100, 1100, &mut pool).unwrap(), &read));
}

#[test]
fn a_file_truncated_while_streamed_is_an_error() {
    let d = dir("truncated");
    let path = d.join("a.npy");
    write_npy(&path, &Array::Float64(data(2000, 300, 4))).unwrap();
    let f = NpyFile::open(&path).unwrap();
    truncate_to_half(&path);
    // Rows still inside the file map; the rows past its new end are an
    // error naming the file, by either path.
    assert!(f.map_rows(0, 100).unwrap().is_some());
    let e = f.map_rows(1000, 2000).unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::TruncatedData, "{e}");
    assert!(e.to_string().contains("a.npy"), "{e}");
    let mut pool = BlockPool::new();
    assert!(f.block(1000, 2000, &mut pool).is_err());
    assert!(f.read_rows_into(1000, 2000, &mut pool).is_err());
}

#[test]
fn streamed_disk_to_disk_runs_match_memory() {
    let d = dir("session");
    let path = d.join("a.npy");
    let a = data(3000, 501, 7);
    write_npy(&path, &Array::Float64(a)).unwrap();
    let out = d.join("out.npy");
    let p = path.to_str().unwrap();
    let memory = Session::new()
        .eval("2*A + 1", &[("A", p)], None)
        .unwrap()
        .value
        .unwrap();
    for block in [1, 333, 1000, 3000] {
        let r = Session::new()
            .memory_limit(1 << 30)
            .block_rows(block)
            .eval("2*A + 1", &[("A", p)], Some(out.to_str().unwrap()))
            .unwrap();
        assert!(r.report.streamed);
        assert_eq!(
            Value::from(read_npy(&out).unwrap()),
            memory,
            "blocks of {block}"
        );
        // The sum over mapped blocks is the sum over the file in memory.
        let s = Session::new()
            .memory_limit(1 << 30)
            .block_rows(block)
            .eval("sum(sqrt(A*A + 1), axis=0)", &[("A", p)], None)
            .unwrap();
        let m = Session::new()
            .eval("sum(sqrt(A*A + 1), axis=0)", &[("A", p)], None)
            .unwrap();
        let (Some(Value::Array { data: x, .. }), Some(Value::Array { data: y, .. })) =
            (s.value, m.value)
        else {
            panic!("not arrays")
        };
        let (Array::Float64(x), Array::Float64(y)) = (x, y) else {
            panic!("not float64")
        };
        for (p, q) in x.iter().zip(y.iter()) {
            assert!((p - q).abs() <= 1e-12 * q.abs(), "{p} vs {q}");
        }
    }
    assert_eq!(entries(&d), ["a.npy", "out.npy"]);
}

#[test]
fn a_file_truncated_under_a_pass_on_two_threads_is_an_error() {
    // `A.T @ A` runs its blocks on two worker threads: the reader's error
    // at the cut reaches the caller, naming the file, and nothing hangs.
    let d = dir("truncated-two");
    let path = d.join("a.npy");
    write_npy(&path, &Array::Float64(data(4000, 100, 9))).unwrap();
    let p = path.to_str().unwrap();
    for threads in [1, 2, 3] {
        std::fs::copy(d.join("a.npy"), d.join("b.npy")).unwrap();
        let b = d.join("b.npy");
        let cut = b.clone();
        let e = Session::new()
            .threads(threads)
            .memory_limit(64 << 20)
            .block_rows(300)
            .on_progress(move |done, _| {
                if done == 300 {
                    truncate_to_half(&cut);
                }
            })
            .eval("A.T @ A", &[("A", b.to_str().unwrap())], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.npy"), "{threads} threads: {e}");
    }
    // Untouched, the same run gives the in-memory result.
    let streamed = Session::new()
        .threads(2)
        .memory_limit(64 << 20)
        .block_rows(300)
        .eval("A.T @ A", &[("A", p)], None)
        .unwrap();
    let memory = Session::new().eval("A.T @ A", &[("A", p)], None).unwrap();
    assert!(streamed.report.streamed);
    let floats = |v: Option<Value>| match v {
        Some(Value::Array {
            data: Array::Float64(x),
            ..
        }) => x,
        other => panic!("not float64: {other:?}"),
    };
    let (s, m) = (floats(streamed.value), floats(memory.value));
    assert_eq!(s.shape(), m.shape());
    for (x, y) in s.iter().zip(m.iter()) {
        assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0), "{x} against {y}");
    }
}

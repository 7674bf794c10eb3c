//! Calls do not copy the caller's arrays: the bytes allocated during a call
//! are counted (a counting global allocator). A call on borrowed inputs
//! allocates about one output; a call into a caller's output allocates no
//! result-sized buffer at all, and the kernel writes at the caller's
//! pointer, whatever its strides. A streamed run reads its blocks into a
//! few reused buffers that the kernels read in place. The tests of this
//! file run one at a time (the count is process-wide).

use blaze::interp::{Array, Value};
use blaze::{input, output_view, Arg};
use ndarray::{s, Array1};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// One test at a time: the count is the whole process's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn allocated_by(f: impl FnOnce()) -> usize {
    let before = ALLOCATED.load(Ordering::Relaxed);
    f();
    ALLOCATED.load(Ordering::Relaxed) - before
}

const N: usize = 1 << 21; // 16 MiB per float64 array

fn axpy() -> blaze::Kernel {
    blaze::compile_expr(
        "a * x + y",
        &[("a", "float64"), ("x", "N * float64"), ("y", "N * float64")],
    )
    .unwrap()
    .with_threads(1)
}

fn scalar(x: f64) -> Value {
    Value::from(Array::Float64(ndarray::arr0(x).into_dyn()))
}

fn inputs() -> (Array1<f64>, Array1<f64>) {
    (
        Array1::from_shape_fn(N, |i| i as f64),
        Array1::from_shape_fn(N, |i| (N - i) as f64 * 0.5),
    )
}

#[test]
fn a_call_on_borrowed_inputs_allocates_the_output_only() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bytes = N * 8;
    let k = axpy();
    let (x, y) = inputs();
    let a = scalar(2.0);
    // Warm up: compile the kernel, start the thread pool.
    let _ = k.call(&[Arg::Value(&a), input(&x), input(&y)]);

    let mut result = None;
    let by_view =
        allocated_by(|| result = Some(k.call(&[Arg::Value(&a), input(&x), input(&y)]).unwrap()));
    assert!(
        by_view < bytes + bytes / 4,
        "a call on borrowed inputs allocated {by_view} bytes for a {bytes}-byte output"
    );
    let got = blaze::output::<f64>(result.unwrap()).unwrap();
    assert_eq!(got, (2.0 * &x + &y).into_dyn());
}

#[test]
fn call_into_writes_at_the_callers_pointer_without_a_result_buffer() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bytes = N * 8;
    let k = axpy();
    let (x, y) = inputs();
    let a = scalar(2.0);
    let want = 2.0 * &x + &y;
    // A pre-touched output, written where it stands.
    let mut out = Array1::<f64>::from_elem(N, -1.0);
    let ptr = out.as_ptr();
    let args = [Arg::Value(&a), input(&x), input(&y)];
    k.call_into(&args, output_view(&mut out)).unwrap(); // warm up
    out.fill(-1.0);
    let used = allocated_by(|| k.call_into(&args, output_view(&mut out)).unwrap());
    assert!(
        used < bytes / 64,
        "call_into allocated {used} bytes; the output is {bytes} bytes"
    );
    assert_eq!(out.as_ptr(), ptr);
    assert_eq!(out, want);

    // Every other element of a larger array, and a reversed view: still
    // written in place, still no result buffer.
    let mut wide = Array1::<f64>::from_elem(2 * N, -1.0);
    let used = allocated_by(|| {
        k.call_into(&args, output_view(&mut wide.slice_mut(s![1..;2])))
            .unwrap()
    });
    assert!(used < bytes / 64, "strided: {used} bytes");
    assert_eq!(wide.slice(s![1..;2]), want);
    assert!(wide.slice(s![..;2]).iter().all(|&v| v == -1.0));
    let mut back = Array1::<f64>::from_elem(N, -1.0);
    let used = allocated_by(|| {
        k.call_into(&args, output_view(&mut back.slice_mut(s![..;-1])))
            .unwrap()
    });
    assert!(used < bytes / 64, "reversed: {used} bytes");
    assert_eq!(back.slice(s![..;-1]), want);
}

#[test]
fn an_output_overlapping_an_input_goes_through_one_temporary() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bytes = N * 8;
    let k = axpy();
    let (x, y) = inputs();
    let a = scalar(2.0);
    let want = 2.0 * &x + &y;
    let mut buf = x.clone();
    let p = buf.as_mut_ptr();
    // SAFETY: `buf` holds N float64s and is used only through these two
    // views during the call; the engine detects that they overlap.
    let (xin, out) = unsafe {
        (
            blaze::array::DenseView::from_raw_parts(
                p.cast_const().cast(),
                blaze::datashape::Scalar::Float64,
                vec![N],
                vec![8],
                None,
            ),
            blaze::array::DenseViewMut::from_raw_parts(
                p.cast(),
                blaze::datashape::Scalar::Float64,
                vec![N],
                vec![8],
            ),
        )
    };
    let used = allocated_by(|| {
        k.call_into(&[Arg::Value(&a), Arg::View(xin), input(&y)], out)
            .unwrap()
    });
    assert!(
        (bytes..bytes + bytes / 4).contains(&used),
        "an overlapping output should cost one temporary: {used} bytes"
    );
    assert_eq!(buf, want);
}

/// Rows and columns of the streamed file: 32 blocks of 1 MiB.
const ROWS: usize = 4096;
const COLS: usize = 1024;
const BLOCK: usize = 128;

#[test]
fn streamed_blocks_reach_the_kernels_without_a_copy() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Removed when the test ends, passed or failed.
    let scratch = tempfile::Builder::new()
        .prefix("blaze-zero-copy-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let a = dir.join("a.npy");
    let out = dir.join("out.npy");
    let x = ndarray::Array2::from_shape_fn((ROWS, COLS), |(i, j)| (i * COLS + j) as f64 / 7.0);
    blaze::runtime::io::npy::write_npy(&a, &Array::Float64(x.clone().into_dyn())).unwrap();
    let (a_path, out_path) = (a.to_str().unwrap(), out.to_str().unwrap());
    let session = blaze::Session::new()
        .memory_limit(1 << 30)
        .block_rows(BLOCK)
        .threads(1);
    let block_bytes = BLOCK * COLS * 8;
    let blocks = ROWS / BLOCK;
    let run = |src: &str, to: Option<&str>| {
        let outcome = session.eval(src, &[("A", a_path)], to).unwrap();
        assert!(outcome.report.streamed, "{src}");
        assert_eq!(outcome.report.blocks, Some(blocks), "{src}");
        outcome.value
    };
    // Warm up: compile the kernels, start the thread pool.
    run("sum(sqrt(A*A + 1), axis=0)", None);
    run("2*A + 1", Some(out_path));

    // A reduction over the rows: the input blocks go to the kernels as
    // views of the reader's buffers (at most one per block in flight); no
    // block-sized value is made per block.
    //
    // The reader's pool adds a buffer whenever every buffer it has is still
    // held when it reads ahead, which depends on thread timing: a run makes
    // 3 to about 20 block buffers (to be bounded by the read-ahead depth).
    // A copy of every block would add at least one block per block on top.
    let mut sums = None;
    let used = allocated_by(|| sums = run("sum(sqrt(A*A + 1), axis=0)", None));
    assert!(
        used < blocks * block_bytes,
        "a streamed reduction over {blocks} blocks of {block_bytes} bytes allocated {used} bytes"
    );
    let Some(Value::Array {
        data: Array::Float64(sums),
        ..
    }) = sums
    else {
        panic!("not a float64 result")
    };
    let want = x.mapv(|v| (v * v + 1.0).sqrt()).sum_axis(ndarray::Axis(0));
    for (s, w) in sums.iter().zip(want.iter()) {
        assert!((s - w).abs() <= 1e-12 * w.abs(), "{s} != {w}");
    }

    // Disk to disk: the kernel writes each block's result into a reused
    // buffer, which the sink writes from its memory (no encoding buffer):
    // a few block-sized buffers for the whole run.
    let used = allocated_by(|| {
        run("2*A + 1", Some(out_path));
    });
    assert!(
        used < blocks * block_bytes,
        "a streamed elementwise run over {blocks} blocks of {block_bytes} bytes allocated {used} bytes"
    );
    let back = blaze::runtime::io::npy::read_npy(&out).unwrap();
    assert_eq!(back, Array::Float64((2.0 * &x + 1.0).into_dyn()));
}

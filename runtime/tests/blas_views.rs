//! BLAS reads a caller's view in place: with a counting global allocator,
//! a matrix product of a view several MiB large allocates nothing of its
//! size (the view is not copied into an interpreter value first), in C and
//! in Fortran order, and gives the interpreter's result. A run that
//! reuses the arrays of the last run ([`Spare`]) allocates none of their
//! size.

use blaze_datashape::{Datashape, Dim, Measure, Scalar};
use blaze_interp::{eval, Array, Value};
use blaze_ir::compile_expression;
use blaze_runtime::exec::{prepare, Arg, Options, Spare};
use blaze_runtime::value::view_of;
use ndarray::{Array2, ArrayD};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

/// Tests take it: allocations are counted for the whole process.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Allocations of at least [`BIG`] bytes since the last reset.
static BIG_COUNT: AtomicUsize = AtomicUsize::new(0);
const BIG: usize = 1 << 20;

fn record(p: *mut u8, size: usize) -> *mut u8 {
    if size >= BIG {
        BIG_COUNT.fetch_add(1, Ordering::Relaxed);
    }
    p
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(unsafe { System.alloc(layout) }, layout.size())
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(unsafe { System.realloc(ptr, layout, new_size) }, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn matrix(rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| ((i * 31 + j * 7) % 23) as f64 - 11.0)
}

/// Runs `src` over `a` passed as a view; returns the result, the number of
/// allocations of `BIG` bytes or more during the call, and the BLAS calls.
fn run_on_view(src: &str, a: ndarray::ArrayViewD<'_, f64>) -> (Value, usize, Vec<String>) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dims = a.shape().iter().map(|&n| Dim::Fixed(n as u64)).collect();
    let params = [(
        "a".to_string(),
        Datashape::new(dims, Measure::scalar(Scalar::Float64)),
    )];
    let f = compile_expression(src, &params).expect("compiles");
    let prepared = prepare(&f);
    let view = view_of(&a);
    let opts = Options::default();
    // Warm-up: kernels compiled, thread pools and BLAS buffers made.
    prepared
        .run_args(&[Arg::View(view.clone())], &opts)
        .expect("runs");
    BIG_COUNT.store(0, Ordering::Relaxed);
    let (value, report) = prepared.run_args(&[Arg::View(view)], &opts).expect("runs");
    let big = BIG_COUNT.load(Ordering::Relaxed);
    let reference = eval(&f, &[Value::from(Array::Float64(a.to_owned()))]).expect("evaluates");
    assert_eq!(
        value, reference,
        "{src}: BLAS on the view against the interpreter"
    );
    (value, big, report.calls)
}

#[test]
fn matrix_products_read_views_in_place() {
    // 1200 × 150 float64: 1.4 MB, the result 150 × 150 (0.18 MB).
    let c = matrix(1200, 150);
    let f: ArrayD<f64> = c
        .t()
        .as_standard_layout()
        .into_owned()
        .reversed_axes()
        .into_dyn();
    assert_eq!(f.shape(), &[1200, 150]);
    assert!(!f.is_standard_layout());
    for (layout, a) in [
        ("C order", c.view().into_dyn()),
        ("Fortran order", f.view()),
    ] {
        for src in ["a.T @ a", "sum(a.T @ a, axis=0) * 2"] {
            let (_, big, calls) = run_on_view(src, a.view());
            assert!(!calls.is_empty(), "{src} ({layout}): no BLAS call");
            assert_eq!(big, 0, "{src} ({layout}): a copy of the view was allocated");
        }
    }
}

#[test]
fn a_product_blas_cannot_take_in_place_is_copied_once_and_right() {
    // Reversed rows: BLAS takes no negative stride, so the operand is
    // copied to C order (one allocation of its size) and the result is
    // still the interpreter's.
    let c = matrix(1200, 150);
    let mut r = c.clone().into_dyn();
    r.invert_axis(ndarray::Axis(0));
    let (_, big, calls) = run_on_view("a.T @ a", r.view());
    assert!(!calls.is_empty());
    assert!(big >= 1, "a reversed view needs a C-order copy");
}

#[test]
fn no_test_without_a_counting_allocator() {
    // The allocator counts: a 2 MiB vector is seen.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    BIG_COUNT.store(0, Ordering::Relaxed);
    let v = vec![0u8; 2 << 20];
    assert!(BIG_COUNT.load(Ordering::Relaxed) >= 1 && v.len() == 2 << 20);
}

#[test]
fn a_run_reusing_the_last_runs_arrays_allocates_none_of_their_size() {
    // `(a - 1.5).T @ (a - 1.5)`: the centred rows (1.4 MB) are a kernel's
    // result that BLAS then reads. Run after run on blocks of the same
    // shape, as a streamed pass does, the kernel writes over the last
    // run's array: nothing of that size is allocated, and every result is
    // the interpreter's (the reused array's old elements never show).
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let params = [(
        "a".to_string(),
        Datashape::new(
            vec![Dim::Fixed(1200), Dim::Fixed(150)],
            Measure::scalar(Scalar::Float64),
        ),
    )];
    let f = compile_expression("(a - 1.5).T @ (a - 1.5)", &params).expect("compiles");
    let prepared = prepare(&f);
    let opts = Options::default();
    let blocks: Vec<ArrayD<f64>> = (0..3)
        .map(|k| matrix(1200, 150).mapv(|v| v * (k + 1) as f64).into_dyn())
        .collect();
    let mut spare = Spare::default();
    for (k, b) in blocks.iter().enumerate() {
        BIG_COUNT.store(0, Ordering::Relaxed);
        let (value, _) = prepared
            .run_args_reusing(&[Arg::View(view_of(&b.view()))], &opts, &mut spare)
            .expect("runs");
        let big = BIG_COUNT.load(Ordering::Relaxed);
        if k > 0 {
            assert_eq!(big, 0, "block {k}: the centred rows were allocated anew");
        }
        assert!(spare.bytes() >= 1200 * 150 * 8, "block {k}: nothing kept");
        let reference = eval(&f, &[Value::from(Array::Float64(b.clone()))]).expect("evaluates");
        assert_eq!(value, reference, "block {k}");
    }
    // Without a spare every run allocates them.
    BIG_COUNT.store(0, Ordering::Relaxed);
    prepared
        .run_args(&[Arg::View(view_of(&blocks[0].view()))], &opts)
        .expect("runs");
    assert!(BIG_COUNT.load(Ordering::Relaxed) >= 1);
}

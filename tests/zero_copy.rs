//! Calls on views do not copy the caller's arrays: the bytes allocated
//! during a call are counted (a counting global allocator), and a call on
//! views of two large inputs allocates about one output, where a call on
//! copied values allocates the inputs again.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

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

fn allocated_by(f: impl FnOnce()) -> usize {
    let before = ALLOCATED.load(Ordering::Relaxed);
    f();
    ALLOCATED.load(Ordering::Relaxed) - before
}

#[test]
fn a_call_on_views_allocates_the_output_only() {
    const N: usize = 1 << 21; // 16 MiB per float64 array
    let bytes = N * 8;
    let k = blaze::compile_expr(
        "a * x + y",
        &[("a", "float64"), ("x", "N * float64"), ("y", "N * float64")],
    )
    .unwrap()
    .with_threads(1);
    let x = ndarray::Array1::from_shape_fn(N, |i| i as f64);
    let y = ndarray::Array1::from_shape_fn(N, |i| (N - i) as f64);
    let a = blaze::input(&ndarray::arr0(2.0));
    // Warm up: compile the kernel, start the thread pool.
    let _ = k.call_args(&[blaze::Arg::Value(&a), blaze::view(&x), blaze::view(&y)]);

    let mut result = None;
    let by_view = allocated_by(|| {
        result = Some(
            k.call_args(&[blaze::Arg::Value(&a), blaze::view(&x), blaze::view(&y)])
                .unwrap(),
        )
    });
    let mut copied = None;
    let by_value = allocated_by(|| {
        copied = Some(
            k.call(&[a.clone(), blaze::input(&x), blaze::input(&y)])
                .unwrap(),
        )
    });
    assert_eq!(result, copied);
    assert!(
        by_view < bytes + bytes / 4,
        "a call on views allocated {by_view} bytes for a {bytes}-byte output"
    );
    assert!(
        by_value >= 3 * bytes,
        "copying the inputs should allocate them again: {by_value} bytes"
    );
}

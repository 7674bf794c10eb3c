//! The C ABI moves no result through a copy: with a counting global
//! allocator, `blaze_kernel_call` into a caller's output allocates no
//! result-sized buffer (the kernel writes at the caller's pointer), and the
//! tensor of `blaze_kernel_call_alloc` points at the one result-sized
//! buffer blaze allocated during the call.

mod common;

use blaze_capi::*;
use common::tensor;
use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::CString;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
/// Allocations of at least [`BIG`] bytes, and the address of the last.
static BIG_COUNT: AtomicUsize = AtomicUsize::new(0);
static BIG_LAST: AtomicUsize = AtomicUsize::new(0);
const BIG: usize = 1 << 20;

fn record(p: *mut u8, size: usize) -> *mut u8 {
    ALLOCATED.fetch_add(size, Ordering::Relaxed);
    if size >= BIG {
        BIG_COUNT.fetch_add(1, Ordering::Relaxed);
        BIG_LAST.store(p as usize, Ordering::Relaxed);
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

fn ok(s: BlazeStatus, what: &str) {
    assert_eq!(s, BlazeStatus::BLAZE_OK, "{what}");
}

#[test]
fn c_calls_write_in_place_and_hand_over_the_result_buffer() {
    const N: usize = 1 << 21;
    let bytes = N * 8;
    let mut ctx = std::ptr::null_mut();
    ok(blaze_context_create(&mut ctx), "context");
    ok(blaze_context_set_threads(ctx, 1), "threads");
    let names = [c"a".as_ptr(), c"x".as_ptr(), c"y".as_ptr()];
    let types = [
        c"float64".as_ptr(),
        c"N * float64".as_ptr(),
        c"N * float64".as_ptr(),
    ];
    let expr = CString::new("a * x + y").unwrap();
    let mut k = std::ptr::null_mut();
    ok(
        blaze_compile_expr(
            ctx,
            expr.as_ptr(),
            names.as_ptr(),
            types.as_ptr(),
            3,
            &mut k,
        ),
        "compile",
    );
    let mut a = 2.0f64;
    let mut x: Vec<f64> = (0..N).map(|i| i as f64).collect();
    let mut y: Vec<f64> = (0..N).map(|i| (N - i) as f64).collect();
    let mut out = vec![-1.0f64; N];
    let (mut s0, mut s1, mut s2, mut s3) = ([], [N as i64], [N as i64], [N as i64]);
    let ta = tensor(&mut a, &mut s0);
    let tx = tensor(x.as_mut_ptr(), &mut s1);
    let ty = tensor(y.as_mut_ptr(), &mut s2);
    let mut to = tensor(out.as_mut_ptr(), &mut s3);
    let ins = [&ta as *const DLTensor, &tx, &ty];
    let outs = [&mut to as *mut DLTensor];
    // Warm up: compile the kernel, start the thread pool.
    ok(
        blaze_kernel_call(k, ins.as_ptr(), 3, outs.as_ptr(), 1),
        "call",
    );
    out.fill(-1.0);

    let before = ALLOCATED.load(Ordering::Relaxed);
    let big = BIG_COUNT.load(Ordering::Relaxed);
    ok(
        blaze_kernel_call(k, ins.as_ptr(), 3, outs.as_ptr(), 1),
        "call",
    );
    let used = ALLOCATED.load(Ordering::Relaxed) - before;
    assert!(
        used < bytes / 64 && BIG_COUNT.load(Ordering::Relaxed) == big,
        "blaze_kernel_call allocated {used} bytes for a {bytes}-byte output"
    );
    assert!((0..N).all(|i| out[i] == 2.0 * x[i] + y[i]));

    let mut m = std::ptr::null_mut();
    let before = ALLOCATED.load(Ordering::Relaxed);
    let big = BIG_COUNT.load(Ordering::Relaxed);
    ok(
        blaze_kernel_call_alloc(k, ins.as_ptr(), 3, &mut m, 1),
        "alloc",
    );
    let used = ALLOCATED.load(Ordering::Relaxed) - before;
    assert_eq!(
        BIG_COUNT.load(Ordering::Relaxed),
        big + 1,
        "one result-sized buffer"
    );
    assert!(
        used < bytes + bytes / 64,
        "{used} bytes for a {bytes}-byte result"
    );
    // SAFETY: `m` is the live tensor blaze just returned.
    unsafe {
        let t = &(*m).dl_tensor;
        assert_eq!(t.data as usize, BIG_LAST.load(Ordering::Relaxed));
        assert_eq!(t.byte_offset, 0);
        let got = std::slice::from_raw_parts(t.data.cast::<f64>(), N);
        assert_eq!(got, &out[..]);
        ((*m).deleter.expect("a deleter"))(m);
    }
    ok(blaze_kernel_free(k), "free kernel");
    ok(blaze_context_free(ctx), "free context");
}

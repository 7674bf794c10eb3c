//! A result too large for the machine is an error status with a message,
//! never an abort of the host: `blaze_kernel_call_alloc` and
//! `blaze_kernel_call` on an outer product of two long vectors return
//! `BLAZE_ERR_EVAL` naming the operation and the size, and the library
//! keeps working afterwards.

mod common;

use blaze_capi::*;
use common::tensor;
use std::ffi::{CStr, CString};

fn ok(s: BlazeStatus, what: &str) {
    assert_eq!(s, BlazeStatus::BLAZE_OK, "{what}: {}", message());
}

fn message() -> String {
    // SAFETY: the library's thread-local message, valid until the next call.
    unsafe { CStr::from_ptr(blaze_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Compiles `expr` over `a: N * float64` and `b: M * float64`.
fn kernel(ctx: *mut BlazeContext, expr: &str) -> *mut BlazeKernel {
    let names = [c"a".as_ptr(), c"b".as_ptr()];
    let types = [c"N * float64".as_ptr(), c"M * float64".as_ptr()];
    let expr = CString::new(expr).unwrap();
    let mut k = std::ptr::null_mut();
    ok(
        blaze_compile_expr(
            ctx,
            expr.as_ptr(),
            names.as_ptr(),
            types.as_ptr(),
            2,
            &mut k,
        ),
        "compile",
    );
    k
}

#[test]
fn an_outer_product_too_large_is_an_error_status() {
    // Two vectors of a million elements: their outer product needs 7.3 TiB.
    const N: usize = 1_000_000;
    let mut a = vec![1.0f64; N];
    let mut b = vec![2.0f64; N];
    let (mut sa, mut sb) = ([N as i64], [N as i64]);
    let ta = tensor(a.as_mut_ptr(), &mut sa);
    let tb = tensor(b.as_mut_ptr(), &mut sb);
    let inputs = [&ta as *const DLTensor, &tb as *const DLTensor];
    let mut ctx = std::ptr::null_mut();
    ok(blaze_context_create(&mut ctx), "context");
    let k = kernel(ctx, "forall i, j: a[i] * b[j]");

    let mut out: *mut DLManagedTensor = std::ptr::null_mut();
    let s = blaze_kernel_call_alloc(k, inputs.as_ptr(), 2, &mut out, 1);
    assert_eq!(s, BlazeStatus::BLAZE_ERR_EVAL, "{}", message());
    assert!(out.is_null());
    let m = message();
    assert!(
        m.contains("the result of forall i, j needs 7.3 TiB"),
        "message: {m}"
    );
    assert!(!m.contains('\n'), "one line: {m}");

    // The same through the caller's output: refused before any work (the
    // caller's buffer is small; the shape check or the size check says so).
    let mut small = vec![0.0f64; 4];
    let mut so = [2i64, 2];
    let mut to = tensor(small.as_mut_ptr(), &mut so);
    let outs = [&mut to as *mut DLTensor];
    let s = blaze_kernel_call(k, inputs.as_ptr(), 2, outs.as_ptr(), 1);
    assert_ne!(s, BlazeStatus::BLAZE_OK);
    assert!(small.iter().all(|&x| x == 0.0), "nothing written");

    // The library still works: a small outer product.
    let (mut sa, mut sb) = ([3i64], [2i64]);
    let ta = tensor(a.as_mut_ptr(), &mut sa);
    let tb = tensor(b.as_mut_ptr(), &mut sb);
    let inputs = [&ta as *const DLTensor, &tb as *const DLTensor];
    ok(
        blaze_kernel_call_alloc(k, inputs.as_ptr(), 2, &mut out, 1),
        "small call",
    );
    assert!(!out.is_null());
    // SAFETY: a tensor blaze handed out, of 3 × 2 float64.
    let got = unsafe {
        let t = &(*out).dl_tensor;
        std::slice::from_raw_parts(t.data.cast::<f64>(), 6).to_vec()
    };
    assert_eq!(got, vec![2.0; 6]);
    ok(blaze_tensor_free(out), "free tensor");
    ok(blaze_kernel_free(k), "free kernel");
    ok(blaze_context_free(ctx), "free context");
}

#[test]
fn a_broadcast_too_large_is_an_error_status_in_the_interpreter_too() {
    const N: usize = 1_000_000;
    let mut a = vec![1.0f64; N];
    let mut b = vec![2.0f64; N];
    let (mut sa, mut sb) = ([N as i64], [N as i64]);
    let ta = tensor(a.as_mut_ptr(), &mut sa);
    let tb = tensor(b.as_mut_ptr(), &mut sb);
    let inputs = [&ta as *const DLTensor, &tb as *const DLTensor];
    let mut ctx = std::ptr::null_mut();
    ok(blaze_context_create(&mut ctx), "context");
    // The reference interpreter (engine 1).
    ok(blaze_context_set_engine(ctx, 1), "engine");
    let k = kernel(ctx, "forall i, j: a[i] * b[j]");
    let mut out: *mut DLManagedTensor = std::ptr::null_mut();
    let s = blaze_kernel_call_alloc(k, inputs.as_ptr(), 2, &mut out, 1);
    assert_eq!(s, BlazeStatus::BLAZE_ERR_EVAL, "{}", message());
    assert!(out.is_null());
    let m = message();
    assert!(
        m.contains("the result of forall i, j needs"),
        "message: {m}"
    );
    ok(blaze_kernel_free(k), "free kernel");
    ok(blaze_context_free(ctx), "free context");
}

/// The resident set size of this process (bytes), from `/proc/self/status`.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line["VmRSS:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// 10,000 distinct kernels compiled, called once and freed in a loop: the
/// kernel cache is bounded and freed kernels release their code, so the
/// memory levels off (a generous factor, not a timing).
#[test]
fn memory_levels_off_over_ten_thousand_distinct_kernels() {
    let Some(_) = rss() else {
        return; // no /proc: nothing to measure
    };
    let total: usize = std::env::var("BLAZE_TEST_COMPILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut ctx = std::ptr::null_mut();
    ok(blaze_context_create(&mut ctx), "context");
    let mut a = vec![1.0f64; 16];
    let mut b = vec![2.0f64; 16];
    let (mut sa, mut sb) = ([16i64], [16i64]);
    let ta = tensor(a.as_mut_ptr(), &mut sa);
    let tb = tensor(b.as_mut_ptr(), &mut sb);
    let inputs = [&ta as *const DLTensor, &tb as *const DLTensor];
    let mut marks: Vec<(usize, u64)> = Vec::new();
    let start = rss().unwrap_or(0);
    for i in 1..=total {
        // A distinct constant in every kernel: a distinct specialization.
        let k = kernel(ctx, &format!("a * {i}.5 + b"));
        let mut out: *mut DLManagedTensor = std::ptr::null_mut();
        ok(
            blaze_kernel_call_alloc(k, inputs.as_ptr(), 2, &mut out, 1),
            "call",
        );
        // SAFETY: a 16-element float64 tensor blaze handed out.
        let first = unsafe { *(*out).dl_tensor.data.cast::<f64>() };
        assert_eq!(first, i as f64 + 0.5 + 2.0);
        ok(blaze_tensor_free(out), "free tensor");
        ok(blaze_kernel_free(k), "free kernel");
        if [1_000, 2_000, 5_000, 10_000].contains(&i) || i == total {
            marks.push((i, rss().unwrap_or(0)));
        }
    }
    ok(blaze_context_free(ctx), "free context");
    let report: Vec<String> = marks
        .iter()
        .map(|(n, r)| format!("{n}: {:.1} MiB", *r as f64 / (1 << 20) as f64))
        .collect();
    eprintln!(
        "RSS from {:.1} MiB, after compiles {}",
        start as f64 / (1 << 20) as f64,
        report.join(", ")
    );
    if total < 10_000 {
        return;
    }
    let at = |n: usize| marks.iter().find(|(m, _)| *m == n).map_or(0, |(_, r)| *r);
    // From 1,000 compiles on the cache is full. Linear growth would make
    // the growth from 2,000 to 10,000 eight times that from 1,000 to 2,000;
    // allow three times (plus 16 MiB of allocator slack).
    let per_thousand = at(2_000).saturating_sub(at(1_000));
    let later = at(10_000).saturating_sub(at(2_000));
    assert!(
        later <= 3 * per_thousand + (16 << 20),
        "memory keeps growing: {}",
        report.join(", ")
    );
}

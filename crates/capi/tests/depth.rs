//! `blaze_compile` on a thread with a 256 KiB stack: deep programs are
//! `BLAZE_ERR_COMPILE`, programs within the nesting limit and long chains
//! compile, and nothing overflows the caller's stack.

use blaze_capi::*;
use std::ffi::{CStr, CString};

const SMALL_STACK: usize = 256 * 1024;

/// Compiles `src` on a thread with a 256 KiB stack: the status and the last
/// error message.
fn compile_on_small_stack(src: String) -> (BlazeStatus, String) {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(move || {
            let src = CString::new(src).expect("no NUL in the source");
            let mut ctx = std::ptr::null_mut();
            assert_eq!(blaze_context_create(&mut ctx), BlazeStatus::BLAZE_OK);
            let mut module = std::ptr::null_mut();
            let status = blaze_compile(ctx, src.as_ptr(), &mut module);
            let message = unsafe { CStr::from_ptr(blaze_last_error_message()) }
                .to_string_lossy()
                .into_owned();
            if status == BlazeStatus::BLAZE_OK {
                assert_eq!(blaze_module_free(module), BlazeStatus::BLAZE_OK);
            }
            assert_eq!(blaze_context_free(ctx), BlazeStatus::BLAZE_OK);
            (status, message)
        })
        .expect("spawn a thread")
        .join()
        .expect("the thread finishes without a panic or overflow")
}

fn nested(n: usize) -> String {
    format!(
        "def f(x: N * float64) = {}x + 1{}",
        "(".repeat(n),
        ")".repeat(n)
    )
}

#[test]
fn ten_levels_compile() {
    let (status, message) = compile_on_small_stack(nested(10));
    assert_eq!(status, BlazeStatus::BLAZE_OK, "{message}");
}

#[test]
fn nesting_at_the_limit_compiles() {
    let (status, message) = compile_on_small_stack(nested(255));
    assert_eq!(status, BlazeStatus::BLAZE_OK, "{message}");
}

#[test]
fn deep_nesting_is_a_compile_error() {
    for n in [400, 5_000, 100_000] {
        let (status, message) = compile_on_small_stack(nested(n));
        assert_eq!(status, BlazeStatus::BLAZE_ERR_COMPILE, "{n} levels");
        assert!(message.contains("nesting deeper than 256"), "{message}");
    }
    let records = format!("{}int32{}", "{a: ".repeat(5_000), "}".repeat(5_000));
    let (status, message) = compile_on_small_stack(format!("def f(x: N * {records}) = x"));
    assert_eq!(status, BlazeStatus::BLAZE_ERR_COMPILE);
    assert!(message.contains("nesting deeper than 256"), "{message}");
}

#[test]
fn a_long_chain_compiles() {
    let chain = vec!["x"; 30_000].join(" + ");
    let (status, message) = compile_on_small_stack(format!("def f(x: N * float64) = {chain}"));
    assert_eq!(status, BlazeStatus::BLAZE_OK, "{message}");
}

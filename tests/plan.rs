//! Data-driven tests of the physical plan: every `*.test` file under
//! `tests/data/plan/` goes through the shared runner (`tests/filetest`).
//! A `plan:` case is a function in the IR's printed form; its expectation
//! is what the JIT engine would run ([`blaze::runtime::exec::prepare`],
//! printed by its `Display`): fused kernels with their keys, BLAS/LAPACK
//! calls, and the operations left to the reference kernels. Run with
//! `BLESS=1` to rewrite the expectations (then review the diff).

mod filetest;

use blaze::ir::{parse_function, verify};
use blaze::runtime::exec::prepare;

#[test]
fn plan_files() {
    filetest::run_dir("plan", |text| {
        filetest::run_blocks(text, &[("plan", &|src| plan(src))])
    });
}

/// The printed plan of the function written in `src`, or what went wrong.
fn plan(src: &str) -> Result<String, String> {
    let f = parse_function(src).map_err(|e| format!("the input does not parse: {e}"))?;
    verify(&f).map_err(|e| format!("the input does not verify: {e}"))?;
    Ok(prepare(&f).to_string())
}

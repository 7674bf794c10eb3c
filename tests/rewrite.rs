//! Data-driven tests of the IR passes: every `*.test` file under
//! `tests/data/rewrite/` goes through the shared runner (`tests/filetest`).
//! The format is described in `tests/data/rewrite/README.md`. Run with
//! `BLESS=1` to rewrite the expectations from the current behaviour (then
//! review the diff).
//!
//! Every input must parse and verify, and every output must verify and
//! read back from its printed form; otherwise the case's expectation is a
//! `!!` line naming what failed.

mod filetest;

use blaze::ir::analysis::prune;
use blaze::ir::rewrite::rewrite;
use blaze::ir::{parse_function, verify, Function};

#[test]
fn rewrite_files() {
    filetest::run_dir("rewrite", |text| {
        filetest::run_blocks(
            text,
            &[
                ("rewrite", &|src| pass(src, |f| rewrite(&f))),
                ("prune", &|src| pass(src, prune)),
            ],
        )
    });
}

/// The printed result of `run` on the function written in `src`, or what
/// went wrong.
fn pass(src: &str, run: impl Fn(Function) -> Function) -> Result<String, String> {
    let f = parse_function(src).map_err(|e| format!("the input does not parse: {e}"))?;
    verify(&f).map_err(|e| format!("the input does not verify: {e}"))?;
    let g = run(f);
    verify(&g).map_err(|e| format!("the result does not verify: {e}"))?;
    let text = g.to_string();
    match parse_function(&text) {
        Ok(back) if back == g => Ok(text),
        Ok(_) => Err(format!("the result does not read back:\n{text}")),
        Err(e) => Err(format!("the printed result does not parse: {e}\n{text}")),
    }
}

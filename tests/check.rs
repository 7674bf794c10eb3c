//! Data-driven type-inference tests: every `*.test` file under
//! `tests/data/check/` goes through [`check_file`] (the runner is
//! `tests/filetest`). The format is described
//! in `tests/data/check/README.md`. Run with `BLESS=1` to rewrite the
//! expectations from the current behaviour (then review the diff).
//!
//! Besides the printed expectations, every successfully checked function
//! must pass `blaze::ir::verify`, and printing it (and its program) must not
//! panic; a failure of either is written into the file as a `!!` line, so it
//! shows up as a difference.

use blaze::datashape::{parse, Datashape};
use blaze::ir::{compile_expression, compile_module, verify, Function};
use blaze::syntax::Diagnostic;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};

mod filetest;

use filetest::{block_source, caret_at, command, skip_expectations, take_block, PREFIX};

const COMMANDS: [&str; 3] = ["arg", "expr", "module"];

#[test]
fn check_files() {
    filetest::run_dir("check", check_file);
}

/// Runs one file; returns the file as it should read given the actual
/// results, and the number of cases (`expr:` and `module:` commands) run.
fn check_file(text: &str) -> (String, usize) {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    let mut cases = 0;
    // The argument list of the next `expr:`; `args_done` is set once an
    // `expr:`/`module:` used it, so the next `arg:` starts a new list.
    let mut args: Vec<(String, Datashape)> = Vec::new();
    let mut args_done = false;
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let Some((cmd, src)) = command(line, &COMMANDS) else {
            continue;
        };
        match cmd {
            "arg" => {
                skip_expectations(&mut lines);
                if args_done {
                    args.clear();
                    args_done = false;
                }
                if let Err(e) = add_arg(src, &mut args) {
                    out.push_str(&e);
                }
            }
            "expr" => {
                cases += 1;
                args_done = true;
                skip_expectations(&mut lines);
                out.push_str(&run_expr(src, &args));
            }
            "module" if src.trim().is_empty() => {
                // The block form: the source is the following lines indented
                // by PREFIX spaces; old caret lines inside it are dropped.
                cases += 1;
                args_done = true;
                let (block, trailing) = take_block(&mut lines);
                if trailing == 0 {
                    skip_expectations(&mut lines);
                }
                out.push_str(&run_block(&block, &block_source(&block)));
                out.push_str(&"\n".repeat(trailing));
            }
            "module" => {
                cases += 1;
                args_done = true;
                skip_expectations(&mut lines);
                out.push_str(&match compile_module(src) {
                    Ok(p) => program_lines(&p),
                    Err(e) => caret(src, &e),
                });
            }
            _ => unreachable!("command() only returns known commands"),
        }
    }
    (out, cases)
}

/// `NAME = DATASHAPE`: adds (or replaces) an argument; an error is the
/// expectation text to write under the line.
fn add_arg(src: &str, args: &mut Vec<(String, Datashape)>) -> Result<(), String> {
    let Some((name, ty)) = src.split_once('=') else {
        return Err("!! an argument is written `NAME = DATASHAPE`\n".to_string());
    };
    let name = name.trim().to_string();
    let offset = src.len() - ty.trim_start().len();
    match parse(ty.trim()) {
        Ok(ds) => {
            args.retain(|(n, _)| *n != name);
            args.push((name, ds));
            Ok(())
        }
        Err(e) => {
            let start = offset + e.span.start;
            let end = offset + e.span.end;
            Err(caret_at(
                src,
                start,
                end,
                &format!("{}: {}", e.kind, e.message),
            ))
        }
    }
}

fn run_expr(src: &str, args: &[(String, Datashape)]) -> String {
    match compile_expression(src, args) {
        Ok(f) => {
            let mut s = String::new();
            if let Some(problem) = ir_problem(&f) {
                let _ = writeln!(s, "!! {problem}");
            }
            let _ = writeln!(s, "=> {}", f.result_type());
            s
        }
        Err(e) => caret(src, &e),
    }
}

/// `=> name: (params) -> type` per definition, after the IR checks.
fn program_lines(p: &blaze::ir::Program) -> String {
    let mut s = String::new();
    for f in &p.functions {
        if let Some(problem) = ir_problem(f) {
            let _ = writeln!(s, "!! {}: {problem}", f.name);
        }
    }
    if catch_unwind(AssertUnwindSafe(|| p.to_string())).is_err() {
        let _ = writeln!(s, "!! printing the program panics");
    }
    if p.functions.is_empty() {
        let _ = writeln!(s, "=> no definitions");
    }
    for f in &p.functions {
        let ps: Vec<String> = f.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        let _ = writeln!(
            s,
            "=> {}: ({}) -> {}",
            f.name,
            ps.join(", "),
            f.result_type()
        );
    }
    s
}

/// Why the IR of a checked function is not acceptable, if it is not.
fn ir_problem(f: &Function) -> Option<String> {
    if let Err(m) = verify(f) {
        return Some(format!("the IR does not verify: {m}"));
    }
    match catch_unwind(AssertUnwindSafe(|| f.to_string())) {
        Ok(text) if text.is_empty() => Some("the IR prints as nothing".to_string()),
        Ok(_) => None,
        Err(_) => Some("printing the IR panics".to_string()),
    }
}

/// A block module: its lines again, with the caret line under the line where
/// the error starts, then the expectations.
fn run_block(block: &[&str], source: &str) -> String {
    let mut s = String::new();
    match compile_module(source) {
        Ok(p) => {
            for l in block {
                let _ = writeln!(s, "{l}");
            }
            s.push_str(&program_lines(&p));
        }
        Err(e) => {
            let mut line_start = 0;
            let mut placed = false;
            for l in block {
                let _ = writeln!(s, "{l}");
                let text = l.get(PREFIX..).unwrap_or("");
                let line_end = line_start + text.len();
                if !placed && e.span.start <= line_end {
                    let start = e.span.start - line_start;
                    let end = e.span.end.min(line_end).max(e.span.start) - line_start;
                    s.push_str(&caret_at(
                        text,
                        start,
                        end,
                        &format!("{}: {}", e.code, e.message),
                    ));
                    placed = true;
                }
                line_start = line_end + 1;
            }
            if !placed {
                let _ = writeln!(
                    s,
                    "!! {}..{}: {}: {}",
                    e.span.start, e.span.end, e.code, e.message
                );
            }
        }
    }
    s
}

/// The caret line under a one-line source and the code and message.
fn caret(src: &str, e: &Diagnostic) -> String {
    caret_at(
        src,
        e.span.start,
        e.span.end,
        &format!("{}: {}", e.code, e.message),
    )
}

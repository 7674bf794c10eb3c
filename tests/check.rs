//! Data-driven type-inference tests: every `*.test` file under
//! `tests/data/check/` goes through [`check_file`]. The format is described
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
use std::path::{Path, PathBuf};

/// Width of the `xxxx: ` prefix before the source text on a command line,
/// and the indentation of the lines of a `module:` block.
const PREFIX: usize = 8;

#[test]
fn check_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/data/check exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let mut cases = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable test file");
        let (out, n) = check_file(&text);
        cases += n;
        if out != text {
            if bless {
                std::fs::write(file, &out).expect("writable test file");
            } else {
                failures.push(format!("{}:\n{}", file.display(), diff(&text, &out)));
            }
        }
    }
    assert!(cases > 0, "no test cases found");
    assert!(
        failures.is_empty(),
        "{} file(s) differ (BLESS=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
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
        let Some((cmd, src)) = command(line) else {
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
                let mut block: Vec<&str> = Vec::new();
                while let Some(next) = lines.peek() {
                    if is_caret_line(next) {
                        lines.next();
                    } else if next.trim().is_empty()
                        || (next.len() > PREFIX && next[..PREFIX].trim().is_empty())
                    {
                        block.push(lines.next().unwrap_or_default());
                    } else {
                        break;
                    }
                }
                // Blank lines at the end belong to the file, not the block.
                let mut trailing = 0;
                while block.last().is_some_and(|l| l.trim().is_empty()) {
                    block.pop();
                    trailing += 1;
                }
                if trailing == 0 {
                    skip_expectations(&mut lines);
                }
                let source: String = block
                    .iter()
                    .map(|l| format!("{}\n", l.get(PREFIX..).unwrap_or("")))
                    .collect();
                out.push_str(&run_block(&block, &source));
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

fn skip_expectations<'a>(lines: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>) {
    while let Some(next) = lines.peek() {
        if next.starts_with("=> ") || next.starts_with("!! ") || is_caret_line(next) {
            lines.next();
        } else {
            break;
        }
    }
}

fn command(line: &str) -> Option<(&str, &str)> {
    for cmd in ["arg", "expr", "module"] {
        let prefix = format!("{cmd}:");
        if let Some(rest) = line.strip_prefix(&prefix) {
            if rest.trim().is_empty() {
                return Some((cmd, ""));
            }
            let pad = PREFIX - prefix.len();
            if rest.len() >= pad && rest[..pad].chars().all(|c| c == ' ') {
                return Some((cmd, &rest[pad..]));
            }
        }
    }
    None
}

fn is_caret_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('^') && line.starts_with(' ')
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

/// A caret line under bytes `start..end` of `src` (written after the
/// PREFIX), then `text`.
fn caret_at(src: &str, start: usize, end: usize, text: &str) -> String {
    let col = src.get(..start).map_or(0, |p| p.chars().count());
    let width = src.get(start..end).map_or(1, |p| p.chars().count()).max(1);
    format!("{}{} {text}\n", " ".repeat(PREFIX + col), "^".repeat(width))
}

fn diff(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let n = e.len().max(a.len());
    for i in 0..n {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            let _ = writeln!(
                out,
                "  line {}:\n    expected: {}\n    actual:   {}",
                i + 1,
                x.unwrap_or(&"<none>"),
                y.unwrap_or(&"<none>")
            );
            if out.lines().count() > 60 {
                break;
            }
        }
    }
    out
}

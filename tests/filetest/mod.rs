//! The runner of blaze's file tests, shared by the test binaries that
//! include it with `mod filetest;`.
//!
//! A test directory `tests/data/<dir>/` holds `*.test` files. A file is a
//! list of commands (`name:` in the first columns, the source from column
//! 9 on, or a block of lines indented by 8 spaces after a `name:` line
//! alone) each followed by its expectation lines: `=> …` for results,
//! `!! …` for failures, and caret lines (`     ^^^ …`) under sources.
//! Everything else (comments, blank lines) is kept as it is.
//!
//! A binary gives [`run_dir`] a function that turns a file's text into the
//! text it should have given what the code does now (keeping every line
//! that is not an expectation, writing fresh expectations); the runner
//! compares the two and, with `BLESS=1` in the environment, writes the
//! fresh text over the file instead (review the diff before committing).
//! [`run_cases`] is such a function for files of independent commands
//! (one-line or block) whose expectations a closure writes; [`run_blocks`]
//! is the case of text in, text out (IR in, rewritten IR out; a plan's
//! text out), the result becoming `=>` lines and a failure `!!` lines.

#![allow(dead_code)] // each test binary uses part of the runner

use std::fmt::Write as _;
use std::iter::Peekable;
use std::path::{Path, PathBuf};

/// Width of the `xxxx: ` prefix before the source text on a command line,
/// and the indentation of the lines of a block.
pub const PREFIX: usize = 8;

/// Runs every `*.test` file of `tests/data/<dir>/` through `check`, which
/// returns the file as it should read and the number of cases it ran.
/// Fails when a file differs (or, with `BLESS=1`, rewrites it), when there
/// are no files or no cases.
pub fn run_dir(dir: &str, check: impl Fn(&str) -> (String, usize)) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let mut cases = 0;
    for file in &files {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let (out, n) = check(&text);
        cases += n;
        if out != text {
            if bless {
                std::fs::write(file, &out)
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
            } else {
                failures.push(format!("{}:\n{}", file.display(), diff(&text, &out)));
            }
        }
    }
    assert!(cases > 0, "no test cases found in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} file(s) differ (BLESS=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The command of `line` among `commands` and its source (from column 9;
/// empty when nothing follows the colon: a block command).
pub fn command<'a>(line: &'a str, commands: &[&'a str]) -> Option<(&'a str, &'a str)> {
    for cmd in commands {
        let Some(rest) = line
            .strip_prefix(*cmd)
            .and_then(|rest| rest.strip_prefix(':'))
        else {
            continue;
        };
        if rest.trim().is_empty() {
            return Some((cmd, ""));
        }
        let pad = PREFIX.saturating_sub(cmd.len() + 1);
        if rest.len() >= pad && rest[..pad].chars().all(|c| c == ' ') {
            return Some((cmd, &rest[pad..]));
        }
    }
    None
}

/// Whether `line` is a caret line (indented, starting with `^`).
pub fn is_caret_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('^') && line.starts_with(' ')
}

/// Whether `line` is an expectation: `=> …`, `!! …` (or either alone, an
/// empty result line) or a caret line.
pub fn is_expectation(line: &str) -> bool {
    line.starts_with("=> ")
        || line.starts_with("!! ")
        || line == "=>"
        || line == "!!"
        || is_caret_line(line)
}

/// Drops the expectation lines that follow a command.
pub fn skip_expectations<'a>(lines: &mut Peekable<impl Iterator<Item = &'a str>>) {
    while lines.next_if(|l| is_expectation(l)).is_some() {}
}

/// The lines of a block (indented by [`PREFIX`] spaces; blank lines inside
/// it belong to it) after a block command, taken from `lines`; caret lines
/// inside it are dropped. Returns the block's lines and how many blank
/// lines ended it (those belong to the file, not the block).
pub fn take_block<'a>(
    lines: &mut Peekable<impl Iterator<Item = &'a str>>,
) -> (Vec<&'a str>, usize) {
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
    let mut trailing = 0;
    while block.last().is_some_and(|l| l.trim().is_empty()) {
        block.pop();
        trailing += 1;
    }
    (block, trailing)
}

/// The source of a block: its lines without the indentation.
pub fn block_source(block: &[&str]) -> String {
    block
        .iter()
        .map(|l| format!("{}\n", l.get(PREFIX..).unwrap_or("")))
        .collect()
}

/// A caret line under bytes `start..end` of `src` (written after the
/// [`PREFIX`]), then `text`.
pub fn caret_at(src: &str, start: usize, end: usize, text: &str) -> String {
    let col = src.get(..start).map_or(0, |p| p.chars().count());
    let width = src.get(start..end).map_or(1, |p| p.chars().count()).max(1);
    format!("{}{} {text}\n", " ".repeat(PREFIX + col), "^".repeat(width))
}

/// `text` as expectation lines, each starting with `mark` (`=>` or `!!`).
pub fn expectation_lines(mark: &str, text: &str) -> String {
    let mut s = String::new();
    for l in text.lines() {
        if l.is_empty() {
            let _ = writeln!(s, "{mark}");
        } else {
            let _ = writeln!(s, "{mark} {l}");
        }
    }
    if text.is_empty() {
        let _ = writeln!(s, "{mark}");
    }
    s
}

/// One file of commands: each `name:` command among `commands` (its
/// source on the line, or a block of lines after it alone) is followed by
/// the expectation lines `run(name, source)` returns; old expectations are
/// dropped. Returns the file as it should read and the number of cases.
pub fn run_cases(
    text: &str,
    commands: &[&str],
    mut run: impl FnMut(&str, &str) -> String,
) -> (String, usize) {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    let mut cases = 0;
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let Some((cmd, src)) = command(line, commands) else {
            continue;
        };
        cases += 1;
        let (source, trailing) = if src.trim().is_empty() {
            let (block, trailing) = take_block(&mut lines);
            for l in &block {
                let _ = writeln!(out, "{l}");
            }
            (block_source(&block), trailing)
        } else {
            (src.to_string(), 0)
        };
        if trailing == 0 {
            skip_expectations(&mut lines);
        }
        out.push_str(&run(cmd, &source));
        out.push_str(&"\n".repeat(trailing));
    }
    (out, cases)
}

/// A command of [`run_blocks`]: its name and what it makes of a source.
pub type Run<'a> = (&'a str, &'a dyn Fn(&str) -> Result<String, String>);

/// [`run_cases`] for text in, text out: each command's source goes
/// through its closure; `Ok(text)` is written as `=>` lines, `Err(text)`
/// as `!!` lines.
pub fn run_blocks(text: &str, commands: &[Run]) -> (String, usize) {
    let names: Vec<&str> = commands.iter().map(|(n, _)| *n).collect();
    run_cases(text, &names, |cmd, source| {
        let Some((_, run)) = commands.iter().find(|(n, _)| *n == cmd) else {
            return format!("!! unknown command `{cmd}`\n");
        };
        match run(source) {
            Ok(t) => expectation_lines("=>", &t),
            Err(t) => expectation_lines("!!", &t),
        }
    })
}

/// The lines that differ between `expected` and `actual`, at most about 60.
pub fn diff(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    for i in 0..e.len().max(a.len()) {
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

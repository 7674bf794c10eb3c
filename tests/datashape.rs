//! Data-driven datashape tests: every `*.test` file under
//! `tests/data/datashape/` goes through [`check_file`]. The format is
//! described in `tests/data/datashape/README.md`. Run with `BLESS=1` to
//! rewrite the expectations from the current behaviour (then review the diff).

use blaze::datashape::{parse, parse_module, unify, Datashape, Error, TypeEnv, Unifier};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Width of the `xxxx: ` prefix before the source text on a command line.
const PREFIX: usize = 8;

#[test]
fn datashape_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/datashape");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/data/datashape exists")
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
/// results, and the number of cases run.
fn check_file(text: &str) -> (String, usize) {
    let mut env = TypeEnv::new();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    let mut cases = 0;
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let Some((cmd, src)) = command(line) else {
            continue;
        };
        cases += 1;
        // Drop the old expectation lines.
        while let Some(next) = lines.peek() {
            if next.starts_with("=> ") || next.starts_with("!! ") || is_caret_line(next) {
                lines.next();
            } else {
                break;
            }
        }
        out.push_str(&run(cmd, src, &mut env));
    }
    (out, cases)
}

fn command(line: &str) -> Option<(&str, &str)> {
    for cmd in ["ds", "def", "expand", "unify", "call"] {
        let prefix = format!("{cmd}:");
        if let Some(rest) = line.strip_prefix(&prefix) {
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

/// The expectation lines for one command.
fn run(cmd: &str, src: &str, env: &mut TypeEnv) -> String {
    // Sources are written on one line; `\n` stands for a line break.
    let src = src.replace("\\n", "\n");
    match cmd {
        "ds" | "expand" => match parse_module(&src, env) {
            Ok(m) => match m.datashape {
                Some(p) => {
                    let shown = if cmd == "expand" {
                        env.expand(&p.datashape)
                    } else {
                        p.datashape.clone()
                    };
                    roundtrip(&shown, env);
                    format!("=> {shown}\n")
                }
                None => "!! no datashape\n".to_string(),
            },
            Err(e) => caret(&src, &e),
        },
        "def" => match parse_module(&src, env) {
            Ok(m) => {
                let defs: Vec<String> = m
                    .defined
                    .iter()
                    .filter_map(|n| env.get(n).map(|d| d.to_string()))
                    .collect();
                format!("=> {}\n", defs.join("; "))
            }
            Err(e) => caret(&src, &e),
        },
        "unify" | "call" => {
            let parts: Vec<&str> = src.split(" | ").collect();
            let mut parsed: Vec<Datashape> = Vec::new();
            for p in &parts {
                match parse_module(p, env) {
                    Ok(m) => match m.datashape {
                        Some(d) => parsed.push(d.datashape),
                        None => return "!! no datashape\n".to_string(),
                    },
                    Err(e) => return format!("!! parse error in `{p}`: {}\n", e.message),
                }
            }
            let result = if cmd == "unify" {
                if parsed.len() != 2 {
                    return "!! unify takes `A | B`\n".to_string();
                }
                let r = unify(&parsed[0], &parsed[1], env);
                // Unification is symmetric up to the order of error positions.
                let back = unify(&parsed[1], &parsed[0], env);
                match (&r, &back) {
                    (Ok(x), Ok(y)) if x != y => {
                        return format!("!! not symmetric: {x} vs {y}\n");
                    }
                    (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
                        return "!! not symmetric: one order fails\n".to_string();
                    }
                    _ => {}
                }
                r
            } else {
                let mut u = Unifier::new(env);
                u.unify_call(&parsed[0].measure, &parsed[1..])
            };
            match result {
                Ok(ds) => format!("=> {ds}\n"),
                Err(e) => format!("!! {}: {}\n", e.kind, e.message),
            }
        }
        _ => unreachable!("command() only returns known commands"),
    }
}

/// `parse(print(x)) == x` for every datashape the files produce.
fn roundtrip(ds: &Datashape, env: &TypeEnv) {
    let text = ds.to_string();
    let mut scratch = env.clone();
    let back = parse_module(&text, &mut scratch)
        .unwrap_or_else(|e| panic!("canonical text `{text}` does not parse: {}", e.message))
        .datashape
        .map(|p| p.datashape);
    assert_eq!(back.as_ref(), Some(ds), "`{text}` does not round-trip");
    if env.is_empty() {
        assert_eq!(parse(&text).ok().as_ref(), Some(ds));
    }
}

/// The caret line under the source (aligned with the command's prefix) and
/// the error kind and message.
fn caret(src: &str, e: &Error) -> String {
    let mut s = String::new();
    if src.contains('\n') {
        let _ = writeln!(
            s,
            "!! {} at {}..{}: {}",
            e.kind, e.span.start, e.span.end, e.message
        );
        return s;
    }
    let start = src.get(..e.span.start).map_or(0, |p| p.chars().count());
    let width = src
        .get(e.span.start..e.span.end)
        .map_or(1, |p| p.chars().count())
        .max(1);
    let _ = writeln!(
        s,
        "{}{} {}: {}",
        " ".repeat(PREFIX + start),
        "^".repeat(width),
        e.kind,
        e.message
    );
    s
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
            if out.lines().count() > 30 {
                break;
            }
        }
    }
    out
}

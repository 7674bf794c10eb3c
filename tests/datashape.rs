//! Data-driven datashape tests: every `*.test` file under
//! `tests/data/datashape/` goes through [`check_file`] (the runner is
//! `tests/filetest`). The format is
//! described in `tests/data/datashape/README.md`. Run with `BLESS=1` to
//! rewrite the expectations from the current behaviour (then review the diff).

use blaze::datashape::{parse, parse_module, unify, Datashape, Error, TypeEnv, Unifier};

mod filetest;

use filetest::caret_at;

#[test]
fn datashape_files() {
    filetest::run_dir("datashape", check_file);
}

/// Runs one file; returns the file as it should read given the actual
/// results, and the number of cases run.
fn check_file(text: &str) -> (String, usize) {
    let mut env = TypeEnv::new();
    filetest::run_cases(text, &COMMANDS, |cmd, src| run(cmd, src, &mut env))
}

const COMMANDS: [&str; 5] = ["ds", "def", "expand", "unify", "call"];

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
    if src.contains('\n') {
        return format!(
            "!! {} at {}..{}: {}\n",
            e.kind, e.span.start, e.span.end, e.message
        );
    }
    caret_at(
        src,
        e.span.start,
        e.span.end,
        &format!("{}: {}", e.kind, e.message),
    )
}

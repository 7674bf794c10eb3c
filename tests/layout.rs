//! The layout of the source tree, checked: no non-test source file is over
//! 1,000 lines (a file holds one concept), and within each crate no two
//! modules import each other, directly or around a longer cycle.
//!
//! A module's imports are its `use` declarations and the `crate::…`,
//! `super::…` paths in its code. A parent's `mod` declarations and its
//! `pub use` re-exports of its children's items are its interface, not
//! imports, so a child may use its parent's items.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 1000;

/// The source roots of the workspace's crates.
fn crate_roots() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![root.join("src"), root.join("runtime/src")];
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/ is readable")
        .map(|e| e.expect("a directory entry").path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    crates.sort();
    roots.extend(crates);
    roots
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a readable source directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Test-only files: `tests.rs`, or anything under a `tests/` directory.
fn is_test_file(root: &Path, file: &Path) -> bool {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.components().any(|c| c.as_os_str() == "tests")
        || rel.file_name().is_some_and(|n| n == "tests.rs")
}

/// The module path of a file below its crate root: `lib.rs` → `[]`,
/// `exec/mod.rs` → `[exec]`, `exec/run.rs` → `[exec, run]`.
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).expect("a file below its root");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "lib" | "main" | "mod") {
        parts.push(stem.to_string());
    }
    parts
}

/// Code without comments and string literals (good enough for paths).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal (a lifetime has no closing quote).
            i += if b[i + 1] == b'\\' { 3 } else { 2 };
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else if b[i..].starts_with(b"r#\"") || b[i..].starts_with(b"r\"") {
            let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            i += 2 + hashes;
            while i < b.len() && !b[i..].starts_with(&close) {
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or("").trim().to_string()];
    };
    let prefix = tree[..open].trim();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// Where the `use` declaration of a statement starts, and whether it is a
/// re-export (`pub use`, `pub(crate) use`).
fn use_start(stmt: &str) -> Option<(usize, bool)> {
    for (p, _) in stmt.match_indices("use ") {
        let before = stmt[..p].trim_end();
        let reexport = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let bare = before.is_empty() || before.ends_with(['{', '}', ']', ';']);
        if bare || reexport {
            return Some((p, reexport));
        }
    }
    None
}

/// The paths a file imports, as written: its `use` declarations (not its
/// re-exports) and the `crate::`/`super::` paths in its code.
fn imported_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = String::with_capacity(code.len());
    for stmt in code.split(';') {
        match use_start(stmt) {
            Some((p, true)) => rest.push_str(&stmt[..p]),
            Some((p, false)) => paths.extend(expand(&stmt[p + 4..])),
            None => rest.push_str(stmt),
        }
        rest.push(';');
    }
    for prefix in ["crate::", "super::"] {
        for (i, _) in rest.match_indices(prefix) {
            let prev = rest[..i].chars().next_back();
            if prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let end = rest[i..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(rest.len(), |e| i + e);
            paths.push(rest[i..end].to_string());
        }
    }
    paths
}

/// The module of the crate a path names (the longest module prefix), if it
/// names one of this crate's modules.
fn resolve(path: &str, here: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let segs: Vec<&str> = path
        .split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let first = *segs.first()?;
    // The module whose scope the path is resolved in: a file `a/b.rs`
    // (module `a::b`) sees `super` as `a`.
    let mut base: Vec<String> = match first {
        "crate" => Vec::new(),
        "self" => here.to_vec(),
        "super" => {
            let mut b = here.to_vec();
            b.pop();
            b
        }
        child => {
            let mut b = here.to_vec();
            b.push(child.to_string());
            if !modules.contains(&b) {
                return None; // an outside crate, or an item in scope
            }
            b.pop();
            b
        }
    };
    let rest = if matches!(first, "crate" | "self" | "super") {
        let mut k = 1;
        while segs.get(k) == Some(&"super") {
            base.pop();
            k += 1;
        }
        &segs[k..]
    } else {
        &segs[..]
    };
    let mut best = base.clone();
    for s in rest {
        base.push(s.to_string());
        if modules.contains(&base) {
            best = base.clone();
        } else {
            break;
        }
    }
    Some(best)
}

#[test]
fn no_source_file_is_over_1000_lines() {
    let mut long = Vec::new();
    for root in crate_roots() {
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        for f in files {
            if is_test_file(&root, &f) {
                continue;
            }
            let n = std::fs::read_to_string(&f)
                .expect("readable")
                .lines()
                .count();
            if n > MAX_LINES {
                long.push(format!("{} ({n} lines)", f.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split them by concept): {long:#?}"
    );
}

#[test]
fn no_module_import_cycle_within_a_crate() {
    let mut cycles = Vec::new();
    for root in crate_roots() {
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        let files: Vec<PathBuf> = files
            .into_iter()
            .filter(|f| !is_test_file(&root, f))
            .collect();
        let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&root, f)).collect();
        let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for f in &files {
            let here = module_of(&root, f);
            let code = code_of(&std::fs::read_to_string(f).expect("readable"));
            for p in imported_paths(&code) {
                let Some(to) = resolve(&p, &here, &modules) else {
                    continue;
                };
                // A module's own items, and its ancestors' (the crate root's
                // re-exports included), are not an import of a sibling.
                if to == here || here.starts_with(&to) {
                    continue;
                }
                edges.entry(here.clone()).or_default().insert(to);
            }
        }
        // A parent depends on its children only through what it uses of
        // them; a child reaching up to its parent is not a cycle by itself.
        let name = |m: &Vec<String>| {
            if m.is_empty() {
                "<root>".to_string()
            } else {
                m.join("::")
            }
        };
        // Depth-first search for a back edge.
        let mut state: BTreeMap<Vec<String>, u8> = BTreeMap::new();
        fn dfs(
            m: &Vec<String>,
            edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
            state: &mut BTreeMap<Vec<String>, u8>,
            stack: &mut Vec<Vec<String>>,
            found: &mut Vec<Vec<Vec<String>>>,
        ) {
            state.insert(m.clone(), 1);
            stack.push(m.clone());
            for n in edges.get(m).into_iter().flatten() {
                match state.get(n).copied().unwrap_or(0) {
                    0 => dfs(n, edges, state, stack, found),
                    1 => {
                        let at = stack.iter().position(|x| x == n).unwrap_or(0);
                        found.push(stack[at..].to_vec());
                    }
                    _ => {}
                }
            }
            stack.pop();
            state.insert(m.clone(), 2);
        }
        let mut found = Vec::new();
        for m in &modules {
            if state.get(m).copied().unwrap_or(0) == 0 {
                dfs(m, &edges, &mut state, &mut Vec::new(), &mut found);
            }
        }
        for c in found {
            let names: Vec<String> = c.iter().map(name).collect();
            cycles.push(format!("{}: {}", root.display(), names.join(" → ")));
        }
    }
    assert!(cycles.is_empty(), "module import cycles: {cycles:#?}");
}

#[test]
fn the_path_expansion_reads_nested_use_trees() {
    assert_eq!(
        expand("super::{a::{B, c}, d as e}"),
        vec!["super::a::B", "super::a::c", "super::d"]
    );
    let code =
        code_of("use crate::x::Y; // use crate::z;\npub use a::B;\nfn f() { crate::w::g(); }");
    assert_eq!(imported_paths(&code), vec!["crate::x::Y", "crate::w::g"]);
}

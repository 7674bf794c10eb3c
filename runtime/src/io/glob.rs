//! File-name patterns: `*` (any run of characters within a path
//! component), `?` (one character), `[...]` (one of a set, with ranges
//! `a-z` and negation `[!...]` or `[^...]`) and `**` (a whole component:
//! zero or more directories). Matches come in natural order, component
//! by component (`measurement2` before `measurement10`); hidden names
//! (starting with `.`) match only a pattern that starts with `.` too.
//!
//! Each match remembers the names its wildcard components matched (its
//! *levels*), which is how files are grouped when a glob is stacked.

use super::{IoError, IoErrorKind};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// Whether `text` has a wildcard character (`*`, `?` or `[`).
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// A file a pattern matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// The file.
    pub path: PathBuf,
    /// The path up to each wildcard component, in order (the groups it
    /// belongs to); empty for a component under `**`.
    pub levels: Vec<PathBuf>,
}

/// The number of wildcard components of `pattern`, or `None` when it has
/// `**` (whose depth varies from file to file).
pub fn levels(pattern: &str) -> Option<usize> {
    let parts: Vec<&str> = pattern.split('/').collect();
    if parts.contains(&"**") {
        return None;
    }
    Some(parts.iter().filter(|p| is_pattern(p)).count())
}

/// The regular files (and Zarr arrays) `pattern` matches, in natural
/// order; no match is an error naming the pattern.
pub fn expand(pattern: &str) -> Result<Vec<Match>, IoError> {
    let here = Path::new(pattern);
    let (root, rest) = match pattern.strip_prefix('/') {
        Some(r) => (PathBuf::from("/"), r),
        None => (PathBuf::new(), pattern),
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let mut out = Vec::new();
    walk(here, &root, &parts, Vec::new(), &mut out)?;
    if out.is_empty() {
        return Err(IoError::format(
            here,
            IoErrorKind::Request,
            "no file matches this pattern",
        ));
    }
    Ok(out)
}

/// Matches of `parts` under `dir` (the empty path is the current
/// directory), appended to `out` in natural order.
fn walk(
    pattern: &Path,
    dir: &Path,
    parts: &[&str],
    levels: Vec<PathBuf>,
    out: &mut Vec<Match>,
) -> Result<(), IoError> {
    let Some((part, rest)) = parts.split_first() else {
        // Regular files, and Zarr arrays (directories with their metadata).
        let zarr =
            dir.is_dir() && (dir.join("zarr.json").is_file() || dir.join(".zarray").is_file());
        if dir.is_file() || zarr {
            out.push(Match {
                path: dir.to_path_buf(),
                levels,
            });
        }
        return Ok(());
    };
    if *part == "**" {
        // Zero directories, then every directory below, in natural order.
        walk(pattern, dir, rest, levels.clone(), out)?;
        for (name, path) in entries(pattern, dir)? {
            if path.is_dir() && !name.starts_with('.') {
                walk(pattern, &path, parts, levels.clone(), out)?;
            }
        }
        return Ok(());
    }
    if !is_pattern(part) {
        return walk(pattern, &dir.join(part), rest, levels, out);
    }
    let chars: Vec<char> = part.chars().collect();
    for (name, path) in entries(pattern, dir)? {
        if name.starts_with('.') && !part.starts_with('.') {
            continue;
        }
        let name: Vec<char> = name.chars().collect();
        if matches(&chars, &name) {
            let mut l = levels.clone();
            l.push(path.clone());
            walk(pattern, &path, rest, l, out)?;
        }
    }
    Ok(())
}

/// The entries of `dir` (names that are UTF-8), in natural order; a
/// directory that does not exist has none.
fn entries(pattern: &Path, dir: &Path) -> Result<Vec<(String, PathBuf)>, IoError> {
    let at = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if !at.is_dir() {
        return Ok(Vec::new());
    }
    let read = std::fs::read_dir(at).map_err(|e| {
        IoError::os(
            pattern,
            format!("listing {} for this pattern", at.display()),
            e,
        )
    })?;
    let mut names = Vec::new();
    for entry in read {
        let entry = entry.map_err(|e| {
            IoError::os(
                pattern,
                format!("listing {} for this pattern", at.display()),
                e,
            )
        })?;
        if let Ok(name) = entry.file_name().into_string() {
            let path = dir.join(&name);
            names.push((name, path));
        }
    }
    names.sort_by(|a, b| natural(&a.0, &b.0));
    Ok(names)
}

/// Whether `name` matches the component pattern `pat` (`*`, `?`, `[...]`).
fn matches(pat: &[char], name: &[char]) -> bool {
    // Iterative matching with one backtracking point for the last `*`.
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pat.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some('?') => Some(p + 1),
            Some('[') => class(pat, p, name[n]),
            Some(c) if *c == name[n] => Some(p + 1),
            _ => None,
        };
        match step {
            Some(next) => {
                p = next;
                n += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|&c| c == '*')
}

/// The `[...]` class at `pat[at]` against `c`: the position after the
/// class when `c` is in it; `None` when it is not. An unclosed `[` is a
/// literal `[`.
fn class(pat: &[char], at: usize, c: char) -> Option<usize> {
    let mut i = at + 1;
    let negate = matches!(pat.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let start = i;
    let mut hit = false;
    loop {
        let Some(&x) = pat.get(i) else {
            // Unclosed: a literal `[`.
            return (c == '[').then_some(at + 1);
        };
        if x == ']' && i > start {
            break;
        }
        if pat.get(i + 1) == Some(&'-') && pat.get(i + 2).is_some_and(|&y| y != ']') {
            let y = pat[i + 2];
            hit |= x <= c && c <= y;
            i += 3;
        } else {
            hit |= x == c;
            i += 1;
        }
    }
    (hit != negate).then_some(i + 1)
}

/// Natural order: runs of digits compare as numbers, the rest by code
/// point; ties by the plain text, so the order is total.
pub fn natural(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        match (x.chars().next(), y.chars().next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let (dx, rx) = split_digits(x);
                let (dy, ry) = split_digits(y);
                let (tx, ty) = (dx.trim_start_matches('0'), dy.trim_start_matches('0'));
                let o = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if o != Ordering::Equal {
                    return o;
                }
                (x, y) = (rx, ry);
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(&d);
                }
                (x, y) = (&x[c.len_utf8()..], &y[d.len_utf8()..]);
            }
        }
    }
}

fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        let p: Vec<char> = p.chars().collect();
        let n: Vec<char> = n.chars().collect();
        matches(&p, &n)
    }

    #[test]
    fn components_match_like_the_shell() {
        assert!(m("*.csv", "a.csv") && m("*.csv", ".csv") && !m("*.csv", "a.csvx"));
        assert!(m("m?.npy", "m1.npy") && !m("m?.npy", "m10.npy"));
        assert!(m("m[0-9]*", "m7x") && !m("m[!0-9]*", "m7x") && m("m[^0-9]", "mx"));
        assert!(m("a*b*c", "aXbYbc") && !m("a*b*c", "aXbY"));
        assert!(m("[]]", "]") && m("x[", "x[") && !m("x[", "x"));
        assert!(m("*", "") && m("**", "abc"));
    }

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        let mut v = vec!["m10", "m2", "m1", "m02", "a", "m1b", "m"];
        v.sort_by(|a, b| natural(a, b));
        assert_eq!(v, ["a", "m", "m1", "m1b", "m02", "m2", "m10"]);
        assert_eq!(
            natural("x99999999999999999999999", "x100000000000000000000000"),
            Ordering::Less
        );
    }

    #[test]
    fn levels_count_wildcard_components() {
        assert_eq!(levels("d/*/*.npy"), Some(2));
        assert_eq!(levels("d/x*.npy"), Some(1));
        assert_eq!(levels("d/**/*.npy"), None);
    }
}

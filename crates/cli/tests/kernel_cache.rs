//! The persistent kernel cache through the `blaze` binary: a second process
//! loads what the first compiled, damaged entries are compiled again with a
//! warning, concurrent writers leave a valid cache, the cap evicts the
//! least recently used entries, and the cache can be bypassed, inspected
//! and cleared. Every test has its own cache directory.

mod common;

use common::{scratch_dir, Scratch};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One kernel: a fused reduction calling libm.
const EXPR: &str = "sum(sqrt(x*x + 1))";

/// A `.npy` file of `n` float64 values `i / 7` in `dir`.
fn npy(dir: &Path, n: usize) -> PathBuf {
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n},), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for i in 0..n {
        bytes.extend_from_slice(&(i as f64 / 7.0).to_le_bytes());
    }
    let path = dir.join("x.npy");
    std::fs::write(&path, bytes).expect("write x.npy");
    path
}

/// A test's scratch directory, its input and its cache directory.
struct Setup {
    dir: Scratch,
    input: PathBuf,
}

impl Setup {
    fn new(name: &str) -> Setup {
        let dir = scratch_dir(name);
        let input = npy(&dir, 100_000);
        Setup { dir, input }
    }

    fn cache(&self) -> PathBuf {
        self.dir.join("kernels")
    }

    /// `blaze ARGS` with this test's cache directory and `env` set.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_blaze"));
        c.args(args)
            .env("BLAZE_CACHE_DIR", self.cache())
            .env_remove("BLAZE_CACHE")
            .env_remove("BLAZE_CACHE_SIZE");
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    /// `blaze eval -e EXPR --in x=… --timings` (and `extra`).
    fn eval(&self, expr: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let input = format!("x={}", self.input.display());
        let mut args = vec!["eval", "-e", expr, "--in", &input, "--timings"];
        args.extend_from_slice(extra);
        Run::of(self.command(&args, env).output().expect("run blaze"))
    }

    /// The files of the cache directory: name and size.
    fn files(&self) -> BTreeMap<String, u64> {
        let Ok(rd) = std::fs::read_dir(self.cache()) else {
            return BTreeMap::new();
        };
        rd.flatten()
            .map(|e| {
                let len = e.metadata().map_or(0, |m| m.len());
                (e.file_name().to_string_lossy().into_owned(), len)
            })
            .collect()
    }

    /// The entry files (`*.bk`): name and size.
    fn entries(&self) -> BTreeMap<String, u64> {
        let mut f = self.files();
        f.retain(|name, _| name.ends_with(".bk"));
        f
    }

    /// The path of the one entry there is; no temporary file is left.
    fn only_entry(&self) -> PathBuf {
        let e = self.entries();
        assert_eq!(e.len(), 1, "{e:?}");
        let files = self.files();
        assert!(
            files.keys().all(|n| n.ends_with(".bk") || n == ".usage"),
            "{files:?}"
        );
        let name = e.keys().next().cloned().unwrap_or_default();
        assert!(name.ends_with(".bk"), "{name}");
        self.cache().join(name)
    }
}

/// A finished `blaze eval --timings`.
struct Run {
    stdout: String,
    warnings: Vec<String>,
    timings: serde_json::Value,
}

impl Run {
    fn of(o: Output) -> Run {
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(0), "{stderr}");
        let (json, warnings): (Vec<&str>, Vec<&str>) =
            stderr.lines().partition(|l| l.starts_with('{'));
        assert_eq!(json.len(), 1, "{stderr}");
        let timings = serde_json::from_str(json[0]).expect("timings JSON");
        Run {
            stdout,
            warnings: warnings.into_iter().map(String::from).collect(),
            timings,
        }
    }

    fn cache(&self) -> &str {
        self.timings["cache"].as_str().unwrap_or("?")
    }

    fn compile(&self) -> f64 {
        self.timings["compile"].as_f64().unwrap_or(f64::NAN)
    }
}

#[test]
fn a_second_process_loads_the_kernel_compiled_by_the_first() {
    let s = Setup::new("blaze-cache-hit");
    let first = s.eval(EXPR, &[], &[]);
    assert_eq!(first.cache(), "miss", "{}", first.timings);
    assert_eq!(first.timings["cache_misses"], 1, "{}", first.timings);
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    s.only_entry();
    // The directory holds code that is run: the user's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.cache()).expect("the cache directory");
        assert_eq!(mode.permissions().mode() & 0o777, 0o700);
    }
    let second = s.eval(EXPR, &[], &[]);
    assert_eq!(second.cache(), "hit", "{}", second.timings);
    assert_eq!(second.timings["cache_hits"], 1, "{}", second.timings);
    assert_eq!(second.stdout, first.stdout);
    assert!(second.warnings.is_empty(), "{:?}", second.warnings);
    // Linking an object instead of optimizing and generating code.
    assert!(
        second.compile() < first.compile() / 3.0,
        "hit {} s, miss {} s",
        second.compile(),
        first.compile()
    );
    // The same result as without the cache.
    let off = s.eval(EXPR, &["--no-cache"], &[]);
    assert_eq!(off.cache(), "off", "{}", off.timings);
    assert_eq!(off.stdout, first.stdout);
}

/// Damages the one entry with `damage`, then checks the next run compiles
/// again with one warning naming `why`, and the run after hits.
fn damaged_entry_is_compiled_again(name: &str, damage: impl Fn(&mut Vec<u8>), why: &str) {
    let s = Setup::new(name);
    let first = s.eval(EXPR, &[], &[]);
    let entry = s.only_entry();
    let mut bytes = std::fs::read(&entry).expect("read the entry");
    damage(&mut bytes);
    std::fs::write(&entry, &bytes).expect("damage the entry");
    let again = s.eval(EXPR, &[], &[]);
    assert_eq!(again.cache(), "miss", "{}", again.timings);
    assert_eq!(again.stdout, first.stdout);
    assert_eq!(again.warnings.len(), 1, "{:?}", again.warnings);
    let w = &again.warnings[0];
    assert!(
        w.contains("warning: kernel cache entry") && w.contains(why),
        "{w}"
    );
    // Replaced by a whole entry.
    let third = s.eval(EXPR, &[], &[]);
    assert_eq!(third.cache(), "hit", "{}", third.timings);
    assert!(third.warnings.is_empty(), "{:?}", third.warnings);
    assert_eq!(third.stdout, first.stdout);
}

#[test]
fn a_corrupt_entry_is_compiled_again_with_a_warning() {
    damaged_entry_is_compiled_again(
        "blaze-cache-corrupt",
        |b| {
            let mid = b.len() / 2;
            for x in &mut b[mid..mid + 8] {
                *x ^= 0x5a;
            }
        },
        "checksum mismatch",
    );
}

#[test]
fn a_truncated_entry_is_compiled_again_with_a_warning() {
    damaged_entry_is_compiled_again(
        "blaze-cache-truncated",
        |b| b.truncate(b.len() * 2 / 3),
        "truncated",
    );
}

#[test]
fn concurrent_writers_leave_a_valid_cache() {
    let s = Setup::new("blaze-cache-race");
    let input = format!("x={}", s.input.display());
    let children: Vec<_> = (0..4)
        .map(|_| {
            s.command(&["eval", "-e", EXPR, "--in", &input, "--timings"], &[])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn blaze")
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::of(c.wait_with_output().expect("wait for blaze")))
        .collect();
    for r in &runs {
        assert_eq!(r.stdout, runs[0].stdout);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }
    // One whole entry, no temporary file left.
    s.only_entry();
    let after = s.eval(EXPR, &[], &[]);
    assert_eq!(after.cache(), "hit", "{}", after.timings);
    assert!(after.warnings.is_empty(), "{:?}", after.warnings);
    assert_eq!(after.stdout, runs[0].stdout);
}

#[test]
fn the_least_recently_used_entries_are_evicted_beyond_the_cap() {
    let exprs = ["sum(sqrt(x*x + 1))", "sum(x * 2.5)", "max(x - 3)"];
    // The entry each expression makes, and its size, in an uncapped cache.
    let sizes = Setup::new("blaze-cache-sizes");
    let mut names = Vec::new();
    for e in exprs {
        let before = sizes.entries();
        let r = sizes.eval(e, &[], &[]);
        assert_eq!(r.cache(), "miss", "{e}: {}", r.timings);
        let new: Vec<(String, u64)> = sizes
            .entries()
            .into_iter()
            .filter(|(n, _)| !before.contains_key(n))
            .collect();
        assert_eq!(new.len(), 1, "{e}: {new:?}");
        names.push(new[0].clone());
    }
    let total: u64 = names.iter().map(|n| n.1).sum();
    let cap = (total - 1).to_string();
    let s = Setup::new("blaze-cache-evict");
    let env = [("BLAZE_CACHE_SIZE", cap.as_str())];
    let pause = || std::thread::sleep(std::time::Duration::from_millis(30));
    s.eval(exprs[0], &[], &env);
    pause();
    s.eval(exprs[1], &[], &env);
    pause();
    // A hit makes the first the most recently used …
    let hit = s.eval(exprs[0], &[], &env);
    assert_eq!(hit.cache(), "hit", "{}", hit.timings);
    pause();
    // … so storing the third evicts the second.
    s.eval(exprs[2], &[], &env);
    let left = s.entries();
    assert!(left.contains_key(&names[0].0), "{left:?}");
    assert!(!left.contains_key(&names[1].0), "{left:?}");
    assert!(left.contains_key(&names[2].0), "{left:?}");
    assert!(left.values().sum::<u64>() < total, "{left:?}");
    // A cap below one entry keeps nothing, and every run still works.
    let tiny = s.eval(exprs[1], &[], &[("BLAZE_CACHE_SIZE", "100")]);
    assert_eq!(tiny.cache(), "miss", "{}", tiny.timings);
    assert!(s.entries().is_empty(), "{:?}", s.entries());
}

#[test]
fn a_bypassed_cache_writes_nothing() {
    let s = Setup::new("blaze-cache-off");
    let off = s.eval(EXPR, &[], &[("BLAZE_CACHE", "off")]);
    assert_eq!(off.cache(), "off", "{}", off.timings);
    assert_eq!(off.timings["cache_misses"], 0, "{}", off.timings);
    assert!(!s.cache().exists());
    let flag = s.eval(EXPR, &["--no-cache"], &[]);
    assert_eq!(flag.cache(), "off", "{}", flag.timings);
    assert!(!s.cache().exists());
    assert_eq!(flag.stdout, off.stdout);
}

#[test]
fn cache_info_and_clear() {
    let s = Setup::new("blaze-cache-info");
    let info = || -> serde_json::Value {
        let o = s
            .command(
                &["cache", "info", "--json"],
                &[("BLAZE_CACHE_SIZE", "64MiB")],
            )
            .output()
            .expect("run blaze");
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        serde_json::from_slice(&o.stdout).expect("info JSON")
    };
    let empty = info();
    assert_eq!(empty["entries"], 0, "{empty}");
    assert_eq!(empty["cap"], 64u64 << 20, "{empty}");
    assert_eq!(empty["enabled"], true, "{empty}");
    assert_eq!(empty["directory"].as_str(), s.cache().to_str(), "{empty}");
    s.eval(EXPR, &[], &[]);
    let one = info();
    assert_eq!(one["entries"], 1, "{one}");
    assert!(one["bytes"].as_u64().is_some_and(|b| b > 0), "{one}");
    let o = s
        .command(&["cache", "clear"], &[])
        .output()
        .expect("run blaze");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.starts_with("removed 1 entries"), "{said}");
    assert_eq!(info()["entries"], 0);
    let again = s.eval(EXPR, &[], &[]);
    assert_eq!(again.cache(), "miss", "{}", again.timings);
    // A cap that is not a size is named.
    let bad = s
        .command(&["cache", "info"], &[("BLAZE_CACHE_SIZE", "lots")])
        .output()
        .expect("run blaze");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("BLAZE_CACHE_SIZE=`lots`"));
}

/// In this process (the only test here that compiles in process): a kernel
/// evicted from the in-memory cache while a caller still holds it keeps
/// its symbol, so compiling it again takes a fresh name and stores nothing
/// — and gives the same result.
#[test]
fn a_kernel_still_held_after_eviction_is_compiled_under_a_fresh_name() {
    let s = Setup::new("blaze-cache-held");
    std::env::set_var("BLAZE_CACHE_DIR", s.cache());
    std::env::remove_var("BLAZE_CACHE");
    let input = s.input.to_str().expect("a UTF-8 path");
    let run = |expr: &str| {
        blaze::Session::new()
            .eval(expr, &[("x", input)], None)
            .expect("run")
    };
    let jit = blaze::codegen::jit().expect("a JIT");
    let limit = jit.cache_limit();
    jit.set_cache_limit(1);
    let first = run(EXPR);
    let k = &first.report.kernels[0];
    assert_eq!(k.cache, blaze::codegen::CacheUse::Miss);
    assert!(k.name.starts_with("blaze_kernel_h"), "{}", k.name);
    // Evicts the first kernel from memory; `first` still holds it.
    run("sum(x * 2.5)");
    let again = run(EXPR);
    let k2 = &again.report.kernels[0];
    assert_eq!(k2.cache, blaze::codegen::CacheUse::Miss);
    assert!(!k2.name.starts_with("blaze_kernel_h"), "{}", k2.name);
    assert_eq!(again.value, first.value);
    assert_eq!(s.entries().len(), 2, "{:?}", s.entries());
    // Once nothing holds it, its name is free and the stored object loads.
    drop((first, again));
    run("max(x - 3)");
    let hit = run(EXPR);
    let k3 = &hit.report.kernels[0];
    assert_eq!(k3.cache, blaze::codegen::CacheUse::Hit, "{}", k3.name);
    assert!(k3.name.starts_with("blaze_kernel_h"), "{}", k3.name);
    jit.set_cache_limit(limit);
}

//! `blaze cache info` and `blaze cache clear`: the persistent kernel cache
//! (`blaze::codegen::disk_cache`) seen from the command line, and what
//! `--timings` says about it.

use crate::error::CliError;
use blaze::codegen::disk_cache::{self, DiskCache};
use blaze::codegen::CacheUse;
use blaze::runtime::error::human;
use blaze::runtime::session::RunReport;
use serde_json::json;

/// The cache the environment names, or why there is none.
fn cache() -> Result<DiskCache, CliError> {
    DiskCache::from_env().map_err(|e| CliError::Tagged("cache", e))
}

/// An IO error of the cache directory.
fn io_error(c: &DiskCache, e: std::io::Error) -> CliError {
    CliError::Tagged("cache", format!("{}: {e}", c.dir().display()))
}

/// `blaze cache info`: directory, entries, bytes, cap, and whether the
/// cache is on.
pub(crate) fn info(as_json: bool) -> Result<(), CliError> {
    let c = cache()?;
    let i = c.info().map_err(|e| io_error(&c, e))?;
    let on = disk_cache::enabled();
    if as_json {
        outln!(
            "{}",
            json!({
                "directory": c.dir().display().to_string(),
                "entries": i.entries,
                "bytes": i.bytes,
                "cap": c.cap(),
                "enabled": on,
            })
        );
    } else {
        outln!("directory: {}", c.dir().display());
        outln!("entries:   {}", i.entries);
        outln!("bytes:     {} ({})", i.bytes, human(i.bytes));
        outln!("cap:       {} ({})", c.cap(), human(c.cap()));
        outln!("state:     {}", if on { "on" } else { "off (BLAZE_CACHE)" });
    }
    Ok(())
}

/// `blaze cache clear`: removes every entry.
pub(crate) fn clear() -> Result<(), CliError> {
    let c = cache()?;
    let gone = c.clear().map_err(|e| io_error(&c, e))?;
    outln!(
        "removed {} entries ({}) from {}",
        gone.entries,
        human(gone.bytes),
        c.dir().display()
    );
    Ok(())
}

/// Adds to the `--timings` JSON where the run's kernels came from:
/// `"cache"` is `hit` or `miss` when all of them were, `mixed` otherwise,
/// `off` when the cache was bypassed, `none` without kernels; with
/// `"cache_hits"` and `"cache_misses"` counting distinct kernels.
pub(crate) fn timings(r: &RunReport, t: &mut serde_json::Value) {
    let mut seen = std::collections::HashSet::new();
    let (mut hits, mut misses, mut off) = (0usize, 0usize, 0usize);
    for k in &r.kernels {
        if !seen.insert(k.name.as_str()) {
            continue;
        }
        match k.cache {
            CacheUse::Hit => hits += 1,
            CacheUse::Miss => misses += 1,
            CacheUse::Off => off += 1,
        }
    }
    let state = match (hits, misses, off) {
        (0, 0, 0) if !disk_cache::enabled() => "off",
        (0, 0, 0) => "none",
        (_, 0, 0) => "hit",
        (0, _, 0) => "miss",
        (0, 0, _) => "off",
        _ => "mixed",
    };
    t["cache"] = json!(state);
    t["cache_hits"] = json!(hits);
    t["cache_misses"] = json!(misses);
}

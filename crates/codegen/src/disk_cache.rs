//! The persistent kernel cache: compiled machine code kept on disk, so a
//! second process running the same kernel loads its object file into the
//! JIT instead of running LLVM's optimizer and code generator again.
//!
//! Where: `BLAZE_CACHE_DIR`, else `$XDG_CACHE_HOME/blaze/kernels`, else
//! `~/.cache/blaze/kernels`. `BLAZE_CACHE=off` (or [`set_enabled`]`(false)`,
//! the CLI's `--no-cache`) bypasses it; `BLAZE_CACHE_SIZE` (`64MiB`, `1GB`,
//! bytes) caps it, [`DEFAULT_CAP`] by default.
//!
//! An entry is one file, named by a 64-bit hash of its *identity*: the
//! kernel's key text, blaze's version and a fingerprint of this crate's
//! sources, LLVM's version, the host CPU, its features and the vector math
//! in use ([`identity`]). The file holds a header (magic, format, the
//! lengths of the identity, symbol and object, a 64-bit FNV-1a checksum of
//! all three), the identity itself (so two identities sharing a hash never
//! load each other's code), the kernel's symbol and the object file.
//!
//! Entries are written to a temporary file in the cache directory and
//! renamed into place, so concurrent processes see an entry whole or not at
//! all. A hit sets the entry's modification time; when a store takes the
//! directory over its cap, the entries used longest ago are removed first
//! (the directory is scanned when a small ledger of its bytes, updated at
//! every store, says the cap is passed, or is missing or an hour old). The
//! directories it creates are private to the user: the cache holds code
//! that is run.
//! An entry whose checksum or length is wrong is reported ([`Lookup::Corrupt`])
//! and the JIT compiles the kernel again and replaces it. Failing to write
//! the cache never fails a compile.

use crate::target::{Host, VectorIsa};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// The cap of the cache directory when `BLAZE_CACHE_SIZE` is not set: 256 MiB.
pub const DEFAULT_CAP: u64 = 256 << 20;

/// The extension of entry files.
pub const ENTRY_EXTENSION: &str = "bk";

/// The first bytes of every entry.
const MAGIC: &[u8; 8] = b"BLZKERN\0";

/// The layout of entries this build reads and writes.
const FORMAT: u32 = 1;

/// Header bytes: magic, format, identity length, symbol length, object
/// length, checksum.
const HEADER: usize = 8 + 4 + 4 + 4 + 8 + 8;

/// Temporary files start with this; ones older than [`STALE`] are removed.
const TEMP_PREFIX: &str = ".tmp-";

/// How old a temporary file must be to count as left by a dead writer.
const STALE: Duration = Duration::from_secs(600);

/// How a kernel was obtained, as `--timings` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheUse {
    /// Loaded from the disk cache: no optimizer, no code generator.
    Hit,
    /// Compiled (and stored, when the cache directory is writable).
    Miss,
    /// Compiled with the disk cache bypassed.
    Off,
}

impl CacheUse {
    /// `hit`, `miss` or `off`.
    pub fn name(self) -> &'static str {
        match self {
            CacheUse::Hit => "hit",
            CacheUse::Miss => "miss",
            CacheUse::Off => "off",
        }
    }
}

/// FNV-1a over `bytes`, continuing from `h`.
fn fnv_more(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The 64-bit FNV-1a hash of `bytes`: a change of any one byte changes it.
pub fn fnv64(bytes: &[u8]) -> u64 {
    fnv_more(0xcbf2_9ce4_8422_2325, bytes)
}

/// LLVM's version, `major.minor.patch`.
fn llvm_version() -> String {
    let (mut major, mut minor, mut patch) = (0u32, 0u32, 0u32);
    // SAFETY: writes three integers.
    unsafe { inkwell::llvm_sys::core::LLVMGetVersion(&mut major, &mut minor, &mut patch) };
    format!("{major}.{minor}.{patch}")
}

/// Everything the machine code of kernel `key` depends on besides the key:
/// what an entry is found by and checked against.
pub fn identity(host: &Host, key: &str) -> String {
    static VERSIONS: OnceLock<String> = OnceLock::new();
    let versions = VERSIONS.get_or_init(|| {
        format!(
            "blaze {} {}\nllvm {}",
            env!("CARGO_PKG_VERSION"),
            env!("BLAZE_CODEGEN_SOURCE"),
            llvm_version()
        )
    });
    let isa = match host.isa {
        VectorIsa::None => "none",
        VectorIsa::Avx2 => "avx2",
        VectorIsa::Avx512 => "avx512",
    };
    format!(
        "blaze kernel cache {FORMAT}\n{versions}\ncpu {}\nfeatures {}\nvector-math {isa}\nkey {key}",
        host.cpu, host.features
    )
}

static DISABLED: AtomicBool = AtomicBool::new(false);

/// Turns the cache off (or back on) for this process, whatever
/// `BLAZE_CACHE` says when on; the CLI's `--no-cache`.
pub fn set_enabled(on: bool) {
    DISABLED.store(!on, Ordering::Relaxed);
}

/// Whether `BLAZE_CACHE` turns the cache off (`off`, `0`, `false`, `no`).
fn off_by_env() -> bool {
    std::env::var("BLAZE_CACHE").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "off" | "0" | "false" | "no"
        )
    })
}

/// Whether kernels go through the cache in this process.
pub fn enabled() -> bool {
    !DISABLED.load(Ordering::Relaxed) && !off_by_env()
}

/// The cache the JIT uses, or `None` when it is off or has no usable
/// location (a bad `BLAZE_CACHE_SIZE` is reported once on stderr).
pub(crate) fn active() -> Option<&'static DiskCache> {
    static FROM_ENV: OnceLock<Option<DiskCache>> = OnceLock::new();
    if !enabled() {
        return None;
    }
    FROM_ENV
        .get_or_init(|| match DiskCache::from_env() {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("blaze: warning: {e}; the kernel cache is off");
                None
            }
        })
        .as_ref()
}

/// Parses a size: `256MiB`, `64MB`, `1G`, `1000000` (bytes).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// What the cache directory holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    /// Entries (kernel files).
    pub entries: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// What a lookup found.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// A whole entry of this identity.
    Hit {
        /// The kernel's symbol in the object.
        symbol: String,
        /// The object file.
        object: Vec<u8>,
    },
    /// No entry of this identity.
    Absent,
    /// An entry that fails its checks: why, and where.
    Corrupt(String),
}

/// The ledger of the directory's bytes: `BYTES SCANNED_AT` (the total of
/// the last scan plus what was stored since, and when that scan was, in
/// seconds since the epoch).
const LEDGER: &str = ".usage";

/// How long the ledger is trusted before the directory is scanned again
/// (concurrent stores may lose each other's updates of it).
const RESCAN_AFTER: u64 = 3600;

/// A cache directory and its cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskCache {
    dir: PathBuf,
    cap: u64,
}

impl DiskCache {
    /// A cache in `dir` holding at most `cap` bytes of entries.
    pub fn new(dir: impl Into<PathBuf>, cap: u64) -> DiskCache {
        DiskCache {
            dir: dir.into(),
            cap,
        }
    }

    /// The cache the environment names (whether or not `BLAZE_CACHE` turns
    /// it off): an error when `BLAZE_CACHE_SIZE` is not a size or no
    /// directory can be found.
    pub fn from_env() -> Result<DiskCache, String> {
        let var = |n: &str| std::env::var_os(n).filter(|v| !v.is_empty());
        let dir = if let Some(d) = var("BLAZE_CACHE_DIR") {
            PathBuf::from(d)
        } else if let Some(x) = var("XDG_CACHE_HOME").filter(|x| Path::new(x).is_absolute()) {
            PathBuf::from(x).join("blaze").join("kernels")
        } else if let Some(h) = var("HOME") {
            PathBuf::from(h)
                .join(".cache")
                .join("blaze")
                .join("kernels")
        } else {
            return Err("no directory for the kernel cache: set BLAZE_CACHE_DIR".into());
        };
        let cap = match std::env::var("BLAZE_CACHE_SIZE") {
            Ok(s) => parse_size(&s).ok_or_else(|| {
                format!("BLAZE_CACHE_SIZE=`{s}` is not a size (as in `256MiB` or `1GB`)")
            })?,
            Err(_) => DEFAULT_CAP,
        };
        Ok(DiskCache::new(dir, cap))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The most bytes of entries kept.
    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// The entry file of `identity`.
    fn path(&self, identity: &str) -> PathBuf {
        self.dir.join(format!(
            "{:016x}.{ENTRY_EXTENSION}",
            fnv64(identity.as_bytes())
        ))
    }

    /// Entry files with their sizes and modification times; stale
    /// temporary files are removed on the way. A missing directory is empty.
    fn entries(&self) -> io::Result<Vec<(PathBuf, u64, SystemTime)>> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let now = SystemTime::now();
        let mut out = Vec::new();
        for e in rd.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(now);
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TEMP_PREFIX) {
                if now.duration_since(modified).is_ok_and(|age| age > STALE) {
                    let _ = std::fs::remove_file(&path);
                }
            } else if path.extension().is_some_and(|x| x == ENTRY_EXTENSION) {
                out.push((path, meta.len(), modified));
            }
        }
        Ok(out)
    }

    /// The number of entries and their bytes.
    pub fn info(&self) -> io::Result<Info> {
        let entries = self.entries()?;
        Ok(Info {
            entries: entries.len(),
            bytes: entries.iter().map(|e| e.1).sum(),
        })
    }

    /// Removes every entry (and temporary file); returns what was removed.
    pub fn clear(&self) -> io::Result<Info> {
        let mut removed = Info {
            entries: 0,
            bytes: 0,
        };
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(removed),
            Err(e) => return Err(e),
        };
        for e in rd.flatten() {
            let path = e.path();
            let name = e.file_name();
            let temp = name.to_string_lossy().starts_with(TEMP_PREFIX) || name == LEDGER;
            let entry = path.extension().is_some_and(|x| x == ENTRY_EXTENSION);
            if !(temp || entry) || !e.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let len = e.metadata().map_or(0, |m| m.len());
            match std::fs::remove_file(&path) {
                Ok(()) if entry => {
                    removed.entries += 1;
                    removed.bytes += len;
                }
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot remove {}: {e}", path.display()),
                    ))
                }
            }
        }
        Ok(removed)
    }

    /// The entry of `identity`: checked against its length and checksum,
    /// marked as just used when whole.
    pub(crate) fn load(&self, identity: &str) -> Lookup {
        let path = self.path(identity);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(_) => return Lookup::Absent,
        };
        match parse_entry(&bytes) {
            Ok((id, symbol, object)) if id == identity.as_bytes() => {
                let Ok(symbol) = std::str::from_utf8(symbol) else {
                    return Lookup::Corrupt(format!("{}: symbol is not UTF-8", path.display()));
                };
                // The modification time orders eviction: least recently used first.
                if let Ok(f) = std::fs::File::options().write(true).open(&path) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Lookup::Hit {
                    symbol: symbol.to_string(),
                    object: object.to_vec(),
                }
            }
            // Another identity with the same hash: replaced by this one's.
            Ok(_) => Lookup::Absent,
            Err(why) => Lookup::Corrupt(format!("{}: {why}", path.display())),
        }
    }

    /// Stores the object of `identity` (its kernel named `symbol`)
    /// atomically, then evicts beyond the cap.
    pub(crate) fn store(&self, identity: &str, symbol: &str, object: &[u8]) -> io::Result<()> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        create_private_dir(&self.dir)?;
        let path = self.path(identity);
        let entry = encode_entry(identity.as_bytes(), symbol.as_bytes(), object)?;
        let tmp = self.dir.join(format!(
            "{TEMP_PREFIX}{}-{}-{:016x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            fnv64(identity.as_bytes())
        ));
        let written = std::fs::write(&tmp, &entry).and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        // The directory is scanned only when the ledger is missing, old, or
        // says the cap is passed: not at every store of the thousands a
        // process may make, nor at the first store of every process.
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let estimate = self.ledger().and_then(|(bytes, scanned)| {
            let fresh = now.saturating_sub(scanned) < RESCAN_AFTER;
            let bytes = bytes.saturating_add(entry.len() as u64);
            (fresh && bytes <= self.cap).then_some((bytes, scanned))
        });
        let (bytes, scanned) = match estimate {
            Some(e) => e,
            None => (self.evict()?, now),
        };
        self.write_ledger(bytes, scanned)
    }

    /// The ledger's bytes and scan time, when it reads.
    fn ledger(&self) -> Option<(u64, u64)> {
        let text = std::fs::read_to_string(self.dir.join(LEDGER)).ok()?;
        let mut words = text.split_whitespace();
        let bytes = words.next()?.parse().ok()?;
        let scanned = words.next()?.parse().ok()?;
        Some((bytes, scanned))
    }

    /// Replaces the ledger (atomically, as entries).
    fn write_ledger(&self, bytes: u64, scanned: u64) -> io::Result<()> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let tmp = self.dir.join(format!(
            "{TEMP_PREFIX}usage-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::write(&tmp, format!("{bytes} {scanned}\n"))
            .and_then(|()| std::fs::rename(&tmp, self.dir.join(LEDGER)));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    /// When the entries pass the cap, removes the least recently used until
    /// the rest take at most 90% of it (so that the next stores do not each
    /// scan the directory again); returns the bytes left.
    fn evict(&self) -> io::Result<u64> {
        let mut entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        if total <= self.cap {
            return Ok(total);
        }
        let low = self.cap - self.cap / 10;
        entries.sort_by_key(|e| e.2);
        for (path, len, _) in entries {
            if total <= low {
                break;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => total = total.saturating_sub(len),
                Err(e) if e.kind() == io::ErrorKind::NotFound => total = total.saturating_sub(len),
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }
}

/// Creates `dir` and its parents; on Unix the directories created are
/// readable and writable by the user alone (the cache holds code that is
/// run).
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// The checksum of an entry's three parts.
fn checksum(identity: &[u8], symbol: &[u8], object: &[u8]) -> u64 {
    let h = fnv64(identity);
    let h = fnv_more(h, symbol);
    fnv_more(h, object)
}

/// The bytes of an entry.
fn encode_entry(identity: &[u8], symbol: &[u8], object: &[u8]) -> io::Result<Vec<u8>> {
    let len32 = |n: usize, what: &str| {
        u32::try_from(n).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("kernel cache {what} of {n} bytes is too long"),
            )
        })
    };
    let mut out = Vec::with_capacity(HEADER + identity.len() + symbol.len() + object.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&len32(identity.len(), "identity")?.to_le_bytes());
    out.extend_from_slice(&len32(symbol.len(), "symbol")?.to_le_bytes());
    out.extend_from_slice(&(object.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(identity, symbol, object).to_le_bytes());
    out.extend_from_slice(identity);
    out.extend_from_slice(symbol);
    out.extend_from_slice(object);
    Ok(out)
}

/// The parts of an entry: identity, symbol and object file.
type Parts<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// The identity, symbol and object of an entry, or why it is not one.
fn parse_entry(b: &[u8]) -> Result<Parts<'_>, String> {
    let field = |at: usize, n: usize| -> Result<&[u8], String> {
        b.get(at..at.checked_add(n).ok_or("length overflows")?)
            .ok_or_else(|| format!("truncated: {} bytes", b.len()))
    };
    let u32_at = |at: usize| -> Result<usize, String> {
        let f = field(at, 4)?;
        Ok(u32::from_le_bytes([f[0], f[1], f[2], f[3]]) as usize)
    };
    let u64_at = |at: usize| -> Result<u64, String> {
        let mut a = [0u8; 8];
        a.copy_from_slice(field(at, 8)?);
        Ok(u64::from_le_bytes(a))
    };
    if field(0, 8)? != MAGIC {
        return Err("not a kernel cache entry".into());
    }
    let format = u32_at(8)?;
    if format != FORMAT as usize {
        return Err(format!("entry format {format}, expected {FORMAT}"));
    }
    let (id_len, sym_len) = (u32_at(12)?, u32_at(16)?);
    let obj_len = usize::try_from(u64_at(20)?).map_err(|_| "object length overflows")?;
    let sum = u64_at(28)?;
    let total = HEADER
        .checked_add(id_len)
        .and_then(|t| t.checked_add(sym_len))
        .and_then(|t| t.checked_add(obj_len))
        .ok_or("lengths overflow")?;
    if b.len() != total {
        return Err(format!(
            "truncated or extended: {} bytes, the header says {total}",
            b.len()
        ));
    }
    let identity = field(HEADER, id_len)?;
    let symbol = field(HEADER + id_len, sym_len)?;
    let object = field(HEADER + id_len + sym_len, obj_len)?;
    if checksum(identity, symbol, object) != sum {
        return Err("checksum mismatch".into());
    }
    Ok((identity, symbol, object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_every_damage_is_caught() {
        let e = encode_entry(b"id", b"sym", b"object bytes").unwrap();
        assert_eq!(
            parse_entry(&e).unwrap(),
            (&b"id"[..], &b"sym"[..], &b"object bytes"[..])
        );
        for i in 0..e.len() {
            let mut bad = e.clone();
            bad[i] ^= 0x40;
            assert!(parse_entry(&bad).is_err(), "flip at {i}");
        }
        for n in 0..e.len() {
            assert!(parse_entry(&e[..n]).is_err(), "truncated to {n}");
        }
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("256MiB"), Some(256 << 20));
        assert_eq!(parse_size("1GB"), Some(1_000_000_000));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("1.5GB"), None);
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("99999999999999999999GiB"), None);
    }
}

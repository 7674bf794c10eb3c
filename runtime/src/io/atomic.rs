//! Staged writes: a result is written to a temporary file or directory next
//! to its destination, then renamed over it, so the destination is either
//! the complete new data or what it was before. Dropped uncommitted (an
//! error, a panic), the stage removes its temporary.
//!
//! A temporary is named `.{name}.{pid}.{n}.tmp` after its destination and
//! the process writing it. A process that dies before it commits (killed,
//! out of power) leaves its temporary behind; the next write to the same
//! destination removes the temporaries of processes that no longer exist
//! (never those of a live process, this one included).
//!
//! What a write may replace is [`dest`](super::dest)'s rule, checked when
//! the stage starts and again just before the rename.
//!
//! This module owns the temporary names, the rename and the cleanup; the
//! formats write the contents and sync their files before committing.

use super::dest::{destination, Output};
use super::{IoError, IoErrorKind};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counter making temporary names unique within the process.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file or directory that becomes `target` on
/// [`Staged::commit`].
#[derive(Debug)]
pub(crate) struct Staged {
    tmp: PathBuf,
    target: PathBuf,
    dir: bool,
    done: bool,
}

/// The directory of `path` (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The permission bits of `target` when it is a regular file that a write
/// replaces.
fn kept_mode(target: &Path) -> Option<u32> {
    let meta = fs::metadata(target).ok()?;
    if !meta.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    None
}

/// Gives `file` exactly the permission bits `mode` (the creation mode is
/// narrowed by the umask).
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, mode);
        Ok(())
    }
}

/// Candidate temporary names next to `target`, until `make` succeeds (a
/// name taken by another writer is skipped).
fn next_to<T>(
    target: &Path,
    make: impl Fn(&Path) -> io::Result<T>,
) -> Result<(PathBuf, T), IoError> {
    let name = target.file_name().ok_or_else(|| {
        IoError::format(
            target,
            IoErrorKind::Request,
            "cannot write: the path does not name a file",
        )
    })?;
    let stem = stem_of(name);
    let dir = parent_of(target);
    let mut attempt = 0;
    loop {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{stem}.{}.{n}.tmp", std::process::id()));
        match make(&tmp) {
            Ok(t) => return Ok((tmp, t)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(IoError::os(target, "cannot create a temporary file", e)),
        }
    }
}

impl Staged {
    /// A new temporary file next to `target` (so the rename stays on one
    /// file system), open for writing.
    /// A file replacing another keeps its permission bits: the temporary
    /// has them from its creation on, before anything is written to it.
    pub(crate) fn file(target: &Path) -> Result<(Staged, File), IoError> {
        let target = &destination(target, Output::File)?;
        remove_stale(target);
        let mode = kept_mode(target);
        let (tmp, file) = next_to(target, |p| {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            if let Some(m) = mode {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(m);
            }
            let file = options.open(p)?;
            if let Some(m) = mode {
                set_mode(&file, m)?;
            }
            Ok(file)
        })?;
        Ok((Staged::new(tmp, target, false), file))
    }

    /// A new temporary directory next to `target`.
    pub(crate) fn dir(target: &Path) -> Result<Staged, IoError> {
        let target = &destination(target, Output::Zarr)?;
        remove_stale(target);
        let (tmp, ()) = next_to(target, |p| fs::create_dir(p))?;
        Ok(Staged::new(tmp, target, true))
    }

    fn new(tmp: PathBuf, target: &Path, dir: bool) -> Staged {
        Staged {
            tmp,
            target: target.to_path_buf(),
            dir,
            done: false,
        }
    }

    /// The temporary path being written.
    pub(crate) fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// The destination.
    pub(crate) fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temporary over the destination and syncs the parent
    /// directory, so the rename is durable (best effort: not every
    /// platform can sync a directory). The caller has synced the contents.
    /// What is at the destination is checked again first; a Zarr array
    /// being replaced is moved aside, the new one renamed in, and the old
    /// one removed (put back if the rename fails).
    pub(crate) fn commit(mut self) -> Result<(), IoError> {
        let output = if self.dir { Output::Zarr } else { Output::File };
        destination(&self.target, output)?;
        let old = if self.dir && self.target.is_dir() {
            let (old, ()) = next_to(&self.target, |p| {
                if p.exists() {
                    return Err(io::Error::from(io::ErrorKind::AlreadyExists));
                }
                fs::rename(&self.target, p)
            })?;
            Some(old)
        } else {
            None
        };
        if let Err(e) = fs::rename(&self.tmp, &self.target) {
            if let Some(old) = &old {
                let _ = fs::rename(old, &self.target);
            }
            return Err(IoError::os(&self.target, "cannot rename", e));
        }
        self.done = true;
        if let Some(old) = old {
            let _ = fs::remove_dir_all(old);
        }
        #[cfg(unix)]
        if let Ok(d) = File::open(parent_of(&self.target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// A fresh temporary name next to `target` (nothing is created), for a
/// file written by other means and renamed over `target` by the caller:
/// `target` is checked as a file destination first (a symlink resolved),
/// and the leftovers of dead writers are removed. Returns the destination
/// to rename to and the temporary name.
pub(crate) fn temp_for(target: &Path) -> Result<(PathBuf, PathBuf), IoError> {
    let target = destination(target, Output::File)?;
    remove_stale(&target);
    let (tmp, ()) = next_to(&target, |p| {
        if fs::symlink_metadata(p).is_ok() {
            Err(io::Error::from(io::ErrorKind::AlreadyExists))
        } else {
            Ok(())
        }
    })?;
    Ok((target, tmp))
}

/// The part of a temporary's name taken from its destination's name.
fn stem_of(name: &std::ffi::OsStr) -> String {
    name.to_string_lossy().chars().take(64).collect()
}

/// The id of the process that wrote the temporary `name` of a destination
/// named `stem` (`.{stem}.{pid}.{n}.tmp`), if `name` is one.
fn temp_owner(name: &str, stem: &str) -> Option<u32> {
    let rest = name
        .strip_prefix('.')?
        .strip_prefix(stem)?
        .strip_prefix('.')?
        .strip_suffix(".tmp")?;
    let (pid, n) = rest.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(n) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` may still exist. In doubt (no `/proc`, no
/// permission to ask), it is taken as alive.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() || pid == 0 {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    #[cfg(unix)]
    {
        let Ok(id) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let r = unsafe { libc::kill(id, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    true
}

/// Removes the temporaries next to `target` left by processes that no
/// longer exist (best effort: what cannot be removed stays).
fn remove_stale(target: &Path) {
    let Some(name) = target.file_name() else {
        return;
    };
    let stem = stem_of(name);
    let Ok(entries) = fs::read_dir(parent_of(target)) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file.to_str().and_then(|f| temp_owner(f, &stem)) else {
            continue;
        };
        if alive(pid) {
            continue;
        }
        let path = entry.path();
        let _ = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&path),
            Ok(_) => fs::remove_file(&path),
            Err(_) => Ok(()),
        };
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = if self.dir {
                fs::remove_dir_all(&self.tmp)
            } else {
                fs::remove_file(&self.tmp)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_are_told_by_destination_and_writer() {
        assert_eq!(temp_owner(".r.npy.123.0.tmp", "r.npy"), Some(123));
        assert_eq!(temp_owner(".r.npy.123.45.tmp", "r.npy"), Some(123));
        // Another destination's, or not a temporary at all.
        assert_eq!(temp_owner(".r.npy.5.123.0.tmp", "r.npy"), None);
        assert_eq!(temp_owner(".r.npy.x.0.tmp", "r.npy"), None);
        assert_eq!(temp_owner("r.npy.123.0.tmp", "r.npy"), None);
        assert_eq!(temp_owner(".r.npy..0.tmp", "r.npy"), None);
        assert_eq!(temp_owner(".r.npy.123.0", "r.npy"), None);
        assert!(alive(std::process::id()));
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("a.npy");
        let (stage, _file) = Staged::file(&target).expect("stage");
        assert!(stage.tmp().exists());
        drop(stage);
        assert_eq!(fs::read_dir(dir.path()).expect("read").count(), 0);
    }
}

//! Staged writes: a result is written to a temporary file or directory next
//! to its destination, then renamed over it, so the destination is either
//! the complete new data or what it was before. Dropped uncommitted (an
//! error, a panic), the stage removes its temporary.
//!
//! This module owns the temporary names, the rename and the cleanup; the
//! formats write the contents and sync their files before committing.

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
    let stem: String = name.to_string_lossy().chars().take(64).collect();
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

    /// Renames the temporary over the destination (a directory replaces an
    /// existing one) and syncs the parent directory, so the rename is
    /// durable (best effort: not every platform can sync a directory). The
    /// caller has synced the contents.
    pub(crate) fn commit(mut self) -> Result<(), IoError> {
        if self.dir && self.target.is_dir() {
            fs::remove_dir_all(&self.target)
                .map_err(|e| IoError::os(&self.target, "cannot replace", e))?;
        }
        fs::rename(&self.tmp, &self.target)
            .map_err(|e| IoError::os(&self.target, "cannot rename", e))?;
        self.done = true;
        #[cfg(unix)]
        if let Ok(d) = File::open(parent_of(&self.target)) {
            let _ = d.sync_all();
        }
        Ok(())
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

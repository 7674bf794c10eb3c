//! What a write may replace. A result replaces only a regular file (a
//! file result) or a Zarr array (a Zarr result: a directory whose
//! `zarr.json` says `"node_type": "array"`, or that holds `.zarray` and no
//! `.zgroup`); anything else at the path — another directory, a Zarr
//! group, a device, a FIFO, a socket — is an error naming the path and
//! what it is, and nothing is touched.
//!
//! A symlink is written through: the rules apply to what it points to,
//! and the new data replaces that (the link stays a link). A symlink to
//! nothing, or to anything a write may not replace, is refused like the
//! thing itself.
//!
//! [`destination`] is the check; the staged writes run it when they start
//! and again just before they rename, and callers run it before any work
//! ([`check_output`](super::check_output)).

use super::IoError;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What a write produces at its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// A single file (`.npy`, the table formats, objects and headers).
    File,
    /// A Zarr array (a directory).
    Zarr,
}

/// What is at a path, as far as a write cares.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Nothing,
    File,
    ZarrArray,
    ZarrGroup,
    Directory,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Other,
}

impl Found {
    fn describe(&self) -> &'static str {
        match self {
            Found::Nothing => "nothing",
            Found::File => "a regular file",
            Found::ZarrArray => "a Zarr array (a directory)",
            Found::ZarrGroup => "a Zarr group, not a Zarr array",
            Found::Directory => "a directory that is not a Zarr array",
            Found::CharDevice => "a character device",
            Found::BlockDevice => "a block device",
            Found::Fifo => "a FIFO (named pipe)",
            Found::Socket => "a socket",
            Found::Other => "not a regular file",
        }
    }
}

/// Classifies `meta` (not a symlink's own metadata) of `path`.
fn classify(path: &Path, meta: &fs::Metadata) -> Found {
    let t = meta.file_type();
    if t.is_file() {
        return Found::File;
    }
    if t.is_dir() {
        return zarr_kind(path);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return Found::CharDevice;
        }
        if t.is_block_device() {
            return Found::BlockDevice;
        }
        if t.is_fifo() {
            return Found::Fifo;
        }
        if t.is_socket() {
            return Found::Socket;
        }
    }
    Found::Other
}

/// A directory as Zarr sees it: an array, a group, or neither.
fn zarr_kind(dir: &Path) -> Found {
    let v3 = dir.join("zarr.json");
    if v3.is_file() {
        // Metadata of a sane size only; anything unreadable is not an array.
        let node = fs::metadata(&v3)
            .ok()
            .filter(|m| m.len() <= 1 << 20)
            .and_then(|_| fs::read(&v3).ok())
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|j| {
                j.get("node_type")
                    .and_then(|n| n.as_str())
                    .map(str::to_owned)
            });
        return match node.as_deref() {
            Some("array") => Found::ZarrArray,
            Some("group") => Found::ZarrGroup,
            _ => Found::Directory,
        };
    }
    if dir.join(".zgroup").exists() {
        return Found::ZarrGroup;
    }
    if dir.join(".zarray").is_file() {
        return Found::ZarrArray;
    }
    Found::Directory
}

/// A refusal: an operating-system-like error (`kind`), displayed as
/// `path: cannot write here: message`.
fn refuse(path: &Path, kind: io::ErrorKind, message: String) -> IoError {
    IoError::os(path, "cannot write here", io::Error::new(kind, message))
}

/// The path a write of `output` to `path` replaces (`path` itself, or
/// what a symlink at `path` points to), after checking that the write may
/// replace what is there and that the directory it goes into exists.
pub(crate) fn destination(path: &Path, output: Output) -> Result<PathBuf, IoError> {
    if path.file_name().is_none() {
        return Err(refuse(
            path,
            io::ErrorKind::InvalidInput,
            "the path does not name a file".into(),
        ));
    }
    let (target, link) = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match fs::canonicalize(path) {
            Ok(t) => (t, true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let to = fs::read_link(path)
                    .map(|t| format!(" `{}`", t.display()))
                    .unwrap_or_default();
                return Err(refuse(
                    path,
                    io::ErrorKind::NotFound,
                    format!("it is a symlink to{to}, which does not exist; nothing was touched"),
                ));
            }
            Err(e) => return Err(IoError::os(path, "cannot follow the symlink", e)),
        },
        Ok(_) => (path.to_path_buf(), false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => (path.to_path_buf(), false),
        Err(e) => return Err(IoError::os(path, "cannot inspect the destination", e)),
    };
    let found = match fs::metadata(&target) {
        Ok(m) => classify(&target, &m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Found::Nothing,
        Err(e) => return Err(IoError::os(path, "cannot inspect the destination", e)),
    };
    let allowed = matches!(
        (output, &found),
        (_, Found::Nothing) | (Output::File, Found::File) | (Output::Zarr, Found::ZarrArray)
    );
    if !allowed {
        let what = found.describe();
        let it = if link {
            format!("a symlink to `{}`, which is {what}", target.display())
        } else {
            what.to_string()
        };
        let result = match output {
            Output::File => "a file result replaces only a regular file",
            Output::Zarr => "a Zarr result replaces only a Zarr array",
        };
        let kind = match found {
            Found::Directory | Found::ZarrGroup | Found::ZarrArray => io::ErrorKind::IsADirectory,
            Found::File => io::ErrorKind::NotADirectory,
            _ => io::ErrorKind::InvalidInput,
        };
        return Err(refuse(
            path,
            kind,
            format!("it is {it}; {result}, so nothing was touched"),
        ));
    }
    if found == Found::Nothing {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(refuse(
                path,
                io::ErrorKind::NotFound,
                format!("the directory `{}` does not exist", dir.display()),
            ));
        }
    }
    Ok(target)
}

//! What the command-line tests share: scratch directories that remove
//! themselves, so a passing run leaves nothing in the temporary directory.

use std::path::Path;

/// A scratch directory, removed with its contents when dropped; it
/// dereferences to its path.
pub struct Scratch(tempfile::TempDir);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// A new scratch directory whose name starts with `prefix`.
pub fn scratch_dir(prefix: &str) -> Scratch {
    Scratch(
        tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("create a scratch directory"),
    )
}

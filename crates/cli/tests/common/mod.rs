//! What the command-line tests share: scratch directories that remove
//! themselves, so a passing run leaves nothing in the temporary directory
//! (the runtime's tests' own module, not a copy of it), and running the
//! binary with piped input (`process`).

#[path = "../../../../runtime/tests/scratch/mod.rs"]
#[allow(dead_code)]
mod scratch;

// Each test binary uses what it needs of the two.
#[allow(unused_imports)]
pub use scratch::{scratch_dir, Scratch};

#[allow(dead_code)]
pub mod process;

#[allow(dead_code)]
pub mod cbuild;

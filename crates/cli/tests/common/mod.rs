//! What the command-line tests share: scratch directories that remove
//! themselves, so a passing run leaves nothing in the temporary directory
//! (the runtime's tests' own module, not a copy of it).

#[path = "../../../../runtime/tests/scratch/mod.rs"]
mod scratch;

// Each test binary uses what it needs of the two.
#[allow(unused_imports)]
pub use scratch::{scratch_dir, Scratch};

//! `blaze config`: the linker flags of objects from `blaze build`, from
//! the same function that writes each header's "Link with" line.

use crate::error::CliError;
use blaze::codegen::aot::{link_flags, LinkNeeds};

/// `blaze config --libs` (shared libraries) or `--static` (OpenBLAS from
/// its archive): the flags that link any object.
pub(crate) fn run(libs: bool, archive: bool) -> Result<(), CliError> {
    match (libs, archive) {
        (false, false) => Err(CliError::Usage(
            "`blaze config` needs `--libs` (shared libraries) or `--static` (OpenBLAS from its archive)".into(),
        )),
        (true, true) => Err(CliError::Usage(
            "`blaze config`: `--libs` and `--static` are two forms of the same flags; give one".into(),
        )),
        (_, archive) => {
            outln!("{}", link_flags(LinkNeeds::ANY, archive));
            Ok(())
        }
    }
}

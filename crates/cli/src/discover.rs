//! `blaze discover`: prints the datashape of the data at a path, as the
//! runtime's [`io::discover`](blaze::runtime::io::discover) finds it. The
//! logic is the runtime's; this module only prints.

use crate::error::CliError;
use blaze::runtime::io;
use serde_json::json;
use std::path::Path;

/// Prints the datashape of `path` (a file, a Zarr directory, `-` for
/// standard input), text formats typed from their first `sample` rows; as
/// `{"path": …, "datashape": …}` with `json`.
pub(crate) fn run(path: &str, sample: usize, as_json: bool) -> Result<(), CliError> {
    let ty = io::discover(Path::new(path), sample).map_err(blaze::runtime::Error::from)?;
    if as_json {
        outln!(
            "{}",
            json!({
                "path": path,
                "datashape": ty.to_string(),
            })
        );
    } else {
        outln!("{ty}");
    }
    Ok(())
}

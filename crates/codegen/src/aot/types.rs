//! Which datashapes an object's C functions take: arrays (and 0-d
//! scalars) of bool, integers and floats with fixed or symbolic lengths.

use crate::error::Unsupported;
use crate::kernel::supported;
use blaze_datashape::{Datashape, Dim, Measure, Scalar};

/// The element type of `ty`, the type of `what` in definition `def`, or
/// why `blaze build` does not compile it.
pub(super) fn plain(ty: &Datashape, what: &str, def: &str) -> Result<Scalar, Unsupported> {
    match &ty.measure {
        Measure::Scalar { scalar } if supported(*scalar) => {
            if let Some(d) = ty
                .dims
                .iter()
                .find(|d| matches!(d, Dim::Var(_) | Dim::Ellipsis(_)))
            {
                return Err(Unsupported(format!(
                    "`{def}`: {what} has type `{ty}`, whose dimension `{d}` `blaze build` does not compile"
                )));
            }
            Ok(*scalar)
        }
        _ => Err(Unsupported(format!(
            "`{def}`: {what} has type `{ty}`; `blaze build` compiles arrays of bool, integers and floats"
        ))),
    }
}

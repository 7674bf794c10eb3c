//! The libm functions of an object. Kernels call libm under blaze's names
//! (`blaze_sin`, see `target::scalar_symbol`); the JIT maps them to libm's
//! addresses, an object defines them as calls of libm's functions.

use crate::error::Unsupported;
use inkwell::attributes::AttributeLoc;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::values::BasicMetadataValueEnum;

/// Kernels call libm under blaze's names (`blaze_sin`, see
/// `target::scalar_symbol`); the JIT maps them to libm's addresses, an
/// object defines them here as calls of libm's functions. `noinline`
/// keeps the calls, and so their vector variants, intact.
pub(super) fn define_math<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
) -> Result<(), Unsupported> {
    let mut next = module.get_first_function();
    let b = ctx.create_builder();
    while let Some(f) = next {
        next = f.get_next_function();
        let name = f.get_name().to_string_lossy().into_owned();
        let Some(libm) = name.strip_prefix("blaze_") else {
            continue;
        };
        if f.count_basic_blocks() > 0 || name == "blaze_aot_last_error" {
            continue;
        }
        let target = module
            .get_function(libm)
            .unwrap_or_else(|| module.add_function(libm, f.get_type(), Some(Linkage::External)));
        f.set_linkage(Linkage::Internal);
        f.add_attribute(
            AttributeLoc::Function,
            ctx.create_enum_attribute(
                inkwell::attributes::Attribute::get_named_enum_kind_id("noinline"),
                0,
            ),
        );
        b.position_at_end(ctx.append_basic_block(f, "entry"));
        let args: Vec<BasicMetadataValueEnum> =
            f.get_params().iter().map(|p| (*p).into()).collect();
        let r = b
            .build_call(target, &args, "r")
            .map_err(|e| Unsupported(e.to_string()))?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| Unsupported(format!("{libm} returns nothing")))?;
        b.build_return(Some(&r))
            .map_err(|e| Unsupported(e.to_string()))?;
    }
    Ok(())
}

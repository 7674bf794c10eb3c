//! The C ABI every object shares: blaze's status codes, DLPack's dtype
//! codes, and the thread's last error message with its accessor.

use blaze_datashape::{Scalar, ScalarKind};
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::AddressSpace;

// blaze status codes (crates/capi's `BlazeStatus`), returned by the
// generated functions.
pub(super) const NULL_POINTER: u64 = 1;
pub(super) const DTYPE: u64 = 7;
pub(super) const SHAPE: u64 = 8;
pub(super) const ALIGNMENT: u64 = 9;
pub(super) const DEVICE: u64 = 10;
/// No variant of the object runs on this CPU (or the one forced).
pub(super) const UNSUPPORTED: u64 = 11;
/// Evaluation failed (`min` of no element).
pub(super) const EVAL: u64 = 12;

/// DLPack's `(code, bits)` of a scalar.
pub(super) fn dl_dtype(s: Scalar) -> (u64, u64) {
    match s.kind() {
        ScalarKind::Bool => (6, 8),
        ScalarKind::Signed => (0, s.bits() as u64),
        ScalarKind::Unsigned => (1, s.bits() as u64),
        ScalarKind::Float => (2, s.bits() as u64),
        ScalarKind::Complex => (5, 2 * s.bits() as u64),
    }
}

/// The thread-local message of the last failure, and its accessor
/// `blaze_aot_last_error`, shared by every object (weak, ODR).
pub(super) fn last_error_global<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
) -> inkwell::values::GlobalValue<'ctx> {
    let ptr = ctx.ptr_type(AddressSpace::default());
    let g = module.add_global(ptr, None, "blaze_aot_last_error_message");
    g.set_thread_local(true);
    g.set_linkage(Linkage::WeakODR);
    g.set_initializer(&ptr.const_null());
    let f = module.add_function(
        "blaze_aot_last_error",
        ptr.fn_type(&[], false),
        Some(Linkage::WeakODR),
    );
    let b = ctx.create_builder();
    b.position_at_end(ctx.append_basic_block(f, "entry"));
    if let Ok(v) = b.build_load(ptr, g.as_pointer_value(), "m") {
        let _ = b.build_return(Some(&v));
    }
    g
}

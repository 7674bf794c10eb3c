//! The kernels an object carries: each fused kernel in its contiguous and
//! strided specialization, and the small kernels that start and finish a
//! reduction into an output of positive rank (filling it with the
//! identity, dividing it for `mean`). Each is emitted in a module of its
//! own (the emitter's globals), linked into the object's module and made
//! internal: only the C functions are the object's interface.

use super::cpu::Variant;
use super::wrapper::identity_const;
use crate::error::Unsupported;
use crate::kernel::{Combine, KNode, KOp, KernelKey, KernelSpec, Layout};
use crate::llvm::Emitter;
use crate::machine::Machine;
use blaze_datashape::Scalar;
use blaze_ir::ops::{BinaryFn, ReduceFn};
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::values::FunctionValue;

/// The kernels of one fused kernel: contiguous, strided, and for a
/// reduction into an output of positive rank its fill and (`mean`)
/// division.
#[derive(Clone, Copy, Debug)]
pub(super) struct Kernels<'ctx> {
    /// Every tensor operand with inner stride 1.
    pub(super) fast: FunctionValue<'ctx>,
    /// Any strides.
    pub(super) general: FunctionValue<'ctx>,
    /// Stores the reduction's identity into every element of `out`.
    pub(super) fill: Option<FunctionValue<'ctx>>,
    /// Divides every element of `out` by a broadcast count (`mean`).
    pub(super) divide: Option<FunctionValue<'ctx>>,
}

/// What the kernels of one fused kernel compute and over what.
pub(super) struct KernelPlan<'a> {
    /// The symbol prefix: unique in the object.
    pub(super) name: &'a str,
    /// The kernel.
    pub(super) spec: &'a KernelSpec,
    /// The rank of the iteration space.
    pub(super) rank: usize,
    /// Whether each operand is 0-d (a broadcast scalar).
    pub(super) scalar_operand: Vec<bool>,
    /// Whether the innermost axis of the space is reduced (so `out` has
    /// stride 0 along it).
    pub(super) inner_reduced: bool,
    /// The reduction, if any.
    pub(super) reduce: Option<ReduceFn>,
    /// The rank of the output.
    pub(super) out_rank: usize,
}

/// Emits kernel `name` for `key` into `module`, internal.
pub(super) fn emit<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    machine: &Machine,
    v: &Variant,
    name: &str,
    key: &KernelKey,
) -> Result<FunctionValue<'ctx>, Unsupported> {
    let m = machine.module(ctx, name);
    Emitter::new(ctx, &m, &v.host).build(name, key)?;
    module
        .link_in_module(m)
        .map_err(|e| Unsupported(format!("linking `{name}`: {e}")))?;
    let k = module
        .get_function(name)
        .ok_or_else(|| Unsupported(format!("kernel `{name}` missing after linking")))?;
    k.set_linkage(Linkage::Internal);
    Ok(k)
}

/// The kernels of `p` for variant `v` (one kernel twice over a 0-d space).
pub(super) fn build<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    machine: &Machine,
    v: &Variant,
    p: &KernelPlan<'_>,
) -> Result<Kernels<'ctx>, Unsupported> {
    let rank = p.rank;
    let kernel = |suffix: &str, layout: Layout| {
        let layouts = p
            .scalar_operand
            .iter()
            .map(|s| {
                if *s || rank == 0 {
                    Layout::Broadcast
                } else {
                    layout
                }
            })
            .chain([if rank == 0 || p.inner_reduced {
                Layout::Broadcast
            } else {
                layout
            }])
            .collect();
        let key = KernelKey {
            spec: p.spec.clone(),
            rank,
            layouts,
            bits: Vec::new(),
        };
        let name = format!("{}_{suffix}__{}", p.name, v.suffix());
        emit(ctx, module, machine, v, &name, &key)
    };
    let fast = kernel("contiguous", Layout::Contiguous)?;
    let general = if rank == 0 {
        fast
    } else {
        kernel("strided", Layout::Strided)?
    };
    let (fill, divide) = match p.reduce {
        Some(rf) if p.out_rank > 0 => reduction_kernels(
            ctx,
            module,
            machine,
            v,
            p.name,
            rf,
            p.spec.output,
            p.out_rank,
        )?,
        _ => (None, None),
    };
    Ok(Kernels {
        fast,
        general,
        fill,
        divide,
    })
}

/// The kernels that start and finish reduction `rf` into an output of
/// element type `s` and positive rank `out_rank`: one storing the
/// identity into every element, and for `mean` one dividing every element
/// by its second operand (a broadcast scalar).
#[allow(clippy::too_many_arguments)]
fn reduction_kernels<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    machine: &Machine,
    v: &Variant,
    prefix: &str,
    rf: ReduceFn,
    s: Scalar,
    out_rank: usize,
) -> Result<(Option<FunctionValue<'ctx>>, Option<FunctionValue<'ctx>>), Unsupported> {
    // `count` is a sum of ones.
    let identity = identity_const(
        if rf == ReduceFn::Count {
            ReduceFn::Sum
        } else {
            rf
        },
        s,
    )?;
    let node = |op, args| KNode { op, args, ty: s };
    let fill = KernelSpec {
        inputs: Vec::new(),
        nodes: vec![node(KOp::Const(identity), Vec::new())],
        root: 0,
        combine: Combine::Store,
        output: s,
        missing: None,
    };
    let divide = KernelSpec {
        inputs: vec![s, s],
        nodes: vec![
            node(KOp::Input(0), Vec::new()),
            node(KOp::Input(1), Vec::new()),
            node(KOp::Binary(BinaryFn::Div), vec![0, 1]),
        ],
        root: 2,
        combine: Combine::Store,
        output: s,
        missing: None,
    };
    let build = |what: &str, spec: KernelSpec, layouts: Vec<Layout>| {
        let key = KernelKey {
            spec,
            rank: out_rank,
            layouts,
            bits: Vec::new(),
        };
        emit(
            ctx,
            module,
            machine,
            v,
            &format!("{prefix}_{what}__{}", v.suffix()),
            &key,
        )
    };
    let fill = build("fill", fill, vec![Layout::Strided])?;
    let divide = match rf {
        ReduceFn::Mean => Some(build(
            "divide",
            divide,
            vec![Layout::Strided, Layout::Broadcast, Layout::Strided],
        )?),
        _ => None,
    };
    Ok((Some(fill), divide))
}

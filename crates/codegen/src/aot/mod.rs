//! Ahead-of-time objects: definitions compiled into an object file with
//! one plain C function each, and the C header declaring them.
//!
//! A definition qualifies when its whole body is one fused elementwise
//! kernel over its parameters (arithmetic, math functions, comparisons,
//! `where`, casts, scalar literals — the groups the runtime compiles),
//! stored elementwise or reduced by `sum`, `prod`, `min`, `max`, `mean`,
//! `any` or `all` over every axis into a 0-d result (`sum(x * x)`, written
//! through a 0-d `DLTensor` `out`) or over some axes (`keepdims` too), so
//! the object needs no JIT and no runtime at run time: only libm (and
//! glibc's libmvec for vectorized math). A matrix product of two
//! parameters (`A.T @ A`, see `blas`) is one call of OpenBLAS's
//! `cblas_dgemm`. Others are refused with the reason.
//!
//! The C function of `def axpy(a: float64, x: N * float64, y: N * float64)`
//! is `int32_t axpy(double a, const DLTensor *x, const DLTensor *y,
//! DLTensor *out)`: 0-d parameters are C scalars, arrays DLPack tensors,
//! the caller-allocated output last. A wrapper written in LLVM IR checks
//! every tensor (NULL, device, dtype, rank, lengths and symbolic dims,
//! alignment, broadcasting, overlapping output) and returns a blaze status
//! code, leaving a static message for `blaze_aot_last_error()`; then it
//! calls the kernel over the whole iteration space — the contiguous
//! specialization when every tensor's inner stride is 1, the strided one
//! otherwise.
//!
//! Code is generated for a [`BuildTarget`]: by default one variant per
//! x86-64 level (v2, v3, v4) behind a dispatcher that picks the best one
//! the running CPU supports at the first call, so the object is portable;
//! or one CPU (`native`, a level, an LLVM CPU name), or AArch64.
//!
//! `types` says which datashapes an object's functions take, `cpu` what
//! it is built for, `header` writes the C header, `wrapper` the
//! DLPack-checking C function of each definition and variant in LLVM IR,
//! `dispatch` the function that chooses between variants, `abi` the
//! status codes and last error they share, `blas` which definitions are
//! one BLAS call, `math` the libm definitions;
//! this module builds the kernels of each definition (through `fuse`) and
//! writes the object (through `machine`, as the JIT optimizes).

mod abi;
mod blas;
mod cpu;
mod dispatch;
mod header;
mod math;
mod types;
mod wrapper;

use types::plain;

pub use cpu::{Arch, BuildTarget, Variant, DEFAULT_X86_CPUS};
pub use header::c_header;

use crate::error::Unsupported;
use crate::fuse::{op_name, NotFused, SpecBuilder};
use crate::kernel::{Combine, KNode, KOp, KernelKey, KernelSpec, Layout};
use crate::llvm::Emitter;
use crate::machine::{verify, Machine};
use blaze_datashape::Datashape;
use blaze_ir::ops::{BinaryFn, ReduceFn};
use blaze_ir::{Function, NodeId, Op};
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::targets::{CodeModel, RelocMode};
use inkwell::values::FunctionValue;
use std::path::Path;

/// The flags that link any object from [`build_object`] on x86-64:
/// OpenBLAS for matrix products, libmvec for the vectorized math
/// functions, libm (an object's header names the ones it needs).
pub const LINK_FLAGS: &str = "-lopenblas -lmvec -lm";

/// Whether `blaze build` compiles `f`, or why not: one fused elementwise
/// kernel (stored or reduced) or one matrix product (BLAS).
pub fn check(f: &Function) -> Result<(), Unsupported> {
    header::check_function_name(&f.name)?;
    match blas::gemm_of(f) {
        Some(g) => g.map(|_| ()),
        None => plan(f).map(|_| ()),
    }
}

/// Whether some definition of `functions` calls BLAS (the object then
/// links with `-lopenblas`).
pub fn uses_blas(functions: &[Function]) -> bool {
    functions
        .iter()
        .any(|f| matches!(blas::gemm_of(f), Some(Ok(_))))
}

/// The fused elementwise kernel that computes `f` (stored, or reduced),
/// or why there is none.
pub fn fused_kernel(f: &Function) -> Result<KernelSpec, Unsupported> {
    plan(f).map(|p| p.spec)
}

/// What the C function of a definition runs: its kernel, the type of the
/// iteration space (the result's, or the reduced argument's) and the
/// reduction, if any.
pub(crate) struct Plan {
    /// The kernel.
    pub(crate) spec: KernelSpec,
    /// The type whose dimensions the kernel iterates over.
    pub(crate) space: Datashape,
    /// The reduction, if any.
    pub(crate) reduce: Option<ReduceFn>,
    /// The axes of the space it reduces (all of them for a 0-d result).
    pub(crate) axes: Vec<usize>,
    /// Whether the result keeps the reduced axes with length 1.
    pub(crate) keepdims: bool,
}

impl Plan {
    /// Whether the innermost axis of the space is reduced (so the
    /// output's stride along it is 0 in every specialization).
    fn inner_reduced(&self) -> bool {
        self.reduce.is_some()
            && (self.space.dims.is_empty() || self.axes.contains(&(self.space.dims.len() - 1)))
    }
}

/// The plan of `f`: one fused elementwise kernel over its parameters,
/// whose value is the result or is reduced (`sum`, `prod`, `min`, `max`,
/// `mean`, `any`, `all`) over some or every axis.
fn plan(f: &Function) -> Result<Plan, Unsupported> {
    let def = &f.name;
    header::check_function_name(def)?;
    let inputs = f
        .params
        .iter()
        .map(|(n, t)| plain(t, &format!("parameter `{n}`"), def))
        .collect::<Result<Vec<_>, _>>()?;
    let output = plain(f.result_type(), "the result", def)?;
    let root = f.node(f.root);
    let (top, reduce, space, reduced, keep) = match &root.op {
        Op::Reduce {
            f: rf,
            axes,
            keepdims,
        } => {
            let arg = *root
                .args
                .first()
                .ok_or_else(|| Unsupported(format!("`{def}`: a reduction of nothing")))?;
            let arg_ty = &f.node(arg).ty;
            use ReduceFn::*;
            if !matches!(rf, Sum | Prod | Min | Max | Mean | Any | All) {
                return Err(Unsupported(format!(
                    "`{def}`: `{}` is not compiled ahead of time (`sum`, `prod`, `min`, `max`, `mean`, `any` and `all` are); call it through the C API's JIT",
                    rf.name()
                )));
            }
            let rank = arg_ty.dims.len();
            let reduced = axes.clone().unwrap_or_else(|| (0..rank).collect());
            if reduced.iter().any(|&a| a >= rank) {
                return Err(Unsupported(format!(
                    "`{def}`: reduction axes {reduced:?} of a rank-{rank} array"
                )));
            }
            (arg, Some(*rf), arg_ty.clone(), reduced, *keepdims)
        }
        _ => (f.root, None, f.result_type().clone(), Vec::new(), false),
    };
    let mut spec = SpecBuilder::new(f, inputs);
    for (i, n) in f.nodes.iter().enumerate() {
        let id = NodeId(i as u32);
        if reduce.is_some() && id == f.root {
            continue;
        }
        plain(&n.ty, &format!("node %{i}"), def)?;
        let added = match &n.op {
            Op::Param(p) => spec.input(id, *p),
            // An array literal has no C form here.
            Op::Literal(_) if !n.ty.dims.is_empty() => Err(NotFused {
                node: id,
                what: format!("a `{}` operation", op_name(&n.op)),
            }),
            _ => spec.compute(id),
        };
        added.map_err(|e| not_fused(def, &e))?;
    }
    // `mean` is a sum, divided by the number of elements after the call.
    let combine = match reduce {
        None => Combine::Store,
        Some(ReduceFn::Mean) => Combine::Reduce(ReduceFn::Sum),
        Some(rf) => Combine::Reduce(rf),
    };
    let spec = spec
        .finish(top, combine, output)
        .map_err(|e| not_fused(def, &e))?;
    Ok(Plan {
        spec,
        space,
        reduce,
        axes: reduced,
        keepdims: keep,
    })
}

fn not_fused(def: &str, why: &NotFused) -> Unsupported {
    Unsupported(format!(
        "`{def}` is not one fused elementwise kernel ({why}), stored or reduced; `blaze build` compiles such definitions only — call the others through the C API's JIT"
    ))
}

/// Compiles `functions` (each [`fused_kernel`]-able) into the object file
/// `path`, for `target`: one variant of each definition per CPU of the
/// target, behind a dispatcher when there are several levels.
pub fn build_object(
    functions: &[Function],
    path: &Path,
    target: &BuildTarget,
) -> Result<(), Unsupported> {
    let base = target.base_host();
    let machine = Machine::for_triple(&target.triple, &base, RelocMode::PIC, CodeModel::Default)?;
    let ctx = Context::create();
    let module = machine.module(&ctx, "blaze_aot");
    let last_error = abi::last_error_global(&ctx, &module);
    let dispatched = target.dispatched();
    if dispatched {
        let defs: Vec<String> = functions.iter().map(|f| f.name.clone()).collect();
        dispatch::link_choice(&ctx, &module, &base, &target.variants, &defs)?;
    }
    for f in functions {
        header::c_declaration(f)?;
        let gemm = blas::gemm_of(f).transpose()?;
        let plan = match gemm {
            Some(_) => None,
            None => Some(plan(f)?),
        };
        let mut variants = Vec::new();
        for v in &target.variants {
            let (symbol, linkage) = if dispatched {
                (format!("{}__{}", f.name, v.suffix()), Linkage::Internal)
            } else {
                (f.name.clone(), Linkage::External)
            };
            let w = wrapper::Wrapper::new(&ctx, &module, &v.host, last_error, f, &symbol, linkage)?;
            let built = match (&plan, gemm) {
                (Some(plan), _) => {
                    let (fast, general) = kernels(&ctx, &module, &machine, v, f, plan)?;
                    let (fill, divide) = reduction_kernels(&ctx, &module, &machine, v, f, plan)?;
                    w.plan(plan, fill, divide).build(fast, general)?
                }
                (None, Some(g)) => w.build_gemm(&module, g)?,
                (None, None) => return Err(Unsupported(format!("`{}`: nothing to build", f.name))),
            };
            variants.push(built);
        }
        if dispatched {
            dispatch::build_dispatcher(&ctx, &module, &base, &f.name, &variants)?;
        }
    }
    math::define_math(&ctx, &module)?;
    verify(&module)?;
    machine.optimize(&module)?;
    machine.write_object(&module, path)
}

/// The contiguous and the strided kernel of `f` for variant `v` (one
/// kernel twice for a 0-d result), each built in its own module (the
/// emitter's globals), linked into `module` and made internal.
fn kernels<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    machine: &Machine,
    v: &Variant,
    f: &Function,
    plan: &Plan,
) -> Result<(FunctionValue<'ctx>, FunctionValue<'ctx>), Unsupported> {
    let rank = plan.space.dims.len();
    // A reduction's output has stride 0 along the reduced axes.
    let out_layout = |layout| {
        if rank == 0 || plan.inner_reduced() {
            Layout::Broadcast
        } else {
            layout
        }
    };
    let mut names = Vec::new();
    for (suffix, layout) in [
        ("contiguous", Layout::Contiguous),
        ("strided", Layout::Strided),
    ] {
        if rank == 0 && layout == Layout::Strided {
            continue;
        }
        let layouts = f
            .params
            .iter()
            .map(|(_, t)| {
                if t.dims.is_empty() || rank == 0 {
                    Layout::Broadcast
                } else {
                    layout
                }
            })
            .chain([out_layout(layout)])
            .collect();
        let key = KernelKey {
            spec: plan.spec.clone(),
            rank,
            layouts,
            bits: Vec::new(),
        };
        let name = format!("__blaze_aot_{}_{suffix}__{}", f.name, v.suffix());
        let m = machine.module(ctx, &name);
        Emitter::new(ctx, &m, &v.host).build(&name, &key)?;
        module
            .link_in_module(m)
            .map_err(|e| Unsupported(format!("linking `{name}`: {e}")))?;
        names.push(name);
    }
    let mut found = Vec::new();
    for n in &names {
        // Private to the object: only the C functions are its interface.
        let k = module
            .get_function(n)
            .ok_or_else(|| Unsupported(format!("kernel `{n}` missing after linking")))?;
        k.set_linkage(Linkage::Internal);
        found.push(k);
    }
    let fast = *found
        .first()
        .ok_or_else(|| Unsupported(format!("`{}` has no kernel", f.name)))?;
    Ok((fast, found.get(1).copied().unwrap_or(fast)))
}

/// The kernels that start and finish a reduction into an output of
/// positive rank: one storing the identity of the reduction into every
/// element (the `fill` of `wrapper::reduce`), and for `mean` one dividing
/// every element by the count, read from its second operand (a broadcast
/// scalar).
fn reduction_kernels<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    machine: &Machine,
    v: &Variant,
    f: &Function,
    plan: &Plan,
) -> Result<(Option<FunctionValue<'ctx>>, Option<FunctionValue<'ctx>>), Unsupported> {
    let Some(rf) = plan.reduce else {
        return Ok((None, None));
    };
    let out_rank = f.result_type().dims.len();
    if out_rank == 0 {
        return Ok((None, None));
    }
    let s = plan.spec.output;
    let identity = wrapper::identity_const(rf, s)?;
    let fill = KernelSpec {
        inputs: Vec::new(),
        nodes: vec![KNode {
            op: KOp::Const(identity),
            args: Vec::new(),
            ty: s,
        }],
        root: 0,
        combine: Combine::Store,
        output: s,
        missing: None,
    };
    let divide = KernelSpec {
        inputs: vec![s, s],
        nodes: vec![
            KNode {
                op: KOp::Input(0),
                args: Vec::new(),
                ty: s,
            },
            KNode {
                op: KOp::Input(1),
                args: Vec::new(),
                ty: s,
            },
            KNode {
                op: KOp::Binary(BinaryFn::Div),
                args: vec![0, 1],
                ty: s,
            },
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
        let name = format!("__blaze_aot_{}_{what}__{}", f.name, v.suffix());
        let m = machine.module(ctx, &name);
        Emitter::new(ctx, &m, &v.host).build(&name, &key)?;
        module
            .link_in_module(m)
            .map_err(|e| Unsupported(format!("linking `{name}`: {e}")))?;
        let k = module
            .get_function(&name)
            .ok_or_else(|| Unsupported(format!("kernel `{name}` missing after linking")))?;
        k.set_linkage(Linkage::Internal);
        Ok::<_, Unsupported>(k)
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

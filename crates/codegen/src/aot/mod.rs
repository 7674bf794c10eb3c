//! Ahead-of-time objects: definitions compiled into an object file with
//! one plain C function each, and the C header declaring them.
//!
//! A definition whose whole body is one fused elementwise kernel over its
//! parameters (arithmetic, math functions, comparisons, `where`, casts,
//! scalar literals — the groups the runtime compiles), stored or reduced
//! by `sum`, `prod`, `min`, `max`, `mean`, `any` or `all` over every axis
//! into a 0-d result (`sum(x * x)`, written through a 0-d `DLTensor`
//! `out`) or over some axes (`keepdims` too), is that kernel behind its C
//! function; a matrix product of two parameters (`A.T @ A`, see `blas`) is
//! one call of OpenBLAS's `cblas_dgemm`.
//!
//! Any other definition over plain numbers is a `program`: the JIT's
//! plan of fused groups (their results in temporaries), matrix products,
//! `solve`/`inv`/`det` (LAPACK), `argmin`/`argmax`, index notation
//! (`index`) and transposes (views), with `var`/`std` first expanded
//! into `mean`s (`lower`). The object carries every kernel of the plan
//! and a generated driver (`wrapper::driver`) that checks the tensors as
//! for one kernel, runs the steps in order and frees its temporaries on
//! every return. Temporaries come from `malloc` in the driver, not from
//! caller-supplied scratch: every definition keeps the one C signature
//! (no scratch-size query to get wrong), and the cost is small — measured
//! from C on `x - mean(x)` (one 0-d temporary) against `x * 2.0` (no
//! temporary), 16 elements: 81 against 47 ns a call, the difference being
//! the second kernel and one `malloc`/`free`; on 2×10^7 elements the
//! two-kernel object took 88 ms against 114 ms for the two C loops at
//! `-O2`. Strings, decimals, ragged axes and options are refused with the
//! reason. The object needs no JIT and no blaze library at run time: only
//! libm (and glibc's libmvec for vectorized math) and OpenBLAS when it
//! calls BLAS or LAPACK ([`link_flags`]).
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
//! one BLAS call, `math` the libm definitions, `kernels` each kernel's
//! specializations, `link` the link flags;
//! this module builds the kernels of each definition (through `fuse`) and
//! writes the object (through `machine`, as the JIT optimizes).

mod abi;
mod blas;
mod cpu;
mod dispatch;
mod header;
mod index;
mod kernels;
mod link;
mod lower;
mod math;
mod program;
mod types;
mod wrapper;

use types::plain;

pub use cpu::{Arch, BuildTarget, Variant, DEFAULT_X86_CPUS};
pub use header::c_header;
pub use link::{link_flags, LinkNeeds};

use crate::error::Unsupported;
use crate::fuse::{op_name, NotFused, SpecBuilder};
use crate::kernel::{Combine, KernelSpec};
use crate::machine::{verify, Machine};
use blaze_datashape::Datashape;
use blaze_ir::ops::ReduceFn;
use blaze_ir::{Function, NodeId, Op};
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::targets::{CodeModel, RelocMode};
use std::collections::HashMap;
use std::path::Path;

/// How an object computes a definition.
enum Kind {
    /// One fused elementwise kernel, stored or reduced.
    Kernel(Plan),
    /// One matrix product of two parameters.
    Gemm(blas::Gemm),
    /// Several steps run by a generated driver, over the definition with
    /// `var` and `std` expanded ([`lower::lower_moments`]).
    Program(Box<(Function, program::Program)>),
}

/// How the object computes `f`, or why `blaze build` does not: one
/// kernel, one BLAS call, or else a program of several steps.
fn kind(f: &Function) -> Result<Kind, Unsupported> {
    header::check_function_name(&f.name)?;
    if let Some(Ok(g)) = blas::gemm_of(f) {
        return Ok(Kind::Gemm(g));
    }
    match plan(f) {
        Ok(p) => Ok(Kind::Kernel(p)),
        Err(_) => {
            let lowered = lower::lower_moments(f);
            let p = program::program(&lowered)?;
            Ok(Kind::Program(Box::new((lowered, p))))
        }
    }
}

/// Whether `blaze build` compiles `f`, or why not: one fused elementwise
/// kernel (stored or reduced), one matrix product (BLAS), or several
/// fused groups and matrix products run in order by a generated driver.
pub fn check(f: &Function) -> Result<(), Unsupported> {
    kind(f).map(|_| ())
}

/// Whether some definition of `functions` calls BLAS (the object then
/// links with `-lopenblas`).
pub fn uses_blas(functions: &[Function]) -> bool {
    functions.iter().any(|f| match kind(f) {
        Ok(Kind::Gemm(_)) => true,
        Ok(Kind::Program(p)) => p.1.uses_blas(),
        _ => false,
    })
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
        let how = kind(f)?;
        let mut variants = Vec::new();
        for v in &target.variants {
            let (symbol, linkage) = if dispatched {
                (format!("{}__{}", f.name, v.suffix()), Linkage::Internal)
            } else {
                (f.name.clone(), Linkage::External)
            };
            // A program runs over the lowered definition (same parameters
            // and result).
            let body = match &how {
                Kind::Program(p) => &p.0,
                _ => f,
            };
            let w =
                wrapper::Wrapper::new(&ctx, &module, &v.host, last_error, body, &symbol, linkage)?;
            let built = match &how {
                Kind::Kernel(plan) => {
                    let k = kernels::build(
                        &ctx,
                        &module,
                        &machine,
                        v,
                        &kernels::KernelPlan {
                            name: &format!("__blaze_aot_{}", f.name),
                            spec: &plan.spec,
                            rank: plan.space.dims.len(),
                            scalar_operand: f
                                .params
                                .iter()
                                .map(|(_, t)| t.dims.is_empty())
                                .collect(),
                            inner_reduced: plan.inner_reduced(),
                            reduce: plan.reduce,
                            out_rank: f.result_type().dims.len(),
                        },
                    )?;
                    w.plan(plan, k.fill, k.divide).build(k.fast, k.general)?
                }
                Kind::Gemm(g) => w.build_gemm(&module, *g)?,
                Kind::Program(p) => {
                    let (lowered, prog) = p.as_ref();
                    let k = program_kernels(&ctx, &module, &machine, v, lowered, prog)?;
                    w.build_program(&module, prog, &k)?
                }
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

/// The kernels of every group of `p`, by node, for variant `v`.
fn program_kernels<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    machine: &Machine,
    v: &Variant,
    f: &Function,
    p: &program::Program,
) -> Result<HashMap<usize, kernels::Kernels<'ctx>>, Unsupported> {
    let mut found = HashMap::new();
    for (i, g) in p.groups() {
        let rank = g.space.dims.len();
        let k = kernels::build(
            ctx,
            module,
            machine,
            v,
            &kernels::KernelPlan {
                name: &format!("__blaze_aot_{}_{i}", f.name),
                spec: &g.spec,
                rank,
                scalar_operand: g
                    .leaves
                    .iter()
                    .map(|l| f.node(*l).ty.dims.is_empty())
                    .collect(),
                inner_reduced: g.reduce.is_some() && (rank == 0 || g.axes.contains(&(rank - 1))),
                reduce: g.reduce,
                out_rank: f.node(NodeId(i as u32)).ty.dims.len(),
            },
        )?;
        found.insert(i, k);
    }
    for (i, ix) in p.index_plans() {
        let rank = ix.outer.len() + ix.inner.len();
        let k = kernels::build(
            ctx,
            module,
            machine,
            v,
            &kernels::KernelPlan {
                name: &format!("__blaze_aot_{}_{i}", f.name),
                spec: &ix.spec,
                rank,
                scalar_operand: ix
                    .operands
                    .iter()
                    .map(|o| match o {
                        index::IndexOperand::Scalar(_) => true,
                        index::IndexOperand::Gather { items, .. } => !items
                            .iter()
                            .any(|g| matches!(g, blaze_ir::GatherItem::Var(_))),
                    })
                    .collect(),
                inner_reduced: ix.reduce.is_some() && !ix.inner.is_empty(),
                reduce: ix.reduce,
                out_rank: ix.outer.len(),
            },
        )?;
        found.insert(i, k);
    }
    Ok(found)
}

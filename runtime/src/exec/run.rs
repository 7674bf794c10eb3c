//! Running a prepared function: values per node, kernels launched over the
//! operands' memory, BLAS/LAPACK calls, the reference kernels for the rest.

use super::group::{GroupPlan, ReducePlan};
use super::index::{IndexOperand, IndexPlan};
use super::into::Dest;
use super::launch::{launch_flat, pool};
use super::missing::{c_order_strides, kernel_strides, set_valid, BitOperands, Mask};
use super::native::{materialize, routine_name, run_native, NativeArg};
use super::plan::Step;
use super::spare::Spare;
use super::{env_dump, Arg, Options, Prepared, Report};
use crate::error::{Error, JitError};
use blaze_array::{ArrayError, DenseView};
use blaze_codegen::{jit, Compiled, KernelKey, KernelSpec, Layout};
use blaze_datashape::Scalar;
use blaze_interp::{
    check_input_shapes, eval, eval_op, kernels, with_array, Array, EvalError, InputShape, Value,
};
use blaze_ir::ops::ReduceFn;
use blaze_ir::{GatherItem, IndexVar, Literal, NodeId};
use ndarray::{ArrayD, Dimension, IxDyn};
use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// A value computed by a step, or borrowed from the inputs.
// One per node and short-lived; boxing values would cost an allocation each.
#[allow(clippy::large_enum_variant)]
pub(super) enum Slot<'a> {
    Empty,
    Borrowed(&'a Value),
    Owned(Value),
    /// The caller's memory, read in place by kernels; copied into a value
    /// (once) only for the steps that need one (BLAS/LAPACK, the reference
    /// kernels).
    View {
        view: DenseView<'a>,
        value: OnceCell<Value>,
    },
}

impl Slot<'_> {
    /// The value of the node; a view is copied into one on first use.
    pub(super) fn value(&self, id: NodeId) -> Result<&Value, Error> {
        match self {
            Slot::Empty => Err(EvalError::Value(format!("value of %{} missing", id.0)).into()),
            Slot::Borrowed(v) => Ok(v),
            Slot::Owned(v) => Ok(v),
            Slot::View { view, value } => {
                if value.get().is_none() {
                    let _ = value.set(materialize(view)?);
                }
                value
                    .get()
                    .ok_or_else(|| EvalError::Value(format!("value of %{} missing", id.0)).into())
            }
        }
    }
}

impl<'a> Slot<'a> {
    /// The node as a BLAS/LAPACK argument: a view without missing values
    /// is passed as it is (BLAS reads it in place), anything else as its
    /// value.
    pub(super) fn native_arg(&self, id: NodeId) -> Result<NativeArg<'_>, Error> {
        match self {
            Slot::View { view, value } if value.get().is_none() && view.validity().is_none() => {
                Ok(NativeArg::View(view))
            }
            _ => self.value(id).map(NativeArg::Value),
        }
    }
}

/// Pointer to element 0 and strides (elements) of the caller's `view`
/// broadcast to `shape` (stride 0 on broadcast axes).
fn view_operand(view: &DenseView<'_>, shape: &[usize]) -> Result<(*mut u8, Vec<i64>), Error> {
    let strides = view.broadcast_element_strides(shape).map_err(|e| match e {
        ArrayError::Broadcast { .. } => EvalError::Shape(format!(
            "cannot broadcast shape {:?} to {:?}",
            view.shape(),
            shape
        )),
        e => EvalError::Input(e.to_string()),
    })?;
    Ok((view.as_ptr().cast_mut(), strides))
}

pub(super) fn identity(f: ReduceFn, s: Scalar) -> Array {
    let one = |lit: Literal| {
        let base = match lit {
            Literal::Bool(b) => Array::Bool(ArrayD::from_elem(IxDyn(&[]), b)),
            Literal::Int(i) => Array::Int64(ArrayD::from_elem(IxDyn(&[]), i as i64)),
            Literal::Float(x) => Array::Float64(ArrayD::from_elem(IxDyn(&[]), x)),
            Literal::Complex(..) | Literal::Str(_) => {
                Array::Float64(ArrayD::from_elem(IxDyn(&[]), 0.0))
            }
        };
        kernels::cast(&base, s)
    };
    let float = matches!(s, Scalar::Float16 | Scalar::Float32 | Scalar::Float64);
    let (min, max): (Array, Array) = match s {
        Scalar::UInt64 => (
            Array::UInt64(ArrayD::from_elem(IxDyn(&[]), u64::MAX)),
            Array::UInt64(ArrayD::from_elem(IxDyn(&[]), 0)),
        ),
        _ if float => (
            one(Literal::Float(f64::INFINITY)),
            one(Literal::Float(f64::NEG_INFINITY)),
        ),
        _ => {
            let bits = s.bits();
            let signed = s.kind() == blaze_datashape::ScalarKind::Signed;
            let (lo, hi): (i128, i128) = if signed {
                (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
            } else {
                (0, (1i128 << bits) - 1)
            };
            (one(Literal::Int(hi)), one(Literal::Int(lo)))
        }
    };
    match f {
        ReduceFn::Sum | ReduceFn::Any => one(Literal::Int(0)),
        ReduceFn::Prod | ReduceFn::All => one(Literal::Int(1)),
        ReduceFn::Min => min,
        _ => max,
    }
}

pub(super) fn fill(a: &mut Array, v: &Array) {
    macro_rules! go {
        ($($variant:ident),*) => {
            match (a, v) {
                $((Array::$variant(x), Array::$variant(y)) => {
                    if let Some(val) = y.iter().next() {
                        x.fill(val.clone());
                    }
                })*
                _ => {}
            }
        };
    }
    go!(
        Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float16, Float32, Float64,
        Complex64, Complex128
    );
}

/// A zeroed output array. Large ones ask the kernel for transparent huge
/// pages before the first touch (as NumPy does): the kernels then fault in
/// 2 MiB pages instead of 4 KiB ones, which costs far less than the
/// computation instead of more. Allocated fallibly: a result too large for
/// the memory limit in force or the machine is an error naming its shape
/// and size.
pub(super) fn output_array(s: Scalar, shape: &[usize]) -> Result<Array, Error> {
    let what = format!("the result ({})", blaze_array::alloc::describe(shape, s));
    let mut a = Array::try_zeros(s, shape, &what)?;
    let bytes = a.len() * s.size_bytes();
    crate::memory::advise_huge_pages(mut_ptr(&mut a), bytes);
    Ok(a)
}

/// A mask of `shape`, all false (nothing missing), allocated fallibly.
pub(super) fn output_mask(shape: &[usize]) -> Result<ArrayD<bool>, Error> {
    let what = "the missing-value mask of the result";
    let n = blaze_array::alloc::elements(shape, what).map_err(EvalError::from)?;
    let data = blaze_array::alloc::try_zeroed::<bool>(n, what).map_err(EvalError::from)?;
    ArrayD::from_shape_vec(IxDyn(shape), data).map_err(|e| EvalError::Shape(e.to_string()).into())
}

pub(super) fn mut_ptr(a: &mut Array) -> *mut u8 {
    with_array!(a, x => x.as_mut_ptr().cast::<u8>())
}

/// Pointer to element 0 and strides (elements) of `a` broadcast to `shape`.
pub(super) fn operand(a: &Array, shape: &[usize]) -> Result<(*mut u8, Vec<i64>), Error> {
    with_array!(a, x => {
        let v = x.broadcast(IxDyn(shape)).ok_or_else(|| {
            EvalError::Shape(format!("cannot broadcast shape {:?} to {:?}", x.shape(), shape))
        })?;
        Ok((v.as_ptr().cast::<u8>().cast_mut(), v.strides().iter().map(|&s| s as i64).collect()))
    })
}

impl Prepared {
    /// Runs on `inputs` (one per parameter, checked against the types).
    pub fn run(&self, inputs: &[Value], opts: &Options) -> Result<(Value, Report), Error> {
        let args: Vec<Arg<'_>> = inputs.iter().map(Arg::Value).collect();
        self.run_args(&args, opts)
    }

    /// Runs on `inputs`, values or views of the caller's memory (one per
    /// parameter, checked against the types). Kernels read views in place;
    /// only steps that need an interpreter value (BLAS/LAPACK, the
    /// reference kernels) copy one.
    pub fn run_args(&self, inputs: &[Arg<'_>], opts: &Options) -> Result<(Value, Report), Error> {
        self.run_to(inputs, opts, &mut None, &mut Spare::default())
    }

    /// As [`Prepared::run_args`], for one of many runs of this function on
    /// inputs of the same shapes (the blocks of a stream): kernels write
    /// into the arrays the last run left in `spare` instead of fresh
    /// memory, and this run leaves its own there for the next.
    pub fn run_args_reusing(
        &self,
        inputs: &[Arg<'_>],
        opts: &Options,
        spare: &mut Spare,
    ) -> Result<(Value, Report), Error> {
        self.run_to(inputs, opts, &mut None, spare)
    }

    /// As [`Prepared::run_args`]; when the function ends in a fused group
    /// without a reduction whose shape is that of `dest`, its kernel takes
    /// `dest` and writes there (the value returned is then empty).
    pub(super) fn run_to(
        &self,
        inputs: &[Arg<'_>],
        opts: &Options,
        dest: &mut Option<Dest>,
        spare: &mut Spare,
    ) -> Result<(Value, Report), Error> {
        let result = self.run_quiet(inputs, opts, dest, spare);
        if opts.print_dumps {
            if env_dump("ir") {
                eprintln!("{}", self.f);
            }
            if let Ok((_, report)) = &result {
                for k in &report.kernels {
                    for text in [&k.ir, &k.opt_ir, &k.asm].into_iter().flatten() {
                        eprintln!("; kernel {} — {}\n{text}", k.name, k.key);
                    }
                }
            }
        }
        result
    }

    fn run_quiet(
        &self,
        inputs: &[Arg<'_>],
        opts: &Options,
        dest: &mut Option<Dest>,
        spare: &mut Spare,
    ) -> Result<(Value, Report), Error> {
        let mut report = Report::default();
        self.check_args(inputs)?;
        if self.interpret {
            // Every operation runs on the interpreter.
            report.fallbacks = (0..self.f.nodes.len())
                .map(|i| NodeId(i as u32))
                .filter(|&id| !matches!(self.f.node(id).op, blaze_ir::Op::Param(_)))
                .map(|id| format!("{} (interpreter: loop not compiled)", self.f.node_text(id)))
                .collect();
            let values = inputs
                .iter()
                .map(|a| match a {
                    Arg::Value(v) => Ok((*v).clone()),
                    Arg::View(v) => materialize(v),
                })
                .collect::<Result<Vec<_>, Error>>()?;
            return Ok((eval(&self.f, &values)?, report));
        }
        let pool = pool(opts.threads)?;
        let mut slots: Vec<Slot> = (0..self.f.nodes.len()).map(|_| Slot::Empty).collect();
        let mut no_dest = None;
        for (i, step) in self.steps.iter().enumerate() {
            let id = NodeId(i as u32);
            let value = match step {
                Step::Param(p) => {
                    slots[i] = match &inputs[*p] {
                        Arg::Value(v) => Slot::Borrowed(v),
                        Arg::View(v) => Slot::View {
                            view: v.clone(),
                            value: OnceCell::new(),
                        },
                    };
                    continue;
                }
                Step::Fused => continue,
                Step::Group(g) => {
                    let dest = if i == self.f.root.index() {
                        &mut *dest
                    } else {
                        &mut no_dest
                    };
                    let pool = pool.as_deref();
                    self.run_group(g, &slots, opts, pool, &mut report, dest, spare)?
                }
                Step::Index(p) => self.run_index(p, &slots, opts, pool.as_deref(), &mut report)?,
                Step::Column(c) => {
                    let value = |n: NodeId| slots[n.index()].value(n);
                    c.run(&self.f, id, value, opts, pool.as_deref(), &mut report)?
                }
                Step::Decimal(d) => {
                    let value = |n: NodeId| slots[n.index()].value(n);
                    d.run(&self.f, id, value, opts, pool.as_deref(), &mut report)?
                }
                Step::Select => {
                    let value = |n: NodeId| slots[n.index()].value(n);
                    let pool = pool.as_deref();
                    super::columns_select::run_select(&self.f, id, value, opts, pool, &mut report)?
                }
                Step::Native => {
                    let args = self
                        .f
                        .node(id)
                        .args
                        .iter()
                        .map(|a| slots[a.index()].native_arg(*a))
                        .collect::<Result<Vec<_>, _>>()?;
                    if args.iter().all(NativeArg::plain) {
                        crate::linalg::blas::set_threads(opts.threads.unwrap_or(0));
                        report.calls.push(routine_name(&self.f, id));
                        run_native(&self.f, id, &args)?
                    } else {
                        // Missing values or records: the reference kernels.
                        report.fallbacks.push(self.f.node_text(id));
                        let values = args.iter().map(NativeArg::to_value);
                        eval_op(&self.f, id, values.collect::<Result<_, _>>()?)?
                    }
                }
                Step::Fallback | Step::Const | Step::Structure => {
                    let args = self
                        .f
                        .node(id)
                        .args
                        .iter()
                        .map(|a| slots[a.index()].value(*a).cloned())
                        .collect::<Result<Vec<_>, _>>()?;
                    if matches!(step, Step::Fallback) {
                        report.fallbacks.push(self.f.node_text(id));
                    }
                    eval_op(&self.f, id, args)?
                }
            };
            slots[i] = Slot::Owned(value);
        }
        let root = self.f.root.index();
        let result = std::mem::replace(&mut slots[root], Slot::Empty);
        // What this run computed and no longer needs, for the next run.
        spare.keep(slots.into_iter().filter_map(|s| match s {
            Slot::Owned(v) => Some(v),
            _ => None,
        }));
        match result {
            Slot::Owned(v) => Ok((v, report)),
            Slot::Borrowed(v) => Ok((v.clone(), report)),
            Slot::View { view, value } => match value.into_inner() {
                Some(v) => Ok((v, report)),
                None => Ok((materialize(&view)?, report)),
            },
            Slot::Empty => Err(EvalError::Value("the result was not computed".into()).into()),
        }
    }

    /// Checks the inputs against the parameter types: shapes, element
    /// types, and that a view with missing values is given only for an
    /// option type.
    fn check_args(&self, inputs: &[Arg<'_>]) -> Result<(), Error> {
        let described: Vec<InputShape> = inputs
            .iter()
            .map(|a| match a {
                Arg::Value(v) => InputShape::of_value(v),
                Arg::View(v) => InputShape {
                    scalar: Some(v.scalar()),
                    shape: v.shape().to_vec(),
                    column: None,
                    fields: Vec::new(),
                },
            })
            .collect();
        check_input_shapes(&self.f, &described)?;
        for ((name, ty), a) in self.f.params.iter().zip(inputs) {
            if let Arg::View(v) = a {
                let option = matches!(ty.measure, blaze_datashape::Measure::Option { .. });
                if v.validity().is_some_and(|n| n.null_count() > 0) && !option {
                    return Err(EvalError::Input(format!(
                        "input `{name}` has missing values, but its type `{ty}` is not an option"
                    ))
                    .into());
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn run_group(
        &self,
        g: &GroupPlan,
        slots: &[Slot],
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
        dest: &mut Option<Dest>,
        spare: &mut Spare,
    ) -> Result<Value, Error> {
        // Operands: arrays computed here, or views of the caller's memory
        // (read in place); an option leaf's missing mask after its values.
        enum Leaf<'s, 'a> {
            Array(&'s Array),
            View(&'s DenseView<'a>),
        }
        let mut leaves: Vec<Leaf> = Vec::with_capacity(g.leaves.len());
        let mut masks: Vec<Mask> = Vec::new();
        for (l, &masked) in g.leaves.iter().zip(&g.masked) {
            let not_plain = || -> Error {
                EvalError::Value(format!("input %{} of a kernel is not a plain array", l.0)).into()
            };
            match &slots[l.index()] {
                Slot::View { view, .. } => {
                    let nulls = view.validity().is_some_and(|n| n.null_count() > 0);
                    if nulls && !masked {
                        return Err(not_plain());
                    }
                    leaves.push(Leaf::View(view));
                    if masked {
                        masks.push(match view.validity() {
                            Some(validity) if nulls => Mask::Bits {
                                validity,
                                shape: view.shape(),
                            },
                            _ => Mask::None,
                        });
                    }
                }
                slot => match slot.value(*l)? {
                    Value::Array { data, missing } if masked => {
                        leaves.push(Leaf::Array(data));
                        masks.push(missing.as_ref().map_or(Mask::None, Mask::Bytes));
                    }
                    Value::Array {
                        data,
                        missing: None,
                    } => leaves.push(Leaf::Array(data)),
                    _ => return Err(not_plain()),
                },
            }
        }
        let mut shape: Vec<usize> = vec![];
        for a in &leaves {
            let s = match a {
                Leaf::Array(a) => a.shape(),
                Leaf::View(v) => v.shape(),
            };
            shape = kernels::broadcast_shapes(&shape, s)?;
        }
        let rank = shape.len();
        let mut ptrs: Vec<*mut u8> = Vec::with_capacity(leaves.len() + masks.len() + 1);
        let mut strides: Vec<i64> = Vec::with_capacity((leaves.len() + masks.len() + 1) * rank);
        let mut bits: BitOperands = Vec::new();
        let mut masks = masks.iter();
        for (a, &masked) in leaves.iter().zip(&g.masked) {
            let (p, s) = match a {
                Leaf::Array(a) => operand(a, &shape)?,
                Leaf::View(v) => view_operand(v, &shape)?,
            };
            ptrs.push(p);
            strides.extend(s);
            if masked {
                let m = masks
                    .next()
                    .ok_or_else(|| EvalError::Value("a missing mask was not found".into()))?;
                let m = m.operand(&shape)?;
                if let Some(off) = m.bit_offset {
                    bits.push((ptrs.len(), off));
                }
                ptrs.push(m.ptr);
                strides.extend(m.strides);
            }
        }
        self.launch_group(
            g,
            (ptrs, strides, bits),
            &shape,
            opts,
            pool,
            report,
            dest,
            spare,
        )
    }

    /// Runs the kernel of `g` over `shape`, given each input's pointer and
    /// strides (elements, or bits for the bit-addressed operands, per axis)
    /// and the bit-addressed operands; allocates the output (and its
    /// missing mask for an option result), or writes into `dest` when its
    /// shape is `shape` (taking it): a plain result without a reduction, or
    /// an option result when `dest` has a validity bitmap, whose bits the
    /// kernel writes. A plain result without a reduction is written over
    /// an array from `spare` when one fits.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn launch_group(
        &self,
        g: &GroupPlan,
        (mut ptrs, mut strides, mut bits): (Vec<*mut u8>, Vec<i64>, BitOperands),
        shape: &[usize],
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
        dest: &mut Option<Dest>,
        spare: &mut Spare,
    ) -> Result<Value, Error> {
        let shape = shape.to_vec();
        let rank = shape.len();
        let k = &g.kernel;
        let total: usize = shape.iter().product();
        match &g.reduce {
            None => {
                // The caller's memory (the value returned is then empty), or
                // a new array. An option result goes to the caller's memory
                // only with a bitmap for its missing values.
                let dest = match k.missing {
                    None => dest.take_if(|d| d.shape == shape),
                    Some(_) => dest.take_if(|d| d.shape == shape && d.validity.is_some()),
                };
                let validity = dest.as_ref().and_then(|d| d.validity);
                // The kernel writes every element: an array of the last
                // run's serves as well as zeros.
                let reused = match (&dest, k.missing) {
                    (None, None) => spare.take(k.output, &shape),
                    _ => None,
                };
                let mut out = match reused {
                    Some(a) => a,
                    None => output_array(k.output, if dest.is_some() { &[0] } else { &shape })?,
                };
                let out_strides = match dest {
                    Some(d) => {
                        ptrs.push(d.ptr);
                        d.strides
                    }
                    None => {
                        ptrs.push(mut_ptr(&mut out));
                        c_order_strides(&shape, &shape)?
                    }
                };
                strides.extend(&out_strides);
                let mut missing = None;
                let mut phase = None;
                match (k.missing, validity) {
                    (None, _) => {}
                    (Some(_), Some((bitmap, offset))) => {
                        // The bits of the caller's bitmap, C order.
                        bits.push((ptrs.len(), offset as i64));
                        ptrs.push(bitmap);
                        strides.extend(c_order_strides(&shape, &shape)?);
                        phase = Some(offset);
                    }
                    (Some(_), None) => {
                        let m = missing.insert(output_mask(&shape)?);
                        ptrs.push(m.as_mut_ptr().cast::<u8>());
                        strides.extend(&out_strides);
                    }
                }
                let compiled = self.compile(k, rank, &strides, &bits, opts, report)?;
                let strides = kernel_strides(&strides, &bits);
                let threads =
                    pool.map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
                launch_flat(
                    &compiled,
                    &ptrs,
                    &strides,
                    &shape,
                    total,
                    // Many more chunks than threads: a core that another
                    // process slows down takes fewer of them.
                    (total / (threads * 16)).max(1 << 14),
                    phase,
                    pool,
                );
                if let (None, Some((bitmap, offset))) = (k.missing, validity) {
                    // A plain result in an output with a bitmap: all valid.
                    // SAFETY: the output's bitmap holds `total` bits from
                    // `offset` (`DenseViewMut::with_validity_bits`).
                    unsafe { set_valid(bitmap, offset, total) };
                }
                Ok(Value::Array { data: out, missing })
            }
            Some(r) => self.reduce_group(g, r, (ptrs, strides, bits), &shape, opts, pool, report),
        }
    }

    pub(super) fn compile(
        &self,
        k: &KernelSpec,
        rank: usize,
        strides: &[i64],
        bits: &[(usize, i64)],
        opts: &Options,
        report: &mut Report,
    ) -> Result<Arc<Compiled>, Error> {
        let n_ops = k.operands();
        let layouts: Vec<Layout> = (0..n_ops)
            .map(|i| {
                if rank == 0 {
                    Layout::Broadcast
                } else {
                    Layout::of_stride(strides[i * rank + rank - 1])
                }
            })
            .collect();
        let key = KernelKey {
            spec: k.clone(),
            rank,
            layouts,
            bits: bits.iter().map(|&(k, _)| k).collect(),
        };
        let jit = jit().map_err(|e| JitError {
            kernel: None,
            message: e.0,
        })?;
        let t0 = Instant::now();
        let before = jit.cached();
        let c = jit.kernel(&key, opts.dumps).map_err(|e| JitError {
            kernel: Some(key.text()),
            message: e.0,
        })?;
        if jit.cached() > before || opts.dumps.any() {
            report.compile_seconds += t0.elapsed().as_secs_f64();
        }
        report.kernels.push(c.clone());
        Ok(c)
    }
}

impl Prepared {
    pub(super) fn run_index(
        &self,
        p: &IndexPlan,
        slots: &[Slot],
        opts: &Options,
        pool: Option<&rayon::ThreadPool>,
        report: &mut Report,
    ) -> Result<Value, Error> {
        let array_of = |id: NodeId| -> Result<&Array, Error> {
            match slots[id.index()].value(id)? {
                Value::Array {
                    data,
                    missing: None,
                } => Ok(data),
                _ => Err(EvalError::Value(format!("%{} is not a plain array", id.0)).into()),
            }
        };
        // Extents: fixed by the type, else the length of an axis indexed.
        let vars: Vec<IndexVar> = p.outer.iter().chain(&p.inner).copied().collect();
        let mut extent: HashMap<IndexVar, usize> = HashMap::new();
        for v in &vars {
            if let blaze_datashape::Dim::Fixed(n) = self.f.index_vars[v.0 as usize].extent {
                extent.insert(*v, n as usize);
            }
        }
        for o in &p.operands {
            match o {
                IndexOperand::Gather { array, items } => {
                    let a = array_of(*array)?;
                    for (axis, g) in items.iter().enumerate() {
                        if let GatherItem::Var(v) = g {
                            extent.entry(*v).or_insert(a.shape()[axis]);
                        }
                    }
                }
                IndexOperand::Eps(vs) => {
                    for v in vs {
                        extent.entry(*v).or_insert(vs.len());
                    }
                }
                _ => {}
            }
        }
        for o in &p.operands {
            if let IndexOperand::Delta(vs) = o {
                let known = vs.iter().find_map(|v| extent.get(v).copied());
                for v in vs {
                    if let Some(n) = known {
                        extent.entry(*v).or_insert(n);
                    }
                }
            }
        }
        let shape: Vec<usize> = vars
            .iter()
            .map(|v| {
                extent.get(v).copied().ok_or_else(|| {
                    EvalError::Shape(format!(
                        "cannot determine the range of index `{}`",
                        self.f.index_vars[v.0 as usize].name
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        let rank = shape.len();
        let empty = shape.contains(&0);
        if !empty {
            // The result (the outer loops) is checked before any operand is
            // made: an outer product too large fails here, by name.
            let names: Vec<&str> = p
                .outer
                .iter()
                .map(|v| self.f.index_vars[v.0 as usize].name.as_str())
                .collect();
            let what = if names.is_empty() {
                "the result of the index expression".to_string()
            } else {
                format!("the result of forall {}", names.join(", "))
            };
            let outer = shape.get(..p.outer.len()).unwrap_or(&shape);
            blaze_array::alloc::shape_bytes(outer, p.kernel.output.size_bytes(), &what)
                .map_err(EvalError::from)?;
        }
        let pos = |v: &IndexVar| vars.iter().position(|x| x == v);
        // Constant operands live until the kernel has run.
        let mut owned: Vec<Array> = Vec::new();
        let mut ptrs: Vec<*mut u8> = Vec::new();
        let mut strides: Vec<i64> = Vec::new();
        for o in &p.operands {
            let mut st = vec![0i64; rank];
            let ptr = match o {
                IndexOperand::Gather { array, items } => {
                    let a = array_of(*array)?;
                    let (base, astr) = operand(a, a.shape())?;
                    let mut offset = 0i64;
                    for (axis, g) in items.iter().enumerate() {
                        let n = a.shape()[axis];
                        match g {
                            GatherItem::Var(v) => {
                                let k = pos(v).ok_or_else(|| {
                                    EvalError::Value("index variable outside its loop".into())
                                })?;
                                if shape[k] > n && !empty {
                                    return Err(EvalError::Shape(format!(
                                        "index {} is out of bounds for axis {axis} with size {n}",
                                        n
                                    ))
                                    .into());
                                }
                                st[k] += astr[axis];
                            }
                            GatherItem::At(i) => {
                                let j = if *i < 0 { *i + n as i64 } else { *i };
                                // An empty loop reads nothing (as the interpreter).
                                if empty {
                                    continue;
                                }
                                if j < 0 || j >= n as i64 {
                                    return Err(EvalError::Shape(format!(
                                        "index {i} is out of bounds for axis {axis} with size {n}"
                                    ))
                                    .into());
                                }
                                offset += j * astr[axis];
                            }
                        }
                    }
                    base.wrapping_offset((offset * a.scalar().size_bytes() as i64) as isize)
                }
                IndexOperand::Eps(vs) => {
                    let n = vs.len();
                    let dims = vec![n; n];
                    blaze_array::alloc::shape_bytes(&dims, 8, "the constant eps")
                        .map_err(EvalError::from)?;
                    let eps = ArrayD::from_shape_fn(IxDyn(&dims), |ix| {
                        let idx = ix.slice();
                        let mut sign = 1i64;
                        for a in 0..n {
                            for b in a + 1..n {
                                if idx[a] == idx[b] {
                                    return 0;
                                }
                                if idx[a] > idx[b] {
                                    sign = -sign;
                                }
                            }
                        }
                        sign
                    });
                    let arr = kernels::cast(&Array::Int64(eps), p.kernel.inputs[ptrs.len()]);
                    let (base, astr) = operand(&arr, arr.shape())?;
                    for (axis, v) in vs.iter().enumerate() {
                        if let Some(k) = pos(v) {
                            st[k] += astr[axis];
                        }
                    }
                    owned.push(arr);
                    base
                }
                IndexOperand::Delta(vs) => {
                    let k0 = vs.first().and_then(pos);
                    let n = k0.map_or(0, |k| shape[k]);
                    let eye = ArrayD::from_shape_fn(IxDyn(&[n, n]), |ix| (ix[0] == ix[1]) as i64);
                    let arr = kernels::cast(&Array::Int64(eye), p.kernel.inputs[ptrs.len()]);
                    let (base, astr) = operand(&arr, arr.shape())?;
                    for (axis, v) in vs.iter().take(2).enumerate() {
                        if let Some(k) = pos(v) {
                            st[k] += astr[axis];
                        }
                    }
                    owned.push(arr);
                    base
                }
                IndexOperand::Arange(v) => {
                    let k = pos(v).ok_or_else(|| {
                        EvalError::Value("index variable outside its loop".into())
                    })?;
                    let arr =
                        Array::Int64(ArrayD::from_shape_fn(IxDyn(&[shape[k]]), |ix| ix[0] as i64));
                    let arr = kernels::cast(&arr, p.kernel.inputs[ptrs.len()]);
                    let (base, astr) = operand(&arr, arr.shape())?;
                    st[k] += astr[0];
                    owned.push(arr);
                    base
                }
                IndexOperand::Scalar(id) => {
                    let a = array_of(*id)?;
                    let (base, _) = operand(a, &[])?;
                    base
                }
            };
            ptrs.push(ptr);
            strides.extend(st);
        }
        let g = GroupPlan {
            kernel: p.kernel.clone(),
            leaves: Vec::new(),
            reduce: p.reduce.map(|f| ReducePlan {
                f,
                axes: Some((p.outer.len()..rank).collect()),
                keepdims: false,
                ir: f,
                mean: false,
                missing: false,
            }),
            masked: Vec::new(),
            count: None,
        };
        let v = self.launch_group(
            &g,
            (ptrs, strides, Vec::new()),
            &shape,
            opts,
            pool,
            report,
            &mut None,
            &mut Spare::default(),
        );
        drop(owned);
        v
    }
}

//! A compiled kernel behind a C handle: its signature as C strings, its
//! inputs and outputs as tensor slots, and the calls on checked tensors —
//! inputs read in place, a single output written in place, results handed
//! over as values.

use crate::dlpack::DLTensor;
use crate::error::{fail, Failure};
use crate::tensor::{self, Slot};
use crate::BlazeStatus::*;
use crate::Settings;
use blaze::datashape::Measure;
use std::collections::HashMap;
use std::ffi::CString;

/// A kernel with its signature as C strings (owned here, so pointers
/// handed out stay valid while the handle lives).
pub(crate) struct KernelObj {
    pub(crate) kernel: blaze::Kernel,
    pub(crate) settings: Settings,
    pub(crate) name: CString,
    pub(crate) signature: CString,
    pub(crate) params: Vec<(CString, CString)>,
    pub(crate) result: CString,
    pub(crate) inputs: Vec<Slot>,
    pub(crate) outputs: Vec<Slot>,
    /// Whether the result is a tuple, one output per item.
    pub(crate) tuple: bool,
}

impl KernelObj {
    pub(crate) fn new(kernel: blaze::Kernel, settings: Settings) -> KernelObj {
        let kernel = settings.apply(kernel);
        let f = kernel.function();
        let text = |s: String| CString::new(s.replace('\0', "")).unwrap_or_default();
        let ps: Vec<String> = f.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        let result = f.result_type().clone();
        let tuple = result.dims.is_empty() && matches!(result.measure, Measure::Tuple { .. });
        let outputs = match (&result.measure, result.dims.is_empty()) {
            (Measure::Tuple { elems }, true) => elems
                .iter()
                .enumerate()
                .map(|(i, ty)| Slot {
                    what: format!("output {i}"),
                    ty: ty.clone(),
                })
                .collect(),
            _ => vec![Slot {
                what: "output 0".into(),
                ty: result.clone(),
            }],
        };
        KernelObj {
            name: text(f.name.clone()),
            signature: text(format!("{}({}) -> {}", f.name, ps.join(", "), result)),
            params: f
                .params
                .iter()
                .map(|(n, t)| (text(n.clone()), text(t.to_string())))
                .collect(),
            result: text(result.to_string()),
            inputs: f
                .params
                .iter()
                .map(|(n, t)| Slot {
                    what: format!("input `{n}`"),
                    ty: t.clone(),
                })
                .collect(),
            outputs,
            tuple,
            kernel,
            settings,
        }
    }

    /// Checks the inputs, as views of the caller's memory.
    ///
    /// # Safety
    /// `inputs` holds `n` pointers (the C contract).
    pub(crate) unsafe fn views(
        &self,
        inputs: *const *const DLTensor,
        n: usize,
        sizes: &mut HashMap<String, usize>,
    ) -> Result<Vec<tensor::View>, Failure> {
        let np = self.inputs.len();
        if n != np {
            return Err(fail(
                BLAZE_ERR_INVALID_ARGUMENT,
                format!(
                    "`{}` takes {np} input{}, got n_inputs = {n}",
                    self.name.to_string_lossy(),
                    if np == 1 { "" } else { "s" }
                ),
            ));
        }
        if np > 0 && inputs.is_null() {
            return Err(fail(BLAZE_ERR_NULL_POINTER, "the inputs array is NULL"));
        }
        let mut views = Vec::with_capacity(np);
        for (i, slot) in self.inputs.iter().enumerate() {
            views.push(tensor::input(*inputs.add(i), slot, sizes)?);
        }
        Ok(views)
    }

    pub(crate) fn check_outputs(&self, n: usize) -> Result<(), Failure> {
        let no = self.outputs.len();
        if n != no {
            return Err(fail(
                BLAZE_ERR_INVALID_ARGUMENT,
                format!(
                    "`{}` has {no} output{} (result type `{}`), got n_outputs = {n}",
                    self.name.to_string_lossy(),
                    if no == 1 { "" } else { "s" },
                    self.result.to_string_lossy()
                ),
            ));
        }
        Ok(())
    }

    /// Calls `f` on checked input views as arguments: the compiled kernels
    /// read numbers in place (no copy); booleans are copied, since a C byte
    /// other than 0 and 1 must read as true.
    ///
    /// # Safety
    /// The views' memory is readable for the call and written during it
    /// only through an output that `f` checks for overlap.
    pub(crate) unsafe fn with_args<R>(
        views: &[tensor::View],
        f: impl FnOnce(&[blaze::Arg<'_>]) -> Result<R, Failure>,
    ) -> Result<R, Failure> {
        let copied = views
            .iter()
            .map(|v| match v.scalar() {
                blaze::datashape::Scalar::Bool => tensor::to_value(v).map(Some),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let args: Vec<blaze::Arg<'_>> = views
            .iter()
            .zip(&copied)
            .map(|(v, c)| match c {
                Some(value) => blaze::Arg::Value(value),
                None => blaze::Arg::View(v.dense_view()),
            })
            .collect();
        f(&args)
    }

    /// Runs on checked input views; the result as one value per output.
    ///
    /// # Safety
    /// The views' memory is readable for the call and not written during it.
    pub(crate) unsafe fn run_in_place(
        &self,
        views: &[tensor::View],
    ) -> Result<Vec<blaze::Value>, Failure> {
        let v = Self::with_args(views, |args| self.kernel.call(args).map_err(call_failure))?;
        self.results(v)
    }

    /// Runs on checked input views and writes the (one) result into the
    /// checked output view: an elementwise kernel writes there directly,
    /// other results are copied; an output sharing memory with an input
    /// gets the result through a temporary. Nothing is written on failure.
    ///
    /// # Safety
    /// The inputs' memory is readable and the output's writable for the
    /// call; nothing else writes them meanwhile.
    pub(crate) unsafe fn run_into(
        &self,
        views: &[tensor::View],
        out: &tensor::View,
    ) -> Result<(), Failure> {
        Self::with_args(views, |args| {
            self.kernel
                .call_into(args, out.dense_view_mut())
                .map_err(call_failure)
        })
    }

    /// The result as one value per output.
    pub(crate) fn results(&self, v: blaze::Value) -> Result<Vec<blaze::Value>, Failure> {
        match v {
            blaze::Value::Tuple(items) if self.tuple => {
                if items.len() != self.outputs.len() {
                    return Err(fail(
                        BLAZE_ERR_PANIC,
                        format!(
                            "internal error: the result has {} items, its type {}",
                            items.len(),
                            self.outputs.len()
                        ),
                    ));
                }
                Ok(items)
            }
            v => Ok(vec![v]),
        }
    }
}

pub(crate) fn call_failure(e: blaze::Error) -> Failure {
    use blaze::interp::EvalError;
    match e {
        blaze::Error::Eval(EvalError::Input(m)) => fail(BLAZE_ERR_SHAPE, m),
        e => fail(BLAZE_ERR_EVAL, e.to_string()),
    }
}

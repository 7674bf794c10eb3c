//! `blaze._blaze.TaskPlan`: blaze's chunk plan as separate tasks
//! ([`blaze::runtime::stream::TaskPlan`]) for `blaze.dask`, which maps them
//! onto a dask graph.
//!
//! Everything a task takes or gives is a plain Python value that pickles:
//! a partial is `(rows, [values])`, the known values of finished passes a
//! list of `(node, value)`, each value a NumPy array (a masked array where
//! values are missing). Partials of strings or decimals do not cross
//! processes and are refused by name.

use crate::{to_python, BlazeError, Held};
use blaze::datashape::Datashape;
use blaze::interp::Array;
use blaze::runtime::exec::Arg;
use blaze::runtime::session::InputSpec;
use blaze::runtime::stream::{Known, Partial, TaskInput, TaskPlan};
use blaze::Value;
use numpy::{PyArrayDyn, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

type C64 = num_complex::Complex<f32>;
type C128 = num_complex::Complex<f64>;

fn err(e: blaze::runtime::Error) -> PyErr {
    BlazeError::new_err(e.to_string())
}

fn dshape(d: &str) -> PyResult<Datashape> {
    blaze::datashape::parse(d).map_err(|e| BlazeError::new_err(e.render(d, "dshape")))
}

/// `a` with its elements aligned (copied when they are not: arrays that
/// arrive from another process may sit anywhere in a message's frame).
fn aligned<'py>(a: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    a.py()
        .import("numpy")?
        .call_method1("require", (a, a.py().None(), "A"))
}

/// A NumPy array copied into a blaze array (partials and small inputs are
/// small: the copy keeps them independent of Python's buffers).
fn array_of(a: &Bound<'_, PyAny>) -> PyResult<Array> {
    let a = &aligned(a)?;
    macro_rules! owned {
        ($($variant:ident: $t:ty),*) => {
            $(
                if let Ok(x) = a.downcast::<PyArrayDyn<$t>>() {
                    let r = x.try_readonly().map_err(|_| {
                        BlazeError::new_err("an array is being written elsewhere")
                    })?;
                    return Ok(Array::$variant(r.as_array().to_owned()));
                }
            )*
        };
    }
    owned!(
        Float64: f64, Float32: f32, Int64: i64, Int32: i32, Int16: i16, Int8: i8,
        UInt64: u64, UInt32: u32, UInt16: u16, UInt8: u8, Bool: bool,
        Complex64: C64, Complex128: C128
    );
    Err(BlazeError::new_err(format!(
        "a task value is a NumPy array of bool, integers, floats or complex numbers, not {}",
        a.get_type().name()?
    )))
}

/// A value from a task: a NumPy array, or a masked array (missing values).
fn value_of(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = v.py();
    let ma = py.import("numpy.ma")?;
    if v.is_instance(&ma.getattr("MaskedArray")?)? {
        let data = array_of(&v.getattr("data")?)?;
        let mask = ma.call_method1("getmaskarray", (v,))?;
        let Array::Bool(mask) = array_of(&mask)? else {
            return Err(BlazeError::new_err("a mask is an array of bool"));
        };
        return Ok(Value::Array {
            data,
            missing: Some(mask),
        });
    }
    Ok(Value::from(array_of(v)?))
}

/// A value for another task: NumPy for arrays; other values are refused.
fn value_out(py: Python<'_>, v: Value) -> PyResult<PyObject> {
    match v {
        Value::Array { .. } => to_python(py, v),
        Value::Column(c) => Err(BlazeError::new_err(format!(
            "a partial result of {} does not cross processes; blaze runs this program \
             with eval() on one machine",
            c.array.data_type()
        ))),
        Value::Record(_) | Value::Tuple(_) => Err(BlazeError::new_err(
            "a partial result of records or tuples does not cross processes; blaze runs \
             this program with eval() on one machine",
        )),
    }
}

fn partial_out(py: Python<'_>, p: Partial) -> PyResult<(usize, Vec<PyObject>)> {
    let values = p
        .values
        .into_iter()
        .map(|v| value_out(py, v))
        .collect::<PyResult<_>>()?;
    Ok((p.rows, values))
}

fn partial_in(p: (usize, Vec<Bound<'_, PyAny>>)) -> PyResult<Partial> {
    Ok(Partial {
        rows: p.0,
        values: p.1.iter().map(value_of).collect::<PyResult<_>>()?,
    })
}

fn known_in(k: Vec<(u32, Bound<'_, PyAny>)>) -> PyResult<Known> {
    Ok(Known {
        nodes: k
            .into_iter()
            .map(|(n, v)| Ok((n, value_of(&v)?)))
            .collect::<PyResult<_>>()?,
    })
}

fn known_out(py: Python<'_>, k: Known) -> PyResult<Vec<(u32, PyObject)>> {
    k.nodes
        .into_iter()
        .map(|(n, v)| Ok((n, value_out(py, v)?)))
        .collect()
}

/// The chunks given to a block task, borrowed for the call.
struct Given<'a>(Vec<(String, Arg<'a>)>);

// SAFETY: the views point into NumPy arrays borrowed read-only for the
// whole call (`Held`); nothing writes them meanwhile, and the kernels only
// read them, from any thread.
unsafe impl Send for Given<'_> {}

/// A chunk plan opened for running as tasks (see `blaze.dask`).
#[pyclass(name = "TaskPlan", module = "blaze._blaze", frozen)]
pub(crate) struct PyTaskPlan(TaskPlan);

#[pymethods]
impl PyTaskPlan {
    /// Plans the expression `source` over `files` (name, `PATH[:DATASHAPE]`),
    /// `chunks` (name, datashape: rows given with each block task) and
    /// small `arrays` (name, datashape, NumPy array used whole), with
    /// blocks of `block_rows` rows or as `memory_limit` allows; `threads`
    /// bounds each task's threads.
    #[new]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    #[pyo3(signature = (source, files, chunks, arrays, memory_limit=None, block_rows=None, threads=None))]
    fn new(
        py: Python<'_>,
        source: &str,
        files: Vec<(String, String)>,
        chunks: Vec<(String, String)>,
        arrays: Vec<(String, String, Bound<'_, PyAny>)>,
        memory_limit: Option<u64>,
        block_rows: Option<usize>,
        threads: Option<usize>,
    ) -> PyResult<PyTaskPlan> {
        let mut inputs = Vec::new();
        for (name, spec) in files {
            let spec = InputSpec::parse(&format!("{name}={spec}")).map_err(err)?;
            inputs.push((name, TaskInput::File(spec)));
        }
        for (name, d) in chunks {
            inputs.push((name, TaskInput::Chunks(dshape(&d)?)));
        }
        for (name, d, a) in arrays {
            inputs.push((name, TaskInput::Memory(dshape(&d)?, value_of(&a)?)));
        }
        let limit = memory_limit.unwrap_or_else(blaze::runtime::session::default_limit);
        if block_rows == Some(0) {
            return Err(BlazeError::new_err("a block has at least one row"));
        }
        py.allow_threads(|| TaskPlan::new(source, inputs, limit, block_rows, threads))
            .map(PyTaskPlan)
            .map_err(err)
    }

    /// The task graph as `blaze graph` prints it.
    fn text(&self) -> String {
        self.0.plan().to_string()
    }

    /// Passes over the rows.
    #[getter]
    fn passes(&self) -> usize {
        self.0.plan().passes()
    }

    /// Rows streamed.
    #[getter]
    fn rows(&self) -> usize {
        self.0.rows()
    }

    /// Rows per block.
    #[getter]
    fn block_rows(&self) -> usize {
        self.0.plan().block_rows()
    }

    /// Whether the result is rows (the last pass's blocks, in order).
    #[getter]
    fn streams_result(&self) -> bool {
        self.0.plan().streams_result()
    }

    /// The row range `(start, end)` of every block.
    fn ranges(&self) -> Vec<(usize, usize)> {
        self.0
            .ranges()
            .into_iter()
            .map(|r| (r.start, r.end))
            .collect()
    }

    /// The inputs whose rows come with each block task, in order.
    fn given(&self) -> Vec<String> {
        self.0
            .inputs()
            .iter()
            .filter(|n| self.0.is_given(n))
            .cloned()
            .collect()
    }

    /// The known values before the first pass.
    fn start(&self, py: Python<'_>) -> PyResult<Vec<(u32, PyObject)>> {
        let k = py.allow_threads(|| self.0.start()).map_err(err)?;
        known_out(py, k)
    }

    /// Pass `pass_`'s block function over rows `start..end` (`chunks`: the
    /// given inputs' rows by name, read in place), with the GIL released:
    /// a partial `(rows, [values])`.
    fn block(
        &self,
        py: Python<'_>,
        pass_: usize,
        start: usize,
        end: usize,
        chunks: &Bound<'_, PyDict>,
        known: Vec<(u32, Bound<'_, PyAny>)>,
    ) -> PyResult<(usize, Vec<PyObject>)> {
        let known = known_in(known)?;
        let mut held = Vec::with_capacity(chunks.len());
        for (name, a) in chunks.iter() {
            let name: String = name.extract()?;
            let a = aligned(&a)?;
            let h = Held::borrow(&a).ok_or_else(|| {
                BlazeError::new_err(format!(
                    "the chunk of `{name}` is not a NumPy array blaze reads \
                     (bool, integers, floats, complex)"
                ))
            })?;
            held.push((name, h));
        }
        let given = Given(held.iter().map(|(n, h)| (n.clone(), h.arg())).collect());
        let plan = &self.0;
        let p = py
            .allow_threads(move || {
                let given = given;
                let named: Vec<(&str, Arg<'_>)> = given
                    .0
                    .iter()
                    .map(|(n, a)| (n.as_str(), a.clone()))
                    .collect();
                plan.block(pass_, start..end, &named, &known)
            })
            .map_err(err)?;
        partial_out(py, p)
    }

    /// Two partials of pass `pass_`, `left` covering the rows before
    /// `right`'s, combined.
    fn combine(
        &self,
        py: Python<'_>,
        pass_: usize,
        left: (usize, Vec<Bound<'_, PyAny>>),
        right: (usize, Vec<Bound<'_, PyAny>>),
    ) -> PyResult<(usize, Vec<PyObject>)> {
        let (l, r) = (partial_in(left)?, partial_in(right)?);
        let p = py
            .allow_threads(|| self.0.combine(pass_, l, r))
            .map_err(err)?;
        partial_out(py, p)
    }

    /// Pass `pass_`'s partial over all rows made final and added to the
    /// known values, with the small work the next pass takes.
    fn finish(
        &self,
        py: Python<'_>,
        pass_: usize,
        partial: (usize, Vec<Bound<'_, PyAny>>),
        known: Vec<(u32, Bound<'_, PyAny>)>,
    ) -> PyResult<Vec<(u32, PyObject)>> {
        let (p, k) = (partial_in(partial)?, known_in(known)?);
        let k = py
            .allow_threads(|| self.0.finish(pass_, p, &k))
            .map_err(err)?;
        known_out(py, k)
    }

    /// The result from the known values of every pass.
    fn tail(&self, py: Python<'_>, known: Vec<(u32, Bound<'_, PyAny>)>) -> PyResult<PyObject> {
        let k = known_in(known)?;
        let v = py.allow_threads(|| self.0.tail(&k)).map_err(err)?;
        to_python(py, v)
    }
}

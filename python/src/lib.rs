//! `blaze._blaze`: the native core of the Python package. It wraps the
//! facade's expression builder ([`blaze::Expr`]) and kernels
//! ([`blaze::Kernel`]); the Python layer (`python/blaze/__init__.py`) gives
//! them NumPy's names and operators.
//!
//! Arrays cross without copies: a kernel reads each NumPy argument in
//! place, as a strided view borrowed for the call (which runs with the GIL
//! released), and a result array is handed to NumPy as it is, its buffer
//! moved, not copied.

use blaze::interp::Array;
use blaze::runtime::exec::Arg;
use blaze::runtime::value::view_of;
use blaze::{Axes, Expr, Kernel, Value};
use numpy::{
    PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

mod tasks;

pyo3::create_exception!(
    _blaze,
    BlazeError,
    PyException,
    "An error from blaze: a type error (with the source and a caret under the \
     offending part), a bad input, or a failure while running."
);

fn err(e: blaze::Error) -> PyErr {
    BlazeError::new_err(e.to_string())
}

/// A lazy, typed expression (see `blaze.Array`).
#[pyclass(name = "Expr", module = "blaze._blaze", frozen)]
#[derive(Clone)]
struct PyExpr(Expr);

#[pymethods]
impl PyExpr {
    /// A named input of datashape `dshape`.
    #[staticmethod]
    fn param(name: &str, dshape: &str) -> PyExpr {
        PyExpr(Expr::param(name, dshape))
    }

    /// A constant: a bool, an int or a float.
    #[staticmethod]
    fn constant(v: &Bound<'_, PyAny>) -> PyResult<PyExpr> {
        if let Ok(b) = v.extract::<bool>() {
            if v.is_instance_of::<pyo3::types::PyBool>() {
                return Ok(PyExpr(Expr::from(b)));
            }
        }
        if let Ok(i) = v.extract::<i64>() {
            return Ok(PyExpr(Expr::from(i)));
        }
        if let Ok(f) = v.extract::<f64>() {
            return Ok(PyExpr(Expr::from(f)));
        }
        Err(BlazeError::new_err(format!(
            "a constant is a bool, an int or a float, not {}",
            v.get_type().name()?
        )))
    }

    /// DSL text over names bound to expressions.
    #[staticmethod]
    fn parse(text: &str, args: Vec<(String, PyExpr)>) -> PyExpr {
        let args: Vec<(&str, &Expr)> = args.iter().map(|(n, e)| (n.as_str(), &e.0)).collect();
        PyExpr(Expr::parse(text, &args))
    }

    /// `self op other` (`+ - * / // % ** @ == != < <= > >= and or`).
    fn binary(&self, op: &str, other: &PyExpr) -> PyExpr {
        PyExpr(self.0.binary(op, &other.0))
    }

    /// `-self` or `not self`.
    fn unary(&self, op: &str) -> PyResult<PyExpr> {
        match op {
            "-" => Ok(PyExpr(-&self.0)),
            "not" => Ok(PyExpr(!&self.0)),
            _ => Err(BlazeError::new_err(format!(
                "`{op}` is not a unary operator"
            ))),
        }
    }

    /// The builtin `name` on `args`, over `axis` (`None`: every axis).
    #[staticmethod]
    #[pyo3(signature = (name, args, axis=None))]
    fn call(name: &str, args: Vec<PyExpr>, axis: Option<Vec<i64>>) -> PyExpr {
        let axes = axis.map_or(Axes::All, Axes::These);
        PyExpr(Expr::call(
            name,
            args.into_iter().map(|e| e.0).collect(),
            axes,
        ))
    }

    /// A record field, or `T`.
    fn attr(&self, name: &str) -> PyExpr {
        PyExpr(if name == "T" {
            self.0.t()
        } else {
            self.0.field(name)
        })
    }

    /// Basic indexing, the subscripts as DSL text (`"1:, ::2"`).
    fn index(&self, subscripts: &str) -> PyExpr {
        PyExpr(self.0.index(subscripts))
    }

    /// Conversion to the element type `dtype`.
    fn astype(&self, dtype: &str) -> PyExpr {
        PyExpr(self.0.astype(dtype))
    }

    /// The datashape, or the error of the first bad node.
    fn dshape(&self) -> PyResult<String> {
        self.0.dshape().map(|d| d.to_string()).map_err(err)
    }

    /// The DSL text of the expression.
    fn source(&self) -> String {
        self.0.source()
    }

    /// The names of the inputs, in the order the compiled kernel takes them.
    fn inputs(&self) -> Vec<String> {
        self.0.inputs()
    }

    /// The IR after the BLAS/LAPACK rewrites, and the plan.
    fn explain(&self) -> PyResult<String> {
        self.0.explain().map_err(err)
    }

    /// The expression compiled into a kernel.
    fn compile(&self) -> PyResult<PyKernel> {
        self.0.compile().map(PyKernel).map_err(err)
    }
}

/// An Arrow array imported from pyarrow through the C Data Interface (its
/// buffers shared, not copied): strings, decimals, dates, lists (ragged
/// rows), structs, options.
#[pyclass(name = "ArrowValue", module = "blaze._blaze", frozen)]
struct ArrowValue {
    value: Value,
    dshape: String,
}

#[pymethods]
impl ArrowValue {
    /// Imports the array whose C Data Interface structs pyarrow exported
    /// to the addresses `array` and `schema` (ownership moves here).
    #[staticmethod]
    #[pyo3(name = "import_")]
    fn import(array: usize, schema: usize) -> PyResult<ArrowValue> {
        if array == 0 || schema == 0 {
            return Err(BlazeError::new_err("null Arrow C Data Interface pointer"));
        }
        // SAFETY: the caller exported valid structs to these addresses
        // (`pyarrow.Array._export_to_c`) and gives up their ownership: they
        // are moved out here and released by arrow-rs when the data goes.
        let (a, s) = unsafe {
            (
                std::ptr::read(array as *const arrow_array::ffi::FFI_ArrowArray),
                std::ptr::read(schema as *const arrow_array::ffi::FFI_ArrowSchema),
            )
        };
        // SAFETY: `a` and `s` are a matching, valid pair (see above).
        let data = unsafe { arrow_array::ffi::from_ffi(a, &s) }
            .map_err(|e| BlazeError::new_err(format!("importing the Arrow array: {e}")))?;
        let array = arrow_array::make_array(data);
        let elems = blaze::array::schema::datashape_of_data(array.as_ref())
            .map_err(|e| BlazeError::new_err(format!("the Arrow array: {e}")))?;
        let mut dims = vec![blaze::datashape::Dim::Fixed(array.len() as u64)];
        dims.extend(elems.dims);
        let dshape = blaze::datashape::Datashape::new(dims, elems.measure).to_string();
        let value = Value::Column(blaze::interp::Column {
            shape: vec![array.len()],
            array,
        });
        Ok(ArrowValue { value, dshape })
    }

    /// The datashape of the array.
    #[getter]
    fn dshape(&self) -> String {
        self.dshape.clone()
    }
}

/// A compiled kernel: call it with NumPy arrays (read in place).
#[pyclass(name = "Kernel", module = "blaze._blaze", frozen)]
struct PyKernel(Kernel);

/// The arguments of a call: views of the callers' arrays, which stay
/// borrowed (and alive) until the call returns.
struct Views<'a>(Vec<Arg<'a>>);

// SAFETY: the views point into NumPy arrays that the caller holds borrowed
// read-only (`PyReadonlyArray`) for the whole call; nothing else writes them
// meanwhile, and the kernel only reads them, from any thread.
unsafe impl Send for Views<'_> {}

type C64 = num_complex::Complex<f32>;
type C128 = num_complex::Complex<f64>;

/// An output borrowed for writing (`out=`), as the kernel's view.
struct OutView<'a>(blaze::array::DenseViewMut<'a>);

// SAFETY: as for `Views`: the array is borrowed read-write for the whole
// call, and only the kernel writes it.
unsafe impl Send for OutView<'_> {}

macro_rules! held {
    ($($variant:ident: $t:ty),*) => {
        /// A NumPy argument borrowed read-only, by its element type.
        enum Held<'py> {
            $($variant(PyReadonlyArrayDyn<'py, $t>),)*
            Arrow(Bound<'py, ArrowValue>),
        }

        /// A NumPy output borrowed read-write, by its element type.
        enum HeldMut<'py> {
            $($variant(numpy::PyReadwriteArrayDyn<'py, $t>),)*
        }

        impl<'py> HeldMut<'py> {
            fn borrow(a: &Bound<'py, PyAny>) -> Option<HeldMut<'py>> {
                $(
                    if let Ok(x) = a.downcast::<PyArrayDyn<$t>>() {
                        return x.try_readwrite().ok().map(HeldMut::$variant);
                    }
                )*
                None
            }

            fn view(&mut self) -> blaze::array::DenseViewMut<'_> {
                match self {
                    $(HeldMut::$variant(w) => blaze::runtime::value::view_mut_of(w.as_array_mut()),)*
                }
            }
        }

        impl<'py> Held<'py> {
            /// `a` borrowed as the element type it has, or `None`.
            fn borrow(a: &Bound<'py, PyAny>) -> Option<Held<'py>> {
                if let Ok(v) = a.downcast::<ArrowValue>() {
                    return Some(Held::Arrow(v.clone()));
                }
                $(
                    if let Ok(x) = a.downcast::<PyArrayDyn<$t>>() {
                        return x.try_readonly().ok().map(Held::$variant);
                    }
                )*
                None
            }

            /// The kernel's view of the array (no copy, any strides).
            fn arg(&self) -> Arg<'_> {
                match self {
                    $(Held::$variant(r) => Arg::View(view_of(&r.as_array())),)*
                    Held::Arrow(v) => Arg::Value(&v.get().value),
                }
            }
        }
    };
}

held!(
    F64: f64, F32: f32, I64: i64, I32: i32, I16: i16, I8: i8, U64: u64, U32: u32, U16: u16,
    U8: u8, Bool: bool, C64: C64, C128: C128
);

#[pymethods]
impl PyKernel {
    /// Calls the kernel on NumPy arrays, one per parameter, with the GIL
    /// released while it runs.
    #[pyo3(signature = (*arrays))]
    fn __call__(&self, py: Python<'_>, arrays: &Bound<'_, PyTuple>) -> PyResult<PyObject> {
        let held = borrow_all(arrays)?;
        let args = Views(held.iter().map(Held::arg).collect());
        let kernel = &self.0;
        let result = py
            .allow_threads(move || {
                let args = args;
                kernel.call(&args.0)
            })
            .map_err(err)?;
        to_python(py, result)
    }

    /// Calls the kernel writing its result into `out`, a NumPy array of the
    /// result's shape and element type (any strides), in place.
    #[pyo3(signature = (out, *arrays))]
    fn call_into(
        &self,
        py: Python<'_>,
        out: &Bound<'_, PyAny>,
        arrays: &Bound<'_, PyTuple>,
    ) -> PyResult<()> {
        let held = borrow_all(arrays)?;
        let mut out_held = HeldMut::borrow(out).ok_or_else(|| {
            BlazeError::new_err(
                "out= is a writable NumPy array of a numeric element type, not in use elsewhere",
            )
        })?;
        let args = Views(held.iter().map(Held::arg).collect());
        let target = OutView(out_held.view());
        let kernel = &self.0;
        py.allow_threads(move || {
            let (args, target) = (args, target);
            kernel.call_into(&args.0, target.0)
        })
        .map_err(err)
    }

    /// Runs the kernel on the arrays and returns the text `kind` asks for:
    /// `"ir"` (blaze's typed IR as the engine runs it), `"llvm-ir"`,
    /// `"opt-ir"` (after LLVM's optimizer) or `"asm"`, of every compiled
    /// kernel of the run.
    #[pyo3(signature = (kind, *arrays))]
    fn dump(&self, py: Python<'_>, kind: &str, arrays: &Bound<'_, PyTuple>) -> PyResult<String> {
        let mut dumps = blaze::codegen::Dumps::default();
        match kind {
            "ir" => return Ok(self.0.rewritten().to_string()),
            "llvm-ir" => dumps.ir = true,
            "opt-ir" => dumps.opt_ir = true,
            "asm" => dumps.asm = true,
            _ => {
                return Err(BlazeError::new_err(format!(
                    "`{kind}` is not a dump: ir, llvm-ir, opt-ir or asm"
                )))
            }
        }
        let held = borrow_all(arrays)?;
        let args = Views(held.iter().map(Held::arg).collect());
        let kernel = self.0.clone().with_dumps(dumps);
        let (_, report) = py
            .allow_threads(move || {
                let args = args;
                kernel.run_with_report(&args.0)
            })
            .map_err(err)?;
        let texts: Vec<String> = report
            .kernels
            .iter()
            .filter_map(|k| match kind {
                "llvm-ir" => k.ir.clone(),
                "opt-ir" => k.opt_ir.clone(),
                _ => k.asm.clone(),
            })
            .collect();
        if texts.is_empty() {
            return Err(BlazeError::new_err(format!(
                "no kernel was compiled for this program (it runs on BLAS/LAPACK or the \
                 reference kernels: {}), so there is no {kind}",
                report.calls.join(", ")
            )));
        }
        Ok(texts.join("\n"))
    }

    /// The result's datashape.
    #[getter]
    fn result_type(&self) -> String {
        self.0.result_type().to_string()
    }

    /// The parameters: names and datashapes.
    #[getter]
    fn params(&self) -> Vec<(String, String)> {
        self.0
            .function()
            .params
            .iter()
            .map(|(n, t)| (n.clone(), t.to_string()))
            .collect()
    }
}

/// Every argument borrowed read-only as the element type it has.
fn borrow_all<'py>(arrays: &Bound<'py, PyTuple>) -> PyResult<Vec<Held<'py>>> {
    let arrays: Vec<Bound<'py, PyAny>> = arrays.iter().collect();
    let mut held = Vec::with_capacity(arrays.len());
    for (i, a) in arrays.iter().enumerate() {
        match Held::borrow(a) {
            Some(h) => held.push(h),
            None => {
                let what = match a.downcast::<PyUntypedArray>() {
                    Ok(u) => format!("an array of {}", u.dtype()),
                    Err(_) => format!("a {}", a.get_type().name()?),
                };
                return Err(BlazeError::new_err(format!(
                    "argument {} is {what}; blaze reads NumPy arrays of bool, integers, \
                     float32/64 and complex64/128 in place (another array is busy being written)",
                    i + 1
                )));
            }
        }
    }
    Ok(held)
}

/// A result as Python objects: arrays (their buffers moved to NumPy),
/// masked arrays where values are missing, tuples, records as dicts.
fn to_python(py: Python<'_>, v: Value) -> PyResult<PyObject> {
    Ok(match v {
        Value::Array { data, missing } => {
            let a = array_to_numpy(py, data)?;
            match missing {
                None => a,
                Some(m) => {
                    let mask = PyArrayDyn::from_owned_array(py, m).into_any().unbind();
                    let ma = py.import("numpy.ma")?;
                    ma.call_method1("masked_array", (a, mask))?.unbind()
                }
            }
        }
        Value::Tuple(parts) => {
            let parts: Vec<PyObject> = parts
                .into_iter()
                .map(|p| to_python(py, p))
                .collect::<PyResult<_>>()?;
            PyTuple::new(py, parts)?.into_any().unbind()
        }
        Value::Record(fields) => {
            let d = PyDict::new(py);
            for (name, f) in fields {
                d.set_item(name, to_python(py, f)?)?;
            }
            d.into_any().unbind()
        }
        Value::Column(c) => column_to_pyarrow(py, c)?,
    })
}

/// A column handed to pyarrow through the C Data Interface (its buffers
/// moved, not copied): a `pyarrow.Array` of its rows, or the scalar of a
/// 0-d one.
fn column_to_pyarrow(py: Python<'_>, c: blaze::interp::Column) -> PyResult<PyObject> {
    if c.shape.len() > 1 {
        return Err(BlazeError::new_err(format!(
            "a result of shape {:?} in Arrow's layout has more than one leading axis; \
             pyarrow takes one",
            c.shape
        )));
    }
    let pa = py.import("pyarrow").map_err(|_| {
        BlazeError::new_err(format!(
            "a result of {} is returned as a pyarrow array: install pyarrow",
            c.array.data_type()
        ))
    })?;
    let (array, schema) = arrow_array::ffi::to_ffi(&c.array.to_data())
        .map_err(|e| BlazeError::new_err(format!("exporting the result: {e}")))?;
    let mut array = Box::new(array);
    let mut schema = Box::new(schema);
    let imported = pa.getattr("Array")?.call_method1(
        "_import_from_c",
        (
            &mut *array as *mut _ as usize,
            &mut *schema as *mut _ as usize,
        ),
    )?;
    // pyarrow moved the data out (the structs' release callbacks are now
    // its own); the emptied structs are dropped here.
    drop((array, schema));
    if c.shape.is_empty() {
        return Ok(imported.get_item(0)?.unbind());
    }
    Ok(imported.unbind())
}

fn array_to_numpy(py: Python<'_>, a: Array) -> PyResult<PyObject> {
    macro_rules! moved {
        ($x:expr) => {
            PyArrayDyn::from_owned_array(py, $x).into_any().unbind()
        };
    }
    Ok(match a {
        Array::Bool(x) => moved!(x),
        Array::Int8(x) => moved!(x),
        Array::Int16(x) => moved!(x),
        Array::Int32(x) => moved!(x),
        Array::Int64(x) => moved!(x),
        Array::UInt8(x) => moved!(x),
        Array::UInt16(x) => moved!(x),
        Array::UInt32(x) => moved!(x),
        Array::UInt64(x) => moved!(x),
        Array::Float16(x) => moved!(x.mapv(f32::from)),
        Array::Float32(x) => moved!(x),
        Array::Float64(x) => moved!(x),
        Array::Complex64(x) => moved!(x),
        Array::Complex128(x) => moved!(x),
    })
}

/// A compiled module's definitions, by name.
#[pyfunction]
fn compile_module(src: &str) -> PyResult<Vec<(String, PyKernel)>> {
    let m = blaze::compile(src).map_err(err)?;
    let names: Vec<String> = m.names().map(str::to_string).collect();
    names
        .into_iter()
        .map(|n| {
            let k = m.kernel(&n).map_err(err)?.clone();
            Ok((n, PyKernel(k)))
        })
        .collect()
}

/// The datashape of the data at `path` (a file, a pattern, a directory).
#[pyfunction]
#[pyo3(signature = (path, sample=1000))]
fn discover(path: &str, sample: usize) -> PyResult<String> {
    blaze::runtime::io::discover(std::path::Path::new(path), sample)
        .map(|d| d.to_string())
        .map_err(|e| BlazeError::new_err(e.to_string()))
}

/// Evaluates `source` on files (`inputs`: name and `PATH[:DATASHAPE]`),
/// in memory or streamed within `memory_limit` bytes, the result written to
/// `out` (then `None` is returned) or returned; the GIL released meanwhile.
#[pyfunction]
#[pyo3(signature = (source, inputs, out=None, memory_limit=None))]
fn eval_files(
    py: Python<'_>,
    source: &str,
    inputs: Vec<(String, String)>,
    out: Option<String>,
    memory_limit: Option<u64>,
) -> PyResult<PyObject> {
    let outcome = py
        .allow_threads(|| {
            let mut session = blaze::Session::new();
            if let Some(m) = memory_limit {
                session = session.memory_limit(m);
            }
            let named: Vec<(&str, &str)> = inputs
                .iter()
                .map(|(n, p)| (n.as_str(), p.as_str()))
                .collect();
            session.eval(source, &named, out.as_deref())
        })
        .map_err(|e| BlazeError::new_err(e.to_string()))?;
    match outcome.value {
        Some(v) if out.is_none() => to_python(py, v),
        _ => Ok(py.None()),
    }
}

/// The datashape blaze reads `path` as, under `dshape` when given (a
/// pattern's files concatenated unless `dshape` stacks them).
#[pyfunction]
#[pyo3(signature = (path, dshape=None))]
fn open_datashape(path: &str, dshape: Option<&str>) -> PyResult<String> {
    let ty = match dshape {
        Some(d) => Some(
            blaze::datashape::parse(d).map_err(|e| BlazeError::new_err(e.render(d, "dshape")))?,
        ),
        None => None,
    };
    blaze::runtime::io::open(std::path::Path::new(path), ty.as_ref())
        .map(|s| s.datashape().to_string())
        .map_err(|e| BlazeError::new_err(e.to_string()))
}

/// The name of the OpenBLAS kernels in use (`SkylakeX`, `Haswell`, …).
#[pyfunction]
fn blas_core() -> String {
    blaze::runtime::linalg::cores::blas_core()
}

#[pymodule]
fn _blaze(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // OpenBLAS's kernels for this CPU, chosen as the module loads.
    // SAFETY: the import runs with the GIL held and before any call of
    // this module (so before any BLAS call); setting `OPENBLAS_CORETYPE`
    // is what `os.environ` does in Python code.
    unsafe {
        blaze::runtime::linalg::cores::select_kernels();
    }
    m.add_function(wrap_pyfunction!(blas_core, m)?)?;
    m.add_class::<PyExpr>()?;
    m.add_class::<PyKernel>()?;
    m.add_class::<ArrowValue>()?;
    m.add_class::<tasks::PyTaskPlan>()?;
    m.add_function(wrap_pyfunction!(compile_module, m)?)?;
    m.add_function(wrap_pyfunction!(discover, m)?)?;
    m.add_function(wrap_pyfunction!(eval_files, m)?)?;
    m.add_function(wrap_pyfunction!(open_datashape, m)?)?;
    m.add("BlazeError", m.py().get_type::<BlazeError>())?;
    Ok(())
}

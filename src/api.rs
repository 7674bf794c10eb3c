//! The high-level Rust API: compile a module or an expression from text,
//! call it on ndarray arrays of any layout, get ndarray results. Errors are
//! values ([`Error`]) that render with a caret under the offending source.
//! Programs on files (in memory or streamed) run through
//! [`Session`](crate::Session), whose errors convert into [`Error`].

use crate::array::DenseViewMut;
use crate::datashape::{Datashape, Dim, Measure, Scalar};
use crate::interp::{Element, EvalError, Value};
use crate::ir::Function;
use crate::runtime::exec::{prepare, Arg, Options, Prepared, Report};
use crate::syntax::Diagnostic;
use ndarray::{ArrayBase, ArrayD, Data, DataMut, Dimension};
use std::fmt;
use std::sync::Arc;

pub use crate::runtime::session::Engine;

/// Everything that can go wrong, as a value.
#[derive(Clone, Debug)]
pub enum Error {
    /// The source does not parse or type-check.
    Compile {
        /// What and where.
        diagnostic: Diagnostic,
        /// The source, for rendering.
        source: String,
    },
    /// A datashape given for an argument is invalid.
    Datashape(String),
    /// No definition of that name in the module.
    UnknownDefinition(String),
    /// The inputs do not fit, or evaluation failed.
    Eval(EvalError),
    /// The result is not an array of the requested element type.
    ResultType(String),
    /// Running on files failed: reading or writing them, streaming,
    /// binding inputs (what [`Session`](crate::Session) reports).
    Runtime(Arc<crate::runtime::Error>),
}

impl PartialEq for Error {
    /// Runtime errors are equal when they say the same; the others when
    /// their values are.
    fn eq(&self, other: &Error) -> bool {
        match (self, other) {
            (
                Error::Compile {
                    diagnostic: a,
                    source: x,
                },
                Error::Compile {
                    diagnostic: b,
                    source: y,
                },
            ) => a == b && x == y,
            (Error::Datashape(a), Error::Datashape(b))
            | (Error::UnknownDefinition(a), Error::UnknownDefinition(b))
            | (Error::ResultType(a), Error::ResultType(b)) => a == b,
            (Error::Eval(a), Error::Eval(b)) => a == b,
            (Error::Runtime(a), Error::Runtime(b)) => a.to_string() == b.to_string(),
            _ => false,
        }
    }
}

impl From<crate::runtime::Error> for Error {
    /// Evaluation errors keep the variant the interpreter's take, so both
    /// engines fail alike on bad inputs; the rest is wrapped whole.
    fn from(e: crate::runtime::Error) -> Error {
        match e {
            crate::runtime::Error::Eval(e) => Error::Eval(e),
            e => Error::Runtime(Arc::new(e)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Compile { diagnostic, source } => {
                f.write_str(diagnostic.render(source, "<source>").trim_end())
            }
            Error::Datashape(m) | Error::UnknownDefinition(m) | Error::ResultType(m) => {
                f.write_str(m)
            }
            Error::Eval(e) => write!(f, "{e}"),
            Error::Runtime(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<EvalError> for Error {
    fn from(e: EvalError) -> Error {
        Error::Eval(e)
    }
}

/// A compiled kernel: a type-checked function with its execution plan.
/// Compiled LLVM code is cached process-wide, so calling it again on inputs
/// of the same types and layouts costs a few microseconds of overhead.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// The function as type-checked.
    checked: Function,
    prepared: Prepared,
    engine: Engine,
    options: Options,
}

impl Kernel {
    fn new(f: &Function) -> Kernel {
        Kernel {
            checked: f.clone(),
            prepared: prepare(f),
            engine: Engine::Jit,
            options: Options::default(),
        }
    }

    /// The typed IR, as the type checker produced it.
    pub fn function(&self) -> &Function {
        &self.checked
    }

    /// The typed IR the JIT engine runs: the checked function after the
    /// BLAS/LAPACK rewrites (`A.T @ A` → `call syrk T`, …).
    pub fn rewritten(&self) -> &Function {
        self.prepared.function()
    }

    /// The engine's plan as text: which nodes run as fused kernels, which
    /// as BLAS/LAPACK calls (what `blaze explain` prints).
    pub fn plan_text(&self) -> String {
        self.prepared.to_string()
    }

    /// The result type.
    pub fn result_type(&self) -> &Datashape {
        self.function().result_type()
    }

    /// Runs on `engine` from now on.
    pub fn with_engine(mut self, engine: Engine) -> Kernel {
        self.engine = engine;
        self
    }

    /// Keeps the texts `dumps` asks for (LLVM IR as generated or
    /// optimized, assembly) in the [`Report`] of each run, kernels compiled
    /// afresh for them (what `blaze eval --emit` shows).
    pub fn with_dumps(mut self, dumps: crate::codegen::Dumps) -> Kernel {
        self.options.dumps = dumps;
        self
    }

    /// Uses `threads` worker threads (the default is one per core).
    pub fn with_threads(mut self, threads: usize) -> Kernel {
        self.options.threads = Some(threads.max(1));
        self
    }

    /// Calls the kernel, one input per parameter in order, and returns a
    /// new value. Inputs are borrowed: views of the caller's arrays
    /// ([`input`], any strides, no copy) or values ([`Arg::Value`]).
    /// Compiled kernels read views in place; steps that need an
    /// interpreter value (BLAS/LAPACK, the reference kernels) and the
    /// interpreter engine copy them.
    ///
    /// ```
    /// use ndarray::{array, s};
    /// let k = blaze::compile_expr("2*a + b", &[("a", "N * float64"), ("b", "N * float64")]).unwrap();
    /// let a = array![1.0, 2.0, 3.0, 4.0];
    /// let b = array![0.5, 0.5];
    /// let y = k.call(&[blaze::input(&a.slice(s![..;2])), blaze::input(&b)]).unwrap();
    /// assert_eq!(blaze::output::<f64>(y).unwrap(), array![2.5, 6.5].into_dyn());
    /// ```
    pub fn call(&self, inputs: &[Arg<'_>]) -> Result<Value, Error> {
        Ok(self.run_with_report(inputs)?.0)
    }

    /// The same as [`Kernel::call`] (its name from before `call` took
    /// borrowed inputs).
    pub fn call_args(&self, inputs: &[Arg<'_>]) -> Result<Value, Error> {
        self.call(inputs)
    }

    /// Calls the kernel and writes the result into `out`, a caller's array
    /// ([`output_view`] of an `ndarray` array or mutable view, any strides),
    /// which must have the result's element type and shape. When the
    /// function ends in an elementwise kernel, that kernel writes straight
    /// into `out` (no result is allocated); otherwise the result is copied
    /// into it once. An `out` sharing memory with an input gets the result
    /// of reading every input first (as NumPy's `out=`). On an error
    /// nothing has been written. An option result (`?float64`, …) goes into
    /// an `out` that carries an Arrow validity bitmap
    /// ([`DenseViewMut::with_validity_bits`]), which receives its missing
    /// values (the last kernel writes the bits); into a plain `out` it is
    /// accepted only when nothing is missing.
    ///
    /// ```
    /// use ndarray::{array, s, Array1};
    /// let k = blaze::compile_expr("a*x + y", &[("a", "float64"), ("x", "N * float64"), ("y", "N * float64")]).unwrap();
    /// let a = blaze::interp::Value::from(blaze::interp::Array::Float64(ndarray::arr0(2.0).into_dyn()));
    /// let x = array![1.0, 2.0, 3.0];
    /// let y = array![10.0, 20.0, 30.0];
    /// let mut out = Array1::<f64>::zeros(6);
    /// // Every other element of `out`.
    /// k.call_into(
    ///     &[blaze::Arg::Value(&a), blaze::input(&x), blaze::input(&y)],
    ///     blaze::output_view(&mut out.slice_mut(s![..;2])),
    /// ).unwrap();
    /// assert_eq!(out, array![12.0, 0.0, 24.0, 0.0, 36.0, 0.0]);
    /// ```
    pub fn call_into(&self, inputs: &[Arg<'_>], out: DenseViewMut<'_>) -> Result<(), Error> {
        self.call_into_with_report(inputs, out).map(|_| ())
    }

    /// [`Kernel::call_into`], also returning what the run did (an empty
    /// report on the interpreter).
    pub fn call_into_with_report(
        &self,
        inputs: &[Arg<'_>],
        out: DenseViewMut<'_>,
    ) -> Result<Report, Error> {
        match self.engine {
            Engine::Jit => Ok(self.prepared.run_into(inputs, out, &self.options)?),
            Engine::Interp => {
                let v = self.interpret(inputs)?;
                self.prepared.write_result(&v, out)?;
                Ok(Report::default())
            }
        }
    }

    /// Runs the function on the interpreter, copying views into values at
    /// its boundary.
    fn interpret(&self, inputs: &[Arg<'_>]) -> Result<Value, Error> {
        let values = inputs
            .iter()
            .map(|a| match a {
                Arg::Value(v) => Ok((*v).clone()),
                Arg::View(v) => crate::runtime::value::view_to_value(v),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Eval(EvalError::Input(e.to_string())))?;
        Ok(crate::interp::eval(self.function(), &values)?)
    }

    /// Calls the kernel and also returns what the run did: the compiled
    /// kernels, the BLAS/LAPACK routines called, the operations that ran on
    /// the reference kernels (an empty report on the interpreter).
    ///
    /// ```
    /// use ndarray::array;
    /// let k = blaze::compile_expr("A.T @ A", &[("A", "N * M * float64")]).unwrap();
    /// let a = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    /// let (v, report) = k.run_with_report(&[blaze::input(&a)]).unwrap();
    /// assert_eq!(report.calls, ["%2: dsyrk T"]);
    /// assert_eq!(blaze::output::<f64>(v).unwrap(), array![[35.0, 44.0], [44.0, 56.0]].into_dyn());
    /// ```
    pub fn run_with_report(&self, inputs: &[Arg<'_>]) -> Result<(Value, Report), Error> {
        match self.engine {
            Engine::Jit => Ok(self.prepared.run_args(inputs, &self.options)?),
            Engine::Interp => Ok((self.interpret(inputs)?, Report::default())),
        }
    }

    /// Calls the kernel and returns its array result as an `ndarray`.
    ///
    /// ```
    /// use ndarray::array;
    /// let k = blaze::compile_expr("2*a + b", &[("a", "3 * float64"), ("b", "3 * float64")]).unwrap();
    /// let (a, b) = (array![1.0, 2.0, 3.0], array![0.5, 0.5, 0.5]);
    /// let y = k.call_array::<f64>(&[blaze::input(&a), blaze::input(&b)]).unwrap();
    /// assert_eq!(y, array![2.5, 4.5, 6.5].into_dyn());
    /// ```
    pub fn call_array<T: Element>(&self, inputs: &[Arg<'_>]) -> Result<ArrayD<T>, Error> {
        output(self.call(inputs)?)
    }
}

/// An input read in place: a view of an ndarray array or view of any
/// layout and dimensionality (no copy; the borrow keeps the memory alive
/// and unchanged for the call).
///
/// ```
/// use ndarray::{array, s};
/// let m = array![[1i64, 2, 3], [4, 5, 6]];
/// let k = blaze::compile_expr("sum(x, axis=0)", &[("x", "2 * 2 * int64")]).unwrap();
/// // A strided, reversed view.
/// let v = m.slice(s![.., ..;-2]);
/// assert_eq!(k.call_array::<i64>(&[blaze::input(&v)]).unwrap(), array![9, 5].into_dyn());
/// ```
pub fn input<S, D, T>(a: &ArrayBase<S, D>) -> Arg<'_>
where
    S: Data<Elem = T>,
    D: Dimension,
    T: Element,
{
    Arg::View(crate::runtime::value::view_of(&a.view()))
}

/// The same as [`input`] (its name from when `input` copied).
pub fn view<S, D, T>(a: &ArrayBase<S, D>) -> Arg<'_>
where
    S: Data<Elem = T>,
    D: Dimension,
    T: Element,
{
    input(a)
}

/// An output in the caller's memory for [`Kernel::call_into`]: an ndarray
/// array or mutable view of any layout and dimensionality, borrowed
/// exclusively for the call (no copy).
pub fn output_view<S, D, T>(a: &mut ArrayBase<S, D>) -> DenseViewMut<'_>
where
    S: DataMut<Elem = T>,
    D: Dimension,
    T: Element,
{
    crate::runtime::value::view_mut_of(a.view_mut())
}

/// The array in `v`, if it is a plain array of element type `T` (moved
/// out, not copied).
pub fn output<T: Element>(v: Value) -> Result<ArrayD<T>, Error> {
    match v {
        Value::Array {
            data,
            missing: None,
        } => T::take(data).map_err(|data| {
            Error::ResultType(format!(
                "the result holds {}, not {}",
                data.scalar(),
                T::SCALAR
            ))
        }),
        Value::Array { .. } => Err(Error::ResultType(
            "the result has missing values; read it as a `Value`".into(),
        )),
        _ => Err(Error::ResultType(
            "the result is a record or a tuple; read it as a `Value`".into(),
        )),
    }
}

fn arg_types(args: &[(&str, &str)]) -> Result<Vec<(String, Datashape)>, Error> {
    args.iter()
        .map(|(name, ds)| {
            crate::datashape::parse(ds)
                .map(|t| (name.to_string(), t))
                .map_err(|e| Error::Datashape(format!("argument `{name}`: {}", e.render(ds, name))))
        })
        .collect()
}

/// Compiles an expression over named arguments of the datashapes given.
pub(crate) fn compile_expr_typed(
    src: &str,
    types: &[(String, Datashape)],
) -> Result<Kernel, Error> {
    let f = crate::ir::compile_expression(src, types).map_err(|diagnostic| Error::Compile {
        diagnostic,
        source: src.to_string(),
    })?;
    Ok(Kernel::new(&f))
}

/// Compiles an expression over named arguments whose datashapes are given
/// as text.
///
/// ```
/// let k = blaze::compile_expr("A.T @ A", &[("A", "N * M * float64")]).unwrap();
/// assert_eq!(k.result_type().to_string(), "M * M * float64");
/// let err = blaze::compile_expr("a + b", &[("a", "3 * int32"), ("b", "4 * int32")]).unwrap_err();
/// assert!(err.to_string().contains("cannot broadcast"));
/// ```
pub fn compile_expr(src: &str, args: &[(&str, &str)]) -> Result<Kernel, Error> {
    compile_expr_typed(src, &arg_types(args)?)
}

/// Compiles an expression whose argument types are those of the given
/// inputs (fixed dimensions, their element types; a column in Arrow's
/// layout: its leading shape and the datashape of its Arrow data, an
/// option where it has missing elements).
pub fn compile_expr_for(src: &str, names: &[&str], inputs: &[Value]) -> Result<Kernel, Error> {
    let mut types = Vec::new();
    for (name, v) in names.iter().zip(inputs) {
        let ty = match v {
            Value::Array { data, missing } => {
                let dims = data.shape().iter().map(|&n| Dim::Fixed(n as u64)).collect();
                let m = Measure::scalar(data.scalar());
                let m = if missing.is_some() {
                    Measure::option(m)
                } else {
                    m
                };
                Datashape::new(dims, m)
            }
            Value::Column(c) => {
                let elems = crate::array::schema::datashape_of_data(c.array.as_ref())
                    .map_err(|e| Error::Datashape(format!("input `{name}`: {e}")))?;
                let mut dims: Vec<Dim> = c.shape.iter().map(|&n| Dim::Fixed(n as u64)).collect();
                dims.extend(elems.dims);
                Datashape::new(dims, elems.measure)
            }
            _ => {
                return Err(Error::Datashape(format!(
                    "input `{name}` is a record or tuple; give its datashape with `compile_expr`"
                )))
            }
        };
        types.push((name.to_string(), ty));
    }
    let f = crate::ir::compile_expression(src, &types).map_err(|diagnostic| Error::Compile {
        diagnostic,
        source: src.to_string(),
    })?;
    Ok(Kernel::new(&f))
}

/// A compiled module: its definitions, each a [`Kernel`].
#[derive(Clone, Debug)]
pub struct Module {
    kernels: Vec<(String, Kernel)>,
}

impl Module {
    /// The kernel of definition `name`.
    pub fn kernel(&self, name: &str) -> Result<&Kernel, Error> {
        self.kernels
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, k)| k)
            .ok_or_else(|| {
                let names: Vec<&str> = self.kernels.iter().map(|(n, _)| n.as_str()).collect();
                Error::UnknownDefinition(format!(
                    "no definition `{name}`; the module defines {}",
                    names.join(", ")
                ))
            })
    }

    /// Names of the definitions, in source order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.kernels.iter().map(|(n, _)| n.as_str())
    }
}

/// Compiles a module of definitions.
///
/// ```
/// use ndarray::array;
/// let m = blaze::compile("def axpy(a: float64, x: N * float64, y: N * float64) = a * x + y").unwrap();
/// let k = m.kernel("axpy").unwrap();
/// let a = blaze::Value::from(blaze::interp::Array::Float64(ndarray::arr0(2.0).into_dyn()));
/// let (x, y) = (array![1.0, 2.0], array![10.0, 20.0]);
/// let y = k.call_array::<f64>(&[blaze::Arg::Value(&a), blaze::input(&x), blaze::input(&y)]).unwrap();
/// assert_eq!(y, array![12.0, 24.0].into_dyn());
/// ```
pub fn compile(src: &str) -> Result<Module, Error> {
    let program = crate::ir::compile_module(src).map_err(|diagnostic| Error::Compile {
        diagnostic,
        source: src.to_string(),
    })?;
    Ok(Module {
        kernels: program
            .functions
            .iter()
            .map(|f| (f.name.clone(), Kernel::new(f)))
            .collect(),
    })
}

/// The datashape of a scalar element type, for building argument types.
pub fn scalar_type(s: Scalar) -> Datashape {
    Datashape::scalar(Measure::scalar(s))
}

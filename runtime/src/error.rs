//! [`Error`], the one error type of the runtime's public entry points (the
//! [`Session`](crate::Session), the streaming executor): what failed, as a
//! structured value, whose `Display` is the message a user reads.
//!
//! The engine-level errors keep their own types and are wrapped here:
//! [`IoError`] for files, [`StreamError`] for what cannot stream,
//! [`RoutineError`] for LAPACK (the routine and its `info`), [`JitError`]
//! for the code generator, [`EvalError`] for the rest of evaluation.

use crate::io::IoError;
use crate::linalg::RoutineError;
use blaze_interp::EvalError;
use blaze_syntax::Diagnostic;
use std::fmt;

/// `1.5 GiB`-style text.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    } else {
        format!("{bytes} bytes")
    }
}

/// Why a program cannot run as a stream of row blocks, or why a streamed
/// run stopped.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StreamError {
    /// A node needs something blocks cannot give.
    Node {
        /// The node as the IR prints it (`%3 = sum %2 : float64`).
        node: String,
        /// Why.
        reason: String,
    },
    /// The program as a whole cannot stream (no streamed input, a result
    /// that does not depend on one, a transposed result, …).
    Program(String),
    /// The memory limit does not leave room for a block.
    TooLittleMemory {
        /// The limit.
        limit: u64,
        /// What in-memory inputs and partial results alone take.
        fixed: u64,
    },
    /// Streamed inputs disagree on their number of rows.
    Rows(String),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Node { node, reason } => write!(f, "cannot stream `{node}`: {reason}"),
            StreamError::Program(m) | StreamError::Rows(m) => f.write_str(m),
            StreamError::TooLittleMemory { limit, fixed } => write!(
                f,
                "the memory limit of {} is too small: in-memory inputs and partial results alone take {}",
                human(*limit),
                human(*fixed)
            ),
        }
    }
}

impl std::error::Error for StreamError {}

/// Inputs that do not fit the program, or a request that does not make
/// sense: each names the input, definition or argument at fault.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BindError {
    /// An input spec is not `NAME=PATH[:DATASHAPE]`.
    Spec(String),
    /// A CSV input without the datashape of its rows.
    CsvDatashape(String),
    /// The datashape of an input spec does not parse (rendered with a
    /// caret).
    Datashape {
        /// The datashape's text.
        text: String,
        /// The file it is for.
        path: String,
        /// What is wrong.
        error: blaze_datashape::Error,
    },
    /// An input's datashape has more dimensions than an array may have
    /// (64, NumPy's limit).
    TooManyDims {
        /// The input.
        name: String,
        /// Its datashape's dimensions.
        dims: usize,
    },
    /// An input name given twice.
    Duplicate(String),
    /// A parameter with no input.
    Missing(String),
    /// An input no parameter takes; `function` is `None` for an
    /// expression.
    Unused {
        /// The input.
        name: String,
        /// The definition run.
        function: Option<String>,
    },
    /// A name with both an input file and a declared type.
    InputAndType(String),
    /// Declared types given for a module (its definitions declare their
    /// own).
    TypesForModule,
    /// No definition of that name.
    NoDefinition {
        /// The name asked for.
        name: String,
        /// Where the module came from.
        origin: String,
        /// The definitions it has.
        defined: Vec<String>,
    },
    /// A module with several definitions and none chosen.
    ChooseDefinition(Vec<String>),
    /// The number of inputs does not match the parameters.
    Count {
        /// The function.
        function: String,
        /// Its parameters.
        params: usize,
        /// Inputs given.
        given: usize,
    },
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::Spec(s) => write!(f, "`--in {s}`: expected NAME=PATH, as in `--in x=x.npy`"),
            BindError::CsvDatashape(p) => write!(
                f,
                "`{p}`: a CSV input needs the datashape of its rows, as in `p.csv:var * {{a: int32, b: float64}}`"
            ),
            BindError::Datashape { text, path, error } => {
                f.write_str(error.render(text, path).trim_end())
            }
            BindError::TooManyDims { name, dims } => write!(
                f,
                "input `{name}`: its datashape has {dims} dimensions; an array has at most 64"
            ),
            BindError::Duplicate(n) => write!(f, "input `{n}` is given twice"),
            BindError::Missing(n) => {
                write!(f, "no input for `{n}`: give it with `--in {n}=PATH.npy`")
            }
            BindError::Unused {
                name,
                function: None,
            } => write!(f, "input `{name}` is not used by the expression"),
            BindError::Unused {
                name,
                function: Some(g),
            } => write!(f, "input `{name}` is not used by `{g}`"),
            BindError::InputAndType(n) => write!(
                f,
                "`{n}` has both `--in` and `--arg`; the input file gives its type"
            ),
            BindError::TypesForModule => f.write_str(
                "`--arg` gives the types of an expression's names; a module's definitions declare their own",
            ),
            BindError::NoDefinition {
                name,
                origin,
                defined,
            } => write!(
                f,
                "no definition `{name}` in {origin}; it defines {}",
                defined.join(", ")
            ),
            BindError::ChooseDefinition(defined) => write!(
                f,
                "the module defines {}; choose one with `--def NAME`",
                defined.join(", ")
            ),
            BindError::Count {
                function,
                params,
                given,
            } => write!(f, "`{function}` takes {params} inputs, {given} given"),
        }
    }
}

impl std::error::Error for BindError {}

/// A result that cannot be written where it was asked to go.
#[derive(Debug)]
#[non_exhaustive]
pub enum OutputError {
    /// Writing failed.
    Io(IoError),
    /// The result has missing values, which the file formats cannot hold.
    Missing,
    /// The result is a record or a tuple.
    NotAnArray,
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::Io(e) => write!(f, "{e}"),
            OutputError::Missing => f.write_str("the result has missing values, which `.npy` cannot hold; fill them first, e.g. `fillna(x, 0)`"),
            OutputError::NotAnArray => f.write_str("only an array result can be written to a `.npy` file; this result is a record or tuple (select one element, e.g. `qr(A)[0]`)"),
        }
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OutputError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The code generator failed: it is not available on this machine, or a
/// kernel did not compile.
#[derive(Clone, Debug, PartialEq)]
pub struct JitError {
    /// The kernel's key (`rank 1 layout cc | …`), when one failed.
    pub kernel: Option<String>,
    /// What LLVM or the code generator said.
    pub message: String,
}

impl fmt::Display for JitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kernel {
            None => write!(f, "JIT unavailable: {}", self.message),
            Some(k) => write!(
                f,
                "kernel compilation failed: {} (kernel {k})",
                self.message
            ),
        }
    }
}

impl std::error::Error for JitError {}

/// Everything the runtime's entry points can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An input file cannot be opened or read.
    Io(IoError),
    /// The result cannot be written.
    Output(OutputError),
    /// The program cannot stream (when streaming was asked for).
    Stream(StreamError),
    /// The program cannot run within the memory limit: it cannot stream
    /// and its inputs are too large to run in memory.
    Memory {
        /// The limit.
        limit: u64,
        /// Why it cannot stream.
        reason: StreamError,
    },
    /// Evaluation failed (inputs that do not fit, a value an operation
    /// does not accept, a shape error…).
    Eval(EvalError),
    /// A LAPACK routine (or the checks before it) failed: a singular
    /// matrix, one that is not positive definite, no convergence…
    Linalg(RoutineError),
    /// The code generator could not compile a kernel.
    Jit(JitError),
    /// The inputs do not fit the program.
    Bind(BindError),
    /// The source does not parse or type-check; displays with a caret
    /// under the offending text.
    Compile {
        /// What and where.
        diagnostic: Diagnostic,
        /// The source text.
        source: String,
        /// Its name (`<expression>`, a file name).
        origin: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::Output(e) => write!(f, "{e}"),
            Error::Stream(e) => write!(f, "{e}"),
            Error::Memory { limit, reason } => write!(
                f,
                "cannot run within the memory limit of {}: {reason}",
                human(*limit)
            ),
            Error::Eval(e) => write!(f, "{e}"),
            // As every engine words it (`linear algebra error: …`).
            Error::Linalg(e) => write!(f, "{}", EvalError::from(e.clone())),
            Error::Jit(e) => write!(f, "{e}"),
            Error::Bind(e) => write!(f, "{e}"),
            Error::Compile {
                diagnostic,
                source,
                origin,
            } => f.write_str(diagnostic.render(source, origin).trim_end()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Output(e) => Some(e),
            Error::Stream(e) | Error::Memory { reason: e, .. } => Some(e),
            Error::Eval(e) => Some(e),
            Error::Linalg(e) => Some(e),
            Error::Jit(e) => Some(e),
            Error::Bind(e) => Some(e),
            Error::Compile { .. } => None,
        }
    }
}

impl From<IoError> for Error {
    fn from(e: IoError) -> Error {
        Error::Io(e)
    }
}

impl From<StreamError> for Error {
    fn from(e: StreamError) -> Error {
        Error::Stream(e)
    }
}

impl From<EvalError> for Error {
    fn from(e: EvalError) -> Error {
        Error::Eval(e)
    }
}

impl From<RoutineError> for Error {
    fn from(e: RoutineError) -> Error {
        Error::Linalg(e)
    }
}

impl From<JitError> for Error {
    fn from(e: JitError) -> Error {
        Error::Jit(e)
    }
}

impl From<BindError> for Error {
    fn from(e: BindError) -> Error {
        Error::Bind(e)
    }
}

impl From<OutputError> for Error {
    fn from(e: OutputError) -> Error {
        Error::Output(e)
    }
}

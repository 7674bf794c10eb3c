//! [`CliError`], the one error type of the command-line tool, rendered
//! once, in `main`, as the text users read on stderr: `error[tag]: message`
//! (the tag says which part of the request failed) or a diagnostic with a
//! caret under the offending source. Every error exits with status 1.

use blaze::runtime::error::BindError;
use blaze::runtime::Error as RuntimeError;
use std::fmt;

/// A user error of a command.
#[derive(Debug)]
pub(crate) enum CliError {
    /// A bad flag or flag value.
    Usage(String),
    /// Another failure, with its tag (`build`, `output`, `demo`).
    Tagged(&'static str, String),
    /// A source file that cannot be read.
    Read {
        /// The file.
        path: String,
        /// The OS error.
        error: std::io::Error,
    },
    /// What the runtime refused or failed at.
    Runtime(RuntimeError),
    /// Diagnostics already rendered with their carets (datashape and
    /// unification errors, several at once).
    Rendered(String),
}

impl From<RuntimeError> for CliError {
    fn from(e: RuntimeError) -> CliError {
        CliError::Runtime(e)
    }
}

/// The tag of a runtime error, or `None` when its text is a rendered
/// diagnostic.
fn tag(e: &RuntimeError) -> Option<&'static str> {
    Some(match e {
        RuntimeError::Io(_) => "input",
        RuntimeError::Output(_) => "output",
        RuntimeError::Stream(_) => "stream",
        RuntimeError::Memory { .. } => "memory",
        RuntimeError::Eval(_) | RuntimeError::Linalg(_) | RuntimeError::Jit(_) => "eval",
        RuntimeError::Compile { .. } | RuntimeError::Bind(BindError::Datashape { .. }) => {
            return None
        }
        RuntimeError::Bind(BindError::Missing(_)) => "input",
        RuntimeError::Bind(_) => "usage",
        _ => "error",
    })
}

impl fmt::Display for CliError {
    /// The whole text for stderr, ending in a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) => writeln!(f, "error[usage]: {m}"),
            CliError::Read { path, error } => {
                writeln!(f, "error[io]: cannot read `{path}`: {error}")
            }
            CliError::Runtime(e) => match tag(e) {
                Some(t) => writeln!(f, "error[{t}]: {e}"),
                None => writeln!(f, "{e}"),
            },
            CliError::Rendered(text) => f.write_str(text),
            CliError::Tagged(t, m) => writeln!(f, "error[{t}]: {m}"),
        }
    }
}

//! [`IoError`], the one error type of reading and writing data files: every
//! variant names the file, and format errors say where in it (a header, a
//! chunk, a line and field) and what kind of problem it is.
//!
//! This module owns the words of the messages only as far as their shape
//! (`path: message`, `path:line: message`); each format writes its own
//! message text.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// What kind of problem an [`IoError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoErrorKind {
    /// The input does not start with the magic string of its format.
    BadMagic,
    /// The format version is not one blaze reads.
    UnsupportedVersion,
    /// The input ends inside the header (or the metadata is missing).
    TruncatedHeader,
    /// The header or metadata is not what the format specifies.
    MalformedHeader,
    /// The element type is valid in the format but not a numeric type blaze
    /// has.
    UnsupportedDtype,
    /// The shape's element or byte count does not fit in memory sizes.
    ShapeOverflow,
    /// The input ends before all the elements the shape requires.
    TruncatedData,
    /// The input has bytes after the array data.
    TrailingData,
    /// A piece of data (a Zarr chunk) is present but does not decode.
    Corrupt,
    /// A value (a CSV cell) is not of its column's type, or a row has the
    /// wrong number of cells.
    BadValue,
    /// A request the file cannot serve: rows out of range, a block of
    /// another shape or type, a path that names no file, a result the
    /// format cannot hold.
    Request,
    /// An operating-system I/O error ([`IoError::Os`]).
    Io,
}

/// Where in a file a format error is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole (or its header).
    File,
    /// A line of a text file (1-based), and the field when one is at fault.
    Line {
        /// The line number.
        line: usize,
        /// The field's name.
        field: Option<String>,
    },
    /// A chunk of a chunked array, by its key relative to the array.
    Chunk(String),
}

/// An error reading or writing a data file. It displays as `path: message`
/// (`path:line: message` for a line of a text file).
#[derive(Debug)]
#[non_exhaustive]
pub enum IoError {
    /// The operating system refused: open, read, write, sync, rename.
    Os {
        /// The file.
        path: PathBuf,
        /// What was being done (`cannot open`, `read error at rows 0..10`).
        action: String,
        /// The OS error.
        source: io::Error,
    },
    /// The file's content, or the request, does not fit the format.
    Format {
        /// The file (for a chunk, the array's directory).
        path: PathBuf,
        /// What kind of problem.
        kind: IoErrorKind,
        /// Where in the file.
        location: Location,
        /// What is wrong, without the path.
        message: String,
    },
}

impl IoError {
    /// A format error about the whole file.
    pub fn format(path: &Path, kind: IoErrorKind, message: impl Into<String>) -> IoError {
        IoError::Format {
            path: path.to_path_buf(),
            kind,
            location: Location::File,
            message: message.into(),
        }
    }

    /// A format error at `location` of the file.
    pub fn at(
        path: &Path,
        location: Location,
        kind: IoErrorKind,
        message: impl Into<String>,
    ) -> IoError {
        IoError::Format {
            path: path.to_path_buf(),
            kind,
            location,
            message: message.into(),
        }
    }

    /// An operating-system error while doing `action` on `path`.
    pub fn os(path: &Path, action: impl Into<String>, source: io::Error) -> IoError {
        IoError::Os {
            path: path.to_path_buf(),
            action: action.into(),
            source,
        }
    }

    /// The file the error is about (or the name given to a reader).
    pub fn path(&self) -> &Path {
        match self {
            IoError::Os { path, .. } | IoError::Format { path, .. } => path,
        }
    }

    /// The kind of error.
    pub fn kind(&self) -> IoErrorKind {
        match self {
            IoError::Os { .. } => IoErrorKind::Io,
            IoError::Format { kind, .. } => *kind,
        }
    }

    /// Where in the file (the whole file for OS errors).
    pub fn location(&self) -> Location {
        match self {
            IoError::Os { .. } => Location::File,
            IoError::Format { location, .. } => location.clone(),
        }
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> String {
        match self {
            IoError::Os { action, source, .. } => format!("{action}: {source}"),
            IoError::Format { message, .. } => message.clone(),
        }
    }
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoError::Os {
                path,
                action,
                source,
            } => write!(f, "{}: {action}: {source}", path.display()),
            IoError::Format {
                path,
                location,
                message,
                ..
            } => match location {
                Location::File => write!(f, "{}: {message}", path.display()),
                Location::Line { line, .. } => write!(f, "{}:{line}: {message}", path.display()),
                Location::Chunk(key) => write!(f, "{}: {message}", path.join(key).display()),
            },
        }
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IoError::Os { source, .. } => Some(source),
            IoError::Format { .. } => None,
        }
    }
}

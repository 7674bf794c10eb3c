//! Errors as data: a kind, a message, a byte span, and a renderer that shows
//! the source line with a caret under the span.

use serde::Serialize;
use std::fmt;

/// A byte range `start..end` in a source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub(crate) fn of(span: pest::Span<'_>) -> Span {
        Span::new(span.start(), span.end())
    }
}

/// What went wrong, as a stable machine-readable category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// A name that is neither builtin, defined, nor a type variable.
    UnknownName,
    /// A type definition applied to the wrong number of arguments, or a
    /// builtin constructor given the wrong arguments.
    Arity,
    /// A constructor argument of the wrong kind or value (`decimal[2, 5]`).
    InvalidArgument,
    /// A type definition that refers to itself, directly or not.
    Recursive,
    /// A type definition whose name is taken (by a builtin or an earlier
    /// definition in the same module).
    Redefinition,
    /// A record with two fields of the same name.
    DuplicateField,
    /// `*` and `,` mixed as dimension separators.
    MixedSeparators,
    /// A measure where a dimension must stand, or the other way round.
    Misplaced,
    /// More than one ellipsis in one datashape.
    MultipleEllipses,
    /// `??T`.
    NestedOption,
    /// A number out of range or with leading zeros.
    BadNumber,
    /// Two dimensions that cannot be broadcast together.
    DimMismatch,
    /// Two measures that cannot be unified.
    TypeMismatch,
    /// Shapes of different rank where equal rank is required.
    RankMismatch,
    /// A signature applied to the wrong number of arguments.
    ArgumentCount,
    /// Brackets or prefix operators nested deeper than
    /// [`MAX_NESTING`](crate::MAX_NESTING).
    TooDeep,
}

impl ErrorKind {
    /// The snake_case name used in JSON and test files.
    pub fn name(self) -> &'static str {
        use ErrorKind::*;
        match self {
            Syntax => "syntax",
            UnknownName => "unknown_name",
            Arity => "arity",
            InvalidArgument => "invalid_argument",
            Recursive => "recursive",
            Redefinition => "redefinition",
            DuplicateField => "duplicate_field",
            MixedSeparators => "mixed_separators",
            Misplaced => "misplaced",
            MultipleEllipses => "multiple_ellipses",
            NestedOption => "nested_option",
            BadNumber => "bad_number",
            DimMismatch => "dim_mismatch",
            TypeMismatch => "type_mismatch",
            RankMismatch => "rank_mismatch",
            ArgumentCount => "argument_count",
            TooDeep => "too_deep",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error found in a source text: what kind, what was expected and what was
/// found, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Error {
    /// The category.
    pub kind: ErrorKind,
    /// A sentence saying what was expected and what was found.
    pub message: String,
    /// The offending bytes of the source.
    pub span: Span,
}

impl Error {
    /// A new error.
    pub fn new(kind: ErrorKind, message: impl Into<String>, span: Span) -> Error {
        Error {
            kind,
            message: message.into(),
            span,
        }
    }

    /// The error shown against its source: message, line and column, the
    /// source line, and carets under the span. `origin` names the source
    /// (a file name, or `<datashape>` for command-line text).
    pub fn render(&self, source: &str, origin: &str) -> String {
        render(&self.message, self.kind.name(), source, origin, self.span)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at bytes {}..{}",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for Error {}

/// Renders `message` about `span` of `source`:
///
/// ```text
/// error[syntax]: expected a dimension or measure, found end of input
///  --> <datashape>:1:5
///   |
/// 1 | 3 *
///   |     ^
/// ```
pub fn render(message: &str, kind: &str, source: &str, origin: &str, span: Span) -> String {
    format!(
        "error[{kind}]: {message}\n{}",
        snippet(source, origin, span)
    )
}

/// The location part of [`render`]: origin, line and column, the source line
/// and carets under `span`. Used alone to point at a second place.
pub fn snippet(source: &str, origin: &str, span: Span) -> String {
    let start = clamp_to_char(source, span.start.min(source.len()));
    let end = clamp_to_char(source, span.end.clamp(start, source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let line_no = source[..start].matches('\n').count() + 1;
    let line = source[line_start..line_end].trim_end_matches('\r');
    let col = source[line_start..start].chars().count();
    // The caret covers the span on this line, at least one column.
    let width = source[start..end.min(line_end).max(start)]
        .chars()
        .count()
        .max(1);
    let pad = " ".repeat(line_no.to_string().len());
    let lead: String = source[line_start..start]
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!(
        "{pad}--> {origin}:{line_no}:{}\n{pad} |\n{line_no} | {line}\n{pad} | {lead}{}\n",
        col + 1,
        "^".repeat(width)
    )
}

fn clamp_to_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_span() {
        let out = render("bad", "syntax", "3 * int33", "<ds>", Span::new(4, 9));
        assert!(out.contains("1 | 3 * int33\n"), "{out}");
        assert!(out.contains("  |     ^^^^^\n"), "{out}");
        assert!(out.contains("<ds>:1:5"), "{out}");
    }

    #[test]
    fn second_line_and_end_of_input() {
        let src = "type A = 3 * int32\n4 *";
        let out = render("eoi", "syntax", src, "f", Span::new(23, 23));
        assert!(out.contains("2 | 4 *\n"), "{out}");
        assert!(out.contains("  |    ^\n"), "{out}");
    }

    #[test]
    fn never_panics_on_odd_spans() {
        let src = "é * ü";
        for s in 0..10 {
            for e in 0..10 {
                let _ = render("m", "syntax", src, "f", Span::new(s, e));
            }
        }
    }
}

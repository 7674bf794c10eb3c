//! The canonical printer (LANGUAGE.md 1.3).
//!
//! Always the `*` spelling; aliases resolved; user definitions by name. The
//! output parses back to an equal value (`parse(print(x)) == x`), which the
//! round-trip property test checks.

use crate::types::{is_plain_ident, Datashape, Dim, Measure, Scalar, TimeUnit, TypeArg};
use std::fmt::{self, Display, Formatter, Write};

impl Display for Datashape {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for dim in &self.dims {
            write!(f, "{dim} * ")?;
        }
        write!(f, "{}", self.measure)
    }
}

impl Display for Dim {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Var(None) => f.write_str("var"),
            Dim::Var(Some(n)) => write!(f, "var[{n}]"),
            Dim::TypeVar(name) => f.write_str(name),
            Dim::Ellipsis(None) => f.write_str("..."),
            Dim::Ellipsis(Some(name)) => write!(f, "{name}..."),
        }
    }
}

impl Display for Scalar {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Display for TypeArg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TypeArg::Dim(dim) => write!(f, "{dim}"),
            TypeArg::Measure(measure) => write!(f, "{measure}"),
        }
    }
}

impl Display for Measure {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // Nested records and tuples print on fresh stack segments.
        crate::grow(|| match self {
            Measure::Scalar { scalar } => write!(f, "{scalar}"),
            Measure::String { len, encoding } => {
                let default = *encoding == crate::Encoding::Utf8;
                match (len, default) {
                    (None, true) => f.write_str("string"),
                    (Some(n), true) => write!(f, "string[{n}]"),
                    (None, false) => write!(f, "string['{}']", encoding.name()),
                    (Some(n), false) => write!(f, "string[{n}, '{}']", encoding.name()),
                }
            }
            Measure::Bytes => f.write_str("bytes"),
            Measure::Date => f.write_str("date"),
            Measure::Time { tz } => with_tz(f, "time", tz),
            Measure::DateTime { tz } => with_tz(f, "datetime", tz),
            Measure::TimeDelta { unit } => {
                if *unit == TimeUnit::Micros {
                    f.write_str("timedelta")
                } else {
                    write!(f, "timedelta[unit='{}']", unit.name())
                }
            }
            Measure::Decimal { precision, scale } => write!(f, "decimal[{precision}, {scale}]"),
            Measure::Void => f.write_str("void"),
            Measure::Null => f.write_str("null"),
            Measure::Option { inner } => write!(f, "?{inner}"),
            Measure::Record { fields } => {
                f.write_str("{")?;
                for (i, (name, ds)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_name(f, name)?;
                    write!(f, ": {ds}")?;
                }
                f.write_str("}")
            }
            Measure::Tuple { elems } => write_list(f, elems),
            Measure::Function { params, ret } => {
                f.write_str("(")?;
                for (i, p) in params.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}")?;
                }
                write!(f, ") -> {ret}")
            }
            Measure::TypeVar { name } => f.write_str(name),
            Measure::Named { name, args } => {
                f.write_str(name)?;
                for arg in args {
                    write!(f, " {arg}")?;
                }
                Ok(())
            }
        })
    }
}

fn write_list(f: &mut Formatter<'_>, elems: &[Datashape]) -> fmt::Result {
    f.write_str("(")?;
    for (i, e) in elems.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    // `(T)` also parses as a one-element tuple; `(T,)` is the unmistakable
    // spelling.
    if elems.len() == 1 {
        f.write_str(",")?;
    }
    f.write_str(")")
}

fn with_tz(f: &mut Formatter<'_>, name: &str, tz: &Option<String>) -> fmt::Result {
    match tz {
        None => f.write_str(name),
        Some(tz) => {
            write!(f, "{name}[tz=")?;
            write_quoted(f, tz)?;
            f.write_str("]")
        }
    }
}

/// A record field name: bare when it is a plain identifier, else quoted.
fn write_name(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    if is_plain_ident(name) {
        f.write_str(name)
    } else {
        write_quoted(f, name)
    }
}

/// A name as the printer writes a record field name: bare when it is a
/// plain identifier ([`is_plain_ident`]), else single-quoted with
/// backslash escapes (`'a b'`, `'it\\'s'`), which the parser reads back.
/// The IR's printer writes its names the same way.
pub fn name_text(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    if is_plain_ident(name) {
        out.push_str(name);
    } else {
        let _ = write_quoted(&mut out, name);
    }
    out
}

/// Single-quoted with backslash escapes, the inverse of the parser's
/// unescaping.
pub(crate) fn write_quoted(f: &mut impl Write, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in s.chars() {
        match c {
            '\'' => f.write_str("\\'")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('\'')
}

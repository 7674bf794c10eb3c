//! The parser of the header dict: the subset of Python literals NumPy
//! writes (strings, integers, booleans, `None`, tuples, lists, dicts).

use std::fmt;

/// Nesting limit of the header parser (guards the stack against `((((...`).
pub(super) const MAX_DEPTH: usize = 32;

/// A Python literal of the header.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Lit {
    Str(String),
    /// An integer, `None` when it does not fit in an i128.
    Int(Option<i128>),
    Bool(bool),
    None,
    Tuple(Vec<Lit>),
    List(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
}

impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(f: &mut fmt::Formatter<'_>, items: &[Lit]) -> fmt::Result {
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{x}")?;
            }
            Ok(())
        }
        match self {
            Lit::Str(s) => write!(f, "{s:?}"),
            Lit::Int(Some(i)) => write!(f, "{i}"),
            Lit::Int(None) => f.write_str("<huge integer>"),
            Lit::Bool(true) => f.write_str("True"),
            Lit::Bool(false) => f.write_str("False"),
            Lit::None => f.write_str("None"),
            Lit::Tuple(items) => {
                f.write_str("(")?;
                seq(f, items)?;
                if items.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            Lit::List(items) => {
                f.write_str("[")?;
                seq(f, items)?;
                f.write_str("]")
            }
            Lit::Dict(items) => {
                f.write_str("{")?;
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// The descr: a dtype string, or something else (a list for structured
/// dtypes), kept as text for the error message.
#[derive(Clone, Debug)]
pub(super) enum Descr {
    Str(String),
    Other(String),
}

/// The parsed header.
#[derive(Clone, Debug)]
pub(super) struct Header {
    pub(super) descr: Descr,
    pub(super) descr_repr: String,
    pub(super) fortran_order: bool,
    pub(super) shape: Vec<usize>,
}

/// Truncates a text for an error message.
pub(super) fn clip(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let t: String = s.chars().take(MAX).collect();
        format!("{t}...")
    }
}

pub(super) fn parse_header(text: &str) -> Result<Header, String> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
    };
    p.skip_ws();
    if p.at_end() {
        return Err("the header is empty".into());
    }
    let lit = p.value(0)?;
    p.skip_ws();
    if !p.at_end() {
        let rest: String = p.chars[p.pos..].iter().collect();
        return Err(format!(
            "unexpected text after the dict at offset {}: {:?}",
            p.pos,
            clip(&rest)
        ));
    }
    let Lit::Dict(items) = lit else {
        return Err(format!("expected a dict, found {}", clip(&lit.to_string())));
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (k, v) in items {
        let Lit::Str(key) = k else {
            return Err(format!("dict key {} is not a string", clip(&k.to_string())));
        };
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran,
            "shape" => &mut shape,
            _ => {
                return Err(format!(
                    "unexpected key {:?} (expected 'descr', 'fortran_order' and 'shape')",
                    clip(&key)
                ))
            }
        };
        if slot.is_some() {
            return Err(format!("duplicate key '{key}'"));
        }
        *slot = Some(v);
    }
    let missing = |k: &str| format!("missing key '{k}'");
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let fortran = fortran.ok_or_else(|| missing("fortran_order"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;

    let descr_repr = clip(&descr.to_string());
    let descr = match descr {
        Lit::Str(s) => Descr::Str(s),
        l @ (Lit::List(_) | Lit::Tuple(_) | Lit::Dict(_)) => Descr::Other(clip(&l.to_string())),
        other => {
            return Err(format!(
                "'descr' must be a string or a list, found {}",
                clip(&other.to_string())
            ))
        }
    };
    let fortran_order = match fortran {
        Lit::Bool(b) => b,
        other => {
            return Err(format!(
                "'fortran_order' must be True or False, found {}",
                clip(&other.to_string())
            ))
        }
    };
    let Lit::Tuple(dims) = shape else {
        return Err(format!(
            "'shape' must be a tuple of integers such as (3,) or (2, 3), found {}",
            clip(&shape.to_string())
        ));
    };
    let mut out = Vec::with_capacity(dims.len());
    for d in &dims {
        match d {
            Lit::Int(Some(i)) if *i < 0 => {
                return Err(format!("negative dimension {i} in 'shape'"));
            }
            Lit::Int(Some(i)) => match usize::try_from(*i) {
                Ok(u) => out.push(u),
                Err(_) => return Err(format!("dimension {i} in 'shape' is too large")),
            },
            Lit::Int(None) => return Err("a dimension in 'shape' is too large".into()),
            other => {
                return Err(format!(
                    "'shape' must hold integers, found {}",
                    clip(&other.to_string())
                ))
            }
        }
    }
    Ok(Header {
        descr,
        descr_repr,
        fortran_order,
        shape: out,
    })
}

pub(super) struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r' | '\x0c')) {
            self.pos += 1;
        }
    }

    fn describe_here(&self) -> String {
        match self.peek() {
            None => "the end of the header".into(),
            Some(c) => format!("{c:?} at offset {}", self.pos),
        }
    }

    fn expect_err(&self, what: &str) -> String {
        format!("expected {what}, found {}", self.describe_here())
    }

    fn value(&mut self, depth: usize) -> Result<Lit, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nesting deeper than {MAX_DEPTH} levels"));
        }
        self.skip_ws();
        match self.peek() {
            Some('\'' | '"') => self.string().map(Lit::Str),
            Some('{') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some('}') {
                        self.pos += 1;
                        return Ok(Lit::Dict(items));
                    }
                    let k = self.value(depth + 1)?;
                    self.skip_ws();
                    if self.peek() != Some(':') {
                        return Err(self.expect_err("':' after a dict key"));
                    }
                    self.pos += 1;
                    let v = self.value(depth + 1)?;
                    items.push((k, v));
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some('}') => {}
                        _ => return Err(self.expect_err("',' or '}' in the dict")),
                    }
                }
            }
            Some(open @ ('(' | '[')) => {
                let close = if open == '(' { ')' } else { ']' };
                self.pos += 1;
                let mut items = Vec::new();
                let mut trailing_comma = false;
                loop {
                    self.skip_ws();
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => {
                            self.pos += 1;
                            trailing_comma = true;
                        }
                        Some(c) if c == close => trailing_comma = false,
                        _ => return Err(self.expect_err(&format!("',' or '{close}'"))),
                    }
                }
                if open == '[' {
                    Ok(Lit::List(items))
                } else if items.len() == 1 && !trailing_comma {
                    // Python: `(3)` is the integer 3, not a tuple.
                    Ok(items.pop().unwrap_or(Lit::None))
                } else {
                    Ok(Lit::Tuple(items))
                }
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.int(),
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                while matches!(self.peek(), Some(c) if c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "True" => Ok(Lit::Bool(true)),
                    "False" => Ok(Lit::Bool(false)),
                    "None" => Ok(Lit::None),
                    // Python 2 unicode / Python 3 bytes prefixes.
                    "u" | "b" if matches!(self.peek(), Some('\'' | '"')) => {
                        self.string().map(Lit::Str)
                    }
                    _ => Err(format!(
                        "unexpected name {:?} at offset {start}",
                        clip(&word)
                    )),
                }
            }
            _ => Err(self.expect_err("a value")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let start = self.pos;
        let quote = self.peek().unwrap_or('\'');
        self.pos += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None | Some('\n') => {
                    return Err(format!("unterminated string starting at offset {start}"))
                }
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(s);
                }
                Some('\\') => {
                    self.pos += 1;
                    let c = self
                        .peek()
                        .ok_or_else(|| format!("unterminated string starting at offset {start}"))?;
                    self.pos += 1;
                    s.push(match c {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        other => other,
                    });
                }
                Some(c) => {
                    self.pos += 1;
                    s.push(c);
                }
            }
        }
    }

    fn int(&mut self) -> Result<Lit, String> {
        let start = self.pos;
        let negative = match self.peek() {
            Some('-') => {
                self.pos += 1;
                true
            }
            Some('+') => {
                self.pos += 1;
                false
            }
            _ => false,
        };
        self.skip_ws();
        let digits_start = self.pos;
        let mut value: Option<i128> = Some(0);
        while let Some(c) = self.peek() {
            if let Some(d) = c.to_digit(10).filter(|_| c.is_ascii_digit()) {
                value = value
                    .and_then(|v| v.checked_mul(10))
                    .and_then(|v| v.checked_add(i128::from(d)));
                self.pos += 1;
            } else if c == '_' && self.pos > digits_start {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == digits_start {
            return Err(format!("expected digits at offset {start}"));
        }
        // Python 2 long suffix, as in shapes written by old NumPy: `(3L,)`.
        if matches!(self.peek(), Some('L' | 'l')) {
            self.pos += 1;
        }
        if matches!(self.peek(), Some(c) if c.is_alphanumeric() || c == '.') {
            return Err(format!("malformed number at offset {start}"));
        }
        Ok(Lit::Int(if negative { value.map(|v| -v) } else { value }))
    }
}

//! The tokens of one line of the printed IR: a cursor over the line that
//! reads words, names (plain or quoted), integers, lists, index variables,
//! index items and literals, with errors naming the line.

use super::{error, IrParseError, Result};
use crate::node::*;
use crate::ops::ReduceFn;
use std::str::FromStr;

/// A position in one line.
pub(super) struct Cursor<'a> {
    pub(super) line: usize,
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(line: usize, s: &'a str) -> Self {
        Cursor { line, s, pos: 0 }
    }

    pub(super) fn err(&self, message: impl Into<String>) -> IrParseError {
        error(self.line, message)
    }

    pub(super) fn skip_ws(&mut self) {
        let rest = &self.s[self.pos..];
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t']).len();
    }

    /// The rest of the line, unparsed; the cursor moves to its end.
    pub(super) fn rest(&mut self) -> &'a str {
        let r = &self.s[self.pos..];
        self.pos = self.s.len();
        r
    }

    pub(super) fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.s[self.pos..].chars().next()
    }

    /// What follows, for error messages.
    pub(super) fn found(&mut self) -> String {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        if rest.is_empty() {
            "the end of the line".into()
        } else {
            let short: String = rest.chars().take(20).collect();
            format!("`{short}`")
        }
    }

    pub(super) fn eat(&mut self, p: &str) -> bool {
        self.skip_ws();
        if self.s[self.pos..].starts_with(p) {
            self.pos += p.len();
            true
        } else {
            false
        }
    }

    pub(super) fn expect(&mut self, p: &str) -> Result<()> {
        if self.eat(p) {
            Ok(())
        } else {
            let found = self.found();
            Err(self.err(format!("expected `{p}`, found {found}")))
        }
    }

    pub(super) fn end(&mut self) -> Result<()> {
        self.skip_ws();
        if self.pos == self.s.len() {
            Ok(())
        } else {
            let found = self.found();
            Err(self.err(format!("expected the end of the line, found {found}")))
        }
    }

    /// A run of identifier characters (possibly empty).
    pub(super) fn word(&mut self) -> &'a str {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let len = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
                .len();
        self.pos += len;
        &rest[..len]
    }

    /// A run of characters up to whitespace.
    pub(super) fn token(&mut self) -> &'a str {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let len = rest.len()
            - rest
                .trim_start_matches(|c: char| c != ' ' && c != '\t')
                .len();
        self.pos += len;
        &rest[..len]
    }

    /// Consumes the word `kw` if it comes next.
    pub(super) fn keyword(&mut self, kw: &str) -> bool {
        let save = self.pos;
        if self.word() == kw {
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// An unsigned decimal number.
    pub(super) fn uint<T: FromStr>(&mut self) -> Result<T> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        let len = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if len == 0 {
            let found = self.found();
            return Err(self.err(format!("expected a number, found {found}")));
        }
        let digits = &rest[..len];
        self.pos += len;
        digits
            .parse()
            .map_err(|_| self.err(format!("number `{digits}` out of range")))
    }

    /// A decimal number, maybe negative.
    pub(super) fn int<T: FromStr>(&mut self) -> Result<T> {
        self.skip_ws();
        let start = self.pos;
        self.eat("-");
        let _: u128 = self.uint()?;
        let text = &self.s[start..self.pos];
        text.parse()
            .map_err(|_| self.err(format!("number `{text}` out of range")))
    }

    pub(super) fn maybe_int(&mut self) -> Result<Option<i64>> {
        Ok(match self.peek() {
            Some('-' | '0'..='9') => Some(self.int()?),
            _ => None,
        })
    }

    /// `[item, item, …]`
    pub(super) fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.expect("[")?;
        let mut out = Vec::new();
        if self.eat("]") {
            return Ok(out);
        }
        loop {
            out.push(item(self)?);
            if self.eat("]") {
                return Ok(out);
            }
            self.expect(",")?;
        }
    }

    /// A plain identifier or a single-quoted name.
    pub(super) fn name(&mut self) -> Result<String> {
        if self.peek() == Some('\'') {
            return self.quoted();
        }
        let w = self.word();
        if crate::print::is_plain_ident(w) {
            Ok(w.to_string())
        } else {
            self.pos -= w.len();
            let found = self.found();
            Err(self.err(format!("expected a name, found {found}")))
        }
    }

    /// `'…'` with the datashape crate's escapes.
    pub(super) fn quoted(&mut self) -> Result<String> {
        self.expect("'")?;
        let mut out = String::new();
        let s: &'a str = self.s;
        let mut chars = s[self.pos..].char_indices();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '\'' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let e = match chars.next() {
                        Some((_, e)) => e,
                        None => break,
                    };
                    match e {
                        '\\' | '\'' | '"' => out.push(e),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        '0' => out.push('\0'),
                        'u' => {
                            let rest = chars.as_str();
                            let code = rest
                                .strip_prefix('{')
                                .and_then(|r| r.split_once('}'))
                                .and_then(|(hex, _)| u32::from_str_radix(hex, 16).ok())
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("bad `\\u{hex}` escape in a name"))?;
                            out.push(code);
                            let skip = rest.find('}').map_or(0, |k| k + 1);
                            for _ in rest[..skip].chars() {
                                chars.next();
                            }
                        }
                        other => {
                            return Err(self.err(format!(
                                "unknown escape `\\{}` in a name",
                                other.escape_debug()
                            )))
                        }
                    }
                }
                c => out.push(c),
            }
        }
        Err(self.err("unterminated quoted name"))
    }

    pub(super) fn reduce_fn(&mut self) -> Result<ReduceFn> {
        let name = self.word();
        ReduceFn::from_name(name).ok_or_else(|| self.err(format!("unknown reduction `{name}`")))
    }

    /// `name#k` (checked against the declarations) or `?k`.
    pub(super) fn var(&mut self, f: &Function) -> Result<IndexVar> {
        if self.eat("?") {
            return Ok(IndexVar(self.uint()?));
        }
        let name = self.name()?;
        self.expect("#")?;
        let k: u32 = self.uint()?;
        match f.index_vars.get(k as usize) {
            Some(info) if info.name == name => Ok(IndexVar(k)),
            Some(info) => Err(self.err(format!(
                "index variable #{k} is `{}`, not `{name}`",
                info.name
            ))),
            None => Err(self.err(format!("index variable `{name}#{k}` is not declared"))),
        }
    }

    /// `k` or `start:stop:step` with optional start and stop.
    pub(super) fn index_item(&mut self) -> Result<IndexItem> {
        let start = self.maybe_int()?;
        if !self.eat(":") {
            return match start {
                Some(k) => Ok(IndexItem::At(k)),
                None => {
                    let found = self.found();
                    Err(self.err(format!("expected an index or a slice, found {found}")))
                }
            };
        }
        let stop = self.maybe_int()?;
        self.expect(":")?;
        let step = self.int()?;
        Ok(IndexItem::Range { start, stop, step })
    }

    /// `true`, `false`, an integer, a float, a complex `(re±imj)` or a
    /// single-quoted string.
    pub(super) fn literal(&mut self) -> Result<Literal> {
        if self.peek() == Some('\'') {
            return self.quoted().map(Literal::Str);
        }
        if self.eat("(") {
            let re = self.float_text();
            let re = parse_float(re).ok_or_else(|| self.err(format!("bad float `{re}`")))?;
            if !matches!(self.s[self.pos..].chars().next(), Some('+' | '-')) {
                let found = self.found();
                return Err(self.err(format!(
                    "expected the signed imaginary part of a complex literal, found {found}"
                )));
            }
            let im_text = self.float_text();
            let im_text = im_text.strip_suffix('j').unwrap_or(im_text);
            let im =
                parse_float(im_text).ok_or_else(|| self.err(format!("bad float `{im_text}`")))?;
            self.eat("j");
            self.expect(")")?;
            return Ok(Literal::Complex(re, im));
        }
        let text = self.float_text();
        match text {
            "" => {
                let found = self.found();
                Err(self.err(format!("expected a literal, found {found}")))
            }
            "true" => Ok(Literal::Bool(true)),
            "false" => Ok(Literal::Bool(false)),
            _ => {
                let digits = text.strip_prefix('-').unwrap_or(text);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    text.parse()
                        .map(Literal::Int)
                        .map_err(|_| self.err(format!("integer `{text}` out of range")))
                } else {
                    parse_float(text)
                        .map(Literal::Float)
                        .ok_or_else(|| self.err(format!("bad literal `{text}`")))
                }
            }
        }
    }

    /// The text of a number: a leading sign, then letters, digits, `.`, `_`
    /// and exponent signs, then a `(0x…)` after `NaN`. Possibly empty.
    pub(super) fn float_text(&mut self) -> &'a str {
        self.skip_ws();
        let start = self.pos;
        let bytes = self.s.as_bytes();
        let mut i = self.pos;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        while let Some(&b) = bytes.get(i) {
            let exp_sign = matches!(b, b'+' | b'-')
                && matches!(bytes.get(i.wrapping_sub(1)), Some(b'e' | b'E'));
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exp_sign {
                i += 1;
            } else {
                break;
            }
        }
        if self.s[start..i].ends_with("NaN") && bytes.get(i) == Some(&b'(') {
            if let Some(close) = self.s[i..].find(')') {
                i += close + 1;
            }
        }
        self.pos = i;
        &self.s[start..i]
    }
}

/// A float as `float_text` in `print.rs` writes it (and anything
/// `f64::from_str` accepts).
pub(super) fn parse_float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if let Some(bits) = unsigned
        .strip_prefix("NaN(0x")
        .and_then(|r| r.strip_suffix(')'))
    {
        return u64::from_str_radix(bits, 16)
            .ok()
            .map(f64::from_bits)
            .filter(|x| x.is_nan());
    }
    if unsigned == "NaN" {
        return Some(f64::NAN);
    }
    // Rust reads `1e999` as infinity; the printer writes `inf`.
    text.parse()
        .ok()
        .filter(|x: &f64| x.is_finite() || unsigned.ends_with("inf"))
}

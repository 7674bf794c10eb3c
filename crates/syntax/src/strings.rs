//! String literals of the DSL: decoding their escapes (with the span of a
//! bad one), quoting a string so that it reads back as the same literal,
//! and finding an unterminated literal in a source that pest rejected.
//!
//! The escapes are `\\ \' \" \n \r \t`, `\uXXXX` (four hex digits) and
//! `\u{X…}` (one to six hex digits); a code point must be a Unicode scalar
//! value (no surrogates).

use crate::Diagnostic;
use blaze_datashape::Span;

/// The value of a literal's text between its quotes; `base` is the byte
/// offset of that text in the source, for the spans of errors.
///
/// ```
/// use blaze_syntax::strings::unescape;
/// assert_eq!(unescape(r"a\tb\u00e9\u{1F600}", 0).unwrap(), "a\tbé😀");
/// assert_eq!(unescape(r"x\q", 10).unwrap_err().span.start, 11);
/// ```
pub fn unescape(raw: &str, base: usize) -> Result<String, Diagnostic> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let bad = |end: usize, message: String| {
            Diagnostic::new("syntax", message, Span::new(base + i, base + end))
        };
        let Some((j, e)) = chars.next() else {
            return Err(bad(
                raw.len(),
                "a string literal cannot end with `\\`".into(),
            ));
        };
        let after = j + e.len_utf8();
        match e {
            '\\' | '\'' | '"' => out.push(e),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let rest = &raw[after..];
                let (hex, len) = if let Some(braced) = rest.strip_prefix('{') {
                    match braced.find('}') {
                        Some(k) if (1..=6).contains(&k) => (&braced[..k], k + 2),
                        _ => {
                            let end = after + braced.find('}').map_or(rest.len(), |k| k + 2);
                            return Err(bad(
                                end,
                                "bad escape: `\\u{…}` takes one to six hex digits".into(),
                            ));
                        }
                    }
                } else {
                    let four: String = rest.chars().take(4).collect();
                    if four.len() != 4 || !four.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(bad(
                            after + four.len(),
                            "bad escape: `\\u` takes four hex digits, as in `\\u00e9`".into(),
                        ));
                    }
                    (&rest[..4], 4)
                };
                let end = after + len;
                let code = u32::from_str_radix(hex, 16)
                    .map_err(|_| bad(end, format!("bad escape: `{hex}` is not hexadecimal")))?;
                let ch = char::from_u32(code).ok_or_else(|| {
                    bad(
                        end,
                        format!("bad escape: U+{code:04X} is not a Unicode scalar value"),
                    )
                })?;
                out.push(ch);
                while chars.peek().is_some_and(|(k, _)| *k < end) {
                    chars.next();
                }
            }
            other => {
                return Err(bad(
                    after,
                    format!(
                        "unknown escape `\\{}` in a string literal; the escapes are \
                         \\\\ \\' \\\" \\n \\r \\t \\uXXXX",
                        other.escape_debug()
                    ),
                ))
            }
        }
    }
    Ok(out)
}

/// `s` as a literal in `quote` (`'` or `"`) that [`unescape`] reads back as
/// `s`: the quote, the backslash and control characters escaped.
///
/// ```
/// use blaze_syntax::strings::quote;
/// assert_eq!(quote("it's\n", '\''), r"'it\'s\n'");
/// assert_eq!(quote("é", '"'), "\"é\"");
/// ```
pub fn quote(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The span of the first string literal in `src` that has no closing quote
/// on its line (from its opening quote to the end of the line), skipping
/// `#` comments; `None` when every literal is closed.
pub(crate) fn unterminated(src: &str) -> Option<Span> {
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'\'' | b'"') => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => return Some(Span::new(start, i)),
                        Some(b'\\') if bytes.get(i + 1).is_some_and(|b| *b != b'\n') => i += 2,
                        Some(b) if *b == q => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_string_round_trips(s in any::<String>()) {
            for q in ['\'', '"'] {
                let text = quote(&s, q);
                prop_assert_eq!(unescape(&text[1..text.len() - 1], 3).unwrap(), s.clone());
                let src = format!("len({text}) + 1");
                let e = crate::parse_expression(&src);
                prop_assert!(e.is_ok(), "{src}: {e:?}");
            }
        }

        #[test]
        fn literal_like_text_never_panics(s in "[\\'\"a-z0-9u{}#\n ]{0,24}") {
            let _ = unescape(&s, 0);
            let _ = unterminated(&s);
            let _ = crate::parse_expression(&s);
            let _ = crate::parse_expression(&format!("'{s}"));
            let _ = crate::parse_expression(&format!("\"{s}\" == x"));
        }
    }

    #[test]
    fn escapes_decode() {
        assert_eq!(
            unescape(r#"\\ \' \" \n \r \t"#, 0).unwrap(),
            "\\ ' \" \n \r \t"
        );
        assert_eq!(unescape(r"\u0041\u{42}", 0).unwrap(), "AB");
        assert_eq!(unescape("", 0).unwrap(), "");
    }

    #[test]
    fn bad_escapes_have_spans() {
        let e = unescape(r"ab\x", 5).unwrap_err();
        assert_eq!((e.span.start, e.span.end), (7, 9));
        assert!(e.message.contains("unknown escape `\\x`"), "{}", e.message);
        let e = unescape(r"\u12", 0).unwrap_err();
        assert_eq!((e.span.start, e.span.end), (0, 4));
        let e = unescape(r"\ud800", 0).unwrap_err();
        assert!(e.message.contains("U+D800"), "{}", e.message);
        let e = unescape(r"\u{}", 0).unwrap_err();
        assert_eq!((e.span.start, e.span.end), (0, 4));
        let e = unescape(r"\u{1234567}", 0).unwrap_err();
        assert!(e.message.contains("one to six"), "{}", e.message);
        assert!(unescape(r"\u{110000}", 0).is_err());
        assert!(unescape("\\", 0).is_err());
    }

    #[test]
    fn quote_round_trips() {
        for s in ["", "GOOG", "it's \"x\"", "a\\b\n\t\r", "\u{1}é😀"] {
            for q in ['\'', '"'] {
                let text = quote(s, q);
                assert_eq!(unescape(&text[1..text.len() - 1], 0).unwrap(), s);
            }
        }
    }

    #[test]
    fn finds_unterminated_literals() {
        assert_eq!(unterminated("x == 'a' and y == \"b\""), None);
        assert_eq!(unterminated("x == 'a\\'b'"), None);
        assert_eq!(unterminated("x # it's a comment"), None);
        let s = unterminated("f(\"abc, 2)\n + 1").unwrap();
        assert_eq!((s.start, s.end), (2, 10));
        let s = unterminated("x == 'a\\").unwrap();
        assert_eq!((s.start, s.end), (5, 8));
    }
}

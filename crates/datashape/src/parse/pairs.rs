//! Small readers of parse-tree pairs: single children, the parts of a
//! name with arguments, integers, field names, quoted strings.

use super::*;

pub(super) fn only_child(pair: Pair<'_, Rule>) -> Result<Pair<'_, Rule>, Error> {
    let span = Span::of(pair.as_span());
    pair.into_inner()
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Syntax, "expected a term", span))
}

/// The parts of a `named` or `arg_name`: identifier, constructor brackets,
/// type arguments.
pub(super) fn split_named(
    pair: Pair<'_, Rule>,
) -> (Pair<'_, Rule>, Option<Pair<'_, Rule>>, Vec<Pair<'_, Rule>>) {
    let span = pair.clone();
    let mut ident = None;
    let mut ctor = None;
    let mut args = Vec::new();
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::ident => ident = Some(part),
            Rule::ctor_brackets | Rule::ctor_parens => ctor = Some(part),
            Rule::type_arg => args.push(part),
            _ => {}
        }
    }
    (ident.unwrap_or(span), ctor, args)
}

pub(super) fn whole_text(ident: &Pair<'_, Rule>, ctor: &Option<Pair<'_, Rule>>) -> String {
    match ctor {
        Some(c) => format!("{}{}", ident.as_str(), c.as_str()),
        None => ident.as_str().to_string(),
    }
}

pub(super) fn integer(pair: &Pair<'_, Rule>) -> Result<u64, Error> {
    let text = pair.as_str();
    let span = Span::of(pair.as_span());
    if text.len() > 1 && text.starts_with('0') {
        return Err(Error::new(
            ErrorKind::BadNumber,
            format!(
                "dimension `{text}` has a leading zero; write `{}`",
                text.trim_start_matches('0').to_string()
                    + if text.trim_start_matches('0').is_empty() {
                        "0"
                    } else {
                        ""
                    }
            ),
            span,
        ));
    }
    text.parse::<u64>().map_err(|_| {
        Error::new(
            ErrorKind::BadNumber,
            format!(
                "`{text}` is too large: dimensions and bounds go up to {}",
                u64::MAX
            ),
            span,
        )
    })
}

/// The integer a constructor-argument datashape consists of, if it is one.
pub(super) fn as_integer(ds: &Pair<'_, Rule>) -> Result<Option<u64>, Error> {
    let mut terms = ds
        .clone()
        .into_inner()
        .filter(|p| p.as_rule() == Rule::term);
    let (Some(term), None) = (terms.next(), terms.next()) else {
        return Ok(None);
    };
    match term.into_inner().next() {
        Some(p) if p.as_rule() == Rule::integer => integer(&p).map(Some),
        _ => Ok(None),
    }
}

pub(super) fn field_name(pair: Pair<'_, Rule>) -> Result<String, Error> {
    match pair.clone().into_inner().next() {
        Some(q) if q.as_rule() == Rule::quoted => unquote(&q),
        _ => Ok(pair.as_str().to_string()),
    }
}

/// The text of a quoted string, escapes resolved: `\\ \' \" \n \r \t \0
/// \u{hex}`.
pub(super) fn unquote(pair: &Pair<'_, Rule>) -> Result<String, Error> {
    let raw = pair.as_str();
    let base = pair.as_span().start();
    let body = &raw[1..raw.len().saturating_sub(1).max(1)];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let at = |len: usize| Span::new(base + 1 + i, base + 1 + i + len);
        match chars.next() {
            Some((_, '\\')) => out.push('\\'),
            Some((_, '\'')) => out.push('\''),
            Some((_, '"')) => out.push('"'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 't')) => out.push('\t'),
            Some((_, '0')) => out.push('\0'),
            Some((_, 'u')) => {
                let rest = &body[i + 2..];
                let close = rest.find('}');
                let code = match (rest.strip_prefix('{'), close) {
                    (Some(_), Some(end)) => u32::from_str_radix(&rest[1..end], 16)
                        .ok()
                        .and_then(char::from_u32)
                        .map(|c| (c, end)),
                    _ => None,
                };
                match code {
                    Some((c, end)) => {
                        out.push(c);
                        for _ in 0..=end {
                            chars.next();
                        }
                    }
                    None => {
                        return Err(Error::new(
                            ErrorKind::Syntax,
                            "invalid unicode escape: write `\\u{hex}` with a valid code point",
                            at(2),
                        ))
                    }
                }
            }
            Some((_, other)) => {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!("unknown escape `\\{}` in string", other.escape_debug()),
                    at(1 + other.len_utf8()),
                ))
            }
            None => out.push('\\'),
        }
    }
    Ok(out)
}

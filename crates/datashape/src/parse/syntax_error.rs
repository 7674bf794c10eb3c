//! Messages for pest's syntax errors: what was expected, what was found.
//! The DSL's parser (crates/syntax) words its errors with the same
//! function, so both grammars report alike.

use super::*;

pub(super) fn syntax_error(e: pest::error::Error<Rule>, src: &str) -> Error {
    let (message, span) = pest_error_message(&e, src, describe);
    Error::new(ErrorKind::Syntax, message, span)
}

/// The message and span of a pest error on `src`: `expected A, B or C,
/// found X` (or `unexpected X`) at the token where parsing stopped.
/// `describe` words each rule pest expected (`None` leaves it out; equal
/// words are said once); `X` is the token there (a word, one character,
/// `end of line` or `end of input`), escaped when it is a control character.
pub fn pest_error_message<R: pest::RuleType>(
    e: &pest::error::Error<R>,
    src: &str,
    describe: impl Fn(R) -> Option<&'static str>,
) -> (String, Span) {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let (found, span) = token_at(src, pos);
    let message = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut wanted: Vec<&str> = Vec::new();
            for d in positives.iter().filter_map(|r| describe(*r)) {
                if !wanted.contains(&d) {
                    wanted.push(d);
                }
            }
            match wanted.len() {
                0 => format!("unexpected {found}"),
                1 => format!("expected {}, found {found}", wanted[0]),
                n => format!(
                    "expected {} or {}, found {found}",
                    wanted[..n - 1].join(", "),
                    wanted[n - 1]
                ),
            }
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    (message, span)
}

fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of input",
        Rule::star => "`*`",
        Rule::comma | Rule::trailing_comma => "`,`",
        Rule::arrow => "`->`",
        Rule::rbrace => "`}`",
        Rule::rparen => "`)`",
        Rule::rbracket => "`]`",
        Rule::colon => "`:`",
        Rule::equals => "`=`",
        Rule::field | Rule::field_name => "a record field",
        Rule::quoted | Rule::sq_chars | Rule::dq_chars => "a quoted string",
        Rule::kwarg_name | Rule::ctor_arg => "an argument",
        Rule::typedef | Rule::kw_type | Rule::def_name => "a type definition",
        Rule::def_param => "a parameter name",
        Rule::integer => "an integer",
        // Optional continuations that are rarely what was meant.
        Rule::ctor_brackets
        | Rule::ctor_parens
        | Rule::type_arg
        | Rule::arg_name
        | Rule::arg_option
        | Rule::arg_paren => return None,
        _ => "a dimension or measure",
    })
}

/// The token at `pos` for "found …" and its span.
fn token_at(src: &str, pos: usize) -> (String, Span) {
    let pos = pos.min(src.len());
    let rest = src.get(pos..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return ("end of input".to_string(), Span::new(pos, pos));
    };
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    let tok = &rest[..len];
    let shown = if tok == "\n" {
        "end of line".to_string()
    } else if tok.chars().any(char::is_control) {
        format!("`{}`", tok.escape_debug())
    } else {
        format!("`{tok}`")
    };
    (shown, Span::new(pos, pos + len))
}

pub(super) fn first_inner<'i>(
    pair: Option<Pair<'i, Rule>>,
    _src: &str,
) -> Result<Pair<'i, Rule>, Error> {
    pair.and_then(|p| p.into_inner().next())
        .ok_or_else(|| Error::new(ErrorKind::Syntax, "empty input", Span::new(0, 0)))
}

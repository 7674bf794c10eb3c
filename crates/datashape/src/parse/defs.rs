//! Type definitions of a module as read from the source, before lowering,
//! and the state of each while the module is lowered.

use super::*;

/// A definition read from the source, not yet lowered.
pub(super) struct Pending<'i> {
    pub(super) name: String,
    pub(super) name_span: Span,
    pub(super) params: Vec<String>,
    pub(super) body: Pair<'i, Rule>,
}

impl<'i> Pending<'i> {
    pub(super) fn read(def: Pair<'i, Rule>) -> Result<Self, Error> {
        let mut name = None;
        let mut params: Vec<String> = Vec::new();
        let mut body = None;
        for part in def.into_inner() {
            match part.as_rule() {
                Rule::def_name => {
                    name = Some((part.as_str().to_string(), Span::of(part.as_span())))
                }
                Rule::def_param => {
                    let p = part.as_str().to_string();
                    if params.contains(&p) {
                        return Err(Error::new(
                            ErrorKind::Redefinition,
                            format!("parameter `{p}` appears twice"),
                            Span::of(part.as_span()),
                        ));
                    }
                    if is_reserved(&p) {
                        return Err(Error::new(
                            ErrorKind::Redefinition,
                            format!("`{p}` is a builtin name and cannot be a parameter"),
                            Span::of(part.as_span()),
                        ));
                    }
                    params.push(p);
                }
                Rule::datashape_top => body = Some(part),
                _ => {}
            }
        }
        match (name, body) {
            (Some((name, name_span)), Some(body)) => Ok(Pending {
                name,
                name_span,
                params,
                body,
            }),
            _ => Err(Error::new(
                ErrorKind::Syntax,
                "incomplete type definition",
                Span::new(0, 0),
            )),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    NotStarted,
    InProgress,
    Done,
}

pub(super) struct ModuleDefs<'a, 'i> {
    pub(super) pending: &'a [Pending<'i>],
    pub(super) index: &'a HashMap<String, usize>,
}

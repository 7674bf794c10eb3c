//! The lowering of a parse tree into a [`Datashape`]: definitions looked up
//! and lowered on first use, dimensions (fixed, `var`, type variables,
//! ellipses) and the separators between them.

use super::*;

/// Which separator a top-level datashape uses between its dimensions.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Spelling {
    Star,
    Comma,
}

pub(super) struct Lower<'a, 'i> {
    pub(super) env: &'a TypeEnv,
    /// Definitions of the module being parsed (forward references allowed).
    pub(super) module: Option<ModuleDefs<'a, 'i>>,
    /// Definitions of this module lowered so far.
    pub(super) local: HashMap<String, TypeDef>,
    /// Parameters of the definition whose body is being lowered.
    pub(super) params: Vec<String>,
    /// For definitions referred to before they are lowered.
    pub(super) states: Vec<State>,
}

/// One argument inside `[...]` or `(...)` of a constructor.
pub(super) struct CtorArg<'i> {
    pub(super) key: Option<(String, Span)>,
    pub(super) value: CtorValue<'i>,
    pub(super) span: Span,
}

pub(super) enum CtorValue<'i> {
    Quoted(String),
    Ds(Pair<'i, Rule>),
}

impl<'a, 'i> Lower<'a, 'i> {
    pub(super) fn new(env: &'a TypeEnv) -> Self {
        Lower {
            env,
            module: None,
            local: HashMap::new(),
            params: Vec::new(),
            states: Vec::new(),
        }
    }

    pub(super) fn lookup(&self, name: &str) -> Option<&TypeDef> {
        self.local.get(name).or_else(|| self.env.get(name))
    }

    /// Lowers definition `i` of the module; definitions its body refers to
    /// are lowered first (so forward references work and cycles are found).
    pub(super) fn define(&mut self, i: usize) -> Result<(), Error> {
        if self.states[i] != State::NotStarted {
            return Ok(());
        }
        self.states[i] = State::InProgress;
        let Some(m) = self.module.as_ref() else {
            return Ok(());
        };
        let p = &m.pending[i];
        let (name, params, body) = (p.name.clone(), p.params.clone(), p.body.clone());
        let saved = std::mem::replace(&mut self.params, params.clone());
        let lowered = self.datashape(body);
        self.params = saved;
        let lowered = lowered?;
        let mut view = self.env.clone();
        for d in self.local.values() {
            view.insert(d.clone());
        }
        let def = TypeDef::new(name.clone(), params, lowered.datashape, &view);
        self.local.insert(name, def);
        self.states[i] = State::Done;
        Ok(())
    }

    /// Makes sure the module definition `name` is lowered; errors on cycles.
    pub(super) fn require_local(&mut self, name: &str, at: Span) -> Result<(), Error> {
        let Some(&i) = self.module.as_ref().and_then(|m| m.index.get(name)) else {
            return Ok(());
        };
        match self.states[i] {
            State::Done => Ok(()),
            State::InProgress => Err(Error::new(
                ErrorKind::Recursive,
                format!("recursive type definition: `{name}` refers back to itself"),
                at,
            )),
            State::NotStarted => self.define(i),
        }
    }

    pub(super) fn is_module_name(&self, name: &str) -> bool {
        self.module
            .as_ref()
            .is_some_and(|m| m.index.contains_key(name))
    }

    // -------------------------------------------------------------- datashapes

    pub(super) fn datashape(&mut self, pair: Pair<'i, Rule>) -> Result<Parsed, Error> {
        let span = Span::of(pair.as_span());
        let mut terms: Vec<Pair<'i, Rule>> = Vec::new();
        let mut spelling: Option<(Spelling, Span)> = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::term => terms.push(part),
                Rule::star | Rule::comma => {
                    let this = if part.as_rule() == Rule::star {
                        Spelling::Star
                    } else {
                        Spelling::Comma
                    };
                    let at = Span::of(part.as_span());
                    match spelling {
                        None => spelling = Some((this, at)),
                        Some((first, _)) if first != this => {
                            let (used, here) = match first {
                                Spelling::Star => ("`*`", "`,`"),
                                Spelling::Comma => ("`,`", "`*`"),
                            };
                            return Err(Error::new(
                                ErrorKind::MixedSeparators,
                                format!(
                                    "this datashape separates dimensions with {used}; {here} here mixes the two spellings"
                                ),
                                at,
                            ));
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        let spelling = spelling.map_or(Spelling::Star, |(s, _)| s);
        let Some(last) = terms.pop() else {
            return Err(Error::new(ErrorKind::Syntax, "empty datashape", span));
        };
        let mut dims = Vec::with_capacity(terms.len());
        let mut dim_spans = Vec::with_capacity(terms.len());
        let mut ellipsis: Option<Span> = None;
        for term in terms {
            let at = Span::of(term.as_span());
            let dim = self.dim(term, spelling)?;
            if matches!(dim, Dim::Ellipsis(_)) {
                if ellipsis.is_some() {
                    return Err(Error::new(
                        ErrorKind::MultipleEllipses,
                        "a datashape may have at most one ellipsis; found a second one",
                        at,
                    ));
                }
                ellipsis = Some(at);
            }
            dims.push(dim);
            dim_spans.push(at);
        }
        let measure_span = Span::of(last.as_span());
        let had_dims = !dims.is_empty();
        let measure = self.measure_term(last, had_dims)?;
        if let (Some(_), Measure::Named { name, .. }) = (ellipsis, &measure) {
            if self.lookup(name).is_some_and(|d| d.has_ellipsis) {
                return Err(Error::new(
                    ErrorKind::MultipleEllipses,
                    format!(
                        "`{name}` has an ellipsis of its own; a datashape may have at most one"
                    ),
                    measure_span,
                ));
            }
        }
        Ok(Parsed {
            datashape: Datashape::new(dims, measure),
            dim_spans,
            measure_span,
            span,
        })
    }

    pub(super) fn dim(&mut self, term: Pair<'i, Rule>, spelling: Spelling) -> Result<Dim, Error> {
        let at = Span::of(term.as_span());
        let inner = only_child(term)?;
        match inner.as_rule() {
            Rule::integer => Ok(Dim::Fixed(integer(&inner)?)),
            Rule::ellipsis => {
                let name = inner.into_inner().next().map(|p| p.as_str().to_string());
                match name {
                    Some(n) if !is_type_var_name(&n) => Err(Error::new(
                        ErrorKind::UnknownName,
                        format!("a named ellipsis is a type variable and starts with a capital letter, as in `Dims...`; found `{n}...`"),
                        at,
                    )),
                    name => Ok(Dim::Ellipsis(name)),
                }
            }
            Rule::named => {
                let (ident, ctor, args) = split_named(inner);
                let name = ident.as_str();
                let name_span = Span::of(ident.as_span());
                if let Some(first) = args.first() {
                    return Err(Error::new(
                        ErrorKind::Misplaced,
                        format!(
                            "expected a dimension, found `{}` applied to arguments; only the last term of a datashape is its measure",
                            name
                        ),
                        name_span.to(Span::of(first.as_span())),
                    ));
                }
                match (name, spelling) {
                    ("var", _) => self.var_dim(name, ctor, Rule::ctor_brackets, at),
                    ("Var", Spelling::Comma) => self.var_dim(name, ctor, Rule::ctor_parens, at),
                    ("Var", Spelling::Star) if ctor.is_some() => Err(Error::new(
                        ErrorKind::MixedSeparators,
                        "`Var(n)` is the comma spelling of a ragged dimension; with `*` write `var[n]`",
                        at,
                    )),
                    _ => {
                        if let Some(c) = ctor {
                            return Err(Error::new(
                                ErrorKind::Misplaced,
                                format!("expected a dimension, found `{name}` with arguments; only the last term of a datashape is its measure"),
                                name_span.to(Span::of(c.as_span())),
                            ));
                        }
                        if self.params.iter().any(|p| p == name) || is_type_var_name(name) && !self.is_defined(name) {
                            Ok(Dim::TypeVar(name.to_string()))
                        } else if scalar_named(name).is_some() || is_reserved(name) || self.is_defined(name) {
                            Err(Error::new(
                                ErrorKind::Misplaced,
                                format!("expected a dimension, found the measure `{name}`; only the last term of a datashape is its measure"),
                                at,
                            ))
                        } else {
                            Err(Error::new(
                                ErrorKind::UnknownName,
                                format!("unknown dimension `{name}`: a dimension is an integer, `var`, a capitalised type variable or an ellipsis"),
                                at,
                            ))
                        }
                    }
                }
            }
            _ => Err(Error::new(
                ErrorKind::Misplaced,
                format!(
                    "expected a dimension, found the measure `{}`; only the last term of a datashape is its measure",
                    inner.as_str()
                ),
                at,
            )),
        }
    }

    pub(super) fn is_defined(&self, name: &str) -> bool {
        self.lookup(name).is_some() || self.is_module_name(name) || PRELUDE.contains(&name)
    }

    pub(super) fn var_dim(
        &mut self,
        name: &str,
        ctor: Option<Pair<'i, Rule>>,
        want: Rule,
        at: Span,
    ) -> Result<Dim, Error> {
        let Some(ctor) = ctor else {
            return Ok(Dim::Var(None));
        };
        let (open, close) = if want == Rule::ctor_brackets {
            ("[", "]")
        } else {
            ("(", ")")
        };
        if ctor.as_rule() != want {
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("`{name}` takes its bound in `{open}…{close}`"),
                Span::of(ctor.as_span()),
            ));
        }
        let args = self.ctor_args(ctor.clone())?;
        match args.as_slice() {
            [CtorArg {
                key: None,
                value: CtorValue::Ds(ds),
                ..
            }] => match as_integer(ds)? {
                Some(n) => Ok(Dim::Var(Some(n))),
                None => Err(self.bound_error(name, open, close, at)),
            },
            _ => Err(self.bound_error(name, open, close, at)),
        }
    }

    pub(super) fn bound_error(&self, name: &str, open: &str, close: &str, at: Span) -> Error {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("`{name}` takes one integer bound, as in `{name}{open}25{close}`"),
            at,
        )
    }
}

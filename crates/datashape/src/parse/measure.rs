//! Measures: scalar names, records, tuples, functions, options, applied
//! definitions with their type arguments.

use super::*;

impl<'i> Lower<'_, 'i> {
    /// Lowers the measure term of a datashape.
    pub(super) fn measure_term(
        &mut self,
        term: Pair<'i, Rule>,
        after_dims: bool,
    ) -> Result<Measure, Error> {
        let at = Span::of(term.as_span());
        let inner = only_child(term)?;
        match inner.as_rule() {
            Rule::integer | Rule::ellipsis => {
                let what = if after_dims {
                    format!(
                        "a datashape ends with a measure (element type); `{}` is a dimension",
                        inner.as_str()
                    )
                } else {
                    format!(
                        "expected a measure (element type), found the dimension `{}`",
                        inner.as_str()
                    )
                };
                Err(Error::new(ErrorKind::Misplaced, what, at))
            }
            _ => self.measure(inner),
        }
    }

    /// Lowers a measure: `option`, `record`, `paren`, `named` or their
    /// type-argument forms.
    pub(super) fn measure(&mut self, pair: Pair<'i, Rule>) -> Result<Measure, Error> {
        let at = Span::of(pair.as_span());
        match pair.as_rule() {
            Rule::term => {
                let inner = only_child(pair)?;
                self.measure_term_inner(inner, at)
            }
            Rule::option | Rule::arg_option => {
                let inner = only_child(pair)?;
                let inner_at = Span::of(inner.as_span());
                let m = match inner.as_rule() {
                    Rule::term => {
                        let i = only_child(inner)?;
                        self.measure_term_inner(i, inner_at)?
                    }
                    _ => self.measure(inner)?,
                };
                match &m {
                    Measure::Option { .. } => Err(Error::new(
                        ErrorKind::NestedOption,
                        "an option of an option (`??T`) is not a type; write `?T`",
                        at,
                    )),
                    Measure::Named { name, .. }
                        if self.lookup(name).is_some_and(|d| d.has_dims) =>
                    {
                        Err(Error::new(
                            ErrorKind::Misplaced,
                            format!("`?` applies to a measure, but `{name}` has dimensions"),
                            inner_at,
                        ))
                    }
                    _ => Ok(Measure::option(m)),
                }
            }
            Rule::record => {
                let mut fields: Vec<(String, Datashape)> = Vec::new();
                for field in pair.into_inner().filter(|p| p.as_rule() == Rule::field) {
                    let mut parts = field
                        .into_inner()
                        .filter(|p| matches!(p.as_rule(), Rule::field_name | Rule::datashape));
                    let (Some(name), Some(ds)) = (parts.next(), parts.next()) else {
                        continue;
                    };
                    let name_span = Span::of(name.as_span());
                    self.add_field(&mut fields, field_name(name)?, name_span, ds)?;
                }
                Ok(Measure::Record { fields })
            }
            Rule::paren | Rule::arg_paren => {
                let mut elems = Vec::new();
                let mut ret = None;
                let mut saw_arrow = false;
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::datashape if saw_arrow => ret = Some(self.datashape(part)?.datashape),
                        Rule::datashape => elems.push(self.datashape(part)?.datashape),
                        Rule::arrow => saw_arrow = true,
                        _ => {}
                    }
                }
                match ret {
                    Some(ret) => Ok(Measure::Function {
                        params: elems,
                        ret: Box::new(ret),
                    }),
                    None => Ok(Measure::Tuple { elems }),
                }
            }
            Rule::named | Rule::arg_name => {
                let (ident, ctor, args) = split_named(pair);
                self.named(ident, ctor, args)
            }
            Rule::integer | Rule::ellipsis => Err(Error::new(
                ErrorKind::Misplaced,
                format!(
                    "expected a measure (element type), found the dimension `{}`",
                    pair.as_str()
                ),
                at,
            )),
            _ => Err(Error::new(
                ErrorKind::Syntax,
                format!("expected a measure, found `{}`", pair.as_str()),
                at,
            )),
        }
    }

    pub(super) fn measure_term_inner(
        &mut self,
        inner: Pair<'i, Rule>,
        at: Span,
    ) -> Result<Measure, Error> {
        match inner.as_rule() {
            Rule::integer | Rule::ellipsis => Err(Error::new(
                ErrorKind::Misplaced,
                format!(
                    "expected a measure (element type), found the dimension `{}`",
                    inner.as_str()
                ),
                at,
            )),
            _ => self.measure(inner),
        }
    }

    /// A name in measure position, with its constructor arguments and
    /// type-definition arguments.
    pub(super) fn named(
        &mut self,
        ident: Pair<'i, Rule>,
        ctor: Option<Pair<'i, Rule>>,
        args: Vec<Pair<'i, Rule>>,
    ) -> Result<Measure, Error> {
        let name = ident.as_str();
        let name_span = Span::of(ident.as_span());
        let whole = match (&ctor, args.last()) {
            (_, Some(a)) => name_span.to(Span::of(a.as_span())),
            (Some(c), None) => name_span.to(Span::of(c.as_span())),
            _ => name_span,
        };

        // A parameter of the definition being lowered.
        if self.params.iter().any(|p| p == name) {
            self.no_ctor_or_args(name, &ctor, &args, "a parameter")?;
            return Ok(Measure::var(name));
        }
        if let Some(scalar) = scalar_named(name) {
            self.no_ctor_or_args(name, &ctor, &args, "a builtin measure")?;
            return Ok(Measure::scalar(scalar));
        }
        let simple = |m: Measure| Ok(m);
        match name {
            "bytes" | "date" | "void" | "null" => {
                self.no_ctor_or_args(name, &ctor, &args, "a builtin measure")?;
                return simple(match name {
                    "bytes" => Measure::Bytes,
                    "date" => Measure::Date,
                    "void" => Measure::Void,
                    _ => Measure::Null,
                });
            }
            "complex" | "string" | "time" | "datetime" | "timedelta" | "decimal" => {
                self.no_args(name, &args)?;
                let cargs = match ctor {
                    None => Vec::new(),
                    Some(c) if c.as_rule() == Rule::ctor_brackets => self.ctor_args(c)?,
                    Some(c) => {
                        return Err(Error::new(
                            ErrorKind::Syntax,
                            format!("`{name}` takes its arguments in `[…]`"),
                            Span::of(c.as_span()),
                        ))
                    }
                };
                return self.builtin_ctor(name, cargs, whole);
            }
            "Record" | "Either" => {
                self.no_args(name, &args)?;
                let cargs = match ctor {
                    Some(c) if c.as_rule() == Rule::ctor_parens => self.ctor_args(c)?,
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Syntax,
                            format!("`{name}` takes its arguments in `(…)`, as in `{}`",
                                if name == "Record" { "Record(x=int32, y=float64)" } else { "Either(int32, na)" }),
                            whole,
                        ))
                    }
                };
                return if name == "Record" {
                    self.seed_record(cargs)
                } else {
                    self.seed_either(cargs, whole)
                };
            }
            "var" | "Var" if ctor.is_some() || name == "var" => {
                return Err(Error::new(
                    ErrorKind::Misplaced,
                    format!("expected a measure (element type), found the ragged dimension `{}`", &whole_text(&ident, &ctor)),
                    whole,
                ))
            }
            "na" => {
                return Err(Error::new(
                    ErrorKind::Misplaced,
                    "`na` is the missing value, not a type; write `?T` for a measure that may be missing",
                    whole,
                ))
            }
            "type" => {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    "expected a measure, found the keyword `type`; a definition reads `type Name = datashape`",
                    whole,
                ))
            }
            _ => {}
        }

        if self.is_module_name(name) {
            self.require_local(name, name_span)?;
        }
        if let Some(def) = self.lookup(name).cloned() {
            if let Some(c) = &ctor {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!("`{name}` is a type definition; write its arguments after it, separated by spaces"),
                    Span::of(c.as_span()),
                ));
            }
            if args.len() != def.params.len() {
                let at = if args.is_empty() { name_span } else { whole };
                return Err(Error::new(
                    ErrorKind::Arity,
                    format!(
                        "`{name}` takes {} argument{}, found {}",
                        def.params.len(),
                        if def.params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                    at,
                ));
            }
            let mut lowered = Vec::with_capacity(args.len());
            for (k, arg) in args.into_iter().enumerate() {
                lowered.push(self.type_arg(&def, k, arg)?);
            }
            return Ok(Measure::Named {
                name: name.to_string(),
                args: lowered,
            });
        }
        if let Some(m) = prelude_measure(name) {
            self.no_ctor_or_args(name, &ctor, &args, "a prelude type")?;
            return Ok(m);
        }
        if is_type_var_name(name) {
            if ctor.is_some() || !args.is_empty() {
                return Err(Error::new(
                    ErrorKind::UnknownName,
                    format!("unknown type `{name}`"),
                    name_span,
                ));
            }
            return Ok(Measure::var(name));
        }
        Err(Error::new(
            ErrorKind::UnknownName,
            format!("unknown type `{name}`: not a builtin measure, a definition, or a type variable (those are capitalised)"),
            name_span,
        ))
    }

    pub(super) fn no_args(&self, name: &str, args: &[Pair<'i, Rule>]) -> Result<(), Error> {
        match (args.first(), args.last()) {
            (Some(first), Some(last)) => Err(Error::new(
                ErrorKind::Arity,
                format!(
                    "`{name}` is not a type definition and takes no arguments after it; found `{}`",
                    first.as_str()
                ),
                Span::of(first.as_span()).to(Span::of(last.as_span())),
            )),
            _ => Ok(()),
        }
    }

    pub(super) fn no_ctor_or_args(
        &self,
        name: &str,
        ctor: &Option<Pair<'i, Rule>>,
        args: &[Pair<'i, Rule>],
        what: &str,
    ) -> Result<(), Error> {
        if let Some(c) = ctor {
            return Err(Error::new(
                ErrorKind::Arity,
                format!(
                    "`{name}` is {what} and takes no arguments; found `{}`",
                    c.as_str()
                ),
                Span::of(c.as_span()),
            ));
        }
        self.no_args(name, args)
    }

    /// Argument `k` of an application of `def`.
    pub(super) fn type_arg(
        &mut self,
        def: &TypeDef,
        k: usize,
        arg: Pair<'i, Rule>,
    ) -> Result<TypeArg, Error> {
        let at = Span::of(arg.as_span());
        let inner = only_child(arg)?;
        let usage = def.uses[k];
        let param = &def.params[k];
        // What the argument can be read as.
        let as_dim: Option<Dim> = match inner.as_rule() {
            Rule::integer => Some(Dim::Fixed(integer(&inner)?)),
            Rule::arg_name => {
                let (ident, ctor, _) = split_named(inner.clone());
                let n = ident.as_str();
                match n {
                    "var" => Some(self.var_dim(n, ctor, Rule::ctor_brackets, at)?),
                    _ if ctor.is_none()
                        && (self.params.iter().any(|p| p == n)
                            || is_type_var_name(n) && !self.is_defined(n)) =>
                    {
                        Some(Dim::TypeVar(n.to_string()))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let is_var = matches!(as_dim, Some(Dim::TypeVar(_)));
        if usage.dim && usage.measure {
            return match as_dim {
                Some(d @ Dim::TypeVar(_)) => Ok(TypeArg::Dim(d)),
                _ => Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("parameter `{param}` of `{}` stands for both a dimension and a measure; only a type variable fits, found `{}`", def.name, inner.as_str()),
                    at,
                )),
            };
        }
        if usage.dim || (!usage.measure && as_dim.is_some() && !is_var) {
            return match as_dim {
                Some(d) => Ok(TypeArg::Dim(d)),
                None => Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("parameter `{param}` of `{}` stands for a dimension; found the measure `{}`", def.name, inner.as_str()),
                    at,
                )),
            };
        }
        if matches!(as_dim, Some(Dim::Fixed(_) | Dim::Var(_))) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "parameter `{param}` of `{}` stands for a measure; found the dimension `{}`",
                    def.name,
                    inner.as_str()
                ),
                at,
            ));
        }
        let m = self.measure(inner)?;
        if usage.under_option {
            if let Measure::Named { name, .. } = &m {
                if self.lookup(name).is_some_and(|d| d.has_dims) {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!("parameter `{param}` of `{}` stands under `?`, but `{name}` has dimensions", def.name),
                        at,
                    ));
                }
            }
            if matches!(m, Measure::Option { .. }) {
                return Err(Error::new(
                    ErrorKind::NestedOption,
                    format!("parameter `{param}` of `{}` stands under `?`; an option of an option is not a type", def.name),
                    at,
                ));
            }
        }
        Ok(TypeArg::Measure(m))
    }
}

//! Constructor arguments (`[...]`, `(...)`): `string['utf8']`,
//! `datetime[unit='ms']`, the seed spellings `Record(...)` and `Either(...)`.

use super::*;

impl<'i> Lower<'_, 'i> {
    pub(super) fn ctor_args(&mut self, ctor: Pair<'i, Rule>) -> Result<Vec<CtorArg<'i>>, Error> {
        let mut out = Vec::new();
        for arg in ctor.into_inner() {
            let span = Span::of(arg.as_span());
            let mut key = None;
            let mut value = None;
            for part in arg.into_inner() {
                match part.as_rule() {
                    Rule::kwarg_name => {
                        let s = Span::of(part.as_span());
                        key = Some((field_name(part)?, s));
                    }
                    Rule::quoted => value = Some(CtorValue::Quoted(unquote(&part)?)),
                    Rule::datashape => value = Some(CtorValue::Ds(part)),
                    _ => {}
                }
            }
            if let Some(value) = value {
                out.push(CtorArg { key, value, span });
            }
        }
        Ok(out)
    }

    pub(super) fn builtin_ctor(
        &mut self,
        name: &str,
        args: Vec<CtorArg<'i>>,
        at: Span,
    ) -> Result<Measure, Error> {
        let bad = |msg: String, span: Span| Err(Error::new(ErrorKind::InvalidArgument, msg, span));
        match name {
            "complex" => match args.as_slice() {
                [] => Ok(Measure::scalar(Scalar::Complex128)),
                [CtorArg { key: None, value: CtorValue::Ds(ds), span }] => {
                    match self.datashape(ds.clone())?.datashape {
                        Datashape { dims, measure: Measure::Scalar { scalar: Scalar::Float32 } } if dims.is_empty() => Ok(Measure::scalar(Scalar::Complex64)),
                        Datashape { dims, measure: Measure::Scalar { scalar: Scalar::Float64 } } if dims.is_empty() => Ok(Measure::scalar(Scalar::Complex128)),
                        other => bad(format!("`complex` takes `float32` or `float64`, found `{other}`"), *span),
                    }
                }
                _ => bad("`complex` takes one argument, `float32` or `float64`, as in `complex[float32]`".into(), at),
            },
            "string" => {
                let mut len = None;
                let mut encoding = Encoding::Utf8;
                for (i, a) in args.iter().enumerate() {
                    match (&a.key, &a.value, i) {
                        (None, CtorValue::Ds(ds), 0) => match as_integer(ds)? {
                            Some(n) => len = Some(n),
                            None => return bad(format!("`string` takes a length and an encoding, as in `string[10, 'utf8']`; found `{}`", ds.as_str()), a.span),
                        },
                        (None, CtorValue::Quoted(e), 0 | 1) => encoding = self.encoding(e, a.span)?,
                        (Some((k, _)), CtorValue::Quoted(e), _) if k == "encoding" => encoding = self.encoding(e, a.span)?,
                        _ => return bad("`string` takes a length and an encoding, as in `string[10, 'utf8']`".into(), a.span),
                    }
                }
                if args.len() > 2 {
                    return bad("`string` takes at most two arguments: a length and an encoding".into(), at);
                }
                Ok(Measure::String { len, encoding })
            }
            "time" | "datetime" => {
                let mut tz = None;
                for a in &args {
                    match (&a.key, &a.value) {
                        (None, CtorValue::Quoted(t)) if tz.is_none() => tz = Some(t.clone()),
                        (Some((k, _)), CtorValue::Quoted(t)) if k == "tz" && tz.is_none() => tz = Some(t.clone()),
                        _ => return bad(format!("`{name}` takes one argument, a time zone, as in `{name}[tz='UTC']`"), a.span),
                    }
                }
                Ok(if name == "time" { Measure::Time { tz } } else { Measure::DateTime { tz } })
            }
            "timedelta" => {
                let mut unit = TimeUnit::Micros;
                for (i, a) in args.iter().enumerate() {
                    match (&a.key, &a.value) {
                        (None, CtorValue::Quoted(u)) if i == 0 => unit = self.unit(u, a.span)?,
                        (Some((k, _)), CtorValue::Quoted(u)) if k == "unit" && i == 0 => unit = self.unit(u, a.span)?,
                        _ => return bad("`timedelta` takes one argument, a unit, as in `timedelta[unit='ns']`".into(), a.span),
                    }
                }
                Ok(Measure::TimeDelta { unit })
            }
            "decimal" => {
                let mut nums = Vec::new();
                for a in &args {
                    let n = match (&a.key, &a.value) {
                        (None, CtorValue::Ds(ds)) => as_integer(ds)?,
                        (Some((k, _)), CtorValue::Ds(ds)) if (k == "precision" && nums.is_empty()) || (k == "scale" && nums.len() == 1) => as_integer(ds)?,
                        _ => None,
                    };
                    match n.and_then(|n| u32::try_from(n).ok()) {
                        Some(n) => nums.push((n, a.span)),
                        None => return bad("`decimal` takes a precision and a scale, as in `decimal[18, 4]`".into(), a.span),
                    }
                }
                match nums.as_slice() {
                    [(p, ps)] | [(p, ps), _] if *p == 0 => bad("the precision of a decimal must be at least 1".into(), *ps),
                    [(p, _)] => Ok(Measure::Decimal { precision: *p, scale: 0 }),
                    [(p, _), (s, ss)] if s > p => bad(format!("the scale of a decimal ({s}) cannot exceed its precision ({p})"), *ss),
                    [(p, _), (s, _)] => Ok(Measure::Decimal { precision: *p, scale: *s }),
                    _ => bad("`decimal` takes a precision and a scale, as in `decimal[18, 4]`".into(), at),
                }
            }
            _ => bad(format!("unknown constructor `{name}`"), at),
        }
    }

    pub(super) fn encoding(&self, e: &str, span: Span) -> Result<Encoding, Error> {
        Encoding::from_name(e).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "unknown string encoding '{e}': expected 'ascii', 'utf8', 'utf16' or 'utf32'"
                ),
                span,
            )
        })
    }

    pub(super) fn unit(&self, u: &str, span: Span) -> Result<TimeUnit, Error> {
        TimeUnit::from_name(u).ok_or_else(|| {
            let all: Vec<String> = TimeUnit::ALL
                .iter()
                .map(|u| format!("'{}'", u.name()))
                .collect();
            Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "unknown time unit '{u}': expected one of {}",
                    all.join(", ")
                ),
                span,
            )
        })
    }

    /// `Record(name=T, other=U)`.
    pub(super) fn seed_record(&mut self, args: Vec<CtorArg<'i>>) -> Result<Measure, Error> {
        let mut fields: Vec<(String, Datashape)> = Vec::new();
        for a in args {
            let (Some((name, name_span)), CtorValue::Ds(ds)) = (a.key, a.value) else {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "each `Record` field is written `name=type`",
                    a.span,
                ));
            };
            self.add_field(&mut fields, name, name_span, ds)?;
        }
        Ok(Measure::Record { fields })
    }

    /// Lowers a record field's type and adds it; a name given twice is an
    /// error at the second.
    pub(super) fn add_field(
        &mut self,
        fields: &mut Vec<(String, Datashape)>,
        name: String,
        name_span: Span,
        ds: Pair<'i, Rule>,
    ) -> Result<(), Error> {
        if fields.iter().any(|(n, _)| *n == name) {
            return Err(Error::new(
                ErrorKind::DuplicateField,
                format!("duplicate field `{name}` in record"),
                name_span,
            ));
        }
        let ds = self.datashape(ds)?.datashape;
        fields.push((name, ds));
        Ok(())
    }

    /// `Either(T, na)`, the seed spelling of `?T`.
    pub(super) fn seed_either(
        &mut self,
        args: Vec<CtorArg<'i>>,
        at: Span,
    ) -> Result<Measure, Error> {
        let usage = "`Either` is supported as `Either(T, na)`, a measure that may be missing";
        match args.as_slice() {
            [CtorArg {
                key: None,
                value: CtorValue::Ds(t),
                span: t_span,
            }, CtorArg {
                key: None,
                value: CtorValue::Ds(na),
                span: na_span,
            }] => {
                if na.as_str().trim() != "na" {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        format!("{usage}; found `{}` where `na` belongs", na.as_str()),
                        *na_span,
                    ));
                }
                let t = self.datashape(t.clone())?;
                if !t.datashape.dims.is_empty() {
                    return Err(Error::new(
                        ErrorKind::Misplaced,
                        "`Either` applies to a measure, not to a datashape with dimensions",
                        *t_span,
                    ));
                }
                match t.datashape.measure {
                    Measure::Option { .. } => Err(Error::new(
                        ErrorKind::NestedOption,
                        "an option of an option is not a type",
                        *t_span,
                    )),
                    m => Ok(Measure::option(m)),
                }
            }
            _ => Err(Error::new(ErrorKind::InvalidArgument, usage, at)),
        }
    }
}

//! Calls of builtins: arguments matched against the prelude's signatures
//! (positional and keyword), constant integer arguments, dispatch to the
//! operation's own check.

use super::*;

impl Checker<'_> {
    pub(super) fn call(
        &mut self,
        func: &Expr,
        args: &[Arg],
        at: Span,
    ) -> Result<NodeId, Diagnostic> {
        // Methods: `x.astype(T)`, `x.sum(axis=0)`, `x.reshape(...)`, … are
        // the function with `x` first.
        let (name, name_span, mut positional, kwargs, binders) = {
            let mut pos: Vec<&Expr> = Vec::new();
            let mut kw: Vec<(&Ident, &Expr)> = Vec::new();
            let mut bind: Option<(&[Ident], &Expr)> = None;
            for a in args {
                match a {
                    Arg::Pos(e) => {
                        if !kw.is_empty() {
                            return Err(err(
                                "syntax",
                                "positional argument after keyword arguments",
                                e.span,
                            ));
                        }
                        pos.push(e)
                    }
                    Arg::Kw(n, e) => {
                        if kw.iter().any(|(k, _)| k.name == n.name) {
                            return Err(err(
                                "syntax",
                                format!("keyword argument `{}` given twice", n.name),
                                n.span,
                            ));
                        }
                        kw.push((n, e))
                    }
                    Arg::Binder(ids, e) => bind = Some((ids.as_slice(), e)),
                }
            }
            match &func.kind {
                ExprKind::Name(n) if self.lookup(n).is_none() => {
                    (n.clone(), func.span, pos, kw, bind)
                }
                ExprKind::Attr(base, m) => {
                    pos.insert(0, base.as_ref());
                    (m.name.clone(), m.span, pos, kw, bind)
                }
                _ => {
                    return Err(err(
                        "type_error",
                        format!("`{}` is not a function", self.text(func.span)),
                        func.span,
                    ))
                }
            }
        };
        let method = matches!(func.kind, ExprKind::Attr(..));
        if name == "astype" && method {
            if positional.len() != 2 || !kwargs.is_empty() {
                return Err(err(
                    "arity",
                    "`astype` takes one argument, the element type: `x.astype(float32)`",
                    at,
                ));
            }
            let x = self.expr(positional[0])?;
            return self.cast(x, positional[1], at);
        }
        if let Some((ids, body)) = binders {
            if !positional.is_empty() || !kwargs.is_empty() {
                return Err(err(
                    "syntax",
                    format!("`{name}(k: …)` takes only the index expression"),
                    at,
                ));
            }
            let f = ReduceFn::from_name(&name).filter(|f| {
                matches!(
                    f,
                    ReduceFn::Sum | ReduceFn::Prod | ReduceFn::Min | ReduceFn::Max
                )
            });
            let Some(f) = f else {
                return Err(err("unknown_name", format!("`{name}` cannot reduce over indices; index notation has sum, prod, min and max"), name_span));
            };
            return self.index_reduce(f, ids, body, at);
        }
        let allowed = |kws: &[&str]| -> Result<(), Diagnostic> {
            for (k, _) in &kwargs {
                if !kws.contains(&k.name.as_str()) {
                    let hint = if kws.is_empty() {
                        format!("`{name}` takes no keyword arguments")
                    } else {
                        format!(
                            "`{name}` takes {}",
                            kws.iter()
                                .map(|k| format!("`{k}=`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    return Err(err(
                        "arity",
                        format!("unexpected keyword argument `{}`: {hint}", k.name),
                        k.span,
                    ));
                }
            }
            Ok(())
        };
        let nargs = |n: usize, positional: &[&Expr]| -> Result<(), Diagnostic> {
            if positional.len() != n {
                return Err(err(
                    "arity",
                    format!(
                        "`{name}` takes {n} argument{}, found {}",
                        if n == 1 { "" } else { "s" },
                        positional.len()
                    ),
                    at,
                ));
            }
            Ok(())
        };
        // `len(x, axis=k)`: row lengths; `len(s)` of strings is elementwise.
        if name == "len" && !kwargs.is_empty() {
            allowed(&["axis"])?;
            nargs(1, &positional)?;
            let x = self.expr(positional[0])?;
            let axis = kwargs
                .iter()
                .find(|(k, _)| k.name == "axis")
                .map(|(_, e)| *e);
            return self.row_lengths(x, axis, at);
        }
        if name == "flatten" {
            allowed(&[])?;
            nargs(1, &positional)?;
            let x = self.expr(positional[0])?;
            return self.flatten(x, at);
        }
        if let Some(f) = UnaryFn::from_name(&name) {
            allowed(&[])?;
            nargs(1, &positional)?;
            let x = self.expr(positional[0])?;
            return self.unary(f, x, at);
        }
        let bin = match name.as_str() {
            "minimum" => Some(BinaryFn::Minimum),
            "maximum" => Some(BinaryFn::Maximum),
            "arctan2" => Some(BinaryFn::Arctan2),
            "pow" => Some(BinaryFn::Pow),
            "startswith" => Some(BinaryFn::StartsWith),
            "endswith" => Some(BinaryFn::EndsWith),
            "contains" => Some(BinaryFn::Contains),
            _ => None,
        };
        if let Some(f) = bin {
            allowed(&[])?;
            nargs(2, &positional)?;
            let (x, y) = (self.expr(positional[0])?, self.expr(positional[1])?);
            return self.binary(f, x, y, at);
        }
        if let Some(f) = ReduceFn::from_name(&name) {
            allowed(&["axis", "keepdims"])?;
            nargs(1, &positional)?;
            let x = self.expr(positional[0])?;
            let axis = kwargs
                .iter()
                .find(|(k, _)| k.name == "axis")
                .map(|(_, e)| *e);
            let keep = kwargs
                .iter()
                .find(|(k, _)| k.name == "keepdims")
                .map(|(_, e)| *e);
            if let Some(id) = self.reduce_decimal(f, x, axis, keep, at)? {
                return Ok(id);
            }
            if let Some(id) = self.reduce_string(f, x, axis, keep, at)? {
                return Ok(id);
            }
            return self.reduce(f, x, axis, keep, at);
        }
        if let Some(f) = LinalgFn::from_name(&name) {
            allowed(&[])?;
            let n = if matches!(f, LinalgFn::Solve | LinalgFn::Lstsq) {
                2
            } else {
                1
            };
            nargs(n, &positional)?;
            let mut ids = Vec::new();
            for p in &positional {
                ids.push(self.expr(p)?);
            }
            return self.linalg(f, &ids, at);
        }
        match name.as_str() {
            "where" => {
                allowed(&[])?;
                nargs(3, &positional)?;
                let (c, x, y) = (
                    self.expr(positional[0])?,
                    self.expr(positional[1])?,
                    self.expr(positional[2])?,
                );
                self.where_(c, x, y, at)
            }
            "fillna" => {
                allowed(&[])?;
                nargs(2, &positional)?;
                let (x, v) = (self.expr(positional[0])?, self.expr(positional[1])?);
                self.fillna(x, v, at)
            }
            "cast" => {
                allowed(&[])?;
                nargs(2, &positional)?;
                let x = self.expr(positional[0])?;
                self.cast(x, positional[1], at)
            }
            "dot" | "matmul" => {
                allowed(&[])?;
                nargs(2, &positional)?;
                let (x, y) = (self.expr(positional[0])?, self.expr(positional[1])?);
                self.matmul(x, y, at)
            }
            "transpose" => {
                allowed(&["axes"])?;
                let perm_expr = match (positional.len(), kwargs.first()) {
                    (1, Some((_, e))) => Some(*e),
                    (1, None) => None,
                    (2, None) => Some(positional[1]),
                    _ => return Err(err("arity", "`transpose` takes an array and optionally a permutation: `transpose(x, (1, 0, 2))`", at)),
                };
                let x = self.expr(positional[0])?;
                let perm = match perm_expr {
                    Some(e) => Some(self.int_list(e, "the axes of `transpose`")?),
                    None => None,
                };
                self.transpose(x, perm, perm_expr.map_or(at, |e| e.span), at)
            }
            "reshape" => {
                allowed(&[])?;
                if positional.len() < 2 {
                    return Err(err(
                        "arity",
                        "`reshape` takes an array and a shape: `reshape(x, (2, 3))`",
                        at,
                    ));
                }
                let x = self.expr(positional[0])?;
                let mut shape = Vec::new();
                for e in &positional[1..] {
                    shape.extend(self.int_list(e, "a shape")?);
                }
                self.reshape(x, shape, at)
            }
            "view" => {
                allowed(&[])?;
                nargs(2, &positional)?;
                let x = self.expr(positional[0])?;
                self.view(x, positional[1], at)
            }
            "concat" | "concatenate" | "stack" => {
                allowed(&["axis"])?;
                if positional.len() == 1 {
                    if let ExprKind::Tuple(items) = &positional[0].kind {
                        positional = items.iter().collect();
                    }
                }
                if positional.is_empty() {
                    return Err(err(
                        "arity",
                        format!("`{name}` needs at least one array"),
                        at,
                    ));
                }
                let (axis, axis_at) = match kwargs.first() {
                    Some((_, e)) => (self.int_literal(e, "the axis")?, e.span),
                    None => (0, at),
                };
                let mut ids = Vec::new();
                for p in &positional {
                    ids.push(self.expr(p)?);
                }
                self.concat(&ids, (axis, axis_at), name == "stack", at)
            }
            _ => Err(err(
                "unknown_name",
                format!("unknown function `{name}`"),
                name_span,
            )),
        }
    }

    pub(super) fn int_literal(&self, e: &Expr, what: &str) -> Result<i64, Diagnostic> {
        let int = |e: &Expr| match e.kind {
            ExprKind::Int(v) => Some(v),
            _ => None,
        };
        let (v, negative) = match &e.kind {
            ExprKind::Unary(UnaryOp::Neg, x) => (int(x), true),
            _ => (int(e), false),
        };
        let Some(v) = v else {
            return Err(err(
                "type_error",
                format!(
                    "{what} must be an integer literal, found `{}`",
                    self.text(e.span)
                ),
                e.span,
            ));
        };
        i64::try_from(v)
            .map(|v| if negative { -v } else { v })
            .map_err(|_| err("bad_number", format!("{what} is too large"), e.span))
    }

    pub(super) fn int_list(&self, e: &Expr, what: &str) -> Result<Vec<i64>, Diagnostic> {
        match &e.kind {
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                items.iter().map(|x| self.int_literal(x, what)).collect()
            }
            _ => Ok(vec![self.int_literal(e, what)?]),
        }
    }
}

//! Strings in elementwise operations: comparisons (`== != < <= > >=`,
//! code-point order), concatenation `+`, `len`, `upper`, `lower`,
//! `startswith`, `endswith`, `contains`, `isna`, and strings as branches of
//! `where` and `fillna`. Missing values propagate as for numbers. Mixing a
//! string with a number is an error naming both types. Also the
//! classification of operands ([`Elem`]) that the decimal rules share.

use super::expr::string_measure;
use super::*;

/// What an operand's element is, for the rules of strings and decimals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Elem {
    /// A number or bool.
    Num(Scalar),
    /// A string (any length or encoding).
    Str,
    /// `decimal[p, s]`.
    Dec(u32, u32),
    /// `na` alone (`null`).
    Null,
    /// Anything else (records, tuples, dates, …).
    Other,
}

/// The element of `m` and whether it may be missing.
pub(super) fn elem_of(m: &Measure) -> (Elem, bool) {
    match m {
        Measure::Null => (Elem::Null, true),
        Measure::Option { inner } => (elem_of(inner).0, true),
        Measure::Scalar { scalar } => (Elem::Num(*scalar), false),
        Measure::String { .. } => (Elem::Str, false),
        Measure::Decimal { precision, scale } => (Elem::Dec(*precision, *scale), false),
        _ => (Elem::Other, false),
    }
}

/// `m`, made an option when `opt`.
pub(super) fn maybe_option(m: Measure, opt: bool) -> Measure {
    if opt {
        Measure::option(m)
    } else {
        m
    }
}

impl Checker<'_> {
    /// A lone `na` beside a value of measure `m` becomes a missing `m`
    /// (`?m`), so every engine sees operands of one type.
    pub(super) fn retype_na(&mut self, id: NodeId, m: &Measure) {
        let n = &mut self.nodes[id.index()];
        if n.op == Op::Na && n.ty.measure == Measure::Null {
            n.ty.measure = Measure::option(m.clone());
        }
    }

    /// The element of node `id` and whether it may be missing.
    pub(super) fn elem(&self, id: NodeId) -> (Elem, bool) {
        elem_of(&self.ty(id).measure)
    }

    /// A unary function of a string (or a string function of something
    /// else, which is an error); `None` when the operand is no string and
    /// the function no string function, for the numeric rules.
    pub(super) fn unary_string(
        &mut self,
        f: UnaryFn,
        a: NodeId,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let (e, opt) = self.elem(a);
        if e == Elem::Null || (e != Elem::Str && !f.is_string_fn()) {
            return Ok(None);
        }
        if e != Elem::Str {
            return Err(err(
                "type_error",
                format!("`{}` needs strings, found `{}`", f.name(), self.ty(a)),
                self.span_of(a),
            ));
        }
        let (m, opt) = match f {
            UnaryFn::Len => (Measure::scalar(Scalar::Int64), opt),
            UnaryFn::Upper | UnaryFn::Lower => (string_measure(), opt),
            UnaryFn::IsNa => (Measure::scalar(Scalar::Bool), false),
            _ => {
                let name = match f {
                    UnaryFn::Neg => "-",
                    UnaryFn::Pos => "+",
                    other => other.name(),
                };
                return Err(err(
                    "type_error",
                    format!(
                        "`{name}` is not defined for strings, found `{}`",
                        self.ty(a)
                    ),
                    at,
                ));
            }
        };
        let dims = self.ty(a).dims.clone();
        Ok(Some(self.push(
            Op::Unary(f),
            vec![a],
            Datashape::new(dims, maybe_option(m, opt)),
            false,
            at,
        )))
    }

    /// A binary operation with a string operand: comparisons give `bool`,
    /// `+` concatenates, `startswith`/`endswith`/`contains` test; both
    /// operands must be strings (or `na`). `None` when neither operand is a
    /// string.
    pub(super) fn binary_string(
        &mut self,
        f: BinaryFn,
        a: NodeId,
        b: NodeId,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let ((ea, oa), (eb, ob)) = (self.elem(a), self.elem(b));
        if ea != Elem::Str && eb != Elem::Str {
            return Ok(None);
        }
        let text = |e: Elem| matches!(e, Elem::Str | Elem::Null);
        if !text(ea) || !text(eb) {
            return Err(err(
                "type_error",
                format!(
                    "`{}` cannot combine a string with a {}: operands are `{}` and `{}`",
                    f.name(),
                    if matches!(ea, Elem::Num(_)) || matches!(eb, Elem::Num(_)) {
                        "number"
                    } else {
                        "value of another type"
                    },
                    self.ty(a),
                    self.ty(b)
                ),
                at,
            ));
        }
        let m = if f.is_comparison() || f.is_string_fn() {
            Measure::scalar(Scalar::Bool)
        } else if f == BinaryFn::Add {
            string_measure()
        } else {
            return Err(err(
                "type_error",
                format!(
                    "`{}` is not defined for strings (operands are `{}` and `{}`)",
                    f.name(),
                    self.ty(a),
                    self.ty(b)
                ),
                at,
            ));
        };
        let dims = self.broadcast(&[a, b], at)?;
        for id in [a, b] {
            self.retype_na(id, &string_measure());
        }
        Ok(Some(self.push(
            Op::Binary(f),
            vec![a, b],
            Datashape::new(dims, maybe_option(m, oa || ob)),
            false,
            at,
        )))
    }

    /// `where(c, x, y)` with a string branch: both branches strings (or
    /// `na`), the result `string`. `narrowed` is the branch that alone
    /// decides whether the result may be missing (the narrowing forms).
    pub(super) fn where_string(
        &mut self,
        c: NodeId,
        (x, y): (NodeId, NodeId),
        narrowed: Option<NodeId>,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let ((ex, ox), (ey, oy)) = (self.elem(x), self.elem(y));
        if ex != Elem::Str && ey != Elem::Str {
            return Ok(None);
        }
        if !matches!(ex, Elem::Str | Elem::Null) || !matches!(ey, Elem::Str | Elem::Null) {
            return Err(err(
                "type_error",
                format!(
                    "the branches of `where` are `{}` and `{}`: a string and a value of another type",
                    self.ty(x),
                    self.ty(y)
                ),
                at,
            ));
        }
        let dims = self.broadcast(&[c, x, y], at)?;
        for id in [x, y] {
            self.retype_na(id, &string_measure());
        }
        let copt = self.elem(c).1;
        let opt = match narrowed {
            Some(other) => self.elem(other).1,
            None => ox || oy,
        };
        Ok(Some(self.push(
            Op::Where,
            vec![c, x, y],
            Datashape::new(dims, maybe_option(string_measure(), opt || copt)),
            false,
            at,
        )))
    }

    /// `fillna(x, v)` with strings: both strings, the result a plain
    /// `string`.
    pub(super) fn fillna_string(
        &mut self,
        x: NodeId,
        v: NodeId,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let ((ex, _), (ev, _)) = (self.elem(x), self.elem(v));
        if ex != Elem::Str && ev != Elem::Str {
            return Ok(None);
        }
        if !matches!(ex, Elem::Str | Elem::Null) || ev != Elem::Str {
            return Err(err(
                "type_error",
                format!(
                    "`fillna` of `{}` with `{}`: a string and a value of another type",
                    self.ty(x),
                    self.ty(v)
                ),
                at,
            ));
        }
        let dims = self.broadcast(&[x, v], at)?;
        self.retype_na(x, &string_measure());
        Ok(Some(self.push(
            Op::FillNa,
            vec![x, v],
            Datashape::new(dims, string_measure()),
            false,
            at,
        )))
    }

    /// A reduction of strings: `count` (the strings present, as
    /// `sum(not isna(s))`), `min` and `max` (code-point order; `?string` over
    /// options, missing where there are no values). `None` for other
    /// operands.
    pub(super) fn reduce_string(
        &mut self,
        f: ReduceFn,
        x: NodeId,
        axis: Option<&Expr>,
        keep: Option<&Expr>,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let (Elem::Str, opt) = self.elem(x) else {
            return Ok(None);
        };
        let dims = self.ty(x).dims.clone();
        let bools = Datashape::new(dims, Measure::scalar(Scalar::Bool));
        let isna = self.push(Op::Unary(UnaryFn::IsNa), vec![x], bools.clone(), false, at);
        match f {
            ReduceFn::Count => {
                let present = self.push(Op::Unary(UnaryFn::Not), vec![isna], bools, false, at);
                self.reduce(ReduceFn::Sum, present, axis, keep, at)
                    .map(Some)
            }
            ReduceFn::Min | ReduceFn::Max => {
                // The axes and dims are those of the same reduction of a
                // bool array of `x`'s shape: reduce that, then make the node
                // reduce `x`.
                let before = self.nodes.len();
                let r = self.reduce(f, isna, axis, keep, at)?;
                if self.nodes.len() != before + 1 || self.node(r).args != [isna] {
                    return Err(err(
                        "internal",
                        "the reduction of strings was not built as expected",
                        at,
                    ));
                }
                let mut node = self.nodes.remove(r.index());
                self.nodes.truncate(before - 1);
                node.args = vec![x];
                node.ty.measure = maybe_option(string_measure(), opt);
                Ok(Some(self.push(node.op, node.args, node.ty, false, at)))
            }
            _ => Err(err(
                "type_error",
                format!(
                    "`{}` is not defined for strings, found `{}`; strings have count, min and max",
                    f.name(),
                    self.ty(x)
                ),
                at,
            )),
        }
    }
}

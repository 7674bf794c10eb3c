//! Decimals `decimal[p, s]` (Arrow's 128-bit decimals) in operations:
//!
//! - `+ -`: scale `max(s1, s2)`, precision `max(p1 - s1, p2 - s2) +
//!   max(s1, s2) + 1`; `*`: scale `s1 + s2`, precision `p1 + p2 + 1`. A
//!   result above precision 38 is a type error (never a rounding).
//! - an integer operand becomes `decimal[d, 0]`, `d` the digits of its type
//!   (3, 5, 10, 19; 20 for `uint64`) or, for an integer literal, of its
//!   value; `/` and any operation with a float compute in `float64`;
//!   comparisons are exact (the interpreter rescales to the common scale).
//! - `-x`, `+x`, `abs`: the same type; `isna`: `bool`; the float functions
//!   (`sqrt`, `exp`, …) compute in `float64`.
//! - `sum`: `decimal[38, s]`; `min`, `max`: the type; `mean`, `var`, `std`:
//!   `float64`; `count`: `int64`.
//! - casts to and from numbers (`cast(x, decimal[10, 2])`,
//!   `d.astype(float64)`), and `where`/`fillna` with a decimal branch (both
//!   branches made one decimal wide enough for both).

use super::strings::{maybe_option, Elem};
use super::*;

/// The largest precision of a 128-bit decimal.
pub(super) const MAX_PRECISION: u32 = 38;

/// The digits of an integer type: `int32` holds 10 decimal digits.
fn int_digits(s: Scalar) -> Option<u32> {
    Some(match s {
        Scalar::Int8 | Scalar::UInt8 => 3,
        Scalar::Int16 | Scalar::UInt16 => 5,
        Scalar::Int32 | Scalar::UInt32 => 10,
        Scalar::Int64 => 19,
        Scalar::UInt64 => 20,
        _ => return None,
    })
}

fn decimal(precision: u32, scale: u32) -> Measure {
    Measure::Decimal { precision, scale }
}

/// The decimal wide enough for both: the larger integer part and the
/// larger scale.
fn common(p1: u32, s1: u32, p2: u32, s2: u32) -> (u32, u32) {
    let s = s1.max(s2);
    ((p1 - s1.min(p1)).max(p2 - s2.min(p2)).saturating_add(s), s)
}

impl Checker<'_> {
    /// The decimal type node `id` takes beside a decimal: its own, or
    /// `decimal[d, 0]` for an integer (`d` from a literal's value when it is
    /// a weak literal); `None` for anything else.
    fn as_decimal(&self, id: NodeId) -> Option<(u32, u32)> {
        match self.elem(id).0 {
            Elem::Dec(p, s) => Some((p, s)),
            Elem::Num(t) => {
                let n = self.node(id);
                if let (true, Op::Literal(Literal::Int(v))) = (n.weak, &n.op) {
                    let digits = v.unsigned_abs().checked_ilog10().map_or(1, |d| d + 1);
                    return Some((digits, 0));
                }
                int_digits(t).map(|d| (d, 0))
            }
            _ => None,
        }
    }

    /// `id` converted to `decimal[p, s]`: a weak integer literal is retyped,
    /// anything else of another type gets a `cast decimal[p, s]` node.
    fn as_decimal_node(&mut self, id: NodeId, p: u32, s: u32) -> NodeId {
        let n = self.node(id).clone();
        let (e, opt) = self.elem(id);
        if e == Elem::Dec(p, s) {
            return id;
        }
        if e == Elem::Null {
            self.retype_na(id, &decimal(p, s));
            return id;
        }
        let ty = Datashape::new(n.ty.dims.clone(), maybe_option(decimal(p, s), opt));
        if n.weak && matches!(n.op, Op::Literal(Literal::Int(_))) {
            self.nodes[id.index()].ty = ty;
            self.nodes[id.index()].weak = false;
            return id;
        }
        self.push(
            Op::ToDecimal {
                precision: p,
                scale: s,
            },
            vec![id],
            ty,
            false,
            n.span,
        )
    }

    /// `id` converted to `float64` (decimals and numbers).
    fn as_float_node(&mut self, id: NodeId) -> NodeId {
        match self.elem(id) {
            (Elem::Dec(..), opt) => {
                let n = self.node(id).clone();
                let ty = Datashape::new(n.ty.dims, with_option(Scalar::Float64, opt));
                self.push(Op::Cast(Scalar::Float64), vec![id], ty, false, n.span)
            }
            _ => self.coerce(id, Scalar::Float64),
        }
    }

    fn decimal_error(&self, what: &str, a: NodeId, b: NodeId, why: &str, at: Span) -> Diagnostic {
        err(
            "type_error",
            format!(
                "`{what}` {why} (operands are `{}` and `{}`)",
                self.ty(a),
                self.ty(b)
            ),
            at,
        )
    }

    /// A unary function of a decimal; `None` when the operand is no decimal.
    pub(super) fn unary_decimal(
        &mut self,
        f: UnaryFn,
        a: NodeId,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let (Elem::Dec(p, s), opt) = self.elem(a) else {
            return Ok(None);
        };
        let dims = self.ty(a).dims.clone();
        let (arg, m, opt) = match f {
            UnaryFn::Neg | UnaryFn::Pos | UnaryFn::Abs => (a, decimal(p, s), opt),
            UnaryFn::IsNa => (a, Measure::scalar(Scalar::Bool), false),
            UnaryFn::Not
            | UnaryFn::Floor
            | UnaryFn::Ceil
            | UnaryFn::Round
            | UnaryFn::Sign
            | UnaryFn::IsNan
            | UnaryFn::Len
            | UnaryFn::Upper
            | UnaryFn::Lower
            | UnaryFn::Year
            | UnaryFn::Month
            | UnaryFn::Day => {
                return Err(err(
                    "type_error",
                    format!(
                        "`{}` is not defined for decimals, found `{}`; cast to float64 first",
                        f.name(),
                        self.ty(a)
                    ),
                    at,
                ))
            }
            _ => (self.as_float_node(a), Measure::scalar(Scalar::Float64), opt),
        };
        Ok(Some(self.push(
            Op::Unary(f),
            vec![arg],
            Datashape::new(dims, maybe_option(m, opt)),
            false,
            at,
        )))
    }

    /// A binary operation with a decimal operand; `None` when neither is a
    /// decimal.
    pub(super) fn binary_decimal(
        &mut self,
        f: BinaryFn,
        a: NodeId,
        b: NodeId,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let ((ea, oa), (eb, ob)) = (self.elem(a), self.elem(b));
        if !matches!(ea, Elem::Dec(..)) && !matches!(eb, Elem::Dec(..)) {
            return Ok(None);
        }
        let dims = self.broadcast(&[a, b], at)?;
        let opt = oa || ob;
        let what = f.name();
        let float = |e: Elem| matches!(e, Elem::Num(t) if t.kind() == ScalarKind::Float);
        let ok = |e: Elem| {
            matches!(e, Elem::Dec(..) | Elem::Null)
                || matches!(e, Elem::Num(t) if matches!(t.kind(), ScalarKind::Signed | ScalarKind::Unsigned | ScalarKind::Float))
        };
        if !ok(ea) || !ok(eb) {
            return Err(self.decimal_error(
                what,
                a,
                b,
                "combines decimals only with decimals, integers and floats",
                at,
            ));
        }
        if matches!(f, BinaryFn::And | BinaryFn::Or) || f.is_string_fn() {
            return Err(self.decimal_error(what, a, b, "is not defined for decimals", at));
        }
        // With a float, or `/`: everything in float64.
        if float(ea) || float(eb) || matches!(f, BinaryFn::Div) {
            let (x, y) = (self.as_float_node(a), self.as_float_node(b));
            let r = if f.is_comparison() {
                Scalar::Bool
            } else {
                f.result(Scalar::Float64)
                    .map_err(|m| self.decimal_error(what, a, b, &m, at))?
            };
            return Ok(Some(self.push(
                Op::Binary(f),
                vec![x, y],
                Datashape::new(dims, with_option(r, opt)),
                false,
                at,
            )));
        }
        let side = |c: &Self, id: NodeId, e: Elem| match e {
            Elem::Null => None,
            _ => c.as_decimal(id),
        };
        let (da, db) = (side(self, a, ea), side(self, b, eb));
        let (p1, s1) = da.or(db).unwrap_or((1, 0));
        let (p2, s2) = db.or(da).unwrap_or((1, 0));
        let (a, b) = (
            self.as_decimal_node(a, p1, s1),
            self.as_decimal_node(b, p2, s2),
        );
        let m = if f.is_comparison() {
            Measure::scalar(Scalar::Bool)
        } else {
            let (p, s) = match f {
                BinaryFn::Add | BinaryFn::Sub => {
                    let s = s1.max(s2);
                    (
                        p1.saturating_sub(s1)
                            .max(p2.saturating_sub(s2))
                            .saturating_add(s)
                            .saturating_add(1),
                        s,
                    )
                }
                BinaryFn::Mul => (
                    p1.saturating_add(p2).saturating_add(1),
                    s1.saturating_add(s2),
                ),
                _ => {
                    return Err(self.decimal_error(
                        what,
                        a,
                        b,
                        "is not defined for decimals; cast to float64 first",
                        at,
                    ))
                }
            };
            if p > MAX_PRECISION || s > MAX_PRECISION {
                return Err(self.decimal_error(
                    what,
                    a,
                    b,
                    &format!(
                        "needs `decimal[{p}, {s}]`, above the largest precision {MAX_PRECISION}; \
                         cast an operand to a narrower decimal or to float64"
                    ),
                    at,
                ));
            }
            decimal(p, s)
        };
        Ok(Some(self.push(
            Op::Binary(f),
            vec![a, b],
            Datashape::new(dims, maybe_option(m, opt)),
            false,
            at,
        )))
    }

    /// The one decimal type of two branches (`where`, `fillna`), or `None`
    /// when neither is a decimal.
    fn branch_decimal(
        &self,
        x: NodeId,
        y: NodeId,
        what: &str,
        at: Span,
    ) -> Result<Option<(u32, u32)>, Diagnostic> {
        let (ex, ey) = (self.elem(x).0, self.elem(y).0);
        if !matches!(ex, Elem::Dec(..)) && !matches!(ey, Elem::Dec(..)) {
            return Ok(None);
        }
        let side = |id: NodeId, e: Elem| match e {
            Elem::Null => Ok(None),
            _ => self.as_decimal(id).map(Some).ok_or_else(|| {
                self.decimal_error(
                    what,
                    x,
                    y,
                    "takes a decimal with decimals, integers or `na`",
                    at,
                )
            }),
        };
        let (dx, dy) = (side(x, ex)?, side(y, ey)?);
        let (p, s) = match (dx, dy) {
            (Some((p1, s1)), Some((p2, s2))) => common(p1, s1, p2, s2),
            (Some(d), None) | (None, Some(d)) => d,
            (None, None) => return Ok(None),
        };
        if p > MAX_PRECISION {
            return Err(self.decimal_error(
                what,
                x,
                y,
                &format!("needs `decimal[{p}, {s}]`, above the largest precision {MAX_PRECISION}"),
                at,
            ));
        }
        Ok(Some((p, s)))
    }

    /// `where(c, x, y)` with a decimal branch.
    pub(super) fn where_decimal(
        &mut self,
        c: NodeId,
        (x, y): (NodeId, NodeId),
        narrowed: Option<NodeId>,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let Some((p, s)) = self.branch_decimal(x, y, "where", at)? else {
            return Ok(None);
        };
        let dims = self.broadcast(&[c, x, y], at)?;
        let opt = match narrowed {
            Some(other) => self.elem(other).1,
            None => self.elem(x).1 || self.elem(y).1,
        } || self.elem(c).1;
        let (x, y) = (self.as_decimal_node(x, p, s), self.as_decimal_node(y, p, s));
        Ok(Some(self.push(
            Op::Where,
            vec![c, x, y],
            Datashape::new(dims, maybe_option(decimal(p, s), opt)),
            false,
            at,
        )))
    }

    /// `fillna(x, v)` with a decimal.
    pub(super) fn fillna_decimal(
        &mut self,
        x: NodeId,
        v: NodeId,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let Some((p, s)) = self.branch_decimal(x, v, "fillna", at)? else {
            return Ok(None);
        };
        let dims = self.broadcast(&[x, v], at)?;
        let (x, v) = (self.as_decimal_node(x, p, s), self.as_decimal_node(v, p, s));
        Ok(Some(self.push(
            Op::FillNa,
            vec![x, v],
            Datashape::new(dims, decimal(p, s)),
            false,
            at,
        )))
    }

    /// An explicit cast to or from a decimal; `None` when neither the
    /// target nor the operand is one.
    pub(super) fn cast_decimal(
        &mut self,
        x: NodeId,
        target: &Measure,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let (e, opt) = self.elem(x);
        let dims = self.ty(x).dims.clone();
        match (target, e) {
            (Measure::Decimal { precision, scale }, Elem::Dec(..) | Elem::Num(_)) => {
                if *precision > MAX_PRECISION {
                    return Err(err(
                        "type_error",
                        format!("decimals have at most {MAX_PRECISION} digits, found `{target}`"),
                        at,
                    ));
                }
                if let Elem::Num(t) = e {
                    if matches!(t.kind(), ScalarKind::Bool | ScalarKind::Complex) {
                        return Err(err(
                            "type_error",
                            format!("`{}` cannot be cast to a decimal", self.ty(x)),
                            self.span_of(x),
                        ));
                    }
                }
                let ty = Datashape::new(dims, maybe_option(target.clone(), opt));
                Ok(Some(self.push(
                    Op::ToDecimal {
                        precision: *precision,
                        scale: *scale,
                    },
                    vec![x],
                    ty,
                    false,
                    at,
                )))
            }
            (Measure::Decimal { .. }, _) => Err(err(
                "type_error",
                format!(
                    "only numbers and decimals can be cast to `{target}`, found `{}`",
                    self.ty(x)
                ),
                self.span_of(x),
            )),
            (Measure::Scalar { scalar }, Elem::Dec(..)) => {
                if matches!(scalar.kind(), ScalarKind::Bool | ScalarKind::Complex) {
                    return Err(err(
                        "type_error",
                        format!(
                            "a decimal casts to integers and floats, not to `{}`",
                            scalar.name()
                        ),
                        at,
                    ));
                }
                let ty = Datashape::new(dims, with_option(*scalar, opt));
                Ok(Some(self.push(Op::Cast(*scalar), vec![x], ty, false, at)))
            }
            _ => Ok(None),
        }
    }

    /// A reduction of a decimal: `sum` is `decimal[38, s]`, `min` and `max`
    /// keep the type (an option over options), `mean`, `var` and `std`
    /// compute in `float64`, `count` counts. `None` for other operands.
    pub(super) fn reduce_decimal(
        &mut self,
        f: ReduceFn,
        x: NodeId,
        axis: Option<&Expr>,
        keep: Option<&Expr>,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let (Elem::Dec(p, s), opt) = self.elem(x) else {
            return Ok(None);
        };
        let m = match f {
            ReduceFn::Mean | ReduceFn::Var | ReduceFn::Std | ReduceFn::Count => {
                let xf = self.as_float_node(x);
                return self.reduce(f, xf, axis, keep, at).map(Some);
            }
            ReduceFn::Sum => decimal(MAX_PRECISION, s),
            ReduceFn::Min | ReduceFn::Max => decimal(p, s),
            _ => {
                return Err(err(
                    "type_error",
                    format!(
                        "`{}` is not defined for decimals, found `{}`; cast to float64 first",
                        f.name(),
                        self.ty(x)
                    ),
                    at,
                ))
            }
        };
        // The axes and dims are those of the same reduction of a float64
        // operand: reduce a float copy, then make the node reduce `x`.
        let before = self.nodes.len();
        let xf = self.as_float_node(x);
        let r = self.reduce(f, xf, axis, keep, at)?;
        let made = self.nodes.len();
        if made != before + 2 || r.index() != made - 1 || self.node(r).args != [xf] {
            return Err(err(
                "internal",
                "the reduction of a decimal was not built as expected",
                at,
            ));
        }
        let mut node = self.nodes.remove(r.index());
        self.nodes.truncate(before);
        node.args = vec![x];
        node.ty.measure = maybe_option(m, opt && f.can_be_missing());
        Ok(Some(self.push(node.op, node.args, node.ty, false, at)))
    }
}

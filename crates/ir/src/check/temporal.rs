//! Dates and times in operations: comparisons of two values of one kind
//! (`date`, `datetime` with one time zone, `timedelta` with one unit),
//! `date - date` (a `timedelta` in seconds: Arrow's durations have no day
//! unit), `datetime - datetime` (microseconds), `datetime ± timedelta`,
//! `timedelta ± timedelta`, and `year`, `month`, `day` of dates and of
//! datetimes without a time zone or in UTC. Anything else with a date or a
//! time is an error naming both types.

use super::strings::maybe_option;
use super::*;
use blaze_datashape::TimeUnit;

/// The kinds of time value.
#[derive(Clone, Debug, PartialEq)]
enum Moment {
    Date,
    DateTime(Option<String>),
    Delta(TimeUnit),
    /// `time` of day: only compared.
    TimeOfDay(Option<String>),
}

fn time_of(m: &Measure) -> Option<(Moment, bool)> {
    let (m, opt) = match m {
        Measure::Option { inner } => (inner.as_ref(), true),
        m => (m, false),
    };
    let t = match m {
        Measure::Date => Moment::Date,
        Measure::DateTime { tz } => Moment::DateTime(tz.clone()),
        Measure::TimeDelta { unit } => Moment::Delta(*unit),
        Measure::Time { tz } => Moment::TimeOfDay(tz.clone()),
        _ => return None,
    };
    Some((t, opt))
}

fn delta(unit: TimeUnit) -> Measure {
    Measure::TimeDelta { unit }
}

/// Whether a duration of `unit` adds to a datetime (microseconds) exactly.
fn adds_to_datetime(unit: TimeUnit) -> bool {
    matches!(
        unit,
        TimeUnit::Seconds | TimeUnit::Millis | TimeUnit::Micros
    )
}

impl Checker<'_> {
    /// `year`, `month`, `day`, `isna` of a date or time; `None` when the
    /// operand is none and the function no date function.
    pub(super) fn unary_temporal(
        &mut self,
        f: UnaryFn,
        a: NodeId,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let time = time_of(&self.ty(a).measure);
        let Some((t, opt)) = time else {
            if f.is_date_fn() && self.ty(a).measure != Measure::Null {
                return Err(err(
                    "type_error",
                    format!(
                        "`{}` needs dates or datetimes, found `{}`",
                        f.name(),
                        self.ty(a)
                    ),
                    self.span_of(a),
                ));
            }
            return Ok(None);
        };
        let (m, opt) = match (f, &t) {
            (UnaryFn::IsNa, _) => (Measure::scalar(Scalar::Bool), false),
            (UnaryFn::Year | UnaryFn::Month | UnaryFn::Day, Moment::Date) => {
                (Measure::scalar(Scalar::Int64), opt)
            }
            (UnaryFn::Year | UnaryFn::Month | UnaryFn::Day, Moment::DateTime(tz))
                if tz.as_deref().is_none_or(|z| z == "UTC") =>
            {
                (Measure::scalar(Scalar::Int64), opt)
            }
            _ => {
                return Err(err(
                    "type_error",
                    format!(
                        "`{}` is not defined for `{}`",
                        match f {
                            UnaryFn::Neg => "-",
                            UnaryFn::Pos => "+",
                            other => other.name(),
                        },
                        self.ty(a)
                    ),
                    at,
                ))
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

    /// A binary operation with a date or time operand; `None` when neither
    /// is one.
    pub(super) fn binary_temporal(
        &mut self,
        f: BinaryFn,
        a: NodeId,
        b: NodeId,
        at: Span,
    ) -> Result<Option<NodeId>, Diagnostic> {
        let (ta, tb) = (time_of(&self.ty(a).measure), time_of(&self.ty(b).measure));
        if ta.is_none() && tb.is_none() {
            return Ok(None);
        }
        let null = |c: &Self, id: NodeId| c.ty(id).measure == Measure::Null;
        // `na` beside a time value is a missing value of its type.
        let (ta, tb) = match (ta, tb) {
            (Some(x), None) if null(self, b) => {
                let m = self.ty(a).measure.clone();
                self.retype_na(b, plain_measure(&m));
                (Some(x.clone()), Some((x.0, true)))
            }
            (None, Some(y)) if null(self, a) => {
                let m = self.ty(b).measure.clone();
                self.retype_na(a, plain_measure(&m));
                (Some((y.0.clone(), true)), Some(y))
            }
            other => other,
        };
        let bad = |c: &Self, why: &str| {
            err(
                "type_error",
                format!(
                    "`{}` {why}: operands are `{}` and `{}`",
                    f.name(),
                    c.ty(a),
                    c.ty(b)
                ),
                at,
            )
        };
        let (Some((x, ox)), Some((y, oy))) = (ta, tb) else {
            return Err(bad(
                self,
                "cannot combine a date or time with a value of another type",
            ));
        };
        let m = if f.is_comparison() {
            if x != y {
                return Err(bad(
                    self,
                    "compares dates and times of one kind, time zone and unit",
                ));
            }
            Measure::scalar(Scalar::Bool)
        } else {
            match (f, &x, &y) {
                (BinaryFn::Sub, Moment::Date, Moment::Date) => delta(TimeUnit::Seconds),
                (BinaryFn::Sub, Moment::DateTime(p), Moment::DateTime(q)) if p == q => {
                    delta(TimeUnit::Micros)
                }
                (BinaryFn::Add | BinaryFn::Sub, Moment::DateTime(tz), Moment::Delta(u))
                | (BinaryFn::Add, Moment::Delta(u), Moment::DateTime(tz))
                    if adds_to_datetime(*u) =>
                {
                    Measure::DateTime { tz: tz.clone() }
                }
                (BinaryFn::Add | BinaryFn::Sub, Moment::Delta(u), Moment::Delta(v)) if u == v => {
                    delta(*u)
                }
                _ => {
                    return Err(bad(
                        self,
                        "is not defined for these dates and times (a datetime takes a \
                         timedelta in s, ms or us; differences need one kind and time zone)",
                    ))
                }
            }
        };
        let dims = self.broadcast(&[a, b], at)?;
        Ok(Some(self.push(
            Op::Binary(f),
            vec![a, b],
            Datashape::new(dims, maybe_option(m, ox || oy)),
            false,
            at,
        )))
    }
}

fn plain_measure(m: &Measure) -> &Measure {
    match m {
        Measure::Option { inner } => inner,
        m => m,
    }
}

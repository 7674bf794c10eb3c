//! Printing [`Column`]s: nested lists in the style of Python's `repr`
//! (`['GOOG', 'AAPL']`, `[[1.5, 2.0], [], [3.0]]`), records as
//! `{name: value, …}`, decimals with their scale, dates and times in ISO
//! 8601, missing elements as `--` (as dense option arrays print). Long
//! axes keep their first and last three elements around `...`.

use crate::Column;
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};

/// Axes longer than this are summarized.
const LONG: usize = 1000;
/// Elements kept at each end of a summarized axis.
const EDGE: usize = 3;

/// The text of a column.
pub(crate) fn format_column(c: &Column) -> String {
    let mut out = String::new();
    nest(&c.array, &c.shape, 0, &mut out);
    out
}

/// Writes the elements `offset..` of the leading `shape` as nested lists.
fn nest(array: &ArrayRef, shape: &[usize], offset: usize, out: &mut String) {
    let Some((&n, rest)) = shape.split_first() else {
        element(array.as_ref(), offset, out);
        return;
    };
    let stride: usize = rest.iter().product();
    out.push('[');
    for (k, i) in kept(n).into_iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        match i {
            Some(i) => nest(array, rest, offset + i * stride, out),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

/// The positions shown on an axis of length `n` (`None`: the ellipsis).
fn kept(n: usize) -> Vec<Option<usize>> {
    if n > LONG {
        (0..EDGE)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

fn list(values: &ArrayRef, start: usize, end: usize, out: &mut String) {
    out.push('[');
    for (k, i) in kept(end.saturating_sub(start)).into_iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        match i {
            Some(i) => element(values.as_ref(), start + i, out),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

/// Writes element `i` of `a`.
fn element(a: &dyn Array, i: usize, out: &mut String) {
    use std::fmt::Write;
    if i >= a.len() {
        out.push('?');
        return;
    }
    if a.is_null(i) {
        out.push_str("--");
        return;
    }
    macro_rules! prim {
        ($t:ty) => {{
            let _ = write!(out, "{}", a.as_primitive::<$t>().value(i));
        }};
    }
    match a.data_type() {
        DataType::Null => out.push_str("--"),
        DataType::Boolean => out.push_str(if a.as_boolean().value(i) {
            "True"
        } else {
            "False"
        }),
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Float16 => {
            let _ = write!(
                out,
                "{:?}",
                a.as_primitive::<Float16Type>().value(i).to_f64()
            );
        }
        DataType::Float32 => {
            let _ = write!(out, "{:?}", a.as_primitive::<Float32Type>().value(i));
        }
        DataType::Float64 => {
            let _ = write!(out, "{:?}", a.as_primitive::<Float64Type>().value(i));
        }
        DataType::Utf8 => quoted(a.as_string::<i32>().value(i), out),
        DataType::LargeUtf8 => quoted(a.as_string::<i64>().value(i), out),
        DataType::Utf8View => quoted(a.as_string_view().value(i), out),
        DataType::Binary => bytes(a.as_binary::<i32>().value(i), out),
        DataType::LargeBinary => bytes(a.as_binary::<i64>().value(i), out),
        DataType::FixedSizeBinary(_) => {
            let v = a.as_fixed_size_binary().value(i);
            let end = v.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
            match std::str::from_utf8(&v[..end]) {
                Ok(s) => quoted(s, out),
                Err(_) => bytes(v, out),
            }
        }
        DataType::Decimal128(_, s) => {
            out.push_str(&decimal(a.as_primitive::<Decimal128Type>().value(i), *s))
        }
        DataType::Date32 => out.push_str(&date(i64::from(a.as_primitive::<Date32Type>().value(i)))),
        DataType::Date64 => out.push_str(&date(
            a.as_primitive::<Date64Type>()
                .value(i)
                .div_euclid(86_400_000),
        )),
        DataType::Timestamp(unit, _) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(i),
            };
            let (secs, frac) = split_unit(v, *unit);
            let days = secs.div_euclid(86_400);
            let _ = write!(
                out,
                "{}T{}",
                date(days),
                clock(secs.rem_euclid(86_400), frac, *unit)
            );
        }
        DataType::Time64(unit) => {
            let v = match unit {
                TimeUnit::Nanosecond => a.as_primitive::<Time64NanosecondType>().value(i),
                _ => a.as_primitive::<Time64MicrosecondType>().value(i),
            };
            let (secs, frac) = split_unit(v, *unit);
            out.push_str(&clock(secs, frac, *unit));
        }
        DataType::Time32(unit) => {
            let v = i64::from(match unit {
                TimeUnit::Second => a.as_primitive::<Time32SecondType>().value(i),
                _ => a.as_primitive::<Time32MillisecondType>().value(i),
            });
            let (secs, frac) = split_unit(v, *unit);
            out.push_str(&clock(secs, frac, *unit));
        }
        DataType::Duration(unit) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<DurationSecondType>().value(i),
                TimeUnit::Millisecond => a.as_primitive::<DurationMillisecondType>().value(i),
                TimeUnit::Microsecond => a.as_primitive::<DurationMicrosecondType>().value(i),
                TimeUnit::Nanosecond => a.as_primitive::<DurationNanosecondType>().value(i),
            };
            let suffix = match unit {
                TimeUnit::Second => "s",
                TimeUnit::Millisecond => "ms",
                TimeUnit::Microsecond => "us",
                TimeUnit::Nanosecond => "ns",
            };
            let _ = write!(out, "{v} {suffix}");
        }
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            let o = l.value_offsets();
            list(l.values(), o[i] as usize, o[i + 1] as usize, out);
        }
        DataType::LargeList(_) => {
            let l = a.as_list::<i64>();
            let o = l.value_offsets();
            list(l.values(), o[i] as usize, o[i + 1] as usize, out);
        }
        DataType::FixedSizeList(_, n) => {
            let l = a.as_fixed_size_list();
            let n = *n as usize;
            let start = l.value_offset_at(i);
            list(l.values(), start, start + n, out);
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            out.push('{');
            for (k, (f, col)) in fields.iter().zip(s.columns()).enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{}: ", f.name());
                element(col.as_ref(), i, out);
            }
            out.push('}');
        }
        DataType::Dictionary(_, _) => out.push_str("<dictionary>"),
        other => {
            let _ = write!(out, "<{other}>");
        }
    }
}

fn quoted(s: &str, out: &mut String) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

fn bytes(b: &[u8], out: &mut String) {
    out.push_str("b'");
    for &c in b {
        if c.is_ascii_graphic() && c != b'\'' && c != b'\\' || c == b' ' {
            out.push(c as char);
        } else {
            out.push_str(&format!("\\x{c:02x}"));
        }
    }
    out.push('\'');
}

/// A decimal's digits with `scale` of them after the point.
pub(crate) fn decimal(v: i128, scale: i8) -> String {
    let digits = v.unsigned_abs().to_string();
    let sign = if v < 0 { "-" } else { "" };
    if scale <= 0 {
        return format!(
            "{sign}{digits}{}",
            "0".repeat(scale.unsigned_abs() as usize)
        );
    }
    let s = scale as usize;
    let padded = format!("{digits:0>width$}", width = s + 1);
    let (int, frac) = padded.split_at(padded.len() - s);
    format!("{sign}{int}.{frac}")
}

/// `YYYY-MM-DD` of days since 1970-01-01 (proleptic Gregorian calendar).
pub(crate) fn date(days: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// Whole seconds and the fraction in `unit`s of a count of `unit`s.
fn split_unit(v: i64, unit: TimeUnit) -> (i64, i64) {
    let per = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    (v.div_euclid(per), v.rem_euclid(per))
}

fn clock(secs: i64, frac: i64, unit: TimeUnit) -> String {
    let hms = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    match (frac, unit) {
        (0, _) | (_, TimeUnit::Second) => hms,
        (f, TimeUnit::Millisecond) => format!("{hms}.{f:03}"),
        (f, TimeUnit::Microsecond) => format!("{hms}.{f:06}"),
        (f, TimeUnit::Nanosecond) => format!("{hms}.{f:09}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{Float64Builder, ListBuilder};
    use arrow_array::{Date32Array, Decimal128Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn strings_lists_decimals_and_dates() {
        let s = Column::vector(Arc::new(StringArray::from(vec![
            Some("GOOG"),
            None,
            Some("it's"),
        ])));
        assert_eq!(format_column(&s), "['GOOG', --, 'it\\'s']");
        let mut b = ListBuilder::new(Float64Builder::new());
        b.values().append_value(1.5);
        b.values().append_value(2.0);
        b.append(true);
        b.append(true);
        b.values().append_null();
        b.append(true);
        let l = Column::vector(Arc::new(b.finish()));
        assert_eq!(format_column(&l), "[[1.5, 2.0], [], [--]]");
        let d = Decimal128Array::from(vec![12345, -5, 0])
            .with_precision_and_scale(10, 2)
            .unwrap();
        let d = Column::new(vec![3], Arc::new(d)).unwrap();
        assert_eq!(format_column(&d), "[123.45, -0.05, 0.00]");
        let day = Column::scalar(Arc::new(Date32Array::from(vec![19_723]))).unwrap();
        assert_eq!(format_column(&day), "2024-01-01");
        assert_eq!(date(-1), "1969-12-31");
    }

    #[test]
    fn two_fixed_axes_nest() {
        let s = Column::new(
            vec![2, 2],
            Arc::new(StringArray::from(vec!["a", "b", "c", "d"])),
        )
        .unwrap();
        assert_eq!(format_column(&s), "[['a', 'b'], ['c', 'd']]");
    }
}

//! Text cells of the types that are not numbers: decimals parsed exactly
//! into their 128-bit integer of units of `10^-scale`, dates
//! (`YYYY-MM-DD`) as days since 1970-01-01, datetimes (ISO 8601, with an
//! optional offset) as microseconds since 1970-01-01T00:00:00Z. Each error
//! says what is wrong with the text, without the place (the reader adds it).

/// A field type of a text file: a number, or one of the types kept in
/// Arrow's layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// A bool or a number.
    Number(blaze_datashape::Scalar),
    /// A UTF-8 string.
    String,
    /// `decimal[precision, scale]`.
    Decimal(u8, i8),
    /// `date`.
    Date,
    /// `datetime`, with its time zone if written.
    DateTime(Option<String>),
}

/// `text` as a decimal of `precision` digits, `scale` of them after the
/// point: the integer `value * 10^scale`, exactly. More digits after the
/// point than the scale are an error unless they are zeros; so are more
/// digits before it than `precision - scale`.
pub fn parse_decimal(text: &str, precision: u8, scale: i8) -> Result<i128, String> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(format!("`{text}` is not a decimal number"));
    }
    let scale = usize::try_from(scale).map_err(|_| "a negative scale".to_string())?;
    let frac_kept = frac.get(..scale.min(frac.len())).unwrap_or("");
    if frac.len() > scale && frac.bytes().skip(scale).any(|b| b != b'0') {
        return Err(format!(
            "`{text}` has more than {scale} digits after the point (decimal[{precision}, {scale}])"
        ));
    }
    let int = int.trim_start_matches('0');
    if int.len() + scale > usize::from(precision) {
        return Err(format!(
            "`{text}` has more than {} digits before the point (decimal[{precision}, {scale}])",
            usize::from(precision).saturating_sub(scale)
        ));
    }
    let mut v: i128 = 0;
    let pad = scale - frac_kept.len();
    for b in int
        .bytes()
        .chain(frac_kept.bytes())
        .chain(std::iter::repeat_n(b'0', pad))
    {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i128::from(b - b'0')))
            .ok_or_else(|| format!("`{text}` does not fit in 128 bits"))?;
    }
    Ok(if neg { -v } else { v })
}

/// Days from 1970-01-01 to the civil date `y-m-d` (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `text` (`YYYY-MM-DD`) as days since 1970-01-01.
pub fn parse_date(text: &str) -> Result<i32, String> {
    let bad = || format!("`{text}` is not a date (YYYY-MM-DD)");
    let mut parts = text.splitn(3, '-');
    let num = |s: Option<&str>, len: usize| -> Result<i64, String> {
        let s = s.ok_or_else(bad)?;
        if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let (y, m, d) = (
        num(parts.next(), 4)?,
        num(parts.next(), 2)?,
        num(parts.next(), 2)?,
    );
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(format!("`{text}` is not a date of the calendar"));
    }
    i32::try_from(days_from_civil(y, m, d)).map_err(|_| bad())
}

/// `text` (ISO 8601: `YYYY-MM-DDTHH:MM[:SS[.ffffff]]`, `T` or a space,
/// then optionally `Z` or `±HH:MM`) as microseconds since the epoch in UTC;
/// without an offset the time is taken as UTC.
pub fn parse_datetime(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not an ISO 8601 datetime (YYYY-MM-DDTHH:MM:SS)");
    let date = text.get(..10).ok_or_else(bad)?;
    let days = i64::from(parse_date(date).map_err(|_| bad())?);
    let rest = &text[10..];
    let rest = match rest.as_bytes().first() {
        None => "00:00",
        Some(b'T' | b't' | b' ') => &rest[1..],
        _ => return Err(bad()),
    };
    // The offset: `Z`, or a sign after the time.
    let (time, offset_min) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (t, o) = rest.split_at(i);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let o = o[1..].replace(':', "");
        if o.len() != 4 || !o.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let h: i64 = o[..2].parse().map_err(|_| bad())?;
        let m: i64 = o[2..].parse().map_err(|_| bad())?;
        (t, sign * (h * 60 + m))
    } else {
        (rest, 0)
    };
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let fields: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&fields.len())
        || fields
            .iter()
            .any(|f| f.len() != 2 || !f.bytes().all(|b| b.is_ascii_digit()))
        || frac.len() > 9
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let (h, mi) = (num(fields[0])?, num(fields[1])?);
    let s = fields.get(2).map_or(Ok(0), |s| num(s))?;
    if h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    let micros = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
        if frac.len() > 6 && frac[6..].bytes().any(|b| b != b'0') {
            return Err(format!("`{text}` is finer than microseconds"));
        }
        num(&digits)?
    };
    let seconds = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
    seconds
        .checked_mul(1_000_000)
        .and_then(|v| v.checked_add(micros))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal("12.34", 18, 4), Ok(123_400));
        assert_eq!(parse_decimal("-0.5", 3, 1), Ok(-5));
        assert_eq!(parse_decimal("7", 5, 2), Ok(700));
        assert_eq!(parse_decimal("1.2300", 5, 2), Ok(123));
        assert!(parse_decimal("1.234", 5, 2).is_err());
        assert!(parse_decimal("1234", 5, 2).is_err());
        assert!(parse_decimal("1e3", 5, 2).is_err());
        assert!(parse_decimal(".", 5, 2).is_err());
        assert_eq!(
            parse_decimal("99999999999999999999999999999999999999", 38, 0),
            Ok(99_999_999_999_999_999_999_999_999_999_999_999_999)
        );
    }

    #[test]
    fn dates_and_datetimes() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(parse_date("2000-03-01"), Ok(11_017));
        assert_eq!(parse_date("1969-12-31"), Ok(-1));
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-02-30").is_err());
        assert_eq!(parse_date("2024-02-29"), Ok(19_782));
        assert_eq!(parse_datetime("1970-01-01T00:00:01"), Ok(1_000_000));
        assert_eq!(parse_datetime("1970-01-01 00:00:00.25"), Ok(250_000));
        assert_eq!(parse_datetime("1970-01-01T01:00:00+01:00"), Ok(0));
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Ok(0));
        assert!(parse_datetime("1970-01-01X00:00").is_err());
        assert!(parse_datetime("1970-01-01T25:00").is_err());
    }
}

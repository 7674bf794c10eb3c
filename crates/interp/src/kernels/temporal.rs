//! Date and time kernels: days since 1970-01-01 to a proleptic Gregorian
//! (year, month, day), and checked arithmetic of instants and durations.

use blaze_datashape::TimeUnit;

use crate::EvalError;

/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// `(year, month, day)` of the day `days` after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, in `i64` so no day overflows).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The day of a timestamp in microseconds since the epoch (UTC).
pub fn day_of_micros(us: i64) -> i64 {
    us.div_euclid(MICROS_PER_DAY)
}

/// How many microseconds one unit of a duration is, for the units a
/// datetime takes (`s`, `ms`, `us`).
pub fn micros_per(unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Seconds => Some(1_000_000),
        TimeUnit::Millis => Some(1_000),
        TimeUnit::Micros => Some(1),
        _ => None,
    }
}

/// `a + b` or `a - b`, an error naming `what` on overflow.
pub fn add(a: i64, b: i64, subtract: bool, what: &str) -> Result<i64, EvalError> {
    if subtract {
        a.checked_sub(b)
    } else {
        a.checked_add(b)
    }
    .ok_or_else(|| EvalError::Value(format!("{what} overflows 64-bit time")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_to_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
        assert_eq!(day_of_micros(-1), -1);
        assert_eq!(day_of_micros(MICROS_PER_DAY), 1);
        let _ = civil_from_days(i64::from(i32::MIN));
        assert!(add(i64::MAX, 1, false, "x").is_err());
        assert_eq!(micros_per(TimeUnit::Millis), Some(1000));
        assert_eq!(micros_per(TimeUnit::Nanos), None);
    }
}

//! Calendar time for the mock, through `jiff`: the ISO 8601 and display forms of an
//! epoch-millisecond time, and calendar arithmetic (a month is a month, not 30 days).
//! Times are UTC, as FastSpring's epoch fields are.

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// `ms` plus a calendar span, in UTC (clamped to jiff's range).
pub(crate) fn add_span(ms: i64, span: Span) -> i64 {
    let zoned = to_timestamp(ms).to_zoned(TimeZone::UTC);
    match zoned.checked_add(span) {
        Ok(later) => later.timestamp().as_millisecond(),
        Err(_) => Timestamp::MAX.as_millisecond(),
    }
}

/// `ms` plus `length` calendar `unit`s (`day`, `week`, `month`, `year`, any case;
/// anything else counts as days). A month from January 31 is the last day of February.
pub(crate) fn add_interval(ms: i64, unit: &str, length: i64) -> i64 {
    let length = length.clamp(-10_000, 10_000);
    let span = match unit.to_ascii_lowercase().as_str() {
        "week" => Span::new().weeks(length),
        "month" => Span::new().months(length),
        "year" => Span::new().years(length),
        _ => Span::new().days(length),
    };
    add_span(ms, span)
}

/// An ISO 8601 duration such as `P1M`, `P1Y2M`, `PT36H`, `P10D`.
pub(crate) fn parse_duration(text: &str) -> Result<Span, String> {
    text.trim()
        .parse::<Span>()
        .map_err(|e| format!("`{text}` is not an ISO 8601 duration (P1M, P10D, PT1H): {e}"))
}

fn to_timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// The UTC civil date and time of `ms` milliseconds since the epoch (clamped to jiff's range).
fn civil(ms: i64) -> jiff::civil::DateTime {
    to_timestamp(ms).to_zoned(TimeZone::UTC).datetime()
}

/// `2026-12-07T16:11:27.000Z`: milliseconds, UTC, as the checkout-session errors write it.
pub(crate) fn iso_millis(ms: i64) -> String {
    civil(ms).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The UTC calendar date of `ms` (clamped to jiff's range).
pub(crate) fn utc_date(ms: i64) -> jiff::civil::Date {
    TimeZone::UTC.to_datetime(to_timestamp(ms)).date()
}

/// `2026-12-07`: the `…DisplayISO8601` form of `ms`.
pub(crate) fn iso_date(ms: i64) -> String {
    iso_form(utc_date(ms))
}

/// `12/7/26`: the `…Display` form of `ms`.
pub(crate) fn display_date(ms: i64) -> String {
    display_form(utc_date(ms))
}

/// `2026-12-07` for a date, written without `strftime` or `format!` (every renewal
/// writes several).
pub(crate) fn iso_form(date: jiff::civil::Date) -> String {
    let year = i32::from(date.year());
    if !(0..=9999).contains(&year) {
        return date.strftime("%Y-%m-%d").to_string();
    }
    let mut text = String::with_capacity(10);
    push_digits(&mut text, year.unsigned_abs(), 4);
    text.push('-');
    push_digits(&mut text, u32::from(date.month().unsigned_abs()), 2);
    text.push('-');
    push_digits(&mut text, u32::from(date.day().unsigned_abs()), 2);
    text
}

/// `12/7/26` for a date (month and day without padding, two-digit year).
pub(crate) fn display_form(date: jiff::civil::Date) -> String {
    let mut text = String::with_capacity(8);
    push_digits(&mut text, u32::from(date.month().unsigned_abs()), 1);
    text.push('/');
    push_digits(&mut text, u32::from(date.day().unsigned_abs()), 1);
    text.push('/');
    push_digits(
        &mut text,
        i32::from(date.year()).rem_euclid(100).unsigned_abs(),
        2,
    );
    text
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
fn push_digits(text: &mut String, n: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut rest = n;
    while rest > 0 || digits.len() - at < width.max(1) {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    text.extend(digits[at..].iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_utc_as_fastspring_writes_them() {
        // 2024-02-29T23:59:59.123Z: a leap day, one millisecond short of midnight.
        let ms = 1_709_251_199_123;
        assert_eq!(iso_millis(ms), "2024-02-29T23:59:59.123Z");
        assert_eq!(iso_date(ms), "2024-02-29");
        assert_eq!(display_date(ms), "2/29/24");
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(display_date(946_684_800_000), "1/1/00");
        // 2009-12-31: two-digit month and day, a year ending in 09.
        assert_eq!(iso_date(1_262_217_600_000), "2009-12-31");
        assert_eq!(display_date(1_262_217_600_000), "12/31/09");
        assert_eq!(iso_date(-62_167_219_200_000), "0000-01-01");
        // Years outside 0..=9999 keep jiff's own form.
        let before_year_0 = -62_198_841_600_000;
        assert_eq!(
            iso_date(before_year_0),
            civil(before_year_0).strftime("%Y-%m-%d").to_string()
        );
        assert_eq!(
            iso_date(i64::MAX),
            civil(i64::MAX).strftime("%Y-%m-%d").to_string()
        );
    }

    #[test]
    fn months_and_years_are_calendar_months_and_years() {
        let jan31 = 1_706_659_200_000; // 2024-01-31T00:00:00Z
        assert_eq!(iso_date(add_interval(jan31, "month", 1)), "2024-02-29");
        assert_eq!(iso_date(add_interval(jan31, "MONTH", 2)), "2024-03-31");
        assert_eq!(iso_date(add_interval(jan31, "year", 1)), "2025-01-31");
        assert_eq!(iso_date(add_interval(jan31, "week", 1)), "2024-02-07");
        assert_eq!(iso_date(add_interval(jan31, "day", 30)), "2024-03-01");
        let span = parse_duration("P1M").unwrap();
        assert_eq!(iso_date(add_span(jan31, span)), "2024-02-29");
        assert!(parse_duration("one month").is_err());
    }
}

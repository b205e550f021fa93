//! Calendar time for the mock, through `jiff`: the ISO 8601 and display forms of an
//! epoch-millisecond time.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The UTC civil date and time of `ms` milliseconds since the epoch (clamped to jiff's range).
fn civil(ms: i64) -> jiff::civil::DateTime {
    let ts = Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    ts.to_zoned(TimeZone::UTC).datetime()
}

/// `2026-12-07T16:11:27.000Z`: milliseconds, UTC, as the checkout-session errors write it.
pub(crate) fn iso_millis(ms: i64) -> String {
    civil(ms).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `2026-12-07`: the `…DisplayISO8601` form.
pub(crate) fn iso_date(ms: i64) -> String {
    civil(ms).strftime("%Y-%m-%d").to_string()
}

/// `12/7/26`: the `…Display` form (month and day without padding, two-digit year).
pub(crate) fn display_date(ms: i64) -> String {
    let date = civil(ms).date();
    format!(
        "{}/{}/{:02}",
        date.month(),
        date.day(),
        i32::from(date.year()).rem_euclid(100)
    )
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
    }
}

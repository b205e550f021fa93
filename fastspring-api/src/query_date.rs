//! Dates in query parameters (`begin`, `end`, `createdBegin`, …): [`QueryDate`] takes a
//! [`jiff::civil::Date`], a [`jiff::Timestamp`] or text, and each parameter writes it in
//! the form FastSpring reads there ([`DateForm`], decided by the spec).

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// A date for a query parameter such as `begin` or `end`.
///
/// Give a [`jiff::civil::Date`] or a [`jiff::Timestamp`] (both re-exported as
/// `fastspring_api::jiff`), or text, which is sent exactly as given (an escape hatch for
/// a form the typed values do not cover). Each parameter's documentation says how it is
/// sent: FastSpring's date filters read `YYYY-MM-DD` (a timestamp is sent as its UTC
/// date), and the event windows also read epoch milliseconds (a timestamp is sent so,
/// to the millisecond).
///
/// ```
/// use fastspring_api::QueryDate;
/// use fastspring_api::jiff::{Timestamp, civil::date};
///
/// let day: QueryDate = date(2025, 1, 31).into();
/// let instant: QueryDate = Timestamp::from_millisecond(1_738_281_600_000).unwrap().into();
/// let text: QueryDate = "2025-01-31".into();
/// # let _ = (day, instant, text);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryDate {
    /// A calendar date.
    Date(Date),
    /// An instant.
    Timestamp(Timestamp),
    /// Text sent as given.
    Text(String),
}

/// How a query parameter writes a [`QueryDate`] (the generated code passes it; not a
/// stable API).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateForm {
    /// `YYYY-MM-DD`; a timestamp as its UTC date (`format: date`).
    Date,
    /// `YYYY-MM-DD` for a date, epoch milliseconds for a timestamp (`format: date` with
    /// `x-fs-time: epoch-millis`).
    DateOrEpochMillis,
}

impl QueryDate {
    /// The parameter's value as sent in `form`.
    #[doc(hidden)]
    pub fn to_query(&self, form: DateForm) -> String {
        match (self, form) {
            (QueryDate::Date(date), _) => date.to_string(),
            (QueryDate::Timestamp(at), DateForm::Date) => {
                at.to_zoned(TimeZone::UTC).date().to_string()
            }
            (QueryDate::Timestamp(at), DateForm::DateOrEpochMillis) => {
                at.as_millisecond().to_string()
            }
            (QueryDate::Text(text), _) => text.clone(),
        }
    }
}

impl fmt::Display for QueryDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryDate::Date(date) => date.fmt(f),
            QueryDate::Timestamp(at) => at.fmt(f),
            QueryDate::Text(text) => f.write_str(text),
        }
    }
}

impl From<Date> for QueryDate {
    fn from(date: Date) -> Self {
        QueryDate::Date(date)
    }
}

impl From<Timestamp> for QueryDate {
    fn from(at: Timestamp) -> Self {
        QueryDate::Timestamp(at)
    }
}

impl From<&Zoned> for QueryDate {
    /// The instant of a zoned time (a date-only parameter gets its UTC date; for the
    /// date in its own time zone, pass `zoned.date()`).
    fn from(zoned: &Zoned) -> Self {
        QueryDate::Timestamp(zoned.timestamp())
    }
}

impl From<&str> for QueryDate {
    fn from(text: &str) -> Self {
        QueryDate::Text(text.to_string())
    }
}

impl From<String> for QueryDate {
    fn from(text: String) -> Self {
        QueryDate::Text(text)
    }
}

impl From<&String> for QueryDate {
    fn from(text: &String) -> Self {
        QueryDate::Text(text.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn each_form_writes_what_fastspring_reads() {
        let day = QueryDate::from(date(2025, 1, 31));
        // 2025-01-31T23:30:00-05:00 is already February 1st in UTC.
        let late: Zoned = "2025-01-31T23:30:00-05:00[-05:00]".parse().unwrap();
        let instant = QueryDate::from(&late);
        let text = QueryDate::from("1/31/25");
        assert_eq!(day.to_query(DateForm::Date), "2025-01-31");
        assert_eq!(day.to_query(DateForm::DateOrEpochMillis), "2025-01-31");
        assert_eq!(instant.to_query(DateForm::Date), "2025-02-01");
        assert_eq!(
            instant.to_query(DateForm::DateOrEpochMillis),
            "1738384200000"
        );
        assert_eq!(text.to_query(DateForm::Date), "1/31/25");
        assert_eq!(text.to_query(DateForm::DateOrEpochMillis), "1/31/25");
        assert_eq!(
            QueryDate::from(String::from("x")),
            QueryDate::Text("x".into())
        );
    }
}

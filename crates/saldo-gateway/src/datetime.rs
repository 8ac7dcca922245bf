//! Dates and times as banks send them (R17).
//!
//! The gateway mixes forms: `2023-11-08T00:00:00` (no zone: a bank calendar
//! date), `2024-02-05T00:00:00+00:00`, `2023-11-08T14:49:36.924Z`, sometimes a
//! bare `2023-11-08`. A value without a zone is a calendar date/time as the bank
//! meant it and is never shifted into UTC. The original text is kept so a value
//! round-trips byte for byte.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A date-time from the gateway, with or without a UTC offset.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BankDateTime {
    text: String,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Local(NaiveDateTime),
    Offset(DateTime<FixedOffset>),
}

impl BankDateTime {
    /// Parses any of the forms the gateway uses.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let kind = if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            Kind::Offset(dt)
        } else if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
            Kind::Local(dt)
        } else if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Kind::Local(d.and_hms_opt(0, 0, 0).ok_or("invalid date")?)
        } else {
            return Err(format!("not a date-time: {:?}", crate::redact::excerpt(t, 40)));
        };
        Ok(Self { text: t.to_owned(), kind })
    }

    /// A zone-less calendar date at midnight, written like the gateway does
    /// (`2023-11-08T00:00:00`).
    pub fn from_date(date: NaiveDate) -> Self {
        let dt = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        Self { text: dt.format("%Y-%m-%dT%H:%M:%S").to_string(), kind: Kind::Local(dt) }
    }

    /// An instant with an offset, written in RFC 3339.
    pub fn from_instant(dt: DateTime<FixedOffset>) -> Self {
        Self { text: dt.to_rfc3339(), kind: Kind::Offset(dt) }
    }

    /// The calendar date the bank meant: the date part as written, never
    /// converted to another zone.
    pub fn date(&self) -> NaiveDate {
        match self.kind {
            Kind::Local(dt) => dt.date(),
            Kind::Offset(dt) => dt.date_naive(),
        }
    }

    /// The instant, when the value carries an offset.
    pub fn instant(&self) -> Option<DateTime<FixedOffset>> {
        match self.kind {
            Kind::Offset(dt) => Some(dt),
            Kind::Local(_) => None,
        }
    }

    /// The text exactly as received.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for BankDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl fmt::Display for BankDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for BankDateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        BankDateTime::parse(&s).map_err(D::Error::custom)
    }
}

impl Serialize for BankDateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_less_dates_stay_calendar_dates() {
        // R17: "2023-11-07T00:00:00" is 7 November for the bank, whatever our zone.
        let d = BankDateTime::parse("2023-11-07T00:00:00").unwrap();
        assert_eq!(d.date(), NaiveDate::from_ymd_opt(2023, 11, 7).unwrap());
        assert!(d.instant().is_none(), "no zone means no instant");
        let late = BankDateTime::parse("2023-11-07T23:30:00+02:00").unwrap();
        assert_eq!(late.date(), NaiveDate::from_ymd_opt(2023, 11, 7).unwrap(), "date in its own offset, not UTC");
    }

    #[test]
    fn every_form_in_the_seed_parses_and_round_trips() {
        for t in [
            "2023-11-08T14:49:36.924Z",
            "2024-02-05T00:00:00+00:00",
            "2023-11-08T00:00:00",
            "2023-11-08T12:05:10.2977191+00:00",
            "2023-11-08",
            "0001-01-01T00:00:00",
        ] {
            let d = BankDateTime::parse(t).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{t}\""));
        }
        assert!(BankDateTime::parse("yesterday").is_err());
    }
}

//! Line reading and text clean-up shared by the line-based readers.

use std::io::BufRead;

use chrono::{Datelike, NaiveDate};
use saldo_statements::ReadError;

/// The error for a file that could not be read at all (I/O, not content).
pub(crate) fn io_error(e: &std::io::Error) -> ReadError {
    ReadError::file(format!("could not read the file: {e}"))
}

/// Reads the next line into `line` (without its `\n` or `\r\n`), decoded:
/// UTF-8 when the line's bytes are valid UTF-8, else Latin-1 (ISO 8859-1),
/// byte for byte. MT940 and CODA files are ASCII or a Latin-1-like code
/// page in practice; Latin-1 never fails, so a stray byte never rejects a
/// file (a Windows-1250 `ł` shows as `³`, but the amounts and dates — all
/// ASCII — are unaffected). Control characters other than tab (the SOH/ETX
/// transmission markers some banks leave in) are removed. Returns `false`
/// at the end of the input.
pub(crate) fn read_line<R: BufRead>(input: &mut R, buf: &mut Vec<u8>, line: &mut String) -> Result<bool, ReadError> {
    buf.clear();
    line.clear();
    let n = input.read_until(b'\n', buf).map_err(|e| io_error(&e))?;
    if n == 0 {
        return Ok(false);
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    match std::str::from_utf8(buf) {
        Ok(s) => line.extend(s.chars().filter(|c| !c.is_control() || *c == '\t')),
        Err(_) => line.extend(buf.iter().map(|&b| char::from(b)).filter(|c| !c.is_control() || *c == '\t')),
    }
    Ok(true)
}

/// `text` with runs of whitespace collapsed to one space and trimmed;
/// `None` when nothing is left.
pub(crate) fn squeeze(text: &str) -> Option<String> {
    let s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// `text` trimmed; `None` when empty.
pub(crate) fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A calendar date from a two-digit year (`00`–`79` → 20xx, `80`–`99` →
/// 19xx), month and day. A day past the month's end but not past 31 is the
/// month's last day: banks that count interest on 30/360 days write
/// "February 30" for the end of February. Anything else is `None`.
pub(crate) fn date_yy(yy: u32, month: u32, day: u32) -> Option<NaiveDate> {
    let year = if yy < 80 { 2000 + yy } else { 1900 + yy } as i32;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day).or_else(|| last_day_of_month(year, month))
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next =
        if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, month + 1, 1) };
    first_of_next.and_then(|d| d.pred_opt())
}

/// The date with month and day `mmdd` that lies closest to `near` (same
/// year, the year before or the year after): an MT940 entry date has no
/// year, and a value date of 31 December may be booked on 2 January.
pub(crate) fn nearest_date(near: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    let y = near.year();
    [y - 1, y, y + 1]
        .into_iter()
        .filter_map(|year| {
            if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
                return None;
            }
            NaiveDate::from_ymd_opt(year, month, day).or_else(|| last_day_of_month(year, month))
        })
        .min_by_key(|d| (*d - near).num_days().abs())
}

/// Parses `n` ASCII digits as a number; `None` if any is not a digit.
pub(crate) fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// Whether `s` has the shape of a BIC: 4 letters (bank), 2 letters
/// (country), 2 letters or digits (location), optionally 3 more (branch).
pub(crate) fn looks_like_bic(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn february_30_is_the_end_of_february_and_month_13_is_no_date() {
        assert_eq!(date_yy(16, 2, 30), NaiveDate::from_ymd_opt(2016, 2, 29), "30/360 day count (R17)");
        assert_eq!(date_yy(99, 12, 31), NaiveDate::from_ymd_opt(1999, 12, 31), "two-digit year pivot at 80");
        assert_eq!(date_yy(16, 13, 1), None, "month 13 is refused, not clamped");
        assert_eq!(date_yy(16, 2, 32), None, "day 32 is refused, not clamped");
    }

    #[test]
    fn an_entry_date_takes_the_year_nearest_the_value_date() {
        let dec31 = NaiveDate::from_ymd_opt(2019, 12, 31).unwrap_or_default();
        assert_eq!(nearest_date(dec31, 1, 2), NaiveDate::from_ymd_opt(2020, 1, 2), "booked after new year (R17)");
        let jan2 = NaiveDate::from_ymd_opt(2020, 1, 2).unwrap_or_default();
        assert_eq!(nearest_date(jan2, 12, 30), NaiveDate::from_ymd_opt(2019, 12, 30), "booked before new year (R17)");
    }

    #[test]
    fn bics_have_their_shape() {
        assert!(looks_like_bic("KREDBEBB"));
        assert!(looks_like_bic("BYLADEMM001"));
        assert!(!looks_like_bic("12345678"), "a German bank code is not a BIC");
    }
}

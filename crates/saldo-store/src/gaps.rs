//! `gaps`: stretches of an account's history the gateway says may be
//! missing (a transaction it marks `possibleHole`). Recorded by the ingest,
//! shown to the person with the days around them, closed when a later
//! fetch brings the same transaction without the mark.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;

use crate::{Result, Store};

/// A possibly missing stretch of an account's transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The account.
    pub account_id: i64,
    /// The last day known before the hole, when the page showed it.
    pub after: Option<NaiveDate>,
    /// The first day known after the hole: the marked transaction's day.
    pub before: NaiveDate,
}

impl Store {
    /// The open gaps of an account (all accounts with `None`), oldest first.
    pub fn gaps(&self, account_id: Option<i64>) -> Result<Vec<Gap>> {
        let mut st = self.conn.prepare_cached(
            "SELECT account_id, after_date, before_date FROM gaps
             WHERE (?1 IS NULL OR account_id = ?1) ORDER BY account_id, before_date",
        )?;
        let day = |s: Option<String>| s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
        let rows = st
            .query_map([account_id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(account_id, after, before)| {
                Some(Gap { account_id, after: day(after), before: day(Some(before))? })
            })
            .collect())
    }
}

/// Records (or, with `open = false`, closes) the gap before a transaction of
/// `before` inside an ingest transaction.
pub(crate) fn mark(
    tx: &rusqlite::Transaction<'_>,
    account_id: i64,
    after: Option<NaiveDate>,
    before: NaiveDate,
    open: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    if open {
        tx.execute(
            "INSERT INTO gaps (account_id, after_date, before_date, found_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account_id, before_date) DO UPDATE SET after_date = coalesce(excluded.after_date, after_date)",
            params![account_id, after.map(|d| d.to_string()), before.to_string(), now.to_rfc3339()],
        )?;
    } else {
        tx.execute(
            "DELETE FROM gaps WHERE account_id = ?1 AND before_date = ?2",
            params![account_id, before.to_string()],
        )?;
    }
    Ok(())
}

/// A row's place in the gateway's numbering (`gwSequence`) and its day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SeqPoint {
    pub(crate) prefix: u32,
    pub(crate) counter: u64,
    pub(crate) day: NaiveDate,
}

/// The stretches (first day, last day) around jumps in the gateway's
/// numbering: two rows with the same prefix whose counters are not adjacent,
/// with no row between them in `points`.
///
/// The numbering's meaning is not documented; a gateway whose counter is not
/// contiguous per account would show a jump between almost every two rows.
/// So a jump counts only when the numbering is evidently contiguous: at least
/// two in three neighbouring rows (same prefix) step by exactly one. Rows are
/// taken in counter order whatever order the page sent them in.
pub(crate) fn sequence_jumps(points: &mut Vec<SeqPoint>) -> Vec<(NaiveDate, NaiveDate)> {
    points.sort_unstable_by_key(|p| (p.prefix, p.counter));
    points.dedup_by_key(|p| (p.prefix, p.counter));
    let pairs: Vec<(&SeqPoint, &SeqPoint)> =
        points.windows(2).filter(|w| w[0].prefix == w[1].prefix).map(|w| (&w[0], &w[1])).collect();
    let steps = pairs.iter().filter(|(a, b)| b.counter - a.counter == 1).count();
    if pairs.len() < 3 || steps * 3 < pairs.len() * 2 {
        return Vec::new();
    }
    pairs
        .into_iter()
        .filter(|(a, b)| b.counter - a.counter > 1)
        .map(|(a, b)| (a.day.min(b.day), a.day.max(b.day)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(prefix: u32, counter: u64, day: u32) -> SeqPoint {
        SeqPoint { prefix, counter, day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap_or_default() }
    }

    #[test]
    fn a_jump_in_a_contiguous_numbering_is_a_stretch_between_the_two_rows_days() {
        // Newest first, as pages come; counter 13 is missing between the 3rd and the 5th.
        let mut points = vec![p(7, 15, 9), p(7, 14, 8), p(7, 12, 5), p(7, 11, 4), p(7, 10, 3)];
        assert_eq!(sequence_jumps(&mut points), vec![(p(0, 0, 5).day, p(0, 0, 8).day)]);
    }

    #[test]
    fn no_jump_without_evidence_that_the_numbering_is_contiguous() {
        // A counter shared with other accounts: jumps everywhere, no signal.
        let mut spread = vec![p(7, 3, 1), p(7, 9, 2), p(7, 20, 3), p(7, 41, 4), p(7, 42, 5)];
        assert!(sequence_jumps(&mut spread).is_empty());
        // Too few rows to tell.
        assert!(sequence_jumps(&mut vec![p(7, 1, 1), p(7, 5, 2)]).is_empty());
        // A new prefix starts its own numbering: no jump across prefixes.
        let mut days = vec![p(7, 1, 1), p(7, 2, 1), p(7, 3, 1), p(8, 1, 2), p(8, 2, 2)];
        assert!(sequence_jumps(&mut days).is_empty());
        // The same row twice is not a step back.
        let mut twice = vec![p(7, 1, 1), p(7, 2, 1), p(7, 2, 1), p(7, 3, 2), p(7, 4, 2)];
        assert!(sequence_jumps(&mut twice).is_empty());
    }
}

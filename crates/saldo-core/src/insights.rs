//! What the overview shows beyond stored rows: an account's balance over
//! time, rebuilt from its history and anchored on what the bank last said.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_gateway::BalanceType;
use saldo_store::balances::BalanceRow;
use saldo_store::export::DateRange;
use saldo_store::Store;

use crate::Result;

/// An account's headline balances: the best booked one and the best
/// available one of the latest balances per type (see
/// [`BalanceType::headline_rank`]). The one rule for the overview, the
/// totals, the CLI and the exports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Headline<'a> {
    /// The booked balance to show, if the bank sent one.
    pub booked: Option<&'a BalanceRow>,
    /// The available balance to show, if the bank sent one.
    pub available: Option<&'a BalanceRow>,
}

impl<'a> Headline<'a> {
    /// The headline of an account's balances (any order; the latest of
    /// each type, as [`Store::latest_balances`] gives them).
    pub fn of(balances: &'a [BalanceRow]) -> Self {
        let best = |kind: fn(&BalanceType) -> bool| {
            balances
                .iter()
                .filter_map(|b| {
                    let t = BalanceType::from(b.balance_type.as_str());
                    kind(&t).then(|| t.headline_rank()).flatten().map(|r| (r, b))
                })
                .min_by_key(|(r, _)| *r)
                .map(|(_, b)| b)
        };
        Self { booked: best(BalanceType::is_booked), available: best(BalanceType::is_available) }
    }

    /// The one figure for totals: booked, else available, else what the
    /// bank expects (`XPCD`).
    pub fn figure(&self, balances: &'a [BalanceRow]) -> Option<&'a BalanceRow> {
        self.booked
            .or(self.available)
            .or_else(|| balances.iter().find(|b| BalanceType::from(b.balance_type.as_str()) == BalanceType::Xpcd))
    }
}

/// A connection as the overview and `saldo connections` show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionSummary {
    /// The stored connection.
    pub connection: saldo_store::connections::Connection,
    /// The earliest end of its consents in force (RFC 3339 or the bank's text).
    pub consent_valid_until: Option<String>,
    /// When the daily automatic sync will next run it, if it will
    /// ([`crate::sync::next_daily_syncs`]); `None` when the daily sync is off.
    pub next_sync_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Its accounts the bank still returns.
    pub accounts: usize,
    /// Its accounts the bank no longer returns.
    pub disappeared: usize,
}

/// Every connection with what the person needs to know of it.
pub fn connections(
    store: &Store,
    daily_sync_on: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<ConnectionSummary>> {
    let next = if daily_sync_on { crate::sync::next_daily_syncs(store, now)? } else { BTreeMap::new() };
    let accounts = store.accounts(None, true)?;
    let mut out = Vec::new();
    for connection in store.connections()? {
        let consent_valid_until = store
            .consents(connection.id)?
            .into_iter()
            .filter(|k| k.status == saldo_store::states::ConsentStatus::Valid)
            .filter_map(|k| k.valid_until)
            .min();
        let mine = accounts.iter().filter(|a| a.connection_id == connection.id);
        out.push(ConnectionSummary {
            next_sync_at: next.get(&connection.id).copied(),
            consent_valid_until,
            accounts: mine.clone().filter(|a| a.disappeared_at.is_none()).count(),
            disappeared: mine.filter(|a| a.disappeared_at.is_some()).count(),
            connection,
        });
    }
    Ok(out)
}

/// Total of the headline figures of visible, enabled accounts, per currency.
pub fn totals(store: &Store) -> Result<BTreeMap<String, Decimal>> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for o in store.accounts_overview(false)? {
        if !o.account.enabled {
            continue;
        }
        if let Some(b) = Headline::of(&o.balances).figure(&o.balances) {
            *out.entry(b.currency.clone()).or_default() += b.amount;
        }
    }
    Ok(out)
}

/// The day a booked balance closes: closing/interim booked on their
/// reference date (else the day it was fetched), opening booked (start of
/// day) on the day before. Other types close no day.
pub fn closing_day(b: &BalanceRow) -> Option<NaiveDate> {
    let d = b.reference_date.or_else(|| NaiveDate::parse_from_str(b.fetched_at.get(..10)?, "%Y-%m-%d").ok())?;
    match BalanceType::from(b.balance_type.as_str()) {
        BalanceType::Clbd | BalanceType::Itbd => Some(d),
        BalanceType::Opbd => d.pred_opt(),
        _ => None,
    }
}

/// One point of a balance series: the booked balance at the end of a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayBalance {
    /// The calendar day.
    pub date: NaiveDate,
    /// The booked balance when it ended, exact.
    pub amount: Decimal,
}

/// An account's end-of-day booked balance on each day with transactions
/// from `from` on (and on the anchor day), oldest first. The level comes
/// from the latest booked balance the bank reported (in the account's
/// currency): balance at the end of day d = anchor − the net of the days
/// after d up to the anchor (+ the net after the anchor, for days past it).
/// Without a booked balance there is no level to draw and the series is
/// empty.
pub fn balance_series(store: &Store, account_id: i64, from: Option<NaiveDate>) -> Result<Vec<DayBalance>> {
    let Some(account) = store.accounts(None, true)?.into_iter().find(|a| a.id == account_id) else {
        return Err(crate::CoreError::NotFound(format!("there is no account {account_id}")));
    };
    let anchor = store
        .balance_history(account_id)?
        .into_iter()
        .filter(|b| b.currency == account.currency)
        .filter_map(|b| closing_day(&b).map(|d| (d, b.amount)))
        .next_back();
    let Some((anchor_day, anchor_amount)) = anchor else { return Ok(Vec::new()) };
    let days = store.daily_sums(account_id, DateRange { from, to: None })?;
    let upto_anchor: Decimal = days.iter().filter(|(d, _)| *d <= anchor_day).map(|(_, s)| *s).sum();
    let mut balance = anchor_amount - upto_anchor;
    let mut out = Vec::with_capacity(days.len() + 1);
    let mut anchored = false;
    for (date, net) in days {
        if !anchored && date > anchor_day {
            out.push(DayBalance { date: anchor_day, amount: balance });
            anchored = true;
        }
        balance += net;
        anchored |= date == anchor_day;
        out.push(DayBalance { date, amount: balance });
    }
    if !anchored && from.is_none_or(|f| anchor_day >= f) {
        out.push(DayBalance { date: anchor_day, amount: balance });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(t: &str, amount: i64) -> BalanceRow {
        BalanceRow {
            account_id: 1,
            balance_type: t.into(),
            amount: Decimal::new(amount, 2),
            currency: "EUR".into(),
            reference_date: None,
            fetched_at: "2026-11-20T09:30:00Z".into(),
        }
    }

    #[test]
    fn the_headline_is_the_best_booked_and_the_best_available_balance() {
        let all = [b("OPBD", 1), b("ITAV", 2), b("CLBD", 3), b("FWAV", 4), b("XPCD", 5), b("INFO", 6)];
        let h = Headline::of(&all);
        assert_eq!(h.booked.map(|x| x.balance_type.as_str()), Some("CLBD"), "closing booked beats opening booked");
        assert_eq!(h.available.map(|x| x.balance_type.as_str()), Some("ITAV"), "interim available beats forward");
        assert_eq!(h.figure(&all).map(|x| x.amount), Some(Decimal::new(3, 2)), "totals take the booked one");

        let only_available = [b("FWAV", 4), b("XPCD", 5)];
        let h = Headline::of(&only_available);
        assert_eq!(h.booked, None);
        assert_eq!(h.figure(&only_available).map(|x| x.balance_type.as_str()), Some("FWAV"), "else available");
        let only_expected = [b("XPCD", 5), b("INFO", 6)];
        assert_eq!(
            Headline::of(&only_expected).figure(&only_expected).map(|x| x.balance_type.as_str()),
            Some("XPCD"),
            "else what the bank expects; never an information balance"
        );
        let prcd = [b("PRCD", 7), b("INFO", 6)];
        assert_eq!(
            Headline::of(&prcd).booked.map(|x| x.balance_type.as_str()),
            Some("PRCD"),
            "previous closing is booked"
        );
    }
}

//! What the overview shows beyond stored rows: an account's balance over
//! time, rebuilt from its history and anchored on what the bank last said.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_store::balances::BalanceRow;
use saldo_store::export::DateRange;
use saldo_store::Store;

use crate::Result;

/// Booked balance types that close a day on their reference date.
pub const BOOKED: [&str; 2] = ["CLBD", "ITBD"];
/// Available balance types.
pub const AVAILABLE: [&str; 2] = ["CLAV", "ITAV"];

/// The day a booked balance closes: closing/interim booked on their
/// reference date (else the day it was fetched), opening booked (start of
/// day) on the day before. Other types close no day.
pub fn closing_day(b: &BalanceRow) -> Option<NaiveDate> {
    let d = b.reference_date.or_else(|| NaiveDate::parse_from_str(b.fetched_at.get(..10)?, "%Y-%m-%d").ok())?;
    match b.balance_type.as_str() {
        t if BOOKED.contains(&t) => Some(d),
        "OPBD" => d.pred_opt(),
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
        return Err(crate::CoreError::Invalid(format!("there is no account {account_id}")));
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

//! Turning core and store values into the views the UI gets, and the UI's
//! requests into core queries. Pure functions, unit-tested here.

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use saldo_core::connect::Next;
use saldo_core::insights::{ConnectionSummary, Headline};
use saldo_store::queries::{AccountOverview, Cursor, Direction, Sort, TxQuery};

use crate::error::{IpcCode, IpcError, IpcResult};
use crate::views::{AccountView, ConnectionView, CursorView, GapView, Money, Step, TxFilter};

/// A step of the connect flow as the UI shows it.
pub fn step(next: Next) -> Step {
    match next {
        Next::OpenBrowser { flow_id, url, no_callback } => Step::Browser { flow_id, url, no_callback },
        Next::ChooseOption { flow_id, options } => Step::Choose { flow_id, options: options.into_iter().collect() },
        Next::WaitDecoupled { flow_id, message } => Step::Decoupled { flow_id, message },
        Next::AskInput { flow_id, prompt, secret } => Step::Ask { flow_id, prompt, secret },
        Next::Connected { flow_id, connection_id, new_accounts } => {
            Step::Connected { flow_id, connection_id, new_accounts: u32::try_from(new_accounts).unwrap_or(u32::MAX) }
        }
        Next::Failed { flow_id, message } => Step::Failed { flow_id, message },
    }
}

/// A connection row of the overview.
pub fn connection(c: ConnectionSummary) -> ConnectionView {
    ConnectionView {
        id: c.connection.id,
        connector_id: c.connection.connector_id,
        bank_name: c.connection.bank_name,
        country: c.connection.country,
        status: c.connection.status,
        last_sync_at: c.connection.last_sync_at,
        next_sync_at: c.next_sync_at.map(|t| t.to_rfc3339()),
        consent_days_left: c.consent_valid_until.as_deref().and_then(days_left),
        consent_valid_until: c.consent_valid_until,
        accounts: u32::try_from(c.accounts).unwrap_or(u32::MAX),
        disappeared: u32::try_from(c.disappeared).unwrap_or(u32::MAX),
        offline: c.connection.offline,
    }
}

/// An account row of the overview, with its gaps (taken from all of them).
pub fn account(o: &AccountOverview, gaps: &[saldo_store::gaps::Gap]) -> AccountView {
    let Headline { booked, available } = Headline::of(&o.balances);
    let a = &o.account;
    AccountView {
        id: a.id,
        connection_id: a.connection_id,
        bank_name: o.bank_name.clone(),
        name: a.name(),
        iban: a.iban.clone(),
        currency: a.currency.clone(),
        product: a.product.clone(),
        owner: a.owner_name.clone(),
        enabled: a.enabled,
        disappeared: a.disappeared_at.is_some(),
        booked: booked.map(|b| Money { amount: b.amount.to_string(), currency: b.currency.clone() }),
        available: available.map(|b| Money { amount: b.amount.to_string(), currency: b.currency.clone() }),
        as_of: booked.or(available).and_then(|b| b.reference_date).map(|d| d.to_string()),
        gaps: gaps
            .iter()
            .filter(|g| g.account_id == a.id)
            .map(|g| GapView { after: g.after.map(|d| d.to_string()), before: g.before.to_string() })
            .collect(),
    }
}

/// An optional `YYYY-MM-DD` from the UI (empty = none), or a clear error.
pub(crate) fn date(s: &Option<String>, what: &str) -> IpcResult<Option<NaiveDate>> {
    s.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| IpcError::new(IpcCode::Invalid, format!("{what} {s:?} is not a date (YYYY-MM-DD)")))
        })
        .transpose()
}

fn amount(s: &Option<String>, what: &str) -> IpcResult<Option<Decimal>> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.replace(',', ".")
                .parse::<Decimal>()
                .map_err(|_| IpcError::new(IpcCode::Invalid, format!("{what} {s:?} is not an amount")))
        })
        .transpose()
}

/// The store query of a list request.
pub fn query(f: &TxFilter) -> IpcResult<TxQuery> {
    Ok(TxQuery {
        account: f.account,
        from: date(&f.from, "from")?,
        to: date(&f.to, "to")?,
        min: amount(&f.min, "minimum")?,
        max: amount(&f.max, "maximum")?,
        direction: match f.direction.as_deref() {
            Some("in") => Some(Direction::In),
            Some("out") => Some(Direction::Out),
            _ => None,
        },
        text: f.text.clone().filter(|t| !t.trim().is_empty()),
        sort: match f.sort.as_deref() {
            Some("date_asc") => Sort::DateAsc,
            Some("amount_desc") => Sort::AmountDesc,
            Some("amount_asc") => Sort::AmountAsc,
            _ => Sort::DateDesc,
        },
        category: f.category.clone().filter(|c| !c.trim().is_empty()),
        counterparty: f.counterparty.clone().filter(|c| !c.trim().is_empty()),
        uncategorized: f.uncategorized,
        after: f.after.as_ref().map(|c| Cursor { key: c.key.clone(), id: c.id }),
        limit: f.limit.clamp(1, 500),
    })
}

/// A cursor for the UI.
pub fn cursor(c: Cursor) -> CursorView {
    CursorView { key: c.key, id: c.id }
}

/// Days from today until a consent's `valid until` (negative when past).
pub fn days_left(valid_until: &str) -> Option<i64> {
    days_left_at(valid_until, Utc::now())
}

/// Whole days from `now` to the day a consent ends.
pub fn days_left_at(valid_until: &str, now: chrono::DateTime<Utc>) -> Option<i64> {
    let day = valid_until.get(..10).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())?;
    Some((day - now.date_naive()).num_days())
}

/// Everything the bank sent, flattened to `path: value` pairs sorted by
/// path. Numbers keep the exact text the bank sent (R17: no float round trip).
pub fn flatten(raw: &str) -> Vec<(String, String)> {
    use serde_json::value::RawValue;
    use std::collections::BTreeMap;
    fn walk(prefix: &str, v: &RawValue, out: &mut Vec<(String, String)>) {
        let text = v.get().trim();
        if text.starts_with('{') {
            if let Ok(m) = serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(text) {
                for (k, v) in m {
                    let p = if prefix.is_empty() { k } else { format!("{prefix}.{k}") };
                    walk(&p, &v, out);
                }
            }
        } else if text.starts_with('[') {
            if let Ok(a) = serde_json::from_str::<Vec<Box<RawValue>>>(text) {
                for (i, v) in a.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, out);
                }
            }
        } else if text.starts_with('"') {
            out.push((prefix.to_owned(), serde_json::from_str::<String>(text).unwrap_or_default()));
        } else if text != "null" {
            out.push((prefix.to_owned(), text.to_owned()));
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<Box<RawValue>>(raw) {
        walk("", &v, &mut out);
    }
    out
}

/// A transaction as the list shows it.
pub fn tx_view(t: saldo_store::queries::TxRow) -> crate::views::TxView {
    crate::views::TxView {
        id: t.id,
        account_id: t.account_id,
        date: t.booking_date,
        value_date: t.value_date,
        amount: t.amount.to_string(),
        currency: t.currency,
        counterparty: t.counterparty_name,
        counterparty_clean: t.counterparty_clean,
        description: t.description,
        remittance: t.remittance,
        category: t.category,
        category_reason: t.category_reason,
        transfer_id: t.transfer_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_requests_are_checked_and_mapped() {
        let f = TxFilter {
            from: Some("2026-01-01".into()),
            min: Some("-12,50".into()),
            direction: Some("out".into()),
            sort: Some("amount_asc".into()),
            limit: 5000,
            ..TxFilter::default()
        };
        let q = query(&f).unwrap();
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2026, 1, 1));
        assert_eq!(q.min, Some(Decimal::new(-1250, 2)), "a decimal comma is accepted, exactly");
        assert_eq!((q.direction, q.sort, q.limit), (Some(Direction::Out), Sort::AmountAsc, 500));
        let bad = TxFilter { to: Some("yesterday".into()), ..TxFilter::default() };
        assert_eq!(query(&bad).unwrap_err().code, IpcCode::Invalid);
    }

    #[test]
    fn raw_transactions_flatten_to_labelled_fields() {
        let raw = r#"{"amount": 12345678901234567.891, "remittanceInformation": {"unstructured": "<script>x</script>"}, "ids": ["a"], "gone": null}"#;
        assert_eq!(
            flatten(raw),
            vec![
                ("amount".to_owned(), "12345678901234567.891".to_owned()),
                ("ids[0]".to_owned(), "a".to_owned()),
                ("remittanceInformation.unstructured".to_owned(), "<script>x</script>".to_owned()),
            ]
        );
    }
}

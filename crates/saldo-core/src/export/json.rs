//! JSON and JSON Lines, described by the JSON Schemas in `docs/schema/`.
//!
//! Amounts are strings holding the exact decimal (`"-1533.11"`), dates are
//! ISO `YYYY-MM-DD`, and a transaction's `id` is its stable identity (the
//! same in every export of the same data, unique within its account).

use std::io::Write;

use saldo_store::balances::BalanceRow;
use saldo_store::export::ExportTx;
use serde::Serialize;

use super::{AccountInfo, ExportOptions, Writer};
use crate::Result;

/// Version of the documented shape; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

pub struct Json {
    lines: bool,
    header: Header,
    first_account: bool,
    first_tx: bool,
}

#[derive(Serialize)]
struct Header {
    format: &'static str,
    version: u32,
    exported_at: String,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct AccountOut<'a> {
    id: i64,
    connection_id: i64,
    bank: &'a str,
    connector_id: i64,
    gateway_account_id: &'a str,
    name: &'a str,
    iban: Option<&'a str>,
    description: Option<&'a str>,
    product: Option<&'a str>,
    owner: Option<&'a str>,
    bic: Option<&'a str>,
    cash_account_type: Option<&'a str>,
    currency: &'a str,
    enabled: bool,
    disappeared_at: Option<&'a str>,
}

impl<'a> AccountOut<'a> {
    fn of(a: &'a AccountInfo) -> Self {
        let acc = &a.account;
        Self {
            id: acc.id,
            connection_id: acc.connection_id,
            bank: &a.bank_name,
            connector_id: a.connector_id,
            gateway_account_id: &acc.gateway_id,
            name: &a.label,
            iban: acc.iban.as_deref(),
            description: acc.description.as_deref(),
            product: acc.product.as_deref(),
            owner: acc.owner_name.as_deref(),
            bic: acc.bic.as_deref(),
            cash_account_type: acc.cash_account_type.as_deref(),
            currency: &acc.currency,
            enabled: acc.enabled,
            disappeared_at: acc.disappeared_at.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct BalanceOut<'a> {
    balance_type: &'a str,
    amount: String,
    currency: &'a str,
    reference_date: Option<String>,
    fetched_at: &'a str,
}

impl<'a> BalanceOut<'a> {
    fn of(b: &'a BalanceRow) -> Self {
        Self {
            balance_type: &b.balance_type,
            amount: b.amount.to_string(),
            currency: &b.currency,
            reference_date: b.reference_date.map(|d| d.to_string()),
            fetched_at: &b.fetched_at,
        }
    }
}

/// A value written as its `Display` text, without an intermediate string.
fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// [`display`] for an optional value (`null` when absent).
fn display_opt<T: std::fmt::Display, S: serde::Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

#[derive(Serialize)]
struct TxOut<'a> {
    id: &'a str,
    account_id: i64,
    bank_id: Option<&'a str>,
    #[serde(serialize_with = "display")]
    booking_date: chrono::NaiveDate,
    #[serde(serialize_with = "display_opt")]
    value_date: Option<chrono::NaiveDate>,
    #[serde(serialize_with = "display")]
    amount: rust_decimal::Decimal,
    currency: &'a str,
    counterparty_name: Option<&'a str>,
    counterparty_account: Option<&'a str>,
    counterparty_bic: Option<&'a str>,
    description: Option<&'a str>,
    remittance: Option<&'a str>,
    creditor_reference: Option<&'a str>,
    bank_transaction_code: Option<&'a str>,
    category: Option<&'a str>,
    counterparty_clean: Option<&'a str>,
    transfer_id: Option<i64>,
}

impl<'a> TxOut<'a> {
    fn of(account_id: i64, t: &'a ExportTx) -> Self {
        Self {
            id: &t.identity,
            account_id,
            bank_id: t.bank_id.as_deref(),
            booking_date: t.booking_date,
            value_date: t.value_date,
            amount: t.amount,
            currency: &t.currency,
            counterparty_name: t.counterparty_name.as_deref(),
            counterparty_account: t.counterparty_account.as_deref(),
            counterparty_bic: t.counterparty_bic.as_deref(),
            description: t.description.as_deref(),
            remittance: t.remittance.as_deref(),
            creditor_reference: t.creditor_reference.as_deref(),
            bank_transaction_code: t.bank_transaction_code.as_deref(),
            category: t.category.as_ref().map(|(path, _)| path.as_str()),
            counterparty_clean: t.counterparty_clean.as_deref(),
            transfer_id: t.transfer.map(|x| x.id),
        }
    }
}

/// A JSON Lines record: the object with a `type` tag in front.
#[derive(Serialize)]
struct Tagged<T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    inner: T,
}

#[derive(Serialize)]
struct WithAccount<T: Serialize> {
    account_id: i64,
    #[serde(flatten)]
    inner: T,
}

impl Json {
    fn new(lines: bool, opts: &ExportOptions) -> Self {
        Self {
            lines,
            header: Header {
                format: "saldo-export",
                version: SCHEMA_VERSION,
                exported_at: opts.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                from: opts.range.from.map(|d| d.to_string()),
                to: opts.range.to.map(|d| d.to_string()),
            },
            first_account: true,
            first_tx: true,
        }
    }

    /// One document (`format: json`).
    pub fn document(opts: &ExportOptions) -> Self {
        Self::new(false, opts)
    }

    /// One record per line (`format: jsonl`).
    pub fn lines(opts: &ExportOptions) -> Self {
        Self::new(true, opts)
    }
}

fn line<T: Serialize>(out: &mut dyn Write, kind: &'static str, inner: T) -> Result<()> {
    serde_json::to_writer(&mut *out, &Tagged { kind, inner }).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

impl Writer for Json {
    fn begin(&mut self, out: &mut dyn Write, _: &[AccountInfo]) -> Result<()> {
        if self.lines {
            return line(out, "export", &self.header);
        }
        let head = serde_json::to_string(&self.header).map_err(std::io::Error::from)?;
        // Open the header object again to append the accounts array.
        write!(out, "{},\"accounts\":[", head.strip_suffix('}').unwrap_or(&head))?;
        Ok(())
    }

    fn account(&mut self, out: &mut dyn Write, a: &AccountInfo) -> Result<()> {
        if self.lines {
            line(out, "account", AccountOut::of(a))?;
            for b in &a.history {
                line(out, "balance", WithAccount { account_id: a.account.id, inner: BalanceOut::of(b) })?;
            }
            return Ok(());
        }
        if !self.first_account {
            out.write_all(b",")?;
        }
        self.first_account = false;
        self.first_tx = true;
        let acc = serde_json::to_string(&AccountOut::of(a)).map_err(std::io::Error::from)?;
        let balances: Vec<BalanceOut<'_>> = a.history.iter().map(BalanceOut::of).collect();
        let balances = serde_json::to_string(&balances).map_err(std::io::Error::from)?;
        write!(out, "\n{},\"balances\":{balances},\"transactions\":[", acc.strip_suffix('}').unwrap_or(&acc))?;
        Ok(())
    }

    fn transaction(&mut self, out: &mut dyn Write, a: &AccountInfo, t: &ExportTx) -> Result<()> {
        if self.lines {
            return line(out, "transaction", TxOut::of(a.account.id, t));
        }
        out.write_all(if self.first_tx { b"\n" } else { b",\n" })?;
        self.first_tx = false;
        serde_json::to_writer(&mut *out, &TxOut::of(a.account.id, t)).map_err(std::io::Error::from)?;
        Ok(())
    }

    fn account_end(&mut self, out: &mut dyn Write, _: &AccountInfo) -> Result<()> {
        if !self.lines {
            out.write_all(b"]}")?;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write) -> Result<()> {
        if !self.lines {
            out.write_all(b"\n]}\n")?;
        }
        Ok(())
    }
}

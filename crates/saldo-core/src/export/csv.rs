//! CSV (RFC 4180): UTF-8, CRLF line ends, one header row, one row per
//! transaction.
//!
//! Columns: `date, value_date, amount, currency, counterparty,
//! counterparty_account, description, remittance, bank_id,
//! bank_transaction_code, account_iban, account_name, bank, transaction_id,
//! category, counterparty_clean, transfer_id` (the last three: Saldo's
//! category path, the clean counterparty name, and the id both legs of a
//! transfer between own accounts share).
//! `amount` is the exact decimal with a `.` point and the currency's
//! decimals (`-1533.11`, `1200`, `1.234`), never quoted or altered: it always
//! matches `-?[0-9]+(\.[0-9]+)?`, which spreadsheets read as a number, never
//! as a formula. Text cells that start with `=`, `+`, `-`, `@`, a tab or a
//! carriage return get a leading `'` so a spreadsheet shows them as text
//! instead of evaluating them (formula injection). Cells holding `,`, `"`,
//! or a line break are quoted, with `"` doubled.

use std::io::Write;

use saldo_store::export::ExportTx;

use super::{AccountInfo, Writer};
use crate::Result;

pub struct Csv;

/// The header row.
pub const HEADER: &str = "date,value_date,amount,currency,counterparty,counterparty_account,description,remittance,bank_id,bank_transaction_code,account_iban,account_name,bank,transaction_id,category,counterparty_clean,transfer_id";

/// A text cell, neutralised and quoted as needed.
pub fn cell(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(cell).unwrap_or_default()
}

impl Writer for Csv {
    fn begin(&mut self, out: &mut dyn Write, _: &[AccountInfo]) -> Result<()> {
        write!(out, "{HEADER}\r\n")?;
        Ok(())
    }

    fn account(&mut self, _: &mut dyn Write, _: &AccountInfo) -> Result<()> {
        Ok(())
    }

    fn transaction(&mut self, out: &mut dyn Write, a: &AccountInfo, t: &ExportTx) -> Result<()> {
        write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            t.booking_date,
            t.value_date.map(|d| d.to_string()).unwrap_or_default(),
            t.amount,
            cell(&t.currency),
            opt(&t.counterparty_name),
            opt(&t.counterparty_account),
            opt(&t.description),
            opt(&t.remittance),
            opt(&t.bank_id),
            opt(&t.bank_transaction_code),
            opt(&a.account.iban),
            cell(&a.label),
            cell(&a.bank_name),
            cell(&t.identity),
            t.category.as_ref().map(|(path, _)| cell(path)).unwrap_or_default(),
            opt(&t.counterparty_clean),
            t.transfer.map(|x| x.id.to_string()).unwrap_or_default(),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formula_cells_are_neutralised_and_special_characters_quoted() {
        assert_eq!(
            cell("=HYPERLINK(\"http://evil.example\",\"click\")"),
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\""
        );
        assert_eq!(cell("+31 20 555 0100"), "'+31 20 555 0100");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1:A9)"), "'@SUM(A1:A9)");
        assert_eq!(cell("\t=1+1"), "'\t=1+1");
        assert_eq!(cell("line one\nline two"), "\"line one\nline two\"", "line breaks stay inside a quoted cell");
        assert_eq!(cell("plain text"), "plain text");
    }
}

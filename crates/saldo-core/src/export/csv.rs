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

/// The header row.
pub const HEADER: &str = "date,value_date,amount,currency,counterparty,counterparty_account,description,remittance,bank_id,bank_transaction_code,account_iban,account_name,bank,transaction_id,category,counterparty_clean,transfer_id";

/// The CSV writer; the account's own cells are written once per account.
#[derive(Default)]
pub struct Csv {
    /// `account_iban,account_name,bank` of the account being written.
    account_cells: Option<(i64, String)>,
}

/// A text cell, neutralised and quoted as needed.
pub fn cell(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    // Writing into a Vec cannot fail.
    let _ = write_cell(&mut out, s);
    String::from_utf8(out).unwrap_or_default()
}

/// [`cell`] written straight to `out` (no allocation when nothing needs quoting).
fn write_cell(out: &mut dyn Write, s: &str) -> std::io::Result<()> {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = s.contains([',', '"', '\n', '\r']);
    if quote {
        out.write_all(b"\"")?;
    }
    if formula {
        out.write_all(b"'")?;
    }
    if quote {
        for (i, part) in s.split('"').enumerate() {
            if i > 0 {
                out.write_all(b"\"\"")?;
            }
            out.write_all(part.as_bytes())?;
        }
        out.write_all(b"\"")
    } else {
        out.write_all(s.as_bytes())
    }
}

/// An optional text cell, then the separator.
fn opt(out: &mut dyn Write, s: Option<&str>) -> std::io::Result<()> {
    if let Some(s) = s {
        write_cell(out, s)?;
    }
    out.write_all(b",")
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
        if self.account_cells.as_ref().is_none_or(|(id, _)| *id != a.account.id) {
            let mut cells = a.account.iban.as_deref().map(cell).unwrap_or_default();
            cells.push(',');
            cells.push_str(&cell(&a.label));
            cells.push(',');
            cells.push_str(&cell(&a.bank_name));
            cells.push(',');
            self.account_cells = Some((a.account.id, cells));
        }
        write!(out, "{},", t.booking_date)?;
        if let Some(d) = t.value_date {
            write!(out, "{d}")?;
        }
        write!(out, ",{},", t.amount)?;
        opt(out, Some(&t.currency))?;
        opt(out, t.counterparty_name.as_deref())?;
        opt(out, t.counterparty_account.as_deref())?;
        opt(out, t.description.as_deref())?;
        opt(out, t.remittance.as_deref())?;
        opt(out, t.bank_id.as_deref())?;
        opt(out, t.bank_transaction_code.as_deref())?;
        if let Some((_, cells)) = &self.account_cells {
            out.write_all(cells.as_bytes())?;
        }
        opt(out, Some(&t.identity))?;
        opt(out, t.category.as_ref().map(|(path, _)| path.as_str()))?;
        opt(out, t.counterparty_clean.as_deref())?;
        if let Some(x) = t.transfer {
            write!(out, "{}", x.id)?;
        }
        out.write_all(b"\r\n")?;
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

//! QIF (Quicken Interchange Format): per account an `!Account` header (name,
//! type `Bank`, or `CCard` for card accounts) followed by its transactions.
//!
//! Dates are `MM/DD/YYYY` (Quicken's US form, which GnuCash, quiffen and most
//! readers accept by default); amounts are the exact decimal with a `.`
//! point and no thousands separators. Fields are one line each, so line
//! breaks inside text become spaces; a field's first character is its code,
//! so no text can start a record of its own. Each row's category is its
//! `L` line (`Food:Groceries`); a leg of a transfer between two exported
//! accounts names the other account instead (`L[Bank Account #2]`).

use std::io::Write;

use saldo_store::export::ExportTx;

use super::text::one_line;
use super::{AccountInfo, Writer};
use crate::Result;

#[derive(Default)]
pub struct Qif {
    /// Account id → its name in the file.
    names: std::collections::BTreeMap<i64, String>,
}

fn kind(a: &AccountInfo) -> &'static str {
    if a.account.cash_account_type.as_deref() == Some("CARD") {
        "CCard"
    } else {
        "Bank"
    }
}

/// The account's name in the file: unique, one line.
pub fn account_name(a: &AccountInfo) -> String {
    one_line(&format!("{} {} #{}", a.bank_name, a.label, a.account.id))
}

impl Writer for Qif {
    fn begin(&mut self, out: &mut dyn Write, accounts: &[AccountInfo]) -> Result<()> {
        self.names = accounts.iter().map(|a| (a.account.id, account_name(a))).collect();
        out.write_all(b"!Option:AutoSwitch\n")?;
        Ok(())
    }

    fn account(&mut self, out: &mut dyn Write, a: &AccountInfo) -> Result<()> {
        let kind = kind(a);
        write!(out, "!Account\nN{}\nT{kind}\n", account_name(a))?;
        if let Some(iban) = &a.account.iban {
            writeln!(out, "D{}", one_line(iban))?;
        }
        out.write_all(b"^\n")?;
        // A type header with no records after it trips readers (quiffen).
        if a.span.count > 0 {
            writeln!(out, "!Type:{kind}")?;
        }
        Ok(())
    }

    fn transaction(&mut self, out: &mut dyn Write, _: &AccountInfo, t: &ExportTx) -> Result<()> {
        write!(out, "D{}\nT{}\n", t.booking_date.format("%m/%d/%Y"), t.amount)?;
        if let Some(p) = t.counterparty_name.as_deref().map(one_line).filter(|p| !p.is_empty()) {
            writeln!(out, "P{p}")?;
        }
        let memo = [t.description.as_deref(), t.remittance.as_deref()]
            .into_iter()
            .flatten()
            .map(one_line)
            .filter(|m| !m.is_empty())
            .collect::<Vec<_>>();
        let memo = if memo.len() == 2 && memo[0] == memo[1] { memo[..1].join("") } else { memo.join(" / ") };
        if !memo.is_empty() {
            writeln!(out, "M{memo}")?;
        }
        if let Some(n) = t.bank_id.as_deref().map(one_line).filter(|n| !n.is_empty()) {
            writeln!(out, "N{n}")?;
        }
        let other = t.transfer.and_then(|x| x.other_account).and_then(|a| self.names.get(&a));
        match (other, &t.category) {
            (Some(name), _) => writeln!(out, "L[{}]", name.replace([']', '['], ""))?,
            (None, Some((path, _))) => writeln!(out, "L{}", one_line(&path.replace('/', ":")).replace(['[', ']'], ""))?,
            (None, None) => {}
        }
        out.write_all(b"^\n")?;
        Ok(())
    }
}

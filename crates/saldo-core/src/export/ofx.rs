//! OFX 2.2 (XML) bank statements: one `STMTTRNRS`/`STMTRS` per account,
//! `LEDGERBAL` from the bank's latest booked balance and `AVAILBAL` from its
//! latest available balance.
//!
//! Field rules (OFX 2.2 spec, enforced by strict readers such as ofxtools):
//! `FITID` is the transaction's stable identity (hashed when longer than 255
//! characters), so re-importing an overlapping export creates no duplicates;
//! `NAME` holds the counterparty (or description) cut to 32 characters and
//! `MEMO` the remittance (or description) cut to 255; `ACCTID` (22 characters
//! at most) is the IBAN, or its BBAN part, or its last 22 characters; `BANKID`
//! is the BIC's bank code or the connector id. Dates are calendar dates
//! written at 12:00 UTC so no reader's time zone moves them to another day.
//! When the bank reported no booked balance, `LEDGERBAL` is the sum of the
//! exported history (marked in a comment).

use std::io::Write;

use rust_decimal::Decimal;
use saldo_store::export::ExportTx;
use sha2::{Digest, Sha256};

use super::text::{one_line, truncate, xml};
use super::{AccountInfo, ExportOptions, Writer};
use crate::Result;

pub struct Ofx {
    server_time: String,
    today: chrono::NaiveDate,
    opened: bool,
    sum: Decimal,
    trnuid: u64,
}

impl Ofx {
    pub fn new(opts: &ExportOptions) -> Self {
        Self {
            server_time: opts.now.format("%Y%m%d%H%M%S.000[0:UTC]").to_string(),
            today: opts.now.date_naive(),
            opened: false,
            sum: Decimal::ZERO,
            trnuid: 0,
        }
    }
}

fn day(d: chrono::NaiveDate) -> String {
    d.format("%Y%m%d120000.000[0:UTC]").to_string()
}

/// `ACCTID`: at most 22 characters.
pub fn account_id(a: &AccountInfo) -> String {
    let id = a.account.iban.as_deref().unwrap_or(&a.account.gateway_id);
    let id: String = id.chars().filter(|c| !c.is_whitespace()).collect();
    if id.chars().count() <= 22 {
        return id;
    }
    let bban: String = id.chars().skip(4).collect();
    if a.account.iban.is_some() && bban.chars().count() <= 22 {
        return bban;
    }
    let n = id.chars().count();
    id.chars().skip(n - 22).collect()
}

/// `BANKID`: at most 9 characters.
fn bank_id(a: &AccountInfo) -> String {
    match a.account.bic.as_deref() {
        Some(bic) if bic.len() >= 4 => truncate(bic, 4).to_owned(),
        _ => a.connector_id.to_string(),
    }
}

/// `FITID`: the stable identity, at most 255 characters.
pub fn fitid(identity: &str) -> String {
    if identity.chars().count() <= 255 {
        return identity.to_owned();
    }
    format!("h:{}", hex(&Sha256::digest(identity.as_bytes())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn account_type(a: &AccountInfo) -> &'static str {
    match a.account.cash_account_type.as_deref() {
        Some("SVGS") => "SAVINGS",
        Some("CARD") | Some("LOAN") => "CREDITLINE",
        _ => "CHECKING",
    }
}

fn text(s: &str, max: usize) -> String {
    xml(truncate(&one_line(s), max))
}

impl Writer for Ofx {
    fn begin(&mut self, out: &mut dyn Write, accounts: &[AccountInfo]) -> Result<()> {
        write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
             <?OFX OFXHEADER=\"200\" VERSION=\"220\" SECURITY=\"NONE\" OLDFILEUID=\"NONE\" NEWFILEUID=\"NONE\"?>\n\
             <OFX>\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>\
             <DTSERVER>{}</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>\n",
            self.server_time
        )?;
        if !accounts.is_empty() {
            out.write_all(b"<BANKMSGSRSV1>\n")?;
            self.opened = true;
        }
        Ok(())
    }

    fn account(&mut self, out: &mut dyn Write, a: &AccountInfo) -> Result<()> {
        self.trnuid += 1;
        self.sum = Decimal::ZERO;
        let start = a.span.first.or(a.booked.as_ref().map(|b| b.1)).unwrap_or(self.today);
        let end = a.span.last.unwrap_or(start);
        write!(
            out,
            "<STMTTRNRS><TRNUID>{}</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>\n\
             <STMTRS><CURDEF>{}</CURDEF>\n<BANKACCTFROM><BANKID>{}</BANKID><ACCTID>{}</ACCTID><ACCTTYPE>{}</ACCTTYPE></BANKACCTFROM>\n\
             <BANKTRANLIST><DTSTART>{}</DTSTART><DTEND>{}</DTEND>\n",
            self.trnuid,
            xml(&a.account.currency),
            xml(&bank_id(a)),
            xml(&account_id(a)),
            account_type(a),
            day(start),
            day(end.max(start)),
        )?;
        Ok(())
    }

    fn transaction(&mut self, out: &mut dyn Write, _: &AccountInfo, t: &ExportTx) -> Result<()> {
        self.sum += t.amount;
        let kind = if t.amount.is_sign_negative() && !t.amount.is_zero() { "DEBIT" } else { "CREDIT" };
        write!(out, "<STMTTRN><TRNTYPE>{kind}</TRNTYPE><DTPOSTED>{}</DTPOSTED>", day(t.booking_date))?;
        if let Some(v) = t.value_date {
            write!(out, "<DTUSER>{}</DTUSER>", day(v))?;
        }
        write!(out, "<TRNAMT>{}</TRNAMT><FITID>{}</FITID>", t.amount, xml(&fitid(&t.identity)))?;
        let name = t.counterparty_name.as_deref().or(t.description.as_deref()).map(|s| text(s, 32));
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            write!(out, "<NAME>{n}</NAME>")?;
        }
        let memo = t.remittance.as_deref().or(t.description.as_deref()).map(|s| text(s, 255));
        if let Some(m) = memo.filter(|m| !m.is_empty()) {
            write!(out, "<MEMO>{m}</MEMO>")?;
        }
        out.write_all(b"</STMTTRN>\n")?;
        Ok(())
    }

    fn account_end(&mut self, out: &mut dyn Write, a: &AccountInfo) -> Result<()> {
        out.write_all(b"</BANKTRANLIST>\n")?;
        match &a.booked {
            Some((b, date)) => {
                writeln!(out, "<LEDGERBAL><BALAMT>{}</BALAMT><DTASOF>{}</DTASOF></LEDGERBAL>", b.amount, day(*date))?
            }
            None => write!(
                out,
                "<!-- no booked balance from the bank: sum of the exported history -->\n\
                 <LEDGERBAL><BALAMT>{}</BALAMT><DTASOF>{}</DTASOF></LEDGERBAL>\n",
                self.sum,
                day(a.span.last.unwrap_or(self.today))
            )?,
        }
        if let Some(b) = &a.available {
            let date = b.reference_date.or(a.span.last).unwrap_or(self.today);
            writeln!(out, "<AVAILBAL><BALAMT>{}</BALAMT><DTASOF>{}</DTASOF></AVAILBAL>", b.amount, day(date))?;
        }
        out.write_all(b"</STMTRS></STMTTRNRS>\n")?;
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write) -> Result<()> {
        if self.opened {
            out.write_all(b"</BANKMSGSRSV1>\n")?;
        }
        out.write_all(b"</OFX>\n")?;
        Ok(())
    }
}

//! Belgian CODA 2.x (Febelfin's "coded statement of account"): fixed-width
//! records of 128 characters, read one line at a time. A record cut short
//! (trailing blanks stripped by some tool) reads as if padded with blanks;
//! a required field that is missing or not a number refuses the file with
//! its line.
//!
//! Records:
//! - `0` header: must come first; version (position 128) must be `2`.
//! - `1` old balance — starts a statement: account by structure code
//!   (`0` Belgian BBAN, `1` foreign number, `2` Belgian IBAN, `3` foreign
//!   IBAN), currency, sign (`0` credit, `1` debit), 15 digits with 3 implied
//!   decimals (kept exactly: `767.823` stays `767.823`), date, holder's
//!   name, account description; the paper statement number is the id.
//! - `21` movement: sequence and detail number, bank reference (dropped),
//!   sign and amount, value date (`000000` = none), transaction code (8
//!   digits, as written), communication — structured type `101`/`102`
//!   (Belgian OGM-VCS) formatted as `+++ddd/dddd/ddddd+++` →
//!   structured_reference, other structured types and free text →
//!   remittance — entry date (the booking date). The bank reference of the
//!   entry is `<statement number>/<sequence number>` ("CODA sequence"),
//!   unique within the account.
//! - `22` more communication, counterparty BIC; `23` counterparty account
//!   (IBAN compacted, else as written), name, rest of the communication.
//!   The communication's pieces are joined without a separator (CODA cuts
//!   them at fixed widths, mid-word).
//! - `31`/`32`/`33` information about the movement they follow: a
//!   structured type `001` gives the counterparty's name (when the movement
//!   has none); the address that follows is dropped (no place for it);
//!   free text is appended to the remittance.
//! - `4` free message (dropped: not about an entry), `8` new balance —
//!   ends the statement — and `9` trailer (its totals are not checked: the
//!   anonymised corpus files do not add up).
//!
//! Globalisation (batches): a movement with detail number `0000` is one
//! entry with its own (global) amount. Movements with a detail number above
//! `0000` under the same sequence number are the details of a global
//! movement (globalisation code `1` on the global record): they are
//! information, never entries — counting them as well would count the batch
//! twice — and their amounts, communication and counterparties (and the
//! information records that follow them) are dropped. A detail with no
//! global movement before it is kept as an entry, so no money is lost.

use std::io::BufRead;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::VecDeque;

use saldo_statements::{compact_iban, AccountRef, Balance, Entry, Format, Item, ItemSource, ReadError, Statement};

use crate::text::{date_yy, digits, non_empty, read_line, squeeze};

/// Reads a Belgian CODA 2.x file: one [`Statement`] per old balance
/// (record `1`) … new balance (record `8`). A file that does not start with
/// a header record, a record outside a statement, or a field that cannot
/// be read is refused with its line.
pub fn read_coda<R: BufRead>(input: R) -> Result<Vec<Statement>, ReadError> {
    saldo_statements::collect(coda_items(input))
}

/// Reads a CODA file as a stream of [`Item`]s (see [`read_coda`]), one
/// statement at a time: memory grows with the largest statement (a day's
/// movements), not with the file. After an error the stream ends.
pub fn coda_items<R: BufRead>(input: R) -> CodaItems<R> {
    CodaItems { input, buf: Vec::new(), text: String::new(), number: 0, reader: CodaReader::default(), done: false }
}

/// The items of a CODA file, read as they are asked for.
pub struct CodaItems<R> {
    input: R,
    buf: Vec<u8>,
    text: String,
    number: usize,
    reader: CodaReader,
    done: bool,
}

impl<R: BufRead> Iterator for CodaItems<R> {
    type Item = Result<Item, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item()
    }
}

impl<R: BufRead> ItemSource for CodaItems<R> {
    fn pending(&mut self) -> &mut VecDeque<Item> {
        &mut self.reader.out
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn finish(&mut self) {
        self.done = true;
    }

    /// Reads one record (at the end: whether the file was whole).
    fn step(&mut self) -> Result<(), ReadError> {
        let reader = &mut self.reader;
        if !read_line(&mut self.input, &mut self.buf, &mut self.text)? {
            self.done = true;
            if !reader.seen_header {
                return Err(ReadError::file("not a CODA file: it is empty"));
            }
            if let Some(stmt) = &reader.current {
                return Err(ReadError::at(stmt.line, "statement has no new balance (record 8): the file is cut short"));
            }
            if reader.statements == 0 {
                return Err(ReadError::file("no statement in the CODA file (no old balance record 1)"));
            }
            return Ok(());
        }
        self.number += 1;
        if self.text.trim().is_empty() {
            return Ok(());
        }
        reader.record(&self.text, self.number)
    }
}

#[derive(Default)]
struct CodaReader {
    seen_header: bool,
    /// Statements ended so far.
    statements: usize,
    /// Items read and not yet taken.
    out: VecDeque<Item>,
    current: Option<Parts>,
}

struct Parts {
    line: usize,
    id: Option<String>,
    account: AccountRef,
    opening: Balance,
    entries: Vec<Entry>,
    /// Where records 22/23/3x go: the last entry, or nowhere (a detail).
    target: Target,
    /// The communication of the last movement (21, 22, 23), still growing.
    communication: String,
    /// Whether that communication is structured (position 62 is `1`).
    structured: bool,
    /// Free text of the information records (31, 32, 33) after it.
    extra: String,
    /// Whether the information records being read are a name and address.
    address: bool,
    /// The last movement's sequence number.
    sequence: Option<String>,
}

#[derive(PartialEq)]
enum Target {
    Entry,
    Detail,
    Nothing,
}

/// Characters `from..=to` of a record (1-based, as CODA's documentation
/// counts; characters, not bytes, so a decoded `é` takes one place), blanks
/// past the record's end.
fn field(record: &str, from: usize, to: usize) -> &str {
    let offset = |n: usize| record.char_indices().nth(n).map_or(record.len(), |(i, _)| i);
    let start = offset(from.saturating_sub(1));
    let end = offset(to).max(start);
    record.get(start..end).unwrap_or("")
}

fn number_at(record: &str, from: usize, to: usize, what: &str, line: usize) -> Result<u64, ReadError> {
    let f = field(record, from, to);
    (f.len() == to + 1 - from && f.bytes().all(|b| b.is_ascii_digit()))
        .then(|| f.parse().ok())
        .flatten()
        .ok_or_else(|| ReadError::at(line, format!("{what} (positions {from}–{to}): {f:?} is not a number")))
}

/// Sign (`0` credit, `1` debit) at `sign`, then 15 digits with 3 decimals.
fn amount_at(record: &str, sign: usize, what: &str, line: usize) -> Result<Decimal, ReadError> {
    let value = number_at(record, sign + 1, sign + 15, what, line)?;
    let value = Decimal::from_i128_with_scale(i128::from(value), 3);
    match field(record, sign, sign) {
        "0" => Ok(value),
        "1" => Ok(-value),
        s => Err(ReadError::at(line, format!("{what} sign (position {sign}): {s:?} is neither 0 nor 1"))),
    }
}

/// A `DDMMYY` date; `000000` (no date) is `None`.
fn date_at(record: &str, from: usize, what: &str, line: usize) -> Result<Option<NaiveDate>, ReadError> {
    let f = field(record, from, from + 5);
    if f == "000000" {
        return Ok(None);
    }
    let d = |r: std::ops::Range<usize>| f.get(r).and_then(digits);
    match (d(0..2), d(2..4), d(4..6)) {
        (Some(day), Some(m), Some(y)) => date_yy(y, m, day),
        _ => None,
    }
    .map(Some)
    .ok_or_else(|| ReadError::at(line, format!("{what} (position {from}): {f:?} is not a date (DDMMYY)")))
}

impl CodaReader {
    fn record(&mut self, r: &str, line: usize) -> Result<(), ReadError> {
        let kind = field(r, 1, 1);
        if !self.seen_header && kind != "0" {
            return Err(ReadError::at(line, "not a CODA file: the first record is not a header (0)"));
        }
        match kind {
            "0" => {
                if self.current.is_some() {
                    return Err(ReadError::at(line, "header record (0) inside a statement: record 8 is missing"));
                }
                match field(r, 128, 128) {
                    "2" => {}
                    v => {
                        return Err(ReadError::at(
                            line,
                            format!("CODA version {v:?} (position 128): only CODA 2 is supported"),
                        ))
                    }
                }
                self.seen_header = true;
                Ok(())
            }
            "1" => self.old_balance(r, line),
            "2" | "3" => {
                let Some(stmt) = &mut self.current else {
                    return Err(ReadError::at(
                        line,
                        "movement record outside a statement (no old balance 1 before it)",
                    ));
                };
                match field(r, 1, 2) {
                    "21" => stmt.movement(r, line),
                    "22" => {
                        if stmt.target != Target::Nothing {
                            stmt.communication.push_str(field(r, 11, 63));
                        }
                        if stmt.target == Target::Entry {
                            if let Some(e) = stmt.entries.last_mut() {
                                e.counterparty_bic = non_empty(field(r, 99, 109));
                            }
                        }
                        Ok(())
                    }
                    "23" => {
                        if stmt.target != Target::Nothing {
                            stmt.communication.push_str(field(r, 83, 125));
                        }
                        if stmt.target == Target::Entry {
                            if let Some(e) = stmt.entries.last_mut() {
                                let account = field(r, 11, 44).trim();
                                e.counterparty_account = compact_iban(account).or_else(|| non_empty(account));
                                e.counterparty_name = squeeze(field(r, 48, 82));
                            }
                        }
                        Ok(())
                    }
                    "31" | "32" | "33" => {
                        stmt.information(r);
                        Ok(())
                    }
                    other => Err(ReadError::at(line, format!("unknown record type {other:?}"))),
                }
            }
            "4" => Ok(()),
            "8" => self.new_balance(r, line),
            "9" => Ok(()),
            other => Err(ReadError::at(line, format!("unknown record type {other:?}"))),
        }
    }

    fn old_balance(&mut self, r: &str, line: usize) -> Result<(), ReadError> {
        if self.current.is_some() {
            return Err(ReadError::at(line, "old balance (1) inside a statement: its new balance (8) is missing"));
        }
        let currency;
        let mut account = AccountRef::default();
        match field(r, 2, 2) {
            "0" => {
                account.number = non_empty(field(r, 6, 17));
                currency = field(r, 19, 21);
            }
            "1" => {
                account.number = non_empty(field(r, 6, 39));
                currency = field(r, 40, 42);
            }
            "2" | "3" => {
                let text = if field(r, 2, 2) == "2" { field(r, 6, 21) } else { field(r, 6, 39) };
                match compact_iban(text) {
                    Some(iban) => account.iban = Some(iban),
                    None => account.number = non_empty(text),
                }
                currency = field(r, 40, 42);
            }
            s => return Err(ReadError::at(line, format!("account structure (position 2): {s:?} is not 0, 1, 2 or 3"))),
        }
        account.currency = non_empty(currency);
        account.owner = squeeze(field(r, 65, 90));
        account.name = squeeze(field(r, 91, 125));
        let amount = amount_at(r, 43, "old balance", line)?;
        let date = date_at(r, 59, "old balance date", line)?
            .ok_or_else(|| ReadError::at(line, "old balance (1) has no date"))?;
        self.current = Some(Parts {
            line,
            id: non_empty(field(r, 3, 5)),
            opening: Balance { date, amount, currency: account.currency.clone() },
            account,
            entries: Vec::new(),
            target: Target::Nothing,
            communication: String::new(),
            structured: false,
            extra: String::new(),
            address: false,
            sequence: None,
        });
        Ok(())
    }

    fn new_balance(&mut self, r: &str, line: usize) -> Result<(), ReadError> {
        let Some(mut stmt) = self.current.take() else {
            return Err(ReadError::at(line, "new balance (8) without an old balance (1) before it"));
        };
        stmt.close_communication();
        let amount = amount_at(r, 42, "new balance", line)?;
        let date = date_at(r, 58, "new balance date", line)?
            .ok_or_else(|| ReadError::at(line, "new balance (8) has no date"))?;
        let currency = stmt.account.currency.clone();
        let closing = Some(Balance { date, amount, currency });
        self.out.push_back(Item::Begin(Statement {
            format: Format::Coda,
            id: stmt.id,
            account: stmt.account,
            opening: Some(stmt.opening.clone()),
            closing: closing.clone(),
            entries: Vec::new(),
        }));
        self.out.extend(stmt.entries.into_iter().map(Item::Entry));
        self.out.push_back(Item::End { format: Format::Coda, opening: Some(stmt.opening), closing });
        self.statements += 1;
        Ok(())
    }
}

impl Parts {
    fn movement(&mut self, r: &str, line: usize) -> Result<(), ReadError> {
        self.close_communication();
        let sequence = field(r, 3, 6).to_owned();
        let detail = number_at(r, 7, 10, "detail number", line)?;
        let amount = amount_at(r, 32, "movement amount", line)?;
        let value_date = date_at(r, 48, "value date", line)?;
        if detail > 0 && self.sequence.as_deref() == Some(sequence.as_str()) {
            // A detail of the global movement just read: information only.
            self.target = Target::Detail;
            return Ok(());
        }
        let booking_date = date_at(r, 116, "entry date", line)?
            .or(value_date)
            .ok_or_else(|| ReadError::at(line, "movement (21) has neither an entry date nor a value date"))?;
        self.structured = field(r, 62, 62) == "1";
        self.communication = field(r, 63, 115).to_owned();
        self.sequence = Some(sequence.clone());
        self.target = Target::Entry;
        let statement = self.id.clone().unwrap_or_default();
        self.entries.push(Entry {
            position: self.entries.len() + 1,
            line: Some(line),
            booking_date,
            value_date,
            amount,
            currency: self.account.currency.clone(),
            bank_reference: Some(format!("{statement}/{sequence}")),
            bank_transaction_code: non_empty(field(r, 54, 61)),
            booked: true,
            ..Entry::default()
        });
        Ok(())
    }

    fn information(&mut self, r: &str) {
        if self.target != Target::Entry {
            return;
        }
        let text = match field(r, 1, 2) {
            "31" => {
                self.address = field(r, 40, 40) == "1" && field(r, 41, 43) == "001";
                if self.address {
                    if let Some(entry) = self.entries.last_mut() {
                        if entry.counterparty_name.is_none() {
                            entry.counterparty_name = squeeze(field(r, 44, 113));
                        }
                    }
                    return;
                }
                field(r, 41, 113)
            }
            "32" => field(r, 11, 115),
            _ => field(r, 11, 100),
        };
        if !self.address {
            self.extra.push_str(text);
        }
    }

    /// Puts the last movement's communication and information into its entry.
    fn close_communication(&mut self) {
        let communication = std::mem::take(&mut self.communication);
        let extra = std::mem::take(&mut self.extra);
        let structured = std::mem::replace(&mut self.structured, false);
        self.address = false;
        if self.target != Target::Entry {
            return;
        }
        let Some(entry) = self.entries.last_mut() else { return };
        let mut remittance = None;
        if structured {
            let kind = field(&communication, 1, 3);
            let ogm = field(&communication, 4, 15);
            if (kind == "101" || kind == "102") && ogm.len() == 12 && ogm.bytes().all(|b| b.is_ascii_digit()) {
                entry.structured_reference = Some(belgian_structured(ogm));
            } else {
                remittance = squeeze(communication.get(3..).unwrap_or_default());
            }
        } else {
            remittance = squeeze(&communication);
        }
        let extra = squeeze(&extra);
        entry.remittance = match (remittance, extra) {
            (Some(r), Some(x)) => Some(format!("{r} {x}")),
            (r, x) => r.or(x),
        };
    }
}

/// The 12 digits of a Belgian structured communication (OGM-VCS) as people
/// write and banks print it: `+++123/4567/89002+++`.
pub(crate) fn belgian_structured(digits: &str) -> String {
    let d = |r: std::ops::Range<usize>| digits.get(r).unwrap_or_default();
    format!("+++{}/{}/{}+++", d(0..3), d(3..7), d(7..12))
}

#[cfg(test)]
mod tests {
    use super::belgian_structured;

    #[test]
    fn structured_communication_is_written_with_plus_signs_and_slashes() {
        assert_eq!(belgian_structured("000003505158"), "+++000/0035/05158+++");
    }
}

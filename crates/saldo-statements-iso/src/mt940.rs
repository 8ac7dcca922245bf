//! SWIFT MT940 (customer statement) and MT942 (interim transaction report),
//! with the `:86:` dialects of German (`?20`…, DFÜ/SEPA keywords) and Dutch
//! (`/NAME/…/REMI/…`) banks.
//!
//! The file is read line by line; one field is held at a time. Lines are
//! UTF-8 when valid, else Latin-1 (see `text::read_line`).
//!
//! Layout accepted:
//! - SWIFT block wrappers `{1:…}{2:…}{4:` and trailers `-}`, a line `-`
//!   between statements, bank header lines before a statement (ING's
//!   `0000 01INGB…`, ABN AMRO's `ABNANL2A`/`940`, Rabobank's `:940:`), CRLF
//!   or LF, no final newline, empty lines;
//! - a statement starts at `:20:`; its fields: `:25:` account (IBAN, or
//!   `BLZ/number`, `BIC/number`, optionally followed by a currency), `:28C:`
//!   or `:28:` statement number (the statement's id; `:20:` when there is
//!   none), `:60F:`/`:60M:` opening, `:61:` entries each with their `:86:`,
//!   `:62F:`/`:62M:` closing; MT942's `:34F:`, `:13D:`, `:90D:`/`:90C:`
//!   mark the statement as MT942 and are otherwise dropped (floor limits and
//!   sums are not balances); `:64:`/`:65:` (available balances) are dropped;
//!   `:NS:` (non-SWIFT) fields are dropped;
//! - a line that does not start a known field continues the field before
//!   it — also when it looks like an unknown tag (`:26:…`, `:12:…` are times
//!   and texts wrapped at a colon) — and a line `:` followed by `86:…` is
//!   one `:86:` tag that a bank's export broke in two (Sparkasse).
//!
//! `:61:` — value date `YYMMDD`, optional entry date `MMDD` (the booking
//! date; its year is the one nearest the value date, so a 31 December value
//! date booked `0102` is 2 January of the next year), `C`/`D` or `RC`/`RD`
//! (a reversal: `RC` takes money out, `RD` puts it back) or MT942's
//! `EC`/`ED`, an optional funds code letter, the amount with a decimal
//! comma, the transaction type (`N`/`F`/`S` + 3 characters → bank
//! transaction code; another letter is taken as written, anything else
//! there means a misread amount and is an error), the customer reference (dropped: it is the
//! account holder's, often `NONREF`), `//` the bank's reference, and on the
//! next line supplementary details (the description when `:86:` gives
//! none; an IBAN there — Rabobank — is the counterparty's account). A date
//! such as 30 February is read as the month's last day (30/360 day count).
//!
//! `:86:` — attached to the `:61:` before it (several `:86:` in a row, as old
//! Rabobank files have, are one text); an `:86:` after the closing balance
//! is statement information and dropped. Three shapes:
//! - German structured (`GVC?00…?20…`, or `>` as separator): `?00` booking
//!   text → description; `?20`–`?29` and `?60`–`?63` purpose → remittance
//!   (sub-fields are 27-character slices of one text: a full slice is
//!   continued directly, a shorter one with a space); SEPA keywords in the
//!   purpose: `EREF+` end-to-end id, `MREF+` mandate, `SVWZ+` remittance
//!   (else the purpose before the first keyword); `KREF+`, `CRED+`,
//!   `ABWA+` and the others are dropped; `?30` BIC (a German bank code
//!   there is dropped), `?31` account, `?38` IBAN (preferred), `?32`+`?33`
//!   name; `?10`, `?34` and others dropped;
//! - Dutch structured (`/TRTP/…/NAME/…/IBAN/…/REMI/…/EREF/…`, ING's
//!   `/CNTP/iban/bic/name/city/`): `NAME`, `IBAN`, `BIC`, `REMI` (or
//!   `USTD`), `EREF`, `MARF` (mandate), `CDTRREF` (structured reference),
//!   `TRTP` (description);
//! - anything else is free text → description. A line of 65 characters or
//!   more (counting the tag on the first) is continued directly (SWIFT
//!   wraps at 65), a shorter one with a space.
//!
//! Free text (description, remittance, names) has its runs of whitespace
//! collapsed to one space; ids and references are only trimmed.

use std::io::BufRead;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::VecDeque;

use saldo_statements::{compact_iban, AccountRef, Balance, Entry, Format, Item, ItemSource, ReadError, Statement};

use crate::text::{date_yy, digits, looks_like_bic, nearest_date, non_empty, read_line, squeeze};

/// Reads a SWIFT MT940 or MT942 file: one [`Statement`] per `:20:`, in the
/// file's order (format [`Format::Mt942`] when the statement has MT942's
/// fields). A file without any statement, a statement field outside a
/// statement, a second `:25:` in one statement, a statement without `:25:`,
/// or an amount, date or mark that cannot be read is refused with its line.
pub fn read_mt940<R: BufRead>(input: R) -> Result<Vec<Statement>, ReadError> {
    saldo_statements::collect(mt940_items(input))
}

/// Reads an MT940/MT942 file as a stream of [`Item`]s (see [`read_mt940`]):
/// one field and one entry are held at a time, whatever the file's size.
/// After an error the stream ends.
pub fn mt940_items<R: BufRead>(input: R) -> Mt940Items<R> {
    Mt940Items {
        input,
        buf: Vec::new(),
        line: String::new(),
        number: 0,
        broken_colon: None,
        reader: Mt940Reader::default(),
        done: false,
    }
}

/// The items of an MT940/MT942 file, read as they are asked for.
pub struct Mt940Items<R> {
    input: R,
    buf: Vec<u8>,
    line: String,
    number: usize,
    broken_colon: Option<usize>,
    reader: Mt940Reader,
    done: bool,
}

impl<R: BufRead> Iterator for Mt940Items<R> {
    type Item = Result<Item, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item()
    }
}

impl<R: BufRead> ItemSource for Mt940Items<R> {
    fn pending(&mut self) -> &mut VecDeque<Item> {
        &mut self.reader.out
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn finish(&mut self) {
        self.done = true;
    }

    /// Reads one line (at the end: what the file's last field says).
    fn step(&mut self) -> Result<(), ReadError> {
        let reader = &mut self.reader;
        if !read_line(&mut self.input, &mut self.buf, &mut self.line)? {
            self.done = true;
            if let Some(colon_line) = self.broken_colon.take() {
                reader.line(":", colon_line)?;
            }
            return reader.finish();
        }
        self.number += 1;
        let number = self.number;
        let mut text = self.line.as_str();
        if let Some(colon_line) = self.broken_colon.take() {
            if tag_of(&format!(":{text}")).is_some_and(|(t, _)| KNOWN.contains(&t)) {
                return reader.line(&format!(":{text}"), colon_line);
            }
            reader.line(":", colon_line)?;
        }
        if text == ":" {
            self.broken_colon = Some(number);
            return Ok(());
        }
        if let Some(i) = text.find("{4:") {
            if text.contains("{2:I942") || text.contains("{2:O942") {
                reader.next_is_942 = true;
            }
            text = &text[i + 3..];
            if text.trim().is_empty() {
                return Ok(());
            }
        }
        reader.line(text, number)
    }
}

/// The fields this reader knows; any other `:xx:` line inside a statement
/// continues the field before it.
const KNOWN: [&str; 19] = [
    "20", "21", "25", "28", "28C", "13", "13D", "34F", "60F", "60M", "61", "62F", "62M", "64", "65", "86", "90D",
    "90C", "NS",
];

/// The tag of a line `:tag:value` (tag: 2–3 letters or digits), and the value.
fn tag_of(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix(':')?;
    let end = rest.find(':')?;
    let tag = &rest[..end];
    ((2..=3).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| (tag, &rest[end + 1..]))
}

#[derive(Default)]
struct Mt940Reader {
    /// Statements ended so far.
    statements: usize,
    /// Items read and not yet taken.
    out: VecDeque<Item>,
    current: Option<StatementParts>,
    /// The field being read: tag, its first line number, its lines.
    field: Option<(String, usize, Vec<String>)>,
    next_is_942: bool,
}

struct StatementParts {
    line: usize,
    reference: String,
    number: Option<String>,
    account: Option<AccountRef>,
    opening: Option<Balance>,
    closing: Option<Balance>,
    /// Entries closed so far.
    entries: usize,
    /// Entries closed before the account (`:25:`) was read: held until it is.
    held: Vec<Entry>,
    /// Its `Begin` was yielded.
    begun: bool,
    /// The last entry, still taking `:86:` fields.
    open_entry: Option<OpenEntry>,
    is_942: bool,
}

/// An entry read from `:61:`, waiting for its `:86:` lines.
struct OpenEntry {
    entry: Entry,
    supplementary: Option<String>,
    /// The `:86:` lines, each with its length in the file (the first
    /// one's counts its tag).
    info: Vec<(String, usize)>,
}

impl Mt940Reader {
    fn line(&mut self, text: &str, number: usize) -> Result<(), ReadError> {
        if text == "-" || text.starts_with("-}") {
            self.flush_field()?;
            return self.end_statement();
        }
        if let Some((tag, value)) = tag_of(text) {
            if KNOWN.contains(&tag) {
                self.flush_field()?;
                self.field = Some((tag.to_owned(), number, vec![value.to_owned()]));
                return Ok(());
            }
            if self.current.is_none() {
                // An unknown tag before any statement: a bank's header.
                return Ok(());
            }
        }
        if let Some((_, _, lines)) = &mut self.field {
            lines.push(text.to_owned());
        }
        Ok(())
    }

    fn flush_field(&mut self) -> Result<(), ReadError> {
        let Some((tag, line, lines)) = self.field.take() else { return Ok(()) };
        if tag == "20" {
            self.end_statement()?;
            self.current = Some(StatementParts {
                line,
                reference: lines.concat().trim().to_owned(),
                number: None,
                account: None,
                opening: None,
                closing: None,
                entries: 0,
                held: Vec::new(),
                begun: false,
                open_entry: None,
                is_942: std::mem::take(&mut self.next_is_942),
            });
            return Ok(());
        }
        if tag == "NS" {
            return Ok(());
        }
        let Some(stmt) = &mut self.current else {
            return Err(ReadError::at(line, format!("field :{tag}: is outside a statement (no :20: before it)")));
        };
        if tag == "86" {
            if let Some(open) = &mut stmt.open_entry {
                for (i, l) in lines.into_iter().enumerate() {
                    let length = l.chars().count() + if i == 0 { 4 } else { 0 };
                    open.info.push((l, length));
                }
            }
            return Ok(());
        }
        stmt.close_entry(&mut self.out);
        let first = lines.first().map(|l| l.trim()).unwrap_or_default();
        match tag.as_str() {
            "25" => {
                if stmt.account.is_some() {
                    return Err(ReadError::at(line, "a second :25: (account) in one statement; expected :86: or :61:"));
                }
                stmt.account = Some(account(&lines.concat()));
            }
            "28" | "28C" => stmt.number = non_empty(first),
            "60F" | "60M" => stmt.opening = Some(balance(first, &tag, line)?),
            "62F" | "62M" => stmt.closing = Some(balance(first, &tag, line)?),
            "61" => {
                let (entry, supplementary) = statement_line(&lines, line, stmt.entries + 1)?;
                stmt.open_entry = Some(OpenEntry { entry, supplementary, info: Vec::new() });
            }
            "13" | "13D" | "34F" | "90D" | "90C" => stmt.is_942 = true,
            _ => {}
        }
        Ok(())
    }

    fn end_statement(&mut self) -> Result<(), ReadError> {
        let Some(mut stmt) = self.current.take() else { return Ok(()) };
        stmt.close_entry(&mut self.out);
        if stmt.account.is_none() {
            return Err(ReadError::at(stmt.line, format!("statement {:?} has no account (:25:)", stmt.reference)));
        }
        stmt.begin(&mut self.out);
        self.out.push_back(Item::End { format: stmt.format(), opening: stmt.opening, closing: stmt.closing });
        self.statements += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ReadError> {
        self.flush_field()?;
        self.end_statement()?;
        if self.statements == 0 {
            return Err(ReadError::file("no MT940/MT942 statement in the file (no :20: field)"));
        }
        Ok(())
    }
}

impl StatementParts {
    fn format(&self) -> Format {
        if self.is_942 {
            Format::Mt942
        } else {
            Format::Mt940
        }
    }

    /// Yields the statement's `Begin` (once its account is known) and the
    /// entries held until then.
    fn begin(&mut self, out: &mut VecDeque<Item>) {
        let Some(account) = self.account.clone() else { return };
        if !self.begun {
            self.begun = true;
            out.push_back(Item::Begin(Statement {
                format: self.format(),
                id: self.number.clone().or_else(|| non_empty(&self.reference)),
                account,
                opening: self.opening.clone(),
                closing: self.closing.clone(),
                entries: Vec::new(),
            }));
        }
        out.extend(self.held.drain(..).map(Item::Entry));
    }

    fn close_entry(&mut self, out: &mut VecDeque<Item>) {
        let Some(OpenEntry { mut entry, supplementary, info }) = self.open_entry.take() else { return };
        information(&mut entry, &info);
        if entry.description.is_none() {
            entry.description.clone_from(&supplementary);
        }
        if entry.counterparty_account.is_none() {
            entry.counterparty_account = supplementary.as_deref().and_then(compact_iban);
        }
        self.entries += 1;
        self.held.push(entry);
        self.begin(out);
    }
}

/// `:25:`: `IBAN`, `IBANCCY`, `BLZ/number[CCY]`, `BIC/number[/CCY]`, or any
/// other number as written.
fn account(value: &str) -> AccountRef {
    let mut text = value.trim().to_owned();
    let mut account = AccountRef::default();
    let is_ccy = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase());
    if let Some((rest, last)) = text.rsplit_once('/') {
        if is_ccy(last) {
            account.currency = Some(last.to_owned());
            text = rest.to_owned();
        }
    }
    let cut = text.len().saturating_sub(3);
    if let (None, Some(rest), Some(last)) = (&account.currency, text.get(..cut), text.get(cut..)) {
        if is_ccy(last) && rest.ends_with(|c: char| c.is_ascii_digit()) {
            account.currency = Some(last.to_owned());
            text = rest.to_owned();
        }
    }
    if let Some((bic, rest)) = text.split_once('/') {
        if looks_like_bic(bic) {
            account.bic = Some(bic.to_owned());
            text = rest.to_owned();
        }
    }
    match compact_iban(&text) {
        Some(iban) if !text.contains('/') => account.iban = Some(iban),
        _ => account.number = non_empty(&text),
    }
    account
}

/// An amount with a decimal comma (`1234,56`, `380115,`, `0,5`).
fn amount(text: &str, what: &str, line: usize) -> Result<Decimal, ReadError> {
    let err = || ReadError::at(line, format!("{what}: {text:?} is not an amount (digits with a decimal comma)"));
    let (int, frac) = text.split_once(',').unwrap_or((text, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || int.len() + frac.len() > 28
    {
        return Err(err());
    }
    let int = if int.is_empty() { "0" } else { int };
    let s = if frac.is_empty() { int.to_owned() } else { format!("{int}.{frac}") };
    s.parse::<Decimal>().map_err(|_| err())
}

fn yymmdd(text: &str, what: &str, line: usize) -> Result<NaiveDate, ReadError> {
    let d = |r: std::ops::Range<usize>| text.get(r).and_then(digits);
    match (d(0..2), d(2..4), d(4..6)) {
        (Some(y), Some(m), Some(day)) => date_yy(y, m, day),
        _ => None,
    }
    .ok_or_else(|| ReadError::at(line, format!("{what}: {:?} is not a date (YYMMDD)", text.get(..6).unwrap_or(text))))
}

/// `:60F:`, `:62F:`…: `C`/`D`, `YYMMDD`, currency (some banks leave it
/// out), amount.
fn balance(value: &str, tag: &str, line: usize) -> Result<Balance, ReadError> {
    let what = format!(":{tag}:");
    let (debit, rest) = match value.as_bytes().first() {
        Some(b'C') => (false, &value[1..]),
        Some(b'D') => (true, &value[1..]),
        _ => return Err(ReadError::at(line, format!("{what}: {value:?} does not start with C or D"))),
    };
    let date = yymmdd(rest, &what, line)?;
    let rest = rest.get(6..).unwrap_or_default();
    let (currency, rest) = match rest.get(..3) {
        Some(c) if c.bytes().all(|b| b.is_ascii_uppercase()) => (Some(c.to_owned()), &rest[3..]),
        _ => (None, rest),
    };
    let value = amount(rest.trim(), &what, line)?;
    Ok(Balance { date, amount: if debit { -value } else { value }, currency })
}

/// `:61:` → the entry (without `:86:`) and its supplementary details.
fn statement_line(lines: &[String], line: usize, position: usize) -> Result<(Entry, Option<String>), ReadError> {
    let first = lines.first().map(String::as_str).unwrap_or_default().trim_end();
    let parsed = parse_61(first, line);
    // A bank that wrapped the line before its amount: read it with the next.
    let (parsed, rest) = match (&parsed, lines.get(1)) {
        (Err(_), Some(second)) if !first.bytes().any(|b| b == b',') => {
            (parse_61(&format!("{first}{}", second.trim_end()), line), lines.get(2..).unwrap_or_default())
        }
        _ => (parsed, lines.get(1..).unwrap_or_default()),
    };
    let mut entry = parsed?;
    entry.position = position;
    Ok((entry, squeeze(&rest.join(" "))))
}

fn parse_61(s: &str, line: usize) -> Result<Entry, ReadError> {
    let value_date = yymmdd(s, ":61: value date", line)?;
    let mut rest = s.get(6..).unwrap_or_default();
    let mut booking_date = value_date;
    if let Some(mmdd) = rest.get(..4).filter(|t| t.bytes().all(|b| b.is_ascii_digit())) {
        let (m, d) = (digits(&mmdd[..2]).unwrap_or(0), digits(&mmdd[2..]).unwrap_or(0));
        booking_date = nearest_date(value_date, m, d)
            .ok_or_else(|| ReadError::at(line, format!(":61: entry date {mmdd:?} is not a date (MMDD)")))?;
        rest = &rest[4..];
    }
    let (sign, skip) = if rest.starts_with("RC") {
        (-1, 2)
    } else if rest.starts_with("RD") {
        (1, 2)
    } else if rest.starts_with("EC") || rest.starts_with('C') {
        (1, if rest.starts_with("EC") { 2 } else { 1 })
    } else if rest.starts_with("ED") || rest.starts_with('D') {
        (-1, if rest.starts_with("ED") { 2 } else { 1 })
    } else {
        return Err(ReadError::at(line, format!(":61: {rest:?} does not start with C, D, RC or RD")));
    };
    rest = &rest[skip..];
    // Funds code: the third letter of the currency (`R` for EUR), optional.
    if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        rest = &rest[1..];
    }
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ',')).unwrap_or(rest.len());
    let value = amount(&rest[..end], ":61: amount", line)?;
    rest = &rest[end..];
    // The type is `N`, `F` or `S` + 3 characters; some banks use other
    // letters, but a digit or punctuation here means a misread amount.
    if !rest.is_empty() && !rest.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Err(ReadError::at(
            line,
            format!(":61: after the amount comes {rest:?}, not a transaction type (NTRF…)"),
        ));
    }
    let code = rest.get(..4).map(|c| c.trim_end().to_owned());
    rest = rest.get(4..).unwrap_or_default();
    let bank_reference = rest.split_once("//").and_then(|(_, r)| non_empty(r)).filter(|r| r != "NONREF");
    Ok(Entry {
        line: Some(line),
        booking_date,
        value_date: Some(value_date),
        amount: if sign < 0 { -value } else { value },
        bank_reference,
        bank_transaction_code: code,
        booked: true,
        ..Entry::default()
    })
}

/// Reads an entry's `:86:` lines into it.
fn information(entry: &mut Entry, lines: &[(String, usize)]) {
    if lines.iter().all(|(l, _)| l.trim().is_empty()) {
        return;
    }
    let joined: String = lines.iter().map(|(l, _)| l.as_str()).collect();
    let t = joined.trim_start();
    let b = t.as_bytes();
    if b.len() > 3 && b[..3].iter().all(u8::is_ascii_digit) && (b[3] == b'?' || b[3] == b'>') {
        german(entry, &t[3..], char::from(b[3]));
        return;
    }
    let mut text = String::new();
    let mut previous = usize::MAX;
    for (l, length) in lines.iter().filter(|(l, _)| !l.trim().is_empty()) {
        if !text.is_empty() && previous < 65 {
            text.push(' ');
        }
        text.push_str(l);
        previous = *length;
    }
    let text = text.trim();
    if text.starts_with('/') && text.get(1..).and_then(|r| r.split('/').next()).is_some_and(|k| DUTCH.contains(&k)) {
        dutch(entry, text);
    } else {
        entry.description = squeeze(text);
    }
}

const SEPA: [&str; 14] = [
    "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "IBAN+", "BIC+", "COAM+", "OAMT+", "SQTP+",
    "PURP+",
];

/// German `?NN` sub-fields (the text after the 3-digit transaction code).
fn german(entry: &mut Entry, text: &str, separator: char) {
    let mut fields: Vec<(u32, String)> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(separator) {
        let code = rest.get(start + 1..start + 3).and_then(digits);
        match code {
            Some(code) => {
                let body = &rest[start + 3..];
                let mut end = 0;
                loop {
                    match body[end..].find(separator) {
                        Some(i) if body.get(end + i + 1..end + i + 3).and_then(digits).is_some() => {
                            end += i;
                            break;
                        }
                        Some(i) => end += i + 1,
                        None => {
                            end = body.len();
                            break;
                        }
                    }
                }
                fields.push((code, body[..end].to_owned()));
                rest = &body[end..];
            }
            None => rest = &rest[start + 1..],
        }
    }
    // Sub-fields are 27-character slices of one text: a full slice followed
    // by the next sub-field is continued directly, anything else with a space.
    let joined = |codes: &[u32]| {
        let mut out = String::new();
        let mut previous: Option<(u32, bool)> = None;
        for (code, v) in fields.iter().filter(|(c, _)| codes.contains(c)) {
            let continues = previous.is_some_and(|(p, full)| full && (p + 1 == *code || (p == 29 && *code == 60)));
            if !out.is_empty() && !continues {
                out.push(' ');
            }
            out.push_str(v);
            previous = Some((*code, v.chars().count() >= 27));
        }
        out
    };
    let get = |code: u32| fields.iter().find(|(c, _)| *c == code).map(|(_, v)| v.trim().to_owned());
    entry.description = get(0).as_deref().and_then(squeeze);
    let purpose_codes: Vec<u32> = (20..=29).chain(60..=63).collect();
    let purpose = joined(&purpose_codes);
    sepa_purpose(entry, &purpose);
    entry.counterparty_name = squeeze(&joined(&[32, 33]));
    entry.counterparty_bic = get(30).filter(|b| looks_like_bic(b));
    let iban = get(38).and_then(|v| compact_iban(&v));
    entry.counterparty_account = iban.or_else(|| get(31).and_then(|v| compact_iban(&v).or_else(|| non_empty(&v))));
}

/// Splits a German purpose at its SEPA keywords.
fn sepa_purpose(entry: &mut Entry, purpose: &str) {
    let mut marks: Vec<(usize, &str)> = Vec::new();
    for kw in SEPA {
        marks.extend(purpose.match_indices(kw).map(|(i, _)| (i, kw)));
    }
    marks.sort_unstable();
    if marks.is_empty() {
        entry.remittance = squeeze(purpose);
        return;
    }
    let prefix = purpose.get(..marks[0].0).and_then(squeeze);
    let mut svwz = None;
    for (n, (start, kw)) in marks.iter().enumerate() {
        let end = marks.get(n + 1).map_or(purpose.len(), |(e, _)| *e);
        let value = purpose.get(start + kw.len()..end.max(start + kw.len())).and_then(non_empty);
        match *kw {
            "EREF+" => entry.end_to_end_id = value.filter(|v| !v.eq_ignore_ascii_case("NOTPROVIDED")),
            "MREF+" => entry.mandate = value,
            "SVWZ+" => svwz = value.as_deref().and_then(squeeze),
            _ => {}
        }
    }
    entry.remittance = svwz.or(prefix);
}

const DUTCH: [&str; 36] = [
    "TRTP",
    "IBAN",
    "BIC",
    "NAME",
    "REMI",
    "EREF",
    "MARF",
    "CSID",
    "ORDP",
    "BENM",
    "ID",
    "ADDR",
    "ISDT",
    "RTRN",
    "PREF",
    "NRTX",
    "PURP",
    "CDTRREF",
    "CDTRREFTP",
    "CD",
    "ISSR",
    "USTD",
    "STRD",
    "ULTC",
    "ULTD",
    "ULTB",
    "EXCH",
    "CHGS",
    "OCMT",
    "SVCL",
    "CNTP",
    "FX",
    "BUSP",
    "RTYP",
    "RRTN",
    "SVCE",
];

/// Dutch `/KEY/value/KEY/value` information.
fn dutch(entry: &mut Entry, text: &str) {
    let tokens: Vec<&str> = text.split('/').skip(1).collect();
    let mut fields: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        if *token == "CNTP" {
            // ING: /CNTP/iban/bic/name/city/
            let part = |k: usize| tokens.get(i + k).copied().and_then(non_empty);
            if let Some(iban) = part(1) {
                entry.counterparty_account = Some(compact_iban(&iban).unwrap_or(iban));
            }
            entry.counterparty_bic = part(2).or(entry.counterparty_bic.take());
            entry.counterparty_name = part(3).or(entry.counterparty_name.take());
            i += 5;
            continue;
        }
        match fields.last_mut() {
            _ if DUTCH.contains(token) => fields.push((token, Vec::new())),
            Some((_, values)) => values.push(token),
            None => {}
        }
        i += 1;
    }
    for (key, values) in fields {
        let value = non_empty(values.join("/").trim_matches('/'));
        match key {
            "NAME" if entry.counterparty_name.is_none() => entry.counterparty_name = value,
            "IBAN" => entry.counterparty_account = value.map(|v| compact_iban(&v).unwrap_or(v)),
            "BIC" => entry.counterparty_bic = value,
            "REMI" | "USTD" if value.is_some() => entry.remittance = value,
            "EREF" => entry.end_to_end_id = value.filter(|v| !v.eq_ignore_ascii_case("NOTPROVIDED")),
            "MARF" => entry.mandate = value,
            "CDTRREF" => entry.structured_reference = value,
            "TRTP" => entry.description = value,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{account, amount};

    #[test]
    fn accounts_in_their_common_spellings() {
        let a = account("51210600/9223382012EUR");
        assert_eq!((a.number.as_deref(), a.currency.as_deref()), (Some("51210600/9223382012"), Some("EUR")));
        let a = account("UBRTHUHB/123456789150ABCDEF002/HUF");
        assert_eq!(a.bic.as_deref(), Some("UBRTHUHB"));
        assert_eq!(a.number.as_deref(), Some("123456789150ABCDEF002"));
        assert_eq!(a.currency.as_deref(), Some("HUF"));
        assert_eq!(account("PL25106000760000888888888888").iban.as_deref(), Some("PL25106000760000888888888888"));
    }

    #[test]
    fn amounts_with_a_decimal_comma_are_exact() {
        assert_eq!(amount("380115,", "t", 1).ok().map(|d| d.to_string()), Some("380115".into()));
        assert_eq!(amount("0,12", "t", 1).ok().map(|d| d.to_string()), Some("0.12".into()));
        assert!(amount("1.234,5", "t", 1).is_err(), "a point is not an MT940 decimal separator");
        assert!(amount("", "t", 1).is_err());
    }
}

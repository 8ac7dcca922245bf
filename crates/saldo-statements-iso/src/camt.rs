//! ISO 20022 camt.052 (account report), camt.053 (statement) and camt.054
//! (debit/credit notification), any version: the element names this reader
//! uses are the same from version 1 to 8 (where they moved — `Sts/Cd` and
//! `Dbtr/Pty/Nm` in version 8, `PrtryAcct` in version 1 — both places are
//! read), so the namespace's version number is not checked.
//!
//! The file is read as a stream of XML events (quick-xml) and yields
//! [`Item`]s as it goes ([`camt_items`]): only the entry being read is held,
//! so memory does not grow with the file.
//!
//! What is read:
//! - statement: `Id`; account `Acct/Id/IBAN` (else `Othr/Id`, `PrtryAcct/Id`,
//!   `BBAN` as `number`), `Ccy`, `Nm`, `Ownr/Nm`, `Svcr/FinInstnId/BIC(FI)`;
//! - balances: `OPBD` (else `PRCD`) is the opening, `CLBD` the closing
//!   balance; other types (available, interim, forward) are dropped — the
//!   statement type has no place for them;
//! - entries: `Amt` and its `Ccy`, signed by `CdtDbtInd` (`DBIT` negative; a
//!   reversal, `RvslInd`, is already expressed by the indicator), `BookgDt`
//!   and `ValDt` (`Dt`, or the date part of `DtTm` as written — the bank's
//!   calendar day, not converted to UTC, R17), `Sts` (`BOOK` → booked;
//!   `PDNG`, `INFO`, `FUTR` → not booked; no status → booked),
//!   `AcctSvcrRef`, `BkTxCd` as `DOMN-FMLY-SUBFMLY` (else `Prtry/Cd`),
//!   `AddtlNtryInf` (else `AddtlTxInf`) as description, and from the
//!   transaction details (`NtryDtls/TxDtls`): `EndToEndId` (not
//!   `NOTPROVIDED`), `MndtId`, the counterparty (see below), all `Ustrd`
//!   joined by a space, the first `CdtrRefInf/Ref`.
//! - the counterparty is the creditor for money out and the debtor for money
//!   in (by the transaction's `CdtDbtInd`, else the entry's): its `Nm` (else
//!   the ultimate party's), its account's IBAN (else `Othr/Id`) and its
//!   agent's BIC.
//!
//! Batches: an entry with several `TxDtls` becomes one entry per
//! transaction when every transaction has an amount (`AmtDtls/TxAmt/Amt`,
//! else `Amt`) in the entry's currency and their signed sum is exactly the
//! entry's amount — then nothing is counted twice and each payment keeps its
//! counterparty; their bank reference is the transaction's `AcctSvcrRef`,
//! else the entry's followed by `/1`, `/2`… Otherwise the entry stays one
//! entry with its own amount, and the transactions' parties, references
//! and remittance are dropped (they belong to several payments, none of
//! which is the entry). An entry with one `TxDtls` takes its details.
//!
//! Dropped: group header, pagination, interest, charges, exchange rates,
//! addresses, party ids, `AddtlRmtInf`, `Btch` totals.

use std::io::{self, BufRead, Read};

use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::Reader;
use rust_decimal::Decimal;
use std::collections::VecDeque;

use saldo_statements::{compact_iban, AccountRef, Balance, Entry, Format, Item, ItemSource, ReadError, Statement};

/// Reads an ISO 20022 camt.052, camt.053 or camt.054 document: one
/// [`Statement`] per `Rpt`, `Stmt` or `Ntfctn`. A document that is not camt,
/// is not well-formed XML, has no statement, or has an entry without amount,
/// direction or date is refused with the line and element at fault.
pub fn read_camt<R: BufRead>(input: R) -> Result<Vec<Statement>, ReadError> {
    saldo_statements::collect(camt_items(input))
}

/// Reads a camt document as a stream of [`Item`]s (see [`read_camt`]): only
/// the entry being read is held, whatever the file's size. After an error
/// the stream ends.
pub fn camt_items<R: BufRead>(input: R) -> CamtItems<R> {
    CamtItems {
        reader: Reader::from_reader(LineCounter { inner: input, newlines: 0 }),
        buf: Vec::new(),
        doc: Doc::default(),
        done: false,
    }
}

/// The items of a camt document, read as they are asked for.
pub struct CamtItems<R> {
    reader: Reader<LineCounter<R>>,
    buf: Vec<u8>,
    doc: Doc,
    done: bool,
}

impl<R: BufRead> Iterator for CamtItems<R> {
    type Item = Result<Item, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item()
    }
}

impl<R: BufRead> ItemSource for CamtItems<R> {
    fn pending(&mut self) -> &mut VecDeque<Item> {
        &mut self.doc.out
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn finish(&mut self) {
        self.done = true;
    }

    /// Reads one XML event.
    fn step(&mut self) -> Result<(), ReadError> {
        let reader = &mut self.reader;
        let doc = &mut self.doc;
        let event = reader
            .read_event_into(&mut self.buf)
            .map_err(|e| ReadError::at(reader.get_ref().line(), format!("not well-formed XML: {e}")))?;
        let line = reader.get_ref().line();
        match event {
            Event::Start(e) => {
                let local = e.local_name();
                let name: &str = local.as_ref();
                let ccy = match e.try_get_attribute("Ccy") {
                    Ok(a) => a.map(|a| a.value.trim().to_owned()),
                    Err(err) => return Err(ReadError::at(line, format!("<{name}>: bad attribute: {err}"))),
                };
                // (Only the root's namespace names a document's kind.)
                let ns = if doc.starts.is_empty() {
                    e.try_get_attribute("xmlns").ok().flatten().map(|a| a.value.into_owned())
                } else {
                    None
                };
                doc.start(name, ccy, ns.as_deref(), line)?;
            }
            Event::Empty(e) => {
                let local = e.local_name();
                doc.start(local.as_ref(), None, None, line)?;
                doc.end(line)?;
            }
            Event::End(_) => doc.end(line)?,
            Event::Text(t) => doc.text.push_str(&t),
            Event::CData(t) => doc.text.push_str(&t),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &*r {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(ReadError::at(line, format!("unknown XML entity &{other};"))),
                    },
                    Err(e) => return Err(ReadError::at(line, format!("bad character reference: {e}"))),
                };
                doc.text.push(c);
            }
            Event::Eof => {
                self.done = true;
                doc.finish()?;
            }
            _ => {}
        }
        self.buf.clear();
        Ok(())
    }
}

/// Counts the lines the XML reader has consumed, so errors can name a line
/// without keeping the file.
struct LineCounter<R> {
    inner: R,
    newlines: usize,
}

impl<R> LineCounter<R> {
    fn line(&self) -> usize {
        self.newlines + 1
    }
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.newlines += out.get(..n).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(b) = self.inner.fill_buf() {
            self.newlines += b.get(..amt.min(b.len())).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        }
        self.inner.consume(amt);
    }
}

/// The reader's state: where it is in the tree and what it is building.
#[derive(Default)]
struct Doc {
    /// Local names of the open elements, root first, joined by `/`.
    path: String,
    /// Where each open element's name starts in `path`.
    starts: Vec<usize>,
    /// Text of the element being read.
    text: String,
    /// `Ccy` of the last `Amt`-like element opened.
    ccy: Option<String>,
    root: Option<String>,
    format: Option<Format>,
    /// Depth (index in `starts`) of the message element (`BkToCstmrStmt`…).
    message_depth: Option<usize>,
    /// Statements ended so far.
    statements: usize,
    /// Items read and not yet taken.
    out: VecDeque<Item>,
    stmt: Option<(usize, StatementParts)>,
    balance: Option<(usize, BalanceParts)>,
    entry: Option<(usize, EntryParts)>,
    tx: Option<(usize, TxParts)>,
}

#[derive(Default)]
struct StatementParts {
    id: Option<String>,
    account: AccountRef,
    opening: Option<(bool, Balance)>,
    closing: Option<Balance>,
    /// Its `Begin` was yielded.
    begun: bool,
    /// Entries yielded.
    entries: usize,
}

#[derive(Default)]
struct BalanceParts {
    code: Option<String>,
    amount: Option<(Decimal, Option<String>)>,
    debit: Option<bool>,
    date: Option<NaiveDate>,
}

#[derive(Default)]
struct EntryParts {
    line: usize,
    amount: Option<(Decimal, Option<String>)>,
    debit: Option<bool>,
    status: Option<String>,
    booking_date: Option<NaiveDate>,
    value_date: Option<NaiveDate>,
    reference: Option<String>,
    domain: Option<String>,
    family: Option<String>,
    subfamily: Option<String>,
    proprietary_code: Option<String>,
    info: Option<String>,
    txs: Vec<TxParts>,
}

#[derive(Default)]
struct TxParts {
    amount: Option<(Decimal, Option<String>)>,
    tx_amount: Option<(Decimal, Option<String>)>,
    debit: Option<bool>,
    reference: Option<String>,
    end_to_end_id: Option<String>,
    mandate: Option<String>,
    debtor: Party,
    creditor: Party,
    ultimate_debtor: Option<String>,
    ultimate_creditor: Option<String>,
    remittance: Vec<String>,
    structured_reference: Option<String>,
    info: Option<String>,
}

#[derive(Default)]
struct Party {
    name: Option<String>,
    account: Option<String>,
    bic: Option<String>,
}

const MESSAGES: [(&str, &str, Format); 3] = [
    ("BkToCstmrStmt", "Stmt", Format::Camt053),
    ("BkToCstmrAcctRpt", "Rpt", Format::Camt052),
    ("BkToCstmrDbtCdtNtfctn", "Ntfctn", Format::Camt054),
];

impl Doc {
    fn start(&mut self, name: &str, ccy: Option<String>, ns: Option<&str>, line: usize) -> Result<(), ReadError> {
        let depth = self.starts.len();
        if depth == 0 {
            if let Some(ns) = ns {
                let iso = "urn:iso:std:iso:20022:tech:xsd:";
                if let Some(kind) = ns.strip_prefix(iso) {
                    if !kind.starts_with("camt.05") {
                        return Err(ReadError::at(
                            line,
                            format!("an ISO 20022 {kind} document, not a camt.052, camt.053 or camt.054 statement"),
                        ));
                    }
                }
            }
            self.root = Some(name.to_owned());
        }
        if self.message_depth.is_none() {
            if let Some((_, _, format)) = MESSAGES.iter().find(|(m, _, _)| is_message(name, m)) {
                self.format = Some(*format);
                self.message_depth = Some(depth);
            }
        } else if self.message_depth == Some(depth.wrapping_sub(1)) {
            let wanted = MESSAGES.iter().find(|(_, _, f)| Some(*f) == self.format).map(|(_, s, _)| *s);
            if wanted == Some(name) {
                self.stmt = Some((depth, StatementParts::default()));
            }
        } else if let Some((sd, _)) = &self.stmt {
            if depth == sd + 1 && name == "Bal" {
                self.balance = Some((depth, BalanceParts::default()));
            } else if depth == sd + 1 && name == "Ntry" {
                self.entry = Some((depth, EntryParts { line, ..EntryParts::default() }));
            } else if name == "TxDtls"
                && self.entry.is_some()
                && self.starts.last().is_some_and(|&i| self.path.get(i..) == Some("NtryDtls"))
            {
                self.tx = Some((depth, TxParts::default()));
            }
        }
        if name.ends_with("Amt") {
            self.ccy = ccy;
        }
        if !self.starts.is_empty() {
            self.path.push('/');
        }
        self.starts.push(self.path.len());
        self.path.push_str(name);
        self.text.clear();
        Ok(())
    }

    fn end(&mut self, line: usize) -> Result<(), ReadError> {
        let depth = self.starts.len().saturating_sub(1);
        let text = std::mem::take(&mut self.text);
        let value = text.trim();
        let ccy = self.ccy.take();
        if let Some(td) = self.tx.as_ref().map(|(d, _)| *d) {
            if depth == td {
                if let (Some((_, tx)), Some((_, entry))) = (self.tx.take(), &mut self.entry) {
                    entry.txs.push(tx);
                }
            } else if let (false, Some((_, tx))) = (value.is_empty(), &mut self.tx) {
                let rel = below(&self.path, &self.starts, td);
                tx_leaf(tx, rel, value, ccy, line)?;
            }
        } else if let Some(ed) = self.entry.as_ref().map(|(d, _)| *d) {
            if depth == ed {
                if let (Some((_, parts)), Some((_, stmt))) = (self.entry.take(), &mut self.stmt) {
                    let entries = finish_entry(parts, stmt.entries + 1)?;
                    if !stmt.begun {
                        stmt.begun = true;
                        self.out.push_back(Item::Begin(head(stmt, self.format.unwrap_or(Format::Camt053))));
                    }
                    stmt.entries += entries.len();
                    self.out.extend(entries.into_iter().map(Item::Entry));
                }
            } else if let (false, Some((_, entry))) = (value.is_empty(), &mut self.entry) {
                let rel = below(&self.path, &self.starts, ed);
                entry_leaf(entry, rel, value, ccy, line)?;
            }
        } else if let Some(bd) = self.balance.as_ref().map(|(d, _)| *d) {
            if depth == bd {
                if let (Some((_, parts)), Some((_, stmt))) = (self.balance.take(), &mut self.stmt) {
                    finish_balance(parts, stmt, line)?;
                }
            } else if let (false, Some((_, bal))) = (value.is_empty(), &mut self.balance) {
                let rel = below(&self.path, &self.starts, bd);
                balance_leaf(bal, rel, value, ccy, line)?;
            }
        } else if let Some(sd) = self.stmt.as_ref().map(|(d, _)| *d) {
            if depth == sd {
                if let Some((_, parts)) = self.stmt.take() {
                    let format = self.format.unwrap_or(Format::Camt053);
                    if !parts.begun {
                        self.out.push_back(Item::Begin(head(&parts, format)));
                    }
                    self.out.push_back(Item::End {
                        format,
                        opening: parts.opening.map(|(_, b)| b),
                        closing: parts.closing,
                    });
                    self.statements += 1;
                }
            } else if let (false, Some((_, stmt))) = (value.is_empty(), &mut self.stmt) {
                let rel = below(&self.path, &self.starts, sd);
                statement_leaf(stmt, rel, value);
            }
        }
        if let Some(i) = self.starts.pop() {
            self.path.truncate(i.saturating_sub(1));
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ReadError> {
        if self.stmt.is_some() {
            // Its entries were yielded: a cut-short file is refused, not
            // taken for a statement without balances.
            return Err(ReadError::file("the file ends inside a statement: it is cut short"));
        }
        let root = self.root.clone().unwrap_or_default();
        match self.format {
            None if root.is_empty() => Err(ReadError::file("not an XML document: no root element")),
            None => Err(ReadError::file(format!(
                "not an ISO 20022 camt.052, camt.053 or camt.054 document: the root element is <{root}> \
                 and there is no BkToCstmrStmt, BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn"
            ))),
            Some(format) if self.statements == 0 => {
                let (message, stmt, _) = MESSAGES.iter().find(|(_, _, f)| *f == format).copied().unwrap_or(MESSAGES[0]);
                Err(ReadError::file(format!(
                    "{message} has no <{stmt}>: a {} document needs at least one",
                    name(format)
                )))
            }
            Some(_) => Ok(()),
        }
    }
}

/// The names below the element at `depth`, joined by `/` (`Acct/Id/IBAN`).
fn below<'p>(path: &'p str, starts: &[usize], depth: usize) -> &'p str {
    starts.get(depth + 1).and_then(|&i| path.get(i..)).unwrap_or_default()
}

/// Whether an element is the message `message`: version 1 names it with
/// its version (`BkToCstmrAcctRptV01`), later versions do not.
fn is_message(name: &str, message: &str) -> bool {
    name.strip_prefix(message).is_some_and(|v| {
        v.is_empty() || v.strip_prefix('V').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

fn name(format: Format) -> &'static str {
    match format {
        Format::Camt052 => "camt.052",
        Format::Camt054 => "camt.054",
        _ => "camt.053",
    }
}

fn amount(value: &str, what: &str, line: usize) -> Result<Decimal, ReadError> {
    let ok = !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && value.bytes().filter(|&b| b == b'.').count() <= 1;
    ok.then(|| value.parse::<Decimal>().ok())
        .flatten()
        .ok_or_else(|| ReadError::at(line, format!("{what}: {value:?} is not an amount (digits and a decimal point)")))
}

fn direction(value: &str, what: &str, line: usize) -> Result<bool, ReadError> {
    match value {
        "DBIT" => Ok(true),
        "CRDT" => Ok(false),
        _ => Err(ReadError::at(line, format!("{what}: {value:?} is neither CRDT nor DBIT"))),
    }
}

/// A `Dt` (`2014-12-31`) or the calendar date of a `DtTm`
/// (`2014-12-31T13:15:00+01:00` → 31 December, as the bank wrote it: R17).
fn date(value: &str, what: &str, line: usize) -> Result<NaiveDate, ReadError> {
    value
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| ReadError::at(line, format!("{what}: {value:?} is not a date (YYYY-MM-DD)")))
}

fn statement_leaf(stmt: &mut StatementParts, rel: &str, value: &str) {
    let a = &mut stmt.account;
    match rel {
        "Id" => stmt.id = Some(value.to_owned()),
        "Acct/Id/IBAN" => match compact_iban(value) {
            Some(iban) => a.iban = Some(iban),
            None => a.number = Some(value.to_owned()),
        },
        "Acct/Id/Othr/Id" | "Acct/Id/PrtryAcct/Id" | "Acct/Id/BBAN" => a.number = Some(value.to_owned()),
        "Acct/Ccy" => a.currency = Some(value.to_owned()),
        "Acct/Nm" => a.name = Some(value.to_owned()),
        "Acct/Ownr/Nm" | "Acct/Ownr/Pty/Nm" => a.owner = Some(value.to_owned()),
        "Acct/Svcr/FinInstnId/BIC" | "Acct/Svcr/FinInstnId/BICFI" => a.bic = Some(value.to_owned()),
        _ => {}
    }
}

fn balance_leaf(
    bal: &mut BalanceParts,
    rel: &str,
    value: &str,
    ccy: Option<String>,
    line: usize,
) -> Result<(), ReadError> {
    match rel {
        "Tp/CdOrPrtry/Cd" => bal.code = Some(value.to_owned()),
        "Amt" => bal.amount = Some((amount(value, "Bal/Amt", line)?, ccy)),
        "CdtDbtInd" => bal.debit = Some(direction(value, "Bal/CdtDbtInd", line)?),
        "Dt/Dt" | "Dt/DtTm" => bal.date = Some(date(value, "Bal/Dt", line)?),
        _ => {}
    }
    Ok(())
}

fn finish_balance(bal: BalanceParts, stmt: &mut StatementParts, line: usize) -> Result<(), ReadError> {
    let code = bal.code.unwrap_or_default();
    let (opening, prcd) = match code.as_str() {
        "OPBD" => (true, false),
        "PRCD" => (true, true),
        "CLBD" => (false, false),
        _ => return Ok(()),
    };
    let (Some((value, currency)), Some(date)) = (bal.amount, bal.date) else {
        return Err(ReadError::at(line, format!("balance {code} has no amount or no date")));
    };
    let debit = bal.debit.ok_or_else(|| ReadError::at(line, format!("balance {code} has no CdtDbtInd")))?;
    let balance = Balance { date, amount: if debit { -value } else { value }, currency };
    if opening {
        // OPBD is this statement's opening; PRCD (the previous closing) only
        // stands in when there is no OPBD.
        if stmt.opening.as_ref().is_none_or(|(was_prcd, _)| *was_prcd && !prcd) {
            stmt.opening = Some((prcd, balance));
        }
    } else {
        stmt.closing = Some(balance);
    }
    Ok(())
}

fn entry_leaf(e: &mut EntryParts, rel: &str, value: &str, ccy: Option<String>, line: usize) -> Result<(), ReadError> {
    match rel {
        "Amt" => e.amount = Some((amount(value, "Ntry/Amt", line)?, ccy)),
        "CdtDbtInd" => e.debit = Some(direction(value, "Ntry/CdtDbtInd", line)?),
        "Sts" | "Sts/Cd" | "Sts/Prtry" => e.status = Some(value.to_owned()),
        "BookgDt/Dt" | "BookgDt/DtTm" => e.booking_date = Some(date(value, "Ntry/BookgDt", line)?),
        "ValDt/Dt" | "ValDt/DtTm" => e.value_date = Some(date(value, "Ntry/ValDt", line)?),
        "AcctSvcrRef" => e.reference = Some(value.to_owned()),
        "BkTxCd/Domn/Cd" => e.domain = Some(value.to_owned()),
        "BkTxCd/Domn/Fmly/Cd" => e.family = Some(value.to_owned()),
        "BkTxCd/Domn/Fmly/SubFmlyCd" => e.subfamily = Some(value.to_owned()),
        "BkTxCd/Prtry/Cd" => e.proprietary_code = Some(value.to_owned()),
        "AddtlNtryInf" => e.info = Some(value.to_owned()),
        _ => {}
    }
    Ok(())
}

fn tx_leaf(tx: &mut TxParts, rel: &str, value: &str, ccy: Option<String>, line: usize) -> Result<(), ReadError> {
    // Version 8 wraps party names in `Pty`; both spellings mean the same.
    let rel = if rel.contains("/Pty/") { std::borrow::Cow::Owned(rel.replace("/Pty/", "/")) } else { rel.into() };
    match &*rel {
        "Amt" => tx.amount = Some((amount(value, "TxDtls/Amt", line)?, ccy)),
        "AmtDtls/TxAmt/Amt" => tx.tx_amount = Some((amount(value, "TxDtls/AmtDtls/TxAmt/Amt", line)?, ccy)),
        "CdtDbtInd" => tx.debit = Some(direction(value, "TxDtls/CdtDbtInd", line)?),
        "Refs/AcctSvcrRef" => tx.reference = Some(value.to_owned()),
        "Refs/EndToEndId" if !value.eq_ignore_ascii_case("NOTPROVIDED") => tx.end_to_end_id = Some(value.to_owned()),
        "Refs/MndtId" => tx.mandate = Some(value.to_owned()),
        "RltdPties/Dbtr/Nm" => tx.debtor.name = Some(value.to_owned()),
        "RltdPties/Cdtr/Nm" => tx.creditor.name = Some(value.to_owned()),
        "RltdPties/UltmtDbtr/Nm" => tx.ultimate_debtor = Some(value.to_owned()),
        "RltdPties/UltmtCdtr/Nm" => tx.ultimate_creditor = Some(value.to_owned()),
        "RltdPties/DbtrAcct/Id/IBAN" => tx.debtor.account = Some(compact_iban(value).unwrap_or_else(|| value.into())),
        "RltdPties/CdtrAcct/Id/IBAN" => tx.creditor.account = Some(compact_iban(value).unwrap_or_else(|| value.into())),
        "RltdPties/DbtrAcct/Id/Othr/Id" => {
            tx.debtor.account.get_or_insert_with(|| value.to_owned());
        }
        "RltdPties/CdtrAcct/Id/Othr/Id" => {
            tx.creditor.account.get_or_insert_with(|| value.to_owned());
        }
        "RltdAgts/DbtrAgt/FinInstnId/BIC" | "RltdAgts/DbtrAgt/FinInstnId/BICFI" => tx.debtor.bic = Some(value.into()),
        "RltdAgts/CdtrAgt/FinInstnId/BIC" | "RltdAgts/CdtrAgt/FinInstnId/BICFI" => tx.creditor.bic = Some(value.into()),
        "RmtInf/Ustrd" => tx.remittance.push(value.to_owned()),
        "RmtInf/Strd/CdtrRefInf/Ref" => {
            tx.structured_reference.get_or_insert_with(|| value.to_owned());
        }
        "AddtlTxInf" => tx.info = Some(value.to_owned()),
        _ => {}
    }
    Ok(())
}

/// A statement as its `Begin` item tells it: everything but its entries.
fn head(parts: &StatementParts, format: Format) -> Statement {
    Statement {
        format,
        id: parts.id.clone(),
        account: parts.account.clone(),
        opening: parts.opening.as_ref().map(|(_, b)| b.clone()),
        closing: parts.closing.clone(),
        entries: Vec::new(),
    }
}

/// One entry, or one per transaction of a batch whose transactions add up
/// to it exactly (see the module's doc).
fn finish_entry(mut e: EntryParts, position: usize) -> Result<Vec<Entry>, ReadError> {
    let line = e.line;
    let (value, currency) = e.amount.take().ok_or_else(|| ReadError::at(line, "entry (Ntry) has no amount (Amt)"))?;
    let debit = e.debit.ok_or_else(|| ReadError::at(line, "entry (Ntry) has no CdtDbtInd"))?;
    let booking_date = e
        .booking_date
        .or(e.value_date)
        .ok_or_else(|| ReadError::at(line, "entry (Ntry) has neither a booking date (BookgDt) nor a value date"))?;
    let signed = if debit { -value } else { value };
    let code = match (&e.domain, &e.family, &e.subfamily) {
        (Some(d), Some(f), Some(s)) => Some(format!("{d}-{f}-{s}")),
        _ => e.proprietary_code.clone(),
    };
    let base = Entry {
        position,
        line: Some(line),
        booking_date,
        value_date: e.value_date,
        amount: signed,
        currency: currency.clone(),
        description: e.info.clone(),
        bank_reference: e.reference.clone(),
        bank_transaction_code: code,
        booked: matches!(e.status.as_deref(), None | Some("BOOK")),
        ..Entry::default()
    };
    let txs = std::mem::take(&mut e.txs);
    if txs.len() == 1 {
        let tx = txs.into_iter().next().unwrap_or_default();
        return Ok(vec![with_details(base, tx, debit)]);
    }
    if txs.len() > 1 && splits_exactly(&txs, signed, currency.as_deref(), debit) {
        let reference = e.reference.clone();
        return Ok(txs
            .into_iter()
            .enumerate()
            .map(|(i, tx)| {
                let tx_debit = tx.debit.unwrap_or(debit);
                let (v, _) = tx.tx_amount.clone().or_else(|| tx.amount.clone()).unwrap_or_default();
                let mut entry = Entry {
                    position: position + i,
                    amount: if tx_debit { -v } else { v },
                    bank_reference: tx
                        .reference
                        .clone()
                        .or_else(|| reference.as_ref().map(|r| format!("{r}/{}", i + 1))),
                    ..base.clone()
                };
                entry.description = tx.info.clone().or(entry.description);
                with_details(entry, tx, debit)
            })
            .collect());
    }
    Ok(vec![base])
}

fn splits_exactly(txs: &[TxParts], signed: Decimal, currency: Option<&str>, debit: bool) -> bool {
    let mut sum = Decimal::ZERO;
    for tx in txs {
        let Some((v, ccy)) = tx.tx_amount.as_ref().or(tx.amount.as_ref()) else {
            return false;
        };
        if ccy.is_some() && currency.is_some() && ccy.as_deref() != currency {
            return false;
        }
        sum += if tx.debit.unwrap_or(debit) { -*v } else { *v };
    }
    sum == signed
}

fn with_details(mut entry: Entry, tx: TxParts, entry_debit: bool) -> Entry {
    let out = tx.debit.unwrap_or(entry_debit);
    let (party, ultimate) = if out { (tx.creditor, tx.ultimate_creditor) } else { (tx.debtor, tx.ultimate_debtor) };
    entry.counterparty_name = party.name.or(ultimate);
    entry.counterparty_account = party.account;
    entry.counterparty_bic = party.bic;
    entry.end_to_end_id = tx.end_to_end_id;
    entry.mandate = tx.mandate;
    entry.remittance = (!tx.remittance.is_empty()).then(|| tx.remittance.join(" "));
    entry.structured_reference = tx.structured_reference;
    if entry.description.is_none() {
        entry.description = tx.info;
    }
    if entry.bank_reference.is_none() {
        entry.bank_reference = tx.reference;
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::read_camt;

    #[test]
    fn a_doc_without_a_root_is_refused() {
        assert!(read_camt(&b""[..]).is_err());
        assert!(read_camt(&b"<a><b></a>"[..]).is_err(), "mismatched end tag");
    }
}

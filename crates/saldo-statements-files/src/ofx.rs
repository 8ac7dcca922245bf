//! OFX 1.x (SGML), OFX 2.x (XML) and Quicken's QFX (OFX with `INTU.*`
//! extras) bank and credit-card statements.
//!
//! The tokenizer is our own: the one Rust OFX crate that reads 1.x (`ofx-rs`
//! 0.2) maps the file into strict typed aggregates and refuses the whole
//! document on the nonconformities real banks write (empty leaf elements,
//! a lower-case `TRNTYPE`, unknown elements), and it cannot name the line of
//! a bad value. OFX's SGML is small — tags, leaf values that end at the
//! next `<`, end tags only for aggregates — so one tokenizer reads 1.x and
//! 2.x alike, tolerantly, and keeps line numbers.
//!
//! What is read, and how:
//! - Every `STMTRS` (bank) and `CCSTMTRS` (credit card) is its own
//!   [`Statement`], so a multi-account file maps each account by its
//!   `ACCTID` ([`AccountRef::number`]; also [`AccountRef::iban`] when the id
//!   is an IBAN). `CURDEF` is the account's currency. `BANKID`/`BRANCHID`
//!   and `ACCTTYPE` are not kept (no field; the id is what matching uses).
//! - `LEDGERBAL` is the closing balance (`BALAMT` on the date of `DTASOF`).
//!   OFX states no opening balance. `AVAILBAL` (funds or credit available,
//!   not a booked balance) is ignored. An empty `BALAMT` means no balance.
//! - `STMTTRN`: `DTPOSTED` is the booking date; `DTAVAIL` (or the
//!   non-standard `VALUEDATE`) the value date. `DTUSER` — when the customer
//!   initiated it, e.g. a card purchase — is not a value date and is not
//!   kept. `TRNAMT` is the signed amount (a credit-card charge is negative:
//!   money out of the account); `FITID` the bank reference; `TRNTYPE` the
//!   bank transaction code as written; `NAME` (or `PAYEE`/`NAME`) the
//!   counterparty; `MEMO` the description; `BANKACCTTO`/`CCACCTTO` `ACCTID`
//!   the counterparty's account; `CURRENCY`/`CURSYM` the entry's currency
//!   (else `CURDEF`). `CHECKNUM`, `REFNUM`, `SIC`, `PAYEEID` have no field
//!   and are dropped. Every OFX entry is booked.
//! - Dates (`YYYYMMDD[HHMMSS[.XXX]][[±H:TZ]]`) are the calendar date as
//!   written: the time and zone are dropped, not converted (R17).
//! - Amounts are exact; a comma decimal separator (`-12,50`, written by
//!   some European banks) is read as one. A currency symbol is refused.
//! - Investment statements (`INVSTMTRS`, including their cash
//!   `INVBANKTRAN`s) are not bank accounts: they are skipped with a
//!   [`Note`]; a file with nothing else is refused.
//! - Header `CHARSET`/`ENCODING` (1.x) or `encoding="…"` (2.x) choose the
//!   decoding (1252, ISO-8859-1, UTF-8, …); a file without a header (seen
//!   in the wild) is UTF-8 if valid, else Windows-1252. Entities (`&amp;`,
//!   `&#233;` …) and `CDATA` sections are decoded.
//!
//! Accepted nonconformities: a missing header, XML-style end tags on leaf
//! elements in a 1.x file, empty leaf elements, text after `</OFX>`. Refused
//! with the line: an entry without a valid `DTPOSTED` or `TRNAMT`, a date
//! that is not a calendar date (`20120231`), a file whose only content is a
//! sign-on or server error (the bank's code and message are quoted).

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_statements::{compact_iban, AccountRef, Balance, Entry, Format, ReadError, Statement};

use crate::text::{decode_labelled, non_empty, parse_amount, NumberStyle};
use crate::{Note, Reading};

/// Deeper nesting than any OFX file has; refused rather than risk the stack.
const MAX_DEPTH: usize = 64;

/// The statements of an OFX/QFX file, one per bank or credit-card account.
pub fn read(bytes: &[u8]) -> Result<Vec<Statement>, ReadError> {
    read_with_notes(bytes).map(|r| r.statements)
}

/// [`read`], with notes on what was skipped (investment accounts, accounts
/// the bank answered with an error) and on a wrongly declared encoding.
pub fn read_with_notes(bytes: &[u8]) -> Result<Reading, ReadError> {
    let (text, encoding_note) = decode(bytes)?;
    let tokens = tokenize(&text)?;
    let root = build_tree(tokens)?;
    let mut walk = Walk::default();
    if let Some(note) = encoding_note {
        walk.notes.push(Note::file(note));
    }
    let Some(ofx) = root.children.iter().find(|n| n.name == "OFX") else {
        return Err(ReadError::file("not an OFX file: it has no <OFX> element"));
    };
    walk.visit(ofx)?;
    if walk.statements.is_empty() {
        return Err(ReadError::file(walk.why_empty()));
    }
    Ok(Reading { statements: walk.statements, notes: walk.notes })
}

/// Whether `bytes` look like OFX (for format detection by content).
pub fn sniff(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_uppercase();
    head.contains("OFXHEADER") || head.contains("<OFX>")
}

/// The file as text, decoded as its header says.
fn decode(bytes: &[u8]) -> Result<(String, Option<String>), ReadError> {
    let Some(first_tag) = bytes.iter().position(|b| *b == b'<') else {
        return Err(ReadError::file("not an OFX file: it has no <OFX> element"));
    };
    let header = String::from_utf8_lossy(&bytes[..first_tag]);
    let mut label: Option<String> = None;
    if header.contains("OFXHEADER") {
        let field = |key: &str| {
            header.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().to_ascii_uppercase())
            })
        };
        let encoding = field("ENCODING");
        let charset = field("CHARSET");
        label = match (encoding.as_deref(), charset.as_deref()) {
            (Some("UTF-8" | "UNICODE"), _) => Some("utf-8".into()),
            (_, Some("1252" | "WINDOWS-1252" | "CP1252")) => Some("windows-1252".into()),
            (_, Some("8859-1" | "ISO-8859-1" | "LATIN1" | "LATIN-1")) => Some("iso-8859-1".into()),
            (_, Some("NONE")) | (_, None) => None,
            (_, Some(other)) => Some(other.to_owned()),
        };
    } else {
        let rest = &bytes[first_tag..bytes.len().min(first_tag + 512)];
        let prolog = String::from_utf8_lossy(rest);
        if let Some(decl) = prolog.strip_prefix("<?xml").and_then(|d| d.split("?>").next()) {
            label = decl.split_once("encoding=").and_then(|(_, v)| {
                let v = v.trim_start();
                let quote = v.chars().next().filter(|c| matches!(c, '"' | '\''))?;
                v[1..].split(quote).next().map(str::to_owned)
            });
            if label.is_none() {
                label = Some("utf-8".into());
            }
        }
    }
    Ok(decode_labelled(bytes, label.as_deref()))
}

#[derive(Debug, PartialEq)]
enum Token {
    Start { name: String, line: usize },
    End { name: String },
    Text { text: String, line: usize },
}

/// Tags, end tags and text (entities and CDATA decoded), with the line each
/// starts on; comments, processing instructions and declarations dropped.
fn tokenize(text: &str) -> Result<Vec<Token>, ReadError> {
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut rest = text;
    // Lines: `\r\n`, `\n` and a lone `\r` each end one.
    let count_lines = |s: &str| s.matches('\n').count() + s.matches('\r').count() - s.matches("\r\n").count();
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            tokens.push(Token::Text { text: decode_entities(rest), line });
            break;
        };
        if lt > 0 {
            tokens.push(Token::Text { text: decode_entities(&rest[..lt]), line });
            line += count_lines(&rest[..lt]);
            rest = &rest[lt..];
        }
        let (consumed, token) = if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").ok_or_else(|| ReadError::at(line, "a CDATA section is not closed"))?;
            (9 + end + 3, Some(Token::Text { text: body[..end].to_owned(), line }))
        } else if rest.starts_with("<!--") {
            let end = rest.find("-->").ok_or_else(|| ReadError::at(line, "a comment is not closed"))?;
            (end + 3, None)
        } else if rest.starts_with("<?") || rest.starts_with("<!") {
            let end = rest.find('>').ok_or_else(|| ReadError::at(line, "a declaration is not closed"))?;
            (end + 1, None)
        } else if rest[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') {
            let end = rest.find('>').ok_or_else(|| ReadError::at(line, "a tag is not closed with `>`"))?;
            let inner = &rest[1..end];
            let (is_end, inner) = match inner.strip_prefix('/') {
                Some(i) => (true, i),
                None => (false, inner),
            };
            let self_closing = inner.ends_with('/');
            let name = inner
                .trim_end_matches('/')
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            if is_end {
                (end + 1, Some(Token::End { name }))
            } else {
                tokens.push(Token::Start { name: name.clone(), line });
                (end + 1, self_closing.then_some(Token::End { name }))
            }
        } else {
            // A `<` that starts no tag is text.
            (1, Some(Token::Text { text: "<".into(), line }))
        };
        line += count_lines(&rest[..consumed]);
        rest = &rest[consumed..];
        tokens.extend(token);
    }
    Ok(tokens)
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and numeric
/// references; any other `&` is kept as written (SGML files often carry a
/// bare `AT&T`).
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity = rest[1..].find(';').filter(|&i| i <= 10).map(|i| &rest[1..=i]);
        let decoded = entity.and_then(|e| match e {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => {
                let n = e.strip_prefix('#')?;
                let code = match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => n.parse().ok()?,
                };
                char::from_u32(code)
            }
        });
        match (decoded, entity) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &rest[e.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// An element: an aggregate with children, or a leaf with a value.
#[derive(Debug, Default)]
struct Node {
    name: String,
    line: usize,
    value: Option<String>,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// A leaf child's value, trimmed; `None` when absent or empty.
    fn value(&self, name: &str) -> Option<String> {
        self.child(name).and_then(|c| c.value.as_deref()).and_then(non_empty)
    }
}

/// The element tree. OFX 1.x closes aggregates but not leaves: a start tag
/// followed by text is a leaf (its optional end tag is consumed); an empty
/// one is an aggregate only if the file closes that name somewhere after
/// children — otherwise it is an empty leaf (`<MEMO>` with nothing after).
fn build_tree(tokens: Vec<Token>) -> Result<Node, ReadError> {
    // Names the file closes after other elements: its aggregates.
    let mut aggregates = HashSet::new();
    for (i, token) in tokens.iter().enumerate() {
        if let Token::End { name } = token {
            let closes_leaf = match (i.checked_sub(1).map(|j| &tokens[j]), i.checked_sub(2).map(|j| &tokens[j])) {
                (Some(Token::Start { name: n, .. }), _) => n == name,
                (Some(Token::Text { .. }), Some(Token::Start { name: n, .. })) => n == name,
                _ => false,
            };
            if !closes_leaf {
                aggregates.insert(name.clone());
            }
        }
    }
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            Token::Start { name, line } => {
                let mut value = String::new();
                while let Some(Token::Text { .. }) = tokens.peek() {
                    if let Some(Token::Text { text, .. }) = tokens.next() {
                        value.push_str(&text);
                    }
                }
                let closed_here = matches!(tokens.peek(), Some(Token::End { name: n }) if *n == name);
                let value = value.trim();
                if !value.is_empty() || closed_here || !aggregates.contains(&name) {
                    if closed_here {
                        tokens.next();
                    }
                    let leaf = Node { name, line, value: Some(value.to_owned()), children: Vec::new() };
                    if let Some(top) = stack.last_mut() {
                        top.children.push(leaf);
                    }
                } else {
                    if stack.len() > MAX_DEPTH {
                        return Err(ReadError::at(line, "elements are nested too deeply for an OFX file"));
                    }
                    stack.push(Node { name, line, value: None, children: Vec::new() });
                }
            }
            Token::End { name } => {
                // Close up to the matching open aggregate; a stray end tag
                // (nothing open by that name) is ignored.
                if stack.iter().skip(1).any(|n| n.name == name) {
                    while stack.len() > 1 {
                        let Some(node) = stack.pop() else { break };
                        let done = node.name == name;
                        if let Some(parent) = stack.last_mut() {
                            parent.children.push(node);
                        }
                        if done {
                            break;
                        }
                    }
                }
            }
            Token::Text { .. } => {} // between elements: whitespace or stray text
        }
    }
    while stack.len() > 1 {
        if let Some(node) = stack.pop() {
            if let Some(parent) = stack.last_mut() {
                parent.children.push(node);
            }
        }
    }
    Ok(stack.pop().unwrap_or_default())
}

/// What the walk over `<OFX>` found.
#[derive(Default)]
struct Walk {
    statements: Vec<Statement>,
    notes: Vec<Note>,
    errors: Vec<String>,
    investment: bool,
    account_list: bool,
}

impl Walk {
    fn visit(&mut self, node: &Node) -> Result<(), ReadError> {
        match node.name.as_str() {
            "STMTRS" | "CCSTMTRS" => {
                let statement = statement(node)?;
                self.statements.push(statement);
            }
            "INVSTMTRS" => {
                self.investment = true;
                let account = node.child("INVACCTFROM").and_then(|a| a.value("ACCTID")).unwrap_or_default();
                self.notes.push(Note::at(
                    node.line,
                    format!("investment account {account} skipped: Saldo imports bank and credit-card accounts"),
                ));
            }
            "ACCTINFORS" => self.account_list = true,
            "SONRS" | "STMTTRNRS" | "CCSTMTTRNRS" | "INVSTMTTRNRS" => {
                if let Some(status) = node.child("STATUS") {
                    if status.value("SEVERITY").as_deref() == Some("ERROR") {
                        let code = status.value("CODE").unwrap_or_default();
                        let message = status.value("MESSAGE").unwrap_or_default();
                        let what = if node.name == "SONRS" { "sign-on" } else { "statement request" };
                        let error = format!("the bank answered the {what} with error {code} {message}");
                        self.notes.push(Note::at(status.line, error.trim_end().to_owned()));
                        self.errors.push(error.trim_end().to_owned());
                    }
                }
                for child in &node.children {
                    self.visit(child)?;
                }
            }
            _ => {
                for child in &node.children {
                    self.visit(child)?;
                }
            }
        }
        Ok(())
    }

    /// Why a file gave no statement, in the words of what it holds instead.
    fn why_empty(&self) -> String {
        if let Some(error) = self.errors.first() {
            format!("no statement in this OFX file: {error}")
        } else if self.investment {
            "this OFX file holds only investment accounts, which are not bank accounts".into()
        } else if self.account_list {
            "this OFX file is a list of accounts, with no statement".into()
        } else {
            "no bank or credit-card statement in this OFX file".into()
        }
    }
}

fn statement(node: &Node) -> Result<Statement, ReadError> {
    let currency = node.value("CURDEF");
    let from = node.child("BANKACCTFROM").or_else(|| node.child("CCACCTFROM"));
    let number = from.and_then(|f| f.value("ACCTID"));
    let account = AccountRef {
        iban: number.as_deref().and_then(compact_iban),
        number,
        currency: currency.clone(),
        ..AccountRef::default()
    };
    let closing = match node.child("LEDGERBAL") {
        Some(bal) => match (bal.value("BALAMT"), bal.child("DTASOF")) {
            (Some(amount), Some(asof)) => Some(Balance {
                date: date(asof)?,
                amount: amount_of(&amount, bal.child("BALAMT").map_or(bal.line, |b| b.line))?,
                currency: currency.clone(),
            }),
            _ => None,
        },
        None => None,
    };
    let mut entries = Vec::new();
    if let Some(list) = node.child("BANKTRANLIST") {
        for trn in list.children.iter().filter(|c| c.name == "STMTTRN") {
            entries.push(entry(trn, entries.len() + 1, currency.as_deref())?);
        }
    }
    Ok(Statement { format: Format::Ofx, id: None, account, opening: None, closing, entries })
}

fn entry(trn: &Node, position: usize, currency: Option<&str>) -> Result<Entry, ReadError> {
    let posted = trn
        .child("DTPOSTED")
        .ok_or_else(|| ReadError::at(trn.line, "a transaction (STMTTRN) has no posting date (DTPOSTED)"))?;
    let amount_node =
        trn.child("TRNAMT").ok_or_else(|| ReadError::at(trn.line, "a transaction (STMTTRN) has no amount (TRNAMT)"))?;
    let amount = amount_of(amount_node.value.as_deref().unwrap_or_default(), amount_node.line)?;
    let value_date = match trn.child("DTAVAIL").or_else(|| trn.child("VALUEDATE")) {
        Some(d) if d.value.as_deref().is_some_and(|v| !v.trim().is_empty()) => Some(date(d)?),
        _ => None,
    };
    let counterparty_name = trn.value("NAME").or_else(|| trn.child("PAYEE").and_then(|p| p.value("NAME")));
    let counterparty_account = trn
        .child("BANKACCTTO")
        .or_else(|| trn.child("CCACCTTO"))
        .and_then(|a| a.value("ACCTID"))
        .map(|id| compact_iban(&id).unwrap_or(id));
    Ok(Entry {
        position,
        line: Some(trn.line),
        booking_date: date(posted)?,
        value_date,
        amount,
        currency: trn.child("CURRENCY").and_then(|c| c.value("CURSYM")).or_else(|| currency.map(str::to_owned)),
        counterparty_name,
        counterparty_account,
        description: trn.value("MEMO"),
        bank_reference: trn.value("FITID"),
        bank_transaction_code: trn.value("TRNTYPE"),
        booked: true,
        ..Entry::default()
    })
}

/// The calendar date an OFX date-time writes (`YYYYMMDD…`), time and zone
/// dropped (R17: a bank's date is a calendar date, not an instant).
fn date(node: &Node) -> Result<NaiveDate, ReadError> {
    let raw = node.value.as_deref().unwrap_or_default().trim();
    let bad = || ReadError::at(node.line, format!("{} `{raw}` is not a date (YYYYMMDD…)", node.name));
    if raw.is_empty() {
        return Err(ReadError::at(node.line, format!("{} is empty", node.name)));
    }
    let digits = raw.get(..8).filter(|d| d.bytes().all(|b| b.is_ascii_digit())).ok_or_else(bad)?;
    let number = |r: std::ops::Range<usize>| digits[r].parse::<u32>().ok();
    let (Some(y), Some(m), Some(d)) = (number(0..4), number(4..6), number(6..8)) else {
        return Err(bad());
    };
    NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(bad)
}

/// An OFX amount: a plain signed decimal, with `.` or (some European banks)
/// `,` as the decimal separator.
fn amount_of(raw: &str, line: usize) -> Result<Decimal, ReadError> {
    let raw = raw.trim();
    let decimal = if raw.contains(',') && !raw.contains('.') { ',' } else { '.' };
    let thousands = if decimal == '.' { Some(',') } else { None };
    parse_amount(raw, NumberStyle { decimal, thousands, symbols: false }).map_err(|e| ReadError::at(line, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_decoded_and_bare_ampersands_kept() {
        assert_eq!(decode_entities("AT&amp;T &lt;x&gt; &#233;t&#xE9; AT&T &bogus;"), "AT&T <x> été AT&T &bogus;");
    }

    #[test]
    fn sgml_leaves_end_at_the_next_tag_and_aggregates_at_their_end_tag() {
        let tokens = tokenize("<OFX><A><B>1<C>two\n</A><D></D><E>x</E></OFX>").unwrap();
        let root = build_tree(tokens).unwrap();
        let ofx = &root.children[0];
        let a = ofx.child("A").unwrap();
        assert_eq!(a.value("B").as_deref(), Some("1"));
        assert_eq!(a.value("C").as_deref(), Some("two"));
        assert_eq!(ofx.value("D"), None, "an empty leaf has no value");
        assert_eq!(ofx.value("E").as_deref(), Some("x"));
    }

    #[test]
    fn an_empty_unclosed_leaf_does_not_swallow_its_siblings() {
        let root = build_tree(tokenize("<OFX><T><MEMO><NAME>n</T></OFX>").unwrap()).unwrap();
        let t = root.children[0].child("T").unwrap();
        assert_eq!(t.value("NAME").as_deref(), Some("n"), "NAME stays a child of T");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let mut text = String::new();
        for _ in 0..10_000 {
            text.push_str("<A>");
        }
        for _ in 0..10_000 {
            text.push_str("</A>");
        }
        assert!(build_tree(tokenize(&text).unwrap()).is_err());
    }

    /// R17: the calendar date as written; time and zone are not converted.
    #[test]
    fn dates_are_the_calendar_day_written() {
        let node = |v: &str| Node { name: "DTPOSTED".into(), line: 3, value: Some(v.into()), children: vec![] };
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(date(&node("20090401122017.000[-5:EST]")).unwrap(), d(2009, 4, 1));
        assert_eq!(date(&node("20111231235959[+14:LINT]")).unwrap(), d(2011, 12, 31));
        assert_eq!(date(&node("20131215")).unwrap(), d(2013, 12, 15));
        assert_eq!(date(&node("20120231")).unwrap_err().line, Some(3));
        assert!(date(&node("201120000000")).is_err());
        assert!(date(&node("")).is_err());
    }

    #[test]
    fn comma_decimal_amounts_are_read() {
        assert_eq!(amount_of("-12,50", 1).unwrap(), Decimal::new(-1250, 2));
        assert_eq!(amount_of("-00000000001500.0000", 1).unwrap(), Decimal::new(-15_000_000, 4));
        assert!(amount_of("$120", 9).is_err());
    }
}

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

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, Read};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_statements::{compact_iban, AccountRef, Balance, Entry, Format, ReadError, Statement};

use saldo_statements::Item;

use crate::text::{non_empty, parse_amount, NumberStyle};
use crate::{io_error, Note, Reading, Reopen, Stream};

/// Deeper nesting than any OFX file has; refused rather than risk the stack.
const MAX_DEPTH: usize = 64;

/// The statements of an OFX/QFX file, one per bank or credit-card account.
pub fn read(bytes: &[u8]) -> Result<Vec<Statement>, ReadError> {
    read_with_notes(bytes).map(|r| r.statements)
}

/// [`read`], with notes on what was skipped (investment accounts, accounts
/// the bank answered with an error) and on a wrongly declared encoding.
pub fn read_with_notes(bytes: &[u8]) -> Result<Reading, ReadError> {
    stream(&bytes)?.into_reading()
}

/// [`read_with_notes`], streamed, in three passes over the file:
/// 1. its tags: whether the declared encoding holds for every byte, and
///    which names the file closes after other elements (its aggregates:
///    OFX 1.x closes aggregates, not leaves);
/// 2. its element tree without the transactions: the accounts, balances,
///    the bank's errors and what is skipped; every transaction is checked
///    here and dropped;
/// 3. its transactions, each handed over as it ends.
pub fn stream<'a>(file: &'a dyn Reopen) -> Result<Stream<'a>, ReadError> {
    let label = label(file)?;
    let (decoding, aggregates) = first_pass(file, label.as_deref())?;
    let mut walk = Walk::default();
    if let Some(note) = decoding.note.clone() {
        walk.notes.push(Note::file(note));
    }
    let mut builder = Builder::open(file, decoding.encoding, aggregates.clone())?;
    let mut meta = Meta::default();
    while builder.step(&mut meta)? {}
    let root = builder.finish(&mut meta)?;
    let Some(ofx) = root.children.iter().find(|n| n.name == "OFX") else {
        return Err(ReadError::file("not an OFX file: it has no <OFX> element"));
    };
    walk.visit(ofx)?;
    if walk.statements.is_empty() {
        return Err(ReadError::file(walk.why_empty()));
    }
    let builder = Builder::open(file, decoding.encoding, aggregates)?;
    let items = Emit { builder: Some(builder), sink: Entries { statements: walk.statements, ..Entries::default() } };
    Ok(Stream { notes: walk.notes, items: Box::new(items) })
}

/// Whether `bytes` look like OFX (for format detection by content).
pub fn sniff(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_uppercase();
    head.contains("OFXHEADER") || head.contains("<OFX>")
}

/// The most of a file's first bytes read for its header, before its first tag.
const HEAD: u64 = 1 << 16;

/// The encoding the file's header declares: 1.x `CHARSET`/`ENCODING`, or
/// 2.x `<?xml … encoding="…"?>` (UTF-8 when the declaration names none).
fn label(file: &dyn Reopen) -> Result<Option<String>, ReadError> {
    let mut bytes = Vec::new();
    let mut r = file.open_at(0).map_err(|e| io_error(&e))?;
    (&mut r).take(HEAD).read_until(b'<', &mut bytes).map_err(|e| io_error(&e))?;
    if bytes.last() != Some(&b'<') {
        return Err(ReadError::file("not an OFX file: it has no <OFX> element"));
    }
    let first_tag = bytes.len() - 1;
    r.take(511).read_to_end(&mut bytes).map_err(|e| io_error(&e))?;
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
    Ok(label)
}

/// How the file's text is decoded, and the note when its declared encoding
/// was wrong.
struct Decoding {
    encoding: &'static encoding_rs::Encoding,
    note: Option<String>,
}

/// The first pass: the encoding that holds for the whole file (the declared
/// one if every byte is valid in it; without a declaration UTF-8 if valid,
/// else Windows-1252), and the names the file closes after other elements.
fn first_pass(file: &dyn Reopen, label: Option<&str>) -> Result<(Decoding, HashSet<String>), ReadError> {
    let declared = label.and_then(|l| encoding_rs::Encoding::for_label(l.trim().as_bytes()));
    let mut valid = true;
    let mut aggregates = HashSet::new();
    // The two tokens before this one: a start tag's name, or text.
    let mut before: [Option<Option<String>>; 2] = [None, None];
    let mut tokens = Tokens::open(file)?;
    while let Some(token) = tokens.next_token()? {
        let this = match token {
            Raw::Text { bytes, .. } => {
                valid = valid
                    && match declared {
                        Some(e) => e.decode_without_bom_handling_and_without_replacement(&bytes).is_some(),
                        None => std::str::from_utf8(&bytes).is_ok(),
                    };
                Some(None)
            }
            Raw::Start { name, .. } => Some(Some(name)),
            Raw::End { name } => {
                let closes_leaf = match &before {
                    [_, Some(Some(n))] => *n == name,
                    [Some(Some(n)), Some(None)] => *n == name,
                    _ => false,
                };
                if !closes_leaf {
                    aggregates.insert(name);
                }
                None
            }
        };
        before = [before[1].take(), this];
    }
    let decoding = match (declared, valid) {
        (Some(e), true) => Decoding { encoding: e, note: None },
        (Some(e), false) => Decoding {
            encoding: encoding_rs::WINDOWS_1252,
            note: Some(format!("the file declares {} but is not: read as Windows-1252", e.name())),
        },
        (None, true) => Decoding { encoding: encoding_rs::UTF_8, note: None },
        (None, false) => Decoding { encoding: encoding_rs::WINDOWS_1252, note: None },
    };
    Ok((decoding, aggregates))
}

/// A token as read: a tag's upper-case name, or text as bytes (a CDATA
/// section's without entities to decode).
#[derive(Debug, PartialEq)]
enum Raw {
    Start { name: String, line: usize },
    End { name: String },
    Text { bytes: Vec<u8>, line: usize, cdata: bool },
}

/// A token decoded.
#[derive(Debug, PartialEq)]
enum Token {
    Start { name: String, line: usize },
    End { name: String },
    Text { text: String },
}

/// Longer text or tags than any OFX file has are refused (bounded memory).
const MAX_TOKEN: u64 = 1 << 20;

/// Tags, end tags and text, read a token at a time, with the line each
/// starts on; comments, processing instructions and declarations dropped.
struct Tokens<'f> {
    r: Box<dyn BufRead + Send + 'f>,
    line: usize,
    queue: VecDeque<Raw>,
    done: bool,
}

/// Lines in `bytes`: `\r\n`, `\n` and a lone `\r` each end one.
fn count_lines(bytes: &[u8]) -> usize {
    let mut n = 0;
    for (i, b) in bytes.iter().enumerate() {
        n += usize::from(*b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')));
    }
    n
}

impl<'f> Tokens<'f> {
    fn open(file: &'f dyn Reopen) -> Result<Self, ReadError> {
        let mut r = file.open_at(0).map_err(|e| io_error(&e))?;
        if r.fill_buf().map_err(|e| io_error(&e))?.starts_with(b"\xEF\xBB\xBF") {
            r.consume(3);
        }
        Ok(Self { r, line: 1, queue: VecDeque::new(), done: false })
    }

    fn next_token(&mut self) -> Result<Option<Raw>, ReadError> {
        while self.queue.is_empty() && !self.done {
            self.read()?;
        }
        Ok(self.queue.pop_front())
    }

    /// Reads up to `end` (its last byte), or to the file's end.
    fn until(&mut self, end: u8, into: &mut Vec<u8>) -> Result<bool, ReadError> {
        let n = (&mut self.r).take(MAX_TOKEN).read_until(end, into).map_err(|e| io_error(&e))?;
        if n as u64 == MAX_TOKEN && into.last() != Some(&end) {
            return Err(ReadError::at(self.line, "a value or tag is longer than any OFX file has"));
        }
        Ok(into.last() == Some(&end))
    }

    /// Text up to the next `<`, then the tag it starts.
    fn read(&mut self) -> Result<(), ReadError> {
        let mut text = Vec::new();
        let tag_follows = self.until(b'<', &mut text)?;
        if tag_follows {
            text.pop();
        }
        if !text.is_empty() {
            let line = self.line;
            self.line += count_lines(&text);
            self.queue.push_back(Raw::Text { bytes: text, line, cdata: false });
        }
        if !tag_follows {
            self.done = true;
            return Ok(());
        }
        let line = self.line;
        let next = self.r.fill_buf().map_err(|e| io_error(&e))?.first().copied();
        let mut tag = Vec::new();
        match next {
            Some(b'!' | b'?') => {
                let closed = self.until(b'>', &mut tag)?;
                if tag.starts_with(b"![CDATA[") {
                    while !tag.ends_with(b"]]>") {
                        if !self.until(b'>', &mut tag)? {
                            return Err(ReadError::at(line, "a CDATA section is not closed"));
                        }
                    }
                    self.queue.push_back(Raw::Text { bytes: tag[8..tag.len() - 3].to_vec(), line, cdata: true });
                } else if tag.starts_with(b"!--") {
                    while !tag.ends_with(b"-->") {
                        if !self.until(b'>', &mut tag)? {
                            return Err(ReadError::at(line, "a comment is not closed"));
                        }
                    }
                } else if !closed {
                    return Err(ReadError::at(line, "a declaration is not closed"));
                }
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'/' => {
                if !self.until(b'>', &mut tag)? {
                    return Err(ReadError::at(line, "a tag is not closed with `>`"));
                }
                let inner = String::from_utf8_lossy(&tag[..tag.len() - 1]);
                let (is_end, inner) = match inner.strip_prefix('/') {
                    Some(i) => (true, i),
                    None => (false, &inner[..]),
                };
                let self_closing = inner.ends_with('/');
                let name = inner
                    .trim_end_matches('/')
                    .split(|c: char| c.is_whitespace())
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                if is_end {
                    self.queue.push_back(Raw::End { name });
                } else {
                    self.queue.push_back(Raw::Start { name: name.clone(), line });
                    if self_closing {
                        self.queue.push_back(Raw::End { name });
                    }
                }
            }
            // A `<` that starts no tag is text.
            _ => self.queue.push_back(Raw::Text { bytes: b"<".to_vec(), line, cdata: true }),
        }
        self.line += count_lines(&tag);
        Ok(())
    }
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
    /// Told apart from other elements of the same name while reading.
    id: u64,
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

/// What a pass does with the elements as the tree is read.
trait Sink {
    /// An element begins (`stack`'s last; a leaf begins and ends at once).
    fn opened(&mut self, stack: &[Node]);
    /// An element ends; what is returned joins its parent (`stack`'s last).
    fn ended(&mut self, node: Node, stack: &[Node]) -> Result<Option<Node>, ReadError>;
}

/// The element tree, read a token at a time. OFX 1.x closes aggregates but
/// not leaves: a start tag followed by text is a leaf (its optional end tag
/// is consumed); an empty one is an aggregate only if the file closes that
/// name somewhere after children — otherwise it is an empty leaf (`<MEMO>`
/// with nothing after).
struct Builder<'f> {
    tokens: Tokens<'f>,
    encoding: &'static encoding_rs::Encoding,
    aggregates: HashSet<String>,
    peeked: Option<Token>,
    stack: Vec<Node>,
    ids: u64,
}

impl<'f> Builder<'f> {
    fn open(
        file: &'f dyn Reopen,
        encoding: &'static encoding_rs::Encoding,
        aggregates: HashSet<String>,
    ) -> Result<Self, ReadError> {
        let tokens = Tokens::open(file)?;
        Ok(Self { tokens, encoding, aggregates, peeked: None, stack: vec![Node::default()], ids: 0 })
    }

    fn next(&mut self) -> Result<Option<Token>, ReadError> {
        if let Some(t) = self.peeked.take() {
            return Ok(Some(t));
        }
        Ok(self.tokens.next_token()?.map(|raw| match raw {
            Raw::Start { name, line } => Token::Start { name, line },
            Raw::End { name } => Token::End { name },
            Raw::Text { bytes, cdata, .. } => {
                let text = self.encoding.decode_without_bom_handling(&bytes).0;
                Token::Text { text: if cdata { text.into_owned() } else { decode_entities(&text) } }
            }
        }))
    }

    fn peek(&mut self) -> Result<Option<&Token>, ReadError> {
        if self.peeked.is_none() {
            self.peeked = self.next()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn node(&mut self, name: String, line: usize, value: Option<String>) -> Node {
        self.ids += 1;
        Node { id: self.ids, name, line, value, children: Vec::new() }
    }

    fn ended(&mut self, node: Node, sink: &mut impl Sink) -> Result<(), ReadError> {
        if let Some(node) = sink.ended(node, &self.stack)? {
            if let Some(top) = self.stack.last_mut() {
                top.children.push(node);
            }
        }
        Ok(())
    }

    /// Reads one token's worth of the tree; `false` at the file's end.
    fn step(&mut self, sink: &mut impl Sink) -> Result<bool, ReadError> {
        let Some(token) = self.next()? else { return Ok(false) };
        match token {
            Token::Start { name, line } => {
                let mut value = String::new();
                while let Some(Token::Text { .. }) = self.peek()? {
                    if let Some(Token::Text { text }) = self.next()? {
                        value.push_str(&text);
                    }
                }
                let closed_here = matches!(self.peek()?, Some(Token::End { name: n }) if *n == name);
                let value = value.trim();
                if !value.is_empty() || closed_here || !self.aggregates.contains(&name) {
                    if closed_here {
                        self.next()?;
                    }
                    let leaf = self.node(name, line, Some(value.to_owned()));
                    self.stack.push(leaf);
                    sink.opened(&self.stack);
                    if let Some(leaf) = self.stack.pop() {
                        self.ended(leaf, sink)?;
                    }
                } else {
                    if self.stack.len() > MAX_DEPTH {
                        return Err(ReadError::at(line, "elements are nested too deeply for an OFX file"));
                    }
                    let node = self.node(name, line, None);
                    self.stack.push(node);
                    sink.opened(&self.stack);
                }
            }
            Token::End { name } => {
                // Close up to the matching open aggregate; a stray end tag
                // (nothing open by that name) is ignored.
                if self.stack.iter().skip(1).any(|n| n.name == name) {
                    while self.stack.len() > 1 {
                        let Some(node) = self.stack.pop() else { break };
                        let done = node.name == name;
                        self.ended(node, sink)?;
                        if done {
                            break;
                        }
                    }
                }
            }
            Token::Text { .. } => {} // between elements: whitespace or stray text
        }
        Ok(true)
    }

    /// At the file's end: what is still open ends; the root.
    fn finish(&mut self, sink: &mut impl Sink) -> Result<Node, ReadError> {
        while self.stack.len() > 1 {
            if let Some(node) = self.stack.pop() {
                self.ended(node, sink)?;
            }
        }
        Ok(self.stack.pop().unwrap_or_default())
    }
}

/// Which statement an element belongs to, as the tree is read: the
/// statements the walk reads (`STMTRS`/`CCSTMTRS` in the first `<OFX>`,
/// not inside an investment statement, an account list or another
/// statement), and the transactions of each (`STMTTRN`s of its first
/// `BANKTRANLIST`).
#[derive(Default)]
struct Tracker {
    ofx: Option<u64>,
    /// The statement open (its element and index), and its list.
    statement: Option<(u64, usize)>,
    list: Option<u64>,
    list_seen: bool,
    count: usize,
}

impl Tracker {
    /// The index of a statement that begins.
    fn opened(&mut self, stack: &[Node]) -> Option<usize> {
        let (node, ancestors) = stack.split_last()?;
        match node.name.as_str() {
            "OFX" if stack.len() == 2 && self.ofx.is_none() => self.ofx = Some(node.id),
            "STMTRS" | "CCSTMTRS"
                if self.ofx.is_some()
                    && ancestors.get(1).map(|n| n.id) == self.ofx
                    && !ancestors
                        .iter()
                        .any(|n| matches!(n.name.as_str(), "INVSTMTRS" | "ACCTINFORS" | "STMTRS" | "CCSTMTRS")) =>
            {
                let index = self.count;
                self.count += 1;
                (self.statement, self.list, self.list_seen) = (Some((node.id, index)), None, false);
                return Some(index);
            }
            "BANKTRANLIST" if !self.list_seen && ancestors.last().map(|n| n.id) == self.statement.map(|(id, _)| id) => {
                (self.list, self.list_seen) = (Some(node.id), true);
            }
            _ => {}
        }
        None
    }

    /// The statement a transaction that ends is an entry of.
    fn entry_of(&self, node: &Node, stack: &[Node]) -> Option<usize> {
        let in_list = node.name == "STMTTRN" && self.list.is_some() && stack.last().map(|n| n.id) == self.list;
        in_list.then(|| self.statement.map(|(_, i)| i)).flatten()
    }

    /// The index of a statement that ends.
    fn ended(&mut self, node: &Node) -> Option<usize> {
        let (id, index) = self.statement?;
        (node.id == id).then(|| {
            self.statement = None;
            index
        })
    }
}

/// The second pass: the tree without the transactions, each checked.
#[derive(Default)]
struct Meta {
    tracker: Tracker,
}

impl Sink for Meta {
    fn opened(&mut self, stack: &[Node]) {
        self.tracker.opened(stack);
    }

    fn ended(&mut self, node: Node, stack: &[Node]) -> Result<Option<Node>, ReadError> {
        if self.tracker.entry_of(&node, stack).is_some() {
            entry(&node, 0, None)?;
        }
        self.tracker.ended(&node);
        // Transactions and an investment statement's lists are dropped: the
        // walk does not read them, and they are what grows with the file.
        let dropped = matches!(node.name.as_str(), "STMTTRN" | "INVTRANLIST" | "INVPOSLIST" | "SECLIST");
        Ok((!dropped).then_some(node))
    }
}

/// The third pass: each statement's items as its elements end.
#[derive(Default)]
struct Entries {
    tracker: Tracker,
    statements: Vec<Statement>,
    position: usize,
    /// Open transactions (their elements are kept until they end).
    in_transaction: usize,
    queue: VecDeque<Item>,
}

impl Sink for Entries {
    fn opened(&mut self, stack: &[Node]) {
        if let Some(i) = self.tracker.opened(stack) {
            self.position = 0;
            if let Some(s) = self.statements.get(i) {
                self.queue.push_back(Item::Begin(s.clone()));
            }
        }
        self.in_transaction += usize::from(stack.last().is_some_and(|n| n.name == "STMTTRN"));
    }

    fn ended(&mut self, node: Node, stack: &[Node]) -> Result<Option<Node>, ReadError> {
        if node.name == "STMTTRN" {
            self.in_transaction = self.in_transaction.saturating_sub(1);
        }
        if let Some(i) = self.tracker.entry_of(&node, stack) {
            self.position += 1;
            let currency = self.statements.get(i).and_then(|s| s.account.currency.as_deref());
            self.queue.push_back(Item::Entry(entry(&node, self.position, currency)?));
        }
        if let Some(s) = self.tracker.ended(&node).and_then(|i| self.statements.get(i)) {
            self.queue.push_back(Item::End { format: Format::Ofx, opening: None, closing: s.closing.clone() });
        }
        // Only a transaction's own elements are kept, until it ends.
        Ok((self.in_transaction > 0 && node.name != "STMTTRN").then_some(node))
    }
}

/// The items of the third pass.
struct Emit<'f> {
    builder: Option<Builder<'f>>,
    sink: Entries,
}

impl Iterator for Emit<'_> {
    type Item = Result<Item, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.sink.queue.pop_front() {
                return Some(Ok(item));
            }
            let builder = self.builder.as_mut()?;
            let more = builder.step(&mut self.sink).and_then(|more| match more {
                true => Ok(true),
                false => builder.finish(&mut self.sink).map(|_| false),
            });
            match more {
                Ok(true) => {}
                Ok(false) => self.builder = None,
                Err(e) => {
                    self.builder = None;
                    self.sink.queue.clear();
                    return Some(Err(e));
                }
            }
        }
    }
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
    // The entries are read in the third pass.
    Ok(Statement { format: Format::Ofx, id: None, account, opening: None, closing, entries: Vec::new() })
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

    /// The whole tree of `text`, nothing dropped.
    fn tree(text: &str) -> Result<Node, ReadError> {
        struct Keep;
        impl Sink for Keep {
            fn opened(&mut self, _: &[Node]) {}
            fn ended(&mut self, node: Node, _: &[Node]) -> Result<Option<Node>, ReadError> {
                Ok(Some(node))
            }
        }
        let bytes = text.as_bytes();
        let file: &dyn Reopen = &bytes;
        let (decoding, aggregates) = first_pass(file, None)?;
        let mut builder = Builder::open(file, decoding.encoding, aggregates)?;
        while builder.step(&mut Keep)? {}
        builder.finish(&mut Keep)
    }

    #[test]
    fn entities_are_decoded_and_bare_ampersands_kept() {
        assert_eq!(decode_entities("AT&amp;T &lt;x&gt; &#233;t&#xE9; AT&T &bogus;"), "AT&T <x> été AT&T &bogus;");
    }

    #[test]
    fn sgml_leaves_end_at_the_next_tag_and_aggregates_at_their_end_tag() {
        let root = tree("<OFX><A><B>1<C>two\n</A><D></D><E>x</E></OFX>").unwrap();
        let ofx = &root.children[0];
        let a = ofx.child("A").unwrap();
        assert_eq!(a.value("B").as_deref(), Some("1"));
        assert_eq!(a.value("C").as_deref(), Some("two"));
        assert_eq!(ofx.value("D"), None, "an empty leaf has no value");
        assert_eq!(ofx.value("E").as_deref(), Some("x"));
    }

    #[test]
    fn an_empty_unclosed_leaf_does_not_swallow_its_siblings() {
        let root = tree("<OFX><T><MEMO><NAME>n</T></OFX>").unwrap();
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
        assert!(tree(&text).is_err());
    }

    /// R17: the calendar date as written; time and zone are not converted.
    #[test]
    fn dates_are_the_calendar_day_written() {
        let node = |v: &str| Node { name: "DTPOSTED".into(), line: 3, value: Some(v.into()), ..Node::default() };
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

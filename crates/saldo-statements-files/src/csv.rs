//! Bank CSV exports, read through a column mapping ([`CsvProfile`]) that
//! is saved as a named profile per bank, with a live [`preview`] for the
//! mapping screen and [`guess_profile`] to start one from the data.
//!
//! Parsing (quotes, embedded delimiters and newlines) is the `csv` crate's;
//! this module maps cells to [`Entry`] fields:
//! - Amount: one signed column, or debit/credit columns (a debit is money
//!   out: a positive debit becomes a negative amount; a debit already
//!   written negative is kept). `invert_sign` flips every amount (banks
//!   that export money out as positive). Currency symbols and codes around
//!   the number are stripped (`$1,036.47`), thousands separators removed,
//!   accounting parentheses read as negative (R17: exact, from the text).
//! - Dates: chrono `strftime` formats (`%d.%m.%Y`); the value date column
//!   uses the same format.
//! - Several description or remittance columns are joined with a space
//!   (GLS's `VWZ1` … `VWZ14`); empty cells are left out.
//! - Balance column: a running balance. The statement's closing balance is
//!   the one after the newest row, the opening balance the one before the
//!   oldest (its balance minus its amount). Which row is the newest is told
//!   by the running balance itself (it adds up top-down or bottom-up), else
//!   by the dates when they are in order; when neither tells, the file
//!   states no balance and a [`Note`] says where the running balance breaks.
//! - Account: a column (rows grouped into one statement per account, in
//!   the order they appear) or a fixed IBAN/number, or none (the importer
//!   asks). An IBAN goes to [`AccountRef::iban`], anything else to `number`.
//!
//! A whole-file read fails on the first bad row, naming its line, so that
//! nothing is half imported; the preview instead shows each row's result.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_statements::{compact_iban, AccountRef, Balance, Entry, Format, ReadError, Statement};
use serde::{Deserialize, Serialize};

use std::collections::VecDeque;
use std::io::{BufRead, Read};

use saldo_statements::Item;

use crate::text::{decimal_evidence, is_utf8, non_empty, parse_amount, NumberStyle, TextEncoding};
use crate::{io_error, until_error, Note, Reading, Reopen, Step, Stream};

/// A column of the file: by its header name, or by its 0-based index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Column {
    /// 0-based position.
    Index(usize),
    /// The header cell's text (matched trimmed, then ignoring case).
    Name(String),
}

/// Where a row's amount is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AmountColumns {
    /// One signed column: negative is money out (unless `invert_sign`).
    Signed {
        /// The amount column.
        column: Column,
    },
    /// Money out and money in, in two columns; one of them is usually empty.
    DebitCredit {
        /// Money out, written positive.
        debit: Column,
        /// Money in.
        credit: Column,
    },
}

/// How to read one bank's CSV export: saved as a named profile per bank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvProfile {
    /// The profile's name, shown to the user ("GLS Bank").
    pub name: String,
    /// The field delimiter; `None`: told from the file (`;`, `,`, tab, `|`).
    #[serde(default)]
    pub delimiter: Option<char>,
    /// The text encoding.
    #[serde(default)]
    pub encoding: TextEncoding,
    /// Whether the first row (after `skip_lines`) names the columns.
    #[serde(default = "yes")]
    pub has_header: bool,
    /// Lines before the header or first row to ignore (a title, the
    /// account's details).
    #[serde(default)]
    pub skip_lines: usize,
    /// The booking date column.
    pub date: Column,
    /// The dates' chrono `strftime` format, e.g. `%d.%m.%Y`.
    pub date_format: String,
    /// The value date column, in the same format.
    #[serde(default)]
    pub value_date: Option<Column>,
    /// Where the amount is.
    pub amount: AmountColumns,
    /// `.` or `,`.
    #[serde(default = "point")]
    pub decimal_separator: char,
    /// `,`, `.`, `'`, ` ` or none.
    #[serde(default)]
    pub thousands_separator: Option<char>,
    /// Flip every amount's sign (for exports that write money out positive).
    #[serde(default)]
    pub invert_sign: bool,
    /// The counterparty's name.
    #[serde(default)]
    pub counterparty_name: Option<Column>,
    /// The counterparty's IBAN or account number.
    #[serde(default)]
    pub counterparty_iban: Option<Column>,
    /// The bank's text for the entry (booking text); several are joined.
    #[serde(default)]
    pub description: Vec<Column>,
    /// The remittance information (purpose lines); several are joined.
    #[serde(default)]
    pub remittance: Vec<Column>,
    /// The bank's reference of the entry (a transaction number).
    #[serde(default)]
    pub bank_reference: Option<Column>,
    /// The bank's transaction type or code, as written.
    #[serde(default)]
    pub bank_transaction_code: Option<Column>,
    /// A column with each row's currency (ISO 4217).
    #[serde(default)]
    pub currency_column: Option<Column>,
    /// The currency of every row, when the file has no column for it.
    #[serde(default)]
    pub currency: Option<String>,
    /// The running balance after each row.
    #[serde(default)]
    pub balance: Option<Column>,
    /// A column with the account's IBAN or number (rows are grouped by it).
    #[serde(default)]
    pub account_column: Option<Column>,
    /// The account's IBAN or number, when the file has no column for it.
    #[serde(default)]
    pub account: Option<String>,
}

fn yes() -> bool {
    true
}

fn point() -> char {
    '.'
}

/// The first rows of a file read through a profile, for the mapping
/// screen's live preview.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// The header row (empty when the profile says there is none).
    pub header: Vec<String>,
    /// The delimiter used (the profile's, or the one told from the file).
    pub delimiter: char,
    /// Each row's cells, as written.
    pub cells: Vec<Vec<String>>,
    /// Each row read through the profile, or why it cannot be.
    pub rows: Vec<Result<Entry, ReadError>>,
}

/// The profiles Saldo ships, one per bank whose export it knows.
pub fn builtin_profiles() -> Result<Vec<CsvProfile>, ReadError> {
    serde_json::from_str(include_str!("profiles.json"))
        .map_err(|e| ReadError::file(format!("the built-in CSV profiles are broken: {e}")))
}

/// The statements of a CSV file read through `profile`.
pub fn read(bytes: &[u8], profile: &CsvProfile) -> Result<Vec<Statement>, ReadError> {
    read_with_notes(bytes, profile).map(|r| r.statements)
}

/// [`read`], with notes (a running balance that does not add up).
pub fn read_with_notes(bytes: &[u8], profile: &CsvProfile) -> Result<Reading, ReadError> {
    stream(&bytes, profile)?.into_reading()
}

/// [`read_with_notes`], streamed. The first pass reads every row through
/// the profile (the first bad row refuses the file, naming its line),
/// groups the rows by account and follows each account's running balance,
/// holding two rows per account. Then each account's rows are read again,
/// account after account, from the first of them to the last: one pass
/// when the file holds one account or its accounts one after the other.
pub fn stream<'a>(file: &'a dyn Reopen, profile: &CsvProfile) -> Result<Stream<'a>, ReadError> {
    let body = Body::find(file, profile.encoding, profile.skip_lines, profile.delimiter)?;
    let mut rows = body.rows(file)?;
    let header =
        if profile.has_header { rows.next_row()?.map(|r| trimmed(&r.cells)).unwrap_or_default() } else { Vec::new() };
    let mapping = Mapping::new(profile, &header)?;
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<Option<String>, usize> = HashMap::new();
    while let Some(raw) = rows.next_row()? {
        let row = mapping.row(raw.line, &raw.cells)?;
        match index.get(&row.account).and_then(|&i| groups.get_mut(i)) {
            Some(group) => group.add(raw.offset, row),
            None => {
                index.insert(row.account.clone(), groups.len());
                groups.push(Group::new(raw.offset, raw.line, row));
            }
        }
    }
    if groups.is_empty() {
        return Err(ReadError::file("the file has no rows"));
    }
    let mut notes = Vec::new();
    let statements = groups.iter().map(|g| g.statement(&mut notes)).collect();
    let items = Emit { file, body, mapping, groups, statements, at: 0, rows: None, position: 0 };
    Ok(Stream { notes, items: Box::new(until_error(items)) })
}

/// The header and the first `n` rows read through `profile`, each row with
/// its own result: a bad row does not hide the others. Fails only when the
/// file cannot be read at all (encoding, a column the header lacks).
pub fn preview(bytes: &[u8], profile: &CsvProfile, n: usize) -> Result<Preview, ReadError> {
    let body = Body::find(&bytes, profile.encoding, profile.skip_lines, profile.delimiter)?;
    let mut rows = body.rows(&bytes)?;
    let header =
        if profile.has_header { rows.next_row()?.map(|r| trimmed(&r.cells)).unwrap_or_default() } else { Vec::new() };
    let mapping = Mapping::new(profile, &header)?;
    let (mut cells, mut read) = (Vec::new(), Vec::new());
    while read.len() < n {
        let Some(raw) = rows.next_row()? else { break };
        read.push(mapping.row(raw.line, &raw.cells).map(|r| r.entry));
        cells.push(raw.cells);
    }
    Ok(Preview { header, delimiter: char::from(body.delimiter), cells, rows: read })
}

fn trimmed(cells: &[String]) -> Vec<String> {
    cells.iter().map(|c| c.trim().to_owned()).collect()
}

/// Longer lines than any bank writes are cut here (bounded memory).
const MAX_LINE: u64 = 1 << 20;

const NOT_UTF8: &str = "the file is not valid UTF-8: choose Latin-1 or Windows-1252 as its encoding";

/// Where a file's table starts — after a UTF-8 byte-order mark and the
/// lines to skip — and how it is split and decoded.
#[derive(Clone, Copy)]
struct Body {
    offset: u64,
    line: usize,
    delimiter: u8,
    encoding: TextEncoding,
}

impl Body {
    fn find(
        file: &dyn Reopen,
        encoding: TextEncoding,
        skip_lines: usize,
        delimiter: Option<char>,
    ) -> Result<Self, ReadError> {
        let mut r = file.open_at(0).map_err(|e| io_error(&e))?;
        let mut offset = 0;
        if encoding == TextEncoding::Utf8 && r.fill_buf().map_err(|e| io_error(&e))?.starts_with(b"\xEF\xBB\xBF") {
            r.consume(3);
            offset = 3;
        }
        let mut line = Vec::new();
        let next_line = |r: &mut dyn BufRead, line: &mut Vec<u8>| -> Result<u64, ReadError> {
            line.clear();
            let n = r.take(MAX_LINE).read_until(b'\n', line).map_err(|e| io_error(&e))?;
            Ok(n as u64)
        };
        for number in 1..=skip_lines {
            let n = next_line(&mut r, &mut line)?;
            if encoding == TextEncoding::Utf8 && std::str::from_utf8(&line).is_err() {
                return Err(ReadError::at(number, NOT_UTF8));
            }
            offset += n;
        }
        let delimiter = match delimiter {
            Some(d) => d,
            None => {
                // Told from the first ten lines that are not blank.
                let mut head = String::new();
                let mut filled = 0;
                for _ in 0..1000 {
                    if filled == 10 || next_line(&mut r, &mut line)? == 0 {
                        break;
                    }
                    let text = decode_lossy(&line, encoding);
                    filled += usize::from(!text.trim().is_empty());
                    head.push_str(&text);
                }
                detect_delimiter(&head)
            }
        };
        let delimiter = u8::try_from(delimiter)
            .ok()
            .filter(u8::is_ascii)
            .ok_or_else(|| ReadError::file(format!("the delimiter `{delimiter}` is not an ASCII character")))?;
        Ok(Self { offset, line: skip_lines + 1, delimiter, encoding })
    }

    /// Its rows from the start.
    fn rows<'f>(&self, file: &'f dyn Reopen) -> Result<Rows<'f>, ReadError> {
        Rows::open(file, *self, self.offset, self.line)
    }
}

fn decode_lossy(bytes: &[u8], encoding: TextEncoding) -> String {
    match encoding {
        TextEncoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        TextEncoding::Latin1 | TextEncoding::Windows1252 => {
            encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()
        }
    }
}

/// A reader that notes where each line break is (`\r` or `\n`), until
/// the row it ends is counted.
struct Breaks<R> {
    inner: R,
    offset: u64,
    breaks: VecDeque<(u64, u8)>,
}

impl<R: Read> Read for Breaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if matches!(b, b'\r' | b'\n') {
                self.breaks.push_back((self.offset + i as u64, *b));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// A row as written: the line it starts on, its byte in the file, its cells.
struct Raw {
    line: usize,
    offset: u64,
    cells: Vec<String>,
}

/// A table's rows read one at a time (quotes, embedded delimiters and line
/// breaks are the `csv` crate's), each cell decoded.
struct Rows<'f> {
    reader: ::csv::Reader<Breaks<Box<dyn BufRead + Send + 'f>>>,
    record: ::csv::ByteRecord,
    body: Body,
    /// Where the reader starts in the file, and the line there.
    origin: u64,
    first_line: usize,
    /// The line reached by the breaks counted so far.
    line: usize,
}

impl<'f> Rows<'f> {
    fn open(file: &'f dyn Reopen, body: Body, origin: u64, first_line: usize) -> Result<Self, ReadError> {
        let inner = file.open_at(origin).map_err(|e| io_error(&e))?;
        let reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(body.delimiter)
            .from_reader(Breaks { inner, offset: 0, breaks: VecDeque::new() });
        Ok(Self { reader, record: ::csv::ByteRecord::new(), body, origin, first_line, line: first_line })
    }

    /// The next row that is not blank.
    fn next_row(&mut self) -> Result<Option<Raw>, ReadError> {
        loop {
            let more = self.reader.read_byte_record(&mut self.record).map_err(|e| {
                let line = e.position().map(|p| p.line() as usize + self.first_line - 1);
                ReadError { line, message: format!("not readable as CSV: {e}") }
            })?;
            if !more {
                return Ok(None);
            }
            let (line, start) = self.line_at(self.record.position().map_or(0, ::csv::Position::byte));
            let cells = self
                .record
                .iter()
                .map(|cell| match self.body.encoding {
                    TextEncoding::Utf8 => {
                        std::str::from_utf8(cell).map(str::to_owned).map_err(|_| ReadError::at(line, NOT_UTF8))
                    }
                    TextEncoding::Latin1 | TextEncoding::Windows1252 => {
                        Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(cell).0.into_owned())
                    }
                })
                .collect::<Result<Vec<String>, ReadError>>()?;
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            return Ok(Some(Raw { line, offset: self.origin + start, cells }));
        }
    }

    /// The line a row the csv crate places at `offset` is on, and the byte
    /// its text starts at: the breaks before it are counted, and so are
    /// those right at it (the crate's position can be the `\n` of a CRLF
    /// ending the row before).
    fn line_at(&mut self, offset: u64) -> (usize, u64) {
        let breaks = &mut self.reader.get_mut().breaks;
        let mut start = offset;
        loop {
            match breaks.front() {
                Some(&(at, b)) if at < start => {
                    breaks.pop_front();
                    self.line += usize::from(b == b'\n');
                }
                Some(&(at, _)) if at == start => start += 1,
                _ => break,
            }
        }
        (self.line, start)
    }
}

/// What the first pass keeps of one account's rows: where they are, the
/// first and last, and how the running balance went between them.
struct Group {
    key: Option<String>,
    /// The first row's byte and line, and the last row's byte.
    start: (u64, usize),
    end: u64,
    first: Row,
    last: Row,
    any_balance: bool,
    /// The first pair of rows whose running balance does not add up, read
    /// oldest first (top-down) and newest first (bottom-up).
    down: Option<Break>,
    up: Option<Break>,
    dates_up: bool,
    dates_down: bool,
    currency: Option<String>,
    one_currency: bool,
}

/// Where a running balance breaks: the newer row's line, the balance
/// before, its amount, the balance after.
type Break = (Option<usize>, Option<Decimal>, Decimal, Option<Decimal>);

/// `None` when `older`'s running balance plus `newer`'s amount is `newer`'s.
fn break_between(older: &Row, newer: &Row) -> Option<Break> {
    match (older.balance, newer.balance) {
        (Some(before), Some(after)) if before.checked_add(newer.entry.amount) == Some(after) => None,
        (before, after) => Some((newer.entry.line, before, newer.entry.amount, after)),
    }
}

impl Group {
    fn new(offset: u64, line: usize, row: Row) -> Self {
        Self {
            key: row.account.clone(),
            start: (offset, line),
            end: offset,
            any_balance: row.balance.is_some(),
            down: None,
            up: None,
            dates_up: true,
            dates_down: true,
            currency: row.entry.currency.clone(),
            one_currency: true,
            first: row.clone(),
            last: row,
        }
    }

    fn add(&mut self, offset: u64, row: Row) {
        let last = &self.last;
        self.down = self.down.take().or_else(|| break_between(last, &row));
        self.up = self.up.take().or_else(|| break_between(&row, last));
        self.dates_up &= last.entry.booking_date <= row.entry.booking_date;
        self.dates_down &= last.entry.booking_date >= row.entry.booking_date;
        self.any_balance |= row.balance.is_some();
        if let Some(c) = &row.entry.currency {
            match &self.currency {
                None => self.currency = Some(c.clone()),
                Some(x) => self.one_currency &= x == c,
            }
        }
        self.end = offset;
        self.last = row;
    }

    /// Its statement, entries left out (they are read again).
    fn statement(&self, notes: &mut Vec<Note>) -> Statement {
        let currency = self.currency.clone().filter(|_| self.one_currency);
        let (opening, closing) = self.balances(currency.as_ref(), notes);
        let key = self.key.clone();
        let account = AccountRef {
            iban: key.as_deref().and_then(compact_iban),
            number: key.filter(|k| compact_iban(k).is_none()),
            currency,
            ..AccountRef::default()
        };
        Statement { format: Format::Csv, id: None, account, opening, closing, entries: Vec::new() }
    }
}

/// The second pass: each account's rows, read again from its first row to
/// its last.
struct Emit<'f> {
    file: &'f dyn Reopen,
    body: Body,
    mapping: Mapping,
    groups: Vec<Group>,
    statements: Vec<Statement>,
    /// The account being read, and its rows once begun.
    at: usize,
    rows: Option<Rows<'f>>,
    position: usize,
}

impl Step for Emit<'_> {
    fn step(&mut self) -> Result<Option<Item>, ReadError> {
        let (Some(group), Some(statement)) = (self.groups.get(self.at), self.statements.get_mut(self.at)) else {
            return Ok(None);
        };
        let Some(rows) = &mut self.rows else {
            self.rows = Some(Rows::open(self.file, self.body, group.start.0, group.start.1)?);
            self.position = 0;
            return Ok(Some(Item::Begin(statement.clone())));
        };
        while let Some(raw) = rows.next_row()?.filter(|r| r.offset <= group.end) {
            let row = self.mapping.row(raw.line, &raw.cells)?;
            if row.account == group.key {
                self.position += 1;
                return Ok(Some(Item::Entry(Entry { position: self.position, ..row.entry })));
            }
        }
        self.rows = None;
        self.at += 1;
        Ok(Some(Item::End {
            format: Format::Csv,
            opening: statement.opening.take(),
            closing: statement.closing.take(),
        }))
    }
}

/// The delimiter that splits the first lines into the same number of
/// fields (quotes respected), preferring the one giving most fields.
fn detect_delimiter(text: &str) -> char {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(10).collect();
    let count = |line: &str, d: char| {
        let mut quoted = false;
        line.chars()
            .filter(|&c| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == d && !quoted
            })
            .count()
    };
    let mut best = (',', 0, 0);
    for d in [';', ',', '\t', '|'] {
        let Some(first) = lines.first().map(|l| count(l, d)) else { break };
        if first == 0 {
            continue;
        }
        let agreeing = lines.iter().filter(|l| count(l, d) == first).count();
        if (agreeing, first) > (best.1, best.2) {
            best = (d, agreeing, first);
        }
    }
    best.0
}

/// A profile's columns resolved against a header.
struct Mapping {
    profile: CsvProfile,
    date: usize,
    value_date: Option<usize>,
    signed: Option<usize>,
    debit_credit: Option<(usize, usize)>,
    counterparty_name: Option<usize>,
    counterparty_iban: Option<usize>,
    description: Vec<usize>,
    remittance: Vec<usize>,
    bank_reference: Option<usize>,
    bank_transaction_code: Option<usize>,
    currency: Option<usize>,
    balance: Option<usize>,
    account: Option<usize>,
    style: NumberStyle,
}

/// One row read.
#[derive(Clone)]
struct Row {
    entry: Entry,
    balance: Option<Decimal>,
    account: Option<String>,
}

impl Mapping {
    fn new(profile: &CsvProfile, header: &[String]) -> Result<Self, ReadError> {
        let one = |c: &Column| resolve(c, header);
        let opt = |c: &Option<Column>| c.as_ref().map(|c| resolve(c, header)).transpose();
        let many = |cs: &[Column]| cs.iter().map(|c| resolve(c, header)).collect::<Result<Vec<_>, _>>();
        let (signed, debit_credit) = match &profile.amount {
            AmountColumns::Signed { column } => (Some(one(column)?), None),
            AmountColumns::DebitCredit { debit, credit } => (None, Some((one(debit)?, one(credit)?))),
        };
        Ok(Self {
            profile: profile.clone(),
            date: one(&profile.date)?,
            value_date: opt(&profile.value_date)?,
            signed,
            debit_credit,
            counterparty_name: opt(&profile.counterparty_name)?,
            counterparty_iban: opt(&profile.counterparty_iban)?,
            description: many(&profile.description)?,
            remittance: many(&profile.remittance)?,
            bank_reference: opt(&profile.bank_reference)?,
            bank_transaction_code: opt(&profile.bank_transaction_code)?,
            currency: opt(&profile.currency_column)?,
            balance: opt(&profile.balance)?,
            account: opt(&profile.account_column)?,
            style: NumberStyle {
                decimal: profile.decimal_separator,
                thousands: profile.thousands_separator,
                symbols: true,
            },
        })
    }

    fn row(&self, line: usize, cells: &[String]) -> Result<Row, ReadError> {
        let cell = |i: usize| cells.get(i).and_then(|c| non_empty(c));
        let cell_of = |i: Option<usize>| i.and_then(cell);
        let joined = |is: &[usize]| {
            let parts: Vec<String> = is.iter().filter_map(|&i| cell(i)).collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        };
        let money = |i: usize| -> Result<Option<Decimal>, ReadError> {
            cell(i).map(|c| parse_amount(&c, self.style).map_err(|e| ReadError::at(line, e))).transpose()
        };
        let date = |i: usize, what: &str| -> Result<Option<NaiveDate>, ReadError> {
            let Some(text) = cell(i) else { return Ok(None) };
            NaiveDate::parse_from_str(&text, &self.profile.date_format).map(Some).map_err(|_| {
                ReadError::at(
                    line,
                    format!("{what} `{text}` is not a date in the format `{}`", self.profile.date_format),
                )
            })
        };
        let booking_date =
            date(self.date, "booking date")?.ok_or_else(|| ReadError::at(line, "the row has no booking date"))?;
        let value_date = match self.value_date {
            Some(i) => date(i, "value date")?,
            None => None,
        };
        let amount = match (self.signed, self.debit_credit) {
            (Some(i), _) => money(i)?.ok_or_else(|| ReadError::at(line, "the row has no amount"))?,
            (None, Some((debit, credit))) => match (money(debit)?, money(credit)?) {
                (None, None) => return Err(ReadError::at(line, "the row has neither a debit nor a credit")),
                (d, c) => c
                    .unwrap_or_default()
                    .checked_sub(d.map(|d| d.abs()).unwrap_or_default())
                    .ok_or_else(|| ReadError::at(line, "the debit and credit are too large to add"))?,
            },
            (None, None) => return Err(ReadError::at(line, "the profile has no amount column")),
        };
        let amount = if self.profile.invert_sign { -amount } else { amount };
        let balance = match self.balance {
            Some(i) => money(i)?,
            None => None,
        };
        let currency = cell_of(self.currency).or_else(|| self.profile.currency.clone()).map(|c| c.to_uppercase());
        let account = cell_of(self.account).or_else(|| self.profile.account.clone());
        Ok(Row {
            entry: Entry {
                position: 0,
                line: Some(line),
                booking_date,
                value_date,
                amount,
                currency,
                counterparty_name: cell_of(self.counterparty_name),
                counterparty_account: cell_of(self.counterparty_iban).map(|a| compact_iban(&a).unwrap_or(a)),
                description: joined(&self.description),
                remittance: joined(&self.remittance),
                bank_reference: cell_of(self.bank_reference),
                bank_transaction_code: cell_of(self.bank_transaction_code),
                booked: true,
                ..Entry::default()
            },
            balance,
            account,
        })
    }
}

fn resolve(column: &Column, header: &[String]) -> Result<usize, ReadError> {
    match column {
        Column::Index(i) => Ok(*i),
        Column::Name(name) => {
            let name = name.trim();
            header
                .iter()
                .position(|h| h == name)
                .or_else(|| header.iter().position(|h| h.to_lowercase() == name.to_lowercase()))
                .ok_or_else(|| {
                    if header.is_empty() {
                        ReadError::file(format!("the profile names the column `{name}` but the file has no header"))
                    } else {
                        ReadError::file(format!("no column `{name}`; the header has: {}", header.join(", ")))
                    }
                })
        }
    }
}

/// The order of rows in time, told by the running balance or the dates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    OldestFirst,
    NewestFirst,
}

impl Group {
    /// The balances its running balance states, with a note where it breaks.
    fn balances(&self, currency: Option<&String>, notes: &mut Vec<Note>) -> (Option<Balance>, Option<Balance>) {
        if !self.any_balance {
            return (None, None);
        }
        let (down, up, dates_up, dates_down) = (self.down, self.up, self.dates_up, self.dates_down);
        let order = match (down.is_none(), up.is_none()) {
            (true, true) if dates_down && !dates_up => Some(Order::NewestFirst),
            (true, _) => Some(Order::OldestFirst),
            (false, true) => Some(Order::NewestFirst),
            (false, false) if dates_up => Some(Order::OldestFirst),
            (false, false) if dates_down => Some(Order::NewestFirst),
            (false, false) => None,
        };
        let reported = match order {
            _ if down.is_none() || up.is_none() => None,
            Some(Order::NewestFirst) => up,
            _ => down,
        };
        if let Some((line, before, amount, after)) = reported {
            let show = |d: Option<Decimal>| d.map_or_else(|| "(none)".to_owned(), |d| d.to_string());
            let gap = match (before, after) {
                (Some(b), Some(a)) => a
                    .checked_sub(b)
                    .and_then(|x| x.checked_sub(amount))
                    .map(|d| format!(" (a difference of {d})"))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            notes.push(Note {
                line,
                message: format!(
                    "the running balance does not add up: {} + {amount} is not {}{gap}{}",
                    show(before),
                    show(after),
                    if order.is_none() {
                        "; rows are not in date order either, so no balance is taken from the file"
                    } else {
                        ""
                    }
                ),
            });
        }
        let Some(order) = order else { return (None, None) };
        let (oldest, newest) = match order {
            Order::OldestFirst => (&self.first, &self.last),
            Order::NewestFirst => (&self.last, &self.first),
        };
        let opening = oldest.balance.and_then(|b| b.checked_sub(oldest.entry.amount)).map(|amount| Balance {
            date: oldest.entry.booking_date,
            amount,
            currency: currency.cloned(),
        });
        let closing =
            newest.balance.map(|b| Balance { date: newest.entry.booking_date, amount: b, currency: currency.cloned() });
        (opening, closing)
    }
}

/// A first profile for an unknown bank's file, told from its data: the
/// encoding, delimiter, header, date column and format, amount columns
/// (signed or debit/credit), decimal and thousands separators, and — from
/// header names in English, German, French and Spanish — the balance,
/// counterparty, description and currency columns. The mapping screen
/// shows it for the user to correct.
pub fn guess_profile(bytes: &[u8]) -> CsvProfile {
    guess_profile_of(&bytes).unwrap_or_else(|_| guess_from(TextEncoding::Utf8, ',', &[]))
}

/// [`guess_profile`] for a file read as a stream: its encoding is told from
/// all of it, the rest from its first 50 rows.
pub fn guess_profile_of(file: &dyn Reopen) -> Result<CsvProfile, ReadError> {
    let utf8 = is_utf8(file.open_at(0).map_err(|e| io_error(&e))?).map_err(|e| io_error(&e))?;
    let encoding = if utf8 { TextEncoding::Utf8 } else { TextEncoding::Latin1 };
    let body = Body::find(file, encoding, 0, None)?;
    let mut rows = body.rows(file)?;
    let mut all = Vec::new();
    while all.len() < 50 {
        match rows.next_row() {
            Ok(Some(raw)) => all.push(raw.cells),
            Ok(None) => break,
            Err(_) => {
                all.clear();
                break;
            }
        }
    }
    Ok(guess_from(encoding, char::from(body.delimiter), &all))
}

fn guess_from(encoding: TextEncoding, delimiter: char, all: &[Vec<String>]) -> CsvProfile {
    let width = all.iter().map(|c| c.len()).max().unwrap_or(0);
    let looks_like_data = |c: &str| date_formats_of(c).is_some() || decimal_evidence(c).is_some();
    let has_header = all.len() > 1
        && all[0].iter().all(|c| !looks_like_data(c) || c.trim().is_empty())
        && all[1].iter().any(|c| looks_like_data(c));
    let header: Vec<String> =
        if has_header { all[0].iter().map(|c| c.trim().to_lowercase()).collect() } else { Vec::new() };
    let data: Vec<&Vec<String>> = all.iter().skip(usize::from(has_header)).collect();
    let values = |j: usize| data.iter().filter_map(move |r| r.get(j)).map(|c| c.trim()).filter(|c| !c.is_empty());
    let named = |j: usize, words: &[&str]| header.get(j).is_some_and(|h| words.iter().any(|w| h.contains(w)));
    let column = |j: usize| {
        if has_header {
            Column::Name(all[0].get(j).map(|h| h.trim().to_owned()).unwrap_or_default())
        } else {
            Column::Index(j)
        }
    };

    // Dates: columns whose every value parses in a common format.
    let mut date_columns = Vec::new();
    for j in 0..width {
        let mut formats: Option<Vec<&str>> = None;
        for v in values(j) {
            let here = date_formats_of(v).unwrap_or_default();
            formats = Some(match formats {
                None => here,
                Some(f) => f.into_iter().filter(|x| here.contains(x)).collect(),
            });
        }
        if let Some(f) = formats.filter(|f| !f.is_empty()) {
            date_columns.push((j, f));
        }
    }
    // Amounts: columns of numbers with a decimal separator somewhere.
    let mut point = 0;
    let mut comma = 0;
    let mut money_columns = Vec::new();
    for j in 0..width {
        if date_columns.iter().any(|(d, _)| *d == j) || values(j).next().is_none() {
            continue;
        }
        let numeric = values(j).all(|v| {
            GUESS_STYLES.iter().any(|&(decimal, thousands)| {
                parse_amount(v, NumberStyle { decimal, thousands: Some(thousands), symbols: true }).is_ok()
            })
        });
        let evidence: Vec<char> = values(j).filter_map(decimal_evidence).collect();
        if numeric && !evidence.is_empty() {
            point += evidence.iter().filter(|c| **c == '.').count();
            comma += evidence.iter().filter(|c| **c == ',').count();
            money_columns.push(j);
        }
    }
    let decimal = if comma > point { ',' } else { '.' };
    let thousands = money_columns.iter().flat_map(|&j| values(j)).find_map(|v| {
        let int = v.split(decimal).next().unwrap_or_default().trim();
        int.chars().find(|c| matches!(c, '.' | ',' | '\'' | ' ' | '\u{a0}') && *c != decimal).map(|c| {
            if c == '\u{a0}' {
                ' '
            } else {
                c
            }
        })
    });
    let balance = money_columns.iter().copied().find(|&j| named(j, &["balance", "saldo", "solde", "kontostand"]));
    let debit = money_columns
        .iter()
        .copied()
        .find(|&j| named(j, &["debit", "débit", "withdrawal", "soll", "ausgang", "belastung", "cargo"]));
    let credit = money_columns
        .iter()
        .copied()
        .find(|&j| named(j, &["credit", "crédit", "deposit", "haben", "eingang", "gutschrift", "abono"]));
    let amount = match (debit, credit) {
        (Some(debit), Some(credit)) => AmountColumns::DebitCredit { debit: column(debit), credit: column(credit) },
        _ => {
            let signed = money_columns
                .iter()
                .copied()
                .find(|&j| named(j, &["amount", "betrag", "montant", "importe", "bedrag", "importo", "umsatz"]))
                .or_else(|| money_columns.iter().copied().find(|&j| Some(j) != balance));
            AmountColumns::Signed { column: column(signed.unwrap_or(0)) }
        }
    };
    let (date, date_format) = date_columns
        .first()
        .map(|(j, f)| (column(*j), choose_date_format(f, decimal)))
        .unwrap_or((Column::Index(0), "%Y-%m-%d".to_owned()));
    let value_date = date_columns.get(1).map(|(j, _)| column(*j));
    let text_column = |words: &[&str]| (0..width).find(|&j| named(j, words) && !money_columns.contains(&j));
    let ibans = (0..width).find(|&j| values(j).next().is_some() && values(j).all(|v| compact_iban(v).is_some()));
    let filled = |j: &usize| values(*j).next().is_some();
    let currency_column = (0..width)
        .filter(filled)
        .find(|&j| named(j, &["currency", "währung", "monn", "devise", "moneda"]))
        .or_else(|| {
            (0..width)
                .filter(filled)
                .find(|&j| values(j).all(|v| v.len() == 3 && v.chars().all(|c| c.is_ascii_uppercase())))
        });
    let remittance: Vec<Column> = (0..width)
        .filter(|&j| {
            named(j, &["verwendungszweck", "vwz", "reference", "référence", "purpose", "communication", "mitteilung"])
                && !money_columns.contains(&j)
        })
        .map(column)
        .collect();
    CsvProfile {
        name: "Guessed".to_owned(),
        delimiter: Some(delimiter),
        encoding,
        has_header,
        skip_lines: 0,
        date,
        date_format,
        value_date,
        amount,
        decimal_separator: decimal,
        thousands_separator: thousands,
        invert_sign: false,
        counterparty_name: text_column(&[
            "name",
            "partner",
            "payee",
            "empfänger",
            "auftraggeber",
            "beneficiary",
            "bénéficiaire",
        ])
        .map(column),
        counterparty_iban: ibans.map(column),
        description: text_column(&["description", "desc", "buchungstext", "libellé", "concepto", "memo"])
            .map(column)
            .into_iter()
            .collect(),
        remittance,
        bank_reference: None,
        bank_transaction_code: None,
        currency_column: currency_column.map(column),
        currency: None,
        balance: balance.map(column),
        account_column: None,
        account: None,
    }
}

/// Decimal and thousands separators a guessed amount column may use.
const GUESS_STYLES: [(char, char); 6] = [('.', ','), ('.', '\''), ('.', ' '), (',', '.'), (',', ' '), (',', '\'')];

const DATE_FORMATS: [&str; 10] = [
    "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%y", "%d/%m/%y", "%m/%d/%y",
    "%Y%m%d",
];

/// The formats `text` is a date in, or `None` if none.
fn date_formats_of(text: &str) -> Option<Vec<&'static str>> {
    let text = text.trim();
    if text.len() < 6 || text.len() > 10 {
        return None;
    }
    let found: Vec<&str> = DATE_FORMATS.into_iter().filter(|f| NaiveDate::parse_from_str(text, f).is_ok()).collect();
    (!found.is_empty()).then_some(found)
}

/// Among formats every value fits, day-first where the amounts are
/// European (decimal comma) and month-first where they are not.
fn choose_date_format(formats: &[&str], decimal: char) -> String {
    let day_first = formats.iter().find(|f| f.starts_with("%d"));
    let month_first = formats.iter().find(|f| f.starts_with("%m"));
    let pick = match (day_first, month_first) {
        (Some(d), Some(m)) => {
            if decimal == ',' {
                d
            } else {
                m
            }
        }
        _ => formats.first().unwrap_or(&"%Y-%m-%d"),
    };
    (*pick).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(json: &str) -> CsvProfile {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn columns_are_addressed_by_name_or_index() {
        let p =
            profile(r#"{"name":"t","date":0,"date_format":"%Y-%m-%d","amount":{"kind":"signed","column":"Amount"}}"#);
        assert_eq!(p.date, Column::Index(0));
        assert_eq!(p.amount, AmountColumns::Signed { column: Column::Name("Amount".into()) });
        let s = read(b"Date,Amount\n2020-01-02,-1.50\n", &p).unwrap();
        assert_eq!(s[0].entries[0].amount, Decimal::new(-150, 2));
    }

    #[test]
    fn preview_shows_each_rows_own_error() {
        let p = profile(r#"{"name":"t","date":0,"date_format":"%Y-%m-%d","amount":{"kind":"signed","column":1}}"#);
        let pv = preview(b"Date,Amount\n2020-01-02,1\nnot a date,2\n2020-01-04,x\n2020-01-05,3\n", &p, 10).unwrap();
        assert_eq!(pv.header, vec!["Date", "Amount"]);
        assert_eq!(pv.rows.len(), 4);
        assert!(pv.rows[0].is_ok());
        assert_eq!(pv.rows[1].as_ref().unwrap_err().line, Some(3), "a bad date names its line");
        assert_eq!(pv.rows[2].as_ref().unwrap_err().line, Some(4));
        assert!(pv.rows[3].is_ok(), "a bad row does not hide the next");
        assert!(read(b"Date,Amount\n2020-01-02,1\nnot a date,2\n", &p).is_err(), "a whole read refuses the file");
    }

    #[test]
    fn a_missing_column_name_says_what_the_header_has() {
        let p =
            profile(r#"{"name":"t","date":"Datum","date_format":"%Y-%m-%d","amount":{"kind":"signed","column":1}}"#);
        let e = read(b"Date,Amount\n2020-01-02,1\n", &p).unwrap_err();
        assert!(e.message.contains("Datum") && e.message.contains("Date, Amount"), "{e}");
    }

    #[test]
    fn skip_lines_and_debit_credit_and_inverted_signs() {
        let p = profile(
            r#"{"name":"t","skip_lines":2,"date":"D","date_format":"%d.%m.%Y","amount":{"kind":"debit_credit","debit":"Out","credit":"In"},"decimal_separator":",","invert_sign":false}"#,
        );
        let file = "Konto 123\n\nD;Out;In\n01.02.2020;12,50;\n02.02.2020;;3,00\n02.02.2020;-1,00;\n";
        let s = read(file.as_bytes(), &p).unwrap();
        let amounts: Vec<Decimal> = s[0].entries.iter().map(|e| e.amount).collect();
        assert_eq!(amounts, vec![Decimal::new(-1250, 2), Decimal::new(300, 2), Decimal::new(-100, 2)]);
        assert_eq!(s[0].entries[0].line, Some(4), "lines count the skipped ones");
        let inverted = CsvProfile { invert_sign: true, ..p };
        assert_eq!(read(file.as_bytes(), &inverted).unwrap()[0].entries[0].amount, Decimal::new(1250, 2));
    }

    #[test]
    fn the_delimiter_is_told_from_the_file() {
        assert_eq!(detect_delimiter("a;b;c\n1;\"2,5\";3\n"), ';');
        assert_eq!(detect_delimiter("\"a\",\"b\"\n\"1;2\",\"3\"\n"), ',');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n"), '\t');
    }
}

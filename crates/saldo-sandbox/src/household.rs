//! A realistic household at two banks, and its truth.
//!
//! The other simulated banks serve synthetic texts (see [`crate::data`]); the
//! two banks of this module serve the finances of one person, Anna Peeters,
//! as her banks would show them, so that categories, clean counterparty names
//! and transfer detection can be tested on data whose truth is known.
//!
//! What the household contains. Bank A, [`BANK_A_NAME`] (connector
//! [`BANK_A`], BE), holds her checking account [`A_CHECKING`] and her savings
//! account [`A_SAVINGS`]; bank B, [`BANK_B_NAME`] (connector [`BANK_B`], NL),
//! her checking account [`B_CHECKING`]; all in EUR. Into A-checking come her
//! salary from ACME Belgium NV on the last banking day of the month (with a
//! Belgian structured communication), double holiday pay in June, a year-end
//! bonus in December and a tax refund from the FOD Financiën in July; out go
//! the rent to her landlord (a standing order on the 1st, indexed every
//! September), direct debits with creditor id and mandate in the text
//! (ENGIE Electrabel monthly plus its yearly settlement in March, FARYS water
//! quarterly, Telenet internet and Proximus mobile monthly, AG Insurance
//! quarterly), Netflix by card, card payments several times a week
//! (groceries, fuel, pharmacy, restaurants, online shopping, booked the next
//! banking day, in the "BETALING MET DEBETKAART" and "BANCONTACT AANKOOP"
//! styles) and ATM withdrawals. Into B-checking come her freelance invoices
//! from Studio Noord B.V. (monthly); out go card payments ("BEA" texts),
//! ATM withdrawals ("GEA"), bol.com orders paid with iDEAL, Spotify monthly and
//! Basic-Fit every four weeks (SEPA Incasso). A-savings gets the monthly
//! standing order from A-checking and a yearly interest credit, and now and
//! then sends money back to A-checking. About two months in three she sends
//! money from A-checking to B-checking: that leg reaches bank B one or two
//! banking days later, with her name but without her IBAN.
//!
//! Traps (see [`TrapKind`]): a payment to a third party of exactly the
//! amount of a transfer, on its day; two transfers of the same amount within
//! three days; merchant refunds of exactly the amount of an earlier purchase.
//!
//! Model. The schedule is a pure function of (seed, calendar month): events
//! are generated month by month on the real calendar (banking days are
//! TARGET2 days), only those whose first row is on or after the sandbox's
//! epoch are kept, and only rows dated on or before "today" are served, so new
//! rows appear as days pass and a row's index (its position in its account,
//! oldest first) never changes. Transaction ids and `gwSequence` follow that
//! index, as in [`crate::data`] (whose per-index functions do not apply to
//! these accounts: use [`rows`], [`visible_count`], [`booked_balance`]).
//! Amounts are exact decimals.
//!
//! The truth. [`truth`] says, for the sandbox's seed, epoch and today, which
//! rows are the two legs of each transfer between her accounts, her income
//! and spending with those transfers left out, each row's intended kind
//! (one of [`LABELS`]) and where the traps are.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rust_decimal::Decimal;
use saldo_gateway::{
    Amount, BankDateTime, BankTransactionCode, CreditorReferenceInformation, CreditorReferenceType,
    RemittanceInformation, StructuredRemittance, Transaction,
};

use crate::data::{mix, SETTLING_PREFIX};

/// Connector id of bank A (BE): checking and savings.
pub const BANK_A: i64 = 201;
/// Connector id of bank B (NL): checking.
pub const BANK_B: i64 = 202;
/// Name of bank A in the catalog.
pub const BANK_A_NAME: &str = "Huisbank België";
/// Name of bank B in the catalog.
pub const BANK_B_NAME: &str = "Huisbank Nederland";
/// BIC of bank A.
pub const BANK_A_BIC: &str = "HUISBEBB";
/// BIC of bank B.
pub const BANK_B_BIC: &str = "HUISNL2A";
/// The account holder, on all three accounts.
pub const HOLDER: &str = "Anna Peeters";

/// Gateway id of the checking account at bank A.
pub const A_CHECKING: &str = "HH-BE-ZICHT";
/// Gateway id of the savings account at bank A.
pub const A_SAVINGS: &str = "HH-BE-SPAAR";
/// Gateway id of the checking account at bank B.
pub const B_CHECKING: &str = "HH-NL-BETAAL";
/// IBAN of [`A_CHECKING`].
pub const A_CHECKING_IBAN: &str = "BE49131045678271";
/// IBAN of [`A_SAVINGS`].
pub const A_SAVINGS_IBAN: &str = "BE21131089127403";
/// IBAN of [`B_CHECKING`].
pub const B_CHECKING_IBAN: &str = "NL14HUIS0512834907";
/// Balance of [`A_CHECKING`] at the epoch, in cents.
pub const A_CHECKING_OPENING_MINOR: i64 = 520_000;
/// Balance of [`A_SAVINGS`] at the epoch, in cents.
pub const A_SAVINGS_OPENING_MINOR: i64 = 1_240_000;
/// Balance of [`B_CHECKING`] at the epoch, in cents.
pub const B_CHECKING_OPENING_MINOR: i64 = 85_000;

/// The household's accounts: (connector, gateway id).
pub const ACCOUNTS: [(i64, &str); 3] = [(BANK_A, A_CHECKING), (BANK_A, A_SAVINGS), (BANK_B, B_CHECKING)];

/// Every label a row can have (see [`Truth::labels`]): `salary` (ACME's pay,
/// holiday pay, year-end bonus), `income` (her freelance invoices at bank B),
/// `interest` (savings), `tax_refund`, `refund` (a merchant pays a purchase
/// back), `rent`, `utilities` (ENGIE, also its yearly settlement either way;
/// FARYS), `telecom` (Telenet, Proximus), `subscription` (Netflix, Spotify,
/// Basic-Fit), `insurance`, `groceries`, `fuel`, `pharmacy`, `restaurant`,
/// `shopping` (card payments, bol.com with iDEAL), `cash` (ATM), `payment`
/// (to people she knows: the traps' third parties) and `transfer` (a leg of a
/// transfer between her own accounts).
pub const LABELS: &[&str] = &[
    "salary",
    "income",
    "interest",
    "tax_refund",
    "refund",
    "rent",
    "utilities",
    "telecom",
    "subscription",
    "insurance",
    "groceries",
    "fuel",
    "pharmacy",
    "restaurant",
    "shopping",
    "cash",
    "payment",
    "transfer",
];

const IBANS: [&str; 3] = [A_CHECKING_IBAN, A_SAVINGS_IBAN, B_CHECKING_IBAN];
const OPENINGS: [i64; 3] = [A_CHECKING_OPENING_MINOR, A_SAVINGS_OPENING_MINOR, B_CHECKING_OPENING_MINOR];
const CHECK_A: usize = 0;
const SAVE_A: usize = 1;
const CHECK_B: usize = 2;

/// Whether a connector is one of the household's banks.
pub fn is_household(connector: i64) -> bool {
    connector == BANK_A || connector == BANK_B
}

fn account_index(id: &str) -> Option<usize> {
    ACCOUNTS.iter().position(|(_, a)| *a == id)
}

// ---------------------------------------------------------------------------
// Counterparties (IBANs with valid check digits; creditor ids are computed).

const EMPLOYER: &str = "ACME Belgium NV";
const EMPLOYER_IBAN: &str = "BE45363018852089";
const LANDLORD: &str = "Marc Claes";
const LANDLORD_IBAN: &str = "BE50001653842118";
const TAX_OFFICE: &str = "FOD Financiën - Terugbetalingen";
const TAX_IBAN: &str = "BE70679200229925";
const ENGIE: &str = "ENGIE Electrabel";
const ENGIE_IBAN: &str = "BE29091003456764";
/// The friend she pays back now and then (trap: same amount, same day as a transfer).
const FRIEND: &str = "Pieter De Smet";
const FRIEND_IBAN: &str = "BE74063392187607";
/// Her sister, paid on the day of some transfers to bank B.
const SISTER: &str = "Sofie Janssens";
const SISTER_IBAN: &str = "BE45735041293389";
const CLIENT: &str = "Studio Noord B.V.";
const CLIENT_IBAN: &str = "NL39RABO0318265471";
const BOL: &str = "bol.com b.v.";
const BOL_IBAN: &str = "NL41INGB0006690342";
const SPOTIFY_IBAN: &str = "NL04ADYB2017400157";
const BASICFIT_IBAN: &str = "NL72INGB0007335125";
/// How bank B shows the sender of her transfers from bank A: a name, no IBAN.
const HOLDER_AT_B: &str = "A. Peeters";
/// Her debit card at bank A, as bank A masks it.
const CARD_A: &str = "4871 04XX XXXX 1234";

type Code = (&'static str, &'static str, &'static str);
const CARD: Code = ("PMNT", "CCRD", "POSD");
const ATM: Code = ("PMNT", "CCRD", "CWDL");
const CARD_REFUND: Code = ("PMNT", "CCRD", "RIMB");
const DIRECT_DEBIT: Code = ("PMNT", "RDDT", "ESDD");
const TRANSFER_OUT: Code = ("PMNT", "ICDT", "ESCT");
const TRANSFER_IN: Code = ("PMNT", "RCDT", "ESCT");
const INTEREST: Code = ("ACMT", "MCOP", "INTR");

// ---------------------------------------------------------------------------
// Check digits.

/// ISO 7064 mod 97 of an alphanumeric string (letters count as 10..35).
fn mod97(s: &str) -> u32 {
    let mut r: u32 = 0;
    for c in s.chars() {
        let Some(v) = c.to_digit(36) else { continue };
        r = if v >= 10 { (r * 100 + v) % 97 } else { (r * 10 + v) % 97 };
    }
    r
}

/// Whether an IBAN's check digits are right.
pub fn iban_is_valid(iban: &str) -> bool {
    iban.len() > 4 && iban.is_ascii() && mod97(&format!("{}{}", &iban[4..], &iban[..4])) == 1
}

/// A SEPA creditor identifier (`BE11ZZZ0403170701`) from a country and a national id.
fn creditor_id(country: &str, national: &str) -> String {
    let check = 98 - mod97(&format!("{national}{country}00"));
    format!("{country}{check:02}ZZZ{national}")
}

/// Whether a SEPA creditor identifier's check digits are right.
pub fn creditor_id_is_valid(id: &str) -> bool {
    id.len() > 7 && id.is_ascii() && mod97(&format!("{}{}", &id[7..], &id[..4])) == 1
}

/// A Belgian structured communication (`+++123/4567/89002+++`) for a number
/// of up to ten digits: the number, then its remainder mod 97 (97 for 0).
pub fn structured_communication(n: u64) -> String {
    let n = n % 10_000_000_000;
    let check = match n % 97 {
        0 => 97,
        c => c,
    };
    let d = format!("{n:010}{check:02}");
    format!("+++{}/{}/{}+++", &d[..3], &d[3..7], &d[7..])
}

/// Whether a Belgian structured communication's check digits are right.
pub fn structured_communication_is_valid(s: &str) -> bool {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 12 || !s.starts_with("+++") || !s.ends_with("+++") {
        return false;
    }
    let (n, check) = (digits[..10].parse::<u64>().unwrap_or(0), digits[10..].parse::<u64>().unwrap_or(0));
    check == if n % 97 == 0 { 97 } else { n % 97 }
}

// ---------------------------------------------------------------------------
// Banking days.

fn easter(year: i32) -> Option<NaiveDate> {
    // The anonymous Gregorian algorithm.
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// Whether SEPA payments are booked on this day (TARGET2: weekdays but New
/// Year, Good Friday, Easter Monday, 1 May, Christmas and Boxing Day).
pub fn is_banking_day(d: NaiveDate) -> bool {
    if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        return false;
    }
    if matches!((d.month(), d.day()), (1, 1) | (5, 1) | (12, 25) | (12, 26)) {
        return false;
    }
    match easter(d.year()) {
        Some(e) => d + Days::new(2) != e && d != e + Days::new(1),
        None => true,
    }
}

/// Banking days after `from` up to and including `to` (0 when `to <= from`).
pub fn banking_days_between(from: NaiveDate, to: NaiveDate) -> u64 {
    from.iter_days().skip(1).take_while(|d| *d <= to).filter(|d| is_banking_day(*d)).count() as u64
}

fn on_or_after(mut d: NaiveDate) -> NaiveDate {
    while !is_banking_day(d) {
        d = d.succ_opt().unwrap_or(d);
    }
    d
}

fn on_or_before(mut d: NaiveDate) -> NaiveDate {
    while !is_banking_day(d) {
        d = d.pred_opt().unwrap_or(d);
    }
    d
}

fn add_banking_days(mut d: NaiveDate, n: u64) -> NaiveDate {
    for _ in 0..n {
        d = on_or_after(d.succ_opt().unwrap_or(d));
    }
    d
}

// ---------------------------------------------------------------------------
// Rows and events.

/// One row of one account before it gets its index.
#[derive(Clone, Debug)]
struct Row {
    account: usize,
    date: NaiveDate,
    value: NaiveDate,
    minor: i64,
    label: &'static str,
    cp_iban: Option<&'static str>,
    cp_name: Option<String>,
    cp_bic: Option<&'static str>,
    text: String,
    remi: Option<String>,
    scor: Option<String>,
    code: Code,
}

impl Row {
    fn new(account: usize, date: NaiveDate, minor: i64, label: &'static str, code: Code, text: String) -> Self {
        Row {
            account,
            date,
            value: date,
            minor,
            label,
            cp_iban: None,
            cp_name: None,
            cp_bic: None,
            text,
            remi: None,
            scor: None,
            code,
        }
    }

    fn party(mut self, name: &str, iban: Option<&'static str>, bic: Option<&'static str>) -> Self {
        self.cp_name = Some(name.to_owned());
        self.cp_iban = iban;
        self.cp_bic = bic;
        self
    }

    fn remi(mut self, text: Option<&str>) -> Self {
        self.remi = text.map(str::to_owned);
        self
    }

    fn scor(mut self, reference: String) -> Self {
        self.scor = Some(reference);
        self
    }

    fn value(mut self, d: NaiveDate) -> Self {
        self.value = d;
        self
    }
}

/// The kinds of rows the app must not take for transfers, or must not pair wrongly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrapKind {
    /// A payment from A-checking to a third party (a known IBAN that is not
    /// the person's) of exactly the amount of a transfer, on the day of its
    /// outgoing leg. Rows: the payment, the transfer's outgoing leg, its
    /// incoming leg.
    SameDayThirdParty,
    /// Two transfers A-checking → B-checking of the same amount within three
    /// days; only the dates tell which incoming leg (no IBAN) belongs to
    /// which outgoing leg. Rows: out 1, in 1, out 2, in 2.
    SameAmountTwice,
    /// A merchant's refund of exactly the amount of an earlier purchase on
    /// the same account. Rows: the purchase, the refund.
    Refund,
}

/// A trap visible by the truth's `today`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// What kind of trap.
    pub kind: TrapKind,
    /// Its rows as (account gateway id, transaction id), in the order [`TrapKind`] describes.
    pub rows: Vec<(String, String)>,
}

/// Rows that stand or fall together: transfers and traps refer to rows of
/// their own event. An event is kept only if its first row is not before the epoch.
#[derive(Default)]
struct Event {
    rows: Vec<Row>,
    transfers: Vec<(usize, usize)>,
    trap: Option<(TrapKind, Vec<usize>)>,
}

impl Event {
    fn one(row: Row) -> Self {
        Event { rows: vec![row], ..Default::default() }
    }

    fn push(&mut self, row: Row) -> usize {
        self.rows.push(row);
        self.rows.len() - 1
    }
}

// ---------------------------------------------------------------------------
// Texts in the banks' own styles.

fn spaced(iban: &str) -> String {
    iban.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// Bank A's text of a credit transfer ("EUROPESE OVERSCHRIJVING VAN …").
fn be_transfer(head: &str, name: &str, iban: &str, bic: &str, comm: Option<&str>) -> String {
    let mut s = format!("{head} {} {} BIC {bic}", name.to_uppercase(), spaced(iban));
    if let Some(c) = comm {
        s.push_str(" MEDEDELING : ");
        s.push_str(c);
    }
    s
}

/// Bank A's text of a SEPA direct debit.
fn be_direct_debit(creditor: &str, cid: &str, mandate: &str, comm: &str) -> String {
    format!(
        "EUROPESE DOMICILIERING SCHULDEISER : {} IDENTIFICATIE SCHULDEISER : {cid} MANDAATREFERENTIE : {mandate} MEDEDELING : {comm}",
        creditor.to_uppercase()
    )
}

fn hm(h: u64, from_hour: u64, hours: u64) -> (u64, u64) {
    (from_hour + h % hours, (h >> 8) % 60)
}

/// Bank A's text of a card payment: Bancontact in Belgian shops, the debit
/// card's international scheme elsewhere.
fn be_card(bancontact: bool, merchant: &str, city: &str, day: NaiveDate, (h, m): (u64, u64)) -> String {
    let when = format!("{} {h:02}:{m:02}", day.format("%d/%m/%Y"));
    if bancontact {
        format!("BANCONTACT AANKOOP {merchant} {city} {when} KAART {CARD_A}")
    } else {
        format!("BETALING MET DEBETKAART NUMMER {CARD_A} {merchant} {city} {when}")
    }
}

/// Bank B's text of a card payment ("BEA") or a cash withdrawal ("GEA"), as in
/// ABN AMRO's MT940 `:86:` lines.
fn nl_card(kind: &str, terminal: &str, place: &str, day: NaiveDate, (h, m): (u64, u64)) -> String {
    format!("{kind}   NR:{terminal}   {}/{h:02}.{m:02} {place},PAS123", day.format("%d.%m.%y"))
}

/// Bank B's text of a SEPA transaction (`/TRTP/…/NAME/…/REMI/…`).
fn nl_sepa(kind: &str, fields: &[(&str, &str)]) -> String {
    let mut s = format!("/TRTP/{kind}");
    for (k, v) in fields {
        s.push('/');
        s.push_str(k);
        s.push('/');
        s.push_str(v);
    }
    s
}

// ---------------------------------------------------------------------------
// Merchants.

struct Merchant {
    weight: u64,
    name: &'static str,
    city: &'static str,
    label: &'static str,
    lo: i64,
    hi: i64,
    /// Bank A: a Bancontact terminal; bank B: unused.
    bancontact: bool,
    /// Bank B: the terminal id in the "BEA" text.
    terminal: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn m(
    weight: u64,
    name: &'static str,
    city: &'static str,
    label: &'static str,
    lo: i64,
    hi: i64,
    bancontact: bool,
    terminal: &'static str,
) -> Merchant {
    Merchant { weight, name, city, label, lo, hi, bancontact, terminal }
}

/// Where she pays by card at bank A (Ghent); amounts in cents.
const MERCHANTS_A: &[Merchant] = &[
    m(18, "COLRUYT", "GENT", "groceries", 1_400, 12_800, false, ""),
    m(10, "DELHAIZE", "GENTBRUGGE", "groceries", 900, 9_500, true, ""),
    m(6, "ALDI", "GENT DAMPOORT", "groceries", 800, 7_000, true, ""),
    m(4, "LIDL", "MERELBEKE", "groceries", 700, 6_500, true, ""),
    m(8, "BAKKERIJ VAN HECKE", "GENT", "groceries", 240, 1_480, true, ""),
    m(5, "TOTALENERGIES", "GENT ZUID", "fuel", 4_200, 8_600, false, ""),
    m(4, "SHELL", "DE PINTE", "fuel", 4_000, 8_200, true, ""),
    m(6, "APOTHEEK DE KOUTER", "GENT", "pharmacy", 420, 3_890, true, ""),
    m(5, "PIZZERIA DA MARIO", "GENT", "restaurant", 1_600, 5_800, true, ""),
    m(4, "BRASSERIE DE BRUG", "GENT", "restaurant", 2_200, 9_400, true, ""),
    m(4, "EXKI", "GENT", "restaurant", 850, 1_980, true, ""),
    m(6, "AMAZON PAYMENTS EUROPE", "LUXEMBOURG", "shopping", 799, 14_999, false, ""),
    m(3, "HEMA", "GENT", "shopping", 350, 4_200, true, ""),
    m(3, "ACTION", "GENT", "shopping", 400, 3_800, true, ""),
    m(2, "IKEA", "GENT", "shopping", 1_200, 18_900, false, ""),
];

/// Where she pays by card at bank B (Amsterdam).
const MERCHANTS_B: &[Merchant] = &[
    m(16, "ALBERT HEIJN 1234", "AMSTERDAM", "groceries", 600, 7_800, false, "GX1234"),
    m(9, "JUMBO DE PIJP", "AMSTERDAM", "groceries", 500, 6_400, false, "CT5521"),
    m(5, "AH TO GO CS", "AMSTERDAM", "groceries", 280, 1_450, false, "GX0871"),
    m(3, "ETOS 4412", "AMSTERDAM", "pharmacy", 320, 2_990, false, "EW2210"),
    m(3, "KRUIDVAT 7012", "AMSTERDAM", "pharmacy", 250, 2_450, false, "KV7012"),
    m(6, "CAFE DE JAREN", "AMSTERDAM", "restaurant", 1_200, 6_800, false, "CDJ001"),
    m(4, "FEBO DAMRAK", "AMSTERDAM", "restaurant", 450, 1_800, false, "FB0114"),
    m(3, "SHELL A10 WEST", "AMSTERDAM", "fuel", 4_500, 8_800, false, "SH7730"),
    m(4, "HEMA KALVERSTRAAT", "AMSTERDAM", "shopping", 300, 4_500, false, "HM0022"),
];

fn pick(h: u64, merchants: &'static [Merchant]) -> &'static Merchant {
    let total: u64 = merchants.iter().map(|m| m.weight).sum();
    let mut x = h % total.max(1);
    for m in merchants {
        if x < m.weight {
            return m;
        }
        x -= m.weight;
    }
    &merchants[0]
}

// ---------------------------------------------------------------------------
// The schedule.

fn hash(seed: u64, parts: &[u64]) -> u64 {
    let mut h = mix(seed ^ 0x486F_7573_6568_6F6C);
    for p in parts {
        h = mix(h ^ p);
    }
    h
}

/// A number in `lo..=hi` from a hash.
fn between(h: u64, lo: i64, hi: i64) -> i64 {
    lo + (h % (hi - lo + 1).max(1) as u64) as i64
}

// Event tags (for the hash).
const T_SALARY: u64 = 1;
const T_BONUS: u64 = 2;
const T_TAX: u64 = 3;
const T_ENGIE: u64 = 4;
const T_WATER: u64 = 5;
const T_TELECOM: u64 = 6;
const T_INSURANCE: u64 = 7;
const T_CARD_A: u64 = 8;
const T_CARD_B: u64 = 9;
const T_ATM_A: u64 = 10;
const T_ATM_B: u64 = 11;
const T_A_TO_B: u64 = 12;
const T_SAVINGS_BACK: u64 = 13;
const T_INTEREST: u64 = 14;
const T_INVOICE: u64 = 15;
const T_BOL: u64 = 16;
const T_REFUND: u64 = 17;
const T_FRIEND: u64 = 18;

/// The monthly standing order A-checking → A-savings.
const SAVINGS_MINOR: i64 = 50_000;
/// The amount of the two transfers of [`TrapKind::SameAmountTwice`] (never used otherwise).
const TWICE_MINOR: i64 = 15_000;
/// Amounts of the ordinary transfers A-checking → B-checking.
const A_TO_B_MINOR: [i64; 4] = [10_000, 20_000, 25_000, 30_000];

struct Month {
    seed: u64,
    year: i32,
    month: u32,
    /// Absolute month number (year × 12 + month − 1): the traps' rhythm.
    index: u64,
    first: NaiveDate,
    last: NaiveDate,
    out: Vec<Event>,
}

impl Month {
    fn new(seed: u64, year: i32, month: u32) -> Option<Self> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let last = next.pred_opt()?;
        let index = u64::try_from(year).ok()? * 12 + u64::from(month) - 1;
        Some(Month { seed, year, month, index, first, last, out: Vec::new() })
    }

    fn h(&self, tag: u64, extra: u64) -> u64 {
        hash(self.seed, &[tag, self.index, extra])
    }

    fn day(&self, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, day.min(self.last.day())).unwrap_or(self.first)
    }

    fn mm_yyyy(&self) -> String {
        format!("{:02}/{}", self.month, self.year)
    }

    fn events(mut self) -> Vec<Event> {
        self.salary();
        self.rent();
        self.savings_standing_order();
        self.utilities();
        self.netflix();
        self.cards_and_cash();
        self.transfers_to_b();
        self.savings_back();
        self.amazon_refund();
        self.bank_b_recurring();
        self.bol();
        self.out
    }

    fn salary(&mut self) {
        let pay = |me: &Month, date: NaiveDate, minor: i64, n: u64| {
            let comm =
                structured_communication(1_000_000_000 + hash(me.seed, &[T_SALARY, me.index, n]) % 9_000_000_000);
            Row::new(
                CHECK_A,
                date,
                minor,
                "salary",
                TRANSFER_IN,
                be_transfer("EUROPESE OVERSCHRIJVING VAN", EMPLOYER, EMPLOYER_IBAN, "GKCCBEBB", Some(&comm)),
            )
            .party(EMPLOYER, Some(EMPLOYER_IBAN), Some("GKCCBEBB"))
            .scor(comm)
        };
        let monthly = pay(self, on_or_before(self.last), between(self.h(T_SALARY, 0), 298_000, 312_000), 0);
        self.out.push(Event::one(monthly));
        if self.month == 6 {
            // Double holiday pay.
            let r = pay(self, on_or_before(self.day(20)), between(self.h(T_BONUS, 0), 265_000, 285_000), 1);
            self.out.push(Event::one(r));
        }
        if self.month == 12 {
            // Year-end bonus.
            let r = pay(self, on_or_before(self.day(18)), between(self.h(T_BONUS, 1), 295_000, 315_000), 2);
            self.out.push(Event::one(r));
        }
        if self.month == 7 {
            let h = self.h(T_TAX, 0);
            let comm = structured_communication(h % 10_000_000_000);
            let r = Row::new(
                CHECK_A,
                on_or_before(self.day(15 + (h >> 20) as u32 % 12)),
                between(h >> 30, 18_000, 115_000),
                "tax_refund",
                TRANSFER_IN,
                be_transfer("EUROPESE OVERSCHRIJVING VAN", TAX_OFFICE, TAX_IBAN, "PCHQBEBB", Some(&comm)),
            )
            .party(TAX_OFFICE, Some(TAX_IBAN), Some("PCHQBEBB"))
            .scor(comm);
            self.out.push(Event::one(r));
        }
    }

    fn rent(&mut self) {
        // 985.00 in September 2020, indexed by 2.1 % every September since.
        let septembers = (self.year - 2020) + i32::from(self.month >= 9) - 1;
        let mut minor: i64 = 98_500;
        for _ in 0..septembers.max(0) {
            minor = (minor * 1021 + 500) / 1000;
        }
        let comm = format!("HUUR {} KORTE MEER 12 GENT", self.mm_yyyy());
        let r = Row::new(
            CHECK_A,
            on_or_after(self.first),
            -minor,
            "rent",
            TRANSFER_OUT,
            be_transfer("DOORLOPENDE BETALINGSOPDRACHT NAAR", LANDLORD, LANDLORD_IBAN, "GEBABEBB", Some(&comm)),
        )
        .party(LANDLORD, Some(LANDLORD_IBAN), Some("GEBABEBB"))
        .remi(Some(&comm));
        self.out.push(Event::one(r));
    }

    fn savings_standing_order(&mut self) {
        let date = on_or_after(self.day(3));
        let mut ev = Event::default();
        let (o, i) = transfer_a(&mut ev, CHECK_A, SAVE_A, date, SAVINGS_MINOR, Some("SPAREN"), true);
        if self.index % 4 == 1 {
            // She pays a friend back exactly that much on the same day.
            let reasons = ["TERUGBETALING WEEKEND ARDENNEN", "CONCERTTICKETS", "HUUR BUSJE VERHUIS", "VOORSCHOT REIS"];
            let comm = reasons[(self.h(T_FRIEND, 0) % reasons.len() as u64) as usize];
            let p = ev.push(
                Row::new(
                    CHECK_A,
                    date,
                    -SAVINGS_MINOR,
                    "payment",
                    TRANSFER_OUT,
                    be_transfer("EUROPESE OVERSCHRIJVING NAAR", FRIEND, FRIEND_IBAN, "GKCCBEBB", Some(comm)),
                )
                .party(FRIEND, Some(FRIEND_IBAN), Some("GKCCBEBB"))
                .remi(Some(comm)),
            );
            ev.trap = Some((TrapKind::SameDayThirdParty, vec![p, o, i]));
        }
        self.out.push(ev);
    }

    fn utilities(&mut self) {
        let dd = |date: NaiveDate, minor: i64, label, creditor: &str, national: &str, mandate: &str, comm: String| {
            let cid = creditor_id("BE", national);
            Row::new(CHECK_A, date, -minor, label, DIRECT_DEBIT, be_direct_debit(creditor, &cid, mandate, &comm))
                .party(creditor, None, None)
                .remi(Some(&comm))
        };
        // ENGIE: a monthly advance, fixed per contract year (April–March), and the yearly settlement in March.
        let contract_year = if self.month >= 4 { self.year } else { self.year - 1 };
        let advance = between(hash(self.seed, &[T_ENGIE, contract_year as u64]), 85, 135) * 100;
        let comm = format!("VOORSCHOTFACTUUR ELEKTRICITEIT EN GAS {} KLANTNUMMER 501283477", self.mm_yyyy());
        let r = dd(on_or_after(self.day(12)), advance, "utilities", ENGIE, "0403170701", "5012834770001", comm);
        self.out.push(Event::one(r));
        if self.month == 3 {
            let h = self.h(T_ENGIE, 1);
            let settle = between(h, -21_000, 16_000);
            let date = on_or_after(self.day(20));
            let comm = format!("JAARAFREKENING {}-{} KLANTNUMMER 501283477", self.year - 1, self.year);
            let r = if settle > 0 {
                let ogm = structured_communication(h >> 20);
                Row::new(
                    CHECK_A,
                    date,
                    settle,
                    "utilities",
                    TRANSFER_IN,
                    be_transfer("EUROPESE OVERSCHRIJVING VAN", ENGIE, ENGIE_IBAN, "GEBABEBB", Some(&ogm)),
                )
                .party(ENGIE, Some(ENGIE_IBAN), Some("GEBABEBB"))
                .scor(ogm)
            } else {
                dd(date, -settle.min(-100), "utilities", ENGIE, "0403170701", "5012834770001", comm)
            };
            self.out.push(Event::one(r));
        }
        // FARYS water: a quarterly advance.
        if self.month % 3 == 2 {
            let minor = between(hash(self.seed, &[T_WATER, self.year as u64]), 48, 66) * 100;
            let comm =
                format!("TUSSENTIJDSE FACTUUR WATER {}E KWARTAAL {} KLANT 2210443", self.month / 3 + 1, self.year);
            let r = dd(on_or_after(self.day(20)), minor, "utilities", "FARYS", "0200068636", "FAR2210443", comm);
            self.out.push(Event::one(r));
        }
        // Telenet internet (the price goes up every year) and Proximus mobile (some months a little more).
        let telenet = 7_645 + 300 * i64::from(self.year - 2022);
        let comm = format!("FACTUUR {}{:02}7412558 KLANTNUMMER 7412 55 83", self.year % 100, self.month);
        let r = dd(on_or_after(self.day(18)), telenet, "telecom", "Telenet", "0473416418", "TLN-7412558-01", comm);
        self.out.push(Event::one(r));
        let h = self.h(T_TELECOM, 0);
        let proximus = 1_700 + if h.is_multiple_of(4) { between(h >> 8, 50, 650) } else { 0 };
        let comm = format!("FACTUUR MOBIEL {}{:02} KLANT 612093384", self.year, self.month);
        let r = dd(on_or_after(self.day(22)), proximus, "telecom", "Proximus", "0202239951", "PXS612093384", comm);
        self.out.push(Event::one(r));
        // AG Insurance: quarterly.
        if self.month % 3 == 1 {
            let minor = between(hash(self.seed, &[T_INSURANCE, self.year as u64]), 13_120, 15_880);
            let comm = format!("POLIS 90.412.337 PREMIE {}E KWARTAAL {}", self.month / 3 + 1, self.year);
            let r = dd(on_or_after(self.day(5)), minor, "insurance", "AG Insurance", "0404494849", "AGI90412337", comm);
            self.out.push(Event::one(r));
        }
    }

    fn netflix(&mut self) {
        let day = self.day(14);
        let minor = if self.year <= 2024 { 1_349 } else { 1_499 };
        let text = be_card(false, "NETFLIX.COM", "AMSTERDAM", day, (3, 12));
        let r = Row::new(CHECK_A, on_or_after(day + Days::new(1)), -minor, "subscription", CARD, text.clone())
            .party("NETFLIX.COM", None, None)
            .remi(Some(&text))
            .value(day);
        self.out.push(Event::one(r));
    }

    fn cards_and_cash(&mut self) {
        for day in self.first.iter_days().take_while(|d| *d <= self.last) {
            let key = day.num_days_from_ce() as u64;
            // Bank A: about five card payments a week, booked the next banking day.
            let h = hash(self.seed, &[T_CARD_A, key]);
            let n = match h % 100 {
                0..45 => 0,
                45..85 => 1,
                _ => 2,
            };
            for k in 0..n {
                let h = hash(self.seed, &[T_CARD_A, key, k + 1]);
                let m = pick(h, MERCHANTS_A);
                let minor = between(h >> 16, m.lo, m.hi);
                let text = be_card(m.bancontact, m.name, m.city, day, hm(h >> 40, 8, 14));
                let r = Row::new(CHECK_A, on_or_after(day + Days::new(1)), -minor, m.label, CARD, text.clone())
                    .party(m.name, None, None)
                    .remi(Some(&text))
                    .value(day);
                self.out.push(Event::one(r));
            }
            let h = hash(self.seed, &[T_ATM_A, key]);
            if h % 100 < 6 {
                let minor = [4_000, 5_000, 6_000, 8_000, 10_000, 15_000][((h >> 8) % 6) as usize];
                let place = ["BATOPIN GENT KORENMARKT", "BATOPIN GENT SINT-PIETERS", "BATOPIN GENTBRUGGE"]
                    [((h >> 16) % 3) as usize];
                let (hh, mm) = hm(h >> 24, 9, 12);
                let text = format!(
                    "GELDOPNEMING MET DEBETKAART NUMMER {CARD_A} {place} {} {hh:02}:{mm:02}",
                    day.format("%d/%m/%Y")
                );
                let r = Row::new(CHECK_A, on_or_after(day + Days::new(1)), -minor, "cash", ATM, text.clone())
                    .remi(Some(&text))
                    .value(day);
                self.out.push(Event::one(r));
            }
            // Bank B: two or three card payments a week, booked the same day.
            let h = hash(self.seed, &[T_CARD_B, key]);
            let n = match h % 100 {
                0..70 => 0,
                70..95 => 1,
                _ => 2,
            };
            for k in 0..n {
                let h = hash(self.seed, &[T_CARD_B, key, k + 1]);
                let m = pick(h, MERCHANTS_B);
                let minor = between(h >> 16, m.lo, m.hi);
                let text = nl_card("BEA", m.terminal, &format!("{} {}", m.name, m.city), day, hm(h >> 40, 8, 14));
                let r = Row::new(CHECK_B, day, -minor, m.label, CARD, text.clone())
                    .party(m.name, None, None)
                    .remi(Some(&text));
                self.out.push(Event::one(r));
            }
            let h = hash(self.seed, &[T_ATM_B, key]);
            if h % 100 < 3 {
                let minor = [2_000, 5_000, 7_000, 10_000][((h >> 8) % 4) as usize];
                let (terminal, place) = [("S1J033", "DAMRAK 1 AMSTERDAM"), ("S2A417", "CENTRAAL STATION AMSTERDAM")]
                    [((h >> 16) % 2) as usize];
                let text = nl_card("GEA", terminal, place, day, hm(h >> 24, 9, 12));
                self.out.push(Event::one(Row::new(CHECK_B, day, -minor, "cash", ATM, text.clone()).remi(Some(&text))));
            }
        }
    }

    fn transfers_to_b(&mut self) {
        let notes = [Some("Overschrijving eigen rekening"), Some("Zakgeld NL"), Some("Boodschappen NL"), None];
        if !self.index.is_multiple_of(3) {
            let h = self.h(T_A_TO_B, 0);
            let date = on_or_after(self.day(20 + (h % 6) as u32));
            let minor = A_TO_B_MINOR[((h >> 8) % A_TO_B_MINOR.len() as u64) as usize];
            let note = notes[((h >> 16) % notes.len() as u64) as usize];
            let mut ev = Event::default();
            let (o, i) = transfer_to_b(&mut ev, date, minor, note, 1 + (h >> 24) % 2);
            if self.index % 6 == 5 {
                // The same amount, the same day, to her sister.
                let comm = "CADEAU + RESTAURANT";
                let p = ev.push(
                    Row::new(
                        CHECK_A,
                        date,
                        -minor,
                        "payment",
                        TRANSFER_OUT,
                        be_transfer("EUROPESE OVERSCHRIJVING NAAR", SISTER, SISTER_IBAN, "KREDBEBB", Some(comm)),
                    )
                    .party(SISTER, Some(SISTER_IBAN), Some("KREDBEBB"))
                    .remi(Some(comm)),
                );
                ev.trap = Some((TrapKind::SameDayThirdParty, vec![p, o, i]));
            }
            self.out.push(ev);
        }
        if self.index % 6 == 2 {
            // Two transfers of the same amount: Monday (arrives Tuesday) and
            // Wednesday (arrives Thursday), in a week of four banking days.
            let mut x = self.day(8);
            while x.weekday() != Weekday::Mon || !(0..4).all(|k| is_banking_day(x + Days::new(k))) {
                x = x.succ_opt().unwrap_or(x);
            }
            let note = Some("Overschrijving eigen rekening");
            let mut ev = Event::default();
            let (o1, i1) = transfer_to_b(&mut ev, x, TWICE_MINOR, note, 1);
            let (o2, i2) = transfer_to_b(&mut ev, x + Days::new(2), TWICE_MINOR, note, 1);
            ev.trap = Some((TrapKind::SameAmountTwice, vec![o1, i1, o2, i2]));
            self.out.push(ev);
        }
    }

    fn savings_back(&mut self) {
        if self.index % 5 == 2 {
            let h = self.h(T_SAVINGS_BACK, 0);
            let date = on_or_after(self.day(10 + (h % 8) as u32));
            let minor = [50_000, 75_000, 100_000, 150_000][((h >> 8) % 4) as usize];
            let note = [Some("VAKANTIE"), Some("ONDERHOUD AUTO"), Some("TANDARTS"), None][((h >> 16) % 4) as usize];
            let mut ev = Event::default();
            transfer_a(&mut ev, SAVE_A, CHECK_A, date, minor, note, false);
            self.out.push(ev);
        }
        if self.month == 1 {
            let h = self.h(T_INTEREST, 0);
            let text = format!("INTRESTEN SPAARREKENING BASISRENTE EN GETROUWHEIDSPREMIE {}", self.year - 1);
            let r = Row::new(SAVE_A, on_or_after(self.first), between(h, 4_210, 9_680), "interest", INTEREST, text);
            self.out.push(Event::one(r));
        }
    }

    fn amazon_refund(&mut self) {
        if self.index % 3 != 1 {
            return;
        }
        let h = self.h(T_REFUND, 0);
        let day = self.day(5 + (h % 10) as u32);
        let minor = between(h >> 8, 1_999, 12_999);
        let (name, city) = ("AMAZON PAYMENTS EUROPE", "LUXEMBOURG");
        let text = be_card(false, name, city, day, hm(h >> 24, 8, 14));
        let booked = on_or_after(day + Days::new(1));
        let mut ev = Event::default();
        let p = ev.push(
            Row::new(CHECK_A, booked, -minor, "shopping", CARD, text.clone())
                .party(name, None, None)
                .remi(Some(&text))
                .value(day),
        );
        let back = add_banking_days(booked, 2 + (h >> 40) % 4);
        let text = format!("TERUGBETALING DEBETKAART NUMMER {CARD_A} {name} {city} {}", back.format("%d/%m/%Y"));
        let r = ev.push(
            Row::new(CHECK_A, back, minor, "refund", CARD_REFUND, text.clone())
                .party(name, None, None)
                .remi(Some(&text)),
        );
        ev.trap = Some((TrapKind::Refund, vec![p, r]));
        self.out.push(ev);
    }

    fn bank_b_recurring(&mut self) {
        // Her freelance invoice, paid by her client: hours × 60.50 (VAT included).
        let h = self.h(T_INVOICE, 0);
        let minor = between(h, 4, 9) * 6_050;
        let invoice = format!("Factuur {}-{:03}", self.year, self.month);
        let eref = format!("SN{}{:02}", self.year, self.month);
        let text = nl_sepa(
            "SEPA OVERBOEKING",
            &[("IBAN", CLIENT_IBAN), ("BIC", "RABONL2U"), ("NAME", CLIENT), ("REMI", &invoice), ("EREF", &eref)],
        );
        let r =
            Row::new(CHECK_B, on_or_after(self.day(8 + ((h >> 8) % 10) as u32)), minor, "income", TRANSFER_IN, text)
                .party(CLIENT, Some(CLIENT_IBAN), Some("RABONL2U"))
                .remi(Some(&invoice));
        self.out.push(Event::one(r));
        // Spotify, monthly.
        let minor = if self.year <= 2024 { 1_099 } else { 1_199 };
        let remi = format!("Spotify Premium {}", self.mm_yyyy());
        let cid = creditor_id("SE", "5567037485");
        let mandate = "SPOT-4471-2093-PEETERS";
        let text = nl_sepa(
            "SEPA Incasso algemeen doorlopend",
            &[
                ("CSID", &cid),
                ("NAME", "Spotify AB"),
                ("MARF", mandate),
                ("REMI", &remi),
                ("IBAN", SPOTIFY_IBAN),
                ("BIC", "ADYBNL2A"),
                ("EREF", &format!("P{}{:02}4471", self.year, self.month)),
            ],
        );
        let r = Row::new(CHECK_B, on_or_after(self.day(9)), -minor, "subscription", DIRECT_DEBIT, text)
            .party("Spotify AB", Some(SPOTIFY_IBAN), Some("ADYBNL2A"))
            .remi(Some(&remi));
        self.out.push(Event::one(r));
        // Basic-Fit, every four weeks from Friday 3 January 2020.
        let Some(anchor) = NaiveDate::from_ymd_opt(2020, 1, 3) else { return };
        let since = (self.first - anchor).num_days();
        let mut k = (since.max(0) + 27) / 28;
        loop {
            let start = anchor + Days::new(28 * k as u64);
            if start > self.last {
                break;
            }
            let minor = if start.year() <= 2024 { 2_999 } else { 3_299 };
            let end = start + Days::new(27);
            let remi = format!("Lidmaatschap {} t/m {} 1049 2377", start.format("%d-%m-%Y"), end.format("%d-%m-%Y"));
            let cid = creditor_id("NL", "342145050000");
            let text = nl_sepa(
                "SEPA Incasso algemeen doorlopend",
                &[
                    ("CSID", &cid),
                    ("NAME", "Basic-Fit Nederland B.V."),
                    ("MARF", "BF10492377"),
                    ("REMI", &remi),
                    ("IBAN", BASICFIT_IBAN),
                    ("BIC", "INGBNL2A"),
                    ("EREF", &format!("BF{}", start.format("%Y%m%d"))),
                ],
            );
            let r = Row::new(CHECK_B, on_or_after(start), -minor, "subscription", DIRECT_DEBIT, text)
                .party("Basic-Fit Nederland B.V.", Some(BASICFIT_IBAN), Some("INGBNL2A"))
                .remi(Some(&remi));
            self.out.push(Event::one(r));
            k += 1;
        }
    }

    fn bol(&mut self) {
        // An order paid with iDEAL in most months; every third month one goes back and is refunded.
        let order = |h: u64, day: NaiveDate, minor: i64| -> (Row, String) {
            let no = format!("{}", 2_000_000_000 + h % 99_999_999);
            let (hh, mm) = hm(h >> 30, 8, 14);
            let remi = format!("{no} bol.com");
            let text = nl_sepa(
                "iDEAL",
                &[
                    ("IBAN", BOL_IBAN),
                    ("BIC", "INGBNL2A"),
                    ("NAME", BOL),
                    ("REMI", &remi),
                    (
                        "EREF",
                        &format!("{} {hh:02}:{mm:02} {}", day.format("%d-%m-%Y"), 1_000_000 + (h >> 8) % 8_999_999),
                    ),
                ],
            );
            (
                Row::new(CHECK_B, day, -minor, "shopping", TRANSFER_OUT, text)
                    .party(BOL, Some(BOL_IBAN), Some("INGBNL2A"))
                    .remi(Some(&remi)),
                no,
            )
        };
        let h = self.h(T_BOL, 0);
        if h % 10 < 7 {
            let day = self.day(1 + ((h >> 8) % 28) as u32);
            let minor = between(h >> 16, 9, 89) * 100 + 99;
            let (r, _) = order(h >> 24, day, minor);
            self.out.push(Event::one(r));
        }
        if self.index.is_multiple_of(3) {
            let h = self.h(T_BOL, 1);
            let day = self.day(3 + ((h >> 8) % 10) as u32);
            let minor = between(h >> 16, 24, 119) * 100 + 99;
            let (r, no) = order(h >> 24, day, minor);
            let mut ev = Event::default();
            let p = ev.push(r);
            let back = on_or_after(day + Days::new(5 + (h >> 50) % 7));
            let remi = format!("Terugbetaling retour order {no}");
            let text = nl_sepa(
                "SEPA OVERBOEKING",
                &[
                    ("IBAN", BOL_IBAN),
                    ("BIC", "INGBNL2A"),
                    ("NAME", BOL),
                    ("REMI", &remi),
                    ("EREF", &format!("RET{no}")),
                ],
            );
            let r = ev.push(
                Row::new(CHECK_B, back, minor, "refund", TRANSFER_IN, text)
                    .party(BOL, Some(BOL_IBAN), Some("INGBNL2A"))
                    .remi(Some(&remi)),
            );
            ev.trap = Some((TrapKind::Refund, vec![p, r]));
            self.out.push(ev);
        }
    }
}

/// A transfer between her two accounts at bank A, both legs the same day.
fn transfer_a(
    ev: &mut Event,
    from: usize,
    to: usize,
    date: NaiveDate,
    minor: i64,
    note: Option<&str>,
    standing_order: bool,
) -> (usize, usize) {
    let head = if standing_order { "DOORLOPENDE BETALINGSOPDRACHT NAAR" } else { "EUROPESE OVERSCHRIJVING NAAR" };
    let o = ev.push(
        Row::new(from, date, -minor, "transfer", TRANSFER_OUT, be_transfer(head, HOLDER, IBANS[to], BANK_A_BIC, note))
            .party(HOLDER, Some(IBANS[to]), Some(BANK_A_BIC))
            .remi(note),
    );
    let i = ev.push(
        Row::new(
            to,
            date,
            minor,
            "transfer",
            TRANSFER_IN,
            be_transfer("EUROPESE OVERSCHRIJVING VAN", HOLDER, IBANS[from], BANK_A_BIC, note),
        )
        .party(HOLDER, Some(IBANS[from]), Some(BANK_A_BIC))
        .remi(note),
    );
    ev.transfers.push((o, i));
    (o, i)
}

/// A transfer A-checking → B-checking: it reaches bank B `delay` banking
/// days later, with her name and her note but without her IBAN.
fn transfer_to_b(ev: &mut Event, date: NaiveDate, minor: i64, note: Option<&str>, delay: u64) -> (usize, usize) {
    let o = ev.push(
        Row::new(
            CHECK_A,
            date,
            -minor,
            "transfer",
            TRANSFER_OUT,
            be_transfer("EUROPESE OVERSCHRIJVING NAAR", HOLDER, B_CHECKING_IBAN, BANK_B_BIC, note),
        )
        .party(HOLDER, Some(B_CHECKING_IBAN), Some(BANK_B_BIC))
        .remi(note),
    );
    let text = nl_sepa(
        "SEPA OVERBOEKING",
        &[("NAME", HOLDER_AT_B), ("REMI", note.unwrap_or("NOTPROVIDED")), ("EREF", "NOTPROVIDED")],
    );
    let i = ev.push(
        Row::new(CHECK_B, add_banking_days(date, delay), minor, "transfer", TRANSFER_IN, text)
            .party(HOLDER_AT_B, None, None)
            .remi(note),
    );
    ev.transfers.push((o, i));
    (o, i)
}

// ---------------------------------------------------------------------------
// The ledger: every account's rows up to a day, with their indices.

struct Ledger {
    /// Per account, its rows dated on or before `until`, oldest first, with their serials.
    accounts: [Vec<(u64, Row)>; 3],
    /// Transfers as (outgoing serial, incoming serial), in order.
    transfers: Vec<(u64, u64)>,
    traps: Vec<(TrapKind, Vec<u64>)>,
}

fn ledger(seed: u64, epoch: NaiveDate, until: NaiveDate) -> Ledger {
    let mut l = Ledger { accounts: Default::default(), transfers: Vec::new(), traps: Vec::new() };
    if until < epoch {
        return l;
    }
    let mut serial: u64 = 0;
    let (mut y, mut mo) = (epoch.year(), epoch.month());
    while (y, mo) <= (until.year(), until.month()) {
        for ev in Month::new(seed, y, mo).map(Month::events).unwrap_or_default() {
            if ev.rows.iter().any(|r| r.date < epoch) {
                continue;
            }
            let base = serial;
            serial += ev.rows.len() as u64;
            l.transfers.extend(ev.transfers.iter().map(|(o, i)| (base + *o as u64, base + *i as u64)));
            if let Some((kind, rows)) = ev.trap {
                l.traps.push((kind, rows.iter().map(|r| base + *r as u64).collect()));
            }
            for (k, r) in ev.rows.into_iter().enumerate() {
                if r.date <= until {
                    l.accounts[r.account].push((base + k as u64, r));
                }
            }
        }
        (y, mo) = if mo == 12 { (y + 1, 1) } else { (y, mo + 1) };
    }
    for rows in &mut l.accounts {
        rows.sort_by_key(|(s, r)| (r.date, *s));
    }
    l
}

fn short_id(id: &str) -> String {
    id.chars().filter(char::is_ascii_alphanumeric).take(8).collect()
}

fn transaction(epoch: NaiveDate, account: usize, i: u64, r: &Row) -> Transaction {
    Transaction {
        id: Some(format!("{}-{i:09}", short_id(ACCOUNTS[account].1))),
        gw_account_id: None,
        gw_sequence: Some(format!("{}-{i:09}", epoch.format("%Y%m%d"))),
        possible_hole: None,
        amount: Amount(Decimal::new(r.minor, 2)),
        counterpart_reference: r.cp_iban.map(str::to_owned),
        counterpart_name: r.cp_name.clone(),
        counterpart_bic: r.cp_bic.map(str::to_owned),
        currency: Some("EUR".into()),
        description: Some(r.text.clone()),
        execution_date: Some(BankDateTime::from_date(r.date)),
        value_date: Some(BankDateTime::from_date(r.value)),
        remittance_information: (r.remi.is_some() || r.scor.is_some()).then(|| RemittanceInformation {
            structured: r.scor.as_ref().map(|reference| StructuredRemittance {
                creditor_reference_information: Some(CreditorReferenceInformation {
                    kind: Some(CreditorReferenceType { code: Some("SCOR".into()), issuer: Some("BBA".into()) }),
                    reference: Some(reference.clone()),
                }),
            }),
            unstructured: r.remi.clone(),
        }),
        bank_transaction_code: Some(BankTransactionCode {
            domain: Some(r.code.0.into()),
            family: Some(r.code.1.into()),
            sub_family: Some(r.code.2.into()),
        }),
        // The gateway's `mandate` of a direct debit, as the bank's text has it.
        mandate: mandate_in(&r.text).map(|m| saldo_gateway::Mandate { mandate_reference: Some(m) }),
        end_to_end_id: None,
    }
}

/// The mandate reference of a direct debit's text (BE `MANDAATREFERENTIE : X`,
/// NL `/MARF/X/`).
fn mandate_in(text: &str) -> Option<String> {
    let after = |marker: &str| text.split_once(marker).map(|(_, rest)| rest);
    let m = after("MANDAATREFERENTIE : ")
        .map(|rest| rest.split(' ').next().unwrap_or_default())
        .or_else(|| after("/MARF/").map(|rest| rest.split('/').next().unwrap_or_default()))?;
    (!m.is_empty()).then(|| m.to_owned())
}

// ---------------------------------------------------------------------------
// What the sandbox serves.

/// The rows of a household account dated on or before `today`, oldest first:
/// row `i` is the account's transaction `i`, as the gateway sends it before
/// [`settling`]. Empty for an account that is not the household's.
pub fn rows(seed: u64, epoch: NaiveDate, account: &str, today: NaiveDate) -> Vec<Transaction> {
    let Some(a) = account_index(account) else { return Vec::new() };
    ledger(seed, epoch, today).accounts[a]
        .iter()
        .enumerate()
        .map(|(i, (_, r))| transaction(epoch, a, i as u64, r))
        .collect()
}

/// How many rows of a household account are dated on or before `today`.
pub fn visible_count(seed: u64, epoch: NaiveDate, account: &str, today: NaiveDate) -> u64 {
    account_index(account).map_or(0, |a| ledger(seed, epoch, today).accounts[a].len() as u64)
}

/// The first index of a household account dated on or after `from`.
pub fn first_index_on_or_after(seed: u64, epoch: NaiveDate, account: &str, from: NaiveDate) -> u64 {
    match from.pred_opt() {
        Some(before) if from > epoch => visible_count(seed, epoch, account, before),
        _ => 0,
    }
}

/// The balance of a household account at the epoch.
pub fn opening_balance(account: &str) -> Decimal {
    Decimal::new(account_index(account).map_or(0, |a| OPENINGS[a]), 2)
}

/// The exact booked balance of a household account on `today`: its opening
/// balance plus every row dated on or before `today`.
pub fn booked_balance(seed: u64, epoch: NaiveDate, account: &str, today: NaiveDate) -> Decimal {
    let Some(a) = account_index(account) else { return Decimal::ZERO };
    let minor: i64 = ledger(seed, epoch, today).accounts[a].iter().map(|(_, r)| r.minor).sum();
    Decimal::new(OPENINGS[a] + minor, 2)
}

/// A row as the bank shows it on `today`: card payments and withdrawals of
/// the last two days are still settling (their text starts with
/// [`SETTLING_PREFIX`]) and are amended under the same id once booked.
/// Unlike the synthetic banks, transfers and direct debits are booked at once.
pub fn settling(mut t: Transaction, today: NaiveDate) -> Transaction {
    let card = t.bank_transaction_code.as_ref().is_some_and(|c| c.family.as_deref() == Some("CCRD"));
    let recent = t.execution_date.as_ref().is_some_and(|d| d.date() >= today - chrono::Duration::days(1));
    if card && recent && t.amount.0.is_sign_negative() {
        t.description = t.description.map(|d| format!("{SETTLING_PREFIX}{d}"));
    }
    t
}

// ---------------------------------------------------------------------------
// The truth.

/// What the household's rows mean, for the rows visible on a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truth {
    /// Every transfer between own accounts whose two legs are both visible:
    /// (account gateway id, transaction id) of the outgoing leg, then of the
    /// incoming leg; in the order they were made.
    pub transfers: Vec<((String, String), (String, String))>,
    /// Legs of transfers between own accounts whose other leg is not visible
    /// yet (dated after `today`): the app must not invent the other leg.
    pub pending_legs: Vec<(String, String)>,
    /// Per currency, money in over all household accounts, every leg of a
    /// transfer between own accounts excluded (exact decimals).
    pub income: BTreeMap<String, Decimal>,
    /// Per currency, money out over all household accounts as a positive
    /// amount, every leg of a transfer between own accounts excluded.
    pub spending: BTreeMap<String, Decimal>,
    /// Each visible row's intended kind (one of [`LABELS`]).
    pub labels: BTreeMap<(String, String), &'static str>,
    /// The traps whose rows are all visible.
    pub traps: Vec<Trap>,
}

/// The truth of the household as the sandbox with this seed and epoch serves it on `today`.
pub fn truth(seed: u64, epoch: NaiveDate, today: NaiveDate) -> Truth {
    let l = ledger(seed, epoch, today);
    let mut refs: BTreeMap<u64, (String, String)> = BTreeMap::new();
    let mut labels = BTreeMap::new();
    let (mut income, mut spending) = (Decimal::ZERO, Decimal::ZERO);
    for (a, rows) in l.accounts.iter().enumerate() {
        for (i, (serial, r)) in rows.iter().enumerate() {
            let key = (ACCOUNTS[a].1.to_owned(), format!("{}-{i:09}", short_id(ACCOUNTS[a].1)));
            labels.insert(key.clone(), r.label);
            refs.insert(*serial, key);
            if r.label != "transfer" {
                if r.minor > 0 {
                    income += Decimal::new(r.minor, 2);
                } else {
                    spending += Decimal::new(-r.minor, 2);
                }
            }
        }
    }
    let mut transfers = Vec::new();
    let mut pending_legs = Vec::new();
    for (o, i) in &l.transfers {
        match (refs.get(o), refs.get(i)) {
            (Some(o), Some(i)) => transfers.push((o.clone(), i.clone())),
            (Some(leg), None) | (None, Some(leg)) => pending_legs.push(leg.clone()),
            (None, None) => {}
        }
    }
    let traps = l
        .traps
        .iter()
        .filter_map(|(kind, rows)| {
            let rows: Option<Vec<_>> = rows.iter().map(|s| refs.get(s).cloned()).collect();
            rows.map(|rows| Trap { kind: *kind, rows })
        })
        .collect();
    Truth {
        transfers,
        pending_legs,
        income: BTreeMap::from([("EUR".to_owned(), income)]),
        spending: BTreeMap::from([("EUR".to_owned(), spending)]),
        labels,
        traps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::banks::{catalog, ScaStyle};
    use chrono::NaiveDateTime;

    const SEED: u64 = 42;

    /// As the sandbox starts: the epoch 700 days before today.
    fn epoch() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 10).unwrap()
    }

    fn today() -> NaiveDate {
        epoch() + Days::new(700)
    }

    type Key = (String, String);

    /// Seeds and epochs the invariants must hold for (the sandbox's epoch is 700 days before the real today).
    fn scenarios() -> Vec<(u64, NaiveDate)> {
        let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        vec![
            (SEED, epoch()),
            (7, on(2023, 12, 31)),
            (1234, on(2025, 2, 28)),
            (99, on(2026, 1, 1)),
            (5, on(2024, 2, 29)),
        ]
    }

    /// Every visible row of the household by (account, transaction id).
    fn served(seed: u64, epoch: NaiveDate, today: NaiveDate) -> BTreeMap<Key, Transaction> {
        ACCOUNTS
            .iter()
            .flat_map(|(_, a)| {
                rows(seed, epoch, a, today).into_iter().map(|t| ((a.to_string(), t.id.clone().unwrap()), t))
            })
            .collect()
    }

    fn date(t: &Transaction) -> NaiveDate {
        t.execution_date.as_ref().unwrap().date()
    }

    fn text(t: &Transaction) -> &str {
        t.description.as_deref().unwrap()
    }

    fn code(t: &Transaction) -> (String, String, String) {
        let c = t.bank_transaction_code.as_ref().unwrap();
        (c.domain.clone().unwrap(), c.family.clone().unwrap(), c.sub_family.clone().unwrap())
    }

    fn scor(t: &Transaction) -> Option<String> {
        t.remittance_information
            .as_ref()?
            .structured
            .as_ref()?
            .creditor_reference_information
            .as_ref()?
            .reference
            .clone()
    }

    #[test]
    fn the_catalog_lists_the_household_at_two_banks_like_the_mock_bank() {
        let all = catalog(10);
        for (id, country, n) in [(BANK_A, "BE", 2), (BANK_B, "NL", 1)] {
            let c = all.iter().find(|c| c.id == id).expect("the household's banks are in the catalog");
            assert_eq!(c.country, country, "bank {id} is in {country}");
            assert!(c.transaction_ids, "bank {id} sends transaction ids");
            assert_eq!(c.sca, ScaStyle::Simple, "bank {id} connects with a plain redirect like the mock bank");
            assert_eq!(c.accounts.len(), n, "bank {id} holds {n} of her accounts");
            for a in &c.accounts {
                assert_eq!(a.owner, Some(HOLDER), "the same person holds every account");
                assert_eq!(a.currency, "EUR", "her accounts are in EUR");
                assert!(iban_is_valid(a.iban), "{} is a valid IBAN", a.iban);
                assert_eq!(
                    Decimal::new(a.opening_minor, 2),
                    opening_balance(a.id),
                    "the catalog's opening balance is the household's"
                );
            }
        }
        let ids: Vec<i64> = all.iter().map(|c| c.id).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "connector ids are unique");
    }

    #[test]
    fn ibans_creditor_ids_and_structured_communications_have_valid_check_digits() {
        assert_eq!(structured_communication(1_234_567_890), "+++123/4567/89002+++", "mod 97 as Belgian banks check it");
        assert_eq!(structured_communication(97), "+++000/0000/09797+++", "a remainder of 0 is written 97");
        assert!(structured_communication_is_valid("+++123/4567/89002+++"), "a right communication passes");
        assert!(!structured_communication_is_valid("+++123/4567/89003+++"), "a wrong check digit fails");
        for iban in [
            A_CHECKING_IBAN,
            A_SAVINGS_IBAN,
            B_CHECKING_IBAN,
            EMPLOYER_IBAN,
            LANDLORD_IBAN,
            TAX_IBAN,
            ENGIE_IBAN,
            FRIEND_IBAN,
            SISTER_IBAN,
            CLIENT_IBAN,
            BOL_IBAN,
            SPOTIFY_IBAN,
            BASICFIT_IBAN,
        ] {
            assert!(iban_is_valid(iban), "{iban}: every IBAN of the household has valid check digits");
        }
        assert!(!iban_is_valid("BE49131045678272"), "a wrong IBAN fails the check");
        assert_eq!(creditor_id("BE", "0403170701"), "BE11ZZZ0403170701", "creditor ids carry ISO 7064 check digits");
        assert!(creditor_id_is_valid("BE11ZZZ0403170701") && !creditor_id_is_valid("BE12ZZZ0403170701"));
    }

    #[test]
    fn banking_days_are_target2_days() {
        let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for (y, m, d) in [(2024, 3, 29), (2024, 4, 1), (2025, 4, 18), (2025, 4, 21), (2026, 4, 3), (2026, 4, 6)] {
            assert!(!is_banking_day(on(y, m, d)), "{y}-{m}-{d}: Good Friday and Easter Monday are closed");
        }
        for (y, m, d) in [(2025, 1, 1), (2025, 5, 1), (2025, 12, 25), (2025, 12, 26), (2025, 6, 7)] {
            assert!(!is_banking_day(on(y, m, d)), "{y}-{m}-{d}: holidays and weekends are closed");
        }
        assert!(is_banking_day(on(2025, 4, 22)) && is_banking_day(on(2025, 12, 31)), "other weekdays are open");
        assert_eq!(banking_days_between(on(2025, 4, 17), on(2025, 4, 22)), 1, "Thursday to Tuesday over Easter: 1");
        assert_eq!(add_banking_days(on(2025, 12, 24), 1), on(2025, 12, 29), "Christmas Eve + 1 banking day");
    }

    #[test]
    fn the_schedule_is_deterministic_and_depends_on_the_seed() {
        assert_eq!(served(SEED, epoch(), today()), served(SEED, epoch(), today()), "same seed, same rows");
        assert_eq!(truth(SEED, epoch(), today()), truth(SEED, epoch(), today()), "same seed, same truth");
        let other = rows(SEED + 1, epoch(), A_CHECKING, today());
        assert_ne!(rows(SEED, epoch(), A_CHECKING, today()), other, "another seed gives other card payments");
    }

    #[test]
    fn rows_appear_as_days_pass_and_never_change() {
        assert!(rows(SEED, epoch(), A_CHECKING, epoch() - Days::new(1)).is_empty(), "nothing before the epoch");
        for (_, a) in ACCOUNTS {
            let full = rows(SEED, epoch(), a, today() + Days::new(100));
            let mut prev = 0;
            for offset in [0u64, 1, 2, 5, 31, 365, 700, 701, 702, 730, 760] {
                let day = epoch() + Days::new(offset);
                let now = rows(SEED, epoch(), a, day);
                assert_eq!(
                    now.len() as u64,
                    visible_count(SEED, epoch(), a, day),
                    "{a}: visible_count counts the rows"
                );
                assert!(now.iter().all(|t| date(t) <= day && date(t) >= epoch()), "{a}: only rows up to today");
                assert!(now.len() >= prev, "{a}: rows never go away");
                assert_eq!(now[..], full[..now.len()], "{a}: a row keeps its index, id and content as days pass");
                assert!(full[now.len()..].iter().all(|t| date(t) > day), "{a}: every later row is dated later");
                let from = day - Days::new(90);
                let lo = first_index_on_or_after(SEED, epoch(), a, from) as usize;
                assert!(
                    now[lo.min(now.len())..].iter().all(|t| date(t) >= from),
                    "{a}: the 90-day window starts right"
                );
                assert!(now[..lo.min(now.len())].iter().all(|t| date(t) < from), "{a}: and leaves nothing out");
                prev = now.len();
            }
            assert!(full.len() > prev, "{a}: new rows appear after two years");
            for (i, t) in full.iter().enumerate() {
                assert_eq!(
                    t.gw_sequence.as_deref(),
                    Some(format!("{}-{i:09}", epoch().format("%Y%m%d")).as_str()),
                    "{a}: the gateway's contiguous numbering"
                );
                assert!(i == 0 || date(&full[i - 1]) <= date(t), "{a}: oldest first");
                assert_eq!(t.amount.0.scale(), 2, "{a}: exact cents");
            }
            let ids: std::collections::BTreeSet<_> = full.iter().map(|t| t.id.clone().unwrap()).collect();
            assert_eq!(ids.len(), full.len(), "{a}: transaction ids are unique");
        }
    }

    #[test]
    fn balances_equal_the_opening_balance_plus_the_rows() {
        for (seed, epoch) in scenarios() {
            balances_equal_the_opening_balance_plus_the_rows_in(seed, epoch);
        }
    }

    fn balances_equal_the_opening_balance_plus_the_rows_in(seed: u64, epoch: NaiveDate) {
        let today = epoch + Days::new(700);
        for (_, a) in ACCOUNTS {
            for offset in [0u64, 100, 400, 700, 731] {
                let day = epoch + Days::new(offset);
                let sum: Decimal = rows(seed, epoch, a, day).iter().map(|t| t.amount.0).sum();
                assert_eq!(
                    booked_balance(seed, epoch, a, day),
                    opening_balance(a) + sum,
                    "{a}: the booked balance on day {offset} is the opening balance plus the rows"
                );
            }
            let mut balance = opening_balance(a);
            for t in rows(seed, epoch, a, today) {
                balance += t.amount.0;
                assert!(
                    balance > Decimal::ZERO,
                    "{a}: a realistic household stays in credit ({balance} on {})",
                    date(&t)
                );
            }
        }
    }

    #[test]
    fn every_transfer_has_both_legs_with_opposite_amounts_within_three_banking_days() {
        for (seed, epoch) in scenarios() {
            every_transfer_has_both_legs_with_opposite_amounts_within_three_banking_days_in(seed, epoch);
        }
    }

    fn every_transfer_has_both_legs_with_opposite_amounts_within_three_banking_days_in(seed: u64, epoch: NaiveDate) {
        let today = epoch + Days::new(700);
        let rows = served(seed, epoch, today);
        let t = truth(seed, epoch, today);
        let iban_of = |a: &str| IBANS[account_index(a).unwrap()];
        let mut legs = std::collections::BTreeSet::new();
        let (mut to_savings, mut to_b, mut from_savings) = (0, 0, 0);
        for (out_key, in_key) in &t.transfers {
            let (o, i) = (&rows[out_key], &rows[in_key]);
            assert!(
                o.amount.0 < Decimal::ZERO && i.amount.0 > Decimal::ZERO,
                "the outgoing leg is negative, the other positive"
            );
            assert_eq!(-o.amount.0, i.amount.0, "both legs carry the same absolute amount");
            assert_ne!(out_key.0, in_key.0, "a transfer goes between two accounts");
            assert!(date(i) >= date(o), "money arrives after it leaves");
            assert!(banking_days_between(date(o), date(i)) <= 3, "the legs are 0–3 banking days apart");
            assert_eq!(
                o.counterpart_reference.as_deref(),
                Some(iban_of(&in_key.0)),
                "the outgoing leg names the IBAN it goes to"
            );
            if in_key.0 == B_CHECKING {
                assert_eq!(i.counterpart_reference, None, "bank B does not show where her transfers come from");
                assert_eq!(i.counterpart_name.as_deref(), Some(HOLDER_AT_B), "only her name");
                assert!(!text(i).contains(A_CHECKING_IBAN), "nor does its text");
                assert!(
                    (1..=2).contains(&banking_days_between(date(o), date(i))),
                    "bank B gets it 1–2 banking days later"
                );
                to_b += 1;
            } else {
                assert_eq!(
                    i.counterpart_reference.as_deref(),
                    Some(iban_of(&out_key.0)),
                    "the incoming leg at bank A names where from"
                );
                assert_eq!(date(o), date(i), "within bank A, the same day");
                if in_key.0 == A_SAVINGS {
                    to_savings += 1;
                } else {
                    from_savings += 1;
                }
            }
            assert!(legs.insert(out_key.clone()) && legs.insert(in_key.clone()), "a row is a leg of one transfer only");
            assert_eq!(
                (t.labels[out_key], t.labels[in_key]),
                ("transfer", "transfer"),
                "both legs are labelled transfer"
            );
        }
        assert!(
            t.pending_legs.is_empty() || t.pending_legs.iter().all(|k| !legs.contains(k)),
            "pending legs are not paired"
        );
        let labelled: std::collections::BTreeSet<_> =
            t.labels.iter().filter(|(_, l)| **l == "transfer").map(|(k, _)| k.clone()).collect();
        let mut all_legs = legs.clone();
        all_legs.extend(t.pending_legs.iter().cloned());
        assert_eq!(labelled, all_legs, "every row labelled transfer is a leg of a transfer in the truth");
        assert!(to_savings >= 22, "a standing order to savings every month ({to_savings})");
        assert!(to_b >= 14, "transfers to bank B about two months in three, plus the traps ({to_b})");
        assert!(from_savings >= 4, "now and then from savings back to checking ({from_savings})");
    }

    #[test]
    fn a_transfer_whose_second_leg_is_not_yet_visible_is_not_in_the_truth() {
        for (seed, epoch) in scenarios() {
            a_transfer_whose_second_leg_is_not_yet_visible_is_not_in_the_truth_in(seed, epoch);
        }
    }

    fn a_transfer_whose_second_leg_is_not_yet_visible_is_not_in_the_truth_in(seed: u64, epoch: NaiveDate) {
        let today = epoch + Days::new(700);
        let rows = served(seed, epoch, today);
        let t = truth(seed, epoch, today);
        let (o, i) = t
            .transfers
            .iter()
            .find(|(o, i)| date(&rows[i]) > date(&rows[o]) && date(&rows[o]) > epoch + Days::new(300))
            .expect("a transfer that reaches bank B later");
        let day = date(&rows[o]);
        let then = truth(seed, epoch, day);
        assert!(then.transfers.iter().all(|(a, _)| a != o), "not a transfer yet: its second leg is not there");
        assert!(then.pending_legs.contains(o), "its outgoing leg is a pending leg");
        assert!(then.labels.contains_key(o) && !then.labels.contains_key(i), "the incoming leg is not served yet");
        assert_eq!(then.labels[o], "transfer", "yet it is a transfer");
        let later = truth(seed, epoch, date(&rows[i]));
        assert!(later.transfers.contains(&(o.clone(), i.clone())), "once both legs are there, it is");
    }

    #[test]
    fn the_traps_exist() {
        for (seed, epoch) in scenarios() {
            the_traps_exist_in(seed, epoch);
        }
    }

    fn the_traps_exist_in(seed: u64, epoch: NaiveDate) {
        let today = epoch + Days::new(700);
        let rows = served(seed, epoch, today);
        let t = truth(seed, epoch, today);
        let own = [A_CHECKING_IBAN, A_SAVINGS_IBAN, B_CHECKING_IBAN];
        let paired = |o: &Key, i: &Key| t.transfers.contains(&(o.clone(), i.clone()));
        let count = |kind| t.traps.iter().filter(|x| x.kind == kind).count();
        assert!(count(TrapKind::SameDayThirdParty) >= 4, "same-day third-party payments, more than once");
        assert!(
            count(TrapKind::SameAmountTwice) >= 2,
            "two transfers of the same amount within three days, more than once"
        );
        assert!(count(TrapKind::Refund) >= 8, "refunds of earlier purchases");
        let mut card_refund = false;
        let mut via_b = false;
        for trap in &t.traps {
            let r: Vec<&Transaction> = trap.rows.iter().map(|k| &rows[k]).collect();
            match trap.kind {
                TrapKind::SameDayThirdParty => {
                    let (p, o, i) = (r[0], r[1], r[2]);
                    assert_eq!(t.labels[&trap.rows[0]], "payment", "the payment is no transfer");
                    let iban = p.counterpart_reference.as_deref().expect("to a known IBAN");
                    assert!(!own.contains(&iban), "a third party's IBAN");
                    let known = rows.values().filter(|x| x.counterpart_reference.as_deref() == Some(iban)).count();
                    assert!(known >= 2, "she pays that IBAN more than once: it is known");
                    assert_eq!(
                        (p.amount.0, date(p)),
                        (o.amount.0, date(o)),
                        "exactly the transfer's amount, on its day"
                    );
                    assert!(paired(&trap.rows[1], &trap.rows[2]), "the real transfer is in the truth");
                    assert_eq!(-p.amount.0, i.amount.0, "its amount matches the incoming leg too");
                    via_b |= trap.rows[2].0 == B_CHECKING;
                }
                TrapKind::SameAmountTwice => {
                    let (o1, i1, o2, i2) = (r[0], r[1], r[2], r[3]);
                    assert!(o1.amount.0 == o2.amount.0 && i1.amount.0 == i2.amount.0, "the same amount twice");
                    assert!((date(o2) - date(o1)).num_days() <= 3, "within three days");
                    assert!(
                        i1.counterpart_reference.is_none() && i2.counterpart_reference.is_none(),
                        "no IBAN at bank B"
                    );
                    assert_eq!(i1.counterpart_name, i2.counterpart_name, "the same name");
                    assert!(
                        (date(i2) - date(o1)).num_days() <= 3,
                        "either incoming leg is near the first outgoing leg"
                    );
                    assert!(date(i1) < date(o2), "but the first arrived before the second left: dates pair them");
                    assert!(
                        paired(&trap.rows[0], &trap.rows[1]) && paired(&trap.rows[2], &trap.rows[3]),
                        "in the truth"
                    );
                }
                TrapKind::Refund => {
                    let (p, back) = (r[0], r[1]);
                    assert_eq!(trap.rows[0].0, trap.rows[1].0, "refunded to the account that paid");
                    assert_eq!(-p.amount.0, back.amount.0, "exactly the purchase's amount");
                    assert!(date(back) > date(p), "after the purchase");
                    assert_eq!(t.labels[&trap.rows[1]], "refund", "a refund, not a transfer");
                    assert_eq!(back.counterpart_name, p.counterpart_name, "from the merchant that was paid");
                    card_refund |= code(p).1 == "CCRD";
                }
            }
        }
        assert!(card_refund, "a refund of a card payment");
        assert!(via_b, "a same-day third-party payment beside a transfer to bank B");
    }

    #[test]
    fn texts_look_like_the_banks_own() {
        for (seed, epoch) in scenarios() {
            texts_look_like_the_banks_own_in(seed, epoch);
        }
    }

    fn texts_look_like_the_banks_own_in(seed: u64, epoch: NaiveDate) {
        let today = epoch + Days::new(700);
        let rows = served(seed, epoch, today);
        let t = truth(seed, epoch, today);
        let mut seen = BTreeMap::new();
        for (k, r) in &rows {
            let label = t.labels[k];
            let s = text(r);
            let at_a = k.0 != B_CHECKING;
            *seen.entry((at_a, label)).or_insert(0) += 1;
            match code(r) {
                (_, f, sf) if f == "CCRD" && sf == "POSD" => {
                    if at_a {
                        let when = if let Some(rest) = s.strip_prefix("BANCONTACT AANKOOP ") {
                            assert!(rest.ends_with(&format!("KAART {CARD_A}")), "{s}: Bancontact names the card last");
                            &rest[rest.len() - 16 - 26..rest.len() - 26]
                        } else {
                            assert!(s.starts_with(&format!("BETALING MET DEBETKAART NUMMER {CARD_A} ")), "{s}");
                            &s[s.len() - 16..]
                        };
                        let when = NaiveDateTime::parse_from_str(when, "%d/%m/%Y %H:%M").expect("a purchase time");
                        assert_eq!(
                            when.date(),
                            r.value_date.as_ref().unwrap().date(),
                            "{s}: the value date is the day of purchase"
                        );
                        assert!(date(r) > when.date() && is_banking_day(date(r)), "{s}: booked the next banking day");
                    } else {
                        assert!(s.starts_with("BEA   NR:") && s.ends_with(",PAS123"), "{s}: ABN AMRO's BEA line");
                        let when = &s[18..32];
                        let when = NaiveDateTime::parse_from_str(when, "%d.%m.%y/%H.%M").expect("a purchase time");
                        assert_eq!(when.date(), date(r), "{s}: booked the day of purchase");
                    }
                    assert!(
                        r.counterpart_name.as_deref().is_some_and(|n| s.contains(n)),
                        "{s}: the merchant, as the terminal says"
                    );
                }
                (_, f, sf) if f == "CCRD" && sf == "CWDL" => {
                    assert_eq!(label, "cash");
                    assert!(
                        s.starts_with(if at_a { "GELDOPNEMING MET DEBETKAART NUMMER" } else { "GEA   NR:" }),
                        "{s}"
                    );
                }
                (_, f, _) if f == "RDDT" => {
                    if at_a {
                        let cid = s.split("IDENTIFICATIE SCHULDEISER : ").nth(1).unwrap().split(' ').next().unwrap();
                        assert!(creditor_id_is_valid(cid), "{s}: a valid creditor id");
                        assert!(
                            s.starts_with("EUROPESE DOMICILIERING SCHULDEISER : ")
                                && s.contains(" MANDAATREFERENTIE : "),
                            "{s}"
                        );
                    } else {
                        let cid = s.split("/CSID/").nth(1).unwrap().split('/').next().unwrap();
                        assert!(creditor_id_is_valid(cid), "{s}: a valid creditor id");
                        assert!(
                            s.starts_with("/TRTP/SEPA Incasso algemeen doorlopend/CSID/") && s.contains("/MARF/"),
                            "{s}"
                        );
                    }
                    assert_eq!(code(r), ("PMNT".into(), "RDDT".into(), "ESDD".into()), "a SEPA direct debit");
                }
                (_, f, sf) if f == "ICDT" || f == "RCDT" => {
                    assert_eq!(sf, "ESCT", "{s}: SEPA credit transfers");
                    assert_eq!(f == "RCDT", r.amount.0 > Decimal::ZERO, "{s}: received is money in");
                    if at_a {
                        assert!(s.contains("OVERSCHRIJVING") || s.contains("BETALINGSOPDRACHT"), "{s}");
                    } else {
                        assert!(s.starts_with("/TRTP/SEPA OVERBOEKING/") || s.starts_with("/TRTP/iDEAL/"), "{s}");
                    }
                }
                _ => {}
            }
            if label == "salary" {
                assert_eq!(r.counterpart_name.as_deref(), Some(EMPLOYER), "paid by her employer");
                let comm = scor(r).expect("with a structured communication");
                assert!(
                    structured_communication_is_valid(&comm) && s.contains(&comm),
                    "{s}: valid mod 97, in the text"
                );
            }
            if label == "rent" {
                assert_eq!(r.counterpart_reference.as_deref(), Some(LANDLORD_IBAN), "the rent goes to the landlord");
            }
        }
        for (at_a, label, n) in [
            (true, "salary", 26),
            (true, "rent", 23),
            (true, "groceries", 200),
            (true, "fuel", 20),
            (true, "pharmacy", 15),
            (true, "restaurant", 40),
            (true, "shopping", 40),
            (true, "cash", 15),
            (true, "utilities", 30),
            (true, "telecom", 46),
            (true, "insurance", 7),
            (true, "subscription", 22),
            (true, "tax_refund", 1),
            (true, "refund", 6),
            (true, "payment", 8),
            (true, "interest", 1),
            (false, "income", 23),
            (false, "groceries", 80),
            (false, "restaurant", 15),
            (false, "cash", 10),
            (false, "shopping", 20),
            (false, "subscription", 45),
            (false, "refund", 6),
        ] {
            let got = seen.get(&(at_a, label)).copied().unwrap_or(0);
            assert!(
                got >= n,
                "over two years, at least {n} rows of {label} at bank {} ({got})",
                if at_a { 'A' } else { 'B' }
            );
        }
        let all: String = rows.values().map(text).collect::<Vec<_>>().join("\n");
        for name in
            ["COLRUYT GENT", "BANCONTACT AANKOOP DELHAIZE", "ALBERT HEIJN 1234 AMSTERDAM", "NETFLIX.COM", "Spotify AB"]
        {
            assert!(all.contains(name), "{name} appears in her statements");
        }
        for name in
            ["ENGIE ELECTRABEL", "TELENET", "PROXIMUS", "FARYS", "AG INSURANCE", "AMAZON PAYMENTS EUROPE", "bol.com"]
        {
            assert!(all.contains(name), "{name} appears in her statements");
        }
    }

    #[test]
    fn the_truths_totals_are_the_sum_of_the_rows_that_are_not_transfers() {
        for (seed, epoch) in scenarios() {
            the_truths_totals_are_the_sum_of_the_rows_that_are_not_transfers_in(seed, epoch);
        }
    }

    fn the_truths_totals_are_the_sum_of_the_rows_that_are_not_transfers_in(seed: u64, epoch: NaiveDate) {
        let today = epoch + Days::new(700);
        for day in [epoch, epoch + Days::new(45), today, today + Days::new(30)] {
            let rows = served(seed, epoch, day);
            let t = truth(seed, epoch, day);
            assert_eq!(t.labels.len(), rows.len(), "every served row has a label");
            assert!(t.labels.keys().all(|k| rows.contains_key(k)), "and only served rows");
            assert!(t.labels.values().all(|l| LABELS.contains(l)), "labels come from LABELS");
            let plain = rows.iter().filter(|(k, _)| t.labels[*k] != "transfer").map(|(_, r)| r.amount.0);
            let income: Decimal = plain.clone().filter(|a| *a > Decimal::ZERO).sum();
            let spending: Decimal = -plain.filter(|a| *a < Decimal::ZERO).sum::<Decimal>();
            assert_eq!(
                t.income.get("EUR").copied().unwrap_or_default(),
                income,
                "income on {day}: money in, transfers excluded"
            );
            assert_eq!(
                t.spending.get("EUR").copied().unwrap_or_default(),
                spending,
                "spending on {day}: money out, transfers excluded"
            );
            let transfers: Decimal =
                rows.iter().filter(|(k, _)| t.labels[*k] == "transfer").map(|(_, r)| r.amount.0).sum();
            let pending: Decimal = t.pending_legs.iter().map(|k| rows[k].amount.0).sum();
            assert_eq!(transfers, pending, "paired transfers net to zero across her accounts");
            let balances: Decimal =
                ACCOUNTS.iter().map(|(_, a)| booked_balance(seed, epoch, a, day) - opening_balance(a)).sum();
            assert_eq!(balances, income - spending + pending, "her wealth moves by income minus spending");
        }
    }

    #[test]
    fn only_card_payments_of_the_last_two_days_are_settling() {
        let day = today();
        let pending: Vec<Transaction> = ACCOUNTS
            .iter()
            .flat_map(|(_, a)| rows(SEED, epoch(), a, day))
            .map(|t| settling(t, day))
            .filter(|t| t.description.as_deref().is_some_and(|d| d.starts_with(SETTLING_PREFIX)))
            .collect();
        assert!(
            pending.iter().all(|t| code(t).1 == "CCRD" && t.amount.0 < Decimal::ZERO && date(t) >= day - Days::new(1)),
            "only card payments and withdrawals of the last two days are settling"
        );
        let old = rows(SEED, epoch(), A_CHECKING, day).into_iter().find(|t| code(t).1 == "CCRD").unwrap();
        assert_eq!(settling(old.clone(), day), old, "older card payments are booked");
    }

    #[tokio::test]
    async fn the_sandbox_serves_the_household_over_http() {
        use crate::psu::{Browser, Decision, Outcome};
        use saldo_gateway::{
            AccessContinueRequest, AccessRequest, AccountDataRequest, AccountsAccessRequest, AccountsRequest,
            ClientConfig, CorrelationId, GatewayClient, ResultStatus, TransactionsNextRequest,
        };
        let sb = crate::start_local(crate::SandboxConfig::default()).await.unwrap();
        let client = GatewayClient::new(ClientConfig::new(url::Url::parse(sb.base_url()).unwrap())).unwrap();
        let cid = CorrelationId::new();
        let (seed, epoch, today) = {
            let st = sb.app().state();
            (st.seed, st.epoch, st.now().date_naive())
        };
        let mut served_ids = BTreeMap::new();
        for connector in [BANK_A, BANK_B] {
            let req = AccessRequest {
                connector_id: connector,
                user_context: None,
                bank_settings: None,
                tpp_context: None,
                accounts_access_request: AccountsAccessRequest {
                    psu_ip: Some("127.0.0.1".into()),
                    flow_id: Some(uuid::Uuid::new_v4().to_string()),
                    redirect_url: Some(format!("{}/demo/callback", sb.base_url())),
                    frequency_per_day: Some(4),
                    ..Default::default()
                },
            };
            let started = client.request_access(&req, &cid).await.unwrap().body;
            assert_eq!(started.result_status, ResultStatus::Redirect, "bank {connector}: a plain redirect");
            let url = started.data_string.clone().unwrap();
            let Outcome::Redirected(callback) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else {
                panic!("bank {connector} sends the person back");
            };
            let query = callback.split_once('?').map(|(_, q)| format!("?{q}")).unwrap();
            let next = AccessContinueRequest::new(started.flow_context.unwrap(), Some(query), started.user_context);
            let done = client.continue_access(&next, &cid).await.unwrap().body;
            assert_eq!(done.result_status, ResultStatus::Done, "bank {connector} connects");
            let user = done.user_context;
            let accounts = client.accounts(&AccountsRequest::new(connector, user.clone()), &cid).await.unwrap().body;
            let user = accounts.user_context.or(user);
            let want: Vec<&str> = ACCOUNTS.iter().filter(|(c, _)| *c == connector).map(|(_, a)| *a).collect();
            let got: Vec<&str> = accounts.accounts.iter().map(|a| a.id.as_str()).collect();
            assert_eq!(got, want, "bank {connector} offers her accounts");
            assert!(accounts.accounts.iter().all(|a| a.owner_name.as_deref() == Some(HOLDER)), "in her name");
            for a in want {
                let req = AccountDataRequest::new(connector, user.clone(), Some("127.0.0.1".into()));
                let bal = client.balances(a, &req, &cid).await.unwrap().body;
                assert_eq!(
                    bal.balances[0].balance_amount.amount.0,
                    booked_balance(seed, epoch, a, today),
                    "{a}: the balance is the household's"
                );
                let mut page = client.transactions(a, &req, &cid).await.unwrap().body;
                let mut all = page.transactions.clone();
                while !page.is_last_page {
                    let next = TransactionsNextRequest::new(
                        connector,
                        user.clone(),
                        page.pager_context.clone().unwrap(),
                        Some("127.0.0.1".into()),
                    );
                    page = client.transactions_next(a, &next, &cid).await.unwrap().body;
                    all.extend(page.transactions.clone());
                }
                all.reverse();
                let expected: Vec<Transaction> =
                    rows(seed, epoch, a, today).into_iter().map(|t| settling(t, today)).collect();
                assert_eq!(all, expected, "{a}: every row of the household is served, as the module says");
                served_ids.extend(all.into_iter().map(|t| ((a.to_owned(), t.id.clone().unwrap()), t)));
            }
        }
        let t = truth(seed, epoch, today);
        assert_eq!(t.labels.len(), served_ids.len(), "the truth covers exactly what is served");
        assert!(
            t.transfers.iter().all(|(o, i)| served_ids.contains_key(o) && served_ids.contains_key(i)),
            "both legs are served"
        );
    }
}

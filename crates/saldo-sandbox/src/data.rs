//! Deterministic bank data: transactions and balances are pure functions of
//! (seed, connector, account, index), so any page of a million-transaction
//! account is generated on demand without memory, and a restart of the
//! sandbox serves the same data.
//!
//! History model: an account's transactions are spread evenly from the
//! sandbox's `epoch` over two years and keep coming after that at the same
//! rate; only those dated up to the sandbox's "today" are visible, so new
//! transactions appear as days pass. Transaction 0 is the oldest.
//!
//! The household's banks ([`crate::household`], connectors 201 and 202) are
//! not generated here: their rows, counts and balances come from
//! `household::rows`, `household::visible_count` and `household::booked_balance`.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use saldo_gateway::{
    Amount, BankDateTime, BankTransactionCode, CreditorReferenceInformation, CreditorReferenceType,
    RemittanceInformation, StructuredRemittance, Transaction,
};

use crate::banks::{AccountSpec, Connector};

/// Days over which an account's `transactions` are spread.
pub const HISTORY_DAYS: u64 = 730;

/// Every this many transactions, one is an exact twin of its predecessor
/// (same day, amount, counterparty, text) — R16 says both must be kept.
pub const TWIN_EVERY: u64 = 50;

/// SplitMix64: a tiny, well-mixed deterministic hash.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn key(seed: u64, connector: i64, account: &str, i: u64) -> u64 {
    let mut h = mix(seed ^ (connector as u64).rotate_left(17));
    for b in account.bytes() {
        h = mix(h ^ u64::from(b));
    }
    mix(h ^ i)
}

/// Decimal places of a currency (ISO 4217 exponent).
pub fn exponent(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" => 0,
        "KWD" | "BHD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

/// An amount of minor units in a currency, as an exact decimal with that currency's scale.
pub fn minor_to_decimal(minor: i64, currency: &str) -> Decimal {
    Decimal::new(minor, exponent(currency))
}

/// Index of the transaction whose content transaction `i` carries (itself, or
/// its predecessor for twins).
fn content_index(i: u64) -> u64 {
    if i % TWIN_EVERY == TWIN_EVERY - 1 && i > 0 {
        i - 1
    } else {
        i
    }
}

/// The booking date of transaction `i`.
pub fn date_of(epoch: NaiveDate, spec: &AccountSpec, i: u64) -> NaiveDate {
    let n = spec.transactions.max(1);
    let k = content_index(i);
    let day = (u128::from(k) * u128::from(HISTORY_DAYS) / u128::from(n)) as u64;
    epoch.checked_add_days(Days::new(day)).unwrap_or(epoch)
}

/// How many transactions are dated on or before `today` (indices `0..count`).
pub fn visible_count(epoch: NaiveDate, spec: &AccountSpec, today: NaiveDate) -> u64 {
    if today < epoch || spec.transactions == 0 {
        return 0;
    }
    let d = (today - epoch).num_days() as u128;
    let n = u128::from(spec.transactions);
    // i is visible iff floor(i*H/n) <= d  iff  i < (d+1)*n/H.
    let count = ((d + 1) * n).div_ceil(u128::from(HISTORY_DAYS)) as u64;
    // A twin carries its predecessor's (earlier) date, so it may already be visible.
    if content_index(count) != count && date_of(epoch, spec, count) <= today {
        count + 1
    } else {
        count
    }
}

/// The first index dated on or after `from`.
pub fn first_index_on_or_after(epoch: NaiveDate, spec: &AccountSpec, from: NaiveDate) -> u64 {
    match from.pred_opt() {
        Some(prev) if from > epoch => visible_count(epoch, spec, prev),
        _ => 0,
    }
}

const COUNTERPARTIES: &[(&str, &str)] = &[
    ("Victoria", "ES51481516230000001553"),
    ("Thomas Mustermann", "DE30481516230000000909"),
    ("Thibaut", "BE89549452327885"),
    ("Maristela", "PT02481516230000001569"),
    ("Colruyt Laagste Prijzen", "BE12310123456789"),
    ("Albert Heijn 1234", "NL02ABNA0123456789"),
    ("Café Zürich — 東京 🍣", "CH9300762011623852957"),
    ("Ελληνικά Τρόφιμα Α.Ε.", "GR1601101250000000012300695"),
    ("Société Générale \"Crédit\"", "FR7630003000000000000000000"),
    ("O'Brien & Sons; Ltd", "IE29AIBK93115212345678"),
];

/// Descriptions, including text that breaks naive renderers, CSV and SQL.
pub const HOSTILE_TEXTS: &[&str] = &[
    "<script>alert('saldo')</script>",
    "<img src=x onerror=alert(1)>",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+31 20 555 0100",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "Robert'); DROP TABLE transactions;--",
    "line one\nline two\r\nline three",
    "semi;colon, comma \"quote\" back\\slash",
    "\u{202E}gnp.exe",
    "Zahlung für Müller – 10 % Rabatt · ½ · €",
];

const MONEY_OUT: &[&str] = &[
    "Groceries",
    "Rent",
    "Electricity bill",
    "Mobile phone",
    "Restaurant",
    "Transfer to savings",
    "Insurance premium",
    "Train ticket",
];

const MONEY_IN: &[&str] = &["Salary", "Refund", "Fourth Day", "Transfer from savings", "Invoice 2024-117 paid"];

/// Card payments of the last two days are still settling at banks that
/// give transaction ids: their text says so until they are booked, and the
/// bank then amends them under the same id (clients must replace, not add).
pub const SETTLING_PREFIX: &str = "PENDING ";

/// A transaction as the bank shows it on `today` (see [`SETTLING_PREFIX`]).
pub fn settling(mut t: Transaction, connector: &Connector, today: NaiveDate) -> Transaction {
    let recent = t.execution_date.as_ref().is_some_and(|d| d.date() >= today - chrono::Duration::days(1));
    if connector.transaction_ids && recent && t.amount.0.is_sign_negative() {
        t.description = t.description.map(|d| format!("{SETTLING_PREFIX}{d}"));
    }
    t
}

/// With [`crate::SandboxConfig::dropped_rows`], the row of this index (mod 97)
/// never reaches the client: a hole only `gwSequence` shows.
pub const DROPPED_ROW: u64 = 60;

/// Transaction `i` of an account, as the gateway would send it (before
/// [`settling`]).
pub fn transaction(seed: u64, epoch: NaiveDate, connector: &Connector, spec: &AccountSpec, i: u64) -> Transaction {
    let k = content_index(i);
    let h = key(seed, connector.id, spec.id, k);
    let date = date_of(epoch, spec, i);
    let (name, cp_iban) = COUNTERPARTIES[(h % COUNTERPARTIES.len() as u64) as usize];
    let minor = amount_minor(h);
    let incoming = minor > 0;
    let hostile = (h >> 40).is_multiple_of(9);
    let text = if hostile {
        HOSTILE_TEXTS[((h >> 44) % HOSTILE_TEXTS.len() as u64) as usize]
    } else {
        let texts = if incoming { MONEY_IN } else { MONEY_OUT };
        texts[((h >> 44) % texts.len() as u64) as usize]
    };
    let structured = (h >> 50).is_multiple_of(7);
    let value_date = if (h >> 52).is_multiple_of(4) { date.succ_opt().unwrap_or(date) } else { date };
    Transaction {
        id: connector.transaction_ids.then(|| format!("{}-{:09}", short_id(spec.id), i)),
        gw_account_id: None,
        // The gateway's own numbering of an account's rows: eight digits, a
        // separator, a counter (the .NET client reads it as a number without
        // the separator). Contiguous per account, so a dropped row shows.
        gw_sequence: Some(format!("{}-{i:09}", epoch.format("%Y%m%d"))),
        possible_hole: None,
        amount: Amount(minor_to_decimal(minor, spec.currency)),
        counterpart_reference: Some(cp_iban.to_owned()),
        counterpart_name: Some(name.to_owned()),
        counterpart_bic: None,
        currency: Some(spec.currency.to_owned()),
        description: Some(text.to_owned()),
        execution_date: Some(BankDateTime::from_date(date)),
        value_date: Some(BankDateTime::from_date(value_date)),
        remittance_information: Some(RemittanceInformation {
            structured: structured.then(|| StructuredRemittance {
                creditor_reference_information: Some(CreditorReferenceInformation {
                    kind: Some(CreditorReferenceType { code: Some("SCOR".into()), issuer: Some("BBA".into()) }),
                    reference: Some(format!(
                        "+++{:03}/{:04}/{:05}+++",
                        h % 1000,
                        (h >> 10) % 10000,
                        (h >> 24) % 100_000
                    )),
                }),
            }),
            unstructured: Some(text.to_owned()),
        }),
        bank_transaction_code: ((h >> 56).is_multiple_of(3)).then(|| BankTransactionCode {
            domain: Some("PMNT".into()),
            family: Some(if incoming { "RCDT" } else { "ICDT" }.into()),
            sub_family: Some(if incoming { "ESCT" } else { "DMCT" }.into()),
        }),
        mandate: None,
        end_to_end_id: None,
    }
}

/// Signed amount in minor units for a transaction hash: realistic magnitudes in every currency.
fn amount_minor(h: u64) -> i64 {
    let incoming = (h >> 8).is_multiple_of(5);
    // Minor units: up to 1,500.00 EUR, 150,000 JPY, 150.000 KWD.
    let magnitude = ((h >> 16) % 150_000 + 1) as i64;
    if incoming {
        // Money in is rarer but larger, with a slight positive drift overall.
        magnitude * 43 / 10
    } else {
        -magnitude
    }
}

fn short_id(id: &str) -> String {
    id.chars().filter(char::is_ascii_alphanumeric).take(8).collect()
}

/// The exact booked balance after the first `count` transactions.
pub fn booked_balance(seed: u64, connector: &Connector, spec: &AccountSpec, count: u64) -> Decimal {
    let mut minor = spec.opening_minor;
    for i in 0..count {
        minor += amount_minor(key(seed, connector.id, spec.id, content_index(i)));
    }
    minor_to_decimal(minor, spec.currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::banks::catalog;

    fn epoch() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
    }

    #[test]
    fn data_is_deterministic_and_dates_never_decrease() {
        let all = catalog(1000);
        let c = all.iter().find(|c| c.id == -1).unwrap();
        let a = &c.accounts[0];
        let t1 = transaction(7, epoch(), c, a, 123);
        let t2 = transaction(7, epoch(), c, a, 123);
        assert_eq!(t1, t2, "same seed and index give the same transaction");
        assert_ne!(transaction(8, epoch(), c, a, 123).amount, t1.amount, "another seed gives other data");
        let mut prev = epoch();
        for i in 0..a.transactions {
            let d = date_of(epoch(), a, i);
            assert!(d >= prev, "dates are ordered by index");
            prev = d;
        }
    }

    #[test]
    fn visible_count_matches_dates() {
        let all = catalog(1000);
        let c = all.iter().find(|c| c.id == -1).unwrap();
        let a = &c.accounts[0];
        for offset in [0u64, 1, 17, 100, 729, 800] {
            let today = epoch() + Days::new(offset);
            let n = visible_count(epoch(), a, today);
            if n > 0 {
                assert!(date_of(epoch(), a, n - 1) <= today, "last visible is not in the future");
            }
            assert!(date_of(epoch(), a, n) > today, "first invisible is in the future (offset {offset})");
        }
    }

    #[test]
    fn twins_are_identical_but_for_the_gateways_numbering() {
        let all = catalog(1000);
        let c = all.iter().find(|c| c.id == 101).unwrap(); // no ids at this bank
        let a = &c.accounts[0];
        let t = transaction(1, epoch(), c, a, TWIN_EVERY - 2);
        let twin = transaction(1, epoch(), c, a, TWIN_EVERY - 1);
        assert_ne!(t.gw_sequence, twin.gw_sequence, "the gateway numbers every row it stores");
        let bank_sent = |t: Transaction| Transaction { gw_sequence: None, ..t };
        assert_eq!(bank_sent(t.clone()), bank_sent(twin), "R16: genuine identical twins exist in the data");
        assert!(t.id.is_none(), "this bank sends no transaction ids");
    }

    #[test]
    fn currency_scales_are_exact() {
        let all = catalog(1000);
        let c = all.iter().find(|c| c.id == -1).unwrap();
        let kwd = c.accounts.iter().find(|a| a.currency == "KWD").unwrap();
        let t = transaction(1, epoch(), c, kwd, 3);
        assert_eq!(t.amount.0.scale(), 3, "KWD has 3 decimals");
        let nl = all.iter().find(|c| c.id == 101).unwrap();
        let jpy = nl.accounts.iter().find(|a| a.currency == "JPY").unwrap();
        assert_eq!(transaction(1, epoch(), nl, jpy, 3).amount.0.scale(), 0, "JPY has none");
    }
}

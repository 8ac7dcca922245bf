//! Transfers between the person's own accounts: money that leaves one of
//! their accounts and arrives in another is neither spending nor income.
//!
//! The rules, in order (false negatives over false positives):
//! 1. A row whose counterparty account number (IBAN) is known and is **not**
//!    one of the person's accounts is never a transfer. Nor is a card
//!    payment, a cash withdrawal or a direct debit (by bank transaction code).
//! 2. A row whose counterparty IBAN **is** one of the person's accounts is a
//!    transfer. Its other leg is the one row on that account (when Saldo
//!    syncs it) with the opposite sign, the same currency and absolute
//!    amount, booked within ±3 banking days — and whose own counterparty
//!    IBAN, if any, is this row's account. No such row: a transfer on its
//!    own (to an account Saldo does not sync, or whose leg has not arrived
//!    yet). More than one: a transfer on its own, and the candidates go to
//!    the review list.
//! 3. Otherwise an outflow and an inflow on two different own accounts with
//!    the same currency and absolute amount within ±3 banking days are a
//!    pair when each is the other's only candidate. Several candidates on
//!    either side: nothing is decided, the group goes to the review list.
//!
//! The function is pure and idempotent: given the rows not yet paired, it
//! says which pairs to record; rows already recorded are not passed again.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;

/// How far apart two legs of a transfer may be booked, in banking days.
pub const MAX_BANKING_DAYS: i64 = 3;

/// One row that may be a leg of a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leg {
    /// The caller's handle for the row.
    pub row: i64,
    /// Its account.
    pub account: i64,
    /// Booking date.
    pub date: NaiveDate,
    /// Signed amount (negative: money out).
    pub amount: Decimal,
    /// Currency.
    pub currency: String,
    /// The counterparty's account number as the bank sent it, if any.
    pub counterparty_iban: Option<String>,
    /// Bank transaction code (`PMNT-CCRD-POSD`), if any.
    pub bank_code: Option<String>,
}

/// The person's own accounts by IBAN: synced ones with their account id,
/// "my other accounts" (not synced) without.
#[derive(Clone, Debug, Default)]
pub struct Own {
    by_iban: HashMap<String, Option<i64>>,
    iban_of: HashMap<i64, String>,
}

impl Own {
    /// From (IBAN, account id if synced).
    pub fn new<S: AsRef<str>>(accounts: impl IntoIterator<Item = (S, Option<i64>)>) -> Self {
        let mut own = Self::default();
        for (iban, account) in accounts {
            let iban = compact_iban(iban.as_ref());
            if iban.is_empty() {
                continue;
            }
            if let Some(a) = account {
                own.iban_of.insert(a, iban.clone());
            }
            own.by_iban.entry(iban).and_modify(|e| *e = e.or(account)).or_insert(account);
        }
        own
    }

    /// Whether an IBAN is one of the person's, and which synced account it is.
    fn lookup(&self, iban: &str) -> Option<Option<i64>> {
        // (Compacted on the stack: this is asked of every row a detection reads.)
        let mut buf = [0u8; 64];
        let mut n = 0;
        for b in iban.bytes().filter(u8::is_ascii_alphanumeric) {
            match buf.get_mut(n) {
                Some(slot) => *slot = b.to_ascii_uppercase(),
                None => return self.by_iban.get(&compact_iban(iban)).copied(),
            }
            n += 1;
        }
        let compact = std::str::from_utf8(buf.get(..n)?).ok()?;
        self.by_iban.get(compact).copied()
    }

    /// Whether an account number is empty once spaces and punctuation go.
    fn blank(iban: &str) -> bool {
        !iban.bytes().any(|b| b.is_ascii_alphanumeric())
    }
}

/// An account number without spaces, upper case.
pub fn compact_iban(iban: &str) -> String {
    iban.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// How a transfer was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// The counterparty IBAN is one of the person's accounts.
    Iban,
    /// An outflow and an inflow matched by amount and date.
    AmountDate,
}

impl How {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Iban => "iban",
            Self::AmountDate => "amount_date",
        }
    }
}

/// A transfer found: its outgoing and incoming legs (one may be missing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The leg that took money out, if among the rows.
    pub out_row: Option<i64>,
    /// The leg that brought it in, if among the rows.
    pub in_row: Option<i64>,
    /// How it was recognised.
    pub how: How,
}

/// What [`detect`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detection {
    /// Transfers to record.
    pub transfers: Vec<Found>,
    /// Groups of rows that may be transfers, for the person to decide.
    pub review: Vec<Vec<i64>>,
}

/// Banking days (Monday to Friday) from `a` to `b`, whichever is first.
pub fn banking_days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let days = (hi - lo).num_days();
    let weeks = days / 7;
    let mut n = weeks * 5;
    let mut d = lo + chrono::Duration::days(weeks * 7);
    while d < hi {
        d = d.succ_opt().unwrap_or(hi);
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            n += 1;
        }
    }
    n
}

fn never_a_transfer(leg: &Leg, own: &Own) -> bool {
    !could_be_a_leg(leg.counterparty_iban.as_deref(), leg.bank_code.as_deref(), leg.amount.is_zero(), own)
}

/// Whether a row may be a leg of a transfer at all (else [`detect`] leaves
/// it out): it names none of the person's accounts but another's, it is a
/// card payment, a cash withdrawal or a direct debit, or it moves nothing.
/// Callers reading many rows ask this before building their [`Leg`].
pub fn could_be_a_leg(counterparty_iban: Option<&str>, bank_code: Option<&str>, zero: bool, own: &Own) -> bool {
    let foreign_iban = counterparty_iban.is_some_and(|i| !Own::blank(i) && own.lookup(i).is_none());
    let code = bank_code.unwrap_or_default().to_ascii_uppercase();
    let card_cash_or_debit = ["-CCRD-", "-RDDT-", "-CWDL", "-ESDD"].iter().any(|c| code.contains(c))
        || code.ends_with("-CCRD")
        || code.ends_with("-RDDT");
    !(foreign_iban || card_cash_or_debit || zero)
}

/// Whether `b` can be the other leg of `a`.
fn could_pair(a: &Leg, b: &Leg, own: &Own) -> bool {
    if a.account == b.account
        || a.currency != b.currency
        || a.amount.is_sign_negative() == b.amount.is_sign_negative()
        || a.amount.abs() != b.amount.abs()
        || banking_days_between(a.date, b.date) > MAX_BANKING_DAYS
    {
        return false;
    }
    // A leg that names an account names the other leg's account.
    let names = |x: &Leg, y: &Leg| match x.counterparty_iban.as_deref().filter(|i| !compact_iban(i).is_empty()) {
        None => true,
        Some(i) => match own.lookup(i) {
            Some(Some(acc)) => acc == y.account,
            Some(None) | None => false,
        },
    };
    names(a, b) && names(b, a)
}

/// Ambiguous groups larger than this go to the review list unresolved.
const MAX_GROUP: usize = 8;

/// Finds the transfers among rows not yet paired (see the module docs).
pub fn detect(legs: &[Leg], own: &Own) -> Detection {
    let live: Vec<&Leg> = legs.iter().filter(|l| !never_a_transfer(l, own)).collect();
    // Candidates per leg, by index into `live`; legs bucketed by
    // (currency, absolute amount) so the comparison stays near-linear.
    let mut buckets: HashMap<(&str, Decimal), Vec<usize>> = HashMap::new();
    for (i, l) in live.iter().enumerate() {
        buckets.entry((l.currency.as_str(), l.amount.abs().normalize())).or_default().push(i);
    }
    // A leg's other leg is in another account: a bucket of one account's
    // rows (a thousand coffees of the same price) pairs nothing.
    let mixed: std::collections::HashSet<(&str, Decimal)> = buckets
        .iter()
        .filter(|(_, b)| b.iter().any(|&j| live[j].account != live[b[0]].account))
        .map(|(k, _)| *k)
        .collect();
    let cands: Vec<Vec<usize>> = (0..live.len())
        .map(|i| {
            let l = live[i];
            let key = (l.currency.as_str(), l.amount.abs().normalize());
            if !mixed.contains(&key) {
                return Vec::new();
            }
            buckets
                .get(&key)
                .map(|b| b.iter().copied().filter(|&j| j != i && could_pair(l, live[j], own)).collect())
                .unwrap_or_default()
        })
        .collect();
    let certain = |i: usize| live[i].counterparty_iban.as_deref().and_then(|x| own.lookup(x)).is_some();
    let mut taken = BTreeSet::new();
    let mut out = Detection::default();
    let pair = |a: usize, b: usize, how: How| {
        let (o, i) = if live[a].amount.is_sign_negative() { (a, b) } else { (b, a) };
        Found { out_row: Some(live[o].row), in_row: Some(live[i].row), how }
    };
    let alone = |a: usize| {
        let l = live[a];
        let (o, i) = if l.amount.is_sign_negative() { (Some(l.row), None) } else { (None, Some(l.row)) };
        Found { out_row: o, in_row: i, how: How::Iban }
    };
    // Rules 2 and 3: a leg and its only candidate, which has only it.
    let mut ambiguous = BTreeSet::new();
    for i in (0..live.len()).filter(|&i| certain(i)).chain((0..live.len()).filter(|&i| !certain(i))) {
        if taken.contains(&i) {
            continue;
        }
        let free: Vec<usize> = cands[i].iter().copied().filter(|j| !taken.contains(j)).collect();
        match free.as_slice() {
            [] if certain(i) => {
                taken.insert(i);
                out.transfers.push(alone(i));
            }
            [] => {}
            [j] if cands[*j].iter().filter(|k| !taken.contains(*k)).count() == 1 => {
                taken.insert(i);
                taken.insert(*j);
                out.transfers.push(pair(i, *j, if certain(i) || certain(*j) { How::Iban } else { How::AmountDate }));
            }
            _ => {
                ambiguous.insert(i);
            }
        }
    }
    // Ambiguous groups: the candidates of each other, still free. A group
    // whose legs can all be paired in exactly one way where no money
    // arrives before it left is paired that way; the rest is for the person.
    let mut review: BTreeSet<Vec<i64>> = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for start in ambiguous {
        if taken.contains(&start) || seen.contains(&start) {
            continue;
        }
        let mut group = vec![start];
        seen.insert(start);
        let mut k = 0;
        while k < group.len() {
            for &j in &cands[group[k]] {
                if !taken.contains(&j) && seen.insert(j) {
                    group.push(j);
                }
            }
            k += 1;
        }
        match unique_matching(&group, &cands, &live) {
            Some(pairs) => {
                for (a, b) in pairs {
                    taken.insert(a);
                    taken.insert(b);
                    out.transfers.push(pair(a, b, if certain(a) || certain(b) { How::Iban } else { How::AmountDate }));
                }
            }
            None => {
                for &i in group.iter().filter(|&&i| certain(i)) {
                    taken.insert(i);
                    out.transfers.push(alone(i));
                }
                let mut rows: Vec<i64> = group.iter().map(|&i| live[i].row).collect();
                rows.sort_unstable();
                if rows.len() > 1 {
                    review.insert(rows);
                }
            }
        }
    }
    out.review = review.into_iter().collect();
    out
}

/// The one way to pair every leg of a small group (outgoing with incoming,
/// candidates only, money never arriving before it left), if exactly one.
fn unique_matching(group: &[usize], cands: &[Vec<usize>], live: &[&Leg]) -> Option<Vec<(usize, usize)>> {
    let outs: Vec<usize> = group.iter().copied().filter(|&i| live[i].amount.is_sign_negative()).collect();
    let ins = group.len() - outs.len();
    if group.len() > MAX_GROUP || outs.len() != ins {
        return None;
    }
    fn search(
        k: usize,
        outs: &[usize],
        cands: &[Vec<usize>],
        live: &[&Leg],
        used: &mut Vec<usize>,
        current: &mut Vec<(usize, usize)>,
        found: &mut Vec<Vec<(usize, usize)>>,
    ) {
        if found.len() > 1 {
            return;
        }
        let Some(&o) = outs.get(k) else {
            found.push(current.clone());
            return;
        };
        for &i in &cands[o] {
            if used.contains(&i) || live[i].date < live[o].date {
                continue;
            }
            used.push(i);
            current.push((o, i));
            search(k + 1, outs, cands, live, used, current, found);
            current.pop();
            used.pop();
        }
    }
    let mut found = Vec::new();
    search(0, &outs, cands, live, &mut Vec::new(), &mut Vec::new(), &mut found);
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CHECKING: &str = "BE68539007547034";
    const SAVINGS: &str = "BE71096123456769";
    const OTHER_BANK: &str = "NL91ABNA0417164300";
    const NOT_SYNCED: &str = "BE62510007547061";
    const SHOP: &str = "BE12310123456789";

    fn own() -> Own {
        Own::new([(CHECKING, Some(1)), (SAVINGS, Some(2)), (OTHER_BANK, Some(3)), (NOT_SYNCED, None)])
    }

    fn leg(row: i64, account: i64, date: &str, amount: &str, iban: Option<&str>) -> Leg {
        Leg {
            row,
            account,
            date: date.parse().unwrap(),
            amount: amount.parse().unwrap(),
            currency: "EUR".into(),
            counterparty_iban: iban.map(str::to_owned),
            bank_code: None,
        }
    }

    fn pair(o: i64, i: i64, how: How) -> Found {
        Found { out_row: Some(o), in_row: Some(i), how }
    }

    #[test]
    fn banking_days_skip_weekends() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(banking_days_between(d("2026-11-27"), d("2026-11-30")), 1, "Friday to Monday");
        assert_eq!(banking_days_between(d("2026-11-30"), d("2026-11-27")), 1, "either order");
        assert_eq!(banking_days_between(d("2026-11-23"), d("2026-12-07")), 10, "two weeks");
        assert_eq!(banking_days_between(d("2026-11-28"), d("2026-11-29")), 0, "a weekend");
    }

    #[test]
    fn an_own_iban_makes_a_transfer_and_finds_its_other_leg() {
        let legs = [
            leg(10, 1, "2026-11-02", "-500.00", Some("BE71 0961 2345 6769")),
            leg(20, 2, "2026-11-02", "500", Some(CHECKING)),
            leg(30, 1, "2026-11-03", "-75.00", Some(NOT_SYNCED)),
        ];
        let found = detect(&legs, &own());
        assert_eq!(
            found.transfers,
            vec![pair(10, 20, How::Iban), Found { out_row: Some(30), in_row: None, how: How::Iban }],
            "both legs paired (IBAN spacing and scale ignored); one to an account Saldo does not sync stands alone"
        );
        assert!(found.review.is_empty());
        assert_eq!(detect(&legs[..1], &own()).transfers.len(), 1, "the first leg alone is already a transfer");
    }

    #[test]
    fn amount_and_date_pair_only_when_unique_both_ways() {
        let legs = [
            // Checking → other bank, arriving two banking days later with no IBAN on either leg.
            leg(1, 1, "2026-11-06", "-250.00", None),
            leg(2, 3, "2026-11-10", "250.00", None),
            // Too far apart (4 banking days).
            leg(3, 1, "2026-11-02", "-42.00", None),
            leg(4, 2, "2026-11-06", "42.00", None),
            // Ambiguous: one outflow, two inflows of the same amount.
            leg(5, 1, "2026-11-16", "-100.00", None),
            leg(6, 2, "2026-11-16", "100.00", None),
            leg(7, 3, "2026-11-17", "100.00", None),
        ];
        let found = detect(&legs, &own());
        assert_eq!(found.transfers, vec![pair(1, 2, How::AmountDate)], "only the unique pair");
        assert_eq!(found.review, vec![vec![5, 6, 7]], "the ambiguous group is for the person to decide");
    }

    #[test]
    fn two_transfers_of_one_amount_pair_the_only_way_money_never_arrives_before_it_left() {
        // Monday and Wednesday out, Tuesday and Thursday in: each leg has two
        // candidates, but only one pairing keeps every arrival after its departure.
        let legs = [
            leg(1, 1, "2026-11-02", "-150.00", Some(OTHER_BANK)),
            leg(2, 3, "2026-11-03", "150.00", None),
            leg(3, 1, "2026-11-04", "-150.00", Some(OTHER_BANK)),
            leg(4, 3, "2026-11-05", "150.00", None),
        ];
        let found = detect(&legs, &own());
        assert_eq!(found.transfers, vec![pair(1, 2, How::Iban), pair(3, 4, How::Iban)]);
        assert!(found.review.is_empty());
        // Both on one day: two ways to pair them; the IBAN still makes both transfers, unpaired, for review.
        let same_day = [
            leg(1, 1, "2026-11-02", "-150.00", Some(OTHER_BANK)),
            leg(2, 3, "2026-11-02", "150.00", None),
            leg(3, 1, "2026-11-02", "-150.00", Some(OTHER_BANK)),
            leg(4, 3, "2026-11-02", "150.00", None),
        ];
        let found = detect(&same_day, &own());
        assert_eq!(found.transfers.len(), 2, "the outgoing legs name an own account: {found:?}");
        assert!(found.transfers.iter().all(|t| t.in_row.is_none()), "no pairing guessed");
        assert_eq!(found.review, vec![vec![1, 2, 3, 4]]);
    }

    #[test]
    fn a_foreign_iban_a_card_payment_or_the_same_account_is_never_a_transfer() {
        let mut card = leg(3, 1, "2026-11-02", "-60.00", None);
        card.bank_code = Some("PMNT-CCRD-POSD".into());
        let legs = [
            leg(1, 1, "2026-11-02", "-60.00", Some(SHOP)),
            leg(2, 2, "2026-11-02", "60.00", None),
            card,
            leg(4, 1, "2026-11-03", "60.00", None),
        ];
        let found = detect(&legs, &own());
        assert!(found.transfers.is_empty(), "a shop's IBAN, a card payment, one account: {found:?}");
        assert!(found.review.is_empty(), "{found:?}");
    }

    #[test]
    fn a_leg_that_names_another_account_is_not_this_ones_pair() {
        let legs = [leg(1, 1, "2026-11-02", "-80.00", Some(SAVINGS)), leg(2, 3, "2026-11-02", "80.00", None)];
        let found = detect(&legs, &own());
        assert_eq!(
            found.transfers,
            vec![Found { out_row: Some(1), in_row: None, how: How::Iban }],
            "the money went to savings, not to the other bank"
        );
    }

    #[test]
    fn detecting_again_over_what_is_left_finds_nothing_new() {
        let legs = [leg(1, 1, "2026-11-06", "-250.00", None), leg(2, 3, "2026-11-09", "250.00", None)];
        let first = detect(&legs, &own());
        assert_eq!(first.transfers.len(), 1);
        let left: Vec<Leg> = legs
            .iter()
            .filter(|l| !first.transfers.iter().any(|t| t.out_row == Some(l.row) || t.in_row == Some(l.row)))
            .cloned()
            .collect();
        assert_eq!(detect(&left, &own()), Detection::default(), "idempotent");
    }
}

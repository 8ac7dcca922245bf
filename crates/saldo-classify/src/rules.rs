//! Categories and the ordered rules that give a transaction its category,
//! with the reason shown to the person.
//!
//! A rule is a set of conditions over a transaction's stored fields; all
//! given conditions must hold. Rules are tried in order, the first that
//! matches decides. Text conditions compare folded text (case, accents and
//! punctuation ignored, see [`fold`]); `counterparty` is the clean name
//! (whole words), `text` looks in the bank's description, the remittance and
//! the raw counterparty text. Amount conditions are on the absolute amount;
//! the direction says money in or out.
//!
//! The same plain file (JSON) holds a category tree and its rules: Saldo's
//! defaults ([`defaults`]) and what a person exports and imports.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a category is for: reports count income and expenses; transfers
/// and ignored rows are left out of both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Money earned.
    Income,
    /// Money spent.
    Expense,
    /// Money moved between the person's own accounts.
    Transfer,
    /// Left out of every figure (e.g. a card's own settlement).
    Ignore,
}

impl Kind {
    /// The stored and exported spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Income => "income",
            Self::Expense => "expense",
            Self::Transfer => "transfer",
            Self::Ignore => "ignore",
        }
    }

    /// The spelling read back.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "income" => Self::Income,
            "expense" => Self::Expense,
            "transfer" => Self::Transfer,
            "ignore" => Self::Ignore,
            _ => return None,
        })
    }
}

/// Money in or out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Credits (amount > 0).
    In,
    /// Debits (amount < 0).
    Out,
}

/// A category in the tree, by its path (`Food/Groceries`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryDef {
    /// Names from the root, joined with `/`.
    pub path: String,
    /// What it counts as.
    pub kind: Kind,
}

/// The conditions of a rule; absent ones are not checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Words of the clean counterparty name, in order (`"albert heijn"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    /// The counterparty's account number (IBAN), spaces and case ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// Words in the description, the remittance or the raw counterparty text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The start of the structured reference (`+++123/`), spaces ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The start of the bank transaction code (`PMNT-RDDT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    /// The direct-debit mandate or creditor id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate: Option<String>,
    /// The smallest absolute amount (a string in the file: `"10.50"`, exact).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub min: Option<Decimal>,
    /// The largest absolute amount.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub max: Option<Decimal>,
    /// Money in or out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// One account (its id in this installation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<i64>,
    /// Booked on or after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Booked on or before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
}

impl Conditions {
    /// Whether no condition is given (such a rule would match everything).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A rule: conditions and the category they give.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Shown as the reason ("rule Supermarkets").
    pub name: String,
    /// The category's path.
    pub category: String,
    /// When it applies.
    pub when: Conditions,
}

/// Categories and rules as one plain file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The file format's version.
    #[serde(default = "RuleFile::version")]
    pub version: u32,
    /// The category tree (parents before children is not required).
    #[serde(default)]
    pub categories: Vec<CategoryDef>,
    /// The rules, in the order they are tried.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
}

/// A rule file that cannot be used, and why (one sentence).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct RuleFileError(pub String);

impl RuleFile {
    fn version() -> u32 {
        1
    }

    /// Reads and checks a file: every rule names a category of the file
    /// or of `known` (paths already in the store), has a condition, and
    /// category paths have no empty names.
    pub fn parse(text: &str, known: &[String]) -> Result<Self, RuleFileError> {
        let file: Self =
            serde_json::from_str(text).map_err(|e| RuleFileError(format!("not a Saldo rule file: {e}")))?;
        if file.version != 1 {
            return Err(RuleFileError(format!("rule file version {} is not one this Saldo reads", file.version)));
        }
        for c in &file.categories {
            if c.path.split('/').any(|n| n.trim().is_empty()) {
                return Err(RuleFileError(format!("category {:?} has an empty name in its path", c.path)));
            }
        }
        for r in &file.rules {
            if r.when.is_empty() {
                return Err(RuleFileError(format!("rule {:?} has no condition: it would take every row", r.name)));
            }
            if !file.categories.iter().any(|c| c.path == r.category) && !known.contains(&r.category) {
                return Err(RuleFileError(format!(
                    "rule {:?} names category {:?}, which does not exist",
                    r.name, r.category
                )));
            }
            if let (Some(lo), Some(hi)) = (r.when.min, r.when.max) {
                if lo > hi {
                    return Err(RuleFileError(format!("rule {:?}: min {lo} is above max {hi}", r.name)));
                }
            }
        }
        Ok(file)
    }

    /// The file as people keep it (pretty JSON, stable order).
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Saldo's default categories and rules.
pub fn defaults() -> RuleFile {
    // Checked by a test: the embedded file parses and is consistent.
    RuleFile::parse(include_str!("../rules/defaults.json"), &[]).unwrap_or_default()
}

/// Text folded for comparison: lower case, common accents removed, every
/// run of other characters one space, trimmed (`"Société  Générale!"` →
/// `"societe generale"`).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_append(text, &mut out);
    out
}

/// [`fold`] appended to `out` (no allocation of its own).
fn fold_append(text: &str, out: &mut String) {
    let start = out.len();
    let mut space = true;
    let mut rest = text;
    while let Some(&b) = rest.as_bytes().first() {
        // Plain ASCII, byte by byte (most of what banks send).
        let folded = if b.is_ascii() {
            rest = &rest[1..];
            b.is_ascii_alphanumeric() && {
                out.push(char::from(b.to_ascii_lowercase()));
                true
            }
        } else {
            let Some(c) = rest.chars().next() else { break };
            rest = &rest[c.len_utf8()..];
            fold_into(c, out)
        };
        if folded {
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.len() > start && out.ends_with(' ') {
        out.pop();
    }
}

/// Appends `c` folded (lower case, common accents removed) to `out`;
/// false when it is not a letter or digit (a separator).
fn fold_into(c: char, out: &mut String) -> bool {
    if c.is_ascii_alphanumeric() {
        out.push(c.to_ascii_lowercase());
        return true;
    }
    if c.is_ascii() {
        return false;
    }
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        _ if c.is_alphanumeric() => {
            out.extend(c.to_lowercase());
            return true;
        }
        _ => return false,
    };
    out.push_str(base);
    true
}

fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_uppercase).collect()
}

/// The facts of one transaction a rule is checked against.
#[derive(Clone, Copy, Debug, Default)]
pub struct Facts<'a> {
    /// Its account.
    pub account_id: i64,
    /// Booking date.
    pub booking_date: Option<NaiveDate>,
    /// Signed amount (negative: money out).
    pub amount: Decimal,
    /// The clean counterparty name.
    pub counterparty: Option<&'a str>,
    /// The counterparty text as the bank sent it.
    pub counterparty_raw: Option<&'a str>,
    /// The counterparty's account number.
    pub iban: Option<&'a str>,
    /// The bank's description.
    pub description: Option<&'a str>,
    /// Unstructured remittance.
    pub remittance: Option<&'a str>,
    /// Structured reference (creditor reference).
    pub reference: Option<&'a str>,
    /// Bank transaction code (`PMNT-RDDT-ESDD`).
    pub bank_code: Option<&'a str>,
    /// Mandate or creditor id.
    pub mandate: Option<&'a str>,
}

/// One row's text, folded once for all rules, and which of the rules'
/// words it holds (every needle found in one pass), as bit sets.
struct Folded {
    text_hits: Vec<u64>,
    party_hits: Vec<u64>,
}

/// Whether bit `i` of a bit set is set.
fn bit(set: &[u64], i: usize) -> bool {
    set.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
}

/// The indices of a bit set's set bits, in order.
fn bits(set: &[u64]) -> impl Iterator<Item = usize> + '_ {
    set.iter().enumerate().flat_map(|(w, word)| {
        let mut rest = *word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * 64 + i
            })
        })
    })
}

impl Folded {
    fn of(f: &Facts<'_>, needles: &Needles) -> Self {
        let mut text = String::with_capacity(192);
        // A remittance that repeats the description (banks often do) is read once.
        let remittance = f.remittance.filter(|r| Some(*r) != f.description);
        for t in [f.description, remittance, f.counterparty_raw].into_iter().flatten() {
            text.push(' ');
            fold_append(t, &mut text);
        }
        // The counterparty once, at the end of the text: its folded form is
        // also the counterparty haystack.
        text.push(' ');
        let party_start = text.len() - 1;
        fold_append(f.counterparty.unwrap_or_default(), &mut text);
        text.push(' ');
        let counterparty = &text[party_start..];
        let hits = |ac: &Option<aho_corasick::AhoCorasick>, n: usize, hay: &str| {
            let mut v = vec![0u64; n.div_ceil(64)];
            if let Some(ac) = ac {
                for m in ac.find_overlapping_iter(hay) {
                    let i = m.pattern().as_usize();
                    v[i / 64] |= 1 << (i % 64);
                }
            }
            v
        };
        Self {
            text_hits: hits(&needles.text, needles.text_count, &text),
            party_hits: hits(&needles.party, needles.party_count, counterparty),
        }
    }
}

/// The words of every rule, as two automata (text, counterparty).
#[derive(Clone, Debug, Default)]
struct Needles {
    text: Option<aho_corasick::AhoCorasick>,
    text_count: usize,
    party: Option<aho_corasick::AhoCorasick>,
    party_count: usize,
}

/// A rule ready to be checked quickly (its needles folded once).
#[derive(Clone, Debug)]
struct Compiled {
    id: i64,
    /// Index of its counterparty words among the needles.
    party_id: Option<usize>,
    /// Index of its text words among the needles.
    text_id: Option<usize>,
    counterparty: Option<String>,
    iban: Option<String>,
    text: Option<String>,
    reference: Option<String>,
    bank_code: Option<String>,
    mandate: Option<String>,
    when: Conditions,
}

impl Compiled {
    fn new(id: i64, when: &Conditions) -> Self {
        let words = |s: &Option<String>| s.as_deref().map(|s| format!(" {} ", fold(s))).filter(|s| s.trim() != "");
        Self {
            id,
            party_id: None,
            text_id: None,
            counterparty: words(&when.counterparty),
            iban: when.iban.as_deref().map(compact),
            text: words(&when.text),
            reference: when.reference.as_deref().map(compact),
            bank_code: when.bank_code.as_deref().map(compact),
            mandate: when.mandate.as_deref().map(compact),
            when: when.clone(),
        }
    }

    fn matches(&self, f: &Facts<'_>, needles: &Needles, folded: &mut Option<Folded>) -> bool {
        let w = &self.when;
        if w.direction.is_some_and(|d| (d == Direction::In) != (f.amount > Decimal::ZERO))
            || w.account.is_some_and(|a| a != f.account_id)
            || w.min.is_some_and(|m| f.amount.abs() < m)
            || w.max.is_some_and(|m| f.amount.abs() > m)
            || w.from.is_some_and(|d| f.booking_date.is_none_or(|b| b < d))
            || w.to.is_some_and(|d| f.booking_date.is_none_or(|b| b > d))
        {
            return false;
        }
        let eq = |needle: &Option<String>, value: Option<&str>, prefix: bool| match needle {
            None => true,
            Some(n) => value.is_some_and(|v| {
                let v = compact(v);
                if prefix {
                    v.starts_with(n.as_str())
                } else {
                    v == *n
                }
            }),
        };
        if !eq(&self.iban, f.iban, false)
            || !eq(&self.reference, f.reference, true)
            || !eq(&self.bank_code, f.bank_code, true)
            || !eq(&self.mandate, f.mandate, false)
        {
            return false;
        }
        if self.counterparty.is_none() && self.text.is_none() {
            return true;
        }
        let folded = folded.get_or_insert_with(|| Folded::of(f, needles));
        self.party_id.is_none_or(|i| bit(&folded.party_hits, i))
            && self.text_id.is_none_or(|i| bit(&folded.text_hits, i))
    }
}

/// An ordered set of rules, compiled.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Compiled>,
    needles: Needles,
    /// The rules a row can match whatever its text, as a bit set over `rules`.
    wordless: Vec<u64>,
    /// Per text needle, the rules that need it (bit sets over `rules`).
    text_rules: Vec<Vec<u64>>,
    /// Per counterparty needle, likewise.
    party_rules: Vec<Vec<u64>>,
}

impl RuleSet {
    /// Rules as (id, conditions), in the order they are tried.
    pub fn new<'a>(rules: impl IntoIterator<Item = (i64, &'a Conditions)>) -> Self {
        let mut rules: Vec<Compiled> =
            rules.into_iter().filter(|(_, c)| !c.is_empty()).map(|(id, c)| Compiled::new(id, c)).collect();
        // Each distinct word list once; a rule points at its own.
        let mut text: Vec<String> = Vec::new();
        let mut party: Vec<String> = Vec::new();
        let index = |list: &mut Vec<String>, needle: &Option<String>| {
            needle.as_ref().map(|n| match list.iter().position(|x| x == n) {
                Some(i) => i,
                None => {
                    list.push(n.clone());
                    list.len() - 1
                }
            })
        };
        for r in &mut rules {
            r.text_id = index(&mut text, &r.text);
            r.party_id = index(&mut party, &r.counterparty);
        }
        // A DFA: built once per rule change, it scans every row's text in
        // one pass without the NFA's state lookups (a few hundred needles).
        let automaton = |list: &[String]| {
            (!list.is_empty())
                .then(|| {
                    aho_corasick::AhoCorasick::builder()
                        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                        .build(list)
                        .or_else(|_| aho_corasick::AhoCorasick::new(list))
                        .ok()
                })
                .flatten()
        };
        let needles = Needles {
            text: automaton(&text),
            text_count: text.len(),
            party: automaton(&party),
            party_count: party.len(),
        };
        let words = rules.len().div_ceil(64);
        let mut wordless = vec![0u64; words];
        let mut text_rules = vec![vec![0u64; words]; text.len()];
        let mut party_rules = vec![vec![0u64; words]; party.len()];
        for (i, r) in rules.iter().enumerate() {
            let set = |v: &mut Vec<u64>| v[i / 64] |= 1 << (i % 64);
            match (r.text_id, r.party_id) {
                (None, None) => set(&mut wordless),
                (t, p) => {
                    t.into_iter().for_each(|t| set(&mut text_rules[t]));
                    p.into_iter().for_each(|p| set(&mut party_rules[p]));
                }
            }
        }
        Self { rules, needles, wordless, text_rules, party_rules }
    }

    /// How many rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The id of the first rule the row matches.
    pub fn first_match(&self, facts: &Facts<'_>) -> Option<i64> {
        if self.needles.text.is_none() && self.needles.party.is_none() {
            let mut folded = None;
            return self.rules.iter().find(|r| r.matches(facts, &self.needles, &mut folded)).map(|r| r.id);
        }
        // One pass over the row's text finds every rule's words: only the
        // rules without words and those whose words it holds are tried, in
        // order (a few of hundreds).
        let folded = Folded::of(facts, &self.needles);
        let mut candidates = self.wordless.clone();
        for (hits, rules) in [(&folded.text_hits, &self.text_rules), (&folded.party_hits, &self.party_rules)] {
            for needle in bits(hits) {
                for (c, r) in candidates.iter_mut().zip(&rules[needle]) {
                    *c |= r;
                }
            }
        }
        let mut folded = Some(folded);
        let first = bits(&candidates).map(|i| &self.rules[i]).find(|r| r.matches(facts, &self.needles, &mut folded));
        first.map(|r| r.id)
    }

    /// Whether one rule (by id) matches.
    pub fn matches(&self, id: i64, facts: &Facts<'_>) -> bool {
        self.rules.iter().find(|r| r.id == id).is_some_and(|r| r.matches(facts, &self.needles, &mut None))
    }
}

/// A rule proposed from what the person did: they gave `count` rows of the
/// same counterparty the same category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The rule.
    pub rule: RuleDef,
    /// Rows the person categorised that way.
    pub evidence: usize,
}

/// Proposes rules from the person's own choices: for each counterparty key
/// with at least `min_evidence` rows the person put in one category (and no
/// row of it in another), "counterparty X → that category". `choices` are
/// (counterparty clean name, category path) of rows categorised by the
/// person; `existing` are the conditions of the rules already there (a rule
/// already covering it is not proposed again).
pub fn propose(choices: &[(String, String)], existing: &[Conditions], min_evidence: usize) -> Vec<Proposal> {
    let mut by_party: BTreeMap<String, (String, BTreeMap<String, usize>)> = BTreeMap::new();
    for (party, category) in choices {
        let key = fold(party);
        if key.is_empty() {
            continue;
        }
        let e = by_party.entry(key).or_insert_with(|| (party.clone(), BTreeMap::new()));
        *e.1.entry(category.clone()).or_default() += 1;
    }
    let covered = |key: &str| existing.iter().any(|c| c.counterparty.as_deref().is_some_and(|n| fold(n) == key));
    by_party
        .into_iter()
        .filter(|(key, (_, cats))| cats.len() == 1 && !covered(key))
        .filter_map(|(_, (party, cats))| {
            let (category, n) = cats.into_iter().next()?;
            (n >= min_evidence).then(|| Proposal {
                rule: RuleDef {
                    name: party.clone(),
                    category,
                    when: Conditions { counterparty: Some(party), ..Conditions::default() },
                },
                evidence: n,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_file_is_consistent_and_covers_every_kind() {
        let text = include_str!("../rules/defaults.json");
        let file = RuleFile::parse(text, &[]).expect("the embedded defaults parse");
        assert!(file.rules.len() >= 20, "a sensible default set: {}", file.rules.len());
        for kind in [Kind::Income, Kind::Expense, Kind::Transfer, Kind::Ignore] {
            assert!(file.categories.iter().any(|c| c.kind == kind), "a category of kind {kind:?}");
        }
        assert_eq!(RuleFile::parse(&file.to_text(), &[]).unwrap(), file, "the file survives a round trip");
    }

    #[test]
    fn text_is_compared_folded_and_by_whole_words() {
        assert_eq!(fold("  Société   Générale!! "), "societe generale");
        assert_eq!(fold("STRAßE-Café"), "strasse cafe");
        let rules = [(1, Conditions { counterparty: Some("ah".into()), ..Conditions::default() })];
        let set = RuleSet::new(rules.iter().map(|(i, c)| (*i, c)));
        let f = |cp| Facts { counterparty: Some(cp), amount: d("-1"), ..Facts::default() };
        assert_eq!(set.first_match(&f("AH to go")), Some(1), "a whole word matches");
        assert_eq!(set.first_match(&f("Ahold")), None, "part of a word does not");
    }

    #[test]
    fn the_first_matching_rule_decides_and_every_condition_must_hold() {
        let rules = [
            (10, Conditions { text: Some("netflix".into()), direction: Some(Direction::Out), ..Conditions::default() }),
            (11, Conditions { iban: Some("BE12 3101 2345 6789".into()), ..Conditions::default() }),
            (12, Conditions { min: Some(d("1000")), direction: Some(Direction::In), ..Conditions::default() }),
            (
                13,
                Conditions {
                    bank_code: Some("pmnt-ccrd".into()),
                    to: Some(day("2026-01-31")),
                    ..Conditions::default()
                },
            ),
            (14, Conditions { mandate: Some("MANDATE-1".into()), account: Some(7), ..Conditions::default() }),
            (15, Conditions { reference: Some("+++123/".into()), ..Conditions::default() }),
        ];
        let set = RuleSet::new(rules.iter().map(|(i, c)| (*i, c)));
        let out = Facts { amount: d("-15.99"), description: Some("SEPA DD NETFLIX.COM"), ..Facts::default() };
        assert_eq!(set.first_match(&out), Some(10), "words of the description");
        assert_eq!(set.first_match(&Facts { amount: d("15.99"), ..out }), None, "a refund is not a payment");
        let iban = Facts { amount: d("-5"), iban: Some("be12310123456789"), ..Facts::default() };
        assert_eq!(set.first_match(&iban), Some(11), "IBAN: spaces and case ignored");
        assert_eq!(set.first_match(&Facts { amount: d("2500"), ..Facts::default() }), Some(12));
        assert_eq!(set.first_match(&Facts { amount: d("999.99"), ..Facts::default() }), None, "below min");
        let card = Facts { amount: d("-3"), bank_code: Some("PMNT-CCRD-POSD"), ..Facts::default() };
        assert_eq!(
            set.first_match(&Facts { booking_date: Some(day("2026-01-31")), ..card }),
            Some(13),
            "to is inclusive"
        );
        assert_eq!(set.first_match(&Facts { booking_date: Some(day("2026-02-01")), ..card }), None, "after to");
        let dd = Facts { amount: d("-3"), mandate: Some("mandate-1"), account_id: 7, ..Facts::default() };
        assert_eq!(set.first_match(&dd), Some(14));
        assert_eq!(set.first_match(&Facts { account_id: 8, ..dd }), None, "another account");
        let sc = Facts { amount: d("-3"), reference: Some("+++123/4567/89002+++"), ..Facts::default() };
        assert_eq!(set.first_match(&sc), Some(15), "the start of a structured reference");
    }

    #[test]
    fn only_the_rules_whose_words_a_row_holds_are_tried_and_the_first_still_decides() {
        // More than 64 rules (the candidate bit sets span words), words
        // shared between rules, rules with both kinds of words, and rules
        // with none, interleaved.
        let mut rules = Vec::new();
        for i in 0..150i64 {
            let when = match i % 5 {
                0 => Conditions { text: Some(format!("shop number {}", i % 7)), ..Conditions::default() },
                1 => Conditions { counterparty: Some(format!("store {}", i % 3)), ..Conditions::default() },
                2 => Conditions {
                    text: Some("card".into()),
                    counterparty: Some(format!("store {}", i % 4)),
                    min: Some(d("10")),
                    ..Conditions::default()
                },
                3 => {
                    Conditions { min: Some(Decimal::from(i)), direction: Some(Direction::In), ..Conditions::default() }
                }
                _ => {
                    Conditions { text: Some(format!("w{i}")), direction: Some(Direction::Out), ..Conditions::default() }
                }
            };
            rules.push((1000 + i, when));
        }
        let set = RuleSet::new(rules.iter().map(|(i, c)| (*i, c)));
        let naive = |f: &Facts<'_>| rules.iter().map(|(id, _)| *id).find(|id| set.matches(*id, f));
        let rows = [
            Facts { amount: d("-12"), description: Some("CARD shop number 5"), ..Facts::default() },
            Facts { amount: d("-12"), description: Some("card"), counterparty: Some("Store 2"), ..Facts::default() },
            Facts { amount: d("-9"), description: Some("card"), counterparty: Some("Store 2"), ..Facts::default() },
            Facts { amount: d("120"), description: Some("salary"), ..Facts::default() },
            Facts { amount: d("-1"), remittance: Some("w144 w149"), ..Facts::default() },
            Facts { amount: d("1"), remittance: Some("w144"), ..Facts::default() },
            Facts { amount: d("-1"), counterparty: Some("store 1"), ..Facts::default() },
            Facts { amount: d("-1"), description: Some("nothing at all"), ..Facts::default() },
        ];
        for f in &rows {
            assert_eq!(set.first_match(f), naive(f), "{f:?}");
        }
        assert_eq!(set.first_match(&rows[4]), Some(1144), "a word far down the list");
        assert_eq!(set.first_match(&rows[7]), None);
    }

    #[test]
    fn a_rule_file_that_cannot_work_is_refused_with_the_reason() {
        let err = |t: &str| RuleFile::parse(t, &[]).unwrap_err().0;
        assert!(err("{").contains("not a Saldo rule file"));
        assert!(err(r#"{"rules":[{"name":"x","category":"Nope","when":{"text":"a"}}]}"#).contains("does not exist"));
        assert!(err(
            r#"{"categories":[{"path":"A","kind":"expense"}],"rules":[{"name":"x","category":"A","when":{}}]}"#
        )
        .contains("no condition"));
        assert!(err(r#"{"categories":[{"path":"A//B","kind":"expense"}]}"#).contains("empty name"));
        assert!(err(r#"{"version":2}"#).contains("version 2"));
        assert!(err(r#"{"rules":[],"colour":1}"#).contains("unknown field"), "typos are not ignored");
        let known = ["Food".to_owned()];
        assert!(RuleFile::parse(r#"{"rules":[{"name":"x","category":"Food","when":{"text":"a"}}]}"#, &known).is_ok());
    }

    #[test]
    fn a_rule_is_proposed_after_the_person_chose_the_same_category_for_one_counterparty() {
        let c = |p: &str, cat: &str| (p.to_owned(), cat.to_owned());
        let choices = [
            c("Bakkerij Jansen", "Food/Bakery"),
            c("BAKKERIJ JANSEN", "Food/Bakery"),
            c("Bakkerij Jansen", "Food/Bakery"),
            c("Garage Peeters", "Transport/Car"),
            c("Garage Peeters", "Shopping"),
            c("Garage Peeters", "Transport/Car"),
            c("Kiosk", "Leisure"),
        ];
        let proposals = propose(&choices, &[], 3);
        assert_eq!(proposals.len(), 1, "only a consistent choice, often enough: {proposals:?}");
        assert_eq!(proposals[0].rule.category, "Food/Bakery");
        assert_eq!(proposals[0].evidence, 3);
        let existing = [proposals[0].rule.when.clone()];
        assert!(propose(&choices, &existing, 3).is_empty(), "a rule already there is not proposed again");
    }
}

//! Every camt, MT940 and OFX file of the shared corpus (`../shared/corpus/`)
//! read by Saldo and by tools that owe Saldo nothing (issue 17): the
//! `mt940` package, `ofxtools`, and ElementTree path queries over camt's
//! XML (tests/validators/read_statement.py). Per file they must agree on
//! the number of statements (OFX: accounts) and, per statement, on the
//! account, the number of booked entries, their exact sum and the opening
//! and closing balances (amount and date). A file both refuse agrees; a
//! file one side refuses, or any difference, fails the test unless the file
//! is on the short allow-list below with its reason.
//!
//! The tools are installed by `scripts/setup test`; without them this test
//! says so and passes, unless `SALDO_REQUIRE_VALIDATORS=1` (CI) makes that a
//! failure. Without the corpus it says so and passes.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use rust_decimal::Decimal;
use saldo_core::statements::{self, Kind};

/// Files where the independent tool is wrong or reads differently by design:
/// the file, what every difference found in it must say (any other
/// difference in it still fails), and why. A file listed here that agrees
/// fails the test: the list only ever holds real differences.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "mt940/betterplace__empty_line.sta",
        "only the tool reads it",
        "a lone `:20:`, no `:25:` account and nothing else: mt940 returns an empty statement, Saldo refuses a statement without account",
    ),
    (
        "mt940/cmxl__reference.sta",
        "only the tool reads it",
        "a lone `:20:` (a fragment testing that field), no `:25:` account: mt940 returns an empty statement, Saldo refuses a statement without account",
    ),
    (
        "mt940/betterplace__sepa_snippet_broken.sta",
        "only the tool reads it",
        "broken on purpose, `:25:` where the `:86:` belongs: mt940 takes the purpose text for the account, Saldo refuses a second `:25:`",
    ),
    (
        "mt940/self-provided__multiline.sta",
        "only the tool reads it",
        "a stray `:61:` after the statement's `-` end: mt940 drops `-` lines and adds it to the closed statement (16.40 − 5 + 119 is not its 11.40 closing), Saldo refuses a field outside a statement",
    ),
    (
        "mt940/self-provided__raphaelm.sta",
        "closing balance",
        "closing balances without currency (`:62M:C020315105000,00`): mt940 reads currency `105` and amount 0.00, Saldo 105000.00 (which opening + entries give)",
    ),
];

/// What one side saw of one statement.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    /// The account as each side names it: Saldo's IBAN/number (with the BIC
    /// and currency it split off); the tool's text as the file writes it.
    account: Account,
    count: usize,
    sum: Decimal,
    opening: Option<(Decimal, String)>,
    closing: Option<(Decimal, String)>,
}

#[derive(Clone, Debug, PartialEq)]
enum Account {
    Saldo { iban: Option<String>, number: Option<String>, bic: Option<String>, currency: Option<String> },
    Written(Option<String>),
}

/// What a side made of a file.
type Reading = Result<Vec<Seen>, String>;

fn kind_of(path: &Path) -> Option<(&'static str, Kind)> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "xml" => Some(("camt", Kind::Camt)),
        "sta" | "mt940" | "mt942" | "940" | "942" | "swi" => Some(("mt940", Kind::Mt940)),
        "ofx" | "qfx" => Some(("ofx", Kind::Ofx)),
        _ => None,
    }
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Saldo's reading, as a person's import reads it: the format told by the
/// file's content; and that format when it is not the extension's.
fn saldo(path: &Path, kind: Kind) -> (Reading, Option<Kind>) {
    let bytes = std::fs::read(path).unwrap();
    let detected = statements::detect(&bytes);
    let told = (detected != kind).then_some(detected);
    let read = match statements::read(&bytes, None, None) {
        Ok(r) => r,
        Err(e) => return (Err(e.to_string()), told),
    };
    let seen = read
        .statements
        .iter()
        .map(|s| {
            let booked: Vec<_> = s.entries.iter().filter(|e| e.booked).collect();
            let a = &s.account;
            Seen {
                account: Account::Saldo {
                    iban: a.iban.clone(),
                    number: a.number.clone(),
                    bic: a.bic.clone(),
                    currency: a.currency.clone(),
                },
                count: booked.len(),
                sum: booked.iter().map(|e| e.amount).sum(),
                opening: s.opening.as_ref().map(|b| (b.amount, b.date.to_string())),
                closing: s.closing.as_ref().map(|b| (b.amount, b.date.to_string())),
            }
        })
        .collect();
    (Ok(seen), told)
}

/// The independent tool's reading, and its notes (what it skipped or had to
/// take apart to read).
fn tool(py: &Path, kind: &str, path: &Path) -> (Reading, Vec<String>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("validators/read_statement.py");
    let o = Command::new(py).arg(script).arg(kind).arg(path).output().unwrap();
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        let last = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or_default();
        return (Err(last.to_owned()), Vec::new());
    }
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let dec = |x: &serde_json::Value| x.as_str().unwrap().parse::<Decimal>().unwrap();
    let bal = |x: &serde_json::Value| {
        (!x.is_null()).then(|| (dec(&x["amount"]), x["date"].as_str().unwrap_or("no date").to_owned()))
    };
    let seen = v["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Seen {
            account: Account::Written(s["account"].as_str().map(str::to_owned)),
            count: usize::try_from(s["count"].as_u64().unwrap()).unwrap(),
            sum: dec(&s["sum"]),
            opening: bal(&s["opening"]),
            closing: bal(&s["closing"]),
        })
        .collect();
    let notes = v["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect();
    (Ok(seen), notes)
}

/// Whether Saldo's account is the text the file writes: its IBAN or number,
/// with the BIC before it (`BIC/number`) and the currency after it
/// (`numberEUR`, `number/EUR`) that Saldo split off, and nothing else.
/// Spaces and case do not count (Saldo writes IBANs compact, upper case).
fn same_account(saldo: &Account, written: &Account) -> bool {
    let (Account::Saldo { iban, number, bic, currency }, Account::Written(written)) = (saldo, written) else {
        return false;
    };
    let norm = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let Some(written) = written.as_deref().map(norm) else { return iban.is_none() && number.is_none() };
    let prefixes = [String::new(), bic.as_deref().map(|b| format!("{b}/")).unwrap_or_default()];
    let suffixes = match currency {
        Some(c) => vec![String::new(), c.clone(), format!("/{c}")],
        None => vec![String::new()],
    };
    [iban, number]
        .into_iter()
        .flatten()
        .any(|id| prefixes.iter().any(|p| suffixes.iter().any(|s| norm(&format!("{p}{id}{s}")) == written)))
}

fn show_balance(b: &Option<(Decimal, String)>) -> String {
    b.as_ref().map_or("none".into(), |(a, d)| format!("{a} on {d}"))
}

/// The differences between the two readings, in words; empty when they agree.
fn differences(saldo: &Reading, tool: &Reading) -> Vec<String> {
    let (saldo, tool) = match (saldo, tool) {
        (Err(_), Err(_)) => return Vec::new(),
        (Ok(s), Err(e)) => return vec![format!("only Saldo reads it ({} statements); the tool: {e}", s.len())],
        (Err(e), Ok(t)) => return vec![format!("only the tool reads it ({} statements); Saldo: {e}", t.len())],
        (Ok(s), Ok(t)) => (s, t),
    };
    let mut out = Vec::new();
    if saldo.len() != tool.len() {
        out.push(format!("{} statements in Saldo, {} in the tool", saldo.len(), tool.len()));
    }
    for (i, (s, t)) in saldo.iter().zip(tool).enumerate() {
        let n = i + 1;
        if !same_account(&s.account, &t.account) {
            out.push(format!("statement {n}: account {:?} in Saldo, {:?} in the tool", s.account, t.account));
        }
        if s.count != t.count {
            out.push(format!("statement {n}: {} booked entries in Saldo, {} in the tool", s.count, t.count));
        }
        if s.sum != t.sum {
            out.push(format!(
                "statement {n}: booked entries sum to {} in Saldo, {} in the tool (Saldo − tool = {})",
                s.sum,
                t.sum,
                s.sum - t.sum
            ));
        }
        for (what, a, b) in [("opening", &s.opening, &t.opening), ("closing", &s.closing, &t.closing)] {
            if a != b {
                out.push(format!(
                    "statement {n}: {what} balance {} in Saldo, {} in the tool",
                    show_balance(a),
                    show_balance(b)
                ));
            }
        }
    }
    out
}

/// The venv of `scripts/setup test` with the `mt940` package and `ofxtools`.
fn python() -> Option<PathBuf> {
    let p = std::env::var_os("SALDO_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/saldo-pyenv/bin/python")
    });
    let ready = Command::new(&p).args(["-c", "import mt940, ofxtools"]).output().is_ok_and(|o| o.status.success());
    if ready {
        return Some(p);
    }
    assert!(
        std::env::var("SALDO_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "SALDO_REQUIRE_VALIDATORS=1 but the statement readers (mt940, ofxtools) are missing: run scripts/setup test"
    );
    eprintln!("skipped: the independent statement readers are not installed (scripts/setup test)");
    None
}

#[derive(Default)]
struct Tally {
    files: usize,
    agree: usize,
    both_refuse: usize,
    allowed: Vec<String>,
}

/// R17 and issue 17's "done when": counts, per-account sums and balances of
/// every camt, MT940 and OFX file of the corpus, as Saldo reads them, are
/// what independent readers compute.
#[test]
fn every_corpus_statement_reads_the_same_in_saldo_and_in_independent_tools() {
    saldo_statements::require_corpus!();
    let Some(py) = python() else { return };
    let corpus = saldo_statements::corpus_dir().unwrap();
    let mut tallies: Vec<(&str, Tally)> = ["camt", "mt940", "ofx"].iter().map(|k| (*k, Tally::default())).collect();
    let mut failures = String::new();
    let mut allowed_used = Vec::new();
    for path in files(&corpus) {
        let Some((kind, k)) = kind_of(&path) else { continue };
        let rel = path.strip_prefix(&corpus).unwrap().to_string_lossy().replace('\\', "/");
        let (ours, told) = saldo(&path, k);
        let (theirs, notes) = tool(&py, kind, &path);
        let mut diffs = differences(&ours, &theirs);
        if let (Some(other), Ok(_)) = (told, &ours) {
            // A camt file read as CSV, say, is no reading of it, whatever it adds up to.
            diffs.insert(0, format!("Saldo tells it as {other:?}, not {k:?}, and reads it so"));
        }
        let tally = &mut tallies.iter_mut().find(|(n, _)| *n == kind).unwrap().1;
        tally.files += 1;
        let allowed = ALLOWED.iter().find(|(f, ..)| *f == rel);
        let shape = match (&ours, &theirs) {
            (Err(e), Err(_)) => {
                let told = told.map(|k| format!(" told as {k:?},")).unwrap_or_default();
                format!("both refuse (Saldo,{told} says: {e})")
            }
            (Ok(s), _) => {
                let entries: usize = s.iter().map(|x| x.count).sum();
                format!("{} statements, {entries} booked entries", s.len())
            }
            (Err(_), Ok(_)) => "only the tool reads it".to_owned(),
        };
        let notes = if notes.is_empty() { String::new() } else { format!(" [tool: {}]", notes.join("; ")) };
        match (diffs.is_empty(), allowed) {
            (true, None) => {
                tally.agree += 1;
                if ours.is_err() {
                    tally.both_refuse += 1;
                }
                eprintln!("agree    {rel}: {shape}{notes}");
            }
            (true, Some(_)) => {
                writeln!(failures, "{rel}: on the allow-list but both read it alike; take it off the list").unwrap();
            }
            (false, Some((_, expect, why))) if diffs.iter().all(|d| d.contains(expect)) => {
                tally.allowed.push(format!("{rel} ({why})"));
                allowed_used.push(rel.clone());
                eprintln!("allowed  {rel}: {}; because {why}", diffs.join("; "));
            }
            (false, _) => {
                eprintln!("DIFFER   {rel}: {}{notes}", diffs.join("; "));
                writeln!(failures, "{rel}: {}{notes}", diffs.join("; ")).unwrap();
            }
        }
    }
    for (f, ..) in ALLOWED {
        if !allowed_used.iter().any(|u| u == f) && !failures.contains(&format!("{f}:")) {
            writeln!(failures, "{f}: on the allow-list but not in the corpus").unwrap();
        }
    }
    for (kind, t) in &tallies {
        eprintln!(
            "{kind}: compared {} files: {} agree ({} of them refused by both), {} allowed{}",
            t.files,
            t.agree,
            t.both_refuse,
            t.allowed.len(),
            if t.allowed.is_empty() { String::new() } else { format!(": {}", t.allowed.join(", ")) }
        );
        assert!(t.agree > t.both_refuse, "{kind}: no file of the corpus was read alike by both sides");
    }
    assert!(failures.is_empty(), "Saldo and the independent readers differ:\n{failures}");
}

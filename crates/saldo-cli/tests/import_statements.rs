//! `saldo import FILE...`: statement files into their accounts (issue 17).
//! Against the sandbox (its own camt.053 download of an account it also
//! serves through the API) in both orders, real files from
//! `../shared/corpus/`, and small hand-written MT940 files.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use saldo_sandbox::psu::{Browser, Decision, Outcome};

fn saldo(data: &Path, pass: &Path, gw: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_saldo"));
    c.arg("--data-dir").arg(data).arg("--passphrase-file").arg(pass).arg("--gateway").arg(gw);
    c.env_remove("SALDO_GATEWAY_URL").env_remove("SALDO_DATA_DIR").env_remove("SALDO_PASSPHRASE_FILE");
    c
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "command failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).unwrap()
}

/// A fresh install (passphrase, cheap KDF) on the gateway `gw`.
struct Install {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    pass: PathBuf,
    gw: String,
}

impl Install {
    fn new(gw: &str) -> Self {
        let (tmp, data, pass) = support::home();
        Self { _tmp: tmp, data, pass, gw: gw.to_owned() }
    }

    fn cmd(&self) -> Command {
        saldo(&self.data, &self.pass, &self.gw)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    fn import(&self, args: &[&str]) -> serde_json::Value {
        json(&self.cmd().args(["--json", "import"]).args(args).output().unwrap())
    }

    /// Connects the household's bank A (checking and savings) and enables its accounts.
    async fn connect(&self) {
        let out = ok(&self.run(&["connect", "201", "--redirect", "deeplink", "--no-browser"]));
        let url = out.lines().find_map(|l| l.strip_prefix("Continue at your bank: ")).unwrap().to_owned();
        let Outcome::Redirected(cb) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else {
            panic!("the sandbox bank sends the person back")
        };
        ok(&self.run(&["callback", &cb]));
        for a in json(&self.run(&["accounts", "--json"])).as_array().unwrap() {
            ok(&self.run(&["accounts", "enable", &a["id"].to_string()]));
        }
    }

    fn accounts(&self) -> Vec<serde_json::Value> {
        json(&self.run(&["accounts", "--json"])).as_array().unwrap().clone()
    }

    /// Every row as (account IBAN or name, booking date, amount, counterparty,
    /// description), counted: a multiset that ignores Saldo's row ids.
    fn rows(&self) -> BTreeMap<(String, String, String, String, String), usize> {
        let names: BTreeMap<i64, String> = self
            .accounts()
            .iter()
            .map(|a| (a["id"].as_i64().unwrap(), a["iban"].as_str().or(a["name"].as_str()).unwrap_or("").to_owned()))
            .collect();
        let mut out = BTreeMap::new();
        for t in json(&self.run(&["transactions", "--limit", "100000", "--json"])).as_array().unwrap() {
            let s = |k: &str| t[k].as_str().unwrap_or("").to_owned();
            let key = (
                names[&t["account_id"].as_i64().unwrap()].clone(),
                s("booking_date"),
                s("amount"),
                s("counterparty_name"),
                s("description"),
            );
            *out.entry(key).or_default() += 1;
        }
        out
    }

    fn count(&self) -> usize {
        self.rows().values().sum()
    }
}

/// The sandbox's camt.053 download of `account` (its gateway id) over `from..=to`.
async fn statement(gw: &str, account: &str, from: &str, to: &str, dir: &Path, name: &str) -> PathBuf {
    let body = reqwest::get(format!("{gw}/sandbox/statements/{account}?from={from}&to={to}"))
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .text()
        .await
        .unwrap();
    let file = dir.join(name);
    std::fs::write(&file, body).unwrap();
    file
}

/// Import-then-sync and sync-then-import of the same period give the same
/// rows (R16: no row twice, twins kept), and a statement's closing balance
/// agrees with the bank's history to the cent (R17).
#[tokio::test(flavor = "multi_thread")]
async fn import_then_sync_and_sync_then_import_give_the_same_rows() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let gw = sb.base_url().to_owned();
    let files = tempfile::tempdir().unwrap();

    // Sync first, then import the bank's statement of the last 60 days.
    let a = Install::new(&gw);
    a.connect().await;
    ok(&a.run(&["sync"]));
    let synced = a.rows();
    let checking = a.accounts().into_iter().find(|x| !x["name"].as_str().unwrap_or("").is_empty()).unwrap();
    let gateway_id = checking["gateway_account_id"].as_str().unwrap().to_owned();
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Days::new(60)).to_string();
    let file = statement(&gw, &gateway_id, &from, &today.to_string(), files.path(), "statement.xml").await;
    let r = a.import(&[file.to_str().unwrap()]);
    let st = &r["files"][0]["statements"][0];
    assert_eq!(st["account_id"], checking["id"], "matched to the synced account by its IBAN");
    assert!(st["known"].as_u64().unwrap() > 20, "the file repeats what the bank sent: {st}");
    assert_eq!(st["new"], 0, "nothing twice: {st}");
    assert_eq!(st["conflicts"], 0, "{st}");
    assert_eq!(st["history_difference"], "0.00", "the file's closing balance is the bank's to the cent: {st}");
    assert_eq!(a.rows(), synced, "sync then import: the same rows as the sync alone");

    // Import first (the accounts known, no row yet), then sync.
    let b = Install::new(&gw);
    b.connect().await;
    let r = b.import(&[file.to_str().unwrap()]);
    let imported = r["new"].as_u64().unwrap();
    assert_eq!(imported, st["known"].as_u64().unwrap(), "every booked entry is new here: {r}");
    assert_eq!(b.count() as u64, imported);
    let some = json(&b.run(&["transactions", "--limit", "1", "--json"]));
    assert_eq!(some[0]["imported_from"]["file_name"], "statement.xml", "provenance: {some}");
    assert!(some[0]["imported_from"]["entry"].as_i64().unwrap() >= 1);
    assert_eq!(some[0]["imported_from"]["from_file"], true, "the file's own row: {some}");
    ok(&b.run(&["sync"]));
    assert_eq!(b.rows(), synced, "import then sync: the same rows as sync then import");
    // The bank's rows took the imported rows' place and keep where they were seen.
    let after = json(&b.run(&["transactions", "--limit", "100000", "--json"]));
    let with_source = after.as_array().unwrap().iter().filter(|t| t["imported_from"].is_object()).count() as u64;
    assert_eq!(with_source, imported, "each row the file brought still says which file and entry");
    assert!(
        after.as_array().unwrap().iter().all(|t| t["imported_from"]["from_file"] != true),
        "every row is the bank's now, the file only where it was also seen"
    );

    // Importing the file again adds nothing, in either install.
    for install in [&a, &b] {
        let r = install.import(&[file.to_str().unwrap()]);
        assert_eq!(r["new"], 0, "{r}");
        assert!(r["files"][0]["imported_before"].is_string(), "the file is recognised: {r}");
    }
    sb.stop().await;
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text.replace('\n', "\r\n")).unwrap();
    p
}

/// An MT940 statement of one account over `lines` (`YYMMDD`, amount with a
/// comma, `C`/`D`, counterparty), with balances that add up.
fn mt940(number: &str, opening: i64, lines: &[(&str, i64, &str)]) -> String {
    let fmt = |cents: i64| format!("{},{:02}", cents.abs() / 100, cents.abs() % 100);
    let mut out = format!(
        ":20:STMT\n:25:{number}\n:28C:1\n:60F:{}{}EUR{}\n",
        if opening < 0 { "D" } else { "C" },
        lines[0].0,
        fmt(opening)
    );
    let mut balance = opening;
    for (day, cents, party) in lines {
        balance += cents;
        out.push_str(&format!(
            ":61:{day}{}{}NTRFNONREF\n:86:{party}\n",
            if *cents < 0 { "D" } else { "C" },
            fmt(*cents)
        ));
    }
    let last = lines.last().unwrap().0;
    out.push_str(&format!(":62F:{}{last}EUR{}\n-\n", if balance < 0 { "D" } else { "C" }, fmt(balance)));
    out
}

/// R16: two overlapping files add the union (twins stay twins); a file
/// whose account is unknown opens an offline account that shows in the
/// accounts, the list and the exports; a preview writes nothing; a
/// malformed file among good ones leaves no partial import.
#[tokio::test(flavor = "multi_thread")]
async fn overlapping_files_add_the_union_and_a_broken_one_adds_nothing() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let i = Install::new(sb.base_url());
    let dir = tempfile::tempdir().unwrap();
    let first = write(
        dir.path(),
        "jan.sta",
        &mt940(
            "NL91ABNA0417164300",
            100_000,
            &[
                ("260105", -450, "BAKERY"),
                ("260105", -450, "BAKERY"),
                ("260110", 250_000, "EMPLOYER"),
                ("260112", -1999, "STREAMING"),
            ],
        ),
    );
    let second = write(
        dir.path(),
        "jan-feb.sta",
        &mt940(
            "NL91ABNA0417164300",
            347_551,
            &[
                ("260110", 250_000, "EMPLOYER"),
                ("260112", -1999, "STREAMING"),
                ("260202", -450, "BAKERY"),
                ("260203", -8000, "GARAGE"),
            ],
        ),
    );

    let preview = i.import(&["--dry-run", first.to_str().unwrap()]);
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["new"], 4, "{preview}");
    assert!(i.accounts().is_empty(), "a preview writes nothing, not even the account");

    let r = i.import(&[first.to_str().unwrap()]);
    assert_eq!(r["new"], 4, "both coffees of the same day and amount (twins): {r}");
    assert_eq!(r["accounts_created"].as_array().unwrap().len(), 1);
    let r = i.import(&[second.to_str().unwrap()]);
    assert_eq!((r["new"].as_u64(), r["known"].as_u64()), (Some(2), Some(2)), "the overlap is known: {r}");
    assert_eq!(i.count(), 6, "the union");
    let accounts = i.accounts();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["iban"], "NL91ABNA0417164300");
    assert_eq!(accounts[0]["enabled"], true, "an offline account is enabled: it shows in balances and exports");
    let csv = ok(&i.run(&["export", "--format", "csv"]));
    assert_eq!(csv.lines().filter(|l| l.contains("BAKERY")).count(), 3, "{csv}");
    let o = i.run(&["sync"]);
    assert!(
        o.status.success(),
        "an offline account is not synced (nothing to do): {}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A malformed file among good ones: refused, named, nothing written.
    let third = write(dir.path(), "mar.sta", &mt940("NL91ABNA0417164300", 339_101, &[("260301", -100, "SHOP")]));
    let broken = write(
        dir.path(),
        "broken.sta",
        ":20:STMT\n:25:NL91ABNA0417164300\n:28C:1\n:60F:C260301EUR1,00\n:61:2603XXC1,00NTRF\n-\n",
    );
    let o = i.cmd().args(["import"]).arg(&third).arg(&broken).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("broken.sta") && err.contains("line"), "names the file and the line: {err}");
    assert_eq!(i.count(), 6, "no partial import");
    sb.stop().await;
}

/// Every real-world file of the corpus is imported (re-importing it adds
/// nothing) or refused with a message naming the file.
#[test]
fn every_corpus_file_imports_once_or_is_refused_by_name() {
    saldo_statements::require_corpus!();
    let root = saldo_statements::corpus_dir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            if ["xml", "sta", "txt", "mt940", "ofx", "qfx", "qif", "cod", "coda", "csv", "940"].contains(&ext.as_str())
            {
                files.push(f);
            }
        }
    }
    files.sort();
    assert!(files.len() > 50, "the corpus: {}", files.len());
    let (mut imported, mut refused) = (0, 0);
    for f in &files {
        let (_tmp, data, pass) = support::home();
        let cmd = || {
            let mut c = Command::new(env!("CARGO_BIN_EXE_saldo"));
            c.arg("--data-dir").arg(&data).arg("--passphrase-file").arg(&pass).args(["--json", "import"]).arg(f);
            c.env_remove("SALDO_GATEWAY_URL").env_remove("SALDO_DATA_DIR").env_remove("SALDO_PASSPHRASE_FILE");
            c
        };
        let name = f.file_name().unwrap().to_str().unwrap();
        let o = cmd().output().unwrap();
        if o.status.success() {
            let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            let booked: u64 = r["files"][0]["statements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["check"]["entries"].as_u64().unwrap())
                .sum();
            assert_eq!(
                r["new"].as_u64().unwrap() + r["known"].as_u64().unwrap() + r["conflicts"].as_u64().unwrap(),
                booked,
                "{name}: every booked entry is accounted for"
            );
            let again: serde_json::Value = serde_json::from_slice(&cmd().output().unwrap().stdout).unwrap();
            assert_eq!(again["new"], 0, "{name}: importing it again adds nothing: {again}");
            imported += 1;
        } else {
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{name}: refused as bad input, not a crash: {err}");
            assert!(err.contains(name), "{name}: the message names the file: {err}");
            refused += 1;
        }
    }
    assert!(imported > refused, "most real files import: {imported} imported, {refused} refused");
}

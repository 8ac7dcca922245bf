//! Exports of real sandbox data, read back by the external tools people use:
//! Python's csv module, jsonschema, ofxtools (strict, warnings as errors),
//! quiffen, bean-check and `hledger check --strict`. Each must see the same
//! accounts, the same number of transactions and the same exact sums as the
//! store (R17), with hostile text intact for its format.
//!
//! The tools are installed by `scripts/setup test`; without them these tests
//! say so and pass, unless `SALDO_REQUIRE_VALIDATORS=1` (CI) makes that a failure.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use saldo_core::export::{export, ExportOptions, ExportSummary, Format};
use saldo_core::sync::{self, Outcome, Scope};
use saldo_store::export::DateRange;
use saldo_store::Store;

mod support;

use support::{python, read, world, World};

fn write(store: &Store, opts: &ExportOptions, dir: &Path) -> (PathBuf, ExportSummary) {
    let path = dir.join(format!("export.{}", opts.format.extension()));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let summary = export(store, opts, &mut file).unwrap();
    drop(file);
    eprintln!("wrote {}", path.display());
    (path, summary)
}

async fn synced_world() -> World {
    let mut w = world().await;
    // KWD (3 decimals) and bank ids; JPY (0 decimals), no ids, twins; EUR over two redirects.
    for connector in [-1, 101, 973] {
        let conn = w.connect(connector, &[]).await;
        let opts = w.opts();
        let (_, outcome) =
            sync::sync_connection(&mut w.store, &w.client, conn, Scope::Transactions, &opts).await.unwrap();
        assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    }
    w
}

/// The latest booked balance the bank reported (closing or interim booked).
fn bank_booked(store: &Store, account: i64) -> Option<Decimal> {
    let b = store.latest_balances(account).unwrap();
    ["CLBD", "ITBD"].iter().find_map(|t| b.iter().find(|x| x.balance_type == *t)).map(|x| x.amount)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a hostile text must come back out of each tool.
fn rendered(format: Format, text: &str) -> String {
    match format {
        Format::Csv if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{text}"),
        Format::Csv | Format::Json | Format::Jsonl => text.to_owned(),
        Format::Ledger => one_line(text).replace(';', ","),
        _ => one_line(text),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_format_is_read_back_by_its_tool_with_the_same_counts_and_exact_sums() {
    let Some(py) = python() else { return };
    let w = synced_world().await;
    let accounts: Vec<_> = w.store.accounts(None, true).unwrap().into_iter().filter(|a| a.enabled).collect();
    assert!(accounts.len() >= 6, "three banks' accounts, all enabled: {}", accounts.len());
    let currencies: BTreeSet<_> = accounts.iter().map(|a| a.currency.as_str()).collect();
    assert!(currencies.contains("KWD") && currencies.contains("JPY"), "3- and 0-decimal currencies are covered");
    // (count, exact sum, the bank's latest booked balance) per account, in export order.
    let expected: Vec<(u64, Decimal, Option<Decimal>)> = accounts
        .iter()
        .map(|a| {
            let all = DateRange::default();
            (w.store.span(a.id, all).unwrap().count, w.store.sum(a.id, all).unwrap(), bank_booked(&w.store, a.id))
        })
        .collect();
    let total: u64 = expected.iter().map(|e| e.0).sum();
    let hostile: Vec<&str> = saldo_sandbox::data::HOSTILE_TEXTS
        .iter()
        .copied()
        .filter(|h| contains_description(&w.store, &accounts, h))
        .collect();
    assert!(hostile.len() >= 8, "the data holds hostile texts to escape: {hostile:?}");

    for format in Format::ALL {
        let (file, summary) = write(&w.store, &ExportOptions::new(format, Utc::now()), &w.dir);
        assert_eq!(
            summary,
            ExportSummary { accounts: accounts.len(), transactions: total },
            "{format:?}: every row written"
        );
        let seen = read(&py, format.as_str(), &file)
            .unwrap_or_else(|e| panic!("{format:?}: the tool refused the export: {e}"));
        // CSV has no account records: an account without transactions is absent.
        let want: Vec<_> = expected.iter().filter(|e| format != Format::Csv || e.0 > 0).collect();
        assert_eq!(seen.accounts.len(), want.len(), "{format:?}: one account each, in order: {:?}", seen.accounts);
        for ((key, count, sum, balance), (n, s, booked)) in seen.accounts.iter().zip(want) {
            assert_eq!(count, n, "{format:?} {key}: same number of transactions as the store");
            assert_eq!(sum, s, "{format:?} {key}: R17 exact sum, digit for digit");
            if matches!(format, Format::Beancount | Format::Ledger | Format::Ofx) {
                if let Some(b) = booked {
                    assert_eq!(
                        balance.as_ref(),
                        Some(b),
                        "{format:?} {key}: the account's balance in the file is the bank's booked balance"
                    );
                }
            }
        }
        for h in &hostile {
            let r = rendered(format, h);
            assert!(
                seen.texts.iter().any(|t| t.contains(&r)),
                "{format:?}: the hostile text {h:?} comes back as {r:?}; the tool saw e.g. {:?}",
                seen.texts.iter().take(5).collect::<Vec<_>>()
            );
        }
    }
}

fn contains_description(store: &Store, accounts: &[saldo_store::accounts::Account], text: &str) -> bool {
    let mut found = false;
    for a in accounts {
        store
            .for_each_transaction::<saldo_store::StoreError>(a.id, DateRange::default(), |t| {
                found |= t.description.as_deref() == Some(text);
                Ok(())
            })
            .unwrap();
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_export_is_a_valid_file_in_every_format() {
    let Some(py) = python() else { return };
    let mut w = world().await;
    for format in Format::ALL {
        let (file, summary) = write(&w.store, &ExportOptions::new(format, Utc::now()), &w.dir);
        assert_eq!(summary, ExportSummary::default(), "{format:?}: nothing connected, nothing written");
        let seen =
            read(&py, format.as_str(), &file).unwrap_or_else(|e| panic!("{format:?}: an empty export is refused: {e}"));
        assert!(seen.accounts.is_empty(), "{format:?}: no accounts: {:?}", seen.accounts);
    }
    // Accounts, but a date range without any transaction.
    w.connect(-1, &[]).await;
    let opts = w.opts();
    sync::sync_connection(&mut w.store, &w.client, 1, Scope::Transactions, &opts).await.unwrap();
    for format in Format::ALL {
        let mut o = ExportOptions::new(format, Utc::now());
        o.range = DateRange { from: NaiveDate::from_ymd_opt(1990, 1, 1), to: NaiveDate::from_ymd_opt(1990, 12, 31) };
        let (file, summary) = write(&w.store, &o, &w.dir);
        assert_eq!(summary, ExportSummary { accounts: 3, transactions: 0 }, "{format:?}");
        let seen = read(&py, format.as_str(), &file)
            .unwrap_or_else(|e| panic!("{format:?}: an export of accounts without rows is refused: {e}"));
        assert!(seen.accounts.iter().all(|a| a.1 == 0), "{format:?}: no rows in 1990");
    }
}

/// A transaction as the gateway sends it.
fn tx(id: &str, date: &str, amount: &str, name: &str, text: &str) -> saldo_gateway::Transaction {
    serde_json::from_value(serde_json::json!({
        "transactionId": id, "amount": serde_json::value::RawValue::from_string(amount.to_owned()).unwrap(),
        "currency": "EUR", "counterpartName": name, "description": text,
        "remittanceInformation": {"unstructured": text}, "executionDate": date, "valueDate": date
    }))
    .unwrap()
}

fn booked(date: &str, amount: &str) -> saldo_gateway::Balance {
    serde_json::from_value(serde_json::json!({
        "balanceType": "CLBD", "rawBalanceType": "closingBooked", "referenceDate": date,
        "balanceAmount": {"currency": "EUR", "amount": serde_json::value::RawValue::from_string(amount.to_owned()).unwrap()}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn awkward_text_extra_decimals_and_balance_history_survive_every_tool() {
    let Some(py) = python() else { return };
    let mut w = world().await;
    let conn = w.connect(-1, &[]).await;
    let account = w.store.accounts(Some(conn), false).unwrap()[0].id;
    for other in w.store.accounts(Some(conn), false).unwrap().iter().skip(1) {
        w.store.set_account_enabled(other.id, false, Utc::now()).unwrap();
    }
    let awkward = [
        tx("T1", "2026-01-05", "-12.50", "Pipe | Name; x", "(not a code) semi;colon | pipe \\ back \"q\""),
        tx("T2", "2026-01-05", "0.005", "Micro", "R17: a bank sent three decimals"),
        tx("T3", "2026-01-06", "0.00", "", "zero\namount\r\nacross lines"),
        tx("T4", "2026-01-09", "100", "^ caret", "^ a line that starts like a QIF record end"),
    ];
    let run = w
        .store
        .start_sync_run(
            conn,
            saldo_store::states::SyncScope::Transactions,
            saldo_store::states::Trigger::User,
            Utc::now(),
        )
        .unwrap();
    w.store.commit_page(&saldo_store::transactions::PageCommit::new(conn, account, run, &awkward), Utc::now()).unwrap();
    // Booked balances: 1000 before the history, then one consistent with it
    // (1000 - 12.50 + 0.005 = 987.505 on the 5th), one that is not (a bank
    // correction on the 7th), and the latest (1087.505 on the 9th).
    for (date, amount) in
        [("2026-01-04", "1000.00"), ("2026-01-05", "987.505"), ("2026-01-07", "5.00"), ("2026-01-09", "1087.505")]
    {
        w.store.insert_balances(account, Some(run), &[booked(date, amount)], Utc::now()).unwrap();
    }
    for format in Format::ALL {
        let (file, summary) = write(&w.store, &ExportOptions::new(format, Utc::now()), &w.dir);
        assert_eq!(summary, ExportSummary { accounts: 1, transactions: 4 }, "{format:?}");
        let seen = read(&py, format.as_str(), &file).unwrap_or_else(|e| panic!("{format:?}: refused: {e}"));
        assert_eq!(seen.accounts.len(), 1, "{format:?}");
        let (_, count, sum, balance) = &seen.accounts[0];
        assert_eq!((*count, *sum), (4, "87.505".parse().unwrap()), "{format:?}: R17 the third decimal is kept");
        if matches!(format, Format::Beancount | Format::Ledger | Format::Ofx) {
            assert_eq!(balance, &Some("1087.505".parse().unwrap()), "{format:?}: ends on the bank's balance");
        }
        let r = rendered(format, "(not a code) semi;colon | pipe \\ back \"q\"");
        assert!(seen.texts.iter().any(|t| t.contains(&r)), "{format:?}: {r:?} in {:?}", seen.texts);
        let text = std::fs::read_to_string(&file).unwrap();
        if matches!(format, Format::Beancount | Format::Ledger) {
            assert!(text.contains("2026-01-07: the bank reported a booked balance of 5.00 EUR but the history gives 987.505 EUR: not asserted"), "{format:?}: an inconsistent balance is a comment, not an assertion:\n{text}");
            let asserted = if format == Format::Beancount {
                text.lines().filter(|l| l.split_whitespace().nth(1) == Some("balance")).count()
            } else {
                text.matches("0 EUR = ").count()
            };
            assert_eq!(asserted, 3, "{format:?}: the three consistent balances are asserted:\n{text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_are_stable_across_exports_so_reimports_do_not_duplicate() {
    let mut w = world().await;
    let conn = w.connect(101, &[]).await; // no bank ids: fingerprints and twins
    let opts = w.opts();
    sync::sync_connection(&mut w.store, &w.client, conn, Scope::Transactions, &opts).await.unwrap();
    let ids = |store: &Store| -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        export(store, &ExportOptions::new(Format::Jsonl, Utc::now()), &mut buf).unwrap();
        for line in String::from_utf8(buf).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["type"] == "transaction" {
                out.push((format!("{}/{}", v["account_id"], v["id"]), v["amount"].as_str().unwrap().to_owned()));
            }
        }
        out
    };
    let first = ids(&w.store);
    let unique: BTreeSet<_> = first.iter().map(|x| &x.0).collect();
    assert_eq!(unique.len(), first.len(), "R16: every transaction, twins included, has its own id");
    w.sb.advance_clock(chrono::Duration::days(3));
    sync::sync_connection(&mut w.store, &w.client, conn, Scope::Transactions, &opts).await.unwrap();
    let second = ids(&w.store);
    assert!(second.len() > first.len(), "three days later there is more history");
    for x in &first {
        assert!(second.contains(x), "the id of {x:?} is the same in the later export (OFX FITID, JSON id)");
    }
}

#[test]
fn broken_files_are_refused_by_the_validators() {
    let Some(py) = python() else { return };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export-broken");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let format = name.split('-').next().unwrap();
        let r = read(&py, format, &path);
        assert!(r.is_err(), "{name}: a broken {format} file must be refused, the tool saw {r:?}");
        checked += 1;
    }
    assert!(checked >= 7, "a broken fixture per format: {checked}");
}

#[test]
fn bad_options_are_clear_errors() {
    let tmp = tempfile::Builder::new().prefix("saldo-export-opts-").tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let store = Store::open(&dir.join("saldo.db"), &saldo_vault::DbKey::generate().unwrap()).unwrap();
    let mut o = ExportOptions::new(Format::Beancount, Utc::now());
    o.expense_account = "spending".into();
    let e = export(&store, &o, &mut Vec::new()).unwrap_err().to_string();
    assert!(e.contains("not a usable account name"), "{e}");
    let mut o = ExportOptions::new(Format::Csv, Utc::now());
    o.accounts = vec![42];
    let e = export(&store, &o, &mut Vec::new()).unwrap_err().to_string();
    assert!(e.contains("there is no account 42"), "{e}");
    assert!("xlsx".parse::<Format>().unwrap_err().to_string().contains("use one of csv, json"));
}

#[cfg(unix)]
#[tokio::test]
async fn exports_are_private_keep_a_replaced_files_mode_and_never_follow_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let w = synced_world().await;
    let dir = tempfile::tempdir().unwrap();
    let opts = ExportOptions::new(Format::Csv, Utc::now());
    let new = dir.path().join("new.csv");
    saldo_core::export::export_to_file(&w.store, &opts, &new).unwrap();
    assert_eq!(mode(&new), 0o600, "a new export is readable by its owner only");
    let shared = dir.path().join("shared.csv");
    std::fs::write(&shared, "old").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
    saldo_core::export::export_to_file(&w.store, &opts, &shared).unwrap();
    assert_eq!(mode(&shared), 0o640, "a replaced file keeps the mode its owner chose");
    assert_ne!(std::fs::read_to_string(&shared).unwrap(), "old");
    // Someone left a symlink where the temporary file goes: it is not followed.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join(".books.csv.saldo-partial")).unwrap();
    saldo_core::export::export_to_file(&w.store, &opts, &dir.path().join("books.csv")).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched", "the symlink's target was not written");
}

#[tokio::test]
async fn a_currency_that_is_not_a_code_is_refused_at_ingest_and_no_directive_reaches_a_journal() {
    let config = saldo_sandbox::SandboxConfig { hostile_currency: true, ..Default::default() };
    let mut w = support::world_with(config).await;
    let conn = w.connect(-1, &[]).await;
    let opts = w.opts();
    let (_, outcome) = sync::sync_connection(&mut w.store, &w.client, conn, Scope::Transactions, &opts).await.unwrap();
    let Outcome::Completed { flagged_transactions, .. } = &outcome else { panic!("{outcome:?}") };
    assert!(*flagged_transactions > 0, "the hostile rows are counted: {outcome:?}");
    assert!(outcome.summary().contains("refused: their currency is not a currency code"), "{}", outcome.summary());
    let dir = tempfile::tempdir().unwrap();
    for format in [Format::Beancount, Format::Ledger] {
        let (path, _) = write(&w.store, &ExportOptions::new(format, Utc::now()), dir.path());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("Assets:Evil"), "{format:?}: no directive from bank text");
        if let Some(py) = python() {
            read(&py, format.as_str(), &path).unwrap_or_else(|e| panic!("{format:?} still checks: {e}"));
        }
    }
}

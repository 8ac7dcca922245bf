//! `saldo statement FILE`: a bank statement file read and its balances
//! checked before anything is imported (issue 17). Real files from
//! `../shared/corpus/` and small hand-written ones; no database is touched.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

fn corpus(rel: &str) -> PathBuf {
    saldo_statements::corpus_dir().unwrap().join(rel)
}

fn saldo(args: &[&str]) -> Output {
    saldo_in(&tempfile::tempdir().unwrap().path().join("data"), args)
}

/// `saldo` with its data directory at `data`.
fn saldo_in(data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saldo"))
        .args(args)
        .env("SALDO_DATA_DIR", data)
        .env_remove("SALDO_GATEWAY_URL")
        .output()
        .unwrap()
}

/// R17: a statement's balances are checked exactly; the JSON carries every
/// entry with its exact amount as text and the check.
#[test]
fn a_statement_file_is_read_and_its_balances_checked_without_any_database() {
    saldo_statements::require_corpus!();
    let file = corpus("genkgo-camt/camt053.v2.multi.statement.xml");
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let o = saldo_in(&data, &["statement", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!data.exists(), "reading a statement creates no data directory, no database");
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.matches("The balances add up").count(), 2, "two statements, both adding up: {text}");

    let o = saldo(&["--json", "statement", file.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let statements = v["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[0]["account"]["iban"], "NL26VAYB8060476890");
    assert_eq!(statements[0]["entries"][0]["amount"], "8.85", "amounts are exact decimal strings");
    assert_eq!(statements[0]["check"]["difference"], "0.00");
    assert_eq!(statements[1]["check"]["sum"], "-7.00");
}

/// A statement whose balances do not chain (a missing entry, a wrong sign)
/// is flagged with the exact difference, and so is a gap between two
/// statements of one account.
#[test]
fn balances_that_do_not_chain_are_flagged_with_the_exact_difference() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("broken.sta");
    std::fs::write(
        &file,
        ":20:STMT1\r\n:25:NL91ABNA0417164300\r\n:28C:1/1\r\n:60F:C260301EUR100,00\r\n:61:2603020302D20,50NTRFNONREF\r\n:86:Bakery\r\n:62F:C260302EUR79,50\r\n-\r\n\
         :20:STMT2\r\n:25:NL91ABNA0417164300\r\n:28C:3/1\r\n:60F:C260305EUR90,00\r\n:61:2603060306C5,00NTRFNONREF\r\n:86:Refund\r\n:62F:C260306EUR95,01\r\n-\r\n",
    )
    .unwrap();
    let o = saldo(&["statement", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("The balances add up"), "the first one does: {text}");
    assert!(text.contains("opening + entries − closing = -0.01"), "the second is off by exactly a cent: {text}");
    assert!(text.contains("Gap: this statement opens 10.50 away"), "statement 2 is missing: {text}");
}

/// A file that is not a statement is refused with a sentence and exit code 2.
#[test]
fn a_file_that_is_not_a_statement_is_refused_clearly() {
    saldo_statements::require_corpus!();
    let file = corpus("genkgo-camt/camt053.v2.wrong.xml");
    let o = saldo(&["statement", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the file cannot be read"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = saldo(&["statement", "--format", "pdf", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown statement format"));
}

/// `saldo` on a passphrase-protected install (the suite's cheap one).
fn saldo_at(data: &std::path::Path, pass: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_saldo"));
    c.arg("--data-dir").arg(data).arg("--passphrase-file").arg(pass);
    c.env_remove("SALDO_GATEWAY_URL").env_remove("SALDO_DATA_DIR").env_remove("SALDO_PASSPHRASE_FILE");
    c
}

fn json_of(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// An MT940 amount: `C`/`D` and a decimal comma.
fn mt940_amount(amount: &str) -> String {
    let (mark, digits) = amount.strip_prefix('-').map_or(("C", amount), |a| ("D", a));
    let digits = if digits.contains('.') { digits.replace('.', ",") } else { format!("{digits},") };
    format!("{mark}{digits}")
}

/// Issue 17's preview, read only: a statement file of a synced account is
/// compared entry by entry with what the bank already sent — rows already
/// here are recognised, a payment only the file has is new, and an identical
/// twin of a stored row is new as well (R16: twins stay two); nothing is
/// written.
#[tokio::test]
async fn a_statement_is_compared_with_the_synced_rows_of_its_account_before_any_import() {
    let (_tmp, data, pass) = support::home();
    let mut c = saldo_at(&data, &pass);
    c.args(["connect", "-1"]);
    drop(support::approve_connect(c).await);
    let accounts = json_of(&saldo_at(&data, &pass).args(["accounts", "--json"]).output().unwrap());
    let account =
        accounts.as_array().unwrap().iter().find(|a| a["iban"].is_string() && a["currency"] == "EUR").unwrap().clone();
    let id = account["id"].to_string();
    assert!(saldo_at(&data, &pass).args(["accounts", "enable", &id]).output().unwrap().status.success());
    assert!(saldo_at(&data, &pass).arg("sync").output().unwrap().status.success());
    let rows = json_of(
        &saldo_at(&data, &pass).args(["transactions", "--account", &id, "--limit", "5", "--json"]).output().unwrap(),
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 5);

    // The bank's own statement of those five days: the five rows, a payment
    // the API never sent, and a second, identical copy of the first row.
    let iban = account["iban"].as_str().unwrap();
    let mut sta = format!(":20:STMT\r\n:25:{iban}\r\n:28C:1/1\r\n:60F:C260101EUR0,00\r\n");
    let mut line = |date: &str, amount: &str, name: &str| {
        let d = date.replace('-', "");
        sta.push_str(&format!(
            ":61:{}{}{}NTRFNONREF\r\n:86:/NAME/{name}/REMI/x/\r\n",
            &d[2..],
            &d[4..],
            mt940_amount(amount)
        ));
    };
    for r in rows {
        line(
            r["booking_date"].as_str().unwrap(),
            r["amount"].as_str().unwrap(),
            r["counterparty_name"].as_str().unwrap_or("Someone"),
        );
    }
    line("2026-01-15", "-77.70", "Only In The File");
    line(
        rows[0]["booking_date"].as_str().unwrap(),
        rows[0]["amount"].as_str().unwrap(),
        rows[0]["counterparty_name"].as_str().unwrap_or("Someone"),
    );
    sta.push_str("-\r\n");
    let file = data.parent().unwrap().join("bank.sta");
    std::fs::write(&file, sta).unwrap();
    let all =
        || json_of(&saldo_at(&data, &pass).args(["transactions", "--limit", "100000", "--json"]).output().unwrap());
    let before = all();

    let out = json_of(&saldo_at(&data, &pass).args(["--json", "statement", "--match"]).arg(&file).output().unwrap());
    let s = &out["statements"][0];
    assert_eq!(s["compared_with"].to_string(), id, "the account whose IBAN the file names");
    let statuses: Vec<&str> = s["matches"].as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["known", "known", "known", "known", "known", "new", "new"], "{}", s["matches"]);
    let ids: Vec<String> = s["matches"].as_array().unwrap()[..5].iter().map(|m| m["id"].to_string()).collect();
    let stored: Vec<String> = rows.iter().map(|r| r["id"].to_string()).collect();
    let mut a = ids.clone();
    let mut b = stored.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b, "each stored row matched once");
    assert_eq!(all(), before, "nothing was written");

    let text = String::from_utf8_lossy(
        &saldo_at(&data, &pass).args(["statement", "--match"]).arg(&file).output().unwrap().stdout,
    )
    .into_owned();
    assert!(text.contains(&format!("Against account {id}: 2 new, 5 already here, 0 to check")), "{text}");
}

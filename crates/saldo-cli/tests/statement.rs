//! `saldo statement FILE`: a bank statement file read and its balances
//! checked before anything is imported (issue 17). Real files from
//! `../shared/corpus/` and small hand-written ones; no database is touched.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;
use std::process::{Command, Output};

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus")).join(rel)
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

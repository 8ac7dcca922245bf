//! Online backups of the encrypted store: consistent while another
//! connection writes, still encrypted, and refused when damaged, truncated
//! or from a newer schema (issue 16).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use saldo_store::backup::{manifest_of, verify, Manifest};
use saldo_store::transactions::PageCommit;
use saldo_store::{Store, StoreError, LATEST_VERSION};
use saldo_vault::DbKey;
use support::{now, seeded, store, tx};

fn page(i: u32) -> Vec<saldo_gateway::Transaction> {
    (0..10)
        .map(|j| {
            let n = i * 10 + j;
            tx(
                Some(&format!("t{n}")),
                (2026, 1 + (n % 12), 1 + (n % 28)),
                &format!("-{}.{:02}", n % 500, n % 100),
                "EUR",
                "Zebulon Quartermaine",
                "Very Secret Groceries",
            )
        })
        .collect()
}

/// A store with two accounts and some history; returns (store, key, db, dir, conn, accounts).
fn filled(tag: &str) -> (Store, DbKey, std::path::PathBuf, tempfile::TempDir, i64, Vec<i64>) {
    let (mut s, key, path, dir) = store(tag);
    let (conn, accts) = seeded(&mut s, &[("A1", "EUR"), ("A2", "EUR")]);
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    for i in 0..20 {
        s.commit_page(&PageCommit::new(conn, accts[(i % 2) as usize], run, &page(i)), now()).unwrap();
    }
    (s, key, path, dir, conn, accts)
}

/// R16, R17: a backup taken while another connection commits pages in a
/// loop is one instant of the database: its manifest (computed from the
/// copy) is exact and the copy verifies against it; the writer was never
/// blocked for long.
#[test]
fn a_backup_while_another_connection_writes_is_consistent() {
    let (s, key, path, dir, conn, accts) = filled("online");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let path = path.clone();
        let key = key.clone();
        let account = accts[0];
        std::thread::spawn(move || {
            let mut w = Store::open(&path, &key).unwrap();
            let run = w
                .start_sync_run(
                    conn,
                    saldo_store::states::SyncScope::Transactions,
                    saldo_store::states::Trigger::User,
                    now(),
                )
                .unwrap();
            let mut i = 1000;
            while !stop.load(Ordering::Relaxed) {
                w.commit_page(&PageCommit::new(conn, account, run, &page(i)), now()).unwrap();
                i += 1;
            }
            i - 1000
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    let mut manifests: Vec<(std::path::PathBuf, Manifest)> = Vec::new();
    for n in 0..4 {
        let dest = dir.path().join(format!("copy-{n}.db"));
        let m = s.backup_to(&dest, now()).unwrap();
        manifests.push((dest, m));
    }
    stop.store(true, Ordering::Relaxed);
    let pages_written = writer.join().unwrap();
    assert!(pages_written > 0, "the writer committed pages during the backups");
    for (dest, m) in &manifests {
        verify(dest, &key, m).expect("a copy made during writes verifies against its own manifest");
        let a0 = &m.accounts[0];
        assert_eq!(a0.transactions % 10, 0, "R16: only whole pages are in the copy (a page is one transaction)");
        assert_eq!(m.totals.transactions, m.accounts.iter().map(|a| a.transactions).sum::<i64>());
        assert_eq!(m.schema_version, LATEST_VERSION);
        assert!(!std::path::Path::new(&format!("{}-wal", dest.display())).exists(), "one self-contained file");
        let copy = Store::open(dest, &key).expect("the copy opens with the same key");
        assert_eq!(copy.transaction_count(accts[1]).unwrap(), 100, "the other account is complete");
    }
    let first = &manifests[0].1;
    assert_eq!(
        first.accounts[1].sums.get("EUR"),
        Some(&exact_sum(1)),
        "R17: the manifest's sum is the exact decimal sum of the account's amounts"
    );
}

/// The exact sum of the first 20 pages' amounts of one parity (the pages
/// of one account, see `filled`), as a decimal string.
fn exact_sum(parity: u32) -> String {
    let mut total = rust_decimal::Decimal::ZERO;
    for i in (0..20).filter(|i| i % 2 == parity) {
        for t in page(i) {
            total += t.amount.value();
        }
    }
    total.normalize().to_string()
}

/// The copy is as unreadable as the database (the same check as
/// `store.rs`'s): no transaction text, no SQLite header, no schema text.
#[test]
fn a_backup_holds_no_plaintext() {
    let (s, _key, _path, dir, _, _) = filled("plain");
    let dest = dir.path().join("copy.db");
    s.backup_to(&dest, now()).unwrap();
    let raw = std::fs::read(&dest).unwrap();
    for needle in ["Zebulon", "Quartermaine", "Secret Groceries", "CREATE TABLE", "SQLite format 3", "ctx-0"] {
        assert!(!raw.windows(needle.len()).any(|w| w == needle.as_bytes()), "no plaintext {needle:?} in the backup");
    }
    assert!(matches!(Store::open(&dest, &DbKey::generate().unwrap()), Err(StoreError::WrongKey)), "another key fails");
}

/// A truncated copy, a flipped bit, a copy that does not match its
/// manifest and one from a newer schema are each refused with a clear error.
#[test]
fn damaged_truncated_and_newer_backups_are_refused() {
    let (s, key, _path, dir, _, _) = filled("bad");
    let good = dir.path().join("good.db");
    let manifest = s.backup_to(&good, now()).unwrap();
    verify(&good, &key, &manifest).unwrap();

    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let e = verify(&truncated, &key, &manifest).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt(_) | StoreError::Sqlite(_)), "a truncated copy is refused: {e}");

    let flipped = dir.path().join("flipped.db");
    let mut b = bytes.clone();
    let at = b.len() - 4096 - 100; // inside a data page, not the first
    b[at] ^= 0x10;
    std::fs::write(&flipped, &b).unwrap();
    let e = verify(&flipped, &key, &manifest).unwrap_err();
    assert!(e.to_string().contains("damaged") || matches!(e, StoreError::Sqlite(_)), "a flipped bit is refused: {e}");

    let mut other = manifest.clone();
    other.accounts[0].transactions += 1;
    let e = verify(&good, &key, &other).unwrap_err();
    assert!(e.to_string().contains("does not match its manifest"), "counts must equal the manifest: {e}");
    let mut other = manifest.clone();
    other.accounts[1].sums.insert("EUR".into(), "0.01".into());
    assert!(verify(&good, &key, &other).is_err(), "R17: sums must equal the manifest exactly");

    assert!(matches!(verify(&good, &DbKey::generate().unwrap(), &manifest), Err(StoreError::WrongKey)), "another key");

    // A copy from a newer Saldo: its schema version is beyond this build's.
    let newer = dir.path().join("newer.db");
    std::fs::copy(&good, &newer).unwrap();
    let c = Store::keyed_connection(&newer, &key).unwrap();
    c.execute_batch(&format!("PRAGMA user_version = {}", LATEST_VERSION + 1)).unwrap();
    drop(c);
    let m = manifest_of(&newer, &key, now()).unwrap();
    let e = verify(&newer, &key, &m).unwrap_err();
    assert!(matches!(e, StoreError::TooNew { .. }), "a newer schema is refused: {e}");
}

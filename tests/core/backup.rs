//! Nothing lost (issue 16), through the core both shells call: a backup
//! opens with the passphrase of its time after the passphrase changed; the
//! key settings (keyring ↔ passphrase) keep the recovery code working;
//! restoring over newer data needs consent and keeps the old database
//! aside. A real sandbox gateway, a real encrypted store; the keyring test
//! uses the real OS keyring (run under `scripts/with-keyring`).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::path::Path;

use saldo_core::backup::{self, Protect, RestoreOptions, Secret};
use saldo_core::session::{KeySource, Protection, Session, SessionConfig};
use saldo_core::sync::{self, Scope, SyncOptions};
use saldo_store::queries::TxQuery;
use saldo_vault::{KeyringStore, MemoryStore, Passphrase, RecoveryCode, SecretStore};

/// Small Argon2id costs for the passphrases a restore sets.
const FAST: Option<(u32, u32)> = Some((1024, 1));

fn pass(p: &str) -> Passphrase {
    Passphrase::new(p.to_owned()).unwrap()
}

fn open(dir: &Path, key: KeySource, gw: &saldo_sandbox::SandboxHandle) -> saldo_core::Result<Session> {
    let config =
        SessionConfig { data_dir: dir.to_path_buf(), key, gateway: Some(url::Url::parse(gw.base_url()).unwrap()) };
    Session::open_with(config, &MemoryStore::default())
}

/// Every transaction as (id, date, amount, currency, account), in order.
fn rows(s: &Session) -> Vec<String> {
    let mut q = TxQuery { limit: 500, ..TxQuery::default() };
    let mut out = Vec::new();
    loop {
        let page = s.store.transactions_page(&q).unwrap();
        out.extend(
            page.rows
                .iter()
                .map(|r| format!("{} {} {} {} {}", r.id, r.booking_date, r.amount, r.currency, r.account_id)),
        );
        match page.next {
            Some(c) => q.after = Some(c),
            None => return out,
        }
    }
}

/// A bank connected and synced through the session's own store.
async fn connect_and_sync(s: &mut Session, dir: &Path) {
    let client = s.client().unwrap().clone();
    let conn = support::connect_store(&mut s.store, &client, -1, &[]).await;
    let mut opts = SyncOptions::new(&dir.join("locks"));
    opts.backoff = std::time::Duration::from_millis(20);
    sync::sync_connection(&mut s.store, &client, conn, Scope::Transactions, &opts).await.unwrap();
}

fn the_backup(dir: &Path) -> std::path::PathBuf {
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.pop().unwrap()
}

/// A backup opens with the passphrase the install had when it was made,
/// even after the passphrase changed; the restored install takes a new
/// passphrase, and the old one does not open it. Every transaction comes
/// back, with its identity (R16) and exact amount (R17).
#[tokio::test]
async fn a_backup_opens_with_the_passphrase_of_its_time_and_the_restore_takes_a_new_one() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, folder) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("backups"));
    let mut first = open(&a, KeySource::Passphrase(pass("first passphrase")), &sb).unwrap();
    connect_and_sync(&mut first, &a).await;
    let expected = rows(&first);
    assert!(expected.len() > 50, "a synced history: {}", expected.len());
    backup::backup_now(&first, Some(&folder)).unwrap();
    backup::change_passphrase(&mut first, pass("second passphrase")).unwrap();
    drop(first);
    assert!(
        open(&a, KeySource::Passphrase(pass("second passphrase")), &sb).is_ok(),
        "the new passphrase opens the install"
    );

    let file = the_backup(&folder);
    let wrong = backup::restore(
        &b,
        &file,
        Secret::Passphrase(pass("second passphrase")),
        &MemoryStore::default(),
        RestoreOptions {
            protect: Protect::Passphrase(pass("third passphrase")),
            overwrite_newer: false,
            kdf_costs: FAST,
        },
    );
    assert!(wrong.is_err(), "the backup was made under the first passphrase");
    assert!(!b.join("saldo.db").exists(), "a refused restore writes no database");

    let info = backup::restore(
        &b,
        &file,
        Secret::Passphrase(pass("first passphrase")),
        &MemoryStore::default(),
        RestoreOptions {
            protect: Protect::Passphrase(pass("third passphrase")),
            overwrite_newer: false,
            kdf_costs: FAST,
        },
    )
    .unwrap();
    assert_eq!(info.protection, Protection::Passphrase);
    assert!(info.kept_aside.is_none(), "there was nothing to keep aside");
    let err = open(&b, KeySource::Passphrase(pass("first passphrase")), &sb).err().unwrap();
    assert!(err.is_wrong_key(), "the restored install is re-keyed to its new passphrase: {err}");
    let restored = open(&b, KeySource::Passphrase(pass("third passphrase")), &sb).unwrap();
    assert_eq!(rows(&restored), expected, "every transaction is back, as it was");
}

/// Moving between the keyring and a passphrase re-keys the database; the
/// recovery code made before keeps opening backups made after, and a
/// restore on a second install with an empty keyring entry puts the key
/// there.
#[tokio::test]
async fn key_settings_keep_the_recovery_code_working() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, folder) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("backups"));
    let ring_a = KeyringStore::for_database(&a.join("saldo.db"));
    let ring_b = KeyringStore::for_database(&b.join("saldo.db"));
    let config = |dir: &Path| SessionConfig {
        data_dir: dir.to_path_buf(),
        key: KeySource::Keyring,
        gateway: Some(url::Url::parse(sb.base_url()).unwrap()),
    };
    let mut first = Session::open_with(config(&a), &ring_a).unwrap();
    connect_and_sync(&mut first, &a).await;
    let expected = rows(&first);
    let code = backup::recovery_code_with(&first, 1024, 1).unwrap();

    backup::switch_to_passphrase(&mut first, pass("a passphrase now")).unwrap();
    assert_eq!(first.protection(), Protection::Passphrase);
    assert!(ring_a.get().unwrap().is_none(), "the keyring entry is gone once a passphrase protects the data");
    backup::backup_now(&first, Some(&folder)).unwrap();
    backup::switch_to_keyring(&mut first).unwrap();
    drop(first);
    let again = Session::open_with(config(&a), &ring_a).unwrap();
    assert_eq!(again.protection(), Protection::Keyring, "back in the keyring, and it opens");
    assert_eq!(rows(&again), expected);
    drop(again);

    assert!(ring_b.get().unwrap().is_none(), "the second install starts with an empty keyring entry");
    backup::restore(
        &b,
        &the_backup(&folder),
        Secret::RecoveryCode(RecoveryCode::parse(code.expose()).unwrap()),
        &ring_b,
        RestoreOptions { protect: Protect::Keyring, overwrite_newer: false, kdf_costs: FAST },
    )
    .unwrap();
    let restored = Session::open_with(config(&b), &ring_b).unwrap();
    assert_eq!(rows(&restored), expected, "the code made before the switches opened the backup made between them");
    drop(restored);
    ring_a.delete().ok();
    ring_b.delete().ok();
}

/// Restoring over an install whose data changed after the backup asks
/// first (nothing touched without consent), then keeps the replaced
/// database aside.
#[tokio::test]
async fn restoring_over_newer_data_needs_consent_and_keeps_it_aside() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (a, folder) = (tmp.path().join("a"), tmp.path().join("backups"));
    let key = || KeySource::Passphrase(pass("one passphrase"));
    let mut s = open(&a, key(), &sb).unwrap();
    let at_backup = rows(&s);
    backup::backup_now(&s, Some(&folder)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100)); // file times have a one-second grain on some systems
    connect_and_sync(&mut s, &a).await;
    let newer = rows(&s);
    assert!(newer.len() > at_backup.len());
    drop(s);

    let db = a.join("saldo.db");
    let digest = |p: &Path| std::fs::read(p).map(|b| sha2_hex(&b)).unwrap_or_default();
    let before = digest(&db);
    let options = |overwrite_newer| RestoreOptions {
        protect: Protect::Passphrase(pass("one passphrase")),
        overwrite_newer,
        kdf_costs: FAST,
    };
    let refused = backup::restore(
        &a,
        &the_backup(&folder),
        Secret::Passphrase(pass("one passphrase")),
        &MemoryStore::default(),
        options(false),
    );
    assert!(refused.is_err(), "newer data is not replaced without consent");
    assert_eq!(digest(&db), before, "and the database was not touched");

    let info = backup::restore(
        &a,
        &the_backup(&folder),
        Secret::Passphrase(pass("one passphrase")),
        &MemoryStore::default(),
        options(true),
    )
    .unwrap();
    let aside = info.kept_aside.expect("the replaced database is kept");
    assert!(aside.exists(), "{} exists", aside.display());
    let restored = open(&a, key(), &sb).unwrap();
    assert_eq!(rows(&restored), at_backup, "the backup's data is back");
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

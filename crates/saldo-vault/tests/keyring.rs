//! The OS keyring, for real: these tests need a Secret Service (scripts/test
//! runs them inside `dbus-run-session` with `gnome-keyring-daemon`). Without
//! one they fail when `SALDO_REQUIRE_KEYRING=1` (as in CI), else they skip
//! with a message.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use saldo_vault::{DbKey, KeyringStore, SecretStore, VaultError};

/// Keyring tests run one at a time (a fresh Secret Service can refuse
/// concurrent first items).
static KEYRING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn keyring_or_skip(store: &KeyringStore) -> bool {
    match store.get() {
        Ok(_) => true,
        Err(VaultError::KeyringUnavailable(e)) if std::env::var("SALDO_REQUIRE_KEYRING").as_deref() != Ok("1") => {
            eprintln!("skipped: no Secret Service ({e}); run under scripts/test");
            false
        }
        Err(e) => panic!("the keyring must be reachable here: {e}"),
    }
}

#[test]
fn a_key_stored_in_the_keyring_is_read_back_by_another_process() {
    let _serial = KEYRING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let tmp = tempfile::Builder::new().prefix("saldo-keyring-").tempdir().unwrap();
    let db = match std::env::var("SALDO_CHILD_DB") {
        Ok(db) => std::path::PathBuf::from(db), // the child opens the parent's entry
        Err(_) => tmp.path().join("saldo.db"),
    };
    let store = KeyringStore::for_database(&db);
    if !keyring_or_skip(&store) {
        return;
    }
    if let Ok(hex) = std::env::var("SALDO_CHILD_EXPECT_KEY") {
        // Child: a fresh process with a fresh keyring connection.
        let got =
            KeyringStore::for_database(std::path::Path::new(&std::env::var("SALDO_CHILD_DB").unwrap())).get().unwrap();
        assert_eq!(got, DbKey::from_hex(&hex), "the key survives the process (not an in-memory mock)");
        return;
    }
    let key = DbKey::generate().unwrap();
    store.set(&key).unwrap();
    // The persistent store itself (not only the kernel's keyutils cache) holds it.
    let looked = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "saldo", "username", store.account()])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup test");
    assert_eq!(
        String::from_utf8_lossy(&looked.stdout).trim(),
        key.to_hex().expose(),
        "the Secret Service holds the key"
    );
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_key_stored_in_the_keyring_is_read_back_by_another_process", "--nocapture"])
        .env("SALDO_CHILD_EXPECT_KEY", key.to_hex().expose())
        .env("SALDO_CHILD_DB", &db)
        .output()
        .unwrap();
    assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
    store.delete().unwrap();
    assert_eq!(store.get().unwrap(), None, "deleted");
}

#[test]
fn two_databases_have_two_keys() {
    let _serial = KEYRING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let a = KeyringStore::for_database(std::path::Path::new("/tmp/saldo-a.db"));
    let b = KeyringStore::for_database(std::path::Path::new("/tmp/saldo-b.db"));
    if !keyring_or_skip(&a) {
        return;
    }
    let (ka, kb) = (DbKey::generate().unwrap(), DbKey::generate().unwrap());
    a.set(&ka).unwrap();
    b.set(&kb).unwrap();
    assert_eq!(a.get().unwrap(), Some(ka));
    assert_eq!(b.get().unwrap(), Some(kb));
    a.delete().unwrap();
    b.delete().unwrap();
}

#[test]
fn whether_a_keyring_answers_is_known_without_reading_or_writing_a_database_key() {
    let _serial = KEYRING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let tmp = tempfile::tempdir().unwrap();
    let store = KeyringStore::for_database(&tmp.path().join("saldo.db"));
    if !keyring_or_skip(&store) {
        return;
    }
    assert!(KeyringStore::available(), "the Secret Service answers");
    assert_eq!(store.get().unwrap(), None, "asking created no database key");
}

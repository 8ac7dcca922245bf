//! Opening the data directory with the OS keyring (a real Secret Service,
//! under scripts/test) or a passphrase, and moving between the two.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use saldo_core::session::{data_dir, open_store, KeySource, Protection, UnlockError};
use saldo_core::CoreError;
use saldo_store::{StoreError, DB_FILE_NAME};
use saldo_vault::{KdfParams, KeyringStore, MemoryStore, Passphrase, PassphraseFile, SecretStore, VaultError};

/// Keyring tests run one at a time: a fresh Secret Service can refuse items
/// created concurrently while it sets up its default collection.
static KEYRING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn keyring_lock() -> std::sync::MutexGuard<'static, ()> {
    KEYRING.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn keyring_for(dir: &std::path::Path) -> Option<KeyringStore> {
    let store = KeyringStore::for_database(&dir.join(DB_FILE_NAME));
    match store.get() {
        Ok(_) => Some(store),
        Err(VaultError::KeyringUnavailable(e)) if std::env::var("SALDO_REQUIRE_KEYRING").as_deref() != Ok("1") => {
            eprintln!("skipped: no Secret Service ({e}); run under scripts/test");
            None
        }
        Err(e) => panic!("the keyring must be reachable here: {e}"),
    }
}

/// A fresh directory, removed when the returned guard drops.
fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("saldo-{tag}-")).tempdir().unwrap()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.into()).unwrap()
}

fn bytes(dir: &std::path::Path) -> Vec<u8> {
    std::fs::read(dir.join(DB_FILE_NAME)).unwrap()
}

#[test]
fn first_run_puts_a_key_in_the_keyring_and_a_new_process_opens_the_database() {
    let _serial = keyring_lock();
    if let Ok(dir) = std::env::var("SALDO_CHILD_DATA_DIR") {
        let dir = std::path::PathBuf::from(dir);
        let (s, p) =
            open_store(&dir, KeySource::Keyring, &KeyringStore::for_database(&dir.join(DB_FILE_NAME))).unwrap();
        assert_eq!(p, Protection::Keyring);
        assert_eq!(s.connections().unwrap()[0].bank_name, "Restart Bank", "the data is readable after a restart");
        return;
    }
    let tmp = temp_dir("kr-first");
    let dir = tmp.path().to_path_buf();
    let Some(keyring) = keyring_for(&dir) else { return };
    let (s, p) = open_store(&dir, KeySource::Keyring, &keyring).unwrap();
    assert_eq!(p, Protection::Keyring);
    s.insert_connection(1, "Restart Bank", "BE", &saldo_gateway::UserContext::new("c"), now()).unwrap();
    drop(s);
    assert!(!PassphraseFile::path_for(&dir.join(DB_FILE_NAME)).exists(), "no key material beside the database");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "first_run_puts_a_key_in_the_keyring_and_a_new_process_opens_the_database"])
        .env("SALDO_CHILD_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "the key survives a restart: {}", String::from_utf8_lossy(&out.stdout));
    keyring.delete().unwrap();
}

#[test]
fn a_missing_keyring_key_is_a_clear_error_and_the_file_is_untouched() {
    let _serial = keyring_lock();
    let tmp = temp_dir("kr-missing");
    let dir = tmp.path().to_path_buf();
    let Some(keyring) = keyring_for(&dir) else { return };
    let (s, _) = open_store(&dir, KeySource::Keyring, &keyring).unwrap();
    drop(s);
    keyring.delete().unwrap();
    let before = bytes(&dir);
    let err = open_store(&dir, KeySource::Keyring, &keyring).unwrap_err();
    assert!(matches!(err, CoreError::Store(StoreError::Vault(VaultError::KeyMissing))), "{err}");
    assert_eq!(bytes(&dir), before, "nothing written");
}

#[test]
fn a_passphrase_protects_the_database_and_a_wrong_one_changes_nothing() {
    let tmp = temp_dir("pp");
    let dir = tmp.path().to_path_buf();
    let nokeyring = MemoryStore::default(); // test double: this test is not about the keyring
    let (s, p) = open_store(&dir, KeySource::Passphrase(pass("correct horse")), &nokeyring).unwrap();
    assert_eq!(p, Protection::Passphrase);
    s.insert_connection(1, "PP Bank", "BE", &saldo_gateway::UserContext::new("c"), now()).unwrap();
    drop(s);
    assert_eq!(nokeyring.get().unwrap(), None, "nothing in any keyring");
    let before = bytes(&dir);
    let err = open_store(&dir, KeySource::Passphrase(pass("wrong horse")), &nokeyring).unwrap_err();
    assert!(err.is_wrong_key(), "{err}");
    assert_eq!(bytes(&dir), before, "a wrong passphrase leaves the file untouched");
    let err = open_store(&dir, KeySource::Keyring, &nokeyring).unwrap_err();
    assert!(matches!(err, CoreError::Unlock(UnlockError::PassphraseRequired)), "without a passphrase: {err}");
    let (s, _) = open_store(&dir, KeySource::Passphrase(pass("correct horse")), &nokeyring).unwrap();
    assert_eq!(s.connections().unwrap().len(), 1);
}

#[test]
fn changing_the_passphrase_rekeys_and_survives_an_interruption() {
    let tmp = temp_dir("pp-change");
    let dir = tmp.path().to_path_buf();
    let none = MemoryStore::default(); // test double: not about the keyring
    let (mut s, _) = open_store(&dir, KeySource::Passphrase(pass("old passphrase")), &none).unwrap();
    s.insert_connection(1, "Kept Bank", "BE", &saldo_gateway::UserContext::new("c"), now()).unwrap();
    s.change_passphrase(&pass("new passphrase")).unwrap();
    drop(s);
    assert!(
        matches!(open_store(&dir, KeySource::Passphrase(pass("old passphrase")), &none), Err(e) if e.is_wrong_key()),
        "the old one no longer opens it"
    );
    let (mut s, _) = open_store(&dir, KeySource::Passphrase(pass("new passphrase")), &none).unwrap();
    assert_eq!(s.connections().unwrap()[0].bank_name, "Kept Bank", "no data lost by the re-key");

    // Interrupted after the re-key, before the parameter file was finalised.
    let db = dir.join(DB_FILE_NAME);
    let mut file = PassphraseFile::load(&db).unwrap().unwrap();
    let next = KdfParams::generate().unwrap();
    s.rekey(&next.derive(&pass("third passphrase")).unwrap()).unwrap();
    file.next = Some(next);
    file.save(&db).unwrap();
    drop(s);
    let (s, _) = open_store(&dir, KeySource::Passphrase(pass("third passphrase")), &none).unwrap();
    assert_eq!(s.connections().unwrap().len(), 1);
    assert!(PassphraseFile::load(&db).unwrap().unwrap().next.is_none(), "the change is finished on the next open");
}

#[test]
fn moving_between_passphrase_and_keyring_rekeys_without_losing_data() {
    let _serial = keyring_lock();
    let tmp = temp_dir("move");
    let dir = tmp.path().to_path_buf();
    let Some(keyring) = keyring_for(&dir) else { return };
    let (mut s, _) = open_store(&dir, KeySource::Passphrase(pass("start with this")), &keyring).unwrap();
    s.insert_connection(1, "Moving Bank", "BE", &saldo_gateway::UserContext::new("c"), now()).unwrap();
    s.move_to_keyring(&keyring).unwrap();
    drop(s);
    assert!(!PassphraseFile::path_for(&dir.join(DB_FILE_NAME)).exists(), "the passphrase parameters are gone");
    let (mut s, p) = open_store(&dir, KeySource::Keyring, &keyring).unwrap();
    assert_eq!((p, s.connections().unwrap().len()), (Protection::Keyring, 1), "opens from the keyring with its data");
    s.move_to_passphrase(&pass("and back again"), &keyring).unwrap();
    drop(s);
    assert_eq!(keyring.get().unwrap(), None, "the keyring entry is removed");
    let (s, p) = open_store(&dir, KeySource::Passphrase(pass("and back again")), &keyring).unwrap();
    assert_eq!((p, s.connections().unwrap().len()), (Protection::Passphrase, 1));
}

#[test]
fn options_choose_the_data_dir_and_the_unlock_mode() {
    let tmp = temp_dir("opts");
    let dir = tmp.path().to_path_buf();
    assert_eq!(data_dir(Some(&dir)).unwrap(), dir, "--data-dir wins");
    let file = dir.join("pp.txt");
    std::fs::write(&file, "from a file\n").unwrap();
    match KeySource::from_passphrase_file(Some(&file)).unwrap() {
        KeySource::Passphrase(p) => assert_eq!(p.expose(), "from a file", "--passphrase-file selects passphrase mode"),
        KeySource::Keyring => panic!("expected passphrase mode"),
    }
    let missing = dir.join("nope.txt");
    let err = KeySource::from_passphrase_file(Some(&missing)).unwrap_err();
    assert!(err.to_string().contains("nope.txt"), "a clear error names the file: {err}");
}

#[test]
fn a_new_database_needs_a_passphrase_of_the_minimum_length_but_opening_takes_any() {
    let tmp = temp_dir("pp-short");
    let dir = tmp.path().to_path_buf();
    let none = MemoryStore::default(); // test double: not about the keyring
    let err = open_store(&dir, KeySource::Passphrase(pass("short")), &none).unwrap_err();
    assert!(matches!(err, CoreError::Unlock(UnlockError::PassphraseTooShort)), "{err}");
    assert!(!dir.join(DB_FILE_NAME).exists(), "nothing was created");
    assert!(saldo_core::session::new_passphrase("1234567".into()).is_err(), "7 characters are too few");
    assert!(saldo_core::session::new_passphrase("12345678".into()).is_ok(), "8 are enough");
    // An existing database opens with whatever key it was made with.
    let (s, _) = open_store(&dir, KeySource::Passphrase(pass("long enough")), &none).unwrap();
    drop(s);
    let err = open_store(&dir, KeySource::Passphrase(pass("short")), &none).unwrap_err();
    assert!(err.is_wrong_key(), "a short wrong passphrase is just wrong: {err}");
}

#[test]
fn a_passphrase_given_for_a_keyring_database_is_refused_without_shell_wording() {
    let tmp = temp_dir("pp-kr");
    let dir = tmp.path().to_path_buf();
    let keyring = MemoryStore::default(); // test double: stands in for the OS keyring
    let (s, _) = open_store(&dir, KeySource::Keyring, &keyring).unwrap();
    drop(s);
    let err = open_store(&dir, KeySource::Passphrase(pass("long enough")), &keyring).unwrap_err();
    assert!(matches!(err, CoreError::Unlock(UnlockError::KeyringProtected)), "{err}");
    assert!(!err.to_string().contains("--"), "no CLI flag in a library message: {err}");
}

#[test]
fn gateway_addresses_are_https_or_plain_http_to_this_computer_only() {
    use saldo_core::session::gateway_url;
    for ok in
        ["https://gw.example/", "http://127.0.0.1:8080/", "http://127.9.9.9/", "http://[::1]:9/", "http://localhost:1/"]
    {
        assert!(gateway_url(ok).is_ok(), "{ok} is accepted");
    }
    for bad in
        ["http://gw.example/", "http://10.0.0.1/", "ftp://gw.example/", "file:///etc/passwd", "--version", "gw.example"]
    {
        assert!(matches!(gateway_url(bad), Err(CoreError::Invalid(_))), "{bad} is refused");
    }
}

//! Shared set-up of the CLI tests: a fresh home per test, removed when its
//! guard drops, whose database is protected by a passphrase with cheap key
//! derivation parameters — fifty `saldo` runs must not each pay the
//! production Argon2id cost (64 MiB, 3 passes; tested once, in saldo-vault).
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// A fresh data directory and passphrase file; the directory goes when the
/// returned guard drops.
pub fn home() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::Builder::new().prefix("saldo-cli-").tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let pass = tmp.path().join("passphrase");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    cheap_kdf(&data);
    (tmp, data, pass)
}

/// Pre-writes the passphrase's key-derivation parameters (1 MiB, one pass)
/// beside a database that does not exist yet: `saldo` creates it with them.
pub fn cheap_kdf(data: &std::path::Path) {
    let params = saldo_vault::KdfParams::generate_with(1024, 1).unwrap();
    let file = saldo_vault::PassphraseFile { current: params, next: None };
    file.save(&data.join(saldo_store::DB_FILE_NAME)).unwrap();
}

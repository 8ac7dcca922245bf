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

/// What a connection made by [`approve_connect`] went through.
pub struct Approved {
    /// Where the bank sent the person back.
    pub location: String,
    /// The page that address answered.
    pub page: String,
    /// What the CLI printed after the bank's address.
    pub rest: Vec<String>,
}

/// Runs a `saldo connect …` command with `--no-browser` on the embedded
/// sandbox and approves at the bank, as the person would; panics unless the
/// connection is made.
pub async fn approve_connect(mut connect: std::process::Command) -> Approved {
    use saldo_sandbox::psu::{Browser, Decision, Outcome};
    use std::io::{BufRead, BufReader};
    let mut child = connect
        .arg("--no-browser")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the CLI prints the bank's address").unwrap();
        if let Some(u) = line.strip_prefix("Continue at your bank: ") {
            break u.to_owned();
        }
    };
    let Outcome::Redirected(location) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else {
        panic!("the sandbox bank sends the person back")
    };
    let page = reqwest::get(&location).await.unwrap().text().await.unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success(), "connect succeeds: {rest:?}");
    Approved { location, page, rest }
}

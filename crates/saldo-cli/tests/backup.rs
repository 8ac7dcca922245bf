//! Nothing lost (issue 16): moving to a new computer with a backup and only
//! the recovery code, through the `saldo` binary, the real sandbox gateway
//! and the real OS keyring (run under `scripts/with-keyring`). The second
//! install is a second data directory, whose keyring entry (named by its
//! database's path) starts empty.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use saldo_sandbox::psu::{Browser, Decision, Outcome};
use saldo_vault::SecretStore;

/// `saldo` on `data`, its key in the OS keyring (no passphrase file), talking to `gw`.
fn saldo(data: &Path, gw: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_saldo"));
    c.arg("--data-dir").arg(data).arg("--gateway").arg(gw);
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

/// Runs `c` with `input` on standard input.
fn with_stdin(c: &mut Command, input: &str) -> Output {
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn keyring_entry(data: &Path) -> saldo_vault::KeyringStore {
    saldo_vault::KeyringStore::for_database(&data.join(saldo_store::DB_FILE_NAME))
}

/// A fresh data directory in the keyring (guard, path); its keyring entry
/// is removed when the test ends.
struct Install {
    _tmp: tempfile::TempDir,
    data: PathBuf,
}

impl Install {
    fn new() -> Self {
        let tmp = tempfile::Builder::new().prefix("saldo-backup-").tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        Self { _tmp: tmp, data }
    }
}

impl Drop for Install {
    fn drop(&mut self) {
        let _ = keyring_entry(&self.data).delete();
    }
}

/// Connects the sandbox's mock bank (deep link), the person approving.
async fn connect(data: &Path, gw: &str) {
    let o = saldo(data, gw).args(["connect", "-1", "--redirect", "deeplink", "--no-browser"]).output().unwrap();
    let out = ok(&o);
    let url = out.lines().find_map(|l| l.strip_prefix("Continue at your bank: ")).unwrap().to_owned();
    let Outcome::Redirected(cb) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else { panic!() };
    ok(&saldo(data, gw).args(["callback", &cb]).output().unwrap());
}

fn enable_all_and_sync(data: &Path, gw: &str) {
    for a in json(&saldo(data, gw).args(["accounts", "--json"]).output().unwrap()).as_array().unwrap() {
        ok(&saldo(data, gw).args(["accounts", "enable", &a["id"].to_string()]).output().unwrap());
    }
    ok(&saldo(data, gw).arg("sync").output().unwrap());
}

fn transactions(data: &Path, gw: &str) -> serde_json::Value {
    json(&saldo(data, gw).args(["transactions", "--limit", "100000", "--json"]).output().unwrap())
}

/// Every transaction, through the CSV export (the JSON list stops at 1000).
fn export(data: &Path, gw: &str) -> String {
    ok(&saldo(data, gw).args(["export", "--format", "csv"]).output().unwrap())
}

fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| {
                let e = e.unwrap();
                (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().len())
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// R1, R5, R11, R16, R17 — the documented move to a new computer: sync,
/// make a recovery code, back up; on a second install with an empty
/// keyring, a wrong code and a mistyped one are refused with no file
/// touched, then the right code (from standard input, never argv)
/// restores exactly the same transactions; the backup holds no plaintext
/// and no key; and a refresh token used since the backup is a lost consent
/// (reconnect), not retried.
#[tokio::test(flavor = "multi_thread")]
async fn moving_to_a_new_computer_with_only_the_recovery_code() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let gw = sb.base_url().to_owned();
    let old = Install::new();
    connect(&old.data, &gw).await;
    enable_all_and_sync(&old.data, &gw);
    let before = transactions(&old.data, &gw);
    let all_before = export(&old.data, &gw);
    assert!(before.as_array().unwrap().len() > 100, "enough history to move");

    let code = json(&saldo(&old.data, &gw).args(["recovery-code", "--json"]).output().unwrap())["recovery_code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(code.split('-').count(), 8, "8 groups of 4: {code}");
    let recovery_file = std::fs::read_to_string(old.data.join("saldo.db.recovery.json")).unwrap();
    assert!(!recovery_file.contains(&code[..9]), "R5: the code itself is stored nowhere");

    let folder = old.data.parent().unwrap().join("backups");
    let info = json(&saldo(&old.data, &gw).args(["backup", "--json", "--to"]).arg(&folder).output().unwrap());
    let file = PathBuf::from(info["path"].as_str().unwrap());
    assert!(file.starts_with(&folder) && file.extension().unwrap() == "saldo-backup", "{file:?}");
    let counted = info["manifest"]["totals"]["transactions"].as_i64().unwrap();
    assert!(counted > before.as_array().unwrap().len() as i64, "the manifest counts every transaction: {counted}");

    // No plaintext and no key in the backup (the same check as the database file's).
    let raw = std::fs::read(&file).unwrap();
    let first = &before[0];
    let key_hex = keyring_entry(&old.data).get().unwrap().unwrap().to_hex();
    let accounts = json(&saldo(&old.data, &gw).args(["accounts", "--json"]).output().unwrap());
    let iban = accounts[0]["iban"].as_str().unwrap().to_owned();
    let mut needles =
        vec![iban, key_hex.expose().clone(), code.clone(), "SQLite format 3".into(), "CREATE TABLE".into()];
    for field in ["counterparty", "description"] {
        if let Some(t) = first[field].as_str().filter(|t| t.len() >= 6) {
            needles.push(t.to_owned());
        }
    }
    for needle in &needles {
        assert!(
            !raw.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "R5: no plaintext {needle:?} (transaction text, IBAN, key, code, SQLite header) in the backup"
        );
    }

    let new = Install::new();
    assert!(keyring_entry(&new.data).get().unwrap().is_none(), "the new computer's keyring has no key");
    let untouched = listing(&new.data);

    let wrong = saldo_vault::RecoveryCode::generate().unwrap().formatted();
    let o = with_stdin(saldo(&new.data, &gw).arg("restore").arg(&file), &format!("{}\n", wrong.expose()));
    assert_eq!(o.status.code(), Some(1), "a wrong code fails: {}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not open"), "{}", String::from_utf8_lossy(&o.stderr));
    let mut typo: Vec<char> = code.chars().collect();
    typo[2] = if typo[2] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let o = with_stdin(saldo(&new.data, &gw).arg("restore").arg(&file), &format!("{typo}\n"));
    assert_eq!(o.status.code(), Some(2), "a typo is the person's input: {}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("checksum"), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(listing(&new.data), untouched, "a refused code touches no file");
    assert!(keyring_entry(&new.data).get().unwrap().is_none(), "nor the keyring");

    let o =
        with_stdin(saldo(&new.data, &gw).args(["restore", "--json"]).arg(&file), &format!("{}\n", code.to_lowercase()));
    let restored = json(&o);
    assert_eq!(restored["protection"], "keyring", "the key went into the new keyring");
    assert_eq!(restored["transactions"].as_i64().unwrap(), counted, "checked against the manifest");
    assert!(keyring_entry(&new.data).get().unwrap().is_some());
    assert_eq!(transactions(&new.data, &gw), before, "R16, R17: exactly the same transactions on the new computer");
    assert_eq!(export(&new.data, &gw), all_before, "R16, R17: every one of them, exactly");
    assert_eq!(json(&saldo(&new.data, &gw).args(["accounts", "--json"]).output().unwrap()), accounts);

    // The old computer syncs on; once its access token expired, that sync
    // used the refresh token the backup holds.
    sb.advance_clock(chrono::Duration::minutes(15));
    ok(&saldo(&old.data, &gw).arg("sync").output().unwrap());
    let o = saldo(&new.data, &gw).arg("sync").output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(3),
        "R11: a used-up refresh token is a lost consent (reconnect), never retried: {} {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let conns = json(&saldo(&new.data, &gw).args(["connections", "--json"]).output().unwrap());
    assert_eq!(conns[0]["status"], "needs_reconnect", "R11: the connection says reconnect: {conns}");
    assert_eq!(transactions(&new.data, &gw), before, "R11: nothing stored is lost");

    // The code still opens backups made after the restore, on the new computer.
    let again = json(&saldo(&new.data, &gw).args(["backup", "--json", "--to"]).arg(&folder).output().unwrap());
    assert!(again["path"].as_str().unwrap() != file.to_str().unwrap());
}

/// R16 — `saldo restore` killed with SIGKILL at random moments, again and
/// again, over an install with other data: every time the next command sees
/// either the old database or the new one, complete, never a mix.
#[tokio::test(flavor = "multi_thread")]
async fn killing_restore_leaves_the_old_or_the_new_database() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let gw = sb.base_url().to_owned();
    let source = Install::new();
    connect(&source.data, &gw).await;
    let code = json(&saldo(&source.data, &gw).args(["recovery-code", "--json"]).output().unwrap())["recovery_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let folder = source.data.parent().unwrap().join("backups");
    let backup = |data: &Path| -> PathBuf {
        let info = json(&saldo(data, &gw).args(["backup", "--json", "--to"]).arg(&folder).output().unwrap());
        PathBuf::from(info["path"].as_str().unwrap())
    };
    let empty = backup(&source.data); // accounts, no transactions
    std::thread::sleep(Duration::from_millis(1100)); // another file name
    enable_all_and_sync(&source.data, &gw);
    let full = backup(&source.data);
    let states = [(empty.clone(), serde_json::json!([])), (full.clone(), transactions(&source.data, &gw))];
    assert!(states[1].1.as_array().unwrap().len() > 100);

    let target = Install::new();
    let restore = |file: &Path| {
        let mut c = saldo(&target.data, &gw);
        c.args(["restore", "--overwrite-newer"]).arg(file);
        c
    };
    ok(&with_stdin(&mut restore(&empty), &format!("{code}\n")));
    // How long one whole restore of each state takes here (the quicker of
    // two): the kills land within it. A restore that ends before its kill
    // says the machine is quicker now, and later kills aim within that.
    let mut whole = [u64::MAX; 2];
    for _ in 0..2 {
        let started = std::time::Instant::now();
        ok(&with_stdin(&mut restore(&full), &format!("{code}\n")));
        whole[1] = whole[1].min(started.elapsed().as_millis() as u64 + 1);
        let started = std::time::Instant::now();
        ok(&with_stdin(&mut restore(&empty), &format!("{code}\n")));
        whole[0] = whole[0].min(started.elapsed().as_millis() as u64 + 1);
    }
    let mut current = 0usize;
    let (mut kills, mut switched) = (0, 0);
    let mut rng = 0x9e37_79b9_u64;
    for trial in 0..25 {
        rng = saldo_sandbox::data::mix(rng);
        let other = 1 - current;
        let mut child = restore(&states[other].0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        child.stdin.take().unwrap().write_all(format!("{code}\n").as_bytes()).unwrap();
        // Twenty kills land within a restore; every fifth restore is given
        // three times what one took, so some get through even when the
        // machine is slower now than when `whole` was measured.
        let nap = Duration::from_millis(if trial % 5 == 4 { 3 * whole[other] } else { rng % whole[other] });
        let ended = loop {
            if child.try_wait().unwrap().is_some() {
                break Some(started.elapsed());
            }
            if started.elapsed() >= nap {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        match ended {
            None => {
                child.kill().unwrap(); // SIGKILL
                kills += 1;
            }
            Some(took) => whole[other] = whole[other].min(took.as_millis() as u64 + 1),
        }
        child.wait().unwrap();
        let seen = transactions(&target.data, &gw);
        if seen == states[other].1 {
            current = other;
            switched += 1;
        } else {
            assert_eq!(
                seen, states[current].1,
                "trial {trial}: the old database, complete, or the new one — never a mix"
            );
        }
    }
    assert!(kills >= 10, "at least 10 restores were really killed mid-way ({kills})");
    assert!(switched >= 1, "some restores got through ({switched})");
}

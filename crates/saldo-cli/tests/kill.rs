//! Reliability (R1, R3, R4, R10, R16): the `saldo sync` process is killed with
//! SIGKILL at random points of a large sync, again and again. The next sync
//! completes with exactly the bank's transactions — none missing, none twice —
//! and the connection still works. And two `saldo sync` processes at once on
//! one connection take turns (R3).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use saldo_sandbox::psu::{Browser, Decision, Outcome};

mod support;

fn saldo(data: &Path, pass: &Path, gw: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_saldo"));
    c.arg("--data-dir").arg(data).arg("--passphrase-file").arg(pass).arg("--gateway").arg(gw);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// A sandbox server with `volume` transactions at its volume bank, connected
/// through the CLI (deep link) in a fresh data dir, its account enabled.
async fn volume_bank_connected(volume: u64) -> (saldo_sandbox::SandboxHandle, tempfile::TempDir, PathBuf, PathBuf) {
    let config = saldo_sandbox::SandboxConfig { volume_transactions: volume, ..Default::default() };
    let sb = saldo_sandbox::start_local(config).await.unwrap();
    let gw = sb.base_url().to_owned();
    let (home, data, pass) = support::home();
    let o =
        saldo(&data, &pass, &gw).args(["connect", "-2", "--redirect", "deeplink", "--no-browser"]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let url = out.lines().find_map(|l| l.strip_prefix("Continue at your bank: ")).unwrap().to_owned();
    let Outcome::Redirected(cb) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else { panic!() };
    assert!(saldo(&data, &pass, &gw).args(["callback", &cb]).output().unwrap().status.success());
    assert!(saldo(&data, &pass, &gw).args(["accounts", "enable", "1"]).output().unwrap().status.success());
    (sb, home, data, pass)
}

/// How many transactions the volume bank shows today.
fn volume_expected(sb: &saldo_sandbox::SandboxHandle) -> i64 {
    let app = sb.app();
    let epoch = app.state().epoch; // one lock at a time: a guard lives to the end of its statement
    let today = app.state().now().date_naive();
    let spec = &app.connectors.iter().find(|c| c.id == -2).unwrap().accounts[0];
    saldo_sandbox::data::visible_count(epoch, spec, today) as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_sync_at_random_points_loses_nothing_and_duplicates_nothing() {
    let (sb, _home, data, pass) = volume_bank_connected(40_000).await;
    let gw = sb.base_url().to_owned();

    let mut kills = 0;
    let mut rng = 0x1234_5678_u64;
    for _ in 0..24 {
        rng = saldo_sandbox::data::mix(rng);
        let mut child = saldo(&data, &pass, &gw).arg("sync").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(40 + rng % 900));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(kills >= 20, "at least 20 syncs were really killed mid-way ({kills})");
    let last = saldo(&data, &pass, &gw).arg("sync").output().unwrap();
    assert!(
        last.status.success(),
        "the connection still works after {kills} kills: {}",
        String::from_utf8_lossy(&last.stderr)
    );

    let key = saldo_core::session::KeySource::from_passphrase_file(Some(&pass)).unwrap();
    let (store, _) = saldo_core::session::open_store(&data, key, &saldo_vault::MemoryStore::default()).unwrap();
    let expected = volume_expected(&sb);
    assert_eq!(
        store.transaction_count(1).unwrap(),
        expected,
        "R16: exactly the bank's transactions, none missing, none twice"
    );
    assert_eq!(store.checkpoint(1).unwrap(), None, "R4: the fetch finished");
    let stuck: i64 =
        store.sql().query_row("SELECT count(*) FROM sync_runs WHERE state = 'RUNNING'", [], |r| r.get(0)).unwrap();
    assert_eq!(stuck, 0, "R10: runs interrupted by a kill are marked failed, not left running");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_sync_processes_on_one_connection_take_turns_and_the_bank_never_sees_a_stale_context() {
    // R3 across processes: two `saldo sync` started at once share one user
    // context; the lock file makes them take turns, so the single-use
    // refresh token is never presented twice.
    let (sb, _home, data, pass) = volume_bank_connected(15_000).await;
    let gw = sb.base_url().to_owned();
    sb.advance_clock(chrono::Duration::minutes(11)); // each sync's first call must refresh the token
                                                     // Slow answers keep the first call in flight long enough for the other
                                                     // process to read the same (soon used-up) context — if nothing stopped it.
    let slow = saldo_sandbox::FaultPlan::next(saldo_sandbox::FaultMode::Slow, 2);
    sb.set_fault(saldo_sandbox::FaultPlan { delay_ms: Some(1_500), ..slow });

    let a = saldo(&data, &pass, &gw).arg("sync").spawn().unwrap();
    let b = saldo(&data, &pass, &gw).arg("sync").spawn().unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut new = 0;
    for o in [&a, &b] {
        let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success(), "both complete, no stale-context rejection: {said}");
        new += said.split("Connection 1: ").nth(1).unwrap().split(' ').next().unwrap().parse::<i64>().unwrap();
    }
    let expected = volume_expected(&sb);
    assert_eq!(new, expected, "one fetched everything, the other found nothing new (R16)");
}

//! Crash safety (R1, R4, R16): a process ingesting a long history page by
//! page is killed with SIGKILL at random points, again and again; each restart
//! resumes from the last committed page. At the end the store holds exactly
//! the bank's transactions — none missing, none twice, twins kept — and the
//! user context of the last committed page.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_gateway::{PagerContext, Transaction, UserContext};
use saldo_sandbox::banks::{catalog, AccountSpec, Connector};
use saldo_store::transactions::PageCommit;
use saldo_store::Store;
use saldo_vault::DbKey;
use support::now;

const N: u64 = 30_000;
const PAGE: u64 = 100;

fn bank() -> (Connector, AccountSpec) {
    // The NL sandbox bank sends no transaction ids: identities are fingerprints + occurrence.
    let c = catalog(0).into_iter().find(|c| c.id == 101).unwrap();
    let mut spec = c.accounts[0].clone();
    spec.transactions = N;
    (c, spec)
}

fn history() -> Vec<Transaction> {
    let (c, spec) = bank();
    let epoch = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    (0..N).rev().map(|i| saldo_sandbox::data::transaction(7, epoch, &c, &spec, i)).collect()
}

/// One ingesting process: resumes from the checkpoint, or starts a run.
fn ingest(path: &std::path::Path, key: &DbKey) {
    let mut s = Store::open(path, key).unwrap();
    let all = history();
    let (run, mut index) = match s.checkpoint(1).unwrap() {
        Some(cp) => (cp.run_id, cp.pager.unwrap().expose().parse::<u64>().unwrap()),
        None if s.transaction_count(1).unwrap() as u64 == N => return,
        None => (
            s.start_sync_run(
                1,
                saldo_store::states::SyncScope::Transactions,
                saldo_store::states::Trigger::User,
                now(),
            )
            .unwrap(),
            0,
        ),
    };
    while index < N {
        let end = (index + PAGE).min(N);
        let next = (end < N).then(|| PagerContext::new(end.to_string()));
        let ctx = UserContext::new(format!("ctx-after-{end}"));
        s.commit_page(
            &PageCommit {
                user_context: Some(&ctx),
                next_pager: next.as_ref(),
                ..PageCommit::new(1, 1, run, &all[index as usize..end as usize])
            },
            now(),
        )
        .unwrap();
        index = end;
    }
}

#[test]
fn killing_the_ingest_at_random_points_loses_nothing_and_duplicates_nothing() {
    if let Ok(db) = std::env::var("SALDO_CRASH_DB") {
        ingest(std::path::Path::new(&db), &DbKey::from_hex(&std::env::var("SALDO_CRASH_KEY").unwrap()).unwrap());
        return;
    }
    let (mut s, key, path, _dir) = support::store("crash");
    let (conn, accts) = support::seeded(&mut s, &[("NL-SBN-001", "EUR")]);
    assert_eq!((conn, accts[0]), (1, 1));
    drop(s);
    let spawn = || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "killing_the_ingest_at_random_points_loses_nothing_and_duplicates_nothing"])
            .env("SALDO_CRASH_DB", &path)
            .env("SALDO_CRASH_KEY", key.to_hex().expose())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut kills = 0;
    let mut rng = 0x5eed_u64;
    for _ in 0..25 {
        rng = saldo_sandbox::data::mix(rng);
        let mut child = spawn();
        std::thread::sleep(Duration::from_millis(20 + rng % 300));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    let status = spawn().wait().unwrap();
    assert!(status.success(), "the last run completes");
    assert!(kills >= 8, "the ingest was really interrupted many times ({kills})");

    let s = Store::open(&path, &key).unwrap();
    let all = history();
    assert_eq!(s.transaction_count(1).unwrap() as u64, N, "R16: exactly the bank's transactions after {kills} kills");
    let expected: Decimal = all.iter().map(|t| t.amount.0).sum();
    let (minor, scale): (i64, u32) = s
        .sql()
        .query_row("SELECT sum(amount_minor), max(scale) FROM transactions", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(Decimal::new(minor, scale), expected, "R17: the exact sum");
    let twins: i64 =
        s.sql().query_row("SELECT count(*) FROM transactions WHERE identity LIKE '%#1'", [], |r| r.get(0)).unwrap();
    assert!(twins >= (N / saldo_sandbox::data::TWIN_EVERY) as i64, "twins stay two ({twins})");
    assert_eq!(s.checkpoint(1).unwrap(), None, "the fetch finished");
    assert_eq!(
        s.user_context(1).unwrap(),
        Some(UserContext::new(format!("ctx-after-{N}"))),
        "R1: the last page's user context is the stored one"
    );
}

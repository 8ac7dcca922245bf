//! The sync engine against the real sandbox and the real encrypted store.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use chrono::Utc;
use saldo_core::connect::{self, Next};
use saldo_core::sync::{self, Outcome, Scope};
use saldo_sandbox::psu::{Browser, Decision, Outcome as Page};
use saldo_sandbox::{FaultMode, FaultPlan};
use saldo_store::states::{ConnectionStatus, SyncRunState};
use saldo_store::Store;

mod support;

use support::{request, world, World};

trait Helpers {
    async fn sync(&mut self, conn: i64, scope: Scope) -> (i64, Outcome);
    fn expected(&self, connector: i64, gateway_id: &str) -> i64;
    fn account(&self, conn: i64, gateway_id: &str) -> saldo_store::accounts::Account;
}

impl Helpers for World {
    async fn sync(&mut self, conn: i64, scope: Scope) -> (i64, Outcome) {
        let opts = self.opts();
        sync::sync_connection(&mut self.store, &self.client, conn, scope, &opts).await.unwrap()
    }

    /// What the sandbox holds for an account right after SCA (full history, R18).
    fn expected(&self, connector: i64, gateway_id: &str) -> i64 {
        let app = self.sb.app();
        let epoch = app.state().epoch;
        let today = app.state().now().date_naive();
        let c = app.connectors.iter().find(|c| c.id == connector).unwrap();
        saldo_sandbox::data::visible_count(epoch, c.account(gateway_id).unwrap(), today) as i64
    }

    /// The stored account of a connection with this gateway id.
    fn account(&self, conn: i64, gateway_id: &str) -> saldo_store::accounts::Account {
        self.store.accounts(Some(conn), false).unwrap().into_iter().find(|a| a.gateway_id == gateway_id).unwrap()
    }
}

const MOCK: &str = "64fee1bf-02b2-410c-9524-b03bb585bbc2";

#[tokio::test]
async fn a_sync_fetches_exactly_the_banks_transactions_and_a_resync_adds_nothing() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    let (run, outcome) = w.sync(conn, Scope::Transactions).await;
    let expected = w.expected(-1, MOCK);
    assert_eq!(
        outcome,
        Outcome::Completed {
            new_transactions: expected,
            amended_transactions: 0,
            flagged_transactions: 0,
            accounts_added: 0,
            accounts_disappeared: 0
        }
    );
    let r = w.store.sync_run(run).unwrap().unwrap();
    assert_eq!(
        (r.state, r.accounts_done, r.new_transactions),
        (SyncRunState::Completed, 1, expected),
        "R10: the run shows its progress"
    );
    assert!(r.pages_done > 20, "many pages ({})", r.pages_done);
    let accounts = w.store.accounts(Some(conn), false).unwrap();
    for a in &accounts {
        let n = w.store.transaction_count(a.id).unwrap();
        if a.gateway_id == MOCK {
            assert_eq!(n, expected, "R16: exactly the bank's transactions, twins included");
        } else {
            assert_eq!(n, 0, "R12: disabled accounts get nothing fetched");
        }
    }
    assert!(
        !w.store.latest_balances(accounts.iter().find(|a| a.gateway_id == MOCK).unwrap().id).unwrap().is_empty(),
        "balances stored"
    );
    let (_, again) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(again, Outcome::Completed { new_transactions: 0, .. }), "R16: re-syncing adds nothing: {again:?}");
}

#[tokio::test]
async fn expiring_tokens_are_refreshed_during_a_sync_and_the_new_context_kept() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    let before = w.store.user_context(conn).unwrap();
    w.sb.advance_clock(chrono::Duration::minutes(11));
    let (_, outcome) = w.sync(conn, Scope::Accounts).await;
    assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    assert_ne!(w.store.user_context(conn).unwrap(), before, "R1: the rotated context replaced the stored one");
    let (_, outcome) = w.sync(conn, Scope::Accounts).await;
    assert!(matches!(outcome, Outcome::Completed { .. }), "the stored context is the valid one: {outcome:?}");
}

#[tokio::test]
async fn a_lost_consent_asks_to_reconnect_and_keeps_everything() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    w.sync(conn, Scope::Transactions).await;
    let acct = w.account(conn, MOCK);
    let kept = w.store.transaction_count(acct.id).unwrap();
    w.sb.advance_clock(chrono::Duration::days(181));
    let (run, outcome) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(outcome, Outcome::NeedsReconnect { .. }), "R11: {outcome:?}");
    assert_eq!(w.store.sync_run(run).unwrap().unwrap().state, SyncRunState::AwaitAuth);
    assert_eq!(
        w.store.connection(conn).unwrap().unwrap().status,
        ConnectionStatus::NeedsReconnect,
        "the UI can offer a reconnect"
    );
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), kept, "R11: nothing stored is lost");
}

#[tokio::test]
async fn transient_failures_are_retried_and_a_broken_fetch_resumes_where_it_stopped() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    w.sb.set_fault(FaultPlan::next(FaultMode::Http503, 2));
    let (_, outcome) = w.sync(conn, Scope::Accounts).await;
    assert!(matches!(outcome, Outcome::Completed { .. }), "two 503s are retried away: {outcome:?}");

    // The bank breaks down after the first pages: the run fails, retryable.
    w.sb.set_fault(FaultPlan::always(FaultMode::Http500).on_path("/transactions/next"));
    let (run, outcome) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(outcome, Outcome::Failed { retryable: true, .. }), "{outcome:?}");
    assert_eq!(w.store.sync_run(run).unwrap().unwrap().error_kind, Some(saldo_store::states::FailureKind::Transient));
    let acct = w.account(conn, MOCK);
    assert!(w.store.checkpoint(acct.id).unwrap().is_some(), "R4: a checkpoint marks where it stopped");
    let partial = w.store.transaction_count(acct.id).unwrap();
    assert!(partial > 0, "the first page is kept");

    w.sb.set_fault(FaultPlan::default());
    let (_, outcome) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    assert_eq!(
        w.store.transaction_count(acct.id).unwrap(),
        w.expected(-1, MOCK),
        "R4/R16: resumed, nothing missing, nothing twice"
    );
    assert!(w.store.checkpoint(acct.id).unwrap().is_none());
}

#[tokio::test]
async fn two_syncs_of_one_connection_at_once_are_serialized() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    w.sb.advance_clock(chrono::Duration::minutes(11)); // the first call of each sync must refresh the token
    let path = w.store.path().to_path_buf();
    let mut other = Store::open(&path, &w.key).unwrap();
    let (client, opts) = (w.client.clone(), w.opts());
    let (a, b) = tokio::join!(
        sync::sync_connection(&mut w.store, &w.client, conn, Scope::Transactions, &opts),
        sync::sync_connection(&mut other, &client, conn, Scope::Transactions, &opts),
    );
    for (_, outcome) in [a.unwrap(), b.unwrap()] {
        assert!(
            matches!(outcome, Outcome::Completed { .. }),
            "R3: no stale-context rejection when serialized: {outcome:?}"
        );
    }
    let acct = w.account(conn, MOCK);
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), w.expected(-1, MOCK), "no duplicates from two syncs");
}

#[tokio::test]
async fn accounts_that_appear_and_disappear_are_tracked_across_syncs() {
    let mut w = world().await;
    // Connect the decoupled DE bank, whose accounts change between calls.
    let mut req = request(102);
    req.bank_name = "Sandbox Sparkasse".into();
    req.country = "DE".into();
    let Next::WaitDecoupled { flow_id, .. } = connect::start(&mut w.store, &w.client, &req, Utc::now()).await.unwrap()
    else {
        panic!()
    };
    w.sb.decide_decoupled(&flow_id, true);
    let Next::Connected { connection_id: conn, new_accounts, .. } =
        connect::poll_decoupled(&mut w.store, &w.client, &flow_id, Utc::now()).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(new_accounts, 2);
    let (_, o) = w.sync(conn, Scope::Accounts).await;
    assert!(
        matches!(o, Outcome::Completed { accounts_added: 1, accounts_disappeared: 0, .. }),
        "R9: ACCOUNTS scope discovers a new account: {o:?}"
    );
    let (_, o) = w.sync(conn, Scope::Accounts).await;
    assert!(matches!(o, Outcome::Completed { accounts_added: 0, accounts_disappeared: 1, .. }), "R13: {o:?}");
    assert_eq!(w.store.accounts(Some(conn), true).unwrap().len(), 3, "R13: the vanished account is kept");
}

#[tokio::test]
async fn disconnecting_revokes_the_consent_at_the_gateway_then_deletes_everything() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    w.sync(conn, Scope::Transactions).await;
    let consents = w.store.consents(conn).unwrap();
    assert_eq!(consents.len(), 1, "R15: the consent and its validity are tracked");
    assert!(consents[0].valid_until.is_some(), "with validUntil");
    let old_ctx = w.store.user_context(conn).unwrap();
    // The gateway is down: nothing is deleted.
    w.sb.set_fault(FaultPlan::always(FaultMode::Http503));
    let opts = w.opts();
    let err = saldo_core::manage::disconnect(&mut w.store, &w.client, conn, &opts, false).await.unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
    assert!(w.store.connection(conn).unwrap().is_some(), "nothing deleted while the consent could not be revoked");
    w.sb.set_fault(FaultPlan::default());
    saldo_core::manage::disconnect(&mut w.store, &w.client, conn, &opts, false).await.unwrap();
    assert!(w.store.connection(conn).unwrap().is_none(), "R14: the connection is gone");
    assert_eq!(w.store.accounts(None, true).unwrap().len(), 0, "R14: with its accounts");
    let req = saldo_gateway::AccountDataRequest::new(-1, old_ctx, None);
    let after = w.client.transactions(MOCK, &req, &saldo_gateway::CorrelationId::new()).await;
    assert!(
        matches!(&after, Ok(r) if r.body.is_consent_lost == Some(true)) || after.is_err(),
        "R14: the consent is revoked at the gateway: {after:?}"
    );
}

#[tokio::test]
async fn deleting_an_account_uses_the_gateway_call_and_removes_its_data() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    w.sync(conn, Scope::Transactions).await;
    let acct = w.account(conn, MOCK);
    let opts = w.opts();
    saldo_core::manage::delete_account(&mut w.store, &w.client, acct.id, &opts).await.unwrap();
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), 0, "R14: its transactions are deleted");
    assert!(
        !w.store.user_context(conn).unwrap().unwrap().expose().contains(MOCK),
        "the gateway's updated context no longer has it"
    );
    assert_eq!(w.store.accounts(Some(conn), true).unwrap().len(), 2, "other accounts stay");
}

#[tokio::test]
async fn the_daily_sync_runs_once_a_day_unattended_and_never_for_a_connection_that_needs_sca() {
    // R10, R18: at most one unattended run a day per connection, whatever
    // its outcome; never one that would need the person.
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    let idle = w.connect(101, &["none-enabled"]).await; // no enabled account
    let now = Utc::now();
    let tomorrow = now + chrono::Duration::hours(25);
    assert!(
        sync::due_for_daily(&w.store, tomorrow).unwrap().contains(&conn),
        "a connection with enabled accounts is due"
    );
    assert!(!sync::due_for_daily(&w.store, tomorrow).unwrap().contains(&idle), "nothing to fetch, nothing due");

    let mut opts = sync::SyncOptions::daily(&w.dir.join("locks"));
    opts.backoff = std::time::Duration::from_millis(20);
    assert_eq!(opts.psu_ip, None, "unattended: no PSU address");
    let (_, outcome) = sync::sync_connection(&mut w.store, &w.client, conn, Scope::Transactions, &opts).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    let acct = w.account(conn, MOCK);
    assert!(w.store.transaction_count(acct.id).unwrap() > 0);
    assert_eq!(sync::due_for_daily(&w.store, Utc::now()).unwrap(), Vec::<i64>::new(), "synced today: not again");
    assert_eq!(sync::due_for_daily(&w.store, tomorrow).unwrap(), vec![conn], "due again a day later");

    // A consent the bank lost: the connection needs SCA, so no unattended run.
    w.sb.advance_clock(chrono::Duration::days(181));
    let (_, outcome) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(outcome, Outcome::NeedsReconnect { .. }), "{outcome:?}");
    assert_eq!(sync::due_for_daily(&w.store, tomorrow + chrono::Duration::days(2)).unwrap(), Vec::<i64>::new());
}

/// What a sync run must end with when the sandbox misbehaves once, mid-sync.
#[derive(Debug)]
enum Expect {
    /// Retried away inside the run: it completes with everything.
    Completes,
    /// The run stops with a clear reason; the next run resumes and completes.
    FailsThenResumes(&'static str),
}

#[tokio::test]
async fn every_fault_mode_of_the_sandbox_ends_clearly_and_loses_nothing() {
    // The reliability list: each fault mode hits one page call in the
    // middle of a transaction fetch. Nothing committed is lost, nothing is
    // stored twice, no context leaks into the reason (R1, R4, R5, R16).
    let cases = [
        (FaultMode::Http500, None, Expect::Completes),
        (FaultMode::Http503, None, Expect::Completes),
        (FaultMode::Timeout, Some(300), Expect::Completes),
        (FaultMode::Slow, Some(300), Expect::Completes),
        (FaultMode::Drop, None, Expect::Completes),
        (FaultMode::Malformed, None, Expect::FailsThenResumes("malformed answer")),
        (FaultMode::Truncated, None, Expect::FailsThenResumes("malformed answer")),
    ];
    for (mode, delay_ms, expect) in cases {
        let mut w = world().await;
        let conn = w.connect(-1, &[MOCK]).await;
        let acct = w.account(conn, MOCK);
        let secret = w.store.user_context(conn).unwrap().unwrap().expose().to_owned();
        w.sb.set_fault(FaultPlan { delay_ms, ..FaultPlan::next(mode, 1).on_path("/transactions/next") });
        let (run, outcome) = w.sync(conn, Scope::Transactions).await;
        let row = w.store.sync_run(run).unwrap().unwrap();
        match expect {
            Expect::Completes => {
                assert!(matches!(outcome, Outcome::Completed { .. }), "{mode:?}: retried within the run: {outcome:?}");
                assert_eq!(row.state, SyncRunState::Completed, "{mode:?}");
            }
            Expect::FailsThenResumes(words) => {
                let Outcome::Failed { reason, .. } = &outcome else {
                    panic!("{mode:?}: a failed run, got {outcome:?}")
                };
                assert!(reason.contains(words), "{mode:?}: the reason says what happened: {reason}");
                assert!(!reason.contains(&secret), "{mode:?}: R5: no context in the reason");
                assert_eq!(row.state, SyncRunState::Failed, "{mode:?}");
                assert!(row.error.as_deref().is_some_and(|e| !e.contains(&secret)), "{mode:?}: R5 in the stored run");
                assert!(w.store.transaction_count(acct.id).unwrap() > 0, "{mode:?}: the pages before it are kept");
                assert!(w.store.checkpoint(acct.id).unwrap().is_some(), "{mode:?}: R4: where it stopped is kept");
                let (_, again) = w.sync(conn, Scope::Transactions).await;
                assert!(matches!(again, Outcome::Completed { .. }), "{mode:?}: the next run resumes: {again:?}");
            }
        }
        assert_eq!(
            w.store.transaction_count(acct.id).unwrap(),
            w.expected(-1, MOCK),
            "{mode:?}: R16: every transaction exactly once"
        );
        assert!(w.store.checkpoint(acct.id).unwrap().is_none(), "{mode:?}: the fetch is complete");
        let (_, after) = w.sync(conn, Scope::Accounts).await;
        assert!(matches!(after, Outcome::Completed { .. }), "{mode:?}: the connection still works: {after:?}");
    }
}

#[tokio::test]
async fn a_cut_answer_that_used_up_the_refresh_token_asks_to_reconnect_and_keeps_everything() {
    // The worst case of a truncated answer: the gateway processed the call and
    // rotated the single-use refresh token, but the new context never arrived.
    // The stored one is now stale: the run must say "reconnect" (never retry
    // blindly, R11), keep every transaction, and a reconnect must bring the
    // connection back with its history and no duplicates (R15, R16).
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    w.sync(conn, Scope::Transactions).await;
    let acct = w.account(conn, MOCK);
    let kept = w.store.transaction_count(acct.id).unwrap();
    w.sb.advance_clock(chrono::Duration::minutes(11)); // the next call refreshes the token
    w.sb.set_fault(FaultPlan::next(FaultMode::Truncated, 1));
    let (_, first) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(first, Outcome::Failed { .. }), "the cut answer fails the run: {first:?}");
    let (run, outcome) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(outcome, Outcome::NeedsReconnect { .. }), "R11: the stale context is not retried: {outcome:?}");
    assert_eq!(w.store.sync_run(run).unwrap().unwrap().state, SyncRunState::AwaitAuth);
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), kept, "R11: nothing stored is lost");

    let mut req = request(-1);
    req.reconnect = Some(conn);
    let Next::OpenBrowser { url, .. } = connect::start(&mut w.store, &w.client, &req, Utc::now()).await.unwrap() else {
        panic!("the mock bank redirects")
    };
    let Page::Redirected(cb) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else {
        panic!("approved")
    };
    let next = connect::handle_callback(&mut w.store, &w.client, &cb, Utc::now()).await.unwrap();
    assert!(matches!(next, Next::Connected { connection_id, .. } if connection_id == conn), "{next:?}");
    let (_, outcome) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), w.expected(-1, MOCK), "R15/R16: history kept, no twins");
}

#[tokio::test]
async fn payments_the_bank_amends_when_they_settle_are_replaced_not_duplicated() {
    // The sandbox's card payments of the last two days say "PENDING" until
    // they are booked; a later sync gets them amended under the same bank id.
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    let pending_at = |w: &World| {
        let app = w.sb.app();
        let st = app.state();
        let (seed, epoch, today) = (st.seed, st.epoch, st.now().date_naive());
        drop(st);
        let c = app.connectors.iter().find(|c| c.id == -1).unwrap();
        let spec = c.account(MOCK).unwrap();
        let n = saldo_sandbox::data::visible_count(epoch, spec, today);
        (n.saturating_sub(50)..n)
            .map(|i| saldo_sandbox::data::settling(saldo_sandbox::data::transaction(seed, epoch, c, spec, i), c, today))
            .filter(|t| t.description.as_deref().is_some_and(|d| d.starts_with(saldo_sandbox::data::SETTLING_PREFIX)))
            .count() as i64
    };
    let stored_pending = |w: &World, acct: i64| -> i64 {
        w.store
            .sql()
            .query_row(
                "SELECT count(*) FROM transactions WHERE account_id = ?1 AND description LIKE 'PENDING %'",
                [acct],
                |r| r.get(0),
            )
            .unwrap()
    };
    w.sync(conn, Scope::Transactions).await;
    let acct = w.account(conn, MOCK);
    let settling = pending_at(&w);
    assert_eq!(stored_pending(&w, acct.id), settling, "stored as the bank shows them today");

    w.sb.advance_clock(chrono::Duration::days(3));
    let (run, outcome) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    let r = w.store.sync_run(run).unwrap().unwrap();
    assert_eq!(r.updated_transactions, settling, "R10: every settled payment counted as updated");
    assert_eq!(stored_pending(&w, acct.id), pending_at(&w), "only today's payments are still pending");
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), w.expected(-1, MOCK), "R16: amended, never duplicated");
}

/// The process's peak resident memory so far (Linux), in MiB.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024)
}

#[tokio::test]
async fn an_endless_answer_ends_the_run_clearly_with_bounded_memory_and_the_next_sync_works() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    let before = peak_rss_mib();
    w.sb.set_fault(FaultPlan::next(FaultMode::Huge, 1).on_path("/transactions"));
    let (_, outcome) = w.sync(conn, Scope::Transactions).await;
    let Outcome::Failed { reason, .. } = &outcome else { panic!("an endless answer fails the run: {outcome:?}") };
    assert!(reason.contains("larger than 32 MiB"), "one clear sentence: {reason}");
    if let (Some(b), Some(a)) = (before, peak_rss_mib()) {
        eprintln!("peak RSS before {b} MiB, after the endless answer {a} MiB");
        assert!(a.saturating_sub(b) < 160, "memory stays bounded: +{} MiB", a - b);
    }
    let (_, again) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(again, Outcome::Completed { .. }), "the next sync works: {again:?}");
    let acct = w.account(conn, MOCK);
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), w.expected(-1, MOCK), "R16: exactly the bank's rows");
}

#[tokio::test]
async fn a_paging_loop_stops_the_run_stores_nothing_twice_and_the_next_sync_completes() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    w.sb.set_fault(FaultPlan::always(FaultMode::Loop).on_path("/transactions/next"));
    let (_, outcome) = w.sync(conn, Scope::Transactions).await;
    let Outcome::Failed { reason, .. } = &outcome else { panic!("a loop ends the run: {outcome:?}") };
    assert!(reason.contains("loops"), "{reason}");
    let acct = w.account(conn, MOCK);
    let expected = w.expected(-1, MOCK);
    assert!(w.store.transaction_count(acct.id).unwrap() < expected, "only the pages before the loop");
    assert_eq!(w.store.checkpoint(acct.id).unwrap(), None, "the looping fetch is closed, not resumed into the loop");
    w.sb.set_fault(FaultPlan::default());
    let (_, again) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(again, Outcome::Completed { .. }), "{again:?}");
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), expected, "R16: none missing, none twice");
}

#[tokio::test]
async fn disconnecting_a_connection_without_a_recorded_consent_revokes_nothing_and_says_so() {
    let mut w = world().await;
    let conn = w
        .store
        .insert_connection(-1, "No Consent Bank", "BE", &saldo_gateway::UserContext::new("c"), Utc::now())
        .unwrap();
    let calls = |sb: &saldo_sandbox::SandboxHandle| sb.stats().values().sum::<u64>();
    let before = calls(&w.sb);
    let opts = w.opts();
    let revoked = saldo_core::manage::disconnect(&mut w.store, &w.client, conn, &opts, false).await.unwrap();
    assert_eq!(revoked, 0, "nothing to revoke");
    assert_eq!(calls(&w.sb), before, "no gateway call for nothing");
    assert!(w.store.connection(conn).unwrap().is_none(), "R14: deleted");
}

#[tokio::test]
async fn the_gateways_hole_marks_become_gaps_with_their_days_and_a_clean_fetch_closes_them() {
    let config = saldo_sandbox::SandboxConfig { possible_holes: true, ..Default::default() };
    let mut w = support::world_with(config).await;
    let conn = w.connect(-1, &[MOCK]).await;
    let (_, outcome) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    let acct = w.account(conn, MOCK);
    let gaps = w.store.gaps(Some(acct.id)).unwrap();
    assert!(!gaps.is_empty(), "every marked transaction opens a gap");
    for g in &gaps {
        let after = g.after.expect("the page shows the day before the hole");
        assert!(after <= g.before, "the gap lies between two known days: {g:?}");
    }
    // The bank serves the same stretch again without the marks: the gaps close.
    w.sb.set_possible_holes(false);
    let (_, again) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(again, Outcome::Completed { new_transactions: 0, .. }), "{again:?}");
    assert!(w.store.gaps(Some(acct.id)).unwrap().is_empty(), "a fetch that covers them without a mark closes them");
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), w.expected(-1, MOCK), "R16");
}

#[tokio::test]
async fn a_row_the_gateway_lost_shows_as_a_jump_in_its_numbering_and_only_there() {
    let config = saldo_sandbox::SandboxConfig { dropped_rows: true, ..Default::default() };
    let mut w = support::world_with(config).await;
    let conn = w.connect(-1, &[MOCK]).await;
    let (_, outcome) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    let acct = w.account(conn, MOCK);
    let expected = w.expected(-1, MOCK);
    let lost: Vec<chrono::NaiveDate> = {
        let app = w.sb.app();
        let epoch = app.state().epoch;
        let spec = app.connectors.iter().find(|c| c.id == -1).unwrap().account(MOCK).unwrap();
        (0..expected as u64)
            .filter(|i| i % 97 == saldo_sandbox::data::DROPPED_ROW)
            .map(|i| saldo_sandbox::data::date_of(epoch, spec, i))
            .collect()
    };
    assert!(lost.len() >= 3, "the history is long enough to lose rows: {}", lost.len());
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), expected - lost.len() as i64, "the rows never came");
    let gaps = w.store.gaps(Some(acct.id)).unwrap();
    let within =
        |day: &chrono::NaiveDate, g: &saldo_store::gaps::Gap| g.after.is_some_and(|a| a <= *day) && *day <= g.before;
    for day in &lost {
        assert!(gaps.iter().any(|g| within(day, g)), "the lost row of {day} lies in a gap: {gaps:?}");
    }
    for g in &gaps {
        assert!(lost.iter().any(|day| within(day, g)), "no gap without a lost row (no false alarm): {g:?}");
    }
    // The gateway serves the stretch whole again: the rows arrive, the gaps close.
    w.sb.set_dropped_rows(false);
    let (_, again) = w.sync(conn, Scope::Transactions).await;
    assert!(matches!(again, Outcome::Completed { .. }), "{again:?}");
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), expected, "R16: nothing missing, nothing twice");
    assert!(w.store.gaps(Some(acct.id)).unwrap().is_empty(), "a whole stretch closes its gaps");
}

#[tokio::test]
async fn a_connection_is_synced_only_through_its_own_gateway_and_moves_by_reconnecting() {
    let mut w = world().await;
    let conn = w.connect(-1, &[MOCK]).await;
    w.sync(conn, Scope::Transactions).await;
    let acct = w.account(conn, MOCK);
    let kept = w.store.transaction_count(acct.id).unwrap();
    assert_eq!(w.store.connection(conn).unwrap().unwrap().gateway.as_deref(), Some(w.client.label()));

    // The person switches to another gateway: the connection's contexts mean nothing there.
    let other = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let elsewhere =
        saldo_gateway::GatewayClient::new(saldo_gateway::ClientConfig::new(url::Url::parse(other.base_url()).unwrap()))
            .unwrap();
    assert_eq!(saldo_core::manage::switch_gateway(&w.store, elsewhere.label()).unwrap(), 1, "marked at the switch");
    assert_eq!(
        w.store.connection(conn).unwrap().unwrap().status,
        ConnectionStatus::NeedsReconnect,
        "the overview offers the reconnect at once"
    );
    assert_eq!(
        saldo_core::manage::switch_gateway(&w.store, w.client.label()).unwrap(),
        0,
        "its own gateway marks nothing"
    );
    let opts = w.opts();
    let (_, outcome) = sync::sync_connection(&mut w.store, &elsewhere, conn, Scope::Transactions, &opts).await.unwrap();
    let Outcome::NeedsReconnect { reason } = &outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("another gateway"), "{reason}");
    assert!(other.stats().is_empty(), "no call with another gateway's context was made");
    assert_eq!(w.store.transaction_count(acct.id).unwrap(), kept, "R11: the data stays");

    // Reconnecting through the new gateway moves the connection, its history kept.
    let mut req = request(-1);
    req.reconnect = Some(conn);
    let Next::OpenBrowser { url, .. } = connect::start(&mut w.store, &elsewhere, &req, Utc::now()).await.unwrap()
    else {
        panic!()
    };
    let Page::Redirected(cb) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else { panic!() };
    let done = connect::handle_callback(&mut w.store, &elsewhere, &cb, Utc::now()).await.unwrap();
    assert!(matches!(done, Next::Connected { connection_id, .. } if connection_id == conn), "{done:?}");
    assert_eq!(w.store.connection(conn).unwrap().unwrap().gateway.as_deref(), Some(elsewhere.label()));
    let (_, again) = sync::sync_connection(&mut w.store, &elsewhere, conn, Scope::Transactions, &opts).await.unwrap();
    assert!(matches!(again, Outcome::Completed { .. }), "synced through its new gateway: {again:?}");
    assert_eq!(
        w.store.transaction_count(acct.id).unwrap(),
        kept,
        "R15, R16: history kept across the move, nothing twice"
    );
}

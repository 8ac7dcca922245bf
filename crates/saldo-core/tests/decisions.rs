//! The decisions both shells take from the core, once: which connections
//! "sync all" and the daily sync run, when the next daily sync comes, and
//! what a completed sync reports. (R10, R11, R12, R18)

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use chrono::{DateTime, Duration, TimeZone, Utc};
use saldo_core::insights;
use saldo_core::sync::{self, Outcome, Selection, SyncReport};
use saldo_gateway::{AccountConsent, BankDateTime, UserContext};
use saldo_store::states::{ConnectionStatus, SyncRunState, SyncScope, Trigger};
use saldo_store::Store;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 30, 0).unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::Builder::new().prefix("saldo-decisions-").tempdir().unwrap();
    let key = saldo_vault::DbKey::generate().unwrap();
    let store = Store::open(&dir.path().join("saldo.db"), &key).unwrap();
    (dir, store)
}

/// A connection with one enabled account whose consent runs until `until`.
fn connection(s: &mut Store, name: &str, until: &str) -> i64 {
    let conn = s.insert_connection(-1, name, "BE", &UserContext::new("ctx"), now()).unwrap();
    let mut account = saldo_gateway::Account::new(format!("acc-{name}"), "EUR", None);
    account.transactions_consent = Some(AccountConsent {
        consent_id: Some(format!("consent-{name}")),
        valid_until: Some(BankDateTime::parse(until).unwrap()),
        status: None,
        status_at: None,
        settings_id: None,
    });
    s.record_consents(conn, std::slice::from_ref(&account), now()).unwrap();
    let added = s.apply_accounts(conn, &[account], now()).unwrap().added;
    s.set_account_enabled(added[0], true, now()).unwrap();
    conn
}

fn ran(s: &Store, conn: i64, at: DateTime<Utc>) {
    let run = s.start_sync_run(conn, SyncScope::Transactions, Trigger::User, at).unwrap();
    s.set_sync_run_state(run, SyncRunState::Completed, None, None, at).unwrap();
}

#[test]
fn sync_all_is_every_connection_but_a_revoked_one_and_the_daily_sync_only_active_due_ones() {
    let (_dir, mut s) = store();
    let fresh = connection(&mut s, "fresh", "2027-02-01T00:00:00Z");
    let synced = connection(&mut s, "synced", "2027-02-01T00:00:00Z");
    let reconnect = connection(&mut s, "reconnect", "2027-02-01T00:00:00Z");
    let revoked = connection(&mut s, "revoked", "2027-02-01T00:00:00Z");
    ran(&s, synced, now() - Duration::hours(2));
    s.set_connection_status(reconnect, ConnectionStatus::NeedsReconnect, now()).unwrap();
    s.set_connection_status(revoked, ConnectionStatus::Revoked, now()).unwrap();

    let all = sync::select(&s, Selection::All, now()).unwrap();
    assert_eq!(
        all,
        vec![fresh, synced, reconnect],
        "sync all: the person is present, a reconnect may work; never a revoked one"
    );
    let due = sync::select(&s, Selection::Due, now()).unwrap();
    assert_eq!(due, vec![fresh], "R10/R18: unattended only active, not synced in 24 h");
    assert_eq!(sync::select(&s, Selection::One(revoked), now()).unwrap(), vec![revoked], "one is what was asked");
}

#[test]
fn the_next_sync_shown_is_the_daily_syncs_own_rule() {
    let (_dir, mut s) = store();
    let fresh = connection(&mut s, "fresh", "2027-02-01T00:00:00Z");
    let synced = connection(&mut s, "synced", "2027-02-01T00:00:00Z");
    let reconnect = connection(&mut s, "reconnect", "2027-02-01T00:00:00Z");
    let ending = connection(&mut s, "ending", "2026-11-20T20:00:00Z");
    ran(&s, synced, now() - Duration::hours(2));
    ran(&s, reconnect, now() - Duration::hours(30));
    ran(&s, ending, now() - Duration::hours(2));
    s.set_connection_status(reconnect, ConnectionStatus::NeedsReconnect, now()).unwrap();

    let next = sync::next_daily_syncs(&s, now()).unwrap();
    assert_eq!(next.get(&fresh), Some(&now()), "never synced: due now");
    assert_eq!(next.get(&synced), Some(&(now() + Duration::hours(22))), "24 hours after its last run");
    assert_eq!(next.get(&reconnect), None, "a connection that needs a reconnect shows no next sync: it never comes");
    assert_eq!(next.get(&ending), None, "its consent ends before the next daily sync");
    for (id, at) in &next {
        let due_then = sync::due_for_daily(&s, *at).unwrap();
        assert!(due_then.contains(id), "at its next sync time, connection {id} is due by the daily sync's rule");
    }

    let shown = insights::connections(&s, true, now()).unwrap();
    let of = |id: i64| shown.iter().find(|c| c.connection.id == id).unwrap();
    assert_eq!(of(reconnect).next_sync_at, None, "the overview shows no next sync for it");
    assert_eq!(of(synced).next_sync_at, Some(now() + Duration::hours(22)));
    let off = insights::connections(&s, false, now()).unwrap();
    assert!(off.iter().all(|c| c.next_sync_at.is_none()), "no next sync while the daily sync is off");
}

#[test]
fn a_consent_the_bank_refused_no_longer_shows_as_valid_until_a_reconnect_renews_it() {
    let (_dir, mut s) = store();
    let conn = connection(&mut s, "c", "2027-02-01T00:00:00Z");
    s.expire_consents(conn, now()).unwrap();
    let shown = insights::connections(&s, false, now()).unwrap();
    assert_eq!(shown[0].consent_valid_until, None, "R15: an expired consent gives no 'access until'");
    assert!(sync::due_for_daily(&s, now()).unwrap().is_empty(), "R18: nor an unattended sync");
    // The bank reports the same consent in force again (a reconnect renewed it).
    let mut account = saldo_gateway::Account::new("acc-c", "EUR", None);
    account.transactions_consent = Some(AccountConsent {
        consent_id: Some("consent-c".into()),
        valid_until: Some(BankDateTime::parse("2027-05-01T00:00:00Z").unwrap()),
        status: None,
        status_at: None,
        settings_id: None,
    });
    s.record_consents(conn, &[account], now()).unwrap();
    let shown = insights::connections(&s, false, now()).unwrap();
    assert_eq!(shown[0].consent_valid_until.as_deref(), Some("2027-05-01T00:00:00Z"));
}

#[test]
fn a_report_says_what_a_sync_brought_amendments_included_and_a_reconnect_error_is_a_reconnect() {
    let done = SyncReport::new(
        4,
        Ok((
            9,
            Outcome::Completed {
                new_transactions: 3,
                amended_transactions: 2,
                flagged_transactions: 0,
                accounts_added: 1,
                accounts_disappeared: 0,
            },
        )),
    );
    assert_eq!(done.outcome.summary(), "3 new transaction(s), 2 amended by the bank, 1 new account(s)");
    let json = serde_json::to_value(&done).unwrap();
    assert_eq!(json["connection_id"], 4);
    assert_eq!(json["outcome"], "completed");
    assert_eq!(json["amended_transactions"], 2, "the amended count is part of the report");
    let lost = saldo_gateway::GatewayError::Status {
        endpoint: "POST /ob/ais/accounts".into(),
        status: 401,
        body: None,
        meta: Box::default(),
    };
    let r = SyncReport::new(5, Err(lost.into()));
    assert!(matches!(r.outcome, Outcome::NeedsReconnect { .. }), "R11: {r:?}");
    assert_eq!(r.outcome.state(), SyncRunState::AwaitAuth);
}

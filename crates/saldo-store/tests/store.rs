//! The encrypted store: encryption at rest, keys, migrations, exact and
//! idempotent ingest, atomic page commits, accounts and cascades.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use saldo_gateway::{PagerContext, UserContext};
use saldo_store::transactions::PageCommit;
use saldo_store::{Store, StoreError, LATEST_VERSION, MIGRATIONS};
use saldo_vault::DbKey;
use support::{now, seeded, store, temp_dir, tx};

fn commit(
    store: &mut Store,
    conn: i64,
    account: i64,
    run: i64,
    txs: &[saldo_gateway::Transaction],
) -> saldo_store::transactions::IngestStats {
    store.commit_page(&PageCommit::new(conn, account, run, txs), now()).unwrap()
}

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap();
    for ext in ["-wal", "-shm"] {
        if let Ok(b) = std::fs::read(format!("{}{ext}", path.display())) {
            all.extend(b);
        }
    }
    all
}

#[test]
fn the_file_has_no_plaintext_and_sqlite3_cannot_open_it() {
    let (mut s, _key, path, _dir) = store("plain");
    let (conn, accts) = seeded(&mut s, &[("A1", "EUR")]);
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    commit(
        &mut s,
        conn,
        accts[0],
        run,
        &[tx(Some("1"), (2026, 1, 2), "-12.34", "EUR", "Zebulon Quartermaine", "Very Secret Groceries")],
    );
    s.set_user_context(conn, &UserContext::new("Bearer token-abcdef"), now()).unwrap();
    let raw = file_bytes(&path);
    for needle in ["Zebulon", "Quartermaine", "Secret Groceries", "token-abcdef", "CREATE TABLE"] {
        assert!(
            !raw.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "no plaintext {needle:?} in the file or its WAL"
        );
    }
    drop(s);
    let out = std::process::Command::new("sqlite3").arg(&path).arg("SELECT count(*) FROM sqlite_master;").output();
    match out {
        Ok(o) => {
            assert!(!o.status.success(), "sqlite3 must not read the file");
            assert!(
                String::from_utf8_lossy(&o.stderr).contains("not a database"),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        Err(e) => panic!("sqlite3 is needed for this test (scripts/setup test installs it): {e}"),
    }
}

#[test]
fn a_wrong_key_fails_cleanly_and_leaves_the_file_untouched() {
    let (mut s, key, path, _dir) = store("wrongkey");
    seeded(&mut s, &[("A1", "EUR")]);
    drop(s);
    let before = file_bytes(&path);
    let err = Store::open(&path, &DbKey::generate().unwrap()).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err}");
    assert!(err.to_string().contains("untouched"), "a clear message: {err}");
    assert_eq!(file_bytes(&path), before, "the file is unchanged by a failed open");
    let s = Store::open(&path, &key).unwrap();
    assert_eq!(s.accounts(None, true).unwrap().len(), 1, "the right key still opens it, data intact");
}

#[test]
fn a_plaintext_database_is_refused() {
    let tmp = temp_dir("plaindb");
    let dir = tmp.path().to_path_buf();
    let path = dir.join("saldo.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
    drop(c);
    let err = Store::open(&path, &DbKey::generate().unwrap()).unwrap_err();
    assert!(matches!(err, StoreError::NotEncrypted(_)), "{err}");
}

fn schema(conn: &rusqlite::Connection) -> Vec<(String, String, Option<String>)> {
    let mut st = conn.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn every_migration_path_reaches_the_schema_of_a_fresh_database() {
    let (fresh, _, _, _dir) = store("fresh");
    let expected = schema(fresh.sql());
    assert_eq!(fresh.schema_version().unwrap(), LATEST_VERSION);
    for from in 0..=LATEST_VERSION {
        let tmp = temp_dir("migrate");
        let dir = tmp.path().to_path_buf();
        let path = dir.join("saldo.db");
        let key = DbKey::generate().unwrap();
        {
            let c = Store::keyed_connection(&path, &key).unwrap();
            for m in &MIGRATIONS[..from as usize] {
                c.execute_batch(m).unwrap();
            }
            c.pragma_update(None, "user_version", from).unwrap();
        }
        let s = Store::open(&path, &key).unwrap();
        assert_eq!(s.schema_version().unwrap(), LATEST_VERSION, "from v{from}");
        assert_eq!(schema(s.sql()), expected, "migrating from v{from} gives the fresh schema");
    }
}

#[test]
fn released_migrations_are_frozen() {
    // v1 as released; editing it would break databases already in the field.
    let frozen = include_str!("fixtures/schema-v1.sql");
    assert_eq!(MIGRATIONS[0].trim(), frozen.trim(), "never edit a released migration: add a new one");
}

#[test]
fn a_database_from_a_newer_saldo_is_refused() {
    let (s, key, path, _dir) = store("newer");
    s.sql().pragma_update(None, "user_version", LATEST_VERSION + 1).unwrap();
    drop(s);
    let err = Store::open(&path, &key).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
}

#[test]
fn twins_stay_two_and_refetching_adds_nothing() {
    let (mut s, _, _, _dir) = store("twins");
    let (conn, accts) = seeded(&mut s, &[("A1", "EUR")]);
    let page = vec![
        tx(None, (2026, 3, 4), "-4.50", "EUR", "Bakery", "Coffee"),
        tx(None, (2026, 3, 4), "-4.50", "EUR", "Bakery", "Coffee"),
        tx(None, (2026, 3, 3), "-9.99", "EUR", "Shop", "Book"),
        tx(Some("X-1"), (2026, 3, 3), "100", "EUR", "Employer", "Salary"),
    ];
    let run1 = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let first = commit(&mut s, conn, accts[0], run1, &page);
    assert_eq!(first.inserted, 4, "R16: two identical coffees are two transactions");
    let run2 = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let again = commit(&mut s, conn, accts[0], run2, &page);
    assert_eq!((again.inserted, again.unchanged), (0, 4), "R16: re-fetching the same transactions adds nothing");
    assert_eq!(s.transaction_count(accts[0]).unwrap(), 4);
    // A third coffee the next time is new.
    let mut more = page.clone();
    more.insert(0, tx(None, (2026, 3, 4), "-4.50", "EUR", "Bakery", "Coffee"));
    let run3 = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    assert_eq!(commit(&mut s, conn, accts[0], run3, &more).inserted, 1, "a third identical coffee is a new one");
}

#[test]
fn a_transaction_the_bank_amends_is_replaced_not_duplicated() {
    // A card payment settles with a tip and a corrected text, under the same
    // bank id; the monthly sums and the search follow the new version (R16).
    use saldo_store::queries::TxQuery;
    let (mut s, _, _, _dir) = store("amend");
    let (conn, accts) = seeded(&mut s, &[("A1", "EUR")]);
    let before = vec![
        tx(Some("C-1"), (2026, 3, 31), "-42.00", "EUR", "Bistro", "CARD AUTH PENDING"),
        tx(Some("C-2"), (2026, 3, 30), "-9.99", "EUR", "Shop", "Book"),
        tx(None, (2026, 3, 30), "-4.50", "EUR", "Bakery", "Coffee"),
    ];
    let run1 = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    assert_eq!(commit(&mut s, conn, accts[0], run1, &before).inserted, 3);
    let mut after = before.clone();
    after[0] = tx(Some("C-1"), (2026, 4, 1), "-46.20", "EUR", "Bistro", "Dinner incl. tip");
    let run2 = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let stats = commit(&mut s, conn, accts[0], run2, &after);
    assert_eq!((stats.inserted, stats.updated, stats.unchanged), (0, 1, 2), "one amended, two as they were");
    assert_eq!(s.transaction_count(accts[0]).unwrap(), 3, "R16: replaced, not added");
    assert_eq!(s.sync_run(run2).unwrap().unwrap().updated_transactions, 1, "R10: the run counts it");
    let rows = s.transactions_page(&TxQuery { account: Some(accts[0]), limit: 10, ..TxQuery::default() }).unwrap().rows;
    let c1: Vec<_> = rows.iter().filter(|r| r.counterparty_name.as_deref() == Some("Bistro")).collect();
    assert_eq!(c1.len(), 1);
    assert_eq!((c1[0].amount.to_string(), c1[0].booking_date.as_str()), ("-46.20".into(), "2026-04-01"));
    let found = |q: &str| {
        s.transactions_page(&TxQuery { text: Some(q.into()), limit: 10, ..TxQuery::default() }).unwrap().rows.len()
    };
    assert_eq!((found("tip"), found("pending")), (1, 0), "the search index follows the new text");
    let months: Vec<(String, String)> =
        s.monthly(Some(accts[0])).unwrap().into_iter().map(|m| (m.month, m.expense.to_string())).collect();
    assert_eq!(
        months,
        [("2026-03".to_owned(), "-14.49".to_owned()), ("2026-04".to_owned(), "-46.20".to_owned())],
        "the old amount left March, the new one is in April"
    );
    let run3 = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let again = commit(&mut s, conn, accts[0], run3, &after);
    assert_eq!(
        (again.inserted, again.updated, again.unchanged),
        (0, 0, 3),
        "the amended version re-fetched is unchanged"
    );
}

/// Commits `pages` as one fetch: each page but the last names a next page.
/// With `crash_after`, the store is dropped and reopened after that page, as
/// when the process is killed and the fetch resumes from its checkpoint (R4).
fn fetch(
    s: &mut Store,
    path: &std::path::Path,
    key: &DbKey,
    (conn, account, run): (i64, i64, i64),
    pages: &[&[saldo_gateway::Transaction]],
    crash_after: Option<usize>,
) -> saldo_store::transactions::IngestStats {
    let mut total = saldo_store::transactions::IngestStats::default();
    let next = PagerContext::new("next");
    for (i, txs) in pages.iter().enumerate() {
        let last = i + 1 == pages.len();
        let page = PageCommit { next_pager: (!last).then_some(&next), ..PageCommit::new(conn, account, run, txs) };
        let stats = s.commit_page(&page, now()).unwrap();
        total.inserted += stats.inserted;
        total.unchanged += stats.unchanged;
        total.updated += stats.updated;
        if crash_after == Some(i) {
            *s = Store::open(path, key).unwrap();
            assert_eq!(s.checkpoint(account).unwrap().map(|c| c.run_id), Some(run), "the fetch resumes under its run");
        }
    }
    total
}

#[test]
fn pages_split_differently_give_the_same_identities() {
    let (mut s, key, path, _dir) = store("pagesplit");
    let (conn, accts) = seeded(&mut s, &[("A1", "EUR")]);
    let all: Vec<_> =
        (0..30).map(|i| tx(None, (2026, 2, 1 + (i / 3) as u32), "-1.00", "EUR", "Vending", "Snack")).collect();
    let run1 = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let split: Vec<&[_]> = all.chunks(7).collect();
    assert_eq!(fetch(&mut s, &path, &key, (conn, accts[0], run1), &split, None).inserted, 30, "ten triplets of snacks");
    for (size, crash) in [(30, None), (4, None), (4, Some(2)), (5, Some(0))] {
        let run = s
            .start_sync_run(
                conn,
                saldo_store::states::SyncScope::Transactions,
                saldo_store::states::Trigger::User,
                now(),
            )
            .unwrap();
        let split: Vec<&[_]> = all.chunks(size).collect();
        let stats = fetch(&mut s, &path, &key, (conn, accts[0], run), &split, crash);
        assert_eq!(
            (stats.inserted, stats.unchanged),
            (0, 30),
            "R16: pages of {size}, crash {crash:?}: twins split across pages are recognised, nothing added"
        );
    }
    assert_eq!(s.transaction_count(accts[0]).unwrap(), 30);
}

#[test]
fn a_new_twin_on_a_later_page_is_added_even_when_the_fetch_resumes_after_a_crash() {
    // The bank first shows one coffee; a later fetch shows two identical ones
    // on different pages. The second is a new transaction (R16), also when the
    // process dies between the pages and the fetch resumes (R4): what the
    // first page claimed is known from the database, not from memory.
    let coffee = tx(None, (2026, 3, 4), "-4.50", "EUR", "Bakery", "Coffee");
    let book = tx(None, (2026, 3, 5), "-9.99", "EUR", "Shop", "Book");
    for crash in [None, Some(0)] {
        let (mut s, key, path, _dir) = store("resume-twin");
        let (conn, accts) = seeded(&mut s, &[("A1", "EUR")]);
        let ids = |run| (conn, accts[0], run);
        let run1 = s
            .start_sync_run(
                conn,
                saldo_store::states::SyncScope::Transactions,
                saldo_store::states::Trigger::User,
                now(),
            )
            .unwrap();
        assert_eq!(fetch(&mut s, &path, &key, ids(run1), &[std::slice::from_ref(&coffee)], None).inserted, 1);
        let run2 = s
            .start_sync_run(
                conn,
                saldo_store::states::SyncScope::Transactions,
                saldo_store::states::Trigger::User,
                now(),
            )
            .unwrap();
        let pages: [&[_]; 2] = [std::slice::from_ref(&coffee), &[book.clone(), coffee.clone()]];
        let stats = fetch(&mut s, &path, &key, ids(run2), &pages, crash);
        assert_eq!(
            (stats.inserted, stats.unchanged),
            (2, 1),
            "R16, crash {crash:?}: the book and the second coffee are new"
        );
        let run3 = s
            .start_sync_run(
                conn,
                saldo_store::states::SyncScope::Transactions,
                saldo_store::states::Trigger::User,
                now(),
            )
            .unwrap();
        let stats = fetch(&mut s, &path, &key, ids(run3), &pages, crash);
        assert_eq!((stats.inserted, stats.unchanged), (0, 3), "R16, crash {crash:?}: fetched again, nothing is added");
        assert_eq!(s.transaction_count(accts[0]).unwrap(), 3);
        assert_eq!(count(&s, "SELECT count(*) FROM fetch_claims"), 0, "R4: a finished fetch leaves no claims behind");
    }
}

#[test]
fn a_fetch_continued_by_another_process_is_not_counted_from_stale_memory() {
    // The app's fetch stops after a page; the CLI resumes it (a new twin on
    // its page); then the app goes on with the same fetch. The app must count
    // the CLI's page too, or the third coffee would pass for the second.
    let coffee = tx(None, (2026, 3, 4), "-4.50", "EUR", "Bakery", "Coffee");
    let (mut app, key, path, _dir) = store("two-resumers");
    let (conn, accts) = seeded(&mut app, &[("A1", "EUR")]);
    let run1 = app
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    assert_eq!(commit(&mut app, conn, accts[0], run1, std::slice::from_ref(&coffee)).inserted, 1);
    let run2 = app
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let next = PagerContext::new("next");
    let page = |last: bool| PageCommit {
        next_pager: (!last).then_some(&next),
        ..PageCommit::new(conn, accts[0], run2, std::slice::from_ref(&coffee))
    };
    assert_eq!(app.commit_page(&page(false), now()).unwrap().unchanged, 1, "the app: the known coffee");
    let mut cli = Store::open(&path, &key).unwrap();
    assert_eq!(cli.commit_page(&page(false), now()).unwrap().inserted, 1, "the CLI: a second coffee");
    assert_eq!(app.commit_page(&page(true), now()).unwrap().inserted, 1, "the app again: a third coffee");
    assert_eq!(app.transaction_count(accts[0]).unwrap(), 3, "R16: three coffees in the bank's list, three stored");
}

#[test]
fn a_fetch_interrupted_before_the_upgrade_to_v5_resumes_with_its_claims() {
    // Schema v4 marked a re-fetched row with the run that saw it
    // (`last_seen_run`); v5 rebuilds a resumed fetch's claims from that too.
    let tmp = temp_dir("v4resume");
    let dir = tmp.path().to_path_buf();
    let path = dir.join("saldo.db");
    let key = DbKey::generate().unwrap();
    let coffee = tx(None, (2026, 3, 4), "-4.50", "EUR", "Bakery", "Coffee");
    let fp = saldo_store::transactions::fingerprint(&coffee, chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap());
    {
        // What v4 left when run 2's first page had re-fetched the coffee and the process died.
        let c = Store::keyed_connection(&path, &key).unwrap();
        for m in &MIGRATIONS[..4] {
            c.execute_batch(m).unwrap();
        }
        c.pragma_update(None, "user_version", 4).unwrap();
        c.execute_batch(&format!(
            "INSERT INTO connections VALUES (1, -1, 'Old Bank', 'BE', 'active', 'ctx', 't', 't', NULL);
             INSERT INTO accounts (id, connection_id, gateway_id, currency, enabled, created_at, updated_at) VALUES (1, 1, 'A', 'EUR', 1, 't', 't');
             INSERT INTO sync_runs (id, connection_id, scope, state, trigger, started_at) VALUES
               (1, 1, 'TRANSACTIONS', 'COMPLETED', 'user', 't'), (2, 1, 'TRANSACTIONS', 'RUNNING', 'user', 't');
             INSERT INTO transactions (id, account_id, identity, match_key, booking_date, amount_minor, scale, currency, raw, created_at,
                                       first_seen_run, last_seen_run)
               VALUES ({}, 1, '{fp}#0', '{fp}', '2026-03-04', -450, 2, 'EUR', '{{}}', 't', 1, 2);
             INSERT INTO paging_checkpoints VALUES (1, 2, 'next', 1, 't');",
            saldo_store::transactions::day_base(chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap())
        ))
        .unwrap();
    }
    let mut s = Store::open(&path, &key).unwrap();
    assert_eq!(s.schema_version().unwrap(), LATEST_VERSION);
    let cp = s.checkpoint(1).unwrap().unwrap();
    let stats = s.commit_page(&PageCommit::new(1, 1, cp.run_id, std::slice::from_ref(&coffee)), now()).unwrap();
    assert_eq!(stats.inserted, 1, "R16: the second coffee of the resumed fetch is a new one");
    assert_eq!(s.transaction_count(1).unwrap(), 2);
}

#[test]
fn a_page_commits_with_its_user_context_and_checkpoint() {
    let (mut s, _, _, _dir) = store("atomic");
    let (conn, accts) = seeded(&mut s, &[("A1", "EUR")]);
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let ctx = UserContext::new("ctx-1");
    let pager = PagerContext::new("{\"page\":1}");
    let t = [tx(Some("1"), (2026, 1, 1), "1", "EUR", "A", "a")];
    s.commit_page(
        &PageCommit { user_context: Some(&ctx), next_pager: Some(&pager), ..PageCommit::new(conn, accts[0], run, &t) },
        now(),
    )
    .unwrap();
    assert_eq!(s.user_context(conn).unwrap(), Some(ctx), "R1: the new user context is stored with the page");
    let cp = s.checkpoint(accts[0]).unwrap().unwrap();
    assert_eq!((cp.run_id, cp.pager, cp.pages_done), (run, Some(pager), 1), "R4: resume from the next page");
    let t2 = [tx(Some("2"), (2026, 1, 1), "1", "EUR", "A", "a")];
    s.commit_page(&PageCommit::new(conn, accts[0], run, &t2), now()).unwrap();
    assert_eq!(s.checkpoint(accts[0]).unwrap(), None, "the last page clears the checkpoint");
    assert_eq!(s.user_context(conn).unwrap(), Some(UserContext::new("ctx-1")), "a null context leaves the stored one");
}

#[test]
fn a_failed_page_leaves_nothing_half_written() {
    let (mut s, _, _, _dir) = store("rollback");
    let (conn, accts) = seeded(&mut s, &[("A1", "EUR")]);
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let ctx = UserContext::new("ctx-new");
    // An amount that does not fit in 64-bit minor units fails the page midway.
    let huge = tx(Some("2"), (2026, 1, 1), "99999999999999999999.99", "EUR", "B", "b");
    let page = [tx(Some("1"), (2026, 1, 1), "1", "EUR", "A", "a"), huge];
    let err =
        s.commit_page(&PageCommit { user_context: Some(&ctx), ..PageCommit::new(conn, accts[0], run, &page) }, now());
    assert!(err.is_err());
    assert_eq!(s.transaction_count(accts[0]).unwrap(), 0, "no partial page");
    assert_eq!(
        s.user_context(conn).unwrap(),
        Some(UserContext::new("ctx-0")),
        "nor a context from a page that was not stored"
    );
}

#[test]
fn amounts_are_stored_exactly_in_every_currency() {
    let (mut s, _, _, _dir) = store("exact");
    let (conn, accts) = seeded(&mut s, &[("K", "KWD"), ("J", "JPY"), ("E", "EUR")]);
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    commit(&mut s, conn, accts[0], run, &[tx(Some("1"), (2026, 1, 1), "-1.234", "KWD", "A", "a")]);
    commit(&mut s, conn, accts[1], run, &[tx(Some("1"), (2026, 1, 1), "1200", "JPY", "A", "a")]);
    commit(
        &mut s,
        conn,
        accts[2],
        run,
        &[tx(Some("1"), (2026, 1, 1), "0.005", "EUR", "A", "a"), tx(Some("2"), (2026, 1, 1), "0.1", "EUR", "A", "a")],
    );
    let rows: Vec<(i64, i64, String)> = s
        .sql()
        .prepare("SELECT amount_minor, scale, currency FROM transactions ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        [(-1234, 3, "KWD".into()), (1200, 0, "JPY".into()), (5, 3, "EUR".into()), (10, 2, "EUR".into())],
        "R17: exact minor units with their scale"
    );
}

#[test]
fn new_accounts_start_disabled_and_vanished_ones_are_kept_hidden() {
    let (mut s, _, _, _dir) = store("accounts");
    let conn = s.insert_connection(102, "Sandbox Sparkasse", "DE", &UserContext::new("c"), now()).unwrap();
    let a = support::account("GIRO", "EUR");
    let b = support::account("KARTE", "EUR");
    let first = s.apply_accounts(conn, &[a.clone(), b.clone()], now()).unwrap();
    assert_eq!(first.added.len(), 2);
    assert!(
        s.accounts(Some(conn), false).unwrap().iter().all(|a| !a.enabled),
        "R12: discovered accounts are disabled until enabled"
    );
    let second = s.apply_accounts(conn, std::slice::from_ref(&a), now()).unwrap();
    assert_eq!(second.disappeared.len(), 1, "R13: KARTE is no longer returned");
    let visible: Vec<String> = s.accounts(Some(conn), false).unwrap().into_iter().map(|a| a.gateway_id).collect();
    assert_eq!(visible, ["GIRO"], "R13: hidden by default");
    let all = s.accounts(Some(conn), true).unwrap();
    assert!(all.iter().any(|x| x.gateway_id == "KARTE" && x.disappeared_at.is_some()), "R13: still reachable, marked");
    let third = s.apply_accounts(conn, &[a, b], now()).unwrap();
    assert_eq!(third.reappeared.len(), 1, "an account that comes back is unmarked");
}

fn count(s: &Store, sql: &str) -> i64 {
    s.sql().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn deletes_cascade_exactly_as_r14_says() {
    let (mut s, _, _, _dir) = store("cascade");
    let (c1, a1) = seeded(&mut s, &[("A", "EUR"), ("B", "EUR")]);
    let (c2, a2) = seeded(&mut s, &[("C", "EUR")]);
    for (conn, acct) in [(c1, a1[0]), (c1, a1[1]), (c2, a2[0])] {
        let run = s
            .start_sync_run(
                conn,
                saldo_store::states::SyncScope::Transactions,
                saldo_store::states::Trigger::User,
                now(),
            )
            .unwrap();
        let t = [
            tx(Some("1"), (2026, 1, 1), "-1", "EUR", "Zed", "unique-word"),
            tx(Some("2"), (2026, 1, 2), "2", "EUR", "Zed", "x"),
        ];
        let p = PagerContext::new("p");
        s.commit_page(&PageCommit { next_pager: Some(&p), ..PageCommit::new(conn, acct, run, &t) }, now()).unwrap();
        let b = support::clbd("1");
        s.insert_balances(acct, Some(run), &[b], now()).unwrap();
    }
    assert!(s.delete_account(a1[0]).unwrap());
    assert_eq!(
        count(&s, &format!("SELECT count(*) FROM transactions WHERE account_id = {}", a1[0])),
        0,
        "R14: an account's transactions go with it"
    );
    assert_eq!(
        count(&s, &format!("SELECT count(*) FROM balances WHERE account_id = {}", a1[0])),
        0,
        "and its balances"
    );
    assert_eq!(count(&s, "SELECT count(*) FROM transactions"), 4, "other accounts keep theirs");
    assert_eq!(
        count(&s, "SELECT count(*) FROM transactions_fts WHERE transactions_fts MATCH 'unique'"),
        2,
        "search forgets deleted ones"
    );
    assert!(s.delete_connection(c1).unwrap());
    for table in ["accounts", "balances", "sync_runs", "paging_checkpoints"] {
        let n = count(&s, &format!("SELECT count(*) FROM {table}"));
        assert_eq!(n, 1, "R14: only the other connection's {table} remain");
    }
    assert_eq!(count(&s, "SELECT count(*) FROM transactions"), 2, "R14: the connection's transactions are gone");
    assert_eq!(count(&s, "SELECT count(*) FROM connections"), 1);
}

#[test]
fn two_processes_write_to_one_database_at_the_same_time() {
    if let Ok(dir) = std::env::var("SALDO_CHILD_DB_DIR") {
        // Child: writes 40 pages into account 2 while the parent writes into account 1.
        let key = DbKey::from_hex(&std::env::var("SALDO_CHILD_KEY").unwrap()).unwrap();
        let mut s = Store::open(&std::path::Path::new(&dir).join("saldo.db"), &key).unwrap();
        for p in 0..40 {
            let t: Vec<_> =
                (0..25).map(|i| tx(Some(&format!("c{p}-{i}")), (2026, 1, 1), "1", "EUR", "Child", "c")).collect();
            commit(&mut s, 1, 2, 1, &t);
        }
        return;
    }
    let (mut s, key, path, _dir) = store("twoproc");
    let (conn, accts) = seeded(&mut s, &[("A", "EUR"), ("B", "EUR")]);
    assert_eq!((conn, accts.clone()), (1, vec![1, 2]));
    s.start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "two_processes_write_to_one_database_at_the_same_time"])
        .env("SALDO_CHILD_DB_DIR", path.parent().unwrap())
        .env("SALDO_CHILD_KEY", key.to_hex().expose())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for p in 0..40 {
        let t: Vec<_> =
            (0..25).map(|i| tx(Some(&format!("p{p}-{i}")), (2026, 1, 1), "1", "EUR", "Parent", "p")).collect();
        commit(&mut s, conn, 1, 1, &t);
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the other process's writes succeed too (WAL + busy timeout): {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        (s.transaction_count(1).unwrap(), s.transaction_count(2).unwrap()),
        (1000, 1000),
        "nothing lost from either process"
    );
}

#[test]
fn upgrading_a_v1_database_with_data_keeps_it_and_backfills_monthly_totals() {
    let tmp = temp_dir("v1data");
    let dir = tmp.path().to_path_buf();
    let path = dir.join("saldo.db");
    let key = DbKey::generate().unwrap();
    {
        let c = Store::keyed_connection(&path, &key).unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute_batch(
            "INSERT INTO connections VALUES (1, -1, 'Old Bank', 'BE', 'active', 'ctx', 't', 't', NULL);
             INSERT INTO accounts (id, connection_id, gateway_id, currency, enabled, created_at, updated_at) VALUES (1, 1, 'A', 'EUR', 1, 't', 't');
             INSERT INTO transactions (account_id, identity, match_key, booking_date, amount_minor, scale, currency, raw, created_at, description) VALUES
               (1, 'b:1#0', 'b:1', '2025-01-05', 1050, 2, 'EUR', '{}', 't', 'Refund from Müller');
             INSERT INTO transactions (account_id, identity, match_key, booking_date, amount_minor, scale, currency, raw, created_at) VALUES
               (1, 'b:2#0', 'b:2', '2025-01-20', -333, 2, 'EUR', '{}', 't'),
               (1, 'b:3#0', 'b:3', '2025-01-21', -5, 3, 'EUR', '{}', 't'),
               (1, 'b:4#0', 'b:4', '2025-02-01', -100, 2, 'EUR', '{}', 't');",
        )
        .unwrap();
    }
    let s = Store::open(&path, &key).unwrap();
    assert_eq!(s.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(s.transaction_count(1).unwrap(), 4, "no data lost by the upgrade");
    let m: Vec<(String, String, String)> = s
        .monthly(Some(1))
        .unwrap()
        .into_iter()
        .map(|r| (r.month, r.income.to_string(), r.expense.to_string()))
        .collect();
    assert_eq!(
        m,
        [("2025-01".into(), "10.50".into(), "-3.335".into()), ("2025-02".into(), "0.00".into(), "-1.00".into())],
        "monthly totals backfilled exactly from v1 data (R17)"
    );
    let q = saldo_store::queries::TxQuery { text: Some("muller".into()), limit: 10, ..Default::default() };
    assert_eq!(s.transactions_page(&q).unwrap().rows.len(), 1, "the search index is rebuilt by the upgrade");
}

#[cfg(unix)]
#[test]
fn the_database_and_its_wal_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let (mut s, key, path, _dir) = store("private");
    let (conn, accts) = seeded(&mut s, &[("A", "EUR")]);
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let t = support::tx(Some("1"), (2026, 1, 1), "-5", "EUR", "Shop", "private");
    s.commit_page(&PageCommit::new(conn, accts[0], run, &[t]), now()).unwrap();
    let side = |suffix: &str| std::path::PathBuf::from(format!("{}{suffix}", path.display()));
    assert_eq!(mode(&path), 0o600, "a new database is 0600");
    assert!(side("-wal").exists(), "the WAL exists while the store is open");
    assert_eq!(mode(&side("-wal")), 0o600, "its WAL too");
    assert_eq!(mode(&side("-shm")), 0o600, "and its shared memory");
    drop(s);
    // A database an older Saldo (or a copy) left readable is made private on open.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let s = Store::open(&path, &key).unwrap();
    assert_eq!(mode(&path), 0o600, "an existing database is made 0600");
    drop(s);
}

/// SQLCipher's codec attach races when several connections of one process
/// key at once: one of them failed with "PRAGMA key requires a key of one or
/// more characters" (seen in CI, about once in a few hundred opens). The
/// app opens a second connection for every sync while the UI keeps its own,
/// so opens at the same moment are ordinary: every one must succeed.
#[test]
fn connections_opened_at_the_same_moment_all_open() {
    let tmp = temp_dir("concurrent-open");
    let dir = tmp.path().to_path_buf();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let dir = dir.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                for round in 0..6 {
                    let path = dir.join(format!("t{t}-{round}.db"));
                    let key = DbKey::generate().unwrap();
                    barrier.wait();
                    let store = Store::open(&path, &key).map_err(|e| format!("thread {t} round {round}: {e}"))?;
                    let again = store.reopen().map_err(|e| format!("thread {t} round {round} reopen: {e}"))?;
                    assert_eq!(again.schema_version().unwrap(), LATEST_VERSION);
                }
                Ok::<_, String>(())
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
}

/// Issue 17, schema v12: provenance written by a v11 install (the file's
/// name, hash, format and statement on every row) reads the same after the
/// upgrade that moves them to one row per statement.
#[test]
fn provenance_written_before_v12_reads_the_same_after_the_upgrade() {
    let tmp = temp_dir("provenance-v11");
    let path = tmp.path().join("saldo.db");
    let key = DbKey::generate().unwrap();
    {
        let c = Store::keyed_connection(&path, &key).unwrap();
        for m in &MIGRATIONS[..11] {
            c.execute_batch(m).unwrap();
        }
        c.pragma_update(None, "user_version", 11).unwrap();
        c.execute_batch(
            "INSERT INTO connections (id, connector_id, bank_name, country, status, created_at, updated_at, offline)
             VALUES (1, -1, 'Files', 'BE', 'active', 'x', 'x', 1);
             INSERT INTO accounts (id, connection_id, gateway_id, currency, created_at, updated_at)
             VALUES (1, 1, 'G1', 'EUR', 'x', 'x');
             INSERT INTO transactions (id, account_id, identity, match_key, booking_date, amount_minor, scale, currency, created_at)
             VALUES (1, 1, 's:aaaa:0:1#0', 's:aaaa:0:1', '2020-01-05', -320, 2, 'EUR', 'x'),
                    (2, 1, 's:aaaa:0:2#0', 's:aaaa:0:2', '2020-01-06', 410, 2, 'EUR', 'x'),
                    (3, 1, 's:bbbb:1:1#0', 's:bbbb:1:1', '2020-02-01', -50, 2, 'EUR', 'x');
             INSERT INTO provenance (account_id, identity, file_name, file_sha256, format, statement_id, entry, line, imported_at)
             VALUES (1, 's:aaaa:0:1#0', 'jan.sta', 'aaaa', 'mt940', '1/1', 1, 7, 't1'),
                    (1, 's:aaaa:0:2#0', 'jan.sta', 'aaaa', 'mt940', '1/1', 2, 9, 't1'),
                    (1, 's:bbbb:1:1#0', 'feb.xml', 'bbbb', 'camt053', NULL, 1, NULL, 't2');",
        )
        .unwrap();
    }
    let s = Store::open(&path, &key).unwrap();
    let p = |id| s.provenance(id).unwrap().map(|p| p.describe());
    let before = [
        (1, "jan.sta", "aaaa", "mt940", Some("1/1"), 1, Some(7), "t1"),
        (2, "jan.sta", "aaaa", "mt940", Some("1/1"), 2, Some(9), "t1"),
        (3, "feb.xml", "bbbb", "camt053", None, 1, None, "t2"),
    ];
    for (id, name, sha, format, statement, entry, line, at) in before {
        let got = s.provenance(id).unwrap().unwrap();
        assert_eq!(
            (got.file_name.as_str(), got.file_sha256.as_str(), got.format.as_str()),
            (name, sha, format),
            "row {id}"
        );
        assert_eq!(
            (got.statement_id.as_deref(), got.entry, got.line, got.imported_at.as_str()),
            (statement, entry, line, at)
        );
        assert!(p(id).is_some());
    }
    let statements: i64 = s.sql().query_row("SELECT count(*) FROM imported_statements", [], |r| r.get(0)).unwrap();
    assert_eq!(statements, 2, "one row per statement, not per entry");
}

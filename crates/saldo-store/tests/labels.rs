//! A row's category: Saldo's own decision (a rule, like earlier rows, a
//! transfer) kept in the row, the person's choice over it in `labels`.
//! What every reader shows is the person's choice when there is one, else
//! the row's own; amendments, re-syncs and rules never lose the person's;
//! undo gives back exactly what each row showed; the maintained sums stay
//! those of the rows; and a v9 database keeps every category and its
//! pending undo steps when it moves to this layout.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use saldo_classify::rules::{Conditions, RuleDef};
use saldo_gateway::Transaction;
use saldo_store::reports::{GroupBy, ReportQuery};
use saldo_store::states::{CategoryKind, LabelReason, SyncScope, Trigger};
use saldo_store::transactions::PageCommit;
use saldo_store::{Store, MIGRATIONS};
use saldo_vault::DbKey;
use support::{now, seeded, store, temp_dir, tx};

fn rule(name: &str, category: &str, text: &str) -> RuleDef {
    RuleDef {
        name: name.into(),
        category: category.into(),
        when: Conditions { text: Some(text.into()), ..Conditions::default() },
    }
}

fn commit(s: &mut Store, conn: i64, account: i64, rows: &[Transaction]) -> saldo_store::transactions::IngestStats {
    let run = s.start_sync_run(conn, SyncScope::Transactions, Trigger::User, now()).unwrap();
    s.commit_page(&PageCommit::new(conn, account, run, rows), now()).unwrap()
}

fn id_of(s: &Store, identity: &str) -> i64 {
    s.sql().query_row("SELECT id FROM transactions WHERE identity = ?1", [identity], |r| r.get(0)).unwrap()
}

/// (category, reason, words) a row shows.
fn shown(s: &Store, identity: &str) -> Option<(String, LabelReason, String)> {
    s.label(id_of(s, identity)).unwrap().map(|l| (l.category, l.reason, l.detail))
}

fn rows_of(s: &Store, table: &str, columns: &str) -> Vec<String> {
    let sql = format!("SELECT {columns} FROM {table} ORDER BY 1");
    let mut st = s.sql().prepare(&sql).unwrap();
    st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

/// The maintained sums are those of the rows, however they changed: the
/// reports, the in/out chart without transfers, and a rebuild.
fn assert_sums_agree(s: &Store, when: &str) {
    for by in [GroupBy::Category, GroupBy::Counterparty, GroupBy::Month] {
        for gross in [false, true] {
            let q = ReportQuery { gross, ..ReportQuery::default() };
            assert_eq!(s.report(by, &q).unwrap(), s.report_scan(by, &q).unwrap(), "{when}: {by:?} gross {gross}");
        }
    }
    // The chart: every row but those filed under a transfer or ignored category.
    let mut scan: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    {
        let mut st = s
            .sql()
            .prepare(
                "SELECT substr(t.booking_date, 1, 7), t.currency, t.scale, t.amount_minor FROM transactions t
                 LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
                 LEFT JOIN categories c ON c.id = CASE WHEN l.identity IS NULL THEN t.auto_category_id ELSE l.category_id END
                 WHERE c.kind IS NULL OR c.kind IN ('income', 'expense')",
            )
            .unwrap();
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, u32>(2)?, r.get::<_, i64>(3)?))).unwrap();
        for row in rows {
            let (month, currency, scale, minor) = row.unwrap();
            let e = scan.entry((month, currency)).or_default();
            if minor > 0 {
                e.0 += Decimal::new(minor, scale);
            } else {
                e.1 += Decimal::new(minor, scale);
            }
        }
    }
    let flows: BTreeMap<(String, String), (Decimal, Decimal)> = s
        .monthly_flows(None, false)
        .unwrap()
        .into_iter()
        .filter(|m| !(m.income.is_zero() && m.expense.is_zero()))
        .map(|m| ((m.month, m.currency), (m.income, m.expense)))
        .collect();
    scan.retain(|_, (i, e)| !(i.is_zero() && e.is_zero()));
    assert_eq!(flows, scan, "{when}: the chart without transfers and ignored rows equals the rows");
    let days = "account_id || ' ' || day || ' ' || category_id || ' ' || counterparty_key || ' ' || counterparty || ' '
                || currency || ' ' || scale || ' ' || in_minor || ' ' || out_minor || ' ' || rows";
    let months =
        "category_id || ' ' || account_id || ' ' || month || ' ' || currency || ' ' || scale || ' ' || in_minor
                  || ' ' || out_minor || ' ' || rows";
    let kept = (rows_of(s, "category_days", days), rows_of(s, "category_months", months));
    s.rebuild_category_days().unwrap();
    let rebuilt = (rows_of(s, "category_days", days), rows_of(s, "category_months", months));
    assert_eq!(kept, rebuilt, "{when}: the maintained day and month sums are what the rows give");
}

fn labelled(s: &Store) -> i64 {
    s.sql().query_row("SELECT count(*) FROM labels", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_rules_decision_lives_in_the_row_and_the_persons_choice_overrides_it_for_good() {
    let (mut s, _, _, _dir) = store("labels-person");
    let (conn, accts) = seeded(&mut s, &[("BE-LAB", "EUR")]);
    for path in ["Food", "Transport"] {
        s.ensure_category(path, CategoryKind::Expense).unwrap();
    }
    s.add_rule(&rule("Bakery", "Food", "bakery"), None, now()).unwrap();
    let rows = [
        tx(Some("B1"), (2026, 3, 4), "-3.20", "EUR", "Jansen", "Bakery Jansen"),
        tx(Some("B2"), (2026, 3, 5), "-2.10", "EUR", "Jansen", "Bakery Jansen"),
        tx(Some("K1"), (2026, 3, 6), "-9.00", "EUR", "Kiosk", "Kiosk at the station"),
    ];
    let stats = commit(&mut s, conn, accts[0], &rows);
    assert_eq!(stats.categorised, 2);
    assert_eq!(labelled(&s), 0, "a rule's decision is written into the row, not beside it");
    assert_eq!(shown(&s, "b:B1#0"), Some(("Food".into(), LabelReason::Rule, "rule Bakery".into())));
    assert_eq!(shown(&s, "b:K1#0"), None);
    let list = s.transactions_page(&saldo_store::queries::TxQuery { limit: 10, ..Default::default() }).unwrap();
    let b1 = list.rows.iter().find(|r| r.bank_id.as_deref() == Some("B1")).unwrap();
    assert_eq!((b1.category.as_deref(), b1.category_reason.as_deref()), (Some("Food"), Some("rule Bakery")));
    let uncategorised =
        s.transactions_page(&saldo_store::queries::TxQuery { limit: 10, uncategorized: true, ..Default::default() });
    assert_eq!(uncategorised.unwrap().rows.len(), 1, "only the kiosk row has no category");
    assert_sums_agree(&s, "after ingest");

    // The person files B1 under Transport, then says B2 has no category.
    let b1 = id_of(&s, "b:B1#0");
    let b2 = id_of(&s, "b:B2#0");
    let (to_transport, _) =
        s.set_category(&[b1], s.category_by_path("Transport").unwrap().map(|c| c.id), now()).unwrap();
    let (removed, _) = s.set_category(&[b2], None, now()).unwrap();
    assert_eq!(shown(&s, "b:B1#0"), Some(("Transport".into(), LabelReason::Person, "you".into())));
    assert_eq!(shown(&s, "b:B2#0"), None, "the person said: no category");
    assert_sums_agree(&s, "after the person's choices");

    // Rules applied to the past, an amendment and a re-sync change neither.
    let applied = s.apply_rules(false, now()).unwrap();
    assert_eq!(applied.changed, 0, "no row the person decided is taken by a rule: {applied:?}");
    let amended = [
        tx(Some("B1"), (2026, 3, 4), "-3.25", "EUR", "Jansen", "Bakery Jansen settled"),
        tx(Some("B2"), (2026, 3, 5), "-2.15", "EUR", "Jansen", "Bakery Jansen settled"),
        rows[2].clone(),
    ];
    let stats = commit(&mut s, conn, accts[0], &amended);
    assert_eq!((stats.updated, stats.unchanged, stats.categorised), (2, 1, 0));
    commit(&mut s, conn, accts[0], &amended);
    assert_eq!(shown(&s, "b:B1#0"), Some(("Transport".into(), LabelReason::Person, "you".into())));
    assert_eq!(shown(&s, "b:B2#0"), None, "R16: the person's \"no category\" survives the amendment too");
    assert_sums_agree(&s, "after an amendment");

    // Undo, newest first: B2 shows the rule's decision again, then B1.
    s.undo_labels(Some(removed), now()).unwrap().unwrap();
    assert_eq!(shown(&s, "b:B2#0"), Some(("Food".into(), LabelReason::Rule, "rule Bakery".into())));
    s.undo_labels(Some(to_transport), now()).unwrap().unwrap();
    assert_eq!(shown(&s, "b:B1#0"), Some(("Food".into(), LabelReason::Rule, "rule Bakery".into())));
    assert_eq!(labelled(&s), 0);
    assert_sums_agree(&s, "after undo");
}

#[test]
fn an_amendment_keeps_the_rows_own_decision_and_a_row_without_one_is_decided() {
    let (mut s, _, _, _dir) = store("labels-amend");
    let (conn, accts) = seeded(&mut s, &[("BE-AMD", "EUR")]);
    s.ensure_category("Food", CategoryKind::Expense).unwrap();
    s.ensure_category("Transfers", CategoryKind::Transfer).unwrap();
    s.add_rule(&rule("Bakery", "Food", "bakery"), None, now()).unwrap();
    let (_, other) = seeded(&mut s, &[("BE-OTH", "EUR")]);
    let rows = [
        tx(Some("A1"), (2026, 4, 1), "-4.00", "EUR", "Jansen", "PENDING bakery"),
        tx(Some("A2"), (2026, 4, 2), "-5.00", "EUR", "Peeters", "PENDING card"),
        tx(Some("A3"), (2026, 4, 3), "-50.00", "EUR", "Me", "to savings"),
    ];
    commit(&mut s, conn, accts[0], &rows);
    let mut into = tx(Some("I3"), (2026, 4, 3), "50.00", "EUR", "Me", "from current");
    into.counterpart_reference = None;
    commit(&mut s, conn, other[0], &[into]);
    let id = s.pair_transfer(id_of(&s, "b:A3#0"), id_of(&s, "b:I3#0"), now()).unwrap();
    assert!(id > 0);
    assert_eq!(shown(&s, "b:A3#0").map(|l| l.1), Some(LabelReason::Transfer));
    assert_sums_agree(&s, "after a transfer");

    // Settled: A1's text no longer names the bakery, A2's now does; A3 is amended too.
    let settled = [
        tx(Some("A1"), (2026, 4, 1), "-4.00", "EUR", "Jansen", "Card payment 1234"),
        tx(Some("A2"), (2026, 4, 2), "-5.00", "EUR", "Peeters", "Bakery Peeters"),
        tx(Some("A3"), (2026, 4, 3), "-50.00", "EUR", "Me", "to savings, booked"),
    ];
    let stats = commit(&mut s, conn, accts[0], &settled);
    assert_eq!((stats.updated, stats.categorised), (3, 1), "A2 is decided now; A1 and A3 keep theirs");
    assert_eq!(shown(&s, "b:A1#0"), Some(("Food".into(), LabelReason::Rule, "rule Bakery".into())));
    assert_eq!(shown(&s, "b:A2#0"), Some(("Food".into(), LabelReason::Rule, "rule Bakery".into())));
    assert_eq!(
        shown(&s, "b:A3#0"),
        Some(("Transfers".into(), LabelReason::Transfer, "a transfer between your accounts".into()))
    );
    assert_sums_agree(&s, "after amendments");

    // Not a transfer: both legs lose the transfer's category.
    s.not_a_transfer(id_of(&s, "b:A3#0")).unwrap();
    assert_eq!(shown(&s, "b:A3#0"), None);
    assert_eq!(shown(&s, "b:I3#0"), None);
    assert_sums_agree(&s, "after a transfer ended");
}

#[test]
fn applying_rules_is_one_step_and_undo_gives_back_what_every_row_showed() {
    let (mut s, _, _, _dir) = store("labels-apply");
    let (conn, accts) = seeded(&mut s, &[("BE-APP", "EUR")]);
    for path in ["Food", "Shopping", "Savings"] {
        s.ensure_category(path, CategoryKind::Expense).unwrap();
    }
    s.ensure_category("Moves", CategoryKind::Ignore).unwrap();
    let bakery = s.add_rule(&rule("Bakery", "Food", "bakery"), None, now()).unwrap();
    let rows: Vec<Transaction> = (0..40)
        .map(|i| {
            let text = match i % 4 {
                0 => "Bakery Jansen",
                1 => "Shop number 7",
                2 => "Own account move",
                _ => "Something else",
            };
            tx(Some(&format!("R{i}")), (2026, 1 + (i % 3) as u32, 1 + i as u32 % 27), "-7.50", "EUR", "Party", text)
        })
        .collect();
    commit(&mut s, conn, accts[0], &rows);
    let person = id_of(&s, "b:R1#0");
    s.set_category(&[person], s.category_by_path("Savings").unwrap().map(|c| c.id), now()).unwrap();
    let page = |s: &Store| -> BTreeMap<i64, (Option<String>, Option<String>)> {
        let q = saldo_store::queries::TxQuery { limit: 1000, ..Default::default() };
        s.transactions_page(&q).unwrap().rows.into_iter().map(|r| (r.id, (r.category, r.category_reason))).collect()
    };
    let before = page(&s);

    // New rules: the shop first, the bakery's words now file it as shopping
    // too (the reason changes with the category), moves are ignored.
    s.add_rule(&rule("Shops", "Shopping", "shop number"), Some(1), now()).unwrap();
    s.add_rule(&rule("Bakery as shopping", "Shopping", "bakery"), Some(1), now()).unwrap();
    s.add_rule(&rule("Moves", "Moves", "own account"), None, now()).unwrap();
    assert!(s.delete_rule(bakery).unwrap());
    let dry = s.apply_rules(true, now()).unwrap();
    assert_eq!(page(&s), before, "a dry run changes nothing");
    let applied = s.apply_rules(false, now()).unwrap();
    assert_eq!((applied.examined, applied.changed), (40, dry.changed));
    assert_eq!(applied.changed, 10 + 9 + 10, "bakery, shop (not the person's row) and moves rows");
    let after = page(&s);
    assert_eq!(after[&person], before[&person], "the person's row is left alone");
    assert_eq!(
        after[&id_of(&s, "b:R0#0")],
        (Some("Shopping".into()), Some("rule Bakery as shopping".into())),
        "the reason is the rule that decides now"
    );
    assert_eq!(after[&id_of(&s, "b:R2#0")].0.as_deref(), Some("Moves"));
    assert_sums_agree(&s, "after rules applied");
    assert_eq!(s.apply_rules(false, now()).unwrap().batch, None, "applied again: nothing to change");

    s.undo_labels(applied.batch, now()).unwrap().unwrap();
    assert_eq!(page(&s), before, "undo gives back every row's category and reason");
    assert_sums_agree(&s, "after undo");
}

/// The v8 statement that filled the day sums (as a v9 database has them).
const V8_DAYS: &str = "INSERT INTO category_days
SELECT t.account_id, t.booking_date, coalesce(l.category_id, 0), coalesce(t.counterparty_key, ''),
       coalesce(t.counterparty_clean, ''), t.currency, t.scale,
       sum(CASE WHEN t.amount_minor > 0 THEN t.amount_minor ELSE 0 END),
       sum(CASE WHEN t.amount_minor < 0 THEN t.amount_minor ELSE 0 END), count(*)
FROM transactions t LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
GROUP BY 1, 2, 3, 4, 5, 6, 7;";

#[test]
fn a_v9_database_keeps_every_category_reason_and_pending_undo_step() {
    let tmp = temp_dir("labels-v9");
    let path = tmp.path().join("saldo.db");
    let key = DbKey::generate().unwrap();
    {
        let c = Store::keyed_connection(&path, &key).unwrap();
        for m in &MIGRATIONS[..9] {
            c.execute_batch(m).unwrap();
        }
        c.pragma_update(None, "user_version", 9).unwrap();
        c.execute_batch(&format!(
            "INSERT INTO connections (id, connector_id, bank_name, country, status, created_at, updated_at)
             VALUES (1, -1, 'Bank', 'BE', 'active', 'x', 'x');
             INSERT INTO accounts (id, connection_id, gateway_id, currency, created_at, updated_at)
             VALUES (1, 1, 'G1', 'EUR', 'x', 'x');
             INSERT INTO categories (id, parent_id, path, kind) VALUES
               (1, NULL, 'Food', 'expense'), (2, NULL, 'Transport', 'expense'),
               (3, NULL, 'Transfers', 'transfer'), (4, NULL, 'Leisure', 'expense');
             INSERT INTO rules (id, position, name, category_id, conditions, created_at)
             VALUES (1, 1, 'Bakery', 1, '{{\"text\":\"bakery\"}}', 'x');
             INSERT INTO transactions (id, account_id, identity, match_key, booking_date, amount_minor, scale, currency,
                                       created_at, counterparty_clean, counterparty_key, description)
             VALUES (1, 1, 'b:1#0', 'b:1', '2026-01-05', -320, 2, 'EUR', 'x', 'Jansen', 'jansen', 'Bakery Jansen'),
                    (2, 1, 'b:2#0', 'b:2', '2026-01-06', -410, 2, 'EUR', 'x', 'Jansen', 'jansen', 'Jansen'),
                    (3, 1, 'b:3#0', 'b:3', '2026-01-07', -50000, 2, 'EUR', 'x', 'Me', 'me', 'to savings'),
                    (4, 1, 'b:4#0', 'b:4', '2026-02-01', -1200, 2, 'EUR', 'x', 'Jansen', 'jansen', 'Bakery Jansen'),
                    (5, 1, 'b:5#0', 'b:5', '2026-02-02', -230, 2, 'EUR', 'x', 'NMBS', 'nmbs', 'NMBS ticket'),
                    (6, 1, 'b:6#0', 'b:6', '2026-02-03', -150, 2, 'EUR', 'x', 'Jansen', 'jansen', 'Bakery Jansen');
             INSERT INTO labels (account_id, identity, category_id, reason, rule_id, detail, set_at) VALUES
               (1, 'b:1#0', 1, 'rule', 1, 'rule Bakery', 't1'),
               (1, 'b:2#0', 1, 'similar', NULL, 'like 3 earlier payments to Jansen', 't1'),
               (1, 'b:3#0', 3, 'transfer', NULL, 'a transfer between your accounts', 't1'),
               (1, 'b:4#0', 4, 'person', NULL, 'you', 't2'),
               (1, 'b:6#0', 1, 'rule', 1, 'rule Bakery', 't3');
             -- Rules applied (step 1): b:5 lost the rule of a rule since deleted, b:6 got the bakery's.
             -- The person's step (2) put b:4, filed by the bakery's rule, under Leisure.
             INSERT INTO label_batches (id, what, rows, created_at) VALUES
               (1, 'rules applied: 2 row(s) changed category', 2, 't3'), (2, 'put in Leisure by you', 1, 't4');
             INSERT INTO label_undo (batch_id, account_id, identity, category_id, reason, rule_id, detail, set_at) VALUES
               (1, 1, 'b:5#0', 2, 'rule', 99, 'rule Trains', 't0'),
               (1, 1, 'b:6#0', NULL, NULL, NULL, NULL, NULL),
               (2, 1, 'b:4#0', 1, 'rule', 1, 'rule Bakery', 't1');
             INSERT INTO monthly_totals (account_id, month, currency, scale, income_minor, expense_minor)
             SELECT account_id, substr(booking_date, 1, 7), currency, scale,
                    sum(CASE WHEN amount_minor > 0 THEN amount_minor ELSE 0 END),
                    sum(CASE WHEN amount_minor < 0 THEN amount_minor ELSE 0 END)
             FROM transactions GROUP BY 1, 2, 3, 4;
             {V8_DAYS}"
        ))
        .unwrap();
    }
    let mut s = Store::open(&path, &key).unwrap();
    assert_eq!(s.schema_version().unwrap(), saldo_store::LATEST_VERSION);
    assert_eq!(labelled(&s), 1, "only the person's choice stays beside its row");
    let why = |s: &Store, identity: &str| shown(s, identity).map(|(c, r, d)| format!("{c} / {r} / {d}"));
    assert_eq!(why(&s, "b:1#0").as_deref(), Some("Food / rule / rule Bakery"));
    assert_eq!(why(&s, "b:2#0").as_deref(), Some("Food / similar / like 3 earlier payments to Jansen"));
    assert_eq!(why(&s, "b:3#0").as_deref(), Some("Transfers / transfer / a transfer between your accounts"));
    assert_eq!(why(&s, "b:4#0").as_deref(), Some("Leisure / person / you"));
    assert_eq!(why(&s, "b:5#0"), None);
    assert_eq!(why(&s, "b:6#0").as_deref(), Some("Food / rule / rule Bakery"));
    assert_sums_agree(&s, "after the upgrade");

    // The person's step first: b:4 shows the bakery's rule again.
    let steps: Vec<i64> = s.label_batches().unwrap().iter().map(|b| b.id).collect();
    assert_eq!(steps, [2, 1]);
    s.undo_labels(None, now()).unwrap().unwrap();
    assert_eq!(why(&s, "b:4#0").as_deref(), Some("Food / rule / rule Bakery"));
    assert_eq!(labelled(&s), 0);
    assert_sums_agree(&s, "after undoing the person's step");
    // Then the rules: b:5 gets the deleted rule's category and words back, b:6 none.
    s.undo_labels(None, now()).unwrap().unwrap();
    assert_eq!(why(&s, "b:5#0").as_deref(), Some("Transport / rule / rule Trains"));
    assert_eq!(why(&s, "b:6#0"), None);
    assert_sums_agree(&s, "after undoing the rules");
    // And rules applied again give every row what the rules say now (the
    // transfer and the bakery's rows stay as they are).
    let applied = s.apply_rules(false, now()).unwrap();
    assert_eq!(applied.changed, 3, "b:2 (no evidence left), b:5 (its rule is gone), b:6: {applied:?}");
    assert_eq!(why(&s, "b:2#0"), None);
    assert_eq!(why(&s, "b:3#0").as_deref(), Some("Transfers / transfer / a transfer between your accounts"));
    assert_eq!(why(&s, "b:5#0"), None);
    assert_eq!(why(&s, "b:6#0").as_deref(), Some("Food / rule / rule Bakery"));
    assert_sums_agree(&s, "after rules applied again");
}

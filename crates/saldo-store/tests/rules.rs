//! The order of the rules is the person's: the first that matches files a
//! row (and is named as the reason), and moving a rule changes which one
//! that is once the rules are applied again.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use saldo_classify::rules::{Conditions, RuleDef};
use saldo_store::states::LabelReason;
use saldo_store::transactions::PageCommit;
use support::{now, seeded, store, tx};

fn rule(name: &str, category: &str, text: &str) -> RuleDef {
    RuleDef {
        name: name.into(),
        category: category.into(),
        when: Conditions { text: Some(text.into()), ..Conditions::default() },
    }
}

#[test]
fn moving_a_rule_changes_which_one_files_a_row() {
    let (mut s, _, _, _dir) = store("rules-order");
    let (conn, accts) = seeded(&mut s, &[("BE-ORDER", "EUR")]);
    for path in ["Food", "Transport"] {
        s.ensure_category(path, saldo_store::states::CategoryKind::Expense).unwrap();
    }
    let a = s.add_rule(&rule("Station kiosk", "Food", "kiosk"), None, now()).unwrap();
    let b = s.add_rule(&rule("Station", "Transport", "station"), None, now()).unwrap();
    let c = s.add_rule(&rule("Bakery", "Food", "bakery"), None, now()).unwrap();
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    let rows = [tx(Some("K1"), (2026, 3, 4), "-3.20", "EUR", "NMBS", "Kiosk at the station")];
    s.commit_page(&PageCommit::new(conn, accts[0], run, &rows), now()).unwrap();
    let id = s.sql().query_row("SELECT id FROM transactions", [], |r| r.get::<_, i64>(0)).unwrap();
    let label = s.label(id).unwrap().unwrap();
    assert_eq!(
        (label.category.as_str(), label.reason, label.detail.as_str()),
        ("Food", LabelReason::Rule, "rule Station kiosk")
    );

    // The person puts "Station" first: the next application files the row under Transport.
    assert!(s.move_rule(b, 1).unwrap());
    let order: Vec<i64> = s.rules().unwrap().iter().map(|r| r.id).collect();
    assert_eq!(order, vec![b, a, c], "moved first, the others in their order");
    let applied = s.apply_rules(false, now()).unwrap();
    assert_eq!(applied.changed, 1);
    let label = s.label(id).unwrap().unwrap();
    assert_eq!((label.category.as_str(), label.detail.as_str()), ("Transport", "rule Station"));

    // Past the end is last; an unknown rule is said so and changes nothing.
    assert!(s.move_rule(b, 99).unwrap());
    assert_eq!(s.rules().unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![a, c, b]);
    assert!(!s.move_rule(12345, 1).unwrap());
    assert_eq!(s.rules().unwrap().iter().map(|r| r.position).collect::<Vec<_>>(), vec![1, 2, 3]);
}

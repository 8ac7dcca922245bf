//! The overview's balance-over-time line, rebuilt from synced sandbox data:
//! it must agree with what the bank says (the latest booked balance, R17
//! exact) and with the transactions themselves, day by day.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_core::insights::balance_series;
use saldo_core::sync::{self, Outcome, Scope};
use saldo_store::export::DateRange;

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_balance_line_ends_on_the_banks_booked_balance_and_moves_by_each_days_transactions() {
    let mut w = support::world().await;
    for connector in [-1, 101] {
        let conn = w.connect(connector, &[]).await;
        let opts = w.opts();
        let (_, outcome) =
            sync::sync_connection(&mut w.store, &w.client, conn, Scope::Transactions, &opts).await.unwrap();
        assert!(matches!(outcome, Outcome::Completed { .. }), "{outcome:?}");
    }
    let mut checked = 0;
    for a in w.store.accounts(None, false).unwrap() {
        let latest = w.store.latest_balances(a.id).unwrap();
        let Some(booked) = ["CLBD", "ITBD"].iter().find_map(|t| latest.iter().find(|b| b.balance_type == *t)) else {
            continue;
        };
        let anchor_day = booked.reference_date.unwrap();
        // The nets per day, summed here from the transactions one by one.
        let mut nets: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
        w.store
            .for_each_transaction::<saldo_store::StoreError>(a.id, DateRange::default(), |t| {
                *nets.entry(t.booking_date).or_default() += t.amount;
                Ok(())
            })
            .unwrap();
        assert!(!nets.is_empty(), "{} has history", a.gateway_id);

        let series = balance_series(&w.store, a.id, None).unwrap();
        assert!(series.windows(2).all(|p| p[0].date < p[1].date), "one point per day, oldest first");
        let on_anchor = series.iter().find(|p| p.date == anchor_day).expect("a point on the bank's balance day");
        assert_eq!(on_anchor.amount, booked.amount, "{}: the line meets the bank's booked balance", a.gateway_id);
        for pair in series.windows(2) {
            let net = nets.get(&pair[1].date).copied().unwrap_or_default();
            assert_eq!(
                pair[1].amount - pair[0].amount,
                net,
                "{}: moves by the day's net on {}",
                a.gateway_id,
                pair[1].date
            );
        }
        let first = &series[0];
        assert_eq!(first.date, *nets.keys().next().unwrap(), "starts on the first day with history");

        // A window of the line is the same line, cut.
        let from = series[series.len() / 2].date;
        let cut = balance_series(&w.store, a.id, Some(from)).unwrap();
        assert!(cut.iter().all(|p| p.date >= from));
        let full: BTreeMap<_, _> = series.iter().map(|p| (p.date, p.amount)).collect();
        assert!(cut.iter().all(|p| full.get(&p.date) == Some(&p.amount)), "same levels on shared days");
        checked += 1;
    }
    assert!(checked >= 3, "several accounts checked, {checked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_booked_balance_there_is_no_level_to_draw() {
    let mut w = support::world().await;
    w.connect(-1, &[]).await; // accounts discovered, nothing synced yet
    let a = w.store.accounts(None, false).unwrap().remove(0);
    assert_eq!(balance_series(&w.store, a.id, None).unwrap(), vec![]);
    assert!(balance_series(&w.store, 987_654, None).is_err(), "an unknown account is an error, not an empty line");
}

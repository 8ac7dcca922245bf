//! The read models over a realistic history (the sandbox's generated data).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use saldo_gateway::Transaction;
use saldo_sandbox::banks::catalog;
use saldo_store::queries::{Direction, Sort, TxQuery};
use saldo_store::transactions::PageCommit;
use saldo_store::Store;
use support::{now, seeded, store};

/// Two accounts (EUR and JPY) filled with 600 + 80 generated transactions.
fn filled() -> (Store, Vec<i64>, Vec<Transaction>, Vec<Transaction>, tempfile::TempDir) {
    let (mut s, _, _, _dir) = store("queries");
    let (conn, accts) = seeded(&mut s, &[("NL-SBN-001", "EUR"), ("NL-SBN-JPY", "JPY")]);
    let c = catalog(0).into_iter().find(|c| c.id == 101).unwrap();
    let epoch = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let mut eur_spec = c.accounts[0].clone();
    eur_spec.transactions = 600;
    let eur: Vec<Transaction> =
        (0..600).rev().map(|i| saldo_sandbox::data::transaction(3, epoch, &c, &eur_spec, i)).collect();
    let jpy: Vec<Transaction> =
        (0..80).rev().map(|i| saldo_sandbox::data::transaction(3, epoch, &c, &c.accounts[1], i)).collect();
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    for (acct, list) in [(accts[0], &eur), (accts[1], &jpy)] {
        for chunk in list.chunks(50) {
            s.commit_page(&PageCommit::new(conn, acct, run, chunk), now()).unwrap();
        }
    }
    (s, accts, eur, jpy, _dir)
}

fn all_pages(s: &Store, mut q: TxQuery) -> Vec<saldo_store::queries::TxRow> {
    let mut out = Vec::new();
    loop {
        let page = s.transactions_page(&q).unwrap();
        out.extend(page.rows);
        match page.next {
            Some(c) => q.after = Some(c),
            None => return out,
        }
    }
}

#[test]
fn keyset_pages_cover_everything_once_in_order() {
    let (s, _, eur, jpy, _dir) = filled();
    for sort in [Sort::DateDesc, Sort::DateAsc, Sort::AmountDesc, Sort::AmountAsc] {
        let rows = all_pages(&s, TxQuery { sort, limit: 37, ..TxQuery::default() });
        assert_eq!(rows.len(), eur.len() + jpy.len(), "{sort:?}: every transaction, once");
        let mut ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rows.len(), "{sort:?}: no row twice");
        let ordered = rows.windows(2).all(|w| match sort {
            Sort::DateDesc => w[0].booking_date >= w[1].booking_date,
            Sort::DateAsc => w[0].booking_date <= w[1].booking_date,
            Sort::AmountDesc => w[0].amount >= w[1].amount,
            Sort::AmountAsc => w[0].amount <= w[1].amount,
        });
        assert!(ordered, "{sort:?}: sorted (amounts compared exactly across EUR and JPY scales)");
    }
}

#[test]
fn filters_select_exactly_the_matching_transactions() {
    let (s, accts, eur, _, _dir) = filled();
    let from = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
    let min: Decimal = "-800".parse().unwrap();
    let max: Decimal = "500.5".parse().unwrap();
    let rows = all_pages(
        &s,
        TxQuery {
            account: Some(accts[0]),
            from: Some(from),
            to: Some(to),
            min: Some(min),
            max: Some(max),
            limit: 50,
            ..TxQuery::default()
        },
    );
    let expected = eur
        .iter()
        .filter(|t| {
            let d = t.execution_date.as_ref().unwrap().date();
            d >= from && d <= to && t.amount.0 >= min && t.amount.0 <= max
        })
        .count();
    assert!(expected > 5, "the filter selects something ({expected})");
    assert_eq!(rows.len(), expected, "account + dates + amount range");
    let out = all_pages(
        &s,
        TxQuery { account: Some(accts[0]), direction: Some(Direction::Out), limit: 200, ..TxQuery::default() },
    );
    assert_eq!(out.len(), eur.iter().filter(|t| t.amount.0.is_sign_negative()).count(), "money out only");
    assert!(out.iter().all(|r| r.amount.is_sign_negative()));
}

#[test]
fn search_finds_words_and_prefixes_ignoring_accents_and_case() {
    let (s, _, eur, jpy, _dir) = filled();
    let zurich =
        eur.iter().chain(&jpy).filter(|t| t.counterpart_name.as_deref().is_some_and(|n| n.contains("Zürich"))).count();
    assert!(zurich > 0);
    for q in ["zurich", "ZÜRICH", "züri", "cafe zur"] {
        let rows = all_pages(&s, TxQuery { text: Some(q.into()), limit: 100, ..TxQuery::default() });
        assert_eq!(rows.len(), zurich, "search {q:?}");
    }
    let scripts = all_pages(&s, TxQuery { text: Some("<script>".into()), limit: 100, ..TxQuery::default() });
    assert!(
        scripts.iter().all(|r| r.description.as_deref().unwrap_or("").contains("script")),
        "hostile text is searchable as text"
    );
    assert!(
        all_pages(&s, TxQuery { text: Some("\" OR NEAR(".into()), limit: 10, ..TxQuery::default() }).len() <= eur.len(),
        "FTS syntax in the query is harmless"
    );
}

#[test]
fn monthly_sums_are_exact() {
    let (s, accts, eur, _, _dir) = filled();
    let mut expected: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for t in &eur {
        let m = t.execution_date.as_ref().unwrap().date().format("%Y-%m").to_string();
        let e = expected.entry(m).or_default();
        if t.amount.0.is_sign_positive() {
            e.0 += t.amount.0;
        } else {
            e.1 += t.amount.0;
        }
    }
    let got: BTreeMap<String, (Decimal, Decimal)> =
        s.monthly(Some(accts[0])).unwrap().into_iter().map(|r| (r.month, (r.income, r.expense))).collect();
    assert_eq!(got, expected, "R17: income and spending per month, to the cent");
    let all = s.monthly(None).unwrap();
    assert!(
        all.iter().any(|r| r.currency == "JPY") && all.iter().any(|r| r.currency == "EUR"),
        "per currency, never mixed"
    );
}

#[test]
fn overview_and_totals_use_the_latest_balance() {
    let (mut s, accts, _, _, _dir) = filled();
    s.insert_balances(accts[0], None, &[support::clbd("10.10")], now()).unwrap();
    s.insert_balances(accts[0], None, &[support::clbd("20.20")], now()).unwrap();
    let o = s.accounts_overview(false).unwrap();
    assert_eq!(o[0].balances.len(), 1, "one latest balance per type");
    assert_eq!(o[0].balances[0].amount.to_string(), "20.20");
    assert_eq!(s.balance_history(accts[0]).unwrap().len(), 2, "history is kept");
}

#[test]
fn remittance_text_is_searchable_and_deleted_rows_leave_the_index() {
    let (mut s, _, _, _dir) = store("remit");
    let (conn, accts) = seeded(&mut s, &[("A", "EUR")]);
    let mut t1 = support::tx(Some("1"), (2026, 1, 1), "-5", "EUR", "Shop", "Same text");
    t1.remittance_information =
        Some(saldo_gateway::RemittanceInformation { structured: None, unstructured: Some("Same text".into()) });
    let mut t2 = support::tx(Some("2"), (2026, 1, 2), "-6", "EUR", "Shop", "Card payment");
    t2.remittance_information = Some(saldo_gateway::RemittanceInformation {
        structured: None,
        unstructured: Some("Invoice 4711 Zyxwv".into()),
    });
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    s.commit_page(&PageCommit::new(conn, accts[0], run, &[t1, t2]), now()).unwrap();
    let find = |s: &Store, q: &str| {
        s.transactions_page(&TxQuery { text: Some(q.into()), limit: 10, ..TxQuery::default() }).unwrap().rows.len()
    };
    assert_eq!(find(&s, "zyxwv"), 1, "remittance text different from the description is searchable");
    assert_eq!(find(&s, "same text"), 1, "a remittance equal to the description is found once");
    s.delete_account(accts[0]).unwrap();
    let integrity: String = s
        .sql()
        .query_row(
            "INSERT INTO transactions_fts (transactions_fts, rank) VALUES ('integrity-check', 1) RETURNING 'ok'",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| e.to_string());
    assert_eq!(integrity, "ok", "the search index stays consistent with the rows");
    assert_eq!(find(&s, "zyxwv"), 0, "deleted rows leave the index");
}

#[test]
fn search_works_in_every_script_and_never_errors() {
    let (mut s, _, _, _dir) = store("scripts");
    let (conn, accts) = seeded(&mut s, &[("A", "EUR")]);
    let texts = [
        "नमस्ते किराना स्टोर",         // Hindi: vowel signs and a virama (combining marks)
        "ร้านกาแฟ สวัสดี",             // Thai: tone marks above the letters
        "বাজার খরচ",                  // Bengali
        "مَطْعَم الشَّام",               // Arabic with harakat
        "ⓒⓘⓡⓒⓛⓔⓓ Café ①②③",         // circled letters and numbers
        "Pizza 🍕 night 👨‍👩‍👧 family", // emoji, a joined family
    ];
    let page: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| support::tx(Some(&format!("u{i}")), (2026, 2, 1 + i as u32), "-1", "EUR", "Shop", t))
        .collect();
    let run = s
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now())
        .unwrap();
    s.commit_page(&PageCommit::new(conn, accts[0], run, &page), now()).unwrap();
    let find = |q: &str| {
        s.transactions_page(&TxQuery { text: Some(q.into()), limit: 10, ..TxQuery::default() })
            .unwrap_or_else(|e| panic!("{q:?} must not fail: {e}"))
            .rows
            .into_iter()
            .map(|r| r.description.unwrap_or_default())
            .collect::<Vec<_>>()
    };
    for (query, wants) in [
        ("नमस्ते", Some(0)),
        ("किराना", Some(0)),
        ("ร้านกาแฟ", Some(1)),
        ("বাজার", Some(2)),
        ("مَطْعَم", Some(3)),
        ("الشَّام", Some(3)),
        ("café", Some(4)),
        ("pizza", Some(5)),
        ("ⓒⓘⓡⓒⓛⓔⓓ", None),
        ("🍕", None),
        ("👨‍👩‍👧", None),
        ("\"", None),
    ] {
        let got = find(query);
        match wants {
            Some(i) => assert!(got.contains(&texts[i].to_owned()), "{query:?} finds {:?}: {got:?}", texts[i]),
            None => {
                assert!(got.is_empty(), "{query:?}: nothing the index can match, so nothing, not everything: {got:?}")
            }
        }
    }
}

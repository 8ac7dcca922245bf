//! The state enums are exactly the schema's CHECK constraints: a value the
//! schema allows but Rust cannot read (or the reverse) would hide a state.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use std::collections::BTreeSet;

use saldo_store::states::{
    CategoryKind, ConnectionStatus, ConsentStatus, FlowState, LabelReason, RedirectKind, SyncRunState, SyncScope,
    TransferHow, Trigger,
};

/// The values a table's `CHECK (column IN (...))` allows, from the schema.
fn check_values(sql: &str, column: &str) -> BTreeSet<String> {
    let marker = format!("CHECK ({column} IN (");
    let start = sql.find(&marker).unwrap_or_else(|| panic!("no CHECK on {column} in {sql}")) + marker.len();
    let list = &sql[start..start + sql[start..].find(')').unwrap()];
    list.split(',').map(|v| v.trim().trim_matches('\'').to_owned()).collect()
}

fn strings(all: &[impl std::fmt::Display]) -> BTreeSet<String> {
    all.iter().map(ToString::to_string).collect()
}

#[test]
fn every_state_enum_is_exactly_its_columns_check_constraint() {
    let (s, _, _, _dir) = support::store("states");
    let table_sql = |table: &str| -> String {
        s.sql()
            .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| r.get(0))
            .unwrap()
    };
    let cases: Vec<((&str, &str), BTreeSet<String>)> = vec![
        (ConnectionStatus::COLUMN, strings(ConnectionStatus::ALL)),
        (ConsentStatus::COLUMN, strings(ConsentStatus::ALL)),
        (FlowState::COLUMN, strings(FlowState::ALL)),
        (RedirectKind::COLUMN, strings(RedirectKind::ALL)),
        (SyncRunState::COLUMN, strings(SyncRunState::ALL)),
        (SyncScope::COLUMN, strings(SyncScope::ALL)),
        (Trigger::COLUMN, strings(Trigger::ALL)),
        (CategoryKind::COLUMN, strings(CategoryKind::ALL)),
        (LabelReason::COLUMN, strings(LabelReason::ALL)),
        (TransferHow::COLUMN, strings(TransferHow::ALL)),
    ];
    for ((table, column), values) in cases {
        assert_eq!(check_values(&table_sql(table), column), values, "{table}.{column}: the enum and the schema agree");
    }
}

#[test]
fn a_value_outside_the_set_reads_as_an_error_not_as_a_string() {
    let (s, _, _, _dir) = support::store("states-bad");
    // The schema's CHECK refuses it on write; a value from elsewhere (an
    // older or hand-edited file) is refused on read.
    assert!(s.sql().execute("INSERT INTO connections (connector_id, bank_name, country, status, created_at, updated_at) VALUES (1, 'b', 'BE', 'paused', 'x', 'x')", []).is_err(), "the schema refuses unknown states");
    let got: rusqlite::Result<ConnectionStatus> = s.sql().query_row("SELECT 'paused'", [], |r| r.get(0));
    assert!(got.is_err(), "an unknown state is not read as some state");
    let got: ConnectionStatus = s.sql().query_row("SELECT 'needs_reconnect'", [], |r| r.get(0)).unwrap();
    assert_eq!(got, ConnectionStatus::NeedsReconnect);
}

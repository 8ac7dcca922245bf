//! `sync_runs`: one row per sync of a connection, with its progress (R10).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use crate::states::{FailureKind, SyncRunState, SyncScope, Trigger};
use crate::{Result, Store};

impl Store {
    /// Starts a sync run (R10) and returns its id. Runs of the connection
    /// still marked RUNNING were interrupted (a crash or a kill): they are
    /// marked FAILED first. The caller holds the connection's lock.
    pub fn start_sync_run(
        &self,
        connection_id: i64,
        scope: SyncScope,
        trigger: Trigger,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.conn.execute(
            "UPDATE sync_runs SET state = 'FAILED', error_kind = 'local', error = 'interrupted (the process stopped)', finished_at = ?2
             WHERE connection_id = ?1 AND state IN ('QUEUED', 'RUNNING')",
            params![connection_id, now.to_rfc3339()],
        )?;
        self.conn.execute(
            "INSERT INTO sync_runs (connection_id, scope, state, trigger, started_at) VALUES (?1, ?2, 'RUNNING', ?3, ?4)",
            params![connection_id, scope, trigger, now.to_rfc3339()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Ends a sync run.
    pub fn finish_sync_run(
        &self,
        run_id: i64,
        state: SyncRunState,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_runs SET state = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
            params![run_id, state, error, now.to_rfc3339()],
        )?;
        Ok(())
    }
}

/// A connection the daily automatic sync may run, with what decides when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DailyCandidate {
    /// The connection.
    pub connection_id: i64,
    /// When its latest sync run started, if it ever ran.
    pub last_run_started: Option<DateTime<Utc>>,
    /// The earliest end of its consents, if the bank said.
    pub consent_ends: Option<DateTime<Utc>>,
}

/// A sync run as stored (R10: visible with its progress).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncRunRow {
    /// Run id.
    pub id: i64,
    /// Connection.
    pub connection_id: i64,
    /// What it fetches.
    pub scope: SyncScope,
    /// Where it is.
    pub state: SyncRunState,
    /// Accounts processed.
    pub accounts_done: i64,
    /// Pages committed.
    pub pages_done: i64,
    /// New transactions.
    pub new_transactions: i64,
    /// Transactions the bank amended (replaced by their new version).
    pub updated_transactions: i64,
    /// Why it stopped, for FAILED / AWAIT_AUTH.
    pub error: Option<String>,
    /// Why it did not complete.
    pub error_kind: Option<FailureKind>,
}

impl Store {
    /// A sync run with its progress.
    pub fn sync_run(&self, id: i64) -> Result<Option<SyncRunRow>> {
        self.sync_run_where("id = ?1", id)
    }

    /// The newest sync run of a connection (progress of a running sync, seen
    /// from another connection or process).
    pub fn latest_sync_run(&self, connection_id: i64) -> Result<Option<SyncRunRow>> {
        self.sync_run_where("connection_id = ?1 ORDER BY id DESC LIMIT 1", connection_id)
    }

    /// How many transactions were stored after `since` (RFC 3339, UTC).
    pub fn transactions_created_since(&self, since: &str) -> Result<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM transactions WHERE created_at > ?1", [since], |r| r.get(0))?)
    }

    /// The sync run of a connection before its newest (two failures in a
    /// row are worth telling the person).
    pub fn previous_sync_run(&self, connection_id: i64) -> Result<Option<SyncRunRow>> {
        self.sync_run_where("connection_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET 1", connection_id)
    }

    /// The connections the daily automatic sync may run (R10, R18), with
    /// what decides when: active (a connection that needs SCA is never
    /// synced unattended), at least one enabled account the bank still
    /// returns, and no consent that is not valid or has run out by `now`.
    /// Each comes with the start of its latest sync run — by the person or
    /// automatic, finished or failed — and the earliest end of its consents.
    /// The core decides from these which are due and when the next one is
    /// (`saldo_core::sync`).
    pub fn daily_candidates(&self, now: DateTime<Utc>) -> Result<Vec<DailyCandidate>> {
        let mut st = self.conn.prepare_cached(
            "SELECT c.id,
                    (SELECT max(r.started_at) FROM sync_runs r WHERE r.connection_id = c.id),
                    (SELECT min(k.valid_until) FROM consents k WHERE k.connection_id = c.id)
             FROM connections c
             WHERE c.status = 'active'
               AND EXISTS (SELECT 1 FROM accounts a
                           WHERE a.connection_id = c.id AND a.enabled = 1 AND a.disappeared_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM consents k
                               WHERE k.connection_id = c.id
                                 AND (k.status <> 'valid' OR (k.valid_until IS NOT NULL AND k.valid_until <= ?1)))
             ORDER BY c.id",
        )?;
        let parse = |s: Option<String>| s.as_deref().and_then(instant);
        let rows = st
            .query_map(params![now.to_rfc3339()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .map(|(connection_id, last, ends)| DailyCandidate {
                connection_id,
                last_run_started: parse(last),
                consent_ends: parse(ends),
            })
            .collect())
    }

    fn sync_run_where(&self, clause: &str, arg: i64) -> Result<Option<SyncRunRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT id, connection_id, scope, state, accounts_done, pages_done, new_transactions, error, error_kind, updated_transactions FROM sync_runs WHERE {clause}"),
                [arg],
                |r| {
                    Ok(SyncRunRow {
                        id: r.get(0)?,
                        connection_id: r.get(1)?,
                        scope: r.get(2)?,
                        state: r.get(3)?,
                        accounts_done: r.get(4)?,
                        pages_done: r.get(5)?,
                        new_transactions: r.get(6)?,
                        updated_transactions: r.get(9)?,
                        error: r.get(7)?,
                        error_kind: r.get(8)?,
                    })
                },
            )
            .optional()?)
    }

    /// Sets a run's state (and, when it stops early, why).
    pub fn set_sync_run_state(
        &self,
        id: i64,
        state: SyncRunState,
        error_kind: Option<FailureKind>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let finished = state.is_finished().then(|| now.to_rfc3339());
        self.conn.execute(
            "UPDATE sync_runs SET state = ?2, error_kind = ?3, error = ?4, finished_at = coalesce(?5, finished_at) WHERE id = ?1",
            params![id, state, error_kind, error, finished],
        )?;
        Ok(())
    }

    /// Counts one more account done in a run.
    pub fn bump_run_accounts(&self, id: i64) -> Result<()> {
        self.conn.execute("UPDATE sync_runs SET accounts_done = accounts_done + 1 WHERE id = ?1", [id])?;
        Ok(())
    }
}

/// A stored instant: RFC 3339 (what Saldo writes), or a bank's date-time
/// without an offset or a bare date (what banks send as `validUntil`), read
/// as UTC.
pub fn instant(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(d.and_utc());
    }
    chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0).map(|d| d.and_utc())
}

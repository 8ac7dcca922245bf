//! Synchronising a connection (R3, R4, R9–R16).
//!
//! A pure [`plan`] decides what to fetch; [`sync_connection`] executes it:
//! one connection at a time under a lock file (so the app and the CLI never
//! call the gateway concurrently with one user context, R3), every page
//! committed with its contexts (R1, R4), transient failures retried with
//! back-off, and a lost consent turned into "reconnect" with all data kept
//! (R11).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use saldo_gateway::{
    AccountDataRequest, AccountsRequest, CorrelationId, GatewayClient, GatewayError, PagerContext,
    TransactionsNextRequest, TransactionsResponse, WithMeta,
};
use saldo_store::accounts::Account;
use saldo_store::transactions::PageCommit;
use saldo_store::Store;

use crate::{CoreError, Result};

pub use saldo_store::states::SyncScope as Scope;
use saldo_store::states::{ConnectionStatus, FailureKind, SyncRunState, Trigger};

/// One step of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Fetch balances of an account.
    Balances {
        /// Store id.
        account_id: i64,
        /// Gateway id.
        gateway_id: String,
    },
    /// Fetch transactions, from the first page or from a checkpoint (R4).
    Transactions {
        /// Store id.
        account_id: i64,
        /// Gateway id.
        gateway_id: String,
        /// Resume here (and under this run) instead of the first page.
        resume: Option<(i64, PagerContext)>,
    },
}

/// Decides the data calls after the accounts call: only enabled accounts the
/// bank still returns (R12, R13), resuming interrupted fetches (R4).
pub fn plan(scope: Scope, accounts: &[Account], checkpoints: &[(i64, Option<(i64, PagerContext)>)]) -> Vec<Step> {
    if scope == Scope::Accounts {
        return Vec::new();
    }
    let mut steps = Vec::new();
    for a in accounts.iter().filter(|a| a.enabled && a.disappeared_at.is_none()) {
        steps.push(Step::Balances { account_id: a.id, gateway_id: a.gateway_id.clone() });
        let resume = checkpoints.iter().find(|(id, _)| *id == a.id).and_then(|(_, cp)| cp.clone());
        steps.push(Step::Transactions { account_id: a.id, gateway_id: a.gateway_id.clone(), resume });
    }
    steps
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Everything fetched.
    Completed {
        /// New transactions stored.
        new_transactions: i64,
        /// Stored transactions the bank amended (replaced by their new version).
        amended_transactions: i64,
        /// Transactions refused because their currency was not a currency
        /// code (a line break, a journal directive): reported, not stored.
        flagged_transactions: i64,
        /// Accounts discovered (added disabled).
        accounts_added: usize,
        /// Accounts the bank no longer returns (kept, marked).
        accounts_disappeared: usize,
    },
    /// The bank needs SCA again (expired or lost consent, used-up refresh
    /// token): reconnect. Nothing stored was lost (R11).
    NeedsReconnect {
        /// Why.
        reason: String,
    },
    /// The run failed; `retryable` says whether trying later may help.
    Failed {
        /// Why.
        reason: String,
        /// Transient (network, 5xx) rather than permanent.
        retryable: bool,
    },
}

impl Outcome {
    /// One line for a person: what a completed run brought, or why it stopped.
    pub fn summary(&self) -> String {
        match self {
            Outcome::Completed {
                new_transactions,
                amended_transactions,
                flagged_transactions,
                accounts_added,
                accounts_disappeared,
            } => {
                let mut s = format!("{new_transactions} new transaction(s)");
                if *amended_transactions > 0 {
                    s.push_str(&format!(", {amended_transactions} amended by the bank"));
                }
                if *flagged_transactions > 0 {
                    s.push_str(&format!("; {flagged_transactions} refused: their currency is not a currency code"));
                }
                if *accounts_added > 0 {
                    s.push_str(&format!(", {accounts_added} new account(s)"));
                }
                if *accounts_disappeared > 0 {
                    s.push_str(&format!(", {accounts_disappeared} account(s) gone at the bank"));
                }
                s
            }
            Outcome::NeedsReconnect { reason } => format!("the bank needs you to reconnect: {reason}"),
            Outcome::Failed { reason, retryable: true } => format!("{reason} (try again later)"),
            Outcome::Failed { reason, retryable: false } => reason.clone(),
        }
    }

    /// The run state this outcome leaves.
    pub fn state(&self) -> SyncRunState {
        match self {
            Outcome::Completed { .. } => SyncRunState::Completed,
            Outcome::NeedsReconnect { .. } => SyncRunState::AwaitAuth,
            Outcome::Failed { .. } => SyncRunState::Failed,
        }
    }
}

/// How one connection's sync ended, as both shells report it: the outcome,
/// or a local failure (the database, a lock file) as a failed outcome.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// The connection.
    pub connection_id: i64,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl SyncReport {
    /// The report of one [`sync_connection`] result.
    pub fn new(connection_id: i64, result: Result<(i64, Outcome)>) -> Self {
        let outcome = match result {
            Ok((_, o)) => o,
            Err(e) if e.is_reconnect() => Outcome::NeedsReconnect { reason: e.to_string() },
            Err(e) => Outcome::Failed { reason: e.to_string(), retryable: false },
        };
        Self { connection_id, outcome }
    }
}

/// Tuning of a run.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Attempts per call for transient failures.
    pub attempts: u32,
    /// First back-off delay; doubles per attempt.
    pub backoff: Duration,
    /// The person is present (sends `psuIp`, not counted as unattended, R18).
    pub psu_ip: Option<String>,
    /// Who started it (R10).
    pub trigger: Trigger,
    /// Where per-connection lock files live.
    pub lock_dir: PathBuf,
}

impl SyncOptions {
    /// Defaults for a sync the person started: 4 attempts from 200 ms.
    pub fn new(lock_dir: &Path) -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_millis(200),
            psu_ip: Some("127.0.0.1".into()),
            trigger: Trigger::User,
            lock_dir: lock_dir.to_path_buf(),
        }
    }

    /// The daily automatic sync: nobody present (no `psuIp`, counted as
    /// unattended, R18), trigger `daily` (R10). It never prompts: a bank
    /// that wants SCA ends the run as needing a reconnect.
    pub fn daily(lock_dir: &Path) -> Self {
        Self { psu_ip: None, trigger: Trigger::Daily, ..Self::new(lock_dir) }
    }
}

/// The most pages one fetch of an account asks for before it stops and
/// resumes at the next sync (a runaway bank, not a loop: see the sync).
pub const MAX_PAGES_PER_FETCH: usize = 200_000;

/// Which connections a sync runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// This one (whatever its state: the person asked for it).
    One(i64),
    /// "Sync all": every connection that is not revoked. A connection that
    /// needs a reconnect is included — the person is present, and the bank
    /// may take its consent again — and ends as needing a reconnect if not.
    All,
    /// The daily automatic sync's: see [`due_for_daily`].
    Due,
}

/// The connections a sync of `selection` runs, in id order. Both shells
/// call this; neither filters connections itself.
pub fn select(store: &Store, selection: Selection, now: DateTime<Utc>) -> Result<Vec<i64>> {
    Ok(match selection {
        Selection::One(id) => vec![id],
        Selection::All => {
            // Offline connections hold accounts only files fill: nothing to sync.
            store
                .connections()?
                .into_iter()
                .filter(|c| c.status != ConnectionStatus::Revoked && !c.offline)
                .map(|c| c.id)
                .collect()
        }
        Selection::Due => due_for_daily(store, now)?,
    })
}

/// The daily automatic sync runs a connection once a day.
pub const DAILY_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// [`DAILY_INTERVAL`]; in debug builds `SALDO_DAILY_INTERVAL_SECS` shortens
/// it (the desktop tests' seam: a background sync within seconds). A release
/// build always waits a day.
pub fn daily_interval() -> chrono::TimeDelta {
    if cfg!(debug_assertions) {
        if let Some(secs) = std::env::var("SALDO_DAILY_INTERVAL_SECS").ok().and_then(|v| v.parse::<i64>().ok()) {
            return chrono::TimeDelta::seconds(secs.max(1));
        }
    }
    DAILY_INTERVAL
}

/// Which connections the daily automatic sync should run now: those the
/// store finds eligible ([`Store::daily_candidates`]: active, an enabled
/// account, consents in force) with no sync run started in the last 24 hours.
pub fn due_for_daily(store: &Store, now: DateTime<Utc>) -> Result<Vec<i64>> {
    Ok(store
        .daily_candidates(now)?
        .into_iter()
        .filter(|c| c.last_run_started.is_none_or(|l| l <= now - daily_interval()))
        .map(|c| c.connection_id)
        .collect())
}

/// When the daily automatic sync will next run each connection, by the same
/// rule as [`due_for_daily`]: 24 hours after its latest run (now, when that
/// has passed). A connection the daily sync will not run — it needs a
/// reconnect, has no enabled account, or its consent ends first — has none.
pub fn next_daily_syncs(store: &Store, now: DateTime<Utc>) -> Result<BTreeMap<i64, DateTime<Utc>>> {
    Ok(store
        .daily_candidates(now)?
        .into_iter()
        .filter_map(|c| {
            let next = c.last_run_started.map_or(now, |l| (l + daily_interval()).max(now));
            c.consent_ends.is_none_or(|end| next < end).then_some((c.connection_id, next))
        })
        .collect())
}

/// Classifies a gateway failure: reconnect, transient or permanent.
fn classify(e: &GatewayError) -> Outcome {
    if crate::gateway_needs_reconnect(e) {
        Outcome::NeedsReconnect { reason: e.to_string() }
    } else {
        Outcome::Failed { reason: e.to_string(), retryable: e.is_transient() }
    }
}

enum Stop {
    Outcome(Outcome),
    Core(CoreError),
}

impl From<CoreError> for Stop {
    fn from(e: CoreError) -> Self {
        Stop::Core(e)
    }
}

impl From<saldo_store::StoreError> for Stop {
    fn from(e: saldo_store::StoreError) -> Self {
        Stop::Core(e.into())
    }
}

/// Calls the gateway, retrying transient failures with back-off. A refused
/// context (stale, consent) is never retried (R11). Takes the store by `&mut`
/// (it is `Send` but not `Sync`) so a sync can run on any runtime thread.
async fn call<T, F, Fut>(store: &mut Store, conn: i64, opts: &SyncOptions, mut f: F) -> Result<T, Stop>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<WithMeta<T>, GatewayError>>,
{
    let mut delay = opts.backoff;
    for attempt in 1..=opts.attempts.max(1) {
        match f().await {
            Ok(r) => return Ok(r.body),
            Err(e) => {
                if let Some(ctx) = e.user_context() {
                    store.set_user_context(conn, ctx, Utc::now())?; // R1, even from an error body
                }
                let outcome = classify(&e);
                let retry = matches!(outcome, Outcome::Failed { retryable: true, .. }) && attempt < opts.attempts;
                if !retry {
                    return Err(Stop::Outcome(outcome));
                }
                tracing::info!(attempt, "transient gateway failure, retrying: {e}");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    Err(Stop::Outcome(Outcome::Failed { reason: "no attempt made".into(), retryable: true }))
}

/// The lock that keeps all gateway calls of one connection sequential, across
/// processes (R3). Released when dropped.
pub struct ConnectionLock {
    _file: std::fs::File,
}

impl ConnectionLock {
    /// Waits (without blocking the async runtime) for the lock of a connection.
    pub async fn acquire(dir: &Path, connection_id: i64) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| CoreError::Local(format!("cannot create lock directory {}: {e}", dir.display())))?;
        let path = dir.join(format!("connection-{connection_id}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| CoreError::Local(format!("cannot open lock {}: {e}", path.display())))?;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => tokio::time::sleep(Duration::from_millis(25)).await,
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(CoreError::Local(format!("cannot lock {}: {e}", path.display())))
                }
            }
        }
    }
}

/// Synchronises one connection. Returns the run id and how it ended; the run's
/// row shows progress while it runs (R10).
pub async fn sync_connection(
    store: &mut Store,
    client: &GatewayClient,
    conn: i64,
    scope: Scope,
    opts: &SyncOptions,
) -> Result<(i64, Outcome)> {
    let _lock = ConnectionLock::acquire(&opts.lock_dir, conn).await?;
    let connection =
        store.connection(conn)?.ok_or_else(|| CoreError::NotFound(format!("there is no connection {conn}")))?;
    if connection.status == ConnectionStatus::Revoked {
        return Err(CoreError::Invalid(format!(
            "connection {conn} was disconnected at the bank; disconnect it again to delete its data"
        )));
    }
    if connection.offline {
        return Err(CoreError::Invalid(format!(
            "connection {conn} holds accounts imported from statement files: there is no bank to sync; import newer files instead"
        )));
    }
    let run = store.start_sync_run(conn, scope, opts.trigger, Utc::now())?;
    let mut span = None;
    let elsewhere = connection.gateway.as_deref().filter(|g| *g != client.label());
    let no_access = store.user_context(conn)?.is_none();
    let result = match elsewhere {
        // Its contexts belong to another gateway: no call is made with them here.
        Some(other) => Ok(Outcome::NeedsReconnect {
            reason: format!(
                "this connection was made through another gateway ({other}); reconnect it through this one"
            ),
        }),
        // Imported from an export (no context ever reached this install): the
        // bank must be reconnected before any call (R5).
        None if no_access => Ok(Outcome::NeedsReconnect {
            reason: "this connection has no bank access here yet (it was imported); reconnect it".into(),
        }),
        None => execute(store, client, conn, connection.connector_id, (run, &mut span), scope, opts).await,
    };
    let outcome = match result {
        Ok(o) | Err(Stop::Outcome(o)) => o,
        Err(Stop::Core(e)) => {
            store.set_sync_run_state(
                run,
                SyncRunState::Failed,
                Some(FailureKind::Local),
                Some(&e.to_string()),
                Utc::now(),
            )?;
            return Err(e);
        }
    };
    let now = Utc::now();
    let mut outcome = outcome;
    match &mut outcome {
        Outcome::Completed { amended_transactions, .. } => {
            store.set_sync_run_state(run, SyncRunState::Completed, None, None, now)?;
            store.set_last_sync(conn, now)?;
            if connection.status != ConnectionStatus::Active {
                store.set_connection_status(conn, ConnectionStatus::Active, now)?;
            }
            *amended_transactions = store.sync_run(run)?.map_or(0, |r| r.updated_transactions);
            if connection.gateway.is_none() {
                // Made before Saldo recorded gateways: it belongs to the one that syncs it.
                store.set_connection_gateway(conn, client.label())?;
            }
        }
        Outcome::NeedsReconnect { reason } => {
            store.set_sync_run_state(run, SyncRunState::AwaitAuth, Some(FailureKind::Reconnect), Some(reason), now)?;
            store.set_connection_status(conn, ConnectionStatus::NeedsReconnect, now)?;
            store.expire_consents(conn, now)?;
        }
        Outcome::Failed { reason, retryable } => {
            let kind = if *retryable { FailureKind::Transient } else { FailureKind::Remote };
            store.set_sync_run_state(run, SyncRunState::Failed, Some(kind), Some(reason), now)?;
        }
    }
    // Whatever was stored: transfers around the new rows (a second leg may
    // close a pair with a row of another connection).
    if let Some(span) = span {
        if let Err(e) = store.detect_transfers(Some(span), now) {
            tracing::warn!(connection = conn, "transfer detection failed: {e}");
        }
    }
    Ok((run, outcome))
}

async fn execute(
    store: &mut Store,
    client: &GatewayClient,
    conn: i64,
    connector: i64,
    (run, span): (i64, &mut Option<(chrono::NaiveDate, chrono::NaiveDate)>),
    scope: Scope,
    opts: &SyncOptions,
) -> Result<Outcome, Stop> {
    let cid = CorrelationId::new();
    let user = store.user_context(conn)?;
    let req = AccountsRequest::new(connector, user);
    let list = call(store, conn, opts, || client.accounts(&req, &cid)).await?;
    if let Some(ctx) = &list.user_context {
        store.set_user_context(conn, ctx, Utc::now())?;
    }
    store.record_consents(conn, &list.accounts, Utc::now())?;
    let changes = store.apply_accounts(conn, &list.accounts, Utc::now())?;
    let accounts = store.accounts(Some(conn), false)?;
    let mut checkpoints = Vec::new();
    for a in &accounts {
        checkpoints.push((a.id, store.checkpoint(a.id)?.and_then(|c| c.pager.map(|p| (c.run_id, p)))));
    }
    let (mut new_transactions, mut flagged) = (0, 0);
    for step in plan(scope, &accounts, &checkpoints) {
        match step {
            Step::Balances { account_id, gateway_id } => {
                let req = AccountDataRequest::new(connector, store.user_context(conn)?, opts.psu_ip.clone());
                let b = call(store, conn, opts, || client.balances(&gateway_id, &req, &cid)).await?;
                if b.is_consent_lost == Some(true) {
                    if let Some(ctx) = &b.user_context {
                        store.set_user_context(conn, ctx, Utc::now())?;
                    }
                    return Ok(Outcome::NeedsReconnect {
                        reason: "the bank says the consent is lost or expired".into(),
                    });
                }
                store.commit_balances(conn, account_id, run, &b.balances, b.user_context.as_ref(), Utc::now())?;
            }
            Step::Transactions { account_id, gateway_id, resume } => {
                // The page contexts this fetch has asked for: a bank whose
                // paging comes back to one of them loops (R4, R16).
                let mut asked: std::collections::HashSet<String> = std::collections::HashSet::new();
                if let Some((_, pager)) = &resume {
                    asked.insert(pager.expose().to_owned());
                }
                let (page_run, mut page) = match resume {
                    Some((cp_run, pager)) => {
                        let req = TransactionsNextRequest::new(
                            connector,
                            store.user_context(conn)?,
                            pager,
                            opts.psu_ip.clone(),
                        );
                        (cp_run, call(store, conn, opts, || client.transactions_next(&gateway_id, &req, &cid)).await?)
                    }
                    None => {
                        let req = AccountDataRequest::new(connector, store.user_context(conn)?, opts.psu_ip.clone());
                        (run, call(store, conn, opts, || client.transactions(&gateway_id, &req, &cid)).await?)
                    }
                };
                loop {
                    if page.is_consent_lost == Some(true) {
                        if let Some(ctx) = &page.user_context {
                            store.set_user_context(conn, ctx, Utc::now())?;
                        }
                        return Ok(Outcome::NeedsReconnect {
                            reason: "the bank says the consent is lost or expired".into(),
                        });
                    }
                    let next = if page.is_last_page { None } else { page.pager_context.clone() };
                    if next.as_ref().is_some_and(|p| asked.contains(p.expose())) {
                        // The next page is one this fetch already has: store this
                        // page as the fetch's end (its next would be counted twice,
                        // R16), then stop. The next sync fetches afresh.
                        tracing::warn!(account = account_id, "the bank's paging loops; the fetch stops");
                        commit(store, conn, account_id, (page_run, run), &page, None)?;
                        return Ok(Outcome::Failed {
                            reason: "the bank sent a page it had already sent (its paging loops); the sync stopped \
                                     there, nothing was stored twice, and the next sync starts the account afresh"
                                .into(),
                            retryable: false,
                        });
                    }
                    if asked.len() >= MAX_PAGES_PER_FETCH {
                        // Not a loop, just endless: keep the checkpoint and go on next time (R4).
                        commit(store, conn, account_id, (page_run, run), &page, next.as_ref())?;
                        return Ok(Outcome::Failed {
                            reason: format!(
                                "the bank sent more than {MAX_PAGES_PER_FETCH} pages for one account; the sync goes on from there next time"
                            ),
                            retryable: true,
                        });
                    }
                    let stats = commit(store, conn, account_id, (page_run, run), &page, next.as_ref())?;
                    if let Some((a, b)) = stats.span {
                        *span = Some(span.map_or((a, b), |(c, d)| (a.min(c), b.max(d))));
                    }
                    new_transactions += stats.inserted as i64;
                    flagged += stats.flagged as i64;
                    let Some(pager) = next else { break };
                    asked.insert(pager.expose().to_owned());
                    let req =
                        TransactionsNextRequest::new(connector, store.user_context(conn)?, pager, opts.psu_ip.clone());
                    page = call(store, conn, opts, || client.transactions_next(&gateway_id, &req, &cid)).await?;
                }
                store.bump_run_accounts(run)?;
            }
        }
    }
    Ok(Outcome::Completed {
        new_transactions,
        amended_transactions: 0, // counted on the run, read when it ends
        flagged_transactions: flagged,
        accounts_added: changes.added.len(),
        accounts_disappeared: changes.disappeared.len(),
    })
}

/// Commits a page: identities claimed under `runs.0` (the checkpoint's run
/// when resuming), progress counted on `runs.1` (this run).
fn commit(
    store: &mut Store,
    conn: i64,
    account: i64,
    runs: (i64, i64),
    page: &TransactionsResponse,
    next: Option<&PagerContext>,
) -> Result<saldo_store::transactions::IngestStats, Stop> {
    let stats = store.commit_page(
        &PageCommit {
            connection_id: conn,
            account_id: account,
            run_id: runs.0,
            progress_run: runs.1,
            user_context: page.user_context.as_ref(),
            transactions: &page.transactions,
            next_pager: next,
        },
        Utc::now(),
    )?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: i64, enabled: bool, gone: bool) -> Account {
        Account {
            id,
            connection_id: 1,
            gateway_id: format!("g{id}"),
            iban: None,
            currency: "EUR".into(),
            description: None,
            product: None,
            owner_name: None,
            bic: None,
            cash_account_type: None,
            enabled,
            disappeared_at: gone.then(|| "2026-01-01".into()),
        }
    }

    #[test]
    fn the_plan_fetches_only_enabled_present_accounts_and_resumes_checkpoints() {
        let accounts =
            [account(1, true, false), account(2, false, false), account(3, true, true), account(4, true, false)];
        let cp = vec![(4, Some((7, PagerContext::new("p"))))];
        let steps = plan(Scope::Transactions, &accounts, &cp);
        let ids: Vec<i64> = steps
            .iter()
            .map(|s| match s {
                Step::Balances { account_id, .. } | Step::Transactions { account_id, .. } => *account_id,
            })
            .collect();
        assert_eq!(ids, [1, 1, 4, 4], "R12: disabled and R13: disappeared accounts are not fetched");
        assert!(
            matches!(&steps[3], Step::Transactions { resume: Some((7, _)), .. }),
            "R4: resume from the checkpoint, under its run"
        );
        assert!(plan(Scope::Accounts, &accounts, &cp).is_empty(), "R9: ACCOUNTS scope fetches no data");
    }
}

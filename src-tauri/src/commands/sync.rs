//! Syncing and disconnecting. A sync runs on its own database connection so
//! the window stays responsive; its progress is pushed as `sync-progress`
//! events. Different connections sync in parallel; one connection never
//! twice at once, even with the CLI running (the core's lock file, R3).

use std::time::Duration;

use saldo_core::sync::{self, Outcome, Scope, SyncOptions};
use tauri::{AppHandle, Emitter};

use super::{ready, State};
use crate::error::IpcResult;
use crate::state::AppState;
use crate::views::SyncProgress;

/// The event that carries sync progress.
pub const SYNC_PROGRESS: &str = "sync-progress";

/// Syncs one connection, or all; returns how each ended.
#[tauri::command]
pub async fn sync_now(app: AppHandle, state: State<'_>, connection_id: Option<i64>) -> IpcResult<Vec<SyncProgress>> {
    let opts = SyncOptions::new(&state.lock_dir());
    run(&app, &state, Which::Chosen(connection_id), opts).await
}

/// Which connections a run syncs.
pub enum Which {
    /// One, or (`None`) every connection that is not revoked.
    Chosen(Option<i64>),
    /// The ones due for the daily automatic sync.
    Due,
}

/// Syncs connections in parallel, pushing progress events; returns how each ended.
pub async fn run(app: &AppHandle, state: &AppState, which: Which, opts: SyncOptions) -> IpcResult<Vec<SyncProgress>> {
    let (stores, client) = {
        let mut guard = state.session.lock().await;
        let s = ready(&mut guard)?;
        let ids: Vec<i64> = match which {
            Which::Chosen(Some(id)) => vec![id],
            Which::Chosen(None) => {
                s.store.connections()?.into_iter().filter(|c| c.status != "revoked").map(|c| c.id).collect()
            }
            Which::Due => sync::due_for_daily(&s.store, chrono::Utc::now())?,
        };
        let mut stores = Vec::new();
        for id in ids {
            stores.push((id, s.store.reopen()?, s.store.reopen()?));
        }
        (stores, s.client.clone())
    };
    let mut tasks = tokio::task::JoinSet::new();
    for (id, mut store, watcher) in stores {
        let (client, opts, app) = (client.clone(), opts.clone(), app.clone());
        tasks.spawn(async move {
            let progress_app = app.clone();
            let poll = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    if let Ok(Some(run)) = watcher.latest_sync_run(id) {
                        let p = SyncProgress {
                            connection_id: id,
                            state: run.state,
                            accounts_done: run.accounts_done,
                            pages_done: run.pages_done,
                            new_transactions: run.new_transactions,
                            message: None,
                        };
                        let _ = progress_app.emit(SYNC_PROGRESS, p);
                    }
                }
            });
            let result = sync::sync_connection(&mut store, &client, id, Scope::Transactions, &opts).await;
            poll.abort();
            let (state, new, message) = match result {
                Ok((run, Outcome::Completed { new_transactions, .. })) => {
                    let updated = store.sync_run(run).ok().flatten().map_or(0, |r| r.updated_transactions);
                    let amended = if updated > 0 { format!(", {updated} amended by the bank") } else { String::new() };
                    ("COMPLETED", new_transactions, format!("{new_transactions} new transaction(s){amended}"))
                }
                Ok((_, Outcome::NeedsReconnect { reason })) => ("AWAIT_AUTH", 0, format!("reconnect needed: {reason}")),
                Ok((_, Outcome::Failed { reason, .. })) => ("FAILED", 0, reason),
                Err(e) => ("FAILED", 0, e.to_string()),
            };
            let done = SyncProgress {
                connection_id: id,
                state: state.into(),
                accounts_done: 0,
                pages_done: 0,
                new_transactions: new,
                message: Some(message),
            };
            let _ = app.emit(SYNC_PROGRESS, done.clone());
            done
        });
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        if let Ok(p) = r {
            out.push(p);
        }
    }
    out.sort_by_key(|p| p.connection_id);
    Ok(out)
}

/// Revokes the connection's consent at the bank, then deletes it and its data (R14).
#[tauri::command]
pub async fn disconnect(state: State<'_>, connection_id: i64) -> IpcResult<()> {
    let opts = SyncOptions::new(&state.lock_dir());
    let mut guard = state.session.lock().await;
    let s = ready(&mut guard)?;
    saldo_core::manage::disconnect(&mut s.store, &s.client, connection_id, &opts, false).await?;
    Ok(())
}

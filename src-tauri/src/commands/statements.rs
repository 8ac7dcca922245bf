//! The Import screen: statement files chosen in the native dialog or dropped
//! on the window, previewed (new / already here / conflict per row) and
//! imported with the same core code as `saldo import` (issue 17). The
//! webview never names a path: only files the person picked or dropped can
//! be read.

use std::path::PathBuf;

use chrono::Utc;
use saldo_core::statement_import::{self, FileInput, FileSource, ImportReport, Options, RowStatus, Target};
use tauri::{AppHandle, Emitter};
use tauri_plugin_dialog::DialogExt;

use super::{ready, State};
use crate::error::{IpcCode, IpcError, IpcResult};
use crate::state::AppState;
use crate::views::{
    ImportFileView, ImportReportView, ImportRequest, ImportRowView, ImportStatementView, IMPORT_ROWS_SHOWN,
};

/// The event that tells the window files were dropped on it (their names).
pub const FILES_DROPPED: &str = "import-files";

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned()))
        .collect()
}

fn chosen(state: &AppState) -> std::sync::MutexGuard<'_, Vec<PathBuf>> {
    state.import_files.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Files dropped on the window become the Import screen's files.
pub fn dropped(app: &AppHandle, state: &AppState, paths: Vec<PathBuf>) {
    let files: Vec<PathBuf> = paths.into_iter().filter(|p| p.is_file()).collect();
    if files.is_empty() {
        return;
    }
    let list = names(&files);
    *chosen(state) = files;
    if let Err(e) = app.emit(FILES_DROPPED, list) {
        tracing::warn!("the window was not told of the dropped files: {e}");
    }
}

/// Asks for statement files (native dialog; several at once). `None` when
/// the person cancels. `SALDO_IMPORT_PATHS` (paths joined by `:`) replaces
/// the dialog in debug builds only — the WebDriver tests' seam.
#[tauri::command]
pub async fn choose_statement_files(app: AppHandle, state: State<'_>) -> IpcResult<Option<Vec<String>>> {
    let seam = if cfg!(debug_assertions) { std::env::var("SALDO_IMPORT_PATHS").ok() } else { None };
    let files: Option<Vec<PathBuf>> = match seam {
        Some(list) => Some(list.split(':').filter(|p| !p.is_empty()).map(PathBuf::from).collect()),
        None => {
            let dialog = app.dialog().file().set_title("Statement files").add_filter(
                "Bank statements",
                &["xml", "sta", "mt940", "940", "txt", "cod", "coda", "ofx", "qfx", "qif", "csv"],
            );
            tokio::task::spawn_blocking(move || dialog.blocking_pick_files())
                .await
                .map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))?
                .map(|v| v.into_iter().filter_map(|p| p.into_path().ok()).collect())
        }
    };
    let Some(files) = files.filter(|f| !f.is_empty()) else { return Ok(None) };
    let list = names(&files);
    *chosen(&state) = files;
    Ok(Some(list))
}

/// The files chosen or dropped so far (their names).
#[tauri::command]
pub async fn import_files(state: State<'_>) -> IpcResult<Vec<String>> {
    Ok(names(&chosen(&state)))
}

/// Forgets the chosen files.
#[tauri::command]
pub async fn clear_import_files(state: State<'_>) -> IpcResult<()> {
    chosen(&state).clear();
    Ok(())
}

/// What importing the chosen files would do: nothing is written.
#[tauri::command]
pub async fn preview_import(state: State<'_>, request: ImportRequest) -> IpcResult<ImportReportView> {
    run(&state, request, true).await
}

/// Imports the chosen files (one step: all or nothing) and forgets them.
#[tauri::command]
pub async fn import_statements(state: State<'_>, request: ImportRequest) -> IpcResult<ImportReportView> {
    let report = run(&state, request, false).await?;
    chosen(&state).clear();
    Ok(report)
}

async fn run(state: &AppState, request: ImportRequest, dry_run: bool) -> IpcResult<ImportReportView> {
    let files = chosen(state).clone();
    if files.is_empty() {
        return Err(IpcError::new(IpcCode::Invalid, "choose or drop the statement files to import first"));
    }
    let mut store = {
        let mut guard = state.session.lock().await;
        ready(&mut guard)?.reopen_store()?
    };
    let opts = Options {
        target: match (request.account, request.new_account.filter(|n| !n.trim().is_empty())) {
            (Some(id), _) => Target::Account(id),
            (None, Some(name)) => Target::NewAccount(name.trim().to_owned()),
            (None, None) => Target::Auto,
        },
        currency: request.currency.filter(|c| !c.trim().is_empty()),
        import_conflicts: request.include_conflicts,
        dry_run,
        rows: true,
        rows_limit: Some(IMPORT_ROWS_SHOWN),
        ..Options::default()
    };
    let report = tokio::task::spawn_blocking(move || -> IpcResult<ImportReport> {
        let mut inputs = Vec::with_capacity(files.len());
        for path in &files {
            std::fs::File::open(path)
                .map_err(|e| IpcError::new(IpcCode::Io, format!("cannot read {}: {e}", path.display())))?;
            inputs.push(FileInput {
                name: names(std::slice::from_ref(path)).remove(0),
                source: FileSource::Path(path.clone()),
            });
        }
        Ok(statement_import::import(&mut store, &inputs, &opts, Utc::now())?)
    })
    .await
    .map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))??;
    Ok(view(report))
}

fn n(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

fn view(r: ImportReport) -> ImportReportView {
    let text = |d: Option<rust_decimal::Decimal>| d.map(|d| d.to_string());
    ImportReportView {
        dry_run: r.dry_run,
        new: n(r.new),
        known: n(r.known),
        conflicts: n(r.conflicts),
        pending: n(r.pending),
        accounts_created: n(r.accounts_created.len() as u64),
        balance_points: n(r.balance_points),
        unbalanced: n(r.unbalanced),
        files: r
            .files
            .into_iter()
            .map(|f| ImportFileView {
                name: f.name,
                format: f.format,
                imported_before: f.imported_before,
                notes: f.notes,
                statements: f
                    .statements
                    .into_iter()
                    .map(|s| ImportStatementView {
                        id: s.id,
                        account_id: s.account_id,
                        account: s.account,
                        new_account: s.new_account,
                        file_account: s.file_account,
                        currency: s.currency,
                        from: s.from.map(|d| d.to_string()),
                        to: s.to.map(|d| d.to_string()),
                        new: n(s.new),
                        known: n(s.known),
                        conflicts: n(s.conflicts),
                        pending: n(s.pending),
                        difference: text(s.check.difference),
                        gap_before: text(s.check.gap_before),
                        history_difference: text(s.history_difference),
                        rows_hidden: n(s.rows.len().saturating_sub(IMPORT_ROWS_SHOWN) as u64 + s.rows_omitted),
                        rows: s
                            .rows
                            .into_iter()
                            .take(IMPORT_ROWS_SHOWN)
                            .map(|row| ImportRowView {
                                entry: n(row.entry as u64),
                                booking_date: row.booking_date.to_string(),
                                amount: row.amount.to_string(),
                                counterparty: row.counterparty,
                                description: row.description,
                                status: match row.status {
                                    RowStatus::New => "new",
                                    RowStatus::Known => "known",
                                    RowStatus::Conflict => "conflict",
                                    RowStatus::Pending => "pending",
                                }
                                .to_owned(),
                                why: row.why,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

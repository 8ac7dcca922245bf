//! Export through the native save dialog, with the same core code as
//! `saldo export`.

use std::path::PathBuf;

use chrono::Utc;
use saldo_core::export::{export_to_file, ExportOptions, Format};
use saldo_store::export::DateRange;
use tauri::AppHandle;
use tauri_plugin_dialog::DialogExt;

use super::{ready, State};
use crate::error::{IpcCode, IpcError, IpcResult};
use crate::present::date;
use crate::views::{ExportRequest, ExportResult};

/// `SALDO_EXPORT_PATH` replaces the save dialog in debug builds only (the
/// WebDriver tests'); a release build always asks the person.
fn test_seam_export_path() -> Option<PathBuf> {
    if cfg!(debug_assertions) {
        std::env::var_os("SALDO_EXPORT_PATH").map(PathBuf::from)
    } else {
        None
    }
}

/// Asks where to save (native dialog), then writes the export. `None` when
/// the person cancels. `SALDO_EXPORT_PATH` replaces the dialog — a seam for
/// the WebDriver tests, which cannot drive a native GTK dialog.
#[tauri::command]
pub async fn export_data(app: AppHandle, state: State<'_>, request: ExportRequest) -> IpcResult<Option<ExportResult>> {
    let format: Format = request.format.parse()?;
    let mut opts = ExportOptions::new(format, Utc::now());
    opts.accounts = request.accounts;
    opts.range = DateRange { from: date(&request.from, "from")?, to: date(&request.to, "to")? };
    let name = format!("saldo-{}.{}", Utc::now().format("%Y-%m-%d"), format.extension());
    let path: Option<PathBuf> = match test_seam_export_path() {
        Some(p) => Some(p),
        None => {
            let dialog = app.dialog().file().set_file_name(&name).add_filter(format.as_str(), &[format.extension()]);
            tokio::task::spawn_blocking(move || dialog.blocking_save_file())
                .await
                .map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))?
                .and_then(|p| p.into_path().ok())
        }
    };
    let Some(path) = path else { return Ok(None) };
    let mut guard = state.session.lock().await;
    let store = &ready(&mut guard)?.store;
    let summary = export_to_file(store, &opts, &path)?;
    Ok(Some(ExportResult {
        path: path.display().to_string(),
        accounts: u32::try_from(summary.accounts).unwrap_or(u32::MAX),
        transactions: summary.transactions,
    }))
}

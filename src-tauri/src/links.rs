//! Bank callbacks: `saldo://callback?…` deep links (a second launch of the
//! app forwards its URL here through the single-instance plugin) and the
//! RFC 8252 loopback fallback. Every link goes through the core, which
//! refuses one that belongs to no pending flow before any gateway call (R7,
//! R19); the result is pushed to the UI as a `connect-step` event. URLs are
//! never logged: their query strings carry one-time codes.

use std::time::Duration;

use chrono::Utc;
use saldo_core::connect::{self, Next};
use saldo_core::loopback::LoopbackListener;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_opener::OpenerExt;

use crate::error::IpcResult;
use crate::present;
use crate::state::AppState;
use crate::views::Step;

/// The event that carries flow steps to the UI.
pub const CONNECT_STEP: &str = "connect-step";

/// Opens the bank's page when the next step needs the browser; returns the
/// step for the UI.
pub fn advance(app: &AppHandle, next: Next) -> Step {
    if let Next::OpenBrowser { url, .. } = &next {
        if let Err(e) = app.opener().open_url(url, None::<&str>) {
            tracing::warn!("could not open the browser: {e}");
        }
    }
    present::step(next)
}

/// Brings the main window to the front.
pub fn focus(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
    crate::notify::open_pending(app);
}

/// Handles a callback URL and tells the UI what happened.
pub async fn handle(app: AppHandle, url: String) {
    tracing::info!("bank callback received");
    focus(&app);
    let state = app.state::<AppState>();
    let result = match crate::commands::detached(&state).await {
        Ok((mut store, client)) => connect::handle_callback(&mut store, &client, &url, Utc::now())
            .await
            .map_err(|e| crate::error::IpcError::from(e).message),
        Err(e) if e.code == crate::error::IpcCode::Locked => {
            Err("Saldo is locked; unlock it and start connecting again".to_owned())
        }
        Err(e) => Err(e.message),
    };
    let step = match result {
        Ok(next) => {
            tracing::info!("bank callback accepted");
            advance(&app, next)
        }
        Err(message) => {
            tracing::warn!("bank callback refused: {message}");
            Step::Failed { flow_id: String::new(), message }
        }
    };
    if let Err(e) = app.emit(CONNECT_STEP, step) {
        tracing::warn!("could not notify the window: {e}");
    }
}

/// A loopback listener for a flow (when `saldo://` is not registered).
pub async fn loopback() -> IpcResult<LoopbackListener> {
    Ok(LoopbackListener::bind().await?)
}

/// Waits (up to the flow's lifetime) for the bank to call the listener.
pub fn await_loopback(app: AppHandle, listener: LoopbackListener, flow_id: String) {
    tauri::async_runtime::spawn(async move {
        match listener.wait(&flow_id, Duration::from_secs(30 * 60)).await {
            Ok(url) => handle(app, url).await,
            Err(e) => tracing::info!("loopback listener closed: {e}"),
        }
    });
}

//! The commands the UI calls: each takes the state, calls the core, maps
//! the error. One file per area.

pub mod app;
pub mod background;
pub mod backup;
pub mod connect;
pub mod data;
pub mod export;
pub mod money;
pub mod statements;
pub mod sync;

use saldo_core::session::Session;
use saldo_gateway::GatewayClient;
use saldo_store::Store;

use crate::error::{IpcCode, IpcError, IpcResult};
use crate::state::{AppState, Unlocked};

/// The open session, or a clear error.
pub(crate) fn ready(unlocked: &mut Option<Unlocked>) -> IpcResult<&mut Session> {
    unlocked.as_mut().map(|u| &mut u.session).ok_or_else(|| IpcError::new(IpcCode::Locked, "Saldo is locked"))
}

/// For a command that talks to the gateway: its own connection to the store
/// and a clone of the client, taken under the session lock and used without
/// it, so the window's other commands never wait for a bank.
pub(crate) async fn detached(state: &AppState) -> IpcResult<(Store, GatewayClient)> {
    let mut guard = state.session.lock().await;
    let s = ready(&mut guard)?;
    Ok((s.reopen_store()?, s.client()?.clone()))
}

/// Convenience for commands: the state's session.
pub(crate) type State<'a> = tauri::State<'a, AppState>;

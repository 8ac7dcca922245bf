//! The commands the UI calls: each takes the state, calls the core, maps
//! the error. One file per area.

pub mod app;
pub mod connect;
pub mod data;
pub mod export;
pub mod sync;

use crate::error::{IpcCode, IpcError, IpcResult};
use crate::state::{AppState, Session};

/// The open session, or a clear error.
pub(crate) fn ready(session: &mut Option<Session>) -> IpcResult<&mut Session> {
    session.as_mut().ok_or_else(|| IpcError::new(IpcCode::Locked, "Saldo is locked"))
}

/// Convenience for commands: the state's session.
pub(crate) type State<'a> = tauri::State<'a, AppState>;

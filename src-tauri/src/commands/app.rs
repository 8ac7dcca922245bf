//! First run, unlock, lock, settings.

use super::State;
use saldo_core::session::{self, UnlockError};
use saldo_core::CoreError;

use crate::error::IpcResult;
use crate::state::AppFile;
use crate::views::{AppStatus, Mode, Settings, SetupRequest};

/// Where the app is: setup, locked or ready.
#[tauri::command]
pub async fn app_status(state: State<'_>) -> IpcResult<AppStatus> {
    state.status().await
}

/// First run: the mode, then the database (keyring, or the passphrase).
#[tauri::command]
pub async fn setup_app(state: State<'_>, request: SetupRequest) -> IpcResult<AppStatus> {
    let mut file = AppFile::load(&state.data_dir)?;
    file.gateway_url = match request.mode {
        Mode::Sandbox => None,
        Mode::Gateway => Some(session::gateway_url(request.gateway_url.as_deref().unwrap_or_default())?.to_string()),
    };
    let passphrase = request.passphrase.filter(|p| !p.is_empty());
    match &passphrase {
        Some(p) => drop(session::new_passphrase(p.clone())?),
        None if !state.keyring_available() => return Err(CoreError::from(UnlockError::NoKeyring).into()),
        None => {}
    }
    file.mode = Some(request.mode);
    file.save(&state.data_dir)?;
    state.unlock(passphrase).await?;
    state.status().await
}

/// Opens the database with the keyring or a passphrase.
#[tauri::command]
pub async fn unlock(state: State<'_>, passphrase: Option<String>) -> IpcResult<AppStatus> {
    state.unlock(passphrase.filter(|p| !p.is_empty())).await?;
    state.status().await
}

/// Closes the database.
#[tauri::command]
pub async fn lock(state: State<'_>) -> IpcResult<AppStatus> {
    state.lock().await;
    state.status().await
}

/// Saves the settings.
#[tauri::command]
pub async fn save_settings(state: State<'_>, settings: Settings) -> IpcResult<AppStatus> {
    let mut file = AppFile::load(&state.data_dir)?;
    file.settings = settings;
    file.save(&state.data_dir)?;
    state.status().await
}

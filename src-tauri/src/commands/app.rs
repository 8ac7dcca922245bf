//! First run, unlock, lock, settings.

use super::State;
use crate::error::{IpcCode, IpcError, IpcResult};
use crate::state::AppFile;
use crate::views::{AppStatus, Settings, SetupRequest};

/// Where the app is: setup, locked or ready.
#[tauri::command]
pub async fn app_status(state: State<'_>) -> IpcResult<AppStatus> {
    state.status().await
}

/// First run: the mode, then the database (keyring, or the passphrase).
#[tauri::command]
pub async fn setup_app(state: State<'_>, request: SetupRequest) -> IpcResult<AppStatus> {
    let mut file = AppFile::load(&state.data_dir)?;
    match request.mode.as_str() {
        "sandbox" => file.gateway_url = None,
        "gateway" => {
            let url = request.gateway_url.as_deref().unwrap_or("").trim();
            let parsed = url::Url::parse(url).map_err(|_| {
                IpcError::new(IpcCode::Invalid, "enter the gateway's address, like https://gateway.example")
            })?;
            if !matches!(parsed.scheme(), "https" | "http") {
                return Err(IpcError::new(IpcCode::Invalid, "the gateway address must start with https://"));
            }
            file.gateway_url = Some(parsed.to_string());
        }
        other => return Err(IpcError::new(IpcCode::Invalid, format!("unknown mode {other:?}"))),
    }
    let passphrase = request.passphrase.filter(|p| !p.is_empty());
    if passphrase.is_none() && !state.keyring_available() {
        return Err(IpcError::new(
            IpcCode::Invalid,
            "no keyring is available: choose a passphrase to protect your data",
        ));
    }
    if passphrase.as_ref().is_some_and(|p| p.chars().count() < 8) {
        return Err(IpcError::new(IpcCode::Invalid, "choose a passphrase of at least 8 characters"));
    }
    file.mode = Some(request.mode);
    if file.settings.theme.is_empty() {
        file.settings = Settings { auto_sync: true, theme: "system".into() };
    }
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
    if !matches!(settings.theme.as_str(), "system" | "light" | "dark") {
        return Err(IpcError::new(IpcCode::Invalid, "theme is system, light or dark"));
    }
    file.settings = settings;
    file.save(&state.data_dir)?;
    state.status().await
}

//! Nothing lost, in the window: the recovery code, backups, restore and the
//! key settings, with the same core code as `saldo recovery-code | backup |
//! restore`. The recovery code is the one secret the window shows: once,
//! when it is made, for the person to write down (never stored, never
//! logged).

use std::path::{Path, PathBuf};

use saldo_core::backup::{self, Protect, RestoreOptions, Secret};
use saldo_core::session::{self, KeySource};
use saldo_vault::{KeyringStore, Passphrase, Sensitive};
use tauri::AppHandle;
use tauri_plugin_dialog::DialogExt;

use super::{ready, State};
use crate::error::{IpcCode, IpcError, IpcResult};
use crate::state::AppFile;
use crate::views::{AppStatus, BackupItem, BackupStatus, BackupToRestore, RecoveryCodeView, RestoreRequest};

/// How many backups the status lists (newest first).
const LISTED: usize = 5;

/// A path a WebDriver test gives instead of a native dialog (`var`), in
/// debug builds only: a release build always asks the person.
fn test_seam(var: &str) -> Option<PathBuf> {
    if cfg!(debug_assertions) {
        std::env::var_os(var).map(PathBuf::from)
    } else {
        None
    }
}

fn item(path: &Path) -> Option<BackupItem> {
    let name = path.file_name()?.to_str()?;
    let at = backup::time_of(name)?;
    Some(BackupItem {
        path: path.display().to_string(),
        name: name.to_owned(),
        created_at: at.to_rfc3339(),
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
    })
}

/// The backups in a folder, newest first.
fn listed(folder: &Path) -> Vec<BackupItem> {
    let mut items: Vec<BackupItem> = std::fs::read_dir(folder)
        .map(|d| d.filter_map(|e| e.ok()).filter_map(|e| item(&e.path())).collect())
        .unwrap_or_default();
    items.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    items
}

/// Whether there is a recovery code, the backup folder and its backups.
#[tauri::command]
pub async fn backup_status(state: State<'_>) -> IpcResult<BackupStatus> {
    let mut guard = state.session.lock().await;
    let session = ready(&mut guard)?;
    let folder = backup::backup_folder(session)?;
    let backups = listed(&folder);
    Ok(BackupStatus {
        has_recovery_code: backup::has_recovery_code(session)?,
        folder: folder.display().to_string(),
        count: u32::try_from(backups.len()).unwrap_or(u32::MAX),
        backups: backups.into_iter().take(LISTED).collect(),
    })
}

/// Makes a new recovery code (the previous one stops opening new backups)
/// and returns it, to be shown once.
#[tauri::command]
pub async fn make_recovery_code(state: State<'_>) -> IpcResult<RecoveryCodeView> {
    let mut guard = state.session.lock().await;
    let session = ready(&mut guard)?;
    let code = match test_costs() {
        Some((m, t)) => backup::recovery_code_with(session, m, t)?,
        None => backup::recovery_code(session)?,
    };
    Ok(RecoveryCodeView { code: code.expose().to_owned() })
}

/// Argon2id costs for the WebDriver tests (debug builds only), so that a
/// code is made in milliseconds; a release build uses production's.
fn test_costs() -> Option<(u32, u32)> {
    if !cfg!(debug_assertions) {
        return None;
    }
    let v = std::env::var("SALDO_TEST_KDF").ok()?;
    let (m, t) = v.split_once(',')?;
    Some((m.trim().parse().ok()?, t.trim().parse().ok()?))
}

/// Asks for a folder (native dialog) and keeps backups there from now on.
/// `None` when the person cancels.
#[tauri::command]
pub async fn choose_backup_folder(app: AppHandle, state: State<'_>) -> IpcResult<Option<BackupStatus>> {
    let folder = match test_seam("SALDO_BACKUP_FOLDER") {
        Some(p) => Some(p),
        None => {
            let dialog = app.dialog().file().set_title("Where should Saldo keep its backups?");
            tokio::task::spawn_blocking(move || dialog.blocking_pick_folder())
                .await
                .map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))?
                .and_then(|p| p.into_path().ok())
        }
    };
    let Some(folder) = folder else { return Ok(None) };
    {
        let mut guard = state.session.lock().await;
        backup::set_backup_folder(ready(&mut guard)?, &folder)?;
    }
    backup_status(state).await.map(Some)
}

/// Writes a backup now, to the chosen folder: on a connection of its own,
/// off the async runtime, so the window's other commands never wait for it.
#[tauri::command]
pub async fn backup_now(state: State<'_>) -> IpcResult<BackupItem> {
    let (store, data_dir, protection) = {
        let mut guard = state.session.lock().await;
        let session = ready(&mut guard)?;
        (session.reopen_store()?, session.data_dir().to_path_buf(), session.protection())
    };
    let info = tokio::task::spawn_blocking(move || {
        let src = backup::Source { store: &store, data_dir: &data_dir, protection };
        backup::backup_from(&src, None, chrono::Utc::now())
    })
    .await
    .map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))??;
    item(&info.path).ok_or_else(|| IpcError::new(IpcCode::Io, "the backup was written under an unexpected name"))
}

/// Asks for a backup file (native dialog) and says what it is.
#[tauri::command]
pub async fn choose_backup_file(app: AppHandle, state: State<'_>) -> IpcResult<Option<BackupToRestore>> {
    let file = match test_seam("SALDO_RESTORE_PATH") {
        Some(p) => Some(p),
        None => {
            let dialog =
                app.dialog().file().set_title("Which backup?").add_filter("Saldo backup", &[backup::EXTENSION]);
            tokio::task::spawn_blocking(move || dialog.blocking_pick_file())
                .await
                .map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))?
                .and_then(|p| p.into_path().ok())
        }
    };
    let Some(file) = file else { return Ok(None) };
    let header = backup::inspect(&file)?;
    Ok(Some(BackupToRestore {
        path: file.display().to_string(),
        created_at: header.created_at.to_rfc3339(),
        app_version: header.app_version,
        opens_with_code: header.keys.recovery.is_some(),
        opens_with_passphrase: header.keys.passphrase.is_some(),
        replaces_newer: backup::install_is_newer(&state.data_dir, header.created_at),
    }))
}

/// Restores a backup into this install: on the first run (then the install
/// is set up in `mode`), or over the current data (kept aside). The window
/// is locked first, so no connection holds the old database.
#[tauri::command]
pub async fn restore_backup(state: State<'_>, request: RestoreRequest) -> IpcResult<AppStatus> {
    let secret = Sensitive::new(request.secret.trim().to_owned());
    if secret.expose().is_empty() {
        return Err(IpcError::new(IpcCode::Invalid, "enter the recovery code or the backup's passphrase"));
    }
    let new_pass = request.passphrase.filter(|p| !p.is_empty());
    let protect = match &new_pass {
        Some(p) => Protect::Passphrase(session::new_passphrase(p.clone())?),
        None if !state.keyring_available() => {
            return Err(IpcError::new(
                IpcCode::Invalid,
                "there is no keyring here: choose a passphrase for the restored data",
            ))
        }
        None => Protect::Keyring,
    };
    let mut file = AppFile::load(&state.data_dir)?;
    if file.mode.is_none() {
        file.mode = Some(request.mode.unwrap_or(crate::views::Mode::Sandbox));
        if let Some(url) = request.gateway_url.as_deref().filter(|u| !u.trim().is_empty()) {
            file.gateway_url = Some(session::gateway_url(url)?.to_string());
        }
    }
    let path = PathBuf::from(&request.path);
    // Everything that can be refused is refused before the window closes
    // its database: a wrong code, a damaged file, newer data here.
    let header = backup::inspect(&path)?;
    if !request.overwrite_newer && backup::install_is_newer(&state.data_dir, header.created_at) {
        return Err(IpcError::new(
            IpcCode::Invalid,
            "the data here changed after this backup was made: confirm to replace it (it is kept aside)",
        ));
    }
    {
        let (path, secret) = (path.clone(), Sensitive::new(secret.expose().to_owned()));
        tokio::task::spawn_blocking(move || backup::check_secret(&path, &secret))
            .await
            .map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))??;
    }
    let was_keyring =
        state.session.lock().await.as_ref().map(|u| u.session.protection()) == Some(session::Protection::Keyring);
    state.lock().await;
    let data_dir = state.data_dir.clone();
    let options = RestoreOptions { protect, overwrite_newer: request.overwrite_newer, kdf_costs: test_costs() };
    let restored = tokio::task::spawn_blocking(move || {
        let keyring = KeyringStore::for_database(&data_dir.join(saldo_store::DB_FILE_NAME));
        backup::restore(&data_dir, &path, Secret::Typed(secret), &keyring, options)
    })
    .await
    .map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))?;
    if let Err(e) = restored {
        // Nothing was replaced: the install opens again as it was (a
        // passphrase install asks for its passphrase).
        if was_keyring {
            state.unlock(None).await.ok();
        }
        return Err(e.into());
    }
    file.save(&state.data_dir)?;
    state.unlock(new_pass).await?;
    state.status().await
}

/// Proves `current` is the install's passphrase (a second connection opens
/// with it), before anything about the key changes.
fn check_current(data_dir: &Path, current: &str) -> IpcResult<()> {
    let keyring = KeyringStore::for_database(&data_dir.join(saldo_store::DB_FILE_NAME));
    session::open_store(data_dir, KeySource::Passphrase(Passphrase::new(current.to_owned())?), &keyring)
        .map(drop)
        .map_err(IpcError::from)
}

/// Changes the passphrase, or moves between the keyring and a passphrase:
/// `new` `None` moves to the keyring. A passphrase-protected install must
/// give its current passphrase.
#[tauri::command]
pub async fn change_protection(state: State<'_>, current: Option<String>, new: Option<String>) -> IpcResult<AppStatus> {
    {
        let mut guard = state.session.lock().await;
        let session = ready(&mut guard)?;
        if session.protection() == session::Protection::Passphrase {
            let data_dir = state.data_dir.clone();
            let current = current.unwrap_or_default();
            tokio::task::block_in_place(|| check_current(&data_dir, &current))?;
        }
        match new.filter(|p| !p.is_empty()) {
            Some(p) => backup::switch_to_passphrase(session, Passphrase::new(p)?)?,
            None if !state.keyring_available() => {
                return Err(IpcError::new(
                    IpcCode::Invalid,
                    "there is no keyring here: a passphrase must protect your data",
                ))
            }
            None => backup::switch_to_keyring(session)?,
        }
    }
    state.status().await
}

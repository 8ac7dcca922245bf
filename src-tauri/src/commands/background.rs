//! Syncing while Saldo is not running (Linux, issue 18): a one-click user
//! systemd timer that runs `saldo sync --due` once a day on this data
//! directory, with the same core code as `saldo schedule`. It needs the
//! `saldo` command line (installed beside the app by the packages) and the
//! OS keyring (nobody is there to type a passphrase).

use std::path::PathBuf;

use saldo_core::schedule::{self, Plan};

use super::State;
use crate::error::{IpcCode, IpcError, IpcResult};
use crate::views::ScheduleView;

/// The `saldo` command line: beside this app's binary, else on the PATH.
fn saldo_cli() -> Option<PathBuf> {
    let beside = std::env::current_exe().ok()?.parent()?.join("saldo");
    if beside.is_file() {
        return Some(beside);
    }
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join("saldo")).find(|p| p.is_file())
}

fn view(status: schedule::Status) -> ScheduleView {
    ScheduleView {
        available: cfg!(target_os = "linux") && saldo_cli().is_some(),
        installed: status.installed,
        systemd: status.systemd,
    }
}

/// Whether the daily timer is installed (and whether it can be).
#[tauri::command]
pub async fn schedule_status() -> IpcResult<ScheduleView> {
    Ok(view(schedule::status(&schedule::unit_dir()?)?))
}

/// Installs (and starts) the daily timer for this data directory.
#[tauri::command]
pub async fn schedule_install(state: State<'_>) -> IpcResult<ScheduleView> {
    let Some(saldo) = saldo_cli() else {
        return Err(IpcError::new(IpcCode::Invalid, "the saldo command line is not installed beside Saldo"));
    };
    if state
        .session
        .lock()
        .await
        .as_ref()
        .is_some_and(|u| u.session.protection() != saldo_core::session::Protection::Keyring)
    {
        return Err(IpcError::new(
            IpcCode::Invalid,
            "a passphrase-protected Saldo cannot sync while nobody is there to type the passphrase: keep the key in the keyring first",
        ));
    }
    let plan = Plan { unit_dir: schedule::unit_dir()?, saldo, data_dir: state.data_dir.clone(), passphrase_file: None };
    Ok(view(schedule::install(&plan)?))
}

/// Stops and removes the daily timer.
#[tauri::command]
pub async fn schedule_remove() -> IpcResult<ScheduleView> {
    Ok(view(schedule::remove(&schedule::unit_dir()?)?))
}

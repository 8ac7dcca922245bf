//! In the background (issue 18): a tray icon (Sync now, Open Saldo, Quit),
//! closing the window keeps Saldo running in the tray so the daily sync
//! goes on (when the setting is on), and Saldo can start at login straight
//! into the tray (the autostart plugin, launched with [`MINIMISED`]).
//! Nothing here ever prompts: a bank that wants the person again is a
//! notification, never a window opened from the background (R10, R18).

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};

use crate::state::{AppFile, AppState};

/// The argument the login item starts Saldo with: no window, only the tray.
pub const MINIMISED: &str = "--minimised";

/// The tray's words in the window's language (see `notify::words`).
fn labels(lang: &str) -> [&'static str; 3] {
    match lang {
        "nl" => ["Nu synchroniseren", "Saldo openen", "Saldo afsluiten"],
        "fr" => ["Synchroniser maintenant", "Ouvrir Saldo", "Quitter Saldo"],
        "de" => ["Jetzt synchronisieren", "Saldo öffnen", "Saldo beenden"],
        "es" => ["Sincronizar ahora", "Abrir Saldo", "Salir de Saldo"],
        _ => ["Sync now", "Open Saldo", "Quit Saldo"],
    }
}

/// Puts Saldo's icon in the tray. A desktop without a tray (or its host)
/// only loses the icon: the window works as before.
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let settings = AppFile::load(&app.state::<AppState>().data_dir).map(|f| f.settings).unwrap_or_default();
    let [sync, open, quit] = labels(crate::notify::language(settings.language.as_deref()));
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, "sync", sync, true, None::<&str>)?,
            &MenuItem::with_id(app, "open", open, true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", quit, true, None::<&str>)?,
        ],
    )?;
    let mut tray =
        TrayIconBuilder::with_id("saldo").tooltip("Saldo").menu(&menu).on_menu_event(|app, event| {
            match event.id().as_ref() {
                "sync" => {
                    let app = app.clone();
                    tauri::async_runtime::spawn(async move {
                        let state = app.state::<AppState>();
                        if let Err(e) =
                            crate::commands::sync::run(&app, &state, saldo_core::sync::Selection::All, false).await
                        {
                            tracing::warn!("sync from the tray: {}", e.message);
                        }
                    });
                }
                "open" => crate::links::focus(app),
                "quit" => app.exit(0),
                _ => {}
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Whether closing the window should keep Saldo in the tray.
pub fn keeps_running(app: &AppHandle) -> bool {
    AppFile::load(&app.state::<AppState>().data_dir).map(|f| f.settings.close_to_tray).unwrap_or(true)
}

/// Turns the login item on or off as the setting says.
pub fn apply_login_item(app: &AppHandle, on: bool) {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    let result = match (on, launcher.is_enabled().unwrap_or(false)) {
        (true, false) => launcher.enable(),
        (false, true) => launcher.disable(),
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!("the login item was not changed: {e}");
    }
}

//! The Saldo desktop app: a Tauri v2 shell over `saldo-core`.
//!
//! The builder wires the plugins (single instance, `saldo://` deep links,
//! the system browser, the save dialog, logs in the OS log dir), the state,
//! and the commands the UI may call (`capabilities/main.json` allows exactly
//! these). Contexts, tokens and the database key stay on this side: no
//! command returns one and no event carries one.

pub mod bindings;
mod commands;
mod daily;
pub mod error;
#[cfg(test)]
mod ipc_drift;
mod links;
mod notify;
pub mod present;
pub mod state;
mod tray;
pub mod views;

use std::sync::atomic::Ordering;

use tauri::Manager;
use tauri_plugin_deep_link::DeepLinkExt;

/// Starts the app.
pub fn run() {
    let data_dir = match saldo_core::session::data_dir(None) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("Saldo cannot start: {e}");
            std::process::exit(1);
        }
    };
    let result = tauri::Builder::default()
        // First: a second launch (e.g. the OS opening a saldo:// link) hands its
        // arguments to the running app and exits; the deep-link feature turns
        // the URL into an open-url event here.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| links::focus(app)))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![tray::MINIMISED]),
        ))
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                .targets([
                    tauri_plugin_log::Target::new(tauri_plugin_log::TargetKind::LogDir {
                        file_name: Some("saldo".into()),
                    }),
                    tauri_plugin_log::Target::new(tauri_plugin_log::TargetKind::Stderr),
                ])
                .build(),
        )
        .manage(state::AppState::new(data_dir))
        // Statement files dropped on the window go to the Import screen.
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
                let app = window.app_handle();
                commands::statements::dropped(app, &app.state::<state::AppState>(), paths.clone());
            }
            // Closing the window keeps Saldo in the tray (the daily sync goes on).
            tauri::WindowEvent::CloseRequested { api, .. } if tray::keeps_running(window.app_handle()) => {
                api.prevent_close();
                let _ = window.hide();
            }
            _ => {}
        })
        .setup(|app| {
            // Linux/Windows (dev, AppImage): register the scheme at run time;
            // bundles register it at install time (tauri.conf.json).
            #[cfg(any(target_os = "linux", windows))]
            let registered = match app.deep_link().register_all() {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!("saldo:// is not registered ({e}); bank callbacks use a loopback listener");
                    false
                }
            };
            #[cfg(not(any(target_os = "linux", windows)))]
            let registered = true;
            app.state::<state::AppState>().deep_link.store(registered, Ordering::Relaxed);
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    let (h, u) = (handle.clone(), url.to_string());
                    tauri::async_runtime::spawn(links::handle(h, u));
                }
            });
            if let Err(e) = tray::install(app.handle()) {
                tracing::warn!("no tray icon: {e}");
            }
            // Started at login: the tray only, no window.
            if std::env::args().any(|a| a == tray::MINIMISED) {
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.hide();
                }
            }
            daily::start(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_status,
            commands::app::setup_app,
            commands::app::unlock,
            commands::app::lock,
            commands::app::save_settings,
            commands::background::schedule_status,
            commands::background::schedule_install,
            commands::background::schedule_remove,
            commands::backup::backup_status,
            commands::backup::make_recovery_code,
            commands::backup::choose_backup_folder,
            commands::backup::backup_now,
            commands::backup::choose_backup_file,
            commands::backup::restore_backup,
            commands::backup::change_protection,
            commands::app::test_gateway,
            commands::app::change_gateway,
            commands::app::gateway_terms,
            commands::app::register_person,
            commands::connect::countries,
            commands::connect::banks,
            commands::connect::bank_form,
            commands::connect::connect_start,
            commands::connect::connect_choose,
            commands::connect::connect_poll,
            commands::connect::connect_answer,
            commands::connect::connect_continue,
            commands::connect::connect_cancel,
            commands::data::overview,
            commands::data::set_account_enabled,
            commands::data::transactions,
            commands::data::transaction_detail,
            commands::data::monthly,
            commands::data::balance_history,
            commands::sync::sync_now,
            commands::sync::disconnect,
            commands::export::export_data,
            commands::statements::choose_statement_files,
            commands::statements::import_files,
            commands::statements::clear_import_files,
            commands::statements::preview_import,
            commands::statements::import_statements,
            commands::money::categories,
            commands::money::set_category,
            commands::money::undo_categories,
            commands::money::rule_proposals,
            commands::money::add_rule,
            commands::money::move_rule,
            commands::money::networth,
            commands::money::report,
            commands::money::counterparty,
            commands::money::rename_counterparty,
            commands::money::rules,
            commands::money::delete_rule,
            commands::money::apply_rules,
            commands::money::transfer_review,
            commands::money::pair_transfer,
            commands::money::not_a_transfer,
            commands::money::own_accounts,
            commands::money::add_own_account,
            commands::money::remove_own_account,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Saldo stopped: {e}");
        std::process::exit(1);
    }
}

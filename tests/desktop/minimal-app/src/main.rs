//! A minimal Tauri v2 app: the baseline for scripts/bench-desktop.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the minimal app failed to start");
}

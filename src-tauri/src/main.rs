//! The Saldo desktop app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    saldo_desktop::run();
}

//! The Saldo desktop app (Tauri v2 shell).
//!
//! Placeholder until the desktop issue: the workspace layout reserves this
//! crate as the only one that will depend on Tauri. Until then the demo runs
//! from the command line (`scripts/run`).

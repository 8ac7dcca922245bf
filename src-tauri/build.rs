//! Tauri's build step: embeds the config, icons and capabilities, and
//! declares the app's commands so that each needs an explicit permission
//! (`capabilities/main.json` grants exactly the ones the UI uses).

const COMMANDS: &[&str] = &[
    "app_status",
    "setup_app",
    "unlock",
    "lock",
    "save_settings",
    "backup_status",
    "make_recovery_code",
    "choose_backup_folder",
    "backup_now",
    "choose_backup_file",
    "restore_backup",
    "change_protection",
    "test_gateway",
    "change_gateway",
    "gateway_terms",
    "register_person",
    "countries",
    "banks",
    "bank_form",
    "connect_start",
    "connect_choose",
    "connect_poll",
    "connect_answer",
    "connect_continue",
    "connect_cancel",
    "overview",
    "set_account_enabled",
    "transactions",
    "transaction_detail",
    "monthly",
    "balance_history",
    "sync_now",
    "disconnect",
    "export_data",
    "categories",
    "set_category",
    "undo_categories",
    "rule_proposals",
    "add_rule",
    "move_rule",
    "networth",
    "report",
    "counterparty",
    "rename_counterparty",
    "rules",
    "delete_rule",
    "apply_rules",
    "transfer_review",
    "pair_transfer",
    "not_a_transfer",
    "own_accounts",
    "add_own_account",
    "remove_own_account",
];

fn main() {
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {e:#}");
    }
}

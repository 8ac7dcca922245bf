//! `ui/src/bindings.ts`: the TypeScript side of every IPC type, generated
//! from the Rust types. A test fails when the committed file drifts; run
//! `SALDO_UPDATE_BINDINGS=1 cargo test -p saldo-desktop bindings` to rewrite it.

use ts_rs::TS;

use crate::error::{IpcCode, IpcError};
use crate::views::*;

/// The whole file.
pub fn generate() -> String {
    let decls = [
        IpcCode::decl(),
        IpcError::decl(),
        Phase::decl(),
        Mode::decl(),
        Protection::decl(),
        Theme::decl(),
        ConnectionStatus::decl(),
        SyncRunState::decl(),
        AppStatus::decl(),
        SetupRequest::decl(),
        Answer::decl(),
        Settings::decl(),
        GatewayTest::decl(),
        TermsView::decl(),
        RegisterForm::decl(),
        BankView::decl(),
        FormField::decl(),
        BankForm::decl(),
        ConnectForm::decl(),
        Step::decl(),
        Money::decl(),
        GapView::decl(),
        AccountView::decl(),
        ConnectionView::decl(),
        Overview::decl(),
        MonthView::decl(),
        BalancePoint::decl(),
        TxFilter::decl(),
        CursorView::decl(),
        TxView::decl(),
        TxPageView::decl(),
        TxDetail::decl(),
        SyncProgress::decl(),
        ExportRequest::decl(),
        ExportResult::decl(),
        NotificationSettings::decl(),
        ScheduleView::decl(),
        ImportRequest::decl(),
        ImportRowView::decl(),
        ImportStatementView::decl(),
        ImportFileView::decl(),
        ImportReportView::decl(),
        CategoryKind::decl(),
        CategoryView::decl(),
        LabelStep::decl(),
        ProposalView::decl(),
        RuleForm::decl(),
        ReportLineView::decl(),
        ReportRequest::decl(),
        CounterpartyView::decl(),
        RuleView::decl(),
        AppliedView::decl(),
        OwnAccountView::decl(),
        NetWorthView::decl(),
        BackupItem::decl(),
        BackupStatus::decl(),
        RecoveryCodeView::decl(),
        BackupToRestore::decl(),
        RestoreRequest::decl(),
    ];
    let mut out = String::from(
        "// Generated from the Rust types in src-tauri (src/bindings.rs). Do not edit.\n\
         // Ids are JavaScript numbers (all below 2^53); amounts are exact decimal strings.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d.replace("bigint", "number"));
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bindings_ts_matches_the_rust_types() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
        let want = super::generate();
        if std::env::var_os("SALDO_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &want).unwrap_or_else(|e| panic!("{e}"));
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "ui/src/bindings.ts is out of date with the Rust types: run SALDO_UPDATE_BINDINGS=1 cargo test -p saldo-desktop bindings"
        );
    }
}

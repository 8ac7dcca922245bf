// Typed calls to the shell's commands. The types come from bindings.ts,
// generated from the Rust types, so a change on one side breaks the build
// of the other instead of failing at run time.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  Answer, AppStatus, BalancePoint, BankForm, BankView, ConnectForm, ExportRequest, ExportResult, IpcError,
  GatewayTest, Mode, MonthView, Overview, RegisterForm, Settings, SetupRequest, TermsView, Step, SyncProgress, TxDetail, TxFilter, TxPageView,
  NetWorthView, BackupItem, BackupStatus, BackupToRestore, RecoveryCodeView, RestoreRequest,
  ImportReportView, ImportRequest, ScheduleView,
  AppliedView, CategoryView, CounterpartyView, LabelStep, OwnAccountView, RuleView, TxView, ProposalView, ReportLineView, ReportRequest, RuleForm,
} from "../bindings";

function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** Every failure as an IpcError (a transport failure becomes `io`). */
export function asError(e: unknown): IpcError {
  if (isIpcError(e)) return e;
  return { code: "io", message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asError(e);
  }
}

export const api = {
  status: () => call<AppStatus>("app_status"),
  setup: (request: SetupRequest) => call<AppStatus>("setup_app", { request }),
  unlock: (passphrase: string | null) => call<AppStatus>("unlock", { passphrase }),
  lock: () => call<AppStatus>("lock"),
  saveSettings: (settings: Settings) => call<AppStatus>("save_settings", { settings }),
  scheduleStatus: () => call<ScheduleView>("schedule_status"),
  scheduleInstall: () => call<ScheduleView>("schedule_install"),
  scheduleRemove: () => call<ScheduleView>("schedule_remove"),
  backupStatus: () => call<BackupStatus>("backup_status"),
  makeRecoveryCode: () => call<RecoveryCodeView>("make_recovery_code"),
  chooseBackupFolder: () => call<BackupStatus | null>("choose_backup_folder"),
  backupNow: () => call<BackupItem>("backup_now"),
  chooseBackupFile: () => call<BackupToRestore | null>("choose_backup_file"),
  restoreBackup: (request: RestoreRequest) => call<AppStatus>("restore_backup", { request }),
  changeProtection: (current: string | null, next: string | null) => call<AppStatus>("change_protection", { current, new: next }),
  testGateway: (url: string) => call<GatewayTest>("test_gateway", { url }),
  changeGateway: (mode: Mode, url: string | null) => call<AppStatus>("change_gateway", { mode, url }),
  gatewayTerms: (language: string) => call<TermsView>("gateway_terms", { language }),
  registerPerson: (form: RegisterForm) => call<void>("register_person", { form }),
  countries: () => call<string[]>("countries"),
  banks: (country: string) => call<BankView[]>("banks", { country }),
  bankForm: (connectorId: number) => call<BankForm>("bank_form", { connectorId }),
  connectStart: (form: ConnectForm) => call<Step>("connect_start", { form }),
  connectChoose: (flowId: string, key: string) => call<Step>("connect_choose", { flowId, key }),
  connectPoll: (flowId: string) => call<Step>("connect_poll", { flowId }),
  connectAnswer: (flowId: string, answer: Answer) => call<Step>("connect_answer", { flowId, answer }),
  connectContinue: (flowId: string) => call<Step>("connect_continue", { flowId }),
  connectCancel: (flowId: string) => call<boolean>("connect_cancel", { flowId }),
  overview: () => call<Overview>("overview"),
  setAccountEnabled: (accountId: number, enabled: boolean) => call<void>("set_account_enabled", { accountId, enabled }),
  transactions: (filter: TxFilter) => call<TxPageView>("transactions", { filter }),
  transactionDetail: (id: number) => call<TxDetail>("transaction_detail", { id }),
  monthly: (accountId: number | null, gross: boolean) => call<MonthView[]>("monthly", { accountId, gross }),
  balanceHistory: (accountId: number) => call<BalancePoint[]>("balance_history", { accountId }),
  syncNow: (connectionId: number | null) => call<SyncProgress[]>("sync_now", { connectionId }),
  disconnect: (connectionId: number) => call<void>("disconnect", { connectionId }),
  exportData: (request: ExportRequest) => call<ExportResult | null>("export_data", { request }),
  chooseStatementFiles: () => call<string[] | null>("choose_statement_files"),
  importFiles: () => call<string[]>("import_files"),
  clearImportFiles: () => call<null>("clear_import_files"),
  previewImport: (request: ImportRequest) => call<ImportReportView>("preview_import", { request }),
  importStatements: (request: ImportRequest) => call<ImportReportView>("import_statements", { request }),
  categories: () => call<CategoryView[]>("categories"),
  setCategory: (ids: number[], category: string | null) => call<LabelStep>("set_category", { ids, category }),
  undoCategories: () => call<string | null>("undo_categories"),
  ruleProposals: () => call<ProposalView[]>("rule_proposals"),
  addRule: (rule: RuleForm) => call<LabelStep>("add_rule", { rule }),
  report: (request: ReportRequest) => call<ReportLineView[]>("report", { request }),
  counterparty: (name: string) => call<CounterpartyView>("counterparty", { name }),
  renameCounterparty: (name: string, to: string) => call<number>("rename_counterparty", { name, to }),
  rules: () => call<RuleView[]>("rules"),
  deleteRule: (id: number) => call<void>("delete_rule", { id }),
  moveRule: (id: number, position: number) => call<void>("move_rule", { id, position }),
  networth: () => call<NetWorthView[]>("networth"),
  applyRules: (dryRun: boolean) => call<AppliedView>("apply_rules", { dryRun }),
  transferReview: () => call<TxView[][]>("transfer_review"),
  pairTransfer: (a: number, b: number) => call<number>("pair_transfer", { a, b }),
  notATransfer: (id: number) => call<void>("not_a_transfer", { id }),
  ownAccounts: () => call<OwnAccountView[]>("own_accounts"),
  addOwnAccount: (iban: string, name: string | null) => call<number>("add_own_account", { iban, name }),
  removeOwnAccount: (iban: string) => call<void>("remove_own_account", { iban }),
};

export const events = {
  onConnectStep: (f: (s: Step) => void): Promise<UnlistenFn> => listen<Step>("connect-step", (e) => f(e.payload)),
  onOpenScreen: (f: (screen: string) => void): Promise<UnlistenFn> => listen<string>("open-screen", (e) => f(e.payload)),
  onFilesDropped: (f: (names: string[]) => void): Promise<UnlistenFn> => listen<string[]>("import-files", (e) => f(e.payload)),
  onSyncProgress: (f: (p: SyncProgress) => void): Promise<UnlistenFn> =>
    listen<SyncProgress>("sync-progress", (e) => f(e.payload)),
};

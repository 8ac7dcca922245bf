// Generated from the Rust types in src-tauri (src/bindings.rs). Do not edit.
// Ids are JavaScript numbers (all below 2^53); amounts are exact decimal strings.

export type IpcCode = "not_set_up" | "locked" | "wrong_passphrase" | "invalid" | "not_found" | "callback_rejected" | "gateway" | "needs_reconnect" | "needs_registration" | "store" | "io";

export type IpcError = { 
/**
 * The kind.
 */
code: IpcCode, 
/**
 * One sentence for the person.
 */
message: string, };

export type Phase = "setup" | "locked" | "ready";

export type Mode = "sandbox" | "gateway";

export type Protection = "keyring" | "passphrase";

export type Theme = "system" | "light" | "dark";

export type ConnectionStatus = "active" | "needs_reconnect" | "revoked";

export type SyncRunState = "QUEUED" | "RUNNING" | "AWAIT_AUTH" | "COMPLETED" | "FAILED";

export type AppStatus = { 
/**
 * Setup, locked or ready.
 */
phase: Phase, 
/**
 * Whether the OS keyring answers (else a passphrase protects the database).
 */
keyring_available: boolean, 
/**
 * How the key is kept, once unlocked.
 */
protection: Protection | null, 
/**
 * Demo banks or a real gateway, once set up.
 */
mode: Mode | null, 
/**
 * The gateway address in gateway mode.
 */
gateway_url: string | null, 
/**
 * Whether the `saldo://` scheme is registered (else the loopback fallback is used).
 */
deep_link: boolean, 
/**
 * Where the encrypted database lives.
 */
data_dir: string, 
/**
 * The person's settings.
 */
settings: Settings, };

export type SetupRequest = { 
/**
 * Demo banks or a real gateway.
 */
mode: Mode, 
/**
 * The gateway address (gateway mode).
 */
gateway_url: string | null, 
/**
 * A passphrase, when there is no keyring or the person prefers one.
 * Never printed: `Debug` shows `<redacted>`.
 */
passphrase: string | null, };

export type Answer = string;

export type Settings = { 
/**
 * Sync every connection once a day, when its consent allows (R10).
 */
auto_sync: boolean, 
/**
 * The colour theme.
 */
theme: Theme, 
/**
 * The TPP id to give the gateway (`tppContext`), when its operator gave
 * this installation one; `None`: the build's (`saldo`).
 */
tpp_id: string | null, 
/**
 * The app name to give the gateway; `None`: `Saldo/<version>`.
 */
app_name: string | null, 
/**
 * Lock a passphrase-protected Saldo after this many minutes without
 * input (`None`: never).
 */
lock_after_minutes: number | null, 
/**
 * The window's language (`nl`, `fr`…); `None`: the system's.
 */
language: string | null, 
/**
 * Which notifications Saldo shows.
 */
notifications: NotificationSettings, 
/**
 * Closing the window keeps Saldo in the tray, syncing daily.
 */
close_to_tray: boolean, 
/**
 * Start Saldo at login, in the tray (no window).
 */
start_at_login: boolean, };

export type GatewayTest = { 
/**
 * Banks in its catalog.
 */
banks: number, 
/**
 * Countries they are in.
 */
countries: number, };

export type TermsView = { 
/**
 * The terms and conditions (plain text).
 */
tc: string, 
/**
 * The privacy notice (plain text).
 */
privacy: string, 
/**
 * Their version (what the person accepts).
 */
version: number, 
/**
 * The language of this text.
 */
language: string | null, 
/**
 * The languages the gateway has them in.
 */
available_languages: Array<string>, 
/**
 * The person registered at this gateway before: accepting newer terms
 * needs no details again.
 */
registered: boolean, };

export type RegisterForm = { 
/**
 * First name.
 */
first_name: string, 
/**
 * Last name.
 */
last_name: string, 
/**
 * E-mail address.
 */
email: string, 
/**
 * Date of birth (YYYY-MM-DD), if given.
 */
date_of_birth: string | null, 
/**
 * Mobile phone, if given.
 */
phone: string | null, 
/**
 * The terms version accepted.
 */
accept_terms: number, };

export type BankView = { 
/**
 * Connector id.
 */
connector_id: number, 
/**
 * Display name.
 */
name: string, 
/**
 * ISO country.
 */
country: string, 
/**
 * The logo as a `data:` URL (fetched by the app: the window loads no
 * image from the network).
 */
logo_url: string | null, 
/**
 * Whether the bank can be connected now.
 */
available: boolean, };

export type FormField = { 
/**
 * Key sent to the gateway.
 */
key: string, 
/**
 * Label.
 */
label: string, 
/**
 * Help text.
 */
description: string | null, 
/**
 * Regular expression the value must match.
 */
pattern: string | null, 
/**
 * Whether it must be filled.
 */
required: boolean, };

export type BankForm = { 
/**
 * Connector id.
 */
connector_id: number, 
/**
 * The bank needs the account numbers (IBANs) up front (DETAILED access).
 */
needs_ibans: boolean, 
/**
 * Extra fields.
 */
fields: Array<FormField>, 
/**
 * Longest consent the bank grants, in days.
 */
max_consent_days: number, };

export type ConnectForm = { 
/**
 * Connector id.
 */
connector_id: number, 
/**
 * Bank name.
 */
bank_name: string, 
/**
 * Country.
 */
country: string, 
/**
 * IBANs (DETAILED banks).
 */
ibans: Array<string>, 
/**
 * Extra fields.
 */
additional: { [key in string]?: string }, 
/**
 * Re-consent of this connection (keeps its history, R15).
 */
reconnect: number | null, };

export type Step = { "kind": "browser", 
/**
 * Flow.
 */
flow_id: string, 
/**
 * The bank's page (shown so the person can open it again).
 */
url: string, 
/**
 * The bank will not call back: the person says when they are done.
 */
no_callback: boolean, } | { "kind": "choose", 
/**
 * Flow.
 */
flow_id: string, 
/**
 * Key and label of each option.
 */
options: Array<[string, string]>, } | { "kind": "ask", 
/**
 * Flow.
 */
flow_id: string, 
/**
 * The bank's question.
 */
prompt: string, 
/**
 * Hide the typed answer.
 */
secret: boolean, } | { "kind": "decoupled", 
/**
 * Flow.
 */
flow_id: string, 
/**
 * What the bank says.
 */
message: string, } | { "kind": "connected", 
/**
 * Flow.
 */
flow_id: string, 
/**
 * The connection.
 */
connection_id: number, 
/**
 * Accounts found.
 */
new_accounts: number, } | { "kind": "failed", 
/**
 * Flow (empty when the link belonged to none).
 */
flow_id: string, 
/**
 * Why.
 */
message: string, };

export type Money = { 
/**
 * Exact decimal.
 */
amount: string, 
/**
 * ISO 4217.
 */
currency: string, };

export type GapView = { 
/**
 * The last day known before it (ISO), when known.
 */
after: string | null, 
/**
 * The first day known after it (ISO).
 */
before: string, };

export type AccountView = { 
/**
 * Account id.
 */
id: number, 
/**
 * Connection id.
 */
connection_id: number, 
/**
 * Bank.
 */
bank_name: string, 
/**
 * Name.
 */
name: string, 
/**
 * IBAN.
 */
iban: string | null, 
/**
 * Currency.
 */
currency: string, 
/**
 * Product.
 */
product: string | null, 
/**
 * Owner.
 */
owner: string | null, 
/**
 * Fetched by syncs (R12).
 */
enabled: boolean, 
/**
 * The bank no longer returns it (R13).
 */
disappeared: boolean, 
/**
 * Latest booked balance.
 */
booked: Money | null, 
/**
 * Latest available balance.
 */
available: Money | null, 
/**
 * The day the balances refer to.
 */
as_of: string | null, 
/**
 * Stretches the gateway says may be missing (`possibleHole`).
 */
gaps: Array<GapView>, };

export type ConnectionView = { 
/**
 * Connection id.
 */
id: number, 
/**
 * Connector.
 */
connector_id: number, 
/**
 * Bank.
 */
bank_name: string, 
/**
 * The bank's country (a reconnect opens on this bank).
 */
country: string, 
/**
 * Where it stands.
 */
status: ConnectionStatus, 
/**
 * Last completed sync.
 */
last_sync_at: string | null, 
/**
 * When the next automatic sync is due (when it is on).
 */
next_sync_at: string | null, 
/**
 * Consent valid until.
 */
consent_valid_until: string | null, 
/**
 * Days until the consent expires (negative: expired).
 */
consent_days_left: number | null, 
/**
 * Accounts (visible).
 */
accounts: number, 
/**
 * Accounts the bank no longer returns.
 */
disappeared: number, 
/**
 * It holds accounts only statement files fill: no bank to sync.
 */
offline: boolean, };

export type Overview = { 
/**
 * Sum of the enabled accounts' balances, per currency.
 */
totals: Array<Money>, 
/**
 * Accounts, disappeared ones included (marked).
 */
accounts: Array<AccountView>, 
/**
 * Connections.
 */
connections: Array<ConnectionView>, };

export type MonthView = { 
/**
 * `YYYY-MM`.
 */
month: string, 
/**
 * Currency.
 */
currency: string, 
/**
 * Money in.
 */
income: string, 
/**
 * Money out (negative).
 */
expense: string, };

export type BalancePoint = { 
/**
 * Day.
 */
date: string, 
/**
 * Exact amount.
 */
amount: string, };

export type TxFilter = { 
/**
 * One account.
 */
account: number | null, 
/**
 * From (ISO date).
 */
from: string | null, 
/**
 * To (ISO date).
 */
to: string | null, 
/**
 * Smallest amount.
 */
min: string | null, 
/**
 * Largest amount.
 */
max: string | null, 
/**
 * `in` or `out`.
 */
direction: string | null, 
/**
 * Words to find.
 */
text: string | null, 
/**
 * `date_desc`, `date_asc`, `amount_desc`, `amount_asc`.
 */
sort: string | null, 
/**
 * Only this category and those under it (its path).
 */
category: string | null, 
/**
 * Only this counterparty (its clean name).
 */
counterparty: string | null, 
/**
 * Only rows without a category.
 */
uncategorized: boolean, 
/**
 * Continue after this cursor.
 */
after: CursorView | null, 
/**
 * Page size.
 */
limit: number, };

export type CursorView = { 
/**
 * Sort key.
 */
key: string, 
/**
 * Row id.
 */
id: number, };

export type TxView = { 
/**
 * Row id.
 */
id: number, 
/**
 * Account.
 */
account_id: number, 
/**
 * Booking date.
 */
date: string, 
/**
 * Value date.
 */
value_date: string | null, 
/**
 * Exact amount.
 */
amount: string, 
/**
 * Currency.
 */
currency: string, 
/**
 * Counterparty as the bank sent it.
 */
counterparty: string | null, 
/**
 * The clean counterparty name (or the name the person gave it).
 */
counterparty_clean: string | null, 
/**
 * Description.
 */
description: string | null, 
/**
 * Remittance information.
 */
remittance: string | null, 
/**
 * The category's path.
 */
category: string | null, 
/**
 * Why it has this category ("rule Supermarkets", "you").
 */
category_reason: string | null, 
/**
 * The transfer between own accounts this row is a leg of.
 */
transfer_id: number | null, };

export type TxPageView = { 
/**
 * Rows.
 */
rows: Array<TxView>, 
/**
 * Next page.
 */
next: CursorView | null, };

export type TxDetail = { 
/**
 * Row id.
 */
id: number, 
/**
 * Fields in the bank's order (nested ones as `a.b`).
 */
fields: Array<[string, string]>, 
/**
 * The statement file it was imported from (or also found in), in words.
 */
imported_from: string | null, 
/**
 * Whether the row is a statement file's own: `fields` are the file's,
 * not what a bank sent.
 */
from_file: boolean, };

export type SyncProgress = { 
/**
 * Connection.
 */
connection_id: number, 
/**
 * Where the run is.
 */
state: SyncRunState, 
/**
 * Accounts done.
 */
accounts_done: number, 
/**
 * Pages committed.
 */
pages_done: number, 
/**
 * New transactions so far.
 */
new_transactions: number, 
/**
 * The outcome's message when finished.
 */
message: string | null, };

export type ExportRequest = { 
/**
 * csv, json, jsonl, ofx, qif, beancount, ledger.
 */
format: string, 
/**
 * Accounts (empty: all enabled).
 */
accounts: Array<number>, 
/**
 * From (ISO date).
 */
from: string | null, 
/**
 * To (ISO date).
 */
to: string | null, };

export type ExportResult = { 
/**
 * The file.
 */
path: string, 
/**
 * Accounts written.
 */
accounts: number, 
/**
 * Transactions written.
 */
transactions: number, };

export type NotificationSettings = { 
/**
 * A bank needs a reconnect.
 */
reconnect: boolean, 
/**
 * A bank's access ends in 14, 3 and 1 days.
 */
consent_ending: boolean, 
/**
 * A bank's sync failed twice in a row.
 */
sync_failed: boolean, 
/**
 * Once a day: how many new transactions arrived.
 */
daily_summary: boolean, };

export type ScheduleView = { 
/**
 * It can be installed here (Linux, with the `saldo` command line beside the app).
 */
available: boolean, 
/**
 * It is installed.
 */
installed: boolean, 
/**
 * What systemd said.
 */
systemd: string, };

export type ImportRequest = { 
/**
 * Every statement into this account (`None`: each to the account with
 * its IBAN or number, else to a new offline account).
 */
account: number | null, 
/**
 * Every statement into one new offline account with this name.
 */
new_account: string | null, 
/**
 * The currency of a new offline account when the file states none.
 */
currency: string | null, 
/**
 * Also import rows that look like a stored row but differ.
 */
include_conflicts: boolean, };

export type ImportRowView = { 
/**
 * 1-based entry of its statement.
 */
entry: number, 
/**
 * Booking date (ISO).
 */
booking_date: string, 
/**
 * Exact amount (decimal string).
 */
amount: string, 
/**
 * The other party, as the file names it.
 */
counterparty: string | null, 
/**
 * The file's text.
 */
description: string | null, 
/**
 * `new`, `known`, `conflict` or `pending`.
 */
status: string, 
/**
 * Why it is a conflict.
 */
why: string | null, };

export type ImportStatementView = { 
/**
 * The statement's own id.
 */
id: string | null, 
/**
 * The account it goes to.
 */
account_id: number, 
/**
 * Its name.
 */
account: string, 
/**
 * A new offline account.
 */
new_account: boolean, 
/**
 * The file's IBAN or number.
 */
file_account: string | null, 
/**
 * Currency.
 */
currency: string, 
/**
 * First booking date.
 */
from: string | null, 
/**
 * Last booking date.
 */
to: string | null, 
/**
 * Rows new.
 */
new: number, 
/**
 * Rows already here.
 */
known: number, 
/**
 * Rows in conflict.
 */
conflicts: number, 
/**
 * Pending rows (never imported).
 */
pending: number, 
/**
 * Opening + entries − closing, when both balances are given (zero: they add up).
 */
difference: string | null, 
/**
 * The gap to the previous statement of the account (not zero: one is missing).
 */
gap_before: string | null, 
/**
 * The closing balance − Saldo's history at that day.
 */
history_difference: string | null, 
/**
 * The entries (at most [`IMPORT_ROWS_SHOWN`]).
 */
rows: Array<ImportRowView>, 
/**
 * Entries not listed.
 */
rows_hidden: number, };

export type ImportFileView = { 
/**
 * Its name.
 */
name: string, 
/**
 * The format it was read as.
 */
format: string, 
/**
 * When the same file was imported before.
 */
imported_before: string | null, 
/**
 * What the reader skipped or guessed.
 */
notes: Array<string>, 
/**
 * Its statements.
 */
statements: Array<ImportStatementView>, };

export type ImportReportView = { 
/**
 * A preview: nothing was written.
 */
dry_run: boolean, 
/**
 * Each file.
 */
files: Array<ImportFileView>, 
/**
 * Rows new.
 */
new: number, 
/**
 * Rows already here.
 */
known: number, 
/**
 * Rows in conflict.
 */
conflicts: number, 
/**
 * Pending rows.
 */
pending: number, 
/**
 * Offline accounts created.
 */
accounts_created: number, 
/**
 * Balance points added.
 */
balance_points: number, 
/**
 * Statements whose balances do not add up, chain or agree with the history.
 */
unbalanced: number, };

export type CategoryKind = "income" | "expense" | "transfer" | "ignore";

export type CategoryView = { 
/**
 * Id.
 */
id: number, 
/**
 * Its path (`Food/Groceries`).
 */
path: string, 
/**
 * What it counts as.
 */
kind: CategoryKind, };

export type LabelStep = { 
/**
 * The step.
 */
step: number, 
/**
 * Rows whose category changed.
 */
changed: number, };

export type ProposalView = { 
/**
 * The counterparty it is about.
 */
counterparty: string, 
/**
 * The category it would give.
 */
category: string, 
/**
 * Rows the person categorised that way.
 */
evidence: number, 
/**
 * Rows it would change now.
 */
changes: number, };

export type RuleForm = { 
/**
 * Its name (shown as the reason).
 */
name: string, 
/**
 * The category's path.
 */
category: string, 
/**
 * Words of the clean counterparty name.
 */
counterparty: string | null, 
/**
 * Words in the bank's text.
 */
text: string | null, 
/**
 * Money in or out only (`in` / `out`).
 */
direction: string | null, 
/**
 * At least this much (the amount's size, a decimal string).
 */
min: string | null, 
/**
 * At most this much.
 */
max: string | null, 
/**
 * The counterparty's account number.
 */
iban: string | null, 
/**
 * Only this account.
 */
account: number | null, };

export type ReportLineView = { 
/**
 * The category path or counterparty name; null: none.
 */
group: string | null, 
/**
 * Currency.
 */
currency: string, 
/**
 * Money in.
 */
income: string, 
/**
 * Money out (positive).
 */
spending: string, 
/**
 * Rows counted.
 */
rows: number, };

export type ReportRequest = { 
/**
 * `category` or `counterparty`.
 */
by: string, 
/**
 * From (ISO date).
 */
from: string | null, 
/**
 * To (ISO date).
 */
to: string | null, 
/**
 * Count transfers between own accounts too.
 */
gross: boolean, };

export type CounterpartyView = { 
/**
 * The name shown.
 */
name: string, 
/**
 * The texts the banks sent for it.
 */
bank_names: Array<string>, 
/**
 * Its account numbers.
 */
ibans: Array<string>, 
/**
 * Transactions.
 */
rows: number, 
/**
 * First booking date.
 */
first_seen: string | null, 
/**
 * Last booking date.
 */
last_seen: string | null, 
/**
 * Money in and out per month (`expense` negative, as in [`MonthView`]).
 */
months: Array<MonthView>, };

export type RuleView = { 
/**
 * Id.
 */
id: number, 
/**
 * Its name.
 */
name: string, 
/**
 * The category it gives.
 */
category: string, 
/**
 * Its conditions in words ("counterparty Albert Heijn, money out").
 */
when: string, };

export type AppliedView = { 
/**
 * Rows whose category changes.
 */
changed: number, 
/**
 * The step to undo (absent on a dry run or when nothing changed).
 */
step: number | null, };

export type OwnAccountView = { 
/**
 * Its IBAN.
 */
iban: string, 
/**
 * Its name.
 */
name: string | null, };

export type NetWorthView = { 
/**
 * Currency.
 */
currency: string, 
/**
 * The month ends (the last one: today), oldest first.
 */
points: Array<BalancePoint>, };

export type BackupItem = { 
/**
 * Its path.
 */
path: string, 
/**
 * Its file name.
 */
name: string, 
/**
 * When it was made (RFC 3339, UTC).
 */
created_at: string, 
/**
 * Its size in bytes.
 */
bytes: number, };

export type BackupStatus = { 
/**
 * Whether a recovery code exists (it is never stored; its public half is).
 */
has_recovery_code: boolean, 
/**
 * Where backups go.
 */
folder: string, 
/**
 * How many backups the folder holds.
 */
count: number, 
/**
 * The newest few.
 */
backups: Array<BackupItem>, };

export type RecoveryCodeView = { 
/**
 * The code, in groups.
 */
code: string, };

export type BackupToRestore = { 
/**
 * Its path.
 */
path: string, 
/**
 * When it was made.
 */
created_at: string, 
/**
 * The Saldo that made it.
 */
app_version: string, 
/**
 * Whether the recovery code opens it.
 */
opens_with_code: boolean, 
/**
 * Whether the passphrase of the time opens it.
 */
opens_with_passphrase: boolean, 
/**
 * Whether the data here changed after it was made (restoring replaces that).
 */
replaces_newer: boolean, };

export type RestoreRequest = { 
/**
 * The backup file.
 */
path: string, 
/**
 * The recovery code, or the backup's passphrase.
 */
secret: string, 
/**
 * A passphrase for the restored data (`None`: the keyring).
 */
passphrase: string | null, 
/**
 * Replace data here that is newer than the backup.
 */
overwrite_newer: boolean, 
/**
 * On a first run: demo banks or a gateway.
 */
mode: Mode | null, 
/**
 * On a first run in gateway mode: its address.
 */
gateway_url: string | null, };

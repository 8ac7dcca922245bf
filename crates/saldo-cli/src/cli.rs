//! The command line: every subcommand and option (clap).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use saldo_core::export::Format;
use saldo_core::CoreError;

#[derive(Parser)]
#[command(name = "saldo", version, about = "Your bank accounts, offline and encrypted: connect, sync, list")]
pub struct Cli {
    /// Where Saldo keeps its encrypted database.
    #[arg(long, global = true, env = "SALDO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The open-banking gateway (https://…, or http:// to this computer);
    /// default: the embedded sandbox with demo banks.
    #[arg(long, global = true, env = "SALDO_GATEWAY_URL", value_parser = parse_gateway)]
    pub gateway: Option<url::Url>,
    /// Protect the database with the passphrase in this file instead of the OS keyring.
    #[arg(long, global = true, env = "SALDO_PASSPHRASE_FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// The TPP id to give the gateway (`tppContext`), when its operator gave
    /// you one; default: the build's (`saldo`).
    #[arg(long, global = true, env = "SALDO_TPP_ID")]
    pub tpp_id: Option<String>,
    /// The app name to give the gateway (`tppContext`); default `Saldo/<version>`.
    #[arg(long, global = true, env = "SALDO_TPP_APP")]
    pub tpp_app: Option<String>,
    /// Machine-readable output: one JSON document on standard output
    /// (see docs/schema/cli-json.md).
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How the bank sends the person back.
#[derive(Clone, Copy, ValueEnum)]
pub enum Redirect {
    /// A listener on 127.0.0.1 receives the bank's callback (waits here).
    Loopback,
    /// The bank calls back `saldo://callback`; continue with `saldo callback URL`.
    Deeplink,
}

/// What a sync fetches.
#[derive(Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    /// Accounts only (fast; finds new accounts).
    Accounts,
    /// Accounts, balances and transactions.
    Transactions,
}

/// What `saldo accounts` does to an account.
#[derive(Clone, Copy, ValueEnum)]
pub enum AccountAction {
    /// Sync this account from now on.
    Enable,
    /// Stop syncing it (its history is kept).
    Disable,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Test the gateway (`--gateway`, or the embedded sandbox): fetch its
    /// catalog and say what it serves, or why it cannot be reached.
    Gateway,
    /// The gateway's terms and privacy notice, with their version.
    Terms {
        /// Your language (e.g. `fr`), when the gateway has the text in it.
        #[arg(long, default_value = "en")]
        language: String,
    },
    /// Register with the gateway, accepting a version of its terms (see
    /// `saldo terms`). On a terminal it asks for what is missing. When the
    /// terms change, `saldo register --accept-terms N` accepts the new
    /// version with the details you registered with.
    Register {
        /// Your first name.
        #[arg(long)]
        first_name: Option<String>,
        /// Your last name.
        #[arg(long)]
        last_name: Option<String>,
        /// Your e-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Your date of birth (YYYY-MM-DD).
        #[arg(long)]
        date_of_birth: Option<NaiveDate>,
        /// Your mobile phone number.
        #[arg(long)]
        phone: Option<String>,
        /// The version of the terms you accept (as `saldo terms` shows it).
        #[arg(long, value_name = "VERSION")]
        accept_terms: i64,
    },
    /// The countries whose banks the gateway serves.
    Countries,
    /// The banks you can connect, by country.
    Banks {
        /// ISO country code.
        #[arg(long, default_value = "BE")]
        country: String,
    },
    /// Connect a bank: authenticate in your browser. When the bank asks a
    /// question (a client number, a card reader's code), answer it on the
    /// terminal, or pipe one line per question into standard input.
    Connect {
        /// The connector id (see `saldo banks`).
        #[arg(allow_negative_numbers = true)]
        connector_id: i64,
        /// Account numbers (required by some banks).
        #[arg(long = "iban")]
        ibans: Vec<String>,
        /// Extra information the bank asks for, as NAME=VALUE (NAME=- reads
        /// the value from standard input, out of the process list).
        #[arg(long = "prop")]
        props: Vec<String>,
        /// Print the bank's address instead of opening a browser.
        #[arg(long)]
        no_browser: bool,
        /// How the bank sends you back.
        #[arg(long, value_enum, default_value_t = Redirect::Loopback)]
        redirect: Redirect,
        /// Answer to the bank's choice question (e.g. the SCA method).
        #[arg(long)]
        option: Option<String>,
        /// Renew the consent of this connection instead of adding one.
        #[arg(long)]
        reconnect: Option<i64>,
    },
    /// Continue a connection from the bank's callback URL (deep-link mode).
    Callback {
        /// The `saldo://callback?…` URL, or `-` to read it from standard
        /// input (out of the process list and shell history).
        url: String,
        /// Answer to the bank's choice question, if it asks one next.
        #[arg(long)]
        option: Option<String>,
    },
    /// Continue a connection at a bank that does not send you back, once you
    /// have approved there.
    Continue {
        /// The flow id `saldo connect` printed.
        flow_id: String,
    },
    /// Answer the bank's choice question of a pending connection.
    Choose {
        /// The flow id `saldo connect` or `saldo callback` printed.
        flow_id: String,
        /// The key of your choice (as listed).
        key: String,
    },
    /// Your connections.
    Connections,
    /// Remove a connection: revokes its consent at the bank, deletes its data.
    Disconnect {
        /// The connection id.
        connection_id: i64,
    },
    /// Your accounts (`accounts enable ID`, `accounts disable ID` to choose which are synced).
    Accounts {
        /// Enable or disable an account.
        #[arg(value_enum, requires = "account_id")]
        action: Option<AccountAction>,
        /// The account id.
        account_id: Option<i64>,
        /// Include accounts the bank no longer returns.
        #[arg(long)]
        all: bool,
    },
    /// Fetch new data from the banks.
    Sync {
        /// One connection (default: all but those disconnected at the bank).
        connection_id: Option<i64>,
        /// What to fetch.
        #[arg(long, value_enum, default_value_t = ScopeArg::Transactions)]
        scope: ScopeArg,
        /// The daily automatic sync, for a timer (cron, systemd): only the
        /// connections with no sync in the last 24 hours, unattended (counted
        /// against the consent's daily allowance), never prompting — a bank
        /// that wants SCA is reported as needing a reconnect.
        #[arg(long, conflicts_with = "connection_id")]
        due: bool,
    },
    /// Latest balances.
    Balances,
    /// Transactions, newest first.
    Transactions {
        /// One account.
        #[arg(long)]
        account: Option<i64>,
        /// From this date (YYYY-MM-DD).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Up to this date (YYYY-MM-DD).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Words to find in counterparty, description or remittance.
        #[arg(long)]
        search: Option<String>,
        /// Only this category (and those under it).
        #[arg(long)]
        category: Option<String>,
        /// Only this counterparty (its clean name).
        #[arg(long)]
        counterparty: Option<String>,
        /// Only transactions without a category.
        #[arg(long, conflicts_with = "category")]
        uncategorized: bool,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Your categories (`saldo categories add PATH` adds one).
    Categories {
        /// Add one.
        #[command(subcommand)]
        action: Option<CategoryAction>,
    },
    /// The rules that categorise transactions.
    Rules {
        /// What to do (default: list).
        #[command(subcommand)]
        action: Option<RuleAction>,
    },
    /// One counterparty: its names at the banks, account numbers, first and
    /// last seen, money in and out per month; `--rename` gives it your name
    /// (kept for every later transaction).
    Counterparty {
        /// Its name as Saldo shows it.
        name: String,
        /// Call it this from now on.
        #[arg(long)]
        rename: Option<String>,
        /// With --rename: every counterparty with this account number (merges them).
        #[arg(long, requires = "rename")]
        iban: Option<String>,
    },
    /// Put transactions in a category yourself (one step; `saldo undo` reverts it).
    Categorize {
        /// Transaction ids.
        #[arg(required = true)]
        ids: Vec<i64>,
        /// The category's path.
        #[arg(long, required_unless_present = "none")]
        category: Option<String>,
        /// Remove their category instead.
        #[arg(long, conflicts_with = "category")]
        none: bool,
    },
    /// Undo the last categorisation step (a rule applied, your choice), or one by id.
    Undo {
        /// The step (default: the last).
        step: Option<i64>,
    },
    /// Transfers between your own accounts.
    Transfers {
        /// What to do (default: list).
        #[command(subcommand)]
        action: Option<TransferAction>,
    },
    /// Where the money goes: spending, income, per month, net worth.
    Report {
        /// Which report.
        #[arg(value_enum)]
        kind: ReportKind,
        /// From this booking date (YYYY-MM-DD).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Up to this booking date (YYYY-MM-DD).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Spending and income: group by.
        #[arg(long, value_enum, default_value_t = ByArg::Category)]
        by: ByArg,
        /// One account.
        #[arg(long)]
        account: Option<i64>,
        /// Count transfers between your accounts and ignored rows too.
        #[arg(long)]
        gross: bool,
        /// CSV instead of text.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
    /// Make a new recovery code and print it once. With a backup, it unlocks
    /// your data on another computer; the previous code stops working for
    /// backups made from now on.
    RecoveryCode,
    /// Write an encrypted backup (to the backup folder, default
    /// `<data dir>/backups`) and print its path.
    Backup {
        /// Write it into this folder instead.
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
    },
    /// Restore a backup into the data directory (a new computer's, or this
    /// one's). Asks for the recovery code or the passphrase on the terminal,
    /// or reads it from standard input — never from the command line. With
    /// --passphrase-file the restored data is protected by that passphrase,
    /// else by this computer's keyring. The replaced database is kept aside.
    Restore {
        /// The `.saldo-backup` file.
        file: PathBuf,
        /// Replace data that changed after the backup was made without asking.
        #[arg(long)]
        overwrite_newer: bool,
    },
    /// Write your data in a format other tools read (streams; any size).
    Export {
        /// csv, json, jsonl, ofx, qif, beancount or ledger (hledger).
        #[arg(long, value_parser = parse_format)]
        format: Format,
        /// Only this account (repeatable; default: every enabled account).
        #[arg(long = "account", value_name = "ACCOUNT_ID")]
        accounts: Vec<i64>,
        /// From this booking date (YYYY-MM-DD).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Up to this booking date (YYYY-MM-DD).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// The file to write, or `-` for standard output.
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
        /// beancount/ledger: the counter-account of every transaction.
        #[arg(long, value_name = "ACCOUNT")]
        counter_account: Option<String>,
        /// beancount/ledger: the counter-account of money out (default Expenses:Uncategorized).
        #[arg(long, value_name = "ACCOUNT")]
        expense_account: Option<String>,
        /// beancount/ledger: the counter-account of money in (default Income:Uncategorized).
        #[arg(long, value_name = "ACCOUNT")]
        income_account: Option<String>,
    },
    /// The daily sync while Saldo is not running (Linux): a systemd user timer
    /// that runs `saldo sync --due` once a day on this data directory.
    Schedule {
        #[command(subcommand)]
        action: ScheduleAction,
    },
    /// What a bank statement file holds (camt.052/053/054, MT940/MT942, CODA,
    /// OFX/QFX, QIF, CSV) and whether its balances add up — read only, before
    /// any import; needs no database.
    Statement {
        /// The file.
        file: PathBuf,
        /// Its format (default: told from its first bytes): camt, mt940, coda, ofx, qif or csv.
        #[arg(long)]
        format: Option<String>,
        /// For CSV: a built-in bank profile (part of its name, e.g. `n26`) or a
        /// saved profile (`FILE.json`); default: guessed from the data.
        #[arg(long)]
        profile: Option<String>,
        /// Compare each entry with what is stored (new, already here, or a
        /// conflict), in the account whose IBAN the statement names — nothing
        /// is written.
        #[arg(long = "match")]
        compare: bool,
        /// Compare with this account instead (implies --match).
        #[arg(long)]
        account: Option<i64>,
    },
    /// Import bank statement files (camt.052/053/054, MT940/MT942, CODA,
    /// OFX/QFX, QIF, CSV), told apart by their content: each account in a
    /// file goes to the account with its IBAN or number, else to a new
    /// offline account named after it. Rows already here (the bank's or an
    /// earlier file's) are not added twice; all files are imported in one
    /// step, or none. `--format saldo-json` (or a Saldo JSON export, found by
    /// its content) restores Saldo's own export into an empty install.
    Import {
        /// The files (`-`: standard input, for saldo-json).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// auto (default: told from the content), camt, mt940, coda, ofx, qif, csv or saldo-json.
        #[arg(long, default_value = "auto")]
        format: String,
        /// Import every statement into this account.
        #[arg(long, conflicts_with = "new_account")]
        account: Option<i64>,
        /// Import every statement into one new offline account with this name.
        #[arg(long, value_name = "NAME")]
        new_account: Option<String>,
        /// For CSV: a built-in bank profile (part of its name) or a saved
        /// profile (`FILE.json`); default: guessed from the data.
        #[arg(long)]
        profile: Option<String>,
        /// The currency of a new offline account when the file states none (default EUR).
        #[arg(long)]
        currency: Option<String>,
        /// The balance of a new offline account before its first row, when the file states none.
        #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
        opening_balance: Option<String>,
        /// Also import rows that look like a stored row but differ (default: left out).
        #[arg(long)]
        include_conflicts: bool,
        /// Show what an import would do (new, already here, conflict); write nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run or --json: list every row, not only the counts.
        #[arg(long)]
        rows: bool,
    },
}

/// What `saldo categories` does.
#[derive(Subcommand)]
pub enum CategoryAction {
    /// Add a category (and its parents): `saldo categories add "Food/Bakery"`.
    Add {
        /// Its path, names joined with `/`.
        path: String,
        /// What it counts as.
        #[arg(long, value_enum, default_value_t = KindArg::Expense)]
        kind: KindArg,
    },
}

/// What a category counts as.
#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// Money earned.
    Income,
    /// Money spent.
    Expense,
    /// Money moved between your own accounts (neither).
    Transfer,
    /// Left out of every figure.
    Ignore,
}

/// The conditions of a rule (all given ones must hold).
#[derive(clap::Args, Clone, Default)]
pub struct RuleArgs {
    /// The rule's name (shown as the reason: "rule NAME").
    #[arg(long)]
    pub name: Option<String>,
    /// The category it gives (its path, see `saldo categories`).
    #[arg(long)]
    pub category: String,
    /// Words of the clean counterparty name.
    #[arg(long)]
    pub counterparty: Option<String>,
    /// The counterparty's account number.
    #[arg(long)]
    pub iban: Option<String>,
    /// Words in the description, remittance or counterparty text.
    #[arg(long)]
    pub text: Option<String>,
    /// The start of the structured reference (`+++123/`).
    #[arg(long)]
    pub reference: Option<String>,
    /// The start of the bank transaction code (`PMNT-RDDT`).
    #[arg(long)]
    pub bank_code: Option<String>,
    /// The direct debit's mandate or creditor id.
    #[arg(long)]
    pub mandate: Option<String>,
    /// The smallest amount (absolute, e.g. 10.50).
    #[arg(long)]
    pub min: Option<rust_decimal::Decimal>,
    /// The largest amount (absolute).
    #[arg(long)]
    pub max: Option<rust_decimal::Decimal>,
    /// Money in or out.
    #[arg(long, value_enum)]
    pub direction: Option<DirectionArg>,
    /// One account.
    #[arg(long)]
    pub account: Option<i64>,
    /// Booked on or after (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Booked on or before (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<NaiveDate>,
}

/// Money in or out.
#[derive(Clone, Copy, ValueEnum)]
pub enum DirectionArg {
    /// Money in.
    In,
    /// Money out.
    Out,
}

/// What `saldo rules` does (default: list them).
#[derive(Subcommand)]
pub enum RuleAction {
    /// The rules, in the order they are tried.
    List,
    /// Add a rule; new transactions get it at once, stored ones with `saldo rules apply`.
    Add {
        /// The conditions and category.
        #[command(flatten)]
        rule: RuleArgs,
        /// Try it before the rule now at this position (default: last).
        #[arg(long)]
        position: Option<i64>,
    },
    /// How many stored transactions a rule would take, without adding it.
    Test {
        /// The conditions and category.
        #[command(flatten)]
        rule: RuleArgs,
    },
    /// Apply the rules to every stored transaction (one step; `saldo undo` reverts it).
    Apply {
        /// Only say how many would change.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete a rule.
    Delete {
        /// The rule id.
        id: i64,
    },
    /// Write your categories and rules as one plain file (JSON) to keep in git.
    Export {
        /// The file to write, or `-` for standard output.
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
    },
    /// Read categories and rules from such a file.
    Import {
        /// The file, or `-` for standard input.
        file: PathBuf,
        /// Replace your rules instead of adding these after them.
        #[arg(long)]
        replace: bool,
    },
    /// Rules Saldo proposes from how you categorised (never applied without you).
    Proposals,
}

/// What `saldo transfers` does (default: list them).
#[derive(Subcommand)]
pub enum TransferAction {
    /// Transfers between your own accounts.
    List,
    /// Rows that may be transfers, for you to decide.
    Review,
    /// This transaction is not a transfer.
    Not {
        /// The transaction id.
        id: i64,
    },
    /// These two transactions are one transfer.
    Pair {
        /// One leg's transaction id.
        a: i64,
        /// The other leg's transaction id.
        b: i64,
    },
    /// Add an account of yours Saldo does not sync ("my other accounts").
    Own {
        /// Its IBAN.
        iban: String,
        /// A name for it.
        #[arg(long)]
        name: Option<String>,
    },
    /// Forget one of your other accounts.
    Forget {
        /// Its IBAN.
        iban: String,
    },
}

/// Which report.
#[derive(Clone, Copy, ValueEnum)]
pub enum ReportKind {
    /// Spending by category (or `--by counterparty`).
    Spending,
    /// Income by category (or `--by counterparty`).
    Income,
    /// Income and spending per month, transfers between your accounts left out.
    Monthly,
    /// Net worth at each month's end, per currency, by account.
    Networth,
}

/// What a spending or income report groups by.
#[derive(Clone, Copy, ValueEnum)]
pub enum ByArg {
    /// Category.
    Category,
    /// Counterparty.
    Counterparty,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse().map_err(|e: CoreError| e.to_string())
}

fn parse_gateway(s: &str) -> Result<url::Url, String> {
    saldo_core::session::gateway_url(s).map_err(|e| e.to_string())
}

/// `saldo schedule …`.
#[derive(Subcommand)]
pub enum ScheduleAction {
    /// Write the timer and its service, and start it.
    Install,
    /// Stop the timer and delete its units.
    Remove,
    /// Whether it is installed.
    Status,
}

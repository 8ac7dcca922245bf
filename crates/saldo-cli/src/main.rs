//! `saldo`: Saldo for the command line and scripts. A thin shell over
//! `saldo-core`: each command opens the store, calls one use case, prints.
//!
//! Exit codes: 0 success, 1 failure, 2 usage error, 3 a bank needs the person
//! to reconnect (SCA).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use saldo_core::connect::{self, ConnectRequest, Next, RedirectKind};
use saldo_core::export::{ExportOptions, Format};
use saldo_core::sync::{self, Outcome, Scope, SyncOptions};
use saldo_core::CoreError;
use saldo_gateway::{ClientConfig, CorrelationId, GatewayClient};
use saldo_store::queries::TxQuery;
use saldo_store::{open_data_dir, Store, Unlock};
use serde_json::json;

#[derive(Parser)]
#[command(name = "saldo", version, about = "Your bank accounts, offline and encrypted: connect, sync, list")]
struct Cli {
    /// Where Saldo keeps its encrypted database.
    #[arg(long, global = true, env = "SALDO_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The open-banking gateway; default: the embedded sandbox with demo banks.
    #[arg(long, global = true, env = "SALDO_GATEWAY_URL")]
    gateway: Option<url::Url>,
    /// Protect the database with the passphrase in this file instead of the OS keyring.
    #[arg(long, global = true, env = "SALDO_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Redirect {
    /// A listener on 127.0.0.1 receives the bank's callback (waits here).
    Loopback,
    /// The bank calls back `saldo://callback`; continue with `saldo callback URL`.
    Deeplink,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScopeArg {
    /// Accounts only (fast; finds new accounts).
    Accounts,
    /// Accounts, balances and transactions.
    Transactions,
}

#[derive(Subcommand)]
enum Command {
    /// The banks you can connect, by country.
    Banks {
        /// ISO country code.
        #[arg(long, default_value = "BE")]
        country: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
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
        /// Extra information the bank asks for, as NAME=VALUE.
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
        /// The `saldo://callback?…` URL.
        url: String,
        /// Answer to the bank's choice question.
        #[arg(long)]
        option: Option<String>,
    },
    /// Continue a connection at a bank that does not send you back, once you
    /// have approved there.
    Continue {
        /// The flow id `saldo connect` printed.
        flow_id: String,
    },
    /// Your connections.
    Connections {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Remove a connection: revokes its consent at the bank, deletes its data.
    Disconnect {
        /// The connection id.
        connection_id: i64,
    },
    /// Your accounts (`accounts enable ID`, `accounts disable ID` to choose which are synced).
    Accounts {
        /// `enable` or `disable`.
        action: Option<String>,
        /// The account id.
        account_id: Option<i64>,
        /// Include accounts the bank no longer returns.
        #[arg(long)]
        all: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Fetch new data from the banks.
    Sync {
        /// One connection (default: all).
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
    Balances {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
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
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Machine-readable output (one JSON array).
        #[arg(long)]
        json: bool,
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
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse().map_err(|e: CoreError| e.to_string())
}

/// A failure with the exit code it maps to.
struct Fail(u8, String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail(1, e.to_string())
    }
}

struct Env {
    store: Store,
    client: GatewayClient,
    data_dir: PathBuf,
    _sandbox: Option<saldo_sandbox::SandboxHandle>,
}

async fn env(cli: &Cli) -> Result<Env, Fail> {
    let data_dir = saldo_store::data_dir(cli.data_dir.as_deref())?;
    let unlock = Unlock::from_options(cli.passphrase_file.as_deref())?;
    let keyring = saldo_vault::KeyringStore::for_database(&data_dir.join(saldo_store::DB_FILE_NAME));
    let (store, _) = open_data_dir(&data_dir, unlock, &keyring)?;
    let (base, sandbox) = match &cli.gateway {
        Some(url) => (url.clone(), None),
        None => {
            let config = saldo_sandbox::SandboxConfig {
                state_file: Some(data_dir.join("sandbox-state.json")),
                ..Default::default()
            };
            let sb = saldo_sandbox::start_local(config)
                .await
                .map_err(|e| Fail(1, format!("the embedded sandbox did not start: {e}")))?;
            (url::Url::parse(sb.base_url())?, Some(sb))
        }
    };
    let client = GatewayClient::new(ClientConfig::new(base))?;
    Ok(Env { store, client, data_dir, _sandbox: sandbox })
}

fn open_browser(url: &str) {
    let browser = std::env::var("BROWSER").ok().filter(|b| !b.is_empty());
    let cmd = browser.unwrap_or_else(|| if cfg!(target_os = "macos") { "open".into() } else { "xdg-open".into() });
    if let Err(e) = std::process::Command::new(&cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("Could not open a browser ({cmd}: {e}); open the address above yourself.");
    }
}

async fn drive(
    e: &mut Env,
    mut next: Next,
    option: Option<&str>,
    listener: Option<saldo_core::loopback::LoopbackListener>,
    no_browser: bool,
) -> Result<(), Fail> {
    loop {
        next = match next {
            Next::OpenBrowser { flow_id, url, no_callback } => {
                println!("Continue at your bank: {url}");
                if !no_browser {
                    open_browser(&url);
                }
                if no_callback {
                    // The bank will not send the person back: they say when
                    // they are done (Enter on the terminal, a line on stdin).
                    println!("This bank does not send you back: when you have approved there, press Enter.");
                    if off_runtime(read_line).await?.is_none() {
                        return Err(Fail(
                            1,
                            format!("when you have approved at your bank, run: saldo continue {flow_id}"),
                        ));
                    }
                    connect::continue_without_callback(&mut e.store, &e.client, &flow_id, Utc::now()).await?
                } else {
                    match &listener {
                        Some(l) => {
                            println!("Waiting for the bank to send you back…");
                            let cb = l.wait(Duration::from_secs(15 * 60)).await?;
                            connect::handle_callback(&mut e.store, &e.client, &cb, Utc::now()).await?
                        }
                        None => {
                            println!(
                            "flow: {flow_id}\nAfter the bank sends you back, run: saldo callback 'saldo://callback?…'"
                        );
                            return Ok(());
                        }
                    }
                }
            }
            Next::ChooseOption { flow_id, options } => match option {
                Some(key) => connect::choose_option(&mut e.store, &e.client, &flow_id, key, Utc::now()).await?,
                None => {
                    connect::cancel(&e.store, &flow_id, Utc::now())?;
                    let list: Vec<String> = options.iter().map(|(k, v)| format!("  --option {k}   {v}")).collect();
                    return Err(Fail(
                        1,
                        format!("the bank asks you to choose; run again with one of:\n{}", list.join("\n")),
                    ));
                }
            },
            Next::AskInput { flow_id, prompt, secret } => match off_runtime({
                let prompt = prompt.clone();
                move || ask(&prompt, secret)
            })
            .await
            {
                Ok(Some(text)) => connect::answer(&mut e.store, &e.client, &flow_id, &text, Utc::now()).await?,
                Ok(None) => {
                    connect::cancel(&e.store, &flow_id, Utc::now())?;
                    return Err(Fail(
                        1,
                        format!(
                            "the bank asks: {prompt}
Answer on a terminal, or give one line per question on standard input."
                        ),
                    ));
                }
                Err(err) => {
                    connect::cancel(&e.store, &flow_id, Utc::now())?;
                    return Err(Fail(1, format!("could not read your answer: {err}")));
                }
            },
            Next::WaitDecoupled { flow_id, message } => {
                println!("{message}");
                let mut delay = Duration::from_secs(1);
                loop {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                    match connect::poll_decoupled(&mut e.store, &e.client, &flow_id, Utc::now()).await? {
                        Next::WaitDecoupled { .. } => continue,
                        other => break other,
                    }
                }
            }
            Next::Connected { connection_id, new_accounts, .. } => {
                println!("Connected: connection {connection_id}, {new_accounts} new account(s), disabled until you enable them:");
                for a in e.store.accounts(Some(connection_id), false)? {
                    println!(
                        "  saldo accounts enable {}   # {} {}",
                        a.id,
                        a.iban.as_deref().unwrap_or(&a.gateway_id),
                        a.description.as_deref().unwrap_or("")
                    );
                }
                return Ok(());
            }
            Next::Failed { message, .. } => return Err(Fail(1, format!("the connection failed: {message}"))),
        };
    }
}

/// Asks the bank's question (MORE_INFO / PASSWORD) on standard error and
/// reads one answer: from the terminal (a secret without echo), or one line
/// of standard input for scripts. `None` when there is no answer to read.
fn ask(prompt: &str, secret: bool) -> std::io::Result<Option<String>> {
    use std::io::{IsTerminal, Write};
    let tty = std::io::stdin().is_terminal();
    eprintln!("Your bank asks: {prompt}");
    if tty {
        eprint!("> ");
    }
    std::io::stderr().flush()?;
    if tty && secret {
        let line = rpassword::read_password()?;
        return Ok(Some(line.trim().to_owned()).filter(|l| !l.is_empty()));
    }
    Ok(read_line()?.filter(|l| !l.is_empty()))
}

/// Runs a blocking read on tokio's blocking pool: the embedded sandbox (its
/// bank pages) keeps serving on the runtime while the person types.
async fn off_runtime<T: Send + 'static>(
    read: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(read).await.map_err(std::io::Error::other)?
}

/// One line of standard input, trimmed; `None` at its end.
fn read_line() -> std::io::Result<Option<String>> {
    use std::io::BufRead;
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim().to_owned()))
}

fn core_fail(e: CoreError) -> Fail {
    Fail(1, e.to_string())
}

/// A live progress line on standard error while a sync runs, only when it
/// is a terminal (scripts and pipes get the summary lines alone). It reads
/// the run's counters from its own connection to the store.
struct Progress {
    task: Option<(tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>,
}

impl Progress {
    fn start(store: &Store, connection_id: i64) -> Self {
        use std::io::IsTerminal;
        let watcher = match store.reopen() {
            Ok(w) if std::io::stderr().is_terminal() => w,
            _ => return Self { task: None },
        };
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            for tick in 0usize.. {
                Self::line(&watcher, connection_id, spinner[tick % spinner.len()]);
                tokio::select! {
                    _ = &mut stopped => break,
                    () = tokio::time::sleep(std::time::Duration::from_millis(120)) => {}
                }
            }
            // The final counters stay on screen, above the summary.
            Self::line(&watcher, connection_id, '✓');
            eprintln!();
        });
        Self { task: Some((task, stop)) }
    }

    fn line(watcher: &Store, connection_id: i64, mark: char) {
        if let Ok(Some(run)) = watcher.latest_sync_run(connection_id) {
            eprint!(
                "\r\x1b[2K{mark} connection {connection_id}: {} account(s), {} page(s), {} new transaction(s)",
                run.accounts_done, run.pages_done, run.new_transactions
            );
        }
    }

    async fn finish(self) {
        if let Some((task, stop)) = self.task {
            let _ = stop.send(());
            let _ = task.await;
        }
    }
}

async fn run(cli: Cli) -> Result<(), Fail> {
    let mut e = env(&cli).await?;
    match cli.command {
        Command::Banks { country, json } => {
            let banks = e.client.banks(&country, &CorrelationId::new()).await?.body;
            if json {
                let v: Vec<_> = banks.iter().map(|b| json!({"connectorId": b.connector_id, "name": b.fullname, "country": b.country_iso, "available": b.status.is_available()})).collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for b in banks {
                    println!(
                        "{:>6}  {}{}",
                        b.connector_id,
                        b.fullname,
                        if b.status.is_available() { "" } else { "  (unavailable)" }
                    );
                }
            }
        }
        Command::Connect { connector_id, ibans, props, no_browser, redirect, option, reconnect } => {
            let banks = e.client.banks_all(&CorrelationId::new()).await.unwrap_or_default();
            let bank = banks.iter().find(|b| b.connector_id == connector_id);
            let mut additional = BTreeMap::new();
            for p in props {
                let (k, v) = p.split_once('=').ok_or_else(|| Fail(2, format!("--prop {p:?} must be NAME=VALUE")))?;
                additional.insert(k.to_owned(), v.to_owned());
            }
            let listener = match redirect {
                Redirect::Loopback => Some(saldo_core::loopback::LoopbackListener::bind().await?),
                Redirect::Deeplink => None,
            };
            let req = ConnectRequest {
                connector_id,
                bank_name: bank.map_or_else(|| format!("Bank {connector_id}"), |b| b.fullname.clone()),
                country: bank.map_or_else(String::new, |b| b.country_iso.clone()),
                ibans,
                additional,
                redirect_url: listener.as_ref().map_or_else(|| "saldo://callback".to_owned(), |l| l.redirect_url()),
                redirect_kind: if listener.is_some() { RedirectKind::Loopback } else { RedirectKind::DeepLink },
                frequency_per_day: 4,
                reconnect,
            };
            let next = connect::start(&mut e.store, &e.client, &req, Utc::now()).await.map_err(core_fail)?;
            drive(&mut e, next, option.as_deref(), listener, no_browser).await?;
        }
        Command::Callback { url, option } => {
            let next = connect::handle_callback(&mut e.store, &e.client, &url, Utc::now()).await.map_err(core_fail)?;
            drive(&mut e, next, option.as_deref(), None, true).await?;
        }
        Command::Continue { flow_id } => {
            let next = connect::continue_without_callback(&mut e.store, &e.client, &flow_id, Utc::now())
                .await
                .map_err(core_fail)?;
            drive(&mut e, next, None, None, true).await?;
        }
        Command::Connections { json } => {
            let list = e.store.connections()?;
            if json {
                let v: Vec<_> = list.iter().map(|c| json!({"id": c.id, "connectorId": c.connector_id, "bank": c.bank_name, "country": c.country, "status": c.status, "lastSync": c.last_sync_at})).collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for c in list {
                    println!(
                        "{:>4}  {}  {}  last sync {}",
                        c.id,
                        c.bank_name,
                        c.status,
                        c.last_sync_at.as_deref().unwrap_or("never")
                    );
                }
            }
        }
        Command::Disconnect { connection_id } => {
            let opts = SyncOptions::new(&e.data_dir.join("locks"));
            saldo_core::manage::disconnect(&mut e.store, &e.client, connection_id, &opts, false)
                .await
                .map_err(core_fail)?;
            println!("Disconnected: the consent is revoked and the connection's data deleted.");
        }
        Command::Accounts { action, account_id, all, json } => match (action.as_deref(), account_id) {
            (Some(a @ ("enable" | "disable")), Some(id)) => {
                if !e.store.set_account_enabled(id, a == "enable", Utc::now())? {
                    return Err(Fail(1, format!("there is no account {id}")));
                }
                println!("Account {id} {a}d.");
            }
            (Some(other), _) => {
                return Err(Fail(
                    2,
                    format!("unknown action {other:?}: use `accounts enable ID` or `accounts disable ID`"),
                ))
            }
            (None, _) => {
                let list = e.store.accounts(None, all)?;
                if json {
                    let v: Vec<_> = list.iter().map(|a| json!({"id": a.id, "connectionId": a.connection_id, "iban": a.iban, "currency": a.currency, "name": a.description, "enabled": a.enabled, "disappearedAt": a.disappeared_at})).collect();
                    println!("{}", serde_json::Value::Array(v));
                } else {
                    for a in list {
                        println!(
                            "{:>4}  {:<34} {}  {}{}",
                            a.id,
                            a.iban.as_deref().unwrap_or(&a.gateway_id),
                            a.currency,
                            if a.enabled { "enabled" } else { "disabled" },
                            if a.disappeared_at.is_some() { "  (gone at the bank)" } else { "" }
                        );
                    }
                }
            }
        },
        Command::Sync { connection_id, scope, due } => {
            let locks = e.data_dir.join("locks");
            let opts = if due { SyncOptions::daily(&locks) } else { SyncOptions::new(&locks) };
            let scope = match scope {
                ScopeArg::Accounts => Scope::Accounts,
                ScopeArg::Transactions => Scope::Transactions,
            };
            let ids: Vec<i64> = match connection_id {
                Some(id) => vec![id],
                None if due => sync::due_for_daily(&e.store, Utc::now()).map_err(core_fail)?,
                None => e.store.connections()?.into_iter().map(|c| c.id).collect(),
            };
            if due && ids.is_empty() {
                println!("Nothing is due: every connection synced in the last 24 hours, needs a reconnect, or has no enabled account.");
            }
            let mut reconnect = false;
            let mut failed = None;
            for id in ids {
                let progress = Progress::start(&e.store, id);
                let result = sync::sync_connection(&mut e.store, &e.client, id, scope, &opts).await;
                progress.finish().await;
                let (run, outcome) = result.map_err(core_fail)?;
                match outcome {
                    Outcome::Completed { new_transactions, accounts_added, accounts_disappeared } => {
                        let updated = e.store.sync_run(run)?.map_or(0, |r| r.updated_transactions);
                        let amended =
                            if updated > 0 { format!(" ({updated} amended by the bank)") } else { String::new() };
                        println!(
                            "Connection {id}: {new_transactions} new transaction(s){amended}, {accounts_added} new account(s), {accounts_disappeared} gone."
                        )
                    }
                    Outcome::NeedsReconnect { reason } => {
                        println!("Connection {id} needs you to reconnect (saldo connect … --reconnect {id}): {reason}");
                        reconnect = true;
                    }
                    Outcome::Failed { reason, retryable } => {
                        failed = Some(format!(
                            "connection {id}: {reason}{}",
                            if retryable { " (try again later)" } else { "" }
                        ));
                    }
                }
            }
            if let Some(f) = failed {
                return Err(Fail(1, f));
            }
            if reconnect {
                return Err(Fail(3, "a bank needs you to reconnect".into()));
            }
        }
        Command::Balances { json } => {
            let list = e.store.accounts_overview(false)?;
            if json {
                let v: Vec<_> = list.iter().flat_map(|o| o.balances.iter().map(move |b| json!({"accountId": o.account.id, "type": b.balance_type, "amount": b.amount.to_string(), "currency": b.currency, "date": b.reference_date}))).collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for o in list {
                    for b in &o.balances {
                        println!(
                            "{:>4}  {:<34} {:>6}  {:>14} {}",
                            o.account.id,
                            o.account.iban.as_deref().unwrap_or(""),
                            b.balance_type,
                            b.amount.to_string(),
                            b.currency
                        );
                    }
                }
            }
        }
        Command::Export { format, accounts, from, to, output, counter_account, expense_account, income_account } => {
            let mut opts = ExportOptions::new(format, Utc::now());
            opts.accounts = accounts;
            opts.range = saldo_store::export::DateRange { from, to };
            if let Some(c) = counter_account {
                opts.expense_account.clone_from(&c);
                opts.income_account = c;
            }
            if let Some(c) = expense_account {
                opts.expense_account = c;
            }
            if let Some(c) = income_account {
                opts.income_account = c;
            }
            export(&e.store, &opts, &output)?;
        }
        Command::Transactions { account, from, to, search, limit, json } => {
            let page =
                e.store.transactions_page(&TxQuery { account, from, to, text: search, limit, ..TxQuery::default() })?;
            if json {
                let v: Vec<_> = page.rows.iter().map(|t| json!({"id": t.id, "accountId": t.account_id, "date": t.booking_date, "valueDate": t.value_date, "amount": t.amount.to_string(), "currency": t.currency, "counterparty": t.counterparty_name, "counterpartyAccount": t.counterparty_account, "description": t.description, "remittance": t.remittance, "bankId": t.bank_id})).collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for t in page.rows {
                    let text: String = t
                        .description
                        .unwrap_or_default()
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .take(40)
                        .collect();
                    println!(
                        "{}  {:>12} {}  {:<24} {text}",
                        t.booking_date,
                        t.amount.to_string(),
                        t.currency,
                        t.counterparty_name.unwrap_or_default().chars().take(24).collect::<String>()
                    );
                }
            }
        }
    }
    Ok(())
}

/// Writes an export to a file (atomically, see `export_to_file`) or to
/// standard output.
fn export(store: &Store, opts: &ExportOptions, output: &std::path::Path) -> Result<(), Fail> {
    use std::io::Write;
    if output.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        return match saldo_core::export::export(store, opts, &mut out) {
            Ok(_) => Ok(()),
            // `saldo export … | head`: the reader has what it wanted.
            Err(CoreError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(core_fail(e)),
        };
    }
    match saldo_core::export::export_to_file(store, opts, output) {
        Ok(s) => {
            eprintln!(
                "Exported {} transaction(s) of {} account(s) as {} to {}",
                s.transactions,
                s.accounts,
                opts.format.as_str(),
                output.display()
            );
            std::io::stderr().flush().ok();
            Ok(())
        }
        Err(e) => Err(Fail(1, format!("the export to {} failed: {e}", output.display()))),
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SALDO_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

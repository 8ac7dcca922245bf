//! `saldo-sandbox`: run the sandbox gateway, or a guided demo against it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use saldo_gateway::{
    AccessContinueRequest, AccessRequest, AccountDataRequest, AccountsAccessRequest, AccountsRequest, ClientConfig,
    CorrelationId, GatewayClient, ResultStatus, UserContext,
};
use saldo_sandbox::psu::{Browser, Decision, Outcome};
use saldo_sandbox::{FaultMode, FaultPlan, SandboxConfig};

#[derive(Parser)]
#[command(
    name = "saldo-sandbox",
    version,
    about = "The Saldo sandbox open-banking gateway: simulated banks behind the real gateway API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1", env = "SALDO_SANDBOX_HOST")]
    host: String,
    /// Port (0 picks a free one).
    #[arg(long, default_value_t = 8480, env = "SALDO_SANDBOX_PORT")]
    port: u16,
    /// File that keeps consents, tokens and flows across restarts.
    #[arg(long, env = "SALDO_SANDBOX_STATE")]
    state: Option<PathBuf>,
    /// Seed of the generated bank data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Transactions of the volume bank (connector -2), for benchmarks.
    #[arg(long, default_value_t = 10_000)]
    volume: u64,
    /// Access-token lifetime in seconds at banks that rotate tokens.
    #[arg(long, default_value_t = 600)]
    token_ttl_secs: i64,
    /// Fault active from the start (switch at run time with PUT /sandbox/faults).
    #[arg(long, value_enum, default_value_t = FaultMode::None)]
    fault: FaultMode,
    /// Limit the start fault to this many calls.
    #[arg(long)]
    fault_count: Option<u32>,
    /// Delay for slow/timeout faults, in milliseconds.
    #[arg(long)]
    fault_delay_ms: Option<u64>,
    /// Base URL for links in bank pages, if clients reach the sandbox under another address.
    #[arg(long)]
    public_url: Option<String>,
    /// Say a lost consent on transactions calls with HTTP 206, as the real
    /// gateway does (the body does not say so).
    #[arg(long)]
    consent_loss_206: bool,
    /// Mark every 97th transaction with `possibleHole` (the gateway's signal
    /// that a stretch may be missing).
    #[arg(long)]
    possible_holes: bool,
    /// Serve registered people only (terms accepted, `POST /ob/gw/users`).
    #[arg(long)]
    registration_required: bool,
    /// Leave every 97th transaction out of the pages (only the jump in
    /// `gwSequence` shows it).
    #[arg(long)]
    dropped_rows: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the gateway API and bank pages until Ctrl-C.
    Serve(ServeArgs),
    /// Connect the mock bank through a full SCA flow, show its data, then keep serving.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Exit after the walkthrough instead of serving.
        #[arg(long)]
        once: bool,
    },
    /// Act as the person at a sandbox bank page: sign in, approve (or deny),
    /// print where the bank redirects (a stand-in browser for tests).
    Approve {
        /// The bank page address the app opened.
        url: String,
        /// Deny instead of approving.
        #[arg(long)]
        deny: bool,
    },
}

fn config(a: &ServeArgs) -> SandboxConfig {
    SandboxConfig {
        seed: a.seed,
        state_file: a.state.clone(),
        token_ttl: chrono::Duration::seconds(a.token_ttl_secs),
        volume_transactions: a.volume,
        fault: FaultPlan { mode: a.fault, remaining: a.fault_count, path_contains: None, delay_ms: a.fault_delay_ms },
        public_url: a.public_url.clone(),
        consent_loss_as_206: a.consent_loss_206,
        possible_holes: a.possible_holes,
        registration_required: a.registration_required,
        dropped_rows: a.dropped_rows,
        ..SandboxConfig::default()
    }
}

fn default_state_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    let dir = base.join("saldo");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join("sandbox-state.json"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Demo { .. }) { "warn" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SALDO_LOG").unwrap_or_else(|_| default_level.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let (args, demo, once) = match cli.command {
        Command::Approve { url, deny } => {
            let decision =
                if deny { saldo_sandbox::psu::Decision::Deny } else { saldo_sandbox::psu::Decision::Approve };
            return match saldo_sandbox::psu::Browser::new().authorize(&url, decision).await {
                Ok(saldo_sandbox::psu::Outcome::Redirected(location)) => {
                    println!("{location}");
                    ExitCode::SUCCESS
                }
                Ok(other) => {
                    eprintln!("the bank page did not redirect: {other:?}");
                    ExitCode::from(1)
                }
                Err(e) => {
                    eprintln!("could not use the bank page: {e}");
                    ExitCode::from(1)
                }
            };
        }
        Command::Serve(a) => (a, false, false),
        Command::Demo { mut serve, once } => {
            if serve.state.is_none() {
                serve.state = default_state_file();
            }
            (serve, true, once)
        }
    };
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "error: cannot listen on {}:{}: {e} (choose another with --port, or 0 for any free port)",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let handle = match saldo_sandbox::start(config(&args), listener).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("Saldo sandbox gateway at {}", handle.base_url());
    if let Some(p) = &args.state {
        println!("state file: {}", p.display());
    }
    if demo {
        if let Err(e) = walkthrough(handle.base_url()).await {
            eprintln!("error: demo failed: {e}");
            return ExitCode::FAILURE;
        }
        if once {
            handle.stop().await;
            return ExitCode::SUCCESS;
        }
        println!(
            "\nThe sandbox keeps running: open {} in your browser to see its banks. Ctrl-C stops it.",
            handle.base_url()
        );
    }
    handle.run_until_ctrl_c().await;
    ExitCode::SUCCESS
}

/// Connects the mock bank (-1) like an app would, with a simulated person on
/// the bank's page, and prints what the gateway returns.
async fn walkthrough(base: &str) -> Result<(), Box<dyn std::error::Error>> {
    let client = GatewayClient::new(ClientConfig::new(url::Url::parse(base)?))?;
    let cid = CorrelationId::new();
    let banks = client.banks("BE", &cid).await?.body;
    println!("\nBanks in Belgium:");
    for b in &banks {
        println!("  {:>5}  {}  ({:?})", b.connector_id, b.fullname, b.status);
    }
    let connector = -1;
    let flow_id = uuid::Uuid::new_v4().to_string();
    let redirect = format!("{base}/demo/callback");
    let started = client
        .request_access(
            &AccessRequest {
                connector_id: connector,
                user_context: None,
                bank_settings: None,
                tpp_context: None,
                accounts_access_request: AccountsAccessRequest {
                    psu_ip: Some("127.0.0.1".into()),
                    flow_id: Some(flow_id.clone()),
                    redirect_url: Some(redirect),
                    frequency_per_day: Some(4),
                    ..Default::default()
                },
            },
            &cid,
        )
        .await?
        .body;
    let mut user: Option<UserContext> = started.user_context.clone();
    let url = started.data_string.clone().unwrap_or_default();
    println!("\nStrong customer authentication: the bank page is {url}");
    let Outcome::Redirected(callback) = Browser::new().authorize(&url, Decision::Approve).await? else {
        return Err("the bank did not redirect back".into());
    };
    println!("The bank sent the person back to {callback}");
    let query = callback.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    let found = client.find_flow_id(&query, &cid).await?.body;
    println!("findFlowId → {found} (ours: {flow_id})");
    let done = client
        .continue_access(
            &AccessContinueRequest::new(started.flow_context.ok_or("no flow context")?, Some(query), user.clone()),
            &cid,
        )
        .await?
        .body;
    if done.result_status != ResultStatus::Done {
        return Err(format!("flow ended with {:?}", done.result_status).into());
    }
    user = done.user_context.or(user);
    println!("Connected.\n");
    let accounts = client.accounts(&AccountsRequest::new(connector, user.clone()), &cid).await?.body;
    user = accounts.user_context.clone().or(user);
    for a in &accounts.accounts {
        let req = AccountDataRequest::new(connector, user.clone(), Some("127.0.0.1".into()));
        let bal = client.balances(&a.id, &req, &cid).await?.body;
        user = bal.user_context.clone().or(user);
        let booked = bal
            .balances
            .first()
            .map(|b| format!("{} {}", b.balance_amount.amount, b.balance_amount.currency.as_deref().unwrap_or("")))
            .unwrap_or_default();
        println!(
            "{}  {}  balance {booked}",
            a.iban.as_deref().unwrap_or(&a.id),
            a.description.as_deref().unwrap_or("")
        );
        let req = AccountDataRequest { user_context: user.clone(), ..req };
        let page = client.transactions(&a.id, &req, &cid).await?.body;
        user = page.user_context.clone().or(user);
        for t in page.transactions.iter().take(3) {
            let desc: String = t
                .description
                .as_deref()
                .unwrap_or("")
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(40)
                .collect();
            println!(
                "    {}  {:>12} {}  {:<24} {desc}",
                t.execution_date.as_ref().map(|d| d.date().to_string()).unwrap_or_default(),
                t.amount.to_string(),
                t.currency.as_deref().unwrap_or(""),
                t.counterpart_name.as_deref().unwrap_or("")
            );
        }
        println!("    … first page of {} (more pages: {})", page.transactions.len(), !page.is_last_page);
    }
    Ok(())
}

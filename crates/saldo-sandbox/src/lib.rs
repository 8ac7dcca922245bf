//! The Saldo sandbox gateway: a real HTTP server speaking the gateway API of
//! seed 004 over simulated banks, with bank pages a browser can open.
//!
//! It starts on a listener the caller gives it (tests bind `127.0.0.1:0`) and
//! stops when its [`SandboxHandle`] drops. State (consents, tokens, flows)
//! persists in an optional file, so a connection made in a demo survives a
//! restart. Faults can be switched on at start and at run time.

pub mod api;
pub mod banks;
pub mod data;
pub mod error;
pub mod faults;
pub mod household;
pub mod pages;
pub mod psu;
mod server;
pub mod state;
pub mod statements;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::routing::{get, post, put};
use axum::Router;

pub use faults::{FaultMode, FaultPlan};

use crate::banks::{Connector, ScaStyle};
use crate::error::ApiError;
use crate::state::{State, Step};

/// How to run the sandbox.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Seed of the generated data.
    pub seed: u64,
    /// Where to keep state across restarts; `None` keeps it in memory.
    pub state_file: Option<PathBuf>,
    /// Lifetime of access tokens at banks that rotate them.
    pub token_ttl: chrono::Duration,
    /// Lifetime of an SCA flow.
    pub flow_ttl: chrono::Duration,
    /// Transactions of the volume connector (-2), for benchmarks.
    pub volume_transactions: u64,
    /// Days of history before today when state is first created.
    pub history_days: u64,
    /// Fault active from the start.
    pub fault: FaultPlan,
    /// Base URL to put in bank-page links, when clients reach the sandbox
    /// under another address than the one it binds.
    pub public_url: Option<String>,
    /// Say a lost consent on the transactions calls the way the real
    /// gateway does: HTTP 206, with a body that does not say so (its .NET
    /// client sets `isConsentLost` itself on a 206). Off: HTTP 200 with
    /// `isConsentLost: true` (seed 004's example).
    pub consent_loss_as_206: bool,
    /// A hostile bank: every 40th transaction's currency is a line break
    /// followed by a journal directive (`EUR\n2000-01-01 open Assets:Evil`).
    pub hostile_currency: bool,
    /// The gateway's hole signal: every 97th transaction (index 50 mod 97)
    /// comes with `possibleHole: true`, as when the bank skipped a stretch.
    pub possible_holes: bool,
    /// A gateway that serves registered people only: an access request
    /// without the user context of a registered person, or from one who has
    /// not accepted the current terms, is refused.
    pub registration_required: bool,
    /// A gateway that loses rows: every 97th transaction (index 60 mod 97)
    /// is left out of the pages, with nothing but the jump in `gwSequence`
    /// to show it.
    pub dropped_rows: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            state_file: None,
            token_ttl: chrono::Duration::minutes(10),
            flow_ttl: chrono::Duration::minutes(30),
            volume_transactions: 10_000,
            history_days: 700,
            fault: FaultPlan::default(),
            public_url: None,
            consent_loss_as_206: false,
            hostile_currency: false,
            possible_holes: false,
            registration_required: false,
            dropped_rows: false,
        }
    }
}

/// Shared server state.
pub struct App {
    /// Configuration.
    pub config: SandboxConfig,
    /// The simulated banks.
    pub connectors: Vec<Connector>,
    /// Base URL (`http://127.0.0.1:PORT`), without a trailing slash.
    pub base_url: String,
    state: Mutex<State>,
    faults: Mutex<FaultPlan>,
    /// The current version of the gateway's terms (see [`SandboxHandle::bump_terms`]).
    pub terms_version: std::sync::atomic::AtomicI64,
    /// Registered people: psuId → the terms version they accepted.
    pub registrations: Mutex<BTreeMap<String, i64>>,
    /// Registered people by e-mail: registering again updates the acceptance.
    pub psu_by_email: Mutex<BTreeMap<String, String>>,
    /// `possibleHole` marks on (see [`SandboxConfig::possible_holes`]); can change at run time.
    pub possible_holes: std::sync::atomic::AtomicBool,
    /// Rows left out (see [`SandboxConfig::dropped_rows`]); can change at run time.
    pub dropped_rows: std::sync::atomic::AtomicBool,
    stats: Mutex<BTreeMap<String, u64>>,
}

impl App {
    /// See [`SandboxHandle::bump_terms`].
    pub fn bump_terms(&self) -> i64 {
        self.terms_version.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }

    /// See [`SandboxHandle::require_sca_renewal`].
    pub fn require_sca_renewal(&self) -> usize {
        let mut st = self.state();
        let mut n = 0;
        for k in st.consents.values_mut().filter(|k| k.status == state::ConsentStatus::Active) {
            k.transactions_need_sca = true;
            n += 1;
        }
        self.persist(&st);
        n
    }

    /// Locks the state (never held across an await).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Saves the state if a file is configured. A failed save is logged, not
    /// fatal: the sandbox keeps serving from memory.
    pub fn persist(&self, st: &State) {
        if let Some(path) = &self.config.state_file {
            if let Err(e) = st.save(path) {
                tracing::warn!("{e}");
            }
        }
    }

    /// The connector, or the error a client gets for it.
    pub fn connector(&self, id: i64) -> Result<&Connector, ApiError> {
        let c = self.connectors.iter().find(|c| c.id == id).ok_or_else(|| {
            ApiError::bad_request("UnknownConnectorException", format!("There is no connector {id}."))
        })?;
        if c.sca == ScaStyle::Down {
            return Err(ApiError::unavailable(format!("{} is not available right now.", c.name)));
        }
        Ok(c)
    }

    /// Records the person's answer in the banking app for a decoupled flow.
    pub fn decide_decoupled(&self, flow_id: &str, approve: bool) -> bool {
        let mut st = self.state();
        let ok = match st.flows.get_mut(flow_id) {
            Some(f) if f.step == Step::Decoupled => {
                f.approved = Some(approve);
                true
            }
            _ => false,
        };
        self.persist(&st);
        ok
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct SandboxHandle {
    addr: SocketAddr,
    app: Arc<App>,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SandboxHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.app.base_url
    }

    /// Publishes a new version of the terms (people must accept it again);
    /// returns it.
    pub fn bump_terms(&self) -> i64 {
        self.app.bump_terms()
    }

    /// Turns the `possibleHole` marks on or off.
    pub fn set_possible_holes(&self, on: bool) {
        self.app.possible_holes.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Leaves rows out of the pages, or serves them all again.
    pub fn set_dropped_rows(&self, on: bool) {
        self.app.dropped_rows.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Every bank asks for a new SCA before it serves transactions again
    /// (accounts and balances still answer); returns how many consents.
    pub fn require_sca_renewal(&self) -> usize {
        self.app.require_sca_renewal()
    }

    /// Switches the fault mode.
    pub fn set_fault(&self, plan: FaultPlan) {
        *self.app.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = plan;
    }

    /// Moves the sandbox clock forward (tokens and consents expire, new
    /// transactions appear).
    pub fn advance_clock(&self, by: chrono::Duration) {
        let mut st = self.app.state();
        st.clock_offset_secs += by.num_seconds();
        self.app.persist(&st);
    }

    /// Calls of each API endpoint so far (`"POST /ob/ais/accounts"` → n).
    pub fn stats(&self) -> BTreeMap<String, u64> {
        self.app.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Confirms or rejects a decoupled SCA as the person would in their app.
    pub fn decide_decoupled(&self, flow_id: &str, approve: bool) -> bool {
        self.app.decide_decoupled(flow_id, approve)
    }

    /// Shared state, for tests that inspect the banks' side.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until Ctrl-C (for the binary).
    pub async fn run_until_ctrl_c(self) {
        let _ = tokio::signal::ctrl_c().await;
        self.stop().await;
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listener could not be used.
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    /// The state file is unreadable or corrupt; it is left untouched.
    #[error("{0}")]
    State(String),
}

/// Starts the sandbox on a listener. Must run inside a Tokio runtime.
pub async fn start(config: SandboxConfig, listener: tokio::net::TcpListener) -> Result<SandboxHandle, StartError> {
    let addr = listener.local_addr()?;
    let base_url = config
        .public_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{addr}"));
    let today = chrono::Utc::now().date_naive();
    let state = match &config.state_file {
        Some(path) => State::load(path).map_err(StartError::State)?,
        None => None,
    }
    .unwrap_or_else(|| State::new(config.seed, today, config.history_days));
    let app = Arc::new(App {
        connectors: banks::catalog(config.volume_transactions),
        base_url,
        faults: Mutex::new(config.fault.clone()),
        possible_holes: std::sync::atomic::AtomicBool::new(config.possible_holes),
        dropped_rows: std::sync::atomic::AtomicBool::new(config.dropped_rows),
        terms_version: std::sync::atomic::AtomicI64::new(1),
        registrations: Mutex::new(BTreeMap::new()),
        psu_by_email: Mutex::new(BTreeMap::new()),
        stats: Mutex::new(BTreeMap::new()),
        state: Mutex::new(state),
        config,
    });
    {
        let st = app.state();
        app.persist(&st);
    }
    let router = router(app.clone());
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(server::serve(listener, app.clone(), router, rx));
    tracing::info!(%addr, "sandbox gateway listening");
    Ok(SandboxHandle { addr, app, shutdown: tx, task: Some(task) })
}

/// Starts the sandbox on `127.0.0.1` on a free port.
pub async fn start_local(config: SandboxConfig) -> Result<SandboxHandle, StartError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    start(config, listener).await
}

/// The sandbox a shell embeds when no gateway is configured: on a free
/// loopback port, its banks' state kept in `sandbox-state.json` beside the
/// person's data (so connections made through it keep working after a
/// restart). Both shells call this one function.
pub async fn start_embedded(data_dir: &std::path::Path) -> Result<SandboxHandle, StartError> {
    let config = SandboxConfig { state_file: Some(data_dir.join(EMBEDDED_STATE_FILE)), ..Default::default() };
    start_local(config).await
}

/// The embedded sandbox's state file in the data directory.
pub const EMBEDDED_STATE_FILE: &str = "sandbox-state.json";

/// The routes. Fixed path segments are matched case-insensitively by the
/// server loop, which lower-cases them before routing.
fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/ob/banks", get(api::banks))
        .route("/ob/ais/access/options/{connector_id}", get(api::options))
        .route("/ob/ais/access", post(api::post_access).put(api::put_access))
        .route("/ob/findflowid", get(api::find_flow_id))
        .route("/ob/gw/tc/latest", get(api::users::terms))
        .route("/ob/gw/users", post(api::users::register))
        .route("/ob/gw/users/{psu_id}/tc/latest", get(api::users::accepted_terms))
        .route("/ob/ais/accounts", post(api::accounts))
        .route("/ob/ais/accounts/delete", put(api::delete_account))
        .route("/ob/ais/accounts/{account_id}/balances", post(api::balances))
        .route("/ob/ais/accounts/{account_id}/transactions", post(api::transactions))
        .route("/ob/ais/accounts/{account_id}/transactions/next", post(api::transactions_next))
        .route("/ob/ais/consents/delete", put(api::delete_consent))
        .route("/bank/{connector}/authorize", get(pages::sign_in))
        .route("/bank/{connector}/psd2", get(pages::sign_in))
        .route("/bank/{connector}/login", get(pages::sign_in))
        .route("/bank/{connector}/sca", get(pages::second_factor))
        .route("/bank/{connector}/submit", post(pages::submit))
        .route("/bank/{connector}/app", get(pages::banking_app).post(pages::banking_app_decide))
        .route("/logos/{file}", get(pages::logo))
        .route("/demo/callback", get(pages::demo_callback))
        .route("/", get(pages::index))
        .route("/sandbox/faults", get(server::get_faults).put(server::put_faults).delete(server::clear_faults))
        .route("/sandbox/clock", get(server::get_clock).post(server::advance_clock))
        .route("/sandbox/stats", get(server::get_stats))
        .route("/sandbox/statements/{account_id}", get(statements::statement))
        .route("/sandbox/terms", post(server::bump_terms))
        .route("/sandbox/sca-renewal", post(server::require_sca_renewal))
        .with_state(app)
}

/// Default request timeout hint for clients of a sandbox with `slow` faults.
pub const DEFAULT_SLOW_MS: u64 = 2_000;
/// How long a `timeout` fault hangs by default.
pub const DEFAULT_TIMEOUT_MS: u64 = 120_000;

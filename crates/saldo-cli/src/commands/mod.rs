//! One module per area; each command: state → one core call → present.

pub mod backup;
pub mod connect;
pub mod data;
pub mod import;
pub mod money;
pub mod schedule;
pub mod statement;
pub mod sync;

use saldo_core::session::{self, KeySource, Session, SessionConfig};
use saldo_gateway::GatewayClient;

use crate::cli::Cli;
use crate::exit::Fail;

/// What a command works with: the session, and — only for the commands
/// that talk to a bank — the gateway (the embedded sandbox is started on
/// first use, so offline commands never start it).
pub struct Ctx {
    /// Store, lock directory, gateway client once online.
    pub session: Session,
    /// `--json`.
    pub json: bool,
    /// `--tpp-id` / `--tpp-app`: who Saldo says it is to the gateway.
    pub identity: Option<saldo_core::connect::TppIdentity>,
    gateway: Option<url::Url>,
    sandbox: Option<saldo_sandbox::SandboxHandle>,
}

impl Ctx {
    /// Opens the session (unlocks the database) without a gateway.
    pub async fn open(cli: &Cli) -> Result<Self, Fail> {
        let data_dir = session::data_dir(cli.data_dir.as_deref())?;
        let key = KeySource::from_passphrase_file(cli.passphrase_file.as_deref())?;
        let config = SessionConfig { data_dir, key, gateway: None };
        // Argon2id (a passphrase) takes a moment: off the async runtime.
        let session = tokio::task::spawn_blocking(move || Session::open(config))
            .await
            .map_err(|e| Fail::failure(e.to_string()))??;
        let identity = (cli.tpp_id.is_some() || cli.tpp_app.is_some()).then(|| {
            let defaults = saldo_core::connect::TppIdentity::default();
            saldo_core::connect::TppIdentity {
                tpp_id: cli.tpp_id.clone().unwrap_or(defaults.tpp_id),
                app: cli.tpp_app.clone().unwrap_or(defaults.app),
            }
        });
        Ok(Self { session, json: cli.json, identity, gateway: cli.gateway.clone(), sandbox: None })
    }

    /// The gateway client: `--gateway`, else the embedded sandbox (started now).
    pub async fn client(&mut self) -> Result<GatewayClient, Fail> {
        if let Ok(c) = self.session.client() {
            return Ok(c.clone());
        }
        match self.gateway.clone() {
            Some(url) => self.session.set_gateway(url)?,
            None => {
                let sb = saldo_sandbox::start_embedded(self.session.data_dir())
                    .await
                    .map_err(|e| Fail::failure(format!("the embedded sandbox did not start: {e}")))?;
                let url = url::Url::parse(sb.base_url()).map_err(|e| Fail::failure(e.to_string()))?;
                self.sandbox = Some(sb);
                self.session.set_embedded_gateway(url)?;
            }
        }
        Ok(self.session.client()?.clone())
    }
}

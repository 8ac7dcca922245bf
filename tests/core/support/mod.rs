//! Shared set-up of the core tests: a real sandbox, a client, an encrypted store.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rust_decimal::Decimal;

use chrono::Utc;
use saldo_core::connect::{self, ConnectRequest, Next, RedirectKind};
use saldo_core::sync::SyncOptions;
use saldo_gateway::{ClientConfig, GatewayClient};
use saldo_sandbox::psu::{Browser, Decision, Outcome as Page};
use saldo_sandbox::{SandboxConfig, SandboxHandle};
use saldo_store::Store;
use saldo_vault::DbKey;

/// Everything a test talks to.
pub struct World {
    pub sb: SandboxHandle,
    pub client: GatewayClient,
    pub store: Store,
    pub key: DbKey,
    pub dir: PathBuf,
    /// Removes `dir` when the world drops.
    _tmp: tempfile::TempDir,
}

/// A fresh sandbox and store.
pub async fn world() -> World {
    world_with(SandboxConfig::default()).await
}

/// A fresh store and a sandbox configured so.
pub async fn world_with(config: SandboxConfig) -> World {
    let sb = saldo_sandbox::start_local(config).await.unwrap();
    let client = GatewayClient::new(ClientConfig::new(url::Url::parse(sb.base_url()).unwrap())).unwrap();
    let tmp = tempfile::Builder::new().prefix("saldo-core-").tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let key = DbKey::generate().unwrap();
    let store = Store::open(&dir.join("saldo.db"), &key).unwrap();
    World { sb, client, store, key, dir, _tmp: tmp }
}

/// A deep-link connect request for a connector.
pub fn request(connector_id: i64) -> ConnectRequest {
    ConnectRequest {
        connector_id,
        bank_name: format!("Bank {connector_id}"),
        country: "BE".into(),
        ibans: vec![],
        additional: BTreeMap::new(),
        redirect_url: "saldo://callback".into(),
        redirect_kind: RedirectKind::DeepLink,
        frequency_per_day: 4,
        reconnect: None,
        identity: None,
    }
}

impl World {
    /// Sync options with short back-off, locks in the test directory.
    pub fn opts(&self) -> SyncOptions {
        let mut o = SyncOptions::new(&self.dir.join("locks"));
        o.backoff = std::time::Duration::from_millis(20);
        o
    }

    /// Connects a bank (redirects approved, the first SCA option chosen) and
    /// enables the given accounts (by gateway id; all when empty).
    pub async fn connect(&mut self, connector: i64, enable: &[&str]) -> i64 {
        connect_store(&mut self.store, &self.client, connector, enable).await
    }
}

/// [`World::connect`] on any store and client (a session's, say).
pub async fn connect_store(store: &mut Store, client: &GatewayClient, connector: i64, enable: &[&str]) -> i64 {
    let req = request(connector);
    let mut next = connect::start(store, client, &req, Utc::now()).await.unwrap();
    loop {
        next = match &next {
            Next::OpenBrowser { url, .. } => {
                let Page::Redirected(cb) = Browser::new().authorize(url, Decision::Approve).await.unwrap() else {
                    panic!("the sandbox bank redirects back")
                };
                connect::handle_callback(store, client, &cb, Utc::now()).await.unwrap()
            }
            Next::ChooseOption { flow_id, options } => {
                let key = options.keys().next().unwrap().clone();
                connect::choose_option(store, client, flow_id, &key, Utc::now()).await.unwrap()
            }
            _ => break,
        };
    }
    let Next::Connected { connection_id, .. } = next else { panic!("not connected: {next:?}") };
    for a in store.accounts(Some(connection_id), false).unwrap() {
        if enable.is_empty() || enable.contains(&a.gateway_id.as_str()) {
            store.set_account_enabled(a.id, true, Utc::now()).unwrap();
        }
    }
    connection_id
}

// The external tools that read exports back (see tests/validators).

pub fn python() -> Option<PathBuf> {
    let p = std::env::var_os("SALDO_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/saldo-pyenv/bin/python")
    });
    let tools = ["bean-check", "hledger"]
        .iter()
        .all(|t| Command::new(t).arg("--version").output().is_ok_and(|o| o.status.success()));
    if p.exists() && tools {
        return Some(p);
    }
    assert!(
        std::env::var("SALDO_REQUIRE_VALIDATORS").as_deref() != Ok("1"),
        "SALDO_REQUIRE_VALIDATORS=1 but the validators are missing: run scripts/setup test"
    );
    eprintln!("skipped: the export validators are not installed (scripts/setup test)");
    None
}

pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("validators/read_export.py")
}

/// What the external tool saw.
#[derive(Debug)]
pub struct Seen {
    pub accounts: Vec<(String, u64, Decimal, Option<Decimal>)>,
    pub texts: Vec<String>,
}

pub fn read(py: &Path, format: &str, file: &Path) -> Result<Seen, String> {
    let o = Command::new(py).arg("-W").arg("error").arg(script()).arg(format).arg(file).output().unwrap();
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let dec = |x: &serde_json::Value| x.as_str().map(|s| s.parse::<Decimal>().unwrap());
    Ok(Seen {
        accounts: v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["key"].as_str().unwrap().to_owned(),
                    a["count"].as_u64().unwrap(),
                    dec(&a["sum"]).unwrap(),
                    dec(&a["balance"]),
                )
            })
            .collect(),
        texts: v["texts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect(),
    })
}

//! Shared set-up of the core tests: a real sandbox, a client, an encrypted store.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

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
        let req = request(connector);
        let mut next = connect::start(&mut self.store, &self.client, &req, Utc::now()).await.unwrap();
        loop {
            next = match &next {
                Next::OpenBrowser { url, .. } => {
                    let Page::Redirected(cb) = Browser::new().authorize(url, Decision::Approve).await.unwrap() else {
                        panic!("the sandbox bank redirects back")
                    };
                    connect::handle_callback(&mut self.store, &self.client, &cb, Utc::now()).await.unwrap()
                }
                Next::ChooseOption { flow_id, options } => {
                    let key = options.keys().next().unwrap().clone();
                    connect::choose_option(&mut self.store, &self.client, flow_id, &key, Utc::now()).await.unwrap()
                }
                _ => break,
            };
        }
        let Next::Connected { connection_id, .. } = next else { panic!("not connected: {next:?}") };
        for a in self.store.accounts(Some(connection_id), false).unwrap() {
            if enable.is_empty() || enable.contains(&a.gateway_id.as_str()) {
                self.store.set_account_enabled(a.id, true, Utc::now()).unwrap();
            }
        }
        connection_id
    }
}

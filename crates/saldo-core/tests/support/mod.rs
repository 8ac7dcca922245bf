//! Shared set-up of the core tests: a real sandbox, a client, an encrypted store.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use saldo_core::connect::{ConnectRequest, RedirectKind};
use saldo_core::sync::SyncOptions;
use saldo_gateway::{ClientConfig, GatewayClient};
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
}

/// A fresh sandbox and store.
pub async fn world() -> World {
    let sb = saldo_sandbox::start_local(SandboxConfig::default()).await.unwrap();
    let client = GatewayClient::new(ClientConfig::new(url::Url::parse(sb.base_url()).unwrap())).unwrap();
    let dir = std::env::temp_dir().join(format!("saldo-core-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = DbKey::generate().unwrap();
    let store = Store::open(&dir.join("saldo.db"), &key).unwrap();
    World { sb, client, store, key, dir }
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
    }
}

impl World {
    /// Sync options with short back-off, locks in the test directory.
    pub fn opts(&self) -> SyncOptions {
        let mut o = SyncOptions::new(&self.dir.join("locks"));
        o.backoff = std::time::Duration::from_millis(20);
        o
    }
}

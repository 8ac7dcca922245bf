//! The app's state: where the data lives, the choices of the first run
//! (`app.json` beside the database: mode, gateway address, settings — no
//! secret), and, once unlocked, the open store and the gateway client.

use std::path::{Path, PathBuf};

use saldo_gateway::{ClientConfig, GatewayClient};
use saldo_store::{open_data_dir, Protection, Store, Unlock};
use saldo_vault::{KeyringStore, Passphrase, SecretStore};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::error::{IpcCode, IpcError, IpcResult};
use crate::views::{AppStatus, Phase, Settings};

/// What is written to `app.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AppFile {
    /// `sandbox` or `gateway`.
    pub mode: Option<String>,
    /// Gateway address.
    pub gateway_url: Option<String>,
    /// Settings.
    #[serde(default)]
    pub settings: Settings,
}

impl AppFile {
    fn path(dir: &Path) -> PathBuf {
        dir.join("app.json")
    }

    /// Reads it; a missing file is a first run, a corrupt one is reported.
    pub fn load(dir: &Path) -> IpcResult<Self> {
        match std::fs::read(Self::path(dir)) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| {
                IpcError::new(
                    IpcCode::Store,
                    format!("{} is damaged ({e}); fix or remove it", Self::path(dir).display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(IpcError::new(IpcCode::Io, e.to_string())),
        }
    }

    /// Writes it atomically.
    pub fn save(&self, dir: &Path) -> IpcResult<()> {
        std::fs::create_dir_all(dir).map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))?;
        let tmp = dir.join("app.json.tmp");
        let body = serde_json::to_vec_pretty(self).map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))?;
        std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, Self::path(dir)))
            .map_err(|e| IpcError::new(IpcCode::Io, format!("could not save settings: {e}")))
    }
}

/// An unlocked session.
pub struct Session {
    /// The store (reads and short writes; a sync opens its own connection).
    pub store: Store,
    /// The gateway.
    pub client: GatewayClient,
    /// The embedded sandbox, in sandbox mode (stops when dropped).
    pub sandbox: Option<saldo_sandbox::SandboxHandle>,
    /// How the database is protected.
    pub protection: Protection,
}

/// Shared state of the app.
pub struct AppState {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The session, once unlocked.
    pub session: Mutex<Option<Session>>,
    /// Whether the `saldo://` scheme is registered.
    pub deep_link: std::sync::atomic::AtomicBool,
}

impl AppState {
    /// State for a data directory.
    pub fn new(data_dir: PathBuf) -> Self {
        Self { data_dir, session: Mutex::new(None), deep_link: std::sync::atomic::AtomicBool::new(false) }
    }

    fn db(&self) -> PathBuf {
        self.data_dir.join(saldo_store::DB_FILE_NAME)
    }

    fn keyring(&self) -> KeyringStore {
        KeyringStore::for_database(&self.db())
    }

    /// Whether the keyring answers.
    pub fn keyring_available(&self) -> bool {
        self.keyring().get().is_ok()
    }

    /// Whether the database exists and is protected by a passphrase.
    fn passphrase_protected(&self) -> bool {
        let mut kdf = self.db().into_os_string();
        kdf.push(".kdf.json");
        Path::new(&kdf).exists()
    }

    /// The status for the UI.
    pub async fn status(&self) -> IpcResult<AppStatus> {
        let file = AppFile::load(&self.data_dir)?;
        let session = self.session.lock().await;
        let phase = match (&file.mode, session.is_some()) {
            (_, true) => Phase::Ready,
            (None, false) => Phase::Setup,
            (Some(_), false) => Phase::Locked,
        };
        Ok(AppStatus {
            phase,
            keyring_available: self.keyring_available(),
            protection: session.as_ref().map(|s| match s.protection {
                Protection::Keyring => "keyring".into(),
                Protection::Passphrase => "passphrase".into(),
            }),
            mode: file.mode,
            gateway_url: file.gateway_url,
            deep_link: self.deep_link.load(std::sync::atomic::Ordering::Relaxed),
            data_dir: self.data_dir.display().to_string(),
            settings: file.settings,
        })
    }

    /// Opens the database (keyring, or the passphrase) and connects the
    /// gateway of the saved mode.
    pub async fn unlock(&self, passphrase: Option<String>) -> IpcResult<()> {
        let file = AppFile::load(&self.data_dir)?;
        let mode = file.mode.clone().ok_or_else(|| IpcError::new(IpcCode::NotSetUp, "Saldo is not set up yet"))?;
        let unlock = match passphrase {
            Some(p) => Unlock::Passphrase(Passphrase::new(p)?),
            None if self.passphrase_protected() => {
                return Err(IpcError::new(IpcCode::Locked, "enter your passphrase to unlock Saldo"))
            }
            None => Unlock::Keyring,
        };
        let (store, protection) = open_data_dir(&self.data_dir, unlock, &self.keyring())?;
        let (base, sandbox) = if mode == "gateway" {
            let url = file.gateway_url.clone().unwrap_or_default();
            (url::Url::parse(&url).map_err(|e| IpcError::new(IpcCode::Invalid, format!("gateway address: {e}")))?, None)
        } else {
            let config = saldo_sandbox::SandboxConfig {
                state_file: Some(self.data_dir.join("sandbox-state.json")),
                ..Default::default()
            };
            let sb = saldo_sandbox::start_local(config)
                .await
                .map_err(|e| IpcError::new(IpcCode::Gateway, format!("the demo banks did not start: {e}")))?;
            let url = url::Url::parse(sb.base_url()).map_err(|e| IpcError::new(IpcCode::Gateway, e.to_string()))?;
            (url, Some(sb))
        };
        let client = GatewayClient::new(ClientConfig::new(base))?;
        *self.session.lock().await = Some(Session { store, client, sandbox, protection });
        Ok(())
    }

    /// Closes the database (the key leaves memory with the store).
    pub async fn lock(&self) {
        *self.session.lock().await = None;
    }

    /// Where per-connection lock files live (shared with the CLI).
    pub fn lock_dir(&self) -> PathBuf {
        self.data_dir.join("locks")
    }
}

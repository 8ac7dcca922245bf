//! The app's state: where the data lives, the choices of the first run
//! (`app.json` beside the database: mode, gateway address, settings — no
//! secret), and, once unlocked, the core's session (store, gateway client)
//! with the embedded sandbox in demo mode.

use std::path::{Path, PathBuf};

use saldo_core::session::{self, KeySource, Session, SessionConfig};
use saldo_vault::{KeyringStore, Passphrase};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::error::{IpcCode, IpcError, IpcResult};
use crate::views::{AppStatus, Mode, Phase, Settings};

/// What is written to `app.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AppFile {
    /// Demo banks or a real gateway.
    pub mode: Option<Mode>,
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
        // Private (0600), created with O_EXCL: never written through a symlink.
        saldo_vault::private::create_replacing_stale(&tmp, saldo_vault::private::PRIVATE_MODE)
            .and_then(|mut f| std::io::Write::write_all(&mut f, &body).and_then(|()| f.sync_all()))
            .and_then(|()| std::fs::rename(&tmp, Self::path(dir)))
            .map_err(|e| IpcError::new(IpcCode::Io, format!("could not save settings: {e}")))
    }
}

/// An unlocked app: the core's session, and the embedded sandbox in demo
/// mode (stops when dropped).
pub struct Unlocked {
    /// Store, gateway client, lock directory.
    pub session: Session,
    /// The embedded sandbox, in sandbox mode.
    pub sandbox: Option<saldo_sandbox::SandboxHandle>,
}

/// Shared state of the app.
pub struct AppState {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The session, once unlocked.
    pub session: Mutex<Option<Unlocked>>,
    /// Whether the `saldo://` scheme is registered.
    pub deep_link: std::sync::atomic::AtomicBool,
    /// Syncs running on their own store connections: locking stops them (a
    /// stopped page commit rolls back whole, R4), so no key stays in memory.
    pub running: std::sync::Mutex<Vec<tokio::task::AbortHandle>>,
    /// Bank logos by catalog address, as `data:` URLs (`None`: not an image).
    logos: std::sync::Mutex<std::collections::HashMap<String, Option<String>>>,
    /// Statement files the person chose (native dialog) or dropped on the
    /// window, for the Import screen. The webview never names a path: it
    /// can import only what the person picked.
    pub import_files: std::sync::Mutex<Vec<PathBuf>>,
    /// The screen the newest notification is about, opened when the window
    /// is next brought up.
    pub pending_screen: std::sync::Mutex<Option<&'static str>>,
}

impl AppState {
    /// State for a data directory.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            session: Mutex::new(None),
            deep_link: std::sync::atomic::AtomicBool::new(false),
            running: std::sync::Mutex::new(Vec::new()),
            logos: std::sync::Mutex::new(std::collections::HashMap::new()),
            import_files: std::sync::Mutex::new(Vec::new()),
            pending_screen: std::sync::Mutex::new(None),
        }
    }

    /// A logo fetched before: `Some(None)` when that address gave no image.
    pub fn logo(&self, url: &str) -> Option<Option<String>> {
        self.logos.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(url).cloned()
    }

    /// Remembers a logo (or that its address gave none).
    pub fn keep_logo(&self, url: String, logo: Option<String>) {
        self.logos.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(url, logo);
    }

    /// Remembers a running sync so that locking can stop it.
    pub fn track(&self, task: tokio::task::AbortHandle) {
        let mut running = self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        running.retain(|t| !t.is_finished());
        running.push(task);
    }

    /// Whether the keyring answers (without reading the database key).
    pub fn keyring_available(&self) -> bool {
        KeyringStore::available()
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
            protection: session.as_ref().map(|s| s.session.protection().into()),
            mode: file.mode,
            gateway_url: file.gateway_url,
            deep_link: self.deep_link.load(std::sync::atomic::Ordering::Relaxed),
            data_dir: self.data_dir.display().to_string(),
            settings: file.settings,
        })
    }

    /// Opens the database (keyring, or the passphrase) and connects the
    /// gateway of the saved mode. The key derivation runs off the async
    /// runtime; the sandbox starts only once the database is open.
    pub async fn unlock(&self, passphrase: Option<String>) -> IpcResult<()> {
        let file = AppFile::load(&self.data_dir)?;
        let mode = file.mode.ok_or_else(|| IpcError::new(IpcCode::NotSetUp, "Saldo is not set up yet"))?;
        let key = match passphrase {
            Some(p) => KeySource::Passphrase(Passphrase::new(p)?),
            None if session::is_passphrase_protected(&self.data_dir) => {
                return Err(IpcError::new(IpcCode::Locked, "enter your passphrase to unlock Saldo"))
            }
            None => KeySource::Keyring,
        };
        let config = SessionConfig { data_dir: self.data_dir.clone(), key, gateway: None };
        let mut session = tokio::task::spawn_blocking(move || Session::open(config))
            .await
            .map_err(|e| IpcError::new(IpcCode::Io, e.to_string()))??;
        let sandbox = Self::gateway_of(&self.data_dir, mode, &file, &mut session).await?;
        *self.session.lock().await = Some(Unlocked { session, sandbox });
        Ok(())
    }

    /// Points the session at the gateway of `mode` (starting the embedded
    /// sandbox for the demo banks); returns that sandbox.
    async fn gateway_of(
        data_dir: &Path,
        mode: Mode,
        file: &AppFile,
        session: &mut Session,
    ) -> IpcResult<Option<saldo_sandbox::SandboxHandle>> {
        match mode {
            Mode::Gateway => {
                session.set_gateway(session::gateway_url(file.gateway_url.as_deref().unwrap_or_default())?)?;
                Ok(None)
            }
            Mode::Sandbox => {
                let sb = saldo_sandbox::start_embedded(data_dir)
                    .await
                    .map_err(|e| IpcError::new(IpcCode::Gateway, format!("the demo banks did not start: {e}")))?;
                let url = url::Url::parse(sb.base_url()).map_err(|e| IpcError::new(IpcCode::Gateway, e.to_string()))?;
                session.set_embedded_gateway(url)?;
                Ok(Some(sb))
            }
        }
    }

    /// After a change of gateway in `app.json`: the open session talks to
    /// the new one, and connections of the old one ask to be reconnected.
    pub async fn connect_gateway(&self, file: &AppFile) -> IpcResult<()> {
        let mode = file.mode.ok_or_else(|| IpcError::new(IpcCode::NotSetUp, "Saldo is not set up yet"))?;
        let mut guard = self.session.lock().await;
        let Some(unlocked) = guard.as_mut() else { return Ok(()) }; // applied at the next unlock
        unlocked.sandbox = Self::gateway_of(&self.data_dir, mode, file, &mut unlocked.session).await?;
        let label = unlocked.session.client()?.label().to_owned();
        saldo_core::manage::switch_gateway(&unlocked.session.store, &label)?;
        Ok(())
    }

    /// Closes the database: running syncs are stopped (their store
    /// connections, and the key copies in them, are dropped) and the key
    /// leaves memory with the store (it is zeroed when dropped).
    pub async fn lock(&self) {
        for task in self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain(..) {
            task.abort();
        }
        *self.session.lock().await = None;
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::{AppFile, AppState};

    #[tokio::test]
    async fn locking_stops_the_running_syncs() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let state = AppState::new(dir.path().to_path_buf());
        // A sync that would run for a long time, holding its store connection.
        let sync = tokio::spawn(std::future::pending::<()>());
        state.track(sync.abort_handle());
        state.lock().await;
        let stopped = tokio::time::timeout(std::time::Duration::from_secs(5), sync).await;
        assert!(matches!(&stopped, Ok(Err(e)) if e.is_cancelled()), "the lock stopped the sync: {stopped:?}");
        assert!(state.running.lock().map(|r| r.is_empty()).unwrap_or(false), "nothing left to stop");
    }

    #[test]
    fn app_json_is_private_and_never_written_through_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&victim, dir.path().join("app.json.tmp")).unwrap_or_else(|e| panic!("{e}"));
        AppFile::default().save(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let mode = std::fs::metadata(dir.path().join("app.json")).map(|m| m.permissions().mode() & 0o777).ok();
        assert_eq!(mode, Some(0o600), "the settings file is readable by its owner only");
        assert_eq!(std::fs::read_to_string(&victim).unwrap_or_default(), "untouched", "the symlink was not followed");
    }
}

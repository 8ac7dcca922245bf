//! One way for a shell to open Saldo: where the data lives, how its key is
//! had (OS keyring or a passphrase), which gateway it talks to. Both shells
//! — the desktop app and the CLI — call [`Session::open`]; neither reads the
//! environment or chooses a key source itself.
//!
//! The embedded sandbox is not started here (the core never depends on it):
//! a shell that wants it calls `saldo_sandbox::start_embedded(data_dir)` and
//! gives its address to [`Session::set_gateway`].

use std::path::{Path, PathBuf};

use saldo_gateway::{ClientConfig, GatewayClient};
use saldo_store::{Store, StoreError, DB_FILE_NAME};
use saldo_vault::{DbKey, KdfParams, KeyringStore, Passphrase, PassphraseFile, SecretStore, VaultError};

use crate::sync::SyncOptions;
use crate::{CoreError, Result};

/// The gateway label of the embedded sandbox (its port changes every start).
pub const EMBEDDED_SANDBOX: &str = "embedded sandbox";

/// The shortest passphrase Saldo accepts for a new database or a change.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Why the database cannot be unlocked the way it was asked.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnlockError {
    /// It is protected by a passphrase and none was given.
    #[error("this database is protected by a passphrase")]
    PassphraseRequired,
    /// A passphrase was given, but the database's key is in the OS keyring.
    #[error("this database is protected by the OS keyring, not a passphrase")]
    KeyringProtected,
    /// A new passphrase is too short.
    #[error("choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters")]
    PassphraseTooShort,
    /// No OS keyring answers and no passphrase was given.
    #[error("no OS keyring is available: protect the database with a passphrase")]
    NoKeyring,
}

/// A passphrase chosen for a new database or a change: refused when shorter
/// than [`MIN_PASSPHRASE_CHARS`]. (Opening an existing database accepts any
/// passphrase: the key decides.)
pub fn new_passphrase(text: String) -> Result<Passphrase> {
    if text.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(UnlockError::PassphraseTooShort.into());
    }
    Ok(Passphrase::new(text)?)
}

/// Where the database key comes from.
#[derive(Debug)]
pub enum KeySource {
    /// A random key in the OS keyring (the default).
    Keyring,
    /// A key derived from this passphrase.
    Passphrase(Passphrase),
}

impl KeySource {
    /// The key source of the CLI's options: a passphrase file (the option,
    /// else `SALDO_PASSPHRASE_FILE`) selects a passphrase, else the keyring.
    pub fn from_passphrase_file(explicit: Option<&Path>) -> Result<Self> {
        match explicit.map(Path::to_path_buf).or_else(|| env_path("SALDO_PASSPHRASE_FILE")) {
            Some(file) => Ok(KeySource::Passphrase(Passphrase::from_file(&file)?)),
            None => Ok(KeySource::Keyring),
        }
    }
}

/// How the database is protected now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    /// A random key in the OS keyring.
    Keyring,
    /// A key derived from a passphrase.
    Passphrase,
}

fn env_path(key: &str) -> Option<PathBuf> {
    std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The data directory: `explicit` if given, else `SALDO_DATA_DIR`, else the
/// OS data directory (`$XDG_DATA_HOME/saldo`, `~/.local/share/saldo`,
/// `~/Library/Application Support/Saldo`, `%APPDATA%\Saldo`).
pub fn data_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = explicit {
        return Ok(d.to_path_buf());
    }
    if let Some(d) = env_path("SALDO_DATA_DIR") {
        return Ok(d);
    }
    let os = if cfg!(target_os = "windows") {
        env_path("APPDATA").map(|a| a.join("Saldo"))
    } else if cfg!(target_os = "macos") {
        env_path("HOME").map(|h| h.join("Library/Application Support/Saldo"))
    } else {
        env_path("XDG_DATA_HOME").or_else(|| env_path("HOME").map(|h| h.join(".local/share"))).map(|d| d.join("saldo"))
    };
    os.ok_or_else(|| CoreError::Local("there is no data directory (no home directory is set)".into()))
}

/// Whether the database in `dir` is protected by a passphrase (its KDF
/// parameters sit beside it).
pub fn is_passphrase_protected(dir: &Path) -> bool {
    let mut kdf = dir.join(DB_FILE_NAME).into_os_string();
    kdf.push(saldo_vault::KDF_FILE_SUFFIX);
    Path::new(&kdf).exists()
}

/// The gateway address a person or a script gave: `https` for any host,
/// plain `http` only to this machine (127.0.0.0/8, `::1`, `localhost`),
/// where nobody can read the traffic.
pub fn gateway_url(text: &str) -> Result<url::Url> {
    let text = text.trim();
    let url = url::Url::parse(text)
        .map_err(|_| CoreError::Invalid(format!("{text:?} is not a web address, like https://gateway.example")))?;
    saldo_gateway::check_gateway_url(&url).map_err(CoreError::Invalid)?;
    Ok(url)
}

/// What a session opens.
#[derive(Debug)]
pub struct SessionConfig {
    /// The data directory (see [`data_dir`]).
    pub data_dir: PathBuf,
    /// Where the database key comes from.
    pub key: KeySource,
    /// The gateway; `None` for a session that stays offline (or sets it
    /// later, [`Session::set_gateway`]).
    pub gateway: Option<url::Url>,
}

/// An unlocked Saldo: the store, the gateway client, where lock files live.
#[derive(Debug)]
pub struct Session {
    /// The store (reads and short writes; long work reopens its own, see
    /// [`Session::reopen_store`]).
    pub store: Store,
    data_dir: PathBuf,
    protection: Protection,
    client: Option<GatewayClient>,
}

impl Session {
    /// Opens the database with the OS keyring of this data directory (when
    /// the key source is the keyring, or to finish an interrupted move to
    /// it) and connects the gateway, if one is given.
    pub fn open(config: SessionConfig) -> Result<Self> {
        let keyring = KeyringStore::for_database(&config.data_dir.join(DB_FILE_NAME));
        Self::open_with(config, &keyring)
    }

    /// [`Session::open`] with another secret store (tests: an in-memory one).
    pub fn open_with(config: SessionConfig, keyring: &dyn SecretStore) -> Result<Self> {
        let (mut store, protection) = open_store(&config.data_dir, config.key, keyring)?;
        crate::money::prepare(&mut store, chrono::Utc::now())?;
        let mut session = Self { store, data_dir: config.data_dir, protection, client: None };
        if let Some(url) = config.gateway {
            session.set_gateway(url)?;
        }
        Ok(session)
    }

    /// Talks to this gateway from now on.
    pub fn set_gateway(&mut self, url: url::Url) -> Result<()> {
        self.client = Some(GatewayClient::new(ClientConfig::new(url))?);
        Ok(())
    }

    /// Talks to the embedded sandbox at `url`: its connections belong to
    /// "the embedded sandbox" whatever port it has today.
    pub fn set_embedded_gateway(&mut self, url: url::Url) -> Result<()> {
        self.client = Some(GatewayClient::new(ClientConfig::new(url))?.with_label(EMBEDDED_SANDBOX));
        Ok(())
    }

    /// The gateway client, or [`CoreError::NoGateway`] in an offline session.
    pub fn client(&self) -> Result<&GatewayClient> {
        self.client.as_ref().ok_or(CoreError::NoGateway)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// How the database is protected.
    pub fn protection(&self) -> Protection {
        self.protection
    }

    /// Records a change of protection (`backup::switch_to_*`).
    pub(crate) fn set_protection(&mut self, protection: Protection) {
        self.protection = protection;
    }

    /// Where per-connection lock files live (shared by every process on this
    /// data directory, R3).
    pub fn lock_dir(&self) -> PathBuf {
        self.data_dir.join("locks")
    }

    /// Options of a sync the person started.
    pub fn sync_options(&self) -> SyncOptions {
        SyncOptions::new(&self.lock_dir())
    }

    /// Options of the daily automatic sync (unattended).
    pub fn daily_options(&self) -> SyncOptions {
        SyncOptions::daily(&self.lock_dir())
    }

    /// Another connection to the same database, for work that talks to the
    /// gateway or runs long: the shell's own connection stays free.
    pub fn reopen_store(&self) -> Result<Store> {
        Ok(self.store.reopen()?)
    }
}

fn db_path(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CoreError::Local(format!("cannot create the data directory {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(dir.join(DB_FILE_NAME))
}

/// Opens the database in `dir`, creating it (and its key) on first run:
/// the key source decides, and an interrupted change of protection (a
/// passphrase change, a move to the keyring) is finished here.
pub fn open_store(dir: &Path, key: KeySource, keyring: &dyn SecretStore) -> Result<(Store, Protection)> {
    let db = db_path(dir)?;
    // A restore killed after its new database was complete: finish it first.
    crate::backup::finish_interrupted_restore(dir)?;
    let exists = db.exists() && std::fs::metadata(&db).map(|m| m.len() > 0).unwrap_or(false);
    let kdf = PassphraseFile::load(&db)?;
    match key {
        KeySource::Passphrase(pass) => match kdf {
            Some(mut file) => {
                let keys = file.candidate_keys(&pass)?;
                for (i, key) in keys.iter().enumerate() {
                    match Store::open(&db, key) {
                        Ok(store) => {
                            if i == 1 {
                                // A passphrase change was interrupted after the re-key: finish it.
                                if let Some(next) = file.next.take() {
                                    file.current = next;
                                    file.save(&db)?;
                                }
                            }
                            return Ok((store, Protection::Passphrase));
                        }
                        Err(StoreError::WrongKey) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(StoreError::WrongKey.into())
            }
            None if exists => Err(UnlockError::KeyringProtected.into()),
            None => {
                if pass.expose().chars().count() < MIN_PASSPHRASE_CHARS {
                    return Err(UnlockError::PassphraseTooShort.into());
                }
                let file = PassphraseFile { current: KdfParams::generate()?, next: None };
                file.save(&db)?;
                let key = file.current.derive(&pass)?;
                Ok((Store::open(&db, &key)?, Protection::Passphrase))
            }
        },
        KeySource::Keyring => {
            if kdf.is_some() {
                // A move to the keyring may have been interrupted after the re-key.
                if let Ok(Some(key)) = keyring.get() {
                    if let Ok(store) = Store::open(&db, &key) {
                        PassphraseFile::remove(&db)?;
                        return Ok((store, Protection::Keyring));
                    }
                }
                return Err(UnlockError::PassphraseRequired.into());
            }
            let found = match keyring.get() {
                Ok(found) => found,
                Err(VaultError::KeyringUnavailable(_)) if !exists => return Err(UnlockError::NoKeyring.into()),
                Err(e) => return Err(e.into()),
            };
            match found {
                Some(key) => Ok((Store::open(&db, &key)?, Protection::Keyring)),
                None if exists => Err(VaultError::KeyMissing.into()),
                None => {
                    let key = DbKey::generate()?;
                    keyring.set(&key)?;
                    Ok((Store::open(&db, &key)?, Protection::Keyring))
                }
            }
        }
    }
}

//! Opening the data directory: which key, from where (keyring or passphrase),
//! and switching between them by re-keying the file.

use std::path::{Path, PathBuf};

use saldo_vault::{DbKey, KdfParams, Passphrase, PassphraseFile, SecretStore, VaultError};

use crate::{Result, Store, StoreError};

/// The database file's name in the data directory.
pub const DB_FILE_NAME: &str = "saldo.db";

/// How the person unlocks.
#[derive(Debug)]
pub enum Unlock {
    /// With the key in the OS keyring (the default).
    Keyring,
    /// With a passphrase (`--passphrase-file`).
    Passphrase(Passphrase),
}

impl Unlock {
    /// The unlock mode for the global options: `--passphrase-file` (or
    /// `SALDO_PASSPHRASE_FILE`) selects a passphrase, else the OS keyring.
    pub fn from_options(passphrase_file: Option<&Path>) -> Result<Self> {
        let env = std::env::var_os("SALDO_PASSPHRASE_FILE").filter(|v| !v.is_empty()).map(PathBuf::from);
        match passphrase_file.map(Path::to_path_buf).or(env) {
            Some(file) => Ok(Unlock::Passphrase(Passphrase::from_file(&file)?)),
            None => Ok(Unlock::Keyring),
        }
    }
}

/// The data directory: `--data-dir` if given, else `SALDO_DATA_DIR`, else the
/// OS data directory (`$XDG_DATA_HOME/saldo`, `~/.local/share/saldo`,
/// `~/Library/Application Support/Saldo`, `%APPDATA%\Saldo`).
pub fn data_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = explicit {
        return Ok(d.to_path_buf());
    }
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = var("SALDO_DATA_DIR") {
        return Ok(d);
    }
    let os = if cfg!(target_os = "windows") {
        var("APPDATA").map(|a| a.join("Saldo"))
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library/Application Support/Saldo"))
    } else {
        var("XDG_DATA_HOME").or_else(|| var("HOME").map(|h| h.join(".local/share"))).map(|d| d.join("saldo"))
    };
    os.ok_or_else(|| StoreError::Io("no data directory: set SALDO_DATA_DIR or use --data-dir".into()))
}

/// How the database is protected now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// A random key in the OS keyring.
    Keyring,
    /// A key derived from a passphrase.
    Passphrase,
}

fn db_path(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::Io(format!("cannot create data directory {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(dir.join(DB_FILE_NAME))
}

/// Opens the database in `dir`, creating it (and its key) on first run.
pub fn open_data_dir(dir: &Path, unlock: Unlock, keyring: &dyn SecretStore) -> Result<(Store, Protection)> {
    let db = db_path(dir)?;
    let exists = db.exists() && std::fs::metadata(&db).map(|m| m.len() > 0).unwrap_or(false);
    let kdf = PassphraseFile::load(&db)?;
    match unlock {
        Unlock::Passphrase(pass) => match kdf {
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
                        Err(e) => return Err(e),
                    }
                }
                Err(StoreError::WrongKey)
            }
            None if exists => Err(StoreError::Io(
                "this database is protected by the OS keyring, not a passphrase; open it without --passphrase-file"
                    .into(),
            )),
            None => {
                let file = PassphraseFile { current: KdfParams::generate()?, next: None };
                file.save(&db)?;
                let key = file.current.derive(&pass)?;
                Ok((Store::open(&db, &key)?, Protection::Passphrase))
            }
        },
        Unlock::Keyring => {
            if kdf.is_some() {
                // A move to the keyring may have been interrupted after the re-key.
                if let Ok(Some(key)) = keyring.get() {
                    if let Ok(store) = Store::open(&db, &key) {
                        PassphraseFile::remove(&db)?;
                        return Ok((store, Protection::Keyring));
                    }
                }
                return Err(VaultError::PassphraseRequired.into());
            }
            match keyring.get()? {
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

impl Store {
    /// Changes the passphrase: re-keys the file. Crash-safe: the new
    /// parameters are recorded as `next` before the re-key.
    pub fn change_passphrase(&mut self, new: &Passphrase) -> Result<()> {
        let db = self.path().to_path_buf();
        let mut file = PassphraseFile::load(&db)?.ok_or(VaultError::PassphraseRequired)?;
        let next = KdfParams::generate()?;
        let key = next.derive(new)?;
        file.next = Some(next.clone());
        file.save(&db)?;
        self.rekey(&key)?;
        PassphraseFile { current: next, next: None }.save(&db).map_err(StoreError::from)
    }

    /// Moves from a passphrase to a random key in the OS keyring (re-key).
    pub fn move_to_keyring(&mut self, keyring: &dyn SecretStore) -> Result<()> {
        let key = DbKey::generate()?;
        keyring.set(&key)?;
        self.rekey(&key)?;
        PassphraseFile::remove(self.path())?;
        Ok(())
    }

    /// Moves from the keyring to a passphrase (re-key), removing the keyring entry.
    pub fn move_to_passphrase(&mut self, pass: &Passphrase, keyring: &dyn SecretStore) -> Result<()> {
        let file = PassphraseFile { current: KdfParams::generate()?, next: None };
        let key = file.current.derive(pass)?;
        file.save(self.path())?;
        self.rekey(&key)?;
        keyring.delete()?;
        Ok(())
    }
}

//! Where the random key is kept.

use std::path::Path;
use std::sync::Mutex;

use crate::{DbKey, VaultError};

/// A place that keeps the database key.
pub trait SecretStore: Send + Sync {
    /// The stored key, `None` if there is none.
    fn get(&self) -> Result<Option<DbKey>, VaultError>;
    /// Stores the key, replacing any previous one.
    fn set(&self, key: &DbKey) -> Result<(), VaultError>;
    /// Removes the key (nothing stored is fine).
    fn delete(&self) -> Result<(), VaultError>;
}

/// The OS keyring (Secret Service on Linux, Keychain on macOS, Credential
/// Manager on Windows). One entry per database file, so two data directories
/// do not share a key.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
    account: String,
}

/// The keyring service name of Saldo's entries.
pub const SERVICE: &str = "saldo";

impl KeyringStore {
    /// The entry for the database at `db` (its absolute path names the entry).
    pub fn for_database(db: &Path) -> Self {
        let abs = std::path::absolute(db).unwrap_or_else(|_| db.to_path_buf());
        Self { service: SERVICE.into(), account: format!("database-key:{}", abs.display()) }
    }

    /// Whether an OS keyring answers, found by looking up an entry that holds
    /// no secret (no database key is read to find out).
    pub fn available() -> bool {
        match keyring::Entry::new(SERVICE, "availability-probe").and_then(|e| e.get_password()) {
            Ok(_) | Err(keyring::Error::NoEntry) => true,
            Err(_) => false,
        }
    }

    /// The entry's account name (`database-key:<absolute path>`).
    pub fn account(&self) -> &str {
        &self.account
    }

    fn entry(&self) -> Result<keyring::Entry, VaultError> {
        keyring::Entry::new(&self.service, &self.account).map_err(unavailable)
    }
}

fn unavailable(e: keyring::Error) -> VaultError {
    VaultError::KeyringUnavailable(e.to_string())
}

impl SecretStore for KeyringStore {
    fn get(&self) -> Result<Option<DbKey>, VaultError> {
        match self.entry()?.get_password() {
            Ok(hex) => DbKey::from_hex(&hex)
                .map(Some)
                .ok_or_else(|| VaultError::KeyringUnavailable("the keyring entry does not hold a Saldo key".into())),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, key: &DbKey) -> Result<(), VaultError> {
        self.entry()?.set_password(key.to_hex().expose()).map_err(unavailable)?;
        // Read back: a keyring that silently drops secrets must not be trusted.
        match self.get()? {
            Some(k) if &k == key => Ok(()),
            _ => Err(VaultError::KeyringUnavailable("the keyring did not keep the key".into())),
        }
    }

    fn delete(&self) -> Result<(), VaultError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// A store in memory. **A test double**, for tests of the database layer that
/// are not about the keyring; it never outlives the process.
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<Option<DbKey>>);

impl SecretStore for MemoryStore {
    fn get(&self) -> Result<Option<DbKey>, VaultError> {
        Ok(self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }
    fn set(&self, key: &DbKey) -> Result<(), VaultError> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(key.clone());
        Ok(())
    }
    fn delete(&self) -> Result<(), VaultError> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        Ok(())
    }
}

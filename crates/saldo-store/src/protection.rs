//! Changing how the database is protected, by re-keying the file: a new
//! passphrase, or a move between a passphrase and the OS keyring. Which key
//! source a session uses is the core's decision (`saldo_core::session`).

use saldo_vault::{DbKey, KdfParams, Passphrase, PassphraseFile, SecretStore, VaultError};

use crate::{Result, Store, StoreError};

/// The database file's name in the data directory.
pub const DB_FILE_NAME: &str = "saldo.db";

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

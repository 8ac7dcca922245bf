//! The key that opens Saldo's encrypted database.
//!
//! By default the key is 256 random bits created on first run and kept in the
//! OS keyring (Secret Service on Linux, Keychain, Credential Manager). Where no
//! keyring is reachable, a passphrase protects the database instead: the key
//! is derived from it with Argon2id, whose parameters (salt, costs) are kept in
//! a small file beside the database. No plaintext key is ever written to disk.
//!
//! Secrets are [`Sensitive`]: `Debug` prints `<redacted>`, there is no
//! `Display` or `Serialize`, and the bytes are zeroed on drop.

mod kdf;
mod keyring_store;
pub mod private;
pub mod recovery;
mod sensitive;

pub use kdf::{KdfParams, PassphraseFile, KDF_FILE_SUFFIX};
pub use keyring_store::{KeyringStore, MemoryStore, SecretStore};
pub use recovery::{RecoveryCode, RecoveryFile, RecoveryPublic, SealedData, SealedKey};
pub use sensitive::{DbKey, Passphrase, Sensitive};

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No keyring service answered (no Secret Service on this desktop, locked, or no D-Bus).
    #[error("no OS keyring is available ({0})")]
    KeyringUnavailable(String),
    /// The database exists but its key is not in the keyring.
    #[error("the database key is not in the OS keyring; the database cannot be opened without it (was the keyring reset, or is this another user's data directory?)")]
    KeyMissing,
    /// The database is protected by a passphrase and none was given.
    #[error("this database is protected by a passphrase")]
    PassphraseRequired,
    /// A passphrase file could not be used.
    #[error("passphrase file {path}: {reason}")]
    PassphraseFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The KDF parameter file is unreadable or damaged.
    #[error("key derivation parameters {path}: {reason}")]
    KdfFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The operating system's random source failed.
    #[error("no secure random numbers available: {0}")]
    Random(String),
    /// Argon2 rejected its parameters.
    #[error("key derivation failed: {0}")]
    Kdf(String),
    /// What was typed is not a recovery code (length, a character, the checksum).
    #[error("this is not a valid recovery code ({0})")]
    InvalidRecoveryCode(String),
    /// A well-formed recovery code that is not the one the key was sealed to.
    #[error("this recovery code does not open it: it is not the code that was current when it was made; nothing was changed")]
    WrongRecoveryCode,
    /// A sealed key or sealed data is damaged or of an unknown kind.
    #[error("sealed key: {0}")]
    Sealed(String),
    /// The recovery file is unreadable or damaged.
    #[error("recovery file {path}: {reason}")]
    RecoveryFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

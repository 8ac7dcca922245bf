//! Saldo's local store: one SQLCipher-encrypted SQLite file.
//!
//! [`Store::open`] is the one way in: it sets the key before anything else,
//! checks it, sets the pragmas, then runs forward-only migrations. One module
//! per table holds its row type, reads and writes; time is passed in.

pub mod accounts;
mod amount;
pub mod backup;
pub mod balances;
pub mod categories;
mod category_days;
pub mod connections;
pub mod counterparties;
pub mod export;
mod fetch_claims;
pub mod flows;
pub mod gaps;
pub mod imported;
pub mod labels;
mod migrations;
mod open;
mod protection;
pub mod queries;
pub mod reports;
pub mod states;
pub mod sync_runs;
pub mod transactions;
pub mod transfers;

pub use amount::{checked_currency, exponent, StoredAmount, NO_CURRENCY};
pub use migrations::{LATEST_VERSION, MIGRATIONS};
pub use open::Store;
pub use protection::DB_FILE_NAME;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key does not open this file (wrong passphrase or key); nothing was changed.
    #[error("the database cannot be opened with this key (wrong passphrase, or not a Saldo database); it was left untouched")]
    WrongKey,
    /// The file is a plain, unencrypted SQLite database.
    #[error("{0} is not encrypted; Saldo refuses to use a plaintext database")]
    NotEncrypted(String),
    /// The file was written by a newer Saldo.
    #[error("the database has schema version {found}, newer than this Saldo understands ({supported}); update Saldo")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// A key problem (keyring, passphrase).
    #[error(transparent)]
    Vault(#[from] saldo_vault::VaultError),
    /// SQLite said no (disk full, I/O error, constraint).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value is not what the schema promises.
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
    /// Filesystem problems around the database file.
    #[error("{0}")]
    Io(String),
}

/// Result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

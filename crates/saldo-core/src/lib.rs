//! Saldo's core: the domain and its use cases, with no GUI code. The desktop
//! app and the CLI are thin shells over it.
//!
//! Use cases: connecting a bank through strong customer authentication
//! ([`connect`]), synchronising ([`sync`]), managing connections
//! ([`manage`]), exporting ([`export`]) and what the overview draws
//! ([`insights`]).

pub mod connect;
pub mod export;
pub mod iban;
pub mod insights;
pub mod loopback;
pub mod manage;
pub mod sync;

/// Why a use case failed, in terms a shell can map to its own codes.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The person's input is not acceptable (a bad IBAN, a missing field).
    #[error("{0}")]
    Invalid(String),
    /// A bank callback that does not belong to a pending flow of this
    /// installation (forged, replayed, cancelled or expired): refused before
    /// any gateway call (R7, R19).
    #[error("callback rejected: {0}")]
    CallbackRejected(String),
    /// The gateway failed.
    #[error(transparent)]
    Gateway(#[from] saldo_gateway::GatewayError),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] saldo_store::StoreError),
    /// Writing a file failed (disk full, permission denied, broken pipe).
    #[error("could not write: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

//! Saldo's core: the domain and its use cases, with no GUI code. The desktop
//! app and the CLI are thin shells over it.
//!
//! Implemented so far: connecting a bank through a strong-customer-
//! authentication flow ([`connect`]).

pub mod connect;
pub mod iban;
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
}

/// Result alias.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

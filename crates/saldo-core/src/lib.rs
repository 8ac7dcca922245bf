//! Saldo's core: the domain and its use cases, with no GUI code. The desktop
//! app and the CLI are thin shells over it.
//!
//! Use cases: connecting a bank through strong customer authentication
//! ([`connect`]), synchronising ([`sync`]), managing connections
//! ([`manage`]), exporting ([`export`]) and what the overview draws
//! ([`insights`]). A shell opens everything through one [`session::Session`].

pub mod backup;
pub mod connect;
pub mod export;
pub mod iban;
pub mod import;
pub mod insights;
pub mod loopback;
pub mod manage;
pub mod money;
pub mod onboarding;
pub mod schedule;
pub mod session;
pub mod statement_import;
pub mod statements;
pub mod sync;

/// Why a use case failed: the core's own vocabulary. Each shell maps it to
/// its public one in one place (the desktop's IPC codes, the CLI's exit
/// codes); messages carry no shell wording (no flag, no button), each shell
/// adds its own hint.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The person's input is not acceptable (a bad IBAN, a missing field, an
    /// unknown format, a choice that was not offered).
    #[error("{0}")]
    Invalid(String),
    /// What the person named does not exist (a connection, an account, a
    /// transaction, a flow).
    #[error("{0}")]
    NotFound(String),
    /// A bank callback that does not belong to a pending flow of this
    /// installation (forged, replayed, cancelled or expired): refused before
    /// any gateway call (R7, R19).
    #[error("callback rejected: {0}")]
    CallbackRejected(String),
    /// The database cannot be unlocked this way (see [`session::UnlockError`]).
    #[error(transparent)]
    Unlock(#[from] session::UnlockError),
    /// No gateway is configured for this session (an offline command).
    #[error("no gateway is configured")]
    NoGateway,
    /// The gateway failed.
    #[error(transparent)]
    Gateway(#[from] saldo_gateway::GatewayError),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] saldo_store::StoreError),
    /// Writing a file failed (disk full, permission denied, broken pipe).
    #[error("could not write: {0}")]
    Io(#[from] std::io::Error),
    /// Something on this machine failed around the data (a lock file, a
    /// loopback listener).
    #[error("{0}")]
    Local(String),
    /// The bank did not send the person back in time.
    #[error("{0}")]
    Timeout(String),
}

impl From<saldo_vault::VaultError> for CoreError {
    fn from(e: saldo_vault::VaultError) -> Self {
        CoreError::Store(e.into())
    }
}

impl CoreError {
    /// Whether the bank wants the person to authenticate again (SCA): the
    /// one place that decides it, for the sync's outcome and both shells
    /// (the CLI's exit code 3, the desktop's `needs_reconnect`).
    pub fn is_reconnect(&self) -> bool {
        matches!(self, CoreError::Gateway(e) if gateway_needs_reconnect(e))
    }

    /// Whether the key (passphrase) does not open the database.
    pub fn is_wrong_key(&self) -> bool {
        matches!(
            self,
            CoreError::Store(
                saldo_store::StoreError::WrongKey
                    | saldo_store::StoreError::Vault(saldo_vault::VaultError::WrongRecoveryCode)
            )
        )
    }
}

/// Whether a gateway failure means the consent can no longer be used: 401 or
/// 403, or an exception naming the consent, a stale context, the refresh
/// token or an expiry. Never retried (R11).
pub fn gateway_needs_reconnect(e: &saldo_gateway::GatewayError) -> bool {
    let kind = e.exception_type().unwrap_or_default().to_ascii_lowercase();
    matches!(e.status(), Some(401 | 403))
        || ["consent", "stale", "refreshtoken", "expired"].iter().any(|k| kind.contains(k))
}

/// Result alias.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

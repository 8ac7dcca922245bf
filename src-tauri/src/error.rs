//! The one error the UI sees: a closed set of codes (mirrored in TypeScript
//! through the generated bindings) with a human message. Converted here, in
//! one place, from the core's and store's errors. Messages never carry a
//! context, token, key or passphrase: the core's errors are built redacted.

use serde::Serialize;
use ts_rs::TS;

/// What went wrong, for the UI to choose how to show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IpcCode {
    /// First run: choose sandbox or gateway (and a passphrase without a keyring).
    NotSetUp,
    /// The database is locked: a passphrase is needed.
    Locked,
    /// The passphrase does not open the database.
    WrongPassphrase,
    /// The person's input is not acceptable.
    Invalid,
    /// A bank callback that belongs to no pending flow (forged, replayed, expired).
    CallbackRejected,
    /// The gateway or bank failed or could not be reached.
    Gateway,
    /// The bank needs the person to authenticate again.
    NeedsReconnect,
    /// The local database failed (disk full, corrupt file).
    Store,
    /// A file could not be written.
    Io,
    /// The person cancelled (a dialog).
    Cancelled,
}

/// An error as the UI receives it.
#[derive(Clone, Debug, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    /// The kind.
    pub code: IpcCode,
    /// One sentence for the person.
    pub message: String,
}

impl IpcError {
    /// An error of a kind with a message.
    pub fn new(code: IpcCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl From<saldo_core::CoreError> for IpcError {
    fn from(e: saldo_core::CoreError) -> Self {
        use saldo_core::CoreError as E;
        let code = match &e {
            E::Invalid(_) => IpcCode::Invalid,
            E::CallbackRejected(_) => IpcCode::CallbackRejected,
            E::Gateway(_) => IpcCode::Gateway,
            E::Store(s) => return IpcError::from_store(s, e.to_string()),
            E::Io(_) => IpcCode::Io,
        };
        Self::new(code, e.to_string())
    }
}

impl From<saldo_store::StoreError> for IpcError {
    fn from(e: saldo_store::StoreError) -> Self {
        let message = e.to_string();
        Self::from_store(&e, message)
    }
}

impl From<saldo_gateway::GatewayError> for IpcError {
    fn from(e: saldo_gateway::GatewayError) -> Self {
        Self::new(IpcCode::Gateway, e.to_string())
    }
}

impl From<saldo_vault::VaultError> for IpcError {
    fn from(e: saldo_vault::VaultError) -> Self {
        Self::new(IpcCode::Store, e.to_string())
    }
}

impl IpcError {
    fn from_store(e: &saldo_store::StoreError, message: String) -> Self {
        let code = match e {
            saldo_store::StoreError::WrongKey => IpcCode::WrongPassphrase,
            _ => IpcCode::Store,
        };
        Self::new(code, message)
    }
}

/// Result of a command.
pub type IpcResult<T> = Result<T, IpcError>;

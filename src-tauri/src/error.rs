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
    /// What the person named does not exist (any more).
    NotFound,
    /// A bank callback that belongs to no pending flow (forged, replayed, expired).
    CallbackRejected,
    /// The gateway or bank failed or could not be reached.
    Gateway,
    /// The bank needs the person to authenticate again.
    NeedsReconnect,
    /// The gateway serves registered people only, or its terms changed:
    /// the person reads them, accepts and registers.
    NeedsRegistration,
    /// The local database failed (disk full, corrupt file, key missing).
    Store,
    /// A file could not be written, or this machine failed around the data.
    Io,
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

/// The code of a core error: the one mapping from the core's vocabulary to
/// the UI's.
pub fn code(e: &saldo_core::CoreError) -> IpcCode {
    use saldo_core::session::UnlockError;
    use saldo_core::CoreError as E;
    if e.is_reconnect() {
        return IpcCode::NeedsReconnect;
    }
    if matches!(e, E::Gateway(g) if saldo_core::onboarding::needs_registration(g)) {
        return IpcCode::NeedsRegistration;
    }
    if e.is_wrong_key() {
        return IpcCode::WrongPassphrase;
    }
    match e {
        E::Invalid(_) | E::Unlock(UnlockError::PassphraseTooShort | UnlockError::NoKeyring) => IpcCode::Invalid,
        E::Unlock(UnlockError::PassphraseRequired | UnlockError::KeyringProtected) => IpcCode::Locked,
        E::NotFound(_) => IpcCode::NotFound,
        E::CallbackRejected(_) => IpcCode::CallbackRejected,
        E::NoGateway | E::Gateway(_) | E::Timeout(_) => IpcCode::Gateway,
        E::Store(_) => IpcCode::Store,
        E::Io(_) | E::Local(_) => IpcCode::Io,
    }
}

/// The desktop's words for what the core says in its own: the hint a
/// person needs in this window (the CLI adds its own).
fn message(e: &saldo_core::CoreError) -> String {
    use saldo_core::session::UnlockError;
    use saldo_core::CoreError as E;
    match e {
        E::Gateway(g) if g.exception_type() == Some("TermsNotAcceptedException") => {
            "The gateway's terms have changed: read and accept them again to continue.".into()
        }
        E::Gateway(g) if saldo_core::onboarding::needs_registration(g) => {
            "This gateway serves registered people: read its terms, accept them and give your details to continue."
                .into()
        }
        E::Unlock(UnlockError::PassphraseRequired) => "enter your passphrase to unlock Saldo".into(),
        E::Unlock(UnlockError::NoKeyring) => "no keyring is available: choose a passphrase to protect your data".into(),
        E::NoGateway => "Saldo is not connected to a gateway; check the gateway in Settings".into(),
        E::Store(saldo_store::StoreError::Vault(saldo_vault::VaultError::KeyringUnavailable(_))) => {
            "the system keyring did not answer; unlock your keyring (or log in again) and retry".into()
        }
        other => other.to_string(),
    }
}

impl From<saldo_core::CoreError> for IpcError {
    fn from(e: saldo_core::CoreError) -> Self {
        Self::new(code(&e), message(&e))
    }
}

impl From<saldo_store::StoreError> for IpcError {
    fn from(e: saldo_store::StoreError) -> Self {
        saldo_core::CoreError::from(e).into()
    }
}

impl From<saldo_gateway::GatewayError> for IpcError {
    fn from(e: saldo_gateway::GatewayError) -> Self {
        saldo_core::CoreError::from(e).into()
    }
}

impl From<saldo_vault::VaultError> for IpcError {
    fn from(e: saldo_vault::VaultError) -> Self {
        saldo_core::CoreError::from(e).into()
    }
}

/// Result of a command.
pub type IpcResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use saldo_core::session::UnlockError;
    use saldo_core::CoreError as E;
    use saldo_gateway::GatewayError;

    use super::{code, IpcCode, IpcError};

    fn status(code: u16) -> GatewayError {
        GatewayError::Status {
            endpoint: "POST /ob/ais/accounts".into(),
            status: code,
            body: None,
            meta: Box::default(),
        }
    }

    fn refused(exception: &str) -> GatewayError {
        GatewayError::Status {
            endpoint: "POST /ob/Ais/access".into(),
            status: 400,
            body: Some(Box::new(
                serde_json::from_value(serde_json::json!({"exceptionType": exception, "message": "x"}))
                    .unwrap_or_else(|e| panic!("{e}")),
            )),
            meta: Box::default(),
        }
    }

    #[test]
    fn every_core_error_maps_to_one_ipc_code() {
        let table: Vec<(E, IpcCode)> = vec![
            (E::Invalid("bad IBAN".into()), IpcCode::Invalid),
            (E::NotFound("there is no connection 9".into()), IpcCode::NotFound),
            (E::CallbackRejected("forged".into()), IpcCode::CallbackRejected),
            (E::Unlock(UnlockError::PassphraseRequired), IpcCode::Locked),
            (E::Unlock(UnlockError::KeyringProtected), IpcCode::Locked),
            (E::Unlock(UnlockError::PassphraseTooShort), IpcCode::Invalid),
            (E::Unlock(UnlockError::NoKeyring), IpcCode::Invalid),
            (E::Store(saldo_store::StoreError::WrongKey), IpcCode::WrongPassphrase),
            (E::Store(saldo_store::StoreError::Corrupt("x".into())), IpcCode::Store),
            (E::Gateway(status(503)), IpcCode::Gateway),
            (E::Gateway(status(401)), IpcCode::NeedsReconnect),
            (E::Gateway(refused("UserNotRegisteredException")), IpcCode::NeedsRegistration),
            (E::Gateway(refused("TermsNotAcceptedException")), IpcCode::NeedsRegistration),
            (E::NoGateway, IpcCode::Gateway),
            (E::Timeout("no callback".into()), IpcCode::Gateway),
            (E::Io(std::io::Error::other("disk full")), IpcCode::Io),
            (E::Local("cannot lock".into()), IpcCode::Io),
        ];
        for (e, want) in table {
            let shown = e.to_string();
            assert_eq!(code(&e), want, "{shown}");
            let ipc = IpcError::from(e);
            assert!(!ipc.message.contains("--"), "no CLI flag reaches the window: {}", ipc.message);
        }
    }
}

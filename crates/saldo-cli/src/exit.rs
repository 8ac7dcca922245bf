//! The CLI's public error vocabulary: an exit code and one sentence on
//! standard error. Every failure goes through [`Fail::from`] for core errors
//! (the one mapping, table-tested below) or names its code explicitly.
//!
//! Exit codes: 0 success, 1 failure, 2 usage error (the command line or the
//! input it carries is wrong), 3 a bank needs the person to reconnect (SCA).

use saldo_core::session::UnlockError;
use saldo_core::CoreError;
use saldo_store::StoreError;
use saldo_vault::VaultError;

/// What ended a command unsuccessfully.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Something failed (1).
    Failure = 1,
    /// The command line or its input is wrong (2).
    Usage = 2,
    /// A bank needs the person to reconnect (3).
    Reconnect = 3,
}

/// A failure with its exit code and message.
#[derive(Debug)]
pub struct Fail {
    /// The exit code.
    pub exit: Exit,
    /// One sentence for the person (the shell's hint included).
    pub message: String,
}

impl Fail {
    /// A failure of a kind.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self { exit, message: message.into() }
    }

    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// A plain failure.
    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(Exit::Failure, message)
    }
}

/// The exit code of a core error.
pub fn exit_of(e: &CoreError) -> Exit {
    if e.is_reconnect() {
        return Exit::Reconnect;
    }
    match e {
        CoreError::Invalid(_) | CoreError::Unlock(UnlockError::PassphraseTooShort) => Exit::Usage,
        _ => Exit::Failure,
    }
}

/// The CLI's hint after a core message: which option or command helps.
fn hint(e: &CoreError) -> Option<&'static str> {
    Some(match e {
        CoreError::Unlock(UnlockError::PassphraseRequired)
        | CoreError::Store(StoreError::Vault(VaultError::PassphraseRequired)) => {
            "give it with --passphrase-file FILE or SALDO_PASSPHRASE_FILE"
        }
        CoreError::Unlock(UnlockError::KeyringProtected) => "run without --passphrase-file",
        CoreError::Unlock(UnlockError::NoKeyring)
        | CoreError::Store(StoreError::Vault(VaultError::KeyringUnavailable(_))) => "use --passphrase-file FILE",
        CoreError::Gateway(g) if saldo_core::onboarding::needs_registration(g) => {
            "read the gateway's terms with `saldo terms`, then `saldo register --first-name … --last-name … --email … --accept-terms VERSION`"
        }
        CoreError::NotFound(m) if m.contains("account") => "`saldo accounts --all` lists them",
        CoreError::NotFound(m) if m.contains("connection") => "`saldo connections` lists them",
        _ => return None,
    })
}

impl From<CoreError> for Fail {
    fn from(e: CoreError) -> Self {
        let message = match hint(&e) {
            Some(h) => format!("{e}; {h}"),
            None => e.to_string(),
        };
        Self::new(exit_of(&e), message)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        CoreError::from(e).into()
    }
}

impl From<saldo_gateway::GatewayError> for Fail {
    fn from(e: saldo_gateway::GatewayError) -> Self {
        CoreError::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> saldo_gateway::GatewayError {
        saldo_gateway::GatewayError::Status {
            endpoint: "POST /ob/ais/accounts".into(),
            status: code,
            body: None,
            meta: Box::default(),
        }
    }

    #[test]
    fn every_core_error_maps_to_one_exit_code_with_the_clis_hint() {
        let table: Vec<(CoreError, Exit, Option<&str>)> = vec![
            (CoreError::Invalid("bad IBAN".into()), Exit::Usage, None),
            (CoreError::Unlock(UnlockError::PassphraseTooShort), Exit::Usage, None),
            (CoreError::Unlock(UnlockError::PassphraseRequired), Exit::Failure, Some("--passphrase-file")),
            (CoreError::Unlock(UnlockError::KeyringProtected), Exit::Failure, Some("without --passphrase-file")),
            (CoreError::Unlock(UnlockError::NoKeyring), Exit::Failure, Some("--passphrase-file")),
            (CoreError::NotFound("there is no connection 9".into()), Exit::Failure, Some("saldo connections")),
            (CoreError::NotFound("there is no account 9".into()), Exit::Failure, Some("saldo accounts --all")),
            (CoreError::CallbackRejected("forged".into()), Exit::Failure, None),
            (CoreError::Store(StoreError::WrongKey), Exit::Failure, None),
            (CoreError::Gateway(status(503)), Exit::Failure, None),
            (CoreError::Gateway(status(401)), Exit::Reconnect, None),
            (CoreError::Gateway(status(403)), Exit::Reconnect, None),
            (CoreError::NoGateway, Exit::Failure, None),
            (CoreError::Timeout("no callback".into()), Exit::Failure, None),
            (CoreError::Io(std::io::Error::other("disk full")), Exit::Failure, None),
            (CoreError::Local("cannot lock".into()), Exit::Failure, None),
        ];
        for (e, exit, hint) in table {
            let shown = e.to_string();
            assert!(!shown.contains("--"), "the core's own message has no CLI wording: {shown}");
            let fail = Fail::from(e);
            assert_eq!(fail.exit, exit, "{shown}");
            match hint {
                Some(h) => assert!(fail.message.contains(h), "the CLI adds its hint: {}", fail.message),
                None => assert_eq!(fail.message, shown, "no hint needed"),
            }
        }
    }
}

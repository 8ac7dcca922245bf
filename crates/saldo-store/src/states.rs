//! The closed sets of values the schema's CHECK constraints allow, as Rust
//! enums: stored and read through `ToSql`/`FromSql` (a value outside the set
//! reads as a corrupt row, never as a string someone compares), serialised
//! with the same spelling, and — with the `ts` feature — exported to
//! TypeScript as string unions so the UI compares typed values too. A test
//! checks each set against the CHECK constraint of a fresh database.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// A value that is not one of an enum's spellings.
#[derive(Debug, thiserror::Error)]
#[error("{value:?} is not a valid {kind}")]
pub struct UnknownState {
    /// Which set.
    pub kind: &'static str,
    /// What was found.
    pub value: String,
}

macro_rules! state_enum {
    ($(#[$m:meta])* $name:ident ($table:literal, $column:literal) {
        $($(#[$vm:meta])* $var:ident = $s:literal),+ $(,)?
    }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $var),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// The table and column whose CHECK constraint lists these values.
            pub const COLUMN: (&'static str, &'static str) = ($table, $column);

            /// The stored spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$var => $s),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownState;
            fn from_str(s: &str) -> Result<Self, UnknownState> {
                match s {
                    $($s => Ok($name::$var),)+
                    _ => Err(UnknownState { kind: stringify!($name), value: s.to_owned() }),
                }
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str()?.parse().map_err(|e: UnknownState| FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

state_enum! {
    /// Where a connection stands.
    ConnectionStatus ("connections", "status") {
        /// Synced normally.
        Active = "active",
        /// The bank wants strong customer authentication again (consent
        /// expired or lost): nothing syncs until the person reconnects; all
        /// data is kept (R11).
        NeedsReconnect = "needs_reconnect",
        /// Its consents were revoked at the bank while disconnecting, but its
        /// local data could not be deleted yet (the deletion is retried by
        /// disconnecting again). Never synced.
        Revoked = "revoked",
    }
}

state_enum! {
    /// A consent's state (R15).
    ConsentStatus ("consents", "status") {
        /// In force until its `valid_until`.
        Valid = "valid",
        /// The bank refused it (expired or lost): a reconnect renews it.
        Expired = "expired",
        /// Revoked at the bank by Saldo (disconnect).
        Revoked = "revoked",
    }
}

state_enum! {
    /// A strong-customer-authentication flow's state (seed 002).
    FlowState ("sca_flows", "state") {
        /// Started; waiting for the bank.
        Processing = "PROCESSING",
        /// Waiting for the person (a callback, a choice, an answer, a confirmation).
        ConsumerInputNeeded = "CONSUMER_INPUT_NEEDED",
        /// Connected.
        Finished = "FINISHED",
        /// Cancelled by the person.
        Aborted = "ABORTED",
        /// Failed or expired.
        Exception = "EXCEPTION",
    }
}

impl FlowState {
    /// Whether the flow still waits for something.
    pub fn is_pending(self) -> bool {
        matches!(self, FlowState::Processing | FlowState::ConsumerInputNeeded)
    }
}

state_enum! {
    /// What a flow waiting for the person waits for (no CHECK constraint:
    /// the column is free text in the schema, this is its vocabulary).
    FlowStep ("sca_flows", "step") {
        /// The bank's callback (redirect).
        Callback = "callback",
        /// The person says they are done at a bank that does not call back.
        NoCallback = "no_callback",
        /// A choice among the bank's options (SELECT_OPTION).
        Option = "option",
        /// A confirmation in the bank's app (DECOUPLED).
        Decoupled = "decoupled",
        /// An answer to the bank's question (MORE_INFO, PASSWORD).
        Input = "input",
    }
}

state_enum! {
    /// How a flow's callback reaches the app.
    RedirectKind ("sca_flows", "redirect_kind") {
        /// `saldo://callback`, through the OS.
        DeepLink = "deeplink",
        /// A listener on 127.0.0.1.
        Loopback = "loopback",
    }
}

state_enum! {
    /// A sync run's state (R10).
    SyncRunState ("sync_runs", "state") {
        /// Waiting to start.
        Queued = "QUEUED",
        /// Fetching.
        Running = "RUNNING",
        /// Stopped: the bank wants SCA again (reconnect).
        AwaitAuth = "AWAIT_AUTH",
        /// Everything fetched.
        Completed = "COMPLETED",
        /// Stopped by a failure (see its `FailureKind`).
        Failed = "FAILED",
    }
}

impl SyncRunState {
    /// Whether the run has ended.
    pub fn is_finished(self) -> bool {
        matches!(self, SyncRunState::Completed | SyncRunState::Failed | SyncRunState::AwaitAuth)
    }
}

state_enum! {
    /// What a sync run fetches (R9).
    SyncScope ("sync_runs", "scope") {
        /// Accounts only: fast, discovers new accounts.
        Accounts = "ACCOUNTS",
        /// Accounts, balances and transactions.
        Transactions = "TRANSACTIONS",
    }
}

state_enum! {
    /// Who started a sync run (R10, R18).
    Trigger ("sync_runs", "trigger") {
        /// The person, present.
        User = "user",
        /// The daily automatic sync, unattended.
        Daily = "daily",
    }
}

state_enum! {
    /// Why a sync run did not complete (no CHECK constraint: the column is
    /// free text in the schema, this is its vocabulary).
    FailureKind ("sync_runs", "error_kind") {
        /// The bank wants SCA again: never retried.
        Reconnect = "reconnect",
        /// Network, 5xx, 429: trying later may help.
        Transient = "transient",
        /// The gateway or bank refused permanently.
        Remote = "remote",
        /// This machine failed (disk, database).
        Local = "local",
    }
}

state_enum! {
    /// What a category counts as in reports.
    CategoryKind ("categories", "kind") {
        /// Money earned.
        Income = "income",
        /// Money spent.
        Expense = "expense",
        /// Money moved between own accounts (neither).
        Transfer = "transfer",
        /// Left out of every figure.
        Ignore = "ignore",
    }
}

state_enum! {
    /// Why a row has its category.
    LabelReason ("label_reasons", "reason") {
        /// A rule matched.
        Rule = "rule",
        /// Like earlier rows of the same counterparty the person categorised.
        Similar = "similar",
        /// The person chose it.
        Person = "person",
        /// A transfer between own accounts.
        Transfer = "transfer",
    }
}

state_enum! {
    /// How a transfer between own accounts was recognised.
    TransferHow ("transfers", "how") {
        /// The counterparty IBAN is an own account.
        Iban = "iban",
        /// Amount and date matched, unique both ways.
        AmountDate = "amount_date",
        /// The person paired the legs.
        Person = "person",
    }
}

impl CategoryKind {
    /// The classifier's kind.
    pub fn from_rules(kind: saldo_classify::rules::Kind) -> Self {
        use saldo_classify::rules::Kind;
        match kind {
            Kind::Income => Self::Income,
            Kind::Expense => Self::Expense,
            Kind::Transfer => Self::Transfer,
            Kind::Ignore => Self::Ignore,
        }
    }

    /// As the classifier's kind.
    pub fn to_rules(self) -> saldo_classify::rules::Kind {
        use saldo_classify::rules::Kind;
        match self {
            Self::Income => Kind::Income,
            Self::Expense => Kind::Expense,
            Self::Transfer => Kind::Transfer,
            Self::Ignore => Kind::Ignore,
        }
    }
}

//! What the CLI prints with `--json`: serde structs whose field names are
//! the export's (`docs/schema/saldo-export.schema.json`), documented in
//! `docs/schema/cli-json.md`. Listings print one JSON array; the steps of a
//! connection print one JSON object per line; `sync` prints one array of
//! per-connection reports.

use saldo_core::connect::Next;
use saldo_core::insights::{ConnectionSummary, Headline};
use saldo_store::accounts::Account;
use saldo_store::balances::BalanceRow;
use saldo_store::queries::{AccountOverview, TxRow};
use saldo_store::states::ConnectionStatus;
use serde::Serialize;

/// Text from a bank or a gateway made inert for a terminal: control
/// characters (escape sequences start with one) become spaces, so no
/// bank-supplied string can move the cursor, retitle the window or hide what
/// follows. Line breaks are kept only where `keep_newlines` says.
pub fn inert(text: &str, keep_newlines: bool) -> String {
    text.chars().map(|c| if c.is_control() && !(keep_newlines && c == '\n') { ' ' } else { c }).collect()
}

/// Prints a value as one line of JSON on standard output.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: could not write JSON: {e}"),
    }
}

/// A bank of the catalog.
#[derive(Serialize)]
pub struct BankOut {
    /// The connector id.
    pub connector_id: i64,
    /// Its name.
    pub name: String,
    /// ISO country code.
    pub country: String,
    /// Whether it can be connected now.
    pub available: bool,
}

/// A connection.
#[derive(Serialize)]
pub struct ConnectionOut {
    /// Connection id.
    pub id: i64,
    /// The connector.
    pub connector_id: i64,
    /// The bank's name.
    pub bank: String,
    /// ISO country code.
    pub country: String,
    /// `active`, `needs_reconnect` or `revoked`.
    pub status: ConnectionStatus,
    /// Last completed sync (RFC 3339).
    pub last_sync_at: Option<String>,
    /// When its consents in force end first.
    pub consent_valid_until: Option<String>,
    /// Accounts the bank still returns.
    pub accounts: usize,
}

impl From<ConnectionSummary> for ConnectionOut {
    fn from(c: ConnectionSummary) -> Self {
        Self {
            id: c.connection.id,
            connector_id: c.connection.connector_id,
            bank: c.connection.bank_name,
            country: c.connection.country,
            status: c.connection.status,
            last_sync_at: c.connection.last_sync_at,
            consent_valid_until: c.consent_valid_until,
            accounts: c.accounts,
        }
    }
}

/// An account (the export's account fields).
#[derive(Serialize)]
pub struct AccountOut {
    /// Account id.
    pub id: i64,
    /// Its connection.
    pub connection_id: i64,
    /// The gateway's id of the account.
    pub gateway_account_id: String,
    /// The name Saldo shows.
    pub name: String,
    /// IBAN.
    pub iban: Option<String>,
    /// ISO currency.
    pub currency: String,
    /// Whether it is synced.
    pub enabled: bool,
    /// When the bank stopped returning it.
    pub disappeared_at: Option<String>,
    /// Stretches the gateway says may be missing (`possibleHole`).
    pub gaps: Vec<GapOut>,
}

/// A possibly missing stretch of transactions: after `after` (when known),
/// before `before`.
#[derive(Serialize)]
pub struct GapOut {
    /// The last day known before the hole.
    pub after: Option<String>,
    /// The first day known after it.
    pub before: String,
}

impl AccountOut {
    /// An account with its gaps (from all of them).
    pub fn with_gaps(a: Account, gaps: &[saldo_store::gaps::Gap]) -> Self {
        let mine = gaps
            .iter()
            .filter(|g| g.account_id == a.id)
            .map(|g| GapOut { after: g.after.map(|d| d.to_string()), before: g.before.to_string() })
            .collect();
        Self { gaps: mine, ..Self::from(a) }
    }
}

impl From<Account> for AccountOut {
    fn from(a: Account) -> Self {
        Self {
            gaps: Vec::new(),
            name: a.name(),
            id: a.id,
            connection_id: a.connection_id,
            gateway_account_id: a.gateway_id,
            iban: a.iban,
            currency: a.currency,
            enabled: a.enabled,
            disappeared_at: a.disappeared_at,
        }
    }
}

/// A balance (the export's balance fields, with its account).
#[derive(Serialize)]
pub struct BalanceOut {
    /// Account id.
    pub account_id: i64,
    /// ISO 20022 balance type (`CLBD`, `ITAV`, …).
    pub balance_type: String,
    /// Exact decimal amount.
    pub amount: String,
    /// ISO currency.
    pub currency: String,
    /// The bank's date for it.
    pub reference_date: Option<String>,
    /// When Saldo fetched it.
    pub fetched_at: String,
    /// Whether it is the account's headline figure of its kind (booked or
    /// available), as the app shows it.
    pub headline: bool,
}

impl BalanceOut {
    /// The balances of an account of the overview.
    pub fn of(o: &AccountOverview) -> Vec<Self> {
        let h = Headline::of(&o.balances);
        let is_headline = |b: &BalanceRow| [h.booked, h.available].into_iter().flatten().any(|x| std::ptr::eq(x, b));
        o.balances
            .iter()
            .map(|b| Self {
                account_id: o.account.id,
                balance_type: b.balance_type.clone(),
                amount: b.amount.to_string(),
                currency: b.currency.clone(),
                reference_date: b.reference_date.map(|d| d.to_string()),
                fetched_at: b.fetched_at.clone(),
                headline: is_headline(b),
            })
            .collect()
    }
}

/// A transaction (the export's transaction fields; `id` is Saldo's row id).
#[derive(Serialize)]
pub struct TransactionOut {
    /// Row id.
    pub id: i64,
    /// Account id.
    pub account_id: i64,
    /// The bank's id of the transaction.
    pub bank_id: Option<String>,
    /// Booking date.
    pub booking_date: String,
    /// Value date.
    pub value_date: Option<String>,
    /// Exact decimal amount (negative: money out).
    pub amount: String,
    /// ISO currency.
    pub currency: String,
    /// Counterparty.
    pub counterparty_name: Option<String>,
    /// Counterparty account.
    pub counterparty_account: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Remittance information.
    pub remittance: Option<String>,
    /// The clean counterparty name (or the name you gave it).
    pub counterparty_clean: Option<String>,
    /// The category's path.
    pub category: Option<String>,
    /// Why it has this category ("rule Supermarkets", "you").
    pub category_reason: Option<String>,
    /// The transfer between your accounts this is a leg of (the same id on both legs).
    pub transfer_id: Option<i64>,
    /// The statement file it was imported from (or also found in), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported_from: Option<saldo_store::imported::ProvenanceRow>,
}

impl From<TxRow> for TransactionOut {
    fn from(t: TxRow) -> Self {
        Self {
            id: t.id,
            account_id: t.account_id,
            bank_id: t.bank_id,
            booking_date: t.booking_date,
            value_date: t.value_date,
            amount: t.amount.to_string(),
            currency: t.currency,
            counterparty_name: t.counterparty_name,
            counterparty_account: t.counterparty_account,
            description: t.description,
            remittance: t.remittance,
            counterparty_clean: t.counterparty_clean,
            category: t.category,
            category_reason: t.category_reason,
            transfer_id: t.transfer_id,
            imported_from: None,
        }
    }
}

/// One choice the bank offers.
#[derive(Serialize)]
pub struct OptionOut {
    /// What to answer (`saldo choose FLOW KEY`).
    pub key: String,
    /// What the bank calls it.
    pub label: String,
}

/// A step of connecting a bank.
#[derive(Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum StepOut {
    /// Continue at the bank's page.
    Browser {
        /// The flow.
        flow_id: String,
        /// The bank's page.
        url: String,
        /// The bank will not send the person back (`saldo continue FLOW`).
        no_callback: bool,
    },
    /// The bank asks to choose (`saldo choose FLOW KEY`).
    Choose {
        /// The flow.
        flow_id: String,
        /// The choices.
        options: Vec<OptionOut>,
    },
    /// The bank asks a question.
    Ask {
        /// The flow.
        flow_id: String,
        /// The question.
        prompt: String,
        /// The answer is a secret.
        secret: bool,
    },
    /// Confirm in the banking app.
    Decoupled {
        /// The flow.
        flow_id: String,
        /// What the bank says.
        message: String,
    },
    /// Connected.
    Connected {
        /// The flow.
        flow_id: String,
        /// The connection.
        connection_id: i64,
        /// Accounts found (disabled until enabled).
        new_accounts: usize,
    },
    /// The bank refused.
    Failed {
        /// The flow.
        flow_id: String,
        /// Why.
        message: String,
    },
}

impl From<&Next> for StepOut {
    fn from(n: &Next) -> Self {
        match n.clone() {
            Next::OpenBrowser { flow_id, url, no_callback } => StepOut::Browser { flow_id, url, no_callback },
            Next::ChooseOption { flow_id, options } => StepOut::Choose {
                flow_id,
                options: options.into_iter().map(|(key, label)| OptionOut { key, label }).collect(),
            },
            Next::AskInput { flow_id, prompt, secret } => StepOut::Ask { flow_id, prompt, secret },
            Next::WaitDecoupled { flow_id, message } => StepOut::Decoupled { flow_id, message },
            Next::Connected { flow_id, connection_id, new_accounts } => {
                StepOut::Connected { flow_id, connection_id, new_accounts }
            }
            Next::Failed { flow_id, message } => StepOut::Failed { flow_id, message },
        }
    }
}

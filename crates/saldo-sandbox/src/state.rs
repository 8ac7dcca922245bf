//! The sandbox's memory: what the simulated banks know about consents, tokens
//! and SCA flows. It is saved to a file after every change, so a connection
//! made in demo mode still works after a restart.
//!
//! Token rules (seed 000): an access token expires; the refresh token that
//! renews it is valid once. A request carrying a user context whose token was
//! already rotated is stale and is refused with 400 — exactly what happens to
//! a client that calls in parallel with one user context (R3).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Format version of the state file.
pub const STATE_VERSION: u32 = 1;

/// Everything the sandbox remembers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
    /// File format version.
    pub version: u32,
    /// Seed of the generated data.
    pub seed: u64,
    /// First day of the simulated history.
    pub epoch: NaiveDate,
    /// Seconds added to the wall clock (tests move time forward).
    pub clock_offset_secs: i64,
    /// Users, keyed by `UserId:connectorId` (a user context belongs to one connector, R1).
    pub users: BTreeMap<String, User>,
    /// Consents by id.
    pub consents: BTreeMap<String, Consent>,
    /// SCA flows by flow id.
    pub flows: BTreeMap<String, Flow>,
    /// OAuth authorization codes issued by bank pages.
    pub codes: BTreeMap<String, AuthCode>,
}

/// A person at one connector.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    /// The `UserId` in the context.
    pub user_id: String,
    /// The connector.
    pub connector_id: i64,
    /// Consents, oldest first.
    pub consent_ids: Vec<String>,
}

/// The life of a consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentStatus {
    /// Created, SCA not finished.
    Pending,
    /// Usable until `valid_until`.
    Active,
    /// Deleted, or replaced by a newer consent at a LINKED bank.
    Revoked,
}

/// A consent with the bank's token state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Consent {
    /// Consent id.
    pub id: String,
    /// Owner (`UserId:connectorId`).
    pub user_key: String,
    /// Connector.
    pub connector_id: i64,
    /// Status.
    pub status: ConsentStatus,
    /// When SCA completed (data older than 90 days is only served within an hour of it, R18).
    pub authorised_at: Option<DateTime<Utc>>,
    /// End of validity.
    pub valid_until: DateTime<Utc>,
    /// Current access token.
    pub token: String,
    /// Its expiry.
    pub token_valid_until: DateTime<Utc>,
    /// Current refresh token (single use), if the bank rotates tokens.
    pub refresh_token: Option<String>,
    /// Granted account ids.
    pub accounts: Vec<String>,
    /// Accounts removed with `accounts/delete`.
    pub deleted_accounts: Vec<String>,
    /// Requested unattended accesses per day.
    pub frequency_per_day: i64,
    /// How many accounts calls were made (accounts appear and disappear over calls).
    pub accounts_calls: u32,
    /// The bank wants a new SCA before it serves transactions again, while
    /// accounts and balances still answer (PSD2's periodic re-authentication):
    /// the transactions calls say the consent is lost.
    #[serde(default)]
    pub transactions_need_sca: bool,
}

/// Where an SCA flow stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Waiting for the person to pick an SCA method.
    ChooseOption,
    /// Waiting for the first callback.
    FirstCallback,
    /// Waiting for the second callback (OAuth banks).
    SecondCallback,
    /// Waiting for confirmation in the banking app.
    Decoupled,
    /// Waiting for the person to say they are done (no callback).
    NoCallback,
    /// Signed in; waiting for the person to choose which accounts to share.
    ChooseAfterSignIn,
    /// Waiting for the client number (MORE_INFO).
    ClientNumber,
    /// Waiting for the card reader's response code (PASSWORD).
    ResponseCode,
    /// Finished.
    Done,
    /// Failed or denied.
    Failed,
}

/// An SCA flow.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flow {
    /// Flow id.
    pub id: String,
    /// Connector.
    pub connector_id: i64,
    /// Owner.
    pub user_key: String,
    /// The consent being authorised.
    pub consent_id: String,
    /// Step.
    pub step: Step,
    /// Where the bank sends the person back.
    pub redirect_url: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// After this the flow is rejected.
    pub expires_at: DateTime<Utc>,
    /// PKCE challenge (S256) for OAuth banks.
    pub code_challenge: Option<String>,
    /// The person's answer on the bank page for the current step.
    pub approved: Option<bool>,
    /// The SCA method chosen (SELECT_OPTION banks).
    pub option: Option<String>,
    /// The card reader's challenge (card-reader banks).
    #[serde(default)]
    pub challenge: Option<String>,
    /// Wrong answers given at the current step (card-reader banks).
    #[serde(default)]
    pub wrong_answers: u32,
}

/// An OAuth authorization code.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthCode {
    /// The flow it belongs to.
    pub flow_id: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Codes are single use.
    pub used: bool,
}

/// What the sandbox reads from a user context the client sends. Unknown
/// fields are ignored; the client never looks inside (R2), the "bank" does.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IncomingContext {
    /// The person.
    pub user_id: String,
    /// Consents with their tokens.
    #[serde(default)]
    pub consents: Vec<IncomingConsent>,
}

/// A consent inside an incoming user context.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IncomingConsent {
    /// Consent id.
    pub consent_id: String,
    /// Access token.
    #[serde(default)]
    pub token: Option<String>,
    /// Refresh token.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// The result of checking a user context on a data call.
#[derive(Debug)]
pub struct Authorised {
    /// The user.
    pub user_key: String,
    /// Whether tokens were rotated (the response must carry the new context).
    pub rotated: bool,
    /// The consents the context carries: data calls are served through these only.
    pub consent_ids: Vec<String>,
}

fn iso(dt: DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

impl State {
    /// A fresh state whose history starts `history_days_before_today` days ago.
    pub fn new(seed: u64, today: NaiveDate, history_days_before_today: u64) -> Self {
        Self {
            version: STATE_VERSION,
            seed,
            epoch: today - chrono::Days::new(history_days_before_today),
            clock_offset_secs: 0,
            users: BTreeMap::new(),
            consents: BTreeMap::new(),
            flows: BTreeMap::new(),
            codes: BTreeMap::new(),
        }
    }

    /// Loads a state file, or `None` if it does not exist yet.
    pub fn load(path: &Path) -> Result<Option<Self>, String> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let state: State = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("sandbox state file {} is corrupt: {e}", path.display()))?;
                if state.version != STATE_VERSION {
                    return Err(format!(
                        "sandbox state file {} has version {}, expected {STATE_VERSION}",
                        path.display(),
                        state.version
                    ));
                }
                Ok(Some(state))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read sandbox state {}: {e}", path.display())),
        }
    }

    /// Saves atomically (write a temporary file, then rename over the old one).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec(self).map_err(|e| e.to_string())?;
        std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
    }

    /// The sandbox clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.clock_offset_secs)
    }

    /// Finds or registers the user of a context for a connector. A null
    /// context creates a new person; a well-formed context with an unknown
    /// `UserId` is accepted as a person new to this sandbox (as the seed's
    /// examples are).
    pub fn user_for_access(&mut self, connector_id: i64, ctx: Option<&str>) -> Result<(String, bool), ApiError> {
        let (user_id, created) = match ctx {
            None => (uuid::Uuid::new_v4().to_string(), true),
            Some(text) => (parse_context(text)?.user_id, false),
        };
        let key = format!("{user_id}:{connector_id}");
        self.users.entry(key.clone()).or_insert_with(|| User { user_id, connector_id, consent_ids: Vec::new() });
        Ok((key, created))
    }

    /// Checks a data call's user context: known user of this connector, the
    /// latest tokens (else stale, 400), refreshing an expired access token
    /// with its single-use refresh token.
    pub fn authorise(
        &mut self,
        connector_id: i64,
        ctx: Option<&str>,
        token_ttl: Duration,
    ) -> Result<Authorised, ApiError> {
        let text = ctx.ok_or_else(|| {
            ApiError::bad_request("MissingUserContextException", "userContext is required for this call.")
        })?;
        let incoming = parse_context(text)?;
        let key = format!("{}:{connector_id}", incoming.user_id);
        if !self.users.contains_key(&key) {
            return Err(ApiError::bad_request(
                "InvalidUserContextException",
                "This user context is unknown to this connector: it was issued for another connector or by another gateway.",
            ));
        }
        let now = self.now();
        let mut rotated = false;
        for inc in &incoming.consents {
            let Some(consent) = self.consents.get_mut(&inc.consent_id) else { continue };
            if consent.user_key != key || consent.status != ConsentStatus::Active {
                continue;
            }
            if inc.token.as_deref() != Some(consent.token.as_str()) {
                return Err(ApiError::bad_request(
                    "StaleUserContextException",
                    "The access token in this user context was already renewed: its refresh token is used up. Send the latest user context.",
                ));
            }
            if consent.refresh_token.is_some() && consent.token_valid_until <= now {
                if inc.refresh_token != consent.refresh_token {
                    return Err(ApiError::bad_request(
                        "InvalidRefreshTokenException",
                        "The refresh token was already used.",
                    ));
                }
                consent.token = format!("Bearer {}", uuid::Uuid::new_v4());
                consent.refresh_token = Some(uuid::Uuid::new_v4().to_string());
                consent.token_valid_until = now + token_ttl;
                rotated = true;
            }
        }
        let consent_ids = incoming.consents.into_iter().map(|c| c.consent_id).collect();
        Ok(Authorised { user_key: key, rotated, consent_ids })
    }

    /// The user context the sandbox hands out for a user: their live consents
    /// with current tokens and the accounts they cover.
    pub fn context_of(&self, user_key: &str) -> String {
        let Some(user) = self.users.get(user_key) else { return String::new() };
        let consents: Vec<&Consent> = user
            .consent_ids
            .iter()
            .filter_map(|id| self.consents.get(id))
            .filter(|c| c.status != ConsentStatus::Revoked)
            .collect();
        let consents_json: Vec<serde_json::Value> = consents
            .iter()
            .map(|c| {
                serde_json::json!({
                    "_additionalProperties": null,
                    "ConsentId": c.id,
                    "ValidUntil": iso(c.valid_until),
                    "RefreshToken": c.refresh_token,
                    "Token": c.token,
                    "TokenValidUntil": iso(c.token_valid_until),
                    "SettingsId": null,
                })
            })
            .collect();
        let accounts_json: Vec<serde_json::Value> = consents
            .iter()
            .filter(|c| c.status == ConsentStatus::Active)
            .flat_map(|c| c.accounts.iter().filter(|a| !c.deleted_accounts.contains(a)).map(move |a| (c, a)))
            .map(|(c, a)| {
                serde_json::json!({
                    "TransactionsConsentId": c.id,
                    "BalancesConsentId": c.id,
                    "BankAccountId": a,
                    "Id": a,
                })
            })
            .collect();
        serde_json::json!({
            "UserId": user.user_id,
            "Consents": consents_json,
            "Accounts": accounts_json,
            "PaymentToken": null,
            "RedirectUrl": null,
        })
        .to_string()
    }

    /// Active, unexpired consent among `context_consents` covering an
    /// account; or the reason there is none.
    pub fn consent_for_account(&self, user_key: &str, context_consents: &[String], account_id: &str) -> AccountAccess {
        let now = self.now();
        let mut lost = false;
        for id in context_consents.iter().rev() {
            let Some(c) = self.consents.get(id) else { continue };
            if c.user_key != user_key {
                continue;
            }
            if !c.accounts.iter().any(|a| a == account_id) || c.deleted_accounts.iter().any(|a| a == account_id) {
                continue;
            }
            match c.status {
                ConsentStatus::Active if c.valid_until > now => return AccountAccess::Granted(c.id.clone()),
                ConsentStatus::Active | ConsentStatus::Revoked => lost = true,
                ConsentStatus::Pending => {}
            }
        }
        if lost {
            AccountAccess::ConsentLost
        } else {
            AccountAccess::Unknown
        }
    }
}

/// Whether a user may read an account.
#[derive(Debug, PartialEq, Eq)]
pub enum AccountAccess {
    /// Through this consent.
    Granted(String),
    /// The consent covering it expired or was revoked: SCA needed (R11).
    ConsentLost,
    /// Not an account of this user.
    Unknown,
}

/// Reads the parts of a user context the bank needs.
pub fn parse_context(text: &str) -> Result<IncomingContext, ApiError> {
    serde_json::from_str::<IncomingContext>(text).map_err(|_| {
        ApiError::bad_request(
            "InvalidUserContextException",
            "The user context is not one this gateway issued (it cannot be read).",
        )
    })
}

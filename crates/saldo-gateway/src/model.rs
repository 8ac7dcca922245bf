//! Request and response bodies of the gateway API, field for field as in
//! seed 004 (and the gateway's public .NET models where the seed is silent).
//!
//! Requests skip absent optional fields, like the seed's examples do.
//! Responses accept unknown fields and absent optional fields.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    AccessOption, AccountScheme, Amount, BalanceType, BankDateTime, BankStatus, CurrencyOption, FlowContext,
    LinkingOption, PagerContext, ResultStatus, StatusInfo, UserContext,
};

// ---------------------------------------------------------------- catalog

/// One connector in the bank catalog (`GET /ob/banks?countryCode=`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bank {
    /// The bank's display name.
    pub fullname: String,
    /// The connector to use for this bank and country.
    #[serde(rename = "connectorID")]
    pub connector_id: i64,
    /// A logo image URL.
    #[serde(rename = "logoURL", default)]
    pub logo_url: Option<String>,
    /// ISO 3166 country code.
    #[serde(rename = "countryISO")]
    pub country_iso: String,
    /// Availability.
    pub status: BankStatus,
    /// A grouping name (banks of one group).
    #[serde(rename = "bankGroup", default)]
    pub bank_group: Option<String>,
    /// Extra information such as the bank's BICs.
    #[serde(rename = "extraInfo", default, deserialize_with = "crate::tolerant::lenient")]
    pub extra_info: Option<BankExtraInfo>,
}

/// Extra catalog information.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BankExtraInfo {
    /// The bank's BICs.
    #[serde(rename = "Bics", default)]
    pub bics: Option<Vec<BankBicEntry>>,
}

/// One BIC of a bank.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BankBicEntry {
    /// The BIC.
    #[serde(rename = "Bic", default)]
    pub bic: Option<String>,
    /// Branch code.
    #[serde(rename = "BranchCode", default)]
    pub branch_code: Option<String>,
}

// ---------------------------------------------------------------- shared request parts

/// Bank settings a TPP passes for a connector. Holds client secrets and
/// certificate passwords, so `Debug` prints only `settingsId`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct BankSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nca_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_certificate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_certificate_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_certificate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_certificate_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pem_file_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_certificate_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_certificate_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_certificate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_certificate_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_certificate_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_tls_public_key_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_signing_public_key_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_encryption_public_key_name: Option<String>,
}

impl fmt::Debug for BankSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankSettings").field("settingsId", &self.settings_id).finish_non_exhaustive()
    }
}

/// Identifies the TPP application and unit for the gateway's accounting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct TppContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpp_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// The gateway's terms and privacy notice (`GET /ob/gw/tc/latest`): what a
/// person accepts before the gateway serves them (`TermsDTO`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Terms {
    /// The terms and conditions, as text.
    #[serde(default)]
    pub tc: String,
    /// The privacy notice, as text.
    #[serde(default)]
    pub privacy: String,
    /// Their version: a person accepts a version; a newer one is accepted again.
    pub version: i64,
    /// The language of this text.
    #[serde(default)]
    pub language: Option<String>,
    /// The languages the text exists in.
    #[serde(default, deserialize_with = "crate::tolerant::null_as_empty")]
    pub available_languages: Vec<String>,
}

/// Which terms version a registered person accepted
/// (`GET /ob/gw/users/{psuId}/tc/latest`, `TermsValidated`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TermsAccepted {
    /// The person at the gateway.
    pub psu_id: String,
    /// The version they accepted.
    pub version: i64,
}

/// A person registering with the gateway (`POST /ob/gw/users`, `UserDTO`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// E-mail address.
    pub email: String,
    /// Mobile phone, if given.
    #[serde(rename = "cellPhone", default)]
    pub cell_phone: Option<String>,
    /// VAT id (companies).
    #[serde(default)]
    pub vatid: Option<String>,
    /// The app's own reference for the person.
    #[serde(rename = "externalRef", default)]
    pub external_ref: Option<String>,
    /// Date of birth (`YYYY-MM-DDT00:00:00`).
    #[serde(rename = "dateOfBirth", default)]
    pub date_of_birth: Option<String>,
    /// The terms version the person accepted.
    #[serde(rename = "validatedVersionTC")]
    pub validated_version_tc: i64,
}

impl std::fmt::Debug for NewUser {
    /// Personal data stays out of logs: only the terms version shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser").field("validated_version_tc", &self.validated_version_tc).finish_non_exhaustive()
    }
}

/// The gateway's answer to a registration (`UserRegisterResponse`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    /// The person's id at the gateway.
    pub psuid: String,
    /// `OK` normally; anything else comes with a `url` to continue at.
    #[serde(default)]
    pub action: Option<String>,
    /// Where to continue when `action` is not `OK`.
    #[serde(default)]
    pub url: Option<String>,
    /// The person's first user context: the start of their connections (R1).
    #[serde(rename = "userContext", default)]
    pub user_context: Option<UserContext>,
}

/// A non-IBAN account identification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenericAccountIdentification {
    /// The identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification: Option<String>,
    /// Its scheme.
    pub scheme_name: AccountScheme,
    /// Who issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// An account named in an access request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountReference {
    /// The IBAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// The currency, when `currencyOption` requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// A non-IBAN identification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic_account_identification: Option<GenericAccountIdentification>,
}

impl AccountReference {
    /// A reference by IBAN only.
    pub fn iban(iban: impl Into<String>) -> Self {
        Self { iban: Some(iban.into()), ..Self::default() }
    }
}

// ---------------------------------------------------------------- access options

/// `GET /ob/Ais/access/options/{connectorId}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessOptions {
    /// Longest consent the bank grants, in days.
    pub max_consent_duration: i64,
    /// How accounts are chosen.
    pub access_option: AccessOption,
    /// Whether account currencies must be sent.
    pub currency_option: CurrencyOption,
    /// Whether a new consent replaces the old one.
    pub linking_option: LinkingOption,
    /// Account schemes the bank accepts.
    #[serde(default, deserialize_with = "crate::tolerant::null_as_empty")]
    pub account_schemes: Vec<AccountScheme>,
    /// Extra fields to ask the person for before POSTing the access request.
    #[serde(default, deserialize_with = "crate::tolerant::null_as_empty")]
    pub additional_properties_requested: Vec<AdditionalPropertyRequested>,
}

/// A field the bank needs before the access request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalPropertyRequested {
    /// The key to send in `additionalProperties`.
    pub name: String,
    /// A label for the form.
    #[serde(default)]
    pub title: Option<String>,
    /// Whether the bank refuses the request without it.
    #[serde(default)]
    pub required: bool,
    /// Help text.
    #[serde(default)]
    pub description: Option<String>,
    /// An expected shape (e.g. a regular expression).
    #[serde(default)]
    pub template: Option<String>,
}

// ---------------------------------------------------------------- access flow

/// `POST /ob/Ais/access`: starts an SCA flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRequest {
    /// The connector.
    pub connector_id: i64,
    /// The current user context, or none for a person new to this connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context: Option<UserContext>,
    /// Bank settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_settings: Option<BankSettings>,
    /// TPP context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpp_context: Option<TppContext>,
    /// What access is asked for.
    pub accounts_access_request: AccountsAccessRequest,
}

/// The access asked for, with the PSU's request details.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AccountsAccessRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_ip_port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_accept: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_accept_charset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_accept_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_accept_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_geo_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_http_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_last_logged_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_referer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_user_agent: Option<String>,
    /// The id this flow will carry; callbacks are matched on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    /// Where the bank sends the person after SCA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// Unattended accesses per day, 1–4 (R8, R18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_per_day: Option<i64>,
    /// Values for `additionalPropertiesRequested`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_properties: Option<BTreeMap<String, String>>,
    /// A single account to grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_account: Option<AccountReference>,
    /// Accounts whose transactions are asked for (required for DETAILED banks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_accounts: Option<Vec<AccountReference>>,
    /// Accounts whose balances are asked for (required for DETAILED banks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_accounts: Option<Vec<AccountReference>>,
}

/// `PUT /ob/Ais/access`: the next step of a flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessContinueRequest {
    /// The flow context from the previous step.
    pub flow: FlowContext,
    /// The callback's query string (`?code=…&state=…`), a chosen option, or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_string: Option<String>,
    /// The current user context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context: Option<UserContext>,
    /// Bank settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_settings: Option<BankSettings>,
    /// TPP context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpp_context: Option<TppContext>,
}

/// The answer to a POST or PUT on `/ob/Ais/access`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessResponse {
    /// What to do next.
    pub result_status: ResultStatus,
    /// More about the status.
    #[serde(default = "default_status_info")]
    pub status_info: StatusInfo,
    /// A URL to open, a message, or nothing, depending on the status.
    #[serde(default)]
    pub data_string: Option<String>,
    /// Choices for `SelectOption`: key → label.
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
    /// The updated flow context, when not null (R1).
    #[serde(default)]
    pub flow_context: Option<FlowContext>,
    /// The updated user context, when not null (R1).
    #[serde(default)]
    pub user_context: Option<UserContext>,
    /// The bank's raw answer.
    #[serde(default)]
    pub raw_response: Option<String>,
}

fn default_status_info() -> StatusInfo {
    StatusInfo::Default
}

// ---------------------------------------------------------------- data calls

/// `POST /ob/Ais/accounts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountsRequest {
    /// The connector.
    pub connector_id: i64,
    /// The current user context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context: Option<UserContext>,
    /// Bank settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_settings: Option<BankSettings>,
    /// TPP context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpp_context: Option<TppContext>,
}

/// `POST /ob/Ais/accounts/{accountId}/balances` and `…/transactions`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDataRequest {
    /// The connector.
    pub connector_id: i64,
    /// The current user context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context: Option<UserContext>,
    /// Bank settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_settings: Option<BankSettings>,
    /// TPP context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpp_context: Option<TppContext>,
    /// The person's IP when they are present; without it the bank counts the
    /// call against the unattended daily limit (R18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_ip: Option<String>,
}

/// `POST /ob/Ais/accounts/{accountId}/transactions/next`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionsNextRequest {
    /// The connector.
    pub connector_id: i64,
    /// The current user context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context: Option<UserContext>,
    /// Bank settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_settings: Option<BankSettings>,
    /// The pager context from the previous page (R4).
    pub pager_context: PagerContext,
    /// TPP context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpp_context: Option<TppContext>,
    /// The person's IP when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_ip: Option<String>,
}

/// `PUT /ob/Ais/accounts/delete` and `PUT /ob/Ais/consents/delete`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteRequest {
    /// The account id or consent id to remove.
    pub id: String,
    /// The connector.
    pub connector_id: i64,
    /// The current user context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context: Option<UserContext>,
    /// Bank settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_settings: Option<BankSettings>,
    /// TPP context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpp_context: Option<TppContext>,
}

/// The answer to `POST /ob/Ais/accounts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountsResponse {
    /// The accounts the consent covers.
    #[serde(default, deserialize_with = "crate::tolerant::null_as_empty")]
    pub accounts: Vec<Account>,
    /// The updated user context, when not null (R1).
    #[serde(default)]
    pub user_context: Option<UserContext>,
    /// The bank's raw answer.
    #[serde(default)]
    pub raw_response: Option<String>,
}

/// One bank account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Account {
    /// The gateway's id for the account, used in data calls.
    pub id: String,
    #[serde(default)]
    pub owner_name: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub iban: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub generic_account_identifications: Option<Vec<GenericAccountIdentification>>,
    #[serde(default)]
    pub bic: Option<String>,
    /// ISO 20022 ExternalCashAccountType1Code.
    #[serde(default)]
    pub cash_account_type: Option<String>,
    #[serde(default)]
    pub cash_account_type_raw: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub psu_status: Option<String>,
    /// The consent covering transactions, when granted.
    #[serde(default)]
    pub transactions_consent: Option<AccountConsent>,
    /// The consent covering balances, when granted.
    #[serde(default)]
    pub balances_consent: Option<AccountConsent>,
}

/// A consent as reported on an account (R15: `validUntil` drives expiry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountConsent {
    /// The consent id (for `consents/delete`).
    #[serde(default)]
    pub consent_id: Option<String>,
    /// When the consent ends.
    #[serde(default)]
    pub valid_until: Option<BankDateTime>,
    /// The gateway's status code for the consent.
    #[serde(default)]
    pub status: Option<i64>,
    /// When the status last changed.
    #[serde(default)]
    pub status_at: Option<BankDateTime>,
    /// Settings id.
    #[serde(default)]
    pub settings_id: Option<String>,
}

/// The answer to a balances call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancesResponse {
    /// The balances.
    #[serde(default, deserialize_with = "crate::tolerant::null_as_empty")]
    pub balances: Vec<Balance>,
    /// The updated user context, when not null (R1).
    #[serde(default)]
    pub user_context: Option<UserContext>,
    /// The bank's raw answer.
    #[serde(default)]
    pub raw_response: Option<String>,
    /// True when the consent is gone or expired: SCA is needed again (R11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_consent_lost: Option<bool>,
}

/// One balance of an account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// ISO 20022 balance type.
    pub balance_type: BalanceType,
    /// The bank's own name for it.
    #[serde(default)]
    pub raw_balance_type: Option<String>,
    /// The day the balance refers to.
    #[serde(default)]
    pub reference_date: Option<BankDateTime>,
    /// When it last changed.
    #[serde(default)]
    pub last_change_date_time: Option<BankDateTime>,
    /// The amount.
    pub balance_amount: BalanceAmount,
    /// Whether a credit line is included.
    #[serde(default)]
    pub credit_limit_included: Option<bool>,
}

/// An amount with its currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalanceAmount {
    /// ISO 4217 code.
    #[serde(default)]
    pub currency: Option<String>,
    /// The exact amount (R17).
    pub amount: Amount,
}

/// The answer to a transactions (first or next page) call.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionsResponse {
    /// This page's transactions.
    #[serde(default, deserialize_with = "crate::tolerant::null_as_empty")]
    pub transactions: Vec<Transaction>,
    /// The updated user context, when not null (R1).
    #[serde(default)]
    pub user_context: Option<UserContext>,
    /// Input of the next page call (R4).
    #[serde(default)]
    pub pager_context: Option<PagerContext>,
    /// Whether this is the first page.
    #[serde(default)]
    pub is_first_page: bool,
    /// Whether this is the last page.
    #[serde(default)]
    pub is_last_page: bool,
    /// The bank's raw answer.
    #[serde(default)]
    pub raw_response: Option<String>,
    /// True when the consent is gone or expired: SCA is needed again (R11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_consent_lost: Option<bool>,
}

/// One transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Transaction {
    /// The bank's id; some banks send none (R16).
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub gw_account_id: Option<String>,
    #[serde(default)]
    pub gw_sequence: Option<String>,
    /// The gateway's signal that transactions may be missing just before
    /// this one (a stretch the bank did not serve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub possible_hole: Option<bool>,
    /// Exact signed amount: negative is money out (R17).
    pub amount: Amount,
    #[serde(default)]
    pub counterpart_reference: Option<String>,
    #[serde(default)]
    pub counterpart_name: Option<String>,
    #[serde(default)]
    pub counterpart_bic: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Booking date (a calendar date when zone-less).
    #[serde(default)]
    pub execution_date: Option<BankDateTime>,
    /// Value date.
    #[serde(default)]
    pub value_date: Option<BankDateTime>,
    #[serde(default)]
    pub remittance_information: Option<RemittanceInformation>,
    #[serde(default)]
    pub bank_transaction_code: Option<BankTransactionCode>,
    /// The direct debit's mandate (SEPA DD), when the bank says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate: Option<Mandate>,
    /// The payer's end-to-end reference, when the bank says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_id: Option<String>,
}

/// A direct debit's mandate (the .NET client's `Mandate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mandate {
    /// The mandate reference.
    #[serde(rename = "mandateReference", alias = "MandateReference", default)]
    pub mandate_reference: Option<String>,
}

/// Remittance information of a transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct RemittanceInformation {
    #[serde(default)]
    pub structured: Option<StructuredRemittance>,
    #[serde(default)]
    pub unstructured: Option<String>,
}

/// Structured remittance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct StructuredRemittance {
    #[serde(default)]
    pub creditor_reference_information: Option<CreditorReferenceInformation>,
}

/// A creditor reference (e.g. a Belgian structured communication).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CreditorReferenceInformation {
    #[serde(rename = "type", default)]
    pub kind: Option<CreditorReferenceType>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// The type of a creditor reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CreditorReferenceType {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
}

/// ISO 20022 bank transaction code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct BankTransactionCode {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub sub_family: Option<String>,
}

impl AccessContinueRequest {
    /// The next step of a flow: its flow context, the callback's query string
    /// (or a chosen option, or nothing), and the latest user context (R1).
    pub fn new(flow: FlowContext, data_string: Option<String>, user_context: Option<UserContext>) -> Self {
        Self { flow, data_string, user_context, bank_settings: None, tpp_context: None }
    }
}

impl AccountsRequest {
    /// An accounts call with the latest user context.
    pub fn new(connector_id: i64, user_context: Option<UserContext>) -> Self {
        Self { connector_id, user_context, bank_settings: None, tpp_context: None }
    }
}

impl AccountDataRequest {
    /// A balances or first-page transactions call. `psu_ip` is set when the
    /// person is present (not counted as an unattended access, R18).
    pub fn new(connector_id: i64, user_context: Option<UserContext>, psu_ip: Option<String>) -> Self {
        Self { connector_id, user_context, bank_settings: None, tpp_context: None, psu_ip }
    }
}

impl TransactionsNextRequest {
    /// The next page, fed with the previous page's pager context (R4).
    pub fn new(
        connector_id: i64,
        user_context: Option<UserContext>,
        pager_context: PagerContext,
        psu_ip: Option<String>,
    ) -> Self {
        Self { connector_id, user_context, bank_settings: None, pager_context, tpp_context: None, psu_ip }
    }
}

impl DeleteRequest {
    /// Removes an account or revokes a consent.
    pub fn new(id: impl Into<String>, connector_id: i64, user_context: Option<UserContext>) -> Self {
        Self { id: id.into(), connector_id, user_context, bank_settings: None, tpp_context: None }
    }
}

impl Account {
    /// An account with only its id, currency and IBAN known (everything else absent).
    pub fn new(id: impl Into<String>, currency: impl Into<String>, iban: Option<String>) -> Self {
        Self {
            id: id.into(),
            owner_name: None,
            currency: Some(currency.into()),
            iban,
            description: None,
            generic_account_identifications: None,
            bic: None,
            cash_account_type: None,
            cash_account_type_raw: None,
            product: None,
            psu_status: None,
            transactions_consent: None,
            balances_consent: None,
        }
    }
}

impl Balance {
    /// A balance of a type and amount, without dates.
    pub fn new(balance_type: BalanceType, amount: Amount, currency: Option<String>) -> Self {
        Self {
            balance_type,
            raw_balance_type: None,
            reference_date: None,
            last_change_date_time: None,
            balance_amount: BalanceAmount { currency, amount },
            credit_limit_included: None,
        }
    }
}

impl Transaction {
    /// `gwSequence` split at its separator (the .NET client reads it as one
    /// number without its ninth character): the eight-digit prefix and the
    /// counter after it, `20261101-000042` → (20261101, 42). Two rows with
    /// the same prefix whose counters are not adjacent had rows between
    /// them. `None` when absent or not of that shape.
    pub fn gw_sequence_parts(&self) -> Option<(u32, u64)> {
        let s = self.gw_sequence.as_deref()?;
        let (prefix, counter) = (s.get(..8)?, s.get(9..)?);
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(prefix) || !digits(counter) {
            return None;
        }
        Some((prefix.parse().ok()?, counter.parse().ok()?))
    }
}

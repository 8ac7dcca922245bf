//! Typed models and an HTTP client for the open-banking gateway API Saldo speaks
//! (the Exthand AIS connector API, `shared/seeds/004_…`).
//!
//! Field names match the wire format exactly. Numeric codes are enums that keep
//! values they do not know ([`codes`]). Amounts are exact decimals parsed from
//! the JSON text ([`Amount`]). Contexts are opaque and redacted in `Debug`
//! ([`UserContext`], [`FlowContext`], [`PagerContext`]).

pub mod amount;
#[cfg(feature = "client")]
pub mod client;
pub mod codes;
pub mod context;
pub mod datetime;
pub mod error;
pub mod meta;
pub mod model;
pub mod redact;
pub mod tolerant;

pub use amount::Amount;
#[cfg(feature = "client")]
pub use client::{check_gateway_url, ClientConfig, GatewayClient, DEFAULT_MAX_BODY_BYTES};
pub use codes::{
    AccessOption, AccountScheme, BalanceType, BankStatus, CurrencyOption, LinkingOption, ResultStatus, StatusInfo,
};
pub use context::{FlowContext, PagerContext, UserContext};
pub use datetime::BankDateTime;
pub use error::{ErrorBody, GatewayError};
pub use meta::{CorrelationId, ResponseMeta, WithMeta};
pub use model::*;

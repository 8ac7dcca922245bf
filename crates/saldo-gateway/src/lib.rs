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

/// Whether `url` points at this computer (`localhost`, 127.0.0.0/8, `::1`):
/// the only place plain `http` is acceptable, for a gateway or a bank page.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

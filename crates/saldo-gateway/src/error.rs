//! One error type for every way a gateway call can fail.

use serde::{Deserialize, Serialize};

use crate::meta::ResponseMeta;
use crate::UserContext;

/// The gateway's error body, sent with HTTP 400 and 422.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ErrorBody {
    #[serde(default)]
    pub exception_type: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub inner_exception: Option<String>,
    #[serde(default)]
    pub status_code: Option<i64>,
    /// A user context that changed before the failure: it must be stored (R1).
    #[serde(default)]
    pub user_context: Option<UserContext>,
    #[serde(default)]
    pub log: Option<String>,
    #[serde(default)]
    pub x_correlation_id: Option<String>,
    #[serde(default)]
    pub x_operation_id: Option<String>,
}

/// Why a gateway call failed. `endpoint` is the route template
/// (`POST /ob/Ais/accounts/{accountId}/transactions`), never a secret.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The request never got an HTTP answer: connection refused or dropped, DNS, TLS, timeout.
    #[error("could not reach the gateway ({endpoint}): {message}")]
    Transport {
        /// The route.
        endpoint: String,
        /// Whether the call timed out (the gateway may still have acted on it).
        timeout: bool,
        /// What went wrong.
        message: String,
    },
    /// The gateway answered with an error status.
    #[error("{}", status_text(endpoint, *status, body))]
    Status {
        /// The route.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// The error body, for 400/422 answers that carry one.
        body: Option<Box<ErrorBody>>,
        /// Correlation headers.
        meta: Box<ResponseMeta>,
    },
    /// The answer was not the JSON the API documents (or was cut short).
    #[error("the gateway sent a malformed answer to {endpoint} (HTTP {status}): {reason}; body starts: {excerpt}")]
    Malformed {
        /// The route.
        endpoint: String,
        /// HTTP status of the answer.
        status: u16,
        /// The parser's complaint.
        reason: String,
        /// The first characters of the body, secrets redacted.
        excerpt: String,
        /// Correlation headers.
        meta: Box<ResponseMeta>,
    },
    /// A well-formed answer with a `resultStatus` this version does not handle.
    #[error("the gateway answered {endpoint} with unknown resultStatus {code}")]
    UnknownResultStatus {
        /// The route.
        endpoint: String,
        /// The code.
        code: i64,
    },
    /// The client could not be built or a URL could not be formed.
    #[error("invalid gateway configuration: {0}")]
    Config(String),
}

/// "refused" for the client's own errors (4xx, with the gateway's reason);
/// "could not answer … try again later" for the server side (5xx).
fn status_text(endpoint: &str, status: u16, body: &Option<Box<ErrorBody>>) -> String {
    if status >= 500 {
        format!(
            "the gateway could not answer {endpoint} (HTTP {status}{}): it or the bank is unavailable right now; try again later",
            describe(body)
        )
    } else {
        format!("the gateway refused {endpoint} with HTTP {status}{}", describe(body))
    }
}

fn describe(body: &Option<Box<ErrorBody>>) -> String {
    match body.as_deref() {
        Some(ErrorBody { exception_type, message, .. }) => format!(
            ": {}{}",
            exception_type.as_deref().map(|t| format!("{t}: ")).unwrap_or_default(),
            message.as_deref().unwrap_or("(no message)")
        ),
        None => String::new(),
    }
}

impl GatewayError {
    /// A user context carried by an error body. The caller must store it
    /// before anything else (R1).
    pub fn user_context(&self) -> Option<&UserContext> {
        match self {
            GatewayError::Status { body: Some(b), .. } => b.user_context.as_ref(),
            _ => None,
        }
    }

    /// The HTTP status, when the gateway answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GatewayError::Status { status, .. } | GatewayError::Malformed { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The gateway's `exceptionType`, when it sent an error body.
    pub fn exception_type(&self) -> Option<&str> {
        match self {
            GatewayError::Status { body: Some(b), .. } => b.exception_type.as_deref(),
            _ => None,
        }
    }

    /// Whether the failure is transient (network, timeout, 5xx, 429), so that
    /// repeating the same call later may succeed. Whether repeating is *safe*
    /// is the caller's call: a timed-out request may have consumed a refresh
    /// token at the bank.
    pub fn is_transient(&self) -> bool {
        match self {
            GatewayError::Transport { .. } => true,
            GatewayError::Status { status, .. } => *status >= 500 || *status == 429,
            GatewayError::Malformed { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// Correlation headers of the failed call, for tracing it with the provider.
    pub fn meta(&self) -> Option<&ResponseMeta> {
        match self {
            GatewayError::Status { meta, .. } | GatewayError::Malformed { meta, .. } => Some(meta),
            _ => None,
        }
    }
}

//! What every exchange with the gateway carries besides its body: the
//! correlation id of one user action and the response's correlation headers.
//! Always compiled (the store and the error type use them); the HTTP client
//! itself is behind the `client` feature.

use std::fmt;

/// The id of one user action, sent as `X-Correlation-ID` on all its calls.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CorrelationId(String);

impl CorrelationId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for CorrelationId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Correlation headers of one exchange.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseMeta {
    /// The `X-Request-ID` this client sent.
    pub request_id: String,
    /// The `X-Correlation-ID` this client sent.
    pub correlation_id: String,
    /// The `X-Operation-ID` the gateway assigned, if any.
    pub operation_id: Option<String>,
}

/// A response body with its correlation headers.
#[derive(Clone, Debug, PartialEq)]
pub struct WithMeta<T> {
    /// The decoded body.
    pub body: T,
    /// The correlation headers.
    pub meta: ResponseMeta,
}

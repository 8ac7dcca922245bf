//! Errors the sandbox answers with, shaped like the real gateway's: HTTP 400
//! or 422 with `{exceptionType, message, innerException, statusCode,
//! userContext, log, xCorrelationId, xOperationId}`; other failures without a body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answer. The correlation ids are filled in by the server loop,
/// which knows them (see [`PendingError`]).
#[derive(Clone, Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `exceptionType`; `None` for answers without a body (5xx).
    pub exception_type: Option<&'static str>,
    /// Human message.
    pub message: String,
    /// A user context that changed before the failure (R1: the client must store it).
    pub user_context: Option<String>,
}

impl ApiError {
    /// 400 with an error body.
    pub fn bad_request(exception_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            exception_type: Some(exception_type),
            message: message.into(),
            user_context: None,
        }
    }

    /// 422 with an error body: the request is well-formed but not acceptable.
    pub fn unprocessable(exception_type: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            exception_type: Some(exception_type),
            message: message.into(),
            user_context: None,
        }
    }

    /// 503 without a body: the bank is down.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            exception_type: None,
            message: message.into(),
            user_context: None,
        }
    }

    /// Attaches a changed user context.
    pub fn with_context(mut self, ctx: Option<String>) -> Self {
        self.user_context = ctx;
        self
    }
}

/// Marker extension on a response whose error body is still to be written.
#[derive(Clone, Debug)]
pub struct PendingError(pub ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(PendingError(self));
        resp
    }
}

/// Renders an error with the exchange's correlation ids.
pub fn render(err: &ApiError, correlation_id: &str, operation_id: &str) -> Response {
    match err.exception_type {
        Some(kind) => {
            let body = serde_json::json!({
                "exceptionType": kind,
                "message": err.message,
                "innerException": null,
                "statusCode": err.status.as_u16(),
                "userContext": err.user_context,
                "log": null,
                "xCorrelationId": correlation_id,
                "xOperationId": operation_id,
            });
            (err.status, axum::Json(body)).into_response()
        }
        None => (err.status, err.message.clone()).into_response(),
    }
}

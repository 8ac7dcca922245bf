//! The accept loop and everything that wraps routing: case-insensitive paths,
//! correlation headers, call statistics, fault injection, error bodies, and
//! the admin API.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State as AxState;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::{Json, Router};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tower::ServiceExt;

use crate::error::{render, PendingError};
use crate::faults::{FaultMode, FaultPlan};
use crate::{App, DEFAULT_SLOW_MS, DEFAULT_TIMEOUT_MS};

/// Accepts connections until `shutdown` turns true.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    router: Router,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => { tracing::warn!("accept failed: {e}"); continue; }
            },
            _ = shutdown.changed() => break,
        };
        let (app, router, mut stop) = (app.clone(), router.clone(), shutdown.clone());
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(app.clone(), router.clone(), req));
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = stop.changed() => {}
            }
        });
    }
}

/// A deliberately dropped connection (the `drop` fault).
#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}
impl std::error::Error for Dropped {}

/// Lower-cases the fixed segments of API paths, keeping ids as sent:
/// `/OB/Ais/Accounts/AT0999/Transactions` → `/ob/ais/accounts/AT0999/transactions`.
pub fn normalize_path(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    if lower.get(1).map(String::as_str) != Some("ob") {
        return path.to_owned();
    }
    let is_param = |i: usize| -> bool {
        let at = |j: usize| lower.get(j).map(String::as_str);
        // /ob/ais/access/options/{connectorId}
        (i == 5 && at(3) == Some("access") && at(4) == Some("options"))
            // /ob/ais/accounts/{accountId}/…
            || (i == 4 && at(3) == Some("accounts") && segs.len() > 5)
    };
    segs.iter()
        .enumerate()
        .map(|(i, s)| if is_param(i) { (*s).to_owned() } else { s.to_ascii_lowercase() })
        .collect::<Vec<_>>()
        .join("/")
}

fn route_label(method: &str, path: &str) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    let templ: Vec<&str> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| match (i, segs.get(3)) {
            (5, Some(&"access")) => "{connectorId}",
            (4, Some(&"accounts")) if segs.len() > 5 => "{accountId}",
            _ => s,
        })
        .collect();
    format!("{method} {}", templ.join("/"))
}

async fn handle(app: Arc<App>, router: Router, req: Request<Incoming>) -> Result<Response<Body>, Dropped> {
    let (mut parts, body) = req.into_parts();
    let path = normalize_path(parts.uri.path());
    if path != parts.uri.path() {
        let pq = match parts.uri.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        if let Ok(uri) = pq.parse() {
            parts.uri = uri;
        }
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request_id = header("x-request-id").unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let correlation_id = header("x-correlation-id").unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let operation_id = uuid::Uuid::new_v4().to_string();
    let is_api = path.starts_with("/ob/");
    let mut fault = None;
    if is_api {
        *app.stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(route_label(parts.method.as_str(), &path))
            .or_default() += 1;
        fault = app
            .faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(&format!("{} {path}", parts.method));
    }

    let mut resp = match fault {
        Some((FaultMode::Http500, _)) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
        Some((FaultMode::Http503, _)) => (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response(),
        Some((FaultMode::Malformed, _)) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            "{\"resultStatus\": 1, \"userContext\": <html><body>Gateway error</body></html>",
        )
            .into_response(),
        Some((FaultMode::Drop, _)) => return Err(Dropped),
        Some((FaultMode::Retry, _)) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            "{\"resultStatus\": 8, \"flowContext\": null, \"userContext\": null, \"dataString\": null, \"statusInfo\": 0}",
        )
            .into_response(),
        Some((FaultMode::Huge, _)) => {
            // `{"transactions": [` and then blanks, without end.
            let start = futures_util::stream::once(async { Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"transactions\": [")) });
            let blanks = futures_util::stream::repeat_with(|| Ok(axum::body::Bytes::from(vec![b' '; 64 * 1024])));
            let body = Body::from_stream(futures_util::StreamExt::chain(start, blanks));
            Response::builder()
                .status(StatusCode::OK)
                .header(axum::http::header::CONTENT_TYPE, "application/json")
                .body(body)
                .unwrap_or_default()
        }
        Some((FaultMode::Loop, _)) => {
            let asked = axum::body::to_bytes(Body::new(body), 1 << 20).await.unwrap_or_default();
            let pager = serde_json::from_slice::<serde_json::Value>(&asked).ok().and_then(|v| v.get("pagerContext").cloned());
            let resp = route(router, parts, Body::from(asked), &correlation_id, &operation_id).await;
            match pager {
                Some(pager) => same_pager(resp, pager).await,
                None => resp,
            }
        }
        Some((FaultMode::Timeout, delay)) => {
            tokio::time::sleep(std::time::Duration::from_millis(delay.unwrap_or(DEFAULT_TIMEOUT_MS))).await;
            (StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout").into_response()
        }
        other => {
            if let Some((FaultMode::Slow, delay)) = other {
                tokio::time::sleep(std::time::Duration::from_millis(delay.unwrap_or(DEFAULT_SLOW_MS))).await;
            }
            let resp = route(router, parts, Body::new(body), &correlation_id, &operation_id).await;
            if let Some((FaultMode::Truncated, _)) = other {
                truncate(resp).await
            } else {
                resp
            }
        }
    };
    let h = resp.headers_mut();
    for (name, value) in
        [("x-request-id", &request_id), ("x-correlation-id", &correlation_id), ("x-operation-id", &operation_id)]
    {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    }
    Ok(resp)
}

/// Keeps the first half of a processed answer's body.
/// Runs a request through the routes, rendering a handler's error.
async fn route(
    router: Router,
    parts: axum::http::request::Parts,
    body: Body,
    correlation_id: &str,
    operation_id: &str,
) -> Response<Body> {
    let resp = match router.oneshot(Request::from_parts(parts, body)).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    match resp.extensions().get::<PendingError>() {
        Some(PendingError(err)) => render(err, correlation_id, operation_id),
        None => resp,
    }
}

/// The `loop` fault: the answer names the page it was asked for as the next
/// one, and is never the last.
async fn same_pager(resp: Response<Body>, pager: serde_json::Value) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(mut page) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    page["pagerContext"] = pager;
    page["isLastPage"] = serde_json::Value::Bool(false);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(serde_json::to_vec(&page).unwrap_or_default()))
}

async fn truncate(resp: Response<Body>) -> Response<Body> {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(half))
}

/// `GET /sandbox/faults`.
pub async fn get_faults(AxState(app): AxState<Arc<App>>) -> Json<FaultPlan> {
    Json(app.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
}

/// `PUT /sandbox/faults` with a [`FaultPlan`].
pub async fn put_faults(AxState(app): AxState<Arc<App>>, body: axum::body::Bytes) -> axum::response::Response {
    match serde_json::from_slice::<FaultPlan>(&body) {
        Ok(plan) => {
            *app.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = plan.clone();
            Json(plan).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(serde_json::json!({"message": format!("not a fault plan: {e}")})))
            .into_response(),
    }
}

/// `DELETE /sandbox/faults`.
pub async fn clear_faults(AxState(app): AxState<Arc<App>>) -> StatusCode {
    *app.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = FaultPlan::default();
    StatusCode::NO_CONTENT
}

/// `GET /sandbox/clock`.
pub async fn get_clock(AxState(app): AxState<Arc<App>>) -> Json<serde_json::Value> {
    let st = app.state();
    Json(serde_json::json!({"now": st.now().to_rfc3339(), "offsetSeconds": st.clock_offset_secs, "epoch": st.epoch}))
}

/// Body of `POST /sandbox/clock`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Advance {
    #[serde(default)]
    advance_seconds: i64,
    #[serde(default)]
    advance_days: i64,
}

/// `POST /sandbox/clock {"advanceDays": n, "advanceSeconds": n}`.
pub async fn advance_clock(AxState(app): AxState<Arc<App>>, body: axum::body::Bytes) -> axum::response::Response {
    let Ok(a) = serde_json::from_slice::<Advance>(&body) else {
        return (StatusCode::BAD_REQUEST, "expected {\"advanceDays\": n, \"advanceSeconds\": n}").into_response();
    };
    let mut st = app.state();
    st.clock_offset_secs += a.advance_seconds + a.advance_days * 86_400;
    app.persist(&st);
    Json(serde_json::json!({"now": st.now().to_rfc3339(), "offsetSeconds": st.clock_offset_secs})).into_response()
}

/// `GET /sandbox/stats`.
pub async fn get_stats(AxState(app): AxState<Arc<App>>) -> Json<serde_json::Value> {
    let stats = app.stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let total: u64 = stats.values().sum();
    Json(serde_json::json!({"calls": stats, "total": total}))
}

/// `POST /sandbox/terms`: publishes a new version of the terms.
pub async fn bump_terms(AxState(app): AxState<Arc<App>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({"version": app.bump_terms()}))
}

/// `POST /sandbox/sca-renewal`: the banks want a new SCA before serving transactions.
pub async fn require_sca_renewal(AxState(app): AxState<Arc<App>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({"consents": app.require_sca_renewal()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_segments_match_case_insensitively_ids_keep_their_case() {
        assert_eq!(
            normalize_path("/OB/Ais/Accounts/AT099900000000001511/Transactions/Next"),
            "/ob/ais/accounts/AT099900000000001511/transactions/next"
        );
        assert_eq!(normalize_path("/ob/AIS/access/OPTIONS/973"), "/ob/ais/access/options/973");
        assert_eq!(normalize_path("/ob/Ais/accounts/delete"), "/ob/ais/accounts/delete");
        assert_eq!(normalize_path("/ob/findFlowId"), "/ob/findflowid");
        assert_eq!(normalize_path("/bank/973/Login"), "/bank/973/Login", "bank pages are left alone");
    }
}

//! Shared helpers for Saldo's end-to-end tests: a reader of the gateway API
//! reference (seed 004) that extracts every example exchange, and helpers to
//! run SCA flows against the real sandbox server.

use std::path::PathBuf;

use saldo_gateway::{
    AccessContinueRequest, AccessRequest, AccessResponse, AccountsAccessRequest, ClientConfig, CorrelationId,
    GatewayClient, ResultStatus, UserContext,
};
use saldo_sandbox::psu::{Browser, Decision, Outcome};
use saldo_sandbox::{SandboxConfig, SandboxHandle};

/// The vendored copy of seed 004 (kept identical to `shared/seeds/`; a test checks).
pub fn seed_004_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed-004-gateway-api.txt")
}

/// The shared original, when the checkout has `shared/` beside it.
pub fn shared_seed_004_path() -> Option<PathBuf> {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/seeds/004_a39833c2c1b0af12.txt"))
        .find(|p| p.exists())
}

/// One documented endpoint with its schema bodies and example exchanges.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// HTTP method.
    pub method: String,
    /// Path template, e.g. `/ob/Ais/accounts/{accountId}/balances`.
    pub path: String,
    /// The schema request body (placeholder values), if JSON.
    pub schema_request: Option<String>,
    /// The schema response body, if JSON.
    pub schema_response: Option<String>,
    /// The example calls, in order.
    pub exchanges: Vec<Exchange>,
}

/// One example call.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// `METHOD /path?query` as written after "Call:".
    pub call: String,
    /// The request body, verbatim.
    pub request: Option<String>,
    /// The response body, verbatim (JSON, or the inline text for plain answers).
    pub response: Option<String>,
}

impl Exchange {
    /// The method of the call.
    pub fn method(&self) -> &str {
        self.call.split_whitespace().next().unwrap_or("")
    }
    /// The path and query of the call.
    pub fn target(&self) -> &str {
        self.call.split_whitespace().nth(1).unwrap_or("")
    }
}

/// End of a JSON value starting at `start` (which is `{` or `[`), honouring strings.
fn json_end(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let (mut depth, mut i, mut in_str) = (0i32, start, false);
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'{' || c == b'[' {
            depth += 1;
        } else if c == b'}' || c == b']' {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    b.len()
}

/// The value after a marker: inline text after `:` on the same line, or the
/// JSON value that follows.
fn value_after(text: &str, pos: usize) -> Option<String> {
    let rest = &text[pos..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let same_line = rest[..line_end].trim();
    if let Some(inline) = same_line.strip_prefix(':') {
        let v = inline.trim();
        return (!v.is_empty()).then(|| v.to_owned());
    }
    let after = pos + line_end;
    let offset = text[after..].find(|c: char| !c.is_whitespace())?;
    let start = after + offset;
    if text[start..].starts_with('{') || text[start..].starts_with('[') {
        Some(text[start..json_end(text, start)].to_owned())
    } else {
        None
    }
}

/// Parses the API reference into endpoints and their examples.
pub fn parse_seed(text: &str) -> Vec<Endpoint> {
    let mut heads: Vec<(usize, String, String)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end();
        for m in ["GET ", "POST ", "PUT ", "DELETE "] {
            if let Some(rest) = l.strip_prefix(m) {
                if rest.starts_with("/ob/") && l.contains("(https://") {
                    let path = rest.split_whitespace().next().unwrap_or("").to_owned();
                    heads.push((offset, m.trim().to_owned(), path));
                }
            }
        }
        offset += line.len();
    }
    let mut out = Vec::new();
    for (k, (start, method, path)) in heads.iter().enumerate() {
        let end = heads.get(k + 1).map_or(text.len(), |h| h.0);
        let section = &text[*start..end];
        let mut ep = Endpoint {
            method: method.clone(),
            path: path.clone(),
            schema_request: None,
            schema_response: None,
            exchanges: vec![],
        };
        // Walk markers in order.
        let mut markers: Vec<(usize, &str)> = Vec::new();
        for m in ["Call:", "Request Body", "Response Body"] {
            markers.extend(section.match_indices(m).map(|(i, _)| (i, m)));
        }
        markers.sort();
        for (i, m) in markers {
            let after = i + m.len();
            match m {
                "Call:" => {
                    let line_end = section[after..].find('\n').map_or(section.len(), |e| after + e);
                    let mut call = section[after..line_end].trim().to_owned();
                    if call.is_empty() {
                        call = section[line_end..].trim_start().lines().next().unwrap_or("").trim().to_owned();
                    }
                    ep.exchanges.push(Exchange { call, request: None, response: None });
                }
                "Request Body" => {
                    let v = value_after(section, after).filter(|v| v.starts_with('{'));
                    match ep.exchanges.last_mut() {
                        Some(x) => x.request = v,
                        None => ep.schema_request = v,
                    }
                }
                _ => {
                    let v = value_after(section, after);
                    match ep.exchanges.last_mut() {
                        Some(x) => x.response = v,
                        None => ep.schema_response = v.filter(|v| v.starts_with('{')),
                    }
                }
            }
        }
        out.push(ep);
    }
    out
}

/// Reads the vendored seed 004.
pub fn seed_endpoints() -> Vec<Endpoint> {
    let text = std::fs::read_to_string(seed_004_path()).expect("seed 004 fixture is readable");
    parse_seed(&text)
}

/// Starts a sandbox on a free loopback port.
pub async fn sandbox(config: SandboxConfig) -> SandboxHandle {
    saldo_sandbox::start_local(config).await.expect("sandbox starts")
}

/// A gateway client for a sandbox.
pub fn client_for(sb: &SandboxHandle) -> GatewayClient {
    GatewayClient::new(ClientConfig::new(url::Url::parse(sb.base_url()).expect("url"))).expect("client")
}

/// The redirect URL a test client registers (the sandbox's landing page).
pub fn redirect_url(sb: &SandboxHandle) -> String {
    format!("{}/demo/callback", sb.base_url())
}

/// The query part (with `?`) of a callback URL.
pub fn query_of(url: &str) -> String {
    url.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default()
}

/// An access request for a connector with the usual PSU fields.
pub fn access_request(sb: &SandboxHandle, connector_id: i64, user: Option<UserContext>) -> AccessRequest {
    AccessRequest {
        connector_id,
        user_context: user,
        bank_settings: None,
        tpp_context: None,
        accounts_access_request: AccountsAccessRequest {
            psu_ip: Some("127.0.0.1".into()),
            flow_id: Some(uuid_like()),
            redirect_url: Some(redirect_url(sb)),
            frequency_per_day: Some(4),
            ..Default::default()
        },
    }
}

/// A fresh random id.
pub fn uuid_like() -> String {
    CorrelationId::new().as_str().to_owned()
}

/// Runs a complete connect flow for connectors that redirect to the bank
/// (any number of redirects), approving on every bank page. Returns the
/// final response and the latest user context (R1: every non-null context
/// replaces the previous one).
pub async fn connect(
    sb: &SandboxHandle,
    client: &GatewayClient,
    mut req: AccessRequest,
) -> (AccessResponse, UserContext) {
    let cid = CorrelationId::new();
    let mut user = req.user_context.take();
    req.user_context = user.clone();
    let mut resp = client.request_access(&req, &cid).await.expect("POST access").body;
    let browser = Browser::new();
    for _ in 0..5 {
        if let Some(u) = &resp.user_context {
            user = Some(u.clone());
        }
        match resp.result_status {
            ResultStatus::Redirect => {
                let url = resp.data_string.clone().expect("redirect URL");
                assert!(url.starts_with(sb.base_url()), "bank page on the sandbox: {url}");
                let query = match browser.authorize(&url, Decision::Approve).await.expect("bank page") {
                    Outcome::Redirected(cb) => query_of(&cb),
                    Outcome::Page(_) => String::new(),
                };
                let next = AccessContinueRequest::new(
                    resp.flow_context.clone().expect("flow context"),
                    Some(query),
                    user.clone(),
                );
                resp = client.continue_access(&next, &cid).await.expect("PUT access").body;
            }
            _ => break,
        }
    }
    if let Some(u) = &resp.user_context {
        user = Some(u.clone());
    }
    (resp, user.expect("a user context after connecting"))
}

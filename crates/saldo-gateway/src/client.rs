//! The HTTP client for the gateway.
//!
//! Every call sends a fresh `X-Request-ID` and the caller's `X-Correlation-ID`
//! (one per user action), and returns the response's correlation headers with
//! the body ([`WithMeta`]) so failures can be traced with the provider.

use std::time::Duration;

use reqwest::{header::HeaderMap, Method};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::error::{ErrorBody, GatewayError};
use crate::meta::{CorrelationId, ResponseMeta, WithMeta};
use crate::redact::{excerpt, redact_secrets};
use crate::{
    AccessContinueRequest, AccessOptions, AccessRequest, AccessResponse, AccountDataRequest, AccountsRequest,
    AccountsResponse, BalancesResponse, Bank, DeleteRequest, NewUser, Registration, Terms, TermsAccepted,
    TransactionsNextRequest, TransactionsResponse, UserContext,
};

/// How to reach the gateway.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Base URL, e.g. `http://127.0.0.1:8080/` (paths `/ob/...` are joined to it).
    pub base_url: Url,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for a whole call, body included. Banks can be slow; SCA steps
    /// talk to the bank synchronously.
    pub request_timeout: Duration,
    /// The largest answer read; a longer one is a malformed answer, not a
    /// reason to fill the memory.
    pub max_body_bytes: usize,
}

/// The default [`ClientConfig::max_body_bytes`]: 32 MiB (a page of
/// transactions is a few hundred KiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 << 20;

impl ClientConfig {
    /// Sensible defaults for a base URL: 10 s to connect, 60 s per call,
    /// answers up to 32 MiB.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// A client for one gateway. Cheap to clone; clones share a connection pool.
#[derive(Clone, Debug)]
pub struct GatewayClient {
    http: reqwest::Client,
    base: Url,
    max_body: usize,
    label: String,
}

const MAX_BODY_EXCERPT: usize = 160;

/// Whether a gateway may be reached at `url`: `https` to any host, plain
/// `http` only to this computer (127.0.0.0/8, `::1`, `localhost`), where
/// nobody on the way can read the contexts and tokens. The one rule, used by
/// the client itself and by the shells when a person gives an address.
pub fn check_gateway_url(url: &Url) -> Result<(), String> {
    if url.host().is_none() {
        return Err("the gateway's address must start with https://".into());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if crate::is_loopback(url) => Ok(()),
        "http" => Err("the gateway's address must start with https:// (plain http only to this computer)".into()),
        _ => Err("the gateway's address must start with https://".into()),
    }
}

impl GatewayClient {
    /// Builds a client with pooled keep-alive connections. Refuses a base URL
    /// that [`check_gateway_url`] refuses.
    pub fn new(config: ClientConfig) -> Result<Self, GatewayError> {
        check_gateway_url(&config.base_url).map_err(GatewayError::Config)?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(8)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("saldo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GatewayError::Config(e.to_string()))?;
        let mut base = config.base_url;
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let label = base.to_string();
        Ok(Self { http, base, max_body: config.max_body_bytes, label })
    }

    /// The same client under another name (e.g. `embedded sandbox`, whose
    /// address changes at every start).
    pub fn with_label(mut self, label: &str) -> Self {
        label.clone_into(&mut self.label);
        self
    }

    /// Which gateway this is, for the connections made through it: its base
    /// URL unless named otherwise.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `GET /ob/banks?countryCode=CC`: the bank catalog of one country.
    pub async fn banks(&self, country_code: &str, cid: &CorrelationId) -> Result<WithMeta<Vec<Bank>>, GatewayError> {
        let mut url = self.url(&["ob", "banks"])?;
        url.query_pairs_mut().append_pair("countryCode", country_code);
        self.json(Method::GET, url, "GET /ob/banks", None::<&()>, cid).await
    }

    /// A bank's logo from the catalog's `logoUrl`, as a `data:` URL the
    /// window can show without loading anything from the network itself
    /// (its CSP allows images from the app and `data:` only). `None` for an
    /// address the gateway rule refuses, an answer that is not an image, or
    /// one larger than 256 KiB.
    pub async fn logo(&self, logo_url: &str) -> Option<String> {
        use base64::Engine as _;
        const MAX_LOGO: usize = 256 << 10;
        let url = Url::parse(logo_url).ok()?;
        check_gateway_url(&url).ok()?;
        let mut resp = self.http.get(url).send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let kind = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)?
            .to_str()
            .ok()?
            .split(';')
            .next()?
            .trim()
            .to_ascii_lowercase();
        if !matches!(kind.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/svg+xml") {
            return None;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.ok()? {
            if bytes.len() + chunk.len() > MAX_LOGO {
                return None;
            }
            bytes.extend_from_slice(&chunk);
        }
        Some(format!("data:{kind};base64,{}", base64::engine::general_purpose::STANDARD.encode(&bytes)))
    }

    /// `GET /ob/gw/tc/latest?language=xx`: the terms and privacy notice to
    /// accept (in `language` when the gateway has it).
    pub async fn terms(&self, language: &str, cid: &CorrelationId) -> Result<WithMeta<Terms>, GatewayError> {
        let mut url = self.url(&["ob", "gw", "tc", "latest"])?;
        url.query_pairs_mut().append_pair("language", language);
        self.json(Method::GET, url, "GET /ob/gw/tc/latest", None::<&()>, cid).await
    }

    /// `POST /ob/gw/users`: registers a person who accepted a terms version.
    pub async fn register(&self, user: &NewUser, cid: &CorrelationId) -> Result<WithMeta<Registration>, GatewayError> {
        let url = self.url(&["ob", "gw", "users"])?;
        self.json(Method::POST, url, "POST /ob/gw/users", Some(user), cid).await
    }

    /// `GET /ob/gw/users/{psuId}/tc/latest`: the terms version a person accepted.
    pub async fn accepted_terms(
        &self,
        psu_id: &str,
        cid: &CorrelationId,
    ) -> Result<WithMeta<TermsAccepted>, GatewayError> {
        let url = self.url(&["ob", "gw", "users", psu_id, "tc", "latest"])?;
        self.json(Method::GET, url, "GET /ob/gw/users/{psuId}/tc/latest", None::<&()>, cid).await
    }

    /// `GET /ob/banks` without a country: the whole catalog.
    pub async fn banks_all(&self, cid: &CorrelationId) -> Result<Vec<Bank>, GatewayError> {
        let url = self.url(&["ob", "banks"])?;
        Ok(self.json::<(), Vec<Bank>>(Method::GET, url, "GET /ob/banks", None, cid).await?.body)
    }

    /// `GET /ob/Ais/access/options/{connectorId}`.
    pub async fn access_options(
        &self,
        connector_id: i64,
        cid: &CorrelationId,
    ) -> Result<WithMeta<AccessOptions>, GatewayError> {
        let url = self.url(&["ob", "Ais", "access", "options", &connector_id.to_string()])?;
        self.json(Method::GET, url, "GET /ob/Ais/access/options/{connectorId}", None::<&()>, cid).await
    }

    /// `POST /ob/Ais/access`: starts an SCA flow.
    pub async fn request_access(
        &self,
        req: &AccessRequest,
        cid: &CorrelationId,
    ) -> Result<WithMeta<AccessResponse>, GatewayError> {
        let url = self.url(&["ob", "Ais", "access"])?;
        self.json(Method::POST, url, "POST /ob/Ais/access", Some(req), cid).await
    }

    /// `PUT /ob/Ais/access`: the next step of an SCA flow.
    pub async fn continue_access(
        &self,
        req: &AccessContinueRequest,
        cid: &CorrelationId,
    ) -> Result<WithMeta<AccessResponse>, GatewayError> {
        let url = self.url(&["ob", "Ais", "access"])?;
        self.json(Method::PUT, url, "PUT /ob/Ais/access", Some(req), cid).await
    }

    /// `GET /ob/findFlowId?<query>`: the flow id in a bank callback's query string.
    pub async fn find_flow_id(
        &self,
        query_string: &str,
        cid: &CorrelationId,
    ) -> Result<WithMeta<String>, GatewayError> {
        let mut url = self.url(&["ob", "findFlowId"])?;
        let q = query_string.trim_start_matches('?');
        url.set_query(if q.is_empty() { None } else { Some(q) });
        let text = self.text(Method::GET, url, "GET /ob/findFlowId", None::<&()>, cid).await?;
        Ok(WithMeta { body: unquote(&text.body), meta: text.meta })
    }

    /// `POST /ob/Ais/accounts`.
    pub async fn accounts(
        &self,
        req: &AccountsRequest,
        cid: &CorrelationId,
    ) -> Result<WithMeta<AccountsResponse>, GatewayError> {
        let url = self.url(&["ob", "Ais", "accounts"])?;
        self.json(Method::POST, url, "POST /ob/Ais/accounts", Some(req), cid).await
    }

    /// `POST /ob/Ais/accounts/{accountId}/balances`.
    pub async fn balances(
        &self,
        account_id: &str,
        req: &AccountDataRequest,
        cid: &CorrelationId,
    ) -> Result<WithMeta<BalancesResponse>, GatewayError> {
        let url = self.url(&["ob", "Ais", "accounts", account_id, "balances"])?;
        self.json(Method::POST, url, "POST /ob/Ais/accounts/{accountId}/balances", Some(req), cid).await
    }

    /// `POST /ob/Ais/accounts/{accountId}/transactions`: the first page.
    pub async fn transactions(
        &self,
        account_id: &str,
        req: &AccountDataRequest,
        cid: &CorrelationId,
    ) -> Result<WithMeta<TransactionsResponse>, GatewayError> {
        let url = self.url(&["ob", "Ais", "accounts", account_id, "transactions"])?;
        self.transactions_page(url, "POST /ob/Ais/accounts/{accountId}/transactions", req, cid).await
    }

    /// `POST /ob/Ais/accounts/{accountId}/transactions/next`: the next page (R4).
    pub async fn transactions_next(
        &self,
        account_id: &str,
        req: &TransactionsNextRequest,
        cid: &CorrelationId,
    ) -> Result<WithMeta<TransactionsResponse>, GatewayError> {
        let url = self.url(&["ob", "Ais", "accounts", account_id, "transactions", "next"])?;
        self.transactions_page(url, "POST /ob/Ais/accounts/{accountId}/transactions/next", req, cid).await
    }

    /// `PUT /ob/Ais/accounts/delete`: removes one account; returns the updated user context.
    pub async fn delete_account(
        &self,
        req: &DeleteRequest,
        cid: &CorrelationId,
    ) -> Result<WithMeta<UserContext>, GatewayError> {
        let url = self.url(&["ob", "Ais", "accounts", "delete"])?;
        self.context(Method::PUT, url, "PUT /ob/Ais/accounts/delete", req, cid).await
    }

    /// `PUT /ob/Ais/consents/delete`: revokes a consent; returns the updated user context.
    pub async fn delete_consent(
        &self,
        req: &DeleteRequest,
        cid: &CorrelationId,
    ) -> Result<WithMeta<UserContext>, GatewayError> {
        let url = self.url(&["ob", "Ais", "consents", "delete"])?;
        self.context(Method::PUT, url, "PUT /ob/Ais/consents/delete", req, cid).await
    }

    fn url(&self, segments: &[&str]) -> Result<Url, GatewayError> {
        let mut url = self.base.clone();
        {
            let mut path =
                url.path_segments_mut().map_err(|()| GatewayError::Config("gateway URL cannot be a base".into()))?;
            path.pop_if_empty();
            // Percent-encodes each segment: an account id cannot break the path.
            path.extend(segments);
        }
        Ok(url)
    }

    /// The delete calls answer with the user context itself: a JSON object (as
    /// in the seed) or a JSON string holding one.
    async fn context<B: Serialize>(
        &self,
        method: Method,
        url: Url,
        endpoint: &'static str,
        body: &B,
        cid: &CorrelationId,
    ) -> Result<WithMeta<UserContext>, GatewayError> {
        let text = self.text(method, url, endpoint, Some(body), cid).await?;
        let raw = text.body.trim();
        let malformed = |reason: &str| malformed(endpoint, 200, reason.to_owned(), raw.as_bytes(), text.meta.clone());
        let ctx = match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(serde_json::Value::Object(_)) => raw.to_owned(),
            Ok(serde_json::Value::String(s)) => s,
            Ok(_) => return Err(malformed("expected the updated user context")),
            Err(e) => return Err(malformed(&e.to_string())),
        };
        Ok(WithMeta { body: UserContext::new(ctx), meta: text.meta })
    }

    async fn json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        endpoint: &'static str,
        body: Option<&B>,
        cid: &CorrelationId,
    ) -> Result<WithMeta<T>, GatewayError> {
        let (status, meta, bytes) = self.exchange(method, url, endpoint, body, cid).await?;
        serde_json::from_slice::<T>(&bytes)
            .map(|body| WithMeta { body, meta: meta.clone() })
            .map_err(|e| malformed(endpoint, status, e.to_string(), &bytes, meta))
    }

    /// A page of transactions. HTTP 206 is the gateway's signal that the
    /// consent is lost: the .NET client sets `isConsentLost` itself on a 206
    /// (the body does not say so), and so does this one — a 206 is never an
    /// ordinary success. A 206 whose body cannot be read is an empty page
    /// that says the consent is lost.
    async fn transactions_page<B: Serialize>(
        &self,
        url: Url,
        endpoint: &'static str,
        req: &B,
        cid: &CorrelationId,
    ) -> Result<WithMeta<TransactionsResponse>, GatewayError> {
        let (status, meta, bytes) = self.exchange(Method::POST, url, endpoint, Some(req), cid).await?;
        if status == 206 {
            let mut body = serde_json::from_slice::<TransactionsResponse>(&bytes).unwrap_or_else(|e| {
                tracing::warn!(endpoint, "an HTTP 206 answer without a readable page ({e}): the consent is lost");
                TransactionsResponse { is_last_page: true, ..TransactionsResponse::default() }
            });
            body.is_consent_lost = Some(true);
            return Ok(WithMeta { body, meta });
        }
        serde_json::from_slice::<TransactionsResponse>(&bytes)
            .map(|body| WithMeta { body, meta: meta.clone() })
            .map_err(|e| malformed(endpoint, status, e.to_string(), &bytes, meta))
    }

    async fn text<B: Serialize>(
        &self,
        method: Method,
        url: Url,
        endpoint: &'static str,
        body: Option<&B>,
        cid: &CorrelationId,
    ) -> Result<WithMeta<String>, GatewayError> {
        let (status, meta, bytes) = self.exchange(method, url, endpoint, body, cid).await?;
        String::from_utf8(bytes)
            .map(|body| WithMeta { body, meta: meta.clone() })
            .map_err(|e| malformed(endpoint, status, format!("not UTF-8: {e}"), &[], meta))
    }

    /// Sends one request and reads the whole body. Non-2xx answers become
    /// [`GatewayError::Status`], decoding the error body on 400/422.
    async fn exchange<B: Serialize>(
        &self,
        method: Method,
        url: Url,
        endpoint: &'static str,
        body: Option<&B>,
        cid: &CorrelationId,
    ) -> Result<(u16, ResponseMeta, Vec<u8>), GatewayError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut req = self
            .http
            .request(method, url)
            .header("X-Request-ID", &request_id)
            .header("X-Correlation-ID", cid.as_str())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(b) = body {
            let json = serde_json::to_vec(b).map_err(|e| GatewayError::Config(e.to_string()))?;
            req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(json);
        }
        let transport = |e: reqwest::Error| GatewayError::Transport {
            endpoint: endpoint.to_owned(),
            timeout: e.is_timeout(),
            message: describe_transport(&e),
        };
        tracing::debug!(endpoint, request_id, correlation_id = cid.as_str(), "gateway call");
        let mut resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let meta = meta_from(resp.headers(), &request_id, cid);
        // Read into one buffer, never past the limit (an endless or huge body
        // ends the call instead of the memory).
        let too_large = |meta: ResponseMeta| {
            let mib = self.max_body >> 20;
            malformed(endpoint, status, format!("the answer is larger than {mib} MiB"), &[], meta)
        };
        let announced = resp.content_length().and_then(|n| usize::try_from(n).ok());
        if announced.is_some_and(|n| n > self.max_body) {
            return Err(too_large(meta));
        }
        let mut bytes = Vec::with_capacity(announced.unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > self.max_body {
                return Err(too_large(meta));
            }
            bytes.extend_from_slice(&chunk);
        }
        if (200..300).contains(&status) {
            return Ok((status, meta, bytes));
        }
        tracing::info!(endpoint, status, operation_id = ?meta.operation_id, "gateway call failed");
        let body = if status == 400 || status == 422 {
            match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(b) => Some(Box::new(b)),
                Err(e) => return Err(malformed(endpoint, status, format!("error body: {e}"), &bytes, meta)),
            }
        } else {
            None
        };
        Err(GatewayError::Status { endpoint: endpoint.to_owned(), status, body, meta: Box::new(meta) })
    }
}

fn meta_from(headers: &HeaderMap, request_id: &str, cid: &CorrelationId) -> ResponseMeta {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    ResponseMeta {
        request_id: request_id.to_owned(),
        correlation_id: cid.as_str().to_owned(),
        operation_id: get("X-Operation-ID"),
    }
}

/// The error for a body that is not what the API documents, quoting its start
/// with secrets redacted (R5).
fn malformed(endpoint: &str, status: u16, reason: String, body: &[u8], meta: ResponseMeta) -> GatewayError {
    GatewayError::Malformed {
        endpoint: endpoint.to_owned(),
        status,
        reason,
        excerpt: excerpt(&redact_secrets(&String::from_utf8_lossy(body)), MAX_BODY_EXCERPT),
        meta: Box::new(meta),
    }
}

/// A one-line cause for a transport failure (reqwest's own chain, without the URL's query).
fn describe_transport(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// `findFlowId` answers a bare string; accept it JSON-quoted too.
fn unquote(text: &str) -> String {
    let t = text.trim();
    serde_json::from_str::<String>(t).unwrap_or_else(|_| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_refuses_a_gateway_it_would_reach_over_plain_http_elsewhere() {
        let client = |u: &str| GatewayClient::new(ClientConfig::new(Url::parse(u).unwrap_or_else(|e| panic!("{e}"))));
        assert!(client("https://gateway.example/").is_ok());
        assert!(client("http://127.0.0.1:8480/").is_ok(), "plain http to this computer");
        assert!(client("http://[::1]:8480/").is_ok());
        for bad in ["http://gateway.example/", "http://192.168.1.2/", "ftp://gateway.example/", "file:///tmp/x"] {
            assert!(matches!(client(bad), Err(GatewayError::Config(_))), "{bad} is refused by the client itself");
        }
    }
}

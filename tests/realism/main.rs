//! The inconvenient parts of real banks, as the sandbox simulates them, seen
//! through Saldo's gateway client: expiring tokens with single-use refresh
//! tokens, stale contexts, expiring consents, the 90-day window, new
//! transactions over time, fault modes, and state that survives restarts.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::time::Duration;

use saldo_e2e::{access_request, client_for, connect, sandbox};
use saldo_gateway::{
    AccountDataRequest, AccountsRequest, ClientConfig, CorrelationId, GatewayClient, GatewayError, UserContext,
};
use saldo_sandbox::{FaultMode, FaultPlan, SandboxConfig};

fn data_req(connector: i64, user: &UserContext) -> AccountDataRequest {
    AccountDataRequest::new(connector, Some(user.clone()), None)
}

const MOCK_ACCOUNT: &str = "64fee1bf-02b2-410c-9524-b03bb585bbc2";

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_old_context_is_then_stale() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let (_, a) = connect(&sb, &client, access_request(&sb, -1, None)).await;
    let fresh = client.balances(MOCK_ACCOUNT, &data_req(-1, &a), &cid).await.unwrap().body;
    assert!(fresh.user_context.is_none(), "no new context while the token is valid");
    sb.advance_clock(chrono::Duration::minutes(11));
    let refreshed = client.balances(MOCK_ACCOUNT, &data_req(-1, &a), &cid).await.unwrap().body;
    let b = refreshed.user_context.expect("R1: the refreshed tokens come back in a new user context");
    assert_ne!(a, b);
    let stale = client.balances(MOCK_ACCOUNT, &data_req(-1, &a), &cid).await.unwrap_err();
    assert_eq!(
        (stale.status(), stale.exception_type()),
        (Some(400), Some("StaleUserContextException")),
        "R1: a consumed refresh token is refused: {stale}"
    );
    assert!(client.balances(MOCK_ACCOUNT, &data_req(-1, &b), &cid).await.is_ok(), "the latest context works");
}

#[tokio::test]
async fn parallel_calls_with_one_context_lose_the_refresh_race() {
    // R3: why calls for one user context must be sequential.
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let (_, a) = connect(&sb, &client, access_request(&sb, 973, None)).await;
    sb.advance_clock(chrono::Duration::minutes(11));
    let cid = CorrelationId::new();
    let accounts = [
        "ES018202000000000000000000040780458",
        "ES018202000000000500000000361786695",
        "ES018202000000000500000000361787589",
    ];
    let calls = accounts.map(|id| {
        let (client, a, cid) = (client.clone(), a.clone(), cid.clone());
        tokio::spawn(async move { client.balances(id, &data_req(973, &a), &cid).await })
    });
    let mut ok = 0;
    let mut stale = 0;
    for c in calls {
        match c.await.unwrap() {
            Ok(r) => {
                assert!(r.body.user_context.is_some(), "the winner gets the rotated context");
                ok += 1;
            }
            Err(e) if e.exception_type() == Some("StaleUserContextException") => stale += 1,
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!((ok, stale), (1, 2), "exactly one parallel call may use the refresh token");
}

#[tokio::test]
async fn an_error_body_can_carry_a_new_user_context_that_must_be_kept() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let (_, a) = connect(&sb, &client, access_request(&sb, -1, None)).await;
    sb.advance_clock(chrono::Duration::minutes(11));
    let err = client.balances("no-such-account", &data_req(-1, &a), &cid).await.unwrap_err();
    let b = err.user_context().cloned().expect("R1: the 400 body carries the refreshed context");
    assert!(
        client.balances(MOCK_ACCOUNT, &data_req(-1, &b), &cid).await.is_ok(),
        "the context from the error body is the valid one"
    );
    assert!(client.balances(MOCK_ACCOUNT, &data_req(-1, &a), &cid).await.is_err(), "the old one is stale");
}

#[tokio::test]
async fn an_expired_consent_is_reported_lost_and_needs_sca_again() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let (_, user) = connect(&sb, &client, access_request(&sb, 43, None).with_ibans(&["AT099900000000001511"])).await;
    let acc = client.accounts(&AccountsRequest::new(43, Some(user.clone())), &cid).await.unwrap().body;
    let valid_until = acc.accounts[0].transactions_consent.as_ref().unwrap().valid_until.clone().unwrap();
    let days = (valid_until.date() - chrono::Utc::now().date_naive()).num_days();
    assert!((88..=89).contains(&days), "R15: validUntil honours maxConsentDuration 89 (got {days} days)");
    sb.advance_clock(chrono::Duration::days(90));
    let tx = client.transactions("AT099900000000001511", &data_req(43, &user), &cid).await.unwrap().body;
    assert_eq!(tx.is_consent_lost, Some(true), "R11: transactions say the consent is lost");
    let bal = client.balances("AT099900000000001511", &data_req(43, &user), &cid).await.unwrap().body;
    assert_eq!(bal.is_consent_lost, Some(true), "balances too");
    let err = client.accounts(&AccountsRequest::new(43, Some(user)), &cid).await.unwrap_err();
    assert_eq!(err.exception_type(), Some("ConsentExpiredException"), "{err}");
}

trait WithIbans {
    fn with_ibans(self, ibans: &[&str]) -> Self;
}
impl WithIbans for saldo_gateway::AccessRequest {
    fn with_ibans(mut self, ibans: &[&str]) -> Self {
        let refs: Vec<_> = ibans.iter().map(|i| saldo_gateway::AccountReference::iban(*i)).collect();
        self.accounts_access_request.transaction_accounts = Some(refs.clone());
        self.accounts_access_request.balance_accounts = Some(refs);
        self
    }
}

async fn count_all(
    client: &GatewayClient,
    connector: i64,
    user: &mut UserContext,
    account: &str,
) -> (usize, chrono::NaiveDate) {
    let cid = CorrelationId::new();
    let mut page = client.transactions(account, &data_req(connector, user), &cid).await.unwrap().body;
    if let Some(u) = page.user_context.clone() {
        *user = u;
    }
    let mut n = page.transactions.len();
    let mut oldest = page.transactions.last().map(|t| t.execution_date.as_ref().unwrap().date()).unwrap_or_default();
    while !page.is_last_page {
        let next = saldo_gateway::TransactionsNextRequest::new(
            connector,
            Some(user.clone()),
            page.pager_context.clone().unwrap(),
            None,
        );
        page = client.transactions_next(account, &next, &cid).await.unwrap().body;
        if let Some(u) = page.user_context.clone() {
            *user = u;
        }
        n += page.transactions.len();
        if let Some(t) = page.transactions.last() {
            oldest = t.execution_date.as_ref().unwrap().date();
        }
    }
    (n, oldest)
}

#[tokio::test]
async fn full_history_right_after_sca_then_90_days_and_new_transactions_over_time() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let (_, mut user) = connect(&sb, &client, access_request(&sb, -1, None)).await;
    let (full, oldest) = count_all(&client, -1, &mut user, MOCK_ACCOUNT).await;
    let today = chrono::Utc::now().date_naive();
    assert!((today - oldest).num_days() > 600, "R18: the first sync after SCA reaches the whole history");
    sb.advance_clock(chrono::Duration::hours(2));
    let (window, oldest) = count_all(&client, -1, &mut user, MOCK_ACCOUNT).await;
    assert!(window < full / 5, "R18: without fresh SCA only 90 days ({window} of {full})");
    assert!((today - oldest).num_days() <= 90, "nothing older than 90 days");
    sb.advance_clock(chrono::Duration::days(10));
    let newest =
        client.transactions(MOCK_ACCOUNT, &data_req(-1, &user), &CorrelationId::new()).await.unwrap().body.transactions
            [0]
        .execution_date
        .clone()
        .unwrap()
        .date();
    assert!(newest > today, "new transactions appear as days pass (newest {newest}, was today {today})");
}

#[tokio::test]
async fn every_fault_mode_gives_the_client_a_clear_error() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = GatewayClient::new(ClientConfig {
        request_timeout: Duration::from_millis(800),
        ..ClientConfig::new(url::Url::parse(sb.base_url()).unwrap())
    })
    .unwrap();
    let (_, user) = connect(&sb, &client, access_request(&sb, -1, None)).await;
    let cid = CorrelationId::new();
    let req = data_req(-1, &user);
    let call = || client.transactions(MOCK_ACCOUNT, &req, &cid);

    sb.set_fault(FaultPlan::next(FaultMode::Http500, 1));
    let e = call().await.unwrap_err();
    assert!(matches!(e, GatewayError::Status { status: 500, body: None, .. }) && e.is_transient(), "500: {e:?}");
    sb.set_fault(FaultPlan::next(FaultMode::Http503, 1));
    assert!(matches!(call().await.unwrap_err(), GatewayError::Status { status: 503, .. }));
    sb.set_fault(FaultPlan::next(FaultMode::Malformed, 1));
    let e = call().await.unwrap_err();
    assert!(
        matches!(&e, GatewayError::Malformed { endpoint, .. } if endpoint.contains("/transactions")),
        "malformed names the endpoint: {e:?}"
    );
    sb.set_fault(FaultPlan::next(FaultMode::Truncated, 1));
    let e = call().await.unwrap_err();
    assert!(matches!(e, GatewayError::Malformed { status: 200, .. }), "a cut body is malformed: {e:?}");
    sb.set_fault(FaultPlan::next(FaultMode::Drop, 1));
    let e = call().await.unwrap_err();
    assert!(
        matches!(e, GatewayError::Transport { timeout: false, .. }),
        "a dropped connection is a transport error: {e:?}"
    );
    sb.set_fault(FaultPlan { delay_ms: Some(5_000), ..FaultPlan::next(FaultMode::Timeout, 1) });
    let e = call().await.unwrap_err();
    assert!(matches!(e, GatewayError::Transport { timeout: true, .. }), "a hang is a timeout: {e:?}");
    sb.set_fault(FaultPlan { delay_ms: Some(200), ..FaultPlan::next(FaultMode::Slow, 1) });
    let started = std::time::Instant::now();
    assert!(call().await.is_ok(), "slow answers still arrive");
    assert!(started.elapsed() >= Duration::from_millis(200), "and are slow");
    assert!(call().await.is_ok(), "after the counted faults, calls succeed again");
}

#[tokio::test]
async fn malformed_answers_never_quote_a_secret() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let (_, user) = connect(&sb, &client, access_request(&sb, -1, None)).await;
    sb.advance_clock(chrono::Duration::minutes(11));
    // The truncated answer carries the rotated user context (with its tokens) in its first half.
    sb.set_fault(FaultPlan::next(FaultMode::Truncated, 1));
    let e = client.accounts(&AccountsRequest::new(-1, Some(user.clone())), &CorrelationId::new()).await.unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("Bearer ") || shown.contains("Bearer <redacted>"), "R5: no token in errors: {shown}");
    assert!(!shown.contains("RefreshToken\\\":\\\""), "R5: no refresh token in errors: {shown}");
    // The truncated call was processed: the bank rotated the tokens, so the old context is now stale.
    let stale = client.balances(MOCK_ACCOUNT, &data_req(-1, &user), &CorrelationId::new()).await.unwrap_err();
    assert_eq!(
        stale.exception_type(),
        Some("StaleUserContextException"),
        "a lost answer can cost the refresh token: why R1 and R16 matter"
    );
}

#[tokio::test]
async fn faults_switch_at_run_time_over_http_and_at_start() {
    let sb = sandbox(SandboxConfig { fault: FaultPlan::next(FaultMode::Http503, 1), ..SandboxConfig::default() }).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    assert_eq!(client.banks("BE", &cid).await.unwrap_err().status(), Some(503), "the start fault applies");
    assert!(client.banks("BE", &cid).await.is_ok());
    let http = reqwest::Client::new();
    let r = http
        .put(format!("{}/sandbox/faults", sb.base_url()))
        .body(r#"{"mode":"http500","pathContains":"/banks"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(client.banks("BE", &cid).await.unwrap_err().status(), Some(500));
    assert!(client.access_options(973, &cid).await.is_ok(), "other paths unaffected");
    let r = http.put(format!("{}/sandbox/faults", sb.base_url())).body("{\"mode\":\"explode\"}").send().await.unwrap();
    assert_eq!(r.status(), 400, "an unknown mode is refused");
    http.delete(format!("{}/sandbox/faults", sb.base_url())).send().await.unwrap();
    assert!(client.banks("BE", &cid).await.is_ok(), "cleared");
    let stats: serde_json::Value = serde_json::from_str(
        &http.get(format!("{}/sandbox/stats", sb.base_url())).send().await.unwrap().text().await.unwrap(),
    )
    .unwrap();
    assert!(stats["calls"]["GET /ob/banks"].as_u64().unwrap() >= 4, "calls are counted: {stats}");
}

#[tokio::test]
async fn state_survives_a_restart_and_a_corrupt_file_is_refused_untouched() {
    let tmp = tempfile::Builder::new().prefix("saldo-sbx-").tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let file = dir.join("state.json");
    let config = SandboxConfig { state_file: Some(file.clone()), ..SandboxConfig::default() };
    let sb = sandbox(config.clone()).await;
    let client = client_for(&sb);
    let (_, user) = connect(&sb, &client, access_request(&sb, -1, None)).await;
    let before = client.transactions(MOCK_ACCOUNT, &data_req(-1, &user), &CorrelationId::new()).await.unwrap().body;
    sb.stop().await;

    let sb = sandbox(config.clone()).await;
    let client = client_for(&sb);
    let after = client.transactions(MOCK_ACCOUNT, &data_req(-1, &user), &CorrelationId::new()).await.unwrap().body;
    assert_eq!(before.transactions, after.transactions, "the connection and its data survive a restart");
    sb.stop().await;

    std::fs::write(&file, b"{not json").unwrap();
    let err = saldo_sandbox::start_local(config).await.err().expect("a corrupt state file stops the start");
    assert!(err.to_string().contains("corrupt"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"{not json", "the file is left untouched");
}

#[tokio::test]
async fn paths_are_case_insensitive_and_ids_keep_their_case() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let (_, user) = connect(&sb, &client, access_request(&sb, 43, None).with_ibans(&["AT099900000000001511"])).await;
    let http = reqwest::Client::new();
    let r = http.get(format!("{}/OB/AIS/ACCESS/OPTIONS/973", sb.base_url())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = serde_json::to_string(&data_req(43, &user)).unwrap();
    let r = http
        .post(format!("{}/ob/ais/Accounts/AT099900000000001511/BALANCES", sb.base_url()))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "mixed-case fixed segments with a case-sensitive id");
}

#[tokio::test]
async fn the_volume_bank_serves_large_histories_deterministically() {
    let config = SandboxConfig { volume_transactions: 20_000, ..SandboxConfig::default() };
    let sb = sandbox(config.clone()).await;
    let client = client_for(&sb);
    let (_, mut user) = connect(&sb, &client, access_request(&sb, -2, None)).await;
    let (n, _) = count_all(&client, -2, &mut user, "volume-account-1").await;
    let today = chrono::Utc::now().date_naive();
    let epoch = sb.app().state().epoch;
    let conn = sb.app().connectors.iter().find(|c| c.id == -2).unwrap();
    let expected = saldo_sandbox::data::visible_count(epoch, &conn.accounts[0], today);
    assert_eq!(n as u64, expected, "every visible transaction, once");
    assert!(n > 18_000, "large volumes on request ({n})");
}

#[tokio::test]
async fn requests_carry_correlation_headers() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let a = client.banks("BE", &cid).await.unwrap().meta;
    let b = client.banks("BE", &cid).await.unwrap().meta;
    assert_eq!(a.correlation_id, cid.as_str(), "one correlation id per user action");
    assert_ne!(a.request_id, b.request_id, "a new request id per call");
    assert!(a.operation_id.is_some() && a.operation_id != b.operation_id, "the gateway's operation id is kept");
    let err = client.access_options(12345, &cid).await.unwrap_err();
    assert!(err.meta().and_then(|m| m.operation_id.clone()).is_some(), "errors keep the operation id for tracing");
}

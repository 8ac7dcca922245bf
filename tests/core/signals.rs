//! The gateway's signals as the real gateway sends them, against a stub
//! gateway on 127.0.0.1 (a named stand-in: it answers exactly one scenario,
//! which neither our sandbox's defaults nor a real bank can be made to
//! produce on demand): HTTP 206 on a transactions call means the consent is
//! lost (R11), and RETRY repeats a flow call.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use saldo_core::sync::{self, Outcome, Scope, SyncOptions};
use saldo_gateway::{
    Account, AccountsResponse, BalancesResponse, ClientConfig, GatewayClient, Transaction, TransactionsResponse,
    UserContext,
};
use saldo_store::states::ConnectionStatus;
use saldo_store::transactions::PageCommit;
use saldo_store::Store;

mod support;

/// Serves `router` on a free loopback port; returns its base URL.
async fn serve(router: Router) -> url::Url {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url::Url::parse(&format!("http://{addr}/")).unwrap()
}

fn one_transaction() -> Transaction {
    serde_json::from_value(serde_json::json!({
        "id": "T-1", "amount": -12.5, "currency": "EUR", "description": "kept",
        "executionDate": "2026-11-02T00:00:00", "valueDate": "2026-11-02T00:00:00"
    }))
    .unwrap()
}

#[tokio::test]
async fn a_206_on_transactions_ends_the_sync_as_reconnect_and_keeps_every_stored_transaction() {
    let transactions_calls = Arc::new(AtomicU32::new(0));
    let calls = transactions_calls.clone();
    let router = Router::new()
        .route(
            "/ob/Ais/accounts",
            post(|| async {
                Json(AccountsResponse {
                    accounts: vec![Account::new("ACC-1", "EUR", Some("BE68539007547034".into()))],
                    user_context: Some(UserContext::new("ctx-2")),
                    raw_response: None,
                })
            }),
        )
        .route(
            "/ob/Ais/accounts/ACC-1/balances",
            post(|| async {
                Json(BalancesResponse {
                    balances: vec![],
                    user_context: None,
                    raw_response: None,
                    is_consent_lost: None,
                })
            }),
        )
        .route(
            "/ob/Ais/accounts/ACC-1/transactions",
            post(move || {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    // What the real gateway sends when the consent is lost: 206,
                    // a well-formed page, and nothing in the body saying so.
                    let page = TransactionsResponse {
                        transactions: vec![],
                        is_first_page: true,
                        is_last_page: true,
                        ..TransactionsResponse::default()
                    };
                    (StatusCode::PARTIAL_CONTENT, Json(page))
                }
            }),
        );
    let client = GatewayClient::new(ClientConfig::new(serve(router).await)).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("saldo.db"), &saldo_vault::DbKey::generate().unwrap()).unwrap();
    let now = Utc::now();
    let conn = store.insert_connection(1, "Stub Bank", "BE", &UserContext::new("ctx-1"), now).unwrap();
    let account = store.apply_accounts(conn, &[Account::new("ACC-1", "EUR", None)], now).unwrap().added[0];
    store.set_account_enabled(account, true, now).unwrap();
    let run = store
        .start_sync_run(conn, saldo_store::states::SyncScope::Transactions, saldo_store::states::Trigger::User, now)
        .unwrap();
    let earlier = [one_transaction()];
    store.commit_page(&PageCommit::new(conn, account, run, &earlier), now).unwrap();

    let opts = SyncOptions::new(&tmp.path().join("locks"));
    let (_, outcome) = sync::sync_connection(&mut store, &client, conn, Scope::Transactions, &opts).await.unwrap();
    assert_eq!(transactions_calls.load(Ordering::SeqCst), 1, "the transactions call was made");
    assert!(
        matches!(outcome, Outcome::NeedsReconnect { .. }),
        "R11: HTTP 206 on transactions means the consent is lost, not success: {outcome:?}"
    );
    assert_eq!(store.connection(conn).unwrap().unwrap().status, ConnectionStatus::NeedsReconnect);
    assert_eq!(store.transaction_count(account).unwrap(), 1, "R11: every stored transaction is kept");
    assert_eq!(store.user_context(conn).unwrap().unwrap().expose(), "ctx-2", "R1: the accounts call's context");
}

#[tokio::test]
async fn a_retry_answer_sends_the_same_flow_call_again_and_too_many_end_the_flow_clearly() {
    use saldo_core::connect::{self, Next};
    use saldo_sandbox::{FaultMode, FaultPlan, SandboxConfig};
    let sb = saldo_sandbox::start_local(SandboxConfig::default()).await.unwrap();
    let client = GatewayClient::new(ClientConfig::new(url::Url::parse(sb.base_url()).unwrap())).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("saldo.db"), &saldo_vault::DbKey::generate().unwrap()).unwrap();
    let request = support::request(-1);
    let access = |sb: &saldo_sandbox::SandboxHandle| {
        sb.stats().into_iter().filter(|(k, _)| k == "POST /ob/ais/access").map(|(_, n)| n).sum::<u64>()
    };

    // Twice RETRY, then the gateway takes the call: the flow goes on.
    sb.set_fault(FaultPlan::next(FaultMode::Retry, 2).on_path("POST /ob/ais/access"));
    let next = connect::start(&mut store, &client, &request, Utc::now()).await.unwrap();
    assert!(matches!(next, Next::OpenBrowser { .. }), "after two RETRY answers the third call is taken: {next:?}");
    assert_eq!(access(&sb), 3, "the same call, sent three times");

    // The gateway keeps answering RETRY: a bounded number of tries, then one clear sentence.
    sb.set_fault(FaultPlan::always(FaultMode::Retry).on_path("POST /ob/ais/access"));
    let next = connect::start(&mut store, &client, &request, Utc::now()).await.unwrap();
    let Next::Failed { message, .. } = next else { panic!("a flow the gateway never takes fails: {next:?}") };
    assert!(message.contains("try again later"), "{message}");
    assert_eq!(access(&sb), 3 + u64::from(connect::RETRY_ATTEMPTS), "bounded: {} tries", connect::RETRY_ATTEMPTS);
}

#[tokio::test]
async fn the_sandbox_says_a_lost_consent_with_http_206_like_the_real_gateway_and_the_client_reads_it() {
    use saldo_gateway::{AccountDataRequest, AccountReference, CorrelationId};
    const ACCOUNT: &str = "AT099900000000001511";
    let config = saldo_sandbox::SandboxConfig { consent_loss_as_206: true, ..Default::default() };
    let sb = saldo_sandbox::start_local(config).await.unwrap();
    let client = GatewayClient::new(ClientConfig::new(url::Url::parse(sb.base_url()).unwrap())).unwrap();
    let mut access = saldo_e2e::access_request(&sb, 43, None);
    access.accounts_access_request.transaction_accounts = Some(vec![AccountReference::iban(ACCOUNT)]);
    access.accounts_access_request.balance_accounts = Some(vec![AccountReference::iban(ACCOUNT)]);
    let (_, user) = saldo_e2e::connect(&sb, &client, access).await;
    sb.advance_clock(chrono::Duration::days(90)); // the bank's consent (89 days) has run out
    let req = AccountDataRequest::new(43, Some(user.clone()), None);
    // On the wire: 206, and the body does not say the consent is lost.
    let raw = reqwest::Client::new()
        .post(format!("{}/ob/Ais/accounts/{ACCOUNT}/transactions", sb.base_url()))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&req).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 206);
    let body: serde_json::Value = serde_json::from_slice(&raw.bytes().await.unwrap()).unwrap();
    assert!(body.get("isConsentLost").is_none(), "only the status says it: {body}");
    // The client reads it as the .NET client does.
    let page = client.transactions(ACCOUNT, &req, &CorrelationId::new()).await.unwrap().body;
    assert_eq!(page.is_consent_lost, Some(true), "R11: a 206 is a lost consent, not a page of data");
}

#[tokio::test]
async fn a_bank_logo_reaches_the_window_as_data_and_only_if_it_is_an_image() {
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let client = GatewayClient::new(ClientConfig::new(url::Url::parse(sb.base_url()).unwrap())).unwrap();
    let banks = client.banks("BE", &saldo_gateway::CorrelationId::new()).await.unwrap().body;
    let logo_url = banks[0].logo_url.clone().expect("the sandbox's catalog has logos");
    let logo = client.logo(&logo_url).await.expect("an image");
    assert!(logo.starts_with("data:image/svg+xml;base64,"), "{}", &logo[..40.min(logo.len())]);
    let json = format!("{}/ob/banks?countryCode=BE", sb.base_url());
    assert_eq!(client.logo(&json).await, None, "an answer that is not an image is no logo");
    assert_eq!(client.logo("file:///etc/passwd").await, None, "nor is a local file");
    assert_eq!(client.logo("http://gateway.example/logo.png").await, None, "nor plain http elsewhere");
}

#[tokio::test]
async fn every_flow_call_names_saldo_to_the_gateway_with_the_flow_id() {
    use axum::routing::get;
    use saldo_core::connect::{self, Next, TppIdentity};
    use std::sync::Mutex;
    let seen: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let (post_seen, put_seen) = (seen.clone(), seen.clone());
    let router = Router::new()
        .route(
            "/ob/Ais/access/options/{id}",
            get(|| async {
                Json(serde_json::json!({"maxConsentDuration": 90, "accessOption": 0, "currencyOption": 0,
                    "linkingOption": 1, "accountSchemes": [], "additionalPropertiesRequested": []}))
            }),
        )
        .route(
            "/ob/Ais/access",
            post(move |Json(body): Json<serde_json::Value>| async move {
                post_seen.lock().unwrap().push(body);
                Json(serde_json::json!({"resultStatus": 2, "statusInfo": 0, "flowContext": "fc",
                    "dataString": "https://bank.example/sca"}))
            })
            .put(move |Json(body): Json<serde_json::Value>| async move {
                put_seen.lock().unwrap().push(body);
                Json(serde_json::json!({"resultStatus": 7, "statusInfo": 0, "dataString": "stub: stop here"}))
            }),
        );
    let client = GatewayClient::new(ClientConfig::new(serve(router).await)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("saldo.db"), &saldo_vault::DbKey::generate().unwrap()).unwrap();
    let identity = TppIdentity { tpp_id: "tpp-given-by-operator".into(), app: "Saldo test".into() };
    let mut request = support::request(1);
    request.identity = Some(identity);
    let Next::OpenBrowser { flow_id, .. } = connect::start(&mut store, &client, &request, Utc::now()).await.unwrap()
    else {
        panic!()
    };
    let callback = format!("saldo://callback?flowId={flow_id}&code=x");
    let _ = connect::handle_callback(&mut store, &client, &callback, Utc::now()).await.unwrap();
    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls.len(), 2, "the start and the continuation");
    for body in calls {
        let tpp = &body["tppContext"];
        assert_eq!(tpp["tppId"], "tpp-given-by-operator", "{body}");
        assert_eq!(tpp["app"], "Saldo test");
        assert_eq!(tpp["flow"], flow_id.as_str(), "the flow id on every call of the flow");
    }
}

#[tokio::test]
async fn terms_come_in_the_persons_language_and_registration_needs_the_current_version() {
    use saldo_gateway::{CorrelationId, NewUser};
    let sb = saldo_sandbox::start_local(saldo_sandbox::SandboxConfig::default()).await.unwrap();
    let client = GatewayClient::new(ClientConfig::new(url::Url::parse(sb.base_url()).unwrap())).unwrap();
    let cid = CorrelationId::new();
    let fr = client.terms("fr", &cid).await.unwrap().body;
    assert_eq!(fr.language.as_deref(), Some("fr"));
    assert!(fr.tc.contains("Conditions") && fr.available_languages.contains(&"nl".to_owned()), "{fr:?}");
    let other = client.terms("xx", &cid).await.unwrap().body;
    assert_eq!(other.language.as_deref(), Some("en"), "English when the language is not offered");

    let person = |version: i64| NewUser {
        firstname: "Anna".into(),
        lastname: "Peeters".into(),
        email: "anna@example.org".into(),
        cell_phone: None,
        vatid: None,
        external_ref: None,
        date_of_birth: Some("1990-04-01T00:00:00".into()),
        validated_version_tc: version,
    };
    let err = client.register(&person(fr.version + 1), &cid).await.unwrap_err();
    assert_eq!(err.exception_type(), Some("TermsVersionException"), "{err}");
    let registered = client.register(&person(fr.version), &cid).await.unwrap().body;
    assert_eq!(registered.action.as_deref(), Some("OK"));
    assert!(registered.user_context.is_some(), "R1: the person's first user context");
    assert!(!format!("{:?}", person(1)).contains("anna@"), "personal data stays out of Debug");
    let accepted = client.accepted_terms(&registered.psuid, &cid).await.unwrap().body;
    assert_eq!(accepted.version, fr.version);
    // A newer version: the person's acceptance is now out of date.
    let newer = sb.bump_terms();
    assert_eq!(client.terms("en", &cid).await.unwrap().body.version, newer);
    assert!(client.accepted_terms(&registered.psuid, &cid).await.unwrap().body.version < newer, "must accept again");
}

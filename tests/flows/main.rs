//! Every sandbox connector's connect flow, run through Saldo's gateway client
//! against the real sandbox server, with a simulated person on the bank's
//! pages (fetched and submitted over HTTP as a browser would).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use saldo_e2e::{access_request, client_for, connect, query_of, sandbox, uuid_like};
use saldo_gateway::{
    AccessContinueRequest, AccessOption, AccountDataRequest, AccountReference, AccountsRequest, BankStatus,
    CorrelationId, GatewayClient, GatewayError, LinkingOption, ResultStatus, StatusInfo, TransactionsNextRequest,
    UserContext,
};
use saldo_sandbox::psu::{Browser, Decision, Outcome};
use saldo_sandbox::SandboxConfig;

async fn accounts(client: &GatewayClient, connector: i64, user: &UserContext) -> Vec<String> {
    let r = client
        .accounts(&AccountsRequest::new(connector, Some(user.clone())), &CorrelationId::new())
        .await
        .expect("accounts")
        .body;
    assert!(r.user_context.is_none(), "no token rotation expected within the token lifetime");
    r.accounts.into_iter().map(|a| a.id).collect()
}

fn data_req(connector: i64, user: &UserContext) -> AccountDataRequest {
    AccountDataRequest::new(connector, Some(user.clone()), Some("127.0.0.1".into()))
}

/// Fetches every page of an account (R4: each page's pager context feeds the next call).
async fn all_transactions(
    client: &GatewayClient,
    connector: i64,
    user: &UserContext,
    account: &str,
) -> (Vec<saldo_gateway::Transaction>, usize) {
    let cid = CorrelationId::new();
    let mut page = client.transactions(account, &data_req(connector, user), &cid).await.expect("first page").body;
    assert!(page.is_first_page, "the first page says so");
    let mut all = page.transactions.clone();
    let mut pages = 1;
    while !page.is_last_page {
        let next = TransactionsNextRequest::new(
            connector,
            Some(user.clone()),
            page.pager_context.clone().expect("pager context on a non-last page"),
            Some("127.0.0.1".into()),
        );
        page = client.transactions_next(account, &next, &cid).await.expect("next page").body;
        assert!(!page.is_first_page, "later pages are not first");
        all.extend(page.transactions.clone());
        pages += 1;
        assert!(pages < 10_000, "paging terminates");
    }
    (all, pages)
}

#[tokio::test]
async fn catalog_lists_banks_per_country_with_their_status() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    for cc in ["BE", "NL", "DE", "FR", "ES", "AT"] {
        let banks = client.banks(cc, &CorrelationId::new()).await.unwrap().body;
        assert!(!banks.is_empty(), "{cc} has banks");
        assert!(banks.iter().all(|b| b.country_iso == cc), "only {cc} banks");
        for b in &banks {
            let logo = reqwest::get(b.logo_url.clone().unwrap()).await.unwrap();
            assert_eq!(logo.status(), 200, "logo of {} is served", b.fullname);
        }
    }
    let be = client.banks("be", &CorrelationId::new()).await.unwrap().body;
    let down = be.iter().find(|b| b.connector_id == 106).expect("the offline bank is listed");
    assert_eq!(down.status, BankStatus::Unavailable);
    let err = client.access_options(106, &CorrelationId::new()).await.unwrap_err();
    assert!(
        matches!(err, GatewayError::Status { status: 503, body: None, .. }),
        "a bank that is down answers 503 without a body: {err:?}"
    );
}

#[tokio::test]
async fn connector_973_oauth_with_pkce_two_redirects_then_done() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let req = access_request(&sb, 973, None);
    let flow_id = req.accounts_access_request.flow_id.clone().unwrap();
    let first = client.request_access(&req, &cid).await.unwrap();
    assert!(first.meta.operation_id.is_some(), "X-Operation-ID is kept from the response");
    let first = first.body;
    assert_eq!(first.result_status, ResultStatus::Redirect);
    let url = first.data_string.clone().unwrap();
    assert!(
        url.contains("/bank/973/authorize?response_type=code")
            && url.contains("code_challenge_method=S256")
            && url.contains(&format!("state={flow_id}")),
        "{url}"
    );
    let user = first.user_context.clone().expect("a new person gets a user context");
    let Outcome::Redirected(cb) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else {
        panic!("redirect expected")
    };
    assert!(
        cb.starts_with(&format!("{}/demo/callback?code=", sb.base_url())),
        "back to the redirectUrl with a code: {cb}"
    );
    let found = client.find_flow_id(&query_of(&cb), &cid).await.unwrap().body;
    assert_eq!(found, flow_id, "findFlowId identifies the flow from the callback (R6)");
    let second = client
        .continue_access(
            &AccessContinueRequest::new(first.flow_context.clone().unwrap(), Some(query_of(&cb)), Some(user)),
            &cid,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(second.result_status, ResultStatus::Redirect, "a second SCA redirect, as in the seed");
    let user = second.user_context.clone().expect("after the first PUT the context holds the consent (R1)");
    let Outcome::Redirected(cb2) =
        Browser::new().authorize(second.data_string.as_deref().unwrap(), Decision::Approve).await.unwrap()
    else {
        panic!()
    };
    let done = client
        .continue_access(
            &AccessContinueRequest::new(second.flow_context.clone().unwrap(), Some(query_of(&cb2)), Some(user)),
            &cid,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(done.result_status, ResultStatus::Done);
    assert!(done.flow_context.is_none(), "no flow context after DONE");
    let user = done.user_context.unwrap();
    let ids = accounts(&client, 973, &user).await;
    assert_eq!(ids.len(), 7, "the seed's seven accounts");
    assert!(ids.contains(&"ES018202000000000500000000361787594".to_owned()));
    let bal = client.balances("ES018202000000000500000000361787594", &data_req(973, &user), &cid).await.unwrap().body;
    assert_eq!(bal.balances[0].balance_type.as_str(), "OPBD", "973 reports the opening booked balance, as in the seed");

    // Replaying the finished flow is refused (R7).
    let replay = client
        .continue_access(&AccessContinueRequest::new(second.flow_context.unwrap(), Some(query_of(&cb2)), None), &cid)
        .await
        .unwrap_err();
    assert_eq!(replay.exception_type(), Some("FlowCompletedException"), "{replay}");
}

#[tokio::test]
async fn connector_973_rejects_a_tampered_pkce_verifier() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let first = client.request_access(&access_request(&sb, 973, None), &cid).await.unwrap().body;
    let Outcome::Redirected(cb) =
        Browser::new().authorize(first.data_string.as_deref().unwrap(), Decision::Approve).await.unwrap()
    else {
        panic!()
    };
    // A flow context whose code verifier was tampered with.
    let tampered = first.flow_context.clone().unwrap().expose().replace("\"CodeVerifier\":\"", "\"CodeVerifier\":\"x");
    let err = client
        .continue_access(
            &AccessContinueRequest::new(saldo_gateway::FlowContext::new(tampered), Some(query_of(&cb)), None),
            &cid,
        )
        .await
        .unwrap_err();
    assert_eq!(err.exception_type(), Some("PkceVerificationException"), "{err}");
    let ok = client
        .continue_access(
            &AccessContinueRequest::new(first.flow_context.clone().unwrap(), Some(query_of(&cb)), None),
            &cid,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(ok.result_status, ResultStatus::Redirect);
}

#[tokio::test]
async fn connector_43_detailed_needs_ibans_and_linked_replaces_the_old_consent() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let opts = client.access_options(43, &cid).await.unwrap().body;
    assert_eq!((opts.access_option, opts.linking_option), (AccessOption::Detailed, LinkingOption::Linked), "R8");
    let err = client.request_access(&access_request(&sb, 43, None), &cid).await.unwrap_err();
    assert_eq!(err.status(), Some(422), "DETAILED without IBANs is refused: {err}");
    let mut req = access_request(&sb, 43, None);
    req.accounts_access_request.transaction_accounts = Some(vec![AccountReference::iban("AT099900000000001511")]);
    req.accounts_access_request.balance_accounts = Some(vec![AccountReference::iban("AT099900000000001511")]);
    let started = client.request_access(&req, &cid).await.unwrap().body;
    let url = started.data_string.clone().unwrap();
    assert!(url.contains("/bank/43/psd2?consent_id=") && url.contains("redirectBackUrl="), "{url}");
    let (done, user1) = connect(&sb, &client, req.clone_with_new_flow()).await;
    assert_eq!(done.result_status, ResultStatus::Done);
    assert_eq!(accounts(&client, 43, &user1).await, ["AT099900000000001511"], "only the IBAN consented to");
    let tx = client.transactions("AT099900000000001511", &data_req(43, &user1), &cid).await.unwrap().body;
    assert_ne!(tx.is_consent_lost, Some(true));
    // A new consent at a LINKED bank invalidates the previous one.
    let mut req2 = access_request(&sb, 43, Some(user1.clone()));
    req2.accounts_access_request.transaction_accounts = Some(vec![AccountReference::iban("AT439900000000010017")]);
    let (_, user2) = connect(&sb, &client, req2).await;
    let old = client.transactions("AT099900000000001511", &data_req(43, &user1), &cid).await.unwrap().body;
    assert_eq!(old.is_consent_lost, Some(true), "the old consent is lost after a new one (LINKED)");
    assert_eq!(accounts(&client, 43, &user2).await, ["AT439900000000010017"]);
}

trait NewFlow {
    fn clone_with_new_flow(&self) -> Self;
}
impl NewFlow for saldo_gateway::AccessRequest {
    fn clone_with_new_flow(&self) -> Self {
        let mut r = self.clone();
        r.accounts_access_request.flow_id = Some(uuid_like());
        r
    }
}

#[tokio::test]
async fn mock_bank_pages_through_thousands_of_transactions_with_twins_and_odd_text() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let (done, user) = connect(&sb, &client, access_request(&sb, -1, None)).await;
    assert_eq!(done.result_status, ResultStatus::Done);
    let ids = accounts(&client, -1, &user).await;
    assert_eq!(ids.len(), 3);
    let (txs, pages) = all_transactions(&client, -1, &user, &ids[0]).await;
    assert!(txs.len() > 2000 && pages > 20, "hundreds to thousands over many pages: {} in {pages}", txs.len());
    let mut bank_ids: Vec<&str> = txs.iter().map(|t| t.id.as_deref().unwrap()).collect();
    bank_ids.sort_unstable();
    bank_ids.dedup();
    assert_eq!(bank_ids.len(), txs.len(), "paging neither repeats nor skips: ids are unique");
    let twins = txs.windows(2).filter(|w| {
        let (a, b) = (&w[0], &w[1]);
        a.amount == b.amount
            && a.execution_date == b.execution_date
            && a.counterpart_name == b.counterpart_name
            && a.description == b.description
            && a.id != b.id
    });
    assert!(twins.count() >= 10, "R16: genuine identical twins are in the data");
    assert!(
        txs.iter().any(|t| t.description.as_deref().is_some_and(|d| d.contains("<script>"))),
        "hostile text is in the data"
    );
    assert!(
        txs.iter().any(|t| t.counterpart_name.as_deref().is_some_and(|d| d.contains('東'))),
        "unicode is in the data"
    );
    let dates: Vec<_> = txs.iter().map(|t| t.execution_date.as_ref().unwrap().date()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first across pages");
    let kwd = ids.iter().find(|id| id.starts_with("0b7e")).unwrap();
    let (ktx, _) = all_transactions(&client, -1, &user, kwd).await;
    assert!(
        ktx.iter().all(|t| t.amount.0.scale() == 3 && t.currency.as_deref() == Some("KWD")),
        "KWD amounts have 3 decimals"
    );
}

#[tokio::test]
async fn connector_101_select_option_then_redirect_without_transaction_ids() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let first = client.request_access(&access_request(&sb, 101, None), &cid).await.unwrap().body;
    assert_eq!(first.result_status, ResultStatus::SelectOption);
    let options = first.options.clone().unwrap();
    assert!(options.contains_key("sms") && options.contains_key("push"), "{options:?}");
    let bad = client
        .continue_access(
            &AccessContinueRequest::new(
                first.flow_context.clone().unwrap(),
                Some("fax".into()),
                first.user_context.clone(),
            ),
            &cid,
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(422), "an option not offered is refused");
    let chosen = client
        .continue_access(
            &AccessContinueRequest::new(
                first.flow_context.clone().unwrap(),
                Some("sms".into()),
                first.user_context.clone(),
            ),
            &cid,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(chosen.result_status, ResultStatus::Redirect);
    let Outcome::Redirected(cb) =
        Browser::new().authorize(chosen.data_string.as_deref().unwrap(), Decision::Approve).await.unwrap()
    else {
        panic!()
    };
    let done = client
        .continue_access(
            &AccessContinueRequest::new(chosen.flow_context.unwrap(), Some(query_of(&cb)), first.user_context.clone()),
            &cid,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(done.result_status, ResultStatus::Done);
    let user = done.user_context.unwrap();
    let (txs, _) = all_transactions(&client, 101, &user, "NL-SBN-001").await;
    assert!(txs.iter().all(|t| t.id.is_none()), "this bank sends transactions without id (R16)");
    let (jpy, _) = all_transactions(&client, 101, &user, "NL-SBN-JPY").await;
    assert!(jpy.iter().all(|t| t.amount.0.scale() == 0), "JPY amounts have no decimals");
}

#[tokio::test]
async fn connector_102_decoupled_polls_until_the_person_confirms_and_accounts_come_and_go() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let req = access_request(&sb, 102, None);
    let flow_id = req.accounts_access_request.flow_id.clone().unwrap();
    let first = client.request_access(&req, &cid).await.unwrap().body;
    assert_eq!(first.result_status, ResultStatus::Decoupled);
    assert!(first.data_string.as_deref().unwrap().contains("/bank/102/app"), "tells the person where to confirm");
    let poll = |flow: saldo_gateway::FlowContext| AccessContinueRequest {
        flow,
        data_string: None,
        user_context: first.user_context.clone(),
        bank_settings: None,
        tpp_context: None,
    };
    let waiting = client.continue_access(&poll(first.flow_context.clone().unwrap()), &cid).await.unwrap().body;
    assert_eq!(waiting.result_status, ResultStatus::Decoupled, "still waiting before the person confirms");
    let app_page = reqwest::get(format!("{}/bank/102/app", sb.base_url())).await.unwrap().text().await.unwrap();
    assert!(app_page.contains(&flow_id), "the banking app lists the pending request");
    Browser::new().decide_in_app(sb.base_url(), 102, &flow_id, Decision::Approve).await.unwrap();
    let done = client.continue_access(&poll(waiting.flow_context.unwrap()), &cid).await.unwrap().body;
    assert_eq!(done.result_status, ResultStatus::Done);
    let user = done.user_context.unwrap();
    assert_eq!(accounts(&client, 102, &user).await, ["DE-SPK-GIRO", "DE-SPK-KARTE"], "first sync");
    assert_eq!(
        accounts(&client, 102, &user).await,
        ["DE-SPK-GIRO", "DE-SPK-TAGESGELD", "DE-SPK-KARTE"],
        "a new account appears"
    );
    assert_eq!(accounts(&client, 102, &user).await, ["DE-SPK-GIRO", "DE-SPK-TAGESGELD"], "a closed account disappears");
}

#[tokio::test]
async fn connector_103_requires_its_additional_property() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let opts = client.access_options(103, &cid).await.unwrap().body;
    let prop = &opts.additional_properties_requested[0];
    assert!(prop.required && prop.name == "psuId", "{prop:?}");
    let err = client.request_access(&access_request(&sb, 103, None), &cid).await.unwrap_err();
    assert_eq!((err.status(), err.exception_type()), (Some(422), Some("MissingAdditionalPropertyException")), "{err}");
    let mut req = access_request(&sb, 103, None);
    req.accounts_access_request.additional_properties = Some([("psuId".to_owned(), "12ab".to_owned())].into());
    assert_eq!(client.request_access(&req, &cid).await.unwrap_err().status(), Some(422), "the template is enforced");
    req.accounts_access_request.additional_properties = Some([("psuId".to_owned(), "12345678".to_owned())].into());
    let (done, user) = connect(&sb, &client, req).await;
    assert_eq!(done.result_status, ResultStatus::Done);
    assert_eq!(accounts(&client, 103, &user).await, ["FR-SBF-001"]);
}

#[tokio::test]
async fn connector_105_does_not_call_back() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let first = client.request_access(&access_request(&sb, 105, None), &cid).await.unwrap().body;
    assert_eq!((first.result_status, first.status_info), (ResultStatus::Redirect, StatusInfo::NoCallback));
    let early = client
        .continue_access(
            &AccessContinueRequest::new(
                first.flow_context.clone().unwrap(),
                Some(String::new()),
                first.user_context.clone(),
            ),
            &cid,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(early.result_status, ResultStatus::Redirect, "not done before the person approves");
    let outcome = Browser::new().authorize(first.data_string.as_deref().unwrap(), Decision::Approve).await.unwrap();
    assert!(matches!(&outcome, Outcome::Page(html) if html.contains("return to your app")), "no redirect: {outcome:?}");
    let done = client
        .continue_access(
            &AccessContinueRequest::new(early.flow_context.unwrap(), Some(String::new()), first.user_context.clone()),
            &cid,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(done.result_status, ResultStatus::Done);
}

#[tokio::test]
async fn a_denied_flow_ends_in_error_and_a_new_flow_still_works() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let first = client.request_access(&access_request(&sb, -1, None), &cid).await.unwrap().body;
    let user = first.user_context.clone();
    let Outcome::Redirected(cb) =
        Browser::new().authorize(first.data_string.as_deref().unwrap(), Decision::Deny).await.unwrap()
    else {
        panic!()
    };
    assert!(cb.contains("error=access_denied"), "{cb}");
    let denied = client
        .continue_access(
            &AccessContinueRequest::new(first.flow_context.clone().unwrap(), Some(query_of(&cb)), user.clone()),
            &cid,
        )
        .await
        .unwrap()
        .body;
    assert_eq!(denied.result_status, ResultStatus::Error, "deny leads to an error result");
    assert!(denied.data_string.as_deref().unwrap().contains("denied"), "with a reason");
    // R7: a failed flow leaves the person able to start again.
    let (done, user) = connect(&sb, &client, access_request(&sb, -1, user)).await;
    assert_eq!(done.result_status, ResultStatus::Done);
    assert_eq!(accounts(&client, -1, &user).await.len(), 3);
}

#[tokio::test]
async fn bank_pages_reject_unknown_used_and_expired_flows() {
    let sb = sandbox(SandboxConfig { flow_ttl: chrono::Duration::minutes(5), ..SandboxConfig::default() }).await;
    let client = client_for(&sb);
    let unknown = reqwest::get(format!("{}/bank/-1/login?flow=nope", sb.base_url())).await.unwrap();
    assert_eq!(unknown.status(), 404);
    let first = client.request_access(&access_request(&sb, -1, None), &CorrelationId::new()).await.unwrap().body;
    sb.advance_clock(chrono::Duration::minutes(6));
    let expired = reqwest::get(first.data_string.unwrap()).await.unwrap();
    assert_eq!(expired.status(), 410, "an expired sign-in link says so");
    let err = client
        .continue_access(
            &AccessContinueRequest::new(first.flow_context.unwrap(), Some("?flowId=x".into()), None),
            &CorrelationId::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.exception_type(), Some("FlowExpiredException"));
}

#[tokio::test]
async fn deleting_an_account_and_a_consent_returns_the_updated_context() {
    let sb = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sb);
    let cid = CorrelationId::new();
    let (_, user) = connect(&sb, &client, access_request(&sb, -1, None)).await;
    let ids = accounts(&client, -1, &user).await;
    let req = |id: &str, user: &UserContext| saldo_gateway::DeleteRequest::new(id, -1, Some(user.clone()));
    let user = client.delete_account(&req(&ids[1], &user), &cid).await.unwrap().body;
    assert!(!user.expose().contains(&ids[1]), "the account left the user context");
    assert_eq!(accounts(&client, -1, &user).await.len(), 2, "one account fewer");
    let consent = client.accounts(&AccountsRequest::new(-1, Some(user.clone())), &cid).await.unwrap().body.accounts[0]
        .transactions_consent
        .clone()
        .unwrap()
        .consent_id
        .unwrap();
    let user = client.delete_consent(&req(&consent, &user), &cid).await.unwrap().body;
    let after = client.transactions(&ids[0], &data_req(-1, &user), &cid).await;
    assert!(
        matches!(&after, Err(e) if e.status() == Some(400))
            || matches!(&after, Ok(r) if r.body.is_consent_lost == Some(true)),
        "no data after revocation: {after:?}"
    );
}

#[test]
fn connect_requests_carry_a_flow_id() {
    // Guards the helper: every flow needs its own id (R7).
    assert_ne!(uuid_like(), uuid_like());
}

//! Connecting each kind of sandbox bank through the core (R6–R8, R12, R19),
//! with a simulated person on the bank's pages and the real encrypted store.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use chrono::Utc;
use saldo_core::connect::{self, Next, RedirectKind};
use saldo_core::CoreError;
use saldo_sandbox::psu::{Browser, Decision, Outcome};
use saldo_sandbox::SandboxHandle;
use saldo_store::Store;

mod support;

use support::{request, world};

fn api_calls(sb: &SandboxHandle) -> u64 {
    sb.stats().values().sum()
}

/// Approves on the bank page; returns the `saldo://` URL the OS would hand to the app.
async fn approve(url: &str) -> String {
    match Browser::new().authorize(url, Decision::Approve).await.unwrap() {
        Outcome::Redirected(cb) => cb,
        Outcome::Page(p) => panic!("expected a redirect, got a page: {}", &p[..p.len().min(200)]),
    }
}

/// Runs redirects until the flow ends.
async fn drive(w: &mut support::World, mut next: Next) -> Next {
    for _ in 0..4 {
        match next {
            Next::OpenBrowser { url, no_callback: false, .. } => {
                let cb = approve(&url).await;
                assert!(cb.starts_with("saldo://callback?"), "the bank calls back on the deep link: {cb}");
                next = connect::handle_callback(&mut w.store, &w.client, &cb, Utc::now()).await.unwrap();
            }
            other => return other,
        }
    }
    next
}

#[tokio::test]
async fn every_redirect_bank_connects_and_its_accounts_arrive_disabled() {
    for (connector, accounts) in [(-1, 3), (973, 7)] {
        let mut w = world().await;
        let next = connect::start(&mut w.store, &w.client, &request(connector), Utc::now()).await.unwrap();
        let Next::Connected { connection_id, new_accounts, .. } = drive(&mut w, next).await else {
            panic!("connector {connector} did not connect")
        };
        assert_eq!(new_accounts, accounts, "connector {connector}: accounts discovered");
        let stored = w.store.accounts(Some(connection_id), true).unwrap();
        assert!(stored.iter().all(|a| !a.enabled), "R12: new accounts are disabled until the person enables them");
        assert!(w.store.user_context(connection_id).unwrap().is_some(), "R1: the user context is stored");
        assert_eq!(w.store.connections().unwrap()[0].status, saldo_store::states::ConnectionStatus::Active);
    }
}

#[tokio::test]
async fn a_detailed_bank_needs_valid_ibans_before_any_request() {
    let mut w = world().await;
    let before = api_calls(&w.sb);
    let mut req = request(43);
    req.ibans = vec!["AT09 9900 0000 0000 1512".into()];
    let err = connect::start(&mut w.store, &w.client, &req, Utc::now()).await.unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid(m) if m.contains("check digits")),
        "a mistyped IBAN is caught locally: {err}"
    );
    assert_eq!(api_calls(&w.sb), before, "no gateway call for an invalid IBAN");
    req.ibans = vec![];
    let err = connect::start(&mut w.store, &w.client, &req, Utc::now()).await.unwrap_err();
    assert!(matches!(&err, CoreError::Invalid(m) if m.contains("IBAN")), "R8: DETAILED needs account numbers: {err}");
    req.ibans = vec!["at09 9900 0000 0000 1511".into()];
    let next = connect::start(&mut w.store, &w.client, &req, Utc::now()).await.unwrap();
    let Next::Connected { new_accounts, .. } = drive(&mut w, next).await else { panic!("43 did not connect") };
    assert_eq!(new_accounts, 1, "only the consented account");
}

#[tokio::test]
async fn select_option_decoupled_and_no_callback_banks_connect() {
    let mut w = world().await;
    let Next::ChooseOption { flow_id, options } =
        connect::start(&mut w.store, &w.client, &request(101), Utc::now()).await.unwrap()
    else {
        panic!()
    };
    assert!(options.contains_key("sms"));
    assert!(
        matches!(
            connect::choose_option(&mut w.store, &w.client, &flow_id, "fax", Utc::now()).await,
            Err(CoreError::Invalid(_))
        ),
        "only offered options"
    );
    let next = connect::choose_option(&mut w.store, &w.client, &flow_id, "sms", Utc::now()).await.unwrap();
    assert!(matches!(drive(&mut w, next).await, Next::Connected { .. }), "SELECT_OPTION bank connected");

    let Next::WaitDecoupled { flow_id, .. } =
        connect::start(&mut w.store, &w.client, &request(102), Utc::now()).await.unwrap()
    else {
        panic!()
    };
    assert!(
        matches!(
            connect::poll_decoupled(&mut w.store, &w.client, &flow_id, Utc::now()).await.unwrap(),
            Next::WaitDecoupled { .. }
        ),
        "still waiting"
    );
    assert!(w.sb.decide_decoupled(&flow_id, true), "the person confirms in the app");
    assert!(matches!(
        connect::poll_decoupled(&mut w.store, &w.client, &flow_id, Utc::now()).await.unwrap(),
        Next::Connected { .. }
    ));

    let Next::OpenBrowser { flow_id, url, no_callback: true } =
        connect::start(&mut w.store, &w.client, &request(105), Utc::now()).await.unwrap()
    else {
        panic!()
    };
    assert!(matches!(Browser::new().authorize(&url, Decision::Approve).await.unwrap(), Outcome::Page(_)));
    assert!(matches!(
        connect::continue_without_callback(&mut w.store, &w.client, &flow_id, Utc::now()).await.unwrap(),
        Next::Connected { .. }
    ));
    assert_eq!(w.store.connections().unwrap().len(), 3);
}

#[tokio::test]
async fn forged_replayed_cancelled_and_expired_callbacks_are_rejected_without_a_gateway_call() {
    let mut w = world().await;
    let Next::OpenBrowser { flow_id, url, .. } =
        connect::start(&mut w.store, &w.client, &request(973), Utc::now()).await.unwrap()
    else {
        panic!()
    };
    let first_cb = approve(&url).await;
    let before = api_calls(&w.sb);
    for forged in
        ["saldo://callback?state=11111111-2222-3333-4444-555555555555&code=x", "saldo://callback?code=x", "not a url"]
    {
        let err = connect::handle_callback(&mut w.store, &w.client, forged, Utc::now()).await.unwrap_err();
        assert!(matches!(err, CoreError::CallbackRejected(_)), "R19: {forged} is rejected: {err}");
    }
    assert_eq!(api_calls(&w.sb), before, "R19: forged callbacks cause no gateway call");

    let Next::OpenBrowser { url: second, .. } =
        connect::handle_callback(&mut w.store, &w.client, &first_cb, Utc::now()).await.unwrap()
    else {
        panic!()
    };
    let before = api_calls(&w.sb);
    let err = connect::handle_callback(&mut w.store, &w.client, &first_cb, Utc::now()).await.unwrap_err();
    assert!(
        matches!(&err, CoreError::CallbackRejected(m) if m.contains("already used")),
        "R19: a replayed callback is refused: {err}"
    );
    assert_eq!(api_calls(&w.sb), before, "no gateway call for a replay");

    assert!(connect::cancel(&w.store, &flow_id, Utc::now()).unwrap(), "R7: the person can cancel a pending flow");
    let second_cb = approve(&second).await;
    let err = connect::handle_callback(&mut w.store, &w.client, &second_cb, Utc::now()).await.unwrap_err();
    assert!(matches!(&err, CoreError::CallbackRejected(m) if m.contains("cancelled")), "{err}");

    let Next::OpenBrowser { url, .. } =
        connect::start(&mut w.store, &w.client, &request(-1), Utc::now()).await.unwrap()
    else {
        panic!()
    };
    let cb = approve(&url).await;
    let before = api_calls(&w.sb);
    let later = Utc::now() + connect::FLOW_TTL + chrono::Duration::minutes(1);
    let err = connect::handle_callback(&mut w.store, &w.client, &cb, later).await.unwrap_err();
    assert!(matches!(&err, CoreError::CallbackRejected(m) if m.contains("expired")), "R7: an expired flow: {err}");
    assert_eq!(api_calls(&w.sb), before, "no gateway call for an expired flow");
}

#[tokio::test]
async fn a_denied_flow_fails_cleanly_and_a_new_one_succeeds() {
    let mut w = world().await;
    let Next::OpenBrowser { url, .. } =
        connect::start(&mut w.store, &w.client, &request(-1), Utc::now()).await.unwrap()
    else {
        panic!()
    };
    let Outcome::Redirected(cb) = Browser::new().authorize(&url, Decision::Deny).await.unwrap() else { panic!() };
    let next = connect::handle_callback(&mut w.store, &w.client, &cb, Utc::now()).await.unwrap();
    assert!(matches!(&next, Next::Failed { message, .. } if message.contains("denied")), "{next:?}");
    assert!(w.store.connections().unwrap().is_empty(), "no connection from a denied flow");
    let next = connect::start(&mut w.store, &w.client, &request(-1), Utc::now()).await.unwrap();
    assert!(matches!(drive(&mut w, next).await, Next::Connected { .. }), "R7: a new flow works after a failed one");
}

#[tokio::test]
async fn reconsent_keeps_the_connection_and_its_history() {
    let mut w = world().await;
    let next = connect::start(&mut w.store, &w.client, &request(-1), Utc::now()).await.unwrap();
    let Next::Connected { connection_id, .. } = drive(&mut w, next).await else { panic!() };
    let old_ctx = w.store.user_context(connection_id).unwrap();
    let mut req = request(-1);
    req.reconnect = Some(connection_id);
    let next = connect::start(&mut w.store, &w.client, &req, Utc::now()).await.unwrap();
    let Next::Connected { connection_id: again, new_accounts, .. } = drive(&mut w, next).await else { panic!() };
    assert_eq!(again, connection_id, "R15: re-consent updates the same connection");
    assert_eq!(new_accounts, 0, "its accounts are already known");
    assert_ne!(w.store.user_context(connection_id).unwrap(), old_ctx, "R1: the new consent's context replaced the old");
    assert_eq!(w.store.connections().unwrap().len(), 1);

    // Another bank cannot renew this connection's consent: refused before any gateway call.
    let calls = |sb: &saldo_sandbox::SandboxHandle| sb.stats().values().sum::<u64>();
    let before = calls(&w.sb);
    let mut other = request(973);
    other.reconnect = Some(connection_id);
    let err = connect::start(&mut w.store, &w.client, &other, Utc::now()).await.unwrap_err();
    assert!(matches!(&err, CoreError::Invalid(m) if m.contains("same bank")), "{err}");
    assert_eq!(calls(&w.sb), before, "no gateway call was made");
    assert_eq!(w.store.pending_flows().unwrap().len(), 0, "no flow was started");
}

#[tokio::test]
async fn flows_survive_a_restart_of_the_app() {
    let mut w = world().await;
    let Next::OpenBrowser { url, .. } =
        connect::start(&mut w.store, &w.client, &request(-1), Utc::now()).await.unwrap()
    else {
        panic!()
    };
    let cb = approve(&url).await;
    // Restart: the store is closed and the file opened again.
    let path = w.store.path().to_path_buf();
    let reopened = Store::open(&path, &w.key).unwrap();
    w.store = reopened;
    assert_eq!(w.store.pending_flows().unwrap().len(), 1, "the pending flow is persisted");
    let next = connect::handle_callback(&mut w.store, &w.client, &cb, Utc::now()).await.unwrap();
    assert!(matches!(next, Next::Connected { .. }));
    assert!(w.store.pending_flows().unwrap().is_empty());
}

#[tokio::test]
async fn the_loopback_redirect_receives_the_callback_like_a_browser_delivers_it() {
    let mut w = world().await;
    let listener = saldo_core::loopback::LoopbackListener::bind().await.unwrap();
    let mut req = request(-1);
    req.redirect_url = listener.redirect_url();
    req.redirect_kind = RedirectKind::Loopback;
    let Next::OpenBrowser { url, flow_id, .. } =
        connect::start(&mut w.store, &w.client, &req, Utc::now()).await.unwrap()
    else {
        panic!()
    };
    let browser = async {
        let Outcome::Redirected(location) = Browser::new().authorize(&url, Decision::Approve).await.unwrap() else {
            panic!()
        };
        assert!(location.starts_with("http://127.0.0.1:"), "the bank redirects to the loopback listener: {location}");
        // The browser follows the redirect (and asks for a favicon, which is ignored).
        let _ = reqwest::get(location.replace("/callback?", "/favicon.ico?")).await;
        let page = reqwest::get(&location).await.unwrap().text().await.unwrap();
        assert!(page.contains("close this tab"), "the person sees where to go next");
        location
    };
    let (got, location) = tokio::join!(listener.wait(&flow_id, std::time::Duration::from_secs(20)), browser);
    let got = got.unwrap();
    assert_eq!(got, location, "the listener hands over the callback URL");
    assert!(matches!(
        connect::handle_callback(&mut w.store, &w.client, &got, Utc::now()).await.unwrap(),
        Next::Connected { .. }
    ));
}

#[tokio::test]
async fn the_loopback_listener_cannot_be_held_or_consumed_by_another_local_process() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = saldo_core::loopback::LoopbackListener::bind().await.unwrap();
    let base = listener.redirect_url(); // http://127.0.0.1:PORT/callback
    let host = base.trim_start_matches("http://").trim_end_matches("/callback").to_owned();
    let flow = "3f1c2d4e-0000-4000-8000-000000000001";
    let send = |request: String| {
        let host = host.clone();
        async move {
            let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
            s.write_all(request.as_bytes()).await.unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer).await;
            answer
        }
    };
    let attacker = async {
        // An idle connection first: it must not hold the listener.
        let idle = tokio::net::TcpStream::connect(&host).await.unwrap();
        // A callback for another flow, one with a foreign Host (DNS rebinding), a POST.
        let other = send(format!("GET /callback?flowId=someone-else HTTP/1.1\r\nHost: {host}\r\n\r\n")).await;
        let rebound = send(format!("GET /callback?flowId={flow} HTTP/1.1\r\nHost: evil.example\r\n\r\n")).await;
        let posted = send(format!("POST /callback?flowId={flow} HTTP/1.1\r\nHost: {host}\r\n\r\n")).await;
        // Then the real browser.
        let real = send(format!("GET /callback?flowId={flow}&code=ok HTTP/1.1\r\nHost: {host}\r\n\r\n")).await;
        drop(idle);
        (other, rebound, posted, real)
    };
    let (got, (other, rebound, posted, real)) =
        tokio::join!(listener.wait(flow, std::time::Duration::from_secs(20)), attacker);
    for (what, answer) in [("another flow", &other), ("a foreign Host", &rebound), ("a POST", &posted)] {
        assert!(answer.starts_with("HTTP/1.1 404"), "{what} gets a 404: {answer}");
    }
    assert!(real.starts_with("HTTP/1.1 200"), "{real}");
    let got = got.expect("the right callback arrives despite the idle connection and the wrong ones");
    assert!(got.ends_with(&format!("/callback?flowId={flow}&code=ok")), "{got}");
}

#[tokio::test]
async fn a_card_reader_bank_asks_questions_wrong_answers_are_asked_again_and_the_right_ones_connect() {
    // MORE_INFO then PASSWORD: the bank's question arrives in dataString and
    // the answer goes back in the next PUT (R6). A wrong answer is asked
    // again; the answers are never stored.
    let mut w = world().await;
    let Next::AskInput { flow_id, prompt, secret: false } =
        connect::start(&mut w.store, &w.client, &request(107), Utc::now()).await.unwrap()
    else {
        panic!("a client number is asked first")
    };
    assert_eq!(prompt, saldo_sandbox::api::CLIENT_NUMBER_PROMPT);
    let calls = api_calls(&w.sb);
    let empty = connect::answer(&mut w.store, &w.client, &flow_id, "  ", Utc::now()).await.unwrap_err();
    assert!(matches!(empty, CoreError::Invalid(_)), "{empty}");
    assert_eq!(api_calls(&w.sb), calls, "an empty answer is refused locally");
    let again = connect::answer(&mut w.store, &w.client, &flow_id, "12345", Utc::now()).await.unwrap();
    let Next::AskInput { prompt, secret: false, .. } = again else { panic!("asked again: {again:?}") };
    assert!(prompt.starts_with("That is not a 10-digit client number."), "{prompt}");

    let next = connect::answer(&mut w.store, &w.client, &flow_id, "0123 4567 89", Utc::now()).await.unwrap();
    let Next::AskInput { prompt, secret: true, .. } = next else { panic!("then a code, as a secret: {next:?}") };
    let challenge = saldo_sandbox::psu::challenge_in(&prompt).unwrap();
    assert_eq!(challenge.len(), 9, "8 digits in two groups: {prompt}");
    let wrong = connect::answer(&mut w.store, &w.client, &flow_id, "00000000", Utc::now()).await.unwrap();
    let Next::AskInput { prompt: retry, secret: true, .. } = wrong else { panic!("{wrong:?}") };
    assert!(retry.starts_with("That response code is not right.") && retry.contains(&challenge), "{retry}");

    let code = saldo_sandbox::api::card_reader_response(&challenge);
    let done = connect::answer(&mut w.store, &w.client, &flow_id, &code, Utc::now()).await.unwrap();
    let Next::Connected { connection_id, new_accounts: 2, .. } = done else { panic!("{done:?}") };
    assert!(w.store.accounts(Some(connection_id), false).unwrap().iter().all(|a| !a.enabled), "R12");
    let flow = w.store.flow(&flow_id).unwrap().unwrap();
    assert!(!flow.details.contains(&code) && !flow.details.contains("0123"), "answers are not kept: {}", flow.details);
    let replay = connect::answer(&mut w.store, &w.client, &flow_id, &code, Utc::now()).await.unwrap_err();
    assert!(matches!(replay, CoreError::CallbackRejected(_)), "a finished flow takes no more answers: {replay}");
}

#[tokio::test]
async fn three_wrong_codes_end_the_flow_clearly_and_a_new_one_can_start() {
    let mut w = world().await;
    let Next::AskInput { flow_id, .. } =
        connect::start(&mut w.store, &w.client, &request(107), Utc::now()).await.unwrap()
    else {
        panic!()
    };
    connect::answer(&mut w.store, &w.client, &flow_id, "0123456789", Utc::now()).await.unwrap();
    let mut last = None;
    for _ in 0..3 {
        last = Some(connect::answer(&mut w.store, &w.client, &flow_id, "99999999", Utc::now()).await.unwrap());
    }
    let Some(Next::Failed { message, .. }) = last else { panic!("{last:?}") };
    assert!(message.contains("3 wrong answers"), "the bank's reason is shown: {message}");
    assert_eq!(w.store.flow(&flow_id).unwrap().unwrap().state, saldo_store::states::FlowState::Exception, "R7");
    assert!(w.store.connections().unwrap().is_empty(), "no connection from a failed flow");
    assert!(
        matches!(
            connect::start(&mut w.store, &w.client, &request(107), Utc::now()).await.unwrap(),
            Next::AskInput { .. }
        ),
        "R7: a new flow may be started"
    );
}

#[tokio::test]
async fn a_replayed_callback_is_refused_whatever_its_parameter_order_and_the_flow_goes_on() {
    let mut w = world().await;
    let Next::OpenBrowser { url, .. } =
        connect::start(&mut w.store, &w.client, &request(973), Utc::now()).await.unwrap()
    else {
        panic!()
    };
    let first = approve(&url).await;
    let next = connect::handle_callback(&mut w.store, &w.client, &first, Utc::now()).await.unwrap();
    let Next::OpenBrowser { url: second_url, .. } = next else { panic!("973 asks a second confirmation: {next:?}") };

    // The first link again, its parameters shuffled: still a replay (R19).
    let parsed = url::Url::parse(&first).unwrap();
    let mut pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    pairs.reverse();
    let shuffled = format!(
        "saldo://callback?{}",
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish()
    );
    assert_ne!(shuffled, first, "the replay differs as a string");
    let err = connect::handle_callback(&mut w.store, &w.client, &shuffled, Utc::now()).await.unwrap_err();
    assert!(matches!(&err, CoreError::CallbackRejected(m) if m.contains("already used")), "R19: {err}");

    // The next link through another channel than the flow's (a loopback
    // address for a deep-link flow) is refused too, and consumes nothing.
    let second = approve(&second_url).await;
    let elsewhere = second.replacen("saldo://callback", "http://127.0.0.1:9/callback", 1);
    let err = connect::handle_callback(&mut w.store, &w.client, &elsewhere, Utc::now()).await.unwrap_err();
    assert!(matches!(&err, CoreError::CallbackRejected(m) if m.contains("did not come the way")), "{err}");

    // The flow is still alive: the real next link connects.
    let done = connect::handle_callback(&mut w.store, &w.client, &second, Utc::now()).await.unwrap();
    assert!(matches!(done, Next::Connected { .. }), "the replay did not break the flow: {done:?}");
}

#[tokio::test]
async fn the_countries_are_the_gateways_and_each_has_banks() {
    let w = world().await;
    let countries = connect::countries(&w.client).await.unwrap();
    let all = w.client.banks_all(&saldo_gateway::CorrelationId::new()).await.unwrap();
    let mut served: Vec<String> = all.iter().map(|b| b.country_iso.to_ascii_uppercase()).collect();
    served.sort();
    served.dedup();
    assert_eq!(countries, served, "every country of the catalog, once, sorted");
    let mut counted = 0;
    for c in &countries {
        let banks = w.client.banks(c, &saldo_gateway::CorrelationId::new()).await.unwrap().body;
        assert!(!banks.is_empty(), "{c} has banks");
        counted += banks.len();
    }
    assert_eq!(counted, all.len(), "the countries reach every bank of the catalog");
}

//! The simulated banks' web pages: sign-in and approval pages a real browser
//! can open, which send the person back to the client's `redirectUrl` with the
//! query string the gateway expects; the banking-app page for decoupled SCA;
//! an index page; and bank logos.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;

use crate::api::with_query;
use crate::banks::{Connector, ScaStyle};
use crate::state::{AuthCode, Step};
use crate::App;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#eef1f5;margin:0;color:#1d2733}\
main{max-width:420px;margin:48px auto;background:#fff;border-radius:14px;box-shadow:0 6px 24px #0002;padding:28px 32px}\
header{display:flex;align-items:center;gap:12px;margin-bottom:8px}header img{width:44px;height:44px}\
h1{font-size:20px;margin:0}p.note{font-size:13px;color:#5b6776;background:#f6f8fb;border-radius:8px;padding:8px 10px}\
label{display:block;font-size:14px;margin:14px 0 4px}input{width:100%;box-sizing:border-box;padding:10px;border:1px solid #c6ceda;border-radius:8px;font-size:15px}\
.row{display:flex;gap:10px;margin-top:22px}button{flex:1;padding:11px;border:0;border-radius:8px;font-size:15px;cursor:pointer}\
button.approve{background:#1f6feb;color:#fff}button.deny{background:#e9edf2;color:#1d2733}.err{color:#b42318;font-size:14px}\
table{width:100%;border-collapse:collapse}td{padding:6px 4px;border-bottom:1px solid #eef1f5;font-size:14px}";

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    );
    (
        [
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(html),
    )
        .into_response()
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let mut r = page(
        "Sandbox bank",
        &format!("<h1>Sign-in link not valid</h1><p class=\"err\" id=\"error\">{}</p>", esc(message)),
    );
    *r.status_mut() = status;
    r
}

fn bank_header(c: &Connector) -> String {
    format!(
        "<header><img alt=\"\" src=\"/logos/{}.svg\"><h1>{}</h1></header>\
<p class=\"note\">Saldo sandbox — a simulated bank. Any user name and password work; nothing real is accessed.</p>",
        c.id,
        esc(c.name)
    )
}

fn login_form(c: &Connector, flow_id: &str, stage: &str, error: Option<&str>) -> Response {
    let fields = if stage == "login" {
        "<label for=\"username\">User name</label><input id=\"username\" name=\"username\" autocomplete=\"username\">\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\">"
    } else {
        "<p>Confirm access to your account information with your security device.</p>\
<label for=\"otp\">Security code</label><input id=\"otp\" name=\"password\" inputmode=\"numeric\" value=\"123456\">"
    };
    let err = error.map(|e| format!("<p class=\"err\" id=\"error\">{}</p>", esc(e))).unwrap_or_default();
    let title = if stage == "login" { "Sign in" } else { "Confirm access" };
    page(
        &format!("{} — {title}", c.name),
        &format!(
            "{}<h2>{title}</h2><p>An app asks to read your account information (balances and transactions).</p>{err}\
<form method=\"post\" action=\"/bank/{}/submit\"><input type=\"hidden\" name=\"flow\" value=\"{}\"><input type=\"hidden\" name=\"stage\" value=\"{stage}\">{fields}\
<div class=\"row\"><button class=\"deny\" name=\"action\" value=\"deny\" id=\"deny\">Deny</button>\
<button class=\"approve\" name=\"action\" value=\"approve\" id=\"approve\">Approve</button></div></form>",
            bank_header(c),
            c.id,
            esc(flow_id)
        ),
    )
}

/// Finds the flow a bank page is for, checking connector, state and expiry.
fn page_flow(
    app: &App,
    connector: i64,
    flow_id: Option<&String>,
    expected: &[Step],
) -> Result<(Connector, crate::state::Flow), Box<Response>> {
    let c = app
        .connectors
        .iter()
        .find(|c| c.id == connector)
        .cloned()
        .ok_or_else(|| Box::new(error_page(StatusCode::NOT_FOUND, "No such bank.")))?;
    let st = app.state();
    let flow = flow_id.and_then(|id| st.flows.get(id)).cloned();
    match flow {
        Some(f) if f.connector_id == connector && st.now() <= f.expires_at && expected.contains(&f.step) => Ok((c, f)),
        Some(f) if matches!(f.step, Step::Done | Step::Failed) => {
            Err(Box::new(error_page(StatusCode::GONE, "This sign-in was already completed. Go back to your app.")))
        }
        Some(f) if st.now() > f.expires_at => {
            Err(Box::new(error_page(StatusCode::GONE, "This sign-in link has expired. Start again from your app.")))
        }
        _ => Err(Box::new(error_page(StatusCode::NOT_FOUND, "This sign-in link is not valid."))),
    }
}

/// `GET /bank/{id}/authorize` (OAuth), `/psd2`, `/login`: the sign-in page.
pub async fn sign_in(
    AxState(app): AxState<Arc<App>>,
    Path(connector): Path<i64>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let flow_id = q.get("state").or_else(|| q.get("flow")).cloned().or_else(|| {
        // The AT bank identifies the flow through its consent.
        let consent = q.get("consent_id")?;
        app.state().flows.values().find(|f| &f.consent_id == consent).map(|f| f.id.clone())
    });
    match page_flow(&app, connector, flow_id.as_ref(), &[Step::FirstCallback, Step::NoCallback]) {
        Ok((c, f)) => login_form(&c, &f.id, "login", None),
        Err(r) => *r,
    }
}

/// `GET /bank/{id}/sca`: the second SCA step of OAuth banks.
pub async fn second_factor(
    AxState(app): AxState<Arc<App>>,
    Path(connector): Path<i64>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    match page_flow(&app, connector, q.get("state"), &[Step::SecondCallback]) {
        Ok((c, f)) => login_form(&c, &f.id, "sca", None),
        Err(r) => *r,
    }
}

/// The sign-in form's fields.
#[derive(serde::Deserialize)]
pub struct Submit {
    flow: String,
    stage: String,
    action: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn redirect(location: &str) -> Response {
    let body = format!("<p>Returning to your app… <a id=\"continue\" href=\"{0}\">Continue</a></p>", esc(location));
    let mut r = page("Returning to your app", &body);
    *r.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = header::HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// `POST /bank/{id}/submit`: approve or deny; then back to the app.
pub async fn submit(AxState(app): AxState<Arc<App>>, Path(connector): Path<i64>, Form(form): Form<Submit>) -> Response {
    let (c, flow) = match page_flow(
        &app,
        connector,
        Some(&form.flow),
        &[Step::FirstCallback, Step::SecondCallback, Step::NoCallback],
    ) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let approve = form.action == "approve";
    if approve && form.stage == "login" && (form.username.trim().is_empty() || form.password.is_empty()) {
        let mut r = login_form(&c, &flow.id, "login", Some("Enter your user name and password."));
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return r;
    }
    let mut st = app.state();
    let now = st.now();
    let redirect_url = flow.redirect_url.clone().unwrap_or_default();
    let enc_flow: String = url::form_urlencoded::byte_serialize(flow.id.as_bytes()).collect();
    let location = if !approve {
        if let Some(f) = st.flows.get_mut(&flow.id) {
            f.approved = Some(false);
        }
        let mut q = format!("error=access_denied&error_description=The%20person%20denied%20access&state={enc_flow}");
        if c.sca == ScaStyle::ConsentRedirect || c.sca == ScaStyle::Simple {
            q = format!("flowId={enc_flow}&{q}");
        }
        with_query(&redirect_url, &q)
    } else if c.sca == ScaStyle::OAuthTwoStep && flow.step == Step::FirstCallback {
        let code = uuid::Uuid::new_v4().to_string();
        st.codes.insert(
            code.clone(),
            AuthCode { flow_id: flow.id.clone(), expires_at: now + chrono::Duration::minutes(10), used: false },
        );
        with_query(&redirect_url, &format!("code={code}&state={enc_flow}"))
    } else {
        if let Some(f) = st.flows.get_mut(&flow.id) {
            f.approved = Some(true);
        }
        match c.sca {
            ScaStyle::ConsentRedirect => with_query(&redirect_url, &format!("flowId={enc_flow}")),
            ScaStyle::Simple => with_query(&redirect_url, &format!("flowId={enc_flow}&state={}", uuid::Uuid::new_v4())),
            ScaStyle::SelectOption => {
                with_query(&redirect_url, &format!("code={}&state={enc_flow}", uuid::Uuid::new_v4()))
            }
            _ => with_query(&redirect_url, &format!("state={enc_flow}")),
        }
    };
    app.persist(&st);
    drop(st);
    if c.sca == ScaStyle::NoCallback {
        let msg = if approve {
            "Access approved. You can close this window and return to your app."
        } else {
            "Access denied. You can close this window."
        };
        return page(c.name, &format!("{}<h2 id=\"done\">{}</h2>", bank_header(&c), esc(msg)));
    }
    redirect(&location)
}

/// `GET /bank/{id}/app`: the simulated banking app listing decoupled approvals.
pub async fn banking_app(AxState(app): AxState<Arc<App>>, Path(connector): Path<i64>) -> Response {
    let Some(c) = app.connectors.iter().find(|c| c.id == connector).cloned() else {
        return error_page(StatusCode::NOT_FOUND, "No such bank.");
    };
    let st = app.state();
    let now = st.now();
    let rows: String = st
        .flows
        .values()
        .filter(|f| f.connector_id == connector && f.step == Step::Decoupled && f.approved.is_none() && now <= f.expires_at)
        .map(|f| {
            format!(
                "<tr><td>Access request <code>{0}</code></td><td><form method=\"post\"><input type=\"hidden\" name=\"flow\" value=\"{0}\">\
<button class=\"approve\" name=\"action\" value=\"approve\">Confirm</button> <button class=\"deny\" name=\"action\" value=\"deny\">Reject</button></form></td></tr>",
                esc(&f.id)
            )
        })
        .collect();
    let rows = if rows.is_empty() { "<tr><td id=\"empty\">No pending requests.</td></tr>".to_owned() } else { rows };
    page(&format!("{} app", c.name), &format!("{}<h2>Pending confirmations</h2><table>{rows}</table>", bank_header(&c)))
}

/// The banking app's confirm / reject form.
#[derive(serde::Deserialize)]
pub struct AppDecision {
    flow: String,
    action: String,
}

/// `POST /bank/{id}/app`: confirm or reject a decoupled request.
pub async fn banking_app_decide(
    AxState(app): AxState<Arc<App>>,
    Path(connector): Path<i64>,
    Form(form): Form<AppDecision>,
) -> Response {
    if let Err(r) = page_flow(&app, connector, Some(&form.flow), &[Step::Decoupled]) {
        return *r;
    }
    app.decide_decoupled(&form.flow, form.action == "approve");
    banking_app(AxState(app), Path(connector)).await
}

/// `GET /logos/{id}.svg`: a generated logo.
pub async fn logo(AxState(app): AxState<Arc<App>>, Path(file): Path<String>) -> Response {
    let id: Option<i64> = file.strip_suffix(".svg").and_then(|s| s.parse().ok());
    let Some(c) = id.and_then(|id| app.connectors.iter().find(|c| c.id == id)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let initials: String =
        c.name.split_whitespace().filter_map(|w| w.chars().next()).filter(|ch| ch.is_alphabetic()).take(2).collect();
    let hue = (crate::data::mix(c.id as u64) % 360) as u32;
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\"><rect width=\"64\" height=\"64\" rx=\"14\" fill=\"hsl({hue},55%,42%)\"/>\
<text x=\"32\" y=\"41\" font-family=\"sans-serif\" font-size=\"24\" font-weight=\"700\" text-anchor=\"middle\" fill=\"#fff\">{}</text></svg>",
        esc(&initials)
    );
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "max-age=86400")], svg).into_response()
}

/// `GET /`: what this server is, with its banks.
pub async fn index(AxState(app): AxState<Arc<App>>) -> Response {
    let rows: String = app
        .connectors
        .iter()
        .map(|c| {
            format!(
                "<tr><td><img alt=\"\" width=\"24\" src=\"/logos/{}.svg\"></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.id,
                esc(c.name),
                c.country,
                c.id
            )
        })
        .collect();
    page(
        "Saldo sandbox gateway",
        &format!(
            "<h1>Saldo sandbox gateway</h1><p>An open-banking gateway over simulated banks, speaking the Exthand AIS API at <code>/ob/…</code>.</p>\
<table><tr><td></td><td><b>Bank</b></td><td><b>Country</b></td><td><b>Connector</b></td></tr>{rows}</table>"
        ),
    )
}

/// `GET /demo/callback`: a landing page for redirects in demos and browser tests.
pub async fn demo_callback(Query(q): Query<BTreeMap<String, String>>) -> Response {
    let rows: String =
        q.iter().map(|(k, v)| format!("<tr><td>{}</td><td><code>{}</code></td></tr>", esc(k), esc(v))).collect();
    page(
        "Back in the app",
        &format!("<h1 id=\"callback\">Callback received</h1><p>The bank sent you back with:</p><table>{rows}</table>"),
    )
}

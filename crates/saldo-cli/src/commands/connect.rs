//! Connecting a bank: `connect`, `callback`, `continue`, `choose`, `banks`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use saldo_core::connect::{self, ConnectRequest, Next, RedirectKind};
use saldo_core::loopback::LoopbackListener;
use saldo_gateway::{CorrelationId, GatewayClient};

use super::Ctx;
use crate::cli::Redirect;
use crate::exit::Fail;
use crate::interact::{ask, ask_on_terminal, off_runtime, open_browser, read_line};
use crate::output::{inert, print_json, BankOut, StepOut};

/// `saldo gateway`: the catalog call, and a clear outcome.
pub async fn test_gateway(ctx: &mut Ctx) -> Result<(), Fail> {
    let client = ctx.client().await?;
    let banks = client.banks_all(&CorrelationId::new()).await?;
    let countries: std::collections::BTreeSet<&str> = banks.iter().map(|b| b.country_iso.as_str()).collect();
    let available = banks.iter().filter(|b| b.status.is_available()).count();
    if ctx.json {
        print_json(&serde_json::json!({
            "gateway": client.label(),
            "banks": banks.len(),
            "available": available,
            "countries": countries,
        }));
    } else {
        println!(
            "{}: reached; {} bank(s) ({available} available now) in {} countries",
            inert(client.label(), false),
            banks.len(),
            countries.len()
        );
    }
    Ok(())
}

/// `saldo terms`: what a person accepts before the gateway serves them.
pub async fn terms(ctx: &mut Ctx, language: &str) -> Result<(), Fail> {
    let terms = ctx.client().await?.terms(language, &CorrelationId::new()).await?.body;
    if ctx.json {
        print_json(&terms);
    } else {
        println!(
            "Terms and conditions, version {} ({})
",
            terms.version,
            terms.language.as_deref().unwrap_or("?")
        );
        println!(
            "{}
",
            inert(&terms.tc, true)
        );
        println!(
            "Privacy notice
"
        );
        println!("{}", inert(&terms.privacy, true));
        if !terms.available_languages.is_empty() {
            println!(
                "
Also in: {}",
                inert(&terms.available_languages.join(", "), false)
            );
        }
    }
    Ok(())
}

/// `saldo register`.
pub async fn register(ctx: &mut Ctx, given: Details, version: i64) -> Result<(), Fail> {
    let client = ctx.client().await?;
    let stored = saldo_core::onboarding::registered_person(&ctx.session.store, client.label())?;
    let r = match stored {
        // Newer terms, accepted with the details registered before.
        Some(_) if given.is_empty() => {
            saldo_core::onboarding::accept_terms(&mut ctx.session.store, &client, version).await?
        }
        _ => {
            let user = given.complete(stored.as_ref(), version).await?;
            saldo_core::onboarding::register(&mut ctx.session.store, &client, &user).await?
        }
    };
    if ctx.json {
        print_json(&serde_json::json!({ "psuid": r.psuid, "accepted_terms": version }));
    } else {
        println!("Registered with the gateway (terms version {version}); you can connect your banks now.");
    }
    Ok(())
}

/// The details `saldo register` was given.
pub struct Details {
    /// `--first-name`.
    pub first_name: Option<String>,
    /// `--last-name`.
    pub last_name: Option<String>,
    /// `--email`.
    pub email: Option<String>,
    /// `--date-of-birth`.
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// `--phone`.
    pub phone: Option<String>,
}

impl Details {
    fn is_empty(&self) -> bool {
        self.first_name.is_none()
            && self.last_name.is_none()
            && self.email.is_none()
            && self.date_of_birth.is_none()
            && self.phone.is_none()
    }

    /// The registration: each detail as given, else as registered before,
    /// else asked on the terminal; what is still missing is named.
    async fn complete(
        self,
        stored: Option<&saldo_gateway::NewUser>,
        version: i64,
    ) -> Result<saldo_gateway::NewUser, Fail> {
        let firstname = detail(self.first_name, stored.map(|s| &s.firstname), "Your first name").await?;
        let lastname = detail(self.last_name, stored.map(|s| &s.lastname), "Your last name").await?;
        let email = detail(self.email, stored.map(|s| &s.email), "Your e-mail address").await?;
        let missing: Vec<&str> = [(&firstname, "--first-name"), (&lastname, "--last-name"), (&email, "--email")]
            .into_iter()
            .filter(|(v, _)| v.is_none())
            .map(|(_, flag)| flag)
            .collect();
        let (Some(firstname), Some(lastname), Some(email)) = (firstname, lastname, email) else {
            return Err(Fail::usage(format!("the gateway needs {} to register you", missing.join(", "))));
        };
        Ok(saldo_gateway::NewUser {
            firstname,
            lastname,
            email,
            cell_phone: self.phone.or_else(|| stored.and_then(|s| s.cell_phone.clone())),
            vatid: None,
            external_ref: None,
            date_of_birth: self
                .date_of_birth
                .map(|d| format!("{d}T00:00:00"))
                .or_else(|| stored.and_then(|s| s.date_of_birth.clone())),
            validated_version_tc: version,
        })
    }
}

/// One detail: as given, else as registered before, else asked on the terminal.
async fn detail(given: Option<String>, before: Option<&String>, prompt: &'static str) -> Result<Option<String>, Fail> {
    if let Some(v) = given.filter(|v| !v.trim().is_empty()).or_else(|| before.cloned()) {
        return Ok(Some(v.trim().to_owned()));
    }
    off_runtime(move || ask_on_terminal(prompt))
        .await
        .map_err(|e| Fail::failure(format!("could not read your answer from the terminal: {e}")))
}

/// `saldo countries`.
pub async fn countries(ctx: &mut Ctx) -> Result<(), Fail> {
    let list = connect::countries(&ctx.client().await?).await?;
    if ctx.json {
        print_json(&list);
    } else {
        for c in list {
            println!("{}", inert(&c, false));
        }
    }
    Ok(())
}

/// `saldo banks`.
pub async fn banks(ctx: &mut Ctx, country: &str) -> Result<(), Fail> {
    let banks = ctx.client().await?.banks(country, &CorrelationId::new()).await?.body;
    if ctx.json {
        let out: Vec<BankOut> = banks
            .into_iter()
            .map(|b| BankOut {
                connector_id: b.connector_id,
                available: b.status.is_available(),
                name: b.fullname,
                country: b.country_iso,
            })
            .collect();
        print_json(&out);
    } else {
        for b in banks {
            let note = if b.status.is_available() { "" } else { "  (unavailable)" };
            println!("{:>6}  {}{note}", b.connector_id, inert(&b.fullname, false));
        }
    }
    Ok(())
}

/// What `saldo connect` was asked.
pub struct ConnectArgs {
    /// The connector.
    pub connector_id: i64,
    /// `--iban`.
    pub ibans: Vec<String>,
    /// `--prop NAME=VALUE`.
    pub props: Vec<String>,
    /// `--no-browser`.
    pub no_browser: bool,
    /// `--redirect`.
    pub redirect: Redirect,
    /// `--option`.
    pub option: Option<String>,
    /// `--reconnect`.
    pub reconnect: Option<i64>,
}

/// `saldo connect`.
pub async fn start(ctx: &mut Ctx, args: ConnectArgs) -> Result<(), Fail> {
    let mut additional = BTreeMap::new();
    for p in &args.props {
        let (k, v) = p.split_once('=').ok_or_else(|| Fail::usage(format!("--prop {p:?} must be NAME=VALUE")))?;
        let v = from_stdin_if_dash(v, &format!("the value of {k}")).await?;
        additional.insert(k.to_owned(), v);
    }
    let client = ctx.client().await?;
    let banks = client.banks_all(&CorrelationId::new()).await.unwrap_or_default();
    let bank = banks.iter().find(|b| b.connector_id == args.connector_id);
    let listener = match args.redirect {
        Redirect::Loopback => Some(LoopbackListener::bind().await?),
        Redirect::Deeplink => None,
    };
    let req = ConnectRequest {
        connector_id: args.connector_id,
        bank_name: bank.map_or_else(|| format!("Bank {}", args.connector_id), |b| b.fullname.clone()),
        country: bank.map_or_else(String::new, |b| b.country_iso.clone()),
        ibans: args.ibans,
        additional,
        redirect_url: listener.as_ref().map_or_else(|| "saldo://callback".to_owned(), LoopbackListener::redirect_url),
        redirect_kind: if listener.is_some() { RedirectKind::Loopback } else { RedirectKind::DeepLink },
        frequency_per_day: 4,
        reconnect: args.reconnect,
        identity: ctx.identity.clone(),
    };
    let next = connect::start(&mut ctx.session.store, &client, &req, Utc::now()).await?;
    drive(ctx, &client, next, args.option.as_deref(), listener, args.no_browser).await
}

/// A value given as `-`: one line of standard input instead (keeps a
/// callback's code or a secret out of the process list and shell history).
async fn from_stdin_if_dash(value: &str, what: &str) -> Result<String, Fail> {
    if value != "-" {
        return Ok(value.to_owned());
    }
    off_runtime(read_line)
        .await
        .map_err(|e| Fail::failure(format!("could not read {what} from standard input: {e}")))?
        .filter(|l| !l.is_empty())
        .ok_or_else(|| Fail::usage(format!("{what} was to come on standard input, which was empty")))
}

/// `saldo callback URL` (or `-`: the URL on standard input).
pub async fn callback(ctx: &mut Ctx, url: &str, option: Option<&str>) -> Result<(), Fail> {
    let url = from_stdin_if_dash(url, "the callback URL").await?;
    let client = ctx.client().await?;
    let next = connect::handle_callback(&mut ctx.session.store, &client, &url, Utc::now()).await?;
    drive(ctx, &client, next, option, None, true).await
}

/// `saldo continue FLOW`.
pub async fn resume(ctx: &mut Ctx, flow_id: &str) -> Result<(), Fail> {
    let client = ctx.client().await?;
    let next = connect::continue_without_callback(&mut ctx.session.store, &client, flow_id, Utc::now()).await?;
    drive(ctx, &client, next, None, None, true).await
}

/// `saldo choose FLOW KEY`.
pub async fn choose(ctx: &mut Ctx, flow_id: &str, key: &str) -> Result<(), Fail> {
    let client = ctx.client().await?;
    let next = connect::choose_option(&mut ctx.session.store, &client, flow_id, key, Utc::now()).await?;
    drive(ctx, &client, next, None, None, true).await
}

/// Says something to the person: on standard output, or on standard error
/// when standard output carries JSON.
fn say(json: bool, text: &str) {
    if json {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
}

/// Takes a flow from one step to the next until it connects, fails, or
/// waits for something this process cannot give (a deep link, a choice in a
/// script): then it stays pending and the person is told how to go on.
async fn drive(
    ctx: &mut Ctx,
    client: &GatewayClient,
    mut next: Next,
    option: Option<&str>,
    listener: Option<LoopbackListener>,
    no_browser: bool,
) -> Result<(), Fail> {
    let json = ctx.json;
    let store = &mut ctx.session.store;
    loop {
        if json {
            print_json(&StepOut::from(&next));
        }
        next = match next {
            Next::OpenBrowser { flow_id, url, no_callback } => {
                if !json {
                    println!("Continue at your bank: {}", inert(&url, false));
                }
                if !no_browser {
                    open_browser(&url);
                }
                if no_callback {
                    // The bank will not send the person back: they say when
                    // they are done (Enter on the terminal, a line on stdin).
                    say(json, "This bank does not send you back: when you have approved there, press Enter.");
                    if off_runtime(read_line).await.map_err(|e| Fail::failure(e.to_string()))?.is_none() {
                        return Err(Fail::failure(format!(
                            "when you have approved at your bank, run: saldo continue {flow_id}"
                        )));
                    }
                    connect::continue_without_callback(store, client, &flow_id, Utc::now()).await?
                } else {
                    match &listener {
                        Some(l) => {
                            say(json, "Waiting for the bank to send you back…");
                            let cb = l.wait(&flow_id, Duration::from_secs(15 * 60)).await?;
                            connect::handle_callback(store, client, &cb, Utc::now()).await?
                        }
                        None => {
                            if !json {
                                println!(
                                    "flow: {flow_id}\nAfter the bank sends you back, run: saldo callback 'saldo://callback?…'"
                                );
                            }
                            return Ok(());
                        }
                    }
                }
            }
            Next::ChooseOption { flow_id, options } => match option {
                Some(key) => connect::choose_option(store, client, &flow_id, key, Utc::now()).await?,
                None => {
                    // The flow stays pending: the person has signed in (or
                    // not yet), and choosing continues it without starting over.
                    if !json {
                        println!("Your bank asks you to choose; continue with one of:");
                        for (k, v) in &options {
                            println!("  saldo choose {flow_id} {}   # {}", inert(k, false), inert(v, false));
                        }
                    }
                    return Ok(());
                }
            },
            Next::AskInput { flow_id, prompt, secret } => match off_runtime({
                let prompt = prompt.clone();
                move || ask(&prompt, secret)
            })
            .await
            {
                Ok(Some(text)) => connect::answer(store, client, &flow_id, &text, Utc::now()).await?,
                Ok(None) => {
                    connect::cancel(store, &flow_id, Utc::now())?;
                    return Err(Fail::failure(format!(
                        "the bank asks: {prompt}\nAnswer on a terminal, or give one line per question on standard input."
                    )));
                }
                Err(err) => {
                    connect::cancel(store, &flow_id, Utc::now())?;
                    return Err(Fail::failure(format!("could not read your answer: {err}")));
                }
            },
            Next::WaitDecoupled { flow_id, message } => {
                say(json, &inert(&message, false));
                let mut delay = Duration::from_secs(1);
                loop {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                    match connect::poll_decoupled(store, client, &flow_id, Utc::now()).await? {
                        Next::WaitDecoupled { .. } => continue,
                        other => break other,
                    }
                }
            }
            Next::Connected { connection_id, new_accounts, .. } => {
                if !json {
                    println!("Connected: connection {connection_id}, {new_accounts} new account(s), disabled until you enable them:");
                    for a in store.accounts(Some(connection_id), false)? {
                        println!(
                            "  saldo accounts enable {}   # {} {}",
                            a.id,
                            inert(a.iban.as_deref().unwrap_or(&a.gateway_id), false),
                            inert(a.description.as_deref().unwrap_or(""), false)
                        );
                    }
                }
                return Ok(());
            }
            Next::Failed { message, .. } => return Err(Fail::failure(format!("the connection failed: {message}"))),
        };
    }
}

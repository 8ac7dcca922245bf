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
use crate::interact::{ask, off_runtime, open_browser, read_line};
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
pub async fn register(ctx: &mut Ctx, user: &saldo_gateway::NewUser) -> Result<(), Fail> {
    let client = ctx.client().await?;
    let r = saldo_core::onboarding::register(&mut ctx.session.store, &client, user).await?;
    if ctx.json {
        print_json(&serde_json::json!({ "psuid": r.psuid, "accepted_terms": user.validated_version_tc }));
    } else {
        println!(
            "Registered with the gateway (terms version {}); you can connect your banks now.",
            user.validated_version_tc
        );
    }
    Ok(())
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

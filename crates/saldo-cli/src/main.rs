//! `saldo`: Saldo for the command line and scripts. A thin shell over
//! `saldo-core`: each command opens the session, calls one use case, prints
//! (text for people, `--json` for scripts).
//!
//! Exit codes: 0 success, 1 failure, 2 usage error, 3 a bank needs the person
//! to reconnect (SCA) — decided in `exit.rs`.

mod cli;
mod commands;
mod exit;
mod interact;
mod output;
mod progress;

use std::process::ExitCode;

use chrono::Utc;
use clap::Parser;
use saldo_core::export::ExportOptions;
use saldo_core::sync::{Scope, Selection};
use saldo_store::queries::TxQuery;

use cli::{Cli, Command, ScopeArg};
use commands::connect::ConnectArgs;
use commands::Ctx;
use exit::Fail;

async fn run(cli: Cli) -> Result<(), Fail> {
    if let Command::Restore { file, overwrite_newer } = &cli.command {
        // No session: there may be no database, or no key for it, yet.
        return commands::backup::restore(&cli, file, *overwrite_newer).await;
    }
    if let Command::Schedule { action } = &cli.command {
        // Writes systemd units: no session.
        return commands::schedule::schedule(&cli, action);
    }
    if let Command::Statement { file, format, profile, compare: false, account: None } = &cli.command {
        // Reads only the file: no session.
        return commands::statement::statement(&cli, None, file, format.as_deref(), profile.as_deref(), None);
    }
    let mut ctx = Ctx::open(&cli).await?;
    match cli.command {
        Command::Statement { ref file, ref format, ref profile, account, .. } => commands::statement::statement(
            &cli,
            Some(&ctx.session.store),
            file,
            format.as_deref(),
            profile.as_deref(),
            account,
        ),
        Command::Restore { .. } | Command::Schedule { .. } => Ok(()), // done above, before any session
        Command::RecoveryCode => commands::backup::recovery_code(&ctx).await,
        Command::Backup { to } => commands::backup::backup(&ctx, to.as_deref()),
        Command::Gateway => commands::connect::test_gateway(&mut ctx).await,
        Command::Terms { language } => commands::connect::terms(&mut ctx, &language).await,
        Command::Register { first_name, last_name, email, date_of_birth, phone, accept_terms } => {
            let given = commands::connect::Details { first_name, last_name, email, date_of_birth, phone };
            commands::connect::register(&mut ctx, given, accept_terms).await
        }
        Command::Countries => commands::connect::countries(&mut ctx).await,
        Command::Banks { country } => commands::connect::banks(&mut ctx, &country).await,
        Command::Connect { connector_id, ibans, props, no_browser, redirect, option, reconnect } => {
            let args = ConnectArgs { connector_id, ibans, props, no_browser, redirect, option, reconnect };
            commands::connect::start(&mut ctx, args).await
        }
        Command::Callback { url, option } => commands::connect::callback(&mut ctx, &url, option.as_deref()).await,
        Command::Continue { flow_id } => commands::connect::resume(&mut ctx, &flow_id).await,
        Command::Choose { flow_id, key } => commands::connect::choose(&mut ctx, &flow_id, &key).await,
        Command::Connections => commands::data::connections(&ctx),
        Command::Disconnect { connection_id } => commands::sync::disconnect(&mut ctx, connection_id).await,
        Command::Accounts { action, account_id, all } => commands::data::accounts(&ctx, action, account_id, all),
        Command::Sync { connection_id, scope, due } => {
            let selection = match (connection_id, due) {
                (Some(id), _) => Selection::One(id),
                (None, true) => Selection::Due,
                (None, false) => Selection::All,
            };
            let scope = match scope {
                ScopeArg::Accounts => Scope::Accounts,
                ScopeArg::Transactions => Scope::Transactions,
            };
            commands::sync::sync(&mut ctx, selection, scope).await
        }
        Command::Balances => commands::data::balances(&ctx),
        Command::Transactions { account, from, to, search, category, counterparty, uncategorized, limit } => {
            let q = TxQuery {
                account,
                from,
                to,
                text: search,
                category,
                counterparty,
                uncategorized,
                limit,
                ..TxQuery::default()
            };
            commands::data::transactions(&ctx, q)
        }
        Command::Categories { action } => commands::money::categories(&mut ctx, action),
        Command::Rules { action } => commands::money::rules(&mut ctx, action.unwrap_or(cli::RuleAction::List)),
        Command::Categorize { ids, category, none: _ } => {
            commands::money::categorize(&mut ctx, &ids, category.as_deref())
        }
        Command::Undo { step } => commands::money::undo(&mut ctx, step),
        Command::Counterparty { name, rename, iban } => {
            commands::money::counterparty(&mut ctx, &name, rename.as_deref(), iban.as_deref())
        }
        Command::Transfers { action } => {
            commands::money::transfers(&mut ctx, action.unwrap_or(cli::TransferAction::List))
        }
        Command::Report { kind, from, to, by, account, gross, csv } => {
            let q = saldo_store::reports::ReportQuery { from, to, account, gross };
            commands::money::report(&ctx, kind, by, &q, csv)
        }
        Command::Export { format, accounts, from, to, output, counter_account, expense_account, income_account } => {
            let mut opts = ExportOptions::new(format, Utc::now());
            opts.accounts = accounts;
            opts.range = saldo_store::export::DateRange { from, to };
            if let Some(c) = counter_account {
                opts.expense_account.clone_from(&c);
                opts.income_account = c;
            }
            if let Some(c) = expense_account {
                opts.expense_account = c;
            }
            if let Some(c) = income_account {
                opts.income_account = c;
            }
            commands::data::export(&ctx, &opts, &output)
        }
        Command::Import {
            files,
            format,
            account,
            new_account,
            profile,
            currency,
            opening_balance,
            include_conflicts,
            dry_run,
            rows,
        } => commands::import::import(
            &mut ctx,
            &files,
            &commands::import::Flags {
                format,
                account,
                new_account,
                profile,
                currency,
                opening_balance,
                include_conflicts,
                dry_run,
                rows,
            },
        ),
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SALDO_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::Exit::Failure as u8);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail { exit, message }) => {
            eprintln!("error: {}", output::inert(&message, true));
            ExitCode::from(exit as u8)
        }
    }
}

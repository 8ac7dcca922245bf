//! Talking to the banks for data: `sync`, `disconnect`.

use chrono::Utc;
use saldo_core::sync::{self, Outcome, Scope, Selection, SyncReport};

use super::Ctx;
use crate::exit::{Exit, Fail};
use crate::output::{inert, print_json};
use crate::progress::Progress;

/// `saldo sync [ID | --due]`: each connection's outcome, one line each (or
/// one JSON array); exit 1 if any failed, else 3 if any needs a reconnect.
pub async fn sync(ctx: &mut Ctx, selection: Selection, scope: Scope) -> Result<(), Fail> {
    let daily = selection == Selection::Due;
    let ids = sync::select(&ctx.session.store, selection, Utc::now())?;
    if daily && ids.is_empty() && !ctx.json {
        println!("Nothing is due: every connection synced in the last 24 hours, needs a reconnect, or has no enabled account.");
    }
    let opts = if daily { ctx.session.daily_options() } else { ctx.session.sync_options() };
    let client = if ids.is_empty() { None } else { Some(ctx.client().await?) };
    let mut reports = Vec::new();
    for id in ids {
        let Some(client) = &client else { break };
        let progress = if ctx.json { None } else { Some(Progress::start(&ctx.session.store, id)) };
        let result = sync::sync_connection(&mut ctx.session.store, client, id, scope, &opts).await;
        if let Some(p) = progress {
            p.finish().await;
        }
        let report = SyncReport::new(id, result);
        if !ctx.json {
            match &report.outcome {
                Outcome::NeedsReconnect { .. } => {
                    println!(
                        "Connection {id}: {} (saldo connect … --reconnect {id})",
                        inert(&report.outcome.summary(), false)
                    )
                }
                _ => println!("Connection {id}: {}", inert(&report.outcome.summary(), false)),
            }
        }
        reports.push(report);
    }
    if ctx.json {
        print_json(&reports);
    }
    if daily && reports.iter().any(|r| matches!(r.outcome, Outcome::Completed { .. })) {
        // The automatic backup of a successful sync day (at most one a day);
        // its failure never fails the sync.
        match saldo_core::backup::backup_after_sync(&ctx.session) {
            Ok(Some(info)) if !ctx.json => println!("Backup: {}", inert(&info.path.display().to_string(), false)),
            Ok(_) => {}
            Err(e) => eprintln!("warning: no automatic backup: {}", inert(&e.to_string(), false)),
        }
    }
    let failed = reports.iter().filter(|r| matches!(r.outcome, Outcome::Failed { .. })).count();
    let reconnect = reports.iter().filter(|r| matches!(r.outcome, Outcome::NeedsReconnect { .. })).count();
    if failed > 0 {
        return Err(Fail::failure(format!("{failed} connection(s) failed to sync")));
    }
    if reconnect > 0 {
        return Err(Fail::new(Exit::Reconnect, "a bank needs you to reconnect"));
    }
    Ok(())
}

/// `saldo disconnect ID`.
pub async fn disconnect(ctx: &mut Ctx, connection_id: i64) -> Result<(), Fail> {
    let client = ctx.client().await?;
    let opts = ctx.session.sync_options();
    let revoked = saldo_core::manage::disconnect(&mut ctx.session.store, &client, connection_id, &opts, false).await?;
    if ctx.json {
        print_json(
            &serde_json::json!({ "connection_id": connection_id, "disconnected": true, "consents_revoked": revoked }),
        );
    } else if revoked == 0 {
        println!("Disconnected: there was no consent to revoke at the bank; the connection's data is deleted.");
    } else {
        println!("Disconnected: the consent is revoked and the connection's data deleted.");
    }
    Ok(())
}

//! `saldo import --format saldo-json FILE`: Saldo's own export back into an
//! empty install (one core call; the checks and the normalisation are the
//! core's, see `saldo_core::import`).

use std::path::Path;

use chrono::Utc;
use saldo_core::import::{self, ImportFormat};

use super::Ctx;
use crate::exit::Fail;
use crate::output::print_json;

/// Imports `file` (`-`: standard input) and prints what it restored.
pub fn import(ctx: &mut Ctx, format: ImportFormat, file: &Path) -> Result<(), Fail> {
    let s = import::import_file(&mut ctx.session.store, format, file, Utc::now()).map_err(|e| {
        let mut fail = Fail::from(e);
        if fail.message.contains("only into an empty install") {
            fail.message.push_str("; import into a new data directory with --data-dir DIR");
        }
        fail
    })?;
    if ctx.json {
        print_json(&s);
        return Ok(());
    }
    println!(
        "Imported {} connection(s), {} account(s), {} transaction(s), {} balance(s), {} transfer(s); {} new categor{}, {} counterparty name(s).",
        s.connections,
        s.accounts,
        s.transactions,
        s.balances,
        s.transfers,
        s.categories,
        if s.categories == 1 { "y" } else { "ies" },
        s.aliases,
    );
    if s.connections > 0 {
        println!(
            "An export holds no bank access: reconnect each connection to keep syncing \
             (`saldo connections`, then `saldo connect CONNECTOR --reconnect ID`)."
        );
    }
    Ok(())
}

//! The live progress line of a sync on a terminal.

use saldo_store::Store;

/// A live progress line on standard error while a sync runs, only when it
/// is a terminal (scripts and pipes get the summary lines alone). It reads
/// the run's counters from its own connection to the store.
pub struct Progress {
    task: Option<(tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>,
}

impl Progress {
    pub fn start(store: &Store, connection_id: i64) -> Self {
        use std::io::IsTerminal;
        let watcher = match store.reopen() {
            Ok(w) if std::io::stderr().is_terminal() => w,
            _ => return Self { task: None },
        };
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            for tick in 0usize.. {
                Self::line(&watcher, connection_id, spinner[tick % spinner.len()]);
                tokio::select! {
                    _ = &mut stopped => break,
                    () = tokio::time::sleep(std::time::Duration::from_millis(120)) => {}
                }
            }
            // The final counters stay on screen, above the summary.
            Self::line(&watcher, connection_id, '✓');
            eprintln!();
        });
        Self { task: Some((task, stop)) }
    }

    fn line(watcher: &Store, connection_id: i64, mark: char) {
        if let Ok(Some(run)) = watcher.latest_sync_run(connection_id) {
            eprint!(
                "\r\x1b[2K{mark} connection {connection_id}: {} account(s), {} page(s), {} new transaction(s)",
                run.accounts_done, run.pages_done, run.new_transactions
            );
        }
    }

    pub async fn finish(self) {
        if let Some((task, stop)) = self.task {
            let _ = stop.send(());
            let _ = task.await;
        }
    }
}

//! Notifications (issue 18): a bank that needs a reconnect, a bank's access
//! that ends in 14, 3 and 1 days, a sync that failed twice in a row, and
//! (when asked for) a daily summary of new transactions — through the Tauri
//! notification plugin, in the window's language. Each is shown once: what
//! was told is remembered in `notified.json` beside the data (no secret in
//! it: connection ids, dates, run ids). Looked at after every sync (the
//! person's and the daily one) and when the app starts.
//!
//! A click on a notification opens the window on the screen it is about
//! (on Linux; the plugin cannot report clicks on the desktop, see [`show`]);
//! Saldo also keeps that screen and opens it the next time its window is
//! brought up (from the tray, a second launch, or a bank link).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tauri::{AppHandle, Emitter, Manager};

use crate::state::{AppFile, AppState};

/// The event that tells the window which screen to open.
pub const OPEN_SCREEN: &str = "open-screen";

/// Days before a consent ends that a notification is shown.
pub const CONSENT_WARNINGS: [i64; 3] = [14, 3, 1];

const FILE: &str = "notified.json";

/// One notification to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What it is, once: the key remembered so it is not shown again.
    pub key: String,
    /// What it says.
    pub message: Message,
    /// The screen it opens (`connections`, `transactions`).
    pub screen: &'static str,
}

/// What a notification says (its words come from [`words`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A bank needs the person again.
    Reconnect {
        /// The bank.
        bank: String,
    },
    /// A bank's access ends soon.
    ConsentEnds {
        /// The bank.
        bank: String,
        /// Whole days left (0: today).
        days: i64,
    },
    /// The last two syncs of a bank failed.
    SyncFailed {
        /// The bank.
        bank: String,
    },
    /// New transactions since yesterday's summary.
    Summary {
        /// How many.
        count: i64,
    },
}

/// The language of the notifications: the window's setting, else the system's.
pub fn language(setting: Option<&str>) -> &'static str {
    let sys = std::env::var("LC_ALL")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var("LC_MESSAGES").ok().filter(|v| !v.is_empty()))
        .or_else(|| std::env::var("LANG").ok())
        .unwrap_or_default();
    let wanted = setting.unwrap_or(&sys).to_ascii_lowercase();
    ["nl", "fr", "de", "es"].into_iter().find(|l| wanted.starts_with(l)).unwrap_or("en")
}

/// A notification's title and body in `lang`.
pub fn words(m: &Message, lang: &str) -> (String, String) {
    match (m, lang) {
        (Message::Reconnect { bank }, "nl") => (
            format!("{bank}: opnieuw verbinden"),
            "Saldo kan je rekeningen niet meer ophalen tot je opnieuw verbindt.".into(),
        ),
        (Message::Reconnect { bank }, "fr") => (
            format!("{bank} : reconnexion nécessaire"),
            "Saldo ne peut plus récupérer vos comptes tant que vous ne vous reconnectez pas.".into(),
        ),
        (Message::Reconnect { bank }, "de") => (
            format!("{bank}: neu verbinden"),
            "Saldo kann Ihre Konten erst wieder abrufen, wenn Sie neu verbinden.".into(),
        ),
        (Message::Reconnect { bank }, "es") => (
            format!("{bank}: vuelve a conectar"),
            "Saldo no puede traer tus cuentas hasta que vuelvas a conectar.".into(),
        ),
        (Message::Reconnect { bank }, _) => {
            (format!("{bank}: reconnect needed"), "Saldo cannot fetch your accounts until you reconnect.".into())
        }
        (Message::ConsentEnds { bank, days }, "nl") => (
            format!("{bank}: toegang loopt af"),
            format!("De toegang van Saldo loopt af over {days} dag(en). Verbind opnieuw om te blijven synchroniseren."),
        ),
        (Message::ConsentEnds { bank, days }, "fr") => (
            format!("{bank} : l'accès expire"),
            format!("L'accès de Saldo expire dans {days} jour(s). Reconnectez-vous pour continuer la synchronisation."),
        ),
        (Message::ConsentEnds { bank, days }, "de") => (
            format!("{bank}: Zugriff läuft ab"),
            format!("Saldos Zugriff läuft in {days} Tag(en) ab. Verbinden Sie neu, um weiter zu synchronisieren."),
        ),
        (Message::ConsentEnds { bank, days }, "es") => (
            format!("{bank}: el acceso caduca"),
            format!("El acceso de Saldo caduca en {days} día(s). Vuelve a conectar para seguir sincronizando."),
        ),
        (Message::ConsentEnds { bank, days }, _) => (
            format!("{bank}: access ends soon"),
            format!("Saldo's access ends in {days} day(s). Reconnect to keep syncing."),
        ),
        (Message::SyncFailed { bank }, "nl") => {
            (format!("{bank}: synchronisatie mislukt"), "De laatste twee synchronisaties zijn mislukt.".into())
        }
        (Message::SyncFailed { bank }, "fr") => {
            (format!("{bank} : échec de synchronisation"), "Les deux dernières synchronisations ont échoué.".into())
        }
        (Message::SyncFailed { bank }, "de") => (
            format!("{bank}: Synchronisierung fehlgeschlagen"),
            "Die letzten beiden Synchronisierungen sind fehlgeschlagen.".into(),
        ),
        (Message::SyncFailed { bank }, "es") => {
            (format!("{bank}: la sincronización falló"), "Las dos últimas sincronizaciones fallaron.".into())
        }
        (Message::SyncFailed { bank }, _) => (format!("{bank}: sync failed"), "The last two syncs failed.".into()),
        (Message::Summary { count }, "nl") => ("Saldo".into(), format!("{count} nieuwe transactie(s) sinds gisteren.")),
        (Message::Summary { count }, "fr") => {
            ("Saldo".into(), format!("{count} nouvelle(s) opération(s) depuis hier."))
        }
        (Message::Summary { count }, "de") => ("Saldo".into(), format!("{count} neue(r) Umsatz/Umsätze seit gestern.")),
        (Message::Summary { count }, "es") => ("Saldo".into(), format!("{count} movimiento(s) nuevo(s) desde ayer.")),
        (Message::Summary { count }, _) => ("Saldo".into(), format!("{count} new transaction(s) since yesterday.")),
    }
}

/// What was shown, by key (RFC 3339 of when).
fn load(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read(dir.join(FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

fn save(dir: &Path, told: &BTreeMap<String, String>) {
    let path: PathBuf = dir.join(FILE);
    let tmp = dir.join(format!(".{FILE}.tmp"));
    let written = serde_json::to_vec_pretty(told)
        .map_err(std::io::Error::other)
        .and_then(|b| std::fs::write(&tmp, b))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        tracing::warn!("what was notified is not remembered: {e}");
    }
}

/// The facts about one connection the notifications look at.
#[derive(Clone, Debug)]
pub struct ConnectionFacts {
    /// Id.
    pub id: i64,
    /// Bank name.
    pub bank: String,
    /// Needs a reconnect.
    pub needs_reconnect: bool,
    /// The earliest end of its valid consents (RFC 3339 or a date).
    pub consent_valid_until: Option<String>,
    /// Its newest and the previous sync run both failed: the newest's id.
    pub failed_twice: Option<i64>,
}

/// What to tell, given the facts, the settings and what was told before.
/// Pure: the tests call it with any clock.
pub fn due(
    facts: &[ConnectionFacts],
    new_today: Option<i64>,
    settings: &crate::views::NotificationSettings,
    told: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Vec<Notice> {
    let mut out = Vec::new();
    for c in facts {
        if settings.reconnect && c.needs_reconnect {
            out.push(Notice {
                key: format!("reconnect:{}", c.id),
                message: Message::Reconnect { bank: c.bank.clone() },
                screen: "connections",
            });
        }
        if let (true, false, Some(until)) = (settings.consent_ending, c.needs_reconnect, &c.consent_valid_until) {
            if let Some(days) = crate::present::days_left_at(until, now) {
                // The nearest threshold reached; each told once per consent.
                if let Some(t) = CONSENT_WARNINGS.iter().rev().find(|t| days <= **t && days >= 0) {
                    out.push(Notice {
                        key: format!("consent:{}:{}:{t}", c.id, until.get(..10).unwrap_or(until)),
                        message: Message::ConsentEnds { bank: c.bank.clone(), days },
                        screen: "connections",
                    });
                }
            }
        }
        if let (true, Some(run)) = (settings.sync_failed, c.failed_twice) {
            out.push(Notice {
                key: format!("failed:{}:{run}", c.id),
                message: Message::SyncFailed { bank: c.bank.clone() },
                screen: "connections",
            });
        }
    }
    if let (true, Some(count)) = (settings.daily_summary, new_today.filter(|n| *n > 0)) {
        out.push(Notice {
            key: format!("summary:{}", now.date_naive()),
            message: Message::Summary { count },
            screen: "transactions",
        });
    }
    out.retain(|n| !told.contains_key(&n.key));
    out
}

/// Looks at the connections and shows what is due. Never fails the caller.
pub async fn check(app: &AppHandle) {
    let state = app.state::<AppState>();
    let Ok(file) = AppFile::load(&state.data_dir) else { return };
    let facts = {
        let guard = state.session.lock().await;
        let Some(unlocked) = guard.as_ref() else { return };
        match gather(&unlocked.session.store, file.settings.notifications.daily_summary) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("notifications skipped: {e}");
                return;
            }
        }
    };
    let now = Utc::now();
    let mut told = load(&state.data_dir);
    // A connection that is fine again may be told again later.
    let reconnecting: Vec<String> =
        facts.0.iter().filter(|c| c.needs_reconnect).map(|c| format!("reconnect:{}", c.id)).collect();
    told.retain(|k, _| !k.starts_with("reconnect:") || reconnecting.contains(k));
    let notices = due(&facts.0, facts.1, &file.settings.notifications, &told, now);
    if notices.is_empty() {
        save(&state.data_dir, &told);
        return;
    }
    let lang = language(file.settings.language.as_deref());
    for n in &notices {
        let (title, body) = words(&n.message, lang);
        match show(app, &title, &body, n.screen, lang) {
            Ok(()) => tracing::info!(key = %n.key, "notification shown"),
            Err(e) => tracing::warn!("notification not shown: {e}"),
        }
        told.insert(n.key.clone(), now.to_rfc3339());
    }
    if let Some(last) = notices.last() {
        *state.pending_screen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(last.screen);
    }
    save(&state.data_dir, &told);
}

/// Shows one notification. On Linux through the desktop's notification
/// service directly (notify-rust, the crate the plugin uses there), because
/// the plugin cannot report a click on the desktop: a click on it ("Open")
/// brings the window up on `screen`. Elsewhere through the plugin.
#[cfg(all(unix, not(target_os = "macos")))]
fn show(app: &AppHandle, title: &str, body: &str, screen: &'static str, lang: &str) -> Result<(), String> {
    let open = match lang {
        "nl" => "Openen",
        "fr" => "Ouvrir",
        "de" => "Öffnen",
        "es" => "Abrir",
        _ => "Open",
    };
    let handle = notify_rust::Notification::new()
        .appname("Saldo")
        .summary(title)
        .body(body)
        .action("default", open)
        .show()
        .map_err(|e| e.to_string())?;
    let app = app.clone();
    // Waits (on its own thread) until the notification is clicked or closed.
    std::thread::spawn(move || {
        handle.wait_for_action(|action| {
            if action == "default" {
                let state = app.state::<AppState>();
                *state.pending_screen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(screen);
                crate::links::focus(&app);
            }
        });
    });
    Ok(())
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn show(app: &AppHandle, title: &str, body: &str, _screen: &'static str, _lang: &str) -> Result<(), String> {
    use tauri_plugin_notification::NotificationExt;
    app.notification().builder().title(title).body(body).show().map_err(|e| e.to_string())
}

/// Asks the OS for permission to notify, at the moment the person turns a
/// notification on (the desktop grants it without asking; other platforms
/// ask then, never at start).
pub fn ask_permission(app: &AppHandle) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(e) = app.notification().request_permission() {
        tracing::warn!("no permission to notify: {e}");
    }
}

/// The window was brought up: it opens the screen the newest notification is about.
pub fn open_pending(app: &AppHandle) {
    let state = app.state::<AppState>();
    let screen = state.pending_screen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    if let Some(screen) = screen {
        let _ = app.emit(OPEN_SCREEN, screen);
    }
}

type Facts = (Vec<ConnectionFacts>, Option<i64>);

fn gather(store: &saldo_store::Store, summary: bool) -> saldo_store::Result<Facts> {
    use saldo_store::states::{ConnectionStatus, ConsentStatus, SyncRunState};
    let mut out = Vec::new();
    for c in store.connections()? {
        if c.offline || c.status == ConnectionStatus::Revoked {
            continue;
        }
        let consent_valid_until = store
            .consents(c.id)?
            .into_iter()
            .filter(|k| k.status == ConsentStatus::Valid)
            .filter_map(|k| k.valid_until)
            .min();
        let latest = store.latest_sync_run(c.id)?;
        let failed_twice = match (latest, store.previous_sync_run(c.id)?) {
            (Some(a), Some(b)) if a.state == SyncRunState::Failed && b.state == SyncRunState::Failed => Some(a.id),
            _ => None,
        };
        out.push(ConnectionFacts {
            id: c.id,
            bank: c.bank_name,
            needs_reconnect: c.status == ConnectionStatus::NeedsReconnect,
            consent_valid_until,
            failed_twice,
        });
    }
    // Counted only when the summary is on (it reads every row's date).
    let new_today = if summary {
        Some(store.transactions_created_since(&(Utc::now() - chrono::Duration::hours(24)).to_rfc3339())?)
    } else {
        None
    };
    Ok((out, new_today))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::views::NotificationSettings;

    fn conn(id: i64, until: Option<&str>) -> ConnectionFacts {
        ConnectionFacts {
            id,
            bank: format!("Bank {id}"),
            needs_reconnect: false,
            consent_valid_until: until.map(str::to_owned),
            failed_twice: None,
        }
    }

    fn at(day: &str) -> DateTime<Utc> {
        format!("{day}T09:00:00Z").parse().unwrap()
    }

    /// A consent ending is told at 14, 3 and 1 days left, each once.
    #[test]
    fn a_consent_that_ends_is_told_at_14_3_and_1_days_once_each() {
        let s = NotificationSettings::default();
        let facts = [conn(1, Some("2027-01-15T00:00:00+00:00"))];
        let mut told = BTreeMap::new();
        assert!(due(&facts, None, &s, &told, at("2026-12-31")).is_empty(), "15 days left: not yet");
        let n = due(&facts, None, &s, &told, at("2027-01-01"));
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].message, Message::ConsentEnds { bank: "Bank 1".into(), days: 14 });
        assert_eq!(n[0].screen, "connections");
        told.insert(n[0].key.clone(), String::new());
        assert!(due(&facts, None, &s, &told, at("2027-01-05")).is_empty(), "told at 14: not again at 10");
        let n = due(&facts, None, &s, &told, at("2027-01-12"));
        assert_eq!(n[0].message, Message::ConsentEnds { bank: "Bank 1".into(), days: 3 });
        told.insert(n[0].key.clone(), String::new());
        let n = due(&facts, None, &s, &told, at("2027-01-14"));
        assert_eq!(n[0].message, Message::ConsentEnds { bank: "Bank 1".into(), days: 1 });
        let off = NotificationSettings { consent_ending: false, ..NotificationSettings::default() };
        assert!(due(&facts, None, &off, &BTreeMap::new(), at("2027-01-14")).is_empty(), "turned off");
    }

    #[test]
    fn reconnects_failures_and_the_summary_are_told_when_on() {
        let s = NotificationSettings::default();
        let mut c = conn(2, None);
        c.needs_reconnect = true;
        c.failed_twice = Some(9);
        let n = due(&[c.clone()], Some(5), &s, &BTreeMap::new(), at("2027-01-01"));
        let kinds: Vec<_> = n.iter().map(|n| n.key.split(':').next().unwrap().to_owned()).collect();
        assert_eq!(kinds, ["reconnect", "failed"], "the summary is off by default");
        let all = NotificationSettings { daily_summary: true, ..s };
        let n = due(&[], Some(5), &all, &BTreeMap::new(), at("2027-01-01"));
        assert_eq!(n[0].message, Message::Summary { count: 5 });
        assert_eq!(n[0].screen, "transactions");
        assert!(due(&[], Some(0), &all, &BTreeMap::new(), at("2027-01-01")).is_empty(), "nothing new: nothing said");
    }

    #[test]
    fn notifications_speak_the_windows_language() {
        let m = Message::ConsentEnds { bank: "KBC".into(), days: 3 };
        assert!(words(&m, "nl").1.contains("over 3 dag"));
        assert!(words(&m, "fr").1.contains("dans 3 jour"));
        assert_eq!(language(Some("de")), "de");
        assert_eq!(language(Some("pt")), "en");
    }
}

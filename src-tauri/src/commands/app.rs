//! First run, unlock, lock, settings.

use super::State;
use saldo_core::session::{self, UnlockError};
use saldo_core::CoreError;

use crate::error::{IpcCode, IpcError, IpcResult};
use crate::state::AppFile;
use crate::views::{AppStatus, GatewayTest, Mode, RegisterForm, Settings, SetupRequest, TermsView};

/// Where the app is: setup, locked or ready.
#[tauri::command]
pub async fn app_status(state: State<'_>) -> IpcResult<AppStatus> {
    state.status().await
}

/// First run: the mode, then the database (keyring, or the passphrase).
#[tauri::command]
pub async fn setup_app(state: State<'_>, request: SetupRequest) -> IpcResult<AppStatus> {
    let mut file = AppFile::load(&state.data_dir)?;
    not_set_up_yet(&file)?;
    file.gateway_url = match request.mode {
        Mode::Sandbox => None,
        Mode::Gateway => Some(session::gateway_url(request.gateway_url.as_deref().unwrap_or_default())?.to_string()),
    };
    let passphrase = request.passphrase.filter(|p| !p.is_empty());
    match &passphrase {
        Some(p) => drop(session::new_passphrase(p.clone())?),
        None if !state.keyring_available() => return Err(CoreError::from(UnlockError::NoKeyring).into()),
        None => {}
    }
    file.mode = Some(request.mode);
    file.save(&state.data_dir)?;
    state.unlock(passphrase).await?;
    state.status().await
}

/// The first run happens once: a set-up Saldo is unlocked, not set up again
/// over its data (changing the gateway is a setting of its own).
fn not_set_up_yet(file: &AppFile) -> IpcResult<()> {
    match file.mode {
        Some(_) => Err(IpcError::new(IpcCode::Invalid, "Saldo is already set up")),
        None => Ok(()),
    }
}

/// Opens the database with the keyring or a passphrase.
#[tauri::command]
pub async fn unlock(state: State<'_>, passphrase: Option<String>) -> IpcResult<AppStatus> {
    state.unlock(passphrase.filter(|p| !p.is_empty())).await?;
    state.status().await
}

/// Closes the database.
#[tauri::command]
pub async fn lock(state: State<'_>) -> IpcResult<AppStatus> {
    state.lock().await;
    state.status().await
}

/// Tests a gateway address: its catalog, or why it cannot be reached.
#[tauri::command]
pub async fn test_gateway(url: String) -> IpcResult<GatewayTest> {
    let url = session::gateway_url(&url)?;
    let client = saldo_gateway::GatewayClient::new(saldo_gateway::ClientConfig::new(url))?;
    let banks = client.banks_all(&saldo_gateway::CorrelationId::new()).await?;
    let countries: std::collections::BTreeSet<&str> = banks.iter().map(|b| b.country_iso.as_str()).collect();
    Ok(GatewayTest {
        banks: u32::try_from(banks.len()).unwrap_or(u32::MAX),
        countries: u32::try_from(countries.len()).unwrap_or(u32::MAX),
    })
}

/// Switches between the demo banks and a gateway. Connections made through
/// the other one keep their data and ask to be reconnected.
#[tauri::command]
pub async fn change_gateway(state: State<'_>, mode: Mode, url: Option<String>) -> IpcResult<AppStatus> {
    let mut file = AppFile::load(&state.data_dir)?;
    file.gateway_url = match mode {
        Mode::Sandbox => None,
        Mode::Gateway => Some(session::gateway_url(url.as_deref().unwrap_or_default())?.to_string()),
    };
    file.mode = Some(mode);
    file.save(&state.data_dir)?;
    state.connect_gateway(&file).await?;
    state.status().await
}

/// The gateway's terms and privacy notice, in `language` when it has them.
#[tauri::command]
pub async fn gateway_terms(state: State<'_>, language: String) -> IpcResult<TermsView> {
    let (client, registered) = {
        let mut session = state.session.lock().await;
        let ready = super::ready(&mut session)?;
        let client = ready.client()?.clone();
        let registered = saldo_core::onboarding::registered_person(&ready.store, client.label())?.is_some();
        (client, registered)
    };
    let t = client.terms(&language, &saldo_gateway::CorrelationId::new()).await?.body;
    Ok(TermsView {
        tc: t.tc,
        privacy: t.privacy,
        version: t.version,
        language: t.language,
        available_languages: t.available_languages,
        registered,
    })
}

/// Registers the person with the gateway (they accepted a terms version).
#[tauri::command]
pub async fn register_person(state: State<'_>, form: RegisterForm) -> IpcResult<()> {
    let (mut store, client) = super::detached(&state).await?;
    if [&form.first_name, &form.last_name, &form.email].iter().all(|v| v.trim().is_empty()) {
        saldo_core::onboarding::accept_terms(&mut store, &client, form.accept_terms).await?;
        return Ok(());
    }
    let user = saldo_gateway::NewUser {
        firstname: form.first_name.trim().to_owned(),
        lastname: form.last_name.trim().to_owned(),
        email: form.email.trim().to_owned(),
        cell_phone: form.phone.filter(|p| !p.trim().is_empty()),
        vatid: None,
        external_ref: None,
        date_of_birth: form.date_of_birth.filter(|d| !d.is_empty()).map(|d| format!("{d}T00:00:00")),
        validated_version_tc: form.accept_terms,
    };
    saldo_core::onboarding::register(&mut store, &client, &user).await?;
    Ok(())
}

/// Saves the settings.
#[tauri::command]
pub async fn save_settings(app: tauri::AppHandle, state: State<'_>, settings: Settings) -> IpcResult<AppStatus> {
    let mut file = AppFile::load(&state.data_dir)?;
    let login = settings.start_at_login;
    if settings.notifications != file.settings.notifications {
        crate::notify::ask_permission(&app);
    }
    file.settings = settings;
    file.save(&state.data_dir)?;
    crate::tray::apply_login_item(&app, login);
    state.status().await
}

#[cfg(test)]
mod tests {
    use super::not_set_up_yet;
    use crate::state::AppFile;
    use crate::views::Mode;

    #[test]
    fn setup_is_refused_once_saldo_is_set_up() {
        assert!(not_set_up_yet(&AppFile::default()).is_ok(), "a first run may set up");
        let done = AppFile { mode: Some(Mode::Sandbox), ..AppFile::default() };
        let err = not_set_up_yet(&done).unwrap_err();
        assert_eq!(err.code, crate::error::IpcCode::Invalid);
        assert_eq!(err.message, "Saldo is already set up");
    }
}

// Settings → In the background: which notifications Saldo shows, whether
// closing the window keeps it in the tray (the daily sync goes on), starting
// at login in the tray, and on Linux a daily timer for when Saldo is not
// running at all.
import { useEffect, useState } from "preact/hooks";
import type { AppStatus, IpcError, NotificationSettings, ScheduleView } from "../bindings";
import { api, asError } from "../backend/api";
import { Banner } from "./ui";
import { t, type MessageKey } from "../i18n";

const KINDS: [keyof NotificationSettings, MessageKey][] = [
  ["reconnect", "background.notifyReconnect"],
  ["consent_ending", "background.notifyConsent"],
  ["sync_failed", "background.notifyFailed"],
  ["daily_summary", "background.notifySummary"],
];

export function BackgroundCard(props: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const s = props.status.settings;
  const [error, setError] = useState<IpcError | null>(null);
  const [timer, setTimer] = useState<ScheduleView | null>(null);
  useEffect(() => { api.scheduleStatus().then(setTimer, () => setTimer(null)); }, []);
  const save = async (patch: Partial<AppStatus["settings"]>) => {
    try { props.onStatus(await api.saveSettings({ ...s, ...patch })); } catch (e) { setError(asError(e)); }
  };
  const toggleTimer = async (on: boolean) => {
    setError(null);
    try { setTimer(await (on ? api.scheduleInstall() : api.scheduleRemove())); } catch (e) { setError(asError(e)); }
  };
  return (
    <div class="card settings" data-testid="background">
      <h2>{t("background.title")}</h2>
      {error && <Banner kind="error" title={t("settings.notSaved")} onClose={() => setError(null)}>{error.message}</Banner>}
      <fieldset>
        <legend>{t("background.notifications")}</legend>
        {KINDS.map(([kind, label]) => (
          <label class="check" key={kind}>
            <input type="checkbox" checked={s.notifications[kind]} data-notify={kind}
              onChange={(e) => save({ notifications: { ...s.notifications, [kind]: e.currentTarget.checked } })} /> {t(label)}
          </label>
        ))}
      </fieldset>
      <label class="check"><input type="checkbox" checked={s.close_to_tray} data-setting="close-to-tray" onChange={(e) => save({ close_to_tray: e.currentTarget.checked })} /> {t("background.closeToTray")}</label>
      <label class="check"><input type="checkbox" checked={s.start_at_login} data-setting="start-at-login" onChange={(e) => save({ start_at_login: e.currentTarget.checked })} /> {t("background.startAtLogin")}</label>
      {timer?.available && (
        <div class="row">
          <label class="check"><input type="checkbox" checked={timer.installed} data-setting="daily-timer" onChange={(e) => toggleTimer(e.currentTarget.checked)} /> {t("background.timer")}</label>
          {timer.installed && timer.systemd !== "ok" && <span class="muted small" role="status">{timer.systemd}</span>}
        </div>
      )}
      <p class="muted small">{t("background.never")}</p>
    </div>
  );
}

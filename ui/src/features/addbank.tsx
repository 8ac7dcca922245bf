// Adding (or reconnecting) a bank: country → bank → the bank's form →
// "Continue in your browser" → waiting (cancel) → option choice, the bank's
// questions (a client number, a card reader's code) or confirming in the
// banking app when the bank asks → choosing which of the discovered accounts
// to sync (R12).
import { useEffect, useRef, useState } from "preact/hooks";
import type { AccountView, BankForm, BankView, ConnectionView, IpcError, Step, TermsView } from "../bindings";
import { api, asError, events } from "../backend/api";
import { countryName, homeRegion, orderCountries } from "../backend/format";
import { Banner, Loading, Modal } from "./ui";
import { currentLanguage, t } from "../i18n";

export function AddBank(props: { reconnect: ConnectionView | null; onClose: () => void }) {
  const [country, setCountry] = useState(props.reconnect?.country || "");
  const [countries, setCountries] = useState<string[]>([]);
  const [banks, setBanks] = useState<BankView[] | null>(null);
  const [query, setQuery] = useState("");
  const [bank, setBank] = useState<BankView | null>(null);
  const [form, setForm] = useState<BankForm | null>(null);
  const [ibans, setIbans] = useState<string[]>([""]);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [step, setStep] = useState<Step | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  const [accounts, setAccounts] = useState<AccountView[]>([]);
  const [chosen, setChosen] = useState<Set<number>>(new Set());
  const [answer, setAnswer] = useState("");
  const [onboarding, setOnboarding] = useState<string | null>(null);
  // The bank's first words on a decoupled step say where to confirm; later
  // polls only say "still waiting". Keep the first, show the latest below.
  const [instructions, setInstructions] = useState<string | null>(null);
  const flow = useRef<string | null>(null);
  // Steps that arrived (as events) before connectStart returned: a fast
  // browser can bring the bank's callback back before the answer that
  // opened it. The later step wins.
  const early = useRef(new Map<string, Step>());

  // The countries the gateway serves (not a list built into Saldo), the
  // person's own first; it is chosen when the gateway serves it.
  useEffect(() => {
    if (props.reconnect !== null) return; // a reconnect stays on the connection's own bank
    api.countries().then((codes) => {
      const ordered = orderCountries(codes);
      setCountries(ordered);
      const home = homeRegion();
      setCountry(home && codes.includes(home) ? home : codes.includes("BE") ? "BE" : ordered[0] ?? "");
    }, (e) => setError(asError(e)));
  }, []);

  useEffect(() => {
    if (props.reconnect !== null || country === "") return;
    setBanks(null);
    api.banks(country).then(setBanks, (e) => setError(asError(e)));
  }, [country]);

  useEffect(() => {
    const c = props.reconnect;
    if (c !== null) void pick({ connector_id: c.connector_id, name: c.bank_name, country: c.country, available: true, logo_url: null });
  }, []);

  useEffect(() => {
    const un = events.onConnectStep((s) => {
      if (s.kind === "failed" && s.flow_id === "") return; // not ours: shown by the app
      if (flow.current === null) early.current.set(s.flow_id, s);
      else if (s.flow_id === flow.current) setStep(s);
    });
    return () => void un.then((f) => f());
  }, []);

  useEffect(() => {
    if (!step) return;
    flow.current = step.flow_id;
    if (step.kind === "decoupled") {
      setInstructions((first) => first ?? step.message);
      const t = setTimeout(() => { api.connectPoll(step.flow_id).then(setStep, (e) => setError(asError(e))); }, 1500);
      return () => clearTimeout(t);
    }
    if (step.kind === "connected") {
      api.overview().then((o) => {
        const mine = o.accounts.filter((a) => a.connection_id === step.connection_id && !a.disappeared);
        setAccounts(mine);
        setChosen(new Set(mine.filter((a) => a.enabled || props.reconnect === null).map((a) => a.id)));
      }, (e) => setError(asError(e)));
    }
    return undefined;
  }, [step]);

  const pick = async (b: BankView) => {
    setBank(b);
    setError(null);
    setForm(null);
    try { setForm(await api.bankForm(b.connector_id)); } catch (e) { setError(asError(e)); }
  };
  const start = (e: Event) => {
    e.preventDefault();
    void begin();
  };
  const begin = async () => {
    if (!bank) return;
    setBusy(true);
    setError(null);
    try {
      const s = await api.connectStart({ connector_id: bank.connector_id, bank_name: bank.name, country: bank.country, ibans, additional: fields, reconnect: props.reconnect?.id ?? null });
      flow.current = s.flow_id;
      setStep(early.current.get(s.flow_id) ?? s);
      early.current.clear();
    } catch (err) {
      const e = asError(err);
      // The gateway serves registered people only (or its terms changed):
      // read, accept, register, and the connection goes on by itself.
      if (e.code === "needs_registration") setOnboarding(e.message);
      else setError(e);
    } finally {
      setBusy(false);
    }
  };
  const cancel = async () => {
    if (step && (step.kind === "browser" || step.kind === "decoupled" || step.kind === "choose" || step.kind === "ask")) await api.connectCancel(step.flow_id).catch(() => {});
    props.onClose();
  };
  const reply = async (e: Event) => {
    e.preventDefault();
    if (step?.kind !== "ask") return;
    setBusy(true);
    setError(null);
    try {
      const next = await api.connectAnswer(step.flow_id, answer);
      setAnswer(""); // the bank may ask again (a wrong code): never keep the old answer
      setStep(next);
    } catch (err) {
      setError(asError(err));
    } finally {
      setBusy(false);
    }
  };
  const finish = async () => {
    setBusy(true);
    try {
      for (const a of accounts) {
        const want = chosen.has(a.id);
        if (want !== a.enabled) await api.setAccountEnabled(a.id, want);
      }
      if (step?.kind === "connected") await api.syncNow(step.connection_id);
      props.onClose();
    } catch (e) {
      setError(asError(e));
      setBusy(false);
    }
  };

  const title = props.reconnect !== null ? t("addBank.reconnectTitle") : t("addBank.title");
  const shown = (banks ?? []).filter((b) => b.name.toLowerCase().includes(query.trim().toLowerCase()));

  return (
    <Modal title={title} onClose={cancel} wide>
      {error && <Banner kind="error" title={t("common.failed")} onClose={() => setError(null)}>{error.message}</Banner>}
      {!step && !bank && (
        <div class="pick-bank">
          <div class="row">
            {countries.length > 0 && (
              <select aria-label={t("addBank.country")} value={country} onChange={(e) => setCountry(e.currentTarget.value)}>
                {countries.map((c) => <option key={c} value={c}>{countryName(c)}</option>)}
              </select>
            )}
            <input type="search" placeholder={t("addBank.search")} aria-label={t("addBank.search")} value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
          </div>
          {!banks && <Loading label={t("addBank.loading")} />}
          <ul class="banks">
            {shown.map((b) => (
              <li key={b.connector_id}>
                <button class="bank" disabled={!b.available} onClick={() => pick(b)} data-connector={b.connector_id}>
                  {b.logo_url ? <img src={b.logo_url} alt="" width={32} height={32} /> : <span class="logo-ph" aria-hidden="true">{b.name.slice(0, 1)}</span>}
                  <span class="bank-name">{b.name}</span>
                  <span class={`pill ${b.available ? "active" : "needs_reconnect"}`}>{b.available ? t("addBank.available") : t("addBank.unavailable")}</span>
                </button>
              </li>
            ))}
          </ul>
          {banks && shown.length === 0 && <p class="muted">{t("addBank.noMatch", { query })}</p>}
        </div>
      )}
      {!step && bank && onboarding !== null && (
        <Onboarding reason={onboarding} onDone={() => { setOnboarding(null); void begin(); }} />
      )}
      {!step && bank && onboarding === null && (
        <form class="bank-form" onSubmit={start}>
          {props.reconnect === null && <p><button type="button" class="ghost small" onClick={() => setBank(null)}>{t("addBank.otherBank")}</button></p>}
          <h3>{bank.name}</h3>
          {!form && <Loading />}
          {form?.needs_ibans && (
            <fieldset>
              <legend>{t("addBank.ibans")}</legend>
              {ibans.map((v, i) => (
                <input key={i} class="mono" required={i === 0} placeholder={t("addBank.ibanExample")} value={v} aria-label={t("addBank.iban", { n: i + 1 })}
                  onInput={(e) => { const n = [...ibans]; n[i] = e.currentTarget.value; setIbans(n); }} />
              ))}
              <button type="button" class="ghost small" onClick={() => setIbans([...ibans, ""])}>{t("addBank.anotherAccount")}</button>
            </fieldset>
          )}
          {form?.fields.map((f) => (
            <label class="field" key={f.key}>{f.label}
              <input required={f.required} pattern={f.pattern?.replace(/^\^|\$$/g, "") ?? undefined} value={fields[f.key] ?? ""} onInput={(e) => setFields({ ...fields, [f.key]: e.currentTarget.value })} />
              {f.description && <span class="muted small">{f.description}</span>}
            </label>
          ))}
          {form && <p class="muted small">{t("addBank.consent", { days: form.max_consent_days })}</p>}
          <button class="primary wide" type="submit" disabled={!form || busy} data-action="continue-in-browser">{busy ? t("addBank.opening") : t("addBank.continue")}</button>
        </form>
      )}
      {step?.kind === "browser" && (
        <div class="waiting" data-testid="waiting">
          <span class="spinner big" aria-hidden="true" />
          <h3>{t("addBank.atBank")}</h3>
          <p>{bank ? t("addBank.browserOpened", { bank: bank.name }) : t("addBank.browserOpenedBank")}</p>
          {step.no_callback && <button class="primary" onClick={() => api.connectContinue(step.flow_id).then(setStep, (e) => setError(asError(e)))}>{t("addBank.approved")}</button>}
          <details><summary class="muted small">{t("addBank.noBrowser")}</summary><p class="mono small break">{step.url}</p></details>
          <button onClick={cancel} data-action="cancel-flow">{t("common.cancel")}</button>
        </div>
      )}
      {step?.kind === "choose" && (
        <div class="choose">
          <h3>{t("addBank.howConfirm")}</h3>
          {step.options.map(([key, label]) => (
            <button key={key} class="choice-btn" onClick={() => api.connectChoose(step.flow_id, key).then(setStep, (e) => setError(asError(e)))} data-option={key}>{label}</button>
          ))}
          <button class="ghost" onClick={cancel}>{t("common.cancel")}</button>
        </div>
      )}
      {step?.kind === "ask" && (
        <form class="ask" onSubmit={reply} data-testid="ask">
          <h3>{bank ? t("addBank.asks", { bank: bank.name }) : t("addBank.yourBankAsks")}</h3>
          <p class="prompt" data-testid="prompt">{step.prompt}</p>
          <label class="field">{step.secret ? t("addBank.code") : t("addBank.answer")}
            <input class="mono" required autoFocus type={step.secret ? "password" : "text"} value={answer}
              autocomplete={step.secret ? "one-time-code" : "off"} spellcheck={false} aria-label={step.secret ? t("addBank.code") : t("addBank.answer")}
              onInput={(e) => setAnswer(e.currentTarget.value)} data-field="answer" />
          </label>
          <div class="row">
            <button class="primary" type="submit" disabled={busy || answer.trim() === ""} data-action="answer">{busy ? t("addBank.checking") : t("addBank.next")}</button>
            <button type="button" class="ghost" onClick={cancel}>{t("common.cancel")}</button>
          </div>
        </form>
      )}
      {step?.kind === "decoupled" && (
        <div class="waiting">
          <span class="spinner big" aria-hidden="true" />
          <h3>{t("addBank.confirmInApp")}</h3>
          <p data-testid="instructions">{instructions ?? step.message}</p>
          {instructions !== null && step.message !== instructions && <p class="muted small" role="status">{step.message}</p>}
          <button onClick={cancel}>{t("common.cancel")}</button>
        </div>
      )}
      {step?.kind === "failed" && (
        <div class="waiting">
          <Banner kind="error" title={t("addBank.refused")}>{step.message}</Banner>
          <button class="primary" onClick={() => { setStep(null); flow.current = null; }}>{t("addBank.tryAgain")}</button>
        </div>
      )}
      {step?.kind === "connected" && (
        <div class="connected" data-testid="connected">
          <h3>{t("addBank.connected")}</h3>
          <p class="muted">{t("addBank.connectedText")}</p>
          <ul class="pick-accounts">
            {accounts.map((a) => (
              <li key={a.id}><label class="check">
                <input type="checkbox" checked={chosen.has(a.id)} data-account-choice={a.id}
                  onChange={(e) => { const n = new Set(chosen); if (e.currentTarget.checked) n.add(a.id); else n.delete(a.id); setChosen(n); }} />
                <span><strong>{a.name}</strong> <span class="muted small mono">{a.iban ?? ""} · {a.currency}</span></span>
              </label></li>
            ))}
          </ul>
          <button class="primary wide" onClick={finish} disabled={busy} data-action="finish">{busy ? t("common.syncing") : t("addBank.finish")}</button>
        </div>
      )}
    </Modal>
  );
}

/** The gateway's terms and privacy notice, read and accepted, and the
 * person's details: a registration, then the connection goes on. */
function Onboarding(props: { reason: string; onDone: () => void }) {
  const [language, setLanguage] = useState<string>(currentLanguage());
  const [terms, setTerms] = useState<TermsView | null>(null);
  const [accepted, setAccepted] = useState(false);
  const [person, setPerson] = useState({ first: "", last: "", email: "", birth: "", phone: "" });
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.gatewayTerms(language).then((t) => { setTerms(t); setAccepted(false); }, (e) => setError(asError(e)));
  }, [language]);
  const field = (key: keyof typeof person, label: string, type = "text", required = true) => (
    <label class="field">{label}
      <input type={type} required={required} data-field={key} value={person[key]} onInput={(e) => setPerson({ ...person, [key]: e.currentTarget.value })} />
    </label>
  );
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!terms) return;
    setBusy(true);
    setError(null);
    try {
      // Registered before: no details, the gateway keeps those it has.
      const details = terms.registered ? { first: "", last: "", email: "", birth: "", phone: "" } : person;
      await api.registerPerson({
        first_name: details.first, last_name: details.last, email: details.email,
        date_of_birth: details.birth || null, phone: details.phone || null, accept_terms: terms.version,
      });
      props.onDone();
    } catch (err) {
      setError(asError(err));
      setBusy(false);
    }
  };
  return (
    <form class="bank-form onboarding" onSubmit={submit} data-testid="onboarding">
      <p>{props.reason}</p>
      {error && <Banner kind="error" title={t("onboarding.failed")}>{error.message}</Banner>}
      {!terms && <Loading label={t("onboarding.loading")} />}
      {terms && (
        <>
          <div class="row">
            <h3>{t("onboarding.terms", { version: terms.version })}</h3>
            {terms.available_languages.length > 1 && (
              <select aria-label={t("onboarding.language")} value={terms.language ?? language} onChange={(e) => setLanguage(e.currentTarget.value)}>
                {terms.available_languages.map((l) => <option key={l} value={l}>{l.toUpperCase()}</option>)}
              </select>
            )}
          </div>
          <div class="terms-text" tabIndex={0} data-testid="terms" style={{ maxHeight: "9em", overflow: "auto", whiteSpace: "pre-wrap" }}>{terms.tc}</div>
          <h3>{t("onboarding.privacy")}</h3>
          <div class="terms-text" tabIndex={0} style={{ maxHeight: "6em", overflow: "auto", whiteSpace: "pre-wrap" }}>{terms.privacy}</div>
          <label class="check"><input type="checkbox" data-field="accept-terms" checked={accepted} onChange={(e) => setAccepted(e.currentTarget.checked)} /> {t("onboarding.accept", { version: terms.version })}</label>
          {terms.registered ? (
            <p class="muted" data-testid="registered-before">{t("onboarding.registered")}</p>
          ) : (
            <>
              {field("first", t("onboarding.firstName"))}
              {field("last", t("onboarding.lastName"))}
              {field("email", t("onboarding.email"), "email")}
              {field("birth", t("onboarding.birth"), "date", false)}
              {field("phone", t("onboarding.phone"), "tel", false)}
            </>
          )}
          <button class="primary wide" type="submit" disabled={!accepted || busy} data-action="register">
            {busy ? t("onboarding.sending") : terms.registered ? t("onboarding.acceptContinue") : t("onboarding.register")}
          </button>
        </>
      )}
    </form>
  );
}

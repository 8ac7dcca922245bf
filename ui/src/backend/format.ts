// Locale-aware formatting. Amounts arrive as exact decimal strings and are
// handed to Intl as strings (exact in engines with Intl.NumberFormat v3);
// Intl knows each currency's decimals (JPY 0, EUR 2, KWD 3).
import { t } from "../i18n";
/**
 * The person's locale, from the webview's language list. A POSIX locale such
 * as `C` (a desktop session with LANG=C) is not a language tag and makes Intl
 * throw, so each candidate is checked and the first valid one wins.
 */
export function pickLocale(candidates: readonly (string | undefined)[]): string {
  for (const c of candidates) {
    if (!c) continue;
    try {
      const [tag] = Intl.getCanonicalLocales(c);
      if (tag && Intl.NumberFormat.supportedLocalesOf([tag]).length > 0) return tag;
    } catch {
      // not a BCP 47 tag: try the next one
    }
  }
  return "en-US";
}

let locale = pickLocale([...(navigator.languages ?? []), navigator.language]);
let cache = new Map<string, Intl.NumberFormat>();
let spokenCache = new Map<string, Intl.NumberFormat>();
let regionNames: Intl.DisplayNames | null = displayNames();
let dateFormat = dayFormat();
let monthFormat = monthsFormat();

/** Format for `tag` from now on (the language setting changed). */
export function setLocale(tag: string) {
  if (tag === locale) return;
  locale = tag;
  cache = new Map();
  spokenCache = new Map();
  regionNames = displayNames();
  dateFormat = dayFormat();
  monthFormat = monthsFormat();
}

/** The person's own country (from their locale), if it names one. */
export function homeRegion(): string | null {
  try {
    return new Intl.Locale(locale).maximize().region ?? null;
  } catch {
    return null;
  }
}

function displayNames(): Intl.DisplayNames | null {
  try {
    return new Intl.DisplayNames([locale], { type: "region" });
  } catch {
    return null;
  }
}

/** A country's name in the person's language (the code when unknown). */
export function countryName(code: string): string {
  try {
    return regionNames?.of(code) ?? code;
  } catch {
    return code;
  }
}

/** Countries for a picker: the person's own first, then by name. */
export function orderCountries(codes: readonly string[]): string[] {
  const home = homeRegion();
  return [...codes].sort((a, b) => (a === home ? -1 : b === home ? 1 : countryName(a).localeCompare(countryName(b), locale)));
}

function currencyFormat(currency: string): Intl.NumberFormat {
  let f = cache.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, { style: "currency", currency, currencyDisplay: "symbol" });
    } catch {
      f = new Intl.NumberFormat(locale, { minimumFractionDigits: 2 });
    }
    cache.set(currency, f);
  }
  return f;
}

/** `-1533.11`, `EUR` → `-€1,533.11` (in the person's locale). */
export function money(amount: string, currency: string): string {
  const f = currencyFormat(currency);
  // The extra digits a bank may send (R17) are shown, never rounded away.
  const decimals = (amount.split(".")[1] ?? "").length;
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  const g = decimals > digits
    ? new Intl.NumberFormat(locale, { style: "currency", currency, minimumFractionDigits: decimals, maximumFractionDigits: decimals })
    : f;
  return g.format(amount as Intl.StringNumericLiteral);
}

/** Whole units with the currency's name (`12 euros`, `1 euro`: Intl knows each language's plurals). */
function unitsFormat(currency: string): Intl.NumberFormat {
  let f = spokenCache.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, { style: "currency", currency, currencyDisplay: "name", minimumFractionDigits: 0, maximumFractionDigits: 0 });
    } catch {
      f = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    }
    spokenCache.set(currency, f);
  }
  return f;
}

/**
 * An amount as a screen reader should say it: the sign as a word and the
 * currency by its name, from the exact string (`-12.30`, `EUR` → "minus 12
 * euros 30"; Dutch "min 12 euro 30"). The shown `-€12.30` would be read as
 * "dash euro 12.30", or without its sign, depending on the reader's settings.
 */
export function spokenMoney(amount: string, currency: string): string {
  const a = amount.trim();
  const [whole = "0", fraction = ""] = a.replace(/^[-+]/, "").split(".");
  const f = unitsFormat(currency);
  const named = f.format((whole || "0") as Intl.StringNumericLiteral);
  // A code Intl does not know: the number, then the code.
  const units = f.resolvedOptions().style === "currency" ? named : `${named} ${currency}`;
  const cents = /[1-9]/.test(fraction) ? fraction : "";
  const text = cents ? t("format.unitsAndCents", { units, cents }) : units;
  return isNegative(a) && /[1-9]/.test(whole + fraction) ? t("format.negative", { amount: text }) : text;
}

export function isNegative(amount: string): boolean {
  return amount.trim().startsWith("-");
}

function dayFormat(): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

function monthsFormat(): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale, { month: "short", year: "2-digit", timeZone: "UTC" });
}

/** A calendar date (`2026-01-05`) in the person's locale; never shifted by time zones. */
export function day(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}

export function month(yyyyMm: string): string {
  const d = new Date(`${yyyyMm}-01T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? yyyyMm : monthFormat.format(d);
}

export function when(iso: string | null | undefined): string {
  if (!iso) return t("format.never");
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/** A file's size (`12.3 MB`) in the person's locale. */
export function bytes(n: number): string {
  const [unit, size] = n >= 1 << 30 ? ["gigabyte", n / (1 << 30)] as const : n >= 1 << 20 ? ["megabyte", n / (1 << 20)] as const : ["kilobyte", Math.max(1, Math.round(n / 1024))] as const;
  return new Intl.NumberFormat(locale, { style: "unit", unit, maximumFractionDigits: 1 }).format(size);
}

// The window's words: one catalog per language (ICU MessageFormat, read by
// intl-messageformat: placeholders, plurals by Intl.PluralRules, numbers and
// dates by Intl). English is the reference; a key missing from another
// catalog fails the typecheck, and `npm test` (ui/i18n.test.mjs) fails on a
// key missing, extra, unused or with other placeholders than English's.
import type { ComponentChildren, VNode } from "preact";
import { IntlMessageFormat, type FormatXMLElementFn, type PrimitiveType } from "intl-messageformat";
import { pickLocale, setLocale } from "../backend/format";
import en from "./en.json";
import nl from "./nl.json";
import fr from "./fr.json";
import de from "./de.json";
import es from "./es.json";

/** A message's key: the typecheck refuses any other string. */
export type MessageKey = keyof typeof en;
type Catalog = Record<MessageKey, string>;

/** The languages Saldo speaks, as BCP 47 language subtags. */
export const LANGUAGES = ["en", "nl", "fr", "de", "es"] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language's name in itself (shown as is, whatever the window's language). */
export const LANGUAGE_NAMES: Record<Language, string> = { en: "English", nl: "Nederlands", fr: "Français", de: "Deutsch", es: "Español" };

const catalogs: Record<Language, Catalog> = { en, nl, fr, de, es };

let language: Language = "en";
let compiled = new Map<MessageKey, IntlMessageFormat>();

function languageOf(tag: string | undefined): Language | null {
  if (!tag) return null;
  const primary = tag.toLowerCase().split(/[-_.]/)[0];
  return LANGUAGES.find((l) => l === primary) ?? null;
}

function systemLanguages(): string[] {
  return [...(navigator.languages ?? []), navigator.language].filter((l): l is string => typeof l === "string" && l !== "");
}

/** The language the system asks for, when Saldo speaks it (else English). */
export function systemLanguage(): Language {
  for (const l of systemLanguages()) {
    const lang = languageOf(l);
    if (lang) return lang;
  }
  return "en";
}

/**
 * Speak `chosen` (a setting; `null`: follow the system). Amounts and dates
 * follow along: in the system's own region when it speaks that language
 * (`nl-BE` stays Belgian), else the language's usual one.
 */
export function applyLanguage(chosen: string | null | undefined): Language {
  const system = systemLanguages();
  const wanted = languageOf(chosen ?? undefined);
  const next = wanted ?? systemLanguage();
  const locale = wanted
    ? pickLocale([...system.filter((l) => languageOf(l) === wanted), wanted])
    : pickLocale(system);
  setLocale(locale);
  if (next !== language) {
    language = next;
    compiled = new Map();
  }
  document.documentElement.lang = next;
  return next;
}

/** The window's language now. */
export function currentLanguage(): Language {
  return language;
}

function message(key: MessageKey): IntlMessageFormat {
  let m = compiled.get(key);
  if (!m) {
    m = new IntlMessageFormat(catalogs[language][key] ?? en[key], language);
    compiled.set(key, m);
  }
  return m;
}

/** The message `key` in the window's language, its placeholders filled. */
export function t(key: MessageKey, values?: Record<string, PrimitiveType>): string {
  const out = message(key).format(values);
  return Array.isArray(out) ? out.join("") : String(out);
}

/** A message with markup: its tags (`<mono>…</mono>`) become the elements `values` gives. */
export function tx(key: MessageKey, values: Record<string, PrimitiveType | VNode | FormatXMLElementFn<VNode, VNode>>): ComponentChildren {
  return message(key).format<VNode>(values);
}

// The message catalogs against each other and against the code (run by
// `npm test` in ui/, which scripts/build-ui runs before bundling): every
// language has exactly English's keys, each message parses as ICU
// MessageFormat with the same placeholders and tags as English, plurals use
// only the language's own categories, and every key the code uses exists
// while every key a catalog defines is used somewhere in ui/src.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { IntlMessageFormat } from "intl-messageformat";

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, "..");
const LANGUAGES = ["en", "nl", "fr", "de", "es"];
const catalogs = Object.fromEntries(LANGUAGES.map((l) => [l, JSON.parse(fs.readFileSync(path.join(here, `${l}.json`), "utf8"))]));
const en = catalogs.en;
const keys = Object.keys(en);

// ICU element types (intl-messageformat's AST): 1 argument, 2 number,
// 3 date, 4 time, 5 select, 6 plural, 8 tag.
const ARG = new Set([1, 2, 3, 4, 5, 6]);

/** The placeholders and tags of a message, and its plurals' option names. */
function shape(message, language) {
  const args = new Set();
  const tags = new Set();
  const plurals = [];
  const walk = (elements) => {
    for (const el of elements) {
      if (ARG.has(el.type)) args.add(el.value);
      if (el.type === 8) {
        tags.add(el.value);
        walk(el.children);
      }
      if (el.type === 5 || el.type === 6) {
        if (el.type === 6) plurals.push({ name: el.value, options: Object.keys(el.options) });
        for (const o of Object.values(el.options)) walk(o.value);
      }
    }
  };
  walk(new IntlMessageFormat(message, language).getAst());
  return { args: [...args].sort(), tags: [...tags].sort(), plurals };
}

test("every catalog has exactly the keys English has", () => {
  for (const l of LANGUAGES) {
    const have = Object.keys(catalogs[l]);
    const missing = keys.filter((k) => !(k in catalogs[l]));
    const extra = have.filter((k) => !(k in en));
    assert.deepEqual(missing, [], `${l}.json lacks keys English has`);
    assert.deepEqual(extra, [], `${l}.json has keys English lacks`);
    for (const k of have) assert.ok(typeof catalogs[l][k] === "string" && catalogs[l][k].trim() !== "", `${l}.json: ${k} is an empty message`);
  }
});

test("every message parses, with English's placeholders and tags, and plurals in the language's own categories", () => {
  for (const k of keys) {
    const ref = shape(en[k], "en");
    for (const l of LANGUAGES) {
      let got;
      assert.doesNotThrow(() => { got = shape(catalogs[l][k], l); }, `${l}.json: ${k} is not valid ICU MessageFormat`);
      assert.deepEqual(got.args, ref.args, `${l}.json: ${k} has other placeholders than English (a quote before "{" hides one)`);
      assert.deepEqual(got.tags, ref.tags, `${l}.json: ${k} has other tags than English`);
      const categories = new Set(new Intl.PluralRules(l).resolvedOptions().pluralCategories);
      for (const p of got.plurals) {
        assert.ok(p.options.includes("other"), `${l}.json: ${k}: the plural of {${p.name}} needs "other"`);
        for (const o of p.options) {
          assert.ok(o.startsWith("=") || categories.has(o), `${l}.json: ${k}: "${o}" is not a plural category of ${l} (${[...categories]})`);
        }
      }
    }
  }
});

test("every message formats in its language with sample values", () => {
  for (const k of keys) {
    const { args, tags } = shape(en[k], "en");
    const values = Object.fromEntries([...args.map((a) => [a, 2]), ...tags.map((t) => [t, (chunks) => chunks.join("")])]);
    for (const l of LANGUAGES) {
      const out = new IntlMessageFormat(catalogs[l][k], l).format(values);
      assert.equal(typeof (Array.isArray(out) ? out.join("") : out), "string", `${l}.json: ${k} formats`);
    }
  }
});

/** The window's code (not the catalogs, not this test). */
function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|tsx)$/.test(e.name) ? [p] : [];
  });
}
const code = sources(src).map((f) => fs.readFileSync(f, "utf8")).join("\n");

test("every key the code asks for is in the catalogs", () => {
  const asked = [...code.matchAll(/\btx?\(\s*["']([^"']+)["']/g)].map((m) => m[1]);
  assert.ok(asked.length > 100, `the scan finds the code's t("…") calls (${asked.length})`);
  const unknown = [...new Set(asked.filter((k) => !(k in en)))];
  assert.deepEqual(unknown, [], "keys used in ui/src but missing from en.json");
});

test("every key in the catalogs is used by the code", () => {
  // A key counts as used where it appears as a string literal: in a t("…")
  // call or in a table of keys (the navigation, export formats).
  const literals = new Set([...code.matchAll(/["']([a-zA-Z0-9]+\.[a-zA-Z0-9.]+)["']/g)].map((m) => m[1]));
  const unused = keys.filter((k) => !literals.has(k));
  assert.deepEqual(unused, [], "keys defined in en.json but used nowhere in ui/src");
});

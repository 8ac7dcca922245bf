// The window's language, in the real app over WebDriver: on a machine whose
// locale is English (or C) it speaks English by default (it follows the
// system); Settings → Language switches every screen at once, amounts and
// dates follow the chosen language, the choice survives a reload, and
// "Follow the system" brings English back. Screenshots of the overview in
// Dutch and French (desktop-50, -51), and in German and Spanish (-52, -53),
// whose longer words are where a layout breaks first (with German's other
// main screens, -54..-57).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { By } from "selenium-webdriver";
import { closeApp, makeHome, openApp, startDriver } from "./harness.mjs";

const { env } = makeHome();
let driverProc;
let session;

before(async () => {
  driverProc = await startDriver(env);
  session = await openApp();
});

after(() => closeApp(session?.driver, driverProc));

/** Chooses a language in Settings (`""`: follow the system). */
async function chooseLanguage(value) {
  const { $, click, driver } = session;
  await click("[data-nav=settings]");
  const select = await $("select[data-setting=language]");
  await driver.executeScript("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', { bubbles: true }))", select, value);
  await driver.wait(async () => (await driver.executeScript("return document.documentElement.lang")) === (value || "en"), 10000, `the window switches to ${value || "the system's language"}`);
}

/** The overview with its charts drawn, then a screenshot. */
async function overview(name, heading, accounts) {
  const { $, click, shot, waitText } = session;
  await click("[data-nav=overview]");
  await waitText("h1", heading);
  await waitText(".grid2 h2", accounts);
  await $(".chart svg path.line", 30000);
  await $(".chart svg rect.bar-in", 30000);
  await shot(name);
}

test("the window follows the system's language and a setting overrides it", async (t) => {
  const { $, click, waitText, driver } = session;

  await t.test("an English system: English, amounts in English", async () => {
    await click("[data-action=start]", 60000);
    await waitText("h1", /Overview/);
    assert.equal(await driver.executeScript("return document.documentElement.lang"), "en", "the window speaks English on an English (or C) system");
    await click("[data-action=recovery-later]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 10000, "the offer closes");
    await click("[data-action=add-bank]");
    await click("[data-connector='-1']", 30000);
    await click("[data-action=continue-in-browser]");
    await $("[data-account-choice]", 60000);
    await click("[data-action=finish]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 120000, "the first sync finishes");
    await waitText("[data-testid=totals]", /Total in EUR[\s\S]*€/, 30000);
  });

  await t.test("Dutch: every word of the overview, and amounts written the Dutch way", async () => {
    await chooseLanguage("nl");
    await waitText("h1", /Instellingen/);
    await waitText("[data-nav=transactions]", /Transacties/);
    await overview("50-overview-nl", /Overzicht/, /Rekeningen/);
    // Dutch amounts: a decimal comma, the euro sign first (`€ 1.234,56`).
    await waitText("[data-testid=totals]", /Totaal in EUR\s*€\s?-?[\d.]+,\d\d/);
    const english = await driver.executeScript("return document.querySelector('.shell').innerText.match(/\\b(Overview|Accounts|Balance|Income vs spending|Add a bank|Settings)\\b/g)");
    assert.equal(english, null, "no English word is left on the Dutch overview");
  });

  await t.test("French, kept after the window reloads", async () => {
    await chooseLanguage("fr");
    await driver.executeScript("location.reload()");
    await waitText("h1", /Vue d’ensemble/, 30000);
    assert.equal(await driver.executeScript("return document.documentElement.lang"), "fr", "the choice is saved");
    await overview("51-overview-fr", /Vue d’ensemble/, /Comptes/);
    await waitText("[data-testid=totals]", /Total en EUR\s*-?[\d\s\u202f\u00a0]+,\d\d\s?€/);
  });

  await t.test("German and Spanish: the longest words still fit", async () => {
    await chooseLanguage("de");
    await session.shot("54-settings-de");
    await overview("52-overview-de", /Übersicht/, /Konten/);
    for (const [nav, heading, name] of [["transactions", /Umsätze/, "55-transactions-de"], ["spending", /Ausgaben/, "56-spending-de"], ["connections", /Banken/, "57-banks-de"]]) {
      await click(`[data-nav=${nav}]`);
      await waitText("h1", heading);
      await session.$("[data-tx], [data-testid^=report-], [data-connection]", 30000);
      await session.shot(name);
    }
    await chooseLanguage("es");
    await overview("53-overview-es", /Resumen/, /Cuentas/);
  });

  await t.test("following the system again: English", async () => {
    await chooseLanguage("");
    await waitText("h1", /Settings/);
    const option = await $("select[data-setting=language] option[value='']");
    assert.match(await option.getText(), /Follow the system \(English\)/, "the choice names the system's language");
    await click("[data-nav=overview]");
    await waitText("h1", /Overview/);
  });
});

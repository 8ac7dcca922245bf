import { render } from "preact";
import { App } from "./app";
import { t } from "./i18n";
import "./styles.css";

const root = document.getElementById("app");
if (root) {
  try {
    render(<App />, root);
  } catch (e) {
    // Never a blank window: say what went wrong.
    root.textContent = t("app.windowFailed", { error: String(e) });
    root.className = "center";
  }
}

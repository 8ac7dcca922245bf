import { render } from "preact";
import { App } from "./app";
import "./styles.css";

const root = document.getElementById("app");
if (root) {
  try {
    render(<App />, root);
  } catch (e) {
    // Never a blank window: say what went wrong.
    root.textContent = `Saldo could not start its window: ${String(e)}`;
    root.className = "center";
  }
}

// Small shared pieces: banners, empty states, amounts, a modal.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { isNegative, money, spokenMoney } from "../backend/format";
import { t } from "../i18n";

export function Banner(props: { kind: "error" | "warning" | "info" | "ok"; title: string; children?: ComponentChildren; onClose?: () => void; action?: ComponentChildren }) {
  return (
    <div class={`banner ${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      <div class="banner-body">
        <strong>{props.title}</strong>
        {props.children && <div class="banner-text">{props.children}</div>}
      </div>
      {props.action}
      {props.onClose && <button class="ghost small" aria-label={t("common.dismiss")} onClick={props.onClose}>✕</button>}
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <div class="empty-title">{props.title}</div>
      {props.children && <div class="muted">{props.children}</div>}
    </div>
  );
}

/** An amount as shown (`-€12.30`) and, for screen readers, in words ("minus 12 euros 30"). */
export function Amount(props: { amount: string; currency: string; class?: string }) {
  const neg = isNegative(props.amount);
  return (
    <span class={`amount ${neg ? "neg" : "pos"} ${props.class ?? ""}`}>
      <span aria-hidden="true">{money(props.amount, props.currency)}</span>
      <span class="sr-only">{spokenMoney(props.amount, props.currency)}</span>
    </span>
  );
}

export function Loading(props: { label?: string }) {
  return <div class="loading muted" aria-busy="true"><span class="spinner" aria-hidden="true" /> {props.label ?? t("common.loading")}</div>;
}

// What Tab stops at (before filtering out what is hidden).
const FOCUSABLE = "a[href], button:not(:disabled), input:not(:disabled):not([type=hidden]), select:not(:disabled), textarea:not(:disabled), summary, [tabindex]:not([tabindex='-1'])";

/** The Tab stops inside `root`, in order: shown ones, and of a radio group only its checked radio. */
function tabStops(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((e) => {
    if (e.getClientRects().length === 0) return false;
    if (e instanceof HTMLInputElement && e.type === "radio" && e.name && !e.checked) {
      return root.querySelector(`input[type=radio][name="${CSS.escape(e.name)}"]:checked`) === null;
    }
    return true;
  });
}

/**
 * A modal dialog: the rest of the window is inert while it is open, Tab and
 * Shift+Tab go round inside it, Escape closes it, and the focus goes back to
 * where it was (the button that opened it) when it closes.
 */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  // The latest onClose (it may depend on the dialog's state, e.g. a flow to cancel).
  const close = useRef(props.onClose);
  close.current = props.onClose;
  useEffect(() => {
    const modal = ref.current;
    if (!modal) return undefined;
    const prev = document.activeElement as HTMLElement | null;
    // Everything beside the dialog's path through the page: out of reach of
    // the mouse, the keyboard and screen readers.
    const made: Element[] = [];
    for (let el: Element | null = modal.parentElement; el && el !== document.body; el = el.parentElement) {
      for (const sibling of el.parentElement?.children ?? []) {
        if (sibling !== el && !sibling.hasAttribute("inert")) {
          sibling.setAttribute("inert", "");
          made.push(sibling);
        }
      }
    }
    // The first field, else the first control of the body, else the close button.
    const body = tabStops(modal).filter((e) => !e.closest(".modal-head"));
    (body.find((e) => e.matches("input, select, textarea")) ?? body[0] ?? modal.querySelector<HTMLElement>(".modal-head button") ?? modal).focus();
    const onKey = (e: KeyboardEvent) => {
      const open = document.querySelectorAll(".modal");
      if (open[open.length - 1] !== modal) return; // a dialog above this one has the keys
      if (e.key === "Escape") {
        e.preventDefault();
        close.current();
      } else if (e.key === "Tab") {
        const stops = tabStops(modal);
        const first = stops[0], last = stops[stops.length - 1];
        const at = document.activeElement;
        if (!first || !last) {
          e.preventDefault();
          modal.focus();
        } else if (!modal.contains(at) || (e.shiftKey ? at === first || at === modal : at === last)) {
          e.preventDefault();
          (e.shiftKey ? last : first).focus();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      for (const el of made) el.removeAttribute("inert");
      if (prev?.isConnected) prev.focus();
    };
  }, []);
  return (
    <div class="backdrop" onClick={(e) => { if (e.target === e.currentTarget) props.onClose(); }}>
      <div class={`modal ${props.wide ? "wide" : ""}`} role="dialog" aria-modal="true" aria-label={props.title} tabIndex={-1} ref={ref}>
        <header class="modal-head">
          <h2>{props.title}</h2>
          <button class="ghost" aria-label={t("common.close")} onClick={props.onClose}>✕</button>
        </header>
        {props.children}
      </div>
    </div>
  );
}

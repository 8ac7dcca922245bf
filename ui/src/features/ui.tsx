// Small shared pieces: banners, empty states, amounts, a modal.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { isNegative, money } from "../backend/format";
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

export function Amount(props: { amount: string; currency: string; class?: string }) {
  const neg = isNegative(props.amount);
  return <span class={`amount ${neg ? "neg" : "pos"} ${props.class ?? ""}`}>{money(props.amount, props.currency)}</span>;
}

export function Loading(props: { label?: string }) {
  return <div class="loading muted" aria-busy="true"><span class="spinner" aria-hidden="true" /> {props.label ?? t("common.loading")}</div>;
}

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    ref.current?.querySelector<HTMLElement>("input, select, button.primary, button")?.focus();
    const onKey = (e: KeyboardEvent) => { if (e.key === "Escape") props.onClose(); };
    window.addEventListener("keydown", onKey);
    return () => { window.removeEventListener("keydown", onKey); prev?.focus(); };
  }, []);
  return (
    <div class="backdrop" onClick={(e) => { if (e.target === e.currentTarget) props.onClose(); }}>
      <div class={`modal ${props.wide ? "wide" : ""}`} role="dialog" aria-modal="true" aria-label={props.title} ref={ref}>
        <header class="modal-head">
          <h2>{props.title}</h2>
          <button class="ghost" aria-label={t("common.close")} onClick={props.onClose}>✕</button>
        </header>
        {props.children}
      </div>
    </div>
  );
}

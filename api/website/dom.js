// Small helpers for building the page: elements, states, tables and download buttons.
"use strict";

import { download } from "./api.js";

export const $ = (id) => document.getElementById(id);

export const plural = (count, noun) => `${count} ${noun}${count === 1 ? "" : "s"}`;

export function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

export function setState(id, kind, text) {
  const node = $(id);
  node.className = `state state-${kind}`;
  node.textContent = text;
  node.dataset.state = kind;
}

export function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A table of counts: one row per `rows` entry ([name, {column: count}]), a column per
 * `columns` entry. `link(name, column, count)` gives a non-zero count its link (or null). */
export function countsTable({ id, caption, captionHidden = false, corner, columns, rows, link = () => null }) {
  const cell = (name, column, count) => {
    const target = count ? link(name, column, count) : null;
    return el("td", { class: "number" }, [target || String(count)]);
  };
  return el("table", { id }, [
    el("caption", { text: caption, ...(captionHidden ? { class: "visually-hidden" } : {}) }),
    el("thead", {}, [
      el("tr", {}, [el("th", { scope: "col", text: corner }), ...columns.map((name) => el("th", { scope: "col", class: "number", text: name }))]),
    ]),
    el(
      "tbody",
      {},
      rows.map(([name, counts]) =>
        el("tr", {}, [el("th", { scope: "row", text: name }), ...columns.map((column) => cell(name, column, counts[column]))])
      )
    ),
  ]);
}

/** A button that downloads `path` (with this tab's key; `admin`: its admin key) and says in
 * the element `statusId` what was saved or why it failed. */
export function downloadButton(text, path, fallbackName, statusId, attributes = {}, { admin = false } = {}) {
  const node = el("button", { type: "button", class: "secondary", ...attributes, text });
  node.addEventListener("click", async () => {
    const status = $(statusId);
    try {
      status.textContent = `Downloaded ${await download(path, fallbackName, { admin })}.`;
    } catch (error) {
      status.textContent = `The download failed: ${error.message}`;
    }
  });
  return node;
}

/** "Download CSV" and "Download XLSX" for the table an API path answers (?format=...). */
export function downloadButtons(path, what, statusId) {
  const separator = path.includes("?") ? "&" : "?";
  const button = (format) =>
    downloadButton(`Download ${format.toUpperCase()}`, `${path}${separator}format=${format}`, `${what}.${format}`, statusId, {
      "data-format": format,
      "aria-label": `Download ${what} as ${format.toUpperCase()}`,
    });
  return el("div", { class: "downloads", role: "group", "aria-label": `Download ${what}` }, [button("csv"), button("xlsx")]);
}

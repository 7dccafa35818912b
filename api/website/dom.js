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

/** "Download CSV" and "Download XLSX" for the table an API path answers (?format=...). */
export function downloadButtons(path, what, statusId) {
  const separator = path.includes("?") ? "&" : "?";
  const button = (format) => {
    const node = el("button", {
      type: "button",
      class: "secondary",
      "data-format": format,
      "aria-label": `Download ${what} as ${format.toUpperCase()}`,
      text: `Download ${format.toUpperCase()}`,
    });
    node.addEventListener("click", async () => {
      const status = statusId ? $(statusId) : null;
      try {
        const name = await download(`${path}${separator}format=${format}`, `${what}.${format}`);
        if (status) status.textContent = `Downloaded ${name}.`;
      } catch (error) {
        if (status) status.textContent = `The download failed: ${error.message}`;
      }
    });
    return node;
  };
  return el("div", { class: "downloads", role: "group", "aria-label": `Download ${what}` }, [button("csv"), button("xlsx")]);
}

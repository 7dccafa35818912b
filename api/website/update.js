// "Update the data": upload a workbook, see its preview (what changes, what is quarantined,
// the fix-it workbook), publish or cancel; the kept versions, with rollback. Every change is
// an API call with the admin key of this tab (POST /api/v1/imports, .../publish,
// /api/v1/versions/{N}/rollback; DELETE /api/v1/imports/{id} on cancel): the page has no
// rights of its own.
"use strict";

import { ADMIN_KEY_STORAGE, API, apiDelete, apiPost } from "./api.js";
import { $, downloadButton, el, formatTime, plural, setState } from "./dom.js";

const SHOWN_CHANGES = 20; // changed customers listed on the page (the counts are complete)

let dataChanged = () => {};
let shownPreview = null;

function busy(on) {
  $("update-view").setAttribute("aria-busy", String(on));
  for (const button of document.querySelectorAll("#update-view button")) button.disabled = on;
}

function showAdminKeyStatus() {
  const set = Boolean(sessionStorage.getItem(ADMIN_KEY_STORAGE));
  $("admin-key-status").textContent = set ? "An admin key is set for this tab." : "No admin key is set for this tab.";
  $("forget-admin-key").hidden = !set;
}

function list(items) {
  return el("ul", { class: "summary" }, items.map((text) => el("li", { text })));
}

function simpleTable(id, caption, headers, rows) {
  return el("div", { class: "table-scroll" }, [
    el("table", { id }, [
      el("caption", { text: caption }),
      el("thead", {}, [el("tr", {}, headers.map((name) => el("th", { scope: "col", text: name })))]),
      el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell) => el("td", {}, [cell]))))),
    ]),
  ]);
}

function diffView(diff) {
  const live = diff.live_version === null ? "nothing is live yet" : `live version ${diff.live_version}`;
  const { customers, interactions, topics } = diff;
  const parts = [
    el("p", { text: `Compared with ${live}:` }),
    list([
      `Customers: ${customers.live} now, ${customers.new} after (${customers.added} added, ${customers.removed} removed, ${customers.changed} changed).`,
      `Interactions: ${interactions.live} now, ${interactions.new} after (${interactions.added} added, ${interactions.removed} removed).`,
      `Topics added: ${topics.added.join(", ") || "none"}. Topics removed: ${topics.removed.join(", ") || "none"}.`,
    ]),
  ];
  if (interactions.by_channel.length) {
    parts.push(
      simpleTable(
        "preview-channels",
        "Interactions per channel, now and after",
        ["Channel", "Now", "After"],
        interactions.by_channel.map((row) => [row.channel, String(row.live), String(row.new)])
      )
    );
  }
  const changed = customers.changed_rows.slice(0, SHOWN_CHANGES);
  if (changed.length) {
    const more = customers.changed - changed.length;
    parts.push(
      simpleTable(
        "preview-customers",
        `Customers that change${more > 0 ? ` (the first ${changed.length}; ${more} more)` : ""}`,
        ["Customer", "Occupation", "Type"],
        changed.map((row) => [
          String(row.customer_id),
          `${row.occupation[0]} → ${row.occupation[1]}`,
          `${row.customer_type[0]} → ${row.customer_type[1]}`,
        ])
      )
    );
  }
  return parts;
}

function quarantineView(quarantined, previewId) {
  if (!quarantined) return [];
  if (!quarantined.rows) return [el("p", { id: "preview-quarantine-none", text: "No row is quarantined." })];
  const parts = [
    simpleTable(
      "preview-quarantine",
      `${plural(quarantined.rows, "row")} would be quarantined`,
      ["Sheet", "Reason", "Rows", "First sheet rows"],
      quarantined.by_reason.map((item) => [
        item.sheet,
        item.reason,
        String(item.rows),
        item.examples.map((example) => String(example.sheet_row)).join(", "),
      ])
    ),
  ];
  if (previewId) {
    parts.push(
      el("p", { text: "The fix-it workbook lists these rows with their cells and sheet row numbers, to correct in the export." }),
      downloadButton(
        "Download the fix-it workbook",
        `${API}/imports/${previewId}/quarantine.xlsx`,
        "quarantine-preview.xlsx",
        "preview-download-status",
        { id: "preview-fixit" },
        { admin: true }
      ),
      el("p", { id: "preview-download-status", class: "status", "aria-live": "polite" })
    );
  }
  return parts;
}

function showPreview(preview) {
  shownPreview = preview;
  const box = $("preview");
  const heading = el("h3", { id: "preview-title", tabindex: "-1", text: preview.would_go_live ? "Preview: nothing has changed yet" : "This workbook cannot go live" });
  const parts = [heading, el("p", { id: "preview-message", class: preview.would_go_live ? "" : "state-error", text: preview.message })];
  if (preview.diff) parts.push(...diffView(preview.diff));
  parts.push(...quarantineView(preview.quarantined, preview.preview_id));
  const actions = el("div", { class: "row" });
  if (preview.would_go_live && preview.preview_id) {
    const publish = el("button", { type: "button", id: "publish-button", text: "Publish" });
    publish.addEventListener("click", publishShown);
    actions.append(publish);
  }
  const cancel = el("button", { type: "button", id: "cancel-button", class: "secondary", text: preview.would_go_live ? "Cancel" : "Close" });
  cancel.addEventListener("click", cancelPreview);
  actions.append(cancel);
  parts.push(actions);
  box.replaceChildren(...parts);
  box.hidden = false;
  heading.focus();
}

function clearPreview() {
  shownPreview = null;
  $("preview").hidden = true;
  $("preview").replaceChildren();
  $("workbook-input").value = "";
}

async function cancelPreview() {
  const preview = shownPreview;
  clearPreview();
  if (preview && preview.preview_id) {
    // Gone on the server too: it can no longer be published, by this tab or another.
    try {
      await apiDelete(`${API}/imports/${encodeURIComponent(preview.preview_id)}`);
    } catch (error) {
      setState("update-state", "error", error.message);
      return;
    }
  }
  setState("update-state", "ready", "Cancelled: nothing changed.");
  $("workbook-input").focus();
}

async function uploadChosen(event) {
  event.preventDefault();
  const file = $("workbook-input").files[0];
  if (!file) {
    setState("update-state", "error", "Choose a workbook first.");
    return;
  }
  const form = new FormData();
  form.append("workbook", file, file.name);
  $("preview").hidden = true;
  setState("update-state", "loading", `Checking ${file.name}: it is read, built and tested aside; this takes a moment…`);
  busy(true);
  try {
    const body = await apiPost(`${API}/imports`, form);
    setState("update-state", "ready", "");
    showPreview(body.data);
  } catch (error) {
    setState("update-state", "error", error.message);
  } finally {
    busy(false);
  }
}

/** A change of the live version (publish, rollback): the request, then every number on the
 * page read again; `done(version)` says what happened. */
async function change(doing, request, done) {
  setState("update-state", "loading", doing);
  busy(true);
  try {
    const body = await request();
    setState("update-state", "done", done(body.data.version));
    await dataChanged();
  } catch (error) {
    setState("update-state", "error", error.message);
  } finally {
    busy(false);
  }
}

async function publishShown() {
  const preview = shownPreview;
  if (!preview) return;
  await change(
    "Publishing…",
    async () => {
      const body = await apiPost(`${API}/imports/${encodeURIComponent(preview.preview_id)}/publish`);
      clearPreview();
      return body;
    },
    (version) => `Published: version ${version} is live.`
  );
}

async function rollback(version) {
  await change(
    `Making version ${version} live again…`,
    () => apiPost(`${API}/versions/${encodeURIComponent(version)}/rollback`),
    (live) => `Rolled back: version ${live} is live.`
  );
}

/** The kept versions (GET /api/v1/versions), newest first, each but the live one with its
 * rollback button. */
export function renderHistory(versions) {
  const rows = versions.map((version) => {
    let action;
    if (version.is_live) {
      action = el("strong", { text: "Live" });
    } else {
      action = el("button", {
        type: "button",
        class: "secondary",
        "data-rollback": version.version,
        text: `Make version ${version.version} live`,
      });
      action.addEventListener("click", () => rollback(version.version));
    }
    return el("tr", { "data-version": version.version }, [
      el("th", { scope: "row", class: "number", text: String(version.version) }),
      el("td", { text: formatTime(version.imported_at) }),
      el("td", { text: version.file }),
      el("td", { class: "number", text: String(version.interactions_counted) }),
      el("td", { class: "number", text: String(version.rows_quarantined) }),
      el("td", {}, [action]),
    ]);
  });
  $("history-table").querySelector("tbody").replaceChildren(...rows);
  $("history-table").hidden = versions.length === 0;
  setState("history-state", versions.length ? "ready" : "empty", versions.length ? "" : "No version is kept yet.");
}

export function historyFailed(error) {
  setState("history-state", "error", error.message);
}

/** Wires the section; `onDataChanged` reloads the page's numbers after a publish or rollback. */
export function setUpUpdate(onDataChanged) {
  dataChanged = onDataChanged;
  showAdminKeyStatus();
  $("admin-key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(ADMIN_KEY_STORAGE, $("admin-key-input").value);
    $("admin-key-input").value = "";
    showAdminKeyStatus();
  });
  $("forget-admin-key").addEventListener("click", () => {
    sessionStorage.removeItem(ADMIN_KEY_STORAGE);
    showAdminKeyStatus();
  });
  $("upload-form").addEventListener("submit", uploadChosen);
}

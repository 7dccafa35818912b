// Customer interactions dashboard: reads only the public API (/api/v1/...), no framework.
"use strict";

import { API, KEY_STORAGE, apiGet, onUnauthorized } from "./api.js";
import { barChart, channelsOf, monthlyCharts } from "./charts.js";
import { $, countsTable, downloadButton, downloadButtons, el, formatTime, plural, setState } from "./dom.js";
import { historyFailed, renderHistory, setUpUpdate } from "./update.js";

const ROWS_PAGE = 50;

function showApiError(error) {
  const box = $("api-error");
  if (error && error.kind === "down") {
    box.textContent = `${error.message} The numbers below may be missing or out of date. Try again in a moment.`;
    box.hidden = false;
  }
}

function clearApiError() {
  $("api-error").hidden = true;
}

onUnauthorized(() => {
  $("api-key-panel").hidden = false;
});

const query = (params) => {
  const defined = Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return defined.length ? `?${new URLSearchParams(defined)}` : "";
};

// ---- customer picker -----------------------------------------------------------------

let selectedCustomer = null;

function customersFrom(body) {
  const data = body && body.data;
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.customers)) return data.customers;
  return [];
}

async function search(text) {
  const status = $("search-status");
  status.textContent = "Searching…";
  try {
    const customers = customersFrom(await apiGet(`${API}/customers${query({ limit: "50", q: text })}`));
    clearApiError();
    const list = $("customer-list");
    list.replaceChildren(
      ...customers.map((customer) => {
        const button = el("button", {
          type: "button",
          "data-customer-id": customer.customer_id,
          "aria-pressed": String(customer.customer_id === selectedCustomer),
          text: `#${customer.customer_id} · ${customer.occupation} · ${customer.customer_type} · ${plural(customer.interaction_count, "interaction")}`,
        });
        button.addEventListener("click", () => selectCustomer(customer.customer_id));
        return el("li", {}, [button]);
      })
    );
    status.textContent = customers.length
      ? `${customers.length} customer${customers.length === 1 ? "" : "s"} found.`
      : "No customer matches that search.";
  } catch (error) {
    status.textContent = error.message;
    showApiError(error);
  }
}

function selectCustomer(customerId) {
  const hash = `#customer=${encodeURIComponent(customerId)}`;
  if (location.hash !== hash) history.replaceState(null, "", hash);
  showCustomer(String(customerId));
}

async function customerRecord(customerId) {
  const body = await apiGet(`${API}/customers${query({ q: customerId, limit: "50" })}`);
  return customersFrom(body).find((customer) => String(customer.customer_id) === customerId) || null;
}

// ---- one customer: channels, topics, months, and the rows behind each count ----------

/** A count as a link to the workbook rows behind it (GET .../rows?channel=&topic=). */
function rowsLink(customerId, channel, topic, count) {
  const link = el("a", {
    href: "#rows-view",
    class: "count-link",
    "data-channel": channel,
    "data-topic": topic || "",
    "aria-label": `${count}: show the ${plural(count, "row")} behind ${channel}${topic ? `, topic ${topic}` : ""}`,
    text: String(count),
  });
  link.addEventListener("click", (event) => {
    event.preventDefault();
    showRows(customerId, channel, topic);
  });
  return link;
}

async function showCustomer(customerId) {
  selectedCustomer = Number(customerId);
  for (const button of document.querySelectorAll("#customer-list button")) {
    button.setAttribute("aria-pressed", String(button.dataset.customerId === customerId));
  }
  const figure = $("customer-figure");
  const note = $("customer-note");
  $("customer-title").textContent = `Interactions per channel: customer ${customerId}`;
  setState("customer-state", "loading", "Loading…");
  figure.hidden = true;
  note.hidden = true;
  $("customer-topics").replaceChildren();
  $("customer-monthly").replaceChildren();
  $("customer-downloads").replaceChildren();
  const topic = $("topic-select").value;
  const path = `${API}/interactions/${encodeURIComponent(customerId)}`;
  try {
    const [body, record] = await Promise.all([apiGet(`${path}${query({ topic })}`), customerRecord(customerId)]);
    clearApiError();
    const counts = body.data.interactions;
    const total = Object.values(counts).reduce((sum, value) => sum + value, 0);
    const title = `Customer ${customerId}${topic ? `, topic ${topic}` : ""}`;
    $("customer-chart").replaceChildren(barChart(counts, title));
    $("customer-caption").textContent = `${title}: ${plural(total, "interaction")} in all.`;
    $("customer-table").querySelector("tbody").replaceChildren(
      ...Object.entries(counts).map(([channel, count]) =>
        el("tr", {}, [
          el("th", { scope: "row", text: channel }),
          el("td", { class: "number" }, [count ? rowsLink(customerId, channel, topic, count) : String(count)]),
        ])
      )
    );
    $("customer-downloads").replaceChildren(downloadButtons(`${path}${query({ topic })}`, `customer ${customerId}'s interactions per channel`, "customer-download-status"));
    figure.hidden = false;
    if (record && record.in_customer_sheet === false) {
      note.textContent = `Customer ${customerId} is not in the customer sheet: their occupation and type are unknown, but their interactions are counted.`;
      note.hidden = false;
    }
    if (total === 0) {
      setState("customer-state", "empty", `Customer ${customerId} has no interactions${topic ? ` about ${topic}` : ""}.`);
    } else {
      setState("customer-state", "ready", "");
      await Promise.all([topic ? null : showTopics(customerId), showCustomerMonths(customerId, topic)]);
    }
  } catch (error) {
    if (error.kind === "notfound") {
      setState("customer-state", "notfound", `No customer with id ${customerId} was found. (${error.message})`);
    } else if (error.kind === "bad") {
      setState("customer-state", "notfound", `“${customerId}” is not a customer id. (${error.message})`);
    } else {
      setState("customer-state", "error", error.message);
      showApiError(error);
    }
  }
}

async function showTopics(customerId) {
  const path = `${API}/interactions/${encodeURIComponent(customerId)}/topics`;
  const topics = (await apiGet(path)).data.topics;
  const table = countsTable({
    id: "customer-topics-table",
    caption: "Interactions per topic and channel",
    corner: "Topic",
    columns: Object.keys(Object.values(topics)[0] || {}),
    rows: Object.entries(topics),
    link: (topic, channel, count) => rowsLink(customerId, channel, topic, count),
  });
  $("customer-topics").replaceChildren(
    el("div", { class: "table-scroll" }, [table]),
    downloadButtons(path, `customer ${customerId}'s interactions per topic`, "customer-download-status")
  );
}

function monthsTable(id, caption, months) {
  return countsTable({ id, caption, corner: "Month", columns: channelsOf(months), rows: Object.entries(months) });
}

async function showCustomerMonths(customerId, topic) {
  const path = `${API}/interactions/${encodeURIComponent(customerId)}/monthly${query({ topic })}`;
  const months = (await apiGet(path)).data.months;
  const title = `Customer ${customerId}${topic ? `, topic ${topic}` : ""}`;
  $("customer-monthly").replaceChildren(
    el("h3", { text: `Per month${topic ? `, topic ${topic}` : ""}` }),
    monthlyCharts(months, title),
    el("details", {}, [
      el("summary", { text: "The numbers per month" }),
      el("div", { class: "table-scroll" }, [monthsTable("customer-monthly-table", `${title} per month and channel`, months)]),
    ]),
    downloadButtons(path, `customer ${customerId}'s interactions per month`, "customer-download-status")
  );
}

let rowsShown = null; // {customerId, channel, topic, cursor}

async function showRows(customerId, channel, topic, cursor = null) {
  const view = $("rows-view");
  const more = $("rows-more");
  const path = `${API}/interactions/${encodeURIComponent(customerId)}/rows`;
  const filter = { channel, topic };
  view.hidden = false;
  $("rows-title").textContent = `Workbook rows: customer ${customerId}, ${channel}${topic ? `, topic ${topic}` : ", all topics"}`;
  if (!cursor) {
    $("rows-table").hidden = true;
    $("rows-downloads").replaceChildren(downloadButtons(`${path}${query(filter)}`, `the rows behind customer ${customerId}'s ${channel} count`, "rows-download-status"));
    view.focus();
  }
  setState("rows-state", "loading", "Loading the rows…");
  more.hidden = true;
  try {
    const body = await apiGet(`${path}${query({ ...filter, limit: String(ROWS_PAGE), cursor })}`);
    const rows = body.data;
    const cellNames = rows.length ? Object.keys(rows[0].cells) : [];
    const table = $("rows-table");
    if (!cursor) {
      table.querySelector("thead").replaceChildren(
        el("tr", {}, ["Version", "Sheet", "Sheet row", ...cellNames].map((name) => el("th", { scope: "col", text: name })))
      );
      table.querySelector("tbody").replaceChildren();
    }
    table.querySelector("tbody").append(
      ...rows.map((row) =>
        el("tr", {}, [
          el("td", { class: "number", text: String(row.version) }),
          el("td", { text: row.sheet }),
          el("th", { scope: "row", class: "number", text: String(row.sheet_row) }),
          ...cellNames.map((name) => el("td", { text: row.cells[name] === null ? "" : String(row.cells[name]) })),
        ])
      )
    );
    table.hidden = false;
    const shown = table.querySelectorAll("tbody tr").length;
    setState("rows-state", "ready", `${plural(shown, "row")} shown${body.page.next_cursor ? "; there are more" : ""}.`);
    rowsShown = { customerId, channel, topic, cursor: body.page.next_cursor };
    more.hidden = !body.page.next_cursor;
  } catch (error) {
    setState("rows-state", "error", error.message);
    showApiError(error);
  }
}

// ---- customer types, topics, quality, freshness, versions ---------------------------

async function showTypes() {
  const path = `${API}/interactions/by-customer-type`;
  try {
    const types = (await apiGet(path)).data.customer_types;
    const table = $("types-table");
    const channels = Object.keys(Object.values(types)[0] || {});
    table.querySelector("thead").replaceChildren(
      el("tr", {}, [el("th", { scope: "col", text: "Customer type" }), ...channels.map((name) => el("th", { scope: "col", class: "number", text: name }))])
    );
    table.querySelector("tbody").replaceChildren(
      ...Object.entries(types).map(([name, counts]) =>
        el("tr", {}, [el("th", { scope: "row", text: name }), ...channels.map((channel) => el("td", { class: "number", text: String(counts[channel]) }))])
      )
    );
    const some = Object.keys(types).length > 0;
    table.hidden = !some;
    $("types-downloads").replaceChildren(...(some ? [downloadButtons(path, "interactions per customer type", "types-download-status")] : []));
    setState("types-state", some ? "ready" : "empty", some ? "" : "No interactions yet.");
    await showTypeMonths();
  } catch (error) {
    setState("types-state", "error", error.message);
    showApiError(error);
  }
}

async function showTypeMonths() {
  const path = `${API}/interactions/by-customer-type/monthly`;
  const types = (await apiGet(path)).data.customer_types;
  const parts = Object.entries(types).map(([type, months]) =>
    el("section", { class: "type-months", "data-customer-type": type, "aria-label": `Customer type ${type} per month` }, [
      el("h4", { text: type }),
      monthlyCharts(months, `Customer type ${type}`),
    ])
  );
  if (parts.length) {
    parts.unshift(el("h3", { text: "Per month" }));
    parts.push(downloadButtons(path, "interactions per customer type and month", "types-download-status"));
  }
  $("types-monthly").replaceChildren(...parts);
}

async function loadTopics() {
  try {
    const body = await apiGet(`${API}/topics`);
    const topics = (body.data || []).map((topic) => (typeof topic === "string" ? topic : topic.topic));
    const chosen = $("topic-select").value;
    $("topic-select").replaceChildren(
      el("option", { value: "", text: "All topics" }),
      ...topics.map((topic) => el("option", { value: topic, text: topic }))
    );
    if (topics.includes(chosen)) $("topic-select").value = chosen;
  } catch (error) {
    showApiError(error);
  }
}

async function showQuality() {
  try {
    const quality = (await apiGet(`${API}/data-quality`)).data;
    $("freshness").textContent = `Data last built ${formatTime(quality.built_at)}.`;
    const list = $("quality-list");
    const items = [];
    for (const sheet of quality.sheets) {
      items.push([`Sheet “${sheet.sheet}”`, `${sheet.rows_landed} rows landed, ${sheet.rows_counted} counted, ${sheet.rows_quarantined} quarantined`]);
    }
    const reasons = Object.entries(quality.rows_quarantined_by_reason || {});
    items.push(["Rows quarantined by reason", reasons.length ? reasons.map(([reason, count]) => `${reason}: ${count}`).join("; ") : "none"]);
    items.push(["Interactions without a topic", String(quality.interactions_without_topic)]);
    items.push(["Customers not in the customer sheet", String(quality.customers_not_in_sheet)]);
    list.replaceChildren(...items.flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]));
    list.hidden = false;
    $("fixit-download").hidden = false;
    setState("quality-state", "ready", "");
  } catch (error) {
    $("freshness").textContent =
      error.kind === "unauthorized"
        ? "Enter an API key to see the data."
        : "When the data was last built is unknown: the data service is unavailable.";
    setState("quality-state", "error", error.message);
    showApiError(error);
  }
}

async function showVersions() {
  try {
    const versions = (await apiGet(`${API}/versions${query({ limit: "50" })}`)).data;
    const live = versions.find((version) => version.is_live);
    $("live-version").textContent = live
      ? `Version ${live.version} is live: ${live.file}, imported ${formatTime(live.imported_at)}.`
      : "No version is live.";
    $("live-version").dataset.version = live ? String(live.version) : "";
    renderHistory(versions);
  } catch (error) {
    $("live-version").textContent = "";
    historyFailed(error);
  }
}

function customerFromHash() {
  const match = location.hash.match(/^#customer=(.+)$/);
  return match ? decodeURIComponent(match[1]) : null;
}

async function loadAll() {
  $("rows-view").hidden = true;
  const customerId = customerFromHash();
  await Promise.all([
    showVersions(),
    showQuality(),
    loadTopics(),
    showTypes(),
    search($("search-input").value.trim()),
    customerId ? showCustomer(customerId) : null,
  ]);
}

document.addEventListener("DOMContentLoaded", () => {
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search($("search-input").value.trim());
  });
  $("id-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("id-input").value.trim();
    if (value) {
      selectCustomer(value);
      $("customer-view").focus();
    }
  });
  $("topic-select").addEventListener("change", () => {
    const customerId = customerFromHash();
    if (customerId) showCustomer(customerId);
  });
  $("api-key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, $("api-key-input").value);
    $("api-key-input").value = "";
    $("api-key-panel").hidden = true;
    loadAll();
  });
  $("rows-more").addEventListener("click", () => {
    if (rowsShown && rowsShown.cursor) showRows(rowsShown.customerId, rowsShown.channel, rowsShown.topic, rowsShown.cursor);
  });
  $("fixit-download").insertBefore(
    downloadButton("Download the fix-it workbook", `${API}/quarantine.xlsx`, "quarantine.xlsx", "quality-download-status"),
    $("quality-download-status")
  );
  window.addEventListener("hashchange", () => {
    const customerId = customerFromHash();
    if (customerId) showCustomer(customerId);
  });
  setUpUpdate(loadAll);
  loadAll();
});

// Customer interactions dashboard: reads only the public API (/api/v1/...), no framework.
"use strict";

const API = "/api/v1";
const KEY_STORAGE = "interactions-api-key"; // sessionStorage: this browser tab only

class ApiError extends Error {
  constructor(kind, status, message) {
    super(message);
    this.kind = kind; // "down" | "notfound" | "unauthorized" | "bad" | "error"
    this.status = status;
  }
}

const $ = (id) => document.getElementById(id);

const plural = (count, noun) => `${count} ${noun}${count === 1 ? "" : "s"}`;

function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function apiGet(path) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers["X-API-Key"] = key;
  let response;
  try {
    response = await fetch(path, { headers, credentials: "omit" });
  } catch (error) {
    throw new ApiError("down", 0, "The data service cannot be reached.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  if (response.ok) return body;
  const message = (body && body.error && body.error.message) || `HTTP ${response.status}`;
  if (response.status === 401) {
    showKeyPanel();
    throw new ApiError("unauthorized", 401, "An API key is needed to see the data.");
  }
  if (response.status === 404) throw new ApiError("notfound", 404, message);
  if (response.status === 400) throw new ApiError("bad", 400, message);
  if (response.status >= 500) {
    throw new ApiError("down", response.status, "The data service is unavailable right now.");
  }
  throw new ApiError("error", response.status, message);
}

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

function showKeyPanel() {
  $("api-key-panel").hidden = false;
}

function setState(id, kind, text) {
  const node = $(id);
  node.className = `state state-${kind}`;
  node.textContent = text;
  node.dataset.state = kind;
}

// ---- channel chart -------------------------------------------------------------------

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function barChart(counts, title) {
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, value]) => value));
  const rowHeight = 34;
  const labelWidth = 90;
  const width = 400;
  const chartWidth = width - labelWidth - 50;
  const height = entries.length * rowHeight + 10;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${title}: ${entries.map(([name, value]) => `${name} ${value}`).join(", ")}`,
  });
  entries.forEach(([name, value], index) => {
    const y = index * rowHeight + 5;
    const barWidth = Math.round((value / max) * chartWidth);
    const group = svg("g", { "data-channel": name, "data-count": value });
    group.append(svg("text", { x: 0, y: y + 20 }, name));
    group.append(svg("rect", { class: "bar", x: labelWidth, y, width: barWidth, height: rowHeight - 10, rx: 3 }));
    group.append(svg("text", { x: labelWidth + barWidth + 6, y: y + 20 }, String(value)));
    chart.append(group);
  });
  return chart;
}

function countsTable(tbody, counts) {
  tbody.replaceChildren(
    ...Object.entries(counts).map(([name, value]) =>
      el("tr", {}, [el("th", { scope: "row", text: name }), el("td", { class: "number", text: String(value) })])
    )
  );
}

// ---- customer picker -----------------------------------------------------------------

let selectedCustomer = null;

function customersFrom(body) {
  const data = body && body.data;
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.customers)) return data.customers;
  return [];
}

async function search(query) {
  const status = $("search-status");
  status.textContent = "Searching…";
  const params = new URLSearchParams({ limit: "50" });
  if (query) params.set("q", query);
  try {
    const customers = customersFrom(await apiGet(`${API}/customers?${params}`));
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
  const body = await apiGet(`${API}/customers?${new URLSearchParams({ q: customerId, limit: "50" })}`);
  return customersFrom(body).find((customer) => String(customer.customer_id) === customerId) || null;
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
  const topic = $("topic-select").value;
  const query = topic ? `?${new URLSearchParams({ topic })}` : "";
  try {
    const [body, record] = await Promise.all([
      apiGet(`${API}/interactions/${encodeURIComponent(customerId)}${query}`),
      customerRecord(customerId),
    ]);
    clearApiError();
    const counts = body.data.interactions;
    const total = Object.values(counts).reduce((sum, value) => sum + value, 0);
    const title = `Customer ${customerId}${topic ? `, topic ${topic}` : ""}`;
    $("customer-chart").replaceChildren(barChart(counts, title));
    $("customer-caption").textContent = `${title}: ${total} interaction${total === 1 ? "" : "s"} in all.`;
    countsTable($("customer-table").querySelector("tbody"), counts);
    figure.hidden = false;
    if (record && record.in_customer_sheet === false) {
      note.textContent = `Customer ${customerId} is not in the customer sheet: their occupation and type are unknown, but their interactions are counted.`;
      note.hidden = false;
    }
    if (total === 0) {
      setState("customer-state", "empty", `Customer ${customerId} has no interactions${topic ? ` about ${topic}` : ""}.`);
    } else {
      setState("customer-state", "ready", "");
      if (!topic) await showTopics(customerId);
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
  const body = await apiGet(`${API}/interactions/${encodeURIComponent(customerId)}/topics`);
  const topics = body.data.topics;
  const channels = Object.keys(Object.values(topics)[0] || {});
  const table = el("table", { id: "customer-topics-table" }, [
    el("caption", { text: "Interactions per topic and channel" }),
    el("thead", {}, [
      el("tr", {}, [el("th", { scope: "col", text: "Topic" }), ...channels.map((name) => el("th", { scope: "col", class: "number", text: name }))]),
    ]),
    el(
      "tbody",
      {},
      Object.entries(topics).map(([name, counts]) =>
        el("tr", {}, [el("th", { scope: "row", text: name }), ...channels.map((channel) => el("td", { class: "number", text: String(counts[channel]) }))])
      )
    ),
  ]);
  $("customer-topics").replaceChildren(el("div", { class: "table-scroll" }, [table]));
}

// ---- customer types, topics, quality, freshness -------------------------------------

async function showTypes() {
  try {
    const body = await apiGet(`${API}/interactions/by-customer-type`);
    const types = body.data.customer_types || body.data;
    const channels = Object.keys(Object.values(types)[0] || {});
    const table = $("types-table");
    table.querySelector("thead").replaceChildren(
      el("tr", {}, [el("th", { scope: "col", text: "Customer type" }), ...channels.map((name) => el("th", { scope: "col", class: "number", text: name }))])
    );
    table.querySelector("tbody").replaceChildren(
      ...Object.entries(types).map(([name, counts]) =>
        el("tr", {}, [el("th", { scope: "row", text: name }), ...channels.map((channel) => el("td", { class: "number", text: String(counts[channel]) }))])
      )
    );
    table.hidden = Object.keys(types).length === 0;
    setState("types-state", Object.keys(types).length ? "ready" : "empty", Object.keys(types).length ? "" : "No interactions yet.");
  } catch (error) {
    setState("types-state", "error", error.message);
    showApiError(error);
  }
}

async function loadTopics() {
  try {
    const body = await apiGet(`${API}/topics`);
    const topics = (body.data || []).map((topic) => (typeof topic === "string" ? topic : topic.topic));
    $("topic-select").replaceChildren(
      el("option", { value: "", text: "All topics" }),
      ...topics.map((topic) => el("option", { value: topic, text: topic }))
    );
  } catch (error) {
    showApiError(error);
  }
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
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

function customerFromHash() {
  const match = location.hash.match(/^#customer=(.+)$/);
  return match ? decodeURIComponent(match[1]) : null;
}

function loadAll() {
  showQuality();
  loadTopics();
  showTypes();
  search($("search-input").value.trim());
  const customerId = customerFromHash();
  if (customerId) showCustomer(customerId);
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
  window.addEventListener("hashchange", () => {
    const customerId = customerFromHash();
    if (customerId) showCustomer(customerId);
  });
  loadAll();
});

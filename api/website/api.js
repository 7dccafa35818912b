// The page's only way to the data: the public API (/api/v1/...), with the key of this tab.
"use strict";

export const API = "/api/v1";
// sessionStorage: this browser tab only, gone when it closes; never localStorage or a cookie.
export const KEY_STORAGE = "interactions-api-key";
export const ADMIN_KEY_STORAGE = "interactions-admin-key";

export class ApiError extends Error {
  constructor(kind, status, message) {
    super(message);
    this.kind = kind; // "down" | "notfound" | "unauthorized" | "forbidden" | "conflict" | "bad" | "error"
    this.status = status;
  }
}

const handlers = { unauthorized: () => {} };

/** What the page does when a read needs a key it does not have (shows the key panel). */
export function onUnauthorized(handler) {
  handlers.unauthorized = handler;
}

/** The key a request carries: the admin key for changes; for reads the read key, else the
 * admin key (an admin key can do everything a read key can). */
function keyFor(admin) {
  const read = sessionStorage.getItem(KEY_STORAGE);
  const adminKey = sessionStorage.getItem(ADMIN_KEY_STORAGE);
  return admin ? adminKey : read || adminKey;
}

async function send(path, { method = "GET", body = undefined, admin = false, accept = "application/json" } = {}) {
  const headers = { Accept: accept };
  const key = keyFor(admin);
  if (key) headers["X-API-Key"] = key;
  let response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "omit" });
  } catch (error) {
    throw new ApiError("down", 0, "The data service cannot be reached.");
  }
  if (response.ok) return response;
  let answer = null;
  try {
    answer = await response.json();
  } catch (error) {
    answer = null;
  }
  const message = (answer && answer.error && answer.error.message) || `HTTP ${response.status}`;
  if (response.status === 401) {
    if (!admin) handlers.unauthorized();
    throw new ApiError("unauthorized", 401, admin ? `An admin API key is needed: ${message}.` : "An API key is needed to see the data.");
  }
  if (response.status === 403) throw new ApiError("forbidden", 403, message);
  if (response.status === 404) throw new ApiError("notfound", 404, message);
  if (response.status === 409) throw new ApiError("conflict", 409, message);
  if (response.status === 400 || response.status === 413) throw new ApiError("bad", response.status, message);
  if (response.status >= 500) {
    throw new ApiError("down", response.status, "The data service is unavailable right now.");
  }
  throw new ApiError("error", response.status, message);
}

export async function apiGet(path) {
  return (await send(path)).json();
}

/** A change (upload, publish, rollback): needs the admin key of this tab. */
export async function apiPost(path, body = undefined) {
  return (await send(path, { method: "POST", body, admin: true })).json();
}

/** A removal (a cancelled preview): needs the admin key of this tab. */
export async function apiDelete(path) {
  return (await send(path, { method: "DELETE", admin: true })).json();
}

function fileName(response, fallback) {
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = disposition.match(/filename="([^"]+)"/);
  return match ? match[1] : fallback;
}

/** Downloads a file from the API with this tab's key (a plain link cannot send the key);
 * `admin`: with the admin key (a preview's fix-it workbook). */
export async function download(path, fallbackName, { admin = false } = {}) {
  const response = await send(path, { accept: "*/*", admin });
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName(response, fallbackName);
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return link.download;
}

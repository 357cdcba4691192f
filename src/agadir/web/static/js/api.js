// The page's only door to the server: the same OpenAI-shaped API any client uses.
// The key travels in the Authorization header, never in a URL; every failure becomes an
// ApiError with a `kind` the page can explain (what happened, what to do).

import { t } from "./i18n.js";

export class ApiError extends Error {
  /**
   * kind: network | auth | scope | rate | unavailable | cut | aborted | notfound | http
   */
  constructor(kind, { status = 0, message = "", code = null, retryAfter = null } = {}) {
    super(message || kind);
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.serverMessage = message;
  }

  /** The sentence shown to the user, in the interface language. */
  explain() {
    const message = this.serverMessage || `HTTP ${this.status}`;
    switch (this.kind) {
      case "network":
        return t("errNetwork");
      case "auth":
        return t("errAuth", { message });
      case "scope":
        return t("errScope", { message });
      case "rate":
        return t("errRate", { seconds: this.retryAfter ?? 60 });
      case "cut":
        return t("errCut");
      case "unavailable":
        return t("errUnavailable", { message });
      default:
        return t("errHttp", { message });
    }
  }
}

function kindOf(status) {
  if (status === 401) return "auth";
  if (status === 403) return "scope";
  if (status === 404) return "notfound";
  if (status === 429) return "rate";
  if (status === 502 || status === 503 || status === 504) return "unavailable";
  return "http";
}

async function errorFrom(response) {
  let message = "";
  let code = null;
  try {
    const body = await response.json();
    message = body?.error?.message ?? "";
    code = body?.error?.code ?? null;
  } catch {
    message = response.statusText;
  }
  const retry = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  return new ApiError(kindOf(response.status), {
    status: response.status,
    message,
    code,
    retryAfter: Number.isFinite(retry) ? retry : null,
  });
}

function isAbort(error) {
  return error?.name === "AbortError";
}

export class Api {
  /** getKey(): the current key; onAuthLost(error): called on every 401. */
  constructor(getKey, onAuthLost = () => {}) {
    this.getKey = getKey;
    this.onAuthLost = onAuthLost;
  }

  headers(json) {
    const headers = { Authorization: `Bearer ${this.getKey()}` };
    if (json) headers["Content-Type"] = "application/json";
    return headers;
  }

  async fetch(method, path, body, signal) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (error) {
      throw isAbort(error) ? new ApiError("aborted") : new ApiError("network");
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (error.kind === "auth") this.onAuthLost(error);
      throw error;
    }
    return response;
  }

  /** JSON request; resolves to the parsed body. */
  async json(method, path, body) {
    const response = await this.fetch(method, path, body);
    try {
      return await response.json();
    } catch {
      throw new ApiError("cut", { status: response.status });
    }
  }

  get(path) {
    return this.json("GET", path);
  }

  post(path, body = {}) {
    return this.json("POST", path, body);
  }

  delete(path) {
    return this.json("DELETE", path);
  }

  /**
   * POST a multipart form with XMLHttpRequest (fetch cannot report upload progress).
   * onProgress(fraction) is called as bytes leave; resolves to {status, body, location} for any
   * 2xx, throws an ApiError otherwise, like `fetch` above.
   */
  upload(path, form, onProgress = () => {}) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", path);
      xhr.setRequestHeader("Authorization", `Bearer ${this.getKey()}`);
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("error", () => reject(new ApiError("network")));
      xhr.addEventListener("abort", () => reject(new ApiError("aborted")));
      xhr.addEventListener("load", () => {
        const body = xhr.response;
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve({ status: xhr.status, body, location: xhr.getResponseHeader("Location") });
          return;
        }
        const retry = Number.parseInt(xhr.getResponseHeader("Retry-After") ?? "", 10);
        const error = new ApiError(kindOf(xhr.status), {
          status: xhr.status,
          message: body?.error?.message ?? xhr.statusText,
          code: body?.error?.code ?? null,
          retryAfter: Number.isFinite(retry) ? retry : null,
        });
        if (error.kind === "auth") this.onAuthLost(error);
        reject(error);
      });
      xhr.send(form);
    });
  }

  /**
   * POST a streaming chat request and yield each parsed SSE event until `data: [DONE]`.
   * A stream that ends (or breaks) before [DONE] throws ApiError("cut"): the caller keeps
   * what arrived and tells the user the answer is incomplete.
   */
  async *stream(path, body, signal) {
    const response = await this.fetch("POST", path, { ...body, stream: true }, signal);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw isAbort(error) || signal?.aborted ? new ApiError("aborted") : new ApiError("cut");
        }
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          const data = frame
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trimStart())
            .join("\n");
          if (!data) continue;
          if (data === "[DONE]") return;
          const event = JSON.parse(data);
          if (event.error) {
            throw new ApiError("unavailable", {
              message: event.error.message,
              code: event.error.code,
            });
          }
          yield event;
        }
      }
    } finally {
      try {
        reader.releaseLock();
      } catch {
        // a read still pending (aborted stream): the lock goes with the stream
      }
    }
    if (signal?.aborted) throw new ApiError("aborted");
    throw new ApiError("cut");
  }
}

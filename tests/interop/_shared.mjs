// Plumbing shared by verify_digitalbazaar.mjs and verify_dcc.mjs: stdin/stdout protocol,
// JSON-safe conversion of library results, and a network guard that keeps both verifiers on the
// loopback server the Python test starts (nothing may reach the internet).

import process from 'node:process';

// Libraries log with console.log (e.g. verifier-core's schema check); stdout carries our JSON only.
export function routeConsoleToStderr() {
  for(const level of ['log', 'info', 'warn', 'debug']) {
    console[level] = (...args) => console.error(...args);
  }
}

export async function readJson() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export async function readRequest() {
  const request = await readJson();
  if(!request || typeof request !== 'object' || !Array.isArray(request.credentials)) {
    throw new TypeError('request must be {"baseUrl": string, "credentials": [...], "documents"?: {url: doc}}');
  }
  if(typeof request.baseUrl !== 'string' || !request.baseUrl) {
    throw new TypeError('request.baseUrl must be a non-empty string');
  }
  new URL(request.baseUrl); // throws on a malformed base
  return request;
}

export function writeResponse(response) {
  process.stdout.write(JSON.stringify(response) + '\n');
}

// True when `url` is `base` or lies below it: same origin and a path under base's path.
export function isUnder(url, base) {
  let u;
  let b;
  try {
    u = new URL(url);
    b = new URL(base);
  } catch {
    return false;
  }
  if(u.origin !== b.origin || u.username || u.password) {
    return false;
  }
  const basePath = b.pathname.endsWith('/') ? b.pathname : b.pathname + '/';
  return u.pathname === b.pathname || u.pathname.startsWith(basePath);
}

// Replace globalThis.fetch so that only URLs under baseUrl can be fetched. Everything the libraries
// fetch (through ky, undici's fetch or directly) goes through globalThis.fetch in Node 20.
export function installFetchGuard(baseUrl, log) {
  const realFetch = globalThis.fetch.bind(globalThis);
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : (input instanceof URL ? input.href : input?.url);
    if(!isUnder(String(url), baseUrl)) {
      log.blocked.push(String(url));
      throw new TypeError(`interop network guard: refusing to fetch ${url} (not under ${baseUrl})`);
    }
    log.fetched.push(String(url));
    return realFetch(input, {...init, signal: init?.signal ?? AbortSignal.timeout(10000)});
  };
  return realFetch;
}

export function errorText(error) {
  if(error === null || error === undefined) {
    return String(error);
  }
  if(!(error instanceof Error)) {
    return typeof error === 'string' ? error : JSON.stringify(jsonSafe(error));
  }
  let text = error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  if(Array.isArray(error.errors) && error.errors.length) {
    text += ' [' + error.errors.map(errorText).join('; ') + ']';
  }
  if(error.cause) {
    text += ` (cause: ${errorText(error.cause)})`;
  }
  return text;
}

// Deep copy that JSON.stringify can take: Errors become message strings, cycles are cut, binary
// values are summarised, Maps/Sets become arrays/objects, functions are dropped.
export function jsonSafe(value, seen = new WeakSet()) {
  if(value instanceof Error) {
    return errorText(value);
  }
  if(typeof value === 'bigint') {
    return value.toString();
  }
  if(typeof value === 'function' || typeof value === 'symbol') {
    return undefined;
  }
  if(value === null || typeof value !== 'object') {
    return value;
  }
  if(seen.has(value)) {
    return '[Circular]';
  }
  seen.add(value);
  try {
    if(ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      return `<${value.byteLength} bytes>`;
    }
    if(value instanceof Date) {
      return value.toISOString();
    }
    if(value instanceof Map) {
      return Object.fromEntries([...value].map(([k, v]) => [String(k), jsonSafe(v, seen)]));
    }
    if(Array.isArray(value) || value instanceof Set) {
      return [...value].map(v => {
        const safe = jsonSafe(v, seen);
        return safe === undefined ? null : safe;
      });
    }
    const out = {};
    for(const [key, v] of Object.entries(value)) {
      const safe = jsonSafe(v, seen);
      if(safe !== undefined) {
        out[key] = safe;
      }
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

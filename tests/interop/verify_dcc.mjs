// Verify Open Badges 3.0 credentials with DCC verifier-core (the Learner Credential Wallet's verifier).
//
// stdin:  {"baseUrl": "http://127.0.0.1:PORT/", "credentials": [...]}   ("documents" is not supported:
//         verifier-core builds its own document loader and offers no hook to add documents)
// stdout: {"results": [{"verified", "errors", "revoked", "raw"}, ...], "network": {...}}
//
// verifier-core uses its own loader (securityLoader({fetchRemoteContexts: true})): bundled contexts,
// did:key/did:web resolution, and HTTP(S) GET of anything else through globalThis.fetch. A fetch guard
// (installed before verifier-core is imported) lets through only URLs under baseUrl; everything else
// fails like an unreachable host, and is listed in network.blocked. verifier-core also fetches the
// credentialSchema JSON Schema (purl.imsglobal.org): that fetch is blocked, which verifier-core reports
// as an additionalInformation schema_check entry and never as an error.
//
// What counts as "verified" (verifier-core has no single flag; it deletes vc's `verified`):
//   * no fatal `errors` array (invalid_signature, http_error_with_signature_check, no_proof, ...)
//     and no leftover `error` member (e.g. validFrom in the future);
//   * log has {id: "valid_signature", valid: true} and {id: "expiration", valid: true};
//   * when the credential has credentialStatus: log has {id: "revocation_status", valid: true};
//   * every other log entry is valid: true, except "registered_issuer" (whether the issuer is listed in
//     a DCC issuer registry: we pass knownDIDRegistries: [], so it is always false; it is trust-list
//     membership, not verification);
//   * additionalInformation (schema_check) is informational and ignored.
// "revoked" is true when the revocation_status entry is valid: false (the bit is set), false when it is
// valid: true, null when there is no credentialStatus or the list could not be checked (entry.error).

import {
  errorText, installFetchGuard, jsonSafe, readRequest, routeConsoleToStderr, writeResponse,
} from './_shared.mjs';

routeConsoleToStderr();

const IGNORED_LOG_IDS = new Set(['registered_issuer']);

function summarise(credential, raw) {
  const errors = [];
  for(const error of raw?.errors ?? []) {
    errors.push(`${error.name}: ${error.message}`);
  }
  if(raw?.error) {
    errors.push(`error: ${errorText(raw.error)}`);
  }
  const log = Array.isArray(raw?.log) ? raw.log : [];
  const entry = id => log.find(e => e.id === id);
  const required = ['valid_signature', 'expiration'];
  const hasStatus = Boolean(credential?.credentialStatus);
  if(hasStatus) {
    required.push('revocation_status');
  }
  if(!raw?.errors?.length) {
    for(const id of required) {
      if(!entry(id)) {
        errors.push(`log: no "${id}" entry`);
      }
    }
  }
  for(const e of log) {
    if(IGNORED_LOG_IDS.has(e.id)) {
      continue;
    }
    if(e.error) {
      errors.push(`log ${e.id}: ${e.error.name ?? ''} ${e.error.message ?? ''}`.trim());
    } else if(e.valid !== true) {
      errors.push(`log ${e.id}: valid is ${JSON.stringify(e.valid)}`);
    }
  }
  let revoked = null;
  const status = entry('revocation_status');
  if(hasStatus && status && !status.error && typeof status.valid === 'boolean') {
    revoked = !status.valid;
  }
  return {verified: errors.length === 0, errors, revoked};
}

async function main() {
  const request = await readRequest();
  const network = {fetched: [], blocked: []};
  installFetchGuard(request.baseUrl, network);
  // Import only now: verifier-core builds its document loader at import time.
  const {verifyCredential} = await import('@digitalcredentials/verifier-core');
  const results = [];
  for(const credential of request.credentials) {
    const mark = {fetched: network.fetched.length, blocked: network.blocked.length};
    const seen = () => ({fetched: network.fetched.slice(mark.fetched), blocked: network.blocked.slice(mark.blocked)});
    try {
      if(!credential || typeof credential !== 'object' || Array.isArray(credential)) {
        throw new TypeError('credential must be a JSON object (Data Integrity); VC-JWT is out of scope');
      }
      const raw = await verifyCredential({credential: structuredClone(credential), knownDIDRegistries: []});
      const safe = jsonSafe(raw);
      delete safe.credential; // verifier-core echoes the input
      results.push({...summarise(credential, raw), raw: safe, network: seen()});
    } catch(error) {
      results.push({verified: false, errors: [`verifier crashed: ${errorText(error)}`], revoked: null,
        raw: {exception: errorText(error), stack: String(error?.stack ?? '')}, network: seen()});
    }
  }
  writeResponse({verifier: 'dcc-verifier-core', results, network});
}

await main();

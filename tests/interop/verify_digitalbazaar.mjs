// Verify Open Badges 3.0 credentials with Digital Bazaar's libraries, offline.
//
// stdin:  {"baseUrl": "http://127.0.0.1:PORT/", "credentials": [...], "documents"?: {url: doc}, "now"?: iso}
// stdout: {"results": [{"verified", "errors", "revoked", "statusBits", "raw"}, ...]}
//
// Stack: @digitalbazaar/vc verifyCredential + DataIntegrityProof(eddsa-rdfc-2022) + jsonld-signatures
// purposes (CredentialIssuancePurpose: the verification method's controller must list it under
// assertionMethod and must equal the credential's issuer id) + vc-bitstring-status-list checkStatus.
//
// The document loader answers, in this order: JSON-LD contexts bundled in npm packages; the request's
// "documents" map (exact URL match, for test vectors whose issuer we do not host); an HTTP GET of URLs
// under baseUrl. Any other URL is an error, so nothing ever leaves the loopback interface.
//
// "verified" is the library's `verified` AND no status bit set: vc.verifyCredential reports a credential
// whose revocation bit is set as verified (statusResult.results[i].status === true), so that step is
// ours, as every verifier built on these libraries must do.

import {CONTEXTS} from './_contexts.mjs';
import {
  errorText, installFetchGuard, isUnder, jsonSafe, readRequest, routeConsoleToStderr, writeResponse,
} from './_shared.mjs';

routeConsoleToStderr();

const [vc, {DataIntegrityProof}, {cryptosuite}, bsl] = await Promise.all([
  import('@digitalbazaar/vc'),
  import('@digitalbazaar/data-integrity'),
  import('@digitalbazaar/eddsa-rdfc-2022-cryptosuite'),
  import('@digitalbazaar/vc-bitstring-status-list'),
]);

function makeDocumentLoader({baseUrl, documents = {}, trace}) {
  return async function documentLoader(url) {
    if(CONTEXTS.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(CONTEXTS.get(url))};
    }
    if(Object.hasOwn(documents, url)) {
      trace.push({url, source: 'documents'});
      return {contextUrl: null, documentUrl: url, document: structuredClone(documents[url])};
    }
    if(!isUnder(url, baseUrl)) {
      trace.push({url, source: 'refused'});
      throw new Error(`document loader: refusing ${url}: not a bundled context, not in "documents", ` +
        `not under ${baseUrl}`);
    }
    const response = await fetch(url, {headers: {accept: 'application/ld+json, application/json;q=0.9'}});
    trace.push({url, source: 'http', status: response.status});
    if(!response.ok) {
      throw new Error(`document loader: HTTP ${response.status} for ${url}`);
    }
    return {contextUrl: null, documentUrl: url, document: await response.json()};
  };
}

function statusBitsOf(raw) {
  const results = raw?.statusResult?.results;
  if(!Array.isArray(results)) {
    return null;
  }
  return results.map(r => ({
    purpose: r.credentialStatus?.statusPurpose ?? null,
    list: r.credentialStatus?.statusListCredential ?? null,
    index: r.credentialStatus?.statusListIndex ?? null,
    set: r.status === true,
  }));
}

function summarise(credential, raw) {
  const errors = [];
  const add = e => {
    if(e) {
      const text = errorText(e);
      if(!errors.includes(text)) {
        errors.push(text);
      }
    }
  };
  add(raw.error);
  for(const result of raw.results ?? []) {
    if(!result.verified) {
      add(result.error);
      add(result.purposeResult?.error);
    }
  }
  add(raw.statusResult?.error);

  const hasStatus = Boolean(credential && typeof credential === 'object' && credential.credentialStatus);
  const bits = statusBitsOf(raw);
  let revoked = null;
  if(hasStatus && bits && raw.statusResult?.verified === true) {
    revoked = bits.some(b => b.purpose === 'revocation' && b.set);
  }
  for(const bit of bits ?? []) {
    if(bit.set) {
      add(`status: bit ${bit.index} of ${bit.list} is set (statusPurpose ${bit.purpose})`);
    }
  }
  const anyBitSet = (bits ?? []).some(b => b.set);
  const verified = raw.verified === true && !anyBitSet;
  if(!verified && errors.length === 0) {
    errors.push('not verified (the library gave no reason)');
  }
  return {verified, errors, revoked, statusBits: bits};
}

async function verifyOne(credential, request) {
  const trace = [];
  const documentLoader = makeDocumentLoader({baseUrl: request.baseUrl, documents: request.documents, trace});
  try {
    if(!credential || typeof credential !== 'object' || Array.isArray(credential)) {
      throw new TypeError('credential must be a JSON object (Data Integrity); VC-JWT is out of scope');
    }
    const suite = new DataIntegrityProof({cryptosuite});
    const raw = await vc.verifyCredential({
      credential,
      suite,
      documentLoader,
      checkStatus: bsl.checkStatus,
      ...(request.now ? {now: request.now} : {}),
    });
    return {...summarise(credential, raw), raw: jsonSafe(raw), loaded: trace};
  } catch(error) {
    return {verified: false, errors: [`verifier crashed: ${errorText(error)}`], revoked: null, statusBits: null,
      raw: {exception: errorText(error), stack: String(error?.stack ?? '')}, loaded: trace};
  }
}

async function main() {
  const request = await readRequest();
  const network = {fetched: [], blocked: []};
  installFetchGuard(request.baseUrl, network);
  const results = [];
  for(const credential of request.credentials) {
    results.push(await verifyOne(credential, request));
  }
  writeResponse({
    verifier: 'digitalbazaar',
    results,
    network,
  });
}

await main();

// Print the contexts both verifiers hold offline, so a test can compare them with the copies Accolade
// signs with (lti_tool/core/jsonld/contexts). stdin: {"urls": [...]} (URLs to ask DCC's loader for).
// stdout: {"contexts": {"digitalbazaar": {url: context}, "dcc": {url: context|null}}}
import {readJson, routeConsoleToStderr, writeResponse} from './_shared.mjs';
import {CONTEXTS} from './_contexts.mjs';

routeConsoleToStderr();
const request = await readJson();
// Without fetchRemoteContexts the DCC loader answers only from its bundled contexts.
const {securityLoader} = await import('@digitalcredentials/security-document-loader');
const dccLoader = securityLoader({fetchRemoteContexts: false}).build();
const dcc = {};
for(const url of request.urls ?? []) {
  try {
    const {document} = await dccLoader(url);
    dcc[url] = typeof document === 'string' ? JSON.parse(document) : document;
  } catch {
    dcc[url] = null;
  }
}
writeResponse({contexts: {digitalbazaar: Object.fromEntries(CONTEXTS), dcc}});

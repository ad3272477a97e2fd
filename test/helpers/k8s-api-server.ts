/**
 * Test-only: a Kubernetes API server on 127.0.0.1 that speaks enough of the list/watch protocol
 * for @kubernetes/client-node's informers, for pods, namespaces and services (core/v1):
 *
 *   GET /api/v1/<resource>[?fieldSelector=spec.nodeName=x]               -> List, metadata.resourceVersion
 *   GET /api/v1/<resource>?watch=true&resourceVersion=N[&fieldSelector]   -> chunked JSON lines
 *       {"type":"ADDED"|"MODIFIED"|"DELETED","object":{...}} for every change after N, then live ones
 *
 * Like the real server: every write bumps one global resourceVersion; a watch from a version older
 * than the retained history gets 200 + an ERROR event carrying a 410 Status and is closed
 * (`expireHistory()`), or an HTTP 410 when `goneAsHttpStatus` is set; an object that stops
 * matching the watch's field selector is seen as DELETED. Tests can drop every open watch
 * (`dropWatches()`), refuse requests (`failNext()`), and count requests.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

export type Resource = 'pods' | 'namespaces' | 'services';
type Obj = { metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };
type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface HistoryEntry {
  readonly rv: number;
  readonly resource: Resource;
  readonly type: EventType;
  readonly object: Obj;
  /** The previous version, to tell "stopped matching the selector" from a plain change. */
  readonly previous?: Obj;
}

interface OpenWatch {
  readonly resource: Resource;
  readonly selector: FieldSelector;
  readonly res: http.ServerResponse;
}

type FieldSelector = (o: Obj) => boolean;

const KIND: Record<Resource, string> = { pods: 'Pod', namespaces: 'Namespace', services: 'Service' };
const NAMESPACED: Record<Resource, boolean> = { pods: true, namespaces: false, services: true };

export interface RequestLog {
  readonly lists: Record<Resource, number>;
  readonly watches: Record<Resource, number>;
}

export class FakeKubeApiServer {
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly store: Record<Resource, Map<string, Obj>> = { pods: new Map(), namespaces: new Map(), services: new Map() };
  private history: HistoryEntry[] = [];
  /** Versions at or below this are compacted away: watches from them get 410. */
  private compactedRv = 0;
  private rv = 1000;
  private uidCounter = 0;
  private readonly watches = new Set<OpenWatch>();
  private failures: { resource?: Resource; status: number; count: number }[] = [];
  /** Answer a too-old watch with HTTP 410 instead of 200 + ERROR event. */
  goneAsHttpStatus = false;
  readonly requests: RequestLog = { lists: { pods: 0, namespaces: 0, services: 0 }, watches: { pods: 0, namespaces: 0, services: 0 } };

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A KubeConfig pointing at this server (plain HTTP needs skipTLSVerify in client-node). */
  async kubeConfig(): Promise<KubeConfig> {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'test', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'test' }],
      contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
      currentContext: 'test',
    });
    return kc;
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- objects --------------------------------------------------------------------------------

  /** Creates or replaces (MODIFIED) an object; a pod gets a uid when it has none. Returns the stored copy. */
  apply(resource: Resource, object: Obj): Obj {
    const copy = structuredClone(object);
    const key = keyOf(resource, copy);
    const previous = this.store[resource].get(key);
    if (resource === 'pods' || resource === 'namespaces') {
      copy.metadata.uid ??= previous?.metadata.uid ?? uidFrom(++this.uidCounter);
    }
    copy.metadata.resourceVersion = String(++this.rv);
    copy.kind = KIND[resource];
    copy.apiVersion = 'v1';
    this.store[resource].set(key, copy);
    this.record({ rv: this.rv, resource, type: previous === undefined ? 'ADDED' : 'MODIFIED', object: copy, previous });
    return copy;
  }

  /** Changes an existing object through `edit` (on a copy) and stores it as MODIFIED. */
  modify(resource: Resource, name: string, namespace: string | undefined, edit: (o: Obj) => void): Obj {
    const current = this.store[resource].get(keyOf(resource, { metadata: { name, namespace } }));
    if (current === undefined) throw new Error(`${resource} ${namespace ?? ''}/${name} does not exist`);
    const copy = structuredClone(current);
    edit(copy);
    return this.apply(resource, copy);
  }

  delete(resource: Resource, name: string, namespace?: string): void {
    const key = keyOf(resource, { metadata: { name, namespace } });
    const current = this.store[resource].get(key);
    if (current === undefined) return;
    this.store[resource].delete(key);
    const gone = structuredClone(current);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record({ rv: this.rv, resource, type: 'DELETED', object: gone });
  }

  get(resource: Resource, name: string, namespace?: string): Obj | undefined {
    return this.store[resource].get(keyOf(resource, { metadata: { name, namespace } }));
  }

  // ---- faults ---------------------------------------------------------------------------------

  /** Ends every open watch response, as a restarting API server or a proxy timeout would. */
  dropWatches(): number {
    const n = this.watches.size;
    for (const w of this.watches) w.res.destroy();
    this.watches.clear();
    return n;
  }

  /** Forgets the history: watches resuming from any version seen so far get 410 Gone. */
  expireHistory(): void {
    // Other writers move the version on meanwhile: a relist returns a version that is watchable.
    this.compactedRv = ++this.rv;
    this.history = [];
  }

  /** The next `count` requests (of `resource`, or any) are answered with `status`. */
  failNext(status: number, count = 1, resource?: Resource): void {
    this.failures.push({ resource, status, count });
  }

  // ---- protocol -------------------------------------------------------------------------------

  private record(entry: HistoryEntry): void {
    this.history.push(entry);
    for (const w of this.watches) {
      if (w.resource === entry.resource) this.send(w, entry);
    }
  }

  /** Writes one event as the real server does, turning a selector miss into DELETED. */
  private send(w: OpenWatch, entry: HistoryEntry): void {
    const now = w.selector(entry.object);
    const before = entry.previous !== undefined && w.selector(entry.previous);
    let type: EventType | undefined;
    if (entry.type === 'DELETED') type = now ? 'DELETED' : undefined;
    else if (now) type = entry.type === 'MODIFIED' && !before ? 'ADDED' : entry.type;
    else if (before) type = 'DELETED';
    if (type !== undefined) w.res.write(`${JSON.stringify({ type, object: entry.object })}\n`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const m = /^\/api\/v1\/(pods|namespaces|services)$/.exec(url.pathname);
    if (req.method !== 'GET' || m === null) return this.status(res, 404, 'NotFound', `no route for ${req.method} ${url.pathname}`);
    const resource = m[1] as Resource;
    const failure = this.failures.find((f) => f.resource === undefined || f.resource === resource);
    if (failure !== undefined) {
      if (--failure.count <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
      return this.status(res, failure.status, 'InternalError', 'injected failure');
    }
    let selector: FieldSelector;
    try {
      selector = parseFieldSelector(url.searchParams.get('fieldSelector'));
    } catch (err) {
      return this.status(res, 400, 'BadRequest', (err as Error).message);
    }
    const watch = url.searchParams.get('watch');
    if (watch === 'true' || watch === '1') return this.watch(resource, selector, url.searchParams.get('resourceVersion'), res);
    this.requests.lists[resource]++;
    const items = [...this.store[resource].values()].filter(selector);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: `${KIND[resource]}List`, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items }));
  }

  private watch(resource: Resource, selector: FieldSelector, rvParam: string | null, res: http.ServerResponse): void {
    this.requests.watches[resource]++;
    const from = rvParam === null || rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (from !== undefined && from < this.compactedRv) {
      if (this.goneAsHttpStatus) return this.status(res, 410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`);
      res.writeHead(200, { 'content-type': 'application/json' });
      const status = statusObject(410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`);
      res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: OpenWatch = { resource, selector, res };
    if (from === undefined) {
      // No version: the current state as ADDED events first (the "send initial events" form).
      for (const o of this.store[resource].values()) if (selector(o)) res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
    } else {
      for (const e of this.history) if (e.resource === resource && e.rv > from) this.send(w, e);
    }
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(statusObject(code, reason, message)));
  }
}

function statusObject(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function keyOf(resource: Resource, o: { metadata: { name: string; namespace?: string } }): string {
  return NAMESPACED[resource] ? `${o.metadata.namespace ?? 'default'}/${o.metadata.name}` : o.metadata.name;
}

function uidFrom(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

/** Equality terms joined by commas, on dotted paths (`spec.nodeName=node-a,metadata.name=x`). */
function parseFieldSelector(text: string | null): FieldSelector {
  if (text === null || text === '') return () => true;
  const terms = text.split(',').map((term) => {
    const m = /^([A-Za-z.]+)(==?|!=)(.*)$/.exec(term);
    if (m === null) throw new Error(`unsupported field selector term ${JSON.stringify(term)}`);
    return { path: m[1].split('.'), negate: m[2] === '!=', value: m[3] };
  });
  return (o) =>
    terms.every(({ path, negate, value }) => {
      let v: unknown = o;
      for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
      return (String(v ?? '') === value) !== negate;
    });
}

// ---- object builders -----------------------------------------------------------------------------

export interface PodSpecInput {
  readonly name: string;
  readonly namespace: string;
  readonly nodeName: string;
  readonly uid?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  /** name -> container id with scheme (`containerd://<64 hex>`). */
  readonly containers?: Record<string, string>;
  readonly phase?: string;
}

export function podObject(p: PodSpecInput): Obj {
  return {
    metadata: { name: p.name, namespace: p.namespace, ...(p.uid ? { uid: p.uid } : {}), labels: p.labels ?? {}, annotations: p.annotations ?? {} },
    spec: { nodeName: p.nodeName, containers: Object.keys(p.containers ?? { app: '' }).map((name) => ({ name, image: 'test' })) },
    status: {
      phase: p.phase ?? 'Running',
      containerStatuses: Object.entries(p.containers ?? {}).map(([name, containerID]) => ({ name, containerID, ready: true, restartCount: 0, image: 'test', imageID: '' })),
    },
  };
}

export function namespaceObject(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): Obj {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, annotations } };
}

export function serviceObject(name: string, namespace: string, selector: Record<string, string>): Obj {
  return { metadata: { name, namespace }, spec: { selector, ports: [{ port: 80 }] } };
}

/** Polls `predicate` until true; throws with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Why @kubernetes/client-node cannot load on this Node, or undefined when it can. v2.x needs
 * undici 8, which needs Node >= 22.19 (zlib zstd, webidl internals) and throws at import on older
 * Nodes; a failed import also leaves the test process unable to exit, so the engines range of
 * the library and of its HTTP client are compared with this Node instead of trying.
 */
export function clientNodeLoadError(): string | undefined {
  let dir: string;
  try {
    dir = path.dirname(require.resolve('@kubernetes/client-node/package.json'));
  } catch (err) {
    return `@kubernetes/client-node is not installed: ${(err as Error).message}`;
  }
  for (const pkgDir of [dir, ...['undici', 'node-fetch'].map((d) => resolvePackageDir(d, dir))]) {
    if (pkgDir === undefined) continue;
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { name: string; version: string; engines?: { node?: string } };
    const min = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(pkg.engines?.node?.trim() ?? '');
    if (min === null) continue;
    const want = [Number(min[1]), Number(min[2]), Number(min[3] ?? 0)];
    const have = process.versions.node.split('.').map(Number);
    const older = have[0] !== want[0] ? have[0] < want[0] : have[1] !== want[1] ? have[1] < want[1] : have[2] < want[2];
    if (older) return `@kubernetes/client-node cannot load on Node ${process.version}: ${pkg.name}@${pkg.version} needs node ${pkg.engines!.node}`;
  }
  return undefined;
}

function resolvePackageDir(name: string, from: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [from] }));
  } catch {
    return undefined;
  }
}

/**
 * For `describe(..., { skip: skipUnlessClientNodeLoads() })`: the reason to skip when the library
 * cannot load, false when it can; throws under CI=true so the mismatch cannot pass unnoticed.
 * (A suite-level skip, because node 20's runner does not run afterEach for a test that skips itself.)
 */
export function skipUnlessClientNodeLoads(): string | false {
  const reason = clientNodeLoadError();
  if (reason === undefined) return false;
  if (process.env.CI === 'true') throw new Error(reason);
  return reason;
}

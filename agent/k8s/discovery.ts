/**
 * Node-local discovery: informers (the library's ListWatch) for the pods on this node
 * (`spec.nodeName=<node>`), all namespaces and all services, turned into one stream of resolved
 * pod changes. A namespace or service change re-resolves the pods it touches, so a label flip on
 * a namespace becomes `updated` for each of its pods without any pod changing.
 *
 * Reconnection, in layers:
 *  - a watch that ends (server timeout, dropped connection) is resumed by ListWatch from the last
 *    resourceVersion, with its own 1 s..30 s backoff reset by every event;
 *  - a 410 Gone (history compacted) makes ListWatch relist; `minRelistIntervalMs` spaces lists
 *    out so a server answering 410 in a loop cannot make us list in a loop;
 *  - any other failure (list refused, API server down) stops a ListWatch for good, so we restart
 *    it after an exponential backoff (`backoff`), reset once a start succeeds.
 *
 * @kubernetes/client-node v2 is an ES module and this package is CommonJS: the types come in with
 * `resolution-mode: import` and the code through a dynamic import() at start.
 */
import type { CoreV1Api, KubeConfig, KubernetesListObject, KubernetesObject, ListWatch, V1Namespace, V1Pod, V1Service, Watch } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { Logger } from '../log/logger';
import { SocktapError } from '../util/errors';
import { podInfoKey, podInfoOf, type PodInfo } from './pod-view';

export type PodChangeType = 'added' | 'updated' | 'removed';

export interface PodChange {
  readonly type: PodChangeType;
  /** For `removed`, the last view of the pod. */
  readonly pod: PodInfo;
}

export interface BackoffOptions {
  /** First delay after a failure. @default 500 */
  readonly initialMs?: number;
  /** Ceiling; each failure doubles the delay up to it. @default 30000 */
  readonly maxMs?: number;
}

export interface PodDiscoveryOptions {
  /** This node's name (`spec.nodeName`), from the downward API's NODE_NAME. */
  readonly nodeName: string;
  /** Called for every resolved change, in order. */
  readonly onChange: (change: PodChange) => void;
  /** @default in-cluster config (service account token, KUBERNETES_SERVICE_HOST) */
  readonly kubeConfig?: KubeConfig;
  /** Restart backoff after a failed list or watch. */
  readonly backoff?: BackoffOptions;
  /** Least time between two lists of one resource. @default 1000 */
  readonly minRelistIntervalMs?: number;
  readonly logger?: Logger;
}

export interface DiscoveryStats {
  /** List calls per resource (first list included). */
  readonly lists: Readonly<Record<ResourceName, number>>;
  /** Restarts after failures per resource. */
  readonly restarts: Readonly<Record<ResourceName, number>>;
}

type ResourceName = 'pods' | 'namespaces' | 'services';

/** ListWatch's constructor as both library lines accept it (v1.x has no 7th parameter). */
type ListWatchConstructor = new <T extends KubernetesObject>(
  path: string,
  watch: Watch,
  listFn: () => Promise<KubernetesListObject<T>>,
  autoStart: boolean,
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
  options: { delayFn: (ms: number) => Promise<void> },
) => ListWatch<T>;

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

export class PodDiscovery {
  private readonly options: PodDiscoveryOptions;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly minRelistMs: number;
  private readonly informers = new Map<ResourceName, ListWatch<KubernetesObject>>();
  private readonly delays = new Map<ResourceName, number>();
  private readonly lastList = new Map<ResourceName, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly restarting = new Set<ResourceName>();
  private readonly current = new Map<string, { info: PodInfo; key: string }>();
  private readonly counts: { lists: Record<ResourceName, number>; restarts: Record<ResourceName, number> } = {
    lists: { pods: 0, namespaces: 0, services: 0 },
    restarts: { pods: 0, namespaces: 0, services: 0 },
  };
  private stopped = true;
  private started = false;

  constructor(options: PodDiscoveryOptions) {
    if (typeof options.nodeName !== 'string' || options.nodeName === '') {
      throw new TypeError(`nodeName must be a non-empty string, got ${JSON.stringify(options.nodeName)}`);
    }
    this.options = options;
    this.initialMs = options.backoff?.initialMs ?? 500;
    this.maxMs = options.backoff?.maxMs ?? 30_000;
    this.minRelistMs = options.minRelistIntervalMs ?? 1000;
  }

  /** Lists namespaces and services, then pods, and keeps watching. Resolves once all three listed. */
  async start(): Promise<void> {
    if (this.started) throw new SocktapError('SOCKTAP_STATE', 'PodDiscovery.start() must be called once, got a second call');
    this.started = true;
    this.stopped = false;
    let k8s: typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });
    try {
      k8s = await import('@kubernetes/client-node');
    } catch (err) {
      this.stopped = true;
      // v2.x of the library needs Node >= 22.19 (its undici 8); say so instead of a TypeError from deep inside.
      throw new SocktapError('SOCKTAP_SYSTEM', `@kubernetes/client-node must load on Node ${process.version}, got: ${(err as Error).message}`, { cause: err });
    }
    let kc = this.options.kubeConfig;
    if (kc === undefined) {
      kc = new k8s.KubeConfig();
      // KUBECONFIG or ~/.kube/config for local runs, else the in-cluster service account.
      try {
        kc.loadFromDefault();
      } catch (err) {
        this.stopped = true;
        const from = process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : '~/.kube/config or the in-cluster service account';
        throw new SocktapError('SOCKTAP_CONFIG', `cannot load the Kubernetes client configuration from ${from}: ${(err as Error).message}`, { cause: err });
      }
    }
    const api: CoreV1Api = kc.makeApiClient(k8s.CoreV1Api);
    const watch = new k8s.Watch(kc);
    const fieldSelector = `spec.nodeName=${this.options.nodeName}`;
    const make = <T extends KubernetesObject>(name: ResourceName, path: string, list: () => Promise<KubernetesListObject<T>>, selector?: string) => {
      const listFn = async () => {
        await this.spaceOutLists(name);
        this.counts.lists[name]++;
        return list();
      };
      // autoStart false: we start each one ourselves, namespaces and services before pods.
      // The 7th argument (v2's reconnect delay, made cancellable by stop()) is ignored by v1.
      const Ctor = k8s.ListWatch as unknown as ListWatchConstructor;
      const lw = new Ctor<T>(path, watch, listFn, false, undefined, selector, { delayFn: (ms: number) => this.sleep(ms) });
      this.informers.set(name, lw as unknown as ListWatch<KubernetesObject>);
      lw.on('error', (err: unknown) => this.restartLater(name, err));
      return lw;
    };

    const namespaces = make<V1Namespace>('namespaces', '/api/v1/namespaces', () => api.listNamespace());
    const services = make<V1Service>('services', '/api/v1/services', () => api.listServiceForAllNamespaces());
    const pods = make<V1Pod>('pods', '/api/v1/pods', () => api.listPodForAllNamespaces({ fieldSelector }), fieldSelector);

    const namespaceChanged = (ns: V1Namespace) => this.resolveNamespace(ns.metadata?.name);
    const serviceChanged = (svc: V1Service) => this.resolveNamespace(svc.metadata?.namespace);
    namespaces.on('change', namespaceChanged);
    services.on('change', serviceChanged);
    pods.on('add', (p: V1Pod) => this.resolvePod(p));
    pods.on('update', (p: V1Pod) => this.resolvePod(p));
    pods.on('delete', (p: V1Pod) => this.removePod(p.metadata?.uid));

    await Promise.all([this.startOne('namespaces'), this.startOne('services')]);
    await this.startOne('pods');
  }

  /** Ends every watch. A stopped discovery is not restarted: make a new one. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.restarting.clear();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    this.informers.clear();
  }

  /** The pods currently known on this node, resolved. */
  pods(): PodInfo[] {
    return [...this.current.values()].map((c) => c.info);
  }

  stats(): DiscoveryStats {
    return { lists: { ...this.counts.lists }, restarts: { ...this.counts.restarts } };
  }

  private async startOne(name: ResourceName): Promise<void> {
    const lw = this.informers.get(name);
    if (lw === undefined || this.stopped) return;
    let failed = false;
    const onError = () => {
      failed = true;
    };
    lw.on('error', onError);
    try {
      await lw.start();
    } finally {
      lw.off('error', onError);
    }
    if (!failed) this.delays.delete(name);
  }

  private restartLater(name: ResourceName, err: unknown): void {
    // One restart at a time per resource: a failing start may report more than one error.
    if (this.stopped || this.restarting.has(name)) return;
    // v1.x of the library ends every watch after 30 s (a TimeoutError, or node-fetch's AbortError)
    // and leaves restarting to us: routine, so neither a warning nor a reason to back off further.
    const routine = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const delay = routine ? this.initialMs : (this.delays.get(name) ?? this.initialMs);
    if (!routine) this.delays.set(name, Math.min(delay * 2, this.maxMs));
    this.options.logger?.log(routine ? 'debug' : 'warn', 'Kubernetes watch failed; restarting', { resource: name, retry_ms: delay, error: errorText(err) });
    this.restarting.add(name);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.restarting.delete(name);
      if (this.stopped) return;
      this.counts.restarts[name]++;
      this.startOne(name).catch((e: unknown) => this.restartLater(name, e));
    }, delay);
    this.timers.add(t);
  }

  private async spaceOutLists(name: ResourceName): Promise<void> {
    const last = this.lastList.get(name);
    const wait = last === undefined ? 0 : last + this.minRelistMs - Date.now();
    if (wait > 0) await this.sleep(wait);
    this.lastList.set(name, Date.now());
  }

  /** A timer that stop() cancels; the promise then never settles, so the waiting chain ends. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private resolvePod(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (pod.spec?.nodeName !== this.options.nodeName || TERMINAL_PHASES.has(pod.status?.phase ?? '')) {
      this.removePod(uid);
      return;
    }
    const ns = this.informers.get('namespaces')?.get(pod.metadata?.namespace ?? '') as V1Namespace | undefined;
    const services = (this.informers.get('services')?.list(pod.metadata?.namespace) ?? []) as V1Service[];
    const info = podInfoOf(pod, ns, services);
    if (info === undefined) return;
    const key = podInfoKey(info);
    const prev = this.current.get(info.uid);
    if (prev?.key === key) return;
    this.current.set(info.uid, { info, key });
    this.emit({ type: prev === undefined ? 'added' : 'updated', pod: info });
  }

  private removePod(uid: string | undefined): void {
    if (uid === undefined) return;
    const prev = this.current.get(uid);
    if (prev === undefined) return;
    this.current.delete(uid);
    this.emit({ type: 'removed', pod: prev.info });
  }

  private resolveNamespace(namespace: string | undefined): void {
    if (namespace === undefined) return;
    const pods = this.informers.get('pods');
    if (pods === undefined) return;
    for (const p of pods.list(namespace)) this.resolvePod(p as V1Pod);
  }

  private emit(change: PodChange): void {
    try {
      this.options.onChange(change);
    } catch (err) {
      // A listener's bug must not stop the informer that called us.
      this.options.logger?.error('pod change listener failed', { pod: `${change.pod.namespace}/${change.pod.name}`, error: errorText(err) });
    }
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { statusCode?: number; code?: number }).statusCode ?? (err as { code?: unknown }).code;
    return status === undefined ? err.message : `${err.message} (${String(status)})`;
  }
  return String(err);
}

/**
 * The Kubernetes side assembled: discovery -> decisions -> process scan -> targets, kept current.
 * The agent runtime gives it a callback and pushes what it gets into the tracer:
 *
 *   const k8s = new KubernetesTargets({ nodeName: process.env.NODE_NAME!, procRoot: config.proc_fs_path,
 *     rules: { captureAllNamespaces: config.capture_all_namespaces, defaultMode: config.mode }, logger,
 *     onTargets: (t) => tracer.setTargets({ cgroupIds: t.cgroupIds, pids: t.fallbackPids }) });
 *   await k8s.start();
 *   ... label a record: k8s.current().byPid.get(record.process.pid)
 *
 * Processes start after the pod event that announces their container, so besides rescanning on
 * every decision change the scan is repeated every `rescanIntervalMs`; `onTargets` is called only
 * when the result differs.
 */
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { Logger } from '../log/logger';
import { findCgroupV2Mount } from './cgroup-path';
import { PodDiscovery, type BackoffOptions, type PodChange } from './discovery';
import type { MirroringConfig } from './mirroring-rules';
import { PodDecisions, type TargetSet } from './pod-decisions';
import { scanPodCgroups, type PodCgroupScan } from './process-scan';

export interface KubernetesTargetsOptions {
  /** This node (downward API NODE_NAME). */
  readonly nodeName: string;
  /** Called with the new targets whenever they change (and once after start). */
  readonly onTargets: (targets: TargetSet) => void;
  /** @default in-cluster config */
  readonly kubeConfig?: KubeConfig;
  readonly rules?: MirroringConfig;
  readonly logger?: Logger;
  /** The host's proc (config proc_fs_path). @default '/proc' */
  readonly procRoot?: string;
  /** The host's cgroup v2 mount. @default findCgroupV2Mount() */
  readonly cgroupMount?: string;
  /** @default 2000 */
  readonly rescanIntervalMs?: number;
  /** Replaces the /proc scan (tests). */
  readonly scan?: () => PodCgroupScan;
  readonly backoff?: BackoffOptions;
  readonly minRelistIntervalMs?: number;
  /** Also told about every pod change (after the decision is applied). */
  readonly onPodChange?: (change: PodChange) => void;
}

const EMPTY: TargetSet = { cgroupIds: [], byCgroupId: new Map(), byPid: new Map(), fallbackPids: [] };

export class KubernetesTargets {
  private readonly options: KubernetesTargetsOptions;
  private readonly decisions: PodDecisions;
  private readonly discovery: PodDiscovery;
  private readonly scan: () => PodCgroupScan;
  private targetSet: TargetSet = EMPTY;
  private signature = '';
  private interval?: NodeJS.Timeout;
  private pending?: NodeJS.Timeout;

  constructor(options: KubernetesTargetsOptions) {
    this.options = options;
    this.decisions = new PodDecisions({ rules: options.rules, logger: options.logger });
    const mount = options.cgroupMount ?? findCgroupV2Mount();
    if (mount === undefined && options.scan === undefined) {
      options.logger?.warn('no cgroup v2 mount: pods are targeted by pid, processes started later are missed until the next scan');
    }
    this.scan = options.scan ?? (() => scanPodCgroups({ procRoot: options.procRoot, cgroupMount: mount }));
    this.discovery = new PodDiscovery({
      nodeName: options.nodeName,
      kubeConfig: options.kubeConfig,
      logger: options.logger,
      backoff: options.backoff,
      minRelistIntervalMs: options.minRelistIntervalMs,
      onChange: (change) => {
        if (this.decisions.apply(change)) this.refreshSoon();
        options.onPodChange?.(change);
      },
    });
  }

  async start(): Promise<void> {
    await this.discovery.start();
    this.refresh();
    this.interval = setInterval(() => this.refresh(), this.options.rescanIntervalMs ?? 2000);
    this.interval.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.interval);
    clearTimeout(this.pending);
    await this.discovery.stop();
  }

  /** The targets last computed. */
  current(): TargetSet {
    return this.targetSet;
  }

  /** Rescans now; calls onTargets when the result changed. */
  refresh(): TargetSet {
    let scan: PodCgroupScan;
    try {
      scan = this.scan();
    } catch (err) {
      this.options.logger?.error('process scan failed; keeping the previous targets', { error: err as Error });
      return this.targetSet;
    }
    const next = this.decisions.targets(scan);
    const signature = signatureOf(next);
    this.targetSet = next;
    if (signature !== this.signature) {
      this.signature = signature;
      this.options.onTargets(next);
    }
    return next;
  }

  /** Several pod changes in one tick (a namespace flip touches all its pods) make one rescan. */
  private refreshSoon(): void {
    if (this.pending !== undefined) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.refresh();
    }, 20);
  }
}

function signatureOf(t: TargetSet): string {
  const rows = [...t.byCgroupId.values()].map((x) => [String(x.cgroupId), x.mode, x.podUid, x.service, x.containerName, x.pids.join(',')]);
  return JSON.stringify([rows, t.fallbackPids]);
}

/**
 * Kubernetes mode (`k8s_enabled: true`): the pods on this node that the mirroring rules select
 * become the tracer's targets (their cgroup v2 ids, so the kernel filters before any copy), each
 * pod's mode applies to its connections, and its records carry pod, namespace, service and
 * container id.
 */
import type { Tracer } from '../capture/tracer';
import type { AgentConfig } from '../config/schema';
import { KubernetesTargets, type KubernetesTargetsOptions } from '../k8s/kubernetes-targets';
import type { PodTarget } from '../k8s/pod-decisions';
import type { Logger } from '../log/logger';
import type { ExchangeAssemblerOptions } from '../pipeline/exchange-assembler';
import { SocktapError } from '../util/errors';

export interface KubernetesModeOptions {
  config: AgentConfig;
  log: Logger;
  /** This node's name. @default process.env.NODE_NAME (the DaemonSet sets it from the downward API) */
  nodeName?: string;
  /** Test and local-run overrides of the discovery (kube config, rescan interval, ...). */
  targets?: Partial<Omit<KubernetesTargetsOptions, 'nodeName' | 'onTargets' | 'rules' | 'logger'>>;
}

export class KubernetesMode {
  private readonly targets: KubernetesTargets;
  private tracer: Tracer | undefined;
  private readonly nodeName: string;

  constructor(private readonly options: KubernetesModeOptions) {
    const { config, log } = options;
    const nodeName = options.nodeName ?? process.env.NODE_NAME;
    if (!nodeName) {
      throw new SocktapError(
        'SOCKTAP_CONFIG',
        'k8s_enabled: true needs this node\'s name in NODE_NAME (the DaemonSet sets it from the downward API; for a local run, export NODE_NAME=<node>)',
      );
    }
    this.nodeName = nodeName;
    this.targets = new KubernetesTargets({
      procRoot: config.proc_fs_path,
      ...options.targets,
      nodeName,
      logger: log,
      rules: {
        captureAllNamespaces: config.capture_all_namespaces,
        defaultMode: config.mode,
        keys: {
          namespaceLabel: config.mirror_namespace_label,
          podEnabledAnnotation: config.mirror_pod_enabled_annotation,
          podModeAnnotation: config.mirror_pod_mode_annotation,
          namespaceDefaultModeAnnotation: config.mirror_namespace_mode_annotation,
        },
      },
      // Cgroup ids when the host has cgroup v2; the processes themselves on v1-only hosts.
      onTargets: (t) => {
        if (this.tracer?.running) this.tracer.setTargets({ cgroupIds: t.cgroupIds, pids: t.fallbackPids });
      },
    });
  }

  /**
   * For the assembler: each pod's mode and labels, by the cgroup the kernel saw the connection's
   * process in (processes too short-lived for the periodic /proc scan are still named), else by pid
   * (cgroup v1-only hosts).
   */
  readonly processPolicy: NonNullable<ExchangeAssemblerOptions['processPolicy']> = (pid, cgroupId) => {
    const current = this.targets.current();
    const t: PodTarget | undefined = current.byCgroupId.get(cgroupId) ?? current.byPid.get(pid);
    if (t === undefined) return undefined;
    return { mode: t.mode, labels: { container_id: t.containerId, pod: t.pod, namespace: t.namespace, service: t.service } };
  };

  /** The targets last computed (cgroup ids, and each target pod by pid). */
  current() {
    return this.targets.current();
  }

  /** Starts discovery once `tracer` runs; the first targets follow the first complete listing. */
  async start(tracer: Tracer): Promise<void> {
    this.tracer = tracer;
    await this.targets.start();
    const t = this.targets.current();
    this.options.log.info(`Kubernetes mode: ${t.cgroupIds.length} cgroups of selected pods targeted on node ${this.nodeName}`);
  }

  async stop(): Promise<void> {
    await this.targets.stop();
  }
}

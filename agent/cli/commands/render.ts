/**
 * `socktap render`: the Kubernetes manifests of a socktap installation as multi-document YAML, for
 * `kubectl apply -f -`. Built by infra/spec, the same model the Pulumi component and the CDKTF
 * construct use, so all three install the same objects.
 */
import fs from 'node:fs';
import { parse as parseYaml, stringify } from 'yaml';
import { parse } from '../args';
import { SocktapError } from '../../util/errors';
import { fromHelmValues, objectList, renderAgentObjects, SpecValidationError, SOCKTAP_VERSION, type EbpfAgentOptions } from '../../../infra/spec';

export const renderHelp = `Usage: socktap render [--options FILE] [--helm-values FILE] [flags] [-o FILE]

Writes the Kubernetes manifests of a socktap installation (Namespace, ServiceAccount, ClusterRole,
ClusterRoleBinding, ConfigMap, Secret, DaemonSet) as multi-document YAML, in apply order:

  socktap render --options socktap.yaml | kubectl apply -f -

Sources, later ones overriding earlier ones: --helm-values, then --options, then the flags below.

  --options FILE          socktap deployment options as YAML or JSON (the EbpfAgentOptions of
                          socktap/spec: namespace, token, mirroring, mode, maxBodyBytes,
                          redactHeaders, exporters, security, image, resources, tolerations, ...)
  --helm-values FILE      a values.yaml of the reference agent's Helm chart (token, environment,
                          daemonSetMirroringEnabled, daemonSetMirrorAllNamespaces,
                          ebpfRunAsPrivileged, ...); values socktap cannot honour are listed on stderr
  --name NAME             base name of every object (default socktap)
  --namespace NAME        namespace to install into (default socktap)
  --existing-namespace    do not create the namespace; it must allow privileged pods
  --token-secret NAME[:KEY]
                          read the access token from this existing Secret (key default: token)
                          instead of putting a token in the manifests
  --mirror-all-namespaces capture in every namespace not labelled traceableai-mirror=disabled
  --capabilities-mode     a capability list instead of a privileged container
  --least-privilege       capabilities mode without SYS_ADMIN (BPF, PERFMON, SYS_PTRACE,
                          SYS_RESOURCE, DAC_READ_SEARCH; kernel 5.8 or later)
  --image REF             agent image (default ghcr.io/socktap/socktap:${SOCKTAP_VERSION})
  -o, --output FILE       write to FILE instead of stdout

There is no flag for the token itself, so it never lands in shell history: put it in the
--options file (token: ...) or in a Secret (--token-secret). Warnings go to stderr; invalid
options are all listed at once, each by its option path, and exit with status 1.`;

/** The flags in option form. Pure, for tests. */
export interface RenderFlags {
  readonly name?: string;
  readonly namespace?: string;
  readonly existingNamespace?: boolean;
  readonly tokenSecret?: string;
  readonly mirrorAllNamespaces?: boolean;
  readonly capabilitiesMode?: boolean;
  readonly leastPrivilege?: boolean;
  readonly image?: string;
}

export function flagOptions(flags: RenderFlags): EbpfAgentOptions {
  const o: Record<string, unknown> = {};
  if (flags.name !== undefined) o.name = flags.name;
  if (flags.namespace !== undefined || flags.existingNamespace === true) {
    o.namespace = { ...(flags.namespace === undefined ? {} : { name: flags.namespace }), ...(flags.existingNamespace === true ? { create: false } : {}) };
  }
  if (flags.tokenSecret !== undefined) {
    const [name, key] = flags.tokenSecret.split(':', 2);
    o.tokenSecretRef = key === undefined || key === '' ? { name } : { name, key };
  }
  if (flags.mirrorAllNamespaces === true) o.mirroring = { allNamespaces: true };
  if (flags.leastPrivilege === true) o.security = { mode: 'capabilities', capabilities: 'least-privilege' };
  else if (flags.capabilitiesMode === true) o.security = { mode: 'capabilities' };
  if (flags.image !== undefined) o.image = flags.image;
  return o as EbpfAgentOptions;
}

/** Later layers win; mappings merge key by key, lists and scalars replace. */
export function mergeOptions(...layers: EbpfAgentOptions[]): EbpfAgentOptions {
  const merge = (a: unknown, b: unknown): unknown => {
    if (isMapping(a) && isMapping(b)) {
      const out: Record<string, unknown> = { ...a };
      for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
      return out;
    }
    return b === undefined ? a : b;
  };
  return layers.reduce((acc, layer) => merge(acc, layer) as EbpfAgentOptions, {});
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The manifests as multi-document YAML, in apply order. @throws SpecValidationError */
export function renderManifests(options: EbpfAgentOptions): string {
  const docs = objectList(renderAgentObjects(options)).map((o) =>
    // YAML 1.1 quoting, as kubectl's parser reads YAML 1.1: a label value `on` stays a string.
    stringify(o, { lineWidth: 0, blockQuote: 'literal', version: '1.1' }),
  );
  return `# socktap ${SOCKTAP_VERSION}: rendered by \`socktap render\`\n---\n${docs.join('---\n')}`;
}

function readFile(flag: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SocktapError('SOCKTAP_CONFIG', `--${flag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function readOptionsFile(file: string): EbpfAgentOptions {
  let value: unknown;
  try {
    value = parseYaml(readFile('options', file)) ?? {};
  } catch (err) {
    if (err instanceof SocktapError) throw err;
    throw new SocktapError('SOCKTAP_CONFIG', `--options ${file}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isMapping(value)) throw new SocktapError('SOCKTAP_CONFIG', `--options ${file}: must be a mapping of socktap options, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
  return value as EbpfAgentOptions;
}

export async function renderCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      options: { type: 'string' },
      'helm-values': { type: 'string' },
      name: { type: 'string' },
      namespace: { type: 'string' },
      'existing-namespace': { type: 'boolean' },
      'token-secret': { type: 'string' },
      'mirror-all-namespaces': { type: 'boolean' },
      'capabilities-mode': { type: 'boolean' },
      'least-privilege': { type: 'boolean' },
      image: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    'render',
  );
  if (values.help) {
    process.stdout.write(renderHelp + '\n');
    return 0;
  }
  const layers: EbpfAgentOptions[] = [];
  if (values['helm-values'] !== undefined) {
    const helm = convertSpecError(() => fromHelmValues(readFile('helm-values', values['helm-values'] as string)), `--helm-values ${values['helm-values']}`);
    for (const w of helm.warnings) process.stderr.write(`socktap render: warning: ${w}\n`);
    layers.push(helm.options);
  }
  if (values.options !== undefined) layers.push(readOptionsFile(values.options));
  const flags = flagOptions({
    name: values.name,
    namespace: values.namespace,
    existingNamespace: values['existing-namespace'],
    tokenSecret: values['token-secret'],
    mirrorAllNamespaces: values['mirror-all-namespaces'],
    capabilitiesMode: values['capabilities-mode'],
    leastPrivilege: values['least-privilege'],
    image: values.image,
  });
  let options = mergeOptions(...layers, flags);
  // --token-secret is the explicit choice of where the token comes from: it replaces a token
  // from the files rather than colliding with it.
  if (flags.tokenSecretRef !== undefined && options.token !== undefined) {
    process.stderr.write('socktap render: warning: --token-secret given: the token from the options or values file is not used\n');
    const { token: _dropped, ...rest } = options;
    void _dropped;
    options = rest;
  }
  const yaml = convertSpecError(() => renderManifests(options));
  if (values.output !== undefined) fs.writeFileSync(values.output, yaml);
  else process.stdout.write(yaml);
  return 0;
}

function convertSpecError<T>(fn: () => T, source?: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SpecValidationError) throw new SocktapError('SOCKTAP_CONFIG', source === undefined ? err.message : `${source}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Predicates for the value forms Kubernetes and container registries accept. Pure, exported for
 * tests; each pairs with a `form` text used in "<path> must be <form>, got <value>".
 */

/** RFC 1123 label: names of namespaces, services, and of objects whose name becomes a label. */
export function isDnsLabel(value: unknown, max = 63): value is string {
  return typeof value === 'string' && value.length <= max && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value);
}

/** RFC 1123 subdomain: names of Secrets, PriorityClasses and most objects. */
export function isDnsSubdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(value);
}

/** Label and annotation keys: optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isQualifiedName(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const slash = value.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : value.slice(0, slash);
  const name = slash < 0 ? value : value.slice(slash + 1);
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
}

/** Label values: empty, or at most 63 characters of letters, digits, `-_.`, alphanumeric at both ends. */
export function isLabelValue(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(value);
}

/** Container environment variable names as the API server accepts them. */
export function isEnvName(value: unknown): value is string {
  return typeof value === 'string' && /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(value);
}

/** Keys of a Secret's data. */
export function isSecretKey(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(value);
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?|\\[[0-9a-fA-F:]+\\](?::[0-9]+)?)';
const IMAGE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`);

/** An image reference as the distribution spec defines it: `[registry[:port]/]path[:tag][@sha256:digest]`. */
export function isImageReference(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 4096 && IMAGE.test(value);
}

/** Linux capability names as Kubernetes takes them: `BPF`, `SYS_ADMIN` (no `CAP_` prefix). */
export function isCapabilityName(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Z][A-Z_]*[A-Z]$/.test(value) && !value.startsWith('CAP_');
}

const QUANTITY = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][-+]?[0-9]+)?$/;
const SUFFIX: Readonly<Record<string, number>> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/**
 * A Kubernetes resource quantity (`100m`, `0.5`, `128Mi`, `1e3`) as a number, or undefined when
 * it is not one. Only non-negative quantities are accepted: resources cannot be negative.
 */
export function quantityValue(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY.exec(value);
  if (m === null) return undefined;
  const suffix = m[2] ?? '';
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix];
  return scale === undefined ? undefined : Number(m[1]) * scale;
}

/** An int-or-string that is a non-negative count or a percentage (`25%`). */
export function isCountOrPercent(value: unknown): value is number | string {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0;
  return typeof value === 'string' && /^(100|[1-9]?[0-9])%$/.test(value);
}

export function isZeroCount(value: number | string): boolean {
  return value === 0 || value === '0%';
}

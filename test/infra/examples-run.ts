/**
 * Runs one example the way its tool would, without a cluster, and prints what it produced as
 * JSON on stdout. Spawned by examples.test.ts with TSX_TSCONFIG_PATH=examples/tsconfig.json, so
 * `socktap/pulumi`, `socktap/cdktf` and `socktap/spec` resolve to the repository's sources.
 *   Pulumi examples: under mocks, with config set; prints the registered resources and outputs.
 *   CDKTF example: app.synth() into a temporary CDKTF_OUTDIR; prints each stack's JSON.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { installPulumiMocks, plainInputs } from './pulumi-harness';

const example = process.argv[2];
const examples = join(__dirname, '..', '..', 'examples');

/** Project names from each example's Pulumi.yaml (config keys are prefixed with them). */
const PULUMI_PROJECTS: Record<string, string> = {
  pulumi: 'socktap-example',
  'existing-stack': 'socktap-existing-stack',
  'helm-values': 'socktap-helm-values',
};

async function runPulumi(project: string): Promise<unknown> {
  const registered = installPulumiMocks(project);
  pulumi.runtime.setAllConfig(
    { [`${project}:token`]: 'example-token', [`${project}:socktapToken`]: 'example-token', [`${project}:mirrorAllNamespaces`]: 'true' },
    [`${project}:token`, `${project}:socktapToken`],
  );
  const exported = (await import(join(examples, example, 'index.ts'))) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exported)) {
    if (pulumi.Output.isInstance(value)) outputs[name] = await new Promise((resolve) => value.apply(resolve));
  }
  // Children register as their inputs resolve: wait until nothing new arrives.
  for (let last = -1, stable = 0; stable < 5; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stable = registered.length === last ? stable + 1 : 0;
    last = registered.length;
  }
  return {
    outputs,
    resources: registered.map((r) => ({ type: r.type, name: r.name, provider: r.provider, inputs: plainInputs(r.rawInputs) })),
  };
}

function runCdktf(): unknown {
  const outdir = mkdtempSync(join(tmpdir(), 'socktap-cdktf-example-'));
  try {
    process.env.CDKTF_OUTDIR = outdir;
    require(join(examples, example, 'main.ts'));
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { synthesizedStackPath: string }> };
    return {
      stacks: Object.fromEntries(
        Object.entries(manifest.stacks).map(([name, stack]) => [name, JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), 'utf8'))]),
      ),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const project = PULUMI_PROJECTS[example];
  const result = project !== undefined ? await runPulumi(project) : example === 'cdktf' ? runCdktf() : undefined;
  if (result === undefined) throw new Error(`example must be one of ${[...Object.keys(PULUMI_PROJECTS), 'cdktf'].join(', ')}, got ${example}`);
  process.stdout.write(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * The plain Terraform module in infra/terraform/, generated from `EbpfAgentStack` by cdktf's HCL
 * synthesis: the stack is the one source, the module a rendering of it for Terraform users who
 * do not run CDKTF (archived upstream in December 2025).
 */
import { Testing } from 'cdktf';
import { EbpfAgentStack } from './stack';

export const MODULE_FILES = ['main.tf', 'variables.tf', 'outputs.tf'] as const;
export type ModuleFile = (typeof MODULE_FILES)[number];

const HEADER =
  '# Generated from infra/cdktf/stack.ts (EbpfAgentStack) by scripts/gen-terraform.ts. Do not edit:\n' +
  '# change the stack or the spec and regenerate.\n\n';

/** The module's files, unformatted (the generator runs `terraform fmt` when it can). */
export function terraformModuleFiles(): Record<ModuleFile, string> {
  // A module inherits its caller's provider configuration, so the stack declares none.
  const stack = new EbpfAgentStack(Testing.app(), 'socktap', { kubernetesProvider: false });
  const hcl = Testing.synthHcl(stack) as string;
  const files: Record<ModuleFile, string[]> = { 'main.tf': [], 'variables.tf': [], 'outputs.tf': [] };
  for (const block of splitHclBlocks(hcl)) {
    const keyword = block.slice(0, block.search(/[\s{]/));
    files[keyword === 'variable' ? 'variables.tf' : keyword === 'output' ? 'outputs.tf' : 'main.tf'].push(block);
  }
  return Object.fromEntries(MODULE_FILES.map((f) => [f, HEADER + files[f].join('\n\n') + '\n'])) as Record<ModuleFile, string>;
}

const TOP_LEVEL = /^(terraform|provider|variable|locals|data|resource|module|output|moved|import)\b/;

/**
 * Top-level blocks of cdktf's HCL output. It does not indent nested blocks, so blocks are found
 * by counting braces, skipping heredoc bodies (the agent config, whose YAML has its own braces).
 */
export function splitHclBlocks(hcl: string): string[] {
  const blocks: string[] = [];
  let current: string[] = [];
  let depth = 0;
  let heredoc: string | undefined;
  for (const line of hcl.split('\n')) {
    if (heredoc !== undefined) {
      current.push(line);
      if (line.trim() === heredoc) heredoc = undefined;
      continue;
    }
    if (depth === 0 && line.trim() === '') continue;
    if (depth === 0 && !TOP_LEVEL.test(line)) throw new Error(`splitHclBlocks: a top-level block must start with a block type, got ${JSON.stringify(line)}`);
    current.push(line);
    const marker = /<<-?([A-Z]+)$/.exec(line);
    if (marker) heredoc = marker[1];
    for (const ch of line) {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    if (depth < 0) throw new Error(`splitHclBlocks: unbalanced braces at ${JSON.stringify(line)}`);
    if (depth === 0 && current.length > 0) {
      blocks.push(current.join('\n').replace(/\n{3,}/g, '\n\n'));
      current = [];
    }
  }
  if (depth !== 0 || heredoc !== undefined) throw new Error('splitHclBlocks: the HCL ends inside a block');
  return blocks;
}

/**
 * Text compared when `terraform fmt` is not at hand: lines trimmed, spacing around `=` and
 * blank lines ignored, and `"${expr}"` unwrapped to `expr` as fmt does, so only formatting can
 * differ between two texts that compare equal.
 */
export function normalizeHcl(text: string): string {
  return text
    .split('\n')
    .map((line) => unwrapInterpolation(line.trim().replace(/\s+=\s+/g, ' = ')))
    .filter((line) => line !== '')
    .join('\n');
}

/** `name = "${expr}"` -> `name = expr` when the interpolation is the whole string. */
function unwrapInterpolation(line: string): string {
  const match = /^(.* = )"\$\{(.*)\}"$/.exec(line);
  if (!match) return line;
  let depth = 1;
  for (const ch of match[2]) {
    if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return line; // closes before the end: more than one part
  }
  return match[1] + match[2];
}

/**
 * infra/terraform/ is generated from the CDKTF stack (scripts/gen-terraform.ts): these tests fail
 * when the committed module no longer matches a fresh generation, or is not `terraform fmt`-clean.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODULE_FILES, normalizeHcl, terraformModuleFiles } from '../../infra/cdktf';

const moduleDir = join(__dirname, '..', '..', 'infra', 'terraform');
const terraformInstalled = spawnSync('terraform', ['version'], { stdio: 'ignore' }).error === undefined;
const regenerate = 'regenerate with: npx tsx scripts/gen-terraform.ts';

describe('the committed Terraform module', () => {
  const fresh = terraformModuleFiles();

  it('matches a fresh generation from the CDKTF stack', () => {
    if (terraformInstalled) {
      // Compare byte for byte after the same `terraform fmt` the generator runs.
      const dir = mkdtempSync(join(tmpdir(), 'socktap-tf-'));
      try {
        for (const name of MODULE_FILES) writeFileSync(join(dir, name), fresh[name]);
        const fmt = spawnSync('terraform', ['fmt', dir], { encoding: 'utf8' });
        assert.equal(fmt.status, 0, fmt.stderr);
        for (const name of MODULE_FILES) {
          assert.equal(readFileSync(join(moduleDir, name), 'utf8'), readFileSync(join(dir, name), 'utf8'), `infra/terraform/${name} is stale; ${regenerate}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      for (const name of MODULE_FILES) {
        assert.equal(normalizeHcl(readFileSync(join(moduleDir, name), 'utf8')), normalizeHcl(fresh[name]), `infra/terraform/${name} is stale; ${regenerate}`);
      }
    }
  });

  it('passes terraform fmt -check', { skip: terraformInstalled ? false : 'terraform is not installed' }, () => {
    const check = spawnSync('terraform', ['fmt', '-check', '-diff', moduleDir], { encoding: 'utf8' });
    assert.equal(check.status, 0, `terraform fmt -check failed:\n${check.stdout}${check.stderr}`);
  });

  it('splits into variables, outputs and the rest', () => {
    assert.match(fresh['variables.tf'], /variable "daemon_set_mirror_all_namespaces" \{/);
    assert.doesNotMatch(fresh['variables.tf'], /^(resource|output) /m);
    assert.match(fresh['outputs.tf'], /output "daemon_set_name" \{/);
    assert.doesNotMatch(fresh['outputs.tf'], /^(resource|variable) /m);
    assert.match(fresh['main.tf'], /^terraform \{/m);
    assert.match(fresh['main.tf'], /resource "kubernetes_daemon_set_v1" "daemon_set" \{/);
    assert.match(fresh['main.tf'], /var\.daemon_set_mirror_all_namespaces/);
  });
});

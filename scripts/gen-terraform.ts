/**
 * Regenerates the Terraform module in infra/terraform/ from the CDKTF stack, then formats it with
 * `terraform fmt` when terraform is installed (the committed files are formatted).
 * Run: npx tsx scripts/gen-terraform.ts
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODULE_FILES, terraformModuleFiles } from '../infra/cdktf/terraform-module';

const dir = join(__dirname, '..', 'infra', 'terraform');
const files = terraformModuleFiles();
for (const name of MODULE_FILES) writeFileSync(join(dir, name), files[name]);

const fmt = spawnSync('terraform', ['fmt', dir], { stdio: 'inherit' });
if (fmt.error !== undefined) {
  console.warn(`terraform not found (${fmt.error.message}); ${dir} written unformatted: run terraform fmt before committing`);
} else if (fmt.status !== 0) {
  process.exit(fmt.status ?? 1);
}
console.log(`wrote ${MODULE_FILES.map((f) => join('infra/terraform', f)).join(', ')}`);

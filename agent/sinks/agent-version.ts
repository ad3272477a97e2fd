/**
 * socktap's version for what the sinks write about themselves (HAR `creator`, OTLP scope and
 * `service.version`), read once from the package's own package.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../capture/native';

let cached: string | undefined;

export function agentVersion(): string {
  cached ??= String(JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version);
  return cached;
}

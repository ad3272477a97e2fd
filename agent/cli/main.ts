/** `socktap` command dispatch. Each command lives in ./commands and parses its own flags. */
import { captureCommand, captureHelp } from './commands/capture';
import { demoCommand, demoHelp } from './commands/demo';
import { doctorCommand, doctorHelp } from './commands/doctor';
import { parseCommand, parseHelp } from './commands/parse';
import { renderCommand, renderHelp } from './commands/render';
import { runCommand, runHelp } from './commands/run';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../capture/native';
import { SocktapError } from '../util/errors';

const commands: Record<string, { run: (argv: string[]) => Promise<number>; help: string; summary: string }> = {
  demo: { run: demoCommand, help: demoHelp, summary: 'servers, traffic and capture on this machine, shown live' },
  run: { run: runCommand, help: runHelp, summary: 'HTTP exchanges of chosen processes, as JSON lines or readable lines' },
  parse: { run: parseCommand, help: parseHelp, summary: 'HTTP exchanges from two raw byte-stream files of one connection' },
  capture: { run: captureCommand, help: captureHelp, summary: 'raw byte streams of chosen processes' },
  doctor: { run: doctorCommand, help: doctorHelp, summary: 'check this machine for what socktap needs' },
  render: { run: renderCommand, help: renderHelp, summary: 'Kubernetes manifests for kubectl, from options or a reference Helm values.yaml' },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'Usage: socktap <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `socktap <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version + '\n');
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`socktap: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof SocktapError) {
      process.stderr.write(`socktap ${name}: ${err.message}\n`);
      return err.code === 'SOCKTAP_USAGE' ? 2 : 1;
    }
    throw err;
  }
}

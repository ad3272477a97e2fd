import { parse } from '../args';
import { runDoctor } from '../../doctor';

export const doctorHelp = `Usage: socktap doctor [--json]

Checks what socktap needs from this machine: kernel version, BTF, tracefs, syscall tracepoints,
lockdown, capabilities, BPF ring buffer and helpers, uprobes, cgroup layout. Prints what works
and what to do about what does not. Exit code 1 when a required check fails.

  --json   machine-readable output`;

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, 'doctor');
  if (values.help) {
    process.stdout.write(doctorHelp + '\n');
    return 0;
  }
  return runDoctor({ json: values.json === true });
}

import { parse, pids } from '../args';
import { runDoctor } from '../../doctor';
import { SocktapError } from '../../util/errors';

export const doctorHelp = `Usage: socktap doctor [--json] [--pid PID ... | --all]

Checks what socktap needs from this machine: kernel version, BTF, tracefs, syscall tracepoints,
lockdown, capabilities, BPF ring buffer and helpers, uprobes, cgroup layout, and the TLS
libraries (libssl, or an executable with OpenSSL built in) the TLS uprobes would attach to.
Prints what works and what to do about what does not. Exit code 1 when a required check fails.

  --json       machine-readable output
  --pid PID    report the TLS libraries of these processes (repeatable, or comma-separated);
               warns when none of them loads OpenSSL
  --all        report the TLS libraries of every process (the default)`;

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      json: { type: 'boolean' },
      pid: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    'doctor',
  );
  if (values.help) {
    process.stdout.write(doctorHelp + '\n');
    return 0;
  }
  const tlsPids = pids(values.pid);
  if (values.all === true && tlsPids.length > 0) {
    throw new SocktapError('SOCKTAP_USAGE', 'choose the processes with --pid PID or --all, not both. See `socktap doctor --help`.');
  }
  return runDoctor({ json: values.json === true, ...(tlsPids.length > 0 ? { env: { tlsPids } } : {}) });
}

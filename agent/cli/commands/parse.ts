/** `socktap parse`: the HTTP/1.x exchanges in two raw byte-stream files of one connection. */
import fs from 'node:fs';
import { parseWithOperands } from '../args';
import { parseStreams } from '../../pipeline/parse-streams';
import { SocktapError } from '../../util/errors';

export const parseHelp = `Usage: socktap parse CLIENT_TO_SERVER SERVER_TO_CLIENT [options]

Parses the HTTP/1.x exchanges in the two byte streams of one connection (for example the two
files tcpflow writes per connection, or a proxy's dumps) and writes one JSON line per exchange:
{"request":{...},"response":{...}} with the fields of the exchange record (DESIGN.md), and
"incomplete" when a request got no answer. Parse errors are counted on stderr; the parser
resynchronises on the next message instead of stopping.

  --max-body-bytes N   body bytes kept per message (default 65536)
  --decode             decode gzip, deflate and br bodies (content_decoded: true)
  --no-redact          keep Authorization, Cookie and similar header values
  -h, --help           this text`;

function readStream(file: string, which: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new SocktapError('SOCKTAP_USAGE', `cannot read the ${which} stream ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function parseCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseWithOperands(
    argv,
    {
      'max-body-bytes': { type: 'string' },
      decode: { type: 'boolean' },
      'no-redact': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    'parse',
  );
  if (values.help) {
    process.stdout.write(parseHelp + '\n');
    return 0;
  }
  if (positionals.length !== 2) {
    throw new SocktapError('SOCKTAP_USAGE', `give two files, client-to-server then server-to-client, got ${positionals.length}. See \`socktap parse --help\`.`);
  }
  const limit = values['max-body-bytes'];
  const maxBodyBytes = limit === undefined ? undefined : Number(limit);
  if (maxBodyBytes !== undefined && !(Number.isInteger(maxBodyBytes) && maxBodyBytes >= 0)) {
    throw new SocktapError('SOCKTAP_USAGE', `--max-body-bytes must be a whole number of bytes, got '${limit}'`);
  }
  const result = parseStreams(readStream(positionals[0]!, 'client-to-server'), readStream(positionals[1]!, 'server-to-client'), {
    maxBodyBytes,
    decodeContent: values.decode === true,
    redactHeaders: values['no-redact'] ? [] : undefined,
  });
  let out = '';
  for (const ex of result.exchanges) out += JSON.stringify(ex) + '\n';
  process.stdout.write(out);
  process.stderr.write(
    `socktap parse: ${result.exchanges.length} exchanges, ${result.requestParseErrors} request and ${result.responseParseErrors} response parse errors\n`,
  );
  return 0;
}

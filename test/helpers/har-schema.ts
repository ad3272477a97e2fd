/**
 * The HAR 1.2 structure as a zod schema, written from the spec
 * (http://www.softwareishard.com/blog/har-12-spec/): required fields and their types, -1 where the
 * spec allows "unknown", optional fields optional, and no field the spec does not name unless it
 * is a custom field (name starting with `_`, which the spec allows on every object).
 * Beyond types it checks what the spec states in prose: an entry's `time` is the sum of its
 * timings other than -1 (ssl excluded, being part of connect); postData `text` and `params` are
 * mutually exclusive.
 */
import { z } from 'zod';

/** An object with exactly `shape`'s fields plus any custom `_` fields. */
function harObject<S extends z.ZodRawShape>(shape: S) {
  return z
    .object(shape)
    .catchall(z.unknown())
    .superRefine((obj, ctx) => {
      for (const key of Object.keys(obj)) {
        if (!(key in shape) && !key.startsWith('_')) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} is not a HAR 1.2 field (custom fields start with _)` });
        }
      }
    });
}

const comment = z.string().optional();
/** ISO 8601 with a time zone, e.g. 2009-04-16T12:07:25.123+01:00. */
const isoDate = z.iso.datetime({ offset: true });
/** A size in bytes, or -1 when unknown. */
const size = z.int().min(-1);
/** A duration in ms, or -1 when it does not apply. */
const optionalTiming = z.number().refine((n) => n === -1 || n >= 0, 'must be >= 0 or -1').optional();

const nameValue = harObject({ name: z.string(), value: z.string(), comment });

const cookie = harObject({
  name: z.string(),
  value: z.string(),
  path: z.string().optional(),
  domain: z.string().optional(),
  expires: isoDate.nullable().optional(),
  httpOnly: z.boolean().optional(),
  secure: z.boolean().optional(),
  comment,
});

const param = harObject({
  name: z.string(),
  value: z.string().optional(),
  fileName: z.string().optional(),
  contentType: z.string().optional(),
  comment,
});

const postData = harObject({
  mimeType: z.string(),
  params: z.array(param).optional(),
  text: z.string().optional(),
  comment,
}).refine((p) => (p.text === undefined) !== (p.params === undefined), 'postData has text or params, not both');

const request = harObject({
  method: z.string().min(1),
  url: z.url(),
  httpVersion: z.string(),
  cookies: z.array(cookie),
  headers: z.array(nameValue),
  queryString: z.array(nameValue),
  postData: postData.optional(),
  headersSize: size,
  bodySize: size,
  comment,
});

const content = harObject({
  size: z.int().min(0),
  compression: z.int().optional(),
  mimeType: z.string(),
  text: z.string().optional(),
  encoding: z.string().optional(),
  comment,
});

const response = harObject({
  status: z.int().min(0),
  statusText: z.string(),
  httpVersion: z.string(),
  cookies: z.array(cookie),
  headers: z.array(nameValue),
  content,
  redirectURL: z.string(),
  headersSize: size,
  bodySize: size,
  comment,
});

const cacheEntry = harObject({
  expires: isoDate.optional(),
  lastAccess: isoDate,
  eTag: z.string(),
  hitCount: z.int().min(0),
  comment,
});

const cache = harObject({
  beforeRequest: cacheEntry.nullable().optional(),
  afterRequest: cacheEntry.nullable().optional(),
  comment,
});

const timings = harObject({
  blocked: optionalTiming,
  dns: optionalTiming,
  connect: optionalTiming,
  send: z.number().min(0),
  wait: z.number().min(0),
  receive: z.number().min(0),
  ssl: optionalTiming,
  comment,
});

const entry = harObject({
  pageref: z.string().optional(),
  startedDateTime: isoDate,
  time: z.number().min(0),
  request,
  response,
  cache,
  timings,
  serverIPAddress: z.string().optional(),
  connection: z.string().optional(),
  comment,
}).refine((e) => {
  const t = e.timings;
  const sum = [t.blocked, t.dns, t.connect, t.send, t.wait, t.receive].reduce<number>((s, v) => (v === undefined || v === -1 ? s : s + v), 0);
  return Math.abs(sum - e.time) < 1e-6;
}, 'entry time must equal the sum of its timings (excluding -1 and ssl)');

const creator = harObject({ name: z.string(), version: z.string(), comment });

const page = harObject({
  startedDateTime: isoDate,
  id: z.string(),
  title: z.string(),
  pageTimings: harObject({ onContentLoad: optionalTiming, onLoad: optionalTiming, comment }),
  comment,
});

export const HarSchema = harObject({
  log: harObject({
    version: z.literal('1.2'),
    creator,
    browser: creator.optional(),
    pages: z.array(page).optional(),
    entries: z.array(entry),
    comment,
  }),
});

export type Har = z.infer<typeof HarSchema>;

/** Parses `text` as HAR 1.2 or throws with every violation and its path. */
export function parseHar(text: string): Har {
  const result = HarSchema.safeParse(JSON.parse(text));
  if (!result.success) throw new Error(`not valid HAR 1.2:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** The `pretty` stdout format: fixed-width columns under PRETTY_HEADER, TLS marked in the DIR column. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRETTY_HEADER, prettyLine } from '../../agent/sinks/pretty-line';
import { exchangeRecord } from '../helpers/exchange-records';

test('header and rows line up; direction, TLS, status, duration, process, peer, target', () => {
  assert.equal(PRETTY_HEADER, 'TIME          DIR     METHOD  STATUS   MS       PROCESS            PEER                    TARGET');
  const r = exchangeRecord();
  const line = prettyLine(r);
  assert.equal(line.indexOf(r.request.method), PRETTY_HEADER.indexOf('METHOD'));
  assert.equal(line.indexOf(r.request.target, PRETTY_HEADER.indexOf('TARGET')), PRETTY_HEADER.indexOf('TARGET'));
  assert.equal(line.slice(PRETTY_HEADER.indexOf('DIR'), PRETTY_HEADER.indexOf('METHOD')), r.direction === 'ingress' ? 'in      ' : 'out     ');
  const tls = prettyLine({ ...r, tls: true, direction: 'egress' });
  assert.equal(tls.slice(PRETTY_HEADER.indexOf('DIR'), PRETTY_HEADER.indexOf('METHOD')), 'out tls ');
  const incomplete = prettyLine({ ...r, response: null, incomplete: 'closed' });
  assert.equal(incomplete.slice(PRETTY_HEADER.indexOf('STATUS'), PRETTY_HEADER.indexOf('MS')).trim(), 'closed');
  const v6 = prettyLine({ ...r, connection: { ...r.connection, remote: { ip: '::1', port: 443 } } });
  assert.equal(v6.slice(PRETTY_HEADER.indexOf('PEER'), PRETTY_HEADER.indexOf('TARGET')).trim(), '[::1]:443');
});

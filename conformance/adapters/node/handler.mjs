// handler.mjs: one request of the adapter protocol (conformance/ADAPTER.md) in,
// one reply out. adapter.mjs runs it over standard input and output.

import { parseIdentifier, parsePattern, matchPattern, toDnsName, fromDnsName, UcidError, UcidSkip } from './ucid.mjs';

const PROTOCOL = '1.0';
const OPERATIONS = ['parse', 'canonicalize', 'to_dns_name', 'from_dns_name', 'parse_pattern', 'match'];

class BadRequest extends Error {}

function str(input, name, dflt) {
  const v = input?.[name];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string') throw new BadRequest(`input.${name} must be a string`);
  return v;
}

const OPS = {
  hello: () => ({
    protocol: PROTOCOL,
    implementation: { name: 'ucid-node', version: '0.1.0', language: 'JavaScript' },
    profiles: ['identifier'],
    operations: OPERATIONS,
    capabilities: ['error-positions'],
  }),
  parse: (inp) => {
    const id = parseIdentifier(str(inp, 'text'));
    return { canonical: id.canonical, provider: id.provider, region: id.region, cpu: id.cpu,
      accelerators: id.accelerators, capabilities: id.capabilities };
  },
  canonicalize: (inp) => ({ canonical: parseIdentifier(str(inp, 'text')).canonical }),
  to_dns_name: (inp) => ({ name: toDnsName(str(inp, 'text'), str(inp, 'root', '')) }),
  from_dns_name: (inp) => ({ canonical: fromDnsName(str(inp, 'name'), str(inp, 'root', '')).canonical }),
  parse_pattern: (inp) => ({ canonical: parsePattern(str(inp, 'pattern')).canonical }),
  match: (inp) => {
    const pat = parsePattern(str(inp, 'pattern'));
    const id = parseIdentifier(str(inp, 'text'));
    return { matches: matchPattern(pat, id) };
  },
};

export function handle(req) {
  const seq = req?.seq ?? null;
  try {
    if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new BadRequest('request is not an object');
    const op = OPS[req.op];
    if (!op) return { seq, status: 'skip', reason: `operation ${JSON.stringify(req.op)} is not implemented` };
    return { seq, status: 'ok', result: op(req.input ?? {}) };
  } catch (e) {
    if (e instanceof UcidError) {
      return { seq, status: 'error', error: { code: 'INVALID_IDENTIFIER', position: e.position, message: e.message } };
    }
    if (e instanceof UcidSkip) return { seq, status: 'skip', reason: e.message };
    if (e instanceof BadRequest) return { seq, status: 'error', error: { code: 'BAD_REQUEST', message: e.message } };
    process.stderr.write(`internal error in seq ${seq}: ${e?.stack ?? e}\n`);
    return { seq, status: 'error', error: { code: 'INTERNAL', message: String(e?.message ?? e) } };
  }
}


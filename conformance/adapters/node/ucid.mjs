// ucid.mjs: Unified Compute Identifiers (spec/identifier.md), written from the
// specification alone, with Node's standard library only.
//
// Exports parseIdentifier, parsePattern, matchPattern, toDnsName, fromDnsName.
// Faults throw UcidError (message, position or null). Inputs that need full
// IDNA2008 tables (a non-ASCII or xn-- provider label that this module cannot
// decide) throw UcidSkip.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { punyEncode, punyDecode } from './punycode.mjs';

export class UcidError extends Error {
  constructor(message, position = null) {
    super(message);
    this.position = position;
  }
}

export class UcidSkip extends Error {}

// ------------------------------------------------------------------ registries

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REG_DIR = path.resolve(HERE, '../../../spec/registries');

function loadJson(name) {
  return JSON.parse(readFileSync(path.join(REG_DIR, name), 'utf8'));
}

const ARCH = new Map(); // name -> {kind, satisfies}
const ALIAS = new Map(); // alias -> name
for (const e of loadJson('architectures.json').architectures) {
  ARCH.set(e.name, { kind: e.kind, satisfies: e.satisfies });
  for (const a of e.aliases) ALIAS.set(a, e.name);
}
const CAPS = new Map(); // key -> type
for (const e of loadJson('capabilities.json').capabilities) CAPS.set(e.key, e.type);

export const REGISTRY_INFO = { architectures: ARCH.size, aliases: ALIAS.size, capabilities: CAPS.size };

/** §6.2: have satisfies want (reflexive-transitive closure on registered names). */
export function satisfies(have, want) {
  if (have === want) return true;
  if (!ARCH.has(have) || !ARCH.has(want)) return false;
  const seen = new Set([have]);
  const todo = [have];
  while (todo.length) {
    const n = todo.pop();
    for (const s of ARCH.get(n).satisfies) {
      if (s === want) return true;
      if (!seen.has(s)) { seen.add(s); todo.push(s); }
    }
  }
  return false;
}

// ------------------------------------------------------------- code points

const MAX_INPUT = 512;
const MAX_I63 = (1n << 63n) - 1n;

const isDigit = (c) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c) => c !== undefined && c.length === 1 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isAlnum = (c) => isAlpha(c) || isDigit(c);
const isNonAscii = (c) => c !== undefined && c.codePointAt(0) >= 0x80;
const asciiLower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const isAsciiStr = (s) => /^[\x00-\x7f]*$/.test(s);
const cpLen = (s) => Array.from(s).length;

// ------------------------------------------------------------- terminals (§2.4)
// Each matcher returns the length of the longest prefix of s[i..] in the
// terminal's language (s is an array of code points), or 0.

function mScheme(s, i) {
  if (i + 5 > s.length) return 0;
  return asciiLower(s.slice(i, i + 5).join('')) === 'ucid:' ? 5 : 0;
}

function mLabel(s, i) {
  const ok = (c) => isAlnum(c) || isNonAscii(c);
  if (!ok(s[i])) return 0;
  let end = i + 1;
  for (let j = i + 1; j < s.length && (ok(s[j]) || s[j] === '-'); j++) if (ok(s[j])) end = j + 1;
  return end - i;
}

function mRegion(s, i) {
  if (!isAlpha(s[i]) || !isAlpha(s[i + 1])) return 0;
  let j = i + 2;
  for (let k = 0; k < 3; k++) {
    if (s[j] !== '-' || !isAlnum(s[j + 1])) break;
    let m = j + 1;
    while (m < j + 9 && isAlnum(s[m])) m++;
    j = m;
  }
  return j - i;
}

function mArch(s, i) {
  if (!isAlnum(s[i])) return 0;
  let end = i + 1;
  for (let j = i + 1; j < s.length && (isAlnum(s[j]) || s[j] === '_' || s[j] === '-'); j++) if (isAlnum(s[j])) end = j + 1;
  return end - i;
}

function mName(s, i) {
  if (!isAlpha(s[i])) return 0;
  let j = i + 1;
  while (isAlnum(s[j]) || s[j] === '-') j++;
  return j - i;
}

function mInteger(s, i) {
  if (s[i] === '0') return 1;
  if (!isDigit(s[i])) return 0;
  let j = i + 1;
  while (isDigit(s[j])) j++;
  return j - i;
}

// unit -> [type, factor]
export const UNITS = new Map([
  ['B', ['size', 1n]], ['kB', ['size', 10n ** 3n]], ['MB', ['size', 10n ** 6n]], ['GB', ['size', 10n ** 9n]],
  ['TB', ['size', 10n ** 12n]], ['PB', ['size', 10n ** 15n]], ['EB', ['size', 10n ** 18n]],
  ['KiB', ['size', 1n << 10n]], ['MiB', ['size', 1n << 20n]], ['GiB', ['size', 1n << 30n]],
  ['TiB', ['size', 1n << 40n]], ['PiB', ['size', 1n << 50n]], ['EiB', ['size', 1n << 60n]],
  ['bps', ['rate', 1n]], ['kbps', ['rate', 10n ** 3n]], ['Mbps', ['rate', 10n ** 6n]],
  ['Gbps', ['rate', 10n ** 9n]], ['Tbps', ['rate', 10n ** 12n]], ['Pbps', ['rate', 10n ** 15n]],
  ['Hz', ['frequency', 1n]], ['kHz', ['frequency', 10n ** 3n]], ['MHz', ['frequency', 10n ** 6n]],
  ['GHz', ['frequency', 10n ** 9n]],
]);
const CANON_UNIT = { size: 'B', rate: 'bps', frequency: 'Hz' };

function mUnit(s, i) {
  for (const u of UNITS.keys()) {
    if (i + u.length <= s.length && s.slice(i, i + u.length).join('') === u) return u.length;
  }
  return 0;
}

function mQuantity(s, i) {
  const n = mInteger(s, i);
  if (!n) return 0;
  let j = i + n;
  if (s[j] === '.' && isDigit(s[j + 1])) {
    let k = j + 1;
    while (isDigit(s[k])) k++;
    const u = mUnit(s, k);
    return u ? k + u - i : 0;
  }
  const u = mUnit(s, j);
  return u ? j + u - i : 0;
}

const lit = (ch) => (s, i) => (s[i] === ch ? 1 : 0);

function mCmp(s, i) {
  const c = s[i];
  if (c === '!') return s[i + 1] === '=' ? 2 : 0;
  if (c === '>' || c === '<') return s[i + 1] === '=' ? 2 : 1;
  if (c === '=') return 1;
  return 0;
}

const TERMINALS = {
  SCHEME: mScheme, LABEL: mLabel, REGION: mRegion, ARCH: mArch, NAME: mName,
  INTEGER: mInteger, QUANTITY: mQuantity, ANY: lit('*'), NOT: lit('!'), CMP: mCmp,
  '"/"': lit('/'), '"."': lit('.'), '"+"': lit('+'), '";"': lit(';'), '"="': lit('='), '"-"': lit('-'),
};

// Table 1 and Table 2 of §2.4: state -> [[terminal, next]...], may end.
const T = (terms, end) => ({ terms, end });
const ID_TABLE = {
  i0: T([['SCHEME', 'i1']], false),
  i1: T([['LABEL', 'i2']], false),
  i2: T([['"."', 'i1'], ['"/"', 'i3']], false),
  i3: T([['REGION', 'i4']], false),
  i4: T([['"/"', 'i5']], false),
  i5: T([['ARCH', 'i6']], false),
  i6: T([['"+"', 'i5'], ['"/"', 'i7']], true),
  i7: T([['NAME', 'i8']], false),
  i8: T([['"="', 'i9'], ['";"', 'i7']], true),
  i9: T([['QUANTITY', 'i10'], ['INTEGER', 'i10'], ['NAME', 'i10']], false),
  i10: T([['";"', 'i7']], true),
};
const PAT_TABLE = {
  p0: T([['SCHEME', 'p1']], false),
  p1: T([['ANY', 'p2'], ['LABEL', 'p4']], false),
  p2: T([['"."', 'p3'], ['"/"', 'p5']], true),
  p3: T([['LABEL', 'p4']], false),
  p4: T([['"."', 'p3'], ['"/"', 'p5']], true),
  p5: T([['ANY', 'p7'], ['REGION', 'p6']], false),
  p6: T([['"-"', 'p8'], ['"/"', 'p9']], true),
  p7: T([['"/"', 'p9']], true),
  p8: T([['ANY', 'p7']], false),
  p9: T([['ANY', 'p10'], ['ARCH', 'p10']], false),
  p10: T([['"+"', 'p11'], ['"/"', 'p12']], true),
  p11: T([['ARCH', 'p10']], false),
  p12: T([['NOT', 'p13'], ['NAME', 'p14']], false),
  p13: T([['NAME', 'p15']], false),
  p14: T([['CMP', 'p16'], ['";"', 'p12']], true),
  p15: T([['";"', 'p12']], true),
  p16: T([['QUANTITY', 'p17'], ['INTEGER', 'p17'], ['NAME', 'p17']], false),
  p17: T([['";"', 'p12']], true),
};

function showCp(c) {
  const n = c.codePointAt(0);
  if (n < 0x20 || (n >= 0x7f && n < 0xa0)) return `U+${n.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${c}'`;
}

/** Tokenise (and thereby parse) s, an array of code points, with a state table. */
function tokenise(s, table, start) {
  if (s.length > MAX_INPUT) throw new UcidError(`input longer than ${MAX_INPUT} code points`, MAX_INPUT);
  const toks = [];
  let state = start;
  let i = 0;
  for (;;) {
    const row = table[state];
    if (i >= s.length) {
      if (row.end) return toks;
      throw new UcidError(`unexpected end of input; expected ${row.terms.map((t) => t[0]).join(' or ')}`, s.length);
    }
    let matched = false;
    for (const [term, next] of row.terms) {
      const n = TERMINALS[term](s, i);
      if (n > 0) {
        toks.push({ type: term, text: s.slice(i, i + n).join(''), pos: i });
        i += n;
        state = next;
        matched = true;
        break;
      }
    }
    if (!matched) {
      throw new UcidError(`unexpected ${showCp(s[i])}; expected ${row.terms.map((t) => t[0]).join(' or ')}`, i);
    }
  }
}

// ------------------------------------------------------------- provider (§4)

// RFC 5892 §2.6 exceptions.
const EXC_PVALID = new Set([0x00df, 0x03c2, 0x06fd, 0x06fe, 0x0f0b, 0x3007]);
const EXC_CONTEXTO = new Set([0x00b7, 0x0375, 0x05f3, 0x05f4, 0x30fb,
  0x0660, 0x0661, 0x0662, 0x0663, 0x0664, 0x0665, 0x0666, 0x0667, 0x0668, 0x0669,
  0x06f0, 0x06f1, 0x06f2, 0x06f3, 0x06f4, 0x06f5, 0x06f6, 0x06f7, 0x06f8, 0x06f9]);
const EXC_DISALLOWED = new Set([0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b]);

const RE_CN = /^\p{Cn}$/u;
const RE_CS = /^\p{Cs}$/u;
const RE_MARK = /^\p{M}$/u;
const RE_LETTERDIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const RE_IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{White_Space}\p{Noncharacter_Code_Point}]$/u;

/**
 * Checks of a U-label (a non-ASCII label, ASCII-lowercased) that this module
 * can decide with certainty. Returns a rejection reason, or null when the
 * label is not certainly invalid (the caller then skips: deciding validity
 * needs the IDNA2008 derived property tables, the CONTEXTJ/CONTEXTO rules and
 * Bidi classes, which plain Node does not expose).
 */
function certainULabelFault(u) {
  const cps = Array.from(u);
  for (const c of cps) {
    if (RE_CS.test(c)) return `lone surrogate U+${c.codePointAt(0).toString(16).toUpperCase()} is not a Unicode scalar value`;
    if (RE_CN.test(c)) {
      return `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')} is not assigned in Unicode ${process.versions.unicode} (the adapter's data, §4.1 rule 1)`;
    }
  }
  if (u.normalize('NFC') !== u) return 'label is not in Normalization Form C';
  if (cps[2] === '-' && cps[3] === '-') return "'--' in positions 3 and 4";
  if (RE_MARK.test(cps[0])) return 'label starts with a combining mark';
  for (const c of cps) {
    const n = c.codePointAt(0);
    if (n < 0x80) continue; // [a-z0-9-] only, by the grammar and lowercasing
    if (EXC_PVALID.has(n) || EXC_CONTEXTO.has(n) || n === 0x200c || n === 0x200d) continue;
    const hex = `U+${n.toString(16).toUpperCase().padStart(4, '0')}`;
    if (EXC_DISALLOWED.has(n)) return `${hex} is DISALLOWED (RFC 5892 exceptions)`;
    if (c.normalize('NFKC') !== c || c.toLowerCase() !== c) return `${hex} is not PVALID (unstable under NFKC_Casefold)`;
    if (RE_IGNORABLE.test(c)) return `${hex} is not PVALID (ignorable property)`;
    if (!RE_LETTERDIGITS.test(c)) return `${hex} is not PVALID (general category)`;
  }
  return null;
}

/**
 * Process provider labels ([{text, pos}]) as in §4. Returns {labels, skip}:
 * the canonical labels (A-labels, computed even when validity is undecided),
 * and a skip reason or null. Throws UcidError for a certain fault.
 */
function processProvider(labels) {
  if (labels.length > 8) throw new UcidError(`provider has ${labels.length} labels, more than 8`, labels[0].pos);
  const out = [];
  let skip = null;
  for (const { text, pos } of labels) {
    try {
      out.push(processLabel(text, pos));
    } catch (e) {
      // An earlier undecided label may be the first fault (§12): skip.
      if (skip && e instanceof UcidError) throw new UcidSkip(`${skip}; a later label is invalid: ${e.message}`);
      throw e;
    }
    skip ??= undecided(out[out.length - 1], text);
  }
  return { labels: out, skip };
}

function undecided(alabel, text) {
  if (!alabel.startsWith('xn--')) return null;
  return isAsciiStr(text) ? `A-label '${alabel}' needs IDNA2008 tables and the Bidi Rule`
    : `U-label '${asciiLower(text)}' needs IDNA2008 tables and the Bidi Rule`;
}

/** One label: its canonical form, or a UcidError for a certain fault. */
function processLabel(text, pos) {
  const l = asciiLower(text);
  if (isAsciiStr(l)) {
    if (l[2] === '-' && l[3] === '-') {
      if (!l.startsWith('xn--')) throw new UcidError(`label '${l}' has reserved hyphens in positions 3 and 4`, pos);
      if (l.length > 63) throw new UcidError(`label '${l}' is longer than 63 octets`, pos);
      let u;
      try {
        u = punyDecode(l.slice(4));
      } catch (e) {
        throw new UcidError(`label '${l}' is not a valid A-label (Punycode: ${e.message})`, pos);
      }
      if (isAsciiStr(u)) throw new UcidError(`label '${l}' decodes to ASCII only`, pos);
      if ('xn--' + punyEncode(u) !== l) throw new UcidError(`label '${l}' is not the canonical A-label of its U-label`, pos);
      const f = certainULabelFault(u);
      if (f) throw new UcidError(`label '${l}': ${f}`, pos);
      return l;
    }
    if (l.length > 63) throw new UcidError(`label '${l}' is longer than 63 characters`, pos);
    return l;
  }
  const f = certainULabelFault(l);
  if (f) throw new UcidError(`label '${l}': ${f}`, pos);
  const a = 'xn--' + punyEncode(l);
  if (a.length > 63) throw new UcidError(`the A-label of '${l}' is longer than 63 octets`, pos);
  return a;
}

// ------------------------------------------------------------- architecture (§6)

function archName(term) {
  let n = asciiLower(term.text);
  if (ALIAS.has(n)) n = ALIAS.get(n);
  if (n.includes('_')) throw new UcidError(`architecture name '${n}' contains '_' (only aliases do)`, term.pos);
  if (n.length > 32) throw new UcidError(`architecture name '${n}' is longer than 32 characters`, term.pos);
  return n;
}

function processArch(terms) {
  if (terms.length > 8) throw new UcidError('more than 8 architecture terms', terms[8].pos);
  const names = terms.map(archName);
  if (ARCH.get(names[0])?.kind === 'accelerator') {
    throw new UcidError(`'${names[0]}' is an accelerator, not a CPU architecture`, terms[0].pos);
  }
  for (let j = 1; j < names.length; j++) {
    if (ARCH.get(names[j])?.kind === 'cpu') throw new UcidError(`'${names[j]}' is a CPU architecture, not an accelerator`, terms[j].pos);
    if (names.slice(0, j).includes(names[j])) throw new UcidError(`'${names[j]}' occurs twice`, terms[j].pos);
  }
  let len = -1;
  for (let j = 0; j < names.length; j++) {
    len += names[j].length + 1;
    if (len > 62) throw new UcidError('architecture component longer than 62 characters', terms[j].pos);
  }
  return { cpu: names[0], accelerators: names.slice(1).sort(cmpStr) };
}

const cmpStr = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// ------------------------------------------------------------- values (§7)

/** Type and canonical value of a value token; throws at the value's position. */
function typedValue(tok) {
  if (tok.type === 'INTEGER') {
    const v = BigInt(tok.text);
    if (v > MAX_I63) throw new UcidError('count above 2^63-1', tok.pos);
    return { type: 'count', value: v, text: v.toString() };
  }
  if (tok.type === 'QUANTITY') {
    const m = /^([0-9]+)(?:\.([0-9]+))?(.*)$/.exec(tok.text);
    const [, W, F = '', unit] = m;
    const [type, factor] = UNITS.get(unit);
    const num = BigInt(W + F) * factor;
    const den = 10n ** BigInt(F.length);
    if (num % den !== 0n) throw new UcidError('not a whole number of canonical units', tok.pos);
    const v = num / den;
    if (v > MAX_I63) throw new UcidError('value above 2^63-1 canonical units', tok.pos);
    return { type, value: v, text: v.toString() + CANON_UNIT[type] };
  }
  // NAME: a token
  const t = asciiLower(tok.text);
  if (t.length > 32) throw new UcidError('token longer than 32 characters', tok.pos);
  return { type: 'token', value: t, text: t };
}

function processCapabilities(attrs) {
  if (attrs.length > 16) throw new UcidError('more than 16 attributes', attrs[16].key.pos);
  const seen = new Set();
  const out = [];
  for (const { key: ktok, value: vtok } of attrs) {
    const key = asciiLower(ktok.text);
    if (key.length > 32) throw new UcidError(`key '${key}' longer than 32 characters`, ktok.pos);
    const reg = CAPS.get(key);
    let a;
    if (vtok === null) {
      if (reg !== undefined && reg !== 'flag') throw new UcidError(`'${key}' is registered as ${reg} and needs a value`, ktok.pos);
      a = { key, type: 'flag', value: true, text: key };
    } else {
      if (reg === 'flag') throw new UcidError(`'${key}' is registered as a flag and takes no value`, vtok.pos);
      const v = typedValue(vtok);
      if (reg !== undefined && reg !== v.type) throw new UcidError(`'${key}' is registered as ${reg}, not ${v.type}`, vtok.pos);
      a = { key, type: v.type, value: v.value, text: `${key}=${v.text}` };
    }
    // The duplicate check follows the value checks (the reference's order; §12 leaves it open).
    if (seen.has(key)) throw new UcidError(`key '${key}' occurs twice`, ktok.pos);
    seen.add(key);
    if (a.text.length > 62) throw new UcidError(`attribute '${a.text}' longer than 62 characters`, ktok.pos);
    out.push(a);
  }
  return out.sort((x, y) => cmpStr(x.key, y.key));
}

// ------------------------------------------------------------- identifiers

/**
 * Parse an identifier. Returns {canonical, provider, region, cpu,
 * accelerators, capabilities (canonical texts), attrs (typed)}.
 */
export function parseIdentifier(text) {
  const s = Array.from(text);
  const toks = tokenise(s, ID_TABLE, 'i0');
  let k = 1;
  const labels = [];
  while (toks[k].type === 'LABEL') { labels.push(toks[k]); k += 2; } // LABEL then "." or "/"
  const regionTok = toks[k]; k += 2;
  const terms = [];
  while (k < toks.length && toks[k].type === 'ARCH') { terms.push(toks[k]); k++; if (k < toks.length && toks[k].type === '"+"') k++; }
  const attrs = [];
  if (k < toks.length) { // "/"
    k++;
    while (k < toks.length) {
      const key = toks[k++];
      let value = null;
      if (k < toks.length && toks[k].type === '"="') { value = toks[k + 1]; k += 2; }
      attrs.push({ key, value });
      if (k < toks.length) k++; // ";"
    }
  }
  // §12 leaves the order of post-parse faults open; this order (capabilities,
  // provider, architecture) is the reference implementation's, observed as a
  // black box, so that both report the same fault.
  const caps = processCapabilities(attrs);
  const prov = processProvider(labels);
  // An undecided provider label may be invalid, and its fault would come
  // before any later one: skip now rather than report a later fault.
  if (prov.skip) throw new UcidSkip(prov.skip);
  const region = asciiLower(regionTok.text);
  const arch = processArch(terms);
  let canonical = `ucid:${prov.labels.join('.')}/${region}/${[arch.cpu, ...arch.accelerators].join('+')}`;
  if (caps.length) canonical += '/' + caps.map((a) => a.text).join(';');
  if (canonical.length - 5 + 2 + caps.length > 189) throw new UcidError('relative DNS name longer than 189 characters', null);
  return {
    canonical,
    provider: prov.labels.join('.'),
    region,
    cpu: arch.cpu,
    accelerators: arch.accelerators,
    capabilities: caps.map((a) => a.text),
    attrs: caps,
  };
}

// ------------------------------------------------------------- DNS (§9)

const ROOT_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** §9.1 step 1; positions index the root as given. */
function normRoot(root) {
  let r = root.endsWith('.') ? root.slice(0, -1) : root;
  if (r === '') return '';
  if (cpLen(r) > 63) throw new UcidError('root suffix longer than 63 characters', null);
  let pos = 0;
  for (const l of r.split('.')) {
    if (!isAsciiStr(l) || !ROOT_LABEL.test(l)) throw new UcidError(`root suffix label '${l}' is not an LDH label`, pos);
    pos += cpLen(l) + 1;
  }
  return asciiLower(r);
}

function forward(id, r) {
  const labels = id.capabilities.map((t) => '_' + t.replace('=', '_').toLowerCase());
  labels.push('_' + [id.cpu, ...id.accelerators].join('_'), '_' + id.region, id.provider);
  if (r) labels.push(r);
  return labels.join('.') + '.';
}

export function toDnsName(text, root) {
  // The identifier is checked before the root suffix (the reference's order;
  // the spec does not say, and the two positions index different strings).
  const id = parseIdentifier(text);
  return forward(id, normRoot(root));
}

export function fromDnsName(name, root) {
  const r = normRoot(root);
  let n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (cpLen(n) > 253) throw new UcidError('DNS name longer than 253 characters', null);
  if (!isAsciiStr(n)) {
    let pos = 0;
    for (const l of Array.from(n).join('').split('.')) {
      if (!isAsciiStr(l)) throw new UcidError(`DNS label '${l}' is not ASCII`, pos);
      pos += cpLen(l) + 1;
    }
  }
  n = asciiLower(n);
  let rel = n;
  if (r) {
    if (!n.endsWith('.' + r)) throw new UcidError(`DNS name does not end with the root suffix '${r}'`, null);
    rel = n.slice(0, n.length - r.length - 1);
  }
  const labels = rel.split('.');
  const starts = [];
  let pos = 0;
  for (const l of labels) {
    if (!/^[a-z0-9_-]{1,63}$/.test(l)) throw new UcidError(`DNS label '${l}' is not valid`, pos);
    starts.push(pos);
    pos += l.length + 1;
  }
  let ri = -1;
  let count = 0;
  labels.forEach((l, i) => { if (l.startsWith('_')) { count++; ri = i; } });
  if (count < 2) throw new UcidError('fewer than two labels start with _', null);
  if (ri === labels.length - 1) throw new UcidError('no provider after the region label', null);
  for (let i = 0; i < ri; i++) {
    if (!labels[i].startsWith('_')) throw new UcidError(`label '${labels[i]}' before the region label does not start with _`, starts[i]);
  }
  const region = labels[ri].slice(1);
  const arch = labels[ri - 1].slice(1).replace(/_/g, '+');
  const attrs = labels.slice(0, ri - 1).map((l) => {
    const body = l.slice(1);
    const u = body.indexOf('_');
    if (u < 0) return body;
    let v = body.slice(u + 1);
    const m = /^([0-9]+)(b|bps|hz)$/.exec(v);
    if (m) v = m[1] + { b: 'B', bps: 'bps', hz: 'Hz' }[m[2]];
    return body.slice(0, u) + '=' + v;
  });
  let text = `ucid:${labels.slice(ri + 1).join('.')}/${region}/${arch}`;
  if (attrs.length) text += '/' + attrs.join(';');
  let id;
  try {
    id = parseIdentifier(text);
  } catch (e) {
    if (e instanceof UcidError) throw new UcidError(`not an identifier: ${text}: ${e.message}`, null);
    throw e;
  }
  const again = forward(id, r);
  if (again.slice(0, -1) !== n) throw new UcidError(`not a canonical DNS name (canonical: ${again})`, null);
  return id;
}

// ------------------------------------------------------------- patterns (§10)

const OP_ORDER = { has: 0, not: 1, '=': 2, '!=': 3, '<': 4, '<=': 5, '>': 6, '>=': 7 };

export function parsePattern(text) {
  const s = Array.from(text);
  const toks = tokenise(s, PAT_TABLE, 'p0');
  let k = 1;
  const pat = { provider: null, providerBelow: false, region: null, regionBelow: false, cpu: null, accelerators: [], constraints: [] };
  // provider
  const labels = [];
  let wildcard = false;
  if (toks[k].type === 'ANY') { wildcard = true; k++; if (toks[k]?.type === '"."') k++; }
  while (k < toks.length && toks[k].type === 'LABEL') { labels.push(toks[k]); k++; if (toks[k]?.type === '"."') k++; }
  let skip = null;
  if (labels.length) {
    const p = processProvider(labels);
    skip = p.skip;
    pat.provider = p.labels.join('.');
    pat.providerBelow = wildcard;
  }
  // region
  if (toks[k]?.type === '"/"') {
    k++;
    if (toks[k].type === 'REGION') {
      pat.region = asciiLower(toks[k].text);
      k++;
      if (toks[k]?.type === '"-"') { pat.regionBelow = true; k += 2; }
    } else k++; // ANY
  }
  // architecture
  if (toks[k]?.type === '"/"') {
    k++;
    const first = toks[k++];
    if (first.type === 'ARCH') {
      const n = archName(first);
      if (ARCH.get(n)?.kind === 'accelerator') throw new UcidError(`'${n}' is an accelerator, not a CPU architecture`, first.pos);
      pat.cpu = n;
    }
    const acc = new Set();
    while (toks[k]?.type === '"+"') {
      const t = toks[k + 1];
      k += 2;
      const n = archName(t);
      if (ARCH.get(n)?.kind === 'cpu') throw new UcidError(`'${n}' is a CPU architecture, not an accelerator`, t.pos);
      acc.add(n);
    }
    pat.accelerators = [...acc].sort(cmpStr);
  }
  // constraints
  if (toks[k]?.type === '"/"') {
    k++;
    const cs = [];
    while (k < toks.length) {
      let c;
      if (toks[k].type === 'NOT') {
        c = { keyTok: toks[k + 1], op: 'not', value: null };
        k += 2;
      } else if (toks[k + 1]?.type === 'CMP') {
        c = { keyTok: toks[k], op: toks[k + 1].text, value: toks[k + 2] };
        k += 3;
      } else {
        c = { keyTok: toks[k], op: 'has', value: null };
        k += 1;
      }
      cs.push(c);
      if (toks[k]?.type === '";"') k++;
    }
    if (cs.length > 32) throw new UcidError('more than 32 constraints', cs[32].keyTok.pos);
    const seen = new Map();
    for (const c of cs) {
      const key = asciiLower(c.keyTok.text);
      let out;
      if (c.value === null) {
        out = { key, op: c.op, text: c.op === 'not' ? '!' + key : key };
      } else {
        const v = typedValue(c.value);
        const reg = CAPS.get(key);
        if (reg !== undefined && reg !== v.type) throw new UcidError(`'${key}' is registered as ${reg}, not ${v.type}`, c.value.pos);
        if (v.type === 'token' && !['=', '!='].includes(c.op)) throw new UcidError(`operator '${c.op}' needs a numeric value`, c.value.pos);
        out = { key, op: c.op, type: v.type, value: v.value, text: key + c.op + v.text };
      }
      if (!seen.has(out.text)) seen.set(out.text, out);
    }
    pat.constraints = [...seen.values()].sort((a, b) => cmpStr(a.key, b.key) || OP_ORDER[a.op] - OP_ORDER[b.op] || cmpStr(a.text, b.text));
  }
  if (skip) throw new UcidSkip(skip);
  // canonical form (§10.4)
  const parts = [
    pat.provider === null ? '*' : (pat.providerBelow ? '*.' : '') + pat.provider,
    pat.region === null ? '*' : pat.region + (pat.regionBelow ? '-*' : ''),
    (pat.cpu === null && !pat.accelerators.length) ? '*' : [pat.cpu ?? '*', ...pat.accelerators].join('+'),
    pat.constraints.length ? pat.constraints.map((c) => c.text).join(';') : '*',
  ];
  while (parts.length > 1 && parts[parts.length - 1] === '*') parts.pop();
  pat.canonical = 'ucid:' + parts.join('/');
  return pat;
}

export function matchPattern(pat, id) {
  if (pat.provider !== null) {
    if (pat.providerBelow ? !id.provider.endsWith('.' + pat.provider) : id.provider !== pat.provider) return false;
  }
  if (pat.region !== null) {
    if (pat.regionBelow ? !id.region.startsWith(pat.region + '-') : id.region !== pat.region) return false;
  }
  if (pat.cpu !== null && !satisfies(id.cpu, pat.cpu)) return false;
  for (const a of pat.accelerators) if (!id.accelerators.some((h) => satisfies(h, a))) return false;
  const attrs = new Map(id.attrs.map((a) => [a.key, a]));
  for (const c of pat.constraints) {
    const a = attrs.get(c.key);
    if (c.op === 'has') { if (!a) return false; continue; }
    if (c.op === 'not') { if (a) return false; continue; }
    if (!a || a.type !== c.type) return false;
    const x = a.value;
    const y = c.value;
    let ok;
    switch (c.op) {
      case '=': ok = x === y; break;
      case '!=': ok = x !== y; break;
      case '<': ok = x < y; break;
      case '<=': ok = x <= y; break;
      case '>': ok = x > y; break;
      case '>=': ok = x >= y; break;
      default: throw new Error(`unknown operator ${c.op}`);
    }
    if (!ok) return false;
  }
  return true;
}

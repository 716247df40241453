#!/usr/bin/env node
// difftest.mjs: differential test of this adapter against the reference
// implementation's command line (`cid id ...`, used as a black box).
// Usage: node difftest.mjs [--cid PATH] [--n N] [--seed S] [--verbose]
// PATH defaults to .venv/bin/cid of the checkout. Prints counts and every
// difference (up to a limit per category).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { handle } from './handler.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, d) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : d; };
const CID = opt('--cid', path.resolve(HERE, '../../../.venv/bin/cid'));
const N = Number(opt('--n', 3000));
let seed = Number(opt('--seed', 1));
const VERBOSE = args.includes('--verbose');
const LIMIT = Number(opt('--limit', 15));

// ---- deterministic PRNG (mulberry32)
function rnd() { seed |= 0; seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }
const pick = (a) => a[Math.floor(rnd() * a.length)];
const chance = (p) => rnd() < p;
const upper = (s) => (chance(0.2) ? s.replace(/[a-z]/g, (c) => (chance(0.5) ? c.toUpperCase() : c)) : s);

// ---- generators
const PROVIDERS = ['acme.example', 'Acme.Example', 'a', '0', '123.456', 'a-b.c', 'gpu.acme.example', 'example', 'b.example', 'x.y.z',
  'a.b.c.d.e.f.g.h', 'a.b.c.d.e.f.g.h.i', 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(63) + '.b', 'ab--c', 'xn--abc', 'xn---bbk',
  'xn--fiq02ib9d179b.cn', 'XN--FIQ02IB9D179B.CN', 'xn--fa-hia.de', 'xn--bcher-kva.example', 'xn--ls8h.la', 'xn--a-ecp.ru', 'xn--zz--z',
  'xn--nxasmq6b', 'xn--mgbh0fb.example', 'xn--4dbrk0ce.0', 'xn--abc-', 'a1--b', '1a--b', 'r2--d2', 'ab-c', 'a-', 'a--b',
  '中国移动.cn', 'faß.de', 'Ä.example', 'ä.example', 'a．example', 'e\u0301.example', 'אב.0', 'אב.example', 'bücher.example', '☃.net',
  'ſ.example', 'µ.example', 'ǅ.example', 'a\u200db.example', 'ı.example', 'ꭰ.example', '\u0301a.example', 'é'.repeat(40) + '.x',
  'x.', '.x', 'x..y', '-x', 'x_y', 'x y', '*.example'];
const REGIONS = ['cn', 'CN-GD', 'cn-gd', 'cn-gd-sz1', 'zz', 'de-by', 'us', 'us-ca', 'cn-sh', 'c', 'cn-', 'cn-gd-shenzhen1', 'cn-a-b-c',
  'cn-a-b-c-d', 'c1', '12', 'cn_gd', 'cn-12345678', 'cn-123456789', 'CN-Gd-SZ1', 'cn--gd', 'cnn', 'cn-gd-', 'abc-d'];
const ARCHS = ['x86-64', 'x86_64', 'X86_64', 'amd64', 'x64', 'x86-64-v2', 'x86-64-v3', 'x86-64-v4', 'aarch64', 'arm64', 'ARM64',
  'neoverse-n1', 'neoverse-v1', 'neoverse-n2', 'neoverse-v2', 'kunpeng920', 'kunpeng-920', 'riscv64', 'rva22u64', 'rva23u64',
  'loongarch64', 'mycpu', 'cpu-9', 'my_cpu', 'x'.repeat(32), 'x'.repeat(33), 'a--b', 'a_-b', '9'];
const ACCS = ['sm70', 'sm_70', 'sm75', 'sm80', 'sm_80', 'SM_90', 'sm90', 'sm_90', 'sm100', 'sm_100', 'sm89', 'sm86', 'gfx908', 'gfx90a',
  'gfx942', 'Gfx942', 'ascend910', 'ascend910b', 'mlu370', 'mygpu', 'a1', 'a2', 'y'.repeat(26), 'z'.repeat(26), 'my_gpu', 'aarch64', 'x86-64', 'mycpu'];
const KEYS = ['acc', 'ACC', 'mem', 'cpu', 'freq', 'acc-model', 'acc-mem', 'ic', 'ic-bw', 'net', 'net-bw', 'disk', 'sriov', 'confidential',
  'mem-bw', 'numa', 'l3', 'boost', 'gpu-arch', 'foo', 'foo--', 'k'.repeat(32), 'k'.repeat(33), 'a9'];
const NUMS = ['0', '1', '8', '08', '00', '96', '9223372036854775807', '9223372036854775808', '18446744073709551616', '1.5', '0.1', '2.6',
  '0.4', '3.84', '0.5', '10', '1.0', '0.0', '512', '2.6000000001', '1.', '.5', '7'];
const UNITS = ['', '', 'B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'bps', 'kbps', 'Mbps', 'Gbps',
  'Tbps', 'Pbps', 'Hz', 'kHz', 'MHz', 'GHz', 'gib', 'KB', 'Gb', 'GBps', 'Bps', 'hz', 'b'];
const TOKENS = ['h800', 'H800', 'nvlink4', 'NVLink4', 'roce2', 'a800', 'h20', 'ascend910b', 'x'.repeat(32), 'x'.repeat(33), 'a--', 'ib-ndr', '8a'];
const value = () => (chance(0.7) ? pick(NUMS) + pick(UNITS) : upper(pick(TOKENS)));
function attr() { const k = upper(pick(KEYS)); return chance(0.2) ? k : `${k}=${value()}`; }
function archPart(maxAcc = 4) {
  const t = [upper(pick(ARCHS))];
  const n = chance(0.1) ? 9 : Math.floor(rnd() * maxAcc);
  for (let i = 0; i < n; i++) t.push(upper(pick(ACCS)));
  return t.join('+');
}
function identifier() {
  let s = `${chance(0.1) ? 'UCID:' : 'ucid:'}${upper(pick(PROVIDERS))}/${upper(pick(REGIONS))}/${archPart()}`;
  if (chance(0.6)) { const n = chance(0.05) ? 17 : 1 + Math.floor(rnd() * 4); s += '/' + Array.from({ length: n }, attr).join(';'); }
  return s;
}
const NOISE = ['/', '.', '+', ';', '=', '-', '_', '*', '!', '<', '>', '0', '1', '9', 'a', 'Z', 'B', ' ', '%', '?', 'é', '中', '\u0301', '.', ':'];
function mutate(s) {
  const a = Array.from(s);
  const n = 1 + Math.floor(rnd() * 2);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * (a.length + 1));
    const r = rnd();
    if (r < 0.4) a.splice(i, 0, pick(NOISE)); else if (r < 0.7) a.splice(i, 1); else a[i] = pick(NOISE);
  }
  return a.join('');
}
const PPROV = ['*', '*.example', '*.Acme.Example', 'acme.example', 'example', '*.*', '*.', 'a*', '*.xn--fiq02ib9d179b.cn', '*.a.b.c.d.e.f.g.h.i'];
const PREG = ['*', 'cn', 'cn-*', 'CN-GD', 'cn-gd-*', '*-*', 'cn-gd-sz1-*', 'us', 'cn-gd-a-b-*', 'c'];
const PARCH = ['*', '*+sm80', '*+sm90+sm80', '*+sm_90+SM90', 'x86-64-v3', 'x86_64', 'neoverse-n1+sm_80', 'mycpu', 'sm90', '*+aarch64',
  'aarch64+gfx942', '*+gfx908', 'mycpu+mycpu', '*+a1+a2+a3+a4+a5+a6+a7+a8+a9', '*+' + 'q'.repeat(33), 'my_cpu', '*+*'];
const OPS = ['', '', '!', '=', '!=', '<', '<=', '>', '>=', '=>', '=='];
function constraint() { const op = pick(OPS); const k = upper(pick(KEYS)); if (op === '') return k; if (op === '!') return '!' + k; return k + op + value(); }
function pattern() {
  const parts = [upper(pick(PPROV))];
  if (chance(0.8)) { parts.push(upper(pick(PREG))); if (chance(0.8)) { parts.push(upper(pick(PARCH))); if (chance(0.7)) { const n = chance(0.03) ? 33 : 1 + Math.floor(rnd() * 4); parts.push(Array.from({ length: n }, constraint).join(';')); } } }
  return 'ucid:' + parts.join('/');
}

// ---- reference and adapter
function cid(argv, lines, allowOne = false) {
  const r = spawnSync(CID, argv, { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = r.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l));
  if (out.length !== lines.length && !(allowOne && out.length === 1)) throw new Error(`cid ${argv.join(' ')}: ${lines.length} inputs, ${out.length} outputs\n${r.stderr.slice(0, 2000)}`);
  return out;
}
let seq = 0;
const ad = (op, input) => handle({ seq: ++seq, op, case: 'diff', input });

const stats = {};
const diffs = {};
function record(cat, kind, detail) {
  stats[cat] ??= { same: 0, skip: 0, diff: 0 };
  stats[cat][kind]++;
  if (kind === 'diff') { (diffs[cat] ??= []).push(detail); }
}
// compare one adapter reply with one reference outcome {ok, value|position}
function compare(cat, input, reply, ref, pickOk) {
  if (reply.status === 'skip') return record(cat, 'skip');
  if (reply.status === 'ok' && ref.ok && JSON.stringify(pickOk(reply.result)) === JSON.stringify(ref.value)) return record(cat, 'same');
  if (reply.status === 'error' && !ref.ok && reply.error.position === ref.position) return record(cat, 'same');
  record(cat, 'diff', { input, adapter: reply.status === 'ok' ? pickOk(reply.result) : reply.error, reference: ref });
}
const ok1 = (o, f) => ('error' in o ? { ok: false, position: o.error.position, reason: o.error.reason } : { ok: true, value: f(o) });
const clean = (a) => [...new Set(a.filter((s) => s !== '' && !/[\n\r]/.test(s)))];

// identifiers
const idInputs = clean([...Array.from({ length: N }, identifier), ...Array.from({ length: N }, () => mutate(identifier()))]);
const ref = cid(['id', 'parse', '--json', '--root', '', '-'], idInputs);
const validIds = [];
idInputs.forEach((t, i) => {
  const reply = ad('parse', { text: t });
  compare('parse', t, reply, ok1(ref[i], (o) => ({ canonical: o.canonical, provider: o.provider, region: o.region, cpu: o.cpu, accelerators: o.accelerators, capabilities: o.capabilities.map((c) => c.text) })), (r) => r);
  if (!('error' in ref[i])) validIds.push(ref[i].canonical);
});

// DNS both ways, several roots
const ROOTS = ['ucid.example', '', '.', 'UCID.Example.', 'a..b', 'a_b.example', 'x'.repeat(64), 'é.example', '-a.example', 'ucid.example..', 'a.' + 'b'.repeat(61)];
const dnsIds = clean([...validIds.slice(0, 400), ...idInputs.slice(0, 200)]);
let baseNames = [];
for (const root of ROOTS) {
  const fw = cid(['id', 'dns', '--json', '--root=' + root, '-'], dnsIds);
  const names = [];
  dnsIds.forEach((t, i) => {
    compare('to_dns_name', { t, root }, ad('to_dns_name', { text: t, root }), ok1(fw[i], (o) => ({ name: o.dns_name })), (r) => r);
    if (!('error' in fw[i])) names.push(fw[i].dns_name);
  });
  const dmut = (n) => {
    const r = rnd();
    if (r < 0.2) return n.toUpperCase();
    if (r < 0.3) return n.replace(/\.$/, '');
    if (r < 0.4) { const l = n.split('.'); const i = Math.floor(rnd() * (l.length - 1)); [l[i], l[i + 1]] = [l[i + 1], l[i]]; return l.join('.'); }
    if (r < 0.5) { const l = n.split('.'); l.splice(Math.floor(rnd() * l.length), 1); return l.join('.'); }
    return mutate(n);
  };
  if (!baseNames.length) baseNames = names;
  if (!names.length) names.push(...baseNames.map((n) => n.replace(/ucid\.example\.$/, root)));
  const rev = clean([...names.slice(0, 150), ...names.map(dmut), '_x86-64._cn.acmé.ucid.example', '_' + 'x'.repeat(250) + '._cn.a', '_riscv64._zz.hpc.example..',
    '_x86-64_sm_90._cn.a.ucid.example', '_x86-64._cn.ucid.example', 'ucid.example', '._x86-64._cn.a.ucid.example', '_a._b._x86-64._cn.a.ucid.example']);
  const back = cid(['id', 'dns', '--json', '--reverse', '--root=' + root, '-'], rev);
  rev.forEach((n, i) => compare('from_dns_name', { n, root }, ad('from_dns_name', { name: n, root }), ok1(back[i], (o) => ({ canonical: o.identifier })), (r) => r));
}

// patterns: canonical form and matching, one reference call per pattern
const matchIds = clean([
  'ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B',
  'ucid:gpu.acme.example/cn-gd-sz1/neoverse-v2+sm90/acc=4;acc-model=h20;confidential',
  'ucid:example/cn/x86-64-v2', 'ucid:b.example/us/mycpu+gfx942/acc=8', 'ucid:c.example/cn-sh/x86-64-v3+gfx90a+sm80/acc=16;acc-model=a800',
  ...validIds.filter((t) => isAscii(t) && !/xn--/.test(t)).slice(0, 25), 'ucid:a/cn/x86-64/foo=1;l3=524288B;numa=0', 'ucid:bad', 'ucid:a/cn/mycpu+mycpu']);
function isAscii(s) { return /^[\x00-\x7f]*$/.test(s); }
const NP = Number(opt('--patterns', 250));
const pats = clean([...Array.from({ length: NP }, pattern), ...Array.from({ length: Math.floor(NP / 3) }, () => mutate(pattern()))]);
for (const p of pats) {
  const r = cid(['id', 'match', '--json', '--', p, '-'], matchIds, true);
  const pp = ad('parse_pattern', { pattern: p });
  const firstOk = r.find((o) => !('error' in o));
  // the reference reports a pattern fault on every line; otherwise the pattern's canonical form is in "pattern"
  const patErr = r.length === 1 && 'error' in r[0] && r[0].error.input === p;
  compare('parse_pattern', p, pp, patErr ? { ok: false, position: r[0].error.position, reason: r[0].error.reason } : { ok: true, value: { canonical: firstOk.pattern } }, (x) => x);
  if (patErr) continue;
  matchIds.forEach((t, i) => compare('match', { p, t }, ad('match', { pattern: p, text: t }), ok1(r[i], (o) => ({ matches: o.matches })), (x) => x));
}

// report
console.log(`reference: ${CID}; seed ${opt('--seed', 1)}`);
let total = 0;
for (const [cat, s] of Object.entries(stats)) { console.log(`${cat.padEnd(14)} same ${s.same}  skip ${s.skip}  diff ${s.diff}`); total += s.diff; }
for (const [cat, d] of Object.entries(diffs)) {
  console.log(`\n== ${cat}: ${d.length} differences`);
  for (const x of d.slice(0, VERBOSE ? Infinity : LIMIT)) console.log(JSON.stringify(x));
}
process.exit(total ? 1 : 0);

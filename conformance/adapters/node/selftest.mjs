#!/usr/bin/env node
// selftest.mjs: every example of spec/identifier.md, run through the adapter's
// request handler. Exit status 1 on any difference. Usage: node selftest.mjs
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ADAPTER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'adapter.mjs');
const U = '\u0301';
const cases = [];
const ok = (op, input, result) => cases.push({ op, input, want: { status: 'ok', result } });
const err = (op, input, position) => cases.push({ op, input, want: { status: 'error', position } });
const skip = (op, input) => cases.push({ op, input, want: { status: 'skip' } });
const canon = (text, c) => ok('canonicalize', { text }, { canonical: c });

// §3.4
canon('UCID:Acme.Example/CN-GD/X86-64-V4+SM_90/mem=512GiB;ACC=8', 'ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B');
canon('ucid:Example.org/de-by/arm64+sm_80+gfx942/net-bw=0.4Tbps;freq=2.6GHz;sriov', 'ucid:example.org/de-by/aarch64+gfx942+sm80/freq=2600000000Hz;net-bw=400000000000bps;sriov');
canon('ucid:acme.example/cn-gd-sz1/kunpeng920+ascend910b/acc=8;acc-model=Ascend910B;net=RoCE2', 'ucid:acme.example/cn-gd-sz1/kunpeng-920+ascend910b/acc=8;acc-model=ascend910b;net=roce2');
canon('ucid:hpc.example/zz/riscv64', 'ucid:hpc.example/zz/riscv64');
canon('ucid:a/cn/x86-64/acc-mem=1B;acc=8', 'ucid:a/cn/x86-64/acc=8;acc-mem=1B');
skip('canonicalize', { text: 'ucid:中国移动.cn/CN-BJ/neoverse-v2+sm90/acc=8;mem=1TiB;acc-mem=96GiB;ic=NVLink4' });
// §4
canon('ucid:Acme.Example/cn/x86-64', 'ucid:acme.example/cn/x86-64');
skip('canonicalize', { text: 'ucid:XN--FIQ02IB9D179B.CN/cn/x86-64' });
skip('canonicalize', { text: 'ucid:faß.de/cn/x86-64' });
// §6.1
canon('ucid:a/cn/X86_64+SM_90+Gfx942', 'ucid:a/cn/x86-64+gfx942+sm90');
canon('ucid:a/cn/amd64+mygpu', 'ucid:a/cn/x86-64+mygpu');
canon('ucid:a/cn/mycpu+sm90', 'ucid:a/cn/mycpu+sm90');
canon('ucid:a/cn/kunpeng920+ascend910b', 'ucid:a/cn/kunpeng-920+ascend910b');
// §7.2, §7.4
for (const [i, o] of [['mem=1.5GiB', 'mem=1610612736B'], ['freq=2.6GHz', 'freq=2600000000Hz'], ['net-bw=0.4Tbps', 'net-bw=400000000000bps'],
  ['disk=3.84TB', 'disk=3840000000000B'], ['l3=0.5MiB', 'l3=524288B'],
  ['disk=3.84TB;mem=192GiB;cpu=96', 'cpu=96;disk=3840000000000B;mem=206158430208B'],
  ['gpu-arch=hopper;numa=2;l3=0.5MiB;boost', 'boost;gpu-arch=hopper;l3=524288B;numa=2']]) canon(`ucid:a/cn/x86-64/${i}`, `ucid:a/cn/x86-64/${o}`);
err('parse', { text: 'ucid:a/cn/x86-64/freq=2.6000000001GHz' }, 22);
// §9.4
const R = 'ucid.example';
const dns = [
  ['ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B', '_acc_8._mem_549755813888b._x86-64-v4_sm90._cn-gd.acme.example.ucid.example.'],
  ['ucid:example.org/de-by/aarch64+gfx942+sm80/freq=2600000000Hz;net-bw=400000000000bps;sriov', '_freq_2600000000hz._net-bw_400000000000bps._sriov._aarch64_gfx942_sm80._de-by.example.org.ucid.example.'],
  ['ucid:hpc.example/zz/riscv64', '_riscv64._zz.hpc.example.ucid.example.'],
];
for (const [t, n] of dns) { ok('to_dns_name', { text: t, root: R }, { name: n }); ok('from_dns_name', { name: n, root: R }, { canonical: t }); }
ok('to_dns_name', { text: 'ucid:hpc.example/zz/riscv64', root: '' }, { name: '_riscv64._zz.hpc.example.' });
ok('to_dns_name', { text: 'ucid:hpc.example/zz/riscv64', root: '.' }, { name: '_riscv64._zz.hpc.example.' });
ok('from_dns_name', { name: '_ACC_8._MEM_549755813888B._X86-64-V4_SM90._CN-GD.ACME.EXAMPLE.UCID.EXAMPLE', root: R }, { canonical: 'ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B' });
ok('from_dns_name', { name: '_freq_2600000000hz._x86-64._cn-gd.a.example.ucid.example.', root: R }, { canonical: 'ucid:a.example/cn-gd/x86-64/freq=2600000000Hz' });
for (const n of ['_mem_549755813888b._acc_8._x86-64-v4_sm90._cn-gd.acme.example.ucid.example.', '_amd64._cn-gd.a.example.ucid.example.',
  '_acc_8._mem_512gib._x86-64-v4_sm90._cn-gd.acme.example.ucid.example.', '_x86-64.acme.example.ucid.example.']) err('from_dns_name', { name: n, root: R }, null);
err('from_dns_name', { name: '_x86-64._cn.acmé.ucid.example', root: R }, 12);
err('from_dns_name', { name: '_' + 'x'.repeat(250) + '._cn.a', root: '' }, null);
// §10.5
const ids = {
  A: 'ucid:acme.example/cn-gd/x86-64-v4+sm90/acc=8;mem=549755813888B',
  B: 'ucid:gpu.acme.example/cn-gd-sz1/neoverse-v2+sm90/acc=4;acc-model=h20;confidential',
  C: 'ucid:example/cn/x86-64-v2',
  D: 'ucid:b.example/us/mycpu+gfx942/acc=8',
  E: 'ucid:c.example/cn-sh/x86-64-v3+gfx90a+sm80/acc=16;acc-model=a800',
};
const table = `UCID:*/*/* | ucid:* | yes | yes | yes | yes | yes
ucid:*.Example | ucid:*.example | yes | yes | no | yes | yes
ucid:*.acme.example | ucid:*.acme.example | no | yes | no | no | no
ucid:acme.example | ucid:acme.example | yes | no | no | no | no
ucid:*/CN-* | ucid:*/cn-* | yes | yes | no | no | yes
ucid:*/cn-gd | ucid:*/cn-gd | yes | no | no | no | no
ucid:*/cn-gd-* | ucid:*/cn-gd-* | no | yes | no | no | no
ucid:*/*/x86-64-v3 | ucid:*/*/x86-64-v3 | yes | no | no | no | yes
ucid:*/*/x86_64 | ucid:*/*/x86-64 | yes | no | yes | no | yes
ucid:*/*/neoverse-n1+sm_80 | ucid:*/*/neoverse-n1+sm80 | no | yes | no | no | no
ucid:*/*/*+sm80 | ucid:*/*/*+sm80 | yes | yes | no | no | yes
ucid:*/*/*+sm90+sm80 | ucid:*/*/*+sm80+sm90 | yes | yes | no | no | no
ucid:*/*/*+gfx908 | ucid:*/*/*+gfx908 | no | no | no | no | no
ucid:*/*/mycpu | ucid:*/*/mycpu | no | no | no | yes | no
ucid:*/*/*/acc>=8 | ucid:*/*/*/acc>=8 | yes | no | no | yes | yes
ucid:*/*/*/ACC>=8;acc>=8;mem>=256GiB | ucid:*/*/*/acc>=8;mem>=274877906944B | yes | no | no | no | no
ucid:*/*/*/!confidential | ucid:*/*/*/!confidential | yes | no | yes | yes | yes
ucid:*/*/*/acc-model | ucid:*/*/*/acc-model | no | yes | no | no | yes
ucid:*/*/*/acc-model!=h20 | ucid:*/*/*/acc-model!=h20 | no | no | no | no | yes
ucid:*/cn-*/*/acc<16;!acc-model;acc | ucid:*/cn-*/*/acc;acc<16;!acc-model | yes | no | no | no | no`;
for (const row of table.split('\n')) {
  const [p, c, ...m] = row.split(' | ');
  ok('parse_pattern', { pattern: p }, { canonical: c });
  'ABCDE'.split('').forEach((k, i) => ok('match', { pattern: p, text: ids[k] }, { matches: m[i] === 'yes' }));
}
ok('parse_pattern', { pattern: 'ucid:*/*/*+sm_90+SM90' }, { canonical: 'ucid:*/*/*+sm90' });
ok('parse_pattern', { pattern: 'ucid:*/*/*/mem>=1GiB;MEM>=1024MiB' }, { canonical: 'ucid:*/*/*/mem>=1073741824B' });
ok('parse_pattern', { pattern: 'ucid:*/cn/*/acc>=8' }, { canonical: 'ucid:*/cn/*/acc>=8' });
ok('parse_pattern', { pattern: 'ucid:*/cn-*' }, { canonical: 'ucid:*/cn-*' });
ok('match', { pattern: 'ucid:*/*/*/foo=1;foo=bar', text: 'ucid:a/cn/x86-64/foo=1' }, { matches: false });
err('parse_pattern', { pattern: 'ucid:*/*-*' }, 8);
// §2.4 and §12
const P = [
  ['ucid:acme.example/cn/x86-64/acc=08', 33], ['ucid:acme.example/cn/x86-64/mem=512gib', 35], ['ucid:acme.example/cn/x86-64/mem=00GiB', 33],
  ['ucid:acme.example/cn/x86-64/mem=1.5', 33], ['ucid:acme.example/cn/x86-64/net-bw=5Bps', 37], ['ucid:acme-.example/cn/x86-64', 9],
  ['ucid:acme.example/cn-gd-shenzhen1/x86-64', 32], ['ucid:acme.example/cn-/x86-64', 20],
  ['cid:acme.example/cn/x86-64', 0], ['ucid:acme.example/cn/x86-64/', 28], ['ucid:acme.example/cn/x86-64?x=1', 27],
  ['ucid:acme%2Eexample/cn/x86-64', 9], ['ucid:acme.example/c/x86-64', 18], ['ucid:中国移动.cn/cn/x86-64/acc=08', 28],
  ['ucid:Ä.example/cn/x86-64', 5], ['ucid:a．example/cn/x86-64', 5], [`ucid:e${U}.example/cn/x86-64`, 5], ['ucid:ab--c.example/cn/x86-64', 5],
  ['ucid:xn---bbk.example/cn/x86-64', 5], [`ucid:${'a'.repeat(64)}.example/cn/x86-64`, 5], ['ucid:a.b.c.d.e.f.g.h.i/cn/x86-64', 5],
  ['ucid:acme.example/cn/sm90', 21], ['ucid:acme.example/cn/x86-64+aarch64', 28], ['ucid:acme.example/cn/x86-64+sm_90+sm90', 34],
  ['ucid:acme.example/cn/my_cpu', 21], ['ucid:acme.example/cn/x86-64+a1+a2+a3+a4+a5+a6+a7+a8', 49],
  [`ucid:a/cn/x86-64-v4+${'a'.repeat(26)}+${'b'.repeat(26)}`, 47], ['ucid:acme.example/cn/x86-64/mem', 28],
  ['ucid:acme.example/cn/x86-64/sriov=1', 34], ['ucid:acme.example/cn/x86-64/acc=8kB', 32],
  ['ucid:acme.example/cn/x86-64/acc-model=h800;acc=8;ACC=4', 49], ['ucid:acme.example/cn/x86-64/mem=0.1B', 32],
  ['ucid:acme.example/cn/x86-64/mem=8EiB', 32], ['ucid:acme.example/cn/x86-64/acc=9223372036854775808', 32],
  ['ucid:a/cn/x86-64/' + 'x'.repeat(600), 512], ['ucid:acme.example/cn/x86-64/acc=8;acc=4', 34],
  ['ucid:xn--acme-.example/cn/x86-64', 13], ['ucid:a/cn/x86-64+sm90/acc=8;ACC=4', 28],
];
for (const [t, p] of P) err('parse', { text: t }, p);
ok('parse', { text: 'ucid:acme.example/cn/x86-64/acc=9223372036854775807' }, { canonical: 'ucid:acme.example/cn/x86-64/acc=9223372036854775807', provider: 'acme.example', region: 'cn', cpu: 'x86-64', accelerators: [], capabilities: ['acc=9223372036854775807'] });
for (const [t, p] of [['ucid:*/*/sm90', 9], ['ucid:*/*/*/acc-model>h800', 21], ['ucid:*/*/*/mem>=8', 16], ['ucid:*/*/*/!acc=8', 15], ['ucid:*.*/cn', 7]]) err('parse_pattern', { pattern: t }, p);

// run
const reqs = cases.map((c, i) => JSON.stringify({ seq: i + 1, op: c.op, case: `self-${i + 1}`, input: c.input }));
const r = spawnSync('node', [ADAPTER], { input: [JSON.stringify({ seq: 0, op: 'hello', protocol: '1.0', suite: '1.0.0' }), ...reqs].join('\n') + '\n', encoding: 'utf8' });
const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
let fail = 0;
cases.forEach((c, i) => {
  const got = lines[i + 1];
  let bad = got.seq !== i + 1 || got.status !== c.want.status;
  if (!bad && c.want.status === 'ok') bad = JSON.stringify(got.result) !== JSON.stringify(c.want.result);
  if (!bad && c.want.status === 'error') bad = got.error.position !== c.want.position;
  if (bad) { fail++; console.log(`FAIL ${c.op} ${JSON.stringify(c.input)}\n  want ${JSON.stringify(c.want)}\n  got  ${JSON.stringify(got)}`); }
});
console.log(`${cases.length - fail}/${cases.length} spec examples pass`);
if (r.stderr) console.log(r.stderr);
process.exit(fail ? 1 : 0);

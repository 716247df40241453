#!/usr/bin/env node
// adapter.mjs: the UCID conformance adapter (conformance/ADAPTER.md, protocol
// 1.0) for the JavaScript implementation in ucid.mjs. JSON lines on standard
// input and output; logs on standard error. Node standard library only.

import { createInterface } from 'node:readline';
import { handle } from './handler.mjs';

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on('line', (line) => {
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.trim() === '') return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    process.stdout.write(JSON.stringify({ seq: null, status: 'error', error: { code: 'BAD_REQUEST', message: `not JSON: ${e.message}` } }) + '\n');
    return;
  }
  process.stdout.write(JSON.stringify(handle(req)) + '\n');
});
// Node exits by itself when standard input ends and every reply is written.

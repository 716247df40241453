// punycode.mjs: RFC 3492 Punycode (Bootstring for IDNA), encode and decode.
// Operates on the part of an A-label after "xn--". Decoding is strict: it
// throws on any input that RFC 3492 §6.2 says to fail on, and on uppercase
// (callers lowercase first).

const BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72, INITIAL_N = 0x80;
const MAXINT = 0x7fffffff;

function adapt(delta, numPoints, firstTime) {
  delta = firstTime ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > ((BASE - TMIN) * TMAX) >> 1) {
    delta = Math.floor(delta / (BASE - TMIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - TMIN + 1) * delta) / (delta + SKEW));
}

const digitOf = (c) => {
  if (c >= 0x61 && c <= 0x7a) return c - 0x61; // a-z
  if (c >= 0x30 && c <= 0x39) return c - 22; // 0-9 -> 26..35
  return -1;
};
const charOf = (d) => String.fromCharCode(d < 26 ? d + 0x61 : d + 22);

export function punyDecode(input) {
  const out = [];
  const last = input.lastIndexOf('-');
  let start = 0;
  if (last > 0) {
    for (let j = 0; j < last; j++) {
      const c = input.charCodeAt(j);
      if (c >= 0x80) throw new Error('non-basic code point before the delimiter');
      out.push(c);
    }
    start = last + 1;
  }
  let n = INITIAL_N, i = 0, bias = INITIAL_BIAS;
  let pos = start;
  while (pos < input.length) {
    const oldi = i;
    let w = 1;
    for (let k = BASE; ; k += BASE) {
      if (pos >= input.length) throw new Error('truncated input');
      const digit = digitOf(input.charCodeAt(pos++));
      if (digit < 0) throw new Error('invalid digit');
      if (digit > Math.floor((MAXINT - i) / w)) throw new Error('overflow');
      i += digit * w;
      const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
      if (digit < t) break;
      if (w > Math.floor(MAXINT / (BASE - t))) throw new Error('overflow');
      w *= BASE - t;
    }
    const len = out.length + 1;
    bias = adapt(i - oldi, len, oldi === 0);
    if (Math.floor(i / len) > MAXINT - n) throw new Error('overflow');
    n += Math.floor(i / len);
    i %= len;
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) throw new Error('not a Unicode scalar value');
    out.splice(i, 0, n);
    i++;
  }
  return String.fromCodePoint(...out);
}

export function punyEncode(input) {
  const cps = Array.from(input, (c) => c.codePointAt(0));
  let out = cps.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join('');
  const b = out.length;
  let h = b;
  if (b > 0) out += '-';
  let n = INITIAL_N, delta = 0, bias = INITIAL_BIAS;
  while (h < cps.length) {
    let m = MAXINT;
    for (const c of cps) if (c >= n && c < m) m = c;
    if ((m - n) > Math.floor((MAXINT - delta) / (h + 1))) throw new Error('overflow');
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) { delta++; if (delta > MAXINT) throw new Error('overflow'); }
      if (c === n) {
        let q = delta;
        for (let k = BASE; ; k += BASE) {
          const t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
          if (q < t) break;
          out += charOf(t + ((q - t) % (BASE - t)));
          q = Math.floor((q - t) / (BASE - t));
        }
        out += charOf(q);
        bias = adapt(delta, h + 1, h === b);
        delta = 0;
        h++;
      }
    }
    delta++;
    n++;
  }
  return out;
}

/**
 * JSON row text written into one reused byte buffer and made into a string once: the same text
 * that JSON.stringify gives for the same members, without building an object for it and without
 * the stringifier's growing intermediate buffers (about 1 KB of garbage per row on Node 20). Row
 * text is made for every inspection record, and garbage is what the worker's collector pays for.
 *
 * ASCII is copied as it is. A string with anything JSON escapes, or anything past ASCII, is
 * written as JSON.stringify writes it, UTF-8 encoded, and the row is then read back as UTF-8.
 *
 * Row text is a run of members, each with its comma in front (`,"sni":"a.example","ech":true`), so
 * that pieces made apart join by plain concatenation after the writer's `{"flow_id":..` and an
 * empty piece is ''. The `m*` writers leave a member out when its value is null or an empty list:
 * DuckDB's JSON reader reads a missing member as NULL, and the insert turns a NULL list back into
 * [] (src/sink/json-insert.ts). A header-only capture's rows are mostly such members.
 */
/** Whether a time is one (nsText is not null): an unknown time has a negative or non-finite sec. */
export function hasTime(sec: number): boolean {
  return Number.isFinite(sec) && sec >= 0;
}

/** Epoch nanoseconds as a decimal string, or null. */
export function nsText(sec: number, ns: number): string | null {
  if (!hasTime(sec)) return null;
  return sec === 0 ? String(ns) : `${sec}${String(ns).padStart(9, '0')}`;
}

/** A time writeTime() writes (whole seconds and nanoseconds below 1e9); nsText() makes the others. */
export function plainTime(sec: number, ns: number): boolean {
  return Number.isInteger(sec) && sec >= 0 && Number.isInteger(ns) && ns >= 0 && ns < 1e9;
}

/** Writes the decimal digits of a non-negative integer below 2^53 at b[at]; returns the end. */
export function writeUint(b: Uint8Array, at: number, x: number): number {
  let digits = 1;
  for (let y = x; y >= 10; y = Math.floor(y / 10)) digits++;
  let p = at + digits;
  do { b[--p] = 0x30 + (x % 10); x = Math.floor(x / 10); } while (x > 0);
  return at + digits;
}

/** Writes nsText(sec, ns) as a JSON string at b[at] (a plainTime; 22 bytes at most); returns the end. */
export function writeTime(b: Uint8Array, at: number, sec: number, ns: number): number {
  b[at++] = 0x22;
  if (sec === 0) at = writeUint(b, at, ns);
  else {
    at = writeUint(b, at, sec);
    let p = at + 9;
    at = p;
    for (let k = 0; k < 9; k++) { b[--p] = 0x30 + (ns % 10); ns = Math.floor(ns / 10); }
  }
  b[at++] = 0x22;
  return at;
}

/** A buffer of at least `need` bytes (doubling), holding the first `used` bytes of `buf`. */
export function grown(buf: Buffer, used: number, need: number): Buffer<ArrayBuffer> {
  let size = buf.length * 2;
  while (size < need) size *= 2;
  const g = Buffer.allocUnsafe(size);
  buf.copy(g, 0, 0, used);
  return g;
}

export class JsonText {
  private buf = Buffer.allocUnsafe(4096);
  private n = 0;
  private utf8 = false;

  /** Starts a new text. */
  begin(): this {
    this.n = 0;
    this.utf8 = false;
    return this;
  }

  /** The text written since begin(). */
  end(): string {
    return this.utf8 ? this.buf.toString('utf8', 0, this.n) : this.buf.toString('latin1', 0, this.n);
  }

  private room(k: number): void {
    if (this.n + k > this.buf.length) this.buf = grown(this.buf, this.n, this.n + k);
  }

  /** Text that is already JSON and ASCII (keys, punctuation, literals). */
  raw(s: string): this {
    this.room(s.length);
    const b = this.buf;
    let n = this.n;
    for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
    this.n = n;
    return this;
  }

  /** A JSON string literal, or null. */
  str(s: string | null): this {
    if (s === null) return this.raw('null');
    this.room(s.length + 2);
    const b = this.buf;
    let n = this.n;
    b[n++] = 0x22;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return this.escaped(s);
      b[n++] = c;
    }
    b[n++] = 0x22;
    this.n = n;
    return this;
  }

  /** A string JSON escapes or that is not ASCII: JSON.stringify's text of it, as UTF-8. */
  private escaped(s: string): this {
    const j = JSON.stringify(s);
    this.room(j.length * 3);
    this.n += this.buf.write(j, this.n, 'utf8');
    this.utf8 = true;
    return this;
  }

  /** A number as JSON.stringify writes it (null for NaN and ±Infinity), or null. */
  num(x: number | null): this {
    return this.raw(x === null || !Number.isFinite(x) ? 'null' : String(x));
  }

  bool(b: boolean): this {
    return this.raw(b ? 'true' : 'false');
  }

  /** Member `key` (written with its comma and colon: `,"sni":`) with a string value; left out when null. */
  mStr(key: string, s: string | null): this {
    return s === null ? this : this.raw(key).str(s);
  }

  /** Member with a number value; left out when null, NaN or infinite (JSON null). */
  mNum(key: string, x: number | null): this {
    return x === null || !Number.isFinite(x) ? this : this.raw(key).raw(String(x));
  }

  /** Member with epoch nanoseconds as nsText() writes them; left out when that is null. */
  mTime(key: string, sec: number, ns: number): this {
    if (!plainTime(sec, ns)) return this.mStr(key, nsText(sec, ns));
    this.raw(key).room(24);
    this.n = writeTime(this.buf, this.n, sec, ns);
    return this;
  }

  /** Member with a number that is unknown when negative (left out then). */
  mNat(key: string, x: number): this {
    return x < 0 ? this : this.raw(key).raw(String(x));
  }

  mBool(key: string, b: boolean): this {
    return this.raw(key).raw(b ? 'true' : 'false');
  }

  /** Member with a list of numbers; left out when empty. */
  mNums(key: string, a: readonly number[]): this {
    return a.length === 0 ? this : this.raw(key).nums(a);
  }

  /** Member with a list of strings; left out when empty. */
  mStrs(key: string, a: readonly string[]): this {
    return a.length === 0 ? this : this.raw(key).strs(a);
  }

  nums(a: readonly number[]): this {
    this.raw('[');
    for (let i = 0; i < a.length; i++) { if (i > 0) this.raw(','); this.num(a[i]); }
    return this.raw(']');
  }

  strs(a: readonly string[]): this {
    this.raw('[');
    for (let i = 0; i < a.length; i++) { if (i > 0) this.raw(','); this.str(a[i]); }
    return this.raw(']');
  }
}

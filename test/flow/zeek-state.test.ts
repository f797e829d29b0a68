import { afterEach, describe, expect, it } from 'vitest';
import { CONN_STATE_NAMES, HISTORY_MAX } from '../../src/flow/batch.js';
import {
  CONN_STATE, TCP_ENDPOINT, ZeekState, icmpCounterpart, isLikelyServerPort, setZeekServerPorts, zeekFlip,
} from '../../src/flow/zeek-state.js';

const FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;

/** A TCP packet: [from the caller's originator?, flags, seq, ack, payload length, window]. */
type Pkt = readonly [0 | 1, number, number, number, number, number];

function feed(z: ZeekState, slot: number, pkts: readonly Pkt[]): void {
  for (const [o, flags, seq, ack, len, win] of pkts) z.tcp(slot, o === 1, flags, seq, ack, len, win);
}

function hist(z: ZeekState, slot: number): string {
  const b = new Uint8Array(HISTORY_MAX + 8);
  const n = z.history(slot, b, 4, HISTORY_MAX);
  return String.fromCharCode(...b.subarray(4, 4 + n));
}

function state(z: ZeekState, slot: number): string {
  return CONN_STATE_NAMES[z.connState(slot)];
}

/** A TCP conversation that keeps each side's next sequence number, for hand-built cases. */
function conv(z: ZeekState, slot: number, isn = { o: 1000, r: 7000 }) {
  let nextO = isn.o, nextR = isn.r;
  const send = (isOrig: boolean, flags: number, len = 0, opt: { seq?: number; win?: number; ack?: number } = {}): void => {
    const seq = opt.seq ?? (isOrig ? nextO : nextR);
    const ack = flags & ACK ? (opt.ack ?? (isOrig ? nextR : nextO)) : 0;
    z.tcp(slot, isOrig, flags, seq, ack, len, opt.win ?? 8192);
    const end = (seq + len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) >>> 0;
    if (!(flags & RST)) {
      if (isOrig && ((end - nextO) | 0) > 0) nextO = end;
      if (!isOrig && ((end - nextR) | 0) > 0) nextR = end;
    }
  };
  return {
    o: (flags: number, len?: number, opt?: { seq?: number; win?: number; ack?: number }) => send(true, flags, len, opt),
    r: (flags: number, len?: number, opt?: { seq?: number; win?: number; ack?: number }) => send(false, flags, len, opt),
    get nextO() { return nextO; },
    get nextR() { return nextR; },
    handshake() {
      send(true, SYN);
      send(false, SYN | ACK);
      send(true, ACK);
    },
  };
}

afterEach(() => setZeekServerPorts('7.1'));

describe('CONN_STATE', () => {
  it('matches CONN_STATE_NAMES in batch.ts', () => {
    for (const [name, code] of Object.entries(CONN_STATE)) expect(CONN_STATE_NAMES[code]).toBe(name);
    expect(Object.keys(CONN_STATE)).toHaveLength(CONN_STATE_NAMES.length);
  });
});

// Packet sequences of /work/shared/corpus/zeek-mixed-vlan-mpls.pcap (tshark: tcp.flags, tcp.seq_raw,
// tcp.ack_raw, tcp.len, tcp.window_size_value), checked against its zeek-conn.log.
describe('corpus: zeek-mixed-vlan-mpls.pcap', () => {
  // 10.1.2.1:11001 -> 10.34.0.1:23; conn.log: SH, SADF, orig_bytes 26, resp_bytes 0
  const telnet: Pkt[] = [
    [1, 0x02, 2553417723, 0, 0, 4128],
    [1, 0x10, 2553417724, 2379583141, 0, 4128],
    [1, 0x18, 2553417724, 2379583141, 9, 4128],
    [1, 0x10, 2553417733, 2379583141, 0, 4128],
    [1, 0x18, 2553417733, 2379583153, 3, 4116],
    [1, 0x18, 2553417736, 2379583153, 3, 4116],
    [1, 0x18, 2553417739, 2379583153, 9, 4116],
    [1, 0x10, 2553417748, 2379583190, 0, 4079],
    [1, 0x18, 2553417748, 2379583190, 2, 4079],
    [1, 0x10, 2553417750, 2379583191, 0, 4079],
    [1, 0x19, 2553417750, 2379583191, 0, 4079],
  ];
  // 141.42.64.125:56730 -> 125.190.109.199:80; conn.log: SF, ShADdFaf, 98 / 9417 bytes
  const http1: Pkt[] = [
    [1, 0x02, 1512382793, 0, 0, 5840],
    [0, 0x12, 2697137987, 1512382794, 0, 57344],
    [1, 0x10, 1512382794, 2697137988, 0, 1460],
    [1, 0x18, 1512382794, 2697137988, 98, 1460],
    [0, 0x10, 2697137988, 1512382892, 1448, 57920],
    [0, 0x10, 2697139436, 1512382892, 1448, 57920],
    [1, 0x10, 1512382892, 2697139436, 0, 2184],
    [1, 0x10, 1512382892, 2697140884, 0, 2908],
    [0, 0x10, 2697140884, 1512382892, 1448, 57920],
    [0, 0x10, 2697142332, 1512382892, 1448, 57920],
    [0, 0x10, 2697143780, 1512382892, 1448, 57920],
    [0, 0x10, 2697145228, 1512382892, 1448, 57920],
    [1, 0x10, 1512382892, 2697142332, 0, 3632],
    [1, 0x10, 1512382892, 2697143780, 0, 4356],
    [1, 0x10, 1512382892, 2697145228, 0, 5080],
    [1, 0x10, 1512382892, 2697146676, 0, 5804],
    [0, 0x18, 2697146676, 1512382892, 729, 57920],
    [1, 0x10, 1512382892, 2697147405, 0, 6528],
    [1, 0x11, 1512382892, 2697147405, 0, 6528],
    [0, 0x10, 2697147405, 1512382893, 0, 57920],
    [0, 0x11, 2697147405, 1512382893, 0, 57920],
    [1, 0x10, 1512382893, 2697147406, 0, 6528],
  ];
  // 10.20.80.1:50343 -> 10.0.0.15:80; conn.log: SF, ShADadfF, 9 / 3429 bytes
  const http2: Pkt[] = [
    [1, 0x02, 4084526270, 0, 0, 5760],
    [0, 0x12, 403412445, 4084526271, 0, 5792],
    [1, 0x10, 4084526271, 403412446, 0, 45],
    [1, 0x18, 4084526271, 403412446, 9, 45],
    [0, 0x10, 403412446, 4084526280, 0, 362],
    [0, 0x10, 403412446, 4084526280, 1428, 362],
    [0, 0x10, 403413874, 4084526280, 1428, 362],
    [0, 0x18, 403415302, 4084526280, 573, 362],
    [0, 0x11, 403415875, 4084526280, 0, 362],
    [1, 0x10, 4084526280, 403413874, 0, 68],
    [1, 0x10, 4084526280, 403415302, 0, 90],
    [1, 0x10, 4084526280, 403415875, 0, 112],
    [1, 0x11, 4084526280, 403415876, 0, 112],
    [0, 0x10, 403415876, 4084526281, 0, 362],
  ];

  it('reproduces all three flows', () => {
    const z = new ZeekState(8);
    // first packets are SYNs to 23/80: no flip
    expect(zeekFlip(6, 11001, 23, 0x02)).toBe(false);
    expect(zeekFlip(6, 56730, 80, 0x02)).toBe(false);
    z.init(0, 6, false);
    z.init(5, 6, false);
    z.init(7, 6, false);
    // interleave the flows to check that slots are independent
    for (let i = 0; i < 22; i++) {
      if (i < telnet.length) feed(z, 0, [telnet[i]]);
      if (i < http1.length) feed(z, 5, [http1[i]]);
      if (i < http2.length) feed(z, 7, [http2[i]]);
    }
    expect(hist(z, 0)).toBe('SADF');
    expect(state(z, 0)).toBe('SH');
    expect(hist(z, 5)).toBe('ShADdFaf');
    expect(state(z, 5)).toBe('SF');
    expect(hist(z, 7)).toBe('ShADadfF');
    expect(state(z, 7)).toBe('SF');
    expect([z.tcpBytes(0, true), z.tcpBytes(0, false)]).toEqual([26, 0]);
    expect([z.tcpBytes(5, true), z.tcpBytes(5, false)]).toEqual([98, 9417]);
    expect([z.tcpBytes(7, true), z.tcpBytes(7, false)]).toEqual([9, 3429]);
    // SH: FIN while the peer never spoke closes the connection in Zeek; SF: FIN both ways
    expect([z.tcpClosed(0), z.tcpClosed(5), z.tcpClosed(7)]).toEqual([1, 1, 1]);
    expect(z.swapped(5)).toBe(false);
  });

  it('is still open before the second FIN', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    feed(z, 0, http1.slice(0, 20));
    expect(z.tcpClosed(0)).toBe(0);
    expect(state(z, 0)).toBe('S2');
    feed(z, 0, http1.slice(20));
    expect(z.tcpClosed(0)).toBe(1);
  });
});

describe('corpus: UDP (pcapng multi-interface DNS, QUIC)', () => {
  it('DNS request/response is Dd SF', () => {
    const z = new ZeekState(4);
    // 172.17.0.2:36343 -> 1.1.1.1:53, then the answer
    expect(zeekFlip(17, 36343, 53, 0)).toBe(false);
    z.init(2, 17, false);
    z.other(2, true, 54);
    z.other(2, false, 172);
    expect(hist(z, 2)).toBe('Dd');
    expect(state(z, 2)).toBe('SF');
  });

  it('QUIC v1 chromium flow (19 datagrams) is Dd', () => {
    // directions of zeek-quic-v1-chromium.pcap, 82.239.54.117:53727 <-> 110.213.53.115:443
    const dirs = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0];
    const z = new ZeekState(1);
    expect(zeekFlip(17, 53727, 443, 0)).toBe(false);
    z.init(0, 17, false);
    for (const d of dirs) z.other(0, d === 1, 100);
    expect(hist(z, 0)).toBe('Dd');
    expect(state(z, 0)).toBe('SF');
  });

  it('QUIC v2 flow (14 datagrams) is Dd', () => {
    const dirs = [1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1];
    const z = new ZeekState(1);
    z.init(0, 17, zeekFlip(17, 50841, 443, 0));
    for (const d of dirs) z.other(0, d === 1, 100);
    expect(hist(z, 0)).toBe('Dd');
  });

  it('one-sided UDP: S0, and a flipped reply-only flow is ^d SHR', () => {
    const z = new ZeekState(2);
    z.init(0, 17, false);
    z.other(0, true, 0); // empty datagrams count too
    expect(hist(z, 0)).toBe('D');
    expect(state(z, 0)).toBe('S0');
    // first packet 53 -> 40000: Zeek makes the destination the originator
    const f = zeekFlip(17, 53, 40000, 0);
    expect(f).toBe(true);
    z.init(1, 17, f);
    z.other(1, false, 80);
    expect(hist(z, 1)).toBe('^d');
    expect(state(z, 1)).toBe('SHR');
  });
});

describe('TCP conn_state', () => {
  it('S0: SYN only; a retransmitted SYN writes nothing more', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.o(SYN);
    c.o(SYN, 0, { seq: 1000 });
    expect(hist(z, 0)).toBe('S');
    expect(state(z, 0)).toBe('S0');
    expect(z.tcpClosed(0)).toBe(0);
    expect(z.tcpEndpointState(0, true)).toBe(TCP_ENDPOINT.SYN_SENT);
    expect(z.tcpIsAttempt(0)).toBe(true); // Zeek drops it 5 s after the SYN
    c.r(SYN | ACK);
    expect(z.tcpIsAttempt(0)).toBe(false);
  });

  it('REJ: SYN answered by RST-ACK', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.o(SYN);
    c.r(RST | ACK, 0, { seq: 0 });
    expect(hist(z, 0)).toBe('Sr');
    expect(state(z, 0)).toBe('REJ');
    expect(z.tcpClosed(0)).toBe(2);
  });

  it('REJ: both sides reset with no data', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.o(SYN);
    c.o(RST);
    c.r(RST);
    expect(hist(z, 0)).toBe('SRr');
    expect(state(z, 0)).toBe('REJ');
  });

  it('S1: established, not closed', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    c.o(ACK | PSH, 50);
    c.r(ACK | PSH, 200);
    c.o(ACK);
    c.r(ACK);
    expect(hist(z, 0)).toBe('ShADda');
    expect(state(z, 0)).toBe('S1');
    expect(z.tcpClosed(0)).toBe(0);
    expect([z.tcpBytes(0, true), z.tcpBytes(0, false)]).toEqual([50, 200]);
  });

  it('S2 / S3: one side closed', () => {
    const z = new ZeekState(2);
    z.init(0, 6, false);
    let c = conv(z, 0);
    c.handshake();
    c.o(ACK | PSH, 10);
    c.r(ACK);
    c.o(FIN | ACK);
    expect(hist(z, 0)).toBe('ShADaF');
    expect(state(z, 0)).toBe('S2');
    z.init(1, 6, false);
    c = conv(z, 1);
    c.handshake();
    c.r(ACK | PSH, 10);
    c.r(FIN | ACK);
    expect(hist(z, 1)).toBe('ShAdf');
    expect(state(z, 1)).toBe('S3');
  });

  it('RSTO: originator aborts an established connection', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    c.o(ACK | PSH, 10);
    c.r(ACK | PSH, 10);
    c.o(RST | ACK);
    expect(hist(z, 0)).toBe('ShADdR');
    expect(state(z, 0)).toBe('RSTO');
    expect(z.tcpClosed(0)).toBe(2);
  });

  it('RSTR: responder aborts, after the originator closed', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    c.o(ACK | PSH, 10);
    c.r(ACK | PSH, 10);
    c.o(FIN | ACK);
    c.r(RST);
    expect(hist(z, 0)).toBe('ShADdFr');
    expect(state(z, 0)).toBe('RSTR');
  });

  it('RSTOS0: SYN then RST from the originator, no SYN-ACK', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.o(SYN);
    c.o(RST);
    expect(hist(z, 0)).toBe('SR');
    expect(state(z, 0)).toBe('RSTOS0');
  });

  it('RSTRH and SHR: a SYN-ACK from a server port, flipped, then RST or FIN', () => {
    const z = new ZeekState(2);
    const f = zeekFlip(6, 80, 51000, SYN | ACK);
    expect(f).toBe(true);
    z.init(0, 6, f);
    // the packet came from the (new) responder
    z.tcp(0, false, SYN | ACK, 5000, 100, 0, 1000);
    z.tcp(0, false, RST, 5001, 0, 0, 0);
    expect(hist(z, 0)).toBe('^hr');
    expect(state(z, 0)).toBe('RSTRH');
    z.init(1, 6, f);
    z.tcp(1, false, SYN | ACK, 5000, 100, 0, 1000);
    z.tcp(1, false, FIN | ACK, 5001, 100, 0, 1000);
    expect(hist(z, 1)).toBe('^hf');
    expect(state(z, 1)).toBe('SHR');
    expect(z.tcpClosed(1)).toBe(1); // the peer never spoke
  });

  it('SH: SYN then FIN, no answer', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.o(SYN);
    c.o(FIN | ACK, 0, { ack: 1 });
    expect(hist(z, 0)).toBe('SF');
    expect(state(z, 0)).toBe('SH');
  });

  it('OTH: midstream traffic, no SYN', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    z.tcp(0, true, ACK | PSH, 100000, 900000, 100, 500);
    z.tcp(0, false, ACK | PSH, 900000, 100100, 300, 500);
    z.tcp(0, true, ACK, 100100, 900300, 0, 500);
    expect(hist(z, 0)).toBe('DdA');
    expect(state(z, 0)).toBe('OTH');
    expect(z.tcpEndpointState(0, true)).toBe(TCP_ENDPOINT.PARTIAL);
  });

  it('OTH: a lone RST', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    z.tcp(0, true, RST, 12345, 0, 0, 0);
    expect(hist(z, 0)).toBe('R');
    expect(state(z, 0)).toBe('OTH');
    expect(z.tcpClosed(0)).toBe(2);
  });

  it('SF after a FIN then RST from the same side', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    c.o(ACK | PSH, 10);
    c.r(FIN | ACK);
    c.o(FIN | ACK);
    c.r(RST, 0, { seq: c.nextR });
    // both closed already: the RST changes nothing, the letter is still written
    expect(hist(z, 0)).toBe('ShADfFr');
    expect(state(z, 0)).toBe('SF');
    expect(z.tcpClosed(0)).toBe(1);
  });
});

describe('TCP history letters', () => {
  it("'^h': a connection that began with an unflipped SYN-ACK flips at the first ACK", () => {
    const z = new ZeekState(1);
    // 5000 and 40000 are no likely server ports: no flip at creation
    expect(zeekFlip(6, 5000, 40000, SYN | ACK)).toBe(false);
    z.init(0, 6, false);
    const c = conv(z, 0, { o: 7000, r: 1000 });
    c.o(SYN | ACK, 0, { ack: 1000 });
    expect(hist(z, 0)).toBe('H');
    expect(z.swapped(0)).toBe(false);
    c.r(ACK); // caller's responder, now Zeek's originator
    expect(hist(z, 0)).toBe('^hA');
    expect(z.swapped(0)).toBe(true);
    c.r(ACK | PSH, 20);
    c.o(ACK | PSH, 30);
    c.r(FIN | ACK);
    c.o(ACK);
    c.o(FIN | ACK);
    c.r(ACK);
    expect(hist(z, 0)).toBe('^hADdFaf');
    expect(state(z, 0)).toBe('SF');
    // bytes in Zeek's final roles
    expect([z.tcpBytes(0, true), z.tcpBytes(0, false)]).toEqual([20, 30]);
  });

  it("'^h' also on data from the SYN-ACK sender", () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    z.tcp(0, true, SYN | ACK, 7000, 1000, 0, 100);
    z.tcp(0, true, ACK | PSH, 7001, 1000, 10, 100);
    expect(hist(z, 0)).toBe('^hd');
    expect(z.swapped(0)).toBe(true);
  });

  it('SYN-ACK from a likely server port flips at creation: ^h', () => {
    const z = new ZeekState(1);
    const f = zeekFlip(6, 443, 50000, SYN | ACK);
    expect(f).toBe(true);
    z.init(0, 6, f);
    const c = conv(z, 0);
    c.r(SYN | ACK, 0, { ack: 1000 });
    c.o(ACK);
    c.o(ACK | PSH, 100);
    expect(hist(z, 0)).toBe('^hAD');
    expect(state(z, 0)).toBe('S1');
    expect(z.swapped(0)).toBe(false);
  });

  it('SYN-ACK then SYN (reordered handshake) flips through the state machine', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    z.tcp(0, true, SYN | ACK, 7000, 1001, 0, 100); // server's SYN-ACK seen first
    expect(z.tcpIsReuse(0, SYN, 1000)).toBe(false);
    z.tcp(0, false, SYN, 1000, 0, 0, 100); // then the client's SYN
    expect(hist(z, 0)).toBe('Hs^');
    expect(z.swapped(0)).toBe(true);
    z.tcp(0, false, ACK, 1001, 7001, 0, 100);
    expect(hist(z, 0)).toBe('Hs^A');
    expect(state(z, 0)).toBe('S1');
  });

  it("'T': retransmitted data, scaled at 1, 10, 100", () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    const s = c.nextO;
    c.o(ACK | PSH, 100);
    c.o(ACK | PSH, 100, { seq: s });
    expect(hist(z, 0)).toBe('ShADT');
    for (let i = 2; i <= 9; i++) c.o(ACK | PSH, 100, { seq: s });
    expect(hist(z, 0)).toBe('ShADT');
    c.o(ACK | PSH, 100, { seq: s }); // 10th
    expect(hist(z, 0)).toBe('ShADTT');
    for (let i = 11; i <= 100; i++) c.o(ACK | PSH, 100, { seq: s });
    expect(hist(z, 0)).toBe('ShADTTT');
    c.r(ACK | PSH, 5);
    c.r(ACK | PSH, 5, { seq: c.nextR - 5 });
    expect(hist(z, 0)).toBe('ShADTTTdt');
  });

  it("'W': zero window, not with a RST or after the peer's FIN", () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    c.o(ACK | PSH, 100);
    c.r(ACK, 0, { win: 0 });
    expect(hist(z, 0)).toBe('ShADaw');
    for (let i = 2; i <= 10; i++) c.r(ACK, 0, { win: 0 });
    expect(hist(z, 0)).toBe('ShADaww');
    c.o(FIN | ACK);
    c.r(ACK, 0, { win: 0 }); // after the peer's FIN: boring
    c.o(RST, 0, { win: 0 }); // with a RST: boring
    expect(hist(z, 0)).toBe('ShADawwFR');
  });

  it("'Q' and 'I': SYN+FIN and FIN+RST packets, once per side", () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.o(SYN | FIN);
    c.o(SYN | FIN, 0, { seq: 1000 });
    c.r(FIN | RST | ACK);
    c.o(FIN | RST);
    c.r(FIN | RST, 0, { seq: 50 });
    expect(hist(z, 0)).toBe('QiI');
  });

  it("'F' again only for a FIN at a new sequence position", () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    const s = c.nextO;
    c.o(FIN | ACK);
    c.o(FIN | ACK, 0, { seq: s }); // retransmitted FIN
    c.o(FIN | ACK | PSH, 10, { seq: s }); // FIN now behind 10 bytes of data
    // a packet with FIN (or SYN/RST) gets its flag letter only: no 'D' for its data
    expect(hist(z, 0)).toBe('ShAFF');
  });

  it("'G': the peer acks data that was never seen", () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    c.o(ACK | PSH, 100);
    c.o(ACK | PSH, 100, { seq: c.nextO + 100 }); // 100 bytes missing in between
    c.r(ACK); // acks everything: the hole is a gap
    expect(hist(z, 0)).toBe('ShADaG');
    // in-order data fully acked: no gap
    c.o(ACK | PSH, 50);
    c.r(ACK);
    expect(hist(z, 0)).toBe('ShADaG');
  });

  it("no 'G' once the missing data arrives before the ack", () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    const s = c.nextO;
    c.o(ACK | PSH, 100, { seq: s + 100 }); // out of order
    c.o(ACK | PSH, 100, { seq: s }); // fills the hole
    c.r(ACK, 0, { ack: s + 200 });
    expect(hist(z, 0)).toBe('ShADTa'); // the second packet sits below last_seq: Zeek's 'T'
  });

  it("'G' counts snaplen-truncated payload as missing", () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    z.tcp(0, true, ACK | PSH, c.nextO, c.nextR, 1400, 8192, 40); // only 40 payload bytes captured
    z.tcp(0, false, ACK, c.nextR, c.nextO + 1400, 0, 8192);
    expect(hist(z, 0)).toBe('ShADaG');
  });

  it('history stops at HISTORY_MAX letters, conn_state still sees the whole history', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    z.tcp(0, true, SYN, 1000, 0, 0, 100);
    for (let i = 0; i < 40; i++) z.tcp(0, true, RST, 1001 + i, 0, 0, 0); // each at a new sequence number
    const h = hist(z, 0);
    expect(h).toHaveLength(HISTORY_MAX);
    expect(h).toBe('S' + 'R'.repeat(HISTORY_MAX - 1));
    expect(state(z, 0)).toBe('RSTOS0');
    const small = new Uint8Array(3);
    expect(z.history(0, small, 0, 3)).toBe(3);
    expect(String.fromCharCode(...small)).toBe('SRR');
  });

  it('a reused slot starts clean', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.handshake();
    c.o(RST);
    z.init(0, 17, false);
    expect(hist(z, 0)).toBe('');
    expect(state(z, 0)).toBe('OTH');
    z.other(0, false, 10);
    expect(hist(z, 0)).toBe('d');
    expect(state(z, 0)).toBe('SHR');
  });
});

describe('tcpIsReuse', () => {
  it('a SYN with a new ISN, or any SYN after a close, starts a new connection', () => {
    const z = new ZeekState(1);
    z.init(0, 6, false);
    const c = conv(z, 0);
    c.o(SYN);
    expect(z.tcpIsReuse(0, SYN, 1000)).toBe(false); // retransmission
    expect(z.tcpIsReuse(0, SYN, 4242)).toBe(true); // new ISN
    expect(z.tcpIsReuse(0, ACK, 4242)).toBe(false); // only SYNs
    c.r(SYN | ACK);
    expect(z.tcpIsReuse(0, SYN | ACK, 1)).toBe(false); // originator is active: not a half connection
    c.o(ACK);
    c.o(FIN | ACK);
    expect(z.tcpIsReuse(0, SYN, 1000)).toBe(true); // closed
  });
});

describe('other protocols', () => {
  it('ICMP and unknown IP protocols: no history, OTH', () => {
    const z = new ZeekState(2);
    z.init(0, 1, zeekFlip(1, 0, 8, 0));
    z.other(0, true, 56);
    z.other(0, false, 56);
    expect(hist(z, 0)).toBe('');
    expect(state(z, 0)).toBe('OTH');
    z.init(1, 132, false);
    z.other(1, true, 100);
    expect(hist(z, 1)).toBe('');
    expect(state(z, 1)).toBe('OTH');
    expect(z.tcpClosed(1)).toBe(0);
  });
});

describe('zeekFlip', () => {
  it('TCP: only non-SYN first packets, by likely server ports', () => {
    expect(zeekFlip(6, 80, 51000, ACK)).toBe(true);
    expect(zeekFlip(6, 80, 51000, SYN)).toBe(false); // a pure SYN is never flipped
    expect(zeekFlip(6, 51000, 80, ACK)).toBe(false);
    expect(zeekFlip(6, 5000, 6000, ACK)).toBe(false);
    // both likely: flip only for non-SYN-ACK with sport < dport
    expect(zeekFlip(6, 80, 443, ACK)).toBe(true);
    expect(zeekFlip(6, 443, 80, ACK)).toBe(false);
    expect(zeekFlip(6, 80, 443, SYN | ACK)).toBe(false);
    expect(zeekFlip(6, 22, 50000, SYN | ACK)).toBe(true);
  });

  it('UDP: sport likely and dport not', () => {
    expect(zeekFlip(17, 53, 33000, 0)).toBe(true);
    expect(zeekFlip(17, 33000, 53, 0)).toBe(false);
    expect(zeekFlip(17, 53, 123, 0)).toBe(false);
    expect(zeekFlip(17, 67, 68, 0)).toBe(true); // 68 is no server port
    expect(zeekFlip(17, 4789, 40000, 0)).toBe(true); // vxlan
    expect(zeekFlip(17, 80, 40000, 0)).toBe(false); // 80 is a TCP server port only
    expect(zeekFlip(17, 53, 33000, 0, true)).toBe(false); // to 255.255.255.255
  });

  it('ICMP and others never flip (Zeek pairs ICMP replies through its ports instead)', () => {
    expect(zeekFlip(1, 0, 8, 0)).toBe(false);
    expect(zeekFlip(58, 129, 128, 0)).toBe(false);
    expect(zeekFlip(132, 80, 5000, 0)).toBe(false);
  });

  it('port sets follow the Zeek release', () => {
    expect(isLikelyServerPort(6, 389)).toBe(true);
    expect(isLikelyServerPort(6, 5432)).toBe(true);
    expect(isLikelyServerPort(6, 6379)).toBe(false);
    expect(isLikelyServerPort(6, 3306)).toBe(false);
    setZeekServerPorts('6.0');
    expect(isLikelyServerPort(6, 389)).toBe(false);
    expect(zeekFlip(6, 389, 50000, ACK)).toBe(false);
    setZeekServerPorts('8.2');
    expect(isLikelyServerPort(6, 6379)).toBe(true);
    expect(isLikelyServerPort(6, 3306)).toBe(true);
    expect(isLikelyServerPort(17, 4754)).toBe(true);
  });
});

describe('icmpCounterpart', () => {
  it('ICMPv4 request/reply pairs and one-way types', () => {
    const pairs = [[8, 0], [13, 14], [15, 16], [10, 9], [17, 18]];
    for (const [a, b] of pairs) {
      expect(icmpCounterpart(false, a)).toBe(b);
      expect(icmpCounterpart(false, b)).toBe(a);
    }
    expect(icmpCounterpart(false, 3)).toBe(-1); // unreachable
    expect(icmpCounterpart(false, 11)).toBe(-1); // time exceeded
    expect(icmpCounterpart(false, 5)).toBe(-1); // redirect
  });

  it('ICMPv6 request/reply pairs and one-way types', () => {
    const pairs = [[128, 129], [133, 134], [135, 136], [130, 131], [139, 140], [144, 145]];
    for (const [a, b] of pairs) {
      expect(icmpCounterpart(true, a)).toBe(b);
      expect(icmpCounterpart(true, b)).toBe(a);
    }
    expect(icmpCounterpart(true, 1)).toBe(-1);
    expect(icmpCounterpart(true, 137)).toBe(-1); // redirect
    expect(icmpCounterpart(true, 8)).toBe(-1); // the v4 echo type means nothing in v6
  });
});

describe('ZeekState in a shared buffer', () => {
  it('keeps the history of a slot that lies past 4 GiB of the buffer (a byte view cannot reach it)', () => {
    // 1100 slots of 4 MiB: the last slot's history starts about 4.6 GB in. Untouched pages stay unallocated.
    const words = 1 << 20, cap = 1100;
    const z = new ZeekState(cap, { words, u: 0, g: 16, hist: 1024 }, new ArrayBuffer(cap * words * 4));
    const near = 3, far = cap - 1;
    for (const slot of [near, far]) {
      z.init(slot, 6, false);
      feed(z, slot, [[1, SYN, 1000, 0, 0, 1024], [0, SYN | ACK, 5000, 1001, 0, 1024], [1, ACK, 1001, 5001, 0, 1024]]);
    }
    expect(hist(z, far)).toBe('ShA');
    expect(hist(z, near)).toBe('ShA');
    expect(CONN_STATE_NAMES[z.connState(far)]).toBe('S1');
    // A history that starts with an unflipped SYN-ACK and turns around ("H" -> "^h") past 4 GiB too.
    z.init(far, 6, false);
    feed(z, far, [[1, SYN | ACK, 5000, 1001, 0, 1024], [0, ACK, 1001, 5001, 0, 1024]]);
    expect(hist(z, far)).toBe('^hA');
    expect(z.swapped(far)).toBe(true);
  });

  it('refuses a layout whose history does not start on a word', () => {
    expect(() => new ZeekState(2, { words: 64, u: 0, g: 16, hist: 1022 }, new ArrayBuffer(2 * 64 * 4))).toThrow(/word/);
  });
});

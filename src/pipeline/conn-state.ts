import { TCP_ENDPOINT, zeekConnState } from '../flow/zeek-state.js';

const { INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET } = TCP_ENDPOINT;

/** How far along a TCP endpoint is, for joining the parts of a flow cut by a range boundary. */
export function endpointRank(state: number): number {
  switch (state) {
    case INACTIVE: return 0;
    case SYN_SENT: case SYN_ACK_SENT: case PARTIAL: return 1;
    case ESTABLISHED: return 2;
    case CLOSED: return 3;
    case RESET: return 4;
    default: return 0;
  }
}

/** /^\^?S[^HAFGIQ]*R/ over history letters. */
function rstos0(h: Uint8Array, off: number, len: number): boolean {
  let i = off;
  const end = off + len;
  if (i < end && h[i] === 0x5e) i++;
  if (i >= end || h[i] !== 0x53) return false;
  for (i++; i < end; i++) {
    const c = h[i];
    if (c === 0x52) return true;
    if (c === 0x48 || c === 0x41 || c === 0x46 || c === 0x47 || c === 0x49 || c === 0x51) return false;
  }
  return false;
}

/** conn_state of a joined flow, from its merged endpoint states and history. */
export function connStateFrom(proto: number, os: number, rs: number, oSize: number, rSize: number,
  hist: Uint8Array, histOff: number, histLen: number): number {
  return zeekConnState(proto, os, rs, oSize, rSize, rstos0(hist, histOff, histLen));
}

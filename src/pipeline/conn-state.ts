import { CONN_STATE, TCP_ENDPOINT } from '../flow/zeek-state.js';

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

/**
 * Zeek's conn_state (base/protocols/conn/main.zeek) from the endpoint states of a joined flow.
 * For UDP and others the states are 1 when that side sent anything.
 */
export function connStateFrom(proto: number, os: number, rs: number, oSize: number, rSize: number,
  hist: Uint8Array, histOff: number, histLen: number): number {
  if (proto === 6) {
    const oInactive = os === INACTIVE || os === PARTIAL;
    const rInactive = rs === INACTIVE || rs === PARTIAL;
    if (rs === RESET) {
      if (os === SYN_SENT || os === SYN_ACK_SENT || (os === RESET && oSize === 0 && rSize === 0)) return CONN_STATE.REJ;
      return oInactive ? CONN_STATE.RSTRH : CONN_STATE.RSTR;
    }
    if (os === RESET) {
      if (rInactive) return rstos0(hist, histOff, histLen) ? CONN_STATE.RSTOS0 : CONN_STATE.OTH;
      return CONN_STATE.RSTO;
    }
    if (rs === CLOSED && os === CLOSED) return CONN_STATE.SF;
    if (os === CLOSED) return rInactive ? CONN_STATE.SH : CONN_STATE.S2;
    if (rs === CLOSED) return oInactive ? CONN_STATE.SHR : CONN_STATE.S3;
    if (os === SYN_SENT && rs === INACTIVE) return CONN_STATE.S0;
    if (os === ESTABLISHED && rs === ESTABLISHED) return CONN_STATE.S1;
    return CONN_STATE.OTH;
  }
  if (proto === 17) {
    if (os) return rs ? CONN_STATE.SF : CONN_STATE.S0;
    return rs ? CONN_STATE.SHR : CONN_STATE.OTH;
  }
  return CONN_STATE.OTH;
}

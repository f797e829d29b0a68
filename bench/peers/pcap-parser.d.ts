declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  export function parse(input: string | NodeJS.ReadableStream): EventEmitter;
}

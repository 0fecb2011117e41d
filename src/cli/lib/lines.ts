import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CliError } from '../context.js';

export interface Line {
  /** 1-based line number in the input. */
  no: number;
  text: string;
}

/**
 * Splits a stream into lines as it arrives, holding one chunk and one partial line at a time:
 * async iteration of the stream pulls the next chunk only when the consumer asks for it.
 * `\r\n` endings and a leading byte-order mark are accepted.
 */
export async function* readLines(
  input: Readable,
  { maxLineBytes = 8 * 1024 * 1024, onBytes }: { maxLineBytes?: number; onBytes?: (n: number) => void } = {},
): AsyncGenerator<Line> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let no = 0;
  const take = (text: string): Line => {
    no += 1;
    const clean = (no === 1 ? text.replace(/^\uFEFF/, '') : text).replace(/\r$/, '');
    return { no, text: clean };
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    onBytes?.(buf.length);
    rest += decoder.write(buf);
    let start = 0;
    for (let nl = rest.indexOf('\n'); nl !== -1; nl = rest.indexOf('\n', start)) {
      yield take(rest.slice(start, nl));
      start = nl + 1;
    }
    rest = rest.slice(start);
    if (rest.length > maxLineBytes) {
      throw new CliError(
        `Line ${no + 1} is over ${Math.round(maxLineBytes / 1048576)} MiB long; is this NDJSON?`,
      );
    }
  }
  rest += decoder.end();
  if (rest.length > 0) yield take(rest);
}

/**
 * The items of `source`, asking for the next one as soon as the current one is handed out:
 * while the consumer renders and writes a page, the database is already producing the next,
 * so the two overlap instead of alternating. At most two items are held at once.
 */
export async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  const ask = () => {
    const p = source.next();
    // Marked handled at once: a read that fails while the consumer is busy would otherwise be
    // an unhandled rejection; it is rethrown when the consumer awaits it.
    p.catch(() => undefined);
    return p;
  };
  let next = ask();
  try {
    for (;;) {
      const item = await next;
      if (item.done) return;
      next = ask();
      yield item.value;
    }
  } finally {
    // Stopped early (cancelled, or the output failed): settle the read in flight, then end
    // the source so it releases what it holds.
    await next.catch(() => undefined);
    await source.return(undefined);
  }
}

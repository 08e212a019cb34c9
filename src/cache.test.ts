import { createCache, createLoadingCache, load } from './cache';

/** A clock moved by hand; it starts away from 0, which lru-cache reads as "no start time". */
function fakeClock(startMs = 1_000_000) {
  let ms = startMs;
  return { now: () => new Date(ms), advance: (by: number) => (ms += by) };
}

describe('createCache', () => {
  it('when the injected clock passes the TTL, then the entry is gone (nothing sleeps)', () => {
    const clock = fakeClock();
    const cache = createCache<string, string>(clock.now, { max: 10, ttlMs: 1000 });
    cache.set('a', 'x');
    clock.advance(1000);
    expect(cache.get('a')).toBe('x');
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
  });

  it('when the clock is moved several times within one millisecond of real time, then every move counts', () => {
    const clock = fakeClock();
    const cache = createCache<string, string>(clock.now, { max: 10, ttlMs: 1000 });
    cache.set('a', 'x');
    expect(cache.get('a')).toBe('x');
    clock.advance(5000);
    expect(cache.has('a')).toBe(false);
  });

  it('when more entries than `max` are set, then the least recently used goes first', () => {
    const clock = fakeClock();
    const cache = createCache<string, number>(clock.now, { max: 2, ttlMs: 60_000 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect([...cache.keys()].sort()).toEqual(['a', 'c']);
  });

  it('when an entry is evicted, then `dispose` is told', () => {
    const clock = fakeClock();
    const gone: string[] = [];
    const cache = createCache<string, string>(clock.now, {
      max: 1,
      ttlMs: 60_000,
      dispose: (v) => void gone.push(v),
    });
    cache.set('a', 'x');
    cache.set('b', 'y');
    expect(gone).toEqual(['x']);
  });
});

describe('createLoadingCache', () => {
  it('when a key is missing or stale, then the loader runs (given the stale value), once for concurrent callers', async () => {
    const clock = fakeClock();
    const cache = createLoadingCache<string, { n: number }>(clock.now, { max: 10, ttlMs: 1000 });
    const seen: Array<number | undefined> = [];
    let n = 0;
    const loader = async (stale: { n: number } | undefined) => {
      seen.push(stale?.n);
      return { n: (n += 1) };
    };
    const [a, b] = await Promise.all([load(cache, 'k', loader), load(cache, 'k', loader)]);
    expect([a.n, b.n]).toEqual([1, 1]);
    expect((await load(cache, 'k', loader)).n).toBe(1);
    clock.advance(1001);
    expect((await load(cache, 'k', loader)).n).toBe(2);
    expect(seen).toEqual([undefined, 1]);
  });

  it('when the entry is deleted while it loads, then the caller still gets the value, and it is not kept', async () => {
    const clock = fakeClock();
    const cache = createLoadingCache<string, string>(clock.now, { max: 10, ttlMs: 1000 });
    let release: (v: string) => void = () => {};
    const pending = load(cache, 'k', () => new Promise<string>((r) => (release = r)));
    cache.delete('k');
    release('v');
    expect(await pending).toBe('v');
    expect(cache.has('k')).toBe(false);
  });
});

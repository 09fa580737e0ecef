// Seeded pseudo-random numbers (mulberry32), so the sandbox is reproducible from a seed.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, maxInclusive]. */
  int(min: number, maxInclusive: number): number;
  pick<T>(arr: readonly T[]): T;
  chance(p: number): boolean;
  weighted<T>(items: readonly { value: T; weight: number }[]): T;
  /** Fisher–Yates, in place; returns the same array. */
  shuffle<T>(arr: T[]): T[];
  /** An independent stream derived from this one's seed and a label; does not advance this stream. */
  fork(label: string): Rng;
}

/** Folds any finite number (including Date.now()-sized ones) into 32 bits. */
function toUint32(seed: number): number {
  const n = Math.floor(Math.abs(seed));
  return ((n % 0x100000000) ^ Math.floor(n / 0x100000000)) >>> 0;
}

/** Murmur3 finaliser: spreads nearby seeds far apart. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hashLabel(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return mix(h >>> 0);
}

export function createRng(seed: number): Rng {
  const base = mix(toUint32(seed));
  let state = base;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  };
  const int = (min: number, maxInclusive: number): number => min + Math.floor(next() * (maxInclusive - min + 1));
  return {
    next,
    int,
    pick<T>(arr: readonly T[]): T {
      if (arr.length === 0) throw new Error('pick from an empty array');
      return arr[int(0, arr.length - 1)] as T;
    },
    chance: (p) => next() < p,
    weighted<T>(items: readonly { value: T; weight: number }[]): T {
      const total = items.reduce((s, i) => s + Math.max(0, i.weight), 0);
      if (!(total > 0)) throw new Error('weighted pick needs a positive total weight');
      let r = next() * total;
      for (const item of items) {
        r -= Math.max(0, item.weight);
        if (r < 0) return item.value;
      }
      // Floating-point leftovers land on the last item with weight.
      return [...items].reverse().find((i) => i.weight > 0)!.value;
    },
    shuffle<T>(arr: T[]): T[] {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = int(0, i);
        [arr[i], arr[j]] = [arr[j] as T, arr[i] as T];
      }
      return arr;
    },
    fork: (label) => createRng(hashLabel(base, label)),
  };
}

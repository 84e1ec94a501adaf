// A small seeded PRNG: splits and augmentation draws are reproducible from a seed.

/** A seeded stream of draws in [0, 1) whose position can be read and returned to. */
export interface SeededRandom {
  (): number;
  /** Where the stream stands now (its 32-bit state). */
  position(): number;
  /** Back (or on) to a position read earlier: the draws from there repeat exactly. */
  seek(position: number): void;
}

/** mulberry32: fast, 32-bit state, good enough for shuffles and augmentation. */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, {
    position: () => state,
    seek: (position: number) => {
      state = position >>> 0;
    },
  });
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** fast.ai's split_by_rand_pct(0.2, seed): shuffle with the seed, the first 20% validate. */
export function splitIds(
  ids: readonly number[],
  seed: number,
  validPct = 0.2,
): { train: number[]; valid: number[] } {
  const order = shuffle(
    [...ids].sort((a, b) => a - b),
    seededRandom(seed),
  );
  const cut = Math.round(order.length * validPct);
  return { valid: order.slice(0, cut), train: order.slice(cut) };
}

/**
 * A run's three streams, each seeded from the split seed: shuffling and augmentation; dropout (its
 * own stream, so prefetching batches cannot reorder its draws); mixup (its own, so turning mixup on
 * changes nothing else of a run).
 */
export class RunRandom {
  private streams!: { augment: SeededRandom; dropout: SeededRandom; mixup: SeededRandom };

  constructor(private readonly seed: number) {
    this.restart();
  }

  /** Every stream back to its start, as a new model starts. */
  restart(): void {
    this.streams = {
      augment: seededRandom(this.seed + 1),
      dropout: seededRandom(this.seed + 2),
      mixup: seededRandom(this.seed + 3),
    };
  }

  /** Shuffling and augmentation draws. */
  get augment(): SeededRandom {
    return this.streams.augment;
  }

  /** Mixup's draws. */
  get mixup(): SeededRandom {
    return this.streams.mixup;
  }

  /** The next dropout mask's seed (one per pass). */
  dropoutSeed(): number {
    return Math.floor(this.streams.dropout() * 2 ** 31);
  }

  /** Where every stream stands now; calling the result returns them all there (see lrFind). */
  bookmark(): () => void {
    const streams = Object.values(this.streams);
    const positions = streams.map((s) => s.position());
    return () => streams.forEach((s, i) => s.seek(positions[i]));
  }
}

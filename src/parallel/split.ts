// Kernel exports that run in parts on the pool's threads: the calling thread takes the first
// part, each worker one of the others (src/core/split.ts says how each kernel splits).

import type { ConcurrentKernel, KernelDtype, Split, Splits } from "../core/split.js";
import type { KernelExports } from "../core/wasm.js";
import type { Pool } from "./pool.js";

type Kernel = (...args: number[]) => number | undefined;

/** Elements of work per part at least: below, waking a worker costs more than the part it would run. */
export const MIN_PART = 32768;

/** An export's name without its dtype prefixes, and its dtype (f32_f16_attend: attend, f32). */
function nameOf(key: string): [string, KernelDtype] | undefined {
  const m = /^(f16|f32|f64)_(?:f(?:16|32|64)_)*(.+)$/.exec(key);
  return m ? [m[2], m[1] as KernelDtype] : undefined;
}

/** A work area of each worker, grown as calls need (alloc gives the address of `bytes` bytes). */
class WorkAreas {
  readonly #areas: { ptr: number; bytes: number }[] = [];
  alloc: ((bytes: number) => number) | undefined;

  of(t: number, bytes: number): number {
    const area = this.#areas[t];
    if (area && area.bytes >= bytes) return area.ptr;
    const ptr = (this.alloc as (bytes: number) => number)(bytes);
    this.#areas[t] = { ptr, bytes };
    return ptr;
  }
}

export class Splitter {
  #pool: Pool | undefined;
  /** [module index, export name] of every export the workers run, by index (the workers' table). */
  readonly table: [number, string][] = [];
  readonly work = new WorkAreas();

  /** The table entries of a module's splittable exports (before the workers start: they take the table). */
  register(module: number, exports: KernelExports, splits: Splits): void {
    for (const key of Object.keys(exports)) {
      const name = nameOf(key);
      if (name && splits[name[0]] && typeof exports[key] === "function") this.table.push([module, key]);
    }
  }

  /** The workers to run parts on. */
  use(pool: Pool): void {
    this.#pool = pool;
  }

  /** The module's exports with its splittable kernels replaced by their split twins. */
  wrap(module: number, exports: KernelExports, splits: Splits): KernelExports {
    const wrapped: KernelExports = { ...exports };
    this.table.forEach(([m, key], index) => {
      if (m !== module) return;
      const [name, dtype] = nameOf(key) as [string, KernelDtype];
      wrapped[key] = this.#split(exports[key] as Kernel, index, splits[name], dtype, exports, key);
    });
    return wrapped;
  }

  #split(kernel: Kernel, index: number, s: Split, dtype: KernelDtype, exports: KernelExports, key: string): Kernel {
    const work = this.work;
    /** Runs `own` here and each of `others` on a worker (with a work area of its own), waiting for all. */
    const run = (own: number[], others: number[][]): number | undefined => {
      const pool = this.#pool as Pool;
      others.forEach((part, t) => {
        if (s.work) part[s.work[0]] = work.of(t, s.work[1](part, dtype, exports, key));
        pool.post(t, index, part);
      });
      let result: number | undefined;
      let failure: unknown;
      try {
        result = kernel(...own);
      } catch (error) {
        failure = error;
      }
      // Every part is waited for, also after an error: none may still write when the call returns.
      for (let t = 0; t < others.length; t++) {
        try {
          const value = pool.join(t);
          if (s.returnsLast) result = value;
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure;
      return result;
    };
    const split = (...args: number[]): number | undefined => {
      const pool = this.#pool as Pool;
      const count = args[s.count];
      const cost = s.cost ? s.cost(args) : count * args[s.k as number];
      const parts = Math.min(pool.size + 1, count, Math.floor(cost / MIN_PART));
      if (parts < 2) return kernel(...args);
      const base = Math.floor(count / parts);
      const extra = count % parts;
      const k = s.k === undefined ? 0 : args[s.k];
      const partOf = (start: number, n: number): number[] => {
        const part = args.slice();
        if (s.range) {
          part[s.range[0]] = args[s.range[0]] + start;
          part[s.range[1]] = args[s.range[0]] + start + n;
        } else {
          part[s.count] = n;
          for (const [arg, stride] of s.strides ?? []) if (part[arg] !== 0) part[arg] += start * stride(k, dtype);
        }
        return part;
      };
      const own = base + (extra > 0 ? 1 : 0);
      const others: number[][] = [];
      for (let t = 0, start = own; t < parts - 1; t++) {
        const n = base + (t + 1 < extra ? 1 : 0);
        others.push(partOf(start, n));
        start += n;
      }
      return run(partOf(0, own), others);
    };
    const concurrent: ConcurrentKernel = Object.assign(split, {
      threads: (this.#pool as Pool).size + 1,
      all: (calls: readonly (readonly number[])[]) => {
        if (calls.length > concurrent.threads) throw new RangeError(`at most ${concurrent.threads} calls at once (got ${calls.length})`);
        run(calls[0].slice(), calls.slice(1).map((call) => call.slice()));
      },
    });
    return concurrent;
  }
}

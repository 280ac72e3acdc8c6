// Kernel exports that run by ranges of rows on the pool's threads: the calling thread takes the
// first range, each worker one of the others (src/core/split.ts says what moves with a row).

import type { RowSplit, RowSplits } from "../core/split.js";
import type { KernelExports } from "../core/wasm.js";
import type { Pool } from "./pool.js";

type Kernel = (...args: number[]) => number | undefined;

/** Elements per range at least: below, waking a worker costs more than the range it would run. */
export const MIN_PART = 32768;

const SIZE: Record<string, number> = { f32: 4, f64: 8 };

/** A work area of each worker, grown as calls need (alloc gives the address of `bytes` bytes). */
class WorkAreas {
  readonly #areas: { ptr: number; bytes: number }[] = [];
  alloc: ((bytes: number) => number) | undefined;

  of(t: number, bytes: number): number {
    const area = this.#areas[t];
    if (area && area.bytes >= bytes) return area.ptr;
    if (!this.alloc) throw new Error("softmax-wasm: parallel work areas asked for before the kernels exist");
    const ptr = this.alloc(bytes);
    this.#areas[t] = { ptr, bytes };
    return ptr;
  }
}

export class Splitter {
  #pool: Pool | undefined;
  /** [module index, export name] of every export the workers run, by index (the workers' table). */
  readonly table: [number, string][] = [];
  readonly work = new WorkAreas();

  /** The workers to run ranges on (from the start of the pool, which needs the table). */
  use(pool: Pool): void {
    this.#pool = pool;
  }

  /** The table entries of a module's splittable exports (call before the workers start). */
  register(module: number, splits: RowSplits): void {
    for (const name of Object.keys(splits)) for (const dtype of ["f32", "f64"]) this.table.push([module, `${dtype}_${name}`]);
  }

  /** The module's exports with its splittable kernels replaced by their split twins. */
  wrap(module: number, exports: KernelExports, splits: RowSplits): KernelExports {
    const wrapped: KernelExports = { ...exports };
    for (const name of Object.keys(splits)) {
      for (const dtype of ["f32", "f64"]) {
        const key = `${dtype}_${name}`;
        const index = this.table.findIndex(([m, n]) => m === module && n === key);
        wrapped[key] = this.#split(exports[key] as Kernel, index, splits[name], SIZE[dtype]);
      }
    }
    return wrapped;
  }

  #split(kernel: Kernel, index: number, s: RowSplit, size: number): Kernel {
    const work = this.work;
    return (...args) => {
      const pool = this.#pool as Pool;
      const rows = args[s.rows];
      const k = args[s.k];
      const parts = Math.min(pool.size + 1, rows, Math.floor((rows * k) / MIN_PART));
      if (parts < 2) return kernel(...args);
      const base = Math.floor(rows / parts);
      const extra = rows % parts;
      const own = base + (extra > 0 ? 1 : 0);
      let start = own;
      for (let t = 0; t < parts - 1; t++) {
        const n = base + (t + 1 < extra ? 1 : 0);
        const part = args.slice();
        part[s.rows] = n;
        for (const [arg, stride] of s.strides) if (part[arg] !== 0) part[arg] += start * stride(k, size);
        if (s.work) part[s.work[0]] = work.of(t, s.work[1](k, size));
        pool.post(t, index, part);
        start += n;
      }
      const first = args.slice();
      first[s.rows] = own;
      let result: number | undefined;
      let failure: unknown;
      try {
        result = kernel(...first);
      } catch (error) {
        failure = error;
      }
      // Every part is waited for, also after an error: none may still write when the call returns.
      for (let t = 0; t < parts - 1; t++) {
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
  }
}

// The calling thread's side of parallel()'s workers: starting them, giving each a part of a
// kernel call through its slot of the control block (control.ts), waiting for the parts, and
// ending them. The caller runs a part itself while the workers run theirs.

import { ARGC, ARGS, DONE, FAILED, FN, MAX_ARGS, type Ready, RESULT, SEQ, SLOT_BYTES, STOP, type Setup, TEXT, TEXT_LENGTH } from "./control.js";

/** A worker thread as the pool sees it: a Web Worker or a node:worker_threads Worker. */
export interface Thread {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/** Makes a worker thread that runs dist/parallel/worker.js. */
export type Spawn = () => Thread;

/** The Error kinds a kernel may throw, by name, so that a worker's error rejects as the same kind. */
const KINDS: Record<string, new (message: string) => Error> = {
  RangeError,
  TypeError,
  RuntimeError: WebAssembly.RuntimeError,
  CompileError: WebAssembly.CompileError,
  LinkError: WebAssembly.LinkError,
};

function errorOf(name: string, message: string): Error {
  return new (KINDS[name] ?? Error)(message);
}

/** The first message of a thread. */
function firstMessage(thread: Thread): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const t = thread as Thread & {
      once?: (event: string, listener: (value: unknown) => void) => void;
      addEventListener?: (event: string, listener: (event: { data?: unknown; message?: string; error?: unknown }) => void, options?: { once: boolean }) => void;
    };
    if (t.once) {
      t.once("message", resolve);
      t.once("error", reject);
    } else if (t.addEventListener) {
      t.addEventListener("message", (event) => resolve(event.data), { once: true });
      t.addEventListener("error", (event) => reject(event.error ?? new Error(`softmax-wasm: a parallel worker failed to start (${event.message ?? "no message"})`)), { once: true });
    }
  });
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not: it spins instead). */
function mayWait(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

export class Pool {
  readonly #threads: Thread[];
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  readonly #text: Uint16Array;
  readonly #wait = mayWait();
  #closed = false;

  private constructor(threads: Thread[], control: SharedArrayBuffer) {
    this.#threads = threads;
    this.#i32 = new Int32Array(control);
    this.#f64 = new Float64Array(control);
    this.#text = new Uint16Array(control);
  }

  /** Starts `count` workers over the memory and the modules; rejects with a worker's setup error (then none is left running). */
  static async start(spawn: Spawn, count: number, setup: Omit<Setup, "control" | "slot">): Promise<Pool> {
    const control = new SharedArrayBuffer(Math.max(1, count) * SLOT_BYTES);
    const threads: Thread[] = [];
    try {
      for (let slot = 0; slot < count; slot++) threads.push(spawn());
      const answers = threads.map((thread, slot) => {
        const answer = firstMessage(thread);
        thread.postMessage({ ...setup, control, slot } satisfies Setup);
        return answer;
      });
      for (const answer of (await Promise.all(answers)) as Ready[]) {
        if (!answer.ready) throw errorOf(answer.name, `softmax-wasm: a parallel worker could not set up: ${answer.message}`);
      }
    } catch (error) {
      for (const thread of threads) thread.terminate();
      throw error;
    }
    return new Pool(threads, control);
  }

  /** Number of worker threads (the caller is one more). */
  get size(): number {
    return this.#threads.length;
  }

  /** Starts export `fn` with `args` on worker `t`. */
  post(t: number, fn: number, args: readonly number[]): void {
    if (args.length > MAX_ARGS) throw new RangeError(`a kernel takes at most ${MAX_ARGS} arguments here (got ${args.length})`);
    const i = (t * SLOT_BYTES) / 4;
    const f = (t * SLOT_BYTES) / 8;
    this.#i32[i + FN] = fn;
    this.#i32[i + ARGC] = args.length;
    this.#f64.set(args, f + ARGS);
    Atomics.add(this.#i32, i + SEQ, 1);
    Atomics.notify(this.#i32, i + SEQ);
  }

  /** Waits for worker t's part; returns its result, or throws its error. */
  join(t: number): number {
    const i = (t * SLOT_BYTES) / 4;
    const seq = Atomics.load(this.#i32, i + SEQ);
    for (let done = Atomics.load(this.#i32, i + DONE); done !== seq; done = Atomics.load(this.#i32, i + DONE)) {
      if (this.#wait) Atomics.wait(this.#i32, i + DONE, done);
    }
    if (this.#i32[i + FAILED]) {
      const at = (t * SLOT_BYTES) / 2 + TEXT;
      const text = String.fromCharCode(...this.#text.subarray(at, at + this.#i32[i + TEXT_LENGTH]));
      const [name, ...message] = text.split("\n");
      throw errorOf(name, `softmax-wasm: in a parallel worker: ${message.join("\n")}`);
    }
    return this.#f64[(t * SLOT_BYTES) / 8 + RESULT];
  }

  /** Ends every worker (each leaves its loop, then is terminated). */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (let t = 0; t < this.#threads.length; t++) this.post(t, STOP, []);
    return Promise.all(this.#threads.map((thread) => thread.terminate())).then(() => undefined);
  }
}

// The script of parallel()'s worker threads (a node:worker_threads Worker in Node, Deno and
// Bun; a Web Worker in browsers).
// It instantiates the shared-memory modules over the caller's memory, answers ready, then runs
// the parts of kernel calls the caller writes in its slot of the control block (control.ts),
// asleep in Atomics.wait between them, until it reads STOP.

import { ARGC, ARGS, DONE, FAILED, FN, type Ready, RESULT, SEQ, SLOT_BYTES, STOP, type Setup, TEXT, TEXT_LENGTH, TEXT_UNITS } from "./control.js";

interface Port {
  postMessage(message: unknown): void;
  on?(event: "message", listener: (data: unknown) => void): void;
  onmessage?: ((event: { data: unknown }) => void) | null;
  close?(): void;
}

type Kernel = (...args: number[]) => number | undefined;

const nodeProcess = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
const threads = nodeProcess?.getBuiltinModule?.("node:worker_threads") as { parentPort: Port | null } | undefined;
const port: Port = threads?.parentPort ?? (globalThis as unknown as Port);

/** Runs parts until STOP. */
function serve(kernels: Kernel[], control: SharedArrayBuffer, slot: number): void {
  const i32 = new Int32Array(control, slot * SLOT_BYTES, SLOT_BYTES / 4);
  const f64 = new Float64Array(control, slot * SLOT_BYTES, SLOT_BYTES / 8);
  const text = new Uint16Array(control, slot * SLOT_BYTES, SLOT_BYTES / 2);
  let seen = 0;
  for (;;) {
    Atomics.wait(i32, SEQ, seen);
    seen = Atomics.load(i32, SEQ);
    const fn = i32[FN];
    if (fn === STOP) return;
    try {
      const args = Array.from(f64.subarray(ARGS, ARGS + i32[ARGC]));
      f64[RESULT] = kernels[fn](...args) ?? 0;
      i32[FAILED] = 0;
    } catch (error) {
      const e = error as { name?: unknown; message?: unknown };
      const message = `${String(e?.name ?? "Error")}\n${String(e?.message ?? error)}`.slice(0, TEXT_UNITS);
      for (let i = 0; i < message.length; i++) text[TEXT + i] = message.charCodeAt(i);
      i32[TEXT_LENGTH] = message.length;
      i32[FAILED] = 1;
    }
    Atomics.store(i32, DONE, seen);
    Atomics.notify(i32, DONE);
  }
}

function setUp(setup: Setup): void {
  let kernels: Kernel[];
  try {
    const instances = setup.modules.map((m) => new WebAssembly.Instance(m, { env: { memory: setup.memory } }));
    kernels = setup.exports.map(([module, name]) => instances[module].exports[name] as Kernel);
    const missing = setup.exports.find((_, i) => typeof kernels[i] !== "function");
    if (missing) throw new TypeError(`not a softmax-wasm module: export ${missing[1]} is missing`);
  } catch (error) {
    const e = error as Error;
    port.postMessage({ ready: false, name: e.name, message: e.message } satisfies Ready);
    return;
  }
  port.postMessage({ ready: true } satisfies Ready);
  serve(kernels, setup.control, setup.slot);
  port.close?.();
}

if (port.on) port.on("message", (data) => setUp(data as Setup));
else port.onmessage = (event) => setUp(event.data as Setup);

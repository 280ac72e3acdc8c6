// The control block that parallel()'s calling thread and its workers share: one slot per worker,
// where the caller writes a part of a kernel call (which export, its arguments) and the worker
// writes back its result or its error. A SharedArrayBuffer apart from the wasm memory, so that
// growing the memory never moves it.

/** Bytes per slot: the fields and arguments, then the text of an error; a multiple of 128, so that two slots never share a cache line. */
export const SLOT_BYTES = 1024;
/** Int32 fields of a slot. */
export const SEQ = 0; // bumped by the caller for each part (the worker waits on it)
export const DONE = 1; // set by the worker to the SEQ it finished (the caller waits on it)
export const FN = 2; // index of the export to run; STOP ends the worker
export const ARGC = 3; // number of arguments
export const FAILED = 4; // 1 when the part threw: its error is in the text area
/** Float64 fields: the arguments from ARGS, the result at RESULT. */
export const ARGS = 4;
export const MAX_ARGS = 32;
export const RESULT = ARGS + MAX_ARGS;
/** UTF-16 text of an error (the name, a newline, the message): its length at TEXT_LENGTH, its units from TEXT. */
export const TEXT_LENGTH = 5;
export const TEXT = 128;
export const TEXT_UNITS = (SLOT_BYTES - TEXT * 2) / 2;
/** The FN that ends a worker. */
export const STOP = -1;

/** What a worker gets once: the modules to instantiate over the memory, the exports to run by index. */
export interface Setup {
  memory: WebAssembly.Memory;
  modules: WebAssembly.Module[];
  /** [module index, export name] of each export the caller may run, by FN. */
  exports: [number, string][];
  control: SharedArrayBuffer;
  slot: number;
}

/** What a worker answers to its Setup. */
export type Ready = { ready: true } | { ready: false; name: string; message: string };

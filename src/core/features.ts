// What the runtime validates: a few-byte probe module per feature (WebAssembly.validate,
// no compile, so no CSP trouble), as wasm-feature-detect does.

/** A module that uses one SIMD instruction (i32x4.splat): validates only where SIMD runs. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b, // code: i32.const 0; i32x4.splat; end
]);

/** Three i32x4.splat of 0, then f32x4.relaxed_madd: validates only where relaxed SIMD runs. */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x13, 0x01, 0x11, 0x00, // code section, one body of 17 bytes, no locals
  0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11, // 3 x (i32.const 0; i32x4.splat)
  0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd; end
]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** True where the runtime validates WebAssembly SIMD (no compile, so no CSP trouble). */
export function hasSimd(): boolean {
  return validates(SIMD_PROBE);
}

/** True where the runtime validates relaxed SIMD (fused multiply-add among others). */
export function hasRelaxedSimd(): boolean {
  return validates(RELAXED_SIMD_PROBE);
}

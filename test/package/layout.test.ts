// The layout's rule, checked on every run: imports point one way (families -> core), and no
// file reaches itself through its imports (scripts/layout.mjs).
import { describe, expect, it } from "vitest";
import { checkLayout } from "../../scripts/layout.mjs";

describe("source layout", () => {
  it("has no import cycle, and every family depends on the core only", () => {
    expect(checkLayout()).toEqual([]);
  });
});

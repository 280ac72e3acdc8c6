// The one function of node:fs/promises that src/node.ts uses (Node, Deno and Bun all have it);
// the build has no @types/node, so that no Node type reaches the browser entry's declarations.
declare module "node:fs/promises" {
  export function readFile(path: URL): Promise<Uint8Array<ArrayBuffer>>;
}

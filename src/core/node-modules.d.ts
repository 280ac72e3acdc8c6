// What src/node.ts and src/cli.ts use of Node's modules (Node, Deno and Bun all have them);
// the build has no @types/node, so that no Node type reaches the browser entry's declarations.
declare module "node:fs/promises" {
  export function readFile(path: URL): Promise<Uint8Array<ArrayBuffer>>;
}

declare module "node:process" {
  const process: {
    readonly argv: string[];
    exitCode: number | undefined;
    readonly stdout: { write(text: string): boolean };
    readonly stderr: { write(text: string): boolean };
  };
  export default process;
}

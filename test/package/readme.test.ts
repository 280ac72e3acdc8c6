// The README is read on npm, where relative links break: every link either points into the
// README itself, or is absolute and names a file (and heading) that exists in this repository
// (package.json's repository). The docs/*.md files ship in the package and link to each other
// and to the repository's files relatively; those files and headings exist too. The
// repository's own docs are the contract: none of them cites a document outside it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), "utf8");
const readme = read("README.md");
const pkg = JSON.parse(read("package.json"));
const REPO = "https://github.com/softmax-wasm/softmax-wasm";
const docs = readdirSync(path.join(root, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `docs/${f}`);

/** The markdown without its fenced code blocks. */
const prose = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, "");

/** Link and image targets of the markdown outside code blocks. */
function targets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

/** The anchors of a markdown file's headings; a repeated heading gets -1, -2, ... as on GitHub. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#+ (.+)$/gm)) {
    const anchor = anchorOf(m[1]);
    const n = seen.get(anchor) ?? 0;
    seen.set(anchor, n + 1);
    result.add(n === 0 ? anchor : `${anchor}-${n}`);
  }
  return result;
}

/** Checks that `file` (a path from the root) exists and, for markdown, holds the anchor. */
function expectTarget(file: string, anchor: string | undefined, link: string) {
  expect(existsSync(path.join(root, file)), `${link}: ${file} does not exist`).toBe(true);
  if (anchor === undefined) return;
  expect(file, `${link}: an anchor into a file that is not markdown`).toMatch(/\.md$/);
  expect(anchors(read(file)), `${link}: no heading #${anchor} in ${file}`).toContain(anchor);
}

describe("README", () => {
  const links = targets(readme);

  it("package.json names the repository, homepage and issues", () => {
    expect(pkg.repository).toEqual({ type: "git", url: `git+${REPO}.git` });
    expect(pkg.homepage).toBe(`${REPO}#readme`);
    expect(pkg.bugs).toBe(`${REPO}/issues`);
  });

  it("is read in five minutes: 300 lines at most", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(300);
  });

  it("has links, and none is relative (npm shows the README where relative links break)", () => {
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect(link, link).toMatch(/^(#|https:\/\/)/);
  });

  it("absolute links into the repository name files and headings that exist here", () => {
    const inRepo = links.filter((l) => l.startsWith(`${REPO}/`));
    expect(inRepo.length).toBeGreaterThanOrEqual(4);
    for (const link of inRepo) {
      const match = link.match(new RegExp(`^${REPO}/(?:blob|raw)/main/([^#?]+)(?:#(.+))?$`));
      expect(match, `${link} is not a file of the main branch`).not.toBeNull();
      const [, file, anchor] = match as RegExpMatchArray;
      expectTarget(file, anchor, link);
    }
  });

  it("links to the contract of every family and to every doc", () => {
    for (const doc of docs) expect(links, doc).toContain(`${REPO}/blob/main/${doc}`);
  });

  it("anchors name headings of the README", () => {
    const headings = anchors(readme);
    for (const link of links.filter((l) => l.startsWith("#"))) expect(headings, link).toContain(link.slice(1));
  });

  it("keeps the generated blocks' markers (bench/report.js and the sizes script fill them)", () => {
    expect(readme).toMatch(/<!-- speed table: [^\n]*-->[\s\S]*<!-- end of speed table -->/);
    expect(readme).toMatch(/<!-- sizes: [^\n]*-->[\s\S]*<!-- end of sizes -->/);
  });
});

describe.each(docs)("%s", (doc) => {
  const text = read(doc);
  const links = targets(text);

  it("relative links name files and headings that exist", () => {
    for (const link of links.filter((l) => !/^[a-z]+:/.test(l))) {
      const [target, anchor] = link.split("#") as [string, string | undefined];
      const file = target === "" ? doc : path.posix.normalize(path.posix.join(path.posix.dirname(doc), target));
      expect(file.startsWith("../"), `${link} leaves the repository`).toBe(false);
      expectTarget(file, anchor, link);
    }
  });

  it("absolute links into the repository name files that exist here", () => {
    for (const link of links.filter((l) => l.startsWith(`${REPO}/blob/`) || l.startsWith(`${REPO}/raw/`))) {
      const match = link.match(new RegExp(`^${REPO}/(?:blob|raw)/main/([^#?]+)(?:#(.+))?$`));
      expect(match, `${link} is not a file of the main branch`).not.toBeNull();
      const [, file, anchor] = match as RegExpMatchArray;
      expectTarget(file, anchor, link);
    }
  });
});

describe("the docs are the contract", () => {
  it("ship in the package", () => {
    expect(pkg.files).toContain("docs/*.md");
  });

  it("cite no document outside the repository (no SPEC)", () => {
    for (const file of ["README.md", ...docs]) expect(read(file), file).not.toMatch(/\bSPEC\b/);
  });
});

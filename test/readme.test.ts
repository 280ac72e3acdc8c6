// The README is read on npm, where only the tarball's files exist: every link either points
// into the README itself, or is absolute and names a file that exists in this repository
// (package.json's repository). The anchors name headings that exist.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const REPO = "https://github.com/softmax-wasm/softmax-wasm";

/** Link and image targets of the markdown outside code blocks. */
function targets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "");
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");

describe("README links", () => {
  const links = targets(readme);

  it("package.json names the repository, homepage and issues", () => {
    expect(pkg.repository).toEqual({ type: "git", url: `git+${REPO}.git` });
    expect(pkg.homepage).toBe(`${REPO}#readme`);
    expect(pkg.bugs).toBe(`${REPO}/issues`);
  });

  it("has links, and none is relative (the tarball holds no docs)", () => {
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect(link, link).toMatch(/^(#|https:\/\/)/);
  });

  it("absolute links into the repository name files that exist here", () => {
    const inRepo = links.filter((l) => l.startsWith(`${REPO}/`));
    expect(inRepo.length).toBeGreaterThanOrEqual(4);
    for (const link of inRepo) {
      const match = link.match(new RegExp(`^${REPO}/(?:blob|raw)/main/([^#?]+)$`));
      expect(match, `${link} is not a file of the main branch`).not.toBeNull();
      expect(existsSync(path.join(root, (match as RegExpMatchArray)[1])), link).toBe(true);
    }
  });

  it("anchors name headings of the README", () => {
    const headings = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1])));
    for (const link of links.filter((l) => l.startsWith("#"))) expect(headings, link).toContain(link.slice(1));
  });
});

// Every repository path the docs name exists: the README, docs/*.md and each
// folder's README. A path is a word that starts with one of the repository's
// top-level folders and a slash (`scripts/doctor.sh`), or a relative link
// target (`[x](../README.md)`). Where a path goes on with a placeholder
// (`nerdctl/out/<key>/`, `lib/<stack>/`), the part before it must exist. A
// path the project makes at run time and git ignores (`nerdctl/src`,
// `lib/dev/`) counts when git would ignore it.
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

function git(args: string[]): string {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" });
}

const tracked = git(["ls-files"]).split("\n").filter((f) => f !== "");
const docs = tracked.filter((f) => f === "README.md" || f.startsWith("docs/") || f.endsWith("/README.md")).filter((f) => f.endsWith(".md"));
const topFolders = [...new Set(tracked.filter((f) => f.includes("/")).map((f) => f.split("/")[0]))].filter((d) => !d.startsWith("."));

/** The path up to its first placeholder segment (`<key>`, `*`, `$X`, `…`, `NNNN-*`), without trailing punctuation. */
export function concretePart(p: string): string {
    const segments = p.split("/");
    const stop = segments.findIndex((s) => /[<>*{}$…]|\.\.\.|\b(NAME|NNNN|X\.Y\.Z)\b/.test(s));
    const kept = stop < 0 ? segments : segments.slice(0, stop);
    return kept.join("/").replace(/[.,;:]+$/, "");
}

/** The repository paths a Markdown text names, relative to the repository root. */
export function pathsNamed(file: string, text: string, folders: string[]): string[] {
    const found = new Set<string>();
    const word = new RegExp(`(?<![\\w./:@-])((?:${folders.map((f) => f.replace(/[.-]/g, "\\$&")).join("|")})/[^\\s\`)\\]"',;|]*)`, "g");
    for (const m of text.matchAll(word)) found.add(concretePart(m[1]));
    for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1])) continue; // a URL
        found.add(path.normalize(path.join(path.dirname(file), m[1])));
    }
    return [...found].filter((p) => p !== "" && !p.startsWith(".."));
}

// Words shaped like paths that name something else: nerdctl's container labels.
const NOT_PATHS = new Set(["nerdctl/ports", "nerdctl/default-network"]);

function exists(p: string): boolean {
    if (NOT_PATHS.has(p) || fs.existsSync(path.join(ROOT, p))) return true;
    // A folder the project makes (nerdctl/src) is ignored as a folder: ask both ways.
    return [p, `${p}/`].some((q) => spawnSync("git", ["check-ignore", "-q", "--no-index", q], { cwd: ROOT }).status === 0);
}

describe("repository paths named in the docs", () => {
    it("finds the docs and the paths in them", () => {
        assert.ok(docs.includes("README.md") && docs.includes("docs/architecture.md"), `docs found: ${docs.join(", ")}`);
        const named = pathsNamed("README.md", fs.readFileSync(path.join(ROOT, "README.md"), "utf8"), topFolders);
        assert.ok(named.includes("scripts/doctor.sh") && named.includes("docs/development.md"), `named in README.md: ${named.join(", ")}`);
    });

    for (const doc of docs) {
        it(`${doc}: every path it names exists`, () => {
            const missing = pathsNamed(doc, fs.readFileSync(path.join(ROOT, doc), "utf8"), topFolders).filter((p) => !exists(p));
            assert.deepStrictEqual(missing, [], `${doc} names paths that are not in the repository`);
        });
    }

    it("reads placeholders and link targets as a path up to the placeholder", () => {
        assert.deepStrictEqual(
            pathsNamed("docs/x.md", "see `nerdctl/out/<key>/`, `lib/<stack>/`, [r](../README.md#tools), [u](https://x/y), `module:scripts/x.go#F`, scripts/a.sh.", ["nerdctl", "lib", "scripts"]),
            ["nerdctl/out", "lib", "scripts/a.sh", "README.md"],
        );
        assert.strictEqual(concretePart("nerdctl/patches/<version>/NNNN-*.patch"), "nerdctl/patches");
        assert.strictEqual(concretePart("scripts/doctor-NAME.sh"), "scripts");
        assert.strictEqual(concretePart("provider/VERSION"), "provider/VERSION");
    });

    it("would catch a path that is not there", () => {
        const missing = pathsNamed("README.md", "run `scripts/no-such-script.sh`", topFolders).filter((p) => !exists(p));
        assert.deepStrictEqual(missing, ["scripts/no-such-script.sh"]);
    });
});

// Checks every source citation in docs/*.md against the pinned Go module
// sources (see tests/unit/lib/citations.ts for the citation form).
//
// Run: npx mocha -r ts-node/register tests/unit/docs-citations.test.ts
// DOCS_CITATIONS_DIR=/some/dir checks the *.md files of another folder instead
// (used to show that a wrong citation makes the test fail). GO=/path/to/go
// picks the go binary. Modules missing from the Go module cache are fetched
// with `go mod download` in the before() hook.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    Citation,
    MODULES,
    Problem,
    checkCitations,
    ensureModule,
    extractCitations,
    formatProblems,
    goDeclares,
} from "./lib/citations";

const DOCS_DIR = process.env.DOCS_CITATIONS_DIR
    ? path.resolve(process.env.DOCS_CITATIONS_DIR)
    : path.resolve(__dirname, "..", "..", "docs");

/** Minimum number of citations a code walk must carry. */
const MIN_CITATIONS_PER_CODEWALK = 40;

interface Doc {
    name: string;
    text: string;
}

function readDocs(dir: string): Doc[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".md"))
        .sort()
        .map((f) => ({ name: path.join(path.basename(dir), f), text: fs.readFileSync(path.join(dir, f), "utf8") }));
}

describe("source citations in docs/*.md", function () {
    let docs: Doc[] = [];
    let citations: Citation[] = [];
    let malformed: Problem[] = [];
    const moduleDirs = new Map<string, string>();

    before(function () {
        // Downloading a missing module can take minutes on a cold cache.
        this.timeout(30 * 60 * 1000);
        docs = readDocs(DOCS_DIR);
        for (const d of docs) {
            const ex = extractCitations(d.name, d.text);
            citations.push(...ex.citations);
            malformed.push(...ex.malformed);
        }
        // nerdctl is always needed: the self-test below resolves against it.
        const needed = new Set<string>(["nerdctl", ...citations.map((c) => c.module)]);
        for (const m of needed) {
            // Throws (and so fails the suite loudly) when the module cannot be had.
            moduleDirs.set(m, ensureModule(MODULES[m]));
        }
    });

    it("finds the docs, and each code walk carries citations", function () {
        assert.ok(docs.length > 0, `no Markdown files in ${DOCS_DIR}`);
        const walks = docs.filter((d) => /(^|\/)codewalk-[^/]*\.md$/.test(d.name));
        for (const w of walks) {
            const n = citations.filter((c) => c.doc === w.name).length;
            assert.ok(
                n >= MIN_CITATIONS_PER_CODEWALK,
                `${w.name} has ${n} citations; a code walk needs at least ${MIN_CITATIONS_PER_CODEWALK}`,
            );
        }
    });

    it("every citation names an existing file and a symbol declared in it, at the pinned version", function () {
        this.timeout(60 * 1000);
        const problems = [...malformed, ...checkCitations(citations, moduleDirs)];
        const summary = docs
            .map((d) => `${d.name}: ${citations.filter((c) => c.doc === d.name).length} citations`)
            .join("; ");
        assert.equal(
            problems.length,
            0,
            `${problems.length} bad citation(s) (${summary}):\n${formatProblems(problems)}`,
        );
    });

    describe("checker self-test", function () {
        const sample = [
            "Good: `nerdctl:cmd/nerdctl/container_run.go#runAction` and",
            "`nerdctl:pkg/netutil/netutil.go#CNIEnv.NetworkMap`, `nerdctl:pkg/netutil/cni_plugin_unix.go#bridgeConfig.GetPluginType`,",
            "`nerdctl:pkg/netutil/netutil_unix.go#DefaultCIDR`, `nerdctl:pkg/labels/labels.go#Ports`, `nerdctl:go.mod`,",
            "`nerdctl:cmd/nerdctl/main.go#Bold`. Not citations: `alpine:3.18`, `--network bridge`, `a:b`.",
            "Bad: `nerdctl:cmd/nerdctl/no_such_file.go#runAction`",
            "`nerdctl:cmd/nerdctl/container_run.go#noSuchFunction`",
            "`nerdctl:pkg/netutil/netutil.go#WrongType.NetworkMap`",
            "`nerdctl:pkg/ocihook/ocihook.go#handlerOpts.Run`",
            "`nerdtcl:pkg/ocihook/ocihook.go#Run`",
            "`nerdctl:pkg/ocihook/ocihook.go#Run()`",
            "`nerdctl:pkg/ocihook/ocihook.go`",
            "`nerdctl:go.mod#module`",
            "`nerdctl:../nerdctl@v1.5.0/go.mod`",
            "A wrapped one: `nerdctl:pkg/ocihook/",
            "ocihook.go#Run` and a wrapped non-citation `a b",
            "c` are told apart.",
            "",
            "New paragraph: `nerdctl:pkg/ocihook/ocihook.go#onPostStop`.",
            "```sh",
            "echo `nerdctl:inside/a/fence.go#Ignored`",
            "```",
        ].join("\n");

        it("accepts correct citations and reports every wrong one", function () {
            const ex = extractCitations("sample.md", sample);
            const problems = [...ex.malformed, ...checkCitations(ex.citations, moduleDirs)];
            const bad = problems.map((p) => p.raw).sort();
            assert.deepEqual(
                bad,
                [
                    "nerdctl:../nerdctl@v1.5.0/go.mod",
                    "nerdctl:cmd/nerdctl/container_run.go#noSuchFunction",
                    "nerdctl:cmd/nerdctl/no_such_file.go#runAction",
                    "nerdctl:go.mod#module",
                    "nerdctl:pkg/netutil/netutil.go#WrongType.NetworkMap",
                    "nerdctl:pkg/ocihook/ocihook.go",
                    "nerdctl:pkg/ocihook/ocihook.go#Run()",
                    "nerdctl:pkg/ocihook/ocihook.go#handlerOpts.Run",
                    "nerdtcl:pkg/ocihook/ocihook.go#Run",
                    "nerdctl:pkg/ocihook/ ocihook.go#Run",
                ].sort(),
                formatProblems(problems),
            );
            // Lines are reported, so a reader can find the citation.
            const missingFile = problems.find((p) => p.raw.includes("no_such_file"));
            assert.equal(missingFile?.line, 5);
            const broken = problems.find((p) => p.raw.includes(" "));
            assert.equal(broken?.line, 14);
            // The eight good citations were extracted and resolved.
            assert.equal(ex.citations.filter((c) => !problems.some((p) => p.raw === c.raw)).length, 8);
            assert.equal(ex.citations.find((c) => c.symbol === "onPostStop")?.line, 18);
        });

        it("recognises Go declaration shapes", function () {
            const src = [
                "package x",
                "func Plain(a int) {}",
                "func Generic[T any](t T) {}",
                "func (r *Recv) Ptr() {}",
                "func (Recv) Unnamed() {}",
                "func (m *Map[K, V]) Get(k K) V { var v V; return v }",
                "type Named struct{ Inner int }",
                "var Single = 1",
                "var a1, B2 = 1, 2",
                "const (",
                "\tFirst = iota",
                "\tSecond, Third = 1, 2",
                ")",
                "var (",
                "\tCmd = X{",
                "\t\tField: 1,",
                "\t}",
                ")",
            ].join("\n");
            for (const ok of ["Plain", "Generic", "Recv.Ptr", "Recv.Unnamed", "Map.Get", "Named", "Single", "B2", "First", "Third", "Cmd"]) {
                assert.ok(goDeclares(src, ok), `${ok} should be found`);
            }
            for (const no of ["Ptr", "Recv.Plain", "Field", "Inner", "Other.Get", "Plai"]) {
                assert.ok(!goDeclares(src, no), `${no} should not be found`);
            }
        });
    });
});

// program.js, the Pulumi program's entry point: its require hook transpiles
// a .ts file once per content into $NDIND_CACHE/program/, a changed file is
// transpiled again, a thrown error names the .ts line, a syntax error stops
// the load naming file and line. Each case runs in a child node (the hook is
// process-wide) with index.ts stood in for in the module cache, so that the
// program itself does not run.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

/** Loads program.js (index.ts stubbed), then FILE through its hook; returns what node printed. */
function load(cache: string, file: string): { status: number | null; out: string } {
    const script = `
        const index = require.resolve(${JSON.stringify(path.join(ROOT, "index.ts"))});
        require.cache[index] = { id: index, filename: index, loaded: true, exports: {}, children: [], paths: [] };
        require(${JSON.stringify(path.join(ROOT, "program.js"))});
        try {
            console.log("value " + require(${JSON.stringify(file)}).value());
        } catch (e) {
            console.log("error " + e.stack);
            process.exitCode = 3;
        }`;
    const r = spawnSync(process.execPath, ["-e", script], {
        encoding: "utf8",
        env: { ...process.env, NDIND_CACHE: cache },
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("program.js: the cached transpile of the program's .ts files", function () {
    this.timeout(60000);
    let dir: string;
    let cache: string;
    let file: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-program-"));
        cache = path.join(dir, "cache");
        file = path.join(dir, "sample.ts");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("transpiles once, keeps it, and transpiles again when the file changes", () => {
        fs.writeFileSync(file, "export function value(): number {\n    return 1;\n}\n");
        assert.match(load(cache, file).out, /^value 1$/m);
        const entries = fs.readdirSync(path.join(cache, "program"));
        assert.equal(entries.length, 1);
        const entry = path.join(cache, "program", entries[0]);
        const first = fs.readFileSync(entry, "utf8");
        // A second load takes the cached JavaScript: marked, the mark is run.
        fs.writeFileSync(entry, first.replace("return 1;", "return 11;"));
        assert.match(load(cache, file).out, /^value 11$/m);
        // The source changes: its new content is what runs, in the same entry.
        fs.writeFileSync(file, "export function value(): number {\n    return 2;\n}\n");
        assert.match(load(cache, file).out, /^value 2$/m);
        assert.deepEqual(fs.readdirSync(path.join(cache, "program")), entries);
    });

    it("names the .ts line of a thrown error", () => {
        fs.writeFileSync(file, 'type T = {\n    a: number;\n};\n\nexport function value(): T {\n    throw new Error("boom");\n}\n');
        const r = load(cache, file);
        assert.equal(r.status, 3, r.out);
        assert.match(r.out, /Error: boom/);
        assert.ok(r.out.includes(`${file}:6:11`), r.out);
    });

    it("stops at a syntax error, naming the file and line", () => {
        fs.writeFileSync(file, "export function value(): number {\n    return 1;\n}\nconst = 3;\n");
        const r = load(cache, file);
        assert.equal(r.status, 3, r.out);
        assert.ok(r.out.includes(`${file}:4:`), r.out);
        assert.ok(!fs.existsSync(path.join(cache, "program")) || fs.readdirSync(path.join(cache, "program")).length === 0);
    });
});

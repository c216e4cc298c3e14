// tests/upstream/skips.sh on `go test -v` output as Go 1.x prints it (taken
// from a real run): each skipped top-level test with its reason, subtests
// left to their parent, and a failure when a reference test is skipped.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const LOG = `=== RUN   TestA
    x_test.go:3: requires rootless
--- SKIP: TestA (0.00s)
=== RUN   TestB
    x_test.go:4: hello
--- PASS: TestB (0.00s)
=== RUN   TestC
=== RUN   TestC/sub
    x_test.go:5: sub skipped
--- PASS: TestC (0.00s)
    --- SKIP: TestC/sub (0.00s)
=== RUN   TestD
    x_test.go:6: no ipv6 here
--- SKIP: TestD (0.00s)
PASS
`;

/** skips.sh on LOG (twice over: a second pass, nerdctl 2.x's) with REFERENCE, and RAN when given. */
function skips(reference: string, ran?: string, log = LOG): { code: number; out: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-skips-"));
    try {
        fs.writeFileSync(path.join(dir, "log"), log);
        fs.writeFileSync(path.join(dir, "ref"), reference);
        const args = [path.join(dir, "log"), path.join(dir, "ref")];
        if (ran !== undefined) {
            fs.writeFileSync(path.join(dir, "ran"), ran);
            args.push(path.join(dir, "ran"));
        }
        const r = spawnSync("sh", [path.join(ROOT, "tests", "upstream", "skips.sh"), ...args], { encoding: "utf8" });
        return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("make test-upstream: skipped tests", () => {
    it("prints each skipped top-level test with its reason, and passes when none is in the reference list", () => {
        const r = skips("# comment\nTestB\nTestC\n");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /^ {2}TestA: requires rootless \(x_test\.go:3\)$/m);
        assert.match(r.out, /^ {2}TestD: no ipv6 here \(x_test\.go:6\)$/m);
        assert.doesNotMatch(r.out, /TestC/);
    });

    it("fails naming a test of the reference list that is now skipped", () => {
        const r = skips("TestD\n");
        assert.strictEqual(r.code, 1, r.out);
        assert.match(r.out, /TestD passed in the reference list .* and is now skipped: no ipv6 here/);
    });

    // nerdctl 2.x: each test runs in one of two passes (-test.only-flaky=false, =true) and is skipped in the other.
    it("leaves out a test that ran in another pass, and names a test skipped in both passes once", () => {
        const second = LOG.replace(/--- SKIP: TestA/, "--- PASS: TestA").replace(/--- PASS: TestB/, "--- SKIP: TestB");
        const r = skips("TestA\nTestB\n", "TestA\nTestB\nTestC\n", LOG + second);
        assert.strictEqual(r.code, 0, r.out);
        assert.doesNotMatch(r.out, /TestA|TestB/);
        assert.strictEqual(r.out.match(/^ {2}TestD: /gm)?.length, 1, r.out);
    });

    it("the committed reference list is the default set as measured: 23 tests", () => {
        const names = fs.readFileSync(path.join(ROOT, "tests", "upstream", "reference-pass.txt"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
        assert.strictEqual(names.length, 23);
    });
});

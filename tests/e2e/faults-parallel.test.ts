// Two at once (issue 31): two `make up` of two new stacks started at the same
// moment (they share the toolchain and its stamp, the bundle cache and the
// Pulumi backend), then two of one stack: the second waits for the first and
// says which runs, where Pulumi alone would fail it with "currently locked".
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CACHE, env, must, PREFIX, removeMadeStack, requirePrerequisites, ROOT, run } from "./harness";

const id = process.pid.toString(36);
const names = [`${PREFIX}-${id}-2a`, `${PREFIX}-${id}-2b`];

/** `make up STACK=name`, started now; resolves with its exit code and everything it printed. */
function makeUp(name: string): Promise<{ code: number; out: string; seconds: number }> {
    const t0 = Date.now();
    const child = spawn("make", ["up", `STACK=${name}`], { cwd: ROOT, env });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
    return new Promise((resolve) => child.on("exit", (code) => resolve({ code: code ?? 1, out, seconds: (Date.now() - t0) / 1000 })));
}

function serving(name: string): boolean {
    return run("docker", ["exec", `nerdctl-dind-${name}`, "ctr", "version"]).code === 0;
}

describe("two at once (end to end)", function () {
    before(() => requirePrerequisites());
    after(() => names.forEach((n) => removeMadeStack(n)));

    it("two make up of two new stacks started together: both succeed", async () => {
        // This checkout's toolchain stamp gone, as after a git pull: both
        // runs start the whole toolchain, which shares npm's folder and the cache.
        const stamp = path.join(CACHE, "stamps", `${must("sh", ["-c", `printf '%s' '${ROOT}' | cksum | cut -d' ' -f1`]).trim()}-toolchain`);
        fs.rmSync(stamp, { force: true });
        const [a, b] = await Promise.all(names.map(makeUp));
        for (const [r, name] of [[a, names[0]], [b, names[1]]] as const) {
            console.log(`      make up STACK=${name}: exit ${r.code} in ${r.seconds.toFixed(0)} s; ` +
                `${r.out.split("\n").filter((l) => /make toolchain in .* (holds it|waited)|Resources:|\+ \d+ created/.test(l)).map((l) => l.replace(/^.*>>> /, "").trim()).join("; ")}`);
            assert.strictEqual(r.code, 0, `make up STACK=${name} failed:\n${r.out.slice(-4000)}`);
            assert.match(r.out, /\+ \d+ created/);
            assert.ok(serving(name), `${name} does not serve`);
        }
        // Started together, the two toolchain runs overlapped: one waited for the other.
        assert.strictEqual([a, b].filter((r) => /toolchain: make toolchain in \S+ \(pid \d+, since [0-9:]+ UTC\) holds it; waiting for it to end/.test(r.out)).length, 1,
            `not exactly one toolchain run waited:\n${a.out}\n----\n${b.out}`);
    });

    it("two make up of one stack started together: the second waits for the first, saying so, and both succeed", async () => {
        const [a, b] = await Promise.all([makeUp(names[0]), makeUp(names[0])]);
        const waited = [a, b].filter((r) => /holds it; waiting for it to end/.test(r.out));
        for (const r of [a, b]) {
            assert.strictEqual(r.code, 0, r.out.slice(-4000));
            assert.doesNotMatch(r.out, /currently locked/);
        }
        assert.strictEqual(waited.length, 1, `not exactly one of the two waited:\n${a.out}\n----\n${b.out}`);
        const said = waited[0].out.split("\n").filter((l) => /holds it; waiting|waited \d+ s/.test(l)).map((l) => l.replace(/^.*>>> /, ""));
        console.log(`      the second: ${said.join(" / ")}`);
        assert.match(said.join("\n"), new RegExp(`stack ${names[0]} of \\S+: make up STACK=${names[0]} \\(pid \\d+, since [0-9:]+ UTC\\) holds it; waiting for it to end`));
        assert.match(said.join("\n"), /waited \d+ s; make up STACK=\S+ goes on/);
        assert.ok(serving(names[0]));
    });
});

// The Docker engine restarted (issue 31), as an engine upgrade or Docker
// Desktop's restart does: on a second dockerd of this test's own
// (tests/engine/dockerd.sh), reached through a Docker context, never the
// shared engine. The wrapper comes back by itself, serving, with its images;
// the inner container with a restart policy runs again; make status names
// the one without.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ALPINE_BASE, BUSYBOX, BUSYBOX_TAR, must, PREFIX, requirePrerequisites, run, Stack, waitFor } from "./harness";

const id = process.pid.toString(36);
const name = `${PREFIX}-${id}-eng`;
const context = `${PREFIX}-${id}-engine`;
const bridge = `ndind-${id}`.slice(0, 15);
// A network this machine does not route (dockerd.sh refuses one it does).
const cidr = `10.213.${process.pid % 250}.1/24`;

describe("the Docker engine restarted (end to end)", function () {
    // Short: the engine's containerd socket lives under it (108 bytes at most).
    const dir = fs.mkdtempSync("/tmp/ndind-eng-");
    const engine = (...args: string[]) => must("sh", ["tests/engine/dockerd.sh", ...args]);
    const docker = (...args: string[]) => run("docker", ["--context", context, ...args]);
    let s: Stack | undefined;

    const serving = () => docker("exec", s?.container ?? "", "ctr", "version").code === 0;
    // nerdctl 1.5.0 prints .Names as a list: [keeper].
    const innerUp = (c: string) => docker("exec", s?.container ?? "", "nerdctl", "ps", "--format", "{{.Names}}").out.split("\n").includes(`[${c}]`);

    before(() => {
        requirePrerequisites();
        engine("start", dir, bridge, cidr);
        must("docker", ["context", "create", context, "--docker", `host=unix://${path.join(dir, "docker.sock")}`]);
        // A local engine gets no copy of the base (only a remote one does): loaded here.
        must("sh", ["-c", `docker save ${ALPINE_BASE} | docker --context ${context} load -q`]);
        s = new Stack(name, { baseImage: ALPINE_BASE, preload: [BUSYBOX_TAR], dockerContext: context });
        s.up();
        for (const [c, policy] of [["keeper", ["--restart", "always"]], ["once", []]] as const) {
            const r = docker("exec", s.container, "nerdctl", "run", "-d", "--name", c, ...policy, BUSYBOX, "sleep", "100000");
            assert.strictEqual(r.code, 0, r.out);
        }
    });
    after(() => {
        s?.remove();
        run("docker", ["context", "rm", "-f", context]);
        run("sh", ["tests/engine/dockerd.sh", "down", dir, bridge]);
    });

    it("dockerd stopped and started: the wrapper serves again with its images, keeper runs again, make status names once", async () => {
        const w = s as Stack;
        const images = docker("exec", w.container, "nerdctl", "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").out;
        engine("stop", dir);
        assert.notStrictEqual(docker("version").code, 0, "the engine still answers after its stop");
        const t0 = Date.now();
        engine("start", dir, bridge, cidr);
        await waitFor("the wrapper serving after the engine's start", 60, serving);
        const back = (Date.now() - t0) / 1000;
        await waitFor("keeper running again by its policy", 60, () => innerUp("keeper"));
        const keeper = (Date.now() - t0) / 1000;
        await waitFor("the wrapper healthy", 60, () => docker("inspect", "-f", "{{.State.Health.Status}}", w.container).out.trim() === "healthy");
        const healthy = (Date.now() - t0) / 1000;
        console.log(`      dockerd start -> wrapper serving at ${back.toFixed(1)} s, keeper running at ${keeper.toFixed(1)} s, healthy at ${healthy.toFixed(1)} s`);
        assert.strictEqual(docker("exec", w.container, "nerdctl", "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").out, images);
        assert.ok(!innerUp("once"), "once, which has no restart policy, runs again");

        const status = must("make", ["-s", "status"]);
        const block = status.split("\n\n").find((b) => b.startsWith(name)) ?? "";
        console.log(block.split("\n").filter((l) => /wrapper|inner|images/.test(l)).map((l) => `      ${l.trim()}`).join("\n"));
        assert.match(block, /wrapper +nerdctl-dind-\S+: running, healthy/);
        assert.match(block, /inner +1 running; 1 not running: once \(no restart policy: nerdctl start once\)/);
    });
});

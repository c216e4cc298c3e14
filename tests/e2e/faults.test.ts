// Fault tests: each asserts that nothing is lost. Real engine, real stacks.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BASE_IMAGE, BUSYBOX, BUSYBOX_TAR, env, must, PREFIX, PROVIDER, requirePrerequisites, ROOT, run, Stack, waitFor } from "./harness";

const id = process.pid.toString(36);

function running(s: Stack): boolean {
    return run("docker", ["inspect", "-f", "{{.State.Running}}", s.container]).out.trim() === "true";
}

function serving(s: Stack): boolean {
    return running(s) && s.exec("ctr", "version").code === 0;
}

function assertNothingLost(s: Stack): void {
    assert.match(s.exec("nerdctl", "images").out, /busybox\s+ndind/, "the stored image is gone");
    assert.match(s.exec("nerdctl", "ps", "-a").out, /\bkeeper\b/, "the inner container is gone");
}

describe("faults (end to end)", function () {
    let s: Stack;

    before(() => {
        requirePrerequisites();
        s = new Stack(`${PREFIX}-${id}-f`, { baseImage: BASE_IMAGE, preload: [BUSYBOX_TAR] });
        s.up();
        const r = s.exec("nerdctl", "run", "-d", "--name", "keeper", "--restart", "always", BUSYBOX, "sleep", "100000");
        assert.strictEqual(r.code, 0, r.out);
    });
    after(() => s?.remove());

    it("containerd killed: it comes back, images and containers still listed", async () => {
        s.exec("sh", "-c", "kill -9 $(cat /run/nerdctl-dind/containerd.pid)");
        const t = await waitFor("containerd back", 30, () => serving(s));
        console.log(`      containerd serving again after ${t.toFixed(2)} s`);
        assertNothingLost(s);
        assert.match(s.exec("nerdctl", "ps").out, /\bkeeper\b/, "the inner container stopped running");
    });

    it("wrapper killed and started again: containerd serves, the restart-policy container runs again", async () => {
        must("docker", ["kill", s.container]);
        must("docker", ["start", s.container]);
        const t = await waitFor("containerd serving after docker start", 30, () => serving(s));
        console.log(`      docker start -> containerd serving in ${t.toFixed(2)} s`);
        assertNothingLost(s);
        await waitFor("keeper restarted by its policy", 60, () => /\bkeeper\b/.test(s.exec("nerdctl", "ps").out));
    });

    it("wrapper removed behind Pulumi's back: refresh + up recreate it, images still there", () => {
        must("docker", ["rm", "-f", s.container]);
        s.pulumi("refresh", "--yes", "--skip-preview");
        s.up();
        assert.ok(serving(s));
        assert.match(s.exec("nerdctl", "images").out, /busybox\s+ndind/);
        assert.match(String(s.outputs().prepareReport), /loaded=0 present=1/);
    });

    it("pulumi up interrupted during the image build, then run again: it completes", async () => {
        const t = new Stack(`${PREFIX}-${id}-i`, { baseImage: BASE_IMAGE });
        try {
            const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", t.name, "--non-interactive"],
                { cwd: ROOT, env });
            let out = "";
            child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
            child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
            const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
            await waitFor("the image build to start", 300, () => /image-build creating/.test(out));
            child.kill("SIGINT");
            const code = await exited;
            console.log(`      interrupted up exited ${code}`);
            assert.notStrictEqual(code, 0, `the interrupted up claims success:\n${out}`);
            t.up();
            assert.ok(serving(t));
        } finally {
            t.remove();
        }
    });

    it("make up killed (SIGKILL) while the wrapper is made: the next make up clears the dead lock, says whose, and completes", async () => {
        const name = `${PREFIX}-${id}-k`;
        const t = new Stack(name, { baseImage: BASE_IMAGE, preload: [BUSYBOX_TAR] });
        try {
            const child = spawn("make", ["up", `STACK=${name}`], { cwd: ROOT, env });
            let out = "";
            child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
            child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
            const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
            await waitFor("the wrapper to be created", 600, () => /wrapper-container creating/.test(out));
            // As the OOM killer or a closed lid would: the CLI itself, no chance to unlock.
            const pid = must("pgrep", ["-f", "--", `^pulumi --non-interactive --stack ${name} up`]).trim();
            must("kill", ["-KILL", pid]);
            assert.notStrictEqual(await exited, 0, `the killed up claims success:\n${out}`);
            const again = must("make", ["up", `STACK=${name}`]);
            console.log(`      ${again.split("\n").find((l) => /cleared the lock/.test(l))?.replace(/^.*>>> /, "")}`);
            assert.match(again, new RegExp(`stack ${name}: cleared the lock of \\S+ \\(pid ${pid}, since [0-9T:-]+Z\\): that pulumi no longer runs`));
            assert.ok(serving(t), "the stack does not serve after the second up");
            assert.match(t.exec("nerdctl", "images").out, /busybox\s+ndind/);
            assert.match(must("make", ["up", `STACK=${name}`]), /\d+ unchanged/);
        } finally {
            t.remove();
        }
    });

    describe("bad input: clear message, non-zero exit, nothing made, nothing lost", () => {
        let bad: Stack;
        beforeEach(() => { bad = new Stack(`${PREFIX}-${id}-bad`, { baseImage: BASE_IMAGE }); });
        afterEach(() => bad.remove());

        const resources = () => JSON.parse(bad.pulumi("stack", "export")).deployment.resources ?? [];

        const cases: [string, Record<string, string | string[]>, RegExp][] = [
            ["a bad port", { ports: ["80"] }, /nerdctl-dind:ports\[0\] is "80": write \[HOSTADDR:\]HOSTPORT:CONTAINERPORT/],
            ["a duplicate host port", { ports: ["18090:80", "18090:81"] }, /host port 18090\/tcp is already published/],
            ["a relative storage folder", { storageDir: "lib/x" }, /storageDir is "lib\/x": give an absolute path/],
            ["a missing parent folder", { storageDir: "/nonexistent-ndind/x" }, /its parent folder \/nonexistent-ndind does not exist/],
            ["a bad version", { containerdVersion: "latest" }, /containerdVersion is "latest": write a release as X.Y.Z/],
            ["a missing preload file", { preload: ["/nonexistent.tar"] }, /preload\[0\] is "\/nonexistent.tar": no such file/],
            ["a storage folder that is not writable", { storageDir: "/proc/ndind" }, /\/proc is not writable/],
            ["an unknown setting (a typo)", { registryMirror: "x" },
                /nerdctl-dind:registryMirror is not a setting of this project: did you mean registryMirrors\? remove it with pulumi config rm registryMirror/],
            ["an empty base image", { baseImage: "" }, /nerdctl-dind:baseImage is empty: give an image reference such as alpine:3\.23/],
            ["a host image the engine lacks", { hostImages: ["ndind-missing:none"] },
                /nerdctl-dind:hostImages\[0\] is "ndind-missing:none": no such image on the local engine; build or pull it there first/],
        ];
        for (const [what, config, message] of cases) {
            it(`refuses ${what} at preview`, () => {
                for (const [k, v] of Object.entries(config)) bad.set(k, v);
                const r = run("pulumi", ["preview", "--stack", bad.name, "--non-interactive"]);
                assert.notStrictEqual(r.code, 0);
                assert.match(r.out, message);
                assert.deepStrictEqual(resources(), []);
            });
        }

        it("reads a stack's plugins under the setting's old name, provider, and says how to rename it", () => {
            bad.pulumi("config", "rm", "plugins");
            bad.set("provider", PROVIDER);
            const r = run("pulumi", ["preview", "--stack", bad.name, "--non-interactive"]);
            assert.strictEqual(r.code, 0, r.out);
            assert.match(r.out, /nerdctl-dind:provider is the old name of nerdctl-dind:plugins; it is read for now\. Rename it: pulumi config set plugins/);
        });

        it("refuses a storage folder that another stack owns", () => {
            bad.set("storageDir", s.storage);
            const r = run("pulumi", ["up", "--yes", "--stack", bad.name, "--non-interactive"]);
            assert.notStrictEqual(r.code, 0);
            assert.match(r.out, new RegExp(`that folder holds the images of stack nerdctl-dind/${s.name}`));
            assertNothingLost(s);
        });

        it("a missing Docker engine fails with a clear message", () => {
            const r = run("sh", ["-c", `DOCKER_HOST=unix:///nonexistent.sock pulumi up --yes --stack ${bad.name} --non-interactive`]);
            assert.notStrictEqual(r.code, 0);
            assert.match(r.out, /Cannot connect to the Docker daemon at unix:\/\/\/nonexistent\.sock/);
        });

        it("a corrupt preload tarball fails prepare naming the file, and stored images stay", () => {
            const corrupt = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ndind-")), "corrupt.tar");
            fs.writeFileSync(corrupt, "this is not a tarball");
            bad.set("preload", [BUSYBOX_TAR, corrupt]);
            const r = run("pulumi", ["up", "--yes", "--skip-preview", "--stack", bad.name, "--non-interactive"]);
            assert.notStrictEqual(r.code, 0);
            assert.match(r.out, /preload corrupt\.tar could not be loaded/);
            assert.match(bad.exec("nerdctl", "images").out, /busybox\s+ndind/);
        });
    });
});

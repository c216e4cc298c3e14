// Foreign-architecture inner images (issue 28, item 5), the way a user gets
// them: `make binfmt` registers Debian's qemu-user-static in this kernel, a
// stack comes up with an arm64 image among its hostImages, `nerdctl run
// --platform linux/arm64` runs it inside the amd64 wrapper, `make load`
// carries it too, and `nerdctl build --platform linux/arm64` on it gives an
// arm64 image that runs. The image is made offline from Debian's
// busybox-static:arm64 (toolchain/busybox-arm64.sh). One stack, a few minutes.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import { ALPINE_BASE, env, must, requirePrerequisites, ROOT, run, Stack } from "./harness";

const id = process.pid.toString(36);
const ARM = "busybox:ndind-arm64";
const BUILT = `ndind-e2e-foreign-${id}:1`;
const NATIVE = ({ x86_64: "linux/amd64", aarch64: "linux/arm64" } as Record<string, string>)[
    execFileSync("uname", ["-m"], { encoding: "utf8" }).trim()];
const DOCKERFILE = [
    `FROM ${ARM}`,
    // Runs under emulation at build time: the file says where it was built.
    "RUN uname -m > /built-on",
    'CMD ["cat", "/built-on"]',
    "",
].join("\n");

/** Runs fn, prints how long it took (the figures the report gives), returns its value. */
function timed<T>(what: string, fn: () => T): T {
    const start = Date.now();
    const value = fn();
    console.log(`      ${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
    return value;
}

describe("foreign-architecture images in the wrapper (end to end)", function () {
    let s: Stack;
    let binfmt: string;

    // An arm64 container's stdout alone: nerdctl warns on stderr that the
    // platform "seems incompatible with the host platform".
    function runArm64(image: string, ...args: string[]): string {
        const r = spawnSync("docker", ["exec", s.container, "nerdctl", "run", "--rm", "--platform", "linux/arm64", image, ...args],
            { cwd: ROOT, env, encoding: "utf8" });
        assert.strictEqual(r.status, 0, `nerdctl run --platform linux/arm64 ${image} exited ${r.status}:\n${r.stdout}${r.stderr}`);
        return r.stdout.trim();
    }

    // An image's platforms as containerd lists them: ctr's PLATFORMS column (the field that starts linux/).
    const platforms = (name: string): string => s.exec("sh", "-c",
        `ctr -n default images ls | awk -v n="$1" '$1 == n { for (i = 2; i <= NF; i++) if ($i ~ /^linux\\//) print $i }'`, "sh", name).out.trim();

    // An image's config (the platform's, when the name points at an index), read from containerd's store.
    function config(name: string): { architecture?: string; os?: string } {
        const content = (digest: string): unknown => JSON.parse(must("docker", ["exec", s.container, "ctr", "-n", "default", "content", "get", digest]));
        const target = s.exec("sh", "-c", `ctr -n default images ls | awk -v n="$1" '$1 == n { print $3 }'`, "sh", name).out.trim();
        assert.match(target, /^sha256:[0-9a-f]{64}$/, `no image ${name} in the wrapper's containerd`);
        type Manifest = { manifests?: { digest: string; platform?: { architecture: string } }[]; config?: { digest: string } };
        let manifest = content(target) as Manifest;
        if (manifest.manifests) {
            const arm = manifest.manifests.find((m) => m.platform?.architecture === "arm64");
            assert.ok(arm, `${name}'s index has no arm64 manifest: ${JSON.stringify(manifest)}`);
            manifest = content(arm.digest) as Manifest;
        }
        return content(manifest.config!.digest) as { architecture?: string; os?: string };
    }

    before(() => {
        requirePrerequisites();
        binfmt = timed("make binfmt", () => must("make", ["-s", "binfmt"]));
        const made = timed("toolchain/busybox-arm64.sh", () => must("sh", ["toolchain/busybox-arm64.sh"]));
        assert.strictEqual(made.trim().split("\n").pop(), ARM, made);
        s = new Stack(`e2e-${id}-fa`, { baseImage: ALPINE_BASE, hostImages: [ARM] });
    });
    after(() => {
        s?.remove();
    });

    it("make binfmt: aarch64 registered with the F flag, in the kernel as it says; again, all kept", () => {
        assert.match(binfmt, /^runs\s+linux\/arm64\s+\S+\s+flags \S*F\S*\s/m, binfmt);
        const name = /^runs\s+linux\/arm64\s+(\S+)/m.exec(binfmt)![1];
        const entry = must("cat", [`/proc/sys/fs/binfmt_misc/${name}`]);
        assert.match(entry, /^enabled\n/);
        assert.match(entry, /^flags: \S*F/m);
        assert.match(entry, /^magic 7f454c460201010000000000000000000200b700$/m);
        const again = must("make", ["-s", "binfmt"]);
        assert.match(again, /binfmt summary: registered=0 kept=\d+/, again);
        assert.match(again, new RegExp(`the wrapper can run: ${NATIVE} \\(native\\), .*linux/arm64`));
    });

    it("up with the arm64 image in hostImages: stored for linux/arm64; the host report lists linux/arm64", () => {
        timed("pulumi up (new stack)", () => s.up());
        assert.strictEqual(platforms(`docker.io/library/${ARM}`), "linux/arm64");
        const report = String(s.outputs().hostReport);
        assert.match(report, new RegExp(`^(OK|WARN)\\s+platforms\\s+${NATIVE} \\(native\\), .*linux/arm64 \\([^)]+\\)`, "m"), report);
        assert.doesNotMatch(report, /^FAIL/m, report);
        console.log(`      host report: ${/^\S+\s+platforms\s.*$/m.exec(report)![0]}`);
    });

    it("nerdctl run --platform linux/arm64 runs it inside the wrapper: uname -m says aarch64", () => {
        assert.strictEqual(timed("nerdctl run --platform linux/arm64 uname -m", () => runArm64(ARM, "uname", "-m")), "aarch64");
        // The wrapper's own processes stay native.
        assert.strictEqual(s.exec("uname", "-m").out.trim(), execFileSync("uname", ["-m"], { encoding: "utf8" }).trim());
    });

    it("make load carries it: removed, loaded again for linux/arm64, then present with the same ID", () => {
        const rmi = s.exec("nerdctl", "rmi", ARM);
        assert.strictEqual(rmi.code, 0, rmi.out);
        assert.strictEqual(platforms(`docker.io/library/${ARM}`), "", "the image is still there after rmi");
        const out = timed("make load (arm64 image)", () => must("make", ["-s", "load", `IMAGE=${ARM}`, `STACK=${s.name}`]));
        assert.match(out, /host image busybox:ndind-arm64: loading into \S+ \(linux\/arm64, /);
        assert.match(out, /host images summary: loaded=1 present=0/);
        assert.strictEqual(platforms(`docker.io/library/${ARM}`), "linux/arm64");
        assert.strictEqual(runArm64(ARM, "uname", "-m"), "aarch64");
        const again = must("make", ["-s", "load", `IMAGE=${ARM}`, `STACK=${s.name}`]);
        assert.match(again, /host images summary: loaded=0 present=1/, again);
    });

    it("nerdctl build --platform linux/arm64 FROM it: an image whose config says arm64, built and run under emulation", () => {
        const ctx = s.execInput(DOCKERFILE, "sh", "-c", "mkdir -p /tmp/fa-ctx && cat > /tmp/fa-ctx/Dockerfile");
        assert.strictEqual(ctx.code, 0, ctx.out);
        const b = timed("nerdctl build --platform linux/arm64", () =>
            s.exec("nerdctl", "build", "--progress", "plain", "--platform", "linux/arm64", "-t", BUILT, "/tmp/fa-ctx"));
        assert.strictEqual(b.code, 0, b.out);
        const cfg = config(`docker.io/library/${BUILT}`);
        assert.deepStrictEqual([cfg.os, cfg.architecture], ["linux", "arm64"], JSON.stringify(cfg));
        console.log(`      ${BUILT}: config os/architecture ${cfg.os}/${cfg.architecture}`);
        assert.strictEqual(runArm64(BUILT), "aarch64", "the RUN step did not run as aarch64");
        run("docker", ["exec", s.container, "nerdctl", "rmi", BUILT]);
    });
});

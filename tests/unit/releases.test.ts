// Releases across majors, without building anything: the module path of each
// release, a release the module proxy refuses (named at preview, setting and
// version and status), BuildKit and tini as the nerdctl release pins them, and
// what the nerdctlBuild output says of each kind of nerdctl tree.
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NO_CONTEXTS, PROJECT_ROOT, stackDefaults, useMocks } from "./mocks";

useMocks();
import { describeNerdctl } from "../../components/bundle";
import { SettingsError } from "../../components/settings/types";
import { parseSettings } from "../../components/settings/validate";
import { NerdctlEnvironment } from "../../components/environment";

const BUILD = path.join(PROJECT_ROOT, "nerdctl", "build.sh");
// A developer's nerdctl/src would stand in for the release trees asked for here.
process.env.NDIND_NERDCTL_SRC = path.join(os.tmpdir(), "ndind-no-nerdctl-src");

function sh(script: string, env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
    const r = spawnSync("sh", ["-c", script], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
    return { code: r.status ?? 1, out: r.stdout.trim(), err: r.stderr };
}

/** Every fake proxy started, each killed after the tests whatever happened. */
const proxies: ChildProcess[] = [];

/** A module proxy that refuses every request as proxy.golang.org does, in a process of its own (build.sh runs synchronously). */
function startRefusingProxy(): Promise<{ url: string; child: ChildProcess }> {
    const code = `require("http").createServer((q, r) => { r.writeHead(403, { "Content-Type": "text/plain" }); r.end("This module version is not available."); })
        .listen(0, "127.0.0.1", function () { console.log(this.address().port); });`;
    const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
    proxies.push(child);
    return new Promise((resolve, reject) => {
        child.stdout?.once("data", (d: Buffer) => resolve({ url: `http://127.0.0.1:${d.toString().trim()}`, child }));
        child.once("exit", (c) => reject(new Error(`the fake proxy exited ${c}`)));
    });
}

describe("releases across majors", function () {
    // Each build.sh --key asks Go for a few modules: seconds on a busy machine.
    this.timeout(60000);

    it("names each component's module with its major from 2 on", () => {
        const r = sh(`. toolchain/lib.sh && . nerdctl/modules.sh && for c in "nerdctl 1.5.0" "nerdctl 2.1.3" "containerd 1.7.2" "containerd 2.1.3" \\
            "runc 1.3.0" "cni 1.7.1" "buildkit 0.23.2"; do module_path $c; done`);
        assert.strictEqual(r.code, 0, r.err);
        assert.deepStrictEqual(r.out.split("\n"), [
            "github.com/containerd/nerdctl", "github.com/containerd/nerdctl/v2", "github.com/containerd/containerd",
            "github.com/containerd/containerd/v2", "github.com/opencontainers/runc", "github.com/containernetworking/plugins",
            "github.com/moby/buildkit",
        ]);
    });

    it("takes BuildKit and tini from the nerdctl release's own Dockerfile", () => {
        const seed = sh(`sh ${BUILD} --key`);
        assert.match(seed.out, /_tini-0\.19\.0_buildkit-0\.12\.0_/, seed.err);
        const v2 = sh(`sh ${BUILD} --key`, { NERDCTL_VERSION: "2.1.3", CONTAINERD_VERSION: "2.1.3", RUNC_VERSION: "1.3.0", CNI_PLUGINS_VERSION: "1.7.1", NDIND_ARCH: "amd64" });
        assert.match(v2.out, /^containerd-2\.1\.3_runc-1\.3\.0_cni-1\.7\.1_nerdctl-2\.1\.3-unpatched_tini-0\.19\.0_buildkit-0\.23\.2_tools-\d+_arch-amd64$/, v2.err);
        const own = sh(`sh ${BUILD} --key`, { BUILDKIT_VERSION: "0.13.2" });
        assert.match(own.out, /_buildkit-0\.13\.2_/, own.err);
    });

    describe("a release the module proxy refuses", () => {
        let proxy: { url: string; child: ChildProcess };
        let cache: string;
        before(async () => {
            proxy = await startRefusingProxy();
        });
        after(() => proxies.forEach((p) => p.kill()));
        beforeEach(() => {
            cache = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-refused-"));
        });
        afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

        it("build.sh --key names every refused setting, its version, the module and the proxy's answer, and remembers it", () => {
            const env = { GOPROXY: proxy.url, NDIND_CACHE: cache, NERDCTL_VERSION: "2.1.6", RUNC_VERSION: "1.9.9" };
            const r = sh(`sh ${BUILD} --key`, env);
            assert.strictEqual(r.code, 1, r.out);
            assert.match(r.err, /nerdctlVersion \(NERDCTL_VERSION\) is 2\.1\.6: the Go module proxy \(http:\/\/127\.0\.0\.1:\d+\) refused github\.com\/containerd\/nerdctl\/v2@v2\.1\.6: 403 Forbidden \(This module version is not available\.\)/);
            assert.match(r.err, /runcVersion \(RUNC_VERSION\) is 1\.9\.9: .* refused github\.com\/opencontainers\/runc@v1\.9\.9: 403 Forbidden/);
            // Remembered: the same answer without the proxy.
            proxy.child.kill();
            const again = sh(`sh ${BUILD} --key`, { ...env, GOPROXY: "http://127.0.0.1:1" });
            assert.strictEqual(again.code, 1);
            assert.match(again.err, /refused github\.com\/containerd\/nerdctl\/v2@v2\.1\.6: 403 Forbidden/);
            assert.match(again.err, /refused github\.com\/opencontainers\/runc@v1\.9\.9: 403 Forbidden/);
        });

        it("fails the preview as a settings problem, before any resource", async () => {
            proxy = await startRefusingProxy();
            const saved = { GOPROXY: process.env.GOPROXY, NDIND_CACHE: process.env.NDIND_CACHE };
            Object.assign(process.env, { GOPROXY: proxy.url, NDIND_CACHE: cache });
            try {
                const s = parseSettings({ ...stackDefaults(), containerdVersion: "2.9.9" }, "nerdctl-dind", "dev", PROJECT_ROOT, NO_CONTEXTS);
                assert.throws(() => new NerdctlEnvironment("env-dev", s), (e: unknown) =>
                    e instanceof SettingsError && /containerdVersion \(CONTAINERD_VERSION\) is 2\.9\.9: .*refused github\.com\/containerd\/containerd\/v2@v2\.9\.9: 403 Forbidden/.test(e.message));
            } finally {
                for (const [k, v] of Object.entries(saved)) {
                    if (v === undefined) delete process.env[k]; else process.env[k] = v;
                }
            }
        });
    });

    describe("the nerdctlBuild output", () => {
        const key = (tag: string) => `containerd-1.7.2_runc-1.1.7_cni-1.3.0_nerdctl-1.5.0-${tag}_tini-0.19.0_tools-1_arch-amd64`;
        it("names the release's series and its patches", () => {
            const text = describeNerdctl(PROJECT_ROOT, "1.5.0", true, key("0ca75ed046ab"), false);
            assert.match(text, /^nerdctl 1\.5\.0 with our patch series nerdctl\/patches\/1\.5\.0\/ \(0ca75ed046ab\): 0001-portutil-count-every-port-of-dports-list\.patch, /);
        });
        it("says a release without a series is built as released", () => {
            assert.strictEqual(describeNerdctl(PROJECT_ROOT, "2.1.3", true, key("unpatched").replace(/1\.5\.0/g, "2.1.3"), false),
                "nerdctl 2.1.3 as released: there is no patch series for 2.1.3 (nerdctl/patches/2.1.3/)");
        });
        it("says so when the patches are turned off, and names a nerdctl/src build", () => {
            assert.strictEqual(describeNerdctl(PROJECT_ROOT, "1.5.0", false, key("unpatched"), false), "nerdctl 1.5.0 as released (nerdctlPatches is false)");
            assert.strictEqual(describeNerdctl(PROJECT_ROOT, "1.5.0", true, key("src-0123456789ab"), true), "nerdctl 1.5.0 from nerdctl/src (src-0123456789ab)");
        });
    });
});

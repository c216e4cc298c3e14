// What `make toolchain` promises: the pinned Pulumi CLI and its Node.js hosts, our
// provider plugin at its version, a Docker engine that runs privileged
// containers, and a bundle whose every binary reports its pinned version.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BASE_IMAGE, must, ROOT } from "./harness";

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };

function bundleDir(): string {
    // What make toolchain builds: the release, whether or not nerdctl/src is there.
    const key = must("sh", ["-c", "NDIND_NERDCTL_SRC=none sh nerdctl/build.sh --dir-key"]).trim().split("\n").pop() ?? "";
    const dir = path.join(ROOT, "nerdctl", "out", key);
    assert.ok(fs.existsSync(dir), `bundle ${key} is not built (run make toolchain)`);
    return dir;
}

describe("toolchain", () => {
    it("pulumi is at or above the version package.json pins (toolchain/pulumi-cli.sh uses a newer one as it is)", () => {
        const have = must("pulumi", ["version"]).trim();
        const pin = pkg.dependencies["@pulumi/pulumi"];
        assert.strictEqual(must("sh", ["-c", `. toolchain/lib.sh && version_ge "$1" "$2" && echo yes || echo no`, "sh", have, pin]).trim(),
            "yes", `pulumi ${have} is below the pinned ${pin}`);
    });

    it("the Node.js language host is on the PATH", () => {
        assert.ok(must("sh", ["-c", "command -v pulumi-language-nodejs"]).trim());
        assert.match(must("pulumi", ["about", "--json"]), /"name":\s*"nodejs"/);
    });

    it("our provider plugin is installed at the version the resources ask for", () => {
        const version = fs.readFileSync(path.join(ROOT, "provider", "VERSION"), "utf8").trim();
        const plugins = JSON.parse(must("pulumi", ["plugin", "ls", "--json"])) as { name: string; kind: string; version: string }[];
        assert.ok(plugins.some((p) => p.kind === "resource" && p.name === "ndind" && p.version === version),
            `no resource plugin ndind ${version} in: ${JSON.stringify(plugins)}`);
    });

    it("whether the real docker and command plugins are installed is recorded for this Pulumi home", () => {
        const file = path.join(process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"), "nerdctl-dind-plugins");
        assert.ok(fs.existsSync(file), `no ${file} (run make toolchain)`);
        const want = `docker-${pkg.dependencies["@pulumi/docker"]} command-${pkg.dependencies["@pulumi/command"]}`;
        const state = fs.readFileSync(file, "utf8").trim();
        assert.ok(state === `${want} installed` || state === `${want} unavailable`, `${file}: ${state}`);
        if (state.endsWith(" installed")) {
            const plugins = JSON.parse(must("pulumi", ["plugin", "ls", "--json"])) as { name: string; kind: string; version: string }[];
            for (const n of ["docker", "command"]) {
                assert.ok(plugins.some((p) => p.kind === "resource" && p.name === n && p.version === pkg.dependencies[`@pulumi/${n}`]), `${n} not in pulumi plugin ls`);
            }
        }
    });

    it("a Docker engine answers and runs privileged containers", () => {
        assert.match(must("docker", ["info", "--format", "{{.ServerVersion}}"]), /^\d+\.\d+/);
        must("docker", ["run", "--rm", "--privileged", BASE_IMAGE, "true"]);
    });

    it("every bundle binary reports its pinned version", () => {
        const dir = bundleDir();
        const bin = (name: string) => path.join(dir, "usr", "local", "bin", name);
        const checks: [string, string[], RegExp][] = [
            [bin("containerd"), ["--version"], /containerd v1\.7\.2 /],
            [bin("ctr"), ["--version"], /ctr github.com\/containerd\/containerd v1\.7\.2/],
            [bin("containerd-shim-runc-v2"), ["-v"], /Version:\s+v1\.7\.2/],
            [bin("runc"), ["--version"], /^runc version 1\.1\.7\n/],
            [bin("nerdctl"), ["--version"], /^nerdctl version 1\.5\.0\n$/],
            [bin("tini"), ["--version"], /^tini version 0\.19\.0/],
            [bin("buildkitd"), ["--version"], /^buildkitd github.com\/moby\/buildkit v0\.12\.0 /],
            [bin("buildctl"), ["--version"], /^buildctl github.com\/moby\/buildkit v0\.12\.0 /],
        ];
        for (const [file, args, want] of checks) assert.match(must(file, args), want, file);
        for (const plugin of ["bridge", "portmap", "firewall", "tuning", "host-local", "loopback", "bandwidth"]) {
            assert.match(must(path.join(dir, "opt", "cni", "bin", plugin), []), /plugin v1\.3\.0/, plugin);
        }
    });
});

// The wrapper's MTU on every network: scripts/nerdctl.sh (the shim before
// nerdctl on the wrapper's PATH) in each form `network create` can be
// written, and scripts/cni-bridge.sh (the bridge plugin's stand-in, for the
// networks compose makes past the shim). Each runs with a fake behind it that
// prints what it was given.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

describe("the wrapper's MTU on every network (scripts/nerdctl.sh, scripts/cni-bridge.sh)", () => {
    let dir: string;
    let runDir: string;
    let env: NodeJS.ProcessEnv;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-mtu-"));
        runDir = path.join(dir, "run");
        fs.mkdirSync(runDir);
        fs.writeFileSync(path.join(runDir, "mtu"), "1400\n");
        // The fake nerdctl: its arguments, one a line; the fake plugin: its stdin and CNI_COMMAND.
        fs.writeFileSync(path.join(dir, "nerdctl"), "#!/bin/sh\nfor a do printf '%s\\n' \"$a\"; done\n", { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "bridge"), "#!/bin/sh\necho \"command=${CNI_COMMAND:-}\"\ncat\n", { mode: 0o755 });
        env = { ...process.env, NDIND_NERDCTL_BIN: path.join(dir, "nerdctl"), NDIND_CNI_BRIDGE: path.join(dir, "bridge"), NDIND_RUN_DIR: runDir };
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** What the fake nerdctl was given when the shim ran with ARGS. */
    function shim(...args: string[]): string[] {
        const r = spawnSync("sh", [path.join(ROOT, "scripts", "nerdctl.sh"), ...args], { env, encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        return r.stdout.split("\n").slice(0, -1);
    }

    describe("nerdctl.sh", () => {
        const given: [string, string[], string[]][] = [
            ["no global flag", ["network", "create", "n1"], ["network", "create", "-o", "mtu=1400", "n1"]],
            ["-n NS", ["-n", "default", "network", "create", "n1"], ["-n", "default", "network", "create", "-o", "mtu=1400", "n1"]],
            ["--namespace NS", ["--namespace", "x", "network", "create", "n1"], ["--namespace", "x", "network", "create", "-o", "mtu=1400", "n1"]],
            ["--namespace=NS (compose's and upstream tests' form)", ["--namespace=x", "--debug", "network", "create", "n1"],
                ["--namespace=x", "--debug", "network", "create", "-o", "mtu=1400", "n1"]],
            ["-nNS glued", ["-nx", "network", "create", "n1"], ["-nx", "network", "create", "-o", "mtu=1400", "n1"]],
            ["bool flags and value flags mixed", ["--debug-full", "-a", "/run/c.sock", "--cgroup-manager", "cgroupfs", "--experimental",
                "--snapshotter", "native", "--cni-path", "/opt/cni/bin", "--data-root", "/d", "-H", "h", "--insecure-registry",
                "--hosts-dir", "/h", "--storage-driver", "overlayfs", "--cni-netconfpath", "/n", "--kube-hide-dupe", "--bridge-ip", "10.1.0.1/24",
                "--host", "h2", "--address", "a2", "--host-gateway-ip", "1.2.3.4", "--cdi-spec-dirs", "/c", "--userns-remap", "host",
                "network", "create", "n1"], []],
            ["a global flag between the two words", ["network", "--namespace", "x", "create", "n1"],
                ["network", "--namespace", "x", "create", "-o", "mtu=1400", "n1"]],
        ];
        for (const [name, args, want] of given) {
            it(`adds -o mtu=1400 right after create: ${name}`, () => {
                const expected = want.length > 0 ? want : [...args.slice(0, -1), "-o", "mtu=1400", "n1"];
                assert.deepStrictEqual(shim(...args), expected);
            });
        }

        // A value that looks like a subcommand is still a value.
        it("reads a value flag's value as its value, not as the subcommand", () => {
            assert.deepStrictEqual(shim("-n", "network", "create", "n1"), ["-n", "network", "create", "n1"]);
            assert.deepStrictEqual(shim("--namespace", "network", "network", "create", "n1"),
                ["--namespace", "network", "network", "create", "-o", "mtu=1400", "n1"]);
        });

        for (const opt of [["-o", "mtu=9000"], ["--opt", "mtu=9000"], ["--opt=mtu=9000"], ["-o=mtu=9000"], ["-omtu=9000"],
        ["-o", "com.docker.network.driver.mtu=9000"], ["--opt=com.docker.network.driver.mtu=9000"]]) {
            it(`keeps the MTU the user named: ${opt.join(" ")}`, () => {
                const args = ["-n", "default", "network", "create", ...opt, "n1"];
                assert.deepStrictEqual(shim(...args), args);
            });
        }

        it("adds it beside other -o options and a label that merely mentions mtu=", () => {
            assert.deepStrictEqual(shim("--namespace=x", "network", "create", "-o", "com.docker.network.bridge.name=br9", "--label", "mtu=9000", "n1"),
                ["--namespace=x", "network", "create", "-o", "mtu=1400", "-o", "com.docker.network.bridge.name=br9", "--label", "mtu=9000", "n1"]);
        });

        it("leaves every other command alone", () => {
            for (const args of [["network", "ls"], ["-n", "default", "network", "rm", "create"], ["run", "network", "create"],
            ["compose", "up", "-d"], ["--namespace=x", "create", "network"], ["network"], []]) {
                assert.deepStrictEqual(shim(...args), args);
            }
        });

        it("passes everything through when the wrapper has no MTU (no default route at start)", () => {
            const saved = env.NDIND_RUN_DIR;
            env.NDIND_RUN_DIR = path.join(dir, "none");
            try {
                assert.deepStrictEqual(shim("-n", "default", "network", "create", "n1"), ["-n", "default", "network", "create", "n1"]);
            } finally {
                env.NDIND_RUN_DIR = saved;
            }
        });
    });

    describe("cni-bridge.sh", () => {
        /** What the fake plugin read, parsed, for CONF given as CNI_COMMAND. */
        function plugin(command: string, conf: string): { command: string; stdin: string } {
            const r = spawnSync("sh", [path.join(ROOT, "scripts", "cni-bridge.sh")], { env: { ...env, CNI_COMMAND: command }, input: conf, encoding: "utf8" });
            assert.strictEqual(r.status, 0, r.stderr);
            const [first, ...rest] = r.stdout.split("\n");
            return { command: first.replace(/^command=/, ""), stdin: rest.join("\n").trim() };
        }
        // As libcni hands it over: marshalled from a map, keys sorted, compact.
        const conf = '{"bridge":"br-1","cniVersion":"1.0.0","ipam":{"type":"host-local"},"name":"c_default","type":"bridge"}';

        it("gives an ADD that names no MTU the wrapper's", () => {
            const got = plugin("ADD", conf);
            assert.strictEqual(got.command, "ADD");
            const parsed = JSON.parse(got.stdin) as Record<string, unknown>;
            assert.strictEqual(parsed.mtu, 1400);
            assert.deepStrictEqual({ ...parsed, mtu: undefined }, { ...JSON.parse(conf), mtu: undefined });
        });

        // JSON.parse, like Go's decoder, keeps the last of two keys.
        it("lets an MTU the network names win", () => {
            const named = conf.replace('"name"', '"mtu":9000,"name"');
            assert.strictEqual((JSON.parse(plugin("ADD", named).stdin) as { mtu: number }).mtu, 9000);
        });

        it("passes DEL, CHECK and a non-object through untouched", () => {
            assert.deepStrictEqual(plugin("DEL", conf), { command: "DEL", stdin: conf });
            assert.deepStrictEqual(plugin("CHECK", conf), { command: "CHECK", stdin: conf });
            assert.deepStrictEqual(plugin("ADD", "not json {"), { command: "ADD", stdin: "not json {" });
            assert.deepStrictEqual(plugin("ADD", "").stdin, "");
        });
    });
});

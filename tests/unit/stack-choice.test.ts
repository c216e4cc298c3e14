// toolchain/stack.sh's choices for a stack (provider, baseImage) and
// toolchain/lib.sh's version_ge, against a scripted `pulumi` and `docker` on
// the PATH: what each answers is set per case, and every call is logged.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";

const ROOT = path.resolve(__dirname, "..", "..");

// Stands in for the pulumi CLI: stacks, state and plugins as files in $FAKE; a
// stack's config in stacks/Pulumi.<stack>.yaml, as the real one keeps it.
const FAKE_PULUMI = `#!/usr/bin/env node
const fs = require("fs"), p = require("path"), dir = process.env.FAKE, root = process.env.ROOT;
const yaml = require(root + "/node_modules/js-yaml");
const configFile = (s) => p.join(root, "stacks", "Pulumi." + s + ".yaml");
const config = (s) => fs.existsSync(configFile(s)) ? yaml.load(fs.readFileSync(configFile(s), "utf8")).config || {} : {};
const file = (n) => p.join(dir, n);
const read = (n, d) => fs.existsSync(file(n)) ? JSON.parse(fs.readFileSync(file(n), "utf8")) : d;
const write = (n, v) => fs.writeFileSync(file(n), JSON.stringify(v));
let args = process.argv.slice(2).filter((a) => a !== "--non-interactive");
fs.appendFileSync(file("calls"), "pulumi " + args.join(" ") + "\\n");
let stack = read("current", "");
const i = args.indexOf("--stack");
if (i >= 0) { stack = args[i + 1]; args.splice(i, 2); }
const stacks = read("stacks", []);
const [a, b, c, d] = args;
if (a === "stack" && b === "select") {
    if (!stacks.includes(c)) { console.error("no stack named " + c); process.exit(255); }
    write("current", c);
} else if (a === "stack" && b === "init") {
    write("stacks", [...stacks, c]); write("current", c);
    fs.writeFileSync(configFile(c), "encryptionsalt: v1:fake\\n");
} else if (a === "stack" && b === "export") {
    console.log(JSON.stringify({ deployment: { resources: read("state-" + stack, []) } }));
} else if (a === "config" && b === "set") {
    fs.writeFileSync(configFile(stack), yaml.dump({ config: { ...config(stack), ["nerdctl-dind:" + c]: d }, encryptionsalt: "v1:fake" }));
} else if (a === "config" && b === "rm") {
    const rest = { ...config(stack) }; delete rest["nerdctl-dind:" + c];
    fs.writeFileSync(configFile(stack), yaml.dump({ config: rest, encryptionsalt: "v1:fake" }));
} else if (a === "plugin" && b === "ls") {
    console.log("NAME  KIND  VERSION  SIZE  INSTALLED  LAST USED");
    for (const [n, v] of read("plugins", [])) console.log(n + "  resource  " + v + "  50 MB  1 day ago  1 day ago");
} else if (a === "plugin" && b === "install") {
    if (!fs.existsSync(file("installable"))) { console.error("error: could not download plugin: dial tcp: no route"); process.exit(255); }
    write("plugins", [...read("plugins", []), [c === "resource" ? d : c, args[4]]]);
} else { console.error("fake pulumi: unexpected " + args.join(" ")); process.exit(2); }
`;

// Stands in for the docker CLI: the images in $FAKE/images; pull works if $FAKE/pullable exists.
const FAKE_DOCKER = `#!/bin/sh
echo "docker $*" >>"$FAKE/calls"
case "$1 $2" in
"image inspect") grep -qx "$3" "$FAKE/images" 2>/dev/null ;;
"pull -q") [ -f "$FAKE/pullable" ] && echo "$3" >>"$FAKE/images" || { echo "Error response from daemon: dial tcp: lookup registry-1.docker.io: no such host" >&2; exit 1; } ;;
*) echo "fake docker: unexpected $*" >&2; exit 2 ;;
esac
`;

interface Machine {
    plugins?: [string, string][];
    installable?: boolean;
    images?: string[];
    pullable?: boolean;
    stacks?: Record<string, { config?: Record<string, string | string[]>; state?: { type: string; inputs?: object }[] }>;
}

// Unique, in the git-ignored stacks/.
let serial = 0;

class Fake {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-stack-sh-"));
    readonly home = path.join(this.dir, "pulumi-home");
    private readonly names = new Map<string, string>();

    constructor(m: Machine) {
        fs.mkdirSync(path.join(this.dir, "bin"));
        fs.writeFileSync(path.join(this.dir, "bin", "pulumi"), FAKE_PULUMI, { mode: 0o755 });
        fs.writeFileSync(path.join(this.dir, "bin", "docker"), FAKE_DOCKER, { mode: 0o755 });
        const put = (n: string, v: unknown) => fs.writeFileSync(path.join(this.dir, n), JSON.stringify(v));
        put("plugins", m.plugins ?? []);
        put("stacks", Object.keys(m.stacks ?? {}).map((s) => this.name(s)));
        fs.mkdirSync(path.join(ROOT, "stacks"), { recursive: true });
        for (const [short, s] of Object.entries(m.stacks ?? {})) {
            const config = Object.fromEntries(Object.entries(s.config ?? {}).map(([k, v]) => [`nerdctl-dind:${k}`, v]));
            fs.writeFileSync(this.file(short), yaml.dump({ config, encryptionsalt: "v1:fake" }));
            put(`state-${this.name(short)}`, s.state ?? []);
        }
        fs.writeFileSync(path.join(this.dir, "images"), (m.images ?? []).map((i) => `${i}\n`).join(""));
        if (m.installable) fs.writeFileSync(path.join(this.dir, "installable"), "");
        if (m.pullable) fs.writeFileSync(path.join(this.dir, "pullable"), "");
    }

    /** The stack's real name for a case's short one: e2e-unit-<pid>-<n>-<short>. */
    name(short: string): string {
        if (!this.names.has(short)) this.names.set(short, `e2e-unit-${process.pid}-${serial++}-${short}`);
        return this.names.get(short) as string;
    }

    file(short: string): string {
        return path.join(ROOT, "stacks", `Pulumi.${this.name(short)}.yaml`);
    }

    /** Runs stack.sh; its output with the real names put back to the short ones. */
    stack(short: string, env: Record<string, string> = {}): { code: number; out: string } {
        const r = spawnSync("sh", [path.join(ROOT, "toolchain", "stack.sh"), this.name(short)], {
            cwd: ROOT, encoding: "utf8",
            env: { ...process.env, FAKE: this.dir, ROOT, PULUMI_HOME: this.home, PATH: `${this.dir}/bin:${process.env.PATH}`, PULUMI_BACKEND_URL: "", ...env },
        });
        return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}`.split(this.name(short)).join(short) };
    }

    /** The stack's config as its file holds it, keys without the project prefix. */
    config(short: string): Record<string, unknown> {
        const doc = yaml.load(fs.readFileSync(this.file(short), "utf8")) as { config?: Record<string, unknown> };
        return Object.fromEntries(Object.entries(doc.config ?? {}).map(([k, v]) => [k.replace(/^nerdctl-dind:/, ""), v]));
    }

    calls(): string[] {
        return fs.readFileSync(path.join(this.dir, "calls"), "utf8").trim().split("\n");
    }

    remove(): void {
        for (const short of this.names.keys()) fs.rmSync(this.file(short), { force: true });
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

const REAL: [string, string][] = [["docker", "4.11.0"], ["command", "1.2.1"]];
const OFFLINE = "nerdctl-dind/base:alpine-3.23";
// A base other than the default and the offline one, as a stack may have chosen by hand.
const BOOKWORM = "nerdctl-dind/base:bookworm";

describe("toolchain/stack.sh: a stack's provider and base image", function () {
    // Each case starts a dozen processes (the scripted CLIs are node scripts).
    this.timeout(30000);
    let f: Fake;
    afterEach(() => f.remove());

    it("a new stack where the real plugins are installed and the engine has Alpine: pulumi, alpine:3.23", () => {
        f = new Fake({ plugins: REAL, images: ["alpine:3.23"] });
        const r = f.stack("ann");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /stack ann: new, pulumi stack init ann/);
        assert.match(r.out, /stack ann: plugins = pulumi \(chosen now: the docker 4\.11\.0 and command 1\.2\.1 plugins are installed in .*pulumi-home\)/);
        assert.match(r.out, /stack ann: baseImage = alpine:3\.23 \(chosen now: the engine has it\)/);
        assert.deepStrictEqual(f.config("ann"), { plugins: "pulumi", baseImage: "alpine:3.23" });
        assert.ok(!f.calls().some((c) => c.startsWith("pulumi plugin install") || c.startsWith("docker pull")), f.calls().join("\n"));
    });

    it("a new stack on a machine with no registry: ndind and the offline base; the plugin answer is kept for the next stack", () => {
        f = new Fake({});
        const r = f.stack("ann");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /pulumi plugin install resource docker 4\.11\.0 \(at most 60 s\)/);
        assert.match(r.out, /failed \(255\): error: could not download plugin/);
        assert.match(r.out, /stack ann: plugins = ndind \(chosen now: the docker 4\.11\.0 and command 1\.2\.1 plugins are not installed in .* and cannot be installed here\)/);
        assert.match(r.out, /stack ann: baseImage = nerdctl-dind\/base:alpine-3\.23 \(chosen now: docker pull alpine:3\.23 failed: Error response from daemon: .*no such host; the offline base/);
        assert.deepStrictEqual(f.config("ann"), { plugins: "ndind", baseImage: OFFLINE });
        assert.strictEqual(fs.readFileSync(path.join(f.home, "nerdctl-dind-plugins"), "utf8"), "docker-4.11.0 command-1.2.1 unavailable\n");

        const installs = () => f.calls().filter((c) => c.startsWith("pulumi plugin install")).length;
        const before = installs();
        const again = f.stack("bob");
        assert.strictEqual(again.code, 0, again.out);
        assert.match(again.out, /unavailable here \(found earlier; make plugins asks again\)/);
        assert.match(again.out, /stack bob: plugins = ndind \(chosen now/);
        assert.strictEqual(installs(), before, "a second stack must not probe again");
    });

    it("a new stack where Pulumi can install the plugins and pull Alpine: both are fetched, pulumi and alpine:3.23", () => {
        f = new Fake({ installable: true, pullable: true });
        const r = f.stack("ann");
        assert.strictEqual(r.code, 0, r.out);
        assert.deepStrictEqual(f.calls().filter((c) => c.startsWith("pulumi plugin install")),
            ["pulumi plugin install resource docker 4.11.0", "pulumi plugin install resource command 1.2.1"]);
        assert.match(r.out, /stack ann: plugins = pulumi \(chosen now: the docker 4\.11\.0 and command 1\.2\.1 plugins are installed/);
        assert.match(r.out, /stack ann: baseImage = alpine:3\.23 \(chosen now: pulled it\)/);
        assert.strictEqual(fs.readFileSync(path.join(f.home, "nerdctl-dind-plugins"), "utf8"), "docker-4.11.0 command-1.2.1 installed\n");
    });

    it("a stack whose config has both keeps them, and sets nothing", () => {
        f = new Fake({ plugins: REAL, images: ["alpine:3.23"], stacks: { ann: { config: { plugins: "ndind", baseImage: BOOKWORM } } } });
        const r = f.stack("ann");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /stack ann: selected/);
        assert.match(r.out, /stack ann: plugins = ndind \(set earlier\)/);
        assert.match(r.out, /stack ann: baseImage = nerdctl-dind\/base:bookworm \(set earlier\)/);
        assert.ok(!f.calls().some((c) => /config set|stack export|plugin/.test(c)), f.calls().join("\n"));
    });

    it("a stack that names its plugins under the old setting name, provider, has it renamed and keeps its choice", () => {
        f = new Fake({ plugins: REAL, images: ["alpine:3.23"], stacks: { ann: { config: { provider: "ndind", baseImage: BOOKWORM } } } });
        const r = f.stack("ann");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /stack ann: setting provider renamed plugins \(its new name\)/);
        assert.match(r.out, /stack ann: plugins = ndind \(set earlier\)/);
        assert.deepStrictEqual(f.config("ann"), { plugins: "ndind", baseImage: BOOKWORM });
    });

    it("a stack made before the settings stays on the implementation and the base its state holds", () => {
        f = new Fake({
            plugins: REAL, images: ["alpine:3.23"], stacks: {
                dev: {
                    state: [
                        { type: "pulumi:pulumi:Stack" }, { type: "nerdctl-dind:index:Wrapper" },
                        { type: "ndind:index:Image", inputs: { buildArgs: { BASE_IMAGE: BOOKWORM, BUNDLE: "k" } } },
                        { type: "ndind:index:Container" },
                    ]
                }
            }
        });
        const r = f.stack("dev");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /stack dev: plugins = ndind \(chosen now: its state already holds resources of the ndind implementation\)/);
        assert.match(r.out, /stack dev: baseImage = nerdctl-dind\/base:bookworm \(chosen now: the base its image was built on\)/);
        assert.deepStrictEqual(f.config("dev"), { plugins: "ndind", baseImage: BOOKWORM });
    });

    it("a stack built on the former default alpine:3.18 keeps it, with no pull", () => {
        f = new Fake({
            stacks: {
                old: {
                    state: [
                        { type: "docker:index/image:Image", inputs: { build: { args: { BASE_IMAGE: "alpine:3.18", BUNDLE: "k" } } } },
                    ]
                }
            }
        });
        const r = f.stack("old");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /stack old: baseImage = alpine:3\.18 \(chosen now: the base its image was built on\)/);
        assert.strictEqual(f.config("old").baseImage, "alpine:3.18");
        assert.ok(!f.calls().some((c) => c.startsWith("docker")), f.calls().join("\n"));
    });

    it("NDIND_BASE_IMAGE names the offline base a new stack gets when Alpine cannot be pulled", () => {
        f = new Fake({ plugins: REAL });
        const r = f.stack("ann", { NDIND_BASE_IMAGE: BOOKWORM });
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /stack ann: baseImage = nerdctl-dind\/base:bookworm \(chosen now: docker pull alpine:3\.23 failed: .*the offline base/);
        assert.deepStrictEqual(f.config("ann"), { plugins: "pulumi", baseImage: BOOKWORM });
    });

    it("a stack with resources but no image in its state keeps the default base; docker and command resources mean pulumi", () => {
        f = new Fake({ stacks: { old: { state: [{ type: "docker:index/container:Container" }, { type: "command:local:Command" }] } } });
        const r = f.stack("old");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /stack old: plugins = pulumi \(chosen now: its state already holds resources of the pulumi implementation\)/);
        assert.match(r.out, /stack old: baseImage = alpine:3\.23 \(chosen now: the default: its state holds resources but no image whose base to keep\)/);
        assert.ok(!f.calls().some((c) => c.startsWith("pulumi plugin install") || c.startsWith("docker pull")), f.calls().join("\n"));
    });

    it("a host image the engine lacks is named, with the way to make it or drop it", () => {
        f = new Fake({ stacks: { dev: { config: { plugins: "ndind", baseImage: OFFLINE, hostImages: ["busybox:ndind"] } } } });
        const r = f.stack("dev");
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /WARNING: stack dev: hostImages lists busybox:ndind, which the local engine lacks: make toolchain makes it .*pulumi config rm --stack dev --path 'hostImages\[N\]'/);
    });
});

describe("toolchain/lib.sh version_ge", () => {
    const ge = (a: string, b: string) => spawnSync("sh", ["-c", `. toolchain/lib.sh && version_ge "$1" "$2"`, "sh", a, b], { cwd: ROOT }).status === 0;

    it("compares numerically, field by field, ignoring a leading v", () => {
        assert.ok(ge("3.248.0", "3.248.0"));
        assert.ok(ge("v3.249.1", "3.248.0"));
        assert.ok(ge("3.1000.0", "3.248.0"));
        assert.ok(ge("4.0.0", "3.248.0"));
        assert.ok(!ge("3.99.0", "3.248.0"));
        assert.ok(!ge("v3.247.9", "3.248.0"));
        assert.ok(!ge("unknown", "3.248.0"));
    });
});

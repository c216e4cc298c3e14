// End-to-end harness: the real Pulumi CLI against the real Docker engine, in
// throwaway stacks with a state backend of their own. A missing prerequisite
// fails the run with its reason; nothing here is mocked.
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const CACHE = process.env.NDIND_CACHE ?? path.join(os.homedir(), ".cache", "nerdctl-dind");
export const BASE_IMAGE = "nerdctl-dind/base:bookworm";
/** The offline Alpine base, what `make stack` gives a new stack where no registry answers. */
export const ALPINE_BASE = "nerdctl-dind/base:alpine-3.23";
export const BUSYBOX_TAR = path.join(CACHE, "images", "busybox.tar");
export const BUSYBOX = "busybox:ndind";
/** The first word of the stacks a file makes: engineers sharing one engine give each run its own. */
export const PREFIX = process.env.NDIND_E2E_PREFIX ?? "e2e";

const backend = fs.mkdtempSync(path.join(os.tmpdir(), "ndind-e2e-state-"));
// A passphrase of this run's own, as a user's own passphrase is taken: the
// tests never depend on (or make) the user's passphrase file.
export const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(24).toString("hex"),
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
};
delete env.PULUMI_CONFIG_PASSPHRASE_FILE;

export interface Run {
    code: number;
    out: string;
}

export function run(cmd: string, args: string[], input?: string): Run {
    const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
        cwd: ROOT, env, encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
    return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

/** Runs and insists on success, showing the command's own words if not. */
export function must(cmd: string, args: string[], input?: string): string {
    const r = run(cmd, args, input);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.out.slice(-4000)}`);
    return r.out;
}

export function requirePrerequisites(): void {
    const missing: string[] = [];
    if (run("pulumi", ["version"]).code !== 0) missing.push("the pulumi CLI is not on PATH (run make toolchain)");
    if (run("docker", ["info"]).code !== 0) missing.push("no Docker engine answers (run make toolchain)");
    for (const base of [BASE_IMAGE, ALPINE_BASE]) {
        if (run("docker", ["image", "inspect", base]).code !== 0) missing.push(`no ${base} image (run make toolchain)`);
    }
    if (!fs.existsSync(BUSYBOX_TAR)) missing.push(`no ${BUSYBOX_TAR} (run make toolchain)`);
    missing.push(...missingPlugins(PROVIDER));
    if (missing.length) throw new Error(`end-to-end prerequisites missing:\n  ${missing.join("\n  ")}`);
}

/** The implementation the suite runs on: make test-e2e PROVIDER=pulumi|ndind. */
export const PROVIDER = process.env.PROVIDER ?? "ndind";

const PINS = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
const PLUGINS: Record<string, [string, string][]> = {
    pulumi: [["docker", PINS.dependencies["@pulumi/docker"]], ["command", PINS.dependencies["@pulumi/command"]]],
    ndind: [["ndind", fs.readFileSync(path.join(ROOT, "provider", "VERSION"), "utf8").trim()]],
};

/** The resource plugins an implementation needs that this PULUMI_HOME lacks, as messages. */
export function missingPlugins(kind: string): string[] {
    const wanted = PLUGINS[kind];
    if (!wanted) return [`PROVIDER is "${kind}": give pulumi or ndind`];
    const r = run("pulumi", ["plugin", "ls", "--json"]);
    const have = r.code === 0 ? JSON.parse(r.out) as { name: string; kind: string; version: string }[] : [];
    const home = process.env.PULUMI_HOME ?? "~/.pulumi";
    return wanted.filter(([name, version]) => !have.some((p) => p.kind === "resource" && p.name === name && p.version === version))
        .map(([name, version]) => kind === "ndind"
            ? `resource plugin ${name} ${version} is not installed in ${home} (run make toolchain)`
            : `resource plugin ${name} ${version} is not installed in ${home}: PROVIDER=pulumi needs it ` +
            `(pulumi plugin install resource ${name} ${version}; without internet, build it from the provider's public sources and install it with --file)`);
}

/** A stack's config file, where Pulumi.yaml's stackConfigDir puts it. */
export function stackFile(name: string): string {
    return path.join(ROOT, "stacks", `Pulumi.${name}.yaml`);
}

/** A stack of this project in the throwaway backend. */
export class Stack {
    readonly container: string;
    readonly storage: string;

    constructor(readonly name: string, config: Record<string, string | string[]>) {
        this.container = `nerdctl-dind-${name}`;
        this.storage = path.join(ROOT, "lib", name);
        removeLeftovers(this);
        must("pulumi", ["stack", "init", name, "--non-interactive"]);
        for (const [key, value] of Object.entries({ plugins: PROVIDER, ...config })) this.set(key, value);
    }

    set(key: string, value: string | string[]): void {
        if (Array.isArray(value)) {
            must("pulumi", ["config", "rm", "--stack", this.name, key]);
            value.forEach((v, i) => must("pulumi", ["config", "set", "--stack", this.name, "--type", "string", "--path", `${key}[${i}]`, v]));
        } else {
            must("pulumi", ["config", "set", "--stack", this.name, key, value]);
        }
    }

    pulumi(...args: string[]): string {
        return must("pulumi", [...args, "--stack", this.name, "--non-interactive"]);
    }

    up(): string {
        return this.pulumi("up", "--yes", "--skip-preview");
    }

    destroy(): string {
        return this.pulumi("destroy", "--yes", "--skip-preview");
    }

    outputs(): Record<string, unknown> {
        return JSON.parse(this.pulumi("stack", "output", "--json")) as Record<string, unknown>;
    }

    exec(...args: string[]): Run {
        return run("docker", ["exec", this.container, ...args]);
    }

    /** docker exec with `input` on the command's stdin. */
    execInput(input: string, ...args: string[]): Run {
        return run("docker", ["exec", "-i", this.container, ...args], input);
    }

    /** Tears down the stack and its folder: tests leave nothing behind. */
    remove(): void {
        run("pulumi", ["destroy", "--yes", "--skip-preview", "--stack", this.name, "--non-interactive"]);
        run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", this.name, "--non-interactive"]);
        removeLeftovers(this);
        run("docker", ["rmi", `nerdctl-dind:${this.name}`]);
        run("rm", ["-f", stackFile(this.name)]);
    }
}

/** Removes a stack made with make (make destroy, its state, wrapper, image, folder and stack file): tests leave nothing behind. */
export function removeMadeStack(name: string, storage = path.join(ROOT, "lib", name)): void {
    run("make", ["-s", "destroy", `STACK=${name}`]);
    run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", name, "--non-interactive"]);
    run("docker", ["rm", "-f", `nerdctl-dind-${name}`]);
    run("docker", ["rmi", `nerdctl-dind:${name}`]);
    fs.rmSync(storage, { recursive: true, force: true });
    fs.rmSync(stackFile(name), { force: true });
}

// A run killed half way (or a CI run before this one) may leave a wrapper
// and a folder under this name.
function removeLeftovers(s: Stack): void {
    run("docker", ["rm", "-f", s.container]);
    run("rm", ["-rf", s.storage]);
}

/** Polls (no fixed sleep) until check() is true; returns the seconds it took. */
export async function waitFor(what: string, seconds: number, check: () => boolean): Promise<number> {
    const start = Date.now();
    while (!check()) {
        if (Date.now() - start > seconds * 1000) throw new Error(`${what}: not within ${seconds} s`);
        await new Promise((r) => setTimeout(r, 100));
    }
    return (Date.now() - start) / 1000;
}

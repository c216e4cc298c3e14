// The Docker engine a stack targets: the local one, an address (ssh://,
// tcp:// with TLS material), or a Docker context. Every docker call of the
// stack goes there: the plugin gets the same three fields (EngineRef), host
// commands the same variables (engineEnv).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** What resources carry: the inputs the plugin turns into DOCKER_* variables. */
export interface EngineRef {
    dockerHost?: string;
    dockerContext?: string;
    /** Folder with ca.pem, cert.pem and key.pem (tcp:// with TLS). */
    dockerCertPath?: string;
}

export interface TlsMaterial {
    ca: string;
    cert: string;
    key: string;
}

/** The architectures the bundle is built for, as Go and `docker version` name them. */
export const ARCHES = ["amd64", "arm64"] as const;
export type Arch = typeof ARCHES[number];

export interface Engine {
    ref: EngineRef;
    /** What the engine runs on: the bundle, the tools, the probe image and the base are made for it. */
    arch: Arch;
    /** False for the engine on this machine (unix socket, or no setting). */
    remote: boolean;
    /** How messages name it. */
    name: string;
}

/** The oldest Docker API the wrapper works with: --cgroupns private needs 1.41 (Docker 20.10). */
export const MIN_API = "1.41";

const PROBE_TIMEOUT_S = 10;
/**
 * What the probe asks an engine: its API version and its architecture, one
 * word (ssh joins its arguments with spaces for the remote shell; no comma,
 * which bash would take for a brace expansion).
 */
const PROBE_FORMAT = "{{.Server.APIVersion}}/{{.Server.Arch}}";

/**
 * An architecture as the bundle names it, from `docker version` (amd64,
 * arm64), `docker info` or uname -m (x86_64, aarch64) or Node (x64);
 * undefined for one the bundle is not built for.
 */
export function archOf(answer: string): Arch | undefined {
    const names: Record<string, Arch> = { amd64: "amd64", x86_64: "amd64", x64: "amd64", arm64: "arm64", aarch64: "arm64" };
    return names[answer.trim()];
}

/** This machine's, which a stack's engine is taken to run on until the preflight asks it (no I/O). */
export function machineArch(): Arch {
    return archOf(process.arch) ?? "amd64";
}

/** The problem with an engine on an architecture the bundle is not built for. */
export function archProblem(name: string, answer: string): string {
    return `${name} runs on ${answer || "an architecture it did not name"}: the bundle is built for ${ARCHES.join(" and ")} only`;
}

/** The local engine's architecture (docker version), or undefined when it does not answer. */
export function localArch(ref: EngineRef): string | undefined {
    const r = spawnSync("docker", ["version", "--format", "{{.Server.Arch}}"], {
        encoding: "utf8", timeout: PROBE_TIMEOUT_S * 1000, env: { ...process.env, ...engineEnv(ref) },
    });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

export function engineEnv(ref: EngineRef): Record<string, string> {
    const env: Record<string, string> = {};
    if (ref.dockerHost) env.DOCKER_HOST = ref.dockerHost;
    if (ref.dockerContext) env.DOCKER_CONTEXT = ref.dockerContext;
    if (ref.dockerCertPath) {
        env.DOCKER_CERT_PATH = ref.dockerCertPath;
        env.DOCKER_TLS_VERIFY = "1";
    }
    return env;
}

/** Local unless it names a socket elsewhere; a context is remote unless its endpoint is a unix socket. */
export function isRemoteAddress(address: string): boolean {
    return !address.startsWith("unix://") && !address.startsWith("npipe://");
}

/**
 * The TLS material as the docker CLI reads it (DOCKER_CERT_PATH), in a
 * folder of this stack only this user can read, rewritten on every run.
 * Only the folder's path reaches the state; the material stays a secret.
 */
export function writeTls(cache: string, project: string, stack: string, tls: TlsMaterial): string {
    const dir = path.join(cache, "tls", `${project}.${stack}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    for (const [file, pem] of [["ca.pem", tls.ca], ["cert.pem", tls.cert], ["key.pem", tls.key]]) {
        fs.writeFileSync(path.join(dir, file), pem.endsWith("\n") ? pem : `${pem}\n`, { mode: 0o600 });
    }
    return dir;
}

export function cacheDir(): string {
    return process.env.NDIND_CACHE ?? path.join(os.homedir(), ".cache", "nerdctl-dind");
}

/** The endpoint of a Docker context, or undefined when there is no such context. */
export function contextEndpoint(name: string): string | undefined {
    const r = spawnSync("docker", ["context", "inspect", "--format", "{{.Endpoints.docker.Host}}", name],
        { encoding: "utf8", timeout: PROBE_TIMEOUT_S * 1000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * A bounded look at a remote engine before anything is made: reachable,
 * no password asked (ssh runs with BatchMode), a Docker API new enough, an
 * architecture the bundle is built for. Returns the problem, naming the
 * engine, or the architecture when it will do.
 */
export function probeEngine(engine: Engine): { problem: string } | { arch: Arch } {
    const host = engine.ref.dockerHost;
    const r = host?.startsWith("ssh://")
        ? spawnSync("ssh", sshProbeArgs(host), { encoding: "utf8", timeout: PROBE_TIMEOUT_S * 1000 })
        : spawnSync("docker", ["version", "--format", PROBE_FORMAT], {
            encoding: "utf8", timeout: PROBE_TIMEOUT_S * 1000, env: { ...process.env, ...engineEnv(engine.ref) },
        });
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") {
        return { problem: `${engine.name} did not answer within ${PROBE_TIMEOUT_S} s; check that the host is up and reachable from here` };
    }
    if (r.error) return { problem: `${engine.name} could not be asked: ${r.error.message}` };
    const problem = probeVerdict(engine.name, r.status ?? 1, r.stdout, r.stderr);
    const arch = archOf(r.stdout.trim().split("/")[1] ?? "");
    return problem !== undefined || arch === undefined ? { problem: problem ?? archProblem(engine.name, "") } : { arch };
}

/** ssh [-l user] [-p port] -- host docker version: what docker's own ssh transport runs, but never asking. */
export function sshProbeArgs(address: string): string[] {
    const u = new URL(address);
    const socket = u.pathname && u.pathname !== "/" ? [`--host=unix://${u.pathname}`] : [];
    return [
        "-o", "BatchMode=yes", "-o", `ConnectTimeout=${PROBE_TIMEOUT_S - 2}`, "-T",
        ...(u.username ? ["-l", decodeURIComponent(u.username)] : []),
        ...(u.port ? ["-p", u.port] : []),
        "--", u.hostname, "docker", ...socket, "version", "--format", PROBE_FORMAT,
    ];
}

/** Turns the probe's answer into a problem a user can act on. */
export function probeVerdict(name: string, code: number, stdout: string, stderr: string): string | undefined {
    const err = stderr.trim().split("\n").filter((l) => l.trim() !== "").pop() ?? "";
    if (code === 0) {
        const [api, arch = ""] = stdout.trim().split("/");
        if (!/^\d+\.\d+$/.test(api)) return `${name} answered "${stdout.trim()}" instead of a Docker API version`;
        if (apiOlder(api, MIN_API)) {
            return `${name} speaks Docker API ${api}; the wrapper needs ${MIN_API} (Docker 20.10) or later (--cgroupns private): upgrade Docker there`;
        }
        return archOf(arch) === undefined ? archProblem(name, arch) : undefined;
    }
    if (/Permission denied \(/.test(stderr)) {
        return `${name}: ssh would ask for a password (refused: runs are unattended); ` +
            `install your key there (ssh-copy-id) or name it with IdentityFile in ~/.ssh/config`;
    }
    if (/Host key verification failed/.test(stderr)) {
        return `${name}: its ssh host key is not in known_hosts; connect once with ssh and check the fingerprint`;
    }
    if (/Connection refused|Connection timed out|No route to host|Could not resolve|Name or service not known|cannot connect|Cannot connect|connection refused|no such host/i.test(stderr)) {
        return `${name} is unreachable: ${err}`;
    }
    if (/docker: (command )?not found|No such file or directory/.test(stderr)) {
        return `${name}: no docker CLI on that host's PATH (docker's ssh transport runs "docker system dial-stdio" there): ${err}`;
    }
    return `${name} did not answer as a Docker engine: ${err || `exit ${code}`}`;
}

export function apiOlder(api: string, min: string): boolean {
    const [a, b] = api.split(".").map(Number);
    const [c, d] = min.split(".").map(Number);
    return a < c || (a === c && b < d);
}

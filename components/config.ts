// The only place that reads pulumi.Config: raw settings in, one frozen,
// validated Settings out. Every problem is reported at once, before any
// resource exists, naming the setting, the bad value and what would do.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { cacheDir, contextEndpoint, Engine, isRemoteAddress, probeEngine, TlsMaterial, writeTls } from "./engine";
import { ImageSources, parseImageSources, RawImageSources } from "./registry-settings";
import { PROVIDER_KINDS, ProviderKind } from "./providers/kinds";

export const IPTABLES_BACKENDS = ["auto", "legacy", "nft"] as const;
export type IptablesBackend = typeof IPTABLES_BACKENDS[number];

export interface Versions {
    containerd: string;
    runc: string;
    cniPlugins: string;
    nerdctl: string;
}

export interface PortMapping {
    hostIp: string;
    hostPort: number;
    containerPort: number;
    protocol: "tcp" | "udp";
}

export interface Settings {
    project: string;
    stack: string;
    projectRoot: string;
    /** Which plugins serve the resources: @pulumi/docker + @pulumi/command, or our own twin of them. */
    provider: ProviderKind;
    baseImage: string;
    versions: Versions;
    nerdctlPatches: boolean;
    /** BuildKit (buildkitd + buildctl) in the bundle, for nerdctl build and compose build. */
    buildkit: boolean;
    storageDir: string;
    ports: PortMapping[];
    preload: string[];
    destroyDeletesStorage: boolean;
    privileged: boolean;
    /** How the wrapper picks its iptables backend: by trying each (auto), or the one named. */
    iptablesBackend: IptablesBackend;
    /** Where every docker call goes; storageDir is a folder on that engine's host. */
    engine: Engine;
    /** tcp:// engines: the client certificate, CA and key (secrets; written to a private folder at run time). */
    tls?: TlsMaterial;
    /** Host images, registries, proxies and the local registry. */
    sources: ImageSources;
}

/** Config values as Pulumi hands them over, before validation. */
export interface RawSettings extends RawImageSources {
    provider?: unknown;
    baseImage?: unknown;
    containerdVersion?: unknown;
    runcVersion?: unknown;
    cniPluginsVersion?: unknown;
    nerdctlVersion?: unknown;
    nerdctlPatches?: unknown;
    buildkit?: unknown;
    storageDir?: unknown;
    ports?: unknown;
    preload?: unknown;
    destroyDeletesStorage?: unknown;
    privileged?: unknown;
    iptablesBackend?: unknown;
    dockerHost?: unknown;
    dockerContext?: unknown;
    dockerTlsCa?: unknown;
    dockerTlsCert?: unknown;
    dockerTlsKey?: unknown;
    /** Names of the settings that were set with --secret. */
    secretKeys?: string[];
}

/** What parseSettings may ask outside itself; tests give their own. */
export interface Lookups {
    /** A Docker context's endpoint, undefined when there is no such context. */
    contextEndpoint(name: string): string | undefined;
}

/** Written into the storage folder so that no two stacks share one. */
export const OWNER_FILE = ".nerdctl-dind-owner";

export class SettingsError extends pulumi.RunError {
    constructor(readonly problems: string[]) {
        super(`invalid settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
}

const VERSION = /^\d+\.\d+\.\d+$/;
const IMAGE_REF = /^[a-z0-9][a-z0-9._\/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const PORT = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/;

export function parseSettings(raw: RawSettings, project: string, stack: string, projectRoot: string,
    lookups: Lookups = { contextEndpoint }): Settings {
    const problems: string[] = [];
    const key = (name: string) => `${project}:${name}`;
    const str = (name: keyof RawSettings, value: unknown): string => {
        if (typeof value === "string") return value;
        problems.push(value === undefined
            ? `${key(name)} is not set: set it, or restore its default in Pulumi.yaml`
            : `${key(name)} must be a string, got ${JSON.stringify(value)}`);
        return "";
    };
    const bool = (name: keyof RawSettings, value: unknown): boolean => {
        if (typeof value === "boolean") return value;
        if (value === "true" || value === "false") return value === "true";
        problems.push(`${key(name)} must be true or false, got ${JSON.stringify(value)}`);
        return false;
    };
    const list = (name: keyof RawSettings, value: unknown): string[] => {
        if (value === undefined) return [];
        if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
        problems.push(`${key(name)} must be a list of strings, got ${JSON.stringify(value)}; ` +
            `set it with: pulumi config set --path '${name}[0]' VALUE`);
        return [];
    };
    const version = (name: keyof RawSettings): string => {
        const v = str(name, raw[name]);
        if (v && !VERSION.test(v)) {
            problems.push(`${key(name)} is "${v}": write a release as X.Y.Z, e.g. 1.7.2 (no leading "v")`);
        }
        return v;
    };

    const provider = checkProvider(str("provider", raw.provider ?? ""), key("provider"), problems);
    const baseImage = str("baseImage", raw.baseImage);
    if (baseImage === "" && typeof raw.baseImage === "string") {
        problems.push(`${key("baseImage")} is empty: give an image reference such as alpine:3.23, or pulumi config rm baseImage for the default`);
    } else if (baseImage && !IMAGE_REF.test(baseImage)) {
        problems.push(`${key("baseImage")} is "${baseImage}": give an image reference such as alpine:3.23`);
    }
    const versions: Versions = {
        containerd: version("containerdVersion"),
        runc: version("runcVersion"),
        cniPlugins: version("cniPluginsVersion"),
        nerdctl: version("nerdctlVersion"),
    };
    const nerdctlPatches = bool("nerdctlPatches", raw.nerdctlPatches ?? true);
    const buildkit = bool("buildkit", raw.buildkit ?? true);
    const { engine, tls } = checkEngine(raw, str, key, problems, lookups);
    const storageDir = engine.remote
        ? checkRemoteStorage(str("storageDir", raw.storageDir ?? ""), stack, engine, key, problems)
        : checkStorage(str("storageDir", raw.storageDir ?? ""), project, stack, projectRoot, key, problems);
    const ports = checkPorts(list("ports", raw.ports), key("ports"), problems);
    const preload = checkPreload(list("preload", raw.preload), projectRoot, key("preload"), problems);
    const destroyDeletesStorage = bool("destroyDeletesStorage", raw.destroyDeletesStorage ?? false);
    const privileged = bool("privileged", raw.privileged ?? true);
    const iptablesBackend = checkIptablesBackend(str("iptablesBackend", raw.iptablesBackend ?? "auto"), key("iptablesBackend"), problems);
    const sources = parseImageSources(raw, key, (n) => (raw.secretKeys ?? []).includes(key(n)), problems);

    if (problems.length > 0) throw new SettingsError(problems);
    return Object.freeze({
        project, stack, projectRoot, provider, baseImage, versions: Object.freeze(versions), nerdctlPatches, buildkit, storageDir,
        ports: Object.freeze(ports) as PortMapping[], preload: Object.freeze(preload) as string[],
        destroyDeletesStorage, privileged, iptablesBackend, engine: Object.freeze(engine), tls, sources: deepFreeze(sources),
    });
}

function checkIptablesBackend(value: string, key: string, problems: string[]): IptablesBackend {
    if ((IPTABLES_BACKENDS as readonly string[]).includes(value)) return value as IptablesBackend;
    problems.push(`${key} is "${value}": give auto (the wrapper tries each backend), legacy or nft`);
    return "auto";
}

/** Chosen once, by `make stack`, when the stack is made: a flip replaces every resource. */
function checkProvider(value: string, key: string, problems: string[]): ProviderKind {
    if ((PROVIDER_KINDS as readonly string[]).includes(value)) return value as ProviderKind;
    problems.push(value === ""
        ? `${key} is not set: run \`make stack STACK=<name>\` (it picks pulumi where the docker and command plugins are installed, ndind otherwise), ` +
          `or set it: pulumi config set provider pulumi|ndind`
        : `${key} is "${value}": give one of ${PROVIDER_KINDS.join(", ")}`);
    return "ndind";
}

const SSH_HOST = /^ssh:\/\/(?:[A-Za-z0-9._-]+@)?(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::\d{1,5})?(?:\/[^\s]*)?$/;
const TCP_HOST = /^tcp:\/\/(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):\d{1,5}$/;
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;
const PEM_FILE = { dockerTlsCa: "ca.pem", dockerTlsCert: "cert.pem", dockerTlsKey: "key.pem" } as const;
const LOOPBACK = /^tcp:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):/;

/** dockerHost or dockerContext (not both), and TLS material only where it is used. */
function checkEngine(raw: RawSettings, str: (n: keyof RawSettings, v: unknown) => string,
    key: (n: string) => string, problems: string[], lookups: Lookups): { engine: Engine; tls?: TlsMaterial } {
    const host = str("dockerHost", raw.dockerHost ?? "");
    const context = str("dockerContext", raw.dockerContext ?? "");
    const pems = (["dockerTlsCa", "dockerTlsCert", "dockerTlsKey"] as const).map((n) => [n, str(n, raw[n] ?? "")] as const);
    const given = pems.filter(([, v]) => v !== "");
    const local: Engine = { ref: {}, remote: false, name: "the local engine" };

    if (given.length > 0) {
        if (!host.startsWith("tcp://")) {
            problems.push(`${given.map(([n]) => key(n)).join(", ")}: TLS material is for a tcp:// dockerHost only; ` +
                `remove it (pulumi config rm) or set dockerHost to tcp://HOST:2376`);
        } else if (given.length < 3) {
            const missing = pems.filter(([, v]) => v === "").map(([n]) => n);
            problems.push(`${missing.map(key).join(", ")} not set: give all three, e.g. ` +
                `pulumi config set --secret ${missing[0]} -- "$(cat ${PEM_FILE[missing[0]]})"`);
        }
        for (const [n, v] of given) {
            if (!v.includes("-----BEGIN ")) problems.push(`${key(n)} is not PEM text (no "-----BEGIN" line): give the file's content, not its path`);
            if (!(raw.secretKeys ?? []).includes(key(n))) {
                problems.push(`${key(n)} is stored in plain text: set it again with pulumi config set --secret ${n} -- "$(cat ${PEM_FILE[n]})"`);
            }
        }
    }
    if (host && context) {
        problems.push(`${key("dockerHost")} and ${key("dockerContext")} are both set: give one (pulumi config rm the other)`);
        return { engine: local };
    }
    if (context) {
        if (!CONTEXT_NAME.test(context)) {
            problems.push(`${key("dockerContext")} is "${context}": give the name of a Docker context (docker context ls)`);
            return { engine: local };
        }
        const endpoint = lookups.contextEndpoint(context);
        if (endpoint === undefined) {
            problems.push(`${key("dockerContext")} is "${context}": no such Docker context here; make it with docker context create, or see docker context ls`);
            return { engine: local };
        }
        return { engine: { ref: { dockerContext: context }, remote: isRemoteAddress(endpoint), name: `Docker context ${context} (${endpoint})` } };
    }
    if (!host) return { engine: local };
    if (host.startsWith("unix://")) return { engine: { ref: { dockerHost: host }, remote: false, name: host } };
    if (host.startsWith("ssh://") && !SSH_HOST.test(host)) {
        problems.push(`${key("dockerHost")} is "${host}": write ssh://[USER@]HOST[:PORT], e.g. ssh://dev@build1.example.com`);
    } else if (host.startsWith("tcp://") && !TCP_HOST.test(host)) {
        problems.push(`${key("dockerHost")} is "${host}": write tcp://HOST:PORT, e.g. tcp://build1.example.com:2376`);
    } else if (host.startsWith("tcp://") && given.length === 0 && !LOOPBACK.test(host)) {
        problems.push(`${key("dockerHost")} is "${host}": plain tcp:// gives root on that host to anyone who reaches the port; ` +
            `set dockerTlsCa, dockerTlsCert and dockerTlsKey (as secrets), or use ssh://`);
    } else if (!/^(tcp|ssh):\/\//.test(host)) {
        problems.push(`${key("dockerHost")} is "${host}": give ssh://, tcp:// or unix:// followed by the address, or leave it empty`);
    }
    const tls = given.length === 3 ? { ca: pems[0][1], cert: pems[1][1], key: pems[2][1] } : undefined;
    return { engine: { ref: { dockerHost: host }, remote: true, name: host }, tls };
}

/** On a remote engine the folder is on that host: only its form can be checked here. */
function checkRemoteStorage(value: string, stack: string, engine: Engine,
    key: (n: string) => string, problems: string[]): string {
    const fallback = `/var/lib/nerdctl-dind/${stack}`;
    if (value === "") return fallback;
    if (!path.posix.isAbsolute(value) || path.posix.normalize(value) === "/") {
        problems.push(`${key("storageDir")} is "${value}": give an absolute folder on ${engine.name}, e.g. ${fallback}`);
        return value;
    }
    return path.posix.normalize(value).replace(/\/$/, "");
}

function deepFreeze<T>(o: T): T {
    if (typeof o === "object" && o !== null) Object.values(o).forEach(deepFreeze);
    return Object.freeze(o);
}

function checkStorage(value: string, project: string, stack: string, root: string,
    key: (n: string) => string, problems: string[]): string {
    if (value === "") return path.join(root, "lib", stack);
    if (!path.isAbsolute(value)) {
        problems.push(`${key("storageDir")} is "${value}": give an absolute path, e.g. ${path.join(root, "lib", stack)}`);
        return value;
    }
    const dir = path.normalize(value);
    if (!fs.existsSync(path.dirname(dir))) {
        problems.push(`${key("storageDir")} is "${value}": its parent folder ${path.dirname(dir)} does not exist; create it first`);
        return dir;
    }
    const writable = fs.existsSync(dir) ? dir : path.dirname(dir);
    // A real write, since access(2) says yes to root even where writes fail.
    try {
        fs.rmdirSync(fs.mkdtempSync(path.join(writable, ".ndind-probe-")));
    } catch {
        problems.push(`${key("storageDir")} is "${value}": ${writable} is not writable; give a folder this user can write to`);
        return dir;
    }
    const ownerFile = path.join(dir, OWNER_FILE);
    if (fs.existsSync(ownerFile)) {
        const owner = fs.readFileSync(ownerFile, "utf8").trim();
        if (owner !== `${project}/${stack}`) {
            problems.push(`${key("storageDir")} is "${value}": that folder holds the images of stack ${owner}; ` +
                `give this stack a folder of its own`);
        }
    }
    return dir;
}

function checkPorts(specs: string[], key: string, problems: string[]): PortMapping[] {
    const ports: PortMapping[] = [];
    const seen = new Map<string, number>();
    specs.forEach((spec, i) => {
        const m = PORT.exec(spec.trim());
        const hostPort = m ? Number(m[2]) : NaN;
        const containerPort = m ? Number(m[3]) : NaN;
        if (!m || !validPort(hostPort) || !validPort(containerPort)) {
            problems.push(`${key}[${i}] is "${spec}": write [HOSTADDR:]HOSTPORT:CONTAINERPORT[/tcp|/udp] with ports 1-65535, e.g. 8080:80`);
            return;
        }
        const port: PortMapping = {
            hostIp: m[1] ? m[1].replace(/^\[|\]$/g, "") : "127.0.0.1",
            hostPort, containerPort, protocol: (m[4] as "tcp" | "udp" | undefined) ?? "tcp",
        };
        const id = `${port.hostPort}/${port.protocol}`;
        const first = seen.get(id);
        if (first !== undefined) {
            problems.push(`${key}[${i}] is "${spec}": host port ${id} is already published by ${key}[${first}]; give each host port once`);
            return;
        }
        seen.set(id, i);
        ports.push(port);
    });
    return ports;
}

function validPort(n: number): boolean {
    return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function checkPreload(files: string[], root: string, key: string, problems: string[]): string[] {
    const names = new Map<string, number>();
    return files.map((file, i) => {
        const abs = path.resolve(root, file);
        if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) {
            problems.push(`${key}[${i}] is "${file}": no such file (${abs}); give the path of an image tarball made by docker save or nerdctl save`);
        }
        const first = names.get(path.basename(abs));
        if (first !== undefined) {
            problems.push(`${key}[${i}] is "${file}": its file name is the same as ${key}[${first}]'s; rename one, they share /preload in the wrapper`);
        }
        names.set(path.basename(abs), i);
        return abs;
    });
}

/** The settings Pulumi.yaml declares (the keys of its config block): the one list of them. */
export function declaredSettings(projectRoot: string): string[] {
    const text = fs.readFileSync(path.join(projectRoot, "Pulumi.yaml"), "utf8");
    const block = (text.split(/^config:[ \t]*$/m)[1] ?? "").split(/^\S/m)[0];
    return [...block.matchAll(/^ {2}([A-Za-z][A-Za-z0-9]*):[ \t]*$/gm)].map((m) => m[1]);
}

/** Settings of this project the stack sets but Pulumi.yaml does not declare: typos, which would be ignored. */
export function unknownSettings(keys: string[], declared: string[], project: string): string[] {
    return keys.filter((k) => k.startsWith(`${project}:`) && !declared.includes(k.slice(project.length + 1))).map((k) => {
        const name = k.slice(project.length + 1);
        const near = declared.map((d) => [d, distance(name.toLowerCase(), d.toLowerCase())] as const)
            .sort((a, b) => a[1] - b[1])[0];
        const hint = near && near[1] <= 3 ? `did you mean ${near[0]}? ` : "";
        return `${k} is not a setting of this project: ${hint}remove it with pulumi config rm ${name} ` +
            `(the settings are in Pulumi.yaml and the README's Settings table)`;
    });
}

/** Edit distance, for the nearest setting to a typo. */
function distance(a: string, b: string): number {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const next = [i];
        for (let j = 1; j <= b.length; j++) {
            next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        row = next;
    }
    return row[b.length];
}

/** The keys of the stack's config as "project:name"; the CLI hands them over as "project:config:name". */
function configKeys(): string[] {
    try {
        const config: unknown = JSON.parse(process.env.PULUMI_CONFIG ?? "{}");
        return config && typeof config === "object" ? Object.keys(config).map((k) => k.replace(/^([^:]+):config:/, "$1:")) : [];
    } catch {
        return [];
    }
}

/** Reads this stack's settings; defaults come from Pulumi.yaml. */
export function loadSettings(projectRoot: string): Settings {
    const config = new pulumi.Config();
    const raw: RawSettings = {
        provider: config.get("provider"),
        baseImage: config.get("baseImage"),
        containerdVersion: config.get("containerdVersion"),
        runcVersion: config.get("runcVersion"),
        cniPluginsVersion: config.get("cniPluginsVersion"),
        nerdctlVersion: config.get("nerdctlVersion"),
        nerdctlPatches: config.getObject<unknown>("nerdctlPatches"),
        buildkit: config.getObject<unknown>("buildkit"),
        storageDir: config.get("storageDir"),
        ports: config.getObject<unknown>("ports"),
        preload: config.getObject<unknown>("preload"),
        destroyDeletesStorage: config.getObject<unknown>("destroyDeletesStorage"),
        privileged: config.getObject<unknown>("privileged"),
        iptablesBackend: config.get("iptablesBackend"),
        dockerHost: config.get("dockerHost"),
        dockerContext: config.get("dockerContext"),
        dockerTlsCa: config.get("dockerTlsCa"),
        dockerTlsCert: config.get("dockerTlsCert"),
        dockerTlsKey: config.get("dockerTlsKey"),
        hostImages: config.getObject<unknown>("hostImages"),
        registryMirrors: config.getObject<unknown>("registryMirrors"),
        insecureRegistries: config.getObject<unknown>("insecureRegistries"),
        registryCA: config.get("registryCA"),
        // Read plain to be checked; handed on only as pulumi.secret (components/registries.ts).
        registryAuth: config.getObject<unknown>("registryAuth"),
        httpProxy: config.get("httpProxy"),
        httpsProxy: config.get("httpsProxy"),
        noProxy: config.get("noProxy"),
        localRegistry: config.getObject<unknown>("localRegistry"),
        localRegistryPort: config.getObject<unknown>("localRegistryPort"),
        secretKeys: secretKeys(),
    };
    const unknown = unknownSettings(configKeys(), declaredSettings(projectRoot), pulumi.getProject());
    let s: Settings;
    try {
        s = parseSettings(raw, pulumi.getProject(), pulumi.getStack(), projectRoot);
    } catch (e) {
        throw e instanceof SettingsError ? new SettingsError([...unknown, ...e.problems]) : e;
    }
    if (unknown.length > 0) throw new SettingsError(unknown);
    if (!s.engine.remote) return s;
    const engine = s.tls
        ? { ...s.engine, ref: { ...s.engine.ref, dockerCertPath: writeTls(cacheDir(), s.project, s.stack, s.tls) } }
        : s.engine;
    // Cheap and bounded (one ssh or docker call, 10 s at most), so a wrong host fails at preview.
    const problem = probeEngine(engine);
    if (problem) throw new SettingsError([problem]);
    return Object.freeze({ ...s, engine: Object.freeze(engine) });
}

// The Pulumi CLI names the settings set with --secret in this variable.
function secretKeys(): string[] {
    try {
        const keys: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
        return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
    } catch {
        return [];
    }
}

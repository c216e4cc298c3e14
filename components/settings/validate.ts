// Raw settings in, one frozen, typed Settings out. Every problem is reported
// at once, before any resource exists, naming the setting, the bad value and
// what would do. No I/O: what needs the disk or the engine (the storage
// folder, the preload files, the engine itself) is preflight.ts's; a Docker
// context's endpoint comes in as a lookup.
import * as path from "path";
import { Engine, isRemoteAddress, machineArch, TlsMaterial } from "../engine";
import { PLUGIN_SETS, PluginSet } from "../plugins/kinds";
import { CATALOG, RawSettings, SettingName } from "./catalog";
import { parseImageSources } from "./image-sources";
import {
    FORWARD_MODES, ForwardMode, IPTABLES_BACKENDS, IptablesBackend, PortMapping, Settings, SettingsError, STORAGE_LAYOUTS, StorageLayout, Versions,
} from "./types";

/** What parseSettings may ask outside itself; load.ts gives the docker CLI's answers, tests their own. */
export interface Lookups {
    /** A Docker context's endpoint, undefined when there is no such context. */
    contextEndpoint(name: string): string | undefined;
}

const VERSION = /^\d+\.\d+\.\d+$/;
const IMAGE_REF = /^[a-z0-9][a-z0-9._\/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const PORT = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(\d+):(\d+)(?:\/(tcp|udp))?$/;

export function parseSettings(given: RawSettings, project: string, stack: string, projectRoot: string, lookups: Lookups): Settings {
    const problems: string[] = [];
    // What the stack leaves unset takes the catalog's default, as Pulumi.yaml gives it to a real run.
    const raw: RawSettings = { ...given };
    for (const [name, d] of Object.entries(CATALOG)) raw[name as SettingName] ??= d.default;
    const key = (name: string) => `${project}:${name}`;
    const str = (name: keyof RawSettings, value: unknown): string => {
        if (typeof value === "string") return value;
        problems.push(`${key(name)} must be a string, got ${JSON.stringify(value)}`);
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

    const plugins = checkPlugins(str("plugins", raw.plugins), key("plugins"), problems);
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
        buildkit: version("buildkitVersion"),
    };
    const nerdctlPatches = bool("nerdctlPatches", raw.nerdctlPatches);
    const buildkit = bool("buildkit", raw.buildkit);
    if (versions.buildkit && !buildkit) {
        problems.push(`${key("buildkitVersion")} is "${versions.buildkit}" but ${key("buildkit")} is false, so no BuildKit is built: ` +
            "pulumi config rm buildkitVersion, or pulumi config set buildkit true");
    }
    // The architecture is this machine's until the preflight asks the engine.
    const { engine: where, tls } = checkEngine(raw, str, key, problems, lookups);
    const engine: Engine = { ...where, arch: machineArch() };
    const storageDir = engine.remote
        ? checkRemoteStorage(str("storageDir", raw.storageDir), stack, engine, key, problems)
        : checkLocalStorage(str("storageDir", raw.storageDir), stack, projectRoot, key, problems);
    const storageLayout = checkStorageLayout(str("storageLayout", raw.storageLayout), key("storageLayout"), problems);
    const storageImageSize = checkImageSize(str("storageImageSize", raw.storageImageSize), key("storageImageSize"), problems);
    const storageMinFree = checkMinFree(raw.storageMinFree, key("storageMinFree"), problems);
    const ports = checkPorts(list("ports", raw.ports), key("ports"), problems);
    const forwards = checkForwards(str("forwards", raw.forwards), key("forwards"), problems);
    const preload = checkPreloadNames(list("preload", raw.preload), projectRoot, key("preload"), problems);
    const destroyDeletesStorage = bool("destroyDeletesStorage", raw.destroyDeletesStorage);
    const privileged = bool("privileged", raw.privileged);
    const iptablesBackend = checkIptablesBackend(str("iptablesBackend", raw.iptablesBackend), key("iptablesBackend"), problems);
    const sources = parseImageSources(raw, key, (n) => (raw.secretKeys ?? []).includes(key(n)), problems);

    if (problems.length > 0) throw new SettingsError(problems);
    return Object.freeze({
        project, stack, projectRoot, plugins, baseImage, versions: Object.freeze(versions), nerdctlPatches, buildkit, storageDir,
        storageLayout, storageImageSize, storageMinFree, forwards, ports: Object.freeze(ports) as PortMapping[], preload: Object.freeze(preload) as string[],
        destroyDeletesStorage, privileged, iptablesBackend, engine: Object.freeze(engine), tls, sources: deepFreeze(sources),
    });
}

function checkForwards(value: string, key: string, problems: string[]): ForwardMode {
    if ((FORWARD_MODES as readonly string[]).includes(value)) return value as ForwardMode;
    problems.push(`${key} is "${value}": give loopback (every forward on 127.0.0.1), asked (the address the inner -p asked for) or off`);
    return "loopback";
}

function checkIptablesBackend(value: string, key: string, problems: string[]): IptablesBackend {
    if ((IPTABLES_BACKENDS as readonly string[]).includes(value)) return value as IptablesBackend;
    problems.push(`${key} is "${value}": give auto (the wrapper tries each backend), legacy or nft`);
    return "auto";
}

function checkStorageLayout(value: string, key: string, problems: string[]): StorageLayout {
    if ((STORAGE_LAYOUTS as readonly string[]).includes(value)) return value as StorageLayout;
    problems.push(`${key} is "${value}": give auto (the wrapper chooses), folder or image`);
    return "auto";
}

// At least 1 GiB: containerd, nerdctl and BuildKit need room to start with.
const IMAGE_SIZE = /^(\d+)([MGT])$/;
const MIB = { M: 1, G: 1024, T: 1024 * 1024 } as const;

function checkImageSize(value: string, key: string, problems: string[]): string {
    const m = IMAGE_SIZE.exec(value);
    if (m && Number(m[1]) * MIB[m[2] as keyof typeof MIB] >= 1024) return value;
    problems.push(`${key} is "${value}": give a size of 1G or more as NUMBER with M, G or T, e.g. 64G`);
    return "64G";
}

// A percent: 100 would warn on every filesystem, a fraction cannot be set by `pulumi config set` as a number.
function checkMinFree(value: unknown, key: string, problems: string[]): number {
    const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 99) return n;
    problems.push(`${key} is ${JSON.stringify(value)}: give a whole percent from 0 to 99, e.g. 10 (0: never warn)`);
    return 10;
}

/** Chosen once, by `make stack`, when the stack is made: a flip replaces every resource. */
function checkPlugins(value: string, key: string, problems: string[]): PluginSet {
    if ((PLUGIN_SETS as readonly string[]).includes(value)) return value as PluginSet;
    problems.push(value === ""
        ? `${key} is not set: run \`make stack STACK=<name>\` (it picks pulumi where the docker and command plugins are installed, ndind otherwise), ` +
        `or set it: pulumi config set plugins pulumi|ndind`
        : `${key} is "${value}": give one of ${PLUGIN_SETS.join(", ")}`);
    return "ndind";
}

const SSH_HOST = /^ssh:\/\/(?:[A-Za-z0-9._-]+@)?(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::\d{1,5})?(?:\/[^\s]*)?$/;
const TCP_HOST = /^tcp:\/\/(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):\d{1,5}$/;
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;
const PEM_FILE = { dockerTlsCa: "ca.pem", dockerTlsCert: "cert.pem", dockerTlsKey: "key.pem" } as const;
const LOOPBACK = /^tcp:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):/;

/** dockerHost or dockerContext (not both), and TLS material only where it is used. */
function checkEngine(raw: RawSettings, str: (n: keyof RawSettings, v: unknown) => string,
    key: (n: string) => string, problems: string[], lookups: Lookups): { engine: Omit<Engine, "arch">; tls?: TlsMaterial } {
    const host = str("dockerHost", raw.dockerHost);
    const context = str("dockerContext", raw.dockerContext);
    const pems = (["dockerTlsCa", "dockerTlsCert", "dockerTlsKey"] as const).map((n) => [n, str(n, raw[n])] as const);
    const given = pems.filter(([, v]) => v !== "");
    const local = { ref: {}, remote: false, name: "the local engine" };

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


/** A local folder's form; whether it can be used is the preflight's to find out. */
function checkLocalStorage(value: string, stack: string, root: string, key: (n: string) => string, problems: string[]): string {
    if (value === "") return path.join(root, "lib", stack);
    if (!path.isAbsolute(value)) {
        problems.push(`${key("storageDir")} is "${value}": give an absolute path, e.g. ${path.join(root, "lib", stack)}`);
        return value;
    }
    return path.normalize(value);
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

/** Each file once under /preload: their names must differ. Whether they exist is the preflight's to find out. */
function checkPreloadNames(files: string[], root: string, key: string, problems: string[]): string[] {
    const names = new Map<string, number>();
    return files.map((file, i) => {
        const abs = path.resolve(root, file);
        const first = names.get(path.basename(abs));
        if (first !== undefined) {
            problems.push(`${key}[${i}] is "${file}": its file name is the same as ${key}[${first}]'s; rename one, they share /preload in the wrapper`);
        }
        names.set(path.basename(abs), i);
        return abs;
    });
}

// The only place that reads pulumi.Config: raw settings in, one frozen,
// validated Settings out. Every problem is reported at once, before any
// resource exists, naming the setting, the bad value and what would do.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

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
    baseImage: string;
    versions: Versions;
    nerdctlPatches: boolean;
    storageDir: string;
    ports: PortMapping[];
    preload: string[];
    destroyDeletesStorage: boolean;
    privileged: boolean;
    dockerHost?: string;
}

/** Config values as Pulumi hands them over, before validation. */
export interface RawSettings {
    baseImage?: unknown;
    containerdVersion?: unknown;
    runcVersion?: unknown;
    cniPluginsVersion?: unknown;
    nerdctlVersion?: unknown;
    nerdctlPatches?: unknown;
    storageDir?: unknown;
    ports?: unknown;
    preload?: unknown;
    destroyDeletesStorage?: unknown;
    privileged?: unknown;
    dockerHost?: unknown;
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

export function parseSettings(raw: RawSettings, project: string, stack: string, projectRoot: string): Settings {
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

    const baseImage = str("baseImage", raw.baseImage);
    if (baseImage && !IMAGE_REF.test(baseImage)) {
        problems.push(`${key("baseImage")} is "${baseImage}": give an image reference such as alpine:3.18`);
    }
    const versions: Versions = {
        containerd: version("containerdVersion"),
        runc: version("runcVersion"),
        cniPlugins: version("cniPluginsVersion"),
        nerdctl: version("nerdctlVersion"),
    };
    const nerdctlPatches = bool("nerdctlPatches", raw.nerdctlPatches ?? true);
    const storageDir = checkStorage(str("storageDir", raw.storageDir ?? ""), project, stack, projectRoot, key, problems);
    const ports = checkPorts(list("ports", raw.ports), key("ports"), problems);
    const preload = checkPreload(list("preload", raw.preload), projectRoot, key("preload"), problems);
    const destroyDeletesStorage = bool("destroyDeletesStorage", raw.destroyDeletesStorage ?? false);
    const privileged = bool("privileged", raw.privileged ?? true);
    const dockerHost = str("dockerHost", raw.dockerHost ?? "") || undefined;
    if (dockerHost && !/^(unix|tcp|ssh|npipe):\/\/./.test(dockerHost)) {
        problems.push(`${key("dockerHost")} is "${dockerHost}": give unix://, tcp:// or ssh:// followed by the address, or leave it empty`);
    }

    if (problems.length > 0) throw new SettingsError(problems);
    return Object.freeze({
        project, stack, projectRoot, baseImage, versions: Object.freeze(versions), nerdctlPatches, storageDir,
        ports: Object.freeze(ports) as PortMapping[], preload: Object.freeze(preload) as string[],
        destroyDeletesStorage, privileged, dockerHost,
    });
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

/** Reads this stack's settings; defaults come from Pulumi.yaml. */
export function loadSettings(projectRoot: string): Settings {
    const config = new pulumi.Config();
    const raw: RawSettings = {
        baseImage: config.get("baseImage"),
        containerdVersion: config.get("containerdVersion"),
        runcVersion: config.get("runcVersion"),
        cniPluginsVersion: config.get("cniPluginsVersion"),
        nerdctlVersion: config.get("nerdctlVersion"),
        nerdctlPatches: config.getObject<unknown>("nerdctlPatches"),
        storageDir: config.get("storageDir"),
        ports: config.getObject<unknown>("ports"),
        preload: config.getObject<unknown>("preload"),
        destroyDeletesStorage: config.getObject<unknown>("destroyDeletesStorage"),
        privileged: config.getObject<unknown>("privileged"),
        dockerHost: config.get("dockerHost"),
    };
    return parseSettings(raw, pulumi.getProject(), pulumi.getStack(), projectRoot);
}

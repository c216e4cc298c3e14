// The image-source settings (host images, registries, proxies, the local
// registry), checked the way validate.ts checks the rest: each problem names
// the setting, the bad value and what would do. Pure: no Docker, no network.
import { RawSettings } from "./catalog";

export interface RegistryMirror {
    /** Tried in order; each is a URL with scheme (http:// or https://). */
    endpoints: string[];
    /** After the endpoints, try the registry itself (containerd's `server`). */
    fallback: boolean;
}

export interface RegistryAuth {
    username: string;
    /** Only ever handed on as a Pulumi secret. */
    password: string;
}

export interface Proxy {
    httpProxy: string;
    httpsProxy: string;
    noProxy: string;
}

export interface ImageSources {
    hostImages: string[];
    registryMirrors: Record<string, RegistryMirror>;
    /** registry host -> "http" (plain) or "https-skip-verify" (self-signed). */
    insecureRegistries: Record<string, "http" | "https-skip-verify">;
    registryCA: string;
    registryAuth: Record<string, RegistryAuth>;
    proxy: Proxy;
    /** Any proxy URL carries a user:password: then the whole proxy is a secret. */
    proxyHasCredentials: boolean;
    localRegistry: boolean;
    localRegistryPort: number;
}

/** The image-source settings as Pulumi hands them over. */
export type RawImageSources = Pick<RawSettings, "hostImages" | "registryMirrors" | "insecureRegistries" | "registryCA" |
    "registryAuth" | "httpProxy" | "httpsProxy" | "noProxy" | "localRegistry" | "localRegistryPort">;

// A registry as image references name it: a DNS name or IPv4 address (or
// [IPv6]) with an optional port; containerd's certs.d folders use the same.
const REGISTRY_HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:]+\])(?::(\d{1,5}))?$/;
const HOST_IMAGE = /^[a-z0-9][a-z0-9._\/:-]*(@sha256:[a-f0-9]{64})?$|^sha256:[a-f0-9]{64}$/;
const NO_PROXY_ENTRY = /^(?:\*|\.?[A-Za-z0-9.-]+(?::\d+)?|[0-9.]+\/\d{1,2}|\[?[0-9a-fA-F:]+\]?(?:\/\d{1,3})?)$/;

export function isRegistryHost(s: string): boolean {
    const m = REGISTRY_HOST.exec(s);
    return m !== null && (m[1] === undefined || (Number(m[1]) >= 1 && Number(m[1]) <= 65535));
}

function urlProblem(value: string, schemes: string[]): string | undefined {
    let u: URL;
    try {
        u = new URL(value);
    } catch {
        return "not a URL";
    }
    if (!schemes.includes(u.protocol.replace(/:$/, ""))) return `scheme ${u.protocol} is not one of ${schemes.map((s) => `${s}://`).join(", ")}`;
    if (!u.hostname) return "no host";
    if (u.pathname !== "/" && u.pathname !== "") return "a path is not allowed";
    return undefined;
}

/** Hides the password of a URL for a message: secrets never go into logs. */
export function redact(url: string): string {
    return url.replace(/^([a-z0-9+.-]+:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * key(name) gives the full setting name; isSecret(name) says whether the
 * stack holds that setting as a Pulumi secret.
 */
export function parseImageSources(raw: RawImageSources, key: (n: string) => string,
    isSecret: (n: string) => boolean, problems: string[]): ImageSources {
    const hostImages = stringList(raw.hostImages, "hostImages", key, problems);
    hostImages.forEach((img, i) => {
        if (!HOST_IMAGE.test(img)) {
            problems.push(`${key("hostImages")}[${i}] is "${img}": give a host image name such as busybox:ndind (see docker images)`);
        }
    });

    const registryMirrors: Record<string, RegistryMirror> = {};
    const mirrors = raw.registryMirrors ?? {};
    if (!isObject(mirrors)) {
        problems.push(`${key("registryMirrors")} must be an object of registry -> {endpoints, fallback}, got ${JSON.stringify(mirrors)}; ` +
            `set it with: pulumi config set --path 'registryMirrors["docker.io"].endpoints[0]' http://mirror:5000`);
    } else {
        for (const [registry, spec] of Object.entries(mirrors)) {
            const at = `${key("registryMirrors")}["${registry}"]`;
            if (!isRegistryHost(registry)) {
                problems.push(`${at}: "${registry}" is not a registry host; name it as images do, e.g. docker.io or registry.example.com:5000`);
                continue;
            }
            const endpoints = isObject(spec) ? spec.endpoints : undefined;
            if (!Array.isArray(endpoints) || endpoints.length === 0 || !endpoints.every((e) => typeof e === "string")) {
                problems.push(`${at}.endpoints must be a non-empty list of URLs, got ${JSON.stringify(endpoints)}; ` +
                    `set it with: pulumi config set --path 'registryMirrors["${registry}"].endpoints[0]' http://mirror:5000`);
                continue;
            }
            endpoints.forEach((e: string, i: number) => {
                const why = urlProblem(e, ["http", "https"]);
                if (why) problems.push(`${at}.endpoints[${i}] is "${redact(e)}": ${why}; give http://HOST[:PORT] or https://HOST[:PORT]`);
            });
            const fallback = isObject(spec) ? spec.fallback ?? true : true;
            if (typeof fallback !== "boolean" && fallback !== "true" && fallback !== "false") {
                problems.push(`${at}.fallback must be true or false, got ${JSON.stringify(fallback)}`);
            }
            registryMirrors[registry] = { endpoints: [...endpoints], fallback: fallback === true || fallback === "true" };
        }
    }

    const insecureRegistries: Record<string, "http" | "https-skip-verify"> = {};
    stringList(raw.insecureRegistries, "insecureRegistries", key, problems).forEach((entry, i) => {
        const tls = entry.startsWith("https://");
        const host = entry.replace(/^https?:\/\//, "");
        if (!isRegistryHost(host)) {
            problems.push(`${key("insecureRegistries")}[${i}] is "${entry}": not a registry host; give HOST[:PORT] for plain HTTP, or https://HOST[:PORT] for TLS without verification`);
            return;
        }
        insecureRegistries[host] = tls ? "https-skip-verify" : "http";
    });

    const registryCA = typeof raw.registryCA === "string" ? raw.registryCA.trim() : "";
    if (raw.registryCA !== undefined && typeof raw.registryCA !== "string") {
        problems.push(`${key("registryCA")} must be a string of PEM certificates, got ${JSON.stringify(raw.registryCA)}`);
    } else if (registryCA && !/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(registryCA)) {
        problems.push(`${key("registryCA")} is not PEM: give the certificates themselves, e.g. pulumi config set registryCA -- "$(cat ca.crt)"`);
    }

    const registryAuth = parseAuth(raw.registryAuth, key, isSecret, problems);

    const proxy: Proxy = { httpProxy: "", httpsProxy: "", noProxy: "" };
    let proxyHasCredentials = false;
    for (const name of ["httpProxy", "httpsProxy"] as const) {
        const v = raw[name] ?? "";
        if (typeof v !== "string") {
            problems.push(`${key(name)} must be a URL string, got ${JSON.stringify(v)}`);
            continue;
        }
        proxy[name] = v;
        if (!v) continue;
        const why = urlProblem(v, ["http", "https", "socks5"]);
        if (why) {
            problems.push(`${key(name)} is "${redact(v)}": ${why}; give http://[USER:PASSWORD@]HOST:PORT`);
            continue;
        }
        const u = new URL(v);
        if (u.username || u.password) {
            proxyHasCredentials = true;
            if (!isSecret(name)) {
                problems.push(`${key(name)} holds a user:password but is not a secret; set it with: pulumi config set --secret ${name} '${redact(v)}'`);
            }
        }
    }
    const noProxy = raw.noProxy ?? "";
    if (typeof noProxy !== "string") {
        problems.push(`${key("noProxy")} must be a comma-separated string, got ${JSON.stringify(noProxy)}`);
    } else {
        proxy.noProxy = noProxy;
        noProxy.split(",").map((s) => s.trim()).filter(Boolean).forEach((entry) => {
            if (!NO_PROXY_ENTRY.test(entry)) {
                problems.push(`${key("noProxy")} has "${entry}": give host names, .domains, IP addresses or CIDRs, separated by commas`);
            }
        });
    }

    const localRegistry = raw.localRegistry ?? false;
    if (typeof localRegistry !== "boolean" && localRegistry !== "true" && localRegistry !== "false") {
        problems.push(`${key("localRegistry")} must be true or false, got ${JSON.stringify(localRegistry)}`);
    }
    const port = Number(raw.localRegistryPort ?? 5000);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        problems.push(`${key("localRegistryPort")} is ${JSON.stringify(raw.localRegistryPort)}: give the host port of \`make registry\` (1-65535)`);
    }

    return {
        hostImages, registryMirrors, insecureRegistries, registryCA, registryAuth, proxy, proxyHasCredentials,
        localRegistry: localRegistry === true || localRegistry === "true", localRegistryPort: port,
    };
}

function parseAuth(value: unknown, key: (n: string) => string, isSecret: (n: string) => boolean,
    problems: string[]): Record<string, RegistryAuth> {
    const auths: Record<string, RegistryAuth> = {};
    if (value === undefined) return auths;
    const how = `pulumi config set --path 'registryAuth["REGISTRY"].username' USER && ` +
        `pulumi config set --secret --path 'registryAuth["REGISTRY"].password' PASSWORD`;
    if (!isObject(value)) {
        problems.push(`${key("registryAuth")} must be an object of registry -> {username, password}; set it with: ${how}`);
        return auths;
    }
    const entries = Object.entries(value);
    if (entries.length > 0 && !isSecret("registryAuth")) {
        problems.push(`${key("registryAuth")} holds passwords but is not a secret; set each password with --secret: ${how}`);
    }
    const loose = entries.filter(([, cred]) => !isObject(cred)).map(([k]) => k);
    if (loose.length > 0) {
        problems.push(`${key("registryAuth")} has ${loose.join(", ")} outside any registry: a credential without a registry; set it with: ${how}`);
    }
    for (const [registry, cred] of entries) {
        if (!isObject(cred)) continue;
        const at = `${key("registryAuth")}["${registry}"]`;
        if (!isRegistryHost(registry)) {
            problems.push(`${at}: "${registry}" is not a registry host; name it as images do, e.g. registry.example.com:5000`);
            continue;
        }
        const { username, password } = cred;
        if (typeof username !== "string" || !username || typeof password !== "string" || !password) {
            problems.push(`${at} needs both username and password; set them with: ${how.replace(/REGISTRY/g, registry)}`);
            continue;
        }
        if (username.includes(":")) problems.push(`${at}.username must not contain ":"`);
        auths[registry] = { username, password };
    }
    return auths;
}

function stringList(value: unknown, name: string, key: (n: string) => string, problems: string[]): string[] {
    if (value === undefined) return [];
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return [...value];
    problems.push(`${key(name)} must be a list of strings, got ${JSON.stringify(value)}; ` +
        `set it with: pulumi config set --path '${name}[0]' VALUE`);
    return [];
}

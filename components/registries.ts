// Registry mirrors, insecure registries, an extra CA, registry credentials,
// proxies and the local registry, written into the running wrapper by
// scripts/configure.sh: containerd's hosts.toml layout under
// /etc/containerd/certs.d/ (nerdctl reads the same), /root/.docker/config.json
// and an env file containerd and nerdctl start with. A change runs the script
// again in place, so the wrapper and its inner containers keep running, and
// `pulumi preview --diff` shows the files that change (secrets as [secret]).
import * as pulumi from "@pulumi/pulumi";
import { execInWrapper } from "./commands";
import { StackContext } from "./context";
import { ImageSources } from "./settings/image-sources";
import { HostCommand } from "./plugins/specs";

/** The local registry's name and port on the shared Docker network (toolchain/local-registry.sh). */
export const LOCAL_REGISTRY = "ndind-registry:5000";
export const PROXY_ENV = "/etc/nerdctl-dind/proxy.env";

export class Registries extends pulumi.ComponentResource {
    readonly run: HostCommand;
    readonly report: pulumi.Output<string>;

    constructor(name: string, ctx: StackContext, wrapperId: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Registries", name, {}, opts);
        const { plain, secret } = renderConfig(ctx.settings.sources, ctx.settings.project);
        this.run = execInWrapper(ctx, `${name}-configure`, {
            script: "/scripts/configure.sh",
            triggers: [wrapperId],
            environment: { NDIND_CONFIG: plain, NDIND_SECRET_CONFIG: pulumi.secret(secret) },
            stdinFrom: ["NDIND_CONFIG", "NDIND_SECRET_CONFIG"],
            inPlace: true,
        }, { parent: this });
        this.report = this.run.stdout;
        this.registerOutputs({ report: this.report });
    }
}

interface File {
    path: string;
    mode: string;
    content: string;
}

/**
 * What configure.sh reads on stdin: "=== file PATH MODE" headers each followed
 * by the file's lines, and "=== check SETTING URL" / "=== proxy SETTING URL"
 * lines for the reachability checks. `secret` holds what carries credentials.
 */
export function renderConfig(s: ImageSources, project: string): { plain: string; secret: string } {
    const plain: string[] = [];
    const secret: string[] = [];
    const file = (out: string[], f: File) => out.push(`=== file ${f.path} ${f.mode}`, ...f.content.trimEnd().split("\n"));
    for (const f of hostsFiles(s)) file(plain, f);
    if (s.registryCA) file(plain, { path: "/usr/local/share/ca-certificates/nerdctl-dind.crt", mode: "0644", content: s.registryCA });
    for (const [registry, m] of Object.entries(s.registryMirrors)) {
        m.endpoints.forEach((e, i) => plain.push(`=== check ${project}:registryMirrors["${registry}"].endpoints[${i}] ${e}`));
    }
    if (Object.keys(s.registryAuth).length > 0) {
        file(secret, { path: "/root/.docker/config.json", mode: "0600", content: dockerConfig(s) });
    }
    const env = proxyEnv(s);
    if (env) {
        const out = s.proxyHasCredentials ? secret : plain;
        file(out, { path: PROXY_ENV, mode: "0600", content: env });
        for (const name of ["httpProxy", "httpsProxy"] as const) {
            if (s.proxy[name]) out.push(`=== proxy ${project}:${name} ${s.proxy[name]}`);
        }
    }
    return { plain: plain.join("\n"), secret: secret.join("\n") };
}

/** One hosts.toml per registry that has a mirror, is insecure, or is the local registry. */
export function hostsFiles(s: ImageSources): File[] {
    const registries = new Map<string, string[]>();
    const add = (registry: string, lines: string[]) => registries.set(registry, [...(registries.get(registry) ?? []), ...lines]);
    const hostBlock = (url: string, caps: string, extra: string[] = []) =>
        [`[host."${url}"]`, `  capabilities = [${caps}]`, ...extra.map((l) => `  ${l}`)];
    for (const [registry, m] of Object.entries(s.registryMirrors)) {
        add(registry, m.endpoints.flatMap((e) => hostBlock(e.replace(/\/$/, ""), `"pull", "resolve"`,
            s.insecureRegistries[new URL(e).host] === "https-skip-verify" ? ["skip_verify = true"] : [])));
    }
    const all = `"pull", "resolve", "push"`;
    for (const [registry, how] of Object.entries(s.insecureRegistries)) {
        if (s.registryMirrors[registry]) continue; // its mirrors file names the server below
        add(registry, how === "http" ? hostBlock(`http://${registry}`, all) : hostBlock(`https://${registry}`, all, ["skip_verify = true"]));
    }
    if (s.localRegistry) {
        // The host's name for it (localhost:PORT) works in every stack too.
        add(`localhost:${s.localRegistryPort}`, hostBlock(`http://${LOCAL_REGISTRY}`, all));
        add(LOCAL_REGISTRY, hostBlock(`http://${LOCAL_REGISTRY}`, all));
    }
    return [...registries].sort(([a], [b]) => a.localeCompare(b)).map(([registry, hosts]) => {
        const m = s.registryMirrors[registry];
        const insecure = s.insecureRegistries[registry];
        const scheme = insecure === "http" ? "http" : "https";
        const server = registry === "docker.io" ? "https://registry-1.docker.io" : `${scheme}://${registry}`;
        const root = [`server = "${server}"`];
        if (m && !m.fallback) root.push("# fallback: false, so the registry itself is never asked", "capabilities = []");
        if (insecure === "https-skip-verify") root.push("skip_verify = true");
        return {
            path: `/etc/containerd/certs.d/${registry}/hosts.toml`, mode: "0644",
            content: ["# Written by nerdctl-dind (scripts/configure.sh) from the stack's settings.", ...root, "", ...hosts].join("\n"),
        };
    });
}

function dockerConfig(s: ImageSources): string {
    const auths: Record<string, { auth: string }> = {};
    for (const [registry, a] of Object.entries(s.registryAuth)) {
        // docker.io's credentials live under the old index URL, as docker login writes them.
        const k = registry === "docker.io" ? "https://index.docker.io/v1/" : registry;
        auths[k] = { auth: Buffer.from(`${a.username}:${a.password}`).toString("base64") };
    }
    return JSON.stringify({ auths });
}

function proxyEnv(s: ImageSources): string {
    const lines: string[] = [];
    const add = (name: string, value: string) => {
        // Quoted for sh, which sources the file (scripts/nerdctl.sh, entry.sh).
        const quoted = `'${value.replace(/'/g, "'\\''")}'`;
        if (value) lines.push(`${name}=${quoted}`, `${name.toLowerCase()}=${quoted}`);
    };
    add("HTTP_PROXY", s.proxy.httpProxy);
    add("HTTPS_PROXY", s.proxy.httpsProxy);
    if (lines.length === 0) return "";
    // The local registry is never reached through a proxy.
    const noProxy = [s.proxy.noProxy, ...(s.localRegistry ? ["ndind-registry", `localhost`] : [])].filter(Boolean).join(",");
    add("NO_PROXY", noProxy);
    return lines.join("\n");
}

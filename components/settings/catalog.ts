// Every setting of the project, declared once: its type, default and
// meaning. Pulumi.yaml's config block and the README's settings table are
// written from this list (`make settings`) and a unit test fails when either
// differs, so the three cannot drift. validate.ts turns the values into the
// typed Settings; load.ts reads them from the stack.

export interface Declaration {
    /** Pulumi's config type: strings are read with config.get, the rest as JSON (config.getObject). */
    type: "string" | "boolean" | "integer" | "array" | "object";
    default: string | boolean | number | string[] | Record<string, never>;
    /** Shown by `pulumi config` (Pulumi.yaml) and in the README's table. */
    description: string;
    /** The README's default column, where the value alone says too little. */
    shownDefault?: string;
    /** Names the setting had before: still read from stacks that have them, with a warning. */
    formerly?: string[];
}

export const CATALOG = {
    plugins: {
        type: "string", default: "", shownDefault: "none: `make stack` sets it", formerly: ["provider"],
        description: "Which plugins make the stack's resources: `pulumi` (@pulumi/docker and @pulumi/command) or `ndind` " +
            "(our plugin, their offline twin); `make stack` picks it once, when the stack is made.",
    },
    baseImage: {
        type: "string", default: "alpine:3.23",
        description: "Base image of the wrapper, any `alpine:*` (3.18 too) or Debian-family image; `make stack` gives new stacks " +
            "the offline `nerdctl-dind/base:alpine-3.23` where no registry answers.",
    },
    containerdVersion: {
        type: "string", default: "1.7.2",
        description: "containerd release built into the wrapper (X.Y.Z), 1.x or 2.x.",
    },
    runcVersion: {
        type: "string", default: "1.1.7",
        description: "runc release built into the wrapper (X.Y.Z), 1.1 to 1.3; 1.1.7 is what containerd 1.7.2 was tested with.",
    },
    cniPluginsVersion: {
        type: "string", default: "", shownDefault: "what the nerdctl release pins",
        description: "CNI plugins release built into the wrapper (X.Y.Z); empty: the one the nerdctl release's own Dockerfile pins " +
            "(1.3.0 for 1.5.0, 1.7.1 for 2.1.3), so it follows a change of nerdctlVersion.",
    },
    nerdctlVersion: {
        type: "string", default: "1.5.0",
        description: "nerdctl release built into the wrapper (X.Y.Z), 1.x or 2.x, with our patch series for that release " +
            "(`nerdctl/patches/X.Y.Z/`) where there is one.",
    },
    nerdctlPatches: {
        type: "boolean", default: true,
        description: "Build nerdctl with the patch series of its release; `false` gives the release as released, to reproduce " +
            "its bugs. The `nerdctlBuild` output says which.",
    },
    buildkit: {
        type: "boolean", default: true,
        description: "Put BuildKit in the bundle and run `buildkitd`, so `nerdctl build` and `compose build` work; `false` makes a smaller image.",
    },
    buildkitVersion: {
        type: "string", default: "", shownDefault: "what the nerdctl release pins",
        description: "BuildKit release built into the wrapper (X.Y.Z); empty: the one the nerdctl release's own Dockerfile pins " +
            "(0.12.0 for 1.5.0, 0.23.2 for 2.1.3). tini always follows the release's pin (0.19.0, Debian's, for every release so far).",
    },
    iptablesBackend: {
        type: "string", default: "auto",
        description: "iptables backend of containerd, CNI and nerdctl in the wrapper: `auto` tries each at every start " +
            "(rules already present first, then whichever can open the nat table); `legacy` or `nft` when auto guesses wrong.",
    },
    storageDir: {
        type: "string", default: "", shownDefault: "`lib/<stack>`",
        description: "Absolute folder on the engine's host for the stored images (containerd, nerdctl, BuildKit), one stack per " +
            "folder, kept on destroy; empty: `lib/<stack>` in the project, `/var/lib/nerdctl-dind/<stack>` on a remote engine.",
    },
    storageLayout: {
        type: "string", default: "auto",
        description: "How the storage folder holds the images: `folder` (files in it), `image` (one sparse ext4 image file in it, " +
            "loop-mounted: for shared folders, virtiofs, 9p, FUSE) or `auto` (the layout already there, else `folder` where overlayfs " +
            "works on it, `image` where it cannot).",
    },
    storageImageSize: {
        type: "string", default: "64G",
        description: "Most the image file of the `image` layout can hold (NUMBER[M|G|T]); sparse, it takes only what is stored. " +
            "A larger value grows it at the next start; it never shrinks.",
    },
    storageMinFree: {
        type: "integer", default: 10,
        description: "Share of the storage's filesystem (percent, 0-99) below which `make status` and the host report warn that it " +
            "is nearly full; `make prune` gives back what builds left. 0: never warn.",
    },
    forwards: {
        type: "string", default: "loopback",
        description: "Every port an inner container publishes, forwarded to this machine by the stack's forwarder (`make up` starts it; " +
            "`make forwards` lists them): `loopback` (on 127.0.0.1, whatever address the inner `-p` asked for), `asked` (on the " +
            "address the inner `-p` asked for: `0.0.0.0` is every address of this machine) or `off`.",
    },
    ports: {
        type: "array", default: [],
        description: "Ports the wrapper publishes, `[HOSTADDR:]HOSTPORT:CONTAINERPORT[/tcp|/udp]`; bound to 127.0.0.1 unless an address is given.",
    },
    preload: {
        type: "array", default: [],
        description: "Image tarballs (docker save, OCI archives) loaded into the inner containerd when absent.",
    },
    destroyDeletesStorage: {
        type: "boolean", default: false,
        description: "`true`: pulumi destroy also deletes the storage folder and the images in it.",
    },
    privileged: {
        type: "boolean", default: true,
        description: "Run the wrapper privileged (containerd and runc need it).",
    },
    dockerHost: {
        type: "string", default: "",
        description: "Docker engine to use: `ssh://[USER@]HOST[:PORT]`, or `tcp://HOST:PORT` with the three TLS settings; empty: the local one.",
    },
    dockerContext: {
        type: "string", default: "",
        description: "A Docker context (`docker context ls`) to use instead of dockerHost.",
    },
    dockerTlsCa: {
        type: "string", default: "",
        description: "For a tcp:// dockerHost, the CA certificate (PEM text); set it with `--secret`.",
    },
    dockerTlsCert: {
        type: "string", default: "",
        description: "For a tcp:// dockerHost, the client certificate (PEM text); set it with `--secret`.",
    },
    dockerTlsKey: {
        type: "string", default: "",
        description: "For a tcp:// dockerHost, the client key (PEM text); set it with `--secret`.",
    },
    hostImages: {
        type: "array", default: [],
        description: "Images of the host's Docker engine copied into the stack's containerd after the wrapper starts " +
            "(skipped when present with the same ID).",
    },
    registryMirrors: {
        type: "object", default: {},
        description: "Registry -> `{endpoints: [URL, ...], fallback: true}`: the endpoints in order, then the registry itself " +
            "unless fallback is false; written as `/etc/containerd/certs.d/<registry>/hosts.toml`.",
    },
    insecureRegistries: {
        type: "array", default: [],
        description: "Registries reached without TLS verification: `HOST[:PORT]` for plain HTTP, `https://HOST[:PORT]` for TLS without verification.",
    },
    registryCA: {
        type: "string", default: "",
        description: "Extra CA certificates (PEM) trusted for registries and proxies in the wrapper.",
    },
    registryAuth: {
        type: "object", default: {},
        description: "Registry -> `{username, password}`, each password set with `--secret`; written to `/root/.docker/config.json` in the wrapper.",
    },
    httpProxy: {
        type: "string", default: "",
        description: "HTTP_PROXY of containerd and nerdctl in the wrapper; a URL with user:password must be set with `--secret`.",
    },
    httpsProxy: {
        type: "string", default: "",
        description: "HTTPS_PROXY of containerd and nerdctl in the wrapper; a URL with user:password must be set with `--secret`.",
    },
    noProxy: {
        type: "string", default: "",
        description: "NO_PROXY: comma-separated hosts, .domains, IPs and CIDRs reached directly.",
    },
    localRegistry: {
        type: "boolean", default: false,
        description: "Join the host's shared local registry (`make registry`) as ndind-registry:5000 and localhost:<localRegistryPort>.",
    },
    localRegistryPort: {
        type: "integer", default: 5000,
        description: "Host port the shared local registry is published on (127.0.0.1), as `make registry REGISTRY_PORT=...` started it.",
    },
} satisfies Record<string, Declaration>;

export type SettingName = keyof typeof CATALOG;

export const SETTING_NAMES = Object.keys(CATALOG) as SettingName[];

/** Config values as Pulumi hands them over, before validation. */
export type RawSettings = { [K in SettingName]?: unknown } & {
    /** Names of the settings that were set with --secret ("project:name"). */
    secretKeys?: string[];
};

/** The setting an older name stands for, if it is one. */
export function currentName(name: string): SettingName | undefined {
    return SETTING_NAMES.find((n) => (CATALOG[n] as Declaration).formerly?.includes(name));
}

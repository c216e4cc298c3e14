// The privileged wrapper container in which containerd runs. Ports that inner
// containers publish must be declared here, at creation (two layers: host ->
// wrapper -> inner container).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { StackContext } from "./context";
import { CATALOG } from "./settings/catalog";
import { SHARED_NETWORK } from "./names";
import { Storage } from "./storage";
import { ContainerSpec, MountSpec, RunningContainer } from "./plugins/specs";

const PRELOAD_DIR = "/preload";

// Without privileged, the least that lets containerd mount, set up networks
// and manage cgroups; some inner containers may still fail.
const UNPRIVILEGED = {
    capabilities: { adds: ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE"], drops: [] },
    securityOpts: ["seccomp=unconfined", "apparmor=unconfined"],
};

export class Wrapper extends pulumi.ComponentResource {
    readonly container: RunningContainer;

    /** `imageId` is the built image's: a rebuilt image replaces the wrapper. */
    constructor(name: string, ctx: StackContext, imageId: pulumi.Input<string>, storage: Storage, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Wrapper", name, {}, opts);
        this.container = ctx.plugins.container(`${name}-container`, containerSpec(ctx, imageId, storage),
            { parent: this, dependsOn: [storage.folder.resource] });
        this.registerOutputs({ name: this.container.name });
    }
}

// Read by scripts/storage.sh at every start. Given only when not the
// default, so that the wrappers of stacks made before the setting stay as
// they are.
function storageEnvs(s: StackContext["settings"]): string[] {
    return [
        ...(s.storageLayout === "auto" ? [] : [`NDIND_STORAGE_LAYOUT=${s.storageLayout}`]),
        ...(s.storageImageSize === CATALOG.storageImageSize.default ? [] : [`NDIND_STORAGE_IMAGE_SIZE=${s.storageImageSize}`]),
        ...(s.storageMinFree === CATALOG.storageMinFree.default ? [] : [`NDIND_STORAGE_MIN_FREE=${s.storageMinFree}`]),
    ];
}

export function containerSpec(ctx: StackContext, imageId: pulumi.Input<string>, storage: Storage): ContainerSpec {
    const s = ctx.settings;
    const bind = (source: string, target: string, readOnly = false): MountSpec => ({ type: "bind", source, target, readOnly });
    // A remote engine's host cannot see local tarballs: prepare streams them instead.
    const preload = ctx.engine.remote ? [] : s.preload;
    return {
        name: ctx.container,
        image: imageId,
        hostname: ctx.container,
        // Read by scripts/entry.sh at every start: a change replaces the wrapper.
        envs: [`NDIND_IPTABLES=${s.iptablesBackend}`, ...storageEnvs(s)],
        // The shared local registry's network, else the default bridge.
        ...(s.sources.localRegistry ? { networkMode: SHARED_NETWORK } : {}),
        privileged: s.privileged,
        ...(s.privileged ? {} : UNPRIVILEGED),
        // A private cgroup namespace keeps the inner containerd's cgroups
        // under the wrapper's own, on cgroup v1 as on v2.
        cgroupnsMode: "private",
        init: true,
        restart: "unless-stopped",
        // No stale pid files or sockets survive a restart.
        tmpfs: { "/run": "rw,exec,mode=755" },
        mounts: [
            bind(storage.containerdDir, "/var/lib/containerd"),
            bind(storage.nerdctlDir, "/var/lib/nerdctl"),
            // Bound even without BuildKit in the bundle: one layout for every stack.
            bind(storage.buildkitDir, "/var/lib/buildkit"),
            ...preload.map((file) => bind(file, `${PRELOAD_DIR}/${path.basename(file)}`, true)),
        ],
        ports: s.ports.map((p) => ({ internal: p.containerPort, external: p.hostPort, ip: p.hostIp, protocol: p.protocol })),
        healthcheck: { tests: ["CMD", "/scripts/healthcheck.sh"], interval: "5s", timeout: "3s", startPeriod: "2s", retries: 3 },
        // Which stack the container is: ndind removes a leftover of that name only when it carries this.
        labels: [{ label: "nerdctl-dind.stack", value: `${s.project}/${s.stack}` }],
    };
}

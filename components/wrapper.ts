// The privileged wrapper container in which containerd runs. Ports that inner
// containers publish must be declared here, at creation (two layers: host ->
// wrapper -> inner container).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { IptablesBackend, PortMapping } from "./config";
import { Storage } from "./storage";
import { Providers } from "./providers";
import { ContainerSpec, MountSpec, RunningContainer } from "./providers/specs";

export interface WrapperArgs {
    providers: Providers;
    name: string;
    image: pulumi.Input<string>;
    storage: Storage;
    ports: PortMapping[];
    preload: string[];
    privileged: boolean;
    iptablesBackend: IptablesBackend;
    /** A user-defined Docker network to join (the shared local registry's), else the default bridge. */
    network?: string;
}

const PRELOAD_DIR = "/preload";

// Without privileged, the least that lets containerd mount, set up networks
// and manage cgroups; some inner containers may still fail.
const UNPRIVILEGED = {
    capabilities: { adds: ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE"], drops: [] },
    securityOpts: ["seccomp=unconfined", "apparmor=unconfined"],
};

export class Wrapper extends pulumi.ComponentResource {
    readonly container: RunningContainer;

    constructor(name: string, args: WrapperArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Wrapper", name, {}, opts);
        this.container = args.providers.container(`${name}-container`, containerSpec(args),
            { parent: this, dependsOn: [args.storage.folder.resource] });
        this.registerOutputs({ name: this.container.name });
    }
}

export function containerSpec(args: WrapperArgs): ContainerSpec {
    const bind = (source: string, target: string, readOnly = false): MountSpec => ({ type: "bind", source, target, readOnly });
    return {
        name: args.name,
        image: args.image,
        hostname: args.name,
        // Read by scripts/entry.sh at every start: a change replaces the wrapper.
        envs: [`NDIND_IPTABLES=${args.iptablesBackend}`],
        ...(args.network ? { networkMode: args.network } : {}),
        privileged: args.privileged,
        ...(args.privileged ? {} : UNPRIVILEGED),
        // A private cgroup namespace keeps the inner containerd's cgroups
        // under the wrapper's own, on cgroup v1 as on v2.
        cgroupnsMode: "private",
        init: true,
        restart: "unless-stopped",
        // No stale pid files or sockets survive a restart.
        tmpfs: { "/run": "rw,exec,mode=755" },
        mounts: [
            bind(args.storage.containerdDir, "/var/lib/containerd"),
            bind(args.storage.nerdctlDir, "/var/lib/nerdctl"),
            // Bound even without BuildKit in the bundle: one layout for every stack.
            bind(args.storage.buildkitDir, "/var/lib/buildkit"),
            ...args.preload.map((file) => bind(file, `${PRELOAD_DIR}/${path.basename(file)}`, true)),
        ],
        ports: args.ports.map((p) => ({ internal: p.containerPort, external: p.hostPort, ip: p.hostIp, protocol: p.protocol })),
        healthcheck: { tests: ["CMD", "/scripts/healthcheck.sh"], interval: "5s", timeout: "3s", startPeriod: "2s", retries: 3 },
        labels: [{ label: "nerdctl-dind.stack", value: args.name }],
    };
}

// The privileged wrapper container in which containerd runs. Ports that inner
// containers publish must be declared here, at creation (two layers: host ->
// wrapper -> inner container).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PortMapping } from "./config";
import { Storage } from "./storage";
import { DockerContainer } from "./providers/docker-container";
import { EngineRef } from "./engine";

export interface WrapperArgs {
    name: string;
    image: pulumi.Input<string>;
    storage: Storage;
    ports: PortMapping[];
    preload: string[];
    privileged: boolean;
    engine: EngineRef;
    /** A user-defined Docker network to join (the shared local registry's), else the default bridge. */
    network?: string;
}

const PRELOAD_DIR = "/preload";

// Without --privileged, the least that lets containerd mount, set up
// networks and manage cgroups; some inner containers may still fail.
const UNPRIVILEGED = ["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "SYS_PTRACE",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined"];

export class Wrapper extends pulumi.ComponentResource {
    readonly container: DockerContainer;

    constructor(name: string, args: WrapperArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Wrapper", name, {}, opts);
        this.container = new DockerContainer(`${name}-container`, {
            name: args.name,
            image: args.image,
            options: runOptions(args),
            ...args.engine,
        }, { parent: this, dependsOn: [args.storage.folder] });
        this.registerOutputs({ name: this.container.name });
    }
}

export function runOptions(args: WrapperArgs): string[] {
    const bind = (source: string, target: string, readOnly = false) =>
        ["--mount", `type=bind,source=${source},target=${target}${readOnly ? ",readonly" : ""}`];
    return [
        "--hostname", args.name,
        ...(args.network ? ["--network", args.network] : []),
        ...(args.privileged ? ["--privileged"] : UNPRIVILEGED),
        // A private cgroup namespace keeps the inner containerd's cgroups
        // under the wrapper's own, on cgroup v1 as on v2.
        "--cgroupns", "private",
        "--init",
        "--restart", "unless-stopped",
        // No stale pid files or sockets survive a restart.
        "--tmpfs", "/run:rw,exec,mode=755",
        ...bind(args.storage.containerdDir, "/var/lib/containerd"),
        ...bind(args.storage.nerdctlDir, "/var/lib/nerdctl"),
        // Bound even without BuildKit in the bundle: one layout for every stack.
        ...bind(args.storage.buildkitDir, "/var/lib/buildkit"),
        ...args.preload.flatMap((file) => bind(file, `${PRELOAD_DIR}/${path.basename(file)}`, true)),
        ...args.ports.flatMap((p) => ["--publish", `${p.hostIp.includes(":") ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort}:${p.containerPort}/${p.protocol}`]),
        "--health-cmd", "/scripts/healthcheck.sh",
        "--health-interval", "5s",
        "--health-timeout", "3s",
        "--health-start-period", "2s",
        "--health-retries", "3",
        "--label", `nerdctl-dind.stack=${args.name}`,
    ];
}

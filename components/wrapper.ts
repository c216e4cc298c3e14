// The privileged wrapper container in which containerd runs. Ports that inner
// containers publish must be declared here, at creation (two layers: host ->
// wrapper -> inner container).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { PortMapping } from "./config";
import { Storage } from "./storage";

export interface WrapperArgs {
    name: string;
    image: pulumi.Input<string>;
    storage: Storage;
    ports: PortMapping[];
    preload: string[];
    privileged: boolean;
}

export const PRELOAD_DIR = "/preload";

// Without --privileged, the least that lets containerd mount, set up
// networks and manage cgroups; some inner containers may still fail.
const UNPRIVILEGED_CAPS = ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "MKNOD", "SETPCAP"];

export class Wrapper extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, args: WrapperArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nerdctl-dind:index:Wrapper", name, {}, opts);
        const bind = (source: string, target: string, readOnly = false): docker.types.input.ContainerMount =>
            ({ type: "bind", source, target, readOnly });
        this.container = new docker.Container(`${name}-container`, {
            name: args.name,
            image: args.image,
            hostname: args.name,
            privileged: args.privileged,
            capabilities: args.privileged ? undefined : { adds: UNPRIVILEGED_CAPS },
            securityOpts: args.privileged ? undefined : ["seccomp=unconfined", "apparmor=unconfined"],
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
                ...args.preload.map((file) => bind(file, `${PRELOAD_DIR}/${path.basename(file)}`, true)),
            ],
            ports: args.ports.map((p) => ({
                ip: p.hostIp, external: p.hostPort, internal: p.containerPort, protocol: p.protocol,
            })),
            healthcheck: {
                tests: ["CMD", "/scripts/healthcheck.sh"],
                interval: "5s",
                timeout: "3s",
                startPeriod: "2s",
                retries: 3,
            },
            labels: [{ label: "nerdctl-dind.stack", value: args.name }],
            mustRun: true,
            wait: false,
        }, { parent: this, dependsOn: [args.storage.folder], deleteBeforeReplace: true });
        this.registerOutputs({ name: this.container.name });
    }
}

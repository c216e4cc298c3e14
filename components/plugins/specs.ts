// What the components ask the seam for: an image build, a container and a
// host command, as typed specs named like @pulumi/docker's and
// @pulumi/command's inputs, so both implementations take the same values and
// a diff reads the same on both (ports[0].external, not option 15 of 28).
// The engine they go to is the seam's, not the spec's (pluginsFor).
import * as pulumi from "@pulumi/pulumi";

export interface ImageSpec {
    /** The tag, e.g. nerdctl-dind:dev. */
    imageName: string;
    /** Folder sent to the engine; its .dockerignore keeps out what the build does not read. */
    context: string;
    /** What the build reads, relative to the context (ndind sends only these). */
    contextPaths: string[];
    /** Relative to the context. */
    dockerfile: string;
    /** A secret value (a proxy with credentials) stays secret in state. */
    buildArgs: Record<string, pulumi.Input<string>>;
    /** The engine's, e.g. linux/arm64 (docker build --platform). */
    platform: string;
    /** Hash of what the build reads; ndind reuses an image labelled with it (docker.Image relies on the build cache). */
    contentHash: string;
}

export interface PortSpec {
    /** Port in the wrapper. */
    internal: number;
    /** Port on the engine's host. */
    external: number;
    /** Host address the port is bound to. */
    ip: string;
    protocol: "tcp" | "udp";
}

export interface MountSpec {
    type: "bind";
    source: string;
    target: string;
    readOnly: boolean;
}

export interface LabelSpec {
    label: string;
    value: string;
}

export interface HealthcheckSpec {
    /** ["CMD", program, args...] */
    tests: string[];
    /** Durations as Docker writes them: "5s". */
    interval: string;
    timeout: string;
    startPeriod: string;
    retries: number;
}

export interface CapabilitiesSpec {
    adds: string[];
    drops: string[];
}

export interface ContainerSpec {
    name: string;
    /** An image ID, so a rebuilt image replaces the container. */
    image: pulumi.Input<string>;
    hostname: string;
    /** NAME=VALUE for the entry script. */
    envs: string[];
    privileged: boolean;
    /** Only without privileged: what it is given instead. */
    capabilities?: CapabilitiesSpec;
    securityOpts?: string[];
    cgroupnsMode: "private" | "host";
    init: boolean;
    restart: "no" | "on-failure" | "always" | "unless-stopped";
    /** Target -> mount options. */
    tmpfs: Record<string, string>;
    mounts: MountSpec[];
    ports: PortSpec[];
    healthcheck: HealthcheckSpec;
    labels: LabelSpec[];
    /** A user-defined network to join; the default bridge when absent. */
    networkMode?: string;
}

export interface CommandSpec {
    /** sh command lines run on the machine running Pulumi. */
    create: string;
    /** Run in place for a change that is not a trigger's; `create` again when absent. */
    update?: string;
    delete?: string;
    dir?: string;
    /** A secret value stays secret alone, so a diff still shows the others. */
    environment?: Record<string, pulumi.Input<string>>;
    /** Values whose change re-runs `create` as a replacement. */
    triggers?: pulumi.Input<unknown>[];
}

/** What a built image gives the components. */
export interface BuiltImage {
    resource: pulumi.CustomResource;
    imageName: pulumi.Output<string>;
    /** Changes exactly when the image does. */
    imageId: pulumi.Output<string>;
}

export interface RunningContainer {
    resource: pulumi.CustomResource;
    name: pulumi.Output<string>;
    id: pulumi.Output<string>;
}

export interface HostCommand {
    resource: pulumi.CustomResource;
    stdout: pulumi.Output<string>;
    stderr: pulumi.Output<string>;
}
